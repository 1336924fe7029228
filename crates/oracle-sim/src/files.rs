//! The real files of the simulated database: datafiles (through `datafile::writer`),
//! archived redo logs and the block change tracking file.

use std::fs::{self, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

use datafile::writer::{format_block, row_payload, DatafileSpec};
use datafile::{ByteOrder, BLOCK_TYPE_DATA, OS_HEADER_MAGIC};

use crate::state::{Datafile, State};

/// Redo block size (bytes) of the archived logs written.
pub const REDO_BLOCK_SIZE: u32 = 512;
/// Redo "format" byte in block 0 of a redo log (what `datafile::identify` looks for).
const REDO_FORMAT: u8 = 0x22;

/// SplitMix64: the simulator's deterministic random numbers.
pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The writer spec of a datafile of `state`.
pub fn spec_for(state: &State, df: &Datafile) -> DatafileSpec {
    DatafileSpec {
        dbid: state.dbid,
        db_name: state.db_name_upper(),
        file_number: df.file_number,
        relative_file_number: df.relative_file_number,
        tablespace: df.tablespace.clone(),
        block_size: df.block_size,
        blocks: df.blocks,
        byte_order: ByteOrder::native(),
        bigfile: df.bigfile,
        creation_scn: df.creation_scn,
        checkpoint_scn: df.checkpoint_scn,
    }
}

/// Writes the datafile `df` with sample rows, block SCNs between its creation SCN and
/// `creation_scn + 1_000_000`.
pub fn create_datafile(state: &State, df: &Datafile) -> io::Result<()> {
    if let Some(dir) = df.path.parent() {
        fs::create_dir_all(dir)?;
    }
    let spec = spec_for(state, df);
    datafile::writer::write_datafile(
        &df.path,
        &spec,
        datafile::writer::sample_content(df.seed, df.creation_scn),
    )
}

/// Rewrites block `block` (2..=blocks) of `df` as a table block changed at `scn`.
pub fn rewrite_block(state: &State, df: &Datafile, block: u64, scn: u64) -> io::Result<()> {
    let spec = spec_for(state, df);
    let bs = df.block_size as usize;
    let mut buf = vec![0u8; bs];
    let payload = if state.encrypted_tablespaces.contains(&df.tablespace) {
        encrypted_payload(df.seed, block, scn)
    } else {
        row_payload(df.seed ^ scn, block)
    };
    format_block(&mut buf, &spec, block, scn, BLOCK_TYPE_DATA, 1, &payload);
    let mut f = OpenOptions::new().write(true).open(&df.path)?;
    f.seek(SeekFrom::Start(block * u64::from(df.block_size)))?;
    f.write_all(&buf)?;
    f.sync_data()
}

/// Opaque bytes standing for the TDE-encrypted rows of `block` changed at `scn`.
pub fn encrypted_payload(seed: u64, block: u64, scn: u64) -> Vec<u8> {
    let mut st = seed ^ block.rotate_left(29) ^ scn.rotate_left(7) ^ 0x7de0_7de0;
    let mut out = Vec::with_capacity(1904);
    while out.len() < 1900 {
        out.extend_from_slice(&splitmix(&mut st).to_le_bytes());
    }
    out.truncate(1900);
    out
}

/// Rewrites every formatted block of `df` (blocks 2..) at `scn` with
/// [`encrypted_payload`], keeping the block type; returns how many were rewritten.
/// Blocks marked corrupt (`seq` 0xff) are left alone.
pub fn encrypt_datafile(state: &State, df: &Datafile, scn: u64) -> io::Result<u64> {
    let spec = spec_for(state, df);
    let bs = df.block_size as usize;
    let mut f = OpenOptions::new().read(true).write(true).open(&df.path)?;
    let mut buf = vec![0u8; bs];
    let mut n = 0u64;
    for block in 2..=df.blocks {
        let at = block * u64::from(df.block_size);
        f.seek(SeekFrom::Start(at))?;
        io::Read::read_exact(&mut f, &mut buf)?;
        let Some(h) = datafile::CacheHeader::parse(&buf, ByteOrder::native()) else {
            continue;
        };
        if h.block_type == 0 || h.seq == 0xff {
            continue;
        }
        format_block(
            &mut buf,
            &spec,
            block,
            scn,
            h.block_type,
            1,
            &encrypted_payload(df.seed, block, scn),
        );
        f.seek(SeekFrom::Start(at))?;
        f.write_all(&buf)?;
        n += 1;
    }
    f.sync_data()?;
    Ok(n)
}

/// Writes an archived redo log: block 0 an OS header with 512-byte blocks and the redo format
/// byte, block 1 a redo log header naming the database, thread, sequence and SCN range, then
/// `redo_blocks` redo blocks.
#[allow(clippy::too_many_arguments)]
pub fn write_archived_log(
    path: &Path,
    state: &State,
    thread: u32,
    sequence: u64,
    first_scn: u64,
    next_scn: u64,
    redo_blocks: u64,
) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let order = ByteOrder::native();
    let bs = REDO_BLOCK_SIZE as usize;
    let total = redo_blocks.max(1) + 1;
    let mut out = Vec::with_capacity(bs * (total as usize + 1));
    // Block 0: OS header.
    let mut b0 = vec![0u8; bs];
    if let Some(b) = b0.get_mut(1) {
        *b = REDO_FORMAT;
    }
    put_u32(&mut b0, 4, 0xffc0_0000, order);
    put_u32(&mut b0, 20, REDO_BLOCK_SIZE, order);
    put_u32(&mut b0, 24, total as u32, order);
    put_u32(&mut b0, 28, OS_HEADER_MAGIC, order);
    out.extend_from_slice(&b0);
    // Block 1: redo header (type 1, format 0x22), with the facts as text for humans.
    let mut b1 = vec![0u8; bs];
    if let Some(h) = b1.get_mut(..2) {
        h.copy_from_slice(&[0x01, REDO_FORMAT]);
    }
    put_u32(&mut b1, 4, 1, order);
    put_u32(&mut b1, 8, sequence as u32, order);
    put_u32(&mut b1, 20, state.dbid, order);
    let text = format!(
        "ORACLE-SIM ARCHIVED LOG db={} dbid={} thread={thread} sequence={sequence} first_scn={first_scn} next_scn={next_scn}",
        state.db_name_upper(),
        state.dbid
    );
    copy_into(&mut b1, 32, text.as_bytes());
    out.extend_from_slice(&b1);
    // Redo blocks.
    let mut seed = sequence ^ first_scn.rotate_left(13);
    for n in 2..=total {
        let mut b = vec![0u8; bs];
        if let Some(h) = b.get_mut(..2) {
            h.copy_from_slice(&[0x01, REDO_FORMAT]);
        }
        put_u32(&mut b, 4, n as u32, order);
        put_u32(&mut b, 8, sequence as u32, order);
        let payload = row_payload(splitmix(&mut seed), n);
        copy_into(&mut b, 16, payload.get(..bs - 16).unwrap_or(&payload));
        out.extend_from_slice(&b);
    }
    let tmp = path.with_extension("sim-tmp");
    fs::write(&tmp, &out)?;
    fs::rename(&tmp, path)
}

/// Writes a block change tracking file (content is opaque to everyone).
pub fn write_bct_file(path: &Path, state: &State) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut data = vec![0u8; 64 * 1024];
    copy_into(
        &mut data,
        0,
        format!(
            "ORACLE-SIM BLOCK CHANGE TRACKING db={} dbid={}",
            state.db_name_upper(),
            state.dbid
        )
        .as_bytes(),
    );
    fs::write(path, data)
}

fn put_u32(buf: &mut [u8], at: usize, v: u32, order: ByteOrder) {
    let bytes = match order {
        ByteOrder::Little => v.to_le_bytes(),
        ByteOrder::Big => v.to_be_bytes(),
    };
    copy_into(buf, at, &bytes);
}

fn copy_into(buf: &mut [u8], at: usize, data: &[u8]) {
    let end = (at + data.len()).min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(at..end), data.get(..end.saturating_sub(at))) {
        dst.copy_from_slice(src);
    }
}

//! Writes valid datafiles: block 0 (OS header), block 1 (datafile header) and formatted or
//! empty data blocks, in either byte order and any block size.
//!
//! Used by tests, the Oracle simulator (whose image copies are real files, merged block by
//! block by SCN) and benchmarks. Writing goes through one 4 MiB buffer and large
//! `write_all` calls, so a 1 GiB file is written at disk speed.
//!
//! The layouts written are those [`crate::identify`] reads; see the `header` module for the
//! sources of each offset.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use crate::format::{
    block_checksum, format_for_block_size, is_valid_block_size, put, rdba, ByteOrder, CacheHeader,
    BIGFILE_RELATIVE_FILE_NUMBER, BLOCK_TYPE_FILE_HEADER, CACHE_HEADER_LEN, FLAG_CHECKSUM,
    FORMAT_V8, MAX_SMALLFILE_BLOCK, TAIL_LEN,
};
use crate::header::{
    FILE_TYPE_DATAFILE, KCCFHBSZ, KCCFHCSQ, KCCFHCVN, KCCFHDBI, KCCFHDBN, KCCFHDBN_LEN, KCCFHFNO,
    KCCFHFSZ, KCCFHTYP, KCVFHCKP, KCVFHCRS, KCVFHRFN, KCVFHRLS, KCVFHSTA, KCVFHTLN, KCVFHTNM,
    KCVFHTNM_LEN, KCVFHTSN, OS_BLOCKS, OS_BLOCK_SIZE, OS_FORMAT, OS_HEADER_MAGIC, OS_MAGIC,
    OS_RDBA, OS_RDBA_VALUE,
};

/// Compatibility version written in `kccfhcvn` (11.2.0.4, as in the published dumps).
const COMPAT_VERSION: u32 = 0x0b20_0400;
/// Offset of `kcvcpthr` (checkpoint thread) inside `kcvfhckp`.
const KCVCPTHR: usize = KCVFHCKP + 12;
/// Size of the write buffer.
const WRITE_BUFFER: usize = 4 << 20;

/// Describes the datafile to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatafileSpec {
    /// Database id (`kccfhdbi`).
    pub dbid: u32,
    /// Database name (at most 8 bytes).
    pub db_name: String,
    /// Absolute file number (`kccfhfno`, at most 65535).
    pub file_number: u32,
    /// Tablespace-relative file number (1..=1023; ignored for bigfile, which records 1024).
    pub relative_file_number: u32,
    /// Tablespace name (at most 30 bytes).
    pub tablespace: String,
    /// Block size in bytes (2048..=32768, power of two).
    pub block_size: u32,
    /// Blocks after block 0 (`kccfhfsz`): block 1 is the header, 2..=`blocks` the data.
    /// At least 1; at most 2^22 - 1 for smallfile, 2^32 - 1 for bigfile.
    pub blocks: u64,
    /// Byte order of the file.
    pub byte_order: ByteOrder,
    /// Bigfile tablespace (rdba = block number).
    pub bigfile: bool,
    /// Creation SCN (`kcvfhcrs`).
    pub creation_scn: u64,
    /// Checkpoint SCN (`kcvfhckp`).
    pub checkpoint_scn: u64,
}

impl Default for DatafileSpec {
    /// A small USERS datafile of database ORCL: file 4, 8 KiB blocks, 128 blocks,
    /// little-endian, smallfile.
    fn default() -> DatafileSpec {
        DatafileSpec {
            dbid: 1_650_000_001,
            db_name: "ORCL".to_string(),
            file_number: 4,
            relative_file_number: 4,
            tablespace: "USERS".to_string(),
            block_size: 8192,
            blocks: 128,
            byte_order: ByteOrder::Little,
            bigfile: false,
            creation_scn: 0x1_0000,
            checkpoint_scn: 0x20_0000,
        }
    }
}

impl DatafileSpec {
    /// Checks that the spec can be written; the error is `InvalidInput` naming the field.
    pub fn validate(&self) -> io::Result<()> {
        let bad = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        if !is_valid_block_size(self.block_size) {
            return bad(format!(
                "block size {} is not a power of two from 2048 to 32768",
                self.block_size
            ));
        }
        let max_blocks = if self.bigfile {
            u64::from(u32::MAX)
        } else {
            u64::from(MAX_SMALLFILE_BLOCK)
        };
        if self.blocks == 0 || self.blocks > max_blocks {
            return bad(format!(
                "blocks {} must be from 1 to {max_blocks}",
                self.blocks
            ));
        }
        if !self.bigfile && !(1..=1023).contains(&self.relative_file_number) {
            return bad(format!(
                "relative file number {} must be from 1 to 1023",
                self.relative_file_number
            ));
        }
        if self.file_number > u32::from(u16::MAX) {
            return bad(format!("file number {} is above 65535", self.file_number));
        }
        if self.db_name.len() > KCCFHDBN_LEN {
            return bad(format!("db name {:?} is longer than 8 bytes", self.db_name));
        }
        if self.tablespace.len() > KCVFHTNM_LEN {
            return bad(format!(
                "tablespace {:?} is longer than 30 bytes",
                self.tablespace
            ));
        }
        Ok(())
    }

    /// The rdba block `block` of this file carries.
    pub fn rdba_of(&self, block: u64) -> u32 {
        if self.bigfile {
            block as u32
        } else {
            rdba(self.relative_file_number as u16, block as u32)
        }
    }

    /// Size of the file in bytes: `(blocks + 1) * block_size`.
    pub fn file_bytes(&self) -> u64 {
        self.blocks
            .saturating_add(1)
            .saturating_mul(u64::from(self.block_size))
    }
}

/// What [`write_datafile`] puts in one data block (blocks 2..=`blocks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockContent {
    /// An all-zero, never formatted block.
    Empty,
    /// A formatted block.
    Data {
        /// Last-change SCN of the block (48 bits used).
        scn: u64,
        /// `type_kcbh` (6 = table/index data); must not be 0.
        block_type: u8,
        /// Bytes placed right after the 20-byte cache header; cut to fit before the tail.
        payload: Vec<u8>,
    },
}

/// Writes the datafile `spec` describes to `path` (created or truncated): block 0, block 1,
/// then `content(n)` for every block `n` in 2..=`spec.blocks`, through a 4 MiB buffer.
pub fn write_datafile(
    path: impl AsRef<Path>,
    spec: &DatafileSpec,
    mut content: impl FnMut(u64) -> BlockContent,
) -> io::Result<()> {
    spec.validate()?;
    let bs = spec.block_size as usize;
    let per_buffer = (WRITE_BUFFER / bs).max(2);
    let mut buf = vec![0u8; per_buffer * bs];
    let mut file = File::create(path)?;

    let mut filled = 0usize;
    let mut n: u64 = 0;
    while n <= spec.blocks {
        let block = buf
            .get_mut(filled..filled + bs)
            .ok_or_else(|| io::Error::other("write buffer overrun"))?;
        match n {
            0 => os_header_block(block, spec),
            1 => file_header_block(block, spec),
            _ => match content(n) {
                BlockContent::Empty => block.fill(0),
                BlockContent::Data {
                    scn,
                    block_type,
                    payload,
                } => format_block(block, spec, n, scn, block_type, 1, &payload),
            },
        }
        filled += bs;
        n += 1;
        if filled == buf.len() || n > spec.blocks {
            file.write_all(buf.get(..filled).unwrap_or(&[]))?;
            filled = 0;
        }
    }
    file.flush()?;
    Ok(())
}

/// Formats `buf` (one block; its length is the block size) as block `block` of the file
/// `spec` describes: cache header (type, format class, rdba, SCN, seq, checksum flag),
/// `payload` after the header (cut to fit; the rest zeroed), tail, and the checksum.
/// A `buf` shorter than 24 bytes is left alone.
pub fn format_block(
    buf: &mut [u8],
    spec: &DatafileSpec,
    block: u64,
    scn: u64,
    block_type: u8,
    seq: u8,
    payload: &[u8],
) {
    if buf.len() < CACHE_HEADER_LEN + TAIL_LEN {
        return;
    }
    buf.fill(0);
    let room = buf.len() - CACHE_HEADER_LEN - TAIL_LEN;
    put(
        buf,
        CACHE_HEADER_LEN,
        payload.get(..room.min(payload.len())).unwrap_or(&[]),
    );
    let header = CacheHeader {
        block_type,
        format: format_for_block_size(spec.block_size).unwrap_or(FORMAT_V8),
        rdba: spec.rdba_of(block),
        scn: scn & 0xffff_ffff_ffff,
        seq,
        flags: FLAG_CHECKSUM,
        checksum: 0,
    };
    header.write(buf, spec.byte_order);
    finish_block(buf, spec.byte_order);
}

/// Sets the tail from the cache header already in `buf`, then the checksum flag and the
/// checksum so that the XOR of the block's 16-bit words is 0.
pub(crate) fn finish_block(buf: &mut [u8], order: ByteOrder) {
    let Some(h) = CacheHeader::parse(buf, order) else {
        return;
    };
    let tail = order.u32_bytes(h.tail());
    if let Some(t) = buf.last_chunk_mut::<TAIL_LEN>() {
        *t = tail;
    }
    if let Some(f) = buf.get_mut(15) {
        *f |= FLAG_CHECKSUM;
    }
    order.put_u16(buf, 16, 0);
    let folded = block_checksum(buf);
    let stored = match order {
        ByteOrder::Little => folded,
        ByteOrder::Big => folded.swap_bytes(),
    };
    order.put_u16(buf, 16, stored);
}

/// Block 0, the OS block header: format byte, 0xffc00000 @4, block size @20, block count
/// @24, magic @28 (see the `header` module for the published dump this follows).
fn os_header_block(block: &mut [u8], spec: &DatafileSpec) {
    let o = spec.byte_order;
    block.fill(0);
    if let Some(b) = block.get_mut(OS_FORMAT) {
        *b = format_for_block_size(spec.block_size).unwrap_or(FORMAT_V8);
    }
    o.put_u32(block, OS_RDBA, OS_RDBA_VALUE);
    o.put_u32(block, OS_BLOCK_SIZE, spec.block_size);
    o.put_u32(block, OS_BLOCKS, spec.blocks as u32);
    o.put_u32(block, OS_MAGIC, OS_HEADER_MAGIC);
}

/// Block 1, the datafile header (`kcvfh`).
fn file_header_block(block: &mut [u8], spec: &DatafileSpec) {
    let o = spec.byte_order;
    block.fill(0);
    let header = CacheHeader {
        block_type: BLOCK_TYPE_FILE_HEADER,
        format: format_for_block_size(spec.block_size).unwrap_or(FORMAT_V8),
        rdba: spec.rdba_of(1),
        scn: 0,
        seq: 1,
        flags: FLAG_CHECKSUM,
        checksum: 0,
    };
    header.write(block, o);
    o.put_u32(block, KCCFHCVN, COMPAT_VERSION);
    o.put_u32(block, KCCFHDBI, spec.dbid);
    put(block, KCCFHDBN, spec.db_name.as_bytes());
    o.put_u32(block, KCCFHCSQ, 1);
    o.put_u32(block, KCCFHFSZ, spec.blocks as u32);
    o.put_u32(block, KCCFHBSZ, spec.block_size);
    o.put_u16(block, KCCFHFNO, spec.file_number as u16);
    o.put_u16(block, KCCFHTYP, FILE_TYPE_DATAFILE);
    o.put_scn(block, KCVFHCRS, spec.creation_scn);
    o.put_scn(block, KCVFHRLS, spec.creation_scn.min(1));
    o.put_u16(block, KCVFHSTA, 0);
    o.put_u32(block, KCVFHTSN, 0);
    o.put_u16(block, KCVFHTLN, spec.tablespace.len() as u16);
    put(block, KCVFHTNM, spec.tablespace.as_bytes());
    let rfn = if spec.bigfile {
        BIGFILE_RELATIVE_FILE_NUMBER
    } else {
        spec.relative_file_number
    };
    o.put_u32(block, KCVFHRFN, rfn);
    o.put_scn(block, KCVFHCKP, spec.checkpoint_scn);
    o.put_u16(block, KCVCPTHR, 1);
    finish_block(block, o);
}

/// SplitMix64: a small deterministic generator for test data.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Names from the classic SCOTT.EMP table, used as row data.
const NAMES: [&str; 14] = [
    "SMITH", "ALLEN", "WARD", "JONES", "MARTIN", "BLAKE", "CLARK", "KING", "TURNER", "ADAMS",
    "JAMES", "FORD", "MILLER", "DBSNMP",
];
const JOBS: [&str; 5] = ["CLERK", "SALESMAN", "MANAGER", "ANALYST", "PRESIDENT"];

/// Plausible row data for block `block` of a file seeded with `seed` (deterministic; at most
/// 1900 bytes, so it fits a 2 KiB block). Rows look like Oracle's row format (flag, lock,
/// column count, length-prefixed columns). About one block in four contains "SYSTEM", one in
/// three "SCOTT" and one in six "ORCL"; which ones depends on `seed` and `block`.
pub fn row_payload(seed: u64, block: u64) -> Vec<u8> {
    let mut st = seed ^ block.wrapping_mul(0xd134_2543_de82_ef95) ^ 0x5eed;
    let pick = splitmix(&mut st);
    let mut specials: Vec<&str> = Vec::new();
    if pick % 4 == 0 {
        specials.push("SYSTEM");
    }
    if (pick >> 8) % 3 == 0 {
        specials.push("SCOTT");
    }
    if (pick >> 16) % 6 == 0 {
        specials.push("ORCL");
    }
    let rows = 24 + (splitmix(&mut st) % 48) as usize;
    let mut out = Vec::with_capacity(1900);
    for row in 0..rows {
        let r = splitmix(&mut st);
        let name = match specials.get(row) {
            Some(s) => *s,
            None => NAMES
                .get((r % NAMES.len() as u64) as usize)
                .copied()
                .unwrap_or("KING"),
        };
        let job = JOBS
            .get(((r >> 8) % JOBS.len() as u64) as usize)
            .copied()
            .unwrap_or("CLERK");
        let empno = 7000 + (r >> 16) % 3000;
        let sal = 800 + (r >> 32) % 4200;
        let (mut e, mut s) = ([0u8; 20], [0u8; 20]);
        let (empno, sal) = (decimal(empno, &mut e), decimal(sal, &mut s));
        let cols: [&[u8]; 4] = [empno, name.as_bytes(), job.as_bytes(), sal];
        let len: usize = 3 + cols.iter().map(|c| 1 + c.len()).sum::<usize>();
        if out.len() + len > 1900 {
            break;
        }
        out.extend_from_slice(&[0x2c, 0x00, cols.len() as u8]);
        for c in cols {
            out.push(c.len() as u8);
            out.extend_from_slice(c);
        }
    }
    out
}

/// `v` in decimal ASCII, written at the end of `buf`.
fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// A content function for [`write_datafile`]: about one block in eight empty, the others
/// table blocks (type 6) holding [`row_payload`] rows, with SCNs between `base_scn` and
/// `base_scn + 1_000_000`. Deterministic in `seed`.
pub fn sample_content(seed: u64, base_scn: u64) -> impl FnMut(u64) -> BlockContent {
    move |block| {
        let mut st = seed ^ block.rotate_left(17) ^ 0xc0ff_ee00;
        let r = splitmix(&mut st);
        if r % 8 == 0 {
            BlockContent::Empty
        } else {
            BlockContent::Data {
                scn: base_scn + (r >> 8) % 1_000_000,
                block_type: crate::format::BLOCK_TYPE_DATA,
                payload: row_payload(seed, block),
            }
        }
    }
}

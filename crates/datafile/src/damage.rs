//! Damages a datafile on disk the ways storage and careless tools do, for tests.
//!
//! Every function takes the file's path, finds its block size and byte order with
//! [`crate::identify`], changes the file in place and returns the numbers of the blocks whose
//! bytes it changed (in ascending order; empty if nothing changed). Blocks are numbered as in
//! the file: block 0 is the OS header, block 1 the datafile header.
//!
//! | function | what [`crate::check_block`] then says about the block |
//! | --- | --- |
//! | [`bit_flip`] | checksum mismatch (or whatever the flipped header field breaks) |
//! | [`zero_sector`] | sector 0: bad header; last sector: fractured; others: checksum mismatch |
//! | [`torn_write`] | fractured |
//! | [`misplace`] | wrong block |
//! | [`mark_corrupt`] | marked corrupt |
//! | [`sed`] | checksum mismatch in each block changed |

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::format::{is_all_zero, CacheHeader, IDENTIFY_BYTES, SEQ_MARKED_CORRUPT};
use crate::header::{identify, FileHeader, FileKind, Overrides};
use crate::writer::finish_block;

/// Size of a disk sector for [`zero_sector`].
pub const SECTOR: u64 = 512;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Opens `path` read-write and identifies it; an error if it is not a datafile.
fn open(path: &Path) -> io::Result<(File, FileHeader, u64)> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    let mut start = Vec::with_capacity(IDENTIFY_BYTES);
    Read::by_ref(&mut file)
        .take(IDENTIFY_BYTES as u64)
        .read_to_end(&mut start)?;
    match identify(&start, &Overrides::default()) {
        FileKind::Datafile(h) => Ok((file, h, len)),
        FileKind::NotDatafile { reason } => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a datafile: {reason}", path.display()),
        )),
    }
}

fn block_offset(h: &FileHeader, len: u64, block: u64) -> io::Result<u64> {
    let bs = u64::from(h.block_size);
    let off = block
        .checked_mul(bs)
        .filter(|off| off.checked_add(bs).is_some_and(|end| end <= len))
        .ok_or_else(|| invalid(format!("block {block} is beyond the end of the file")))?;
    Ok(off)
}

fn read_block(file: &mut File, h: &FileHeader, len: u64, block: u64) -> io::Result<Vec<u8>> {
    let off = block_offset(h, len, block)?;
    let mut buf = vec![0u8; h.block_size as usize];
    file.seek(SeekFrom::Start(off))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

fn write_at(file: &mut File, off: u64, bytes: &[u8]) -> io::Result<()> {
    file.seek(SeekFrom::Start(off))?;
    file.write_all(bytes)?;
    file.flush()
}

/// Replaces block `block` with `new`; returns `[block]` if that changed it, else `[]`.
fn replace_block(
    file: &mut File,
    h: &FileHeader,
    len: u64,
    block: u64,
    old: &[u8],
    new: &[u8],
) -> io::Result<Vec<u64>> {
    if old == new {
        return Ok(Vec::new());
    }
    write_at(file, block_offset(h, len, block)?, new)?;
    Ok(vec![block])
}

/// Flips bit `bit_offset` of block `block` (bit 0 is the least significant bit of the
/// block's first byte; at most block size * 8 - 1).
pub fn bit_flip(path: impl AsRef<Path>, block: u64, bit_offset: u64) -> io::Result<Vec<u64>> {
    let (mut file, h, len) = open(path.as_ref())?;
    let old = read_block(&mut file, &h, len, block)?;
    let mut new = old.clone();
    let byte = new
        .get_mut(usize::try_from(bit_offset / 8).unwrap_or(usize::MAX))
        .ok_or_else(|| invalid(format!("bit {bit_offset} is beyond the block")))?;
    *byte ^= 1 << (bit_offset % 8);
    replace_block(&mut file, &h, len, block, &old, &new)
}

/// Zeroes 512-byte sector `sector` of block `block`, as a lost or unwritten sector does.
pub fn zero_sector(path: impl AsRef<Path>, block: u64, sector: u64) -> io::Result<Vec<u64>> {
    let (mut file, h, len) = open(path.as_ref())?;
    let old = read_block(&mut file, &h, len, block)?;
    let mut new = old.clone();
    let from = usize::try_from(sector.saturating_mul(SECTOR)).unwrap_or(usize::MAX);
    let run = from
        .checked_add(SECTOR as usize)
        .and_then(|end| new.get_mut(from..end))
        .ok_or_else(|| invalid(format!("sector {sector} is beyond the block")))?;
    run.fill(0);
    replace_block(&mut file, &h, len, block, &old, &new)
}

/// A torn (fractured) write of block `block`: its first half stays as it is, its second half
/// comes from an older version of the same block (an SCN one lower, other row bytes, its own
/// valid tail and checksum). The header's SCN is then newer than the tail's. The block must
/// be formatted.
pub fn torn_write(path: impl AsRef<Path>, block: u64) -> io::Result<Vec<u64>> {
    let (mut file, h, len) = open(path.as_ref())?;
    let old = read_block(&mut file, &h, len, block)?;
    let order = h.byte_order;
    let header = match CacheHeader::parse(&old, order) {
        Some(c) if !is_all_zero(&old) => c,
        _ => return Err(invalid(format!("block {block} is not formatted"))),
    };
    // The older version: other bytes after the header, SCN - 1, then its own tail/checksum.
    let mut older = old.clone();
    for b in older.iter_mut().skip(20) {
        *b ^= 0x5a;
    }
    CacheHeader {
        scn: header.scn.wrapping_sub(1) & 0xffff_ffff_ffff,
        ..header
    }
    .write(&mut older, order);
    finish_block(&mut older, order);
    let half = old.len() / 2;
    let mut new = old.clone();
    if let (Some(dst), Some(src)) = (new.get_mut(half..), older.get(half..)) {
        dst.copy_from_slice(src);
    }
    replace_block(&mut file, &h, len, block, &old, &new)
}

/// Copies block `from_block` over block `to_block` (a write that landed at the wrong
/// offset). `from_block` should be a formatted block; copying an empty one makes
/// `to_block` empty, which is not a failure.
pub fn misplace(path: impl AsRef<Path>, from_block: u64, to_block: u64) -> io::Result<Vec<u64>> {
    let (mut file, h, len) = open(path.as_ref())?;
    let src = read_block(&mut file, &h, len, from_block)?;
    let old = read_block(&mut file, &h, len, to_block)?;
    replace_block(&mut file, &h, len, to_block, &old, &src)
}

/// Marks block `block` corrupt the way Oracle does ("soft corrupt"): `seq_kcbh` = 0xff,
/// with the tail and checksum made consistent. The block must be formatted.
pub fn mark_corrupt(path: impl AsRef<Path>, block: u64) -> io::Result<Vec<u64>> {
    let (mut file, h, len) = open(path.as_ref())?;
    let old = read_block(&mut file, &h, len, block)?;
    if is_all_zero(&old) {
        return Err(invalid(format!("block {block} is not formatted")));
    }
    let mut new = old.clone();
    if let Some(seq) = new.get_mut(14) {
        *seq = SEQ_MARKED_CORRUPT;
    }
    finish_block(&mut new, h.byte_order);
    replace_block(&mut file, &h, len, block, &old, &new)
}

/// Like `sed -i 's/FROM/TO/g'` on the file: replaces every non-overlapping occurrence of the
/// bytes `from` with `to`, left to right, in place. `from` and `to` are literal bytes (no
/// regular expression) of the same, non-zero length. As in sed, which works line by line,
/// a `from` containing a newline matches nothing. Returns the blocks changed, in any part
/// of the file (block 0 and block 1 included).
pub fn sed(path: impl AsRef<Path>, from: &[u8], to: &[u8]) -> io::Result<Vec<u64>> {
    if from.is_empty() || from.len() != to.len() {
        return Err(invalid(
            "sed: FROM and TO must be non-empty and of the same length".to_string(),
        ));
    }
    let (mut file, h, len) = open(path.as_ref())?;
    if from.contains(&b'\n') || from == to {
        return Ok(Vec::new());
    }
    let bs = u64::from(h.block_size);
    let n = from.len();
    let mut changed: Vec<u64> = Vec::new();
    // `window` holds the file from `window_start`; positions below `tested` were tested.
    let mut window: Vec<u8> = Vec::new();
    let mut window_start: u64 = 0;
    let mut next_allowed: u64 = 0; // a match may not start inside the previous one
    let mut chunk = vec![0u8; 1 << 20];
    let mut read_pos: u64 = 0;
    loop {
        file.seek(SeekFrom::Start(read_pos))?;
        let got = file.read(&mut chunk)?;
        window.extend_from_slice(chunk.get(..got).unwrap_or(&[]));
        read_pos += got as u64;
        let at_end = got == 0 || read_pos >= len;
        let mut i = 0usize;
        while i + n <= window.len() {
            let abs = window_start + i as u64;
            if abs >= next_allowed && window.get(i..i + n) == Some(from) {
                write_at(&mut file, abs, to)?;
                if let Some(w) = window.get_mut(i..i + n) {
                    w.copy_from_slice(to);
                }
                let first = abs / bs;
                let last = (abs + n as u64 - 1) / bs;
                for b in first..=last {
                    if changed.last() != Some(&b) {
                        changed.push(b);
                    }
                }
                next_allowed = abs + n as u64;
                i += n;
            } else {
                i += 1;
            }
        }
        if at_end {
            break;
        }
        // Keep the last n - 1 bytes: a match may start there.
        let keep = window.len().min(n - 1);
        let drop = window.len() - keep;
        window.drain(..drop);
        window_start += drop as u64;
    }
    changed.dedup();
    Ok(changed)
}

//! Block checks ([`check_block`]) and whole-file verification ([`verify_file`]).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::{
    block_checksum, format_matches, is_all_zero, rdba, rdba_parts, stored_tail, ByteOrder,
    CacheHeader, CACHE_HEADER_LEN, FLAG_CHECKSUM, IDENTIFY_BYTES, SEQ_MARKED_CORRUPT, TAIL_LEN,
};
use crate::header::{identify, FileHeader, FileKind, Overrides};

/// The result of checking one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// A formatted block that passes every check.
    Ok,
    /// An all-zero block: never formatted (not corrupt).
    Empty,
    /// The checksum flag is set (or a non-zero checksum is stored) and the XOR of the block's
    /// 16-bit words is not zero. `computed` is the value `chkval_kcbh` would need to hold.
    ChecksumMismatch {
        /// `chkval_kcbh` as stored.
        stored: u16,
        /// The checksum the block's current contents call for.
        computed: u16,
    },
    /// The tail check word does not match the cache header (split/torn block).
    Fractured {
        /// The tail word stored in the last four bytes.
        tail: u32,
        /// The tail word the cache header implies ([`CacheHeader::tail`]).
        expected: u32,
    },
    /// The block's rdba names another block: a misplaced write or a copy at the wrong offset.
    WrongBlock {
        /// `rdba_kcbh` as found.
        found_rdba: u32,
        /// The rdba this position in this file calls for.
        expected_rdba: u32,
    },
    /// The cache header is not one of a formatted block.
    BadHeader {
        /// What is wrong, e.g. "unexpected block format (frmt_kcbh)".
        reason: &'static str,
    },
    /// Oracle marked the block corrupt (`seq_kcbh` = 0xff, "soft corrupt").
    MarkedCorrupt,
}

impl Verdict {
    /// Whether the block is formatted and good.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok)
    }

    /// Whether the block is bad (anything but [`Verdict::Ok`] and [`Verdict::Empty`]).
    pub fn is_failure(&self) -> bool {
        !matches!(self, Verdict::Ok | Verdict::Empty)
    }

    /// A stable snake_case name of the variant ("checksum_mismatch", ...), the same as the
    /// `kind` field of its JSON form.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Empty => "empty",
            Verdict::ChecksumMismatch { .. } => "checksum_mismatch",
            Verdict::Fractured { .. } => "fractured",
            Verdict::WrongBlock { .. } => "wrong_block",
            Verdict::BadHeader { .. } => "bad_header",
            Verdict::MarkedCorrupt => "marked_corrupt",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ok => f.write_str("ok"),
            Verdict::Empty => f.write_str("empty (never formatted)"),
            Verdict::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#06x}, computed {computed:#06x})"
            ),
            Verdict::Fractured { tail, expected } => write!(
                f,
                "fractured block (tail {tail:#010x}, header implies {expected:#010x})"
            ),
            Verdict::WrongBlock {
                found_rdba,
                expected_rdba,
            } => {
                let (ff, fb) = rdba_parts(*found_rdba);
                let (ef, eb) = rdba_parts(*expected_rdba);
                write!(
                    f,
                    "wrong block (rdba {found_rdba:#010x} ({ff}/{fb}), expected \
                     {expected_rdba:#010x} ({ef}/{eb}))"
                )
            }
            Verdict::BadHeader { reason } => write!(f, "bad cache header: {reason}"),
            Verdict::MarkedCorrupt => f.write_str("marked corrupt by Oracle (seq 0xff)"),
        }
    }
}

/// What [`check_block`] needs to know about the file a block belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    /// Byte order of the file.
    pub byte_order: ByteOrder,
    /// Tablespace-relative file number of the file. 0 means unknown (block 1 unreadable):
    /// only the block-number part of smallfile rdbas is then checked.
    pub relative_file_number: u32,
    /// Bigfile tablespace: the rdba is the block number itself.
    pub bigfile: bool,
    /// Block size in bytes; blocks of another length are a [`Verdict::BadHeader`].
    pub block_size: u32,
}

impl BlockContext {
    /// The context for the blocks of the file `header` describes.
    pub fn for_header(header: &FileHeader) -> BlockContext {
        BlockContext {
            byte_order: header.byte_order,
            relative_file_number: header.relative_file_number,
            bigfile: header.bigfile,
            block_size: header.block_size,
        }
    }

    /// The rdba block `block_number` of this file must carry.
    pub fn expected_rdba(&self, block_number: u64) -> u32 {
        if self.bigfile {
            block_number as u32
        } else {
            rdba(self.relative_file_number as u16, block_number as u32)
        }
    }

    fn rdba_ok(&self, found: u32, block_number: u64) -> bool {
        if self.bigfile {
            u64::from(found) == block_number
        } else if self.relative_file_number == 0 {
            let (rfn, block) = rdba_parts(found);
            rfn != 0 && u64::from(block) == block_number
        } else {
            u64::from(found) == u64::from(self.expected_rdba(block_number))
                && block_number <= u64::from(crate::format::MAX_SMALLFILE_BLOCK)
        }
    }
}

impl From<&FileHeader> for BlockContext {
    fn from(header: &FileHeader) -> BlockContext {
        BlockContext::for_header(header)
    }
}

/// Checks one block (`block` is the whole block; `block_number` its position in the file,
/// block 0 being the OS header). Never panics.
///
/// Checks, in order, stopping at the first failure:
/// 1. length (must be the context's block size) — [`Verdict::BadHeader`];
/// 2. all zero — [`Verdict::Empty`];
/// 3. block type not 0 and `frmt_kcbh` 0x02 or the block-size class — [`Verdict::BadHeader`];
/// 4. `seq_kcbh` 0xff — [`Verdict::MarkedCorrupt`];
/// 5. rdba names this block — [`Verdict::WrongBlock`];
/// 6. tail = low 16 bits of the SCN base, type, seq — [`Verdict::Fractured`];
/// 7. checksum, when the checksum flag is set, or when a non-zero `chkval_kcbh` is stored
///    (Oracle clears `chkval_kcbh` when it does not compute one, so a non-zero value with the
///    flag clear means a flag bit flipped) — [`Verdict::ChecksumMismatch`].
pub fn check_block(block: &[u8], block_number: u64, ctx: &BlockContext) -> Verdict {
    check_block_scn(block, block_number, ctx).0
}

/// [`check_block`], also returning the block's SCN when it is [`Verdict::Ok`].
pub(crate) fn check_block_scn(
    block: &[u8],
    block_number: u64,
    ctx: &BlockContext,
) -> (Verdict, Option<u64>) {
    let bad = |reason| (Verdict::BadHeader { reason }, None);
    if block.len() < CACHE_HEADER_LEN + TAIL_LEN {
        return bad("block is shorter than a cache header and tail");
    }
    if u32::try_from(block.len()).ok() != Some(ctx.block_size) {
        return bad("block length differs from the block size");
    }
    if is_all_zero(block) {
        return (Verdict::Empty, None);
    }
    let order = ctx.byte_order;
    let Some(h) = CacheHeader::parse(block, order) else {
        return bad("block is shorter than a cache header");
    };
    if h.block_type == 0 {
        return bad("block type is zero in a formatted block");
    }
    if !format_matches(h.format, ctx.block_size) {
        return bad("unexpected block format (frmt_kcbh)");
    }
    if h.seq == SEQ_MARKED_CORRUPT {
        return (Verdict::MarkedCorrupt, None);
    }
    if !ctx.rdba_ok(h.rdba, block_number) {
        return (
            Verdict::WrongBlock {
                found_rdba: h.rdba,
                expected_rdba: ctx.expected_rdba(block_number),
            },
            None,
        );
    }
    let tail = stored_tail(block, order).unwrap_or(0);
    if tail != h.tail() {
        return (
            Verdict::Fractured {
                tail,
                expected: h.tail(),
            },
            None,
        );
    }
    if h.flags & FLAG_CHECKSUM != 0 || h.checksum != 0 {
        let folded = block_checksum(block);
        if folded != 0 {
            // `folded` is little-endian; the stored field is in the file's order.
            let delta = match order {
                ByteOrder::Little => folded,
                ByteOrder::Big => folded.swap_bytes(),
            };
            return (
                Verdict::ChecksumMismatch {
                    stored: h.checksum,
                    computed: h.checksum ^ delta,
                },
                None,
            );
        }
    }
    (Verdict::Ok, Some(h.scn))
}

/// A block that failed, as listed in a [`FileReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlockFailure {
    /// Block number (position in the file; block 0 is the OS header).
    pub block: u64,
    /// What is wrong with it (the verdict of the re-read).
    pub verdict: Verdict,
}

/// The result of verifying one datafile.
///
/// Counts follow DBVERIFY: "Total Pages Examined" is the number of blocks checked, blocks
/// 1..=N; block 0, the OS header, is not a page. (Published DBVERIFY runs: "Total Pages
/// Examined - if the entire file was scanned, this value will match the BLOCKS column for
/// the file in v$datafile", i.e. `kccfhfsz`; a 67117056-byte `users01.dbf` of 8 KiB blocks
/// gives `dbfsize` "8192 8192 byte blocks" and `dbv` "Total Pages Examined : 8192".)
/// DBVERIFY's "influx" pages are blocks it could not read consistently because they were
/// being written; here a failing block is read once more and counts as influx if it is then
/// good. Every examined block lands in exactly one of `pages_data`, `pages_empty`,
/// `pages_failing`, `pages_marked_corrupt` and `pages_influx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file verified.
    pub path: PathBuf,
    /// What its headers say.
    pub header: FileHeader,
    /// Blocks checked: every whole block after block 0 that the file holds (normally
    /// `header.blocks`; fewer for a truncated file, more if the file is longer).
    pub pages_examined: u64,
    /// Formatted blocks that passed every check.
    pub pages_data: u64,
    /// All-zero (never formatted) blocks.
    pub pages_empty: u64,
    /// Blocks that failed on the first read and again on the re-read (all verdicts but
    /// [`Verdict::MarkedCorrupt`]).
    pub pages_failing: u64,
    /// Blocks Oracle marked corrupt (seq 0xff), on both reads.
    pub pages_marked_corrupt: u64,
    /// Blocks that failed on the first read but were good (or empty) when re-read: being
    /// written during the check, DBVERIFY's "influx". A backup copy at rest has none.
    pub pages_influx: u64,
    /// Highest SCN in the cache header of a good block (DBVERIFY's "Highest block SCN").
    pub highest_scn: u64,
    /// The block holding `highest_scn` (0 if there is no good block).
    pub highest_scn_block: u64,
    /// Failing and marked-corrupt blocks in block order, at most
    /// [`VerifyOptions::max_failures_listed`] of them.
    pub failures: Vec<BlockFailure>,
    /// Failures counted but not listed in `failures` because of the limit.
    pub failures_not_listed: u64,
    /// File-level size problem: shorter than its header says, or not a whole number of
    /// blocks. `Some` makes the file fail.
    pub truncated: Option<String>,
}

impl FileReport {
    /// Whether the file passed: no failing or marked-corrupt block, not truncated, and no
    /// problem noted in block 0 or block 1 ([`FileHeader::notes`]).
    pub fn is_clean(&self) -> bool {
        self.pages_failing == 0
            && self.pages_marked_corrupt == 0
            && self.truncated.is_none()
            && self.header.notes.is_empty()
    }
}

/// The result of [`verify_file`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
// One Outcome per file verified: the size difference does not matter, and the unboxed
// report keeps the API simple to match on.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// The file is a datafile and was verified.
    Verified(FileReport),
    /// The file is not a datafile (archived log, control file, text, empty, ...).
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why, as given by [`identify`].
        reason: String,
    },
}

/// How [`verify_file`] works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Block size / byte order to use instead of the detected ones.
    pub overrides: Overrides,
    /// Read buffer size in bytes (rounded down to whole blocks, at least one block).
    /// Default 1 MiB.
    pub buffer_bytes: usize,
    /// At most this many failures are listed in [`FileReport::failures`]; counts stay exact.
    /// Default 10 000.
    pub max_failures_listed: usize,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            overrides: Overrides::default(),
            buffer_bytes: 1 << 20,
            max_failures_listed: 10_000,
        }
    }
}

/// Why [`verify_file`] could not verify a file. Messages name the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Opening, sizing or reading the file failed.
    #[error("{}: cannot {op}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: "open", "stat", "read", "seek".
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Verifies every block of the datafile at `path`.
///
/// Streams the file with `read()` into one fixed buffer ([`VerifyOptions::buffer_bytes`])
/// plus one block for re-reads, so memory use does not depend on the file size; no mmap.
/// A block that fails is read again from disk once; if it is then good it counts as influx.
/// `progress` is called with the number of bytes processed so far after each buffer.
///
/// Files that are not datafiles are [`Outcome::Skipped`]; only I/O failures are errors.
pub fn verify_file(
    path: &Path,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, VerifyError> {
    let io_err = |op: &'static str| {
        move |source: io::Error| VerifyError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    };
    let meta = std::fs::metadata(path).map_err(io_err("stat"))?;
    if meta.is_dir() {
        return Ok(Outcome::Skipped {
            path: path.to_path_buf(),
            reason: "a directory".to_string(),
        });
    }
    let file = File::open(path).map_err(io_err("open"))?;
    let mut source = FileSource { file, pos: 0 };
    verify_source(path, &mut source, opts, progress)
}

/// Where [`verify_source`] reads blocks from. Test seam, not a stable API.
#[doc(hidden)]
pub trait BlockSource {
    /// Size of the file in bytes.
    fn size(&mut self) -> io::Result<u64>;
    /// Reads up to `buf.len()` bytes at `offset`; 0 means end of file.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

/// A [`BlockSource`] over a file: sequential `read()`s, a `seek()` only when the offset is
/// not where the last read ended (re-reads).
#[doc(hidden)]
pub struct FileSource {
    /// The file.
    pub file: File,
    /// Current file position.
    pub pos: u64,
}

impl BlockSource for FileSource {
    fn size(&mut self) -> io::Result<u64> {
        let meta = self.file.metadata()?;
        if meta.is_file() {
            return Ok(meta.len());
        }
        // Block devices (raw-device copies) report length 0: ask the device.
        self.pos = self.file.seek(SeekFrom::End(0))?;
        Ok(self.pos)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset != self.pos {
            self.pos = self.file.seek(SeekFrom::Start(offset))?;
        }
        let n = loop {
            match self.file.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

/// Fills `buf` from `offset` until full or end of file; returns the bytes read.
fn read_full(src: &mut dyn BlockSource, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..) {
        if rest.is_empty() {
            break;
        }
        let n = src.read_at(offset + done as u64, rest)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// [`verify_file`] over any [`BlockSource`]. Test seam, not a stable API.
#[doc(hidden)]
pub fn verify_source(
    path: &Path,
    src: &mut dyn BlockSource,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, VerifyError> {
    let io_err = |op: &'static str| {
        move |source: io::Error| VerifyError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    };
    let size = src.size().map_err(io_err("stat"))?;

    let mut start = vec![0u8; IDENTIFY_BYTES.min(usize::try_from(size).unwrap_or(usize::MAX))];
    let got = read_full(src, 0, &mut start).map_err(io_err("read"))?;
    start.truncate(got);
    let header = match identify(&start, &opts.overrides) {
        FileKind::Datafile(h) => h,
        FileKind::NotDatafile { reason } => {
            return Ok(Outcome::Skipped {
                path: path.to_path_buf(),
                reason,
            })
        }
    };
    drop(start);

    let ctx = BlockContext::for_header(&header);
    let bs = u64::from(header.block_size);
    let bs_usize = header.block_size as usize;
    let whole_blocks = size / bs;
    let ragged = size % bs;
    let expected_blocks = header.blocks.saturating_add(1);

    let mut problems = Vec::new();
    if whole_blocks < expected_blocks {
        problems.push(format!(
            "file has {size} bytes, its header says {} blocks of {bs} bytes plus block 0 \
             ({} bytes): {} block(s) missing",
            header.blocks,
            expected_blocks.saturating_mul(bs),
            expected_blocks - whole_blocks
        ));
    }
    if ragged != 0 {
        problems.push(format!(
            "file size {size} is not a whole number of {bs}-byte blocks ({ragged} trailing bytes)"
        ));
    }

    let mut report = FileReport {
        path: path.to_path_buf(),
        header,
        pages_examined: 0,
        pages_data: 0,
        pages_empty: 0,
        pages_failing: 0,
        pages_marked_corrupt: 0,
        pages_influx: 0,
        highest_scn: 0,
        highest_scn_block: 0,
        failures: Vec::new(),
        failures_not_listed: 0,
        truncated: None,
    };

    let per_buffer = (opts.buffer_bytes / bs_usize).max(1);
    let mut buf = vec![0u8; per_buffer * bs_usize];
    let mut reread = vec![0u8; bs_usize];
    let mut next_block: u64 = 1;
    let mut short_read = false;
    while next_block < whole_blocks {
        let want = (whole_blocks - next_block).min(per_buffer as u64) as usize * bs_usize;
        let Some(chunk) = buf.get_mut(..want) else {
            break;
        };
        let offset = next_block * bs;
        let got = read_full(src, offset, chunk).map_err(io_err("read"))?;
        if got < want {
            short_read = true;
        }
        for block in chunk.get(..got).unwrap_or(&[]).chunks_exact(bs_usize) {
            let n = next_block;
            next_block += 1;
            report.pages_examined += 1;
            let (mut verdict, mut scn) = check_block_scn(block, n, &ctx);
            let mut influx = false;
            if verdict.is_failure() {
                let again = read_full(src, n * bs, &mut reread).map_err(io_err("read"))?;
                if again == bs_usize {
                    let (v2, s2) = check_block_scn(&reread, n, &ctx);
                    influx = !v2.is_failure();
                    verdict = v2;
                    scn = s2;
                }
            }
            match verdict {
                _ if influx => {
                    report.pages_influx += 1;
                    note_scn(&mut report, scn, n);
                }
                Verdict::Ok => {
                    report.pages_data += 1;
                    note_scn(&mut report, scn, n);
                }
                Verdict::Empty => report.pages_empty += 1,
                v => {
                    if v == Verdict::MarkedCorrupt {
                        report.pages_marked_corrupt += 1;
                    } else {
                        report.pages_failing += 1;
                    }
                    if report.failures.len() < opts.max_failures_listed {
                        report.failures.push(BlockFailure {
                            block: n,
                            verdict: v,
                        });
                    } else {
                        report.failures_not_listed += 1;
                    }
                }
            }
        }
        progress(offset + got as u64);
        if short_read {
            break;
        }
    }
    if short_read {
        problems.push(format!(
            "file ended at block {next_block} while reading (it shrank during the check?)"
        ));
    }
    progress(size);
    if !problems.is_empty() {
        report.truncated = Some(problems.join("; "));
    }
    Ok(Outcome::Verified(report))
}

fn note_scn(report: &mut FileReport, scn: Option<u64>, block: u64) {
    if let Some(scn) = scn {
        if scn > report.highest_scn || report.highest_scn_block == 0 {
            report.highest_scn = scn;
            report.highest_scn_block = block;
        }
    }
}

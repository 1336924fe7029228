//! Oracle datafile format: header parsing, block verification and a writer for tests.
//!
//! Incrementally updated RMAN image copies are never re-read by the merges that keep them
//! current: a block that rots in the copy is found only at restore time (ORA-19566). This
//! crate checks every block of a datafile (or image copy) without an Oracle instance, the way
//! DBVERIFY's physical checks do, at storage speed:
//!
//! * [`identify`] tells datafiles from archived logs, control files and other files, and
//!   decodes block 0 (the OS block header) and block 1 (the datafile header) into a
//!   [`FileHeader`], in either byte order.
//! * [`check_block`] checks one block: cache header, rdba, tail and checksum ([`Verdict`]).
//! * [`verify_file`] streams a whole file through [`check_block`] into a [`FileReport`]
//!   with DBVERIFY's counts.
//! * [`writer`] writes valid datafiles (tests, the Oracle simulator, benchmarks);
//!   [`damage`] corrupts them in the ways storage does.
//!
//! The layouts and where each fact comes from are documented in the source of the `format`
//! and `header` modules.

mod format;
mod header;
mod verify;

pub mod damage;
pub mod writer;

pub use format::{
    block_checksum, block_size_for_format, format_for_block_size, format_matches, is_all_zero,
    is_valid_block_size, rdba, rdba_parts, stored_tail, ByteOrder, CacheHeader,
    BIGFILE_RELATIVE_FILE_NUMBER, BLOCK_SIZES, BLOCK_TYPE_BACKUP_PIECE, BLOCK_TYPE_CONTROL_FILE,
    BLOCK_TYPE_DATA, BLOCK_TYPE_FILE_HEADER, CACHE_HEADER_LEN, FLAG_CHECKSUM, FLAG_CLEANOUT,
    FLAG_TEMPORARY, FLAG_VIRGIN, FORMAT_V8, IDENTIFY_BYTES, MAX_BLOCK_SIZE, MAX_SMALLFILE_BLOCK,
    MIN_BLOCK_SIZE, RDBA_BLOCK_BITS, SEQ_MARKED_CORRUPT, TAIL_LEN,
};
pub use header::{
    identify, FileHeader, FileKind, Overrides, FILE_TYPE_CONTROL, FILE_TYPE_DATAFILE,
    FILE_TYPE_UNDO, OS_HEADER_MAGIC, REASON_BACKUP_PIECE, REASON_CONTROL_FILE, REASON_NOT_ORACLE,
    REASON_REDO_LOG,
};
pub use verify::{
    check_block, verify_file, BlockContext, BlockFailure, FileReport, Outcome, Verdict,
    VerifyError, VerifyOptions,
};
#[doc(hidden)]
pub use verify::{verify_source, BlockSource, FileSource};

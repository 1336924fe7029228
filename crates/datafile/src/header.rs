//! Block 0 (the OS block header) and block 1 (the datafile header, `struct kcvfh`), and
//! [`identify`], which tells datafiles from other files.
//!
//! Sources (all offsets are byte offsets from the start of the block):
//! * [os-header] Block 0, "OS block header": Oracle Support note 360032.1 ("How to Detect and
//!   Fix a Corruption in the Datafile OS Header/Block Zero") describes it (magic number, block
//!   size, file size in blocks; `dbfsize` checks it). Byte layout from a published `od -x`
//!   of a 12.1 Linux `system01.dbf` ("Size of the datafile recorded in the Oracle database
//!   datafile header", topic.alibabacloud.com): `0000000 a200 0000 0000 ffc0 ... 0000020
//!   6567 0000 2000 0000 9f00 0001 7c7d 7a7b`, i.e. byte 1 = 0xa2, block size 8192 @20,
//!   106240 blocks @24 (the file is 106241 blocks long: the count excludes block 0), magic
//!   0x7a7b7c7d @28. The same layout (`block_size` @20, `number_of_blocks` @24, magic @28,
//!   big-endian when the magic reads 0x7d7c7b7a little-endian, file size = (blocks + 1) *
//!   block size, byte 1 = 0x22 for 512/1024-byte and 0x82 for 4 KiB redo logs) is what
//!   OpenLogReplicator's redo-log reader checks.
//! * [bbed-kcvfh] Block 1, BBED `p kcvfh` of 10g/11g/12c datafiles (e.g.
//!   <http://www.ohsdba.cn/index.php?g=Home&m=Article&a=show&id=54>,
//!   <https://sundar5.wordpress.com/2010/06/15/data-file-first-block-structure-dba-41/>):
//!   `kcvfhbfh` (the cache header) @0; `kcvfhhdr` @20: `kccfhswv` @20, `kccfhcvn` @24,
//!   `kccfhdbi` (dbid) @28, `kccfhdbn[8]` (db name) @32, `kccfhcsq` @40, `kccfhfsz` (file
//!   size in blocks, excluding block 0) @44, `kccfhbsz` @48, `kccfhfno` (ub2, file number)
//!   @52, `kccfhtyp` (ub2, 3 = datafile, 6 = undo datafile; 1 = control file in a controlfile
//!   dump) @54; `kcvfhrdb` @96; `kcvfhcrs` (creation SCN: `kscnbas` @100, `kscnwrp` @104);
//!   `kcvfhrls` (resetlogs SCN) @116/@120; `kcvfhsta` @138; `kcvfhtsn` @332; `kcvfhtln`
//!   (ub2) @336; `kcvfhtnm[30]` @338; `kcvfhrfn` (relative file number) @368; `kcvfhckp`
//!   (checkpoint: `kcvcpscn` `kscnbas` @484, `kscnwrp` @488). BBED prints `kccfhbsz` as an
//!   `s_blkz` 0x00, but a BBED hex dump of offsets 44..75 of an 8 KiB file reads
//!   `005e0100 00200000 02000300`: the block size 0x2000 is a ub4 at 48.
//! * Bigfile: a BBED dump of a bigfile tablespace's datafile header shows
//!   `rdba_kcbh 0x00000001` and `kcvfhrfn 0x00000400`.

use serde::Serialize;

use crate::format::{
    format_for_block_size, format_matches, is_valid_block_size, rdba_parts, ByteOrder, CacheHeader,
    BIGFILE_RELATIVE_FILE_NUMBER, BLOCK_SIZES, BLOCK_TYPE_BACKUP_PIECE, BLOCK_TYPE_CONTROL_FILE,
    BLOCK_TYPE_FILE_HEADER,
};

/// Magic number of the OS block header (block 0) @28, in the file's byte order [os-header].
pub const OS_HEADER_MAGIC: u32 = 0x7a7b_7c7d;

// Block 0 offsets [os-header].
pub(crate) const OS_FORMAT: usize = 1;
pub(crate) const OS_RDBA: usize = 4;
pub(crate) const OS_BLOCK_SIZE: usize = 20;
pub(crate) const OS_BLOCKS: usize = 24;
pub(crate) const OS_MAGIC: usize = 28;
/// The published block-0 dumps carry 0xffc00000 (read in the file's order) at @4.
pub(crate) const OS_RDBA_VALUE: u32 = 0xffc0_0000;

// Block 1 (`kcvfh`) offsets [bbed-kcvfh].
pub(crate) const KCCFHCVN: usize = 24;
pub(crate) const KCCFHDBI: usize = 28;
pub(crate) const KCCFHDBN: usize = 32;
pub(crate) const KCCFHDBN_LEN: usize = 8;
pub(crate) const KCCFHCSQ: usize = 40;
pub(crate) const KCCFHFSZ: usize = 44;
pub(crate) const KCCFHBSZ: usize = 48;
pub(crate) const KCCFHFNO: usize = 52;
pub(crate) const KCCFHTYP: usize = 54;
pub(crate) const KCVFHCRS: usize = 100;
pub(crate) const KCVFHRLS: usize = 116;
pub(crate) const KCVFHSTA: usize = 138;
pub(crate) const KCVFHTSN: usize = 332;
pub(crate) const KCVFHTLN: usize = 336;
pub(crate) const KCVFHTNM: usize = 338;
pub(crate) const KCVFHTNM_LEN: usize = 30;
pub(crate) const KCVFHRFN: usize = 368;
pub(crate) const KCVFHCKP: usize = 484;

/// `kccfhtyp` of a datafile [bbed-kcvfh].
pub const FILE_TYPE_DATAFILE: u16 = 3;
/// `kccfhtyp` of an undo tablespace's datafile [bbed-kcvfh].
pub const FILE_TYPE_UNDO: u16 = 6;
/// `kccfhtyp` of a control file (controlfile dumps print "File Type=1 CONTROL").
pub const FILE_TYPE_CONTROL: u16 = 1;

/// Reason given by [`identify`] for archived (and online) redo logs.
pub const REASON_REDO_LOG: &str = "archived redo log";
/// Reason given by [`identify`] for control files.
pub const REASON_CONTROL_FILE: &str = "control file";
/// Reason given by [`identify`] for anything that is not an Oracle file (text, empty, ...).
pub const REASON_NOT_ORACLE: &str = "not an Oracle file";
/// Reason given by [`identify`] for RMAN backup pieces.
pub const REASON_BACKUP_PIECE: &str = "RMAN backup piece";

/// What the headers of a datafile say about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileHeader {
    /// Byte order of the file (from the block 0 magic, or the block 1 block-size field).
    pub byte_order: ByteOrder,
    /// Block size in bytes (2048..=32768).
    pub block_size: u32,
    /// Blocks in the file after block 0 (`kccfhfsz`, falling back to block 0's count): the
    /// datafile's size as Oracle sees it (`v$datafile.blocks`); the blocks are numbered
    /// 1..=`blocks` and the file is `(blocks + 1) * block_size` bytes long.
    pub blocks: u64,
    /// Database id (`kccfhdbi`).
    pub dbid: u32,
    /// Database name (`kccfhdbn`, up to 8 characters).
    pub db_name: String,
    /// Absolute file number (`kccfhfno`).
    pub file_number: u32,
    /// Tablespace-relative file number: from the rdba of block 1 for smallfile tablespaces,
    /// `kcvfhrfn` (1024) for bigfile ones; 0 when block 1 is unreadable (unknown).
    pub relative_file_number: u32,
    /// `kccfhtyp`: 3 = datafile, 6 = undo datafile.
    pub file_type: u16,
    /// Tablespace name (`kcvfhtnm`, up to 30 characters).
    pub tablespace: String,
    /// Checkpoint SCN of the file (`kcvfhckp.kcvcpscn`).
    pub checkpoint_scn: u64,
    /// SCN at which the file was created (`kcvfhcrs`).
    pub creation_scn: u64,
    /// Resetlogs SCN (`kcvfhrls`).
    pub resetlogs_scn: u64,
    /// Whether the file belongs to a bigfile tablespace (rdba = block number, 32 bits).
    pub bigfile: bool,
    /// Problems found in block 0 or block 1 while identifying the file (block 0 magic bad,
    /// block 0 and block 1 disagreeing, block 1 unreadable, ...). Empty for a healthy file.
    /// Block 1 is also checked like every other block during verification.
    pub notes: Vec<String>,
}

/// What [`identify`] made of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileKind {
    /// An Oracle datafile (or datafile image copy).
    Datafile(FileHeader),
    /// Something else. `reason` starts with one of [`REASON_REDO_LOG`],
    /// [`REASON_CONTROL_FILE`], [`REASON_BACKUP_PIECE`] or [`REASON_NOT_ORACLE`].
    NotDatafile {
        /// Why the file is not verified, e.g. "archived redo log".
        reason: String,
    },
}

/// Values to use instead of what the headers say (for files whose block 0 is damaged, or
/// when the detection picks the wrong value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Block size in bytes (2048..=32768, power of two).
    pub block_size: Option<u32>,
    /// Byte order.
    pub byte_order: Option<ByteOrder>,
}

/// What block 0 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OsHeader {
    pub order: ByteOrder,
    pub format: u8,
    pub block_size: u32,
    pub blocks: u32,
}

/// Decodes block 0 if it carries the OS header magic; the magic's byte order is the file's.
pub(crate) fn parse_os_header(start: &[u8]) -> Option<OsHeader> {
    if *start.first()? != 0 {
        return None;
    }
    let magic = ByteOrder::Little.u32_at(start, OS_MAGIC)?;
    let order = if magic == OS_HEADER_MAGIC {
        ByteOrder::Little
    } else if magic.swap_bytes() == OS_HEADER_MAGIC {
        ByteOrder::Big
    } else {
        return None;
    };
    Some(OsHeader {
        order,
        format: *start.get(OS_FORMAT)?,
        block_size: order.u32_at(start, OS_BLOCK_SIZE)?,
        blocks: order.u32_at(start, OS_BLOCKS)?,
    })
}

/// Identifies the file whose first bytes are `start`.
///
/// Pass the first [`crate::IDENTIFY_BYTES`] bytes (or the whole file if it is shorter); with
/// fewer bytes, block 1 of large-block files cannot be read. Never panics.
///
/// Detection: block 0 carries the OS header magic (giving the byte order), the block size and
/// the block count; byte 1 of block 0 is 0x22 for redo logs. Block 1 is then read at that
/// block size: type 0x0b is a datafile header, 0x15 a control file, a redo block header
/// (0x01 then a format byte) a redo log. Without a valid block 0 (damaged, or a raw-device
/// copy), every block size and byte order is tried for a block 1 whose type is 0x0b, whose
/// rdba names block 1 and whose `kccfhbsz` equals the block size being tried. `overrides`
/// replace the detected block size and byte order.
pub fn identify(start: &[u8], overrides: &Overrides) -> FileKind {
    let Some(os) = parse_os_header(start) else {
        return probe_block1(
            start,
            overrides,
            "OS block header (block 0) is damaged or missing".to_string(),
        );
    };
    // Redo logs: 512- or 1024-byte blocks, or the redo "format" byte 0x22 in block 0.
    if overrides.block_size.is_none()
        && (os.block_size == 512 || os.block_size == 1024 || os.format == 0x22)
    {
        return not_datafile(REASON_REDO_LOG);
    }
    let bs = overrides.block_size.unwrap_or(os.block_size);
    let order = overrides.byte_order.unwrap_or(os.order);
    if !is_valid_block_size(bs) {
        // Magic intact but no usable block size: look for block 1 instead.
        return probe_block1(
            start,
            overrides,
            format!(
                "OS block header (block 0) gives block size {}, not a datafile block size",
                os.block_size
            ),
        );
    }
    let block1 = block_at(start, bs, 1);
    if let Some(kind) = other_oracle_file(block1) {
        return kind;
    }
    let mut notes = Vec::new();
    if os.block_size != bs {
        notes.push(format!(
            "OS block header (block 0) gives block size {}, using {bs}",
            os.block_size
        ));
    }
    if !format_matches(os.format, bs) {
        notes.push(format!(
            "OS block header (block 0) has format byte {:#04x}, expected {:#04x}",
            os.format,
            format_for_block_size(bs).unwrap_or(0)
        ));
    }
    if let Some(b1) = block1.filter(|b| b.first() == Some(&BLOCK_TYPE_FILE_HEADER)) {
        let mut header = parse_file_header(b1, bs, order);
        if header.blocks == 0 && os.blocks != 0 {
            header.blocks = u64::from(os.blocks);
            header.notes.push(
                "file header (block 1) gives 0 blocks; using the OS block header's count"
                    .to_string(),
            );
        } else if header.blocks != u64::from(os.blocks) {
            header.notes.push(format!(
                "OS block header (block 0) gives {} blocks, the file header (block 1) {}",
                os.blocks, header.blocks
            ));
        }
        notes.append(&mut header.notes);
        header.notes = notes;
        return FileKind::Datafile(header);
    }
    // Block 1 missing or not a file header. If block 0 is a datafile OS header (a datafile
    // block size and its format byte), this is a damaged datafile: report it so that the
    // verification lists block 1, rather than skipping the file.
    if !format_matches(os.format, bs) && overrides.block_size.is_none() {
        return not_datafile(REASON_NOT_ORACLE);
    }
    notes.push(match block1 {
        Some(_) => {
            "file header (block 1) is unreadable; database and tablespace fields are unknown"
                .to_string()
        }
        None => "file ends before the file header (block 1)".to_string(),
    });
    FileKind::Datafile(FileHeader {
        byte_order: order,
        block_size: bs,
        blocks: u64::from(os.blocks),
        dbid: 0,
        db_name: String::new(),
        file_number: 0,
        relative_file_number: block1.map_or(0, |b| relative_file_number_guess(b, order)),
        file_type: 0,
        tablespace: String::new(),
        checkpoint_scn: 0,
        creation_scn: 0,
        resetlogs_scn: 0,
        bigfile: block1.is_some_and(|b| {
            order.u32_at(b, 4) == Some(1)
                || order.u32_at(b, KCVFHRFN) == Some(BIGFILE_RELATIVE_FILE_NUMBER)
        }),
        notes,
    })
}

fn not_datafile(reason: &str) -> FileKind {
    FileKind::NotDatafile {
        reason: reason.to_string(),
    }
}

/// Without a usable block 0: looks for block 1 at every candidate block size and byte order
/// (type 0x0b, rdba naming block 1, `kccfhbsz` equal to the size tried). A datafile found
/// this way carries `note`.
fn probe_block1(start: &[u8], overrides: &Overrides, note: String) -> FileKind {
    let sizes: Vec<u32> = match overrides.block_size {
        Some(bs) => vec![bs],
        None => BLOCK_SIZES.to_vec(),
    };
    let orders: Vec<ByteOrder> = match overrides.byte_order {
        Some(o) => vec![o],
        None => ByteOrder::ALL.to_vec(),
    };
    for &bs in &sizes {
        if !is_valid_block_size(bs) {
            continue;
        }
        let Some(b1) = block_at(start, bs, 1) else {
            continue;
        };
        for &order in &orders {
            if order.u32_at(b1, KCCFHBSZ) != Some(bs) {
                continue;
            }
            match b1.first() {
                Some(&BLOCK_TYPE_FILE_HEADER) if names_block_one(b1, order) => {
                    let mut header = parse_file_header(b1, bs, order);
                    header.notes.insert(0, note);
                    return FileKind::Datafile(header);
                }
                Some(&BLOCK_TYPE_CONTROL_FILE) => return not_datafile(REASON_CONTROL_FILE),
                _ => {}
            }
        }
    }
    not_datafile(REASON_NOT_ORACLE)
}

/// Block `n` of `start` at block size `bs`, if `start` holds all of it.
fn block_at(start: &[u8], bs: u32, n: usize) -> Option<&[u8]> {
    let bs = usize::try_from(bs).ok()?;
    let from = bs.checked_mul(n)?;
    start.get(from..from.checked_add(bs)?)
}

/// Control files, redo logs and backup pieces recognised from block 1.
fn other_oracle_file(block1: Option<&[u8]>) -> Option<FileKind> {
    let b = block1?;
    let reason = match (b.first()?, b.get(1)?) {
        (&BLOCK_TYPE_CONTROL_FILE, _) => REASON_CONTROL_FILE,
        // Redo blocks start with 0x01 and the redo format byte (0x22 for 512-byte blocks).
        (0x01, &f) if f & 0x1f == 0x02 => REASON_REDO_LOG,
        (&BLOCK_TYPE_BACKUP_PIECE, _) => REASON_BACKUP_PIECE,
        (&BLOCK_TYPE_FILE_HEADER, _) => {
            // A kcvfh-style header whose kccfhtyp says control file.
            let typ = ByteOrder::ALL
                .iter()
                .filter_map(|o| o.u16_at(b, KCCFHTYP))
                .any(|t| t == FILE_TYPE_CONTROL);
            if typ {
                REASON_CONTROL_FILE
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(FileKind::NotDatafile {
        reason: reason.to_string(),
    })
}

/// Whether block 1's rdba names block 1: smallfile (rfn != 0, block 1) or bigfile (1).
fn names_block_one(b1: &[u8], order: ByteOrder) -> bool {
    match order.u32_at(b1, 4) {
        Some(1) => true,
        Some(r) => {
            let (rfn, block) = rdba_parts(r);
            rfn != 0 && block == 1
        }
        None => false,
    }
}

/// Relative file number from block 1's rdba (if it names block 1) or `kcvfhrfn`; 0 if none.
fn relative_file_number_guess(b1: &[u8], order: ByteOrder) -> u32 {
    if let Some(r) = order.u32_at(b1, 4) {
        let (rfn, block) = rdba_parts(r);
        if rfn != 0 && block == 1 {
            return u32::from(rfn);
        }
    }
    match order.u32_at(b1, KCVFHRFN) {
        Some(rfn) if (1..=BIGFILE_RELATIVE_FILE_NUMBER).contains(&rfn) => rfn,
        _ => 0,
    }
}

/// Text field: bytes up to the first NUL, trailing blanks trimmed, lossy UTF-8.
fn text(b: &[u8], off: usize, len: usize) -> String {
    let raw = b.get(off..off.saturating_add(len)).unwrap_or(&[]);
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(raw.get(..end).unwrap_or(&[]))
        .trim_end()
        .to_string()
}

/// Decodes the datafile header from block 1 (`b1`, one block long).
fn parse_file_header(b1: &[u8], bs: u32, order: ByteOrder) -> FileHeader {
    let mut notes = Vec::new();
    let rdba_b1 = order.u32_at(b1, 4).unwrap_or(0);
    let rfn_field = order.u32_at(b1, KCVFHRFN).unwrap_or(0);
    let bigfile = rdba_b1 == 1 || rfn_field == BIGFILE_RELATIVE_FILE_NUMBER;
    let relative_file_number = if bigfile {
        BIGFILE_RELATIVE_FILE_NUMBER
    } else {
        let (rfn, block) = rdba_parts(rdba_b1);
        if block != 1 || rfn == 0 {
            notes.push(format!(
                "file header (block 1) rdba {rdba_b1:#010x} does not name block 1"
            ));
            relative_file_number_guess(b1, order)
        } else {
            if rfn_field != u32::from(rfn) {
                notes.push(format!(
                    "file header relative file number {rfn_field} differs from its rdba's {rfn}"
                ));
            }
            u32::from(rfn)
        }
    };
    match order.u32_at(b1, KCCFHBSZ) {
        Some(v) if v == bs => {}
        Some(v) => notes.push(format!(
            "file header (block 1) gives block size {v}, using {bs}"
        )),
        None => {}
    }
    if let Some(h) = CacheHeader::parse(b1, order) {
        if !crate::format::format_matches(h.format, bs) {
            notes.push(format!(
                "file header (block 1) has format byte {:#04x}",
                h.format
            ));
        }
    }
    let tln = usize::from(order.u16_at(b1, KCVFHTLN).unwrap_or(0)).min(KCVFHTNM_LEN);
    FileHeader {
        byte_order: order,
        block_size: bs,
        blocks: u64::from(order.u32_at(b1, KCCFHFSZ).unwrap_or(0)),
        dbid: order.u32_at(b1, KCCFHDBI).unwrap_or(0),
        db_name: text(b1, KCCFHDBN, KCCFHDBN_LEN),
        file_number: u32::from(order.u16_at(b1, KCCFHFNO).unwrap_or(0)),
        relative_file_number,
        file_type: order.u16_at(b1, KCCFHTYP).unwrap_or(0),
        tablespace: text(b1, KCVFHTNM, if tln == 0 { KCVFHTNM_LEN } else { tln }),
        checkpoint_scn: order.scn_at(b1, KCVFHCKP).unwrap_or(0),
        creation_scn: order.scn_at(b1, KCVFHCRS).unwrap_or(0),
        resetlogs_scn: order.scn_at(b1, KCVFHRLS).unwrap_or(0),
        bigfile,
        notes,
    }
}

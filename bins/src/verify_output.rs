//! What `dbfverify` prints: the per-file summary in the spirit of DBVERIFY, the reasons of
//! failing blocks, the problems of a set of files (mixed dbids, duplicate file numbers), the
//! final grep-able line, and the JSON document. Pure functions over the `datafile` crate's
//! results, so the binary only walks, verifies and prints.
//!
//! The text and JSON forms are documented in the README (`## dbfverify`); keep them stable.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use datafile::{rdba_parts, BlockFailure, FileHeader, FileReport, Outcome, Verdict};
use serde::Serialize;

/// Version of the JSON document's layout (`format_version`); raised only when a field changes
/// meaning or disappears (new fields may be added without raising it).
pub const JSON_FORMAT_VERSION: u32 = 1;

/// Why block `f` of the file `header` describes failed, as printed after `block <n>: `.
///
/// `checksum mismatch: stored 0x1a2b, computed 0x3c4d`,
/// `fractured block: tail 0x12340601, expected 0x56780601`,
/// `wrong block: rdba 0x01000007 belongs to file 4 block 7 (expected 0x01000009)`,
/// `bad cache header: <what>`, `marked corrupt`. The file number in a wrong-block reason is
/// the tablespace-relative one the rdba carries; for a bigfile tablespace the rdba is the
/// block number (`belongs to block 7`).
pub fn failure_reason(f: &BlockFailure, header: &FileHeader) -> String {
    match f.verdict {
        Verdict::ChecksumMismatch { stored, computed } => {
            format!("checksum mismatch: stored {stored:#06x}, computed {computed:#06x}")
        }
        Verdict::Fractured { tail, expected } => {
            format!("fractured block: tail {tail:#010x}, expected {expected:#010x}")
        }
        Verdict::WrongBlock {
            found_rdba,
            expected_rdba,
        } => {
            if header.bigfile {
                format!(
                    "wrong block: rdba {found_rdba:#010x} belongs to block {found_rdba} \
                     (expected {expected_rdba:#010x})"
                )
            } else {
                let (file, block) = rdba_parts(found_rdba);
                format!(
                    "wrong block: rdba {found_rdba:#010x} belongs to file {file} block {block} \
                     (expected {expected_rdba:#010x})"
                )
            }
        }
        Verdict::BadHeader { reason } => format!("bad cache header: {reason}"),
        Verdict::MarkedCorrupt => "marked corrupt".to_string(),
        // Not listed as failures by the library; printed sensibly all the same.
        Verdict::Ok => "ok".to_string(),
        Verdict::Empty => "empty".to_string(),
    }
}

/// An SCN the way DBVERIFY prints it: `7358 (0.7358)` (decimal, then wrap.base).
pub fn scn_text(scn: u64) -> String {
    format!("{scn} ({}.{})", scn >> 32, scn & 0xffff_ffff)
}

/// Corrupt blocks of a file: failing plus marked corrupt.
pub fn corrupt_blocks(r: &FileReport) -> u64 {
    r.pages_failing + r.pages_marked_corrupt
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The text block of one verified file: several lines, each ending in a newline, then an
/// empty line.
pub fn file_text(r: &FileReport) -> String {
    let h = &r.header;
    let mut s = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(s, "  {label:<29}: {value}");
    };
    let file_number = if h.bigfile {
        format!("{} (bigfile tablespace)", h.file_number)
    } else {
        format!("{} (relative {})", h.file_number, h.relative_file_number)
    };
    line("Database", format!("{} (dbid {})", h.db_name, h.dbid));
    line("File number", file_number);
    line("Tablespace", h.tablespace.clone());
    line("Checkpoint SCN", scn_text(h.checkpoint_scn));
    line("Block size", h.block_size.to_string());
    line("Byte order", h.byte_order.to_string());
    line("Total Pages Examined", r.pages_examined.to_string());
    line("Total Pages Processed (Data)", r.pages_data.to_string());
    line("Total Pages Failing   (Data)", r.pages_failing.to_string());
    line("Total Pages Empty", r.pages_empty.to_string());
    line(
        "Total Pages Marked Corrupt",
        r.pages_marked_corrupt.to_string(),
    );
    line("Total Pages Influx", r.pages_influx.to_string());
    line("Highest block SCN", scn_text(r.highest_scn));
    let mut out = format!("File {}\n", path_text(&r.path));
    out.push_str(&s);
    for note in &h.notes {
        let _ = writeln!(out, "  header: {note}");
    }
    if let Some(t) = &r.truncated {
        let _ = writeln!(out, "  truncated: {t}");
    }
    for f in &r.failures {
        let _ = writeln!(out, "  block {}: {}", f.block, failure_reason(f, h));
    }
    if r.failures_not_listed > 0 {
        let _ = writeln!(
            out,
            "  ... {} not listed",
            plural(
                r.failures_not_listed,
                "more corrupt block",
                "more corrupt blocks"
            )
        );
    }
    let _ = writeln!(
        out,
        "  {:<29}: {}\n",
        "Result",
        if r.is_clean() { "OK" } else { "CORRUPT" }
    );
    out
}

/// The line of a file that is not a datafile.
pub fn skipped_text(path: &Path, reason: &str) -> String {
    format!("Skipped {}: {reason}\n", path_text(path))
}

/// The text of one entry of the report (a verified file's block or a skipped file's line).
pub fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Verified(r) => file_text(r),
        Outcome::Skipped { path, reason } => skipped_text(path, reason),
    }
}

/// One database seen in a set of files (for [`Problem::MixedDbids`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbidGroup {
    /// The database id.
    pub dbid: u32,
    /// The database name of its first file.
    pub db_name: String,
    /// Its files, in report order.
    pub paths: Vec<PathBuf>,
}

/// A problem of the set of files verified together, not of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The datafiles belong to more than one database.
    MixedDbids(Vec<DbidGroup>),
    /// Two or more files claim the same file number of the same database.
    DuplicateFileNumber {
        /// The database id.
        dbid: u32,
        /// Its name.
        db_name: String,
        /// The absolute file number.
        file_number: u32,
        /// The files, in report order.
        paths: Vec<PathBuf>,
    },
}

impl Problem {
    /// A stable snake_case name: `mixed_dbids` or `duplicate_file_number`.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::MixedDbids(_) => "mixed_dbids",
            Problem::DuplicateFileNumber { .. } => "duplicate_file_number",
        }
    }

    /// One line describing the problem (no newline).
    pub fn message(&self) -> String {
        match self {
            Problem::MixedDbids(groups) => {
                let list: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        format!(
                            "{} ({}, {})",
                            g.dbid,
                            g.db_name,
                            plural(g.paths.len() as u64, "file", "files")
                        )
                    })
                    .collect();
                format!("mixed dbids: {}", list.join(", "))
            }
            Problem::DuplicateFileNumber {
                dbid,
                db_name,
                file_number,
                paths,
            } => {
                let list: Vec<String> = paths.iter().map(|p| path_text(p)).collect();
                format!(
                    "duplicate file number {file_number} of dbid {dbid} ({db_name}): {}",
                    list.join(", ")
                )
            }
        }
    }
}

/// The problems of the set: datafiles of more than one dbid, and file numbers claimed by more
/// than one file of the same dbid. Files whose header could not be read (dbid 0) take no part.
pub fn set_problems(outcomes: &[Outcome]) -> Vec<Problem> {
    let headers: Vec<(&Path, &FileHeader)> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Verified(r) if r.header.dbid != 0 => Some((r.path.as_path(), &r.header)),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();

    // Databases in order of first appearance.
    let mut groups: Vec<DbidGroup> = Vec::new();
    for (path, h) in &headers {
        match groups.iter_mut().find(|g| g.dbid == h.dbid) {
            Some(g) => g.paths.push(path.to_path_buf()),
            None => groups.push(DbidGroup {
                dbid: h.dbid,
                db_name: h.db_name.clone(),
                paths: vec![path.to_path_buf()],
            }),
        }
    }
    if groups.len() > 1 {
        problems.push(Problem::MixedDbids(groups));
    }

    let mut by_number: BTreeMap<(u32, u32), Vec<(&Path, &FileHeader)>> = BTreeMap::new();
    for (path, h) in &headers {
        if h.file_number != 0 {
            by_number
                .entry((h.dbid, h.file_number))
                .or_default()
                .push((path, h));
        }
    }
    for ((dbid, file_number), files) in by_number {
        if files.len() > 1 {
            problems.push(Problem::DuplicateFileNumber {
                dbid,
                db_name: files
                    .first()
                    .map(|(_, h)| h.db_name.clone())
                    .unwrap_or_default(),
                file_number,
                paths: files.iter().map(|(p, _)| p.to_path_buf()).collect(),
            });
        }
    }
    problems
}

/// The line of a set problem.
pub fn problem_text(p: &Problem) -> String {
    format!("Problem: {}\n", p.message())
}

/// Counts over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Datafiles verified.
    pub files_verified: u64,
    /// Files that are not datafiles.
    pub files_skipped: u64,
    /// Datafiles that failed: corrupt blocks, truncated, or a damaged block 0/1 header.
    pub files_corrupt: u64,
    /// Failing plus marked-corrupt blocks over all files.
    pub corrupt_blocks: u64,
    /// Problems of the set (mixed dbids, duplicate file numbers).
    pub problems: u64,
    /// Page counts over all files.
    #[serde(flatten)]
    pub pages: PageCounts,
}

/// DBVERIFY's page counts of one file, or summed over a run (JSON fields `pages_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PageCounts {
    /// "Total Pages Examined": blocks 1..N.
    pub pages_examined: u64,
    /// "Total Pages Processed (Data)": formatted blocks that passed every check.
    pub pages_data: u64,
    /// "Total Pages Failing (Data)" (not counting marked corrupt).
    pub pages_failing: u64,
    /// "Total Pages Empty": all-zero blocks.
    pub pages_empty: u64,
    /// "Total Pages Marked Corrupt" by Oracle.
    pub pages_marked_corrupt: u64,
    /// "Total Pages Influx": blocks that changed while being verified.
    pub pages_influx: u64,
}

impl PageCounts {
    /// The counts of one file's report.
    pub fn of(r: &FileReport) -> PageCounts {
        PageCounts {
            pages_examined: r.pages_examined,
            pages_data: r.pages_data,
            pages_failing: r.pages_failing,
            pages_empty: r.pages_empty,
            pages_marked_corrupt: r.pages_marked_corrupt,
            pages_influx: r.pages_influx,
        }
    }
}

impl std::ops::AddAssign for PageCounts {
    fn add_assign(&mut self, o: PageCounts) {
        self.pages_examined += o.pages_examined;
        self.pages_data += o.pages_data;
        self.pages_failing += o.pages_failing;
        self.pages_empty += o.pages_empty;
        self.pages_marked_corrupt += o.pages_marked_corrupt;
        self.pages_influx += o.pages_influx;
    }
}

impl Totals {
    /// Adds up `outcomes` and `problems`.
    pub fn of(outcomes: &[Outcome], problems: &[Problem]) -> Totals {
        let mut t = Totals {
            problems: problems.len() as u64,
            ..Totals::default()
        };
        for o in outcomes {
            match o {
                Outcome::Verified(r) => {
                    t.files_verified += 1;
                    if !r.is_clean() {
                        t.files_corrupt += 1;
                    }
                    t.corrupt_blocks += corrupt_blocks(r);
                    t.pages += PageCounts::of(r);
                }
                Outcome::Skipped { .. } => t.files_skipped += 1,
            }
        }
        t
    }

    /// Whether the run found nothing wrong (exit 0).
    pub fn is_ok(&self) -> bool {
        self.files_corrupt == 0 && self.problems == 0
    }

    /// `"ok"` or `"corrupt"`.
    pub fn status(&self) -> &'static str {
        if self.is_ok() {
            "ok"
        } else {
            "corrupt"
        }
    }
}

/// The final line, stable for scripts (with its newline):
/// `dbfverify: OK: 12 files verified, 3 skipped, 0 corrupt blocks in 0 files, 0 set problems`
/// or `dbfverify: CORRUPT: ...`.
pub fn summary_line(t: &Totals) -> String {
    format!(
        "dbfverify: {}: {} verified, {} skipped, {} in {}, {}\n",
        if t.is_ok() { "OK" } else { "CORRUPT" },
        plural(t.files_verified, "file", "files"),
        t.files_skipped,
        plural(t.corrupt_blocks, "corrupt block", "corrupt blocks"),
        plural(t.files_corrupt, "file", "files"),
        plural(t.problems, "set problem", "set problems"),
    )
}

/// The whole text report after the per-file entries: problem lines, then the final line.
pub fn trailer_text(problems: &[Problem], totals: &Totals) -> String {
    let mut s = String::new();
    for p in problems {
        s.push_str(&problem_text(p));
    }
    s.push_str(&summary_line(totals));
    s
}

/// A failing block in the JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct JsonFailure {
    /// Block number (block 0 is the OS header, block 1 the file header).
    pub block: u64,
    /// `checksum_mismatch`, `fractured`, `wrong_block`, `bad_header` or `marked_corrupt`.
    pub kind: &'static str,
    /// The same text as the text report's `block <n>: <reason>`.
    pub reason: String,
    /// checksum_mismatch: `chkval_kcbh` as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_checksum: Option<u16>,
    /// checksum_mismatch: the checksum the block's contents call for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computed_checksum: Option<u16>,
    /// fractured: the tail word stored in the block's last four bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tail: Option<u32>,
    /// fractured: the tail word the cache header implies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_tail: Option<u32>,
    /// wrong_block: the rdba found in the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_rdba: Option<u32>,
    /// wrong_block: the rdba this position calls for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_rdba: Option<u32>,
}

impl JsonFailure {
    fn of(f: &BlockFailure, header: &FileHeader) -> JsonFailure {
        let mut j = JsonFailure {
            block: f.block,
            kind: f.verdict.kind(),
            reason: failure_reason(f, header),
            stored_checksum: None,
            computed_checksum: None,
            tail: None,
            expected_tail: None,
            found_rdba: None,
            expected_rdba: None,
        };
        match f.verdict {
            Verdict::ChecksumMismatch { stored, computed } => {
                j.stored_checksum = Some(stored);
                j.computed_checksum = Some(computed);
            }
            Verdict::Fractured { tail, expected } => {
                j.tail = Some(tail);
                j.expected_tail = Some(expected);
            }
            Verdict::WrongBlock {
                found_rdba,
                expected_rdba,
            } => {
                j.found_rdba = Some(found_rdba);
                j.expected_rdba = Some(expected_rdba);
            }
            Verdict::Ok | Verdict::Empty | Verdict::BadHeader { .. } | Verdict::MarkedCorrupt => {}
        }
        j
    }
}

/// A verified datafile in the JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct JsonFile {
    /// The file.
    pub path: String,
    /// `ok` or `corrupt`.
    pub status: &'static str,
    /// Database id.
    pub dbid: u32,
    /// Database name.
    pub db_name: String,
    /// Absolute file number.
    pub file_number: u32,
    /// Tablespace-relative file number (1024 for bigfile; 0 if unknown).
    pub relative_file_number: u32,
    /// Bigfile tablespace.
    pub bigfile: bool,
    /// Tablespace name.
    pub tablespace: String,
    /// Checkpoint SCN of the file header.
    pub checkpoint_scn: u64,
    /// Creation SCN of the file.
    pub creation_scn: u64,
    /// Resetlogs SCN.
    pub resetlogs_scn: u64,
    /// Block size in bytes.
    pub block_size: u32,
    /// `little-endian` or `big-endian`.
    pub byte_order: String,
    /// Blocks after block 0 according to the header.
    pub blocks: u64,
    /// DBVERIFY's page counts.
    #[serde(flatten)]
    pub pages: PageCounts,
    /// "Highest block SCN".
    pub highest_block_scn: u64,
    /// The block holding it.
    pub highest_block_scn_block: u64,
    /// Failing and marked-corrupt blocks, in block order (at most 10 000).
    pub failures: Vec<JsonFailure>,
    /// Corrupt blocks beyond the listed ones.
    pub failures_not_listed: u64,
    /// File-level size problem (shorter than its header says, ragged end), else null.
    pub truncated: Option<String>,
    /// Problems of block 0 / block 1 found while reading the headers.
    pub header_problems: Vec<String>,
}

impl JsonFile {
    /// The JSON form of `r`.
    pub fn of(r: &FileReport) -> JsonFile {
        let h = &r.header;
        JsonFile {
            path: path_text(&r.path),
            status: if r.is_clean() { "ok" } else { "corrupt" },
            dbid: h.dbid,
            db_name: h.db_name.clone(),
            file_number: h.file_number,
            relative_file_number: h.relative_file_number,
            bigfile: h.bigfile,
            tablespace: h.tablespace.clone(),
            checkpoint_scn: h.checkpoint_scn,
            creation_scn: h.creation_scn,
            resetlogs_scn: h.resetlogs_scn,
            block_size: h.block_size,
            byte_order: h.byte_order.to_string(),
            blocks: h.blocks,
            pages: PageCounts::of(r),
            highest_block_scn: r.highest_scn,
            highest_block_scn_block: r.highest_scn_block,
            failures: r.failures.iter().map(|f| JsonFailure::of(f, h)).collect(),
            failures_not_listed: r.failures_not_listed,
            truncated: r.truncated.clone(),
            header_problems: h.notes.clone(),
        }
    }
}

/// A skipped file in the JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct JsonSkipped {
    /// The file.
    pub path: String,
    /// Why it was not verified.
    pub reason: String,
}

/// A set problem in the JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct JsonProblem {
    /// `mixed_dbids` or `duplicate_file_number`.
    pub kind: &'static str,
    /// The same text as the text report's `Problem: ` line.
    pub message: String,
    /// duplicate_file_number: the dbid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbid: Option<u32>,
    /// duplicate_file_number: the file number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_number: Option<u32>,
    /// The files concerned.
    pub paths: Vec<String>,
    /// mixed_dbids: each database and its files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbids: Option<Vec<JsonDbid>>,
}

/// One database of a `mixed_dbids` problem.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDbid {
    /// The dbid.
    pub dbid: u32,
    /// The database name.
    pub db_name: String,
    /// Its files.
    pub paths: Vec<String>,
}

impl JsonProblem {
    fn of(p: &Problem) -> JsonProblem {
        match p {
            Problem::MixedDbids(groups) => JsonProblem {
                kind: p.kind(),
                message: p.message(),
                dbid: None,
                file_number: None,
                paths: groups
                    .iter()
                    .flat_map(|g| g.paths.iter().map(|x| path_text(x)))
                    .collect(),
                dbids: Some(
                    groups
                        .iter()
                        .map(|g| JsonDbid {
                            dbid: g.dbid,
                            db_name: g.db_name.clone(),
                            paths: g.paths.iter().map(|x| path_text(x)).collect(),
                        })
                        .collect(),
                ),
            },
            Problem::DuplicateFileNumber {
                dbid,
                file_number,
                paths,
                ..
            } => JsonProblem {
                kind: p.kind(),
                message: p.message(),
                dbid: Some(*dbid),
                file_number: Some(*file_number),
                paths: paths.iter().map(|x| path_text(x)).collect(),
                dbids: None,
            },
        }
    }
}

/// The JSON document of a run.
#[derive(Debug, Clone, Serialize)]
pub struct JsonReport {
    /// [`JSON_FORMAT_VERSION`].
    pub format_version: u32,
    /// `ok` or `corrupt` (exit code 0 or 1).
    pub status: &'static str,
    /// Verified datafiles, in report order.
    pub files: Vec<JsonFile>,
    /// Files that are not datafiles, in report order.
    pub skipped: Vec<JsonSkipped>,
    /// Problems of the set.
    pub problems: Vec<JsonProblem>,
    /// Counts over the run; `summary` is the text report's final line (without newline).
    pub totals: JsonTotals,
}

/// Totals in the JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct JsonTotals {
    /// The counts.
    #[serde(flatten)]
    pub counts: Totals,
    /// The final line of the text report, without its newline.
    pub summary: String,
}

impl JsonReport {
    /// The document of `outcomes` (in report order) and `problems`.
    pub fn of(outcomes: &[Outcome], problems: &[Problem]) -> JsonReport {
        let totals = Totals::of(outcomes, problems);
        JsonReport {
            format_version: JSON_FORMAT_VERSION,
            status: totals.status(),
            files: outcomes
                .iter()
                .filter_map(|o| match o {
                    Outcome::Verified(r) => Some(JsonFile::of(r)),
                    Outcome::Skipped { .. } => None,
                })
                .collect(),
            skipped: outcomes
                .iter()
                .filter_map(|o| match o {
                    Outcome::Skipped { path, reason } => Some(JsonSkipped {
                        path: path_text(path),
                        reason: reason.clone(),
                    }),
                    Outcome::Verified(_) => None,
                })
                .collect(),
            problems: problems.iter().map(JsonProblem::of).collect(),
            totals: JsonTotals {
                counts: totals,
                summary: summary_line(&totals).trim_end().to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafile::ByteOrder;

    fn header(dbid: u32, file_number: u32) -> FileHeader {
        FileHeader {
            byte_order: ByteOrder::Little,
            block_size: 8192,
            blocks: 10,
            dbid,
            db_name: format!("DB{dbid}"),
            file_number,
            relative_file_number: file_number,
            file_type: 3,
            tablespace: "USERS".into(),
            checkpoint_scn: 0x1_0000_0010,
            creation_scn: 1,
            resetlogs_scn: 1,
            bigfile: false,
            notes: vec![],
        }
    }

    fn report(path: &str, dbid: u32, fno: u32) -> Outcome {
        Outcome::Verified(FileReport {
            path: path.into(),
            header: header(dbid, fno),
            pages_examined: 10,
            pages_data: 9,
            pages_empty: 1,
            pages_failing: 0,
            pages_marked_corrupt: 0,
            pages_influx: 0,
            highest_scn: 77,
            highest_scn_block: 3,
            failures: vec![],
            failures_not_listed: 0,
            truncated: None,
        })
    }

    #[test]
    fn reasons() {
        let h = header(1, 4);
        let f = |verdict| failure_reason(&BlockFailure { block: 9, verdict }, &h);
        assert_eq!(
            f(Verdict::ChecksumMismatch {
                stored: 0x1a2b,
                computed: 0x3c4d
            }),
            "checksum mismatch: stored 0x1a2b, computed 0x3c4d"
        );
        assert_eq!(
            f(Verdict::Fractured {
                tail: 0x12,
                expected: 0xabcdef01
            }),
            "fractured block: tail 0x00000012, expected 0xabcdef01"
        );
        assert_eq!(
            f(Verdict::WrongBlock {
                found_rdba: datafile::rdba(1, 7),
                expected_rdba: datafile::rdba(4, 9)
            }),
            "wrong block: rdba 0x00400007 belongs to file 1 block 7 (expected 0x01000009)"
        );
        assert_eq!(f(Verdict::MarkedCorrupt), "marked corrupt");
        assert_eq!(scn_text(0x1_0000_0010), "4294967312 (1.16)");
    }

    #[test]
    fn problems_and_summary() {
        let set = vec![
            report("/a", 1, 4),
            report("/b", 1, 4),
            report("/c", 2, 5),
            Outcome::Skipped {
                path: "/d".into(),
                reason: "archived redo log".into(),
            },
        ];
        let p = set_problems(&set);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].message(),
            "mixed dbids: 1 (DB1, 2 files), 2 (DB2, 1 file)"
        );
        assert_eq!(
            p[1].message(),
            "duplicate file number 4 of dbid 1 (DB1): /a, /b"
        );
        let t = Totals::of(&set, &p);
        assert_eq!(
            summary_line(&t),
            "dbfverify: CORRUPT: 3 files verified, 1 skipped, 0 corrupt blocks in 0 files, \
             2 set problems\n"
        );
        let one = vec![report("/a", 1, 4)];
        assert!(set_problems(&one).is_empty());
        assert_eq!(
            summary_line(&Totals::of(&one, &[])),
            "dbfverify: OK: 1 file verified, 0 skipped, 0 corrupt blocks in 0 files, \
             0 set problems\n"
        );
    }
}

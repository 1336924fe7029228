//! What a restore test checks: the time the opened database reached against the target
//! (`openandverify`'s `CUSTOM VERIFICATION TIME:`), the corrupt blocks RMAN found
//! (`showcorruptblocks`), and every block of the clone's image copies read without Oracle
//! (the `datafile` crate, as `dbfverify` does).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use datafile::{verify_file, Outcome, VerifyOptions};
use rman::parse::markers::Markers;

/// The time check of a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// `CURRENT DATABASE SCN:` of the opened database.
    pub scn: Option<u64>,
    /// `CUSTOM VERIFICATION TIME:`: what `customverifydate` says the data reached.
    pub verified: NaiveDateTime,
    /// Target minus verified time, in seconds (positive: the data ends before the target).
    pub diff_seconds: i64,
}

/// Why the time check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerificationError {
    /// No `CUSTOM VERIFICATION TIME:` line: the database did not open or the
    /// `customverifydate` query printed nothing.
    #[error("no CUSTOM VERIFICATION TIME in the output of openandverify (did the database open? does customverifydate return a date?)")]
    NoTime,
    /// The data is further from the target than `autorestoremaxtoleranceminutes` allows.
    #[error("the restored data reaches {verified}, {diff} the target {target}: more than the allowed {tolerance} (autorestoremaxtoleranceminutes)")]
    OutOfTolerance {
        /// What the data reached.
        verified: NaiveDateTime,
        /// The target.
        target: NaiveDateTime,
        /// The difference, readable (`12m 5s before`).
        diff: String,
        /// The tolerance, readable.
        tolerance: String,
    },
}

fn readable(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}

/// Checks `openandverify`'s output: the verified time must be within `tolerance` of
/// `target`, on either side (a time after the target means `customverifydate` does not
/// measure what the restore recovered, e.g. another time zone).
pub fn check_time(
    output: &str,
    target: NaiveDateTime,
    tolerance: Duration,
) -> Result<Verification, VerificationError> {
    let (markers, _) = Markers::parse_lenient(output);
    let verified = markers
        .custom_verification_time
        .ok_or(VerificationError::NoTime)?;
    let diff_seconds = (target - verified).num_seconds();
    if diff_seconds.unsigned_abs() > tolerance.as_secs() {
        let side = if diff_seconds >= 0 { "before" } else { "after" };
        return Err(VerificationError::OutOfTolerance {
            verified,
            target,
            diff: format!("{} {side}", readable(diff_seconds.unsigned_abs())),
            tolerance: readable(tolerance.as_secs()),
        });
    }
    Ok(Verification {
        scn: markers.scn,
        verified,
        diff_seconds,
    })
}

/// Corrupt blocks in `showcorruptblocks`' output (`v$database_block_corruption`): the sum of
/// the BLOCKS column of its rows; 0 for `no rows selected`.
pub fn rman_corrupt_blocks(output: &str) -> u64 {
    let mut lines = output.lines();
    let mut total = 0;
    while let Some(line) = lines.next() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.first() == Some(&"FILE#") && cols.get(2) == Some(&"BLOCKS") {
            // The dashes, then rows until an empty line.
            let _ = lines.next();
            for row in lines.by_ref() {
                let cells: Vec<&str> = row.split_whitespace().collect();
                match cells.get(2).and_then(|b| b.parse::<u64>().ok()) {
                    Some(n) if cells.len() >= 3 => total += n,
                    _ => break,
                }
            }
        }
    }
    total
}

/// One corrupt block found in the clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptBlock {
    /// The image copy.
    pub file: PathBuf,
    /// The block number.
    pub block: u64,
    /// What is wrong (`checksum mismatch ...`).
    pub reason: String,
}

/// What the block check of a clone found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockCheck {
    /// Datafiles verified.
    pub files: u64,
    /// Corrupt blocks (failing and marked corrupt).
    pub corrupt: u64,
    /// The first corrupt blocks (at most 100), in file and block order.
    pub blocks: Vec<CorruptBlock>,
    /// Files that could not be read, with the reason.
    pub unreadable: Vec<String>,
}

impl BlockCheck {
    /// One line for the log and the error: `OK: 5 datafiles, no corrupt block` or the
    /// blocks named.
    pub fn line(&self) -> String {
        if self.corrupt == 0 && self.unreadable.is_empty() {
            return format!("{} datafile(s) verified, no corrupt block", self.files);
        }
        let mut parts: Vec<String> = self
            .blocks
            .iter()
            .take(5)
            .map(|b| format!("{} block {}: {}", b.file.display(), b.block, b.reason))
            .collect();
        if self.corrupt > 5 {
            parts.push(format!("... {} more", self.corrupt - 5));
        }
        parts.extend(self.unreadable.iter().cloned());
        format!(
            "{} corrupt block(s) in {} datafile(s) verified: {}",
            self.corrupt,
            self.files,
            parts.join("; ")
        )
    }
}

/// Reads every block of every datafile under `dirs` (not following links; storage snapshot
/// directories `.zfs` and `.snapshot` skipped), without an Oracle instance.
pub fn check_blocks(dirs: &[PathBuf]) -> BlockCheck {
    let mut files = Vec::new();
    for d in dirs {
        collect(d, &mut files);
    }
    files.sort();
    let mut out = BlockCheck::default();
    for f in files {
        match verify_file(&f, &VerifyOptions::default(), &mut |_| {}) {
            Ok(Outcome::Verified(r)) => {
                out.files += 1;
                out.corrupt += r.pages_failing + r.pages_marked_corrupt;
                for fail in &r.failures {
                    if out.blocks.len() < 100 {
                        out.blocks.push(CorruptBlock {
                            file: f.clone(),
                            block: fail.block,
                            reason: fail.verdict.to_string(),
                        });
                    }
                }
                if let Some(t) = &r.truncated {
                    out.unreadable.push(format!("{}: {t}", f.display()));
                }
            }
            Ok(Outcome::Skipped { .. }) => {}
            Err(e) => out.unreadable.push(e.to_string()),
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        let name = entry.file_name();
        if ft.is_dir() {
            if name != ".zfs" && name != ".snapshot" {
                collect(&path, out);
            }
        } else if ft.is_file() {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    const OPEN: &str = "Database altered.\n\nCURRENT DATABASE SCN: 2100417\nLAST ROW IN SCN TO TIME MAP: 2026-11-21 10:14:58\nMIN/MAX TIME FROM ARCHLOGS: 2026-11-21 10:10:00-2026-11-21 10:15:01\nCUSTOM VERIFICATION TIME: 2026-11-21 10:14:58\n\nno rows selected\n";

    #[test]
    fn time_within_tolerance() {
        let v = check_time(OPEN, t("2026-11-21 10:15:00"), Duration::from_secs(300)).unwrap();
        assert_eq!(v.scn, Some(2_100_417));
        assert_eq!(v.diff_seconds, 2);
        assert_eq!(v.verified, t("2026-11-21 10:14:58"));
    }

    #[test]
    fn time_out_of_tolerance_either_side() {
        let e = check_time(OPEN, t("2026-11-21 10:27:03"), Duration::from_secs(300)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the restored data reaches 2026-11-21 10:14:58, 12m 5s before the target 2026-11-21 10:27:03: more than the allowed 5m 0s (autorestoremaxtoleranceminutes)"
        );
        let e = check_time(OPEN, t("2026-11-21 08:14:58"), Duration::from_secs(300)).unwrap_err();
        assert!(e.to_string().contains("2h 0m 0s after"), "{e}");
        assert_eq!(
            check_time(
                "ORA-01219: database not open\n",
                t("2026-11-21 08:14:58"),
                Duration::ZERO
            ),
            Err(VerificationError::NoTime)
        );
    }

    #[test]
    fn corrupt_rows() {
        let out = "SQL> select * from v$database_block_corruption;\n\n     FILE#     BLOCK#     BLOCKS CORRUPTION_CHANGE# CORRUPTION_TYPE     CON_ID\n---------- ---------- ---------- ------------------ --------------- ----------\n         4          7          1                  0 CHECKSUM                 0\n         5        100          3                  0 CORRUPT                  0\n\nSQL> spool off\n";
        assert_eq!(rman_corrupt_blocks(out), 4);
        assert_eq!(rman_corrupt_blocks("no rows selected\n"), 0);
    }
}

//! What an RMAN run did, read from its output.
//!
//! Recognised lines (RMAN 12.1 wording, at column 0):
//!
//! * `Recovery Manager: Release 12.1.0.2.0 - Production on …`
//! * `connected to target database: ORCL (DBID=1433672784)`, `connected to recovery catalog database`
//! * `allocated channel: ORA_DISK_1`, `released channel: ORA_DISK_1`
//! * `Starting backup at 2016-11-08 21:53:37`, `Finished backup at …` (any command: `recover`,
//!   `Control File and SPFILE Autobackup`, `restore`, …)
//! * `input datafile file number=00001 name=…`
//! * `piece handle=… tag=… comment=NONE` (a backup piece written)
//! * `output file name=… tag=… RECID=… STAMP=…` (an image copy written)
//! * `channel ORA_DISK_1: datafile copy complete, elapsed time: 00:00:01`
//! * `channel ORA_DISK_1: backup set complete, elapsed time: 00:00:03`
//! * `recovering datafile copy file number=00001 name=…` (`recover copy of database`)
//! * `channel ORA_DISK_1: restored backup piece 1`, `channel …: restore complete, …`
//! * `deleted backup piece` + `backup piece handle=… RECID=… STAMP=…`, `Deleted 6 objects`
//! * `new RMAN configuration parameters are successfully stored`
//! * `Recovery Manager complete.`
//!
//! Everything else is ignored; errors are found by [`super::errors`].

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use super::{numbered_lines, parse_oracle_datetime};

/// The target database RMAN connected to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetDatabase {
    /// Database name (`ORCL`); `None` for `connected to target database (not started)`.
    pub name: Option<String>,
    /// `DBID=…`, when printed (not for `(not mounted)`).
    pub dbid: Option<u64>,
}

/// One RMAN command between `Starting <command> at …` and `Finished <command> at …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandRun {
    /// `backup`, `recover`, `Control File and SPFILE Autobackup`, …
    pub command: String,
    /// Start time, when printed and parseable.
    pub started: Option<NaiveDateTime>,
    /// Finish time, when printed and parseable.
    pub finished: Option<NaiveDateTime>,
    /// Whether the `Finished …` line was seen.
    pub completed: bool,
}

/// A datafile read by a backup (`input datafile file number=00001 name=…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputDatafile {
    /// Absolute file number.
    pub file_number: u32,
    /// File name.
    pub name: String,
}

/// A backup piece written (`piece handle=… tag=… comment=…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupPiece {
    /// The piece handle (file name on disk).
    pub handle: String,
    /// `tag=`, when printed (autobackups print none).
    pub tag: Option<String>,
    /// `comment=`, when printed.
    pub comment: Option<String>,
}

/// A copy written (`output file name=… tag=… RECID=… STAMP=…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyOutput {
    /// The copy's file name.
    pub file_name: String,
    /// `tag=`, when printed.
    pub tag: Option<String>,
    /// `RECID=`, when printed.
    pub recid: Option<u64>,
    /// `STAMP=`, when printed.
    pub stamp: Option<u64>,
}

/// A datafile copy an incremental backup was applied to (`recovering datafile copy …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveredCopy {
    /// Absolute file number.
    pub file_number: u32,
    /// Name of the datafile copy.
    pub name: String,
}

/// An object RMAN deleted (`deleted backup piece` and the line after it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletedObject {
    /// `backup piece`, `datafile copy`, `archived log`, …
    pub kind: String,
    /// The handle or file name from the following line, when printed.
    pub name: Option<String>,
    /// `RECID=`, when printed.
    pub recid: Option<u64>,
}

/// Counts and lists of one RMAN run's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RmanSummary {
    /// `Recovery Manager: Release <x> - …`.
    pub release: Option<String>,
    /// `connected to target database: …`.
    pub target: Option<TargetDatabase>,
    /// `connected to recovery catalog database` was printed.
    pub catalog_connected: bool,
    /// Distinct channel names allocated, in order of first allocation.
    pub channels: Vec<String>,
    /// Number of `allocated channel:` lines.
    pub channel_allocations: usize,
    /// Number of `released channel:` lines.
    pub channel_releases: usize,
    /// Commands started/finished, in order.
    pub commands: Vec<CommandRun>,
    /// Datafiles read by backups.
    pub input_datafiles: Vec<InputDatafile>,
    /// Backup pieces written.
    pub pieces: Vec<BackupPiece>,
    /// `backup set complete` lines.
    pub backup_sets_completed: usize,
    /// Copies written (datafile and archived log copies).
    pub copies: Vec<CopyOutput>,
    /// `datafile copy complete` lines.
    pub datafile_copies_completed: usize,
    /// Datafile copies recovered by `recover copy`.
    pub recovered_copies: Vec<RecoveredCopy>,
    /// `restored backup piece` lines.
    pub pieces_restored: usize,
    /// `restore complete` lines.
    pub restores_completed: usize,
    /// Objects deleted, in order.
    pub deleted: Vec<DeletedObject>,
    /// Sum of `Deleted <n> objects` lines.
    pub deleted_reported: u64,
    /// `new RMAN configuration parameters are successfully stored` lines.
    pub configurations_stored: usize,
    /// `Recovery Manager complete.` was printed.
    pub complete: bool,
}

/// Splits `a=b c=d e f=g` into pairs, a value running up to the next ` key=` of `keys`
/// (so values with spaces survive).
fn key_values<'a>(s: &'a str, keys: &[&str]) -> Vec<(&'a str, String)> {
    let Some((first_key, rest)) = s.split_once('=') else {
        return Vec::new();
    };
    let mut out: Vec<(&'a str, String)> = vec![(first_key.trim(), String::new())];
    for tok in rest.split(' ').filter(|t| !t.is_empty()) {
        match tok.split_once('=') {
            Some((k, v)) if keys.contains(&k) => out.push((k, v.to_owned())),
            _ => {
                if let Some((_, v)) = out.last_mut() {
                    if !v.is_empty() {
                        v.push(' ');
                    }
                    v.push_str(tok);
                }
            }
        }
    }
    out
}

fn get<'v>(kv: &'v [(&str, String)], key: &str) -> Option<&'v String> {
    kv.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

const KEYS: [&str; 7] = [
    "tag", "comment", "RECID", "STAMP", "name", "handle", "number",
];

/// `file number=00001 name=/path` → (1, "/path").
fn file_number_name(rest: &str) -> Option<(u32, String)> {
    let rest = rest.strip_prefix("file number=")?;
    let (num, name) = rest.split_once(' ')?;
    let name = name.strip_prefix("name=")?;
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((num.parse().ok()?, name.to_owned()))
}

/// The text after `channel <NAME>: `, for channel progress lines.
fn channel_message(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("channel ")?;
    let (name, msg) = rest.split_once(": ")?;
    (!name.is_empty() && !name.contains(' ')).then_some(msg)
}

impl RmanSummary {
    /// Reads an RMAN output text; never fails, unknown lines are ignored.
    pub fn parse(text: &str) -> RmanSummary {
        let mut s = RmanSummary::default();
        let mut pending_delete = false;
        for (_, line) in numbered_lines(text) {
            let was_pending = std::mem::take(&mut pending_delete);
            if was_pending {
                if let Some(d) = s.deleted.last_mut() {
                    let at = line.find(" handle=").or_else(|| line.find(" file name="));
                    if let Some(at) = at {
                        let kv = key_values(line[at..].trim_start(), &["RECID", "STAMP"]);
                        d.name = kv.first().map(|(_, v)| v.clone());
                        d.recid = get(&kv, "RECID").and_then(|v| v.parse().ok());
                        continue;
                    }
                }
            }
            s.line(line, &mut pending_delete);
        }
        s
    }

    fn line(&mut self, line: &str, pending_delete: &mut bool) {
        if let Some(rest) = line.strip_prefix("Recovery Manager: Release ") {
            self.release = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("connected to target database") {
            let rest = rest.trim_start_matches(':').trim();
            let (name, paren) = match rest.split_once('(') {
                Some((n, p)) => (n.trim(), Some(p.trim_end_matches(')'))),
                None => (rest, None),
            };
            let dbid = paren
                .and_then(|p| p.strip_prefix("DBID="))
                .and_then(|d| d.parse().ok());
            self.target = Some(TargetDatabase {
                name: (!name.is_empty()).then(|| name.to_owned()),
                dbid,
            });
        } else if line.starts_with("connected to recovery catalog database") {
            self.catalog_connected = true;
        } else if let Some(ch) = line.strip_prefix("allocated channel:") {
            self.channel_allocations += 1;
            let ch = ch.trim();
            if !ch.is_empty() && !self.channels.iter().any(|c| c == ch) {
                self.channels.push(ch.to_owned());
            }
        } else if line.starts_with("released channel:") {
            self.channel_releases += 1;
        } else if let Some(rest) = line.strip_prefix("Starting ") {
            if let Some((cmd, at)) = rest.rsplit_once(" at ") {
                self.commands.push(CommandRun {
                    command: cmd.to_owned(),
                    started: parse_oracle_datetime(at),
                    finished: None,
                    completed: false,
                });
            }
        } else if let Some(rest) = line.strip_prefix("Finished ") {
            if let Some((cmd, at)) = rest.rsplit_once(" at ") {
                let finished = parse_oracle_datetime(at);
                match self
                    .commands
                    .iter_mut()
                    .rev()
                    .find(|c| c.command == cmd && !c.completed)
                {
                    Some(c) => {
                        c.finished = finished;
                        c.completed = true;
                    }
                    None => self.commands.push(CommandRun {
                        command: cmd.to_owned(),
                        started: None,
                        finished,
                        completed: true,
                    }),
                }
            }
        } else if let Some(rest) = line.strip_prefix("input datafile ") {
            if let Some((file_number, name)) = file_number_name(rest) {
                self.input_datafiles
                    .push(InputDatafile { file_number, name });
            }
        } else if let Some(rest) = line.strip_prefix("recovering datafile copy ") {
            if let Some((file_number, name)) = file_number_name(rest) {
                self.recovered_copies
                    .push(RecoveredCopy { file_number, name });
            }
        } else if line.starts_with("piece handle=") {
            let kv = key_values(line, &KEYS);
            if let Some(handle) = get(&kv, "piece handle").filter(|h| !h.is_empty()) {
                self.pieces.push(BackupPiece {
                    handle: handle.clone(),
                    tag: get(&kv, "tag").cloned(),
                    comment: get(&kv, "comment").cloned(),
                });
            }
        } else if line.starts_with("output file name=") {
            let kv = key_values(line, &KEYS);
            if let Some(name) = get(&kv, "output file name").filter(|h| !h.is_empty()) {
                self.copies.push(CopyOutput {
                    file_name: name.clone(),
                    tag: get(&kv, "tag").cloned(),
                    recid: get(&kv, "RECID").and_then(|v| v.parse().ok()),
                    stamp: get(&kv, "STAMP").and_then(|v| v.parse().ok()),
                });
            }
        } else if let Some(msg) = channel_message(line) {
            if msg.starts_with("backup set complete") {
                self.backup_sets_completed += 1;
            } else if msg.starts_with("datafile copy complete") {
                self.datafile_copies_completed += 1;
            } else if msg.starts_with("restored backup piece") {
                self.pieces_restored += 1;
            } else if msg.starts_with("restore complete") {
                self.restores_completed += 1;
            }
        } else if let Some(kind) = line.strip_prefix("deleted ") {
            self.deleted.push(DeletedObject {
                kind: kind.trim().to_owned(),
                name: None,
                recid: None,
            });
            *pending_delete = true;
        } else if let Some(rest) = line.strip_prefix("Deleted ") {
            if let Some(n) = rest
                .strip_suffix(" objects")
                .or_else(|| rest.strip_suffix(" object"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                self.deleted_reported = self.deleted_reported.saturating_add(n);
            }
        } else if line.starts_with("new RMAN configuration parameters are successfully stored") {
            self.configurations_stored += 1;
        } else if line.starts_with("Recovery Manager complete.") {
            self.complete = true;
        }
    }

    /// The earliest `Starting … at` time.
    pub fn started(&self) -> Option<NaiveDateTime> {
        self.commands.iter().filter_map(|c| c.started).min()
    }

    /// The latest `Finished … at` time.
    pub fn finished(&self) -> Option<NaiveDateTime> {
        self.commands.iter().filter_map(|c| c.finished).max()
    }

    /// From the first command start to the last command finish, as RMAN printed them.
    pub fn elapsed(&self) -> Option<TimeDelta> {
        Some(self.finished()? - self.started()?)
    }

    /// Commands named `command` (`backup`, `recover`, …).
    pub fn commands_named<'a>(&'a self, command: &'a str) -> impl Iterator<Item = &'a CommandRun> {
        self.commands.iter().filter(move |c| c.command == command)
    }
}

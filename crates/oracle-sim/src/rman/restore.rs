//! The RMAN commands of a restore test (the autorestore flow): a throw-away instance
//! ([`crate::state::Instance`]) started `nomount`, its control file restored from our control
//! file backup, mounted, the image copies and archived logs of a clone of the backup area
//! cataloged, the datafiles switched to the copies, recovered until a time and validated.
//!
//! | command | what it does |
//! |---------|--------------|
//! | `startup nomount` | starts the instance (ORA-01081 when it runs) |
//! | `shutdown abort\|immediate` | stops it (the instance and its control file are gone) |
//! | `allocate channel C device type disk` | inside `run`, released at its end |
//! | `restore controlfile from 'P'` | P must be a control file backup of this database (RMAN-06172) |
//! | `alter database mount` | needs a restored control file (ORA-00205) |
//! | `change archivelog all uncatalog`, `change copy of database uncatalog` | forget the logs / copies of the instance's control file |
//! | `change backup device type disk unavailable` | no backup sets are kept in the instance's control file |
//! | `sql "alter database flashback off"` | accepted |
//! | `catalog start with 'DIR' noprompt` | every datafile copy (by its header) and archived log under DIR |
//! | `switch database to copy` | each datafile points at its newest cataloged copy (RMAN-06571) |
//! | `switch datafile N to copy` | datafile N likewise (what `switchdatafiles` prints when some file has no copy) |
//! | `set until time "to_date('T', 'yyyy-mm-dd hh24:mi:ss')"`, `set newname for database to new` | inside `run` |
//! | `recover database` | checks that the cataloged archived logs cover the redo from the files' checkpoints to the target (RMAN-06054 for the first missing one, RMAN-06556 when a file is newer than the target); the archived logs carry no block content, so only the SCNs change |
//!
//! `backup validate [check logical] database` with a mounted instance validates the files
//! the instance points at and fills the instance's `v$database_block_corruption`.
//!
//! Faults (`ORACLE_SIM_FAIL`): `rman:restorecontrolfile`, `rman:catalog`, `rman:switch`,
//! `rman:recoverdatabase`, `rman:validate`.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::{next_recid, Failure, Session};
use crate::fault;
use crate::matcher::match_pattern;
use crate::state::{Instance, InstanceCopy, InstanceDatafile, InstanceLog, State};

/// One restore-test command.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RestoreCmd {
    StartupNomount,
    Shutdown { abort: bool },
    AllocateChannel(String),
    RestoreControlfile(String),
    Mount,
    UncatalogLogs,
    UncatalogCopies,
    BackupsUnavailable,
    FlashbackOff,
    Catalog(String),
    SwitchToCopy,
    SwitchDatafile(u32),
    SetUntil(NaiveDateTime),
    SetNewname,
    RecoverDatabase,
}

impl RestoreCmd {
    /// Whether the command is valid only inside `run { }`.
    pub(super) fn run_only(&self) -> bool {
        matches!(
            self,
            RestoreCmd::AllocateChannel(_) | RestoreCmd::SetUntil(_) | RestoreCmd::SetNewname
        )
    }

    /// The command name RMAN-03002 uses.
    pub(super) fn name(&self) -> &'static str {
        match self {
            RestoreCmd::StartupNomount => "startup",
            RestoreCmd::Shutdown { .. } => "shutdown",
            RestoreCmd::AllocateChannel(_) => "allocate",
            RestoreCmd::RestoreControlfile(_) => "restore",
            RestoreCmd::Mount => "alter db",
            RestoreCmd::UncatalogLogs | RestoreCmd::UncatalogCopies => "change",
            RestoreCmd::BackupsUnavailable => "change",
            RestoreCmd::FlashbackOff => "sql",
            RestoreCmd::Catalog(_) => "catalog",
            RestoreCmd::SwitchToCopy | RestoreCmd::SwitchDatafile(_) => "switch",
            RestoreCmd::SetUntil(_) | RestoreCmd::SetNewname => "set",
            RestoreCmd::RecoverDatabase => "recover",
        }
    }
}

/// Parses a restore-test command; `None` when `stmt` is none of them, `Some(Err(word))` when
/// it starts like one but is invalid.
pub(super) fn parse(stmt: &str, lower: &str) -> Option<Result<RestoreCmd, String>> {
    let one = |p: &str| match_pattern(p, stmt).and_then(|c| c.into_iter().next());
    let simple = [
        ("startup nomount", RestoreCmd::StartupNomount),
        ("shutdown abort", RestoreCmd::Shutdown { abort: true }),
        ("shutdown immediate", RestoreCmd::Shutdown { abort: false }),
        ("alter database mount", RestoreCmd::Mount),
        ("change archivelog all uncatalog", RestoreCmd::UncatalogLogs),
        (
            "change copy of database uncatalog",
            RestoreCmd::UncatalogCopies,
        ),
        (
            "change backup device type disk unavailable",
            RestoreCmd::BackupsUnavailable,
        ),
        (
            "sql \"alter database flashback off\"",
            RestoreCmd::FlashbackOff,
        ),
        (
            "sql 'alter database flashback off'",
            RestoreCmd::FlashbackOff,
        ),
        ("switch database to copy", RestoreCmd::SwitchToCopy),
        ("set newname for database to new", RestoreCmd::SetNewname),
        ("recover database", RestoreCmd::RecoverDatabase),
    ];
    for (p, c) in simple {
        if lower == p {
            return Some(Ok(c));
        }
    }
    if let Some(c) = one("allocate channel {} device type disk") {
        if c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            return Some(Ok(RestoreCmd::AllocateChannel(c)));
        }
        return Some(Err(c));
    }
    if let Some(p) = one("restore controlfile from '{}'") {
        return Some(Ok(RestoreCmd::RestoreControlfile(p)));
    }
    if let Some(n) = one("switch datafile {} to copy") {
        return Some(
            n.trim()
                .parse()
                .map(RestoreCmd::SwitchDatafile)
                .map_err(|_| n),
        );
    }
    if let Some(d) = one("catalog start with '{}' noprompt") {
        return Some(Ok(RestoreCmd::Catalog(d)));
    }
    for p in [
        "set until time \"to_date('{}', 'yyyy-mm-dd hh24:mi:ss')\"",
        "set until time \"to_date('{}','yyyy-mm-dd hh24:mi:ss')\"",
    ] {
        if let Some(t) = one(p) {
            return Some(
                NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S")
                    .map(RestoreCmd::SetUntil)
                    .map_err(|_| t),
            );
        }
    }
    None
}

fn failure(name: &str, at: &str, lines: &[String]) -> Failure {
    let mut v = vec![format!("RMAN-03002: failure of {name} command at {at}")];
    v.extend_from_slice(lines);
    Failure(v)
}

fn not_available(name: &str, at: &str) -> Failure {
    failure(
        name,
        at,
        &[
            "ORA-01034: ORACLE not available".into(),
            "ORA-27101: shared memory realm does not exist".into(),
        ],
    )
}

fn not_mounted(name: &str, at: &str) -> Failure {
    failure(name, at, &["ORA-01507: database not mounted".into()])
}

/// The channel used by a restore command: the allocated one, else the automatic one.
fn channel(s: &mut Session) -> String {
    match s.allocated.clone() {
        Some(c) => c,
        None => {
            s.channels();
            "ORA_DISK_1".into()
        }
    }
}

/// The instance, which must be mounted.
fn mounted<'a>(st: &'a mut State, name: &str, at: &str) -> Result<&'a mut Instance, Failure> {
    match st.instance.as_mut() {
        None => Err(not_available(name, at)),
        Some(i) if i.status == "NOMOUNT" => Err(not_mounted(name, at)),
        Some(i) => Ok(i),
    }
}

pub(super) fn exec(
    s: &mut Session,
    st: &mut State,
    cmd: &RestoreCmd,
    at: &str,
) -> Result<(), Failure> {
    let name = cmd.name();
    match cmd {
        RestoreCmd::StartupNomount => {
            if st.instance.is_some() {
                return Err(failure(
                    name,
                    at,
                    &[
                        "ORA-01081: cannot start already-running ORACLE - shut it down first"
                            .into(),
                    ],
                ));
            }
            st.instance = Some(Instance {
                status: "NOMOUNT".into(),
                ..Instance::default()
            });
            s.line("Oracle instance started\n");
            s.line("Total System Global Area    1073741824 bytes\n");
            s.line("Fixed Size                     2932632 bytes");
            s.line("Variable Size                616562792 bytes");
            s.line("Database Buffers             448790528 bytes");
            s.line("Redo Buffers                   5455872 bytes");
            Ok(())
        }
        RestoreCmd::Shutdown { abort } => {
            match st.instance.take() {
                Some(i) if !abort && i.status != "NOMOUNT" => {
                    if i.status.starts_with("OPEN") {
                        s.line("database closed");
                    }
                    s.line("database dismounted");
                    s.line("Oracle instance shut down");
                }
                _ => s.line("Oracle instance shut down"),
            }
            Ok(())
        }
        RestoreCmd::AllocateChannel(c) => {
            s.controlfile_note();
            s.line(&format!("allocated channel: {c}"));
            s.line(&format!("channel {c}: SID=46 device type=DISK"));
            s.allocated = Some(c.clone());
            s.emit("\n");
            Ok(())
        }
        RestoreCmd::SetUntil(t) => {
            s.until = Some(*t);
            s.line("executing command: SET until clause\n");
            Ok(())
        }
        RestoreCmd::SetNewname => {
            s.line("executing command: SET NEWNAME\n");
            Ok(())
        }
        RestoreCmd::RestoreControlfile(path) => restore_controlfile(s, st, path, at),
        RestoreCmd::Mount => {
            let Some(inst) = st.instance.as_mut() else {
                return Err(not_available(name, at));
            };
            if inst.status != "NOMOUNT" {
                return Err(failure(
                    name,
                    at,
                    &["ORA-01100: database already mounted".into()],
                ));
            }
            if inst.controlfile_from.is_none() {
                return Err(failure(
                    name,
                    at,
                    &["ORA-00205: error in identifying control file, check alert log for more info".into()],
                ));
            }
            inst.status = "MOUNTED".into();
            s.line("Statement processed");
            if let Some(c) = s.allocated.take() {
                s.line(&format!("released channel: {c}"));
            }
            s.emit("\n");
            Ok(())
        }
        RestoreCmd::UncatalogLogs | RestoreCmd::UncatalogCopies => {
            s.controlfile_note();
            let logs = matches!(cmd, RestoreCmd::UncatalogLogs);
            let inst = mounted(st, name, at)?;
            let what = if logs {
                "archived log"
            } else {
                "datafile copy"
            };
            let gone: Vec<(PathBuf, u64)> = if logs {
                inst.archived_logs
                    .drain(..)
                    .map(|l| (l.path, l.recid))
                    .collect()
            } else {
                inst.copies.drain(..).map(|c| (c.path, c.recid)).collect()
            };
            if gone.is_empty() {
                let kind = if logs {
                    "archived log"
                } else {
                    "datafile copy"
                };
                s.line(&format!(
                    "specification does not match any {kind} in the repository\n"
                ));
                return Ok(());
            }
            for (p, recid) in &gone {
                s.line(&format!("uncataloged {what}"));
                let label = if logs {
                    "archived log file name"
                } else {
                    "datafile copy file name"
                };
                s.line(&format!("{label}={} RECID={recid} STAMP=0", p.display()));
            }
            s.line(&format!("Uncataloged {} objects\n", gone.len()));
            Ok(())
        }
        RestoreCmd::BackupsUnavailable => {
            s.controlfile_note();
            mounted(st, name, at)?;
            s.line("specification does not match any backup in the repository\n");
            Ok(())
        }
        RestoreCmd::FlashbackOff => {
            mounted(st, name, at)?;
            s.line("sql statement: alter database flashback off\n");
            Ok(())
        }
        RestoreCmd::Catalog(dir) => catalog(s, st, dir, at),
        RestoreCmd::SwitchToCopy => switch_to_copy(s, st, None, at),
        RestoreCmd::SwitchDatafile(n) => switch_to_copy(s, st, Some(*n), at),
        RestoreCmd::RecoverDatabase => recover(s, st, at),
    }
}

/// What the first line of our control file backups (and autobackups) says: (dbid, scn).
fn controlfile_backup(path: &Path) -> Option<(u32, u64)> {
    let text = fs::read_to_string(path).ok()?;
    let line = text.lines().next()?;
    let rest = line
        .strip_prefix("ORACLE-SIM CONTROLFILE BACKUP ")
        .or_else(|| line.strip_prefix("ORACLE-SIM CONTROLFILE AUTOBACKUP "))?;
    let field = |k: &str| {
        rest.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((u32::try_from(field("dbid=")?).ok()?, field("scn=")?))
}

fn restore_controlfile(
    s: &mut Session,
    st: &mut State,
    path: &str,
    at: &str,
) -> Result<(), Failure> {
    let name = "restore";
    match st.instance.as_ref() {
        None => return Err(not_available(name, at)),
        Some(i) if i.status != "NOMOUNT" => {
            return Err(failure(
                name,
                at,
                &[
                    "RMAN-06496: must use the TO clause when the database is mounted or open"
                        .into(),
                ],
            ))
        }
        Some(_) => {}
    }
    s.line(&format!("Starting restore at {at}"));
    let ch = channel(s);
    s.emit("\n");
    if fault::active("rman", "restorecontrolfile") {
        return Err(failure(
            name,
            at,
            &[
                format!("ORA-19870: error while restoring backup piece {path}"),
                format!("ORA-19505: failed to identify file \"{path}\""),
                "ORA-27037: unable to obtain file status".into(),
                "Linux-x86_64 Error: 5: Input/output error".into(),
            ],
        ));
    }
    let src = PathBuf::from(path);
    let Some((dbid, scn)) = controlfile_backup(&src).filter(|(d, _)| *d == st.dbid) else {
        return Err(failure(
            name,
            at,
            &[
                "RMAN-06172: no AUTOBACKUP found or specified handle is not a valid copy or piece"
                    .into(),
            ],
        ));
    };
    let _ = dbid;
    s.line(&format!("channel {ch}: restoring control file"));
    s.line(&format!(
        "channel {ch}: restore complete, elapsed time: 00:00:01"
    ));
    let datafiles = st
        .datafiles
        .iter()
        .map(|d| InstanceDatafile {
            file_number: d.file_number,
            tablespace: d.tablespace.clone(),
            path: d.path.clone(),
            checkpoint_scn: scn,
            switched: false,
        })
        .collect();
    let bct_file = st.bct_file.clone();
    if let Some(inst) = st.instance.as_mut() {
        *inst = Instance {
            status: "NOMOUNT".into(),
            controlfile_from: Some(src),
            controlfile_scn: scn,
            datafiles,
            bct_file,
            alert_log: inst.alert_log.clone(),
            ..Instance::default()
        };
    }
    let out = st
        .recovery_dest
        .parent()
        .unwrap_or(Path::new("/"))
        .join("restore")
        .join("restore.cf");
    s.line(&format!("output file name={}", out.display()));
    s.line(&format!("Finished restore at {at}"));
    Ok(())
}

/// What a file found by `catalog start with` is.
enum Found {
    Copy {
        file_number: u32,
        checkpoint_scn: u64,
    },
    Log {
        thread: u32,
        sequence: u64,
        first_scn: u64,
        next_scn: u64,
    },
    Foreign(u32, String),
    /// One of the simulator's backup pieces (incremental, spfile, control file): cataloged,
    /// but nothing of the restore uses them.
    Piece,
    Unknown,
}

fn identify(path: &Path, dbid: u32) -> Found {
    let mut start = Vec::new();
    let read = fs::File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut start));
    if read.is_err() {
        return Found::Unknown;
    }
    if start.starts_with(super::INCR_MAGIC) || start.starts_with(b"ORACLE-SIM ") {
        return Found::Piece;
    }
    match datafile::identify(&start, &datafile::Overrides::default()) {
        datafile::FileKind::Datafile(h) if h.dbid != dbid => Found::Foreign(h.dbid, h.db_name),
        datafile::FileKind::Datafile(h) => Found::Copy {
            file_number: h.file_number,
            checkpoint_scn: h.checkpoint_scn,
        },
        datafile::FileKind::NotDatafile { reason }
            if reason.starts_with(datafile::REASON_REDO_LOG) =>
        {
            // The simulator's archived logs name their facts in block 1 (see
            // `files::write_archived_log`).
            let text = String::from_utf8_lossy(&start);
            let Some(at) = text.find("ORACLE-SIM ARCHIVED LOG ") else {
                return Found::Unknown;
            };
            let rest = text.get(at..).unwrap_or("");
            let line = rest.split('\0').next().unwrap_or("");
            let field = |k: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(k))
                    .and_then(|v| v.parse::<u64>().ok())
            };
            match (
                field("dbid="),
                field("thread="),
                field("sequence="),
                field("first_scn="),
                field("next_scn="),
            ) {
                (Some(d), _, _, _, _) if d != u64::from(dbid) => {
                    Found::Foreign(u32::try_from(d).unwrap_or(0), String::new())
                }
                (Some(_), Some(t), Some(sequence), Some(first_scn), Some(next_scn)) => Found::Log {
                    thread: u32::try_from(t).unwrap_or(1),
                    sequence,
                    first_scn,
                    next_scn,
                },
                _ => Found::Unknown,
            }
        }
        datafile::FileKind::NotDatafile { .. } => Found::Unknown,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn catalog(s: &mut Session, st: &mut State, pattern: &str, at: &str) -> Result<(), Failure> {
    let name = "catalog";
    s.controlfile_note();
    mounted(st, name, at)?;
    if fault::active("rman", "catalog") {
        return Err(failure(
            name,
            at,
            &[
                "ORA-19625: error identifying file ".to_string() + pattern,
                "ORA-27037: unable to obtain file status".into(),
                "Linux-x86_64 Error: 13: Permission denied".into(),
            ],
        ));
    }
    s.line(&format!(
        "searching for all files that match the pattern {pattern}"
    ));
    // `start with` is a prefix of the path: a directory (with `/`) or a name prefix.
    let (dir, prefix) = match pattern.rfind('/') {
        Some(i) => (
            PathBuf::from(pattern.get(..i.max(1)).unwrap_or("/")),
            pattern.to_string(),
        ),
        None => (PathBuf::from("."), pattern.to_string()),
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let known: Vec<PathBuf> = st
        .instance
        .as_ref()
        .map(|i| {
            i.copies
                .iter()
                .map(|c| c.path.clone())
                .chain(i.archived_logs.iter().map(|l| l.path.clone()))
                .chain(i.datafiles.iter().map(|d| d.path.clone()))
                .collect()
        })
        .unwrap_or_default();
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| p.to_string_lossy().starts_with(&prefix) && !known.contains(p))
        .collect();
    if files.is_empty() {
        s.line("no files found to be unknown to the database\n");
        return Ok(());
    }
    s.emit("\n");
    s.line("List of Files Unknown to the Database");
    s.line("=====================================");
    for p in &files {
        s.line(&format!("File Name: {}", p.display()));
    }
    s.line("cataloging files...");
    s.line("cataloging done\n");
    let mut cataloged = Vec::new();
    let mut rejected = Vec::new();
    let dbid = st.dbid;
    for p in files {
        match identify(&p, dbid) {
            Found::Copy {
                file_number,
                checkpoint_scn,
            } => {
                let recid = next_recid(st);
                if let Some(i) = st.instance.as_mut() {
                    i.copies.push(InstanceCopy {
                        file_number,
                        path: p.clone(),
                        checkpoint_scn,
                        recid,
                    });
                }
                cataloged.push(p);
            }
            Found::Log {
                thread,
                sequence,
                first_scn,
                next_scn,
            } => {
                let recid = next_recid(st);
                let known = st
                    .archived_logs
                    .iter()
                    .find(|l| l.thread == thread && l.sequence == sequence);
                let (first_time, next_time) =
                    (known.map(|l| l.first_time), known.map(|l| l.next_time));
                if let Some(i) = st.instance.as_mut() {
                    i.archived_logs.push(InstanceLog {
                        thread,
                        sequence,
                        first_scn,
                        next_scn,
                        first_time,
                        next_time,
                        path: p.clone(),
                        recid,
                    });
                }
                cataloged.push(p);
            }
            Found::Piece => cataloged.push(p),
            Found::Foreign(d, n) => rejected.push((
                p,
                format!("RMAN-07518: Reason: Foreign database file DBID: {d}  Database Name: {n}"),
            )),
            Found::Unknown => rejected.push((
                p,
                "RMAN-07517: Reason: The file header is corrupted".to_string(),
            )),
        }
    }
    if !cataloged.is_empty() {
        s.line("List of Cataloged Files");
        s.line("=======================");
        for p in &cataloged {
            s.line(&format!("File Name: {}", p.display()));
        }
        s.emit("\n");
    }
    if !rejected.is_empty() {
        s.line("List of Files Which Were Not Cataloged");
        s.line("=======================================");
        for (p, why) in &rejected {
            s.line(&format!("File Name: {}", p.display()));
            s.line(&format!("  {why}"));
        }
        s.emit("\n");
    }
    Ok(())
}

/// `switch database to copy` (`only` = `None`) or `switch datafile N to copy`.
fn switch_to_copy(
    s: &mut Session,
    st: &mut State,
    only: Option<u32>,
    at: &str,
) -> Result<(), Failure> {
    let name = "switch";
    s.controlfile_note();
    let inst = mounted(st, name, at)?;
    if fault::active("rman", "switch") {
        let p = inst
            .datafiles
            .first()
            .map(|d| d.path.display().to_string())
            .unwrap_or_default();
        return Err(failure(
            name,
            at,
            &[
                format!("ORA-19625: error identifying file {p}"),
                "ORA-27041: unable to open file".into(),
                "Linux-x86_64 Error: 13: Permission denied".into(),
            ],
        ));
    }
    // Every datafile needs a copy before any is switched.
    let mut plan = Vec::new();
    if let Some(n) = only.filter(|n| !inst.datafiles.iter().any(|d| d.file_number == *n)) {
        return Err(failure(
            name,
            at,
            &[
                "RMAN-20201: datafile not found in the recovery catalog".to_string(),
                format!("RMAN-06010: error while looking up datafile: {n}"),
            ],
        ));
    }
    for d in inst
        .datafiles
        .iter()
        .filter(|d| only.map_or(true, |n| n == d.file_number))
    {
        let newest = inst
            .copies
            .iter()
            .filter(|c| c.file_number == d.file_number)
            .max_by_key(|c| (c.checkpoint_scn, c.recid));
        match newest {
            Some(c) => plan.push((d.file_number, c.path.clone(), c.checkpoint_scn)),
            None => {
                return Err(failure(
                    name,
                    at,
                    &[format!(
                        "RMAN-06571: datafile {} does not have recoverable copy",
                        d.file_number
                    )],
                ))
            }
        }
    }
    for (fno, path, ckp) in plan {
        if let Some(d) = inst.datafiles.iter_mut().find(|d| d.file_number == fno) {
            d.path = path.clone();
            d.checkpoint_scn = ckp;
            d.switched = true;
        }
        // The copy is the datafile now, no longer a copy.
        inst.copies.retain(|c| c.path != path);
        s.line(&format!(
            "datafile {fno} switched to datafile copy \"{}\"",
            path.display()
        ));
    }
    s.emit("\n");
    Ok(())
}

fn recover(s: &mut Session, st: &mut State, at: &str) -> Result<(), Failure> {
    let name = "recover";
    let until = s.until;
    s.line(&format!("Starting recover at {at}"));
    let ch = channel(s);
    let _ = ch;
    let source_logs = st.archived_logs.clone();
    let (current_sequence, current_first) = (st.current_sequence, st.current_log_first_scn);
    let inst = mounted(st, name, at)?;
    if fault::active("rman", "recoverdatabase") {
        return Err(failure(
            name,
            at,
            &[
                "ORA-00283: recovery session canceled due to errors".into(),
                "ORA-01110: data file 1: ".to_string()
                    + &inst
                        .datafiles
                        .first()
                        .map(|d| d.path.display().to_string())
                        .unwrap_or_default(),
                "ORA-01157: cannot identify/lock data file 1 - see DBWR trace file".into(),
            ],
        ));
    }
    let Some(start) = inst.datafiles.iter().map(|d| d.checkpoint_scn).min() else {
        return Err(failure(
            name,
            at,
            &[
                "RMAN-06067: RECOVER DATABASE required with a backup or created control file"
                    .into(),
            ],
        ));
    };
    // The logs needed, oldest first, and the SCN reached.
    let mut scn = start;
    let mut applied: Vec<InstanceLog> = Vec::new();
    let reached = loop {
        let Some(log) = inst
            .archived_logs
            .iter()
            .filter(|l| l.thread == 1 && l.first_scn <= scn && scn < l.next_scn)
            .max_by_key(|l| l.recid)
        else {
            let (seq, first) = source_logs
                .iter()
                .find(|l| l.thread == 1 && l.first_scn <= scn && scn < l.next_scn)
                .map(|l| (l.sequence, l.first_scn))
                .unwrap_or((current_sequence, current_first));
            return Err(failure(
                name,
                at,
                &[format!(
                    "RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence {seq} and starting SCN of {first}"
                )],
            ));
        };
        applied.push(log.clone());
        match (until, log.first_time, log.next_time) {
            (Some(t), Some(ft), Some(nt)) if nt > t => {
                // The target is inside this log: the SCN at time t, by linear interpolation.
                let span = (nt - ft).num_seconds().max(1);
                let part = (t - ft).num_seconds().clamp(0, span);
                let width = log.next_scn - log.first_scn;
                let off = u64::try_from(i128::from(width) * i128::from(part) / i128::from(span))
                    .unwrap_or(0);
                break log.first_scn + off;
            }
            _ => scn = log.next_scn,
        }
    };
    if let Some(d) = inst.datafiles.iter().find(|d| d.checkpoint_scn > reached) {
        return Err(failure(
            name,
            at,
            &[format!(
                "RMAN-06556: datafile {} must be restored from backup older than SCN {reached}",
                d.file_number
            )],
        ));
    }
    s.emit("\n");
    s.line("starting media recovery\n");
    for l in &applied {
        s.line(&format!(
            "archived log for thread {} with sequence {} is already on disk as file {}",
            l.thread,
            l.sequence,
            l.path.display()
        ));
    }
    for l in &applied {
        s.line(&format!(
            "archived log file name={} thread={} sequence={}",
            l.path.display(),
            l.thread,
            l.sequence
        ));
    }
    for d in inst.datafiles.iter_mut() {
        d.checkpoint_scn = d.checkpoint_scn.max(reached);
    }
    inst.recovered_scn = Some(reached);
    inst.recovered_until = until;
    s.line("media recovery complete, elapsed time: 00:00:01");
    s.line(&format!("Finished recover at {at}"));
    Ok(())
}

/// `backup validate check logical database` with a restore instance: the files it points
/// at, corruptions into its `v$database_block_corruption`.
pub(super) fn validate_instance(
    s: &mut Session,
    st: &mut State,
    mut inst: Instance,
    at: &str,
) -> Result<(), Failure> {
    if inst.status == "NOMOUNT" {
        st.instance = Some(inst);
        return Err(not_mounted("backup", at));
    }
    s.line(&format!("Starting backup at {at}"));
    s.channels();
    let files: Vec<(u32, PathBuf)> = inst
        .datafiles
        .iter()
        .map(|d| (d.file_number, d.path.clone()))
        .collect();
    std::mem::swap(&mut st.rman.corruptions, &mut inst.corruptions);
    let r = s.validate(st, &files, false, at);
    std::mem::swap(&mut st.rman.corruptions, &mut inst.corruptions);
    st.instance = Some(inst);
    r?;
    s.line(&format!("Finished backup at {at}"));
    Ok(())
}

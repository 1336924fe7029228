//! The simulated `rman`: reads a script from standard input and runs the commands of the
//! image-copy backup cycle against the simulated database.
//!
//! # Commands
//!
//! | command | what it does |
//! |---------|--------------|
//! | `set echo on\|off` | echoes the commands after the prompts |
//! | `connect target [user/pw]@alias` \| `/` | checks the alias in tnsnames.ora |
//! | `connect catalog [user/pw]@alias` (or `rman ... catalog ...`) | `connected to recovery catalog database` when the alias is an RMAN catalog made by `oracle-sim add-catalog --kind rman` ([`crate::catalog`]); an alias not in tnsnames.ora: RMAN-04004 / ORA-12154; another alias (or no alias): RMAN-06428 |
//! | `register database` | `database registered in recovery catalog` and a full resync; RMAN-20002 when registered already; RMAN-06002 without a catalog |
//! | `resync catalog` | a full resync; RMAN-20001 when the database is not registered |
//! | `configure ...` | the settings of our `config` template, stored in the state |
//! | `run { ... }` | the commands inside, stopping at the first failure |
//! | `backup [section size N] incremental level 1 for recover of copy with tag 'T' database` | level-0 image copy of each datafile without a copy tagged T, else an incremental piece of the blocks changed after the copy's checkpoint |
//! | `recover copy of database with tag 'T'` | applies the newer pieces tagged T to the copies block by block |
//! | `delete noprompt backupset tag 'T'` | deletes the pieces tagged T |
//! | `delete noprompt [force] archivelog until time 'sysdate-N'` | deletes every copy (every destination) of the logs archived more than N days ago |
//! | `delete noprompt datafilecopy 'path'` | deletes a copy |
//! | `backup spfile tag 'T'`, `backup current controlfile format 'P' [reuse] tag 'T'` | write small pieces |
//! | `delete noprompt obsolete recovery window of N days` | `no obsolete backups found` |
//! | `show all` | the configuration |
//! | `backup validate [check logical] database` | `datafile::verify_file` over the datafiles |
//! | `validate datafilecopy all`, `backup validate [check logical] datafilecopy all` | the same over the copies |
//! | `exit`, `quit` | `Recovery Manager complete.` |
//! | `startup nomount`, `shutdown`, `allocate channel`, `restore controlfile from`, `alter database mount`, `change ... uncatalog`, `catalog start with`, `switch database to copy`, `set until time`, `recover database` | a restore test's instance, see `rman/restore.rs` |
//!
//! Anything else fails with RMAN-00558 / RMAN-01009 (a syntax error) and exit status 1;
//! `oracle-sim: ...` on standard error says the command is not simulated.
//! After a failed command the rest of the script is not run; the exit status is 1.
//!
//! # Files
//!
//! * Image copies: byte copies of the datafile, block 1 rewritten with the copy's checkpoint
//!   SCN (`kcvfhckp`); named `data_D-<DB>_I-<dbid>_TS-<TS>_FNO-<n>_<unique>` in the
//!   directory of `CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT` (else the recovery area).
//! * Incremental pieces ([`INCR_MAGIC`]): a 48-byte header (magic, dbid, file number, block
//!   size, from SCN, to SCN, count; little endian) then `count` records of
//!   (block number u64, block bytes).
//! * Spfile and control file pieces: a text line naming what they hold.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use datafile::{ByteOrder, CacheHeader};

use crate::fault;
use crate::files;
use crate::matcher::{match_pattern, normalise};
use crate::sqlplus::tns_alias_exists;
use crate::state::{
    BackupPiece, BlockCorruption, ConfigEntry, CopyCheckpoint, DatafileCopy, State, StateLock,
};

mod restore;

/// Magic of an incremental piece written by the simulator.
pub const INCR_MAGIC: &[u8; 8] = b"OSIMINC1";
const INCR_HEADER: usize = 48;
const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The keywords RMAN-01009 lists at the start of a command.
const EXPECTING: &str = "allocate, alter, analyze, associate statistics, audit, backup, beginline, blockrecover, catalog, change, comment, commit, configure, connect, convert, copy, create, create catalog, create global, create script, create virtual, crosscheck, delete, delete from, describe, describe catalog, disassociate statistics, drop, drop catalog, drop database, duplicate, exit, explain plan, flashback, flashback table, grant, grant catalog, grant register, host, import, insert, list, lock table, merge, mount, noaudit, open, print, purge, quit, recover, register, release, rename, repair, replace, report, report schema, reset, restore, resync, revoke, run, savepoint, select, set, show, shutdown, spool, sql, startup, switch, transport, truncate, unregister, update, upgrade, upgrade catalog, validate, {, ;";

/// One command of the script, as read.
#[derive(Debug, Clone)]
struct Raw {
    /// The text (with the `;`), lines as in the script.
    text: String,
    /// 1-based line and column of its start.
    line: usize,
    col: usize,
    /// The script ended before the command did.
    incomplete: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Cmd {
    SetEcho(bool),
    ConnectTarget(String),
    ConnectCatalog(String),
    Register,
    Resync,
    Configure { key: String, line: String },
    Run(Vec<Cmd>),
    BackupForRecover { tag: String },
    RecoverCopy { tag: String },
    DeleteBackupset { tag: String },
    DeleteArchivelog { days: f64 },
    DeleteDatafilecopy { path: String },
    BackupSpfile { tag: String },
    BackupControlfile { path: String, tag: String },
    DeleteObsolete,
    ShowAll,
    ValidateDatabase,
    ValidateCopies,
    Exit,
    Restore(restore::RestoreCmd),
}

impl Cmd {
    /// Whether the command is followed by a control file autobackup (when configured).
    fn backs_up(&self) -> bool {
        matches!(
            self,
            Cmd::BackupForRecover { .. }
                | Cmd::RecoverCopy { .. }
                | Cmd::BackupSpfile { .. }
                | Cmd::BackupControlfile { .. }
        )
    }

    /// The command name RMAN-03002 uses.
    fn name(&self) -> &'static str {
        match self {
            Cmd::BackupForRecover { .. }
            | Cmd::BackupSpfile { .. }
            | Cmd::BackupControlfile { .. }
            | Cmd::ValidateDatabase => "backup",
            Cmd::ValidateCopies => "validate",
            Cmd::RecoverCopy { .. } => "recover",
            Cmd::DeleteBackupset { .. }
            | Cmd::DeleteArchivelog { .. }
            | Cmd::DeleteDatafilecopy { .. }
            | Cmd::DeleteObsolete => "delete",
            Cmd::ShowAll => "show",
            Cmd::Configure { .. } => "configure",
            Cmd::Restore(r) => r.name(),
            _ => "run",
        }
    }
}

/// A failed command: the errors of its stack.
#[derive(Debug)]
struct Failure(Vec<String>);

fn fail(lines: &[&str]) -> Failure {
    Failure(lines.iter().map(|s| (*s).to_string()).collect())
}

/// Runs `rman` with `args` and `script`; writes the output to `out`; the exit status.
pub fn run(
    args: &[String],
    script: &str,
    root: Result<PathBuf, String>,
    out: &mut dyn Write,
) -> i32 {
    let mut s = Session {
        root: root.as_ref().ok().cloned(),
        root_error: root.err(),
        text: String::new(),
        echo: false,
        connected: false,
        said_controlfile: false,
        channel: false,
        allocated: None,
        until: None,
        catalog: None,
    };
    let code = s.run(args, script);
    let _ = out.write_all(s.text.as_bytes());
    let _ = out.flush();
    code
}

struct Session {
    root: Option<PathBuf>,
    root_error: Option<String>,
    text: String,
    echo: bool,
    connected: bool,
    said_controlfile: bool,
    channel: bool,
    /// A channel allocated with `allocate channel` in the current `run` block.
    allocated: Option<String>,
    /// `set until time` of the current `run` block.
    until: Option<NaiveDateTime>,
    /// The recovery catalog connected to (its alias), see [`crate::catalog`].
    catalog: Option<String>,
}

impl Session {
    fn emit(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }

    fn now(&self) -> NaiveDateTime {
        match self.root.as_deref().and_then(|r| State::load(r).ok()) {
            Some(st) => st.now(),
            None => chrono::Local::now().naive_local(),
        }
    }

    fn stack(&mut self, errors: &[String]) {
        self.line("RMAN-00571: ===========================================================");
        self.line("RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============");
        self.line("RMAN-00571: ===========================================================");
        for e in errors {
            self.line(e);
        }
    }

    fn run(&mut self, args: &[String], script: &str) -> i32 {
        let now = self.now();
        self.emit(&format!(
            "\nRecovery Manager: Release 12.1.0.2.0 - Production on {}\n\nCopyright (c) 1982, 2014, Oracle and/or its affiliates.  All rights reserved.\n\n",
            now.format("%a %b %-d %H:%M:%S %Y")
        ));
        // Command-line arguments: `target X`, `catalog X`, `nocatalog`, `log F [append]`
        // (handled by the caller), `cmdfile F` (read by the caller).
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let a = a.to_ascii_lowercase();
            match a.as_str() {
                "target" => {
                    let v = args.get(i + 1).cloned().unwrap_or_default();
                    if let Err(f) = self.connect_target(&v) {
                        self.stack(&f.0);
                        return 1;
                    }
                    self.emit("\n");
                    i += 2;
                }
                "catalog" => {
                    let v = args.get(i + 1).cloned().unwrap_or_default();
                    if let Err(f) = self.connect_catalog(&v) {
                        self.stack(&f.0);
                        return 1;
                    }
                    self.emit("\n");
                    i += 2;
                }
                "log" | "cmdfile" => i += 2,
                "nocatalog" | "append" => i += 1,
                _ => {
                    self.line("Argument     Value          Description");
                    self.line("-----------------------------------------------------------------------------");
                    self.stack(&[
                        "RMAN-00552: syntax error in command line arguments".into(),
                        "RMAN-01009: syntax error: found \"identifier\": expecting one of: \"append, auxiliary, catalog, checksyntax, cmdfile, log, msgno, nocatalog, pipe, script, send, target, timeout, using, @, ;\"".to_string(),
                        format!("RMAN-01008: the bad identifier was: {}", args.get(i).cloned().unwrap_or_default()),
                        "RMAN-01007: at line 0 column 0 file: command line arguments".into(),
                    ]);
                    return 1;
                }
            }
        }
        let raws = split_script(script);
        for raw in raws {
            self.emit("RMAN> ");
            if raw.text.is_empty() {
                // A blank line: a prompt and nothing else.
                self.emit("\n\n");
                continue;
            }
            if self.echo && first_word(&raw.text).eq_ignore_ascii_case("connect") {
                // RMAN does not echo connect strings.
                let words: Vec<&str> = raw.text.split_whitespace().take(2).collect();
                self.line(&format!("{} *", words.join(" ")));
            } else if self.echo {
                for (n, l) in raw.text.lines().enumerate() {
                    if n > 0 {
                        self.emit(&format!("{}> ", n + 1));
                    }
                    self.line(l.trim());
                }
            } else {
                self.emit("\n");
            }
            let cmd = match parse(&raw) {
                Ok(c) => c,
                Err(errors) => {
                    self.emit("\n");
                    self.stack(&errors);
                    self.emit("\nRMAN> \n\nRecovery Manager complete.\n");
                    return 1;
                }
            };
            if cmd == Cmd::Exit {
                self.emit("\n\nRecovery Manager complete.\n");
                return 0;
            }
            if let Err(f) = self.exec_top(&cmd) {
                self.stack(&f.0);
                self.emit("\nRMAN> \n\nRecovery Manager complete.\n");
                return 1;
            }
            self.emit("\n");
        }
        // End of input without EXIT: RMAN ends as with EXIT.
        self.emit("\n\nRecovery Manager complete.\n");
        0
    }

    fn exec_top(&mut self, cmd: &Cmd) -> Result<(), Failure> {
        match cmd {
            Cmd::SetEcho(on) => {
                self.echo = *on;
                self.line(if *on { "echo set on" } else { "echo set off" });
                Ok(())
            }
            Cmd::ConnectTarget(s) => self.connect_target(s),
            Cmd::ConnectCatalog(c) => self.connect_catalog(c),
            Cmd::Register | Cmd::Resync => self.catalog_command(cmd),
            Cmd::Run(cmds) => {
                let r = self.run_block(cmds);
                // `allocate channel` and `set until` last until the end of the block.
                self.until = None;
                if let Some(c) = self.allocated.take() {
                    if r.is_ok() {
                        self.line(&format!("released channel: {c}"));
                    }
                }
                r
            }
            other => {
                self.exec_db(other)?;
                if other.backs_up() {
                    self.autobackup()?;
                }
                Ok(())
            }
        }
    }

    fn run_block(&mut self, cmds: &[Cmd]) -> Result<(), Failure> {
        for (i, c) in cmds.iter().enumerate() {
            self.exec_db(c)?;
            // The control file autobackup follows the last of consecutive backup
            // (and recover copy) commands.
            if c.backs_up() && !cmds.get(i + 1).is_some_and(Cmd::backs_up) {
                self.autobackup()?;
            }
        }
        Ok(())
    }

    fn connect_target(&mut self, s: &str) -> Result<(), Failure> {
        if fault::active("rman", "connect") {
            return Err(fail(&[
                "RMAN-00554: initialization of internal recovery manager package failed",
                "RMAN-04005: error from target database: ",
                "ORA-01034: ORACLE not available",
                "ORA-27101: shared memory realm does not exist",
                "Linux-x86_64 Error: 2: No such file or directory",
            ]));
        }
        let s = s.trim().trim_matches(|c| c == '"' || c == '\'');
        if let Some((_, alias)) = s.rsplit_once('@') {
            if !tns_alias_exists(alias.trim()) {
                return Err(fail(&[
                    "RMAN-00554: initialization of internal recovery manager package failed",
                    "RMAN-04005: error from target database: ",
                    "ORA-12154: TNS:could not resolve the connect identifier specified",
                ]));
            }
        }
        let Some(root) = self.root.clone() else {
            if let Some(e) = &self.root_error {
                eprintln!("oracle-sim: {e}");
            }
            return Err(fail(&[
                "RMAN-00554: initialization of internal recovery manager package failed",
                "RMAN-04005: error from target database: ",
                "ORA-01034: ORACLE not available",
                "ORA-27101: shared memory realm does not exist",
            ]));
        };
        let st = State::load(&root).map_err(|e| {
            eprintln!("oracle-sim: {e}");
            fail(&[
                "RMAN-00554: initialization of internal recovery manager package failed",
                "RMAN-04005: error from target database: ",
                "ORA-01034: ORACLE not available",
            ])
        })?;
        self.connected = true;
        self.line(&format!(
            "connected to target database: {} (DBID={})",
            st.db_name_upper(),
            st.dbid
        ));
        Ok(())
    }

    /// `connect catalog S` / `rman catalog S`: S's alias must name an RMAN catalog schema.
    fn connect_catalog(&mut self, s: &str) -> Result<(), Failure> {
        let s = s.trim().trim_matches(|c| c == '"' || c == '\'');
        let Some((_, alias)) = s.rsplit_once('@') else {
            // A local connection: the target database holds no recovery catalog.
            return Err(fail(&[
                "RMAN-00554: initialization of internal recovery manager package failed",
                "RMAN-06428: recovery catalog is not installed",
            ]));
        };
        let alias = alias.trim();
        if !tns_alias_exists(alias) {
            return Err(catalog_failure());
        }
        let cat = self
            .root
            .as_deref()
            .and_then(|r| crate::catalog::Catalog::load(r, alias));
        match cat {
            Some(Ok(c)) if c.is_rman() => {
                self.catalog = Some(c.alias);
                self.line("connected to recovery catalog database");
                Ok(())
            }
            Some(Err(e)) => {
                eprintln!("oracle-sim: {e}");
                Err(fail(&[
                    "RMAN-00554: initialization of internal recovery manager package failed",
                    "RMAN-04004: error from recovery catalog database: ORA-01034: ORACLE not available",
                ]))
            }
            _ => Err(fail(&[
                "RMAN-00554: initialization of internal recovery manager package failed",
                "RMAN-06428: recovery catalog is not installed",
            ])),
        }
    }

    /// `register database`, `resync catalog`.
    fn catalog_command(&mut self, cmd: &Cmd) -> Result<(), Failure> {
        let at = self.now().format(DATE_FORMAT).to_string();
        let name = if *cmd == Cmd::Register {
            "register"
        } else {
            "resync"
        };
        if !self.connected {
            return Err(Failure(vec![
                format!("RMAN-03002: failure of {name} command at {at}"),
                "RMAN-06171: not connected to target database".into(),
            ]));
        }
        let (Some(alias), Some(root)) = (self.catalog.clone(), self.root.clone()) else {
            return Err(Failure(vec![
                format!("RMAN-03002: failure of {name} command at {at}"),
                "RMAN-06002: command not allowed when not connected to a recovery catalog".into(),
            ]));
        };
        let _lock = StateLock::acquire(&root).map_err(|e| internal(name, &at, &e.to_string()))?;
        let st = State::load(&root).map_err(|e| internal(name, &at, &e.to_string()))?;
        let mut cat = match crate::catalog::Catalog::load(&root, &alias) {
            Some(Ok(c)) => c,
            Some(Err(e)) => return Err(internal(name, &at, &e.to_string())),
            None => return Err(internal(name, &at, "the catalog is gone")),
        };
        let now = st.now();
        let registered = cat.registered.iter().position(|r| r.dbid == st.dbid);
        let on_channel = |e: &str| {
            Failure(vec![
                format!("RMAN-03009: failure of {name} command on default channel at {at}"),
                e.to_string(),
            ])
        };
        match (cmd, registered) {
            (Cmd::Register, Some(_)) => {
                return Err(on_channel(
                    "RMAN-20002: target database already registered in recovery catalog",
                ))
            }
            (Cmd::Register, None) => {
                cat.registered.push(crate::catalog::RegisteredDatabase {
                    dbid: st.dbid,
                    name: st.db_name_upper(),
                    resync_time: now,
                });
                self.line("database registered in recovery catalog");
            }
            (_, None) => {
                return Err(on_channel(
                    "RMAN-20001: target database not found in recovery catalog",
                ))
            }
            (_, Some(i)) => {
                if let Some(r) = cat.registered.get_mut(i) {
                    r.resync_time = now;
                }
            }
        }
        self.line("starting full resync of recovery catalog");
        self.line("full resync complete");
        cat.save(&root)
            .map_err(|e| internal(name, &at, &e.to_string()))
    }

    /// Runs a command that needs the database: under the state lock, saving the state
    /// afterwards (also after a failure, for what was done before it).
    fn exec_db(&mut self, cmd: &Cmd) -> Result<(), Failure> {
        let now = self.now();
        let at = now.format(DATE_FORMAT).to_string();
        let name = cmd.name();
        if !self.connected {
            return Err(Failure(vec![
                format!("RMAN-03002: failure of {name} command at {at}"),
                "RMAN-06171: not connected to target database".into(),
            ]));
        }
        let root = self
            .root
            .clone()
            .ok_or_else(|| fail(&["RMAN-06171: not connected to target database"]))?;
        let _lock = StateLock::acquire(&root).map_err(|e| internal(name, &at, &e.to_string()))?;
        let mut st = State::load(&root).map_err(|e| internal(name, &at, &e.to_string()))?;
        let r = self.exec(&mut st, cmd, &at);
        st.save(&root)
            .map_err(|e| internal(name, &at, &e.to_string()))?;
        r
    }

    /// `CONFIGURE CONTROLFILE AUTOBACKUP ON`: writes `c-<dbid>-<yyyymmdd>-<QQ>` (`%F`) where
    /// the autobackup format says (else in the recovery area).
    fn autobackup(&mut self) -> Result<(), Failure> {
        let Some(root) = self.root.clone() else {
            return Ok(());
        };
        let now = self.now();
        let at = now.format(DATE_FORMAT).to_string();
        let _lock =
            StateLock::acquire(&root).map_err(|e| internal("backup", &at, &e.to_string()))?;
        let mut st = State::load(&root).map_err(|e| internal("backup", &at, &e.to_string()))?;
        let on = st
            .rman
            .config
            .iter()
            .any(|c| c.key == "CONTROLFILE AUTOBACKUP" && c.line.ends_with(" ON"));
        if !on {
            return Ok(());
        }
        let dir = st
            .rman
            .config
            .iter()
            .find(|c| c.key == "CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK")
            .and_then(|c| {
                Path::new(c.line.split('\'').nth(1)?)
                    .parent()
                    .map(Path::to_path_buf)
            })
            .unwrap_or_else(|| {
                st.recovery_dest
                    .join(st.db_unique_name.to_ascii_uppercase())
                    .join("autobackup")
            });
        let day = now.format("%Y%m%d").to_string();
        let prefix = format!("c-{}-{day}-", st.dbid);
        let seq = st
            .rman
            .pieces
            .iter()
            .filter(|p| p.kind == "autobackup")
            .filter_map(|p| {
                let name = p.path.file_name()?.to_str()?;
                u32::from_str_radix(name.strip_prefix(&prefix)?, 16).ok()
            })
            .map(|n| n + 1)
            .max()
            .unwrap_or(0);
        let path = dir.join(format!("{prefix}{seq:02x}"));
        self.emit(&format!(
            "Starting Control File and SPFILE Autobackup at {at}\n"
        ));
        let body = format!(
            "ORACLE-SIM CONTROLFILE AUTOBACKUP db={} dbid={} scn={}\n",
            st.db_name_upper(),
            st.dbid,
            st.current_scn
        );
        write_new(&path, body.as_bytes()).map_err(|e| {
            Failure(vec![
                format!(
                    "RMAN-03002: failure of Control File and SPFILE Autobackup command at {at}"
                ),
                format!("ORA-19504: failed to create file \"{}\"", path.display()),
                format!("ORA-27040: file create error, unable to create file ({e})"),
            ])
        })?;
        let recid = next_recid(&mut st);
        st.rman.pieces.push(BackupPiece {
            path: path.clone(),
            tag: format!("TAG{}", now.format("%Y%m%dT%H%M%S")),
            kind: "autobackup".into(),
            file_number: None,
            from_scn: 0,
            to_scn: st.current_scn,
            deleted: false,
            recid,
            stamp: stamp(now),
        });
        st.save(&root)
            .map_err(|e| internal("backup", &at, &e.to_string()))?;
        self.line(&format!("piece handle={} comment=NONE", path.display()));
        self.line(&format!(
            "Finished Control File and SPFILE Autobackup at {at}\n"
        ));
        Ok(())
    }

    fn controlfile_note(&mut self) {
        if !self.said_controlfile && self.catalog.is_none() {
            self.said_controlfile = true;
            self.line("using target database control file instead of recovery catalog");
        }
    }

    fn channels(&mut self) {
        self.controlfile_note();
        if self.channel {
            self.line("using channel ORA_DISK_1");
        } else {
            self.channel = true;
            self.line("allocated channel: ORA_DISK_1");
            self.line("channel ORA_DISK_1: SID=46 device type=DISK");
        }
    }

    fn exec(&mut self, st: &mut State, cmd: &Cmd, at: &str) -> Result<(), Failure> {
        let io_fail = |what: &str, e: io::Error| {
            Failure(vec![
                format!("RMAN-03002: failure of {} command at {at}", cmd.name()),
                format!("ORA-19504: failed to create file \"{what}\""),
                "ORA-27040: file create error, unable to create file".into(),
                format!("Linux-x86_64 Error: 0: {e}"),
            ])
        };
        match cmd {
            Cmd::Configure { key, line } => {
                self.controlfile_note();
                let old = st.rman.config.iter().position(|c| &c.key == key);
                if let Some(i) = old {
                    let prev = st.rman.config.get(i).map(|c| c.line.clone()).unwrap_or_default();
                    self.line("old RMAN configuration parameters:");
                    self.line(&format!("{prev};"));
                    st.rman.config.remove(i);
                }
                st.rman.config.push(ConfigEntry {
                    key: key.clone(),
                    line: line.clone(),
                });
                self.line("new RMAN configuration parameters:");
                self.line(&format!("{line};"));
                self.line("new RMAN configuration parameters are successfully stored");
                self.emit("\n");
                Ok(())
            }
            Cmd::ShowAll => {
                self.controlfile_note();
                self.line(&format!(
                    "RMAN configuration parameters for database with db_unique_name {} are:",
                    st.db_unique_name.to_ascii_uppercase()
                ));
                for l in show_all(st) {
                    self.line(&l);
                }
                self.emit("\n");
                Ok(())
            }
            Cmd::DeleteObsolete => {
                self.channels();
                self.line("no obsolete backups found");
                Ok(())
            }
            Cmd::BackupForRecover { tag } => self.backup_for_recover(st, tag, at, &io_fail),
            Cmd::RecoverCopy { tag } => self.recover_copy(st, tag, at),
            Cmd::DeleteBackupset { tag } => {
                self.channels();
                let tag = tag.to_ascii_uppercase();
                let idx: Vec<usize> = (0..st.rman.pieces.len())
                    .filter(|&i| st.rman.pieces.get(i).is_some_and(|p| !p.deleted && p.tag == tag))
                    .collect();
                if idx.is_empty() {
                    self.line("specification does not match any backup in the repository\n");
                    return Ok(());
                }
                self.emit("\nList of Backup Pieces\n");
                self.line("BP Key  BS Key  Pc# Cp# Status      Device Type Piece Name");
                self.line("------- ------- --- --- ----------- ----------- ----------");
                for &i in &idx {
                    if let Some(p) = st.rman.pieces.get(i) {
                        self.line(&format!(
                            "{:<7} {:<7} 1   1   AVAILABLE   DISK        {}",
                            p.recid,
                            p.recid,
                            p.path.display()
                        ));
                    }
                }
                for &i in &idx {
                    if let Some(p) = st.rman.pieces.get_mut(i) {
                        remove_file(&p.path);
                        p.deleted = true;
                        let line = format!(
                            "backup piece handle={} RECID={} STAMP={}",
                            p.path.display(),
                            p.recid,
                            p.stamp
                        );
                        self.line("deleted backup piece");
                        self.line(&line);
                    }
                }
                self.line(&format!("Deleted {} objects\n", idx.len()));
                Ok(())
            }
            Cmd::DeleteArchivelog { days } => {
                self.channels();
                let now = st.now();
                let limit = now - chrono::Duration::seconds((days * 86_400.0) as i64);
                let mut listed = Vec::new();
                for log in st.archived_logs.iter_mut() {
                    if log.next_time >= limit {
                        continue;
                    }
                    for c in log.copies.iter_mut().filter(|c| !c.deleted) {
                        remove_file(&c.path);
                        c.deleted = true;
                        listed.push((log.sequence, log.first_time, c.path.clone()));
                    }
                }
                if listed.is_empty() {
                    self.line("specification does not match any archived log in the repository\n");
                    return Ok(());
                }
                self.line(&format!(
                    "List of Archived Log Copies for database with db_unique_name {}",
                    st.db_unique_name.to_ascii_uppercase()
                ));
                self.line("=====================================================================\n");
                self.line("Key     Thrd Seq     S Low Time");
                self.line("------- ---- ------- - -------------------");
                for (n, (seq, t, p)) in listed.iter().enumerate() {
                    self.line(&format!(
                        "{:<7} 1    {seq:<7} A {}\n        Name: {}\n",
                        n + 1,
                        t.format(DATE_FORMAT),
                        p.display()
                    ));
                }
                for (n, (_, _, p)) in listed.iter().enumerate() {
                    self.line("deleted archived log");
                    self.line(&format!(
                        "archived log file name={} RECID={} STAMP={}",
                        p.display(),
                        n + 1,
                        stamp(now)
                    ));
                }
                self.line(&format!("Deleted {} objects\n", listed.len()));
                Ok(())
            }
            Cmd::DeleteDatafilecopy { path } => {
                self.channels();
                let found = st
                    .datafile_copies
                    .iter_mut()
                    .find(|c| !c.deleted && c.path == Path::new(path));
                let Some(c) = found else {
                    self.line("specification does not match any datafile copy in the repository");
                    return Ok(());
                };
                remove_file(&c.path);
                c.deleted = true;
                let (recid, stp) = st
                    .rman
                    .copies
                    .iter()
                    .find(|k| k.path == Path::new(path))
                    .map(|k| (k.recid, k.stamp))
                    .unwrap_or((0, 0));
                self.line("deleted datafile copy");
                self.line(&format!("datafile copy file name={path} RECID={recid} STAMP={stp}"));
                self.line("Deleted 1 objects\n");
                Ok(())
            }
            Cmd::BackupSpfile { tag } => {
                let path = piece_path(st, &format_dir(st));
                self.small_piece(st, "spfile", tag, &path, at, &io_fail)
            }
            Cmd::BackupControlfile { path, tag } => {
                let path = PathBuf::from(path);
                for p in st.rman.pieces.iter_mut().filter(|p| !p.deleted && p.path == path) {
                    p.deleted = true;
                }
                self.small_piece(st, "controlfile", tag, &path, at, &io_fail)
            }
            Cmd::ValidateDatabase => {
                if fault::active("rman", "validate") {
                    return Err(validate_fault("backup", at, st));
                }
                if let Some(inst) = st.instance.take() {
                    // A restore test: the files the instance's control file points at.
                    return restore::validate_instance(self, st, inst, at);
                }
                self.line(&format!("Starting backup at {at}"));
                self.channels();
                let files: Vec<(u32, PathBuf)> = st
                    .datafiles
                    .iter()
                    .map(|d| (d.file_number, d.path.clone()))
                    .collect();
                self.validate(st, &files, false, at)?;
                self.line(&format!("Finished backup at {at}"));
                Ok(())
            }
            Cmd::Restore(r) => restore::exec(self, st, r, at),
            Cmd::ValidateCopies => {
                if fault::active("rman", "validate") {
                    return Err(validate_fault("validate", at, st));
                }
                self.line(&format!("Starting validate at {at}"));
                self.channels();
                let files: Vec<(u32, PathBuf)> = st
                    .datafile_copies
                    .iter()
                    .filter(|c| !c.deleted)
                    .map(|c| (c.file_number, c.path.clone()))
                    .collect();
                if files.is_empty() {
                    return Err(Failure(vec![
                        format!("RMAN-03002: failure of validate command at {at}"),
                        "RMAN-20505: create datafile copy not found in the repository".into(),
                        "RMAN-06010: error while looking up datafile copy name: all".into(),
                    ]));
                }
                self.validate(st, &files, true, at)?;
                self.line(&format!("Finished validate at {at}"));
                Ok(())
            }
            Cmd::SetEcho(_)
            | Cmd::ConnectTarget(_)
            | Cmd::ConnectCatalog(_)
            | Cmd::Register
            | Cmd::Resync
            | Cmd::Run(_)
            | Cmd::Exit => {
                Err(Failure(vec![
                    "RMAN-00558: error encountered while parsing input commands".into(),
                    "RMAN-01009: syntax error: found \"identifier\": expecting one of: \"allocate, alter, backup, beginline, blockrecover, catalog, change, copy, convert, create, crosscheck, configure, duplicate, debug, delete, drop, execute, endinline, flashback, host, }, library, list, mount, open, print, register, release, recover, report, reset, restore, resync, set, setlimit, sql, shutdown, startup, switch, validate\"".into(),
                ]))
            }
        }
    }

    fn small_piece(
        &mut self,
        st: &mut State,
        kind: &str,
        tag: &str,
        path: &Path,
        at: &str,
        io_fail: &dyn Fn(&str, io::Error) -> Failure,
    ) -> Result<(), Failure> {
        self.line(&format!("Starting backup at {at}"));
        self.channels();
        self.line("channel ORA_DISK_1: starting full datafile backup set");
        self.line("channel ORA_DISK_1: specifying datafile(s) in backup set");
        self.line(if kind == "spfile" {
            "including current SPFILE in backup set"
        } else {
            "including current control file in backup set"
        });
        self.line(&format!("channel ORA_DISK_1: starting piece 1 at {at}"));
        let body = format!(
            "ORACLE-SIM {} BACKUP db={} dbid={} scn={}\n",
            kind.to_ascii_uppercase(),
            st.db_name_upper(),
            st.dbid,
            st.current_scn
        );
        write_new(path, body.as_bytes()).map_err(|e| io_fail(&path.display().to_string(), e))?;
        let tag = tag.to_ascii_uppercase();
        let recid = next_recid(st);
        st.rman.pieces.push(BackupPiece {
            path: path.to_path_buf(),
            tag: tag.clone(),
            kind: kind.to_string(),
            file_number: None,
            from_scn: 0,
            to_scn: st.current_scn,
            deleted: false,
            recid,
            stamp: stamp(st.now()),
        });
        self.line(&format!("channel ORA_DISK_1: finished piece 1 at {at}"));
        self.line(&format!(
            "piece handle={} tag={tag} comment=NONE",
            path.display()
        ));
        self.line("channel ORA_DISK_1: backup set complete, elapsed time: 00:00:01");
        self.line(&format!("Finished backup at {at}\n"));
        Ok(())
    }

    fn backup_for_recover(
        &mut self,
        st: &mut State,
        tag: &str,
        at: &str,
        io_fail: &dyn Fn(&str, io::Error) -> Failure,
    ) -> Result<(), Failure> {
        let tag = tag.to_ascii_uppercase();
        self.line(&format!("Starting backup at {at}"));
        self.channels();
        let dir = format_dir(st);
        if fault::active("rman", "backup") {
            let path = piece_path(st, &dir);
            let bs = st.db_block_size;
            let first = st
                .datafiles
                .first()
                .map(|d| (d.file_number, d.path.display().to_string()))
                .unwrap_or_default();
            self.line("channel ORA_DISK_1: starting incremental level 1 datafile backup set");
            self.line("channel ORA_DISK_1: specifying datafile(s) in backup set");
            self.line(&format!(
                "input datafile file number={:05} name={}",
                first.0, first.1
            ));
            self.line(&format!("channel ORA_DISK_1: starting piece 1 at {at}"));
            let p = path.display();
            return Err(Failure(vec![
                format!("RMAN-03009: failure of backup command on ORA_DISK_1 channel at {at}"),
                format!("ORA-19502: write error on file \"{p}\", block number 2 (block size={bs})"),
                "ORA-27072: File I/O error".into(),
                "Linux-x86_64 Error: 28: No space left on device".into(),
                "Additional information: 4".into(),
                "Additional information: 2".into(),
            ]));
        }
        let ckp = st.current_scn;
        let datafiles = st.datafiles.clone();
        for df in &datafiles {
            let existing = st
                .datafile_copies
                .iter()
                .find(|c| {
                    !c.deleted
                        && c.tag == tag
                        && c.file_number == df.file_number
                        && c.creation_scn == df.creation_scn
                })
                .map(|c| c.path.clone());
            let input = format!(
                "input datafile file number={:05} name={}",
                df.file_number,
                df.path.display()
            );
            match existing {
                None => {
                    self.line("channel ORA_DISK_1: starting datafile copy");
                    self.line(&input);
                    let n = st.next_name();
                    let path = dir.join(format!(
                        "data_D-{}_I-{}_TS-{}_FNO-{}_{}",
                        st.db_name_upper(),
                        st.dbid,
                        df.tablespace,
                        df.file_number,
                        crate::db::omf_tag(n, st.dbid)
                    ));
                    make_copy(st, df, &path, ckp)
                        .map_err(|e| io_fail(&path.display().to_string(), e))?;
                    let recid = next_recid(st);
                    let stp = stamp(st.now());
                    st.datafile_copies.push(DatafileCopy {
                        file_number: df.file_number,
                        creation_scn: df.creation_scn,
                        path: path.clone(),
                        tag: tag.clone(),
                        deleted: false,
                    });
                    st.rman.copies.retain(|c| c.path != path);
                    st.rman.copies.push(CopyCheckpoint {
                        path: path.clone(),
                        file_number: df.file_number,
                        checkpoint_scn: ckp,
                        recid,
                        stamp: stp,
                    });
                    self.line(&format!(
                        "output file name={} tag={tag} RECID={recid} STAMP={stp}",
                        path.display()
                    ));
                    self.line("channel ORA_DISK_1: datafile copy complete, elapsed time: 00:00:01");
                }
                Some(copy) => {
                    let from = st.rman.copy_checkpoint(&copy);
                    // Pieces not yet applied also count: the next one starts at the newest.
                    let from = st
                        .rman
                        .live_incrementals(&tag, df.file_number, from)
                        .map(|p| p.to_scn)
                        .fold(from, u64::max);
                    self.line(
                        "channel ORA_DISK_1: starting incremental level 1 datafile backup set",
                    );
                    self.line("channel ORA_DISK_1: specifying datafile(s) in backup set");
                    self.line(&input);
                    self.line(&format!("channel ORA_DISK_1: starting piece 1 at {at}"));
                    let path = piece_path(st, &dir);
                    write_incremental(st, df, &path, from, ckp)
                        .map_err(|e| io_fail(&path.display().to_string(), e))?;
                    let recid = next_recid(st);
                    st.rman.pieces.push(BackupPiece {
                        path: path.clone(),
                        tag: tag.clone(),
                        kind: "incremental".into(),
                        file_number: Some(df.file_number),
                        from_scn: from,
                        to_scn: ckp,
                        deleted: false,
                        recid,
                        stamp: stamp(st.now()),
                    });
                    self.line(&format!("channel ORA_DISK_1: finished piece 1 at {at}"));
                    self.line(&format!(
                        "piece handle={} tag={tag} comment=NONE",
                        path.display()
                    ));
                    self.line("channel ORA_DISK_1: backup set complete, elapsed time: 00:00:01");
                }
            }
        }
        st.current_scn += 1;
        self.line(&format!("Finished backup at {at}\n"));
        Ok(())
    }

    fn recover_copy(&mut self, st: &mut State, tag: &str, at: &str) -> Result<(), Failure> {
        let tag = tag.to_ascii_uppercase();
        self.line(&format!("Starting recover at {at}"));
        self.channels();
        let copies: Vec<DatafileCopy> = st
            .datafile_copies
            .iter()
            .filter(|c| !c.deleted && c.tag == tag)
            .cloned()
            .collect();
        let mut applied_any = false;
        for copy in copies {
            let Some(df) = st
                .datafiles
                .iter()
                .find(|d| d.file_number == copy.file_number && d.creation_scn == copy.creation_scn)
                .cloned()
            else {
                continue;
            };
            loop {
                let ckp = st.rman.copy_checkpoint(&copy.path);
                let next = st
                    .rman
                    .live_incrementals(&tag, copy.file_number, ckp)
                    .filter(|p| p.to_scn > ckp)
                    .max_by_key(|p| p.to_scn)
                    .cloned();
                let Some(piece) = next else { break };
                applied_any = true;
                self.line("channel ORA_DISK_1: starting incremental datafile backup set restore");
                self.line("channel ORA_DISK_1: specifying datafile copies to recover");
                self.line(&format!(
                    "recovering datafile copy file number={:05} name={}",
                    copy.file_number,
                    copy.path.display()
                ));
                self.line(&format!(
                    "channel ORA_DISK_1: reading from backup piece {}",
                    piece.path.display()
                ));
                if fault::active("rman", "recover") {
                    return Err(Failure(vec![
                        format!("RMAN-03002: failure of recover command at {at}"),
                        format!(
                            "ORA-19870: error while restoring backup piece {}",
                            piece.path.display()
                        ),
                        format!(
                            "ORA-19502: write error on file \"{}\", block number 2 (block size={})",
                            copy.path.display(),
                            df.block_size
                        ),
                        "ORA-27072: File I/O error".into(),
                    ]));
                }
                apply_incremental(st, &df, &copy.path, &piece).map_err(|e| {
                    Failure(vec![
                        format!("RMAN-03002: failure of recover command at {at}"),
                        format!(
                            "ORA-19870: error while restoring backup piece {}",
                            piece.path.display()
                        ),
                        format!(
                            "ORA-19505: failed to identify file \"{}\"",
                            copy.path.display()
                        ),
                        format!("ORA-27037: unable to obtain file status ({e})"),
                    ])
                })?;
                if let Some(c) = st.rman.copies.iter_mut().find(|c| c.path == copy.path) {
                    c.checkpoint_scn = piece.to_scn;
                }
                self.line(&format!(
                    "channel ORA_DISK_1: piece handle={} tag={tag}",
                    piece.path.display()
                ));
                self.line("channel ORA_DISK_1: restored backup piece 1");
                self.line("channel ORA_DISK_1: restore complete, elapsed time: 00:00:01");
            }
        }
        if !applied_any {
            self.line("no copy of datafile found to recover");
        }
        self.line(&format!("Finished recover at {at}\n"));
        Ok(())
    }

    fn validate(
        &mut self,
        st: &mut State,
        files: &[(u32, PathBuf)],
        copies: bool,
        at: &str,
    ) -> Result<(), Failure> {
        let mut table = Vec::new();
        let mut any_corrupt = false;
        for (fno, path) in files {
            if copies {
                self.line("channel ORA_DISK_1: starting validation of datafile copy");
                let recid = st
                    .rman
                    .copies
                    .iter()
                    .find(|c| &c.path == path)
                    .map(|c| (c.recid, c.stamp))
                    .unwrap_or((0, 0));
                self.line(&format!(
                    "input datafile copy RECID={} STAMP={} file name={}",
                    recid.0,
                    recid.1,
                    path.display()
                ));
            } else {
                self.line("channel ORA_DISK_1: starting validation of datafile");
                self.line("channel ORA_DISK_1: specifying datafile(s) for validation");
                self.line(&format!(
                    "input datafile file number={fno:05} name={}",
                    path.display()
                ));
            }
            let outcome =
                datafile::verify_file(path, &datafile::VerifyOptions::default(), &mut |_| {});
            let report = match outcome {
                Ok(datafile::Outcome::Verified(r)) => r,
                Ok(datafile::Outcome::Skipped { reason, .. }) => {
                    return Err(Failure(vec![
                        format!(
                            "RMAN-03009: failure of validate command on ORA_DISK_1 channel at {at}"
                        ),
                        format!("ORA-19505: failed to identify file \"{}\"", path.display()),
                        format!(
                            "ORA-27048: skgfifi: file header information is invalid ({reason})"
                        ),
                    ]))
                }
                Err(e) => {
                    return Err(Failure(vec![
                        format!(
                            "RMAN-03009: failure of validate command on ORA_DISK_1 channel at {at}"
                        ),
                        format!("ORA-19505: failed to identify file \"{}\"", path.display()),
                        "ORA-27037: unable to obtain file status".into(),
                        format!("Linux-x86_64 Error: 2: {e}"),
                    ]))
                }
            };
            self.line("channel ORA_DISK_1: validation complete, elapsed time: 00:00:01");
            let copy_key = copies.then(|| path.clone());
            st.rman
                .corruptions
                .retain(|c| !(c.file_number == *fno && c.copy == copy_key));
            for f in &report.failures {
                let kind = match f.verdict {
                    datafile::Verdict::Fractured { .. } => "FRACTURED",
                    datafile::Verdict::ChecksumMismatch { .. } => "CHECKSUM",
                    _ => "CORRUPT",
                };
                st.rman.corruptions.push(BlockCorruption {
                    file_number: *fno,
                    block: f.block,
                    blocks: 1,
                    corruption_change: 0,
                    corruption_type: kind.to_string(),
                    copy: copy_key.clone(),
                });
            }
            any_corrupt |= !report.is_clean();
            table.push((*fno, path.clone(), report));
        }
        self.line(if copies {
            "List of Datafile Copies\n======================="
        } else {
            "List of Datafiles\n================="
        });
        self.line("File Status Marked Corrupt Empty Blocks Blocks Examined High SCN");
        self.line("---- ------ -------------- ------------ --------------- ----------");
        for (fno, path, r) in &table {
            let status = if r.is_clean() { "OK" } else { "FAILED" };
            self.line(&format!(
                "{fno:<4} {status:<6} {:<14} {:<12} {:<15} {}",
                r.pages_marked_corrupt, r.pages_empty, r.pages_examined, r.highest_scn
            ));
            self.line(&format!("  File Name: {}", path.display()));
            self.line("  Block Type Blocks Failing Blocks Processed");
            self.line("  ---------- -------------- ----------------");
            self.line(&format!(
                "  Data       {:<14} {}",
                r.pages_failing,
                // Block 1, the file header, is counted under Other.
                (r.pages_data + r.pages_failing).saturating_sub(1)
            ));
            self.line("  Index      0              0");
            self.line("  Other      0              1");
            if !r.failures.is_empty() {
                let blocks: Vec<String> = r.failures.iter().map(|f| f.block.to_string()).collect();
                eprintln!(
                    "oracle-sim: {} corrupt block(s) {}",
                    path.display(),
                    blocks.join(", ")
                );
            }
        }
        self.emit("\n");
        if any_corrupt {
            self.line("validate found one or more corrupt blocks");
            self.line(&format!(
                "See trace file {}/diag/rdbms/{}/{}/trace/{}_ora_4242.trc for details",
                st.recovery_dest
                    .parent()
                    .unwrap_or(Path::new("/"))
                    .display(),
                st.db_name,
                st.db_name,
                st.db_name
            ));
        }
        Ok(())
    }
}

/// The injected `rman:validate` failure: a read error on the first datafile.
fn validate_fault(name: &str, at: &str, st: &State) -> Failure {
    let path = st
        .instance
        .as_ref()
        .and_then(|i| i.datafiles.first().map(|d| d.path.clone()))
        .or_else(|| st.datafiles.first().map(|d| d.path.clone()))
        .unwrap_or_default();
    Failure(vec![
        format!("RMAN-03009: failure of {name} command on ORA_DISK_1 channel at {at}"),
        format!(
            "ORA-19501: read error on file \"{}\", block number 1 (block size={})",
            path.display(),
            st.db_block_size
        ),
        "ORA-27072: File I/O error".into(),
        "Linux-x86_64 Error: 5: Input/output error".into(),
    ])
}

fn internal(name: &str, at: &str, e: &str) -> Failure {
    eprintln!("oracle-sim: {e}");
    Failure(vec![
        format!("RMAN-03002: failure of {name} command at {at}"),
        "RMAN-03014: implicit resync of recovery catalog failed".into(),
        "ORA-01034: ORACLE not available".into(),
    ])
}

fn catalog_failure() -> Failure {
    fail(&[
        "RMAN-00554: initialization of internal recovery manager package failed",
        "RMAN-04004: error from recovery catalog database: ORA-12154: TNS:could not resolve the connect identifier specified",
    ])
}

fn next_recid(st: &mut State) -> u64 {
    st.rman.recid += 1;
    st.rman.recid
}

/// An Oracle STAMP-like number: seconds since 1987-01-01.
fn stamp(t: NaiveDateTime) -> u64 {
    let base = NaiveDate::from_ymd_opt(1987, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(t);
    u64::try_from((t - base).num_seconds()).unwrap_or(0)
}

fn remove_file(p: &Path) {
    // `force`/`noprompt`: a file already gone is not an error.
    let _ = fs::remove_file(p);
}

fn write_new(path: &Path, data: &[u8]) -> io::Result<()> {
    if let Some(d) = path.parent() {
        fs::create_dir_all(d)?;
    }
    fs::write(path, data)
}

/// The directory of the configured channel format, else the recovery area's backupset
/// directory.
fn format_dir(st: &State) -> PathBuf {
    st.rman
        .config
        .iter()
        .find(|c| c.key == "CHANNEL DEVICE TYPE DISK FORMAT")
        .and_then(|c| {
            let q = c.line.split('\'').nth(1)?;
            Path::new(q).parent().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| {
            st.recovery_dest
                .join(st.db_unique_name.to_ascii_uppercase())
                .join("backupset")
        })
}

/// A `%U`-like piece name in `dir`.
fn piece_path(st: &mut State, dir: &Path) -> PathBuf {
    let n = st.next_name();
    dir.join(format!("{}_1_1", crate::db::omf_tag(n, st.dbid)))
}

/// Block 1 of datafile `df` with checkpoint SCN `ckp` (through the writer, into a temporary
/// file beside `near`).
fn header_block(
    st: &State,
    df: &crate::state::Datafile,
    ckp: u64,
    near: &Path,
) -> io::Result<Vec<u8>> {
    let mut d = df.clone();
    d.checkpoint_scn = ckp;
    let spec = files::spec_for(st, &d);
    let tmp = near.with_extension(format!("hdr-{}.tmp", std::process::id()));
    datafile::writer::write_datafile(&tmp, &spec, |_| datafile::writer::BlockContent::Empty)?;
    let bs = df.block_size as usize;
    let bytes = fs::read(&tmp);
    let _ = fs::remove_file(&tmp);
    bytes?
        .get(bs..2 * bs)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| io::Error::other("header block missing"))
}

fn make_copy(st: &State, df: &crate::state::Datafile, path: &Path, ckp: u64) -> io::Result<()> {
    let mut data = fs::read(&df.path)?;
    let bs = df.block_size as usize;
    if let Some(d) = path.parent() {
        fs::create_dir_all(d)?;
    }
    let hdr = header_block(st, df, ckp, path)?;
    if let Some(b1) = data.get_mut(bs..2 * bs) {
        b1.copy_from_slice(&hdr);
    }
    let tmp = path.with_extension("copy-tmp");
    fs::write(&tmp, &data)?;
    fs::rename(&tmp, path)
}

fn write_incremental(
    st: &State,
    df: &crate::state::Datafile,
    path: &Path,
    from: u64,
    to: u64,
) -> io::Result<()> {
    let data = fs::read(&df.path)?;
    let bs = df.block_size as usize;
    let order = ByteOrder::native();
    let mut out = Vec::with_capacity(INCR_HEADER);
    out.extend_from_slice(INCR_MAGIC);
    out.extend_from_slice(&st.dbid.to_le_bytes());
    out.extend_from_slice(&df.file_number.to_le_bytes());
    out.extend_from_slice(&df.block_size.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&from.to_le_bytes());
    out.extend_from_slice(&to.to_le_bytes());
    let count_at = out.len();
    out.extend_from_slice(&0u64.to_le_bytes());
    let mut count = 0u64;
    for (n, block) in data.chunks_exact(bs).enumerate().skip(2) {
        let Some(h) = CacheHeader::parse(block, order) else {
            continue;
        };
        if h.scn > from && !datafile::is_all_zero(block) {
            out.extend_from_slice(&(n as u64).to_le_bytes());
            out.extend_from_slice(block);
            count += 1;
        }
    }
    if let Some(c) = out.get_mut(count_at..count_at + 8) {
        c.copy_from_slice(&count.to_le_bytes());
    }
    write_new(path, &out)
}

fn apply_incremental(
    st: &State,
    df: &crate::state::Datafile,
    copy: &Path,
    piece: &BackupPiece,
) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut data = Vec::new();
    fs::File::open(&piece.path)?.read_to_end(&mut data)?;
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not an incremental piece", piece.path.display()),
        )
    };
    if data.get(..8) != Some(INCR_MAGIC.as_slice()) {
        return Err(bad());
    }
    let u32_at = |o: usize| {
        data.get(o..o + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let u64_at = |o: usize| {
        data.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    let bs = u32_at(16).ok_or_else(bad)? as usize;
    let count = u64_at(40).ok_or_else(bad)?;
    let mut f = fs::OpenOptions::new().write(true).open(copy)?;
    let mut at = INCR_HEADER;
    for _ in 0..count {
        let n = u64_at(at).ok_or_else(bad)?;
        let block = data.get(at + 8..at + 8 + bs).ok_or_else(bad)?;
        f.seek(SeekFrom::Start(n * bs as u64))?;
        f.write_all(block)?;
        at += 8 + bs;
    }
    let hdr = header_block(st, df, piece.to_scn, copy)?;
    f.seek(SeekFrom::Start(bs as u64))?;
    f.write_all(&hdr)?;
    f.sync_data()
}

/// `show all`: the stored settings and the defaults, in RMAN's order.
fn show_all(st: &State) -> Vec<String> {
    let get = |k: &str| {
        st.rman
            .config
            .iter()
            .find(|c| c.key == k)
            .map(|c| format!("{};", c.line))
    };
    let def = |k: &str, d: &str| get(k).unwrap_or_else(|| format!("CONFIGURE {d}; # default"));
    vec![
        def("RETENTION POLICY", "RETENTION POLICY TO REDUNDANCY 1"),
        def("BACKUP OPTIMIZATION", "BACKUP OPTIMIZATION OFF"),
        def("DEFAULT DEVICE TYPE", "DEFAULT DEVICE TYPE TO DISK"),
        def("CONTROLFILE AUTOBACKUP", "CONTROLFILE AUTOBACKUP OFF"),
        def(
            "CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK",
            "CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK TO '%F'",
        ),
        def(
            "DEVICE TYPE DISK",
            "DEVICE TYPE DISK PARALLELISM 1 BACKUP TYPE TO BACKUPSET",
        ),
        "CONFIGURE DATAFILE BACKUP COPIES FOR DEVICE TYPE DISK TO 1; # default".into(),
        "CONFIGURE ARCHIVELOG BACKUP COPIES FOR DEVICE TYPE DISK TO 1; # default".into(),
    ]
    .into_iter()
    .chain(get("CHANNEL DEVICE TYPE DISK FORMAT"))
    .chain([
        "CONFIGURE MAXSETSIZE TO UNLIMITED; # default".to_string(),
        "CONFIGURE ENCRYPTION FOR DATABASE OFF; # default".into(),
        "CONFIGURE ENCRYPTION ALGORITHM 'AES128'; # default".into(),
        "CONFIGURE COMPRESSION ALGORITHM 'BASIC' AS OF RELEASE 'DEFAULT' OPTIMIZE FOR LOAD TRUE ; # default".into(),
        "CONFIGURE RMAN OUTPUT TO KEEP FOR 7 DAYS; # default".into(),
        def("ARCHIVELOG DELETION POLICY", "ARCHIVELOG DELETION POLICY TO NONE"),
        get("SNAPSHOT CONTROLFILE NAME").unwrap_or_else(|| {
            "CONFIGURE SNAPSHOT CONTROLFILE NAME TO '/oracle_home/dbs/snapcf.f'; # default".into()
        }),
    ])
    .collect()
}

/// Splits the script into commands: `connect`, `set echo`, `exit`, `quit` end at the end of
/// their line; `run { ... }` at its closing brace; the others at `;`. `#` starts a comment.
fn split_script(script: &str) -> Vec<Raw> {
    let mut out = Vec::new();
    let lines: Vec<&str> = script.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines.get(i).copied().unwrap_or("");
        let trimmed = strip_comment(l).trim();
        if trimmed.is_empty() {
            if l.trim().is_empty() {
                out.push(Raw {
                    text: String::new(),
                    line: i + 1,
                    col: 1,
                    incomplete: false,
                });
            }
            i += 1;
            continue;
        }
        let col = l.len() - l.trim_start().len() + 1;
        let first = trimmed
            .split(|c: char| c.is_whitespace() || c == ';' || c == '{')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let start = i;
        if matches!(first.as_str(), "connect" | "exit" | "quit")
            || (first == "set" && trimmed.to_ascii_lowercase().starts_with("set echo"))
        {
            out.push(Raw {
                text: trimmed.to_string(),
                line: start + 1,
                col,
                incomplete: false,
            });
            i += 1;
            continue;
        }
        // Accumulate until `;` (or the closing brace of `run {`) outside quotes.
        let is_run = first == "run";
        let mut text = String::new();
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        let mut done = false;
        while i < lines.len() && !done {
            let l = strip_comment(lines.get(i).copied().unwrap_or(""));
            let mut taken = String::new();
            for c in l.chars() {
                taken.push(c);
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '\'' | '"') => quote = Some(c),
                    (None, '{') => depth += 1,
                    (None, '}') => {
                        depth -= 1;
                        if is_run && depth == 0 {
                            done = true;
                            break;
                        }
                    }
                    (None, ';') if !is_run => {
                        done = true;
                        break;
                    }
                    _ => {}
                }
            }
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(taken.trim_end());
            i += 1;
        }
        out.push(Raw {
            text,
            line: start + 1,
            col,
            incomplete: !done,
        });
    }
    out
}

fn strip_comment(l: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in l.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') => return l.get(..i).unwrap_or(l),
            _ => {}
        }
    }
    l
}

fn syntax_error(raw: &Raw, found: &str, expecting: &str, bad: Option<&str>) -> Vec<String> {
    let mut v = vec![
        "RMAN-00558: error encountered while parsing input commands".to_string(),
        format!("RMAN-01009: syntax error: found \"{found}\": expecting one of: \"{expecting}\""),
    ];
    if let Some(b) = bad {
        v.push(format!("RMAN-01008: the bad identifier was: {b}"));
    }
    v.push(format!(
        "RMAN-01007: at line {} column {} file: standard input",
        raw.line, raw.col
    ));
    v
}

/// Parses one top-level command.
fn parse(raw: &Raw) -> Result<Cmd, Vec<String>> {
    if raw.incomplete {
        return Err(syntax_error(raw, "end-of-file", ";", None));
    }
    let text = normalise(&raw.text);
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("run")
        && lower
            .trim_start_matches("run")
            .trim_start()
            .starts_with('{')
    {
        let open = text.find('{').unwrap_or(0);
        let close = text.rfind('}').unwrap_or(text.len());
        let body = text.get(open + 1..close).unwrap_or("");
        let mut cmds = Vec::new();
        for part in split_semicolons(body) {
            let c = parse_one(&part).map_err(|w| unsupported(raw, &part, &w))?;
            if matches!(
                c,
                Cmd::SetEcho(_)
                    | Cmd::ConnectTarget(_)
                    | Cmd::ConnectCatalog(_)
                    | Cmd::Register
                    | Cmd::Resync
                    | Cmd::Run(_)
                    | Cmd::Exit
            ) {
                return Err(unsupported(raw, &part, &first_word(&part)));
            }
            cmds.push(c);
        }
        return Ok(Cmd::Run(cmds));
    }
    let stmt = text.trim_end_matches(';').trim();
    let cmd = parse_one(stmt).map_err(|w| unsupported(raw, stmt, &w))?;
    if let Cmd::Restore(r) = &cmd {
        if r.run_only() {
            // `allocate channel` and `set` (until, newname) exist only inside `run`.
            return Err(unsupported(raw, stmt, &first_word(stmt)));
        }
    }
    Ok(cmd)
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_string()
}

fn unsupported(raw: &Raw, stmt: &str, word: &str) -> Vec<String> {
    eprintln!("oracle-sim: rman: command not simulated (or invalid): {stmt}");
    let known = EXPECTING
        .split(", ")
        .any(|k| k.eq_ignore_ascii_case(&first_word(stmt)));
    if known {
        syntax_error(raw, word, "end-of-file", Some(word))
    } else {
        syntax_error(raw, "identifier", EXPECTING, Some(&first_word(stmt)))
    }
}

fn split_semicolons(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in body.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), _) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, ';') => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Parses one statement (no `;`); on failure, the word at which it failed.
fn parse_one(stmt: &str) -> Result<Cmd, String> {
    let m = |p: &str| match_pattern(p, stmt);
    let one = |p: &str| m(p).and_then(|c| c.into_iter().next());
    let lower = stmt.to_ascii_lowercase();
    let word = first_word(stmt);
    if lower == "exit" || lower == "quit" {
        return Ok(Cmd::Exit);
    }
    if lower == "set echo on" {
        return Ok(Cmd::SetEcho(true));
    }
    if lower == "set echo off" {
        return Ok(Cmd::SetEcho(false));
    }
    if let Some(t) = one("connect target {}") {
        return Ok(Cmd::ConnectTarget(t));
    }
    if let Some(c) = one("connect catalog {}") {
        return Ok(Cmd::ConnectCatalog(c));
    }
    if lower == "register database" {
        return Ok(Cmd::Register);
    }
    if lower == "resync catalog" {
        return Ok(Cmd::Resync);
    }
    if lower.starts_with("configure ") {
        return parse_configure(stmt).ok_or(word);
    }
    if let Some(t) = one("backup incremental level 1 for recover of copy with tag '{}' database") {
        return Ok(Cmd::BackupForRecover { tag: t });
    }
    if let Some(c) =
        m("backup section size {} incremental level 1 for recover of copy with tag '{}' database")
    {
        if c.first().is_some_and(|s| valid_size(s)) {
            return Ok(Cmd::BackupForRecover {
                tag: c.get(1).cloned().unwrap_or_default(),
            });
        }
    }
    if let Some(t) = one("recover copy of database with tag '{}'") {
        return Ok(Cmd::RecoverCopy { tag: t });
    }
    if let Some(t) = one("delete noprompt backupset tag '{}'") {
        return Ok(Cmd::DeleteBackupset { tag: t });
    }
    for p in [
        "delete noprompt force archivelog until time 'sysdate-{}'",
        "delete noprompt archivelog until time 'sysdate-{}'",
    ] {
        if let Some(d) = one(p) {
            if let Ok(days) = d.trim().parse::<f64>() {
                if days.is_finite() && days >= 0.0 {
                    return Ok(Cmd::DeleteArchivelog { days });
                }
            }
            return Err(d);
        }
    }
    if let Some(p) = one("delete noprompt datafilecopy '{}'") {
        return Ok(Cmd::DeleteDatafilecopy { path: p });
    }
    if let Some(t) = one("backup spfile tag '{}'") {
        return Ok(Cmd::BackupSpfile { tag: t });
    }
    for p in [
        "backup current controlfile format '{}' reuse tag '{}'",
        "backup current controlfile format '{}' tag '{}'",
    ] {
        if let Some(c) = m(p) {
            return Ok(Cmd::BackupControlfile {
                path: c.first().cloned().unwrap_or_default(),
                tag: c.get(1).cloned().unwrap_or_default(),
            });
        }
    }
    if let Some(n) = one("delete noprompt obsolete recovery window of {} days") {
        if n.parse::<u32>().is_ok() {
            return Ok(Cmd::DeleteObsolete);
        }
        return Err(n);
    }
    if lower == "show all" {
        return Ok(Cmd::ShowAll);
    }
    if let Some(r) = restore::parse(stmt, &lower) {
        return r.map(Cmd::Restore);
    }
    if matches!(
        lower.as_str(),
        "backup validate database" | "backup validate check logical database"
    ) {
        return Ok(Cmd::ValidateDatabase);
    }
    if matches!(
        lower.as_str(),
        "validate datafilecopy all"
            | "validate check logical datafilecopy all"
            | "backup validate datafilecopy all"
            | "backup validate check logical datafilecopy all"
    ) {
        return Ok(Cmd::ValidateCopies);
    }
    // The word after the longest known prefix is the "bad identifier".
    let words: Vec<&str> = stmt.split_whitespace().collect();
    Err(words
        .get(1)
        .or(words.first())
        .map(|s| (*s).to_string())
        .unwrap_or_default())
}

fn valid_size(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    let num = s.trim_end_matches(['k', 'm', 'g']).trim();
    !num.is_empty() && num.chars().all(|c| c.is_ascii_digit())
}

/// The `CONFIGURE` settings of our `config` template (and their ON/OFF forms).
fn parse_configure(stmt: &str) -> Option<Cmd> {
    let m = |p: &str| match_pattern(p, stmt);
    let one = |p: &str| m(p).and_then(|c| c.into_iter().next());
    let set = |key: &str, line: String| {
        Some(Cmd::Configure {
            key: key.into(),
            line,
        })
    };
    if let Some(d) = one("configure retention policy to recovery window of {} days") {
        d.parse::<u32>().ok()?;
        return set(
            "RETENTION POLICY",
            format!("CONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF {d} DAYS"),
        );
    }
    if let Some(d) = one("configure retention policy to redundancy {}") {
        d.parse::<u32>().ok()?;
        return set(
            "RETENTION POLICY",
            format!("CONFIGURE RETENTION POLICY TO REDUNDANCY {d}"),
        );
    }
    if let Some(v) = one("configure backup optimization {}") {
        let v = on_off(&v)?;
        return set(
            "BACKUP OPTIMIZATION",
            format!("CONFIGURE BACKUP OPTIMIZATION {v}"),
        );
    }
    if let Some(v) = one("configure default device type to {}") {
        if !v.eq_ignore_ascii_case("disk") {
            return None;
        }
        return set(
            "DEFAULT DEVICE TYPE",
            "CONFIGURE DEFAULT DEVICE TYPE TO DISK".into(),
        );
    }
    if let Some(f) = one("configure controlfile autobackup format for device type disk to '{}'") {
        return set(
            "CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK",
            format!("CONFIGURE CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK TO '{f}'"),
        );
    }
    if let Some(v) = one("configure controlfile autobackup {}") {
        let v = on_off(&v)?;
        return set(
            "CONTROLFILE AUTOBACKUP",
            format!("CONFIGURE CONTROLFILE AUTOBACKUP {v}"),
        );
    }
    if let Some(n) = one("configure device type disk parallelism {} backup type to backupset") {
        n.parse::<u32>().ok().filter(|n| *n >= 1)?;
        return set(
            "DEVICE TYPE DISK",
            format!("CONFIGURE DEVICE TYPE DISK PARALLELISM {n} BACKUP TYPE TO BACKUPSET"),
        );
    }
    if let Some(f) = one("configure channel device type disk format '{}'") {
        return set(
            "CHANNEL DEVICE TYPE DISK FORMAT",
            format!("CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT   '{f}'"),
        );
    }
    if let Some(f) = one("configure snapshot controlfile name to '{}'") {
        return set(
            "SNAPSHOT CONTROLFILE NAME",
            format!("CONFIGURE SNAPSHOT CONTROLFILE NAME TO '{f}'"),
        );
    }
    let lower = normalise(stmt).to_ascii_lowercase();
    for (p, line) in [
        (
            "configure archivelog deletion policy to none",
            "CONFIGURE ARCHIVELOG DELETION POLICY TO NONE",
        ),
        (
            "configure archivelog deletion policy to applied on all standby",
            "CONFIGURE ARCHIVELOG DELETION POLICY TO APPLIED ON ALL STANDBY",
        ),
    ] {
        if lower == p {
            return set("ARCHIVELOG DELETION POLICY", line.into());
        }
    }
    None
}

fn on_off(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "on" => Some("ON"),
        "off" => Some("OFF"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_connect_lines_run_blocks_and_statements() {
        let raws = split_script(
            "SET ECHO ON\nCONNECT TARGET /@orcl\n\nCONFIGURE A;\nrun {\nbackup x;\n# c\n}\nEXIT\n",
        );
        let texts: Vec<&str> = raws.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "SET ECHO ON",
                "CONNECT TARGET /@orcl",
                "",
                "CONFIGURE A;",
                "run {\nbackup x;\n\n}",
                "EXIT"
            ]
        );
        assert_eq!(raws.get(4).map(|r| r.line), Some(5));
    }

    #[test]
    fn unknown_and_unfinished_commands_are_syntax_errors() {
        let raw = |t: &str| Raw {
            text: t.into(),
            line: 1,
            col: 1,
            incomplete: false,
        };
        assert!(parse(&raw("bogus;"))
            .is_err_and(|e| e.first().is_some_and(|l| l.starts_with("RMAN-00558"))));
        assert!(parse(&raw("report need backup;")).is_err());
        assert!(parse(&raw("run {\nshow all;\nrestore database validate;\n}")).is_err());
        assert_eq!(parse(&raw("show all;")).ok(), Some(Cmd::ShowAll));
        assert!(parse(&raw("configure backup optimization maybe;")).is_err());
    }
}

//! The simulated database's state, kept as JSON in `<simroot>/state.json`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, Local, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// File name of the state inside the sim root.
pub const STATE_FILE: &str = "state.json";
/// Environment variable naming the sim root directly.
pub const ENV_ROOT: &str = "ORACLE_SIM_ROOT";
/// Environment variable fixing the simulated clock (`yyyy-mm-dd hh:mm:ss`).
pub const ENV_NOW: &str = "ORACLE_SIM_NOW";
/// Date-time format used in the state and in `ORACLE_SIM_NOW`.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Errors reading or writing the state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The state file is not valid JSON for [`State`].
    #[error("{path}: invalid simulator state: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// No sim root could be found from the environment.
    #[error("cannot find the simulator state: set ORACLE_SIM_ROOT or ORACLE_HOME (state in $ORACLE_HOME/../simdb)")]
    NoRoot,
}

/// One datafile of the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Datafile {
    /// Absolute file number (`file#`).
    pub file_number: u32,
    /// Tablespace-relative file number.
    pub relative_file_number: u32,
    /// Tablespace name.
    pub tablespace: String,
    /// Path of the real file.
    pub path: PathBuf,
    /// Block size in bytes.
    pub block_size: u32,
    /// Blocks after block 0 (`kccfhfsz`).
    pub blocks: u64,
    /// Bigfile tablespace.
    pub bigfile: bool,
    /// Creation SCN (`creation_change#`).
    pub creation_scn: u64,
    /// Checkpoint SCN written in the file header.
    pub checkpoint_scn: u64,
    /// Seed of the initial content.
    pub seed: u64,
}

/// One copy of an archived log in one destination (a row of `v$archived_log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedLogCopy {
    /// Destination number (`dest_id`, the N of `log_archive_dest_N`).
    pub dest_id: u32,
    /// Path of the file.
    pub path: PathBuf,
    /// `deleted` = 'YES' once RMAN deleted it.
    pub deleted: bool,
}

/// One archived log (one log switch of thread 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedLog {
    /// Thread number.
    pub thread: u32,
    /// Log sequence number.
    pub sequence: u64,
    /// First SCN in the log.
    pub first_scn: u64,
    /// First SCN of the next log.
    pub next_scn: u64,
    /// Time of the first SCN.
    pub first_time: NaiveDateTime,
    /// Time of the next SCN (the switch).
    pub next_time: NaiveDateTime,
    /// Copies, one per destination that was valid at the switch.
    pub copies: Vec<ArchivedLogCopy>,
}

/// A datafile copy RMAN made (a row of `v$datafile_copy`); kept here for the RMAN part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatafileCopy {
    /// File number of the datafile copied.
    pub file_number: u32,
    /// Creation SCN of the datafile copied.
    pub creation_scn: u64,
    /// Path of the copy.
    pub path: PathBuf,
    /// Tag, upper case (`IMAGE_COPY_BACKUP`).
    pub tag: String,
    /// `deleted` = 'YES'.
    pub deleted: bool,
}

/// A `log_archive_dest_N` parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveDest {
    /// N.
    pub dest_id: u32,
    /// The parameter value as set (`LOCATION=... ...`).
    pub value: String,
    /// `log_archive_dest_state_N` is `enable`.
    pub enabled: bool,
}

impl ArchiveDest {
    /// The `LOCATION=` value (without quotes), if any.
    pub fn location(&self) -> Option<String> {
        let v = self.value.trim().trim_matches('\'').trim();
        let upper = v.to_ascii_uppercase();
        let at = upper.find("LOCATION")?;
        let rest = v.get(at + "LOCATION".len()..)?.trim_start();
        let rest = rest.strip_prefix('=')?.trim_start();
        let loc: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '\'' && *c != '"')
            .collect();
        (!loc.is_empty()).then_some(loc)
    }

    /// Whether this destination is the recovery area.
    pub fn is_recovery_area(&self) -> bool {
        self.location()
            .is_some_and(|l| l.eq_ignore_ascii_case("USE_DB_RECOVERY_FILE_DEST"))
    }
}

/// A scheduler job (`dba_scheduler_jobs`); kept for the setschedule action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerJob {
    /// Owner.
    pub owner: String,
    /// Job name.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// Runs in `dba_scheduler_job_log` (operation `RUN`), oldest first; recorded by
    /// `oracle-sim run-job` (nothing runs the jobs on their schedule here).
    #[serde(default)]
    pub runs: Vec<JobRun>,
}

/// One run of a scheduler job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRun {
    /// When it started (database time).
    pub start: NaiveDateTime,
    /// How long it ran, seconds.
    pub duration_secs: u64,
    /// `SUCCEEDED` or `FAILED`.
    pub status: String,
}

/// The whole state of the simulated database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// `db_name`, as given (lower case in the fixtures: `orcl`).
    pub db_name: String,
    /// `db_unique_name`.
    pub db_unique_name: String,
    /// DBID.
    pub dbid: u32,
    /// Container database.
    pub cdb: bool,
    /// Current SCN.
    pub current_scn: u64,
    /// Seconds added to the real clock (ignored when `ORACLE_SIM_NOW` is set).
    pub clock_offset_secs: i64,
    /// Datafiles, by file number.
    pub datafiles: Vec<Datafile>,
    /// Sequence of the current online log of thread 1.
    pub current_sequence: u64,
    /// First SCN of the current online log.
    pub current_log_first_scn: u64,
    /// First time of the current online log.
    pub current_log_first_time: NaiveDateTime,
    /// Redo bytes written to the current online log since the last switch.
    pub current_log_redo_bytes: u64,
    /// Resetlogs id (`%r` of `log_archive_format`).
    pub resetlogs_id: u64,
    /// Archived logs, oldest first.
    pub archived_logs: Vec<ArchivedLog>,
    /// `log_archive_dest_N` parameters.
    pub archive_dests: Vec<ArchiveDest>,
    /// `db_recovery_file_dest`.
    pub recovery_dest: PathBuf,
    /// `db_create_file_dest` (where new datafiles and the BCT file go).
    pub create_file_dest: PathBuf,
    /// `undo_tablespace`.
    pub undo_tablespace: String,
    /// `compatible`.
    pub compatible: String,
    /// `db_block_size`.
    pub db_block_size: u32,
    /// `db_files`.
    pub db_files: u32,
    /// `common_user_prefix` (CDB only).
    pub common_user_prefix: String,
    /// Block change tracking file, when enabled.
    pub bct_file: Option<PathBuf>,
    /// Datafile copies RMAN made.
    pub datafile_copies: Vec<DatafileCopy>,
    /// Scheduler jobs.
    pub scheduler_jobs: Vec<SchedulerJob>,
    /// Other scheduler objects (`PROGRAM OWNER.NAME`, `JOB_CLASS NAME`, `CREDENTIAL ...`,
    /// `SCHEDULE ...`, `PROCEDURE ...`).
    #[serde(default)]
    pub scheduler_objects: Vec<String>,
    /// Users (`dba_users.username`).
    pub users: Vec<String>,
    /// Host name shown in `v$instance`.
    pub host_name: String,
    /// Counter for generated names (OMF file names).
    pub name_counter: u64,
    /// What `rman` keeps in the control file: configuration, copies' checkpoints, backup
    /// pieces, block corruptions.
    #[serde(default)]
    pub rman: RmanState,
    /// Tablespaces encrypted with TDE (`oracle-sim encrypt-tablespace`), upper case: their
    /// blocks hold opaque bytes instead of rows (`v$encrypted_tablespaces`).
    #[serde(default)]
    pub encrypted_tablespaces: Vec<String>,
    /// The throw-away instance of a restore test (started by RMAN `startup nomount`), with
    /// its own control file; `None` when no such instance runs.
    #[serde(default)]
    pub instance: Option<Instance>,
}

/// A test instance started for a restore (the autorestore flow): its own control file view,
/// separate from the source database's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// `NOMOUNT` (`STARTED` in `v$instance`), `MOUNTED` or `OPEN READ ONLY`.
    pub status: String,
    /// The control file backup restored (`restore controlfile from`), once restored.
    pub controlfile_from: Option<PathBuf>,
    /// Checkpoint SCN of the restored control file.
    pub controlfile_scn: u64,
    /// The datafiles the control file names, and the files they point at.
    pub datafiles: Vec<InstanceDatafile>,
    /// Datafile copies cataloged in this control file.
    pub copies: Vec<InstanceCopy>,
    /// Archived logs cataloged in this control file.
    pub archived_logs: Vec<InstanceLog>,
    /// `v$database_block_corruption` of this instance.
    pub corruptions: Vec<BlockCorruption>,
    /// SCN reached by `recover database`.
    pub recovered_scn: Option<u64>,
    /// The `set until time` target of that recovery.
    pub recovered_until: Option<NaiveDateTime>,
    /// The block change tracking file the control file names (the source database's, from
    /// the control file backup, until `alter database rename file` moves it).
    #[serde(default)]
    pub bct_file: Option<PathBuf>,
    /// The alert log, when the instance was started with a pfile setting
    /// `*.diagnostic_dest`: `<diagnostic_dest>/diag/rdbms/<db>/<instance>/trace/alert_<instance>.log`.
    #[serde(default)]
    pub alert_log: Option<PathBuf>,
}

/// A datafile in the instance's control file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceDatafile {
    /// `file#`.
    pub file_number: u32,
    /// Tablespace name.
    pub tablespace: String,
    /// The file it points at (the source datafile's name until a switch to a copy).
    pub path: PathBuf,
    /// Checkpoint SCN the control file has for it.
    pub checkpoint_scn: u64,
    /// Whether it points at a copy (after `switch database to copy`).
    pub switched: bool,
}

/// A datafile copy cataloged in the instance's control file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceCopy {
    /// `file#` from the copy's header.
    pub file_number: u32,
    /// Path.
    pub path: PathBuf,
    /// Checkpoint SCN from the copy's header.
    pub checkpoint_scn: u64,
    /// RECID.
    pub recid: u64,
}

/// An archived log cataloged in the instance's control file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceLog {
    /// Thread.
    pub thread: u32,
    /// Sequence.
    pub sequence: u64,
    /// First SCN.
    pub first_scn: u64,
    /// Next SCN.
    pub next_scn: u64,
    /// First time (from the source database's record of the log, when known).
    pub first_time: Option<NaiveDateTime>,
    /// Next time (likewise).
    pub next_time: Option<NaiveDateTime>,
    /// Path.
    pub path: PathBuf,
    /// RECID.
    pub recid: u64,
}

/// RMAN's part of the control file, kept by the simulated `rman`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RmanState {
    /// Stored `CONFIGURE` settings (only the ones set; `show all` adds the defaults).
    pub config: Vec<ConfigEntry>,
    /// Checkpoint SCNs of the datafile copies (by path; the copies are in
    /// [`State::datafile_copies`]).
    pub copies: Vec<CopyCheckpoint>,
    /// Backup pieces (incremental backup sets, spfile and control file backups).
    pub pieces: Vec<BackupPiece>,
    /// `v$database_block_corruption` (datafiles) and `v$copy_corruption` (copies) rows
    /// found by the last validation of each file.
    pub corruptions: Vec<BlockCorruption>,
    /// Last RECID handed out.
    pub recid: u64,
}

impl RmanState {
    /// The checkpoint SCN of the copy at `path` (0 when it is not known).
    pub fn copy_checkpoint(&self, path: &std::path::Path) -> u64 {
        self.copies
            .iter()
            .find(|c| c.path == path)
            .map(|c| c.checkpoint_scn)
            .unwrap_or(0)
    }

    /// Incremental pieces of datafile `file_number` with `tag` not deleted yet, that start at
    /// or before `scn` (so they can be applied to a copy checkpointed at `scn`).
    pub fn live_incrementals<'a>(
        &'a self,
        tag: &'a str,
        file_number: u32,
        scn: u64,
    ) -> impl Iterator<Item = &'a BackupPiece> + 'a {
        self.pieces.iter().filter(move |p| {
            !p.deleted
                && p.kind == "incremental"
                && p.tag == tag
                && p.file_number == Some(file_number)
                && p.from_scn <= scn
        })
    }
}

/// One `CONFIGURE` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigEntry {
    /// What it configures (`RETENTION POLICY`, `CHANNEL DEVICE TYPE DISK FORMAT`, ...).
    pub key: String,
    /// The setting as `show all` prints it, without the `;`.
    pub line: String,
}

/// The checkpoint of one datafile copy (`v$datafile_copy.checkpoint_change#`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyCheckpoint {
    /// Path of the copy.
    pub path: PathBuf,
    /// File number of the datafile.
    pub file_number: u32,
    /// Checkpoint SCN: every block of the copy is the datafile's block as of this SCN.
    pub checkpoint_scn: u64,
    /// RECID.
    pub recid: u64,
    /// STAMP.
    pub stamp: u64,
}

/// One backup piece (`v$backup_piece`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupPiece {
    /// Path (`handle`).
    pub path: PathBuf,
    /// Tag, upper case.
    pub tag: String,
    /// `incremental`, `spfile` or `controlfile`.
    pub kind: String,
    /// Datafile of an incremental piece.
    pub file_number: Option<u32>,
    /// Incremental: blocks changed after this SCN (the copy's checkpoint).
    pub from_scn: u64,
    /// Incremental: the checkpoint SCN of the backup.
    pub to_scn: u64,
    /// `status` = 'D'.
    pub deleted: bool,
    /// RECID.
    pub recid: u64,
    /// STAMP.
    pub stamp: u64,
}

/// One corrupt block range found by a validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockCorruption {
    /// `file#`.
    pub file_number: u32,
    /// `block#`.
    pub block: u64,
    /// `blocks`.
    pub blocks: u64,
    /// `corruption_change#` (0 for a checksum failure, as Oracle reports).
    pub corruption_change: u64,
    /// `corruption_type`: `CHECKSUM`, `FRACTURED`, `CORRUPT`.
    pub corruption_type: String,
    /// `None` for the datafile (`v$database_block_corruption`), the copy's path for a
    /// datafile copy (`v$copy_corruption`).
    pub copy: Option<PathBuf>,
}

impl State {
    /// Reads `<root>/state.json`.
    pub fn load(root: &Path) -> Result<State, StateError> {
        let path = root.join(STATE_FILE);
        let text = fs::read_to_string(&path).map_err(|source| StateError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| StateError::Json { path, source })
    }

    /// Writes `<root>/state.json` atomically (temporary file, fsync, rename).
    pub fn save(&self, root: &Path) -> Result<(), StateError> {
        let path = root.join(STATE_FILE);
        let tmp = root.join(format!(".{STATE_FILE}.{}.tmp", std::process::id()));
        let io_err = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| io_err(io::Error::other(e.to_string())))?;
        {
            let mut f = fs::File::create(&tmp).map_err(io_err)?;
            f.write_all(text.as_bytes()).map_err(io_err)?;
            f.write_all(b"\n").map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
        }
        fs::rename(&tmp, &path).map_err(io_err)
    }

    /// The simulated clock: `ORACLE_SIM_NOW` if set, else local time plus the offset.
    pub fn now(&self) -> NaiveDateTime {
        if let Some(t) = std::env::var(ENV_NOW)
            .ok()
            .and_then(|v| NaiveDateTime::parse_from_str(v.trim(), TIME_FORMAT).ok())
        {
            return t;
        }
        let t = Local::now().naive_local() + Duration::seconds(self.clock_offset_secs);
        t.with_nanosecond0()
    }

    /// A fresh number for generated names.
    pub fn next_name(&mut self) -> u64 {
        self.name_counter += 1;
        self.name_counter
    }

    /// The upper-case database name (as written in file headers and shown by RMAN).
    pub fn db_name_upper(&self) -> String {
        self.db_name.to_ascii_uppercase()
    }

    /// The value of `v$parameter` row `name`, if the simulator knows the parameter.
    pub fn parameter(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        if let Some(n) = name.strip_prefix("log_archive_dest_state_") {
            let n: u32 = n.parse().ok()?;
            return (1..=31).contains(&n).then(|| {
                match self.archive_dests.iter().find(|d| d.dest_id == n) {
                    Some(d) if !d.enabled => "defer".to_string(),
                    _ => "enable".to_string(),
                }
            });
        }
        if let Some(n) = name.strip_prefix("log_archive_dest_") {
            let n: u32 = n.parse().ok()?;
            return (1..=31).contains(&n).then(|| {
                self.archive_dests
                    .iter()
                    .find(|d| d.dest_id == n)
                    .map(|d| d.value.clone())
                    .unwrap_or_default()
            });
        }
        Some(match name.as_str() {
            "db_name" => self.db_name.clone(),
            "db_unique_name" => self.db_unique_name.clone(),
            "undo_tablespace" => self.undo_tablespace.clone(),
            "compatible" => self.compatible.clone(),
            "db_block_size" => self.db_block_size.to_string(),
            "db_files" => self.db_files.to_string(),
            "enable_pluggable_database" => if self.cdb { "TRUE" } else { "FALSE" }.to_string(),
            "common_user_prefix" => {
                if self.cdb {
                    self.common_user_prefix.clone()
                } else {
                    String::new()
                }
            }
            "db_recovery_file_dest" => self.recovery_dest.display().to_string(),
            "db_create_file_dest" => self.create_file_dest.display().to_string(),
            "log_archive_format" => "%t_%s_%r.dbf".to_string(),
            _ => return None,
        })
    }
}

/// Drops sub-second precision.
trait WithNanosecond0 {
    fn with_nanosecond0(self) -> Self;
}

impl WithNanosecond0 for NaiveDateTime {
    fn with_nanosecond0(self) -> NaiveDateTime {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// Finds the sim root: `$ORACLE_SIM_ROOT`, else `$ORACLE_HOME/../simdb`, else
/// `<dir of argv0>/../../simdb` (the tools live in `<root>/oracle_home/bin`).
pub fn find_root(argv0: Option<&Path>) -> Result<PathBuf, StateError> {
    if let Some(r) = std::env::var_os(ENV_ROOT).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(r));
    }
    if let Some(h) = std::env::var_os("ORACLE_HOME").filter(|v| !v.is_empty()) {
        let home = PathBuf::from(h);
        if let Some(parent) = home.parent() {
            let root = parent.join("simdb");
            if root.join(STATE_FILE).is_file() {
                return Ok(root);
            }
        }
    }
    if let Some(bin) = argv0
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
    {
        if let Some(base) = bin.parent().and_then(Path::parent) {
            let root = base.join("simdb");
            if root.join(STATE_FILE).is_file() {
                return Ok(root);
            }
        }
    }
    Err(StateError::NoRoot)
}

/// File name of the state lock inside the sim root.
pub const LOCK_FILE: &str = "state.lock";

/// Holds an exclusive `flock` on `<root>/state.lock` while a tool reads, changes and writes
/// the state. The kernel releases it when the holder exits, also when it is killed (a restore
/// step killed on timeout must not leave the database locked).
#[derive(Debug)]
pub struct StateLock {
    _file: fs::File,
}

impl StateLock {
    /// Takes the lock, waiting up to 30 s.
    pub fn acquire(root: &Path) -> Result<StateLock, StateError> {
        let path = root.join(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| StateError::Io {
                path: path.clone(),
                source,
            })?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(StateLock { _file: file }),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                    if std::time::Instant::now() > deadline {
                        return Err(StateError::Io {
                            path,
                            source: io::Error::new(
                                io::ErrorKind::WouldBlock,
                                "the simulator state is locked by another process",
                            ),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => {
                    return Err(StateError::Io {
                        path,
                        source: e.into(),
                    })
                }
            }
        }
    }
}

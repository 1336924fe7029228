//! One lock per database.
//!
//! The lock is a file named [`LOCK_FILE_NAME`] (`backup.lck`, the name the original
//! Python tool used) in the database's backup directory. It holds an owner record, one
//! `key: value` per line:
//!
//! ```text
//! host: dbhost01
//! pid: 1234
//! started: 2026-11-21T10:15:00Z
//! pidstart: 81234567
//! program: backup
//! token: 1234.1795256100000000000.0
//! ```
//!
//! `pidstart` is the start time of the process in clock ticks (field 22 of
//! `/proc/<pid>/stat`) and detects PID reuse; it is left out when unreadable.
//! `program` is informational and `token` makes every acquisition's record unique, so a
//! release never removes a lock file written by another acquisition of the same process.
//! Lock files written by the original tool (`str(os.uname())`, local time, pid on three
//! lines) are understood as well.
//!
//! Acquisition is atomic, also on NFS: the record is written to a unique temporary file
//! in the same directory which is then hard-linked to the lock name; the link only
//! succeeds when no lock exists. A lock left behind by a dead process of this host (or by
//! a process whose PID has since been reused) is taken over; a lock of another host is
//! only ever waited for. Takeovers of one stale lock are serialised by
//! `backup.lck.takeover.<hash>.<generation>` guard files, so two waiters that find the
//! same stale lock never both end up holding the lock.
//!
//! [`DbLock::acquire`] blocks the calling thread while it waits (call it from
//! `spawn_blocking` in async code).

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Local, NaiveDateTime, SecondsFormat, SubsecRound, TimeZone, Utc};
use tracing::{error, info, warn};

/// File name of the lock inside the database's backup directory.
pub const LOCK_FILE_NAME: &str = "backup.lck";

/// How often a held lock is looked at again unless told otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The smallest poll interval used, whatever [`LockOptions::poll_interval`] says.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(1);

/// How many times in a row the loop retries at once (lock vanished, stale lock removed,
/// takeover race) before it falls back to waiting a poll interval.
const MAX_QUICK_RETRIES: u32 = 100;

/// Path of the lock file for the backup directory `dir`.
pub fn lock_path(dir: &Path) -> PathBuf {
    dir.join(LOCK_FILE_NAME)
}

/// How long [`DbLock::acquire`] waits for a lock held by someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockOptions {
    /// Give up with [`LockError::Busy`] once this much time has passed. Zero means try
    /// once (a stale lock is still taken over).
    pub max_wait: Duration,
    /// Time between two looks at a held lock.
    pub poll_interval: Duration,
}

impl LockOptions {
    /// Options for the config key `maxlockwait`, which is in minutes, polling every
    /// [`DEFAULT_POLL_INTERVAL`].
    pub fn from_minutes(minutes: u64) -> Self {
        LockOptions {
            max_wait: Duration::from_secs(minutes.saturating_mul(60)),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

/// Who holds a lock, as recorded in the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOwner {
    /// Host name (`uname` node name) of the owner.
    pub host: String,
    /// Process id of the owner on `host`.
    pub pid: u32,
    /// When the lock was taken, if recorded and readable.
    pub started: Option<DateTime<Utc>>,
    /// Start time of process `pid` in clock ticks since boot (field 22 of
    /// `/proc/<pid>/stat`), used to detect PID reuse. `None` when not recorded.
    pub pid_start: Option<u64>,
}

impl fmt::Display for LockOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} on host {}", self.pid, self.host)?;
        if let Some(started) = self.started {
            write!(f, " since {}", started.format("%Y-%m-%d %H:%M:%S UTC"))?;
        }
        Ok(())
    }
}

impl LockOwner {
    /// The owner record of the calling process, started now (whole seconds).
    pub fn current() -> LockOwner {
        let pid = std::process::id();
        LockOwner {
            host: this_host(),
            pid,
            // Whole seconds: what the record keeps.
            started: Some(Utc::now().trunc_subsecs(0)),
            pid_start: proc_stat(pid).map(|s| s.start_ticks),
        }
    }

    /// Parses the content of a lock file: this tool's `key: value` record or the
    /// original tool's three lines (`str(os.uname())`, local time, pid).
    ///
    /// Returns `None` when the owner cannot be determined. Never panics.
    pub fn parse(text: &str) -> Option<LockOwner> {
        parse_record(text).or_else(|| parse_python(text))
    }

    fn parse_bytes(bytes: &[u8]) -> Option<LockOwner> {
        LockOwner::parse(&String::from_utf8_lossy(bytes))
    }

    /// The lock-file content for this owner.
    fn to_record(&self, program: &str, token: &str) -> String {
        let mut s = format!("host: {}\npid: {}\n", one_line(&self.host), self.pid);
        if let Some(started) = self.started {
            s.push_str(&format!(
                "started: {}\n",
                started.to_rfc3339_opts(SecondsFormat::Secs, true)
            ));
        }
        if let Some(ticks) = self.pid_start {
            s.push_str(&format!("pidstart: {ticks}\n"));
        }
        s.push_str(&format!(
            "program: {}\ntoken: {}\n",
            one_line(program),
            token
        ));
        s
    }
}

/// Errors of the database lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock is held by someone else and did not become free within `max_wait`.
    #[error(
        "database is locked: {path} is held by {owner}; gave up after {waited}",
        path = .path.display(),
        owner = describe_owner(.owner.as_ref()),
        waited = human_duration(.waited)
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Its owner, `None` when the lock file could not be understood.
        owner: Option<LockOwner>,
        /// How long we waited.
        waited: Duration,
    },
    /// The backup directory does not exist (it is never created here).
    #[error("backup directory {} does not exist", .0.display())]
    NoDirectory(PathBuf),
    /// On release: the lock file no longer holds our owner record, so it was left alone.
    #[error(
        "lock file {path} no longer holds our owner record ({now}); left it in place",
        path = .path.display(),
        now = describe_lost(.owner.as_ref())
    )]
    Lost {
        /// The lock file.
        path: PathBuf,
        /// Who it names now; `None` if it is gone or cannot be understood.
        owner: Option<LockOwner>,
    },
    /// A file-system operation failed.
    #[error(
        "cannot {op} {path}: {msg}",
        path = .path.display(),
        msg = io_message(.source)
    )]
    Io {
        /// What was being done, e.g. `create lock file`.
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn io_err(op: &'static str, path: &Path, source: io::Error) -> LockError {
    LockError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// A held database lock. Released on drop (best effort) or with [`DbLock::release`].
#[derive(Debug)]
#[must_use = "the lock is released as soon as it is dropped"]
pub struct DbLock {
    path: PathBuf,
    owner: LockOwner,
    record: Vec<u8>,
    held: bool,
}

impl DbLock {
    /// Takes the lock of the backup directory `dir`, waiting up to `opts.max_wait` while
    /// someone else holds it. Blocks the calling thread.
    ///
    /// A lock of a process of this host that no longer runs (or whose PID now belongs
    /// to another process) is taken over with a warning; a lock of another host is
    /// only waited for.
    pub fn acquire(dir: &Path, opts: &LockOptions) -> Result<DbLock, LockError> {
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io_err(
                    "use backup directory",
                    dir,
                    io::Error::other("not a directory"),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(LockError::NoDirectory(dir.to_path_buf()))
            }
            Err(e) => return Err(io_err("access backup directory", dir, e)),
        }

        let path = lock_path(dir);
        let owner = LockOwner::current();
        let record = owner
            .to_record(&program_name(), &unique_suffix())
            .into_bytes();
        let tmp_name = format!(
            "{LOCK_FILE_NAME}.{}.{}.tmp",
            file_name_safe(&owner.host),
            unique_suffix()
        );
        let tmp = TempRecord::create(dir.join(tmp_name), &record)?;

        let host = owner.host.clone();
        let poll = opts.poll_interval.max(MIN_POLL_INTERVAL);
        let start = Instant::now();
        let mut quick_retries = 0u32;
        let mut announced: Option<Vec<u8>> = None;
        loop {
            if tmp.link_to(&path)? {
                drop(tmp);
                return Ok(DbLock {
                    path,
                    owner,
                    record,
                    held: true,
                });
            }

            let mut current_owner = None;
            let mut retry_now = false;
            match read_optional(&path, "read lock file")? {
                // Released between our link attempt and the read.
                None => retry_now = true,
                Some(content) => {
                    current_owner = LockOwner::parse_bytes(&content);
                    if let Some(reason) =
                        current_owner.as_ref().and_then(|o| stale_reason(o, &host))
                    {
                        retry_now = take_over_stale(
                            dir,
                            &path,
                            &content,
                            current_owner.as_ref(),
                            &reason,
                            &record,
                            &host,
                        )?;
                    } else if opts.max_wait > start.elapsed()
                        && announced.as_deref() != Some(content.as_slice())
                    {
                        info!(
                            "lock {} is held by {}; waiting up to {}",
                            path.display(),
                            describe_owner(current_owner.as_ref()),
                            human_duration(&opts.max_wait)
                        );
                        announced = Some(content);
                    }
                }
            }
            if retry_now && quick_retries < MAX_QUICK_RETRIES {
                quick_retries += 1;
                continue;
            }
            quick_retries = 0;

            let waited = start.elapsed();
            if waited >= opts.max_wait {
                return Err(LockError::Busy {
                    path,
                    owner: current_owner,
                    waited,
                });
            }
            std::thread::sleep(poll.min(opts.max_wait - waited));
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Our owner record as written to the lock file.
    pub fn owner(&self) -> &LockOwner {
        &self.owner
    }

    /// Releases the lock: removes the lock file if it still holds our owner record.
    ///
    /// Returns [`LockError::Lost`] (and leaves the file alone) when the lock file is
    /// gone or now names someone else.
    pub fn release(mut self) -> Result<(), LockError> {
        self.held = false;
        release_file(&self.path, &self.record)
    }
}

impl Drop for DbLock {
    fn drop(&mut self) {
        if self.held {
            self.held = false;
            if let Err(e) = release_file(&self.path, &self.record) {
                warn!("releasing database lock: {e}");
            }
        }
    }
}

/// The owner of the lock in backup directory `dir`, for reports.
///
/// `Ok(None)` when there is no lock or its owner cannot be determined.
pub fn read_owner(dir: &Path) -> Result<Option<LockOwner>, LockError> {
    let path = lock_path(dir);
    match read_optional(&path, "read lock file")? {
        Some(content) => Ok(LockOwner::parse_bytes(&content)),
        None if dir.is_dir() => Ok(None),
        None => Err(LockError::NoDirectory(dir.to_path_buf())),
    }
}

fn release_file(path: &Path, record: &[u8]) -> Result<(), LockError> {
    match read_optional(path, "read lock file")? {
        Some(content) if content == record => match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(LockError::Lost {
                path: path.to_path_buf(),
                owner: None,
            }),
            Err(e) => Err(io_err("remove lock file", path, e)),
        },
        Some(content) => Err(LockError::Lost {
            path: path.to_path_buf(),
            owner: LockOwner::parse_bytes(&content),
        }),
        None => Err(LockError::Lost {
            path: path.to_path_buf(),
            owner: None,
        }),
    }
}

/// Reads a file; `Ok(None)` if it does not exist.
fn read_optional(path: &Path, op: &'static str) -> Result<Option<Vec<u8>>, LockError> {
    match fs::read(path) {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(op, path, e)),
    }
}

/// The temporary file holding our record; removed on drop.
struct TempRecord {
    path: PathBuf,
}

impl TempRecord {
    fn create(path: PathBuf, record: &[u8]) -> Result<TempRecord, LockError> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_err("create temporary lock file", &path, e))?;
        let tmp = TempRecord { path };
        // Synced so that a crash never leaves an empty lock file nobody may take over.
        file.write_all(record)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_err("write temporary lock file", &tmp.path, e))?;
        Ok(tmp)
    }

    /// Hard-links the record to `lock`: `Ok(true)` if we now hold the lock, `Ok(false)`
    /// if it exists already.
    fn link_to(&self, lock: &Path) -> Result<bool, LockError> {
        match fs::hard_link(&self.path, lock) {
            Ok(()) => Ok(true),
            Err(e) => {
                // NFS: the reply of a successful link may be lost and the retransmitted
                // request fail; a link count of 2 tells that the link was made.
                if self.link_count() == Some(2) {
                    Ok(true)
                } else if e.kind() == io::ErrorKind::AlreadyExists {
                    Ok(false)
                } else {
                    Err(io_err("create lock file", lock, e))
                }
            }
        }
    }

    fn link_count(&self) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(&self.path).ok().map(|m| m.nlink())
    }
}

impl Drop for TempRecord {
    fn drop(&mut self) {
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => warn!(
                "cannot remove temporary lock file {}: {}",
                self.path.display(),
                io_message(&e)
            ),
        }
    }
}

/// Why a lock is stale.
enum Stale {
    NotRunning,
    PidReused { recorded: u64, actual: u64 },
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::NotRunning => f.write_str("the process no longer runs"),
            Stale::PidReused { recorded, actual } => write!(
                f,
                "the pid now belongs to another process (start time {actual}, recorded {recorded})"
            ),
        }
    }
}

/// Whether the lock of `owner` is stale. Only locks of `this_host` ever are.
fn stale_reason(owner: &LockOwner, this_host: &str) -> Option<Stale> {
    if owner.host != this_host {
        return None;
    }
    let pid = rustix::process::Pid::from_raw(i32::try_from(owner.pid).ok()?)?;
    match rustix::process::test_kill_process(pid) {
        Err(e) if e == rustix::io::Errno::SRCH => Some(Stale::NotRunning),
        Ok(()) | Err(rustix::io::Errno::PERM) => {
            let stat = proc_stat(owner.pid)?;
            if stat.zombie {
                return Some(Stale::NotRunning);
            }
            let recorded = owner.pid_start?;
            (recorded != stat.start_ticks).then_some(Stale::PidReused {
                recorded,
                actual: stat.start_ticks,
            })
        }
        // Unknown: better wait than steal a live lock.
        Err(_) => None,
    }
}

/// Takes a stale lock away without racing other waiters that judged it stale too.
///
/// Takeovers of one stale content are serialised by a [`TakeoverGuard`]. Under it the
/// lock file is renamed to a unique name and only deleted if it still holds the content
/// we judged; a fresh lock grabbed by mistake is put back (which the guard makes
/// practically unreachable: without the guard, a third process could link a new lock
/// while the put-back is under way, and two processes would hold the lock).
///
/// Returns whether to retry at once (`false`: someone else is taking it over, wait).
fn take_over_stale(
    dir: &Path,
    path: &Path,
    judged: &[u8],
    owner: Option<&LockOwner>,
    reason: &Stale,
    record: &[u8],
    host: &str,
) -> Result<bool, LockError> {
    let Some(_guard) = TakeoverGuard::acquire(dir, judged, record, host)? else {
        return Ok(false);
    };
    // Only a guard holder changes a lock file holding `judged`; did one before us?
    match read_optional(path, "read lock file")? {
        Some(c) if c == judged => {}
        _ => return Ok(true),
    }
    let aside = dir.join(format!("{LOCK_FILE_NAME}.stale.{}", unique_suffix()));
    match fs::rename(path, &aside) {
        Ok(()) => {}
        // Someone else took it over (or, on NFS, our retransmitted rename was done).
        Err(e) if e.kind() == io::ErrorKind::NotFound && !aside.exists() => return Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("move aside stale lock file", path, e)),
    }
    let content = match fs::read(&aside) {
        Ok(c) => c,
        Err(e) => {
            restore(&aside, path);
            return Err(io_err("read stale lock file", &aside, e));
        }
    };
    if content == judged {
        warn!(
            "taking over stale lock {} of {}: {}",
            path.display(),
            describe_owner(owner),
            reason
        );
        if let Err(e) = fs::remove_file(&aside) {
            warn!(
                "cannot remove stale lock file {}: {}",
                aside.display(),
                io_message(&e)
            );
        }
    } else {
        // A fresh lock somebody made after our judgement: give it back.
        restore(&aside, path);
    }
    Ok(true)
}

/// Generations of takeover guards tried before giving up for one poll interval.
const MAX_GUARD_GENERATIONS: u32 = 32;

/// The right to take over one particular stale lock content.
///
/// Guard files are `backup.lck.takeover.<hash of the stale content>.<generation>`, each
/// made atomically by hard-linking a temporary file holding our owner record. A guard
/// whose owner is dead (it died during its takeover) is not removed but skipped: the
/// next generation is tried. So there is never a moment where a guard is missing by
/// mistake, and at most one live process holds a guard for a given stale content. The
/// holder removes generations `0..=own` when done; they are useless once the stale
/// content is gone from the lock file, which is checked under the guard.
struct TakeoverGuard {
    files: Vec<PathBuf>,
}

impl TakeoverGuard {
    /// `Ok(None)` if a live process holds a guard for `judged`.
    fn acquire(
        dir: &Path,
        judged: &[u8],
        record: &[u8],
        host: &str,
    ) -> Result<Option<TakeoverGuard>, LockError> {
        let base = format!("{LOCK_FILE_NAME}.takeover.{:016x}", fnv1a(judged));
        let tmp = TempRecord::create(dir.join(format!("{base}.{}.tmp", unique_suffix())), record)?;
        let mut files = Vec::new();
        for generation in 0..MAX_GUARD_GENERATIONS {
            let file = dir.join(format!("{base}.{generation}"));
            let mut vanished = 0;
            loop {
                if tmp.link_to(&file)? {
                    files.push(file);
                    return Ok(Some(TakeoverGuard { files }));
                }
                match read_optional(&file, "read takeover guard")? {
                    // Removed by a finishing holder: try the same generation again.
                    None if vanished < 3 => vanished += 1,
                    None => return Ok(None),
                    Some(content) => {
                        // Guards are written atomically, so an unreadable one is junk.
                        let live = LockOwner::parse_bytes(&content)
                            .is_some_and(|o| stale_reason(&o, host).is_none());
                        if live {
                            return Ok(None);
                        }
                        break;
                    }
                }
            }
            files.push(file);
        }
        Ok(None)
    }
}

impl Drop for TakeoverGuard {
    fn drop(&mut self) {
        for file in &self.files {
            match fs::remove_file(file) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => warn!(
                    "cannot remove takeover guard {}: {}",
                    file.display(),
                    io_message(&e)
                ),
            }
        }
    }
}

/// FNV-1a, stable across builds and hosts (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Puts a lock file moved aside to `aside` back to `path`.
fn restore(aside: &Path, path: &Path) {
    match fs::hard_link(aside, path) {
        Ok(()) => {
            if let Err(e) = fs::remove_file(aside) {
                warn!("cannot remove {}: {}", aside.display(), io_message(&e));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            error!(
                "lock file {} was recreated while a lock moved aside by mistake was put back; \
                 the lock of {} is lost",
                path.display(),
                describe_owner(
                    LockOwner::parse_bytes(&fs::read(aside).unwrap_or_default()).as_ref()
                )
            );
            let _ = fs::remove_file(aside);
        }
        Err(e) => error!(
            "cannot put lock file {} back to {}: {}",
            aside.display(),
            path.display(),
            io_message(&e)
        ),
    }
}

/// What `/proc/<pid>/stat` tells about a process.
struct ProcStat {
    zombie: bool,
    start_ticks: u64,
}

fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain anything.
    let (_, rest) = text.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?; // field 3
    let start_ticks = fields.nth(18)?.parse().ok()?; // field 22
    Some(ProcStat {
        zombie: state == "Z" || state == "X",
        start_ticks,
    })
}

fn this_host() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

fn program_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

/// `<pid>.<nanos>.<seq>`, unique within this host.
fn unique_suffix() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{}.{nanos}.{seq}", std::process::id())
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn file_name_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn parse_pid(s: &str) -> Option<u32> {
    s.trim().parse::<u32>().ok().filter(|&p| p > 0)
}

/// This tool's `key: value` record; `host` and `pid` are required.
fn parse_record(text: &str) -> Option<LockOwner> {
    let (mut host, mut pid, mut started, mut pid_start) = (None, None, None, None);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "host" => host = Some(value),
            "pid" => pid = Some(parse_pid(value)?),
            "started" => {
                started = DateTime::parse_from_rfc3339(value)
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
            }
            "pidstart" => pid_start = value.parse().ok(),
            _ => {}
        }
    }
    let host = host.filter(|h| !h.is_empty())?;
    Some(LockOwner {
        host: host.to_owned(),
        pid: pid?,
        started,
        pid_start,
    })
}

/// The original tool's lock file: `str(os.uname())`, local time, pid.
fn parse_python(text: &str) -> Option<LockOwner> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let uname = lines.next()?;
    let when = lines.next()?;
    let pid = parse_pid(lines.next()?)?;
    let host = python_uname_nodename(uname).filter(|h| !h.trim().is_empty())?;
    let started = NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .and_then(|t| Local.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc));
    Some(LockOwner {
        host: host.trim().to_owned(),
        pid,
        started,
        pid_start: None,
    })
}

/// Node name from Python 2 `('Linux', 'host', ...)` or Python 3
/// `posix.uname_result(sysname='Linux', nodename='host', ...)`.
fn python_uname_nodename(s: &str) -> Option<String> {
    if let Some((_, rest)) = s.split_once("nodename=") {
        quoted_strings(rest).into_iter().next()
    } else if s.starts_with('(') {
        quoted_strings(s).into_iter().nth(1)
    } else {
        None
    }
}

/// The Python string literals (single or double quoted) in `s`, in order.
fn quoted_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            continue;
        }
        let mut lit = String::new();
        let mut closed = false;
        while let Some(d) = chars.next() {
            if d == '\\' {
                if let Some(e) = chars.next() {
                    lit.push(e);
                }
            } else if d == c {
                closed = true;
                break;
            } else {
                lit.push(d);
            }
        }
        if !closed {
            break;
        }
        out.push(lit);
    }
    out
}

fn describe_owner(owner: Option<&LockOwner>) -> String {
    match owner {
        Some(o) => o.to_string(),
        None => "an unknown owner (unreadable lock file)".to_owned(),
    }
}

fn describe_lost(owner: Option<&LockOwner>) -> String {
    match owner {
        Some(o) => format!("now held by {o}"),
        None => "it is gone or unreadable".to_owned(),
    }
}

/// `30m`, `1h5m`, `1m30s`, `45s`, `100ms`, `0s`.
fn human_duration(d: &Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        let ms = d.subsec_millis();
        return if ms == 0 {
            "0s".to_owned()
        } else {
            format!("{ms}ms")
        };
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// An I/O error's message without the ` (os error N)` suffix.
fn io_message(e: &io::Error) -> String {
    let s = e.to_string();
    match e.raw_os_error() {
        Some(code) => s
            .strip_suffix(&format!(" (os error {code})"))
            .map(str::to_owned)
            .unwrap_or(s),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip() {
        let owner = LockOwner {
            host: "dbhost01".into(),
            pid: 1234,
            started: Utc.with_ymd_and_hms(2026, 11, 21, 10, 15, 0).single(),
            pid_start: Some(987),
        };
        let rec = owner.to_record("backup", "x");
        assert!(rec.contains("started: 2026-11-21T10:15:00Z\n"), "{rec}");
        assert_eq!(LockOwner::parse(&rec), Some(owner.clone()));
        assert_eq!(
            owner.to_string(),
            "pid 1234 on host dbhost01 since 2026-11-21 10:15:00 UTC"
        );
    }

    #[test]
    fn python2_format() {
        let text = "('Linux', 'dbhost01', '3.10.0-1160.el7.x86_64', '#1 SMP Wed, Oct 1 2020', 'x86_64')\n2026-11-21 10:15:00\n4321\n";
        let o = LockOwner::parse(text).expect("parsed");
        assert_eq!(o.host, "dbhost01");
        assert_eq!(o.pid, 4321);
        let local = Local
            .from_local_datetime(
                &NaiveDateTime::parse_from_str("2026-11-21 10:15:00", "%Y-%m-%d %H:%M:%S")
                    .expect("time"),
            )
            .earliest()
            .expect("local");
        assert_eq!(o.started, Some(local.with_timezone(&Utc)));
        assert_eq!(o.pid_start, None);
    }

    #[test]
    fn python3_format() {
        let text = "posix.uname_result(sysname='Linux', nodename='db\"h2', release='5.4', version='#1', machine='x86_64')\r\n2026-01-02 03:04:05\r\n77";
        let o = LockOwner::parse(text).expect("parsed");
        assert_eq!(o.host, "db\"h2");
        assert_eq!(o.pid, 77);
        assert!(o.started.is_some());
    }

    #[test]
    fn garbage_is_unknown() {
        for t in [
            "",
            "\n\n",
            "host: h\n",
            "pid: 12\n",
            "host: h\npid: 0\n",
            "host: h\npid: -3\n",
            "host: \npid: 3\n",
            "('Linux')\nx\n1\n",
            "('Linux', '\nx\n1",
            "(\"a\", \"\")\n2020-01-01 00:00:00\n5",
        ] {
            assert_eq!(LockOwner::parse(t), None, "{t:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(&Duration::ZERO), "0s");
        assert_eq!(human_duration(&Duration::from_millis(100)), "100ms");
        assert_eq!(human_duration(&Duration::from_secs(1800)), "30m");
        assert_eq!(human_duration(&Duration::from_millis(1_800_900)), "30m");
        assert_eq!(human_duration(&Duration::from_secs(3690)), "1h1m30s");
    }

    #[test]
    fn own_process_is_not_stale() {
        let me = LockOwner::current();
        assert!(me.pid_start.is_some());
        assert!(stale_reason(&me, &me.host).is_none());
        let reused = LockOwner {
            pid_start: me.pid_start.map(|t| t + 1),
            ..me.clone()
        };
        assert!(matches!(
            stale_reason(&reused, &me.host),
            Some(Stale::PidReused { .. })
        ));
        assert!(stale_reason(&reused, "some-other-host").is_none());
    }

    fn dead_pid() -> u32 {
        let mut c = std::process::Command::new("true").spawn().expect("spawn");
        let pid = c.id();
        c.wait().expect("wait");
        pid
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A stale lock, and the guard name generation `gen` for taking it over.
    fn stale_setup(dir: &Path) -> (Vec<u8>, impl Fn(u32) -> PathBuf + '_) {
        let stale = LockOwner {
            pid: dead_pid(),
            ..LockOwner::current()
        }
        .to_record("old", "t")
        .into_bytes();
        fs::write(lock_path(dir), &stale).expect("write");
        let base = format!("{LOCK_FILE_NAME}.takeover.{:016x}", fnv1a(&stale));
        (stale, move |gen| dir.join(format!("{base}.{gen}")))
    }

    const NOW: LockOptions = LockOptions {
        max_wait: Duration::ZERO,
        poll_interval: Duration::from_millis(1),
    };

    #[test]
    fn dead_takeover_guard_is_skipped_and_cleaned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, guard) = stale_setup(dir.path());
        let dead = LockOwner {
            pid: dead_pid(),
            ..LockOwner::current()
        };
        fs::write(guard(0), dead.to_record("x", "g0")).expect("write");
        fs::write(guard(1), "garbage").expect("write");
        let lock = DbLock::acquire(dir.path(), &NOW).expect("taken over");
        assert_eq!(names(dir.path()), vec![LOCK_FILE_NAME.to_owned()]);
        lock.release().expect("release");
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn live_takeover_guard_blocks_takeover() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (stale, guard) = stale_setup(dir.path());
        let live = LockOwner::current().to_record("x", "other-thread");
        fs::write(guard(0), &live).expect("write");
        let err = DbLock::acquire(dir.path(), &NOW).expect_err("busy");
        assert!(matches!(err, LockError::Busy { .. }), "{err}");
        assert_eq!(fs::read(lock_path(dir.path())).expect("read"), stale);
        assert_eq!(fs::read_to_string(guard(0)).expect("guard kept"), live);
        assert_eq!(names(dir.path()).len(), 2);
        // Once that guard is gone the stale lock is taken over.
        fs::remove_file(guard(0)).expect("rm");
        drop(DbLock::acquire(dir.path(), &NOW).expect("taken over"));
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn io_error_display() {
        let e = io_err(
            "create lock file",
            Path::new("/x/backup.lck"),
            io::Error::from_raw_os_error(13),
        );
        assert_eq!(
            e.to_string(),
            "cannot create lock file /x/backup.lck: Permission denied"
        );
    }
}

//! One log file per run, compatible with the original tool's `backup_logs`.
//!
//! The original wrote every run to
//! `<backupdest>/<db>/backup_logs/<db>_<YYYYMMDDTHHMMSS>_<action>.log` (local time, see
//! [`log_path`]) with lines like
//!
//! ```text
//! 2016-11-08 21:53:35,592 DEBUG    orcl            Oracle home: /u01/app/oracle/product/12.1.0.2/db
//! ```
//!
//! (`%(asctime)s %(levelname)-8s %(name)-15s %(message)s`), echoed INFO and above to the
//! console as `21:53:35 INFO     orcl            message`, let RMAN and SQL*Plus append
//! their own output to the same file, removed `*.log` files older than `logretention`
//! days from the log directory at start, and with `BACKUP_LOG_TO_SCREEN=TRUE` printed the
//! whole file at the end of the run.
//!
//! [`RunLog`] does the same with a [`tracing`] subscriber. Everything it writes (events,
//! child-process output given to [`RunLog::append_external`] or
//! [`RunLog::external_writer`], and the copy made by [`RunLog::finish`]) goes through a
//! [`RedactingWriter`] that replaces every known [`Secrets`] value with [`MASK`].

use std::borrow::Cow;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use tracing::{Dispatch, Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};

/// What every secret is replaced with.
pub const MASK: &str = "********";

/// Secrets shorter than this many characters are ignored by [`Secrets::add`]: masking
/// every `ab` or `1` in a log would shred it without protecting anything real.
pub const MIN_SECRET_CHARS: usize = 3;

/// Name of the environment variable that asks for the whole log on stdout at the end of
/// the run (the original's Jenkins support). Only the exact value `TRUE` enables it.
pub const LOG_TO_SCREEN_ENV: &str = "BACKUP_LOG_TO_SCREEN";

/// A line without a newline longer than this is written out early (minus a tail long
/// enough to hold a secret that might continue in the next write).
const MAX_PENDING: usize = 8 * 1024;

/// Errors of the run log. The message names the operation and the path.
#[derive(Debug, thiserror::Error)]
pub enum RunLogError {
    /// A file-system operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `create log directory`.
        op: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Writing the log copy to the screen failed.
    #[error("cannot copy log file {} to the screen: {source}", path.display())]
    Screen {
        /// The log file being copied.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Another global tracing subscriber was already installed.
    #[error("cannot install the run log {} as the global tracing subscriber: {source}", path.display())]
    InstallGlobal {
        /// The log file of the run.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: tracing::dispatcher::SetGlobalDefaultError,
    },
}

impl RunLogError {
    fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        RunLogError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The original's log file name for one run:
/// `<backupdest>/<db>/backup_logs/<db>_<YYYYMMDDTHHMMSS>_<action>.log`.
///
/// `backupdest` is the `[generic] backupdest` setting (without the database),
/// `started` the local start time of the run.
pub fn log_path(
    backupdest: &Path,
    db: &str,
    action: &str,
    started: chrono::NaiveDateTime,
) -> PathBuf {
    backupdest.join(db).join("backup_logs").join(format!(
        "{db}_{}_{action}.log",
        started.format("%Y%m%dT%H%M%S")
    ))
}

/// Claims a run log file name: creates `path` (and its directory) if no run has, else the
/// first free `<stem>-2.log`, `<stem>-3.log`, ... Two runs started in the same second (the
/// second one waiting for the lock) so never share a log file. Returns the claimed path; the
/// file exists and is empty.
pub fn claim_log_path(path: &Path) -> Result<PathBuf, RunLogError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| RunLogError::io("create log directory", dir, e))?;
    }
    let stem = path.with_extension("");
    let mut candidate = path.to_path_buf();
    for n in 2..=1000 {
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(_) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                candidate = PathBuf::from(format!("{}-{n}.log", stem.display()));
            }
            Err(e) => return Err(RunLogError::io("create log file", &candidate, e)),
        }
    }
    Err(RunLogError::io(
        "find a free log file name for",
        path,
        io::Error::new(io::ErrorKind::AlreadyExists, "1000 names taken"),
    ))
}

/// Removes the old run logs of a log directory, like the original's `BackupLogger.clean`.
///
/// Removed are the entries of `dir` (not recursively) that are regular files (symlinks are
/// not followed), whose name ends in `.log` and whose modification time is more than
/// `retention_days` days before `now`. `keep` (the current run's log) is never removed,
/// whatever its age. Returns the removed paths in directory order. A file that vanishes
/// meanwhile (another run cleaning the same directory) is not an error; any other
/// failure stops the cleaning and is returned.
pub fn clean_old_logs(
    dir: &Path,
    retention_days: u32,
    now: SystemTime,
    keep: &Path,
) -> Result<Vec<PathBuf>, RunLogError> {
    let max_age = Duration::from_secs(u64::from(retention_days) * 86_400);
    let keep_id = fs::symlink_metadata(keep).ok().map(|m| (m.dev(), m.ino()));
    let entries = fs::read_dir(dir).map_err(|e| RunLogError::io("read log directory", dir, e))?;
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| RunLogError::io("read log directory", dir, e))?;
        let path = entry.path();
        if !entry.file_name().as_encoded_bytes().ends_with(b".log") || path == keep {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(RunLogError::io("read metadata of", &path, e)),
        };
        if !meta.file_type().is_file() || keep_id == Some((meta.dev(), meta.ino())) {
            continue;
        }
        let modified = meta
            .modified()
            .map_err(|e| RunLogError::io("read modification time of", &path, e))?;
        let old = now.duration_since(modified).is_ok_and(|age| age > max_age);
        if !old {
            continue;
        }
        match fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(RunLogError::io("remove old log", &path, e)),
        }
    }
    Ok(removed)
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The set of values that must never reach a log: passwords and the like.
///
/// Cheap to clone; all clones share the same set, so a secret learnt in the middle of a run
/// (e.g. a password read from a wallet) protects every writer built earlier.
///
/// Empty secrets and secrets shorter than [`MIN_SECRET_CHARS`] characters are ignored, as
/// are secrets made only of `*` (they would match the mask itself). Its `Debug` output
/// shows only how many secrets there are.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Kept sorted longest first, without duplicates.
    inner: Arc<RwLock<Vec<String>>>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("count", &self.len())
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret (see the type's documentation for what is ignored).
    pub fn add(&self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.chars().count() < MIN_SECRET_CHARS || secret.bytes().all(|b| b == b'*') {
            return;
        }
        let mut list = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if list.contains(&secret) {
            return;
        }
        list.push(secret);
        list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// How many secrets are known.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Length in bytes of the longest secret, 0 without secrets.
    fn max_len(&self) -> usize {
        self.read().first().map_or(0, String::len)
    }

    /// Replaces every occurrence of every secret with [`MASK`].
    ///
    /// Occurrences that overlap or touch (also of different secrets) become a single
    /// mask. Borrows the input when nothing had to be replaced.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Matches of UTF-8 secrets in UTF-8 text start and end on char boundaries,
            // so this always succeeds; the fallback only avoids a panic path.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// [`Secrets::redact`] for bytes that need not be UTF-8 (child-process output).
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let secrets = self.read();
        let mut current = Cow::Borrowed(bytes);
        // One pass masks every occurrence in the input. A secret containing `*` might
        // still be formed by a mask and its neighbours, so repeat until nothing matches.
        // This ends: every secret has a byte other than `*`, so every pass that matches
        // strictly lowers the number of such bytes.
        loop {
            let ranges = match_ranges(&secrets, &current);
            if ranges.is_empty() {
                return current;
            }
            let mut out = Vec::with_capacity(current.len());
            let mut pos = 0;
            for (start, end) in ranges {
                out.extend_from_slice(&current[pos..start]);
                out.extend_from_slice(MASK.as_bytes());
                pos = end;
            }
            out.extend_from_slice(&current[pos..]);
            current = Cow::Owned(out);
        }
    }
}

/// Sorted, merged byte ranges covering every occurrence of every secret in `hay`
/// (overlapping occurrences included).
fn match_ranges(secrets: &[String], hay: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for secret in secrets {
        let needle = secret.as_bytes();
        let Some(&first) = needle.first() else {
            continue;
        };
        if needle.len() > hay.len() {
            continue;
        }
        for start in 0..=hay.len() - needle.len() {
            if hay[start] == first && hay[start..].starts_with(needle) {
                found.push((start, start + needle.len()));
            }
        }
    }
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
    for (start, end) in found {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// A line-buffered writer that redacts [`Secrets`] before passing data on.
///
/// Bytes are held until a newline arrives, then every complete line is redacted and
/// written to the inner writer in one `write_all`, so a secret split across two `write`
/// calls is still caught. A line without a newline that grows beyond 8 KiB is written out
/// early, except for a tail long enough that no secret can straddle the cut. The held
/// partial line is redacted and written on [`flush`](Write::flush) and on drop (errors on
/// drop are ignored; call `flush` to see them).
///
/// Secrets containing a newline are not caught across the newline.
pub struct RedactingWriter<W: Write> {
    inner: W,
    secrets: Secrets,
    pending: Vec<u8>,
}

impl<W: Write> fmt::Debug for RedactingWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactingWriter")
            .field("secrets", &self.secrets)
            .field("pending_bytes", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl<W: Write> RedactingWriter<W> {
    /// Wraps `inner`, redacting `secrets` (and any secret added to them later).
    pub fn new(inner: W, secrets: Secrets) -> Self {
        RedactingWriter {
            inner,
            secrets,
            pending: Vec::new(),
        }
    }

    /// The wrapped writer. Writing to it directly bypasses the redaction.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Redacts and writes out the first `upto` held bytes. They are dropped even if the
    /// write fails, so a failing sink does not make the buffer grow without bound.
    fn emit(&mut self, upto: usize) -> io::Result<()> {
        if upto == 0 {
            return Ok(());
        }
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let redacted = self.secrets.redact_bytes(&chunk);
        self.inner.write_all(&redacted)
    }

    /// Where a long partial line may be cut: before the last `longest secret - 1` bytes
    /// and never inside an occurrence of a secret, so no secret straddles the cut.
    fn safe_cut(&self) -> usize {
        let keep = self.secrets.max_len().saturating_sub(1);
        let mut cut = self.pending.len().saturating_sub(keep);
        for (start, end) in match_ranges(&self.secrets.read(), &self.pending) {
            if start < cut && cut < end {
                cut = end;
            }
        }
        cut
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let held = self.pending.len();
        self.pending.extend_from_slice(buf);
        if let Some(newline) = buf.iter().rposition(|&b| b == b'\n') {
            self.emit(held + newline + 1)?;
        }
        if self.pending.len() > MAX_PENDING {
            let cut = self.safe_cut();
            self.emit(cut)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit(self.pending.len())?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.flush();
        }
    }
}

/// A writer shared between threads; each `write` call takes the lock once.
struct Shared<W: ?Sized>(Arc<Mutex<W>>);

impl<W: ?Sized> Clone for Shared<W> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<W: Write + ?Sized> Write for Shared<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        lock(&self.0).write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        lock(&self.0).flush()
    }
}

type ConsoleSink = Box<dyn Write + Send>;

/// Settings of [`RunLog::start`].
pub struct RunLogOptions {
    /// The log file, usually from [`log_path`]. Opened for appending.
    pub path: PathBuf,
    /// The logger name printed in every line (the original used the database name).
    pub name: String,
    /// Remove `*.log` files older than this many days from the log file's directory
    /// (the `logretention` setting); `None` keeps them all.
    pub retention_days: Option<u32>,
    /// Values to mask in everything written.
    pub secrets: Secrets,
    /// Copy the whole log file to the screen in [`RunLog::finish`]
    /// (see [`RunLogOptions::to_screen_from_env`]).
    pub to_screen: bool,
    /// Where INFO and higher events are echoed as they happen, in the original's console
    /// format (`HH:MM:SS LEVEL    name            message`); `None` for no echo. Binaries
    /// pass stdout ([`RunLogOptions::with_stdout_console`]), tests a buffer.
    pub console: Option<Box<dyn Write + Send>>,
}

impl fmt::Debug for RunLogOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunLogOptions")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("retention_days", &self.retention_days)
            .field("secrets", &self.secrets)
            .field("to_screen", &self.to_screen)
            .field("console", &self.console.is_some())
            .finish()
    }
}

impl RunLogOptions {
    /// Options for `path` and logger `name`: no retention, no secrets, no copy to the
    /// screen, no console echo.
    pub fn new(path: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        RunLogOptions {
            path: path.into(),
            name: name.into(),
            retention_days: None,
            secrets: Secrets::new(),
            to_screen: false,
            console: None,
        }
    }

    /// Sets [`RunLogOptions::retention_days`].
    pub fn with_retention_days(mut self, days: u32) -> Self {
        self.retention_days = Some(days);
        self
    }

    /// Sets [`RunLogOptions::secrets`].
    pub fn with_secrets(mut self, secrets: Secrets) -> Self {
        self.secrets = secrets;
        self
    }

    /// Sets [`RunLogOptions::to_screen`].
    pub fn with_to_screen(mut self, to_screen: bool) -> Self {
        self.to_screen = to_screen;
        self
    }

    /// Echoes INFO and higher events to `console`.
    pub fn with_console(mut self, console: Box<dyn Write + Send>) -> Self {
        self.console = Some(console);
        self
    }

    /// Echoes INFO and higher events to stdout, like the original.
    pub fn with_stdout_console(self) -> Self {
        self.with_console(Box::new(io::stdout()))
    }

    /// Whether `BACKUP_LOG_TO_SCREEN` asks for the log on the screen: only the exact,
    /// case-sensitive value `TRUE` does, as in the original.
    pub fn to_screen_from_env() -> bool {
        Self::to_screen_from_value(std::env::var(LOG_TO_SCREEN_ENV).ok().as_deref())
    }

    /// [`RunLogOptions::to_screen_from_env`] for a given value of the variable.
    pub fn to_screen_from_value(value: Option<&str>) -> bool {
        value == Some("TRUE")
    }
}

/// The log of one run: a file (DEBUG and up), an optional console echo (INFO and up) and
/// the [`tracing`] dispatcher writing to them.
///
/// Events only reach it while its dispatcher is active: install it for the whole process
/// with [`RunLog::install_global`], or for a closure with [`RunLog::scoped`].
pub struct RunLog {
    path: PathBuf,
    name: String,
    file: Arc<Mutex<File>>,
    console: Option<Arc<Mutex<ConsoleSink>>>,
    external: Mutex<RedactingWriter<Shared<File>>>,
    secrets: Secrets,
    to_screen: bool,
    dispatch: Dispatch,
    removed: Vec<PathBuf>,
}

impl fmt::Debug for RunLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunLog")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("secrets", &self.secrets)
            .field("to_screen", &self.to_screen)
            .field("console", &self.console.is_some())
            .finish_non_exhaustive()
    }
}

impl RunLog {
    /// Starts the log of a run: creates the log directory, opens the file for appending,
    /// builds the dispatcher and applies the retention to the file's directory.
    ///
    /// Removed old logs are logged at DEBUG (see also [`RunLog::removed_logs`]). A
    /// failing cleanup is logged as a WARNING and does not fail the start.
    pub fn start(options: RunLogOptions) -> Result<RunLog, RunLogError> {
        let RunLogOptions {
            path,
            name,
            retention_days,
            secrets,
            to_screen,
            console,
        } = options;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| RunLogError::io("create log directory", &dir, e))?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| RunLogError::io("open log file", &path, e))?;
        let file = Arc::new(Mutex::new(file));
        let console = console.map(|c| Arc::new(Mutex::new(c)));

        let file_layer = {
            let sink = Shared(Arc::clone(&file));
            let secrets = secrets.clone();
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .event_format(OriginalFormat {
                    name: name.clone(),
                    time_format: "%Y-%m-%d %H:%M:%S,%3f",
                })
                .with_writer(move || RedactingWriter::new(sink.clone(), secrets.clone()))
                .with_filter(LevelFilter::DEBUG)
        };
        let console_layer = console.as_ref().map(|console| {
            let sink = Shared(Arc::clone(console));
            let secrets = secrets.clone();
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .event_format(OriginalFormat {
                    name: name.clone(),
                    time_format: "%H:%M:%S",
                })
                .with_writer(move || RedactingWriter::new(sink.clone(), secrets.clone()))
                .with_filter(LevelFilter::INFO)
        });
        let dispatch = Dispatch::new(Registry::default().with(file_layer).with(console_layer));

        let cleaned =
            retention_days.map(|days| clean_old_logs(&dir, days, SystemTime::now(), &path));
        let removed = match &cleaned {
            Some(Ok(removed)) => removed.clone(),
            _ => Vec::new(),
        };
        tracing::dispatcher::with_default(&dispatch, || match &cleaned {
            Some(Ok(removed)) => {
                for old in removed {
                    tracing::debug!("Removed log: {}", old.display());
                }
            }
            Some(Err(e)) => tracing::warn!("Cleaning old logs failed: {e}"),
            None => {}
        });

        Ok(RunLog {
            external: Mutex::new(RedactingWriter::new(
                Shared(Arc::clone(&file)),
                secrets.clone(),
            )),
            path,
            name,
            file,
            console,
            secrets,
            to_screen,
            dispatch,
            removed,
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The logger name printed in every line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The secrets masked by this log; adding to them protects the rest of the run.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Whether [`RunLog::finish`] copies the file to the screen.
    pub fn to_screen(&self) -> bool {
        self.to_screen
    }

    /// Old logs removed by the retention at start.
    pub fn removed_logs(&self) -> &[PathBuf] {
        &self.removed
    }

    /// The dispatcher writing to this log, for callers managing dispatchers themselves.
    pub fn dispatch(&self) -> Dispatch {
        self.dispatch.clone()
    }

    /// Makes this log the process-wide tracing subscriber. Fails if one is already set.
    pub fn install_global(&self) -> Result<(), RunLogError> {
        tracing::dispatcher::set_global_default(self.dispatch.clone()).map_err(|source| {
            RunLogError::InstallGlobal {
                path: self.path.clone(),
                source,
            }
        })
    }

    /// Runs `f` with this log as the current thread's tracing subscriber.
    pub fn scoped<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// Appends child-process output (rman, sqlplus) to the log file, redacted.
    ///
    /// Calls share one line buffer, so a secret split across two calls is still caught;
    /// a trailing partial line is held until its newline arrives, the next
    /// [`RunLog::flush`] or [`RunLog::finish`].
    pub fn append_external(&self, bytes: &[u8]) -> Result<(), RunLogError> {
        lock(&self.external)
            .write_all(bytes)
            .map_err(|e| RunLogError::io("write log file", &self.path, e))
    }

    /// A writer appending to the log file, redacted, with its own line buffer (give each
    /// child-process stream its own). Its partial last line is written when it is flushed
    /// or dropped.
    pub fn external_writer(&self) -> impl Write + Send + 'static {
        RedactingWriter::new(Shared(Arc::clone(&self.file)), self.secrets.clone())
    }

    /// Writes out what [`RunLog::append_external`] holds and flushes the file and console.
    pub fn flush(&self) -> Result<(), RunLogError> {
        lock(&self.external)
            .flush()
            .map_err(|e| RunLogError::io("write log file", &self.path, e))?;
        if let Some(console) = &self.console {
            // The console is best effort, like the original's stream handler.
            let _ = lock(console).flush();
        }
        Ok(())
    }

    /// Ends the run's log: flushes, and if [`RunLog::to_screen`] copies the whole log file
    /// (including what other processes appended to it) to `screen`, redacted once more.
    ///
    /// The dispatcher stays valid; if it was installed globally, later events still reach
    /// the file.
    pub fn finish(self, screen: &mut dyn Write) -> Result<(), RunLogError> {
        self.flush()?;
        if !self.to_screen {
            return Ok(());
        }
        let file = lock(&self.file);
        let mut reader: &File = &file;
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| RunLogError::io("read log file", &self.path, e))?;
        let mut out = RedactingWriter::new(screen, self.secrets.clone());
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match io::Read::read(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(RunLogError::io("read log file", &self.path, e)),
            };
            out.write_all(&buf[..n])
                .map_err(|source| RunLogError::Screen {
                    path: self.path.clone(),
                    source,
                })?;
        }
        out.flush().map_err(|source| RunLogError::Screen {
            path: self.path.clone(),
            source,
        })
    }
}

/// The original's line format: `<time> <LEVEL padded to 8> <name padded to 15> <message>`,
/// the message followed by the event's other fields as `key=value`.
struct OriginalFormat {
    name: String,
    time_format: &'static str,
}

/// Python's level names, as in the original's logs.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARNING",
        Level::ERROR => "ERROR",
    }
}

impl<S, N> FormatEvent<S, N> for OriginalFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(
            writer,
            "{} {:<8} {:<15} ",
            chrono::Local::now().format(self.time_format),
            level_name(event.metadata().level()),
            self.name
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

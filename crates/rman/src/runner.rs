//! Runs rman, sqlplus, sqlldr and adrci the way the original tool's `oraexec.py` did.
//!
//! * [`OracleEnv`]: the child environment (`ORACLE_HOME`, `TNS_ADMIN`, `NLS_DATE_FORMAT`,
//!   `ORACLE_SID` set or removed).
//! * [`Runner`]: the four tools, each given a [`Script`] (the script text, a label naming the
//!   step, e.g. `imagecopy`, and the [`Secrets`] it may contain).
//! * [`ProcessRunner`]: spawns `$ORACLE_HOME/bin/<tool>`, feeds the script, captures the
//!   output (stdout and stderr merged in arrival order), appends it redacted to the run log
//!   and turns a non-zero exit into [`RunError::Failed`] with the parsed Oracle errors.
//! * [`RecordingRunner`]: records the calls instead (for `--dry-run` and tests).
//!
//! How the original called the tools:
//!
//! | tool    | command line                                                          | script on |
//! |---------|-----------------------------------------------------------------------|-----------|
//! | rman    | `rman`                                                                | stdin     |
//! | sqlplus | `sqlplus -S /nolog` (silent) or `sqlplus /nolog`                      | stdin     |
//! | sqlldr  | `sqlldr <login> control=<f.ctl> log=<f.log> errors=0 silent=all`      | temp file |
//! | adrci   | `adrci script=<f.adi>`                                                | temp file |
//!
//! (The original let rman write its own log with `log <file> append`; here its output is
//! captured and appended to the run log like that of the other tools.)
//!
//! Secrets: the script text is never written to the log (unless script logging is asked
//! for, and then redacted). The output is redacted with the script's [`Secrets`] (and, for
//! sqlldr, the password of the login) before it is logged, returned or parsed into an
//! error.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use backupcore::runlog::{RedactingWriter, RunLog, Secrets, MASK};

use crate::parse::{error_summary, find_errors, rman_error_stacks, OracleError};

/// The `NLS_DATE_FORMAT` the original set for every tool.
pub const NLS_DATE_FORMAT: &str = "yyyy-mm-dd hh24:mi:ss";

/// The Oracle tools the runner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    /// Recovery Manager.
    Rman,
    /// SQL*Plus.
    Sqlplus,
    /// SQL*Loader.
    Sqlldr,
    /// The ADR command interpreter.
    Adrci,
    /// OPatch (`$ORACLE_HOME/OPatch/opatch`), for the patch inventory in the run log.
    Opatch,
    /// Grid Infrastructure's `srvctl`, for the database's cluster configuration in the log.
    Srvctl,
}

impl Tool {
    /// The program name in `$ORACLE_HOME/bin`.
    pub fn binary_name(self) -> &'static str {
        match self {
            Tool::Rman => "rman",
            Tool::Sqlplus => "sqlplus",
            Tool::Sqlldr => "sqlldr",
            Tool::Adrci => "adrci",
            Tool::Opatch => "opatch",
            Tool::Srvctl => "srvctl",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.binary_name())
    }
}

/// The Oracle environment of the child processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleEnv {
    /// `ORACLE_HOME`; the tools are run from its `bin` directory.
    pub oracle_home: PathBuf,
    /// `TNS_ADMIN`; left as inherited when `None`.
    pub tns_admin: Option<PathBuf>,
    /// `ORACLE_SID`; removed from the environment when `None`, as the original did.
    pub sid: Option<String>,
}

impl OracleEnv {
    /// An environment for `oracle_home` without `TNS_ADMIN` and without SID.
    pub fn new(oracle_home: impl Into<PathBuf>) -> Self {
        OracleEnv {
            oracle_home: oracle_home.into(),
            tns_admin: None,
            sid: None,
        }
    }

    /// Sets [`OracleEnv::tns_admin`].
    pub fn with_tns_admin(mut self, tns_admin: impl Into<PathBuf>) -> Self {
        self.tns_admin = Some(tns_admin.into());
        self
    }

    /// Sets [`OracleEnv::sid`].
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// The path of a tool: `$ORACLE_HOME/bin/<tool>`, for OPatch
    /// `$ORACLE_HOME/OPatch/opatch`.
    pub fn binary(&self, tool: Tool) -> PathBuf {
        let dir = match tool {
            Tool::Opatch => "OPatch",
            _ => "bin",
        };
        self.oracle_home.join(dir).join(tool.binary_name())
    }

    /// The changes to the inherited environment, in the order they are applied: a value to
    /// set, or `None` for a variable to remove.
    pub fn vars(&self) -> Vec<(&'static str, Option<OsString>)> {
        let mut vars = vec![
            (
                "ORACLE_HOME",
                Some(self.oracle_home.clone().into_os_string()),
            ),
            ("NLS_DATE_FORMAT", Some(OsString::from(NLS_DATE_FORMAT))),
        ];
        if let Some(tns) = &self.tns_admin {
            vars.push(("TNS_ADMIN", Some(tns.clone().into_os_string())));
        }
        vars.push(("ORACLE_SID", self.sid.as_ref().map(OsString::from)));
        vars
    }

    /// Applies [`OracleEnv::vars`] to a command; the rest of the environment is inherited.
    pub fn apply(&self, cmd: &mut Command) {
        for (name, value) in self.vars() {
            match value {
                Some(v) => cmd.env(name, v),
                None => cmd.env_remove(name),
            };
        }
    }
}

/// A script for one tool: its text, a label naming the step in messages (`imagecopy`,
/// `dbinfo`, …) and the secrets its text or the tool's output may contain.
///
/// `Debug` shows the text redacted.
#[derive(Clone)]
pub struct Script {
    /// The tool the script is written for.
    pub tool: Tool,
    /// Names the step in messages and in the dry-run text.
    pub label: String,
    /// The script (for sqlldr, the control file).
    pub text: String,
    /// Values masked in everything the runner writes or returns.
    pub secrets: Secrets,
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("tool", &self.tool)
            .field("label", &self.label)
            .field("text", &self.redacted_text())
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl Script {
    /// A script without secrets.
    pub fn new(tool: Tool, label: impl Into<String>, text: impl Into<String>) -> Self {
        Script {
            tool,
            label: label.into(),
            text: text.into(),
            secrets: Secrets::new(),
        }
    }

    /// An RMAN script.
    pub fn rman(label: impl Into<String>, text: impl Into<String>) -> Self {
        Script::new(Tool::Rman, label, text)
    }

    /// A SQL*Plus script.
    pub fn sqlplus(label: impl Into<String>, text: impl Into<String>) -> Self {
        Script::new(Tool::Sqlplus, label, text)
    }

    /// A SQL*Loader control file.
    pub fn sqlldr(label: impl Into<String>, text: impl Into<String>) -> Self {
        Script::new(Tool::Sqlldr, label, text)
    }

    /// An adrci script.
    pub fn adrci(label: impl Into<String>, text: impl Into<String>) -> Self {
        Script::new(Tool::Adrci, label, text)
    }

    /// The name of a program call without a script ([`Call::Program`]), e.g.
    /// `Script::program(Tool::Opatch, "lsinventory")`.
    pub fn program(tool: Tool, label: impl Into<String>) -> Self {
        Script::new(tool, label, String::new())
    }

    /// Sets [`Script::secrets`] (shared with the caller's set).
    pub fn with_secrets(mut self, secrets: Secrets) -> Self {
        self.secrets = secrets;
        self
    }

    /// The text with every secret masked.
    pub fn redacted_text(&self) -> String {
        self.secrets.redact(&self.text).into_owned()
    }
}

/// One call of a tool.
#[derive(Debug, Clone, Copy)]
pub enum Call<'a> {
    /// `rman`, script on stdin.
    Rman(&'a Script),
    /// `sqlplus [-S] /nolog`, script on stdin.
    Sqlplus {
        /// The script.
        script: &'a Script,
        /// `-S`: no banner, no prompts.
        silent: bool,
    },
    /// `sqlldr <login> control=… log=… errors=0 silent=all`.
    Sqlldr {
        /// `user/password@service`; its password is treated as a secret.
        login: &'a str,
        /// The control file.
        control: &'a Script,
    },
    /// `adrci script=…`.
    Adrci(&'a Script),
    /// A program run with arguments only (`opatch lsinventory`, `srvctl config database -d
    /// orcl`): `script` names the tool and the step, its text is not used.
    Program {
        /// The tool and label; the text is ignored.
        script: &'a Script,
        /// The command-line arguments.
        args: &'a [String],
    },
}

impl Call<'_> {
    /// The tool called.
    pub fn tool(&self) -> Tool {
        match self {
            Call::Rman(_) => Tool::Rman,
            Call::Sqlplus { .. } => Tool::Sqlplus,
            Call::Sqlldr { .. } => Tool::Sqlldr,
            Call::Adrci(_) => Tool::Adrci,
            Call::Program { script, .. } => script.tool,
        }
    }

    /// The script (for sqlldr the control file).
    pub fn script(&self) -> &Script {
        match self {
            Call::Rman(s) | Call::Adrci(s) => s,
            Call::Sqlplus { script, .. } | Call::Program { script, .. } => script,
            Call::Sqlldr { control, .. } => control,
        }
    }

    /// The command-line arguments, with `file` standing for the script's temporary file and
    /// `log` for sqlldr's log file. The sqlldr login is returned as given (see
    /// [`mask_login`]).
    pub fn args(&self, file: &str, log: &str) -> Vec<String> {
        match self {
            Call::Rman(_) => Vec::new(),
            Call::Sqlplus { silent: true, .. } => vec!["-S".into(), "/nolog".into()],
            Call::Sqlplus { silent: false, .. } => vec!["/nolog".into()],
            Call::Sqlldr { login, .. } => vec![
                (*login).to_owned(),
                format!("control={file}"),
                format!("log={log}"),
                "errors=0".into(),
                "silent=all".into(),
            ],
            Call::Adrci(_) => vec![format!("script={file}")],
            Call::Program { args, .. } => args.to_vec(),
        }
    }

    /// The secrets of the call: the script's and, for sqlldr, the login's password.
    fn secret_sets(&self) -> Vec<Secrets> {
        let mut sets = vec![self.script().secrets.clone()];
        if let Call::Sqlldr { login, .. } = self {
            if let Some(pw) = login_password(login) {
                let s = Secrets::new();
                s.add(pw);
                sets.push(s);
            }
        }
        sets
    }

    /// Fails when the script was written for another tool.
    fn check(&self) -> Result<(), RunError> {
        let script = self.script();
        let program_ok = match self {
            Call::Program { script, .. } => matches!(script.tool, Tool::Opatch | Tool::Srvctl),
            _ => !matches!(script.tool, Tool::Opatch | Tool::Srvctl),
        };
        if script.tool == self.tool() && program_ok {
            Ok(())
        } else {
            Err(RunError::WrongTool {
                tool: self.tool(),
                label: script.label.clone(),
                script_tool: script.tool,
            })
        }
    }
}

/// The password of an Oracle login `user/password[@service]`, if any.
fn login_password(login: &str) -> Option<&str> {
    let (_, rest) = login.split_once('/')?;
    let pw = rest.rsplit_once('@').map_or(rest, |(pw, _)| pw);
    (!pw.is_empty()).then_some(pw)
}

/// An Oracle login with its password masked: `scott/********@cat`.
pub fn mask_login(login: &str) -> String {
    match login_password(login) {
        Some(pw) => {
            let (user, rest) = login.split_once('/').unwrap_or((login, ""));
            format!("{user}/{MASK}{}", &rest[pw.len()..])
        }
        None => login.to_owned(),
    }
}

fn redact_all(sets: &[Secrets], text: &str) -> String {
    let mut out = text.to_owned();
    for s in sets {
        if let std::borrow::Cow::Owned(o) = s.redact(&out) {
            out = o;
        }
    }
    out
}

/// The result of a successful run.
#[derive(Debug, Clone)]
pub struct Output {
    /// stdout and stderr merged (for sqlldr followed by its log file), secrets masked,
    /// invalid UTF-8 replaced.
    pub text: String,
    /// The exit status (success).
    pub status: ExitStatus,
    /// How long the tool ran.
    pub elapsed: Duration,
}

/// Errors of a run. Messages are one line and never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The tool ended with a non-zero exit code or was killed by a signal.
    #[error("{tool} {label} failed ({}){}", exit_text(*code, *signal), summary_text(summary.as_deref()))]
    Failed {
        /// The tool.
        tool: Tool,
        /// The script's label.
        label: String,
        /// The exit code, `None` when killed by a signal.
        code: Option<i32>,
        /// The signal that killed the tool.
        signal: Option<i32>,
        /// One line: the errors of the first RMAN error stack, or every error of the output
        /// ([`error_summary`]); `None` when the output holds no Oracle error.
        summary: Option<String>,
        /// The errors of the first RMAN error stack holding any, else every error of the
        /// output.
        errors: Vec<OracleError>,
        /// The whole output, redacted.
        output: String,
    },
    /// The tool could not be started (missing binary, no permission, …).
    #[error("cannot run {tool} {label}: cannot start {}: {source}", path.display())]
    Spawn {
        /// The tool.
        tool: Tool,
        /// The script's label.
        label: String,
        /// The binary that was started.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The tool ran longer than the timeout and was killed.
    #[error("{tool} {label} timed out after {after:?} and was killed")]
    Timeout {
        /// The tool.
        tool: Tool,
        /// The script's label.
        label: String,
        /// The timeout.
        after: Duration,
        /// The output up to the kill, redacted.
        output: String,
    },
    /// Another I/O error: temporary files, pipes, the run log.
    #[error("{tool} {label}: cannot {op}: {source}")]
    Io {
        /// The tool.
        tool: Tool,
        /// The script's label.
        label: String,
        /// What failed, e.g. `write the run log`.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The script was given to the wrong tool.
    #[error("{label} is a {script_tool} script, not a {tool} script")]
    WrongTool {
        /// The tool called.
        tool: Tool,
        /// The script's label.
        label: String,
        /// The tool the script was written for.
        script_tool: Tool,
    },
}

fn exit_text(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) => "no exit code".to_owned(),
    }
}

fn summary_text(summary: Option<&str>) -> String {
    summary.map_or_else(String::new, |s| format!(": {s}"))
}

impl RunError {
    /// [`RunError::Failed`] for a redacted output.
    pub fn failed(tool: Tool, label: &str, status: ExitStatus, output: String) -> Self {
        let errors = rman_error_stacks(&output)
            .into_iter()
            .find(|s| !s.errors.is_empty())
            .map(|s| s.errors)
            .unwrap_or_else(|| find_errors(&output));
        RunError::Failed {
            tool,
            label: label.to_owned(),
            code: status.code(),
            signal: status.signal(),
            summary: error_summary(&output),
            errors,
            output,
        }
    }

    /// The output of the failed or timed-out run, redacted.
    pub fn output(&self) -> Option<&str> {
        match self {
            RunError::Failed { output, .. } | RunError::Timeout { output, .. } => Some(output),
            _ => None,
        }
    }
}

/// Runs the Oracle tools. Implementations: [`ProcessRunner`], [`RecordingRunner`].
pub trait Runner {
    /// Runs one call.
    fn run(&self, call: &Call<'_>) -> Result<Output, RunError>;

    /// `rman`, script on stdin.
    fn rman(&self, script: &Script) -> Result<Output, RunError> {
        self.run(&Call::Rman(script))
    }

    /// `sqlplus -S /nolog` when `silent`, else `sqlplus /nolog`; script on stdin.
    fn sqlplus(&self, script: &Script, silent: bool) -> Result<Output, RunError> {
        self.run(&Call::Sqlplus { script, silent })
    }

    /// `sqlldr <login> control=<file> log=<file> errors=0 silent=all`, the control file
    /// written to a temporary file.
    fn sqlldr(&self, login: &str, control: &Script) -> Result<Output, RunError> {
        self.run(&Call::Sqlldr { login, control })
    }

    /// `adrci script=<file>`, the script written to a temporary file.
    fn adrci(&self, script: &Script) -> Result<Output, RunError> {
        self.run(&Call::Adrci(script))
    }

    /// `<tool> <args>` ([`Call::Program`]): `script` names the tool and the step.
    fn program(&self, script: &Script, args: &[String]) -> Result<Output, RunError> {
        self.run(&Call::Program { script, args })
    }
}

impl<R: Runner + ?Sized> Runner for &R {
    fn run(&self, call: &Call<'_>) -> Result<Output, RunError> {
        (**self).run(call)
    }
}

/// A temporary file (mode 0600) removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn create(suffix: &str, content: &[u8]) -> io::Result<TempFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(
                "imagecopy-{}-{n}-{nanos:08x}{suffix}",
                std::process::id()
            ));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    let file = TempFile(path);
                    f.write_all(content)?;
                    return Ok(file);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn path_text(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// How often [`ProcessRunner`] checks whether the child exited.
const POLL: Duration = Duration::from_millis(50);

/// How long output is still read after the child exited while something it started keeps
/// the pipes open.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Where [`ProcessRunner`] appends the output.
type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Runs the tools as child processes of `$ORACLE_HOME/bin`.
///
/// The output is appended (redacted) to the log sink as it arrives; with
/// [`ProcessRunner::with_script_logging`] each script is written there first, redacted,
/// under a header `----- rman: imagecopy -----`.
pub struct ProcessRunner {
    /// The child environment.
    pub env: OracleEnv,
    /// Kill a tool that runs longer than this.
    pub timeout: Option<Duration>,
    log: Option<Sink>,
    log_scripts: bool,
    sqlplus_spools: bool,
}

impl fmt::Debug for ProcessRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessRunner")
            .field("env", &self.env)
            .field("timeout", &self.timeout)
            .field("log", &self.log.is_some())
            .field("log_scripts", &self.log_scripts)
            .field("sqlplus_spools", &self.sqlplus_spools)
            .finish()
    }
}

/// A piece of child output.
enum Chunk {
    Data(Vec<u8>),
    Eof,
}

fn spawn_reader(mut r: impl Read + Send + 'static, tx: Sender<Chunk>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(Chunk::Data(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(Chunk::Eof);
    });
}

/// A writer redacting every set of secrets in turn (each line-buffered).
fn redacting_chain<'a>(inner: &'a mut (dyn Write + Send), sets: &[Secrets]) -> Box<dyn Write + 'a> {
    let mut w: Box<dyn Write + 'a> = Box::new(inner);
    for s in sets {
        w = Box::new(RedactingWriter::new(w, s.clone()));
    }
    w
}

impl ProcessRunner {
    /// A runner without log, without timeout.
    pub fn new(env: OracleEnv) -> Self {
        ProcessRunner {
            env,
            timeout: None,
            log: None,
            log_scripts: false,
            sqlplus_spools: false,
        }
    }

    /// Appends the output to `log` (redacted by the runner).
    pub fn with_log(mut self, log: Box<dyn Write + Send>) -> Self {
        self.log = Some(Arc::new(Mutex::new(log)));
        self
    }

    /// Appends the output to the run log's file (redacted by the runner and by the log's
    /// own secrets).
    pub fn with_run_log(self, log: &RunLog) -> Self {
        self.with_log(Box::new(log.external_writer()))
    }

    /// Sets [`ProcessRunner::timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether every script is written (redacted) to the log before it runs (debug).
    pub fn with_script_logging(mut self, on: bool) -> Self {
        self.log_scripts = on;
        self
    }

    /// Whether the SQL*Plus scripts spool into the run log themselves (`spool ${logfile}
    /// append`, as the original's templates do). Then SQL*Plus output is copied to the log
    /// only when SQL*Plus fails (an error before the `spool` line, e.g. a failed connect,
    /// would otherwise be lost), instead of twice.
    pub fn with_sqlplus_spooling(mut self, on: bool) -> Self {
        self.sqlplus_spools = on;
        self
    }

    fn io_err(call: &Call<'_>, op: &'static str) -> impl FnOnce(io::Error) -> RunError {
        let tool = call.tool();
        let label = call.script().label.clone();
        move |source| RunError::Io {
            tool,
            label,
            op,
            source,
        }
    }

    fn log_script(&self, call: &Call<'_>, sets: &[Secrets]) -> Result<(), RunError> {
        let Some(log) = self.log.as_ref().filter(|_| self.log_scripts) else {
            return Ok(());
        };
        let script = call.script();
        let mut guard = log.lock().unwrap_or_else(PoisonError::into_inner);
        let text = redact_all(sets, &script.text);
        let mut block = format!("----- {}: {} -----\n{text}", call.tool(), script.label);
        if !block.ends_with('\n') {
            block.push('\n');
        }
        guard
            .write_all(block.as_bytes())
            .and_then(|()| guard.flush())
            .map_err(Self::io_err(call, "write the run log"))
    }

    /// Collects the output until both streams end, appending it to the log, and waits for
    /// the child. Stops when `deadline` passes (the caller kills the child), and also a
    /// moment after the child exited when something it started still holds the pipes.
    ///
    /// Returns the bytes, the exit status (`None` when the deadline passed) and the first
    /// error writing the log.
    fn collect(
        &self,
        child: &mut Child,
        rx: &Receiver<Chunk>,
        deadline: Option<Instant>,
        sets: &[Secrets],
        to_log: bool,
    ) -> io::Result<(Vec<u8>, Option<ExitStatus>, Option<io::Error>)> {
        let mut guard = self
            .log
            .as_ref()
            .filter(|_| to_log)
            .map(|l| l.lock().unwrap_or_else(PoisonError::into_inner));
        let mut sink = guard.as_mut().map(|g| redacting_chain(&mut ***g, sets));
        let mut captured = Vec::new();
        let mut log_error = None;
        let mut eofs = 0;
        let mut status = None;
        let mut drain_until: Option<Instant> = None;
        loop {
            if eofs >= 2 && status.is_some() {
                break;
            }
            if status.is_none() {
                status = child.try_wait()?;
                if status.is_some() {
                    drain_until = Some(Instant::now() + EXIT_GRACE);
                }
            }
            let now = Instant::now();
            let limit = [deadline, drain_until].into_iter().flatten().min();
            if limit.is_some_and(|l| now >= l) {
                break;
            }
            let wait = limit.map_or(POLL, |l| POLL.min(l.saturating_duration_since(now)));
            if eofs >= 2 {
                // Both streams ended; only the exit is awaited.
                thread::sleep(wait);
                continue;
            }
            match rx.recv_timeout(wait) {
                Ok(Chunk::Data(data)) => {
                    if let (Some(w), None) = (sink.as_mut(), log_error.as_ref()) {
                        if let Err(e) = w.write_all(&data) {
                            log_error = Some(e);
                        }
                    }
                    captured.extend_from_slice(&data);
                }
                Ok(Chunk::Eof) => eofs += 1,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => eofs = 2,
            }
        }
        if let Some(mut w) = sink {
            if let Err(e) = w.flush() {
                log_error.get_or_insert(e);
            }
        }
        Ok((captured, status, log_error))
    }

    fn append_log(&self, bytes: &[u8], sets: &[Secrets]) -> io::Result<()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        let mut guard = log.lock().unwrap_or_else(PoisonError::into_inner);
        let mut w = redacting_chain(&mut **guard, sets);
        w.write_all(bytes)?;
        w.flush()
    }
}

impl Runner for ProcessRunner {
    fn run(&self, call: &Call<'_>) -> Result<Output, RunError> {
        call.check()?;
        let tool = call.tool();
        let script = call.script();
        let sets = call.secret_sets();
        self.log_script(call, &sets)?;

        // The script goes to a file for sqlldr (.ctl) and adrci (.adi), else to stdin.
        let file = match tool {
            Tool::Sqlldr => Some(TempFile::create(".ctl", script.text.as_bytes())),
            Tool::Adrci => Some(TempFile::create(".adi", script.text.as_bytes())),
            Tool::Rman | Tool::Sqlplus | Tool::Opatch | Tool::Srvctl => None,
        }
        .transpose()
        .map_err(Self::io_err(call, "write a temporary script file"))?;
        let ldr_log = match tool {
            Tool::Sqlldr => Some(
                TempFile::create(".log", b"")
                    .map_err(Self::io_err(call, "create the sqlldr log file"))?,
            ),
            _ => None,
        };
        let args = call.args(
            &file.as_ref().map(TempFile::path_text).unwrap_or_default(),
            &ldr_log
                .as_ref()
                .map(TempFile::path_text)
                .unwrap_or_default(),
        );

        let path = self.env.binary(tool);
        let mut cmd = Command::new(&path);
        cmd.args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(if file.is_none() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        self.env.apply(&mut cmd);

        let started = Instant::now();
        let deadline = self.timeout.map(|t| started + t);
        let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
            tool,
            label: script.label.clone(),
            path: path.clone(),
            source,
        })?;
        drop(cmd);

        if let Some(mut stdin) = child.stdin.take() {
            let text = script.text.clone().into_bytes();
            // A separate thread, so a tool that writes much before reading cannot block us.
            // A tool that exits without reading everything gives a broken pipe: ignored.
            thread::spawn(move || {
                let _ = stdin.write_all(&text);
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            spawn_reader(out, tx.clone());
        } else {
            let _ = tx.send(Chunk::Eof);
        }
        if let Some(err) = child.stderr.take() {
            spawn_reader(err, tx);
        } else {
            let _ = tx.send(Chunk::Eof);
        }

        let spooled = self.sqlplus_spools && tool == Tool::Sqlplus;
        let (mut captured, status, mut log_error) = self
            .collect(&mut child, &rx, deadline, &sets, !spooled)
            .map_err(Self::io_err(call, "wait for the tool"))?;
        if spooled && !status.is_some_and(|s| s.success()) {
            if let Err(e) = self.append_log(&captured, &sets) {
                log_error.get_or_insert(e);
            }
        }
        let timed_out = status.is_none();
        let status = match status {
            Some(status) => status,
            None => {
                let _ = child.kill();
                child
                    .wait()
                    .map_err(Self::io_err(call, "wait for the killed tool"))?
            }
        };
        let elapsed = started.elapsed();

        if let (Some(log_file), false) = (&ldr_log, timed_out) {
            // With silent=all sqlldr reports its errors only in its log file.
            if let Ok(bytes) = fs::read(&log_file.0) {
                if !bytes.is_empty() {
                    if let Err(e) = self.append_log(&bytes, &sets) {
                        log_error.get_or_insert(e);
                    }
                    captured.extend_from_slice(&bytes);
                }
            }
        }
        drop(file);
        drop(ldr_log);

        let text = redact_all(&sets, &String::from_utf8_lossy(&captured));
        if timed_out {
            return Err(RunError::Timeout {
                tool,
                label: script.label.clone(),
                after: self.timeout.unwrap_or_default(),
                output: text,
            });
        }
        if !status.success() {
            return Err(RunError::failed(tool, &script.label, status, text));
        }
        if let Some(e) = log_error {
            return Err(Self::io_err(call, "write the run log")(e));
        }
        Ok(Output {
            text,
            status,
            elapsed,
        })
    }
}

/// One call seen by a [`RecordingRunner`]. `Debug` shows the text redacted.
#[derive(Clone)]
pub struct RecordedCall {
    /// The tool called.
    pub tool: Tool,
    /// The script's label.
    pub label: String,
    /// The script as given (not redacted).
    pub text: String,
    /// The command-line arguments, the sqlldr login masked, script files as `<script>`
    /// and the sqlldr log as `<log>`.
    pub args: Vec<String>,
    /// The secrets of the call.
    pub secrets: Vec<Secrets>,
}

impl fmt::Debug for RecordedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedCall")
            .field("tool", &self.tool)
            .field("label", &self.label)
            .field("text", &self.redacted_text())
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl RecordedCall {
    /// The text with every secret masked.
    pub fn redacted_text(&self) -> String {
        redact_all(&self.secrets, &self.text)
    }

    /// The call as shown by `--dry-run`: a header `----- rman: imagecopy -----` (with the
    /// arguments when there are any), then the script, secrets masked.
    pub fn dry_run_block(&self) -> String {
        let mut out = format!("----- {}: {}", self.tool, self.label);
        if !self.args.is_empty() {
            out.push_str(&format!(" ({} {})", self.tool, self.args.join(" ")));
        }
        out.push_str(" -----\n");
        let text = self.redacted_text();
        out.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
        out
    }
}

/// What a [`RecordingRunner`] answers for a label.
#[derive(Debug, Clone)]
struct Canned {
    code: i32,
    text: String,
}

/// Records every call instead of running it (for `--dry-run` and tests).
///
/// Answers each call with the output set for its label ([`RecordingRunner::set_output`]),
/// by default an empty success; a label told to fail ([`RecordingRunner::fail`]) gives
/// [`RunError::Failed`] with the errors parsed from the given output.
#[derive(Debug, Default)]
pub struct RecordingRunner {
    calls: Mutex<Vec<RecordedCall>>,
    canned: Mutex<HashMap<String, Canned>>,
}

impl RecordingRunner {
    /// A runner answering every call with an empty success.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers calls with `label` successfully with `output`.
    pub fn set_output(&self, label: impl Into<String>, output: impl Into<String>) {
        self.canned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                label.into(),
                Canned {
                    code: 0,
                    text: output.into(),
                },
            );
    }

    /// Makes calls with `label` fail with exit `code` (1 if 0 is given) and `output`.
    pub fn fail(&self, label: impl Into<String>, code: i32, output: impl Into<String>) {
        self.canned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                label.into(),
                Canned {
                    code: if code == 0 { 1 } else { code },
                    text: output.into(),
                },
            );
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every script in order, each under a header `----- rman: imagecopy -----` (with the
    /// arguments when there are any), secrets masked.
    pub fn dry_run_text(&self) -> String {
        self.calls()
            .iter()
            .map(RecordedCall::dry_run_block)
            .collect()
    }
}

impl Runner for RecordingRunner {
    fn run(&self, call: &Call<'_>) -> Result<Output, RunError> {
        call.check()?;
        let script = call.script();
        let sets = call.secret_sets();
        let mut args = call.args("<script>", "<log>");
        if let Call::Sqlldr { login, .. } = call {
            if let Some(first) = args.first_mut() {
                *first = mask_login(login);
            }
        }
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RecordedCall {
                tool: call.tool(),
                label: script.label.clone(),
                text: script.text.clone(),
                args,
                secrets: sets.clone(),
            });
        let canned = self
            .canned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&script.label)
            .cloned()
            .unwrap_or(Canned {
                code: 0,
                text: String::new(),
            });
        let text = redact_all(&sets, &canned.text);
        let status = ExitStatus::from_raw((canned.code & 0xff) << 8);
        if canned.code != 0 {
            return Err(RunError::failed(call.tool(), &script.label, status, text));
        }
        Ok(Output {
            text,
            status,
            elapsed: Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_password_and_mask() {
        assert_eq!(login_password("scott/tiger@cat"), Some("tiger"));
        assert_eq!(login_password("scott/ti@ger@cat"), Some("ti@ger"));
        assert_eq!(login_password("scott/tiger"), Some("tiger"));
        assert_eq!(login_password("scott@cat"), None);
        assert_eq!(login_password("/"), None);
        assert_eq!(mask_login("scott/tiger@cat"), "scott/********@cat");
        assert_eq!(mask_login("scott/tiger"), "scott/********");
        assert_eq!(mask_login("scott@cat"), "scott@cat");
    }

    #[test]
    fn env_vars_remove_sid_when_unset() {
        let env = OracleEnv::new("/u01/db");
        let vars = env.vars();
        assert!(vars.contains(&("ORACLE_SID", None)));
        assert!(!vars.iter().any(|(n, _)| *n == "TNS_ADMIN"));
        let env = env.with_sid("orcl").with_tns_admin("/tns");
        let vars = env.vars();
        assert!(vars.contains(&("ORACLE_SID", Some(OsString::from("orcl")))));
        assert!(vars.contains(&("TNS_ADMIN", Some(OsString::from("/tns")))));
    }
}

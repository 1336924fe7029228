//! `demo`: the whole incremental-forever backup cycle on this machine, narrated step by step.
//!
//! It builds a sandbox under `./demo-run/` (removed and made again on every run): an Oracle
//! database simulated by `oracle-sim` (real datafiles in Oracle's block format, `rman` and
//! `sqlplus` answering the backup's scripts), a `backup.cfg` with the local `reflink`
//! storage backend, and the backup area. Then it runs the real programs one step at a time,
//! printing each command line (`$ backup --config demo-run/backup.cfg orcl config`) and its
//! output: RMAN configuration, the first backup, merges after simulated workload, the
//! snapshot history, retention, a restore test (`autorestore`), and a block that rots inside
//! an image copy, which the merges do not notice and `dbfverify` and the restore test do,
//! while an older snapshot still holds a good copy.
//!
//! `autorestore` refuses root (the restore instance runs as the Oracle software owner): run
//! as root, the demo runs every program of the sandbox as the unprivileged user
//! `imagecopy-demo` (created when missing) through `runuser`, and `demo-run/` belongs to it.
//!
//! Started by `cargo run --release --bin demo`, it first builds the other programs with the
//! same cargo (env `CARGO`); started directly, it needs them beside its own executable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use autorestore::program::SANDBOX_ENV;
use backupcore::snap::snapshot_name;
use bins::verify_output::failure_reason;
use chrono::{Local, Utc};
use clap::Parser;
use datafile::{BlockContext, BlockFailure, FileHeader, FileKind, Overrides};

/// The simulated database.
const DB: &str = "orcl";
const DBID: &str = "1433672784";
const DATAFILES: u32 = 5;
/// The USERS tablespace's datafile in the simulated database (files 1-5: SYSTEM, SYSAUX,
/// UNDOTBS1, USERS, DATA).
const USERS_FNO: u32 = 4;
/// Blocks each simulated workload changes.
const WORKLOAD_BLOCKS: &str = "300";
/// The sandbox, relative to the current directory, and the file that says it is ours.
const RUN_DIR: &str = "demo-run";
const MARKER: &str = ".demo-run";
/// The bytes written into the body of the block that rots.
const ROT: &[u8; 16] = b"bit rot was here";
/// Environment variables that would change what the programs do; never passed on from the
/// demo's own environment (a command may set one itself: `AUTORESTORE_SAFE_SANDBOX=TRUE`).
const SCRUBBED_ENV: [&str; 4] = [
    "ORACLE_SIM_FAIL",
    "BACKUP_LOG_TO_SCREEN",
    "OSPASSWORD",
    SANDBOX_ENV,
];
/// The unprivileged user the programs run as when the demo runs as root.
const DEMO_USER: &str = "imagecopy-demo";
/// Indentation of the programs' output under their command line.
const INDENT: &str = "    ";

#[derive(Parser, Debug)]
#[command(
    name = "demo",
    about = "Runs the whole backup cycle in a sandbox under ./demo-run/ and explains each step",
    long_about = "Runs the whole backup cycle in a sandbox under ./demo-run/ (removed and \
made again on every run): a simulated Oracle database (oracle-sim), a backup.cfg with the \
local reflink storage, RMAN configuration, backups with a snapshot before every merge, \
snapshot retention, a restore test (autorestore), and a block that rots in an image copy, \
found by dbfverify and by the next restore test while an older snapshot is still good. Each \
command is printed with its output. Run as root, it runs every program of the sandbox as the \
unprivileged user imagecopy-demo (created when missing; autorestore refuses root).",
    after_help = "Started by `cargo run --release --bin demo`, it first builds the other programs \
(backup, zfssnapper, zvolume, dbfverify, autorestore, restore, oracle-sim) with that cargo; \
started directly, it needs them beside its own executable.\n\
A ./demo-run/ it did not make (no demo-run/.demo-run in it) is never removed.\n\
Exit codes: 0 the demo ran to the end; 1 a step failed (named on stderr)."
)]
struct Args {
    /// Size of each of the simulated database's five datafiles, in MiB (the tests use a
    /// small database to stay fast).
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    size_mib: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    match run(&args) {
        Ok(()) => {
            println!("\ndemo finished in {}", human_duration(started.elapsed()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("demo: {}", e.0.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Why the demo stopped: one line, naming the step.
#[derive(Debug)]
struct DemoError(String);

/// The programs the demo runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Cargo,
    OracleSim,
    Backup,
    Zfssnapper,
    Zvolume,
    Dbfverify,
    Autorestore,
    Restore,
    Report,
}

impl Tool {
    /// The programs that must be beside the demo's executable.
    const SIBLINGS: [Tool; 8] = [
        Tool::Backup,
        Tool::Zfssnapper,
        Tool::Zvolume,
        Tool::Dbfverify,
        Tool::Autorestore,
        Tool::Restore,
        Tool::Report,
        Tool::OracleSim,
    ];

    fn name(self) -> &'static str {
        match self {
            Tool::Cargo => "cargo",
            Tool::OracleSim => "oracle-sim",
            Tool::Backup => "backup",
            Tool::Zfssnapper => "zfssnapper",
            Tool::Zvolume => "zvolume",
            Tool::Dbfverify => "dbfverify",
            Tool::Autorestore => "autorestore",
            Tool::Restore => "restore",
            Tool::Report => "report",
        }
    }
}

/// Where the programs are.
struct Tools {
    /// The directory of the demo's executable (`target/release`).
    dir: PathBuf,
    /// Env `CARGO`, when started by `cargo run`.
    cargo: Option<PathBuf>,
}

impl Tools {
    fn path(&self, tool: Tool) -> PathBuf {
        match tool {
            Tool::Cargo => self.cargo.clone().unwrap_or_else(|| PathBuf::from("cargo")),
            other => self
                .dir
                .join(format!("{}{}", other.name(), std::env::consts::EXE_SUFFIX)),
        }
    }

    /// How a reader types the program: relative to the current directory when it is below it.
    fn typed(&self, tool: Tool) -> String {
        let path = self.path(tool);
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or(path);
        shown.display().to_string()
    }
}

/// Whether `cargo run` set environment variable `name` for the demo (describing the demo's
/// package), as opposed to the user's own cargo settings (`CARGO_HOME`, `CARGO_TARGET_DIR`,
/// ...).
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_RUSTC_CURRENT_DIR"
        )
}

/// The cargo command that builds the programs, in the demo's own profile.
fn build_args() -> Vec<&'static str> {
    let mut args = vec!["build"];
    if !cfg!(debug_assertions) {
        args.push("--release");
    }
    args.extend(["-q", "-p", "bins", "-p", "oracle-sim", "--bins"]);
    args
}

/// One command line: environment variables, a program and its arguments (paths relative to
/// the current directory, so the line printed is the line run).
struct Cmd {
    tool: Tool,
    args: Vec<String>,
    dir: Option<PathBuf>,
    /// Set in the program's environment, and shown before it (`VAR=value program ...`).
    env: Vec<(&'static str, &'static str)>,
}

impl Cmd {
    fn new(tool: Tool, args: &[&str]) -> Cmd {
        Cmd {
            tool,
            args: args.iter().map(|a| (*a).to_string()).collect(),
            dir: None,
            env: Vec::new(),
        }
    }

    /// `autorestore demo-run/backup.cfg args...` (its configuration is an argument).
    fn autorestore(args: &[&str]) -> Cmd {
        let config = format!("{RUN_DIR}/backup.cfg");
        let mut all = vec![config.as_str()];
        all.extend_from_slice(args);
        Cmd::new(Tool::Autorestore, &all)
    }

    fn with_env(mut self, var: &'static str, value: &'static str) -> Cmd {
        self.env.push((var, value));
        self
    }

    /// `tool --config demo-run/backup.cfg args...`.
    fn with_config(tool: Tool, args: &[&str]) -> Cmd {
        let config = format!("{RUN_DIR}/backup.cfg");
        let mut all = vec!["--config", config.as_str()];
        all.extend_from_slice(args);
        Cmd::new(tool, &all)
    }

    fn line(&self) -> String {
        let mut line: String = self.env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
        line.push_str(self.tool.name());
        for a in &self.args {
            line.push(' ');
            if a.is_empty() || a.contains(char::is_whitespace) {
                line.push_str(&format!("'{a}'"));
            } else {
                line.push_str(a);
            }
        }
        line
    }
}

/// The exit status a command must end with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Success,
    /// This exit code, and what it means.
    Exit(i32, &'static str),
}

/// Which lines of a command's output are shown (all are kept for the checks).
#[derive(Clone, Copy)]
enum Show {
    All,
    /// Lines the function accepts; the others are counted as `what`.
    Only(fn(&str) -> bool, &'static str),
}

impl Show {
    fn accepts(self, line: &str) -> bool {
        match self {
            Show::All => true,
            Show::Only(f, _) => f(line),
        }
    }
}

/// A finished command: its stdout and stderr lines, in the order they came.
struct Ran {
    text: String,
}

impl Ran {
    /// The value after `prefix` on the first line holding it (after the log line's time,
    /// level and database).
    fn value(&self, prefix: &str) -> Option<&str> {
        self.text
            .lines()
            .find_map(|l| l.find(prefix).and_then(|i| l.get(i + prefix.len()..)))
            .map(str::trim)
    }
}

/// Collects a child's output while printing it, indented, as it comes.
struct Sink {
    show: Show,
    state: Mutex<(String, usize)>,
}

impl Sink {
    fn pump(&self, from: impl Read) {
        let mut reader = BufReader::new(from);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&buf);
            let line = text.trim_end_matches(['\n', '\r']);
            let Ok(mut state) = self.state.lock() else {
                break;
            };
            state.0.push_str(line);
            state.0.push('\n');
            if !self.show.accepts(line) {
                state.1 += 1;
            } else if line.is_empty() {
                println!();
            } else {
                println!("{INDENT}{line}");
            }
        }
    }
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with {code}"),
        None => "was killed by a signal".to_string(),
    }
}

/// The demo: where it runs, which step it is at, what it has seen.
struct Demo {
    tools: Tools,
    /// `demo-run`, relative to the current directory (as printed).
    run_dir: PathBuf,
    /// The same, absolute (as written into the configuration).
    abs: PathBuf,
    /// The current step for error messages: `setup`, `step 3 (...)`.
    step: String,
    number: u32,
    /// Snapshots taken by the backups, oldest first, with the recovery point (database
    /// time) recorded just before each.
    snapshots: Vec<String>,
    recovery_points: Vec<String>,
    /// The newest snapshot taken before the block rotted, and its recovery point.
    good_snapshot: Option<(String, String)>,
    /// Whether the demo runs as root: the programs then run as [`DEMO_USER`].
    root: bool,
    /// That user, once it exists.
    user: Option<DemoUser>,
}

/// The unprivileged user the programs run as when the demo runs as root.
#[derive(Clone, Copy, Debug)]
struct DemoUser {
    uid: u32,
    gid: u32,
}

impl Demo {
    fn fail(&self, what: impl std::fmt::Display) -> DemoError {
        DemoError(format!("{}: {what}", self.step))
    }

    /// Starts the set-up (unnumbered) or the next numbered step, with its explanation.
    fn begin(&mut self, title: &str, explain: &[&str]) {
        if self.step.is_empty() {
            self.step = "setup".to_string();
            println!("== Setup: {title}");
        } else {
            self.number += 1;
            self.step = format!("step {} ({title})", self.number);
            println!("\n== Step {}: {title}", self.number);
        }
        for line in explain {
            println!("{line}");
        }
    }

    /// Runs `cmd`, printing its line and its output; an error naming the step if it does
    /// not end as `expect` says.
    fn run(&self, cmd: &Cmd, expect: Expect, show: Show) -> Result<Ran, DemoError> {
        println!("$ {}", cmd.line());
        let _ = io::stdout().flush();
        // As root, every program but cargo runs as the demo's user (the line printed stays
        // the program's: the reader runs it as that user).
        let mut command = if self.root && cmd.tool != Tool::Cargo {
            let mut c = Command::new("runuser");
            c.args(["-u", DEMO_USER, "--"])
                .arg(self.tools.path(cmd.tool));
            c
        } else {
            Command::new(self.tools.path(cmd.tool))
        };
        command
            .args(&cmd.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in SCRUBBED_ENV {
            command.env_remove(var);
        }
        if cmd.tool == Tool::Cargo {
            // Build scripts rerun when these change (ring's watches CARGO_PKG_NAME): left in,
            // every `cargo run --bin demo` and the build it starts would rebuild each other.
            for (var, _) in std::env::vars_os() {
                if var.to_str().is_some_and(set_by_cargo_run) {
                    command.env_remove(var);
                }
            }
        }
        for (var, value) in &cmd.env {
            command.env(var, value);
        }
        if let Some(dir) = &cmd.dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().map_err(|e| {
            let shown = if self.root && cmd.tool != Tool::Cargo {
                format!("runuser -u {DEMO_USER} -- {}", cmd.line())
            } else {
                cmd.line()
            };
            self.fail(format!("cannot start `{shown}`: {e}"))
        })?;
        let sink = Sink {
            show,
            state: Mutex::new((String::new(), 0)),
        };
        let (out, err) = (child.stdout.take(), child.stderr.take());
        std::thread::scope(|s| {
            if let Some(err) = err {
                s.spawn(|| sink.pump(err));
            }
            if let Some(out) = out {
                sink.pump(out);
            }
        });
        let status = child
            .wait()
            .map_err(|e| self.fail(format!("waiting for `{}`: {e}", cmd.line())))?;
        let (text, hidden) = sink.state.into_inner().unwrap_or_default();
        if let (Show::Only(_, what), 1..) = (show, hidden) {
            println!("{INDENT}({hidden} more lines not shown: {what})");
        }
        let ok = match expect {
            Expect::Success => status.success(),
            Expect::Exit(code, _) => status.code() == Some(code),
        };
        if !ok {
            let wanted = match expect {
                Expect::Success => "expected success".to_string(),
                Expect::Exit(code, meaning) => format!("expected exit {code} ({meaning})"),
            };
            return Err(self.fail(format!(
                "`{}` {}, {wanted} (its output is above)",
                cmd.line(),
                describe(status)
            )));
        }
        Ok(Ran { text })
    }

    fn config_path(&self) -> PathBuf {
        self.run_dir.join("backup.cfg")
    }

    fn area(&self) -> PathBuf {
        self.run_dir.join("backup").join(DB)
    }

    fn sim_root(&self) -> String {
        format!("{RUN_DIR}/sim/{DB}")
    }

    /// Writes `backup.cfg` with snapshots kept `expiration_days` days.
    fn write_config(&self, expiration_days: u32) -> Result<(), DemoError> {
        let user = if self.root {
            DEMO_USER.to_string()
        } else {
            current_user()
        };
        let text = config_text(&self.abs, &user, expiration_days);
        fs::write(self.config_path(), text)
            .map_err(|e| self.fail(format!("writing {}: {e}", self.config_path().display())))?;
        self.give(&self.config_path())
    }

    /// Makes a directory of the sandbox (with its parents), belonging to the demo's user.
    fn make_dir(&self, dir: &Path) -> Result<(), DemoError> {
        fs::create_dir_all(dir)
            .map_err(|e| self.fail(format!("creating {}: {e}", dir.display())))?;
        let mut made = dir;
        loop {
            self.give(made)?;
            match made.parent() {
                Some(p) if p.starts_with(&self.run_dir) => made = p,
                _ => return Ok(()),
            }
        }
    }

    /// As root, hands `path` to the demo's user (nothing otherwise).
    fn give(&self, path: &Path) -> Result<(), DemoError> {
        let Some(user) = self.user else {
            return Ok(());
        };
        std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(|e| {
            self.fail(format!(
                "handing {} to the user {DEMO_USER}: {e}",
                path.display()
            ))
        })
    }

    /// `oracle-sim workload`: the database changes blocks, as a day of work would.
    fn workload(&self, seed: &str) -> Result<(), DemoError> {
        let root = self.sim_root();
        let cmd = Cmd::new(
            Tool::OracleSim,
            &[
                "workload",
                "--root",
                &root,
                "--blocks",
                WORKLOAD_BLOCKS,
                "--seed",
                seed,
            ],
        );
        self.run(&cmd, Expect::Success, Show::All).map(|_| ())
    }

    /// `backup orcl imagecopywithsnap`; remembers the snapshot it took.
    fn backup_cycle(&mut self, show: Show) -> Result<Ran, DemoError> {
        // Snapshot names have whole seconds: never start a backup in the second of the last
        // snapshot (the next would have the same name).
        if let Some(last) = self.snapshots.last() {
            while snapshot_name(DB, Local::now()) <= *last {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let cmd = Cmd::with_config(Tool::Backup, &[DB, "imagecopywithsnap"]);
        let ran = self.run(&cmd, Expect::Success, show)?;
        if !ran.text.contains("Result: SUCCESS") {
            return Err(self.fail(format!(
                "`{}` exited with 0 but did not say Result: SUCCESS",
                cmd.line()
            )));
        }
        let (Some(name), Some(point)) = (
            ran.value("Snapshot created:"),
            ran.value("Recovery point: ")
                .and_then(|p| p.split_once(" at "))
                .map(|(_, time)| time.trim()),
        ) else {
            return Err(self.fail(format!(
                "`{}` named no snapshot created or no recovery point",
                cmd.line()
            )));
        };
        self.snapshots.push(name.to_string());
        self.recovery_points.push(point.to_string());
        Ok(ran)
    }
}

fn run(args: &Args) -> Result<(), DemoError> {
    let exe = std::env::current_exe()
        .map_err(|e| DemoError(format!("cannot find the demo's own executable: {e}")))?;
    let dir = exe
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| DemoError(format!("{}: no parent directory", exe.display())))?;
    let mut demo = Demo {
        tools: Tools {
            dir,
            cargo: std::env::var_os("CARGO").map(PathBuf::from),
        },
        run_dir: PathBuf::from(RUN_DIR),
        abs: PathBuf::new(),
        step: String::new(),
        number: 0,
        snapshots: Vec::new(),
        recovery_points: Vec::new(),
        good_snapshot: None,
        root: rustix::process::geteuid().is_root(),
        user: None,
    };
    setup(&mut demo, args.size_mib)?;
    configure(&mut demo)?;
    first_backup(&mut demo)?;
    merges(&mut demo)?;
    list(&mut demo)?;
    retention(&mut demo)?;
    restore_test(&mut demo)?;
    corruption(&mut demo)?;
    fleet_report(&mut demo)?;
    explore(&mut demo);
    Ok(())
}

/// Builds the programs (under `cargo run`), resets `demo-run/`, makes the simulated
/// database, the configuration and the backup area.
fn setup(demo: &mut Demo, size_mib: u64) -> Result<(), DemoError> {
    demo.begin(
        &format!("a sandbox in {RUN_DIR}/"),
        &[
            "Everything happens in ./demo-run/: a simulated Oracle database, its backup area,",
            "the snapshots. Nothing outside it is touched.",
        ],
    );
    if demo.root {
        println!(
            "Run as root: every program of the sandbox runs as the unprivileged user \
             {DEMO_USER} (runuser -u {DEMO_USER} -- <program>), as autorestore refuses root."
        );
    }
    if demo.tools.cargo.is_some() {
        println!("The programs the demo runs, built with the cargo that started it:");
        let mut cmd = Cmd::new(Tool::Cargo, &build_args());
        // From the package's directory, so cargo finds the workspace wherever we are.
        cmd.dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))))
            .filter(|d| d.join("Cargo.toml").is_file());
        demo.run(&cmd, Expect::Success, Show::All)?;
    }
    for tool in Tool::SIBLINGS {
        let path = demo.tools.path(tool);
        if !path.is_file() {
            return Err(demo.fail(format!(
                "{} is missing (looked for {}); build it with: cargo {}",
                tool.name(),
                path.display(),
                build_args()
                    .into_iter()
                    .filter(|a| *a != "-q")
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
    }
    reset(demo)?;

    println!();
    println!("An Oracle database, simulated: real datafiles in Oracle's block format, and rman");
    println!("and sqlplus programs that run the backup's scripts against them.");
    let size = size_mib.to_string();
    let datafiles = DATAFILES.to_string();
    let root = demo.sim_root();
    let cmd = Cmd::new(
        Tool::OracleSim,
        &[
            "init",
            "--root",
            &root,
            "--db",
            DB,
            "--dbid",
            DBID,
            "--datafiles",
            &datafiles,
            "--size-mib",
            &size,
        ],
    );
    demo.run(&cmd, Expect::Success, Show::All)?;

    println!();
    println!("The configuration, in the original tool's format. storage: reflink keeps snapshots");
    println!("as reflink copies in demo-run/snapshots (full copies where the filesystem cannot");
    println!("reflink, as on ext4). Paths are absolute: the scheduler may run it from anywhere.");
    println!("[autorestore] is for the restore tests: where their instance's files and logs go");
    println!("(demo-run/restore, made now) and the catalog of their results (SQLite).");
    for sub in ["dest", "log"] {
        demo.make_dir(&demo.run_dir.join("restore").join(sub))?;
    }
    demo.write_config(7)?;
    let path = demo.config_path();
    println!("Wrote {}:", path.display());
    let text = fs::read_to_string(&path)
        .map_err(|e| demo.fail(format!("reading {}: {e}", path.display())))?;
    for line in text.lines() {
        println!("{INDENT}{line}");
    }

    println!();
    println!("The database's backup area (the filesystem that is snapshotted):");
    demo.run(
        &Cmd::with_config(Tool::Zvolume, &[DB, "create"]),
        Expect::Success,
        Show::All,
    )?;
    Ok(())
}

/// Removes the previous run's `demo-run/` (only if it is ours) and makes it again.
fn reset(demo: &mut Demo) -> Result<(), DemoError> {
    let dir = demo.run_dir.clone();
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(demo.fail(format!("looking at ./{RUN_DIR}: {e}"))),
        Ok(meta) => {
            if !meta.is_dir() || !dir.join(MARKER).is_file() {
                return Err(demo.fail(format!(
                    "./{RUN_DIR} exists but was not made by this demo \
                     (no {RUN_DIR}/{MARKER} in it); move it away or remove it yourself"
                )));
            }
            // Snapshots are read-only, and immutable where the backend may make them so.
            println!("Removing the previous run's ./{RUN_DIR}/");
            snapper_local::remove_tree(&dir)
                .map_err(|e| demo.fail(format!("removing ./{RUN_DIR}: {e}")))?;
        }
    }
    if demo.root {
        demo.user = Some(demo_user().map_err(|e| demo.fail(e))?);
    }
    fs::create_dir_all(&dir)
        .and_then(|()| {
            fs::write(
                dir.join(MARKER),
                "Made by the backup toolset's demo; removed by its next run.\n",
            )
        })
        .map_err(|e| demo.fail(format!("creating ./{RUN_DIR}: {e}")))?;
    demo.give(&dir)?;
    demo.give(&dir.join(MARKER))?;
    demo.abs =
        fs::canonicalize(&dir).map_err(|e| demo.fail(format!("resolving ./{RUN_DIR}: {e}")))?;
    if demo.root {
        check_access(demo)?;
    }
    Ok(())
}

/// The demo's user, created when missing (with one line saying so).
fn demo_user() -> Result<DemoUser, String> {
    if let Some(user) = lookup_user() {
        println!("The user {DEMO_USER} exists already (remove it with: userdel {DEMO_USER})");
        return Ok(user);
    }
    let out = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            DEMO_USER,
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start useradd to create the user {DEMO_USER}: {e}"))?;
    // Another demo may have created it meanwhile: what counts is that it exists now.
    match lookup_user() {
        Some(user) => {
            if out.status.success() {
                println!(
                    "Created the user {DEMO_USER} (useradd --system --no-create-home --shell \
                     /usr/sbin/nologin {DEMO_USER}); remove it with: userdel {DEMO_USER}"
                );
            }
            Ok(user)
        }
        None => Err(format!(
            "useradd could not create the user {DEMO_USER} ({}): {}",
            describe(out.status),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The uid and gid of [`DEMO_USER`], if it exists.
fn lookup_user() -> Option<DemoUser> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id")
            .args([flag, DEMO_USER])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some(DemoUser {
        uid: id("-u")?,
        gid: id("-g")?,
    })
}

/// As root: whether the demo's user can work in `demo-run/` (every directory above it open
/// to other users) and run the programs; one line saying what to do when not.
fn check_access(demo: &Demo) -> Result<(), DemoError> {
    let can = |test: &str, path: &Path| -> Result<bool, DemoError> {
        Command::new("runuser")
            .args(["-u", DEMO_USER, "--", "test", test])
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .map_err(|e| demo.fail(format!("cannot start runuser: {e}")))
    };
    // The absolute path, as the configuration has it (a relative one would start from the
    // current directory without looking at the directories above it).
    if !can("-w", &demo.abs)? {
        let cwd = demo.abs.parent().unwrap_or(&demo.abs).display().to_string();
        return Err(demo.fail(format!(
            "the user {DEMO_USER} cannot reach {cwd} (a directory on the way is closed to \
             other users, e.g. a 0700 home): run the demo from a directory like /tmp"
        )));
    }
    let program = demo.tools.path(Tool::Backup);
    if !can("-x", &program)? {
        return Err(demo.fail(format!(
            "the user {DEMO_USER} cannot run {} (a directory on the way is closed to other \
             users, e.g. a 0700 home): build where others can read it, e.g. with \
             CARGO_TARGET_DIR=/tmp/imagecopy-target",
            program.display()
        )));
    }
    Ok(())
}

fn configure(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "configure RMAN for image copies",
        &[
            "Once per database: RMAN settings, an archivelog destination inside the backup area,",
            "block change tracking (so merges read only the changed blocks).",
        ],
    );
    demo.run(
        &Cmd::with_config(Tool::Backup, &[DB, "config"]),
        Expect::Success,
        Show::All,
    )?;
    Ok(())
}

/// The lines of a backup run that matter once its full output has been seen.
fn summary_lines(line: &str) -> bool {
    const KEEP: [&str; 11] = [
        "Log file for this session",
        "WARNING",
        "ERROR",
        "Result:",
        "Step:  4 ",
        "Step:  6 ",
        "Recovery point:",
        "Snapshot created:",
        "Snapshots dropped:",
        "Datafile copies:",
        "Total execution time:",
    ];
    KEEP.iter().any(|k| line.contains(k))
}

/// How the backups after the first are shown.
const BACKUP_SUMMARY: Show = Show::Only(summary_lines, "the other steps; all are in the log file");

fn first_backup(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "the first backup creates the image copies",
        &[
            "imagecopywithsnap is the command you schedule. The first run finds no copies and",
            "makes a full image copy of every datafile in the backup area.",
        ],
    );
    demo.backup_cycle(Show::All)?;
    Ok(())
}

fn merges(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "the database changes; each backup takes a snapshot, then merges",
        &[
            "Each run snapshots the backup area first (the previous good copies stay in the",
            "snapshot), then merges the changed blocks into the copies: incremental forever.",
        ],
    );
    for seed in ["1", "2"] {
        println!();
        println!(
            "A day of work on the database ({WORKLOAD_BLOCKS} blocks change), \
             then the nightly backup:"
        );
        demo.workload(seed)?;
        demo.backup_cycle(BACKUP_SUMMARY)?;
    }
    Ok(())
}

fn list(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "the snapshot history",
        &[
            "One snapshot per backup, oldest first: each holds the copies as they were before",
            "that run's merge, and the recovery point (autorestore.cfg) they can be recovered to.",
            "The first one is of the empty area: the first backup had no copies to protect.",
        ],
    );
    demo.run(
        &Cmd::with_config(Tool::Zfssnapper, &[DB, "list"]),
        Expect::Success,
        Show::All,
    )?;
    Ok(())
}

fn retention(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "retention: what clean drops",
        &[
            "snapexpirationdays: 7 keeps a week of snapshots; the newest is never dropped.",
            "--dry-run --at shows what the policy will have dropped 40 days from now:",
        ],
    );
    let at = (Utc::now() + chrono::Duration::days(40))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ran = demo.run(
        &Cmd::with_config(
            Tool::Zfssnapper,
            &[DB, "clean", "--dry-run", "--at", at.as_str()],
        ),
        Expect::Success,
        Show::All,
    )?;
    if !ran.text.contains("would drop") {
        return Err(demo.fail("clean --dry-run --at planned to drop nothing"));
    }

    println!();
    println!("Now for real, with a short retention: the configuration gets snapexpirationdays: 0,");
    println!("so only the newest snapshot (and any with a clone) is kept.");
    demo.write_config(0)?;
    println!(
        "Rewrote {}: snapexpirationdays: 0",
        demo.config_path().display()
    );
    let ran = demo.run(
        &Cmd::with_config(Tool::Zfssnapper, &[DB, "clean"]),
        Expect::Success,
        Show::All,
    )?;
    if !ran.text.lines().any(|l| l.trim_end().ends_with("dropped")) {
        return Err(demo.fail("clean dropped no snapshot"));
    }
    demo.run(
        &Cmd::with_config(Tool::Zfssnapper, &[DB, "list"]),
        Expect::Success,
        Show::All,
    )?;
    demo.write_config(7)?;
    println!(
        "Rewrote {}: snapexpirationdays: 7 again (history matters in the next step)",
        demo.config_path().display()
    );
    Ok(())
}

/// The lines of a restore test that tell the story: the steps, the result and why it
/// failed.
fn restore_lines(line: &str) -> bool {
    const KEEP: [&str; 5] = [
        "Log file for this session",
        "WARNING",
        "Step: ",
        "Result recorded in catalog",
        "Database: ",
    ];
    KEEP.iter().any(|k| line.contains(k)) || line.starts_with("autorestore: ")
}

/// How restore tests are shown.
const RESTORE_SUMMARY: Show = Show::Only(restore_lines, "progress and details; see the log file");

/// `AUTORESTORE_SAFE_SANDBOX=TRUE autorestore demo-run/backup.cfg orcl`.
fn autorestore_run() -> Cmd {
    Cmd::autorestore(&[DB]).with_env(SANDBOX_ENV, "TRUE")
}

fn restore_test(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "a restore test",
        &[
            "A backup is proven only by restoring it. autorestore, scheduled on a sandbox host,",
            "clones the newest snapshot, starts an instance from the copies in the clone,",
            "recovers it to the time the backup recorded, opens it read only, checks the time it",
            "reached, then shuts it down and drops the clone. A catalog keeps every result.",
            "The catalog, once:",
        ],
    );
    let ran = demo.run(
        &Cmd::autorestore(&["--createcatalog"]),
        Expect::Success,
        Show::All,
    )?;
    if !ran.text.contains("schema version") {
        return Err(demo.fail("autorestore --createcatalog named no schema version"));
    }
    println!();
    println!("The restore test. It asks to be told the host is a sandbox (the restore could");
    println!("overwrite a production database's control files otherwise):");
    let cmd = autorestore_run();
    let ran = demo.run(&cmd, Expect::Success, RESTORE_SUMMARY)?;
    let success = format!("Database: {DB} SUCCESS");
    if !ran.text.contains(&success) {
        return Err(demo.fail(format!(
            "`{}` exited with 0 but did not say {success}",
            cmd.line()
        )));
    }
    println!();
    println!("Monitoring reads the catalog: a Nagios probe (OK, exit 0). Then the day on which");
    println!("each database's blocks are also validated with RMAN (autorestoremodulus: 7):");
    let ran = demo.run(&Cmd::autorestore(&["--check"]), Expect::Success, Show::All)?;
    if !ran.text.starts_with("OK") {
        return Err(demo.fail("autorestore --check did not say OK"));
    }
    demo.run(
        &Cmd::autorestore(&["--listvalidationdates"]),
        Expect::Success,
        Show::All,
    )?;
    Ok(())
}

/// dbfverify's report without the skipped files and the per-file counts.
fn verify_lines(line: &str) -> bool {
    let l = line.trim_start();
    !(l.starts_with("Skipped ") || (line.starts_with("  ") && !is_verdict_line(l)))
}

fn is_verdict_line(l: &str) -> bool {
    l.starts_with("block ")
        || l.starts_with("Result")
        || l.starts_with("header:")
        || l.starts_with("truncated:")
        || l.starts_with("...")
}

fn corruption(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "a block rots in the image copy",
        &[
            "The seed blog's trap: a merge only rewrites the blocks the database changed, so a",
            "block that rots in the copy stays rotten, every backup says SUCCESS, and the",
            "corruption shows only at restore (ORA-19566). The snapshots are the way back.",
        ],
    );
    let (good, point) = demo
        .snapshots
        .last()
        .cloned()
        .zip(demo.recovery_points.last().cloned())
        .ok_or_else(|| demo.fail("no snapshot was taken before"))?;
    demo.good_snapshot = Some((good.clone(), point));
    println!();
    println!("The database works on:");
    demo.workload("3")?;

    let copy = users_copy(demo)?;
    let live = demo
        .run_dir
        .join("sim")
        .join(DB)
        .join("oradata")
        .join(DB.to_ascii_uppercase())
        .join("users01.dbf");
    let (block, verdict) = rot_block(&copy, &live, 100)
        .map_err(|e| demo.fail(format!("damaging {}: {e}", copy.display())))?;
    println!();
    println!("Meanwhile on the backup storage, 16 bytes in the body of block {block} of the USERS");
    println!("image copy change (the demo writes them). The database has not changed that block");
    println!("since the last backup, so no merge will rewrite it:");
    println!("{INDENT}{}", copy.display());
    println!("{INDENT}block {block}: {verdict}");

    println!();
    println!("The next backup: the merge does not read that block, and all is SUCCESS:");
    demo.backup_cycle(BACKUP_SUMMARY)?;

    println!();
    println!("dbfverify reads every block of the copies, as DBVERIFY does, and finds it (exit 1):");
    let area = demo.area().display().to_string();
    let ran = demo.run(
        &Cmd::new(Tool::Dbfverify, &[&area]),
        Expect::Exit(1, "corruption found"),
        Show::Only(verify_lines, "skipped files, per-file counts"),
    )?;
    let named = format!("block {block}: ");
    if !ran.text.lines().any(|l| l.trim_start().starts_with(&named)) {
        return Err(demo.fail(format!("dbfverify did not name block {block}")));
    }

    println!();
    println!("The next restore test catches it too: the newest snapshot carries the rotten block,");
    println!("and the block check of the clone fails before an instance starts (exit 1):");
    let cmd = autorestore_run();
    let ran = demo.run(
        &cmd,
        Expect::Exit(1, "the restore test failed"),
        RESTORE_SUMMARY,
    )?;
    let failed = format!("Database: {DB} FAILED");
    if !ran.text.contains(&failed) {
        return Err(demo.fail(format!("`{}` did not say {failed}", cmd.line())));
    }
    let named = format!(" block {block}: ");
    if !ran
        .text
        .lines()
        .any(|l| l.starts_with("autorestore: ") && l.contains(&named))
    {
        return Err(demo.fail(format!("`{}` did not name block {block}", cmd.line())));
    }
    println!();
    println!("The catalog now holds a failed test: the probe says CRITICAL (exit 2).");
    let ran = demo.run(
        &Cmd::autorestore(&["--check"]),
        Expect::Exit(2, "CRITICAL"),
        Show::All,
    )?;
    if !ran.text.starts_with("CRITICAL") {
        return Err(demo.fail("autorestore --check did not say CRITICAL"));
    }

    println!();
    println!("The way back is the older snapshot, verified clean: restore from it (or clone it)");
    println!("and recover forward with the archivelogs in the backup area.");
    demo.run(
        &Cmd::with_config(Tool::Backup, &[DB, "verify", "--snapshot", good.as_str()]),
        Expect::Success,
        Show::Only(verify_lines, "skipped files, per-file counts"),
    )?;
    println!();
    println!("Every snapshot taken since the block rotted carries it: verify after each backup");
    println!("(backup {DB} verify), before retention drops the last good snapshot.");
    Ok(())
}

/// The fleet report: one look at jobs, snapshots, the recovery window, restore tests and the
/// last run; the failed restore test makes the database FAILED.
fn fleet_report(demo: &mut Demo) -> Result<(), DemoError> {
    demo.begin(
        "the fleet report",
        &[
            "One look at every database of the configuration (here one): its status, the",
            "snapshots and the real recovery window (the recovery points recorded in them),",
            "the restore tests from the catalog and the last backup run. The scheduler jobs are",
            "not set up in the demo (backup <db> setschedule does that).",
        ],
    );
    let ran = demo.run(
        &Cmd::with_config(Tool::Report, &[]),
        Expect::Success,
        Show::All,
    )?;
    if !ran.text.contains("  Status: FAILED: latest restore test") {
        return Err(demo.fail("report did not say the restore test failed"));
    }
    if !ran.text.contains("  Recovery window: ") {
        return Err(demo.fail("report did not show the recovery window"));
    }
    println!();
    println!("The same as one HTML page (no network assets; open it in a browser), and for");
    println!("Prometheus (node_exporter's textfile collector):");
    let page = format!("{RUN_DIR}/report.html");
    demo.run(
        &Cmd::with_config(
            Tool::Report,
            &["--format", "html", "--output", page.as_str()],
        ),
        Expect::Success,
        Show::All,
    )?;
    let prom = format!("{RUN_DIR}/imagecopy.prom");
    demo.run(
        &Cmd::with_config(
            Tool::Report,
            &["--format", "prometheus", "--output", prom.as_str()],
        ),
        Expect::Success,
        Show::All,
    )?;
    let text = std::fs::read_to_string(&prom)
        .map_err(|e| demo.fail(format!("cannot read {prom}: {e}")))?;
    for line in text.lines().filter(|l| l.starts_with("imagecopy_status")) {
        println!("{INDENT}{line}");
    }
    Ok(())
}

/// The image copy of the USERS datafile in the backup area.
fn users_copy(demo: &Demo) -> Result<PathBuf, DemoError> {
    let area = demo.area();
    let tag = format!("_FNO-{USERS_FNO}_");
    let entries =
        fs::read_dir(&area).map_err(|e| demo.fail(format!("reading {}: {e}", area.display())))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("data_D-") && n.contains(&tag))
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(demo.fail(format!(
            "no image copy of datafile {USERS_FNO} in {}",
            area.display()
        ))),
        more => Err(demo.fail(format!(
            "{} image copies of datafile {USERS_FNO} in {}",
            more.len(),
            area.display()
        ))),
    }
}

fn read_block(file: &mut File, block: u64, block_size: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; usize::try_from(block_size).unwrap_or(8192)];
    file.seek(SeekFrom::Start(block * block_size))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// Overwrites 16 bytes in the middle of a block of the image copy `copy`: block `preferred`
/// or the next one (wrapping) that is formatted, sound, and the same in the live datafile
/// `live` (the next merge leaves it alone). Returns the block and what the block check now
/// says about it, as dbfverify words it.
fn rot_block(copy: &Path, live: &Path, preferred: u64) -> io::Result<(u64, String)> {
    let header = read_header(copy)?;
    let bs = u64::from(header.block_size);
    let blocks = fs::metadata(copy)?.len() / bs;
    let ctx = BlockContext::for_header(&header);
    let mut copy_file = OpenOptions::new().read(true).write(true).open(copy)?;
    let mut live_file = File::open(live)?;
    let start = if preferred + 2 < blocks {
        preferred
    } else {
        blocks / 2
    };
    let middle = usize::try_from(bs / 2).unwrap_or(0);
    for block in (start..blocks).chain(2..start) {
        let old = read_block(&mut copy_file, block, bs)?;
        if !datafile::check_block(&old, block, &ctx).is_ok()
            || read_block(&mut live_file, block, bs)? != old
        {
            continue;
        }
        let mut new = old.clone();
        if let Some(bytes) = new.get_mut(middle..middle + ROT.len()) {
            bytes.copy_from_slice(ROT);
        }
        let verdict = datafile::check_block(&new, block, &ctx);
        if !verdict.is_failure() {
            continue;
        }
        copy_file.seek(SeekFrom::Start(block * bs + bs / 2))?;
        copy_file.write_all(ROT)?;
        copy_file.sync_data()?;
        let reason = failure_reason(&BlockFailure { block, verdict }, &header);
        return Ok((block, reason));
    }
    Err(io::Error::other(
        "no formatted block the workload left alone",
    ))
}

fn read_header(path: &Path) -> io::Result<FileHeader> {
    let mut start = Vec::new();
    File::open(path)?
        .take(datafile::IDENTIFY_BYTES as u64)
        .read_to_end(&mut start)?;
    match datafile::identify(&start, &Overrides::default()) {
        FileKind::Datafile(h) => Ok(h),
        FileKind::NotDatafile { reason } => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a datafile: {reason}"),
        )),
    }
}

fn explore(demo: &mut Demo) {
    demo.begin(
        "explore further",
        &[
            "The sandbox stays until the next run of the demo. restore starts a copy of the",
            "database as it was at a given time, from the oldest snapshot taken at or after it,",
            "and leaves it open (it prints how to clean up). Try:",
        ],
    );
    if demo.root {
        println!(
            "(as the user {DEMO_USER}, whose files these are; autorestore and restore refuse root)"
        );
    }
    let cfg = demo.config_path().display().to_string();
    let (good, point) = demo.good_snapshot.clone().unwrap_or_else(|| {
        (
            "<snapshot>".to_string(),
            "<YYYY-MM-DD HH:MM:SS>".to_string(),
        )
    });
    // As root, the programs are run as the demo's user (runuser keeps the environment).
    let t = |tool| {
        if demo.root {
            format!("runuser -u {DEMO_USER} -- {}", demo.tools.typed(tool))
        } else {
            demo.tools.typed(tool)
        }
    };
    let lines = [
        format!("{} --config {cfg} {DB} list", t(Tool::Zfssnapper)),
        format!("{} --config {cfg} {DB} clone {good}", t(Tool::Zfssnapper)),
        format!("{} --config {cfg} {DB} listclones", t(Tool::Zfssnapper)),
        format!("{} --config {cfg} {DB} checkage", t(Tool::Zfssnapper)),
        format!(
            "{} --config {cfg} {DB} verify --snapshot {good}",
            t(Tool::Backup)
        ),
        format!("{} {}", t(Tool::Dbfverify), demo.area().display()),
        format!("ls {RUN_DIR}/snapshots/{DB}"),
        format!("ls {}/backup_logs", demo.area().display()),
        format!(
            "{} workload --root {} --blocks 100 --seed 9",
            t(Tool::OracleSim),
            demo.sim_root()
        ),
        format!("{} --config {cfg} {DB} imagecopywithsnap", t(Tool::Backup)),
        format!("{} --config {cfg} --format json", t(Tool::Report)),
        format!("{} {cfg} --check", t(Tool::Autorestore)),
        format!("{} {cfg} --listvalidationdates", t(Tool::Autorestore)),
        format!("{SANDBOX_ENV}=TRUE {} {cfg} {DB}", t(Tool::Autorestore)),
        format!(
            "{} {cfg} {DB} --target-time '{point}' --sid r{DB} --yes",
            t(Tool::Restore)
        ),
    ];
    for line in lines {
        println!("{INDENT}{line}");
    }
}

/// The demo's `backup.cfg` (the reflink backend, the simulated database).
fn config_text(abs: &Path, user: &str, expiration_days: u32) -> String {
    // `%` is the INI interpolation character.
    let a = abs.display().to_string().replace('%', "%%");
    format!(
        "# Written by the demo (cargo run --release --bin demo); rewritten by its next run.\n\
         [generic]\n\
         backupdest: {a}/backup\n\
         storage: reflink\n\
         osuser: {user}\n\
         logretention: 30\n\
         maxlockwait: 5\n\
         [reflink]\n\
         snapshotdir: {a}/snapshots\n\
         clonedir: {a}/clones\n\
         [rman]\n\
         sectionsize:\n\
         [autorestore]\n\
         autorestoredestination: {a}/restore/dest\n\
         autorestorelogdir: {a}/restore/log\n\
         autorestorecatalog: sqlite:{a}/restore/catalog.db\n\
         autorestoremodulus: 7\n\
         [{DB}]\n\
         dbid: {DBID}\n\
         recoverywindow: 2\n\
         parallel: 2\n\
         snapexpirationdays: {expiration_days}\n\
         snapexpirationmonths: 0\n\
         gimanaged: false\n\
         genericoraclehome: {a}/sim/{DB}/oracle_home\n\
         generictnsadmin: {a}/sim/{DB}/tns\n"
    )
}

/// The user running the demo (env `USER`, `LOGNAME`, else `id -un`).
fn current_user() -> String {
    let from_env = ["USER", "LOGNAME"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty());
    from_env
        .or_else(|| {
            Command::new("id")
                .arg("-un")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|u| !u.is_empty())
        })
        .unwrap_or_else(|| "oracle".to_string())
}

/// `1m12s`, or `48.3s` under a minute.
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

//! `exec_all <action> [exclude,list] [--parallel N] [--fail-fast]`: runs `backup <db>
//! <action>` for every database of the configuration, as the original `exec_all.py` did,
//! going on after a failure and ending with a summary.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use backupjob::{hms, Action};
use bins::{exit_with, load_config, CliError};
use clap::Parser;

const PROGRAM: &str = "exec_all";

#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    about = "Runs `backup <db> <action>` for every database in the configuration",
    after_help = "Databases run one after another unless --parallel N; each database's output is \
                  printed together under `--- DATABASE: <db> ---`. A failure does not stop the \
                  others unless --fail-fast.\n\nExit codes: 0 all succeeded, 1 some failed (listed \
                  on stderr), 2 usage or configuration error."
)]
struct Args {
    /// Configuration file (default: env BACKUPCONFIG, else ./backup.cfg).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run at most N databases at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    parallel: usize,
    /// Start no further database after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// Pass --dry-run to every backup run.
    #[arg(long)]
    dry_run: bool,
    /// The backup action (config, imagecopywithsnap, ...).
    action: String,
    /// Databases to skip, comma separated.
    exclude: Option<String>,
}

/// How one database's run ended.
#[derive(Debug, Clone)]
enum DbOutcome {
    Done { status: ExitStatus, took: Duration },
    NotStarted { why: String },
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => exit_with(PROGRAM, e),
    }
}

fn backup_exe() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("backup")))
        .unwrap_or_else(|| PathBuf::from("backup"))
}

fn run(args: &Args) -> Result<i32, CliError> {
    let action: Action = args.action.parse().map_err(CliError::new)?;
    if args.parallel == 0 {
        return Err(CliError::new("--parallel must be at least 1"));
    }
    let cfg = load_config(args.config.as_deref())?;
    let all: Vec<String> = cfg.databases().into_iter().map(String::from).collect();
    let excluded: Vec<String> = args
        .exclude
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    // A misspelt exclusion would back up a database the user meant to skip: refuse.
    if let Some(unknown) = excluded.iter().find(|x| !all.contains(x)) {
        return Err(CliError::new(format!(
            "exclude list names {unknown}, which is not a database section of {} (databases: {})",
            cfg.path().display(),
            all.join(", ")
        )));
    }
    let dbs: Vec<String> = all.into_iter().filter(|d| !excluded.contains(d)).collect();
    let config_path =
        std::fs::canonicalize(cfg.path()).unwrap_or_else(|_| cfg.path().to_path_buf());
    let exe = backup_exe();
    let runner = DbRunner {
        exe: &exe,
        config: &config_path,
        action,
        dry_run: args.dry_run,
    };

    let results = if args.parallel == 1 {
        serial(&runner, &dbs, args.fail_fast)
    } else {
        parallel(&runner, &dbs, args.parallel, args.fail_fast)
    };

    let failed: Vec<&str> = dbs
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, DbOutcome::Done { status, .. } if !status.success()))
        .map(|(d, _)| d.as_str())
        .collect();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "------------ EXEC_ALL SUMMARY ------------");
    let _ = writeln!(out, "Action: {action}");
    for (db, r) in dbs.iter().zip(&results) {
        let line = match r {
            DbOutcome::Done { status, took } if status.success() => {
                format!("{db:<20} SUCCESS   {}", hms(*took))
            }
            DbOutcome::Done { status, took } => format!(
                "{db:<20} FAILED    {}  ({})",
                hms(*took),
                match status.code() {
                    Some(c) => format!("exit {c}"),
                    None => "killed by a signal".to_string(),
                }
            ),
            DbOutcome::NotStarted { why } => format!("{db:<20} NOT RUN   ({why})"),
        };
        let _ = writeln!(out, "Database: {line}");
    }
    let _ = writeln!(
        out,
        "Databases: {} succeeded, {} failed, {} not run",
        results
            .iter()
            .filter(|r| matches!(r, DbOutcome::Done { status, .. } if status.success()))
            .count(),
        failed.len(),
        results
            .iter()
            .filter(|r| matches!(r, DbOutcome::NotStarted { .. }))
            .count()
    );
    let _ = out.flush();
    if failed.is_empty() {
        Ok(0)
    } else {
        Err(CliError {
            message: format!("{action} failed for: {}", failed.join(", ")),
            code: 1,
        })
    }
}

struct DbRunner<'a> {
    exe: &'a Path,
    config: &'a Path,
    action: Action,
    dry_run: bool,
}

impl DbRunner<'_> {
    fn command(&self, db: &str) -> Command {
        let mut cmd = Command::new(self.exe);
        cmd.arg("--config").arg(self.config);
        if self.dry_run {
            cmd.arg("--dry-run");
        }
        cmd.arg(db).arg(self.action.name()).stdin(Stdio::null());
        cmd
    }

    fn spawn_failed(&self, db: &str, e: &std::io::Error) -> String {
        format!(
            "{PROGRAM}: {db}: cannot start {}: {e}\n",
            self.exe.display()
        )
    }
}

/// One database after the other, output passed straight through.
fn serial(runner: &DbRunner<'_>, dbs: &[String], fail_fast: bool) -> Vec<DbOutcome> {
    let mut results = Vec::new();
    let mut stop: Option<String> = None;
    for db in dbs {
        if let Some(first) = &stop {
            results.push(DbOutcome::NotStarted {
                why: format!("--fail-fast after {first} failed"),
            });
            continue;
        }
        println!("--- DATABASE: {db} ---");
        let _ = std::io::stdout().flush();
        let started = Instant::now();
        let status = runner.command(db).status().unwrap_or_else(|e| {
            eprint!("{}", runner.spawn_failed(db, &e));
            failed_status()
        });
        if !status.success() && fail_fast {
            stop = Some(db.clone());
        }
        results.push(DbOutcome::Done {
            status,
            took: started.elapsed(),
        });
    }
    results
}

/// The exit status of a program that could not be started (exit 127, as a shell reports).
fn failed_status() -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus::from_raw(127 << 8)
}

/// At most `n` databases at once; each database's output (stdout and stderr, in arrival
/// order) is printed in one piece when it finishes.
fn parallel(runner: &DbRunner<'_>, dbs: &[String], n: usize, fail_fast: bool) -> Vec<DbOutcome> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<DbOutcome>>> = Mutex::new(vec![None; dbs.len()]);
    let print = Mutex::new(());
    thread::scope(|s| {
        for _ in 0..n.min(dbs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(db) = dbs.get(i) else { break };
                if stop.load(Ordering::SeqCst) {
                    results.lock().unwrap_or_else(PoisonError::into_inner)[i] =
                        Some(DbOutcome::NotStarted {
                            why: "--fail-fast after a failure".to_string(),
                        });
                    continue;
                }
                let started = Instant::now();
                let (status, output) = run_captured(runner, db);
                if !status.success() && fail_fast {
                    stop.store(true, Ordering::SeqCst);
                }
                {
                    let _guard = print.lock().unwrap_or_else(PoisonError::into_inner);
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "--- DATABASE: {db} ---");
                    let _ = out.write_all(&output);
                    let _ = out.flush();
                }
                results.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(DbOutcome::Done {
                    status,
                    took: started.elapsed(),
                });
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(|r| {
            r.unwrap_or(DbOutcome::NotStarted {
                why: "not reached".to_string(),
            })
        })
        .collect()
}

/// Runs one database's backup with its stdout and stderr collected into one buffer.
fn run_captured(runner: &DbRunner<'_>, db: &str) -> (ExitStatus, Vec<u8>) {
    let mut child = match runner
        .command(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return (failed_status(), runner.spawn_failed(db, &e).into_bytes()),
    };
    let buf = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut r| {
        let buf = Arc::clone(&buf);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match r.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => buf
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend_from_slice(&chunk[..k]),
                }
            }
        })
    })
    .collect();
    for r in readers {
        let _ = r.join();
    }
    let status = child.wait().unwrap_or_else(|_| failed_status());
    let out = std::mem::take(&mut *buf.lock().unwrap_or_else(PoisonError::into_inner));
    (status, out)
}

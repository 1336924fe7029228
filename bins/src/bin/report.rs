//! `report [db,list] [--format text|json|prometheus|html] [--output FILE]`: the fleet's
//! backup status (jobs, snapshots and the recovery window, restore tests, the last run), as
//! the original `report.py` printed it, or as JSON, Prometheus text or one HTML page.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bins::{exit_with, init_stderr_logging, load_config, open_storage_with_warnings, CliError};
use clap::{Parser, ValueEnum};
use report::collect::{collect, DEFAULT_PARALLEL};
use report::fleet::{FleetOptions, FleetSources};

const PROGRAM: &str = "report";

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// The original's per-database lines.
    Text,
    /// One JSON document (schema in the README).
    Json,
    /// Prometheus text exposition format (node_exporter textfile collector).
    Prometheus,
    /// One self-contained HTML page.
    Html,
}

#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    about = "Backup status of every database: jobs, snapshots and the recovery window, restore tests, the last run",
    after_help = "Databases are read at the same time, at most --parallel at once. A database \
                  whose data cannot be read shows the error in its row; the others still report.\n\n\
                  Exit codes: 0 every row read, 1 some row has an error (named on stderr), \
                  2 usage or configuration error."
)]
struct Args {
    /// Configuration file (default: env BACKUPCONFIG, else ./backup.cfg).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write to FILE (replaced atomically, so a collector never reads half a report)
    /// instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Collect at most N databases at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARALLEL)]
    parallel: usize,
    /// Kill a SQL*Plus call that runs longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    timeout: u64,
    /// Read restore tests of the last N days from the catalog.
    #[arg(long, value_name = "DAYS", default_value_t = 400)]
    restore_history_days: u32,
    /// More messages on stderr (-v, -vv).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Databases to report, comma separated (default: all).
    databases: Option<String>,
}

fn main() {
    let args = Args::parse();
    init_stderr_logging(args.verbose);
    match run(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => exit_with(PROGRAM, e),
    }
}

/// A private directory for SQL*Plus spool files.
fn log_dir() -> Result<PathBuf, CliError> {
    let dir = std::env::temp_dir().join(format!(
        "imagecopy-report-{}-{}",
        chrono::Local::now().format("%Y%m%dT%H%M%S"),
        std::process::id()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| CliError::new(format!("--output {}: not a file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let fail = |e: std::io::Error| CliError::new(format!("cannot write {}: {e}", path.display()));
    let mut f = std::fs::File::create(&tmp).map_err(fail)?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

fn run(args: &Args) -> Result<i32, CliError> {
    if args.parallel == 0 {
        return Err(CliError::new("--parallel must be at least 1"));
    }
    let cfg = load_config(args.config.as_deref())?;
    let all: Vec<String> = cfg.databases().into_iter().map(String::from).collect();
    let databases: Vec<String> = match &args.databases {
        None => all.clone(),
        Some(list) => {
            let wanted: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if let Some(unknown) = wanted.iter().find(|d| !all.contains(d)) {
                return Err(CliError::new(format!(
                    "{unknown} is not a database section of {} (databases: {})",
                    cfg.path().display(),
                    all.join(", ")
                )));
            }
            wanted
        }
    };
    let log_dir = log_dir()?;
    let warnings: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let opener = {
        let cfg = cfg.clone();
        let warnings = Arc::clone(&warnings);
        Box::new(move |db: &str| {
            let (handler, w) = open_storage_with_warnings(&cfg, db).map_err(|e| e.message)?;
            warnings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(w);
            Ok(handler)
        })
    };
    let options = FleetOptions {
        log_dir: log_dir.clone(),
        timeout: Duration::from_secs(args.timeout.max(1)),
        restore_history_days: args.restore_history_days,
    };
    let sources = FleetSources::new(&cfg, opener, options).map_err(CliError::new)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let report = runtime.block_on(collect(Arc::new(sources), &databases, args.parallel));
    for w in warnings
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        eprintln!("WARNING: {w}");
    }
    let text = match args.format {
        Format::Text => report::text(&report),
        Format::Json => report::json(&report),
        Format::Prometheus => report::prometheus(&report),
        Format::Html => report::html::html(&report),
    };
    match &args.output {
        Some(path) => write_atomic(path, &text)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError::new(format!("cannot write the report: {e}")))?;
        }
    }
    let failed: Vec<&str> = report
        .databases
        .iter()
        .filter(|d| !d.errors.is_empty())
        .map(|d| d.database.as_str())
        .collect();
    if failed.is_empty() {
        let _ = std::fs::remove_dir_all(&log_dir);
        return Ok(0);
    }
    eprintln!(
        "{PROGRAM}: {} of {} databases could not be read completely: {} (SQL*Plus logs in {})",
        failed.len(),
        report.databases.len(),
        failed.join(", "),
        log_dir.display()
    );
    Ok(1)
}

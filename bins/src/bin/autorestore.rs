//! `autorestore <configfile> [db|!db|--createcatalog|--listvalidationdates|--check]`: restore
//! tests of the newest backups on a sandbox host, results in the catalog. The original tool's
//! `autorestore.py`, with the same arguments, safety checks and validation days.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use autorestore::catalog::{check, check_line, Catalog, Claim};
use autorestore::flow::{RestoreReport, RestoreTest, SystemMounter};
use autorestore::program::{
    catalog_url, databases, log_path, open_catalog, purge_adr, restore_settings, sandbox_confirmed,
    SANDBOX_ENV, SANDBOX_WARNING,
};
use autorestore::validation;
use backupcore::config::{AutorestoreSettings, Config, DbSettings, GenericSettings};
use backupcore::lock::{DbLock, LockOptions};
use backupcore::runlog::{claim_log_path, RunLog, RunLogOptions};
use backupcore::snap::NagiosState;
use bins::{exit_with, open_storage, CliError};
use chrono::{Local, Utc};
use clap::Parser;
use rman::runner::ProcessRunner;
use rman::template::{TemplateKind, TemplateSet};

const PROGRAM: &str = "autorestore";

#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    about = "Restore tests of the newest image-copy backups on a sandbox host",
    after_help = "Without a second argument every database with autorestoreenabled is tested; <db> tests one, !<db> all but one.\n  --createcatalog        create (or migrate) the results catalog ([autorestore] autorestorecatalog)\n  --listvalidationdates  each database's next block-validation day\n  --check                Nagios probe over the catalog: CRITICAL when a database's last test in 30 days failed or it had no test for 2 days (exit 0/2/3)\n\nRestores refuse to run as root, and unless AUTORESTORE_SAFE_SANDBOX=TRUE (exit 3).\nExit codes: 0 all restores succeeded, 1 one failed (named on stderr), 2 usage or configuration error, 3 not confirmed as a sandbox."
)]
struct Args {
    /// More messages on stderr (-v info, -vv debug) for --createcatalog and --check.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// The configuration file (backup.cfg).
    config: PathBuf,
    /// <db>, !<db>, --createcatalog, --listvalidationdates or --check.
    #[arg(allow_hyphen_values = true)]
    what: Option<String>,
}

enum What<'a> {
    Restore(Option<&'a str>),
    CreateCatalog,
    ListValidationDates,
    Check,
}

fn main() {
    let args = Args::parse();
    let what = match args.what.as_deref() {
        None => What::Restore(None),
        Some("--createcatalog") => What::CreateCatalog,
        Some("--listvalidationdates") => What::ListValidationDates,
        Some("--check") => What::Check,
        Some(s) if s.starts_with("--") => exit_with(
            PROGRAM,
            CliError::new(format!(
                "unknown option {s} (expected <db>, !<db>, --createcatalog, --listvalidationdates or --check)"
            )),
        ),
        Some(db) => What::Restore(Some(db)),
    };
    if rustix::process::geteuid().is_root() {
        exit_with(
            PROGRAM,
            CliError::new(
                "refusing to run as root: run it as the Oracle software owner (e.g. oracle), whose instance the restore starts",
            ),
        );
    }
    bins::init_stderr_logging(args.verbose);
    let code = match what {
        What::Check => check_probe(&args.config),
        What::ListValidationDates => run_or_exit(list_validation_dates(&args.config)),
        What::CreateCatalog => run_or_exit(create_catalog(&args.config)),
        What::Restore(selector) => {
            let confirmed = std::env::var(SANDBOX_ENV).ok();
            if !sandbox_confirmed(confirmed.as_deref()) {
                println!("{SANDBOX_WARNING}\n");
                std::process::exit(3);
            }
            run_or_exit(restore_all(&args.config, selector))
        }
    };
    std::process::exit(code)
}

fn run_or_exit(r: Result<i32, CliError>) -> i32 {
    r.unwrap_or_else(|e| exit_with(PROGRAM, e))
}

fn load(path: &Path) -> Result<Config, CliError> {
    Config::load(path).map_err(CliError::new)
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::step("starting the async runtime", e))
}

fn the_catalog(cfg: &Config) -> Result<Box<dyn Catalog>, CliError> {
    let url = catalog_url(cfg).map_err(CliError::new)?.ok_or_else(|| {
        CliError::new(format!(
            "{}: [autorestore] autorestorecatalog is not set (sqlite:<path> or postgres://...)",
            cfg.path().display()
        ))
    })?;
    open_catalog(&url, cfg).map_err(CliError::new)
}

fn create_catalog(path: &Path) -> Result<i32, CliError> {
    let cfg = load(path)?;
    let catalog = the_catalog(&cfg)?;
    let found = runtime()?
        .block_on(catalog.migrate())
        .map_err(CliError::new)?;
    let now = autorestore::catalog::SCHEMA_VERSION;
    match found {
        0 => println!(
            "Catalog {}: schema version {now} created",
            catalog.describe()
        ),
        v if v == now => println!(
            "Catalog {}: schema version {now}, nothing to do",
            catalog.describe()
        ),
        v => println!(
            "Catalog {}: schema migrated from version {v} to {now}",
            catalog.describe()
        ),
    }
    Ok(0)
}

fn list_validation_dates(path: &Path) -> Result<i32, CliError> {
    let cfg = load(path)?;
    let today = Utc::now().date_naive();
    for db in databases(&cfg, None).map_err(CliError::new)? {
        let dbcfg = cfg.database(&db).map_err(CliError::new)?;
        let ar = AutorestoreSettings::for_db(&dbcfg).map_err(CliError::new)?;
        let name = DbSettings::load(&dbcfg)
            .map_err(CliError::new)?
            .stringforvalidationmod
            .unwrap_or_else(|| db.clone());
        match validation::validation_day(&name, ar.modulus, today) {
            Some(day) => println!("{}", validation::list_line(&db, &day)),
            None if ar.validatechance > 0 => println!(
                "{db}: validation is based on chance, probability 1/{}",
                ar.validatechance
            ),
            None => println!("{db}: database validation is not turned on"),
        }
    }
    Ok(0)
}

/// `--check`: every failure is UNKNOWN (exit 3), on stdout where Nagios reads it.
fn check_probe(path: &Path) -> i32 {
    let attempt = || -> Result<(NagiosState, String), CliError> {
        let cfg = load(path)?;
        let dbs = databases(&cfg, None).map_err(CliError::new)?;
        let catalog = the_catalog(&cfg)?;
        let now = Utc::now();
        let records = runtime()?
            .block_on(catalog.records_since(now - chrono::Duration::days(30)))
            .map_err(CliError::new)?;
        Ok(check_line(&check(&records, &dbs, now)))
    };
    let (state, line) = attempt().unwrap_or_else(|e| {
        (
            NagiosState::Unknown,
            format!("UNKNOWN: {}", e.message.replace('\n', " ")),
        )
    });
    println!("{line}");
    state.exit_code()
}

/// The name this sandbox host records in the catalog and claims databases under: env
/// `AUTORESTORE_HOSTNAME`, else the machine's host name.
fn hostname() -> String {
    if let Some(h) = std::env::var("AUTORESTORE_HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
    {
        return h.trim().to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn restore_all(path: &Path, selector: Option<&str>) -> Result<i32, CliError> {
    let cfg = load(path)?;
    let dbs = databases(&cfg, selector).map_err(CliError::new)?;
    if dbs.is_empty() {
        println!(
            "No database has autorestore enabled in {}",
            cfg.path().display()
        );
        return Ok(0);
    }
    let rt = runtime()?;
    let catalog = match catalog_url(&cfg).map_err(CliError::new)? {
        Some(url) => Some(open_catalog(&url, &cfg).map_err(CliError::new)?),
        None => None,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&cancel))
            .map_err(|e| CliError::step("installing the signal handlers", e))?;
    }
    let templates = TemplateSet::load(TemplateKind::Restore, cfg.dir()).map_err(CliError::new)?;
    let host = hostname();
    let mut failed = Vec::new();
    for db in &dbs {
        if cancel.load(Ordering::SeqCst) {
            println!("Database: {db} NOT RUN (interrupted)");
            failed.push(db.clone());
            continue;
        }
        println!("--- DATABASE: {db} ---");
        if let Some(c) = &catalog {
            let today = Utc::now().date_naive();
            match rt.block_on(c.claim(db, today, &host)) {
                Ok(Claim::Ours) => {}
                Ok(Claim::TakenBy(other)) => {
                    println!("Database: {db} SKIPPED (tested today by {other})");
                    continue;
                }
                Err(e) => {
                    eprintln!("{PROGRAM}: {db}: claiming it in the catalog: {e}");
                    failed.push(db.clone());
                    continue;
                }
            }
        }
        match restore_one(
            &cfg,
            db,
            &templates,
            catalog.as_deref(),
            &host,
            &cancel,
            &rt,
        ) {
            Ok(report) if report.success() && report.cleanup_errors.is_empty() => {
                println!("Database: {db} SUCCESS");
            }
            Ok(report) => {
                let why = match &report.failure {
                    Some((step, why)) => format!("step '{step}' failed: {why}"),
                    None => format!("clean-up failed: {}", report.cleanup_errors.join("; ")),
                };
                println!("Database: {db} FAILED");
                eprintln!("{PROGRAM}: {db}: {why}");
                failed.push(db.clone());
            }
            Err(e) => {
                println!("Database: {db} FAILED");
                eprintln!("{PROGRAM}: {db}: {}", e.message);
                failed.push(db.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        eprintln!("{PROGRAM}: restore test failed for: {}", failed.join(","));
        Ok(1)
    }
}

fn restore_one(
    cfg: &Config,
    db: &str,
    templates: &TemplateSet,
    catalog: Option<&dyn Catalog>,
    host: &str,
    cancel: &AtomicBool,
    rt: &tokio::runtime::Runtime,
) -> Result<RestoreReport, CliError> {
    let dbcfg = cfg.database(db).map_err(CliError::new)?;
    let ar = AutorestoreSettings::for_db(&dbcfg).map_err(CliError::new)?;
    let generic = GenericSettings::for_db(&dbcfg).map_err(CliError::new)?;
    std::fs::create_dir_all(&ar.logdir)
        .map_err(|e| CliError::new(format!("autorestorelogdir {}: {e}", ar.logdir.display())))?;
    // One restore at a time on this host: they share the destination directory.
    let _lock = DbLock::acquire(
        &ar.logdir,
        &LockOptions::from_minutes(generic.maxlockwait.as_secs() / 60),
    )
    .map_err(|e| CliError::step("taking the autorestore lock", e))?;
    let logfile = claim_log_path(&log_path(&ar.logdir, db, Local::now().naive_local()))
        .map_err(|e| CliError::step("starting the run log", e))?;
    // A number in 1..=autorestorevalidatechance for the chance rule.
    let roll = Utc::now().timestamp_subsec_nanos() % ar.validatechance.max(1) + 1;
    let plan = restore_settings(cfg, db, &logfile, Utc::now().date_naive(), roll)
        .map_err(CliError::new)?;
    println!("Log file for this session: {}", logfile.display());
    let log = RunLog::start(
        RunLogOptions::new(&logfile, db)
            .with_retention_days(plan.logretention_days)
            .with_to_screen(RunLogOptions::to_screen_from_env())
            .with_stdout_console(),
    )
    .map_err(|e| CliError::step("starting the run log", e))?;
    let storage = open_storage(cfg, db)?;
    let mut runner = ProcessRunner::new(plan.oracle.clone())
        .with_run_log(&log)
        .with_script_logging(true)
        .with_sqlplus_spooling(true);
    if let Some(limit) = ar.steptimeout {
        runner = runner.with_timeout(limit);
    }
    let report = log.scoped(|| {
        tracing::info!("Configuration file: {}", cfg.path().display());
        tracing::info!("Restore test of {db} on {host}; {}", plan.validation_note);
        let test = RestoreTest {
            settings: plan.settings.clone(),
            storage: storage.as_ref(),
            runner: &runner,
            templates: templates.clone(),
            mounter: &SystemMounter,
            cancel,
        };
        let mut report = rt.block_on(test.run());
        for s in &report.steps {
            match &s.result {
                Ok(detail) => tracing::info!(
                    "Step: {:<45} {:>10}  ok: {detail}",
                    s.step.name(),
                    backupjob::hms(s.elapsed)
                ),
                Err(why) => tracing::error!(
                    "Step: {:<45} {:>10}  FAILED: {why}",
                    s.step.name(),
                    backupjob::hms(s.elapsed)
                ),
            }
        }
        match purge_adr(&runner, &plan.settings.logdir, plan.logretention_days) {
            Ok(n) => tracing::debug!(
                "ADR: purged {n} home(s) older than {} days",
                plan.logretention_days
            ),
            Err(e) => tracing::warn!("ADR purge failed: {e}"),
        }
        tracing::info!(
            "Restore {}, elapsed time: {}",
            if report.success() {
                "successful"
            } else {
                "failed"
            },
            backupjob::hms(
                (report.finished - report.started)
                    .to_std()
                    .unwrap_or_default()
            )
        );
        if let Some(c) = catalog {
            let _ = log.flush();
            let content = std::fs::read_to_string(log.path()).unwrap_or_default();
            match rt.block_on(c.record(&report.record(host, log.path(), content))) {
                Ok(id) => tracing::info!("Result recorded in catalog {} (id {id})", c.describe()),
                Err(e) => {
                    tracing::error!("Recording the result in the catalog failed: {e}");
                    report
                        .cleanup_errors
                        .push(format!("recording the result in the catalog: {e}"));
                }
            }
        }
        report
    });
    log.finish(&mut std::io::stdout())
        .map_err(|e| CliError::step("finishing the run log", e))?;
    Ok(report)
}

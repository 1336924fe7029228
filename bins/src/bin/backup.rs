//! `backup <db> <action> [--dry-run]`: the program DBAs schedule. The original tool's
//! `backup.py` with the same actions, log files and output lines, plus a summary at the end.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use backupcore::config::GenericSettings;
use backupcore::lock::DbLock;
use backupcore::runlog::{claim_log_path, log_path, RunLog, RunLogOptions};
use backupcore::snap::SnapHandler;
use backupjob::{Action, DryRun, Job, JobContext, RunValues};
use bins::{exit_with, load_config, open_storage, CliError};
use chrono::Local;
use clap::Parser;
use rman::runner::{OracleEnv, ProcessRunner};

const PROGRAM: &str = "backup";

/// Exit code of a run whose step failed (the original's uncaught exception).
const EXIT_STEP_FAILED: i32 = 1;

#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    about = "Incremental-forever image copy backups of an Oracle database, with a storage snapshot before every merge",
    after_help = "Actions:\n  config             RMAN configuration, archivelog destination in the backup area, block change tracking, catalog registration\n  imagecopywithsnap  the backup cycle: missing archivelogs, log switch, snapshot, merge, clean expired snapshots\n  backupimagecopy    refresh the image copy without a snapshot (template entry backupimagecopy)\n  missingarchlog     copy archivelogs missing from the backup area\n  validatebackup     RMAN restore validation\n  report             RMAN reports\n  generaterestore    print a full restore procedure\n  setschedule        DBMS_SCHEDULER jobs for imagecopywithsnap and missingarchlog (env OSPASSWORD)\n  verify             verify the image copies block by block (--snapshot NAME: a snapshot)\n\nThe configuration is found via --config, else env BACKUPCONFIG, else ./backup.cfg.\nExit codes: 0 success, 1 a step failed (named on stderr), 2 usage or configuration error."
)]
struct Args {
    /// Configuration file (default: env BACKUPCONFIG, else ./backup.cfg).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print every script that would be sent, in order, and touch nothing.
    #[arg(long)]
    dry_run: bool,
    /// verify: check this snapshot instead of the live backup area.
    #[arg(long, value_name = "NAME")]
    snapshot: Option<String>,
    /// The database (its section in the configuration, its db_unique_name).
    db: String,
    /// What to do.
    action: String,
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => exit_with(PROGRAM, e),
    }
}

fn run(args: &Args) -> Result<i32, CliError> {
    let action: Action = args.action.parse().map_err(CliError::new)?;
    if args.snapshot.is_some() && action != Action::Verify {
        return Err(CliError::new("--snapshot is only for the verify action"));
    }
    let ospassword = std::env::var("OSPASSWORD").ok().filter(|p| !p.is_empty());
    if action == Action::SetSchedule && ospassword.is_none() {
        return Err(CliError::new(
            "setschedule: environment variable OSPASSWORD must be set (the OS password of the scheduler credential)",
        ));
    }
    let cfg = load_config(args.config.as_deref())?;
    let dbcfg = cfg.database(&args.db).map_err(CliError::new)?;
    let generic = GenericSettings::for_db(&dbcfg).map_err(CliError::new)?;
    let mut logfile = log_path(
        &generic.backupdest,
        &args.db,
        action.name(),
        Local::now().naive_local(),
    );
    let scriptpath = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let configfile = std::fs::canonicalize(cfg.path()).unwrap_or_else(|_| cfg.path().to_path_buf());
    let ctx = JobContext::new(
        &cfg,
        &args.db,
        RunValues {
            logfile: &logfile,
            scriptpath: &scriptpath,
            configfile: &configfile,
            ospassword: ospassword.as_deref(),
        },
    )
    .map_err(CliError::new)?;

    if args.dry_run {
        return dry_run(&ctx, action, args.snapshot.as_deref());
    }

    // The backup area is the mounted backup filesystem: never create it here (that would
    // write the backup onto the local disk when the mount is missing).
    if !ctx.area.is_dir() {
        return Err(CliError::new(format!(
            "backup area {} does not exist (is the backup filesystem mounted? a new database starts with: zvolume {} create)",
            ctx.area.display(),
            args.db
        )));
    }
    let oracle_home = ctx.generic.oraclehome.clone().ok_or_else(|| {
        CliError::new(format!(
            "{}: [generic] oraclehome is not set and ORACLE_HOME is not in the environment",
            cfg.path().display()
        ))
    })?;

    // Two runs started in the same second (a second one waiting for the lock) must not
    // share a log file: claim the name, else add -2, -3, ...
    logfile = claim_log_path(&logfile).map_err(|e| CliError::step("starting the run log", e))?;
    println!("Log file for this session: {}", logfile.display());
    let log = RunLog::start(
        RunLogOptions::new(&logfile, &args.db)
            .with_retention_days(
                u32::try_from(ctx.generic.logretention.as_secs() / 86_400).unwrap_or(u32::MAX),
            )
            .with_secrets(ctx.secrets.clone())
            .with_to_screen(RunLogOptions::to_screen_from_env())
            .with_stdout_console(),
    )
    .map_err(|e| CliError::step("starting the run log", e))?;
    let _ = log.install_global();
    tracing::info!("Configuration file: {}", cfg.path().display());
    tracing::debug!("Oracle home: {}", oracle_home.display());

    let code = if action == Action::Verify {
        verify(&ctx, &log, args.snapshot.as_deref(), &cfg)
    } else {
        let mut env = OracleEnv::new(&oracle_home);
        if let Some(t) = &ctx.generic.tnsadmin {
            env = env.with_tns_admin(t);
        }
        let runner = ProcessRunner::new(env)
            .with_run_log(&log)
            .with_script_logging(true)
            .with_sqlplus_spooling(true);
        let storage = if action == Action::ImageCopyWithSnap && ctx.db.dosnapshot {
            Some(open_storage(&cfg, &args.db)?)
        } else {
            None
        };
        run_job(&ctx, action, &runner, storage.as_deref())
    };
    log.finish(&mut std::io::stdout())
        .map_err(|e| CliError::step("finishing the run log", e))?;
    code
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::step("starting the async runtime", e))
}

fn run_job(
    ctx: &JobContext,
    action: Action,
    runner: &ProcessRunner,
    storage: Option<&dyn SnapHandler>,
) -> Result<i32, CliError> {
    let rt = runtime()?;
    let mut job = Job::new(ctx, action, runner, storage);
    let result = rt.block_on(job.run(action));
    if action == Action::GenerateRestore {
        println!("\n=============");
        for part in job.printed() {
            println!("{part}");
        }
    }
    let summary = job.summary().to_string();
    for line in summary.lines() {
        tracing::info!("{line}");
    }
    match result {
        Ok(()) => Ok(0),
        Err(e) => Err(CliError {
            message: format!("{} {}: {e}", ctx.db.name, action),
            code: EXIT_STEP_FAILED,
        }),
    }
}

fn dry_run(ctx: &JobContext, action: Action, snapshot: Option<&str>) -> Result<i32, CliError> {
    let mut out = std::io::stdout().lock();
    if action == Action::Verify {
        let target = match snapshot {
            Some(s) => format!("snapshot {s} of {}", ctx.area.display()),
            None => ctx.area.display().to_string(),
        };
        let _ = writeln!(out, "----- dbfverify: {target} -----");
        return Ok(0);
    }
    let transcript = DryRun::new();
    let rt = runtime()?;
    let mut job = Job::dry_run(ctx, action, &transcript);
    let result = rt.block_on(job.run(action));
    let _ = out.write_all(transcript.text().as_bytes());
    for part in job.printed() {
        let _ = writeln!(out, "{part}");
    }
    result
        .map(|()| 0)
        .map_err(|e| CliError::new(format!("dry run: {e}")))
}

/// `verify`: runs `dbfverify` (installed beside this program) over the backup area, under the
/// lock so no merge changes the copies meanwhile, or over a snapshot (no lock needed).
fn verify(
    ctx: &JobContext,
    log: &RunLog,
    snapshot: Option<&str>,
    cfg: &backupcore::config::Config,
) -> Result<i32, CliError> {
    let (target, lock) = match snapshot {
        Some(name) => {
            let storage = open_storage(cfg, &ctx.db.name)?;
            let path = storage
                .snapshot_path(name, &ctx.area)
                .map_err(|e| CliError::step(&format!("finding snapshot {name}"), e))?;
            if !path.is_dir() {
                return Err(CliError::new(format!(
                    "snapshot {name}: {} is not readable here{}",
                    path.display(),
                    if storage.is_local() {
                        ""
                    } else {
                        " (does the share expose .zfs/snapshot over NFS?)"
                    }
                )));
            }
            (path, None)
        }
        None => {
            let lock = DbLock::acquire(&ctx.area, &ctx.lock_options())
                .map_err(|e| CliError::step("taking the lock", e))?;
            (ctx.area.clone(), Some(lock))
        }
    };
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("dbfverify")))
        .unwrap_or_else(|| PathBuf::from("dbfverify"));
    tracing::info!("Verifying the datafile copies in {}", target.display());
    let output = Command::new(&exe)
        .arg(&target)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CliError::step(&format!("running {}", exe.display()), e))?;
    let _ = log.append_external(&output.stdout);
    let _ = log.append_external(&output.stderr);
    let _ = std::io::stdout().write_all(&output.stdout);
    let _ = std::io::stderr().write_all(&output.stderr);
    if let Some(l) = lock {
        l.release()
            .map_err(|e| CliError::step("releasing the lock", e))?;
    }
    let code = output.status.code().unwrap_or(2);
    match code {
        0 => tracing::info!("Verification: all datafile copies are sound"),
        1 => tracing::error!("Verification: corrupt blocks found (see above)"),
        _ => tracing::error!("Verification could not complete (dbfverify exit {code})"),
    }
    Ok(code)
}

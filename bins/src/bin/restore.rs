//! `restore <configfile> <db>`: a copy of a database restored to a point in time, for a person
//! (a lost table, an audit). The original tool's interactive `restore.py` (isolation
//! question, mount directory, target time in UTC or local time, SID, confirmation), also
//! fully scriptable with `--target-time`, `--utc`, `--sid`, `--mount` and `--yes`.

use std::io::{BufRead, Write};

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use autorestore::flow::{Mode, RestoreSettings, RestoreTest};
use autorestore::program::restore_settings;
use backupcore::config::Config;
use backupcore::runlog::{claim_log_path, RunLog, RunLogOptions};
use backupcore::snap::ops;
use bins::{exit_with, open_storage, CliError};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use clap::Parser;
use rman::runner::{OracleEnv, ProcessRunner};
use rman::template::{TemplateKind, TemplateSet};

const PROGRAM: &str = "restore";
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
const SPLITTER: &str = "######################################";

#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    about = "Starts a copy of a database restored to a point in time, from the oldest snapshot taken at or after it",
    after_help = "Asks for what is not given on the command line. THIS UTILITY SHOULD NOT BE RUN ON A SYSTEM WITH ACCESS TO PRODUCTION STORAGE, and is not meant for an emergency production restore.\nExit codes: 0 restored (the instance is left running), 1 the restore failed or was declined, 2 usage or configuration error."
)]
struct Args {
    /// Restore to this time, `YYYY-MM-DD HH:MM:SS` (local time unless --utc).
    #[arg(long, value_name = "TIME")]
    target_time: Option<String>,
    /// The target time is in UTC.
    #[arg(long)]
    utc: bool,
    /// The restored instance's name (ORACLE_SID), at most 8 characters.
    #[arg(long, value_name = "SID")]
    sid: Option<String>,
    /// Where the clone is mounted (NFS storage; local storage uses the clone in place).
    #[arg(long, value_name = "DIR")]
    mount: Option<PathBuf>,
    /// Answer yes to every question (the host is isolated, the parameters are right, the
    /// clone is mounted).
    #[arg(long)]
    yes: bool,
    /// The configuration file (backup.cfg).
    config: PathBuf,
    /// The database (its section in the configuration).
    db: String,
}

/// Questions on the terminal (or standard input), answered by flags where given.
struct Ui {
    yes: bool,
    input: Box<dyn BufRead + Send>,
}

impl Ui {
    fn line(&mut self, prompt: &str) -> Result<String, CliError> {
        print!("{prompt} ");
        let _ = std::io::stdout().flush();
        let mut s = String::new();
        let n = self
            .input
            .read_line(&mut s)
            .map_err(|e| CliError::step("reading the answer", e))?;
        if n == 0 {
            return Err(CliError {
                message: format!(
                    "no answer to \"{prompt}\" (end of input); give it as a flag, see --help"
                ),
                code: 2,
            });
        }
        Ok(s.trim().to_string())
    }

    fn yes_no(&mut self, question: &str) -> Result<bool, CliError> {
        if self.yes {
            println!("{question}? (Y/N) Y (--yes)");
            return Ok(true);
        }
        loop {
            match self
                .line(&format!("{question}? (Y/N)"))?
                .to_ascii_uppercase()
                .as_str()
            {
                "Y" | "YES" => return Ok(true),
                "N" | "NO" => return Ok(false),
                _ => println!("Please answer Y or N."),
            }
        }
    }

    fn time(&mut self) -> Result<NaiveDateTime, CliError> {
        loop {
            let t = self.line("Restore database to time point (YYYY-MM-DD HH:MM:SS):")?;
            match NaiveDateTime::parse_from_str(&t, TIME_FORMAT) {
                Ok(t) => return Ok(t),
                Err(_) => println!("Not a time of the form 2026-11-21 10:15:00."),
            }
        }
    }

    fn sid(&mut self) -> Result<String, CliError> {
        loop {
            let s = self.line("Target instance name:")?;
            match check_sid(&s) {
                Ok(()) => return Ok(s),
                Err(why) => println!("{why}"),
            }
        }
    }

    fn directory(&mut self) -> Result<PathBuf, CliError> {
        loop {
            let d = PathBuf::from(self.line("Directory where to mount clone:")?);
            if d.is_dir() {
                return Ok(d);
            }
            println!("{} is not a directory.", d.display());
        }
    }
}

fn check_sid(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 8
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an instance name: 1 to 8 letters, digits or _, starting with a letter"
        ))
    }
}

fn main() {
    let args = Args::parse();
    if rustix::process::geteuid().is_root() {
        exit_with(
            PROGRAM,
            CliError::new(
                "refusing to run as root: run it as the Oracle software owner (e.g. oracle)",
            ),
        );
    }
    match run(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => exit_with(PROGRAM, e),
    }
}

fn run(args: &Args) -> Result<i32, CliError> {
    println!("This utility will start a copy of a database restored to a specified point in time.");
    println!("THIS UTILITY SHOULD NOT BE RUN ON A SYSTEM WITH ACCESS TO PRODUCTION STORAGE!");
    println!("THIS UTILITY IS NOT INTENDED FOR EMERGENCY PRODUCTION RESTORE.\n");
    if let Some(t) = &args.target_time {
        NaiveDateTime::parse_from_str(t, TIME_FORMAT).map_err(|_| {
            CliError::new(format!("--target-time {t:?}: expected YYYY-MM-DD HH:MM:SS"))
        })?;
    }
    if let Some(s) = &args.sid {
        check_sid(s).map_err(|e| CliError::new(format!("--sid: {e}")))?;
    }
    let cfg = Config::load(&args.config).map_err(CliError::new)?;
    cfg.database(&args.db).map_err(CliError::new)?;
    let storage = open_storage(&cfg, &args.db)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::step("starting the async runtime", e))?;
    let mut ui = Ui {
        yes: args.yes,
        input: Box::new(std::io::BufReader::new(std::io::stdin())),
    };

    if !ui.yes_no("Is this system isolated with no access to production database storage")? {
        println!("Exiting. Please execute this utility in an isolated environment.");
        return Ok(1);
    }
    let mount = if storage.is_local() {
        None
    } else {
        Some(match &args.mount {
            Some(d) if d.is_dir() => d.clone(),
            Some(d) => {
                return Err(CliError::new(format!(
                    "--mount {}: not a directory",
                    d.display()
                )))
            }
            None => ui.directory()?,
        })
    };
    let local_target = match &args.target_time {
        Some(t) => NaiveDateTime::parse_from_str(t, TIME_FORMAT).map_err(|_| {
            CliError::new(format!("--target-time {t:?}: expected YYYY-MM-DD HH:MM:SS"))
        })?,
        None => ui.time()?,
    };
    let utc = if args.target_time.is_some() {
        args.utc
    } else {
        args.utc
            || (!args.yes && ui.yes_no("Was the timestamp in UTC (answer N for local time)")?)
    };
    let target_utc: DateTime<Utc> = if utc {
        Utc.from_utc_datetime(&local_target)
    } else {
        Local
            .from_local_datetime(&local_target)
            .earliest()
            .ok_or_else(|| {
                CliError::new(format!(
                    "{local_target} does not exist in the local time zone"
                ))
            })?
            .with_timezone(&Utc)
    };
    // The database recovers to its own clock: this host's local time, as the original assumed.
    let db_target = target_utc.with_timezone(&Local).naive_local();
    let snapshot = rt
        .block_on(ops::recovery_snapshot(storage.as_ref(), target_utc))
        .map_err(|e| CliError::step("listing snapshots", e))?
        .ok_or_else(|| {
            CliError::new(format!(
                "no snapshot was taken at or after {} UTC; if the time is after the newest backup, take a snapshot first (zfssnapper {} create)",
                target_utc.format(TIME_FORMAT),
                args.db
            ))
        })?;
    let sid = match &args.sid {
        Some(s) => s.clone(),
        None => ui.sid()?,
    };
    let generic = backupcore::config::GenericSettings::for_db(
        &cfg.database(&args.db).map_err(CliError::new)?,
    )
    .map_err(CliError::new)?;
    let oracle_home = generic.oraclehome.clone().ok_or_else(|| {
        CliError::new(format!(
            "{}: [generic] oraclehome is not set",
            cfg.path().display()
        ))
    })?;
    let mut oracle_env = OracleEnv::new(&oracle_home).with_sid(&sid);
    if let Some(t) = &generic.tnsadmin {
        oracle_env = oracle_env.with_tns_admin(t);
    }

    println!("{SPLITTER}\n");
    println!("Database unique name: {}", args.db);
    println!("Oracle home: {}", oracle_home.display());
    match &mount {
        Some(m) => println!("Clone mount path: {}", m.display()),
        None => println!("Clone mount path: (local storage: the clone is used in place)"),
    }
    println!("Target instance SID: {sid}");
    println!(
        "Restore target time UTC: {}",
        target_utc.format(TIME_FORMAT)
    );
    println!(
        "Restore target time local: {}",
        db_target.format(TIME_FORMAT)
    );
    println!("Restored from snapshot: {}", snapshot.id);
    println!();
    if !ui.yes_no("Are these parameters correct")? {
        println!("Exiting. Please execute this utility again.");
        return Ok(1);
    }
    println!("\n{SPLITTER}");

    // Working files of the instance: a fresh directory (init.ora, control file).
    let now = Local::now().naive_local();
    let clonename = format!("restore_{}_{}", args.db, now.format("%Y%m%d_%H%M%S"));
    let workdir = std::env::temp_dir().join(format!(
        "restore_{}_{}",
        args.db,
        now.format("%Y%m%dT%H%M%S")
    ));
    std::fs::create_dir_all(&workdir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", workdir.display())))?;
    let logfile = claim_log_path(&workdir.join(format!("restore_{}.log", args.db)))
        .map_err(|e| CliError::step("starting the log", e))?;
    println!("Session log file: {}", logfile.display());

    let mut plan = restore_settings_or_defaults(&cfg, &args.db, &logfile)?;
    plan.mode = Mode::PointInTime {
        snapshot: snapshot.id.clone(),
        target: db_target,
    };
    plan.clonename = clonename.clone();
    plan.destination = workdir.clone();
    plan.logdir = workdir.clone();
    plan.mountpoint = mount.clone();
    plan.validate = false;

    let log = RunLog::start(RunLogOptions::new(&logfile, &args.db).with_stdout_console())
        .map_err(|e| CliError::step("starting the log", e))?;
    let runner = ProcessRunner::new(oracle_env)
        .with_run_log(&log)
        .with_script_logging(true)
        .with_sqlplus_spooling(true);
    let ui = std::sync::Mutex::new(ui);
    let mounter = PromptMounter { ui: &ui };
    let cancel = AtomicBool::new(false);
    let templates = TemplateSet::load(TemplateKind::Restore, cfg.dir()).map_err(CliError::new)?;
    let report = log.scoped(|| {
        let test = RestoreTest {
            settings: plan.clone(),
            storage: storage.as_ref(),
            runner: &runner,
            templates,
            mounter: &mounter,
            cancel: &cancel,
        };
        rt.block_on(test.run())
    });
    let _ = log.finish(&mut std::io::sink());
    println!();
    let code = match &report.failure {
        None => {
            let v = report.verification.clone();
            println!("Database restore complete");
            println!("SID: {sid}");
            println!("Requested target time: {}", db_target.format(TIME_FORMAT));
            if let Some(v) = v {
                println!(
                    "Verified restored database time: {}",
                    v.verified.format(TIME_FORMAT)
                );
                println!("Difference from target: {} s", v.diff_seconds);
            }
            0
        }
        Some((step, why)) => {
            eprintln!(
                "{PROGRAM}: {} restore failed at step '{step}': {why}",
                args.db
            );
            1
        }
    };
    println!();
    println!("Commands to clean up:");
    println!(
        "1. Shut down database instance {sid}: ORACLE_HOME={} ORACLE_SID={sid} {}/bin/sqlplus / as sysdba, then: shutdown immediate",
        oracle_home.display(),
        oracle_home.display()
    );
    let mut n = 2;
    if let Some(m) = &mount {
        println!("{n}. Execute as root: umount {}", m.display());
        n += 1;
    }
    println!(
        "{n}. Drop clone: zfssnapper --config {} {} dropclone {clonename}",
        cfg.path().display(),
        args.db
    );
    println!(
        "{}. Remove the working directory: rm -r {}",
        n + 1,
        workdir.display()
    );
    Ok(code)
}

/// The database's settings; without an `[autorestore]` section, the values a restore needs.
fn restore_settings_or_defaults(
    cfg: &Config,
    db: &str,
    logfile: &Path,
) -> Result<RestoreSettings, CliError> {
    match restore_settings(cfg, db, logfile, Utc::now().date_naive(), 1) {
        Ok(p) => Ok(p.settings),
        Err(backupcore::config::ConfigError::Missing { section, .. })
            if section == "autorestore" =>
        {
            let dbcfg = cfg.database(db).map_err(CliError::new)?;
            let dbs = backupcore::config::DbSettings::load(&dbcfg).map_err(CliError::new)?;
            Ok(RestoreSettings {
                mode: Mode::Test,
                database: db.to_string(),
                dbid: dbs.dbid,
                destination: PathBuf::new(),
                mountpoint: None,
                clonename: String::new(),
                snapage: std::time::Duration::ZERO,
                logdir: PathBuf::new(),
                logfile: logfile.to_path_buf(),
                maxtolerance: std::time::Duration::ZERO,
                customverifydate: dbs.customverifydate,
                thread: dbs.autorestorethread,
                instance_number: dbs.autorestoreinstancenumber,
                sga_size: None,
                pga_size: None,
                validate: false,
            })
        }
        Err(e) => Err(CliError::new(e)),
    }
}

/// Mounting by hand: prints the NFS mount command and waits until the person says it ran.
struct PromptMounter<'a> {
    ui: &'a std::sync::Mutex<Ui>,
}

impl autorestore::flow::Mounter for PromptMounter<'_> {
    fn mount(&self, dir: &Path, source: &str) -> Result<(), String> {
        println!("Please execute the following command as root to mount the backup volume:\n");
        println!(
            "mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 {source} {}\n",
            dir.display()
        );
        let mut ui = self
            .ui
            .lock()
            .map_err(|_| "the terminal is not available".to_string())?;
        while !ui.yes_no("Did you execute it").map_err(|e| e.message)? {
            println!("Please execute it then.");
        }
        Ok(())
    }

    fn unmount(&self, _dir: &Path) -> Result<(), String> {
        Ok(())
    }
}

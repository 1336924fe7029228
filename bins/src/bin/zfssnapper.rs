//! `zfssnapper <db> <action> [name]`: storage snapshots and clones of one database's backup
//! filesystem, by hand and for Nagios. The original tool's command, with the same output lines.

use std::path::PathBuf;
use std::time::Duration;

use backupcore::config::{Config, GenericSettings, TimeUnit};
use backupcore::snap::{ops, snapshot_name, NagiosState, SnapHandler};
use bins::{exit_with, init_stderr_logging, load_config, open_storage, CliError};
use chrono::{Local, Utc};
use clap::{Parser, ValueEnum};

const PROGRAM: &str = "zfssnapper";

#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    about = "Snapshots and clones of a database's backup filesystem on the storage system",
    after_help = "Actions:\n  create              take a snapshot now\n  list                list snapshots, oldest first\n  clone <snapshot>    make a writable clone of a snapshot\n  listclones          list clones of this database's snapshots\n  dropclone <clone>   drop a clone (only a clone of this database)\n  autoclone           clone the newest snapshot at least [autorestore] autorestoresnapage hours old\n  clean               drop snapshots the retention policy no longer keeps (--dry-run: show the plan)\n  checkage            Nagios check of the newest snapshot's age (exit 0/1/2/3)\n\nThe configuration is found via --config, else env BACKUPCONFIG, else ./backup.cfg."
)]
struct Args {
    /// Configuration file (default: env BACKUPCONFIG, else ./backup.cfg).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format of list, listclones and clean.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// clean: show what would be dropped, drop nothing.
    #[arg(long)]
    dry_run: bool,
    /// clean --dry-run: plan as if it were this time (RFC 3339, e.g. 2026-12-01T00:00:00Z),
    /// to see what retention will drop by then.
    #[arg(long, value_name = "TIME", requires = "dry_run")]
    at: Option<chrono::DateTime<Utc>>,
    /// More messages on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// The database (its section in the configuration, its db_unique_name).
    db: String,
    /// What to do.
    #[arg(value_enum)]
    action: Action,
    /// The snapshot (clone) or clone (dropclone) to act on.
    name: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Create,
    List,
    Clone,
    Listclones,
    Dropclone,
    Autoclone,
    Clean,
    Checkage,
}

fn main() {
    let args = Args::parse();
    init_stderr_logging(args.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => exit_with(PROGRAM, CliError::step("starting the async runtime", e)),
    };
    match runtime.block_on(run(&args)) {
        Ok(code) => std::process::exit(code),
        Err(e) => exit_with(PROGRAM, e),
    }
}

/// The Nagios probe: any failure is UNKNOWN (exit 3), on stdout where Nagios reads it.
async fn checkage(args: &Args) -> (NagiosState, String) {
    let attempt = async {
        let cfg = load_config(args.config.as_deref())?;
        let generic = GenericSettings::for_db(&cfg.database(&args.db).map_err(CliError::new)?)
            .map_err(CliError::new)?;
        let storage = open_storage(&cfg, &args.db)?;
        let snaps = storage
            .list_snapshots()
            .await
            .map_err(|e| CliError::step("listing snapshots", e))?;
        Ok::<_, CliError>(ops::check_age(
            &snaps,
            generic.warningsnapage,
            generic.criticalsnapage,
            Utc::now(),
        ))
    };
    match attempt.await {
        Ok(check) => (check.state, check.line()),
        Err(e) => (
            NagiosState::Unknown,
            format!("{}: {}", NagiosState::Unknown, e.message.replace('\n', " ")),
        ),
    }
}

fn need_name<'a>(args: &'a Args, what: &str) -> Result<&'a str, CliError> {
    let action = args
        .action
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    args.name.as_deref().ok_or_else(|| {
        CliError::new(format!(
            "{action} needs the {what} name: {PROGRAM} {} {action} <{what}>",
            args.db
        ))
    })
}

fn json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::step("writing JSON", e))
}

async fn run(args: &Args) -> Result<i32, CliError> {
    if args.action == Action::Checkage {
        let (state, line) = checkage(args).await;
        println!("{line}");
        return Ok(state.exit_code());
    }
    let cfg = load_config(args.config.as_deref())?;
    let storage = open_storage(&cfg, &args.db)?;
    let h: &dyn SnapHandler = storage.as_ref();
    match args.action {
        Action::Create => {
            let name = snapshot_name(&args.db, Local::now());
            let id = h
                .create_snapshot(&name)
                .await
                .map_err(|e| CliError::step("creating snapshot", e))?;
            println!("Snapshot created: {id}");
        }
        Action::List => {
            let snaps = ops::list_sorted(h)
                .await
                .map_err(|e| CliError::step("listing snapshots", e))?;
            match args.format {
                Format::Text => snaps.iter().for_each(|s| println!("{}", s.list_line())),
                Format::Json => println!(
                    "{}",
                    json(&serde_json::json!({ "database": args.db, "snapshots": snaps }))?
                ),
            }
        }
        Action::Clone => {
            let snap = need_name(args, "snapshot")?;
            let clone_name = format!("{snap}_clone_{}", Local::now().format("%Y%m%dT%H%M%S"));
            let clone = h
                .clone_snapshot(snap, &clone_name)
                .await
                .map_err(|e| CliError::step(&format!("cloning snapshot {snap}"), e))?;
            print_clone(h, &clone.name, &clone.mount_point).await?;
        }
        Action::Listclones => {
            let clones = h
                .list_clones()
                .await
                .map_err(|e| CliError::step("listing clones", e))?;
            match args.format {
                Format::Text => clones.iter().for_each(|c| println!("{}", c.list_line())),
                Format::Json => println!(
                    "{}",
                    json(&serde_json::json!({ "database": args.db, "clones": clones }))?
                ),
            }
        }
        Action::Dropclone => {
            let clone = need_name(args, "clone")?;
            h.drop_clone(clone)
                .await
                .map_err(|e| CliError::step(&format!("dropping clone {clone}"), e))?;
            println!("Clone dropped.");
        }
        Action::Autoclone => {
            let (min_age, clone_name) = autoclone_settings(&cfg, &args.db)?;
            let (source, clone) = ops::autoclone(h, min_age, &clone_name, Utc::now())
                .await
                .map_err(|e| CliError::step("autoclone", e))?;
            println!("Source snapshot: {}", source.id);
            print_clone(h, &clone.name, &clone.mount_point).await?;
        }
        Action::Clean => {
            let db = cfg.database(&args.db).map_err(CliError::new)?;
            let policy = backupcore::config::DbSettings::load(&db)
                .map_err(CliError::new)?
                .retention;
            let now = args.at.unwrap_or_else(Utc::now);
            let report = ops::clean(h, policy, now, args.dry_run)
                .await
                .map_err(|e| CliError::step("listing snapshots", e))?;
            match args.format {
                Format::Text => report.entries.iter().for_each(|e| println!("{}", e.line())),
                Format::Json => println!(
                    "{}",
                    json(&serde_json::json!({
                        "database": args.db,
                        "dry_run": args.dry_run,
                        "policy": policy,
                        "entries": report.entries,
                    }))?
                ),
            }
            if report.any_failed() {
                let failed: Vec<String> = report
                    .entries
                    .iter()
                    .filter_map(|e| match &e.status {
                        ops::CleanStatus::DropFailed(why) => {
                            Some(format!("{} ({why})", e.snapshot.id))
                        }
                        _ => None,
                    })
                    .collect();
                return Err(CliError::new(format!(
                    "clean: dropping {} snapshot(s) failed: {}",
                    failed.len(),
                    failed.join("; ")
                )));
            }
        }
        // Answered above, before the configuration is loaded, so that every failure is UNKNOWN.
        Action::Checkage => {}
    }
    Ok(0)
}

fn autoclone_settings(cfg: &Config, db: &str) -> Result<(Duration, String), CliError> {
    let dbcfg = cfg.database(db).map_err(CliError::new)?;
    let min_age = match dbcfg
        .get_in("autorestore", "autorestoresnapage")
        .map_err(CliError::new)?
    {
        Some(v) => v.as_duration(TimeUnit::Hours).map_err(CliError::new)?,
        None => Duration::ZERO,
    };
    let name = dbcfg
        .get_in("autorestore", "autorestoreclonename")
        .map_err(CliError::new)?
        .map(|v| v.as_str().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "autorestore".to_string());
    Ok((min_age, name))
}

async fn print_clone(h: &dyn SnapHandler, name: &str, mount_point: &str) -> Result<(), CliError> {
    let mount = h
        .mount_string(name)
        .await
        .map_err(|e| CliError::step(&format!("looking up clone {name}"), e))?;
    println!("Clone created.");
    println!("Clone name: {name}");
    println!("Mount point: {mount_point}");
    if h.is_local() {
        // Local storage: the clone is a directory on this host, nothing to mount.
        println!("Local storage: the clone is the directory above, nothing to mount.");
    } else {
        println!("Mount command (execute as root and replace the mount directory):");
        println!(
            "mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 {mount} <mount_directory_here>"
        );
    }
    Ok(())
}

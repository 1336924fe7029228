//! `zvolume <db> create`: creates a new database's backup filesystem (volume) on the storage
//! system, as the original's `zvolume.py`.

use std::path::PathBuf;

use bins::{exit_with, init_stderr_logging, load_config, open_storage, CliError};
use clap::{Parser, ValueEnum};

const PROGRAM: &str = "zvolume";

#[derive(Parser, Debug)]
#[command(name = PROGRAM, about = "Creates a database's backup filesystem on the storage system")]
struct Args {
    /// Configuration file (default: env BACKUPCONFIG, else ./backup.cfg).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More messages on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// The database (its section in the configuration, its db_unique_name).
    db: String,
    /// What to do.
    #[arg(value_enum)]
    action: Action,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Action {
    /// Create the filesystem named after the database.
    Create,
}

fn main() {
    let args = Args::parse();
    init_stderr_logging(args.verbose);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::step("starting the async runtime", e))
        .and_then(|rt| rt.block_on(run(&args)));
    if let Err(e) = result {
        exit_with(PROGRAM, e);
    }
}

async fn run(args: &Args) -> Result<(), CliError> {
    let cfg = load_config(args.config.as_deref())?;
    let storage = open_storage(&cfg, &args.db)?;
    match args.action {
        Action::Create => {
            let fs = storage
                .create_volume()
                .await
                .map_err(|e| CliError::step(&format!("creating filesystem {}", args.db), e))?;
            let mount = storage
                .mount_string(&fs.name)
                .await
                .map_err(|e| CliError::step(&format!("looking up filesystem {}", fs.name), e))?;
            println!("Filesystem created: {}", fs.name);
            println!("Mount point: {}", fs.mount_point);
            println!("Mount string: {mount}");
        }
    }
    Ok(())
}

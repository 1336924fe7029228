//! Thin command-line programs: argument parsing and wiring only. What they share lives here:
//! loading the configuration, opening the configured storage backend, and printing one clear
//! error line.

use std::fmt::Display;
use std::path::Path;

use backupcore::config::{Config, GenericSettings, StorageKind};
use backupcore::snap::SnapHandler;

/// Exit code of a failed run (the original's).
pub const EXIT_FAILURE: i32 = 2;

/// A failure of a command: one line for stderr, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The line printed on stderr (after the program name).
    pub message: String,
    /// The exit code.
    pub code: i32,
}

impl CliError {
    /// A failure with the usual exit code 2.
    pub fn new(message: impl Display) -> Self {
        CliError {
            message: message.to_string(),
            code: EXIT_FAILURE,
        }
    }

    /// A failure of `step`: `"<step>: <error>"`.
    pub fn step(step: &str, err: impl Display) -> Self {
        Self::new(format!("{step}: {err}"))
    }
}

/// Prints `program: message` on stderr (one line) and exits with the error's code.
pub fn exit_with(program: &str, err: CliError) -> ! {
    let line = err.message.replace('\n', " ");
    eprintln!("{program}: {line}");
    std::process::exit(err.code)
}

/// Finds (`--config`, `BACKUPCONFIG`, `./backup.cfg`) and loads the configuration.
pub fn load_config(cli: Option<&Path>) -> Result<Config, CliError> {
    let path = backupcore::config::discover(cli).map_err(CliError::new)?;
    Config::load(&path).map_err(CliError::new)
}

/// Sends warnings and errors of the libraries to stderr (`-v` for info, `-vv` for debug).
pub fn init_stderr_logging(verbosity: u8) {
    let level = match verbosity {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Opens the storage backend configured for database `db`, printing its warnings (e.g. TLS
/// verification off) on stderr.
pub fn open_storage(cfg: &Config, db: &str) -> Result<Box<dyn SnapHandler>, CliError> {
    let (handler, warnings) = open_storage_with_warnings(cfg, db)?;
    for w in warnings {
        eprintln!("WARNING: {w}");
    }
    Ok(handler)
}

/// Opens the storage backend configured for database `db` and returns its warnings (e.g. TLS
/// verification off) for the caller to print, once per fleet rather than per database.
pub fn open_storage_with_warnings(
    cfg: &Config,
    db: &str,
) -> Result<(Box<dyn SnapHandler>, Vec<String>), CliError> {
    let dbcfg = cfg.database(db).map_err(CliError::new)?;
    let generic = GenericSettings::for_db(&dbcfg).map_err(CliError::new)?;
    match generic.storage {
        StorageKind::Zfssa => {
            let handler = snapper_zfssa::Zfssa::open(cfg, db).map_err(CliError::new)?;
            let warnings = handler.warnings().iter().map(|w| w.to_string()).collect();
            Ok((Box::new(handler), warnings))
        }
        StorageKind::Reflink | StorageKind::Btrfs => {
            let handler = snapper_local::LocalSnapper::open(cfg, db).map_err(CliError::new)?;
            Ok((Box::new(handler), Vec::new()))
        }
        StorageKind::Netapp => {
            let handler = snapper_netapp::Ontap::open(cfg, db).map_err(CliError::new)?;
            let warnings = handler.warnings().iter().map(|w| w.to_string()).collect();
            Ok((Box::new(handler), warnings))
        }
    }
}

/// Reports of `dbfverify`: text, JSON, set problems.
pub mod verify_output;

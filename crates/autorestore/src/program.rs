//! What the `autorestore` program does around each restore test, apart from argument
//! parsing: which databases, their settings from `backup.cfg`, the validation decision,
//! opening the catalog, the ADR purge after a test.

use std::path::{Path, PathBuf};

use backupcore::config::{AutorestoreSettings, Config, ConfigError, DbSettings, GenericSettings};
use chrono::NaiveDate;
use rman::runner::{OracleEnv, Runner, Script};

use crate::catalog::sqlite::SqliteCatalog;
use crate::catalog::{Catalog, CatalogError, CatalogUrl};
use crate::flow::RestoreSettings;
use crate::validation;

/// The safety text printed, with exit code 3, unless `AUTORESTORE_SAFE_SANDBOX=TRUE`.
pub const SANDBOX_WARNING: &str = "THIS AUTORESTORE PROCESS CAN BE VERY DANGEROUS IF THIS HOST HAS ACCESS TO PRODUCTION DATABASE FILESYSTEM/STORAGE.
THE RESTORE PROCESS CAN OVERWRITE OR DELETE FILES ON THEIR ORIGINAL CONTROL FILE LOCATIONS!
RUN IT ONLY ON A HOST THAT IS COMPLETELY SANDBOXED FROM PRODUCTION DATABASE ENVIRONMENT.
TO CONTINUE, SET ENVIRONMENT VARIABLE AUTORESTORE_SAFE_SANDBOX TO VALUE TRUE (CASE SENSITIVE).";

/// The environment variable that confirms the host is a sandbox.
pub const SANDBOX_ENV: &str = "AUTORESTORE_SAFE_SANDBOX";

/// Whether the value of [`SANDBOX_ENV`] allows running (exactly `TRUE`).
pub fn sandbox_confirmed(value: Option<&str>) -> bool {
    value == Some("TRUE")
}

/// Which databases a run covers: every database section with `autorestoreenabled`, or only
/// `db`, or all but `!db`. A named database that is not a section is an error; a named one
/// with autorestore disabled too (say so rather than do nothing).
pub fn databases(cfg: &Config, selector: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let enabled = |db: &str| -> Result<bool, ConfigError> {
        Ok(DbSettings::load(&cfg.database(db)?)?.autorestoreenabled)
    };
    match selector {
        None => {
            let mut out = Vec::new();
            for db in cfg.databases() {
                if enabled(db)? {
                    out.push(db.to_string());
                }
            }
            Ok(out)
        }
        Some(s) if s.starts_with('!') => {
            let skip = &s[1..];
            cfg.database(skip)?;
            let mut out = Vec::new();
            for db in cfg.databases() {
                if db != skip && enabled(db)? {
                    out.push(db.to_string());
                }
            }
            Ok(out)
        }
        Some(db) => {
            let dbcfg = cfg.database(db)?;
            if !DbSettings::load(&dbcfg)?.autorestoreenabled {
                let v = dbcfg.require("autorestoreenabled")?;
                return Err(v.invalid("autorestore is disabled for this database"));
            }
            Ok(vec![db.to_string()])
        }
    }
}

/// A database's restore test as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbRestore {
    /// The flow's settings.
    pub settings: RestoreSettings,
    /// The Oracle tools of the sandbox (`ORACLE_SID` set to the database name).
    pub oracle: OracleEnv,
    /// `[generic] logretention`, in days, for the ADR purge.
    pub logretention_days: u32,
    /// Why blocks are (not) validated this time, for the log.
    pub validation_note: String,
}

/// Reads a database's restore-test settings. `today` (UTC) and `roll` (a number in
/// `1..=autorestorevalidatechance`) decide validation; `logfile` is this run's log.
pub fn restore_settings(
    cfg: &Config,
    db: &str,
    logfile: &Path,
    today: NaiveDate,
    roll: u32,
) -> Result<DbRestore, ConfigError> {
    let dbcfg = cfg.database(db)?;
    let generic = GenericSettings::for_db(&dbcfg)?;
    let dbs = DbSettings::load(&dbcfg)?;
    let ar = AutorestoreSettings::for_db(&dbcfg)?;
    let oracle_home = match &generic.oraclehome {
        Some(h) => h.clone(),
        None => {
            return Err(ConfigError::Missing {
                file: cfg.path().to_path_buf(),
                section: "generic".to_string(),
                key: "oraclehome".to_string(),
                hint: "; or set ORACLE_HOME".to_string(),
            })
        }
    };
    let hash_name = dbs
        .stringforvalidationmod
        .clone()
        .unwrap_or_else(|| db.to_string());
    let validate = validation::validate_now(&hash_name, ar.modulus, ar.validatechance, today, roll);
    let validation_note = match validation::validation_day(&hash_name, ar.modulus, today) {
        Some(d) if d.today => "blocks are validated today (autorestoremodulus)".to_string(),
        Some(d) => format!(
            "next block validation in {} day{}: {}",
            d.days_to_next,
            if d.days_to_next == 1 { "" } else { "s" },
            d.next
        ),
        None if ar.validatechance > 0 => format!(
            "block validation by chance (1/{}): {}",
            ar.validatechance,
            if validate {
                "this time"
            } else {
                "not this time"
            }
        ),
        None => "block validation is off".to_string(),
    };
    let mut oracle = OracleEnv::new(oracle_home).with_sid(db);
    if let Some(t) = &generic.tnsadmin {
        oracle = oracle.with_tns_admin(t);
    }
    Ok(DbRestore {
        settings: RestoreSettings {
            mode: crate::flow::Mode::Test,
            database: db.to_string(),
            dbid: dbs.dbid,
            destination: ar.destination,
            mountpoint: ar.mountpoint,
            clonename: ar.clonename,
            snapage: ar.snapage,
            logdir: ar.logdir,
            logfile: logfile.to_path_buf(),
            maxtolerance: ar.maxtolerance,
            customverifydate: dbs.customverifydate,
            thread: dbs.autorestorethread,
            instance_number: dbs.autorestoreinstancenumber,
            sga_size: ar.sga_size,
            pga_size: ar.pga_size,
            validate,
        },
        oracle,
        logretention_days: u32::try_from(generic.logretention.as_secs() / 86_400)
            .unwrap_or(u32::MAX),
        validation_note,
    })
}

/// `<logdir>/<YYYYMMDDTHHMMSS>-<db>.log`, the original's restore log name (local time).
pub fn log_path(logdir: &Path, db: &str, now: chrono::NaiveDateTime) -> PathBuf {
    logdir.join(format!("{}-{db}.log", now.format("%Y%m%dT%H%M%S")))
}

/// Why the catalog named in `backup.cfg` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogConfigError {
    /// Reading `autorestorecatalog` failed (e.g. a lone `%`: write `%%` in the file).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Its value is not a catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// The catalog named by `[autorestore] autorestorecatalog` (`None` when not set). Like every
/// value of `backup.cfg`, a `%` in it (URL-encoded passwords) is written `%%`.
pub fn catalog_url(cfg: &Config) -> Result<Option<CatalogUrl>, CatalogConfigError> {
    let Some(value) = cfg.get("autorestore", "autorestorecatalog")? else {
        return Ok(None);
    };
    let text = value.as_str().to_string();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(CatalogUrl::parse(&text, cfg.dir())?))
}

/// Opens the catalog. The original's Oracle schema is reached with the `sqlplus` and
/// `sqlldr` of `[generic] oraclehome` (and `tnsadmin`); `createcatalog` spools into
/// `<autorestorelogdir>/<time>-config.log`.
pub fn open_catalog(
    url: &CatalogUrl,
    cfg: &Config,
) -> Result<Box<dyn Catalog>, CatalogConfigError> {
    match url {
        CatalogUrl::Sqlite(path) => Ok(Box::new(SqliteCatalog::new(path))),
        CatalogUrl::Postgres(u) => Ok(postgres_catalog(u)?),
        CatalogUrl::Oracle(connect) => {
            let generic = GenericSettings::for_file(cfg)?;
            let home = generic.oraclehome.ok_or_else(|| ConfigError::Missing {
                file: cfg.path().to_path_buf(),
                section: "generic".to_string(),
                key: "oraclehome".to_string(),
                hint: "; the Oracle catalog is reached with its sqlplus and sqlldr".to_string(),
            })?;
            let mut env = OracleEnv::new(home);
            if let Some(t) = generic.tnsadmin {
                env = env.with_tns_admin(t);
            }
            let logdir = cfg
                .get("autorestore", "autorestorelogdir")?
                .map(|v| v.as_path())
                .transpose()?
                .unwrap_or_else(std::env::temp_dir);
            let logfile = logdir.join(format!(
                "{}-config.log",
                chrono::Local::now().format("%Y%m%dT%H%M%S")
            ));
            let templates =
                rman::template::TemplateSet::load(rman::template::TemplateKind::Restore, cfg.dir())
                    .map_err(|e| CatalogError::BadUrl {
                        value: url.display(),
                        why: e.to_string(),
                    })?;
            Ok(Box::new(crate::catalog::oracle::OracleCatalog::new(
                connect,
                std::sync::Arc::new(rman::runner::ProcessRunner::new(env)),
                templates,
                logfile,
            )))
        }
    }
}

fn postgres_catalog(u: &str) -> Result<Box<dyn Catalog>, CatalogError> {
    Ok(Box::new(crate::catalog::postgres::PostgresCatalog::new(u)?))
}

/// Purges ADR files older than `days` under `logdir` (the restore instance's
/// `diagnostic_dest`) with adrci: `show homes`, then `set home` + `purge -age` for each.
pub fn purge_adr(runner: &dyn Runner, logdir: &Path, days: u32) -> Result<usize, String> {
    let base = format!("set base {}\n", logdir.display());
    let homes = runner
        .adrci(&Script::adrci(
            "adrci show homes",
            format!("{base}show homes\n"),
        ))
        .map_err(|e| e.to_string())?;
    let mut script = base;
    let mut n = 0;
    let mut reading = false;
    for line in homes.text.lines() {
        if line.starts_with("ADR Homes:") {
            reading = true;
        } else if reading && !line.trim().is_empty() {
            script.push_str(&format!(
                "set home {}\npurge -age {}\n",
                line.trim(),
                u64::from(days) * 1440
            ));
            n += 1;
        }
    }
    if n > 0 {
        runner
            .adrci(&Script::adrci("adrci purge", script))
            .map_err(|e| e.to_string())?;
    }
    Ok(n)
}

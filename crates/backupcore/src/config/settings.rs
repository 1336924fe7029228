//! Typed settings read from a [`Config`], with the original's defaults.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{Config, ConfigError, DbConfig, TimeUnit, Value};
use crate::retention::Policy;

/// Which storage system keeps the snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// Oracle ZFS Storage Appliance over its REST API.
    Zfssa,
    /// NetApp ONTAP over its REST API.
    Netapp,
    /// A local directory; snapshots are reflink copies (the embedded default).
    Reflink,
    /// A local btrfs subvolume; snapshots are btrfs snapshots.
    Btrfs,
}

impl StorageKind {
    /// The name used in `storage:` and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Zfssa => "zfssa",
            StorageKind::Netapp => "netapp",
            StorageKind::Reflink => "reflink",
            StorageKind::Btrfs => "btrfs",
        }
    }

    fn parse(name: &str) -> Option<StorageKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "zfssa" => Some(StorageKind::Zfssa),
            "netapp" => Some(StorageKind::Netapp),
            "reflink" | "local" => Some(StorageKind::Reflink),
            "btrfs" => Some(StorageKind::Btrfs),
            _ => None,
        }
    }
}

impl fmt::Display for StorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const SUPPORTED_STORAGE: &str = "zfssa, netapp, reflink, btrfs";

/// Looks up `[section] key`, for one database (override rule) or for the whole file.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Db(DbConfig<'a>),
    File(&'a Config),
}

impl<'a> Scope<'a> {
    fn get(&self, section: &str, key: &str) -> Result<Option<Value<'a>>, ConfigError> {
        match self {
            Scope::Db(db) => db.get_in(section, key),
            Scope::File(cfg) => cfg.get(section, key),
        }
    }

    fn require(&self, section: &str, key: &str) -> Result<Value<'a>, ConfigError> {
        match self {
            Scope::Db(db) => db.require_in(section, key),
            Scope::File(cfg) => cfg.require(section, key),
        }
    }

    fn string(&self, section: &str, key: &str) -> Result<Option<String>, ConfigError> {
        Ok(self
            .get(section, key)?
            .map(|v| v.as_str().to_string())
            .filter(|s| !s.is_empty()))
    }

    fn duration(
        &self,
        section: &str,
        key: &str,
        unit: TimeUnit,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        self.get(section, key)?
            .map_or(Ok(default), |v| v.as_duration(unit))
    }

    fn path(&self, section: &str, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        match self.get(section, key)? {
            Some(v) if !v.as_str().is_empty() => v.as_path().map(Some),
            _ => Ok(None),
        }
    }
}

/// `[generic]` settings (each overridable per database as `generic<key>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericSettings {
    /// `backupdest`: root of the backup areas; a database's is `<backupdest>/<db>`.
    pub backupdest: PathBuf,
    /// `logretention` (days, default 20): run logs older than this are removed.
    pub logretention: Duration,
    /// `tnsadmin`: directory with `tnsnames.ora`/`sqlnet.ora`, relative to the config file.
    pub tnsadmin: Option<PathBuf>,
    /// `osuser`: the OS user that runs the backups.
    pub osuser: Option<String>,
    /// `oraclehome` (default: env `ORACLE_HOME`).
    pub oraclehome: Option<PathBuf>,
    /// `maxlockwait` (minutes, default 30): how long to wait for a database's lock.
    pub maxlockwait: Duration,
    /// `warningsnapage` (hours, default 26): newest snapshot older than this is WARNING.
    pub warningsnapage: Duration,
    /// `criticalsnapage` (hours, default 32): newest snapshot older than this is CRITICAL.
    pub criticalsnapage: Duration,
    /// `storage` (or the original's `snappermodule`/`snapperclass`; default reflink).
    pub storage: StorageKind,
}

impl GenericSettings {
    /// Settings as seen by one database (its `generic<key>` overrides applied).
    pub fn for_db(db: &DbConfig<'_>) -> Result<GenericSettings, ConfigError> {
        Self::load(Scope::Db(*db))
    }

    /// Settings of the file as a whole (no database overrides).
    pub fn for_file(cfg: &Config) -> Result<GenericSettings, ConfigError> {
        Self::load(Scope::File(cfg))
    }

    fn load(s: Scope<'_>) -> Result<GenericSettings, ConfigError> {
        const G: &str = "generic";
        let backupdest = s.require(G, "backupdest")?.as_path()?;
        let warningsnapage = s.duration(
            G,
            "warningsnapage",
            TimeUnit::Hours,
            Duration::from_secs(26 * 3600),
        )?;
        let criticalsnapage = s.duration(
            G,
            "criticalsnapage",
            TimeUnit::Hours,
            Duration::from_secs(32 * 3600),
        )?;
        if criticalsnapage < warningsnapage {
            if let Some(v) = s.get(G, "criticalsnapage")? {
                return Err(v.invalid("must not be less than warningsnapage"));
            }
        }
        Ok(GenericSettings {
            backupdest,
            logretention: s.duration(G, "logretention", TimeUnit::Days, days(20))?,
            tnsadmin: s.path(G, "tnsadmin")?,
            osuser: s.string(G, "osuser")?,
            oraclehome: s.path(G, "oraclehome")?,
            maxlockwait: s.duration(G, "maxlockwait", TimeUnit::Minutes, minutes(30))?,
            warningsnapage,
            criticalsnapage,
            storage: storage_kind(s)?,
        })
    }

    /// The backup area of a database: `<backupdest>/<db>`.
    pub fn backup_area(&self, db: &str) -> PathBuf {
        self.backupdest.join(db)
    }
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86400)
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn storage_kind(s: Scope<'_>) -> Result<StorageKind, ConfigError> {
    let explicit = match s.get("generic", "storage")? {
        Some(v) => Some(StorageKind::parse(v.as_str()).ok_or_else(|| {
            v.invalid(format!("unknown storage; supported: {SUPPORTED_STORAGE}"))
        })?),
        None => None,
    };
    let module = match s.get("generic", "snappermodule")? {
        Some(v) => Some(match v.as_str().to_ascii_lowercase().as_str() {
            "zfssa" => StorageKind::Zfssa,
            "netapp" => StorageKind::Netapp,
            "softnas" => {
                return Err(v.invalid(format!(
                    "SoftNAS is not supported; supported storage: {SUPPORTED_STORAGE}"
                )))
            }
            other => StorageKind::parse(other).ok_or_else(|| {
                v.invalid(format!(
                    "unknown snapper module; supported storage: {SUPPORTED_STORAGE}"
                ))
            })?,
        }),
        None => None,
    };
    if let Some(v) = s.get("generic", "snapperclass")? {
        let known = ["zfssa", "netapp", "reflink", "btrfs"];
        if !known.contains(&v.as_str().to_ascii_lowercase().as_str()) {
            return Err(v.invalid(format!(
                "unknown snapper class; supported storage: {SUPPORTED_STORAGE}"
            )));
        }
    }
    match (explicit, module) {
        (Some(a), Some(b)) if a != b => {
            let v = s.require("generic", "storage")?;
            Err(v.invalid(format!(
                "contradicts snappermodule ({b}); keep one of the two"
            )))
        }
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Ok(StorageKind::Reflink),
    }
}

/// One database's settings (its section of `backup.cfg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSettings {
    /// The section name: the database's `db_unique_name`.
    pub name: String,
    /// `dbid` (required).
    pub dbid: u64,
    /// `recoverywindow` (required): days of archivelogs kept on disk.
    pub recoverywindow: u32,
    /// `parallel` (required, at least 1): RMAN channels.
    pub parallel: u32,
    /// `snapexpirationdays` (required) and `snapexpirationmonths` (default 0).
    pub retention: Policy,
    /// `registercatalog` (default false).
    pub registercatalog: bool,
    /// `hasdataguard` (default false).
    pub hasdataguard: bool,
    /// `dosnapshot` (default true).
    pub dosnapshot: bool,
    /// `gimanaged` (default true): the database is managed by Grid Infrastructure.
    pub gimanaged: bool,
    /// `backupjobenabled` (default true).
    pub backupjobenabled: bool,
    /// `schedulebackup` (default `FREQ=DAILY`): DBMS_SCHEDULER calendar expression.
    pub schedulebackup: String,
    /// `schedulearchlog` (default `FREQ=HOURLY;INTERVAL=6`).
    pub schedulearchlog: String,
    /// `[rman] sectionsize` (per database `rmansectionsize`); `None` when empty.
    pub sectionsize: Option<String>,
    /// `[rman] catalog` (per database `rmancatalog`): RMAN catalog connect string.
    pub catalog: Option<String>,
    /// `customverifydate`: query returning the time a restored copy reached.
    pub customverifydate: String,
    /// `autorestoreenabled` (default true).
    pub autorestoreenabled: bool,
    /// `autorestorethread` (default 1).
    pub autorestorethread: u32,
    /// `autorestoreinstancenumber` (default 1).
    pub autorestoreinstancenumber: u32,
    /// `stringforvalidationmod`: hashed instead of the name to pick validation days.
    pub stringforvalidationmod: Option<String>,
    /// `additionalvolumesuffixes` (NetApp): extra volumes `<prefix><db><suffix>`.
    pub additionalvolumesuffixes: Vec<String>,
}

impl DbSettings {
    /// Reads and checks every key of one database.
    pub fn load(db: &DbConfig<'_>) -> Result<DbSettings, ConfigError> {
        let bool_key = |k: &str| db.require(k).and_then(|v| v.as_bool());
        let string_key = |k: &str| db.require(k).map(|v| v.as_str().to_string());
        let s = Scope::Db(*db);
        Ok(DbSettings {
            name: db.name().to_string(),
            dbid: db.require("dbid")?.as_u64()?,
            recoverywindow: db.require("recoverywindow")?.as_u32()?,
            parallel: db.require("parallel")?.as_positive()?,
            retention: Policy {
                days: db.require("snapexpirationdays")?.as_u32()?,
                months: db.require("snapexpirationmonths")?.as_u32()?,
            },
            registercatalog: bool_key("registercatalog")?,
            hasdataguard: bool_key("hasdataguard")?,
            dosnapshot: bool_key("dosnapshot")?,
            gimanaged: bool_key("gimanaged")?,
            backupjobenabled: bool_key("backupjobenabled")?,
            schedulebackup: string_key("schedulebackup")?,
            schedulearchlog: string_key("schedulearchlog")?,
            sectionsize: s.string("rman", "sectionsize")?,
            catalog: s.string("rman", "catalog")?,
            customverifydate: string_key("customverifydate")?,
            autorestoreenabled: bool_key("autorestoreenabled")?,
            autorestorethread: db.require("autorestorethread")?.as_positive()?,
            autorestoreinstancenumber: db.require("autorestoreinstancenumber")?.as_positive()?,
            stringforvalidationmod: db
                .get("stringforvalidationmod")?
                .map(|v| v.as_str().to_string()),
            additionalvolumesuffixes: db
                .get("additionalvolumesuffixes")?
                .map(|v| v.as_list())
                .unwrap_or_default(),
        })
    }
}

/// `[autorestore]` settings for one database (each overridable as `autorestore<key>` in the
/// database section, by the original's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutorestoreSettings {
    /// `autorestoredestination` (required): emptied before every restore test.
    pub destination: PathBuf,
    /// `autorestoreclonename` (default `autorestore`).
    pub clonename: String,
    /// `autorestoremountpoint`: where the clone is mounted (none for local storage).
    pub mountpoint: Option<PathBuf>,
    /// `autorestoresnapage` (hours, default 0): newest snapshot at least this old is used.
    pub snapage: Duration,
    /// `autorestorelogdir` (required).
    pub logdir: PathBuf,
    /// `autorestoremaxtoleranceminutes` (default 5).
    pub maxtolerance: Duration,
    /// `autorestorecatalog`: `sqlite:<path>`, `postgres://...` or an Oracle connect string.
    pub catalog: Option<String>,
    /// `autorestorevalidatechance` (default 0 = never by chance).
    pub validatechance: u32,
    /// `autorestoremodulus` (default 0 = never by modulus).
    pub modulus: u32,
    /// `sga_size` of the restore instance.
    pub sga_size: Option<String>,
    /// `pga_size` of the restore instance.
    pub pga_size: Option<String>,
    /// `autorestoresteptimeout` (minutes, or with a unit suffix; default none, `0` none): an
    /// RMAN or SQL*Plus call of a restore test running longer is killed, the step fails and
    /// the clean-up runs, so a hung restore cannot hold the host's lock for ever.
    pub steptimeout: Option<Duration>,
}

impl AutorestoreSettings {
    /// Reads `[autorestore]` for one database.
    pub fn for_db(db: &DbConfig<'_>) -> Result<AutorestoreSettings, ConfigError> {
        const A: &str = "autorestore";
        let s = Scope::Db(*db);
        let number =
            |k: &str| -> Result<u32, ConfigError> { s.get(A, k)?.map_or(Ok(0), |v| v.as_u32()) };
        Ok(AutorestoreSettings {
            destination: s.require(A, "autorestoredestination")?.as_path()?,
            clonename: s
                .string(A, "autorestoreclonename")?
                .unwrap_or_else(|| "autorestore".to_string()),
            mountpoint: s.path(A, "autorestoremountpoint")?,
            snapage: s.duration(A, "autorestoresnapage", TimeUnit::Hours, Duration::ZERO)?,
            logdir: s.require(A, "autorestorelogdir")?.as_path()?,
            maxtolerance: s.duration(
                A,
                "autorestoremaxtoleranceminutes",
                TimeUnit::Minutes,
                minutes(5),
            )?,
            catalog: s.string(A, "autorestorecatalog")?,
            validatechance: number("autorestorevalidatechance")?,
            modulus: number("autorestoremodulus")?,
            sga_size: s.string(A, "sga_size")?,
            pga_size: s.string(A, "pga_size")?,
            steptimeout: Some(s.duration(
                A,
                "autorestoresteptimeout",
                TimeUnit::Minutes,
                Duration::ZERO,
            )?)
            .filter(|d| !d.is_zero()),
        })
    }
}

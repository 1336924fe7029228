//! The original tool's `backup.cfg`, loaded unchanged.
//!
//! * [`Config::load`] reads the file with Python 2.7 `SafeConfigParser` rules ([`ini`]), with the
//!   original defaults ([`ORIGINAL_DEFAULTS`]) and `oraclehome` from env `ORACLE_HOME`.
//! * [`discover`] finds the file: `--config`, else env `BACKUPCONFIG`, else `./backup.cfg`.
//! * [`Config::databases`] lists database sections: every section that is not one of
//!   [`RESERVED_SECTIONS`].
//! * [`DbConfig`] reads keys for one database with the original override rule: inside a
//!   database section a key `<section><key>` overrides `[section] key` for that database
//!   (e.g. `genericoraclehome`, `zfssapool`).
//! * Typed accessors ([`Value`]) give errors that name file, section, key and the bad value.
//! * [`settings`] turns all of it into typed settings structs.

pub mod credentials;
pub mod ini;
pub mod settings;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use settings::{AutorestoreSettings, DbSettings, GenericSettings, StorageKind};

/// Sections that are not databases. `reflink`, `btrfs` and `local` hold settings of the local
/// storage backends.
pub const RESERVED_SECTIONS: &[&str] = &[
    "generic",
    "rman",
    "zfssa",
    "netapp",
    "softnas",
    "autorestore",
    "reflink",
    "btrfs",
    "local",
];

/// The original tool's built-in defaults, visible in every section (as `[DEFAULT]` entries).
/// The last four are the defaults the original's autorestore and restore added.
pub const ORIGINAL_DEFAULTS: &[(&str, &str)] = &[
    ("registercatalog", "false"),
    ("hasdataguard", "false"),
    ("dosnapshot", "true"),
    ("gimanaged", "true"),
    ("schedulebackup", "FREQ=DAILY"),
    ("schedulearchlog", "FREQ=HOURLY;INTERVAL=6"),
    ("snapexpirationmonths", "0"),
    ("backupjobenabled", "true"),
    ("sectionsize", ""),
    (
        "customverifydate",
        "select max(time_dp) from sys.smon_scn_time",
    ),
    ("autorestoreenabled", "1"),
    ("autorestoreinstancenumber", "1"),
    ("autorestorethread", "1"),
];

/// Name of the file looked for in the current directory when neither `--config` nor
/// `BACKUPCONFIG` names one.
pub const DEFAULT_CONFIG_NAME: &str = "backup.cfg";

/// Everything that can be wrong with a configuration. Each message is one line naming the
/// file, and where it applies the section, key and value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file does not exist.
    #[error("configuration file {} not found ({how})", path.display())]
    NotFound {
        /// The path looked at.
        path: PathBuf,
        /// How the path was chosen (`given by --config`, ...).
        how: &'static str,
    },
    /// The file exists but cannot be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line that is not INI.
    #[error("{}:{line}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A database name with no section.
    #[error("{}: no database section [{name}] (databases in this file: {known})", file.display())]
    UnknownDatabase {
        /// The file.
        file: PathBuf,
        /// The name asked for.
        name: String,
        /// Comma-separated database sections of the file.
        known: String,
    },
    /// A required key is absent.
    #[error("{}: [{section}] {key}: required key is missing{hint}", file.display())]
    Missing {
        /// The file.
        file: PathBuf,
        /// The section it must be in.
        section: String,
        /// The key.
        key: String,
        /// Extra help (starts with `; ` when set).
        hint: String,
    },
    /// A value of the wrong shape.
    #[error("{}: [{section}] {key} = '{value}': {expected}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The section the value came from.
        section: String,
        /// The key as written (e.g. `zfssapool` for an override).
        key: String,
        /// The offending value.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A `%(name)s` reference that cannot be resolved.
    #[error("{}: [{section}] {key}: {message}", file.display())]
    Interpolation {
        /// The file.
        file: PathBuf,
        /// The section.
        section: String,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Where the configuration file is: `cli` (`--config`), else `backupconfig` (env
/// `BACKUPCONFIG`), else `<cwd>/backup.cfg`. Relative paths are relative to `cwd`.
/// The file must exist.
pub fn discover_in(
    cli: Option<&Path>,
    backupconfig: Option<OsString>,
    cwd: &Path,
) -> Result<PathBuf, ConfigError> {
    let (path, how) = match (cli, backupconfig.filter(|v| !v.is_empty())) {
        (Some(p), _) => (cwd.join(p), "given by --config"),
        (None, Some(env)) => (cwd.join(env), "given by environment variable BACKUPCONFIG"),
        (None, None) => (
            cwd.join(DEFAULT_CONFIG_NAME),
            "no --config and no BACKUPCONFIG, so ./backup.cfg",
        ),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(ConfigError::NotFound { path, how })
    }
}

/// [`discover_in`] with the process's environment and current directory.
pub fn discover(cli: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let cwd = std::env::current_dir().map_err(|source| ConfigError::Read {
        path: PathBuf::from("."),
        source,
    })?;
    discover_in(cli, std::env::var_os("BACKUPCONFIG"), &cwd)
}

/// A loaded `backup.cfg`.
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    dir: PathBuf,
    ini: ini::Ini,
}

impl Config {
    /// Loads `path`, taking `oraclehome`'s default from env `ORACLE_HOME`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::load_with(path, std::env::var("ORACLE_HOME").ok().as_deref())
    }

    /// Loads `path` with an explicit `ORACLE_HOME` default (for tests and embedding).
    pub fn load_with(path: &Path, oracle_home: Option<&str>) -> Result<Config, ConfigError> {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| ConfigError::Syntax {
                file: path.to_path_buf(),
                line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
                message: "not valid UTF-8 text".to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::NotFound {
                    path: path.to_path_buf(),
                    how: "file does not exist",
                })
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Self::from_str_at(&text, path, oracle_home)
    }

    /// Parses `text` as if read from `path` (whose directory anchors relative paths).
    pub fn from_str_at(
        text: &str,
        path: &Path,
        oracle_home: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let mut ini = ini::Ini::parse(text).map_err(|e| ConfigError::Syntax {
            file: path.to_path_buf(),
            line: e.line,
            message: e.message,
        })?;
        for (k, v) in ORIGINAL_DEFAULTS {
            ini.add_default(k, v);
        }
        if let Some(home) = oracle_home.filter(|h| !h.is_empty()) {
            ini.add_default("oraclehome", home);
        }
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Config { path, dir, ini })
    }

    /// The file this was loaded from (absolute).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's directory: relative paths in the config and the credentials and template
    /// files are found here.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parsed INI.
    pub fn ini(&self) -> &ini::Ini {
        &self.ini
    }

    /// Database sections, in file order.
    pub fn databases(&self) -> Vec<&str> {
        self.ini
            .section_names()
            .filter(|s| !RESERVED_SECTIONS.contains(s))
            .collect()
    }

    /// The view of one database. Errors if the file has no such database section.
    pub fn database<'a>(&'a self, name: &'a str) -> Result<DbConfig<'a>, ConfigError> {
        if self.ini.has_section(name) && !RESERVED_SECTIONS.contains(&name) {
            Ok(DbConfig { cfg: self, name })
        } else {
            Err(ConfigError::UnknownDatabase {
                file: self.path.clone(),
                name: name.to_string(),
                known: self.databases().join(", "),
            })
        }
    }

    /// `[section] key` (with `[DEFAULT]` fallback), interpolated; `Ok(None)` when absent.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<Value<'_>>, ConfigError> {
        self.value_at(section, key)
    }

    /// Like [`Config::get`] but an absent key is a [`ConfigError::Missing`].
    pub fn require(&self, section: &str, key: &str) -> Result<Value<'_>, ConfigError> {
        self.get(section, key)?
            .ok_or_else(|| self.missing(section, key))
    }

    /// A path relative to the config's directory made absolute (absolute paths unchanged).
    pub fn resolve_path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    fn value_at(&self, section: &str, key: &str) -> Result<Option<Value<'_>>, ConfigError> {
        let key = key.to_ascii_lowercase();
        match self.ini.get(section, &key) {
            None => Ok(None),
            Some(Ok(text)) => Ok(Some(Value {
                cfg: self,
                section: section.to_string(),
                key,
                text,
            })),
            Some(Err(e)) => Err(ConfigError::Interpolation {
                file: self.path.clone(),
                section: section.to_string(),
                key,
                message: e.0,
            }),
        }
    }

    fn missing(&self, section: &str, key: &str) -> ConfigError {
        ConfigError::Missing {
            file: self.path.clone(),
            section: section.to_string(),
            key: key.to_ascii_lowercase(),
            hint: String::new(),
        }
    }
}

/// One database's view of the config: the original's `Configuration.get(key, section)`.
#[derive(Debug, Clone, Copy)]
pub struct DbConfig<'a> {
    cfg: &'a Config,
    name: &'a str,
}

impl<'a> DbConfig<'a> {
    /// The database (section) name, i.e. its `db_unique_name`.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The whole config.
    pub fn config(&self) -> &'a Config {
        self.cfg
    }

    /// A key of the database section itself (with `[DEFAULT]` fallback).
    pub fn get(&self, key: &str) -> Result<Option<Value<'a>>, ConfigError> {
        self.cfg.value_at(self.name, key)
    }

    /// A required key of the database section.
    pub fn require(&self, key: &str) -> Result<Value<'a>, ConfigError> {
        self.get(key)?
            .ok_or_else(|| self.cfg.missing(self.name, key))
    }

    /// `[section] key` for this database: `<section><key>` in the database section wins
    /// (e.g. `zfssapool` over `[zfssa] pool`), then `[section] key`, then `[DEFAULT]`.
    pub fn get_in(&self, section: &str, key: &str) -> Result<Option<Value<'a>>, ConfigError> {
        let override_key = format!("{section}{key}").to_ascii_lowercase();
        if self
            .cfg
            .ini
            .section(self.name)
            .and_then(|s| s.get(&override_key))
            .is_some()
        {
            return self.cfg.value_at(self.name, &override_key);
        }
        self.cfg.value_at(section, key)
    }

    /// Like [`DbConfig::get_in`], absent is an error naming `[section] key` and the override.
    pub fn require_in(&self, section: &str, key: &str) -> Result<Value<'a>, ConfigError> {
        self.get_in(section, key)?
            .ok_or_else(|| ConfigError::Missing {
                file: self.cfg.path.clone(),
                section: section.to_string(),
                key: key.to_ascii_lowercase(),
                hint: format!("; set it there or as {section}{key} in [{}]", self.name),
            })
    }
}

/// A value read from the config, remembering where it came from so errors can say.
#[derive(Clone)]
pub struct Value<'a> {
    cfg: &'a Config,
    /// The section it was found in (or asked of, when it came from `[DEFAULT]`).
    pub section: String,
    /// The key as stored (lower-case).
    pub key: String,
    /// The interpolated text.
    pub text: String,
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {} = {:?}", self.section, self.key, self.text)
    }
}

impl Value<'_> {
    /// The text, trimmed.
    pub fn as_str(&self) -> &str {
        self.text.trim()
    }

    /// An error saying this value is not what was expected.
    pub fn invalid(&self, expected: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.cfg.path.clone(),
            section: self.section.clone(),
            key: self.key.clone(),
            value: self.text.clone(),
            expected: expected.into(),
        }
    }

    /// `true/false`, `yes/no`, `on/off`, `1/0`, any case.
    pub fn as_bool(&self) -> Result<bool, ConfigError> {
        match self.as_str().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(self.invalid("expected true or false")),
        }
    }

    /// A whole number >= 0.
    pub fn as_u64(&self) -> Result<u64, ConfigError> {
        self.as_str()
            .parse::<u64>()
            .map_err(|_| self.invalid("expected a whole number (0 or more)"))
    }

    /// A whole number >= 0 that fits 32 bits.
    pub fn as_u32(&self) -> Result<u32, ConfigError> {
        self.as_str()
            .parse::<u32>()
            .map_err(|_| self.invalid("expected a whole number (0 or more)"))
    }

    /// A whole number >= 1.
    pub fn as_positive(&self) -> Result<u32, ConfigError> {
        match self.as_u32() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(self.invalid("expected a whole number of at least 1")),
        }
    }

    /// A duration: a bare number in `unit` (the key's documented unit, as the original read
    /// it), or a number with its own suffix `s`, `m`, `h` or `d`.
    pub fn as_duration(&self, unit: TimeUnit) -> Result<Duration, ConfigError> {
        let s = self.as_str();
        let (num, unit) = match s.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => {
                let u = match c.to_ascii_lowercase() {
                    's' => TimeUnit::Seconds,
                    'm' => TimeUnit::Minutes,
                    'h' => TimeUnit::Hours,
                    'd' => TimeUnit::Days,
                    _ => return Err(self.invalid(unit.expected())),
                };
                (s[..i].trim(), u)
            }
            _ => (s, unit),
        };
        let n: u64 = num.parse().map_err(|_| self.invalid(unit.expected()))?;
        n.checked_mul(unit.seconds())
            .map(Duration::from_secs)
            .ok_or_else(|| self.invalid("duration too large"))
    }

    /// A path; relative paths are relative to the config file's directory.
    pub fn as_path(&self) -> Result<PathBuf, ConfigError> {
        let s = self.as_str();
        if s.is_empty() {
            return Err(self.invalid("expected a path"));
        }
        Ok(self.cfg.resolve_path(s))
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    pub fn as_list(&self) -> Vec<String> {
        self.as_str()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The unit of a bare number in a duration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Minutes (e.g. `maxlockwait`).
    Minutes,
    /// Hours (e.g. `warningsnapage`).
    Hours,
    /// Days (e.g. `logretention`).
    Days,
}

impl TimeUnit {
    fn seconds(self) -> u64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86400,
        }
    }

    fn expected(self) -> String {
        let name = match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        };
        format!("expected a whole number of {name}, or a number with s/m/h/d")
    }
}

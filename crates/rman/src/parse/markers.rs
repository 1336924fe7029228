//! Marker lines printed by our SQL*Plus scripts.
//!
//! The scripts (see the original tool's `rmantemplate.cfg`, `restoretemplate.cfg`,
//! `reporttemplate.cfg`) select or `dbms_output.put_line` lines with fixed prefixes; the
//! caller greps them out of the output:
//!
//! | line | used for |
//! |------|----------|
//! | `CURRENT DATABASE SCN: 799175` | `lastscn` in `autorestore.cfg` |
//! | `CURRENT DATABASE TIME: 2016-11-08 21:53:35` | `lasttime`, the restore target |
//! | `BCT FILE: /path` (empty when block change tracking is off) | `bctfile` |
//! | `dbconfig-<name>: <value>` | the `[dbparams]` of `autorestore.cfg` |
//! | `BACKUP force as copy archivelog sequence 15 thread 1;` | RMAN commands for missing archivelogs |
//! | `DELETECOPY: delete noprompt datafilecopy '…';` | RMAN commands for expired copies |
//! | `CDB-DETECT: NO` or `CDB-DETECT: C##` (the common user prefix) | scheduler user prefix |
//! | `RENAMEDF-switch datafile 5 to copy;` | RMAN commands of a restore |
//! | `CUSTOM VERIFICATION TIME: 2016-11-08 21:53:35` | restore verification |
//! | `OUTLOG: {json}` | report lines |
//! | `DATABASE IS REGISTERED IN RC` | catalog registration check |
//!
//! Matching is at column 0 (trailing white space ignored), everything else is SQL*Plus noise.
//! A line that carries a marker prefix but a malformed value is an error naming the line.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::numbered_lines;

const SCN: &str = "CURRENT DATABASE SCN:";
const TIME: &str = "CURRENT DATABASE TIME:";
const BCT: &str = "BCT FILE:";
const DBCONFIG: &str = "dbconfig-";
const ARCHLOG: &str = "BACKUP force as copy";
const DELETECOPY: &str = "DELETECOPY:";
const CDB: &str = "CDB-DETECT:";
const RENAMEDF: &str = "RENAMEDF-";
const VERIFY: &str = "CUSTOM VERIFICATION TIME:";
const OUTLOG: &str = "OUTLOG:";
const REGISTERED: &str = "DATABASE IS REGISTERED IN RC";

/// The date-time format of our markers (`yyyy-mm-dd hh24:mi:ss`).
pub const MARKER_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Result of the `cdbdetect` script: `CDB-DETECT: NO`, or the common user prefix of a CDB
/// root (`CDB-DETECT: C##`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CdbDetect {
    /// Not connected to the root of a container database.
    NotCdb,
    /// Connected to a CDB root; common users get this prefix.
    Cdb {
        /// Value of `common_user_prefix` (`C##` when unset).
        common_user_prefix: String,
    },
}

impl CdbDetect {
    /// Whether the database is a container database.
    pub fn is_cdb(&self) -> bool {
        matches!(self, CdbDetect::Cdb { .. })
    }

    /// The scheduler user prefix the original tool derived: the common user prefix, or empty.
    pub fn user_prefix(&self) -> &str {
        match self {
            CdbDetect::NotCdb => "",
            CdbDetect::Cdb { common_user_prefix } => common_user_prefix,
        }
    }
}

/// One recognised marker line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Marker {
    /// `CURRENT DATABASE SCN: <n>`.
    Scn(u64),
    /// `CURRENT DATABASE TIME: <yyyy-mm-dd hh24:mi:ss>`.
    Time(NaiveDateTime),
    /// `BCT FILE: <path>`; `None` when the value is empty (tracking disabled).
    BctFile(Option<String>),
    /// `dbconfig-<name>: <value>`.
    DbConfig {
        /// Parameter name (`db_name`, `backup-finished`, …).
        name: String,
        /// Value, trimmed; may be empty.
        value: String,
    },
    /// `BACKUP force as copy …`: the whole line is an RMAN command.
    ArchivelogBackup(String),
    /// `DELETECOPY: <command>`: the RMAN command after the prefix.
    DeleteCopy(String),
    /// `CDB-DETECT: <NO|prefix>`.
    CdbDetect(CdbDetect),
    /// `RENAMEDF-<command>`: the RMAN command after the prefix.
    RenameDatafile(String),
    /// `CUSTOM VERIFICATION TIME: <yyyy-mm-dd hh24:mi:ss>`.
    CustomVerificationTime(NaiveDateTime),
    /// `OUTLOG: <line>`: the text after the prefix (JSON in the report scripts).
    OutLog(String),
    /// `DATABASE IS REGISTERED IN RC`.
    RegisteredInCatalog,
}

impl fmt::Display for Marker {
    /// Renders the marker line as our scripts print it (the inverse of [`parse_marker_line`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn opt(f: &mut fmt::Formatter<'_>, prefix: &str, v: &str) -> fmt::Result {
            if v.is_empty() {
                f.write_str(prefix)
            } else {
                write!(f, "{prefix} {v}")
            }
        }
        match self {
            Marker::Scn(n) => write!(f, "{SCN} {n}"),
            Marker::Time(t) => write!(f, "{TIME} {}", t.format(MARKER_TIME_FORMAT)),
            Marker::BctFile(p) => opt(f, BCT, p.as_deref().unwrap_or("")),
            Marker::DbConfig { name, value } => opt(f, &format!("{DBCONFIG}{name}:"), value),
            Marker::ArchivelogBackup(c) => f.write_str(c),
            Marker::DeleteCopy(c) => write!(f, "{DELETECOPY} {c}"),
            Marker::CdbDetect(CdbDetect::NotCdb) => write!(f, "{CDB} NO"),
            Marker::CdbDetect(CdbDetect::Cdb { common_user_prefix }) => {
                write!(f, "{CDB} {common_user_prefix}")
            }
            Marker::RenameDatafile(c) => write!(f, "{RENAMEDF}{c}"),
            Marker::CustomVerificationTime(t) => {
                write!(f, "{VERIFY} {}", t.format(MARKER_TIME_FORMAT))
            }
            Marker::OutLog(s) => opt(f, OUTLOG, s),
            Marker::RegisteredInCatalog => f.write_str(REGISTERED),
        }
    }
}

/// A marker and the (1-based) line it was found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocatedMarker {
    /// 1-based line number in the parsed text.
    pub line: usize,
    /// The marker.
    pub marker: Marker,
}

/// What is wrong with a marker line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkerErrorKind {
    /// `CURRENT DATABASE SCN:` value is not an unsigned integer.
    #[error("SCN {0:?} is not an unsigned integer")]
    BadScn(String),
    /// A time marker value is not `yyyy-mm-dd hh24:mi:ss`.
    #[error("{marker} value {value:?} is not a yyyy-mm-dd hh24:mi:ss time")]
    BadTime {
        /// The marker prefix.
        marker: &'static str,
        /// The value found.
        value: String,
    },
    /// A marker whose value must not be empty has none.
    #[error("{marker} has an empty value")]
    EmptyValue {
        /// The marker prefix.
        marker: &'static str,
    },
    /// `dbconfig-…` without the `:` separator.
    #[error("dbconfig line has no ':' separator")]
    MissingSeparator,
    /// `dbconfig-` parameter name empty or containing white space.
    #[error("dbconfig parameter name {0:?} is empty or contains white space")]
    BadDbconfigName(String),
    /// A known `dbconfig-` parameter has a value of the wrong type.
    #[error("dbconfig-{name} value {value:?} is not {expected}")]
    BadDbconfigValue {
        /// Parameter name.
        name: String,
        /// The value found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// A malformed marker line in a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind} (in {text:?})")]
pub struct MarkerError {
    /// 1-based line number.
    pub line: usize,
    /// The line (trailing white space removed).
    pub text: String,
    /// What is wrong.
    pub kind: MarkerErrorKind,
}

fn nonempty(marker: &'static str, v: &str) -> Result<String, MarkerErrorKind> {
    if v.is_empty() {
        Err(MarkerErrorKind::EmptyValue { marker })
    } else {
        Ok(v.to_owned())
    }
}

fn time(marker: &'static str, v: &str) -> Result<NaiveDateTime, MarkerErrorKind> {
    NaiveDateTime::parse_from_str(v, MARKER_TIME_FORMAT).map_err(|_| MarkerErrorKind::BadTime {
        marker,
        value: v.to_owned(),
    })
}

fn unsigned(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn dbconfig(rest: &str) -> Result<Marker, MarkerErrorKind> {
    let (name, value) = rest
        .split_once(':')
        .ok_or(MarkerErrorKind::MissingSeparator)?;
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err(MarkerErrorKind::BadDbconfigName(name.to_owned()));
    }
    let value = value.trim();
    let bad = |expected| MarkerErrorKind::BadDbconfigValue {
        name: name.to_owned(),
        value: value.to_owned(),
        expected,
    };
    match name {
        "db_block_size" | "db_files" if unsigned(value).is_none() => {
            return Err(bad("an unsigned integer"))
        }
        "enable_pluggable_database"
            if !value.eq_ignore_ascii_case("TRUE") && !value.eq_ignore_ascii_case("FALSE") =>
        {
            return Err(bad("TRUE or FALSE"))
        }
        "backup-finished" if NaiveDateTime::parse_from_str(value, MARKER_TIME_FORMAT).is_err() => {
            return Err(bad("a yyyy-mm-dd hh24:mi:ss time"))
        }
        _ => {}
    }
    Ok(Marker::DbConfig {
        name: name.to_owned(),
        value: value.to_owned(),
    })
}

/// Recognises one line: `Ok(None)` for any line that is not a marker (SQL*Plus noise),
/// `Ok(Some(marker))` for a well-formed marker, `Err` for a marker prefix with a malformed
/// value. Leading white space means "not a marker"; trailing white space is ignored.
pub fn parse_marker_line(line: &str) -> Result<Option<Marker>, MarkerErrorKind> {
    let line = line.trim_end();
    let after = |p: &str| line.strip_prefix(p).map(str::trim);
    let m = if let Some(v) = after(SCN) {
        Marker::Scn(unsigned(v).ok_or_else(|| MarkerErrorKind::BadScn(v.to_owned()))?)
    } else if let Some(v) = after(TIME) {
        Marker::Time(time(TIME, v)?)
    } else if let Some(v) = after(BCT) {
        Marker::BctFile((!v.is_empty()).then(|| v.to_owned()))
    } else if let Some(rest) = line.strip_prefix(DBCONFIG) {
        dbconfig(rest)?
    } else if let Some(v) = after(ARCHLOG) {
        nonempty(ARCHLOG, v)?;
        Marker::ArchivelogBackup(line.to_owned())
    } else if let Some(v) = after(DELETECOPY) {
        Marker::DeleteCopy(nonempty(DELETECOPY, v)?)
    } else if let Some(v) = after(CDB) {
        match v {
            "NO" => Marker::CdbDetect(CdbDetect::NotCdb),
            _ => Marker::CdbDetect(CdbDetect::Cdb {
                common_user_prefix: nonempty(CDB, v)?,
            }),
        }
    } else if let Some(v) = after(RENAMEDF) {
        Marker::RenameDatafile(nonempty(RENAMEDF, v)?)
    } else if let Some(v) = after(VERIFY) {
        Marker::CustomVerificationTime(time(VERIFY, v)?)
    } else if let Some(v) = after(OUTLOG) {
        Marker::OutLog(v.to_owned())
    } else if line.starts_with(REGISTERED) {
        Marker::RegisteredInCatalog
    } else {
        return Ok(None);
    };
    Ok(Some(m))
}

/// All markers of one output text.
///
/// Scalar markers keep their **first** occurrence (a whole log of several SQL*Plus runs may
/// print `CURRENT DATABASE SCN:` more than once); [`Markers::all`] keeps every marker in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Markers {
    /// `CURRENT DATABASE SCN:`.
    pub scn: Option<u64>,
    /// `CURRENT DATABASE TIME:`.
    pub time: Option<NaiveDateTime>,
    /// `BCT FILE:`: `None` when absent, `Some(None)` when printed empty (tracking disabled),
    /// `Some(Some(path))` otherwise.
    pub bct_file: Option<Option<String>>,
    /// `dbconfig-<name>: <value>` (first value per name).
    pub dbconfig: BTreeMap<String, String>,
    /// Whole `BACKUP force as copy …;` command lines, in order.
    pub archivelog_backups: Vec<String>,
    /// Commands after `DELETECOPY: `, in order.
    pub delete_copies: Vec<String>,
    /// `CDB-DETECT:`.
    pub cdb: Option<CdbDetect>,
    /// Commands after `RENAMEDF-`, in order.
    pub renames: Vec<String>,
    /// `CUSTOM VERIFICATION TIME:`.
    pub custom_verification_time: Option<NaiveDateTime>,
    /// Text after `OUTLOG: `, in order.
    pub outlog: Vec<String>,
    /// `DATABASE IS REGISTERED IN RC` was printed.
    pub registered_in_catalog: bool,
    /// Every marker, in order, with its line number.
    pub all: Vec<LocatedMarker>,
}

impl Markers {
    /// Parses a whole output text; the first malformed marker line is an error.
    pub fn parse(text: &str) -> Result<Markers, MarkerError> {
        let (markers, mut errors) = Markers::parse_lenient(text);
        if errors.is_empty() {
            Ok(markers)
        } else {
            Err(errors.swap_remove(0))
        }
    }

    /// Parses a whole output text, skipping malformed marker lines and returning them.
    pub fn parse_lenient(text: &str) -> (Markers, Vec<MarkerError>) {
        let mut m = Markers::default();
        let mut errors = Vec::new();
        for (line, l) in numbered_lines(text) {
            match parse_marker_line(l) {
                Ok(Some(marker)) => m.push(line, marker),
                Ok(None) => {}
                Err(kind) => errors.push(MarkerError {
                    line,
                    text: l.to_owned(),
                    kind,
                }),
            }
        }
        (m, errors)
    }

    /// Adds one marker found on `line`.
    pub fn push(&mut self, line: usize, marker: Marker) {
        match &marker {
            Marker::Scn(n) => {
                self.scn.get_or_insert(*n);
            }
            Marker::Time(t) => {
                self.time.get_or_insert(*t);
            }
            Marker::BctFile(p) => {
                self.bct_file.get_or_insert_with(|| p.clone());
            }
            Marker::DbConfig { name, value } => {
                self.dbconfig
                    .entry(name.clone())
                    .or_insert_with(|| value.clone());
            }
            Marker::ArchivelogBackup(c) => self.archivelog_backups.push(c.clone()),
            Marker::DeleteCopy(c) => self.delete_copies.push(c.clone()),
            Marker::CdbDetect(c) => {
                self.cdb.get_or_insert_with(|| c.clone());
            }
            Marker::RenameDatafile(c) => self.renames.push(c.clone()),
            Marker::CustomVerificationTime(t) => {
                self.custom_verification_time.get_or_insert(*t);
            }
            Marker::OutLog(s) => self.outlog.push(s.clone()),
            Marker::RegisteredInCatalog => self.registered_in_catalog = true,
        }
        self.all.push(LocatedMarker { line, marker });
    }

    /// Whether no marker was found.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The block change tracking file, when one was reported.
    pub fn bct_path(&self) -> Option<&str> {
        self.bct_file.as_ref().and_then(|p| p.as_deref())
    }

    /// A `dbconfig-` value.
    pub fn dbconfig_value(&self, name: &str) -> Option<&str> {
        self.dbconfig.get(name).map(String::as_str)
    }

    /// `dbconfig-db_name`.
    pub fn db_name(&self) -> Option<&str> {
        self.dbconfig_value("db_name")
    }

    /// `dbconfig-db_block_size` (validated as an unsigned integer when parsed).
    pub fn db_block_size(&self) -> Option<u64> {
        self.dbconfig_value("db_block_size").and_then(unsigned)
    }

    /// `dbconfig-db_files`.
    pub fn db_files(&self) -> Option<u64> {
        self.dbconfig_value("db_files").and_then(unsigned)
    }

    /// `dbconfig-enable_pluggable_database` as a boolean.
    pub fn enable_pluggable_database(&self) -> Option<bool> {
        match self.dbconfig_value("enable_pluggable_database")? {
            v if v.eq_ignore_ascii_case("TRUE") => Some(true),
            v if v.eq_ignore_ascii_case("FALSE") => Some(false),
            _ => None,
        }
    }

    /// `dbconfig-backup-finished` as a time.
    pub fn backup_finished(&self) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(self.dbconfig_value("backup-finished")?, MARKER_TIME_FORMAT)
            .ok()
    }
}

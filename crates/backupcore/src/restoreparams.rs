//! `autorestore.cfg`: what a restore of the backup area needs to know, kept inside the area
//! so that every snapshot carries its own copy.
//!
//! The original tool's format, which autorestore of snapshots taken by it must keep reading:
//!
//! ```text
//! [dbparams]
//! db_name: ORCL
//! undo_tablespace: UNDOTBS1
//! compatible: 12.1.0.2.0
//! db_block_size: 8192
//! db_files: 200
//! enable_pluggable_database: FALSE
//! backup-finished: 2016-11-08 21:54:44
//! lastscn: 799175
//! lasttime: 2016-11-08 21:53:35
//! bctfile: /u01/app/oracle/bct/orcl.bct
//! ```
//!
//! The `dbconfig-` values come from the database after a backup; `lastscn`, `lasttime` and
//! `bctfile` are the SCN and time recorded at the log switch just before a snapshot: the
//! point a restore of that snapshot is recovered to. The original appended these three
//! lines to the previous run's file in place; [`RestoreParams::write_atomic`] replaces the
//! file in one rename, so a snapshot never sees half a file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::config::ini::Ini;

/// The file name inside the backup area.
pub const FILE_NAME: &str = "autorestore.cfg";

/// The only section of the file.
pub const SECTION: &str = "dbparams";

/// Keys of the database parameters, in the order they are written.
pub const PARAMETER_KEYS: &[&str] = &[
    "db_name",
    "undo_tablespace",
    "compatible",
    "db_block_size",
    "db_files",
    "enable_pluggable_database",
    "backup-finished",
];

/// Keys of the recovery point, written after the parameters.
pub const RECOVERY_POINT_KEYS: &[&str] = &["lastscn", "lasttime", "bctfile"];

/// Errors reading or writing `autorestore.cfg`. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum RestoreParamsError {
    /// Reading or writing failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file is not in the expected INI format.
    #[error("{}: line {line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The `[dbparams]` section is missing.
    #[error("{}: no [dbparams] section", path.display())]
    NoSection {
        /// The file.
        path: PathBuf,
    },
}

/// The recovery point recorded at the log switch before a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPoint {
    /// `CURRENT DATABASE SCN:`.
    pub scn: u64,
    /// `CURRENT DATABASE TIME:` as printed (`yyyy-mm-dd hh24:mi:ss`).
    pub time: String,
    /// `BCT FILE:`; empty when block change tracking is off.
    pub bct_file: String,
}

/// The contents of `autorestore.cfg`: every `[dbparams]` key in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreParams {
    values: Vec<(String, String)>,
}

impl RestoreParams {
    /// Parameters from `dbconfig-<name>: <value>` pairs (the `autorestoreparameters`
    /// query), known keys first in their usual order, then any others sorted.
    pub fn from_dbconfig(dbconfig: &BTreeMap<String, String>) -> RestoreParams {
        let mut p = RestoreParams::default();
        for key in PARAMETER_KEYS {
            if let Some(v) = dbconfig.get(*key) {
                p.set(key, v);
            }
        }
        for (k, v) in dbconfig {
            if !PARAMETER_KEYS.contains(&k.as_str()) {
                p.set(k, v);
            }
        }
        p
    }

    /// Parses the text of a file (`path` is only used in errors). Keys are lower-cased, as
    /// Python's ConfigParser did.
    pub fn parse(text: &str, path: &Path) -> Result<RestoreParams, RestoreParamsError> {
        let ini = Ini::parse(text).map_err(|e| RestoreParamsError::Syntax {
            path: path.to_path_buf(),
            line: e.line,
            message: e.message.clone(),
        })?;
        let section = ini
            .section(SECTION)
            .ok_or_else(|| RestoreParamsError::NoSection {
                path: path.to_path_buf(),
            })?;
        let mut p = RestoreParams::default();
        for key in section.keys() {
            if let Some(e) = section.get(key) {
                p.set(key, e.raw.trim());
            }
        }
        Ok(p)
    }

    /// Reads `path`; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<RestoreParams>, RestoreParamsError> {
        match fs::read_to_string(path) {
            Ok(text) => RestoreParams::parse(&text, path).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(RestoreParamsError::Io {
                op: "read",
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` (kept in place when present, else appended).
    pub fn set(&mut self, key: &str, value: &str) {
        let value = value.replace('\n', " ");
        match self.values.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.values.push((key.to_string(), value)),
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.values.retain(|(k, _)| k != key);
    }

    /// The recovery point, when all its keys are present and `lastscn` is a number.
    pub fn recovery_point(&self) -> Option<RecoveryPoint> {
        Some(RecoveryPoint {
            scn: self.get("lastscn")?.parse().ok()?,
            time: self.get("lasttime")?.to_string(),
            bct_file: self.get("bctfile").unwrap_or("").to_string(),
        })
    }

    /// A copy without the recovery point and with `point` set (after the parameters).
    pub fn with_recovery_point(&self, point: &RecoveryPoint) -> RestoreParams {
        let mut p = self.without_recovery_point();
        p.set("lastscn", &point.scn.to_string());
        p.set("lasttime", &point.time);
        p.set("bctfile", &point.bct_file);
        p
    }

    /// A copy without `lastscn`, `lasttime` and `bctfile`.
    pub fn without_recovery_point(&self) -> RestoreParams {
        let mut p = self.clone();
        for k in RECOVERY_POINT_KEYS {
            p.remove(k);
        }
        p
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The file text: `[dbparams]` then `key: value` lines in order.
    pub fn render(&self) -> String {
        let mut out = format!("[{SECTION}]\n");
        for (k, v) in &self.values {
            // `key: ` with an empty value is what the original wrote for `bctfile`.
            let _ = writeln!(out, "{k}: {v}");
        }
        out
    }

    /// Writes the file in one step: a temporary file in the same directory, synced, then
    /// renamed over `path`, so a reader (or a snapshot) sees the old or the new file whole.
    pub fn write_atomic(&self, path: &Path) -> Result<(), RestoreParamsError> {
        let io_err = |op: &'static str, p: &Path| {
            let p = p.to_path_buf();
            move |source| RestoreParamsError::Io {
                op,
                path: p,
                source,
            }
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| FILE_NAME.to_string());
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let result = (|| {
            let mut f = fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
            f.write_all(self.render().as_bytes())
                .map_err(io_err("write", &tmp))?;
            f.sync_all().map_err(io_err("sync", &tmp))?;
            fs::rename(&tmp, path).map_err(io_err("replace", path))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn dbconfig() -> BTreeMap<String, String> {
        [
            ("compatible", "12.1.0.2.0"),
            ("db_name", "ORCL"),
            ("undo_tablespace", "UNDOTBS1"),
            ("db_block_size", "8192"),
            ("db_files", "200"),
            ("enable_pluggable_database", "FALSE"),
            ("backup-finished", "2016-11-08 21:54:44"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn renders_the_original_layout() {
        let p = RestoreParams::from_dbconfig(&dbconfig()).with_recovery_point(&RecoveryPoint {
            scn: 799175,
            time: "2016-11-08 21:53:35".into(),
            bct_file: String::new(),
        });
        assert_eq!(
            p.render(),
            "[dbparams]\ndb_name: ORCL\nundo_tablespace: UNDOTBS1\ncompatible: 12.1.0.2.0\n\
             db_block_size: 8192\ndb_files: 200\nenable_pluggable_database: FALSE\n\
             backup-finished: 2016-11-08 21:54:44\nlastscn: 799175\nlasttime: 2016-11-08 21:53:35\nbctfile: \n"
        );
    }

    #[test]
    fn reads_a_file_written_by_the_original() {
        // The original wrote [dbparams] + dbconfig lines at the end of a run and the next
        // run appended lastscn/lasttime/bctfile before its snapshot.
        let text = "[dbparams]\ndb_name: orcl\nundo_tablespace: UNDOTBS1\ncompatible: 12.1.0.2.0\n\
                    db_block_size: 8192\ndb_files: 200\nenable_pluggable_database: FALSE\n\
                    backup-finished: 2016-11-08 21:54:44\nlastscn: 799175\nlasttime: 2016-11-08 21:53:35\nbctfile: /u01/bct.f\n";
        let p = RestoreParams::parse(text, Path::new("autorestore.cfg")).unwrap();
        assert_eq!(p.get("db_name"), Some("orcl"));
        assert_eq!(
            p.recovery_point(),
            Some(RecoveryPoint {
                scn: 799175,
                time: "2016-11-08 21:53:35".into(),
                bct_file: "/u01/bct.f".into()
            })
        );
        // Replacing the recovery point keeps one set of keys.
        let q = p.with_recovery_point(&RecoveryPoint {
            scn: 800000,
            time: "2016-11-09 21:53:35".into(),
            bct_file: "/u01/bct.f".into(),
        });
        assert_eq!(q.render().matches("lastscn").count(), 1);
        assert_eq!(q.get("lastscn"), Some("800000"));
        assert_eq!(
            RestoreParams::parse(&q.render(), Path::new("x")).unwrap(),
            q
        );
    }

    #[test]
    fn missing_section_and_syntax_errors_name_the_file() {
        let e = RestoreParams::parse("db_name: x\n", Path::new("/b/orcl/autorestore.cfg"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/b/orcl/autorestore.cfg"), "{e}");
        let e = RestoreParams::parse("[other]\na: 1\n", Path::new("/b/autorestore.cfg"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "/b/autorestore.cfg: no [dbparams] section");
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "[dbparams]\ndb_name: old\n").unwrap();
        let p = RestoreParams::from_dbconfig(&dbconfig());
        p.write_atomic(&path).unwrap();
        assert_eq!(RestoreParams::read(&path).unwrap().unwrap(), p);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
        assert!(RestoreParams::read(&dir.path().join("nope.cfg"))
            .unwrap()
            .is_none());
    }
}

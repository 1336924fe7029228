//! The `${name}` values of the templates.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use backupcore::config::{DbSettings, GenericSettings};

/// Names whose values are secrets: never shown by `Debug`, masked by [`Substitutions::redact`].
pub const SECRET_NAMES: &[&str] = &["ospassword"];

/// What replaces a secret in [`Substitutions::redact`].
const MASK: &str = "********";

/// Values known only when the program runs, not from the configuration.
#[derive(Clone, Copy)]
pub struct RuntimeValues<'a> {
    /// This run's log file (`${logfile}`; SQL*Plus spools into it).
    pub logfile: &'a Path,
    /// Directory of the installed programs (`${scriptpath}`; the scheduler jobs run
    /// `<scriptpath>/backup`).
    pub scriptpath: &'a Path,
    /// The configuration file (`${configfile}`; the scheduler jobs pass it as
    /// `--config=<file>`, since a job's working directory and environment are not the user's).
    pub configfile: Option<&'a Path>,
    /// The OS password for the scheduler credential (`${ospassword}`, env `OSPASSWORD`); only
    /// action `setschedule` needs it.
    pub ospassword: Option<&'a str>,
}

impl fmt::Debug for RuntimeValues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeValues")
            .field("logfile", &self.logfile)
            .field("scriptpath", &self.scriptpath)
            .field("configfile", &self.configfile)
            .field("ospassword", &self.ospassword.map(|_| MASK))
            .finish()
    }
}

/// A set of `${name}` values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Substitutions {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Substitutions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.values {
            if SECRET_NAMES.contains(&k.as_str()) {
                m.entry(k, &MASK);
            } else {
                m.entry(k, v);
            }
        }
        m.finish()
    }
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Substitutions {
    /// No values.
    pub fn new() -> Substitutions {
        Substitutions::default()
    }

    /// The values the original `backup.py` provided, for database `db`:
    /// `recoverywindow`, `parallel`, `backupdest` (`<backupdest>/<db>`), `archdir`
    /// (`<backupdest>/<db>/archivelog`), `configname`, `schedulebackup`, `schedulearchlog`,
    /// `dbid`, `logfile`, `scriptpath`, `configfile` (when given), `backupjobenabled` (`true`/`false`), `sectionsize`
    /// (`section size <value>` or empty); and, when configured, `catalogconnect`, `osuser`,
    /// `oraclehome`, `tnspath` and `ospassword`. `scheduleuserprefix` is added by
    /// [`Substitutions::set_schedule_user_prefix`] once the CDB check has run.
    pub fn for_backup(
        generic: &GenericSettings,
        db: &DbSettings,
        runtime: RuntimeValues<'_>,
    ) -> Substitutions {
        let backupdest = generic.backup_area(&db.name);
        let archdir = backupdest.join("archivelog");
        let mut s = Substitutions::new();
        s.insert("recoverywindow", db.recoverywindow.to_string())
            .insert("parallel", db.parallel.to_string())
            .insert("backupdest", path_text(&backupdest))
            .insert("archdir", path_text(&archdir))
            .insert("configname", db.name.clone())
            .insert("schedulebackup", db.schedulebackup.clone())
            .insert("schedulearchlog", db.schedulearchlog.clone())
            .insert("dbid", db.dbid.to_string())
            .insert("logfile", path_text(runtime.logfile))
            .insert("scriptpath", path_text(runtime.scriptpath))
            .insert(
                "backupjobenabled",
                if db.backupjobenabled { "true" } else { "false" },
            )
            .insert(
                "sectionsize",
                match db.sectionsize.as_deref() {
                    Some(v) if !v.is_empty() => format!("section size {v}"),
                    _ => String::new(),
                },
            );
        if let Some(c) = runtime.configfile {
            s.insert("configfile", path_text(c));
        }
        if let Some(c) = &db.catalog {
            s.insert("catalogconnect", c.clone());
        }
        if let Some(u) = &generic.osuser {
            s.insert("osuser", u.clone());
        }
        if let Some(h) = &generic.oraclehome {
            s.insert("oraclehome", path_text(h));
        }
        if let Some(t) = &generic.tnsadmin {
            s.insert("tnspath", path_text(t));
        }
        if let Some(p) = runtime.ospassword {
            s.insert("ospassword", p);
        }
        s
    }

    /// Sets (or replaces) one value.
    pub fn insert(&mut self, name: &str, value: impl Into<String>) -> &mut Substitutions {
        self.values.insert(name.to_string(), value.into());
        self
    }

    /// Builder form of [`Substitutions::insert`].
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Substitutions {
        self.insert(name, value);
        self
    }

    /// `${scheduleuserprefix}`: the common user prefix (e.g. `C##`) when the database is a
    /// CDB, empty otherwise.
    pub fn set_schedule_user_prefix(&mut self, prefix: &str) -> &mut Substitutions {
        self.insert("scheduleuserprefix", prefix)
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Names that have a value, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// `text` with every non-empty secret value replaced by `********`, for logging a script.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for name in SECRET_NAMES {
            if let Some(v) = self.get(name).filter(|v| !v.is_empty()) {
                out = out.replace(v, MASK);
            }
        }
        out
    }
}

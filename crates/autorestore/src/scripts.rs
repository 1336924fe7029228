//! The scripts of a restore test, rendered from the restore templates (`restoretemplate.cfg`
//! entries) in the original tool's order, from what the clone's `autorestore.cfg` recorded.
//! Pure: nothing here runs anything; the flow sends these scripts one step at a time.
//!
//! 1. `startupnomount` (SQL*Plus) with the generated `init.ora` (`autoinitora`, plus
//!    `cdbinitora` for a CDB);
//! 2. `rmanmount` (RMAN): the control file taken after the backup, mount;
//! 3. `clearlogs` (SQL*Plus), 4. `rmancatalog` (RMAN): catalog the clone's copies and logs;
//! 5. `disablebct` (SQL*Plus) when the source had block change tracking;
//! 6. `switchdatafiles` (SQL*Plus): prints `RENAMEDF-<rman command>` lines, creates
//!    datafiles that have no copy;
//! 7. the `RENAMEDF-` commands and `recoverdatafiles` (RMAN): recover until the target;
//! 8. `openandverify` (SQL*Plus): open read only, the time reached;
//! 9. `validateblocks` (RMAN) and `showcorruptblocks` (SQL*Plus) when validating;
//! 10. `shutdown` (SQL*Plus), always, also after a failure (`shutdownabort` if that fails).

use std::path::{Path, PathBuf};

use backupcore::restoreparams::{RestoreParams, FILE_NAME};
use chrono::NaiveDateTime;
use rman::template::{Substitutions, TemplateError, TemplateSet};

/// `sga_size` of the restore instance when `[autorestore] sga_size` is not set.
pub const DEFAULT_SGA_SIZE: &str = "1G";
/// `pga_size` of the restore instance when `[autorestore] pga_size` is not set.
pub const DEFAULT_PGA_SIZE: &str = "200M";

/// Why a clone cannot be restored from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptsError {
    /// No `autorestore.cfg` in the clone, nor one level down.
    #[error("{}: autorestore.cfg not found (nor in a directory one level down): is this a clone of a backup area?", .0.display())]
    NoParams(PathBuf),
    /// The clone cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `autorestore.cfg` is unreadable.
    #[error(transparent)]
    Params(#[from] backupcore::restoreparams::RestoreParamsError),
    /// `autorestore.cfg` lacks a value the restore needs.
    #[error("{}: no {key} (the snapshot was taken before the database parameters were recorded?)", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
    },
    /// A template entry could not be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// Where the clone's files are: the directory holding `autorestore.cfg` and every volume
/// directory (a clone of a database spanning several volumes holds one directory each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneLayout {
    /// The directory holding `autorestore.cfg`.
    pub main: PathBuf,
    /// Every directory to catalog (the main one included), in name order.
    pub volumes: Vec<PathBuf>,
}

/// Finds `autorestore.cfg` in `mount`, else in its subdirectories (then each subdirectory is
/// a volume), as the original did.
pub fn find_layout(mount: &Path) -> Result<CloneLayout, ScriptsError> {
    if mount.join(FILE_NAME).is_file() {
        return Ok(CloneLayout {
            main: mount.to_path_buf(),
            volumes: vec![mount.to_path_buf()],
        });
    }
    let rd = std::fs::read_dir(mount).map_err(|source| ScriptsError::Io {
        path: mount.to_path_buf(),
        source,
    })?;
    let mut volumes = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| ScriptsError::Io {
            path: mount.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            volumes.push(path);
        }
    }
    volumes.sort();
    let main = volumes
        .iter()
        .find(|v| v.join(FILE_NAME).is_file())
        .cloned()
        .ok_or_else(|| ScriptsError::NoParams(mount.to_path_buf()))?;
    Ok(CloneLayout { main, volumes })
}

/// What a restore test needs besides the clone's `autorestore.cfg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreInputs {
    /// The clone.
    pub layout: CloneLayout,
    /// `autorestoredestination`: init.ora, the control file, BCT file go here.
    pub destination: PathBuf,
    /// `autorestorelogdir` (also the instance's `diagnostic_dest`).
    pub logdir: PathBuf,
    /// This run's log file (SQL*Plus spools into it).
    pub logfile: PathBuf,
    /// Recover until this time (database time); `None`: the recorded `lasttime`.
    pub target: Option<NaiveDateTime>,
    /// `dbid` of the database.
    pub dbid: u64,
    /// `autorestoreinstancenumber`.
    pub instance_number: u32,
    /// `autorestorethread`.
    pub thread: u32,
    /// `sga_size` (default [`DEFAULT_SGA_SIZE`]).
    pub sga_size: Option<String>,
    /// `pga_size` (default [`DEFAULT_PGA_SIZE`]).
    pub pga_size: Option<String>,
    /// `customverifydate`.
    pub customverifydate: String,
}

/// The rendered inputs of one restore: the substitutions and what was read from the clone.
#[derive(Debug, Clone)]
pub struct RestoreScripts {
    set: TemplateSet,
    subs: Substitutions,
    params: RestoreParams,
    target: NaiveDateTime,
    init_ora: PathBuf,
}

const TIME: &str = "%Y-%m-%d %H:%M:%S";

impl RestoreScripts {
    /// Reads the clone's `autorestore.cfg` and prepares every substitution of the restore
    /// templates, as the original's `_set_parameters`.
    pub fn prepare(
        set: TemplateSet,
        inputs: &RestoreInputs,
    ) -> Result<RestoreScripts, ScriptsError> {
        let file = inputs.layout.main.join(FILE_NAME);
        let params = RestoreParams::read(&file)?
            .ok_or_else(|| ScriptsError::NoParams(inputs.layout.main.clone()))?;
        let need = |key: &'static str| {
            params
                .get(key)
                .map(str::to_string)
                .ok_or_else(|| ScriptsError::Missing {
                    path: file.clone(),
                    key,
                })
        };
        let target = match inputs.target {
            Some(t) => t,
            None => {
                let text = need("lasttime")?;
                NaiveDateTime::parse_from_str(&text, TIME).map_err(|_| ScriptsError::Missing {
                    path: file.clone(),
                    key: "lasttime (yyyy-mm-dd hh24:mi:ss)",
                })?
            }
        };
        let mut catalog = Vec::new();
        for v in &inputs.layout.volumes {
            catalog.push(format!(
                "catalog start with '{}/archivelog/' noprompt;",
                v.display()
            ));
            catalog.push(format!(
                "catalog start with '{}/data_' noprompt;",
                v.display()
            ));
        }
        let init_ora = inputs.destination.join("init.ora");
        let path = |p: &Path| p.display().to_string();
        let subs = Substitutions::new()
            .with("db_name", need("db_name")?)
            .with("db_compatible", need("compatible")?)
            .with("db_files", need("db_files")?)
            .with("db_undotbs", need("undo_tablespace")?)
            .with("db_block_size", need("db_block_size")?)
            .with("lasttime", target.format(TIME).to_string())
            .with("dbid", inputs.dbid.to_string())
            .with("instancenumber", inputs.instance_number.to_string())
            .with("thread", inputs.thread.to_string())
            .with(
                "pga_size",
                inputs
                    .pga_size
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PGA_SIZE.to_string()),
            )
            .with(
                "sga_size",
                inputs
                    .sga_size
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SGA_SIZE.to_string()),
            )
            .with(
                "backupfinishedtime",
                params.get("backup-finished").unwrap_or(""),
            )
            .with("bctfile", params.get("bctfile").unwrap_or(""))
            .with("autorestoredestination", path(&inputs.destination))
            .with("mountdestination", path(&inputs.layout.main))
            .with("catalogstatements", catalog.join("\n"))
            .with(
                "cdb",
                params.get("enable_pluggable_database").unwrap_or("FALSE"),
            )
            .with("initora", path(&init_ora))
            .with("logdir", path(&inputs.logdir))
            .with("logfile", path(&inputs.logfile))
            .with("customverifydate", inputs.customverifydate.clone());
        Ok(RestoreScripts {
            set,
            subs,
            params,
            target,
            init_ora,
        })
    }

    /// The parameters read from the clone.
    pub fn params(&self) -> &RestoreParams {
        &self.params
    }

    /// The time recovered to.
    pub fn target(&self) -> NaiveDateTime {
        self.target
    }

    /// The substitutions (for the catalog's `insertlog` and user templates).
    pub fn substitutions(&self) -> &Substitutions {
        &self.subs
    }

    /// Where [`RestoreScripts::init_ora`] goes.
    pub fn init_ora_path(&self) -> &Path {
        &self.init_ora
    }

    /// Whether the source is a CDB (`enable_pluggable_database` TRUE).
    pub fn is_cdb(&self) -> bool {
        self.subs
            .get("cdb")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Whether the source had block change tracking (a `bctfile` was recorded).
    pub fn has_bct(&self) -> bool {
        self.params
            .get("bctfile")
            .is_some_and(|f| !f.trim().is_empty())
    }

    /// The init.ora of the restore instance: `autoinitora`, plus `cdbinitora` for a CDB.
    pub fn init_ora(&self) -> Result<String, ScriptsError> {
        let mut text = self.set.render("autoinitora", &self.subs)?;
        if self.is_cdb() {
            text.push('\n');
            text.push_str(&self.set.render("cdbinitora", &self.subs)?);
        }
        text.push('\n');
        Ok(text)
    }

    /// A SQL*Plus script: `sqlplusheader`, the entry, `sqlplusfooter`.
    pub fn sqlplus(&self, entry: &str) -> Result<String, ScriptsError> {
        Ok(format!(
            "{}\n{}\n{}\n",
            self.set.render("sqlplusheader", &self.subs)?,
            self.set.render(entry, &self.subs)?,
            self.set.render("sqlplusfooter", &self.subs)?
        ))
    }

    /// An RMAN script: `rmanheader`, `body`, `rmanfooter`.
    pub fn rman(&self, body: &str) -> Result<String, ScriptsError> {
        Ok(format!(
            "{}\n{body}\n{}\n",
            self.set.render("rmanheader", &self.subs)?,
            self.set.render("rmanfooter", &self.subs)?
        ))
    }

    /// An RMAN script of one entry.
    pub fn rman_entry(&self, entry: &str) -> Result<String, ScriptsError> {
        self.rman(&self.set.render(entry, &self.subs)?)
    }

    /// Step 7: the switch commands printed by `switchdatafiles`, then `recoverdatafiles`.
    pub fn recover(&self, switch_commands: &[String]) -> Result<String, ScriptsError> {
        let mut body = String::new();
        for c in switch_commands {
            body.push_str(c);
            body.push('\n');
        }
        body.push_str(&self.set.render("recoverdatafiles", &self.subs)?);
        self.rman(&body)
    }
}

/// The RMAN commands `switchdatafiles` printed: the text after `RENAMEDF-` on each line.
pub fn switch_commands(output: &str) -> Vec<String> {
    let (markers, _) = rman::parse::markers::Markers::parse_lenient(output);
    markers
        .renames
        .into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

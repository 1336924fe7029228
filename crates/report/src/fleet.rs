//! The [`Sources`] of a `backup.cfg` fleet, read the way the original `report.py` did and
//! then some:
//!
//! * jobs: the `jobstatus` entry of `reporttemplate.cfg` (built in, or the user's file beside
//!   the configuration) through `sqlplus -S /nolog` of the database's `oraclehome`, spooled
//!   to `<log dir>/<db>.<entry>.log` (a catalog password echoed there is masked);
//! * snapshots: the storage backend's list, and each snapshot's `autorestore.cfg` (read at
//!   `SnapHandler::snapshot_path` under the backup area) for its recovery point, when the
//!   snapshot can be restored ([`recorded_point`]);
//! * restore tests: the `[autorestore] autorestorecatalog`, read once for the whole fleet
//!   (SQLite, PostgreSQL), or the `autorestorestatus` entry per database for the original's
//!   Oracle schema;
//! * the last run: the newest `imagecopywithsnap`/`backupimagecopy` log in
//!   `<backupdest>/<db>/backup_logs`, and its summary's `Result:` line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use autorestore::catalog::{Catalog, CatalogUrl, RestoreRecord};
use backupcore::config::{Config, ConfigError, GenericSettings};
use backupcore::restoreparams::RestoreParams;
use backupcore::runlog::Secrets;
use backupcore::snap::SnapHandler;
use chrono::{NaiveDateTime, Utc};
use rman::runner::{OracleEnv, ProcessRunner, Runner, Script};
use rman::template::{sqlplus_script_with_header, Substitutions, TemplateKind, TemplateSet};
use tokio::sync::OnceCell;

use crate::collect::Sources;
use crate::{
    parse_jobstatus, Jobs, LastRun, RestoreSummary, RestoreTest, SnapshotPoint, SnapshotSummary,
};

/// Opens the storage backend of a database (the programs pass their own opener, which
/// knows every backend).
pub type StorageOpener =
    Box<dyn Fn(&str) -> Result<Box<dyn SnapHandler>, String> + Send + Sync + 'static>;

/// The actions whose run logs count as backup runs.
pub const BACKUP_ACTIONS: [&str; 2] = ["imagecopywithsnap", "backupimagecopy"];

/// Options of [`FleetSources`].
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Where SQL*Plus spools (`${logfile}`): `<log_dir>/<db>.log`.
    pub log_dir: PathBuf,
    /// A SQL*Plus call running longer is killed and the part reported as failed.
    pub timeout: Duration,
    /// Restore tests older than this many days are not read from the catalog.
    pub restore_history_days: u32,
}

/// Why the fleet cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// `reporttemplate.cfg` (the user's) cannot be read.
    #[error("{0}")]
    Template(#[from] rman::template::TemplateError),
    /// The `[autorestore]` catalog setting is wrong.
    #[error("{0}")]
    Catalog(#[from] autorestore::program::CatalogConfigError),
}

/// What one database needs, worked out from the configuration up front; `Err` is the
/// configuration problem shown in each of its parts.
#[derive(Debug, Clone)]
struct DbInfo {
    area: PathBuf,
    env: Option<OracleEnv>,
    stale_after: Duration,
}

enum RestoreSource {
    None,
    Records(Box<dyn Catalog>),
    Oracle(String),
}

/// The sources of every database of one `backup.cfg`.
pub struct FleetSources {
    dbs: BTreeMap<String, Result<DbInfo, String>>,
    templates: TemplateSet,
    options: FleetOptions,
    opener: StorageOpener,
    restores: RestoreSource,
    catalog_name: String,
    records: OnceCell<Result<Vec<RestoreRecord>, String>>,
}

fn db_info(cfg: &Config, db: &str) -> Result<DbInfo, ConfigError> {
    let dbcfg = cfg.database(db)?;
    let generic = GenericSettings::for_db(&dbcfg)?;
    let env = generic.oraclehome.clone().map(|home| {
        let env = OracleEnv::new(home);
        match &generic.tnsadmin {
            Some(t) => env.with_tns_admin(t),
            None => env,
        }
    });
    Ok(DbInfo {
        area: generic.backup_area(db),
        env,
        stale_after: generic.warningsnapage,
    })
}

impl FleetSources {
    /// The sources of `cfg`'s databases. A database whose section is wrong still gets a
    /// row (the problem is its error); a wrong catalog setting or template file fails here.
    pub fn new(
        cfg: &Config,
        opener: StorageOpener,
        options: FleetOptions,
    ) -> Result<FleetSources, FleetError> {
        let dbs = cfg
            .databases()
            .into_iter()
            .map(|db| (db.to_string(), db_info(cfg, db).map_err(|e| e.to_string())))
            .collect();
        let templates = TemplateSet::load(TemplateKind::Report, cfg.dir())?;
        let url = autorestore::program::catalog_url(cfg)?;
        let catalog_name = url.as_ref().map(CatalogUrl::display).unwrap_or_default();
        let restores = match &url {
            None => RestoreSource::None,
            Some(CatalogUrl::Oracle(connect)) => RestoreSource::Oracle(connect.clone()),
            Some(u) => RestoreSource::Records(autorestore::program::open_catalog(u, cfg)?),
        };
        Ok(FleetSources {
            dbs,
            templates,
            options,
            opener,
            restores,
            catalog_name,
            records: OnceCell::new(),
        })
    }

    fn info(&self, db: &str) -> Result<&DbInfo, String> {
        match self.dbs.get(db) {
            Some(Ok(i)) => Ok(i),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!(
                "{db} is not a database section of the configuration"
            )),
        }
    }

    /// Runs template `entry` after header `header` for `db` and returns its `OUTLOG:`
    /// lines; the first `ORA-`/`SP2-` line of the output is the error when there is one.
    async fn outlog(
        &self,
        db: &str,
        header: &str,
        entry: &str,
        extra: &[(&str, &str)],
    ) -> Result<Vec<String>, String> {
        let info = self.info(db)?;
        let env = info
            .env
            .clone()
            .ok_or("no oraclehome: set [generic] oraclehome or ORACLE_HOME")?;
        // One spool file per database and query: the parts run at the same time.
        let logfile = self.options.log_dir.join(format!("{db}.{entry}.log"));
        let secrets = Secrets::new();
        for (_, v) in extra {
            if let Some(pw) = connect_password(v) {
                secrets.add(pw);
            }
        }
        let mut subs = Substitutions::new()
            .with("dbname", db)
            .with("logfile", logfile.display().to_string());
        for (k, v) in extra {
            subs.insert(k, *v);
        }
        let script = self
            .templates
            .render(entry, &subs)
            .and_then(|body| sqlplus_script_with_header(&self.templates, &subs, header, &body))
            .map_err(|e| e.to_string())?;
        let timeout = self.options.timeout;
        let label = entry.to_string();
        let spool = logfile.clone();
        let out = tokio::task::spawn_blocking(move || {
            let runner = ProcessRunner::new(env)
                .with_timeout(timeout)
                .with_sqlplus_spooling(true);
            let result = runner.sqlplus(
                &Script::sqlplus(label, script).with_secrets(secrets.clone()),
                true,
            );
            // SQL*Plus echoes `conn user/password@alias` into its own spool file.
            if !secrets.is_empty() {
                if let Ok(text) = std::fs::read_to_string(&spool) {
                    let _ = std::fs::write(&spool, secrets.redact(&text).as_bytes());
                }
            }
            result
        })
        .await
        .map_err(|e| format!("sqlplus did not finish: {e}"))?
        .map_err(|e| e.to_string())?;
        outlog_lines(&out.text)
    }

    async fn records(&self) -> Result<&Vec<RestoreRecord>, String> {
        let RestoreSource::Records(catalog) = &self.restores else {
            return Err("no catalog".into());
        };
        let since =
            Utc::now() - chrono::Duration::days(i64::from(self.options.restore_history_days));
        self.records
            .get_or_init(|| async {
                catalog
                    .records_since(since)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The password of an Oracle connect string `user/password@alias`, if it has one.
fn connect_password(connect: &str) -> Option<&str> {
    let (user, rest) = connect.split_once('/')?;
    if user.trim().is_empty() {
        return None;
    }
    let pw = rest.rfind('@').map_or(rest, |i| &rest[..i]);
    (!pw.is_empty()).then_some(pw)
}

/// The `OUTLOG:` payloads of SQL*Plus output, or its first `ORA-`/`SP2-` error line.
pub fn outlog_lines(output: &str) -> Result<Vec<String>, String> {
    let mut rows = Vec::new();
    for line in output.lines() {
        let line = line.trim_end();
        if let Some(json) = line.strip_prefix("OUTLOG: ") {
            rows.push(json.to_string());
        } else if line.starts_with("ORA-") || line.starts_with("SP2-") {
            return Err(line.to_string());
        }
    }
    Ok(rows)
}

/// Reads the `autorestorestatus` line of the original's Oracle catalog (times are the sandbox
/// host's local time, read as this host's). An aggregate over no rows prints nothing between
/// `:` and `,` (NULL); that is read as null.
pub fn parse_autorestorestatus(json: &str) -> Result<RestoreSummary, String> {
    let fixed = json
        .replace(": ,", ": null,")
        .replace(":,", ":null,")
        .replace(": }", ": null}")
        .replace(":}", ":null}");
    let v: serde_json::Value = serde_json::from_str(&fixed)
        .map_err(|e| format!("unreadable autorestorestatus ({e}): {json}"))?;
    let time = |k: &str| {
        v[k].as_str()
            .and_then(|s| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok())
            // The schema keeps the sandbox host's local time (the original's insertlog).
            .map(autorestore::catalog::oracle::local_to_utc)
    };
    Ok(RestoreSummary {
        last_success: time("last_success"),
        last_failure: time("last_fail"),
        last_validated: time("last_validated"),
        avg_diff_seconds: v["avgdiff"].as_i64(),
        avg_duration_seconds: v["avgrestoremin"].as_i64().map(|m| m * 60),
        ..RestoreSummary::default()
    })
}

fn test_of(r: &RestoreRecord) -> RestoreTest {
    RestoreTest {
        started: r.started,
        finished: r.finished,
        success: r.success,
        validated: r.validated,
        verification_diff_seconds: r.verification_diff_seconds,
        corrupt_blocks: r.corrupt_blocks,
        snapshot: r.snapshot.clone(),
    }
}

/// The control file backup a restore starts from (`headerrestore` of `restoretemplate.cfg`),
/// written beside `autorestore.cfg` once a backup has made copies.
pub const RESTORE_CONTROLFILE: &str = "after_backup_controlfile.cf";

/// The recovery point a snapshot can be restored to: the one recorded in its
/// `autorestore.cfg` (found as autorestore finds it, also in a multi-volume layout), when the
/// snapshot also holds the control file backup a restore needs. The first snapshot of a new
/// database holds a recorded point but no copies yet: it cannot be restored, so `None`.
pub fn recorded_point(dir: &Path) -> Option<NaiveDateTime> {
    let layout = autorestore::scripts::find_layout(dir).ok()?;
    if !layout.main.join(RESTORE_CONTROLFILE).is_file() {
        return None;
    }
    let params = RestoreParams::read(&layout.main.join("autorestore.cfg")).ok()??;
    let point = params.recovery_point()?;
    NaiveDateTime::parse_from_str(point.time.trim(), "%Y-%m-%d %H:%M:%S").ok()
}

/// The newest backup run log of `db` in `dir`: by the start time in its name, then by the
/// `-N` suffix of a second run started in the same second.
pub fn newest_run_log(dir: &Path, db: &str) -> Result<Option<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let prefix = format!("{db}_");
    let mut best: Option<((String, u32), PathBuf)> = None;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".log"))
        else {
            continue;
        };
        let Some((stamp, action)) = rest.split_once('_') else {
            continue;
        };
        let (action, n) = match action.rsplit_once('-') {
            Some((a, n)) => (a, n.parse().unwrap_or(1)),
            None => (action, 1),
        };
        if !BACKUP_ACTIONS.contains(&action) {
            continue;
        }
        let key = (stamp.to_string(), n);
        if best.as_ref().map_or(true, |(k, _)| key > *k) {
            best = Some((key, entry.path()));
        }
    }
    Ok(best.map(|(_, p)| p))
}

#[async_trait]
impl Sources for FleetSources {
    async fn jobs(&self, db: &str) -> Result<Jobs, String> {
        let lines = self.outlog(db, "sqlplusheader", "jobstatus", &[]).await?;
        let text: String = lines.iter().map(|l| format!("OUTLOG: {l}\n")).collect();
        parse_jobstatus(&text).map_err(|e| e.to_string())
    }

    async fn snapshots(&self, db: &str) -> Result<SnapshotSummary, String> {
        let area = self.info(db)?.area.clone();
        let handler: Arc<dyn SnapHandler> = Arc::from((self.opener)(db)?);
        let snaps = handler
            .list_snapshots()
            .await
            .map_err(|e| format!("{} storage: {e}", handler.backend()))?;
        let points = tokio::task::spawn_blocking(move || {
            snaps
                .into_iter()
                .map(|s| SnapshotPoint {
                    recoverable: handler
                        .snapshot_path(&s.id, &area)
                        .ok()
                        .and_then(|dir| recorded_point(&dir)),
                    id: s.id,
                    created: s.created,
                    unique_bytes: s.space_unique,
                    total_bytes: s.space_total,
                    clones: s.clones,
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| format!("reading the snapshots' recovery points: {e}"))?;
        Ok(SnapshotSummary::of(points))
    }

    async fn restores(&self, db: &str) -> Result<Option<RestoreSummary>, String> {
        match &self.restores {
            RestoreSource::None => Ok(None),
            RestoreSource::Records(_) => {
                let records = self
                    .records()
                    .await
                    .map_err(|e| format!("{}: {e}", self.catalog_name))?;
                let tests = records
                    .iter()
                    .filter(|r| r.database == db)
                    .map(test_of)
                    .collect();
                Ok(Some(RestoreSummary::of(tests)))
            }
            RestoreSource::Oracle(connect) => {
                let lines = self
                    .outlog(
                        db,
                        "sqlplusautorestoreheader",
                        "autorestorestatus",
                        &[("autorestorecatalog", connect.as_str())],
                    )
                    .await
                    .map_err(|e| format!("{}: {e}", self.catalog_name))?;
                match lines.last() {
                    Some(l) => parse_autorestorestatus(l).map(Some),
                    None => Ok(Some(RestoreSummary::default())),
                }
            }
        }
    }

    async fn last_run(&self, db: &str) -> Result<Option<LastRun>, String> {
        let dir = self.info(db)?.area.join("backup_logs");
        let db = db.to_string();
        tokio::task::spawn_blocking(move || {
            let Some(path) = newest_run_log(&dir, &db)? else {
                return Ok(None);
            };
            let text =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Ok(Some(LastRun::from_log(
                &db,
                &path.display().to_string(),
                &String::from_utf8_lossy(&text),
            )))
        })
        .await
        .map_err(|e| format!("reading the run logs: {e}"))?
    }

    fn stale_after(&self, db: &str) -> Duration {
        self.info(db)
            .map(|i| i.stale_after)
            .unwrap_or(Duration::from_secs(26 * 3600))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn restorable_points_only() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path();
        assert_eq!(recorded_point(snap), None, "nothing there");
        std::fs::write(
            snap.join("autorestore.cfg"),
            "[dbparams]\nlastscn: 42\nlasttime: 2026-11-21 10:15:00\nbctfile: \n",
        )
        .unwrap();
        assert_eq!(recorded_point(snap), None, "no copies yet");
        std::fs::write(snap.join(RESTORE_CONTROLFILE), "cf").unwrap();
        assert_eq!(
            recorded_point(snap).unwrap().to_string(),
            "2026-11-21 10:15:00"
        );
        // Several volumes: autorestore.cfg in one of the subdirectories.
        let multi = tempfile::tempdir().unwrap();
        std::fs::create_dir(multi.path().join("v1")).unwrap();
        std::fs::create_dir(multi.path().join("v0")).unwrap();
        for f in ["autorestore.cfg", RESTORE_CONTROLFILE] {
            std::fs::copy(snap.join(f), multi.path().join("v1").join(f)).unwrap();
        }
        assert!(recorded_point(multi.path()).is_some());
    }

    #[test]
    fn connect_passwords() {
        assert_eq!(connect_password("rlog/S3cr3t@cat"), Some("S3cr3t"));
        assert_eq!(connect_password("rlog/p@ss@cat"), Some("p@ss"));
        assert_eq!(connect_password("/@autorestore"), None);
        assert_eq!(connect_password("rlog@cat"), None);
    }

    #[test]
    fn outlog_and_errors() {
        let out = "SQL> conn /@orcl as sysdba\nERROR:\nORA-12154: TNS:could not resolve the connect identifier specified\n\nSP2-0640: Not connected\n";
        assert_eq!(
            outlog_lines(out).unwrap_err(),
            "ORA-12154: TNS:could not resolve the connect identifier specified"
        );
        let ok = "SQL> select ...\nOUTLOG: {\"a\": 1}\nOUTLOG: {\"b\": 2}\n";
        assert_eq!(outlog_lines(ok).unwrap(), ["{\"a\": 1}", "{\"b\": 2}"]);
    }

    #[test]
    fn autorestorestatus_with_and_without_rows() {
        let s = parse_autorestorestatus(r#"{ "avgrestoremin": 12, "last_success": "2026-11-20 02:00:00","last_fail": "","avgdiff":41,"last_validated": "2026-11-19 02:00:00"}"#).unwrap();
        assert_eq!(s.avg_duration_seconds, Some(720));
        assert_eq!(s.avg_diff_seconds, Some(41));
        assert_eq!(s.last_failure, None);
        assert_eq!(
            s.last_success,
            Some(autorestore::catalog::oracle::local_to_utc(
                NaiveDateTime::parse_from_str("2026-11-20 02:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
            ))
        );
        assert_eq!(s.corrupt_blocks, None);
        // No rows: the aggregates are NULL.
        let s = parse_autorestorestatus(r#"{ "avgrestoremin": , "last_success": "","last_fail": "","avgdiff":,"last_validated": ""}"#).unwrap();
        assert_eq!(s, RestoreSummary::default());
    }

    #[test]
    fn newest_backup_run_log() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "orcl_20261120T101500_imagecopywithsnap.log",
            "orcl_20261121T101500_imagecopywithsnap.log",
            "orcl_20261121T101500_imagecopywithsnap-2.log",
            "orcl_20261122T101500_config.log",
            "orcl2_20261123T101500_imagecopywithsnap.log",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let p = newest_run_log(dir.path(), "orcl").unwrap().unwrap();
        assert!(
            p.ends_with("orcl_20261121T101500_imagecopywithsnap-2.log"),
            "{p:?}"
        );
        assert_eq!(
            newest_run_log(&dir.path().join("none"), "orcl").unwrap(),
            None
        );
    }
}

//! The original tool's catalog: a schema in an Oracle database reached with a connect string
//! (`autorestorecatalog: /@autorestore`), written through `sqlplus` and `sqlldr` with the
//! restore templates' `createcatalog`, `sqlldrlog` and `insertlog` entries, so existing users
//! keep their catalog and reports.
//!
//! Records are read back (`--check`) with the `listrestores` entry (ours, not the
//! original's): its times are the sandbox host's local time, as `insertlog` writes them. What
//! that schema cannot do: it has no claims table (a fleet of sandbox hosts sharing one catalog
//! needs PostgreSQL; here every claim is granted), nor the host or the corrupt block count of
//! a test.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rman::runner::{Runner, Script};
use rman::template::{Substitutions, TemplateSet};

use super::{redact_connect, Catalog, CatalogError, Claim, RestoreRecord, SCHEMA_VERSION};

/// A runner that may be shared across threads.
pub type SharedRunner = Arc<dyn Runner + Send + Sync>;

/// The Oracle catalog schema of the original tool.
pub struct OracleCatalog {
    connect: String,
    runner: SharedRunner,
    templates: TemplateSet,
    /// Where `createcatalog` spools its output.
    logfile: PathBuf,
}

impl std::fmt::Debug for OracleCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OracleCatalog")
            .field("connect", &redact_connect(&self.connect))
            .finish_non_exhaustive()
    }
}

const TIME: &str = "%Y-%m-%d %H:%M:%S";

impl OracleCatalog {
    /// The schema at `connect` (a `sqlplus` connect string), reached with `runner` (an
    /// ORACLE_HOME with sqlplus and sqlldr), rendering `templates` (the restore templates);
    /// `logfile` receives `createcatalog`'s spool.
    pub fn new(
        connect: &str,
        runner: SharedRunner,
        templates: TemplateSet,
        logfile: PathBuf,
    ) -> OracleCatalog {
        OracleCatalog {
            connect: connect.to_string(),
            runner,
            templates,
            logfile,
        }
    }

    fn err(&self, operation: &str, e: impl std::fmt::Display) -> CatalogError {
        CatalogError::Database {
            catalog: self.describe(),
            operation: operation.to_string(),
            message: e.to_string(),
        }
    }

    fn render(&self, entry: &str, subs: &Substitutions) -> Result<String, CatalogError> {
        self.templates
            .render(entry, subs)
            .map_err(|e| self.err(&format!("rendering {entry}"), e))
    }

    fn base_subs(&self) -> Substitutions {
        Substitutions::new()
            .with("autorestorecatalog", self.connect.clone())
            .with("logfile", self.logfile.display().to_string())
    }
}

#[async_trait]
impl Catalog for OracleCatalog {
    fn describe(&self) -> String {
        format!("oracle:{}", redact_connect(&self.connect))
    }

    async fn migrate(&self) -> Result<u32, CatalogError> {
        let script = self.render("createcatalog", &self.base_subs())?;
        match self
            .runner
            .sqlplus(&Script::sqlplus("createcatalog", script), false)
        {
            Ok(_) => Ok(0),
            // The objects exist: the schema was created before (there is only one version).
            Err(e) if e.output().is_some_and(|o| o.contains("ORA-00955")) => Ok(SCHEMA_VERSION),
            Err(e) => Err(self.err("createcatalog", e)),
        }
    }

    async fn record(&self, r: &RestoreRecord) -> Result<i64, CatalogError> {
        // The log file's content goes in with sqlldr, then insertlog moves it into the row.
        let subs = self
            .base_subs()
            .with("logfile", r.log_path.clone())
            .with("log_dbname", r.database.clone())
            // The original wrote the sandbox host's local time.
            .with(
                "log_start",
                r.started.with_timezone(&Local).format(TIME).to_string(),
            )
            .with(
                "log_stop",
                r.finished.with_timezone(&Local).format(TIME).to_string(),
            )
            .with("log_success", if r.success { "1" } else { "0" })
            .with(
                "log_diff",
                r.verification_diff_seconds
                    .map_or_else(|| "-1".to_string(), |d| d.to_string()),
            )
            .with("log_snapid", r.snapshot.clone().unwrap_or_default())
            .with(
                "lasttime",
                r.restore_target
                    .map(|t| t.format(TIME).to_string())
                    .unwrap_or_else(|| r.started.with_timezone(&Local).format(TIME).to_string()),
            )
            .with("log_validated", if r.validated { "1" } else { "0" });
        let control = self.render("sqlldrlog", &subs)?;
        self.runner
            .sqlldr(&self.connect, &Script::sqlldr("sqlldrlog", control))
            .map_err(|e| self.err("loading the log file (sqlldr)", e))?;
        let script = self.render("insertlog", &subs)?;
        let out = self
            .runner
            .sqlplus(&Script::sqlplus("insertlog", script), false)
            .map_err(|e| self.err("insertlog", e))?;
        out.text
            .lines()
            .find_map(|l| l.trim().strip_prefix("LOG MESSAGE ID:"))
            .and_then(|id| id.trim().parse().ok())
            .ok_or_else(|| self.err("insertlog", "no LOG MESSAGE ID line in its output"))
    }

    async fn claim(
        &self,
        _database: &str,
        _day: NaiveDate,
        _host: &str,
    ) -> Result<Claim, CatalogError> {
        Ok(Claim::Ours)
    }

    async fn records_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<RestoreRecord>, CatalogError> {
        let subs = self.base_subs().with(
            "since",
            since.with_timezone(&Local).format(TIME).to_string(),
        );
        let script = self.render("listrestores", &subs)?;
        let out = match self
            .runner
            .sqlplus(&Script::sqlplus("listrestores", script), true)
        {
            Ok(out) => out,
            Err(e) if e.output().is_some_and(|o| o.contains("ORA-00942")) => {
                return Err(CatalogError::NoSchema {
                    catalog: self.describe(),
                    why: "no restoreaction table".to_string(),
                })
            }
            Err(e) => return Err(self.err("listrestores", e)),
        };
        out.text
            .lines()
            .filter_map(|l| l.trim_end().strip_prefix("OUTLOG: "))
            .map(|json| parse_listed(json).map_err(|why| self.err("listrestores", why)))
            .collect()
    }
}

/// A local time of the sandbox host, as the schema keeps it, in UTC (the earlier of two
/// readings in the autumn's repeated hour).
pub fn local_to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    Local
        .from_local_datetime(&t)
        .earliest()
        .map_or_else(|| t.and_utc(), |l| l.with_timezone(&Utc))
}

/// One `listrestores` row.
fn parse_listed(json: &str) -> Result<RestoreRecord, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("unreadable row ({e}): {json}"))?;
    let text = |k: &str| v[k].as_str().map(str::trim).unwrap_or("");
    let time = |k: &str| NaiveDateTime::parse_from_str(text(k), TIME).ok();
    let started = time("start").ok_or_else(|| format!("row without a start time: {json}"))?;
    let finished = time("finish").unwrap_or(started);
    let diff = v["diff"].as_f64().filter(|d| *d >= 0.0);
    Ok(RestoreRecord {
        id: v["id"].as_i64().unwrap_or(0),
        database: text("db").to_string(),
        started: local_to_utc(started),
        finished: local_to_utc(finished),
        success: v["success"].as_i64() == Some(1),
        snapshot: Some(text("snapid").to_string()).filter(|s| !s.is_empty()),
        restore_target: time("target"),
        verification_diff_seconds: diff.map(|d| d.round() as i64),
        validated: v["validated"].as_i64() == Some(1),
        corrupt_blocks: None,
        host: String::new(),
        log_path: text("logfile").to_string(),
        log_content: String::new(),
    })
}

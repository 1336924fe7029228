//! The restore-test results catalog: every restore test's outcome, for `--check` (Nagios),
//! `report`, and a fleet's daily split of work.
//!
//! `[autorestore] autorestorecatalog` names it ([`CatalogUrl::parse`]):
//!
//! | value | backend |
//! | --- | --- |
//! | `sqlite:<path>` | an embedded SQLite file (the default for one sandbox host) |
//! | `postgres://user@host/db`, `postgresql://...` | a shared PostgreSQL catalog for several sandbox hosts |
//! | anything else (`/@autorestore`) | the original tool's Oracle schema, through `sqlplus`/`sqlldr` |
//!
//! Every backend implements [`Catalog`]: writes are transactional, [`Catalog::claim`] gives
//! each database to one host per day, and [`check`] turns the records into a Nagios state.

pub mod conformance;
pub mod oracle;
pub mod postgres;
pub mod sqlite;

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

/// The schema version this release writes ([`Catalog::migrate`] brings older ones to it).
pub const SCHEMA_VERSION: u32 = 1;

/// One restore test's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreRecord {
    /// Row id in the catalog (0 before it is written).
    pub id: i64,
    /// The database (`db_unique_name`).
    pub database: String,
    /// When the test started (UTC).
    pub started: DateTime<Utc>,
    /// When it finished (UTC).
    pub finished: DateTime<Utc>,
    /// Whether the database was restored, recovered, opened and verified.
    pub success: bool,
    /// The snapshot restored from, when one was chosen.
    pub snapshot: Option<String>,
    /// The time recovered to (the snapshot's recorded recovery point, database time).
    pub restore_target: Option<NaiveDateTime>,
    /// `customverifydate` minus the target, in seconds, when the database opened.
    pub verification_diff_seconds: Option<i64>,
    /// Whether the blocks were validated (RMAN `backup validate check logical`).
    pub validated: bool,
    /// Corrupt blocks found (dbfverify and, when validated, RMAN); `None` when not checked.
    pub corrupt_blocks: Option<u64>,
    /// The sandbox host that ran the test.
    pub host: String,
    /// The test's log file.
    pub log_path: String,
    /// The log file's content.
    pub log_content: String,
}

/// Who has a database for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This host: go ahead.
    Ours,
    /// Another host claimed it first.
    TakenBy(String),
}

/// Errors of catalog operations; each names the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The value of `autorestorecatalog` cannot be used.
    #[error("autorestorecatalog {value:?}: {why}")]
    BadUrl {
        /// The value.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// The catalog has no schema yet, or an older one.
    #[error("catalog {catalog}: {why}; run autorestore <config> --createcatalog")]
    NoSchema {
        /// The catalog (without secrets).
        catalog: String,
        /// What was found.
        why: String,
    },
    /// The catalog's schema is newer than this release understands.
    #[error("catalog {catalog}: schema version {found} is newer than this release's {SCHEMA_VERSION}; upgrade autorestore")]
    TooNew {
        /// The catalog (without secrets).
        catalog: String,
        /// The version found.
        found: u32,
    },
    /// The database answered with an error.
    #[error("catalog {catalog}: {operation}: {message}")]
    Database {
        /// The catalog (without secrets).
        catalog: String,
        /// What we were doing.
        operation: String,
        /// The database's message.
        message: String,
    },
    /// The backend cannot do this.
    #[error("catalog {catalog}: {what} is not supported by this kind of catalog")]
    Unsupported {
        /// The catalog (without secrets).
        catalog: String,
        /// What was asked.
        what: &'static str,
    },
}

/// Where the catalog is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogUrl {
    /// `sqlite:<path>`.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...` (the whole URL, passed to the client).
    Postgres(String),
    /// An Oracle connect string for `sqlplus` (`/@autorestore`, `user/pw@alias`).
    Oracle(String),
}

impl CatalogUrl {
    /// Reads the value of `autorestorecatalog`; relative SQLite paths are relative to `base`
    /// (the configuration file's directory).
    pub fn parse(value: &str, base: &std::path::Path) -> Result<CatalogUrl, CatalogError> {
        let v = value.trim();
        let bad = |why: &str| CatalogError::BadUrl {
            value: redact_url(v),
            why: why.to_string(),
        };
        if v.is_empty() {
            return Err(bad("empty"));
        }
        if let Some(path) = v.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(bad("expected sqlite:<path to the catalog file>"));
            }
            return Ok(CatalogUrl::Sqlite(base.join(path)));
        }
        if v.starts_with("postgres://") || v.starts_with("postgresql://") {
            return Ok(CatalogUrl::Postgres(v.to_string()));
        }
        if v.contains("://") {
            return Err(bad(
                "unknown scheme; expected sqlite:<path>, postgres://... or an Oracle connect string",
            ));
        }
        Ok(CatalogUrl::Oracle(v.to_string()))
    }

    /// The catalog for messages: no password.
    pub fn display(&self) -> String {
        match self {
            CatalogUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            CatalogUrl::Postgres(u) => redact_url(u),
            CatalogUrl::Oracle(c) => redact_connect(c),
        }
    }
}

/// `scheme://user:secret@host/...` with the secret replaced by `********` (also a secret
/// holding an unencoded `/` or `?`: the user information ends at the last `@`), and the
/// value of every `password=` query parameter likewise.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        if let Some(at) = out[rest_start..].rfind('@').map(|i| rest_start + i) {
            let userinfo = &out[rest_start..at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..at, "********");
            }
        }
    }
    let Some(q) = out.find('?') else {
        return out;
    };
    let (head, query) = out.split_at(q + 1);
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=********"),
            _ => p.to_string(),
        })
        .collect();
    format!("{head}{}", params.join("&"))
}

/// `user/secret@alias` with the secret replaced by `********`.
pub fn redact_connect(connect: &str) -> String {
    match connect.split_once('/') {
        Some((user, rest)) if !user.is_empty() => {
            let after = rest.find('@').map_or("", |i| &rest[i..]);
            format!("{user}/********{after}")
        }
        _ => connect.to_string(),
    }
}

/// A results catalog.
#[async_trait]
pub trait Catalog: Send + Sync {
    /// The catalog for messages (no secrets).
    fn describe(&self) -> String;

    /// Creates the schema, or migrates an older one to [`SCHEMA_VERSION`]; returns the
    /// version found before (0: none).
    async fn migrate(&self) -> Result<u32, CatalogError>;

    /// Writes one restore test's outcome (one transaction) and returns its row id.
    async fn record(&self, record: &RestoreRecord) -> Result<i64, CatalogError>;

    /// Claims `database` for `day` for `host`: the first host to claim it gets
    /// [`Claim::Ours`]; the others, and later claims of that day, see who has it. A host
    /// claiming again what it already has gets [`Claim::Ours`].
    async fn claim(
        &self,
        database: &str,
        day: NaiveDate,
        host: &str,
    ) -> Result<Claim, CatalogError>;

    /// Records of tests started at or after `since`, oldest first, without log contents.
    async fn records_since(&self, since: DateTime<Utc>)
        -> Result<Vec<RestoreRecord>, CatalogError>;
}

/// A database's line in `--check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbCheck {
    /// The database.
    pub database: String,
    /// Its state.
    pub state: backupcore::snap::NagiosState,
    /// Why, in a few words.
    pub reason: String,
}

/// `--check`: CRITICAL when a database's last restore test in 30 days failed, or when it has
/// had no restore test for 2 days; OK otherwise. `databases` are the ones
/// that should be tested (autorestore enabled); records of other databases are ignored.
pub fn check(records: &[RestoreRecord], databases: &[String], now: DateTime<Utc>) -> Vec<DbCheck> {
    use backupcore::snap::NagiosState;
    let window = now - chrono::Duration::days(30);
    let stale = now - chrono::Duration::days(2);
    databases
        .iter()
        .map(|db| {
            let last = records
                .iter()
                .filter(|r| &r.database == db && r.started >= window)
                .max_by_key(|r| (r.started, r.id));
            let (state, reason) = match last {
                None => (
                    NagiosState::Critical,
                    "no restore test in 30 days".to_string(),
                ),
                Some(r) if !r.success => (
                    NagiosState::Critical,
                    format!(
                        "last restore test failed ({} UTC)",
                        r.started.format("%Y-%m-%d %H:%M")
                    ),
                ),
                Some(r) if r.started < stale => (
                    NagiosState::Critical,
                    format!(
                        "no restore test for {} days (last {} UTC)",
                        (now - r.started).num_days(),
                        r.started.format("%Y-%m-%d %H:%M")
                    ),
                ),
                Some(r) => (
                    NagiosState::Ok,
                    format!(
                        "last restore test succeeded ({} UTC)",
                        r.started.format("%Y-%m-%d %H:%M")
                    ),
                ),
            };
            DbCheck {
                database: db.clone(),
                state,
                reason,
            }
        })
        .collect()
}

/// The Nagios plugin line and state of a [`check`]: the worst state, the databases in it.
pub fn check_line(checks: &[DbCheck]) -> (backupcore::snap::NagiosState, String) {
    use backupcore::snap::NagiosState;
    let worst = checks
        .iter()
        .map(|c| c.state)
        .max()
        .unwrap_or(NagiosState::Unknown);
    if checks.is_empty() {
        return (
            NagiosState::Unknown,
            "UNKNOWN: no database has autorestore enabled".to_string(),
        );
    }
    let bad: Vec<String> = checks
        .iter()
        .filter(|c| c.state != NagiosState::Ok)
        .map(|c| format!("{}: {}", c.database, c.reason))
        .collect();
    let ok = checks.len() - bad.len();
    let line = if bad.is_empty() {
        format!("{worst}: {ok} database(s) restored within 2 days | ok={ok} bad=0")
    } else {
        format!("{worst}: {} | ok={ok} bad={}", bad.join("; "), bad.len())
    };
    (worst, line)
}

//! The embedded catalog: one SQLite file (`sqlite:<path>`), for a single sandbox host.
//!
//! Each operation opens the file, runs in one transaction (`BEGIN IMMEDIATE` for writes, so
//! concurrent processes queue behind SQLite's lock, waiting up to 30 s) and closes it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{Catalog, CatalogError, Claim, RestoreRecord, SCHEMA_VERSION};

const SCHEMA_V1: &str = "
CREATE TABLE catalog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE restoreaction (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    db_unique_name TEXT NOT NULL,
    start_time TEXT NOT NULL,
    finish_time TEXT NOT NULL,
    success INTEGER NOT NULL CHECK (success IN (0, 1)),
    logfile TEXT NOT NULL,
    logfilecontents TEXT NOT NULL,
    verificationtimediffseconds INTEGER,
    snapid TEXT,
    restore_target TEXT,
    validated_corruption INTEGER NOT NULL CHECK (validated_corruption IN (0, 1)),
    corrupt_blocks INTEGER,
    host TEXT NOT NULL
);
CREATE INDEX restoreaction_db_start ON restoreaction (db_unique_name, start_time);
CREATE TABLE restoreclaim (
    db_unique_name TEXT NOT NULL,
    day TEXT NOT NULL,
    host TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (db_unique_name, day)
);
";

/// Timestamps are stored as fixed-width UTC text, so they sort as they compare.
const TS: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";
const TARGET: &str = "%Y-%m-%d %H:%M:%S%.f";

/// A SQLite catalog file.
#[derive(Debug, Clone)]
pub struct SqliteCatalog {
    path: PathBuf,
}

impl SqliteCatalog {
    /// The catalog in `path` (opened by each operation).
    pub fn new(path: impl Into<PathBuf>) -> SqliteCatalog {
        SqliteCatalog { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, operation: &str, e: impl std::fmt::Display) -> CatalogError {
        CatalogError::Database {
            catalog: self.describe(),
            operation: operation.to_string(),
            message: e.to_string(),
        }
    }

    fn open(&self, create: bool) -> Result<Connection, CatalogError> {
        if !create && !self.path.exists() {
            return Err(CatalogError::NoSchema {
                catalog: self.describe(),
                why: "the file does not exist".to_string(),
            });
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn =
            Connection::open_with_flags(&self.path, flags).map_err(|e| self.err("open", e))?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| self.err("open", e))?;
        Ok(conn)
    }

    fn version(&self, conn: &Connection) -> Result<u32, CatalogError> {
        let has_meta: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'catalog_meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err("reading the schema version", e))?;
        if !has_meta {
            return Ok(0);
        }
        let v: Option<String> = conn
            .query_row(
                "SELECT value FROM catalog_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err("reading the schema version", e))?;
        v.and_then(|v| v.parse().ok()).ok_or_else(|| {
            self.err(
                "reading the schema version",
                "catalog_meta has no schema_version",
            )
        })
    }

    /// Opens an existing catalog of this release's schema.
    fn open_current(&self) -> Result<Connection, CatalogError> {
        let conn = self.open(false)?;
        match self.version(&conn)? {
            SCHEMA_VERSION => Ok(conn),
            0 => Err(CatalogError::NoSchema {
                catalog: self.describe(),
                why: "no catalog schema in it".to_string(),
            }),
            v if v > SCHEMA_VERSION => Err(CatalogError::TooNew {
                catalog: self.describe(),
                found: v,
            }),
            v => Err(CatalogError::NoSchema {
                catalog: self.describe(),
                why: format!("schema version {v} needs migrating"),
            }),
        }
    }

    fn migrate_sync(&self) -> Result<u32, CatalogError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.err("creating its directory", e))?;
        }
        let mut conn = self.open(true)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err("migrate", e))?;
        let found = self.version(&tx)?;
        if found > SCHEMA_VERSION {
            return Err(CatalogError::TooNew {
                catalog: self.describe(),
                found,
            });
        }
        if found == 0 {
            tx.execute_batch(SCHEMA_V1)
                .map_err(|e| self.err("creating the schema", e))?;
            tx.execute(
                "INSERT INTO catalog_meta (key, value) VALUES ('schema_version', ?1)",
                params![SCHEMA_VERSION.to_string()],
            )
            .map_err(|e| self.err("creating the schema", e))?;
        }
        tx.commit().map_err(|e| self.err("migrate", e))?;
        Ok(found)
    }

    fn record_sync(&self, r: &RestoreRecord) -> Result<i64, CatalogError> {
        let mut conn = self.open_current()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err("recording a restore test", e))?;
        tx.execute(
            "INSERT INTO restoreaction (db_unique_name, start_time, finish_time, success, logfile,
                 logfilecontents, verificationtimediffseconds, snapid, restore_target,
                 validated_corruption, corrupt_blocks, host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                r.database,
                r.started.format(TS).to_string(),
                r.finished.format(TS).to_string(),
                i64::from(r.success),
                r.log_path,
                r.log_content,
                r.verification_diff_seconds,
                r.snapshot,
                r.restore_target.map(|t| t.format(TARGET).to_string()),
                i64::from(r.validated),
                r.corrupt_blocks
                    .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
                r.host,
            ],
        )
        .map_err(|e| self.err("recording a restore test", e))?;
        let id = tx.last_insert_rowid();
        tx.commit()
            .map_err(|e| self.err("recording a restore test", e))?;
        Ok(id)
    }

    fn claim_sync(
        &self,
        database: &str,
        day: NaiveDate,
        host: &str,
    ) -> Result<Claim, CatalogError> {
        let mut conn = self.open_current()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err("claiming a database", e))?;
        let day = day.format("%Y-%m-%d").to_string();
        tx.execute(
            "INSERT OR IGNORE INTO restoreclaim (db_unique_name, day, host, claimed_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![database, day, host, Utc::now().format(TS).to_string()],
        )
        .map_err(|e| self.err("claiming a database", e))?;
        let owner: String = tx
            .query_row(
                "SELECT host FROM restoreclaim WHERE db_unique_name = ?1 AND day = ?2",
                params![database, day],
                |r| r.get(0),
            )
            .map_err(|e| self.err("claiming a database", e))?;
        tx.commit()
            .map_err(|e| self.err("claiming a database", e))?;
        Ok(if owner == host {
            Claim::Ours
        } else {
            Claim::TakenBy(owner)
        })
    }

    fn records_since_sync(&self, since: DateTime<Utc>) -> Result<Vec<RestoreRecord>, CatalogError> {
        let conn = self.open_current()?;
        let mut stmt = conn
            .prepare(
                "SELECT id, db_unique_name, start_time, finish_time, success, logfile,
                        verificationtimediffseconds, snapid, restore_target, validated_corruption,
                        corrupt_blocks, host
                   FROM restoreaction WHERE start_time >= ?1 ORDER BY start_time, id",
            )
            .map_err(|e| self.err("reading restore tests", e))?;
        let rows = stmt
            .query_map(params![since.format(TS).to_string()], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, Option<String>>(8)?,
                    row.get::<_, i64>(9)?,
                    row.get::<_, Option<i64>>(10)?,
                    row.get::<_, String>(11)?,
                ))
            })
            .map_err(|e| self.err("reading restore tests", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                database,
                started,
                finished,
                success,
                log_path,
                diff,
                snapshot,
                target,
                validated,
                corrupt,
                host,
            ) = row.map_err(|e| self.err("reading restore tests", e))?;
            let time = |s: &str| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        self.err(
                            "reading restore tests",
                            format!("row {id}: bad time {s:?}: {e}"),
                        )
                    })
            };
            out.push(RestoreRecord {
                id,
                database,
                started: time(&started)?,
                finished: time(&finished)?,
                success: success != 0,
                snapshot,
                restore_target: match target.as_deref() {
                    None => None,
                    Some(t) => Some(NaiveDateTime::parse_from_str(t, TARGET).map_err(|e| {
                        self.err(
                            "reading restore tests",
                            format!("row {id}: bad restore_target {t:?}: {e}"),
                        )
                    })?),
                },
                verification_diff_seconds: diff,
                validated: validated != 0,
                corrupt_blocks: corrupt.and_then(|n| u64::try_from(n).ok()),
                host,
                log_path,
                log_content: String::new(),
            });
        }
        Ok(out)
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, CatalogError>
    where
        T: Send + 'static,
        F: FnOnce(&SqliteCatalog) -> Result<T, CatalogError> + Send + 'static,
    {
        let me = self.clone();
        let describe = self.describe();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| CatalogError::Database {
                catalog: describe,
                operation: "catalog task".to_string(),
                message: e.to_string(),
            })?
    }
}

#[async_trait]
impl Catalog for SqliteCatalog {
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    async fn migrate(&self) -> Result<u32, CatalogError> {
        self.blocking(|c| c.migrate_sync()).await
    }

    async fn record(&self, record: &RestoreRecord) -> Result<i64, CatalogError> {
        let record = record.clone();
        self.blocking(move |c| c.record_sync(&record)).await
    }

    async fn claim(
        &self,
        database: &str,
        day: NaiveDate,
        host: &str,
    ) -> Result<Claim, CatalogError> {
        let (database, host) = (database.to_string(), host.to_string());
        self.blocking(move |c| c.claim_sync(&database, day, &host))
            .await
    }

    async fn records_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<RestoreRecord>, CatalogError> {
        self.blocking(move |c| c.records_since_sync(since)).await
    }
}

//! Collecting the rows: every database's four parts (jobs, snapshots, restore tests, last
//! run) read at the same time, a bounded number of databases at once.
//!
//! Where the data comes from is a [`Sources`]: [`crate::fleet::FleetSources`] for a real
//! `backup.cfg`, anything else in tests and embedding tools. A part that fails becomes one
//! line of the row's `errors` (`"jobs: ORA-12154: ..."`); the other parts and the other
//! databases still report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{DbReport, Jobs, LastRun, Report, RestoreSummary, SnapshotSummary, FORMAT_VERSION};

/// How many databases are collected at once unless told otherwise: a fleet of up to 256 is
/// read in one wave, so the report takes about as long as its slowest database. Each database
/// in flight runs at most two short SQL*Plus processes (its jobs, and the Oracle catalog's
/// query when that is the catalog) and one storage request; a small management host may
/// want fewer.
pub const DEFAULT_PARALLEL: usize = 256;

/// Where one database's data comes from. Each method is one part of the row; an `Err` is
/// the one-line reason shown in the row.
#[async_trait]
pub trait Sources: Send + Sync {
    /// The backup jobs (the database's scheduler).
    async fn jobs(&self, db: &str) -> Result<Jobs, String>;

    /// The snapshots and their recorded recovery points.
    async fn snapshots(&self, db: &str) -> Result<SnapshotSummary, String>;

    /// The restore tests; `Ok(None)` when no catalog is configured.
    async fn restores(&self, db: &str) -> Result<Option<RestoreSummary>, String>;

    /// The last backup run; `Ok(None)` when the database has no run log yet.
    async fn last_run(&self, db: &str) -> Result<Option<LastRun>, String>;

    /// When the newest snapshot counts as stale (`warningsnapage`, default 26 hours).
    fn stale_after(&self, db: &str) -> Duration {
        let _ = db;
        Duration::from_secs(26 * 3600)
    }
}

fn keep<T>(errors: &mut Vec<String>, part: &str, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(format!("{part}: {}", e.replace('\n', " ")));
            None
        }
    }
}

/// One database's row: its four parts at the same time, then [`DbReport::assess`].
pub async fn collect_one(sources: &dyn Sources, db: &str, now: DateTime<Utc>) -> DbReport {
    let started = Instant::now();
    let (jobs, snapshots, restores, last_run) = tokio::join!(
        sources.jobs(db),
        sources.snapshots(db),
        sources.restores(db),
        sources.last_run(db)
    );
    let mut errors = Vec::new();
    let mut row = DbReport {
        database: db.to_string(),
        jobs: keep(&mut errors, "jobs", jobs),
        snapshots: keep(&mut errors, "snapshots", snapshots),
        restores: keep(&mut errors, "restores", restores).flatten(),
        last_run: keep(&mut errors, "last run", last_run).flatten(),
        ..DbReport::default()
    };
    row.errors = errors;
    row.collect_seconds = started.elapsed().as_secs_f64();
    row.assess(now, sources.stale_after(db));
    row
}

/// The report of `databases` (rows in that order), at most `parallel` databases being
/// collected at any time (at least one).
pub async fn collect(sources: Arc<dyn Sources>, databases: &[String], parallel: usize) -> Report {
    let now = Utc::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut tasks = Vec::with_capacity(databases.len());
    for db in databases {
        let sources = Arc::clone(&sources);
        let permits = Arc::clone(&permits);
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail; if it ever did, the
            // database is still collected rather than lost.
            let _permit = permits.acquire_owned().await.ok();
            collect_one(sources.as_ref(), &db, now).await
        }));
    }
    let mut rows = Vec::with_capacity(tasks.len());
    for (task, db) in tasks.into_iter().zip(databases) {
        rows.push(task.await.unwrap_or_else(|e| DbReport {
            database: db.clone(),
            errors: vec![format!("collecting stopped: {e}")],
            status: crate::Status::Error,
            ..DbReport::default()
        }));
    }
    Report {
        format_version: FORMAT_VERSION,
        generated: now,
        databases: rows,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Each part takes `delay`; counts how many databases are being collected at once.
    struct Slow {
        delay: Duration,
        running: AtomicUsize,
        peak: AtomicUsize,
    }

    #[async_trait]
    impl Sources for Slow {
        async fn jobs(&self, db: &str) -> Result<Jobs, String> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            if db == "broken" {
                return Err("ORA-12154: TNS:could not resolve\nthe connect identifier".into());
            }
            Ok(Jobs::default())
        }
        async fn snapshots(&self, _db: &str) -> Result<SnapshotSummary, String> {
            tokio::time::sleep(self.delay).await;
            Ok(SnapshotSummary::default())
        }
        async fn restores(&self, _db: &str) -> Result<Option<RestoreSummary>, String> {
            tokio::time::sleep(self.delay).await;
            Ok(None)
        }
        async fn last_run(&self, _db: &str) -> Result<Option<LastRun>, String> {
            Ok(None)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_and_parts_at_the_same_time() {
        let slow = Arc::new(Slow {
            delay: Duration::from_secs(1),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let mut dbs: Vec<String> = (0..10).map(|i| format!("db{i}")).collect();
        dbs.insert(3, "broken".into());
        let started = tokio::time::Instant::now();
        let report = collect(slow.clone(), &dbs, 4).await;
        // 11 databases, 4 at once, each 1 s (its three slow parts overlap): 3 waves.
        assert_eq!(started.elapsed().as_secs(), 3);
        assert_eq!(slow.peak.load(Ordering::SeqCst), 4);
        let names: Vec<&str> = report
            .databases
            .iter()
            .map(|d| d.database.as_str())
            .collect();
        assert_eq!(names[3], "broken");
        assert_eq!(names.len(), 11);
        let broken = &report.databases[3];
        assert_eq!(
            broken.errors,
            ["jobs: ORA-12154: TNS:could not resolve the connect identifier"]
        );
        assert_eq!(broken.status, crate::Status::Error);
        assert!(
            broken.snapshots.is_some(),
            "the other parts are still shown"
        );
        assert!(report.has_errors());
        assert_eq!(report.databases[0].status, crate::Status::Stale);
    }
}

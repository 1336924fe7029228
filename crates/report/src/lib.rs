//! The fleet report's model and its renderings (`report [db,list] --format ...`).
//!
//! For each database, a [`DbReport`] gathers what a DBA with two hundred databases needs at
//! one look: the backup jobs ([`Jobs`], read from the database's `OUTLOG:` lines, see
//! [`parse_jobstatus`]), the snapshots and the real recovery window ([`SnapshotSummary`]),
//! the restore tests ([`RestoreSummary`], from the catalog's records), and the last backup
//! run's result ([`LastRun`]). A database whose data cannot be read carries the error and the
//! others still report.
//!
//! Renderings: [`text`] (the original's per-database lines), [`json`] (one document,
//! [`FORMAT_VERSION`], stable field names) and [`prometheus`] (the text exposition format
//! for node_exporter's textfile collector).
//!
//! [`collect`] gathers the rows concurrently, a bounded number of databases at once, from
//! any [`collect::Sources`]; [`fleet::FleetSources`] reads them from a `backup.cfg` fleet (the
//! databases through SQL*Plus, the storage through its `SnapHandler`, the restore catalog,
//! the run logs). [`html`] draws the self-contained page.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

#[cfg(test)]
extern crate self as report;
#[cfg(test)]
#[path = "../tests/common/sample.rs"]
mod sample;

pub mod collect;
pub mod fleet;
pub mod html;

/// Version of the JSON document; changes only if a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

/// One scheduler job (`IMAGECOPY_JOB` or `ARCHLOGBACKUP_JOB`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    /// `dba_scheduler_jobs.state` (`SCHEDULED`, `RUNNING`, `DISABLED`, ...).
    pub state: String,
    /// Failures counted by the scheduler.
    pub failure_count: u64,
    /// Last start, as the database printed it.
    pub last_start: Option<String>,
    /// Duration of the last run, as printed (`+000000000 00:03:12.000000`).
    pub last_run_duration: Option<String>,
    /// Next run, as printed.
    pub next_run: Option<String>,
    /// Last successful run (job log).
    pub last_successful: Option<String>,
    /// Last failed run (job log).
    pub last_failed: Option<String>,
}

/// The two backup jobs of a database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Jobs {
    /// `IMAGECOPY_JOB`: the backup cycle.
    pub imagecopy: Option<JobStatus>,
    /// `ARCHLOGBACKUP_JOB`: missing archivelogs.
    pub archlog: Option<JobStatus>,
}

/// Why `OUTLOG:` output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: unreadable OUTLOG JSON ({message}): {text}")]
pub struct OutlogError {
    /// 1-based line number.
    pub line: usize,
    /// The JSON error.
    pub message: String,
    /// The line (shortened).
    pub text: String,
}

fn text_field(v: &serde_json::Value, key: &str) -> Option<String> {
    v[key]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Reads the `jobstatus` report template's output: `OUTLOG: {"type": "job", ...}` and
/// `OUTLOG: {"type": "exec", ...}` lines for `IMAGECOPY_JOB` and `ARCHLOGBACKUP_JOB`. Other
/// lines are SQL*Plus noise.
pub fn parse_jobstatus(output: &str) -> Result<Jobs, OutlogError> {
    let mut jobs = Jobs::default();
    for (i, line) in output.lines().enumerate() {
        let Some(json) = line.trim_end().strip_prefix("OUTLOG: ") else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| OutlogError {
            line: i + 1,
            message: e.to_string(),
            text: json.chars().take(120).collect(),
        })?;
        let slot = match v["job_name"].as_str() {
            Some("IMAGECOPY_JOB") => &mut jobs.imagecopy,
            Some("ARCHLOGBACKUP_JOB") => &mut jobs.archlog,
            _ => continue,
        };
        let job = slot.get_or_insert_with(JobStatus::default);
        match v["type"].as_str() {
            Some("job") => {
                job.state = text_field(&v, "state").unwrap_or_default();
                job.failure_count = v["failure_count"].as_u64().unwrap_or(0);
                job.last_start = text_field(&v, "last_start_date");
                job.last_run_duration = text_field(&v, "last_run_duration");
                job.next_run = text_field(&v, "next_run_date");
            }
            Some("exec") => {
                job.last_successful = text_field(&v, "last_successful");
                job.last_failed = text_field(&v, "last_failed");
            }
            _ => {}
        }
    }
    Ok(jobs)
}

/// One snapshot: when it was taken, what it lets you recover to, what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotPoint {
    /// Its name on the storage.
    pub id: String,
    /// Creation (UTC).
    pub created: DateTime<Utc>,
    /// The recovery point recorded in it (`lasttime` of its `autorestore.cfg`, database
    /// time): restoring it reaches this time. `None` when it holds none (the first
    /// snapshot of a new database) or it could not be read.
    pub recoverable: Option<NaiveDateTime>,
    /// Bytes only this snapshot holds.
    pub unique_bytes: u64,
    /// Bytes it refers to.
    pub total_bytes: u64,
    /// Clones made from it that still exist.
    pub clones: u32,
}

/// The snapshots of a database and what they let you recover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// How many.
    pub count: u64,
    /// The oldest snapshot's creation (UTC).
    pub oldest: Option<DateTime<Utc>>,
    /// The newest snapshot's creation (UTC).
    pub newest: Option<DateTime<Utc>>,
    /// The oldest recoverable time: the earliest recovery point recorded in a snapshot
    /// (database time).
    pub oldest_recoverable: Option<NaiveDateTime>,
    /// The newest recoverable time: the latest recovery point recorded in a snapshot.
    pub newest_recoverable: Option<NaiveDateTime>,
    /// Bytes all snapshots hold alone (sum of `unique`).
    pub unique_bytes: u64,
    /// Bytes the newest snapshot refers to.
    pub total_bytes: u64,
    /// Each snapshot, oldest first.
    pub snapshots: Vec<SnapshotPoint>,
}

impl SnapshotSummary {
    /// The summary of `points` (any order).
    pub fn of(mut points: Vec<SnapshotPoint>) -> SnapshotSummary {
        points.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        let recoverable = || points.iter().filter_map(|p| p.recoverable);
        SnapshotSummary {
            count: points.len() as u64,
            oldest: points.first().map(|p| p.created),
            newest: points.last().map(|p| p.created),
            oldest_recoverable: recoverable().min(),
            newest_recoverable: recoverable().max(),
            unique_bytes: points.iter().map(|p| p.unique_bytes).sum(),
            total_bytes: points.last().map_or(0, |p| p.total_bytes),
            snapshots: points,
        }
    }
}

/// One restore test, as the catalog recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreTest {
    /// Start (UTC).
    pub started: DateTime<Utc>,
    /// End (UTC).
    pub finished: DateTime<Utc>,
    /// Whether it succeeded.
    pub success: bool,
    /// Whether every block was validated.
    pub validated: bool,
    /// Verified time difference from the target, seconds.
    pub verification_diff_seconds: Option<i64>,
    /// Corrupt blocks found; `None` when not checked.
    pub corrupt_blocks: Option<u64>,
    /// The snapshot restored from.
    pub snapshot: Option<String>,
}

/// The restore tests of a database (from the catalog).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreSummary {
    /// Start of the last successful test.
    pub last_success: Option<DateTime<Utc>>,
    /// Start of the last failed test.
    pub last_failure: Option<DateTime<Utc>>,
    /// Start of the last successful test that validated every block.
    pub last_validated: Option<DateTime<Utc>>,
    /// Average verified time difference of successful tests, seconds.
    pub avg_diff_seconds: Option<i64>,
    /// Average duration of successful tests, seconds.
    pub avg_duration_seconds: Option<i64>,
    /// Corrupt blocks found over all tests; `None` when the catalog cannot tell (the
    /// original's Oracle schema).
    pub corrupt_blocks: Option<u64>,
    /// Corrupt blocks found by the latest test; `None` when unknown.
    pub latest_corrupt_blocks: Option<u64>,
    /// Tests counted; `None` when the catalog cannot tell.
    pub tests: Option<u64>,
    /// Each test, oldest first (empty when the catalog gives only the summary).
    pub history: Vec<RestoreTest>,
}

impl RestoreSummary {
    /// The summary of a database's tests (any order).
    pub fn of(mut tests: Vec<RestoreTest>) -> RestoreSummary {
        tests.sort_by_key(|t| t.started);
        let mut s = RestoreSummary {
            tests: Some(tests.len() as u64),
            corrupt_blocks: Some(tests.iter().filter_map(|t| t.corrupt_blocks).sum()),
            latest_corrupt_blocks: tests.last().and_then(|t| t.corrupt_blocks),
            ..RestoreSummary::default()
        };
        let (mut diff_sum, mut diff_n, mut dur_sum, mut dur_n) = (0i64, 0i64, 0i64, 0i64);
        for t in &tests {
            if t.success {
                s.last_success = s.last_success.max(Some(t.started));
                if t.validated {
                    s.last_validated = s.last_validated.max(Some(t.started));
                }
                if let Some(d) = t.verification_diff_seconds {
                    diff_sum += d;
                    diff_n += 1;
                }
                dur_sum += (t.finished - t.started).num_seconds();
                dur_n += 1;
            } else {
                s.last_failure = s.last_failure.max(Some(t.started));
            }
        }
        s.avg_diff_seconds = (diff_n > 0).then(|| diff_sum / diff_n);
        s.avg_duration_seconds = (dur_n > 0).then(|| dur_sum / dur_n);
        s.history = tests;
        s
    }

    /// Whether the latest test failed (or found corrupt blocks).
    pub fn latest_failed(&self) -> bool {
        let failed_last = match (self.last_failure, self.last_success) {
            (Some(f), Some(s)) => f > s,
            (Some(_), None) => true,
            _ => false,
        };
        failed_last || self.latest_corrupt_blocks.is_some_and(|n| n > 0)
    }
}

/// The last backup run of a database (its newest run log's summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LastRun {
    /// The action (`imagecopywithsnap`).
    pub action: String,
    /// `SUCCESS`, `FAILED at step ...`, or `unfinished` (running, or killed before its
    /// summary).
    pub result: String,
    /// Whether it succeeded.
    pub success: bool,
    /// When it started (local time, from the log's name).
    pub started: Option<NaiveDateTime>,
    /// The log file.
    pub log: String,
}

impl LastRun {
    /// Reads a run log: `path` named `<db>_<YYYYMMDDTHHMMSS>_<action>.log` (`-N` before
    /// `.log` when two runs started in the same second), `text` its content, whose last
    /// `Result: SUCCESS|FAILED ...` line (the run's summary) says how it ended.
    pub fn from_log(db: &str, path: &str, text: &str) -> LastRun {
        let name = path.rsplit('/').next().unwrap_or(path);
        let stem = name.strip_suffix(".log").unwrap_or(name);
        let rest = stem
            .strip_prefix(db)
            .and_then(|r| r.strip_prefix('_'))
            .unwrap_or(stem);
        let (stamp, action) = rest.split_once('_').unwrap_or(("", rest));
        let action = match action.rsplit_once('-') {
            Some((a, n)) if n.chars().all(|c| c.is_ascii_digit()) => a,
            _ => action,
        };
        // The summary's line, after the log's time, level and database columns.
        let result = text
            .lines()
            .rev()
            .filter_map(|l| l.find("Result: ").map(|i| l[i + 8..].trim()))
            .find(|r| r.starts_with("SUCCESS") || r.starts_with("FAILED"))
            .map(str::to_string);
        LastRun {
            action: action.to_string(),
            success: result.as_deref() == Some("SUCCESS"),
            result: result.unwrap_or_else(|| "unfinished".to_string()),
            started: NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S").ok(),
            log: path.to_string(),
        }
    }
}

/// How a database stands, worst first when sorted descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Nothing wrong found.
    #[default]
    Ok,
    /// No snapshot, or the newest is older than `warningsnapage`.
    Stale,
    /// The last backup run, backup job run or restore test failed.
    Failed,
    /// Some of its data could not be read.
    Error,
}

impl Status {
    /// `OK`, `STALE`, `FAILED`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Stale => "STALE",
            Status::Failed => "FAILED",
            Status::Error => "ERROR",
        }
    }

    /// 0, 1, 2, 3 (the Prometheus gauge).
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// One database's row of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DbReport {
    /// The database.
    pub database: String,
    /// The worst of what [`DbReport::assess`] found.
    pub status: Status,
    /// What makes it stale or failed, one short sentence each.
    pub problems: Vec<String>,
    /// Why some of its data could not be read (the rest is still shown).
    pub errors: Vec<String>,
    /// How long collecting its data took, seconds.
    pub collect_seconds: f64,
    /// The backup jobs.
    pub jobs: Option<Jobs>,
    /// The snapshots.
    pub snapshots: Option<SnapshotSummary>,
    /// The restore tests.
    pub restores: Option<RestoreSummary>,
    /// The last backup run.
    pub last_run: Option<LastRun>,
}

/// A scheduler timestamp as the report template prints it (`yyyy-mm-dd hh24:mi:ss TZH:TZM`).
fn job_time(t: &Option<String>) -> Option<DateTime<chrono::FixedOffset>> {
    t.as_deref()
        .and_then(|s| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %:z").ok())
}

impl DbReport {
    /// Sets [`DbReport::status`] and [`DbReport::problems`] from the data: stale when there
    /// is no snapshot or the newest is at least `stale_after` old at `now`; failed when the
    /// last backup run failed, the backup job's latest run failed, or the latest restore
    /// test failed or found corrupt blocks; error when some data could not be read.
    pub fn assess(&mut self, now: DateTime<Utc>, stale_after: std::time::Duration) {
        let mut problems = Vec::new();
        let mut status = Status::Ok;
        if let Some(s) = &self.snapshots {
            match s.newest {
                None => {
                    problems.push("no snapshots".to_string());
                    status = status.max(Status::Stale);
                }
                Some(newest) => {
                    let age = (now - newest).to_std().unwrap_or_default();
                    if age >= stale_after {
                        problems.push(format!(
                            "newest snapshot is {} old",
                            backupcore::snap::ops::format_age(age)
                        ));
                        status = status.max(Status::Stale);
                    }
                }
            }
        }
        if let Some(l) = &self.last_run {
            if !l.success && l.result != "unfinished" {
                problems.push(format!("last {} run {}", l.action, l.result));
                status = status.max(Status::Failed);
            }
        }
        if let Some(job) = self.jobs.as_ref().and_then(|j| j.imagecopy.as_ref()) {
            let failed = job_time(&job.last_failed);
            if failed.is_some() && failed > job_time(&job.last_successful) {
                problems.push(format!(
                    "backup job's latest run failed ({})",
                    opt(&job.last_failed)
                ));
                status = status.max(Status::Failed);
            }
        }
        if let Some(r) = &self.restores {
            if r.latest_failed() {
                let what = match r.latest_corrupt_blocks {
                    Some(n) if n > 0 => format!("latest restore test found {n} corrupt block(s)"),
                    _ => format!("latest restore test failed ({})", time(r.last_failure)),
                };
                problems.push(what);
                status = status.max(Status::Failed);
            }
        }
        if !self.errors.is_empty() {
            status = Status::Error;
        }
        self.status = status;
        self.problems = problems;
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// When it was made (UTC).
    pub generated: DateTime<Utc>,
    /// One row per database, in configuration order.
    pub databases: Vec<DbReport>,
}

impl Report {
    /// Whether any row has an error (the program then exits non-zero).
    pub fn has_errors(&self) -> bool {
        self.databases.iter().any(|d| !d.errors.is_empty())
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The original's per-database lines, readable in a terminal, with a status line first.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.databases {
        out.push_str(&format!("{}:\n", d.database));
        if d.problems.is_empty() {
            out.push_str(&format!("  Status: {}\n", d.status.as_str()));
        } else {
            out.push_str(&format!(
                "  Status: {}: {}\n",
                d.status.as_str(),
                d.problems.join("; ")
            ));
        }
        if let Some(j) = &d.jobs {
            for (label, job) in [("Backup job", &j.imagecopy), ("Archivelog job", &j.archlog)] {
                match job {
                    Some(job) => out.push_str(&format!(
                        "  {label}: {}, last: {}, duration: {}, last failure: {}\n",
                        job.state,
                        opt(&job.last_start),
                        opt(&job.last_run_duration),
                        opt(&job.last_failed)
                    )),
                    None => out.push_str(&format!("  {label}: not scheduled\n")),
                }
            }
        }
        if let Some(s) = &d.snapshots {
            if s.count == 0 {
                out.push_str("  Snapshots: none\n");
            } else {
                out.push_str(&format!(
                    "  Snapshots: {}, latest: {}, oldest: {}, unique space: {}\n",
                    s.count,
                    time(s.newest),
                    time(s.oldest),
                    backupcore::snap::human_size(s.unique_bytes)
                ));
                match (s.oldest_recoverable, s.newest_recoverable) {
                    (Some(a), Some(b)) => {
                        out.push_str(&format!("  Recovery window: {a} .. {b}\n"));
                    }
                    _ => out.push_str("  Recovery window: unknown (no recovery point readable in the snapshots)\n"),
                }
            }
        }
        if let Some(r) = &d.restores {
            out.push_str(&format!(
                "  Last successful restore: {}, last restore failure: {}, last successful validation: {}, avg difference from target (s): {}, avg restore time (min): {}\n",
                time(r.last_success),
                time(r.last_failure),
                time(r.last_validated),
                r.avg_diff_seconds.map_or_else(|| "-".into(), |v| v.to_string()),
                r.avg_duration_seconds.map_or_else(|| "-".into(), |v| (v / 60).to_string())
            ));
        }
        if let Some(l) = &d.last_run {
            out.push_str(&format!(
                "  Last run: {} {} ({})\n",
                l.action, l.result, l.log
            ));
        }
        for e in &d.errors {
            out.push_str(&format!("  Error: {e}\n"));
        }
    }
    out
}

/// One JSON document (pretty-printed).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The text exposition format for node_exporter's textfile collector: metric names with
/// units, a `db` label, HELP and TYPE lines; an unknown value is left out rather than made up.
pub fn prometheus(report: &Report) -> String {
    type Get = fn(&DbReport) -> Option<f64>;
    let metrics: [(&str, &str, Get); 13] = [
        (
            "imagecopy_report_error",
            "1 when some of the database's data could not be read",
            |d| Some(if d.errors.is_empty() { 0.0 } else { 1.0 }),
        ),
        (
            "imagecopy_status",
            "The database's status: 0 OK, 1 STALE, 2 FAILED, 3 ERROR",
            |d| Some(f64::from(d.status.code())),
        ),
        (
            "imagecopy_report_collect_seconds",
            "Time taken to collect the database's data",
            |d| Some(d.collect_seconds),
        ),
        (
            "imagecopy_recovery_window_seconds",
            "Span between the oldest and the newest recoverable time held by snapshots",
            |d| {
                d.snapshots.as_ref().and_then(|s| {
                    Some((s.newest_recoverable? - s.oldest_recoverable?).num_seconds() as f64)
                })
            },
        ),
        (
            "imagecopy_last_run_success",
            "1 when the last backup run succeeded, 0 when it failed or did not finish",
            |d| {
                d.last_run
                    .as_ref()
                    .map(|l| if l.success { 1.0 } else { 0.0 })
            },
        ),
        ("imagecopy_snapshots", "Number of storage snapshots", |d| {
            d.snapshots.as_ref().map(|s| s.count as f64)
        }),
        (
            "imagecopy_snapshot_newest_timestamp_seconds",
            "Creation of the newest snapshot (Unix time)",
            |d| {
                d.snapshots
                    .as_ref()
                    .and_then(|s| s.newest)
                    .map(|t| t.timestamp() as f64)
            },
        ),
        (
            "imagecopy_snapshot_oldest_timestamp_seconds",
            "Creation of the oldest snapshot (Unix time)",
            |d| {
                d.snapshots
                    .as_ref()
                    .and_then(|s| s.oldest)
                    .map(|t| t.timestamp() as f64)
            },
        ),
        (
            "imagecopy_snapshot_unique_bytes",
            "Bytes held by the snapshots alone",
            |d| d.snapshots.as_ref().map(|s| s.unique_bytes as f64),
        ),
        (
            "imagecopy_restore_last_success_timestamp_seconds",
            "Start of the last successful restore test (Unix time)",
            |d| {
                d.restores
                    .as_ref()
                    .and_then(|r| r.last_success)
                    .map(|t| t.timestamp() as f64)
            },
        ),
        (
            "imagecopy_restore_last_failure_timestamp_seconds",
            "Start of the last failed restore test (Unix time)",
            |d| {
                d.restores
                    .as_ref()
                    .and_then(|r| r.last_failure)
                    .map(|t| t.timestamp() as f64)
            },
        ),
        (
            "imagecopy_restore_corrupt_blocks",
            "Corrupt blocks found by restore tests",
            |d| {
                d.restores
                    .as_ref()
                    .and_then(|r| r.corrupt_blocks)
                    .map(|n| n as f64)
            },
        ),
        (
            "imagecopy_restore_time_difference_seconds",
            "Average verified time difference from the target",
            |d| {
                d.restores
                    .as_ref()
                    .and_then(|r| r.avg_diff_seconds)
                    .map(|v| v as f64)
            },
        ),
    ];
    let mut out = String::new();
    for (name, help, get) in metrics {
        let values: Vec<(String, f64)> = report
            .databases
            .iter()
            .filter_map(|d| get(d).map(|v| (d.database.clone(), v)))
            .collect();
        if values.is_empty() {
            continue;
        }
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (db, v) in values {
            out.push_str(&format!("{name}{{db=\"{}\"}} {v}\n", label(&db)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sample::t;

    const JOBSTATUS: &str = "SQL> SELECT ...\nOUTLOG: { \"type\": \"job\", \"job_name\": \"IMAGECOPY_JOB\", \"state\": \"SCHEDULED\", \"failure_count\": 2, \"last_start_date\": \"2026-11-21 10:00:00 +01:00\", \"last_run_duration\": \"+000000000 00:03:12.000000\", \"next_run_date\": \"2026-11-22 10:00:00 +01:00\" }\nOUTLOG: { \"type\": \"exec\", \"job_name\": \"IMAGECOPY_JOB\", \"last_successful\": \"2026-11-21 10:03:12 +01:00\", \"last_failed\": \"\" }\n\n2 rows selected.\n";

    #[test]
    fn jobstatus_lines() {
        let j = parse_jobstatus(JOBSTATUS).unwrap();
        let ic = j.imagecopy.unwrap();
        assert_eq!(ic.state, "SCHEDULED");
        assert_eq!(ic.failure_count, 2);
        assert_eq!(ic.last_failed, None);
        assert_eq!(
            ic.last_successful.as_deref(),
            Some("2026-11-21 10:03:12 +01:00")
        );
        assert!(j.archlog.is_none());
        let e = parse_jobstatus("OUTLOG: {broken\n").unwrap_err();
        assert_eq!(e.line, 1);
    }

    /// The shared sample, with `orcl`'s scheduler jobs.
    fn sample() -> Report {
        let mut r = crate::sample::sample();
        r.databases[0].jobs = Some(parse_jobstatus(JOBSTATUS).unwrap());
        r
    }

    #[test]
    fn summaries_order_and_window() {
        let r = sample();
        let s = r.databases[0].snapshots.as_ref().unwrap();
        assert_eq!(s.count, 3);
        assert_eq!(s.snapshots[0].id, "orcl-20261119T101500");
        assert_eq!(
            s.oldest_recoverable.unwrap().to_string(),
            "2026-11-19 10:15:03"
        );
        assert_eq!(
            s.newest_recoverable.unwrap().to_string(),
            "2026-11-20 10:15:02"
        );
        assert_eq!(s.unique_bytes, 3 << 30);
        assert_eq!(r.databases[0].status, Status::Ok);
        assert_eq!(r.databases[1].status, Status::Failed);
        assert_eq!(
            r.databases[1].problems,
            [
                "newest snapshot is 3 days, 1:45:00 old",
                "last imagecopywithsnap run FAILED at step 6 (merge)",
                "latest restore test found 1 corrupt block(s)"
            ]
        );
        assert_eq!(r.databases[2].status, Status::Error);
    }

    #[test]
    fn run_logs() {
        let l = LastRun::from_log(
            "db_1",
            "/b/db_1/backup_logs/db_1_20261121T101500_imagecopywithsnap-2.log",
            "2026-11-21 10:16:03,120 INFO     db_1            Result: FAILED at step 6 (merge)\n",
        );
        assert_eq!(l.action, "imagecopywithsnap");
        assert!(!l.success);
        assert_eq!(l.result, "FAILED at step 6 (merge)");
        assert_eq!(l.started.unwrap().to_string(), "2026-11-21 10:15:00");
        let l = LastRun::from_log("x", "x_20261121T101500_config.log", "RMAN> ...\n");
        assert_eq!(l.result, "unfinished");
    }

    #[test]
    fn job_failure_after_success_is_failed() {
        let mut d = DbReport {
            database: "x".into(),
            jobs: Some(Jobs {
                imagecopy: Some(JobStatus {
                    last_successful: Some("2026-11-20 10:00:00 +01:00".into()),
                    last_failed: Some("2026-11-21 09:30:00 +00:00".into()),
                    ..JobStatus::default()
                }),
                archlog: None,
            }),
            ..DbReport::default()
        };
        d.assess(
            t("2026-11-21T12:00:00Z"),
            std::time::Duration::from_secs(3600),
        );
        assert_eq!(d.status, Status::Failed, "{:?}", d.problems);
        d.jobs
            .as_mut()
            .unwrap()
            .imagecopy
            .as_mut()
            .unwrap()
            .last_successful = Some("2026-11-21 10:31:00 +01:00".into());
        d.assess(
            t("2026-11-21T12:00:00Z"),
            std::time::Duration::from_secs(3600),
        );
        assert_eq!(d.status, Status::Ok, "{:?}", d.problems);
    }

    #[test]
    fn text_lines() {
        insta::assert_snapshot!(text(&sample()));
    }

    #[test]
    fn prometheus_parses_and_names_every_database() {
        let out = prometheus(&sample());
        let lines = out.lines().map(|l| Ok(l.to_string()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        let errors: Vec<_> = scrape
            .samples
            .iter()
            .filter(|s| s.metric == "imagecopy_report_error")
            .collect();
        assert_eq!(errors.len(), 3);
        let broken = errors
            .iter()
            .find(|s| s.labels.get("db") == Some("broken"))
            .unwrap();
        assert!(matches!(broken.value, prometheus_parse::Value::Gauge(v) if v == 1.0));
        assert!(scrape
            .docs
            .contains_key("imagecopy_snapshot_newest_timestamp_seconds"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn json_has_stable_fields() {
        let v: serde_json::Value = serde_json::from_str(&json(&sample())).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["databases"][0]["snapshots"]["count"], 3);
        assert_eq!(v["databases"][0]["status"], "OK");
        assert_eq!(v["databases"][0]["restores"]["avg_diff_seconds"], 42);
        assert_eq!(v["databases"][1]["status"], "FAILED");
        assert!(v["databases"][2]["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("jobs: ORA-12541: TNS:no listener"));
        assert!(sample().has_errors());
    }
}

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
//! Collecting the data (the database, the storage, the catalog, the run logs) and the HTML
//! page are being built.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

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

/// The snapshots of a database and what they let you recover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// How many.
    pub count: u64,
    /// The oldest snapshot's creation (UTC).
    pub oldest: Option<DateTime<Utc>>,
    /// The newest snapshot's creation (UTC).
    pub newest: Option<DateTime<Utc>>,
    /// The oldest recoverable time: the recovery point recorded in the oldest snapshot
    /// (database time), when known.
    pub oldest_recoverable: Option<NaiveDateTime>,
    /// The newest recoverable time: the newest snapshot's recorded recovery point.
    pub newest_recoverable: Option<NaiveDateTime>,
    /// Bytes all snapshots hold alone (sum of `unique`).
    pub unique_bytes: u64,
    /// Bytes the newest snapshot refers to.
    pub total_bytes: u64,
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
    /// Corrupt blocks found over all tests.
    pub corrupt_blocks: u64,
    /// Tests counted.
    pub tests: u64,
}

impl RestoreSummary {
    /// The summary of a database's catalog records.
    pub fn of(records: &[autorestore_record::Record]) -> RestoreSummary {
        let mut s = RestoreSummary::default();
        let (mut diff_sum, mut diff_n, mut dur_sum, mut dur_n) = (0i64, 0i64, 0i64, 0i64);
        for r in records {
            s.tests += 1;
            s.corrupt_blocks += r.corrupt_blocks.unwrap_or(0);
            if r.success {
                s.last_success = s.last_success.max(Some(r.started));
                if r.validated {
                    s.last_validated = s.last_validated.max(Some(r.started));
                }
                if let Some(d) = r.verification_diff_seconds {
                    diff_sum += d;
                    diff_n += 1;
                }
                dur_sum += (r.finished - r.started).num_seconds();
                dur_n += 1;
            } else {
                s.last_failure = s.last_failure.max(Some(r.started));
            }
        }
        s.avg_diff_seconds = (diff_n > 0).then(|| diff_sum / diff_n);
        s.avg_duration_seconds = (dur_n > 0).then(|| dur_sum / dur_n);
        s
    }
}

/// What the report needs of a restore-test record (the catalog's record, without the
/// catalog crate's dependencies).
pub mod autorestore_record {
    use chrono::{DateTime, Utc};

    /// One restore test.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Record {
        /// Start (UTC).
        pub started: DateTime<Utc>,
        /// End (UTC).
        pub finished: DateTime<Utc>,
        /// Whether it succeeded.
        pub success: bool,
        /// Whether every block was validated.
        pub validated: bool,
        /// Verified time difference, seconds.
        pub verification_diff_seconds: Option<i64>,
        /// Corrupt blocks found.
        pub corrupt_blocks: Option<u64>,
    }
}

/// The last backup run of a database (its newest run log's summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LastRun {
    /// The action (`imagecopywithsnap`).
    pub action: String,
    /// `SUCCESS` or `FAILED at step ...`.
    pub result: String,
    /// The log file.
    pub log: String,
}

/// One database's row of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DbReport {
    /// The database.
    pub database: String,
    /// Why some of its data could not be read (the rest is still shown).
    pub errors: Vec<String>,
    /// The backup jobs.
    pub jobs: Option<Jobs>,
    /// The snapshots.
    pub snapshots: Option<SnapshotSummary>,
    /// The restore tests.
    pub restores: Option<RestoreSummary>,
    /// The last backup run.
    pub last_run: Option<LastRun>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The original's per-database lines, readable in a terminal.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.databases {
        out.push_str(&format!("{}:\n", d.database));
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
                if let (Some(a), Some(b)) = (s.oldest_recoverable, s.newest_recoverable) {
                    out.push_str(&format!("  Recovery window: {a} .. {b}\n"));
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
    let metrics: [(&str, &str, Get); 9] = [
        (
            "imagecopy_report_error",
            "1 when some of the database's data could not be read",
            |d| Some(if d.errors.is_empty() { 0.0 } else { 1.0 }),
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
            |d| d.restores.as_ref().map(|r| r.corrupt_blocks as f64),
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

    fn sample() -> Report {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        Report {
            format_version: FORMAT_VERSION,
            generated: t("2026-11-21T12:00:00Z"),
            databases: vec![
                DbReport {
                    database: "orcl".into(),
                    errors: vec![],
                    jobs: Some(parse_jobstatus(JOBSTATUS).unwrap()),
                    snapshots: Some(SnapshotSummary {
                        count: 3,
                        oldest: Some(t("2026-11-19T10:15:00Z")),
                        newest: Some(t("2026-11-21T10:15:00Z")),
                        oldest_recoverable: None,
                        newest_recoverable: None,
                        unique_bytes: 3 << 30,
                        total_bytes: 200 << 30,
                    }),
                    restores: Some(RestoreSummary::of(&[autorestore_record::Record {
                        started: t("2026-11-21T02:00:00Z"),
                        finished: t("2026-11-21T02:30:00Z"),
                        success: true,
                        validated: true,
                        verification_diff_seconds: Some(42),
                        corrupt_blocks: Some(0),
                    }])),
                    last_run: None,
                },
                DbReport {
                    database: "broken".into(),
                    errors: vec!["ORA-12541: TNS:no listener".into()],
                    ..DbReport::default()
                },
            ],
        }
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
        assert_eq!(errors.len(), 2);
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
        assert_eq!(v["databases"][0]["restores"]["avg_diff_seconds"], 42);
        assert_eq!(v["databases"][1]["errors"][0], "ORA-12541: TNS:no listener");
        assert!(sample().has_errors());
    }
}

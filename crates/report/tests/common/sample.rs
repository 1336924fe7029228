//! The sample fleet of the report's tests, shared by the unit tests (`#[path]`-included by
//! `src/lib.rs`) and the integration tests: `orcl` OK (three snapshots, the oldest holding no
//! recovery point, two restore tests), `old` stale and failed (a failed run, a restore test
//! that found a corrupt block), `broken` ERROR (markup in its error message), assessed at
//! 2026-11-21 12:00 UTC with the default 26 hours.

#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use report::{
    DbReport, LastRun, Report, RestoreSummary, RestoreTest, SnapshotPoint, SnapshotSummary,
    FORMAT_VERSION,
};

/// An RFC 3339 time.
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A `yyyy-mm-dd hh24:mi:ss` database time.
pub fn naive(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A snapshot of 1 GiB unique, 200 GiB total.
pub fn point(id: &str, created: &str, recoverable: Option<&str>) -> SnapshotPoint {
    SnapshotPoint {
        id: id.into(),
        created: t(created),
        recoverable: recoverable.map(naive),
        unique_bytes: 1 << 30,
        total_bytes: 200 << 30,
        clones: 0,
    }
}

/// A restore test of `mins` minutes; a successful one reached the target within 42 s.
pub fn restore(started: &str, mins: i64, success: bool, corrupt: u64) -> RestoreTest {
    RestoreTest {
        started: t(started),
        finished: t(started) + TimeDelta::minutes(mins),
        success,
        validated: success,
        verification_diff_seconds: success.then_some(42),
        corrupt_blocks: Some(corrupt),
        snapshot: Some("snap-20261119T101500".into()),
    }
}

/// The three databases, assessed.
pub fn sample() -> Report {
    let now = t("2026-11-21T12:00:00Z");
    let stale = std::time::Duration::from_secs(26 * 3600);
    let mut orcl = DbReport {
        database: "orcl".into(),
        snapshots: Some(SnapshotSummary::of(vec![
            point(
                "orcl-20261121T101500",
                "2026-11-21T10:15:00Z",
                Some("2026-11-20 10:15:02"),
            ),
            point("orcl-20261119T101500", "2026-11-19T10:15:00Z", None),
            point(
                "orcl-20261120T101500",
                "2026-11-20T10:15:00Z",
                Some("2026-11-19 10:15:03"),
            ),
        ])),
        restores: Some(RestoreSummary::of(vec![
            restore("2026-11-20T02:00:00Z", 35, true, 0),
            restore("2026-11-21T02:00:00Z", 30, true, 0),
        ])),
        last_run: Some(LastRun::from_log(
            "orcl",
            "/backup/orcl/backup_logs/orcl_20261121T101500_imagecopywithsnap.log",
            "Result: SUCCESS\n",
        )),
        ..DbReport::default()
    };
    orcl.assess(now, stale);
    let mut old = DbReport {
        database: "old".into(),
        snapshots: Some(SnapshotSummary::of(vec![point(
            "old-20261118T101500",
            "2026-11-18T10:15:00Z",
            Some("2026-11-17 10:15:00"),
        )])),
        restores: Some(RestoreSummary::of(vec![
            restore("2026-11-19T02:00:00Z", 30, true, 0),
            restore("2026-11-20T02:00:00Z", 12, false, 1),
        ])),
        last_run: Some(LastRun::from_log(
            "old",
            "/backup/old/backup_logs/old_20261121T101500_imagecopywithsnap.log",
            "Result: FAILED at step 6 (merge)\n",
        )),
        ..DbReport::default()
    };
    old.assess(now, stale);
    let mut broken = DbReport {
        database: "broken".into(),
        errors: vec![
            "jobs: ORA-12541: TNS:no listener <script>alert('x')</script> & \"more\"".into(),
        ],
        ..DbReport::default()
    };
    broken.assess(now, stale);
    Report {
        format_version: FORMAT_VERSION,
        generated: now,
        databases: vec![orcl, old, broken],
    }
}

//! Invariants of the report's summaries and status, for any snapshots and restore tests.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use proptest::prelude::*;
use report::{DbReport, RestoreSummary, RestoreTest, SnapshotPoint, SnapshotSummary, Status};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

fn points() -> impl Strategy<Value = Vec<SnapshotPoint>> {
    prop::collection::vec(
        (
            0i64..10_000_000,
            prop::option::of(0i64..600),
            0u64..1 << 40,
            0u32..3,
        ),
        0..40,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (created, before, unique, clones))| SnapshotPoint {
                id: format!("db-{i:04}"),
                created: at(created),
                recoverable: before.map(|b| (at(created) - Duration::seconds(b)).naive_utc()),
                unique_bytes: unique,
                total_bytes: unique * 2,
                clones,
            })
            .collect()
    })
}

/// Tests with distinct start times (an hour apart at least), in random order.
fn tests() -> impl Strategy<Value = Vec<RestoreTest>> {
    prop::collection::vec((any::<bool>(), 0u64..3, 1i64..120), 0..30)
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (success, corrupt, mins))| RestoreTest {
                    started: at(i as i64 * 3600),
                    finished: at(i as i64 * 3600) + Duration::minutes(mins),
                    success,
                    validated: success,
                    verification_diff_seconds: success.then_some(mins),
                    corrupt_blocks: Some(corrupt),
                    snapshot: None,
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

proptest! {
    #[test]
    fn snapshot_summary(points in points()) {
        let s = SnapshotSummary::of(points.clone());
        let mut reversed = points.clone();
        reversed.reverse();
        prop_assert_eq!(&s, &SnapshotSummary::of(reversed), "order of the input matters");
        prop_assert_eq!(s.count as usize, points.len());
        prop_assert!(s.snapshots.windows(2).all(|w| w[0].created <= w[1].created));
        prop_assert_eq!(s.oldest, points.iter().map(|p| p.created).min());
        prop_assert_eq!(s.newest, points.iter().map(|p| p.created).max());
        let rec: Vec<NaiveDateTime> = points.iter().filter_map(|p| p.recoverable).collect();
        prop_assert_eq!(s.oldest_recoverable, rec.iter().min().copied());
        prop_assert_eq!(s.newest_recoverable, rec.iter().max().copied());
        prop_assert!(s.oldest_recoverable <= s.newest_recoverable);
        prop_assert_eq!(s.unique_bytes, points.iter().map(|p| p.unique_bytes).sum::<u64>());
    }

    #[test]
    fn restore_summary(tests in tests()) {
        let s = RestoreSummary::of(tests.clone());
        let latest = tests.iter().max_by_key(|t| t.started);
        prop_assert_eq!(s.tests, Some(tests.len() as u64));
        prop_assert_eq!(s.last_success, tests.iter().filter(|t| t.success).map(|t| t.started).max());
        prop_assert_eq!(s.last_failure, tests.iter().filter(|t| !t.success).map(|t| t.started).max());
        prop_assert_eq!(
            s.latest_failed(),
            latest.is_some_and(|t| !t.success || t.corrupt_blocks.unwrap_or(0) > 0)
        );
        prop_assert!(s.history.windows(2).all(|w| w[0].started < w[1].started));
        if let Some(avg) = s.avg_duration_seconds {
            prop_assert!((60..=120 * 60).contains(&avg));
        }
    }

    #[test]
    fn status(points in points(), tests in tests(), errors in prop::collection::vec("[a-z]{1,8}", 0..2), stale_h in 1u64..100) {
        let now = at(10_000_000 + 3600);
        let mut d = DbReport {
            database: "db".into(),
            snapshots: Some(SnapshotSummary::of(points)),
            restores: Some(RestoreSummary::of(tests)),
            errors,
            ..DbReport::default()
        };
        d.assess(now, std::time::Duration::from_secs(stale_h * 3600));
        prop_assert_eq!(d.status == Status::Error, !d.errors.is_empty());
        if d.errors.is_empty() {
            prop_assert_eq!(d.status == Status::Ok, d.problems.is_empty());
        }
        let restores = d.restores.as_ref().unwrap();
        if restores.latest_failed() {
            prop_assert!(d.status >= Status::Failed);
        }
        let snaps = d.snapshots.as_ref().unwrap();
        let stale = snaps.newest.map_or(true, |n| (now - n).num_seconds() >= (stale_h * 3600) as i64);
        prop_assert_eq!(d.problems.iter().any(|p| p.contains("snapshot")), stale);
    }
}

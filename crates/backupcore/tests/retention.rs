//! Retention: the original's semantics, our safety rules, edge cases and properties.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::{BTreeSet, HashMap};

use backupcore::retention::{plan, Candidate, Decision, Policy, Reason};
use backupcore::snap::conformance::two_year_retention_table;
use chrono::{DateTime, Datelike, Duration, Utc};
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn run(snaps: &[(&str, &str, u32)], policy: Policy, now: &str) -> Vec<(String, Reason)> {
    let owned: Vec<(String, DateTime<Utc>, u32)> = snaps
        .iter()
        .map(|(id, at, c)| (id.to_string(), t(at), *c))
        .collect();
    let cands: Vec<Candidate<'_>> = owned
        .iter()
        .map(|(id, created, clones)| Candidate {
            id,
            created: *created,
            clones: *clones,
        })
        .collect();
    plan(&cands, policy, t(now))
        .into_iter()
        .map(|d| (d.id, d.reason))
        .collect()
}

fn reasons(v: &[(String, Reason)]) -> Vec<Reason> {
    v.iter().map(|(_, r)| *r).collect()
}

#[test]
fn two_year_daily_table() {
    let table = two_year_retention_table("orcl");
    let cands: Vec<_> = table.snapshots.iter().map(|s| s.candidate()).collect();
    let p = plan(&cands, table.policy, table.now);
    assert_eq!(p.len(), 730);
    let kept: Vec<&str> = p
        .iter()
        .filter(|d| d.keep())
        .map(|d| d.id.as_str())
        .collect();
    // Written out: the five month-ends of the monthly band, then the 30 days of the daily band.
    let expected = [
        "orcl-20260531T100000",
        "orcl-20260630T100000",
        "orcl-20260731T100000",
        "orcl-20260831T100000",
        "orcl-20260930T100000",
        "orcl-20261022T100000",
        "orcl-20261023T100000",
        "orcl-20261024T100000",
        "orcl-20261025T100000",
        "orcl-20261026T100000",
        "orcl-20261027T100000",
        "orcl-20261028T100000",
        "orcl-20261029T100000",
        "orcl-20261030T100000",
        "orcl-20261031T100000",
        "orcl-20261101T100000",
        "orcl-20261102T100000",
        "orcl-20261103T100000",
        "orcl-20261104T100000",
        "orcl-20261105T100000",
        "orcl-20261106T100000",
        "orcl-20261107T100000",
        "orcl-20261108T100000",
        "orcl-20261109T100000",
        "orcl-20261110T100000",
        "orcl-20261111T100000",
        "orcl-20261112T100000",
        "orcl-20261113T100000",
        "orcl-20261114T100000",
        "orcl-20261115T100000",
        "orcl-20261116T100000",
        "orcl-20261117T100000",
        "orcl-20261118T100000",
        "orcl-20261119T100000",
        "orcl-20261120T100000",
    ];
    assert_eq!(kept, expected);
    assert_eq!(table.kept, expected, "the shared fixture says the same");
    let count = |r: Reason| p.iter().filter(|d| d.reason == r).count();
    assert_eq!(count(Reason::WithinDays), 30);
    assert_eq!(count(Reason::NewestOfMonth), 5);
    assert_eq!(
        count(Reason::NotNewestOfMonth),
        150,
        "2026-05-20 .. 2026-10-21 less 5"
    );
    assert_eq!(count(Reason::Expired), 545, "2024-11-21 .. 2026-05-19");
}

#[test]
fn empty_list() {
    assert!(run(&[], Policy { days: 1, months: 1 }, "2026-01-01T00:00:00Z").is_empty());
}

#[test]
fn days_and_months_zero_keep_only_the_newest() {
    let r = run(
        &[
            ("a", "2026-01-01T00:00:00Z", 0),
            ("b", "2026-01-02T00:00:00Z", 0),
            ("c", "2026-01-03T00:00:00Z", 0),
        ],
        Policy { days: 0, months: 0 },
        "2026-01-03T00:00:01Z",
    );
    assert_eq!(
        reasons(&r),
        vec![Reason::Expired, Reason::Expired, Reason::Newest]
    );
}

#[test]
fn months_zero_drops_everything_past_days() {
    let r = run(
        &[
            ("a", "2026-01-01T00:00:00Z", 0),
            ("b", "2026-01-31T00:00:00Z", 0),
            ("c", "2026-02-09T00:00:00Z", 0),
        ],
        Policy { days: 2, months: 0 },
        "2026-02-10T00:00:00Z",
    );
    assert_eq!(
        reasons(&r),
        vec![Reason::Expired, Reason::Expired, Reason::WithinDays]
    );
}

#[test]
fn days_zero_keeps_month_ends() {
    let r = run(
        &[
            ("a", "2026-01-10T00:00:00Z", 0),
            ("b", "2026-01-20T00:00:00Z", 0),
            ("c", "2026-02-05T00:00:00Z", 0),
            ("d", "2026-02-06T00:00:00Z", 0),
        ],
        Policy { days: 0, months: 3 },
        "2026-02-07T00:00:00Z",
    );
    assert_eq!(
        reasons(&r),
        vec![
            Reason::NotNewestOfMonth,
            Reason::NewestOfMonth,
            Reason::NotNewestOfMonth,
            Reason::NewestOfMonth
        ]
    );
}

#[test]
fn month_and_year_boundaries_are_utc_calendar_months() {
    let r = run(
        &[
            ("jan31a", "2026-01-31T22:00:00Z", 0),
            ("jan31b", "2026-01-31T23:59:59Z", 0),
            ("feb01", "2026-02-01T00:00:00Z", 0),
            ("dec31", "2026-12-31T23:59:59Z", 0),
            ("jan01", "2027-01-01T00:00:00Z", 0),
            ("new", "2027-06-01T00:00:00Z", 0),
        ],
        Policy {
            days: 1,
            months: 24,
        },
        "2027-06-01T12:00:00Z",
    );
    assert_eq!(
        reasons(&r),
        vec![
            Reason::NotNewestOfMonth,
            Reason::NewestOfMonth,
            Reason::NewestOfMonth,
            Reason::NewestOfMonth,
            Reason::NewestOfMonth,
            Reason::WithinDays
        ]
    );
    // Same month number, different years, next to each other: both are month-ends.
    let r = run(
        &[
            ("y1", "2025-01-15T00:00:00Z", 0),
            ("y2", "2026-01-10T00:00:00Z", 0),
            ("n", "2026-03-01T00:00:00Z", 0),
        ],
        Policy {
            days: 1,
            months: 30,
        },
        "2026-03-02T00:00:00Z",
    );
    assert_eq!(
        reasons(&r),
        vec![
            Reason::NewestOfMonth,
            Reason::NewestOfMonth,
            Reason::WithinDays
        ]
    );
}

#[test]
fn band_edges_are_inclusive_like_the_original() {
    // age == days: kept by the daily band; one second more: monthly band.
    let now = "2026-03-11T00:00:00Z";
    let p = Policy {
        days: 10,
        months: 1,
    };
    let r = run(
        &[
            ("a00", "2026-02-28T23:00:00Z", 0),
            ("a0", "2026-02-28T23:59:59Z", 0),
            ("a", "2026-03-01T00:00:00Z", 0),
            ("z", "2026-03-10T00:00:00Z", 0),
        ],
        p,
        now,
    );
    assert_eq!(
        reasons(&r),
        vec![
            Reason::NotNewestOfMonth,
            Reason::NewestOfMonth,
            Reason::WithinDays,
            Reason::WithinDays
        ]
    );
    let r = run(
        &[
            ("a", "2026-02-28T23:59:59Z", 0),
            ("z", "2026-03-10T00:00:00Z", 0),
        ],
        p,
        now,
    );
    assert_eq!(reasons(&r)[0], Reason::NewestOfMonth);
    // age == months*31 days: still monthly; one second more: expired.
    let r = run(
        &[
            ("a", "2026-02-08T00:00:00Z", 0),
            ("z", "2026-03-10T00:00:00Z", 0),
        ],
        p,
        now,
    );
    assert_eq!(reasons(&r)[0], Reason::NewestOfMonth);
    let r = run(
        &[
            ("a", "2026-02-07T23:59:59Z", 0),
            ("z", "2026-03-10T00:00:00Z", 0),
        ],
        p,
        now,
    );
    assert_eq!(reasons(&r)[0], Reason::Expired);
}

#[test]
fn clones_and_the_newest_are_never_dropped() {
    let r = run(
        &[
            ("cloned", "2020-01-01T00:00:00Z", 1),
            ("old", "2020-01-02T00:00:00Z", 0),
            ("newest", "2020-02-01T00:00:00Z", 0),
        ],
        Policy { days: 1, months: 1 },
        "2026-01-01T00:00:00Z",
    );
    assert_eq!(
        reasons(&r),
        vec![Reason::HasClones, Reason::Expired, Reason::Newest]
    );
}

#[test]
fn clock_skew_future_snapshots_are_kept() {
    let r = run(
        &[
            ("past", "2026-01-01T00:00:00Z", 0),
            ("future1", "2026-06-01T00:00:00Z", 0),
            ("future2", "2026-06-02T00:00:00Z", 0),
        ],
        Policy { days: 0, months: 0 },
        "2026-05-01T00:00:00Z",
    );
    assert_eq!(
        reasons(&r),
        vec![Reason::Expired, Reason::WithinDays, Reason::WithinDays]
    );
}

#[test]
fn order_is_by_creation_then_id_whatever_the_input_order() {
    let r = run(
        &[
            ("b", "2026-01-01T00:00:00Z", 0),
            ("c", "2025-12-01T00:00:00Z", 0),
            ("a", "2026-01-01T00:00:00Z", 0),
        ],
        Policy {
            days: 0,
            months: 12,
        },
        "2026-02-01T00:00:00Z",
    );
    let ids: Vec<_> = r.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["c", "a", "b"]);
    assert_eq!(
        reasons(&r),
        vec![
            Reason::NewestOfMonth,
            Reason::NotNewestOfMonth,
            Reason::NewestOfMonth
        ]
    );
}

// ---- properties ----

fn base() -> DateTime<Utc> {
    t("2026-11-21T12:00:00Z")
}

prop_compose! {
    fn snapshots()(v in prop::collection::vec((-5i64 * 86400..800 * 86400, prop::bool::weighted(0.1)), 0..80))
        -> Vec<(String, DateTime<Utc>, u32)> {
        v.into_iter()
            .enumerate()
            .map(|(i, (age, cloned))| (format!("s{i:03}"), base() - Duration::seconds(age), u32::from(cloned)))
            .collect()
    }
}

fn plan_of(snaps: &[(String, DateTime<Utc>, u32)], policy: Policy) -> Vec<Decision> {
    let c: Vec<_> = snaps
        .iter()
        .map(|(id, created, clones)| Candidate {
            id,
            created: *created,
            clones: *clones,
        })
        .collect();
    plan(&c, policy, base())
}

proptest! {
    #[test]
    fn never_drops_cloned_or_newest(snaps in snapshots(), days in 0u32..60, months in 0u32..30) {
        let p = plan_of(&snaps, Policy { days, months });
        prop_assert_eq!(p.len(), snaps.len());
        let clones: HashMap<&str, u32> = snaps.iter().map(|(i, _, c)| (i.as_str(), *c)).collect();
        for d in &p {
            if clones[d.id.as_str()] > 0 {
                prop_assert!(d.keep(), "cloned {} dropped", d.id);
            }
        }
        if let Some(last) = p.last() {
            prop_assert!(last.keep(), "newest {} dropped", last.id);
        }
        let ids: BTreeSet<_> = p.iter().map(|d| d.id.clone()).collect();
        prop_assert_eq!(ids.len(), snaps.len(), "every snapshot exactly once");
    }

    #[test]
    fn plan_is_idempotent(snaps in snapshots(), days in 0u32..60, months in 0u32..30) {
        let policy = Policy { days, months };
        let p = plan_of(&snaps, policy);
        let kept: BTreeSet<_> = p.iter().filter(|d| d.keep()).map(|d| d.id.clone()).collect();
        let remaining: Vec<_> = snaps.iter().filter(|(i, _, _)| kept.contains(i)).cloned().collect();
        let again = plan_of(&remaining, policy);
        prop_assert!(again.iter().all(Decision::keep), "second run drops more: {:?}",
            again.iter().filter(|d| !d.keep()).collect::<Vec<_>>());
    }

    #[test]
    fn at_most_one_per_month_in_the_monthly_band(snaps in snapshots(), days in 0u32..60, months in 0u32..30) {
        let p = plan_of(&snaps, Policy { days, months });
        let mut seen = BTreeSet::new();
        for d in p.iter().filter(|d| d.reason == Reason::NewestOfMonth) {
            prop_assert!(seen.insert((d.created.year(), d.created.month())),
                "two snapshots kept for {}-{}", d.created.year(), d.created.month());
        }
    }

    #[test]
    fn daily_band_is_always_kept(snaps in snapshots(), days in 0u32..60, months in 0u32..30) {
        let p = plan_of(&snaps, Policy { days, months });
        for d in &p {
            if base() - d.created <= Duration::days(i64::from(days)) {
                prop_assert_eq!(d.reason, Reason::WithinDays);
            }
        }
    }
}

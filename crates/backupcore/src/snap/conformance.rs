//! The behaviours every [`SnapHandler`] must show, one public async function each, for
//! backends' tests to call (the way `object_store`'s shared integration tests work).
//!
//! Each function takes a handler on a *fresh* database filesystem: it exists and has no
//! snapshots and no clones. Functions clean up what they create where they can, but callers
//! should give each one its own fresh handler ([`run_all`] does). They panic with a message
//! naming the behaviour on failure.
//!
//! Snapshot creation times come from the storage, so checks allow for 10 minutes of clock
//! difference and 1-second resolution, and time-dependent logic is driven with a `now`
//! derived from the storage's own creation times.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ops::{self, AutocloneError, CleanStatus};
use super::{NagiosState, SnapError, SnapHandler, SnapshotInfo};
use crate::retention::Policy;

fn snap_name(h: &dyn SnapHandler, i: u32) -> String {
    format!("{}-20260101T0000{i:02}", h.database())
}

fn clone_name(h: &dyn SnapHandler, what: &str) -> String {
    format!("{}_{what}_clone", h.database())
}

async fn create(h: &dyn SnapHandler, i: u32) -> SnapshotInfo {
    let name = snap_name(h, i);
    let id = h
        .create_snapshot(&name)
        .await
        .unwrap_or_else(|e| panic!("create_snapshot({name}) failed: {e}"));
    assert_eq!(
        id, name,
        "create_snapshot must return the name it was given"
    );
    find(h, &id)
        .await
        .unwrap_or_else(|| panic!("snapshot {id} not listed after create_snapshot"))
}

async fn find(h: &dyn SnapHandler, id: &str) -> Option<SnapshotInfo> {
    h.list_snapshots()
        .await
        .unwrap_or_else(|e| panic!("list_snapshots failed: {e}"))
        .into_iter()
        .find(|s| s.id == id)
}

async fn ids(h: &dyn SnapHandler) -> Vec<String> {
    ops::list_sorted(h)
        .await
        .unwrap_or_else(|e| panic!("list_snapshots failed: {e}"))
        .into_iter()
        .map(|s| s.id)
        .collect()
}

fn latest(snaps: &[&SnapshotInfo]) -> DateTime<Utc> {
    snaps
        .iter()
        .map(|s| s.created)
        .max()
        .unwrap_or_else(Utc::now)
}

/// Create, list (UTC creation time near now, no clones), drop.
pub async fn snapshot_lifecycle(h: &dyn SnapHandler) {
    assert!(
        ids(h).await.is_empty(),
        "a fresh filesystem must have no snapshots"
    );
    let before = Utc::now() - chrono::Duration::minutes(10);
    let s = create(h, 1).await;
    let after = Utc::now() + chrono::Duration::minutes(10);
    assert!(
        s.created >= before && s.created <= after,
        "creation time {} is not now in UTC (between {before} and {after})",
        s.created
    );
    assert_eq!(s.clones, 0, "a new snapshot has no clones");
    h.drop_snapshot(&s.id)
        .await
        .unwrap_or_else(|e| panic!("drop_snapshot({}) failed: {e}", s.id));
    assert!(ids(h).await.is_empty(), "dropped snapshot still listed");
}

/// A second snapshot with an existing name is refused and the first one is left alone.
pub async fn duplicate_snapshot_name(h: &dyn SnapHandler) {
    let s = create(h, 1).await;
    let err = h.create_snapshot(&s.id).await;
    assert!(
        matches!(err, Err(SnapError::AlreadyExists { .. })),
        "creating a snapshot with an existing name must fail with AlreadyExists, got {err:?}"
    );
    assert_eq!(ids(h).await, vec![s.id.clone()]);
}

/// Dropping a snapshot that does not exist is `NotFound`.
pub async fn drop_missing_snapshot(h: &dyn SnapHandler) {
    let err = h.drop_snapshot(&snap_name(h, 99)).await;
    assert!(
        matches!(err, Err(SnapError::NotFound { .. })),
        "dropping a missing snapshot must be NotFound, got {err:?}"
    );
}

/// Clone a snapshot: the clone is listed with its origin, counts on the snapshot, blocks the
/// snapshot's drop, is a clone per `filesystem_info`, mounts, and drops cleanly.
pub async fn clone_lifecycle(h: &dyn SnapHandler) {
    let s = create(h, 1).await;
    let name = clone_name(h, "life");
    let c = h
        .clone_snapshot(&s.id, &name)
        .await
        .unwrap_or_else(|e| panic!("clone_snapshot({}, {name}) failed: {e}", s.id));
    assert_eq!(c.name, name);
    assert_eq!(c.origin, s.id);
    assert!(!c.mount_point.is_empty(), "a clone has a mount point");

    let clones = h
        .list_clones()
        .await
        .unwrap_or_else(|e| panic!("list_clones failed: {e}"));
    assert!(
        clones.iter().any(|x| x.name == name && x.origin == s.id),
        "clone {name} of {} not in list_clones: {clones:?}",
        s.id
    );
    let listed = find(h, &s.id).await.expect("snapshot still listed");
    assert_eq!(listed.clones, 1, "the snapshot must count its clone");

    let fs = h
        .filesystem_info(Some(&name))
        .await
        .unwrap_or_else(|e| panic!("filesystem_info({name}) failed: {e}"));
    let origin = fs
        .origin
        .expect("filesystem_info of a clone names its origin");
    assert_eq!(origin.snapshot, s.id);
    assert_eq!(origin.filesystem, h.database());
    let mount = h
        .mount_string(&name)
        .await
        .unwrap_or_else(|e| panic!("mount_string failed: {e}"));
    assert!(
        mount.contains(&fs.mount_point),
        "mount string {mount} must contain the mount point {}",
        fs.mount_point
    );

    let err = h.drop_snapshot(&s.id).await;
    assert!(
        matches!(err, Err(SnapError::HasClones { .. })),
        "dropping a snapshot with a clone must fail with HasClones, got {err:?}"
    );
    assert!(
        find(h, &s.id).await.is_some(),
        "refused drop must leave the snapshot"
    );

    h.drop_clone(&name)
        .await
        .unwrap_or_else(|e| panic!("drop_clone({name}) failed: {e}"));
    let clones = h.list_clones().await.expect("list_clones");
    assert!(
        clones.iter().all(|x| x.name != name),
        "dropped clone still listed"
    );
    assert_eq!(find(h, &s.id).await.expect("listed").clones, 0);
    h.drop_snapshot(&s.id)
        .await
        .expect("snapshot drops once its clone is gone");
}

/// Cloning a snapshot that does not exist is `NotFound` and creates nothing.
pub async fn clone_missing_snapshot(h: &dyn SnapHandler) {
    let err = h
        .clone_snapshot(&snap_name(h, 98), &clone_name(h, "missing"))
        .await;
    assert!(
        matches!(err, Err(SnapError::NotFound { .. })),
        "cloning a missing snapshot must be NotFound, got {err:?}"
    );
    assert!(h.list_clones().await.expect("list_clones").is_empty());
}

/// `drop_clone` refuses the database's own filesystem (not a clone) and leaves it intact.
pub async fn drop_clone_refuses_non_clone(h: &dyn SnapHandler) {
    let s = create(h, 1).await;
    let db = h.database().to_string();
    let err = h.drop_clone(&db).await;
    assert!(
        matches!(err, Err(SnapError::NotOurClone { .. })),
        "drop_clone of the database's own filesystem must be refused, got {err:?}"
    );
    assert!(
        h.filesystem_info(None).await.is_ok(),
        "own filesystem must survive"
    );
    assert!(find(h, &s.id).await.is_some(), "snapshots must survive");
}

/// Dropping a clone that does not exist is `NotFound`.
pub async fn drop_missing_clone(h: &dyn SnapHandler) {
    let err = h.drop_clone(&clone_name(h, "nonexistent")).await;
    assert!(
        matches!(err, Err(SnapError::NotFound { .. })),
        "dropping a missing clone must be NotFound, got {err:?}"
    );
}

/// The database's own filesystem: named after the database, not a clone, mountable.
pub async fn own_filesystem(h: &dyn SnapHandler) {
    let fs = h
        .filesystem_info(None)
        .await
        .unwrap_or_else(|e| panic!("filesystem_info failed: {e}"));
    assert_eq!(fs.name, h.database());
    assert!(
        fs.origin.is_none(),
        "the database's own filesystem is not a clone"
    );
    assert!(!fs.mount_point.is_empty());
    let mount = h
        .mount_string(h.database())
        .await
        .expect("mount_string of own filesystem");
    assert!(mount.contains(&fs.mount_point));
}

/// `create_volume` for a database whose filesystem exists is `AlreadyExists`.
pub async fn create_volume_existing(h: &dyn SnapHandler) {
    let s = create(h, 1).await;
    let err = h.create_volume().await;
    assert!(
        matches!(err, Err(SnapError::AlreadyExists { .. })),
        "create_volume over an existing filesystem must be AlreadyExists, got {err:?}"
    );
    assert!(
        find(h, &s.id).await.is_some(),
        "existing snapshots must survive"
    );
}

/// `clean` follows the retention plan: a dry run drops nothing; a real run keeps the cloned
/// snapshot ("has a clone") and the newest, drops the rest.
pub async fn clean_by_retention(h: &dyn SnapHandler) {
    let a = create(h, 1).await;
    let b = create(h, 2).await;
    let c = create(h, 3).await;
    let clone = clone_name(h, "clean");
    h.clone_snapshot(&a.id, &clone)
        .await
        .expect("clone for clean");
    let now = latest(&[&a, &b, &c]) + chrono::Duration::days(40);
    let policy = Policy { days: 0, months: 0 };

    let dry = ops::clean(h, policy, now, true)
        .await
        .expect("clean --dry-run");
    let statuses: Vec<_> = dry.entries.iter().map(|e| e.status.clone()).collect();
    assert_eq!(
        statuses,
        vec![
            CleanStatus::HasClone,
            CleanStatus::WouldDrop,
            CleanStatus::Valid
        ],
        "dry-run plan"
    );
    assert_eq!(ids(h).await.len(), 3, "a dry run must drop nothing");

    let real = ops::clean(h, policy, now, false).await.expect("clean");
    assert_eq!(real.dropped(), vec![b.id.as_str()]);
    assert!(!real.any_failed());
    assert_eq!(ids(h).await, vec![a.id.clone(), c.id.clone()]);
    h.drop_clone(&clone).await.expect("drop clone after clean");
}

/// `autoclone` clones the newest snapshot old enough, and says so when none is.
pub async fn autoclone_newest_old_enough(h: &dyn SnapHandler) {
    let a = create(h, 1).await;
    let b = create(h, 2).await;
    let now = latest(&[&a, &b]) + chrono::Duration::hours(1);
    let name = clone_name(h, "auto");
    let err = ops::autoclone(h, Duration::from_secs(48 * 3600), &name, now).await;
    assert!(
        matches!(err, Err(AutocloneError::NoSuitableSnapshot { .. })),
        "no snapshot is 48 h old, got {err:?}"
    );
    let (src, clone) = ops::autoclone(h, Duration::ZERO, &name, now)
        .await
        .expect("autoclone");
    assert_eq!(src.id, b.id, "autoclone must pick the newest snapshot");
    assert_eq!(clone.origin, b.id);
    h.drop_clone(&name).await.expect("drop autoclone");
}

/// `recovery_snapshot` finds the oldest snapshot taken at or after the target.
pub async fn recovery_snapshot_search(h: &dyn SnapHandler) {
    let a = create(h, 1).await;
    let b = create(h, 2).await;
    let found = ops::recovery_snapshot(h, a.created - chrono::Duration::hours(1))
        .await
        .expect("recovery_snapshot");
    assert_eq!(found.map(|s| s.id), Some(a.id.clone()));
    let found = ops::recovery_snapshot(h, b.created)
        .await
        .expect("recovery_snapshot");
    let expect = if a.created == b.created { &a.id } else { &b.id };
    assert_eq!(found.map(|s| s.id).as_ref(), Some(expect));
    let found = ops::recovery_snapshot(h, b.created + chrono::Duration::seconds(1))
        .await
        .expect("recovery_snapshot");
    assert_eq!(found, None, "no snapshot after the newest");
}

/// `check_age` states from the storage's own listing: none is CRITICAL, then OK, WARNING,
/// CRITICAL as the newest snapshot ages.
pub async fn checkage_states(h: &dyn SnapHandler) {
    let warn = Duration::from_secs(26 * 3600);
    let crit = Duration::from_secs(32 * 3600);
    let empty = h.list_snapshots().await.expect("list");
    assert_eq!(
        ops::check_age(&empty, warn, crit, Utc::now()).state,
        NagiosState::Critical
    );
    let s = create(h, 1).await;
    let snaps = h.list_snapshots().await.expect("list");
    for (hours, want) in [
        (1, NagiosState::Ok),
        (27, NagiosState::Warning),
        (33, NagiosState::Critical),
    ] {
        let got = ops::check_age(
            &snaps,
            warn,
            crit,
            s.created + chrono::Duration::hours(hours),
        );
        assert_eq!(got.state, want, "newest snapshot {hours} h old");
    }
}

/// Runs every behaviour, each on a fresh handler from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Box<dyn SnapHandler>>,
{
    snapshot_lifecycle(make().await.as_ref()).await;
    duplicate_snapshot_name(make().await.as_ref()).await;
    drop_missing_snapshot(make().await.as_ref()).await;
    clone_lifecycle(make().await.as_ref()).await;
    clone_missing_snapshot(make().await.as_ref()).await;
    drop_clone_refuses_non_clone(make().await.as_ref()).await;
    drop_missing_clone(make().await.as_ref()).await;
    own_filesystem(make().await.as_ref()).await;
    create_volume_existing(make().await.as_ref()).await;
    clean_by_retention(make().await.as_ref()).await;
    autoclone_newest_old_enough(make().await.as_ref()).await;
    recovery_snapshot_search(make().await.as_ref()).await;
    checkage_states(make().await.as_ref()).await;
}

/// A retention scenario every backend's `clean` must carry out exactly: two years of daily
/// snapshots under the seed README's policy (31 days, 6 months).
#[derive(Debug, Clone)]
pub struct RetentionTable {
    /// The snapshots, oldest first: one a day at 10:00 UTC, 2024-11-21 to 2026-11-20.
    pub snapshots: Vec<SnapshotInfo>,
    /// `snapexpirationdays: 31`, `snapexpirationmonths: 6`.
    pub policy: Policy,
    /// 2026-11-21 12:00 UTC.
    pub now: DateTime<Utc>,
    /// Ids that must survive, oldest first.
    pub kept: Vec<String>,
}

/// The two-year daily table, written out.
///
/// With now = 2026-11-21 12:00 UTC:
/// * daily band (age <= 31 days, taken after 2026-10-21 12:00): 2026-10-22 .. 2026-11-20, 30
///   snapshots, all kept;
/// * monthly band (31 days < age <= 186 days, taken after 2026-05-19 12:00): 2026-05-20 ..
///   2026-10-21; only the newest snapshot of each month survives: 05-31, 06-30, 07-31,
///   08-31, 09-30. October's newest (10-31) is in the daily band, so 10-01 .. 10-21 go;
/// * expired (older than 186 days): everything up to 2026-05-19, 545 snapshots, dropped.
///
/// 35 of 730 kept.
pub fn two_year_retention_table(db: &str) -> RetentionTable {
    let first = DateTime::parse_from_rfc3339("2024-11-21T10:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let snapshots = (0..730)
        .map(|d| {
            let created = first + chrono::Duration::days(d);
            SnapshotInfo {
                id: format!("{db}-{}", created.format("%Y%m%dT%H%M%S")),
                created,
                clones: 0,
                space_total: 200 << 30,
                space_unique: 2 << 30,
            }
        })
        .collect();
    let mut kept_days: Vec<String> = [
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
    ]
    .iter()
    .map(|d| d.to_string())
    .collect();
    kept_days.extend((22..=31).map(|d| format!("2026-10-{d:02}")));
    kept_days.extend((1..=20).map(|d| format!("2026-11-{d:02}")));
    let kept = kept_days
        .iter()
        .map(|d| format!("{db}-{}T100000", d.replace('-', "")))
        .collect();
    RetentionTable {
        snapshots,
        policy: Policy {
            days: 31,
            months: 6,
        },
        now: DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now()),
        kept,
    }
}

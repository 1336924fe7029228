//! The in-memory backend passes the conformance suite; `clean` over it carries out the
//! retention plan exactly and reports failed drops.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::Arc;

use backupcore::snap::conformance::{self, two_year_retention_table};
use backupcore::snap::memory::{MemorySnapHandler, MemoryStorage};
use backupcore::snap::ops::{self, CleanStatus};
use backupcore::snap::{SnapError, SnapHandler};
use chrono::{DateTime, Utc};

#[tokio::test]
async fn conformance_suite() {
    conformance::run_all(|| async {
        Box::new(MemorySnapHandler::new("orcl")) as Box<dyn SnapHandler>
    })
    .await;
}

#[tokio::test]
async fn two_year_table_through_clean() {
    let table = two_year_retention_table("orcl");
    let storage = MemoryStorage::new();
    let h = storage.handler("orcl");
    for s in &table.snapshots {
        storage.insert_snapshot("orcl", s.clone());
    }
    let report = ops::clean(&h, table.policy, table.now, false)
        .await
        .unwrap();
    assert!(!report.any_failed());
    assert_eq!(report.entries.len(), 730);
    assert_eq!(report.dropped().len(), 730 - 35);
    assert_eq!(storage.snapshot_ids("orcl"), table.kept);
    // Nothing but listing and the planned drops reached the storage.
    let calls = storage.calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("drop_snapshot "))
            .count(),
        695
    );
    assert_eq!(calls.len(), 696);
    // A second run drops nothing.
    let again = ops::clean(&h, table.policy, table.now, false)
        .await
        .unwrap();
    assert!(again.dropped().is_empty());
}

#[tokio::test]
async fn clean_reports_drop_failed_and_goes_on() {
    let table = two_year_retention_table("orcl");
    let storage = MemoryStorage::new();
    let h = storage.handler("orcl");
    for s in table.snapshots.iter().take(5) {
        storage.insert_snapshot("orcl", s.clone());
    }
    let victim = table.snapshots[1].id.clone();
    storage.fail_next(
        "drop_snapshot",
        &victim,
        SnapError::Storage {
            operation: format!("DELETE snapshots/{victim}"),
            status: Some(500),
            message: "appliance busy".into(),
        },
    );
    let report = ops::clean(&h, table.policy, table.now, false)
        .await
        .unwrap();
    assert!(report.any_failed());
    let lines: Vec<String> = report.entries.iter().map(|e| e.line()).collect();
    assert!(lines[1].ends_with(" DROP FAILED"), "{}", lines[1]);
    assert!(lines[0].ends_with(" dropped"), "{}", lines[0]);
    assert!(
        lines[4].ends_with(" valid"),
        "the newest stays: {}",
        lines[4]
    );
    match &report.entries[1].status {
        CleanStatus::DropFailed(msg) => assert!(
            msg.contains("appliance busy") && msg.contains("500"),
            "{msg}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        storage.snapshot_ids("orcl"),
        vec![victim, table.snapshots[4].id.clone()]
    );
    assert_eq!(
        lines[0],
        format!(
            "{} [2024-11-21 10:00:00 UTC] total=200GB unique=2GB clones=0 dropped",
            table.snapshots[0].id
        )
    );
}

#[tokio::test]
async fn clean_dry_run_touches_nothing() {
    let table = two_year_retention_table("orcl");
    let storage = MemoryStorage::new();
    let h = storage.handler("orcl");
    for s in &table.snapshots {
        storage.insert_snapshot("orcl", s.clone());
    }
    let report = ops::clean(&h, table.policy, table.now, true).await.unwrap();
    assert_eq!(
        report
            .entries
            .iter()
            .filter(|e| e.status == CleanStatus::WouldDrop)
            .count(),
        695
    );
    assert_eq!(storage.snapshot_ids("orcl").len(), 730);
    assert_eq!(storage.calls(), vec!["list_snapshots".to_string()]);
}

#[tokio::test]
async fn another_databases_clone_is_not_ours() {
    let storage = MemoryStorage::new();
    let a = storage.handler("dba");
    let b = storage.handler("dbb");
    a.create_snapshot("dba-1").await.unwrap();
    a.clone_snapshot("dba-1", "dba_clone").await.unwrap();
    let err = b.drop_clone("dba_clone").await.unwrap_err();
    assert!(matches!(err, SnapError::NotOurClone { .. }), "{err}");
    assert!(err.to_string().contains("clone of dba"), "{err}");
    assert!(b.list_clones().await.unwrap().is_empty());
    assert_eq!(a.list_clones().await.unwrap().len(), 1);
}

#[tokio::test]
async fn creation_times_come_from_the_storage_clock() {
    let at: DateTime<Utc> = "2026-11-21T10:15:00Z".parse().unwrap();
    let storage = MemoryStorage::with_clock(Arc::new(move || at));
    let h = storage.handler("orcl");
    h.create_snapshot("orcl-20261121T111500").await.unwrap();
    let s = h.list_snapshots().await.unwrap();
    assert_eq!(s[0].created, at);
    let check = ops::check_age(
        &s,
        std::time::Duration::from_secs(3600),
        std::time::Duration::from_secs(7200),
        at + chrono::Duration::seconds(237),
    );
    assert_eq!(
        check.line(),
        "OK: The latest snapshot age 0:03:57 | age=237s;3600;7200"
    );
    assert_eq!(check.state.exit_code(), 0);
}

#[test]
fn age_formatting_like_python_timedelta() {
    use std::time::Duration;
    assert_eq!(ops::format_age(Duration::from_secs(0)), "0:00:00");
    assert_eq!(
        ops::format_age(Duration::from_secs(86400 + 2 * 3600 + 3 * 60 + 4)),
        "1 day, 2:03:04"
    );
    assert_eq!(
        ops::format_age(Duration::from_secs(3 * 86400)),
        "3 days, 0:00:00"
    );
    let none = ops::check_age(
        &[],
        Duration::from_secs(1),
        Duration::from_secs(2),
        Utc::now(),
    );
    assert_eq!(none.line(), "CRITICAL: No snapshots found | age=U;1;2");
}

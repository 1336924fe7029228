//! Restore tests of a database backed up five times by the real `backup` program onto
//! local reflink storage, against oracle-sim: the restore recovers to the newest snapshot's
//! recorded time, and a rotten block in the snapshotted copies fails the test, names the
//! block, and still leaves no instance and no clone behind.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod world;

use autorestore::catalog::sqlite::SqliteCatalog;
use autorestore::catalog::Catalog;
use autorestore::flow::{Step, SystemMounter};
use backupcore::snap::SnapHandler;
use rman::template::{TemplateKind, TemplateSet};
use world::World;

fn templates() -> TemplateSet {
    TemplateSet::builtin(TemplateKind::Restore).unwrap()
}

#[tokio::test]
async fn five_cycles_then_a_restore_test_that_reaches_the_recorded_time() {
    let w = World::new("orcl");
    let points = w.backed_up(5);
    let storage = w.storage();
    let report = w
        .restore(&storage, w.settings(true), templates(), &SystemMounter)
        .await;
    assert_eq!(report.failure, None, "{report:#?}");
    assert!(report.cleanup_errors.is_empty(), "{report:#?}");
    // The newest snapshot, recovered to the time its run recorded.
    let snaps = backupcore::snap::ops::list_sorted(&storage).await.unwrap();
    assert_eq!(
        report.snapshot.as_deref(),
        Some(snaps.last().unwrap().id.as_str())
    );
    assert_eq!(
        report
            .target
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        *points.last().unwrap()
    );
    let v = report.verification.clone().unwrap();
    assert!(v.diff_seconds.abs() <= 300, "{v:?}");
    assert!(report.validated);
    assert_eq!(report.corrupt_blocks, Some(0));
    let steps: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps.first(), Some(&Step::CleanDestination));
    assert_eq!(steps.last(), Some(&Step::Validate));
    // Nothing left: no clone, no instance.
    assert!(storage.list_clones().await.unwrap().is_empty());
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.sim().join("simdb/state.json")).unwrap()).unwrap();
    assert!(
        state["instance"].is_null(),
        "instance still up: {}",
        state["instance"]
    );

    // Recorded in the catalog.
    let catalog = SqliteCatalog::new(w.base().join("catalog.db"));
    catalog.migrate().await.unwrap();
    let log = w.logdir().join("restore-orcl.log");
    let id = catalog
        .record(&report.record("sandbox1", &log, "log text".into()))
        .await
        .unwrap();
    let rows = catalog
        .records_since(report.started - chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
    assert!(rows[0].success);
    assert_eq!(rows[0].snapshot, report.snapshot);
    assert_eq!(rows[0].restore_target, report.target);
}

#[tokio::test]
async fn a_rotten_block_in_the_snapshot_fails_the_test_and_names_it() {
    let w = World::new("orcl");
    w.backed_up(2);
    // Rot a block of the newest snapshot's USERS copy (as root: lift the immutable flag).
    let storage = w.storage();
    let snaps = backupcore::snap::ops::list_sorted(&storage).await.unwrap();
    let snapdir = storage.snapshot_dir(&snaps.last().unwrap().id);
    let copy = std::fs::read_dir(&snapdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("_FNO-4_"))
        .unwrap();
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&copy)
        .status();
    let _ = std::process::Command::new("chmod")
        .arg("u+w")
        .arg(&copy)
        .status();
    let flipped = datafile::damage::bit_flip(&copy, 9, 8 * 200 + 1).unwrap();
    assert_eq!(flipped, [9]);

    let report = w
        .restore(&storage, w.settings(false), templates(), &SystemMounter)
        .await;
    let (step, why) = report.failure.clone().unwrap();
    assert_eq!(step, Step::BlockCheck, "{report:#?}");
    assert!(why.contains("1 corrupt block(s)"), "{why}");
    assert!(why.contains("block 9: "), "{why}");
    assert!(why.contains("_FNO-4_"), "{why}");
    assert_eq!(report.corrupt_blocks, Some(1));
    assert!(!report.success());
    assert!(report.cleanup_errors.is_empty(), "{report:#?}");
    assert!(
        storage.list_clones().await.unwrap().is_empty(),
        "clone left behind"
    );
    let record = report.record("sandbox1", &w.logdir().join("x.log"), String::new());
    assert!(!record.success);
    assert_eq!(record.corrupt_blocks, Some(1));
}

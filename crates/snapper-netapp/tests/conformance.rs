//! The shared `SnapHandler` conformance suite and a multi-volume database end to end,
//! against the stateful ONTAP fake of `storage-fakes` (written from NetApp's ONTAP REST API
//! reference, not from this client): 202 + job polling, paginated lists, ONTAP error bodies.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use backupcore::config::credentials::Credentials;
use backupcore::snap::{conformance, ops, SnapError, SnapHandler};
use snapper_netapp::{parse_filer, NetappConfig, Ontap};
use storage_fakes::netapp::{JobKind, NetappFake};

const USER: &str = "admin";
const PASSWORD: &str = "Ontap-Pw-1";
const SVM: &str = "svm1";

fn handler(fake: &NetappFake, db: &str, volumes: &[String]) -> Ontap {
    let mut cfg = NetappConfig::new(db, parse_filer(&fake.uri()).unwrap(), SVM, volumes.to_vec());
    cfg.job_timeout = Duration::from_secs(5);
    Ontap::new(cfg, Credentials::new(USER, PASSWORD, "test")).unwrap()
}

#[tokio::test]
async fn conformance_suite() {
    let fake = Arc::new(NetappFake::start(USER, PASSWORD).await);
    fake.add_svm(SVM);
    // Jobs are still running on the first look, as on a busy cluster.
    fake.set_job_polls(2);
    let n = AtomicU32::new(0);
    conformance::run_all(|| {
        let fake = Arc::clone(&fake);
        let db = format!("db{}", n.fetch_add(1, Ordering::Relaxed));
        async move {
            fake.add_volume(SVM, &db, Some(&format!("/{db}")));
            Box::new(handler(&fake, &db, std::slice::from_ref(&db))) as Box<dyn SnapHandler>
        }
    })
    .await;
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/api/cluster/jobs/")));
}

#[tokio::test]
async fn a_multi_volume_database_end_to_end() {
    let fake = NetappFake::start(USER, PASSWORD).await;
    fake.add_svm(SVM);
    fake.add_aggregate("aggr1");
    let volumes: Vec<String> = ["oc1_cdb1", "oc1_cdb1_data2", "oc1_cdb1_data3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for v in &volumes[..2] {
        fake.add_volume(SVM, v, Some(&format!("/{v}")));
    }
    let h = handler(&fake, "cdb1", &volumes[..2]);
    h.create_snapshot("cdb1-20261120T101500").await.unwrap();
    // A volume added later lacks the old snapshot.
    fake.add_volume(SVM, &volumes[2], Some(&format!("/{}", volumes[2])));
    let h = handler(&fake, "cdb1", &volumes);
    h.create_snapshot("cdb1-20261121T101500").await.unwrap();
    for v in &volumes {
        assert!(fake
            .snapshot_names(SVM, v)
            .contains(&"cdb1-20261121T101500".to_string()));
    }
    let snaps = ops::list_sorted(&h).await.unwrap();
    let ids: Vec<&str> = snaps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["cdb1-20261120T101500", "cdb1-20261121T101500"]);

    // Clone: a namespace root and one FlexClone per volume under it.
    let c = h
        .clone_snapshot("cdb1-20261121T101500", "cdb1-20261121T101500_clone")
        .await
        .unwrap();
    assert_eq!(c.name, "cdb1_20261121T101500_clone");
    assert_eq!(c.mount_point, "/cdb1_20261121T101500_clone");
    for i in 0..3 {
        let v = fake
            .volume(SVM, &format!("cdb1_20261121T101500_clone{i}"))
            .unwrap();
        assert_eq!(
            v.junction_path.as_deref(),
            Some(format!("/cdb1_20261121T101500_clone/cdb1_20261121T101500_clone{i}").as_str())
        );
        assert!(
            !v.snapshot_directory_access_enabled,
            ".snapshot left visible"
        );
        assert!(v.clone_parent.is_some());
    }
    let clones = h.list_clones().await.unwrap();
    assert_eq!(clones.len(), 1, "{clones:?}");
    assert_eq!(clones[0].name, "cdb1_20261121T101500_clone");
    assert_eq!(clones[0].origin, "cdb1-20261121T101500");
    let snaps = ops::list_sorted(&h).await.unwrap();
    assert_eq!(snaps[1].clones, 1);
    assert_eq!(
        h.mount_string("cdb1_20261121T101500_clone").await.unwrap(),
        format!(
            "{}:/cdb1_20261121T101500_clone",
            parse_filer(&fake.uri()).unwrap().host_str().unwrap()
        )
    );
    let err = h.drop_snapshot("cdb1-20261121T101500").await.unwrap_err();
    assert!(matches!(err, SnapError::HasClones { .. }), "{err}");

    // Drop the clone (all four volumes), then both snapshots (the old one is missing on
    // the third volume: tolerated).
    h.drop_clone("cdb1_20261121T101500_clone").await.unwrap();
    let names = fake.volume_names(SVM);
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("cdb1_20261121T101500_clone")),
        "{names:?}"
    );
    h.drop_snapshot("cdb1-20261121T101500").await.unwrap();
    h.drop_snapshot("cdb1-20261120T101500").await.unwrap();
    for v in &volumes {
        assert!(fake.snapshot_names(SVM, v).is_empty(), "{v}");
    }
}

#[tokio::test]
async fn a_snapshot_failing_on_one_volume_is_taken_nowhere() {
    let fake = NetappFake::start(USER, PASSWORD).await;
    fake.add_svm(SVM);
    let volumes = vec!["orcl".to_string(), "orcl_data2".to_string()];
    fake.add_volume(SVM, "orcl", Some("/orcl"));
    // The second volume is missing: the snapshot of the first is rolled back.
    let h = handler(&fake, "orcl", &volumes);
    let err = h.create_snapshot("orcl-1").await.unwrap_err();
    assert!(err.to_string().contains("orcl_data2"), "{err}");
    assert!(fake.snapshot_names(SVM, "orcl").is_empty());
    // A job that fails: its message is the error.
    fake.add_volume(SVM, "orcl_data2", Some("/orcl_data2"));
    fake.fail_next_job(JobKind::SnapshotCreate, "Not enough space", "1638407");
    let err = h.create_snapshot("orcl-2").await.unwrap_err();
    assert!(err.to_string().contains("Not enough space"), "{err}");
}

#[tokio::test]
async fn the_two_year_retention_table_is_carried_out_exactly() {
    let fake = NetappFake::start(USER, PASSWORD).await;
    fake.add_svm(SVM);
    fake.add_volume(SVM, "orcl", Some("/orcl"));
    let table = conformance::two_year_retention_table("orcl");
    for s in &table.snapshots {
        fake.add_snapshot(SVM, "orcl", &s.id, s.created.fixed_offset());
    }
    let h = handler(&fake, "orcl", &["orcl".to_string()]);
    let report = ops::clean(&h, table.policy, table.now, false)
        .await
        .unwrap();
    assert!(!report.any_failed());
    assert_eq!(report.dropped().len(), 695);
    assert_eq!(fake.snapshot_names(SVM, "orcl"), table.kept);
}

#![allow(clippy::unwrap_used)]
//! The shared `SnapHandler` conformance suite, the two-year retention table and the
//! ambiguous-failure paths, against the stateful ZFSSA fake of `storage-fakes`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use backupcore::config::credentials::Credentials;
use backupcore::snap::{conformance, ops, SnapError, SnapHandler};
use snapper_zfssa::{parse_url, ApiVersion, Zfssa, ZfssaConfig};
use storage_fakes::zfssa::ZfssaFake;

const USER: &str = "backup";
const PASSWORD: &str = "Fake-pw-0";
const POOL: &str = "disk-pool1";
const PROJECT: &str = "db-backup1";

fn handler_v(fake: &ZfssaFake, db: &str, version: ApiVersion) -> Zfssa {
    let mut cfg = ZfssaConfig::new(db, parse_url(&fake.uri()).unwrap(), POOL, PROJECT);
    cfg.api_version = version;
    Zfssa::new(cfg, Credentials::new(USER, PASSWORD, "test")).unwrap()
}

fn handler(fake: &ZfssaFake, db: &str) -> Zfssa {
    handler_v(fake, db, ApiVersion::V1)
}

async fn run_suite(version: ApiVersion, empty_origins: bool) {
    let fake = Arc::new(ZfssaFake::start(USER, PASSWORD).await);
    fake.add_project(POOL, PROJECT);
    fake.set_empty_origin_for_non_clones(empty_origins);
    let n = AtomicU32::new(0);
    conformance::run_all(|| {
        let fake = Arc::clone(&fake);
        let db = format!("db{}", n.fetch_add(1, Ordering::Relaxed));
        async move {
            fake.add_filesystem(POOL, PROJECT, &db);
            Box::new(handler_v(&fake, &db, version)) as Box<dyn SnapHandler>
        }
    })
    .await;
    let sent = fake.requests();
    assert!(!sent.is_empty());
    let prefix = format!("/api/storage/{version}/pools/{POOL}/projects/{PROJECT}/filesystems");
    for r in &sent {
        assert!(r.path.starts_with(&prefix), "unexpected path {r:?}");
    }
}

#[tokio::test]
async fn conformance_v1() {
    run_suite(ApiVersion::V1, false).await;
}

#[tokio::test]
async fn conformance_v2_with_empty_origins_on_non_clones() {
    run_suite(ApiVersion::V2, true).await;
}

#[tokio::test]
async fn two_year_retention_table() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    let table = conformance::two_year_retention_table("orcl");
    assert_eq!(table.snapshots.len(), 730);
    for s in &table.snapshots {
        fake.add_snapshot(
            POOL,
            PROJECT,
            "orcl",
            &s.id,
            s.created,
            s.space_total,
            s.space_unique,
        );
    }
    let h = handler(&fake, "orcl");

    let listed = ops::list_sorted(&h).await.unwrap();
    assert_eq!(
        listed, table.snapshots,
        "the listing reproduces the seeded snapshots"
    );

    fake.clear_requests();
    let dry = ops::clean(&h, table.policy, table.now, true).await.unwrap();
    assert_eq!(dry.entries.len(), 730);
    assert_eq!(fake.requests().len(), 1, "a dry run is one GET");

    fake.clear_requests();
    let report = ops::clean(&h, table.policy, table.now, false)
        .await
        .unwrap();
    assert!(!report.any_failed());
    assert_eq!(report.dropped().len(), 695);
    assert_eq!(fake.snapshots(POOL, PROJECT, "orcl"), table.kept);
    let requests = fake.requests();
    let deletes = requests.iter().filter(|r| r.method == "DELETE").count();
    assert_eq!(deletes, 695);
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" || r.method == "DELETE"),
        "clean only reads and deletes"
    );
}

#[tokio::test]
async fn list_snapshots_is_one_get() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_filesystem(POOL, PROJECT, "orcl");
    let h = handler(&fake, "orcl");
    h.create_snapshot("orcl-20260101T000001").await.unwrap();
    fake.clear_requests();
    assert_eq!(h.list_snapshots().await.unwrap().len(), 1);
    let r = fake.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].method, "GET");
    assert_eq!(
        r[0].path,
        format!("/api/storage/v1/pools/{POOL}/projects/{PROJECT}/filesystems/orcl/snapshots")
    );
}

#[tokio::test]
async fn changes_applied_but_answered_with_an_error_are_recognised() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_filesystem(POOL, PROJECT, "orcl");
    let h = handler(&fake, "orcl");
    let snap = "orcl-20260101T000001";

    fake.fail_after_apply("POST", "/snapshots", 500);
    assert_eq!(h.create_snapshot(snap).await.unwrap(), snap);
    assert_eq!(fake.snapshots(POOL, PROJECT, "orcl"), vec![snap]);

    fake.fail_after_apply("PUT", "/clone", 503);
    let c = h.clone_snapshot(snap, "orcl_clone").await.unwrap();
    assert_eq!(c.origin, snap);
    assert_eq!(c.mount_point, "/export/orcl_clone");

    fake.fail_after_apply("DELETE", "orcl_clone", 502);
    h.drop_clone("orcl_clone").await.unwrap();
    assert_eq!(fake.filesystems(POOL, PROJECT), vec!["orcl"]);

    fake.fail_after_apply("DELETE", "/snapshots/", 500);
    h.drop_snapshot(snap).await.unwrap();
    assert!(fake.snapshots(POOL, PROJECT, "orcl").is_empty());

    let fresh = handler(&fake, "newdb");
    fake.fail_after_apply("POST", "/filesystems", 500);
    let fs = fresh.create_volume().await.unwrap();
    assert_eq!(fs.name, "newdb");
    assert_eq!(fs.mount_point, "/export/newdb");

    let posts = fake.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(posts, 5, "no change was sent twice");
}

#[tokio::test]
async fn changes_that_did_not_happen_keep_their_error() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_filesystem(POOL, PROJECT, "orcl");
    let h = handler(&fake, "orcl");
    let snap = "orcl-20260101T000001";

    fake.fail_next("POST", "/snapshots", 500, None);
    let e = h.create_snapshot(snap).await.unwrap_err();
    assert!(
        matches!(
            &e,
            SnapError::Storage {
                status: Some(500),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(fake.snapshots(POOL, PROJECT, "orcl").is_empty());
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "a POST is never retried");

    // A busy appliance on reads: retried.
    h.create_snapshot(snap).await.unwrap();
    fake.fail_next("GET", "/snapshots", 503, None);
    fake.fail_next("GET", "/snapshots", 503, None);
    assert_eq!(h.list_snapshots().await.unwrap().len(), 1);

    fake.set_malformed_next("GET", "/snapshots");
    let e = h.list_snapshots().await.unwrap_err();
    assert!(e.to_string().contains("not the expected JSON"), "{e}");
}

#[tokio::test]
async fn wrong_password_is_auth() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_filesystem(POOL, PROJECT, "orcl");
    let cfg = ZfssaConfig::new("orcl", parse_url(&fake.uri()).unwrap(), POOL, PROJECT);
    let h = Zfssa::new(cfg, Credentials::new(USER, "wrong-pw", "test")).unwrap();
    let e = h.list_snapshots().await.unwrap_err();
    assert!(matches!(e, SnapError::Auth { status: 401, .. }), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("wrong-pw"));
}

#[tokio::test]
async fn clones_of_other_databases_are_not_ours() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_filesystem(POOL, PROJECT, "orcl");
    fake.add_filesystem(POOL, PROJECT, "other");
    let orcl = handler(&fake, "orcl");
    let other = handler(&fake, "other");
    other.create_snapshot("other-1").await.unwrap();
    other
        .clone_snapshot("other-1", "other_clone")
        .await
        .unwrap();
    assert!(orcl.list_clones().await.unwrap().is_empty());
    let e = orcl.drop_clone("other_clone").await.unwrap_err();
    assert!(matches!(e, SnapError::NotOurClone { .. }), "{e:?}");
    assert_eq!(other.list_clones().await.unwrap().len(), 1);
    other.drop_clone("other_clone").await.unwrap();
}

#![allow(clippy::unwrap_used)]
//! Every call of the ZFSSA backend against wiremock, with the request and answer shapes of
//! Oracle's "ZFS Storage Appliance RESTful API Guide", and every error path.

use std::time::Duration;

use backupcore::config::credentials::{Credentials, CredentialsError};
use backupcore::config::Config;
use backupcore::snap::{SnapError, SnapHandler};
use serde_json::{json, Value};
use snapper_zfssa::http::RetryPolicy;
use snapper_zfssa::{ApiVersion, Zfssa, ZfssaConfig};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const USER: &str = "admin";
const PASSWORD: &str = "S3cr3t-pw";
/// `base64("admin:S3cr3t-pw")`.
const TOKEN: &str = "YWRtaW46UzNjcjN0LXB3";
const AUTH: &str = "Basic YWRtaW46UzNjcjN0LXB3";
const FS: &str = "/api/storage/v1/pools/pool1/projects/backup/filesystems/orcl";
const FSLIST: &str = "/api/storage/v1/pools/pool1/projects/backup/filesystems";
const SNAP: &str = "orcl-20260101T000001";

fn creds() -> Credentials {
    Credentials::new(USER, PASSWORD, "test")
}

fn config(server: &MockServer) -> ZfssaConfig {
    let mut c = ZfssaConfig::new(
        "orcl",
        snapper_zfssa::parse_url(&server.uri()).unwrap(),
        "pool1",
        "backup",
    );
    c.retry = RetryPolicy {
        retries: 3,
        initial_backoff: Duration::from_millis(10),
    };
    c.timeout = Duration::from_secs(5);
    c
}

fn zfssa(server: &MockServer) -> Zfssa {
    Zfssa::new(config(server), creds()).unwrap()
}

fn zfssa_with(server: &MockServer, f: impl FnOnce(&mut ZfssaConfig)) -> Zfssa {
    let mut c = config(server);
    f(&mut c);
    Zfssa::new(c, creds()).unwrap()
}

/// The documented fault payload.
fn fault(status: u16, name: &str, details: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "fault": {"message": name, "details": details, "code": status}
    }))
}

fn snapshot_json(name: &str, numclones: Value) -> Value {
    json!({
        "name": name,
        "numclones": numclones,
        "creation": "20260101T00:00:01",
        "collection": "local",
        "project": "backup",
        "canonical_name": format!("pool1/local/backup/orcl@{name}"),
        "usage": {"unique": 0.0, "loading": false, "data": 1024.0},
        "type": "snapshot",
        "id": "ab12",
        "href": format!("{FS}/snapshots/{name}"),
        "space_data": 1024,
        "space_unique": 0,
        "isauto": false,
    })
}

fn fs_json(name: &str, origin: Option<(&str, &str, &str)>) -> Value {
    let mut v = json!({
        "name": name,
        "pool": "pool1",
        "project": "backup",
        "mountpoint": format!("/export/{name}"),
        "canonical_name": format!("pool1/local/backup/{name}"),
        "href": format!("{FSLIST}/{name}"),
        "creation": "20260101T00:00:00",
        "sharenfs": "on",
    });
    if let Some((project, share, snapshot)) = origin {
        v["origin"] = json!({
            "pool": "pool1", "project": project, "share": share,
            "snapshot": snapshot, "collection": "local",
        });
    }
    v
}

/// No error text or debug form may contain the password or the encoded credentials.
fn no_secret(e: &dyn std::fmt::Debug, d: &dyn std::fmt::Display) {
    for text in [format!("{e:?}"), d.to_string()] {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(!text.contains(TOKEN), "credentials leaked: {text}");
    }
}

fn check(e: &SnapError) {
    no_secret(e, e);
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

async fn count(server: &MockServer, m: &str) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == m)
        .count()
}

// ---------------------------------------------------------------------------------------
// Calls and their exact requests

#[tokio::test]
async fn list_snapshots_is_one_get_and_parses_liberally() {
    let server = MockServer::start().await;
    let mut second = snapshot_json("orcl-20260102T000000", json!("2"));
    second["creation"] = json!("2026-01-02T00:00:00Z");
    second["space_data"] = json!("2048");
    second["space_unique"] = json!(512.0);
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots")))
        .and(header("authorization", AUTH))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "snapshots": [snapshot_json(SNAP, json!(0)), second]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let h = zfssa(&server);
    assert_eq!(h.backend(), "zfssa");
    assert_eq!(h.database(), "orcl");
    let snaps = h.list_snapshots().await.unwrap();
    assert_eq!(snaps.len(), 2);
    assert_eq!(snaps[0].id, SNAP);
    assert_eq!(
        snaps[0].created.to_rfc3339(),
        "2026-01-01T00:00:01+00:00",
        "creation is UTC"
    );
    assert_eq!((snaps[0].clones, snaps[0].space_total), (0, 1024));
    assert_eq!(
        (snaps[1].clones, snaps[1].space_total, snaps[1].space_unique),
        (2, 2048, 512)
    );
    assert_eq!(requests(&server).await.len(), 1, "exactly one HTTP request");
}

#[tokio::test]
async fn create_snapshot_posts_exactly_the_name() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{FS}/snapshots")))
        .and(header("authorization", AUTH))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "name": SNAP })))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "snapshot": snapshot_json(SNAP, json!(0)) })),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(zfssa(&server).create_snapshot(SNAP).await.unwrap(), SNAP);
}

#[tokio::test]
async fn drop_snapshot_checks_clones_then_deletes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .and(header("authorization", AUTH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "snapshot": snapshot_json(SNAP, json!(0)) })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .and(header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    zfssa(&server).drop_snapshot(SNAP).await.unwrap();
}

#[tokio::test]
async fn clone_snapshot_puts_project_and_share() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("{FS}/snapshots/{SNAP}/clone")))
        .and(header("authorization", AUTH))
        .and(body_json(
            json!({"project": "backup", "share": "orcl_clone"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "filesystem": fs_json("orcl_clone", Some(("backup", "orcl", SNAP)))
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = zfssa(&server)
        .clone_snapshot(SNAP, "orcl_clone")
        .await
        .unwrap();
    assert_eq!(c.name, "orcl_clone");
    assert_eq!(c.origin, SNAP);
    assert_eq!(c.mount_point, "/export/orcl_clone");
}

#[tokio::test]
async fn drop_clone_checks_origin_then_deletes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl_clone")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystem": fs_json("orcl_clone", Some(("backup", "orcl", SNAP)))
        })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{FSLIST}/orcl_clone")))
        .and(header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    zfssa(&server).drop_clone("orcl_clone").await.unwrap();
}

#[tokio::test]
async fn drop_clone_refuses_what_is_not_our_clone_without_deleting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "filesystem": fs_json("orcl", None) })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/other_clone")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystem": fs_json("other_clone", Some(("backup", "otherdb", "otherdb-1")))
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/elsewhere_clone")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystem": fs_json("elsewhere_clone", Some(("otherproject", "orcl", SNAP)))
        })))
        .mount(&server)
        .await;
    // Appliances may render a non-clone's origin as empty strings.
    let mut empty = fs_json("plain", None);
    empty["origin"] = json!({"pool": "", "project": "", "share": "", "snapshot": ""});
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/plain")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "filesystem": empty })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let h = zfssa(&server);
    for name in ["orcl", "other_clone", "elsewhere_clone", "plain"] {
        let e = h.drop_clone(name).await.unwrap_err();
        assert!(
            matches!(&e, SnapError::NotOurClone { name: n, .. } if n == name),
            "{name}: {e:?}"
        );
        check(&e);
    }
    let e = h.drop_clone("other_clone").await.unwrap_err().to_string();
    assert!(e.contains("clone of backup/otherdb@otherdb-1"), "{e}");
}

#[tokio::test]
async fn list_clones_keeps_clones_of_our_filesystem() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FSLIST))
        .and(header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystems": [
                fs_json("orcl", None),
                fs_json("orcl_clone", Some(("backup", "orcl", SNAP))),
                fs_json("other_clone", Some(("backup", "otherdb", "otherdb-1"))),
                fs_json("foreign_clone", Some(("elsewhere", "orcl", SNAP))),
                fs_json("otherdb", None),
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let clones = zfssa(&server).list_clones().await.unwrap();
    assert_eq!(clones.len(), 1, "{clones:?}");
    assert_eq!(clones[0].name, "orcl_clone");
    assert_eq!(clones[0].origin, SNAP);
    assert_eq!(clones[0].mount_point, "/export/orcl_clone");
}

#[tokio::test]
async fn filesystem_info_and_mount_string() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "filesystem": fs_json("orcl", None) })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl_clone")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystem": fs_json("orcl_clone", Some(("backup", "orcl", SNAP)))
        })))
        .mount(&server)
        .await;
    let h = zfssa(&server);
    let own = h.filesystem_info(None).await.unwrap();
    assert_eq!(own.name, "orcl");
    assert_eq!(own.mount_point, "/export/orcl");
    assert_eq!(own.origin, None);
    let clone = h.filesystem_info(Some("orcl_clone")).await.unwrap();
    let origin = clone.origin.unwrap();
    assert_eq!(
        (origin.filesystem.as_str(), origin.snapshot.as_str()),
        ("orcl", SNAP)
    );
    assert_eq!(
        h.mount_string("orcl_clone").await.unwrap(),
        "127.0.0.1:/export/orcl_clone"
    );
    let e = h.filesystem_info(Some("nothere")).await.unwrap_err();
    assert_eq!(
        e,
        SnapError::NotFound {
            kind: "filesystem",
            name: "nothere".into()
        }
    );
}

#[tokio::test]
async fn create_volume_posts_the_database_name() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(FSLIST))
        .and(header("authorization", AUTH))
        .and(body_json(json!({ "name": "orcl" })))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "filesystem": fs_json("orcl", None) })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let fs = zfssa(&server).create_volume().await.unwrap();
    assert_eq!(fs.name, "orcl");
    assert_eq!(fs.mount_point, "/export/orcl");
    assert_eq!(fs.origin, None);
}

#[tokio::test]
async fn names_are_percent_encoded_in_paths() {
    let server = MockServer::start().await;
    let base = "/api/storage/v1/pools/pool%201/projects/back%2Fup/filesystems/or%3Fcl";
    Mock::given(method("GET"))
        .and(path(format!("{base}/snapshots/s%20%231")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "snapshot": snapshot_json("s #1", json!(0))
        })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{base}/snapshots/s%20%231")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{base}/snapshots/s%20%231/clone")))
        .and(body_json(json!({"project": "back/up", "share": "c 1"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "filesystem": {"name": "c 1", "mountpoint": "/export/c 1",
                           "origin": {"project": "back/up", "share": "or?cl", "snapshot": "s #1"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let h = zfssa_with(&server, |c| {
        c.database = "or?cl".into();
        c.pool = "pool 1".into();
        c.project = "back/up".into();
    });
    let c = h.clone_snapshot("s #1", "c 1").await.unwrap();
    assert_eq!(c.mount_point, "/export/c 1");
    h.drop_snapshot("s #1").await.unwrap();
}

#[tokio::test]
async fn api_version_v2_is_in_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/storage/v2/pools/pool1/projects/backup/filesystems/orcl/snapshots",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "snapshots": [] })))
        .expect(1)
        .mount(&server)
        .await;
    let h = zfssa_with(&server, |c| c.api_version = ApiVersion::V2);
    assert!(h.list_snapshots().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Error mapping

#[tokio::test]
async fn unauthorized_and_forbidden_are_auth_errors_with_the_fault_message() {
    for status in [401u16, 403] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(fault(
                status,
                if status == 401 {
                    "ERR_UNAUTHORIZED"
                } else {
                    "ERR_DENIED"
                },
                "This user is not authorized to execute command",
            ))
            .expect(1)
            .mount(&server)
            .await;
        let e = zfssa(&server).list_snapshots().await.unwrap_err();
        check(&e);
        match &e {
            SnapError::Auth { status: s, message } => {
                assert_eq!(*s, status);
                assert!(message.contains("not authorized"), "{message}");
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn not_found_names_the_right_kind() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots")))
        .respond_with(fault(404, "ERR_NOT_FOUND", "filesystem not found"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(fault(404, "ERR_NOT_FOUND", "snapshot not found"))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(fault(404, "ERR_NOT_FOUND", "snapshot not found"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/gone")))
        .respond_with(fault(404, "ERR_NOT_FOUND", "filesystem not found"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let h = zfssa(&server);
    let nf = |kind: &'static str, name: &str| SnapError::NotFound {
        kind,
        name: name.into(),
    };
    assert_eq!(
        h.list_snapshots().await.unwrap_err(),
        nf("filesystem", "orcl")
    );
    assert_eq!(
        h.drop_snapshot(SNAP).await.unwrap_err(),
        nf("snapshot", SNAP)
    );
    assert_eq!(
        h.clone_snapshot(SNAP, "c").await.unwrap_err(),
        nf("snapshot", SNAP)
    );
    assert_eq!(h.drop_clone("gone").await.unwrap_err(), nf("clone", "gone"));
    assert_eq!(
        h.mount_string("gone").await.unwrap_err(),
        nf("filesystem", "gone")
    );
}

#[tokio::test]
async fn conflicts_are_already_exists() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{FS}/snapshots")))
        .respond_with(fault(409, "ERR_OBJECT_EXISTS", "snapshot already exists"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(fault(409, "ERR_OBJECT_EXISTS", "share already exists"))
        .expect(1)
        .mount(&server)
        .await;
    // Some releases answer 400 with an "already exists" text.
    Mock::given(method("POST"))
        .and(path(FSLIST))
        .respond_with(fault(
            400,
            "ERR_INVALID_ARG",
            "filesystem 'orcl' already exists in project",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let h = zfssa(&server);
    assert_eq!(
        h.create_snapshot(SNAP).await.unwrap_err(),
        SnapError::AlreadyExists {
            kind: "snapshot",
            name: SNAP.into()
        }
    );
    assert_eq!(
        h.clone_snapshot(SNAP, "orcl_clone").await.unwrap_err(),
        SnapError::AlreadyExists {
            kind: "filesystem",
            name: "orcl_clone".into()
        }
    );
    assert_eq!(
        h.create_volume().await.unwrap_err(),
        SnapError::AlreadyExists {
            kind: "filesystem",
            name: "orcl".into()
        }
    );
}

#[tokio::test]
async fn snapshot_with_clones_is_refused_before_any_delete() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "snapshot": snapshot_json(SNAP, json!("2")) })),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let e = zfssa(&server).drop_snapshot(SNAP).await.unwrap_err();
    assert_eq!(
        e,
        SnapError::HasClones {
            snapshot: SNAP.into(),
            clones: 2
        }
    );
}

#[tokio::test]
async fn the_appliance_refusing_a_snapshot_with_clones_is_has_clones() {
    // numclones said 0 (a clone was made meanwhile); the appliance's refusal decides.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "snapshot": snapshot_json(SNAP, json!(0)) })),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(fault(
            409,
            "ERR_STATE_CHANGED",
            "cannot destroy snapshot: snapshot has dependent clones: pool1/local/backup/c1",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let e = zfssa(&server).drop_snapshot(SNAP).await.unwrap_err();
    assert!(matches!(e, SnapError::HasClones { .. }), "{e:?}");
}

#[tokio::test]
async fn get_5xx_is_retried_until_it_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(fault(503, "ERR_BUSY", "Service not available"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "snapshots": [] })))
        .mount(&server)
        .await;
    assert!(zfssa(&server).list_snapshots().await.unwrap().is_empty());
    assert_eq!(count(&server, "GET").await, 3);
}

#[tokio::test]
async fn get_5xx_retries_exhausted_give_the_status_and_fault() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(fault(500, "ERR_INTERNAL", "internal error in akd"))
        .mount(&server)
        .await;
    let e = zfssa(&server).list_snapshots().await.unwrap_err();
    check(&e);
    match &e {
        SnapError::Storage {
            operation,
            status,
            message,
        } => {
            assert_eq!(operation, &format!("GET {FS}/snapshots"));
            assert_eq!(*status, Some(500));
            assert!(message.contains("internal error in akd"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&server, "GET").await, 4, "1 try + 3 retries");
    let line = e.to_string();
    assert!(line.contains("(HTTP 500)"), "{line}");
}

#[tokio::test]
async fn post_5xx_is_not_retried_and_the_lookup_decides() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(fault(500, "ERR_INTERNAL", "something broke"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(fault(404, "ERR_NOT_FOUND", "no such snapshot"))
        .expect(1)
        .mount(&server)
        .await;
    let e = zfssa(&server).create_snapshot(SNAP).await.unwrap_err();
    check(&e);
    assert!(
        matches!(&e, SnapError::Storage { status: Some(500), message, .. } if message.contains("something broke")),
        "{e:?}"
    );
    assert_eq!(count(&server, "POST").await, 1);
}

#[tokio::test]
async fn ambiguous_post_failure_resolved_by_lookup() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(fault(502, "ERR_INTERNAL", "proxy lost the answer"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "snapshot": snapshot_json(SNAP, json!(0)) })),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(zfssa(&server).create_snapshot(SNAP).await.unwrap(), SNAP);
}

#[tokio::test]
async fn ambiguous_changes_resolved_by_lookup_for_drop_clone_and_volume() {
    let server = MockServer::start().await;
    // drop_snapshot: DELETE times out, the snapshot is gone afterwards.
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "snapshot": snapshot_json(SNAP, json!(0)) })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(fault(404, "ERR_NOT_FOUND", "gone"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{FS}/snapshots/{SNAP}")))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    // clone: PUT answers 500, the clone exists with our origin.
    Mock::given(method("PUT"))
        .respond_with(fault(500, "ERR_INTERNAL", "oops"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl_clone")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystem": fs_json("orcl_clone", Some(("backup", "orcl", SNAP)))
        })))
        .mount(&server)
        .await;
    // create_volume: POST answers 503, the filesystem exists (not a clone).
    Mock::given(method("POST"))
        .and(path(FSLIST))
        .respond_with(fault(503, "ERR_BUSY", "busy"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "filesystem": fs_json("orcl", None) })),
        )
        .mount(&server)
        .await;
    let h = zfssa_with(&server, |c| c.timeout = Duration::from_millis(500));
    h.drop_snapshot(SNAP).await.unwrap();
    let c = h.clone_snapshot(SNAP, "orcl_clone").await.unwrap();
    assert_eq!(
        (c.origin.as_str(), c.mount_point.as_str()),
        (SNAP, "/export/orcl_clone")
    );
    assert_eq!(h.create_volume().await.unwrap().name, "orcl");
}

#[tokio::test]
async fn ambiguous_clone_failure_with_someone_elses_clone_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(fault(500, "ERR_INTERNAL", "oops"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl_clone")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "filesystem": fs_json("orcl_clone", Some(("backup", "orcl", "orcl-older")))
        })))
        .mount(&server)
        .await;
    let e = zfssa(&server)
        .clone_snapshot(SNAP, "orcl_clone")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SnapError::Storage {
                status: Some(500),
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn timeouts_are_timeout_errors_and_gets_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "snapshots": [] }))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let h = zfssa_with(&server, |c| {
        c.timeout = Duration::from_millis(300);
        c.retry.retries = 1;
    });
    let e = h.list_snapshots().await.unwrap_err();
    check(&e);
    assert_eq!(
        e,
        SnapError::Timeout {
            operation: format!("GET {FS}/snapshots"),
            seconds: 1
        }
    );
    assert_eq!(count(&server, "GET").await, 2);
}

#[tokio::test]
async fn post_timeout_is_sent_once_and_looked_up() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(fault(404, "ERR_NOT_FOUND", "no"))
        .expect(1)
        .mount(&server)
        .await;
    let h = zfssa_with(&server, |c| c.timeout = Duration::from_secs(1));
    let e = h.create_snapshot(SNAP).await.unwrap_err();
    assert_eq!(
        e,
        SnapError::Timeout {
            operation: format!("POST {FS}/snapshots"),
            seconds: 1
        }
    );
    assert_eq!(
        e.to_string(),
        format!("POST {FS}/snapshots timed out after 1 s")
    );
}

#[tokio::test]
async fn malformed_json_is_a_storage_error_with_an_excerpt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots")))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"snapshots\": [{\"name\": "))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FSLIST))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login page</html>"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "filesystems": [] })))
        .mount(&server)
        .await;
    let h = zfssa(&server);
    for e in [
        h.list_snapshots().await.unwrap_err(),
        h.list_clones().await.unwrap_err(),
        h.filesystem_info(None).await.unwrap_err(),
    ] {
        check(&e);
        match &e {
            SnapError::Storage {
                status: Some(200),
                message,
                ..
            } => assert!(
                message.contains("not the expected JSON") && message.contains("it begins: "),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
    }
    let e = h.list_clones().await.unwrap_err().to_string();
    assert!(e.contains("<html>login page</html>"), "{e}");
}

#[tokio::test]
async fn bad_fields_are_storage_errors_naming_the_snapshot() {
    let server = MockServer::start().await;
    let mut bad = snapshot_json(SNAP, json!(0));
    bad["creation"] = json!("last tuesday");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "snapshots": [bad] })))
        .mount(&server)
        .await;
    let e = zfssa(&server)
        .list_snapshots()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(SNAP) && e.contains("last tuesday") && e.contains("not the expected JSON"),
        "{e}"
    );
}

#[tokio::test]
async fn connection_refused_is_a_storage_error_without_status() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut c = ZfssaConfig::new(
        "orcl",
        snapper_zfssa::parse_url(&format!("http://127.0.0.1:{port}")).unwrap(),
        "pool1",
        "backup",
    );
    c.retry = RetryPolicy {
        retries: 1,
        initial_backoff: Duration::from_millis(1),
    };
    let h = Zfssa::new(c, creds()).unwrap();
    for e in [
        h.list_snapshots().await.unwrap_err(),
        h.create_snapshot(SNAP).await.unwrap_err(),
    ] {
        check(&e);
        assert!(
            matches!(&e, SnapError::Storage { status: None, message, .. } if message.contains("cannot connect")),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn other_statuses_are_storage_errors_with_operation_and_fault() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(fault(400, "ERR_INVALID_ARG", "invalid snapshot name"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(418).set_body_string("teapot"))
        .mount(&server)
        .await;
    let h = zfssa(&server);
    let e = h.create_snapshot("bad name!").await.unwrap_err();
    assert_eq!(
        e,
        SnapError::Storage {
            operation: format!("POST {FS}/snapshots"),
            status: Some(400),
            message: "invalid snapshot name (ERR_INVALID_ARG)".into()
        }
    );
    let e = h.list_clones().await.unwrap_err();
    assert_eq!(
        e,
        SnapError::Storage {
            operation: format!("GET {FSLIST}"),
            status: Some(418),
            message: "teapot".into()
        }
    );
    assert_eq!(count(&server, "GET").await, 1, "4xx is not retried");
}

// ---------------------------------------------------------------------------------------
// Secrets

#[tokio::test]
async fn the_password_never_appears_in_errors_or_debug_output() {
    let server = MockServer::start().await;
    // A hostile or buggy appliance echoing the credentials back.
    Mock::given(method("GET"))
        .and(path(format!("{FS}/snapshots")))
        .respond_with(fault(
            401,
            "ERR_UNAUTHORIZED",
            &format!("bad password {PASSWORD} for header {AUTH}"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FSLIST))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!("echo {PASSWORD}")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{FSLIST}/orcl")))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("not json {PASSWORD}")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(TOKEN))
        .mount(&server)
        .await;
    let h = zfssa(&server);
    let errors = vec![
        h.list_snapshots().await.unwrap_err(),
        h.list_clones().await.unwrap_err(),
        h.filesystem_info(None).await.unwrap_err(),
        h.create_snapshot(SNAP).await.unwrap_err(),
        h.create_volume().await.unwrap_err(),
    ];
    for e in &errors {
        check(e);
    }
    assert!(errors[0].to_string().contains("bad password ********"));
    no_secret(&h, &format!("{h:?}"));
    no_secret(h.config(), &format!("{:?}", h.config()));
}

// ---------------------------------------------------------------------------------------
// Configuration and credentials

fn load(text: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("backup.cfg");
    std::fs::write(&p, text).unwrap();
    let cfg = Config::load_with(&p, None).unwrap();
    (dir, cfg)
}

const CFG: &str = "\
[generic]
backupdest: /nfs/backup

[zfssa]
url: zfssa.example.com
pool: disk-pool1
project: db-backup1

[orcl]
dbid: 1

[special]
zfssapool: pool2
zfssaproject: proj2
zfssaurl: http://127.0.0.1:8215/
";

#[test]
fn config_from_backup_cfg_with_defaults_and_overrides() {
    let (_d, cfg) = load(CFG);
    let c = ZfssaConfig::from_config(&cfg.database("orcl").unwrap()).unwrap();
    assert_eq!(c.database, "orcl");
    assert_eq!(c.url.as_str(), "https://zfssa.example.com:215/");
    assert_eq!(
        c.api_base().as_str(),
        "https://zfssa.example.com:215/api/storage/v1/"
    );
    assert_eq!(
        (c.pool.as_str(), c.project.as_str()),
        ("disk-pool1", "db-backup1")
    );
    assert_eq!(c.api_version, ApiVersion::V1);
    assert_eq!(c.timeout, Duration::from_secs(300));
    assert_eq!(c.connect_timeout, Duration::from_secs(10));
    assert_eq!(c.retry, RetryPolicy::default());
    assert!(!c.tls.insecure && c.tls.ca_certs.is_empty());
    assert!(c.warnings().is_empty());
    assert_eq!(c.host(), "zfssa.example.com");

    let c = ZfssaConfig::from_config(&cfg.database("special").unwrap()).unwrap();
    assert_eq!((c.pool.as_str(), c.project.as_str()), ("pool2", "proj2"));
    assert_eq!(
        c.api_base().as_str(),
        "http://127.0.0.1:8215/api/storage/v1/"
    );
    assert_eq!(c.warnings().len(), 1, "plain http is warned about");
}

#[test]
fn config_host_port_version_timeout_retries() {
    let (_d, cfg) = load(
        "[zfssa]\nurl: zfssa.example.com:8215\npool: p\nproject: j\napiversion: V2\n\
         timeout: 2m\nretries: 0\n[orcl]\n",
    );
    let c = ZfssaConfig::from_config(&cfg.database("orcl").unwrap()).unwrap();
    assert_eq!(
        c.api_base().as_str(),
        "https://zfssa.example.com:8215/api/storage/v2/"
    );
    assert_eq!(c.timeout, Duration::from_secs(120));
    assert_eq!(c.retry.retries, 0);
}

fn config_error(text: &str) -> String {
    let (_d, cfg) = load(text);
    ZfssaConfig::from_config(&cfg.database("orcl").unwrap())
        .unwrap_err()
        .to_string()
}

#[test]
fn config_errors_name_file_section_and_key() {
    let e = config_error("[zfssa]\nurl: h\npool: p\nproject: j\napiversion: v3\n[orcl]\n");
    assert!(
        e.contains("backup.cfg")
            && e.contains("[zfssa] apiversion = 'v3'")
            && e.contains("v1 or v2"),
        "{e}"
    );
    let e = config_error("[zfssa]\nurl: h\nproject: j\n[orcl]\n");
    assert!(
        e.contains("[zfssa] pool: required key is missing") && e.contains("zfssapool in [orcl]"),
        "{e}"
    );
    let e = config_error("[zfssa]\npool: p\nproject: j\n[orcl]\n");
    assert!(e.contains("[zfssa] url: required key is missing"), "{e}");
    let e = config_error("[zfssa]\nurl: h\npool: p\nproject: j\n[orcl]\nzfssaapiversion: 9\n");
    assert!(e.contains("[orcl] zfssaapiversion = '9'"), "{e}");
    let e = config_error("[zfssa]\nurl: ftp://h\npool: p\nproject: j\n[orcl]\n");
    assert!(
        e.contains("[zfssa] url = 'ftp://h'") && e.contains("https"),
        "{e}"
    );
    let e = config_error("[zfssa]\nurl: h\npool: p\nproject: j\ninsecure: maybe\n[orcl]\n");
    assert!(e.contains("[zfssa] insecure = 'maybe'"), "{e}");
    let e = config_error("[zfssa]\nurl: h\npool: p\nproject: j\ntimeout: 0\n[orcl]\n");
    assert!(e.contains("[zfssa] timeout = '0'"), "{e}");
    let e = config_error(&format!(
        "[zfssa]\nurl: https://root:{PASSWORD}@h:215\npool: p\nproject: j\n[orcl]\n"
    ));
    assert!(
        e.contains("[zfssa] url") && e.contains("must not contain"),
        "{e}"
    );
    assert!(!e.contains(PASSWORD), "{e}");
}

#[test]
fn cacert_is_read_relative_to_the_config_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ca.pem"),
        dir.path().join("certs/zfssa.pem"),
    )
    .unwrap();
    std::fs::write(dir.path().join("certs/garbage.pem"), "hello\n").unwrap();
    std::fs::write(
        dir.path().join("certs/broken.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let p = dir.path().join("backup.cfg");
    let cfg_for = |cacert: &str| {
        std::fs::write(
            &p,
            format!("[zfssa]\nurl: h\npool: p\nproject: j\ncacert: {cacert}\n[orcl]\n"),
        )
        .unwrap();
        Config::load_with(&p, None).unwrap()
    };

    let cfg = cfg_for("certs/zfssa.pem");
    let c = ZfssaConfig::from_config(&cfg.database("orcl").unwrap()).unwrap();
    assert_eq!(c.tls.ca_certs.len(), 1);
    assert_eq!(c.tls.ca_certs[0].path(), dir.path().join("certs/zfssa.pem"));
    assert_eq!(c.tls.ca_certs[0].len(), 1);
    Zfssa::new(c, creds()).unwrap();

    for (file, want) in [
        ("certs/missing.pem", "cannot read it"),
        ("certs/garbage.pem", "no PEM certificate"),
        ("certs/broken.pem", "certificate"),
    ] {
        let cfg = cfg_for(file);
        let e = ZfssaConfig::from_config(&cfg.database("orcl").unwrap())
            .unwrap_err()
            .to_string();
        let full = dir.path().join(file);
        assert!(
            e.contains("[zfssa] cacert")
                && e.contains(&full.display().to_string())
                && e.contains(want),
            "{file}: {e}"
        );
    }
}

#[test]
fn insecure_is_warned_about() {
    let (_d, cfg) =
        load("[zfssa]\nurl: zfssa.example.com\npool: p\nproject: j\ninsecure: true\n[orcl]\n");
    let c = ZfssaConfig::from_config(&cfg.database("orcl").unwrap()).unwrap();
    assert!(c.tls.insecure);
    let w = c.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("insecure")
            && w[0].contains("NOT verified")
            && w[0].contains("zfssa.example.com"),
        "{}",
        w[0]
    );
    let h = Zfssa::new(c, creds()).unwrap();
    assert_eq!(h.warnings(), w);
}

#[test]
fn credentials_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var_os("ZFSSA_USER").is_some() || std::env::var_os("ZFSSA_PASSWORD").is_some() {
        eprintln!("skipped: ZFSSA_USER/ZFSSA_PASSWORD set in the environment");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let e = snapper_zfssa::load_credentials(dir.path()).unwrap_err();
    assert!(matches!(e, CredentialsError::NotFound { .. }), "{e}");
    let p = dir.path().join("zfscredentials.cfg");
    std::fs::write(
        &p,
        format!("[zfscredentials]\nzfsuser: {USER}\nzfspassword: {PASSWORD}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = snapper_zfssa::load_credentials(dir.path()).unwrap_err();
    assert!(matches!(e, CredentialsError::TooOpen { .. }), "{e}");
    assert!(e.to_string().contains("chmod 600"), "{e}");
    no_secret(&e, &e);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = snapper_zfssa::load_credentials(dir.path()).unwrap();
    assert_eq!((c.user.as_str(), c.password()), (USER, PASSWORD));
    no_secret(&c, &format!("{c:?}"));
}

#[tokio::test]
async fn open_reads_config_and_credentials_together() {
    if std::env::var_os("ZFSSA_USER").is_some() || std::env::var_os("ZFSSA_PASSWORD").is_some() {
        return;
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/storage/v1/pools/p/projects/j/filesystems/orcl/snapshots",
        ))
        .and(header("authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "snapshots": [] })))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, cfg) = load(&format!(
        "[zfssa]\nurl: {}\npool: p\nproject: j\n[orcl]\n",
        server.uri()
    ));
    let e = Zfssa::open(&cfg, "orcl").unwrap_err();
    assert!(
        e.to_string().contains("zfscredentials.cfg does not exist"),
        "{e}"
    );
    let p = dir.path().join("zfscredentials.cfg");
    std::fs::write(
        &p,
        format!("[zfscredentials]\nzfsuser: {USER}\nzfspassword: {PASSWORD}\n"),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let h = Zfssa::open(&cfg, "orcl").unwrap();
    assert!(h.list_snapshots().await.unwrap().is_empty());
}

//! The ONTAP backend's calls against wiremock answering with the shapes of NetApp's ONTAP
//! REST API reference: 202 + job polling (success, failure, never ending), paginated lists,
//! ONTAP error bodies, 401/403, and refusing to drop a volume that is not our clone.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use backupcore::config::credentials::Credentials;
use backupcore::snap::{SnapError, SnapHandler};
use serde_json::json;
use snapper_netapp::{parse_filer, NetappConfig, Ontap};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "Ontap-Secret-9";

async fn handler(server: &MockServer, volumes: &[&str]) -> Ontap {
    let mut cfg = NetappConfig::new(
        "orcl",
        parse_filer(&server.uri()).unwrap(),
        "svm1",
        volumes.iter().map(|v| v.to_string()).collect(),
    );
    cfg.job_timeout = Duration::from_secs(1);
    cfg.retries = 0;
    Ontap::new(cfg, Credentials::new("admin", PASSWORD, "test")).unwrap()
}

fn volume(name: &str, uuid: &str, junction: &str) -> serde_json::Value {
    json!({"uuid": uuid, "name": name, "nas": {"path": junction}, "svm": {"name": "svm1"}})
}

async fn volume_lookup(server: &MockServer, name: &str, records: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/api/storage/volumes"))
        .and(query_param("name", name))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "records": records, "num_records": 1,
            "_links": {"self": {"href": "/api/storage/volumes"}}
        })))
        .mount(server)
        .await;
}

async fn no_clones(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/storage/volumes"))
        .and(query_param("clone.parent_volume.name", "orcl"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"records": [], "num_records": 0})),
        )
        .mount(server)
        .await;
}

fn accepted(job: &str) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({
        "job": {"uuid": job, "_links": {"self": {"href": format!("/api/cluster/jobs/{job}")}}}
    }))
}

async fn job(server: &MockServer, uuid: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/cluster/jobs/{uuid}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn empty_snapshots(server: &MockServer, vol: &str) {
    Mock::given(method("GET"))
        .and(path(format!("/api/storage/volumes/{vol}/snapshots")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"records": [], "num_records": 0})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn snapshot_list_follows_next_links() {
    let server = MockServer::start().await;
    volume_lookup(&server, "orcl", json!([volume("orcl", "v-1", "/orcl")])).await;
    no_clones(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/storage/volumes/v-1/snapshots"))
        .and(query_param("start.uuid", "s-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "records": [{"uuid": "s-2", "name": "orcl-20261121T101500", "create_time": "2026-11-21T10:15:00+01:00", "size": 2048}],
            "num_records": 1
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/storage/volumes/v-1/snapshots"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "records": [{"uuid": "s-1", "name": "orcl-20261120T101500", "create_time": "2026-11-20T10:15:00+01:00", "size": 1024}],
            "num_records": 1,
            "_links": {"next": {"href": "/api/storage/volumes/v-1/snapshots?start.uuid=s-2&fields=uuid,name,create_time,size"}}
        })))
        .mount(&server)
        .await;
    let h = handler(&server, &["orcl"]).await;
    let snaps = h.list_snapshots().await.unwrap();
    let names: Vec<&str> = snaps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(names, ["orcl-20261120T101500", "orcl-20261121T101500"]);
    assert_eq!(
        snaps[1].created.to_rfc3339(),
        "2026-11-21T09:15:00+00:00",
        "UTC from the offset"
    );
    assert_eq!(snaps[1].space_total, 2048);
}

#[tokio::test]
async fn a_failed_job_is_the_error_with_its_message() {
    let server = MockServer::start().await;
    volume_lookup(&server, "orcl", json!([volume("orcl", "v-1", "/orcl")])).await;
    empty_snapshots(&server, "v-1").await;
    Mock::given(method("POST"))
        .and(path("/api/storage/volumes/v-1/snapshots"))
        .and(body_partial_json(json!({"name": "orcl-1"})))
        .respond_with(accepted("j-1"))
        .expect(1)
        .mount(&server)
        .await;
    job(
        &server,
        "j-1",
        json!({"uuid": "j-1", "state": "failure", "message": "Snapshot copy create failed",
               "code": 1638555, "error": {"message": "Not enough space for Snapshot copy", "code": "1638555"}}),
    )
    .await;
    let h = handler(&server, &["orcl"]).await;
    let err = h.create_snapshot("orcl-1").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Not enough space for Snapshot copy (code 1638555)"),
        "{text}"
    );
    assert!(text.contains("ONTAP job j-1"), "{text}");
}

#[tokio::test]
async fn a_job_that_never_finishes_times_out_clearly() {
    let server = MockServer::start().await;
    volume_lookup(&server, "orcl", json!([volume("orcl", "v-1", "/orcl")])).await;
    empty_snapshots(&server, "v-1").await;
    Mock::given(method("POST"))
        .and(path("/api/storage/volumes/v-1/snapshots"))
        .respond_with(accepted("j-2"))
        .mount(&server)
        .await;
    job(
        &server,
        "j-2",
        json!({"uuid": "j-2", "state": "running", "message": "creating"}),
    )
    .await;
    let h = handler(&server, &["orcl"]).await;
    let err = h.create_snapshot("orcl-2").await.unwrap_err();
    match &err {
        SnapError::Timeout { operation, seconds } => {
            assert_eq!(*seconds, 1);
            assert!(
                operation.contains("ONTAP job j-2 (state running)"),
                "{operation}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn credentials_refused_and_forbidden() {
    for status in [401u16, 403] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "error": {"message": "not authorized for that command", "code": "6"}
            })))
            .mount(&server)
            .await;
        let h = handler(&server, &["orcl"]).await;
        let err = h.list_snapshots().await.unwrap_err();
        assert!(
            matches!(err, SnapError::Auth { status: s, .. } if s == status),
            "{err:?}"
        );
        assert!(!err.to_string().contains(PASSWORD));
    }
}

#[tokio::test]
async fn ontap_error_bodies_are_shown() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "The value \"svm9\" is invalid for field \"svm.name\"", "code": "262179", "target": "svm.name"}
        })))
        .mount(&server)
        .await;
    let h = handler(&server, &["orcl"]).await;
    let err = h.list_clones().await.unwrap_err().to_string();
    assert!(err.contains("(code 262179, target svm.name)"), "{err}");
    assert!(err.contains("HTTP 400"), "{err}");
}

#[tokio::test]
async fn refuses_to_drop_a_volume_that_is_not_our_clone() {
    let server = MockServer::start().await;
    volume_lookup(
        &server,
        "prod_clone",
        json!([{
            "uuid": "v-9", "name": "prod_clone", "nas": {"path": "/prod_clone"},
            "clone": {"is_flexclone": true, "parent_volume": {"name": "prod"}, "parent_snapshot": {"name": "prod-1"}}
        }]),
    )
    .await;
    volume_lookup(
        &server,
        "plainvol",
        json!([volume("plainvol", "v-8", "/plainvol")]),
    )
    .await;
    volume_lookup(&server, "orcl", json!([volume("orcl", "v-1", "/orcl")])).await;
    Mock::given(method("DELETE"))
        .respond_with(accepted("j-x"))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(accepted("j-x"))
        .expect(0)
        .mount(&server)
        .await;
    let h = handler(&server, &["orcl"]).await;
    let err = h.drop_clone("prod_clone").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("it is a clone of prod, not of orcl"),
        "{err}"
    );
    let err = h.drop_clone("plainvol").await.unwrap_err();
    assert!(err.to_string().contains("not a FlexClone"), "{err}");
    let err = h.drop_clone("orcl").await.unwrap_err();
    assert!(matches!(err, SnapError::NotOurClone { .. }), "{err}");
}

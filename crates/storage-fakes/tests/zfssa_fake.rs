//! HTTP-level tests of the ZFS Storage Appliance fake, through reqwest.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use storage_fakes::zfssa::{Origin, ZfssaFake};

const USER: &str = "restuser";
const PASSWORD: &str = "s3cret:with:colons";
const FS: &str = "/pools/pool0/projects/backup/filesystems/db1";

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// A fake with pool0/backup/db1 holding two snapshots, and an empty project pool0/restore.
async fn seeded() -> ZfssaFake {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_project("pool0", "backup");
    fake.add_project("pool0", "restore");
    fake.add_filesystem("pool0", "backup", "db1");
    fake.set_filesystem_space_data("pool0", "backup", "db1", 5_000_000);
    fake.add_snapshot(
        "pool0",
        "backup",
        "db1",
        "s1",
        t(2016, 10, 17, 7, 39, 14),
        4_000_000,
        1_000,
    );
    fake.add_snapshot(
        "pool0",
        "backup",
        "db1",
        "s2",
        t(2016, 10, 18, 7, 39, 14),
        4_500_000,
        0,
    );
    fake
}

struct Resp {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
    /// Asserts the documented fault payload and returns its `details`.
    fn assert_fault(&self, status: u16, message: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let v = self.json();
        let fault = v.get("fault").unwrap_or_else(|| panic!("no fault: {v}"));
        assert_eq!(fault["message"], message, "{v}");
        assert_eq!(fault["code"], status, "{v}");
        fault["details"].as_str().unwrap().to_owned()
    }
}

async fn call_url(method: Method, url: &str, body: Option<Value>) -> Resp {
    let mut req = Client::new()
        .request(method, url)
        .basic_auth(USER, Some(PASSWORD))
        .header("Accept", "application/json");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    Resp {
        status: resp.status(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

async fn call(fake: &ZfssaFake, method: Method, path: &str, body: Option<Value>) -> Resp {
    call_url(
        method,
        &format!("{}/api/storage/v1{path}", fake.uri()),
        body,
    )
    .await
}

// ----- snapshots ------------------------------------------------------------------------

#[tokio::test]
async fn list_snapshots_has_documented_shape_in_creation_order() {
    let fake = seeded().await;
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type").unwrap(), "application/json");
    assert_eq!(r.header("x-zfssa-storage-api").unwrap(), "1.0");
    let v = r.json();
    let snaps = v["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 2);
    let s1 = &snaps[0];
    assert_eq!(s1["name"], "s1");
    assert_eq!(s1["creation"], "20161017T07:39:14");
    assert_eq!(s1["numclones"], 0);
    assert_eq!(s1["space_data"], 4_000_000);
    assert_eq!(s1["space_unique"], 1_000);
    assert_eq!(s1["pool"], "pool0");
    assert_eq!(s1["project"], "backup");
    assert_eq!(s1["share"], "db1");
    assert_eq!(s1["collection"], "local");
    assert_eq!(s1["type"], "snapshot");
    assert_eq!(s1["isauto"], false);
    assert_eq!(s1["canonical_name"], "pool0/local/backup/db1@s1");
    assert_eq!(s1["href"], format!("/api/storage/v1{FS}/snapshots/s1"));
    assert!(s1["id"].as_str().is_some());
    assert_eq!(snaps[1]["name"], "s2");
    assert_eq!(snaps[1]["creation"], "20161018T07:39:14");
}

#[tokio::test]
async fn seeded_snapshots_are_kept_in_creation_order() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_snapshot("p", "j", "f", "late", t(2020, 1, 3, 0, 0, 0), 1, 0);
    fake.add_snapshot("p", "j", "f", "early", t(2020, 1, 1, 0, 0, 0), 1, 0);
    fake.add_snapshot("p", "j", "f", "middle", t(2020, 1, 2, 0, 0, 0), 1, 0);
    assert_eq!(fake.snapshots("p", "j", "f"), ["early", "middle", "late"]);
    let r = call(
        &fake,
        Method::GET,
        "/pools/p/projects/j/filesystems/f/snapshots",
        None,
    )
    .await;
    let names: Vec<String> = r.json()["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["early", "middle", "late"]);
}

#[tokio::test]
async fn get_snapshot_and_missing_snapshot() {
    let fake = seeded().await;
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/s2"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["snapshot"]["name"], "s2");
    assert_eq!(v["snapshot"]["space_data"], 4_500_000);

    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/nope"), None).await;
    let details = r.assert_fault(404, "ERR_NOT_FOUND");
    assert!(details.contains("nope"), "{details}");
}

#[tokio::test]
async fn create_snapshot_answers_201_with_snapshot_and_location() {
    let fake = seeded().await;
    fake.set_clock(|| {
        Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap()
            + chrono::TimeDelta::milliseconds(750)
    });
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "pre-merge-1"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/storage/v1{FS}/snapshots/pre-merge-1")
    );
    let v = r.json();
    let s = &v["snapshot"];
    assert_eq!(s["name"], "pre-merge-1");
    assert_eq!(s["creation"], "20240229T23:59:58");
    assert_eq!(s["numclones"], 0);
    assert_eq!(
        s["space_data"], 5_000_000,
        "referenced data of the filesystem"
    );
    assert_eq!(s["space_unique"], 0);
    assert_eq!(
        fake.snapshots("pool0", "backup", "db1"),
        ["s1", "s2", "pre-merge-1"]
    );

    // And it is visible through the API.
    let r = call(
        &fake,
        Method::GET,
        &format!("{FS}/snapshots/pre-merge-1"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["snapshot"]["creation"], "20240229T23:59:58");
}

#[tokio::test]
async fn create_snapshot_errors() {
    let fake = seeded().await;
    // Duplicate name.
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "s1"})),
    )
    .await;
    let details = r.assert_fault(409, "ERR_OBJECT_EXISTS");
    assert!(details.contains("s1"));
    // Missing name.
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({})),
    )
    .await;
    r.assert_fault(400, "ERR_MISSING_ARG");
    // Name of the wrong type.
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": 7})),
    )
    .await;
    r.assert_fault(400, "ERR_INVALID_ARG");
    // Invalid names.
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "a@b"})),
    )
    .await;
    r.assert_fault(400, "ERR_INVALID_ARG");
    // Not JSON.
    let resp = Client::new()
        .post(format!("{}/api/storage/v1{FS}/snapshots", fake.uri()))
        .basic_auth(USER, Some(PASSWORD))
        .header("Content-Type", "application/json")
        .body("{name: nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["fault"]["message"], "ERR_INVALID_ARG");
    // Missing filesystem / project / pool.
    for path in [
        "/pools/pool0/projects/backup/filesystems/nofs/snapshots",
        "/pools/pool0/projects/noproj/filesystems/db1/snapshots",
        "/pools/nopool/projects/backup/filesystems/db1/snapshots",
    ] {
        let r = call(&fake, Method::POST, path, Some(json!({"name": "x"}))).await;
        r.assert_fault(404, "ERR_NOT_FOUND");
    }
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2"]);
}

#[tokio::test]
async fn delete_snapshot_answers_204_without_body() {
    let fake = seeded().await;
    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/s1"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s2"]);

    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/s1"), None).await;
    r.assert_fault(404, "ERR_NOT_FOUND");
}

// ----- clones ---------------------------------------------------------------------------

#[tokio::test]
async fn clone_snapshot_creates_filesystem_with_origin_and_counts_clones() {
    let fake = seeded().await;
    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s1/clone"),
        Some(json!({"project": "restore", "share": "db1_restore", "compression": "gzip-9"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.header("location").unwrap(),
        "/api/storage/v1/pools/pool0/projects/restore/filesystems/db1_restore"
    );
    let v = r.json();
    let f = &v["filesystem"];
    assert_eq!(f["name"], "db1_restore");
    assert_eq!(f["project"], "restore");
    assert_eq!(f["pool"], "pool0");
    assert_eq!(f["mountpoint"], "/export/db1_restore");
    assert_eq!(f["compression"], "gzip-9", "extra properties are applied");
    assert_eq!(
        f["origin"],
        json!({"pool": "pool0", "project": "backup", "share": "db1", "snapshot": "s1"})
    );
    assert_eq!(
        f["space_data"], 4_000_000,
        "a clone references its snapshot's data"
    );
    assert_eq!(
        f["href"],
        "/api/storage/v1/pools/pool0/projects/restore/filesystems/db1_restore"
    );
    assert_eq!(fake.filesystems("pool0", "restore"), ["db1_restore"]);
    assert_eq!(
        fake.origin("pool0", "restore", "db1_restore"),
        Some(Origin {
            pool: "pool0".into(),
            project: "backup".into(),
            share: "db1".into(),
            snapshot: "s1".into(),
        })
    );

    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/s1"), None).await;
    assert_eq!(r.json()["snapshot"]["numclones"], 1);
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s1"), Some(1));
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s2"), Some(0));

    // Dependents list the clone.
    let r = call(
        &fake,
        Method::GET,
        &format!("{FS}/snapshots/s1/dependents"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["dependents"],
        json!([{
            "project": "restore",
            "share": "db1_restore",
            "href": "/api/storage/v1/pools/pool0/projects/restore/filesystems/db1_restore",
        }])
    );

    // A second clone in the source project (project omitted defaults to it).
    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s1/clone"),
        Some(json!({"share": "db1_second"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["filesystem"]["project"], "backup");
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s1"), Some(2));
}

#[tokio::test]
async fn clone_errors() {
    let fake = seeded().await;
    let clone = |snap: &str| format!("{FS}/snapshots/{snap}/clone");
    // Missing snapshot.
    let r = call(
        &fake,
        Method::PUT,
        &clone("nope"),
        Some(json!({"project": "restore", "share": "c"})),
    )
    .await;
    r.assert_fault(404, "ERR_NOT_FOUND");
    // Missing target project.
    let r = call(
        &fake,
        Method::PUT,
        &clone("s1"),
        Some(json!({"project": "nope", "share": "c"})),
    )
    .await;
    r.assert_fault(404, "ERR_NOT_FOUND");
    // Missing share.
    let r = call(
        &fake,
        Method::PUT,
        &clone("s1"),
        Some(json!({"project": "restore"})),
    )
    .await;
    r.assert_fault(400, "ERR_MISSING_ARG");
    // Another pool.
    let r = call(
        &fake,
        Method::PUT,
        &clone("s1"),
        Some(json!({"pool": "pool9", "project": "restore", "share": "c"})),
    )
    .await;
    r.assert_fault(400, "ERR_INVALID_ARG");
    // Existing share name (the source filesystem itself).
    let r = call(
        &fake,
        Method::PUT,
        &clone("s1"),
        Some(json!({"project": "backup", "share": "db1"})),
    )
    .await;
    r.assert_fault(409, "ERR_OBJECT_EXISTS");
    // Existing clone name.
    let ok = call(
        &fake,
        Method::PUT,
        &clone("s1"),
        Some(json!({"project": "restore", "share": "c"})),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let r = call(
        &fake,
        Method::PUT,
        &clone("s2"),
        Some(json!({"project": "restore", "share": "c"})),
    )
    .await;
    r.assert_fault(409, "ERR_OBJECT_EXISTS");
    assert_eq!(fake.filesystems("pool0", "restore"), ["c"]);
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s2"), Some(0));
}

#[tokio::test]
async fn snapshot_with_clone_cannot_be_destroyed_until_the_clone_is() {
    let fake = seeded().await;
    fake.add_clone("pool0", "backup", "db1", "s1", "restore", "db1_clone");
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s1"), Some(1));

    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/s1"), None).await;
    let details = r.assert_fault(409, "ERR_STATE_CHANGED");
    assert!(details.contains("dependent clones"), "{details}");
    assert!(
        details.contains("pool0/local/restore/db1_clone"),
        "{details}"
    );
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2"]);

    // The origin filesystem cannot be destroyed either.
    let r = call(&fake, Method::DELETE, FS, None).await;
    let details = r.assert_fault(409, "ERR_STATE_CHANGED");
    assert!(details.contains("db1_clone"), "{details}");

    // Destroying the clone decrements numclones and frees the snapshot.
    let r = call(
        &fake,
        Method::DELETE,
        "/pools/pool0/projects/restore/filesystems/db1_clone",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/s1"), None).await;
    assert_eq!(r.json()["snapshot"]["numclones"], 0);
    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/s1"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s2"]);
}

// ----- filesystems ----------------------------------------------------------------------

#[tokio::test]
async fn list_and_get_filesystems() {
    let fake = seeded().await;
    fake.add_filesystem("pool0", "backup", "db2");
    fake.add_filesystem("pool0", "restore", "other");
    let r = call(
        &fake,
        Method::GET,
        "/pools/pool0/projects/backup/filesystems",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let list = v["filesystems"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["db1", "db2"]);
    let db1 = &list[0];
    assert_eq!(db1["project"], "backup");
    assert_eq!(db1["pool"], "pool0");
    assert_eq!(db1["mountpoint"], "/export/db1");
    assert_eq!(db1["space_data"], 5_000_000);
    assert_eq!(db1["space_snapshots"], 1_000);
    assert_eq!(db1["space_total"], 5_001_000);
    assert_eq!(db1["canonical_name"], "pool0/local/backup/db1");
    assert_eq!(db1["href"], format!("/api/storage/v1{FS}"));
    assert!(
        db1.get("origin").is_none(),
        "a non-clone has no origin: {db1}"
    );
    let creation = db1["creation"].as_str().unwrap();
    assert!(
        DateTime::parse_from_str(&format!("{creation}+0000"), "%Y%m%dT%H:%M:%S%z").is_ok(),
        "{creation}"
    );

    let r = call(&fake, Method::GET, FS, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["filesystem"]["name"], "db1");

    // All filesystems of the appliance.
    let r = call(&fake, Method::GET, "/filesystems", None).await;
    assert_eq!(r.json()["filesystems"].as_array().unwrap().len(), 3);

    // The alternative rendering of a non-clone's origin.
    fake.set_empty_origin_for_non_clones(true);
    let r = call(&fake, Method::GET, FS, None).await;
    assert_eq!(
        r.json()["filesystem"]["origin"],
        json!({"pool": "", "project": "", "share": "", "snapshot": ""})
    );
}

#[tokio::test]
async fn filesystem_not_found_at_each_level() {
    let fake = seeded().await;
    for (path, what) in [
        ("/pools/pool0/projects/backup/filesystems/nofs", "nofs"),
        ("/pools/pool0/projects/noproj/filesystems", "noproj"),
        ("/pools/nopool/projects/backup/filesystems/db1", "nopool"),
        ("/pools/nopool", "nopool"),
        ("/pools/pool0/projects/noproj", "noproj"),
    ] {
        let r = call(&fake, Method::GET, path, None).await;
        let details = r.assert_fault(404, "ERR_NOT_FOUND");
        assert!(details.contains(what), "{path}: {details}");
    }
    let r = call(
        &fake,
        Method::DELETE,
        "/pools/pool0/projects/backup/filesystems/nofs",
        None,
    )
    .await;
    r.assert_fault(404, "ERR_NOT_FOUND");
}

#[tokio::test]
async fn create_and_delete_filesystem() {
    let fake = seeded().await;
    let r = call(
        &fake,
        Method::POST,
        "/pools/pool0/projects/restore/filesystems",
        Some(json!({"name": "share-01", "owner": "oracle"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.header("location").unwrap(),
        "/api/storage/v1/pools/pool0/projects/restore/filesystems/share-01"
    );
    let v = r.json();
    assert_eq!(v["filesystem"]["name"], "share-01");
    assert_eq!(v["filesystem"]["owner"], "oracle");
    assert_eq!(v["filesystem"]["mountpoint"], "/export/share-01");
    assert!(v["filesystem"].get("origin").is_none());
    assert_eq!(fake.filesystems("pool0", "restore"), ["share-01"]);

    let r = call(
        &fake,
        Method::POST,
        "/pools/pool0/projects/restore/filesystems",
        Some(json!({"name": "share-01"})),
    )
    .await;
    r.assert_fault(409, "ERR_OBJECT_EXISTS");
    let r = call(
        &fake,
        Method::POST,
        "/pools/pool0/projects/restore/filesystems",
        Some(json!({})),
    )
    .await;
    r.assert_fault(400, "ERR_MISSING_ARG");
    let r = call(
        &fake,
        Method::POST,
        "/pools/pool0/projects/nope/filesystems",
        Some(json!({"name": "x"})),
    )
    .await;
    r.assert_fault(404, "ERR_NOT_FOUND");

    let r = call(
        &fake,
        Method::DELETE,
        "/pools/pool0/projects/restore/filesystems/share-01",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert!(fake.filesystems("pool0", "restore").is_empty());

    // Destroying a filesystem destroys its snapshots.
    let r = call(&fake, Method::DELETE, FS, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(fake.snapshots("pool0", "backup", "db1").is_empty());
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots"), None).await;
    r.assert_fault(404, "ERR_NOT_FOUND");
}

#[tokio::test]
async fn pools_and_projects() {
    let fake = seeded().await;
    let r = call(&fake, Method::GET, "/pools", None).await;
    assert_eq!(r.json()["pools"][0]["name"], "pool0");
    let r = call(&fake, Method::GET, "/pools/pool0/projects", None).await;
    let names: Vec<String> = r.json()["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["backup", "restore"]);
    let r = call(&fake, Method::GET, "/pools/pool0/projects/backup", None).await;
    assert_eq!(r.json()["project"]["mountpoint"], "/export");
}

// ----- authentication -------------------------------------------------------------------

#[tokio::test]
async fn authentication_is_required() {
    let fake = seeded().await;
    let url = format!("{}/api/storage/v1{FS}/snapshots", fake.uri());
    let client = Client::new();

    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["fault"]["message"], "ERR_UNAUTHORIZED");
    assert_eq!(v["fault"]["code"], 401);

    let resp = client
        .get(&url)
        .basic_auth(USER, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = client
        .get(&url)
        .basic_auth("other", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = client
        .get(&url)
        .header("X-Auth-User", USER)
        .header("X-Auth-Key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Unauthenticated writes change nothing.
    let resp = client
        .post(&url)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2"]);

    // Both documented schemes work.
    let resp = client
        .get(&url)
        .header("X-Auth-User", USER)
        .header("X-Auth-Key", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = client
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Unauthenticated requests are recorded too.
    assert_eq!(fake.requests().len(), 7);
}

// ----- paths ----------------------------------------------------------------------------

#[tokio::test]
async fn path_segments_are_percent_decoded() {
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_filesystem("pool 0", "proj/x", "db 1");
    let base = "/pools/pool%200/projects/proj%2Fx/filesystems/db%201";
    let r = call(
        &fake,
        Method::POST,
        &format!("{base}/snapshots"),
        Some(json!({"name": "snap:1 a"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(fake.snapshots("pool 0", "proj/x", "db 1"), ["snap:1 a"]);
    let href = r.json()["snapshot"]["href"].as_str().unwrap().to_owned();
    assert_eq!(
        href,
        "/api/storage/v1/pools/pool%200/projects/proj%2Fx/filesystems/db%201/snapshots/snap%3A1%20a"
    );
    // The href is usable as is.
    let r = call_url(Method::GET, &format!("{}{href}", fake.uri()), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["snapshot"]["name"], "snap:1 a");

    let recorded = fake.requests();
    assert_eq!(
        recorded[0].path,
        "/api/storage/v1/pools/pool 0/projects/proj/x/filesystems/db 1/snapshots"
    );
}

#[tokio::test]
async fn api_v2_behaves_like_v1() {
    let fake = seeded().await;
    let url = format!("{}/api/storage/v2{FS}/snapshots", fake.uri());
    let r = call_url(Method::POST, &url, Some(json!({"name": "v2snap"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.header("x-zfssa-storage-api").unwrap(), "2.0");
    assert_eq!(
        r.json()["snapshot"]["href"],
        format!("/api/storage/v2{FS}/snapshots/v2snap")
    );
    let r = call_url(Method::GET, &url, None).await;
    assert_eq!(r.json()["snapshots"].as_array().unwrap().len(), 3);
    // v3 does not exist.
    let r = call_url(Method::GET, &url.replace("/v2/", "/v3/"), None).await;
    r.assert_fault(404, "ERR_NOT_FOUND");
}

#[tokio::test]
async fn unmodelled_operations_answer_501() {
    let fake = seeded().await;
    // Modify filesystem is documented but not modelled.
    let r = call(&fake, Method::PUT, FS, Some(json!({"quota": 1}))).await;
    r.assert_fault(501, "ERR_NOT_IMPLEMENTED");
    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s1/rollback"),
        None,
    )
    .await;
    r.assert_fault(501, "ERR_NOT_IMPLEMENTED");
    // Trailing slashes are tolerated.
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/"), None).await;
    assert_eq!(r.status, StatusCode::OK);
}

// ----- recording --------------------------------------------------------------------------

#[tokio::test]
async fn requests_are_recorded_in_order() {
    let fake = seeded().await;
    call(
        &fake,
        Method::GET,
        &format!("{FS}/snapshots?props=true"),
        None,
    )
    .await;
    call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "n"})),
    )
    .await;
    call(&fake, Method::DELETE, &format!("{FS}/snapshots/n"), None).await;
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, format!("/api/storage/v1{FS}/snapshots"));
    assert_eq!(reqs[0].query.as_deref(), Some("props=true"));
    assert_eq!(reqs[0].body, None);
    assert_eq!(reqs[1].method, "POST");
    assert_eq!(reqs[1].body, Some(json!({"name": "n"})));
    assert_eq!(reqs[2].method, "DELETE");
    assert_eq!(reqs[2].path, format!("/api/storage/v1{FS}/snapshots/n"));

    fake.clear_requests();
    assert!(fake.requests().is_empty());
    fake.set_request_recording(false);
    call(&fake, Method::GET, FS, None).await;
    assert!(fake.requests().is_empty());
}

// ----- failure injection ------------------------------------------------------------------

#[tokio::test]
async fn fail_next_is_one_shot_and_leaves_state_alone() {
    let fake = seeded().await;
    fake.fail_next("post", "/filesystems/db1/snapshots", 503, None);
    let body = Some(json!({"name": "x"}));
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        body.clone(),
    )
    .await;
    let details = r.assert_fault(503, "ERR_BUSY");
    assert!(details.contains("injected"));
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2"]);

    // Other methods/paths are not affected, and the injection is gone.
    let r = call(&fake, Method::POST, &format!("{FS}/snapshots"), body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2", "x"]);

    // A custom body is answered verbatim; 500 without body gives ERR_INTERNAL.
    fake.fail_next("GET", "/snapshots/s1", 500, Some(json!({"weird": true})));
    fake.fail_next("GET", "/snapshots/s1", 500, None);
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/s1"), None).await;
    assert_eq!(r.status.as_u16(), 500);
    assert_eq!(r.json(), json!({"weird": true}));
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/s1"), None).await;
    r.assert_fault(500, "ERR_INTERNAL");
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots/s1"), None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn fail_after_apply_applies_then_errors() {
    let fake = seeded().await;
    fake.fail_after_apply("POST", "/snapshots", 500);
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "amb"})),
    )
    .await;
    r.assert_fault(500, "ERR_INTERNAL");
    assert_eq!(
        fake.snapshots("pool0", "backup", "db1"),
        ["s1", "s2", "amb"]
    );
    // A retry sees the snapshot exists.
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "amb"})),
    )
    .await;
    r.assert_fault(409, "ERR_OBJECT_EXISTS");

    // A request that fails on its own does not consume the injection.
    fake.fail_after_apply("DELETE", "/snapshots/", 503);
    let r = call(
        &fake,
        Method::DELETE,
        &format!("{FS}/snapshots/missing"),
        None,
    )
    .await;
    r.assert_fault(404, "ERR_NOT_FOUND");
    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/amb"), None).await;
    r.assert_fault(503, "ERR_BUSY");
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2"]);

    // Clone: applied, then an error.
    fake.fail_after_apply("PUT", "/clone", 500);
    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s2/clone"),
        Some(json!({"project": "restore", "share": "amb_clone"})),
    )
    .await;
    r.assert_fault(500, "ERR_INTERNAL");
    assert_eq!(fake.filesystems("pool0", "restore"), ["amb_clone"]);
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s2"), Some(1));
}

#[tokio::test]
async fn malformed_next_truncates_a_successful_body() {
    let fake = seeded().await;
    fake.set_malformed_next("GET", "/snapshots");
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    assert!(r.text.starts_with('{'));
    // One-shot.
    let r = call(&fake, Method::GET, &format!("{FS}/snapshots"), None).await;
    assert_eq!(r.json()["snapshots"].as_array().unwrap().len(), 2);

    // On a create: 201, the snapshot exists, the body is unparsable.
    fake.set_malformed_next("POST", "/snapshots");
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "m"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    assert_eq!(fake.snapshots("pool0", "backup", "db1"), ["s1", "s2", "m"]);
}

#[tokio::test]
async fn delay_applies_to_every_response() {
    let fake = seeded().await;
    fake.set_delay(Duration::from_millis(600));
    let client = Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let url = format!("{}/api/storage/v1{FS}/snapshots", fake.uri());
    let err = client
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    fake.set_delay(Duration::ZERO);
    let resp = client
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn default_clock_gives_whole_seconds_near_now() {
    let fake = seeded().await;
    let before = Utc::now().timestamp();
    let r = call(
        &fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({"name": "now"})),
    )
    .await;
    let after = Utc::now().timestamp();
    let creation = r.json()["snapshot"]["creation"]
        .as_str()
        .unwrap()
        .to_owned();
    let parsed = chrono::NaiveDateTime::parse_from_str(&creation, "%Y%m%dT%H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp();
    assert!(parsed >= before && parsed <= after, "{creation}");
}

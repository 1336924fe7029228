//! HTTP-level tests of the NetApp ONTAP REST API fake, through reqwest.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use storage_fakes::netapp::{CloneParent, JobKind, NetappFake, PendingState};

const USER: &str = "admin";
const PASSWORD: &str = "pass:with:colons";
const SVM: &str = "vs0";

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(4 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, s)
        .unwrap()
}

/// vs0 with volume db1 (mounted at /db1) holding three snapshots seeded out of order.
async fn seeded() -> NetappFake {
    let fake = NetappFake::start(USER, PASSWORD).await;
    fake.add_svm(SVM);
    fake.add_volume(SVM, "db1", Some("/db1"));
    fake.set_volume_space(SVM, "db1", 1 << 30, 5_000_000);
    fake.add_snapshot(SVM, "db1", "s2", t(2019, 3, 13, 14, 5, 0));
    fake.add_snapshot(SVM, "db1", "s1", t(2019, 3, 13, 13, 5, 0));
    fake.add_snapshot(SVM, "db1", "s3", t(2019, 3, 13, 15, 22, 0));
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
    /// Asserts the documented error object and returns its message.
    fn assert_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let v = self.json();
        let e = v.get("error").unwrap_or_else(|| panic!("no error: {v}"));
        assert_eq!(e["code"], code, "{v}");
        e["message"].as_str().unwrap().to_owned()
    }
    /// The job UUID of a 202 answer, checking the documented shape.
    fn job_uuid(&self) -> String {
        assert_eq!(self.status, StatusCode::ACCEPTED, "body: {}", self.text);
        let v = self.json();
        let uuid = v["job"]["uuid"].as_str().unwrap().to_owned();
        assert_eq!(
            v["job"]["_links"]["self"]["href"],
            format!("/api/cluster/jobs/{uuid}")
        );
        uuid
    }
}

struct Call<'a> {
    fake: &'a NetappFake,
    auth: Option<(&'a str, &'a str)>,
    accept: &'a str,
}

impl<'a> Call<'a> {
    fn new(fake: &'a NetappFake) -> Call<'a> {
        Call {
            fake,
            auth: Some((USER, PASSWORD)),
            accept: "application/hal+json",
        }
    }

    async fn raw(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Resp {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.fake.uri())
        };
        let mut req = Client::new()
            .request(method, url)
            .header("Accept", self.accept);
        if let Some((u, p)) = self.auth {
            req = req.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let resp = req.send().await.unwrap();
        Resp {
            status: resp.status(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap(),
        }
    }

    async fn go(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.raw(method, path, body.map(|b| b.to_string().into_bytes()))
            .await
    }
}

async fn get(fake: &NetappFake, path: &str) -> Resp {
    Call::new(fake).go(Method::GET, path, None).await
}

async fn send(fake: &NetappFake, method: Method, path: &str, body: Value) -> Resp {
    Call::new(fake).go(method, path, Some(body)).await
}

async fn del(fake: &NetappFake, path: &str) -> Resp {
    Call::new(fake).go(Method::DELETE, path, None).await
}

async fn job(fake: &NetappFake, uuid: &str) -> Value {
    let r = get(fake, &format!("/api/cluster/jobs/{uuid}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// GETs the job until it is terminal (at most 20 polls) and returns it.
async fn wait_job(fake: &NetappFake, uuid: &str) -> Value {
    for _ in 0..20 {
        let j = job(fake, uuid).await;
        if j["state"] == "success" || j["state"] == "failure" {
            return j;
        }
    }
    panic!("job {uuid} did not finish");
}

fn vol_uuid(fake: &NetappFake, name: &str) -> String {
    fake.volume(SVM, name).unwrap().uuid
}

// ----- authentication ----------------------------------------------------------------------

#[tokio::test]
async fn basic_auth_is_required() {
    let fake = seeded().await;
    let mut c = Call::new(&fake);
    c.auth = None;
    let r = c.go(Method::GET, "/api/storage/volumes", None).await;
    r.assert_error(401, "6");
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    c.auth = Some((USER, "wrong"));
    c.go(Method::GET, "/api/storage/volumes", None)
        .await
        .assert_error(401, "6");
    c.auth = Some((USER, PASSWORD));
    let r = c.go(Method::GET, "/api/storage/volumes", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type").unwrap(), "application/hal+json");
    // Rejected requests are recorded too.
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn injected_403_and_other_failures() {
    let fake = seeded().await;
    fake.forbid_next("POST", "/snapshots");
    let vol = vol_uuid(&fake, "db1");
    let r = send(
        &fake,
        Method::POST,
        &format!("/api/storage/volumes/{vol}/snapshots"),
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(r.assert_error(403, "6"), "not authorized for that command");
    assert_eq!(fake.snapshot_names(SVM, "db1"), ["s1", "s2", "s3"]);
    fake.fail_next("get", "/api/storage/volumes", 503, None);
    get(&fake, "/api/storage/volumes")
        .await
        .assert_error(503, "7");
    fake.fail_next("GET", "/api/svm", 500, Some(json!({"custom": true})));
    let r = get(&fake, "/api/svm/svms").await;
    assert_eq!(r.status.as_u16(), 500);
    assert_eq!(r.json(), json!({"custom": true}));
    // One-shot.
    assert_eq!(get(&fake, "/api/svm/svms").await.status, StatusCode::OK);

    fake.set_malformed_next("GET", "/api/storage/volumes");
    let r = get(&fake, "/api/storage/volumes").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&r.text).is_err());
}

// ----- SVMs --------------------------------------------------------------------------------

#[tokio::test]
async fn svms_list_and_get() {
    let fake = seeded().await;
    let other = fake.add_svm("vs1");
    let r = get(&fake, "/api/svm/svms").await;
    let v = r.json();
    assert_eq!(v["num_records"], 2);
    let rec = &v["records"][0];
    assert_eq!(rec["name"], SVM);
    assert_eq!(
        rec["_links"]["self"]["href"],
        format!("/api/svm/svms/{}", fake.svm_uuid(SVM).unwrap())
    );
    assert_eq!(rec.as_object().unwrap().len(), 3, "{rec}");
    assert_eq!(v["_links"]["self"]["href"], "/api/svm/svms");
    let v = get(&fake, "/api/svm/svms?name=vs1&fields=state")
        .await
        .json();
    assert_eq!(v["num_records"], 1);
    assert_eq!(v["records"][0]["uuid"], other.as_str());
    assert_eq!(v["records"][0]["state"], "running");
    let v = get(&fake, &format!("/api/svm/svms/{other}")).await.json();
    assert_eq!(v["name"], "vs1");
    get(&fake, "/api/svm/svms/nope")
        .await
        .assert_error(404, "4");
}

// ----- volumes: reading --------------------------------------------------------------------

#[tokio::test]
async fn volume_lookup_by_name_with_fields() {
    let fake = seeded().await;
    fake.add_svm("vs1");
    fake.add_volume("vs1", "db1", Some("/db1"));
    let uuid = vol_uuid(&fake, "db1");
    let r = get(
        &fake,
        "/api/storage/volumes?name=db1&svm.name=vs0&fields=nas.path,svm.name,clone.is_flexclone,snapshot_directory_access_enabled",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["num_records"], 1, "{v}");
    assert_eq!(
        v["records"][0],
        json!({
            "uuid": uuid,
            "name": "db1",
            "nas": {"path": "/db1"},
            "svm": {"name": "vs0"},
            "clone": {"is_flexclone": false},
            "snapshot_directory_access_enabled": true,
            "_links": {"self": {"href": format!("/api/storage/volumes/{uuid}")}}
        })
    );
    assert!(v["_links"].get("next").is_none());
    // Default collection fields: uuid, name, _links.
    let v = get(&fake, "/api/storage/volumes").await.json();
    assert_eq!(v["num_records"], 2);
    assert_eq!(v["records"][0].as_object().unwrap().len(), 3);
    // No match.
    let v = get(&fake, "/api/storage/volumes?name=nothing").await.json();
    assert_eq!(v["num_records"], 0);
    assert_eq!(v["records"], json!([]));
    // Braces.
    let v = get(
        &fake,
        &format!("/api/storage/volumes/{uuid}?fields=svm.{{name,uuid}}"),
    )
    .await
    .json();
    assert_eq!(v["svm"]["uuid"], fake.svm_uuid(SVM).unwrap());
    assert!(v.get("nas").is_none());
}

#[tokio::test]
async fn volume_record_has_documented_shape() {
    let fake = seeded().await;
    fake.set_time_offset(FixedOffset::east_opt(5 * 3600 + 1800).unwrap());
    fake.set_clock(|| Utc.with_ymd_and_hms(2018, 7, 5, 9, 26, 44).unwrap());
    fake.add_volume(SVM, "datavol", None);
    let uuid = vol_uuid(&fake, "datavol");
    let v = get(&fake, &format!("/api/storage/volumes/{uuid}"))
        .await
        .json();
    assert_eq!(v["uuid"], uuid.as_str());
    assert_eq!(v["name"], "datavol");
    assert_eq!(v["create_time"], "2018-07-05T14:56:44+05:30");
    assert_eq!(v["size"], 20 * 1024 * 1024);
    assert_eq!(v["state"], "online");
    assert_eq!(v["style"], "flexvol");
    assert_eq!(v["type"], "rw");
    assert_eq!(v["svm"]["name"], SVM);
    assert_eq!(v["nas"]["security_style"], "unix");
    assert!(v["nas"].get("path").is_none(), "unmounted: no nas.path");
    assert_eq!(v["clone"], json!({"is_flexclone": false}));
    assert_eq!(v["space"]["size"], 20 * 1024 * 1024);
    assert_eq!(v["snapshot_count"], 0);
    assert_eq!(v["snapshot_directory_access_enabled"], true);
    assert_eq!(
        v["_links"]["self"]["href"],
        format!("/api/storage/volumes/{uuid}")
    );
}

#[tokio::test]
async fn volume_list_paginates_with_next_links() {
    let fake = NetappFake::start(USER, PASSWORD).await;
    for i in 0..7 {
        fake.add_volume(SVM, &format!("v{i}"), None);
    }
    let mut names = Vec::new();
    let mut url = "/api/storage/volumes?max_records=3&fields=svm.name".to_owned();
    let mut pages = 0;
    loop {
        let r = get(&fake, &url).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let v = r.json();
        let recs = v["records"].as_array().unwrap();
        assert_eq!(v["num_records"], recs.len());
        assert!(recs.len() <= 3);
        for rec in recs {
            assert_eq!(rec["svm"]["name"], SVM);
            names.push(rec["name"].as_str().unwrap().to_owned());
        }
        pages += 1;
        match v["_links"]["next"]["href"].as_str() {
            Some(next) => {
                assert!(next.starts_with("/api/storage/volumes?"), "{next}");
                assert!(next.contains("max_records=3"), "{next}");
                assert_eq!(r.header("link").unwrap(), format!("<{next}>; rel=\"next\""));
                url = next.to_owned();
            }
            None => {
                assert!(r.header("link").is_none());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["v0", "v1", "v2", "v3", "v4", "v5", "v6"]);

    // Count only; sorting; offset.
    let v = get(&fake, "/api/storage/volumes?return_records=false")
        .await
        .json();
    assert_eq!(
        v,
        json!({"num_records": 7, "_links": {"self": {"href": "/api/storage/volumes?return_records=false"}}})
    );
    let v = get(
        &fake,
        "/api/storage/volumes?order_by=name%20desc&max_records=2",
    )
    .await
    .json();
    assert_eq!(v["records"][0]["name"], "v6");
    let next = v["_links"]["next"]["href"].as_str().unwrap().to_owned();
    assert!(next.contains("offset=2"), "{next}");
    let v = get(&fake, &next).await.json();
    assert_eq!(v["records"][0]["name"], "v4");
    let v = get(&fake, "/api/storage/volumes?name=v1|v5&fields=name")
        .await
        .json();
    assert_eq!(v["num_records"], 2);
}

#[tokio::test]
async fn unknown_uuids_answer_entry_doesnt_exist() {
    let fake = seeded().await;
    let vol = vol_uuid(&fake, "db1");
    let expected =
        json!({"error": {"message": "entry doesn't exist", "code": "4", "target": "uuid"}});
    for (m, p) in [
        (Method::GET, "/api/storage/volumes/0000-nope".to_owned()),
        (Method::DELETE, "/api/storage/volumes/0000-nope".to_owned()),
        (
            Method::GET,
            "/api/storage/volumes/0000-nope/snapshots".to_owned(),
        ),
        (
            Method::GET,
            format!("/api/storage/volumes/{vol}/snapshots/nope"),
        ),
        (
            Method::DELETE,
            format!("/api/storage/volumes/{vol}/snapshots/nope"),
        ),
        (Method::GET, "/api/cluster/jobs/nope".to_owned()),
    ] {
        let r = Call::new(&fake).go(m.clone(), &p, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{m} {p}");
        assert_eq!(r.json(), expected, "{m} {p}");
    }
    let r = send(
        &fake,
        Method::PATCH,
        "/api/storage/volumes/nope",
        json!({"state": "offline"}),
    )
    .await;
    assert_eq!(r.json(), expected);
}

// ----- volumes: create, clone, modify, delete -------------------------------------------------

#[tokio::test]
async fn create_volume_runs_as_a_job() {
    let fake = seeded().await;
    let r = send(
        &fake,
        Method::POST,
        "/api/storage/volumes",
        json!({"name": "vol1", "svm": {"name": SVM}, "aggregates": [{"name": "aggr1"}],
               "size": "100MB", "nas": {"path": "/vol1", "security_style": "mixed"}}),
    )
    .await;
    let job_uuid = r.job_uuid();
    assert_eq!(
        r.header("location").unwrap(),
        "/api/storage/volumes/?name=vol1"
    );
    let j = job(&fake, &job_uuid).await;
    assert_eq!(j["state"], "success", "{j}");
    assert_eq!(j["message"], "success");
    assert_eq!(j["code"], 0);
    assert_eq!(j["description"], "POST /api/storage/volumes/?name=vol1");
    assert_eq!(j["svm"]["name"], SVM);
    assert!(j["end_time"].as_str().is_some());
    let info = fake.volume(SVM, "vol1").unwrap();
    assert_eq!(info.size, 100 << 20);
    assert_eq!(info.junction_path.as_deref(), Some("/vol1"));
    assert_eq!(info.security_style, "mixed");
    assert_eq!(info.clone_parent, None);
    // The Location link finds it.
    let v = get(
        &fake,
        "/api/storage/volumes/?name=vol1&fields=aggregates.name,nas.path",
    )
    .await
    .json();
    assert_eq!(v["records"][0]["aggregates"], json!([{"name": "aggr1"}]));
    assert_eq!(v["records"][0]["nas"]["path"], "/vol1");

    // A duplicate name is accepted, then the job fails.
    let r = send(
        &fake,
        Method::POST,
        "/api/storage/volumes",
        json!({"name": "vol1", "svm": {"name": SVM}, "aggregates": [{"name": "aggr1"}]}),
    )
    .await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "failure");
    assert_eq!(j["code"], 917526);
    assert_eq!(j["error"]["code"], "917526");
    assert_eq!(j["message"], j["error"]["message"]);

    // A junction path in use.
    let r = send(
        &fake,
        Method::POST,
        "/api/storage/volumes",
        json!({"name": "vol2", "svm": {"name": SVM}, "aggregates": [{"name": "aggr1"}],
               "nas.path": "/DB1"}),
    )
    .await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "failure");
    assert_eq!(j["error"]["code"], "1");
    assert!(fake.volume(SVM, "vol2").is_none());
}

#[tokio::test]
async fn create_volume_rejects_bad_requests() {
    let fake = seeded().await;
    let post = |b: Value| send(&fake, Method::POST, "/api/storage/volumes", b);
    post(json!({"svm": {"name": SVM}, "aggregates": [{"name": "a"}]}))
        .await
        .assert_error(400, "262177");
    post(json!({"name": "v", "aggregates": [{"name": "a"}]}))
        .await
        .assert_error(400, "2621707");
    post(json!({"name": "v", "svm": {"name": "nope"}, "aggregates": [{"name": "a"}]}))
        .await
        .assert_error(404, "2621462");
    post(json!({"name": "v", "svm": {"name": SVM}}))
        .await
        .assert_error(400, "787140");
    post(json!({"name": "v", "svm": {"name": SVM}, "aggregates": [{"name": "a"}], "nas": {"path": "rel/"}}))
        .await
        .assert_error(400, "918252");
    post(json!({"name": "9bad", "svm": {"name": SVM}, "aggregates": [{"name": "a"}]}))
        .await
        .assert_error(400, "262197");
    post(json!({"name": "v", "svm": {"name": SVM}, "aggregates": [{"name": "a"}], "bogus": 1}))
        .await
        .assert_error(400, "262179");
    post(json!({"name": "v", "svm": {"name": SVM}, "aggregates": [{"name": "a"}], "size": -5}))
        .await
        .assert_error(400, "262197");
    post(json!({"name": "v", "svm": {"name": SVM}, "aggregates": "a"}))
        .await
        .assert_error(400, "262197");
    post(
        json!({"name": "v", "svm": {"name": SVM, "uuid": "other"}, "aggregates": [{"name": "a"}]}),
    )
    .await
    .assert_error(404, "4");
    // Documented but unmodelled fields are accepted; aggregates can be made optional.
    fake.set_require_aggregates(false);
    let r = post(json!({"name": "v", "svm": {"name": SVM}, "guarantee": {"type": "none"}})).await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert!(fake.volume(SVM, "v").is_some());
}

#[tokio::test]
async fn flexclone_from_a_named_snapshot() {
    let fake = seeded().await;
    let parent = vol_uuid(&fake, "db1");
    let snap = fake.snapshot_uuid(SVM, "db1", "s2").unwrap();
    let r = send(
        &fake,
        Method::POST,
        "/api/storage/volumes",
        json!({"name": "db1_clone", "svm": {"name": SVM},
               "clone": {"parent_volume": {"name": "db1"}, "parent_snapshot": {"name": "s2"},
                         "is_flexclone": "true"},
               "nas": {"path": "/db1_clone"}}),
    )
    .await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "success", "{j}");
    let info = fake.volume(SVM, "db1_clone").unwrap();
    assert_eq!(
        info.clone_parent,
        Some(CloneParent {
            volume_name: "db1".into(),
            volume_uuid: parent.clone(),
            snapshot_name: "s2".into(),
            snapshot_uuid: snap.clone(),
        })
    );
    assert_eq!(info.size, 1 << 30);
    assert_eq!(info.used, 5_000_000);
    let v = get(
        &fake,
        &format!("/api/storage/volumes/{}?fields=clone,nas.path", info.uuid),
    )
    .await
    .json();
    assert_eq!(v["clone"]["is_flexclone"], true);
    assert_eq!(v["clone"]["parent_volume"]["name"], "db1");
    assert_eq!(v["clone"]["parent_volume"]["uuid"], parent.as_str());
    assert_eq!(
        v["clone"]["parent_snapshot"],
        json!({"name": "s2", "uuid": snap})
    );
    assert_eq!(v["clone"]["parent_svm"]["name"], SVM);
    assert_eq!(v["nas"]["path"], "/db1_clone");
    // Filter clones of a parent.
    let v = get(&fake, "/api/storage/volumes?clone.parent_volume.name=db1")
        .await
        .json();
    assert_eq!(v["num_records"], 1);
    assert_eq!(v["records"][0]["name"], "db1_clone");

    // By UUIDs.
    let r = send(
        &fake,
        Method::POST,
        "/api/storage/volumes",
        json!({"name": "c2", "svm": {"uuid": fake.svm_uuid(SVM).unwrap()},
               "clone": {"parent_volume": {"uuid": parent}, "parent_snapshot": {"uuid": snap},
                         "is_flexclone": true}}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
}

#[tokio::test]
async fn flexclone_without_snapshot_takes_one_and_bad_clones_are_rejected() {
    let fake = seeded().await;
    let post = |b: Value| send(&fake, Method::POST, "/api/storage/volumes", b);
    let r = post(json!({"name": "c", "svm": {"name": SVM},
                        "clone": {"parent_volume": {"name": "db1"}, "is_flexclone": true}}))
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert_eq!(
        fake.snapshot_names(SVM, "db1"),
        ["s1", "s2", "s3", "clone_c.0"]
    );
    assert_eq!(
        fake.volume(SVM, "c")
            .unwrap()
            .clone_parent
            .unwrap()
            .snapshot_name,
        "clone_c.0"
    );

    post(json!({"name": "d", "svm": {"name": SVM}, "clone": {"parent_volume": {"name": "db1"}}}))
        .await
        .assert_error(400, "262177");
    post(json!({"name": "d", "svm": {"name": SVM}, "clone": {"is_flexclone": true}}))
        .await
        .assert_error(400, "918246");
    post(json!({"name": "d", "svm": {"name": SVM},
                "clone": {"parent_volume": {"name": "nope"}, "is_flexclone": true}}))
    .await
    .assert_error(404, "4");
    post(json!({"name": "d", "svm": {"name": SVM},
                "clone": {"parent_volume": {"name": "db1"}, "parent_snapshot": {"name": "nope"},
                          "is_flexclone": true}}))
    .await
    .assert_error(404, "4");
    post(json!({"name": "d", "svm": {"name": SVM},
                "clone": {"parent_volume": {"name": "db1", "uuid": vol_uuid(&fake, "c")},
                          "is_flexclone": true}}))
    .await
    .assert_error(400, "918236");
    assert!(fake.volume(SVM, "d").is_none());
}

#[tokio::test]
async fn patch_mounts_unmounts_and_takes_offline() {
    let fake = seeded().await;
    let uuid = vol_uuid(&fake, "db1");
    let path = format!("/api/storage/volumes/{uuid}");
    // Unmount: an empty path.
    let r = send(&fake, Method::PATCH, &path, json!({"nas": {"path": ""}})).await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert_eq!(fake.volume(SVM, "db1").unwrap().junction_path, None);
    let v = get(&fake, &format!("{path}?fields=nas")).await.json();
    assert!(v["nas"].get("path").is_none());
    // Mount with a dotted key.
    let r = send(&fake, Method::PATCH, &path, json!({"nas.path": "/new"})).await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert_eq!(
        fake.volume(SVM, "db1").unwrap().junction_path.as_deref(),
        Some("/new")
    );
    // .snapshot visibility: body field, then query parameter.
    let r = send(
        &fake,
        Method::PATCH,
        &path,
        json!({"snapshot_directory_access_enabled": false}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert!(
        !fake
            .volume(SVM, "db1")
            .unwrap()
            .snapshot_directory_access_enabled
    );
    let r = send(
        &fake,
        Method::PATCH,
        &format!("{path}?snapshot_directory_access_enabled=true"),
        json!({}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert!(
        fake.volume(SVM, "db1")
            .unwrap()
            .snapshot_directory_access_enabled
    );
    // Offline removes the junction path.
    let r = send(&fake, Method::PATCH, &path, json!({"state": "offline"})).await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    let info = fake.volume(SVM, "db1").unwrap();
    assert_eq!((info.state.as_str(), info.junction_path), ("offline", None));
    let v = get(&fake, &path).await.json();
    assert!(v.get("space").is_none());
    // Mounting an offline volume fails in the job.
    let r = send(
        &fake,
        Method::PATCH,
        &path,
        json!({"nas": {"path": "/again"}}),
    )
    .await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(
        (j["state"].as_str(), j["error"]["code"].as_str()),
        (Some("failure"), Some("9437885"))
    );
    // Bad requests.
    send(&fake, Method::PATCH, &path, json!({"state": "error"}))
        .await
        .assert_error(400, "918652");
    send(&fake, Method::PATCH, &path, json!({"flavour": "x"}))
        .await
        .assert_error(400, "262179");
    send(
        &fake,
        Method::PATCH,
        &path,
        json!({"nas": {"path": "/a//b"}}),
    )
    .await
    .assert_error(400, "918252");
    send(
        &fake,
        Method::PATCH,
        &format!("{path}?snapshot_directory_access_enabled=maybe"),
        json!({}),
    )
    .await
    .assert_error(400, "262197");
}

#[tokio::test]
async fn delete_volume_requires_unmount_and_no_clones() {
    let fake = seeded().await;
    fake.add_clone(SVM, "db1", "s1", "db1_c", Some("/db1_c"));
    let parent = vol_uuid(&fake, "db1");
    let clone = vol_uuid(&fake, "db1_c");
    // Mounted.
    let j = job(
        &fake,
        &del(&fake, &format!("/api/storage/volumes/{clone}"))
            .await
            .job_uuid(),
    )
    .await;
    assert_eq!(j["state"], "failure");
    assert_eq!(j["error"]["code"], "8");
    assert!(fake.volume(SVM, "db1_c").is_some());
    // Unmount, then delete (online volumes are offlined by the delete).
    let r = send(
        &fake,
        Method::PATCH,
        &format!("/api/storage/volumes/{parent}"),
        json!({"nas": {"path": ""}}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    let j = job(
        &fake,
        &del(&fake, &format!("/api/storage/volumes/{parent}"))
            .await
            .job_uuid(),
    )
    .await;
    assert_eq!(j["state"], "failure", "parent of a clone");
    assert!(j["message"].as_str().unwrap().contains("db1_c"));
    let r = send(
        &fake,
        Method::PATCH,
        &format!("/api/storage/volumes/{clone}"),
        json!({"nas": {"path": ""}}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    let j = job(
        &fake,
        &del(&fake, &format!("/api/storage/volumes/{clone}"))
            .await
            .job_uuid(),
    )
    .await;
    assert_eq!(j["state"], "success");
    get(&fake, &format!("/api/storage/volumes/{clone}"))
        .await
        .assert_error(404, "4");
    let r = Call::new(&fake)
        .go(
            Method::DELETE,
            &format!("/api/storage/volumes/{parent}?force=true"),
            None,
        )
        .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert!(fake.volume_names(SVM).is_empty());
}

#[tokio::test]
async fn clone_split_frees_the_parent_snapshot() {
    let fake = seeded().await;
    fake.add_clone(SVM, "db1", "s2", "c", None);
    let c = vol_uuid(&fake, "c");
    let r = send(
        &fake,
        Method::PATCH,
        &format!("/api/storage/volumes/{c}"),
        json!({"clone": {"split_initiated": true}}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert_eq!(fake.volume(SVM, "c").unwrap().clone_parent, None);
    let vol = vol_uuid(&fake, "db1");
    let s2 = fake.snapshot_uuid(SVM, "db1", "s2").unwrap();
    let r = Call::new(&fake)
        .go(
            Method::DELETE,
            &format!("/api/storage/volumes/{vol}/snapshots/{s2}"),
            None,
        )
        .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
}

// ----- snapshots ----------------------------------------------------------------------------

#[tokio::test]
async fn snapshots_list_in_creation_order_with_fields() {
    let fake = seeded().await;
    let vol = vol_uuid(&fake, "db1");
    let r = get(
        &fake,
        &format!("/api/storage/volumes/{vol}/snapshots?fields=name,create_time,size"),
    )
    .await;
    let v = r.json();
    assert_eq!(v["num_records"], 3);
    let names: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s1", "s2", "s3"]);
    let s1 = &v["records"][0];
    assert_eq!(s1["create_time"], "2019-03-13T13:05:00-04:00");
    assert_eq!(s1["size"], 5_000_000);
    let s1_uuid = s1["uuid"].as_str().unwrap();
    assert_eq!(
        s1["_links"]["self"]["href"],
        format!("/api/storage/volumes/{vol}/snapshots/{s1_uuid}")
    );
    assert!(s1.get("volume").is_none());
    // One record.
    let v = get(
        &fake,
        &format!("/api/storage/volumes/{vol}/snapshots/{s1_uuid}"),
    )
    .await
    .json();
    assert_eq!(v["volume"]["name"], "db1");
    assert_eq!(v["volume"]["uuid"], vol.as_str());
    assert_eq!(v["svm"]["name"], SVM);
    assert_eq!(v["name"], "s1");
    // Paging and filters.
    let v = get(
        &fake,
        &format!("/api/storage/volumes/{vol}/snapshots?max_records=2"),
    )
    .await
    .json();
    assert_eq!(v["num_records"], 2);
    let next = v["_links"]["next"]["href"].as_str().unwrap().to_owned();
    let v = get(&fake, &next).await.json();
    assert_eq!(v["records"][0]["name"], "s3");
    assert!(v["_links"].get("next").is_none());
    let v = get(
        &fake,
        &format!(
            "/api/storage/volumes/{vol}/snapshots?create_time=%3E2019-03-13T17:30:00Z&fields=name"
        ),
    )
    .await
    .json();
    assert_eq!(v["records"][0]["name"], "s2");
    assert_eq!(v["num_records"], 2);
}

#[tokio::test]
async fn create_rename_and_delete_snapshots() {
    let fake = seeded().await;
    fake.set_clock(|| Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap());
    let vol = vol_uuid(&fake, "db1");
    let base = format!("/api/storage/volumes/{vol}/snapshots");
    let r = send(
        &fake,
        Method::POST,
        &format!("{base}?return_records=true"),
        json!({"name": "backup_1", "comment": "c"}),
    )
    .await;
    let v = r.json();
    assert_eq!(v["num_records"], 1);
    assert_eq!(v["records"][0]["name"], "backup_1");
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/storage/volumes/{vol}/snapshots/?name=backup_1")
    );
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "success");
    assert_eq!(
        fake.snapshot_names(SVM, "db1"),
        ["s1", "s2", "s3", "backup_1"]
    );
    let v = get(
        &fake,
        &format!("{base}?name=backup_1&fields=create_time,comment"),
    )
    .await
    .json();
    assert_eq!(v["records"][0]["create_time"], "2024-05-06T07:08:09+00:00");
    assert_eq!(v["records"][0]["comment"], "c");
    // Duplicate: the job fails.
    let r = send(&fake, Method::POST, &base, json!({"name": "backup_1"})).await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "failure");
    assert_eq!(j["error"]["code"], "525059");
    // Bad names and bodies.
    send(&fake, Method::POST, &base, json!({"name": "a/b"}))
        .await
        .assert_error(400, "1638518");
    send(&fake, Method::POST, &base, json!({}))
        .await
        .assert_error(400, "262177");
    send(&fake, Method::POST, &base, json!({"name": 5}))
        .await
        .assert_error(400, "262197");
    // Rename.
    let uuid = fake.snapshot_uuid(SVM, "db1", "backup_1").unwrap();
    let r = send(
        &fake,
        Method::PATCH,
        &format!("{base}/{uuid}"),
        json!({"name": "backup_2"}),
    )
    .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert_eq!(fake.snapshot_uuid(SVM, "db1", "backup_2").unwrap(), uuid);
    // Delete.
    let r = Call::new(&fake)
        .go(Method::DELETE, &format!("{base}/{uuid}"), None)
        .await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "success");
    assert_eq!(j["description"], format!("DELETE {base}/{uuid}"));
    assert_eq!(fake.snapshot_names(SVM, "db1"), ["s1", "s2", "s3"]);
    get(&fake, &format!("{base}/{uuid}"))
        .await
        .assert_error(404, "4");
}

#[tokio::test]
async fn snapshot_backing_a_flexclone_cannot_be_deleted() {
    let fake = seeded().await;
    fake.add_clone(SVM, "db1", "s2", "c", None);
    let vol = vol_uuid(&fake, "db1");
    let s2 = fake.snapshot_uuid(SVM, "db1", "s2").unwrap();
    let path = format!("/api/storage/volumes/{vol}/snapshots/{s2}");
    let r = Call::new(&fake).go(Method::DELETE, &path, None).await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "failure");
    assert_eq!(j["code"], 1638555);
    assert_eq!(j["error"]["code"], "1638555");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("\"s2\"") && msg.contains("has not expired or is locked"),
        "{msg}"
    );
    assert_eq!(fake.snapshot_names(SVM, "db1"), ["s1", "s2", "s3"]);
    // With return_timeout the failure is the answer.
    let r = Call::new(&fake)
        .go(Method::DELETE, &format!("{path}?return_timeout=10"), None)
        .await;
    r.assert_error(409, "1638555");
    // Once the clone is gone the snapshot can go.
    let c = vol_uuid(&fake, "c");
    let r = Call::new(&fake)
        .go(Method::DELETE, &format!("/api/storage/volumes/{c}"), None)
        .await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    let r = Call::new(&fake).go(Method::DELETE, &path, None).await;
    assert_eq!(job(&fake, &r.job_uuid()).await["state"], "success");
    assert_eq!(fake.snapshot_names(SVM, "db1"), ["s1", "s3"]);
}

// ----- jobs -----------------------------------------------------------------------------------

#[tokio::test]
async fn jobs_run_after_the_configured_number_of_polls() {
    let fake = seeded().await;
    fake.set_job_polls(2);
    fake.set_pending_job_state(PendingState::Queued);
    let vol = vol_uuid(&fake, "db1");
    let r = send(
        &fake,
        Method::POST,
        &format!("/api/storage/volumes/{vol}/snapshots"),
        json!({"name": "later"}),
    )
    .await;
    let uuid = r.job_uuid();
    for _ in 0..2 {
        let j = job(&fake, &uuid).await;
        assert_eq!(j["state"], "queued");
        assert_eq!(j["code"], 0);
        assert!(j.get("end_time").is_none());
        assert_eq!(fake.snapshot_names(SVM, "db1").len(), 3, "not applied yet");
    }
    // Reading through the API helper does not count as a poll.
    assert_eq!(fake.job(&uuid).unwrap().state, "queued");
    let j = job(&fake, &uuid).await;
    assert_eq!(j["state"], "success");
    assert_eq!(fake.snapshot_names(SVM, "db1").len(), 4);
    // The jobs collection.
    let v = get(
        &fake,
        "/api/cluster/jobs?state=success&fields=state,description",
    )
    .await
    .json();
    assert_eq!(v["num_records"], 1);
    assert_eq!(v["records"][0]["uuid"], uuid.as_str());
    // Finished jobs can be expired (404 afterwards).
    fake.expire_finished_jobs();
    get(&fake, &format!("/api/cluster/jobs/{uuid}"))
        .await
        .assert_error(404, "4");
}

#[tokio::test]
async fn hung_and_failing_jobs() {
    let fake = seeded().await;
    let vol = vol_uuid(&fake, "db1");
    let base = format!("/api/storage/volumes/{vol}/snapshots");
    fake.hang_next_job(JobKind::SnapshotCreate);
    let r = send(&fake, Method::POST, &base, json!({"name": "stuck"})).await;
    let uuid = r.job_uuid();
    for _ in 0..10 {
        assert_eq!(job(&fake, &uuid).await["state"], "running");
    }
    // return_timeout does not finish a hung job.
    fake.hang_next_job(JobKind::Any);
    let r2 = send(
        &fake,
        Method::POST,
        &format!("{base}?return_timeout=30"),
        json!({"name": "stuck2"}),
    )
    .await;
    let uuid2 = r2.job_uuid();
    assert!(fake.run_job(&uuid));
    assert!(!fake.run_job(&uuid));
    assert_eq!(job(&fake, &uuid).await["state"], "success");
    assert_eq!(fake.run_pending_jobs(), 0, "hung jobs are left alone");
    assert!(fake.run_job(&uuid2));
    assert_eq!(
        fake.snapshot_names(SVM, "db1"),
        ["s1", "s2", "s3", "stuck", "stuck2"]
    );

    // The next volume delete fails with the given error; the one after is normal.
    fake.fail_next_job(
        JobKind::VolumeDelete,
        "Internal error. Wait a few minutes, then try again.",
        "13",
    );
    let r = Call::new(&fake)
        .go(Method::DELETE, &format!("/api/storage/volumes/{vol}"), None)
        .await;
    let j = job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "failure");
    assert_eq!(j["code"], 13);
    assert_eq!(
        j["error"],
        json!({"message": "Internal error. Wait a few minutes, then try again.", "code": "13"})
    );
    assert!(fake.volume(SVM, "db1").is_some());
    let info = fake.job(&r.job_uuid()).unwrap();
    assert_eq!(info.kind, JobKind::VolumeDelete);
    assert_eq!(info.error.unwrap().1, "13");
}

#[tokio::test]
async fn return_timeout_answers_synchronously() {
    let fake = seeded().await;
    fake.set_job_polls(5);
    let r = send(
        &fake,
        Method::POST,
        "/api/storage/volumes?return_timeout=15",
        json!({"name": "quick", "svm": {"name": SVM}, "aggregates": [{"name": "a"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.json()["job"]["uuid"].as_str().is_some());
    assert!(fake.volume(SVM, "quick").is_some());
    let uuid = vol_uuid(&fake, "quick");
    let r = send(
        &fake,
        Method::PATCH,
        &format!("/api/storage/volumes/{uuid}?return_timeout=1"),
        json!({"comment": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        fake.volume(SVM, "quick").unwrap().comment.as_deref(),
        Some("x")
    );
    get(&fake, "/api/storage/volumes?return_timeout=121")
        .await
        .assert_error(400, "262197");
    // Without return_timeout the job needs its polls.
    let r = send(
        &fake,
        Method::PATCH,
        &format!("/api/storage/volumes/{uuid}"),
        json!({"comment": "y"}),
    )
    .await;
    let j = wait_job(&fake, &r.job_uuid()).await;
    assert_eq!(j["state"], "success");
    assert_eq!(
        fake.volume(SVM, "quick").unwrap().comment.as_deref(),
        Some("y")
    );
}

// ----- malformed requests, unmodelled calls, HAL links ------------------------------------------

#[tokio::test]
async fn malformed_requests_get_ontap_errors_not_panics() {
    let fake = seeded().await;
    let c = Call::new(&fake);
    let vol = vol_uuid(&fake, "db1");
    c.raw(
        Method::POST,
        "/api/storage/volumes",
        Some(b"{not json".to_vec()),
    )
    .await
    .assert_error(400, "262199");
    c.raw(
        Method::POST,
        "/api/storage/volumes",
        Some(b"[1,2]".to_vec()),
    )
    .await
    .assert_error(400, "2");
    c.raw(Method::GET, "/api/storage/volumes", Some(b"{}".to_vec()))
        .await
        .assert_error(400, "262198");
    get(&fake, "/api/storage/volumes?colour=red")
        .await
        .assert_error(400, "262179");
    get(&fake, "/api/storage/volumes?fields=bogus")
        .await
        .assert_error(400, "262197");
    get(&fake, "/api/storage/volumes?fields=svm.{name")
        .await
        .assert_error(400, "262286");
    get(&fake, "/api/storage/volumes?max_records=abc")
        .await
        .assert_error(400, "262197");
    get(&fake, "/api/storage/volumes?max_records=0")
        .await
        .assert_error(400, "262197");
    get(&fake, "/api/storage/volumes?order_by=bogus")
        .await
        .assert_error(400, "262197");
    get(&fake, &format!("/api/storage/volumes/{vol}?max_records=1"))
        .await
        .assert_error(400, "262179");
    send(
        &fake,
        Method::POST,
        "/api/storage/volumes?verbose=1",
        json!({}),
    )
    .await
    .assert_error(400, "262179");
    send(&fake, Method::PUT, "/api/storage/volumes", json!({}))
        .await
        .assert_error(405, "3");
    send(
        &fake,
        Method::PATCH,
        "/api/storage/volumes?name=x",
        json!({}),
    )
    .await
    .assert_error(405, "3");
    get(&fake, "/api/storage/luns").await.assert_error(404, "4");
    get(&fake, "/elsewhere").await.assert_error(404, "4");
    // Odd inputs anywhere: always an answer, never a panic.
    let weird = [
        "%",
        "%zz",
        "%00",
        "\u{7f}",
        "a..",
        "..",
        "|",
        "!",
        "{",
        "}",
        "\"",
        "*",
        "**",
        "<",
        ">=",
        ".",
        "a.b.c.d.e",
        "uuid.x",
        "!*",
        "{a,{b}}",
        "svm.{}",
        ",,,",
        "é",
        "%E9",
        "x=y=z",
    ];
    for w in weird {
        let q = w
            .replace('%', "%25")
            .replace('"', "%22")
            .replace('{', "%7B")
            .replace('}', "%7D");
        for path in [
            format!("/api/storage/volumes?fields={q}"),
            format!("/api/storage/volumes?name={q}"),
            format!("/api/storage/volumes?{q}"),
            format!("/api/storage/volumes?order_by={q}"),
            format!("/api/storage/volumes/{q}"),
            format!("/api/storage/volumes/{vol}/snapshots?name={q}&max_records={q}"),
            format!("/api/cluster/jobs/{q}"),
        ] {
            let r = get(&fake, &path).await;
            assert!(r.status.as_u16() < 500, "{path}: {}", r.text);
            let _ = r.json();
        }
        for body in [
            json!({"name": w, "svm": {"name": w}, "aggregates": [{"name": w}], "nas": {"path": w}}),
            json!({"name": "ok", "svm": w, "clone": w, "size": w, "nas": w}),
            json!({"name": "ok", "svm": {"name": SVM}, "clone": {"parent_volume": w, "is_flexclone": w}}),
            json!({w: w}),
        ] {
            let r = send(&fake, Method::POST, "/api/storage/volumes", body).await;
            assert!(r.status.as_u16() < 500, "{}", r.text);
            let _ = r.json();
            let r = send(
                &fake,
                Method::PATCH,
                &format!("/api/storage/volumes/{vol}"),
                json!({"nas": w, "state": w, "name": w}),
            )
            .await;
            assert!(r.status.as_u16() < 500, "{}", r.text);
        }
    }
    // Pathologically nested braces are refused, not recursed into.
    let deep = format!("{}name{}", "svm.%7B".repeat(5_000), "%7D".repeat(5_000));
    let r = get(&fake, &format!("/api/storage/volumes?fields={deep}")).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    // The fake still works.
    assert_eq!(
        get(&fake, "/api/storage/volumes").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn plain_json_accept_drops_hal_links_but_next() {
    let fake = seeded().await;
    fake.add_volume(SVM, "db2", None);
    let mut c = Call::new(&fake);
    c.accept = "application/json";
    let r = c
        .go(Method::GET, "/api/storage/volumes?max_records=1", None)
        .await;
    assert_eq!(r.header("content-type").unwrap(), "application/json");
    let v = r.json();
    assert!(v["records"][0].get("_links").is_none());
    assert!(v["_links"].get("self").is_none());
    assert!(v["_links"]["next"]["href"].as_str().is_some());
    let vol = vol_uuid(&fake, "db1");
    let r = c
        .go(
            Method::POST,
            &format!("/api/storage/volumes/{vol}/snapshots"),
            Some(json!({"name": "n"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.json()["job"].get("_links").is_none());
    assert!(r.json()["job"]["uuid"].as_str().is_some());
}

#[tokio::test]
async fn request_log_and_delay() {
    let fake = seeded().await;
    let vol = vol_uuid(&fake, "db1");
    fake.clear_requests();
    send(
        &fake,
        Method::POST,
        &format!("/api/storage/volumes/{vol}/snapshots?return_timeout=0"),
        json!({"name": "n 1"}),
    )
    .await;
    get(&fake, "/api/storage/volumes?name=db%2A").await;
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(
        reqs[0].path,
        format!("/api/storage/volumes/{vol}/snapshots")
    );
    assert_eq!(reqs[0].query.as_deref(), Some("return_timeout=0"));
    assert_eq!(reqs[0].body, Some(json!({"name": "n 1"})));
    assert_eq!(reqs[1].query.as_deref(), Some("name=db%2A"));
    assert_eq!(reqs[1].body, None);
    fake.set_request_recording(false);
    get(&fake, "/api/svm/svms").await;
    assert_eq!(fake.requests().len(), 2);

    fake.set_delay(Duration::from_millis(300));
    let client = Client::builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let err = client
        .get(format!("{}/api/svm/svms", fake.uri()))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    fake.set_delay(Duration::ZERO);
    assert_eq!(get(&fake, "/api/svm/svms").await.status, StatusCode::OK);
}

//! Snapshots and clones with contents on disk (the NFS view of a share), through HTTP.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use storage_fakes::zfssa::ZfssaFake;

const USER: &str = "restuser";
const PASSWORD: &str = "pw";
const FS: &str = "/pools/pool0/projects/backup/filesystems/db1";

/// A fresh directory under the system temp dir, removed (write permission restored) on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "zfssa-contents-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

fn chmod_dirs_writable(p: &Path) {
    if let Ok(m) = fs::symlink_metadata(p) {
        if m.is_dir() {
            let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o755));
            if let Ok(rd) = fs::read_dir(p) {
                for e in rd.flatten() {
                    chmod_dirs_writable(&e.path());
                }
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        chmod_dirs_writable(&self.0);
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Resp {
    status: StatusCode,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    fn assert_status(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
    }
    /// Asserts the documented fault payload and returns its `details`.
    fn assert_fault(&self, status: u16, message: &str) -> String {
        self.assert_status(status);
        let v = self.json();
        let fault = v.get("fault").unwrap_or_else(|| panic!("no fault: {v}"));
        assert_eq!(fault["message"], message, "{v}");
        assert_eq!(fault["code"], status, "{v}");
        fault["details"].as_str().unwrap().to_owned()
    }
}

async fn call(fake: &ZfssaFake, method: Method, path: &str, body: Option<Value>) -> Resp {
    let mut req = Client::new()
        .request(method, format!("{}/api/storage/v1{path}", fake.uri()))
        .basic_auth(USER, Some(PASSWORD));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    Resp {
        status: resp.status(),
        text: resp.text().await.unwrap(),
    }
}

async fn snapshot(fake: &ZfssaFake, name: &str) -> Resp {
    call(
        fake,
        Method::POST,
        &format!("{FS}/snapshots"),
        Some(json!({ "name": name })),
    )
    .await
}

/// A share directory: `datafile.dbf`, `sub/ctl.ctl`, `link -> datafile.dbf`.
fn populate(dir: &Path) {
    fs::write(dir.join("datafile.dbf"), b"block v1").unwrap();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/ctl.ctl"), b"control v1").unwrap();
    std::os::unix::fs::symlink("datafile.dbf", dir.join("link")).unwrap();
}

/// A fake with pool0/backup/db1 bound to a populated directory, and project pool0/restore.
async fn bound() -> (ZfssaFake, TempDir) {
    let dir = TempDir::new("share");
    populate(dir.path());
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_project("pool0", "restore");
    fake.bind_directory("pool0", "backup", "db1", dir.path());
    (fake, dir)
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Relative paths of everything under `root`, sorted.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

async fn snapshot_names(fake: &ZfssaFake) -> Vec<String> {
    let r = call(fake, Method::GET, &format!("{FS}/snapshots"), None).await;
    r.assert_status(200);
    r.json()["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn snapshot_copy_keeps_the_contents_at_snapshot_time() {
    let (fake, dir) = bound().await;
    snapshot(&fake, "s1").await.assert_status(201);

    let snap = fake.snapshot_dir("pool0", "backup", "db1", "s1").unwrap();
    assert_eq!(snap, dir.path().join(".zfs/snapshot/s1"));

    // Change the share after the snapshot.
    fs::write(dir.path().join("datafile.dbf"), b"block v2, longer").unwrap();
    fs::remove_file(dir.path().join("sub/ctl.ctl")).unwrap();
    fs::write(dir.path().join("new.dbf"), b"new").unwrap();

    assert_eq!(fs::read(snap.join("datafile.dbf")).unwrap(), b"block v1");
    assert_eq!(fs::read(snap.join("sub/ctl.ctl")).unwrap(), b"control v1");
    assert!(!snap.join("new.dbf").exists());
    assert_eq!(tree(&snap), ["datafile.dbf", "link", "sub", "sub/ctl.ctl"]);
    // The symlink is copied as a link, with its target unchanged.
    assert!(fs::symlink_metadata(snap.join("link"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(snap.join("link")).unwrap(),
        Path::new("datafile.dbf")
    );

    // A second snapshot sees the new contents and does not contain `.zfs`.
    snapshot(&fake, "s2").await.assert_status(201);
    let snap2 = fake.snapshot_dir("pool0", "backup", "db1", "s2").unwrap();
    assert_eq!(tree(&snap2), ["datafile.dbf", "link", "new.dbf", "sub"]);
    assert_eq!(
        fs::read(snap2.join("datafile.dbf")).unwrap(),
        b"block v2, longer"
    );
    assert_eq!(fs::read(snap.join("datafile.dbf")).unwrap(), b"block v1");
}

#[tokio::test]
async fn snapshot_copy_is_read_only_and_keeps_modification_times() {
    let (fake, dir) = bound().await;
    let mtime = fs::metadata(dir.path().join("datafile.dbf"))
        .unwrap()
        .modified()
        .unwrap();
    snapshot(&fake, "s1").await.assert_status(201);
    let snap = fake.snapshot_dir("pool0", "backup", "db1", "s1").unwrap();

    assert_eq!(mode(&snap), 0o555);
    assert_eq!(mode(&snap.join("sub")), 0o555);
    assert_eq!(mode(&snap.join("datafile.dbf")), 0o444);
    assert_eq!(mode(&snap.join("sub/ctl.ctl")), 0o444);
    assert_eq!(
        fs::metadata(snap.join("datafile.dbf"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
    // The share itself is untouched.
    assert_eq!(mode(&dir.path().join("datafile.dbf")) & 0o200, 0o200);
}

#[tokio::test]
async fn deleting_a_snapshot_removes_its_copy() {
    let (fake, _dir) = bound().await;
    snapshot(&fake, "s1").await.assert_status(201);
    snapshot(&fake, "s2").await.assert_status(201);
    let s1 = fake.snapshot_dir("pool0", "backup", "db1", "s1").unwrap();
    let s2 = fake.snapshot_dir("pool0", "backup", "db1", "s2").unwrap();
    assert!(s1.is_dir());

    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/s1"), None).await;
    r.assert_status(204);
    assert!(!s1.exists());
    assert!(fs::symlink_metadata(&s1).is_err());
    assert!(s2.join("sub/ctl.ctl").is_file());
    assert_eq!(snapshot_names(&fake).await, ["s2"]);
    assert_eq!(fake.snapshot_dir("pool0", "backup", "db1", "s1"), None);
}

#[tokio::test]
async fn seeded_snapshot_of_a_bound_filesystem_is_copied_too() {
    let (fake, dir) = bound().await;
    fake.add_snapshot("pool0", "backup", "db1", "seed", Utc::now(), 1, 0);
    let snap = dir.path().join(".zfs/snapshot/seed");
    assert_eq!(fs::read(snap.join("datafile.dbf")).unwrap(), b"block v1");
    assert_eq!(mode(&snap.join("datafile.dbf")), 0o444);
}

#[tokio::test]
async fn clone_gets_the_snapshot_contents_and_is_writable() {
    let (fake, dir) = bound().await;
    let root = TempDir::new("clones");
    let clone_root = root.path().join("mnt");
    fake.bind_clone_root(&clone_root);
    snapshot(&fake, "s1").await.assert_status(201);
    // Changed after the snapshot: the clone must have the snapshot's content.
    fs::write(dir.path().join("datafile.dbf"), b"block v2").unwrap();

    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s1/clone"),
        Some(json!({"project": "restore", "share": "db1_restore"})),
    )
    .await;
    r.assert_status(201);
    let clone = clone_root.join("db1_restore");
    assert_eq!(
        fake.filesystem_dir("pool0", "restore", "db1_restore"),
        Some(clone.clone())
    );
    assert_eq!(tree(&clone), ["datafile.dbf", "link", "sub", "sub/ctl.ctl"]);
    assert_eq!(fs::read(clone.join("datafile.dbf")).unwrap(), b"block v1");
    assert!(fs::symlink_metadata(clone.join("link"))
        .unwrap()
        .file_type()
        .is_symlink());

    // Writable: modes, and writing works.
    assert_eq!(mode(&clone), 0o755);
    assert_eq!(mode(&clone.join("sub")), 0o755);
    assert_eq!(mode(&clone.join("datafile.dbf")), 0o644);
    fs::write(clone.join("datafile.dbf"), b"recovered").unwrap();
    fs::write(clone.join("sub/redo.log"), b"redo").unwrap();
    // ...without touching the snapshot.
    let snap = fake.snapshot_dir("pool0", "backup", "db1", "s1").unwrap();
    assert_eq!(fs::read(snap.join("datafile.dbf")).unwrap(), b"block v1");

    // The clone is bound too: its snapshots get copies.
    let r = call(
        &fake,
        Method::POST,
        "/pools/pool0/projects/restore/filesystems/db1_restore/snapshots",
        Some(json!({"name": "c1"})),
    )
    .await;
    r.assert_status(201);
    assert_eq!(
        fs::read(clone.join(".zfs/snapshot/c1/datafile.dbf")).unwrap(),
        b"recovered"
    );

    // Deleting the clone share removes its directory (snapshots included).
    let r = call(
        &fake,
        Method::DELETE,
        "/pools/pool0/projects/restore/filesystems/db1_restore",
        None,
    )
    .await;
    r.assert_status(204);
    assert!(fs::symlink_metadata(&clone).is_err());
    assert!(clone_root.is_dir());
    // The origin snapshot can now go, and its copy with it.
    let r = call(&fake, Method::DELETE, &format!("{FS}/snapshots/s1"), None).await;
    r.assert_status(204);
    assert!(!snap.exists());
}

#[tokio::test]
async fn add_clone_copies_like_the_clone_call() {
    let (fake, _dir) = bound().await;
    let root = TempDir::new("addclone");
    fake.bind_clone_root(root.path());
    fake.add_snapshot("pool0", "backup", "db1", "s1", Utc::now(), 1, 0);
    fake.add_clone("pool0", "backup", "db1", "s1", "restore", "c");
    assert_eq!(
        fs::read(root.path().join("c/sub/ctl.ctl")).unwrap(),
        b"control v1"
    );
}

#[tokio::test]
async fn clone_without_clone_root_or_of_unbound_filesystem_has_no_directory() {
    let (fake, _dir) = bound().await;
    snapshot(&fake, "s1").await.assert_status(201);
    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s1/clone"),
        Some(json!({"project": "restore", "share": "c1"})),
    )
    .await;
    r.assert_status(201);
    assert_eq!(fake.filesystem_dir("pool0", "restore", "c1"), None);

    let root = TempDir::new("unbound");
    fake.bind_clone_root(root.path());
    fake.add_snapshot("pool0", "other", "fs", "s", Utc::now(), 1, 0);
    fake.add_clone("pool0", "other", "fs", "s", "restore", "c2");
    assert_eq!(fake.filesystem_dir("pool0", "restore", "c2"), None);
    assert_eq!(fake.snapshot_dir("pool0", "other", "fs", "s"), None);
    assert!(tree(root.path()).is_empty());
}

#[tokio::test]
async fn failing_copy_answers_500_and_creates_no_snapshot() {
    let tmp = TempDir::new("notadir");
    let file = tmp.path().join("plain-file");
    fs::write(&file, b"not a directory").unwrap();
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.bind_directory("pool0", "backup", "db1", &file);

    let details = snapshot(&fake, "s1")
        .await
        .assert_fault(500, "ERR_INTERNAL");
    assert!(details.contains("pool0/local/backup/db1@s1"), "{details}");
    assert!(details.contains("plain-file"), "{details}");
    assert!(snapshot_names(&fake).await.is_empty());
    assert!(fake.snapshots("pool0", "backup", "db1").is_empty());
    assert_eq!(fake.snapshot_dir("pool0", "backup", "db1", "s1"), None);
    assert_eq!(fs::read(&file).unwrap(), b"not a directory");
}

#[tokio::test]
async fn unsupported_file_type_fails_the_snapshot_without_a_partial_copy() {
    let (fake, dir) = bound().await;
    // A socket (like a FIFO or device) is not copied: the snapshot fails.
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("zz.sock")).unwrap();

    let details = snapshot(&fake, "s1")
        .await
        .assert_fault(500, "ERR_INTERNAL");
    assert!(details.contains("zz.sock"), "{details}");
    assert!(snapshot_names(&fake).await.is_empty());
    // Nothing of the copy is left (the snapshot directory is empty).
    let snaps = dir.path().join(".zfs/snapshot");
    assert!(tree(&snaps).is_empty(), "{:?}", tree(&snaps));

    // Once the socket is gone, the same name works.
    fs::remove_file(dir.path().join("zz.sock")).unwrap();
    snapshot(&fake, "s1").await.assert_status(201);
    assert!(snaps.join("s1/datafile.dbf").is_file());
}

#[tokio::test]
async fn failing_clone_copy_answers_500_and_creates_no_clone() {
    let (fake, _dir) = bound().await;
    let root = TempDir::new("taken");
    fake.bind_clone_root(root.path());
    fs::create_dir(root.path().join("c1")).unwrap();
    snapshot(&fake, "s1").await.assert_status(201);

    let r = call(
        &fake,
        Method::PUT,
        &format!("{FS}/snapshots/s1/clone"),
        Some(json!({"project": "restore", "share": "c1"})),
    )
    .await;
    let details = r.assert_fault(500, "ERR_INTERNAL");
    assert!(details.contains("c1"), "{details}");
    assert!(fake.filesystems("pool0", "restore").is_empty());
    assert_eq!(fake.numclones("pool0", "backup", "db1", "s1"), Some(0));
    // The pre-existing directory is left alone.
    assert!(root.path().join("c1").is_dir());
}

#[tokio::test]
async fn dot_names_are_rejected() {
    let (fake, dir) = bound().await;
    for name in [".", ".."] {
        snapshot(&fake, name)
            .await
            .assert_fault(400, "ERR_INVALID_ARG");
    }
    assert!(!dir.path().join(".zfs").exists());
}

#[tokio::test]
async fn deleting_a_bound_filesystem_removes_its_snapshot_copies_only() {
    let (fake, dir) = bound().await;
    snapshot(&fake, "s1").await.assert_status(201);
    let r = call(&fake, Method::DELETE, FS, None).await;
    r.assert_status(204);
    assert!(!dir.path().join(".zfs").exists());
    assert_eq!(
        tree(dir.path()),
        ["datafile.dbf", "link", "sub", "sub/ctl.ctl"]
    );
}

//! Tests of the `zfssa-fake` binary: startup line, seeding, and the two ways to stop it.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_zfssa-fake");

fn spawn(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "--user",
            "u",
            "--password",
            "p",
            "--pool",
            "pool0",
            "--project",
            "proj",
            "--filesystem",
            "fs1",
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let uri = line
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .trim_end()
        .to_owned();
    assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
    (child, uri)
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("zfssa-fake did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn list_snapshots(uri: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(format!(
            "{uri}/api/storage/v1/pools/pool0/projects/proj/filesystems/fs1/snapshots"
        ))
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn seeds_snapshots_and_stops_at_stdin_eof() {
    let (mut child, uri) = spawn(&["--snapshots", "3", "--port", "0", "--space-data", "12345"]);
    let v = list_snapshots(&uri).await;
    let snaps = v["snapshots"].as_array().unwrap();
    let names: Vec<&str> = snaps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["seed-0001", "seed-0002", "seed-0003"]);
    assert_eq!(snaps[0]["space_data"], 12345);
    let creation = |i: usize| {
        chrono::NaiveDateTime::parse_from_str(
            snaps[i]["creation"].as_str().unwrap(),
            "%Y%m%dT%H:%M:%S",
        )
        .unwrap()
        .and_utc()
    };
    // One a day, the newest now.
    assert_eq!((creation(2) - creation(1)).num_days(), 1);
    assert_eq!((creation(1) - creation(0)).num_days(), 1);
    assert!((chrono::Utc::now() - creation(2)).num_seconds().abs() < 120);

    drop(child.stdin.take());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn stops_on_sigterm_when_ignoring_stdin() {
    let (mut child, uri) = spawn(&["--ignore-stdin", "--delay-ms", "1"]);
    let v = list_snapshots(&uri).await;
    assert!(v["snapshots"].as_array().unwrap().is_empty());

    // Closing stdin does not stop it in this mode.
    drop(child.stdin.take());
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status}");
}

#[test]
fn bad_arguments_exit_2() {
    let out = Command::new(BIN)
        .args(["--user", "u"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--password is required"), "{stderr}");
    assert!(stderr.contains("usage:"), "{stderr}");
}

/// A fresh directory under the system temp dir, removed (write permission restored) on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("zfssa-bin-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn bind_and_clone_root_give_snapshots_and_clones_contents() {
    let tmp = TempDir::new("bind");
    let share = tmp.0.join("share");
    let other = tmp.0.join("other");
    let clones = tmp.0.join("clones");
    std::fs::create_dir(&share).unwrap();
    std::fs::create_dir(&other).unwrap();
    std::fs::write(share.join("f.dbf"), b"v1").unwrap();
    let bind = format!("pool0/proj/fs1={}", share.display());
    let bind2 = format!("pool0/proj2/fs2={}", other.display());
    let root = clones.display().to_string();
    let (mut child, uri) = spawn(&[
        "--bind",
        &bind,
        "--bind",
        &bind2,
        "--clone-root",
        &root,
        "--snapshots",
        "1",
    ]);
    // The seeded snapshot of the bound filesystem was copied.
    assert_eq!(
        std::fs::read(share.join(".zfs/snapshot/seed-0001/f.dbf")).unwrap(),
        b"v1"
    );

    let client = reqwest::Client::new();
    let base = format!("{uri}/api/storage/v1/pools/pool0/projects/proj/filesystems/fs1");
    std::fs::write(share.join("f.dbf"), b"v2").unwrap();
    let resp = client
        .post(format!("{base}/snapshots"))
        .basic_auth("u", Some("p"))
        .json(&serde_json::json!({"name": "s2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(
        std::fs::read(share.join(".zfs/snapshot/s2/f.dbf")).unwrap(),
        b"v2"
    );
    let resp = client
        .put(format!("{base}/snapshots/seed-0001/clone"))
        .basic_auth("u", Some("p"))
        .json(&serde_json::json!({"project": "proj", "share": "c1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(std::fs::read(clones.join("c1/f.dbf")).unwrap(), b"v1");

    // The second binding created its project and filesystem.
    let resp = client
        .get(format!(
            "{uri}/api/storage/v1/pools/pool0/projects/proj2/filesystems/fs2"
        ))
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    drop(child.stdin.take());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status}");
}

#[test]
fn bind_without_seed_filesystem_and_bad_bind_values() {
    let tmp = TempDir::new("badbind");
    // --bind alone (no --pool/--project/--filesystem) is enough.
    let mut child = Command::new(BIN)
        .args(["--user", "u", "--password", "p", "--bind"])
        .arg(format!("pool0/proj/fs1={}", tmp.0.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening http://"), "{line:?}");
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());

    let missing = tmp.0.join("missing");
    for bind in [
        "pool0/proj=/tmp".to_owned(),
        "pool0/proj/fs1".to_owned(),
        "pool0//fs1=/tmp".to_owned(),
        "pool0/proj/fs1=".to_owned(),
        format!("pool0/proj/fs1={}", missing.display()),
    ] {
        let out = Command::new(BIN)
            .args(["--user", "u", "--password", "p", "--bind", &bind])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bind}");
        assert!(out.stdout.is_empty(), "{bind}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--bind"), "{bind}: {stderr}");
    }

    let out = Command::new(BIN)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--bind POOL/PROJECT/FS=DIR"), "{stderr}");
    assert!(stderr.contains("--clone-root DIR"), "{stderr}");
}

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

//! `restore`, the real binary: a point-in-time restore driven by flags, and through its
//! prompts on a real terminal (`script` gives it a pty), as an unprivileged user against
//! oracle-sim on local reflink storage.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::sandbox::{as_user, user, Sandbox};
use common::{stderr, stdout};

const RESTORE: &str = env!("CARGO_BIN_EXE_restore");
const ZFSSNAPPER: &str = env!("CARGO_BIN_EXE_zfssnapper");

/// The snapshot a restore names: `Restored from snapshot: <id>`.
fn restored_from(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("Restored from snapshot: "))
        .unwrap_or_else(|| panic!("no snapshot line in {text}"))
        .trim()
        .to_string()
}

/// Snapshots of orcl, oldest first.
fn snapshots(s: &Sandbox) -> Vec<String> {
    let out = as_user(
        ZFSSNAPPER,
        &["--config", &s.path("backup.cfg"), "orcl", "list"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

#[test]
fn point_in_time_by_flags() {
    let s = Sandbox::new();
    let target = s.workload_and_backup();
    s.workload_and_backup();
    let snaps = snapshots(&s);
    assert_eq!(snaps.len(), 4);
    // The oldest snapshot taken at or after the target: the one of the run that recorded it.
    let out = as_user(
        RESTORE,
        &[
            "--target-time",
            &target,
            "--utc",
            "--sid",
            "RST1",
            "--yes",
            &s.path("backup.cfg"),
            "orcl",
        ],
        &[],
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(restored_from(&text), snaps[2], "{text}");
    assert!(
        text.contains("Database restore complete\nSID: RST1\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Requested target time: {target}")),
        "{text}"
    );
    assert!(text.contains("Verified restored database time: "), "{text}");
    // The instance is left up for the person, and the clean-up is spelled out.
    assert!(s.instance_running());
    assert!(
        text.contains("1. Shut down database instance RST1"),
        "{text}"
    );
    let drop_line = text
        .lines()
        .find_map(|l| l.strip_prefix("2. Drop clone: "))
        .unwrap_or_else(|| panic!("{text}"));
    let clone = drop_line.rsplit(' ').next().unwrap();
    assert!(clone.starts_with("restore_orcl_"), "{drop_line}");
    let out = as_user(
        ZFSSNAPPER,
        &[
            "--config",
            &s.path("backup.cfg"),
            "orcl",
            "dropclone",
            clone,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Bad flags are one line, exit 2; a time after the newest backup has no snapshot.
    let out = as_user(
        RESTORE,
        &["--sid", "TOOLONGSID", &s.path("backup.cfg"), "orcl"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("restore: --sid: \"TOOLONGSID\" is not an instance name"),
        "{}",
        stderr(&out)
    );
    let out = as_user(
        RESTORE,
        &[
            "--target-time",
            "2099-01-01 00:00:00",
            "--utc",
            "--sid",
            "X",
            "--yes",
            &s.path("backup.cfg"),
            "orcl",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no snapshot was taken at or after 2099-01-01 00:00:00 UTC"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn point_in_time_through_the_prompts_on_a_terminal() {
    let s = Sandbox::new();
    let target = s.workload_and_backup();
    // Declined: not an isolated host.
    let run = |answers: &str| {
        let mut child = Command::new("runuser")
            .args(["-u", user(), "--", "script", "-qec"])
            .arg(format!("{RESTORE} {} orcl", s.path("backup.cfg")))
            .arg("/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .current_dir("/")
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run("N\n");
    assert!(
        stdout(&out).contains(
            "Is this system isolated with no access to production database storage? (Y/N)"
        ),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("Exiting. Please execute this utility in an isolated environment."),
        "{}",
        stdout(&out)
    );
    assert!(!s.instance_running());

    // Isolated, a bad time then the target (UTC), the SID, confirmed.
    let out = run(&format!("Y\nyesterday\n{target}\nY\nRST2\nY\n"));
    let text = stdout(&out);
    assert!(
        text.contains("Not a time of the form 2026-11-21 10:15:00."),
        "{text}"
    );
    assert!(
        text.contains("Was the timestamp in UTC (answer N for local time)? (Y/N)"),
        "{text}"
    );
    assert!(text.contains("Target instance SID: RST2"), "{text}");
    assert!(
        text.contains(&format!("Restore target time UTC: {target}")),
        "{text}"
    );
    assert!(text.contains("Database restore complete"), "{text}");
    assert!(s.instance_running());
}

//! `autorestore`, the real binary, as a DBA runs it on a sandbox host: as an unprivileged
//! user (the harness creates one; the program refuses root), against oracle-sim backed up
//! by the real `backup` onto local reflink storage, with a SQLite catalog.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::sandbox::{as_user, Sandbox, AUTORESTORE, SANDBOX};
use common::{stderr, stdout};

#[test]
fn refuses_root_and_an_unconfirmed_sandbox() {
    let out = Command::new(AUTORESTORE)
        .args(["/nonexistent/backup.cfg"])
        .env(SANDBOX, "TRUE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("autorestore: refusing to run as root"),
        "{}",
        stderr(&out)
    );

    let out = as_user(
        AUTORESTORE,
        &["/nonexistent/backup.cfg"],
        &[(SANDBOX, "true")],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("TO CONTINUE, SET ENVIRONMENT VARIABLE AUTORESTORE_SAFE_SANDBOX TO VALUE TRUE (CASE SENSITIVE)."),
        "{}",
        stdout(&out)
    );
}

#[test]
fn restore_tests_recorded_and_checked() {
    let s = Sandbox::new();
    // No catalog yet: --check is UNKNOWN, and says what to do.
    let out = s.autorestore(&["--check"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("--createcatalog"), "{}", stdout(&out));

    let out = s.autorestore(&["--createcatalog"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("schema version 1 created"),
        "{}",
        stdout(&out)
    );
    // Nothing tested yet: CRITICAL.
    let out = s.autorestore(&["--check"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("CRITICAL: orcl: no restore test in 30 days"),
        "{}",
        stdout(&out)
    );

    let out = s.autorestore(&["--listvalidationdates"], &[]);
    assert!(out.status.success());
    let line = stdout(&out);
    assert!(
        line.starts_with("orcl: 20") && line.contains(" days)"),
        "{line}"
    );

    // The restore test.
    let out = s.autorestore(&["orcl"], &[(SANDBOX, "TRUE")]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Database: orcl SUCCESS"), "{text}");
    let log: PathBuf = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("Log file for this session: "))
        .unwrap()
        .into();
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("open read only and verify the time reached"),
        "{log_text}"
    );
    assert!(
        log_text.contains("Result recorded in catalog sqlite:"),
        "{log_text}"
    );
    let out = s.autorestore(&["--check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("OK: 1 database(s) restored within 2 days"),
        "{}",
        stdout(&out)
    );

    // A failing recovery: exit 1, the step named, recorded as failed, --check CRITICAL.
    let out = s.autorestore(
        &[],
        &[
            (SANDBOX, "TRUE"),
            ("ORACLE_SIM_FAIL", "rman:recoverdatabase"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("Database: orcl FAILED"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("autorestore: orcl: step 'recover until the target time' failed: rman recoverdatafiles failed"),
        "{}",
        stderr(&out)
    );
    let out = s.autorestore(&["--check"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("orcl: last restore test failed"),
        "{}",
        stdout(&out)
    );
}

/// `autorestoresteptimeout`: a restore step that hangs is killed, the test fails naming the
/// step, and the clean-up still runs (no instance, no clone left).
#[test]
fn a_hung_step_is_killed_and_cleaned_up() {
    let s = Sandbox::new();
    let cfg = s.base().join("backup.cfg");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "[autorestore]\n",
            "[autorestore]\nautorestoresteptimeout: 3s\n",
        ),
    )
    .unwrap();
    let out = s.autorestore(&["--createcatalog"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let started = std::time::Instant::now();
    let out = s.autorestore(
        &[],
        &[
            (SANDBOX, "TRUE"),
            ("ORACLE_SIM_HANG", "rman:recoverdatabase"),
        ],
    );
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(
            "step 'recover until the target time' failed: rman recoverdatafiles timed out after 3s and was killed"
        ),
        "{}",
        stderr(&out)
    );
    // The simulator would have slept ten minutes.
    assert!(took < std::time::Duration::from_secs(120), "{took:?}");
    assert!(
        !s.instance_running(),
        "the restore instance was left running: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        std::fs::read_dir(s.base().join("clones"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "a clone was left behind"
    );
    let out = s.autorestore(&["--check"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
}

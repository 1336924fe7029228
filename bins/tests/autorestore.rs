//! `autorestore`, the real binary, as a DBA runs it on a sandbox host: as an unprivileged
//! user (the harness creates one; the program refuses root), against oracle-sim backed up
//! by the real `backup` onto local reflink storage, with a SQLite catalog.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{oracle_sim, stderr, stdout};

const USER: &str = "artest";
const AUTORESTORE: &str = env!("CARGO_BIN_EXE_autorestore");
const BACKUP: &str = env!("CARGO_BIN_EXE_backup");

/// The unprivileged user the programs run as (created when missing). Needs root.
fn user() -> &'static str {
    assert!(
        rustix::process::geteuid().is_root(),
        "these tests create and switch to the user {USER}: they need root (as .ci/run has)"
    );
    let exists = Command::new("id")
        .arg(USER)
        .output()
        .unwrap()
        .status
        .success();
    if !exists {
        let out = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/bin/sh", USER])
            .output()
            .unwrap();
        // Another test may have created it meanwhile.
        let again = Command::new("id")
            .arg(USER)
            .output()
            .unwrap()
            .status
            .success();
        assert!(again, "useradd {USER} failed: {}", stderr(&out));
    }
    USER
}

/// `runuser -u artest -- <exe> <args>` with a clean environment for the tools.
fn as_user(exe: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", user(), "--", exe])
        .args(args)
        .env_remove("ORACLE_SIM_FAIL")
        .env_remove("BACKUP_LOG_TO_SCREEN")
        .env_remove(SANDBOX)
        .current_dir("/");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const SANDBOX: &str = "AUTORESTORE_SAFE_SANDBOX";

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A database backed up twice, everything owned by the test user.
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let s = Sandbox { dir };
        let status = Command::new("chown")
            .arg(format!("{}:", user()))
            .arg(s.base())
            .status()
            .unwrap();
        assert!(status.success());
        let sim = oracle_sim().display().to_string();
        let out = as_user(
            &sim,
            &[
                "init",
                "--root",
                &s.path("sim"),
                "--db",
                "orcl",
                "--dbid",
                "1433672784",
                "--datafiles",
                "4",
                "--size-mib",
                "1",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        for d in ["backup/orcl", "restore/dest", "restore/log"] {
            let out = as_user("/bin/mkdir", &["-p", &s.path(d)], &[]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let cfg = format!(
            "[generic]\nbackupdest: {b}/backup\nstorage: reflink\nlogretention: 30\nmaxlockwait: 5\n\
             [rman]\nsectionsize:\n\
             [autorestore]\nautorestoredestination: {b}/restore/dest\nautorestorelogdir: {b}/restore/log\n\
             autorestorecatalog: sqlite:catalog.db\nautorestoremodulus: 7\n\
             [orcl]\ndbid: 1433672784\nrecoverywindow: 2\nparallel: 2\nsnapexpirationdays: 7\n\
             gimanaged: false\ngenericoraclehome: {b}/sim/oracle_home\ngenerictnsadmin: {b}/sim/tns\n",
            b = s.base().display()
        );
        std::fs::write(s.base().join("backup.cfg"), cfg).unwrap();
        let _ = Command::new("chown")
            .arg(format!("{}:", user()))
            .arg(s.base().join("backup.cfg"))
            .status();
        s.backup("config");
        s.backup("imagecopywithsnap");
        let out = as_user(
            &sim,
            &["workload", "--root", &s.path("sim"), "--blocks", "20"],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        s.backup("imagecopywithsnap");
        s
    }

    fn base(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, rel: &str) -> String {
        self.base().join(rel).display().to_string()
    }

    fn backup(&self, action: &str) {
        let out = as_user(
            BACKUP,
            &["--config", &self.path("backup.cfg"), "orcl", action],
            &[],
        );
        assert!(
            out.status.success(),
            "backup {action}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }

    fn autorestore(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let cfg = self.path("backup.cfg");
        let mut all = vec![cfg.as_str()];
        all.extend_from_slice(args);
        as_user(AUTORESTORE, &all, env)
    }
}

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

//! A sandbox host for `autorestore` and `restore`: an unprivileged user (created when
//! missing; the programs refuse root), a database simulated by oracle-sim and backed up by
//! the real `backup` onto local reflink storage, a SQLite catalog. Needs root to set up.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use super::{oracle_sim, stderr, stdout};

pub const USER: &str = "artest";
pub const AUTORESTORE: &str = env!("CARGO_BIN_EXE_autorestore");
pub const BACKUP: &str = env!("CARGO_BIN_EXE_backup");

/// The unprivileged user the programs run as (created when missing). Needs root.
pub fn user() -> &'static str {
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
pub fn as_user(exe: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
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

pub const SANDBOX: &str = "AUTORESTORE_SAFE_SANDBOX";

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// A database backed up twice, everything owned by the test user.
    pub fn new() -> Sandbox {
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
        s.workload_and_backup();
        s
    }

    /// Simulated workload, the clock moved on a minute, then `imagecopywithsnap`; returns
    /// the run's recorded recovery point (database time).
    pub fn workload_and_backup(&self) -> String {
        let sim = oracle_sim().display().to_string();
        let out = as_user(
            &sim,
            &["workload", "--root", &self.path("sim"), "--blocks", "20"],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let out = as_user(
            BACKUP,
            &[
                "--config",
                &self.path("backup.cfg"),
                "orcl",
                "imagecopywithsnap",
            ],
            &[],
        );
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        stdout(&out)
            .lines()
            .find_map(|l| l.split("Recovery point: SCN ").nth(1))
            .and_then(|v| v.split_once(" at "))
            .map(|(_, t)| t.trim().to_string())
            .unwrap()
    }

    /// Whether the simulated database has a (restore) instance running.
    pub fn instance_running(&self) -> bool {
        let state: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.base().join("sim/simdb/state.json")).unwrap(),
        )
        .unwrap();
        assert!(
            state.as_object().unwrap().contains_key("instance"),
            "{state}"
        );
        !state["instance"].is_null()
    }

    pub fn base(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> String {
        self.base().join(rel).display().to_string()
    }

    pub fn backup(&self, action: &str) {
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

    pub fn autorestore(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let cfg = self.path("backup.cfg");
        let mut all = vec![cfg.as_str()];
        all.extend_from_slice(args);
        as_user(AUTORESTORE, &all, env)
    }
}

//! A world for restore tests: a database simulated by oracle-sim, backed up by the real
//! `backup` program onto the local reflink storage (the machine's own filesystem), and the
//! settings of a restore test of it. The programs are built by cargo on first use, in this
//! build's target directory.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use autorestore::flow::{Mounter, RestoreReport, RestoreSettings, RestoreTest};
use backupcore::snap::SnapHandler;
use rman::runner::{OracleEnv, ProcessRunner};
use rman::template::TemplateSet;
use snapper_local::{LocalConfig, LocalKind, LocalSnapper};

pub const DBID: &str = "1433672784";

/// Variables cargo sets for the test process that, passed on to a nested cargo, would make
/// it rebuild crates whose build scripts watch them.
fn set_by_cargo(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "CARGO_TARGET_TMPDIR"
        )
}

/// `target/<profile>/<name>`, built (`backup` and `autorestore` of bins, `oracle-sim`) once per
/// test process.
pub fn exe(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "-q",
            "-p",
            "bins",
            "--bin",
            "backup",
            "--bin",
            "autorestore",
            "-p",
            "oracle-sim",
            "--bin",
            "oracle-sim",
        ]);
        for (k, _) in std::env::vars_os() {
            if set_by_cargo(&k.to_string_lossy()) {
                cmd.env_remove(k);
            }
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "building backup and oracle-sim failed");
        // target/debug/deps/<test> -> target/debug
        let me = std::env::current_exe().unwrap();
        me.parent().unwrap().parent().unwrap().to_path_buf()
    });
    let p = dir.join(name);
    assert!(p.exists(), "{} not built", p.display());
    p
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub db: String,
}

impl World {
    /// Database `db` (4 datafiles of 1 MiB), its backup area on reflink storage, restore
    /// directories.
    pub fn new(db: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let w = World {
            dir,
            db: db.to_string(),
        };
        let out = Command::new(exe("oracle-sim"))
            .args(["init", "--root"])
            .arg(w.sim())
            .args([
                "--db",
                db,
                "--dbid",
                DBID,
                "--datafiles",
                "4",
                "--size-mib",
                "1",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::create_dir_all(w.area()).unwrap();
        std::fs::create_dir_all(w.destination()).unwrap();
        std::fs::create_dir_all(w.logdir()).unwrap();
        let cfg = format!(
            "[generic]\nbackupdest: {}\nstorage: reflink\nosuser: oracle\nlogretention: 30\nmaxlockwait: 5\n\
             [rman]\nsectionsize:\n\
             [autorestore]\nautorestoredestination: {}\nautorestorelogdir: {}\nautorestorecatalog: sqlite:{}\n\
             [{db}]\ndbid: {DBID}\nrecoverywindow: 2\nparallel: 2\nsnapexpirationdays: 7\nsnapexpirationmonths: 0\n\
             gimanaged: false\ngenericoraclehome: {}\ngenerictnsadmin: {}\n",
            w.backupdest().display(),
            w.destination().display(),
            w.logdir().display(),
            w.base().join("catalog.db").display(),
            w.oracle_home().display(),
            w.tns().display(),
        );
        std::fs::write(w.config(), cfg).unwrap();
        w
    }

    pub fn base(&self) -> &Path {
        self.dir.path()
    }
    pub fn sim(&self) -> PathBuf {
        self.base().join("sim")
    }
    pub fn oracle_home(&self) -> PathBuf {
        self.sim().join("oracle_home")
    }
    pub fn tns(&self) -> PathBuf {
        self.sim().join("tns")
    }
    pub fn backupdest(&self) -> PathBuf {
        self.base().join("backup")
    }
    pub fn area(&self) -> PathBuf {
        self.backupdest().join(&self.db)
    }
    pub fn destination(&self) -> PathBuf {
        self.base().join("restore/dest")
    }
    pub fn logdir(&self) -> PathBuf {
        self.base().join("restore/log")
    }
    pub fn config(&self) -> PathBuf {
        self.base().join("backup.cfg")
    }

    /// `backup --config <cfg> <db> <action>`, which must succeed.
    pub fn backup(&self, action: &str) -> String {
        let out = Command::new(exe("backup"))
            .arg("--config")
            .arg(self.config())
            .args([self.db.as_str(), action])
            .env_remove("ORACLE_SIM_FAIL")
            .env_remove("BACKUP_LOG_TO_SCREEN")
            .output()
            .unwrap();
        let text = text(&out);
        assert!(out.status.success(), "backup {action}: {text}");
        text
    }

    /// `oracle-sim <cmd> --root <sim> <args>`, which must succeed.
    pub fn admin(&self, cmd: &str, args: &[&str]) -> String {
        let out = Command::new(exe("oracle-sim"))
            .arg(cmd)
            .arg("--root")
            .arg(self.sim())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "oracle-sim {cmd}: {}", text(&out));
        text(&out)
    }

    /// `config`, then `cycles` runs of `imagecopywithsnap` with a workload before each but
    /// the first; returns the recovery point (time) each run recorded.
    pub fn backed_up(&self, cycles: u32) -> Vec<String> {
        self.backup("config");
        let mut points = Vec::new();
        for run in 0..cycles {
            if run > 0 {
                self.admin("workload", &["--blocks", "30", "--seed", &run.to_string()]);
                // The simulated clock moves on, so each recovery point is a later time.
                self.admin("set-clock", &["--offset-secs", &(run * 120).to_string()]);
            }
            let out = self.backup("imagecopywithsnap");
            let point = out
                .lines()
                .find_map(|l| l.split("Recovery point: SCN ").nth(1))
                .and_then(|v| v.split_once(" at "))
                .map(|(_, t)| t.trim().to_string())
                .unwrap_or_else(|| panic!("no recovery point in {out}"));
            points.push(point);
        }
        points
    }

    /// The storage of the database.
    pub fn storage(&self) -> LocalSnapper {
        LocalSnapper::new(LocalConfig::new(
            LocalKind::Reflink,
            &self.db,
            &self.backupdest(),
        ))
    }

    /// The Oracle tools of the sandbox, with the restore instance's SID.
    pub fn runner(&self) -> ProcessRunner {
        ProcessRunner::new(
            OracleEnv::new(self.oracle_home())
                .with_tns_admin(self.tns())
                .with_sid(self.db.clone()),
        )
    }

    /// Runs a restore test (or point-in-time restore) with the world's Oracle tools.
    pub async fn restore(
        &self,
        storage: &dyn SnapHandler,
        settings: RestoreSettings,
        templates: TemplateSet,
        mounter: &dyn Mounter,
    ) -> RestoreReport {
        let runner = self.runner();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        RestoreTest {
            settings,
            storage,
            runner: &runner,
            templates,
            mounter,
            cancel: &cancel,
        }
        .run()
        .await
    }

    /// Restore-test settings for the database.
    pub fn settings(&self, validate: bool) -> RestoreSettings {
        RestoreSettings {
            mode: autorestore::flow::Mode::Test,
            database: self.db.clone(),
            dbid: DBID.parse().unwrap(),
            destination: self.destination(),
            mountpoint: None,
            clonename: "autorestore".to_string(),
            snapage: Duration::ZERO,
            logdir: self.logdir(),
            logfile: self.logdir().join(format!("restore-{}.log", self.db)),
            maxtolerance: Duration::from_secs(300),
            customverifydate: "select max(time_dp) from sys.smon_scn_time".to_string(),
            thread: 1,
            instance_number: 1,
            sga_size: None,
            pga_size: None,
            validate,
        }
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

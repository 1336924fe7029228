//! A world for the `backup` and `exec_all` tests: simulated databases (oracle-sim), the
//! stateful fake ZFS Storage Appliance whose filesystems are bound to the backup areas (so
//! snapshots hold real copies under `.zfs/snapshot/<name>`), and a `backup.cfg`.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use storage_fakes::zfssa::ZfssaFake;

pub mod sandbox;

pub const USER: &str = "backupadmin";
pub const PASSWORD: &str = "Zfs-S3cret-pw";
pub const POOL: &str = "pool1";
pub const PROJECT: &str = "dbbackup";
pub const DBID: &str = "1433672784";

/// The oracle-sim binary of this build (built on demand, in the same target directory).
pub fn oracle_sim() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_backup"))
            .parent()
            .unwrap()
            .to_path_buf();
        let exe = bin_dir.join("oracle-sim");
        // Always ask cargo (a no-op when up to date): a stale simulator from an earlier
        // build would test yesterday's Oracle.
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "oracle-sim", "--bin", "oracle-sim"])
            .status()
            .unwrap();
        assert!(status.success(), "building oracle-sim failed");
        assert!(exe.exists(), "oracle-sim not found at {}", exe.display());
        exe
    })
}

/// One simulated database.
pub struct Db {
    pub name: String,
    pub root: PathBuf,
}

impl Db {
    /// The database's section of `backup.cfg` (7 days of snapshots), plus `lines`.
    pub fn section(&self, lines: &str) -> String {
        format!(
            "[{}]\ndbid: {DBID}\nrecoverywindow: 2\nparallel: 4\nsnapexpirationdays: 7\nsnapexpirationmonths: 0\n\
             gimanaged: true\ngenericoraclehome: {}\ngenerictnsadmin: {}\n{lines}\n",
            self.name,
            self.oracle_home().display(),
            self.tns().display()
        )
    }

    /// `oracle-sim init`: database `name` (4 datafiles of 1 MiB) under `root`.
    pub fn init(root: &Path, name: &str) -> Db {
        let out = Command::new(oracle_sim())
            .args(["init", "--root"])
            .arg(root)
            .args([
                "--db",
                name,
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
        Db {
            name: name.to_string(),
            root: root.to_path_buf(),
        }
    }

    pub fn oracle_home(&self) -> PathBuf {
        self.root.join("oracle_home")
    }

    pub fn tns(&self) -> PathBuf {
        self.root.join("tns")
    }

    /// `oracle-sim <cmd> --root <root> args`.
    pub fn admin(&self, cmd: &str, args: &[&str]) -> String {
        let out = Command::new(oracle_sim())
            .arg(cmd)
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "oracle-sim {cmd} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

pub struct World {
    pub fake: ZfssaFake,
    pub dir: tempfile::TempDir,
    pub dbs: Vec<Db>,
}

impl World {
    /// Databases `names` (4 datafiles of 1 MiB each), each with its own ORACLE_HOME, its
    /// filesystem on the fake appliance bound to its backup area; `db_lines` are added to
    /// every database section.
    pub async fn new(names: &[&str], db_lines: &str) -> World {
        let fake = ZfssaFake::start(USER, PASSWORD).await;
        fake.add_project(POOL, PROJECT);
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let mut cfg = format!(
            "[generic]\nbackupdest: {}/backup\nstorage: zfssa\nosuser: oracle\nlogretention: 30\nmaxlockwait: 5\n\
             [zfssa]\nurl: {}\npool: {POOL}\nproject: {PROJECT}\n[rman]\nsectionsize:\n",
            base.display(),
            fake.uri()
        );
        let mut dbs = Vec::new();
        for name in names {
            let db = Db::init(&base.join("sim").join(name), name);
            let area = base.join("backup").join(name);
            std::fs::create_dir_all(&area).unwrap();
            fake.add_filesystem(POOL, PROJECT, name);
            fake.bind_directory(POOL, PROJECT, name, &area);
            cfg.push_str(&db.section(db_lines));
            dbs.push(db);
        }
        std::fs::write(base.join("backup.cfg"), cfg).unwrap();
        World { fake, dir, dbs }
    }

    pub fn base(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.base().join("backup.cfg")
    }

    pub fn db(&self, name: &str) -> &Db {
        self.dbs.iter().find(|d| d.name == name).unwrap()
    }

    pub fn area(&self, db: &str) -> PathBuf {
        self.base().join("backup").join(db)
    }

    /// Appends lines to the configuration file.
    pub fn append_config(&self, text: &str) {
        let mut cfg = std::fs::read_to_string(self.config()).unwrap();
        cfg.push_str(text);
        std::fs::write(self.config(), cfg).unwrap();
    }

    /// A command for one of our binaries with the world's configuration and credentials.
    pub fn command(&self, exe: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(exe);
        cmd.arg("--config")
            .arg(self.config())
            .env("ZFSSA_USER", USER)
            .env("ZFSSA_PASSWORD", PASSWORD)
            .env_remove("ORACLE_SIM_FAIL")
            .env_remove("BACKUP_LOG_TO_SCREEN")
            .env_remove("OSPASSWORD")
            .current_dir(self.base());
        cmd
    }

    /// `backup <args>` with extra environment; the password never shows in the output.
    pub async fn backup(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(env!("CARGO_BIN_EXE_backup"));
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.unwrap();
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(PASSWORD), "storage password leaked: {all}");
        out
    }

    /// The run logs of database `db`, oldest first.
    pub fn logs(&self, db: &str) -> Vec<PathBuf> {
        let dir = self.area(db).join("backup_logs");
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The log of the run whose stdout is `out` (its first line names it).
    pub fn log_of(&self, out: &Output) -> String {
        let text = stdout(out);
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("Log file for this session: "))
            .unwrap_or_else(|| panic!("no log file line in {text}"));
        std::fs::read_to_string(path).unwrap()
    }

    /// Snapshot names of database `db` on the fake appliance.
    pub fn snapshots(&self, db: &str) -> Vec<String> {
        let mut v = self.fake.snapshots(POOL, PROJECT, db);
        v.sort();
        v
    }

    pub fn snapshot_dir(&self, db: &str, snap: &str) -> PathBuf {
        self.fake.snapshot_dir(POOL, PROJECT, db, snap).unwrap()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The value after `prefix` on the first line of `text` containing it.
pub fn value_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.find(prefix).map(|i| l[i + prefix.len()..].trim()))
}

/// Checkpoint SCNs of the image copies in `dir` (file name -> SCN), read from the copies'
/// datafile headers.
pub fn copy_checkpoints(dir: &Path) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("data_D-") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        match datafile::identify(&bytes, &datafile::Overrides::default()) {
            datafile::FileKind::Datafile(h) => out.insert(name, h.checkpoint_scn),
            other => panic!("{name}: {other:?}"),
        };
    }
    out
}

//! `backup`, `zfssnapper` and `zvolume`, the real binaries, against oracle-sim with the
//! local storage backends on real filesystems: `reflink` on a loop-mounted XFS with reflink,
//! `btrfs` on a loop-mounted btrfs. RMAN's merges rewrite the live copies in place; every
//! snapshot must still hold the copies as they were before its run's merge.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use backupcore::restoreparams::RestoreParams;
use common::{copy_checkpoints, stderr, stdout, value_after, Db};
use storage_fakes::loopfs::{Fs, Scratch};

struct LocalWorld {
    fs: Scratch,
    dest: PathBuf,
    db: Db,
    sim: tempfile::TempDir,
}

impl LocalWorld {
    fn new(fs: Fs, storage: &str) -> LocalWorld {
        let fs = Scratch::new(fs, 1024);
        let dest = fs.backupdest();
        let sim = tempfile::tempdir().unwrap();
        let db = Db::init(&sim.path().join("orcl"), "orcl");
        let cfg = format!(
            "[generic]\nbackupdest: {}\nstorage: {storage}\nosuser: oracle\nlogretention: 30\nmaxlockwait: 5\n\
             [rman]\nsectionsize:\n{}",
            dest.display(),
            db.section("gimanaged: false")
        );
        std::fs::write(sim.path().join("backup.cfg"), cfg).unwrap();
        LocalWorld { fs, dest, db, sim }
    }

    fn run(&self, exe: &str, args: &[&str]) -> Output {
        Command::new(exe)
            .arg("--config")
            .arg(self.sim.path().join("backup.cfg"))
            .args(args)
            .env_remove("ORACLE_SIM_FAIL")
            .env_remove("BACKUP_LOG_TO_SCREEN")
            .current_dir(self.sim.path())
            .output()
            .unwrap()
    }

    fn ok(&self, exe: &str, args: &[&str]) -> String {
        let out = self.run(exe, args);
        assert!(
            out.status.success(),
            "{exe} {args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    fn area(&self) -> PathBuf {
        self.dest.join("orcl")
    }

    fn snapshot_dir(&self, name: &str) -> PathBuf {
        self.dest.join(".snapshots/orcl").join(name)
    }
}

const BACKUP: &str = env!("CARGO_BIN_EXE_backup");
const ZFSSNAPPER: &str = env!("CARGO_BIN_EXE_zfssnapper");
const ZVOLUME: &str = env!("CARGO_BIN_EXE_zvolume");

fn cycle(w: &LocalWorld) {
    // A new database's backup filesystem: a directory (reflink) or a subvolume (btrfs).
    let text = w.ok(ZVOLUME, &["orcl", "create"]);
    assert!(text.contains("Filesystem created: orcl"), "{text}");
    assert!(
        text.contains(&format!("Mount point: {}", w.area().display())),
        "{text}"
    );
    w.ok(BACKUP, &["orcl", "config"]);

    let mut snaps = Vec::new();
    for run in 0..3 {
        if run > 0 {
            w.db.admin("workload", &["--blocks", "40", "--seed", &run.to_string()]);
        }
        let before = copy_checkpoints(&w.area());
        let text = w.ok(BACKUP, &["orcl", "imagecopywithsnap"]);
        assert!(text.contains("Result: SUCCESS"), "{text}");
        let snap = value_after(&text, "Snapshot created: ")
            .unwrap()
            .to_string();
        let (scn, time) = value_after(&text, "Recovery point: SCN ")
            .unwrap()
            .split_once(" at ")
            .map(|(a, b)| (a.parse::<u64>().unwrap(), b.to_string()))
            .unwrap();
        let after = copy_checkpoints(&w.area());
        assert_eq!(after.len(), 4);
        assert!(after.values().all(|s| *s > scn), "copies not merged");
        // The merge rewrote the live copies in place; the snapshot did not move.
        let sdir = w.snapshot_dir(&snap);
        assert_eq!(copy_checkpoints(&sdir), before, "run {run}: {snap}");
        let params = RestoreParams::read(&sdir.join("autorestore.cfg"))
            .unwrap()
            .unwrap();
        let rp = params.recovery_point().unwrap();
        assert_eq!((rp.scn, rp.time.clone()), (scn, time));
        snaps.push(snap);
    }
    // Earlier snapshots are still what they were after later merges.
    let second = copy_checkpoints(&w.snapshot_dir(&snaps[1]));
    assert!(!second.is_empty());
    assert_ne!(second, copy_checkpoints(&w.area()));

    let list = w.ok(ZFSSNAPPER, &["orcl", "list"]);
    assert_eq!(list.lines().count(), 3, "{list}");
    for (line, snap) in list.lines().zip(&snaps) {
        assert!(line.starts_with(&format!("{snap} [")), "{list}");
        assert!(line.ends_with(" clones=0"), "{list}");
    }
    // Block-level verification of a snapshot, through the backend's own path.
    let out = w.run(BACKUP, &["orcl", "verify", "--snapshot", &snaps[0]]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // A clone is a local directory holding autorestore.cfg: nothing to mount.
    let text = w.ok(ZFSSNAPPER, &["orcl", "clone", &snaps[1]]);
    assert!(
        text.contains("Local storage: the clone is the directory above, nothing to mount."),
        "{text}"
    );
    assert!(!text.contains("mount -t nfs"), "{text}");
    let clone = value_after(&text, "Clone name: ").unwrap().to_string();
    let dir = PathBuf::from(value_after(&text, "Mount point: ").unwrap());
    assert!(dir.join("autorestore.cfg").is_file());
    assert_eq!(copy_checkpoints(&dir), second);
    let clones = w.ok(ZFSSNAPPER, &["orcl", "listclones"]);
    assert!(
        clones.starts_with(&format!("{clone} [{}]", snaps[1])),
        "{clones}"
    );
    w.ok(ZFSSNAPPER, &["orcl", "dropclone", &clone]);
    assert!(!dir.exists());
    let out = w.run(ZFSSNAPPER, &["orcl", "checkage"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn reflink_backend_on_xfs() {
    let w = LocalWorld::new(Fs::Xfs, "reflink");
    cycle(&w);
    // Every snapshot was made of reflink clones, not copies.
    for e in std::fs::read_dir(w.dest.join(".snapshots/orcl")).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".snapshot.json") {
            let rec: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            assert_eq!(rec["reflinked"], true, "{}", p.display());
        }
    }
    assert!(w.fs.used_bytes() > 0);
}

#[test]
fn btrfs_backend_on_btrfs() {
    let w = LocalWorld::new(Fs::Btrfs, "btrfs");
    cycle(&w);
    let show = Command::new("btrfs")
        .args(["subvolume", "show"])
        .arg(w.area())
        .output()
        .unwrap();
    assert!(show.status.success(), "the area is not a subvolume");
}

#[test]
fn a_missing_area_is_not_created_by_backup() {
    let w = LocalWorld::new(Fs::Plain, "reflink");
    let out = w.run(BACKUP, &["orcl", "imagecopywithsnap"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("does not exist (is the backup filesystem mounted?")
            && stderr(&out).contains("zvolume orcl create"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&w.area()).exists());
}

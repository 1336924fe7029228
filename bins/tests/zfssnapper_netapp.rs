//! `zfssnapper` and `backup verify --snapshot`, the real binaries, with `storage: netapp`
//! against the stateful ONTAP fake: every action works unchanged, the two-year retention
//! table is carried out exactly by `clean`, and the password never shows.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::Output;

use backupcore::snap::conformance::two_year_retention_table;
use storage_fakes::netapp::NetappFake;

const USER: &str = "ontapadmin";
const PASSWORD: &str = "Ontap-S3cret-pw";
const SVM: &str = "svm_backup";

struct World {
    fake: NetappFake,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let fake = NetappFake::start(USER, PASSWORD).await;
        fake.add_svm(SVM);
        fake.add_volume(SVM, "oc1_orcl", Some("/oc1_orcl"));
        let dir = tempfile::tempdir().unwrap();
        let cfg = format!(
            "[generic]\nbackupdest: {}/backup\nsnappermodule: netapp\nsnapperclass: Netapp\nwarningsnapage: 26\ncriticalsnapage: 32\n\
             [netapp]\nfiler: {}\nsvm: {SVM}\nvolumeprefix: oc1_\nmounthost: nfs01\njobtimeout: 10\n\
             [autorestore]\nautorestoreclonename: autorestore_orcl\n\
             [orcl]\ndbid: 1433672784\nrecoverywindow: 2\nparallel: 4\nsnapexpirationdays: 31\nsnapexpirationmonths: 6\n",
            dir.path().display(),
            fake.uri()
        );
        std::fs::write(dir.path().join("backup.cfg"), cfg).unwrap();
        World { fake, dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("backup.cfg")
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_zfssnapper"));
        cmd.args(args)
            .env("BACKUPCONFIG", self.config())
            .env("NETAPP_USER", USER)
            .env("NETAPP_PASSWORD", PASSWORD)
            .current_dir(self.dir.path());
        let out = cmd.output().await.unwrap();
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(PASSWORD), "password leaked: {all}");
        out
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn every_action_with_storage_netapp() {
    let w = World::new().await;
    let out = w.run(&["orcl", "create"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let snap = stdout(&out)
        .trim()
        .strip_prefix("Snapshot created: ")
        .unwrap()
        .to_string();
    assert_eq!(w.fake.snapshot_names(SVM, "oc1_orcl"), vec![snap.clone()]);

    let out = w.run(&["orcl", "list"]).await;
    assert!(
        stdout(&out).starts_with(&format!("{snap} [")) && stdout(&out).contains(" clones=0"),
        "{}",
        stdout(&out)
    );

    let out = w.run(&["orcl", "clone", &snap]).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let clone = text
        .lines()
        .find_map(|l| l.strip_prefix("Clone name: "))
        .unwrap()
        .to_string();
    assert!(
        clone.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "{clone}"
    );
    assert!(text.contains(&format!("mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 nfs01:/{clone} <mount_directory_here>")), "{text}");
    let out = w.run(&["orcl", "listclones"]).await;
    assert_eq!(
        stdout(&out).trim(),
        format!("{clone} [{snap}] [mount point: /{clone}]")
    );
    let out = w.run(&["orcl", "list"]).await;
    assert!(stdout(&out).contains(" clones=1"), "{}", stdout(&out));
    let out = w.run(&["orcl", "dropclone", "oc1_orcl"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("refusing to drop oc1_orcl"),
        "{}",
        stderr(&out)
    );
    let out = w.run(&["orcl", "dropclone", &clone]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(w.fake.volume(SVM, &clone).is_none());

    let out = w.run(&["orcl", "autoclone"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Clone name: autorestore_orcl"),
        "{}",
        stdout(&out)
    );
    let out = w.run(&["orcl", "dropclone", "autorestore_orcl"]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    let out = w.run(&["orcl", "checkage"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("OK: The latest snapshot age "));
}

#[tokio::test]
async fn the_two_year_table_through_clean() {
    let w = World::new().await;
    let table = two_year_retention_table("orcl");
    for s in &table.snapshots {
        w.fake
            .add_snapshot(SVM, "oc1_orcl", &s.id, s.created.fixed_offset());
    }
    let at = table.now.to_rfc3339();
    let out = w.run(&["orcl", "clean", "--dry-run", "--at", &at]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.ends_with(" would drop"))
            .count(),
        695
    );
    assert_eq!(w.fake.snapshot_names(SVM, "oc1_orcl").len(), 730);
}

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backup_cycle_with_storage_netapp() {
    let fake = NetappFake::start(USER, PASSWORD).await;
    fake.add_svm(SVM);
    fake.add_volume(SVM, "oc1_orcl", Some("/oc1_orcl"));
    let dir = tempfile::tempdir().unwrap();
    let db = common::Db::init(&dir.path().join("sim"), "orcl");
    std::fs::create_dir_all(dir.path().join("backup/orcl")).unwrap();
    let cfg = format!(
        "[generic]\nbackupdest: {}/backup\nstorage: netapp\nlogretention: 30\nmaxlockwait: 5\n\
         [netapp]\nfiler: {}\nsvm: {SVM}\nvolumeprefix: oc1_\n[rman]\nsectionsize:\n{}",
        dir.path().display(),
        fake.uri(),
        db.section("gimanaged: false")
    );
    std::fs::write(dir.path().join("backup.cfg"), cfg).unwrap();
    let backup = |action: &'static str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backup"));
        cmd.arg("--config")
            .arg(dir.path().join("backup.cfg"))
            .args(["orcl", action])
            .env("NETAPP_USER", USER)
            .env("NETAPP_PASSWORD", PASSWORD)
            .env_remove("ORACLE_SIM_FAIL")
            .env_remove("BACKUP_LOG_TO_SCREEN");
        cmd.output().unwrap()
    };
    let out = backup("config");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = backup("imagecopywithsnap");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(PASSWORD));
    let snap = text
        .lines()
        .find_map(|l| l.split("Snapshot created: ").nth(1))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(fake.snapshot_names(SVM, "oc1_orcl"), vec![snap]);
}

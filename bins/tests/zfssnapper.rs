//! `zfssnapper`, the real binary, against the stateful fake ZFS Storage Appliance.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::Output;

use backupcore::retention::{plan, Candidate, Policy};
use backupcore::snap::conformance::two_year_retention_table;
use chrono::{DateTime, Duration, Utc};
use storage_fakes::zfssa::ZfssaFake;

const USER: &str = "backupadmin";
const PASSWORD: &str = "Zfs-S3cret-pw";
const POOL: &str = "pool1";
const PROJECT: &str = "dbbackup";

struct World {
    fake: ZfssaFake,
    dir: tempfile::TempDir,
}

impl World {
    async fn new(extra_db_lines: &str) -> World {
        let fake = ZfssaFake::start(USER, PASSWORD).await;
        fake.add_project(POOL, PROJECT);
        fake.add_filesystem(POOL, PROJECT, "orcl");
        let dir = tempfile::tempdir().unwrap();
        let cfg = format!(
            "[generic]\nbackupdest: {}/backup\nstorage: zfssa\nwarningsnapage: 26\ncriticalsnapage: 32\n\
             [zfssa]\nurl: {}\npool: {POOL}\nproject: {PROJECT}\n\
             [autorestore]\nautorestoreclonename: autorestore_orcl\nautorestoresnapage: 1\n\
             [orcl]\ndbid: 1433672784\nrecoverywindow: 2\nparallel: 4\nsnapexpirationdays: 31\nsnapexpirationmonths: 6\n{extra_db_lines}",
            dir.path().display(),
            fake.uri()
        );
        std::fs::write(dir.path().join("backup.cfg"), cfg).unwrap();
        World { fake, dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("backup.cfg")
    }

    /// Runs the binary (credentials from the environment, config from BACKUPCONFIG).
    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_zfssnapper"));
        cmd.args(args)
            .env("BACKUPCONFIG", self.config())
            .env("ZFSSA_USER", USER)
            .env("ZFSSA_PASSWORD", PASSWORD)
            .current_dir(self.dir.path());
        let out = cmd.output().await.unwrap();
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(PASSWORD), "password leaked: {all}");
        out
    }

    fn seed(&self, name: &str, created: DateTime<Utc>, total: u64, unique: u64) {
        self.fake
            .add_snapshot(POOL, PROJECT, "orcl", name, created, total, unique);
    }

    fn snapshots(&self) -> Vec<String> {
        self.fake.snapshots(POOL, PROJECT, "orcl")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stderr without the warning lines every run against a plain-HTTP lab appliance prints.
fn errors(o: &Output) -> String {
    stderr(o)
        .lines()
        .filter(|l| !l.starts_with("WARNING: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn create_then_list() {
    let w = World::new("").await;
    let out = w.run(&["orcl", "create"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    let name = line
        .trim()
        .strip_prefix("Snapshot created: ")
        .unwrap()
        .to_string();
    assert!(
        name.starts_with("orcl-") && name.len() == "orcl-20261121T101500".len(),
        "{name}"
    );
    assert_eq!(w.snapshots(), vec![name.clone()]);
    let out = w.run(&["orcl", "list"]).await;
    assert!(
        stdout(&out).starts_with(&format!("{name} [")),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn list_lines_like_the_original() {
    let w = World::new("").await;
    w.seed(
        "orcl-20160524T155055",
        t("2016-05-24T13:50:55Z"),
        164 << 20,
        1 << 20,
    );
    w.seed(
        "orcl-20160524T153531",
        t("2016-03-13T17:33:23Z"),
        165 << 20,
        165 << 20,
    );
    w.seed(
        "orcl-20160524T155205",
        t("2016-05-24T13:52:05Z"),
        165 << 20,
        276 << 10,
    );
    let out = w.run(&["orcl", "list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "orcl-20160524T153531 [2016-03-13 17:33:23 UTC] total=165MB unique=165MB clones=0\n\
         orcl-20160524T155055 [2016-05-24 13:50:55 UTC] total=164MB unique=1MB clones=0\n\
         orcl-20160524T155205 [2016-05-24 13:52:05 UTC] total=165MB unique=276kB clones=0\n"
    );
    let out = w.run(&["--format", "json", "orcl", "list"]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], "orcl");
    let snaps = v["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 3);
    assert_eq!(snaps[0]["id"], "orcl-20160524T153531");
    assert_eq!(snaps[0]["created"], "2016-03-13T17:33:23Z");
    assert_eq!(snaps[2]["space_unique"], 276 << 10);
}

#[tokio::test]
async fn clone_listclones_dropclone() {
    let w = World::new("").await;
    w.seed(
        "orcl-20161017T093914",
        t("2016-10-17T07:39:14Z"),
        177 << 20,
        0,
    );
    let out = w.run(&["orcl", "clone", "orcl-20161017T093914"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Clone created.");
    let clone = lines[1].strip_prefix("Clone name: ").unwrap();
    assert!(clone.starts_with("orcl-20161017T093914_clone_"), "{clone}");
    let mount_point = lines[2].strip_prefix("Mount point: ").unwrap();
    assert!(mount_point.ends_with(clone), "{mount_point}");
    assert!(lines[4].starts_with("mount -t nfs -o "), "{}", lines[4]);
    assert!(
        lines[4].contains(&format!("127.0.0.1:{mount_point} <mount_directory_here>")),
        "{}",
        lines[4]
    );

    let out = w.run(&["orcl", "listclones"]).await;
    assert_eq!(
        stdout(&out),
        format!("{clone} [orcl-20161017T093914] [mount point: {mount_point}]\n")
    );
    let out = w.run(&["orcl", "list"]).await;
    assert!(
        stdout(&out).trim_end().ends_with("clones=1"),
        "{}",
        stdout(&out)
    );

    // The database's own filesystem is not a clone: refused, one line, exit 2.
    let out = w.run(&["orcl", "dropclone", "orcl"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(errors(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        errors(&out).starts_with("zfssnapper: dropping clone orcl: refusing"),
        "{}",
        stderr(&out)
    );
    assert!(w
        .fake
        .filesystems(POOL, PROJECT)
        .contains(&"orcl".to_string()));

    let out = w.run(&["orcl", "dropclone", clone]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Clone dropped.\n");
    assert!(!w
        .fake
        .filesystems(POOL, PROJECT)
        .contains(&clone.to_string()));
}

#[tokio::test]
async fn autoclone_uses_autorestore_settings() {
    let w = World::new("").await;
    let now = Utc::now();
    w.seed("orcl-old", now - Duration::hours(5), 1 << 30, 0);
    w.seed("orcl-new", now - Duration::minutes(10), 1 << 30, 0);
    let out = w.run(&["orcl", "autoclone"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Source snapshot: orcl-old\n"),
        "autorestoresnapage is 1 h: {text}"
    );
    assert!(text.contains("Clone name: autorestore_orcl\n"), "{text}");
    assert!(w
        .fake
        .filesystems(POOL, PROJECT)
        .contains(&"autorestore_orcl".to_string()));
}

#[tokio::test]
async fn checkage_exit_codes() {
    let w = World::new("").await;
    // No snapshots: CRITICAL.
    let out = w.run(&["orcl", "checkage"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("CRITICAL: "), "{}", stdout(&out));

    for (age_hours, code, word) in [(1, 0, "OK"), (27, 1, "WARNING"), (33, 2, "CRITICAL")] {
        let w = World::new("").await;
        w.seed("orcl-x", Utc::now() - Duration::hours(age_hours), 1, 1);
        let out = w.run(&["orcl", "checkage"]).await;
        assert_eq!(out.status.code(), Some(code), "{}", stdout(&out));
        let line = stdout(&out);
        assert!(
            line.starts_with(&format!("{word}: The latest snapshot age ")),
            "{line}"
        );
        assert!(line.trim_end().ends_with(";93600;115200"), "{line}");
        assert!(line.contains(" | age="), "{line}");
        assert_eq!(line.lines().count(), 1);
    }
}

#[tokio::test]
async fn checkage_unknown_on_any_error() {
    // Wrong password: the appliance answers 401.
    let w = World::new("").await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_zfssnapper"))
        .args(["orcl", "checkage"])
        .env("BACKUPCONFIG", w.config())
        .env("ZFSSA_USER", USER)
        .env("ZFSSA_PASSWORD", "wrong-password")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).starts_with("UNKNOWN: "), "{}", stdout(&out));
    assert!(!stdout(&out).contains("wrong-password"));

    // Unknown database, and a broken config: still UNKNOWN.
    let out = w.run(&["nosuchdb", "checkage"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("no database section [nosuchdb]"),
        "{}",
        stdout(&out)
    );
    std::fs::write(w.config(), "[generic]\nbackupdest /x\n").unwrap();
    let out = w.run(&["orcl", "checkage"]).await;
    assert_eq!(out.status.code(), Some(3));

    // Appliance unreachable.
    let w2 = World::new("").await;
    let cfg = std::fs::read_to_string(w2.config())
        .unwrap()
        .replace(&w2.fake.uri(), "http://127.0.0.1:9");
    std::fs::write(w2.config(), cfg).unwrap();
    let out = w2.run(&["orcl", "checkage"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
}

#[tokio::test]
async fn checkage_is_one_request() {
    let w = World::new("").await;
    w.seed("orcl-x", Utc::now() - Duration::hours(1), 1, 1);
    let before = w.fake.requests().len();
    let out = w.run(&["orcl", "checkage"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        w.fake.requests().len() - before,
        1,
        "{:?}",
        w.fake.requests()
    );
    assert!(
        !w.dir.path().join("backup").exists(),
        "checkage writes no log file"
    );
}

#[tokio::test]
async fn clean_dry_run_at_a_date_shows_the_two_year_plan() {
    let w = World::new("").await;
    let table = two_year_retention_table("orcl");
    for s in &table.snapshots {
        w.seed(&s.id, s.created, s.space_total, s.space_unique);
    }
    let at = table.now.to_rfc3339();
    let out = w.run(&["orcl", "clean", "--dry-run", "--at", &at]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 730);
    let valid: Vec<String> = text
        .lines()
        .filter(|l| l.ends_with(" valid"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(valid, table.kept);
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" would drop")).count(),
        695
    );
    assert_eq!(w.snapshots().len(), 730, "a dry run drops nothing");
    assert!(
        w.fake.requests().iter().all(|r| r.method == "GET"),
        "a dry run sends only GETs"
    );
    // --at without --dry-run is refused by the argument parser.
    let out = w.run(&["orcl", "clean", "--at", &at]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(w.snapshots().len(), 730);
}

#[tokio::test]
async fn clean_drops_exactly_what_the_plan_says() {
    let w = World::new("").await;
    // Two years of daily snapshots, anchored to the real clock: 12 h away from every band edge.
    let now = Utc::now();
    let snaps: Vec<(String, DateTime<Utc>)> = (0..730)
        .map(|d| {
            let at = now - Duration::days(d) - Duration::hours(12);
            (format!("orcl-{}", at.format("%Y%m%dT%H%M%S")), at)
        })
        .collect();
    for (id, at) in &snaps {
        w.seed(id, *at, 10 << 30, 1 << 30);
    }
    let cands: Vec<Candidate<'_>> = snaps
        .iter()
        .map(|(id, created)| Candidate {
            id,
            created: *created,
            clones: 0,
        })
        .collect();
    let expected: Vec<String> = plan(
        &cands,
        Policy {
            days: 31,
            months: 6,
        },
        now,
    )
    .into_iter()
    .filter(|d| d.keep())
    .map(|d| d.id)
    .collect();
    let out = w.run(&["orcl", "clean"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.snapshots(), expected);
    let deletes = w
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 730 - expected.len());
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.ends_with(" dropped"))
            .count(),
        deletes
    );
}

#[tokio::test]
async fn clean_reports_drop_failed_and_exits_non_zero() {
    let w = World::new("").await;
    let now = Utc::now();
    w.seed("orcl-a", now - Duration::days(400), 1, 1);
    w.seed("orcl-b", now - Duration::days(399), 1, 1);
    w.seed("orcl-c", now - Duration::days(1), 1, 1);
    w.fake.fail_next("DELETE", "orcl-a", 500, None);
    let out = w.run(&["orcl", "clean"]).await;
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.lines().next().unwrap().ends_with(" DROP FAILED"),
        "{text}"
    );
    assert!(text.lines().nth(1).unwrap().ends_with(" dropped"), "{text}");
    assert!(text.lines().nth(2).unwrap().ends_with(" valid"), "{text}");
    assert_eq!(errors(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("orcl-a"), "{}", stderr(&out));
    assert_eq!(
        w.snapshots(),
        vec!["orcl-a".to_string(), "orcl-c".to_string()]
    );
}

#[tokio::test]
async fn failures_are_one_line_with_exit_2() {
    let w = World::new("").await;
    // A snapshot that does not exist.
    let out = w.run(&["orcl", "clone", "orcl-nosuch"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = errors(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("zfssnapper: cloning snapshot orcl-nosuch: "),
        "{err}"
    );
    // The appliance failing: HTTP status and its message shown.
    w.fake.fail_next("POST", "snapshots", 500, None);
    let out = w.run(&["orcl", "create"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = errors(&out);
    assert!(err.starts_with("zfssnapper: creating snapshot: "), "{err}");
    assert!(err.contains("500"), "{err}");
    // Missing argument.
    let out = w.run(&["orcl", "clone"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("clone needs the snapshot name"),
        "{}",
        stderr(&out)
    );
    // Unknown database.
    let out = w.run(&["prod", "list"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no database section [prod]"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn credentials_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new("").await;
    let cred = w.dir.path().join("zfscredentials.cfg");
    std::fs::write(
        &cred,
        format!("[zfscredentials]\nzfsuser: {USER}\nzfspassword: {PASSWORD}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&cred, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = |cfg: PathBuf| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_zfssnapper"))
            .args(["orcl", "list"])
            .env("BACKUPCONFIG", cfg)
            .env_remove("ZFSSA_USER")
            .env_remove("ZFSSA_PASSWORD")
            .output()
            .await
            .unwrap()
    };
    let out = run(w.config()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(PASSWORD));
    std::fs::set_permissions(&cred, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(w.config()).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn zvolume_creates_the_backup_filesystem_once() {
    let w = World::new("").await;
    // A database whose filesystem does not exist yet.
    let cfg = std::fs::read_to_string(w.config()).unwrap();
    std::fs::write(
        w.config(),
        format!("{cfg}[newdb]\ndbid: 7\nrecoverywindow: 2\nparallel: 1\nsnapexpirationdays: 7\n"),
    )
    .unwrap();
    let zvolume = |args: &'static [&'static str]| {
        let cfg = w.config();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_zvolume"))
                .args(args)
                .env("BACKUPCONFIG", cfg)
                .env("ZFSSA_USER", USER)
                .env("ZFSSA_PASSWORD", PASSWORD)
                .output()
                .await
                .unwrap()
        }
    };
    let out = zvolume(&["newdb", "create"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("Filesystem created: newdb\nMount point: "),
        "{text}"
    );
    assert!(text.contains("Mount string: 127.0.0.1:"), "{text}");
    assert!(w
        .fake
        .filesystems(POOL, PROJECT)
        .contains(&"newdb".to_string()));
    let out = zvolume(&["newdb", "create"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = errors(&out);
    assert!(
        err.starts_with("zvolume: creating filesystem newdb: ") && err.contains("already exists"),
        "{err}"
    );
}

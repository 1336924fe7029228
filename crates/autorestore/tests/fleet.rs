//! A fleet of sandbox hosts sharing one PostgreSQL catalog: two `autorestore` processes
//! (hosts A and B, each with its own restore directories) over the same six databases
//! restore each database exactly once, split between them by the daily claim.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
mod world;

use std::process::Command;

use autorestore::catalog::postgres::PostgresCatalog;
use autorestore::catalog::Catalog;
use common::pg::PgServer;
use world::{exe, text, World, DBID};

const USER: &str = "artest";

/// The unprivileged user `autorestore` runs as (it refuses root). Needs root to create.
fn user() -> &'static str {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test creates and switches to the user {USER}: it needs root (as .ci/run has)"
    );
    if !Command::new("id")
        .arg(USER)
        .output()
        .unwrap()
        .status
        .success()
    {
        let _ = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/bin/sh", USER])
            .output();
        assert!(
            Command::new("id")
                .arg(USER)
                .output()
                .unwrap()
                .status
                .success(),
            "useradd {USER} failed"
        );
    }
    USER
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_restore_each_of_six_databases_exactly_once() {
    let user = user();
    let pg = PgServer::start().await;
    let url = pg.create_database().await;
    let names = ["fa", "fb", "fc", "fd", "fe", "ff"];
    let worlds: Vec<World> = names.iter().map(|n| World::new(n)).collect();
    // Two runs each (the first snapshot is of the empty area), three databases at a time.
    std::thread::scope(|s| {
        for pair in worlds.chunks(2) {
            s.spawn(move || {
                for w in pair {
                    w.backed_up(2);
                }
            });
        }
    });
    let fleet = tempfile::tempdir().unwrap();
    let mut sections = String::new();
    for w in &worlds {
        sections.push_str(&format!(
            "[{db}]\ndbid: {DBID}\nrecoverywindow: 2\nparallel: 2\nsnapexpirationdays: 7\n\
             gimanaged: false\ngenericbackupdest: {}\ngenericoraclehome: {}\ngenerictnsadmin: {}\n",
            w.backupdest().display(),
            w.oracle_home().display(),
            w.tns().display(),
            db = w.db,
        ));
    }
    let mut configs = Vec::new();
    for host in ["hostA", "hostB"] {
        let dir = fleet.path().join(host);
        std::fs::create_dir_all(dir.join("dest")).unwrap();
        std::fs::create_dir_all(dir.join("log")).unwrap();
        let cfg = dir.join("backup.cfg");
        std::fs::write(
            &cfg,
            format!(
                "[generic]\nbackupdest: /nonexistent\nstorage: reflink\nlogretention: 30\nmaxlockwait: 5\n\
                 [rman]\nsectionsize:\n\
                 [autorestore]\nautorestoredestination: {d}/dest\nautorestorelogdir: {d}/log\n\
                 autorestorecatalog: {url_in_cfg}\n{sections}",
                d = dir.display(),
                url_in_cfg = url.replace('%', "%%")
            ),
        )
        .unwrap();
        configs.push((host, cfg));
    }
    // Backups ran as root; the sandbox runs as the unprivileged user: hand everything over
    // (root's snapshots are immutable: lift that first).
    for p in worlds
        .iter()
        .map(|w| w.base().to_path_buf())
        .chain([fleet.path().to_path_buf()])
    {
        let _ = Command::new("chattr").arg("-R").arg("-i").arg(&p).output();
        let st = Command::new("chown")
            .arg("-R")
            .arg(format!("{user}:"))
            .arg(&p)
            .status()
            .unwrap();
        assert!(st.success());
        // Temporary directories are 0700: the user must be able to enter them.
        let _ = Command::new("chmod").arg("755").arg(&p).status();
    }

    let run = |host: &'static str, cfg: &std::path::Path, args: &[&str]| {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", user, "--"])
            .arg(exe("autorestore"))
            .arg(cfg)
            .args(args)
            .env("AUTORESTORE_SAFE_SANDBOX", "TRUE")
            .env("AUTORESTORE_HOSTNAME", host)
            .env_remove("ORACLE_SIM_FAIL")
            .current_dir("/");
        cmd
    };
    let out = run("hostA", &configs[0].1, &["--createcatalog"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    // Both hosts at once.
    let spawn = |host: &'static str, cfg: &std::path::Path| {
        run(host, cfg, &[])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("hostA", &configs[0].1);
    let b = spawn("hostB", &configs[1].1);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "hostA: {}", text(&a));
    assert!(b.status.success(), "hostB: {}", text(&b));
    let successes = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Database: ")
                    .and_then(|r| r.strip_suffix(" SUCCESS"))
            })
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (sa, sb) = (successes(&a), successes(&b));
    let mut all: Vec<String> = sa.iter().chain(&sb).cloned().collect();
    all.sort();
    assert_eq!(
        all,
        names.to_vec(),
        "hostA restored {sa:?}, hostB {sb:?}\n--- A:\n{}\n--- B:\n{}",
        text(&a),
        text(&b)
    );

    // The catalog holds six successful tests, one per database, each by the host that
    // printed it.
    let catalog = PostgresCatalog::new(&url).unwrap();
    let records = catalog
        .records_since(chrono::Utc::now() - chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(records.len(), 6, "{records:#?}");
    for r in &records {
        assert!(r.success, "{r:?}");
        let by = if sa.contains(&r.database) {
            "hostA"
        } else {
            "hostB"
        };
        assert_eq!(r.host, by, "{r:?}");
    }
    // And --check over it is OK.
    let out = run("hostA", &configs[0].1, &["--check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

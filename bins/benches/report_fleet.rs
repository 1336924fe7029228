//! Benchmark: `report` over a fleet of 200 simulated databases whose storage (the fake ZFS
//! Storage Appliance) answers every request after a fixed delay, against the same report of
//! one database alone, measured in the same run. The target: the fleet's wall time at most
//! 3x the slowest single database's.
//!
//! ```text
//! cargo bench -p bins --bench report_fleet [-- DATABASES DELAY_MS SNAPSHOTS]
//! ```
//!
//! Each database is its own oracle-sim ORACLE_HOME (so every `jobstatus` query is a real
//! `sqlplus` process), has `SNAPSHOTS` snapshots each holding an `autorestore.cfg` (and the
//! control file backup that makes it restorable), a run log, and ten restore tests in a
//! SQLite catalog.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: fail loudly

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use autorestore::catalog::sqlite::SqliteCatalog;
use autorestore::catalog::{Catalog, RestoreRecord};
use chrono::Utc;
use storage_fakes::zfssa::ZfssaFake;

const USER: &str = "benchuser";
const PASSWORD: &str = "bench-pw";
const POOL: &str = "pool1";
const PROJECT: &str = "dbbackup";

fn oracle_sim() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_report"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "-q", "-p", "oracle-sim", "--bin", "oracle-sim"]);
    if dir.ends_with("release") {
        cmd.arg("--release");
    }
    assert!(
        cmd.status().unwrap().success(),
        "building oracle-sim failed"
    );
    dir.join("oracle-sim")
}

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// Runs `report` with `args`; its wall time.
fn time_report(base: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("--config")
        .arg(base.join("backup.cfg"))
        .args(["--format", "json"])
        .args(args)
        .env("ZFSSA_USER", USER)
        .env("ZFSSA_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "report {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for d in v["databases"].as_array().unwrap() {
        assert!(d["errors"].as_array().unwrap().is_empty(), "{d}");
        assert!(d["snapshots"]["newest_recoverable"].is_string(), "{d}");
    }
    took
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let databases = arg(0, 200) as usize;
    let delay = Duration::from_millis(arg(1, 500));
    let snapshots = arg(2, 30) as usize;
    let sim = oracle_sim();
    let fake = ZfssaFake::start(USER, PASSWORD).await;
    fake.add_project(POOL, PROJECT);
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let catalog = base.join("catalog.db");
    let mut cfg = format!(
        "[generic]\nbackupdest: {}/backup\nstorage: zfssa\n[zfssa]\nurl: {}\npool: {POOL}\nproject: {PROJECT}\n\
         [autorestore]\nautorestorecatalog: sqlite:{}\n",
        base.display(),
        fake.uri(),
        catalog.display()
    );
    let cat = SqliteCatalog::new(&catalog);
    cat.migrate().await.unwrap();
    let now = Utc::now();
    let setup = Instant::now();
    let names: Vec<String> = (0..databases).map(|i| format!("db{i:03}")).collect();
    for name in &names {
        let root = base.join("sim").join(name);
        let out = Command::new(&sim)
            .args(["init", "--root"])
            .arg(&root)
            .args([
                "--db",
                name,
                "--dbid",
                "1",
                "--datafiles",
                "1",
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
        let area = base.join("backup").join(name);
        std::fs::create_dir_all(area.join("backup_logs")).unwrap();
        std::fs::write(area.join("after_backup_controlfile.cf"), "control file").unwrap();
        fake.add_filesystem(POOL, PROJECT, name);
        fake.bind_directory(POOL, PROJECT, name, &area);
        for s in 0..snapshots {
            let created = now - chrono::Duration::days((snapshots - s) as i64);
            std::fs::write(
                area.join("autorestore.cfg"),
                format!(
                    "[dbparams]\nlastscn: {}\nlasttime: {}\nbctfile: \n",
                    1000 + s,
                    (created - chrono::Duration::minutes(1)).format("%Y-%m-%d %H:%M:%S")
                ),
            )
            .unwrap();
            let snap = format!("{name}-{}", created.format("%Y%m%dT%H%M%S"));
            fake.add_snapshot(POOL, PROJECT, name, &snap, created, 1 << 30, 1 << 20);
        }
        std::fs::write(
            area.join("backup_logs").join(format!(
                "{name}_{}_imagecopywithsnap.log",
                now.format("%Y%m%dT%H%M%S")
            )),
            format!("2026-12-05 10:15:00,000 INFO     {name}  Result: SUCCESS\n"),
        )
        .unwrap();
        for t in 0..10 {
            let started = now - chrono::Duration::days(10 - t);
            cat.record(&RestoreRecord {
                id: 0,
                database: name.clone(),
                started,
                finished: started + chrono::Duration::minutes(20),
                success: true,
                snapshot: None,
                restore_target: None,
                verification_diff_seconds: Some(2),
                validated: true,
                corrupt_blocks: Some(0),
                host: "sandbox".into(),
                log_path: String::new(),
                log_content: String::new(),
            })
            .await
            .unwrap();
        }
        let home = root.join("oracle_home");
        let tns = root.join("tns");
        let _ = writeln!(
            cfg,
            "[{name}]\ndbid: 1\nrecoverywindow: 2\ngenericoraclehome: {}\ngenerictnsadmin: {}",
            home.display(),
            tns.display()
        );
    }
    std::fs::write(base.join("backup.cfg"), cfg).unwrap();
    eprintln!(
        "report_fleet: {databases} databases, {snapshots} snapshots each, set up in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    fake.set_delay(delay);
    // Baseline: single databases, alone (the first, one in the middle, the last).
    let picks = [0, databases / 2, databases - 1];
    // The fake serves from this process's runtime: wait for `report` off its threads.
    let run = |args: Vec<String>| {
        let base = base.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            time_report(&base, &args)
        })
    };
    let mut singles = Vec::new();
    for &i in &picks {
        singles.push(run(vec![names[i].clone()]).await.unwrap());
    }
    let slowest = singles.iter().max().copied().unwrap();
    let fleet = run(Vec::new()).await.unwrap();
    let sequential_estimate = slowest.as_secs_f64() * databases as f64;
    println!(
        "report_fleet: storage delay {} ms per request",
        delay.as_millis()
    );
    for (i, t) in picks.iter().zip(&singles) {
        println!(
            "report_fleet: one database ({}) alone: {:.3} s",
            names[*i],
            t.as_secs_f64()
        );
    }
    println!(
        "report_fleet: all {databases} databases: {:.3} s (one after another would be about {:.0} s)",
        fleet.as_secs_f64(),
        sequential_estimate
    );
    let ratio = fleet.as_secs_f64() / slowest.as_secs_f64();
    println!("report_fleet: fleet / slowest single = {ratio:.2} (target <= 3)");
    if std::env::var_os("REPORT_FLEET_KEEP").is_some() {
        let kept = dir.keep();
        eprintln!("report_fleet: kept {} (fake storage gone)", kept.display());
    }
}

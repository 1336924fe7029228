//! `report`, the real binary, over three simulated databases on the fake ZFS Storage
//! Appliance with a populated restore catalog: `orcl` healthy, `db2` whose backup job and
//! restore test failed, `db3` broken (its TNS alias is gone and it was never backed up).
//! All four formats, each read back by a parser (JSON, Prometheus) or a browser (HTML).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Output;

use autorestore::catalog::sqlite::SqliteCatalog;
use autorestore::catalog::{Catalog, RestoreRecord};
use chrono::{Duration, Utc};
use common::{stderr, stdout, World};

#[path = "../../crates/report/tests/common/chromium.rs"]
mod chromium;

async fn report(w: &World, args: &[&str]) -> Output {
    let mut cmd = w.command(env!("CARGO_BIN_EXE_report"));
    // The SQL*Plus spool directory kept after an error goes with the test's directory.
    cmd.args(args).env("TMPDIR", w.base());
    cmd.output().await.unwrap()
}

fn record(db: &str, hours_ago: i64, success: bool, corrupt: u64) -> RestoreRecord {
    let started = Utc::now() - Duration::hours(hours_ago);
    RestoreRecord {
        id: 0,
        database: db.to_string(),
        started,
        finished: started + Duration::minutes(20),
        success,
        snapshot: None,
        restore_target: None,
        verification_diff_seconds: success.then_some(3),
        validated: true,
        corrupt_blocks: Some(corrupt),
        host: "sandbox1".into(),
        log_path: format!("/var/log/autorestore/{db}.log"),
        log_content: String::new(),
    }
}

fn run_job(w: &World, db: &str, status: &str, ago: &str) {
    w.db(db).admin(
        "run-job",
        &[
            "--job",
            "IMAGECOPY_JOB",
            "--status",
            status,
            "--ago-secs",
            ago,
            "--duration-secs",
            "192",
        ],
    );
}

/// The world: backups, scheduler runs and restore tests as described above.
async fn world() -> World {
    let w = World::new(&["orcl", "db2", "db3"], "").await;
    let catalog = w.base().join("catalog.db");
    w.append_config(&format!(
        "[autorestore]\nautorestorecatalog: sqlite:{}\n",
        catalog.display()
    ));
    for (db, runs) in [("orcl", 3), ("db2", 2)] {
        for args in [[db, "config"], [db, "setschedule"]] {
            let out = w.backup(&args, &[("OSPASSWORD", "os-pw")]).await;
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}{}",
                stdout(&out),
                stderr(&out)
            );
        }
        for _ in 0..runs {
            let out = w.backup(&[db, "imagecopywithsnap"], &[]).await;
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}{}",
                stdout(&out),
                stderr(&out)
            );
        }
    }
    run_job(&w, "orcl", "SUCCEEDED", "3600");
    run_job(&w, "db2", "SUCCEEDED", "90000");
    run_job(&w, "db2", "FAILED", "3600");
    std::fs::write(w.db("db3").tns().join("tnsnames.ora"), "# emptied\n").unwrap();
    let cat = SqliteCatalog::new(&catalog);
    cat.migrate().await.unwrap();
    for r in [
        record("orcl", 50, true, 0),
        record("orcl", 26, false, 0),
        record("orcl", 2, true, 0),
        record("db2", 30, true, 0),
        record("db2", 5, false, 1),
    ] {
        cat.record(&r).await.unwrap();
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_formats_for_three_databases_one_broken() {
    let w = world().await;

    // Text: the original's lines, a status line first.
    let out = report(&w, &[]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    let orcl = &text[text.find("orcl:\n").unwrap()..text.find("db2:\n").unwrap()];
    assert!(orcl.starts_with("orcl:\n  Status: OK\n"), "{orcl}");
    assert!(orcl.contains("  Backup job: SCHEDULED, last: "), "{orcl}");
    assert!(orcl.contains("  Snapshots: 3, latest: "), "{orcl}");
    assert!(orcl.contains("  Recovery window: "), "{orcl}");
    assert!(
        orcl.contains("  Last run: imagecopywithsnap SUCCESS ("),
        "{orcl}"
    );
    let db2 = &text[text.find("db2:\n").unwrap()..text.find("db3:\n").unwrap()];
    assert!(
        db2.contains("  Status: FAILED: backup job's latest run failed"),
        "{db2}"
    );
    assert!(
        db2.contains("latest restore test found 1 corrupt block(s)"),
        "{db2}"
    );
    let db3 = &text[text.find("db3:\n").unwrap()..];
    assert!(db3.contains("  Status: ERROR"), "{db3}");
    assert!(db3.contains("  Error: jobs: ORA-12154"), "{db3}");
    assert!(db3.contains("  Snapshots: none"), "{db3}");
    let err = stderr(&out);
    assert!(
        err.contains("report: 1 of 3 databases could not be read completely: db3"),
        "{err}"
    );
    // The spool of db3's failed connect is kept, where stderr says.
    let kept = err
        .split("(SQL*Plus logs in ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap();
    assert!(kept.starts_with(w.base().to_str().unwrap()), "{kept}");
    let spool =
        std::fs::read_to_string(std::path::Path::new(kept).join("db3.jobstatus.log")).unwrap();
    assert!(spool.contains("conn /@db3 as sysdba"), "{spool}");

    // JSON: one document, the documented fields.
    let out = report(&w, &["--format", "json"]).await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["format_version"], 1);
    let dbs = v["databases"].as_array().unwrap();
    let names: Vec<&str> = dbs
        .iter()
        .map(|d| d["database"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["orcl", "db2", "db3"]);
    let o = &dbs[0];
    assert_eq!(o["status"], "OK");
    assert_eq!(o["snapshots"]["count"], 3);
    let points = o["snapshots"]["snapshots"].as_array().unwrap();
    // The first snapshot was taken before the first merge made any copy: nothing to restore.
    // The others hold the recovery point their run recorded just before taking them.
    assert!(points[0]["recoverable"].is_null(), "{points:?}");
    for p in &points[1..] {
        let created = p["created"].as_str().unwrap().trim_end_matches('Z');
        assert!(p["recoverable"].as_str().unwrap() <= created, "{p:?}");
    }
    assert_eq!(
        o["snapshots"]["oldest_recoverable"],
        points[1]["recoverable"]
    );
    assert_eq!(
        o["snapshots"]["newest_recoverable"],
        points[2]["recoverable"]
    );
    assert_eq!(o["restores"]["tests"], 3);
    assert_eq!(o["restores"]["avg_diff_seconds"], 3);
    assert!(o["restores"]["last_failure"].is_string());
    assert_eq!(o["last_run"]["result"], "SUCCESS");
    assert_eq!(o["jobs"]["imagecopy"]["state"], "SCHEDULED");
    assert_eq!(
        o["jobs"]["imagecopy"]["last_run_duration"],
        "+000000000 00:03:12.000000"
    );
    assert_eq!(dbs[1]["status"], "FAILED");
    assert_eq!(dbs[1]["restores"]["latest_corrupt_blocks"], 1);
    assert_eq!(dbs[2]["status"], "ERROR");
    assert!(dbs[2]["errors"][0]
        .as_str()
        .unwrap()
        .starts_with("jobs: ORA-12154"));
    assert!(dbs[2]["last_run"].is_null());

    // Prometheus, to a file (as for node_exporter's textfile collector), read by a parser.
    let prom = w.base().join("imagecopy.prom");
    let out = report(
        &w,
        &["--format", "prometheus", "--output", prom.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let body = std::fs::read_to_string(&prom).unwrap();
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |metric: &str, db: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && s.labels.get("db") == Some(db))
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v) => v,
                ref other => panic!("{metric} is not a gauge: {other:?}"),
            })
    };
    assert_eq!(value("imagecopy_status", "orcl"), Some(0.0));
    assert_eq!(value("imagecopy_status", "db2"), Some(2.0));
    assert_eq!(value("imagecopy_status", "db3"), Some(3.0));
    assert_eq!(value("imagecopy_snapshots", "orcl"), Some(3.0));
    assert_eq!(value("imagecopy_snapshots", "db3"), Some(0.0));
    assert_eq!(value("imagecopy_report_error", "db3"), Some(1.0));
    assert!(value("imagecopy_recovery_window_seconds", "orcl").unwrap() >= 0.0);
    assert!(scrape
        .docs
        .contains_key("imagecopy_snapshot_newest_timestamp_seconds"));

    // HTML, opened by Chromium: renders, no console errors, the three rows are there.
    let page = w.base().join("report.html");
    let out = report(
        &w,
        &["--format", "html", "--output", page.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let shown = chromium::render(&page);
    assert!(
        shown.console_errors.is_empty(),
        "{:?}",
        shown.console_errors
    );
    for db in ["orcl", "db2", "db3"] {
        assert!(
            shown.dom.contains(&format!("id=\"db-{db}\"")),
            "{db} row missing"
        );
    }
    assert!(shown.dom.contains("<svg"));

    // One database alone, and a name that is not in the configuration.
    let out = report(&w, &["orcl,db2", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["databases"].as_array().unwrap().len(), 2);
    let out = report(&w, &["orcl,nosuch"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("report: nosuch is not a database section of "),
        "{}",
        stderr(&out)
    );
}

/// The original's Oracle schema as the catalog: read through its `autorestorestatus` entry
/// (a summary only), with a password in the connect string that never shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_catalog_summary_through_sqlplus() {
    use autorestore::catalog::oracle::OracleCatalog;
    use rman::runner::{OracleEnv, ProcessRunner};
    use rman::template::{TemplateKind, TemplateSet};

    const CONNECT: &str = "rlog/Rlog-S3cret-pw@arcat";
    let w = World::new(&["orcl"], "").await;
    let db = w.db("orcl");
    db.admin(
        "add-catalog",
        &["--alias", "arcat", "--kind", "restore", "--user", "rlog"],
    );
    w.append_config(&format!("[autorestore]\nautorestorecatalog: {CONNECT}\n"));
    let runner = ProcessRunner::new(OracleEnv::new(db.oracle_home()).with_tns_admin(db.tns()));
    let catalog = OracleCatalog::new(
        CONNECT,
        std::sync::Arc::new(runner),
        TemplateSet::builtin(TemplateKind::Restore).unwrap(),
        w.base().join("createcatalog.log"),
    );
    catalog.migrate().await.unwrap();
    for (i, r) in [record("orcl", 30, true, 0), record("orcl", 6, false, 0)]
        .into_iter()
        .enumerate()
    {
        let log = w.base().join(format!("restore-{i}.log"));
        std::fs::write(&log, "restore log\n").unwrap();
        // Not validated: the original averages the duration of such tests only.
        let r = RestoreRecord {
            log_path: log.display().to_string(),
            validated: false,
            ..r
        };
        catalog.record(&r).await.unwrap();
    }

    let out = report(&w, &["--format", "json"]).await;
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("Rlog-S3cret-pw"), "password shown: {all}");
    assert_eq!(out.status.code(), Some(0), "{all}");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let r = &v["databases"][0]["restores"];
    assert!(r["last_success"].is_string(), "{r}");
    assert!(r["last_failure"].is_string(), "{r}");
    assert!(
        r["last_failure"].as_str() > r["last_success"].as_str(),
        "{r}"
    );
    assert_eq!(r["avg_diff_seconds"], 3);
    assert_eq!(r["avg_duration_seconds"], 20 * 60);
    assert!(r["last_validated"].is_null(), "{r}");
    // The Oracle schema gives the summary only.
    assert!(
        r["tests"].is_null() && r["history"].as_array().unwrap().is_empty(),
        "{r}"
    );
    assert_eq!(v["databases"][0]["status"], "FAILED");
}

//! `exec_all`, the real binary, over three simulated databases, one of them broken.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Output;

use common::{stderr, stdout, World};

async fn exec_all(w: &World, args: &[&str]) -> Output {
    let mut cmd = w.command(env!("CARGO_BIN_EXE_exec_all"));
    cmd.args(args);
    cmd.output().await.unwrap()
}

/// Three databases; `db3`'s TNS alias is gone, so every Oracle connection fails.
async fn world() -> World {
    let w = World::new(&["orcl", "db2", "db3"], "").await;
    std::fs::write(w.db("db3").tns().join("tnsnames.ora"), "# emptied\n").unwrap();
    w
}

/// The output between `--- DATABASE: db ---` and the next header (or the summary).
fn section<'a>(text: &'a str, db: &str) -> &'a str {
    let start = text
        .find(&format!("--- DATABASE: {db} ---"))
        .unwrap_or_else(|| panic!("no section for {db}: {text}"));
    let rest = &text[start..];
    let end = rest[1..]
        .find("--- DATABASE: ")
        .or_else(|| rest.find("------------ EXEC_ALL SUMMARY"))
        .map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_database_does_not_stop_the_others() {
    let w = world().await;
    let out = exec_all(&w, &["config"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    // Serial, in configuration order.
    let order: Vec<usize> = ["orcl", "db2", "db3"]
        .iter()
        .map(|d| text.find(&format!("--- DATABASE: {d} ---")).unwrap())
        .collect();
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{text}");
    assert!(
        text.contains("Database: orcl                 SUCCESS"),
        "{text}"
    );
    assert!(
        text.contains("Database: db2                  SUCCESS"),
        "{text}"
    );
    assert!(
        text.contains("Database: db3                  FAILED"),
        "{text}"
    );
    assert!(
        text.contains("Databases: 2 succeeded, 1 failed, 0 not run"),
        "{text}"
    );
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l == "exec_all: config failed for: db3"),
        "{err}"
    );
    // The broken database's own error line names its step and the Oracle error.
    assert!(
        err.contains("backup: db3 config: step 'RMAN configuration' failed"),
        "{err}"
    );
    assert!(err.contains("ORA-12154"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_runs_keep_each_database_output_together() {
    let w = world().await;
    let out = exec_all(&w, &["config", "--parallel", "3"]).await;
    assert_eq!(out.status.code(), Some(1));
    let out = exec_all(&w, &["imagecopywithsnap", "--parallel", "2"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    for db in ["orcl", "db2"] {
        let s = section(&text, db);
        // Each section is one whole run of that database only.
        assert!(s.contains("Result: SUCCESS"), "{db}: {s}");
        assert!(s.contains(&format!("/backup/{db}/backup_logs/")), "{s}");
        let other = if db == "orcl" { "db2" } else { "orcl" };
        assert!(
            !s.contains(&format!("/backup/{other}/")),
            "{db} section holds {other} output: {s}"
        );
        assert_eq!(w.snapshots(db).len(), 1, "{db}");
    }
    let s3 = section(&text, "db3");
    assert!(
        s3.contains("backup: db3 imagecopywithsnap: step 2 (copy missing archivelogs) failed"),
        "{s3}"
    );
    assert!(w.snapshots("db3").is_empty());
    assert!(
        stderr(&out).contains("imagecopywithsnap failed for: db3"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusions_and_fail_fast() {
    let w = world().await;
    let out = exec_all(&w, &["config", "db3"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stdout(&out).contains("--- DATABASE: db3 ---"));

    let out = exec_all(&w, &["config", "db4"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("exclude list names db4"),
        "{}",
        stderr(&out)
    );

    // With db2 broken too and orcl excluded, --fail-fast stops after db2: db3 is not run.
    std::fs::write(w.db("db2").tns().join("tnsnames.ora"), "# emptied\n").unwrap();
    let out = exec_all(&w, &["config", "orcl", "--fail-fast"]).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Database: db2                  FAILED"),
        "{text}"
    );
    assert!(
        text.contains("Database: db3                  NOT RUN"),
        "{text}"
    );
    assert!(!text.contains("--- DATABASE: db3 ---"), "{text}");
}

//! Opens the HTML report in a real browser: headless Chromium (Debian's `chromium` package).
//!
//! The page is written to a temporary directory and loaded from `file://`; Chromium dumps the
//! DOM it built and logs the page's console to stderr (`--enable-logging=stderr`). The report
//! has no JavaScript, so any console message at all is a fault: an uncaught exception, or a
//! Content-Security-Policy violation (the page's policy refuses every network asset, and
//! Chromium logs each refused load). Negative controls prove that the same check fails on a
//! page that throws, or that tries to load an image from the network.
//!
//! There is no skipping: without `chromium` in `PATH` the tests fail and say what to install.

#![allow(clippy::unwrap_used)]

#[path = "common/chromium.rs"]
mod chromium;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chromium::{console_errors, run_chromium};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use report::{
    html::html, DbReport, LastRun, Report, RestoreSummary, RestoreTest, SnapshotPoint,
    SnapshotSummary, Status, FORMAT_VERSION,
};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn point(id: &str, created: &str, recoverable: Option<&str>) -> SnapshotPoint {
    SnapshotPoint {
        id: id.into(),
        created: t(created),
        recoverable: recoverable
            .map(|r| NaiveDateTime::parse_from_str(r, "%Y-%m-%d %H:%M:%S").unwrap()),
        unique_bytes: 1 << 30,
        total_bytes: 200 << 30,
        clones: 0,
    }
}

fn restore(started: &str, mins: i64, success: bool, corrupt: u64) -> RestoreTest {
    RestoreTest {
        started: t(started),
        finished: t(started) + TimeDelta::minutes(mins),
        success,
        validated: success,
        verification_diff_seconds: success.then_some(42),
        corrupt_blocks: Some(corrupt),
        snapshot: None,
    }
}

/// orcl (OK, snapshots and restore tests), old (stale and failed), broken (ERROR, with markup
/// in its message).
fn sample() -> Report {
    let now = t("2026-11-21T12:00:00Z");
    let stale = Duration::from_secs(26 * 3600);
    let mut orcl = DbReport {
        database: "orcl".into(),
        snapshots: Some(SnapshotSummary::of(vec![
            point("orcl-1", "2026-11-19T10:15:00Z", None),
            point(
                "orcl-2",
                "2026-11-20T10:15:00Z",
                Some("2026-11-19 10:15:03"),
            ),
            point(
                "orcl-3",
                "2026-11-21T10:15:00Z",
                Some("2026-11-20 10:15:02"),
            ),
        ])),
        restores: Some(RestoreSummary::of(vec![
            restore("2026-11-20T02:00:00Z", 35, true, 0),
            restore("2026-11-21T02:00:00Z", 30, true, 0),
        ])),
        last_run: Some(LastRun::from_log(
            "orcl",
            "/backup/orcl/backup_logs/orcl_20261121T101500_imagecopywithsnap.log",
            "Result: SUCCESS\n",
        )),
        ..DbReport::default()
    };
    orcl.assess(now, stale);
    let mut old = DbReport {
        database: "old".into(),
        snapshots: Some(SnapshotSummary::of(vec![point(
            "old-1",
            "2026-11-18T10:15:00Z",
            Some("2026-11-17 10:15:00"),
        )])),
        restores: Some(RestoreSummary::of(vec![
            restore("2026-11-19T02:00:00Z", 30, true, 0),
            restore("2026-11-20T02:00:00Z", 12, false, 1),
        ])),
        ..DbReport::default()
    };
    old.assess(now, stale);
    let mut broken = DbReport {
        database: "broken".into(),
        errors: vec!["jobs: ORA-12541: <script>throw new Error('injected')</script> & co".into()],
        ..DbReport::default()
    };
    broken.assess(now, stale);
    let report = Report {
        format_version: FORMAT_VERSION,
        generated: now,
        databases: vec![orcl, old, broken],
    };
    let statuses: Vec<Status> = report.databases.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [Status::Ok, Status::Failed, Status::Error]);
    report
}

/// Writes `content` as `name` in `dir`, returns its path.
fn write_page(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path
}

/// Loads `content` and returns its console errors, checking that Chromium itself succeeded.
fn console_errors_of(name: &str, content: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), name, content);
    let run = run_chromium(dir.path(), &page, &["--dump-dom"]);
    assert!(
        run.status.success(),
        "chromium failed: {}\n{}",
        run.status,
        run.stderr
    );
    assert!(
        run.stdout.contains("</html>"),
        "no DOM dumped:\n{}",
        run.stdout
    );
    console_errors(&run.stderr)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn report_loads_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), "report.html", &html(&sample()));
    let run = run_chromium(dir.path(), &page, &["--dump-dom"]);
    assert!(
        run.status.success(),
        "chromium failed: {}\n{}",
        run.status,
        run.stderr
    );
    let dom = &run.stdout;
    for needle in [
        "id=\"db-orcl\"",
        "id=\"db-old\"",
        "id=\"db-broken\"",
        "class=\"status-ok\"",
        "class=\"status-failed\"",
        "class=\"status-error\"",
        "id=\"timeline-orcl\"",
        "id=\"timeline-old\"",
        "id=\"timeline-broken\"",
        "<svg",
        "<circle",
        "No snapshots or restore tests to draw.",
        // The error message stays text: the browser built no script element from it.
        "&lt;script&gt;throw new Error('injected')&lt;/script&gt; &amp; co",
    ] {
        assert!(dom.contains(needle), "DOM lacks {needle}:\n{dom}");
    }
    assert!(
        !dom.contains("<script"),
        "script element in the DOM:\n{dom}"
    );
    let errors = console_errors(&run.stderr);
    assert!(
        errors.is_empty(),
        "console errors:\n{}\n\nfull stderr:\n{}",
        errors.join("\n"),
        run.stderr
    );
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG"
    );
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

fn screenshot(dir: &Path, page: &Path, name: &str) -> Vec<u8> {
    let png = dir.join(name);
    let arg = format!("--screenshot={}", png.display());
    let run = run_chromium(dir, page, &[&arg, "--window-size=1280,2000"]);
    assert!(
        run.status.success(),
        "chromium failed: {}\n{}",
        run.status,
        run.stderr
    );
    let errors = console_errors(&run.stderr);
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    fs::read(&png)
        .unwrap_or_else(|e| panic!("no screenshot {}: {e}\n{}", png.display(), run.stderr))
}

#[test]
fn report_screenshot_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), "report.html", &html(&sample()));
    let png = screenshot(dir.path(), &page, "report.png");
    assert_eq!(png_size(&png), (1280, 2000));
    // A blank page of the same size, to tell a drawn page from an empty one.
    let blank = write_page(
        dir.path(),
        "blank.html",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>blank</title></head><body></body></html>",
    );
    let empty = screenshot(dir.path(), &blank, "blank.png");
    eprintln!(
        "report.png {} bytes, blank.png {} bytes",
        png.len(),
        empty.len()
    );
    assert!(png.len() > 20_000, "screenshot only {} bytes", png.len());
    assert!(
        png.len() > 2 * empty.len(),
        "screenshot ({} bytes) hardly bigger than a blank page's ({} bytes)",
        png.len(),
        empty.len()
    );
}

#[test]
fn negative_control_throwing_script_is_detected() {
    let errors = console_errors_of(
        "throws.html",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>throws</title></head>\
         <body><p>negative control</p><script>throw new Error(\"negative control\");</script></body></html>",
    );
    assert!(
        errors
            .iter()
            .any(|l| l.contains("Uncaught Error: negative control")),
        "the throwing script went unnoticed: {errors:?}"
    );
}

/// The report's own page with a network image added: its Content-Security-Policy refuses the
/// load and Chromium logs the violation. (Without the policy a refused connection to port 9
/// logs nothing to the console: the policy is what makes a network asset visible here.)
#[test]
fn negative_control_network_image_is_detected() {
    let page = html(&sample()).replace(
        "</main>",
        "<img src=\"http://127.0.0.1:9/x.png\" alt=\"\"></main>",
    );
    let errors = console_errors_of("image.html", &page);
    assert!(
        errors.iter().any(
            |l| l.contains("http://127.0.0.1:9/x.png") && l.contains("Content Security Policy")
        ),
        "the network image went unnoticed: {errors:?}"
    );
}

/// A script smuggled into the report's page is refused by its policy, and that is noticed.
#[test]
fn negative_control_script_in_report_is_detected() {
    let page = html(&sample()).replace("</main>", "<script>document.title = 'x';</script></main>");
    let errors = console_errors_of("script.html", &page);
    assert!(
        errors
            .iter()
            .any(|l| l.contains("Executing inline script violates")),
        "the inline script went unnoticed: {errors:?}"
    );
}

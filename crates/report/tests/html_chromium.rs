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
#[path = "common/sample.rs"]
mod sample;

use std::fs;
use std::path::{Path, PathBuf};

use chromium::{console_errors, run_chromium};

use report::{html::html, Report, Status};

/// The shared sample: orcl OK, old FAILED, broken ERROR (with markup in its message).
fn sample() -> Report {
    let report = sample::sample();
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
        "&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"more\"",
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

//! Headless Chromium (Debian's `chromium` package) for the tests that open the HTML report:
//! shared by `crates/report/tests/html_chromium.rs` and `bins/tests/report.rs`
//! (`#[path]`-included). Without `chromium` in `PATH` the callers fail and say what to
//! install; a browser that hangs is killed with its process group.

#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest a single Chromium run may take before it is killed (it takes about a second).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The flags of every run. `--headless` is the new headless mode; `--no-sandbox` because CI
/// runs as root; the rest keep a fresh profile quiet and off the network.
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=2000",
];

/// `chromium` from `PATH`; fails the test, saying what to install, when there is none.
pub fn chromium() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("chromium"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "`chromium` is not in PATH: this test opens the HTML report in headless \
                 Chromium. Install Debian's `chromium` package (apt-get install chromium)."
            )
        })
}

/// What a Chromium run left behind.
pub struct Run {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error (the log).
    pub stderr: String,
}

/// Runs Chromium on `page` with `action` (`--dump-dom`, `--screenshot=...`), in its own
/// profile under `dir`; killed (with its process group) after [`TIMEOUT`].
pub fn run_chromium(dir: &Path, page: &Path, action: &[&str]) -> Run {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let (out_path, err_path) = (profile.path().join("stdout"), profile.path().join("stderr"));
    let mut child = Command::new(chromium())
        .args(FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("data").display()
        ))
        .args(action)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromium ({e}); install Debian's `chromium`"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            // The browser, its zygote and renderers share the process group started above.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium {action:?} on {} did not finish within {TIMEOUT:?}; killed. stderr:\n{}",
                page.display(),
                fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    eprintln!(
        "chromium {action:?} took {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Run {
        status,
        stdout: fs::read_to_string(&out_path).unwrap(),
        stderr: fs::read_to_string(&err_path).unwrap(),
    }
}

/// The page's console messages in Chromium's stderr log. Chromium logs each one, whatever its
/// level (`console.log`, uncaught exceptions, CSP violations alike), at INFO as
/// `[pid:tid:MMDD/HHMMSS.micros:INFO:CONSOLE:LINE] "message", source: URL (LINE)` (older
/// versions: `INFO:CONSOLE(LINE)`). A page without scripts has none unless something is wrong,
/// so every one counts as an error. The rest of stderr (D-Bus, GPU, launcher noise) is not
/// about the page.
pub fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE:") || l.contains(":CONSOLE("))
        .collect()
}

/// What a page looked like to the browser.
pub struct Rendered {
    /// The DOM Chromium built (`--dump-dom`).
    pub dom: String,
    /// The page's console messages (see [`console_errors`]).
    pub console_errors: Vec<String>,
}

/// Loads `page` (a file) and returns its DOM and console messages, checking that Chromium
/// itself succeeded and dumped a document.
pub fn render(page: &Path) -> Rendered {
    let dir = tempfile::tempdir().unwrap();
    let run = run_chromium(dir.path(), page, &["--dump-dom"]);
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
    Rendered {
        console_errors: console_errors(&run.stderr)
            .into_iter()
            .map(str::to_string)
            .collect(),
        dom: run.stdout,
    }
}

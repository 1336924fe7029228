//! `demo`, the real binary, as a reader runs it: in a directory of its own, with the other
//! programs beside it (not built by cargo: env `CARGO` removed), twice in a row.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{stderr, stdout};

/// Runs the demo in `dir` with a small database.
fn demo(dir: &Path, exe: &Path) -> Output {
    Command::new(exe)
        .args(["--size-mib", "2"])
        .current_dir(dir)
        .env_remove("CARGO")
        .env_remove("ORACLE_SIM_FAIL")
        .env_remove("BACKUP_LOG_TO_SCREEN")
        .output()
        .unwrap()
}

/// The number after `prefix` on the first line holding it.
fn number_after(text: &str, prefix: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = &l[l.find(prefix)? + prefix.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// The output lines of the first command whose line is `$ <command>` followed by `args`
/// (the rest of the line, e.g. a time), up to the next command or step header.
fn output_of<'a>(text: &'a str, command: &str, args: fn(&str) -> bool) -> Vec<&'a str> {
    let start = format!("$ {command}");
    text.lines()
        .skip_while(|l| !l.strip_prefix(&start).is_some_and(args))
        .skip(1)
        .take_while(|l| !l.starts_with("$ ") && !l.starts_with("== "))
        .collect()
}

fn exactly(rest: &str) -> bool {
    rest.is_empty()
}

fn anything(_: &str) -> bool {
    true
}

fn count_ending(lines: &[&str], end: &str) -> usize {
    lines.iter().filter(|l| l.ends_with(end)).count()
}

/// Checks one run's narration and results.
fn check_run(out: &Output, run: usize) {
    let text = stdout(out);
    let err = stderr(out);
    assert!(out.status.success(), "run {run}: {text}\n{err}");
    assert!(err.is_empty(), "run {run}: stderr: {err}");
    assert!(text.starts_with("== Setup: "), "{text}");
    for (n, title) in [
        (1, "configure RMAN"),
        (2, "the first backup"),
        (3, "the database changes"),
        (4, "the snapshot history"),
        (5, "retention"),
        (6, "a block rots in the image copy"),
        (7, "explore further"),
    ] {
        assert!(
            text.contains(&format!("\n== Step {n}: {title}")),
            "run {run}: no step {n}: {text}"
        );
    }
    // The commands are shown as run, with the configuration.
    assert!(text.contains("\n$ backup --config demo-run/backup.cfg orcl config\n"));
    assert!(text.contains("\n$ zvolume --config demo-run/backup.cfg orcl create\n"));
    // config and four backups succeeded; the first created the copies, the others merged.
    assert_eq!(text.matches("Result: SUCCESS").count(), 5, "{text}");
    assert!(
        text.contains("Datafile copies: 5 created, 0 merged"),
        "{text}"
    );
    assert_eq!(
        text.matches("Datafile copies: 0 created, 5 merged").count(),
        3,
        "{text}"
    );

    // Retention: the plan 40 days ahead, then a real clean that drops all but the newest.
    let zfssnapper = "zfssnapper --config demo-run/backup.cfg orcl";
    let plan = output_of(
        &text,
        &format!("{zfssnapper} clean --dry-run --at "),
        anything,
    );
    assert_eq!(count_ending(&plan, " would drop"), 2, "{text}");
    assert_eq!(count_ending(&plan, " valid"), 1, "{text}");
    let clean = output_of(&text, &format!("{zfssnapper} clean"), exactly);
    assert_eq!(count_ending(&clean, " dropped"), 2, "{text}");
    assert_eq!(count_ending(&clean, " valid"), 1, "{text}");

    // The rotten block: named by the demo, found by dbfverify (exit 1 expected), and the
    // snapshot taken before it verifies clean.
    let block = number_after(&text, "16 bytes in the body of block ").unwrap();
    let verify = output_of(&text, "dbfverify demo-run/backup/orcl", exactly);
    let named = format!("      block {block}: checksum mismatch: stored 0x");
    assert!(
        verify.iter().any(|l| l.starts_with(&named)),
        "dbfverify did not name block {block}: {text}"
    );
    assert!(
        verify.iter().any(
            |l| l.starts_with("    dbfverify: CORRUPT: 5 files verified,")
                && l.contains(", 1 corrupt block in 1 file,")
        ),
        "{text}"
    );
    let snap = output_of(
        &text,
        "backup --config demo-run/backup.cfg orcl verify --snapshot orcl-",
        anything,
    );
    assert!(
        snap.iter()
            .any(|l| l.starts_with("    dbfverify: OK: 5 files verified,")),
        "{text}"
    );
    assert!(
        snap.iter()
            .any(|l| l.ends_with("Verification: all datafile copies are sound")),
        "{text}"
    );

    // Hints with the real paths of the programs, and the timing.
    let exe = Path::new(env!("CARGO_BIN_EXE_zfssnapper"));
    assert!(
        text.contains(&format!(
            "{} --config demo-run/backup.cfg orcl list",
            exe.display()
        )),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("demo finished in "),
        "{text}"
    );
    if run > 0 {
        assert!(
            text.contains("Removing the previous run's ./demo-run/"),
            "{text}"
        );
    }
}

#[test]
fn the_demo_runs_twice_in_a_row() {
    common::oracle_sim();
    let dir = tempfile::tempdir().unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_demo"));
    for run in 0..2 {
        check_run(&demo(dir.path(), exe), run);
    }
    let run_dir = dir.path().join("demo-run");
    assert!(run_dir.join(".demo-run").is_file());
    assert!(run_dir.join("backup.cfg").is_file());
    // Snapshots are read-only (immutable where possible): removed as the demo does.
    snapper_local::remove_tree(&run_dir).unwrap();
}

#[test]
fn a_demo_run_directory_it_did_not_make_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("demo-run");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("precious.txt"), "mine").unwrap();
    let out = demo(dir.path(), Path::new(env!("CARGO_BIN_EXE_demo")));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("demo: setup: ./demo-run exists but was not made by this demo"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("precious.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn without_cargo_a_missing_program_is_named_with_the_command_to_build_it() {
    // The demo alone in a directory: its siblings are missing.
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("demo");
    std::fs::copy(env!("CARGO_BIN_EXE_demo"), &exe).unwrap();
    let out = demo(dir.path(), &exe);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("demo: setup: backup is missing (looked for "),
        "{err}"
    );
    assert!(err.contains("; build it with: cargo build "), "{err}");
    assert!(err.ends_with(" -p bins -p oracle-sim --bins\n"), "{err}");
    assert!(!dir.path().join("demo-run").exists());
}

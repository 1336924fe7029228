//! `demo`, the real binary, as a reader runs it: in a directory of its own, with the other
//! programs beside it (not built by cargo: env `CARGO` removed), twice in a row. Run as root
//! (as CI does), the demo runs every program of its sandbox as the user `imagecopy-demo`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
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

/// The output lines (indented, unlike the narration) of the first command whose line is
/// `$ <command>` followed by `args` (the rest of the line, e.g. a time), up to the next
/// command or step header.
fn output_of<'a>(text: &'a str, command: &str, args: fn(&str) -> bool) -> Vec<&'a str> {
    outputs_of(text, command, args)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The output lines of every command whose line is `$ <command>` followed by `args`.
fn outputs_of<'a>(text: &'a str, command: &str, args: fn(&str) -> bool) -> Vec<Vec<&'a str>> {
    let start = format!("$ {command}");
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.strip_prefix(&start).is_some_and(args))
        .map(|(i, _)| {
            lines[i + 1..]
                .iter()
                .take_while(|l| !l.starts_with("$ ") && !l.starts_with("== "))
                .filter(|l| l.starts_with("    "))
                .copied()
                .collect()
        })
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
        (6, "a restore test"),
        (7, "a block rots in the image copy"),
        (8, "the fleet report"),
        (9, "explore further"),
    ] {
        assert!(
            text.contains(&format!("\n== Step {n}: {title}")),
            "run {run}: no step {n}: {text}"
        );
    }
    // The commands are shown as the reader types them, with the configuration (as root, the
    // demo says once that they run as its user).
    assert!(text.contains("\n$ backup --config demo-run/backup.cfg orcl config\n"));
    assert!(text.contains("\n$ zvolume --config demo-run/backup.cfg orcl create\n"));
    assert!(!text.contains("$ runuser"), "{text}");
    assert_eq!(
        text.contains("\nRun as root: every program of the sandbox runs as the unprivileged user imagecopy-demo (runuser -u imagecopy-demo -- <program>)"),
        root(),
        "{text}"
    );
    // The user is made on the first root run, and the narration says how to remove it.
    assert_eq!(
        text.contains("(remove it with: userdel imagecopy-demo)")
            || text.contains("; remove it with: userdel imagecopy-demo\n"),
        root(),
        "{text}"
    );
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

    // The restore test: the catalog made, the newest snapshot restored and recorded, the
    // probe OK.
    let autorestore = "autorestore demo-run/backup.cfg";
    let created = output_of(&text, &format!("{autorestore} --createcatalog"), exactly);
    assert!(
        created.len() == 1
            && created[0].ends_with("/demo-run/restore/catalog.db: schema version 1 created"),
        "{text}"
    );
    let restores = outputs_of(
        &text,
        &format!("AUTORESTORE_SAFE_SANDBOX=TRUE {autorestore} orcl"),
        exactly,
    );
    assert_eq!(restores.len(), 2, "{text}");
    let first = &restores[0];
    for step in [
        "Step: clone the snapshot ",
        "Step: check every block of the image copies ",
        "Step: recover until the target time ",
        "Step: open read only and verify the time reached ",
    ] {
        assert!(
            first
                .iter()
                .any(|l| l.contains(step) && l.contains("  ok: ")),
            "{step}: {text}"
        );
    }
    assert!(
        first
            .iter()
            .any(|l| l.contains("Result recorded in catalog sqlite:")),
        "{text}"
    );
    assert!(first.contains(&"    Database: orcl SUCCESS"), "{text}");
    let checks = outputs_of(&text, &format!("{autorestore} --check"), exactly);
    assert_eq!(checks.len(), 2, "{text}");
    assert!(
        checks[0].len() == 1
            && checks[0][0].starts_with("    OK: 1 database(s) restored within 2 days"),
        "{text}"
    );
    let dates = output_of(
        &text,
        &format!("{autorestore} --listvalidationdates"),
        exactly,
    );
    assert!(
        dates.len() == 1 && dates[0].starts_with("    orcl: 20"),
        "{text}"
    );

    // The rotten block: named by the demo, found by dbfverify (exit 1 expected) and by the
    // next restore test (exit 1, then the probe is CRITICAL), and the snapshot taken before
    // it verifies clean.
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
    let failed = &restores[1];
    assert!(failed.contains(&"    Database: orcl FAILED"), "{text}");
    assert!(
        failed.iter().any(
            |l| l.contains("Step: check every block of the image copies ")
                && l.contains("  FAILED: 1 corrupt block(s) in 5 datafile(s) verified: ")
        ),
        "{text}"
    );
    assert!(
        failed.iter().any(|l| l.starts_with(
            "    autorestore: orcl: step 'check every block of the image copies' failed: "
        ) && l.contains("_FNO-4_")
            && l.contains(&format!(" block {block}: checksum mismatch"))),
        "the restore test did not name block {block}: {text}"
    );
    assert!(
        !failed
            .iter()
            .any(|l| l.contains("Step: start the instance")),
        "an instance started from a rotten clone: {text}"
    );
    assert!(
        checks[1].len() == 1
            && checks[1][0].starts_with("    CRITICAL: orcl: last restore test failed"),
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

    // The fleet report: the failed restore test makes the database FAILED; the HTML page and
    // the Prometheus file are written.
    let report = output_of(&text, "report --config demo-run/backup.cfg", exactly);
    assert!(
        report
            .iter()
            .any(|l| l.starts_with("      Status: FAILED: latest restore test")),
        "{text}"
    );
    assert!(
        report
            .iter()
            .any(|l| l.starts_with("      Recovery window: ")),
        "{text}"
    );
    assert!(
        text.contains("\n    imagecopy_status{db=\"orcl\"} 2\n"),
        "{text}"
    );

    // Hints with the real paths of the programs (as root, run as the demo's user), and the
    // timing.
    let as_user = if root() {
        "runuser -u imagecopy-demo -- "
    } else {
        ""
    };
    let exe = Path::new(env!("CARGO_BIN_EXE_zfssnapper"));
    assert!(
        text.contains(&format!(
            "\n    {as_user}{} --config demo-run/backup.cfg orcl list\n",
            exe.display()
        )),
        "{text}"
    );
    let exe = Path::new(env!("CARGO_BIN_EXE_autorestore"));
    assert!(
        text.contains(&format!(
            "\n    AUTORESTORE_SAFE_SANDBOX=TRUE {as_user}{} demo-run/backup.cfg orcl\n",
            exe.display()
        )),
        "{text}"
    );
    let exe = Path::new(env!("CARGO_BIN_EXE_restore"));
    assert!(
        text.contains(&format!(
            "\n    {as_user}{} demo-run/backup.cfg orcl --target-time '20",
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

fn root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn the_demo_runs_twice_in_a_row() {
    common::oracle_sim();
    let dir = tempfile::tempdir().unwrap();
    // As root the demo's user must reach demo-run/ (tempdir makes it 0700).
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_demo"));
    for run in 0..2 {
        check_run(&demo(dir.path(), exe), run);
    }
    let run_dir = dir.path().join("demo-run");
    assert!(run_dir.join(".demo-run").is_file());
    let page = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(page.contains("id=\"db-orcl\""), "{page}");
    assert!(run_dir.join("backup.cfg").is_file());
    if root() {
        // Everything in the sandbox belongs to the demo's user, the restore tests' files too.
        let out = Command::new("id")
            .args(["-u", "imagecopy-demo"])
            .output()
            .unwrap();
        let uid: u32 = stdout(&out).trim().parse().unwrap();
        for p in [
            "",
            "backup.cfg",
            "backup/orcl",
            "restore/catalog.db",
            "restore/log",
        ] {
            let meta = std::fs::metadata(run_dir.join(p)).unwrap();
            assert_eq!(meta.uid(), uid, "demo-run/{p}");
        }
    }
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

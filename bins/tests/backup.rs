//! `backup`, the real binary, against oracle-sim and the stateful fake ZFS Storage Appliance
//! (whose snapshots hold real copies of the backup area under `.zfs/snapshot/<name>`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use backupcore::restoreparams::RestoreParams;
use chrono::{Duration, Utc};
use common::{copy_checkpoints, stderr, stdout, value_after, World, POOL, PROJECT};

fn recovery_point(out: &std::process::Output) -> (u64, String) {
    let text = stdout(out);
    let v = value_after(&text, "Recovery point: SCN ").unwrap_or_else(|| panic!("{text}"));
    let (scn, time) = v.split_once(" at ").unwrap();
    (scn.parse().unwrap(), time.to_string())
}

fn snapshot_created(out: &std::process::Output) -> String {
    let text = stdout(out);
    value_after(&text, "Snapshot created: ")
        .unwrap_or_else(|| panic!("{text}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_cycle_config_then_five_merges_with_snapshots_and_retention() {
    let w = World::new(&["orcl"], "").await;
    let db = w.db("orcl");
    // An old snapshot the retention (7 days, no monthly) must drop on the first run.
    w.fake.add_snapshot(
        POOL,
        PROJECT,
        "orcl",
        "orcl-old",
        Utc::now() - Duration::days(40),
        0,
        0,
    );

    let out = w.backup(&["orcl", "config"], &[]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(w.area("orcl").join("archivelog").is_dir());

    let mut points = Vec::new();
    let mut snaps = Vec::new();
    for run in 0..5 {
        if run > 0 {
            db.admin("workload", &["--blocks", "40", "--seed", &run.to_string()]);
        }
        let before = copy_checkpoints(&w.area("orcl"));
        let out = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
        let text = stdout(&out);
        assert!(out.status.success(), "run {run}: {text}{}", stderr(&out));
        assert!(text.contains("Result: SUCCESS"), "{text}");
        let point = recovery_point(&out);
        let snap = snapshot_created(&out);

        // Copies: created by the first run, merged by the others.
        if run == 0 {
            assert!(
                text.contains("Datafile copies: 4 created, 0 merged"),
                "{text}"
            );
            assert!(text.contains("Snapshots dropped: 1 (orcl-old)"), "{text}");
        } else {
            assert!(
                text.contains("Datafile copies: 0 created, 4 merged"),
                "{text}"
            );
        }
        let after = copy_checkpoints(&w.area("orcl"));
        assert_eq!(after.len(), 4);
        assert!(
            after.values().all(|scn| *scn > point.0),
            "copies not merged past the recovery point"
        );

        // The snapshot holds the copies as they were before this run's merge, and the
        // recovery point recorded just before it.
        let sdir = w.snapshot_dir("orcl", &snap);
        assert_eq!(
            copy_checkpoints(&sdir),
            before,
            "run {run}: snapshot is not the pre-merge state"
        );
        let params = RestoreParams::read(&sdir.join("autorestore.cfg"))
            .unwrap()
            .unwrap_or_else(|| panic!("no autorestore.cfg in snapshot {snap}"));
        let rp = params.recovery_point().unwrap();
        assert_eq!((rp.scn, rp.time.clone()), point, "snapshot {snap}");
        assert_eq!(params.get("db_name"), Some("orcl"));
        assert!(params.get("db_block_size").is_some());
        points.push(point);
        snaps.push(snap);
    }
    // One snapshot per run, all kept (within 7 days), the old one gone; SCNs increase.
    let mut want = snaps.clone();
    want.sort();
    assert_eq!(w.snapshots("orcl"), want);
    assert!(points.windows(2).all(|p| p[0].0 < p[1].0), "{points:?}");
    // Archivelogs in the backup area (the extra destination set by config).
    let archived = std::fs::read_dir(w.area("orcl").join("archivelog"))
        .unwrap()
        .count();
    assert!(
        archived >= 10,
        "only {archived} archivelogs in the backup area"
    );
    // The live autorestore.cfg holds the parameters; the lock is gone.
    let live = RestoreParams::read(&w.area("orcl").join("autorestore.cfg"))
        .unwrap()
        .unwrap();
    assert_eq!(live.get("db_name"), Some("orcl"));
    assert!(!w.area("orcl").join("backup.lck").exists());

    // Order from the run log of the last run: snapshot taken before the merge's RMAN call.
    let log = std::fs::read_to_string(w.logs("orcl").last().unwrap()).unwrap();
    let snap_at = log.find("Created snapshot: ").unwrap();
    let merge_at = log.find("----- rman: imagecopy -----").unwrap();
    let clean_at = log.find("Clean expired snapshots").unwrap();
    assert!(snap_at < merge_at && merge_at < clean_at, "order in log");
    // No run log holds the storage password.
    for l in w.logs("orcl") {
        let text = std::fs::read_to_string(&l).unwrap();
        assert!(!text.contains(common::PASSWORD), "{}", l.display());
    }
    // Environment information in the log: srvctl (gimanaged) and the patch inventory.
    assert!(log.contains("Database unique name: orcl"), "{log}");
    assert!(log.contains("OPatch succeeded."), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_snapshot_means_no_merge() {
    let w = World::new(&["orcl"], "").await;
    assert!(w.backup(&["orcl", "config"], &[]).await.status.success());
    let first = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert!(first.status.success());
    w.db("orcl")
        .admin("workload", &["--blocks", "40", "--seed", "7"]);
    let before = copy_checkpoints(&w.area("orcl"));
    let snaps_before = w.snapshots("orcl");

    w.fake.fail_next("POST", "/snapshots", 500, None);
    let out = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    // One error line (after the plain-HTTP warning every run prints for this lab URL).
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("backup: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].starts_with("backup: orcl imagecopywithsnap: step 4 (snapshot) failed: storage:"),
        "{err}"
    );
    let log = w.log_of(&out);
    assert!(
        !log.contains("----- rman: imagecopy -----"),
        "merge ran: {log}"
    );
    assert_eq!(copy_checkpoints(&w.area("orcl")), before);
    assert_eq!(w.snapshots("orcl"), snaps_before);
    assert!(
        !w.area("orcl").join("backup.lck").exists(),
        "lock left behind"
    );
    assert!(stdout(&out).contains("Result: FAILED at step 4 (snapshot)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_merge_keeps_the_snapshot_releases_the_lock_and_names_the_step() {
    let w = World::new(&["orcl"], "").await;
    assert!(w.backup(&["orcl", "config"], &[]).await.status.success());
    let first = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert!(first.status.success());
    w.db("orcl")
        .admin("workload", &["--blocks", "40", "--seed", "3"]);
    let before = copy_checkpoints(&w.area("orcl"));

    let out = w
        .backup(
            &["orcl", "imagecopywithsnap"],
            &[("ORACLE_SIM_FAIL", "rman:recover")],
        )
        .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("step 6 (merge (incremental level 1 + recover copy)) failed: rman imagecopy failed (exit 1)"),
        "{err}"
    );
    assert!(
        err.contains("ORA-19870") || err.contains("RMAN-03002"),
        "{err}"
    );
    // This run's snapshot protects the previous good copy: it exists and holds it.
    let snap = snapshot_created(&out);
    assert_eq!(copy_checkpoints(&w.snapshot_dir("orcl", &snap)), before);
    assert!(w.snapshots("orcl").contains(&snap));
    assert!(
        !w.area("orcl").join("backup.lck").exists(),
        "lock left behind"
    );
    // The next run works.
    let again = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert!(again.status.success(), "{}", stdout(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_runs_never_overlap() {
    let w = World::new(&["orcl"], "").await;
    assert!(w.backup(&["orcl", "config"], &[]).await.status.success());
    let (a, b) = tokio::join!(
        w.backup(&["orcl", "imagecopywithsnap"], &[]),
        w.backup(&["orcl", "imagecopywithsnap"], &[])
    );
    assert!(a.status.success(), "{}{}", stdout(&a), stderr(&a));
    assert!(b.status.success(), "{}{}", stdout(&b), stderr(&b));
    // Each run's locked interval, from its log's timestamps.
    let interval = |out: &std::process::Output| {
        let log = w.log_of(out);
        let stamp = |needle: &str| {
            let line = log.lines().find(|l| l.contains(needle)).unwrap();
            chrono::NaiveDateTime::parse_from_str(&line[..23], "%Y-%m-%d %H:%M:%S,%3f").unwrap()
        };
        (stamp("Lock taken: "), stamp("Releasing the lock"))
    };
    let (a0, a1) = interval(&a);
    let (b0, b1) = interval(&b);
    assert!(
        a1 <= b0 || b1 <= a0,
        "runs overlapped: {a0}..{a1} and {b0}..{b1}"
    );
    // Both made their snapshot, one after the other.
    assert_ne!(snapshot_created(&a), snapshot_created(&b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dosnapshot_false_skips_the_snapshot() {
    let w = World::new(&["orcl"], "dosnapshot: false").await;
    assert!(w.backup(&["orcl", "config"], &[]).await.status.success());
    let out = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("skipped (dosnapshot: false)"));
    assert!(w.snapshots("orcl").is_empty());
    assert!(w.fake.requests().is_empty(), "storage was called");
    // Failing diagnostics are warnings, not failures.
    let out = w
        .backup(
            &["orcl", "imagecopywithsnap"],
            &[("ORACLE_SIM_FAIL", "opatch,srvctl")],
        )
        .await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("WARNING (srvctl failed, opatch failed)"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setschedule_never_shows_the_os_password() {
    const OSPW: &str = "Os-Passw0rd-42";
    let w = World::new(&["orcl"], "").await;
    let out = w.backup(&["orcl", "setschedule"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("OSPASSWORD must be set"),
        "{}",
        stderr(&out)
    );

    let out = w
        .backup(&["orcl", "setschedule"], &[("OSPASSWORD", OSPW)])
        .await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let log = w.log_of(&out);
    assert!(log.contains("CREATE_CREDENTIAL"), "{log}");
    for text in [stdout(&out), stderr(&out), log] {
        assert!(!text.contains(OSPW), "OS password leaked: {text}");
    }
    let dry = w
        .backup(
            &["--dry-run", "orcl", "setschedule"],
            &[("OSPASSWORD", OSPW)],
        )
        .await;
    assert!(dry.status.success());
    assert!(!stdout(&dry).contains(OSPW));
    assert!(
        stdout(&dry).contains("password=>'********'"),
        "{}",
        stdout(&dry)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_every_script_and_touches_nothing() {
    let w = World::new(&["orcl"], "registercatalog: true\nrmancatalog: /@rman\n").await;
    let mut all = String::new();
    for action in [
        "config",
        "imagecopywithsnap",
        "backupimagecopy",
        "missingarchlog",
        "validatebackup",
        "report",
        "generaterestore",
        "setschedule",
        "verify",
    ] {
        let out = w
            .backup(
                &["--dry-run", "orcl", action],
                &[("OSPASSWORD", "Dry-Run-Pw")],
            )
            .await;
        assert!(out.status.success(), "{action}: {}", stderr(&out));
        let text = stdout(&out)
            .replace(&w.base().display().to_string(), "[BASE]")
            .replace(
                &std::env::current_exe()
                    .unwrap()
                    .parent()
                    .unwrap()
                    .parent()
                    .unwrap()
                    .display()
                    .to_string(),
                "[BIN]",
            );
        let text = regex_lite_time(&text);
        all.push_str(&format!(
            "===== backup --dry-run orcl {action} =====\n{text}"
        ));
    }
    // Nothing touched: no lock, no log, no storage call.
    assert!(w.fake.requests().is_empty(), "storage was called");
    assert!(w.logs("orcl").is_empty(), "a log was written");
    assert!(!w.area("orcl").join("backup.lck").exists());
    assert!(!w.area("orcl").join("archivelog").exists());
    insta::assert_snapshot!("dry_run_all_actions", all);
}

/// Replaces `YYYYMMDDTHHMMSS` stamps (log file names, snapshot names) with `[TIME]`.
fn regex_lite_time(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let is_stamp = bytes.len() >= i + 15
            && bytes[i..i + 8].iter().all(u8::is_ascii_digit)
            && bytes[i + 8] == b'T'
            && bytes[i + 9..i + 15].iter().all(u8::is_ascii_digit);
        if is_stamp {
            out.push_str("[TIME]");
            i += 15;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_the_area_and_a_snapshot_and_names_a_rotten_block() {
    let w = World::new(&["orcl"], "").await;
    assert!(w.backup(&["orcl", "config"], &[]).await.status.success());
    assert!(w
        .backup(&["orcl", "imagecopywithsnap"], &[])
        .await
        .status
        .success());
    w.db("orcl")
        .admin("workload", &["--blocks", "20", "--seed", "1"]);
    let out = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert!(out.status.success());
    let snap = snapshot_created(&out);

    let ok = w.backup(&["orcl", "verify"], &[]).await;
    assert_eq!(ok.status.code(), Some(0), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("dbfverify: OK: 4 files verified"),
        "{}",
        stdout(&ok)
    );
    let ok = w
        .backup(&["orcl", "verify", "--snapshot", &snap], &[])
        .await;
    assert_eq!(ok.status.code(), Some(0), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).contains("4 files verified"), "{}", stdout(&ok));

    // Rot one block of a live copy, as in the seed blog.
    let copy = std::fs::read_dir(w.area("orcl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("TS-USERS")
        })
        .unwrap();
    datafile::damage::bit_flip(&copy, 10, 8 * 100 + 3).unwrap();
    let bad = w.backup(&["orcl", "verify"], &[]).await;
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("block 10"), "{}", stdout(&bad));
    // The snapshot taken before is still sound.
    let ok = w
        .backup(&["orcl", "verify", "--snapshot", &snap], &[])
        .await;
    assert_eq!(ok.status.code(), Some(0));
    let missing = w
        .backup(&["orcl", "verify", "--snapshot", "orcl-nope"], &[])
        .await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("orcl-nope"),
        "{}",
        stderr(&missing)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_line_with_exit_2() {
    let w = World::new(&["orcl"], "").await;
    for (args, want) in [
        (vec!["orcl", "imagecopy"], "unknown action \"imagecopy\""),
        (vec!["nosuchdb", "config"], "nosuchdb"),
        (
            vec!["orcl", "config", "--snapshot", "x"],
            "--snapshot is only for the verify action",
        ),
    ] {
        let out = w.backup(&args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with("backup: ") && err.contains(want),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    std::fs::remove_dir_all(w.area("orcl")).unwrap();
    let out = w.backup(&["orcl", "imagecopywithsnap"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is the backup filesystem mounted?"),
        "{}",
        stderr(&out)
    );
    assert!(
        !w.area("orcl").exists(),
        "the backup area was created on the local disk"
    );
}

//! The image-copy backup cycle, with RMAN scripts rendered from our templates, run against the
//! simulated `rman`: level-0 copies, merges after workloads, corruption inside a copy that the
//! merges never repair but the copy validation finds, syntax errors and injected faults.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::{backup_script, backup_subs, rman, rman_failed, rman_succeeded, text, Sim};
use datafile::{ByteOrder, CacheHeader};
use rman::parse::RmanSummary;
use rman::template::{
    rman_script, BackupLevel, RmanAction, ScriptOptions, TemplateKind, TemplateSet,
};

fn script(sim: &Sim, action: RmanAction<'_>) -> String {
    backup_script(sim, "", action)
}

/// A successful run that printed no RMAN- message at all.
fn rman_ok(sim: &Sim, script: &str) -> String {
    let stdout = rman_succeeded(&rman(sim, script, &[]));
    assert!(!stdout.contains("RMAN-"), "{stdout}");
    stdout
}

fn config(sim: &Sim) -> String {
    rman_ok(
        sim,
        &script(
            sim,
            RmanAction::Config {
                already_registered: false,
            },
        ),
    )
}

fn imagecopy(sim: &Sim) -> String {
    rman_ok(
        sim,
        &script(sim, RmanAction::Backup(BackupLevel::ImageCopy)),
    )
}

/// (datafile path, copy path, copy checkpoint SCN) of every datafile.
fn copies(sim: &Sim) -> Vec<(PathBuf, PathBuf, u64)> {
    let st = sim.state();
    st.datafiles
        .iter()
        .map(|df| {
            let c = st
                .datafile_copies
                .iter()
                .find(|c| !c.deleted && c.file_number == df.file_number)
                .unwrap();
            let ckp = st
                .rman
                .copies
                .iter()
                .find(|k| k.path == c.path)
                .unwrap()
                .checkpoint_scn;
            (df.path.clone(), c.path.clone(), ckp)
        })
        .collect()
}

const BS: usize = 8192;

fn block(path: &Path, n: usize) -> Vec<u8> {
    std::fs::read(path).unwrap()[n * BS..(n + 1) * BS].to_vec()
}

fn scn_of(b: &[u8]) -> u64 {
    CacheHeader::parse(b, ByteOrder::native()).unwrap().scn
}

fn header_checkpoint(path: &Path) -> u64 {
    let start = std::fs::read(path).unwrap();
    match datafile::identify(&start, &datafile::Overrides::default()) {
        datafile::FileKind::Datafile(h) => h.checkpoint_scn,
        other => panic!("{}: {other:?}", path.display()),
    }
}

/// Every copy equals its datafile block for block, except block 1 (the file header), whose
/// checkpoint SCN is the copy's; and that SCN is above every block SCN of the datafile.
///
/// Exact because no workload ran after the backup: each datafile is still as of the copy's
/// checkpoint. Block 0 (OS header) and blocks 2..N are compared byte for byte; block 1
/// differs by design (the copy's `kcvfhckp`, written by the backup and by each merge) and is
/// checked through its decoded checkpoint SCN instead.
fn assert_copies_current(sim: &Sim) {
    for (df, copy, ckp) in copies(sim) {
        let a = std::fs::read(&df).unwrap();
        let b = std::fs::read(&copy).unwrap();
        assert_eq!(a.len(), b.len(), "{}", copy.display());
        assert_eq!(a[..BS], b[..BS], "block 0 of {}", copy.display());
        for (n, (x, y)) in a.chunks(BS).zip(b.chunks(BS)).enumerate().skip(2) {
            assert!(
                x == y,
                "block {n} of {} differs from {}",
                copy.display(),
                df.display()
            );
            if !datafile::is_all_zero(x) {
                assert!(
                    scn_of(x) <= ckp,
                    "block {n} of {} is newer than the copy",
                    df.display()
                );
            }
        }
        assert_eq!(header_checkpoint(&copy), ckp, "{}", copy.display());
        assert!(
            datafile::verify_file(&copy, &Default::default(), &mut |_| {})
                .map(|o| matches!(o, datafile::Outcome::Verified(r) if r.is_clean()))
                .unwrap()
        );
    }
}

fn workload(sim: &Sim, seed: &str) {
    let out = sim.admin("workload", &["--blocks", "60", "--seed", seed]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_stores_the_settings_and_show_all_prints_them() {
    let sim = Sim::new();
    let stdout = config(&sim);
    let dest = sim.backupdest();
    assert!(
        stdout.contains(
            "RMAN> CONNECT TARGET *\nconnected to target database: ORCL (DBID=1433672784)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\necho set on\n"), "{stdout}");
    assert!(stdout.contains(&format!(
        "RMAN> CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '{}/%U';\nnew RMAN configuration parameters:\nCONFIGURE CHANNEL DEVICE TYPE DISK FORMAT   '{}/%U';\nnew RMAN configuration parameters are successfully stored\n",
        dest.display(),
        dest.display()
    )), "{stdout}");
    // Configuring again shows the old values.
    let stdout = config(&sim);
    assert!(stdout.contains("old RMAN configuration parameters:\nCONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF 2 DAYS;\n"), "{stdout}");
    let show = rman_ok(
        &sim,
        "SET ECHO ON\nCONNECT TARGET /@orcl\nshow all;\nEXIT\n",
    );
    assert!(show.contains("RMAN configuration parameters for database with db_unique_name ORCL are:\nCONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF 2 DAYS;\nCONFIGURE BACKUP OPTIMIZATION ON;\n"), "{show}");
    assert!(
        show.contains("CONFIGURE DEVICE TYPE DISK PARALLELISM 4 BACKUP TYPE TO BACKUPSET;\n"),
        "{show}"
    );
    assert!(
        show.contains("CONFIGURE MAXSETSIZE TO UNLIMITED; # default\n"),
        "{show}"
    );
}

#[test]
fn image_copy_cycle_merges_block_by_block_and_never_repairs_a_rotten_copy_block() {
    let sim = Sim::new();
    config(&sim);
    let dest = sim.backupdest();

    // First run: level-0 copies of the four datafiles.
    let stdout = imagecopy(&sim);
    assert_eq!(
        stdout
            .matches("channel ORA_DISK_1: starting datafile copy")
            .count(),
        4,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "output file name={}/data_D-ORCL_I-1433672784_TS-SYSTEM_FNO-1_",
            dest.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("RMAN> run {\n2> backup  incremental level 1 for recover of copy with tag 'image_copy_backup' database;\n"), "{stdout}");
    assert!(stdout.contains("Finished recover at "), "{stdout}");
    assert!(stdout.contains("no obsolete backups found"), "{stdout}");
    assert_copies_current(&sim);
    assert!(dest.join("after_backup_controlfile.cf").is_file());
    // Our parser of RMAN output reads the run as it reads real RMAN's.
    let sum = RmanSummary::parse(&stdout);
    assert!(sum.complete);
    assert_eq!(sum.target.as_ref().unwrap().dbid, Some(1_433_672_784));
    assert_eq!(sum.copies.len(), 4);
    assert_eq!(sum.datafile_copies_completed, 4);
    assert!(
        sum.commands
            .iter()
            .all(|c| c.completed && c.finished.is_some()),
        "{:?}",
        sum.commands
    );

    // Three workloads, each followed by a merge.
    for seed in ["1", "2", "3"] {
        let before = copies(&sim);
        workload(&sim, seed);
        let stdout = imagecopy(&sim);
        assert_eq!(
            stdout
                .matches("channel ORA_DISK_1: starting datafile copy")
                .count(),
            0,
            "{stdout}"
        );
        assert_eq!(
            stdout.matches("\npiece handle=").count(),
            4 + 2 + 2,
            "4 incremental + spfile + control file + 2 autobackups\n{stdout}"
        );
        assert_eq!(
            stdout
                .matches("Starting Control File and SPFILE Autobackup at")
                .count(),
            2
        );
        let sum = RmanSummary::parse(&stdout);
        assert!(sum.complete);
        assert_eq!(sum.recovered_copies.len(), 4);
        assert_eq!(sum.pieces_restored, 4);
        assert_eq!(sum.backup_sets_completed, 4 + 2);
        assert_eq!(sum.deleted.len() as u64, sum.deleted_reported);
        assert_eq!(
            stdout
                .matches("recovering datafile copy file number=")
                .count(),
            4,
            "{stdout}"
        );
        assert!(stdout.contains("Deleted "), "{stdout}");
        let after = copies(&sim);
        for ((_, p0, c0), (_, p1, c1)) in before.iter().zip(&after) {
            assert_eq!(p0, p1, "the copy stays in place");
            assert!(c1 > c0, "the checkpoint of {} advanced", p1.display());
        }
        assert_copies_current(&sim);
        // The incremental pieces were applied, then deleted.
        let st = sim.state();
        assert!(st
            .rman
            .pieces
            .iter()
            .filter(|p| p.kind == "incremental")
            .all(|p| p.deleted && !p.path.exists()));
    }

    // Rot in a copy: damage block B of the USERS copy, a block the next workload leaves alone.
    let (df4, copy4, ckp4) = copies(&sim).into_iter().nth(3).unwrap();
    let b = 7usize;
    let good = block(&copy4, b);
    assert_eq!(
        datafile::damage::bit_flip(&copy4, b as u64, 8 * 100 + 3).unwrap(),
        [b as u64]
    );
    workload(&sim, "4");
    assert_eq!(block(&df4, b), good, "the workload did not touch block {b}");
    assert!(scn_of(&good) <= ckp4);
    imagecopy(&sim);
    // The merge succeeded, and left the rotten block as it was.
    let rotten = block(&copy4, b);
    assert_ne!(rotten, good);
    // All other blocks are current.
    let prod = std::fs::read(&df4).unwrap();
    let copy = std::fs::read(&copy4).unwrap();
    for (n, (x, y)) in prod.chunks(BS).zip(copy.chunks(BS)).enumerate().skip(2) {
        assert_eq!(x == y, n != b, "block {n}");
    }

    // dbverify on the copy names the block.
    let report = match datafile::verify_file(&copy4, &Default::default(), &mut |_| {}).unwrap() {
        datafile::Outcome::Verified(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        report.failures.iter().map(|f| f.block).collect::<Vec<_>>(),
        [b as u64]
    );

    // The production database validates clean; the copies do not.
    let stdout = rman_ok(
        &sim,
        "SET ECHO ON\nCONNECT TARGET /@orcl\nbackup validate check logical database;\nEXIT\n",
    );
    assert!(stdout.contains("List of Datafiles\n"), "{stdout}");
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert!(sim.state().rman.corruptions.is_empty());
    for cmd in [
        "validate datafilecopy all;",
        "backup validate check logical datafilecopy all;",
    ] {
        let stdout = rman_ok(
            &sim,
            &format!("SET ECHO ON\nCONNECT TARGET /@orcl\n{cmd}\nEXIT\n"),
        );
        assert!(stdout.contains("List of Datafile Copies\n"), "{stdout}");
        assert!(stdout.contains("\n4    FAILED 0   "), "{stdout}");
        assert!(stdout.contains(&format!("  File Name: {}\n  Block Type Blocks Failing Blocks Processed\n  ---------- -------------- ----------------\n  Data       1 ", copy4.display())), "{stdout}");
        assert!(
            stdout.contains("validate found one or more corrupt blocks"),
            "{stdout}"
        );
        assert_eq!(stdout.matches(" OK ").count(), 3, "{stdout}");
        let st = sim.state();
        assert_eq!(st.rman.corruptions.len(), 1);
        let c = &st.rman.corruptions[0];
        assert_eq!((c.file_number, c.block, c.blocks), (4, b as u64, 1));
        assert_eq!(c.copy.as_deref(), Some(copy4.as_path()));
    }
}

#[test]
fn section_size_is_accepted() {
    let sim = Sim::new();
    config(&sim);
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let s = rman_script(
        &set,
        &backup_subs(&sim, "section size 1G"),
        ScriptOptions::default(),
        RmanAction::Backup(BackupLevel::ImageCopy),
    )
    .unwrap();
    let stdout = rman_ok(&sim, &s);
    assert_eq!(
        stdout.matches("starting datafile copy").count(),
        4,
        "{stdout}"
    );
    assert_copies_current(&sim);
}

#[test]
fn archivelogs_older_than_the_window_are_deleted_everywhere() {
    let sim = Sim::new();
    for _ in 0..2 {
        assert!(sim.admin("switch-logfile", &[]).status.success());
    }
    config(&sim);
    // Three days later: both logs are older than sysdate-2.
    assert!(sim
        .admin("set-clock", &["--offset-secs", "259200"])
        .status
        .success());
    assert!(sim.admin("switch-logfile", &[]).status.success());
    let stdout = imagecopy(&sim);
    assert!(
        stdout.contains("deleted archived log\narchived log file name="),
        "{stdout}"
    );
    let st = sim.state();
    let (old, new) = st.archived_logs.split_at(2);
    for log in old {
        for c in &log.copies {
            assert!(c.deleted && !c.path.exists(), "{}", c.path.display());
        }
    }
    for c in &new[0].copies {
        assert!(!c.deleted && c.path.exists(), "{}", c.path.display());
    }
}

#[test]
fn syntax_errors_and_unsimulated_commands_fail_like_rman() {
    let sim = Sim::new();
    config(&sim);
    let out = rman(
        &sim,
        "SET ECHO ON\nCONNECT TARGET /@orcl\nbakup database;\nshow all;\nEXIT\n",
        &[],
    );
    let stdout = rman_failed(&out);
    let e = rman::parse::errors::first_error(&stdout).unwrap();
    assert_eq!(e.id(), "RMAN-00558");
    assert!(stdout.contains("RMAN-01008: the bad identifier was: bakup\nRMAN-01007: at line 3 column 1 file: standard input\n"), "{stdout}");
    assert!(
        !stdout.contains("RMAN configuration parameters for database"),
        "nothing after the error runs: {stdout}"
    );

    // A command RMAN knows but the simulator does not: a syntax error too, and nothing of
    // the run block runs.
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let s = rman_script(
        &set,
        &backup_subs(&sim, ""),
        ScriptOptions::default(),
        RmanAction::Entry("report"),
    )
    .unwrap();
    let stdout = rman_failed(&rman(&sim, &s, &[]));
    assert_eq!(
        rman::parse::errors::first_error(&stdout).unwrap().id(),
        "RMAN-00558"
    );
    let s = "CONNECT TARGET /@orcl\nrun {\nbackup incremental level 1 for recover of copy with tag 'x' database;\nrestore database validate;\n}\nEXIT\n";
    rman_failed(&rman(&sim, s, &[]));
    assert!(sim.state().datafile_copies.is_empty());

    // A script cut in the middle of a command.
    let stdout = rman_failed(&rman(&sim, "CONNECT TARGET /@orcl\nshow all\n", &[]));
    assert!(stdout.contains("found \"end-of-file\""), "{stdout}");

    // Not connected.
    let stdout = rman_failed(&rman(&sim, "show all;\nEXIT\n", &[]));
    assert!(
        stdout.contains("RMAN-06171: not connected to target database"),
        "{stdout}"
    );

    // Unknown alias; catalog.
    let stdout = rman_failed(&rman(&sim, "CONNECT TARGET /@nosuchdb\nEXIT\n", &[]));
    assert!(stdout.contains("ORA-12154"), "{stdout}");
    let stdout = rman_failed(&rman(
        &sim,
        "CONNECT TARGET /@orcl\nCONNECT CATALOG rman/x@rcat\nEXIT\n",
        &[],
    ));
    assert!(stdout.contains("RMAN-04004"), "{stdout}");
}

#[test]
fn injected_faults_fail_the_step() {
    let sim = Sim::new();
    config(&sim);
    let s = script(&sim, RmanAction::Backup(BackupLevel::ImageCopy));

    let stdout = rman_failed(&rman(&sim, &s, &[("ORACLE_SIM_FAIL", "rman:backup")]));
    let e = rman::parse::errors::first_error(&stdout).unwrap();
    assert_eq!(e.id(), "RMAN-03009");
    assert!(
        rman::parse::errors::find_errors(&stdout)
            .iter()
            .any(|e| e.id() == "ORA-19502"),
        "{stdout}"
    );
    assert!(rman::parse::errors::error_summary(&stdout)
        .unwrap()
        .contains("ORA-19502: write error on file"));
    assert!(sim.state().datafile_copies.is_empty(), "nothing was copied");

    imagecopy(&sim);
    workload(&sim, "9");
    let before = copies(&sim);
    let stdout = rman_failed(&rman(&sim, &s, &[("ORACLE_SIM_FAIL", "rman:recover")]));
    assert_eq!(
        rman::parse::errors::first_error(&stdout).unwrap().id(),
        "RMAN-03002"
    );
    assert!(stdout.contains("ORA-19870"), "{stdout}");
    assert_eq!(copies(&sim), before, "the copies were not changed");
    // The next run merges the pieces left by the failed one.
    imagecopy(&sim);
    assert_copies_current(&sim);

    let stdout = rman_failed(&rman(&sim, &s, &[("ORACLE_SIM_FAIL", "rman:connect")]));
    assert_eq!(
        rman::parse::errors::first_error(&stdout).unwrap().id(),
        "RMAN-00554"
    );
    assert!(stdout.contains("ORA-01034"), "{stdout}");
}

#[test]
fn log_option_writes_the_output_to_the_file() {
    let sim = Sim::new();
    let log = sim.base().join("rman.log");
    std::fs::write(&log, "before\n").unwrap();
    let out = sim.tool(
        "rman",
        &["log", log.to_str().unwrap(), "append"],
        "SET ECHO ON\nCONNECT TARGET /@orcl\nEXIT\n",
        &[],
    );
    assert!(out.status.success());
    assert!(text(&out).is_empty());
    let t = std::fs::read_to_string(&log).unwrap();
    assert!(t.starts_with("before\n"), "{t}");
    assert!(
        t.contains("connected to target database: ORCL (DBID=1433672784)"),
        "{t}"
    );
}

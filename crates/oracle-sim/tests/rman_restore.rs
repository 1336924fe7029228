//! A restore test against a clone of the backup area, with the RMAN entries of our restore
//! templates run by the simulated `rman`: a throw-away instance started nomount, the control
//! file restored from the backup's `after_backup_controlfile.cf`, mounted, the clone
//! cataloged, the datafiles switched to the copies, recovered until a time with the archived
//! logs, and validated: a block rotten in a copy of the clone is reported there.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::NaiveDateTime;
use common::{
    admin_ok, backup_script, configure_for_backup, copy_dir, rman, rman_failed, rman_succeeded,
    text, Sim,
};
use rman::template::{BackupLevel, RmanAction, Substitutions, TemplateKind, TemplateSet};

fn ok(out: &Output) -> String {
    rman_succeeded(out)
}

fn failed(out: &Output) -> String {
    rman_failed(out)
}

/// The backup cycle: level-0 copies, a workload, a merge, log switches archived into the
/// backup area. The restore target lies after the merge (the copies' checkpoint) and before
/// the last log switch. Returns the target time (`yyyy-mm-dd hh24:mi:ss`).
fn backed_up(sim: &Sim) -> String {
    let dest = sim.backupdest();
    configure_for_backup(sim, false);
    let imagecopy = backup_script(sim, "", RmanAction::Backup(BackupLevel::ImageCopy));
    ok(&rman(sim, &imagecopy, &[]));
    admin_ok(sim, "switch-logfile", &[]);
    admin_ok(sim, "workload", &["--blocks", "60", "--seed", "1"]);
    admin_ok(sim, "set-clock", &["--offset-secs", "100"]);
    ok(&rman(sim, &imagecopy, &[]));
    admin_ok(sim, "switch-logfile", &[]);
    admin_ok(sim, "set-clock", &["--offset-secs", "200"]);
    let target = sim.state().now().format("%Y-%m-%d %H:%M:%S").to_string();
    admin_ok(sim, "workload", &["--blocks", "20", "--seed", "2"]);
    admin_ok(sim, "set-clock", &["--offset-secs", "300"]);
    admin_ok(sim, "switch-logfile", &[]);
    assert!(dest.join("after_backup_controlfile.cf").is_file());
    target
}

/// Clones the backup area to `<base>/clone` (with an `autorestore.cfg`, as the original's
/// clones have).
fn clone_area(sim: &Sim) -> PathBuf {
    let clone = sim.base().join("clone");
    copy_dir(&sim.backupdest(), &clone);
    std::fs::write(clone.join("autorestore.cfg"), "[autorestore]\n").unwrap();
    clone
}

/// The clone's copy of datafile `fno`.
fn clone_copy(clone: &Path, fno: u32) -> PathBuf {
    let tag = format!("_FNO-{fno}_");
    std::fs::read_dir(clone)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().contains(&tag))
        .unwrap()
}

fn restore_subs(sim: &Sim, clone: &Path, target: &str) -> Substitutions {
    let c = clone.to_str().unwrap();
    Substitutions::new()
        .with("mountdestination", c)
        .with(
            "autorestoredestination",
            sim.base().join("restore").to_str().unwrap(),
        )
        .with(
            "catalogstatements",
            format!("catalog start with '{c}/' noprompt;"),
        )
        .with("lasttime", target)
}

/// The RMAN part of the autorestore flow, from our restore templates. The instance is
/// started nomount by RMAN here (`startup nomount`; SQL*Plus `startup` is not simulated).
fn restore_script(sim: &Sim, clone: &Path, target: &str, steps: &[&str]) -> String {
    let set = TemplateSet::builtin(TemplateKind::Restore).unwrap();
    let subs = restore_subs(sim, clone, target);
    let mut s = set.render("rmanheader", &subs).unwrap();
    s.push('\n');
    for step in steps {
        if *step == "startup" {
            s.push_str("startup nomount;\n");
        } else if *step == "switch" {
            // What switchdatafiles prints when every datafile has a copy.
            s.push_str("switch database to copy;\n");
        } else {
            s.push_str(&set.render(step, &subs).unwrap());
            s.push('\n');
        }
    }
    s.push_str(&set.render("rmanfooter", &subs).unwrap());
    s.push('\n');
    s
}

const ALL: &[&str] = &[
    "startup",
    "rmanmount",
    "rmancatalog",
    "switch",
    "recoverdatafiles",
    "validateblocks",
];

#[test]
fn restore_of_a_clone_recovers_until_the_target_and_validate_finds_the_rotten_copy_block() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let clone = clone_area(&sim);
    let copy4 = clone_copy(&clone, 4);
    let b = 7u64;
    assert_eq!(
        datafile::damage::bit_flip(&copy4, b, 8 * 100 + 3).unwrap(),
        [b]
    );

    let s = restore_script(&sim, &clone, &target, ALL);
    let stdout = ok(&rman(&sim, &s, &[]));
    let c = clone.display();
    assert!(stdout.contains("Oracle instance started\n"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "3> restore controlfile from '{c}/after_backup_controlfile.cf';\n4> }}\nusing target database control file instead of recovery catalog\nallocated channel: c1\nchannel c1: SID=46 device type=DISK\n\nStarting restore at "
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("channel c1: restoring control file\nchannel c1: restore complete"),
        "{stdout}"
    );
    assert!(stdout.contains("Statement processed\n"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "searching for all files that match the pattern {c}/\n"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("List of Cataloged Files\n"), "{stdout}");
    // Files that are neither copies nor logs are listed as not cataloged, as RMAN does.
    assert!(
        stdout.contains(&format!(
            "File Name: {c}/autorestore.cfg\n  RMAN-07517: Reason: The file header is corrupted\n"
        )),
        "{stdout}"
    );
    for fno in 1..=4 {
        assert!(
            stdout.contains(&format!(
                "datafile {fno} switched to datafile copy \"{}\"\n",
                clone_copy(&clone, fno).display()
            )),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("executing command: SET until clause\n"),
        "{stdout}"
    );
    assert!(stdout.contains("starting media recovery\n"), "{stdout}");
    assert!(
        stdout.contains("media recovery complete, elapsed time: 00:00:01\n"),
        "{stdout}"
    );
    // Validate succeeds and lists the corruption (RMAN: the command completes, exit 0).
    assert!(stdout.contains("4    FAILED 0              "), "{stdout}");
    assert!(
        stdout.contains(&format!("  File Name: {}\n", copy4.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("validate found one or more corrupt blocks\n"),
        "{stdout}"
    );

    let st = sim.state();
    let inst = st.instance.as_ref().unwrap();
    assert_eq!(inst.status, "MOUNTED");
    for d in &inst.datafiles {
        assert!(d.switched);
        assert_eq!(d.path, clone_copy(&clone, d.file_number));
        assert!(d.path.starts_with(&clone));
    }
    let until = NaiveDateTime::parse_from_str(&target, "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(inst.recovered_until, Some(until));
    let reached = inst.recovered_scn.unwrap();
    assert!(inst.datafiles.iter().all(|d| d.checkpoint_scn == reached));
    // The logs used are those of the clone.
    assert!(inst
        .archived_logs
        .iter()
        .all(|l| l.path.starts_with(&clone)));
    // Recovery read the clone's logs from the copies' checkpoint to the target, and no more:
    // the target lies inside the last archived log.
    let ckp = st
        .rman
        .copies
        .iter()
        .filter(|c| {
            st.datafile_copies
                .iter()
                .any(|d| !d.deleted && d.path == c.path)
        })
        .map(|c| c.checkpoint_scn)
        .min()
        .unwrap();
    let needed: Vec<_> = st
        .archived_logs
        .iter()
        .filter(|l| l.next_scn > ckp && l.first_scn <= reached)
        .collect();
    assert_eq!(needed.len(), 2, "{:?}", st.archived_logs);
    let last = st.archived_logs.last().unwrap();
    assert!(last.first_scn <= reached && reached < last.next_scn);
    assert!(ckp <= reached);
    for l in &needed {
        let name = l
            .copies
            .iter()
            .find(|c| c.dest_id == 3)
            .unwrap()
            .path
            .file_name()
            .unwrap()
            .to_owned();
        let in_clone = clone.join("archivelog").join(name);
        assert!(
            stdout.contains(&format!(
                "archived log for thread 1 with sequence {} is already on disk as file {}\n",
                l.sequence,
                in_clone.display()
            )),
            "{stdout}"
        );
    }
    assert_eq!(
        stdout.matches("archived log file name=").count(),
        2,
        "{stdout}"
    );
    // Exactly the rotten block, in the instance's v$database_block_corruption; the source
    // database's view is untouched.
    assert_eq!(inst.corruptions.len(), 1, "{:?}", inst.corruptions);
    let bad = inst.corruptions.first().unwrap();
    assert_eq!((bad.file_number, bad.block, bad.blocks), (4, b, 1));
    assert_eq!(bad.copy, None);
    assert!(st.rman.corruptions.is_empty());

    // The instance goes away with shutdown abort.
    let out = rman(&sim, "connect target /\nshutdown abort;\nexit\n", &[]);
    assert!(ok(&out).contains("Oracle instance shut down\n"));
    assert!(sim.state().instance.is_none());
}

#[test]
fn a_missing_archived_log_stops_the_recovery_with_rman_06054() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let clone = clone_area(&sim);
    // The log holding the copies' checkpoint is missing from the clone.
    let st = sim.state();
    let ckp = st
        .rman
        .copies
        .iter()
        .filter(|c| {
            st.datafile_copies
                .iter()
                .any(|d| !d.deleted && d.path == c.path)
        })
        .map(|c| c.checkpoint_scn)
        .min()
        .unwrap();
    let log = st
        .archived_logs
        .iter()
        .find(|l| l.first_scn <= ckp && ckp < l.next_scn)
        .unwrap();
    let name = log
        .copies
        .iter()
        .find(|c| c.dest_id == 3)
        .unwrap()
        .path
        .file_name()
        .unwrap()
        .to_owned();
    std::fs::remove_file(clone.join("archivelog").join(&name)).unwrap();

    let s = restore_script(&sim, &clone, &target, ALL);
    let stdout = failed(&rman(&sim, &s, &[]));
    assert!(
        stdout.contains(&format!(
            "RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence {} and starting SCN of {}\n",
            log.sequence, log.first_scn
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("RMAN-03002: failure of recover command at "),
        "{stdout}"
    );
    // The script stopped there: no validation.
    assert!(!stdout.contains("Starting backup at"), "{stdout}");
    let inst = sim.state().instance.unwrap();
    assert_eq!(inst.recovered_scn, None);
}

#[test]
fn a_target_before_the_copies_checkpoint_cannot_be_reached() {
    let sim = Sim::new();
    backed_up(&sim);
    let clone = clone_area(&sim);
    // Long before the last merge.
    let s = restore_script(&sim, &clone, "2000-01-01 00:00:00", ALL);
    let stdout = failed(&rman(&sim, &s, &[]));
    assert!(
        stdout.contains("RMAN-06556: datafile 1 must be restored from backup older than SCN "),
        "{stdout}"
    );
}

#[test]
fn restore_steps_check_the_instance_and_their_inputs() {
    let sim = Sim::new();
    backed_up(&sim);
    let clone = clone_area(&sim);
    let subs = restore_subs(&sim, &clone, "2000-01-01 00:00:00");
    let set = TemplateSet::builtin(TemplateKind::Restore).unwrap();
    let mount = set.render("rmanmount", &subs).unwrap();

    // No instance: ORACLE not available.
    let stdout = failed(&rman(
        &sim,
        &format!("connect target /\n{mount}\nexit\n"),
        &[],
    ));
    assert!(
        stdout.contains("ORA-01034: ORACLE not available"),
        "{stdout}"
    );
    // Not a control file backup.
    let s = format!(
        "connect target /\nstartup nomount;\nrestore controlfile from '{}/autorestore.cfg';\nexit\n",
        clone.display()
    );
    let stdout = failed(&rman(&sim, &s, &[]));
    assert!(
        stdout.contains(
            "RMAN-06172: no AUTOBACKUP found or specified handle is not a valid copy or piece"
        ),
        "{stdout}"
    );
    // Started already.
    let stdout = failed(&rman(
        &sim,
        "connect target /\nstartup nomount;\nexit\n",
        &[],
    ));
    assert!(stdout.contains("ORA-01081"), "{stdout}");
    // Not mounted: no catalog.
    let s = format!(
        "connect target /\ncatalog start with '{}/' noprompt;\nexit\n",
        clone.display()
    );
    let stdout = failed(&rman(&sim, &s, &[]));
    assert!(
        stdout.contains("ORA-01507: database not mounted"),
        "{stdout}"
    );
    // Mounted without any copy cataloged: no switch.
    let s = format!("connect target /\n{mount}\nswitch database to copy;\nexit\n");
    let stdout = failed(&rman(&sim, &s, &[]));
    assert!(
        stdout.contains("RMAN-06571: datafile 1 does not have recoverable copy"),
        "{stdout}"
    );
    ok(&rman(
        &sim,
        "connect target /\nshutdown abort;\nexit\n",
        &[],
    ));
    // `set until` and `allocate channel` only inside run.
    for cmd in [
        "set until time \"to_date('2000-01-01 00:00:00', 'yyyy-mm-dd hh24:mi:ss')\";",
        "allocate channel c1 device type disk;",
    ] {
        let stdout = failed(&rman(
            &sim,
            &format!("connect target /\n{cmd}\nexit\n"),
            &[],
        ));
        assert!(
            stdout.contains("RMAN-00558: error encountered while parsing input commands"),
            "{stdout}"
        );
    }
}

#[test]
fn injected_faults_fail_each_restore_step() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let clone = clone_area(&sim);
    for (step, first_error, stopped_before) in [
        ("restorecontrolfile", "ORA-19870", "Statement processed"),
        ("catalog", "ORA-19625", "List of Cataloged Files"),
        ("switch", "ORA-19625", "switched to datafile copy"),
        ("recoverdatabase", "ORA-00283", "starting media recovery"),
        ("validate", "ORA-19501", "List of Datafiles"),
    ] {
        let s = restore_script(&sim, &clone, &target, ALL);
        let fail = format!("rman:{step}");
        let stdout = failed(&rman(&sim, &s, &[("ORACLE_SIM_FAIL", fail.as_str())]));
        assert!(stdout.contains(first_error), "{step}: {stdout}");
        assert!(!stdout.contains(stopped_before), "{step}: {stdout}");
        ok(&rman(
            &sim,
            "connect target /\nshutdown abort;\nexit\n",
            &[],
        ));
    }
    // Without faults the same script runs through.
    let s = restore_script(&sim, &clone, &target, ALL);
    ok(&rman(&sim, &s, &[]));
}

fn sqlplus_ok(sim: &Sim, script: &str) -> String {
    let out = sim.sqlplus(script, &[]);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(!stdout.contains("ORA-"), "{stdout}");
    stdout
}

#[test]
fn sqlplus_starts_opens_and_stops_the_instance_of_the_template_flow() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let clone = clone_area(&sim);
    let set = TemplateSet::builtin(TemplateKind::Restore).unwrap();
    let restoredir = sim.base().join("restore");
    std::fs::create_dir_all(&restoredir).unwrap();
    let initora = restoredir.join("init.ora");
    std::fs::write(&initora, "*.db_name='orcl'\n").unwrap();
    let subs = restore_subs(&sim, &clone, &target)
        .with("logfile", restoredir.join("restore.log").to_str().unwrap())
        .with("initora", initora.to_str().unwrap());
    let sql = |entry: &str| {
        format!(
            "{}\n{}\n{}\n",
            set.render("sqlplusheader", &subs).unwrap(),
            set.render(entry, &subs).unwrap(),
            set.render("sqlplusfooter", &subs).unwrap()
        )
    };

    // startupnomount, with a missing pfile first.
    let missing = sql("startupnomount").replace(initora.to_str().unwrap(), "/no/such/init.ora");
    let out = sim.sqlplus(&missing, &[]);
    assert_eq!(out.status.code(), Some(1), "{}\n---\n{missing}", text(&out));
    assert!(text(&out).contains("ORA-01078: failure in processing system parameters\nLRM-00109: could not open parameter file '/no/such/init.ora'"), "{}", text(&out));
    let stdout = sqlplus_ok(&sim, &sql("startupnomount"));
    assert!(
        stdout.contains("ORACLE instance started.\n\nTotal System Global Area"),
        "{stdout}"
    );
    assert_eq!(sim.state().instance.unwrap().status, "NOMOUNT");

    // The RMAN part, without RMAN's startup.
    let steps: Vec<&str> = ALL.iter().copied().filter(|s| *s != "startup").collect();
    ok(&rman(
        &sim,
        &restore_script(&sim, &clone, &target, &steps),
        &[],
    ));

    let stdout = sqlplus_ok(
        &sim,
        "whenever sqlerror exit failure\nconn / as sysdba\nalter database open read only;\nexit\n",
    );
    assert!(stdout.contains("Database altered."), "{stdout}");
    assert_eq!(sim.state().instance.unwrap().status, "OPEN READ ONLY");
    let stdout = sqlplus_ok(&sim, &sql("shutdown"));
    assert!(
        stdout.contains("Database closed.\nDatabase dismounted.\nORACLE instance shut down.\n"),
        "{stdout}"
    );
    assert!(sim.state().instance.is_none());
    // shutdownabort with no instance is fine, as in SQL*Plus.
    let stdout = sqlplus_ok(&sim, &sql("shutdownabort"));
    assert!(stdout.contains("ORACLE instance shut down.\n"), "{stdout}");

    // Opening needs the recovery.
    sqlplus_ok(&sim, &sql("startupnomount"));
    let steps = ["rmanmount", "rmancatalog", "switch"];
    ok(&rman(
        &sim,
        &restore_script(&sim, &clone, &target, &steps),
        &[],
    ));
    let out = sim.sqlplus(
        "whenever sqlerror exit failure\nconn / as sysdba\nalter database open read only;\nexit\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ORA-01113: file 1 needs media recovery"),
        "{}",
        text(&out)
    );
    sqlplus_ok(&sim, &sql("shutdownabort"));
}

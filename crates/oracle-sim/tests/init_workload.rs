//! `oracle-sim init` and `oracle-sim workload` make real, valid datafiles.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::Sim;
use datafile::{verify_file, FileKind, Outcome, VerifyOptions};

fn verify(path: &Path) -> datafile::FileReport {
    match verify_file(path, &VerifyOptions::default(), &mut |_| {}).unwrap() {
        Outcome::Verified(r) => r,
        Outcome::Skipped { reason, .. } => panic!("{} skipped: {reason}", path.display()),
    }
}

#[test]
fn init_creates_state_home_tns_and_clean_datafiles() {
    let sim = Sim::new();
    let st = sim.state();
    assert_eq!(st.db_name, "orcl");
    assert_eq!(st.dbid, 1_433_672_784);
    assert!(!st.cdb);
    assert_eq!(st.datafiles.len(), 4);
    let ts: Vec<&str> = st.datafiles.iter().map(|d| d.tablespace.as_str()).collect();
    assert_eq!(ts, ["SYSTEM", "SYSAUX", "UNDOTBS1", "USERS"]);
    for tool in ["rman", "sqlplus", "sqlldr", "adrci", "opatch", "srvctl"] {
        assert!(sim.oracle_home().join("bin").join(tool).exists(), "{tool}");
    }
    let tns = std::fs::read_to_string(sim.tns_admin().join("tnsnames.ora")).unwrap();
    assert!(tns.starts_with("orcl ="), "{tns}");
    for df in &st.datafiles {
        let r = verify(&df.path);
        assert!(r.is_clean(), "{}: {:?}", df.path.display(), r.failures);
        assert_eq!(r.header.dbid, st.dbid);
        assert_eq!(r.header.db_name, "ORCL");
        assert_eq!(r.header.file_number, df.file_number);
        assert_eq!(r.header.tablespace, df.tablespace);
        assert!(r.pages_data > 0);
        assert!(r.highest_scn < st.current_scn);
    }
}

#[test]
fn init_refuses_an_existing_database_and_bad_names() {
    let sim = Sim::new();
    let again = std::process::Command::new(common::EXE)
        .args(["init", "--root"])
        .arg(sim.base())
        .args(["--db", "orcl", "--dbid", "1"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let dir = tempfile::tempdir().unwrap();
    let bad = std::process::Command::new(common::EXE)
        .args(["init", "--root"])
        .arg(dir.path())
        .args(["--db", "muchtoolongname", "--dbid", "1"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn workload_changes_blocks_and_files_stay_clean_with_higher_scn() {
    let sim = Sim::new();
    let before = sim.state();
    let highest_before: Vec<u64> = before
        .datafiles
        .iter()
        .map(|d| verify(&d.path).highest_scn)
        .collect();
    let contents_before: Vec<Vec<u8>> = before
        .datafiles
        .iter()
        .map(|d| std::fs::read(&d.path).unwrap())
        .collect();
    let out = sim.admin("workload", &["--blocks", "40", "--seed", "7"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = sim.state();
    assert!(after.current_scn > before.current_scn);
    assert!(after.current_log_redo_bytes > before.current_log_redo_bytes);
    let mut changed_files = 0;
    let mut max_after = 0;
    for (i, df) in after.datafiles.iter().enumerate() {
        let r = verify(&df.path);
        assert!(r.is_clean(), "{}: {:?}", df.path.display(), r.failures);
        assert!(r.highest_scn >= highest_before[i]);
        max_after = max_after.max(r.highest_scn);
        if std::fs::read(&df.path).unwrap() != contents_before[i] {
            changed_files += 1;
        }
        assert!(r.highest_scn <= after.current_scn);
    }
    assert!(changed_files > 0);
    assert!(max_after > *highest_before.iter().max().unwrap());
}

#[test]
fn switch_logfile_writes_an_archived_redo_log() {
    let sim = Sim::new();
    let out = sim.admin("switch-logfile", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = sim.state();
    assert_eq!(st.archived_logs.len(), 1);
    let copy = &st.archived_logs[0].copies[0];
    let bytes = std::fs::read(&copy.path).unwrap();
    match datafile::identify(&bytes, &datafile::Overrides::default()) {
        FileKind::NotDatafile { reason } => {
            assert!(reason.starts_with(datafile::REASON_REDO_LOG), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(st.current_sequence, 2);
}

#[test]
fn cdb_init_and_other_tools() {
    let sim = Sim::with_args(&["--cdb"]);
    assert!(sim.state().cdb);
    let out = sim.tool("srvctl", &["config", "database", "-d", "orcl"], "", &[]);
    assert!(out.status.success());
    assert!(common::text(&out).contains("Database unique name: orcl"));
    let out = sim.tool("srvctl", &["config", "database", "-d", "other"], "", &[]);
    assert!(!out.status.success());
    let out = sim.tool("opatch", &["lsinventory"], "", &[]);
    assert!(out.status.success());
    assert!(common::text(&out).contains("OPatch succeeded."));
    let out = sim.tool(
        "srvctl",
        &["config", "database", "-d", "orcl"],
        "",
        &[("ORACLE_SIM_FAIL", "srvctl")],
    );
    assert!(!out.status.success());
    // rman is simulated: an empty script ends like EXIT.
    let out = sim.tool("rman", &[], "", &[]);
    assert!(out.status.success());
    assert!(common::text(&out).ends_with("Recovery Manager complete.\n"));
    // adrci with no commands prints its banner; sqlldr without a control file fails.
    let out = sim.tool("adrci", &[], "", &[]);
    assert!(out.status.success());
    assert!(common::text(&out).contains("ADRCI: Release 12.1.0.2.0 - Production"));
    let out = sim.tool("sqlldr", &[], "", &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn add_and_drop_datafile() {
    let sim = Sim::new();
    let out = sim.admin("add-datafile", &["--tablespace", "data", "--size-mib", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = sim.state();
    let df = st.datafiles.last().unwrap().clone();
    assert_eq!((df.file_number, df.tablespace.as_str()), (5, "DATA"));
    let r = verify(&df.path);
    assert!(r.is_clean(), "{:?}", r.failures);
    assert_eq!(r.header.file_number, 5);
    assert!(r.highest_scn > df.creation_scn);
    let out = sim.admin("drop-datafile", &["--file", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!df.path.exists());
    assert_eq!(sim.state().datafiles.len(), 4);
    assert!(!sim
        .admin("drop-datafile", &["--file", "5"])
        .status
        .success());
    assert!(!sim
        .admin("drop-datafile", &["--file", "1"])
        .status
        .success());
}

#[test]
fn concurrent_workloads_are_serialised_by_the_state_lock() {
    let sim = Sim::new();
    let before = sim.state().current_scn;
    let children: Vec<_> = (0..4)
        .map(|i| {
            std::process::Command::new(common::EXE)
                .args(["workload", "--root"])
                .arg(sim.base())
                .args(["--blocks", "5", "--seed"])
                .arg(i.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let st = sim.state();
    // Every run added at least 5 blocks' worth of SCNs to the state it read.
    assert!(
        st.current_scn >= before + 4 * 6,
        "{} -> {}",
        before,
        st.current_scn
    );
    // Released by every run: taken at once.
    let started = std::time::Instant::now();
    drop(oracle_sim::state::StateLock::acquire(&sim.sim_root()).unwrap());
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    for df in &st.datafiles {
        assert!(verify(&df.path).is_clean());
    }
}

/// Whether `bytes` holds any of the sample rows' names in clear text.
fn plaintext(bytes: &[u8]) -> bool {
    ["SMITH", "ALLEN", "SCOTT", "KING", "CLERK", "MANAGER"]
        .iter()
        .any(|w| bytes.windows(w.len()).any(|x| x == w.as_bytes()))
}

fn verified_clean(path: &std::path::Path) -> datafile::FileReport {
    match datafile::verify_file(path, &datafile::VerifyOptions::default(), &mut |_| {}).unwrap() {
        datafile::Outcome::Verified(r) => {
            assert!(r.is_clean(), "{r:?}");
            r
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_encrypted_tablespace_holds_no_plaintext_in_its_files_or_copies() {
    let sim = Sim::new();
    let st = sim.state();
    let users = st
        .datafiles
        .iter()
        .find(|d| d.tablespace == "USERS")
        .unwrap()
        .clone();
    let before = std::fs::read(&users.path).unwrap();
    assert!(plaintext(&before));
    let before_report = verified_clean(&users.path);

    let out = sim.admin("encrypt-tablespace", &["--tablespace", "users"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st2 = sim.state();
    assert_eq!(st2.encrypted_tablespaces, ["USERS"]);
    assert!(st2.current_scn > st.current_scn);
    let after = std::fs::read(&users.path).unwrap();
    assert!(!plaintext(&after));
    assert_eq!(after.len(), before.len());
    // Same formatted blocks, valid checksums, at the new SCN.
    let r = verified_clean(&users.path);
    assert_eq!(r.pages_data, before_report.pages_data);
    assert!(r.highest_scn > before_report.highest_scn);
    // Other tablespaces are untouched.
    let system = st
        .datafiles
        .iter()
        .find(|d| d.tablespace == "SYSTEM")
        .unwrap();
    assert!(plaintext(&std::fs::read(&system.path).unwrap()));

    // The view, and errors.
    let out = sim.sqlplus(
        "conn / as sysdba\nset pages 0\nselect ts#, encryptionalg, encryptedts, status from v$encrypted_tablespaces;\nexit\n",
        &[],
    );
    let stdout = common::text(&out);
    assert!(stdout.contains("AES128  YES NORMAL"), "{stdout}");
    assert_eq!(stdout.matches("AES128").count(), 1, "{stdout}");
    for (ts, err) in [
        ("users", "ORA-28431"),
        ("system", "ORA-28370"),
        ("nosuch", "ORA-00959"),
    ] {
        let out = sim.admin("encrypt-tablespace", &["--tablespace", ts]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains(err), "{ts}");
    }

    // Later changes stay opaque, and so do the image copies RMAN makes.
    let out = sim.admin("workload", &["--blocks", "200", "--seed", "9"]);
    assert!(out.status.success());
    assert!(!plaintext(&std::fs::read(&users.path).unwrap()));
    verified_clean(&users.path);
    let dest = sim.backupdest();
    use rman::template::{BackupLevel, RmanAction};
    common::rman_succeeded(&common::rman(
        &sim,
        &common::backup_script(
            &sim,
            "",
            RmanAction::Config {
                already_registered: false,
            },
        ),
        &[],
    ));
    common::rman_succeeded(&common::rman(
        &sim,
        &common::backup_script(&sim, "", RmanAction::Backup(BackupLevel::ImageCopy)),
        &[],
    ));
    let copy = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("_TS-USERS_"))
        .unwrap();
    assert!(!plaintext(&std::fs::read(&copy).unwrap()));
    verified_clean(&copy);
}

//! The SQL*Plus scripts of the backup path, rendered from our templates, run against the
//! simulated `sqlplus`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;

use chrono::NaiveDateTime;
use common::{text, Sim};
use rman::parse::markers::Markers;
use rman::template::{sqlplus_script, Substitutions, TemplateKind, TemplateSet};

const NOW: &str = "2016-11-08 21:53:35";

fn subs(sim: &Sim, configname: &str) -> Substitutions {
    let backupdest = sim.backupdest();
    Substitutions::new()
        .with("configname", configname)
        .with("logfile", sim.base().join("run.log").to_str().unwrap())
        .with("backupdest", backupdest.to_str().unwrap())
        .with("archdir", backupdest.join("archivelog").to_str().unwrap())
        .with("dbid", "1433672784")
}

/// The script of template entry `entry` (with the SQL*Plus header and footer when `header`).
fn script(sim: &Sim, entry: &str, header: bool) -> String {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let subs = subs(sim, "orcl");
    sqlplus_script(&set, &subs, &set.render(entry, &subs).unwrap(), header).unwrap()
}

fn run_ok(sim: &Sim, script: &str, env: &[(&str, &str)]) -> String {
    let out = sim.sqlplus(script, env);
    let stdout = text(&out);
    assert!(
        out.status.success(),
        "sqlplus failed ({:?})\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("ORA-"), "{stdout}");
    assert!(!stdout.contains("SP2-"), "{stdout}");
    stdout
}

fn configure(sim: &Sim) -> String {
    run_ok(sim, &script(sim, "configfromsqlplus", true), &[])
}

#[test]
fn wrong_alias_is_ora_12154_and_failure() {
    let sim = Sim::new();
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let subs = subs(&sim, "nosuchdb");
    let body = set.render("archivecurrentlogs", &subs).unwrap();
    let s = sqlplus_script(&set, &subs, &body, true).unwrap();
    let out = sim.sqlplus(&s, &[]);
    assert!(!out.status.success());
    let stdout = text(&out);
    assert!(
        stdout
            .contains("ERROR:\nORA-12154: TNS:could not resolve the connect identifier specified"),
        "{stdout}"
    );
    assert!(!stdout.contains("CURRENT DATABASE SCN"), "{stdout}");
    // Nothing was archived.
    assert!(sim.state().archived_logs.is_empty());
}

#[test]
fn config_enables_bct_and_adds_the_backup_area_destination() {
    let sim = Sim::new();
    let stdout = configure(&sim);
    let archdir = sim.backupdest().join("archivelog");
    assert!(
        stdout.contains(&format!(
            "Setting log_archive_dest_2 to {}/",
            archdir.display()
        )),
        "{stdout}"
    );
    let st = sim.state();
    let bct = st.bct_file.clone().expect("BCT enabled");
    assert!(bct.is_file());
    let dest2 = st.archive_dests.iter().find(|d| d.dest_id == 2).unwrap();
    assert_eq!(dest2.location().unwrap(), format!("{}/", archdir.display()));
    // Twice: nothing more to do.
    let again = configure(&sim);
    assert!(
        again.contains("BCT already enabled or database is not EE"),
        "{again}"
    );
    assert!(!again.contains("Setting"), "{again}");
    assert_eq!(sim.state().archive_dests, st.archive_dests);
}

#[test]
fn archivecurrentlogs_markers_match_the_state_and_logs_go_to_both_destinations() {
    let sim = Sim::new();
    configure(&sim);
    let before = sim.state();
    let stdout = run_ok(
        &sim,
        &script(&sim, "archivecurrentlogs", true),
        &[("ORACLE_SIM_NOW", NOW)],
    );
    let m = Markers::parse(&stdout).unwrap();
    assert_eq!(m.scn, Some(before.current_scn));
    assert_eq!(
        m.time,
        Some(NaiveDateTime::parse_from_str(NOW, "%Y-%m-%d %H:%M:%S").unwrap())
    );
    assert_eq!(
        m.bct_path(),
        Some(before.bct_file.as_ref().unwrap().to_str().unwrap())
    );
    assert!(stdout.contains("3 rows selected."), "{stdout}");
    assert!(
        stdout.contains("PL/SQL procedure successfully completed."),
        "{stdout}"
    );
    assert!(stdout.contains("\nSystem altered.\n"), "{stdout}");
    assert!(stdout.contains("Elapsed: 00:00:01."), "{stdout}");

    let after = sim.state();
    assert!(after.current_scn > before.current_scn);
    assert_eq!(after.archived_logs.len(), 1);
    let log = &after.archived_logs[0];
    assert!(log.next_scn > before.current_scn);
    assert_eq!(log.copies.len(), 2);
    let archdir = sim.backupdest().join("archivelog");
    assert!(log.copies.iter().any(|c| c.path.starts_with(&archdir)));
    assert!(log
        .copies
        .iter()
        .any(|c| c.path.starts_with(sim.base().join("fra"))));
    for c in &log.copies {
        let bytes = std::fs::read(&c.path).unwrap();
        assert!(matches!(
            datafile::identify(&bytes, &datafile::Overrides::default()),
            datafile::FileKind::NotDatafile { reason } if reason.starts_with(datafile::REASON_REDO_LOG)
        ));
    }
    // The spool file (the run log) got the echoed statements, as in the original's logs.
    let spool = std::fs::read_to_string(sim.base().join("run.log")).unwrap();
    assert!(
        spool.contains("SQL> alter system archive log current;"),
        "{spool}"
    );
    assert!(
        spool.contains("  2  select 'CURRENT DATABASE SCN: '"),
        "{spool}"
    );
    assert!(spool.contains("CURRENT DATABASE SCN: "), "{spool}");
}

#[test]
fn bct_file_empty_when_tracking_is_off() {
    let sim = Sim::new();
    let stdout = run_ok(&sim, &script(&sim, "archivecurrentlogs", true), &[]);
    let m = Markers::parse(&stdout).unwrap();
    assert_eq!(m.bct_file, Some(None));
    assert!(m.scn.is_some() && m.time.is_some());
}

#[test]
fn archivelogmissing_lists_logs_missing_from_the_backup_area() {
    let sim = Sim::new();
    // Two logs archived before the backup-area destination exists.
    for _ in 0..2 {
        assert!(sim.admin("switch-logfile", &[]).status.success());
    }
    configure(&sim);
    let stdout = run_ok(&sim, &script(&sim, "archivelogmissing", true), &[]);
    let m = Markers::parse(&stdout).unwrap();
    assert_eq!(
        m.archivelog_backups,
        [
            "BACKUP force as copy archivelog sequence 1 thread 1;",
            "BACKUP force as copy archivelog sequence 2 thread 1;"
        ]
    );
    // A log archived now reaches both destinations and is not missing.
    run_ok(&sim, &script(&sim, "archivecurrentlogs", true), &[]);
    let stdout = run_ok(&sim, &script(&sim, "archivelogmissing", true), &[]);
    assert_eq!(Markers::parse(&stdout).unwrap().archivelog_backups.len(), 2);
}

#[test]
fn archivelogmissing_without_missing_logs_prints_no_rows() {
    let sim = Sim::new();
    let stdout = run_ok(&sim, &script(&sim, "archivelogmissing", true), &[]);
    assert!(stdout.contains("\nno rows selected\n"), "{stdout}");
}

#[test]
fn deletedatafilecopy_lists_copies_of_dropped_datafiles() {
    let sim = Sim::new();
    let stdout = run_ok(&sim, &script(&sim, "deletedatafilecopy", true), &[]);
    assert!(Markers::parse(&stdout).unwrap().delete_copies.is_empty());
    let mut st = sim.state();
    for (n, creation) in [(4, st.datafiles[3].creation_scn), (9, 1234)] {
        st.datafile_copies.push(oracle_sim::state::DatafileCopy {
            file_number: n,
            creation_scn: creation,
            path: Path::new("/nfs/backup/orcl")
                .join(format!("data_D-ORCL_I-1433672784_TS-X_FNO-{n}")),
            tag: "IMAGE_COPY_BACKUP".into(),
            deleted: false,
        });
    }
    st.save(&sim.sim_root()).unwrap();
    let stdout = run_ok(&sim, &script(&sim, "deletedatafilecopy", true), &[]);
    assert_eq!(
        Markers::parse(&stdout).unwrap().delete_copies,
        ["delete noprompt datafilecopy '/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-X_FNO-9';"]
    );
}

#[test]
fn autorestoreparameters_prints_dbconfig_lines() {
    let sim = Sim::new();
    let stdout = run_ok(
        &sim,
        &script(&sim, "autorestoreparameters", true),
        &[("ORACLE_SIM_NOW", NOW)],
    );
    let m = Markers::parse(&stdout).unwrap();
    assert_eq!(m.db_name(), Some("orcl"));
    assert_eq!(m.db_block_size(), Some(8192));
    assert_eq!(m.db_files(), Some(200));
    assert_eq!(m.enable_pluggable_database(), Some(false));
    assert_eq!(m.dbconfig_value("compatible"), Some("12.1.0.2.0"));
    assert_eq!(m.dbconfig_value("undo_tablespace"), Some("UNDOTBS1"));
    assert_eq!(
        m.backup_finished(),
        Some(NaiveDateTime::parse_from_str(NOW, "%Y-%m-%d %H:%M:%S").unwrap())
    );
    assert!(
        !stdout.contains("7 rows selected"),
        "feedback is off: {stdout}"
    );
}

#[test]
fn cdbdetect_tells_cdb_from_non_cdb() {
    let sim = Sim::new();
    let stdout = run_ok(&sim, &script(&sim, "cdbdetect", true), &[]);
    assert_eq!(
        Markers::parse(&stdout).unwrap().cdb,
        Some(rman::parse::markers::CdbDetect::NotCdb)
    );
    let cdb = Sim::with_args(&["--cdb"]);
    let stdout = run_ok(&cdb, &script(&cdb, "cdbdetect", true), &[]);
    let m = Markers::parse(&stdout).unwrap();
    assert_eq!(
        m.cdb.as_ref().map(|c| c.user_prefix().to_string()),
        Some("C##".to_string())
    );
}

#[test]
fn unknown_statement_is_ora_00900_and_failure() {
    let sim = Sim::new();
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let subs = subs(&sim, "orcl");
    let s = sqlplus_script(
        &set,
        &subs,
        "select * from no_such_view;\nalter system archive log current;",
        true,
    )
    .unwrap();
    let out = sim.sqlplus(&s, &[]);
    assert!(!out.status.success());
    let stdout = text(&out);
    assert!(
        stdout.contains("ERROR at line 1:\nORA-00900: invalid SQL statement"),
        "{stdout}"
    );
    assert!(sim.state().archived_logs.is_empty(), "stopped at the error");
    // Without `whenever sqlerror exit`, SQL*Plus goes on and exits 0.
    let out = sim.sqlplus(
        "conn /@orcl as sysdba\nfrobnicate the database;\nselect * from nothing;\nexit\n",
        &[],
    );
    assert!(out.status.success());
    let stdout = text(&out);
    assert!(
        stdout.contains("SP2-0734: unknown command beginning \"frobnicate...\""),
        "{stdout}"
    );
    assert!(stdout.contains("ORA-00900"), "{stdout}");
}

#[test]
fn not_connected_and_unknown_set_option() {
    let sim = Sim::new();
    let out = sim.sqlplus("set bogus on\nselect user from dual;\nexit\n", &[]);
    let stdout = text(&out);
    assert!(
        stdout.contains("SP2-0158: unknown SET option \"bogus\""),
        "{stdout}"
    );
    assert!(stdout.contains("SP2-0640: Not connected"), "{stdout}");
}

#[test]
fn fault_injection() {
    let sim = Sim::new();
    let s = script(&sim, "archivecurrentlogs", true);
    let out = sim.sqlplus(&s, &[("ORACLE_SIM_FAIL", "sqlplus:archivelog")]);
    assert!(!out.status.success());
    let stdout = text(&out);
    assert!(
        stdout.contains("ORA-16038: log 1 sequence# 1 cannot be archived"),
        "{stdout}"
    );
    assert!(sim.state().archived_logs.is_empty());

    let out = sim.sqlplus(&s, &[("ORACLE_SIM_FAIL", "sqlplus:connect")]);
    assert!(!out.status.success());
    assert!(text(&out).contains("ORA-01034: ORACLE not available"));

    let out = sim.sqlplus(
        &script(&sim, "autorestoreparameters", true),
        &[("ORACLE_SIM_FAIL", "rman:*,sqlplus:parameters")],
    );
    assert!(!out.status.success());
    // Other steps are unaffected.
    run_ok(&sim, &s, &[("ORACLE_SIM_FAIL", "sqlplus:parameters")]);
}

#[test]
fn alter_system_set_log_archive_dest_checks_the_directory() {
    let sim = Sim::new();
    let ok_dir = sim.backupdest().join("archivelog");
    let s = format!(
        "whenever sqlerror exit failure\nconn /@orcl as sysdba\nalter system set log_archive_dest_3='LOCATION={} VALID_FOR=(ONLINE_LOGFILE,PRIMARY_ROLE)' scope=both;\nalter system set log_archive_dest_state_3=enable scope=both;\nexit\n",
        ok_dir.display()
    );
    run_ok(&sim, &s, &[]);
    assert!(sim.state().archive_dests.iter().any(|d| d.dest_id == 3));
    let out = sim.sqlplus(
        "whenever sqlerror exit failure\nconn /@orcl as sysdba\nalter system set log_archive_dest_4='LOCATION=/no/such/dir' scope=both;\nexit\n",
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("ORA-16032"), "{}", text(&out));
}

#[test]
fn setschedule_creates_user_and_jobs_and_never_spools_the_password() {
    for cdb in [false, true] {
        let sim = if cdb {
            Sim::with_args(&["--cdb"])
        } else {
            Sim::new()
        };
        let prefix = if cdb { "C##" } else { "" };
        let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
        let mut subs = subs(&sim, "orcl")
            .with("osuser", "oracle")
            .with("ospassword", "S3cret-pw")
            .with("scriptpath", "/opt/backup")
            .with("configfile", "/opt/backup/backup.cfg")
            .with("schedulebackup", "FREQ=DAILY;BYHOUR=10;BYMINUTE=0")
            .with("schedulearchlog", "FREQ=HOURLY;BYMINUTE=30")
            .with("backupjobenabled", "false");
        subs.set_schedule_user_prefix(prefix);
        let body = rman::template::setschedule_script(&set, &subs).unwrap();
        let s = sqlplus_script(&set, &subs, &body, true).unwrap();
        for _ in 0..2 {
            let stdout = run_ok(&sim, &s, &[]);
            assert!(stdout.contains("Procedure created."), "{stdout}");
            let st = sim.state();
            let owner = format!("{prefix}BACKUPEXEC");
            assert!(st.users.contains(&owner));
            let jobs: Vec<(&str, bool)> = st
                .scheduler_jobs
                .iter()
                .map(|j| (j.name.as_str(), j.enabled))
                .collect();
            assert_eq!(
                jobs,
                [("IMAGECOPY_JOB", false), ("ARCHLOGBACKUP_JOB", true)]
            );
            assert!(st.scheduler_jobs.iter().all(|j| j.owner == owner));
        }
        let spool = std::fs::read_to_string(sim.base().join("run.log")).unwrap();
        assert!(spool.contains("SQL> begin"), "{spool}");
        assert!(!spool.contains("S3cret-pw"), "password spooled: {spool}");
    }
}

/// The report's `jobstatus` query: the two jobs' state, the last run and its duration, the
/// latest successful and failed runs, with timestamps in the session's TZ format.
#[test]
fn jobstatus_reports_the_scheduler_jobs_and_their_runs() {
    let sim = Sim::new();
    let rman_set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let report = TemplateSet::builtin(TemplateKind::Report).unwrap();
    let subs = subs(&sim, "orcl").with("dbname", "orcl");
    let query = sqlplus_script(
        &report,
        &subs,
        &report.render("jobstatus", &subs).unwrap(),
        true,
    )
    .unwrap();
    let env = [("ORACLE_SIM_NOW", NOW)];
    // No jobs yet: no rows, no error.
    let out = run_ok(&sim, &query, &env);
    assert!(!out.contains("OUTLOG:"), "{out}");
    // Never ran: job rows with empty times, no exec rows.
    let mut ssubs = subs
        .clone()
        .with("osuser", "oracle")
        .with("ospassword", "pw")
        .with("scriptpath", "/opt/backup")
        .with("configfile", "/opt/backup/backup.cfg")
        .with("schedulebackup", "FREQ=DAILY")
        .with("schedulearchlog", "FREQ=HOURLY")
        .with("backupjobenabled", "true");
    ssubs.set_schedule_user_prefix("");
    let body = rman::template::setschedule_script(&rman_set, &ssubs).unwrap();
    run_ok(
        &sim,
        &sqlplus_script(&rman_set, &ssubs, &body, true).unwrap(),
        &env,
    );
    let out = run_ok(&sim, &query, &env);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("OUTLOG: ")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[0].contains(r#""job_name": "IMAGECOPY_JOB", "state": "SCHEDULED", "failure_count": 0, "last_start_date": """#), "{out}");
    // Three runs of the image copy job, the middle one failed.
    for (status, ago, dur) in [
        ("SUCCEEDED", "172800", "200"),
        ("FAILED", "86400", "30"),
        ("SUCCEEDED", "3600", "192"),
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_oracle-sim"))
            .args(["run-job", "--root"])
            .arg(sim.base())
            .args([
                "--job",
                "IMAGECOPY_JOB",
                "--status",
                status,
                "--ago-secs",
                ago,
                "--duration-secs",
                dur,
            ])
            .env("ORACLE_SIM_NOW", NOW)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let bad = sim.admin("run-job", &["--job", "NOSUCH_JOB"]);
    assert!(!bad.status.success());
    let out = run_ok(&sim, &query, &env);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| l.strip_prefix("OUTLOG: "))
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{out}");
    let job = &rows[0];
    assert_eq!(job["failure_count"], 1);
    assert_eq!(job["last_start_date"], "2016-11-08 20:53:35 +00:00");
    assert_eq!(job["last_run_duration"], "+000000000 00:03:12.000000");
    let exec = &rows[2];
    assert_eq!(exec["type"], "exec");
    assert_eq!(exec["job_name"], "IMAGECOPY_JOB");
    assert_eq!(exec["last_successful"], "2016-11-08 20:56:47 +00:00");
    assert_eq!(exec["last_failed"], "2016-11-07 21:54:05 +00:00");
}

#[test]
fn clock_offset_moves_the_database_time() {
    let sim = Sim::new();
    let out = sim.admin("set-clock", &["--offset-secs", "-86400"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = run_ok(&sim, &script(&sim, "archivecurrentlogs", true), &[]);
    let t = Markers::parse(&stdout).unwrap().time.unwrap();
    let expected = chrono::Local::now().naive_local() - chrono::Duration::seconds(86400);
    assert!((t - expected).num_seconds().abs() < 60, "{t} vs {expected}");
    let st = sim.state();
    assert!(
        (st.archived_logs[0].next_time - expected)
            .num_seconds()
            .abs()
            < 60
    );
}

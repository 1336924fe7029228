//! The autorestore log catalog: `oracle-sim add-catalog`, the `createcatalog`, `sqlldrlog`
//! and `insertlog` entries of restoretemplate.cfg and `autorestorestatus` of
//! reporttemplate.cfg, run through the simulated `sqlplus` and `sqlldr` as the original's
//! autorestore.py / oraexec.py call them.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{text, Sim};
use oracle_sim::catalog::Catalog;
use rman::template::{Substitutions, TemplateKind, TemplateSet};

fn add_catalog(sim: &Sim, alias: &str, kind: &str) {
    let out = sim.admin("add-catalog", &["--alias", alias, "--kind", kind]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn catalog(sim: &Sim, alias: &str) -> Catalog {
    Catalog::load(&sim.sim_root(), alias).unwrap().unwrap()
}

fn restore_set() -> TemplateSet {
    TemplateSet::builtin(TemplateKind::Restore).unwrap()
}

fn subs(sim: &Sim, logfile: &Path) -> Substitutions {
    Substitutions::new()
        .with("logfile", logfile.to_str().unwrap())
        .with("autorestorecatalog", "/@rcat")
        .with("lasttime", "2016-11-08 22:40:00")
        .with("log_dbname", "orcl")
        .with("log_start", "2016-11-08 22-48-51")
        .with("log_stop", "2016-11-08 23-01-21")
        .with("log_success", "1")
        .with("log_diff", "61")
        .with("log_snapid", "autorestore-orcl-20161108")
        .with("log_validated", "0")
        .with("dbname", "orcl")
        .with("x", sim.base().to_str().unwrap())
}

/// `sqlldr LOGIN control=F log=F errors=0 silent=all`, as oraexec.py runs it.
fn sqlldr(sim: &Sim, login: &str, control: &str) -> (Output, PathBuf) {
    let dir = tempfile::tempdir_in(sim.base()).unwrap().keep();
    let ctl = dir.join("load.ctl");
    std::fs::write(&ctl, control).unwrap();
    let log = dir.join("load.log");
    let out = sim.tool(
        "sqlldr",
        &[
            login,
            &format!("control={}", ctl.display()),
            &format!("log={}", log.display()),
            "errors=0",
            "silent=all",
        ],
        "",
        &[],
    );
    (out, log)
}

#[test]
fn the_restore_log_catalog_is_created_loaded_logged_and_reported() {
    let sim = Sim::new();
    add_catalog(&sim, "rcat", "restore");
    let tns = std::fs::read_to_string(sim.tns_admin().join("tnsnames.ora")).unwrap();
    assert!(tns.contains("\nrcat =\n"), "{tns}");
    let set = restore_set();
    let restorelog = sim.base().join("20161108T224851-orcl.log");
    std::fs::write(
        &restorelog,
        "Restore started\nCUSTOM VERIFICATION TIME: 2016-11-08 22:39:59\n",
    )
    .unwrap();
    let subs = subs(&sim, &restorelog);

    // createcatalog; a second run fails on the existing sequence.
    let script = set.render("createcatalog", &subs).unwrap();
    let out = sim.sqlplus(&script, &[]);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Sequence created."), "{stdout}");
    assert_eq!(stdout.matches("Table created.").count(), 2, "{stdout}");
    assert!(
        stdout.contains("PL/SQL procedure successfully completed."),
        "{stdout}"
    );
    let cat = catalog(&sim, "rcat");
    assert_eq!(cat.restoreaction_seq, Some(0));
    assert_eq!(cat.jobs, ["LOG_RETENTION"]);
    let out = sim.sqlplus(&script, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ORA-00955: name is already used by an existing object"),
        "{}",
        text(&out)
    );
    // The database itself has none of it.
    let out = sim.sqlplus("conn /@orcl as sysdba\nselect user from dual;\nexit\n", &[]);
    assert!(text(&out).contains("SYS"), "{}", text(&out));

    // sqlldrlog: the log file into restorelob.
    let control = set.render("sqlldrlog", &subs).unwrap();
    let (out, log) = sqlldr(&sim, "/@rcat", &control);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(text(&out), "", "silent=all prints nothing");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.starts_with("\nSQL*Loader: Release 12.1.0.2.0 - Production on "),
        "{log}"
    );
    assert!(log.contains("Table RESTORELOB:\n  1 Row successfully loaded.\n  0 Rows not loaded due to data errors.\n"), "{log}");
    assert!(
        log.contains("Insert option in effect for this table: APPEND\n"),
        "{log}"
    );
    assert!(
        log.contains("Total logical records read:             1\n"),
        "{log}"
    );
    let cat = catalog(&sim, "rcat");
    let lobs = cat.restorelob.clone().unwrap();
    assert_eq!(lobs.len(), 1);
    assert_eq!(lobs[0].logfile, restorelog.to_str().unwrap());
    assert!(lobs[0].loglob.contains("CUSTOM VERIFICATION TIME"));
    // Loading the same file again: the primary key rejects the row, errors=0 → warning.
    let (out, log) = sqlldr(&sim, "/@rcat", &control);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("Record 1: Rejected - Error on table RESTORELOB, column LOGFILE.\nORA-00001: unique constraint"), "{log}");
    assert!(
        log.contains("  0 Rows successfully loaded.\n  1 Row not loaded due to data errors."),
        "{log}"
    );
    assert_eq!(catalog(&sim, "rcat").restorelob.unwrap().len(), 1);

    // insertlog: the row, with the log moved out of restorelob.
    let out = sim.sqlplus(&set.render("insertlog", &subs).unwrap(), &[]);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("LOG MESSAGE ID: 1\n"), "{stdout}");
    let cat = catalog(&sim, "rcat");
    assert_eq!(cat.restorelob.as_ref().unwrap().len(), 0);
    let rows = cat.restoreaction.clone().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].db_unique_name, "orcl");
    assert_eq!(
        rows[0].logfilecontents.as_deref(),
        Some(lobs[0].loglob.as_str())
    );
    assert_eq!(rows[0].start_time.to_string(), "2016-11-08 22:48:51");
    // The same row again violates the unique key.
    let out = sim.sqlplus(&set.render("insertlog", &subs).unwrap(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("ORA-00001: unique constraint"),
        "{}",
        text(&out)
    );
    // A failed, validated restore, and one of another database.
    for (start, stop, success, validated, diff, db) in [
        (
            "2016-11-09 22-00-00",
            "2016-11-09 22-30-00",
            "0",
            "0",
            "0",
            "orcl",
        ),
        (
            "2016-11-10 22-00-00",
            "2016-11-10 22-20-30",
            "1",
            "1",
            "120",
            "orcl",
        ),
        (
            "2016-11-10 22-00-00",
            "2016-11-10 22-20-30",
            "1",
            "0",
            "5",
            "other",
        ),
    ] {
        let s = subs
            .clone()
            .with("log_start", start)
            .with("log_stop", stop)
            .with("log_success", success)
            .with("log_validated", validated)
            .with("log_diff", diff)
            .with("log_dbname", db);
        let out = sim.sqlplus(&set.render("insertlog", &s).unwrap(), &[]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = sim.sqlplus(
        &set.render(
            "insertlog",
            &subs
                .clone()
                .with("log_start", "2016-11-11 10-00-00")
                .with("log_stop", "2016-11-11 10-12-30"),
        )
        .unwrap(),
        &[],
    );
    assert!(text(&out).contains("LOG MESSAGE ID: 5\n"), "{}", text(&out));

    // autorestorestatus: averages over the successful rows; dates per nls_date_format.
    let report = TemplateSet::builtin(TemplateKind::Report).unwrap();
    let script = format!(
        "{}\n{}\n{}\n",
        report.render("sqlplusautorestoreheader", &subs).unwrap(),
        report.render("autorestorestatus", &subs).unwrap(),
        report.render("sqlplusfooter", &subs).unwrap()
    );
    let out = sim.sqlplus(&script, &[]);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(!stdout.contains("ORA-"), "{stdout}");
    // Not validated and successful: 12.5 min (22:48:51-23:01:21) twice → 13;
    // avgdiff (61 + 120 + 61) / 3 = 80.67 → 81.
    assert!(
        stdout.contains("OUTLOG: { \"avgrestoremin\": 13, \"last_success\": \"2016-11-11 10:00:00\",\"last_fail\": \"2016-11-09 22:00:00\",\"avgdiff\":81,\"last_validated\": \"2016-11-10 22:00:00\"}\n"),
        "{stdout}"
    );
    // Without the nls_date_format, the session default DD-MON-RR.
    let plain = script.replace(
        "alter session set nls_date_format='yyyy-mm-dd hh24:mi:ss';\n",
        "",
    );
    let stdout = text(&sim.sqlplus(&plain, &[]));
    assert!(stdout.contains("\"last_fail\": \"09-NOV-16\""), "{stdout}");
    // A database without rows: empty values.
    let none = script.replace("'orcl'", "'nosuch'");
    let stdout = text(&sim.sqlplus(&none, &[]));
    assert!(
        stdout.contains("OUTLOG: { \"avgrestoremin\": , \"last_success\": \"\",\"last_fail\": \"\",\"avgdiff\":,\"last_validated\": \"\"}"),
        "{stdout}"
    );
}

#[test]
fn sqlldr_fails_with_real_exit_codes() {
    let sim = Sim::new();
    add_catalog(&sim, "rcat", "restore");
    let set = restore_set();
    let restorelog = sim.base().join("r.log");
    std::fs::write(&restorelog, "x").unwrap();
    let subs = subs(&sim, &restorelog);
    let control = set.render("sqlldrlog", &subs).unwrap();

    // The table does not exist yet: SQL*Loader-941.
    let (out, log) = sqlldr(&sim, "/@rcat", &control);
    assert_eq!(out.status.code(), Some(1));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("SQL*Loader-941: Error during describe of table RESTORELOB\nORA-04043: object RESTORELOB does not exist"), "{log}");
    // The simulated database is no catalog schema either.
    let (out, _) = sqlldr(&sim, "/@orcl", &control);
    assert_eq!(out.status.code(), Some(1));
    // An alias not in tnsnames.ora.
    let (out, log) = sqlldr(&sim, "/@nosuch", &control);
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::read_to_string(log)
        .unwrap()
        .contains("ORA-12154: TNS:could not resolve the connect identifier specified"));

    let out = sim.sqlplus(&set.render("createcatalog", &subs).unwrap(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    // Control file syntax error: SQL*Loader-350 (EX_FAIL).
    let bad = control.replace("INTO TABLE", "INTO TABEL");
    let (out, log) = sqlldr(&sim, "/@rcat", &bad);
    assert_eq!(out.status.code(), Some(1));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains(
            "SQL*Loader-350: Syntax error at line 4.\nExpecting keyword TABLE, found \"TABEL\"."
        ),
        "{log}"
    );
    // A column the table does not have.
    let (out, _) = sqlldr(
        &sim,
        "/@rcat",
        &control.replace("loglob LOBFILE", "logblob LOBFILE"),
    );
    assert_eq!(out.status.code(), Some(1));
    // The control file cannot be opened: an OS error (EX_FTL).
    let out = sim.tool(
        "sqlldr",
        &["/@rcat", "control=/no/such.ctl", "silent=all"],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out).contains("SQL*Loader-500: Unable to open file (/no/such.ctl)"),
        "{}",
        text(&out)
    );
    // A LOB file that is missing rejects the row (EX_WARN); nothing loaded.
    let missing = control.replace(restorelog.to_str().unwrap(), "/no/such.log");
    let (out, log) = sqlldr(&sim, "/@rcat", &missing);
    assert_eq!(out.status.code(), Some(2));
    assert!(std::fs::read_to_string(log).unwrap().contains(
        "SQL*Loader-502: unable to open data file '/no/such.log' for field LOGLOB table RESTORELOB"
    ));
    assert!(catalog(&sim, "rcat").restorelob.unwrap().is_empty());
    // Unknown command-line keyword.
    let out = sim.tool("sqlldr", &["/@rcat", "frob=1"], "", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("SQL*Loader-100: Syntax error on command-line"));
    // Not silent: the banner and the commit point.
    let dir = sim.base().join("loud");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("l.ctl"), &control).unwrap();
    let out = sim.tool(
        "sqlldr",
        &[
            "userid=/@rcat",
            &format!("control={}", dir.join("l.ctl").display()),
        ],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("Commit point reached - logical record count 1"),
        "{}",
        text(&out)
    );
    assert!(dir.join("l.log").is_file());
}

fn rman_entries(sim: &Sim, entries: &[&str]) -> String {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let subs = common::backup_subs(sim, "").with("catalogconnect", "/@rmancat");
    let mut s = String::new();
    for e in entries {
        s.push_str(&set.render(e, &subs).unwrap());
        s.push('\n');
    }
    s
}

fn registered_query(sim: &Sim, connect: &str) -> String {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let subs = common::backup_subs(sim, "")
        .with("catalogconnect", connect)
        .with("logfile", sim.base().join("rc.log").to_str().unwrap());
    let out = sim.sqlplus(&set.render("isdbregisteredincatalog", &subs).unwrap(), &[]);
    text(&out)
}

#[test]
fn an_rman_catalog_registers_the_database_once_and_resyncs() {
    let sim = Sim::new();
    add_catalog(&sim, "rmancat", "rman");
    add_catalog(&sim, "rcat", "restore");
    let out = registered_query(&sim, "/@rmancat");
    assert!(out.contains("RMANCAT"), "{out}");
    assert!(!out.contains("DATABASE IS REGISTERED IN RC"), "{out}");

    let script = rman_entries(
        &sim,
        &["header", "headercatalog", "registerdatabase", "footer"],
    );
    let stdout = common::rman_succeeded(&common::rman(&sim, &script, &[]));
    assert!(
        stdout.contains("connected to target database: ORCL (DBID=1433672784)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("connected to recovery catalog database\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("database registered in recovery catalog\nstarting full resync of recovery catalog\nfull resync complete\n"),
        "{stdout}"
    );
    let cat = catalog(&sim, "rmancat");
    assert_eq!(cat.registered.len(), 1);
    assert_eq!(cat.registered[0].dbid, 1_433_672_784);
    let out = registered_query(&sim, "/@rmancat");
    assert!(out.contains("DATABASE IS REGISTERED IN RC\n"), "{out}");

    // A second registration fails; resync works.
    let stdout = common::rman_failed(&common::rman(&sim, &script, &[]));
    assert!(
        stdout.contains("RMAN-20002: target database already registered in recovery catalog"),
        "{stdout}"
    );
    let script = rman_entries(
        &sim,
        &["header", "headercatalog", "resynccatalog", "footer"],
    );
    let stdout = common::rman_succeeded(&common::rman(&sim, &script, &[]));
    assert!(
        stdout.contains("starting full resync of recovery catalog\nfull resync complete\n"),
        "{stdout}"
    );
    // On the command line; no "instead of recovery catalog" note with a catalog.
    let out = sim.tool(
        "rman",
        &["target", "/@orcl", "catalog", "/@rmancat"],
        "show all;\nexit\n",
        &[],
    );
    let stdout = common::rman_succeeded(&out);
    assert!(
        stdout.contains("connected to recovery catalog database\n"),
        "{stdout}"
    );

    // Resync of a database not registered: another catalog.
    add_catalog(&sim, "rmancat2", "rman");
    let script = rman_entries(&sim, &["header", "resynccatalog", "footer"]).replace(
        "RESYNC CATALOG;",
        "CONNECT CATALOG /@rmancat2\nRESYNC CATALOG;",
    );
    let stdout = common::rman_failed(&common::rman(&sim, &script, &[]));
    assert!(
        stdout.contains("RMAN-20001: target database not found in recovery catalog"),
        "{stdout}"
    );
    // Register without a catalog.
    let script = rman_entries(&sim, &["header", "registerdatabase", "footer"]);
    let stdout = common::rman_failed(&common::rman(&sim, &script, &[]));
    assert!(
        stdout.contains("RMAN-06002: command not allowed when not connected to a recovery catalog"),
        "{stdout}"
    );
    // Unknown alias and a schema that is no RMAN catalog.
    for (alias, error) in [
        ("nosuch", "RMAN-04004: error from recovery catalog database: ORA-12154: TNS:could not resolve the connect identifier specified"),
        ("rcat", "RMAN-06428: recovery catalog is not installed"),
    ] {
        let script = rman_entries(&sim, &["header", "headercatalog", "footer"])
            .replace("/@rmancat", &format!("/@{alias}"));
        let stdout = common::rman_failed(&common::rman(&sim, &script, &[]));
        assert!(stdout.contains(error), "{stdout}");
    }
    let out = registered_query(&sim, "/@rcat");
    assert!(
        out.contains("ORA-00942: table or view does not exist"),
        "{out}"
    );
    let out = registered_query(&sim, "/@nosuch");
    assert!(out.contains("ORA-12154"), "{out}");
}

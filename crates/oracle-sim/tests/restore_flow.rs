//! The whole autorestore flow of our restore templates, SQL*Plus and RMAN entries in the
//! original's order (`restorecommon.py` `_run_restore`, `verify`, `blockcheck`), against a
//! clone of the backup area: startupnomount, rmanmount, clearlogs, rmancatalog,
//! disablebct, switchdatafiles (one datafile was added after the last image copy: it is
//! created empty), the RENAMEDF commands with recoverdatafiles, openandverify,
//! validateblocks, showcorruptblocks, shutdown; then adrci cleans the instance's diag home.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::NaiveDateTime;
use common::{
    admin_ok, backup_script, configure_for_backup, copy_dir, rman, rman_succeeded, text, Sim,
};
use rman::template::{BackupLevel, RmanAction, Substitutions, TemplateKind, TemplateSet};

fn sqlplus_ok(sim: &Sim, script: &str) -> String {
    let out = sim.sqlplus(script, &[]);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}\n---\n{script}");
    assert!(!stdout.contains("ORA-"), "{stdout}");
    assert!(!stdout.contains("SP2-"), "{stdout}");
    stdout
}

/// The backup cycle with block change tracking on; datafile 5 (tablespace NEWTS) is added
/// after the last image copy, before the restore target. Returns the target time.
fn backed_up(sim: &Sim) -> String {
    configure_for_backup(sim, true);
    let imagecopy = backup_script(sim, "", RmanAction::Backup(BackupLevel::ImageCopy));
    rman_succeeded(&rman(sim, &imagecopy, &[]));
    admin_ok(sim, "switch-logfile", &[]);
    admin_ok(sim, "workload", &["--blocks", "60", "--seed", "1"]);
    admin_ok(sim, "set-clock", &["--offset-secs", "100"]);
    rman_succeeded(&rman(sim, &imagecopy, &[]));
    admin_ok(sim, "switch-logfile", &[]);
    admin_ok(sim, "add-datafile", &["--tablespace", "NEWTS"]);
    admin_ok(sim, "workload", &["--blocks", "40", "--seed", "3"]);
    admin_ok(sim, "set-clock", &["--offset-secs", "200"]);
    let target = sim.state().now().format("%Y-%m-%d %H:%M:%S").to_string();
    admin_ok(sim, "workload", &["--blocks", "20", "--seed", "2"]);
    admin_ok(sim, "set-clock", &["--offset-secs", "300"]);
    admin_ok(sim, "switch-logfile", &[]);
    target
}

struct Flow {
    set: TemplateSet,
    subs: Substitutions,
    clone: PathBuf,
    logdir: PathBuf,
}

impl Flow {
    fn new(sim: &Sim, target: &str) -> Flow {
        let clone = sim.base().join("clone");
        copy_dir(&sim.backupdest(), &clone);
        let restoredir = sim.base().join("restore");
        let logdir = sim.base().join("logs");
        std::fs::create_dir_all(&restoredir).unwrap();
        std::fs::create_dir_all(&logdir).unwrap();
        let set = TemplateSet::builtin(TemplateKind::Restore).unwrap();
        let c = clone.to_str().unwrap();
        let st = sim.state();
        let default_verify = backupcore::config::ORIGINAL_DEFAULTS
            .iter()
            .find(|(k, _)| *k == "customverifydate")
            .unwrap()
            .1;
        let mut subs = Substitutions::new()
            .with("mountdestination", c)
            .with("autorestoredestination", restoredir.to_str().unwrap())
            .with(
                "catalogstatements",
                format!("catalog start with '{c}/' noprompt;"),
            )
            .with("lasttime", target)
            .with("logfile", logdir.join("restore.log").to_str().unwrap())
            .with("logdir", logdir.to_str().unwrap())
            .with("initora", restoredir.join("init.ora").to_str().unwrap())
            .with(
                "bctfile",
                st.bct_file.as_ref().unwrap().to_str().unwrap().to_string(),
            )
            .with("customverifydate", default_verify)
            .with("db_compatible", st.compatible.as_str())
            .with("db_block_size", st.db_block_size.to_string())
            .with("db_files", st.db_files.to_string())
            .with("db_name", st.db_name.as_str())
            .with("db_undotbs", st.undo_tablespace.as_str())
            .with("pga_size", "200M")
            .with("sga_size", "1G")
            .with("instancenumber", "1")
            .with("thread", "1");
        let initora = set.render("autoinitora", &subs).unwrap();
        std::fs::write(restoredir.join("init.ora"), initora).unwrap();
        subs = subs.with("cdb", "FALSE");
        Flow {
            set,
            subs,
            clone,
            logdir,
        }
    }

    /// An entry run by SQL*Plus, between sqlplusheader and sqlplusfooter.
    fn sql(&self, entry: &str) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.set.render("sqlplusheader", &self.subs).unwrap(),
            self.set.render(entry, &self.subs).unwrap(),
            self.set.render("sqlplusfooter", &self.subs).unwrap()
        )
    }

    /// RMAN commands between rmanheader and rmanfooter.
    fn rman(&self, body: &str) -> String {
        format!(
            "{}\n{body}\n{}\n",
            self.set.render("rmanheader", &self.subs).unwrap(),
            self.set.render("rmanfooter", &self.subs).unwrap()
        )
    }

    fn entry(&self, entry: &str) -> String {
        self.set.render(entry, &self.subs).unwrap()
    }
}

fn marker<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in\n{stdout}"))
        .trim()
}

fn failed_sql(out: &Output) -> String {
    let stdout = text(out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    stdout
}

#[test]
fn the_template_restore_flow_recovers_a_clone_with_a_file_added_after_the_last_copy() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let st = sim.state();
    let source_bct = st.bct_file.clone().unwrap();
    assert!(source_bct.is_file());
    let df5 = st.datafiles.iter().find(|d| d.file_number == 5).unwrap();
    let df5_creation = df5.creation_scn;
    let flow = Flow::new(&sim, &target);
    let clone = flow.clone.clone();
    assert!(
        !std::fs::read_dir(&clone).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("_FNO-5_")),
        "datafile 5 must have no image copy"
    );
    let copy4 = std::fs::read_dir(&clone)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("_FNO-4_"))
        .unwrap();
    assert_eq!(
        datafile::damage::bit_flip(&copy4, 7, 8 * 100 + 3).unwrap(),
        [7]
    );

    // startupnomount, rmanmount, clearlogs, rmancatalog.
    let out = sqlplus_ok(&sim, &flow.sql("startupnomount"));
    assert!(out.contains("ORACLE instance started."), "{out}");
    rman_succeeded(&rman(&sim, &flow.rman(&flow.entry("rmanmount")), &[]));
    let out = sqlplus_ok(&sim, &flow.sql("clearlogs"));
    assert!(
        out.contains("PL/SQL procedure successfully completed."),
        "{out}"
    );
    rman_succeeded(&rman(&sim, &flow.rman(&flow.entry("rmancatalog")), &[]));

    // disablebct: the instance's control file forgets the source's BCT file, which stays.
    let out = sqlplus_ok(&sim, &flow.sql("disablebct"));
    assert_eq!(out.matches("Database altered.").count(), 2, "{out}");
    assert!(out.contains("\nDISABLED\n"), "{out}");
    assert!(source_bct.is_file());
    let st = sim.state();
    assert_eq!(st.bct_file.as_ref(), Some(&source_bct));
    assert_eq!(st.instance.as_ref().unwrap().bct_file, None);

    // switchdatafiles: per-file switches for 1-4, datafile 5 created empty.
    let out = sqlplus_ok(&sim, &flow.sql("switchdatafiles"));
    let renames: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("RENAMEDF-"))
        .collect();
    assert_eq!(
        renames,
        (1..=4)
            .map(|n| format!("switch datafile {n} to copy;"))
            .collect::<Vec<_>>(),
        "{out}"
    );
    let new5 = clone.join("new-datafile-5.dbf");
    assert!(
        out.contains(&format!(
            "Creating new file file#=5 as \"{}\"\n",
            new5.display()
        )),
        "{out}"
    );
    assert_eq!(
        out.matches("PL/SQL procedure successfully completed.")
            .count(),
        2
    );
    let bytes = std::fs::read(&new5).unwrap();
    match datafile::identify(&bytes, &datafile::Overrides::default()) {
        datafile::FileKind::Datafile(h) => {
            assert_eq!(h.file_number, 5);
            assert_eq!(h.dbid, 1_433_672_784);
            assert_eq!(h.creation_scn, df5_creation);
            assert_eq!(h.checkpoint_scn, df5_creation);
        }
        other => panic!("not a datafile: {other:?}"),
    }
    // Created empty: every block after the headers is zero.
    let bs = 8192usize;
    assert!(bytes[2 * bs..].iter().all(|b| *b == 0));
    // A second run finds the file there: ORA-01119 (whenever sqlerror continues in the entry).
    let again = sim.sqlplus(&flow.sql("switchdatafiles"), &[]);
    assert!(
        text(&again).contains("ORA-27038: created file already exists"),
        "{}",
        text(&again)
    );

    // The RENAMEDF commands, then recoverdatafiles.
    let script = format!("{}\n{}", renames.join("\n"), flow.entry("recoverdatafiles"));
    let out = rman_succeeded(&rman(&sim, &flow.rman(&script), &[]));
    for n in 1..=4 {
        assert!(
            out.contains(&format!("datafile {n} switched to datafile copy \"")),
            "{out}"
        );
    }
    assert!(out.contains("media recovery complete"), "{out}");
    let inst = sim.state().instance.unwrap();
    let reached = inst.recovered_scn.unwrap();
    assert!(df5_creation <= reached, "{df5_creation} {reached}");
    let d5 = inst.datafiles.iter().find(|d| d.file_number == 5).unwrap();
    assert_eq!(d5.path, new5);

    // openandverify: the marker lines.
    let out = sqlplus_ok(&sim, &flow.sql("openandverify"));
    assert!(out.contains("Database altered."), "{out}");
    assert_eq!(out.matches("Session altered.").count(), 2, "{out}");
    assert_eq!(marker(&out, "CURRENT DATABASE SCN:"), reached.to_string());
    let fmt = "%Y-%m-%d %H:%M:%S";
    let target_t = NaiveDateTime::parse_from_str(&target, fmt).unwrap();
    let last_row =
        NaiveDateTime::parse_from_str(marker(&out, "LAST ROW IN SCN TO TIME MAP:"), fmt).unwrap();
    assert!(
        last_row <= target_t && target_t - last_row <= chrono::Duration::seconds(2),
        "{last_row} {target}"
    );
    let custom = marker(&out, "CUSTOM VERIFICATION TIME:");
    assert_eq!(custom, last_row.format(fmt).to_string());
    // The archived log holding the SCN reached: the last one, from the second switch to the
    // third.
    let st = sim.state();
    let last = st.archived_logs.last().unwrap();
    assert_eq!(
        marker(&out, "MIN/MAX TIME FROM ARCHLOGS:"),
        format!(
            "{}-{}",
            last.first_time.format(fmt),
            last.next_time.format(fmt)
        )
    );
    assert!(out.contains("no rows selected"), "{out}");
    assert_eq!(st.instance.as_ref().unwrap().status, "OPEN READ ONLY");

    // A customverifydate query on a table the simulated database does not have, and one
    // that is not a query.
    let custom = |q: &str| {
        let f = Flow {
            set: TemplateSet::builtin(TemplateKind::Restore).unwrap(),
            subs: flow.subs.clone().with("customverifydate", q),
            clone: flow.clone.clone(),
            logdir: flow.logdir.clone(),
        };
        let script = f
            .sql("openandverify")
            .replace("alter database open read only;\n", "");
        failed_sql(&sim.sqlplus(&script, &[]))
    };
    let out = custom("select max(order_time) from app.orders");
    assert!(
        out.contains("ORA-00942: table or view does not exist"),
        "{out}"
    );
    assert!(
        !out.lines().any(|l| l.starts_with("CURRENT DATABASE SCN:")),
        "{out}"
    );
    let out = custom("max(order_time)");
    assert!(out.contains("ORA-00900: invalid SQL statement"), "{out}");

    // validateblocks and showcorruptblocks: the rotten block of copy 4, in SQL*Plus columns.
    let out = rman_succeeded(&rman(&sim, &flow.rman(&flow.entry("validateblocks")), &[]));
    assert!(
        out.contains("validate found one or more corrupt blocks"),
        "{out}"
    );
    let out = sqlplus_ok(&sim, &flow.sql("showcorruptblocks"));
    assert!(
        out.contains(
            "     FILE#     BLOCK#     BLOCKS CORRUPTION_CHANGE# CORRUPTION_TYPE     CON_ID\n---------- ---------- ---------- ------------------ --------------- ----------\n"
        ),
        "{out}"
    );
    let c = sim.state().instance.unwrap().corruptions;
    let row = format!(
        "{:>10} {:>10} {:>10} {:>18} {:<15} {:>10}",
        4, 7, 1, c[0].corruption_change, c[0].corruption_type, 0
    );
    assert!(out.contains(&format!("{row}\n")), "{out}");

    // shutdown; the source database was never touched.
    let out = sqlplus_ok(&sim, &flow.sql("shutdown"));
    assert!(
        out.contains("Database closed.\nDatabase dismounted.\nORACLE instance shut down."),
        "{out}"
    );
    let st = sim.state();
    assert!(st.instance.is_none());
    assert!(source_bct.is_file());
    assert!(st.datafiles.iter().all(|d| d.path.is_file()));
}

#[test]
fn showcorruptblocks_says_no_rows_and_restore_statements_check_the_instance() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let flow = Flow::new(&sim, &target);
    // Without an instance.
    let out = sim.sqlplus(&flow.sql("openandverify"), &[]);
    assert!(failed_sql(&out).contains("ORA-01034: ORACLE not available"));
    sqlplus_ok(&sim, &flow.sql("startupnomount"));
    let out = sim.sqlplus(&flow.sql("switchdatafiles"), &[]);
    assert!(
        text(&out).contains("ORA-01507: database not mounted"),
        "{}",
        text(&out)
    );
    rman_succeeded(&rman(&sim, &flow.rman(&flow.entry("rmanmount")), &[]));
    // Mounted, not open: real tables are out of reach.
    let q = "conn / as sysdba\nselect 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database UNION ALL\nselect 'LAST ROW IN SCN TO TIME MAP: '||max(time_dp) from sys.smon_scn_time UNION ALL\nselect 'MIN/MAX TIME FROM ARCHLOGS: '||min(first_time)||'-'||min(next_time) from v$archived_log where (select current_scn from v$database) between first_change# and next_change# UNION ALL\nselect 'CUSTOM VERIFICATION TIME: '||(select max(time_dp) from sys.smon_scn_time) from dual;\nexit\n";
    let out = sim.sqlplus(q, &[]);
    assert!(
        text(&out).contains("ORA-01219: database or pluggable database not open"),
        "{}",
        text(&out)
    );
    let out = sqlplus_ok(&sim, &flow.sql("showcorruptblocks"));
    assert!(out.contains("no rows selected"), "{out}");
    assert!(!out.contains("FILE#"), "{out}");
    // The BCT file name of another database is unknown to this control file.
    let out = sim.sqlplus(
        "conn / as sysdba\nalter database rename file '/no/such.chg' to '/tmp/x.chg';\nexit\n",
        &[],
    );
    assert!(
        text(&out).contains("ORA-01511: error in renaming log/data files\nORA-01516: nonexistent log file, data file, or temporary file \"/no/such.chg\""),
        "{}",
        text(&out)
    );
    // Creating a file the control file does not name.
    let out = sim.sqlplus(
        "conn / as sysdba\nalter database create datafile 42 as '/tmp/x.dbf';\nexit\n",
        &[],
    );
    assert!(
        text(&out).contains("ORA-01516: nonexistent log file, data file, or temporary file \"42\""),
        "{}",
        text(&out)
    );
    sqlplus_ok(&sim, &flow.sql("shutdownabort"));
}

fn age(path: &Path, days: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    f.set_modified(t).unwrap();
}

#[test]
fn the_instance_writes_an_alert_log_that_adrci_purges_home_by_home() {
    let sim = Sim::new();
    let target = backed_up(&sim);
    let flow = Flow::new(&sim, &target);
    let env = [("ORACLE_SID", "orcl")];
    let out = sim.sqlplus(&flow.sql("startupnomount"), &env);
    assert!(out.status.success(), "{}", text(&out));
    let home = flow.logdir.join("diag/rdbms/orcl/orcl");
    let alert = home.join("trace/alert_orcl.log");
    let log = std::fs::read_to_string(&alert).unwrap();
    assert!(log.contains("Starting ORACLE instance (normal)"), "{log}");
    assert!(
        log.contains("  db_name                  = \"orcl\""),
        "{log}"
    );
    let out = sim.sqlplus(&flow.sql("shutdownabort"), &env);
    assert!(out.status.success(), "{}", text(&out));
    let log = std::fs::read_to_string(&alert).unwrap();
    assert!(log.ends_with("Instance shutdown complete\n"), "{log}");
    assert!(log.contains("Shutting down instance (abort)\n"), "{log}");

    // A listener home too; old and new files in both.
    let lsnr = flow.logdir.join("diag/tnslsnr/simhost/listener");
    std::fs::create_dir_all(lsnr.join("trace")).unwrap();
    std::fs::create_dir_all(lsnr.join("alert")).unwrap();
    let old_lsnr = lsnr.join("alert/log_1.xml");
    std::fs::write(&old_lsnr, "<msg/>").unwrap();
    age(&old_lsnr, 3);
    let new_lsnr = lsnr.join("trace/listener.log");
    std::fs::write(&new_lsnr, "fresh").unwrap();
    age(&alert, 2);
    let old_incident = home.join("incident/incdir_1/orcl_ora_1_i1.trc");
    std::fs::create_dir_all(old_incident.parent().unwrap()).unwrap();
    std::fs::write(&old_incident, "old").unwrap();
    age(&old_incident, 5);
    let new_trace = home.join("trace/orcl_ora_4242.trc");
    std::fs::write(&new_trace, "fresh").unwrap();
    // Outside the purged directories: kept whatever its age.
    let other = home.join("hm/HMREPORT_1.hm");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, "old").unwrap();
    age(&other, 9);

    // The original's first pass: show homes, read after "ADR Homes:".
    let script1 = sim.base().join("show.adi");
    std::fs::write(
        &script1,
        format!("set base {}\nshow homes\n", flow.logdir.display()),
    )
    .unwrap();
    let arg1 = format!("script={}", script1.display());
    let out = sim.tool("adrci", &[&arg1], "", &[]);
    assert!(out.status.success());
    let stdout = text(&out);
    assert!(
        stdout.starts_with("\nADRCI: Release 12.1.0.2.0 - Production on "),
        "{stdout}"
    );
    let homes: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("ADR Homes:"))
        .skip(1)
        .collect();
    assert_eq!(
        homes,
        ["diag/rdbms/orcl/orcl", "diag/tnslsnr/simhost/listener"],
        "{stdout}"
    );
    // Second pass: per home, purge -age (logretention days in minutes).
    let mut s = format!("set base {}\n", flow.logdir.display());
    for h in &homes {
        s.push_str(&format!("set home {h}\npurge -age {}\n", 1440));
    }
    let script2 = sim.base().join("purge.adi");
    std::fs::write(&script2, s).unwrap();
    let arg2 = format!("script={}", script2.display());
    let out = sim.tool("adrci", &[&arg2], "", &[]);
    assert!(out.status.success());
    assert!(!text(&out).contains("DIA-"), "{}", text(&out));
    assert!(!alert.exists());
    assert!(!old_incident.exists());
    assert!(!old_lsnr.exists());
    assert!(new_trace.exists());
    assert!(new_lsnr.exists());
    assert!(other.exists());

    // exec=, an unknown command and a home that is not one.
    let base = flow.logdir.display().to_string();
    let exec = format!("exec=set base {base};show homes;frobnicate now;set home diag/x/y/z");
    let out = sim.tool("adrci", &[&exec], "", &[]);
    assert!(out.status.success());
    let stdout = text(&out);
    assert!(
        stdout.contains("ADR Homes: \ndiag/rdbms/orcl/orcl\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DIA-48415: Syntax error found in string [frobnicate now] at column [11]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DIA-48447: The input path [diag/x/y/z] does not contain any ADR homes"),
        "{stdout}"
    );
    let out = sim.tool("adrci", &["script=/no/such.adi"], "", &[]);
    assert_eq!(out.status.code(), Some(1));
}

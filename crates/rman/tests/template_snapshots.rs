//! Snapshots of every built-in entry and of the composed scripts, for sample settings.
//!
//! Variants: CDB (`scheduleuserprefix` `C##`) or not (the only entries that differ are the
//! scheduler ones), catalog on/off, Data Guard on/off, section size set/unset.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use backupcore::config::{Config, DbSettings, GenericSettings};
use rman::template::{
    generate_restore, rman_script, setschedule_script, sqlplus_script, BackupLevel, RmanAction,
    RuntimeValues, ScriptOptions, Substitutions, TemplateKind, TemplateSet,
};

/// Sample settings; `extra` lines go into the database section.
fn subs_for(extra: &str) -> (Substitutions, ScriptOptions) {
    let text = format!(
        "[generic]\nbackupdest: /nfs/backup\ntnsadmin: tns\nosuser: oracle\n\
         oraclehome: /u01/app/oracle/product/19/db\n[rman]\ncatalog: /@rman\n\
         [orcl]\ndbid: 1433672784\nrecoverywindow: 7\nparallel: 4\nsnapexpirationdays: 31\n\
         schedulebackup: FREQ=DAILY;BYHOUR=10;BYMINUTE=0\n{extra}"
    );
    let cfg = Config::from_str_at(&text, Path::new("/etc/backup/backup.cfg"), None).unwrap();
    let db = cfg.database("orcl").unwrap();
    let settings = DbSettings::load(&db).unwrap();
    let subs = Substitutions::for_backup(
        &GenericSettings::for_db(&db).unwrap(),
        &settings,
        RuntimeValues {
            logfile: Path::new("/nfs/backup/orcl/backup_logs/orcl_20261121T101500_config.log"),
            scriptpath: Path::new("/opt/oracle-imagecopy-backup"),
            configfile: Some(Path::new("/opt/oracle-imagecopy-backup/backup.cfg")),
            ospassword: Some("OsPassw0rd"),
        },
    );
    (subs, ScriptOptions::from(&settings))
}

/// Every built-in entry of `set`, rendered, one after another.
fn all_entries(set: &TemplateSet, subs: &Substitutions) -> String {
    let mut out = String::new();
    for entry in set.builtin_entries() {
        out.push_str(&format!("===== {entry} =====\n"));
        out.push_str(&set.render(entry, subs).unwrap());
        out.push('\n');
    }
    out
}

#[test]
fn rman_template_entries() {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let (mut subs, _) = subs_for("");
    subs.set_schedule_user_prefix("");
    insta::assert_snapshot!("rman_entries_non_cdb", all_entries(&set, &subs));
    let (mut subs, _) = subs_for("rmansectionsize: 16G\nbackupjobenabled: false\n");
    subs.set_schedule_user_prefix("C##");
    let mut cdb_only = String::new();
    for entry in [
        "createuser",
        "dropschedule",
        "createschedule",
        "backupimagecopy",
    ] {
        cdb_only.push_str(&format!("===== {entry} =====\n"));
        cdb_only.push_str(&set.render(entry, &subs).unwrap());
        cdb_only.push('\n');
    }
    insta::assert_snapshot!("rman_entries_cdb_sectionsize", cdb_only);
}

#[test]
fn restore_and_report_template_entries() {
    let subs = Substitutions::new()
        .with("db_compatible", "19.0.0")
        .with("autorestoredestination", "/nfs/autorestore/dest")
        .with("db_block_size", "8192")
        .with("mountdestination", "/nfs/autorestore/mnt")
        .with("db_files", "200")
        .with("db_name", "ORCL")
        .with("pga_size", "1G")
        .with("sga_size", "2G")
        .with("db_undotbs", "UNDOTBS1")
        .with("logdir", "/nfs/autorestore/log")
        .with("instancenumber", "1")
        .with("thread", "1")
        .with("cdb", "TRUE")
        .with("logfile", "/nfs/autorestore/log/autorestore-orcl.log")
        .with("initora", "/nfs/autorestore/dest/init.ora")
        .with(
            "customverifydate",
            "select max(time_dp) from sys.smon_scn_time",
        )
        .with(
            "catalogstatements",
            "catalog start with '/nfs/autorestore/mnt/archivelog/' noprompt;",
        )
        .with("lasttime", "2026-11-21 10:15:00")
        .with("bctfile", "+DATA/ORCL/CHANGETRACKING/ctf.1")
        .with("autorestorecatalog", "/@autorestore")
        .with("log_dbname", "orcl")
        .with("log_start", "2026-11-21 11:00:00")
        .with("since", "2026-10-22 11:00:00")
        .with("log_stop", "2026-11-21 11:20:00")
        .with("log_success", "1")
        .with("log_diff", "42")
        .with("log_snapid", "orcl-20261121T101500")
        .with("log_validated", "0")
        .with("dbname", "orcl");
    let restore = TemplateSet::builtin(TemplateKind::Restore).unwrap();
    insta::assert_snapshot!("restore_entries", all_entries(&restore, &subs));
    let report = TemplateSet::builtin(TemplateKind::Report).unwrap();
    insta::assert_snapshot!("report_entries", all_entries(&report, &subs));
}

#[test]
fn config_scripts() {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let mut out = String::new();
    for (catalog, dg, registered) in [
        (false, false, false),
        (false, true, false),
        (true, false, false),
        (true, false, true),
        (true, true, false),
    ] {
        let extra = format!("registercatalog: {catalog}\nhasdataguard: {dg}\n");
        let (subs, opts) = subs_for(&extra);
        out.push_str(&format!(
            "===== catalog={catalog} dataguard={dg} already_registered={registered} =====\n"
        ));
        out.push_str(
            &rman_script(
                &set,
                &subs,
                opts,
                RmanAction::Config {
                    already_registered: registered,
                },
            )
            .unwrap(),
        );
        out.push('\n');
    }
    let (subs, _) = subs_for("");
    out.push_str("===== SQL*Plus part =====\n");
    out.push_str(
        &sqlplus_script(
            &set,
            &subs,
            &set.render("configfromsqlplus", &subs).unwrap(),
            true,
        )
        .unwrap(),
    );
    insta::assert_snapshot!("config_scripts", out);
}

#[test]
fn backup_scripts() {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let mut out = String::new();
    for (catalog, section) in [(false, ""), (false, "32G"), (true, ""), (true, "32G")] {
        let extra = format!("registercatalog: {catalog}\nrmansectionsize: {section}\n");
        let (subs, opts) = subs_for(&extra);
        out.push_str(&format!(
            "===== imagecopy catalog={catalog} sectionsize={section:?} =====\n"
        ));
        out.push_str(
            &rman_script(
                &set,
                &subs,
                opts,
                RmanAction::Backup(BackupLevel::ImageCopy),
            )
            .unwrap(),
        );
        out.push('\n');
    }
    insta::assert_snapshot!("backup_scripts", out);
}

#[test]
fn other_scripts() {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let (mut subs, opts) = subs_for("registercatalog: true\n");
    let mut out = String::new();
    for entry in ["report", "validatebackup"] {
        out.push_str(&format!("===== {entry} (catalog) =====\n"));
        out.push_str(&rman_script(&set, &subs, opts, RmanAction::Entry(entry)).unwrap());
        out.push('\n');
    }
    let (plain_subs, plain) = subs_for("");
    out.push_str("===== report (no catalog) =====\n");
    out.push_str(&rman_script(&set, &plain_subs, plain, RmanAction::Entry("report")).unwrap());
    out.push('\n');
    let arch = [
        "BACKUP force as copy archivelog sequence 41 thread 1;".to_string(),
        "  BACKUP force as copy archivelog sequence 42 thread 1;  ".to_string(),
    ];
    out.push_str("===== missingarchlog =====\n");
    out.push_str(
        &rman_script(
            &set,
            &plain_subs,
            plain,
            RmanAction::MissingArchivelogs(&arch),
        )
        .unwrap(),
    );
    out.push('\n');
    let copies = [
        "delete noprompt datafilecopy '/nfs/backup/orcl/data_D-ORCL_I-1_TS-OLD_FNO-7';".to_string(),
    ];
    out.push_str("===== delete expired datafile copies =====\n");
    out.push_str(
        &rman_script(&set, &plain_subs, plain, RmanAction::DeleteCopies(&copies)).unwrap(),
    );
    out.push('\n');
    out.push_str("===== generaterestore (catalog) =====\n");
    out.push_str(&generate_restore(&set, &subs, opts).unwrap().join("\n"));
    out.push('\n');
    out.push_str("===== archivecurrentlogs (SQL*Plus, header) =====\n");
    out.push_str(
        &sqlplus_script(
            &set,
            &plain_subs,
            &set.render("archivecurrentlogs", &plain_subs).unwrap(),
            true,
        )
        .unwrap(),
    );
    out.push_str("===== isdbregisteredincatalog (SQL*Plus, no header) =====\n");
    out.push_str(
        &sqlplus_script(
            &set,
            &subs,
            &set.render("isdbregisteredincatalog", &subs).unwrap(),
            false,
        )
        .unwrap(),
    );
    subs.set_schedule_user_prefix("C##");
    let body = setschedule_script(&set, &subs).unwrap();
    out.push_str("===== setschedule (CDB, secret redacted) =====\n");
    out.push_str(&subs.redact(&sqlplus_script(&set, &subs, &body, true).unwrap()));
    assert!(!out.contains("OsPassw0rd"));
    insta::assert_snapshot!("other_scripts", out);
}

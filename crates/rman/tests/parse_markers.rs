//! Marker lines of our SQL*Plus scripts: the real outputs of the original tool and malformed
//! values.
#![allow(clippy::unwrap_used)]

mod common;
use common::fixture;

use chrono::NaiveDateTime;
use rman::parse::{parse_marker_line, CdbDetect, Marker, MarkerErrorKind, Markers};

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// The part of the imagecopywithsnap log printed by the "Switch current log" SQL*Plus run.
fn switch_log_run(log: &str) -> String {
    let start = log
        .find("INFO     orcl            Switch current log")
        .unwrap();
    let end = start + log[start..].find("SQL*Plus execution successful").unwrap();
    log[start..end].to_owned()
}

#[test]
fn imagecopywithsnap_switch_log_run() {
    let m = Markers::parse(&switch_log_run(&fixture(
        "orcl_20161108T215335_imagecopywithsnap.log",
    )))
    .unwrap();
    assert_eq!(m.scn, Some(799_175));
    assert_eq!(m.time, Some(t("2016-11-08 21:53:35")));
    assert_eq!(
        m.bct_path(),
        Some("/u01/app/oracle/oradata/ORCL/changetracking/o1_mf_cn8pwrjs_.chg")
    );
    assert_eq!(m.all.len(), 3);
    assert!(m.dbconfig.is_empty());
}

#[test]
fn imagecopywithsnap_whole_log() {
    let m = Markers::parse(&fixture("orcl_20161108T215335_imagecopywithsnap.log")).unwrap();
    // Two "archivecurrentlogs" runs: scalars keep the first, `all` keeps both.
    assert_eq!(m.scn, Some(799_175));
    assert_eq!(m.time, Some(t("2016-11-08 21:53:35")));
    let scns: Vec<u64> = m
        .all
        .iter()
        .filter_map(|l| match l.marker {
            Marker::Scn(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(scns, [799_175, 799_393]);
    let times: Vec<_> = m
        .all
        .iter()
        .filter_map(|l| match l.marker {
            Marker::Time(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(times, [t("2016-11-08 21:53:35"), t("2016-11-08 21:53:54")]);
    assert_eq!(
        m.bct_file,
        Some(Some(
            "/u01/app/oracle/oradata/ORCL/changetracking/o1_mf_cn8pwrjs_.chg".to_owned()
        ))
    );

    // autorestoreparameters
    let expected: Vec<(&str, &str)> = vec![
        ("backup-finished", "2016-11-08 21:53:58"),
        ("compatible", "12.1.0.2.0"),
        ("db_block_size", "8192"),
        ("db_files", "200"),
        ("db_name", "orcl"),
        ("enable_pluggable_database", "FALSE"),
        ("undo_tablespace", "UNDOTBS1"),
    ];
    let got: Vec<(&str, &str)> = m
        .dbconfig
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(m.db_name(), Some("orcl"));
    assert_eq!(m.db_block_size(), Some(8192));
    assert_eq!(m.db_files(), Some(200));
    assert_eq!(m.enable_pluggable_database(), Some(false));
    assert_eq!(m.backup_finished(), Some(t("2016-11-08 21:53:58")));

    // "SQL> select 'CURRENT DATABASE TIME: '||…" echo and the tool's own log lines are noise.
    assert_eq!(m.all.len(), 6 + 7);
    let lines: Vec<usize> = m.all.iter().map(|l| l.line).collect();
    assert_eq!(lines[..3], [38, 39, 40]);
    assert!(m.archivelog_backups.is_empty());
    assert!(m.delete_copies.is_empty());
    assert!(m.renames.is_empty());
    assert!(m.outlog.is_empty());
    assert_eq!(m.cdb, None);
    assert_eq!(m.custom_verification_time, None);
    assert!(!m.registered_in_catalog);
}

#[test]
fn config_log_has_no_markers() {
    let m = Markers::parse(&fixture("orcl_20161108T215324_config.log")).unwrap();
    assert!(m.is_empty(), "{m:?}");
}

/// Outputs of the scripts the fixtures do not cover, as SQL*Plus -S prints them.
#[test]
fn command_markers() {
    let out = "\
INSTANCE_NAME    HOST_NAME                VERSION    STATUS       DATABASE_STATUS
---------------- ------------------------ ---------- ------------ -----------------
orcl             backup                   12.1.0.2.0 OPEN         ACTIVE

1 row selected.

Elapsed: 00:00:00.00
BACKUP force as copy archivelog sequence 15 thread 1;
BACKUP force as copy archivelog sequence 16 thread 1;

2 rows selected.

DELETECOPY: delete noprompt datafilecopy '/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-USERS_FNO-4_40r6dcok';
CDB-DETECT: C##

PL/SQL procedure successfully completed.
RENAMEDF-switch datafile 1 to copy;   
RENAMEDF-switch datafile 4 to copy;\r
CUSTOM VERIFICATION TIME: 2016-11-08 21:50:01
OUTLOG: { \"type\": \"job\", \"job_name\": \"IMAGECOPY_JOB\" }
DATABASE IS REGISTERED IN RC
BCT FILE:
";
    let m = Markers::parse(out).unwrap();
    assert_eq!(
        m.archivelog_backups,
        [
            "BACKUP force as copy archivelog sequence 15 thread 1;",
            "BACKUP force as copy archivelog sequence 16 thread 1;"
        ]
    );
    assert_eq!(
        m.delete_copies,
        ["delete noprompt datafilecopy '/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-USERS_FNO-4_40r6dcok';"]
    );
    assert_eq!(
        m.cdb,
        Some(CdbDetect::Cdb {
            common_user_prefix: "C##".into()
        })
    );
    assert_eq!(m.cdb.as_ref().unwrap().user_prefix(), "C##");
    assert_eq!(
        m.renames,
        ["switch datafile 1 to copy;", "switch datafile 4 to copy;"]
    );
    assert_eq!(m.custom_verification_time, Some(t("2016-11-08 21:50:01")));
    assert_eq!(
        m.outlog,
        ["{ \"type\": \"job\", \"job_name\": \"IMAGECOPY_JOB\" }"]
    );
    assert!(m.registered_in_catalog);
    assert_eq!(m.bct_file, Some(None));
    assert_eq!(m.bct_path(), None);
    assert_eq!(m.scn, None);

    let no = Markers::parse("CDB-DETECT: NO\n").unwrap();
    assert_eq!(no.cdb, Some(CdbDetect::NotCdb));
    assert!(!no.cdb.unwrap().is_cdb());
}

#[test]
fn indented_or_echoed_marker_text_is_noise() {
    let out =
        "SQL> select 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database union all\n  \
               2  select 'BCT FILE: '||filename from v$block_change_tracking;\n \
               CURRENT DATABASE SCN: abc\n\
               2016-11-08 21:53:35,650 INFO     orcl            CURRENT DATABASE SCN: x\n";
    assert!(Markers::parse(out).unwrap().is_empty());
}

#[test]
fn malformed_values_are_errors_naming_the_line() {
    let out = "header\n\nCURRENT DATABASE SCN: abc\n";
    let e = Markers::parse(out).unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.text, "CURRENT DATABASE SCN: abc");
    assert_eq!(e.kind, MarkerErrorKind::BadScn("abc".into()));
    assert!(e.to_string().contains("line 3"), "{e}");

    let cases: &[(&str, MarkerErrorKind)] = &[
        (
            "CURRENT DATABASE SCN:",
            MarkerErrorKind::BadScn(String::new()),
        ),
        (
            "CURRENT DATABASE SCN: +5",
            MarkerErrorKind::BadScn("+5".into()),
        ),
        (
            "CURRENT DATABASE SCN: 99999999999999999999999",
            MarkerErrorKind::BadScn("99999999999999999999999".into()),
        ),
        (
            "CURRENT DATABASE TIME: 08-NOV-16",
            MarkerErrorKind::BadTime {
                marker: "CURRENT DATABASE TIME:",
                value: "08-NOV-16".into(),
            },
        ),
        (
            "CUSTOM VERIFICATION TIME: 2016-13-01 00:00:00",
            MarkerErrorKind::BadTime {
                marker: "CUSTOM VERIFICATION TIME:",
                value: "2016-13-01 00:00:00".into(),
            },
        ),
        ("dbconfig-db_name orcl", MarkerErrorKind::MissingSeparator),
        (
            "dbconfig-: x",
            MarkerErrorKind::BadDbconfigName(String::new()),
        ),
        (
            "dbconfig-db name: x",
            MarkerErrorKind::BadDbconfigName("db name".into()),
        ),
        (
            "dbconfig-db_block_size: 8k",
            MarkerErrorKind::BadDbconfigValue {
                name: "db_block_size".into(),
                value: "8k".into(),
                expected: "an unsigned integer",
            },
        ),
        (
            "dbconfig-enable_pluggable_database: MAYBE",
            MarkerErrorKind::BadDbconfigValue {
                name: "enable_pluggable_database".into(),
                value: "MAYBE".into(),
                expected: "TRUE or FALSE",
            },
        ),
        (
            "DELETECOPY:",
            MarkerErrorKind::EmptyValue {
                marker: "DELETECOPY:",
            },
        ),
        (
            "RENAMEDF-",
            MarkerErrorKind::EmptyValue {
                marker: "RENAMEDF-",
            },
        ),
        (
            "CDB-DETECT: ",
            MarkerErrorKind::EmptyValue {
                marker: "CDB-DETECT:",
            },
        ),
        (
            "BACKUP force as copy",
            MarkerErrorKind::EmptyValue {
                marker: "BACKUP force as copy",
            },
        ),
    ];
    for (line, kind) in cases {
        assert_eq!(parse_marker_line(line).as_ref(), Err(kind), "{line}");
        let e = Markers::parse(&format!("x\n{line}\n")).unwrap_err();
        assert_eq!((e.line, &e.kind), (2, kind));
    }
}

#[test]
fn lenient_parse_keeps_good_markers() {
    let (m, errors) = Markers::parse_lenient(
        "CURRENT DATABASE SCN: abc\nCURRENT DATABASE SCN: 42\nBCT FILE: /x\n",
    );
    assert_eq!(m.scn, Some(42));
    assert_eq!(m.bct_path(), Some("/x"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 1);
}

#[test]
fn rendering() {
    let cases = [
        (Marker::Scn(799_175), "CURRENT DATABASE SCN: 799175"),
        (
            Marker::Time(t("2016-11-08 21:53:35")),
            "CURRENT DATABASE TIME: 2016-11-08 21:53:35",
        ),
        (Marker::BctFile(None), "BCT FILE:"),
        (
            Marker::DbConfig {
                name: "db_name".into(),
                value: "orcl".into(),
            },
            "dbconfig-db_name: orcl",
        ),
        (Marker::CdbDetect(CdbDetect::NotCdb), "CDB-DETECT: NO"),
        (
            Marker::RenameDatafile("switch database to copy;".into()),
            "RENAMEDF-switch database to copy;",
        ),
        (Marker::RegisteredInCatalog, "DATABASE IS REGISTERED IN RC"),
    ];
    for (m, s) in cases {
        assert_eq!(m.to_string(), s);
        assert_eq!(parse_marker_line(s), Ok(Some(m)));
    }
    assert_eq!(parse_marker_line("1 row selected."), Ok(None));
}

//! `rman::template`: Python `string.Template` semantics, template files (INI, `%%`, user
//! overrides) and the built-in entries.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use backupcore::config::{Config, DbSettings, GenericSettings};
use proptest::prelude::*;
use rman::template::{
    placeholders, setschedule_script, substitute, Origin, RuntimeValues, SubstituteError,
    Substitutions, TemplateError, TemplateKind, TemplateSet,
};

fn subst(t: &str, values: &[(&str, &str)]) -> Result<String, SubstituteError> {
    let map: BTreeMap<&str, &str> = values.iter().copied().collect();
    substitute(t, |n| map.get(n).copied())
}

fn invalid(line: usize, col: usize) -> Result<String, SubstituteError> {
    Err(SubstituteError::Invalid { line, col })
}

#[test]
fn dollar_forms() {
    let v = [
        ("x", "X"),
        ("_x9", "U"),
        ("y", "Y"),
        ("backupdest", "/nfs/backup/orcl"),
    ];
    assert_eq!(subst("a$$b$_x9${y}z", &v).unwrap(), "a$bUYz");
    assert_eq!(subst("v$$database", &v).unwrap(), "v$database");
    assert_eq!(subst("$$$x", &v).unwrap(), "$X");
    assert_eq!(
        subst("'${backupdest}/%U'", &v).unwrap(),
        "'/nfs/backup/orcl/%U'"
    );
    assert_eq!(subst("$x.y $x-1 $x/", &v).unwrap(), "X.y X-1 X/");
    assert_eq!(subst("", &v).unwrap(), "");
    assert_eq!(subst("no placeholders", &v).unwrap(), "no placeholders");
    // `$name` takes the longest identifier.
    assert_eq!(
        subst("$xy", &v),
        Err(SubstituteError::Missing { name: "xy".into() })
    );
    // Identifiers are ASCII, case-sensitive names.
    assert_eq!(
        subst("$X", &v),
        Err(SubstituteError::Missing { name: "X".into() })
    );
    assert_eq!(subst("$xé", &v).unwrap(), "Xé");
}

#[test]
fn values_are_inserted_verbatim() {
    let v = [("x", "$y ${y} $$ $"), ("y", "no")];
    assert_eq!(subst("[$x]", &v).unwrap(), "[$y ${y} $$ $]");
}

#[test]
fn invalid_placeholders_like_python() {
    // Expected values are Python 3's own.
    let v = [("x", "X"), ("y", "Y")];
    assert_eq!(subst("$ ", &v), invalid(1, 1));
    assert_eq!(subst("a\n  $1", &v), invalid(2, 3));
    assert_eq!(subst("x ${y", &v), invalid(1, 3));
    assert_eq!(subst("${1}", &v), invalid(1, 1));
    assert_eq!(subst("${}", &v), invalid(1, 1));
    assert_eq!(subst("${ y}", &v), invalid(1, 1));
    assert_eq!(subst("end$", &v), invalid(1, 4));
    assert_eq!(subst("ab\r\nc $", &v), invalid(2, 3));
    assert_eq!(subst("é\u{2028}é$x$", &v), invalid(2, 4));
    assert_eq!(
        subst("$ ", &v).unwrap_err().to_string(),
        "Invalid placeholder in string: line 1, col 1"
    );
    // The first problem from the left wins.
    assert_eq!(
        subst("$nope $ ", &v),
        Err(SubstituteError::Missing {
            name: "nope".into()
        })
    );
    assert_eq!(subst("$ $nope", &v), invalid(1, 1));
}

#[test]
fn placeholder_listing() {
    assert_eq!(
        placeholders("$a ${b} $$c $a ${a}").unwrap(),
        vec!["a".to_string(), "b".to_string()]
    );
    assert!(placeholders("${").is_err());
}

proptest! {
    #[test]
    fn substitute_never_panics(t in "[ -~\\n$é{}]{0,40}") {
        let _ = subst(&t, &[("a", "1")]);
    }

    #[test]
    fn text_without_dollar_is_unchanged(t in "[^$]{0,60}") {
        prop_assert_eq!(subst(&t, &[]).unwrap(), t);
    }
}

fn sample_subs() -> Substitutions {
    let cfg = Config::from_str_at(
        "[generic]\nbackupdest: /nfs/backup/\ntnsadmin: tns\nosuser: oracle\noraclehome: /u01/db\n\
         [rman]\ncatalog: /@rman\nsectionsize: 8G\n\
         [orcl]\ndbid: 1433672784\nrecoverywindow: 2\nparallel: 4\nsnapexpirationdays: 31\n\
         backupjobenabled: False\nschedulearchlog: FREQ=HOURLY;INTERVAL=2\n",
        Path::new("/etc/backup/backup.cfg"),
        None,
    )
    .unwrap();
    let db = cfg.database("orcl").unwrap();
    Substitutions::for_backup(
        &GenericSettings::for_db(&db).unwrap(),
        &DbSettings::load(&db).unwrap(),
        RuntimeValues {
            logfile: Path::new("/nfs/backup/orcl/backup_logs/x.log"),
            scriptpath: Path::new("/opt/backup"),
            configfile: Some(Path::new("/opt/backup/backup.cfg")),
            ospassword: Some("s3cr&t"),
        },
    )
}

#[test]
fn substitutions_from_settings() {
    let s = sample_subs();
    let want = [
        ("recoverywindow", "2"),
        ("parallel", "4"),
        ("backupdest", "/nfs/backup/orcl"),
        ("archdir", "/nfs/backup/orcl/archivelog"),
        ("catalogconnect", "/@rman"),
        ("configname", "orcl"),
        ("osuser", "oracle"),
        ("ospassword", "s3cr&t"),
        ("scriptpath", "/opt/backup"),
        ("configfile", "/opt/backup/backup.cfg"),
        ("schedulebackup", "FREQ=DAILY"),
        ("schedulearchlog", "FREQ=HOURLY;INTERVAL=2"),
        ("dbid", "1433672784"),
        ("oraclehome", "/u01/db"),
        ("tnspath", "/etc/backup/tns"),
        ("logfile", "/nfs/backup/orcl/backup_logs/x.log"),
        ("backupjobenabled", "false"),
        ("sectionsize", "section size 8G"),
    ];
    for (k, v) in want {
        assert_eq!(s.get(k), Some(v), "{k}");
    }
    assert_eq!(s.names().count(), want.len());
    // The secret stays out of Debug output and is masked by redact.
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("s3cr&t"), "{dbg}");
    assert!(dbg.contains("ospassword"));
    assert_eq!(s.redact("password=>'s3cr&t'"), "password=>'********'");
    let mut s = s;
    s.set_schedule_user_prefix("C##");
    assert_eq!(s.get("scheduleuserprefix"), Some("C##"));
}

#[test]
fn empty_section_size_renders_empty() {
    let s = Substitutions::new().with("sectionsize", "");
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let s = s.with("recoverywindow", "2").with("backupdest", "/b");
    assert!(set
        .render("backupimagecopy", &s)
        .unwrap()
        .starts_with("backup  incremental level 1 for recover of copy"));
}

/// Entry names of the original tool's three template files.
const ORIGINAL_ENTRIES: [(TemplateKind, &[&str]); 3] = [
    (
        TemplateKind::Rman,
        &[
            "header",
            "headercatalog",
            "footer",
            "backupimagecopy",
            "backupfooter",
            "registerdatabase",
            "resynccatalog",
            "config",
            "configdelalnodg",
            "configdelaldg",
            "report",
            "validatebackup",
            "headerrestore",
            "fullrestore",
            "restorefooter",
            "allocatearchlogchannel",
            "dropschedule",
            "createschedule",
            "cdbdetect",
            "createuser",
            "sqlplusheader",
            "sqlplusfooter",
            "archivecurrentlogs",
            "archivelogmissing",
            "deletedatafilecopy",
            "configfromsqlplus",
            "isdbregisteredincatalog",
            "autorestoreparameters",
        ],
    ),
    (
        TemplateKind::Restore,
        &[
            "autoinitora",
            "cdbinitora",
            "sqlplusheader",
            "sqlplusfooter",
            "startupnomount",
            "shutdown",
            "openandverify",
            "validateblocks",
            "showcorruptblocks",
            "rmanheader",
            "rmanfooter",
            "rmanmount",
            "clearlogs",
            "rmancatalog",
            "switchdatafiles",
            "recoverdatafiles",
            "disablebct",
            "shutdownabort",
            "createcatalog",
            "sqlldrlog",
            "insertlog",
        ],
    ),
    (
        TemplateKind::Report,
        &[
            "sqlplusheader",
            "sqlplusautorestoreheader",
            "sqlplusfooter",
            "jobstatus",
            "autorestorestatus",
        ],
    ),
];

/// Placeholder names of the original's entries (the values its programs provided).
const ORIGINAL_PLACEHOLDERS: [(TemplateKind, &[&str]); 3] = [
    (
        TemplateKind::Rman,
        &[
            "configname",
            "catalogconnect",
            "sectionsize",
            "recoverywindow",
            "backupdest",
            "parallel",
            "tnspath",
            "dbid",
            "archdir",
            "scheduleuserprefix",
            "osuser",
            "ospassword",
            "scriptpath",
            "schedulebackup",
            "schedulearchlog",
            "backupjobenabled",
            "logfile",
            // Ours: the scheduler jobs pass the configuration file to the `backup` program
            // (the original found backup.cfg beside backup.py).
            "configfile",
        ],
    ),
    (
        TemplateKind::Restore,
        &[
            "db_compatible",
            "autorestoredestination",
            "db_block_size",
            "mountdestination",
            "db_files",
            "db_name",
            "pga_size",
            "sga_size",
            "db_undotbs",
            "logdir",
            "instancenumber",
            "thread",
            "cdb",
            "logfile",
            "initora",
            "customverifydate",
            "catalogstatements",
            "lasttime",
            "bctfile",
            "autorestorecatalog",
            "log_dbname",
            "log_start",
            "log_stop",
            "log_success",
            "log_diff",
            "log_snapid",
            "log_validated",
        ],
    ),
    (
        TemplateKind::Report,
        &["logfile", "dbname", "autorestorecatalog"],
    ),
];

/// Entries (and their placeholders) we add to the original's files; a user's file of the
/// original format lacks them and falls back to these.
const ADDED_ENTRIES: [(TemplateKind, &str, &[&str]); 1] =
    [(TemplateKind::Restore, "listrestores", &["since"])];

#[test]
fn builtin_entries_match_the_original_names() {
    for (kind, names) in ORIGINAL_ENTRIES {
        let set = TemplateSet::builtin(kind).unwrap();
        let mut ours = set.builtin_entries();
        ours.sort_unstable();
        let mut theirs = names.to_vec();
        for (k, added, _) in ADDED_ENTRIES {
            if k == kind {
                theirs.push(added);
            }
        }
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "{}", kind.file_name());
    }
}

#[test]
fn builtin_entries_use_only_the_original_placeholders() {
    for (kind, allowed) in ORIGINAL_PLACEHOLDERS {
        let set = TemplateSet::builtin(kind).unwrap();
        let mut used = Vec::new();
        for entry in set.builtin_entries() {
            let raw = set.raw(entry).unwrap();
            let added: &[&str] = ADDED_ENTRIES
                .iter()
                .find(|(k, e, _)| *k == kind && *e == entry)
                .map_or(&[], |(_, _, p)| *p);
            for p in placeholders(&raw).unwrap() {
                if added.contains(&p.as_str()) {
                    continue;
                }
                assert!(allowed.contains(&p.as_str()), "{entry}: ${{{p}}}");
                if !used.contains(&p) {
                    used.push(p);
                }
            }
        }
        assert_eq!(used.len(), allowed.len(), "{}: {used:?}", kind.file_name());
    }
}

#[test]
fn builtin_marker_lines() {
    let text = |kind: TemplateKind| {
        let set = TemplateSet::builtin(kind).unwrap();
        set.builtin_entries()
            .iter()
            .map(|e| set.raw(e).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let rman = text(TemplateKind::Rman);
    for marker in [
        "'CURRENT DATABASE SCN: '",
        "'CURRENT DATABASE TIME: '",
        "'BCT FILE: '",
        "'dbconfig-'||name||': '",
        "'dbconfig-backup-finished: '",
        "q'[BACKUP force as copy archivelog sequence ]'",
        "'DELETECOPY: delete noprompt datafilecopy '",
        "'CDB-DETECT: '",
        "'CDB-DETECT: NO'",
        "'DATABASE IS REGISTERED IN RC'",
    ] {
        assert!(rman.contains(marker), "{marker}");
    }
    let restore = text(TemplateKind::Restore);
    for marker in [
        "'CURRENT DATABASE SCN: '",
        "'CUSTOM VERIFICATION TIME: '",
        "'RENAMEDF-switch database to copy;'",
        "'RENAMEDF-switch datafile '",
        "'LOG MESSAGE ID: '",
    ] {
        assert!(restore.contains(marker), "{marker}");
    }
    let report = text(TemplateKind::Report);
    assert_eq!(report.matches("'OUTLOG: ").count(), 3);
}

#[test]
fn password_is_sent_with_echo_off() {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    for entry in set.builtin_entries() {
        let raw = set.raw(entry).unwrap();
        if !raw.contains("${ospassword}") {
            continue;
        }
        assert_eq!(entry, "createschedule");
        let lines: Vec<&str> = raw.lines().collect();
        let pw = lines
            .iter()
            .position(|l| l.contains("${ospassword}"))
            .unwrap();
        let off = lines[..pw]
            .iter()
            .rposition(|l| l.eq_ignore_ascii_case("set echo off"))
            .unwrap();
        let on = lines[pw..]
            .iter()
            .position(|l| l.eq_ignore_ascii_case("set echo on"))
            .unwrap();
        // Echo stays off from before the block to after its `/`.
        assert!(!lines[off..pw]
            .iter()
            .any(|l| l.eq_ignore_ascii_case("set echo on")));
        assert!(lines[pw..pw + on].contains(&"/"));
        assert!(lines[off..pw].contains(&"set define off"));
    }
    let mut subs = sample_subs();
    subs.set_schedule_user_prefix("");
    let body = setschedule_script(&set, &subs).unwrap();
    assert_eq!(body.matches("s3cr&t").count(), 1);
}

#[test]
fn ini_rules_and_percent() {
    let user = "[template]\nfooter: EXIT\nconfig: CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '${backupdest}/%%U';\n  # kept: an indented line continues the value\n\n\tCONFIGURE X ${parallel}; # not a comment\nbad: 50% off\n";
    let set =
        TemplateSet::with_user_text(TemplateKind::Rman, Path::new("/cfg/rmantemplate.cfg"), user)
            .unwrap();
    let subs = Substitutions::new()
        .with("backupdest", "/b")
        .with("parallel", "4");
    assert_eq!(
        set.render("config", &subs).unwrap(),
        "CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '/b/%U';\n# kept: an indented line continues the value\nCONFIGURE X 4; # not a comment"
    );
    let e = set.render("bad", &subs).unwrap_err();
    assert!(matches!(e, TemplateError::Interpolation { .. }));
    let msg = e.to_string();
    assert!(
        msg.starts_with("template entry 'bad' (/cfg/rmantemplate.cfg, line 7): "),
        "{msg}"
    );
}

#[test]
fn missing_value_names_entry_and_placeholder() {
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    let subs = Substitutions::new()
        .with("recoverywindow", "2")
        .with("backupdest", "/b");
    let e = set.render("backupimagecopy", &subs).unwrap_err();
    assert_eq!(
        e.to_string(),
        "template entry 'backupimagecopy': no value for ${sectionsize}"
    );
    let user = "[template]\n\nbackupimagecopy: backup $ incremental;\n";
    let set =
        TemplateSet::with_user_text(TemplateKind::Rman, Path::new("/c/rmantemplate.cfg"), user)
            .unwrap();
    assert_eq!(
        set.render("backupimagecopy", &subs).unwrap_err().to_string(),
        "template entry 'backupimagecopy' (/c/rmantemplate.cfg, line 3): Invalid placeholder in string: line 1, col 8"
    );
    let e = set.render("nosuchentry", &subs).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no template entry 'nosuchentry' in the built-in rmantemplate.cfg or in /c/rmantemplate.cfg"
    );
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rman-template-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn user_file_beside_the_config_overrides_entry_by_entry() {
    let dir = scratch_dir("override");
    // No file: built-in only.
    let set = TemplateSet::load(TemplateKind::Rman, &dir).unwrap();
    assert_eq!(set.user_file(), None);
    std::fs::write(
        dir.join("rmantemplate.cfg"),
        "# site templates\n[template]\nfooter: # site footer\n  EXIT\nbackupfull: backup database;\n",
    )
    .unwrap();
    let set = TemplateSet::load(TemplateKind::Rman, &dir).unwrap();
    let path = dir.join("rmantemplate.cfg");
    assert_eq!(set.user_file(), Some(path.as_path()));
    let subs = Substitutions::new().with("configname", "orcl");
    assert_eq!(set.render("footer", &subs).unwrap(), "# site footer\nEXIT");
    assert_eq!(
        set.origin("footer"),
        Some(Origin::File {
            path: path.clone(),
            line: 3
        })
    );
    assert_eq!(
        set.render("header", &subs).unwrap(),
        "SET ECHO ON\nCONNECT TARGET /@orcl"
    );
    assert_eq!(set.origin("HEADER"), Some(Origin::Builtin));
    assert!(set.contains("backupfull"));
    assert_eq!(set.entries().last(), Some(&"backupfull"));
    assert_eq!(set.entries().len(), set.builtin_entries().len() + 1);
    // The other kinds do not read this file.
    let restore = TemplateSet::load(TemplateKind::Restore, &dir).unwrap();
    assert_eq!(restore.user_file(), None);

    // Errors name the file and the line.
    std::fs::write(
        dir.join("rmantemplate.cfg"),
        "[template]\nfooter: EXIT\nthis is not ini\n",
    )
    .unwrap();
    let e = TemplateSet::load(TemplateKind::Rman, &dir).unwrap_err();
    assert!(matches!(e, TemplateError::Syntax { line: 3, .. }));
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("template file {}, line 3: ", path.display())),
        "{msg}"
    );
    std::fs::write(dir.join("rmantemplate.cfg"), "[templates]\nfooter: EXIT\n").unwrap();
    let e = TemplateSet::load(TemplateKind::Rman, &dir).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("template file {} has no [template] section", path.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

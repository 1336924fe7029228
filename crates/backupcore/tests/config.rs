//! Loading the original tool's backup.cfg: the seed README's examples, overrides, defaults,
//! discovery and one-line errors.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::Duration;

use backupcore::config::{
    discover_in, AutorestoreSettings, Config, ConfigError, DbSettings, GenericSettings, StorageKind,
};
use backupcore::retention::Policy;

/// The configuration pieces of the seed README (the original tool's README), verbatim.
const SEED_README_CONFIG: &str = r#"[generic]
# Root directory for backups, backups will be placed under $backupdest/db_unique_name
backupdest: /nfs/backup
# Directory where tnsnames.ora and sqlnet.ora are located in relation to the backup scripts directory
tnsadmin: tns.demo
# OS user that executes the backup
osuser: oracle
# Oracle home
oraclehome: /u01/app/oracle/product/12.1.0.2/db

[zfssa]
# ZFSSA REST API URL
url: https://zfssa.example.com:215
# Disk pool and project where database backup filesystems are located
pool: disk-pool1
project: db-backup1

# Section name has to be the same as db_unique_name parameter in the database
[orcl]
# Database ID: select to_char(dbid) from v$database
dbid: 1433672784
# How many days of archivelogs to keep on disk
# No need to make it a large number it has no effect on snapshot retention and older archivelogs are still stored in snapshots
recoverywindow: 2
# Backup parallelism (Enterprise Edition feature only)
parallel: 4
# How many days to keep daily backups
snapexpirationdays: 31
# How many months to keep one backup per month (the last backup created for each month)
snapexpirationmonths: 6
# Is RMAN catalog also in use
registercatalog: false
# Does this database also have a Data Guard standby (Enterprise Edition feature only)
hasdataguard: false
# DBMS_SCHEDULER calendar expressions when the backup jobs should run
schedulebackup: FREQ=DAILY;BYHOUR=10;BYMINUTE=0
schedulearchlog: FREQ=HOURLY;BYHOUR=21
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn load_text(text: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "backup.cfg", text);
    let cfg = Config::load_with(&p, None).unwrap();
    (dir, cfg)
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/configs")
}

#[test]
fn seed_readme_config_loads_with_original_defaults() {
    let (dir, cfg) = load_text(SEED_README_CONFIG);
    assert_eq!(cfg.databases(), vec!["orcl"]);
    let db = cfg.database("orcl").unwrap();
    let s = DbSettings::load(&db).unwrap();
    assert_eq!(s.dbid, 1433672784);
    assert_eq!(s.recoverywindow, 2);
    assert_eq!(s.parallel, 4);
    assert_eq!(
        s.retention,
        Policy {
            days: 31,
            months: 6
        }
    );
    assert_eq!(s.schedulebackup, "FREQ=DAILY;BYHOUR=10;BYMINUTE=0");
    assert_eq!(s.schedulearchlog, "FREQ=HOURLY;BYHOUR=21");
    // Original defaults for keys the README leaves out.
    assert!(s.dosnapshot && s.gimanaged && s.backupjobenabled);
    assert!(!s.registercatalog && !s.hasdataguard);
    assert_eq!(s.sectionsize, None);
    assert_eq!(
        s.customverifydate,
        "select max(time_dp) from sys.smon_scn_time"
    );
    assert_eq!((s.autorestorethread, s.autorestoreinstancenumber), (1, 1));
    assert!(s.autorestoreenabled);

    let g = GenericSettings::for_db(&db).unwrap();
    assert_eq!(g.backupdest, PathBuf::from("/nfs/backup"));
    assert_eq!(g.backup_area("orcl"), PathBuf::from("/nfs/backup/orcl"));
    // tnsadmin is relative to the config file's directory.
    let tns = g.tnsadmin.unwrap();
    assert!(
        tns.ends_with("tns.demo") && tns.starts_with(dir.path()),
        "{tns:?}"
    );
    assert_eq!(
        g.oraclehome,
        Some(PathBuf::from("/u01/app/oracle/product/12.1.0.2/db"))
    );
    assert_eq!(g.maxlockwait, Duration::from_secs(30 * 60));
    assert_eq!(g.logretention, Duration::from_secs(20 * 86400));
    assert_eq!(
        g.storage,
        StorageKind::Reflink,
        "no storage key: the embedded default"
    );
    assert_eq!(
        db.require_in("zfssa", "url").unwrap().as_str(),
        "https://zfssa.example.com:215"
    );
}

#[test]
fn sample_configs_load_every_key() {
    for (file, storage, dbs) in [
        (
            "backup.zfssa.cfg",
            StorageKind::Zfssa,
            vec!["orcl", "olddb"],
        ),
        ("backup.netapp.cfg", StorageKind::Netapp, vec!["cdb1"]),
        ("backup.local.cfg", StorageKind::Reflink, vec!["orcl"]),
        ("backup.btrfs.cfg", StorageKind::Btrfs, vec!["orcl"]),
    ] {
        let cfg = Config::load_with(&examples_dir().join(file), None)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(cfg.databases(), dbs, "{file}");
        for db in dbs {
            let db = cfg.database(db).unwrap();
            DbSettings::load(&db).unwrap_or_else(|e| panic!("{e}"));
            let g = GenericSettings::for_db(&db).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(g.storage, storage, "{file}");
            AutorestoreSettings::for_db(&db).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn zfssa_sample_values() {
    let cfg = Config::load_with(&examples_dir().join("backup.zfssa.cfg"), None).unwrap();
    let orcl = cfg.database("orcl").unwrap();
    let s = DbSettings::load(&orcl).unwrap();
    assert_eq!(
        s.customverifydate,
        "select max(d) from (\nselect cast(max(createtime) as date) d from exampleapp.transactions\nunion all select current_dt from dbauser.autorestore_ping_timestamp)",
        "multi-line values keep their lines"
    );
    assert_eq!(s.catalog.as_deref(), Some("/@rman"));
    let a = AutorestoreSettings::for_db(&orcl).unwrap();
    assert_eq!(a.destination, PathBuf::from("/nfs/autorestore/dest"));
    assert_eq!(a.modulus, 30);
    assert_eq!(a.maxtolerance, Duration::from_secs(300));
    assert_eq!(a.sga_size.as_deref(), Some("2G"));
    assert_eq!(a.steptimeout, None, "0 is no limit");
    let g = GenericSettings::for_db(&orcl).unwrap();
    assert_eq!(g.warningsnapage, Duration::from_secs(26 * 3600));
    assert_eq!(g.criticalsnapage, Duration::from_secs(32 * 3600));
}

#[test]
fn autorestore_step_timeout() {
    let steptimeout = |v: &str| {
        let text = format!(
            "[generic]\nbackupdest: /b\n[autorestore]\nautorestoredestination: /d\nautorestorelogdir: /l\n{v}\n[orcl]\ndbid: 1\nrecoverywindow: 2\n"
        );
        let cfg = Config::from_str_at(&text, Path::new("/etc/backup/backup.cfg"), None).unwrap();
        AutorestoreSettings::for_db(&cfg.database("orcl").unwrap()).map(|a| a.steptimeout)
    };
    assert_eq!(steptimeout("").unwrap(), None);
    assert_eq!(steptimeout("autorestoresteptimeout: 0").unwrap(), None);
    assert_eq!(
        steptimeout("autorestoresteptimeout: 90").unwrap(),
        Some(Duration::from_secs(90 * 60)),
        "minutes"
    );
    assert_eq!(
        steptimeout("autorestoresteptimeout: 12h").unwrap(),
        Some(Duration::from_secs(12 * 3600))
    );
    let e = steptimeout("autorestoresteptimeout: soon")
        .unwrap_err()
        .to_string();
    assert!(e.contains("autorestoresteptimeout"), "{e}");
}

#[test]
fn per_database_overrides() {
    let cfg = Config::load_with(&examples_dir().join("backup.zfssa.cfg"), None).unwrap();
    let orcl = cfg.database("orcl").unwrap();
    let old = cfg.database("olddb").unwrap();
    assert_eq!(
        orcl.require_in("zfssa", "pool").unwrap().as_str(),
        "disk-pool1"
    );
    assert_eq!(
        old.require_in("zfssa", "pool").unwrap().as_str(),
        "oldpool-0"
    );
    assert_eq!(
        old.require_in("zfssa", "project").unwrap().as_str(),
        "databases-11g-backup"
    );
    // The value remembers where it came from, for error messages.
    let v = old.require_in("zfssa", "pool").unwrap();
    assert_eq!((v.section.as_str(), v.key.as_str()), ("olddb", "zfssapool"));
    assert_eq!(
        GenericSettings::for_db(&old).unwrap().oraclehome,
        Some(PathBuf::from("/u01/app/oracle/product/11.2.0.4/db"))
    );
    assert_eq!(
        GenericSettings::for_db(&orcl).unwrap().oraclehome,
        Some(PathBuf::from("/u01/app/oracle/product/12.1.0.2/db"))
    );
    assert_eq!(
        DbSettings::load(&old).unwrap().sectionsize.as_deref(),
        Some("32G")
    );
    assert_eq!(DbSettings::load(&orcl).unwrap().sectionsize, None);
    assert_eq!(DbSettings::load(&old).unwrap().autorestorethread, 3);
}

#[test]
fn oracle_home_from_environment_is_a_default_only() {
    let text = "[generic]\nbackupdest: /b\n[db1]\ndbid: 1\nrecoverywindow: 1\nparallel: 1\nsnapexpirationdays: 1\n[db2]\ndbid: 2\nrecoverywindow: 1\nparallel: 1\nsnapexpirationdays: 1\ngenericoraclehome: /own/home\n";
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "backup.cfg", text);
    let cfg = Config::load_with(&p, Some("/env/home")).unwrap();
    let g1 = GenericSettings::for_db(&cfg.database("db1").unwrap()).unwrap();
    assert_eq!(g1.oraclehome, Some(PathBuf::from("/env/home")));
    let g2 = GenericSettings::for_db(&cfg.database("db2").unwrap()).unwrap();
    assert_eq!(g2.oraclehome, Some(PathBuf::from("/own/home")));
    let p2 = write(
        dir.path(),
        "b2.cfg",
        "[generic]\nbackupdest: /b\noraclehome: /file/home\n",
    );
    let cfg = Config::load_with(&p2, Some("/env/home")).unwrap();
    assert_eq!(
        GenericSettings::for_file(&cfg).unwrap().oraclehome,
        Some(PathBuf::from("/file/home")),
        "the file wins over ORACLE_HOME"
    );
}

#[test]
fn percent_and_interpolation() {
    let (_d, cfg) = load_text(
        "[generic]\nbackupdest: /nfs/backup\nformat: %%d_%%U\nlogs: %(backupdest)s/logs\n",
    );
    assert_eq!(cfg.require("generic", "format").unwrap().as_str(), "%d_%U");
    assert_eq!(
        cfg.require("generic", "logs").unwrap().as_str(),
        "/nfs/backup/logs"
    );
    let (_d, cfg) = load_text("[generic]\nbackupdest: /x\nbad: 100%\n");
    let err = cfg.require("generic", "bad").unwrap_err().to_string();
    assert!(err.contains("backup.cfg: [generic] bad:"), "{err}");
}

#[test]
fn storage_from_original_snapper_keys() {
    for (lines, want) in [
        (
            "snappermodule: zfssa\nsnapperclass: ZFSSA\n",
            Ok(StorageKind::Zfssa),
        ),
        (
            "snappermodule: netapp\nsnapperclass: Netapp\n",
            Ok(StorageKind::Netapp),
        ),
        ("storage: btrfs\n", Ok(StorageKind::Btrfs)),
        (
            "storage: ZFSSA\nsnappermodule: zfssa\n",
            Ok(StorageKind::Zfssa),
        ),
        ("snappermodule: softnas\n", Err("SoftNAS is not supported")),
        (
            "storage: tape\n",
            Err("[generic] storage = 'tape': unknown storage"),
        ),
        (
            "storage: btrfs\nsnappermodule: zfssa\n",
            Err("contradicts snappermodule"),
        ),
    ] {
        let (_d, cfg) = load_text(&format!("[generic]\nbackupdest: /b\n{lines}"));
        let got = GenericSettings::for_file(&cfg).map(|g| g.storage);
        match (got, want) {
            (Ok(g), Ok(w)) => assert_eq!(g, w, "{lines}"),
            (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{lines}: {e}"),
            (g, w) => panic!("{lines}: got {g:?}, want {w:?}"),
        }
    }
}

/// Every error is one line naming the file and, where it applies, section, key and value.
fn one_line(e: &ConfigError) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "error must be one line: {s:?}");
    s
}

const GOOD_DB: &str = "[generic]\nbackupdest: /nfs/backup\n[orcl]\ndbid: 1433672784\nrecoverywindow: 2\nparallel: 4\nsnapexpirationdays: 31\n";

#[test]
fn error_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope.cfg");
    let e = one_line(&Config::load_with(&p, None).unwrap_err());
    assert!(
        e.contains(&p.display().to_string()) && e.contains("not found"),
        "{e}"
    );
}

#[test]
fn error_unknown_database() {
    let (dir, cfg) = load_text(GOOD_DB);
    let e = one_line(&cfg.database("prod").unwrap_err());
    let file = dir.path().join("backup.cfg").display().to_string();
    assert_eq!(
        e,
        format!("{file}: no database section [prod] (databases in this file: orcl)")
    );
    // A reserved section is not a database either.
    assert!(cfg.database("generic").is_err());
}

#[test]
fn error_non_integer_parallel() {
    let (dir, cfg) = load_text(&GOOD_DB.replace("parallel: 4", "parallel: four"));
    let e = one_line(&DbSettings::load(&cfg.database("orcl").unwrap()).unwrap_err());
    let file = dir.path().join("backup.cfg").display().to_string();
    assert_eq!(
        e,
        format!("{file}: [orcl] parallel = 'four': expected a whole number of at least 1")
    );
    let (_d, cfg) = load_text(&GOOD_DB.replace("parallel: 4", "parallel: 0"));
    let e = one_line(&DbSettings::load(&cfg.database("orcl").unwrap()).unwrap_err());
    assert!(e.contains("[orcl] parallel = '0'"), "{e}");
}

#[test]
fn error_missing_dbid() {
    let (dir, cfg) = load_text(&GOOD_DB.replace("dbid: 1433672784\n", ""));
    let e = one_line(&DbSettings::load(&cfg.database("orcl").unwrap()).unwrap_err());
    let file = dir.path().join("backup.cfg").display().to_string();
    assert_eq!(e, format!("{file}: [orcl] dbid: required key is missing"));
}

#[test]
fn error_other_bad_values() {
    for (text, want) in [
        (GOOD_DB.replace("dbid: 1433672784", "dbid: -5"), "[orcl] dbid = '-5'"),
        (
            format!("{GOOD_DB}dosnapshot: maybe\n"),
            "[orcl] dosnapshot = 'maybe': expected true or false",
        ),
        (
            GOOD_DB.replace("backupdest: /nfs/backup", "backupdest: /b\nmaxlockwait: soon"),
            "[generic] maxlockwait = 'soon': expected a whole number of minutes",
        ),
        (
            GOOD_DB.replace("backupdest: /nfs/backup", "warningsnapage: 30\ncriticalsnapage: 20\nbackupdest: /b"),
            "[generic] criticalsnapage = '20': must not be less than warningsnapage",
        ),
        (
            GOOD_DB.replace("backupdest: /nfs/backup\n", ""),
            "[generic] backupdest: required key is missing; set it there or as genericbackupdest in [orcl]",
        ),
    ] {
        let (_d, cfg) = load_text(&text);
        let db = cfg.database("orcl").unwrap();
        let e = DbSettings::load(&db)
            .err()
            .or_else(|| GenericSettings::for_db(&db).err())
            .unwrap_or_else(|| panic!("no error for {text}"));
        let e = one_line(&e);
        assert!(e.contains(want), "{e} should contain {want}");
    }
}

#[test]
fn error_syntax_names_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "backup.cfg", "[generic]\nbackupdest /nfs\n");
    let e = one_line(&Config::load_with(&p, None).unwrap_err());
    assert!(e.starts_with(&format!("{}:2: ", p.display())), "{e}");
    let p = write(dir.path(), "b.cfg", "backupdest: /nfs\n");
    let e = one_line(&Config::load_with(&p, None).unwrap_err());
    assert!(e.contains(":1: no [section] header"), "{e}");
}

#[test]
fn discovery_order() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    write(cwd, "backup.cfg", GOOD_DB);
    write(cwd, "env.cfg", GOOD_DB);
    write(cwd, "cli.cfg", GOOD_DB);
    let d = |cli: Option<&str>, env: Option<&str>| {
        discover_in(cli.map(Path::new), env.map(Into::into), cwd)
    };
    assert_eq!(
        d(Some("cli.cfg"), Some("env.cfg")).unwrap(),
        cwd.join("cli.cfg")
    );
    assert_eq!(d(None, Some("env.cfg")).unwrap(), cwd.join("env.cfg"));
    assert_eq!(d(None, None).unwrap(), cwd.join("backup.cfg"));
    assert_eq!(d(None, Some("")).unwrap(), cwd.join("backup.cfg"));
    let e = one_line(&d(None, Some("missing.cfg")).unwrap_err());
    assert!(
        e.contains("missing.cfg") && e.contains("BACKUPCONFIG"),
        "{e}"
    );
    let e = one_line(&d(Some("gone.cfg"), None).unwrap_err());
    assert!(e.contains("gone.cfg") && e.contains("--config"), "{e}");
    std::fs::remove_file(cwd.join("backup.cfg")).unwrap();
    let e = one_line(&d(None, None).unwrap_err());
    assert!(e.contains("backup.cfg"), "{e}");
}

#[test]
fn database_list_skips_reserved_sections() {
    let (_d, cfg) = load_text(
        "[generic]\nbackupdest: /b\n[zfssa]\nurl: x\n[rman]\n[netapp]\n[softnas]\n[autorestore]\n[reflink]\n[db_b]\ndbid: 1\n[db_a]\ndbid: 2\n",
    );
    assert_eq!(cfg.databases(), vec!["db_b", "db_a"]);
}

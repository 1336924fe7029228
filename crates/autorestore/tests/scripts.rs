//! The restore test's scripts, rendered from the built-in restore templates and a clone's
//! `autorestore.cfg`, pinned with insta (what is sent to Oracle must not change unnoticed).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use autorestore::scripts::{
    find_layout, switch_commands, RestoreInputs, RestoreScripts, ScriptsError,
};
use rman::template::{TemplateKind, TemplateSet};

const PARAMS: &str = "[dbparams]
db_name: orcl
undo_tablespace: UNDOTBS1
compatible: 12.1.0.2.0
db_block_size: 8192
db_files: 200
enable_pluggable_database: FALSE
backup-finished: 2026-11-21 10:16:44
lastscn: 2100417
lasttime: 2026-11-21 10:15:00
bctfile: /u01/app/oracle/bct/orcl.bct
";

fn inputs(main: &Path, volumes: Vec<PathBuf>) -> RestoreInputs {
    RestoreInputs {
        layout: autorestore::scripts::CloneLayout {
            main: main.to_path_buf(),
            volumes,
        },
        destination: PathBuf::from("/u02/autorestore/dest"),
        logdir: PathBuf::from("/u02/autorestore/log"),
        logfile: PathBuf::from("/u02/autorestore/log/20261121T120000-orcl.log"),
        target: None,
        dbid: 1433672784,
        instance_number: 1,
        thread: 1,
        sga_size: Some("2G".to_string()),
        pga_size: None,
        customverifydate: "select max(time_dp) from sys.smon_scn_time".to_string(),
    }
}

/// Every script of a restore test, in order, under headers naming the step.
fn all_scripts(s: &RestoreScripts, main: &Path) -> String {
    let renames = switch_commands(
        "RENAMEDF-switch datafile 1 to copy;\nRENAMEDF-switch datafile 2 to copy;\nother line\n",
    );
    let steps: Vec<(&str, String)> = vec![
        ("init.ora", s.init_ora().unwrap()),
        (
            "sqlplus: startupnomount",
            s.sqlplus("startupnomount").unwrap(),
        ),
        ("rman: rmanmount", s.rman_entry("rmanmount").unwrap()),
        ("sqlplus: clearlogs", s.sqlplus("clearlogs").unwrap()),
        ("rman: rmancatalog", s.rman_entry("rmancatalog").unwrap()),
        ("sqlplus: disablebct", s.sqlplus("disablebct").unwrap()),
        (
            "sqlplus: switchdatafiles",
            s.sqlplus("switchdatafiles").unwrap(),
        ),
        ("rman: recover", s.recover(&renames).unwrap()),
        (
            "sqlplus: openandverify",
            s.sqlplus("openandverify").unwrap(),
        ),
        (
            "rman: validateblocks",
            s.rman_entry("validateblocks").unwrap(),
        ),
        (
            "sqlplus: showcorruptblocks",
            s.sqlplus("showcorruptblocks").unwrap(),
        ),
        ("sqlplus: shutdown", s.sqlplus("shutdown").unwrap()),
    ];
    let mut out = String::new();
    for (name, text) in steps {
        out.push_str(&format!("----- {name} -----\n{text}"));
    }
    // Paths of the temporary clone are shown as <clone>.
    out.replace(&main.display().to_string(), "<clone>")
}

#[test]
fn non_cdb_with_block_change_tracking() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("autorestore.cfg"), PARAMS).unwrap();
    let layout = find_layout(dir.path()).unwrap();
    assert_eq!(layout.main, dir.path());
    let s = RestoreScripts::prepare(
        TemplateSet::builtin(TemplateKind::Restore).unwrap(),
        &inputs(&layout.main, layout.volumes.clone()),
    )
    .unwrap();
    assert!(s.has_bct());
    assert!(!s.is_cdb());
    assert_eq!(s.target().to_string(), "2026-11-21 10:15:00");
    assert_eq!(
        s.init_ora_path(),
        Path::new("/u02/autorestore/dest/init.ora")
    );
    insta::assert_snapshot!(all_scripts(&s, dir.path()));
}

#[test]
fn cdb_without_bct_on_a_multi_volume_clone_with_a_target_time() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = dir.path().join("orcl");
    let v2 = dir.path().join("orcl_data2");
    std::fs::create_dir_all(&v1).unwrap();
    std::fs::create_dir_all(&v2).unwrap();
    let params = PARAMS
        .replace(
            "enable_pluggable_database: FALSE",
            "enable_pluggable_database: TRUE",
        )
        .replace("bctfile: /u01/app/oracle/bct/orcl.bct", "bctfile:");
    std::fs::write(v1.join("autorestore.cfg"), params).unwrap();
    let layout = find_layout(dir.path()).unwrap();
    assert_eq!(layout.main, v1);
    assert_eq!(layout.volumes, vec![v1.clone(), v2.clone()]);
    let mut i = inputs(&layout.main, layout.volumes.clone());
    i.target = Some(
        chrono::NaiveDateTime::parse_from_str("2026-11-21 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap(),
    );
    let s =
        RestoreScripts::prepare(TemplateSet::builtin(TemplateKind::Restore).unwrap(), &i).unwrap();
    assert!(s.is_cdb());
    assert!(!s.has_bct());
    let init = s.init_ora().unwrap();
    assert!(init.contains("*.enable_pluggable_database=TRUE"), "{init}");
    let catalog = s.rman_entry("rmancatalog").unwrap();
    for v in [&v1, &v2] {
        assert!(
            catalog.contains(&format!(
                "catalog start with '{}/archivelog/' noprompt;",
                v.display()
            )),
            "{catalog}"
        );
        assert!(
            catalog.contains(&format!(
                "catalog start with '{}/data_' noprompt;",
                v.display()
            )),
            "{catalog}"
        );
    }
    let recover = s.recover(&[]).unwrap();
    assert!(
        recover.contains(
            "set until time \"to_date('2026-11-21 09:00:00', 'yyyy-mm-dd hh24:mi:ss')\";"
        ),
        "{recover}"
    );
}

#[test]
fn a_clone_without_autorestore_cfg_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("somevolume")).unwrap();
    let err = find_layout(dir.path()).unwrap_err();
    assert!(matches!(err, ScriptsError::NoParams(_)), "{err}");
    assert!(
        err.to_string().contains("autorestore.cfg not found"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("autorestore.cfg"),
        "[dbparams]\ndb_name: orcl\n",
    )
    .unwrap();
    let layout = find_layout(dir.path()).unwrap();
    let err = RestoreScripts::prepare(
        TemplateSet::builtin(TemplateKind::Restore).unwrap(),
        &inputs(&layout.main, layout.volumes.clone()),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("autorestore.cfg: no lasttime"),
        "{err}"
    );
}

#[test]
fn switch_commands_from_sqlplus_output() {
    let out = "SQL> declare\nRENAMEDF-switch database to copy;\nRENAMEDF-\nPL/SQL procedure successfully completed.\n";
    assert_eq!(
        switch_commands(out),
        vec!["switch database to copy;".to_string()]
    );
}

//! The config parser and typed settings never panic, on arbitrary text and on near-misses of
//! real configs; a value survives a write/parse round trip.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;

use backupcore::config::ini::Ini;
use backupcore::config::{AutorestoreSettings, Config, DbSettings, GenericSettings};
use proptest::prelude::*;

fn exercise(text: &str) {
    let Ok(cfg) = Config::from_str_at(text, Path::new("/p/backup.cfg"), None) else {
        return;
    };
    let _ = GenericSettings::for_file(&cfg);
    for db in cfg.databases() {
        let d = cfg.database(db).unwrap();
        let _ = DbSettings::load(&d);
        let _ = GenericSettings::for_db(&d);
        let _ = AutorestoreSettings::for_db(&d);
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC*") {
        exercise(&text);
    }

    #[test]
    fn never_panics_on_config_like_text(
        lines in prop::collection::vec(
            prop_oneof![
                "\\[[a-z%()]{0,8}\\]",
                "[a-z]{1,12}[:=] ?[ -~]{0,20}",
                "[ \t]+[ -~]{0,20}",
                "[#;][ -~]{0,10}",
                Just("parallel: %(dbid)s".to_string()),
                Just("dbid: %(parallel)s".to_string()),
                Just("x: %%%".to_string()),
            ],
            0..30,
        )
    ) {
        exercise(&lines.join("\n"));
    }

    #[test]
    fn values_round_trip(key in "[a-z][a-z0-9_]{0,15}", value in "[!-~]([ -~]{0,30}[!-~])?") {
        // Values without ' ;' (an inline comment) and without '%' come back unchanged.
        prop_assume!(!value.contains(" ;") && !value.contains('%') && value != "\"\"");
        let ini = Ini::parse(&format!("[s]\n{key}: {value}\n")).unwrap();
        prop_assert_eq!(ini.get("s", &key).unwrap().unwrap(), value);
    }
}

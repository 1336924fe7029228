//! backup.cfg parsing and every typed accessor never panic, whatever the bytes.
#![no_main]

use std::path::Path;

use backupcore::config::{AutorestoreSettings, Config, DbSettings, GenericSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = Config::from_str_at(text, Path::new("/fuzz/backup.cfg"), Some("/u01/home"))
    else {
        return;
    };
    let _ = GenericSettings::for_file(&cfg);
    for name in cfg.ini().section_names() {
        if let Some(section) = cfg.ini().section(name) {
            for key in section.keys() {
                let _ = cfg.get(name, key);
            }
        }
    }
    for db in cfg.databases() {
        if let Ok(d) = cfg.database(db) {
            let _ = DbSettings::load(&d);
            let _ = GenericSettings::for_db(&d);
            let _ = AutorestoreSettings::for_db(&d);
            let _ = d.get_in("zfssa", "pool");
        }
    }
});

//! What autorestore reads: SQL*Plus output of a restore (verification time, corrupt block
//! rows, RENAMEDF commands) and the catalog setting (URL parsing and secret masking). Never
//! panics; a masked URL never contains the password it masked.
#![no_main]

use std::path::Path;
use std::time::Duration;

use autorestore::catalog::{redact_connect, redact_url, CatalogUrl};
use autorestore::scripts::switch_commands;
use autorestore::verify::{check_time, rman_corrupt_blocks};
use chrono::NaiveDateTime;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = rman_corrupt_blocks(&text);
    let _ = switch_commands(&text);
    if let Ok(target) = NaiveDateTime::parse_from_str("2026-11-21 10:15:00", "%Y-%m-%d %H:%M:%S") {
        let _ = check_time(&text, target, Duration::from_secs(300));
    }
    let _ = CatalogUrl::parse(&text, Path::new("/etc/backup")).map(|u| u.display());
    let _ = redact_connect(&text);
    let masked = redact_url(&text);
    if let Some(rest) = text.strip_prefix("postgres://u:") {
        if let Some((pw, _)) = rest.split_once('@') {
            if pw.len() > 3 && !pw.contains(['@', '?', '&', '=']) {
                assert!(!masked.contains(&format!(":{pw}@")), "{masked}");
            }
        }
    }
});

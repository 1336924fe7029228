//! What `report` reads: the `jobstatus` OUTLOG lines, SQL*Plus output (OUTLOG payloads or the
//! first ORA-/SP2- error), the Oracle catalog's `autorestorestatus` line, and run logs. Never
//! panics; a status read from a log is SUCCESS only when the log says so.
#![no_main]

use libfuzzer_sys::fuzz_target;
use report::fleet::{outlog_lines, parse_autorestorestatus};
use report::{parse_jobstatus, LastRun};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_jobstatus(&text);
    if let Ok(rows) = outlog_lines(&text) {
        for row in rows {
            let _ = parse_autorestorestatus(&row);
        }
    }
    let _ = parse_autorestorestatus(&text);
    let run = LastRun::from_log("orcl", "orcl_20261121T101500_imagecopywithsnap.log", &text);
    if run.success {
        assert!(text.contains("Result: SUCCESS"), "{run:?}");
    }
    let _ = LastRun::from_log("orcl", &text, "");
});

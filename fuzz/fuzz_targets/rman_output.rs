//! The RMAN / SQL*Plus output parsers never panic, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rman::parse::{
    error_summary, find_errors, first_error, parse_marker_line, rman_error_stacks, Markers,
    RmanSummary,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (markers, errors) = Markers::parse_lenient(&text);
    for e in &errors {
        let _ = e.to_string();
    }
    // Every marker found renders to a line that parses back to itself.
    for l in &markers.all {
        let line = l.marker.to_string();
        if !line.contains(['\n', '\r']) {
            assert_eq!(parse_marker_line(&line), Ok(Some(l.marker.clone())));
        }
    }
    let _ = Markers::parse(&text);
    for e in find_errors(&text) {
        let _ = (e.to_string(), e.full_message());
    }
    let _ = rman_error_stacks(&text);
    let _ = first_error(&text);
    let _ = error_summary(&text);
    let summary = RmanSummary::parse(&text);
    let _ = summary.elapsed();
});

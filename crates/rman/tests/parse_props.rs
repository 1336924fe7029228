//! Properties of the output parsers: no panics on any text or on mangled real outputs, and
//! marker lines round-trip.
#![allow(clippy::unwrap_used)]

mod common;
use common::fixture;

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use rman::parse::{
    error_summary, find_errors, first_error, parse_marker_line, rman_error_stacks, CdbDetect,
    Marker, Markers, RmanSummary,
};

/// Runs every parser on `text`.
fn run_all(text: &str) {
    let _ = Markers::parse(text);
    let (m, errors) = Markers::parse_lenient(text);
    for e in &errors {
        let _ = e.to_string();
    }
    for l in &m.all {
        let _ = l.marker.to_string();
    }
    let _ = (
        m.db_block_size(),
        m.db_files(),
        m.enable_pluggable_database(),
        m.backup_finished(),
    );
    for e in find_errors(text) {
        let _ = (e.to_string(), e.full_message());
    }
    let _ = rman_error_stacks(text);
    let _ = first_error(text);
    let _ = error_summary(text);
    let s = RmanSummary::parse(text);
    let _ = s.elapsed();
}

/// Lines that look like what the parsers look for, with arbitrary tails.
fn line_like() -> impl Strategy<Value = String> {
    let heads = prop::sample::select(vec![
        "CURRENT DATABASE SCN:",
        "CURRENT DATABASE TIME:",
        "BCT FILE:",
        "dbconfig-",
        "dbconfig-db_block_size:",
        "dbconfig-enable_pluggable_database:",
        "dbconfig-backup-finished:",
        "BACKUP force as copy",
        "DELETECOPY:",
        "CDB-DETECT:",
        "RENAMEDF-",
        "CUSTOM VERIFICATION TIME:",
        "OUTLOG:",
        "DATABASE IS REGISTERED IN RC",
        "RMAN-00571: ====",
        "RMAN-00569: ==== ERROR MESSAGE STACK FOLLOWS ====",
        "RMAN-03002:",
        "ORA-",
        "SP2-0310:",
        "Additional information:",
        "Linux-x86_64 Error: 28:",
        "  ",
        "",
        "RMAN> ",
        "Recovery Manager: Release ",
        "connected to target database",
        "allocated channel:",
        "Starting backup at ",
        "Finished backup at ",
        "input datafile file number=",
        "recovering datafile copy file number=",
        "piece handle=",
        "output file name=",
        "channel ORA_DISK_1: ",
        "deleted ",
        "Deleted ",
        "Recovery Manager complete.",
    ]);
    (heads, "[ -~\u{e9}\u{3000}\r=:]{0,30}").prop_map(|(h, t)| format!("{h}{t}"))
}

fn time() -> impl Strategy<Value = NaiveDateTime> {
    (
        1000i32..=9999,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(y, mo, d, h, mi, s)| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .unwrap()
                .and_hms_opt(h, mi, s)
                .unwrap()
        })
}

/// Printable ASCII without leading/trailing white space, non-empty.
const WORD: &str = "[!-~]([ -~]{0,28}[!-~])?";

fn marker() -> impl Strategy<Value = Marker> {
    prop_oneof![
        any::<u64>().prop_map(Marker::Scn),
        time().prop_map(Marker::Time),
        proptest::option::of(WORD).prop_map(Marker::BctFile),
        ("[a-z][a-z_-]{0,20}", proptest::option::of(WORD))
            .prop_filter("validated names", |(n, _)| !matches!(
                n.as_str(),
                "db_block_size" | "db_files" | "enable_pluggable_database" | "backup-finished"
            ))
            .prop_map(|(name, value)| Marker::DbConfig {
                name,
                value: value.unwrap_or_default()
            }),
        any::<u32>().prop_map(|n| Marker::DbConfig {
            name: "db_files".into(),
            value: n.to_string()
        }),
        time().prop_map(|t| Marker::DbConfig {
            name: "backup-finished".into(),
            value: t.format("%Y-%m-%d %H:%M:%S").to_string()
        }),
        (any::<u32>(), 1u32..16).prop_map(|(s, t)| Marker::ArchivelogBackup(format!(
            "BACKUP force as copy archivelog sequence {s} thread {t};"
        ))),
        WORD.prop_map(Marker::DeleteCopy),
        Just(Marker::CdbDetect(CdbDetect::NotCdb)),
        WORD.prop_filter("NO means not a CDB", |p| p != "NO")
            .prop_map(|p| Marker::CdbDetect(CdbDetect::Cdb {
                common_user_prefix: p
            })),
        WORD.prop_map(Marker::RenameDatafile),
        time().prop_map(Marker::CustomVerificationTime),
        proptest::option::of(WORD).prop_map(|s| Marker::OutLog(s.unwrap_or_default())),
        Just(Marker::RegisteredInCatalog),
    ]
}

/// Deletes (op 0) or duplicates (op 1) lines of `text` at the given positions.
fn mangle(text: &str, ops: &[(prop::sample::Index, u8)]) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    for (i, op) in ops {
        if lines.is_empty() {
            break;
        }
        let i = i.index(lines.len());
        if *op == 0 {
            lines.remove(i);
        } else {
            lines.insert(i, lines[i]);
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        run_all(&text);
    }

    #[test]
    fn line_like_text_never_panics(lines in prop::collection::vec(line_like(), 0..40)) {
        run_all(&lines.join("\n"));
        run_all(&lines.join("\r\n"));
    }

    #[test]
    fn mangled_fixtures(
        which in any::<bool>(),
        ops in prop::collection::vec((any::<prop::sample::Index>(), 0u8..2), 0..30),
    ) {
        let original = fixture(if which {
            "orcl_20161108T215335_imagecopywithsnap.log"
        } else {
            "orcl_20161108T215324_config.log"
        });
        let text = mangle(&original, &ops);
        run_all(&text);
        // Whole lines deleted or repeated: still no malformed marker and no error.
        let m = Markers::parse(&text).unwrap();
        let known: Vec<String> = Markers::parse(&original)
            .unwrap()
            .all
            .iter()
            .map(|l| l.marker.to_string())
            .collect();
        for l in &m.all {
            prop_assert!(known.contains(&l.marker.to_string()));
        }
        prop_assert!(find_errors(&text).is_empty());
        let s = RmanSummary::parse(&text);
        let full = RmanSummary::parse(&original);
        prop_assert!(s.channels.iter().all(|c| full.channels.contains(c)));
        prop_assert!(s.pieces.iter().all(|p| full.pieces.contains(p)));
    }

    #[test]
    fn marker_round_trip(m in marker(), noise in prop::collection::vec("[a-z0-9 .]{0,20}", 0..5)) {
        let line = m.to_string();
        prop_assert_eq!(parse_marker_line(&line), Ok(Some(m.clone())));
        prop_assert_eq!(parse_marker_line(&format!("{line}  \r")), Ok(Some(m.clone())));
        let mut text = noise.join("\n");
        text.push_str("\n\n");
        text.push_str(&line);
        text.push_str("\n1 row selected.\n");
        let parsed = Markers::parse(&text).unwrap();
        prop_assert_eq!(parsed.all.len(), 1);
        prop_assert_eq!(&parsed.all[0].marker, &m);
        prop_assert_eq!(parsed.all[0].line, noise.len().max(1) + 2);
    }
}

//! Parsers of SQL*Plus and RMAN output.
//!
//! * [`markers`]: the marker lines our SQL*Plus scripts print (`CURRENT DATABASE SCN: …`,
//!   `dbconfig-…: …`, `DELETECOPY: …`, …), gathered into a typed [`Markers`].
//! * [`errors`]: Oracle error lines (`RMAN-03002: …`, `ORA-19502: …`, `SP2-0310: …`), RMAN's
//!   framed error message stacks and one-line summaries for a failed step.
//! * [`summary`]: what an RMAN run did (channels, pieces, copies, recovered copies, …), as an
//!   [`RmanSummary`].
//!
//! Every parser accepts any text without panicking. Lines are matched at column 0, as the
//! original tool's `line.startswith(…)` did, with trailing white space (and `\r`) ignored, so
//! the original tool's own log lines (`2016-11-08 21:53:35,650 INFO …`) and SQL*Plus echo of
//! the statements that print the markers never match.
//!
//! ```
//! use rman::parse::{error_summary, Markers, RmanSummary};
//!
//! let out = "SYS\n\nCURRENT DATABASE TIME: 2016-11-08 21:53:35\nCURRENT DATABASE SCN: 799175\n\
//!            BCT FILE: /u01/bct.chg\n\n3 rows selected.\n";
//! let m = Markers::parse(out)?;
//! assert_eq!(m.scn, Some(799175));
//! assert_eq!(m.bct_path(), Some("/u01/bct.chg"));
//!
//! let rman = "RMAN-00571: ====\nRMAN-00569: ==== ERROR MESSAGE STACK FOLLOWS ====\n\
//!             RMAN-00571: ====\nRMAN-03002: failure of recover command at 11/08/2016 22:10:05\n\
//!             RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence 57\n";
//! assert_eq!(
//!     error_summary(rman).as_deref(),
//!     Some("RMAN-03002: failure of recover command at 11/08/2016 22:10:05; \
//!           RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence 57")
//! );
//! assert!(!RmanSummary::parse(rman).complete);
//! # Ok::<(), rman::parse::MarkerError>(())
//! ```

pub mod errors;
pub mod markers;
pub mod summary;

pub use errors::{
    error_summary, find_errors, first_error, parse_error_line, rman_error_stacks, summarize,
    ErrorStack, OracleError,
};
pub use markers::{
    parse_marker_line, CdbDetect, LocatedMarker, Marker, MarkerError, MarkerErrorKind, Markers,
};
pub use summary::{
    BackupPiece, CommandRun, CopyOutput, DeletedObject, InputDatafile, RecoveredCopy, RmanSummary,
    TargetDatabase,
};

/// Parses the date-time formats RMAN and our scripts print: `yyyy-mm-dd hh24:mi:ss` (the
/// `NLS_DATE_FORMAT` the tool sets), `mm/dd/yyyy hh24:mi:ss` (RMAN's `RMAN-03002 … at`
/// default on some platforms) and `dd-MON-yy` variants. `None` when none fits.
pub(crate) fn parse_oracle_datetime(s: &str) -> Option<chrono::NaiveDateTime> {
    use chrono::{NaiveDate, NaiveDateTime};
    let s = s.trim();
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%d-%b-%y %H:%M:%S",
        "%d-%b-%Y %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    for fmt in ["%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

/// Lines of `text` with trailing white space removed, numbered from 1.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()))
}

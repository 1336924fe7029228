//! Oracle error lines in RMAN and SQL*Plus output.
//!
//! An error line starts at column 0 with `FACILITY-NNNNN:` (`RMAN-03002:`, `ORA-19502:`,
//! `SP2-0310:`, `PLS-00201:`, `TNS-12541:` …). The lines that follow it and continue it are
//! attached as [`OracleError::details`]: indented lines, `Additional information: …`,
//! operating system errors (`Linux-x86_64 Error: 28: No space left on device`),
//! `Process ID:` / `Session ID:` lines, `PL/SQL: …` and `Help: …` lines; inside an RMAN error
//! message stack every non-blank line up to the end of the stack.
//!
//! RMAN frames the errors that ended a command:
//!
//! ```text
//! RMAN-00571: ===========================================================
//! RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
//! RMAN-00571: ===========================================================
//! RMAN-03002: failure of backup command at 11/08/2016 21:53:40
//! ORA-19502: write error on file "…", block number 1234 (block size=8192)
//! ```
//!
//! The framing lines (`RMAN-00571`, `RMAN-00569`) are not errors of their own: they open an
//! [`ErrorStack`].

use std::fmt;

use serde::Serialize;

use super::numbered_lines;

/// One Oracle error: `FACILITY-CODE: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OracleError {
    /// `RMAN`, `ORA`, `SP2`, `PLS`, `TNS`, …
    pub facility: String,
    /// The error number (`19502` for `ORA-19502`).
    pub code: u32,
    /// How many digits the code was printed with (`5` for `ORA-00942`, `4` for `SP2-0310`).
    pub code_digits: u8,
    /// The text after the colon on the error line, trimmed.
    pub message: String,
    /// Continuation lines, trimmed (`Additional information: 4`, OS errors, …).
    pub details: Vec<String>,
    /// 1-based line number of the error line.
    pub line: usize,
}

impl OracleError {
    /// The error identifier, `ORA-19502`.
    pub fn id(&self) -> String {
        format!(
            "{}-{:0width$}",
            self.facility,
            self.code,
            width = usize::from(self.code_digits)
        )
    }

    /// Whether this is `facility-code`.
    pub fn is(&self, facility: &str, code: u32) -> bool {
        self.facility == facility && self.code == code
    }

    /// The message and its continuation lines, joined by newlines.
    pub fn full_message(&self) -> String {
        let mut s = self.message.clone();
        for d in &self.details {
            s.push('\n');
            s.push_str(d);
        }
        s
    }

    /// Whether this is one of RMAN's framing lines (`RMAN-00571`, `RMAN-00569`).
    pub fn is_framing(&self) -> bool {
        self.facility == "RMAN" && (self.code == 571 || self.code == 569)
    }
}

impl fmt::Display for OracleError {
    /// `ORA-19502: write error on file …` (the first line only).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.id(), self.message)
    }
}

/// One framed RMAN error message stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorStack {
    /// 1-based line number of the first framing line.
    pub line: usize,
    /// The errors of the stack, in order (framing lines excluded).
    pub errors: Vec<OracleError>,
}

/// Parses an error line: `Some` when `line` starts (at column 0) with `FACILITY-NNNN:`.
/// The facility is an upper-case letter followed by 1 to 7 upper-case letters or digits, the
/// code 1 to 9 digits; a space before the colon is tolerated (`PRCD-1120 : …`).
pub fn parse_error_line(line: &str) -> Option<OracleError> {
    let line = line.trim_end();
    let (facility, rest) = line.split_once('-')?;
    let fb = facility.as_bytes();
    if !(2..=8).contains(&fb.len())
        || !fb[0].is_ascii_uppercase()
        || !fb
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=9).contains(&digits) {
        return None;
    }
    let (code, after) = rest.split_at(digits);
    let message = after.trim_start_matches(' ').strip_prefix(':')?;
    Some(OracleError {
        facility: facility.to_owned(),
        code: code.parse().ok()?,
        code_digits: u8::try_from(digits).ok()?,
        message: message.trim().to_owned(),
        details: Vec::new(),
        line: 0,
    })
}

/// Whether `line` continues the error on the line before it (outside a framed stack).
fn is_continuation(line: &str) -> bool {
    if line.starts_with(char::is_whitespace) {
        return true;
    }
    const PREFIXES: [&str; 6] = [
        "Additional information:",
        "Process ID:",
        "Session ID:",
        "PL/SQL:",
        "O/S-Error:",
        "Help:",
    ];
    if PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    // "Linux-x86_64 Error: 28: No space left on device", "SVR4 Error: 2: …"
    if let Some((os, rest)) = line.split_once(" Error: ") {
        return !os.is_empty()
            && !os.contains(char::is_whitespace)
            && rest.starts_with(|c: char| c.is_ascii_digit());
    }
    false
}

/// Whether `line` ends an RMAN error stack even without a blank line.
fn ends_stack(line: &str) -> bool {
    line.starts_with("RMAN>") || line.starts_with("Recovery Manager complete")
}

/// All errors and framed stacks of a text, in one pass.
fn scan(text: &str) -> (Vec<OracleError>, Vec<ErrorStack>) {
    let mut errors: Vec<OracleError> = Vec::new();
    // Stacks hold indices into `errors` while scanning.
    let mut stacks: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut cur: Option<usize> = None;
    let mut in_stack = false;
    for (n, line) in numbered_lines(text) {
        if line.is_empty() {
            cur = None;
            if stacks.last().is_some_and(|s| !s.1.is_empty()) {
                in_stack = false;
            }
            continue;
        }
        if let Some(mut e) = parse_error_line(line) {
            e.line = n;
            if e.is_framing() {
                if !in_stack || stacks.last().is_some_and(|s| !s.1.is_empty()) {
                    stacks.push((n, Vec::new()));
                }
                in_stack = true;
                cur = None;
                continue;
            }
            errors.push(e);
            let idx = errors.len() - 1;
            if in_stack {
                if let Some(s) = stacks.last_mut() {
                    s.1.push(idx);
                }
            }
            cur = Some(idx);
            continue;
        }
        match cur {
            Some(i) if is_continuation(line) || (in_stack && !ends_stack(line)) => {
                if let Some(e) = errors.get_mut(i) {
                    e.details.push(line.trim().to_owned());
                }
            }
            _ => {
                cur = None;
                if in_stack && (ends_stack(line) || stacks.last().is_some_and(|s| !s.1.is_empty()))
                {
                    in_stack = false;
                }
            }
        }
    }
    let stacks = stacks
        .into_iter()
        .map(|(line, idx)| ErrorStack {
            line,
            errors: idx.iter().filter_map(|&i| errors.get(i).cloned()).collect(),
        })
        .collect();
    (errors, stacks)
}

/// Every error line of a text (RMAN, ORA, SP2, …), in order, framing lines excluded.
pub fn find_errors(text: &str) -> Vec<OracleError> {
    scan(text).0
}

/// RMAN's framed error message stacks, in order.
pub fn rman_error_stacks(text: &str) -> Vec<ErrorStack> {
    scan(text).1
}

/// The errors that explain a failure: those of the first framed stack that holds any, else
/// every error of the text.
fn relevant(text: &str) -> Vec<OracleError> {
    let (all, stacks) = scan(text);
    stacks
        .into_iter()
        .find(|s| !s.errors.is_empty())
        .map(|s| s.errors)
        .unwrap_or(all)
}

/// The first error of a failed run: the first error of the first RMAN error stack, or the
/// first error line of the text when there is no stack (SQL*Plus).
pub fn first_error(text: &str) -> Option<OracleError> {
    relevant(text).into_iter().next()
}

/// One line `RMAN-03002: failure of backup command at …; ORA-19502: write error …` for
/// `errors` (first lines only, repeated identical errors once).
pub fn summarize(errors: &[OracleError]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let s = e.to_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen.join("; ")
}

/// The one-line error message of a failed step: [`summarize`] of the first RMAN error stack,
/// else of every error of the text; `None` when the text holds no error.
pub fn error_summary(text: &str) -> Option<String> {
    let errors = relevant(text);
    (!errors.is_empty()).then(|| summarize(&errors))
}

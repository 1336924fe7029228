//! The simulated `sqlldr` (SQL*Loader), as the original's `oraexec.py` calls it:
//! `sqlldr LOGIN control=F log=F errors=0 silent=all` (also `userid=LOGIN`, `bad=F`).
//!
//! The control file is the `sqlldrlog` entry of `restoretemplate.cfg`:
//!
//! ```text
//! LOAD DATA
//! INFILE *
//! APPEND
//! INTO TABLE restorelob
//! FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'
//! (logfile CHAR(200), loglob LOBFILE(logfile) TERMINATED BY EOF)
//! BEGINDATA
//! "/path/of/the/log"
//! ```
//!
//! Understood: `LOAD [DATA]`, `INFILE *`, `INSERT|APPEND|REPLACE|TRUNCATE`, `INTO TABLE T`,
//! `FIELDS TERMINATED BY 'c' [OPTIONALLY ENCLOSED BY 'c']`, a column list of `name [CHAR[(n)]]`
//! and `name LOBFILE(col) TERMINATED BY EOF`, `BEGINDATA` rows. The table must be one of a
//! catalog schema ([`crate::catalog`]; only `restorelob` has this shape). The log file is
//! written in SQL*Loader's format.
//!
//! Exit codes are SQL*Loader's on UNIX: 0 (EX_SUCC) every row loaded; 2 (EX_WARN) rows
//! rejected or the load discontinued (`errors=N` exceeded); 1 (EX_FAIL) command-line or
//! control file syntax errors (SQL*Loader-100, SQL*Loader-350) and Oracle errors fatal to
//! the load (a login failing with ORA-12154, a table missing: SQL*Loader-941); 3 (EX_FTL)
//! operating system errors (the control file cannot be opened: SQL*Loader-500).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, RestoreLob};

/// All rows loaded.
pub const EX_SUCC: i32 = 0;
/// Command-line or syntax errors, Oracle errors fatal to the load.
pub const EX_FAIL: i32 = 1;
/// Rows rejected or discarded, discontinued load.
pub const EX_WARN: i32 = 2;
/// Operating system errors.
pub const EX_FTL: i32 = 3;

const VERSION: &str = "12.1.0.2.0";

/// One column of the control file's field list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    /// `name [CHAR[(n)]]`.
    Char { name: String, max: usize },
    /// `name LOBFILE(col) TERMINATED BY EOF`.
    Lobfile { name: String, from: String },
}

impl Field {
    fn name(&self) -> &str {
        match self {
            Field::Char { name, .. } | Field::Lobfile { name, .. } => name,
        }
    }
}

/// A parsed control file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Control {
    method: String,
    table: String,
    terminator: char,
    enclosure: Option<char>,
    fields: Vec<Field>,
    data: Vec<String>,
}

/// A control-file syntax error: (line, message lines after SQL*Loader-350).
type SyntaxError = (usize, String);

/// Tokens of the control file before BEGINDATA, with their line numbers.
fn tokens(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split("--").next().unwrap_or("");
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_whitespace() {
                continue;
            }
            if c == '\'' || c == '"' {
                let mut s = String::from(c);
                for d in chars.by_ref() {
                    s.push(d);
                    if d == c {
                        break;
                    }
                }
                out.push((n + 1, s));
            } else if "(),".contains(c) {
                out.push((n + 1, c.to_string()));
            } else {
                let mut s = String::from(c);
                while let Some(&d) = chars.peek() {
                    if d.is_whitespace() || "(),'\"".contains(d) {
                        break;
                    }
                    s.push(d);
                    chars.next();
                }
                out.push((n + 1, s));
            }
        }
    }
    out
}

struct Parser {
    toks: Vec<(usize, String)>,
    pos: usize,
    last_line: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(|(_, t)| t.as_str())
    }

    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|(l, _)| *l)
            .unwrap_or(self.last_line)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.pos).map(|(_, t)| t.clone());
        self.pos += 1;
        t
    }

    fn error(&self, expecting: &str) -> SyntaxError {
        let found = self.peek().map_or_else(
            || "end of file".to_string(),
            |t| format!("\"{}\"", t.trim_matches(['\'', '"'])),
        );
        (
            self.line(),
            format!("Expecting {expecting}, found {found}."),
        )
    }

    fn keyword(&mut self, kw: &str) -> Result<(), SyntaxError> {
        if self.peek().is_some_and(|t| t.eq_ignore_ascii_case(kw)) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("keyword {}", kw.to_ascii_uppercase())))
        }
    }

    fn is(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.eq_ignore_ascii_case(kw))
    }

    fn quoted_char(&mut self) -> Result<char, SyntaxError> {
        let t = self.peek().unwrap_or("").to_string();
        let inner = t
            .strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
            .or_else(|| t.strip_prefix('"').and_then(|r| r.strip_suffix('"')));
        match inner.map(|s| s.chars().collect::<Vec<_>>()).as_deref() {
            Some([c]) => {
                self.pos += 1;
                Ok(*c)
            }
            _ => Err(self.error("quoted string")),
        }
    }

    fn identifier(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(t)
                if t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '#')
                    && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) =>
            {
                Ok(self.next().unwrap_or_default().to_ascii_uppercase())
            }
            _ => Err(self.error("valid column name")),
        }
    }
}

fn parse_control(text: &str) -> Result<Control, SyntaxError> {
    let mut head = String::new();
    let mut data = Vec::new();
    let mut in_data = false;
    let mut head_lines = 0;
    for line in text.lines() {
        if in_data {
            data.push(line.to_string());
        } else if line.trim().eq_ignore_ascii_case("begindata") {
            in_data = true;
        } else {
            head.push_str(line);
            head.push('\n');
            head_lines += 1;
        }
    }
    let mut p = Parser {
        toks: tokens(&head),
        pos: 0,
        last_line: head_lines.max(1),
    };
    if p.is("options") {
        return Err(p.error("keyword LOAD"));
    }
    p.keyword("load")?;
    if p.is("data") {
        p.pos += 1;
    }
    p.keyword("infile")?;
    if p.peek() != Some("*") {
        return Err(p.error("\"*\" (only data in the control file is simulated)"));
    }
    p.pos += 1;
    let mut method = "INSERT".to_string();
    if let Some(m) = p.peek().map(str::to_ascii_uppercase) {
        if ["INSERT", "APPEND", "REPLACE", "TRUNCATE"].contains(&m.as_str()) {
            method = m;
            p.pos += 1;
        }
    }
    p.keyword("into")?;
    p.keyword("table")?;
    let table = p.identifier().map_err(|_| p.error("table name"))?;
    p.keyword("fields")?;
    p.keyword("terminated")?;
    p.keyword("by")?;
    let terminator = p.quoted_char()?;
    let mut enclosure = None;
    if p.is("optionally") {
        p.pos += 1;
        p.keyword("enclosed")?;
        p.keyword("by")?;
        enclosure = Some(p.quoted_char()?);
    }
    if p.next().as_deref() != Some("(") {
        p.pos -= 1;
        return Err(p.error("\"(\""));
    }
    let mut fields = Vec::new();
    loop {
        let name = p.identifier()?;
        if p.is("char") {
            p.pos += 1;
            let mut max = 255usize;
            if p.peek() == Some("(") {
                p.pos += 1;
                max = p
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| p.error("a number"))?;
                if p.next().as_deref() != Some(")") {
                    p.pos -= 1;
                    return Err(p.error("\")\""));
                }
            }
            fields.push(Field::Char { name, max });
        } else if p.is("lobfile") {
            p.pos += 1;
            if p.next().as_deref() != Some("(") {
                p.pos -= 1;
                return Err(p.error("\"(\""));
            }
            let from = p.identifier()?;
            if p.next().as_deref() != Some(")") {
                p.pos -= 1;
                return Err(p.error("\")\""));
            }
            p.keyword("terminated")?;
            p.keyword("by")?;
            p.keyword("eof")?;
            fields.push(Field::Lobfile { name, from });
        } else {
            fields.push(Field::Char { name, max: 255 });
        }
        match p.next().as_deref() {
            Some(",") => continue,
            Some(")") => break,
            _ => {
                p.pos -= 1;
                return Err(p.error("\",\" or \")\""));
            }
        }
    }
    if p.peek().is_some() {
        return Err(p.error("keyword BEGINDATA"));
    }
    Ok(Control {
        method,
        table,
        terminator,
        enclosure,
        fields,
        data,
    })
}

/// Splits a data record into fields.
fn split_record(line: &str, term: char, encl: Option<char>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut field = String::new();
        if encl.is_some() && chars.peek() == encl.as_ref() {
            chars.next();
            let e = encl.unwrap_or('"');
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == e {
                    if chars.peek() == Some(&e) {
                        field.push(e);
                        chars.next();
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    field.push(c);
                }
            }
            if !closed {
                return Err("no terminator found after TERMINATED and ENCLOSED field".into());
            }
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            match chars.next() {
                None => {
                    out.push(field);
                    break;
                }
                Some(c) if c == term => out.push(field),
                Some(_) => {
                    return Err("no terminator found after TERMINATED and ENCLOSED field".into())
                }
            }
        } else {
            let mut ended = true;
            for c in chars.by_ref() {
                if c == term {
                    ended = false;
                    break;
                }
                field.push(c);
            }
            out.push(field.trim_end().to_string());
            if ended {
                break;
            }
        }
    }
    Ok(out)
}

/// Command-line options.
struct Options {
    userid: Option<String>,
    control: Option<String>,
    log: Option<String>,
    bad: Option<String>,
    errors: u64,
    silent: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        userid: None,
        control: None,
        log: None,
        bad: None,
        errors: 50,
        silent: false,
    };
    let keys = [
        "userid",
        "control",
        "log",
        "bad",
        "data",
        "errors",
        "silent",
        "direct",
        "rows",
        "skip",
        "load",
        "discard",
        "discardmax",
        "bindsize",
    ];
    for (i, a) in args.iter().enumerate() {
        match a.split_once('=') {
            Some((k, v)) => {
                let k = k.to_ascii_lowercase();
                match k.as_str() {
                    "userid" => o.userid = Some(v.to_string()),
                    "control" => o.control = Some(v.to_string()),
                    "log" => o.log = Some(v.to_string()),
                    "bad" => o.bad = Some(v.to_string()),
                    "errors" => {
                        o.errors = v.parse().map_err(|_| {
                            format!("SQL*Loader-100: Syntax error on command-line\nArgument {a}: invalid number")
                        })?;
                    }
                    "silent" => o.silent = true,
                    k if keys.contains(&k) => {}
                    _ => return Err(format!("SQL*Loader-100: Syntax error on command-line\nSQL*Loader-101: Invalid argument for username/password\nunknown keyword {k}")),
                }
            }
            None if i == 0 => o.userid = Some(a.clone()),
            None if i == 1 && o.control.is_none() => o.control = Some(a.clone()),
            None => return Err("SQL*Loader-100: Syntax error on command-line".into()),
        }
    }
    Ok(o)
}

const USAGE: &str = "Usage: SQLLDR keyword=value [,keyword=value,...]\n\nValid Keywords:\n\n    userid -- ORACLE username/password\n   control -- control file name\n       log -- log file name\n       bad -- bad file name\n      data -- data file name\n    errors -- number of errors to allow            (Default: 50)\n    silent -- suppress messages during run (header,feedback,errors,discards,partitions)\n";

/// Runs sqlldr with `args` against the sim root `root`; output and exit status.
pub fn run(args: &[String], root: Option<&Path>) -> (String, i32) {
    let banner = format!(
        "\nSQL*Loader: Release {VERSION} - Production on {}\n\nCopyright (c) 1982, 2014, Oracle and/or its affiliates.  All rights reserved.\n\n",
        chrono::Local::now().format("%a %b %e %H:%M:%S %Y")
    );
    if args.is_empty() {
        return (format!("{banner}{USAGE}"), EX_FAIL);
    }
    let o = match parse_args(args) {
        Ok(o) => o,
        Err(e) => return (format!("{banner}{e}\n"), EX_FAIL),
    };
    let mut out = if o.silent {
        String::new()
    } else {
        banner.clone()
    };
    let Some(control) = o.control.clone() else {
        out.push_str("SQL*Loader-287: No control file name specified.\n");
        return (out, EX_FAIL);
    };
    let control_text = match fs::read_to_string(&control) {
        Ok(t) => t,
        Err(e) => {
            out.push_str(&format!(
                "SQL*Loader-500: Unable to open file ({control})\nSQL*Loader-553: file not found\nSQL*Loader-509: System error: {e}\n"
            ));
            return (out, EX_FTL);
        }
    };
    let log_path = PathBuf::from(o.log.clone().unwrap_or_else(|| {
        Path::new(&control)
            .with_extension("log")
            .to_string_lossy()
            .into_owned()
    }));
    let mut log = banner.clone();
    let finish = |log: &mut String, out: &mut String, code: i32| {
        if fs::write(&log_path, log.as_bytes()).is_err() {
            out.push_str(&format!(
                "SQL*Loader-522: lfiopn failed for file ({})\n",
                log_path.display()
            ));
            return EX_FTL;
        }
        code
    };
    // Login: the alias must resolve and name a catalog schema holding the table.
    let userid = o.userid.clone().unwrap_or_default();
    let alias = userid.split_once('@').map(|(_, a)| a.to_string());
    let login_error = |msg: &str| {
        format!("SQL*Loader-704: Internal error: ulconnect: OCIServerAttach [0]\n{msg}\n")
    };
    let cat_and_root = match (&alias, root) {
        (Some(a), _) if !crate::sqlplus::tns_alias_exists(a) => {
            let e =
                login_error("ORA-12154: TNS:could not resolve the connect identifier specified");
            out.push_str(&e);
            log.push_str(&e);
            let c = finish(&mut log, &mut out, EX_FAIL);
            return (out, c);
        }
        (_, None) => {
            let e = login_error(
                "ORA-01034: ORACLE not available\nORA-27101: shared memory realm does not exist",
            );
            out.push_str(&e);
            log.push_str(&e);
            let c = finish(&mut log, &mut out, EX_FAIL);
            return (out, c);
        }
        (Some(a), Some(r)) => (Catalog::load(r, a), r),
        (None, Some(r)) => (None, r),
    };
    let ctl = match parse_control(&control_text) {
        Ok(c) => c,
        Err((line, msg)) => {
            let e = format!("SQL*Loader-350: Syntax error at line {line}.\n{msg}\n");
            out.push_str(&e);
            log.push_str(&e);
            let c = finish(&mut log, &mut out, EX_FAIL);
            return (out, c);
        }
    };
    let (cat, root) = cat_and_root;
    let _lock = match crate::state::StateLock::acquire(root) {
        Ok(l) => l,
        Err(e) => {
            out.push_str(&format!("SQL*Loader-704: Internal error: {e}\n"));
            return (out, EX_FAIL);
        }
    };
    let mut cat = match cat {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            out.push_str(&format!("SQL*Loader-704: Internal error: {e}\n"));
            return (out, EX_FAIL);
        }
        None => None,
    };
    let has_table = cat
        .as_ref()
        .is_some_and(|c| ctl.table == "RESTORELOB" && c.restorelob.is_some());
    if !has_table {
        let e = format!(
            "SQL*Loader-941: Error during describe of table {}\nORA-04043: object {} does not exist\n",
            ctl.table, ctl.table
        );
        out.push_str(&e);
        log.push_str(&e);
        let c = finish(&mut log, &mut out, EX_FAIL);
        return (out, c);
    }
    let Some(cat) = cat.as_mut() else {
        return (out, EX_FAIL);
    };
    for f in &ctl.fields {
        if !["LOGFILE", "LOGLOB"].contains(&f.name()) {
            let e = format!(
                "SQL*Loader-466: Column {} does not exist in table {}.\n",
                f.name(),
                ctl.table
            );
            out.push_str(&e);
            log.push_str(&e);
            let c = finish(&mut log, &mut out, EX_FAIL);
            return (out, c);
        }
    }
    let existing = cat.restorelob.clone().unwrap_or_default();
    if ctl.method == "INSERT" && !existing.is_empty() {
        let e = format!(
            "SQL*Loader-601: For INSERT option, table must be empty.  Error on table {}\n",
            ctl.table
        );
        out.push_str(&e);
        log.push_str(&e);
        let c = finish(&mut log, &mut out, EX_FAIL);
        return (out, c);
    }
    let mut rows: Vec<RestoreLob> = if matches!(ctl.method.as_str(), "REPLACE" | "TRUNCATE") {
        Vec::new()
    } else {
        existing
    };
    let started = chrono::Local::now();
    let _ = writeln!(
        log,
        "Control File:   {control}\nData File:      {control}\n  Bad File:     {}\n  Discard File:  none specified\n \n (Allow all discards)\n\nNumber to load: ALL\nNumber to skip: 0\nErrors allowed: {}\nBind array:     64 rows, maximum of 256000 bytes\nContinuation:    none specified\nPath used:      Conventional\n{}\nTable {}, loaded from every logical record.\nInsert option in effect for this table: {}\n\n   Column Name                  Position   Len  Term Encl Datatype\n------------------------------ ---------- ----- ---- ---- ---------------------",
        o.bad.clone().unwrap_or_else(|| Path::new(&control).with_extension("bad").to_string_lossy().into_owned()),
        o.errors,
        if o.silent { "Silent options: FEEDBACK, ERRORS and DISCARDS\n" } else { "" },
        ctl.table,
        ctl.method
    );
    let encl = ctl.enclosure.map(|c| format!("O({c})")).unwrap_or_default();
    for (i, f) in ctl.fields.iter().enumerate() {
        match f {
            Field::Char { name, max } => {
                let pos = if i == 0 { "FIRST" } else { "NEXT" };
                let _ = writeln!(
                    log,
                    "{name:<30} {pos:>10} {max:>5}   {}  {encl:<4} CHARACTER            ",
                    ctl.terminator
                );
            }
            Field::Lobfile { name, from } => {
                let _ = writeln!(
                    log,
                    "{name:<30} {:>10} {:>5}  EOF      CHARACTER            \n    Dynamic LOBFILE.  Filename in field {from}",
                    "DERIVED", "*"
                );
            }
        }
    }
    log.push('\n');
    let (mut loaded, mut rejected, mut read) = (0u64, 0u64, 0u64);
    let mut bad_lines = Vec::new();
    let mut stopped = false;
    for line in ctl.data.iter().filter(|l| !l.trim().is_empty()) {
        if rejected > o.errors {
            stopped = true;
            break;
        }
        read += 1;
        let reject = |log: &mut String, col: &str, why: &str| {
            let _ = writeln!(
                log,
                "Record {read}: Rejected - Error on table {}, column {col}.\n{why}",
                ctl.table
            );
        };
        let values = match split_record(line, ctl.terminator, ctl.enclosure) {
            Ok(v) => v,
            Err(why) => {
                reject(&mut log, "LOGFILE", &why);
                rejected += 1;
                bad_lines.push(line.clone());
                continue;
            }
        };
        let mut logfile = None;
        let mut lob = None;
        let mut error = None;
        let char_fields: Vec<&Field> = ctl
            .fields
            .iter()
            .filter(|f| matches!(f, Field::Char { .. }))
            .collect();
        for (f, v) in char_fields.iter().zip(values.iter()) {
            if let Field::Char { name, max } = f {
                if v.len() > *max {
                    error = Some((
                        name.clone(),
                        "Field in data file exceeds maximum length".to_string(),
                    ));
                } else if v.len() > 200 && name == "LOGFILE" {
                    error = Some((
                        name.clone(),
                        format!("ORA-12899: value too large for column \"{}\".\"RESTORELOB\".\"LOGFILE\" (actual: {}, maximum: 200)", cat.user, v.len()),
                    ));
                } else if name == "LOGFILE" {
                    logfile = Some(v.clone());
                }
            }
        }
        if values.len() > char_fields.len() && error.is_none() {
            // Extra fields are ignored by SQL*Loader only with TRAILING NULLCOLS; not here.
            error = Some((
                "LOGFILE".into(),
                "Column not found before end of logical record (use TRAILING NULLCOLS)".into(),
            ));
        }
        for f in &ctl.fields {
            if let Field::Lobfile { from, .. } = f {
                let name = if from == "LOGFILE" {
                    logfile.clone()
                } else {
                    None
                };
                if let Some(n) = name {
                    match fs::read(&n) {
                        Ok(b) => lob = Some(String::from_utf8_lossy(&b).into_owned()),
                        Err(e) => {
                            error = Some((
                                "LOGLOB".into(),
                                format!("SQL*Loader-502: unable to open data file '{n}' for field LOGLOB table {}\nSQL*Loader-553: file not found\nSQL*Loader-509: System error: {e}", ctl.table),
                            ));
                        }
                    }
                }
            }
        }
        let Some(lf) = logfile.filter(|l| !l.is_empty()) else {
            let why = error.map_or_else(
                || {
                    format!(
                        "ORA-01400: cannot insert NULL into (\"{}\".\"RESTORELOB\".\"LOGFILE\")",
                        cat.user
                    )
                },
                |(_, w)| w,
            );
            reject(&mut log, "LOGFILE", &why);
            rejected += 1;
            bad_lines.push(line.clone());
            continue;
        };
        if let Some((col, why)) = error {
            reject(&mut log, &col, &why);
            rejected += 1;
            bad_lines.push(line.clone());
            continue;
        }
        if rows.iter().any(|r| r.logfile == lf) {
            reject(
                &mut log,
                "LOGFILE",
                &format!(
                    "ORA-00001: unique constraint ({}.SYS_IOT_TOP_91234) violated",
                    cat.user
                ),
            );
            rejected += 1;
            bad_lines.push(line.clone());
            continue;
        }
        rows.push(RestoreLob {
            logfile: lf,
            loglob: lob.unwrap_or_default(),
        });
        loaded += 1;
    }
    if rejected > o.errors {
        stopped = true;
    }
    if stopped {
        log.push_str("\nMAXIMUM ERROR COUNT EXCEEDED - Above statistics reflect partial run.\n");
    }
    cat.restorelob = Some(rows);
    if let Err(e) = cat.save(root) {
        out.push_str(&format!("SQL*Loader-704: Internal error: {e}\n"));
        return (out, EX_FAIL);
    }
    if !bad_lines.is_empty() {
        let bad = o.bad.clone().unwrap_or_else(|| {
            Path::new(&control)
                .with_extension("bad")
                .to_string_lossy()
                .into_owned()
        });
        let _ = fs::write(&bad, bad_lines.join("\n") + "\n");
    }
    let plural = |n: u64| if n == 1 { "Row" } else { "Rows" };
    let _ = writeln!(
        log,
        "\nTable {}:\n  {loaded} {} successfully loaded.\n  {rejected} {} not loaded due to data errors.\n  0 Rows not loaded because all WHEN clauses were failed.\n  0 Rows not loaded because all fields were null.\n\n\nSpace allocated for bind array:                  1536 bytes(64 rows)\nRead   buffer bytes: 1048576\n\nTotal logical records skipped:          0\nTotal logical records read:             {read}\nTotal logical records rejected:         {rejected}\nTotal logical records discarded:        0\n\nRun began on {}\nRun ended on {}\n\nElapsed time was:     00:00:00.01\nCPU time was:         00:00:00.01",
        ctl.table,
        plural(loaded),
        plural(rejected),
        started.format("%a %b %d %H:%M:%S %Y"),
        chrono::Local::now().format("%a %b %d %H:%M:%S %Y"),
    );
    if !o.silent {
        out.push_str(&format!(
            "Commit point reached - logical record count {read}\n\nTable {}:\n  {loaded} {} successfully loaded.\n\nCheck the log file:\n  {}\nfor more information about the load.\n",
            ctl.table,
            plural(loaded),
            log_path.display()
        ));
    }
    let code = if rejected > 0 || stopped {
        EX_WARN
    } else {
        EX_SUCC
    };
    let code = finish(&mut log, &mut out, code);
    (out, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_with_enclosures() {
        assert_eq!(
            split_record("\"/a,b/c.log\"", ',', Some('"')).unwrap(),
            vec!["/a,b/c.log"]
        );
        assert_eq!(
            split_record("x, \"y\"\"z\"", ',', Some('"')).unwrap(),
            vec!["x", "y\"z"]
        );
        assert!(split_record("\"open", ',', Some('"')).is_err());
    }
}

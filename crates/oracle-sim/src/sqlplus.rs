//! The simulated `sqlplus`: reads a script from standard input and runs the SQL*Plus
//! commands, SQL statements and PL/SQL blocks our templates send.
//!
//! SQL*Plus commands handled: `conn[ect]`, `whenever sqlerror|oserror`, `set` (known
//! options only; others give SP2-0158), `spool FILE [append]` / `spool off`, `col[umn]`
//! (accepted, formats not applied), `prompt`, `exec[ute]`, `rem[ark]`/`--` comments,
//! `exit`/`quit`. A first word that is neither a SQL*Plus command nor a SQL keyword gives
//! SP2-0734, as the real program does.
//!
//! SQL statements and PL/SQL blocks are matched by normalised text against the statements
//! the simulator knows (see [`crate::statements`]); any other statement fails with
//! `ORA-00900: invalid SQL statement`. `alter session set nls_date_format|nls_timestamp_format`
//! and `nls_timestamp_tz_format` are kept by the session (dates in query results follow
//! them, see [`crate::nls`]); `nls_numeric_characters` is accepted; other parameters
//! give ORA-02248. A `conn` to an alias made by `oracle-sim add-catalog` runs against that
//! catalog schema ([`crate::catalog`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::fault;
use crate::matcher::match_pattern;
use crate::state::State;
use crate::statements::{self, Outcome, SqlError};

/// Banner version.
pub const VERSION: &str = "12.1.0.2.0";
/// What `Disconnected from` names.
const DB_BANNER: &str = "Oracle Database 12c Enterprise Edition Release 12.1.0.2.0 - 64bit Production\nWith the Partitioning, OLAP, Advanced Analytics and Real Application Testing options";

/// SQL*Plus commands (first word, lower case, accepted abbreviations included).
const PLUS_COMMANDS: &[&str] = &[
    "startup",
    "shutdown",
    "set",
    "spool",
    "spo",
    "conn",
    "connect",
    "whenever",
    "exit",
    "quit",
    "col",
    "column",
    "prompt",
    "pro",
    "exec",
    "execute",
    "rem",
    "remark",
    "show",
    "define",
    "def",
    "undefine",
    "host",
    "start",
    "clear",
    "ttitle",
    "btitle",
    "break",
    "compute",
    "variable",
    "var",
    "print",
    "pause",
    "accept",
    "disconnect",
    "disc",
];
/// First words that start a SQL statement.
const SQL_WORDS: &[&str] = &[
    "select",
    "with",
    "insert",
    "update",
    "delete",
    "merge",
    "alter",
    "create",
    "drop",
    "grant",
    "revoke",
    "truncate",
    "commit",
    "rollback",
    "call",
    "analyze",
    "comment",
    "lock",
    "rename",
    "savepoint",
    "explain",
    "audit",
    "noaudit",
    "purge",
    "flashback",
    "shutdown",
    "startup",
    "recover",
];

/// Where the session is connected.
#[derive(Debug, Clone)]
struct Connection {
    user: String,
    /// The catalog schema the alias names ([`crate::catalog`]), if it names one.
    catalog: Option<String>,
}

#[derive(Debug, Clone)]
struct Settings {
    echo: bool,
    feedback: Option<usize>,
    pagesize: usize,
    heading: bool,
    serveroutput: bool,
    timing: bool,
    termout: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            echo: false,
            feedback: Some(6),
            pagesize: 14,
            heading: true,
            serveroutput: false,
            timing: false,
            termout: true,
        }
    }
}

/// Result of a query, printed by SQL*Plus rules.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Column headings and widths.
    pub columns: Vec<(String, usize)>,
    /// Rows of values.
    pub rows: Vec<Vec<String>>,
    /// Columns printed right-aligned (NUMBER columns), by index; others are left-aligned.
    pub numeric: Vec<usize>,
}

/// A SQL*Plus session.
struct Session {
    root: Option<PathBuf>,
    root_error: Option<String>,
    silent: bool,
    settings: Settings,
    conn: Option<Connection>,
    exit_on_sqlerror: Option<i32>,
    spool: Option<File>,
    out: Box<dyn Write>,
    /// `alter session set nls_date_format`.
    nls_date_format: String,
    /// `alter session set nls_timestamp_format`.
    nls_timestamp_format: String,
    /// `alter session set nls_timestamp_tz_format`.
    nls_timestamp_tz_format: String,
}

/// Runs sqlplus with `args` (after argv\[0]) on `script`; returns the exit status.
pub fn run(
    args: &[String],
    script: &str,
    root: Result<PathBuf, String>,
    out: Box<dyn Write>,
) -> i32 {
    let mut silent = false;
    let mut connect: Vec<String> = Vec::new();
    for a in args {
        match a.as_str() {
            "-S" | "-s" | "-silent" => silent = true,
            "-L" | "-l" => {}
            "-v" | "-V" | "-version" => {
                let mut out = out;
                let _ = writeln!(out, "\nSQL*Plus: Release {VERSION} Production\n");
                return 0;
            }
            "/nolog" | "/NOLOG" => {}
            other if other.starts_with('-') => {
                let mut out = out;
                let _ = writeln!(out, "SP2-0306: Invalid option.");
                return 1;
            }
            other => connect.push(other.to_string()),
        }
    }
    let (root, root_error) = match root {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    };
    let mut s = Session {
        root,
        root_error,
        silent,
        settings: Settings::default(),
        conn: None,
        exit_on_sqlerror: None,
        spool: None,
        out,
        nls_date_format: crate::nls::DEFAULT_DATE_FORMAT.to_string(),
        nls_timestamp_format: crate::nls::DEFAULT_TIMESTAMP_FORMAT.to_string(),
        nls_timestamp_tz_format: crate::nls::DEFAULT_TIMESTAMP_TZ_FORMAT.to_string(),
    };
    if !silent {
        let now = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
        s.emit(&format!(
            "\nSQL*Plus: Release {VERSION} Production on {now}\n\nCopyright (c) 1982, 2014, Oracle.  All rights reserved.\n\n"
        ));
    }
    if !connect.is_empty() {
        if let Some(code) = s.connect(&connect.join(" ")) {
            return code;
        }
    }
    let code = s.run_script(script);
    s.finish();
    code
}

impl Session {
    /// Output to the terminal (when termout is on) and the spool file.
    fn emit(&mut self, text: &str) {
        if self.settings.termout {
            let _ = self.out.write_all(text.as_bytes());
        }
        if let Some(f) = self.spool.as_mut() {
            let _ = f.write_all(text.as_bytes());
        }
    }

    /// The echo of a command read from the script: into the spool file (SQL*Plus echoes
    /// script input there; on the terminal a piped script is not echoed).
    fn echo(&mut self, lines: &[&str]) {
        if !self.settings.echo {
            return;
        }
        let Some(f) = self.spool.as_mut() else {
            return;
        };
        let mut text = String::new();
        for (i, l) in lines.iter().enumerate() {
            if i == 0 {
                text.push_str(&format!("SQL> {}\n", l.trim()));
            } else {
                text.push_str(&format!("{:>3}  {}\n", i + 1, l.trim()));
            }
        }
        let _ = f.write_all(text.as_bytes());
    }

    fn finish(&mut self) {
        if !self.silent && self.conn.is_some() {
            self.emit(&format!("Disconnected from {DB_BANNER}\n"));
        }
        let _ = self.out.flush();
    }

    /// Runs the script; the exit status.
    fn run_script(&mut self, script: &str) -> i32 {
        let lines: Vec<&str> = script.lines().collect();
        let mut i = 0usize;
        while i < lines.len() {
            let line = lines.get(i).copied().unwrap_or("");
            let t = line.trim();
            i += 1;
            if t.is_empty() {
                continue;
            }
            let first = first_word(t);
            if t.starts_with("--") || first == "rem" || first == "remark" {
                self.echo(&[line]);
                continue;
            }
            if t.starts_with('@') || first == "start" {
                self.echo(&[line]);
                self.emit(
                    "SP2-0310: unable to open file \"(oracle-sim does not run script files)\"\n",
                );
                continue;
            }
            let plsql = first == "declare" || first == "begin" || is_create_plsql(t);
            if PLUS_COMMANDS.contains(&first.as_str()) && !plsql {
                self.echo(&[line]);
                if let Some(code) = self.plus_command(t) {
                    return code;
                }
                continue;
            }
            if plsql {
                let start = i - 1;
                let mut end = None;
                while i < lines.len() {
                    let l = lines.get(i).copied().unwrap_or("").trim();
                    i += 1;
                    if l == "/" || l == "." {
                        end = Some((i - 1, l == "/"));
                        break;
                    }
                }
                let Some((end, run)) = end else {
                    // End of input inside a block: SQL*Plus discards it.
                    break;
                };
                let block: Vec<&str> = lines.get(start..=end).unwrap_or(&[]).to_vec();
                self.echo(&block);
                if run {
                    let body = lines.get(start..end).unwrap_or(&[]).join("\n");
                    if let Some(code) = self.execute(&body, true) {
                        return code;
                    }
                }
                continue;
            }
            if SQL_WORDS.contains(&first.as_str()) {
                let start = i - 1;
                let mut buf: Vec<&str> = vec![line];
                let mut run = false;
                let mut consumed_end = start;
                if t.ends_with(';') {
                    run = true;
                } else {
                    while i < lines.len() {
                        let l = lines.get(i).copied().unwrap_or("");
                        i += 1;
                        let lt = l.trim();
                        if lt.is_empty() {
                            break;
                        }
                        if lt == "/" {
                            consumed_end = i - 1;
                            run = true;
                            break;
                        }
                        buf.push(l);
                        consumed_end = i - 1;
                        if lt.ends_with(';') {
                            run = true;
                            break;
                        }
                    }
                }
                let echo_lines: Vec<&str> = lines.get(start..=consumed_end).unwrap_or(&[]).to_vec();
                self.echo(&echo_lines);
                if run {
                    let mut text = buf.join("\n");
                    let trimmed = text.trim_end().trim_end_matches(';').to_string();
                    text = trimmed;
                    if let Some(code) = self.execute(&text, false) {
                        return code;
                    }
                }
                continue;
            }
            self.echo(&[line]);
            let shown: String = t.chars().take(10).collect();
            self.emit(&format!(
                "SP2-0734: unknown command beginning \"{shown}...\" - rest of line ignored.\n"
            ));
        }
        0
    }

    /// A SQL*Plus command; `Some(status)` when the session ends.
    fn plus_command(&mut self, t: &str) -> Option<i32> {
        let t = t.trim_end_matches(';').trim();
        let first = first_word(t);
        let rest = t.get(first.len()..).unwrap_or("").trim();
        match first.as_str() {
            "conn" | "connect" => return self.connect(rest),
            "disconnect" | "disc" => {
                self.conn = None;
                if !self.silent {
                    self.emit(&format!("Disconnected from {DB_BANNER}\n"));
                }
            }
            "exit" | "quit" => {
                let code = exit_code(rest).unwrap_or(0);
                if !self.silent && self.conn.is_some() {
                    self.emit(&format!("Disconnected from {DB_BANNER}\n"));
                }
                self.conn = None;
                return Some(code);
            }
            "whenever" => {
                let words: Vec<String> = rest
                    .split_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
                match words.first().map(String::as_str) {
                    Some("sqlerror") => match words.get(1).map(String::as_str) {
                        Some("exit") => {
                            self.exit_on_sqlerror =
                                Some(words.get(2).and_then(|w| exit_code(w)).unwrap_or(0));
                        }
                        Some("continue") => self.exit_on_sqlerror = None,
                        _ => self.emit("SP2-0591: Unable to allocate dynamic space needed (whenever sqlerror syntax not understood by oracle-sim)\n"),
                    },
                    Some("oserror") => {}
                    _ => self.emit("SP2-0734: unknown command beginning \"whenever...\" - rest of line ignored.\n"),
                }
            }
            "set" => self.set(rest),
            "spool" | "spo" => self.spool_cmd(rest),
            "col" | "column" | "clear" | "ttitle" | "btitle" | "break" | "compute" | "define"
            | "def" | "undefine" | "variable" | "var" => {}
            "prompt" | "pro" => self.emit(&format!("{rest}\n")),
            // SQL*Plus commands run by the database (a restore test's instance).
            "startup" | "shutdown" => return self.execute(t, false),
            "exec" | "execute" => {
                let body = format!("begin {} end;", rest.trim_end_matches(';'));
                return self.execute_exec(rest, &body);
            }
            other => {
                self.emit(&format!(
                    "SP2-0734: unknown command beginning \"{other}...\" - rest of line ignored.\n"
                ));
                eprintln!(
                    "oracle-sim: SQL*Plus command {other:?} is not supported by the simulator"
                );
            }
        }
        None
    }

    fn set(&mut self, rest: &str) {
        let mut words = rest.split_whitespace();
        while let Some(name) = words.next() {
            let name_l = name.to_ascii_lowercase();
            let value = words.next().unwrap_or("").to_string();
            let v = value.to_ascii_lowercase();
            let on = v == "on";
            match name_l.as_str() {
                "echo" => self.settings.echo = on,
                "feed" | "feedback" => {
                    self.settings.feedback = match v.as_str() {
                        "on" => Some(1),
                        "off" => None,
                        n => match n.parse::<usize>() {
                            Ok(0) => None,
                            Ok(n) => Some(n),
                            Err(_) => {
                                self.emit("SP2-0268: feedback option not a valid number\n");
                                self.settings.feedback
                            }
                        },
                    }
                }
                "pages" | "pagesize" => match v.parse::<usize>() {
                    Ok(n) => self.settings.pagesize = n,
                    Err(_) => self.emit("SP2-0268: pagesize option not a valid number\n"),
                },
                "lines" | "linesize" | "long" | "newpage" | "newp" | "arraysize" | "arraysiz"
                | "numwidth" | "num" | "longchunksize" => {
                    if v.parse::<u64>().is_err() && !(v == "none" && name_l.starts_with("newp")) {
                        self.emit(&format!("SP2-0268: {name_l} option not a valid number\n"));
                    }
                }
                "head" | "heading" => self.settings.heading = on,
                "serverout" | "serveroutput" => {
                    self.settings.serveroutput = on;
                    // "size N" / "format wrapped" may follow.
                    while let Some(extra) = words.clone().next() {
                        let e = extra.to_ascii_lowercase();
                        if ["size", "format", "for"].contains(&e.as_str()) {
                            words.next();
                            words.next();
                        } else if e == "unlimited" {
                            words.next();
                        } else {
                            break;
                        }
                    }
                }
                "timing" | "timi" => self.settings.timing = on,
                "term" | "termout" => self.settings.termout = on,
                "trimspool" | "trims" | "trimout" | "trim" | "verify" | "ver" | "define"
                | "def" | "wrap" | "tab" | "underline" | "sqlblanklines" | "colsep" | "recsep"
                | "autotrace" | "autot" | "sqlprompt" | "time" | "escape" | "concat" | "markup"
                | "flush" | "show" | "showmode" | "null" => {}
                _ => {
                    self.emit(&format!("SP2-0158: unknown SET option \"{name}\"\n"));
                    return;
                }
            }
        }
    }

    fn spool_cmd(&mut self, rest: &str) {
        let words: Vec<&str> = rest.split_whitespace().collect();
        match words.as_slice() {
            [] => {
                let msg = if self.spool.is_some() {
                    "currently spooling\n"
                } else {
                    "not spooling currently\n"
                };
                self.emit(msg);
            }
            [w] if w.eq_ignore_ascii_case("off") || w.eq_ignore_ascii_case("out") => {
                self.spool = None;
            }
            [file, opts @ ..] => {
                let append = opts
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case("append") || o.eq_ignore_ascii_case("app"));
                let mut path = PathBuf::from(file);
                if path.extension().is_none() {
                    path.set_extension("lst");
                }
                let f = if append {
                    OpenOptions::new().create(true).append(true).open(&path)
                } else {
                    File::create(&path)
                };
                match f {
                    Ok(f) => self.spool = Some(f),
                    Err(_) => self.emit(&format!(
                        "SP2-0606: Cannot create SPOOL file \"{}\"\n",
                        path.display()
                    )),
                }
            }
        }
    }

    /// `conn ...`; `Some(status)` when the error ends the session.
    fn connect(&mut self, rest: &str) -> Option<i32> {
        self.conn = None;
        let words: Vec<&str> = rest.split_whitespace().collect();
        let Some(cred) = words.first() else {
            self.emit("SP2-0306: Invalid option.\nUsage: CONN[ECT] [{logon|/|proxy} [AS {SYSDBA|SYSOPER|SYSASM|SYSBACKUP|SYSDG|SYSKM}] [edition=value]]\n");
            return None;
        };
        let role = match words.get(1..) {
            Some([as_, r]) if as_.eq_ignore_ascii_case("as") => Some(r.to_ascii_uppercase()),
            Some([]) | None => None,
            _ => {
                self.emit("SP2-0306: Invalid option.\n");
                return None;
            }
        };
        let (userpass, alias) = match cred.split_once('@') {
            Some((u, a)) => (u, Some(a)),
            None => (*cred, None),
        };
        let user = if userpass == "/" || userpass.is_empty() {
            // `/` uses the wallet credential of the alias; the simulator's wallet user is SYS.
            let _ = &role;
            "SYS".to_string()
        } else {
            userpass
                .split('/')
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        };
        if fault::active("sqlplus", "connect") {
            return self.sql_error(
                None,
                &SqlError::new(&[
                    "ORA-01034: ORACLE not available",
                    "ORA-27101: shared memory realm does not exist",
                    "Linux-x86_64 Error: 2: No such file or directory",
                ]),
                true,
            );
        }
        if let Some(alias) = alias {
            if !tns_alias_exists(alias) {
                return self.sql_error(
                    None,
                    &SqlError::new(&[
                        "ORA-12154: TNS:could not resolve the connect identifier specified",
                    ]),
                    true,
                );
            }
        }
        if self.root.is_none() {
            let detail = self.root_error.clone().unwrap_or_default();
            eprintln!("oracle-sim: {detail}");
            return self.sql_error(
                None,
                &SqlError::new(&[
                    "ORA-01034: ORACLE not available",
                    "ORA-27101: shared memory realm does not exist",
                ]),
                true,
            );
        }
        let mut catalog = None;
        if let (Some(alias), Some(root)) = (alias, self.root.as_deref()) {
            match crate::catalog::Catalog::load(root, alias) {
                Some(Ok(c)) => catalog = Some(c.alias),
                Some(Err(e)) => {
                    eprintln!("oracle-sim: {e}");
                    return self.sql_error(
                        None,
                        &SqlError::new(&["ORA-12514: TNS:listener does not currently know of service requested in connect descriptor"]),
                        true,
                    );
                }
                None => {}
            }
        }
        self.conn = Some(Connection { user, catalog });
        if !self.silent {
            self.emit("Connected.\n");
        }
        None
    }

    /// Prints an error like SQL*Plus; `Some(status)` when `whenever sqlerror exit` applies.
    fn sql_error(&mut self, statement: Option<&str>, err: &SqlError, connect: bool) -> Option<i32> {
        let mut text = String::new();
        if connect {
            text.push_str("ERROR:\n");
        } else {
            if let Some(first) = statement.and_then(|s| s.lines().next()) {
                text.push_str(first.trim());
                text.push_str("\n*\n");
            }
            text.push_str("ERROR at line 1:\n");
        }
        for l in &err.lines {
            text.push_str(l);
            text.push('\n');
        }
        text.push_str("\n\n");
        self.emit(&text);
        if let Some(code) = self.exit_on_sqlerror {
            if !self.silent && self.conn.is_some() {
                self.emit(&format!("Disconnected from {DB_BANNER}\n"));
            }
            self.conn = None;
            let _ = self.out.flush();
            return Some(code);
        }
        None
    }

    fn timing(&mut self, started: Instant) {
        if self.settings.timing {
            let e = started.elapsed();
            let cs = e.as_millis() / 10;
            let (h, m, s, c) = (cs / 360_000, (cs / 6000) % 60, (cs / 100) % 60, cs % 100);
            self.emit(&format!("Elapsed: {h:02}:{m:02}:{s:02}.{c:02}\n"));
        }
    }

    fn execute_exec(&mut self, call: &str, body: &str) -> Option<i32> {
        self.execute_inner(body, true, Some(call))
    }

    /// Runs a SQL statement or PL/SQL block; `Some(status)` when the session ends.
    fn execute(&mut self, text: &str, plsql: bool) -> Option<i32> {
        self.execute_inner(text, plsql, None)
    }

    fn execute_inner(&mut self, text: &str, plsql: bool, exec_call: Option<&str>) -> Option<i32> {
        let started = Instant::now();
        let Some(conn) = self.conn.clone() else {
            self.emit("SP2-0640: Not connected\n");
            return None;
        };
        let Some(root) = self.root.clone() else {
            self.emit("SP2-0640: Not connected\n");
            return None;
        };
        if exec_call.is_none() {
            if let Some(caps) = match_pattern("alter session set {}", text) {
                let r = self.alter_session(caps.first().map_or("", String::as_str));
                return match r {
                    Ok(o) => {
                        self.print_outcome(o, plsql);
                        self.timing(started);
                        None
                    }
                    Err(e) => self.sql_error(Some(text), &e, false),
                };
            }
        }
        let nls = statements::Nls {
            date_format: self.nls_date_format.clone(),
            timestamp_format: self.nls_timestamp_format.clone(),
            timestamp_tz_format: self.nls_timestamp_tz_format.clone(),
        };
        let result = match &conn.catalog {
            Some(alias) => run_catalog_statement(&root, alias, &nls, text, exec_call),
            None => run_statement(&root, &conn.user, &nls, text, exec_call),
        };
        match result {
            Ok(outcome) => {
                self.print_outcome(outcome, plsql);
                self.timing(started);
                None
            }
            Err(e) => {
                let shown =
                    exec_call.map_or_else(|| text.to_string(), |c| format!("BEGIN {c}; END;"));
                let r = self.sql_error(Some(&shown), &e, false);
                if r.is_none() {
                    self.timing(started);
                }
                r
            }
        }
    }

    /// `alter session set NAME=VALUE ...`: the NLS date formats are kept by the session.
    fn alter_session(&mut self, arg: &str) -> Result<Outcome, SqlError> {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(SqlError::new(&[
                "ORA-02248: invalid option for ALTER SESSION",
            ]));
        };
        let name = name.trim().to_ascii_lowercase();
        let v = value.trim();
        let quoted = |q: char| v.strip_prefix(q).and_then(|r| r.strip_suffix(q));
        let Some(mask) = quoted('\'').or_else(|| quoted('"')) else {
            return Err(SqlError::new(&["ORA-00922: missing or invalid option"]));
        };
        match name.as_str() {
            // Accepted, not applied: our queries print no decimal numbers.
            "nls_numeric_characters" => Ok(Outcome::Message("Session altered.".into())),
            "nls_timestamp_tz_format" => {
                let plain = mask
                    .to_ascii_uppercase()
                    .replace("TZH", "")
                    .replace("TZM", "")
                    .replace("TZR", "");
                if !crate::nls::valid_mask(&plain) {
                    return Err(SqlError::new(&["ORA-01821: date format not recognized"]));
                }
                self.nls_timestamp_tz_format = mask.to_string();
                Ok(Outcome::Message("Session altered.".into()))
            }
            "nls_date_format" | "nls_timestamp_format" => {
                if !crate::nls::valid_mask(mask) {
                    return Err(SqlError::new(&["ORA-01821: date format not recognized"]));
                }
                if name == "nls_date_format" {
                    self.nls_date_format = mask.to_string();
                } else {
                    self.nls_timestamp_format = mask.to_string();
                }
                Ok(Outcome::Message("Session altered.".into()))
            }
            _ => {
                eprintln!(
                    "oracle-sim: alter session parameter {name} is not supported by the simulator"
                );
                Err(SqlError::new(&[
                    "ORA-02248: invalid option for ALTER SESSION",
                ]))
            }
        }
    }

    fn print_outcome(&mut self, outcome: Outcome, plsql: bool) {
        match outcome {
            Outcome::Rows(rows) => self.print_rows(&rows),
            Outcome::Message(msg) => {
                if self.settings.feedback.is_some() {
                    self.emit(&format!("\n{msg}\n\n"));
                }
            }
            Outcome::Text(t) => self.emit(&format!("{t}\n")),
            Outcome::PlSql(lines) => {
                if self.settings.serveroutput {
                    let mut text = String::new();
                    for l in lines {
                        text.push_str(&l);
                        text.push('\n');
                    }
                    self.emit(&text);
                }
                if self.settings.feedback.is_some() {
                    self.emit("\nPL/SQL procedure successfully completed.\n\n");
                }
            }
        }
        let _ = plsql;
    }

    fn print_rows(&mut self, rows: &Rows) {
        let mut text = String::new();
        let headings = self.settings.heading && self.settings.pagesize > 0;
        if headings && !rows.rows.is_empty() {
            text.push('\n');
            let head: Vec<String> = rows
                .columns
                .iter()
                .enumerate()
                .map(|(i, (h, w))| {
                    if rows.numeric.contains(&i) {
                        format!("{:>w$}", truncate(h, *w), w = *w)
                    } else {
                        format!("{:<w$}", truncate(h, *w), w = *w)
                    }
                })
                .collect();
            text.push_str(head.join(" ").trim_end());
            text.push('\n');
            let dashes: Vec<String> = rows.columns.iter().map(|(_, w)| "-".repeat(*w)).collect();
            text.push_str(&dashes.join(" "));
            text.push('\n');
        }
        for r in &rows.rows {
            let cells: Vec<String> = r
                .iter()
                .zip(rows.columns.iter())
                .enumerate()
                .map(|(i, (v, (_, w)))| {
                    if rows.numeric.contains(&i) {
                        format!("{:>w$}", v, w = *w)
                    } else {
                        format!("{:<w$}", v, w = *w)
                    }
                })
                .collect();
            text.push_str(cells.join(" ").trim_end());
            text.push('\n');
        }
        let n = rows.rows.len();
        match self.settings.feedback {
            Some(_) if n == 0 => text.push_str("\nno rows selected\n\n"),
            Some(threshold) if n >= threshold => {
                text.push_str(&format!(
                    "\n{n} {} selected.\n\n",
                    if n == 1 { "row" } else { "rows" }
                ));
            }
            _ => {}
        }
        self.emit(&text);
    }
}

/// Takes the state lock; a failure is what a busy resource gives in Oracle.
fn lock_state(root: &Path) -> Result<crate::state::StateLock, SqlError> {
    crate::state::StateLock::acquire(root).map_err(|e| {
        eprintln!("oracle-sim: {e}");
        SqlError::new(&[
            "ORA-00054: resource busy and acquire with NOWAIT specified or timeout expired",
        ])
    })
}

/// Loads the state, runs the statement, saves the state when it changed.
fn run_statement(
    root: &Path,
    user: &str,
    nls: &statements::Nls,
    text: &str,
    exec_call: Option<&str>,
) -> Result<Outcome, SqlError> {
    let _lock = lock_state(root)?;
    let mut state = State::load(root).map_err(|e| {
        eprintln!("oracle-sim: {e}");
        SqlError::new(&["ORA-01034: ORACLE not available"])
    })?;
    let before = state.clone();
    let ctx = statements::Context { user, nls };
    let out = match exec_call {
        Some(call) => statements::exec_call(&mut state, &ctx, call),
        None => statements::execute(&mut state, &ctx, text),
    };
    if state != before {
        state.save(root).map_err(|e| {
            eprintln!("oracle-sim: {e}");
            SqlError::new(&["ORA-00600: internal error code, arguments: [oracle-sim state write]"])
        })?;
    }
    out
}

/// Runs a statement against the catalog schema `alias`, saving it when it changed.
fn run_catalog_statement(
    root: &Path,
    alias: &str,
    nls: &statements::Nls,
    text: &str,
    exec_call: Option<&str>,
) -> Result<Outcome, SqlError> {
    let _lock = lock_state(root)?;
    let unavailable = |e: String| {
        eprintln!("oracle-sim: {e}");
        SqlError::new(&["ORA-01034: ORACLE not available"])
    };
    let state = State::load(root).map_err(|e| unavailable(e.to_string()))?;
    let mut cat = match crate::catalog::Catalog::load(root, alias) {
        Some(Ok(c)) => c,
        Some(Err(e)) => return Err(unavailable(e.to_string())),
        None => return Err(unavailable(format!("catalog {alias} is gone"))),
    };
    let before = cat.clone();
    let user = cat.user.clone();
    let ctx = statements::Context { user: &user, nls };
    let out = match exec_call {
        Some(call) => crate::catalog::exec_call(&mut cat, call),
        None => crate::catalog::execute(&mut cat, &state, &ctx, text),
    };
    if cat != before {
        cat.save(root).map_err(|e| unavailable(e.to_string()))?;
    }
    out
}

fn truncate(s: &str, w: usize) -> String {
    s.chars().take(w).collect()
}

fn first_word(t: &str) -> String {
    t.split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_create_plsql(t: &str) -> bool {
    let w: Vec<String> = t
        .split_whitespace()
        .take(5)
        .map(str::to_ascii_lowercase)
        .collect();
    let kinds = ["procedure", "function", "package", "trigger", "type"];
    match w.as_slice() {
        [c, k, ..] if c == "create" && kinds.contains(&k.as_str()) => true,
        [c, o, r, k, ..] if c == "create" && o == "or" && r == "replace" => {
            kinds.contains(&k.as_str())
        }
        _ => false,
    }
}

/// The status of `exit <arg>`.
fn exit_code(arg: &str) -> Option<i32> {
    let a = arg
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(';')
        .to_ascii_lowercase();
    match a.as_str() {
        "" | "success" => Some(0),
        "failure" => Some(1),
        "warning" => Some(2),
        "sql.sqlcode" => Some(1),
        n => n.parse::<i32>().ok().map(|v| v & 0xff),
    }
}

/// Whether `alias` is defined in `$TNS_ADMIN/tnsnames.ora` (or
/// `$ORACLE_HOME/network/admin/tnsnames.ora`).
pub fn tns_alias_exists(alias: &str) -> bool {
    let dir = std::env::var_os("TNS_ADMIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("ORACLE_HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join("network").join("admin"))
        });
    let Some(dir) = dir else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(dir.join("tnsnames.ora")) else {
        return false;
    };
    tns_aliases(&text).iter().any(|a| {
        a.eq_ignore_ascii_case(alias)
            || a.split('.')
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case(alias))
    })
}

/// The aliases a tnsnames.ora defines: names before `=` at paren depth 0.
pub fn tns_aliases(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for c in line.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '=' if depth == 0 => {
                    for a in current.split(',') {
                        let a = a.trim();
                        if !a.is_empty() {
                            out.push(a.to_string());
                        }
                    }
                    current.clear();
                }
                c if depth == 0 => current.push(c),
                _ => {}
            }
        }
        if depth == 0 {
            current.push(' ');
        }
    }
    out
}

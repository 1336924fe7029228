//! The simulated `adrci` (ADR command interpreter) and the alert log of a restore test's
//! instance.
//!
//! `adrci script=FILE` runs the commands of FILE (one a line), `adrci exec="cmd;cmd"` the
//! commands given, otherwise the commands are read from standard input. Commands:
//!
//! | command | what it does |
//! |---------|--------------|
//! | `set base DIR` | the ADR base (DIA-48447 when DIR does not exist) |
//! | `show homes` / `show home` | `ADR Homes: ` then each home under the base (`diag/<product>/<name>/<instance>`) relative to it |
//! | `set home H` / `set homepath H` | restricts the homes to H (relative to the base, or absolute) |
//! | `purge -age MINUTES [-type alert\|trace\|incident\|cdump]` | removes files older than MINUTES (by modification time) under the homes' `alert`, `trace`, `incident` and `cdump` directories |
//! | `exit` / `quit` | stops |
//!
//! Anything else gives `DIA-48415: Syntax error found in string [...] at column [...]`; as
//! the real adrci, errors in a script do not change the exit status (0), an unreadable
//! script does (1).
//!
//! A restore test instance started with a pfile that sets `*.diagnostic_dest` writes its
//! alert log at `<diagnostic_dest>/diag/rdbms/<db_name lower>/<instance>/trace/alert_<instance>.log`
//! (the instance name is `$ORACLE_SID`, else the pfile's `db_name`), at startup and shutdown.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::NaiveDateTime;

use crate::state::State;

/// The banner version.
const VERSION: &str = "12.1.0.2.0";
/// The directories `purge` cleans, by `-type`.
const PURGE_DIRS: &[(&str, &str)] = &[
    ("alert", "alert"),
    ("trace", "trace"),
    ("incident", "incident"),
    ("cdump", "cdump"),
];

/// The value of `*.name=value` (or `name=value`) in a pfile, without quotes.
fn pfile_value(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let l = l.strip_prefix("*.").unwrap_or(l);
        let (k, v) = l.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches(['\'', '"']).to_string())
    })
}

/// The alert log of an instance started with `pfile`, when it sets `diagnostic_dest`.
pub fn instance_alert_log(pfile: &Path, state: &State) -> Option<PathBuf> {
    let text = fs::read_to_string(pfile).ok()?;
    let dest = pfile_value(&text, "diagnostic_dest").filter(|d| !d.is_empty())?;
    let db = pfile_value(&text, "db_name")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| state.db_name.clone())
        .to_ascii_lowercase();
    let sid = std::env::var("ORACLE_SID")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| db.clone());
    Some(
        PathBuf::from(dest)
            .join("diag")
            .join("rdbms")
            .join(&db)
            .join(&sid)
            .join("trace")
            .join(format!("alert_{sid}.log")),
    )
}

/// Appends `lines` to the alert log `log` under a timestamp line, creating the home's
/// directories (errors are reported on stderr only: the instance still starts).
pub fn alert(log: &Path, now: NaiveDateTime, lines: &[String]) {
    let r = (|| -> std::io::Result<()> {
        if let Some(trace) = log.parent() {
            fs::create_dir_all(trace)?;
            if let Some(home) = trace.parent() {
                for d in ["alert", "incident", "cdump"] {
                    fs::create_dir_all(home.join(d))?;
                }
            }
        }
        let mut f = OpenOptions::new().create(true).append(true).open(log)?;
        writeln!(f, "{}", now.format("%a %b %d %H:%M:%S %Y"))?;
        for l in lines {
            writeln!(f, "{l}")?;
        }
        Ok(())
    })();
    if let Err(e) = r {
        eprintln!(
            "oracle-sim: cannot write the alert log {}: {e}",
            log.display()
        );
    }
}

/// The alert log lines of `startup nomount`.
pub fn startup_lines(state: &State) -> Vec<String> {
    vec![
        format!("Starting ORACLE instance (normal) (OS id: {})", std::process::id()),
        "CLI notifier numLatches:3 maxDescs:519".into(),
        "LICENSE_MAX_SESSION = 0".into(),
        "LICENSE_SESSIONS_WARNING = 0".into(),
        "Initial number of CPU is 2".into(),
        format!("Starting up:\nOracle Database 12c Enterprise Edition Release {VERSION} - 64bit Production"),
        "Using parameter settings in client-side pfile on machine simhost".into(),
        "System parameters with non-default values:".into(),
        "  processes                = 300".into(),
        format!("  db_block_size            = {}", state.db_block_size),
        format!("  compatible               = \"{}\"", state.compatible),
        format!("  db_name                  = \"{}\"", state.db_name),
        "PMON started with pid=2, OS id=4242".into(),
    ]
}

/// The alert log lines of `shutdown abort` / `shutdown immediate`.
pub fn shutdown_lines(abort: bool) -> Vec<String> {
    if abort {
        vec![
            "Shutting down instance (abort)".into(),
            "License high water mark = 1".into(),
            "USER (ospid: 4242): terminating the instance".into(),
            "Instance terminated by USER, pid = 4242".into(),
            "Instance shutdown complete".into(),
        ]
    } else {
        vec![
            "Shutting down instance (immediate)".into(),
            "Stopping background process SMCO".into(),
            "License high water mark = 1".into(),
            "Instance shutdown complete".into(),
        ]
    }
}

/// An adrci session.
struct Adrci {
    base: PathBuf,
    home: Option<PathBuf>,
    out: String,
}

/// Runs adrci with `args`; `stdin` is read when neither `script=` nor `exec=` is given.
/// Returns the output and the exit status.
pub fn run(args: &[String], stdin: &str) -> (String, i32) {
    let base = std::env::var_os("ORACLE_BASE")
        .filter(|b| !b.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/u01/app/oracle"));
    let mut s = Adrci {
        base,
        home: None,
        out: String::new(),
    };
    let now = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
    s.out.push_str(&format!(
        "\nADRCI: Release {VERSION} - Production on {now}\n\nCopyright (c) 1982, 2014, Oracle and/or its affiliates.  All rights reserved.\n\n"
    ));
    let mut commands: Vec<String> = Vec::new();
    let mut given = false;
    for a in args {
        let (k, v) = a.split_once('=').unwrap_or((a.as_str(), ""));
        match k.to_ascii_lowercase().as_str() {
            "script" => {
                given = true;
                match fs::read_to_string(v) {
                    Ok(t) => commands.extend(t.lines().map(str::to_string)),
                    Err(_) => {
                        s.out.push_str(&format!(
                            "DIA-48102: error encountered when opening script file [{v}]\n"
                        ));
                        return (s.out, 1);
                    }
                }
            }
            "exec" => {
                given = true;
                commands.extend(v.trim_matches('"').split(';').map(str::to_string));
            }
            "-help" | "help" => {
                s.out.push_str(" Usage: adrci [-help] [script=script_filename]\n              [exec = \"one_command [;one_command;...]\"]\n");
                return (s.out, 0);
            }
            _ => {
                s.out.push_str(&format!(
                    "DIA-48415: Syntax error found in string [{a}] at column [{}]\n",
                    a.len()
                ));
                return (s.out, 1);
            }
        }
    }
    s.out
        .push_str(&format!("ADR base = \"{}\"\n", s.base.display()));
    if !given {
        commands.extend(stdin.lines().map(str::to_string));
    }
    for c in commands {
        let c = c.trim().trim_end_matches(';').trim();
        if c.is_empty() {
            continue;
        }
        if !s.command(c) {
            break;
        }
    }
    (s.out, 0)
}

impl Adrci {
    fn syntax_error(&mut self, c: &str, column: usize) {
        self.out.push_str(&format!(
            "DIA-48415: Syntax error found in string [{c}] at column [{column}]\n\n"
        ));
    }

    /// Runs one command; false after `exit`.
    fn command(&mut self, c: &str) -> bool {
        let words: Vec<&str> = c.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        match l.as_slice() {
            ["exit"] | ["quit"] => return false,
            ["set", "base", _] => {
                let dir = PathBuf::from(words.get(2).copied().unwrap_or(""));
                if dir.is_dir() {
                    self.base = dir;
                    self.home = None;
                } else {
                    self.out.push_str(&format!(
                        "DIA-48447: The input path [{}] does not contain any ADR homes\n\n",
                        dir.display()
                    ));
                }
            }
            ["set", "home" | "homepath", _] => {
                let h = words.get(2).copied().unwrap_or("");
                let p = if Path::new(h).is_absolute() {
                    PathBuf::from(h)
                } else {
                    self.base.join(h)
                };
                if self.homes().iter().any(|x| self.base.join(x) == p) {
                    self.home = Some(p);
                } else {
                    self.out.push_str(&format!(
                        "DIA-48447: The input path [{h}] does not contain any ADR homes\n\n"
                    ));
                }
            }
            ["show", "homes" | "home" | "homepath"] => {
                let homes = match &self.home {
                    Some(h) => vec![h
                        .strip_prefix(&self.base)
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|_| h.clone())],
                    None => self.homes(),
                };
                self.out.push_str("ADR Homes: \n");
                for h in homes {
                    self.out.push_str(&format!("{}\n", h.display()));
                }
            }
            ["show", "base"] => {
                self.out
                    .push_str(&format!("ADR base is \"{}\"\n", self.base.display()));
            }
            ["purge", rest @ ..] => self.purge(c, rest),
            [first, ..] => {
                let first = first.to_string();
                self.syntax_error(c, first.len() + 1);
            }
            [] => {}
        }
        true
    }

    /// Homes under the base, relative to it: `diag/<product>/<name>/<instance>`.
    fn homes(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let diag = self.base.join("diag");
        for product in subdirs(&diag) {
            for name in subdirs(&product) {
                for inst in subdirs(&name) {
                    if let Ok(rel) = inst.strip_prefix(&self.base) {
                        out.push(rel.to_path_buf());
                    }
                }
            }
        }
        out.sort();
        out
    }

    fn purge(&mut self, c: &str, rest: &[&str]) {
        let mut age: Option<u64> = None;
        let mut types: Vec<&str> = PURGE_DIRS.iter().map(|(_, d)| *d).collect();
        let mut i = 0;
        while let Some(w) = rest.get(i) {
            match *w {
                "-age" => match rest.get(i + 1).and_then(|v| v.parse::<u64>().ok()) {
                    Some(v) => age = Some(v),
                    None => return self.syntax_error(c, c.len()),
                },
                "-type" => match rest
                    .get(i + 1)
                    .and_then(|t| PURGE_DIRS.iter().find(|(k, _)| k == t))
                {
                    Some((_, d)) => types = vec![*d],
                    None => return self.syntax_error(c, c.len()),
                },
                _ => return self.syntax_error(c, c.len()),
            }
            i += 2;
        }
        // Without -age adrci uses the homes' retention policies; ours: 30 days.
        let minutes = age.unwrap_or(30 * 1440);
        let homes: Vec<PathBuf> = match &self.home {
            Some(h) => vec![h.clone()],
            None => self.homes().iter().map(|h| self.base.join(h)).collect(),
        };
        let limit = SystemTime::now()
            .checked_sub(Duration::from_secs(minutes.saturating_mul(60)))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        for h in homes {
            for t in &types {
                purge_dir(&h.join(t), limit);
            }
        }
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Removes the files under `dir` last modified before `limit`.
fn purge_dir(dir: &Path, limit: SystemTime) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            purge_dir(&p, limit);
        } else if e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| m < limit)
        {
            let _ = fs::remove_file(&p);
        }
    }
}

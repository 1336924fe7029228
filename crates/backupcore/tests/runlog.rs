//! Tests of the run log: file name, line format, console echo, secret redaction,
//! retention and the copy to the screen.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backupcore::runlog::{
    clean_old_logs, log_path, RedactingWriter, RunLog, RunLogError, RunLogOptions, Secrets, MASK,
};
use proptest::prelude::*;
use tracing::{debug, error, info, warn};

const DAY: Duration = Duration::from_secs(86_400);
const PASSWORD: &str = "Tiger#Scott42";

/// A console/screen sink the test can read back.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("capture lock").clone()).expect("utf-8 console")
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `pattern`: `d` is any ASCII digit, every other character stands for itself.
fn matches_shape(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(t, p)| {
            if p == b'd' {
                t.is_ascii_digit()
            } else {
                t == p
            }
        })
}

/// Splits `<time> <LEVEL:8> <name:15> <message>` into (level, name, message), checking the
/// time against `time_shape` and the padding.
fn parse_line<'a>(line: &'a str, time_shape: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let t = time_shape.len();
    if line.len() < t + 26 || !line.is_char_boundary(t + 26) {
        return None;
    }
    if !matches_shape(&line[..t], time_shape) || &line[t..t + 1] != " " {
        return None;
    }
    let level = &line[t + 1..t + 9];
    let name = &line[t + 10..t + 25];
    if &line[t + 9..t + 10] != " " || &line[t + 25..t + 26] != " " {
        return None;
    }
    let (level_trim, name_trim) = (level.trim_end(), name.trim_end());
    if level_trim.is_empty() || level_trim.contains(' ') || name_trim.is_empty() {
        return None;
    }
    Some((level_trim, name_trim, &line[t + 26..]))
}

const FILE_TIME: &str = "dddd-dd-dd dd:dd:dd,ddd";
const CONSOLE_TIME: &str = "dd:dd:dd";

fn file_lines(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .map(|line| {
            let (level, name, message) =
                parse_line(line, FILE_TIME).unwrap_or_else(|| panic!("bad file line {line:?}"));
            (level.to_owned(), name.to_owned(), message.to_owned())
        })
        .collect()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).expect("read log file")
}

fn set_mtime(path: &Path, mtime: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .expect("open for mtime")
        .set_modified(mtime)
        .expect("set mtime");
}

#[test]
fn log_path_has_the_original_shape() {
    let started = chrono::NaiveDate::from_ymd_opt(2016, 11, 8)
        .and_then(|d| d.and_hms_opt(21, 53, 35))
        .expect("valid date");
    assert_eq!(
        log_path(
            Path::new("/nfs/backup"),
            "orcl",
            "imagecopywithsnap",
            started
        ),
        PathBuf::from("/nfs/backup/orcl/backup_logs/orcl_20161108T215335_imagecopywithsnap.log")
    );
}

#[test]
fn events_land_in_file_and_info_on_console_in_the_original_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir
        .path()
        .join("orcl")
        .join("backup_logs")
        .join("orcl_x_config.log");
    let console = Capture::default();
    let log =
        RunLog::start(RunLogOptions::new(&path, "orcl").with_console(Box::new(console.clone())))
            .expect("start");
    assert_eq!(log.path(), path);
    log.scoped(|| {
        info!("Configuration file: /home/oracle/backup.cfg");
        debug!("Oracle home: /u01/app/oracle");
        warn!(snapshots = 3, "Something odd");
        error!("It failed");
        tracing::trace!("never shown");
    });
    log.finish(&mut Vec::new()).expect("finish");

    let lines = file_lines(&read(&path));
    let expected = [
        ("INFO", "Configuration file: /home/oracle/backup.cfg"),
        ("DEBUG", "Oracle home: /u01/app/oracle"),
        ("WARNING", "Something odd snapshots=3"),
        ("ERROR", "It failed"),
    ];
    assert_eq!(lines.len(), expected.len(), "{lines:?}");
    for ((level, name, message), (want_level, want_message)) in lines.iter().zip(expected) {
        assert_eq!(level, want_level);
        assert_eq!(name, "orcl");
        assert_eq!(message, want_message);
    }
    // The exact padding of the original: level to 8, name to 15.
    assert!(read(&path).contains(" INFO     orcl            Configuration file"));

    let console = console.text();
    let console_lines: Vec<_> = console
        .lines()
        .map(|line| {
            parse_line(line, CONSOLE_TIME).unwrap_or_else(|| panic!("bad console line {line:?}"))
        })
        .collect();
    assert_eq!(
        console_lines,
        vec![
            (
                "INFO",
                "orcl",
                "Configuration file: /home/oracle/backup.cfg"
            ),
            ("WARNING", "orcl", "Something odd snapshots=3"),
            ("ERROR", "orcl", "It failed"),
        ]
    );
}

#[test]
fn reopening_appends_to_the_same_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("run.log");
    fs::write(&path, "earlier content\n").expect("write");
    let log = RunLog::start(RunLogOptions::new(&path, "db")).expect("start");
    log.scoped(|| info!("later"));
    log.finish(&mut Vec::new()).expect("finish");
    let text = read(&path);
    assert!(text.starts_with("earlier content\n"), "{text}");
    assert!(text.ends_with(" later\n"), "{text}");
}

#[derive(Debug)]
struct LoginError {
    password: String,
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ORA-01017: invalid username/password sys/{}",
            self.password
        )
    }
}

impl std::error::Error for LoginError {}

#[test]
fn secrets_never_reach_file_console_or_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("backup_logs").join("orcl_x_backup.log");
    let secrets = Secrets::new();
    secrets.add(PASSWORD);
    let console = Capture::default();
    let log = RunLog::start(
        RunLogOptions::new(&path, "orcl")
            .with_secrets(secrets.clone())
            .with_console(Box::new(console.clone()))
            .with_to_screen(true),
    )
    .expect("start");
    let err = LoginError {
        password: PASSWORD.to_owned(),
    };
    log.scoped(|| {
        info!("connecting as sys/{PASSWORD}@orcl");
        info!(password = %PASSWORD, "connect");
        info!(password = ?PASSWORD.to_owned(), "connect debug");
        debug!("debug line with {PASSWORD} twice {PASSWORD}");
        error!("login failed: {err}");
        error!(error = %err, "login failed");
        let boxed: Box<dyn std::error::Error> = Box::new(LoginError {
            password: PASSWORD.to_owned(),
        });
        error!(
            error = boxed.as_ref() as &dyn std::error::Error,
            "as error value"
        );
    });
    // Child output split in the middle of the secret, over two calls.
    log.append_external(b"RMAN> connect target sys/Tiger#Sc")
        .expect("append");
    log.append_external(b"ott42@orcl\nconnected to target database\n")
        .expect("append");
    // A trailing line without newline is written by finish.
    log.append_external(b"tail ").expect("append");
    log.append_external(b"Tiger#Scott42").expect("append");
    // Another stream through its own writer, split too.
    {
        let mut w = log.external_writer();
        w.write_all(b"SQL> conn sys/Tig").expect("write");
        w.write_all(b"er#Scott42 as sysdba\nConnected.\n")
            .expect("write");
    }
    // A secret learnt late protects the rest of the run.
    log.secrets().add("LatePass99");
    log.scoped(|| info!("late secret LatePass99 here"));

    let mut screen = Vec::new();
    log.finish(&mut screen).expect("finish");

    let file = read(&path);
    let console = console.text();
    let screen = String::from_utf8(screen).expect("utf-8 screen");
    for (what, text) in [("file", &file), ("console", &console), ("screen", &screen)] {
        assert!(
            !text.contains(PASSWORD),
            "{what} leaks the password:\n{text}"
        );
        assert!(
            !text.contains("LatePass99"),
            "{what} leaks the late secret:\n{text}"
        );
        assert!(
            !text.contains("Tiger"),
            "{what} leaks part of the password:\n{text}"
        );
        assert!(text.contains(MASK), "{what} has no mask:\n{text}");
    }
    assert!(
        file.contains(&format!("connecting as sys/{MASK}@orcl")),
        "{file}"
    );
    assert!(file.contains(&format!("connect password={MASK}")), "{file}");
    assert!(
        file.contains(&format!("debug line with {MASK} twice {MASK}")),
        "{file}"
    );
    assert!(
        file.contains(&format!("RMAN> connect target sys/{MASK}@orcl\n")),
        "{file}"
    );
    assert!(
        file.contains(&format!("SQL> conn sys/{MASK} as sysdba\nConnected.\n")),
        "{file}"
    );
    assert!(file.ends_with(&format!("tail {MASK}")), "{file}");
    assert!(file.contains(&format!("late secret {MASK} here")), "{file}");
    assert!(
        file.contains(&format!("ORA-01017: invalid username/password sys/{MASK}")),
        "{file}"
    );
    assert_eq!(screen, file);
    // DEBUG lines stay out of the console, external output too.
    assert!(!console.contains("debug line"), "{console}");
    assert!(!console.contains("RMAN>"), "{console}");
}

#[test]
fn screen_copy_redacts_what_other_processes_wrote_directly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("run.log");
    let secrets = Secrets::new();
    secrets.add(PASSWORD);
    let log = RunLog::start(
        RunLogOptions::new(&path, "orcl")
            .with_secrets(secrets)
            .with_to_screen(true),
    )
    .expect("start");
    log.scoped(|| info!("before rman"));
    // RMAN's `log <file> append` writes the file itself, bypassing the redaction.
    let mut rman = File::options().append(true).open(&path).expect("open");
    rman.write_all(format!("RMAN> connect target sys/{PASSWORD}\n").as_bytes())
        .expect("write");
    drop(rman);
    log.scoped(|| info!("after rman"));
    let mut screen = Vec::new();
    log.finish(&mut screen).expect("finish");
    let screen = String::from_utf8(screen).expect("utf-8");
    assert!(!screen.contains(PASSWORD), "{screen}");
    assert!(
        screen.contains(&format!("RMAN> connect target sys/{MASK}\n")),
        "{screen}"
    );
    assert!(screen.contains("before rman") && screen.contains("after rman"));
}

#[test]
fn to_screen_false_copies_nothing_true_copies_the_whole_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    for to_screen in [false, true] {
        let path = dir.path().join(format!("run_{to_screen}.log"));
        let log = RunLog::start(RunLogOptions::new(&path, "orcl").with_to_screen(to_screen))
            .expect("start");
        assert_eq!(log.to_screen(), to_screen);
        log.scoped(|| {
            info!("first");
            debug!("second");
        });
        log.append_external(b"external output\n").expect("append");
        let mut screen = Vec::new();
        log.finish(&mut screen).expect("finish");
        if to_screen {
            assert_eq!(screen, fs::read(&path).expect("read"));
            let text = String::from_utf8(screen).expect("utf-8");
            assert!(text.contains("first") && text.contains("second"));
            assert!(text.ends_with("external output\n"));
        } else {
            assert!(screen.is_empty());
        }
    }
}

#[test]
fn to_screen_only_for_exact_true() {
    assert!(RunLogOptions::to_screen_from_value(Some("TRUE")));
    assert!(!RunLogOptions::to_screen_from_value(Some("true")));
    assert!(!RunLogOptions::to_screen_from_value(Some("1")));
    assert!(!RunLogOptions::to_screen_from_value(Some("")));
    assert!(!RunLogOptions::to_screen_from_value(None));
}

#[test]
fn clean_old_logs_removes_only_old_regular_log_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let make = |name: &str, age: Duration| {
        let p = d.join(name);
        fs::write(&p, "x").expect("write");
        set_mtime(&p, now - age);
        p
    };
    let old1 = make("orcl_20231101T000000_a.log", 10 * DAY);
    let old2 = make(
        "orcl_20231105T000000_b.log",
        7 * DAY + Duration::from_secs(1),
    );
    let edge = make("edge.log", 7 * DAY);
    let new = make("new.log", DAY);
    let future = make("future.log", Duration::ZERO);
    set_mtime(&future, now + DAY);
    let txt = make("old.txt", 30 * DAY);
    let keep = make("current.log", 30 * DAY);
    let sub = d.join("sub.log");
    fs::create_dir(&sub).expect("mkdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("target.log");
    fs::write(&target, "t").expect("write");
    set_mtime(&target, now - 30 * DAY);
    let link = d.join("link.log");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");

    let mut removed = clean_old_logs(d, 7, now, &keep).expect("clean");
    removed.sort();
    assert_eq!(removed, vec![old1.clone(), old2.clone()]);
    assert!(!old1.exists() && !old2.exists());
    for kept in [&edge, &new, &future, &txt, &keep, &sub, &link, &target] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }

    // Retention 0: everything older than now goes, but still not `keep`.
    let removed = clean_old_logs(d, 0, now, &keep).expect("clean");
    assert_eq!(removed.len(), 2, "{removed:?}"); // edge.log and new.log
    assert!(keep.exists() && future.exists() && txt.exists());
}

#[test]
fn start_applies_retention_but_keeps_the_current_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logdir = dir.path().join("orcl").join("backup_logs");
    fs::create_dir_all(&logdir).expect("mkdir");
    let now = SystemTime::now();
    let make = |name: &str, age: Duration| {
        let p = logdir.join(name);
        fs::write(&p, "x\n").expect("write");
        set_mtime(&p, now - age);
        p
    };
    let old = make("orcl_old_a.log", 40 * DAY);
    let recent = make("orcl_recent_a.log", 2 * DAY);
    let other = make("notes.txt", 40 * DAY);
    // The current log already exists with an old mtime (e.g. a clock jump).
    let current = make("orcl_now_a.log", 40 * DAY);

    let log =
        RunLog::start(RunLogOptions::new(&current, "orcl").with_retention_days(30)).expect("start");
    assert_eq!(log.removed_logs(), std::slice::from_ref(&old));
    log.finish(&mut Vec::new()).expect("finish");
    assert!(!old.exists());
    assert!(recent.exists() && other.exists() && current.exists());
    let text = read(&current);
    let removal = file_lines(text.strip_prefix("x\n").expect("old content kept"));
    assert_eq!(removal.len(), 1);
    assert_eq!(removal[0].0, "DEBUG");
    assert_eq!(removal[0].2, format!("Removed log: {}", old.display()));
}

#[test]
fn start_without_retention_removes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.log");
    fs::write(&old, "x").expect("write");
    set_mtime(&old, SystemTime::now() - 400 * DAY);
    let log = RunLog::start(RunLogOptions::new(dir.path().join("new.log"), "db")).expect("start");
    assert!(log.removed_logs().is_empty());
    assert!(old.exists());
}

#[test]
fn errors_name_the_operation_and_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    fs::write(&blocker, "x").expect("write");
    let logdir = blocker.join("backup_logs");
    let err = RunLog::start(RunLogOptions::new(logdir.join("a.log"), "db"))
        .expect_err("a file is in the way");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "cannot create log directory {}: ",
            logdir.display()
        )),
        "{msg}"
    );
    assert!(matches!(
        err,
        RunLogError::Io {
            op: "create log directory",
            ..
        }
    ));

    let missing = dir.path().join("missing");
    let err = clean_old_logs(&missing, 1, SystemTime::now(), &missing.join("x.log"))
        .expect_err("no such directory");
    assert!(
        err.to_string().starts_with(&format!(
            "cannot read log directory {}: ",
            missing.display()
        )),
        "{err}"
    );
}

#[test]
fn install_global_works_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = RunLog::start(RunLogOptions::new(dir.path().join("a.log"), "db")).expect("start");
    let second = RunLog::start(RunLogOptions::new(dir.path().join("b.log"), "db")).expect("start");
    first.install_global().expect("first install");
    let err = second.install_global().expect_err("second install");
    assert!(
        err.to_string().contains("global tracing subscriber"),
        "{err}"
    );
    // Scoped dispatchers still take precedence on their thread.
    second.scoped(|| info!("to b"));
    assert!(read(&dir.path().join("b.log")).contains("to b"));
    assert!(!read(&dir.path().join("a.log")).contains("to b"));
}

#[test]
fn secrets_ignore_short_ones_and_do_not_print_in_debug() {
    let secrets = Secrets::new();
    secrets.add("");
    secrets.add("ab");
    secrets.add("***");
    assert!(secrets.is_empty());
    assert_eq!(secrets.redact("ab cd ab"), "ab cd ab");
    secrets.add("hunter2");
    secrets.add("hunter2");
    assert_eq!(secrets.len(), 1);
    let debug = format!("{secrets:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("count: 1"), "{debug}");
    assert_eq!(secrets.redact("pw=hunter2;"), format!("pw={MASK};"));
    // Overlapping and adjacent occurrences become one mask.
    secrets.add("ter2hun");
    assert_eq!(secrets.redact("x hunter2hunter2 y"), format!("x {MASK} y"));
    assert!(matches!(
        secrets.redact("nothing here"),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn redacting_writer_flushes_long_lines_early_without_splitting_secrets() {
    let secrets = Secrets::new();
    secrets.add("s3cr3tpass");
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&"x".repeat(997 + i * 13));
        text.push_str("s3cr3tpass");
    }
    let mut w = RedactingWriter::new(Vec::new(), secrets.clone());
    for chunk in text.as_bytes().chunks(7) {
        w.write_all(chunk).expect("write");
    }
    assert!(!w.get_ref().is_empty(), "a long line is written out early");
    w.flush().expect("flush");
    let out = String::from_utf8(w.get_ref().clone()).expect("utf-8");
    assert!(!out.contains("s3cr3tpass"));
    assert_eq!(out, secrets.redact(&text));
}

proptest! {
    #[test]
    fn redact_removes_every_secret(
        secrets in prop::collection::vec("[abc]{3,6}", 1..4),
        base in "[abcxy ]{0,40}",
        positions in prop::collection::vec(any::<prop::sample::Index>(), 1..6),
    ) {
        let mut text = base;
        for (i, pos) in positions.iter().enumerate() {
            let secret = &secrets[i % secrets.len()];
            let at = pos.index(text.len() + 1);
            text.insert_str(at, secret);
        }
        let set = Secrets::new();
        for s in &secrets {
            set.add(s.clone());
        }
        let out = set.redact(&text);
        for s in &secrets {
            prop_assert!(!out.contains(s.as_str()), "{s:?} left in {out:?} (from {text:?})");
        }
        let bytes = set.redact_bytes(text.as_bytes());
        prop_assert_eq!(bytes.as_ref(), out.as_bytes());
    }

    #[test]
    fn redact_removes_secrets_containing_the_mask_character(
        secrets in prop::collection::vec("[a*]{3,5}", 1..4),
        base in "[a* ]{0,30}",
        positions in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        let mut text = base;
        for (i, pos) in positions.iter().enumerate() {
            let at = pos.index(text.len() + 1);
            text.insert_str(at, &secrets[i % secrets.len()]);
        }
        let set = Secrets::new();
        for s in &secrets {
            set.add(s.clone());
        }
        let out = set.redact(&text);
        for s in secrets.iter().filter(|s| s.bytes().any(|b| b != b'*')) {
            prop_assert!(!out.contains(s.as_str()), "{s:?} left in {out:?} (from {text:?})");
        }
    }

    #[test]
    fn redact_is_identity_without_secrets(text in "\\PC*") {
        let out = Secrets::new().redact(&text);
        prop_assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        prop_assert_eq!(out.as_ref(), text.as_str());
    }

    #[test]
    fn redacting_writer_catches_secrets_split_across_writes(
        secrets in prop::collection::vec("[abc]{3,6}", 1..3),
        base in "[abcx \n]{0,60}",
        positions in prop::collection::vec(any::<prop::sample::Index>(), 1..5),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut text = base;
        for (i, pos) in positions.iter().enumerate() {
            let at = pos.index(text.len() + 1);
            text.insert_str(at, &secrets[i % secrets.len()]);
        }
        let set = Secrets::new();
        for s in &secrets {
            set.add(s.clone());
        }
        let mut cut_points: Vec<usize> = cuts.iter().map(|c| c.index(text.len() + 1)).collect();
        cut_points.push(0);
        cut_points.push(text.len());
        cut_points.sort_unstable();
        let mut w = RedactingWriter::new(Vec::new(), set.clone());
        for pair in cut_points.windows(2) {
            w.write_all(&text.as_bytes()[pair[0]..pair[1]]).expect("write");
        }
        w.flush().expect("flush");
        let out = String::from_utf8(w.get_ref().clone()).expect("utf-8");
        let per_line: String = text.split_inclusive('\n').map(|l| set.redact(l)).collect();
        prop_assert_eq!(&out, &per_line);
        for s in &secrets {
            prop_assert!(!out.contains(s.as_str()), "{s:?} left in {out:?}");
        }
    }
}

#[test]
fn claimed_log_names_are_never_shared() {
    let dir = tempfile::tempdir().unwrap();
    let want = dir
        .path()
        .join("orcl")
        .join("backup_logs")
        .join("orcl_20261121T101500_imagecopywithsnap.log");
    let first = backupcore::runlog::claim_log_path(&want).unwrap();
    assert_eq!(first, want);
    assert!(want.is_file());
    let second = backupcore::runlog::claim_log_path(&want).unwrap();
    assert_eq!(
        second.file_name().unwrap(),
        "orcl_20261121T101500_imagecopywithsnap-2.log"
    );
    let third = backupcore::runlog::claim_log_path(&want).unwrap();
    assert_eq!(
        third.file_name().unwrap(),
        "orcl_20261121T101500_imagecopywithsnap-3.log"
    );
}

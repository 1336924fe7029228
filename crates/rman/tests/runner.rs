//! `rman::runner` against fake rman/sqlplus/sqlldr/adrci shell scripts.
#![allow(clippy::unwrap_used)]

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use backupcore::runlog::{RunLog, RunLogOptions, Secrets};
use rman::runner::{
    OracleEnv, ProcessRunner, RecordingRunner, RunError, Runner, Script, Tool, NLS_DATE_FORMAT,
};

/// The fake tool: prints its pid, name, argv and Oracle environment, echoes its input
/// (stdin, or the `script=`/`control=` file) as `IN <line>`, prints the rest of input lines
/// starting with `ECHO ` raw, and acts on input lines `FAIL <code>` (RMAN error stack, exit code), `EXIT <code>`,
/// `SLEEP` (`exec sleep 30`), `BACKGROUND` (`sleep 5 &`, holding the pipes) and `BIG` (20000 lines on stdout and on stderr).
const FAKE_TOOL: &str = r#"#!/bin/sh
echo "PID $$"
echo "TOOL $(basename "$0")"
input=""
logf=""
for a in "$@"; do
  echo "ARG $a"
  case "$a" in
    script=*) input="${a#script=}" ;;
    control=*) input="${a#control=}" ;;
    log=*) logf="${a#log=}" ;;
  esac
done
echo "ORACLE_HOME=${ORACLE_HOME-<unset>}"
echo "TNS_ADMIN=${TNS_ADMIN-<unset>}"
echo "NLS_DATE_FORMAT=${NLS_DATE_FORMAT-<unset>}"
echo "ORACLE_SID=${ORACLE_SID-<unset>}"
if [ -n "$input" ]; then body=$(cat "$input"); else body=$(cat); fi
printf '%s\n' "$body" | sed 's/^/IN /'
printf '%s\n' "$body" | sed -n 's/^ECHO //p'
case "$body" in *SLEEP*) exec sleep 30 ;; esac
case "$body" in *BACKGROUND*) sleep 5 & ;; esac
case "$body" in *BIG*) seq 1 20000; seq 1 20000 >&2 ;; esac
if [ -n "$logf" ]; then echo "Table BACKUPLOG: 1 Row successfully loaded." > "$logf"; fi
code=$(printf '%s\n' "$body" | sed -n 's/^FAIL \([0-9][0-9]*\).*/\1/p' | head -n 1)
if [ -n "$code" ]; then
  cat >&2 <<'EOF'

RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-03002: failure of backup command at 2016-11-08 21:53:40
ORA-19502: write error on file "/nfs/orcl/data_D-ORCL_I-1_TS-USERS_FNO-4", block number 1234 (block size=8192)
ORA-27072: File I/O error

Recovery Manager complete.
EOF
  exit "$code"
fi
ecode=$(printf '%s\n' "$body" | sed -n 's/^EXIT \([0-9][0-9]*\).*/\1/p' | head -n 1)
exit "${ecode:-0}"
"#;

/// The fake ORACLE_HOME, created once before any test spawns a process (so no fork can
/// hold a script open for writing: "Text file busy").
fn home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| {
        // Statics are never dropped: keep the leftover under target/tmp, not /tmp.
        let dir = tempfile::Builder::new()
            .prefix("rman-runner-home")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let opatch = dir.path().join("OPatch");
        std::fs::create_dir(&opatch).unwrap();
        for path in ["rman", "sqlplus", "sqlldr", "adrci", "srvctl"]
            .map(|t| bin.join(t))
            .into_iter()
            .chain([opatch.join("opatch")])
        {
            std::fs::write(&path, FAKE_TOOL).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    })
    .path()
}

fn env() -> OracleEnv {
    OracleEnv::new(home()).with_tns_admin("/etc/tns")
}

/// A log sink the test can read.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn lines_with<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .collect()
}

#[test]
fn rman_gets_env_and_script_on_stdin() {
    let runner = ProcessRunner::new(env().with_sid("orcl"));
    let out = runner
        .rman(&Script::rman("imagecopy", "run {\n  backup database;\n}\n"))
        .unwrap();
    let t = &out.text;
    assert!(out.status.success());
    assert_eq!(lines_with(t, "TOOL "), ["rman"]);
    assert!(lines_with(t, "ARG ").is_empty(), "{t}");
    assert!(
        t.contains(&format!("ORACLE_HOME={}\n", home().display())),
        "{t}"
    );
    assert!(t.contains("TNS_ADMIN=/etc/tns\n"), "{t}");
    assert!(
        t.contains(&format!("NLS_DATE_FORMAT={NLS_DATE_FORMAT}\n")),
        "{t}"
    );
    assert!(t.contains("ORACLE_SID=orcl\n"), "{t}");
    assert_eq!(lines_with(t, "IN "), ["run {", "  backup database;", "}"]);
}

/// Runs `sid_removed_child` in a child test process whose environment has `ORACLE_SID`
/// (the test process's own environment is not touched).
#[test]
fn sid_removed_when_not_given() {
    home();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sid_removed_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ORACLE_SID", "inherited_sid")
        .env("TNS_ADMIN", "/inherited/tns")
        .env("RMAN_RUNNER_TEST_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(stdout.contains("CHILD CHECKED"), "{stdout}");
}

#[test]
fn sid_removed_child() {
    if std::env::var_os("RMAN_RUNNER_TEST_CHILD").is_none() {
        return;
    }
    assert_eq!(std::env::var("ORACLE_SID").unwrap(), "inherited_sid");
    // No SID: removed. No TNS_ADMIN given: inherited.
    let out = ProcessRunner::new(OracleEnv::new(home()))
        .sqlplus(&Script::sqlplus("dbinfo", "select 1 from dual;"), true)
        .unwrap();
    assert!(out.text.contains("ORACLE_SID=<unset>\n"), "{}", out.text);
    assert!(
        out.text.contains("TNS_ADMIN=/inherited/tns\n"),
        "{}",
        out.text
    );
    // A given SID replaces the inherited one.
    let out = ProcessRunner::new(OracleEnv::new(home()).with_sid("orcl"))
        .rman(&Script::rman("x", ""))
        .unwrap();
    assert!(out.text.contains("ORACLE_SID=orcl\n"), "{}", out.text);
    println!("CHILD CHECKED");
}

#[test]
fn sqlplus_args() {
    let runner = ProcessRunner::new(env());
    let script = Script::sqlplus("dbinfo", "select 1 from dual;\nexit\n");
    let silent = runner.sqlplus(&script, true).unwrap();
    assert_eq!(lines_with(&silent.text, "TOOL "), ["sqlplus"]);
    assert_eq!(lines_with(&silent.text, "ARG "), ["-S", "/nolog"]);
    assert_eq!(
        lines_with(&silent.text, "IN "),
        ["select 1 from dual;", "exit"]
    );
    let loud = runner.sqlplus(&script, false).unwrap();
    assert_eq!(lines_with(&loud.text, "ARG "), ["/nolog"]);
}

#[test]
fn sqlldr_args_control_file_and_log() {
    let sink = Sink::default();
    let runner = ProcessRunner::new(env()).with_log(Box::new(sink.clone()));
    let control = "LOAD DATA\nINFILE '/tmp/x.log'\nINTO TABLE backuplog\n";
    let out = runner
        .sqlldr(
            "catuser/Catpass99@catdb",
            &Script::sqlldr("sqlldrlog", control),
        )
        .unwrap();
    let t = &out.text;
    assert_eq!(lines_with(t, "TOOL "), ["sqlldr"]);
    let args = lines_with(t, "ARG ");
    assert_eq!(args.len(), 5, "{t}");
    assert_eq!(args[0], "catuser/********@catdb");
    let ctl = args[1].strip_prefix("control=").unwrap();
    let log = args[2].strip_prefix("log=").unwrap();
    assert!(ctl.ends_with(".ctl") && log.ends_with(".log"), "{t}");
    assert_eq!(&args[3..], ["errors=0", "silent=all"]);
    // The control file reached the tool and both temporary files are gone.
    assert_eq!(
        lines_with(t, "IN "),
        ["LOAD DATA", "INFILE '/tmp/x.log'", "INTO TABLE backuplog"]
    );
    assert!(!Path::new(ctl).exists());
    assert!(!Path::new(log).exists());
    // sqlldr's own log file is part of the output.
    assert!(
        t.ends_with("Table BACKUPLOG: 1 Row successfully loaded.\n"),
        "{t}"
    );
    // The login password is never shown.
    assert!(!t.contains("Catpass99"));
    assert!(!sink.text().contains("Catpass99"));
    assert!(sink.text().contains("catuser/********@catdb"));
}

#[test]
fn adrci_script_file() {
    let runner = ProcessRunner::new(env());
    let out = runner
        .adrci(&Script::adrci(
            "showhomes",
            "set base /u01/diag\nshow homes\n",
        ))
        .unwrap();
    let args = lines_with(&out.text, "ARG ");
    assert_eq!(args.len(), 1);
    let file = args[0].strip_prefix("script=").unwrap();
    assert!(file.ends_with(".adi"));
    assert!(!Path::new(file).exists());
    assert_eq!(
        lines_with(&out.text, "IN "),
        ["set base /u01/diag", "show homes"]
    );
}

#[test]
fn failure_is_parsed_into_one_line() {
    let runner = ProcessRunner::new(env());
    let err = runner
        .rman(&Script::rman("imagecopy", "backup database;\nFAIL 3\n"))
        .unwrap_err();
    let msg = err.to_string();
    assert_eq!(
        msg,
        "rman imagecopy failed (exit 3): RMAN-03002: failure of backup command at \
         2016-11-08 21:53:40; ORA-19502: write error on file \
         \"/nfs/orcl/data_D-ORCL_I-1_TS-USERS_FNO-4\", block number 1234 (block size=8192); \
         ORA-27072: File I/O error"
    );
    assert!(!msg.contains('\n'));
    let RunError::Failed {
        tool,
        label,
        code,
        summary,
        errors,
        output,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*tool, Tool::Rman);
    assert_eq!(label, "imagecopy");
    assert_eq!(*code, Some(3));
    assert!(summary.as_deref().unwrap().starts_with("RMAN-03002"));
    let ids: Vec<String> = errors.iter().map(|e| e.id()).collect();
    assert_eq!(ids, ["RMAN-03002", "ORA-19502", "ORA-27072"]);
    // stdout and stderr are both captured.
    assert!(output.contains("TOOL rman") && output.contains("Recovery Manager complete."));
}

#[test]
fn failure_without_oracle_errors() {
    let runner = ProcessRunner::new(env());
    let err = runner
        .sqlplus(
            &Script::sqlplus("dbinfo", "select 1 from dual;\nEXIT 2\n"),
            true,
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "sqlplus dbinfo failed (exit 2)");
    let RunError::Failed {
        summary, errors, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(summary.is_none() && errors.is_empty());
}

#[test]
fn missing_binary_names_the_path() {
    home();
    let empty = tempfile::tempdir().unwrap();
    let runner = ProcessRunner::new(OracleEnv::new(empty.path()));
    let err = runner.rman(&Script::rman("imagecopy", "")).unwrap_err();
    let expected: PathBuf = empty.path().join("bin/rman");
    match &err {
        RunError::Spawn { path, source, .. } => {
            assert_eq!(path, &expected);
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains(&expected.display().to_string()),
        "{err}"
    );
}

#[test]
fn timeout_kills_the_child() {
    let runner = ProcessRunner::new(env()).with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = runner
        .rman(&Script::rman("imagecopy", "SLEEP\n"))
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    let RunError::Timeout { after, output, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*after, Duration::from_millis(300));
    assert_eq!(
        err.to_string(),
        "rman imagecopy timed out after 300ms and was killed"
    );
    // `exec sleep`: the printed pid is the child's; killed and reaped, it is gone.
    let pid = lines_with(output, "PID ")[0];
    assert!(
        !Path::new("/proc").join(pid).exists(),
        "pid {pid} still there"
    );
}

#[test]
fn background_process_holding_the_pipes_does_not_block() {
    let runner = ProcessRunner::new(env());
    let started = Instant::now();
    let out = runner
        .rman(&Script::rman("imagecopy", "BACKGROUND\n"))
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(4500));
    assert_eq!(lines_with(&out.text, "IN "), ["BACKGROUND"]);
    assert!(out.text.contains("ORACLE_SID=<unset>\n"), "{}", out.text);
}

#[test]
fn large_output_on_both_streams_and_large_script() {
    let runner = ProcessRunner::new(env()).with_timeout(Duration::from_secs(60));
    let mut script = String::from("BIG\n");
    for i in 0..20_000 {
        script.push_str(&format!("-- filler line {i}\n"));
    }
    let out = runner.rman(&Script::rman("big", script)).unwrap();
    assert_eq!(lines_with(&out.text, "IN ").len(), 20_001);
    assert_eq!(out.text.lines().filter(|l| *l == "20000").count(), 2);
}

#[test]
fn secrets_never_leave_the_runner() {
    let secret = "Sup3rS3cretPw";
    let secrets = Secrets::new();
    secrets.add(secret);
    let sink = Sink::default();
    let runner = ProcessRunner::new(env())
        .with_log(Box::new(sink.clone()))
        .with_script_logging(true);
    let text = format!(
        "create user x identified by \"{secret}\";\nECHO ORA-01017: invalid password {secret}\n"
    );
    let ok = runner
        .sqlplus(
            &Script::sqlplus("createschedule", text.clone()).with_secrets(secrets.clone()),
            false,
        )
        .unwrap();
    assert!(!ok.text.contains(secret));
    assert!(ok
        .text
        .contains("IN create user x identified by \"********\";"));

    let failing = format!("{text}FAIL 1\n");
    let err = runner
        .rman(&Script::rman("imagecopy", failing).with_secrets(secrets.clone()))
        .unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains(secret), "{msg}");
    assert!(!format!("{err:?}").contains(secret));
    assert!(!err.output().unwrap().contains(secret));
    // The echoed ORA-01017 line is among the parsed errors (not in the stack summary).
    let RunError::Failed { errors, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(errors.iter().all(|e| !e.full_message().contains(secret)));

    let log = sink.text();
    assert!(!log.contains(secret), "{log}");
    // Script logging writes the label header and the redacted script.
    assert!(
        log.contains("----- sqlplus: createschedule -----\n"),
        "{log}"
    );
    assert!(log.contains("----- rman: imagecopy -----\n"), "{log}");
    assert!(log.contains("identified by \"********\""), "{log}");
    // Without script logging the script is only in the tool's echo (IN lines).
    let quiet_sink = Sink::default();
    ProcessRunner::new(env())
        .with_log(Box::new(quiet_sink.clone()))
        .rman(&Script::rman("plain", "backup database;\n"))
        .unwrap();
    let quiet = quiet_sink.text();
    assert!(!quiet.contains("-----"), "{quiet}");
    assert!(quiet.contains("IN backup database;\n"), "{quiet}");
    // Debug output of a script masks the secret too.
    let script = Script::sqlplus("x", text).with_secrets(secrets);
    assert!(!format!("{script:?}").contains(secret));
}

#[test]
fn output_goes_to_the_run_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orcl.log");
    let secrets = Secrets::new();
    secrets.add("Sup3rS3cretPw");
    let log = RunLog::start(RunLogOptions::new(&path, "orcl")).unwrap();
    let runner = ProcessRunner::new(env()).with_run_log(&log);
    runner
        .rman(&Script::rman("imagecopy", "backup database; -- Sup3rS3cretPw").with_secrets(secrets))
        .unwrap();
    log.flush().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("TOOL rman\n"), "{text}");
    assert!(text.contains("IN backup database; -- ********\n"), "{text}");
    assert!(!text.contains("Sup3rS3cretPw"));
}

#[test]
fn wrong_tool_is_refused() {
    let runner = RecordingRunner::new();
    let err = runner
        .rman(&Script::sqlplus("dbinfo", "select 1 from dual;"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dbinfo is a sqlplus script, not a rman script"
    );
    assert!(runner.calls().is_empty());
}

#[test]
fn recording_runner_records_and_answers() {
    let secrets = Secrets::new();
    secrets.add("Sup3rS3cretPw");
    let runner = RecordingRunner::new();
    runner.set_output("dbinfo", "CURRENT DATABASE SCN: 799175\n");
    runner.fail(
        "imagecopy",
        1,
        "RMAN-00571: ====\nRMAN-00569: ==== ERROR MESSAGE STACK FOLLOWS ====\n\
         RMAN-00571: ====\nRMAN-03002: failure of backup command at 2016-11-08 21:53:40\n\
         ORA-19502: write error on file \"/nfs/x\", block number 1 (block size=8192)\n",
    );

    let out = runner
        .sqlplus(
            &Script::sqlplus("dbinfo", "select current_scn from v$database;\n"),
            true,
        )
        .unwrap();
    assert_eq!(out.text, "CURRENT DATABASE SCN: 799175\n");
    assert!(out.status.success());
    let err = runner
        .rman(&Script::rman(
            "imagecopy",
            "run {\n  backup incremental level 1 for recover of copy database;\n}",
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rman imagecopy failed (exit 1): RMAN-03002: failure of backup command at \
         2016-11-08 21:53:40; ORA-19502: write error on file \"/nfs/x\", block number 1 \
         (block size=8192)"
    );
    runner
        .sqlldr(
            "catuser/Catpass99@catdb",
            &Script::sqlldr("sqlldrlog", "LOAD DATA\nINTO TABLE backuplog\n"),
        )
        .unwrap();
    runner
        .sqlplus(
            &Script::sqlplus(
                "createschedule",
                "set echo off\ncreate credential identified by \"Sup3rS3cretPw\";\n",
            )
            .with_secrets(secrets),
            false,
        )
        .unwrap();
    let adrci = runner
        .adrci(&Script::adrci(
            "showhomes",
            "set base /u01/diag\nshow homes\n",
        ))
        .unwrap();
    assert_eq!(adrci.text, "");

    let calls = runner.calls();
    let summary: Vec<(Tool, &str)> = calls.iter().map(|c| (c.tool, c.label.as_str())).collect();
    assert_eq!(
        summary,
        [
            (Tool::Sqlplus, "dbinfo"),
            (Tool::Rman, "imagecopy"),
            (Tool::Sqlldr, "sqlldrlog"),
            (Tool::Sqlplus, "createschedule"),
            (Tool::Adrci, "showhomes"),
        ]
    );
    // The recorded text is the script as given; everything shown is redacted.
    assert!(calls[3].text.contains("Sup3rS3cretPw"));
    assert!(!format!("{calls:?}").contains("Sup3rS3cretPw"));
    let dry = runner.dry_run_text();
    assert!(!dry.contains("Sup3rS3cretPw") && !dry.contains("Catpass99"));
    insta::assert_snapshot!("recording_dry_run", dry);
}

#[test]
fn programs_run_with_arguments_from_their_own_places() {
    let runner = ProcessRunner::new(env());
    let out = runner
        .program(
            &Script::program(Tool::Opatch, "lsinventory"),
            &["lsinventory".to_string()],
        )
        .unwrap();
    assert!(out.text.contains("TOOL opatch"), "{}", out.text);
    assert!(out.text.contains("ARG lsinventory"), "{}", out.text);
    let out = runner
        .program(
            &Script::program(Tool::Srvctl, "dbinfo"),
            &["config", "database", "-d", "orcl"].map(String::from),
        )
        .unwrap();
    assert!(
        out.text
            .contains("TOOL srvctl\nARG config\nARG database\nARG -d\nARG orcl"),
        "{}",
        out.text
    );
    assert_eq!(
        env().binary(Tool::Opatch),
        home().join("OPatch").join("opatch")
    );
    // A program call needs a program, and a script call a scripted tool.
    let e = runner
        .program(&Script::rman("x", "EXIT 0"), &[])
        .unwrap_err();
    assert!(matches!(e, RunError::WrongTool { .. }), "{e}");
    let e = runner
        .rman(&Script::program(Tool::Opatch, "lsinventory"))
        .unwrap_err();
    assert!(matches!(e, RunError::WrongTool { .. }), "{e}");
}

#[test]
fn spooled_sqlplus_output_reaches_the_log_only_on_failure() {
    let sink = Sink::default();
    let runner = ProcessRunner::new(env())
        .with_log(Box::new(sink.clone()))
        .with_sqlplus_spooling(true);
    runner
        .sqlplus(&Script::sqlplus("ok", "ECHO spooled-ok-line"), true)
        .unwrap();
    assert!(!sink.text().contains("spooled-ok-line"), "{}", sink.text());
    runner
        .sqlplus(
            &Script::sqlplus("bad", "ECHO before-spool-error\nEXIT 1"),
            true,
        )
        .unwrap_err();
    assert!(
        sink.text().contains("before-spool-error"),
        "{}",
        sink.text()
    );
    // RMAN output always goes to the log.
    runner.rman(&Script::rman("r", "ECHO rman-line")).unwrap();
    assert!(sink.text().contains("rman-line"), "{}", sink.text());
}

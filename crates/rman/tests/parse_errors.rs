//! Oracle errors in RMAN and SQL*Plus output.
//!
//! The failing outputs below are our own test strings, modelled on the shape of public RMAN
//! 11g/12c error output examples (Oracle's "Interpreting RMAN Error Stacks" documentation and
//! forum posts); file names and times are invented.
#![allow(clippy::unwrap_used)]

mod common;
use common::fixture;

use rman::parse::{
    error_summary, find_errors, first_error, parse_error_line, rman_error_stacks, summarize,
    OracleError,
};

fn ids(errors: &[OracleError]) -> Vec<String> {
    errors.iter().map(OracleError::id).collect()
}

#[test]
fn successful_fixture_runs_have_no_errors() {
    for name in [
        "orcl_20161108T215324_config.log",
        "orcl_20161108T215335_imagecopywithsnap.log",
    ] {
        let text = fixture(name);
        assert!(find_errors(&text).is_empty(), "{name}");
        assert!(rman_error_stacks(&text).is_empty(), "{name}");
        assert_eq!(first_error(&text), None);
        assert_eq!(error_summary(&text), None);
    }
}

/// A channel fails writing a piece (disk full): RMAN reports the channel failure, continues
/// the other channels, then prints the stack at the end of the run block.
const WRITE_ERROR: &str = "\
channel ORA_DISK_1: starting piece 1 at 2016-11-08 21:53:39
channel ORA_DISK_2: starting piece 1 at 2016-11-08 21:53:39
RMAN-03009: failure of backup command on ORA_DISK_1 channel at 11/08/2016 21:53:40
ORA-19502: write error on file \"/nfs/backup/orcl/6brke9r3_1_1\", block number 1664 (block size=8192)
ORA-27072: File I/O error
Linux-x86_64 Error: 28: No space left on device
Additional information: 4
Additional information: 1664
Additional information: 1040384
continuing other job steps, job failed will not be re-run
channel ORA_DISK_2: finished piece 1 at 2016-11-08 21:53:42
piece handle=/nfs/backup/orcl/6crke9r3_1_1 tag=IMAGE_COPY_BACKUP comment=NONE
channel ORA_DISK_2: backup set complete, elapsed time: 00:00:03
RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-03009: failure of backup command on ORA_DISK_1 channel at 11/08/2016 21:53:40
ORA-19502: write error on file \"/nfs/backup/orcl/6brke9r3_1_1\", block number 1664 (block size=8192)
ORA-27072: File I/O error
Linux-x86_64 Error: 28: No space left on device
Additional information: 4
Additional information: 1664
Additional information: 1040384

RMAN> 

Recovery Manager complete.
";

#[test]
fn write_error() {
    let all = find_errors(WRITE_ERROR);
    assert_eq!(
        ids(&all),
        [
            "RMAN-03009",
            "ORA-19502",
            "ORA-27072",
            "RMAN-03009",
            "ORA-19502",
            "ORA-27072"
        ]
    );
    assert_eq!(all[0].line, 3);
    assert_eq!(
        all[2].details,
        [
            "Linux-x86_64 Error: 28: No space left on device",
            "Additional information: 4",
            "Additional information: 1664",
            "Additional information: 1040384"
        ]
    );
    let stacks = rman_error_stacks(WRITE_ERROR);
    assert_eq!(stacks.len(), 1);
    assert_eq!(stacks[0].line, 14);
    assert_eq!(
        ids(&stacks[0].errors),
        ["RMAN-03009", "ORA-19502", "ORA-27072"]
    );
    assert_eq!(stacks[0].errors[2].details.len(), 4);
    assert_eq!(
        stacks[0].errors[1],
        OracleError {
            facility: "ORA".into(),
            code: 19502,
            code_digits: 5,
            message: "write error on file \"/nfs/backup/orcl/6brke9r3_1_1\", block number 1664 (block size=8192)".into(),
            details: vec![],
            line: 18,
        }
    );
    let first = first_error(WRITE_ERROR).unwrap();
    assert!(first.is("RMAN", 3009));
    assert_eq!(first.line, 17);
    assert_eq!(
        error_summary(WRITE_ERROR).unwrap(),
        "RMAN-03009: failure of backup command on ORA_DISK_1 channel at 11/08/2016 21:53:40; \
         ORA-19502: write error on file \"/nfs/backup/orcl/6brke9r3_1_1\", block number 1664 (block size=8192); \
         ORA-27072: File I/O error"
    );
    assert!(stacks[0].errors[2]
        .full_message()
        .ends_with("File I/O error\nLinux-x86_64 Error: 28: No space left on device\nAdditional information: 4\nAdditional information: 1664\nAdditional information: 1040384"));
}

/// The instance dies under RMAN: lost connection.
const LOST_CONNECTION: &str = "\
Starting backup at 2016-11-08 21:53:37
using channel ORA_DISK_1
RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-03002: failure of backup command at 11/08/2016 21:53:40
RMAN-03009: failure of backup command on ORA_DISK_1 channel at 11/08/2016 21:53:40
ORA-03113: end-of-file on communication channel
Process ID: 4711
Session ID: 46 Serial number: 12345

RMAN> 

RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-03002: failure of recover command at 11/08/2016 21:53:41
RMAN-06004: ORACLE error from recovery catalog database: RMAN-20001: target database not found in recovery catalog
ORA-03135: connection lost contact
Process ID: 0
Session ID: 51 Serial number: 7

Recovery Manager complete.
";

#[test]
fn lost_connection() {
    let stacks = rman_error_stacks(LOST_CONNECTION);
    assert_eq!(stacks.len(), 2);
    assert_eq!(
        ids(&stacks[0].errors),
        ["RMAN-03002", "RMAN-03009", "ORA-03113"]
    );
    assert_eq!(
        stacks[0].errors[2].details,
        ["Process ID: 4711", "Session ID: 46 Serial number: 12345"]
    );
    assert_eq!(
        ids(&stacks[1].errors),
        ["RMAN-03002", "RMAN-06004", "ORA-03135"]
    );
    assert_eq!(
        stacks[1].errors[1].message,
        "ORACLE error from recovery catalog database: RMAN-20001: target database not found in recovery catalog"
    );
    assert_eq!(
        error_summary(LOST_CONNECTION).unwrap(),
        "RMAN-03002: failure of backup command at 11/08/2016 21:53:40; \
         RMAN-03009: failure of backup command on ORA_DISK_1 channel at 11/08/2016 21:53:40; \
         ORA-03113: end-of-file on communication channel"
    );
    assert_eq!(find_errors(LOST_CONNECTION).len(), 6);
}

/// Recovery of the copies needs an archived log nobody has.
const UNKNOWN_ARCHLOG: &str = "\
starting media recovery

RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-03002: failure of recover command at 11/08/2016 22:10:05
RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence 57 and starting SCN of 799393

RMAN> 
";

#[test]
fn unknown_archived_log() {
    let e = first_error(UNKNOWN_ARCHLOG).unwrap();
    assert_eq!((e.facility.as_str(), e.code), ("RMAN", 3002));
    let stacks = rman_error_stacks(UNKNOWN_ARCHLOG);
    let last = stacks[0].errors.last().unwrap();
    assert!(last.is("RMAN", 6054));
    assert!(last.message.contains("sequence 57"));
    assert!(last.details.is_empty());
    assert_eq!(
        error_summary(UNKNOWN_ARCHLOG).unwrap(),
        "RMAN-03002: failure of recover command at 11/08/2016 22:10:05; RMAN-06054: media recovery \
         requesting unknown archived log for thread 1 with sequence 57 and starting SCN of 799393"
    );
}

/// RMAN rejects a script it cannot parse (a typo in a template).
const SYNTAX_ERROR: &str = "\
RMAN> run {
2> bakcup incremental level 1 for recover of copy with tag 'image_copy_backup' database;
3> }
RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-00558: error encountered while parsing input commands
RMAN-01009: syntax error: found \"identifier\": expecting one of: \"advise, allocate, alter, backup, \
beginline, catalog, change, ...\"
RMAN-01008: the bad identifier was: bakcup
RMAN-01007: at line 2 column 1 file: standard input

RMAN> 

Recovery Manager complete.
";

#[test]
fn syntax_error() {
    let stacks = rman_error_stacks(SYNTAX_ERROR);
    assert_eq!(stacks.len(), 1);
    assert_eq!(
        ids(&stacks[0].errors),
        ["RMAN-00558", "RMAN-01009", "RMAN-01008", "RMAN-01007"]
    );
    assert_eq!(
        stacks[0].errors[2].message,
        "the bad identifier was: bakcup"
    );
    assert_eq!(
        first_error(SYNTAX_ERROR).unwrap().to_string(),
        "RMAN-00558: error encountered while parsing input commands"
    );
}

/// A stack whose error wraps onto an unindented line: inside a stack it is a continuation.
#[test]
fn stack_continuation_lines() {
    let text = "\
RMAN-00571: ===========================================================
RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
RMAN-00571: ===========================================================
RMAN-03009: failure of backup command on ORA_DISK_1 channel at 07/18/2007 17:01:59
ORA-19566: exceeded limit of 0 corrupt blocks for file /u01/app/oracle/oradata/ORCL/
users01.dbf
RMAN-10031: RPC Error: ORA-19583
RMAN> 
next line
";
    let stacks = rman_error_stacks(text);
    assert_eq!(
        ids(&stacks[0].errors),
        ["RMAN-03009", "ORA-19566", "RMAN-10031"]
    );
    assert_eq!(stacks[0].errors[1].details, ["users01.dbf"]);
    assert!(stacks[0].errors[2].details.is_empty());
}

const SQLPLUS_ERRORS: &str = "\
SQL> select * from v$no_such_view;
select * from v$no_such_view
              *
ERROR at line 1:
ORA-00942: table or view does not exist
Help: https://docs.oracle.com/error-help/db/ora-00942/


Elapsed: 00:00:00.01
SQL> @missing.sql
SP2-0310: unable to open file \"missing.sql\"
SQL> begin no_such_proc; end;
  2  /
begin no_such_proc; end;
      *
ERROR at line 1:
ORA-06550: line 1, column 7:
PLS-00201: identifier 'NO_SUCH_PROC' must be declared
ORA-06550: line 1, column 7:
PL/SQL: Statement ignored

SQL> spool off
";

#[test]
fn sqlplus_errors() {
    let errors = find_errors(SQLPLUS_ERRORS);
    assert_eq!(
        ids(&errors),
        [
            "ORA-00942",
            "SP2-0310",
            "ORA-06550",
            "PLS-00201",
            "ORA-06550"
        ]
    );
    assert_eq!(
        errors[0].details,
        ["Help: https://docs.oracle.com/error-help/db/ora-00942/"]
    );
    assert_eq!(errors[1].code_digits, 4);
    assert_eq!(
        errors[1].to_string(),
        "SP2-0310: unable to open file \"missing.sql\""
    );
    assert_eq!(errors[4].details, ["PL/SQL: Statement ignored"]);
    assert!(rman_error_stacks(SQLPLUS_ERRORS).is_empty());
    assert_eq!(
        first_error(SQLPLUS_ERRORS).unwrap().to_string(),
        "ORA-00942: table or view does not exist"
    );
    assert_eq!(
        error_summary(SQLPLUS_ERRORS).unwrap(),
        "ORA-00942: table or view does not exist; SP2-0310: unable to open file \"missing.sql\"; \
         ORA-06550: line 1, column 7:; PLS-00201: identifier 'NO_SUCH_PROC' must be declared"
    );
}

#[test]
fn sqlplus_logon_error() {
    let text = "\nERROR:\nORA-01017: invalid username/password; logon denied\n\n\nSP2-0751: Unable to connect to Oracle.  Exiting SQL*Plus\n";
    assert_eq!(ids(&find_errors(text)), ["ORA-01017", "SP2-0751"]);
    let text = "ERROR:\nORA-12154: TNS:could not resolve the connect identifier specified\n";
    assert_eq!(
        first_error(text).unwrap().message,
        "TNS:could not resolve the connect identifier specified"
    );
}

#[test]
fn error_line_recognition() {
    let e =
        parse_error_line("PRCD-1120 : The resource for database orcl could not be found.").unwrap();
    assert_eq!(
        (e.facility.as_str(), e.code, e.code_digits),
        ("PRCD", 1120, 4)
    );
    assert_eq!(
        e.message,
        "The resource for database orcl could not be found."
    );
    for not in [
        " ORA-00942: indented",
        "ora-00942: lower case",
        "ORA-: no code",
        "ORA-00942 no colon",
        "Linux-x86_64 Error: 28: No space left on device",
        "2016-11-08 21:53:54,136 ERROR    orcl            RMAN-03002: x",
        "O/S-Error: (OS 2) The system cannot find the file specified.",
        "A-1: facility too short",
        "ORA-1234567890: too many digits",
    ] {
        assert_eq!(parse_error_line(not), None, "{not}");
    }
}

#[test]
fn summarize_dedupes() {
    let e = parse_error_line("ORA-27072: File I/O error").unwrap();
    assert_eq!(summarize(&[e.clone(), e]), "ORA-27072: File I/O error");
    assert_eq!(summarize(&[]), "");
}

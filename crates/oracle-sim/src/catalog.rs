//! Catalog schemas: TNS aliases that name a schema in another database rather than the
//! simulated database itself, made with `oracle-sim add-catalog --root DIR --alias NAME
//! [--kind restore|rman] [--user U]`.
//!
//! * `restore` (the default): the autorestore log catalog (`autorestorecatalog`). `sqlplus`
//!   `conn /@NAME` runs the statements of the `createcatalog` and `insertlog` entries of
//!   `restoretemplate.cfg` and `autorestorestatus` of `reporttemplate.cfg` against it;
//!   `sqlldr /@NAME` loads the `sqlldrlog` control file into it ([`crate::sqlldr`]).
//! * `rman`: an RMAN recovery catalog (`catalogconnect`): `rman ... catalog /@NAME` /
//!   `connect catalog /@NAME` connect to it; `register database`, `resync catalog`; the
//!   `isdbregisteredincatalog` query of `rmantemplate.cfg` reads `rc_database`.
//!
//! The schema is kept as JSON in `<simroot>/catalogs/<alias lower>.json` (a [`Catalog`]),
//! changed under the state lock.
//!
//! | statement (restore catalog) | what it does |
//! |---------|--------------|
//! | `create sequence restoreaction_seq` | ORA-00955 when it exists |
//! | `create table restoreaction (...)`, `create table restorelob (...)` | the template's tables (ORA-00955 when they exist) |
//! | `exec dbms_scheduler.create_job('LOG_RETENTION', ...)` | ORA-27477 when it exists |
//! | the `insertlog` block | inserts a `restoreaction` row (ORA-00001 on a duplicate (db, start, success)), moves the `restorelob` row of the log file into `logfilecontents`, prints `LOG MESSAGE ID: n` |
//! | `autorestorestatus` | the `OUTLOG:` JSON line from the rows, dates in the session's `nls_date_format` |
//! | `listrestores` | one `OUTLOG:` JSON line per row started since the given time, oldest first |
//! | `select user from dual`, the `isdbregisteredincatalog` queries | |
//!
//! Anything else is `ORA-00900: invalid SQL statement`; a statement on a table not created
//! yet fails with ORA-00942 (ORA-02289 for the sequence).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::matcher::{match_pattern, normalise};
use crate::sqlplus::Rows;
use crate::state::{State, StateError};
use crate::statements::{Context, Outcome, SqlError};

/// Directory of the catalog schemas inside the sim root.
pub const CATALOG_DIR: &str = "catalogs";

/// A row of `restoreaction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreAction {
    /// `id`.
    pub id: u64,
    /// `db_unique_name`.
    pub db_unique_name: String,
    /// `start_time`.
    pub start_time: NaiveDateTime,
    /// `finish_time`.
    pub finish_time: NaiveDateTime,
    /// `success` (0/1).
    pub success: u8,
    /// `logfile`.
    pub logfile: String,
    /// `logfilecontents`.
    pub logfilecontents: Option<String>,
    /// `verificationtimediffseconds`.
    pub verificationtimediffseconds: Option<f64>,
    /// `snapid`.
    pub snapid: String,
    /// `restore_target`.
    pub restore_target: Option<NaiveDateTime>,
    /// `validated_corruption` (0/1).
    pub validated_corruption: u8,
}

/// A row of `restorelob`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreLob {
    /// `logfile` (the primary key).
    pub logfile: String,
    /// `loglob`.
    pub loglob: String,
}

/// A database registered in an RMAN recovery catalog (`rc_database`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredDatabase {
    /// DBID.
    pub dbid: u32,
    /// Database name, upper case.
    pub name: String,
    /// Last full resync.
    pub resync_time: NaiveDateTime,
}

/// One catalog schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The TNS alias.
    pub alias: String,
    /// `restore` or `rman`.
    pub kind: String,
    /// The schema owner (upper case).
    pub user: String,
    /// `restoreaction_seq`: `None` before `create sequence`, else the last value handed
    /// out (0 = none yet).
    pub restoreaction_seq: Option<u64>,
    /// `restoreaction` rows; `None` before `create table`.
    pub restoreaction: Option<Vec<RestoreAction>>,
    /// `restorelob` rows; `None` before `create table`.
    pub restorelob: Option<Vec<RestoreLob>>,
    /// Scheduler jobs of the schema.
    pub jobs: Vec<String>,
    /// RMAN catalog: the registered databases.
    #[serde(default)]
    pub registered: Vec<RegisteredDatabase>,
}

fn file_of(root: &Path, alias: &str) -> PathBuf {
    root.join(CATALOG_DIR)
        .join(format!("{}.json", alias.to_ascii_lowercase()))
}

impl Catalog {
    /// A new, empty schema.
    pub fn new(alias: &str, kind: &str, user: &str) -> Catalog {
        Catalog {
            alias: alias.to_string(),
            kind: kind.to_string(),
            user: user.to_ascii_uppercase(),
            restoreaction_seq: None,
            restoreaction: None,
            restorelob: None,
            jobs: Vec::new(),
            registered: Vec::new(),
        }
    }

    /// The schema of `alias`, when `alias` names one (the part before a `.` domain counts).
    pub fn load(root: &Path, alias: &str) -> Option<Result<Catalog, StateError>> {
        let short = alias.split('.').next().unwrap_or(alias);
        let path = file_of(root, short);
        if !path.is_file() {
            return None;
        }
        Some(
            fs::read_to_string(&path)
                .map_err(|source| StateError::Io {
                    path: path.clone(),
                    source,
                })
                .and_then(|t| {
                    serde_json::from_str(&t).map_err(|source| StateError::Json {
                        path: path.clone(),
                        source,
                    })
                }),
        )
    }

    /// Writes the schema (temporary file and rename).
    pub fn save(&self, root: &Path) -> Result<(), StateError> {
        let path = file_of(root, &self.alias);
        let io_err = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err)?;
        }
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| io_err(std::io::Error::other(e.to_string())))?;
        fs::write(&tmp, text).map_err(io_err)?;
        fs::rename(&tmp, &path).map_err(io_err)
    }

    /// Whether this is an RMAN recovery catalog.
    pub fn is_rman(&self) -> bool {
        self.kind == "rman"
    }
}

/// `oracle-sim add-catalog`: the schema file and a tnsnames.ora entry (in `DIR/tns` and
/// `DIR/oracle_home/network/admin`).
pub fn add(
    base: &Path,
    root: &Path,
    alias: &str,
    kind: &str,
    user: &str,
) -> Result<String, String> {
    if alias.is_empty()
        || !alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!("invalid alias {alias:?}"));
    }
    if !matches!(kind, "restore" | "rman") {
        return Err(format!("--kind must be restore or rman, not {kind:?}"));
    }
    if !root.join(crate::state::STATE_FILE).is_file() {
        return Err(format!("{}: no simulated database here", root.display()));
    }
    if file_of(root, alias).exists() {
        return Err(format!("catalog {alias} exists already"));
    }
    let entry = format!(
        "\n{alias} =\n  (DESCRIPTION =\n    (ADDRESS = (PROTOCOL = TCP)(HOST = simhost)(PORT = 1521))\n    (CONNECT_DATA = (SERVER = DEDICATED)(SERVICE_NAME = {alias}))\n  )\n"
    );
    for tns in [
        base.join("tns").join("tnsnames.ora"),
        base.join("oracle_home")
            .join("network")
            .join("admin")
            .join("tnsnames.ora"),
    ] {
        if let Some(dir) = tns.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&tns)
            .map_err(|e| format!("{}: {e}", tns.display()))?;
        f.write_all(entry.as_bytes())
            .map_err(|e| format!("{}: {e}", tns.display()))?;
    }
    let user = if user.is_empty() { alias } else { user };
    Catalog::new(alias, kind, user)
        .save(root)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{kind} catalog {alias} (schema {}) added",
        user.to_ascii_uppercase()
    ))
}

const CREATE_RESTOREACTION: &str = "create table restoreaction (
    id number not null primary key,
    db_unique_name varchar2(100) not null,
    start_time date not null,
    finish_time date not null,
    success number(1) check (success in (0,1)),
    logfile varchar2(500),
    logfilecontents clob,
    verificationtimediffseconds number,
    snapid varchar2(200),
    restore_target date,
    validated_corruption number(1) check (validated_corruption in (0,1)),
    unique (db_unique_name, start_time, success)
  ) pctfree 0";
const CREATE_RESTORELOB: &str =
    "create table restorelob (logfile varchar2(200) primary key, loglob clob) organization index";
const LOG_RETENTION_JOB: &str = "dbms_scheduler.create_job('LOG_RETENTION','PLSQL_BLOCK', 'DELETE FROM restoreaction WHERE start_time < SYSDATE-100;',repeat_interval=>'FREQ=daily', enabled=>true)";
const INSERTLOG: &str = "declare
    v_dbname restoreaction.db_unique_name%type:= '{}';
    v_starttime restoreaction.start_time%type:= to_date('{}', 'yyyy-mm-dd hh24:mi:ss');
    v_stoptime restoreaction.finish_time%type:= to_date('{}', 'yyyy-mm-dd hh24:mi:ss');
    v_success restoreaction.success%type:= {};
    v_logfile restoreaction.logfile%type:= '{}';
    v_diff restoreaction.verificationtimediffseconds%type:= {};
    v_snap restoreaction.snapid%type:= '{}';
    v_target restoreaction.restore_target%type:= to_date('{}', 'yyyy-mm-dd hh24:mi:ss');
    v_validated restoreaction.validated_corruption%type:= {};
    p_log_id NUMBER;
  begin
    insert into restoreaction (id, db_unique_name, start_time, finish_time, success, logfile, verificationtimediffseconds, snapid, restore_target, validated_corruption)
      values (restoreaction_seq.nextval, v_dbname, v_starttime, v_stoptime, v_success, v_logfile, v_diff, v_snap, v_target, v_validated);
    p_log_id:= restoreaction_seq.currval;
    for rec in (select loglob from restorelob where logfile = v_logfile) loop
      update restoreaction set logfilecontents = rec.loglob where id = p_log_id;
    end loop;
    delete from restorelob where logfile = v_logfile;
    commit;
    dbms_output.put_line('LOG MESSAGE ID: '||to_char(p_log_id));
  end;";
const STATUS: &str = "SELECT 'OUTLOG: { \"avgrestoremin\": '||round(AVG(CASE WHEN success = 1 AND validated_corruption = 0 THEN finish_time - start_time END) * 24 * 60)||', \"last_success\": \"'||MAX(CASE WHEN success = 1 THEN start_time END)||
  '\",\"last_fail\": \"'||MAX(CASE WHEN success = 0 THEN start_time END)||'\",\"avgdiff\":'||round(AVG(CASE WHEN success = 1 THEN verificationtimediffseconds END))||',\"last_validated\": \"'||
  MAX(CASE WHEN success = 1 AND validated_corruption = 1 THEN start_time END)||'\"}'
  FROM restoreaction
  WHERE db_unique_name = '{}'";
const LISTRESTORES: &str = "SELECT 'OUTLOG: {\"id\": '||id||', \"db\": \"'||db_unique_name||'\", \"start\": \"'||start_time||'\", \"finish\": \"'||finish_time||'\", \"success\": '||success||', \"diff\": '||NVL(verificationtimediffseconds, -1)||', \"validated\": '||validated_corruption||', \"snapid\": \"'||snapid||'\", \"target\": \"'||restore_target||'\", \"logfile\": \"'||logfile||'\"}'
    FROM restoreaction
    WHERE start_time >= to_date('{}', 'yyyy-mm-dd hh24:mi:ss')
    ORDER BY start_time, id";
const SESSION_INFO: &str = "select user, sys_context('USERENV','DB_UNIQUE_NAME'), sys_context('USERENV','SERVER_HOST'), sys_context('USERENV','INSTANCE_NAME') from dual";
const REGISTERED: &str = "select 'DATABASE IS REGISTERED IN RC' from rc_database where dbid = {}";

fn exists() -> SqlError {
    SqlError::new(&["ORA-00955: name is already used by an existing object"])
}

fn no_table() -> SqlError {
    SqlError::new(&["ORA-00942: table or view does not exist"])
}

/// Runs `text` (a SQL statement or PL/SQL block) against the catalog schema `cat`.
pub fn execute(
    cat: &mut Catalog,
    state: &State,
    ctx: &Context<'_>,
    text: &str,
) -> Result<Outcome, SqlError> {
    let lower = normalise(text).to_ascii_lowercase();
    if lower == "create sequence restoreaction_seq" {
        if cat.restoreaction_seq.is_some() {
            return Err(exists());
        }
        cat.restoreaction_seq = Some(0);
        return Ok(Outcome::Message("Sequence created.".into()));
    }
    if match_pattern(CREATE_RESTOREACTION, text).is_some() {
        if cat.restoreaction.is_some() {
            return Err(exists());
        }
        cat.restoreaction = Some(Vec::new());
        return Ok(Outcome::Message("Table created.".into()));
    }
    if match_pattern(CREATE_RESTORELOB, text).is_some() {
        if cat.restorelob.is_some() {
            return Err(exists());
        }
        cat.restorelob = Some(Vec::new());
        return Ok(Outcome::Message("Table created.".into()));
    }
    if let Some(c) = match_pattern(INSERTLOG, text) {
        return insertlog(cat, &c);
    }
    if let Some(c) = match_pattern(LISTRESTORES, text) {
        return list_restores(cat, ctx, c.first().map_or("", String::as_str));
    }
    if let Some(c) = match_pattern(STATUS, text) {
        return status(cat, ctx, c.first().map_or("", String::as_str));
    }
    if lower == "select user from dual" {
        return Ok(Outcome::Rows(Rows {
            columns: vec![("USER".into(), 30)],
            rows: vec![vec![cat.user.clone()]],
            numeric: Vec::new(),
        }));
    }
    if match_pattern(SESSION_INFO, text).is_some() {
        return Ok(Outcome::Rows(Rows {
            columns: vec![
                ("USER".into(), 30),
                ("SYS_CONTEXT('USERENV','DB_UNIQUE_NAME')".into(), 30),
                ("SYS_CONTEXT('USERENV','SERVER_HOST')".into(), 30),
                ("SYS_CONTEXT('USERENV','INSTANCE_NAME')".into(), 30),
            ],
            rows: vec![vec![
                cat.user.clone(),
                cat.alias.to_ascii_lowercase(),
                state.host_name.clone(),
                cat.alias.to_ascii_lowercase(),
            ]],
            numeric: Vec::new(),
        }));
    }
    if let Some(c) = match_pattern(REGISTERED, text) {
        if !cat.is_rman() {
            return Err(no_table());
        }
        let dbid: u64 = c
            .first()
            .and_then(|d| d.trim().parse().ok())
            .ok_or_else(|| SqlError::new(&["ORA-00904: invalid identifier"]))?;
        let rows = cat
            .registered
            .iter()
            .filter(|r| u64::from(r.dbid) == dbid)
            .map(|_| vec!["DATABASE IS REGISTERED IN RC".to_string()])
            .collect();
        return Ok(Outcome::Rows(Rows {
            columns: vec![("'DATABASEISREGISTEREDINRC'".into(), 28)],
            rows,
            numeric: Vec::new(),
        }));
    }
    let shown: String = normalise(text).chars().take(200).collect();
    eprintln!(
        "oracle-sim: statement not supported by the simulator on catalog {}: {shown}",
        cat.alias
    );
    Err(SqlError::new(&["ORA-00900: invalid SQL statement"]))
}

/// `exec <call>` against the catalog.
pub fn exec_call(cat: &mut Catalog, call: &str) -> Result<Outcome, SqlError> {
    let call_n = call.trim().trim_end_matches(';').trim();
    if match_pattern(LOG_RETENTION_JOB, call_n).is_some() {
        if cat.jobs.iter().any(|j| j == "LOG_RETENTION") {
            return Err(SqlError {
                lines: vec![
                    format!(
                        "ORA-27477: \"{}\".\"LOG_RETENTION\" already exists",
                        cat.user
                    ),
                    "ORA-06512: at \"SYS.DBMS_ISCHED\", line 175".into(),
                    "ORA-06512: at \"SYS.DBMS_SCHEDULER\", line 286".into(),
                    "ORA-06512: at line 1".into(),
                ],
            });
        }
        cat.jobs.push("LOG_RETENTION".into());
        return Ok(Outcome::PlSql(Vec::new()));
    }
    let shown: String = call_n.chars().take(200).collect();
    eprintln!("oracle-sim: exec call not supported by the simulator: {shown}");
    Err(SqlError::new(&[
        "ORA-06550: line 1, column 7:",
        "PLS-00201: identifier must be declared (call not supported by oracle-sim)",
        "ORA-06550: line 1, column 7:",
        "PL/SQL: Statement ignored",
    ]))
}

/// A PL/SQL numeric literal (or `null`).
fn number(v: &str, line: u32) -> Result<Option<f64>, SqlError> {
    let t = v.trim();
    if t.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| SqlError {
        lines: vec![
            format!("ORA-06550: line {line}, column 60:"),
            format!(
                "PLS-00201: identifier '{}' must be declared",
                t.to_ascii_uppercase()
            ),
            format!("ORA-06550: line {line}, column 5:"),
            "PL/SQL: Item ignored".into(),
        ],
    })
}

fn flag(v: Option<f64>, column: &str, user: &str) -> Result<u8, SqlError> {
    match v.filter(|x| *x == 0.0 || *x == 1.0) {
        Some(x) => Ok(u8::from(x == 1.0)),
        None => Err(SqlError {
            lines: vec![
                format!(
                    "ORA-02290: check constraint ({user}.SYS_C00{}) violated",
                    column.len() + 11000
                ),
                "ORA-06512: at line 13".into(),
            ],
        }),
    }
}

fn in_block(msg: String, line: u32) -> SqlError {
    SqlError {
        lines: vec![msg, format!("ORA-06512: at line {line}")],
    }
}

fn insertlog(cat: &mut Catalog, c: &[String]) -> Result<Outcome, SqlError> {
    let get = |i: usize| c.get(i).map_or("", String::as_str);
    let (Some(seq), Some(rows)) = (cat.restoreaction_seq, cat.restoreaction.as_ref()) else {
        return Err(SqlError::new(&[
            "ORA-06550: line 2, column 14:",
            "PLS-00201: identifier 'RESTOREACTION.DB_UNIQUE_NAME' must be declared",
            "ORA-06550: line 2, column 14:",
            "PL/SQL: Item ignored",
        ]));
    };
    let Some(lobs) = cat.restorelob.as_ref() else {
        return Err(SqlError::new(&[
            "ORA-06550: line 17, column 33:",
            "PL/SQL: ORA-00942: table or view does not exist",
            "ORA-06550: line 17, column 5:",
            "PL/SQL: SQL Statement ignored",
        ]));
    };
    let date = |v: &str, line: u32| {
        crate::nls::parse(v, "yyyy-mm-dd hh24:mi:ss").map_err(|e| in_block(e, line))
    };
    let start = date(get(1), 3)?;
    let stop = date(get(2), 4)?;
    let success = number(get(3), 5)?;
    let logfile = get(4).to_string();
    let diff = number(get(5), 7)?;
    let snapid = get(6).to_string();
    let target = if get(7).trim().is_empty() {
        None
    } else {
        Some(date(get(7), 9)?)
    };
    let validated = number(get(8), 10)?;
    let dbname = get(0).to_string();
    if dbname.is_empty() {
        return Err(in_block(
            format!(
                "ORA-01400: cannot insert NULL into (\"{}\".\"RESTOREACTION\".\"DB_UNIQUE_NAME\")",
                cat.user
            ),
            13,
        ));
    }
    if dbname.len() > 100 || logfile.len() > 500 || snapid.len() > 200 {
        return Err(in_block(
            "ORA-06502: PL/SQL: numeric or value error: character string buffer too small".into(),
            1,
        ));
    }
    let success = flag(success, "success", &cat.user)?;
    let validated = flag(validated, "validated_corruption", &cat.user)?;
    if rows
        .iter()
        .any(|r| r.db_unique_name == dbname && r.start_time == start && r.success == success)
    {
        return Err(in_block(
            format!(
                "ORA-00001: unique constraint ({}.SYS_C0011001) violated",
                cat.user
            ),
            13,
        ));
    }
    let id = seq + 1;
    let contents = lobs
        .iter()
        .find(|l| l.logfile == logfile)
        .map(|l| l.loglob.clone());
    cat.restoreaction_seq = Some(id);
    if let Some(rows) = cat.restoreaction.as_mut() {
        rows.push(RestoreAction {
            id,
            db_unique_name: dbname,
            start_time: start,
            finish_time: stop,
            success,
            logfile: logfile.clone(),
            logfilecontents: contents,
            verificationtimediffseconds: diff,
            snapid,
            restore_target: target,
            validated_corruption: validated,
        });
    }
    if let Some(lobs) = cat.restorelob.as_mut() {
        lobs.retain(|l| l.logfile != logfile);
    }
    Ok(Outcome::PlSql(vec![format!("LOG MESSAGE ID: {id}")]))
}

/// Oracle's `round` of a number, printed as `to_char` would (an integer here).
fn round(v: Option<f64>) -> String {
    v.map(|x| {
        let r = x.abs().round() * x.signum();
        format!("{}", r as i64)
    })
    .unwrap_or_default()
}

fn avg(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// A number as Oracle prints it: no trailing `.0`.
fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The `listrestores` query: one OUTLOG row per test started at or after `since`, oldest
/// first; dates in the session's `nls_date_format`.
fn list_restores(cat: &Catalog, ctx: &Context<'_>, since: &str) -> Result<Outcome, SqlError> {
    let rows = cat.restoreaction.as_ref().ok_or_else(no_table)?;
    let since =
        crate::nls::parse(since, "yyyy-mm-dd hh24:mi:ss").map_err(|e| SqlError::new(&[&e]))?;
    let fmt = |t: NaiveDateTime| crate::nls::format(t, &ctx.nls.date_format);
    let mut mine: Vec<&RestoreAction> = rows.iter().filter(|r| r.start_time >= since).collect();
    mine.sort_by_key(|r| (r.start_time, r.id));
    let lines: Vec<Vec<String>> = mine
        .iter()
        .map(|r| {
            vec![format!(
                "OUTLOG: {{\"id\": {}, \"db\": \"{}\", \"start\": \"{}\", \"finish\": \"{}\", \"success\": {}, \"diff\": {}, \"validated\": {}, \"snapid\": \"{}\", \"target\": \"{}\", \"logfile\": \"{}\"}}",
                r.id,
                r.db_unique_name,
                fmt(r.start_time),
                fmt(r.finish_time),
                r.success,
                number_text(r.verificationtimediffseconds.unwrap_or(-1.0)),
                r.validated_corruption,
                r.snapid,
                r.restore_target.map(fmt).unwrap_or_default(),
                r.logfile
            )]
        })
        .collect();
    let width = lines.iter().map(|l| l[0].len()).max().unwrap_or(0).max(80);
    Ok(Outcome::Rows(Rows {
        columns: vec![(
            "'OUTLOG:{\"ID\":'||ID||',\"DB\":\"'||DB_UNIQUE_NAME||'\",\"START\":\"'||START_TIME"
                .into(),
            width,
        )],
        rows: lines,
        numeric: Vec::new(),
    }))
}

fn status(cat: &Catalog, ctx: &Context<'_>, db: &str) -> Result<Outcome, SqlError> {
    let rows = cat.restoreaction.as_ref().ok_or_else(no_table)?;
    let mine: Vec<&RestoreAction> = rows.iter().filter(|r| r.db_unique_name == db).collect();
    let fmt = |t: Option<NaiveDateTime>| {
        t.map(|t| crate::nls::format(t, &ctx.nls.date_format))
            .unwrap_or_default()
    };
    let avgmin = avg(mine
        .iter()
        .filter(|r| r.success == 1 && r.validated_corruption == 0)
        .map(|r| (r.finish_time - r.start_time).num_seconds() as f64 / 60.0));
    let avgdiff = avg(mine
        .iter()
        .filter(|r| r.success == 1)
        .filter_map(|r| r.verificationtimediffseconds));
    let last = |f: &dyn Fn(&RestoreAction) -> bool| {
        mine.iter().filter(|r| f(r)).map(|r| r.start_time).max()
    };
    let line = format!(
        "OUTLOG: {{ \"avgrestoremin\": {}, \"last_success\": \"{}\",\"last_fail\": \"{}\",\"avgdiff\":{},\"last_validated\": \"{}\"}}",
        round(avgmin),
        fmt(last(&|r| r.success == 1)),
        fmt(last(&|r| r.success == 0)),
        round(avgdiff),
        fmt(last(&|r| r.success == 1 && r.validated_corruption == 1)),
    );
    Ok(Outcome::Rows(Rows {
        columns: vec![("'OUTLOG:{\"AVGRESTOREMIN\":'||ROUND(AVG(CASEWHENSUCCESS=1ANDVALIDATED_CORRUPTION=0THENFINISH_TIME-START_TIME".into(), line.len().max(80))],
        rows: vec![vec![line]],
        numeric: Vec::new(),
    }))
}

//! The SQL statements and PL/SQL blocks the simulator knows: those of our templates
//! (`crates/rman/templates/rmantemplate.cfg`) on the backup path, plus a few direct
//! statements (`alter system set log_archive_dest_N`, block change tracking).
//!
//! Statements are recognised by normalised text ([`crate::matcher`]); anything else is
//! `ORA-00900: invalid SQL statement`.

use std::path::PathBuf;

use crate::db;
use crate::fault;
use crate::files;
use crate::matcher::match_pattern;
use crate::sqlplus::Rows;
use crate::state::{ArchiveDest, State};

/// What a statement produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Query rows.
    Rows(Rows),
    /// A feedback message (`System altered.`).
    Message(String),
    /// A PL/SQL block ran; its `dbms_output` lines.
    PlSql(Vec<String>),
    /// Text SQL*Plus always prints (`startup`, `shutdown`).
    Text(String),
}

/// An Oracle error stack (`ORA-xxxxx: ...` lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// The lines, first the top error.
    pub lines: Vec<String>,
}

impl SqlError {
    /// An error of these lines.
    pub fn new(lines: &[&str]) -> SqlError {
        SqlError {
            lines: lines.iter().map(|l| (*l).to_string()).collect(),
        }
    }
}

/// The session's NLS settings (`alter session set nls_...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nls {
    /// `nls_date_format`.
    pub date_format: String,
    /// `nls_timestamp_format`.
    pub timestamp_format: String,
    /// `nls_timestamp_tz_format`.
    pub timestamp_tz_format: String,
}

impl Default for Nls {
    fn default() -> Nls {
        Nls {
            date_format: crate::nls::DEFAULT_DATE_FORMAT.to_string(),
            timestamp_format: crate::nls::DEFAULT_TIMESTAMP_FORMAT.to_string(),
            timestamp_tz_format: crate::nls::DEFAULT_TIMESTAMP_TZ_FORMAT.to_string(),
        }
    }
}

/// Who runs the statement.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Connected user (upper case).
    pub user: &'a str,
    /// The session's NLS settings.
    pub nls: &'a Nls,
}

const INSTANCE: &str =
    "select instance_name, host_name, version, status, database_status from v$instance";
const USER: &str = "select user from dual";
const MARKERS: &str = "select 'CURRENT DATABASE TIME: '||to_char(sysdate, 'yyyy-mm-dd hh24:mi:ss') from dual union all
  select 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database union all
  select 'BCT FILE: '||filename from v$block_change_tracking";
const CURRENT_SCN: &str = "select current_scn from v$database";
const ARCHIVE_CURRENT: &str = "alter system archive log current";
const SWITCH_LOGFILE: &str = "alter system switch logfile";
const MISSING: &str = "select q'[BACKUP force as copy archivelog sequence ]'||sequence#||' thread '||thread#||';' from (
    select thread#,sequence# from v$archived_log l join v$archive_dest d on l.dest_id=d.dest_id join v$archive_dest_status s on d.dest_id=s.dest_id where l.archived='YES' and l.deleted='NO' and l.status = 'A' AND upper(d.destination)='USE_DB_RECOVERY_FILE_DEST' and d.status='VALID' and s.type='LOCAL'
    minus
    select thread#,sequence# from v$archived_log l where l.archived='YES' and l.deleted='NO' and l.status = 'A' AND l.name like '{}%'
    order by 1,2
  )";
const DELETECOPY: &str = "select 'DELETECOPY: delete noprompt datafilecopy '''||name||''';' cmd
    from v$datafile_copy where deleted='NO' and tag='IMAGE_COPY_BACKUP' and (file#,CREATION_CHANGE#) not in (select file#,CREATION_CHANGE# from v$datafile)";
const PARAMETERS: &str = "select 'dbconfig-'||name||': '||value from v$parameter where name in ('db_name','undo_tablespace','compatible','db_block_size','db_files','enable_pluggable_database')
  union all
  select 'dbconfig-backup-finished: '||to_char(sysdate, 'yyyy-mm-dd hh24:mi:ss') from dual";
const CDBDETECT: &str = "declare
    p_cnt NUMBER;
    p_value varchar2(20);
  begin
    select 1 into p_cnt from dual where sys_context('USERENV','CDB_NAME') is not null and SYS_CONTEXT('USERENV','CON_NAME') = 'CDB$ROOT';
    select nvl(max(value), 'C##') into p_value from v$parameter where name = 'common_user_prefix';
    dbms_output.put_line('CDB-DETECT: '||p_value);
  exception
    when others then
      dbms_output.put_line('CDB-DETECT: NO');
  end;";
const CONFIG_BCT: &str = "declare
    i number;
    j number;
  begin
    select count(*) into i from V$BLOCK_CHANGE_TRACKING where status='DISABLED';
    select count(*) into j from v$version where banner like '%Enterprise Edition%';
    if (i = 1) and (j > 0) then
      execute immediate 'alter database enable block change tracking';
    else
      dbms_output.put_line('BCT already enabled or database is not EE');
    end if;
  end;";
const CONFIG_ARCHDEST: &str = "declare
    cnt number;
    s varchar2(60);
    l varchar2(100):= '{}/';
    function min_param return varchar2 is
      v varchar2(50);
    begin
      select min(name) into v from v$parameter where name like 'log\\_archive\\_dest\\__'  escape '\\' and value is null;
      return v;
    end;
  begin
    select count(*) into cnt from v$parameter where name like 'log\\_archive\\_dest\\__'  escape '\\' and upper(value) like 'LOCATION%=%USE_DB_RECOVERY_FILE_DEST%';
    if cnt=0 then
      s:= min_param;
      dbms_output.put_line('Setting '||s||' to USE_DB_RECOVERY_FILE_DEST');
      execute immediate 'alter system set '||s||q'[='LOCATION=USE_DB_RECOVERY_FILE_DEST MANDATORY' scope=both]';
      execute immediate 'alter system set '||replace(s, 'log_archive_dest_', 'log_archive_dest_state_')||'=enable scope=both';
    end if;
    select count(*) into cnt from v$parameter where name like 'log\\_archive\\_dest\\__'  escape '\\' and value like '%'||l||'%';
    if cnt=0 then
      s:= min_param;
      dbms_output.put_line('Setting '||s||' to '||l);
      l:= q'['LOCATION=]'||l||q'[ VALID_FOR=(ONLINE_LOGFILE,PRIMARY_ROLE)']';
      execute immediate 'alter system set '||s||'='||l||' scope=both';
      execute immediate 'alter system set '||replace(s, 'log_archive_dest_', 'log_archive_dest_state_')||'=enable scope=both';
    end if;
  end;";

fn ora_unavailable() -> SqlError {
    SqlError::new(&[
        "ORA-01034: ORACLE not available",
        "ORA-27101: shared memory realm does not exist",
    ])
}

fn fail_if(step: &str, err: impl FnOnce() -> SqlError) -> Result<(), SqlError> {
    if fault::active("sqlplus", step) {
        Err(err())
    } else {
        Ok(())
    }
}

fn interrupted() -> SqlError {
    SqlError::new(&[
        "ORA-00604: error occurred at recursive SQL level 1",
        "ORA-01013: user requested cancel of current operation",
    ])
}

fn single_column(heading: &str, width: usize, values: Vec<String>) -> Rows {
    let width = values
        .iter()
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(width);
    Rows {
        columns: vec![(heading.to_string(), width)],
        rows: values.into_iter().map(|v| vec![v]).collect(),
        numeric: Vec::new(),
    }
}

fn invalid(text: &str) -> SqlError {
    let shown: String = crate::matcher::normalise(text).chars().take(200).collect();
    eprintln!("oracle-sim: statement not supported by the simulator: {shown}");
    SqlError::new(&["ORA-00900: invalid SQL statement"])
}

/// Runs SQL statement or PL/SQL block `text` (without the terminating `;` or `/`).
pub fn execute(state: &mut State, ctx: &Context<'_>, text: &str) -> Result<Outcome, SqlError> {
    let is = |p: &str| match_pattern(p, text).is_some();
    if let Some(r) = crate::instance::execute(state, ctx, text) {
        return r;
    }
    if is(INSTANCE) {
        fail_if("instance", ora_unavailable)?;
        return Ok(Outcome::Rows(Rows {
            columns: vec![
                ("INSTANCE_NAME".into(), 16),
                ("HOST_NAME".into(), 24),
                ("VERSION".into(), 10),
                ("STATUS".into(), 12),
                ("DATABASE_STATUS".into(), 17),
            ],
            rows: vec![vec![
                state.db_name.clone(),
                state.host_name.clone(),
                crate::sqlplus::VERSION.into(),
                "OPEN".into(),
                "ACTIVE".into(),
            ]],
            numeric: Vec::new(),
        }));
    }
    if is(USER) {
        return Ok(Outcome::Rows(single_column(
            "USER",
            30,
            vec![ctx.user.to_string()],
        )));
    }
    if is(MARKERS) {
        fail_if("markers", ora_unavailable)?;
        let now = state.now().format(crate::state::TIME_FORMAT);
        let bct = state
            .bct_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        return Ok(Outcome::Rows(single_column(
            "'CURRENTDATABASETIME:'||TO_CHAR(SYSDATE,'YYYY-MM-DDHH24:MI:SS')",
            64,
            vec![
                format!("CURRENT DATABASE TIME: {now}"),
                format!("CURRENT DATABASE SCN: {}", state.current_scn),
                format!("BCT FILE: {bct}"),
            ],
        )));
    }
    if is(CURRENT_SCN) {
        return Ok(Outcome::Rows(Rows {
            columns: vec![("CURRENT_SCN".into(), 11)],
            rows: vec![vec![state.current_scn.to_string()]],
            numeric: vec![0],
        }));
    }
    if is(ARCHIVE_CURRENT) || is(SWITCH_LOGFILE) {
        return archive_current(state);
    }
    if let Some(caps) = match_pattern(MISSING, text) {
        fail_if("missingarchivelog", interrupted)?;
        let archdir = caps.into_iter().next().unwrap_or_default();
        return Ok(Outcome::Rows(single_column(
            "Q'[BACKUPFORCEASCOPYARCHIVELOGSEQUENCE]'||SEQUENCE#||'THREAD'||THREAD#||';'",
            80,
            missing_archivelogs(state, &archdir),
        )));
    }
    if is(DELETECOPY) {
        fail_if("deletecopy", interrupted)?;
        let rows = state
            .datafile_copies
            .iter()
            .filter(|c| !c.deleted && c.tag.eq_ignore_ascii_case("IMAGE_COPY_BACKUP"))
            .filter(|c| {
                !state
                    .datafiles
                    .iter()
                    .any(|d| d.file_number == c.file_number && d.creation_scn == c.creation_scn)
            })
            .map(|c| {
                format!(
                    "DELETECOPY: delete noprompt datafilecopy '{}';",
                    c.path.display()
                )
            })
            .collect();
        return Ok(Outcome::Rows(single_column("CMD", 80, rows)));
    }
    if is(PARAMETERS) {
        fail_if("parameters", ora_unavailable)?;
        let mut rows = Vec::new();
        for name in [
            "db_block_size",
            "compatible",
            "db_files",
            "undo_tablespace",
            "db_name",
            "enable_pluggable_database",
        ] {
            rows.push(format!(
                "dbconfig-{name}: {}",
                state.parameter(name).unwrap_or_default()
            ));
        }
        rows.push(format!(
            "dbconfig-backup-finished: {}",
            state.now().format(crate::state::TIME_FORMAT)
        ));
        return Ok(Outcome::Rows(single_column(
            "'DBCONFIG-'||NAME||':'||VALUE",
            80,
            rows,
        )));
    }
    if is(CDBDETECT) {
        fail_if("cdbdetect", || {
            SqlError::new(&[
                "ORA-06550: line 6, column 40:",
                "PL/SQL: ORA-00942: table or view does not exist",
                "ORA-06550: line 6, column 5:",
                "PL/SQL: SQL Statement ignored",
            ])
        })?;
        let line = if state.cdb {
            format!("CDB-DETECT: {}", state.common_user_prefix)
        } else {
            "CDB-DETECT: NO".to_string()
        };
        return Ok(Outcome::PlSql(vec![line]));
    }
    if is(CONFIG_BCT) {
        fail_if("config", param_invalid)?;
        if state.bct_file.is_none() {
            enable_bct(state, None)?;
            return Ok(Outcome::PlSql(Vec::new()));
        }
        return Ok(Outcome::PlSql(vec![
            "BCT already enabled or database is not EE".to_string(),
        ]));
    }
    if let Some(caps) = match_pattern(CONFIG_ARCHDEST, text) {
        fail_if("config", param_invalid)?;
        let dir = caps.into_iter().next().unwrap_or_default();
        return config_archdest(state, &format!("{dir}/"));
    }
    if let Some(caps) = match_pattern("alter system set {}", text) {
        let arg = caps.into_iter().next().unwrap_or_default();
        return alter_system_set(state, &arg);
    }
    if let Some(caps) = match_pattern(
        "alter database enable block change tracking using file '{}'",
        text,
    )
    .or_else(|| {
        match_pattern(
            "alter database enable block change tracking using file '{}' reuse",
            text,
        )
    }) {
        return enable_bct(state, caps.into_iter().next().map(PathBuf::from))
            .map(|()| Outcome::Message("Database altered.".into()));
    }
    if is("alter database enable block change tracking") {
        return enable_bct(state, None).map(|()| Outcome::Message("Database altered.".into()));
    }
    if is("alter database disable block change tracking") {
        if let Some(p) = state.bct_file.take() {
            let _ = std::fs::remove_file(p);
        }
        return Ok(Outcome::Message("Database altered.".into()));
    }
    if is("select ts#, encryptionalg, encryptedts, status from v$encrypted_tablespaces")
        || is("select * from v$encrypted_tablespaces")
    {
        return Ok(Outcome::Rows(encrypted_tablespaces(state)));
    }
    if is("select tablespace_name, encrypted from dba_tablespaces") {
        let names = tablespaces(state);
        let rows = names
            .into_iter()
            .map(|t| {
                let e = if state.encrypted_tablespaces.contains(&t) {
                    "YES"
                } else {
                    "NO"
                };
                vec![t, e.to_string()]
            })
            .collect();
        return Ok(Outcome::Rows(Rows {
            columns: vec![("TABLESPACE_NAME".into(), 30), ("ENC".into(), 3)],
            rows,
            numeric: Vec::new(),
        }));
    }
    if is(crate::scheduler::JOBSTATUS) {
        fail_if("jobstatus", ora_unavailable)?;
        return Ok(Outcome::Rows(single_column(
            "'OUTLOG:{\"TYPE\":\"JOB\",\"JOB_NAME\":\"'||JOB_NAME||'\",\"STATE\":\"'||STATE",
            80,
            crate::scheduler::job_status(state, &ctx.nls.timestamp_tz_format),
        )));
    }
    if let Some(r) = crate::scheduler::execute(state, text) {
        return r;
    }
    Err(invalid(text))
}

/// The tablespaces, in the order of their first datafile.
fn tablespaces(state: &State) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for d in &state.datafiles {
        if !names.contains(&d.tablespace) {
            names.push(d.tablespace.clone());
        }
    }
    names
}

/// `v$encrypted_tablespaces` (TS#, ENCRYPTIONALG, ENCRYPTEDTS, STATUS; 12.1 has more
/// columns, these are the ones shown).
fn encrypted_tablespaces(state: &State) -> Rows {
    let names = tablespaces(state);
    let rows = names
        .iter()
        .enumerate()
        .filter(|(_, t)| state.encrypted_tablespaces.contains(t))
        .map(|(i, _)| {
            vec![
                i.to_string(),
                "AES128".to_string(),
                "YES".to_string(),
                "NORMAL".to_string(),
            ]
        })
        .collect();
    Rows {
        columns: vec![
            ("TS#".into(), 10),
            ("ENCRYPT".into(), 7),
            ("ENC".into(), 3),
            ("STATUS".into(), 10),
        ],
        rows,
        numeric: vec![0],
    }
}

/// `exec <call>`.
pub fn exec_call(state: &mut State, _ctx: &Context<'_>, call: &str) -> Result<Outcome, SqlError> {
    let call_n = call.trim().trim_end_matches(';').trim();
    if let Some(caps) = match_pattern("dbms_lock.sleep({})", call_n)
        .or_else(|| match_pattern("dbms_session.sleep({})", call_n))
    {
        let secs: f64 = caps
            .first()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                SqlError::new(&[
                    "ORA-06550: line 1, column 7:",
                    "PLS-00306: wrong number or types of arguments in call to 'SLEEP'",
                    "ORA-06550: line 1, column 7:",
                    "PL/SQL: Statement ignored",
                ])
            })?;
        std::thread::sleep(std::time::Duration::from_secs_f64(secs.clamp(0.0, 5.0)));
        return Ok(Outcome::PlSql(Vec::new()));
    }
    let _ = state;
    let shown: String = call_n.chars().take(200).collect();
    eprintln!("oracle-sim: exec call not supported by the simulator: {shown}");
    Err(SqlError::new(&[
        "ORA-06550: line 1, column 7:",
        "PLS-00201: identifier must be declared (call not supported by oracle-sim)",
        "ORA-06550: line 1, column 7:",
        "PL/SQL: Statement ignored",
    ]))
}

fn param_invalid() -> SqlError {
    SqlError::new(&[
        "ORA-02097: parameter cannot be modified because specified value is invalid",
        "ORA-16032: parameter LOG_ARCHIVE_DEST_2 destination string cannot be translated",
    ])
}

fn archive_current(state: &mut State) -> Result<Outcome, SqlError> {
    let seq = state.current_sequence;
    let fail = |path: String| SqlError {
        lines: vec![
            format!("ORA-16038: log 1 sequence# {seq} cannot be archived"),
            format!("ORA-19504: failed to create file \"{path}\""),
            "ORA-27040: file create error, unable to create file".to_string(),
            "Linux-x86_64 Error: 13: Permission denied".to_string(),
        ],
    };
    if fault::active("sqlplus", "archivelog") {
        return Err(fail(String::new()));
    }
    match db::switch_logfile(state) {
        Ok(_) => Ok(Outcome::Message("System altered.".into())),
        Err(e) => {
            eprintln!("oracle-sim: {e}");
            Err(fail(e.to_string()))
        }
    }
}

/// Logs with a live copy in a recovery-area destination and none whose name starts with
/// `archdir`, as RMAN commands.
fn missing_archivelogs(state: &State, archdir: &str) -> Vec<String> {
    let fra_dests: Vec<u32> = state
        .archive_dests
        .iter()
        .filter(|d| d.enabled && d.is_recovery_area())
        .map(|d| d.dest_id)
        .collect();
    let mut out: Vec<(u32, u64)> = state
        .archived_logs
        .iter()
        .filter(|l| {
            l.copies
                .iter()
                .any(|c| !c.deleted && fra_dests.contains(&c.dest_id))
        })
        .filter(|l| {
            !l.copies
                .iter()
                .any(|c| !c.deleted && c.path.to_string_lossy().starts_with(archdir))
        })
        .map(|l| (l.thread, l.sequence))
        .collect();
    out.sort_unstable();
    out.dedup();
    out.into_iter()
        .map(|(t, s)| format!("BACKUP force as copy archivelog sequence {s} thread {t};"))
        .collect()
}

fn enable_bct(state: &mut State, file: Option<PathBuf>) -> Result<(), SqlError> {
    if fault::active("sqlplus", "bct") {
        return Err(SqlError::new(&[
            "ORA-19751: could not create the change tracking file",
            "ORA-19750: change tracking file: ''",
            "ORA-27040: file create error, unable to create file",
        ]));
    }
    if state.bct_file.is_some() {
        return Err(SqlError::new(&[
            "ORA-19759: block change tracking is already enabled",
        ]));
    }
    let path = match file {
        Some(p) => p,
        None => {
            let n = state.next_name();
            state
                .create_file_dest
                .join(state.db_name_upper())
                .join("changetracking")
                .join(format!("o1_mf_{}_.chg", db::omf_tag(n, state.dbid)))
        }
    };
    files::write_bct_file(&path, state).map_err(|e| SqlError {
        lines: vec![
            "ORA-19751: could not create the change tracking file".into(),
            format!("ORA-19750: change tracking file: '{}'", path.display()),
            format!("ORA-27040: file create error, unable to create file ({e})"),
        ],
    })?;
    state.bct_file = Some(path);
    Ok(())
}

/// The `config` block setting the archivelog destinations (`l` is `<archdir>/`).
fn config_archdest(state: &mut State, l: &str) -> Result<Outcome, SqlError> {
    let mut out = Vec::new();
    let min_param = |state: &State| -> Option<u32> {
        (1..=9).find(|n| {
            state
                .parameter(&format!("log_archive_dest_{n}"))
                .unwrap_or_default()
                .is_empty()
        })
    };
    let has_fra = (1..=9).any(|n| {
        let v = state
            .parameter(&format!("log_archive_dest_{n}"))
            .unwrap_or_default()
            .to_ascii_uppercase();
        v.starts_with("LOCATION") && v.contains('=') && v.contains("USE_DB_RECOVERY_FILE_DEST")
    });
    if !has_fra {
        let n = min_param(state)
            .ok_or_else(|| SqlError::new(&["ORA-06550: no free log_archive_dest_N"]))?;
        out.push(format!(
            "Setting log_archive_dest_{n} to USE_DB_RECOVERY_FILE_DEST"
        ));
        set_dest(state, n, "LOCATION=USE_DB_RECOVERY_FILE_DEST MANDATORY")?;
    }
    let has_l = (1..=9).any(|n| {
        state
            .parameter(&format!("log_archive_dest_{n}"))
            .unwrap_or_default()
            .contains(l)
    });
    if !has_l {
        let n = min_param(state)
            .ok_or_else(|| SqlError::new(&["ORA-06550: no free log_archive_dest_N"]))?;
        out.push(format!("Setting log_archive_dest_{n} to {l}"));
        set_dest(
            state,
            n,
            &format!("LOCATION={l} VALID_FOR=(ONLINE_LOGFILE,PRIMARY_ROLE)"),
        )?;
    }
    Ok(Outcome::PlSql(out))
}

fn set_dest(state: &mut State, n: u32, value: &str) -> Result<(), SqlError> {
    let dest = ArchiveDest {
        dest_id: n,
        value: value.to_string(),
        enabled: true,
    };
    if let Some(loc) = dest.location() {
        if !dest.is_recovery_area() && !std::path::Path::new(&loc).is_dir() {
            return Err(SqlError {
                lines: vec![
                    "ORA-02097: parameter cannot be modified because specified value is invalid".into(),
                    format!("ORA-16032: parameter LOG_ARCHIVE_DEST_{n} destination string cannot be translated"),
                    "ORA-07286: sksagdi: cannot obtain device information.".into(),
                    "Linux-x86_64 Error: 2: No such file or directory".into(),
                ],
            });
        }
    }
    let enabled = state
        .archive_dests
        .iter()
        .find(|d| d.dest_id == n)
        .map_or(true, |d| d.enabled);
    state.archive_dests.retain(|d| d.dest_id != n);
    if !value.trim().is_empty() {
        state.archive_dests.push(ArchiveDest { enabled, ..dest });
        state.archive_dests.sort_by_key(|d| d.dest_id);
    }
    Ok(())
}

/// `alter system set <name>=<value> [scope=...] [sid=...]`.
fn alter_system_set(state: &mut State, arg: &str) -> Result<Outcome, SqlError> {
    fail_if("config", param_invalid)?;
    let Some((name, rest)) = arg.split_once('=') else {
        return Err(SqlError::new(&[
            "ORA-02065: illegal option for ALTER SYSTEM",
        ]));
    };
    let name = name.trim().to_ascii_lowercase();
    let rest = rest.trim_start();
    let (value, tail) = if let Some(q) = rest.strip_prefix('\'') {
        match q.find('\'') {
            Some(end) => (q.get(..end).unwrap_or(""), q.get(end + 1..).unwrap_or("")),
            None => {
                return Err(SqlError::new(&[
                    "ORA-01756: quoted string not properly terminated",
                ]))
            }
        }
    } else {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (rest.get(..end).unwrap_or(""), rest.get(end..).unwrap_or(""))
    };
    for opt in tail.split_whitespace() {
        let o = opt.to_ascii_lowercase();
        let ok = matches!(o.as_str(), "scope=both" | "scope=memory" | "scope=spfile")
            || o.starts_with("sid=");
        if !ok {
            return Err(SqlError::new(&["ORA-00922: missing or invalid option"]));
        }
    }
    if let Some(n) = name.strip_prefix("log_archive_dest_state_") {
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=31).contains(n))
            .ok_or_else(|| SqlError::new(&["ORA-02065: illegal option for ALTER SYSTEM"]))?;
        let enabled =
            match value.to_ascii_lowercase().as_str() {
                "enable" => true,
                "defer" | "alternate" => false,
                _ => return Err(SqlError::new(&[
                    "ORA-02097: parameter cannot be modified because specified value is invalid",
                ])),
            };
        if let Some(d) = state.archive_dests.iter_mut().find(|d| d.dest_id == n) {
            d.enabled = enabled;
        }
        return Ok(Outcome::Message("System altered.".into()));
    }
    if let Some(n) = name.strip_prefix("log_archive_dest_") {
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=31).contains(n))
            .ok_or_else(|| SqlError::new(&["ORA-02065: illegal option for ALTER SYSTEM"]))?;
        set_dest(state, n, value)?;
        return Ok(Outcome::Message("System altered.".into()));
    }
    eprintln!("oracle-sim: parameter {name} is not supported by the simulator");
    Err(SqlError::new(&[
        "ORA-02065: illegal option for ALTER SYSTEM",
    ]))
}

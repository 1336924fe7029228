//! SQL*Plus statements of a restore test's instance ([`crate::state::Instance`]): the
//! `startupnomount`, `shutdown`, `shutdownabort` entries of our restore templates, and
//! `alter database mount` / `alter database open read only`.
//!
//! | statement | what it does |
//! |-----------|--------------|
//! | `startup nomount [pfile='P']` | starts the instance; P must exist (LRM-00109 / ORA-01078); ORA-01081 when it runs |
//! | `shutdown abort` | stops it |
//! | `shutdown immediate` | stops it; ORA-01034 when none runs |
//! | `alter database mount` | needs a control file restored by RMAN (ORA-00205) |
//! | `alter database open read only` | needs a recovered, mounted instance (ORA-01113 / ORA-01110) |
//! | the marker query of `openandverify` | `CURRENT DATABASE SCN:` (the SCN recovery reached), `LAST ROW IN SCN TO TIME MAP:` (`sys.smon_scn_time`: the time of that SCN in the archived logs), `MIN/MAX TIME FROM ARCHLOGS:`, `CUSTOM VERIFICATION TIME:` (`customverifydate`; only `select max(time_dp) from sys.smon_scn_time` and `select sysdate from dual` are known, another `select` gives ORA-00942, anything else ORA-00900); dates in the session's `nls_date_format`; needs an open instance (ORA-01219) |
//! | `select file_name, status, online_status from dba_data_files where ...` | the files of an open instance whose file is missing |
//! | `select * from v$database_block_corruption` | the instance's corruptions (else the database's) |
//! | the two PL/SQL blocks of `switchdatafiles` | `RENAMEDF-switch database to copy;` or one `RENAMEDF-switch datafile N to copy;` per file with an `IMAGE_COPY_BACKUP` copy, then `alter database create datafile` for the others |
//! | `alter database create datafile N as 'P'` | writes an empty datafile (real format, checkpoint = creation SCN) and points the control file at it |
//! | `alter database rename file 'A' to 'B'` | the block change tracking file (anything), a datafile (B must exist) |
//! | `alter database disable block change tracking` | in the instance's control file only; removes the instance's (renamed) file, never the source database's |
//! | `select * from v$block_change_tracking` | the instance's, else the database's |
//! | `begin null; end;` | the `clearlogs` entry |

use std::path::Path;

use chrono::NaiveDateTime;

use crate::matcher::{match_pattern, normalise};
use crate::sqlplus::Rows;
use crate::state::{Instance, State};
use crate::statements::{Context, Outcome, SqlError};

const VERIFY_MARKERS: &str = "select 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database UNION ALL
  select 'LAST ROW IN SCN TO TIME MAP: '||max(time_dp) from sys.smon_scn_time UNION ALL
  select 'MIN/MAX TIME FROM ARCHLOGS: '||min(first_time)||'-'||min(next_time) from v$archived_log where (select current_scn from v$database) between first_change# and next_change# UNION ALL
  select 'CUSTOM VERIFICATION TIME: '||({}) from dual";
const DATA_FILES_CHECK: &str = "select file_name, status, online_status from dba_data_files where online_status not in ('SYSTEM','ONLINE') or status <> 'AVAILABLE'";
const SWITCH_DATAFILES: &str = "declare
    cnt NUMBER;
  begin
    -- data files without an image copy must be created empty
    select count(*) INTO cnt from (select file# from v$datafile minus select file# from v$datafile_copy where tag='IMAGE_COPY_BACKUP' and deleted='NO');
    IF cnt = 0 THEN
      dbms_output.put_line('RENAMEDF-switch database to copy;');
    ELSE
      for rec in (select distinct f.file# from v$datafile f join v$datafile_copy d on f.file#=d.file# where d.tag='IMAGE_COPY_BACKUP' and d.deleted='NO') loop
        dbms_output.put_line('RENAMEDF-switch datafile '||rec.file#||' to copy;');
      end loop;
    END IF;
  end;";
const CREATE_MISSING: &str = "declare
    p_newfile varchar2(500);
  begin
    for rec in (select file# from v$datafile minus select file# from v$datafile_copy where tag='IMAGE_COPY_BACKUP' and deleted='NO') loop
      p_newfile:= '{}/new-datafile-'||rec.file#||'.dbf';
      dbms_output.put_line('Creating new file file#='||rec.file#||' as \"'||p_newfile||'\"');
      execute immediate 'alter database create datafile '||rec.file#||' as '''||p_newfile||'''';
    end loop;
  end;";
const COPY_TAG: &str = "IMAGE_COPY_BACKUP";

const SGA: &str = "Total System Global Area 1073741824 bytes\nFixed Size\t\t    2932632 bytes\nVariable Size\t\t  616562792 bytes\nDatabase Buffers\t  448790528 bytes\nRedo Buffers\t\t    5455872 bytes";

/// Runs `text` when it is one of the instance statements.
pub fn execute(
    state: &mut State,
    ctx: &Context<'_>,
    text: &str,
) -> Option<Result<Outcome, SqlError>> {
    let lower = normalise(text).to_ascii_lowercase();
    if let Some(r) = restore_statement(state, ctx, text, &lower) {
        return Some(r);
    }
    let pfile = match_pattern("startup nomount pfile='{}'", text)
        .or_else(|| match_pattern("startup nomount pfile=\"{}\"", text))
        .and_then(|c| c.into_iter().next());
    if pfile.is_some() || lower == "startup nomount" {
        return Some(startup(state, pfile.as_deref()));
    }
    Some(match lower.as_str() {
        "shutdown abort" => {
            if let Some(log) = state.instance.as_ref().and_then(|i| i.alert_log.clone()) {
                crate::adrci::alert(&log, state.now(), &crate::adrci::shutdown_lines(true));
            }
            state.instance = None;
            Ok(Outcome::Text("ORACLE instance shut down.".into()))
        }
        "shutdown immediate" => match state.instance.take() {
            None => Err(SqlError::new(&[
                "ORA-01034: ORACLE not available",
                "ORA-27101: shared memory realm does not exist",
            ])),
            Some(i) => {
                if let Some(log) = &i.alert_log {
                    crate::adrci::alert(log, state.now(), &crate::adrci::shutdown_lines(false));
                }
                let mut t = String::new();
                if i.status.starts_with("OPEN") {
                    t.push_str("Database closed.\n");
                }
                if i.status != "NOMOUNT" {
                    t.push_str("Database dismounted.\n");
                }
                t.push_str("ORACLE instance shut down.");
                Ok(Outcome::Text(t))
            }
        },
        "alter database mount" => match state.instance.as_mut() {
            None => Err(SqlError::new(&["ORA-01034: ORACLE not available"])),
            Some(i) if i.status != "NOMOUNT" => {
                Err(SqlError::new(&["ORA-01100: database already mounted"]))
            }
            Some(i) if i.controlfile_from.is_none() => Err(SqlError::new(&[
                "ORA-00205: error in identifying control file, check alert log for more info",
            ])),
            Some(i) => {
                i.status = "MOUNTED".into();
                Ok(Outcome::Message("Database altered.".into()))
            }
        },
        "alter database open read only" => open_read_only(state),
        _ => return None,
    })
}

fn startup(state: &mut State, pfile: Option<&str>) -> Result<Outcome, SqlError> {
    if crate::fault::active("sqlplus", "startup") {
        return Err(SqlError::new(&[
            "ORA-27102: out of memory",
            "Linux-x86_64 Error: 12: Cannot allocate memory",
        ]));
    }
    if state.instance.is_some() {
        return Err(SqlError::new(&[
            "ORA-01081: cannot start already-running ORACLE - shut it down first",
        ]));
    }
    if let Some(p) = pfile.filter(|p| !Path::new(p).is_file()) {
        return Err(SqlError {
            lines: vec![
                "ORA-01078: failure in processing system parameters".into(),
                format!("LRM-00109: could not open parameter file '{p}'"),
            ],
        });
    }
    let alert_log = pfile.and_then(|p| crate::adrci::instance_alert_log(Path::new(p), state));
    if let Some(log) = &alert_log {
        crate::adrci::alert(log, state.now(), &crate::adrci::startup_lines(state));
    }
    state.instance = Some(Instance {
        status: "NOMOUNT".into(),
        alert_log,
        ..Instance::default()
    });
    Ok(Outcome::Text(format!("ORACLE instance started.\n\n{SGA}")))
}

fn open_read_only(state: &mut State) -> Result<Outcome, SqlError> {
    if crate::fault::active("sqlplus", "open") {
        return Err(SqlError::new(&[
            "ORA-01113: file 1 needs media recovery",
            "ORA-01110: data file 1: '/simulated/system01.dbf'",
        ]));
    }
    let Some(i) = state.instance.as_mut() else {
        return Err(SqlError::new(&["ORA-01034: ORACLE not available"]));
    };
    match i.status.as_str() {
        "NOMOUNT" => return Err(SqlError::new(&["ORA-01507: database not mounted"])),
        "MOUNTED" => {}
        _ => {
            return Err(SqlError::new(&[
                "ORA-01531: a database already open by the instance",
            ]))
        }
    }
    // Every file must have been recovered to the same point.
    let target = i.recovered_scn;
    if let Some(d) = i
        .datafiles
        .iter()
        .find(|d| target != Some(d.checkpoint_scn))
    {
        return Err(SqlError {
            lines: vec![
                format!("ORA-01113: file {} needs media recovery", d.file_number),
                format!(
                    "ORA-01110: data file {}: '{}'",
                    d.file_number,
                    d.path.display()
                ),
            ],
        });
    }
    i.status = "OPEN READ ONLY".into();
    Ok(Outcome::Message("Database altered.".into()))
}

/// The restore-side statements of `openandverify`, `showcorruptblocks`, `switchdatafiles`,
/// `disablebct` and `clearlogs`.
fn restore_statement(
    state: &mut State,
    ctx: &Context<'_>,
    text: &str,
    lower: &str,
) -> Option<Result<Outcome, SqlError>> {
    if let Some(caps) = match_pattern(VERIFY_MARKERS, text) {
        let custom = caps.into_iter().next().unwrap_or_default();
        return Some(verify_markers(state, ctx, &custom));
    }
    if match_pattern(DATA_FILES_CHECK, text).is_some() {
        return Some(data_files_check(state));
    }
    if lower == "select * from v$database_block_corruption" {
        return Some(block_corruption(state));
    }
    if match_pattern(SWITCH_DATAFILES, text).is_some() {
        return Some(switch_datafiles(state));
    }
    if let Some(caps) = match_pattern(CREATE_MISSING, text) {
        let dir = caps.into_iter().next().unwrap_or_default();
        return Some(create_missing(state, &dir));
    }
    if let Some(caps) = match_pattern("alter database create datafile {} as '{}'", text) {
        let (n, p) = (
            caps.first().cloned().unwrap_or_default(),
            caps.get(1).cloned().unwrap_or_default(),
        );
        return Some(
            create_datafile(state, &n, &p).map(|()| Outcome::Message("Database altered.".into())),
        );
    }
    if let Some(caps) = match_pattern("alter database rename file '{}' to '{}'", text) {
        let (a, b) = (
            caps.first().cloned().unwrap_or_default(),
            caps.get(1).cloned().unwrap_or_default(),
        );
        return Some(
            rename_file(state, &a, &b).map(|()| Outcome::Message("Database altered.".into())),
        );
    }
    if lower == "alter database disable block change tracking" && state.instance.is_some() {
        return Some(disable_bct(state));
    }
    if lower == "select * from v$block_change_tracking" {
        return Some(Ok(block_change_tracking(state)));
    }
    if lower == "begin null; end;" || lower == "begin null; end" {
        return Some(Ok(Outcome::PlSql(Vec::new())));
    }
    None
}

fn not_available() -> SqlError {
    SqlError::new(&[
        "ORA-01034: ORACLE not available",
        "ORA-27101: shared memory realm does not exist",
    ])
}

/// The instance, mounted or open.
fn mounted(state: &mut State) -> Result<&mut Instance, SqlError> {
    match state.instance.as_mut() {
        None => Err(not_available()),
        Some(i) if i.status == "NOMOUNT" => {
            Err(SqlError::new(&["ORA-01507: database not mounted"]))
        }
        Some(i) => Ok(i),
    }
}

/// The instance, which must be open (for real tables such as `sys.smon_scn_time`).
fn open(state: &State) -> Result<&Instance, SqlError> {
    match state.instance.as_ref() {
        None => Err(not_available()),
        Some(i) if i.status == "NOMOUNT" => {
            Err(SqlError::new(&["ORA-01507: database not mounted"]))
        }
        Some(i) if !i.status.starts_with("OPEN") => Err(SqlError::new(&[
            "ORA-01219: database or pluggable database not open: queries allowed on fixed tables or views only",
        ])),
        Some(i) => Ok(i),
    }
}

/// The time of `scn` by the archived logs the instance knows (linear inside a log, rounded
/// down), as `sys.smon_scn_time` would place it.
fn time_at_scn(inst: &Instance, scn: u64) -> Option<NaiveDateTime> {
    let log = inst
        .archived_logs
        .iter()
        .find(|l| l.first_scn <= scn && scn <= l.next_scn)?;
    let (ft, nt) = (log.first_time?, log.next_time?);
    let width = log.next_scn.saturating_sub(log.first_scn).max(1);
    let span = (nt - ft).num_seconds().max(0);
    let off = i128::from(scn - log.first_scn) * i128::from(span) / i128::from(width);
    Some(ft + chrono::Duration::seconds(i64::try_from(off).unwrap_or(0)))
}

fn verify_markers(state: &State, ctx: &Context<'_>, custom: &str) -> Result<Outcome, SqlError> {
    let inst = open(state)?;
    let fmt = |t: Option<NaiveDateTime>| {
        t.map(|t| crate::nls::format(t, &ctx.nls.date_format))
            .unwrap_or_default()
    };
    let scn = inst.recovered_scn.unwrap_or(inst.controlfile_scn);
    let smon = time_at_scn(inst, scn);
    let custom_l = normalise(custom).to_ascii_lowercase();
    let custom_value = match custom_l.as_str() {
        "select max(time_dp) from sys.smon_scn_time" => smon,
        "select sysdate from dual" => Some(state.now()),
        q if q.starts_with("select ") => {
            eprintln!("oracle-sim: customverifydate query not known to the simulator: {custom}");
            return Err(SqlError::new(&["ORA-00942: table or view does not exist"]));
        }
        _ => {
            eprintln!("oracle-sim: customverifydate is not a query the simulator knows: {custom}");
            return Err(SqlError::new(&["ORA-00900: invalid SQL statement"]));
        }
    };
    let logs: Vec<_> = inst
        .archived_logs
        .iter()
        .filter(|l| l.first_scn <= scn && scn <= l.next_scn)
        .collect();
    let min_first = logs.iter().filter_map(|l| l.first_time).min();
    let min_next = logs.iter().filter_map(|l| l.next_time).min();
    let rows = vec![
        format!("CURRENT DATABASE SCN: {scn}"),
        format!("LAST ROW IN SCN TO TIME MAP: {}", fmt(smon)),
        format!(
            "MIN/MAX TIME FROM ARCHLOGS: {}-{}",
            fmt(min_first),
            fmt(min_next)
        ),
        format!("CUSTOM VERIFICATION TIME: {}", fmt(custom_value)),
    ];
    let width = rows.iter().map(String::len).max().unwrap_or(0).max(64);
    Ok(Outcome::Rows(Rows {
        columns: vec![("'CURRENTDATABASESCN:'||TO_CHAR(CURRENT_SCN)".into(), width)],
        rows: rows.into_iter().map(|r| vec![r]).collect(),
        numeric: Vec::new(),
    }))
}

fn data_files_check(state: &State) -> Result<Outcome, SqlError> {
    let inst = open(state)?;
    let rows = inst
        .datafiles
        .iter()
        .filter(|d| !d.path.is_file())
        .map(|d| {
            vec![
                d.path.display().to_string(),
                "AVAILABLE".to_string(),
                "RECOVER".to_string(),
            ]
        })
        .collect();
    Ok(Outcome::Rows(Rows {
        columns: vec![
            ("FILE_NAME".into(), 100),
            ("STATUS".into(), 15),
            ("ONLINE_STATUS".into(), 20),
        ],
        rows,
        numeric: Vec::new(),
    }))
}

fn block_corruption(state: &State) -> Result<Outcome, SqlError> {
    let list = match state.instance.as_ref() {
        Some(i) if i.status == "NOMOUNT" => {
            return Err(SqlError::new(&["ORA-01507: database not mounted"]))
        }
        Some(i) => i.corruptions.clone(),
        None => state
            .rman
            .corruptions
            .iter()
            .filter(|c| c.copy.is_none())
            .cloned()
            .collect(),
    };
    let rows = list
        .iter()
        .map(|c| {
            vec![
                c.file_number.to_string(),
                c.block.to_string(),
                c.blocks.to_string(),
                c.corruption_change.to_string(),
                c.corruption_type.clone(),
                "0".to_string(),
            ]
        })
        .collect();
    Ok(Outcome::Rows(Rows {
        columns: vec![
            ("FILE#".into(), 10),
            ("BLOCK#".into(), 10),
            ("BLOCKS".into(), 10),
            ("CORRUPTION_CHANGE#".into(), 18),
            ("CORRUPTION_TYPE".into(), 15),
            ("CON_ID".into(), 10),
        ],
        rows,
        numeric: vec![0, 1, 2, 3, 5],
    }))
}

/// The tag of a cataloged copy: the tag RMAN gave the copy it was cloned from (same file
/// name), as the copy's header carries it.
fn copy_tag(state: &State, path: &Path) -> String {
    let name = path.file_name();
    state
        .datafile_copies
        .iter()
        .filter(|c| !c.deleted)
        .find(|c| c.path.file_name() == name)
        .map(|c| c.tag.clone())
        .unwrap_or_default()
}

/// (files with a live `IMAGE_COPY_BACKUP` copy, files without), ascending.
fn files_by_copy(state: &mut State) -> Result<(Vec<u32>, Vec<u32>), SqlError> {
    let tagged: Vec<u32> = {
        let inst = mounted(state)?.clone();
        inst.copies
            .iter()
            .filter(|c| copy_tag(state, &c.path).eq_ignore_ascii_case(COPY_TAG))
            .map(|c| c.file_number)
            .collect()
    };
    let inst = mounted(state)?;
    let mut with: Vec<u32> = Vec::new();
    let mut without: Vec<u32> = Vec::new();
    for d in &inst.datafiles {
        if tagged.contains(&d.file_number) {
            with.push(d.file_number);
        } else {
            without.push(d.file_number);
        }
    }
    with.sort_unstable();
    without.sort_unstable();
    Ok((with, without))
}

fn in_block(e: SqlError, line: u32) -> SqlError {
    let mut lines = e.lines;
    lines.push(format!("ORA-06512: at line {line}"));
    SqlError { lines }
}

fn switch_datafiles(state: &mut State) -> Result<Outcome, SqlError> {
    if crate::fault::active("sqlplus", "switchdatafiles") {
        return Err(in_block(
            SqlError::new(&[
                "ORA-01119: error in creating database file '/simulated/new-datafile.dbf'",
                "ORA-27040: file create error, unable to create file",
            ]),
            5,
        ));
    }
    let (with, without) = files_by_copy(state).map_err(|e| in_block(e, 5))?;
    if without.is_empty() {
        return Ok(Outcome::PlSql(vec![
            "RENAMEDF-switch database to copy;".into()
        ]));
    }
    Ok(Outcome::PlSql(
        with.iter()
            .map(|f| format!("RENAMEDF-switch datafile {f} to copy;"))
            .collect(),
    ))
}

fn create_missing(state: &mut State, dir: &str) -> Result<Outcome, SqlError> {
    let (_, without) = files_by_copy(state).map_err(|e| in_block(e, 4))?;
    let mut out = Vec::new();
    for f in without {
        let p = format!("{dir}/new-datafile-{f}.dbf");
        out.push(format!("Creating new file file#={f} as \"{p}\""));
        create_datafile(state, &f.to_string(), &p).map_err(|e| in_block(e, 8))?;
    }
    Ok(Outcome::PlSql(out))
}

/// `alter database create datafile N as 'P'`.
fn create_datafile(state: &mut State, n: &str, path: &str) -> Result<(), SqlError> {
    let src = state.clone();
    let inst = mounted(state)?;
    if inst.status.starts_with("OPEN") {
        return Err(SqlError::new(&[
            "ORA-01156: recovery or flashback in progress may need access to files",
        ]));
    }
    let nonexistent = || SqlError {
        lines: vec![format!(
            "ORA-01516: nonexistent log file, data file, or temporary file \"{n}\""
        )],
    };
    let fno: u32 = n.trim().parse().map_err(|_| nonexistent())?;
    let df = src
        .datafiles
        .iter()
        .find(|d| d.file_number == fno)
        .ok_or_else(nonexistent)?;
    let d = inst
        .datafiles
        .iter_mut()
        .find(|d| d.file_number == fno)
        .ok_or_else(nonexistent)?;
    let target = std::path::PathBuf::from(path);
    let create_error = |detail: &[&str]| {
        let mut lines = vec![format!(
            "ORA-01119: error in creating database file '{path}'"
        )];
        lines.extend(detail.iter().map(|l| (*l).to_string()));
        SqlError { lines }
    };
    if target.exists() {
        return Err(create_error(&[
            "ORA-27038: created file already exists",
            "Additional information: 1",
        ]));
    }
    if !target.parent().is_some_and(Path::is_dir) {
        return Err(create_error(&[
            "ORA-27040: file create error, unable to create file",
            "Linux-x86_64 Error: 2: No such file or directory",
            "Additional information: 1",
        ]));
    }
    let mut empty = df.clone();
    empty.checkpoint_scn = df.creation_scn;
    empty.path = target.clone();
    let spec = crate::files::spec_for(&src, &empty);
    datafile::writer::write_datafile(&target, &spec, |_| datafile::writer::BlockContent::Empty)
        .map_err(|e| {
            eprintln!("oracle-sim: {e}");
            create_error(&["ORA-27072: File I/O error"])
        })?;
    d.path = target;
    d.checkpoint_scn = df.creation_scn;
    d.switched = false;
    Ok(())
}

/// `alter database rename file 'A' to 'B'` in the instance's control file.
fn rename_file(state: &mut State, from: &str, to: &str) -> Result<(), SqlError> {
    let err = |lines: Vec<String>| {
        let mut v = vec!["ORA-01511: error in renaming log/data files".to_string()];
        v.extend(lines);
        SqlError { lines: v }
    };
    if state.instance.is_none() {
        return Err(err(vec![
            "ORA-01121: cannot rename database file - file is in use or recovery".into(),
        ]));
    }
    let inst = mounted(state)?;
    if inst.status.starts_with("OPEN") {
        return Err(err(vec![
            "ORA-01121: cannot rename database file - file is in use or recovery".into(),
        ]));
    }
    if inst.bct_file.as_deref() == Some(Path::new(from)) {
        inst.bct_file = Some(to.into());
        return Ok(());
    }
    if let Some(d) = inst
        .datafiles
        .iter_mut()
        .find(|d| d.path == Path::new(from))
    {
        if !Path::new(to).is_file() {
            return Err(err(vec![
                format!(
                    "ORA-01141: error renaming data file {} - new file '{to}' not found",
                    d.file_number
                ),
                format!("ORA-01110: data file {}: '{from}'", d.file_number),
                "ORA-27037: unable to obtain file status".into(),
                "Linux-x86_64 Error: 2: No such file or directory".into(),
                "Additional information: 7".into(),
            ]));
        }
        d.path = to.into();
        return Ok(());
    }
    Err(err(vec![format!(
        "ORA-01516: nonexistent log file, data file, or temporary file \"{from}\""
    )]))
}

fn disable_bct(state: &mut State) -> Result<Outcome, SqlError> {
    if crate::fault::active("sqlplus", "disablebct") {
        return Err(SqlError::new(&[
            "ORA-19755: could not open change tracking file",
            "ORA-27041: unable to open file",
        ]));
    }
    let source = state.bct_file.clone();
    let inst = mounted(state)?;
    if let Some(p) = inst.bct_file.take() {
        // Only a file renamed away from the source database's is the instance's own.
        if source.as_deref() != Some(p.as_path()) {
            let _ = std::fs::remove_file(&p);
        }
    }
    Ok(Outcome::Message("Database altered.".into()))
}

fn block_change_tracking(state: &State) -> Outcome {
    let file = match state.instance.as_ref() {
        Some(i) => i.bct_file.clone(),
        None => state.bct_file.clone(),
    };
    let row = match &file {
        Some(p) => vec![
            "ENABLED".to_string(),
            p.display().to_string(),
            std::fs::metadata(p)
                .map(|m| m.len().to_string())
                .unwrap_or_else(|_| "11599872".into()),
            "0".to_string(),
        ],
        None => vec![
            "DISABLED".to_string(),
            String::new(),
            String::new(),
            String::new(),
        ],
    };
    Outcome::Rows(Rows {
        columns: vec![
            ("STATUS".into(), 10),
            ("FILENAME".into(), 513),
            ("BYTES".into(), 10),
            ("CON_ID".into(), 10),
        ],
        rows: vec![row],
        numeric: vec![2, 3],
    })
}

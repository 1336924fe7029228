//! Operations on the simulated database: creation (`oracle-sim init`), a workload that
//! changes blocks, log switches.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::files;
use crate::state::{
    ArchiveDest, ArchivedLog, ArchivedLogCopy, Datafile, State, StateError, STATE_FILE,
};

/// Tools linked into `<root>/oracle_home/bin`.
pub const TOOLS: [&str; 6] = ["rman", "sqlplus", "sqlldr", "adrci", "opatch", "srvctl"];

/// First SCN of a new database's datafiles; block SCNs are above it.
const BASE_SCN: u64 = 1_000_000;

/// Errors of the database operations.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// File system error.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Cause.
        source: io::Error,
    },
    /// State error.
    #[error(transparent)]
    State(#[from] StateError),
    /// Bad argument.
    #[error("{0}")]
    Invalid(String),
}

fn io_ctx(what: impl Into<String>) -> impl FnOnce(io::Error) -> DbError {
    let what = what.into();
    move |source| DbError::Io { what, source }
}

/// Options of `oracle-sim init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Directory to create everything in.
    pub root: PathBuf,
    /// Database name (`orcl`).
    pub db: String,
    /// DBID.
    pub dbid: u32,
    /// Number of datafiles (SYSTEM, SYSAUX, UNDOTBS1, USERS, then DATA files).
    pub datafiles: u32,
    /// Size of each datafile in MiB.
    pub size_mib: u64,
    /// Block size.
    pub block_size: u32,
    /// Container database.
    pub cdb: bool,
    /// The executable the tools link to.
    pub exe: PathBuf,
}

/// Paths of a sim root created by [`init`].
#[derive(Debug, Clone)]
pub struct Layout {
    /// The directory given to `init --root`.
    pub base: PathBuf,
}

impl Layout {
    /// `<base>/oracle_home`.
    pub fn oracle_home(&self) -> PathBuf {
        self.base.join("oracle_home")
    }
    /// `<base>/simdb`: the sim root (state).
    pub fn sim_root(&self) -> PathBuf {
        self.base.join("simdb")
    }
    /// `<base>/tns`: TNS_ADMIN.
    pub fn tns_admin(&self) -> PathBuf {
        self.base.join("tns")
    }
    /// `<base>/oradata`.
    pub fn oradata(&self) -> PathBuf {
        self.base.join("oradata")
    }
    /// `<base>/fra`: the recovery area.
    pub fn fra(&self) -> PathBuf {
        self.base.join("fra")
    }
}

/// The sim root of `--root DIR` as given on the command line: `DIR/simdb` when it holds a
/// state, else `DIR` itself.
pub fn sim_root_of(dir: &Path) -> PathBuf {
    let s = dir.join("simdb");
    if s.join(STATE_FILE).is_file() {
        s
    } else {
        dir.to_path_buf()
    }
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, crate::state::TIME_FORMAT).ok()
}

/// Creates an ORACLE_HOME, the state, the datafiles and a tnsnames.ora; returns lines saying
/// what was made.
pub fn init(opts: &InitOptions) -> Result<Vec<String>, DbError> {
    if opts.db.is_empty()
        || opts.db.len() > 8
        || !opts
            .db
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(DbError::Invalid(format!(
            "database name {:?} must be 1 to 8 letters, digits or _",
            opts.db
        )));
    }
    if opts.datafiles == 0 {
        return Err(DbError::Invalid("--datafiles must be at least 1".into()));
    }
    if !datafile::is_valid_block_size(opts.block_size) {
        return Err(DbError::Invalid(format!(
            "--block-size {} is not a valid Oracle block size",
            opts.block_size
        )));
    }
    let layout = Layout {
        base: opts.root.clone(),
    };
    if layout.sim_root().join(STATE_FILE).exists() {
        return Err(DbError::Invalid(format!(
            "{} already holds a simulated database",
            layout.base.display()
        )));
    }
    let mut made = Vec::new();
    let bin = layout.oracle_home().join("bin");
    fs::create_dir_all(&bin).map_err(io_ctx(format!("creating {}", bin.display())))?;
    for tool in TOOLS {
        let link = bin.join(tool);
        let _ = fs::remove_file(&link);
        link_or_copy(&opts.exe, &link).map_err(io_ctx(format!("creating {}", link.display())))?;
    }
    // OPatch lives in its own directory of a real ORACLE_HOME.
    let opatch_dir = layout.oracle_home().join("OPatch");
    fs::create_dir_all(&opatch_dir).map_err(io_ctx("creating the OPatch directory"))?;
    let opatch = opatch_dir.join("opatch");
    let _ = fs::remove_file(&opatch);
    link_or_copy(&opts.exe, &opatch).map_err(io_ctx(format!("creating {}", opatch.display())))?;
    made.push(format!(
        "ORACLE_HOME {} (bin: {})",
        layout.oracle_home().display(),
        TOOLS.join(", ")
    ));

    let db_upper = opts.db.to_ascii_uppercase();
    let oradata = layout.oradata().join(&db_upper);
    let fra = layout.fra();
    fs::create_dir_all(layout.sim_root()).map_err(io_ctx("creating the sim root"))?;
    fs::create_dir_all(fra.join(&db_upper).join("archivelog"))
        .map_err(io_ctx("creating the recovery area"))?;
    let now = chrono::Local::now().naive_local();
    let now = parse_time(&now.format(crate::state::TIME_FORMAT).to_string()).unwrap_or(now);
    let blocks = (opts.size_mib * 1024 * 1024 / u64::from(opts.block_size))
        .saturating_sub(1)
        .max(16);
    let names = [
        ("SYSTEM", "system01.dbf"),
        ("SYSAUX", "sysaux01.dbf"),
        ("UNDOTBS1", "undotbs01.dbf"),
        ("USERS", "users01.dbf"),
    ];
    let mut datafiles = Vec::new();
    for n in 1..=opts.datafiles {
        let (ts, file) = match names.get(n as usize - 1) {
            Some((ts, f)) => ((*ts).to_string(), (*f).to_string()),
            None => ("DATA".to_string(), format!("data{:02}.dbf", n - 4)),
        };
        datafiles.push(Datafile {
            file_number: n,
            relative_file_number: n,
            tablespace: ts,
            path: oradata.join(file),
            block_size: opts.block_size,
            blocks,
            bigfile: false,
            creation_scn: BASE_SCN + u64::from(n) * 10,
            checkpoint_scn: BASE_SCN + 1_000_000,
            seed: u64::from(opts.dbid) ^ (u64::from(n) << 32),
        });
    }
    let state = State {
        db_name: opts.db.clone(),
        db_unique_name: opts.db.clone(),
        dbid: opts.dbid,
        cdb: opts.cdb,
        current_scn: BASE_SCN + 1_100_000,
        clock_offset_secs: 0,
        datafiles,
        current_sequence: 1,
        current_log_first_scn: BASE_SCN + 1_000_000,
        current_log_first_time: now,
        current_log_redo_bytes: 0,
        resetlogs_id: 920_000_000 + u64::from(opts.dbid % 1_000_000),
        archived_logs: Vec::new(),
        archive_dests: vec![ArchiveDest {
            dest_id: 1,
            value: "LOCATION=USE_DB_RECOVERY_FILE_DEST MANDATORY".to_string(),
            enabled: true,
        }],
        recovery_dest: fra,
        create_file_dest: layout.oradata(),
        undo_tablespace: "UNDOTBS1".to_string(),
        compatible: "12.1.0.2.0".to_string(),
        db_block_size: opts.block_size,
        db_files: 200,
        common_user_prefix: "C##".to_string(),
        bct_file: None,
        datafile_copies: Vec::new(),
        scheduler_jobs: Vec::new(),
        scheduler_objects: Vec::new(),
        users: ["SYS", "SYSTEM", "DBSNMP"].map(String::from).to_vec(),
        host_name: "simhost".to_string(),
        name_counter: 0,
        rman: Default::default(),
        encrypted_tablespaces: Vec::new(),
        instance: None,
    };
    for df in &state.datafiles {
        files::create_datafile(&state, df)
            .map_err(io_ctx(format!("writing {}", df.path.display())))?;
        made.push(format!(
            "datafile {} {} ({} blocks of {} bytes) {}",
            df.file_number,
            df.tablespace,
            df.blocks,
            df.block_size,
            df.path.display()
        ));
    }
    let tns = layout.tns_admin();
    fs::create_dir_all(&tns).map_err(io_ctx("creating the TNS_ADMIN directory"))?;
    let entry = format!(
        "{db} =\n  (DESCRIPTION =\n    (ADDRESS = (PROTOCOL = TCP)(HOST = localhost)(PORT = 1521))\n    (CONNECT_DATA = (SERVER = DEDICATED)(SERVICE_NAME = {db}))\n  )\n",
        db = opts.db
    );
    fs::write(tns.join("tnsnames.ora"), &entry).map_err(io_ctx("writing tnsnames.ora"))?;
    let netadmin = layout.oracle_home().join("network").join("admin");
    fs::create_dir_all(&netadmin).map_err(io_ctx("creating network/admin"))?;
    fs::write(netadmin.join("tnsnames.ora"), &entry).map_err(io_ctx("writing tnsnames.ora"))?;
    made.push(format!("TNS_ADMIN {} (alias {})", tns.display(), opts.db));
    state.save(&layout.sim_root())?;
    made.push(format!(
        "state {} (db {} dbid {} {}; SCN {})",
        layout.sim_root().join(STATE_FILE).display(),
        state.db_name,
        state.dbid,
        if state.cdb { "CDB" } else { "non-CDB" },
        state.current_scn
    ));
    Ok(made)
}

#[cfg(unix)]
fn link_or_copy(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_or_copy(target: &Path, link: &Path) -> io::Result<()> {
    fs::copy(target, link).map(|_| ())
}

/// Advances SCN and time, rewrites `blocks` random blocks of random datafiles with new SCNs,
/// and adds the redo to the current online log. Returns a summary line.
pub fn workload(state: &mut State, blocks: u64, seed: u64) -> Result<String, DbError> {
    if state.datafiles.is_empty() {
        return Err(DbError::Invalid("the database has no datafiles".into()));
    }
    let mut rng = seed ^ state.current_scn;
    let mut changed = 0u64;
    for _ in 0..blocks {
        let r = files::splitmix(&mut rng);
        let idx = (r % state.datafiles.len() as u64) as usize;
        let Some(df) = state.datafiles.get(idx).cloned() else {
            continue;
        };
        if df.blocks < 2 {
            continue;
        }
        let block = 2 + (files::splitmix(&mut rng) % (df.blocks - 1));
        state.current_scn += 1 + files::splitmix(&mut rng) % 7;
        files::rewrite_block(state, &df, block, state.current_scn)
            .map_err(io_ctx(format!("writing {}", df.path.display())))?;
        state.current_log_redo_bytes += 256 + u64::from(df.block_size) / 4;
        changed += 1;
    }
    state.current_scn += 1;
    Ok(format!(
        "changed {changed} blocks; current SCN {}; redo in current log {} bytes",
        state.current_scn, state.current_log_redo_bytes
    ))
}

/// Encrypts tablespace `tablespace` with TDE: every formatted block of its datafiles is
/// rewritten at a new SCN with opaque bytes in place of its rows (valid checksums), the
/// redo goes to the current log, and later changes keep the blocks opaque. Returns a
/// summary line.
pub fn encrypt_tablespace(state: &mut State, tablespace: &str) -> Result<String, DbError> {
    let ts = tablespace.to_ascii_uppercase();
    let files: Vec<Datafile> = state
        .datafiles
        .iter()
        .filter(|d| d.tablespace == ts)
        .cloned()
        .collect();
    if files.is_empty() {
        return Err(DbError::Invalid(format!(
            "ORA-00959: tablespace '{ts}' does not exist"
        )));
    }
    if ts == "SYSTEM" || ts == "SYSAUX" || ts == state.undo_tablespace.to_ascii_uppercase() {
        return Err(DbError::Invalid(format!(
            "ORA-28370: tablespace {ts} cannot be encrypted (SYSTEM, SYSAUX and undo tablespaces are not encrypted in 12.1)"
        )));
    }
    if state.encrypted_tablespaces.contains(&ts) {
        return Err(DbError::Invalid(format!(
            "ORA-28431: tablespace {ts} is already encrypted"
        )));
    }
    state.encrypted_tablespaces.push(ts.clone());
    state.current_scn += 1;
    let mut changed = 0u64;
    for df in &files {
        let n = files::encrypt_datafile(state, df, state.current_scn)
            .map_err(io_ctx(format!("writing {}", df.path.display())))?;
        state.current_log_redo_bytes += n * (256 + u64::from(df.block_size) / 4);
        changed += n;
    }
    state.current_scn += 1;
    Ok(format!(
        "tablespace {ts} encrypted: {changed} blocks rewritten at SCN {}",
        state.current_scn - 1
    ))
}

/// Path of the copy of log `sequence` in destination `dest`.
fn archive_path(
    state: &mut State,
    dest: &ArchiveDest,
    sequence: u64,
    now: NaiveDateTime,
) -> Option<PathBuf> {
    if dest.is_recovery_area() {
        let n = state.next_name();
        Some(
            state
                .recovery_dest
                .join(state.db_unique_name.to_ascii_uppercase())
                .join("archivelog")
                .join(now.format("%Y_%m_%d").to_string())
                .join(format!(
                    "o1_mf_1_{sequence}_{}_.arc",
                    omf_tag(n, state.dbid)
                )),
        )
    } else {
        let loc = dest.location()?;
        Some(PathBuf::from(loc).join(format!("1_{sequence}_{}.dbf", state.resetlogs_id)))
    }
}

/// An OMF-style 8-character tag.
pub fn omf_tag(n: u64, dbid: u32) -> String {
    let mut s = n ^ (u64::from(dbid) << 20);
    let mut out = String::new();
    for _ in 0..8 {
        let v = (files::splitmix(&mut s) % 36) as u8;
        out.push(if v < 10 {
            (b'0' + v) as char
        } else {
            (b'a' + v - 10) as char
        });
    }
    out
}

/// Archives the current online log of thread 1 into every enabled destination and opens the
/// next one. Returns the new archived log.
pub fn switch_logfile(state: &mut State) -> Result<ArchivedLog, DbError> {
    let now = state.now();
    state.current_scn += 2;
    let sequence = state.current_sequence;
    let first_scn = state.current_log_first_scn;
    let next_scn = state.current_scn;
    let redo_blocks = 8 + state.current_log_redo_bytes / u64::from(files::REDO_BLOCK_SIZE);
    let dests: Vec<ArchiveDest> = state
        .archive_dests
        .iter()
        .filter(|d| d.enabled && d.location().is_some())
        .cloned()
        .collect();
    let mut copies = Vec::new();
    for dest in dests {
        let Some(path) = archive_path(state, &dest, sequence, now) else {
            continue;
        };
        files::write_archived_log(&path, state, 1, sequence, first_scn, next_scn, redo_blocks)
            .map_err(io_ctx(format!(
                "ORA-19504: failed to create file \"{}\"",
                path.display()
            )))?;
        copies.push(ArchivedLogCopy {
            dest_id: dest.dest_id,
            path,
            deleted: false,
        });
    }
    let log = ArchivedLog {
        thread: 1,
        sequence,
        first_scn,
        next_scn,
        first_time: state.current_log_first_time,
        next_time: now,
        copies,
    };
    state.archived_logs.push(log.clone());
    state.current_sequence += 1;
    state.current_log_first_scn = next_scn;
    state.current_log_first_time = now;
    state.current_log_redo_bytes = 0;
    state.current_scn += 1;
    Ok(log)
}

/// Adds a datafile to tablespace `tablespace` (`size_mib` MiB, the database block size),
/// created now (creation SCN = the current SCN). Returns the new datafile.
pub fn add_datafile(
    state: &mut State,
    tablespace: &str,
    size_mib: u64,
) -> Result<Datafile, DbError> {
    let tablespace = tablespace.to_ascii_uppercase();
    if tablespace.is_empty()
        || tablespace.len() > 30
        || !tablespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '#')
    {
        return Err(DbError::Invalid(format!(
            "invalid tablespace name {tablespace:?}"
        )));
    }
    let file_number = state
        .datafiles
        .iter()
        .map(|d| d.file_number)
        .max()
        .unwrap_or(0)
        + 1;
    if file_number > state.db_files {
        return Err(DbError::Invalid(format!(
            "ORA-00059: maximum number of DB_FILES exceeded ({})",
            state.db_files
        )));
    }
    if file_number > 1023 {
        return Err(DbError::Invalid(
            "the simulator supports at most 1023 datafiles".into(),
        ));
    }
    let block_size = state.db_block_size;
    let blocks = (size_mib * 1024 * 1024 / u64::from(block_size))
        .saturating_sub(1)
        .max(16);
    state.current_scn += 10;
    let n = state.next_name();
    let df = Datafile {
        file_number,
        relative_file_number: file_number,
        tablespace: tablespace.clone(),
        path: state
            .create_file_dest
            .join(state.db_name_upper())
            .join("datafile")
            .join(format!(
                "o1_mf_{}_{}_.dbf",
                tablespace.to_ascii_lowercase(),
                omf_tag(n, state.dbid)
            )),
        block_size,
        blocks,
        bigfile: false,
        creation_scn: state.current_scn,
        checkpoint_scn: state.current_scn,
        seed: u64::from(state.dbid) ^ (u64::from(file_number) << 32) ^ state.current_scn,
    };
    // New blocks carry SCNs after the creation SCN.
    if let Some(dir) = df.path.parent() {
        fs::create_dir_all(dir).map_err(io_ctx(format!("creating {}", dir.display())))?;
    }
    let spec = files::spec_for(state, &df);
    let creation = df.creation_scn;
    datafile::writer::write_datafile(&df.path, &spec, |block| {
        if block % 4 == 0 {
            datafile::writer::BlockContent::Data {
                scn: creation + 1,
                block_type: datafile::BLOCK_TYPE_DATA,
                payload: datafile::writer::row_payload(creation, block),
            }
        } else {
            datafile::writer::BlockContent::Empty
        }
    })
    .map_err(io_ctx(format!("writing {}", df.path.display())))?;
    state.current_scn += 2;
    state.datafiles.push(df.clone());
    Ok(df)
}

/// Drops datafile `file_number` (`alter tablespace ... drop datafile`, or the tablespace
/// including contents and datafiles): removes the file and its entry.
pub fn drop_datafile(state: &mut State, file_number: u32) -> Result<Datafile, DbError> {
    if file_number == 1 {
        return Err(DbError::Invalid(
            "ORA-01541: system tablespace cannot be brought offline; shut down if necessary".into(),
        ));
    }
    let Some(idx) = state
        .datafiles
        .iter()
        .position(|d| d.file_number == file_number)
    else {
        return Err(DbError::Invalid(format!(
            "ORA-01516: nonexistent log file, data file, or temporary file \"{file_number}\""
        )));
    };
    let df = state.datafiles.remove(idx);
    match fs::remove_file(&df.path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_ctx(format!("removing {}", df.path.display()))(e)),
    }
    state.current_scn += 5;
    Ok(df)
}

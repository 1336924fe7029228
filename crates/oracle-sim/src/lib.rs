//! Test support only: a simulated ORACLE_HOME.
//!
//! `oracle-sim` is one executable that behaves as `rman`, `sqlplus`, `sqlldr`, `adrci`,
//! `opatch` or `srvctl` depending on the file name it is started under (`argv[0]`), and as
//! the administration tool `oracle-sim` otherwise. The product never depends on it.
//!
//! # Layout made by `oracle-sim init --root DIR`
//!
//! ```text
//! DIR/oracle_home/bin/{rman,sqlplus,sqlldr,adrci,opatch,srvctl}   symlinks to oracle-sim
//! DIR/oracle_home/OPatch/opatch                                   symlink to oracle-sim
//! DIR/oracle_home/network/admin/tnsnames.ora                      copy of DIR/tns/tnsnames.ora
//! DIR/tns/tnsnames.ora          alias <db> (set TNS_ADMIN=DIR/tns)
//! DIR/simdb/state.json          the database state (the "sim root"), see [`state::State`];
//!                               written atomically, under DIR/simdb/state.lock
//! DIR/simdb/catalogs/<alias>.json   catalog schemas (`add-catalog`), see [`catalog`]
//! DIR/oradata/<DB>/*.dbf        the datafiles, real Oracle-format files (`datafile::writer`)
//! DIR/oradata/<DB>/changetracking/o1_mf_*_.chg   block change tracking file, once enabled
//! DIR/fra/<DB>/archivelog/<yyyy_mm_dd>/o1_mf_1_<seq>_*_.arc   archived logs of
//!                               log_archive_dest_1 (LOCATION=USE_DB_RECOVERY_FILE_DEST)
//! ```
//!
//! RMAN's files go where `CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT` points: image copies
//! `data_D-<DB>_I-<dbid>_TS-<TS>_FNO-<n>_<unique>` (real datafiles), incremental pieces
//! `<unique>_1_1` (see [`rman`] for their format), control file autobackups `c-<dbid>-<day>-<QQ>`.
//!
//! Other destinations set with `alter system set log_archive_dest_N='LOCATION=/dir ...'`
//! get `/dir/1_<seq>_<resetlogs id>.dbf` (the default `log_archive_format`).
//!
//! # Administration commands (for tests and the demo)
//!
//! * `oracle-sim init --root DIR --db orcl --dbid N [--datafiles 4] [--size-mib 8]
//!   [--block-size 8192] [--cdb]`: everything above; datafiles SYSTEM, SYSAUX, UNDOTBS1,
//!   USERS, then DATA; block SCNs between 1,000,000 and 2,000,000, current SCN 2,100,000.
//! * `oracle-sim workload --root DIR [--blocks N] [--seed S]`: rewrites N random blocks of
//!   random datafiles with new SCNs (valid checksums) and adds redo to the current log.
//! * `oracle-sim switch-logfile --root DIR`: a log switch (as `alter system archive log
//!   current`).
//! * `oracle-sim add-datafile --root DIR --tablespace T [--size-mib N]`,
//!   `oracle-sim drop-datafile --root DIR --file N`.
//! * `oracle-sim set-clock --root DIR --offset-secs N`, `oracle-sim show --root DIR`.
//! * `oracle-sim add-catalog --root DIR --alias NAME [--kind restore|rman] [--user U]`: a
//!   tnsnames.ora entry NAME naming a catalog schema instead of the database: the
//!   autorestore log catalog (`restore`, for `sqlplus` and `sqlldr`) or an RMAN recovery
//!   catalog (`rman`), see [`catalog`].
//! * `oracle-sim encrypt-tablespace --root DIR --tablespace NAME`: TDE: the tablespace's
//!   blocks are rewritten at a new SCN with opaque bytes instead of rows (checksums valid),
//!   and stay opaque under later workloads; `v$encrypted_tablespaces` lists it.
//!
//! # How the tools find the state
//!
//! 1. `$ORACLE_SIM_ROOT` (the directory holding `state.json`);
//! 2. else `$ORACLE_HOME/../simdb` when it holds a `state.json`;
//! 3. else `<dir of argv[0]>/../../simdb` (the tools live in `DIR/oracle_home/bin`).
//!
//! The simulated clock is the real clock plus `clock_offset_secs` of the state, or exactly
//! `$ORACLE_SIM_NOW` (`yyyy-mm-dd hh:mm:ss`) when set. Faults are injected with
//! `$ORACLE_SIM_FAIL` (see [`fault`]).
//!
//! # Strictness
//!
//! `sqlplus` knows the SQL*Plus commands and the SQL/PL-SQL texts of our templates
//! ([`statements`]); any other statement fails with `ORA-00900: invalid SQL statement`, an
//! unknown SQL*Plus command gives SP2-0734, an unknown `set` option SP2-0158. `rman` knows
//! the commands of the image-copy backup cycle ([`rman`]) and of a restore test against a
//! clone of the backup area (`rman::restore`, with the instance statements of
//! [`instance`] on the SQL*Plus side); any other command fails with
//! RMAN-00558 / RMAN-01009 (exit status 1). `sqlldr` loads the restore log control file
//! into a catalog schema ([`sqlldr`], SQL*Loader's exit codes); `adrci` knows `set base`,
//! `show homes`, `set home`, `purge -age` ([`adrci`]; anything else DIA-48415). The restore
//! instance's SQL (`openandverify`, `switchdatafiles`, `disablebct`, ...) is in
//! [`instance`]; date formats follow the session's `nls_date_format` ([`nls`]).

pub mod adrci;
pub mod catalog;
pub mod db;
pub mod fault;
pub mod files;
pub mod instance;
pub mod matcher;
pub mod nls;
pub mod rman;
pub mod scheduler;
pub mod sqlldr;
pub mod sqlplus;
pub mod state;
pub mod statements;
pub mod tools;

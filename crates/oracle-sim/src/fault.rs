//! Fault injection: `ORACLE_SIM_FAIL=<tool>:<step>[,<tool>:<step>...]` makes that step of that
//! tool fail the way the real program fails there.
//!
//! | value | failure |
//! |-------|---------|
//! | `sqlplus:connect` | every connect: ORA-01034 / ORA-27101 |
//! | `sqlplus:instance` | the `v$instance` query: ORA-01034 |
//! | `sqlplus:markers` | the SCN/time/BCT query: ORA-01034 |
//! | `sqlplus:archivelog` | `alter system archive log current` / `switch logfile`: ORA-16038, ORA-19504, ORA-27040 |
//! | `sqlplus:missingarchivelog` | the missing-archivelog query: ORA-00604 / ORA-01013 |
//! | `sqlplus:deletecopy` | the expired-copy query: ORA-00604 / ORA-01013 |
//! | `sqlplus:parameters` | the `dbconfig-` query: ORA-01034 |
//! | `sqlplus:cdbdetect` | the CDB detection block: ORA-06550 |
//! | `sqlplus:config` | the `config` blocks and `alter system set log_archive_dest_N`: ORA-02097 |
//! | `sqlplus:bct` | enabling block change tracking: ORA-19751 |
//! | `sqlplus:startup` | `startup nomount`: ORA-27102 (out of memory) |
//! | `sqlplus:disablebct` | renaming the BCT file / disabling tracking in the restore instance: ORA-19755 / ORA-27041 |
//! | `sqlplus:switchdatafiles` | the switch/create-datafile block: ORA-01119 / ORA-27040 |
//! | `sqlplus:open` | `alter database open read only`: ORA-01113 / ORA-01110 |
//! | `rman:connect` | `connect target`: RMAN-00554 / RMAN-04005 / ORA-01034 |
//! | `rman:backup` | `backup ... for recover of copy`: RMAN-03009 / ORA-19502 / ORA-27072, nothing written |
//! | `rman:recover` | `recover copy of database`: RMAN-03002 / ORA-19870 / ORA-19502, copies unchanged |
//! | `rman:restorecontrolfile` | `restore controlfile from`: RMAN-03002 / ORA-19870 / ORA-19505, no control file |
//! | `rman:catalog` | `catalog start with`: RMAN-03002 / ORA-19625, nothing cataloged |
//! | `rman:switch` | `switch database to copy`: RMAN-03002 / ORA-19625, nothing switched |
//! | `rman:recoverdatabase` | `recover database`: RMAN-03002 / ORA-00283 / ORA-01110 / ORA-01157 |
//! | `rman:validate` | `backup validate ... database`, `validate datafilecopy all`: RMAN-03009 / ORA-19501 / ORA-27072 |
//! | `srvctl` / `opatch` | the tool fails (PRCD-1120 / OPatch failed) |
//! | `<tool>:*` | every step of that tool |
//!
//! `ORACLE_SIM_HANG=<tool>:<step>[,...]` (same names) makes that step hang instead: the tool
//! sleeps ten minutes there, as a program waiting on a dead NFS server or a lost lock would,
//! for tests of timeouts.

/// Environment variable holding the faults.
pub const ENV_FAIL: &str = "ORACLE_SIM_FAIL";

/// Environment variable holding the steps that hang.
pub const ENV_HANG: &str = "ORACLE_SIM_HANG";

/// Whether `step` of `tool` must fail; first sleeps ten minutes if it must hang.
pub fn active(tool: &str, step: &str) -> bool {
    if listed(ENV_HANG, tool, step) {
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
    listed(ENV_FAIL, tool, step)
}

/// Whether environment variable `var` names `step` of `tool`.
fn listed(var: &str, tool: &str, step: &str) -> bool {
    let Ok(v) = std::env::var(var) else {
        return false;
    };
    v.split(',')
        .map(str::trim)
        .any(|f| match f.split_once(':') {
            Some((t, s)) => {
                t.eq_ignore_ascii_case(tool) && (s == "*" || s.eq_ignore_ascii_case(step))
            }
            None => f.eq_ignore_ascii_case(tool),
        })
}

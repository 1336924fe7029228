//! The other programs of the ORACLE_HOME: `opatch`, `srvctl` (short plausible answers).
//! `rman` is [`crate::rman`], `sqlldr` [`crate::sqlldr`], `adrci` [`crate::adrci`]; any
//! other name fails loudly.

use crate::fault;
use crate::state::State;

/// Runs `tool` with `args`; output text and exit status.
pub fn run(tool: &str, args: &[String], state: Option<&State>) -> (String, i32) {
    match tool {
        "opatch" => opatch(args),
        "srvctl" => srvctl(args, state),
        other => (
            format!(
                "oracle-sim: {other} is not supported by the simulator yet (arguments: {})\n",
                args.join(" ")
            ),
            1,
        ),
    }
}

fn opatch(args: &[String]) -> (String, i32) {
    if fault::active("opatch", "lsinventory") {
        return ("OPatch failed with error code 1\n".into(), 1);
    }
    match args.first().map(String::as_str) {
        Some("lsinventory") => (
            "Oracle Interim Patch Installer version 12.1.0.1.3\n\
             Copyright (c) 2016, Oracle Corporation.  All rights reserved.\n\n\n\
             Oracle Home       : (oracle-sim)\n\
             OPatch version    : 12.1.0.1.3\n\
             OUI version       : 12.1.0.2.0\n\n\
             --------------------------------------------------------------------------------\n\
             Local Machine Information::\n\
             Hostname: simhost\n\
             ARU platform id: 226\n\
             ARU platform description:: Linux x86-64\n\n\
             Installed Top-level Products (1):\n\n\
             Oracle Database 12c                                                  12.1.0.2.0\n\
             There are 1 products installed in this Oracle Home.\n\n\n\
             There are no Interim patches installed in this Oracle Home.\n\n\n\
             --------------------------------------------------------------------------------\n\n\
             OPatch succeeded.\n"
                .into(),
            0,
        ),
        Some("version") | Some("-version") => ("OPatch Version: 12.1.0.1.3\n\nOPatch succeeded.\n".into(), 0),
        _ => (
            format!(
                "oracle-sim: opatch {} is not supported by the simulator (only lsinventory, version)\n\nOPatch failed with error code 1\n",
                args.join(" ")
            ),
            1,
        ),
    }
}

fn srvctl(args: &[String], state: Option<&State>) -> (String, i32) {
    if fault::active("srvctl", "config") {
        return (
            "PRCD-1120 : The resource for database could not be found.\nPRCR-1001 : Resource does not exist\n".into(),
            1,
        );
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["config", "database", "-d" | "-db", db] | ["config", "database", "-d" | "-db", db, ..] => {
            let Some(st) = state.filter(|s| s.db_unique_name.eq_ignore_ascii_case(db)) else {
                return (
                    format!("PRCD-1120 : The resource for database {db} could not be found.\nPRCR-1001 : Resource ora.{}.db does not exist\n", db.to_ascii_lowercase()),
                    1,
                );
            };
            let home = std::env::var("ORACLE_HOME").unwrap_or_default();
            (
                format!(
                    "Database unique name: {u}\nDatabase name: {n}\nOracle home: {home}\nOracle user: oracle\n\
                     Spfile: \nPassword file: \nDomain: \nStart options: open\nStop options: immediate\n\
                     Database role: PRIMARY\nManagement policy: AUTOMATIC\nDisk Groups: \nServices: \n\
                     OSDBA group: dba\nOSOPER group: oper\nDatabase instance: {n}\n",
                    u = st.db_unique_name,
                    n = st.db_name
                ),
                0,
            )
        }
        _ => (
            format!(
                "oracle-sim: srvctl {} is not supported by the simulator (only config database -d <db>)\n",
                args.join(" ")
            ),
            1,
        ),
    }
}

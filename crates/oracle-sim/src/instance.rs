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

use std::path::Path;

use crate::matcher::match_pattern;
use crate::state::{Instance, State};
use crate::statements::{Outcome, SqlError};

const SGA: &str = "Total System Global Area 1073741824 bytes\nFixed Size\t\t    2932632 bytes\nVariable Size\t\t  616562792 bytes\nDatabase Buffers\t  448790528 bytes\nRedo Buffers\t\t    5455872 bytes";

/// Runs `text` when it is one of the instance statements.
pub fn execute(state: &mut State, text: &str) -> Option<Result<Outcome, SqlError>> {
    let lower = crate::matcher::normalise(text).to_ascii_lowercase();
    let pfile = match_pattern("startup nomount pfile='{}'", text)
        .or_else(|| match_pattern("startup nomount pfile=\"{}\"", text))
        .and_then(|c| c.into_iter().next());
    if pfile.is_some() || lower == "startup nomount" {
        return Some(startup(state, pfile.as_deref()));
    }
    Some(match lower.as_str() {
        "shutdown abort" => {
            state.instance = None;
            Ok(Outcome::Text("ORACLE instance shut down.".into()))
        }
        "shutdown immediate" => match state.instance.take() {
            None => Err(SqlError::new(&[
                "ORA-01034: ORACLE not available",
                "ORA-27101: shared memory realm does not exist",
            ])),
            Some(i) => {
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
    state.instance = Some(Instance {
        status: "NOMOUNT".into(),
        ..Instance::default()
    });
    Ok(Outcome::Text(format!("ORACLE instance started.\n\n{SGA}")))
}

fn open_read_only(state: &mut State) -> Result<Outcome, SqlError> {
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

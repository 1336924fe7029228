//! The actions of `backup <db> <action>`.

use std::fmt;
use std::str::FromStr;

/// An action of the `backup` program, with the original tool's name and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `config`: RMAN configuration, archivelog deletion policy, the extra archivelog
    /// destination in the backup area, block change tracking, catalog registration.
    Config,
    /// `imagecopywithsnap`: the backup cycle (DESIGN §4): snapshot, then merge.
    ImageCopyWithSnap,
    /// `backupimagecopy`: the template entry `backupimagecopy` run as is (no snapshot).
    BackupImageCopy,
    /// `missingarchlog`: copy archivelogs missing from the backup area.
    MissingArchlog,
    /// `validatebackup`: RMAN restore validation (template entry `validatebackup`).
    ValidateBackup,
    /// `report`: RMAN reports (template entry `report`).
    Report,
    /// `generaterestore`: print a full restore procedure; nothing is run.
    GenerateRestore,
    /// `setschedule`: DBMS_SCHEDULER user, credential, programs, schedules and jobs.
    SetSchedule,
    /// `verify`: the datafile verifier over the backup area or one snapshot of it.
    Verify,
}

impl Action {
    /// Every action, in the order of the usage text.
    pub const ALL: [Action; 9] = [
        Action::Config,
        Action::ImageCopyWithSnap,
        Action::BackupImageCopy,
        Action::MissingArchlog,
        Action::ValidateBackup,
        Action::Report,
        Action::GenerateRestore,
        Action::SetSchedule,
        Action::Verify,
    ];

    /// The action's name on the command line and in log file names.
    pub fn name(self) -> &'static str {
        match self {
            Action::Config => "config",
            Action::ImageCopyWithSnap => "imagecopywithsnap",
            Action::BackupImageCopy => "backupimagecopy",
            Action::MissingArchlog => "missingarchlog",
            Action::ValidateBackup => "validatebackup",
            Action::Report => "report",
            Action::GenerateRestore => "generaterestore",
            Action::SetSchedule => "setschedule",
            Action::Verify => "verify",
        }
    }

    /// `config|imagecopywithsnap|...` for usage texts.
    pub fn choices() -> String {
        Action::ALL.map(Action::name).join("|")
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown action name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action {0:?} (expected one of {choices})", choices = Action::choices())]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    /// Case-insensitive, as the original lower-cased the action.
    fn from_str(s: &str) -> Result<Action, UnknownAction> {
        let lower = s.to_ascii_lowercase();
        Action::ALL
            .into_iter()
            .find(|a| a.name() == lower)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_round_trip_and_ignore_case() {
        for a in Action::ALL {
            assert_eq!(a.name().parse::<Action>().unwrap(), a);
            assert_eq!(a.name().to_uppercase().parse::<Action>().unwrap(), a);
        }
        let e = "imagecopy".parse::<Action>().unwrap_err().to_string();
        assert!(
            e.contains("\"imagecopy\"") && e.contains("imagecopywithsnap|"),
            "{e}"
        );
    }
}

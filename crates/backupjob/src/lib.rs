//! The actions of the `backup` program, composed from the Oracle command layer
//! ([`rman`]) and a storage backend ([`backupcore::snap::SnapHandler`]).
//!
//! * [`Action`]: `config`, `imagecopywithsnap`, `backupimagecopy`, `missingarchlog`,
//!   `validatebackup`, `report`, `generaterestore`, `setschedule`, `verify`.
//! * [`Job`]: one run of one action for one database, the backup cycle of DESIGN §4 step
//!   by step: the lock, the recovery point written into `autorestore.cfg` before the
//!   snapshot, no merge without a snapshot, the lock always released.
//! * [`Summary`]: the steps with their durations, the snapshot taken, the snapshots
//!   cleaned, the copies merged.
//! * [`DryRun`]: what `--dry-run` prints instead of running anything.
//!
//! Binaries only parse arguments, open the run log and the storage, and call [`Job::run`].

mod action;
mod dryrun;
mod job;
mod summary;

pub use action::{Action, UnknownAction};
pub use dryrun::DryRun;
pub use job::{Job, JobContext, JobError, RunValues, SetupError, StepFailure};
pub use summary::{hms, Outcome, Step, StepRecord, Summary};

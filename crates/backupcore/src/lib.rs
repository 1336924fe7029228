//! Pure logic of the image-copy backup toolset.
//!
//! * [`config`]: loads the original tool's `backup.cfg` INI unchanged.
//! * [`retention`]: which snapshots to keep, as a pure function.
//! * [`snap`]: the [`snap::SnapHandler`] storage trait, the logic built on it
//!   (clean, autoclone, recovery-snapshot search, checkage), an in-memory backend and
//!   the conformance suite every backend passes.
//! * [`lock`]: one lock per database.
//! * [`runlog`]: one log file per run, with retention and secret redaction.
//! * [`restoreparams`]: `autorestore.cfg`, the restore facts kept in the backup area.
//!
//! Nothing here spawns processes or talks HTTP.

pub mod config;
pub mod lock;
pub mod restoreparams;
pub mod retention;
pub mod runlog;
pub mod snap;

//! Local copy-on-write storage for [`backupcore::snap::SnapHandler`]: snapshots of a
//! database's backup area on an ordinary Linux backup server, without a storage appliance.
//!
//! * `reflink` (the embedded default): the backup area is a directory; a snapshot is a
//!   read-only copy of it made of reflink clones (`FICLONE`: XFS with reflink, btrfs, other
//!   copy-on-write filesystems), so it costs no space until the image copies change. Where
//!   the filesystem cannot reflink it says so once and makes full copies, unless
//!   `requirereflink: true` makes that an error. A clone is a writable reflink copy.
//! * `btrfs`: the backup area is a subvolume; snapshots are read-only btrfs snapshots,
//!   clones writable snapshots of them, through the `btrfs` program.
//!
//! Both keep a small JSON record beside each snapshot and clone (see [`local`]) and report
//! each snapshot's space the way ZFS does: `total` referred to, `unique` held by it alone
//! (extents shared with the live area, other snapshots or clones counted once, read with
//! `FIEMAP`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use backupcore::config::Config;
//! use backupcore::snap::SnapHandler;
//!
//! let cfg = Config::load(std::path::Path::new("/etc/backup/backup.cfg"))?;
//! let local = snapper_local::LocalSnapper::open(&cfg, "orcl")?;
//! let id = local.create_snapshot("orcl-20261121T101500").await?;
//! for s in local.list_snapshots().await? {
//!     println!("{}", s.list_line());
//! }
//! # let _ = id;
//! # Ok(())
//! # }
//! ```

pub mod btrfs;
mod config;
mod fiemap;
pub mod local;
mod space;
mod tree;

pub use config::{LocalConfig, LocalKind};

/// Removes a directory tree that may hold snapshots made by this crate (read-only modes,
/// immutable flags), e.g. a test or demo sandbox. btrfs subvolumes inside it must be deleted
/// with `btrfs subvolume delete` first. A missing tree is not an error.
pub fn remove_tree(path: &std::path::Path) -> Result<(), backupcore::snap::SnapError> {
    tree::remove_tree(path)
}
pub use local::{CloneRecord, LocalSnapper, SnapshotRecord};

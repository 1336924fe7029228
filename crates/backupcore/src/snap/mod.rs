//! Storage snapshots: the [`SnapHandler`] trait every storage backend implements, the logic
//! built on it ([`ops`]: clean, autoclone, recovery-snapshot search, checkage), an in-memory
//! backend ([`memory`]) and the [`conformance`] suite every backend's tests run.
//!
//! A handler serves one database: its backup filesystem (or volume, or directory), the
//! snapshots of it and the clones made from them.

pub mod conformance;
pub mod memory;
pub mod ops;

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Local, NaiveDateTime, Utc};
use serde::Serialize;

/// One snapshot of a database's backup filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    /// Snapshot id (its name on the storage).
    pub id: String,
    /// When it was taken, UTC.
    pub created: DateTime<Utc>,
    /// How many clones were made from it and still exist.
    pub clones: u32,
    /// Bytes the snapshot refers to.
    pub space_total: u64,
    /// Bytes only this snapshot holds (freed when it is dropped).
    pub space_unique: u64,
}

impl SnapshotInfo {
    /// The original tool's list line:
    /// `<id> [<YYYY-MM-DD HH:MM:SS> UTC] total=<size> unique=<size> clones=<n>`.
    pub fn list_line(&self) -> String {
        format!(
            "{} [{} UTC] total={} unique={} clones={}",
            self.id,
            self.created.format("%Y-%m-%d %H:%M:%S"),
            human_size(self.space_total),
            human_size(self.space_unique),
            self.clones
        )
    }

    /// The fields retention planning needs.
    pub fn candidate(&self) -> crate::retention::Candidate<'_> {
        crate::retention::Candidate {
            id: &self.id,
            created: self.created,
            clones: self.clones,
        }
    }
}

/// A writable clone of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloneInfo {
    /// The clone's name (filesystem, volume or directory).
    pub name: String,
    /// The snapshot it was cloned from.
    pub origin: String,
    /// The storage-side path to mount (or the local path).
    pub mount_point: String,
}

impl CloneInfo {
    /// The original tool's line: `<name> [<origin>] [mount point: <path>]`.
    pub fn list_line(&self) -> String {
        format!(
            "{} [{}] [mount point: {}]",
            self.name, self.origin, self.mount_point
        )
    }
}

/// Where a clone came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloneOrigin {
    /// The filesystem that was snapshotted.
    pub filesystem: String,
    /// The snapshot.
    pub snapshot: String,
}

/// A filesystem (volume, directory) on the storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesystemInfo {
    /// Its name.
    pub name: String,
    /// The storage-side path to mount (or the local path).
    pub mount_point: String,
    /// Set when it is a clone.
    pub origin: Option<CloneOrigin>,
}

/// Errors of storage operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapError {
    /// No such object.
    #[error("{kind} {name} not found")]
    NotFound {
        /// `snapshot`, `clone` or `filesystem`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The name is taken.
    #[error("{kind} {name} already exists")]
    AlreadyExists {
        /// `snapshot`, `clone` or `filesystem`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A snapshot cannot be dropped while clones of it exist.
    #[error("snapshot {snapshot} has {clones} clone(s); drop them first")]
    HasClones {
        /// The snapshot.
        snapshot: String,
        /// How many clones.
        clones: u32,
    },
    /// Refused: the filesystem is not a clone of this database's filesystem.
    #[error("refusing to drop {name}: {reason}")]
    NotOurClone {
        /// The filesystem named.
        name: String,
        /// Why it is not ours.
        reason: String,
    },
    /// The storage refused our credentials.
    #[error("storage refused the credentials ({status}): {message}")]
    Auth {
        /// HTTP status or similar.
        status: u16,
        /// The storage's message.
        message: String,
    },
    /// The storage answered with an error.
    #[error("{operation} failed{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Storage {
        /// What we asked, e.g. `POST .../snapshots`.
        operation: String,
        /// HTTP status when there was one.
        status: Option<u16>,
        /// The storage's own message.
        message: String,
    },
    /// No answer in time.
    #[error("{operation} timed out after {seconds} s")]
    Timeout {
        /// What we asked.
        operation: String,
        /// How long we waited.
        seconds: u64,
    },
    /// Local I/O failed (local backends, certificates, credentials files).
    #[error("{operation} {path}: {message}")]
    Io {
        /// What we tried (`cannot read`, ...).
        operation: String,
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The backend cannot do this.
    #[error("{0} is not supported by this storage")]
    Unsupported(&'static str),
    /// A configuration problem found by the backend.
    #[error("{0}")]
    Config(String),
}

/// A storage system that snapshots and clones one database's backup filesystem.
///
/// Every method names a failure with a [`SnapError`]; none of them retries blindly a request
/// that changes state. Implementations must pass [`conformance::run_all`].
#[async_trait]
pub trait SnapHandler: Send + Sync {
    /// The backend's name for messages (`zfssa`, `netapp`, `reflink`, ...).
    fn backend(&self) -> &str;

    /// The database (and filesystem) this handler serves.
    fn database(&self) -> &str;

    /// All snapshots of the database's filesystem, in any order.
    async fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError>;

    /// Takes a snapshot named `name` (see [`snapshot_name`]) and returns its id.
    async fn create_snapshot(&self, name: &str) -> Result<String, SnapError>;

    /// Drops a snapshot. Fails with [`SnapError::HasClones`] while clones of it exist.
    async fn drop_snapshot(&self, id: &str) -> Result<(), SnapError>;

    /// Makes a writable clone `clone_name` of snapshot `snapshot`.
    async fn clone_snapshot(
        &self,
        snapshot: &str,
        clone_name: &str,
    ) -> Result<CloneInfo, SnapError>;

    /// Drops a clone, after checking it really is a clone of this database's filesystem
    /// ([`SnapError::NotOurClone`] otherwise).
    async fn drop_clone(&self, clone_name: &str) -> Result<(), SnapError>;

    /// Clones of this database's snapshots.
    async fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError>;

    /// Information on a filesystem: `None` for the database's own.
    async fn filesystem_info(&self, name: Option<&str>) -> Result<FilesystemInfo, SnapError>;

    /// How to mount a filesystem: `host:/path` for NFS storage, a local path for local storage.
    async fn mount_string(&self, name: &str) -> Result<String, SnapError>;

    /// Creates the database's backup filesystem (a new database's first step).
    async fn create_volume(&self) -> Result<FilesystemInfo, SnapError>;

    /// True when snapshots and clones are directories on this host (local copy-on-write
    /// storage): mount strings are then local paths and nothing needs mounting. The default:
    /// false (NFS storage).
    fn is_local(&self) -> bool {
        false
    }

    /// Where the files of snapshot `name` can be read on this host, given the directory the
    /// database's filesystem is mounted at (the backup area). NFS shares of ZFS expose
    /// snapshots read-only under `<mount>/.zfs/snapshot/<name>`; local backends keep them in
    /// their own directories. The default: not supported.
    fn snapshot_path(
        &self,
        name: &str,
        mounted_at: &std::path::Path,
    ) -> Result<std::path::PathBuf, SnapError> {
        let _ = (name, mounted_at);
        Err(SnapError::Unsupported("reading a snapshot's files"))
    }
}

/// The original's snapshot name: `<db>-<YYYYMMDDTHHMMSS>` in local time.
pub fn snapshot_name(db: &str, at: DateTime<Local>) -> String {
    snapshot_name_naive(db, at.naive_local())
}

/// [`snapshot_name`] from a wall-clock time.
pub fn snapshot_name_naive(db: &str, at: NaiveDateTime) -> String {
    format!("{db}-{}", at.format("%Y%m%dT%H%M%S"))
}

/// Bytes as the original printed them: `B`, `kB`, `MB`, `GB`, `TB` (powers of 1024), rounded
/// to a whole number (half up).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "kB"),
    ];
    for (size, unit) in UNITS {
        if bytes >= size {
            let rounded = (u128::from(bytes) + u128::from(size / 2)) / u128::from(size);
            return format!("{rounded}{unit}");
        }
    }
    format!("{bytes}B")
}

/// Nagios plugin states, with their exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum NagiosState {
    /// 0
    Ok,
    /// 1
    Warning,
    /// 2
    Critical,
    /// 3
    Unknown,
}

impl NagiosState {
    /// The plugin exit code.
    pub fn exit_code(self) -> i32 {
        match self {
            NagiosState::Ok => 0,
            NagiosState::Warning => 1,
            NagiosState::Critical => 2,
            NagiosState::Unknown => 3,
        }
    }
}

impl fmt::Display for NagiosState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NagiosState::Ok => "OK",
            NagiosState::Warning => "WARNING",
            NagiosState::Critical => "CRITICAL",
            NagiosState::Unknown => "UNKNOWN",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_the_original() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1023), "1023B");
        assert_eq!(human_size(1024), "1kB");
        assert_eq!(human_size(276 * 1024 + 100), "276kB");
        assert_eq!(human_size(1536), "2kB");
        assert_eq!(human_size(165 * 1024 * 1024), "165MB");
        assert_eq!(human_size(3 << 30), "3GB");
        assert_eq!(human_size(u64::MAX), "16777216TB");
    }

    #[test]
    fn list_line_shape() {
        let s = SnapshotInfo {
            id: "orcl-20161017T093914".into(),
            created: DateTime::parse_from_rfc3339("2016-10-17T07:39:14Z")
                .unwrap()
                .with_timezone(&Utc),
            clones: 1,
            space_total: 177 * 1024 * 1024,
            space_unique: 0,
        };
        assert_eq!(
            s.list_line(),
            "orcl-20161017T093914 [2016-10-17 07:39:14 UTC] total=177MB unique=0B clones=1"
        );
    }

    #[test]
    fn snapshot_names() {
        let t = NaiveDateTime::parse_from_str("2016-10-17 09:39:14", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(snapshot_name_naive("orcl", t), "orcl-20161017T093914");
    }
}

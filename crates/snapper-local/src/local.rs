//! The local handler: one database's backup area, its snapshots and clones as directories
//! (reflink) or subvolumes (btrfs) on this host.
//!
//! ```text
//! <backupdest>/<db>/                          the backup area (btrfs: a subvolume)
//! <snapshotdir>/<db>/<name>/                  a snapshot: read-only copy of the area
//! <snapshotdir>/<db>/<name>.snapshot.json     its record: creation time (UTC), files, bytes
//! <snapshotdir>/<db>/.lock                    serializes changes to the database's snapshots
//! <clonedir>/<clone>/                         a clone: writable copy of a snapshot
//! <clonedir>/<clone>.clone.json               its record: database, snapshot, creation time
//! ```
//!
//! Every change is made so that a crash leaves either the old state or the new one: a
//! snapshot is built under a hidden `.partial-` name and renamed into place when complete;
//! a drop renames it to a hidden `.dropping-` name first. Leftovers of a crash are hidden
//! names, never listed, and removed by the next change.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use backupcore::snap::{
    CloneInfo, CloneOrigin, FilesystemInfo, SnapError, SnapHandler, SnapshotInfo,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::btrfs::{is_subvolume, BtrfsCommand};
use crate::config::{LocalConfig, LocalKind};
use crate::space;
use crate::tree::{self, io_error, DataCopy};

const SNAPSHOT_SUFFIX: &str = ".snapshot.json";
const CLONE_SUFFIX: &str = ".clone.json";
const PARTIAL: &str = ".partial-";
const DROPPING: &str = ".dropping-";

/// The record kept beside each snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    /// Format of this record (1).
    pub format_version: u32,
    /// The database.
    pub database: String,
    /// The snapshot's name.
    pub snapshot: String,
    /// When it was taken (UTC, RFC 3339).
    pub created: DateTime<Utc>,
    /// The backend that took it (`reflink`, `btrfs`).
    pub backend: String,
    /// The backup area it is a copy of.
    pub source: PathBuf,
    /// Regular files copied (reflink).
    pub files: u64,
    /// Their bytes (reflink).
    pub bytes: u64,
    /// False when the filesystem could not reflink and the data was copied in full.
    pub reflinked: bool,
}

/// The record kept beside each clone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneRecord {
    /// Format of this record (1).
    pub format_version: u32,
    /// The database whose snapshot was cloned.
    pub database: String,
    /// The snapshot.
    pub snapshot: String,
    /// The clone's name.
    pub clone: String,
    /// When it was made (UTC).
    pub created: DateTime<Utc>,
}

/// A [`SnapHandler`] for one database on local copy-on-write storage.
#[derive(Debug, Clone)]
pub struct LocalSnapper {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: LocalConfig,
    btrfs: BtrfsCommand,
    /// The full-copy fallback has been reported (once per handler).
    warned_full_copy: AtomicBool,
}

impl LocalSnapper {
    /// A handler with these settings. Nothing is touched until it is used.
    pub fn new(cfg: LocalConfig) -> LocalSnapper {
        let btrfs = BtrfsCommand::new(cfg.btrfs_command.clone());
        LocalSnapper {
            inner: Arc::new(Inner {
                cfg,
                btrfs,
                warned_full_copy: AtomicBool::new(false),
            }),
        }
    }

    /// Opens database `database` of a loaded `backup.cfg` (`[generic] storage` must be
    /// `reflink` or `btrfs`).
    pub fn open(
        cfg: &backupcore::config::Config,
        database: &str,
    ) -> Result<LocalSnapper, backupcore::config::ConfigError> {
        let db = cfg.database(database)?;
        Ok(LocalSnapper::new(LocalConfig::from_config(&db)?))
    }

    /// The settings.
    pub fn config(&self) -> &LocalConfig {
        &self.inner.cfg
    }

    /// The directory holding snapshot `name` (whether or not it exists).
    pub fn snapshot_dir(&self, name: &str) -> PathBuf {
        self.inner.snapdir().join(name)
    }

    /// The directory of clone `name` (whether or not it exists).
    pub fn clone_dir(&self, name: &str) -> PathBuf {
        self.inner.cfg.clonedir.join(name)
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, SnapError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, SnapError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        // The caller's log (a run log scoped to its thread) follows onto the blocking thread.
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        tokio::task::spawn_blocking(move || {
            tracing::dispatcher::with_default(&dispatch, || f(&inner))
        })
        .await
        .map_err(|e| SnapError::Config(format!("storage task failed: {e}")))?
    }
}

/// A name that is one plain path component (no `/`, not hidden, not `.`/`..`).
fn check_name(kind: &'static str, name: &str) -> Result<(), SnapError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\0'])
        && !name.ends_with(SNAPSHOT_SUFFIX)
        && !name.ends_with(CLONE_SUFFIX)
        && name.len() <= 200;
    if ok {
        Ok(())
    } else {
        Err(SnapError::Config(format!(
            "{name:?} is not a valid {kind} name (one path component, not starting with '.')"
        )))
    }
}

/// `path` under a hidden name in the same directory: `<dir>/<prefix><name>`.
fn hidden(path: &Path, prefix: &str) -> PathBuf {
    let leaf = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{prefix}{leaf}"))
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn read_record<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, SnapError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SnapError::Io {
                operation: "unreadable record".to_string(),
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("cannot read", path, &e)),
    }
}

/// Writes `value` as JSON to `path` atomically (temporary file, fsync, rename, fsync dir).
fn write_record<T: Serialize>(path: &Path, value: &T) -> Result<(), SnapError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| SnapError::Config(format!("cannot encode a record: {e}")))?;
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(&text)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("cannot write", path, &e));
    }
    sync_dir(dir);
    Ok(())
}

/// Flushes a directory's entries (best effort: not every filesystem supports it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn mkdirs(dir: &Path) -> Result<(), SnapError> {
    fs::create_dir_all(dir).map_err(|e| io_error("cannot create directory", dir, &e))
}

/// An exclusive `flock` on a lock file, released when dropped.
struct DirLock {
    _file: File,
}

impl DirLock {
    fn take(dir: &Path) -> Result<DirLock, SnapError> {
        mkdirs(dir)?;
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error("cannot open lock file", &path, &e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| io_error("cannot lock", &path, &io::Error::from(e)))?;
        Ok(DirLock { _file: file })
    }
}

impl Inner {
    fn db(&self) -> &str {
        &self.cfg.database
    }

    fn snapdir(&self) -> PathBuf {
        self.cfg.snapshots_of_db()
    }

    fn snapshot_record_path(&self, name: &str) -> PathBuf {
        self.snapdir().join(format!("{name}{SNAPSHOT_SUFFIX}"))
    }

    fn clone_record_path(&self, name: &str) -> PathBuf {
        self.cfg.clonedir.join(format!("{name}{CLONE_SUFFIX}"))
    }

    fn lock(&self) -> Result<DirLock, SnapError> {
        DirLock::take(&self.snapdir())
    }

    fn area_missing(&self) -> SnapError {
        SnapError::NotFound {
            kind: "filesystem",
            name: format!("{} (backup area {})", self.db(), self.cfg.area.display()),
        }
    }

    fn check_area(&self) -> Result<(), SnapError> {
        if !self.cfg.area.is_dir() {
            return Err(self.area_missing());
        }
        if self.cfg.kind == LocalKind::Btrfs {
            let sub = is_subvolume(&self.cfg.area)
                .map_err(|e| io_error("cannot stat", &self.cfg.area, &e))?;
            if !sub {
                return Err(SnapError::Config(format!(
                    "backup area {} is not a btrfs subvolume (create it with `zvolume {} create`, or `btrfs subvolume create`)",
                    self.cfg.area.display(),
                    self.db()
                )));
            }
        }
        Ok(())
    }

    /// Snapshots with a record and a directory, in name order.
    fn snapshot_records(&self) -> Result<Vec<SnapshotRecord>, SnapError> {
        let dir = self.snapdir();
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("cannot list", &dir, &e)),
        };
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| io_error("cannot list", &dir, &e))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(SNAPSHOT_SUFFIX) {
                if !name.starts_with('.') && dir.join(name).is_dir() {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        let mut out = Vec::new();
        for name in names {
            if let Some(mut rec) = read_record::<SnapshotRecord>(&self.snapshot_record_path(&name))?
            {
                if self.cfg.kind == LocalKind::Btrfs {
                    // The filesystem's own creation time is the authority.
                    let info = self.btrfs.show(&dir.join(&name))?;
                    rec.created = info.created;
                }
                rec.snapshot = name;
                out.push(rec);
            }
        }
        Ok(out)
    }

    /// Clones of this database's snapshots, in name order.
    fn clone_records(&self) -> Result<Vec<CloneRecord>, SnapError> {
        let dir = &self.cfg.clonedir;
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("cannot list", dir, &e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| io_error("cannot list", dir, &e))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(CLONE_SUFFIX) else {
                continue;
            };
            if name.starts_with('.') || !dir.join(name).is_dir() {
                continue;
            }
            if let Some(rec) = read_record::<CloneRecord>(&entry.path())? {
                if rec.database == self.db() {
                    out.push(CloneRecord {
                        clone: name.to_string(),
                        ..rec
                    });
                }
            }
        }
        out.sort_by(|a, b| a.clone.cmp(&b.clone));
        Ok(out)
    }

    /// Removes leftovers of interrupted changes (hidden `.partial-`/`.dropping-` trees and
    /// temporary records) in `dir`.
    fn sweep(&self, dir: &Path) {
        let Ok(rd) = fs::read_dir(dir) else {
            return;
        };
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let result = if name.starts_with(PARTIAL) || name.starts_with(DROPPING) {
                self.remove_tree(&path)
            } else if name.starts_with(".tmp-") {
                fs::remove_file(&path).map_err(|e| io_error("cannot remove", &path, &e))
            } else {
                continue;
            };
            match result {
                Ok(()) => tracing::warn!("removed {} left by an interrupted run", path.display()),
                Err(e) => tracing::warn!(
                    "cannot remove {} left by an interrupted run: {e}",
                    path.display()
                ),
            }
        }
    }

    /// Removes a snapshot or clone tree (btrfs: deletes the subvolume).
    fn remove_tree(&self, path: &Path) -> Result<(), SnapError> {
        if self.cfg.kind == LocalKind::Btrfs && is_subvolume(path).unwrap_or(false) {
            // `subvolume delete` removes read-only snapshots as they are.
            return self.btrfs.delete(path);
        }
        tree::remove_tree(path)
    }

    fn data_copy(&self) -> DataCopy {
        if self.cfg.require_reflink {
            DataCopy::ReflinkOnly
        } else {
            DataCopy::ReflinkOrCopy
        }
    }

    fn note_full_copy(&self, src: &Path, dst: &Path, stats: &tree::CopyStats) {
        if let Some(reason) = &stats.no_reflink_reason {
            if !self.warned_full_copy.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "cannot reflink {} into {} ({reason}): made full copies instead, which take as much space as the data (put both on XFS with reflink or btrfs; [reflink] requirereflink: true makes this an error)",
                    src.display(),
                    dst.parent().unwrap_or(dst).display()
                );
            }
        }
    }

    /// Copies `src` to the new `dst` (a snapshot when `readonly`, else a clone).
    fn make_copy(
        &self,
        src: &Path,
        dst: &Path,
        readonly: bool,
    ) -> Result<tree::CopyStats, SnapError> {
        match self.cfg.kind {
            LocalKind::Btrfs => {
                self.btrfs.snapshot(src, dst, readonly)?;
                Ok(tree::CopyStats::default())
            }
            LocalKind::Reflink => {
                let staging = hidden(dst, PARTIAL);
                if exists(&staging) {
                    tree::remove_tree(&staging)?;
                }
                let built = tree::copy_tree(src, &staging, self.data_copy()).and_then(|stats| {
                    if readonly {
                        tree::freeze(&staging)?;
                    } else {
                        tree::thaw(&staging)?;
                    }
                    // Durable before it is published under its name.
                    tree::sync_filesystem(&staging)?;
                    Ok(stats)
                });
                let stats = match built {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tree::remove_tree(&staging);
                        return Err(e);
                    }
                };
                self.note_full_copy(src, dst, &stats);
                Ok(stats)
            }
        }
    }

    /// Moves a reflink copy built by [`Inner::make_copy`] into place (btrfs: already there).
    fn publish(&self, dst: &Path) -> Result<(), SnapError> {
        if self.cfg.kind == LocalKind::Btrfs {
            return Ok(());
        }
        let parent = dst.parent().unwrap_or(Path::new("."));
        let staging = hidden(dst, PARTIAL);
        // The staging tree's root may be read-only (a snapshot); rename needs only the parent.
        fs::rename(&staging, dst).map_err(|e| io_error("cannot rename into place", dst, &e))?;
        sync_dir(parent);
        tree::seal(dst);
        Ok(())
    }

    /// Hides `path` under a `.dropping-` name, then removes it.
    fn retire(&self, path: &Path) -> Result<(), SnapError> {
        let parent = path.parent().unwrap_or(Path::new("."));
        let hidden = hidden(path, DROPPING);
        tree::unseal(path);
        fs::rename(path, &hidden).map_err(|e| io_error("cannot rename for removal", path, &e))?;
        sync_dir(parent);
        self.remove_tree(&hidden)
    }

    fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError> {
        self.check_area()?;
        let snaps = self.snapshot_records()?;
        let clones = self.clone_records()?;
        let mut roots = vec![self.cfg.area.clone()];
        roots.extend(snaps.iter().map(|s| self.snapdir().join(&s.snapshot)));
        roots.extend(clones.iter().map(|c| self.cfg.clonedir.join(&c.clone)));
        let usage = space::measure(&roots)?;
        Ok(snaps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let u = usage.get(i + 1).copied().unwrap_or_default();
                SnapshotInfo {
                    id: s.snapshot.clone(),
                    created: s.created,
                    clones: u32::try_from(
                        clones.iter().filter(|c| c.snapshot == s.snapshot).count(),
                    )
                    .unwrap_or(u32::MAX),
                    space_total: u.total,
                    space_unique: u.unique,
                }
            })
            .collect())
    }

    fn create_snapshot(&self, name: &str) -> Result<String, SnapError> {
        check_name("snapshot", name)?;
        self.check_area()?;
        let _lock = self.lock()?;
        let dir = self.snapdir();
        self.sweep(&dir);
        let dst = dir.join(name);
        if exists(&dst) {
            return Err(SnapError::AlreadyExists {
                kind: "snapshot",
                name: name.to_string(),
            });
        }
        let created = Utc::now();
        let stats = self.make_copy(&self.cfg.area, &dst, true)?;
        let record = SnapshotRecord {
            format_version: 1,
            database: self.db().to_string(),
            snapshot: name.to_string(),
            created,
            backend: self.cfg.kind.as_str().to_string(),
            source: self.cfg.area.clone(),
            files: stats.files,
            bytes: stats.bytes,
            reflinked: stats.full_copies == 0,
        };
        // The record first: a snapshot is listed only once its directory is in place too.
        let record_path = self.snapshot_record_path(name);
        if let Err(e) = write_record(&record_path, &record).and_then(|()| self.publish(&dst)) {
            self.discard(&dst, &record_path);
            return Err(e);
        }
        tracing::info!(
            "snapshot {name} of {} taken at {}",
            self.cfg.area.display(),
            created.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        Ok(name.to_string())
    }

    /// The directory of snapshot `id`, which must be in place with its record.
    fn existing_snapshot(&self, id: &str) -> Result<PathBuf, SnapError> {
        let path = self.snapdir().join(id);
        if check_name("snapshot", id).is_ok()
            && path.is_dir()
            && exists(&self.snapshot_record_path(id))
        {
            Ok(path)
        } else {
            Err(SnapError::NotFound {
                kind: "snapshot",
                name: id.to_string(),
            })
        }
    }

    /// Removes what a failed create or clone left at `dst` (the reflink staging tree, or
    /// the btrfs subvolume) and the record written for it.
    fn discard(&self, dst: &Path, record: &Path) {
        let _ = fs::remove_file(record);
        match self.cfg.kind {
            LocalKind::Reflink => {
                let _ = tree::remove_tree(&hidden(dst, PARTIAL));
            }
            LocalKind::Btrfs => {
                let _ = self.btrfs.delete(dst);
            }
        }
    }

    fn drop_snapshot(&self, id: &str) -> Result<(), SnapError> {
        let _lock = self.lock()?;
        let path = self.existing_snapshot(id)?;
        let clones = self
            .clone_records()?
            .iter()
            .filter(|c| c.snapshot == id)
            .count();
        if clones > 0 {
            return Err(SnapError::HasClones {
                snapshot: id.to_string(),
                clones: u32::try_from(clones).unwrap_or(u32::MAX),
            });
        }
        self.retire(&path)?;
        let record = self.snapshot_record_path(id);
        fs::remove_file(&record).map_err(|e| io_error("cannot remove", &record, &e))?;
        sync_dir(&self.snapdir());
        Ok(())
    }

    fn clone_snapshot(&self, snapshot: &str, clone_name: &str) -> Result<CloneInfo, SnapError> {
        check_name("clone", clone_name)?;
        let _lock = self.lock()?;
        let src = self.existing_snapshot(snapshot)?;
        if clone_name == self.db() {
            return Err(SnapError::AlreadyExists {
                kind: "filesystem",
                name: clone_name.to_string(),
            });
        }
        let dir = self.cfg.clonedir.clone();
        mkdirs(&dir)?;
        self.sweep(&dir);
        let dst = dir.join(clone_name);
        if exists(&dst) || exists(&self.clone_record_path(clone_name)) {
            return Err(SnapError::AlreadyExists {
                kind: "clone",
                name: clone_name.to_string(),
            });
        }
        self.make_copy(&src, &dst, false)?;
        let record = CloneRecord {
            format_version: 1,
            database: self.db().to_string(),
            snapshot: snapshot.to_string(),
            clone: clone_name.to_string(),
            created: Utc::now(),
        };
        let record_path = self.clone_record_path(clone_name);
        if let Err(e) = write_record(&record_path, &record).and_then(|()| self.publish(&dst)) {
            self.discard(&dst, &record_path);
            return Err(e);
        }
        Ok(CloneInfo {
            name: clone_name.to_string(),
            origin: snapshot.to_string(),
            mount_point: dst.display().to_string(),
        })
    }

    fn drop_clone(&self, clone_name: &str) -> Result<(), SnapError> {
        if clone_name == self.db() {
            return Err(SnapError::NotOurClone {
                name: clone_name.to_string(),
                reason: format!(
                    "it is the database's backup area {}, not a clone",
                    self.cfg.area.display()
                ),
            });
        }
        let not_found = || SnapError::NotFound {
            kind: "clone",
            name: clone_name.to_string(),
        };
        if check_name("clone", clone_name).is_err() {
            return Err(not_found());
        }
        let _lock = self.lock()?;
        let path = self.cfg.clonedir.join(clone_name);
        let record_path = self.clone_record_path(clone_name);
        let record = read_record::<CloneRecord>(&record_path)?;
        match (&record, path.is_dir()) {
            (None, false) => return Err(not_found()),
            (Some(_), false) => {
                // The record outlived its clone (an interrupted drop): finish the drop.
                fs::remove_file(&record_path)
                    .map_err(|e| io_error("cannot remove", &record_path, &e))?;
                return Err(not_found());
            }
            (None, true) => {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: format!(
                        "{} has no clone record {}: it was not made by this tool",
                        path.display(),
                        record_path.display()
                    ),
                })
            }
            (Some(r), true) if r.database != self.db() => {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: format!("it is a clone of {}, not of {}", r.database, self.db()),
                })
            }
            (Some(_), true) => {}
        }
        if self.cfg.kind == LocalKind::Btrfs && !is_subvolume(&path).unwrap_or(false) {
            return Err(SnapError::NotOurClone {
                name: clone_name.to_string(),
                reason: format!("{} is not a btrfs subvolume", path.display()),
            });
        }
        self.retire(&path)?;
        fs::remove_file(&record_path).map_err(|e| io_error("cannot remove", &record_path, &e))?;
        sync_dir(&self.cfg.clonedir);
        Ok(())
    }

    fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError> {
        Ok(self
            .clone_records()?
            .into_iter()
            .map(|c| CloneInfo {
                mount_point: self.cfg.clonedir.join(&c.clone).display().to_string(),
                name: c.clone,
                origin: c.snapshot,
            })
            .collect())
    }

    fn filesystem_info(&self, name: Option<&str>) -> Result<FilesystemInfo, SnapError> {
        match name {
            None => self.own_filesystem(),
            Some(n) if n == self.db() => self.own_filesystem(),
            Some(n) => {
                let not_found = || SnapError::NotFound {
                    kind: "filesystem",
                    name: n.to_string(),
                };
                if check_name("filesystem", n).is_err() {
                    return Err(not_found());
                }
                let path = self.cfg.clonedir.join(n);
                let record = read_record::<CloneRecord>(&self.clone_record_path(n))?;
                match record {
                    Some(r) if path.is_dir() => Ok(FilesystemInfo {
                        name: n.to_string(),
                        mount_point: path.display().to_string(),
                        origin: Some(CloneOrigin {
                            filesystem: r.database,
                            snapshot: r.snapshot,
                        }),
                    }),
                    _ if path.is_dir() => Ok(FilesystemInfo {
                        name: n.to_string(),
                        mount_point: path.display().to_string(),
                        origin: None,
                    }),
                    _ => Err(not_found()),
                }
            }
        }
    }

    fn own_filesystem(&self) -> Result<FilesystemInfo, SnapError> {
        self.check_area()?;
        Ok(FilesystemInfo {
            name: self.db().to_string(),
            mount_point: self.cfg.area.display().to_string(),
            origin: None,
        })
    }

    fn create_volume(&self) -> Result<FilesystemInfo, SnapError> {
        let area = &self.cfg.area;
        if exists(area) {
            return Err(SnapError::AlreadyExists {
                kind: "filesystem",
                name: format!("{} (backup area {})", self.db(), area.display()),
            });
        }
        if let Some(parent) = area.parent() {
            mkdirs(parent)?;
        }
        match self.cfg.kind {
            LocalKind::Reflink => {
                fs::create_dir(area).map_err(|e| io_error("cannot create directory", area, &e))?
            }
            LocalKind::Btrfs => self.btrfs.create(area)?,
        }
        mkdirs(&self.snapdir())?;
        mkdirs(&self.cfg.clonedir)?;
        self.own_filesystem()
    }
}

#[async_trait]
impl SnapHandler for LocalSnapper {
    fn backend(&self) -> &str {
        self.inner.cfg.kind.as_str()
    }

    fn database(&self) -> &str {
        &self.inner.cfg.database
    }

    async fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError> {
        self.blocking(|i| i.list_snapshots()).await
    }

    async fn create_snapshot(&self, name: &str) -> Result<String, SnapError> {
        let name = name.to_string();
        self.blocking(move |i| i.create_snapshot(&name)).await
    }

    async fn drop_snapshot(&self, id: &str) -> Result<(), SnapError> {
        let id = id.to_string();
        self.blocking(move |i| i.drop_snapshot(&id)).await
    }

    async fn clone_snapshot(
        &self,
        snapshot: &str,
        clone_name: &str,
    ) -> Result<CloneInfo, SnapError> {
        let (snapshot, clone_name) = (snapshot.to_string(), clone_name.to_string());
        self.blocking(move |i| i.clone_snapshot(&snapshot, &clone_name))
            .await
    }

    async fn drop_clone(&self, clone_name: &str) -> Result<(), SnapError> {
        let clone_name = clone_name.to_string();
        self.blocking(move |i| i.drop_clone(&clone_name)).await
    }

    async fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError> {
        self.blocking(|i| i.list_clones()).await
    }

    async fn filesystem_info(&self, name: Option<&str>) -> Result<FilesystemInfo, SnapError> {
        let name = name.map(str::to_string);
        self.blocking(move |i| i.filesystem_info(name.as_deref()))
            .await
    }

    async fn mount_string(&self, name: &str) -> Result<String, SnapError> {
        let name = name.to_string();
        self.blocking(move |i| i.filesystem_info(Some(&name)).map(|fs| fs.mount_point))
            .await
    }

    async fn create_volume(&self) -> Result<FilesystemInfo, SnapError> {
        self.blocking(|i| i.create_volume()).await
    }

    fn is_local(&self) -> bool {
        true
    }

    fn snapshot_path(&self, name: &str, _mounted_at: &Path) -> Result<PathBuf, SnapError> {
        check_name("snapshot", name)?;
        let path = self.snapshot_dir(name);
        if path.is_dir() {
            Ok(path)
        } else {
            Err(SnapError::NotFound {
                kind: "snapshot",
                name: name.to_string(),
            })
        }
    }
}

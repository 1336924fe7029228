//! An in-memory [`SnapHandler`]: a storage system of named filesystems with snapshots and
//! clones, held in process memory. For tests, examples and embedding; it behaves like the
//! appliances do (a snapshot with clones cannot be dropped, a clone is a filesystem whose
//! origin is a snapshot, names are unique) and records every call it receives.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{CloneInfo, CloneOrigin, FilesystemInfo, SnapError, SnapHandler, SnapshotInfo};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Debug, Clone)]
struct Filesystem {
    origin: Option<CloneOrigin>,
    snapshots: Vec<SnapshotInfo>,
}

#[derive(Default)]
struct State {
    filesystems: BTreeMap<String, Filesystem>,
    calls: Vec<String>,
    failures: Vec<(String, SnapError)>,
}

/// The shared storage: several handlers (one per database) can work on one.
#[derive(Clone)]
pub struct MemoryStorage {
    state: Arc<Mutex<State>>,
    clock: Clock,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStorage").finish_non_exhaustive()
    }
}

impl MemoryStorage {
    /// An empty storage whose clock is the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(Utc::now))
    }

    /// An empty storage with its own clock (snapshot creation times come from it).
    pub fn with_clock(clock: Clock) -> Self {
        MemoryStorage {
            state: Arc::new(Mutex::new(State::default())),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every change is one step).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A handler for `db`, creating its filesystem if it does not exist.
    pub fn handler(&self, db: &str) -> MemorySnapHandler {
        self.lock()
            .filesystems
            .entry(db.to_string())
            .or_insert_with(|| Filesystem {
                origin: None,
                snapshots: Vec::new(),
            });
        MemorySnapHandler {
            storage: self.clone(),
            db: db.to_string(),
        }
    }

    /// Adds a snapshot with chosen fields to `db`'s filesystem (for retention scenarios).
    pub fn insert_snapshot(&self, db: &str, snapshot: SnapshotInfo) {
        let mut st = self.lock();
        let fs = st.filesystems.entry(db.to_string()).or_insert(Filesystem {
            origin: None,
            snapshots: Vec::new(),
        });
        fs.snapshots.push(snapshot);
    }

    /// Makes the next call of `operation` (a [`SnapHandler`] method name, e.g.
    /// `drop_snapshot`) whose argument is `arg` (or any argument, when `arg` is empty) fail.
    pub fn fail_next(&self, operation: &str, arg: &str, error: SnapError) {
        let key = format!("{operation} {arg}");
        self.lock()
            .failures
            .push((key.trim_end().to_string(), error));
    }

    /// Every call received, in order, as `method arg...`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// Snapshot ids of `db`'s filesystem, in creation order.
    pub fn snapshot_ids(&self, db: &str) -> Vec<String> {
        self.lock()
            .filesystems
            .get(db)
            .map(|fs| fs.snapshots.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default()
    }
}

/// A [`SnapHandler`] for one database on a [`MemoryStorage`].
#[derive(Debug, Clone)]
pub struct MemorySnapHandler {
    storage: MemoryStorage,
    db: String,
}

impl MemorySnapHandler {
    /// A handler on a new, private storage.
    pub fn new(db: &str) -> Self {
        MemoryStorage::new().handler(db)
    }

    /// The storage behind this handler.
    pub fn storage(&self) -> &MemoryStorage {
        &self.storage
    }

    /// Records the call and returns the injected failure for it, if any.
    fn enter(&self, operation: &str, args: &[&str]) -> Result<MutexGuard<'_, State>, SnapError> {
        let mut st = self.storage.lock();
        let call = std::iter::once(operation)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        st.calls.push(call.clone());
        let hit = st
            .failures
            .iter()
            .position(|(key, _)| *key == call || *key == operation);
        if let Some(pos) = hit {
            return Err(st.failures.remove(pos).1);
        }
        Ok(st)
    }
}

fn mount_point(name: &str) -> String {
    format!("/export/{name}")
}

fn clone_count(st: &State, fs: &str, snapshot: &str) -> u32 {
    let n = st
        .filesystems
        .values()
        .filter(|f| {
            f.origin
                .as_ref()
                .is_some_and(|o| o.filesystem == fs && o.snapshot == snapshot)
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn own<'a>(st: &'a mut State, db: &str) -> Result<&'a mut Filesystem, SnapError> {
    st.filesystems
        .get_mut(db)
        .ok_or_else(|| SnapError::NotFound {
            kind: "filesystem",
            name: db.to_string(),
        })
}

#[async_trait]
impl SnapHandler for MemorySnapHandler {
    fn backend(&self) -> &str {
        "memory"
    }

    fn database(&self) -> &str {
        &self.db
    }

    async fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError> {
        let mut st = self.enter("list_snapshots", &[])?;
        let snaps = own(&mut st, &self.db)?.snapshots.clone();
        Ok(snaps
            .into_iter()
            .map(|mut s| {
                s.clones = s.clones.max(clone_count(&st, &self.db, &s.id));
                s
            })
            .collect())
    }

    async fn create_snapshot(&self, name: &str) -> Result<String, SnapError> {
        let now = (self.storage.clock)();
        let mut st = self.enter("create_snapshot", &[name])?;
        let fs = own(&mut st, &self.db)?;
        if fs.snapshots.iter().any(|s| s.id == name) {
            return Err(SnapError::AlreadyExists {
                kind: "snapshot",
                name: name.to_string(),
            });
        }
        fs.snapshots.push(SnapshotInfo {
            id: name.to_string(),
            created: now,
            clones: 0,
            space_total: 0,
            space_unique: 0,
        });
        Ok(name.to_string())
    }

    async fn drop_snapshot(&self, id: &str) -> Result<(), SnapError> {
        let mut st = self.enter("drop_snapshot", &[id])?;
        let clones = clone_count(&st, &self.db, id);
        let fs = own(&mut st, &self.db)?;
        let pos = fs
            .snapshots
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| SnapError::NotFound {
                kind: "snapshot",
                name: id.to_string(),
            })?;
        let clones = clones.max(fs.snapshots[pos].clones);
        if clones > 0 {
            return Err(SnapError::HasClones {
                snapshot: id.to_string(),
                clones,
            });
        }
        fs.snapshots.remove(pos);
        Ok(())
    }

    async fn clone_snapshot(
        &self,
        snapshot: &str,
        clone_name: &str,
    ) -> Result<CloneInfo, SnapError> {
        let mut st = self.enter("clone_snapshot", &[snapshot, clone_name])?;
        if !own(&mut st, &self.db)?
            .snapshots
            .iter()
            .any(|s| s.id == snapshot)
        {
            return Err(SnapError::NotFound {
                kind: "snapshot",
                name: snapshot.to_string(),
            });
        }
        if st.filesystems.contains_key(clone_name) {
            return Err(SnapError::AlreadyExists {
                kind: "filesystem",
                name: clone_name.to_string(),
            });
        }
        st.filesystems.insert(
            clone_name.to_string(),
            Filesystem {
                origin: Some(CloneOrigin {
                    filesystem: self.db.clone(),
                    snapshot: snapshot.to_string(),
                }),
                snapshots: Vec::new(),
            },
        );
        Ok(CloneInfo {
            name: clone_name.to_string(),
            origin: snapshot.to_string(),
            mount_point: mount_point(clone_name),
        })
    }

    async fn drop_clone(&self, clone_name: &str) -> Result<(), SnapError> {
        let mut st = self.enter("drop_clone", &[clone_name])?;
        let fs = st
            .filesystems
            .get(clone_name)
            .ok_or_else(|| SnapError::NotFound {
                kind: "clone",
                name: clone_name.to_string(),
            })?;
        match &fs.origin {
            Some(o) if o.filesystem == self.db => {}
            Some(o) => {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: format!("it is a clone of {}, not of {}", o.filesystem, self.db),
                })
            }
            None => {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: "it is not a clone".to_string(),
                })
            }
        }
        if !fs.snapshots.is_empty() {
            return Err(SnapError::HasClones {
                snapshot: clone_name.to_string(),
                clones: u32::try_from(fs.snapshots.len()).unwrap_or(u32::MAX),
            });
        }
        st.filesystems.remove(clone_name);
        Ok(())
    }

    async fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError> {
        let st = self.enter("list_clones", &[])?;
        Ok(st
            .filesystems
            .iter()
            .filter_map(|(name, fs)| {
                fs.origin
                    .as_ref()
                    .filter(|o| o.filesystem == self.db)
                    .map(|o| CloneInfo {
                        name: name.clone(),
                        origin: o.snapshot.clone(),
                        mount_point: mount_point(name),
                    })
            })
            .collect())
    }

    async fn filesystem_info(&self, name: Option<&str>) -> Result<FilesystemInfo, SnapError> {
        let name = name.unwrap_or(&self.db);
        let st = self.enter("filesystem_info", &[name])?;
        let fs = st
            .filesystems
            .get(name)
            .ok_or_else(|| SnapError::NotFound {
                kind: "filesystem",
                name: name.to_string(),
            })?;
        Ok(FilesystemInfo {
            name: name.to_string(),
            mount_point: mount_point(name),
            origin: fs.origin.clone(),
        })
    }

    async fn mount_string(&self, name: &str) -> Result<String, SnapError> {
        let st = self.enter("mount_string", &[name])?;
        if !st.filesystems.contains_key(name) {
            return Err(SnapError::NotFound {
                kind: "filesystem",
                name: name.to_string(),
            });
        }
        Ok(format!("memory:{}", mount_point(name)))
    }

    async fn create_volume(&self) -> Result<FilesystemInfo, SnapError> {
        let mut st = self.enter("create_volume", &[])?;
        if st.filesystems.contains_key(&self.db) {
            return Err(SnapError::AlreadyExists {
                kind: "filesystem",
                name: self.db.clone(),
            });
        }
        st.filesystems.insert(
            self.db.clone(),
            Filesystem {
                origin: None,
                snapshots: Vec::new(),
            },
        );
        Ok(FilesystemInfo {
            name: self.db.clone(),
            mount_point: mount_point(&self.db),
            origin: None,
        })
    }
}

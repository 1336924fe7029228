//! Handlers on the scratch filesystems of `storage_fakes::loopfs`.

#![allow(dead_code, unused_imports, clippy::unwrap_used)]

pub use storage_fakes::loopfs::{fingerprint, overwrite_in_place, write_pattern, Fs, Scratch};

use backupcore::snap::SnapHandler;
use snapper_local::{LocalConfig, LocalKind, LocalSnapper};

/// Settings for `db` under a new `backupdest` of `fs` (snapshots and clones beside the areas).
pub fn config(fs: &Scratch, kind: LocalKind, db: &str) -> LocalConfig {
    LocalConfig::new(kind, db, &fs.backupdest())
}

/// A handler on a fresh backup area of `fs` (made with `create_volume`).
pub async fn fresh(fs: &Scratch, kind: LocalKind, db: &str) -> LocalSnapper {
    let h = LocalSnapper::new(config(fs, kind, db));
    h.create_volume().await.unwrap();
    h
}

/// Boxes a handler for the conformance suite.
pub fn boxed(h: LocalSnapper) -> Box<dyn SnapHandler> {
    Box::new(h)
}

//! Local copy-on-write backends (reflink directories, btrfs) for [backupcore::snap::SnapHandler].
//!
//! This crate is part of the workspace layout; its capability is being built.

//! Oracle ZFS Storage Appliance backend for [backupcore::snap::SnapHandler].
//!
//! This crate is part of the workspace layout; its capability is being built.

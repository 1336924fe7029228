//! The shared `SnapHandler` conformance suite for both local backends, on real filesystems:
//! loop-mounted XFS with reflink and btrfs (made and unmounted by the test), and the plain
//! filesystem of the machine (where reflink may be unavailable: the full-copy fallback).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use backupcore::snap::conformance;
use common::{boxed, Fs, Scratch};
use snapper_local::LocalKind;

async fn suite(fs: &Scratch, kind: LocalKind) {
    conformance::run_all(|| async { boxed(common::fresh(fs, kind, "orcl").await) }).await;
}

#[tokio::test]
async fn reflink_on_xfs_with_reflink() {
    suite(&Scratch::new(Fs::Xfs, 1024), LocalKind::Reflink).await;
}

#[tokio::test]
async fn reflink_on_btrfs() {
    suite(&Scratch::new(Fs::Btrfs, 1024), LocalKind::Reflink).await;
}

#[tokio::test]
async fn btrfs_subvolumes_on_btrfs() {
    suite(&Scratch::new(Fs::Btrfs, 1024), LocalKind::Btrfs).await;
}

#[tokio::test]
async fn reflink_on_the_plain_filesystem() {
    suite(&Scratch::new(Fs::Plain, 0), LocalKind::Reflink).await;
}

#[tokio::test]
async fn reflink_on_tmpfs_full_copy_fallback() {
    suite(&Scratch::new(Fs::Tmpfs, 256), LocalKind::Reflink).await;
}

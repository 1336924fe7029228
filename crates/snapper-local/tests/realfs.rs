//! Behaviour on real filesystems: snapshots never change while the live copies are merged
//! into in place; ten snapshots of a 256 MiB area with 1% change between them cost about
//! 256 MiB plus the changes; the full-copy fallback and `requirereflink`; what a crash
//! leaves behind is never listed and is cleaned up.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use backupcore::snap::{SnapError, SnapHandler};
use common::{fingerprint, overwrite_in_place, write_pattern, Fs, Scratch};
use snapper_local::{LocalKind, LocalSnapper, SnapshotRecord};

const MIB: u64 = 1 << 20;

/// A snapshot's files keep their contents while the live files are overwritten in place,
/// appended to, truncated and removed, and cannot be written by an ordinary user's mistake.
async fn snapshot_is_frozen(fs: &Scratch, kind: LocalKind) {
    let h = common::fresh(fs, kind, "orcl").await;
    let area = h.config().area.clone();
    std::fs::create_dir(area.join("datafile")).unwrap();
    let copy = area.join("datafile/data_D-ORCL_I-1_TS-USERS_FNO-4_x");
    write_pattern(&copy, 8 * MIB, 4);
    write_pattern(&area.join("datafile/gone.dbf"), MIB, 5);
    std::fs::write(area.join("autorestore.cfg"), "[dbparams]\nlastscn: 100\n").unwrap();
    let before = fingerprint(&copy);

    let id = h.create_snapshot("orcl-20261121T101500").await.unwrap();
    // RMAN's merge: blocks rewritten in place, the file grown; other files go.
    overwrite_in_place(&copy, 3 * MIB + 8192, 8192, 0xAB);
    overwrite_in_place(&copy, 0, 512, 0xCD);
    overwrite_in_place(&copy, 8 * MIB, 8192, 0xEF);
    std::fs::remove_file(area.join("datafile/gone.dbf")).unwrap();
    std::fs::write(area.join("autorestore.cfg"), "[dbparams]\nlastscn: 200\n").unwrap();

    let snap = h.snapshot_dir(&id);
    let frozen = snap.join("datafile/data_D-ORCL_I-1_TS-USERS_FNO-4_x");
    assert_eq!(fingerprint(&frozen), before, "{kind:?} on {:?}", fs.fs);
    assert_ne!(fingerprint(&copy), before);
    assert!(snap.join("datafile/gone.dbf").is_file());
    assert_eq!(
        std::fs::read_to_string(snap.join("autorestore.cfg")).unwrap(),
        "[dbparams]\nlastscn: 100\n"
    );
    // Nothing in a snapshot is writable by mode (btrfs: the subvolume is read-only, even for
    // root).
    let meta = std::fs::metadata(&frozen).unwrap();
    if kind == LocalKind::Reflink {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            meta.permissions().mode() & 0o222,
            0,
            "snapshot file writable"
        );
    }
    // As root (these tests' user): immutable (reflink) or a read-only subvolume (btrfs), so
    // not even root writes, renames or removes anything in a snapshot.
    assert!(
        std::fs::OpenOptions::new()
            .write(true)
            .open(&frozen)
            .is_err(),
        "snapshot file opened for writing"
    );
    assert!(
        std::fs::remove_file(&frozen).is_err(),
        "snapshot file removed"
    );
    assert!(
        std::fs::write(snap.join("new-file"), b"x").is_err(),
        "file created in a snapshot"
    );
    // A clone is a writable copy of the snapshot, independent of it.
    let clone = h.clone_snapshot(&id, "orcl_autorestore").await.unwrap();
    let cloned = Path::new(&clone.mount_point).join("datafile/data_D-ORCL_I-1_TS-USERS_FNO-4_x");
    assert_eq!(fingerprint(&cloned), before);
    overwrite_in_place(&cloned, MIB, 8192, 0x11);
    assert_eq!(
        fingerprint(&frozen),
        before,
        "writing the clone changed the snapshot"
    );
    h.drop_clone("orcl_autorestore").await.unwrap();
    h.drop_snapshot(&id).await.unwrap();
    assert!(!snap.exists());
}

#[tokio::test]
async fn frozen_reflink_on_xfs() {
    snapshot_is_frozen(&Scratch::new(Fs::Xfs, 512), LocalKind::Reflink).await;
}

#[tokio::test]
async fn frozen_btrfs_subvolumes() {
    snapshot_is_frozen(&Scratch::new(Fs::Btrfs, 512), LocalKind::Btrfs).await;
}

#[tokio::test]
async fn frozen_reflink_on_btrfs() {
    snapshot_is_frozen(&Scratch::new(Fs::Btrfs, 512), LocalKind::Reflink).await;
}

#[tokio::test]
async fn frozen_full_copies_on_the_plain_filesystem() {
    snapshot_is_frozen(&Scratch::new(Fs::Plain, 0), LocalKind::Reflink).await;
}

/// Ten snapshots of a 256 MiB area, 1% of it (40 x 64 KiB) rewritten in place after each.
async fn ten_snapshots_cost_the_changes(fs: &Scratch, kind: LocalKind) {
    const FILES: u64 = 8;
    const FILE: u64 = 32 * MIB;
    const CHUNK: u64 = 64 * 1024;
    const CHUNKS: u64 = 40; // 2.5 MiB = 1% of 256 MiB
    let h = common::fresh(fs, kind, "orcl").await;
    let area = h.config().area.clone();
    let empty = fs.used_bytes();
    for f in 0..FILES {
        write_pattern(&area.join(format!("copy{f}.dbf")), FILE, f + 1);
    }
    let with_area = fs.used_bytes();
    let area_cost = with_area.saturating_sub(empty);
    assert!(
        (250 * MIB..300 * MIB).contains(&area_cost),
        "the area itself uses {} MiB",
        area_cost / MIB
    );
    let changed = CHUNKS * CHUNK;
    // The model: which version of each rewritten chunk the live area and each snapshot hold.
    let mut live: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let mut held: Vec<BTreeMap<(u64, u64), u64>> = Vec::new();
    for round in 0..10u64 {
        h.create_snapshot(&format!("orcl-20261121T1015{round:02}"))
            .await
            .unwrap();
        held.push(live.clone());
        // Chunks spread over the files, as a merge of changed blocks.
        for c in 0..CHUNKS {
            let f = c % FILES;
            let chunk = ((round * CHUNKS + c) * 7919) % (FILE / CHUNK);
            overwrite_in_place(
                &area.join(format!("copy{f}.dbf")),
                chunk * CHUNK,
                CHUNK as usize,
                round as u8,
            );
            live.insert((f, chunk), round + 1);
        }
    }
    let used = fs.used_bytes().saturating_sub(empty);
    let expected = 256 * MIB + 10 * changed;
    println!(
        "{kind:?} on {:?}: 10 snapshots of a 256 MiB area with 1% change: {} MiB used (area + changes = {} MiB; full copies would be {} MiB)",
        fs.fs,
        used / MIB,
        expected / MIB,
        11 * 256
    );
    assert!(
        used < expected + 48 * MIB,
        "{} MiB used, expected about {} MiB",
        used / MIB,
        expected / MIB
    );

    // The listing tells the same story: each snapshot refers to 256 MiB, and holds alone
    // exactly the chunk versions no other snapshot and not the live area hold (version 0,
    // the original data, of a chunk absent from a map).
    let version = |m: &BTreeMap<(u64, u64), u64>, k: &(u64, u64)| m.get(k).copied().unwrap_or(0);
    let snaps = backupcore::snap::ops::list_sorted(&h).await.unwrap();
    assert_eq!(snaps.len(), 10);
    let mut total_unique = 0;
    for (i, s) in snaps.iter().enumerate() {
        let alone = live
            .keys()
            .filter(|k| {
                let v = version(&held[i], k);
                v != version(&live, k)
                    && held
                        .iter()
                        .enumerate()
                        .all(|(j, other)| j == i || version(other, k) != v)
            })
            .count() as u64;
        assert_eq!(
            s.space_total,
            256 * MIB,
            "{}: total {} bytes",
            s.id,
            s.space_total
        );
        assert_eq!(
            s.space_unique,
            alone * CHUNK,
            "{}: unique {} KiB, the model says {} KiB",
            s.id,
            s.space_unique / 1024,
            alone * CHUNK / 1024
        );
        total_unique += s.space_unique;
    }
    assert!(total_unique > 0, "no snapshot holds anything alone");
}

#[tokio::test]
async fn ten_snapshots_reflink_on_xfs() {
    ten_snapshots_cost_the_changes(&Scratch::new(Fs::Xfs, 4096), LocalKind::Reflink).await;
}

#[tokio::test]
async fn ten_snapshots_btrfs_subvolumes() {
    ten_snapshots_cost_the_changes(&Scratch::new(Fs::Btrfs, 4096), LocalKind::Btrfs).await;
}

#[tokio::test]
async fn full_copy_fallback_and_requirereflink_on_tmpfs() {
    let fs = Scratch::new(Fs::Tmpfs, 64);
    let h = common::fresh(&fs, LocalKind::Reflink, "orcl").await;
    write_pattern(&h.config().area.join("a.dbf"), MIB, 1);
    let id = h.create_snapshot("orcl-1").await.unwrap();
    let rec: SnapshotRecord = serde_json::from_slice(
        &std::fs::read(h.snapshot_dir(&id).with_extension("snapshot.json")).unwrap(),
    )
    .unwrap();
    assert!(!rec.reflinked, "tmpfs cannot reflink");
    assert_eq!((rec.files, rec.bytes), (1, MIB));
    let s = &h.list_snapshots().await.unwrap()[0];
    assert_eq!(s.space_unique, s.space_total, "a full copy shares nothing");

    let mut cfg = h.config().clone();
    cfg.require_reflink = true;
    let strict = LocalSnapper::new(cfg);
    let err = strict.create_snapshot("orcl-2").await.unwrap_err();
    assert!(err.to_string().contains("requirereflink is set"), "{err}");
    // Nothing half-made is left or listed.
    let ids: Vec<String> = strict
        .list_snapshots()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec!["orcl-1".to_string()]);
    assert!(!h.snapshot_dir("orcl-2").exists());
    assert!(!h.snapshot_dir(".partial-orcl-2").exists());
}

#[tokio::test]
async fn crash_leftovers_are_not_listed_and_are_swept() {
    let fs = Scratch::new(Fs::Plain, 0);
    let h = common::fresh(&fs, LocalKind::Reflink, "orcl").await;
    std::fs::write(h.config().area.join("a.dbf"), b"x").unwrap();
    let snapdir = h.config().snapshots_of_db();
    std::fs::create_dir_all(snapdir.join(".partial-orcl-1")).unwrap();
    std::fs::create_dir_all(snapdir.join(".dropping-orcl-0")).unwrap();
    // A record whose directory never made it into place.
    std::fs::write(snapdir.join("orcl-9.snapshot.json"), b"{}").unwrap();
    assert!(h.list_snapshots().await.unwrap().is_empty());
    h.create_snapshot("orcl-2").await.unwrap();
    assert!(!snapdir.join(".partial-orcl-1").exists());
    assert!(!snapdir.join(".dropping-orcl-0").exists());
    assert_eq!(h.list_snapshots().await.unwrap().len(), 1);
}

#[tokio::test]
async fn names_cannot_leave_their_directories() {
    let fs = Scratch::new(Fs::Plain, 0);
    let h = common::fresh(&fs, LocalKind::Reflink, "orcl").await;
    for bad in ["../orcl-1", "a/b", ".hidden", "", ".."] {
        assert!(
            matches!(h.create_snapshot(bad).await, Err(SnapError::Config(_))),
            "{bad:?}"
        );
        assert!(matches!(
            h.drop_snapshot(bad).await,
            Err(SnapError::NotFound { .. })
        ));
        assert!(matches!(
            h.drop_clone(bad).await,
            Err(SnapError::NotFound { .. })
        ));
    }
    h.create_snapshot("orcl-1").await.unwrap();
    assert!(matches!(
        h.clone_snapshot("orcl-1", "../escape").await,
        Err(SnapError::Config(_))
    ));
}

#[tokio::test]
async fn a_directory_in_clonedir_without_our_record_is_not_dropped() {
    let fs = Scratch::new(Fs::Plain, 0);
    let h = common::fresh(&fs, LocalKind::Reflink, "orcl").await;
    let other = common::fresh(&fs, LocalKind::Reflink, "prod").await;
    let mut cfg = other.config().clone();
    cfg.clonedir = h.config().clonedir.clone();
    let other = LocalSnapper::new(cfg);
    std::fs::create_dir_all(h.config().clonedir.join("somebodys_data")).unwrap();
    let err = h.drop_clone("somebodys_data").await.unwrap_err();
    assert!(matches!(err, SnapError::NotOurClone { .. }), "{err}");
    assert!(h.config().clonedir.join("somebodys_data").is_dir());

    other.create_snapshot("prod-1").await.unwrap();
    other.clone_snapshot("prod-1", "prod_clone").await.unwrap();
    let err = h.drop_clone("prod_clone").await.unwrap_err();
    assert!(
        err.to_string().contains("clone of prod, not of orcl"),
        "{err}"
    );
    assert!(h.list_clones().await.unwrap().is_empty());
    assert_eq!(other.list_clones().await.unwrap().len(), 1);
}

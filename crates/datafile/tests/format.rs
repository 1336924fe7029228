//! Format-level tests: the published cache-header dump, rdba packing, the frmt block-size
//! class, every verdict from a crafted block, both byte orders, bigfile, identify().
#![allow(clippy::unwrap_used)]

use datafile::writer::{format_block, DatafileSpec};
use datafile::{
    block_checksum, block_size_for_format, check_block, format_for_block_size, identify, rdba,
    rdba_parts, BlockContext, ByteOrder, CacheHeader, FileKind, Overrides, Verdict,
    REASON_CONTROL_FILE, REASON_NOT_ORACLE, REASON_REDO_LOG,
};

/// The dump published in ixora's "Cache Header and Tail":
/// `rdba: 0x00400002 (1/2) scn: 0x0000.00e9ffb4 seq: 0x01 flg: 0x04 tail: 0xffb40e01
///  frmt: 0x02 chkval: 0xb31e type: 0x0e=KTU UNDO HEADER W/UNLIMITED EXTENTS`.
fn published_header_bytes(order: ByteOrder) -> Vec<u8> {
    let mut b = vec![0u8; 20];
    b[0] = 0x0e;
    b[1] = 0x02;
    let put32 = |b: &mut Vec<u8>, off: usize, v: u32| {
        let bytes = match order {
            ByteOrder::Little => v.to_le_bytes(),
            ByteOrder::Big => v.to_be_bytes(),
        };
        b[off..off + 4].copy_from_slice(&bytes);
    };
    put32(&mut b, 4, 0x0040_0002);
    put32(&mut b, 8, 0x00e9_ffb4);
    // wrap 0x0000 @12
    b[14] = 0x01;
    b[15] = 0x04;
    let chk = match order {
        ByteOrder::Little => 0xb31eu16.to_le_bytes(),
        ByteOrder::Big => 0xb31eu16.to_be_bytes(),
    };
    b[16..18].copy_from_slice(&chk);
    b
}

#[test]
fn published_dump_header_decodes_and_tail_matches() {
    for order in ByteOrder::ALL {
        let b = published_header_bytes(order);
        let h = CacheHeader::parse(&b, order).unwrap();
        assert_eq!(h.block_type, 0x0e);
        assert_eq!(h.format, 0x02);
        assert_eq!(h.rdba, 0x0040_0002);
        assert_eq!(h.scn, 0x0000_00e9_ffb4);
        assert_eq!(h.seq, 0x01);
        assert_eq!(h.flags, 0x04);
        assert!(h.has_checksum());
        assert_eq!(h.checksum, 0xb31e);
        assert_eq!(h.tail(), 0xffb4_0e01, "{order}");
        assert_eq!(rdba_parts(h.rdba), (1, 2));
        // Writing the header back gives the same bytes.
        let mut again = vec![0u8; 20];
        h.write(&mut again, order);
        assert_eq!(again, b);
    }
}

#[test]
fn other_published_tails() {
    // ixora 8.0 dump: rdba 0x004000f8 (1/248) scn 0x0000.0001ab63 seq 0x01 tail 0xab630601
    let h = CacheHeader {
        block_type: 0x06,
        format: 0x02,
        rdba: 0x0040_00f8,
        scn: 0x0001_ab63,
        seq: 1,
        flags: 0,
        checksum: 0,
    };
    assert_eq!(h.tail(), 0xab63_0601);
    assert_eq!(rdba_parts(0x0040_00f8), (1, 248));
    // itpub dump: rdba 0x024014ed (9/5357) scn 0x0000.000ec539 seq 0x02 tail 0xc5390602
    let h = CacheHeader {
        rdba: 0x0240_14ed,
        scn: 0x000e_c539,
        seq: 2,
        ..h
    };
    assert_eq!(h.tail(), 0xc539_0602);
    assert_eq!(rdba_parts(0x0240_14ed), (9, 5357));
    // A wrap does not enter the tail: scn 0x0b9d.470c59ab seq 4 type 2 -> 0x59ab0204.
    let h = CacheHeader {
        block_type: 0x02,
        scn: 0x0b9d_470c_59ab,
        seq: 4,
        ..h
    };
    assert_eq!(h.tail(), 0x59ab_0204);
}

#[test]
fn parse_needs_twenty_bytes() {
    assert!(CacheHeader::parse(&[0u8; 19], ByteOrder::Little).is_none());
    assert!(CacheHeader::parse(&[], ByteOrder::Big).is_none());
    assert!(CacheHeader::parse(&[0u8; 20], ByteOrder::Big).is_some());
}

#[test]
fn rdba_packing() {
    assert_eq!(rdba(1, 2), 0x0040_0002);
    assert_eq!(rdba(4, 1), 0x0100_0001);
    assert_eq!(rdba(63, 2), 0x0fc0_0002); // "rdba: 0x0fc00002 (63/2)"
    assert_eq!(rdba(1023, 0x3f_ffff), 0xffff_ffff);
    assert_eq!(rdba_parts(0xffff_ffff), (1023, 0x3f_ffff));
    for (f, b) in [(1u16, 1u32), (7, 12345), (1023, 4_194_303), (512, 0)] {
        assert_eq!(rdba_parts(rdba(f, b)), (f, b));
    }
    // Out-of-range inputs are masked.
    assert_eq!(rdba(1024, 1), 1);
    assert_eq!(rdba(1, 1 << 22), 0x0040_0000);
}

#[test]
fn frmt_block_size_class() {
    assert_eq!(format_for_block_size(8192), Some(0xa2));
    assert_eq!(format_for_block_size(4096), Some(0x82));
    assert_eq!(format_for_block_size(2048), Some(0x62));
    assert_eq!(format_for_block_size(16384), Some(0xc2));
    assert_eq!(format_for_block_size(32768), Some(0xe2));
    assert_eq!(format_for_block_size(512), Some(0x22));
    assert_eq!(format_for_block_size(65536), None);
    assert_eq!(format_for_block_size(3000), None);
    assert_eq!(format_for_block_size(0), None);
    for bs in [512u32, 1024, 2048, 4096, 8192, 16384, 32768] {
        assert_eq!(
            block_size_for_format(format_for_block_size(bs).unwrap()),
            Some(bs)
        );
    }
    assert_eq!(block_size_for_format(0x02), None);
    assert_eq!(block_size_for_format(0xa1), None);
    assert_eq!(block_size_for_format(0x00), None);
}

fn spec(bs: u32, order: ByteOrder, bigfile: bool) -> DatafileSpec {
    DatafileSpec {
        block_size: bs,
        byte_order: order,
        bigfile,
        relative_file_number: 7,
        blocks: 1000,
        ..DatafileSpec::default()
    }
}

fn ctx_of(s: &DatafileSpec) -> BlockContext {
    BlockContext {
        byte_order: s.byte_order,
        relative_file_number: if s.bigfile {
            1024
        } else {
            s.relative_file_number
        },
        bigfile: s.bigfile,
        block_size: s.block_size,
    }
}

fn block(s: &DatafileSpec, n: u64) -> Vec<u8> {
    let mut b = vec![0u8; s.block_size as usize];
    format_block(&mut b, s, n, 0x0123_4567_89ab, 6, 1, b"SCOTT TIGER rows");
    b
}

#[test]
fn every_verdict_from_a_crafted_block() {
    for order in ByteOrder::ALL {
        for bigfile in [false, true] {
            let s = spec(8192, order, bigfile);
            let ctx = ctx_of(&s);
            let good = block(&s, 5);
            assert_eq!(check_block(&good, 5, &ctx), Verdict::Ok);
            assert_eq!(block_checksum(&good), 0);

            assert_eq!(check_block(&[0u8; 8192], 5, &ctx), Verdict::Empty);

            // Checksum: flip a payload bit.
            let mut b = good.clone();
            b[100] ^= 0x10;
            match check_block(&b, 5, &ctx) {
                Verdict::ChecksumMismatch { stored, computed } => {
                    assert_ne!(stored, computed);
                    // Storing `computed` repairs the block.
                    let bytes = match order {
                        ByteOrder::Little => computed.to_le_bytes(),
                        ByteOrder::Big => computed.to_be_bytes(),
                    };
                    b[16..18].copy_from_slice(&bytes);
                    assert_eq!(check_block(&b, 5, &ctx), Verdict::Ok);
                }
                v => panic!("{v:?}"),
            }

            // Fractured: the tail's SCN bits differ.
            let mut b = good.clone();
            b[8191] ^= 0x01;
            let v = check_block(&b, 5, &ctx);
            assert!(matches!(v, Verdict::Fractured { .. }), "{v:?}");
            if let Verdict::Fractured { tail, expected } = v {
                assert_eq!(expected, 0x89ab_0601);
                assert_ne!(tail, expected);
            }

            // Wrong block: the block is good, but belongs at position 5.
            let v = check_block(&good, 6, &ctx);
            assert_eq!(
                v,
                Verdict::WrongBlock {
                    found_rdba: s.rdba_of(5),
                    expected_rdba: s.rdba_of(6),
                }
            );

            // Bad headers.
            let mut b = good.clone();
            b[1] = 0x42;
            assert!(matches!(
                check_block(&b, 5, &ctx),
                Verdict::BadHeader { .. }
            ));
            let mut b = good.clone();
            b[0] = 0;
            assert!(matches!(
                check_block(&b, 5, &ctx),
                Verdict::BadHeader { .. }
            ));
            assert!(matches!(
                check_block(&good[..4096], 5, &ctx),
                Verdict::BadHeader { .. }
            ));
            assert!(matches!(
                check_block(&good[..10], 5, &ctx),
                Verdict::BadHeader { .. }
            ));
            // frmt 0x02 (Oracle 8/9) is accepted with a fixed checksum.
            let mut b = good.clone();
            b[1] = 0x02;
            b[16] = 0;
            b[17] = 0;
            let c = block_checksum(&b);
            let c = if order == ByteOrder::Big {
                c.swap_bytes()
            } else {
                c
            };
            let bytes = match order {
                ByteOrder::Little => c.to_le_bytes(),
                ByteOrder::Big => c.to_be_bytes(),
            };
            b[16..18].copy_from_slice(&bytes);
            assert_eq!(check_block(&b, 5, &ctx), Verdict::Ok);

            // Marked corrupt.
            let mut b = vec![0u8; 8192];
            format_block(&mut b, &s, 5, 77, 6, 0xff, b"x");
            assert_eq!(check_block(&b, 5, &ctx), Verdict::MarkedCorrupt);
        }
    }
}

#[test]
fn no_checksum_flag_and_no_checksum_is_accepted() {
    let s = spec(4096, ByteOrder::Big, false);
    let ctx = ctx_of(&s);
    let mut b = block(&s, 9);
    b[15] = 0; // flag clear
    b[16] = 0; // chkval cleared, as Oracle does when it does not compute one
    b[17] = 0;
    assert_eq!(check_block(&b, 9, &ctx), Verdict::Ok);
    // A payload change then goes unnoticed (as in Oracle)...
    b[300] ^= 1;
    assert_eq!(check_block(&b, 9, &ctx), Verdict::Ok);
    // ...but a flag cleared by a bit flip with a checksum still stored is caught.
    let mut b = block(&s, 9);
    b[15] &= !0x04;
    assert!(matches!(
        check_block(&b, 9, &ctx),
        Verdict::ChecksumMismatch { .. }
    ));
}

#[test]
fn byte_order_matters() {
    let s = spec(8192, ByteOrder::Big, false);
    let b = block(&s, 5);
    let big = ctx_of(&s);
    let little = BlockContext {
        byte_order: ByteOrder::Little,
        ..big
    };
    assert_eq!(check_block(&b, 5, &big), Verdict::Ok);
    assert_ne!(check_block(&b, 5, &little), Verdict::Ok);
    // The rdba really is stored big-endian: file 7 block 5 = 0x01c00005.
    assert_eq!(&b[4..8], &[0x01, 0xc0, 0x00, 0x05]);
    // And the tail too: scn low bits 0x89ab, type 6, seq 1.
    assert_eq!(&b[8188..], &[0x89, 0xab, 0x06, 0x01]);
    let s = spec(8192, ByteOrder::Little, false);
    let b = block(&s, 5);
    assert_eq!(&b[4..8], &[0x05, 0x00, 0xc0, 0x01]);
    assert_eq!(&b[8188..], &[0x01, 0x06, 0xab, 0x89]);
}

#[test]
fn bigfile_rdba_is_the_block_number() {
    let s = spec(8192, ByteOrder::Little, true);
    let ctx = ctx_of(&s);
    let n = 5_000_000u64; // beyond the 22-bit smallfile range
    let mut b = vec![0u8; 8192];
    format_block(&mut b, &s, n, 99, 6, 1, b"big");
    assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()), 5_000_000);
    assert_eq!(check_block(&b, n, &ctx), Verdict::Ok);
    assert!(matches!(
        check_block(&b, n + 1, &ctx),
        Verdict::WrongBlock { .. }
    ));
    // A smallfile context rejects it.
    let small = BlockContext {
        bigfile: false,
        relative_file_number: 7,
        ..ctx
    };
    assert!(matches!(
        check_block(&b, n, &small),
        Verdict::WrongBlock { .. }
    ));
}

#[test]
fn unknown_relative_file_number_checks_block_part_only() {
    let s = spec(8192, ByteOrder::Little, false);
    let b = block(&s, 5);
    let ctx = BlockContext {
        relative_file_number: 0,
        ..ctx_of(&s)
    };
    assert_eq!(check_block(&b, 5, &ctx), Verdict::Ok);
    assert!(matches!(
        check_block(&b, 6, &ctx),
        Verdict::WrongBlock { .. }
    ));
}

#[test]
fn verdict_display_and_kind() {
    let v = Verdict::ChecksumMismatch {
        stored: 0x1234,
        computed: 0xabcd,
    };
    assert_eq!(
        v.to_string(),
        "checksum mismatch (stored 0x1234, computed 0xabcd)"
    );
    assert_eq!(v.kind(), "checksum_mismatch");
    let v = Verdict::WrongBlock {
        found_rdba: 0x0040_0002,
        expected_rdba: 0x0040_0003,
    };
    assert!(v.to_string().contains("(1/2)"), "{v}");
    assert_eq!(Verdict::Ok.to_string(), "ok");
    assert!(Verdict::MarkedCorrupt.is_failure());
    assert!(!Verdict::Empty.is_failure());
    assert_eq!(ByteOrder::Big.to_string(), "big-endian");
    assert_eq!(ByteOrder::Little.to_string(), "little-endian");
}

// ---- identify ------------------------------------------------------------------------

fn write_two_blocks(s: &DatafileSpec) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.dbf");
    datafile::writer::write_datafile(&p, s, |_| datafile::writer::BlockContent::Empty).unwrap();
    let all = std::fs::read(&p).unwrap();
    all[..(2 * s.block_size as usize).min(all.len())].to_vec()
}

#[test]
fn identify_our_datafiles() {
    for bs in [2048u32, 4096, 8192, 16384, 32768] {
        for order in ByteOrder::ALL {
            for bigfile in [false, true] {
                let s = DatafileSpec {
                    block_size: bs,
                    byte_order: order,
                    bigfile,
                    blocks: 3,
                    dbid: 0xdead_beef,
                    db_name: "PROD1".into(),
                    file_number: 12,
                    relative_file_number: 9,
                    tablespace: "APP_DATA".into(),
                    creation_scn: 0x0001_0000_0007,
                    checkpoint_scn: 0x0002_0032_366a,
                };
                let start = write_two_blocks(&s);
                let FileKind::Datafile(h) = identify(&start, &Overrides::default()) else {
                    panic!("not identified: {bs} {order} {bigfile}");
                };
                assert_eq!(h.byte_order, order);
                assert_eq!(h.block_size, bs);
                assert_eq!(h.blocks, 3);
                assert_eq!(h.dbid, 0xdead_beef);
                assert_eq!(h.db_name, "PROD1");
                assert_eq!(h.file_number, 12);
                assert_eq!(h.file_type, 3);
                assert_eq!(h.tablespace, "APP_DATA");
                assert_eq!(h.creation_scn, 0x0001_0000_0007);
                assert_eq!(h.checkpoint_scn, 0x0002_0032_366a);
                assert_eq!(h.bigfile, bigfile);
                assert_eq!(h.relative_file_number, if bigfile { 1024 } else { 9 });
                assert!(h.notes.is_empty(), "{:?}", h.notes);
                // Without block 0 the header is still found, with a note.
                let mut no_os = start.clone();
                no_os[..bs as usize].fill(0);
                let FileKind::Datafile(h2) = identify(&no_os, &Overrides::default()) else {
                    panic!("block 1 alone not identified: {bs} {order}");
                };
                assert_eq!(h2.byte_order, order);
                assert_eq!(h2.block_size, bs);
                assert_eq!(h2.notes.len(), 1);
            }
        }
    }
}

#[test]
fn identify_the_published_block0_layout() {
    // od -x of a 12.1 Linux system01.dbf block 0 (8192-byte blocks, 106240 blocks).
    let words: [u16; 16] = [
        0xa200, 0x0000, 0x0000, 0xffc0, 0, 0, 0, 0, 0x6567, 0x0000, 0x2000, 0x0000, 0x9f00, 0x0001,
        0x7c7d, 0x7a7b,
    ];
    let mut b0: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    b0.resize(8192, 0);
    // With only block 0 the file is a (truncated) datafile with 106240 blocks.
    let FileKind::Datafile(h) = identify(&b0, &Overrides::default()) else {
        panic!()
    };
    assert_eq!(h.block_size, 8192);
    assert_eq!(h.blocks, 106_240);
    assert_eq!(h.byte_order, ByteOrder::Little);
}

#[test]
fn identify_text_and_tiny_files() {
    let text = b"#!/bin/sh\necho hello\n".repeat(5000);
    assert_eq!(
        identify(&text, &Overrides::default()),
        FileKind::NotDatafile {
            reason: REASON_NOT_ORACLE.into()
        }
    );
    for len in [0usize, 1, 100, 511, 4096] {
        let kind = identify(&vec![0x41u8; len], &Overrides::default());
        assert_eq!(
            kind,
            FileKind::NotDatafile {
                reason: REASON_NOT_ORACLE.into()
            },
            "{len}"
        );
        let kind = identify(&vec![0u8; len], &Overrides::default());
        assert!(matches!(kind, FileKind::NotDatafile { .. }), "{len}");
    }
}

/// Block 0 of a redo log: 512-byte blocks, format 0x22 (as OpenLogReplicator checks).
fn redo_like(order: ByteOrder, bs: u32, frmt: u8) -> Vec<u8> {
    let mut b = vec![0u8; 2 * bs as usize];
    b[1] = frmt;
    let w = |v: u32| match order {
        ByteOrder::Little => v.to_le_bytes(),
        ByteOrder::Big => v.to_be_bytes(),
    };
    b[20..24].copy_from_slice(&w(bs));
    b[24..28].copy_from_slice(&w(102_400));
    b[28..32].copy_from_slice(&w(0x7a7b_7c7d));
    let h = bs as usize;
    b[h] = 0x01;
    b[h + 1] = frmt;
    b
}

#[test]
fn identify_archived_logs() {
    for order in ByteOrder::ALL {
        for (bs, frmt) in [(512u32, 0x22u8), (1024, 0x22), (4096, 0x82)] {
            assert_eq!(
                identify(&redo_like(order, bs, frmt), &Overrides::default()),
                FileKind::NotDatafile {
                    reason: REASON_REDO_LOG.into()
                },
                "{order} {bs}"
            );
        }
    }
}

#[test]
fn identify_control_file() {
    for order in ByteOrder::ALL {
        let s = DatafileSpec {
            block_size: 16384,
            byte_order: order,
            blocks: 1,
            ..DatafileSpec::default()
        };
        let mut start = write_two_blocks(&s);
        // Block 1 of a control file: type 0x15.
        start[16384] = 0x15;
        assert_eq!(
            identify(&start, &Overrides::default()),
            FileKind::NotDatafile {
                reason: REASON_CONTROL_FILE.into()
            }
        );
        // Without block 0 too.
        start[..16384].fill(0);
        assert_eq!(
            identify(&start, &Overrides::default()),
            FileKind::NotDatafile {
                reason: REASON_CONTROL_FILE.into()
            }
        );
    }
}

#[test]
fn identify_overrides() {
    let s = DatafileSpec {
        block_size: 4096,
        byte_order: ByteOrder::Big,
        blocks: 2,
        ..DatafileSpec::default()
    };
    let mut start = write_two_blocks(&s);
    // Destroy block 0: the override finds block 1 directly.
    start[..4096].fill(0xee);
    let ov = Overrides {
        block_size: Some(4096),
        byte_order: Some(ByteOrder::Big),
    };
    let FileKind::Datafile(h) = identify(&start, &ov) else {
        panic!()
    };
    assert_eq!(h.block_size, 4096);
    assert_eq!(h.byte_order, ByteOrder::Big);
    // A wrong byte-order override does not find it.
    let ov = Overrides {
        block_size: Some(4096),
        byte_order: Some(ByteOrder::Little),
    };
    assert!(matches!(
        identify(&start, &ov),
        FileKind::NotDatafile { .. }
    ));
}

#[test]
fn identify_damaged_block1_is_still_a_datafile() {
    let s = DatafileSpec {
        block_size: 8192,
        blocks: 10,
        ..DatafileSpec::default()
    };
    let mut start = write_two_blocks(&s);
    start[8192..16384].fill(0);
    let FileKind::Datafile(h) = identify(&start, &Overrides::default()) else {
        panic!()
    };
    assert_eq!(h.blocks, 10);
    assert_eq!(h.relative_file_number, 0);
    assert!(!h.notes.is_empty());
}

#[test]
fn identify_block0_with_garbage_block_size_falls_back_to_block1() {
    for order in ByteOrder::ALL {
        let s = DatafileSpec {
            block_size: 8192,
            byte_order: order,
            blocks: 5,
            ..DatafileSpec::default()
        };
        let mut start = write_two_blocks(&s);
        start[20..24].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
        let FileKind::Datafile(h) = identify(&start, &Overrides::default()) else {
            panic!()
        };
        assert_eq!(h.block_size, 8192);
        assert_eq!(h.byte_order, order);
        assert_eq!(h.blocks, 5);
        assert_eq!(h.notes.len(), 1, "{:?}", h.notes);
    }
}

#[test]
fn identify_notes_block0_block1_disagreement() {
    let s = DatafileSpec {
        block_size: 8192,
        blocks: 5,
        ..DatafileSpec::default()
    };
    let mut start = write_two_blocks(&s);
    start[24] = 9; // block 0 count 9, block 1 says 5
    let FileKind::Datafile(h) = identify(&start, &Overrides::default()) else {
        panic!()
    };
    assert_eq!(h.blocks, 5);
    assert_eq!(h.notes.len(), 1, "{:?}", h.notes);
}

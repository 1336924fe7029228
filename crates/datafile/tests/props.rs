//! Properties: writer blocks verify, single-bit flips are caught, parsers never panic,
//! the fast checksum equals a naive 16-bit-word XOR.
#![allow(clippy::unwrap_used)]

use datafile::writer::{format_block, DatafileSpec};
use datafile::{
    block_checksum, check_block, identify, BlockContext, ByteOrder, CacheHeader, FileKind,
    Overrides, Verdict, BLOCK_SIZES,
};
use proptest::prelude::*;

fn order_strategy() -> impl Strategy<Value = ByteOrder> {
    prop_oneof![Just(ByteOrder::Little), Just(ByteOrder::Big)]
}

fn bs_strategy() -> impl Strategy<Value = u32> {
    prop::sample::select(BLOCK_SIZES.to_vec())
}

#[derive(Debug, Clone)]
struct Case {
    spec: DatafileSpec,
    block: u64,
    scn: u64,
    block_type: u8,
    payload: Vec<u8>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        bs_strategy(),
        order_strategy(),
        any::<bool>(),
        1u32..=1023,
        any::<u64>(),
        any::<u64>(),
        1u8..=255,
        prop::collection::vec(any::<u8>(), 0..33000),
    )
        .prop_map(
            |(bs, order, bigfile, rfn, block, scn, block_type, payload)| {
                let block = if bigfile {
                    block % (u64::from(u32::MAX) + 1)
                } else {
                    block % (1 << 22)
                };
                Case {
                    spec: DatafileSpec {
                        block_size: bs,
                        byte_order: order,
                        bigfile,
                        relative_file_number: rfn,
                        ..DatafileSpec::default()
                    },
                    block,
                    scn,
                    block_type,
                    payload,
                }
            },
        )
}

fn ctx(spec: &DatafileSpec) -> BlockContext {
    BlockContext {
        byte_order: spec.byte_order,
        relative_file_number: spec.relative_file_number,
        bigfile: spec.bigfile,
        block_size: spec.block_size,
    }
}

fn build(c: &Case) -> Vec<u8> {
    let mut b = vec![0u8; c.spec.block_size as usize];
    format_block(&mut b, &c.spec, c.block, c.scn, c.block_type, 1, &c.payload);
    b
}

/// The reference: XOR of 16-bit little-endian words, a trailing odd byte as the low byte.
fn naive_checksum(b: &[u8]) -> u16 {
    let mut x = 0u16;
    let mut i = 0;
    while i < b.len() {
        let lo = b[i];
        let hi = if i + 1 < b.len() { b[i + 1] } else { 0 };
        x ^= u16::from_le_bytes([lo, hi]);
        i += 2;
    }
    x
}

proptest! {

    #[test]
    fn writer_blocks_verify_ok(c in case_strategy()) {
        let b = build(&c);
        prop_assert_eq!(check_block(&b, c.block, &ctx(&c.spec)), Verdict::Ok);
        prop_assert_eq!(block_checksum(&b), 0);
        let h = CacheHeader::parse(&b, c.spec.byte_order).unwrap();
        prop_assert_eq!(h.scn, c.scn & 0xffff_ffff_ffff);
        prop_assert_eq!(h.block_type, c.block_type);
        prop_assert_eq!(h.rdba, c.spec.rdba_of(c.block));
    }

    #[test]
    fn every_single_bit_flip_is_detected(c in case_strategy(), bit in any::<prop::sample::Index>()) {
        let b = build(&c);
        let nbits = b.len() * 8;
        let bit = bit.index(nbits);
        let mut d = b.clone();
        d[bit / 8] ^= 1 << (bit % 8);
        let v = check_block(&d, c.block, &ctx(&c.spec));
        prop_assert!(v.is_failure(), "bit {} gave {:?}", bit, v);
    }

    #[test]
    fn block_checksum_matches_naive(data in prop::collection::vec(any::<u8>(), 0..70000)) {
        prop_assert_eq!(block_checksum(&data), naive_checksum(&data));
        // Also on unaligned sub-slices.
        if data.len() > 3 {
            prop_assert_eq!(block_checksum(&data[1..]), naive_checksum(&data[1..]));
            prop_assert_eq!(block_checksum(&data[3..data.len() - 1]), naive_checksum(&data[3..data.len() - 1]));
        }
    }

    #[test]
    fn parsers_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..70000),
        order in order_strategy(),
        bs in prop_oneof![bs_strategy(), any::<u32>()],
        rfn in any::<u32>(),
        bigfile in any::<bool>(),
        block in any::<u64>(),
        ov_bs in proptest::option::of(prop_oneof![bs_strategy(), any::<u32>()]),
        ov_order in proptest::option::of(order_strategy()),
    ) {
        let _ = CacheHeader::parse(&data, order);
        let kind = identify(&data, &Overrides { block_size: ov_bs, byte_order: ov_order });
        if let FileKind::Datafile(h) = &kind {
            let c = BlockContext::for_header(h);
            let _ = check_block(&data, block, &c);
        }
        let _ = identify(&data, &Overrides::default());
        let c = BlockContext { byte_order: order, relative_file_number: rfn, bigfile, block_size: bs };
        let _ = check_block(&data, block, &c);
        let c = BlockContext { block_size: data.len() as u32, ..c };
        let _ = check_block(&data, block, &c);
    }

    #[test]
    fn identify_never_panics_on_mutated_datafile_starts(
        bs in bs_strategy(),
        order in order_strategy(),
        bigfile in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..64),
        cut in any::<prop::sample::Index>(),
    ) {
        let spec = DatafileSpec { block_size: bs, byte_order: order, bigfile, blocks: 2, ..DatafileSpec::default() };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.dbf");
        datafile::writer::write_datafile(&p, &spec, |_| datafile::writer::BlockContent::Empty).unwrap();
        let mut start = std::fs::read(&p).unwrap();
        start.truncate(2 * bs as usize);
        for (i, v) in flips {
            let i = i.index(start.len());
            start[i] = v;
        }
        let cut = cut.index(start.len() + 1);
        let _ = identify(&start[..cut], &Overrides::default());
        let _ = identify(&start, &Overrides::default());
    }
}

/// Not sampled: every bit of whole blocks, for each byte order and two block sizes.
#[test]
fn every_bit_of_a_block_exhaustively() {
    for order in [ByteOrder::Little, ByteOrder::Big] {
        for (bs, bigfile) in [(2048u32, false), (8192, true)] {
            let c = Case {
                spec: DatafileSpec {
                    block_size: bs,
                    byte_order: order,
                    bigfile,
                    relative_file_number: 513,
                    ..DatafileSpec::default()
                },
                block: 0x2a_bcde,
                scn: 0x0000_0b9d_470c_59ab,
                block_type: 6,
                payload: datafile::writer::row_payload(3, 9),
            };
            let b = build(&c);
            let cx = ctx(&c.spec);
            assert_eq!(check_block(&b, c.block, &cx), Verdict::Ok);
            let mut d = b.clone();
            for bit in 0..b.len() * 8 {
                d[bit / 8] ^= 1 << (bit % 8);
                let v = check_block(&d, c.block, &cx);
                assert!(v.is_failure(), "{order} {bs}: bit {bit} gave {v:?}");
                d[bit / 8] ^= 1 << (bit % 8);
            }
        }
    }
}

//! Datafile identification and block checks never panic, whatever the bytes.
#![no_main]

use datafile::{
    check_block, identify, BlockContext, ByteOrder, CacheHeader, FileKind, Overrides, BLOCK_SIZES,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks overrides and a context; the rest is the file start / block.
    let (sel, rest) = match data.split_first() {
        Some((s, r)) => (*s, r),
        None => (0, data),
    };
    let order = if sel & 1 == 0 {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
    let bs = BLOCK_SIZES[usize::from(sel >> 1) % BLOCK_SIZES.len()];
    let overrides = Overrides {
        block_size: (sel & 0x40 != 0).then_some(bs),
        byte_order: (sel & 0x80 != 0).then_some(order),
    };

    let _ = CacheHeader::parse(rest, order);
    for ov in [Overrides::default(), overrides] {
        if let FileKind::Datafile(h) = identify(rest, &ov) {
            let ctx = BlockContext::for_header(&h);
            let bs = h.block_size as usize;
            for (n, block) in rest.chunks(bs.max(1)).enumerate() {
                let _ = check_block(block, n as u64, &ctx);
            }
        }
    }
    let ctx = BlockContext {
        byte_order: order,
        relative_file_number: u32::from(sel),
        bigfile: sel & 0x20 != 0,
        block_size: rest.len() as u32,
    };
    let v = check_block(rest, u64::from(sel), &ctx);
    let _ = v.to_string();
    let _ = check_block(
        rest,
        u64::MAX,
        &BlockContext {
            block_size: bs,
            ..ctx
        },
    );
});

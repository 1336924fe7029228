//! `btrfs subvolume show` output and the local backends' snapshot/clone records: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = snapper_local::btrfs::parse_show(&text);
    let _ = serde_json::from_slice::<snapper_local::SnapshotRecord>(data);
    let _ = serde_json::from_slice::<snapper_local::CloneRecord>(data);
});

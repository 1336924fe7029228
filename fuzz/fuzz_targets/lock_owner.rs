//! Lock files (ours and the original tool's) are parsed without panicking, whatever they hold.
#![no_main]

use backupcore::lock::LockOwner;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(owner) = LockOwner::parse(&text) {
        let _ = owner.to_string();
    }
});

//! The `FS_IOC_FIEMAP` ioctl: where a file's data lies on the device, so that extents shared
//! between snapshots (reflink clones, btrfs snapshots) can be counted once.
//!
//! This is the crate's only `unsafe` code: one ioctl call on a fixed-size `#[repr(C)]`
//! request that matches the kernel's `struct fiemap` (include/uapi/linux/fiemap.h).
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

use rustix::ioctl::{opcode, Updater};

/// Extents asked for per call.
const BATCH: usize = 256;

/// `FIEMAP_EXTENT_LAST`.
const EXTENT_LAST: u32 = 0x0000_0001;
/// Flags under which `fe_physical` does not name a unique place on the device:
/// `UNKNOWN` (0x2), `DELALLOC` (0x4), `DATA_INLINE` (0x200), `DATA_TAIL` (0x400).
const EXTENT_NO_ADDRESS: u32 = 0x0000_0002 | 0x0000_0004 | 0x0000_0200 | 0x0000_0400;

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct RawExtent {
    fe_logical: u64,
    fe_physical: u64,
    fe_length: u64,
    fe_reserved64: [u64; 2],
    fe_flags: u32,
    fe_reserved: [u32; 3],
}

/// `struct fiemap` without its flexible array (32 bytes): the ioctl number is computed from it.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct RawHeader {
    fm_start: u64,
    fm_length: u64,
    fm_flags: u32,
    fm_mapped_extents: u32,
    fm_extent_count: u32,
    fm_reserved: u32,
}

/// `struct fiemap` followed by room for [`BATCH`] extents.
#[repr(C)]
struct RawRequest {
    header: RawHeader,
    extents: [RawExtent; BATCH],
}

const FS_IOC_FIEMAP: rustix::ioctl::Opcode = opcode::read_write::<RawHeader>(b'f', 11);

/// One extent of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extent {
    /// Byte address on the device (meaningless when `addressable` is false).
    pub physical: u64,
    /// Length in bytes.
    pub length: u64,
    /// False for inline, tail-packed, delayed or unknown extents: their bytes belong to this
    /// file alone as far as accounting goes.
    pub addressable: bool,
}

/// All extents of `file`, in logical order. Errors are the OS's (`EOPNOTSUPP` where the
/// filesystem has no FIEMAP).
pub(crate) fn extents(file: &File) -> io::Result<Vec<Extent>> {
    let mut req = Box::new(RawRequest {
        header: RawHeader::default(),
        extents: [RawExtent::default(); BATCH],
    });
    let mut out = Vec::new();
    let mut start = 0u64;
    loop {
        req.header = RawHeader {
            fm_start: start,
            fm_length: u64::MAX - start,
            // No FIEMAP_FLAG_SYNC: it would force writeback of live copies RMAN is merging
            // into; their not-yet-allocated (delalloc) data is new data, owned by them alone.
            fm_flags: 0,
            fm_mapped_extents: 0,
            fm_extent_count: BATCH as u32,
            fm_reserved: 0,
        };
        // SAFETY: FS_IOC_FIEMAP takes a `struct fiemap` followed by `fm_extent_count`
        // `struct fiemap_extent`s; `RawRequest` is exactly that layout (repr(C), with
        // BATCH extents), and the kernel writes at most `fm_extent_count` of them.
        let call = unsafe { Updater::<FS_IOC_FIEMAP, RawRequest>::new(&mut req) };
        // SAFETY: the opcode and argument type match as stated above; the fd is open.
        unsafe { rustix::ioctl::ioctl(file, call) }.map_err(io::Error::from)?;
        let mapped = (req.header.fm_mapped_extents as usize).min(BATCH);
        if mapped == 0 {
            return Ok(out);
        }
        let mut last = false;
        for e in &req.extents[..mapped] {
            out.push(Extent {
                physical: e.fe_physical,
                length: e.fe_length,
                addressable: e.fe_flags & EXTENT_NO_ADDRESS == 0,
            });
            last |= e.fe_flags & EXTENT_LAST != 0;
        }
        let tail = req.extents[mapped - 1];
        let next = tail.fe_logical.saturating_add(tail.fe_length);
        if last || next <= start || next == u64::MAX {
            return Ok(out);
        }
        start = next;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    #[test]
    fn layout_matches_the_kernel() {
        assert_eq!(std::mem::size_of::<RawHeader>(), 32);
        assert_eq!(std::mem::size_of::<RawExtent>(), 56);
        assert_eq!(FS_IOC_FIEMAP as u64, 0xC020_660B);
    }

    #[test]
    fn maps_a_written_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = File::create(&path).unwrap();
        f.write_all(&vec![7u8; 1 << 20]).unwrap();
        f.sync_all().unwrap();
        let f = File::open(&path).unwrap();
        match extents(&f) {
            Ok(list) => {
                let bytes: u64 = list.iter().map(|e| e.length).sum();
                assert!(bytes >= 1 << 20, "extents cover {bytes} bytes");
            }
            // tmpfs and some overlay filesystems have no FIEMAP; accounting falls back.
            Err(e) => assert_eq!(
                e.raw_os_error(),
                Some(rustix::io::Errno::OPNOTSUPP.raw_os_error())
            ),
        }
    }
}

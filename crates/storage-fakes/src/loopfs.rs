//! Scratch filesystems for tests of local storage: loop-mounted XFS (with reflink) and btrfs
//! made in a temporary directory, a tmpfs, and the machine's own filesystem. A test that
//! needs a filesystem it cannot get fails with the reason: it never passes silently.
//!
//! Making them needs root, loop devices and xfsprogs/btrfs-progs (the project's `.ci/run`
//! installs them). Test support: these functions panic on failure.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Which filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fs {
    /// A directory on the filesystem of the machine's temporary directory.
    Plain,
    /// `mkfs.xfs -m reflink=1` on a sparse image, loop-mounted.
    Xfs,
    /// `mkfs.btrfs` on a sparse image, loop-mounted.
    Btrfs,
    /// A tmpfs mount (no reflink, no FIEMAP).
    Tmpfs,
}

/// A scratch filesystem, unmounted and removed when dropped.
pub struct Scratch {
    /// Which filesystem it is.
    pub fs: Fs,
    dir: tempfile::TempDir,
    mounted: bool,
    next: AtomicU32,
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn need(what: &str, result: Result<(), String>) {
    if let Err(e) = result {
        panic!(
            "cannot make the {what} test filesystem: {e}\n\
             These tests need root, loop devices and xfsprogs/btrfs-progs (.ci/run installs them)."
        );
    }
}

impl Scratch {
    /// Makes the filesystem; panics with the reason when it cannot.
    pub fn new(fs: Fs, size_mib: u64) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let mnt = dir.path().join("mnt");
        std::fs::create_dir(&mnt).unwrap();
        let img = dir.path().join("fs.img");
        let mut mounted = false;
        match fs {
            Fs::Plain => {}
            Fs::Tmpfs => {
                need(
                    "tmpfs",
                    run(Command::new("mount")
                        .args(["-t", "tmpfs", "-o"])
                        .arg(format!("size={size_mib}m"))
                        .arg("tmpfs")
                        .arg(&mnt)),
                );
                mounted = true;
            }
            Fs::Xfs | Fs::Btrfs => {
                let f = std::fs::File::create(&img).unwrap();
                f.set_len(size_mib << 20).unwrap();
                drop(f);
                let mkfs = if fs == Fs::Xfs {
                    run(Command::new("mkfs.xfs")
                        .args(["-q", "-f", "-m", "reflink=1"])
                        .arg(&img))
                } else {
                    run(Command::new("mkfs.btrfs").args(["-q", "-f"]).arg(&img))
                };
                let what = if fs == Fs::Xfs {
                    "XFS (reflink)"
                } else {
                    "btrfs"
                };
                need(what, mkfs);
                need(
                    what,
                    run(Command::new("mount")
                        .args(["-o", "loop"])
                        .arg(&img)
                        .arg(&mnt)),
                );
                mounted = true;
            }
        }
        Scratch {
            fs,
            dir,
            mounted,
            next: AtomicU32::new(0),
        }
    }

    /// The mounted filesystem's root (or the plain directory).
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("mnt")
    }

    /// A new, empty `backupdest` directory on this filesystem.
    pub fn backupdest(&self) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let p = self.root().join(format!("dest{n}"));
        std::fs::create_dir(&p).unwrap();
        p
    }

    /// Bytes in use on the filesystem (statfs), after a sync.
    pub fn used_bytes(&self) -> u64 {
        let _ = Command::new("sync").arg("-f").arg(self.root()).status();
        if self.fs == Fs::Btrfs {
            let _ = Command::new("btrfs")
                .args(["filesystem", "sync"])
                .arg(self.root())
                .status();
        }
        let st = rustix::fs::statvfs(self.root()).unwrap();
        (st.f_blocks - st.f_bfree) * st.f_frsize
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.root()).status();
        }
    }
}

/// Writes `len` bytes of a pseudo-random pattern (seeded) to `path`, synced.
pub fn write_pattern(path: &Path, len: u64, seed: u64) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    f.sync_all().unwrap();
}

/// Overwrites `len` bytes at `offset` of an existing file in place (as RMAN's merge does).
pub fn overwrite_in_place(path: &Path, offset: u64, len: usize, byte: u8) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(&vec![byte; len], offset).unwrap();
    f.sync_all().unwrap();
}

/// A cheap content fingerprint (FNV-1a over the bytes).
pub fn fingerprint(path: &Path) -> (u64, u64) {
    let bytes = std::fs::read(path).unwrap();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (bytes.len() as u64, h)
}

//! Directory trees: copy with reflink clones (or full copies where the filesystem cannot
//! share extents), freeze read-only, thaw, remove, walk.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use backupcore::snap::SnapError;
use rustix::io::Errno;

/// A [`SnapError::Io`] naming the path.
pub(crate) fn io_error(operation: &str, path: &Path, e: &io::Error) -> SnapError {
    SnapError::Io {
        operation: operation.to_string(),
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// How [`copy_tree`] may copy file data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataCopy {
    /// Reflink clones; fall back to full copies where the filesystem cannot.
    ReflinkOrCopy,
    /// Reflink clones only: a filesystem that cannot is an error.
    ReflinkOnly,
}

/// What [`copy_tree`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CopyStats {
    /// Regular files copied.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files whose data was copied in full (no reflink).
    pub full_copies: u64,
    /// Why reflink was not possible (the OS error), when it was not.
    pub no_reflink_reason: Option<String>,
    /// Entries skipped (sockets, fifos, devices).
    pub skipped: Vec<PathBuf>,
}

/// Errors of FICLONE that mean "this filesystem (pair) cannot share extents".
fn reflink_unsupported(e: Errno) -> bool {
    e == Errno::OPNOTSUPP
        || e == Errno::XDEV
        || e == Errno::INVAL
        || e == Errno::NOTTY
        || e == Errno::NOSYS
}

/// Copies the tree `src` to the new directory `dst` (which must not exist): directories with
/// their modes, files by reflink (or in full), symbolic links as links; modification times are
/// kept. Nothing outside `dst` is written. Nothing is synced: see [`sync_filesystem`].
pub(crate) fn copy_tree(src: &Path, dst: &Path, mode: DataCopy) -> Result<CopyStats, SnapError> {
    let mut stats = CopyStats::default();
    let mut try_reflink = true;
    copy_dir(src, dst, mode, &mut try_reflink, &mut stats)?;
    Ok(stats)
}

fn copy_dir(
    src: &Path,
    dst: &Path,
    mode: DataCopy,
    try_reflink: &mut bool,
    stats: &mut CopyStats,
) -> Result<(), SnapError> {
    let meta = fs::symlink_metadata(src).map_err(|e| io_error("cannot stat", src, &e))?;
    fs::create_dir(dst).map_err(|e| io_error("cannot create directory", dst, &e))?;
    // Owner-writable while we fill it; the final mode is set after.
    fs::set_permissions(dst, fs::Permissions::from_mode(0o700))
        .map_err(|e| io_error("cannot set permissions of", dst, &e))?;
    let mut entries: Vec<_> = fs::read_dir(src)
        .map_err(|e| io_error("cannot list", src, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io_error("cannot list", src, &e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let ft = entry
            .file_type()
            .map_err(|e| io_error("cannot stat", &from, &e))?;
        if ft.is_dir() {
            copy_dir(&from, &to, mode, try_reflink, stats)?;
        } else if ft.is_file() {
            copy_file(&from, &to, mode, try_reflink, stats)?;
        } else if ft.is_symlink() {
            let target =
                fs::read_link(&from).map_err(|e| io_error("cannot read link", &from, &e))?;
            std::os::unix::fs::symlink(&target, &to)
                .map_err(|e| io_error("cannot create link", &to, &e))?;
        } else {
            stats.skipped.push(from);
        }
    }
    fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(|e| io_error("cannot set permissions of", dst, &e))?;
    set_times(dst, &meta);
    Ok(())
}

fn copy_file(
    from: &Path,
    to: &Path,
    mode: DataCopy,
    try_reflink: &mut bool,
    stats: &mut CopyStats,
) -> Result<(), SnapError> {
    let mut src = File::open(from).map_err(|e| io_error("cannot read", from, &e))?;
    let meta = src
        .metadata()
        .map_err(|e| io_error("cannot stat", from, &e))?;
    let mut dst = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .map_err(|e| io_error("cannot create", to, &e))?;
    let mut cloned = false;
    if *try_reflink {
        match rustix::fs::ioctl_ficlone(&dst, &src) {
            Ok(()) => cloned = true,
            Err(e) if reflink_unsupported(e) => {
                let reason = io::Error::from(e).to_string();
                if mode == DataCopy::ReflinkOnly {
                    return Err(SnapError::Config(format!(
                        "cannot reflink {} into {} ({reason}); requirereflink is set, so no full copy is made",
                        from.display(),
                        to.parent().unwrap_or(to).display()
                    )));
                }
                stats.no_reflink_reason = Some(reason);
                *try_reflink = false;
            }
            Err(e) => return Err(io_error("cannot reflink into", to, &io::Error::from(e))),
        }
    }
    if !cloned {
        io::copy(&mut src, &mut dst).map_err(|e| io_error("cannot copy into", to, &e))?;
        stats.full_copies += 1;
    }
    drop(dst);
    fs::set_permissions(to, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(|e| io_error("cannot set permissions of", to, &e))?;
    set_times(to, &meta);
    stats.files += 1;
    stats.bytes += meta.len();
    Ok(())
}

/// Flushes the filesystem holding `path` (`syncfs`): one journal commit for a whole copied
/// tree instead of one per file.
pub(crate) fn sync_filesystem(path: &Path) -> Result<(), SnapError> {
    let dir = File::open(path).map_err(|e| io_error("cannot open", path, &e))?;
    rustix::fs::syncfs(&dir)
        .map_err(|e| io_error("cannot sync the filesystem of", path, &io::Error::from(e)))
}

/// Keeps the source's modification time (best effort: a failure changes nothing that matters).
fn set_times(path: &Path, meta: &fs::Metadata) {
    if let Ok(modified) = meta.modified() {
        if let Ok(f) = File::open(path) {
            let _ = f.set_times(fs::FileTimes::new().set_modified(modified));
        }
    }
}

/// Removes write permission from everything under `root` (files, then directories bottom-up),
/// so that a snapshot cannot be changed by mistake. Where the process may (root, on a
/// filesystem with inode flags), everything below `root` is also made immutable (`chattr
/// +i`), so that not even root's `sed -i` changes a snapshot; `root` itself is left
/// renamable, for [`seal`] once it is in place.
pub(crate) fn freeze(root: &Path) -> Result<(), SnapError> {
    walk_modes(root, false)?;
    set_immutable(root, false);
    Ok(())
}

/// Makes the root of a frozen tree immutable too (best effort, as [`freeze`]).
pub(crate) fn seal(root: &Path) {
    set_immutable(root, true);
}

/// Lifts the immutable flag of a sealed tree's root, so that it can be renamed.
pub(crate) fn unseal(root: &Path) {
    set_immutable(root, false);
}

/// Gives the owner write permission on everything under `root` and lifts the immutable
/// flag (a clone to work in, or a tree about to be removed).
pub(crate) fn thaw(root: &Path) -> Result<(), SnapError> {
    walk_modes(root, true)
}

fn walk_modes(root: &Path, thawing: bool) -> Result<(), SnapError> {
    let meta = fs::symlink_metadata(root).map_err(|e| io_error("cannot stat", root, &e))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.mode() & 0o7777;
    let chmod = |mode: u32| {
        fs::set_permissions(root, fs::Permissions::from_mode(mode))
            .map_err(|e| io_error("cannot set permissions of", root, &e))
    };
    if thawing {
        // Writable first, so the walk can go on below.
        set_immutable(root, false);
        chmod(mode | 0o200)?;
    }
    if meta.is_dir() {
        for entry in fs::read_dir(root).map_err(|e| io_error("cannot list", root, &e))? {
            let entry = entry.map_err(|e| io_error("cannot list", root, &e))?;
            walk_modes(&entry.path(), thawing)?;
        }
    }
    if !thawing {
        chmod(mode & !0o222)?;
        set_immutable(root, true);
    }
    Ok(())
}

/// Sets or clears `FS_IMMUTABLE_FL` (best effort: only a privileged process may, and not
/// every filesystem has inode flags; the read-only modes are the guard everywhere else).
fn set_immutable(path: &Path, on: bool) {
    use rustix::fs::{ioctl_getflags, ioctl_setflags, IFlags};
    let Ok(f) = File::open(path) else {
        return;
    };
    let Ok(flags) = ioctl_getflags(&f) else {
        return;
    };
    let want = if on {
        flags | IFlags::IMMUTABLE
    } else {
        flags - IFlags::IMMUTABLE
    };
    if want != flags {
        let _ = ioctl_setflags(&f, want);
    }
}

/// Removes the tree `root`, whatever its permissions. A missing tree is not an error.
pub(crate) fn remove_tree(root: &Path) -> Result<(), SnapError> {
    match fs::symlink_metadata(root) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("cannot stat", root, &e)),
        Ok(_) => {}
    }
    thaw(root)?;
    fs::remove_dir_all(root).map_err(|e| io_error("cannot remove", root, &e))
}

/// Calls `f` on every regular file under `root`, in name order, not following links and not
/// leaving `root`'s filesystem.
pub(crate) fn walk_files(
    root: &Path,
    f: &mut dyn FnMut(&Path) -> Result<(), SnapError>,
) -> Result<(), SnapError> {
    let dev = fs::symlink_metadata(root)
        .map_err(|e| io_error("cannot stat", root, &e))?
        .dev();
    walk(root, dev, f)
}

fn walk(
    dir: &Path,
    dev: u64,
    f: &mut dyn FnMut(&Path) -> Result<(), SnapError>,
) -> Result<(), SnapError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| io_error("cannot list", dir, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io_error("cannot list", dir, &e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| io_error("cannot stat", &path, &e))?;
        if meta.is_dir() {
            if meta.dev() == dev {
                walk(&path, dev, f)?;
            }
        } else if meta.is_file() {
            f(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn copy_freeze_thaw_remove() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("a.dbf"), vec![1u8; 10_000]).unwrap();
        fs::write(src.join("sub/b.arc"), b"redo").unwrap();
        std::os::unix::fs::symlink("a.dbf", src.join("link")).unwrap();
        fs::set_permissions(src.join("a.dbf"), fs::Permissions::from_mode(0o640)).unwrap();

        let dst = dir.path().join("dst");
        let stats = copy_tree(&src, &dst, DataCopy::ReflinkOrCopy).unwrap();
        assert_eq!(stats.files, 2);
        assert_eq!(stats.bytes, 10_004);
        assert_eq!(fs::read(dst.join("a.dbf")).unwrap(), vec![1u8; 10_000]);
        assert_eq!(fs::read(dst.join("sub/b.arc")).unwrap(), b"redo");
        assert_eq!(fs::read_link(dst.join("link")).unwrap(), Path::new("a.dbf"));
        let mode = fs::metadata(dst.join("a.dbf")).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(
            fs::metadata(dst.join("a.dbf")).unwrap().modified().unwrap(),
            fs::metadata(src.join("a.dbf")).unwrap().modified().unwrap()
        );

        freeze(&dst).unwrap();
        assert_eq!(
            fs::metadata(dst.join("a.dbf")).unwrap().mode() & 0o777,
            0o440
        );
        assert_eq!(fs::metadata(dst.join("sub")).unwrap().mode() & 0o222, 0);
        thaw(&dst).unwrap();
        assert_eq!(
            fs::metadata(dst.join("a.dbf")).unwrap().mode() & 0o777,
            0o640
        );
        freeze(&dst).unwrap();
        remove_tree(&dst).unwrap();
        assert!(!dst.exists());
        remove_tree(&dst).unwrap();
    }

    #[test]
    fn walk_lists_regular_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("b")).unwrap();
        fs::write(dir.path().join("b/2"), b"x").unwrap();
        fs::write(dir.path().join("a"), b"x").unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("c")).unwrap();
        let mut seen = Vec::new();
        walk_files(dir.path(), &mut |p| {
            seen.push(p.strip_prefix(dir.path()).unwrap().to_path_buf());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![PathBuf::from("a"), PathBuf::from("b/2")]);
    }
}

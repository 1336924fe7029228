//! Filesystem contents on local disk, as an NFS client of a share sees them: the share's
//! mount is a local directory, each snapshot a read-only copy under
//! `<dir>/.zfs/snapshot/<name>`, and a clone a writable copy of a snapshot.
//!
//! Errors are plain strings naming the path and the OS error; the model turns them into
//! 500 `ERR_INTERNAL` faults.

use std::fs;
use std::io;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// The directory (relative to a share's mount) holding the snapshot directories.
pub(crate) const SNAPSHOT_SUBDIR: &str = ".zfs/snapshot";

/// Name of the control directory at the root of a share, never copied.
const CONTROL_DIR: &str = ".zfs";

/// Modes of a snapshot's copy (read-only).
const SNAP_FILE_MODE: u32 = 0o444;
const SNAP_DIR_MODE: u32 = 0o555;
/// Modes of a clone's copy (writable by its owner).
const CLONE_FILE_MODE: u32 = 0o644;
const CLONE_DIR_MODE: u32 = 0o755;

/// How a copied tree's permissions are set.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CopyMode {
    /// Files 0444, directories 0555 (a snapshot).
    ReadOnly,
    /// Files 0644, directories 0755 (a clone).
    Writable,
}

impl CopyMode {
    fn file_mode(self) -> u32 {
        match self {
            CopyMode::ReadOnly => SNAP_FILE_MODE,
            CopyMode::Writable => CLONE_FILE_MODE,
        }
    }
    fn dir_mode(self) -> u32 {
        match self {
            CopyMode::ReadOnly => SNAP_DIR_MODE,
            CopyMode::Writable => CLONE_DIR_MODE,
        }
    }
}

/// `name` as a single path component: not empty, not `.` or `..`, no `/` or NUL.
pub(crate) fn component(kind: &str, name: &str) -> Result<(), String> {
    let mut comps = Path::new(name).components();
    match (comps.next(), comps.next()) {
        (Some(Component::Normal(c)), None) if c == name && !name.contains('\0') => Ok(()),
        _ => Err(format!(
            "{kind} name '{name}' cannot be used as a directory name"
        )),
    }
}

/// `<dir>/.zfs/snapshot/<name>`.
pub(crate) fn snapshot_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(SNAPSHOT_SUBDIR).join(name)
}

fn err(what: &str, path: &Path, e: &io::Error) -> String {
    format!("{what} '{}': {e}", path.display())
}

/// Copies the share mounted at `dir` (without its `.zfs`) to `<dir>/.zfs/snapshot/<name>`,
/// read-only. On failure nothing of the copy is left behind.
pub(crate) fn take_snapshot(dir: &Path, name: &str) -> Result<(), String> {
    component("snapshot", name)?;
    let snaps = dir.join(SNAPSHOT_SUBDIR);
    fs::create_dir_all(&snaps).map_err(|e| err("cannot create", &snaps, &e))?;
    let dst = snaps.join(name);
    copy_new_tree(dir, &dst, CopyMode::ReadOnly)
}

/// Copies snapshot `name` of the share mounted at `dir` to `clone_root/<share>`, writable.
/// On failure nothing of the copy is left behind.
pub(crate) fn make_clone(
    dir: &Path,
    name: &str,
    clone_root: &Path,
    share: &str,
) -> Result<PathBuf, String> {
    component("snapshot", name)?;
    component("share", share)?;
    let src = snapshot_path(dir, name);
    fs::create_dir_all(clone_root).map_err(|e| err("cannot create", clone_root, &e))?;
    let dst = clone_root.join(share);
    copy_new_tree(&src, &dst, CopyMode::Writable)?;
    Ok(dst)
}

/// Copies the directory `src` to the new directory `dst` (which must not exist); removes
/// whatever was copied if it fails.
fn copy_new_tree(src: &Path, dst: &Path, mode: CopyMode) -> Result<(), String> {
    let meta = fs::metadata(src).map_err(|e| err("cannot read", src, &e))?;
    if !meta.is_dir() {
        return Err(format!("cannot copy '{}': not a directory", src.display()));
    }
    fs::create_dir(dst).map_err(|e| err("cannot create", dst, &e))?;
    let result = copy_dir_contents(src, dst, mode, true);
    if let Err(e) = result {
        // Best effort: the original error is what matters.
        let _ = remove_tree(dst);
        return Err(e);
    }
    Ok(())
}

/// Copies the entries of `src` into the existing directory `dst`, then sets `dst`'s mode
/// and modification time. `root` skips the share's `.zfs` control directory.
fn copy_dir_contents(src: &Path, dst: &Path, mode: CopyMode, root: bool) -> Result<(), String> {
    let entries = fs::read_dir(src).map_err(|e| err("cannot read directory", src, &e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err("cannot read directory", src, &e))?;
        names.push(entry.file_name());
    }
    names.sort();
    for name in names {
        if root && name == CONTROL_DIR {
            continue;
        }
        let from = src.join(&name);
        let to = dst.join(&name);
        let meta = fs::symlink_metadata(&from).map_err(|e| err("cannot read", &from, &e))?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = fs::read_link(&from).map_err(|e| err("cannot read link", &from, &e))?;
            symlink(&target, &to).map_err(|e| err("cannot create link", &to, &e))?;
        } else if ft.is_dir() {
            fs::create_dir(&to).map_err(|e| err("cannot create", &to, &e))?;
            copy_dir_contents(&from, &to, mode, false)?;
        } else if ft.is_file() {
            fs::copy(&from, &to).map_err(|e| err("cannot copy", &from, &e))?;
            finish(&to, &meta, mode.file_mode())?;
        } else {
            return Err(format!(
                "cannot copy '{}': not a regular file, directory or symbolic link",
                from.display()
            ));
        }
    }
    let meta = fs::metadata(src).map_err(|e| err("cannot read", src, &e))?;
    finish(dst, &meta, mode.dir_mode())
}

/// Gives a copied file or directory the source's modification time and the wanted mode.
fn finish(path: &Path, src_meta: &fs::Metadata, mode: u32) -> Result<(), String> {
    if let Ok(mtime) = src_meta.modified() {
        // The copy is still owner-writable here; a read-only descriptor suffices for
        // futimens as the owner.
        let f = fs::File::open(path).map_err(|e| err("cannot open", path, &e))?;
        f.set_modified(mtime)
            .map_err(|e| err("cannot set modification time of", path, &e))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| err("cannot set permissions of", path, &e))
}

/// Removes a copied tree, first giving its directories write permission back (a snapshot's
/// directories are 0555). A missing `path` is not an error.
pub(crate) fn remove_tree(path: &Path) -> Result<(), String> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err("cannot read", path, &e)),
        Ok(m) if !m.is_dir() => {
            return fs::remove_file(path).map_err(|e| err("cannot remove", path, &e))
        }
        Ok(_) => {}
    }
    make_dirs_writable(path)?;
    fs::remove_dir_all(path).map_err(|e| err("cannot remove", path, &e))
}

fn make_dirs_writable(dir: &Path) -> Result<(), String> {
    fs::set_permissions(dir, fs::Permissions::from_mode(CLONE_DIR_MODE))
        .map_err(|e| err("cannot set permissions of", dir, &e))?;
    let entries = fs::read_dir(dir).map_err(|e| err("cannot read directory", dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| err("cannot read directory", dir, &e))?;
        let is_dir = entry
            .file_type()
            .map_err(|e| err("cannot read", &entry.path(), &e))?
            .is_dir();
        if is_dir {
            make_dirs_writable(&entry.path())?;
        }
    }
    Ok(())
}

/// Removes `<dir>/.zfs/snapshot` and `<dir>/.zfs` if they are empty (errors ignored).
pub(crate) fn tidy_control_dir(dir: &Path) {
    let _ = fs::remove_dir(dir.join(SNAPSHOT_SUBDIR));
    let _ = fs::remove_dir(dir.join(CONTROL_DIR));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn component_rejects_paths() {
        assert!(component("snapshot", "s1").is_ok());
        assert!(component("snapshot", "a b.c").is_ok());
        for bad in ["", ".", "..", "a/b", "/a", "a/", "a\0b"] {
            assert!(component("snapshot", bad).is_err(), "{bad:?}");
        }
    }
}

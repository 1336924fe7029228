//! btrfs subvolumes through the `btrfs` command of btrfs-progs: create, snapshot (read-only
//! or writable), delete, and `subvolume show` for creation time, UUIDs and flags.

use std::path::{Path, PathBuf};
use std::process::Command;

use backupcore::snap::SnapError;
use chrono::{DateTime, Utc};

/// What `btrfs subvolume show` says of a subvolume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubvolumeInfo {
    /// `UUID`.
    pub uuid: String,
    /// `Parent UUID` (the subvolume it is a snapshot of), `None` for `-`.
    pub parent_uuid: Option<String>,
    /// `Creation time`, in UTC.
    pub created: DateTime<Utc>,
    /// `Flags` contains `readonly`.
    pub readonly: bool,
}

/// Why `btrfs subvolume show` output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShowParseError {
    /// A field is missing.
    #[error("no {0} line in the output of btrfs subvolume show")]
    Missing(&'static str),
    /// The creation time is not `YYYY-MM-DD HH:MM:SS +ZZZZ`.
    #[error("unreadable creation time {0:?} in the output of btrfs subvolume show")]
    BadTime(String),
}

/// Reads the output of `btrfs subvolume show <path>` (btrfs-progs 4.x to 6.x): lines of
/// `Key: <tabs> value` after the path line.
pub fn parse_show(text: &str) -> Result<SubvolumeInfo, ShowParseError> {
    let field = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.trim().split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let uuid = field("UUID").ok_or(ShowParseError::Missing("UUID"))?;
    let parent = field("Parent UUID").ok_or(ShowParseError::Missing("Parent UUID"))?;
    let created_text = field("Creation time").ok_or(ShowParseError::Missing("Creation time"))?;
    let created = DateTime::parse_from_str(&created_text, "%Y-%m-%d %H:%M:%S %z")
        .map_err(|_| ShowParseError::BadTime(created_text.clone()))?
        .with_timezone(&Utc);
    let flags = field("Flags").unwrap_or_default();
    Ok(SubvolumeInfo {
        uuid,
        parent_uuid: (parent != "-" && !parent.is_empty()).then_some(parent),
        created,
        readonly: flags.split([',', ' ']).any(|f| f.trim() == "readonly"),
    })
}

/// The `btrfs` command.
#[derive(Debug, Clone)]
pub struct BtrfsCommand {
    program: PathBuf,
}

impl Default for BtrfsCommand {
    fn default() -> Self {
        BtrfsCommand {
            program: PathBuf::from("btrfs"),
        }
    }
}

impl BtrfsCommand {
    /// `program` (a path, or a name looked up in `PATH`).
    pub fn new(program: impl Into<PathBuf>) -> Self {
        BtrfsCommand {
            program: program.into(),
        }
    }

    fn run(&self, args: &[&std::ffi::OsStr]) -> Result<String, SnapError> {
        let shown = args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let operation = format!("{} {shown}", self.program.display());
        let out = Command::new(&self.program)
            .args(args)
            .env("LC_ALL", "C")
            .env("TZ", "UTC")
            .output()
            .map_err(|e| SnapError::Storage {
                operation: operation.clone(),
                status: None,
                message: format!("cannot run it ({e}); is btrfs-progs installed?"),
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let message = stderr
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(SnapError::Storage {
                operation,
                status: None,
                message: if message.is_empty() {
                    format!("exit status {}", out.status)
                } else {
                    message
                },
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `btrfs subvolume create <path>`.
    pub fn create(&self, path: &Path) -> Result<(), SnapError> {
        self.run(&["subvolume".as_ref(), "create".as_ref(), path.as_os_str()])
            .map(drop)
    }

    /// `btrfs subvolume snapshot [-r] <src> <dst>`.
    pub fn snapshot(&self, src: &Path, dst: &Path, readonly: bool) -> Result<(), SnapError> {
        let mut args: Vec<&std::ffi::OsStr> = vec!["subvolume".as_ref(), "snapshot".as_ref()];
        if readonly {
            args.push("-r".as_ref());
        }
        args.push(src.as_os_str());
        args.push(dst.as_os_str());
        self.run(&args).map(drop)
    }

    /// `btrfs subvolume delete <path>`.
    pub fn delete(&self, path: &Path) -> Result<(), SnapError> {
        self.run(&["subvolume".as_ref(), "delete".as_ref(), path.as_os_str()])
            .map(drop)
    }

    /// `btrfs subvolume show <path>`, parsed.
    pub fn show(&self, path: &Path) -> Result<SubvolumeInfo, SnapError> {
        let text = self.run(&["subvolume".as_ref(), "show".as_ref(), path.as_os_str()])?;
        parse_show(&text).map_err(|e| SnapError::Storage {
            operation: format!(
                "{} subvolume show {}",
                self.program.display(),
                path.display()
            ),
            status: None,
            message: e.to_string(),
        })
    }
}

/// `BTRFS_SUPER_MAGIC`.
const BTRFS_MAGIC: i64 = 0x9123_683E;
/// The inode number of every subvolume's root directory (`BTRFS_FIRST_FREE_OBJECTID`).
const SUBVOLUME_ROOT_INODE: u64 = 256;

/// Whether `path` is the root of a btrfs subvolume.
pub fn is_subvolume(path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let stat = rustix::fs::statfs(path)?;
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let magic = i64::from(stat.f_type as i64);
    Ok(magic == BTRFS_MAGIC && std::fs::metadata(path)?.ino() == SUBVOLUME_ROOT_INODE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// `btrfs subvolume show` of btrfs-progs v6.2 (Debian 12), a read-only snapshot with a
    /// writable snapshot (clone) of it.
    const SHOW_SNAPSHOT: &str = ".snapshots/orcl/orcl-20260101T000001
\tName: \t\t\torcl-20260101T000001
\tUUID: \t\t\t0e7fe1e6-2afd-1a47-9280-fc608b05a197
\tParent UUID: \t\t2c97e2d4-772e-714d-999a-291a5327ebc6
\tReceived UUID: \t\t-
\tCreation time: \t\t2026-11-21 14:57:38 +0000
\tSubvolume ID: \t\t257
\tGeneration: \t\t9
\tGen at creation: \t8
\tParent ID: \t\t5
\tTop level ID: \t\t5
\tFlags: \t\t\treadonly
\tSend transid: \t\t0
\tSend time: \t\t2026-11-21 14:57:38 +0000
\tReceive transid: \t0
\tReceive time: \t\t-
\tSnapshot(s):
\t\t\t\tclone1
";

    const SHOW_SUBVOLUME: &str = "orcl
\tName: \t\t\torcl
\tUUID: \t\t\t2c97e2d4-772e-714d-999a-291a5327ebc6
\tParent UUID: \t\t-
\tReceived UUID: \t\t-
\tCreation time: \t\t2026-11-21 16:57:37 +0200
\tSubvolume ID: \t\t256
\tFlags: \t\t\t-
\tSnapshot(s):
\t\t\t\t.snapshots/orcl/orcl-20260101T000001
";

    #[test]
    fn reads_a_readonly_snapshot() {
        let info = parse_show(SHOW_SNAPSHOT).unwrap();
        assert_eq!(info.uuid, "0e7fe1e6-2afd-1a47-9280-fc608b05a197");
        assert_eq!(
            info.parent_uuid.as_deref(),
            Some("2c97e2d4-772e-714d-999a-291a5327ebc6")
        );
        assert_eq!(info.created.to_rfc3339(), "2026-11-21T14:57:38+00:00");
        assert!(info.readonly);
    }

    #[test]
    fn reads_a_plain_subvolume_in_another_zone() {
        let info = parse_show(SHOW_SUBVOLUME).unwrap();
        assert_eq!(info.parent_uuid, None);
        assert!(!info.readonly);
        assert_eq!(info.created.to_rfc3339(), "2026-11-21T14:57:37+00:00");
    }

    proptest::proptest! {
        /// Any text: an answer or a named error, never a panic; a real output with any one
        /// line cut or mangled likewise.
        #[test]
        fn never_panics(text in "\\PC{0,400}", cut in 0usize..20, junk in "\\PC{0,40}") {
            let _ = parse_show(&text);
            let mut lines: Vec<&str> = SHOW_SNAPSHOT.lines().collect();
            if cut < lines.len() {
                lines[cut] = &junk;
            }
            let _ = parse_show(&lines.join("\n"));
        }
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            parse_show("x\n\tName: x\n"),
            Err(ShowParseError::Missing("UUID"))
        );
        let bad = SHOW_SUBVOLUME.replace("2026-11-21 16:57:37 +0200", "yesterday");
        assert_eq!(
            parse_show(&bad),
            Err(ShowParseError::BadTime("yesterday".into()))
        );
    }
}

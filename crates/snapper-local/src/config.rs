//! Where a local backend keeps things, read from `backup.cfg`.

use std::path::{Path, PathBuf};

use backupcore::config::{ConfigError, DbConfig, GenericSettings, StorageKind};

/// Which local backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    /// Directory snapshots made of reflink clones (full copies where the filesystem cannot).
    Reflink,
    /// btrfs subvolumes and their snapshots.
    Btrfs,
}

impl LocalKind {
    /// The backend's name: its `storage:` value and its section in `backup.cfg`.
    pub fn as_str(self) -> &'static str {
        match self {
            LocalKind::Reflink => "reflink",
            LocalKind::Btrfs => "btrfs",
        }
    }
}

/// A local backend's settings for one database.
///
/// Read from the backend's section (`[reflink]` or `[btrfs]`), each key overridable per
/// database by the original's rule (`reflinksnapshotdir`, `btrfsclonedir`, ...):
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `snapshotdir` | snapshots of database `db` are `<snapshotdir>/<db>/<name>` | `<backupdest>/.snapshots` |
/// | `clonedir` | clones are `<clonedir>/<clone>` | `<backupdest>/.clones` |
/// | `requirereflink` | reflink only: refuse full copies where the filesystem cannot reflink | `false` |
/// | `btrfscommand` | btrfs only: the `btrfs` program | `btrfs` (from `PATH`) |
///
/// Keep both directories on the backup area's filesystem: reflink clones and btrfs
/// snapshots cannot cross filesystems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    /// The backend.
    pub kind: LocalKind,
    /// The database.
    pub database: String,
    /// Its backup area, `<backupdest>/<db>` (the "filesystem" that is snapshotted).
    pub area: PathBuf,
    /// Root of the snapshot directories.
    pub snapshotdir: PathBuf,
    /// Where clones are made.
    pub clonedir: PathBuf,
    /// `requirereflink`.
    pub require_reflink: bool,
    /// `btrfscommand`.
    pub btrfs_command: PathBuf,
}

impl LocalConfig {
    /// Settings with the defaults, for a backup area `area` of database `database` whose
    /// parent directory is `backupdest`.
    pub fn new(kind: LocalKind, database: &str, backupdest: &Path) -> LocalConfig {
        LocalConfig {
            kind,
            database: database.to_string(),
            area: backupdest.join(database),
            snapshotdir: backupdest.join(".snapshots"),
            clonedir: backupdest.join(".clones"),
            require_reflink: false,
            btrfs_command: PathBuf::from("btrfs"),
        }
    }

    /// Reads one database's settings. The backend is `[generic] storage` (it must be
    /// `reflink` or `btrfs`).
    pub fn from_config(db: &DbConfig<'_>) -> Result<LocalConfig, ConfigError> {
        let generic = GenericSettings::for_db(db)?;
        let kind = match generic.storage {
            StorageKind::Reflink => LocalKind::Reflink,
            StorageKind::Btrfs => LocalKind::Btrfs,
            other => {
                let v = db.require_in("generic", "storage")?;
                return Err(v.invalid(format!(
                    "{other} is not a local backend (local backends: reflink, btrfs)"
                )));
            }
        };
        let section = kind.as_str();
        let mut cfg = LocalConfig::new(kind, db.name(), &generic.backupdest);
        let path = |key: &str| -> Result<Option<PathBuf>, ConfigError> {
            match db.get_in(section, key)? {
                Some(v) if !v.as_str().is_empty() => v.as_path().map(Some),
                _ => Ok(None),
            }
        };
        if let Some(p) = path("snapshotdir")? {
            cfg.snapshotdir = p;
        }
        if let Some(p) = path("clonedir")? {
            cfg.clonedir = p;
        }
        if let Some(v) = db.get_in(section, "requirereflink")? {
            if !v.as_str().is_empty() {
                cfg.require_reflink = v.as_bool()?;
            }
        }
        if let Some(v) = db.get_in(section, "btrfscommand")? {
            if !v.as_str().is_empty() {
                cfg.btrfs_command = PathBuf::from(v.as_str());
            }
        }
        for (key, dir) in [
            ("snapshotdir", &cfg.snapshotdir),
            ("clonedir", &cfg.clonedir),
        ] {
            if dir.starts_with(&cfg.area) {
                let v = db.require_in(section, key)?;
                return Err(v.invalid(format!(
                    "must not be inside the backup area {} (snapshots would snapshot themselves)",
                    cfg.area.display()
                )));
            }
        }
        Ok(cfg)
    }

    /// The directory of this database's snapshots: `<snapshotdir>/<db>`.
    pub fn snapshots_of_db(&self) -> PathBuf {
        self.snapshotdir.join(&self.database)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use backupcore::config::Config;

    fn load(text: &str) -> Result<LocalConfig, ConfigError> {
        let cfg = Config::from_str_at(text, Path::new("/etc/backup/backup.cfg"), None).unwrap();
        LocalConfig::from_config(&cfg.database("orcl").unwrap())
    }

    const BASE: &str = "[generic]\nbackupdest: /backup/areas\n";
    const DB: &str = "[orcl]\ndbid: 1\n";

    #[test]
    fn defaults_beside_the_areas() {
        let c = load(&format!("{BASE}{DB}")).unwrap();
        assert_eq!(c.kind, LocalKind::Reflink);
        assert_eq!(c.area, Path::new("/backup/areas/orcl"));
        assert_eq!(c.snapshotdir, Path::new("/backup/areas/.snapshots"));
        assert_eq!(
            c.snapshots_of_db(),
            Path::new("/backup/areas/.snapshots/orcl")
        );
        assert_eq!(c.clonedir, Path::new("/backup/areas/.clones"));
        assert!(!c.require_reflink);
    }

    #[test]
    fn keys_and_per_database_overrides() {
        let c = load(&format!(
            "{BASE}storage: btrfs\n[btrfs]\nsnapshotdir: snaps\nclonedir: /c\n\
             btrfscommand: /usr/local/bin/btrfs\n{DB}btrfsclonedir: /c2\n"
        ))
        .unwrap();
        assert_eq!(c.kind, LocalKind::Btrfs);
        assert_eq!(c.snapshotdir, Path::new("/etc/backup/snaps"));
        assert_eq!(c.clonedir, Path::new("/c2"));
        assert_eq!(c.btrfs_command, Path::new("/usr/local/bin/btrfs"));
        let c = load(&format!("{BASE}[reflink]\nrequirereflink: yes\n{DB}")).unwrap();
        assert!(c.require_reflink);
    }

    #[test]
    fn sample_configs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/configs");
        let cfg = Config::load_with(&dir.join("backup.local.cfg"), None).unwrap();
        let c = LocalConfig::from_config(&cfg.database("orcl").unwrap()).unwrap();
        assert_eq!(c.kind, LocalKind::Reflink);
        assert_eq!(c.snapshotdir, Path::new("/backup/areas/.snapshots"));
        assert_eq!(c.clonedir, Path::new("/backup/areas/.clones"));
        assert!(!c.require_reflink);
        let cfg = Config::load_with(&dir.join("backup.btrfs.cfg"), None).unwrap();
        let c = LocalConfig::from_config(&cfg.database("orcl").unwrap()).unwrap();
        assert_eq!(c.kind, LocalKind::Btrfs);
        assert_eq!(c.clonedir, Path::new("/backup/areas/.clones-orcl"));
        assert_eq!(c.btrfs_command, Path::new("/usr/bin/btrfs"));
    }

    #[test]
    fn bad_values_are_named() {
        let e = load(&format!("{BASE}[reflink]\nrequirereflink: maybe\n{DB}")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/backup/backup.cfg: [reflink] requirereflink = 'maybe': expected true or false"
        );
        let e = load(&format!(
            "{BASE}[reflink]\nsnapshotdir: /backup/areas/orcl/s\n{DB}"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("[reflink] snapshotdir"), "{e}");
        assert!(
            e.to_string().contains("must not be inside the backup area"),
            "{e}"
        );
        let e = load(&format!("{BASE}storage: zfssa\n{DB}")).unwrap_err();
        assert!(e.to_string().contains("not a local backend"), "{e}");
    }
}

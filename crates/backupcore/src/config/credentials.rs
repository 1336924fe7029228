//! Storage credentials: a small INI file beside `backup.cfg` (the original's
//! `zfscredentials.cfg`, `netappcredentials.cfg`), or environment variables.
//!
//! The file must not be readable by group or others: a password file anyone can read is
//! refused with a message saying how to fix it. The password never appears in `Debug` output
//! or in any error.

use std::fmt;
use std::path::{Path, PathBuf};

use super::ini::Ini;

/// A user name and password. `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The login name.
    pub user: String,
    password: String,
    /// Where they came from, for messages (`/etc/backup/zfscredentials.cfg`,
    /// `environment (ZFSSA_USER, ZFSSA_PASSWORD)`).
    pub source: String,
}

impl Credentials {
    /// Credentials from values already at hand.
    pub fn new(
        user: impl Into<String>,
        password: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Credentials {
            user: user.into(),
            password: password.into(),
            source: source.into(),
        }
    }

    /// The password. Register it with the run log's secrets before logging anything.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"********")
            .field("source", &self.source)
            .finish()
    }
}

/// Where to look for one backend's credentials.
#[derive(Debug, Clone, Copy)]
pub struct CredentialSpec<'a> {
    /// File name beside the config (`zfscredentials.cfg`).
    pub file: &'a str,
    /// Section in it (`zfscredentials`).
    pub section: &'a str,
    /// Key of the user name (`zfsuser`).
    pub user_key: &'a str,
    /// Key of the password (`zfspassword`).
    pub password_key: &'a str,
    /// Environment variable of the user name (`ZFSSA_USER`).
    pub user_env: &'a str,
    /// Environment variable of the password (`ZFSSA_PASSWORD`).
    pub password_env: &'a str,
}

/// Why credentials could not be had. Messages name the file and key, never the password.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Neither the file nor the environment variables exist.
    #[error("no credentials: {} does not exist and {user_env}/{password_env} are not set", file.display())]
    NotFound {
        /// The file looked for.
        file: PathBuf,
        /// User variable.
        user_env: String,
        /// Password variable.
        password_env: String,
    },
    /// The file can be read by group or others.
    #[error("{} is readable by group or others (mode {mode:04o}); refusing to use a password file others can read: run chmod 600 {}", file.display(), file.display())]
    TooOpen {
        /// The file.
        file: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file cannot be read.
    #[error("cannot read {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not INI.
    #[error("{}:{line}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// Line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A key is missing or empty.
    #[error("{}: [{section}] {key}: required key is missing", file.display())]
    Missing {
        /// The file.
        file: PathBuf,
        /// Section.
        section: String,
        /// Key.
        key: String,
    },
    /// Only one of the two environment variables is set.
    #[error("{set} is set but {unset} is not; set both or neither")]
    HalfEnv {
        /// The variable set.
        set: String,
        /// The variable missing.
        unset: String,
    },
}

/// Loads credentials: env variables when both are set, else the file in `dir`.
pub fn load(dir: &Path, spec: &CredentialSpec<'_>) -> Result<Credentials, CredentialsError> {
    load_with_env(dir, spec, |k| std::env::var(k).ok())
}

/// [`load`] with an explicit environment lookup (for tests).
pub fn load_with_env(
    dir: &Path,
    spec: &CredentialSpec<'_>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialsError> {
    let user = env(spec.user_env).filter(|v| !v.is_empty());
    let password = env(spec.password_env).filter(|v| !v.is_empty());
    match (user, password) {
        (Some(u), Some(p)) => {
            return Ok(Credentials::new(
                u,
                p,
                format!("environment ({}, {})", spec.user_env, spec.password_env),
            ))
        }
        (Some(_), None) => {
            return Err(CredentialsError::HalfEnv {
                set: spec.user_env.into(),
                unset: spec.password_env.into(),
            })
        }
        (None, Some(_)) => {
            return Err(CredentialsError::HalfEnv {
                set: spec.password_env.into(),
                unset: spec.user_env.into(),
            })
        }
        (None, None) => {}
    }
    let file = dir.join(spec.file);
    let meta = match std::fs::metadata(&file) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CredentialsError::NotFound {
                file,
                user_env: spec.user_env.into(),
                password_env: spec.password_env.into(),
            })
        }
        Err(source) => return Err(CredentialsError::Read { file, source }),
    };
    check_private(&file, &meta)?;
    let text = std::fs::read_to_string(&file).map_err(|source| CredentialsError::Read {
        file: file.clone(),
        source,
    })?;
    let ini = Ini::parse(&text).map_err(|e| CredentialsError::Syntax {
        file: file.clone(),
        line: e.line,
        message: e.message,
    })?;
    let get = |key: &str| {
        ini.section(spec.section)
            .and_then(|s| s.get(key))
            // Raw values: a password may contain '%', which the original would have rejected.
            .map(|e| e.raw.clone())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| CredentialsError::Missing {
                file: file.clone(),
                section: spec.section.into(),
                key: key.into(),
            })
    };
    Ok(Credentials::new(
        get(spec.user_key)?,
        get(spec.password_key)?,
        file.display().to_string(),
    ))
}

#[cfg(unix)]
fn check_private(file: &Path, meta: &std::fs::Metadata) -> Result<(), CredentialsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::TooOpen {
            file: file.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &Path, _meta: &std::fs::Metadata) -> Result<(), CredentialsError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const SPEC: CredentialSpec<'static> = CredentialSpec {
        file: "zfscredentials.cfg",
        section: "zfscredentials",
        user_key: "zfsuser",
        password_key: "zfspassword",
        user_env: "ZFSSA_USER",
        password_env: "ZFSSA_PASSWORD",
    };

    fn write(dir: &Path, text: &str, mode: u32) {
        let p = dir.join(SPEC.file);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn file_env_and_refusals() {
        let d = tempfile::tempdir().unwrap();
        let none = |_: &str| None;
        let e = load_with_env(d.path(), &SPEC, none)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("zfscredentials.cfg does not exist") && e.contains("ZFSSA_USER"),
            "{e}"
        );

        write(
            d.path(),
            "[zfscredentials]\nzfsuser: admin\nzfspassword: S3cr%t;pw\n",
            0o644,
        );
        let e = load_with_env(d.path(), &SPEC, none)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
        assert!(!e.contains("S3cr%t"), "{e}");

        std::fs::set_permissions(
            d.path().join(SPEC.file),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let c = load_with_env(d.path(), &SPEC, none).unwrap();
        assert_eq!((c.user.as_str(), c.password()), ("admin", "S3cr%t;pw"));
        assert!(!format!("{c:?}").contains("S3cr"), "{c:?}");

        let env = |k: &str| match k {
            "ZFSSA_USER" => Some("envuser".to_string()),
            "ZFSSA_PASSWORD" => Some("envpass".to_string()),
            _ => None,
        };
        let c = load_with_env(d.path(), &SPEC, env).unwrap();
        assert_eq!((c.user.as_str(), c.password()), ("envuser", "envpass"));
        let half = |k: &str| (k == "ZFSSA_USER").then(|| "u".to_string());
        assert!(matches!(
            load_with_env(d.path(), &SPEC, half),
            Err(CredentialsError::HalfEnv { .. })
        ));

        write(d.path(), "[zfscredentials]\nzfsuser: admin\n", 0o400);
        let e = load_with_env(d.path(), &SPEC, none)
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("[zfscredentials] zfspassword: required key is missing"),
            "{e}"
        );
    }
}

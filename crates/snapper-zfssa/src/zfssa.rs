//! [`Zfssa`]: the [`SnapHandler`] of one database's filesystem on the appliance.

use std::fmt;

use async_trait::async_trait;
use backupcore::config::credentials::{Credentials, CredentialsError};
use backupcore::config::{Config, ConfigError};
use backupcore::snap::{
    CloneInfo, CloneOrigin, FilesystemInfo, SnapError, SnapHandler, SnapshotInfo,
};
use serde_json::json;

use crate::config::{load_credentials, ZfssaConfig};
use crate::http::{BuildError, HttpClient, HttpError, HttpResponse, Method};
use crate::model::{Fault, FilesystemList, FilesystemOne, Share, SnapshotList, SnapshotOne};

/// Why a [`Zfssa`] handler could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ZfssaError {
    /// `backup.cfg` is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The credentials cannot be had.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The HTTPS client cannot be set up.
    #[error(transparent)]
    Http(#[from] BuildError),
}

/// One database's backup filesystem on a ZFS Storage Appliance, through its REST API.
///
/// The filesystem is `<pool>/<project>/<database>`; snapshots are the filesystem's, clones
/// are filesystems of the same project whose origin is one of them.
///
/// Reads (`GET`) are retried on connection errors, timeouts and 5xx. Changes (`POST`, `PUT`,
/// `DELETE`) are sent once; when the answer is lost or is a 5xx, the object is looked up to
/// learn whether the change happened.
pub struct Zfssa {
    config: ZfssaConfig,
    http: HttpClient,
}

impl fmt::Debug for Zfssa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Zfssa")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A failed change: the error, and whether the change may have happened all the same.
struct Failure {
    error: SnapError,
    ambiguous: bool,
}

/// The names an error should carry when the appliance says "not found" or "exists".
#[derive(Clone, Copy)]
struct Subject<'a> {
    not_found: (&'static str, &'a str),
    exists: Option<(&'static str, &'a str)>,
}

impl Zfssa {
    /// A handler for `config.database`, authenticating as `credentials`. Nothing is sent until
    /// the first call.
    pub fn new(config: ZfssaConfig, credentials: Credentials) -> Result<Zfssa, ZfssaError> {
        let http = HttpClient::new(config.api_base(), &credentials, &config.http_options())?;
        Ok(Zfssa { config, http })
    }

    /// Reads `[zfssa]` for `database` from `cfg` and the credentials beside it (or from the
    /// environment).
    pub fn open(cfg: &Config, database: &str) -> Result<Zfssa, ZfssaError> {
        let db = cfg.database(database)?;
        let config = ZfssaConfig::from_config(&db)?;
        let credentials = load_credentials(cfg.dir())?;
        Zfssa::new(config, credentials)
    }

    /// The settings in use.
    pub fn config(&self) -> &ZfssaConfig {
        &self.config
    }

    /// Warnings to print on every run (see [`ZfssaConfig::warnings`]).
    pub fn warnings(&self) -> Vec<String> {
        self.config.warnings()
    }

    fn db(&self) -> &str {
        &self.config.database
    }

    fn filesystems_path(&self) -> Vec<&str> {
        vec![
            "pools",
            &self.config.pool,
            "projects",
            &self.config.project,
            "filesystems",
        ]
    }

    fn filesystem_path<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        let mut p = self.filesystems_path();
        p.push(name);
        p
    }

    fn snapshots_path(&self) -> Vec<&str> {
        let mut p = self.filesystem_path(self.db());
        p.push("snapshots");
        p
    }

    fn snapshot_path<'a>(&'a self, snapshot: &'a str) -> Vec<&'a str> {
        let mut p = self.snapshots_path();
        p.push(snapshot);
        p
    }

    /// Maps an HTTP answer that is not a success to the trait's error.
    fn status_error(&self, resp: &HttpResponse, subject: Subject<'_>) -> SnapError {
        let fault = Fault::of(resp);
        let message = fault.message(resp);
        let status = resp.status;
        let not_found = || SnapError::NotFound {
            kind: subject.not_found.0,
            name: subject.not_found.1.to_string(),
        };
        match (status, subject.exists) {
            (401 | 403, _) => SnapError::Auth { status, message },
            (404, _) => not_found(),
            (409, Some((kind, name))) if !fault.is_confirm_required() => SnapError::AlreadyExists {
                kind,
                name: name.to_string(),
            },
            (_, Some((kind, name))) if fault.is_exists() => SnapError::AlreadyExists {
                kind,
                name: name.to_string(),
            },
            _ if fault.is_not_found() && status < 500 => not_found(),
            _ => SnapError::Storage {
                operation: resp.operation.clone(),
                status: Some(status),
                message,
            },
        }
    }

    /// A `GET` whose answer must be a success; `Ok(None)` for 404.
    async fn read(
        &self,
        segments: &[&str],
        subject: Subject<'_>,
    ) -> Result<Option<HttpResponse>, SnapError> {
        let resp = self.http.get(segments).await.map_err(transport_error)?;
        if resp.status == 404 {
            return Ok(None);
        }
        if !resp.is_success() {
            return Err(self.status_error(&resp, subject));
        }
        Ok(Some(resp))
    }

    /// Sends a change once. A lost answer or a 5xx is an ambiguous failure.
    async fn change(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<serde_json::Value>,
        subject: Subject<'_>,
    ) -> Result<HttpResponse, Failure> {
        match self.http.send(method, segments, body.as_ref()).await {
            Ok(resp) if resp.is_success() => Ok(resp),
            Ok(resp) => Err(Failure {
                ambiguous: resp.is_server_error(),
                error: self.status_error(&resp, subject),
            }),
            Err(e) => Err(Failure {
                ambiguous: e.is_ambiguous(),
                error: transport_error(e),
            }),
        }
    }

    /// The snapshot `name` of the database's filesystem, `None` if it does not exist.
    async fn get_snapshot(&self, name: &str) -> Result<Option<SnapshotInfo>, SnapError> {
        let subject = Subject {
            not_found: ("snapshot", name),
            exists: None,
        };
        let Some(resp) = self.read(&self.snapshot_path(name), subject).await? else {
            return Ok(None);
        };
        let one: SnapshotOne = resp
            .json()
            .map_err(|e| decode_error(&resp, "{\"snapshot\": {...}}", &e))?;
        one.snapshot
            .into_info()
            .map(Some)
            .map_err(|e| decode_error(&resp, "a snapshot", &e))
    }

    /// The filesystem `name` of the project, `None` if it does not exist.
    async fn get_share(&self, name: &str, kind: &'static str) -> Result<Option<Share>, SnapError> {
        let subject = Subject {
            not_found: (kind, name),
            exists: None,
        };
        let Some(resp) = self.read(&self.filesystem_path(name), subject).await? else {
            return Ok(None);
        };
        let one: FilesystemOne = resp
            .json()
            .map_err(|e| decode_error(&resp, "{\"filesystem\": {...}}", &e))?;
        Ok(Some(one.filesystem.into_share()))
    }

    /// The share described in a create/clone answer, or (if the answer does not describe it
    /// usably) looked up.
    async fn share_from_answer(&self, resp: &HttpResponse, name: &str) -> Result<Share, SnapError> {
        if let Ok(one) = resp.json::<FilesystemOne>() {
            let share = one.filesystem.into_share();
            if !share.mountpoint.is_empty() {
                return Ok(share);
            }
        }
        self.get_share(name, "filesystem")
            .await?
            .ok_or_else(|| SnapError::NotFound {
                kind: "filesystem",
                name: name.to_string(),
            })
    }

    /// Whether `share` is a clone of a snapshot of this database's filesystem (and which).
    fn is_ours(&self, share: &Share) -> Result<String, String> {
        match &share.origin {
            None => Err("it is not a clone".to_string()),
            Some(o) => {
                let pool_ok = !o.pool.as_deref().is_some_and(|p| p != self.config.pool);
                if pool_ok && o.project == self.config.project && o.share == self.db() {
                    Ok(o.snapshot.clone())
                } else {
                    Err(format!(
                        "it is a clone of {}/{}@{}, not of {}/{}",
                        o.project,
                        o.share,
                        o.snapshot,
                        self.config.project,
                        self.db()
                    ))
                }
            }
        }
    }

    fn clone_info(&self, share: &Share, origin: String) -> CloneInfo {
        CloneInfo {
            name: share.name.clone(),
            origin,
            mount_point: share.mountpoint.clone(),
        }
    }
}

/// A failure to get an answer, as the trait's error.
fn transport_error(e: HttpError) -> SnapError {
    match e {
        HttpError::Timeout {
            operation, after, ..
        } => SnapError::Timeout {
            operation,
            seconds: after.as_secs() + u64::from(after.subsec_nanos() > 0),
        },
        HttpError::Connect { operation, message } => SnapError::Storage {
            operation,
            status: None,
            message: format!("cannot connect: {message}"),
        },
        HttpError::Connection { operation, message }
        | HttpError::Request { operation, message } => SnapError::Storage {
            operation,
            status: None,
            message,
        },
    }
}

/// A successful answer whose body is not what the API documents.
fn decode_error(resp: &HttpResponse, expected: &str, detail: &dyn fmt::Display) -> SnapError {
    SnapError::Storage {
        operation: resp.operation.clone(),
        status: Some(resp.status),
        message: resp.redact(&format!(
            "the answer was not the expected JSON (expected {expected}: {detail}); it begins: {}",
            resp.excerpt(120)
        )),
    }
}

#[async_trait]
impl SnapHandler for Zfssa {
    fn backend(&self) -> &str {
        "zfssa"
    }

    fn database(&self) -> &str {
        self.db()
    }

    /// One `GET .../filesystems/<db>/snapshots`.
    async fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError> {
        let subject = Subject {
            not_found: ("filesystem", self.db()),
            exists: None,
        };
        let resp = self
            .read(&self.snapshots_path(), subject)
            .await?
            .ok_or_else(|| SnapError::NotFound {
                kind: "filesystem",
                name: self.db().to_string(),
            })?;
        let list: SnapshotList = resp
            .json()
            .map_err(|e| decode_error(&resp, "{\"snapshots\": [...]}", &e))?;
        list.snapshots
            .into_iter()
            .map(|s| {
                s.into_info()
                    .map_err(|e| decode_error(&resp, "snapshots", &e))
            })
            .collect()
    }

    /// `POST .../filesystems/<db>/snapshots {"name": <name>}`.
    async fn create_snapshot(&self, name: &str) -> Result<String, SnapError> {
        let subject = Subject {
            not_found: ("filesystem", self.db()),
            exists: Some(("snapshot", name)),
        };
        let body = json!({ "name": name });
        match self
            .change(Method::POST, &self.snapshots_path(), Some(body), subject)
            .await
        {
            Ok(_) => Ok(name.to_string()),
            Err(f) if f.ambiguous => match self.get_snapshot(name).await {
                Ok(Some(_)) => {
                    tracing::warn!(snapshot = name, error = %f.error, "creating the snapshot got no clear answer, but it exists: taken");
                    Ok(name.to_string())
                }
                _ => Err(f.error),
            },
            Err(f) => Err(f.error),
        }
    }

    /// `GET` the snapshot (its clone count), then `DELETE .../snapshots/<id>`.
    async fn drop_snapshot(&self, id: &str) -> Result<(), SnapError> {
        let snap = self
            .get_snapshot(id)
            .await?
            .ok_or_else(|| SnapError::NotFound {
                kind: "snapshot",
                name: id.to_string(),
            })?;
        if snap.clones > 0 {
            return Err(SnapError::HasClones {
                snapshot: id.to_string(),
                clones: snap.clones,
            });
        }
        let subject = Subject {
            not_found: ("snapshot", id),
            exists: None,
        };
        let has_clones = || SnapError::HasClones {
            snapshot: id.to_string(),
            clones: snap.clones.max(1),
        };
        let error = match self
            .http
            .send(Method::DELETE, &self.snapshot_path(id), None)
            .await
        {
            Ok(resp) if resp.is_success() => return Ok(()),
            Ok(resp) => {
                if resp.status != 404 && Fault::of(&resp).is_has_clones() {
                    return Err(has_clones());
                }
                let error = self.status_error(&resp, subject);
                if !resp.is_server_error() {
                    return Err(error);
                }
                error
            }
            Err(e) if e.is_ambiguous() => transport_error(e),
            Err(e) => return Err(transport_error(e)),
        };
        match self.get_snapshot(id).await {
            Ok(None) => {
                tracing::warn!(snapshot = id, error = %error, "dropping the snapshot got no clear answer, but it is gone: dropped");
                Ok(())
            }
            _ => Err(error),
        }
    }

    /// `PUT .../snapshots/<snapshot>/clone {"project": <project>, "share": <clone_name>}`.
    async fn clone_snapshot(
        &self,
        snapshot: &str,
        clone_name: &str,
    ) -> Result<CloneInfo, SnapError> {
        let subject = Subject {
            not_found: ("snapshot", snapshot),
            exists: Some(("filesystem", clone_name)),
        };
        let mut path = self.snapshot_path(snapshot);
        path.push("clone");
        let body = json!({ "project": self.config.project, "share": clone_name });
        match self.change(Method::PUT, &path, Some(body), subject).await {
            Ok(resp) => {
                let share = self.share_from_answer(&resp, clone_name).await?;
                Ok(CloneInfo {
                    name: clone_name.to_string(),
                    origin: snapshot.to_string(),
                    mount_point: share.mountpoint,
                })
            }
            Err(f) if f.ambiguous => match self.get_share(clone_name, "clone").await {
                Ok(Some(share)) if self.is_ours(&share).as_deref() == Ok(snapshot) => {
                    tracing::warn!(clone = clone_name, snapshot, error = %f.error, "cloning got no clear answer, but the clone exists: cloned");
                    Ok(self.clone_info(&share, snapshot.to_string()))
                }
                _ => Err(f.error),
            },
            Err(f) => Err(f.error),
        }
    }

    /// Checks the filesystem is a clone of this database's filesystem, then
    /// `DELETE .../filesystems/<clone_name>`.
    async fn drop_clone(&self, clone_name: &str) -> Result<(), SnapError> {
        let share =
            self.get_share(clone_name, "clone")
                .await?
                .ok_or_else(|| SnapError::NotFound {
                    kind: "clone",
                    name: clone_name.to_string(),
                })?;
        if let Err(reason) = self.is_ours(&share) {
            return Err(SnapError::NotOurClone {
                name: clone_name.to_string(),
                reason,
            });
        }
        let subject = Subject {
            not_found: ("clone", clone_name),
            exists: None,
        };
        match self
            .change(
                Method::DELETE,
                &self.filesystem_path(clone_name),
                None,
                subject,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(f) if f.ambiguous => match self.get_share(clone_name, "clone").await {
                Ok(None) => {
                    tracing::warn!(clone = clone_name, error = %f.error, "dropping the clone got no clear answer, but it is gone: dropped");
                    Ok(())
                }
                _ => Err(f.error),
            },
            Err(f) => Err(f.error),
        }
    }

    /// One `GET .../filesystems`: those whose origin is this database's filesystem.
    async fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError> {
        let subject = Subject {
            not_found: ("project", &self.config.project),
            exists: None,
        };
        let resp = self
            .read(&self.filesystems_path(), subject)
            .await?
            .ok_or_else(|| SnapError::NotFound {
                kind: "project",
                name: self.config.project.clone(),
            })?;
        let list: FilesystemList = resp
            .json()
            .map_err(|e| decode_error(&resp, "{\"filesystems\": [...]}", &e))?;
        Ok(list
            .filesystems
            .into_iter()
            .map(|f| f.into_share())
            .filter_map(|share| {
                self.is_ours(&share)
                    .ok()
                    .map(|origin| self.clone_info(&share, origin))
            })
            .collect())
    }

    /// `GET .../filesystems/<name>`.
    async fn filesystem_info(&self, name: Option<&str>) -> Result<FilesystemInfo, SnapError> {
        let name = name.unwrap_or(self.db());
        let share =
            self.get_share(name, "filesystem")
                .await?
                .ok_or_else(|| SnapError::NotFound {
                    kind: "filesystem",
                    name: name.to_string(),
                })?;
        Ok(FilesystemInfo {
            name: share.name,
            mount_point: share.mountpoint,
            origin: share.origin.map(|o| CloneOrigin {
                filesystem: o.share,
                snapshot: o.snapshot,
            }),
        })
    }

    /// `<appliance host>:<mountpoint>`.
    async fn mount_string(&self, name: &str) -> Result<String, SnapError> {
        let fs = self.filesystem_info(Some(name)).await?;
        if fs.mount_point.is_empty() {
            return Err(SnapError::Storage {
                operation: format!(
                    "GET {}",
                    self.http.url_for(&self.filesystem_path(name)).path()
                ),
                status: None,
                message: format!("filesystem {name} has no mountpoint"),
            });
        }
        Ok(format!("{}:{}", self.config.host(), fs.mount_point))
    }

    /// `POST .../filesystems {"name": <db>}`.
    async fn create_volume(&self) -> Result<FilesystemInfo, SnapError> {
        let db = self.db();
        let subject = Subject {
            not_found: ("project", &self.config.project),
            exists: Some(("filesystem", db)),
        };
        let body = json!({ "name": db });
        let share = match self
            .change(Method::POST, &self.filesystems_path(), Some(body), subject)
            .await
        {
            Ok(resp) => self.share_from_answer(&resp, db).await?,
            Err(f) if f.ambiguous => match self.get_share(db, "filesystem").await {
                Ok(Some(share)) if share.origin.is_none() => {
                    tracing::warn!(filesystem = db, error = %f.error, "creating the filesystem got no clear answer, but it exists: created");
                    share
                }
                _ => return Err(f.error),
            },
            Err(f) => return Err(f.error),
        };
        Ok(FilesystemInfo {
            name: share.name,
            mount_point: share.mountpoint,
            origin: None,
        })
    }

    /// ZFS shares show every snapshot read-only at `<mount>/.zfs/snapshot/<name>` to NFS
    /// clients (also when the share's `snapdir` property is `hidden`: hidden only keeps
    /// `.zfs` out of directory listings).
    fn snapshot_path(
        &self,
        name: &str,
        mounted_at: &std::path::Path,
    ) -> Result<std::path::PathBuf, SnapError> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(SnapError::NotFound {
                kind: "snapshot",
                name: name.to_string(),
            });
        }
        Ok(mounted_at.join(".zfs").join("snapshot").join(name))
    }
}

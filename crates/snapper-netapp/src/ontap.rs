//! The ONTAP REST handler: volumes (`/api/storage/volumes`), their snapshots
//! (`/api/storage/volumes/{uuid}/snapshots`) and the jobs that carry out changes
//! (`/api/cluster/jobs/{uuid}`), as NetApp's "ONTAP REST API reference" describes them.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use backupcore::config::credentials::Credentials;
use backupcore::snap::{
    CloneInfo, CloneOrigin, FilesystemInfo, SnapError, SnapHandler, SnapshotInfo,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use snapper_zfssa::http::{HttpClient, HttpResponse, Method};
use url::Url;

use crate::config::{load_credentials, NetappConfig};

/// Why the handler cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum NetappError {
    /// `backup.cfg` is wrong.
    #[error(transparent)]
    Config(#[from] backupcore::config::ConfigError),
    /// The credentials cannot be had.
    #[error(transparent)]
    Credentials(#[from] backupcore::config::credentials::CredentialsError),
    /// The HTTP client cannot be built.
    #[error(transparent)]
    Http(#[from] snapper_zfssa::http::BuildError),
}

/// Fields asked for volumes.
const VOLUME_FIELDS: &str =
    "uuid,name,nas.path,state,clone.is_flexclone,clone.parent_volume.name,clone.parent_snapshot.name,aggregates.name";
/// Records per page.
const PAGE: &str = "500";

#[derive(Debug, Clone, Deserialize, Default)]
struct Named {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
struct CloneAttrs {
    #[serde(default)]
    is_flexclone: bool,
    #[serde(default)]
    parent_volume: Option<Named>,
    #[serde(default)]
    parent_snapshot: Option<Named>,
}

#[derive(Debug, Clone, Deserialize, Default)]
struct Nas {
    #[serde(default)]
    path: Option<String>,
}

/// A volume as listed.
#[derive(Debug, Clone, Deserialize)]
struct Volume {
    uuid: String,
    name: String,
    #[serde(default)]
    nas: Nas,
    #[serde(default)]
    clone: CloneAttrs,
    #[serde(default)]
    aggregates: Vec<Named>,
}

impl Volume {
    fn junction(&self) -> String {
        self.nas.path.clone().unwrap_or_default()
    }

    fn parent(&self) -> Option<(&str, &str)> {
        if !self.clone.is_flexclone {
            return None;
        }
        let v = self.clone.parent_volume.as_ref()?;
        let s = self.clone.parent_snapshot.as_ref()?;
        Some((v.name.as_str(), s.name.as_str()))
    }
}

/// A snapshot as listed.
#[derive(Debug, Clone, Deserialize)]
struct Snapshot {
    uuid: String,
    name: String,
    create_time: String,
    #[serde(default)]
    size: Option<u64>,
}

/// A page of records.
#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    records: Vec<T>,
    #[serde(default)]
    _links: Option<Links>,
}

#[derive(Debug, Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<Href>,
}

#[derive(Debug, Deserialize)]
struct Href {
    href: String,
}

/// The NetApp ONTAP backend for one database.
#[derive(Debug, Clone)]
pub struct Ontap {
    cfg: NetappConfig,
    http: HttpClient,
}

/// Clone volume names: letters, digits and `_` only (ONTAP's rule); anything else becomes `_`.
pub fn clone_volume_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, 'c');
    }
    out
}

fn storage(operation: String, status: Option<u16>, message: String) -> SnapError {
    SnapError::Storage {
        operation,
        status,
        message,
    }
}

impl Ontap {
    /// A handler with these settings and credentials.
    pub fn new(cfg: NetappConfig, credentials: Credentials) -> Result<Ontap, NetappError> {
        let http = HttpClient::new(cfg.url.clone(), &credentials, &cfg.http_options())?;
        Ok(Ontap { cfg, http })
    }

    /// Opens database `database` of a loaded `backup.cfg`.
    pub fn open(cfg: &backupcore::config::Config, database: &str) -> Result<Ontap, NetappError> {
        let db = cfg.database(database)?;
        let config = NetappConfig::from_config(&db)?;
        let credentials = load_credentials(cfg.dir())?;
        Ontap::new(config, credentials)
    }

    /// The settings.
    pub fn config(&self) -> &NetappConfig {
        &self.cfg
    }

    /// Warnings to print on every run.
    pub fn warnings(&self) -> Vec<String> {
        self.cfg.warnings()
    }

    fn main_volume(&self) -> &str {
        &self.cfg.volumes[0]
    }

    fn multi(&self) -> bool {
        self.cfg.volumes.len() > 1
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut url = self.http.url_for(&segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The error an ONTAP answer describes: `{"error": {"message", "code", "target"}}`.
    fn answer_error(&self, r: &HttpResponse) -> SnapError {
        let body: Value = r.json().unwrap_or(Value::Null);
        let e = &body["error"];
        let message = match (e["message"].as_str(), e["code"].as_str()) {
            (Some(m), Some(c)) => {
                let target = e["target"]
                    .as_str()
                    .map(|t| format!(", target {t}"))
                    .unwrap_or_default();
                format!("{m} (code {c}{target})")
            }
            (Some(m), None) => m.to_string(),
            _ => r.excerpt(200),
        };
        let message = self.http.redact(&message);
        match r.status {
            401 | 403 => SnapError::Auth {
                status: r.status,
                message,
            },
            _ => storage(r.operation.clone(), Some(r.status), message),
        }
    }

    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<(u16, Value), SnapError> {
        let r = self.http.send_url(method, url, body).await.map_err(|e| {
            storage(
                e.operation().to_string(),
                None,
                self.http.redact(&e.to_string()),
            )
        })?;
        if !r.is_success() {
            return Err(self.answer_error(&r));
        }
        let value = if r.body.is_empty() {
            Value::Null
        } else {
            r.json().map_err(|e| {
                storage(
                    r.operation.clone(),
                    Some(r.status),
                    format!("unreadable answer: {e}"),
                )
            })?
        };
        Ok((r.status, value))
    }

    /// A change: sends it, then follows the job of a `202 Accepted` until it ends.
    async fn change(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value, SnapError> {
        let (status, value) = self.call(method, url, body).await?;
        if status == 202 {
            if let Some(href) = value["job"]["_links"]["self"]["href"].as_str() {
                self.wait_job(href, what).await?;
            } else if let Some(uuid) = value["job"]["uuid"].as_str() {
                self.wait_job(&format!("/api/cluster/jobs/{uuid}"), what)
                    .await?;
            }
        }
        Ok(value)
    }

    /// Polls a job (backoff 100 ms doubling to 2 s) until success or failure, at most
    /// `jobtimeout`.
    async fn wait_job(&self, href: &str, what: &str) -> Result<(), SnapError> {
        let url = self.cfg.url.join(href).map_err(|e| {
            storage(
                what.to_string(),
                None,
                format!("bad job link {href:?}: {e}"),
            )
        })?;
        let start = Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            let (_, job) = self.call(Method::GET, url.clone(), None).await?;
            match job["state"].as_str().unwrap_or("") {
                "success" => return Ok(()),
                "failure" => {
                    let message = job["error"]["message"]
                        .as_str()
                        .or_else(|| job["message"].as_str())
                        .unwrap_or("the job failed without a message");
                    let code = job["error"]["code"]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| job["code"].as_i64().map(|c| c.to_string()));
                    let message = match code {
                        Some(c) => format!("{message} (code {c})"),
                        None => message.to_string(),
                    };
                    return Err(storage(
                        format!("{what}: ONTAP job {}", job["uuid"].as_str().unwrap_or(href)),
                        None,
                        self.http.redact(&message),
                    ));
                }
                _ => {}
            }
            if start.elapsed() >= self.cfg.job_timeout {
                return Err(SnapError::Timeout {
                    operation: format!(
                        "{what}: ONTAP job {} (state {})",
                        job["uuid"].as_str().unwrap_or(href),
                        job["state"].as_str().unwrap_or("unknown")
                    ),
                    seconds: self.cfg.job_timeout.as_secs(),
                });
            }
            let left = self.cfg.job_timeout.saturating_sub(start.elapsed());
            tokio::time::sleep(wait.min(left).max(Duration::from_millis(10))).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }

    /// Every record of a collection, following `_links.next`.
    async fn all<T: for<'de> Deserialize<'de>>(&self, mut url: Url) -> Result<Vec<T>, SnapError> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            let (_, value) = self.call(Method::GET, url.clone(), None).await?;
            let page: Page<T> = serde_json::from_value(value).map_err(|e| {
                storage(
                    format!("GET {}", url.path()),
                    None,
                    format!("unreadable records: {e}"),
                )
            })?;
            out.extend(page.records);
            match page._links.and_then(|l| l.next) {
                Some(next) => {
                    url = self.cfg.url.join(&next.href).map_err(|e| {
                        storage(
                            format!("GET {}", url.path()),
                            None,
                            format!("bad next link: {e}"),
                        )
                    })?
                }
                None => return Ok(out),
            }
        }
        Err(storage(
            format!("GET {}", url.path()),
            None,
            "more than 10 000 pages".into(),
        ))
    }

    async fn volumes_where(&self, query: &[(&str, &str)]) -> Result<Vec<Volume>, SnapError> {
        let mut q = vec![
            ("svm.name", self.cfg.svm.as_str()),
            ("fields", VOLUME_FIELDS),
            ("max_records", PAGE),
        ];
        q.extend_from_slice(query);
        self.all(self.url("api/storage/volumes", &q)).await
    }

    async fn volume(&self, name: &str) -> Result<Option<Volume>, SnapError> {
        Ok(self
            .volumes_where(&[("name", name)])
            .await?
            .into_iter()
            .find(|v| v.name == name))
    }

    async fn need_volume(&self, name: &str) -> Result<Volume, SnapError> {
        self.volume(name).await?.ok_or_else(|| SnapError::NotFound {
            kind: "filesystem",
            name: format!("{name} (volume on SVM {})", self.cfg.svm),
        })
    }

    async fn snapshots(&self, vol: &Volume) -> Result<Vec<Snapshot>, SnapError> {
        let path = format!("api/storage/volumes/{}/snapshots", vol.uuid);
        let with_size = self
            .all(self.url(
                &path,
                &[
                    ("fields", "uuid,name,create_time,size"),
                    ("max_records", PAGE),
                ],
            ))
            .await;
        match with_size {
            Ok(v) => Ok(v),
            // Releases without the field refuse it: ask again without.
            Err(SnapError::Storage {
                status: Some(400), ..
            }) => {
                self.all(self.url(
                    &path,
                    &[("fields", "uuid,name,create_time"), ("max_records", PAGE)],
                ))
                .await
            }
            Err(e) => Err(e),
        }
    }

    /// FlexClones of this database's main volume.
    async fn clones(&self) -> Result<Vec<Volume>, SnapError> {
        let parent = self.main_volume().to_string();
        Ok(self
            .volumes_where(&[("clone.parent_volume.name", &parent)])
            .await?
            .into_iter()
            .filter(|v| v.parent().is_some_and(|(p, _)| p == parent))
            .collect())
    }

    /// The user-visible name of a clone volume: multi-volume clones are `<name>0..` under a
    /// root volume `<name>`.
    fn clone_label(&self, volume: &str) -> String {
        if self.multi() {
            volume.strip_suffix('0').unwrap_or(volume).to_string()
        } else {
            volume.to_string()
        }
    }

    async fn drop_volume(&self, vol: &Volume) -> Result<(), SnapError> {
        let url = self.url(&format!("api/storage/volumes/{}", vol.uuid), &[]);
        if !vol.junction().is_empty() {
            self.change(
                Method::PATCH,
                url.clone(),
                Some(&json!({"nas": {"path": ""}})),
                &format!("unmounting volume {}", vol.name),
            )
            .await?;
        }
        self.change(
            Method::PATCH,
            url.clone(),
            Some(&json!({"state": "offline"})),
            &format!("taking volume {} offline", vol.name),
        )
        .await?;
        self.change(
            Method::DELETE,
            url,
            None,
            &format!("deleting volume {}", vol.name),
        )
        .await?;
        Ok(())
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[async_trait]
impl SnapHandler for Ontap {
    fn backend(&self) -> &str {
        "netapp"
    }

    fn database(&self) -> &str {
        &self.cfg.database
    }

    async fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError> {
        let clones = self.clones().await?;
        let mut out: Vec<SnapshotInfo> = Vec::new();
        for (i, name) in self.cfg.volumes.iter().enumerate() {
            let vol = match self.volume(name).await? {
                Some(v) => v,
                None if i == 0 => {
                    return Err(SnapError::NotFound {
                        kind: "filesystem",
                        name: format!("{name} (volume on SVM {})", self.cfg.svm),
                    })
                }
                None => continue,
            };
            for s in self.snapshots(&vol).await? {
                let created = parse_time(&s.create_time).ok_or_else(|| {
                    storage(
                        format!("GET snapshots of {name}"),
                        None,
                        format!("unreadable create_time {:?} of {}", s.create_time, s.name),
                    )
                })?;
                let size = s.size.unwrap_or(0);
                match out.iter_mut().find(|x| x.id == s.name) {
                    Some(x) => {
                        x.space_total += size;
                        x.space_unique += size;
                    }
                    None if i == 0 => out.push(SnapshotInfo {
                        id: s.name.clone(),
                        created,
                        clones: u32::try_from(
                            clones
                                .iter()
                                .filter(|c| c.parent().is_some_and(|(_, sn)| sn == s.name))
                                .count(),
                        )
                        .unwrap_or(u32::MAX),
                        space_total: size,
                        space_unique: size,
                    }),
                    // A snapshot only on an additional volume is not one of ours.
                    None => {}
                }
            }
        }
        Ok(out)
    }

    async fn create_snapshot(&self, name: &str) -> Result<String, SnapError> {
        let main = self.need_volume(self.main_volume()).await?;
        if self.snapshots(&main).await?.iter().any(|s| s.name == name) {
            return Err(SnapError::AlreadyExists {
                kind: "snapshot",
                name: name.to_string(),
            });
        }
        let mut done: Vec<Volume> = Vec::new();
        for vname in &self.cfg.volumes {
            let result = async {
                let vol = self.need_volume(vname).await?;
                let url = self.url(&format!("api/storage/volumes/{}/snapshots", vol.uuid), &[]);
                self.change(
                    Method::POST,
                    url,
                    Some(&json!({"name": name})),
                    &format!("creating snapshot {name} of {vname}"),
                )
                .await?;
                Ok::<_, SnapError>(vol)
            }
            .await;
            match result {
                Ok(vol) => done.push(vol),
                Err(e) => {
                    // No half snapshot: remove it from the volumes that got it.
                    for vol in &done {
                        if let Ok(snaps) = self.snapshots(vol).await {
                            if let Some(s) = snaps.iter().find(|s| s.name == name) {
                                let url = self.url(
                                    &format!(
                                        "api/storage/volumes/{}/snapshots/{}",
                                        vol.uuid, s.uuid
                                    ),
                                    &[],
                                );
                                let _ = self
                                    .change(
                                        Method::DELETE,
                                        url,
                                        None,
                                        "rolling back a partial snapshot",
                                    )
                                    .await;
                            }
                        }
                    }
                    return Err(e);
                }
            }
        }
        Ok(name.to_string())
    }

    async fn drop_snapshot(&self, id: &str) -> Result<(), SnapError> {
        let clones = self
            .clones()
            .await?
            .iter()
            .filter(|c| c.parent().is_some_and(|(_, s)| s == id))
            .count();
        if clones > 0 {
            return Err(SnapError::HasClones {
                snapshot: id.to_string(),
                clones: u32::try_from(clones).unwrap_or(u32::MAX),
            });
        }
        for (i, vname) in self.cfg.volumes.iter().enumerate() {
            let Some(vol) = self.volume(vname).await? else {
                if i == 0 {
                    return Err(SnapError::NotFound {
                        kind: "filesystem",
                        name: vname.clone(),
                    });
                }
                continue;
            };
            let snaps = self.snapshots(&vol).await?;
            match snaps.iter().find(|s| s.name == id) {
                Some(s) => {
                    let url = self.url(
                        &format!("api/storage/volumes/{}/snapshots/{}", vol.uuid, s.uuid),
                        &[],
                    );
                    self.change(
                        Method::DELETE,
                        url,
                        None,
                        &format!("deleting snapshot {id} of {vname}"),
                    )
                    .await?;
                }
                None if i == 0 => {
                    return Err(SnapError::NotFound {
                        kind: "snapshot",
                        name: id.to_string(),
                    })
                }
                // A volume added after this snapshot was taken does not have it.
                None => {}
            }
        }
        Ok(())
    }

    async fn clone_snapshot(
        &self,
        snapshot: &str,
        clone_name: &str,
    ) -> Result<CloneInfo, SnapError> {
        let main = self.need_volume(self.main_volume()).await?;
        if !self
            .snapshots(&main)
            .await?
            .iter()
            .any(|s| s.name == snapshot)
        {
            return Err(SnapError::NotFound {
                kind: "snapshot",
                name: snapshot.to_string(),
            });
        }
        let name = clone_volume_name(clone_name);
        if self.volume(&name).await?.is_some() {
            return Err(SnapError::AlreadyExists {
                kind: "filesystem",
                name,
            });
        }
        let root = format!("/{name}");
        let svm = self.cfg.svm.clone();
        if self.multi() {
            // A small namespace root volume holds one clone per volume.
            let aggregate = main
                .aggregates
                .first()
                .map(|a| a.name.clone())
                .unwrap_or_default();
            let mut body = json!({"name": name, "svm": {"name": svm}, "size": 104_857_600u64, "nas": {"path": root}});
            if aggregate.is_empty() {
                // No aggregate reported for the parent: let ONTAP place the FlexVol.
                body["style"] = json!("flexvol");
            } else {
                body["aggregates"] = json!([{"name": aggregate}]);
            }
            self.change(
                Method::POST,
                self.url("api/storage/volumes", &[]),
                Some(&body),
                &format!("creating namespace volume {name}"),
            )
            .await?;
        }
        for (i, vname) in self.cfg.volumes.iter().enumerate() {
            let (cname, path) = if self.multi() {
                let c = format!("{name}{i}");
                let p = format!("{root}/{c}");
                (c, p)
            } else {
                (name.clone(), root.clone())
            };
            let body = json!({
                "name": cname,
                "svm": {"name": svm},
                "clone": {"is_flexclone": true, "parent_volume": {"name": vname}, "parent_snapshot": {"name": snapshot}},
                "nas": {"path": path},
            });
            self.change(
                Method::POST,
                self.url("api/storage/volumes", &[]),
                Some(&body),
                &format!("cloning {vname} at {snapshot} as {cname}"),
            )
            .await?;
            // Clones show no .snapshot directory (as the original set nosnapdir).
            if let Some(v) = self.volume(&cname).await? {
                let url = self.url(&format!("api/storage/volumes/{}", v.uuid), &[]);
                if let Err(e) = self
                    .change(
                        Method::PATCH,
                        url,
                        Some(&json!({"snapshot_directory_access_enabled": false})),
                        &format!("hiding .snapshot of {cname}"),
                    )
                    .await
                {
                    tracing::warn!("{cname}: could not turn .snapshot access off: {e}");
                }
            }
        }
        Ok(CloneInfo {
            name,
            origin: snapshot.to_string(),
            mount_point: root,
        })
    }

    async fn drop_clone(&self, clone_name: &str) -> Result<(), SnapError> {
        let first = if self.multi() {
            format!("{clone_name}0")
        } else {
            clone_name.to_string()
        };
        let not_found = || SnapError::NotFound {
            kind: "clone",
            name: clone_name.to_string(),
        };
        let Some(vol) = self.volume(&first).await? else {
            if self.cfg.volumes.iter().any(|v| v == clone_name) {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: "it is one of the database's own volumes, not a clone".into(),
                });
            }
            return Err(not_found());
        };
        match vol.parent() {
            Some((p, _)) if p == self.main_volume() => {}
            Some((p, _)) => {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: format!("it is a clone of {p}, not of {}", self.main_volume()),
                })
            }
            None => {
                return Err(SnapError::NotOurClone {
                    name: clone_name.to_string(),
                    reason: "it is not a FlexClone".into(),
                })
            }
        }
        if self.multi() {
            for i in 0..self.cfg.volumes.len() {
                if let Some(v) = self.volume(&format!("{clone_name}{i}")).await? {
                    if v.parent().is_some() {
                        self.drop_volume(&v).await?;
                    }
                }
            }
            if let Some(root) = self.volume(clone_name).await? {
                if root.parent().is_none() && root.junction() == format!("/{clone_name}") {
                    self.drop_volume(&root).await?;
                }
            }
        } else {
            self.drop_volume(&vol).await?;
        }
        Ok(())
    }

    async fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError> {
        let mut out = Vec::new();
        for c in self.clones().await? {
            if self.multi() && !c.name.ends_with('0') {
                continue;
            }
            let label = self.clone_label(&c.name);
            let mount_point = if self.multi() {
                format!("/{label}")
            } else {
                c.junction()
            };
            out.push(CloneInfo {
                origin: c.parent().map(|(_, s)| s.to_string()).unwrap_or_default(),
                name: label,
                mount_point,
            });
        }
        Ok(out)
    }

    async fn filesystem_info(&self, name: Option<&str>) -> Result<FilesystemInfo, SnapError> {
        let name = name.unwrap_or(&self.cfg.database);
        if name == self.cfg.database || name == self.main_volume() {
            let v = self.need_volume(self.main_volume()).await?;
            return Ok(FilesystemInfo {
                name: self.cfg.database.clone(),
                mount_point: v.junction(),
                origin: None,
            });
        }
        let probe = if self.multi() {
            format!("{name}0")
        } else {
            name.to_string()
        };
        let v = match self.volume(&probe).await? {
            Some(v) => v,
            None => self.need_volume(name).await?,
        };
        let origin = v.parent().map(|(p, s)| CloneOrigin {
            filesystem: if p == self.main_volume() {
                self.cfg.database.clone()
            } else {
                p.to_string()
            },
            snapshot: s.to_string(),
        });
        let mount_point = if self.multi() && origin.is_some() {
            format!("/{name}")
        } else {
            v.junction()
        };
        Ok(FilesystemInfo {
            name: name.to_string(),
            mount_point,
            origin,
        })
    }

    async fn mount_string(&self, name: &str) -> Result<String, SnapError> {
        let fs = self.filesystem_info(Some(name)).await?;
        Ok(format!("{}:{}", self.cfg.mounthost, fs.mount_point))
    }

    async fn create_volume(&self) -> Result<FilesystemInfo, SnapError> {
        if self.volume(self.main_volume()).await?.is_some() {
            return Err(SnapError::AlreadyExists {
                kind: "filesystem",
                name: self.main_volume().to_string(),
            });
        }
        Err(SnapError::Unsupported(
            "creating a NetApp volume (size, aggregate and export policy are site decisions: create it with System Manager or `volume create`)",
        ))
    }

    fn snapshot_path(
        &self,
        name: &str,
        mounted_at: &std::path::Path,
    ) -> Result<std::path::PathBuf, SnapError> {
        Ok(mounted_at.join(".snapshot").join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_names_follow_ontap_rules() {
        assert_eq!(
            clone_volume_name("orcl-20261121T101500_clone_20261121T120000"),
            "orcl_20261121T101500_clone_20261121T120000"
        );
        assert_eq!(clone_volume_name("1st.clone"), "c1st_clone");
        assert_eq!(clone_volume_name("autorestore"), "autorestore");
    }
}

//! The appliance's state (pools, projects, filesystems, snapshots, clones), the storage
//! service operations on it, and their JSON renderings.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::contents;
use super::util::{format_time, percent_encode, whole_seconds};

/// Source of "now" for new snapshots and filesystems.
pub(crate) type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Where a clone comes from: the `origin` property of a cloned filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Pool of the origin snapshot (a clone always lives in the same pool).
    pub pool: String,
    /// Project of the filesystem the origin snapshot belongs to.
    pub project: String,
    /// Filesystem ("share") the origin snapshot belongs to.
    pub share: String,
    /// Name of the origin snapshot.
    pub snapshot: String,
}

/// Default space available reported for every filesystem (1 TiB).
const SPACE_AVAILABLE: u64 = 1 << 40;

/// Properties a client may not override through the create/clone request body: they are
/// identity or computed properties.
const RESERVED_FS_PROPS: &[&str] = &[
    "name",
    "pool",
    "project",
    "collection",
    "canonical_name",
    "creation",
    "origin",
    "href",
    "share",
    "space_data",
    "space_available",
    "space_snapshots",
    "space_total",
    "space_unused_res",
];

pub(crate) struct Snap {
    pub(crate) name: String,
    pub(crate) creation: DateTime<Utc>,
    pub(crate) space_data: u64,
    pub(crate) space_unique: u64,
    pub(crate) id: String,
}

pub(crate) struct Fs {
    pub(crate) pool: String,
    pub(crate) project: String,
    pub(crate) name: String,
    pub(crate) creation: DateTime<Utc>,
    pub(crate) space_data: u64,
    pub(crate) origin: Option<Origin>,
    /// Extra properties given at creation (e.g. `compression`, `mountpoint`).
    pub(crate) props: Map<String, Value>,
    /// Kept in creation order.
    pub(crate) snapshots: Vec<Snap>,
    /// The share's contents: the local directory playing its NFS mount, if bound.
    pub(crate) dir: Option<PathBuf>,
    /// Whether the fake created `dir` (a clone's copy) and removes it with the share.
    pub(crate) owns_dir: bool,
}

/// An error answered with the documented fault payload
/// `{"fault": {"message": "ERR_...", "details": "...", "code": <status>}}`.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) status: u16,
    pub(crate) message: &'static str,
    pub(crate) details: String,
}

impl Fault {
    pub(crate) fn new(status: u16, message: &'static str, details: impl Into<String>) -> Fault {
        Fault {
            status,
            message,
            details: details.into(),
        }
    }
    pub(crate) fn not_found(details: impl Into<String>) -> Fault {
        Fault::new(404, "ERR_NOT_FOUND", details)
    }
    pub(crate) fn exists(details: impl Into<String>) -> Fault {
        Fault::new(409, "ERR_OBJECT_EXISTS", details)
    }
    pub(crate) fn state_conflict(details: impl Into<String>) -> Fault {
        Fault::new(409, "ERR_STATE_CHANGED", details)
    }
    pub(crate) fn missing_arg(details: impl Into<String>) -> Fault {
        Fault::new(400, "ERR_MISSING_ARG", details)
    }
    pub(crate) fn invalid_arg(details: impl Into<String>) -> Fault {
        Fault::new(400, "ERR_INVALID_ARG", details)
    }
    pub(crate) fn not_implemented(details: impl Into<String>) -> Fault {
        Fault::new(501, "ERR_NOT_IMPLEMENTED", details)
    }
    pub(crate) fn internal(details: impl Into<String>) -> Fault {
        Fault::new(500, "ERR_INTERNAL", details)
    }

    /// The documented fault payload.
    pub(crate) fn body(&self) -> Value {
        json!({
            "fault": {
                "message": self.message,
                "details": self.details,
                "code": self.status,
            }
        })
    }
}

/// The documented fault name for an HTTP status (used for injected failures).
pub(crate) fn fault_name_for_status(status: u16) -> &'static str {
    match status {
        400 => "ERR_INVALID_ARG",
        401 => "ERR_UNAUTHORIZED",
        403 => "ERR_DENIED",
        404 => "ERR_NOT_FOUND",
        409 => "ERR_OBJECT_EXISTS",
        413 => "ERR_OVER_LIMIT",
        415 => "ERR_UNSUPPORTED_MEDIA",
        501 => "ERR_NOT_IMPLEMENTED",
        503 => "ERR_BUSY",
        _ => "ERR_INTERNAL",
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
    /// `Location` header of a created object.
    pub(crate) location: Option<String>,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body: Some(body),
            location: None,
        }
    }
    fn created(body: Value, location: String) -> Reply {
        Reply {
            status: 201,
            body: Some(body),
            location: Some(location),
        }
    }
    fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            location: None,
        }
    }
}

/// The request body as received.
pub(crate) enum Body {
    Empty,
    Json(Value),
    Invalid,
}

impl Body {
    /// The body as a JSON object (an empty body counts as `{}`).
    fn object(&self) -> Result<Map<String, Value>, Fault> {
        match self {
            Body::Empty => Ok(Map::new()),
            Body::Json(Value::Object(m)) => Ok(m.clone()),
            Body::Json(_) => Err(Fault::invalid_arg(
                "request body must be a JSON object of properties",
            )),
            Body::Invalid => Err(Fault::invalid_arg("request body is not valid JSON")),
        }
    }
}

fn string_arg(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, Fault> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Fault::invalid_arg(format!(
            "property '{key}' must be a string, got {other}"
        ))),
    }
}

/// ZFS dataset-name rules (the appliance passes names through to ZFS): not empty, at most
/// 255 bytes, none of `/ @ #` (path, snapshot and bookmark separators), no control chars.
fn check_name(kind: &str, name: &str) -> Result<(), Fault> {
    if name.is_empty() {
        return Err(Fault::invalid_arg(format!("{kind} name must not be empty")));
    }
    if name == "." || name == ".." {
        return Err(Fault::invalid_arg(format!(
            "invalid {kind} name '{name}': '.' and '..' are reserved"
        )));
    }
    if name.len() > 255
        || name
            .chars()
            .any(|c| matches!(c, '/' | '@' | '#') || c.is_control())
    {
        return Err(Fault::invalid_arg(format!(
            "invalid {kind} name '{name}': names may not contain '/', '@', '#' or control characters and are at most 255 bytes"
        )));
    }
    Ok(())
}

/// The whole appliance state.
pub(crate) struct Model {
    /// (pool, project) in creation order.
    pub(crate) projects: Vec<(String, String)>,
    /// In creation order.
    pub(crate) filesystems: Vec<Fs>,
    pub(crate) next_id: u64,
    pub(crate) clock: Clock,
    /// Render `origin` of non-clones as an object of empty strings instead of omitting it.
    pub(crate) empty_origin_for_non_clones: bool,
    /// `space_data` of filesystems created through the API.
    pub(crate) default_space_data: u64,
    /// Where clones of snapshots of bound filesystems get their contents.
    pub(crate) clone_root: Option<PathBuf>,
}

impl Model {
    pub(crate) fn new() -> Model {
        Model {
            projects: Vec::new(),
            filesystems: Vec::new(),
            next_id: 1,
            clock: Arc::new(Utc::now),
            empty_origin_for_non_clones: false,
            default_space_data: 1 << 30,
            clone_root: None,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        whole_seconds((self.clock)())
    }

    pub(crate) fn new_id(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        format!("2f5a0000-0000-4000-8000-{n:012x}")
    }

    // ----- seeding / inspection helpers -------------------------------------------------

    pub(crate) fn has_pool(&self, pool: &str) -> bool {
        self.projects.iter().any(|(p, _)| p == pool)
    }

    pub(crate) fn has_project(&self, pool: &str, project: &str) -> bool {
        self.projects.iter().any(|(p, j)| p == pool && j == project)
    }

    pub(crate) fn ensure_project(&mut self, pool: &str, project: &str) {
        if !self.has_project(pool, project) {
            self.projects.push((pool.to_owned(), project.to_owned()));
        }
    }

    pub(crate) fn fs_index(&self, pool: &str, project: &str, name: &str) -> Option<usize> {
        self.filesystems
            .iter()
            .position(|f| f.pool == pool && f.project == project && f.name == name)
    }

    pub(crate) fn fs(&self, pool: &str, project: &str, name: &str) -> Option<&Fs> {
        self.fs_index(pool, project, name)
            .map(|i| &self.filesystems[i])
    }

    pub(crate) fn insert_fs(
        &mut self,
        pool: &str,
        project: &str,
        name: &str,
        space_data: u64,
        origin: Option<Origin>,
        props: Map<String, Value>,
    ) -> usize {
        self.ensure_project(pool, project);
        let creation = self.now();
        self.filesystems.push(Fs {
            pool: pool.to_owned(),
            project: project.to_owned(),
            name: name.to_owned(),
            creation,
            space_data,
            origin,
            props,
            snapshots: Vec::new(),
            dir: None,
            owns_dir: false,
        });
        self.filesystems.len() - 1
    }

    /// Index of the filesystem, creating it (and its project) when missing.
    pub(crate) fn ensure_fs(&mut self, pool: &str, project: &str, name: &str) -> usize {
        match self.fs_index(pool, project, name) {
            Some(i) => i,
            None => {
                let size = self.default_space_data;
                self.insert_fs(pool, project, name, size, None, Map::new())
            }
        }
    }

    /// Inserts a snapshot keeping the list ordered by creation time (stable for equal times).
    pub(crate) fn insert_snapshot(
        &mut self,
        fs_index: usize,
        name: &str,
        creation: DateTime<Utc>,
        space_data: u64,
        space_unique: u64,
    ) {
        let id = self.new_id();
        let snaps = &mut self.filesystems[fs_index].snapshots;
        let creation = whole_seconds(creation);
        let pos = snaps
            .iter()
            .position(|s| s.creation > creation)
            .unwrap_or(snaps.len());
        snaps.insert(
            pos,
            Snap {
                name: name.to_owned(),
                creation,
                space_data,
                space_unique,
                id,
            },
        );
    }

    // ----- contents on local disk (bound filesystems) --------------------------------------

    fn canonical(fs: &Fs) -> String {
        format!("{}/local/{}/{}", fs.pool, fs.project, fs.name)
    }

    /// Copies a bound filesystem's directory to the snapshot's directory (nothing to do for
    /// an unbound filesystem). A failure is a 500 `ERR_INTERNAL` fault.
    pub(crate) fn snapshot_contents(&self, fs_index: usize, name: &str) -> Result<(), Fault> {
        let f = &self.filesystems[fs_index];
        match &f.dir {
            None => Ok(()),
            Some(dir) => contents::take_snapshot(dir, name).map_err(|e| {
                Fault::internal(format!(
                    "cannot create snapshot '{}@{name}': copying the share's contents failed: {e}",
                    Model::canonical(f)
                ))
            }),
        }
    }

    /// Removes the directory of a snapshot of a bound filesystem.
    fn remove_snapshot_contents(&self, fs_index: usize, name: &str) -> Result<(), Fault> {
        let f = &self.filesystems[fs_index];
        let Some(dir) = &f.dir else {
            return Ok(());
        };
        contents::component("snapshot", name)
            .and_then(|()| contents::remove_tree(&contents::snapshot_path(dir, name)))
            .map_err(|e| {
                Fault::internal(format!(
                    "cannot destroy snapshot '{}@{name}': removing its contents failed: {e}",
                    Model::canonical(f)
                ))
            })
    }

    /// Copies a snapshot of a bound filesystem to `<clone root>/<share>` when a clone root is
    /// set; returns the clone's directory (`None`: the clone has no contents on disk).
    pub(crate) fn clone_contents(
        &self,
        fs_index: usize,
        snap: &str,
        share: &str,
    ) -> Result<Option<PathBuf>, Fault> {
        let f = &self.filesystems[fs_index];
        let (Some(dir), Some(root)) = (&f.dir, &self.clone_root) else {
            return Ok(None);
        };
        contents::make_clone(dir, snap, root, share)
            .map(Some)
            .map_err(|e| {
                Fault::internal(format!(
                    "cannot clone snapshot '{}@{snap}' as '{share}': copying its contents failed: {e}",
                    Model::canonical(f)
                ))
            })
    }

    /// Removes what the fake put on disk for a filesystem about to be destroyed: the whole
    /// directory of a clone, the snapshot directories of a bound filesystem.
    fn remove_fs_contents(&self, fs_index: usize) -> Result<(), Fault> {
        let f = &self.filesystems[fs_index];
        let Some(dir) = &f.dir else {
            return Ok(());
        };
        let fail = |e: String| {
            Fault::internal(format!(
                "cannot destroy filesystem '{}': removing its contents failed: {e}",
                Model::canonical(f)
            ))
        };
        if f.owns_dir {
            return contents::remove_tree(dir).map_err(fail);
        }
        for s in &f.snapshots {
            if contents::component("snapshot", &s.name).is_ok() {
                contents::remove_tree(&contents::snapshot_path(dir, &s.name)).map_err(fail)?;
            }
        }
        contents::tidy_control_dir(dir);
        Ok(())
    }

    /// Filesystems (as `(project, share)`) cloned from the given snapshot, in creation order.
    pub(crate) fn dependents(
        &self,
        pool: &str,
        project: &str,
        share: &str,
        snapshot: &str,
    ) -> Vec<(String, String)> {
        self.filesystems
            .iter()
            .filter(|f| {
                f.origin.as_ref().is_some_and(|o| {
                    o.pool == pool
                        && o.project == project
                        && o.share == share
                        && o.snapshot == snapshot
                })
            })
            .map(|f| (f.project.clone(), f.name.clone()))
            .collect()
    }

    // ----- JSON renderings ----------------------------------------------------------------

    fn base(api: &str) -> String {
        format!("/api/storage/{api}")
    }

    fn pool_href(api: &str, pool: &str) -> String {
        format!("{}/pools/{}", Model::base(api), percent_encode(pool))
    }

    fn project_href(api: &str, pool: &str, project: &str) -> String {
        format!(
            "{}/projects/{}",
            Model::pool_href(api, pool),
            percent_encode(project)
        )
    }

    fn fs_href(api: &str, pool: &str, project: &str, fs: &str) -> String {
        format!(
            "{}/filesystems/{}",
            Model::project_href(api, pool, project),
            percent_encode(fs)
        )
    }

    fn snap_href(api: &str, fs: &Fs, snap: &str) -> String {
        format!(
            "{}/snapshots/{}",
            Model::fs_href(api, &fs.pool, &fs.project, &fs.name),
            percent_encode(snap)
        )
    }

    fn pool_json(api: &str, pool: &str) -> Value {
        json!({
            "name": pool,
            "status": "online",
            "href": Model::pool_href(api, pool),
        })
    }

    fn project_json(api: &str, pool: &str, project: &str) -> Value {
        json!({
            "name": project,
            "pool": pool,
            "collection": "local",
            "canonical_name": format!("{pool}/local/{project}"),
            "mountpoint": "/export",
            "href": Model::project_href(api, pool, project),
        })
    }

    pub(crate) fn fs_json(&self, api: &str, fs: &Fs) -> Value {
        let space_snapshots: u64 = fs.snapshots.iter().map(|s| s.space_unique).sum();
        let space_total = fs.space_data + space_snapshots;
        let mut obj = Map::new();
        obj.insert("name".into(), json!(fs.name));
        obj.insert("pool".into(), json!(fs.pool));
        obj.insert("project".into(), json!(fs.project));
        obj.insert("collection".into(), json!("local"));
        obj.insert(
            "canonical_name".into(),
            json!(format!("{}/local/{}/{}", fs.pool, fs.project, fs.name)),
        );
        obj.insert("creation".into(), json!(format_time(&fs.creation)));
        obj.insert("mountpoint".into(), json!(format!("/export/{}", fs.name)));
        obj.insert("quota".into(), json!(0));
        obj.insert("reservation".into(), json!(0));
        obj.insert("readonly".into(), json!(false));
        obj.insert("compression".into(), json!("off"));
        obj.insert("sharenfs".into(), json!("on"));
        obj.insert("nodestroy".into(), json!(false));
        obj.insert(
            "space_available".into(),
            json!(SPACE_AVAILABLE.saturating_sub(space_total)),
        );
        obj.insert("space_data".into(), json!(fs.space_data));
        obj.insert("space_snapshots".into(), json!(space_snapshots));
        obj.insert("space_total".into(), json!(space_total));
        obj.insert("space_unused_res".into(), json!(0));
        match (&fs.origin, self.empty_origin_for_non_clones) {
            (Some(o), _) => {
                obj.insert(
                    "origin".into(),
                    json!({
                        "pool": o.pool,
                        "project": o.project,
                        "share": o.share,
                        "snapshot": o.snapshot,
                    }),
                );
            }
            (None, true) => {
                obj.insert(
                    "origin".into(),
                    json!({"pool": "", "project": "", "share": "", "snapshot": ""}),
                );
            }
            (None, false) => {}
        }
        for (k, v) in &fs.props {
            obj.insert(k.clone(), v.clone());
        }
        obj.insert(
            "href".into(),
            json!(Model::fs_href(api, &fs.pool, &fs.project, &fs.name)),
        );
        Value::Object(obj)
    }

    pub(crate) fn snap_json(&self, api: &str, fs: &Fs, snap: &Snap) -> Value {
        let numclones = self
            .dependents(&fs.pool, &fs.project, &fs.name, &snap.name)
            .len();
        json!({
            "name": snap.name,
            "id": snap.id,
            "type": "snapshot",
            "collection": "local",
            "pool": fs.pool,
            "project": fs.project,
            "share": fs.name,
            "canonical_name": format!("{}/local/{}/{}@{}", fs.pool, fs.project, fs.name, snap.name),
            "creation": format_time(&snap.creation),
            "numclones": numclones,
            "isauto": false,
            "space_data": snap.space_data,
            "space_unique": snap.space_unique,
            "href": Model::snap_href(api, fs, &snap.name),
        })
    }

    // ----- lookups answering the documented 404 ------------------------------------------

    fn check_pool(&self, pool: &str) -> Result<(), Fault> {
        if self.has_pool(pool) {
            Ok(())
        } else {
            Err(Fault::not_found(format!("pool '{pool}' not found")))
        }
    }

    fn check_project(&self, pool: &str, project: &str) -> Result<(), Fault> {
        self.check_pool(pool)?;
        if self.has_project(pool, project) {
            Ok(())
        } else {
            Err(Fault::not_found(format!(
                "project '{project}' not found in pool '{pool}'"
            )))
        }
    }

    fn find_fs(&self, pool: &str, project: &str, fs: &str) -> Result<usize, Fault> {
        self.check_project(pool, project)?;
        self.fs_index(pool, project, fs).ok_or_else(|| {
            Fault::not_found(format!(
                "filesystem '{fs}' not found in project '{project}' of pool '{pool}'"
            ))
        })
    }

    fn find_snap(
        &self,
        pool: &str,
        project: &str,
        fs: &str,
        snap: &str,
    ) -> Result<(usize, usize), Fault> {
        let fi = self.find_fs(pool, project, fs)?;
        let si = self.filesystems[fi]
            .snapshots
            .iter()
            .position(|s| s.name == snap)
            .ok_or_else(|| {
                Fault::not_found(format!(
                    "snapshot '{snap}' not found on filesystem '{pool}/local/{project}/{fs}'"
                ))
            })?;
        Ok((fi, si))
    }

    // ----- storage service operations ------------------------------------------------------

    pub(crate) fn list_pools(&self, api: &str) -> Result<Reply, Fault> {
        let mut pools: Vec<&str> = Vec::new();
        for (p, _) in &self.projects {
            if !pools.contains(&p.as_str()) {
                pools.push(p);
            }
        }
        let list: Vec<Value> = pools.iter().map(|p| Model::pool_json(api, p)).collect();
        Ok(Reply::ok(json!({ "pools": list })))
    }

    pub(crate) fn get_pool(&self, api: &str, pool: &str) -> Result<Reply, Fault> {
        self.check_pool(pool)?;
        Ok(Reply::ok(json!({ "pool": Model::pool_json(api, pool) })))
    }

    pub(crate) fn list_projects(&self, api: &str, pool: &str) -> Result<Reply, Fault> {
        self.check_pool(pool)?;
        let list: Vec<Value> = self
            .projects
            .iter()
            .filter(|(p, _)| p == pool)
            .map(|(p, j)| Model::project_json(api, p, j))
            .collect();
        Ok(Reply::ok(json!({ "projects": list })))
    }

    pub(crate) fn get_project(&self, api: &str, pool: &str, project: &str) -> Result<Reply, Fault> {
        self.check_project(pool, project)?;
        Ok(Reply::ok(
            json!({ "project": Model::project_json(api, pool, project) }),
        ))
    }

    pub(crate) fn list_all_filesystems(&self, api: &str) -> Result<Reply, Fault> {
        let list: Vec<Value> = self
            .filesystems
            .iter()
            .map(|f| self.fs_json(api, f))
            .collect();
        Ok(Reply::ok(json!({ "filesystems": list })))
    }

    pub(crate) fn list_filesystems(
        &self,
        api: &str,
        pool: &str,
        project: &str,
    ) -> Result<Reply, Fault> {
        self.check_project(pool, project)?;
        let list: Vec<Value> = self
            .filesystems
            .iter()
            .filter(|f| f.pool == pool && f.project == project)
            .map(|f| self.fs_json(api, f))
            .collect();
        Ok(Reply::ok(json!({ "filesystems": list })))
    }

    pub(crate) fn get_filesystem(
        &self,
        api: &str,
        pool: &str,
        project: &str,
        fs: &str,
    ) -> Result<Reply, Fault> {
        let fi = self.find_fs(pool, project, fs)?;
        Ok(Reply::ok(
            json!({ "filesystem": self.fs_json(api, &self.filesystems[fi]) }),
        ))
    }

    pub(crate) fn create_filesystem(
        &mut self,
        api: &str,
        pool: &str,
        project: &str,
        body: &Body,
    ) -> Result<Reply, Fault> {
        self.check_project(pool, project)?;
        let mut obj = body.object()?;
        let name = string_arg(&obj, "name")?
            .ok_or_else(|| Fault::missing_arg("missing required property 'name'"))?;
        check_name("filesystem", &name)?;
        if self.fs_index(pool, project, &name).is_some() {
            return Err(Fault::exists(format!(
                "filesystem '{pool}/local/{project}/{name}' already exists"
            )));
        }
        for key in RESERVED_FS_PROPS {
            obj.remove(*key);
        }
        let size = self.default_space_data;
        let fi = self.insert_fs(pool, project, &name, size, None, obj);
        let fs = &self.filesystems[fi];
        Ok(Reply::created(
            json!({ "filesystem": self.fs_json(api, fs) }),
            Model::fs_href(api, pool, project, &name),
        ))
    }

    pub(crate) fn delete_filesystem(
        &mut self,
        pool: &str,
        project: &str,
        fs: &str,
    ) -> Result<Reply, Fault> {
        let fi = self.find_fs(pool, project, fs)?;
        let mut blocking: Vec<String> = Vec::new();
        for s in &self.filesystems[fi].snapshots {
            for (p, share) in self.dependents(pool, project, fs, &s.name) {
                blocking.push(format!("{pool}/local/{p}/{share} (clone of @{})", s.name));
            }
        }
        if !blocking.is_empty() {
            return Err(Fault::state_conflict(format!(
                "cannot destroy filesystem '{pool}/local/{project}/{fs}': filesystem has dependent clones: {}",
                blocking.join(", ")
            )));
        }
        self.remove_fs_contents(fi)?;
        self.filesystems.remove(fi);
        Ok(Reply::no_content())
    }

    pub(crate) fn list_snapshots(
        &self,
        api: &str,
        pool: &str,
        project: &str,
        fs: &str,
    ) -> Result<Reply, Fault> {
        let fi = self.find_fs(pool, project, fs)?;
        let f = &self.filesystems[fi];
        let list: Vec<Value> = f
            .snapshots
            .iter()
            .map(|s| self.snap_json(api, f, s))
            .collect();
        Ok(Reply::ok(json!({ "snapshots": list })))
    }

    pub(crate) fn get_snapshot(
        &self,
        api: &str,
        pool: &str,
        project: &str,
        fs: &str,
        snap: &str,
    ) -> Result<Reply, Fault> {
        let (fi, si) = self.find_snap(pool, project, fs, snap)?;
        let f = &self.filesystems[fi];
        Ok(Reply::ok(
            json!({ "snapshot": self.snap_json(api, f, &f.snapshots[si]) }),
        ))
    }

    pub(crate) fn create_snapshot(
        &mut self,
        api: &str,
        pool: &str,
        project: &str,
        fs: &str,
        body: &Body,
    ) -> Result<Reply, Fault> {
        let fi = self.find_fs(pool, project, fs)?;
        let obj = body.object()?;
        let name = string_arg(&obj, "name")?
            .ok_or_else(|| Fault::missing_arg("missing required property 'name'"))?;
        check_name("snapshot", &name)?;
        if self.filesystems[fi]
            .snapshots
            .iter()
            .any(|s| s.name == name)
        {
            return Err(Fault::exists(format!(
                "snapshot '{pool}/local/{project}/{fs}@{name}' already exists"
            )));
        }
        self.snapshot_contents(fi, &name)?;
        let now = self.now();
        let space_data = self.filesystems[fi].space_data;
        // A new snapshot is the newest: append (creation order).
        let id = self.new_id();
        self.filesystems[fi].snapshots.push(Snap {
            name: name.clone(),
            creation: now,
            space_data,
            space_unique: 0,
            id,
        });
        let f = &self.filesystems[fi];
        let snap = f.snapshots.last().ok_or_else(|| {
            Fault::new(500, "ERR_INTERNAL", "snapshot vanished while being created")
        })?;
        Ok(Reply::created(
            json!({ "snapshot": self.snap_json(api, f, snap) }),
            Model::snap_href(api, f, &name),
        ))
    }

    pub(crate) fn delete_snapshot(
        &mut self,
        pool: &str,
        project: &str,
        fs: &str,
        snap: &str,
    ) -> Result<Reply, Fault> {
        let (fi, si) = self.find_snap(pool, project, fs, snap)?;
        let deps = self.dependents(pool, project, fs, snap);
        if !deps.is_empty() {
            let names: Vec<String> = deps
                .iter()
                .map(|(p, s)| format!("{pool}/local/{p}/{s}"))
                .collect();
            return Err(Fault::state_conflict(format!(
                "cannot destroy snapshot '{pool}/local/{project}/{fs}@{snap}': snapshot has dependent clones: {}",
                names.join(", ")
            )));
        }
        self.remove_snapshot_contents(fi, snap)?;
        self.filesystems[fi].snapshots.remove(si);
        Ok(Reply::no_content())
    }

    pub(crate) fn clone_snapshot(
        &mut self,
        api: &str,
        pool: &str,
        project: &str,
        fs: &str,
        snap: &str,
        body: &Body,
    ) -> Result<Reply, Fault> {
        let (fi, si) = self.find_snap(pool, project, fs, snap)?;
        let mut obj = body.object()?;
        let share = string_arg(&obj, "share")?.ok_or_else(|| {
            Fault::missing_arg("missing required property 'share' (name of the clone)")
        })?;
        check_name("share", &share)?;
        let target_project = string_arg(&obj, "project")?.unwrap_or_else(|| project.to_owned());
        if let Some(target_pool) = string_arg(&obj, "pool")? {
            if target_pool != pool {
                return Err(Fault::invalid_arg(format!(
                    "a clone must be in the pool of its origin snapshot ('{pool}'), not '{target_pool}'"
                )));
            }
        }
        if !self.has_project(pool, &target_project) {
            return Err(Fault::not_found(format!(
                "project '{target_project}' not found in pool '{pool}'"
            )));
        }
        if self.fs_index(pool, &target_project, &share).is_some() {
            return Err(Fault::exists(format!(
                "share '{pool}/local/{target_project}/{share}' already exists"
            )));
        }
        for key in RESERVED_FS_PROPS {
            obj.remove(*key);
        }
        let space_data = self.filesystems[fi].snapshots[si].space_data;
        let origin = Origin {
            pool: pool.to_owned(),
            project: project.to_owned(),
            share: fs.to_owned(),
            snapshot: snap.to_owned(),
        };
        let dir = self.clone_contents(fi, snap, &share)?;
        let ci = self.insert_fs(pool, &target_project, &share, space_data, Some(origin), obj);
        self.filesystems[ci].owns_dir = dir.is_some();
        self.filesystems[ci].dir = dir;
        let clone = &self.filesystems[ci];
        Ok(Reply::created(
            json!({ "filesystem": self.fs_json(api, clone) }),
            Model::fs_href(api, pool, &target_project, &share),
        ))
    }

    pub(crate) fn list_dependents(
        &self,
        api: &str,
        pool: &str,
        project: &str,
        fs: &str,
        snap: &str,
    ) -> Result<Reply, Fault> {
        self.find_snap(pool, project, fs, snap)?;
        let list: Vec<Value> = self
            .dependents(pool, project, fs, snap)
            .into_iter()
            .map(|(p, s)| {
                json!({
                    "project": p,
                    "share": s,
                    "href": Model::fs_href(api, pool, &p, &s),
                })
            })
            .collect();
        Ok(Reply::ok(json!({ "dependents": list })))
    }
}

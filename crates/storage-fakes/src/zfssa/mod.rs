//! A stateful fake of the Oracle ZFS Storage Appliance (ZFSSA) RESTful API, storage service
//! (`/api/storage/v1` and `/api/storage/v2`), written from Oracle's "Oracle ZFS Storage
//! Appliance RESTful API Guide" (releases 2013.1 to OS8.8).
//!
//! # What is modelled
//!
//! Pools and projects (seeded only), filesystems (list, get, create, delete) and their
//! snapshots (list, get, create, delete, clone, list dependents):
//!
//! | Request | Path (after `/api/storage/v{1,2}`) | Success |
//! | --- | --- | --- |
//! | `GET` | `/pools`, `/pools/{pool}` | 200 `{"pools": [...]}`, `{"pool": {...}}` |
//! | `GET` | `/pools/{pool}/projects`, `/pools/{pool}/projects/{project}` | 200 `{"projects": [...]}`, `{"project": {...}}` |
//! | `GET` | `/filesystems` | 200 `{"filesystems": [...]}` (all pools and projects) |
//! | `GET` | `/pools/{pool}/projects/{project}/filesystems` | 200 `{"filesystems": [...]}` |
//! | `POST` | `/pools/{pool}/projects/{project}/filesystems` body `{"name": ...}` | 201 `{"filesystem": {...}}` + `Location` |
//! | `GET` | `.../filesystems/{fs}` | 200 `{"filesystem": {...}}` |
//! | `DELETE` | `.../filesystems/{fs}` | 204, no body |
//! | `GET` | `.../filesystems/{fs}/snapshots` | 200 `{"snapshots": [...]}` (creation order) |
//! | `POST` | `.../filesystems/{fs}/snapshots` body `{"name": ...}` | 201 `{"snapshot": {...}}` + `Location` |
//! | `GET` | `.../filesystems/{fs}/snapshots/{snap}` | 200 `{"snapshot": {...}}` |
//! | `DELETE` | `.../filesystems/{fs}/snapshots/{snap}` | 204, no body |
//! | `PUT` | `.../filesystems/{fs}/snapshots/{snap}/clone` body `{"project": ..., "share": ...}` | 201 `{"filesystem": {...}}` + `Location` |
//! | `GET` | `.../filesystems/{fs}/snapshots/{snap}/dependents` | 200 `{"dependents": [{"project", "share", "href"}]}` |
//!
//! Any other method or path under the storage service answers 501 `ERR_NOT_IMPLEMENTED`
//! (so a client calling something the fake does not model fails loudly); paths outside
//! `/api/storage/v1|v2` answer 404.
//!
//! # Contents on disk (NFS view)
//!
//! Snapshots and clones are metadata only unless a filesystem is bound to a local
//! directory with [`ZfssaFake::bind_directory`]: that directory then plays the share's NFS
//! mount. As on an appliance, where a client sees each snapshot read-only at
//! `<mount>/.zfs/snapshot/<name>`:
//!
//! * creating a snapshot (REST or [`ZfssaFake::add_snapshot`]) first copies the directory
//!   tree (regular files with their modification times, directories, symbolic links as
//!   links; not the top-level `.zfs`) to `<dir>/.zfs/snapshot/<name>`, files mode 0444 and
//!   directories 0555. Other file types, or any I/O error, fail the request with 500
//!   `ERR_INTERNAL` and no snapshot is created (nor any partial copy left);
//! * destroying the snapshot removes that directory (write permission restored first);
//! * with a clone root set ([`ZfssaFake::bind_clone_root`]), cloning a snapshot of a bound
//!   filesystem copies `<dir>/.zfs/snapshot/<name>` to `<clone root>/<clone share name>`
//!   (files 0644, directories 0755) and binds the clone to it, so the clone's own
//!   snapshots work alike; a failing copy (e.g. that directory exists) is a 500 and no
//!   clone. Destroying the clone removes its directory. Clones of unbound filesystems, or
//!   without a clone root, have no contents on disk;
//! * destroying a bound (non-clone) filesystem removes its snapshots' directories but
//!   leaves the bound directory itself alone.
//!
//! The copies are made with the fake's lock held, before the request is answered.
//! Snapshot rename is not modelled (501), so there is nothing to rename on disk.
//!
//! # Errors
//!
//! Errors carry the documented fault payload (guide, "Appliance Errors"):
//! `{"fault": {"message": "ERR_NOT_FOUND", "details": "<text>", "code": 404}}`, where
//! `message` is the error name and `code` the HTTP status:
//!
//! * missing or wrong credentials: 401 `ERR_UNAUTHORIZED`;
//! * unknown pool, project, filesystem or snapshot: 404 `ERR_NOT_FOUND`;
//! * creating a filesystem, snapshot or clone whose name exists: 409 `ERR_OBJECT_EXISTS`;
//! * destroying a snapshot that has clones, or a filesystem one of whose snapshots has
//!   clones: 409 `ERR_STATE_CHANGED`, the details naming the dependent clones;
//! * a body that is not a JSON object: 400 `ERR_INVALID_ARG`; a missing `name`/`share`:
//!   400 `ERR_MISSING_ARG`; a name `.` or `..` (or with `/ @ #`): 400 `ERR_INVALID_ARG`;
//! * copying or removing a bound filesystem's contents on disk fails: 500 `ERR_INTERNAL`.
//!
//! # Authentication
//!
//! Either HTTP Basic (`Authorization: Basic base64(user:password)`) or the
//! `X-Auth-User` / `X-Auth-Key` header pair, checked on every request. Sessions
//! (`X-Auth-Session`, the access service) are not modelled.
//!
//! Every response carries `X-Zfssa-Storage-Api: 1.0` (`2.0` under `/api/storage/v2`).
//! `href` values and `Location` headers use the API version of the request.

mod contents;
mod handler;
mod model;
mod util;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use handler::{lock, Injection, InjectionKind, Responder, Shared};
pub use model::Origin;

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, upper case (`GET`, `POST`, ...).
    pub method: String,
    /// The path with every segment percent-decoded, e.g.
    /// `/api/storage/v1/pools/p/projects/j/filesystems/fs 1/snapshots`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The JSON body; `None` when the body was empty. A body that is not valid JSON is
    /// recorded as `Some(Value::String(raw text))`.
    pub body: Option<Value>,
}

/// A running fake appliance: a [`wiremock::MockServer`] whose single catch-all mock is a
/// stateful responder. Dropping it stops the server.
///
/// Seeding and inspection methods act on the state directly (no HTTP); requests made
/// through HTTP see and change the same state.
pub struct ZfssaFake {
    server: MockServer,
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for ZfssaFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZfssaFake")
            .field("uri", &self.server.uri())
            .finish_non_exhaustive()
    }
}

impl ZfssaFake {
    /// Starts a fake on a free port of 127.0.0.1 accepting `user` / `password`.
    pub async fn start(user: &str, password: &str) -> ZfssaFake {
        Self::start_with(MockServer::builder(), user, password).await
    }

    /// Starts a fake serving on an already bound listener (to choose the port).
    pub async fn start_on(listener: TcpListener, user: &str, password: &str) -> ZfssaFake {
        Self::start_with(MockServer::builder().listener(listener), user, password).await
    }

    async fn start_with(
        builder: wiremock::MockServerBuilder,
        user: &str,
        password: &str,
    ) -> ZfssaFake {
        // The fake records requests itself; wiremock's own recording would only grow.
        let server = builder.disable_request_recording().start().await;
        let shared = Arc::new(Mutex::new(Shared::new(user, password)));
        Mock::given(any())
            .respond_with(Responder(Arc::clone(&shared)))
            .mount(&server)
            .await;
        ZfssaFake { server, shared }
    }

    /// Base URI of the appliance, e.g. `http://127.0.0.1:40123` (the client appends
    /// `/api/storage/v1`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The socket address the fake listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    /// Adds a project (and its pool, if new). Adding an existing project does nothing.
    pub fn add_project(&self, pool: &str, project: &str) {
        lock(&self.shared).model.ensure_project(pool, project);
    }

    /// Adds a filesystem (and its project and pool, if new), created "now" by the fake's
    /// clock. Adding an existing filesystem does nothing.
    pub fn add_filesystem(&self, pool: &str, project: &str, name: &str) {
        lock(&self.shared).model.ensure_fs(pool, project, name);
    }

    /// Sets the `space_data` (referenced bytes) of a filesystem, creating it if needed.
    /// Snapshots created afterwards report this as their `space_data`.
    pub fn set_filesystem_space_data(&self, pool: &str, project: &str, name: &str, bytes: u64) {
        let mut shared = lock(&self.shared);
        let fi = shared.model.ensure_fs(pool, project, name);
        shared.model.filesystems[fi].space_data = bytes;
    }

    /// Sets the `space_data` of filesystems created later through the API (default 1 GiB).
    pub fn set_default_space_data(&self, bytes: u64) {
        lock(&self.shared).model.default_space_data = bytes;
    }

    /// Adds a snapshot with the given creation time and space figures, creating the
    /// filesystem (and project, pool) if needed. Snapshots are kept in creation-time order.
    /// If the filesystem is bound to a directory ([`ZfssaFake::bind_directory`]), its
    /// current contents are copied to the snapshot's directory, as the REST call does.
    ///
    /// # Panics
    /// If the filesystem already has a snapshot of that name, or copying a bound
    /// filesystem's contents fails.
    #[allow(clippy::too_many_arguments)]
    pub fn add_snapshot(
        &self,
        pool: &str,
        project: &str,
        fs: &str,
        name: &str,
        creation: DateTime<Utc>,
        space_data: u64,
        space_unique: u64,
    ) {
        let mut shared = lock(&self.shared);
        let fi = shared.model.ensure_fs(pool, project, fs);
        if shared.model.filesystems[fi]
            .snapshots
            .iter()
            .any(|s| s.name == name)
        {
            drop(shared);
            panic!("snapshot {pool}/{project}/{fs}@{name} already exists");
        }
        if let Err(fault) = shared.model.snapshot_contents(fi, name) {
            drop(shared);
            panic!("{}", fault.details);
        }
        shared
            .model
            .insert_snapshot(fi, name, creation, space_data, space_unique);
    }

    /// Adds a clone `clone_project/clone_name` of snapshot `pool/project/fs@snapshot`
    /// (the clone project is created if needed), as the clone call would, contents on disk
    /// included (see [`ZfssaFake::bind_clone_root`]).
    ///
    /// # Panics
    /// If the snapshot does not exist, the clone name is taken, or copying the snapshot's
    /// contents fails.
    pub fn add_clone(
        &self,
        pool: &str,
        project: &str,
        fs: &str,
        snapshot: &str,
        clone_project: &str,
        clone_name: &str,
    ) {
        let mut shared = lock(&self.shared);
        let model = &mut shared.model;
        let source = model.fs_index(pool, project, fs).and_then(|fi| {
            model.filesystems[fi]
                .snapshots
                .iter()
                .find(|s| s.name == snapshot)
                .map(|s| (fi, s.space_data))
        });
        let Some((fi, space_data)) = source else {
            drop(shared);
            panic!("snapshot {pool}/{project}/{fs}@{snapshot} does not exist");
        };
        if model.fs(pool, clone_project, clone_name).is_some() {
            drop(shared);
            panic!("filesystem {pool}/{clone_project}/{clone_name} already exists");
        }
        let dir = match model.clone_contents(fi, snapshot, clone_name) {
            Ok(d) => d,
            Err(fault) => {
                drop(shared);
                panic!("{}", fault.details);
            }
        };
        let origin = Origin {
            pool: pool.to_owned(),
            project: project.to_owned(),
            share: fs.to_owned(),
            snapshot: snapshot.to_owned(),
        };
        let ci = model.insert_fs(
            pool,
            clone_project,
            clone_name,
            space_data,
            Some(origin),
            Map::new(),
        );
        model.filesystems[ci].owns_dir = dir.is_some();
        model.filesystems[ci].dir = dir;
    }

    /// Binds a filesystem (created, with its project and pool, if missing) to the local
    /// directory `dir`, which then plays its NFS mount: snapshots created from now on copy
    /// `dir` to `dir/.zfs/snapshot/<name>` (see the module documentation). Snapshots taken
    /// before binding have no contents on disk. Binding again replaces the directory. The
    /// directory is not created or checked here; a missing one makes snapshots fail (500).
    pub fn bind_directory(&self, pool: &str, project: &str, fs: &str, dir: impl Into<PathBuf>) {
        let dir = dir.into();
        let mut shared = lock(&self.shared);
        let fi = shared.model.ensure_fs(pool, project, fs);
        let f = &mut shared.model.filesystems[fi];
        f.dir = Some(dir);
        f.owns_dir = false;
    }

    /// Sets the directory under which clones of snapshots of bound filesystems get their
    /// contents, `dir/<clone share name>` (created when needed), as if the clones were
    /// mounted there. Affects clones created from now on.
    pub fn bind_clone_root(&self, dir: impl Into<PathBuf>) {
        lock(&self.shared).model.clone_root = Some(dir.into());
    }

    /// The directory holding a filesystem's contents: the bound directory, or a clone's
    /// copy under the clone root. `None` if the filesystem does not exist or has no
    /// contents on disk.
    pub fn filesystem_dir(&self, pool: &str, project: &str, fs: &str) -> Option<PathBuf> {
        lock(&self.shared)
            .model
            .fs(pool, project, fs)
            .and_then(|f| f.dir.clone())
    }

    /// The directory of a snapshot's contents, `<filesystem dir>/.zfs/snapshot/<name>`.
    /// `None` if the snapshot does not exist or its filesystem is not bound (the path is
    /// given even for a snapshot taken before binding, which has no copy).
    pub fn snapshot_dir(
        &self,
        pool: &str,
        project: &str,
        fs: &str,
        snapshot: &str,
    ) -> Option<PathBuf> {
        let shared = lock(&self.shared);
        let f = shared.model.fs(pool, project, fs)?;
        f.snapshots.iter().find(|s| s.name == snapshot)?;
        let dir = f.dir.as_ref()?;
        Some(contents::snapshot_path(dir, snapshot))
    }

    /// Names of the snapshots of a filesystem, in creation order (empty if it does not exist).
    pub fn snapshots(&self, pool: &str, project: &str, fs: &str) -> Vec<String> {
        lock(&self.shared)
            .model
            .fs(pool, project, fs)
            .map(|f| f.snapshots.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Names of the filesystems of a project, in creation order.
    pub fn filesystems(&self, pool: &str, project: &str) -> Vec<String> {
        lock(&self.shared)
            .model
            .filesystems
            .iter()
            .filter(|f| f.pool == pool && f.project == project)
            .map(|f| f.name.clone())
            .collect()
    }

    /// The origin of a filesystem: `Some` for a clone, `None` for a non-clone or a missing
    /// filesystem.
    pub fn origin(&self, pool: &str, project: &str, fs: &str) -> Option<Origin> {
        lock(&self.shared)
            .model
            .fs(pool, project, fs)
            .and_then(|f| f.origin.clone())
    }

    /// `numclones` of a snapshot (`None` if the snapshot does not exist).
    pub fn numclones(&self, pool: &str, project: &str, fs: &str, snapshot: &str) -> Option<usize> {
        let shared = lock(&self.shared);
        let f = shared.model.fs(pool, project, fs)?;
        f.snapshots.iter().find(|s| s.name == snapshot)?;
        Some(shared.model.dependents(pool, project, fs, snapshot).len())
    }

    /// Every request received so far (authenticated or not), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared).requests.clear();
    }

    /// Turns request recording on (default) or off (for long benchmark runs).
    pub fn set_request_recording(&self, on: bool) {
        lock(&self.shared).recording = on;
    }

    /// One-shot failure: the next request with this method (case-insensitive) whose decoded
    /// path contains `path_contains` is answered `status` without touching the state (and
    /// before authentication). `body` `None` gives the documented fault payload with the
    /// error name matching the status (e.g. 503 `ERR_BUSY`, 500 `ERR_INTERNAL`).
    /// Several injections queue up; each is consumed by one request.
    pub fn fail_next(&self, method: &str, path_contains: &str, status: u16, body: Option<Value>) {
        self.inject(
            method,
            path_contains,
            InjectionKind::FailNext { status, body },
        );
    }

    /// One-shot ambiguous failure: the next matching request that succeeds is applied (the
    /// change happens) but answered `status` with a fault payload. A matching request that
    /// fails on its own (404, 409, ...) gets its real answer and does not consume this.
    pub fn fail_after_apply(&self, method: &str, path_contains: &str, status: u16) {
        self.inject(
            method,
            path_contains,
            InjectionKind::FailAfterApply { status },
        );
    }

    /// One-shot malformed answer: the next matching request that succeeds is applied and
    /// answered with its success status (200/201; a 204 becomes 200) but a truncated,
    /// unparsable JSON body. Failing requests do not consume it.
    pub fn set_malformed_next(&self, method: &str, path_contains: &str) {
        self.inject(method, path_contains, InjectionKind::Malformed);
    }

    fn inject(&self, method: &str, path_contains: &str, kind: InjectionKind) {
        lock(&self.shared).injections.push(Injection {
            method: method.to_owned(),
            path_contains: path_contains.to_owned(),
            kind,
        });
    }

    /// Delays every response by `d` (`Duration::ZERO` to stop delaying).
    pub fn set_delay(&self, d: Duration) {
        lock(&self.shared).delay = (!d.is_zero()).then_some(d);
    }

    /// Sets the clock giving the creation time of snapshots and filesystems created from
    /// now on (default `Utc::now`); times are truncated to whole seconds. The clock is called
    /// with the fake's lock held: it must not call back into the fake.
    pub fn set_clock(&self, f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) {
        lock(&self.shared).model.clock = Arc::new(f);
    }

    /// How non-clone filesystems render `origin`: omitted (default, `false`) or as an
    /// object of empty strings (`true`). The guide does not show a non-clone's `origin`;
    /// this lets a client be tested against both plausible shapes.
    pub fn set_empty_origin_for_non_clones(&self, empty: bool) {
        lock(&self.shared).model.empty_origin_for_non_clones = empty;
    }
}

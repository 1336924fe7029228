//! A stateful fake of the NetApp ONTAP REST API (ONTAP 9.6 and later), written from
//! NetApp's public documentation only: the *ONTAP REST API reference*
//! (`https://docs.netapp.com/us-en/ontap-restapi/…`, and the 9.9.1, 9.11.1 and 9.15.1
//! editions `…/ontap-restapi-991/…`, `-9111`, `-9151`) and the *ONTAP automation* guide
//! (`https://docs.netapp.com/us-en/ontap-automation/…`).
//!
//! # What is modelled
//!
//! SVMs (seeded only), FlexVol volumes and FlexClones, volume snapshots, and the jobs of
//! asynchronous operations. Pages are named relative to
//! `https://docs.netapp.com/us-en/ontap-restapi/` (the reference) or
//! `https://docs.netapp.com/us-en/ontap-automation/` (the guide, "auto:").
//!
//! | Request | Path | Success | Documentation |
//! | --- | --- | --- | --- |
//! | `GET` | `/api/svm/svms` | 200 collection | auto: `workflows/wf_svm_list_svms.html` |
//! | `GET` | `/api/svm/svms/{uuid}` | 200 record | (same object) |
//! | `GET` | `/api/storage/volumes` | 200 collection | `storage_volumes_endpoint_overview.html` ("Retrieving the list of volumes") |
//! | `POST` | `/api/storage/volumes` body `{"name", "svm": {"name"\|"uuid"}, "aggregates": [{"name"}], "size", "nas": {"path", "security_style"}, "snapshot_directory_access_enabled", "comment", "state"}` | 202 job, `Location: /api/storage/volumes/?name=<name>` | `post-storage-volumes.html`, overview ("Creating a volume") |
//! | `POST` | `/api/storage/volumes` body `{"name", "svm", "clone": {"is_flexclone": true, "parent_volume": {"name"\|"uuid"}, "parent_snapshot": {"name"\|"uuid"}, "parent_svm"}, "nas": {"path"}}` | 202 job (a FlexClone) | overview ("Creating a FlexClone…"), `post-storage-volumes.html` (`clone`) |
//! | `GET` | `/api/storage/volumes/{uuid}` | 200 record | overview ("Retrieving the attributes of a volume") |
//! | `PATCH` | `/api/storage/volumes/{uuid}` body `{"name", "size", "state", "nas": {"path", "security_style"}, "snapshot_directory_access_enabled", "comment", "clone": {"split_initiated"}}`; query `snapshot_directory_access_enabled` | 202 job | `patch-storage-volumes-.html` (9.11.1, 9.15.1 editions) |
//! | `DELETE` | `/api/storage/volumes/{uuid}` (query `force` accepted) | 202 job | `delete-storage-volumes-.html` (9.9.1 edition), overview ("Deleting a volume") |
//! | `GET` | `/api/storage/volumes/{uuid}/snapshots` | 200 collection | `storage_volumes_volume.uuid_snapshots_endpoint_overview.html` |
//! | `POST` | `/api/storage/volumes/{uuid}/snapshots` body `{"name", "comment"}` | 202 job, `Location: …/snapshots/?name=<name>` | `post-storage-volumes-snapshots.html` (9.15.1 edition), overview |
//! | `GET` | `/api/storage/volumes/{uuid}/snapshots/{uuid}` | 200 record | overview ("Retrieving the attributes of a specific snapshot") |
//! | `PATCH` | `/api/storage/volumes/{uuid}/snapshots/{uuid}` body `{"name", "comment"}` | 202 job | overview ("Updating a snapshot") |
//! | `DELETE` | `/api/storage/volumes/{uuid}/snapshots/{uuid}` | 202 job | `delete-storage-volumes-snapshots-.html` |
//! | `GET` | `/api/cluster/jobs` | 200 collection | `get-cluster-jobs.html` (9.15.1 edition) |
//! | `GET` | `/api/cluster/jobs/{uuid}` | 200 job | `get-cluster-jobs-.html` (9.9.1 edition), `cluster_jobs_endpoint_overview.html`, auto: `rest/asynchronous_processing.html`, `workflows/wf_jobs_get_job.html` |
//!
//! Another method on one of these paths answers 405 (code `3`); any other path answers 404
//! (code `4`), both saying the request is not modelled, so a client calling something the
//! fake does not model fails loudly. Query-based PATCH/DELETE on collections, bulk
//! snapshot calls (`/api/storage/volumes/*/snapshots`), `HEAD` and `OPTIONS` are not
//! modelled.
//!
//! # Records
//!
//! A volume record (instance GET, `fields=*`) has `uuid`, `name`, `comment`, `create_time`,
//! `size`, `state`, `style` (`flexvol`), `type` (`rw`), `aggregates[{name, uuid}]`,
//! `svm{name, uuid, _links}`, `nas{path, security_style, unix_permissions, export_policy}`
//! (`nas.path` only while mounted, as documented), `clone{is_flexclone, parent_volume{name,
//! uuid}, parent_snapshot{name, uuid}, parent_svm{name, uuid}, split_complete_percent}`
//! (only `is_flexclone: false` for a non-clone), `space{size, used, available,
//! snapshot{used, reserve_percent}}` (online volumes only), `snapshot_count`,
//! `snapshot_directory_access_enabled` (a top-level field, as in the 9.15.1 reference, not
//! under `nas`) and `_links.self`. A snapshot record has `uuid`, `name`, `create_time`,
//! `comment`, `size`, `volume{name, uuid, _links}`, `svm{name, uuid, _links}`, `_links.self`.
//! Times are ISO 8601 with a numeric offset (`2019-03-13T13:05:00-04:00`), in the offset set
//! with [`NetappFake::set_time_offset`] (default `+00:00`).
//!
//! # Queries ("Getting started with the ONTAP REST API", `getting_started_with_the_ontap_rest_api.html`)
//!
//! * Collection GETs show `uuid`, `name` and `_links` per record unless `fields=` asks for
//!   more: dotted paths, braces (`svm.{name,uuid}`), `!` exclusions, `*` / `**` (all). An
//!   unknown field is 400 (code `262197`), mismatched braces 400 (`262286`).
//! * Any field path is a filter (`name=db*`, `svm.name=vs0`, `clone.parent_volume.name=x`):
//!   exact value, `*` wildcards, `|` alternatives, `!` negation, `< > <= >=`, `a..b`
//!   ranges, `"…"`/`{…}` literals, `null`/`!null`. Unset fields match only `null`. An
//!   unknown parameter is 400 `Unexpected argument` (`262179`).
//! * Records are ordered by `uuid`; the fake's UUIDs order volumes by creation and
//!   snapshots by `create_time` (as the reference's examples list them). `max_records`
//!   limits a page; when more records remain the answer has `_links.next.href` (the same
//!   query plus `start.uuid=<next record>`) and a `Link: <…>; rel="next"` header.
//!   `order_by=<field> [asc|desc]` sorts (then `next` uses `offset`); `offset`,
//!   `return_records=false` (count only) and `num_records` follow the reference.
//! * `Accept: application/json` (without `hal`) drops every `_links` except the
//!   collection's `next`, as `rest/input_variables.html` of the guide says.
//!
//! # Asynchronous operations and jobs
//!
//! Every POST, PATCH and DELETE above answers 202 with
//! `{"job": {"uuid", "_links": {"self": {"href": "/api/cluster/jobs/<uuid>"}}}}` (POSTs also
//! with `Location`; with `return_records=true`, `num_records` and the request's record).
//! The change happens when the job runs, and that is deterministic:
//!
//! * by default a job runs when it is created, so its first GET reports `success` or
//!   `failure`;
//! * with [`NetappFake::set_job_polls`]`(n)` the first `n` GETs of a job report the pending
//!   state (`running`, or `queued`/`paused` with [`NetappFake::set_pending_job_state`]) and
//!   the job runs at GET `n + 1`;
//! * [`NetappFake::hang_next_job`] makes the next job of a kind never run (until
//!   [`NetappFake::run_job`]); [`NetappFake::fail_next_job`] makes it fail with a given
//!   message and code without changing anything;
//! * `return_timeout` > 0 runs a job that is not hung right away and answers 201 (POST) or
//!   200 with the job link, or the job's error object with its HTTP status (the guide,
//!   `rest/asynchronous_processing.html`); hung jobs still answer 202.
//!
//! A job record has `uuid`, `description` (e.g. `DELETE /api/storage/volumes/<uuid>`),
//! `state` (`queued`, `running`, `paused`, `success`, `failure`), `message` (`success` on
//! success, the error message on failure), `code` (integer: 0, or the failure's code),
//! `error{message, code, target}` on failure, `start_time`, `end_time`, `svm` and
//! `_links.self`. Finished jobs stay until [`NetappFake::expire_finished_jobs`] (the
//! reference deletes them 300 s after they end; the fake keeps no wall clock).
//!
//! # Errors
//!
//! Errors carry the documented object `{"error": {"message", "code", "target"}}` with
//! `code` a string (the per-endpoint "returned_error" definitions; the overview's
//! "Error objects" shows an integer):
//!
//! * unknown volume, snapshot, SVM or job UUID in the path: 404
//!   `{"message": "entry doesn't exist", "code": "4", "target": "uuid"}`;
//! * missing or wrong HTTP Basic credentials: 401 (code `6`) with `WWW-Authenticate`;
//! * injected ([`NetappFake::fail_next`]): any status, e.g. 403
//!   `{"message": "not authorized for that command", "code": "6"}`;
//! * malformed requests (never a panic): invalid JSON 400 `262199`, a non-object body 400
//!   `2`, a body on GET/DELETE 400 `262198`, an unknown body field or query parameter 400
//!   `262179`, a field specified twice 400 `262188`, a missing required field 400
//!   `262177`, a value of the wrong type or form 400 `262197`, an invalid `nas.path` 400
//!   `918252`, an invalid snapshot name 400 `1638518`, an invalid `state` 400 `918652`,
//!   no SVM 400 `2621707`, SVM name and UUID disagreeing 400 `2621706`, an unknown SVM
//!   name 404 `2621462`, no clone parent 400 `918246`, parent name and UUID disagreeing
//!   400 `918236` / `918243`, no aggregates for a new volume 400 `787140`;
//! * state conflicts make the job fail (`state: failure`): a duplicate volume name
//!   `917526`, a duplicate snapshot name `525059`, a snapshot on a volume that is not
//!   online `524479`, mounting a volume that is not online `9437885`, a junction path in
//!   use by another volume of the SVM `1`, deleting a mounted volume `8`, deleting the
//!   parent of a FlexClone `8`, deleting the snapshot a FlexClone is based on `1638555`
//!   ("Snapshot copy "…" of volume "…" on Vserver "…" has not expired or is locked. …").
//!
//! # Choices where the documentation is silent or ambiguous
//!
//! * Volume DELETE: the 9.9.1 reference says "If a volume is online, it is offlined before
//!   deletion. If a volume is mounted, unmount the volume by specifying the nas.path as
//!   empty before deleting it": an online unmounted volume is deleted, a mounted one fails
//!   (code `8`, message wording the fake's). Deleting a FlexClone's parent fails ("While a
//!   FlexClone volume exists, some operations on its parent are not allowed, such as
//!   deleting the parent volume", *Data ONTAP Logical Storage Management Guide*); its
//!   snapshots go with it.
//! * A snapshot backing a FlexClone cannot be deleted ("The common Snapshot copy shared
//!   between a FlexClone volume and its parent volume cannot be deleted while the FlexClone
//!   volume exists", same guide). The REST reference documents no clone-specific code; the
//!   fake uses `1638555` ("The specified snapshot has not expired or is locked") with the
//!   CLI's wording for a busy snapshot.
//! * Conflicts are job failures rather than synchronous 409s (both are allowed by the
//!   reference, which lists these codes under "Error" of asynchronous operations).
//! * Taking a volume offline (or restricted) clears its junction path ("Taking a volume
//!   offline removes its junction path"); bringing it online does not restore it.
//! * `snapshot_directory_access_enabled` is a top-level volume field (9.15.1) and also
//!   accepted as a PATCH query parameter, where the 9.10–9.15 references list it.
//!   Default `true`.
//! * A FlexClone without `parent_snapshot` gets a new snapshot of the parent named
//!   `clone_<clone name>.0` (the reference only says a new snapshot is taken). A clone
//!   inherits the parent's size, security style, snapshot directory access and aggregates.
//! * Aggregates are not modelled beyond names: any name is accepted. A non-clone create
//!   needs `aggregates` (or `style`) as in the 9.6 reference, unless
//!   [`NetappFake::set_require_aggregates`]`(false)`.
//! * Bodies may use dotted keys (`{"nas.path": "/x"}`) and string booleans / sizes
//!   (`"true"`, `"20MB"`), as the reference's examples and "Size properties" do.
//! * The 401 body is not documented; the fake answers the error object with code `6`.

mod handler;
mod jobs;
mod model;
mod ops;
mod query;
mod util;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use handler::{injected_error, lock, Injection, InjectionKind, Responder, Shared};
pub use jobs::JobKind;
use jobs::JobPlan;
use model::{ApiError, CloneOrigin, Model};

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, upper case (`GET`, `POST`, ...).
    pub method: String,
    /// The path with every segment percent-decoded, e.g. `/api/storage/volumes`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The JSON body; `None` when the body was empty. A body that is not valid JSON is
    /// recorded as `Some(Value::String(raw text))`.
    pub body: Option<Value>,
}

/// Where a FlexClone comes from (`clone.parent_*` of the volume record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneParent {
    /// Name of the parent volume (its current name if it still exists).
    pub volume_name: String,
    /// UUID of the parent volume.
    pub volume_uuid: String,
    /// Name of the parent snapshot.
    pub snapshot_name: String,
    /// UUID of the parent snapshot.
    pub snapshot_uuid: String,
}

/// A volume as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    /// Volume UUID.
    pub uuid: String,
    /// Volume name.
    pub name: String,
    /// Name of its SVM.
    pub svm: String,
    /// `online`, `offline` or `restricted`.
    pub state: String,
    /// `nas.path`, when mounted.
    pub junction_path: Option<String>,
    /// `size` in bytes.
    pub size: u64,
    /// `space.used` in bytes (also the `size` of snapshots taken from now on).
    pub used: u64,
    /// `nas.security_style`.
    pub security_style: String,
    /// `snapshot_directory_access_enabled` (`.snapshot` visible to clients).
    pub snapshot_directory_access_enabled: bool,
    /// `comment`.
    pub comment: Option<String>,
    /// `Some` for a FlexClone.
    pub clone_parent: Option<CloneParent>,
}

/// A job as the fake holds it (reading it does not count as a poll).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// Job UUID.
    pub uuid: String,
    /// What started it.
    pub kind: JobKind,
    /// `description`, e.g. `POST /api/storage/volumes/?name=vol1`.
    pub description: String,
    /// `queued`, `running`, `paused`, `success` or `failure`.
    pub state: String,
    /// The failure's error `(message, code)`, for a failed job.
    pub error: Option<(String, String)>,
}

/// State a job reports while it has not run ([`NetappFake::set_pending_job_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingState {
    /// `queued`.
    Queued,
    /// `running` (the default).
    Running,
    /// `paused`.
    Paused,
}

/// A running fake ONTAP cluster: a [`wiremock::MockServer`] whose single catch-all mock is a
/// stateful responder. Dropping it stops the server.
///
/// Seeding and inspection methods act on the state directly (no HTTP, no jobs); requests
/// made through HTTP see and change the same state.
pub struct NetappFake {
    server: MockServer,
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for NetappFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetappFake")
            .field("uri", &self.server.uri())
            .finish_non_exhaustive()
    }
}

impl NetappFake {
    /// Starts a fake on a free port of 127.0.0.1 accepting HTTP Basic `user` / `password`.
    pub async fn start(user: &str, password: &str) -> NetappFake {
        Self::start_with(MockServer::builder(), user, password).await
    }

    /// Starts a fake serving on an already bound listener (to choose the port).
    pub async fn start_on(listener: TcpListener, user: &str, password: &str) -> NetappFake {
        Self::start_with(MockServer::builder().listener(listener), user, password).await
    }

    async fn start_with(
        builder: wiremock::MockServerBuilder,
        user: &str,
        password: &str,
    ) -> NetappFake {
        // The fake records requests itself; wiremock's own recording would only grow.
        let server = builder.disable_request_recording().start().await;
        let shared = Arc::new(Mutex::new(Shared::new(user, password)));
        Mock::given(any())
            .respond_with(Responder(Arc::clone(&shared)))
            .mount(&server)
            .await;
        NetappFake { server, shared }
    }

    /// Base URI of the cluster management interface, e.g. `http://127.0.0.1:40123` (the
    /// client appends `/api/...`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The socket address the fake listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    // ----- seeding ------------------------------------------------------------------------

    /// Adds an SVM (adding an existing one does nothing); returns its UUID.
    pub fn add_svm(&self, name: &str) -> String {
        lock(&self.shared).model.ensure_svm(name)
    }

    /// Adds an aggregate name (volumes may name any aggregate; this only fixes its UUID
    /// early); returns its UUID.
    pub fn add_aggregate(&self, name: &str) -> String {
        lock(&self.shared).model.ensure_aggregate(name)
    }

    /// Adds an online volume (and its SVM, if new), mounted at `junction_path` if given,
    /// created "now" by the fake's clock; returns its UUID.
    ///
    /// # Panics
    /// If the SVM already has a volume of that name, or the junction path is invalid or in
    /// use.
    pub fn add_volume(&self, svm: &str, name: &str, junction_path: Option<&str>) -> String {
        let mut shared = lock(&self.shared);
        let svm_uuid = shared.model.ensure_svm(svm);
        let nv = ops::NewVolume {
            name: name.to_owned(),
            svm_uuid,
            size: None,
            junction: junction_path.map(str::to_owned),
            security_style: None,
            snapdir: None,
            comment: None,
            aggregates: Vec::new(),
            state: None,
            clone: None,
        };
        match shared.model.apply_create_volume(nv) {
            Ok(uuid) => uuid,
            Err(e) => {
                drop(shared);
                panic!("add_volume {svm}/{name}: {}", e.message);
            }
        }
    }

    /// Sets a volume's `size` and `space.used` (snapshots taken later report `used` as
    /// their `size`).
    ///
    /// # Panics
    /// If the volume does not exist.
    pub fn set_volume_space(&self, svm: &str, volume: &str, size: u64, used: u64) {
        let mut shared = lock(&self.shared);
        let Some(vi) = find_volume(&shared.model, svm, volume) else {
            drop(shared);
            panic!("volume {svm}/{volume} does not exist");
        };
        let v = &mut shared.model.volumes[vi];
        v.size = size;
        v.used = used;
    }

    /// Adds a snapshot with the given creation time (whole seconds; the offset is kept as
    /// given); returns its UUID. Snapshots are listed in creation-time order.
    ///
    /// # Panics
    /// If the volume does not exist, is not online, or has a snapshot of that name.
    pub fn add_snapshot(
        &self,
        svm: &str,
        volume: &str,
        name: &str,
        create_time: DateTime<FixedOffset>,
    ) -> String {
        let mut shared = lock(&self.shared);
        let result = match find_volume(&shared.model, svm, volume) {
            Some(vi) => {
                let vol_uuid = shared.model.volumes[vi].uuid.clone();
                shared
                    .model
                    .apply_create_snapshot(&vol_uuid, name, None, Some(create_time))
            }
            None => Err(ApiError::entry_doesnt_exist()),
        };
        match result {
            Ok(uuid) => uuid,
            Err(e) => {
                drop(shared);
                panic!("add_snapshot {svm}/{volume}@{name}: {}", e.message);
            }
        }
    }

    /// Adds a FlexClone `clone_name` of snapshot `parent_snapshot` of `parent_volume` (all
    /// in `svm`), mounted at `junction_path` if given, as the POST would; returns its UUID.
    ///
    /// # Panics
    /// If the parent or its snapshot does not exist, or the name or path is taken.
    pub fn add_clone(
        &self,
        svm: &str,
        parent_volume: &str,
        parent_snapshot: &str,
        clone_name: &str,
        junction_path: Option<&str>,
    ) -> String {
        let mut shared = lock(&self.shared);
        let model = &mut shared.model;
        let parent = find_volume(model, svm, parent_volume).and_then(|vi| {
            let v = &model.volumes[vi];
            v.snapshots
                .iter()
                .find(|s| s.name == parent_snapshot)
                .map(|s| (v.uuid.clone(), s.uuid.clone(), v.svm_uuid.clone()))
        });
        let result = match parent {
            Some((pv, ps, svm_uuid)) => model.apply_create_volume(ops::NewVolume {
                name: clone_name.to_owned(),
                svm_uuid,
                size: None,
                junction: junction_path.map(str::to_owned),
                security_style: None,
                snapdir: None,
                comment: None,
                aggregates: Vec::new(),
                state: None,
                clone: Some((pv, Some(ps))),
            }),
            None => Err(ApiError::entry_doesnt_exist()),
        };
        match result {
            Ok(uuid) => uuid,
            Err(e) => {
                drop(shared);
                panic!(
                    "add_clone {svm}/{parent_volume}@{parent_snapshot} -> {clone_name}: {}",
                    e.message
                );
            }
        }
    }

    // ----- inspection ---------------------------------------------------------------------

    /// UUID of an SVM.
    pub fn svm_uuid(&self, name: &str) -> Option<String> {
        lock(&self.shared)
            .model
            .svm_by_name(name)
            .map(|s| s.uuid.clone())
    }

    /// A volume of an SVM, by name.
    pub fn volume(&self, svm: &str, name: &str) -> Option<VolumeInfo> {
        let shared = lock(&self.shared);
        let m = &shared.model;
        let vi = find_volume(m, svm, name)?;
        let v = &m.volumes[vi];
        Some(VolumeInfo {
            uuid: v.uuid.clone(),
            name: v.name.clone(),
            svm: m.svm_name(&v.svm_uuid),
            state: v.state.clone(),
            junction_path: v.junction.clone(),
            size: v.size,
            used: v.used,
            security_style: v.security_style.clone(),
            snapshot_directory_access_enabled: v.snapdir_access,
            comment: v.comment.clone(),
            clone_parent: v.clone.as_ref().map(|c| clone_parent(m, c)),
        })
    }

    /// Names of an SVM's volumes, in listing order (creation).
    pub fn volume_names(&self, svm: &str) -> Vec<String> {
        let shared = lock(&self.shared);
        let m = &shared.model;
        let Some(s) = m.svm_by_name(svm) else {
            return Vec::new();
        };
        m.volumes
            .iter()
            .filter(|v| v.svm_uuid == s.uuid)
            .map(|v| v.name.clone())
            .collect()
    }

    /// Names of a volume's snapshots, in listing order (creation time); empty if the
    /// volume does not exist.
    pub fn snapshot_names(&self, svm: &str, volume: &str) -> Vec<String> {
        let shared = lock(&self.shared);
        let m = &shared.model;
        find_volume(m, svm, volume)
            .map(|vi| {
                m.volumes[vi]
                    .snapshots
                    .iter()
                    .map(|s| s.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// UUID of a snapshot.
    pub fn snapshot_uuid(&self, svm: &str, volume: &str, name: &str) -> Option<String> {
        let shared = lock(&self.shared);
        let m = &shared.model;
        let vi = find_volume(m, svm, volume)?;
        m.volumes[vi]
            .snapshots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.uuid.clone())
    }

    /// A job (reading it here does not count as a poll).
    pub fn job(&self, uuid: &str) -> Option<JobInfo> {
        let shared = lock(&self.shared);
        let jobs = &shared.model.jobs;
        jobs.index(uuid)
            .map(|i| job_info(&jobs.list[i], &jobs.pending_state))
    }

    /// Every job still held, oldest first.
    pub fn jobs(&self) -> Vec<JobInfo> {
        let shared = lock(&self.shared);
        let jobs = &shared.model.jobs;
        jobs.list
            .iter()
            .map(|j| job_info(j, &jobs.pending_state))
            .collect()
    }

    // ----- jobs -----------------------------------------------------------------------------

    /// Number of GETs of a job answered with the pending state before the job runs (at
    /// GET `n + 1`). Default 0: jobs run when created. Affects jobs created from now on.
    pub fn set_job_polls(&self, n: u32) {
        lock(&self.shared).model.jobs.polls = n;
    }

    /// The state pending jobs report (default [`PendingState::Running`]).
    pub fn set_pending_job_state(&self, state: PendingState) {
        lock(&self.shared).model.jobs.pending_state = match state {
            PendingState::Queued => "queued",
            PendingState::Running => "running",
            PendingState::Paused => "paused",
        }
        .to_owned();
    }

    /// One-shot: the next job of `kind` ([`JobKind::Any`]: of any kind) never runs; it
    /// reports the pending state until [`NetappFake::run_job`]. Injections queue up.
    pub fn hang_next_job(&self, kind: JobKind) {
        lock(&self.shared)
            .model
            .jobs
            .injections
            .push((kind, JobPlan::Hang));
    }

    /// One-shot: the next job of `kind` ([`JobKind::Any`]: of any kind) fails with
    /// `message` and `code` (e.g. `"917526"`) when it runs, changing nothing. With
    /// `return_timeout` its error is answered with status 500.
    pub fn fail_next_job(&self, kind: JobKind, message: &str, code: &str) {
        lock(&self.shared)
            .model
            .jobs
            .injections
            .push((kind, JobPlan::Fail(ApiError::new(500, code, message, None))));
    }

    /// Runs a pending job now (a hung one too); `false` if there is no such pending job.
    pub fn run_job(&self, uuid: &str) -> bool {
        let mut shared = lock(&self.shared);
        let m = &mut shared.model;
        match m.jobs.index(uuid) {
            Some(i) if m.jobs.list[i].outcome.is_none() => {
                m.run_job(i);
                true
            }
            _ => false,
        }
    }

    /// Runs every pending job that is not hung, oldest first; returns how many ran.
    pub fn run_pending_jobs(&self) -> usize {
        let mut shared = lock(&self.shared);
        let m = &mut shared.model;
        let pending: Vec<usize> = (0..m.jobs.list.len())
            .filter(|&i| {
                m.jobs.list[i].outcome.is_none() && !matches!(m.jobs.list[i].plan, JobPlan::Hang)
            })
            .collect();
        for &i in &pending {
            m.run_job(i);
        }
        pending.len()
    }

    /// Forgets finished jobs: their GET answers 404, as after the reference's 300 s.
    pub fn expire_finished_jobs(&self) {
        lock(&self.shared)
            .model
            .jobs
            .list
            .retain(|j| j.outcome.is_none());
    }

    // ----- HTTP-level behaviour ---------------------------------------------------------------

    /// Every request received so far (authenticated or not), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared).requests.clear();
    }

    /// Turns request recording on (default) or off (for long runs).
    pub fn set_request_recording(&self, on: bool) {
        lock(&self.shared).recording = on;
    }

    /// One-shot failure: the next request with this method (case-insensitive) whose decoded
    /// path contains `path_contains` is answered `status` without touching the state (and
    /// before authentication). `body` `None` gives an error object for the status (403:
    /// `{"message": "not authorized for that command", "code": "6"}`; 404: code `4`;
    /// 503: code `7`; ...). Injections queue up; each is consumed by one request.
    pub fn fail_next(&self, method: &str, path_contains: &str, status: u16, body: Option<Value>) {
        self.inject(
            method,
            path_contains,
            InjectionKind::FailNext { status, body },
        );
    }

    /// Shorthand for a 403 RBAC denial of the next matching request.
    pub fn forbid_next(&self, method: &str, path_contains: &str) {
        self.fail_next(method, path_contains, 403, Some(injected_error(403).body()));
    }

    /// One-shot malformed answer: the next matching request that succeeds is applied and
    /// answered with its success status but a truncated, unparsable JSON body.
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

    /// Sets the clock giving the creation time of volumes, snapshots and jobs created from
    /// now on (default `Utc::now`; whole seconds). It is called with the fake's lock held:
    /// it must not call back into the fake.
    pub fn set_clock(&self, f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) {
        lock(&self.shared).model.clock = Arc::new(f);
    }

    /// The offset times created by the clock are shown in (default UTC, `+00:00`).
    pub fn set_time_offset(&self, offset: FixedOffset) {
        lock(&self.shared).model.offset = offset;
    }

    /// Whether a volume create without `clone` needs `aggregates` (or `style`); default
    /// `true`, as in the 9.6 reference.
    pub fn set_require_aggregates(&self, on: bool) {
        lock(&self.shared).model.require_aggregates = on;
    }
}

fn find_volume(m: &Model, svm: &str, name: &str) -> Option<usize> {
    let s = m.svm_by_name(svm)?;
    m.vol_index_by_name(&s.uuid, name)
}

fn clone_parent(m: &Model, c: &CloneOrigin) -> CloneParent {
    let volume_name = m
        .vol_index(&c.parent_volume_uuid)
        .map(|i| m.volumes[i].name.clone())
        .unwrap_or_else(|| c.parent_volume_name.clone());
    CloneParent {
        volume_name,
        volume_uuid: c.parent_volume_uuid.clone(),
        snapshot_name: c.parent_snapshot_name.clone(),
        snapshot_uuid: c.parent_snapshot_uuid.clone(),
    }
}

fn job_info(j: &jobs::Job, pending: &str) -> JobInfo {
    JobInfo {
        uuid: j.uuid.clone(),
        kind: j.kind,
        description: j.description.clone(),
        state: j.state(pending),
        error: match &j.outcome {
            Some(Err(e)) => Some((e.message.clone(), e.code.clone())),
            _ => None,
        },
    }
}

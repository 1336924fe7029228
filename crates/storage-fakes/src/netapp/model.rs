//! The cluster's state (SVMs, volumes, snapshots, jobs), the error object, request-body
//! helpers and the JSON renderings of the records.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde_json::{json, Map, Value};

use super::query::parse_bool_text;
use super::util::{format_time, make_uuid, to_offset};

/// Source of "now" for new volumes, snapshots and jobs.
pub(crate) type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Default size of a new volume: the documented minimum and default, 20 MB.
pub(crate) const DEFAULT_VOLUME_SIZE: u64 = 20 * 1024 * 1024;

/// The second group of the fake's UUIDs, by kind of object.
pub(crate) const KIND_VOLUME: u16 = 1;
pub(crate) const KIND_SVM: u16 = 2;
pub(crate) const KIND_JOB: u16 = 3;
pub(crate) const KIND_SNAPSHOT: u16 = 4;
pub(crate) const KIND_AGGREGATE: u16 = 5;

/// The documented error object `{"error": {"message", "code", "target"}}` with the HTTP
/// status it is answered with (or, for a failed job, would be with `return_timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) target: Option<String>,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: &str,
        message: impl Into<String>,
        target: Option<&str>,
    ) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            target: target.map(str::to_owned),
        }
    }

    /// 404, code 4, exactly as the reference's example error.
    pub(crate) fn entry_doesnt_exist() -> ApiError {
        ApiError::new(404, "4", "entry doesn't exist", Some("uuid"))
    }

    /// 400, code 262179.
    pub(crate) fn unexpected_argument(name: &str) -> ApiError {
        ApiError::new(
            400,
            "262179",
            format!("Unexpected argument \"{name}\"."),
            Some(name),
        )
    }

    /// 400, code 262177.
    pub(crate) fn missing_value(field: &str) -> ApiError {
        ApiError::new(
            400,
            "262177",
            format!("Missing value for required field \"{field}\"."),
            Some(field),
        )
    }

    /// 400, code 262197.
    pub(crate) fn invalid_value(field: &str, value: &Value, expected: &str) -> ApiError {
        let shown = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        ApiError::new(
            400,
            "262197",
            format!("The value \"{shown}\" is invalid for field \"{field}\" ({expected})"),
            Some(field),
        )
    }

    /// The documented error body.
    pub(crate) fn body(&self) -> Value {
        let mut e = Map::new();
        e.insert("message".into(), json!(self.message));
        e.insert("code".into(), json!(self.code));
        if let Some(t) = &self.target {
            e.insert("target".into(), json!(t));
        }
        json!({ "error": Value::Object(e) })
    }
}

/// The request body as received.
pub(crate) enum Body {
    Empty,
    Json(Value),
    Invalid,
}

/// Expands dotted keys (`{"nas.path": "/x"}` is `{"nas": {"path": "/x"}}`; the reference's
/// PATCH examples use both forms).
fn expand_dotted(obj: &Map<String, Value>, prefix: &str) -> Result<Map<String, Value>, ApiError> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in obj {
        let full = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let v = match v {
            Value::Object(m) => Value::Object(expand_dotted(m, &full)?),
            other => other.clone(),
        };
        let parts: Vec<&str> = k.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(ApiError::unexpected_argument(&full));
        }
        insert_path(&mut out, &parts, v, &full)?;
    }
    Ok(out)
}

fn insert_path(
    out: &mut Map<String, Value>,
    parts: &[&str],
    v: Value,
    full: &str,
) -> Result<(), ApiError> {
    let twice = || {
        ApiError::new(
            400,
            "262188",
            format!("Field \"{full}\" was specified twice."),
            Some(full),
        )
    };
    let Some((head, rest)) = parts.split_first() else {
        return Ok(());
    };
    if rest.is_empty() {
        match (out.get_mut(*head), v) {
            (None, v) => {
                out.insert((*head).to_owned(), v);
            }
            (Some(Value::Object(existing)), Value::Object(new)) => {
                for (k, nv) in new {
                    insert_path(existing, &[k.as_str()], nv, full)?;
                }
            }
            _ => return Err(twice()),
        }
        return Ok(());
    }
    let entry = out
        .entry((*head).to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    match entry {
        Value::Object(m) => insert_path(m, rest, v, full),
        _ => Err(twice()),
    }
}

impl Body {
    /// The body as a JSON object with dotted keys expanded (an empty body is `{}`).
    pub(crate) fn object(&self) -> Result<Map<String, Value>, ApiError> {
        match self {
            Body::Empty => Ok(Map::new()),
            Body::Json(Value::Object(m)) => expand_dotted(m, ""),
            Body::Json(_) => Err(ApiError::new(
                400,
                "2",
                "The request body must be a JSON object.",
                None,
            )),
            Body::Invalid => Err(ApiError::new(
                400,
                "262199",
                "Invalid JSON input in the request body.",
                None,
            )),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Body::Empty)
    }
}

/// Rejects keys of `obj` not in `allowed` (400 `Unexpected argument`).
pub(crate) fn check_keys(
    obj: &Map<String, Value>,
    prefix: &str,
    allowed: &[&str],
) -> Result<(), ApiError> {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            let full = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            return Err(ApiError::unexpected_argument(&full));
        }
    }
    Ok(())
}

/// A string field (`null` counts as absent).
pub(crate) fn get_str(
    obj: &Map<String, Value>,
    key: &str,
    full: &str,
) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid_value(full, other, "<string>")),
    }
}

/// A boolean field; the reference's examples also send `"true"` / `"false"` strings.
pub(crate) fn get_bool(
    obj: &Map<String, Value>,
    key: &str,
    full: &str,
) -> Result<Option<bool>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v @ Value::String(s)) => parse_bool_text(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid_value(full, v, "<true|false>")),
        Some(other) => Err(ApiError::invalid_value(full, other, "<true|false>")),
    }
}

/// Parses a size: an integer of bytes, or a string with an optional `KB MB GB TB PB`
/// suffix (1024-based), as "Size properties" in the reference allows.
pub(crate) fn parse_size_text(s: &str) -> Option<u64> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let (digits, mult): (&str, u64) = [
        ("PB", 1u64 << 50),
        ("TB", 1 << 40),
        ("GB", 1 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
    ]
    .iter()
    .find(|(suf, _)| upper.ends_with(suf))
    .map(|(suf, m)| (&t[..t.len() - suf.len()], *m))
    .unwrap_or((t, 1));
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(mult)
}

/// A size field (see [`parse_size_text`]).
pub(crate) fn get_size(
    obj: &Map<String, Value>,
    key: &str,
    full: &str,
) -> Result<Option<u64>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid_value(full, v, "<integer>")),
        Some(v @ Value::String(s)) => parse_size_text(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid_value(full, v, "<integer>")),
        Some(other) => Err(ApiError::invalid_value(full, other, "<integer>")),
    }
}

/// An object field (`null` counts as absent).
pub(crate) fn get_obj<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    full: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(ApiError::invalid_value(full, other, "<object>")),
    }
}

/// A storage VM.
pub(crate) struct Svm {
    pub(crate) uuid: String,
    pub(crate) name: String,
}

/// Where a FlexClone comes from.
#[derive(Debug, Clone)]
pub(crate) struct CloneOrigin {
    pub(crate) parent_volume_uuid: String,
    pub(crate) parent_volume_name: String,
    pub(crate) parent_snapshot_uuid: String,
    pub(crate) parent_snapshot_name: String,
    pub(crate) parent_svm_uuid: String,
}

pub(crate) struct Snapshot {
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) create_time: DateTime<FixedOffset>,
    pub(crate) size: u64,
    pub(crate) comment: Option<String>,
}

pub(crate) struct Volume {
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) svm_uuid: String,
    pub(crate) size: u64,
    pub(crate) used: u64,
    /// `online`, `offline` or `restricted`.
    pub(crate) state: String,
    pub(crate) junction: Option<String>,
    pub(crate) security_style: String,
    pub(crate) snapdir_access: bool,
    pub(crate) comment: Option<String>,
    pub(crate) aggregates: Vec<String>,
    pub(crate) clone: Option<CloneOrigin>,
    pub(crate) create_time: DateTime<FixedOffset>,
    /// Ordered by `uuid`, which orders by creation time.
    pub(crate) snapshots: Vec<Snapshot>,
}

/// The whole cluster state (jobs live in [`super::jobs`]).
pub(crate) struct Model {
    pub(crate) svms: Vec<Svm>,
    /// Ordered by `uuid` (creation order).
    pub(crate) volumes: Vec<Volume>,
    /// Aggregate names seen (seeded or named in a volume create), with their UUIDs.
    pub(crate) aggregates: Vec<(String, String)>,
    pub(crate) jobs: super::jobs::Jobs,
    pub(crate) counter: u64,
    pub(crate) clock: Clock,
    pub(crate) offset: FixedOffset,
    /// Whether a non-clone volume create needs `aggregates` (the 9.6 reference: required).
    pub(crate) require_aggregates: bool,
}

impl Model {
    pub(crate) fn new() -> Model {
        Model {
            svms: Vec::new(),
            volumes: Vec::new(),
            aggregates: Vec::new(),
            jobs: super::jobs::Jobs::new(),
            counter: 0,
            clock: Arc::new(Utc::now),
            offset: Utc.fix(),
            require_aggregates: true,
        }
    }

    pub(crate) fn now(&self) -> DateTime<FixedOffset> {
        to_offset((self.clock)(), self.offset)
    }

    fn next_n(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// A UUID ordered by creation.
    pub(crate) fn new_uuid(&mut self, kind: u16) -> String {
        let n = self.next_n();
        make_uuid(u32::try_from(n).unwrap_or(u32::MAX), kind, n)
    }

    /// A snapshot UUID: ordered by creation time, then creation.
    pub(crate) fn new_snapshot_uuid(&mut self, t: &DateTime<FixedOffset>) -> String {
        let n = self.next_n();
        let secs = u32::try_from(t.timestamp().max(0)).unwrap_or(u32::MAX);
        make_uuid(secs, KIND_SNAPSHOT, n)
    }

    // ----- lookups ----------------------------------------------------------------------

    pub(crate) fn svm_by_uuid(&self, uuid: &str) -> Option<&Svm> {
        self.svms.iter().find(|s| s.uuid == uuid)
    }

    pub(crate) fn svm_by_name(&self, name: &str) -> Option<&Svm> {
        self.svms.iter().find(|s| s.name == name)
    }

    pub(crate) fn svm_name(&self, uuid: &str) -> String {
        self.svm_by_uuid(uuid)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }

    pub(crate) fn ensure_svm(&mut self, name: &str) -> String {
        if let Some(s) = self.svm_by_name(name) {
            return s.uuid.clone();
        }
        let uuid = self.new_uuid(KIND_SVM);
        self.svms.push(Svm {
            uuid: uuid.clone(),
            name: name.to_owned(),
        });
        uuid
    }

    pub(crate) fn ensure_aggregate(&mut self, name: &str) -> String {
        if let Some((_, u)) = self.aggregates.iter().find(|(n, _)| n == name) {
            return u.clone();
        }
        let uuid = self.new_uuid(KIND_AGGREGATE);
        self.aggregates.push((name.to_owned(), uuid.clone()));
        uuid
    }

    pub(crate) fn aggregate_uuid(&self, name: &str) -> String {
        self.aggregates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, u)| u.clone())
            .unwrap_or_default()
    }

    pub(crate) fn vol_index(&self, uuid: &str) -> Option<usize> {
        self.volumes.iter().position(|v| v.uuid == uuid)
    }

    pub(crate) fn vol_index_by_name(&self, svm_uuid: &str, name: &str) -> Option<usize> {
        self.volumes
            .iter()
            .position(|v| v.svm_uuid == svm_uuid && v.name == name)
    }

    pub(crate) fn snap_index(&self, vi: usize, uuid: &str) -> Option<usize> {
        self.volumes[vi]
            .snapshots
            .iter()
            .position(|s| s.uuid == uuid)
    }

    /// Inserts a volume keeping `volumes` ordered by uuid.
    pub(crate) fn insert_volume(&mut self, v: Volume) -> usize {
        let pos = self
            .volumes
            .iter()
            .position(|x| x.uuid > v.uuid)
            .unwrap_or(self.volumes.len());
        self.volumes.insert(pos, v);
        pos
    }

    /// Inserts a snapshot keeping the volume's list ordered by uuid (creation time).
    pub(crate) fn insert_snapshot(&mut self, vi: usize, s: Snapshot) {
        let snaps = &mut self.volumes[vi].snapshots;
        let pos = snaps
            .iter()
            .position(|x| x.uuid > s.uuid)
            .unwrap_or(snaps.len());
        snaps.insert(pos, s);
    }

    /// A new online, unmounted FlexVol with the defaults of the reference.
    pub(crate) fn blank_volume(&mut self, svm_uuid: &str, name: &str) -> Volume {
        let uuid = self.new_uuid(KIND_VOLUME);
        let create_time = self.now();
        Volume {
            uuid,
            name: name.to_owned(),
            svm_uuid: svm_uuid.to_owned(),
            size: DEFAULT_VOLUME_SIZE,
            used: 0,
            state: "online".to_owned(),
            junction: None,
            security_style: "unix".to_owned(),
            snapdir_access: true,
            comment: None,
            aggregates: Vec::new(),
            clone: None,
            create_time,
            snapshots: Vec::new(),
        }
    }

    /// Volumes cloned from a volume, optionally only from one of its snapshots.
    pub(crate) fn clones_of(&self, parent_uuid: &str, snapshot_uuid: Option<&str>) -> Vec<&Volume> {
        self.volumes
            .iter()
            .filter(|v| {
                v.clone.as_ref().is_some_and(|c| {
                    c.parent_volume_uuid == parent_uuid
                        && match snapshot_uuid {
                            Some(s) => c.parent_snapshot_uuid == s,
                            None => true,
                        }
                })
            })
            .collect()
    }

    /// Whether a junction path is used by another volume of the SVM (paths are case
    /// insensitive, per the reference).
    pub(crate) fn junction_owner(
        &self,
        svm_uuid: &str,
        path: &str,
        except: Option<&str>,
    ) -> Option<&Volume> {
        self.volumes.iter().find(|v| {
            v.svm_uuid == svm_uuid
                && Some(v.uuid.as_str()) != except
                && v.junction
                    .as_deref()
                    .is_some_and(|j| j.eq_ignore_ascii_case(path))
        })
    }

    // ----- renderings ---------------------------------------------------------------------

    pub(crate) fn volume_href(uuid: &str) -> String {
        format!("/api/storage/volumes/{uuid}")
    }

    pub(crate) fn svm_href(uuid: &str) -> String {
        format!("/api/svm/svms/{uuid}")
    }

    pub(crate) fn snapshot_href(vol_uuid: &str, uuid: &str) -> String {
        format!("/api/storage/volumes/{vol_uuid}/snapshots/{uuid}")
    }

    pub(crate) fn job_href(uuid: &str) -> String {
        format!("/api/cluster/jobs/{uuid}")
    }

    pub(crate) fn links(href: &str) -> Value {
        json!({ "self": { "href": href } })
    }

    pub(crate) fn svm_ref(&self, svm_uuid: &str) -> Value {
        json!({
            "name": self.svm_name(svm_uuid),
            "uuid": svm_uuid,
            "_links": Model::links(&Model::svm_href(svm_uuid)),
        })
    }

    pub(crate) fn svm_json(&self, s: &Svm) -> Value {
        json!({
            "uuid": s.uuid,
            "name": s.name,
            "state": "running",
            "subtype": "default",
            "_links": Model::links(&Model::svm_href(&s.uuid)),
        })
    }

    /// The full volume record (instance GET, `fields=*`).
    pub(crate) fn volume_json(&self, v: &Volume) -> Value {
        let mut o = Map::new();
        o.insert("uuid".into(), json!(v.uuid));
        o.insert("name".into(), json!(v.name));
        if let Some(c) = &v.comment {
            o.insert("comment".into(), json!(c));
        }
        o.insert("create_time".into(), json!(format_time(&v.create_time)));
        o.insert("size".into(), json!(v.size));
        o.insert("state".into(), json!(v.state));
        o.insert("style".into(), json!("flexvol"));
        o.insert("type".into(), json!("rw"));
        if !v.aggregates.is_empty() {
            let aggrs: Vec<Value> = v
                .aggregates
                .iter()
                .map(|a| json!({ "name": a, "uuid": self.aggregate_uuid(a) }))
                .collect();
            o.insert("aggregates".into(), Value::Array(aggrs));
        }
        o.insert("svm".into(), self.svm_ref(&v.svm_uuid));
        let mut nas = Map::new();
        if let Some(p) = &v.junction {
            nas.insert("path".into(), json!(p));
        }
        nas.insert("security_style".into(), json!(v.security_style));
        nas.insert("unix_permissions".into(), json!(755));
        nas.insert(
            "export_policy".into(),
            json!({ "name": "default", "id": 1 }),
        );
        o.insert("nas".into(), Value::Object(nas));
        let clone = match &v.clone {
            Some(c) => {
                let parent_name = self
                    .vol_index(&c.parent_volume_uuid)
                    .map(|i| self.volumes[i].name.clone())
                    .unwrap_or_else(|| c.parent_volume_name.clone());
                json!({
                    "is_flexclone": true,
                    "parent_volume": {
                        "name": parent_name,
                        "uuid": c.parent_volume_uuid,
                        "_links": Model::links(&Model::volume_href(&c.parent_volume_uuid)),
                    },
                    "parent_snapshot": {
                        "name": c.parent_snapshot_name,
                        "uuid": c.parent_snapshot_uuid,
                    },
                    "parent_svm": {
                        "name": self.svm_name(&c.parent_svm_uuid),
                        "uuid": c.parent_svm_uuid,
                    },
                    "split_complete_percent": 0,
                })
            }
            None => json!({ "is_flexclone": false }),
        };
        o.insert("clone".into(), clone);
        if v.state == "online" {
            let snap_used: u64 = v.snapshots.iter().map(|s| s.size).sum();
            o.insert(
                "space".into(),
                json!({
                    "size": v.size,
                    "used": v.used,
                    "available": v.size.saturating_sub(v.used),
                    "snapshot": { "used": snap_used, "reserve_percent": 5 },
                }),
            );
        }
        o.insert("snapshot_count".into(), json!(v.snapshots.len()));
        o.insert(
            "snapshot_directory_access_enabled".into(),
            json!(v.snapdir_access),
        );
        o.insert("_links".into(), Model::links(&Model::volume_href(&v.uuid)));
        Value::Object(o)
    }

    /// The full snapshot record.
    pub(crate) fn snapshot_json(&self, v: &Volume, s: &Snapshot) -> Value {
        let mut o = Map::new();
        o.insert("uuid".into(), json!(s.uuid));
        o.insert("name".into(), json!(s.name));
        o.insert("create_time".into(), json!(format_time(&s.create_time)));
        if let Some(c) = &s.comment {
            o.insert("comment".into(), json!(c));
        }
        o.insert("size".into(), json!(s.size));
        o.insert(
            "volume".into(),
            json!({
                "name": v.name,
                "uuid": v.uuid,
                "_links": Model::links(&Model::volume_href(&v.uuid)),
            }),
        );
        o.insert("svm".into(), self.svm_ref(&v.svm_uuid));
        o.insert(
            "_links".into(),
            Model::links(&Model::snapshot_href(&v.uuid, &s.uuid)),
        );
        Value::Object(o)
    }

    // ----- schemas: every field the renderings can show, for `fields=` and filters ---------

    pub(crate) fn volume_schema() -> Value {
        let link = json!({ "self": { "href": "" } });
        json!({
            "uuid": "", "name": "", "comment": "", "create_time": "", "size": 0,
            "state": "", "style": "", "type": "",
            "aggregates": [{ "name": "", "uuid": "" }],
            "svm": { "name": "", "uuid": "", "_links": link },
            "nas": {
                "path": "", "security_style": "", "unix_permissions": 0,
                "export_policy": { "name": "", "id": 0 }
            },
            "clone": {
                "is_flexclone": false,
                "parent_volume": { "name": "", "uuid": "", "_links": link },
                "parent_snapshot": { "name": "", "uuid": "" },
                "parent_svm": { "name": "", "uuid": "" },
                "split_complete_percent": 0
            },
            "space": {
                "size": 0, "used": 0, "available": 0,
                "snapshot": { "used": 0, "reserve_percent": 0 }
            },
            "snapshot_count": 0,
            "snapshot_directory_access_enabled": false,
            "_links": link
        })
    }

    pub(crate) fn snapshot_schema() -> Value {
        let link = json!({ "self": { "href": "" } });
        json!({
            "uuid": "", "name": "", "create_time": "", "comment": "", "size": 0,
            "volume": { "name": "", "uuid": "", "_links": link },
            "svm": { "name": "", "uuid": "", "_links": link },
            "_links": link
        })
    }

    pub(crate) fn svm_schema() -> Value {
        json!({
            "uuid": "", "name": "", "state": "", "subtype": "",
            "_links": { "self": { "href": "" } }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn expands_dotted_keys() {
        let body = Body::Json(json!({"nas.path": "/a", "nas": {"security_style": "unix"},
                                     "clone": {"parent_volume.name": "p"}}));
        let obj = body.object().unwrap();
        assert_eq!(
            Value::Object(obj),
            json!({"nas": {"path": "/a", "security_style": "unix"},
                   "clone": {"parent_volume": {"name": "p"}}})
        );
        let twice = Body::Json(json!({"nas.path": "/a", "nas": {"path": "/b"}}));
        assert_eq!(twice.object().unwrap_err().code, "262188");
        assert_eq!(Body::Invalid.object().unwrap_err().code, "262199");
        assert_eq!(Body::Json(json!([1])).object().unwrap_err().status, 400);
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size_text("20MB"), Some(20 << 20));
        assert_eq!(parse_size_text("1 gb"), Some(1 << 30));
        assert_eq!(parse_size_text("512"), Some(512));
        assert_eq!(parse_size_text("x"), None);
        assert_eq!(parse_size_text("99999999999PB"), None);
    }
}

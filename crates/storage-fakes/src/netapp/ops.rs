//! Volume and snapshot operations: checking a request (answered synchronously when the
//! request itself is wrong: 400/404) and applying it when its job runs (state conflicts
//! make the job fail, as asynchronous operations do on ONTAP).

use serde_json::{Map, Value};

use super::jobs::{Accepted, JobKind};
use super::model::{
    check_keys, get_bool, get_obj, get_size, get_str, ApiError, CloneOrigin, Model, Snapshot,
};
use super::util::percent_encode_query;

/// Top-level volume fields the reference documents and the fake accepts but does not
/// model: they are ignored (the request log still has them).
const IGNORED_VOLUME_FIELDS: &[&str] = &[
    "_tags",
    "access_time_enabled",
    "activity_tracking",
    "analytics",
    "anti_ransomware_state",
    "application",
    "autosize",
    "cloud_retrieval_policy",
    "consistency_group",
    "constituents_per_aggregate",
    "convert_unicode",
    "efficiency",
    "encryption",
    "files",
    "guarantee",
    "is_object_store",
    "language",
    "max_dir_size",
    "qos",
    "quota",
    "scheduled_snapshot_naming_scheme",
    "snaplock",
    "snapshot_locking_enabled",
    "snapshot_policy",
    "space",
    "style",
    "tiering",
    "type",
    "use_mirrored_aggregates",
];

const VOLUME_POST_FIELDS: &[&str] = &[
    "name",
    "svm",
    "aggregates",
    "size",
    "nas",
    "clone",
    "comment",
    "state",
    "snapshot_directory_access_enabled",
];

const VOLUME_PATCH_FIELDS: &[&str] = &[
    "name",
    "size",
    "nas",
    "clone",
    "comment",
    "state",
    "snapshot_directory_access_enabled",
    "aggregates",
];

const NAS_FIELDS: &[&str] = &[
    "path",
    "security_style",
    "unix_permissions",
    "export_policy",
    "gid",
    "uid",
];

const SECURITY_STYLES: &[&str] = &["mixed", "ntfs", "unified", "unix"];

const VOLUME_STATES: &[&str] = &["online", "offline", "restricted"];

const SNAPSHOT_FIELDS: &[&str] = &[
    "name",
    "comment",
    "expiry_time",
    "snapmirror_label",
    "snaplock_expiry_time",
];

/// A volume to create (references resolved to UUIDs when the request was accepted).
#[derive(Debug, Clone)]
pub(crate) struct NewVolume {
    pub(crate) name: String,
    pub(crate) svm_uuid: String,
    pub(crate) size: Option<u64>,
    pub(crate) junction: Option<String>,
    pub(crate) security_style: Option<String>,
    pub(crate) snapdir: Option<bool>,
    pub(crate) comment: Option<String>,
    pub(crate) aggregates: Vec<String>,
    pub(crate) state: Option<String>,
    /// FlexClone: parent volume UUID and, if named, parent snapshot UUID.
    pub(crate) clone: Option<(String, Option<String>)>,
}

/// Changes of a volume PATCH.
#[derive(Debug, Clone, Default)]
pub(crate) struct VolumeChanges {
    pub(crate) name: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) state: Option<String>,
    /// `Some(None)`: unmount; `Some(Some(p))`: mount at `p`.
    pub(crate) junction: Option<Option<String>>,
    pub(crate) security_style: Option<String>,
    pub(crate) snapdir: Option<bool>,
    pub(crate) comment: Option<String>,
    pub(crate) split: bool,
}

/// What a job does when it runs.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    CreateVolume(NewVolume),
    ModifyVolume {
        uuid: String,
        changes: VolumeChanges,
    },
    DeleteVolume {
        uuid: String,
    },
    CreateSnapshot {
        volume_uuid: String,
        name: String,
        comment: Option<String>,
    },
    ModifySnapshot {
        volume_uuid: String,
        uuid: String,
        name: Option<String>,
        comment: Option<String>,
    },
    DeleteSnapshot {
        volume_uuid: String,
        uuid: String,
    },
}

/// Volume names: start with a letter or `_`, then letters, digits, `_`; at most 203.
fn check_volume_name(name: &str, field: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let ok = name.len() <= 203
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_value(
            field,
            &Value::String(name.to_owned()),
            "<a letter or '_', then letters, digits or '_'; at most 203 characters>",
        ))
    }
}

/// Snapshot names: not empty, at most 255 characters, no `/` and no control characters.
fn check_snapshot_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.chars().count() > 255
        || name.chars().any(|c| c == '/' || c.is_control())
    {
        return Err(ApiError::new(
            400,
            "1638518",
            format!("The specified Snapshot copy name \"{name}\" is invalid."),
            Some("name"),
        ));
    }
    Ok(())
}

/// Junction paths: begin with `/`, do not end with `/` (except the root `/`).
fn check_junction(path: &str) -> Result<(), ApiError> {
    let ok = path.starts_with('/')
        && (path == "/" || !path.ends_with('/'))
        && !path.contains("//")
        && !path.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "918252",
            format!("The specified \"nas.path\" is invalid: \"{path}\". The path must begin with \"/\" and must not end with \"/\"."),
            Some("nas.path"),
        ))
    }
}

fn check_enum(value: &str, allowed: &[&str], field: &str) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::invalid_value(
            field,
            &Value::String(value.to_owned()),
            &allowed.join("|"),
        ))
    }
}

fn all_allowed(list: &[&'static str]) -> Vec<&'static str> {
    list.iter().chain(IGNORED_VOLUME_FIELDS).copied().collect()
}

/// Parses `nas` of a POST or PATCH: the path (present key; `""` or `null` unmounts) and
/// the security style.
#[allow(clippy::type_complexity)]
fn parse_nas(
    obj: &Map<String, Value>,
) -> Result<(Option<Option<String>>, Option<String>), ApiError> {
    let Some(nas) = get_obj(obj, "nas", "nas")? else {
        return Ok((None, None));
    };
    check_keys(nas, "nas", NAS_FIELDS)?;
    let path = if nas.contains_key("path") {
        match get_str(nas, "path", "nas.path")? {
            None => Some(None),
            Some(p) if p.is_empty() => Some(None),
            Some(p) => {
                check_junction(&p)?;
                Some(Some(p))
            }
        }
    } else {
        None
    };
    let style = get_str(nas, "security_style", "nas.security_style")?;
    if let Some(s) = &style {
        check_enum(s, SECURITY_STYLES, "nas.security_style")?;
    }
    Ok((path, style))
}

fn check_state(obj: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let state = get_str(obj, "state", "state")?;
    if let Some(s) = &state {
        if !VOLUME_STATES.contains(&s.as_str()) {
            return Err(ApiError::new(
                400,
                "918652",
                format!("\"{s}\" is an invalid value for field \"state\". Valid values are \"online\", \"offline\" and \"restricted\"."),
                Some("state"),
            ));
        }
    }
    Ok(state)
}

impl Model {
    /// Resolves `{"name", "uuid"}` references of an SVM.
    fn resolve_svm(
        &self,
        r: Option<&Map<String, Value>>,
        field: &str,
    ) -> Result<Option<String>, ApiError> {
        let Some(r) = r else {
            return Ok(None);
        };
        check_keys(r, field, &["name", "uuid", "_links"])?;
        let name = get_str(r, "name", &format!("{field}.name"))?;
        let uuid = get_str(r, "uuid", &format!("{field}.uuid"))?;
        let by_name = match &name {
            Some(n) => Some(self.svm_by_name(n).ok_or_else(|| {
                ApiError::new(
                    404,
                    "2621462",
                    format!("The specified SVM name \"{n}\" does not exist."),
                    Some(&format!("{field}.name")),
                )
            })?),
            None => None,
        };
        let by_uuid = match &uuid {
            Some(u) => Some(self.svm_by_uuid(u).ok_or_else(|| {
                ApiError::new(
                    404,
                    "4",
                    "entry doesn't exist",
                    Some(&format!("{field}.uuid")),
                )
            })?),
            None => None,
        };
        match (by_name, by_uuid) {
            (Some(a), Some(b)) if a.uuid != b.uuid => Err(ApiError::new(
                400,
                "2621706",
                format!("The specified \"{field}.uuid\" and \"{field}.name\" do not refer to the same SVM."),
                Some(&format!("{field}.uuid")),
            )),
            (Some(s), _) | (None, Some(s)) => Ok(Some(s.uuid.clone())),
            (None, None) => Ok(None),
        }
    }

    fn resolve_parent_volume(
        &self,
        r: &Map<String, Value>,
        svm_uuid: &str,
    ) -> Result<usize, ApiError> {
        check_keys(r, "clone.parent_volume", &["name", "uuid", "_links"])?;
        let name = get_str(r, "name", "clone.parent_volume.name")?;
        let uuid = get_str(r, "uuid", "clone.parent_volume.uuid")?;
        let by_name = match &name {
            Some(n) => Some(self.vol_index_by_name(svm_uuid, n).ok_or_else(|| {
                ApiError::new(
                    404,
                    "4",
                    format!(
                        "Volume \"{n}\" does not exist in SVM \"{}\".",
                        self.svm_name(svm_uuid)
                    ),
                    Some("clone.parent_volume.name"),
                )
            })?),
            None => None,
        };
        let by_uuid = match &uuid {
            Some(u) => Some(self.vol_index(u).ok_or_else(|| {
                ApiError::new(
                    404,
                    "4",
                    "entry doesn't exist",
                    Some("clone.parent_volume.uuid"),
                )
            })?),
            None => None,
        };
        match (by_name, by_uuid) {
            (Some(a), Some(b)) if a != b => Err(ApiError::new(
                400,
                "918236",
                "The specified \"parent_volume.uuid\" and \"parent_volume.name\" do not refer to the same volume.",
                Some("clone.parent_volume.uuid"),
            )),
            (Some(i), _) | (None, Some(i)) => Ok(i),
            (None, None) => Err(ApiError::new(
                400,
                "918246",
                "\"volume.clone.parent_volume.name\" or \"volume.clone.parent_volume.uuid\" must be provided.",
                Some("clone.parent_volume"),
            )),
        }
    }

    fn resolve_parent_snapshot(
        &self,
        r: &Map<String, Value>,
        vi: usize,
    ) -> Result<Option<String>, ApiError> {
        check_keys(r, "clone.parent_snapshot", &["name", "uuid", "_links"])?;
        let name = get_str(r, "name", "clone.parent_snapshot.name")?;
        let uuid = get_str(r, "uuid", "clone.parent_snapshot.uuid")?;
        let v = &self.volumes[vi];
        let by_name = match &name {
            Some(n) => Some(
                v.snapshots
                    .iter()
                    .find(|s| &s.name == n)
                    .map(|s| s.uuid.clone())
                    .ok_or_else(|| {
                        ApiError::new(
                            404,
                            "4",
                            format!(
                                "Snapshot copy \"{n}\" does not exist on volume \"{}\".",
                                v.name
                            ),
                            Some("clone.parent_snapshot.name"),
                        )
                    })?,
            ),
            None => None,
        };
        let by_uuid = match &uuid {
            Some(u) => Some(
                v.snapshots
                    .iter()
                    .find(|s| &s.uuid == u)
                    .map(|s| s.uuid.clone())
                    .ok_or_else(|| {
                        ApiError::new(
                            404,
                            "4",
                            "entry doesn't exist",
                            Some("clone.parent_snapshot.uuid"),
                        )
                    })?,
            ),
            None => None,
        };
        match (by_name, by_uuid) {
            (Some(a), Some(b)) if a != b => Err(ApiError::new(
                400,
                "918243",
                "The specified Snapshot copy UUID is not correct for the specified Snapshot copy name.",
                Some("clone.parent_snapshot.uuid"),
            )),
            (Some(u), _) | (None, Some(u)) => Ok(Some(u)),
            (None, None) => Ok(None),
        }
    }

    // ----- accepting requests ---------------------------------------------------------------

    /// `POST /api/storage/volumes`.
    pub(crate) fn accept_volume_post(
        &self,
        obj: &Map<String, Value>,
    ) -> Result<Accepted, ApiError> {
        check_keys(obj, "", &all_allowed(VOLUME_POST_FIELDS))?;
        let name = get_str(obj, "name", "name")?.ok_or_else(|| ApiError::missing_value("name"))?;
        check_volume_name(&name, "name")?;
        let svm_uuid = self
            .resolve_svm(get_obj(obj, "svm", "svm")?, "svm")?
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "2621707",
                    "No SVM was specified. Either \"svm.name\" or \"svm.uuid\" must be supplied.",
                    Some("svm"),
                )
            })?;
        let size = get_size(obj, "size", "size")?;
        let (junction, security_style) = parse_nas(obj)?;
        let snapdir = get_bool(
            obj,
            "snapshot_directory_access_enabled",
            "snapshot_directory_access_enabled",
        )?;
        let comment = get_str(obj, "comment", "comment")?;
        let state = check_state(obj)?;

        let mut clone = None;
        if let Some(c) = get_obj(obj, "clone", "clone")? {
            check_keys(
                c,
                "clone",
                &[
                    "is_flexclone",
                    "parent_volume",
                    "parent_snapshot",
                    "parent_svm",
                    "match_parent_storage_tier",
                ],
            )?;
            let is_flexclone = get_bool(c, "is_flexclone", "clone.is_flexclone")?;
            let parent = get_obj(c, "parent_volume", "clone.parent_volume")?;
            match (is_flexclone, parent) {
                (Some(false), None) | (None, None) => {
                    if c.contains_key("parent_snapshot") || c.contains_key("parent_svm") {
                        return Err(ApiError::new(
                            400,
                            "918246",
                            "\"volume.clone.parent_volume.name\" or \"volume.clone.parent_volume.uuid\" must be provided.",
                            Some("clone.parent_volume"),
                        ));
                    }
                }
                (None, Some(_)) => return Err(ApiError::missing_value("clone.is_flexclone")),
                (Some(false), Some(_)) => {
                    return Err(ApiError::invalid_value(
                        "clone.is_flexclone",
                        &Value::Bool(false),
                        "must be true to create a FlexClone",
                    ))
                }
                (Some(true), parent) => {
                    let parent_svm = self
                        .resolve_svm(
                            get_obj(c, "parent_svm", "clone.parent_svm")?,
                            "clone.parent_svm",
                        )?
                        .unwrap_or_else(|| svm_uuid.clone());
                    let empty = Map::new();
                    let vi = self.resolve_parent_volume(parent.unwrap_or(&empty), &parent_svm)?;
                    let snap = match get_obj(c, "parent_snapshot", "clone.parent_snapshot")? {
                        Some(r) => self.resolve_parent_snapshot(r, vi)?,
                        None => None,
                    };
                    clone = Some((self.volumes[vi].uuid.clone(), snap));
                }
            }
        }

        let mut aggregates = Vec::new();
        if let Some(a) = obj.get("aggregates") {
            let Value::Array(items) = a else {
                return Err(ApiError::invalid_value(
                    "aggregates",
                    a,
                    "<array of {name, uuid}>",
                ));
            };
            for item in items {
                let Value::Object(m) = item else {
                    return Err(ApiError::invalid_value(
                        "aggregates",
                        item,
                        "<{name, uuid}>",
                    ));
                };
                check_keys(m, "aggregates", &["name", "uuid", "_links"])?;
                let n = get_str(m, "name", "aggregates.name")?;
                let u = get_str(m, "uuid", "aggregates.uuid")?;
                let resolved = match (n, u) {
                    (Some(n), _) => n,
                    (None, Some(u)) => self
                        .aggregates
                        .iter()
                        .find(|(_, au)| *au == u)
                        .map(|(an, _)| an.clone())
                        .ok_or_else(|| {
                            ApiError::new(404, "4", "entry doesn't exist", Some("aggregates.uuid"))
                        })?,
                    (None, None) => return Err(ApiError::missing_value("aggregates.name")),
                };
                aggregates.push(resolved);
            }
        }
        if clone.is_none()
            && self.require_aggregates
            && aggregates.is_empty()
            && !obj.contains_key("style")
        {
            return Err(ApiError::new(
                400,
                "787140",
                "One of \"aggregates.uuid\", \"aggregates.name\", or \"style\" must be provided.",
                Some("aggregates"),
            ));
        }

        let kind = if clone.is_some() {
            JobKind::CloneCreate
        } else {
            JobKind::VolumeCreate
        };
        let mut record = obj.clone();
        record.insert(
            "svm".into(),
            serde_json::json!({ "name": self.svm_name(&svm_uuid), "uuid": svm_uuid }),
        );
        Ok(Accepted {
            kind,
            description: format!("POST /api/storage/volumes/?name={name}"),
            svm_uuid: Some(svm_uuid.clone()),
            location: Some(format!(
                "/api/storage/volumes/?name={}",
                percent_encode_query(&name)
            )),
            record: Some(Value::Object(record)),
            action: Action::CreateVolume(NewVolume {
                name,
                svm_uuid,
                size,
                junction: junction.flatten(),
                security_style,
                snapdir,
                comment,
                aggregates,
                state,
                clone,
            }),
        })
    }

    /// `PATCH /api/storage/volumes/{uuid}`; `snapdir_query` is the documented
    /// `snapshot_directory_access_enabled` query parameter.
    pub(crate) fn accept_volume_patch(
        &self,
        uuid: &str,
        obj: &Map<String, Value>,
        snapdir_query: Option<bool>,
    ) -> Result<Accepted, ApiError> {
        let vi = self
            .vol_index(uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        check_keys(obj, "", &all_allowed(VOLUME_PATCH_FIELDS))?;
        let name = get_str(obj, "name", "name")?;
        if let Some(n) = &name {
            check_volume_name(n, "name")?;
        }
        let (junction, security_style) = parse_nas(obj)?;
        let mut split = false;
        if let Some(c) = get_obj(obj, "clone", "clone")? {
            check_keys(
                c,
                "clone",
                &["split_initiated", "match_parent_storage_tier"],
            )?;
            split = get_bool(c, "split_initiated", "clone.split_initiated")?.unwrap_or(false);
        }
        let body_snapdir = get_bool(
            obj,
            "snapshot_directory_access_enabled",
            "snapshot_directory_access_enabled",
        )?;
        let changes = VolumeChanges {
            name,
            size: get_size(obj, "size", "size")?,
            state: check_state(obj)?,
            junction,
            security_style,
            snapdir: body_snapdir.or(snapdir_query),
            comment: get_str(obj, "comment", "comment")?,
            split,
        };
        let v = &self.volumes[vi];
        Ok(Accepted {
            kind: JobKind::VolumeModify,
            description: format!("PATCH /api/storage/volumes/{uuid}"),
            svm_uuid: Some(v.svm_uuid.clone()),
            location: None,
            record: None,
            action: Action::ModifyVolume {
                uuid: uuid.to_owned(),
                changes,
            },
        })
    }

    /// `DELETE /api/storage/volumes/{uuid}`.
    pub(crate) fn accept_volume_delete(&self, uuid: &str) -> Result<Accepted, ApiError> {
        let vi = self
            .vol_index(uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        Ok(Accepted {
            kind: JobKind::VolumeDelete,
            description: format!("DELETE /api/storage/volumes/{uuid}"),
            svm_uuid: Some(self.volumes[vi].svm_uuid.clone()),
            location: None,
            record: None,
            action: Action::DeleteVolume {
                uuid: uuid.to_owned(),
            },
        })
    }

    /// `POST /api/storage/volumes/{uuid}/snapshots`.
    pub(crate) fn accept_snapshot_post(
        &self,
        vol_uuid: &str,
        obj: &Map<String, Value>,
    ) -> Result<Accepted, ApiError> {
        let vi = self
            .vol_index(vol_uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        check_keys(obj, "", SNAPSHOT_FIELDS)?;
        let name = get_str(obj, "name", "name")?.ok_or_else(|| ApiError::missing_value("name"))?;
        check_snapshot_name(&name)?;
        let comment = get_str(obj, "comment", "comment")?;
        let v = &self.volumes[vi];
        let mut record = obj.clone();
        record.insert(
            "volume".into(),
            serde_json::json!({ "name": v.name, "uuid": v.uuid }),
        );
        record.insert(
            "svm".into(),
            serde_json::json!({ "name": self.svm_name(&v.svm_uuid), "uuid": v.svm_uuid }),
        );
        Ok(Accepted {
            kind: JobKind::SnapshotCreate,
            description: format!("POST /api/storage/volumes/{vol_uuid}/snapshots/?name={name}"),
            svm_uuid: Some(v.svm_uuid.clone()),
            location: Some(format!(
                "/api/storage/volumes/{vol_uuid}/snapshots/?name={}",
                percent_encode_query(&name)
            )),
            record: Some(Value::Object(record)),
            action: Action::CreateSnapshot {
                volume_uuid: vol_uuid.to_owned(),
                name,
                comment,
            },
        })
    }

    fn find_snapshot(&self, vol_uuid: &str, uuid: &str) -> Result<(usize, usize), ApiError> {
        let vi = self
            .vol_index(vol_uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        let si = self
            .snap_index(vi, uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        Ok((vi, si))
    }

    /// `PATCH /api/storage/volumes/{uuid}/snapshots/{uuid}` (rename, comment).
    pub(crate) fn accept_snapshot_patch(
        &self,
        vol_uuid: &str,
        uuid: &str,
        obj: &Map<String, Value>,
    ) -> Result<Accepted, ApiError> {
        let (vi, _) = self.find_snapshot(vol_uuid, uuid)?;
        check_keys(obj, "", SNAPSHOT_FIELDS)?;
        let name = get_str(obj, "name", "name")?;
        if let Some(n) = &name {
            check_snapshot_name(n)?;
        }
        Ok(Accepted {
            kind: JobKind::SnapshotModify,
            description: format!("PATCH /api/storage/volumes/{vol_uuid}/snapshots/{uuid}"),
            svm_uuid: Some(self.volumes[vi].svm_uuid.clone()),
            location: None,
            record: None,
            action: Action::ModifySnapshot {
                volume_uuid: vol_uuid.to_owned(),
                uuid: uuid.to_owned(),
                name,
                comment: get_str(obj, "comment", "comment")?,
            },
        })
    }

    /// `DELETE /api/storage/volumes/{uuid}/snapshots/{uuid}`.
    pub(crate) fn accept_snapshot_delete(
        &self,
        vol_uuid: &str,
        uuid: &str,
    ) -> Result<Accepted, ApiError> {
        let (vi, _) = self.find_snapshot(vol_uuid, uuid)?;
        Ok(Accepted {
            kind: JobKind::SnapshotDelete,
            description: format!("DELETE /api/storage/volumes/{vol_uuid}/snapshots/{uuid}"),
            svm_uuid: Some(self.volumes[vi].svm_uuid.clone()),
            location: None,
            record: None,
            action: Action::DeleteSnapshot {
                volume_uuid: vol_uuid.to_owned(),
                uuid: uuid.to_owned(),
            },
        })
    }

    // ----- applying (when the job runs) -----------------------------------------------------

    pub(crate) fn apply(&mut self, action: Action) -> Result<(), ApiError> {
        match action {
            Action::CreateVolume(nv) => self.apply_create_volume(nv).map(|_| ()),
            Action::ModifyVolume { uuid, changes } => self.apply_modify_volume(&uuid, changes),
            Action::DeleteVolume { uuid } => self.apply_delete_volume(&uuid),
            Action::CreateSnapshot {
                volume_uuid,
                name,
                comment,
            } => self
                .apply_create_snapshot(&volume_uuid, &name, comment, None)
                .map(|_| ()),
            Action::ModifySnapshot {
                volume_uuid,
                uuid,
                name,
                comment,
            } => self.apply_modify_snapshot(&volume_uuid, &uuid, name, comment),
            Action::DeleteSnapshot { volume_uuid, uuid } => {
                self.apply_delete_snapshot(&volume_uuid, &uuid)
            }
        }
    }

    fn duplicate_volume(name: &str, svm: &str) -> ApiError {
        ApiError::new(
            409,
            "917526",
            format!("The volume name specified is a duplicate: volume \"{name}\" already exists in SVM \"{svm}\"."),
            Some("name"),
        )
    }

    fn junction_in_use(&self, path: &str, owner: &str, svm_uuid: &str) -> ApiError {
        ApiError::new(
            409,
            "1",
            format!(
                "Junction path \"{path}\" is already used by volume \"{owner}\" in SVM \"{}\".",
                self.svm_name(svm_uuid)
            ),
            Some("nas.path"),
        )
    }

    fn not_online() -> ApiError {
        ApiError::new(409, "9437885", "The volume is not online.", None)
    }

    /// Creates a volume or FlexClone; returns its UUID.
    pub(crate) fn apply_create_volume(&mut self, nv: NewVolume) -> Result<String, ApiError> {
        if self.svm_by_uuid(&nv.svm_uuid).is_none() {
            return Err(ApiError::new(
                404,
                "4",
                "entry doesn't exist",
                Some("svm.uuid"),
            ));
        }
        if self.vol_index_by_name(&nv.svm_uuid, &nv.name).is_some() {
            return Err(Model::duplicate_volume(
                &nv.name,
                &self.svm_name(&nv.svm_uuid),
            ));
        }
        let online = nv.state.as_deref().unwrap_or("online") == "online";
        if let Some(p) = &nv.junction {
            if !online {
                return Err(Model::not_online());
            }
            if let Some(owner) = self.junction_owner(&nv.svm_uuid, p, None) {
                return Err(self.junction_in_use(p, &owner.name, &nv.svm_uuid));
            }
        }
        let mut origin = None;
        let mut inherited = None;
        if let Some((parent_uuid, snap_uuid)) = &nv.clone {
            let pi = self.vol_index(parent_uuid).ok_or_else(|| {
                ApiError::new(
                    404,
                    "4",
                    "entry doesn't exist",
                    Some("clone.parent_volume.uuid"),
                )
            })?;
            if self.volumes[pi].state != "online" {
                return Err(Model::not_online());
            }
            let snap_uuid = match snap_uuid {
                Some(s) => {
                    if self.snap_index(pi, s).is_none() {
                        return Err(ApiError::new(
                            404,
                            "4",
                            "entry doesn't exist",
                            Some("clone.parent_snapshot.uuid"),
                        ));
                    }
                    s.clone()
                }
                None => {
                    // The parent snapshot was not named: ONTAP takes a new one.
                    let mut name = format!("clone_{}.0", nv.name);
                    let mut k = 1;
                    while self.volumes[pi].snapshots.iter().any(|s| s.name == name) {
                        name = format!("clone_{}.{k}", nv.name);
                        k += 1;
                    }
                    let parent_uuid = self.volumes[pi].uuid.clone();
                    self.apply_create_snapshot(&parent_uuid, &name, None, None)?
                }
            };
            let pi = self
                .vol_index(parent_uuid)
                .ok_or_else(ApiError::entry_doesnt_exist)?;
            let p = &self.volumes[pi];
            let si = self
                .snap_index(pi, &snap_uuid)
                .ok_or_else(ApiError::entry_doesnt_exist)?;
            let s = &p.snapshots[si];
            origin = Some(CloneOrigin {
                parent_volume_uuid: p.uuid.clone(),
                parent_volume_name: p.name.clone(),
                parent_snapshot_uuid: s.uuid.clone(),
                parent_snapshot_name: s.name.clone(),
                parent_svm_uuid: p.svm_uuid.clone(),
            });
            inherited = Some((
                p.size,
                s.size,
                p.security_style.clone(),
                p.snapdir_access,
                p.aggregates.clone(),
            ));
        }
        let mut v = self.blank_volume(&nv.svm_uuid, &nv.name);
        if let Some((size, used, style, snapdir, aggrs)) = inherited {
            v.size = size;
            v.used = used;
            v.security_style = style;
            v.snapdir_access = snapdir;
            v.aggregates = aggrs;
        }
        for a in &nv.aggregates {
            self.ensure_aggregate(a);
        }
        if !nv.aggregates.is_empty() {
            v.aggregates = nv.aggregates;
        }
        if let Some(s) = nv.size {
            v.size = s;
        }
        if let Some(s) = nv.security_style {
            v.security_style = s;
        }
        if let Some(s) = nv.snapdir {
            v.snapdir_access = s;
        }
        v.comment = nv.comment;
        v.state = nv.state.unwrap_or_else(|| "online".to_owned());
        v.junction = nv.junction;
        v.clone = origin;
        let uuid = v.uuid.clone();
        self.insert_volume(v);
        Ok(uuid)
    }

    fn apply_modify_volume(&mut self, uuid: &str, ch: VolumeChanges) -> Result<(), ApiError> {
        let vi = self
            .vol_index(uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        let (svm_uuid, cur_name) = {
            let v = &self.volumes[vi];
            (v.svm_uuid.clone(), v.name.clone())
        };
        if let Some(n) = &ch.name {
            if *n != cur_name && self.vol_index_by_name(&svm_uuid, n).is_some() {
                return Err(Model::duplicate_volume(n, &self.svm_name(&svm_uuid)));
            }
        }
        let new_state = ch
            .state
            .clone()
            .unwrap_or_else(|| self.volumes[vi].state.clone());
        if let Some(Some(p)) = &ch.junction {
            if new_state != "online" {
                return Err(Model::not_online());
            }
            if let Some(owner) = self.junction_owner(&svm_uuid, p, Some(uuid)) {
                return Err(self.junction_in_use(p, &owner.name, &svm_uuid));
            }
        }
        if ch.split && self.volumes[vi].clone.is_none() {
            return Err(ApiError::new(
                400,
                "2",
                format!("Volume \"{cur_name}\" is not a FlexClone volume."),
                Some("clone.split_initiated"),
            ));
        }
        let v = &mut self.volumes[vi];
        if let Some(n) = ch.name {
            v.name = n;
        }
        if let Some(s) = ch.size {
            v.size = s;
        }
        if let Some(c) = ch.comment {
            v.comment = Some(c);
        }
        if let Some(s) = ch.security_style {
            v.security_style = s;
        }
        if let Some(s) = ch.snapdir {
            v.snapdir_access = s;
        }
        if ch.split {
            v.clone = None;
        }
        v.state = new_state;
        if v.state != "online" {
            // "Taking a volume offline removes its junction path."
            v.junction = None;
        }
        if let Some(j) = ch.junction {
            v.junction = j;
        }
        Ok(())
    }

    fn apply_delete_volume(&mut self, uuid: &str) -> Result<(), ApiError> {
        let vi = self
            .vol_index(uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        let v = &self.volumes[vi];
        let svm = self.svm_name(&v.svm_uuid);
        if let Some(p) = &v.junction {
            return Err(ApiError::new(
                409,
                "8",
                format!("Volume \"{}\" in SVM \"{svm}\" is mounted at \"{p}\". Unmount the volume by setting \"nas.path\" to an empty value before deleting it.", v.name),
                Some("nas.path"),
            ));
        }
        let clones: Vec<String> = self
            .clones_of(uuid, None)
            .iter()
            .map(|c| c.name.clone())
            .collect();
        if !clones.is_empty() {
            return Err(ApiError::new(
                409,
                "8",
                format!(
                    "Volume \"{}\" in SVM \"{svm}\" cannot be deleted because it is the parent of FlexClone volumes: {}.",
                    v.name,
                    clones.join(", ")
                ),
                None,
            ));
        }
        self.volumes.remove(vi);
        Ok(())
    }

    /// Creates a snapshot now (or at `at`, for seeding); returns its UUID.
    pub(crate) fn apply_create_snapshot(
        &mut self,
        vol_uuid: &str,
        name: &str,
        comment: Option<String>,
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
    ) -> Result<String, ApiError> {
        let vi = self
            .vol_index(vol_uuid)
            .ok_or_else(ApiError::entry_doesnt_exist)?;
        let v = &self.volumes[vi];
        if v.state != "online" {
            return Err(ApiError::new(
                409,
                "524479",
                format!("The specified volume \"{}\" is not online or does not have enough space to create a Snapshot copy.", v.name),
                None,
            ));
        }
        if v.snapshots.iter().any(|s| s.name == name) {
            return Err(ApiError::new(
                409,
                "525059",
                format!(
                    "A Snapshot copy with the specified name already exists: \"{name}\" on volume \"{}\" in SVM \"{}\".",
                    v.name,
                    self.svm_name(&v.svm_uuid)
                ),
                Some("name"),
            ));
        }
        let size = v.used;
        let t = match at {
            Some(t) => super::util::whole_seconds(t),
            None => self.now(),
        };
        let uuid = self.new_snapshot_uuid(&t);
        self.insert_snapshot(
            vi,
            Snapshot {
                uuid: uuid.clone(),
                name: name.to_owned(),
                create_time: t,
                size,
                comment,
            },
        );
        Ok(uuid)
    }

    fn apply_modify_snapshot(
        &mut self,
        vol_uuid: &str,
        uuid: &str,
        name: Option<String>,
        comment: Option<String>,
    ) -> Result<(), ApiError> {
        let (vi, si) = self.find_snapshot(vol_uuid, uuid)?;
        if let Some(n) = &name {
            let v = &self.volumes[vi];
            if v.snapshots.iter().any(|s| &s.name == n && s.uuid != uuid) {
                return Err(ApiError::new(
                    409,
                    "525059",
                    format!("A Snapshot copy with the specified name already exists: \"{n}\" on volume \"{}\".", v.name),
                    Some("name"),
                ));
            }
        }
        if let Some(n) = name {
            self.volumes[vi].snapshots[si].name = n.clone();
            for c in &mut self.volumes {
                if let Some(o) = &mut c.clone {
                    if o.parent_snapshot_uuid == uuid {
                        o.parent_snapshot_name = n.clone();
                    }
                }
            }
        }
        if let Some(c) = comment {
            self.volumes[vi].snapshots[si].comment = Some(c);
        }
        Ok(())
    }

    fn apply_delete_snapshot(&mut self, vol_uuid: &str, uuid: &str) -> Result<(), ApiError> {
        let (vi, si) = self.find_snapshot(vol_uuid, uuid)?;
        if !self.clones_of(vol_uuid, Some(uuid)).is_empty() {
            let v = &self.volumes[vi];
            return Err(ApiError::new(
                409,
                "1638555",
                format!(
                    "Snapshot copy \"{}\" of volume \"{}\" on Vserver \"{}\" has not expired or is locked. Use the \"snapshot show -fields owners, expiry-time, snaplock-expiry-time\" command to view the expiry and lock status of the Snapshot copy.",
                    v.snapshots[si].name,
                    v.name,
                    self.svm_name(&v.svm_uuid)
                ),
                None,
            ));
        }
        self.volumes[vi].snapshots.remove(si);
        Ok(())
    }
}

//! The appliance's JSON, read liberally: numbers may come as strings, creation times in the
//! appliance's own format or RFC 3339, optional fields may be absent or null.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::http::HttpResponse;

/// `{"snapshots": [...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct SnapshotList {
    pub snapshots: Vec<RawSnapshot>,
}

/// `{"snapshot": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct SnapshotOne {
    pub snapshot: RawSnapshot,
}

/// One snapshot as the appliance describes it (the fields we use).
#[derive(Debug, Deserialize)]
pub(crate) struct RawSnapshot {
    pub name: String,
    #[serde(default)]
    pub creation: Value,
    #[serde(default)]
    pub numclones: Value,
    #[serde(default)]
    pub space_data: Value,
    #[serde(default)]
    pub space_unique: Value,
}

/// `{"filesystems": [...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct FilesystemList {
    pub filesystems: Vec<RawFilesystem>,
}

/// `{"filesystem": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct FilesystemOne {
    pub filesystem: RawFilesystem,
}

/// One filesystem (share) as the appliance describes it (the fields we use).
#[derive(Debug, Deserialize)]
pub(crate) struct RawFilesystem {
    pub name: String,
    #[serde(default)]
    pub mountpoint: Option<String>,
    #[serde(default)]
    pub origin: Value,
}

/// Where a clone comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub pool: Option<String>,
    pub project: String,
    pub share: String,
    pub snapshot: String,
}

/// A filesystem, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Share {
    pub name: String,
    pub mountpoint: String,
    pub origin: Option<Origin>,
}

impl RawFilesystem {
    pub fn into_share(self) -> Share {
        Share {
            origin: origin(&self.origin),
            mountpoint: self.mountpoint.unwrap_or_default(),
            name: self.name,
        }
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// A clone's `origin`: an object `{"pool", "project", "share", "snapshot", ...}`; also
/// accepted: a string `pool/local/project/share@snapshot`. Absent, null, empty or partial
/// origins mean "not a clone".
pub(crate) fn origin(v: &Value) -> Option<Origin> {
    match v {
        Value::Object(m) => Some(Origin {
            pool: text(m.get("pool")),
            project: text(m.get("project"))?,
            share: text(m.get("share"))?,
            snapshot: text(m.get("snapshot"))?,
        }),
        Value::String(s) => {
            let (path, snapshot) = s.trim().split_once('@')?;
            let parts: Vec<&str> = path.split('/').collect();
            let n = parts.len();
            if n < 2 || snapshot.is_empty() {
                return None;
            }
            Some(Origin {
                pool: (n >= 4).then(|| parts[0].to_string()),
                project: parts[n - 2].to_string(),
                share: parts[n - 1].to_string(),
                snapshot: snapshot.to_string(),
            })
        }
        _ => None,
    }
}

/// A count or size: a JSON number (integer or float, not negative) or a numeric string;
/// absent or null is 0.
pub(crate) fn number(v: &Value) -> Result<u64, String> {
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .ok_or_else(|| format!("{n} is not a count")),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<u64>()
                .ok()
                .or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && *f >= 0.0)
                        .map(|f| f as u64)
                })
                .ok_or_else(|| format!("{s:?} is not a number"))
        }
        other => Err(format!("{other} is not a number")),
    }
}

/// The appliance's `creation` (`20150803T13:31:42`, UTC); also `20150803T133142`,
/// `2015-08-03T13:31:42` and `2015-08-03 13:31:42` (UTC), and RFC 3339 with an offset.
pub(crate) fn creation(v: &Value) -> Result<DateTime<Utc>, String> {
    let s = match v {
        Value::String(s) => s.trim(),
        Value::Null => return Err("no creation time".to_string()),
        other => return Err(format!("creation time {other} is not a string")),
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y%m%dT%H:%M:%S",
        "%Y%m%dT%H%M%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y%m%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc());
        }
    }
    Err(format!("creation time {s:?} is not a date"))
}

impl RawSnapshot {
    /// The snapshot as the trait describes it.
    pub fn into_info(self) -> Result<backupcore::snap::SnapshotInfo, String> {
        let field = |name: &str, v: &Value| {
            number(v).map_err(|e| format!("snapshot {}: {name}: {e}", self.name))
        };
        let clones = field("numclones", &self.numclones)?;
        let space_total = field("space_data", &self.space_data)?;
        let space_unique = field("space_unique", &self.space_unique)?;
        let created =
            creation(&self.creation).map_err(|e| format!("snapshot {}: {e}", self.name))?;
        Ok(backupcore::snap::SnapshotInfo {
            id: self.name,
            created,
            clones: u32::try_from(clones).unwrap_or(u32::MAX),
            space_total,
            space_unique,
        })
    }
}

/// The appliance's error payload: `{"fault": {"message": "ERR_...", "details": "...",
/// "code": 404}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fault {
    /// `ERR_NOT_FOUND`, ...
    pub code: Option<String>,
    /// The human text.
    pub details: Option<String>,
}

impl Fault {
    pub fn of(resp: &HttpResponse) -> Fault {
        let Ok(v) = resp.json::<Value>() else {
            return Fault::default();
        };
        let Some(f) = v.get("fault") else {
            return Fault::default();
        };
        Fault {
            code: text(f.get("message")),
            details: text(f.get("details")),
        }
    }

    /// The fault's text (`details (ERR_...)`), or an excerpt of the body, redacted.
    pub fn message(&self, resp: &HttpResponse) -> String {
        let text = match (&self.details, &self.code) {
            (Some(d), Some(c)) => format!("{d} ({c})"),
            (Some(d), None) => d.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => return resp.excerpt(300),
        };
        resp.redact(&text)
    }

    fn lower(&self) -> String {
        format!(
            "{} {}",
            self.code.as_deref().unwrap_or_default(),
            self.details.as_deref().unwrap_or_default()
        )
        .to_ascii_lowercase()
    }

    pub fn is_exists(&self) -> bool {
        self.code.as_deref() == Some("ERR_OBJECT_EXISTS") || self.lower().contains("already exists")
    }

    pub fn is_not_found(&self) -> bool {
        self.code.as_deref() == Some("ERR_NOT_FOUND")
    }

    pub fn is_confirm_required(&self) -> bool {
        self.code.as_deref() == Some("ERR_CONFIRM_REQUIRED")
    }

    /// A refusal to destroy a snapshot because clones depend on it.
    pub fn is_has_clones(&self) -> bool {
        let l = self.lower();
        l.contains("clone")
            && ["depend", "has ", "have ", "exist", "busy", "in use"]
                .iter()
                .any(|w| l.contains(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_liberally() {
        assert_eq!(number(&json!(3)), Ok(3));
        assert_eq!(number(&json!("42")), Ok(42));
        assert_eq!(number(&json!(" 7 ")), Ok(7));
        assert_eq!(number(&json!(1.5e3)), Ok(1500));
        assert_eq!(number(&json!("2.0")), Ok(2));
        assert_eq!(number(&Value::Null), Ok(0));
        assert!(number(&json!(-1)).is_err());
        assert!(number(&json!("lots")).is_err());
        assert!(number(&json!([1])).is_err());
    }

    #[test]
    fn creation_formats() {
        let want = DateTime::parse_from_rfc3339("2015-08-03T13:31:42Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("date");
        for s in [
            "20150803T13:31:42",
            "20150803T133142",
            "2015-08-03T13:31:42",
            "2015-08-03 13:31:42",
            "2015-08-03T13:31:42Z",
            "2015-08-03T15:31:42+02:00",
        ] {
            assert_eq!(creation(&json!(s)), Ok(want), "{s}");
        }
        assert!(creation(&json!("yesterday")).is_err());
        assert!(creation(&Value::Null).is_err());
        assert!(creation(&json!(12)).is_err());
    }

    #[test]
    fn origins() {
        let o = origin(
            &json!({"pool": "p", "project": "j", "share": "orcl", "snapshot": "s1", "collection": "local"}),
        );
        assert_eq!(
            o,
            Some(Origin {
                pool: Some("p".into()),
                project: "j".into(),
                share: "orcl".into(),
                snapshot: "s1".into()
            })
        );
        assert_eq!(origin(&json!({})), None);
        assert_eq!(
            origin(&json!({"project": "", "share": "", "snapshot": ""})),
            None
        );
        assert_eq!(origin(&Value::Null), None);
        assert_eq!(origin(&json!("")), None);
        let o = origin(&json!("p/local/j/orcl@s1")).expect("string origin");
        assert_eq!(
            (o.project.as_str(), o.share.as_str(), o.snapshot.as_str()),
            ("j", "orcl", "s1")
        );
    }

    #[test]
    fn faults() {
        let r = HttpResponse::new(
            "DELETE /x",
            400,
            r#"{"fault": {"message": "ERR_INVALID_ARG", "details": "snapshot has dependent clones", "code": 400}}"#,
        );
        let f = Fault::of(&r);
        assert!(f.is_has_clones());
        assert!(!f.is_exists());
        assert_eq!(
            f.message(&r),
            "snapshot has dependent clones (ERR_INVALID_ARG)"
        );
        let r = HttpResponse::new("GET /x", 502, "<html>Bad gateway</html>");
        assert_eq!(Fault::of(&r).message(&r), "<html>Bad gateway</html>");
    }
}

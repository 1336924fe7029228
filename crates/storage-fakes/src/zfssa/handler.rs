//! The stateful catch-all responder: request recording, failure injection, authentication
//! and routing of the storage service paths onto the model.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use wiremock::{Request, Respond, ResponseTemplate};

use super::model::{fault_name_for_status, Body, Fault, Model, Reply};
use super::util::{base64_decode, percent_decode};
use super::RecordedRequest;

/// What an injection does to the next matching request.
#[derive(Debug, Clone)]
pub(crate) enum InjectionKind {
    /// Answer `status` without touching the state.
    FailNext { status: u16, body: Option<Value> },
    /// Apply the request, then answer `status` with a fault body.
    FailAfterApply { status: u16 },
    /// Apply the request, then answer its success status with a truncated JSON body.
    Malformed,
}

/// A one-shot injection, consumed by the first request it applies to.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    pub(crate) method: String,
    pub(crate) path_contains: String,
    pub(crate) kind: InjectionKind,
}

impl Injection {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && path.contains(&self.path_contains)
    }
}

/// Everything behind the fake's lock.
pub(crate) struct Shared {
    pub(crate) model: Model,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) recording: bool,
    pub(crate) injections: Vec<Injection>,
    pub(crate) delay: Option<Duration>,
}

impl Shared {
    pub(crate) fn new(user: &str, password: &str) -> Shared {
        Shared {
            model: Model::new(),
            user: user.to_owned(),
            password: password.to_owned(),
            requests: Vec::new(),
            recording: true,
            injections: Vec::new(),
            delay: None,
        }
    }

    /// Removes and returns the first injection of the wanted kind matching the request.
    fn take_injection(
        &mut self,
        method: &str,
        path: &str,
        want: fn(&InjectionKind) -> bool,
    ) -> Option<InjectionKind> {
        let pos = self
            .injections
            .iter()
            .position(|i| want(&i.kind) && i.matches(method, path))?;
        Some(self.injections.remove(pos).kind)
    }

    fn authenticated(&self, request: &Request) -> bool {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if let Some(auth) = header("authorization") {
            let mut parts = auth.splitn(2, ' ');
            let scheme = parts.next().unwrap_or_default();
            let creds = parts.next().unwrap_or_default();
            if scheme.eq_ignore_ascii_case("basic") {
                if let Some(decoded) = base64_decode(creds) {
                    let decoded = String::from_utf8_lossy(&decoded).into_owned();
                    if let Some((u, p)) = decoded.split_once(':') {
                        if u == self.user && p == self.password {
                            return true;
                        }
                    }
                }
            }
        }
        matches!(
            (header("x-auth-user"), header("x-auth-key")),
            (Some(u), Some(k)) if u == self.user && k == self.password
        )
    }
}

/// Locks, ignoring poisoning (a panicking test must not wedge the fake).
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The wiremock responder owning the fake's state.
pub(crate) struct Responder(pub(crate) Arc<Mutex<Shared>>);

/// The answer before it becomes a `ResponseTemplate`.
struct Answer {
    status: u16,
    body: Option<String>,
    location: Option<String>,
}

impl Answer {
    fn fault(f: &Fault) -> Answer {
        Answer {
            status: f.status,
            body: Some(f.body().to_string()),
            location: None,
        }
    }
    fn reply(r: Reply) -> Answer {
        Answer {
            status: r.status,
            body: r.body.map(|b| b.to_string()),
            location: r.location,
        }
    }
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let segments: Vec<String> = request
            .url
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let path = format!("/{}", segments.join("/"));
        let method = request.method.as_str().to_ascii_uppercase();
        let body = if request.body.iter().all(u8::is_ascii_whitespace) {
            Body::Empty
        } else {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(v) => Body::Json(v),
                Err(_) => Body::Invalid,
            }
        };
        let api_header = match segments.get(2).map(String::as_str) {
            Some("v2") => "2.0",
            _ => "1.0",
        };

        let mut shared = lock(&self.0);
        if shared.recording {
            let recorded_body = match &body {
                Body::Empty => None,
                Body::Json(v) => Some(v.clone()),
                Body::Invalid => Some(Value::String(
                    String::from_utf8_lossy(&request.body).into_owned(),
                )),
            };
            shared.requests.push(RecordedRequest {
                method: method.clone(),
                path: path.clone(),
                query: request.url.query().map(str::to_owned),
                body: recorded_body,
            });
        }
        let delay = shared.delay;
        let answer = handle(&mut shared, request, &method, &path, &segments, &body);
        drop(shared);

        let mut template =
            ResponseTemplate::new(answer.status).insert_header("X-Zfssa-Storage-Api", api_header);
        if let Some(b) = answer.body {
            template = template.set_body_raw(b.into_bytes(), "application/json");
        }
        if let Some(loc) = answer.location {
            template = template.insert_header("Location", loc.as_str());
        }
        if let Some(d) = delay {
            template = template.set_delay(d);
        }
        template
    }
}

fn handle(
    shared: &mut Shared,
    request: &Request,
    method: &str,
    path: &str,
    segments: &[String],
    body: &Body,
) -> Answer {
    if let Some(InjectionKind::FailNext {
        status,
        body: injected_body,
    }) = shared.take_injection(method, path, |k| {
        matches!(k, InjectionKind::FailNext { .. })
    }) {
        let fault_body = injected_body.unwrap_or_else(|| {
            Fault::new(
                status,
                fault_name_for_status(status),
                format!("injected failure for {method} {path}"),
            )
            .body()
        });
        return Answer {
            status,
            body: Some(fault_body.to_string()),
            location: None,
        };
    }

    if !shared.authenticated(request) {
        return Answer::fault(&Fault::new(
            401,
            "ERR_UNAUTHORIZED",
            "authentication failed: valid Basic or X-Auth-User/X-Auth-Key credentials are required",
        ));
    }

    let result = match segments {
        [a, s, v, rest @ ..] if a == "api" && s == "storage" && (v == "v1" || v == "v2") => {
            route(&mut shared.model, method, v, rest, body)
        }
        _ => Err(Fault::not_found(format!("no such service: {path}"))),
    };
    let reply = match result {
        Ok(r) => r,
        Err(f) => return Answer::fault(&f),
    };

    if let Some(InjectionKind::FailAfterApply { status }) =
        shared.take_injection(method, path, |k| {
            matches!(k, InjectionKind::FailAfterApply { .. })
        })
    {
        return Answer::fault(&Fault::new(
            status,
            fault_name_for_status(status),
            format!("injected failure after applying {method} {path}"),
        ));
    }
    if shared
        .take_injection(method, path, |k| matches!(k, InjectionKind::Malformed))
        .is_some()
    {
        let (status, full) = match &reply.body {
            Some(b) => (reply.status, b.to_string()),
            None => (200, "{}".to_owned()),
        };
        // A strict prefix of a JSON object is never valid JSON.
        let cut = (full.chars().count() / 2).max(1);
        let truncated: String = full.chars().take(cut).collect();
        return Answer {
            status,
            body: Some(truncated),
            location: reply.location,
        };
    }
    Answer::reply(reply)
}

/// Routes the part of the path after `/api/storage/v{1|2}`.
fn route(
    model: &mut Model,
    method: &str,
    api: &str,
    rest: &[String],
    body: &Body,
) -> Result<Reply, Fault> {
    let r: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (method, r.as_slice()) {
        ("GET", ["pools"]) => model.list_pools(api),
        ("GET", ["pools", pool]) => model.get_pool(api, pool),
        ("GET", ["pools", pool, "projects"]) => model.list_projects(api, pool),
        ("GET", ["pools", pool, "projects", project]) => model.get_project(api, pool, project),
        ("GET", ["filesystems"]) => model.list_all_filesystems(api),
        ("GET", ["pools", pool, "projects", project, "filesystems"]) => {
            model.list_filesystems(api, pool, project)
        }
        ("POST", ["pools", pool, "projects", project, "filesystems"]) => {
            model.create_filesystem(api, pool, project, body)
        }
        ("GET", ["pools", pool, "projects", project, "filesystems", fs]) => {
            model.get_filesystem(api, pool, project, fs)
        }
        ("DELETE", ["pools", pool, "projects", project, "filesystems", fs]) => {
            model.delete_filesystem(pool, project, fs)
        }
        ("GET", ["pools", pool, "projects", project, "filesystems", fs, "snapshots"]) => {
            model.list_snapshots(api, pool, project, fs)
        }
        ("POST", ["pools", pool, "projects", project, "filesystems", fs, "snapshots"]) => {
            model.create_snapshot(api, pool, project, fs, body)
        }
        ("GET", ["pools", pool, "projects", project, "filesystems", fs, "snapshots", snap]) => {
            model.get_snapshot(api, pool, project, fs, snap)
        }
        ("DELETE", ["pools", pool, "projects", project, "filesystems", fs, "snapshots", snap]) => {
            model.delete_snapshot(pool, project, fs, snap)
        }
        (
            "PUT",
            ["pools", pool, "projects", project, "filesystems", fs, "snapshots", snap, "clone"],
        ) => model.clone_snapshot(api, pool, project, fs, snap, body),
        (
            "GET",
            ["pools", pool, "projects", project, "filesystems", fs, "snapshots", snap, "dependents"],
        ) => model.list_dependents(api, pool, project, fs, snap),
        _ => Err(Fault::not_implemented(format!(
            "{method} /api/storage/{api}/{} is not implemented by this fake",
            r.join("/")
        ))),
    }
}

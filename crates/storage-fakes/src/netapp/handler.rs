//! The wiremock responder: request recording, injected failures, HTTP Basic
//! authentication, routing, and turning model answers into HTTP responses.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use wiremock::{Request, Respond, ResponseTemplate};

use super::jobs::Accepted;
use super::model::{ApiError, Body, Model};
use super::query::{
    collection, parse_bool_text, parse_fields, parse_list_params, parse_return_timeout, project,
    FieldSel,
};
use super::util::{base64_decode, parse_query, percent_decode_path};
use super::RecordedRequest;

/// What an injection does to the next matching request.
#[derive(Debug, Clone)]
pub(crate) enum InjectionKind {
    /// Answer `status` without touching the state (checked before authentication).
    FailNext { status: u16, body: Option<Value> },
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

    /// HTTP Basic only ("Authorization: Basic base64(user:password)").
    fn authenticated(&self, request: &Request) -> bool {
        let Some(auth) = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let mut parts = auth.splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default();
        let creds = parts.next().unwrap_or_default();
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Some(decoded) = base64_decode(creds) else {
            return false;
        };
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        matches!(decoded.split_once(':'), Some((u, p)) if u == self.user && p == self.password)
    }
}

/// Locks, ignoring poisoning (a panicking test must not wedge the fake).
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The default error body of an injected failure with this status.
pub(crate) fn injected_error(status: u16) -> ApiError {
    match status {
        400 => ApiError::new(400, "2", "injected failure: invalid request", None),
        401 => ApiError::new(401, "6", "injected failure: authentication failed", None),
        // The body a real cluster answers an RBAC denial with.
        403 => ApiError::new(403, "6", "not authorized for that command", None),
        404 => ApiError::entry_doesnt_exist(),
        405 => ApiError::new(405, "3", "The operation is not supported.", None),
        409 => ApiError::new(409, "8", "injected failure: resource in use", None),
        503 => ApiError::new(503, "7", "injected failure: resource limit exceeded", None),
        s => ApiError::new(s, "65552", "injected failure: generic RPC failure", None),
    }
}

/// The wiremock responder owning the fake's state.
pub(crate) struct Responder(pub(crate) Arc<Mutex<Shared>>);

/// The answer before it becomes a `ResponseTemplate`.
struct Answer {
    status: u16,
    body: Option<String>,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: Some(body.to_string()),
            headers: Vec::new(),
        }
    }

    fn error(e: &ApiError) -> Answer {
        Answer::json(e.status, e.body())
    }
}

/// With `Accept: application/json` the reference returns no HAL links "except a link
/// needed to retrieve the next batch of records".
fn strip_links(v: &mut Value, top: bool) {
    match v {
        Value::Object(m) => {
            if let Some(links) = m.get_mut("_links") {
                let keep_next = top
                    && links
                        .as_object_mut()
                        .map(|l| {
                            l.retain(|k, _| k == "next");
                            !l.is_empty()
                        })
                        .unwrap_or(false);
                if !keep_next {
                    m.remove("_links");
                }
            }
            for (k, child) in m.iter_mut() {
                if k != "_links" {
                    strip_links(child, false);
                }
            }
        }
        Value::Array(a) => {
            for e in a {
                strip_links(e, false);
            }
        }
        _ => {}
    }
}

fn wants_plain_json(request: &Request) -> bool {
    request
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .map(|a| {
            let a = a.to_ascii_lowercase();
            a.contains("application/json") && !a.contains("hal+json")
        })
        .unwrap_or(false)
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let segments: Vec<String> = request
            .url
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode_path)
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
        let plain_json = wants_plain_json(request);

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
        let mut answer = handle(&mut shared, request, &method, &path, &segments, &body);
        drop(shared);

        if plain_json {
            if let Some(text) = &answer.body {
                if let Ok(mut v) = serde_json::from_str::<Value>(text) {
                    strip_links(&mut v, true);
                    answer.body = Some(v.to_string());
                }
            }
        }
        let mut template = ResponseTemplate::new(answer.status);
        for (k, v) in &answer.headers {
            template = template.insert_header(k.as_str(), v.as_str());
        }
        if let Some(b) = answer.body {
            let ctype = if plain_json {
                "application/json"
            } else {
                "application/hal+json"
            };
            template = template.set_body_raw(b.into_bytes(), ctype);
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
        body: injected,
    }) = shared.take_injection(method, path, |k| {
        matches!(k, InjectionKind::FailNext { .. })
    }) {
        let body = injected.unwrap_or_else(|| injected_error(status).body());
        return Answer::json(status, body);
    }

    if !shared.authenticated(request) {
        let mut a = Answer::error(&ApiError::new(
            401,
            "6",
            "Authentication failed: valid HTTP Basic credentials are required.",
            None,
        ));
        a.headers.push((
            "WWW-Authenticate".to_owned(),
            "Basic realm=\"ONTAP REST API\"".to_owned(),
        ));
        return a;
    }

    let pairs = parse_query(request.url.query());
    let self_href = match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let ctx = Ctx {
        method,
        pairs: &pairs,
        body,
        self_href: &self_href,
    };
    let answer = match route(&mut shared.model, &ctx, segments) {
        Ok(a) => a,
        Err(e) => return Answer::error(&e),
    };

    if answer.status < 300
        && shared
            .take_injection(method, path, |k| matches!(k, InjectionKind::Malformed))
            .is_some()
    {
        let full = answer.body.clone().unwrap_or_else(|| "{}".to_owned());
        // A strict prefix of a JSON object is never valid JSON.
        let cut = (full.chars().count() / 2).max(1);
        return Answer {
            status: answer.status,
            body: Some(full.chars().take(cut).collect()),
            headers: answer.headers,
        };
    }
    answer
}

/// The parts of a request the routes need.
struct Ctx<'a> {
    method: &'a str,
    pairs: &'a [(String, String)],
    body: &'a Body,
    self_href: &'a str,
}

fn not_supported(method: &str, path: &str) -> ApiError {
    ApiError::new(
        405,
        "3",
        format!("The operation is not supported: {method} {path} is not modelled by this fake."),
        None,
    )
}

fn route(model: &mut Model, ctx: &Ctx<'_>, segments: &[String]) -> Result<Answer, ApiError> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some(("api", rest)) = s.split_first().map(|(a, r)| (*a, r)) else {
        return Err(ApiError::new(
            404,
            "4",
            format!("API not found: /{} (the fake serves /api/...)", s.join("/")),
            None,
        ));
    };
    let m = ctx.method;
    if matches!(m, "GET" | "DELETE" | "HEAD") && !ctx.body.is_empty() {
        return Err(ApiError::new(
            400,
            "262198",
            "A request body is not allowed on GET, HEAD, and DELETE.",
            None,
        ));
    }
    let full = format!("/api/{}", rest.join("/"));
    match (m, rest) {
        ("GET", ["svm", "svms"]) => list_svms(model, ctx),
        ("GET", ["svm", "svms", uuid]) => get_svm(model, ctx, uuid),
        ("GET", ["storage", "volumes"]) => list_volumes(model, ctx),
        ("POST", ["storage", "volumes"]) => {
            check_params(ctx.pairs, &["return_timeout", "return_records"])?;
            let obj = ctx.body.object()?;
            let acc = model.accept_volume_post(&obj)?;
            Ok(start(model, acc, ctx, true))
        }
        ("GET", ["storage", "volumes", uuid]) => get_volume(model, ctx, uuid),
        ("PATCH", ["storage", "volumes", uuid]) => {
            check_params(
                ctx.pairs,
                &["return_timeout", "snapshot_directory_access_enabled"],
            )?;
            let snapdir = match param(ctx.pairs, "snapshot_directory_access_enabled") {
                Some(v) => Some(parse_bool_text(v).ok_or_else(|| {
                    super::query::invalid_param(
                        "snapshot_directory_access_enabled",
                        v,
                        "<true|false>",
                    )
                })?),
                None => None,
            };
            let obj = ctx.body.object()?;
            let acc = model.accept_volume_patch(uuid, &obj, snapdir)?;
            Ok(start(model, acc, ctx, false))
        }
        ("DELETE", ["storage", "volumes", uuid]) => {
            check_params(ctx.pairs, &["return_timeout", "force"])?;
            if let Some(v) = param(ctx.pairs, "force") {
                parse_bool_text(v)
                    .ok_or_else(|| super::query::invalid_param("force", v, "<true|false>"))?;
            }
            let acc = model.accept_volume_delete(uuid)?;
            Ok(start(model, acc, ctx, false))
        }
        ("GET", ["storage", "volumes", vol, "snapshots"]) => list_snapshots(model, ctx, vol),
        ("POST", ["storage", "volumes", vol, "snapshots"]) => {
            check_params(ctx.pairs, &["return_timeout", "return_records"])?;
            let obj = ctx.body.object()?;
            let acc = model.accept_snapshot_post(vol, &obj)?;
            Ok(start(model, acc, ctx, true))
        }
        ("GET", ["storage", "volumes", vol, "snapshots", uuid]) => {
            get_snapshot(model, ctx, vol, uuid)
        }
        ("PATCH", ["storage", "volumes", vol, "snapshots", uuid]) => {
            check_params(ctx.pairs, &["return_timeout"])?;
            let obj = ctx.body.object()?;
            let acc = model.accept_snapshot_patch(vol, uuid, &obj)?;
            Ok(start(model, acc, ctx, false))
        }
        ("DELETE", ["storage", "volumes", vol, "snapshots", uuid]) => {
            check_params(ctx.pairs, &["return_timeout"])?;
            let acc = model.accept_snapshot_delete(vol, uuid)?;
            Ok(start(model, acc, ctx, false))
        }
        ("GET", ["cluster", "jobs"]) => list_jobs(model, ctx),
        ("GET", ["cluster", "jobs", uuid]) => get_job(model, ctx, uuid),
        (_, ["svm", "svms"])
        | (_, ["svm", "svms", _])
        | (_, ["storage", "volumes"])
        | (_, ["storage", "volumes", _])
        | (_, ["storage", "volumes", _, "snapshots"])
        | (_, ["storage", "volumes", _, "snapshots", _])
        | (_, ["cluster", "jobs"])
        | (_, ["cluster", "jobs", _]) => Err(not_supported(m, &full)),
        _ => Err(ApiError::new(
            404,
            "4",
            format!("API not found: {m} {full} is not modelled by this fake."),
            None,
        )),
    }
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Only these query parameters may be given (POST, PATCH, DELETE on one record).
fn check_params(pairs: &[(String, String)], allowed: &[&str]) -> Result<(), ApiError> {
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::unexpected_argument(k));
        }
        match k.as_str() {
            "return_timeout" => {
                parse_return_timeout(v)?;
            }
            "return_records" => {
                parse_bool_text(v)
                    .ok_or_else(|| super::query::invalid_param(k, v, "<true|false>"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Starts the job of an accepted request and answers: 202 with the job link; with
/// `return_timeout` > 0 a job that finishes answers 201 (POST) or 200 with the job link,
/// or its error.
fn start(model: &mut Model, acc: Accepted, ctx: &Ctx<'_>, is_post: bool) -> Answer {
    let wait = param(ctx.pairs, "return_timeout")
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|t| t > 0);
    let return_records = param(ctx.pairs, "return_records")
        .and_then(parse_bool_text)
        .unwrap_or(false);
    let location = acc.location.clone();
    let record = acc.record.clone();
    let idx = model.start_job(acc, wait);
    let job = &model.jobs.list[idx];
    let status = match &job.outcome {
        None => 202,
        Some(Ok(())) if wait && is_post => 201,
        Some(Ok(())) if wait => 200,
        Some(Ok(())) => 202,
        Some(Err(e)) if wait => return Answer::error(e),
        Some(Err(_)) => 202,
    };
    let mut body = Model::job_link(&job.uuid);
    if return_records {
        if let (Some(r), Value::Object(m)) = (record, &mut body) {
            m.insert("num_records".into(), Value::from(1));
            m.insert("records".into(), Value::Array(vec![r]));
        }
    }
    let mut a = Answer::json(status, body);
    if let Some(l) = location {
        a.headers.push(("Location".to_owned(), l));
    }
    a
}

/// `fields` of an instance GET (other parameters: 400).
fn instance_fields(
    pairs: &[(String, String)],
    schema: &Value,
) -> Result<Option<FieldSel>, ApiError> {
    let mut sel: Option<FieldSel> = None;
    for (k, v) in pairs {
        match k.as_str() {
            "fields" => {
                let s = parse_fields(v, schema)?;
                match &mut sel {
                    Some(prev) => {
                        prev.all |= s.all;
                        prev.include.extend(s.include);
                        prev.exclude.extend(s.exclude);
                    }
                    None => sel = Some(s),
                }
            }
            "return_timeout" => {
                parse_return_timeout(v)?;
            }
            "pretty" => {}
            _ => return Err(ApiError::unexpected_argument(k)),
        }
    }
    Ok(sel)
}

fn instance(full: Value, sel: Option<FieldSel>, keys: &[&str]) -> Answer {
    let body = match sel {
        Some(s) => project(&full, &s, keys),
        None => full,
    };
    Answer::json(200, body)
}

fn list_answer(
    records: Vec<Value>,
    ctx: &Ctx<'_>,
    schema: &Value,
    path: &str,
    keys: &[&str],
) -> Result<Answer, ApiError> {
    let params = parse_list_params(ctx.pairs, schema)?;
    let (body, next) = collection(records, &params, ctx.pairs, path, ctx.self_href, keys);
    let mut a = Answer::json(200, body);
    if let Some(n) = next {
        a.headers
            .push(("Link".to_owned(), format!("<{n}>; rel=\"next\"")));
    }
    Ok(a)
}

fn list_svms(model: &Model, ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let mut svms: Vec<&super::model::Svm> = model.svms.iter().collect();
    svms.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    let records = svms.into_iter().map(|s| model.svm_json(s)).collect();
    list_answer(
        records,
        ctx,
        &Model::svm_schema(),
        "/api/svm/svms",
        &["uuid", "name"],
    )
}

fn get_svm(model: &Model, ctx: &Ctx<'_>, uuid: &str) -> Result<Answer, ApiError> {
    let sel = instance_fields(ctx.pairs, &Model::svm_schema())?;
    let s = model
        .svm_by_uuid(uuid)
        .ok_or_else(ApiError::entry_doesnt_exist)?;
    Ok(instance(model.svm_json(s), sel, &["uuid", "name"]))
}

fn list_volumes(model: &Model, ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let records = model.volumes.iter().map(|v| model.volume_json(v)).collect();
    list_answer(
        records,
        ctx,
        &Model::volume_schema(),
        "/api/storage/volumes",
        &["uuid", "name"],
    )
}

fn get_volume(model: &Model, ctx: &Ctx<'_>, uuid: &str) -> Result<Answer, ApiError> {
    let sel = instance_fields(ctx.pairs, &Model::volume_schema())?;
    let vi = model
        .vol_index(uuid)
        .ok_or_else(ApiError::entry_doesnt_exist)?;
    Ok(instance(
        model.volume_json(&model.volumes[vi]),
        sel,
        &["uuid", "name"],
    ))
}

fn list_snapshots(model: &Model, ctx: &Ctx<'_>, vol: &str) -> Result<Answer, ApiError> {
    let vi = model
        .vol_index(vol)
        .ok_or_else(ApiError::entry_doesnt_exist)?;
    let v = &model.volumes[vi];
    let records = v
        .snapshots
        .iter()
        .map(|s| model.snapshot_json(v, s))
        .collect();
    list_answer(
        records,
        ctx,
        &Model::snapshot_schema(),
        &format!("/api/storage/volumes/{vol}/snapshots"),
        &["uuid", "name"],
    )
}

fn get_snapshot(model: &Model, ctx: &Ctx<'_>, vol: &str, uuid: &str) -> Result<Answer, ApiError> {
    let sel = instance_fields(ctx.pairs, &Model::snapshot_schema())?;
    let vi = model
        .vol_index(vol)
        .ok_or_else(ApiError::entry_doesnt_exist)?;
    let si = model
        .snap_index(vi, uuid)
        .ok_or_else(ApiError::entry_doesnt_exist)?;
    let v = &model.volumes[vi];
    Ok(instance(
        model.snapshot_json(v, &v.snapshots[si]),
        sel,
        &["uuid", "name"],
    ))
}

fn list_jobs(model: &Model, ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let records = model.jobs.list.iter().map(|j| model.job_json(j)).collect();
    list_answer(
        records,
        ctx,
        &Model::job_schema(),
        "/api/cluster/jobs",
        &["uuid"],
    )
}

fn get_job(model: &mut Model, ctx: &Ctx<'_>, uuid: &str) -> Result<Answer, ApiError> {
    let sel = instance_fields(ctx.pairs, &Model::job_schema())?;
    let idx = model
        .poll_job(uuid)
        .ok_or_else(ApiError::entry_doesnt_exist)?;
    Ok(instance(
        model.job_json(&model.jobs.list[idx]),
        sel,
        &["uuid"],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_hal_links_but_next() {
        let mut v = json!({
            "records": [{"uuid": "a", "_links": {"self": {"href": "x"}}}],
            "_links": {"self": {"href": "s"}, "next": {"href": "n"}}
        });
        strip_links(&mut v, true);
        assert_eq!(
            v,
            json!({"records": [{"uuid": "a"}], "_links": {"next": {"href": "n"}}})
        );
        let mut job = json!({"job": {"uuid": "j", "_links": {"self": {"href": "x"}}}});
        strip_links(&mut job, true);
        assert_eq!(job, json!({"job": {"uuid": "j"}}));
    }
}

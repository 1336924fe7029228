//! Asynchronous jobs (`/api/cluster/jobs`): every accepted POST, PATCH or DELETE on volumes
//! and snapshots becomes a job whose action is applied when the job runs. When it runs is
//! deterministic: after a configurable number of polls of the job, never (a hung job), or
//! right away with `return_timeout` > 0.

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Map, Value};

use super::model::{ApiError, Model, KIND_JOB};
use super::ops::Action;
use super::util::format_time;

/// The kinds of asynchronous operation the fake runs as jobs, for failure injection
/// ([`super::NetappFake::fail_next_job`], [`super::NetappFake::hang_next_job`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// `POST /api/storage/volumes` without `clone`.
    VolumeCreate,
    /// `POST /api/storage/volumes` with `clone` (a FlexClone).
    CloneCreate,
    /// `PATCH /api/storage/volumes/{uuid}`.
    VolumeModify,
    /// `DELETE /api/storage/volumes/{uuid}`.
    VolumeDelete,
    /// `POST /api/storage/volumes/{uuid}/snapshots`.
    SnapshotCreate,
    /// `PATCH /api/storage/volumes/{uuid}/snapshots/{uuid}`.
    SnapshotModify,
    /// `DELETE /api/storage/volumes/{uuid}/snapshots/{uuid}`.
    SnapshotDelete,
    /// Any of the above (only as an injection filter; no job has this kind).
    Any,
}

impl JobKind {
    fn accepts(self, actual: JobKind) -> bool {
        self == JobKind::Any || self == actual
    }
}

/// What happens to a job when it runs.
#[derive(Debug, Clone)]
pub(crate) enum JobPlan {
    /// Apply the action; the job fails if the action does.
    Normal,
    /// Never run: the job stays in its pending state until run by hand.
    Hang,
    /// Do not apply the action; fail with this error.
    Fail(ApiError),
}

/// What a request that starts a job hands over.
pub(crate) struct Accepted {
    pub(crate) kind: JobKind,
    pub(crate) description: String,
    pub(crate) svm_uuid: Option<String>,
    pub(crate) action: Action,
    /// `Location` header of a POST.
    pub(crate) location: Option<String>,
    /// The record shown with `return_records=true` on a POST.
    pub(crate) record: Option<Value>,
}

pub(crate) struct Job {
    pub(crate) uuid: String,
    pub(crate) kind: JobKind,
    pub(crate) description: String,
    pub(crate) svm_uuid: Option<String>,
    pub(crate) action: Option<Action>,
    pub(crate) plan: JobPlan,
    pub(crate) polls_left: u32,
    /// `None` while pending.
    pub(crate) outcome: Option<Result<(), ApiError>>,
    pub(crate) start_time: DateTime<FixedOffset>,
    pub(crate) end_time: Option<DateTime<FixedOffset>>,
}

impl Job {
    pub(crate) fn state(&self, pending: &str) -> String {
        match &self.outcome {
            None => pending.to_owned(),
            Some(Ok(())) => "success".to_owned(),
            Some(Err(_)) => "failure".to_owned(),
        }
    }
}

/// Job list and settings.
pub(crate) struct Jobs {
    pub(crate) list: Vec<Job>,
    /// Polls answered with the pending state before a job runs.
    pub(crate) polls: u32,
    /// State reported while pending: `queued`, `running` or `paused`.
    pub(crate) pending_state: String,
    /// One-shot plans for the next job of a kind.
    pub(crate) injections: Vec<(JobKind, JobPlan)>,
}

impl Jobs {
    pub(crate) fn new() -> Jobs {
        Jobs {
            list: Vec::new(),
            polls: 0,
            pending_state: "running".to_owned(),
            injections: Vec::new(),
        }
    }

    fn take_plan(&mut self, kind: JobKind) -> JobPlan {
        match self.injections.iter().position(|(k, _)| k.accepts(kind)) {
            Some(i) => self.injections.remove(i).1,
            None => JobPlan::Normal,
        }
    }

    pub(crate) fn index(&self, uuid: &str) -> Option<usize> {
        self.list.iter().position(|j| j.uuid == uuid)
    }
}

impl Model {
    /// Creates the job of an accepted request. It runs at once when it needs no polls or
    /// the caller waits (`return_timeout` > 0), unless it is hung. Returns its index.
    pub(crate) fn start_job(&mut self, acc: Accepted, wait: bool) -> usize {
        let plan = self.jobs.take_plan(acc.kind);
        let uuid = self.new_uuid(KIND_JOB);
        let start_time = self.now();
        let polls_left = self.jobs.polls;
        self.jobs.list.push(Job {
            uuid,
            kind: acc.kind,
            description: acc.description,
            svm_uuid: acc.svm_uuid,
            action: Some(acc.action),
            plan,
            polls_left,
            outcome: None,
            start_time,
            end_time: None,
        });
        let idx = self.jobs.list.len() - 1;
        let hung = matches!(self.jobs.list[idx].plan, JobPlan::Hang);
        if !hung && (polls_left == 0 || wait) {
            self.run_job(idx);
        }
        idx
    }

    /// Runs a pending job now (hung or not): applies its action or its injected failure.
    pub(crate) fn run_job(&mut self, idx: usize) {
        if self.jobs.list[idx].outcome.is_some() {
            return;
        }
        let action = self.jobs.list[idx].action.take();
        let plan = self.jobs.list[idx].plan.clone();
        let outcome = match (plan, action) {
            (JobPlan::Fail(e), _) => Err(e),
            (_, Some(a)) => self.apply(a),
            (_, None) => Ok(()),
        };
        let end = self.now();
        let job = &mut self.jobs.list[idx];
        job.outcome = Some(outcome);
        job.end_time = Some(end);
    }

    /// A GET of a job: counts the poll and runs the job when its polls are used up.
    pub(crate) fn poll_job(&mut self, uuid: &str) -> Option<usize> {
        let idx = self.jobs.index(uuid)?;
        let job = &mut self.jobs.list[idx];
        if job.outcome.is_none() && !matches!(job.plan, JobPlan::Hang) {
            if job.polls_left == 0 {
                self.run_job(idx);
            } else {
                job.polls_left -= 1;
            }
        }
        Some(idx)
    }

    /// The job record.
    pub(crate) fn job_json(&self, job: &Job) -> Value {
        let mut o = Map::new();
        o.insert("uuid".into(), json!(job.uuid));
        o.insert("description".into(), json!(job.description));
        let state = job.state(&self.jobs.pending_state);
        o.insert("state".into(), json!(state));
        match &job.outcome {
            None => {
                let msg = match state.as_str() {
                    "queued" => "Job is queued.",
                    "paused" => "Job is paused.",
                    _ => "Job is running.",
                };
                o.insert("message".into(), json!(msg));
                o.insert("code".into(), json!(0));
            }
            Some(Ok(())) => {
                o.insert("message".into(), json!("success"));
                o.insert("code".into(), json!(0));
            }
            Some(Err(e)) => {
                o.insert("message".into(), json!(e.message));
                o.insert("code".into(), json!(e.code.parse::<i64>().unwrap_or(0)));
                if let Some(err) = e.body().get("error") {
                    o.insert("error".into(), err.clone());
                }
            }
        }
        o.insert("start_time".into(), json!(format_time(&job.start_time)));
        if let Some(t) = &job.end_time {
            o.insert("end_time".into(), json!(format_time(t)));
        }
        if let Some(s) = &job.svm_uuid {
            o.insert("svm".into(), self.svm_ref(s));
        }
        o.insert("_links".into(), Model::links(&Model::job_href(&job.uuid)));
        Value::Object(o)
    }

    pub(crate) fn job_schema() -> Value {
        let link = json!({ "self": { "href": "" } });
        json!({
            "uuid": "", "description": "", "state": "", "message": "", "code": 0,
            "start_time": "", "end_time": "",
            "error": { "message": "", "code": "", "target": "" },
            "svm": { "name": "", "uuid": "", "_links": link },
            "_links": link
        })
    }

    /// The `{"job": {...}}` body of a 202 (and of a 200/201 with `return_timeout`).
    pub(crate) fn job_link(uuid: &str) -> Value {
        json!({ "job": { "uuid": uuid, "_links": Model::links(&Model::job_href(uuid)) } })
    }
}

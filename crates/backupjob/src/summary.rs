//! What a run did: its steps with their durations and outcomes, the snapshot taken, the
//! snapshots cleaned and the copies merged, printed at the end of every run.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Local};
use serde::Serialize;

/// One step of an action. Steps of `imagecopywithsnap` carry their number in DESIGN §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The number in the backup cycle, when the step is one of its ten.
    pub number: Option<u8>,
    /// Short name, e.g. `snapshot`.
    pub name: &'static str,
}

impl Step {
    const fn cycle(number: u8, name: &'static str) -> Step {
        Step {
            number: Some(number),
            name,
        }
    }

    const fn named(name: &'static str) -> Step {
        Step { number: None, name }
    }

    /// 1: take the per-database lock.
    pub const LOCK: Step = Step::cycle(1, "take the lock");
    /// 2: copy archivelogs missing from the backup area.
    pub const MISSING_ARCHIVELOGS: Step = Step::cycle(2, "copy missing archivelogs");
    /// 3: archive the current log, recording SCN/time/BCT file in `autorestore.cfg`.
    pub const RECORD_RECOVERY_POINT: Step =
        Step::cycle(3, "archive current log and record the recovery point");
    /// 4: snapshot the backup filesystem.
    pub const SNAPSHOT: Step = Step::cycle(4, "snapshot");
    /// 5: delete copies of datafiles that no longer exist.
    pub const DELETE_EXPIRED_COPIES: Step = Step::cycle(5, "delete copies of dropped datafiles");
    /// 6: incremental level 1 + recover copy.
    pub const MERGE: Step = Step::cycle(6, "merge (incremental level 1 + recover copy)");
    /// 7: archive the current log.
    pub const ARCHIVE_AFTER_MERGE: Step = Step::cycle(7, "archive current log");
    /// 8: clean expired snapshots.
    pub const CLEAN_SNAPSHOTS: Step = Step::cycle(8, "clean expired snapshots");
    /// Environment information for the log (srvctl, opatch); failures are warnings.
    pub const DIAGNOSTICS: Step = Step::named("environment information");
    /// 9: record database parameters for autorestore.
    pub const RECORD_PARAMETERS: Step = Step::cycle(9, "record database parameters");
    /// 10: release the lock.
    pub const UNLOCK: Step = Step::cycle(10, "release the lock");
    /// `config`: is the database registered in the RMAN catalog?
    pub const CATALOG_CHECK: Step = Step::named("catalog registration check");
    /// `config`: RMAN configuration.
    pub const RMAN_CONFIG: Step = Step::named("RMAN configuration");
    /// `config`: SQL*Plus configuration (archivelog destination, block change tracking).
    pub const SQLPLUS_CONFIG: Step = Step::named("SQL*Plus configuration");
    /// `setschedule`: CDB detection.
    pub const CDB_DETECT: Step = Step::named("CDB detection");
    /// `setschedule`: scheduler user, credential, programs, schedules, jobs.
    pub const SCHEDULE: Step = Step::named("scheduler setup");
    /// `backupimagecopy`, `report`, `validatebackup`: one RMAN template entry.
    pub const RMAN_ENTRY: Step = Step::named("RMAN");
    /// `generaterestore`: render the restore procedure.
    pub const GENERATE_RESTORE: Step = Step::named("generate restore procedure");
    /// `verify`: the datafile verifier.
    pub const VERIFY: Step = Step::named("verify datafile copies");
    /// Setting up the run (templates, directories).
    pub const PREPARE: Step = Step::named("prepare");
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(n) => write!(f, "step {n} ({})", self.name),
            None => write!(f, "step '{}'", self.name),
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Not needed or switched off (e.g. `dosnapshot: false`); the reason.
    Skipped(String),
    /// Done with a warning (diagnostics that failed).
    Warning(String),
    /// Failed; the error.
    Failed(String),
}

/// One step as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// The step.
    pub step: Step,
    /// How long it took.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// How it ended.
    pub outcome: Outcome,
    /// A short note (`2 copied`, `orcl-20261121T101500`).
    pub detail: Option<String>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// The record of one run of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The database.
    pub database: String,
    /// The action.
    pub action: String,
    /// When the run started.
    pub started: DateTime<Local>,
    /// When it finished (set by [`Summary::finish`]).
    pub finished: Option<DateTime<Local>>,
    /// The steps in the order they ran.
    pub steps: Vec<StepRecord>,
    /// The snapshot taken.
    pub snapshot_created: Option<String>,
    /// Snapshots dropped by the retention.
    pub snapshots_dropped: Vec<String>,
    /// Archivelogs copied into the backup area by the missing-archivelog step.
    pub archivelogs_copied: usize,
    /// Datafile copies deleted because their datafile was dropped.
    pub copies_deleted: usize,
    /// Level 0 datafile copies created by the merge (new datafiles, first run).
    pub copies_created: usize,
    /// Datafile copies brought forward by `recover copy`.
    pub copies_merged: usize,
    /// The recovery point recorded before the snapshot (`lastscn`, `lasttime`).
    pub recovery_point: Option<(u64, String)>,
    /// The step that failed, if any (the first one).
    pub failed_step: Option<Step>,
}

impl Summary {
    /// An empty record of a run starting now.
    pub fn new(database: &str, action: &str) -> Summary {
        Summary {
            database: database.to_string(),
            action: action.to_string(),
            started: Local::now(),
            finished: None,
            steps: Vec::new(),
            snapshot_created: None,
            snapshots_dropped: Vec::new(),
            archivelogs_copied: 0,
            copies_deleted: 0,
            copies_created: 0,
            copies_merged: 0,
            recovery_point: None,
            failed_step: None,
        }
    }

    /// Adds a step record; the first failed one becomes [`Summary::failed_step`].
    pub fn record(&mut self, record: StepRecord) {
        if matches!(record.outcome, Outcome::Failed(_)) && self.failed_step.is_none() {
            self.failed_step = Some(record.step);
        }
        self.steps.push(record);
    }

    /// Marks the end of the run.
    pub fn finish(&mut self) {
        self.finished = Some(Local::now());
    }

    /// Whether no step failed.
    pub fn success(&self) -> bool {
        self.failed_step.is_none()
    }

    /// Wall time from start to finish (zero before [`Summary::finish`]).
    pub fn total(&self) -> Duration {
        self.finished
            .and_then(|f| (f - self.started).to_std().ok())
            .unwrap_or_default()
    }
}

/// `1:02:03.4` style, as the original printed `datetime` differences (to 0.1 s).
pub fn hms(d: Duration) -> String {
    let tenths = d.as_millis() / 100;
    let (h, rest) = (tenths / 36_000, tenths % 36_000);
    let (m, rest) = (rest / 600, rest % 600);
    format!("{h}:{m:02}:{:02}.{}", rest / 10, rest % 10)
}

impl fmt::Display for Summary {
    /// The summary block printed at the end of a run: one `key: value` line each, easy to
    /// read at 3 a.m. and to grep in a script.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "------------ SUMMARY ------------")?;
        writeln!(f, "Database: {}", self.database)?;
        writeln!(f, "Action: {}", self.action)?;
        match self.failed_step {
            None => writeln!(f, "Result: SUCCESS")?,
            Some(s) => writeln!(f, "Result: FAILED at {s}")?,
        }
        for r in &self.steps {
            let label = match r.step.number {
                Some(n) => format!("{n:>2} {}", r.step.name),
                None => format!("   {}", r.step.name),
            };
            let outcome = match &r.outcome {
                Outcome::Ok => "ok".to_string(),
                Outcome::Skipped(why) => format!("skipped ({why})"),
                Outcome::Warning(w) => format!("WARNING ({w})"),
                Outcome::Failed(_) => "FAILED".to_string(),
            };
            let detail = r
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            writeln!(
                f,
                "Step: {label:<58} {:>10}  {outcome}{detail}",
                hms(r.duration)
            )?;
        }
        if let Some((scn, time)) = &self.recovery_point {
            writeln!(f, "Recovery point: SCN {scn} at {time}")?;
        }
        if let Some(s) = &self.snapshot_created {
            writeln!(f, "Snapshot created: {s}")?;
        }
        if self.steps.iter().any(|r| r.step == Step::CLEAN_SNAPSHOTS) {
            writeln!(
                f,
                "Snapshots dropped: {}{}",
                self.snapshots_dropped.len(),
                if self.snapshots_dropped.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", self.snapshots_dropped.join(", "))
                }
            )?;
        }
        if self.steps.iter().any(|r| r.step == Step::MERGE) {
            writeln!(f, "Archivelogs copied: {}", self.archivelogs_copied)?;
            writeln!(
                f,
                "Datafile copies: {} created, {} merged, {} deleted",
                self.copies_created, self.copies_merged, self.copies_deleted
            )?;
        }
        writeln!(f, "Total execution time: {}", hms(self.total()))?;
        writeln!(
            f,
            "Execution started: {}",
            self.started.format("%Y-%m-%d %H:%M:%S")
        )?;
        if let Some(fin) = self.finished {
            writeln!(f, "Execution finished: {}", fin.format("%Y-%m-%d %H:%M:%S"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_formats_like_a_timedelta() {
        assert_eq!(hms(Duration::from_millis(0)), "0:00:00.0");
        assert_eq!(hms(Duration::from_millis(61_250)), "0:01:01.2");
        assert_eq!(hms(Duration::from_secs(3 * 3600 + 7)), "3:00:07.0");
    }

    #[test]
    fn first_failed_step_is_kept() {
        let mut s = Summary::new("orcl", "imagecopywithsnap");
        for (step, outcome) in [
            (Step::LOCK, Outcome::Ok),
            (Step::MERGE, Outcome::Failed("x".into())),
            (Step::UNLOCK, Outcome::Failed("y".into())),
        ] {
            s.record(StepRecord {
                step,
                duration: Duration::ZERO,
                outcome,
                detail: None,
            });
        }
        s.finish();
        assert_eq!(s.failed_step, Some(Step::MERGE));
        let text = s.to_string();
        assert!(
            text.contains("Result: FAILED at step 6 (merge (incremental level 1 + recover copy))"),
            "{text}"
        );
        assert!(text.contains("Datafile copies: 0 created, 0 merged, 0 deleted"));
    }
}

//! What the tools do with a [`SnapHandler`]: clean by retention, clone for restore tests,
//! find the snapshot for a point-in-time restore, and check the newest snapshot's age.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CloneInfo, NagiosState, SnapError, SnapHandler, SnapshotInfo};
use crate::retention::{self, Decision, Policy};

/// Sorts snapshots oldest first (ties by id), as every listing shows them.
pub fn sort_oldest_first(snaps: &mut [SnapshotInfo]) {
    snaps.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
}

/// [`SnapHandler::list_snapshots`], oldest first.
pub async fn list_sorted(handler: &dyn SnapHandler) -> Result<Vec<SnapshotInfo>, SnapError> {
    let mut snaps = handler.list_snapshots().await?;
    sort_oldest_first(&mut snaps);
    Ok(snaps)
}

/// What `clean` did with one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "error")]
pub enum CleanStatus {
    /// Kept by the retention policy.
    Valid,
    /// Dropped.
    Dropped,
    /// Would be dropped (dry run).
    WouldDrop,
    /// Would be dropped, but it has clones.
    HasClone,
    /// The drop was attempted and failed; the error says why.
    DropFailed(String),
}

impl fmt::Display for CleanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CleanStatus::Valid => "valid",
            CleanStatus::Dropped => "dropped",
            CleanStatus::WouldDrop => "would drop",
            CleanStatus::HasClone => "has a clone",
            CleanStatus::DropFailed(_) => "DROP FAILED",
        })
    }
}

/// One snapshot's line of a clean report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CleanEntry {
    /// The snapshot as listed before cleaning.
    pub snapshot: SnapshotInfo,
    /// The retention decision.
    pub reason: retention::Reason,
    /// What happened.
    pub status: CleanStatus,
}

impl CleanEntry {
    /// The original's line: the list line followed by the status.
    pub fn line(&self) -> String {
        format!("{} {}", self.snapshot.list_line(), self.status)
    }
}

/// The result of `clean`: every snapshot, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CleanReport {
    /// One entry per snapshot.
    pub entries: Vec<CleanEntry>,
}

impl CleanReport {
    /// Whether any drop failed (the tool then exits non-zero).
    pub fn any_failed(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e.status, CleanStatus::DropFailed(_)))
    }

    /// Ids of the snapshots dropped.
    pub fn dropped(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| e.status == CleanStatus::Dropped)
            .map(|e| e.snapshot.id.as_str())
            .collect()
    }
}

/// Applies the retention policy: drops what the plan drops (unless `dry_run`), one snapshot
/// at a time, going on after a failed drop. Only listing errors end it early.
pub async fn clean(
    handler: &dyn SnapHandler,
    policy: Policy,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<CleanReport, SnapError> {
    let snaps = list_sorted(handler).await?;
    let candidates: Vec<_> = snaps.iter().map(SnapshotInfo::candidate).collect();
    let plan: Vec<Decision> = retention::plan(&candidates, policy, now);
    let mut entries = Vec::with_capacity(snaps.len());
    // The plan is sorted the same way as `snaps`, so they pair up by position.
    for (snapshot, decision) in snaps.into_iter().zip(plan) {
        let status = if decision.reason == retention::Reason::HasClones {
            CleanStatus::HasClone
        } else if decision.keep() {
            CleanStatus::Valid
        } else if dry_run {
            CleanStatus::WouldDrop
        } else {
            match handler.drop_snapshot(&snapshot.id).await {
                Ok(()) => {
                    tracing::info!(snapshot = %snapshot.id, reason = %decision.reason, "snapshot dropped");
                    CleanStatus::Dropped
                }
                Err(e) => {
                    // Reported in the result; the caller decides how loud to be.
                    tracing::debug!(snapshot = %snapshot.id, error = %e, "dropping snapshot failed");
                    CleanStatus::DropFailed(e.to_string())
                }
            }
        };
        entries.push(CleanEntry {
            snapshot,
            reason: decision.reason,
            status,
        });
    }
    Ok(CleanReport { entries })
}

/// Errors of [`autoclone`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutocloneError {
    /// No snapshot is old enough.
    #[error("no snapshot of {database} is at least {min_age_hours} hours old to clone ({count} snapshots)")]
    NoSuitableSnapshot {
        /// The database.
        database: String,
        /// The age asked for, in hours.
        min_age_hours: u64,
        /// How many snapshots exist.
        count: usize,
    },
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] SnapError),
}

/// Clones the newest snapshot that is at least `min_age` old as `clone_name`; returns the
/// snapshot used and the clone.
pub async fn autoclone(
    handler: &dyn SnapHandler,
    min_age: Duration,
    clone_name: &str,
    now: DateTime<Utc>,
) -> Result<(SnapshotInfo, CloneInfo), AutocloneError> {
    let snaps = list_sorted(handler).await?;
    let min_age_chrono = chrono::Duration::from_std(min_age).unwrap_or(chrono::Duration::MAX);
    let Some(source) = snaps
        .iter()
        .rev()
        .find(|s| now - s.created >= min_age_chrono)
        .cloned()
    else {
        return Err(AutocloneError::NoSuitableSnapshot {
            database: handler.database().to_string(),
            min_age_hours: min_age.as_secs() / 3600,
            count: snaps.len(),
        });
    };
    tracing::debug!(snapshot = %source.id, clone = clone_name, "autoclone");
    let clone = handler.clone_snapshot(&source.id, clone_name).await?;
    Ok((source, clone))
}

/// The snapshot to restore `target` from: the oldest one taken at or after `target`.
pub async fn recovery_snapshot(
    handler: &dyn SnapHandler,
    target: DateTime<Utc>,
) -> Result<Option<SnapshotInfo>, SnapError> {
    Ok(list_sorted(handler)
        .await?
        .into_iter()
        .find(|s| s.created >= target))
}

/// The result of a snapshot age check, for Nagios.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeCheck {
    /// The state.
    pub state: NagiosState,
    /// Age of the newest snapshot (`None`: there are none). Negative ages (clock skew)
    /// count as zero.
    pub newest_age: Option<Duration>,
    /// Warning threshold.
    pub warning: Duration,
    /// Critical threshold.
    pub critical: Duration,
}

impl AgeCheck {
    /// The plugin's output line:
    /// `OK: The latest snapshot age 1:02:03 | age=3723s;93600;115200`.
    pub fn line(&self) -> String {
        let perf = format!(
            "age={};{};{}",
            // Nagios perfdata: `U` is "could not be determined".
            self.newest_age
                .map_or("U".to_string(), |a| format!("{}s", a.as_secs())),
            self.warning.as_secs(),
            self.critical.as_secs()
        );
        match self.newest_age {
            Some(age) => format!(
                "{}: The latest snapshot age {} | {perf}",
                self.state,
                format_age(age)
            ),
            None => format!("{}: No snapshots found | {perf}", self.state),
        }
    }
}

/// Decides the state from snapshots: no snapshots, or the newest at least `critical` old, is
/// CRITICAL; at least `warning` old is WARNING; else OK.
pub fn check_age(
    snaps: &[SnapshotInfo],
    warning: Duration,
    critical: Duration,
    now: DateTime<Utc>,
) -> AgeCheck {
    let newest_age = snaps
        .iter()
        .map(|s| (now - s.created).to_std().unwrap_or(Duration::ZERO))
        .min();
    let state = match newest_age {
        None => NagiosState::Critical,
        Some(a) if a >= critical => NagiosState::Critical,
        Some(a) if a >= warning => NagiosState::Warning,
        Some(_) => NagiosState::Ok,
    };
    AgeCheck {
        state,
        newest_age,
        warning,
        critical,
    }
}

/// Ages the way the original printed them (Python's timedelta, to the second):
/// `0:03:57`, `1 day, 2:03:04`, `3 days, 0:00:00`.
pub fn format_age(age: Duration) -> String {
    let secs = age.as_secs();
    let (days, rest) = (secs / 86400, secs % 86400);
    let hms = format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        d => format!("{d} days, {hms}"),
    }
}

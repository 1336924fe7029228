//! Which snapshots to keep: a pure function from (snapshots, policy, now) to a plan.
//!
//! The original tool's rule, kept exactly, plus one safety rule of ours:
//! * a snapshot whose age is at most `days` days is kept (the daily band);
//! * one older than `months * 31` days is dropped (expired);
//! * in between (the monthly band) only the newest snapshot of each calendar month (UTC) is
//!   kept: a snapshot is dropped when the next newer snapshot, in the whole list, was taken in
//!   the same month;
//! * a snapshot that has clones is never dropped (reported as "has a clone");
//! * ours: the newest snapshot is never dropped, whatever its age, so a database whose backups
//!   stopped still keeps its last good copy.
//!
//! Snapshots with creation times in the future (clock skew) have a negative age and are kept.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, Utc};

/// Retention settings of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    /// `snapexpirationdays`: keep every snapshot this many days.
    pub days: u32,
    /// `snapexpirationmonths`: keep the newest snapshot of each month for `months * 31` days.
    pub months: u32,
}

/// What the plan needs to know of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Snapshot id.
    pub id: &'a str,
    /// Creation time, UTC.
    pub created: DateTime<Utc>,
    /// Number of clones made from it.
    pub clones: u32,
}

/// Why a snapshot is kept or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Keep: not older than `days`.
    WithinDays,
    /// Keep: the newest snapshot of its month, within `months * 31` days.
    NewestOfMonth,
    /// Keep: the newest snapshot overall (never dropped).
    Newest,
    /// Keep: would be dropped, but it has clones.
    HasClones,
    /// Drop: a newer snapshot of the same month exists and `days` has passed.
    NotNewestOfMonth,
    /// Drop: older than `months * 31` days.
    Expired,
}

impl Reason {
    /// Whether a snapshot with this reason is kept.
    pub fn keeps(self) -> bool {
        matches!(
            self,
            Reason::WithinDays | Reason::NewestOfMonth | Reason::Newest | Reason::HasClones
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::WithinDays => "within the daily retention",
            Reason::NewestOfMonth => "newest of its month, within the monthly retention",
            Reason::Newest => "newest snapshot",
            Reason::HasClones => "has a clone",
            Reason::NotNewestOfMonth => "a newer snapshot of the same month exists",
            Reason::Expired => "older than the monthly retention",
        })
    }
}

/// The decision for one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Snapshot id.
    pub id: String,
    /// Creation time, UTC.
    pub created: DateTime<Utc>,
    /// Keep or drop, and why.
    pub reason: Reason,
}

impl Decision {
    /// Whether the snapshot is kept.
    pub fn keep(&self) -> bool {
        self.reason.keeps()
    }
}

/// Plans retention. The result lists every snapshot once, oldest first (ties by id).
pub fn plan(snapshots: &[Candidate<'_>], policy: Policy, now: DateTime<Utc>) -> Vec<Decision> {
    let mut sorted: Vec<&Candidate<'_>> = snapshots.iter().collect();
    sorted.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(b.id)));
    let daily = Duration::days(i64::from(policy.days));
    let monthly = Duration::days(31 * i64::from(policy.months));
    let n = sorted.len();
    sorted
        .iter()
        .enumerate()
        .map(|(idx, s)| {
            let age = now - s.created;
            let newer = sorted.get(idx + 1);
            let by_age = if age <= daily {
                Reason::WithinDays
            } else if age > monthly {
                Reason::Expired
            } else {
                match newer {
                    Some(next) if same_month(s.created, next.created) => Reason::NotNewestOfMonth,
                    _ => Reason::NewestOfMonth,
                }
            };
            let reason = if by_age.keeps() {
                by_age
            } else if s.clones > 0 {
                Reason::HasClones
            } else if idx + 1 == n {
                Reason::Newest
            } else {
                by_age
            };
            Decision {
                id: s.id.to_string(),
                created: s.created,
                reason,
            }
        })
        .collect()
}

fn same_month(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.year() == b.year() && a.month() == b.month()
}

//! The behaviours every [`Catalog`] must show, for each backend's tests to run on a fresh,
//! empty catalog (as `backupcore::snap::conformance` does for storage). They panic with a
//! message naming the behaviour on failure.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{check, Catalog, CatalogError, Claim, RestoreRecord, SCHEMA_VERSION};
use backupcore::snap::NagiosState;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("bad test time {s}: {e}"))
}

/// A record of `db` started at `started` (RFC 3339), lasting 10 minutes.
pub fn sample(db: &str, started: &str, success: bool) -> RestoreRecord {
    let started = at(started);
    RestoreRecord {
        id: 0,
        database: db.to_string(),
        started,
        finished: started + Duration::minutes(10),
        success,
        snapshot: Some(format!("{db}-{}", started.format("%Y%m%dT%H%M%S"))),
        restore_target: Some((started - Duration::hours(3)).naive_utc()),
        verification_diff_seconds: success.then_some(42),
        validated: !success,
        corrupt_blocks: Some(u64::from(!success)),
        host: "sandbox1".to_string(),
        log_path: format!("/var/log/autorestore/{db}.log"),
        log_content: format!("restore of {db}\nline 2 with 'quotes' and \"more\"\n"),
    }
}

/// Before `migrate`, every other operation says the schema is missing; `migrate` creates it
/// (found 0) and is idempotent (found [`SCHEMA_VERSION`]).
pub async fn migrate_creates_then_keeps(c: &dyn Catalog) {
    let err = c.records_since(at("2026-01-01T00:00:00Z")).await;
    assert!(
        matches!(err, Err(CatalogError::NoSchema { .. })),
        "records_since before migrate must be NoSchema, got {err:?}"
    );
    assert_eq!(
        c.migrate().await.expect("migrate"),
        0,
        "a new catalog had no schema"
    );
    assert_eq!(
        c.migrate().await.expect("migrate again"),
        SCHEMA_VERSION,
        "a second migrate finds the current schema"
    );
    assert!(c
        .records_since(at("2026-01-01T00:00:00Z"))
        .await
        .expect("records_since")
        .is_empty());
}

/// Records come back as written (but for the id and the log content), oldest first, and
/// only those started at or after `since`.
pub async fn records_round_trip(c: &dyn Catalog) {
    c.migrate().await.expect("migrate");
    let a = sample("orcl", "2026-11-20T02:00:00Z", true);
    let b = sample("orcl", "2026-11-21T02:00:00Z", false);
    let mut none = sample("prod", "2026-11-21T03:00:00Z", true);
    none.snapshot = None;
    none.restore_target = None;
    none.verification_diff_seconds = None;
    none.corrupt_blocks = None;
    let ids = [
        c.record(&b).await.expect("record"),
        c.record(&a).await.expect("record"),
        c.record(&none).await.expect("record"),
    ];
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "row ids must differ: {ids:?}"
    );
    let got = c
        .records_since(at("2026-11-20T12:00:00Z"))
        .await
        .expect("records_since");
    let want: Vec<RestoreRecord> = [(ids[0], &b), (ids[2], &none)]
        .iter()
        .map(|(id, r)| RestoreRecord {
            id: *id,
            log_content: String::new(),
            ..(*r).clone()
        })
        .collect();
    assert_eq!(got, want, "records after 2026-11-20 12:00");
    let all = c
        .records_since(at("2000-01-01T00:00:00Z"))
        .await
        .expect("records_since");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].started, a.started, "oldest first");
}

/// The first host to claim a database for a day has it; the others see who; the next day
/// is free again.
pub async fn claims_split_the_day(c: &dyn Catalog) {
    c.migrate().await.expect("migrate");
    let day = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    assert_eq!(
        c.claim("orcl", day, "hostA").await.expect("claim"),
        Claim::Ours
    );
    assert_eq!(
        c.claim("orcl", day, "hostB").await.expect("claim"),
        Claim::TakenBy("hostA".to_string())
    );
    assert_eq!(
        c.claim("orcl", day, "hostA").await.expect("claim"),
        Claim::Ours,
        "claiming again what one has"
    );
    assert_eq!(
        c.claim("prod", day, "hostB").await.expect("claim"),
        Claim::Ours
    );
    let next = day.succ_opt().expect("date");
    assert_eq!(
        c.claim("orcl", next, "hostB").await.expect("claim"),
        Claim::Ours
    );
}

/// Many concurrent claims of the same databases: each database goes to exactly one host.
pub async fn concurrent_claims_give_each_database_once(c: Arc<dyn Catalog>) {
    c.migrate().await.expect("migrate");
    let day = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let dbs: Vec<String> = (0..6).map(|i| format!("db{i}")).collect();
    let mut tasks = Vec::new();
    for host in ["h1", "h2", "h3"] {
        let c = Arc::clone(&c);
        let dbs = dbs.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for db in &dbs {
                if c.claim(db, day, host).await.expect("claim") == Claim::Ours {
                    mine.push(db.clone());
                }
            }
            mine
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        won.extend(t.await.expect("task"));
    }
    won.sort();
    assert_eq!(won, dbs, "every database claimed exactly once");
}

/// `check` over what the catalog holds: a failed last test and a stale one are CRITICAL.
pub async fn check_from_records(c: &dyn Catalog) {
    c.migrate().await.expect("migrate");
    let now = at("2026-11-21T12:00:00Z");
    for r in [
        sample("good", "2026-11-21T02:00:00Z", true),
        sample("failed", "2026-11-19T02:00:00Z", true),
        sample("failed", "2026-11-21T02:00:00Z", false),
        sample("stale", "2026-11-18T02:00:00Z", true),
    ] {
        c.record(&r).await.expect("record");
    }
    let records = c
        .records_since(now - Duration::days(30))
        .await
        .expect("records_since");
    let dbs: Vec<String> = ["good", "failed", "stale", "never"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let states: Vec<NagiosState> = check(&records, &dbs, now).iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        vec![
            NagiosState::Ok,
            NagiosState::Critical,
            NagiosState::Critical,
            NagiosState::Critical
        ]
    );
}

/// Runs every behaviour, each on a fresh catalog from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Catalog>>,
{
    migrate_creates_then_keeps(make().await.as_ref()).await;
    records_round_trip(make().await.as_ref()).await;
    claims_split_the_day(make().await.as_ref()).await;
    concurrent_claims_give_each_database_once(make().await).await;
    check_from_records(make().await.as_ref()).await;
}

//! The original tool's Oracle catalog schema, through the simulated `sqlplus` and `sqlldr`:
//! created once, a restore test recorded with its log file's content.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod world;

use std::sync::Arc;

use autorestore::catalog::oracle::OracleCatalog;
use autorestore::catalog::{conformance, Catalog, CatalogError, Claim};
use rman::runner::{OracleEnv, ProcessRunner};
use rman::template::{TemplateKind, TemplateSet};
use world::World;

#[tokio::test]
async fn created_once_and_recorded_with_the_log() {
    let w = World::new("orcl");
    w.admin("add-catalog", &["--alias", "arcat", "--kind", "restore"]);
    let runner = ProcessRunner::new(OracleEnv::new(w.oracle_home()).with_tns_admin(w.tns()));
    let catalog = OracleCatalog::new(
        "/@arcat",
        Arc::new(runner),
        TemplateSet::builtin(TemplateKind::Restore).unwrap(),
        w.logdir().join("config.log"),
    );
    assert_eq!(catalog.describe(), "oracle:/@arcat");
    let err = catalog.records_since(chrono::Utc::now()).await.unwrap_err();
    assert!(matches!(err, CatalogError::NoSchema { .. }), "{err}");
    assert_eq!(catalog.migrate().await.unwrap(), 0, "created");
    assert_eq!(catalog.migrate().await.unwrap(), 1, "found (ORA-00955)");

    let log = w.logdir().join("20261121T120000-orcl.log");
    std::fs::write(&log, "Restore started\nline with 'quotes'\n").unwrap();
    let mut r = conformance::sample("orcl", "2026-11-21T02:00:00Z", true);
    r.log_path = log.display().to_string();
    let id = catalog.record(&r).await.unwrap();
    assert_eq!(id, 1);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    assert_eq!(catalog.claim("orcl", day, "h").await.unwrap(), Claim::Ours);
    // Read back (listrestores): what the schema keeps, in UTC again.
    let mut failed = conformance::sample("orcl", "2026-11-22T02:00:00Z", false);
    failed.snapshot = None;
    failed.restore_target = None;
    let flog = w.logdir().join("20261122T020000-orcl.log");
    std::fs::write(&flog, "failed\n").unwrap();
    failed.log_path = flog.display().to_string();
    assert_eq!(catalog.record(&failed).await.unwrap(), 2);
    let back = catalog.records_since(r.started).await.unwrap();
    assert_eq!(back.len(), 2, "{back:?}");
    let (a, b) = (&back[0], &back[1]);
    assert_eq!((a.id, a.database.as_str()), (1, "orcl"));
    assert_eq!((a.started, a.finished), (r.started, r.finished));
    assert!(a.success && !b.success);
    assert_eq!(a.snapshot, r.snapshot);
    assert_eq!(a.restore_target, r.restore_target);
    assert_eq!(a.verification_diff_seconds, Some(42));
    assert_eq!(a.validated, r.validated);
    assert_eq!(a.log_path, r.log_path);
    assert_eq!(
        (b.snapshot.as_ref(), b.verification_diff_seconds),
        (None, None)
    );
    assert_eq!(b.started, failed.started);
    // Since a later time: only the second; --check sees the failure.
    let later = catalog.records_since(failed.started).await.unwrap();
    assert_eq!(later.len(), 1);
    let checks = autorestore::catalog::check(
        &back,
        &["orcl".to_string()],
        failed.started + chrono::Duration::hours(1),
    );
    assert!(
        checks[0].reason.starts_with("last restore test failed"),
        "{checks:?}"
    );

    // The row, as the schema holds it.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.sim().join("simdb/catalogs/arcat.json")).unwrap())
            .unwrap();
    let row = &json["restoreaction"][0];
    assert_eq!(row["db_unique_name"], "orcl");
    assert_eq!(row["success"], 1);
    assert_eq!(row["verificationtimediffseconds"].as_f64(), Some(42.0));
    assert_eq!(
        row["logfilecontents"],
        "Restore started\nline with 'quotes'\n"
    );
    assert_eq!(row["snapid"], r.snapshot.clone().unwrap());
}

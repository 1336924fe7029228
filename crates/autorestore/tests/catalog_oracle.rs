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
    let err = catalog.records_since(r.started).await.unwrap_err();
    assert!(matches!(err, CatalogError::Unsupported { .. }), "{err}");

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

//! The SQLite catalog passes the catalog conformance suite; a file from a newer release is
//! refused; two processes' worth of writers do not lose records.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use autorestore::catalog::sqlite::SqliteCatalog;
use autorestore::catalog::{conformance, Catalog, CatalogError, CatalogUrl};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicU32::new(0);
    conformance::run_all(|| {
        let path = dir.path().join(format!(
            "sub/catalog{}.db",
            n.fetch_add(1, Ordering::Relaxed)
        ));
        async move { Arc::new(SqliteCatalog::new(path)) as Arc<dyn Catalog> }
    })
    .await;
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let c = SqliteCatalog::new(&path);
    c.migrate().await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE catalog_meta SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let err = c.migrate().await.unwrap_err();
    assert!(
        matches!(err, CatalogError::TooNew { found: 99, .. }),
        "{err}"
    );
    let err = c
        .record(&conformance::sample("orcl", "2026-11-21T02:00:00Z", true))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("upgrade autorestore"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = Arc::new(SqliteCatalog::new(dir.path().join("c.db")));
    c.migrate().await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let c = Arc::clone(&c);
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let r = conformance::sample(
                    &format!("db{w}"),
                    &format!("2026-11-21T02:{i:02}:00Z"),
                    true,
                );
                c.record(&r).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all = c
        .records_since("2026-01-01T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(all.len(), 100);
}

#[test]
fn catalog_urls() {
    let base = std::path::Path::new("/etc/backup");
    assert_eq!(
        CatalogUrl::parse("sqlite:catalog.db", base).unwrap(),
        CatalogUrl::Sqlite("/etc/backup/catalog.db".into())
    );
    assert_eq!(
        CatalogUrl::parse("sqlite:/var/lib/ar/c.db", base).unwrap(),
        CatalogUrl::Sqlite("/var/lib/ar/c.db".into())
    );
    let pg = CatalogUrl::parse("postgres://ar:S3cret@db1/autorestore", base).unwrap();
    assert_eq!(pg.display(), "postgres://ar:********@db1/autorestore");
    assert_eq!(
        CatalogUrl::parse("/@autorestore", base).unwrap(),
        CatalogUrl::Oracle("/@autorestore".into())
    );
    assert_eq!(
        CatalogUrl::parse("ar/S3cret@cat", base).unwrap().display(),
        "ar/********@cat"
    );
    let err = CatalogUrl::parse("mysql://x:S3cret@h/d", base).unwrap_err();
    assert!(!err.to_string().contains("S3cret"), "{err}");
    assert!(err.to_string().contains("unknown scheme"), "{err}");
    assert!(CatalogUrl::parse("sqlite:", base).is_err());
    assert_eq!(
        autorestore::catalog::redact_url("postgresql://h/d?user=a&password=S3cret&x=1"),
        "postgresql://h/d?user=a&password=********&x=1"
    );
    // Every password parameter, not sslpassword's look-alike first; a '/' in the secret.
    assert_eq!(
        autorestore::catalog::redact_url(
            "postgres://h/d?sslpassword=x&password=S3cret&PASSWORD=two"
        ),
        "postgres://h/d?sslpassword=x&password=********&PASSWORD=********"
    );
    assert_eq!(
        autorestore::catalog::redact_url("postgres://ar:S3/cr?et@db1:5432/autorestore"),
        "postgres://ar:********@db1:5432/autorestore"
    );
}

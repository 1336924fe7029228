//! The PostgreSQL catalog against real servers the tests start (tests/common/pg.rs): the
//! conformance suite, messages without the password, `sslmode`, concurrent `migrate`s, and
//! claims raced and held across separate connections.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use autorestore::catalog::postgres::PostgresCatalog;
use autorestore::catalog::{conformance, Catalog, CatalogError, Claim};
use chrono::NaiveDate;
use common::pg::{PgServer, PASSWORD, PASSWORD_IN_URL, ROLE};
use tokio::sync::Barrier;

fn catalog(url: &str) -> PostgresCatalog {
    PostgresCatalog::new(url).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

/// The error's text, checked to show neither form of the password.
fn secret_free(err: &CatalogError) -> String {
    let text = err.to_string();
    eprintln!("message: {text}");
    let debug = format!("{err:?}");
    for shown in [&text, &debug] {
        assert!(
            !shown.contains(PASSWORD)
                && !shown.contains(PASSWORD_IN_URL)
                && !shown.contains("s3cr3t"),
            "the password shows in: {shown}"
        );
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite() {
    let pg = PgServer::start().await;
    let pg = &pg;
    conformance::run_all(move || async move {
        Arc::new(catalog(&pg.create_database().await)) as Arc<dyn Catalog>
    })
    .await;
}

#[tokio::test]
async fn the_password_never_shows() {
    let pg = PgServer::start().await;
    let url = pg.create_database().await;

    let c = catalog(&url);
    assert!(c.describe().contains(":********@"), "{}", c.describe());
    secret_free(&CatalogError::BadUrl {
        value: c.describe(),
        why: format!("{c:?}"),
    });

    let wrong = url.replace(PASSWORD_IN_URL, "Wrong-s3cr3t");
    let err = catalog(&wrong).migrate().await.unwrap_err();
    let text = secret_free(&err);
    assert!(
        text.contains("password authentication failed") && text.contains(ROLE),
        "{text}"
    );

    let closed = url.replace(&format!(":{}/", pg.port()), ":1/");
    let err = catalog(&closed)
        .records_since(chrono::Utc::now())
        .await
        .unwrap_err();
    let text = secret_free(&err);
    assert!(
        text.contains("connecting") && text.contains("refused"),
        "{text}"
    );

    let missing = url.rsplit_once('/').unwrap().0.to_string() + "/nosuchdb";
    let err = catalog(&missing).migrate().await.unwrap_err();
    let text = secret_free(&err);
    assert!(text.contains("\"nosuchdb\" does not exist"), "{text}");

    // The password as a parameter, and a URL the client library rejects.
    let param = format!(
        "postgres://127.0.0.1:{}/nosuchdb?user={ROLE}&password={PASSWORD_IN_URL}",
        pg.port()
    );
    let err = catalog(&param).migrate().await.unwrap_err();
    secret_free(&err);
    let err = PostgresCatalog::new(&format!("{url}?sslcert=client.pem")).unwrap_err();
    let text = secret_free(&err);
    assert!(text.contains("sslcert"), "{text}");

    // A server that never answers: the connect timeout from the URL, password-free.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let hung = format!(
        "{}?connect_timeout=1",
        url.replace(&format!(":{}/", pg.port()), &format!(":{port}/"))
    );
    let started = Instant::now();
    let err = catalog(&hung).migrate().await.unwrap_err();
    let text = secret_free(&err);
    assert!(started.elapsed() < Duration::from_secs(5), "{text}");
    assert!(text.contains("connecting"), "{text}");
    drop(silent);
}

#[tokio::test]
async fn schema_and_newer_schema() {
    let pg = PgServer::start().await;
    let url = pg.create_database().await;
    let c = catalog(&url);
    assert_eq!(c.migrate().await.unwrap(), 0);

    let db = pg.connect_as_role(&url).await;
    let rows = db
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
               FROM information_schema.columns
              WHERE table_schema = current_schema()
              ORDER BY table_name, ordinal_position",
            &[],
        )
        .await
        .unwrap();
    let columns: Vec<String> = rows
        .iter()
        .map(|r| {
            let (t, c, ty, null): (String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            format!(
                "{t}.{c} {ty}{}",
                if null == "NO" { " not null" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            "catalog_meta.key text not null",
            "catalog_meta.value text not null",
            "restoreaction.id bigint not null",
            "restoreaction.db_unique_name text not null",
            "restoreaction.start_time timestamp with time zone not null",
            "restoreaction.finish_time timestamp with time zone not null",
            "restoreaction.success boolean not null",
            "restoreaction.logfile text not null",
            "restoreaction.logfilecontents text not null",
            "restoreaction.verificationtimediffseconds bigint",
            "restoreaction.snapid text",
            "restoreaction.restore_target timestamp without time zone",
            "restoreaction.validated_corruption boolean not null",
            "restoreaction.corrupt_blocks bigint",
            "restoreaction.host text not null",
            "restoreclaim.db_unique_name text not null",
            "restoreclaim.day date not null",
            "restoreclaim.host text not null",
            "restoreclaim.claimed_at timestamp with time zone not null",
        ]
    );

    // The log content is stored, though records_since leaves it out.
    let r = conformance::sample("orcl", "2026-11-21T02:00:00Z", true);
    let id = c.record(&r).await.unwrap();
    let stored: String = db
        .query_one(
            "SELECT logfilecontents FROM restoreaction WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, r.log_content);

    db.execute(
        "UPDATE catalog_meta SET value = '99' WHERE key = 'schema_version'",
        &[],
    )
    .await
    .unwrap();
    let err = c.migrate().await.unwrap_err();
    assert!(
        matches!(err, CatalogError::TooNew { found: 99, .. }),
        "{err}"
    );
    let err = c.record(&r).await.unwrap_err();
    assert!(err.to_string().contains("upgrade autorestore"), "{err}");
    let err = c.claim("orcl", day(), "h1").await.unwrap_err();
    assert!(matches!(err, CatalogError::TooNew { .. }), "{err}");
}

/// Several hosts running `--createcatalog` at once: one creates the schema, the others find it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrates_create_the_schema_once() {
    let pg = PgServer::start().await;
    for _ in 0..3 {
        let url = pg.create_database().await;
        let barrier = Arc::new(Barrier::new(4));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (c, barrier) = (catalog(&url), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    c.migrate().await
                })
            })
            .collect();
        let mut found = Vec::new();
        for t in tasks {
            found.push(t.await.unwrap().unwrap());
        }
        found.sort();
        assert_eq!(found, [0, 1, 1, 1], "one migrate created the schema");
        let c = catalog(&url);
        c.record(&conformance::sample("orcl", "2026-11-21T02:00:00Z", true))
            .await
            .unwrap();
        assert_eq!(c.migrate().await.unwrap(), 1);
    }
}

/// Hosts with their own catalog objects (so their own connections) racing for the same
/// databases: each database goes to exactly one host, and every host agrees who has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_race_across_connections() {
    let pg = PgServer::start().await;
    let url = pg.create_database().await;
    catalog(&url).migrate().await.unwrap();
    let dbs: Vec<String> = (0..10).map(|i| format!("db{i}")).collect();
    let hosts = 5;
    let barrier = Arc::new(Barrier::new(hosts));
    let tasks: Vec<_> = (0..hosts)
        .map(|h| {
            let (c, barrier, dbs) = (catalog(&url), Arc::clone(&barrier), dbs.clone());
            tokio::spawn(async move {
                let host = format!("host{h}");
                barrier.wait().await;
                let mut seen = Vec::new();
                // Each host in its own order, so that they meet on every database.
                for i in 0..dbs.len() {
                    let db = &dbs[(i + h * 5) % dbs.len()];
                    let owner = match c.claim(db, day(), &host).await.unwrap() {
                        Claim::Ours => host.clone(),
                        Claim::TakenBy(other) => other,
                    };
                    seen.push((db.clone(), owner));
                }
                seen
            })
        })
        .collect();
    let mut owners = std::collections::BTreeMap::new();
    for t in tasks {
        for (db, owner) in t.await.unwrap() {
            let first = owners.entry(db.clone()).or_insert_with(|| owner.clone());
            assert_eq!(*first, owner, "hosts disagree on who has {db}");
        }
    }
    assert_eq!(owners.len(), dbs.len());
    let db = pg.connect_as_role(&url).await;
    let n: i64 = db
        .query_one("SELECT count(*) FROM restoreclaim", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 10, "one claim row per database");
}

/// A claim row locked by another open transaction is skipped and reported as taken without
/// waiting; an uncommitted claim by another host is waited for, then honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_held_by_open_transactions() {
    let pg = PgServer::start().await;
    let url = pg.create_database().await;
    let c = Arc::new(catalog(&url));
    c.migrate().await.unwrap();
    assert_eq!(c.claim("orcl", day(), "hostA").await.unwrap(), Claim::Ours);

    // Another session holds hostA's row (as hostA's own claim transaction does).
    let mut other = pg.connect_as_role(&url).await;
    let tx = other.transaction().await.unwrap();
    tx.query_one(
        "SELECT host FROM restoreclaim WHERE db_unique_name = 'orcl' AND day = $1 FOR UPDATE",
        &[&day()],
    )
    .await
    .unwrap();
    let started = Instant::now();
    let got = tokio::time::timeout(Duration::from_secs(10), c.claim("orcl", day(), "hostB"))
        .await
        .expect("a locked claim row must not make claim wait")
        .unwrap();
    assert_eq!(got, Claim::TakenBy("hostA".to_string()));
    assert_eq!(c.claim("orcl", day(), "hostA").await.unwrap(), Claim::Ours);
    assert!(started.elapsed() < Duration::from_secs(5));
    tx.rollback().await.unwrap();

    // hostC's claim of prod is not committed yet: hostB waits for it, then sees hostC.
    let tx = other.transaction().await.unwrap();
    tx.execute(
        "INSERT INTO restoreclaim (db_unique_name, day, host) VALUES ('prod', $1, 'hostC')",
        &[&day()],
    )
    .await
    .unwrap();
    let waiting = {
        let c = Arc::clone(&c);
        tokio::spawn(async move { c.claim("prod", day(), "hostB").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "claim must wait for the uncommitted claim"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        waiting.await.unwrap().unwrap(),
        Claim::TakenBy("hostC".to_string())
    );

    // Rolled back instead: the waiting host gets it.
    let tx = other.transaction().await.unwrap();
    tx.execute(
        "INSERT INTO restoreclaim (db_unique_name, day, host) VALUES ('test', $1, 'hostC')",
        &[&day()],
    )
    .await
    .unwrap();
    let waiting = {
        let c = Arc::clone(&c);
        tokio::spawn(async move { c.claim("test", day(), "hostB").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.rollback().await.unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), Claim::Ours);
}

/// `sslmode=require` against a server without TLS fails instead of connecting in clear;
/// `prefer` (the default) and `disable` connect.
#[tokio::test]
async fn require_refuses_a_server_without_tls() {
    let pg = PgServer::start().await;
    let url = pg.create_database().await;
    for mode in ["require", "verify-ca", "verify-full"] {
        let err = catalog(&format!("{url}?sslmode={mode}"))
            .migrate()
            .await
            .unwrap_err();
        let text = secret_free(&err);
        assert!(
            text.contains("does not offer TLS") && text.contains(&format!("sslmode={mode}")),
            "{text}"
        );
    }
    let err = catalog(&url)
        .records_since(chrono::Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::NoSchema { .. }), "{err}");
    assert_eq!(
        catalog(&format!("{url}?sslmode=prefer"))
            .migrate()
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        catalog(&format!("{url}?sslmode=disable"))
            .migrate()
            .await
            .unwrap(),
        1
    );
}

/// Against a server that takes TCP connections only with TLS: each `sslmode` encrypts, and
/// the `verify-*` modes check the certificate as libpq does.
#[tokio::test]
async fn tls_modes() {
    let pg = PgServer::start_tls().await;
    let url = pg.create_database().await;
    let ca = pg.ca_cert();
    let ca_param = format!("sslrootcert={}", ca.display());
    let with = |params: &str| catalog(&format!("{url}?{params}"));

    // Without TLS the server refuses us, so the successes below were encrypted.
    let err = with("sslmode=disable").migrate().await.unwrap_err();
    let text = secret_free(&err);
    assert!(text.contains("no encryption"), "{text}");

    assert_eq!(
        catalog(&url).migrate().await.unwrap(),
        0,
        "prefer, the default"
    );
    assert_eq!(with("sslmode=require").migrate().await.unwrap(), 1);
    let full = with(&format!("sslmode=verify-full&{ca_param}"));
    let r = conformance::sample("orcl", "2026-11-21T02:00:00Z", true);
    let id = full.record(&r).await.unwrap();
    let back = full.records_since(r.started).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].id, id);
    assert_eq!(full.claim("orcl", day(), "h1").await.unwrap(), Claim::Ours);

    // A certificate from a CA that is not trusted.
    let err = with("sslmode=verify-full").migrate().await.unwrap_err();
    let text = secret_free(&err);
    assert!(
        text.contains("TLS handshake failed") && text.contains("certificate"),
        "{text}"
    );
    assert!(
        text.contains("sslrootcert"),
        "the hint names sslrootcert: {text}"
    );
    // require with sslrootcert checks the chain (libpq: as verify-ca).
    let not_a_ca = pg.server_cert();
    let err = with(&format!(
        "sslmode=require&sslrootcert={}",
        not_a_ca.display()
    ))
    .migrate()
    .await
    .unwrap_err();
    let text = secret_free(&err);
    assert!(text.contains("certificate"), "{text}");
    // A missing sslrootcert file.
    let err = with("sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")
        .migrate()
        .await
        .unwrap_err();
    let text = secret_free(&err);
    assert!(text.contains("/nonexistent/ca.pem"), "{text}");

    // The certificate names 127.0.0.1 only: verify-full refuses "localhost", verify-ca
    // (the chain only) accepts it.
    let localhost = url.replace("@127.0.0.1:", "@localhost:");
    let err = catalog(&format!("{localhost}?sslmode=verify-full&{ca_param}"))
        .migrate()
        .await
        .unwrap_err();
    let text = secret_free(&err);
    assert!(text.contains("certificate"), "{text}");
    assert_eq!(
        catalog(&format!("{localhost}?sslmode=verify-ca&{ca_param}"))
            .migrate()
            .await
            .unwrap(),
        1
    );
}

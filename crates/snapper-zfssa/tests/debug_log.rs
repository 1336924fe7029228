#![allow(clippy::unwrap_used)]
//! Every request is logged at debug level, without secrets.
//!
//! Alone in its own test binary: it captures events with a thread-local `tracing` subscriber,
//! and tracing caches each call site's interest process-wide, so another test hitting the same
//! call sites at the same moment (with no subscriber) could make the capture come back empty.

use std::io::Write;
use std::sync::{Arc, Mutex};

use backupcore::config::credentials::Credentials;
use backupcore::snap::SnapHandler;
use serde_json::json;
use snapper_zfssa::{Zfssa, ZfssaConfig};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "S3cr3t-pw";
/// base64("admin:S3cr3t-pw"), the Basic credentials on the wire.
const TOKEN: &str = "YWRtaW46UzNjcjN0LXB3";
const FS: &str = "/api/storage/v1/pools/pool1/projects/backup/filesystems/orcl";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_request_is_logged_at_debug_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "snapshots": [] })))
        .mount(&server)
        .await;
    let cfg = ZfssaConfig::new(
        "orcl",
        snapper_zfssa::parse_url(&server.uri()).unwrap(),
        "pool1",
        "backup",
    );
    let zfssa = Zfssa::new(cfg, Credentials::new("admin", PASSWORD, "test")).unwrap();
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    zfssa.list_snapshots().await.unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("HTTP request"))
        .unwrap_or_else(|| panic!("no request line in {log}"));
    for want in [
        "DEBUG",
        "method=GET",
        &format!("path=\"{FS}/snapshots\""),
        "status=200",
        "elapsed_ms=",
    ] {
        assert!(line.contains(want), "{want} not in {line}");
    }
    assert!(!log.contains(PASSWORD) && !log.contains(TOKEN), "{log}");
}

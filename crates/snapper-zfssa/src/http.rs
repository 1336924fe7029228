//! A small JSON-over-HTTPS client for storage appliances' REST APIs, shared by the backends
//! that talk to one (ZFS Storage Appliance here; NetApp ONTAP can reuse it).
//!
//! What it does, and nothing more:
//!
//! * one base URL; request paths are lists of segments, each percent-encoded, appended to it;
//! * HTTP basic authentication on every request (never in the URL), the header marked
//!   sensitive;
//! * TLS: the system's and the built-in trusted roots plus extra PEM files ([`CaBundle`]), or
//!   no verification at all ([`TlsOptions::insecure`]);
//! * a total timeout per request and a connect timeout;
//! * `GET` requests retried ([`RetryPolicy`]) on connection errors, timeouts and HTTP 5xx, with
//!   exponential backoff; other methods are sent once, never retried;
//! * every request logged at debug level with method, path, status and elapsed time.
//!
//! Every HTTP status comes back as an [`HttpResponse`]: what a status means is the backend's
//! business. Only failures to get an answer are [`HttpError`]s. No message this module makes
//! contains the password (or the encoded `Authorization` value): text that comes from the
//! wire is passed through [`HttpClient::redact`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backupcore::config::credentials::Credentials;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use url::Url;

pub use reqwest::Method;

/// PEM certificates read from one file, trusted as roots in addition to the system's.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certs: Vec<reqwest::Certificate>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

/// A CA certificate file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CA certificate file {}: {message}", path.display())]
pub struct CaCertError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl CaBundle {
    /// Reads every certificate of the PEM file `path`. The file must hold at least one, and
    /// each must be usable as a trust anchor.
    pub fn load(path: &Path) -> Result<CaBundle, CaCertError> {
        let err = |message: String| CaCertError {
            path: path.to_path_buf(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        Self::from_pem(path, &pem).map_err(|e| err(e.message))
    }

    /// Certificates from PEM text, `path` naming where it came from in messages.
    pub fn from_pem(path: &Path, pem: &[u8]) -> Result<CaBundle, CaCertError> {
        let err = |message: String| CaCertError {
            path: path.to_path_buf(),
            message,
        };
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| err(format!("not a valid PEM certificate file ({})", chain(&e))))?;
        if certs.is_empty() {
            return Err(err(
                "holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)".into(),
            ));
        }
        // Adding a certificate to a client checks it is a usable trust anchor; do it now, so
        // a bad file is reported with its name when the configuration is read.
        for (i, cert) in certs.iter().enumerate() {
            reqwest::Client::builder()
                .tls_built_in_root_certs(false)
                .add_root_certificate(cert.clone())
                .build()
                .map_err(|e| {
                    err(format!(
                        "certificate {} of {} is not usable as a trusted root ({})",
                        i + 1,
                        certs.len(),
                        chain(&e)
                    ))
                })?;
        }
        Ok(CaBundle {
            path: path.to_path_buf(),
            certs,
        })
    }

    /// The file the certificates came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many certificates the file holds (at least one).
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Always false: a bundle holds at least one certificate.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// Which servers' certificates to accept.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Roots trusted in addition to the system's and the built-in ones.
    pub ca_certs: Vec<CaBundle>,
    /// Accept any certificate, for any host name: no verification at all.
    pub insecure: bool,
}

/// How `GET` requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub retries: u32,
    /// Wait before the first retry; each further retry waits twice as long as the one before.
    pub initial_backoff: Duration,
}

impl RetryPolicy {
    /// No retries.
    pub const NONE: RetryPolicy = RetryPolicy {
        retries: 0,
        initial_backoff: Duration::ZERO,
    };

    /// The wait before retry number `retry` (0-based): `initial_backoff * 2^retry`.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(16)))
    }
}

impl Default for RetryPolicy {
    /// 3 retries, waiting 200 ms, 400 ms, 800 ms.
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            initial_backoff: Duration::from_millis(200),
        }
    }
}

/// Everything about the connection except where and who.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Certificate checks.
    pub tls: TlsOptions,
    /// Total time for one request: connecting, sending, and reading the whole answer.
    pub timeout: Duration,
    /// Time to establish the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Retries of `GET` requests.
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    /// Verified TLS, 300 s per request, 10 s to connect, [`RetryPolicy::default`].
    fn default() -> Self {
        HttpOptions {
            tls: TlsOptions::default(),
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// The client cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The base URL cannot take request paths (it must be `http` or `https` with a host).
    #[error(
        "{url} cannot be used as the base of API requests (expected http(s)://host[:port]/...)"
    )]
    BaseUrl {
        /// The URL.
        url: String,
    },
    /// The user name cannot be sent in an HTTP header.
    #[error("the user name from {source_name} contains characters that cannot be sent in an HTTP header")]
    BadUser {
        /// Where the credentials came from.
        source_name: String,
    },
    /// The TLS or HTTP machinery refused the settings.
    #[error("cannot set up HTTPS for {url}: {message}")]
    Client {
        /// The base URL.
        url: String,
        /// Why.
        message: String,
    },
}

/// No HTTP answer was had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// No complete answer within the timeout. Unless it happened while connecting, the
    /// request may have been carried out.
    #[error("{operation} timed out after {}{}", seconds_text(*.after), if *.connected { "" } else { " while connecting" })]
    Timeout {
        /// `METHOD /path`.
        operation: String,
        /// The timeout.
        after: Duration,
        /// Whether the connection was made (the request may have been sent).
        connected: bool,
    },
    /// No connection could be made: nothing was sent.
    #[error("{operation} failed: cannot connect: {message}")]
    Connect {
        /// `METHOD /path`.
        operation: String,
        /// What went wrong (no URL, no credentials).
        message: String,
    },
    /// The connection broke before a complete answer: the request may have been carried out.
    #[error("{operation} failed: {message}")]
    Connection {
        /// `METHOD /path`.
        operation: String,
        /// What went wrong (no URL, no credentials).
        message: String,
    },
    /// The request could not be made at all (nothing was sent).
    #[error("{operation} could not be sent: {message}")]
    Request {
        /// `METHOD /path`.
        operation: String,
        /// Why.
        message: String,
    },
}

impl HttpError {
    /// `METHOD /path` of the failed request.
    pub fn operation(&self) -> &str {
        match self {
            HttpError::Timeout { operation, .. }
            | HttpError::Connect { operation, .. }
            | HttpError::Connection { operation, .. }
            | HttpError::Request { operation, .. } => operation,
        }
    }

    /// Whether the request may have reached the server and been carried out although no
    /// answer came back (timeouts after connecting, broken connections).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            HttpError::Timeout {
                connected: true,
                ..
            } | HttpError::Connection { .. }
        )
    }

    /// Whether a `GET` failing this way is worth retrying: connection errors and timeouts.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, HttpError::Request { .. })
    }
}

fn seconds_text(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Replaces secrets in text from the wire or from libraries with `********`.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<Vec<String>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor of the given secrets (empty ones are ignored).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor {
            secrets: Arc::new(secrets),
        }
    }

    /// `text` with every secret replaced.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "********");
            }
        }
        out
    }
}

/// An HTTP answer, whatever its status.
#[derive(Clone)]
pub struct HttpResponse {
    /// `METHOD /path` of the request.
    pub operation: String,
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// How long the request took.
    pub elapsed: Duration,
    redactor: Redactor,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("body", &self.excerpt(200))
            .finish()
    }
}

impl HttpResponse {
    /// A response built by hand (for tests of code that interprets responses).
    pub fn new(operation: impl Into<String>, status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            operation: operation.into(),
            status,
            body: body.into(),
            elapsed: Duration::ZERO,
            redactor: Redactor::default(),
        }
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// 5xx: the server failed; whether it carried out the request is unknown.
    pub fn is_server_error(&self) -> bool {
        (500..600).contains(&self.status)
    }

    /// The body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// At most `max` characters of the body on one line, secrets redacted;
    /// `(empty answer)` when there is none.
    pub fn excerpt(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.is_empty() {
            return "(empty answer)".to_string();
        }
        let mut cut: String = one_line.chars().take(max).collect();
        if cut.len() < one_line.len() {
            cut.push_str("...");
        }
        self.redactor.apply(&cut)
    }

    /// Text from this answer (e.g. a fault message) with secrets redacted.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.apply(text)
    }
}

/// A JSON REST client for one API base URL and one set of credentials.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    redactor: Redactor,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &self.base.as_str())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The system's trusted roots (what `rustls-native-certs` finds: `SSL_CERT_FILE`,
/// `SSL_CERT_DIR`, else the distribution's bundle), read and parsed once per process. Reading
/// them costs milliseconds of PEM decoding; a report over two hundred databases opens two
/// hundred clients. Unreadable certificates are skipped, as reqwest itself does.
fn system_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: std::sync::OnceLock<Vec<reqwest::Certificate>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
            .collect()
    })
}

impl HttpClient {
    /// A client for the API at `base` (request paths are appended to it), authenticating as
    /// `credentials`.
    pub fn new(
        base: Url,
        credentials: &Credentials,
        options: &HttpOptions,
    ) -> Result<HttpClient, BuildError> {
        if base.cannot_be_a_base()
            || !matches!(base.scheme(), "http" | "https")
            || base.host_str().is_none()
        {
            return Err(BuildError::BaseUrl {
                url: base.to_string(),
            });
        }
        let token = base64(format!("{}:{}", credentials.user, credentials.password()).as_bytes());
        let mut auth =
            HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| BuildError::BadUser {
                source_name: credentials.source.clone(),
            })?;
        auth.set_sensitive(true);
        let redactor = Redactor::new([credentials.password().to_string(), token]);

        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            // An appliance does not redirect its API; following one could send the
            // credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("snapper-zfssa/", env!("CARGO_PKG_VERSION")));
        if options.tls.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        } else {
            // The system's roots, read once per process (see `system_roots`), instead of
            // reqwest reading and parsing them again for every client.
            builder = builder.tls_built_in_native_certs(false);
            for cert in system_roots() {
                builder = builder.add_root_certificate(cert.clone());
            }
            for bundle in &options.tls.ca_certs {
                for cert in &bundle.certs {
                    builder = builder.add_root_certificate(cert.clone());
                }
            }
        }
        let client = builder.build().map_err(|e| BuildError::Client {
            url: base.to_string(),
            message: redactor.apply(&chain(&e)),
        })?;
        Ok(HttpClient {
            client,
            base,
            auth,
            timeout: options.timeout,
            connect_timeout: options.connect_timeout,
            retry: options.retry,
            redactor,
        })
    }

    /// The API base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `text` with the password (and the encoded credentials) replaced by `********`.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.apply(text)
    }

    /// The URL of `segments` under the base, each segment percent-encoded (a `/` inside a
    /// segment is encoded, never a path separator).
    pub fn url_for(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// `GET`, retried per the [`RetryPolicy`] on connection errors, timeouts and 5xx. After the
    /// last try, its answer (or error) is returned.
    pub async fn get(&self, segments: &[&str]) -> Result<HttpResponse, HttpError> {
        self.send(Method::GET, segments, None).await
    }

    /// Sends one request with an optional JSON body. Only `GET` is retried; any other method
    /// is sent exactly once, whatever happens.
    pub async fn send(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&serde_json::Value>,
    ) -> Result<HttpResponse, HttpError> {
        self.send_url(method, self.url_for(segments), body).await
    }

    /// [`HttpClient::send`] to a full URL (e.g. one with a query, or a `next` link the
    /// server gave). The URL must be on the API's host and port: credentials never go
    /// elsewhere.
    pub async fn send_url(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<HttpResponse, HttpError> {
        if url.scheme() != self.base.scheme()
            || url.host_str() != self.base.host_str()
            || url.port_or_known_default() != self.base.port_or_known_default()
        {
            return Err(HttpError::Request {
                operation: format!("{method} {}", url.path()),
                message: format!(
                    "refusing to send the credentials to {}://{}: not the API's host",
                    url.scheme(),
                    url.host_str().unwrap_or("?")
                ),
            });
        }
        let retries = if method == Method::GET {
            self.retry.retries
        } else {
            0
        };
        let mut retry = 0;
        loop {
            let result = self.once(&method, &url, body).await;
            let again = match &result {
                Ok(r) => r.is_server_error(),
                Err(e) => e.is_retryable(),
            };
            if !again || retry >= retries {
                return result;
            }
            let wait = self.retry.backoff(retry);
            retry += 1;
            tracing::debug!(
                method = %method,
                path = url.path(),
                retry,
                of = retries,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<HttpResponse, HttpError> {
        let operation = format!("{method} {}", url.path());
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let start = Instant::now();
        let result = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        let elapsed = start.elapsed();
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok((status, body)) => {
                tracing::debug!(method = %method, path = url.path(), status, elapsed_ms, "HTTP request");
                Ok(HttpResponse {
                    operation,
                    status,
                    body: body.to_vec(),
                    elapsed,
                    redactor: self.redactor.clone(),
                })
            }
            Err(e) => {
                let err = self.classify(operation, &e);
                tracing::debug!(method = %method, path = url.path(), error = %err, elapsed_ms, "HTTP request failed");
                Err(err)
            }
        }
    }

    fn classify(&self, operation: String, e: &reqwest::Error) -> HttpError {
        let message = self.redactor.apply(&chain(e));
        if e.is_timeout() {
            let connected = !e.is_connect();
            HttpError::Timeout {
                operation,
                after: if connected {
                    self.timeout
                } else {
                    self.connect_timeout
                },
                connected,
            }
        } else if e.is_builder() {
            HttpError::Request { operation, message }
        } else if e.is_connect() {
            HttpError::Connect { operation, message }
        } else {
            HttpError::Connection { operation, message }
        }
    }
}

/// A reqwest error and its causes on one line, without the URL.
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let top = match e.url() {
        Some(_) => {
            // `without_url` needs ownership; rebuild the text from the kind instead.
            if e.is_timeout() {
                "operation timed out".to_string()
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else if e.is_builder() {
                "invalid request".to_string()
            } else if e.is_body() || e.is_decode() {
                "error reading the answer".to_string()
            } else {
                "error sending the request".to_string()
            }
        }
        None => e.to_string(),
    };
    parts.push(top);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Standard base64 with padding (for the basic authentication header).
fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("admin:S3cr3t-pw", "YWRtaW46UzNjcjN0LXB3"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn backoff_doubles() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_millis(200));
        assert_eq!(p.backoff(1), Duration::from_millis(400));
        assert_eq!(p.backoff(2), Duration::from_millis(800));
        assert_eq!(RetryPolicy::NONE.backoff(5), Duration::ZERO);
    }

    #[test]
    fn redactor_replaces_longest_first() {
        let r = Redactor::new(["pw".to_string(), "pw-long".to_string(), String::new()]);
        assert_eq!(r.apply("a pw-long b pw c"), "a ******** b ******** c");
        assert_eq!(r.apply("nothing"), "nothing");
    }

    #[test]
    fn segments_are_encoded() {
        let creds = Credentials::new("u", "p", "test");
        let c = HttpClient::new(
            Url::parse("https://h:215/api/storage/v1/").expect("url"),
            &creds,
            &HttpOptions::default(),
        )
        .expect("client");
        let u = c.url_for(&["pools", "p 1", "a/b", "x%y?z#"]);
        assert_eq!(u.path(), "/api/storage/v1/pools/p%201/a%2Fb/x%25y%3Fz%23");
    }
}

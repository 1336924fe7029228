//! The `[zfssa]` section of `backup.cfg` and the credentials file.

use std::path::Path;
use std::time::Duration;

use backupcore::config::credentials::{self, CredentialSpec, Credentials, CredentialsError};
use backupcore::config::{ConfigError, DbConfig, TimeUnit, Value};
use url::Url;

use crate::http::{CaBundle, HttpOptions, RetryPolicy, TlsOptions};

/// The appliance's HTTPS management port, used when `url` names a bare host.
pub const DEFAULT_PORT: u16 = 215;

/// `timeout` when not set: 300 s per request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Time allowed to connect to the appliance.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `retries` when not set: `GET` requests are tried up to 4 times.
pub const DEFAULT_RETRIES: u32 = 3;

/// The configuration section.
pub const SECTION: &str = "zfssa";

/// Where the appliance credentials are: `zfscredentials.cfg` beside `backup.cfg`
/// (`[zfscredentials] zfsuser`, `zfspassword`), or env `ZFSSA_USER` / `ZFSSA_PASSWORD`.
pub const CREDENTIALS: CredentialSpec<'static> = CredentialSpec {
    file: "zfscredentials.cfg",
    section: "zfscredentials",
    user_key: "zfsuser",
    password_key: "zfspassword",
    user_env: "ZFSSA_USER",
    password_env: "ZFSSA_PASSWORD",
};

/// Loads the appliance credentials for a configuration in `config_dir`: the environment
/// variables when both are set, else `zfscredentials.cfg` there, which must be readable by
/// its owner only.
pub fn load_credentials(config_dir: &Path) -> Result<Credentials, CredentialsError> {
    credentials::load(config_dir, &CREDENTIALS)
}

/// The REST API version in request paths (`/api/storage/<version>/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// `v1` (every release with the REST API).
    #[default]
    V1,
    /// `v2` (OS8.8 and later).
    V2,
}

impl ApiVersion {
    /// `v1` or `v2`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything needed to reach one database's filesystem on the appliance.
///
/// Read with [`ZfssaConfig::from_config`]; every key of `[zfssa]` can be overridden for one
/// database by `zfssa<key>` in its section (e.g. `zfssapool`).
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `url` | `host` (= `https://host:215`), `host:port` (https), or a full `http(s)://` URL | required |
/// | `pool` | the disk pool | required |
/// | `project` | the project holding one filesystem per database | required |
/// | `apiversion` | `v1` or `v2` | `v1` |
/// | `cacert` | PEM file trusted in addition to the system roots, relative to the config | none |
/// | `insecure` | skip TLS certificate verification (warned about on every run) | `false` |
/// | `timeout` | total seconds per request (or with suffix `s`/`m`/`h`) | `300` |
/// | `retries` | retries of read-only (`GET`) requests after a connection error, timeout or 5xx | `3` |
#[derive(Debug, Clone)]
pub struct ZfssaConfig {
    /// The database: its filesystem has this name.
    pub database: String,
    /// The appliance's address, ending with `/` (e.g. `https://zfssa.example.com:215/`).
    pub url: Url,
    /// The pool.
    pub pool: String,
    /// The project.
    pub project: String,
    /// The REST API version.
    pub api_version: ApiVersion,
    /// Certificate checks.
    pub tls: TlsOptions,
    /// Total time per request.
    pub timeout: Duration,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Retries of `GET` requests.
    pub retry: RetryPolicy,
}

impl ZfssaConfig {
    /// A configuration with the defaults, for tests and embedding.
    pub fn new(
        database: impl Into<String>,
        url: Url,
        pool: impl Into<String>,
        project: impl Into<String>,
    ) -> Self {
        ZfssaConfig {
            database: database.into(),
            url,
            pool: pool.into(),
            project: project.into(),
            api_version: ApiVersion::V1,
            tls: TlsOptions::default(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            retry: RetryPolicy {
                retries: DEFAULT_RETRIES,
                ..RetryPolicy::default()
            },
        }
    }

    /// Reads `[zfssa]` (with the database's `zfssa<key>` overrides) for database `db`.
    /// Errors are one line naming the file, section and key. A `cacert` file is read and
    /// checked here.
    pub fn from_config(db: &DbConfig<'_>) -> Result<ZfssaConfig, ConfigError> {
        let url_value = db.require_in(SECTION, "url")?;
        let url = parse_url(url_value.as_str()).map_err(|e| match e {
            UrlError::Invalid(expected) => url_value.invalid(expected),
            UrlError::HasCredentials => ConfigError::Invalid {
                file: db.config().path().to_path_buf(),
                section: url_value.section.clone(),
                key: url_value.key.clone(),
                value: "(not shown: it contains credentials)".to_string(),
                expected: "the URL must not contain a user name or password; they belong in \
                           zfscredentials.cfg or ZFSSA_USER/ZFSSA_PASSWORD"
                    .to_string(),
            },
        })?;
        let pool = non_empty(db.require_in(SECTION, "pool")?, "expected the pool's name")?;
        let project = non_empty(
            db.require_in(SECTION, "project")?,
            "expected the project's name",
        )?;

        let api_version = match db.get_in(SECTION, "apiversion")? {
            None => ApiVersion::V1,
            Some(v) => match v.as_str().to_ascii_lowercase().as_str() {
                "v1" | "1" => ApiVersion::V1,
                "v2" | "2" => ApiVersion::V2,
                _ => return Err(v.invalid("expected v1 or v2")),
            },
        };

        let mut tls = TlsOptions::default();
        if let Some(v) = db.get_in(SECTION, "cacert")? {
            if !v.as_str().is_empty() {
                let path = v.as_path()?;
                let bundle = CaBundle::load(&path).map_err(|e| v.invalid(e.to_string()))?;
                tls.ca_certs.push(bundle);
            }
        }
        if let Some(v) = db.get_in(SECTION, "insecure")? {
            tls.insecure = v.as_bool()?;
        }

        let timeout = match db.get_in(SECTION, "timeout")? {
            None => DEFAULT_TIMEOUT,
            Some(v) => {
                let d = v.as_duration(TimeUnit::Seconds)?;
                if d.is_zero() {
                    return Err(v.invalid("expected a timeout of at least 1 second"));
                }
                d
            }
        };
        let retries = match db.get_in(SECTION, "retries")? {
            None => DEFAULT_RETRIES,
            Some(v) => {
                let n = v.as_u32()?;
                if n > 10 {
                    return Err(v.invalid("expected a number of retries from 0 to 10"));
                }
                n
            }
        };

        Ok(ZfssaConfig {
            database: db.name().to_string(),
            url,
            pool,
            project,
            api_version,
            tls,
            timeout,
            connect_timeout: CONNECT_TIMEOUT,
            retry: RetryPolicy {
                retries,
                ..RetryPolicy::default()
            },
        })
    }

    /// The API base: `<url>api/storage/<version>/`.
    pub fn api_base(&self) -> Url {
        let mut base = self.url.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.set_path(&format!("{}api/storage/{}/", base.path(), self.api_version));
        base
    }

    /// The appliance's host name (or address) as written in the URL: the host part of mount
    /// strings.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The connection settings for [`crate::http::HttpClient`].
    pub fn http_options(&self) -> HttpOptions {
        HttpOptions {
            tls: self.tls.clone(),
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            retry: self.retry,
        }
    }

    /// Warnings to show on every run: TLS verification turned off, or a plain-HTTP URL (the
    /// password then travels unencrypted).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.url.scheme() == "http" {
            out.push(format!(
                "[zfssa] url = {}: plain HTTP; the appliance password is sent unencrypted",
                self.url
            ));
        } else if self.tls.insecure {
            out.push(format!(
                "[zfssa] insecure = true: the certificate of {} is NOT verified; anyone on the \
                 network path can pose as the appliance and capture its password. Set cacert \
                 to the appliance's certificate instead.",
                self.host()
            ));
        }
        out
    }
}

fn non_empty(v: Value<'_>, expected: &str) -> Result<String, ConfigError> {
    if v.as_str().is_empty() {
        Err(v.invalid(expected))
    } else {
        Ok(v.as_str().to_string())
    }
}

/// Why a `url` value is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// What was expected instead.
    Invalid(String),
    /// The URL contains a user name or password (which must not be shown back).
    HasCredentials,
}

/// Parses the `url` key: `host` means `https://host:215/`, `host:port` means
/// `https://host:port/`, and a full `http(s)://` URL is used as given (a trailing `/` is
/// added). The result always ends with `/`.
pub fn parse_url(text: &str) -> Result<Url, UrlError> {
    let t = text.trim();
    const SHAPES: &str = "expected the appliance's address: host, host:port or https://host:port";
    if t.is_empty() {
        return Err(UrlError::Invalid(SHAPES.to_string()));
    }
    let bare = !t.contains("://");
    let mut url = if bare {
        Url::parse(&format!("https://{t}"))
    } else {
        Url::parse(t)
    }
    .map_err(|e| UrlError::Invalid(format!("{SHAPES} ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::HasCredentials);
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(UrlError::Invalid(format!(
            "scheme {}: only https (or http) is supported",
            url.scheme()
        )));
    }
    if !url.host_str().is_some_and(|h| !h.is_empty()) {
        return Err(UrlError::Invalid(SHAPES.to_string()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlError::Invalid(
            "the URL must not have a query (?) or fragment (#)".to_string(),
        ));
    }
    if bare {
        if url.path() != "/" {
            return Err(UrlError::Invalid(format!(
                "{SHAPES}; a path needs a full URL (https://...)"
            )));
        }
        if url.port().is_none() && !has_explicit_port(t) {
            url.set_port(Some(DEFAULT_PORT))
                .map_err(|()| UrlError::Invalid(SHAPES.to_string()))?;
        }
    }
    if url.path().contains("/api/") {
        return Err(UrlError::Invalid(
            "give the appliance's address without the API path (/api/storage/...)".to_string(),
        ));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

/// Whether a bare `host[:port][/]` names a port (`host:443` parses to no port, as the
/// default of https).
fn has_explicit_port(bare: &str) -> bool {
    let t = bare.trim_end_matches('/');
    match t.rsplit_once(':') {
        Some((host, port)) => {
            !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.starts_with('[') || host.ends_with(']'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        parse_url(s)
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("ERR {e:?}"))
    }

    #[test]
    fn url_shapes() {
        assert_eq!(ok("zfssa.example.com"), "https://zfssa.example.com:215/");
        assert_eq!(ok(" zfssa.example.com/ "), "https://zfssa.example.com:215/");
        assert_eq!(
            ok("zfssa.example.com:8215"),
            "https://zfssa.example.com:8215/"
        );
        assert_eq!(ok("zfssa.example.com:443"), "https://zfssa.example.com/");
        assert_eq!(ok("10.0.0.5"), "https://10.0.0.5:215/");
        assert_eq!(ok("[fd00::5]"), "https://[fd00::5]:215/");
        assert_eq!(ok("[fd00::5]:216"), "https://[fd00::5]:216/");
        assert_eq!(ok("http://127.0.0.1:8215"), "http://127.0.0.1:8215/");
        assert_eq!(ok("http://127.0.0.1:8215/"), "http://127.0.0.1:8215/");
        assert_eq!(ok("https://zfssa:215"), "https://zfssa:215/");
        assert_eq!(ok("https://proxy/zfssa"), "https://proxy/zfssa/");
        assert!(ok("").starts_with("ERR"));
        assert!(ok("ftp://x").starts_with("ERR"));
        assert!(ok("host/path").starts_with("ERR"));
        assert!(ok("https://h:215/api/storage/v1").starts_with("ERR"));
        assert!(ok("https://h?x=1").starts_with("ERR"));
        assert_eq!(
            parse_url("https://root:pw@h:215"),
            Err(UrlError::HasCredentials)
        );
    }

    #[test]
    fn api_base_per_version() {
        let mut c = ZfssaConfig::new(
            "orcl",
            parse_url("https://proxy/zfssa").expect("url"),
            "p",
            "j",
        );
        assert_eq!(c.api_base().as_str(), "https://proxy/zfssa/api/storage/v1/");
        c.api_version = ApiVersion::V2;
        c.url = parse_url("h").expect("url");
        assert_eq!(c.api_base().as_str(), "https://h:215/api/storage/v2/");
        assert_eq!(c.host(), "h");
    }
}

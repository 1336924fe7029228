//! The `[netapp]` section of `backup.cfg` and the credentials file.

use std::path::Path;
use std::time::Duration;

use backupcore::config::credentials::{self, CredentialSpec, Credentials, CredentialsError};
use backupcore::config::{ConfigError, DbConfig, DbSettings, TimeUnit};
use snapper_zfssa::http::{CaBundle, HttpOptions, RetryPolicy, TlsOptions};
use url::Url;

/// The section name.
pub const SECTION: &str = "netapp";

/// `netappcredentials.cfg` beside `backup.cfg` (`[netappcredentials] user, password`, mode
/// 600), or env `NETAPP_USER` / `NETAPP_PASSWORD`.
pub const CREDENTIALS: CredentialSpec<'static> = CredentialSpec {
    file: "netappcredentials.cfg",
    section: "netappcredentials",
    user_key: "user",
    password_key: "password",
    user_env: "NETAPP_USER",
    password_env: "NETAPP_PASSWORD",
};

/// Seconds an ONTAP job is awaited by default (`jobtimeout`).
pub const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(60);
/// Total seconds per request by default (`timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Loads the credentials for a configuration in `config_dir`.
pub fn load_credentials(config_dir: &Path) -> Result<Credentials, CredentialsError> {
    credentials::load(config_dir, &CREDENTIALS)
}

/// One database's NetApp settings.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `filer` | cluster (or SVM) management address: `host` means `https://host/`, or a full URL | required |
/// | `svm` | the SVM owning the volumes | required |
/// | `volumeprefix` | volumes are `<volumeprefix><db>` | empty |
/// | `mounthost` | the data address in mount strings | the filer's host |
/// | `cacert` | PEM file trusted for the cluster's certificate (relative to the config) | system roots |
/// | `insecure` | skip TLS verification (warned about on every run) | `false` |
/// | `timeout` | seconds per request | `120` |
/// | `retries` | retries of `GET`s after connection errors, timeouts, 5xx | `3` |
/// | `jobtimeout` | seconds to wait for an ONTAP job | `60` |
///
/// and per database `additionalvolumesuffixes` (comma list): the database spans
/// `<volumeprefix><db><suffix>` too.
#[derive(Debug, Clone)]
pub struct NetappConfig {
    /// The database.
    pub database: String,
    /// The API's base URL, ending with `/`.
    pub url: Url,
    /// The SVM.
    pub svm: String,
    /// The volumes, the database's own first.
    pub volumes: Vec<String>,
    /// Host in mount strings.
    pub mounthost: String,
    /// Certificate checks.
    pub tls: TlsOptions,
    /// Total time per request.
    pub timeout: Duration,
    /// Retries of `GET` requests.
    pub retries: u32,
    /// How long to wait for a job.
    pub job_timeout: Duration,
}

/// Parses `filer`: `host` or `host:port` (HTTPS), or a full `http(s)://` URL; no
/// credentials in it.
pub fn parse_filer(text: &str) -> Result<Url, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("expected the cluster's address: host, host:port or https://host:port".into());
    }
    let full = if t.contains("://") {
        t.to_string()
    } else {
        format!("https://{t}/")
    };
    let mut url = Url::parse(&full).map_err(|e| {
        format!("not an address ({e}); expected host, host:port or https://host:port")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("expected an http(s) address with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the address must not contain a user name or password; they belong in netappcredentials.cfg or NETAPP_USER/NETAPP_PASSWORD"
                .into(),
        );
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

impl NetappConfig {
    /// Settings with the defaults, for tests and embedding.
    pub fn new(database: &str, url: Url, svm: &str, volumes: Vec<String>) -> NetappConfig {
        let mounthost = url.host_str().unwrap_or_default().to_string();
        NetappConfig {
            database: database.to_string(),
            url,
            svm: svm.to_string(),
            volumes,
            mounthost,
            tls: TlsOptions::default(),
            timeout: DEFAULT_TIMEOUT,
            retries: 3,
            job_timeout: DEFAULT_JOB_TIMEOUT,
        }
    }

    /// Reads `[netapp]` (with the database's `netapp<key>` overrides) for database `db`.
    pub fn from_config(db: &DbConfig<'_>) -> Result<NetappConfig, ConfigError> {
        let filer = db.require_in(SECTION, "filer")?;
        let url = parse_filer(filer.as_str()).map_err(|e| {
            if filer.as_str().contains('@') {
                ConfigError::Invalid {
                    file: db.config().path().to_path_buf(),
                    section: filer.section.clone(),
                    key: filer.key.clone(),
                    value: "(not shown: it may contain credentials)".to_string(),
                    expected: e,
                }
            } else {
                filer.invalid(e)
            }
        })?;
        let svm = db.require_in(SECTION, "svm")?;
        if svm.as_str().is_empty() {
            return Err(svm.invalid("expected the SVM's name"));
        }
        let prefix = db
            .get_in(SECTION, "volumeprefix")?
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        let own = format!("{prefix}{}", db.name());
        let mut volumes = vec![own.clone()];
        for suffix in DbSettings::load(db)?.additionalvolumesuffixes {
            volumes.push(format!("{own}{suffix}"));
        }
        let mut cfg = NetappConfig::new(db.name(), url, svm.as_str(), volumes);
        if let Some(v) = db.get_in(SECTION, "mounthost")? {
            if !v.as_str().is_empty() {
                cfg.mounthost = v.as_str().to_string();
            }
        }
        if let Some(v) = db.get_in(SECTION, "cacert")? {
            if !v.as_str().is_empty() {
                let path = v.as_path()?;
                let bundle = CaBundle::load(&path).map_err(|e| v.invalid(e.to_string()))?;
                cfg.tls.ca_certs.push(bundle);
            }
        }
        if let Some(v) = db.get_in(SECTION, "insecure")? {
            cfg.tls.insecure = v.as_bool()?;
        }
        let seconds = |key: &str, default: Duration| -> Result<Duration, ConfigError> {
            match db.get_in(SECTION, key)? {
                None => Ok(default),
                Some(v) => {
                    let d = v.as_duration(TimeUnit::Seconds)?;
                    if d.is_zero() {
                        Err(v.invalid("expected at least 1 second"))
                    } else {
                        Ok(d)
                    }
                }
            }
        };
        cfg.timeout = seconds("timeout", DEFAULT_TIMEOUT)?;
        cfg.job_timeout = seconds("jobtimeout", DEFAULT_JOB_TIMEOUT)?;
        if let Some(v) = db.get_in(SECTION, "retries")? {
            let n = v.as_u32()?;
            if n > 10 {
                return Err(v.invalid("expected a number of retries from 0 to 10"));
            }
            cfg.retries = n;
        }
        Ok(cfg)
    }

    /// The HTTP settings.
    pub fn http_options(&self) -> HttpOptions {
        HttpOptions {
            tls: self.tls.clone(),
            timeout: self.timeout,
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                retries: self.retries,
                ..RetryPolicy::default()
            },
        }
    }

    /// Warnings for every run: TLS verification off, or plain HTTP.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.url.scheme() == "http" {
            out.push(format!(
                "[netapp] filer = {}: plain HTTP; the cluster password is sent unencrypted",
                self.url
            ));
        } else if self.tls.insecure {
            out.push(format!(
                "[netapp] insecure = true: the certificate of {} is NOT verified; anyone on the network path can pose as the cluster and capture its password. Set cacert instead.",
                self.url.host_str().unwrap_or_default()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use backupcore::config::Config;

    fn load(text: &str) -> Result<NetappConfig, ConfigError> {
        let cfg = Config::from_str_at(text, Path::new("/etc/backup/backup.cfg"), None).unwrap();
        NetappConfig::from_config(&cfg.database("cdb1").unwrap())
    }

    const DB: &str = "[cdb1]\ndbid: 1\nrecoverywindow: 2\nparallel: 1\nsnapexpirationdays: 7\n";

    #[test]
    fn keys_and_volumes() {
        let c = load(&format!(
            "[generic]\nbackupdest: /b\nstorage: netapp\n[netapp]\nfiler: filer01\nsvm: svm1\nvolumeprefix: oc1_\nmounthost: nfs01\n{DB}additionalvolumesuffixes: _data2, _data3\n"
        ))
        .unwrap();
        assert_eq!(c.url.as_str(), "https://filer01/");
        assert_eq!(c.svm, "svm1");
        assert_eq!(c.volumes, ["oc1_cdb1", "oc1_cdb1_data2", "oc1_cdb1_data3"]);
        assert_eq!(c.mounthost, "nfs01");
        assert_eq!(c.job_timeout, DEFAULT_JOB_TIMEOUT);
    }

    #[test]
    fn bad_values_are_named_and_secrets_not_shown() {
        let e = load(&format!(
            "[generic]\nbackupdest: /b\n[netapp]\nfiler: https://admin:Secret1@f1\nsvm: s\n{DB}"
        ))
        .unwrap_err();
        assert!(!e.to_string().contains("Secret1"), "{e}");
        assert!(e.to_string().contains("[netapp] filer"), "{e}");
        let e = load(&format!(
            "[generic]\nbackupdest: /b\n[netapp]\nfiler: f1\nsvm: s\njobtimeout: 0\n{DB}"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("[netapp] jobtimeout = '0'"), "{e}");
        let e = load(&format!(
            "[generic]\nbackupdest: /b\n[netapp]\nfiler: f1\n{DB}"
        ))
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("[netapp] svm: required key is missing"),
            "{e}"
        );
        assert_eq!(parse_filer("f1:8443").unwrap().as_str(), "https://f1:8443/");
        assert_eq!(
            parse_filer("http://127.0.0.1:9000").unwrap().as_str(),
            "http://127.0.0.1:9000/"
        );
    }

    #[test]
    fn the_sample_config() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/configs");
        let cfg = Config::load_with(&dir.join("backup.netapp.cfg"), None).unwrap();
        let c = NetappConfig::from_config(&cfg.database("cdb1").unwrap());
        // The sample's cacert file does not exist here: that is reported, naming the key.
        match c {
            Ok(c) => assert_eq!(c.volumes[0], "oc1_cdb1"),
            Err(e) => assert!(e.to_string().contains("[netapp] cacert"), "{e}"),
        }
    }
}

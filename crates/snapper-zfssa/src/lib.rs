//! Oracle ZFS Storage Appliance backend for [`backupcore::snap::SnapHandler`], through the
//! appliance's REST API (`https://<appliance>:215/api/storage/v1`).
//!
//! * [`ZfssaConfig`]: the `[zfssa]` section of `backup.cfg` (`url`, `pool`, `project`,
//!   `apiversion`, `cacert`, `insecure`, `timeout`, `retries`), with per-database overrides
//!   (`zfssapool`, ...).
//! * [`load_credentials`]: `zfscredentials.cfg` beside `backup.cfg`, or env `ZFSSA_USER` /
//!   `ZFSSA_PASSWORD`.
//! * [`Zfssa`]: the handler. Each database's backup filesystem is
//!   `<pool>/<project>/<database>`.
//! * [`http`]: the HTTP layer (basic auth, TLS options, timeouts, retries of reads), meant to
//!   be reused by other REST backends.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use backupcore::config::Config;
//! use backupcore::snap::SnapHandler;
//!
//! let cfg = Config::load(std::path::Path::new("/etc/backup/backup.cfg"))?;
//! let zfssa = snapper_zfssa::Zfssa::open(&cfg, "orcl")?;
//! for w in zfssa.warnings() {
//!     eprintln!("WARNING: {w}");
//! }
//! for s in zfssa.list_snapshots().await? {
//!     println!("{}", s.list_line());
//! }
//! # Ok(())
//! # }
//! ```

mod config;
pub mod http;
mod model;
mod zfssa;

pub use config::{
    load_credentials, parse_url, ApiVersion, UrlError, ZfssaConfig, CONNECT_TIMEOUT, CREDENTIALS,
    DEFAULT_PORT, DEFAULT_RETRIES, DEFAULT_TIMEOUT, SECTION,
};
pub use zfssa::{Zfssa, ZfssaError};

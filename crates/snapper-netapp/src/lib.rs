//! NetApp ONTAP backend for [`backupcore::snap::SnapHandler`], over the ONTAP REST API
//! (ONTAP 9.6 and later), not the deprecated ZAPI.
//!
//! * [`NetappConfig`]: the `[netapp]` section (`filer`, `svm`, `volumeprefix`, `mounthost`,
//!   `cacert`, `insecure`, `timeout`, `retries`, `jobtimeout`) and the database's
//!   `additionalvolumesuffixes`; credentials from `netappcredentials.cfg` or env
//!   `NETAPP_USER`/`NETAPP_PASSWORD` ([`load_credentials`]).
//! * [`Ontap`]: the handler. A database's volumes are `<volumeprefix><db>` and
//!   `<volumeprefix><db><suffix>`; snapshots are taken on each with the same name; clones
//!   are FlexClones mounted at `/<clone>` (several volumes: a small namespace root volume
//!   `<clone>` with clones `<clone>0..` under it). Every change is an ONTAP job, followed
//!   until it ends or `jobtimeout` passes.
//!
//! The HTTP layer (basic authentication, TLS, timeouts, retries of reads only, secrets masked)
//! is the ZFS Storage Appliance backend's [`snapper_zfssa::http`].

mod config;
mod ontap;

pub use config::{
    load_credentials, parse_filer, NetappConfig, CREDENTIALS, DEFAULT_JOB_TIMEOUT, DEFAULT_TIMEOUT,
    SECTION,
};
pub use ontap::{clone_volume_name, NetappError, Ontap};

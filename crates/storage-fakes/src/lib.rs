//! Test support only: stateful fakes of storage appliances' REST APIs, written from the
//! vendors' documentation (not from any client code), so that clients can be tested
//! against them.
//!
//! * [`zfssa`]: the Oracle ZFS Storage Appliance RESTful API, storage service.
//! * [`netapp`]: the NetApp ONTAP REST API (9.6 and later): SVMs, volumes, FlexClones,
//!   snapshots and asynchronous jobs.
//! * [`loopfs`]: scratch filesystems (loop-mounted XFS with reflink, btrfs, tmpfs) for local
//!   storage backends.

pub mod loopfs;
pub mod netapp;
mod wire;
pub mod zfssa;

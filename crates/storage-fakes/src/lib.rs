//! Test support only: stateful fakes of storage appliances' REST APIs, written from the
//! vendors' documentation (not from any client code), so that clients can be tested
//! against them.
//!
//! * [`zfssa`]: the Oracle ZFS Storage Appliance RESTful API, storage service.
//! * [`loopfs`]: scratch filesystems (loop-mounted XFS with reflink, btrfs, tmpfs) for local
//!   storage backends.

pub mod loopfs;
pub mod zfssa;

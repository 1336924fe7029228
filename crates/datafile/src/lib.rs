//! Oracle datafile format: header parsing, block verification and a writer for tests.
//!
//! This crate is part of the workspace layout; its capability is being built.

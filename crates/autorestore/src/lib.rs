//! Restore-test orchestration, point-in-time restore and the results catalog.
//!
//! This crate is part of the workspace layout; its capability is being built.

//! Test support only: a simulated ORACLE_HOME (rman, sqlplus, ...) whose datafiles are real files.
//!
//! This crate is part of the workspace layout; its capability is being built.

//! Restore-test orchestration, point-in-time restore and the results catalog.
//!
//! * [`catalog`]: where restore tests' outcomes go (SQLite, PostgreSQL, the original's Oracle
//!   schema), the daily claim that splits a fleet's work, and the Nagios `--check`.
//! * [`scripts`]: the restore test's RMAN and SQL*Plus scripts from the restore templates
//!   and the clone's `autorestore.cfg`, in the original's order.
//! * [`verify`]: the checks of a restore: time reached against the target, corrupt blocks
//!   found by RMAN, every block of the clone read without Oracle.
//! * [`validation`]: which days a restore test also validates every block (the original's
//!   modulus of a stable hash of the database name, or chance).
//!
//! * [`flow`]: one restore test, step by step, with a clean-up that always runs.
//! * [`program`]: what the `autorestore` program does around the tests (databases,
//!   settings, catalog, ADR purge).
//!
//! The `autorestore` and `restore` programs are being built.

pub mod catalog;
pub mod flow;
pub mod program;
pub mod scripts;
pub mod validation;
pub mod verify;

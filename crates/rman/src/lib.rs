//! Oracle command layer (RMAN, SQL*Plus): script templates, the process runner and output parsers.
//!
//! This crate is part of the workspace layout; its capability is being built.

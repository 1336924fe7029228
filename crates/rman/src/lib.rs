//! Oracle command layer (RMAN, SQL*Plus): script templates and parsers of their output.
//!
//! * [`template`]: the original tool's template files (INI, `%%`, Python `string.Template`
//!   placeholders) and the built-in templates.
//! * [`parse`]: marker lines of our SQL*Plus scripts, RMAN error stacks and run summaries.
//!
//! * [`runner`]: runs rman, sqlplus, sqlldr and adrci with the environment the original set.

pub mod parse;
pub mod runner;
pub mod template;

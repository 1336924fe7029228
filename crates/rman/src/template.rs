//! The original tool's template files and our built-in templates.
//!
//! * [`substitute`]: Python `string.Template` substitution to the letter (`$$`, `$name`,
//!   `${name}`, the same "Invalid placeholder" errors).
//! * [`TemplateSet`]: the built-in entries of one template file ([`TemplateKind`]: the
//!   `rmantemplate.cfg`, `restoretemplate.cfg` or `reporttemplate.cfg` of the original), each
//!   overridable by the same-named file beside the configuration. Files are INI read by Python
//!   2.7 `SafeConfigParser` rules (section `[template]`, `%%` for `%`, indented continuation
//!   lines joined with `\n`).
//! * [`Substitutions`]: the `${name}` values the original `backup.py` provided, built from the
//!   settings plus a few run-time values.
//! * [`rman_script`], [`sqlplus_script`] and friends: whole scripts, composed from entries the
//!   way the original composed them (header, optional catalog header, body, footer).
//!
//! Secrets: the only secret value is `ospassword` (entry `createschedule`). The built-in entry
//! sends it inside a block run with SQL*Plus `set echo off` (and `set define off`), so the
//! statement holding it is not echoed into the spooled run log; [`Substitutions`] never shows
//! it in `Debug` output and [`Substitutions::redact`] masks it in any text.

mod builtin;
mod script;
mod set;
mod subs;
mod substitute;

pub use script::{
    generate_restore, rman_script, rman_wrap, setschedule_script, sqlplus_script,
    sqlplus_script_with_header, BackupLevel, RmanAction, ScriptOptions,
};
pub use set::{Origin, TemplateError, TemplateKind, TemplateSet, TEMPLATE_SECTION};
pub use subs::{RuntimeValues, Substitutions, SECRET_NAMES};
pub use substitute::{placeholders, substitute, SubstituteError};

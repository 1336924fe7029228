//! The built-in template files, embedded in the binary.

/// Text of the built-in `rmantemplate.cfg`.
pub(super) const RMAN: &str = include_str!("../../templates/rmantemplate.cfg");
/// Text of the built-in `restoretemplate.cfg`.
pub(super) const RESTORE: &str = include_str!("../../templates/restoretemplate.cfg");
/// Text of the built-in `reporttemplate.cfg`.
pub(super) const REPORT: &str = include_str!("../../templates/reporttemplate.cfg");

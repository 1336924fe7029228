//! Template files: the built-in entries, overridden entry by entry by a user's file.

use std::fmt;
use std::path::{Path, PathBuf};

use backupcore::config::ini::Ini;

use super::builtin;
use super::subs::Substitutions;
use super::substitute::{substitute, SubstituteError};

/// The INI section holding the entries of a template file.
pub const TEMPLATE_SECTION: &str = "template";

/// Which of the original tool's three template files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    /// `rmantemplate.cfg`: the `backup` program's RMAN and SQL*Plus scripts.
    Rman,
    /// `restoretemplate.cfg`: the `autorestore` program's scripts.
    Restore,
    /// `reporttemplate.cfg`: the `report` program's queries.
    Report,
}

impl TemplateKind {
    /// Every kind.
    pub const ALL: [TemplateKind; 3] = [
        TemplateKind::Rman,
        TemplateKind::Restore,
        TemplateKind::Report,
    ];

    /// The file name the original used, and under which a user's override file is looked for.
    pub fn file_name(self) -> &'static str {
        match self {
            TemplateKind::Rman => "rmantemplate.cfg",
            TemplateKind::Restore => "restoretemplate.cfg",
            TemplateKind::Report => "reporttemplate.cfg",
        }
    }

    /// The built-in file's text.
    pub fn builtin_text(self) -> &'static str {
        match self {
            TemplateKind::Rman => builtin::RMAN,
            TemplateKind::Restore => builtin::RESTORE,
            TemplateKind::Report => builtin::REPORT,
        }
    }
}

/// Where an entry's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Our built-in template.
    Builtin,
    /// A user's template file.
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the entry's `name:` line.
        line: usize,
    },
}

impl fmt::Display for Origin {
    /// Empty for built-in entries, ` (<file>, line <n>)` for a user's entries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => Ok(()),
            Origin::File { path, line } => write!(f, " ({}, line {line})", path.display()),
        }
    }
}

/// Everything that can go wrong reading a template file or rendering an entry.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The user's template file exists but cannot be read.
    #[error("cannot read template file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of a template file is not INI.
    #[error("template file {file}, line {line}: {message}")]
    Syntax {
        /// The file (`built-in <name>` for ours).
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A template file without a `[template]` section.
    #[error("template file {file} has no [template] section")]
    NoSection {
        /// The file.
        file: String,
    },
    /// No built-in entry of that name and none in the user's file.
    #[error("no template entry '{entry}' in the built-in {kind}{}", user_file.as_ref().map(|p| format!(" or in {}", p.display())).unwrap_or_default())]
    UnknownEntry {
        /// The entry asked for.
        entry: String,
        /// The built-in file name.
        kind: &'static str,
        /// The user's file, when there is one.
        user_file: Option<PathBuf>,
    },
    /// A bad `%` in the entry (write `%%` for a literal `%`).
    #[error("template entry '{entry}'{origin}: {message}")]
    Interpolation {
        /// The entry.
        entry: String,
        /// Where it comes from.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// A bad `$` placeholder, or one without a value.
    #[error("template entry '{entry}'{origin}: {source}")]
    Substitute {
        /// The entry.
        entry: String,
        /// Where it comes from.
        origin: Origin,
        /// What is wrong.
        source: SubstituteError,
    },
}

#[derive(Debug, Clone)]
struct UserFile {
    path: PathBuf,
    ini: Ini,
}

/// The entries of one template file: built-in ones, each replaced by the user's entry of the
/// same name when the user's file has one (the user's file may also add entries).
#[derive(Debug, Clone)]
pub struct TemplateSet {
    kind: TemplateKind,
    builtin: Ini,
    user: Option<UserFile>,
}

fn parse(file: &str, text: &str) -> Result<Ini, TemplateError> {
    let ini = Ini::parse(text).map_err(|e| TemplateError::Syntax {
        file: file.to_string(),
        line: e.line,
        message: e.message,
    })?;
    if !ini.has_section(TEMPLATE_SECTION) {
        return Err(TemplateError::NoSection {
            file: file.to_string(),
        });
    }
    Ok(ini)
}

impl TemplateSet {
    /// The built-in entries only.
    pub fn builtin(kind: TemplateKind) -> Result<TemplateSet, TemplateError> {
        let name = format!("built-in {}", kind.file_name());
        Ok(TemplateSet {
            kind,
            builtin: parse(&name, kind.builtin_text())?,
            user: None,
        })
    }

    /// The built-in entries, overridden by `<config_dir>/<file name>` when that file exists.
    pub fn load(kind: TemplateKind, config_dir: &Path) -> Result<TemplateSet, TemplateError> {
        let path = config_dir.join(kind.file_name());
        if !path.is_file() {
            return TemplateSet::builtin(kind);
        }
        let text = std::fs::read_to_string(&path).map_err(|source| TemplateError::Read {
            path: path.clone(),
            source,
        })?;
        TemplateSet::with_user_text(kind, &path, &text)
    }

    /// The built-in entries, overridden by the entries of `text` (read from `path`).
    pub fn with_user_text(
        kind: TemplateKind,
        path: &Path,
        text: &str,
    ) -> Result<TemplateSet, TemplateError> {
        let mut set = TemplateSet::builtin(kind)?;
        let ini = parse(&path.display().to_string(), text)?;
        set.user = Some(UserFile {
            path: path.to_path_buf(),
            ini,
        });
        Ok(set)
    }

    /// Which template file this is.
    pub fn kind(&self) -> TemplateKind {
        self.kind
    }

    /// The user's override file, when one was read.
    pub fn user_file(&self) -> Option<&Path> {
        self.user.as_ref().map(|u| u.path.as_path())
    }

    /// Names of the built-in entries, in file order.
    pub fn builtin_entries(&self) -> Vec<&str> {
        self.builtin
            .section(TEMPLATE_SECTION)
            .map(|s| s.keys().collect())
            .unwrap_or_default()
    }

    /// Names of all entries: built-in ones in file order, then those only the user's file has.
    pub fn entries(&self) -> Vec<&str> {
        let mut names = self.builtin_entries();
        if let Some(s) = self
            .user
            .as_ref()
            .and_then(|u| u.ini.section(TEMPLATE_SECTION))
        {
            for k in s.keys() {
                if !names.contains(&k) {
                    names.push(k);
                }
            }
        }
        names
    }

    /// Whether an entry of that name exists (names are case-insensitive, as in the original).
    pub fn contains(&self, entry: &str) -> bool {
        self.origin(entry).is_some()
    }

    /// Where the entry's text comes from; `None` when there is no such entry.
    pub fn origin(&self, entry: &str) -> Option<Origin> {
        if let Some(u) = &self.user {
            if let Some(e) = u.ini.raw(TEMPLATE_SECTION, entry) {
                return Some(Origin::File {
                    path: u.path.clone(),
                    line: e.line,
                });
            }
        }
        self.builtin
            .raw(TEMPLATE_SECTION, entry)
            .map(|_| Origin::Builtin)
    }

    /// The entry's text after INI interpolation (`%%` -> `%`), before `$` substitution.
    pub fn raw(&self, entry: &str) -> Result<String, TemplateError> {
        let (ini, origin) = match &self.user {
            Some(u) if u.ini.raw(TEMPLATE_SECTION, entry).is_some() => {
                (&u.ini, self.origin(entry).unwrap_or(Origin::Builtin))
            }
            _ => (&self.builtin, Origin::Builtin),
        };
        match ini.get(TEMPLATE_SECTION, entry) {
            Some(Ok(text)) => Ok(text),
            Some(Err(e)) => Err(TemplateError::Interpolation {
                entry: entry.to_string(),
                origin,
                message: e.0,
            }),
            None => Err(TemplateError::UnknownEntry {
                entry: entry.to_string(),
                kind: self.kind.file_name(),
                user_file: self.user.as_ref().map(|u| u.path.clone()),
            }),
        }
    }

    /// The entry with its `${name}` placeholders filled in from `subs`.
    pub fn render(&self, entry: &str, subs: &Substitutions) -> Result<String, TemplateError> {
        let text = self.raw(entry)?;
        substitute(&text, |name| subs.get(name)).map_err(|source| TemplateError::Substitute {
            entry: entry.to_string(),
            origin: self.origin(entry).unwrap_or(Origin::Builtin),
            source,
        })
    }
}

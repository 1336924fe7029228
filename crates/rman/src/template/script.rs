//! Whole scripts composed from template entries, as the original `backup.py` composed them.

use backupcore::config::DbSettings;

use super::set::{TemplateError, TemplateSet};
use super::subs::Substitutions;

/// Settings that change how scripts are composed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptOptions {
    /// `registercatalog`: RMAN scripts also connect to the catalog (entry `headercatalog`),
    /// `config` registers the database, template actions resync the catalog first.
    pub registercatalog: bool,
    /// `hasdataguard`: `config` sets the archivelog deletion policy of a Data Guard primary
    /// (entry `configdelaldg` instead of `configdelalnodg`).
    pub hasdataguard: bool,
}

impl From<&DbSettings> for ScriptOptions {
    fn from(db: &DbSettings) -> ScriptOptions {
        ScriptOptions {
            registercatalog: db.registercatalog,
            hasdataguard: db.hasdataguard,
        }
    }
}

/// Which backup entry a backup script runs (the original's `backup(level)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupLevel {
    /// Entry `backupimagecopy` (built in): refresh the image copy.
    ImageCopy,
    /// Entry `backupfull` (only from a user's template file).
    Full,
    /// Entry `backupcumulative` (only from a user's template file).
    Cumulative,
    /// Entry `backupdiff` (only from a user's template file).
    Differential,
    /// Entry `backuparchivelog` (only from a user's template file).
    Archivelog,
}

impl BackupLevel {
    /// The template entry run for this level.
    pub fn entry(self) -> &'static str {
        match self {
            BackupLevel::ImageCopy => "backupimagecopy",
            BackupLevel::Full => "backupfull",
            BackupLevel::Cumulative => "backupcumulative",
            BackupLevel::Differential => "backupdiff",
            BackupLevel::Archivelog => "backuparchivelog",
        }
    }
}

/// An RMAN script to compose.
#[derive(Debug, Clone, Copy)]
pub enum RmanAction<'a> {
    /// Action `config`: `registerdatabase` (when the catalog is used and does not know the
    /// database yet), the archivelog deletion policy (`configdelaldg`/`configdelalnodg`), then
    /// `config`.
    Config {
        /// Whether the catalog already knows the database (`isdbregisteredincatalog` printed
        /// `DATABASE IS REGISTERED IN RC`); ignored without a catalog.
        already_registered: bool,
    },
    /// A backup: `run {` + the level's entry + `backupfooter` + `}`.
    Backup(BackupLevel),
    /// Any other entry run as is (actions `report`, `validatebackup`, or a user's entry),
    /// preceded by `resynccatalog` when the catalog is used.
    Entry(&'a str),
    /// Copy of archivelogs missing from the backup area: `run {` + `allocatearchlogchannel` +
    /// the given commands (the `BACKUP force as copy archivelog ...` lines of entry
    /// `archivelogmissing`) + `}`. Callers skip the run when there are none.
    MissingArchivelogs(&'a [String]),
    /// Deletion of image copies of dropped data files: the given commands (the text after
    /// `DELETECOPY: ` of entry `deletedatafilecopy`), one a line. Callers skip the run when
    /// there are none.
    DeleteCopies(&'a [String]),
}

/// The final RMAN script: `header`, `headercatalog` (with a catalog), `body`, `footer`, joined
/// with newlines (the original's `exec_rman`).
pub fn rman_wrap(
    set: &TemplateSet,
    subs: &Substitutions,
    opts: ScriptOptions,
    body: &str,
) -> Result<String, TemplateError> {
    let mut script = set.render("header", subs)?;
    if opts.registercatalog {
        script.push('\n');
        script.push_str(&set.render("headercatalog", subs)?);
    }
    script.push('\n');
    script.push_str(body);
    script.push('\n');
    script.push_str(&set.render("footer", subs)?);
    Ok(script)
}

/// The body of an RMAN action, before [`rman_wrap`].
fn rman_body(
    set: &TemplateSet,
    subs: &Substitutions,
    opts: ScriptOptions,
    action: RmanAction<'_>,
) -> Result<String, TemplateError> {
    Ok(match action {
        RmanAction::Config { already_registered } => {
            let mut body = String::new();
            if opts.registercatalog && !already_registered {
                body.push_str(&set.render("registerdatabase", subs)?);
            }
            let policy = if opts.hasdataguard {
                "configdelaldg"
            } else {
                "configdelalnodg"
            };
            body.push('\n');
            body.push_str(&set.render(policy, subs)?);
            body.push('\n');
            body.push_str(&set.render("config", subs)?);
            body
        }
        RmanAction::Backup(level) => format!(
            "run {{\n{}\n{}\n}}\n",
            set.render(level.entry(), subs)?,
            set.render("backupfooter", subs)?
        ),
        RmanAction::Entry(entry) => {
            let mut body = String::new();
            if opts.registercatalog {
                body.push_str(&set.render("resynccatalog", subs)?);
                body.push('\n');
            }
            body.push_str(&set.render(entry, subs)?);
            body
        }
        RmanAction::MissingArchivelogs(commands) => {
            let mut lines = String::new();
            for c in commands {
                lines.push_str(c.trim());
                lines.push('\n');
            }
            format!(
                "run {{\n{}\n{}\n}}",
                set.render("allocatearchlogchannel", subs)?,
                lines
            )
        }
        RmanAction::DeleteCopies(commands) => {
            let mut body = String::new();
            for c in commands {
                body.push_str(c.trim());
                body.push('\n');
            }
            body
        }
    })
}

/// The complete RMAN script of `action`, as the original sent it to RMAN's standard input.
pub fn rman_script(
    set: &TemplateSet,
    subs: &Substitutions,
    opts: ScriptOptions,
    action: RmanAction<'_>,
) -> Result<String, TemplateError> {
    let body = rman_body(set, subs, opts, action)?;
    rman_wrap(set, subs, opts, &body)
}

/// A SQL*Plus script: with `header`, entries `sqlplusheader` + `body` + `sqlplusfooter`, each
/// followed by a newline; without, `body` and a newline (the original's `exec_sqlplus`).
pub fn sqlplus_script(
    set: &TemplateSet,
    subs: &Substitutions,
    body: &str,
    header: bool,
) -> Result<String, TemplateError> {
    if header {
        return sqlplus_script_with_header(set, subs, "sqlplusheader", body);
    }
    Ok(format!("{body}\n"))
}

/// A SQL*Plus script with header entry `header` (e.g. the report's
/// `sqlplusautorestoreheader`): `header` + `body` + `sqlplusfooter`, each followed by a
/// newline.
pub fn sqlplus_script_with_header(
    set: &TemplateSet,
    subs: &Substitutions,
    header: &str,
    body: &str,
) -> Result<String, TemplateError> {
    Ok(format!(
        "{}\n{body}\n{}\n",
        set.render(header, subs)?,
        set.render("sqlplusfooter", subs)?
    ))
}

/// The body of action `setschedule` (run with [`sqlplus_script`] and the header): entries
/// `createuser`, `dropschedule`, `createschedule`, each followed by a newline. `subs` must
/// hold `scheduleuserprefix` and `ospassword`.
pub fn setschedule_script(
    set: &TemplateSet,
    subs: &Substitutions,
) -> Result<String, TemplateError> {
    let mut body = String::new();
    for entry in ["createuser", "dropschedule", "createschedule"] {
        body.push_str(&set.render(entry, subs)?);
        body.push('\n');
    }
    Ok(body)
}

/// The texts action `generaterestore` prints, in order: `headerrestore`, `headercatalog` (with
/// a catalog), `fullrestore`, `restorefooter`.
pub fn generate_restore(
    set: &TemplateSet,
    subs: &Substitutions,
    opts: ScriptOptions,
) -> Result<Vec<String>, TemplateError> {
    let mut parts = vec![set.render("headerrestore", subs)?];
    if opts.registercatalog {
        parts.push(set.render("headercatalog", subs)?);
    }
    parts.push(set.render("fullrestore", subs)?);
    parts.push(set.render("restorefooter", subs)?);
    Ok(parts)
}

//! One run of one action for one database.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use backupcore::config::{Config, ConfigError, DbSettings, GenericSettings};
use backupcore::lock::{DbLock, LockError, LockOptions};
use backupcore::restoreparams::{self, RecoveryPoint, RestoreParams, RestoreParamsError};
use backupcore::runlog::Secrets;
use backupcore::snap::{ops, snapshot_name, SnapError, SnapHandler};
use chrono::{DateTime, Local, Utc};
use rman::parse::{MarkerError, Markers, RmanSummary};
use rman::runner::{Output, RunError, Runner, Script, Tool};
use rman::template::{
    generate_restore, rman_script, setschedule_script, sqlplus_script, BackupLevel, RmanAction,
    RuntimeValues, ScriptOptions, Substitutions, TemplateError, TemplateKind, TemplateSet,
};

use crate::action::Action;
use crate::dryrun::DryRun;
use crate::summary::{Outcome, Step, StepRecord, Summary};

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepFailure {
    /// An Oracle tool failed (the message carries the RMAN-/ORA- errors).
    #[error(transparent)]
    Oracle(#[from] RunError),
    /// The storage failed.
    #[error("storage: {0}")]
    Storage(#[from] SnapError),
    /// A template could not be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// `autorestore.cfg` could not be read or written.
    #[error(transparent)]
    Params(#[from] RestoreParamsError),
    /// A marker line of SQL*Plus output was malformed.
    #[error("unexpected SQL*Plus output: {0}")]
    Markers(#[from] MarkerError),
    /// The lock could not be taken or released.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Something expected was not there (a marker line, a directory, a setting).
    #[error("{0}")]
    Missing(String),
    /// A file-system operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was done.
        op: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A failed run: the step and why. Displayed as one line:
/// `step 6 (merge (incremental level 1 + recover copy)) failed: rman imagecopy failed (exit 1): RMAN-03009: …`.
#[derive(Debug, thiserror::Error)]
#[error("{step} failed: {source}")]
pub struct JobError {
    /// The step that failed.
    pub step: Step,
    /// Why.
    #[source]
    pub source: Box<StepFailure>,
}

/// Errors setting up a job from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The user's template file is wrong.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Settings that do not go together.
    #[error("{0}")]
    Invalid(String),
}

/// Everything a job needs from the configuration, resolved once.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The database's settings.
    pub db: DbSettings,
    /// The `[generic]` settings as seen from the database's section.
    pub generic: GenericSettings,
    /// The backup area: `<backupdest>/<db>`.
    pub area: PathBuf,
    /// The RMAN templates (built-in, overridden by `rmantemplate.cfg` beside the config).
    pub templates: TemplateSet,
    /// The `${name}` values.
    pub subs: Substitutions,
    /// Catalog / Data Guard switches.
    pub opts: ScriptOptions,
    /// Values never to be logged (the OS password of `setschedule`).
    pub secrets: Secrets,
}

/// Values known only when the program runs.
#[derive(Debug, Clone, Copy)]
pub struct RunValues<'a> {
    /// The run log (`${logfile}`; SQL*Plus spools into it).
    pub logfile: &'a Path,
    /// Where the programs are installed (`${scriptpath}`, for the scheduler jobs).
    pub scriptpath: &'a Path,
    /// The configuration file (`${configfile}`, for the scheduler jobs).
    pub configfile: &'a Path,
    /// `OSPASSWORD` (only `setschedule` needs it).
    pub ospassword: Option<&'a str>,
}

impl JobContext {
    /// Resolves the settings of database `db` from `cfg`.
    pub fn new(cfg: &Config, db: &str, run: RunValues<'_>) -> Result<JobContext, SetupError> {
        let dbcfg = cfg.database(db)?;
        let generic = GenericSettings::for_db(&dbcfg)?;
        let settings = DbSettings::load(&dbcfg)?;
        if settings.registercatalog && settings.catalog.as_deref().map_or(true, str::is_empty) {
            return Err(SetupError::Invalid(format!(
                "{}: [{db}] registercatalog is true but no RMAN catalog is set ([rman] catalog, or {db}'s rmancatalog)",
                cfg.path().display()
            )));
        }
        let templates = TemplateSet::load(TemplateKind::Rman, cfg.dir())?;
        let subs = Substitutions::for_backup(
            &generic,
            &settings,
            RuntimeValues {
                logfile: run.logfile,
                scriptpath: run.scriptpath,
                configfile: Some(run.configfile),
                ospassword: run.ospassword,
            },
        );
        let secrets = Secrets::new();
        if let Some(pw) = run.ospassword {
            secrets.add(pw);
        }
        Ok(JobContext {
            area: generic.backup_area(&settings.name),
            opts: ScriptOptions::from(&settings),
            db: settings,
            generic,
            templates,
            subs,
            secrets,
        })
    }

    /// `<area>/archivelog`, the extra archivelog destination.
    pub fn archdir(&self) -> PathBuf {
        self.area.join("archivelog")
    }

    /// How long to wait for the database's lock (`maxlockwait`).
    pub fn lock_options(&self) -> LockOptions {
        LockOptions::from_minutes(self.generic.maxlockwait.as_secs() / 60)
    }

    /// `<area>/autorestore.cfg`.
    pub fn params_path(&self) -> PathBuf {
        self.area.join(restoreparams::FILE_NAME)
    }
}

/// One run of an action.
///
/// Oracle is reached through `runner` (a [`rman::runner::ProcessRunner`], or a [`DryRun`]),
/// storage through `storage`. In dry-run mode nothing is touched: no lock, no file, no
/// storage call; the storage steps are noted in the transcript instead.
pub struct Job<'a> {
    ctx: &'a JobContext,
    runner: &'a dyn Runner,
    storage: Option<&'a dyn SnapHandler>,
    dry_run: Option<&'a DryRun>,
    lock_options: LockOptions,
    clock: Box<dyn Fn() -> DateTime<Utc> + Send + Sync + 'a>,
    summary: Summary,
    printed: Vec<String>,
}

impl<'a> Job<'a> {
    /// A job running for real through `runner`, with `storage` (needed by
    /// `imagecopywithsnap` unless `dosnapshot` is false).
    pub fn new(
        ctx: &'a JobContext,
        action: Action,
        runner: &'a dyn Runner,
        storage: Option<&'a dyn SnapHandler>,
    ) -> Job<'a> {
        Job {
            ctx,
            runner,
            storage,
            dry_run: None,
            lock_options: ctx.lock_options(),
            clock: Box::new(Utc::now),
            summary: Summary::new(&ctx.db.name, action.name()),
            printed: Vec::new(),
        }
    }

    /// A job that runs nothing and writes what it would do into `transcript`.
    pub fn dry_run(ctx: &'a JobContext, action: Action, transcript: &'a DryRun) -> Job<'a> {
        let mut job = Job::new(ctx, action, transcript, None);
        job.dry_run = Some(transcript);
        job
    }

    /// Sets how long to wait for the lock.
    pub fn with_lock_options(mut self, opts: LockOptions) -> Self {
        self.lock_options = opts;
        self
    }

    /// Sets the clock used for the snapshot name and the retention (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'a) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// What the run did so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Texts the action prints for the user (`generaterestore`'s procedure).
    pub fn printed(&self) -> &[String] {
        &self.printed
    }

    /// Runs `action`: takes the lock, runs the action's steps, releases the lock (also
    /// after a failure). Returns the first failure.
    pub async fn run(&mut self, action: Action) -> Result<(), JobError> {
        let result = self.run_locked(action).await;
        self.summary.finish();
        result
    }

    async fn run_locked(&mut self, action: Action) -> Result<(), JobError> {
        let lock = if self.dry_run.is_some() {
            self.note(
                "lock",
                &format!(
                    "take {}",
                    backupcore::lock::lock_path(&self.ctx.area).display()
                ),
            );
            None
        } else {
            let t = Instant::now();
            let area = self.ctx.area.clone();
            if !area.is_dir() {
                let e = StepFailure::Missing(format!(
                    "backup area {} does not exist (is the backup filesystem mounted?)",
                    area.display()
                ));
                return Err(self.failed(Step::LOCK, t, e));
            }
            match DbLock::acquire(&area, &self.lock_options) {
                Ok(l) => {
                    tracing::info!("Lock taken: {}", l.path().display());
                    self.done(Step::LOCK, t, Outcome::Ok, None);
                    Some(l)
                }
                Err(e) => return Err(self.failed(Step::LOCK, t, e.into())),
            }
        };
        let result = self.dispatch(action).await;
        match lock {
            Some(l) => {
                let t = Instant::now();
                tracing::info!("Releasing the lock");
                match l.release() {
                    Ok(()) => self.done(Step::UNLOCK, t, Outcome::Ok, None),
                    Err(e) => {
                        let err = self.failed(Step::UNLOCK, t, e.into());
                        return result.and(Err(err));
                    }
                }
            }
            None => self.note("lock", "release"),
        }
        result
    }

    async fn dispatch(&mut self, action: Action) -> Result<(), JobError> {
        match action {
            Action::Config => self.configure(),
            Action::ImageCopyWithSnap => self.image_copy_with_snap().await,
            Action::BackupImageCopy | Action::Report | Action::ValidateBackup => {
                let t = Instant::now();
                let r = self.rman(action.name(), RmanAction::Entry(action.name()));
                self.finish_step(Step::RMAN_ENTRY, t, r.map(|_| None))
            }
            Action::MissingArchlog => {
                let t = Instant::now();
                let r = self.missing_archivelogs();
                self.finish_step(Step::MISSING_ARCHIVELOGS, t, r)
            }
            Action::GenerateRestore => {
                let t = Instant::now();
                let r = generate_restore(&self.ctx.templates, &self.ctx.subs, self.ctx.opts)
                    .map_err(StepFailure::from)
                    .map(|parts| {
                        for p in &parts {
                            tracing::info!("{p}");
                        }
                        self.printed = parts;
                        None
                    });
                self.finish_step(Step::GENERATE_RESTORE, t, r)
            }
            Action::SetSchedule => self.set_schedule(),
            Action::Verify => Err(JobError {
                step: Step::VERIFY,
                source: Box::new(StepFailure::Missing(
                    "verify runs the datafile verifier; use the backup program's verify action"
                        .into(),
                )),
            }),
        }
    }

    // ----- steps ---------------------------------------------------------------------------

    fn configure(&mut self) -> Result<(), JobError> {
        let t = Instant::now();
        let archdir = self.ctx.archdir();
        if self.dry_run.is_some() {
            self.note("directory", &format!("create {}", archdir.display()));
        } else if let Err(source) = fs::create_dir_all(&archdir) {
            return Err(self.failed(
                Step::PREPARE,
                t,
                StepFailure::Io {
                    op: "create the archivelog directory",
                    path: archdir,
                    source,
                },
            ));
        }
        let mut already_registered = false;
        if self.ctx.opts.registercatalog {
            let t = Instant::now();
            tracing::info!("Checking from RMAN catalog if database is already registered");
            let r = self
                .sqlplus_entry("isdbregisteredincatalog", false, true)
                .and_then(|out| Ok(Markers::parse(&out.text)?.registered_in_catalog));
            already_registered = match r {
                Ok(b) => b,
                Err(e) => return Err(self.failed(Step::CATALOG_CHECK, t, e)),
            };
            let detail = if already_registered {
                "registered"
            } else {
                "not registered yet"
            };
            self.done(Step::CATALOG_CHECK, t, Outcome::Ok, Some(detail.into()));
        }
        tracing::info!("Running RMAN configuration");
        let t = Instant::now();
        let r = self.rman("config", RmanAction::Config { already_registered });
        self.finish_step(Step::RMAN_CONFIG, t, r.map(|_| None))?;
        tracing::info!("Running additional configuration from SQL*Plus");
        let t = Instant::now();
        let r = self.sqlplus_entry("configfromsqlplus", true, false);
        self.finish_step(Step::SQLPLUS_CONFIG, t, r.map(|_| None))
    }

    fn set_schedule(&mut self) -> Result<(), JobError> {
        let t = Instant::now();
        if self.ctx.subs.get("ospassword").is_none() {
            return Err(self.failed(
                Step::SCHEDULE,
                t,
                StepFailure::Missing("environment variable OSPASSWORD must be set".into()),
            ));
        }
        let r = self.sqlplus_entry("cdbdetect", true, true).and_then(|out| {
            let m = Markers::parse(&out.text)?;
            Ok(m.cdb
                .map(|c| c.user_prefix().to_string())
                .unwrap_or_default())
        });
        let prefix = match r {
            Ok(p) => p,
            Err(e) => return Err(self.failed(Step::CDB_DETECT, t, e)),
        };
        self.done(
            Step::CDB_DETECT,
            t,
            Outcome::Ok,
            Some(if prefix.is_empty() {
                "not a CDB".to_string()
            } else {
                format!("CDB, common user prefix {prefix}")
            }),
        );
        let t = Instant::now();
        let mut subs = self.ctx.subs.clone();
        subs.set_schedule_user_prefix(&prefix);
        let r = setschedule_script(&self.ctx.templates, &subs)
            .and_then(|body| sqlplus_script(&self.ctx.templates, &subs, &body, true))
            .map_err(StepFailure::from)
            .and_then(|text| self.run_sqlplus("setschedule", text, false));
        self.finish_step(Step::SCHEDULE, t, r.map(|_| None))
    }

    /// Step 2 (and action `missingarchlog`): returns the detail for the summary.
    fn missing_archivelogs(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Check if there are missing archivelogs");
        let out = self.sqlplus_entry("archivelogmissing", true, true)?;
        let commands = Markers::parse(&out.text)?.archivelog_backups;
        if commands.is_empty() {
            if self.dry_run.is_some() {
                self.note(
                    "rman: missingarchlog",
                    "only when the query above prints BACKUP force as copy lines",
                );
            }
            return Ok(Some("none missing".into()));
        }
        tracing::info!("- Copying missing archivelogs");
        self.rman("missingarchlog", RmanAction::MissingArchivelogs(&commands))?;
        self.summary.archivelogs_copied = commands.len();
        Ok(Some(format!("{} copied", commands.len())))
    }

    /// Step 3: archives the current log and writes the recovery point into
    /// `autorestore.cfg` (with the database parameters), so the snapshot taken next holds
    /// the point it can be recovered to.
    fn record_recovery_point(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Switch current log");
        let out = self.sqlplus_entry("archivecurrentlogs", true, true)?;
        if self.dry_run.is_some() {
            self.note(
                "file",
                &format!(
                    "write {} with lastscn/lasttime/bctfile from the query above",
                    self.ctx.params_path().display()
                ),
            );
            return Ok(None);
        }
        let m = Markers::parse(&out.text)?;
        let (Some(scn), Some(time)) = (m.scn, m.time) else {
            return Err(StepFailure::Missing(format!(
                "sqlplus archivecurrentlogs printed no {} line",
                if m.scn.is_none() {
                    "CURRENT DATABASE SCN:"
                } else {
                    "CURRENT DATABASE TIME:"
                }
            )));
        };
        let point = RecoveryPoint {
            scn,
            time: time
                .format(rman::parse::markers::MARKER_TIME_FORMAT)
                .to_string(),
            bct_file: m.bct_path().unwrap_or("").to_string(),
        };
        let path = self.ctx.params_path();
        let params = match RestoreParams::read(&path)? {
            Some(p) if !p.without_recovery_point().is_empty() => p,
            // First run (or a file without parameters): ask the database now, so that even
            // the first snapshot carries a complete file.
            _ => self.query_parameters()?,
        };
        params.with_recovery_point(&point).write_atomic(&path)?;
        let detail = format!("SCN {} at {}", point.scn, point.time);
        self.summary.recovery_point = Some((point.scn, point.time));
        Ok(Some(detail))
    }

    fn query_parameters(&mut self) -> Result<RestoreParams, StepFailure> {
        let out = self.sqlplus_entry("autorestoreparameters", true, true)?;
        let m = Markers::parse(&out.text)?;
        if m.dbconfig.is_empty() && self.dry_run.is_none() {
            return Err(StepFailure::Missing(
                "sqlplus autorestoreparameters printed no dbconfig- lines".into(),
            ));
        }
        Ok(RestoreParams::from_dbconfig(&m.dbconfig))
    }

    /// Step 4.
    async fn snapshot(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Snap the current backup area");
        let name = snapshot_name(&self.ctx.db.name, (self.clock)().with_timezone(&Local));
        if self.dry_run.is_some() {
            self.note("storage", &format!("create snapshot {name}"));
            return Ok(Some(name));
        }
        let storage = self.storage()?;
        let id = storage.create_snapshot(&name).await?;
        tracing::debug!("Created snapshot: {id}");
        self.summary.snapshot_created = Some(id.clone());
        Ok(Some(id))
    }

    /// Step 5.
    fn delete_expired_copies(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Checking for expired datafile copies");
        let out = self.sqlplus_entry("deletedatafilecopy", true, true)?;
        let commands = Markers::parse(&out.text)?.delete_copies;
        if commands.is_empty() {
            if self.dry_run.is_some() {
                self.note(
                    "rman: deletecopies",
                    "only when the query above prints DELETECOPY: lines",
                );
            }
            return Ok(Some("none".into()));
        }
        tracing::info!("- Deleting expired datafile copies");
        self.rman("deletecopies", RmanAction::DeleteCopies(&commands))?;
        self.summary.copies_deleted = commands.len();
        Ok(Some(format!("{} deleted", commands.len())))
    }

    /// Step 6.
    fn merge(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Refresh imagecopy");
        let out = self.rman("imagecopy", RmanAction::Backup(BackupLevel::ImageCopy))?;
        let s = RmanSummary::parse(&out.text);
        self.summary.copies_created = s.datafile_copies_completed;
        self.summary.copies_merged = s.recovered_copies.len();
        Ok(Some(format!(
            "{} copies created, {} merged",
            s.datafile_copies_completed,
            s.recovered_copies.len()
        )))
    }

    /// Step 8.
    async fn clean_snapshots(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Clean expired snapshots");
        let policy = self.ctx.db.retention;
        if self.dry_run.is_some() {
            self.note(
                "storage",
                &format!(
                    "clean expired snapshots (keep all for {} days, the newest of each month for {} months)",
                    policy.days, policy.months
                ),
            );
            return Ok(None);
        }
        let storage = self.storage()?;
        let report = ops::clean(storage, policy, (self.clock)(), false).await?;
        for e in &report.entries {
            tracing::debug!("{}", e.line());
        }
        self.summary.snapshots_dropped = report.dropped().iter().map(|s| s.to_string()).collect();
        if report.any_failed() {
            let failed: Vec<String> = report
                .entries
                .iter()
                .filter_map(|e| match &e.status {
                    ops::CleanStatus::DropFailed(why) => Some(format!("{}: {why}", e.snapshot.id)),
                    _ => None,
                })
                .collect();
            return Err(StepFailure::Missing(format!(
                "dropping expired snapshots failed: {}",
                failed.join("; ")
            )));
        }
        Ok(Some(format!(
            "{} dropped, {} kept",
            self.summary.snapshots_dropped.len(),
            report.entries.len() - self.summary.snapshots_dropped.len()
        )))
    }

    /// Diagnostics for the log: `srvctl config database` (when `gimanaged`) and
    /// `opatch lsinventory`. Failures are warnings.
    fn diagnostics(&mut self) {
        tracing::info!("Dump additional information about the environment to the log file");
        let t = Instant::now();
        let mut warnings = Vec::new();
        let mut calls: Vec<(Script, Vec<String>)> = Vec::new();
        if self.ctx.db.gimanaged {
            calls.push((
                Script::program(Tool::Srvctl, "dbinfo"),
                ["config", "database", "-d", self.ctx.db.name.as_str()]
                    .map(String::from)
                    .to_vec(),
            ));
        }
        calls.push((
            Script::program(Tool::Opatch, "lsinventory"),
            vec!["lsinventory".to_string()],
        ));
        for (script, args) in calls {
            match self.runner.program(&script, &args) {
                // The output is in the run log already (the runner writes it there).
                Ok(_) => tracing::debug!("{} {}: done", script.tool, args.join(" ")),
                Err(e) => {
                    tracing::warn!("{e}");
                    warnings.push(format!("{} failed", script.tool));
                }
            }
        }
        let outcome = if warnings.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Warning(warnings.join(", "))
        };
        self.done(Step::DIAGNOSTICS, t, outcome, None);
    }

    /// Step 9: the parameters a restore needs, written at the end like the original (the
    /// recovery point is written again before the next snapshot).
    fn record_parameters(&mut self) -> Result<Option<String>, StepFailure> {
        tracing::info!("Write database parameters for autorestore");
        let params = self.query_parameters()?;
        let path = self.ctx.params_path();
        if self.dry_run.is_some() {
            self.note("file", &format!("write {}", path.display()));
            return Ok(None);
        }
        params.write_atomic(&path)?;
        Ok(Some(path.display().to_string()))
    }

    async fn image_copy_with_snap(&mut self) -> Result<(), JobError> {
        let t = Instant::now();
        let r = self.missing_archivelogs();
        self.finish_step(Step::MISSING_ARCHIVELOGS, t, r)?;

        let t = Instant::now();
        let r = self.record_recovery_point();
        self.finish_step(Step::RECORD_RECOVERY_POINT, t, r)?;

        let t = Instant::now();
        if self.ctx.db.dosnapshot {
            let r = self.snapshot().await;
            // No snapshot, no merge: the snapshot protects the previous good copy.
            self.finish_step(Step::SNAPSHOT, t, r)?;
        } else {
            self.done(
                Step::SNAPSHOT,
                t,
                Outcome::Skipped("dosnapshot: false".into()),
                None,
            );
        }

        let t = Instant::now();
        let r = self.delete_expired_copies();
        self.finish_step(Step::DELETE_EXPIRED_COPIES, t, r)?;

        let t = Instant::now();
        let r = self.merge();
        self.finish_step(Step::MERGE, t, r)?;

        let t = Instant::now();
        let r = self
            .sqlplus_entry("archivecurrentlogs", true, false)
            .map(|_| None);
        self.finish_step(Step::ARCHIVE_AFTER_MERGE, t, r)?;

        // A failed clean does not stop the run: the backup is done, and the parameters must
        // still be recorded. The run still ends non-zero.
        let t = Instant::now();
        let clean = if self.ctx.db.dosnapshot {
            let r = self.clean_snapshots().await;
            self.finish_step(Step::CLEAN_SNAPSHOTS, t, r).err()
        } else {
            self.done(
                Step::CLEAN_SNAPSHOTS,
                t,
                Outcome::Skipped("dosnapshot: false".into()),
                None,
            );
            None
        };

        self.diagnostics();

        let t = Instant::now();
        let r = self.record_parameters();
        self.finish_step(Step::RECORD_PARAMETERS, t, r)?;
        match clean {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    // ----- plumbing ------------------------------------------------------------------------

    fn storage(&self) -> Result<&'a dyn SnapHandler, StepFailure> {
        self.storage.ok_or_else(|| {
            StepFailure::Missing("no storage backend configured for snapshots".into())
        })
    }

    fn note(&self, what: &str, step: &str) {
        if let Some(d) = self.dry_run {
            d.note(what, step);
        }
    }

    fn script(&self, tool: Tool, label: &str, text: String) -> Script {
        Script::new(tool, label, text).with_secrets(self.ctx.secrets.clone())
    }

    fn rman(&mut self, label: &str, action: RmanAction<'_>) -> Result<Output, StepFailure> {
        let text = rman_script(&self.ctx.templates, &self.ctx.subs, self.ctx.opts, action)?;
        let script = self.script(Tool::Rman, label, text);
        Ok(self.runner.rman(&script)?)
    }

    /// Runs template entry `entry` through SQL*Plus, with the header/footer entries when
    /// `header`.
    fn sqlplus_entry(
        &mut self,
        entry: &str,
        header: bool,
        silent: bool,
    ) -> Result<Output, StepFailure> {
        let body = self.ctx.templates.render(entry, &self.ctx.subs)?;
        let text = sqlplus_script(&self.ctx.templates, &self.ctx.subs, &body, header)?;
        self.run_sqlplus(entry, text, silent)
    }

    fn run_sqlplus(
        &mut self,
        label: &str,
        text: String,
        silent: bool,
    ) -> Result<Output, StepFailure> {
        let script = self.script(Tool::Sqlplus, label, text);
        Ok(self.runner.sqlplus(&script, silent)?)
    }

    fn done(&mut self, step: Step, started: Instant, outcome: Outcome, detail: Option<String>) {
        self.summary.record(StepRecord {
            step,
            duration: started.elapsed(),
            outcome,
            detail,
        });
    }

    fn failed(&mut self, step: Step, started: Instant, source: StepFailure) -> JobError {
        tracing::error!("{step} failed: {source}");
        self.done(step, started, Outcome::Failed(source.to_string()), None);
        JobError {
            step,
            source: Box::new(source),
        }
    }

    fn finish_step(
        &mut self,
        step: Step,
        started: Instant,
        result: Result<Option<String>, StepFailure>,
    ) -> Result<(), JobError> {
        match result {
            Ok(detail) => {
                self.done(step, started, Outcome::Ok, detail);
                Ok(())
            }
            Err(e) => Err(self.failed(step, started, e)),
        }
    }
}

//! One restore test of one database, step by step, the way the original tool ran it
//! (`autorestore.py` `runrestore`, `restorecommon.py` `RestoreDB.run/verify/blockcheck/
//! cleanup`), with our additions: every block of the clone is read without Oracle before
//! the instance starts, the time check works both ways, and the clean-up (instance, mount,
//! clone) always runs and reports what it could not undo.
//!
//! The flow only needs a storage backend ([`SnapHandler`]), a [`Runner`] for the Oracle
//! tools, the restore templates and a [`Mounter`]; the program around it records the
//! [`RestoreReport`] in the catalog.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backupcore::snap::{ops, CloneInfo, SnapError, SnapHandler};
use chrono::{DateTime, NaiveDateTime, Utc};
use rman::runner::{Runner, Script};
use rman::template::TemplateSet;

use crate::catalog::RestoreRecord;
use crate::scripts::{find_layout, switch_commands, CloneLayout, RestoreInputs, RestoreScripts};
use crate::verify::{check_blocks, check_time, rman_corrupt_blocks, BlockCheck, Verification};

/// The steps of a restore test, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Empty `autorestoredestination`.
    CleanDestination,
    /// Clone the newest snapshot old enough (`autorestoresnapage`).
    Clone,
    /// `mount <autorestoremountpoint>` (NFS storage; nothing for local storage).
    Mount,
    /// Find `autorestore.cfg`, render the scripts, write init.ora.
    Parameters,
    /// Read every block of the clone's image copies (dbfverify's checks).
    BlockCheck,
    /// `startupnomount`.
    StartInstance,
    /// `rmanmount`: restore the control file taken after the backup, mount.
    RestoreControlfile,
    /// `clearlogs`, `rmancatalog`: catalog the clone's copies and archivelogs.
    Catalog,
    /// `disablebct` (when the source had block change tracking).
    DisableBct,
    /// `switchdatafiles`: switch to the copies, create datafiles without a copy.
    SwitchDatafiles,
    /// The switch commands and `recoverdatafiles`: recover until the target.
    Recover,
    /// `openandverify`: open read only, check the time reached.
    OpenAndVerify,
    /// `validateblocks`, `showcorruptblocks` (validation days only).
    Validate,
}

impl Step {
    /// The step's name in logs and errors.
    pub fn name(self) -> &'static str {
        match self {
            Step::CleanDestination => "clean the restore destination",
            Step::Clone => "clone the snapshot",
            Step::Mount => "mount the clone",
            Step::Parameters => "read autorestore.cfg and write init.ora",
            Step::BlockCheck => "check every block of the image copies",
            Step::StartInstance => "start the instance (nomount)",
            Step::RestoreControlfile => "restore the control file and mount",
            Step::Catalog => "catalog the copies and archivelogs",
            Step::DisableBct => "disable block change tracking",
            Step::SwitchDatafiles => "switch to the copies",
            Step::Recover => "recover until the target time",
            Step::OpenAndVerify => "open read only and verify the time reached",
            Step::Validate => "validate every block with RMAN",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Mounts and unmounts the clone's NFS mount point (a user fstab entry, as the original).
pub trait Mounter: Send + Sync {
    /// Mounts the clone at `dir`; `source` is the storage's mount string of the clone
    /// (`host:/export/...`), for mounters that need it (a user fstab entry does not).
    fn mount(&self, dir: &Path, source: &str) -> Result<(), String>;
    /// `umount <dir>`.
    fn unmount(&self, dir: &Path) -> Result<(), String>;
}

/// `mount`/`umount` from `PATH`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemMounter;

fn run_cmd(program: &str, dir: &Path) -> Result<(), String> {
    let out = std::process::Command::new(program)
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr)
            .trim()
            .replace('\n', "; ");
        Err(format!(
            "{program} {} failed ({}): {err}",
            dir.display(),
            out.status
        ))
    }
}

impl Mounter for SystemMounter {
    fn mount(&self, dir: &Path, _source: &str) -> Result<(), String> {
        run_cmd("mount", dir)
    }
    fn unmount(&self, dir: &Path) -> Result<(), String> {
        run_cmd("umount", dir)
    }
}

/// A restore test, or a restore for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The automatic restore test: clone the newest snapshot old enough, recover to its
    /// recorded time, check the time within `maxtolerance`, then stop the instance and drop
    /// the clone.
    Test,
    /// The point-in-time restore (`restore`): clone `snapshot`, recover until `target`
    /// (database time), report the time reached, and leave the database open and the clone
    /// in place for the person who asked.
    PointInTime {
        /// The snapshot to clone (the oldest taken at or after the target).
        snapshot: String,
        /// Recover until this time.
        target: NaiveDateTime,
    },
}

/// What a restore test of one database needs to know (from `backup.cfg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSettings {
    /// A test, or a point-in-time restore.
    pub mode: Mode,
    /// The database (`db_unique_name`, its section).
    pub database: String,
    /// `dbid`.
    pub dbid: u64,
    /// `autorestoredestination`: must exist; emptied first.
    pub destination: PathBuf,
    /// `autorestoremountpoint`: where the clone is mounted (NFS storage).
    pub mountpoint: Option<PathBuf>,
    /// `autorestoreclonename`.
    pub clonename: String,
    /// `autorestoresnapage`.
    pub snapage: Duration,
    /// `autorestorelogdir` (the instance's diagnostic_dest too).
    pub logdir: PathBuf,
    /// This run's log file.
    pub logfile: PathBuf,
    /// `autorestoremaxtoleranceminutes`.
    pub maxtolerance: Duration,
    /// `customverifydate`.
    pub customverifydate: String,
    /// `autorestorethread`.
    pub thread: u32,
    /// `autorestoreinstancenumber`.
    pub instance_number: u32,
    /// `sga_size`.
    pub sga_size: Option<String>,
    /// `pga_size`.
    pub pga_size: Option<String>,
    /// Validate every block with RMAN this time.
    pub validate: bool,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// The step.
    pub step: Step,
    /// How long it took.
    pub elapsed: Duration,
    /// `Ok(detail)` or `Err(why)`.
    pub result: Result<String, String>,
}

/// Everything a restore test found, for the log, the catalog and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The database.
    pub database: String,
    /// Start (UTC).
    pub started: DateTime<Utc>,
    /// End, after the clean-up (UTC).
    pub finished: DateTime<Utc>,
    /// The steps run, in order.
    pub steps: Vec<StepResult>,
    /// The step that failed and why; `None` when the restore succeeded.
    pub failure: Option<(Step, String)>,
    /// The snapshot cloned.
    pub snapshot: Option<String>,
    /// The time recovered to.
    pub target: Option<NaiveDateTime>,
    /// The time check.
    pub verification: Option<Verification>,
    /// Whether RMAN validated every block.
    pub validated: bool,
    /// What reading the clone's blocks found.
    pub block_check: Option<BlockCheck>,
    /// Corrupt blocks found (block check plus RMAN validation); `None` if never checked.
    pub corrupt_blocks: Option<u64>,
    /// What the clean-up could not undo (instance, mount, clone).
    pub cleanup_errors: Vec<String>,
}

impl RestoreReport {
    /// Whether the restore succeeded (the clean-up may still have failed).
    pub fn success(&self) -> bool {
        self.failure.is_none()
    }

    /// The catalog record of this test.
    pub fn record(&self, host: &str, log_path: &Path, log_content: String) -> RestoreRecord {
        RestoreRecord {
            id: 0,
            database: self.database.clone(),
            started: self.started,
            finished: self.finished,
            success: self.success(),
            snapshot: self.snapshot.clone(),
            restore_target: self.target,
            verification_diff_seconds: self.verification.as_ref().map(|v| v.diff_seconds),
            validated: self.validated,
            corrupt_blocks: self.corrupt_blocks,
            host: host.to_string(),
            log_path: log_path.display().to_string(),
            log_content,
        }
    }
}

/// One restore test; [`RestoreTest::run`] carries it out.
pub struct RestoreTest<'a> {
    /// Settings of the database.
    pub settings: RestoreSettings,
    /// Its storage.
    pub storage: &'a dyn SnapHandler,
    /// The Oracle tools of the sandbox (`ORACLE_SID` = the database's `db_name`).
    pub runner: &'a dyn Runner,
    /// The restore templates.
    pub templates: TemplateSet,
    /// Mounts NFS clones.
    pub mounter: &'a dyn Mounter,
    /// Set (by a signal handler) to stop after the current step; the clean-up still runs.
    pub cancel: &'a AtomicBool,
}

/// What the steps have set up, for the clean-up.
#[derive(Default)]
struct Progress {
    clone: Option<CloneInfo>,
    mounted: Option<PathBuf>,
    instance_started: bool,
}

struct Failed(Step, String);

impl<'a> RestoreTest<'a> {
    /// Runs the test: every step until one fails (or `cancel` is set), then the clean-up.
    /// Never panics on outside input; everything is in the report.
    pub async fn run(&self) -> RestoreReport {
        let started = Utc::now();
        let mut report = RestoreReport {
            database: self.settings.database.clone(),
            started,
            finished: started,
            steps: Vec::new(),
            failure: None,
            snapshot: None,
            target: None,
            verification: None,
            validated: false,
            block_check: None,
            corrupt_blocks: None,
            cleanup_errors: Vec::new(),
        };
        let mut progress = Progress::default();
        if let Err(Failed(step, why)) = self.steps(&mut report, &mut progress).await {
            tracing::debug!("{}: step '{step}' failed: {why}", self.settings.database);
            report.failure = Some((step, why));
        }
        self.cleanup(&mut report, &progress).await;
        report.finished = Utc::now();
        report
    }

    fn timed<T>(
        &self,
        report: &mut RestoreReport,
        step: Step,
        f: impl FnOnce() -> Result<(T, String), String>,
    ) -> Result<T, Failed> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(Failed(
                step,
                "interrupted (SIGINT/SIGTERM) before this step".into(),
            ));
        }
        tracing::info!("{}: {step}", self.settings.database);
        let t0 = Instant::now();
        let r = f();
        let elapsed = t0.elapsed();
        match r {
            Ok((value, detail)) => {
                report.steps.push(StepResult {
                    step,
                    elapsed,
                    result: Ok(detail),
                });
                Ok(value)
            }
            Err(why) => {
                report.steps.push(StepResult {
                    step,
                    elapsed,
                    result: Err(why.clone()),
                });
                Err(Failed(step, why))
            }
        }
    }

    fn sqlplus(
        &self,
        scripts: &RestoreScripts,
        entry: &str,
        label: &str,
    ) -> Result<String, String> {
        let text = scripts.sqlplus(entry).map_err(|e| e.to_string())?;
        self.runner
            .sqlplus(&Script::sqlplus(label, text), false)
            .map(|o| o.text)
            .map_err(|e| e.to_string())
    }

    fn rman(
        &self,
        label: &str,
        text: Result<String, crate::scripts::ScriptsError>,
    ) -> Result<String, String> {
        let text = text.map_err(|e| e.to_string())?;
        self.runner
            .rman(&Script::rman(label, text))
            .map(|o| o.text)
            .map_err(|e| e.to_string())
    }

    async fn steps(
        &self,
        report: &mut RestoreReport,
        progress: &mut Progress,
    ) -> Result<(), Failed> {
        let s = &self.settings;
        self.timed(report, Step::CleanDestination, || {
            empty_directory(&s.destination).map(|n| ((), format!("{n} entries removed")))
        })?;

        // Clone: a clone of the same name left by an interrupted run goes first.
        if self.cancel.load(Ordering::SeqCst) {
            return Err(Failed(
                Step::Clone,
                "interrupted (SIGINT/SIGTERM) before this step".into(),
            ));
        }
        let t0 = Instant::now();
        let cloned = async {
            if let Mode::PointInTime { snapshot, .. } = &s.mode {
                let snaps = ops::list_sorted(self.storage)
                    .await
                    .map_err(|e| e.to_string())?;
                let info = snaps
                    .into_iter()
                    .find(|x| &x.id == snapshot)
                    .ok_or_else(|| format!("snapshot {snapshot} not found"))?;
                let clone = self
                    .storage
                    .clone_snapshot(snapshot, &s.clonename)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok((info, clone));
            }
            match self.storage.drop_clone(&s.clonename).await {
                Ok(()) => tracing::warn!(
                    "{}: dropped clone {} left by an earlier run",
                    s.database,
                    s.clonename
                ),
                Err(SnapError::NotFound { .. }) => {}
                Err(e) => {
                    return Err(format!(
                        "clone {} exists and cannot be dropped: {e}",
                        s.clonename
                    ))
                }
            }
            ops::autoclone(self.storage, s.snapage, &s.clonename, Utc::now())
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        let (snapshot, clone) = match cloned {
            Ok(x) => x,
            Err(why) => {
                report.steps.push(StepResult {
                    step: Step::Clone,
                    elapsed: t0.elapsed(),
                    result: Err(why.clone()),
                });
                return Err(Failed(Step::Clone, why));
            }
        };
        report.steps.push(StepResult {
            step: Step::Clone,
            elapsed: t0.elapsed(),
            result: Ok(format!("{} of snapshot {}", clone.name, snapshot.id)),
        });
        report.snapshot = Some(snapshot.id.clone());
        progress.clone = Some(clone.clone());

        // What to mount (`host:/export/...`), looked up before the step for NFS storage.
        let source = if self.storage.is_local() {
            Ok(String::new())
        } else {
            self.storage
                .mount_string(&clone.name)
                .await
                .map_err(|e| format!("looking up the clone's mount string: {e}"))
        };
        let mount_dir = self.timed(report, Step::Mount, || {
            let source = source?;
            if self.storage.is_local() {
                let dir = PathBuf::from(&clone.mount_point);
                return Ok((dir.clone(), format!("local storage: {}", dir.display())));
            }
            let dir = s.mountpoint.clone().ok_or_else(|| {
                "[autorestore] autorestoremountpoint is not set (NFS storage needs the clone mounted)".to_string()
            })?;
            self.mounter.mount(&dir, &source)?;
            Ok((dir.clone(), format!("mounted {}", dir.display())))
        })?;
        if !self.storage.is_local() {
            progress.mounted = Some(mount_dir.clone());
        }

        let (layout, scripts) = self.timed(report, Step::Parameters, || {
            let layout: CloneLayout = find_layout(&mount_dir).map_err(|e| e.to_string())?;
            let inputs = RestoreInputs {
                layout: layout.clone(),
                destination: s.destination.clone(),
                logdir: s.logdir.clone(),
                logfile: s.logfile.clone(),
                target: match &s.mode {
                    Mode::Test => None,
                    Mode::PointInTime { target, .. } => Some(*target),
                },
                dbid: s.dbid,
                instance_number: s.instance_number,
                thread: s.thread,
                sga_size: s.sga_size.clone(),
                pga_size: s.pga_size.clone(),
                customverifydate: s.customverifydate.clone(),
            };
            let scripts = RestoreScripts::prepare(self.templates.clone(), &inputs)
                .map_err(|e| e.to_string())?;
            let init = scripts.init_ora().map_err(|e| e.to_string())?;
            std::fs::write(scripts.init_ora_path(), &init)
                .map_err(|e| format!("cannot write {}: {e}", scripts.init_ora_path().display()))?;
            tracing::debug!("init.ora {}:\n{init}", scripts.init_ora_path().display());
            let detail = format!(
                "target {}, {} volume(s), init.ora {}",
                scripts.target(),
                layout.volumes.len(),
                scripts.init_ora_path().display()
            );
            Ok(((layout, scripts), detail))
        })?;
        report.target = Some(scripts.target());

        let check = self.timed(report, Step::BlockCheck, || {
            let check = check_blocks(&layout.volumes);
            let line = check.line();
            Ok((check, line))
        })?;
        report.corrupt_blocks = Some(check.corrupt);
        let bad = check.corrupt > 0 || !check.unreadable.is_empty() || check.files == 0;
        let line = if check.files == 0 {
            format!(
                "no datafile copy in the clone of snapshot {} (taken before the first backup made the copies?)",
                snapshot.id
            )
        } else {
            check.line()
        };
        report.block_check = Some(check);
        if bad {
            if let Some(last) = report.steps.last_mut() {
                last.result = Err(line.clone());
            }
            return Err(Failed(Step::BlockCheck, line));
        }

        self.timed(report, Step::StartInstance, || {
            self.sqlplus(&scripts, "startupnomount", "startupnomount")
                .map(|_| ((), "instance started".to_string()))
        })?;
        progress.instance_started = true;
        self.timed(report, Step::RestoreControlfile, || {
            self.rman("rmanmount", scripts.rman_entry("rmanmount"))
                .map(|_| ((), "mounted".to_string()))
        })?;
        self.timed(report, Step::Catalog, || {
            self.sqlplus(&scripts, "clearlogs", "clearlogs")?;
            self.rman("rmancatalog", scripts.rman_entry("rmancatalog"))
                .map(|_| ((), format!("{} volume(s) cataloged", layout.volumes.len())))
        })?;
        if scripts.has_bct() {
            self.timed(report, Step::DisableBct, || {
                self.sqlplus(&scripts, "disablebct", "disablebct")
                    .map(|_| ((), "disabled".to_string()))
            })?;
        }
        let switches = self.timed(report, Step::SwitchDatafiles, || {
            let out = self.sqlplus(&scripts, "switchdatafiles", "switchdatafiles")?;
            let cmds = switch_commands(&out);
            if cmds.is_empty() {
                return Err("switchdatafiles printed no RENAMEDF- command".to_string());
            }
            let created = out
                .lines()
                .filter(|l| l.starts_with("Creating new file"))
                .count();
            let detail = format!(
                "{} switch command(s), {created} datafile(s) created empty",
                cmds.len()
            );
            Ok((cmds, detail))
        })?;
        self.timed(report, Step::Recover, || {
            self.rman("recoverdatafiles", scripts.recover(&switches))
                .map(|_| ((), format!("until {}", scripts.target())))
        })?;
        let verification = self.timed(report, Step::OpenAndVerify, || {
            let out = self.sqlplus(&scripts, "openandverify", "openandverify")?;
            // A person's restore reports how far the data reaches; a test enforces it.
            let tolerance = match s.mode {
                Mode::Test => s.maxtolerance,
                Mode::PointInTime { .. } => Duration::from_secs(u64::MAX),
            };
            let v = check_time(&out, scripts.target(), tolerance).map_err(|e| e.to_string())?;
            let detail = format!(
                "reached {} ({} s from the target), SCN {}",
                v.verified,
                v.diff_seconds,
                v.scn.map_or_else(|| "?".to_string(), |n| n.to_string())
            );
            Ok((v, detail))
        });
        match verification {
            Ok(v) => report.verification = Some(v),
            Err(f) => return Err(f),
        }
        if s.validate {
            let mut rman_found = 0;
            let result = self.timed(report, Step::Validate, || {
                let validated = self.rman("validateblocks", scripts.rman_entry("validateblocks"));
                let rows = self.sqlplus(&scripts, "showcorruptblocks", "showcorruptblocks")?;
                rman_found = rman_corrupt_blocks(&rows);
                if rman_found > 0 {
                    return Err(format!(
                        "RMAN validation found {rman_found} corrupt block(s) (v$database_block_corruption)"
                    ));
                }
                validated.map(|_| ((), "no corrupt block".to_string()))
            });
            report.validated = true;
            report.corrupt_blocks = Some(report.corrupt_blocks.unwrap_or(0) + rman_found);
            result?;
        }
        Ok(())
    }

    /// Always: stop the instance, unmount, drop the clone. Each failure is reported, none
    /// stops the rest.
    async fn cleanup(&self, report: &mut RestoreReport, progress: &Progress) {
        let db = &self.settings.database;
        if let Mode::PointInTime { .. } = self.settings.mode {
            // The restored database is for the person who asked: nothing is undone.
            return;
        }
        if progress.instance_started {
            if let Err(e) = self.stop_instance() {
                tracing::error!("{db}: {e}");
                report.cleanup_errors.push(e);
            }
        }
        if let Some(dir) = &progress.mounted {
            if let Err(e) = self.mounter.unmount(dir) {
                tracing::error!("{db}: {e}");
                report.cleanup_errors.push(e);
            }
        }
        if let Some(clone) = &progress.clone {
            match self.storage.drop_clone(&clone.name).await {
                Ok(()) => tracing::info!("{db}: clone {} dropped", clone.name),
                Err(e) => {
                    let e = format!("dropping clone {}: {e}", clone.name);
                    tracing::error!("{db}: {e}");
                    report.cleanup_errors.push(e);
                }
            }
        }
    }

    /// `shutdown` (immediate); `shutdownabort` when that fails.
    fn stop_instance(&self) -> Result<(), String> {
        tracing::info!("{}: stopping the restore instance", self.settings.database);
        let set = &self.templates;
        let subs = rman::template::Substitutions::new()
            .with("logfile", self.settings.logfile.display().to_string());
        let script = |entry: &str| -> Result<String, String> {
            Ok(format!(
                "{}\n{}\n{}\n",
                set.render("sqlplusheader", &subs)
                    .map_err(|e| e.to_string())?,
                set.render(entry, &subs).map_err(|e| e.to_string())?,
                set.render("sqlplusfooter", &subs)
                    .map_err(|e| e.to_string())?
            ))
        };
        let immediate = script("shutdown").and_then(|t| {
            self.runner
                .sqlplus(&Script::sqlplus("shutdown", t), false)
                .map_err(|e| e.to_string())
        });
        match immediate {
            Ok(_) => Ok(()),
            Err(first) => {
                tracing::warn!(
                    "{}: shutdown immediate failed ({first}); aborting the instance",
                    self.settings.database
                );
                script("shutdownabort")
                    .and_then(|t| {
                        self.runner
                            .sqlplus(&Script::sqlplus("shutdownabort", t), false)
                            .map_err(|e| e.to_string())
                    })
                    .map(drop)
                    .map_err(|e| format!("stopping the restore instance: {e}"))
            }
        }
    }
}

/// Removes everything inside `dir` (which must be a directory); returns how many entries.
fn empty_directory(dir: &Path) -> Result<usize, String> {
    let meta = std::fs::metadata(dir).map_err(|e| {
        format!(
            "autorestoredestination {}: {e} (create it, empty, for the restore instance)",
            dir.display()
        )
    })?;
    if !meta.is_dir() {
        return Err(format!(
            "autorestoredestination {} is not a directory",
            dir.display()
        ));
    }
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut n = 0;
    for entry in rd {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let removed = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

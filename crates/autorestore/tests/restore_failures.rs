//! A failure injected in every step of a restore test: the test fails naming that step,
//! and the clean-up still stops the instance and drops the clone, so the next test of the
//! same database starts clean. One test function: the simulator's faults are set through
//! the environment, which the cases change one after the other.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod world;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use autorestore::flow::{Mounter, RestoreReport, RestoreSettings, Step, SystemMounter};
use backupcore::snap::{CloneInfo, FilesystemInfo, SnapError, SnapHandler, SnapshotInfo};
use rman::template::{TemplateKind, TemplateSet};
use snapper_local::LocalSnapper;
use world::World;

/// The local storage, seen as if it were NFS storage (clones need mounting).
struct AsNfs(LocalSnapper);

#[async_trait]
impl SnapHandler for AsNfs {
    fn backend(&self) -> &str {
        "nfs-like"
    }
    fn database(&self) -> &str {
        self.0.database()
    }
    async fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>, SnapError> {
        self.0.list_snapshots().await
    }
    async fn create_snapshot(&self, name: &str) -> Result<String, SnapError> {
        self.0.create_snapshot(name).await
    }
    async fn drop_snapshot(&self, id: &str) -> Result<(), SnapError> {
        self.0.drop_snapshot(id).await
    }
    async fn clone_snapshot(&self, s: &str, c: &str) -> Result<CloneInfo, SnapError> {
        self.0.clone_snapshot(s, c).await
    }
    async fn drop_clone(&self, c: &str) -> Result<(), SnapError> {
        self.0.drop_clone(c).await
    }
    async fn list_clones(&self) -> Result<Vec<CloneInfo>, SnapError> {
        self.0.list_clones().await
    }
    async fn filesystem_info(&self, n: Option<&str>) -> Result<FilesystemInfo, SnapError> {
        self.0.filesystem_info(n).await
    }
    async fn mount_string(&self, n: &str) -> Result<String, SnapError> {
        self.0.mount_string(n).await
    }
    async fn create_volume(&self) -> Result<FilesystemInfo, SnapError> {
        self.0.create_volume().await
    }
}

/// A mounter that fails to mount, and records what it was asked.
#[derive(Default)]
struct FailingMounter(Mutex<Vec<String>>);

impl Mounter for FailingMounter {
    fn mount(&self, dir: &Path, _source: &str) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .push(format!("mount {}", dir.display()));
        Err(format!(
            "mount {}: mount point does not exist",
            dir.display()
        ))
    }
    fn unmount(&self, dir: &Path) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .push(format!("umount {}", dir.display()));
        Ok(())
    }
}

struct Case {
    name: &'static str,
    fault: Option<&'static str>,
    settings: fn(&mut RestoreSettings),
    templates: Option<&'static str>,
    want: Step,
    why: &'static str,
}

fn instance_running(w: &World) -> bool {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.sim().join("simdb/state.json")).unwrap()).unwrap();
    // The key is there (null when no instance runs): a renamed field must not make this
    // check pass by default.
    assert!(
        state.as_object().unwrap().contains_key("instance"),
        "{state}"
    );
    !state["instance"].is_null()
}

fn check(w: &World, name: &str, report: &RestoreReport, want: Step, why: &str) {
    let (step, message) = report
        .failure
        .clone()
        .unwrap_or_else(|| panic!("{name}: the restore did not fail: {report:#?}"));
    assert_eq!(step, want, "{name}: {message}");
    assert!(message.contains(why), "{name}: {message:?} lacks {why:?}");
    assert!(report.cleanup_errors.is_empty(), "{name}: {report:#?}");
    assert!(
        !instance_running(w),
        "{name}: the instance is still running"
    );
    // The failed step is the last one recorded, with its error.
    let last = report.steps.last().unwrap();
    assert_eq!(last.step, want, "{name}");
    assert!(last.result.is_err(), "{name}");
}

#[tokio::test]
async fn every_step_fails_cleanly() {
    let w = World::new("orcl");
    w.backed_up(2);
    let storage = w.storage();
    let cases = [
        Case {
            name: "destination missing",
            fault: None,
            settings: |s| s.destination = PathBuf::from("/nonexistent/autorestore/dest"),
            templates: None,
            want: Step::CleanDestination,
            why: "autorestoredestination /nonexistent/autorestore/dest",
        },
        Case {
            name: "no snapshot old enough",
            fault: None,
            settings: |s| s.snapage = Duration::from_secs(1000 * 3600),
            templates: None,
            want: Step::Clone,
            why: "no snapshot of orcl is at least 1000 hours old",
        },
        Case {
            name: "a template that cannot be rendered",
            fault: None,
            settings: |_| {},
            templates: Some("[template]\nautoinitora: *.db_name='${nosuchvalue}'\n"),
            want: Step::Parameters,
            why: "nosuchvalue",
        },
        Case {
            name: "startup fails",
            fault: Some("sqlplus:startup"),
            settings: |_| {},
            templates: None,
            want: Step::StartInstance,
            why: "ORA-27102",
        },
        Case {
            name: "control file restore fails",
            fault: Some("rman:restorecontrolfile"),
            settings: |_| {},
            templates: None,
            want: Step::RestoreControlfile,
            why: "ORA-19870",
        },
        Case {
            name: "catalog fails",
            fault: Some("rman:catalog"),
            settings: |_| {},
            templates: None,
            want: Step::Catalog,
            why: "ORA-19625",
        },
        Case {
            name: "disabling BCT fails",
            fault: Some("sqlplus:disablebct"),
            settings: |_| {},
            templates: None,
            want: Step::DisableBct,
            why: "ORA-19755",
        },
        Case {
            name: "switching to the copies fails",
            fault: Some("sqlplus:switchdatafiles"),
            settings: |_| {},
            templates: None,
            want: Step::SwitchDatafiles,
            why: "no RENAMEDF- command",
        },
        Case {
            name: "recovery fails",
            fault: Some("rman:recoverdatabase"),
            settings: |_| {},
            templates: None,
            want: Step::Recover,
            why: "RMAN-03002",
        },
        Case {
            name: "open fails",
            fault: Some("sqlplus:open"),
            settings: |_| {},
            templates: None,
            want: Step::OpenAndVerify,
            why: "ORA-01113",
        },
        Case {
            name: "the verification query fails",
            fault: None,
            settings: |s| s.customverifydate = "select max(order_time) from app.orders".into(),
            templates: None,
            want: Step::OpenAndVerify,
            why: "ORA-00942",
        },
        Case {
            name: "validation fails",
            fault: Some("rman:validate"),
            settings: |s| s.validate = true,
            templates: None,
            want: Step::Validate,
            why: "RMAN-03009",
        },
    ];
    for case in &cases {
        match case.fault {
            Some(f) => std::env::set_var("ORACLE_SIM_FAIL", f),
            None => std::env::remove_var("ORACLE_SIM_FAIL"),
        }
        let mut settings = w.settings(false);
        (case.settings)(&mut settings);
        let templates = match case.templates {
            Some(t) => TemplateSet::with_user_text(
                TemplateKind::Restore,
                Path::new("restoretemplate.cfg"),
                t,
            )
            .unwrap(),
            None => TemplateSet::builtin(TemplateKind::Restore).unwrap(),
        };
        let report = w
            .restore(&storage, settings, templates, &SystemMounter)
            .await;
        std::env::remove_var("ORACLE_SIM_FAIL");
        check(&w, case.name, &report, case.want, case.why);
        assert!(
            storage.list_clones().await.unwrap().is_empty(),
            "{}: clone left behind",
            case.name
        );
    }

    // Mounting (NFS storage): no mount point configured; a mount that fails. The clone is
    // dropped, nothing is unmounted that was not mounted.
    let nfs = AsNfs(w.storage());
    let report = w
        .restore(
            &nfs,
            w.settings(false),
            TemplateSet::builtin(TemplateKind::Restore).unwrap(),
            &SystemMounter,
        )
        .await;
    check(
        &w,
        "no mount point",
        &report,
        Step::Mount,
        "autorestoremountpoint is not set",
    );
    let mounter = FailingMounter::default();
    let mut settings = w.settings(false);
    settings.mountpoint = Some(w.base().join("mnt"));
    let report = w
        .restore(
            &nfs,
            settings,
            TemplateSet::builtin(TemplateKind::Restore).unwrap(),
            &mounter,
        )
        .await;
    check(
        &w,
        "mount fails",
        &report,
        Step::Mount,
        "mount point does not exist",
    );
    assert_eq!(
        mounter.0.lock().unwrap().len(),
        1,
        "unmounted what was not mounted"
    );
    assert!(storage.list_clones().await.unwrap().is_empty());

    // After all that, a restore test of the same database succeeds.
    let report = w
        .restore(
            &storage,
            w.settings(true),
            TemplateSet::builtin(TemplateKind::Restore).unwrap(),
            &SystemMounter,
        )
        .await;
    assert_eq!(report.failure, None, "{report:#?}");
}

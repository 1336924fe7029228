//! RMAN run summaries of the original tool's real outputs.
#![allow(clippy::unwrap_used)]

mod common;
use common::fixture;

use chrono::{NaiveDateTime, TimeDelta};
use rman::parse::{BackupPiece, CopyOutput, RecoveredCopy, RmanSummary, TargetDatabase};

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn piece(handle: &str, tag: Option<&str>) -> BackupPiece {
    BackupPiece {
        handle: handle.into(),
        tag: tag.map(Into::into),
        comment: Some("NONE".into()),
    }
}

#[test]
fn config_run() {
    let s = RmanSummary::parse(&fixture("orcl_20161108T215324_config.log"));
    assert_eq!(s.release.as_deref(), Some("12.1.0.2.0"));
    assert_eq!(
        s.target,
        Some(TargetDatabase {
            name: Some("ORCL".into()),
            dbid: Some(1_433_672_784)
        })
    );
    assert_eq!(s.configurations_stored, 9);
    assert!(s.complete);
    assert!(s.channels.is_empty());
    assert!(s.commands.is_empty());
    assert!(s.pieces.is_empty());
    assert_eq!(s.elapsed(), None);
}

#[test]
fn imagecopy_run() {
    let s = RmanSummary::parse(&fixture("orcl_20161108T215335_imagecopywithsnap.log"));
    assert_eq!(s.release.as_deref(), Some("12.1.0.2.0"));
    assert_eq!(s.target.as_ref().unwrap().dbid, Some(1_433_672_784));
    assert!(!s.catalog_connected);
    assert!(s.complete);
    assert_eq!(
        s.channels,
        ["ORA_DISK_1", "ORA_DISK_2", "ORA_DISK_3", "ORA_DISK_4"]
    );
    assert_eq!(s.channel_allocations, 8);
    assert_eq!(s.channel_releases, 4);

    let cmds: Vec<(&str, Option<NaiveDateTime>, Option<NaiveDateTime>, bool)> = s
        .commands
        .iter()
        .map(|c| (c.command.as_str(), c.started, c.finished, c.completed))
        .collect();
    let autobackup = "Control File and SPFILE Autobackup";
    assert_eq!(
        cmds,
        [
            (
                "backup",
                Some(t("2016-11-08 21:53:37")),
                Some(t("2016-11-08 21:53:42")),
                true
            ),
            (
                "recover",
                Some(t("2016-11-08 21:53:43")),
                Some(t("2016-11-08 21:53:45")),
                true
            ),
            (
                autobackup,
                Some(t("2016-11-08 21:53:45")),
                Some(t("2016-11-08 21:53:46")),
                true
            ),
            (
                "backup",
                Some(t("2016-11-08 21:53:48")),
                Some(t("2016-11-08 21:53:49")),
                true
            ),
            (
                "backup",
                Some(t("2016-11-08 21:53:49")),
                Some(t("2016-11-08 21:53:51")),
                true
            ),
            (
                autobackup,
                Some(t("2016-11-08 21:53:51")),
                Some(t("2016-11-08 21:53:52")),
                true
            ),
        ]
    );
    assert_eq!(s.commands_named("backup").count(), 3);
    assert_eq!(s.started(), Some(t("2016-11-08 21:53:37")));
    assert_eq!(s.finished(), Some(t("2016-11-08 21:53:52")));
    assert_eq!(s.elapsed(), Some(TimeDelta::seconds(15)));

    let inputs: Vec<(u32, &str)> = s
        .input_datafiles
        .iter()
        .map(|d| (d.file_number, d.name.as_str()))
        .collect();
    assert_eq!(
        inputs,
        [
            (
                1,
                "/u01/app/oracle/oradata/ORCL/datafile/o1_mf_system_cfvpb0o0_.dbf"
            ),
            (
                2,
                "/u01/app/oracle/oradata/ORCL/datafile/o1_mf_sysaux_cfvpb3ph_.dbf"
            ),
            (
                3,
                "/u01/app/oracle/oradata/ORCL/datafile/o1_mf_undotbs1_cfvpb5hx_.dbf"
            ),
            (
                4,
                "/u01/app/oracle/oradata/ORCL/datafile/o1_mf_users_cfvpbkmx_.dbf"
            ),
        ]
    );

    let tag = Some("IMAGE_COPY_BACKUP");
    assert_eq!(
        s.pieces,
        [
            piece("/nfs/backup/orcl/6brke9r3_1_1", tag),
            piece("/nfs/backup/orcl/6crke9r3_1_1", tag),
            piece("/nfs/backup/orcl/6drke9r3_1_1", tag),
            piece("/nfs/backup/orcl/6erke9r3_1_1", tag),
            piece("/nfs/backup/orcl/c-1433672784-20161108-02", None),
            piece("/nfs/backup/orcl/6grke9rc_1_1", tag),
            piece("/nfs/backup/orcl/after_backup_controlfile.cf", tag),
            piece("/nfs/backup/orcl/c-1433672784-20161108-03", None),
        ]
    );
    assert_eq!(s.backup_sets_completed, 6);

    // The image copies already existed: this run only rolled them forward.
    assert!(s.copies.is_empty());
    assert_eq!(s.datafile_copies_completed, 0);
    assert_eq!(
        s.recovered_copies,
        [
            RecoveredCopy {
                file_number: 1,
                name: "/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-SYSTEM_FNO-1_3tr6dcnn".into()
            },
            RecoveredCopy {
                file_number: 2,
                name: "/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-SYSAUX_FNO-2_3ur6dcnn".into()
            },
            RecoveredCopy {
                file_number: 3,
                name: "/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-UNDOTBS1_FNO-3_3vr6dcog".into()
            },
            RecoveredCopy {
                file_number: 4,
                name: "/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-USERS_FNO-4_40r6dcok".into()
            },
        ]
    );
    assert_eq!(s.pieces_restored, 4);
    assert_eq!(s.restores_completed, 4);

    assert_eq!(s.deleted.len(), 6);
    assert_eq!(s.deleted_reported, 6);
    assert!(s.deleted.iter().all(|d| d.kind == "backup piece"));
    assert_eq!(
        s.deleted[0].name.as_deref(),
        Some("/nfs/backup/orcl/68rke9n5_1_1")
    );
    assert_eq!(s.deleted[0].recid, Some(145));
    assert_eq!(
        s.deleted[5].name.as_deref(),
        Some("/nfs/backup/orcl/6brke9r3_1_1")
    );
    assert_eq!(s.deleted[5].recid, Some(151));
    assert_eq!(s.configurations_stored, 0);
}

/// A first image copy: RMAN 12.1 output shape for `backup as copy` (our own text, modelled on
/// public RMAN output examples).
#[test]
fn image_copy_creation() {
    let text = "\
Starting backup at 08-NOV-16
allocated channel: ORA_DISK_1
channel ORA_DISK_1: SID=46 device type=DISK
channel ORA_DISK_1: starting datafile copy
input datafile file number=00001 name=/u01/oradata/ORCL/system01.dbf
output file name=/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-SYSTEM_FNO-1_3tr6dcnn tag=IMAGE_COPY_BACKUP RECID=12 STAMP=927409893
channel ORA_DISK_1: datafile copy complete, elapsed time: 00:00:15
channel ORA_DISK_1: starting archived log copy
input archived log thread=1 sequence=15 RECID=30 STAMP=927409000
output file name=/nfs/backup/orcl/archivelog/1_15_927000000.dbf RECID=31 STAMP=927409901
channel ORA_DISK_1: archived log copy complete, elapsed time: 00:00:01
Finished backup at 08-NOV-16
";
    let s = RmanSummary::parse(text);
    assert_eq!(
        s.copies,
        [
            CopyOutput {
                file_name: "/nfs/backup/orcl/data_D-ORCL_I-1433672784_TS-SYSTEM_FNO-1_3tr6dcnn"
                    .into(),
                tag: Some("IMAGE_COPY_BACKUP".into()),
                recid: Some(12),
                stamp: Some(927_409_893),
            },
            CopyOutput {
                file_name: "/nfs/backup/orcl/archivelog/1_15_927000000.dbf".into(),
                tag: None,
                recid: Some(31),
                stamp: Some(927_409_901),
            },
        ]
    );
    assert_eq!(s.datafile_copies_completed, 1);
    assert_eq!(s.commands[0].started, Some(t("2016-11-08 00:00:00")));
    assert!(s.commands[0].completed);
    assert!(!s.complete);
}

#[test]
fn unusual_lines_do_not_break() {
    let text = "\
connected to target database (not started)
connected to recovery catalog database
Finished restore at garbage
Starting backup at
piece handle=
output file name=
input datafile file number=abc name=/x
recovering datafile copy file number=00001
deleted backup piece
Deleted many objects
allocated channel: 
channel : x
";
    let s = RmanSummary::parse(text);
    assert_eq!(
        s.target,
        Some(TargetDatabase {
            name: None,
            dbid: None
        })
    );
    assert!(s.catalog_connected);
    assert_eq!(s.commands.len(), 1);
    assert_eq!(s.commands[0].finished, None);
    assert!(s.pieces.is_empty() && s.copies.is_empty());
    assert!(s.input_datafiles.is_empty() && s.recovered_copies.is_empty());
    assert_eq!(s.deleted.len(), 1);
    assert_eq!(s.deleted[0].name, None);
    assert_eq!(s.deleted_reported, 0);
    assert_eq!(s.channel_allocations, 1);
    assert!(s.channels.is_empty());

    let s = RmanSummary::parse("connected to target database: ORCL (not mounted)\n");
    assert_eq!(
        s.target,
        Some(TargetDatabase {
            name: Some("ORCL".into()),
            dbid: None
        })
    );
}

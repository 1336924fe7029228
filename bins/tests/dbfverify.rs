//! The real `dbfverify` binary on datafiles written by `datafile::writer` and damaged by
//! `datafile::damage` and by the real `sed` (the blog post's demonstration).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use datafile::writer::{row_payload, write_datafile, BlockContent, DatafileSpec};
use datafile::{damage, rdba, ByteOrder, BLOCK_SIZES};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dbfverify");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let out = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs with `--format json`, checks that stderr is empty (no progress bar without a terminal)
/// and returns the exit code and the document.
fn json(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, Value) {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--format", &"json"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.stderr, "", "stderr of a json run");
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

/// The last line of a text report.
fn summary(r: &Run) -> &str {
    r.stdout.lines().last().unwrap_or("")
}

fn spec(bs: u32, order: ByteOrder, blocks: u64, file_number: u32) -> DatafileSpec {
    DatafileSpec {
        block_size: bs,
        byte_order: order,
        blocks,
        file_number,
        relative_file_number: file_number,
        ..DatafileSpec::default()
    }
}

/// SCN of block `n` in the files written here.
fn scn_of(n: u64) -> u64 {
    5000 + n * 3
}

/// Block `n` is empty when `n % 5 == 0`, else it holds rows (seed 42) with SCN `scn_of(n)`.
fn content(n: u64) -> BlockContent {
    if n % 5 == 0 {
        BlockContent::Empty
    } else {
        BlockContent::Data {
            scn: scn_of(n),
            block_type: 6,
            payload: row_payload(42, n),
        }
    }
}

/// (data pages incl. the header block, empty pages, highest SCN) of a file written with
/// [`content`].
fn expected_counts(blocks: u64) -> (u64, u64, u64) {
    let empty = (2..=blocks).filter(|n| n % 5 == 0).count() as u64;
    let highest = (2..=blocks)
        .filter(|n| n % 5 != 0)
        .map(scn_of)
        .max()
        .unwrap();
    (blocks - empty, empty, highest)
}

fn write(dir: &Path, name: &str, s: &DatafileSpec) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    write_datafile(&p, s, content).unwrap();
    p
}

/// The failing blocks listed in a text report: (block, reason).
fn listed_blocks(stdout: &str) -> Vec<(u64, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  block "))
        .map(|l| {
            let (n, why) = l.split_once(": ").unwrap();
            (n.parse().unwrap(), why.to_string())
        })
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn clean_files_of_every_block_size_and_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut fno = 0;
    for bs in BLOCK_SIZES {
        for order in ByteOrder::ALL {
            fno += 1;
            let blocks = 40 + u64::from(fno);
            let s = spec(bs, order, blocks, fno);
            let p = write(dir.path(), &format!("f{fno:02}_{bs}_{order}.dbf"), &s);
            files.push((p, s));
        }
    }

    let r = run(&[&dir.path()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(
        summary(&r),
        "dbfverify: OK: 10 files verified, 0 skipped, 0 corrupt blocks in 0 files, 0 set problems"
    );
    for (p, s) in &files {
        let (data, empty, highest) = expected_counts(s.blocks);
        let block = r
            .stdout
            .split(&format!("File {}\n", p.display()))
            .nth(1)
            .unwrap();
        for want in [
            format!("  Database                     : ORCL (dbid {})\n", s.dbid),
            format!(
                "  File number                  : {} (relative {})\n",
                s.file_number, s.file_number
            ),
            "  Tablespace                   : USERS\n".to_string(),
            format!(
                "  Checkpoint SCN               : {} (0.{})\n",
                s.checkpoint_scn, s.checkpoint_scn
            ),
            format!("  Block size                   : {}\n", s.block_size),
            format!("  Byte order                   : {}\n", s.byte_order),
            format!("  Total Pages Examined         : {}\n", s.blocks),
            format!("  Total Pages Processed (Data) : {data}\n"),
            "  Total Pages Failing   (Data) : 0\n".to_string(),
            format!("  Total Pages Empty            : {empty}\n"),
            "  Total Pages Marked Corrupt   : 0\n".to_string(),
            "  Total Pages Influx           : 0\n".to_string(),
            format!("  Highest block SCN            : {highest} (0.{highest})\n"),
            "  Result                       : OK\n".to_string(),
        ] {
            assert!(block.contains(&want), "{want:?} in\n{block}");
        }
    }

    let (code, doc) = json(&[&dir.path()]);
    assert_eq!(code, 0);
    assert_eq!(doc["status"], "ok");
    let jfiles = doc["files"].as_array().unwrap();
    assert_eq!(jfiles.len(), 10);
    for (j, (p, s)) in jfiles.iter().zip(&files) {
        let (data, empty, highest) = expected_counts(s.blocks);
        assert_eq!(j["path"], p.display().to_string());
        assert_eq!(j["status"], "ok");
        assert_eq!(j["dbid"], s.dbid);
        assert_eq!(j["db_name"], "ORCL");
        assert_eq!(j["file_number"], s.file_number);
        assert_eq!(j["relative_file_number"], s.file_number);
        assert_eq!(j["tablespace"], "USERS");
        assert_eq!(j["checkpoint_scn"], s.checkpoint_scn);
        assert_eq!(j["block_size"], s.block_size);
        assert_eq!(j["byte_order"], s.byte_order.to_string());
        assert_eq!(j["blocks"], s.blocks);
        assert_eq!(j["pages_examined"], s.blocks);
        assert_eq!(j["pages_data"], data);
        assert_eq!(j["pages_empty"], empty);
        assert_eq!(j["pages_failing"], 0);
        assert_eq!(j["pages_marked_corrupt"], 0);
        assert_eq!(j["pages_influx"], 0);
        assert_eq!(j["highest_block_scn"], highest);
        assert_eq!(j["failures"].as_array().unwrap().len(), 0);
        assert_eq!(j["truncated"], Value::Null);
    }
}

#[test]
fn json_document_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.dbf", &spec(8192, ByteOrder::Little, 50, 4));
    damage::bit_flip(&a, 7, 1000).unwrap();
    let mut other = spec(8192, ByteOrder::Big, 30, 4);
    other.dbid = 77;
    other.db_name = "TEST".into();
    write(dir.path(), "b.dbf", &other);
    std::fs::write(dir.path().join("c.log"), "log line\n").unwrap();

    let (code, doc) = json(&[&dir.path()]);
    assert_eq!(code, 1);
    assert_eq!(
        keys(&doc),
        set(&[
            "format_version",
            "status",
            "files",
            "skipped",
            "problems",
            "totals"
        ])
    );
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["status"], "corrupt");
    let f = &doc["files"][0];
    assert_eq!(
        keys(f),
        set(&[
            "path",
            "status",
            "dbid",
            "db_name",
            "file_number",
            "relative_file_number",
            "bigfile",
            "tablespace",
            "checkpoint_scn",
            "creation_scn",
            "resetlogs_scn",
            "block_size",
            "byte_order",
            "blocks",
            "pages_examined",
            "pages_data",
            "pages_failing",
            "pages_empty",
            "pages_marked_corrupt",
            "pages_influx",
            "highest_block_scn",
            "highest_block_scn_block",
            "failures",
            "failures_not_listed",
            "truncated",
            "header_problems",
        ])
    );
    let failure = &f["failures"][0];
    assert_eq!(
        keys(failure),
        set(&[
            "block",
            "kind",
            "reason",
            "stored_checksum",
            "computed_checksum"
        ])
    );
    assert_eq!(failure["block"], 7);
    assert_eq!(failure["kind"], "checksum_mismatch");
    assert_eq!(keys(&doc["skipped"][0]), set(&["path", "reason"]));
    assert_eq!(doc["skipped"][0]["reason"], "not an Oracle file");
    let problem = &doc["problems"][0];
    assert_eq!(keys(problem), set(&["kind", "message", "paths", "dbids"]));
    assert_eq!(problem["kind"], "mixed_dbids");
    assert_eq!(
        keys(&doc["totals"]),
        set(&[
            "files_verified",
            "files_skipped",
            "files_corrupt",
            "corrupt_blocks",
            "problems",
            "pages_examined",
            "pages_data",
            "pages_failing",
            "pages_empty",
            "pages_marked_corrupt",
            "pages_influx",
            "summary",
        ])
    );
    assert_eq!(doc["totals"]["files_verified"], 2);
    assert_eq!(doc["totals"]["files_skipped"], 1);
    assert_eq!(doc["totals"]["files_corrupt"], 1);
    assert_eq!(doc["totals"]["corrupt_blocks"], 1);
    assert_eq!(doc["totals"]["problems"], 1);
    assert_eq!(
        doc["totals"]["summary"],
        "dbfverify: CORRUPT: 2 files verified, 1 skipped, 1 corrupt block in 1 file, 1 set problem"
    );
}

/// Blocks of `bytes` (block size `bs`) that contain `pat`.
fn blocks_containing(bytes: &[u8], bs: usize, pat: &[u8]) -> BTreeSet<u64> {
    bytes
        .chunks(bs)
        .enumerate()
        .filter(|(_, b)| b.windows(pat.len()).any(|w| w == pat))
        .map(|(i, _)| i as u64)
        .collect()
}

/// Blocks that differ between two files of the same length.
fn blocks_differing(a: &[u8], b: &[u8], bs: usize) -> BTreeSet<u64> {
    assert_eq!(a.len(), b.len());
    a.chunks(bs)
        .zip(b.chunks(bs))
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i as u64)
        .collect()
}

#[test]
fn blog_scenario_sed_on_an_image_copy() {
    // The seed's demonstration: a 10 MB datafile of tablespace BSG (file 16 of BSG18), its
    // image copy damaged with `sed -i 's/SYSTEM/      /g'`. RMAN's later merges never rewrite
    // those blocks; the restore fails with ORA-19566. dbfverify names them before that.
    for order in ByteOrder::ALL {
        let dir = tempfile::tempdir().unwrap();
        let s = DatafileSpec {
            dbid: 101_380_451,
            db_name: "BSG18".into(),
            file_number: 16,
            relative_file_number: 16,
            tablespace: "BSG".into(),
            block_size: 8192,
            blocks: 1280,
            byte_order: order,
            ..DatafileSpec::default()
        };
        let original = write(dir.path(), "orig/bsg.dbf", &s);
        let copy = dir
            .path()
            .join("copy/data_D-BSG18_I-101380451_TS-BSG_FNO-16_4vua97ho");
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(&original, &copy).unwrap();
        let before = std::fs::read(&copy).unwrap();
        let expected = blocks_containing(&before, 8192, b"SYSTEM");
        assert!(expected.len() >= 50, "{expected:?}");

        // The real command (C locale: the file is binary, the pattern plain ASCII).
        let status = Command::new("sed")
            .env("LC_ALL", "C")
            .arg("-i")
            .arg("s/SYSTEM/      /g")
            .arg(&copy)
            .status()
            .unwrap();
        assert!(status.success());
        let after = std::fs::read(&copy).unwrap();
        assert_eq!(blocks_differing(&before, &after, 8192), expected);

        let r = run(&[&copy]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert_eq!(r.stderr, "");
        let listed = listed_blocks(&r.stdout);
        let blocks: BTreeSet<u64> = listed.iter().map(|(b, _)| *b).collect();
        assert_eq!(blocks, expected);
        for (_, why) in &listed {
            assert!(why.starts_with("checksum mismatch: stored 0x"), "{why}");
        }
        assert!(r.stdout.contains(&format!(
            "  Total Pages Failing   (Data) : {}\n",
            expected.len()
        )));
        assert!(r
            .stdout
            .contains("  Database                     : BSG18 (dbid 101380451)\n"));
        assert!(r.stdout.contains("  Tablespace                   : BSG\n"));
        assert!(r
            .stdout
            .contains("  Result                       : CORRUPT\n"));
        assert_eq!(
            summary(&r),
            format!(
                "dbfverify: CORRUPT: 1 file verified, 0 skipped, {} corrupt blocks in 1 file, \
                 0 set problems",
                expected.len()
            )
        );

        let (code, doc) = json(&[&copy]);
        assert_eq!(code, 1);
        let failures = doc["files"][0]["failures"].as_array().unwrap();
        let jblocks: BTreeSet<u64> = failures
            .iter()
            .map(|f| f["block"].as_u64().unwrap())
            .collect();
        assert_eq!(jblocks, expected);
        assert!(failures.iter().all(|f| f["kind"] == "checksum_mismatch"));

        // The untouched original passes.
        let r = run(&[&original]);
        assert_eq!(r.code, 0, "{}", r.stdout);
        assert!(listed_blocks(&r.stdout).is_empty());
    }
}

#[test]
fn each_damage_kind_is_reported_with_its_reason() {
    for order in ByteOrder::ALL {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(8192, order, 64, 4);
        let p = write(dir.path(), "users01.dbf", &s);
        assert_eq!(damage::bit_flip(&p, 11, 8 * 300 + 3).unwrap(), vec![11]);
        assert_eq!(damage::zero_sector(&p, 12, 3).unwrap(), vec![12]);
        assert_eq!(damage::zero_sector(&p, 13, 0).unwrap(), vec![13]);
        assert_eq!(damage::zero_sector(&p, 14, 15).unwrap(), vec![14]);
        assert_eq!(damage::torn_write(&p, 21).unwrap(), vec![21]);
        assert_eq!(damage::misplace(&p, 41, 42).unwrap(), vec![42]);
        assert_eq!(damage::mark_corrupt(&p, 51).unwrap(), vec![51]);

        let r = run(&[&p]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        let listed = listed_blocks(&r.stdout);
        let blocks: Vec<u64> = listed.iter().map(|(b, _)| *b).collect();
        assert_eq!(blocks, vec![11, 12, 13, 14, 21, 42, 51], "{}", r.stdout);
        let why = |b: u64| listed.iter().find(|(n, _)| *n == b).unwrap().1.clone();
        assert!(
            why(11).starts_with("checksum mismatch: stored 0x"),
            "{}",
            why(11)
        );
        assert!(
            why(12).starts_with("checksum mismatch: stored 0x"),
            "{}",
            why(12)
        );
        assert!(why(13).starts_with("bad cache header: "), "{}", why(13));
        assert!(
            why(14).starts_with("fractured block: tail 0x"),
            "{}",
            why(14)
        );
        assert!(
            why(21).starts_with("fractured block: tail 0x"),
            "{}",
            why(21)
        );
        assert!(why(21).contains(", expected 0x"), "{}", why(21));
        assert_eq!(
            why(42),
            format!(
                "wrong block: rdba {:#010x} belongs to file 4 block 41 (expected {:#010x})",
                rdba(4, 41),
                rdba(4, 42)
            )
        );
        assert_eq!(why(51), "marked corrupt");
        assert!(r.stdout.contains("  Total Pages Failing   (Data) : 6\n"));
        assert!(r.stdout.contains("  Total Pages Marked Corrupt   : 1\n"));
        assert_eq!(
            summary(&r),
            "dbfverify: CORRUPT: 1 file verified, 0 skipped, 7 corrupt blocks in 1 file, \
             0 set problems"
        );

        let (_, doc) = json(&[&p]);
        let kinds: Vec<(u64, String)> = doc["files"][0]["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["block"].as_u64().unwrap(),
                    f["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(u64, String)> = [
            (11, "checksum_mismatch"),
            (12, "checksum_mismatch"),
            (13, "bad_header"),
            (14, "fractured"),
            (21, "fractured"),
            (42, "wrong_block"),
            (51, "marked_corrupt"),
        ]
        .iter()
        .map(|(b, k)| (*b, k.to_string()))
        .collect();
        assert_eq!(kinds, want);
        let wrong = &doc["files"][0]["failures"][5];
        assert_eq!(wrong["found_rdba"], rdba(4, 41));
        assert_eq!(wrong["expected_rdba"], rdba(4, 42));
        assert_eq!(doc["files"][0]["pages_marked_corrupt"], 1);
    }
}

#[test]
fn bigfile_wrong_block_names_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let s = DatafileSpec {
        bigfile: true,
        ..spec(4096, ByteOrder::Big, 40, 7)
    };
    let p = write(dir.path(), "big.dbf", &s);
    damage::misplace(&p, 8, 9).unwrap();
    let r = run(&[&p]);
    assert_eq!(r.code, 1);
    assert!(r
        .stdout
        .contains("  File number                  : 7 (bigfile tablespace)\n"));
    assert_eq!(
        listed_blocks(&r.stdout),
        vec![(
            9,
            "wrong block: rdba 0x00000008 belongs to block 8 (expected 0x00000009)".to_string()
        )]
    );
}

/// A file that starts like an archived redo log: block 0 with the OS header magic and a
/// 512-byte block size, then redo blocks (0x01, 0x22).
fn archivelog_like(path: &Path) {
    let mut b = vec![0u8; 512 * 64];
    b[1] = 0x22;
    b[20..24].copy_from_slice(&512u32.to_le_bytes());
    b[24..28].copy_from_slice(&63u32.to_le_bytes());
    b[28..32].copy_from_slice(&0x7a7b_7c7du32.to_le_bytes());
    for blk in b.chunks_mut(512).skip(1) {
        blk[0] = 0x01;
        blk[1] = 0x22;
        blk[100..110].copy_from_slice(b"redo bytes");
    }
    std::fs::write(path, b).unwrap();
}

/// A file that starts like a control file: an OS header for 16 KiB blocks, block 1 of type 21.
fn controlfile_like(path: &Path) {
    let bs = 16384usize;
    let mut b = vec![0u8; bs * 8];
    b[1] = 0xc2;
    b[20..24].copy_from_slice(&(bs as u32).to_le_bytes());
    b[24..28].copy_from_slice(&7u32.to_le_bytes());
    b[28..32].copy_from_slice(&0x7a7b_7c7du32.to_le_bytes());
    b[bs] = 0x15;
    b[bs + 1] = 0xc2;
    std::fs::write(path, b).unwrap();
}

#[test]
fn files_that_are_not_datafiles_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("autorestore.cfg"),
        "[autorestore]\nautorestoredestination: /tmp\n",
    )
    .unwrap();
    std::fs::write(
        d.join("orcl_20261121T101500_imagecopywithsnap.log"),
        "2026-11-21 10:15:00 INFO Starting\n".repeat(500),
    )
    .unwrap();
    archivelog_like(&d.join("1_123_1017421369.arc"));
    controlfile_like(&d.join("control01.ctl"));
    std::fs::write(d.join("empty.dbf"), b"").unwrap();
    write(d, "users01.dbf", &spec(8192, ByteOrder::Little, 20, 4));

    let r = run(&[&d]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let skipped: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("Skipped "))
        .collect();
    let name = |n: &str| d.join(n).display().to_string();
    assert_eq!(
        skipped,
        vec![
            format!(
                "Skipped {}: archived redo log",
                name("1_123_1017421369.arc")
            ),
            format!("Skipped {}: not an Oracle file", name("autorestore.cfg")),
            format!("Skipped {}: control file", name("control01.ctl")),
            format!("Skipped {}: empty file", name("empty.dbf")),
            format!(
                "Skipped {}: not an Oracle file",
                name("orcl_20261121T101500_imagecopywithsnap.log")
            ),
        ]
    );
    assert_eq!(
        summary(&r),
        "dbfverify: OK: 1 file verified, 5 skipped, 0 corrupt blocks in 0 files, 0 set problems"
    );
    let (code, doc) = json(&[&d]);
    assert_eq!(code, 0);
    assert_eq!(doc["skipped"].as_array().unwrap().len(), 5);
    assert_eq!(doc["skipped"][0]["reason"], "archived redo log");

    // Nothing but skipped files: nothing is wrong.
    let r = run(&[&d.join("autorestore.cfg")]);
    assert_eq!(r.code, 0);
    assert_eq!(
        summary(&r),
        "dbfverify: OK: 0 files verified, 1 skipped, 0 corrupt blocks in 0 files, 0 set problems"
    );
}

#[test]
fn directories_are_walked_in_name_order_without_following_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "b/y.dbf", &spec(8192, ByteOrder::Little, 20, 2));
    write(d, "a/x.dbf", &spec(8192, ByteOrder::Little, 20, 1));
    write(d, "b/c/z.dbf", &spec(4096, ByteOrder::Little, 20, 3));
    std::fs::write(d.join("notes.txt"), "notes\n").unwrap();
    std::os::unix::fs::symlink(d.join("a/x.dbf"), d.join("link.dbf")).unwrap();
    std::os::unix::fs::symlink(d.join("b"), d.join("linkdir")).unwrap();

    let r = run(&[&d]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let entries: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("File ") || l.starts_with("Skipped "))
        .collect();
    let p = |n: &str| d.join(n).display().to_string();
    assert_eq!(
        entries,
        vec![
            format!("File {}", p("a/x.dbf")),
            format!("File {}", p("b/c/z.dbf")),
            format!("File {}", p("b/y.dbf")),
            format!("Skipped {}: symbolic link, not followed", p("link.dbf")),
            format!("Skipped {}: symbolic link, not followed", p("linkdir")),
            format!("Skipped {}: not an Oracle file", p("notes.txt")),
        ]
    );

    // A file named again (directly, or through a link given on the command line) is
    // verified once.
    let r = run(&[&d, &d.join("a/x.dbf"), &d.join("link.dbf")]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        summary(&r),
        "dbfverify: OK: 3 files verified, 3 skipped, 0 corrupt blocks in 0 files, 0 set problems"
    );
}

#[test]
fn mixed_dbids_and_duplicate_file_numbers_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = write(d, "orcl/users01.dbf", &spec(8192, ByteOrder::Little, 20, 4));
    let b = write(
        d,
        "orcl/users01_copy.dbf",
        &spec(8192, ByteOrder::Little, 20, 4),
    );
    let c = write(
        d,
        "orcl/system01.dbf",
        &spec(8192, ByteOrder::Little, 20, 1),
    );
    let other = DatafileSpec {
        dbid: 42,
        db_name: "TEST".into(),
        ..spec(8192, ByteOrder::Big, 20, 1)
    };
    let t = write(d, "test/system01.dbf", &other);

    // Duplicate file number only.
    let r = run(&[&a, &b, &c]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains(&format!(
        "Problem: duplicate file number 4 of dbid 1650000001 (ORCL): {}, {}\n",
        a.display(),
        b.display()
    )));
    assert_eq!(
        summary(&r),
        "dbfverify: CORRUPT: 3 files verified, 0 skipped, 0 corrupt blocks in 0 files, \
         1 set problem"
    );

    // Mixed dbids only (file 1 of two databases is not a duplicate).
    let r = run(&[&c, &t]);
    assert_eq!(r.code, 1);
    assert!(r
        .stdout
        .contains("Problem: mixed dbids: 1650000001 (ORCL, 1 file), 42 (TEST, 1 file)\n"));
    assert!(!r.stdout.contains("duplicate"));

    // Both.
    let (code, doc) = json(&[&d]);
    assert_eq!(code, 1);
    let problems = doc["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0]["kind"], "mixed_dbids");
    assert_eq!(problems[0]["dbids"][0]["dbid"], 1_650_000_001u32);
    assert_eq!(
        problems[0]["dbids"][0]["paths"].as_array().unwrap().len(),
        3
    );
    assert_eq!(problems[0]["dbids"][1]["dbid"], 42);
    assert_eq!(problems[1]["kind"], "duplicate_file_number");
    assert_eq!(problems[1]["dbid"], 1_650_000_001u32);
    assert_eq!(problems[1]["file_number"], 4);
    assert_eq!(
        problems[1]["paths"],
        serde_json::json!([a.display().to_string(), b.display().to_string()])
    );
    assert_eq!(doc["status"], "corrupt");
    assert_eq!(doc["totals"]["files_corrupt"], 0);
}

#[test]
fn truncated_file_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "users01.dbf",
        &spec(8192, ByteOrder::Little, 40, 4),
    );
    let len = std::fs::metadata(&p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len - 3 * 8192).unwrap();
    drop(f);
    let r = run(&[&p]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("  truncated: "), "{}", r.stdout);
    assert!(r.stdout.contains("  Total Pages Examined         : 37\n"));
    assert_eq!(
        summary(&r),
        "dbfverify: CORRUPT: 1 file verified, 0 skipped, 0 corrupt blocks in 1 file, \
         0 set problems"
    );
    let (_, doc) = json(&[&p]);
    assert!(doc["files"][0]["truncated"]
        .as_str()
        .unwrap()
        .contains("missing"));
}

#[test]
fn damaged_os_header_is_reported_and_the_blocks_still_verified() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "users01.dbf",
        &spec(4096, ByteOrder::Big, 30, 4),
    );
    let mut all = std::fs::read(&p).unwrap();
    all[..4096].fill(0x55);
    std::fs::write(&p, &all).unwrap();
    let r = run(&[&p]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("  header: "), "{}", r.stdout);
    assert!(r.stdout.contains("  Total Pages Examined         : 30\n"));
    assert!(r
        .stdout
        .contains("  Byte order                   : big-endian\n"));
    let (_, doc) = json(&[&p]);
    assert_eq!(
        doc["files"][0]["header_problems"].as_array().unwrap().len(),
        1
    );
    assert_eq!(doc["files"][0]["status"], "corrupt");
}

#[test]
fn overrides_replace_detection() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "sys.dbf", &spec(16384, ByteOrder::Big, 30, 1));
    let r = run(&[&"--block-size", &"16384", &"--byte-order", &"be", &p]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r
        .stdout
        .contains("  Block size                   : 16384\n"));
    // The wrong byte order: every block is then misread.
    let (code, doc) = json(&[&"--byte-order", &"le", &p]);
    assert_eq!(code, 1);
    assert_eq!(doc["files"][0]["byte_order"], "little-endian");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["--block-size", "3000", "x"],
        vec!["--byte-order", "middle", "x"],
        vec!["--format", "xml", "x"],
        vec!["--jobs", "-1", "x"],
        vec![],
    ] {
        let a: Vec<&dyn AsRef<std::ffi::OsStr>> = args
            .iter()
            .map(|s| s as &dyn AsRef<std::ffi::OsStr>)
            .collect();
        let r = run(&a);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
}

#[test]
fn unreadable_paths_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = write(d, "users01.dbf", &spec(8192, ByteOrder::Little, 20, 4));
    let missing = d.join("nope.dbf");
    let r = run(&[&good, &missing]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with(&format!("dbfverify: {}: cannot stat: ", missing.display())),
        "{}",
        r.stderr
    );

    // A path through a regular file.
    let through = good.join("x");
    let r = run(&[&through]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1);
    assert!(r
        .stderr
        .contains(&format!("{}: cannot stat: ", through.display())));

    // Permissions (not for root, who reads everything).
    use std::os::unix::fs::PermissionsExt;
    let locked = d.join("locked");
    std::fs::create_dir(&locked).unwrap();
    write(&locked, "x.dbf", &spec(8192, ByteOrder::Little, 20, 5));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_err() {
        let r = run(&[&d]);
        assert_eq!(r.code, 2);
        assert_eq!(r.stderr.lines().count(), 1);
        assert!(r
            .stderr
            .contains(&format!("{}: cannot read directory: ", locked.display())));
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&good).is_err() {
        let r = run(&[&good]);
        assert_eq!(r.code, 2);
        assert_eq!(r.stderr.lines().count(), 1);
        assert!(r
            .stderr
            .contains(&format!("{}: cannot open: ", good.display())));
    }
}

#[test]
fn jobs_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, bs) in BLOCK_SIZES.iter().enumerate() {
        let fno = i as u32 + 1;
        let p = write(
            d,
            &format!("db/f{fno}.dbf"),
            &spec(*bs, ByteOrder::ALL[i % 2], 60 + 13 * u64::from(fno), fno),
        );
        if fno % 2 == 1 {
            damage::bit_flip(&p, 9, 4000).unwrap();
            damage::mark_corrupt(&p, 31).unwrap();
        }
    }
    std::fs::write(d.join("db/alert.log"), "x\n").unwrap();
    let one = run(&[&"--jobs", &"1", &d]);
    assert_eq!(one.code, 1);
    for jobs in ["2", "3", "0"] {
        let many = run(&[&"--jobs", &jobs, &d]);
        assert_eq!(many.code, one.code);
        assert_eq!(many.stdout, one.stdout, "--jobs {jobs}");
        assert_eq!(many.stderr, "");
    }
    let (_, j1) = json(&[&"-j", &"1", &d]);
    let (_, j2) = json(&[&"-j", &"2", &d]);
    assert_eq!(j1, j2);
    assert_eq!(j1["totals"]["files_corrupt"], 3);
    assert_eq!(j1["totals"]["corrupt_blocks"], 6);
}

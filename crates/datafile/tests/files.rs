//! Whole files: write, verify clean, damage, verify again; influx through the test seam.
#![allow(clippy::unwrap_used)]

use std::io;
use std::path::{Path, PathBuf};

use datafile::damage;
use datafile::writer::{row_payload, sample_content, write_datafile, BlockContent, DatafileSpec};
use datafile::{
    verify_file, verify_source, BlockSource, ByteOrder, FileReport, FileSource, Outcome, Overrides,
    Verdict, VerifyError, VerifyOptions, REASON_NOT_ORACLE,
};

fn spec(bs: u32, order: ByteOrder, blocks: u64) -> DatafileSpec {
    DatafileSpec {
        block_size: bs,
        byte_order: order,
        blocks,
        ..DatafileSpec::default()
    }
}

/// Every block from 2 on holds rows, SCN 1000 + block; no empty blocks except `empty`.
fn content(empty: &'static [u64]) -> impl FnMut(u64) -> BlockContent {
    move |n| {
        if empty.contains(&n) {
            BlockContent::Empty
        } else {
            BlockContent::Data {
                scn: 1000 + n,
                block_type: 6,
                payload: row_payload(42, n),
            }
        }
    }
}

fn write(dir: &Path, name: &str, s: &DatafileSpec) -> PathBuf {
    let p = dir.join(name);
    write_datafile(&p, s, content(&[3, 7])).unwrap();
    p
}

fn verify(p: &Path) -> FileReport {
    match verify_file(p, &VerifyOptions::default(), &mut |_| {}).unwrap() {
        Outcome::Verified(r) => r,
        o => panic!("{o:?}"),
    }
}

fn failing(r: &FileReport) -> Vec<(u64, &'static str)> {
    r.failures
        .iter()
        .map(|f| (f.block, f.verdict.kind()))
        .collect()
}

#[test]
fn clean_files_verify_clean() {
    let dir = tempfile::tempdir().unwrap();
    for bs in [2048u32, 8192, 32768] {
        for order in ByteOrder::ALL {
            let s = spec(bs, order, 40);
            let p = write(dir.path(), &format!("c{bs}{order}.dbf"), &s);
            assert_eq!(std::fs::metadata(&p).unwrap().len(), 41 * u64::from(bs));
            let mut calls = Vec::new();
            let out = verify_file(&p, &VerifyOptions::default(), &mut |b| calls.push(b)).unwrap();
            let Outcome::Verified(r) = out else { panic!() };
            assert!(r.is_clean(), "{r:?}");
            assert_eq!(r.pages_examined, 40);
            assert_eq!(r.pages_empty, 2);
            assert_eq!(r.pages_data, 38);
            assert_eq!(r.pages_failing + r.pages_marked_corrupt + r.pages_influx, 0);
            assert_eq!(r.highest_scn, 1040);
            assert_eq!(r.highest_scn_block, 40);
            assert_eq!(r.header.byte_order, order);
            assert_eq!(r.header.block_size, bs);
            assert_eq!(*calls.last().unwrap(), 41 * u64::from(bs));
        }
    }
}

#[test]
fn small_buffers_and_bigfile() {
    let dir = tempfile::tempdir().unwrap();
    let s = DatafileSpec {
        bigfile: true,
        ..spec(4096, ByteOrder::Big, 100)
    };
    let p = dir.path().join("big.dbf");
    write_datafile(&p, &s, sample_content(7, 5000)).unwrap();
    let opts = VerifyOptions {
        buffer_bytes: 1, // rounded up to one block
        ..VerifyOptions::default()
    };
    let Outcome::Verified(r) = verify_file(&p, &opts, &mut |_| {}).unwrap() else {
        panic!()
    };
    assert!(r.is_clean(), "{r:?}");
    assert!(r.header.bigfile);
    assert_eq!(r.pages_examined, 100);
    assert_eq!(r.pages_data + r.pages_empty, 100);
}

#[test]
fn bit_flip_is_a_checksum_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    for order in ByteOrder::ALL {
        let p = write(
            dir.path(),
            &format!("flip{order}.dbf"),
            &spec(8192, order, 30),
        );
        let touched = damage::bit_flip(&p, 12, 200 * 8 + 3).unwrap();
        assert_eq!(touched, vec![12]);
        let r = verify(&p);
        assert_eq!(failing(&r), vec![(12, "checksum_mismatch")]);
        assert_eq!(r.pages_failing, 1);
        assert_eq!(r.pages_data, 30 - 2 - 1);
        assert!(!r.is_clean());
    }
}

#[test]
fn zero_sector_verdicts_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "zero.dbf", &spec(8192, ByteOrder::Little, 30));
    assert_eq!(damage::zero_sector(&p, 10, 0).unwrap(), vec![10]); // header
    assert_eq!(damage::zero_sector(&p, 11, 1).unwrap(), vec![11]); // rows
    assert_eq!(damage::zero_sector(&p, 12, 15).unwrap(), vec![12]); // tail
                                                                    // Sector 8 of a block whose rows end before it: nothing changes.
    assert_eq!(damage::zero_sector(&p, 13, 8).unwrap(), Vec::<u64>::new());
    let r = verify(&p);
    assert_eq!(
        failing(&r),
        vec![
            (10, "bad_header"),
            (11, "checksum_mismatch"),
            (12, "fractured")
        ]
    );
    assert!(damage::zero_sector(&p, 12, 16).is_err());
    assert!(damage::zero_sector(&p, 31, 0).is_err());
}

#[test]
fn torn_write_is_fractured() {
    let dir = tempfile::tempdir().unwrap();
    for order in ByteOrder::ALL {
        for bs in [2048u32, 16384] {
            let p = write(
                dir.path(),
                &format!("torn{order}{bs}.dbf"),
                &spec(bs, order, 20),
            );
            assert_eq!(damage::torn_write(&p, 9).unwrap(), vec![9]);
            let r = verify(&p);
            assert_eq!(failing(&r), vec![(9, "fractured")], "{order} {bs}");
            let Verdict::Fractured { tail, expected } = r.failures[0].verdict else {
                panic!()
            };
            // Header SCN 1009: tail 0x03f10601; the older half carries SCN 1008.
            assert_eq!(expected, (1009u32 & 0xffff) << 16 | 0x0601);
            assert_eq!(tail, (1008u32 & 0xffff) << 16 | 0x0601);
            // An empty block cannot be torn.
            assert!(damage::torn_write(&p, 3).is_err());
        }
    }
}

#[test]
fn misplaced_block_is_wrong_block() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(8192, ByteOrder::Big, 30);
    let p = write(dir.path(), "mis.dbf", &s);
    assert_eq!(damage::misplace(&p, 5, 20).unwrap(), vec![20]);
    // Copying a block over an empty one also lands a wrong block.
    assert_eq!(damage::misplace(&p, 6, 7).unwrap(), vec![7]);
    let r = verify(&p);
    assert_eq!(failing(&r), vec![(7, "wrong_block"), (20, "wrong_block")]);
    assert_eq!(
        r.failures[1].verdict,
        Verdict::WrongBlock {
            found_rdba: s.rdba_of(5),
            expected_rdba: s.rdba_of(20)
        }
    );
    assert_eq!(r.pages_empty, 1);
}

#[test]
fn marked_corrupt_is_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "mark.dbf", &spec(4096, ByteOrder::Little, 30));
    assert_eq!(damage::mark_corrupt(&p, 17).unwrap(), vec![17]);
    let r = verify(&p);
    assert_eq!(failing(&r), vec![(17, "marked_corrupt")]);
    assert_eq!(r.pages_marked_corrupt, 1);
    assert_eq!(r.pages_failing, 0);
    assert!(!r.is_clean());
}

/// Blocks whose bytes contain `pat`, straight from the file.
fn blocks_containing(p: &Path, bs: usize, pat: &[u8]) -> Vec<u64> {
    let all = std::fs::read(p).unwrap();
    let mut out = Vec::new();
    for (i, w) in all.windows(pat.len()).enumerate() {
        if w == pat {
            for b in [i / bs, (i + pat.len() - 1) / bs] {
                if out.last() != Some(&(b as u64)) {
                    out.push(b as u64);
                }
            }
        }
    }
    out
}

#[test]
fn sed_like_the_blog_post() {
    // The seed's demonstration: sed -i 's/SYSTEM/      /g' on an image copy.
    let dir = tempfile::tempdir().unwrap();
    for order in ByteOrder::ALL {
        let p = write(
            dir.path(),
            &format!("sed{order}.dbf"),
            &spec(8192, order, 60),
        );
        let expected = blocks_containing(&p, 8192, b"SYSTEM");
        assert!(expected.len() >= 3, "{expected:?}");
        let changed = damage::sed(&p, b"SYSTEM", b"      ").unwrap();
        assert_eq!(changed, expected);
        assert!(blocks_containing(&p, 8192, b"SYSTEM").is_empty());
        let r = verify(&p);
        let want: Vec<(u64, &str)> = expected.iter().map(|&b| (b, "checksum_mismatch")).collect();
        assert_eq!(failing(&r), want);
        // A second run changes nothing.
        assert!(damage::sed(&p, b"SYSTEM", b"      ").unwrap().is_empty());
    }
}

#[test]
fn sed_on_the_header_and_across_block_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(2048, ByteOrder::Little, 12);
    let p = write(dir.path(), "sedhdr.dbf", &s);
    // The database name sits in block 1.
    assert_eq!(damage::sed(&p, b"ORCL\0", b"PROD\0").unwrap()[0], 1);
    let r = verify(&p);
    assert_eq!(r.failures[0].block, 1);
    assert_eq!(r.failures[0].verdict.kind(), "checksum_mismatch");

    // A pattern straddling the boundary of blocks 4 and 5.
    let mut all = std::fs::read(&p).unwrap();
    let at = 5 * 2048 - 3;
    all[at..at + 6].copy_from_slice(b"QWERTY");
    std::fs::write(&p, &all).unwrap();
    let changed = damage::sed(&p, b"QWERTY", b"qwerty").unwrap();
    assert_eq!(changed, vec![4, 5]);
    // Overlapping matches are replaced left to right without overlap, as sed does.
    let mut all = std::fs::read(&p).unwrap();
    let at = 8 * 2048 + 100;
    all[at..at + 5].copy_from_slice(b"aaaaa");
    std::fs::write(&p, &all).unwrap();
    assert_eq!(damage::sed(&p, b"aa", b"bb").unwrap(), vec![8]);
    let all = std::fs::read(&p).unwrap();
    assert_eq!(&all[at..at + 5], b"bbbba");
    assert!(damage::sed(&p, b"a", b"bb").is_err());
    assert!(damage::sed(&p, b"", b"").is_err());
    assert!(damage::sed(&p, b"a\nb", b"xyz").unwrap().is_empty());
}

#[test]
fn several_damages_are_all_reported_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "multi.dbf", &spec(16384, ByteOrder::Big, 50));
    damage::bit_flip(&p, 2, 5000).unwrap();
    damage::torn_write(&p, 20).unwrap();
    damage::misplace(&p, 30, 31).unwrap();
    damage::mark_corrupt(&p, 40).unwrap();
    damage::zero_sector(&p, 45, 0).unwrap();
    let r = verify(&p);
    assert_eq!(
        failing(&r),
        vec![
            (2, "checksum_mismatch"),
            (20, "fractured"),
            (31, "wrong_block"),
            (40, "marked_corrupt"),
            (45, "bad_header")
        ]
    );
    assert_eq!(r.pages_failing, 4);
    assert_eq!(r.pages_marked_corrupt, 1);
    assert_eq!(
        r.pages_data + r.pages_empty + r.pages_failing + r.pages_marked_corrupt + r.pages_influx,
        r.pages_examined
    );
}

#[test]
fn failure_list_is_capped_counts_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "cap.dbf", &spec(2048, ByteOrder::Little, 40));
    for b in 10..20 {
        damage::bit_flip(&p, b, 1000).unwrap();
    }
    let opts = VerifyOptions {
        max_failures_listed: 4,
        ..VerifyOptions::default()
    };
    let Outcome::Verified(r) = verify_file(&p, &opts, &mut |_| {}).unwrap() else {
        panic!()
    };
    assert_eq!(r.pages_failing, 10);
    assert_eq!(r.failures.len(), 4);
    assert_eq!(r.failures_not_listed, 6);
}

#[test]
fn truncated_and_ragged_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "trunc.dbf", &spec(8192, ByteOrder::Little, 30));
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(20 * 8192 + 100).unwrap();
    let r = verify(&p);
    assert_eq!(r.pages_examined, 19);
    let t = r.truncated.clone().unwrap();
    assert!(t.contains("11 block(s) missing"), "{t}");
    assert!(t.contains("100 trailing bytes"), "{t}");
    assert!(!r.is_clean());
    assert!(r.failures.is_empty());

    // A file one block long: block 0 only.
    f.set_len(8192).unwrap();
    let r = verify(&p);
    assert_eq!(r.pages_examined, 0);
    assert!(r.truncated.is_some());
}

#[test]
fn longer_file_examines_the_extra_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "long.dbf", &spec(8192, ByteOrder::Little, 30));
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(34 * 8192).unwrap();
    let r = verify(&p);
    assert_eq!(r.pages_examined, 33);
    assert_eq!(r.pages_empty, 2 + 3);
    assert!(r.is_clean());
}

#[test]
fn damaged_os_header_is_noted_and_file_still_verified() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "os.dbf", &spec(8192, ByteOrder::Big, 30));
    // Block 0's magic is at 28..32.
    let mut all = std::fs::read(&p).unwrap();
    all[29] ^= 0xff;
    std::fs::write(&p, &all).unwrap();
    let r = verify(&p);
    assert_eq!(r.pages_examined, 30);
    assert_eq!(r.header.notes.len(), 1, "{:?}", r.header.notes);
    assert!(!r.is_clean());
    assert!(r.failures.is_empty());
}

#[test]
fn skipped_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello\n".repeat(10_000)).unwrap();
    let empty = dir.path().join("empty.dbf");
    std::fs::write(&empty, b"").unwrap();
    let tiny = dir.path().join("tiny.dbf");
    std::fs::write(&tiny, [7u8; 100]).unwrap();
    for p in [&text, &empty, &tiny] {
        match verify_file(p, &VerifyOptions::default(), &mut |_| {}).unwrap() {
            Outcome::Skipped { reason, path } => {
                assert_eq!(reason, REASON_NOT_ORACLE);
                assert_eq!(&path, p);
            }
            o => panic!("{o:?}"),
        }
    }
    let missing = dir.path().join("missing.dbf");
    let err = verify_file(&missing, &VerifyOptions::default(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("missing.dbf"), "{err}");
    assert!(matches!(err, VerifyError::Io { .. }));
    // Damage helpers refuse non-datafiles.
    assert!(damage::bit_flip(&text, 1, 0).is_err());
}

#[test]
fn overrides_reach_verification() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ov.dbf", &spec(4096, ByteOrder::Big, 30));
    let mut all = std::fs::read(&p).unwrap();
    all[..4096].fill(0x55); // no usable block 0
    std::fs::write(&p, &all).unwrap();
    let opts = VerifyOptions {
        overrides: Overrides {
            block_size: Some(4096),
            byte_order: Some(ByteOrder::Big),
        },
        ..VerifyOptions::default()
    };
    let Outcome::Verified(r) = verify_file(&p, &opts, &mut |_| {}).unwrap() else {
        panic!()
    };
    assert_eq!(r.pages_examined, 30);
    assert!(r.failures.is_empty());
}

#[test]
fn report_serializes() {
    // serde_json is not a dependency; check Serialize compiles for the report types and
    // that the verdict kinds are the documented names.
    fn is_serialize<T: serde::Serialize>() {}
    is_serialize::<FileReport>();
    is_serialize::<Outcome>();
    is_serialize::<Verdict>();
    assert_eq!(
        Verdict::Fractured {
            tail: 0,
            expected: 1
        }
        .kind(),
        "fractured"
    );
}

/// A source that returns a damaged image of one block on its first read, then the truth:
/// the block was being written while the check read it.
struct Influx {
    inner: FileSource,
    block: u64,
    bs: u64,
    fired: bool,
}

impl BlockSource for Influx {
    fn size(&mut self) -> io::Result<u64> {
        self.inner.size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(offset, buf)?;
        let at = self.block * self.bs + 100;
        if !self.fired && offset <= at && at < offset + n as u64 {
            self.fired = true;
            buf[(at - offset) as usize] ^= 0x40;
        }
        Ok(n)
    }
}

#[test]
fn influx_block_reread_counts_as_influx() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "influx.dbf", &spec(8192, ByteOrder::Little, 30));
    let mut src = Influx {
        inner: FileSource {
            file: std::fs::File::open(&p).unwrap(),
            pos: 0,
        },
        block: 21,
        bs: 8192,
        fired: false,
    };
    let out = verify_source(&p, &mut src, &VerifyOptions::default(), &mut |_| {}).unwrap();
    let Outcome::Verified(r) = out else { panic!() };
    assert!(src.fired);
    assert_eq!(r.pages_influx, 1);
    assert_eq!(r.pages_failing, 0);
    assert!(r.failures.is_empty());
    assert_eq!(r.pages_data + r.pages_empty + r.pages_influx, 30);
    assert!(r.is_clean());
}

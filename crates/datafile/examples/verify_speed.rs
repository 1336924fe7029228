//! Writes a datafile of the given size, then verifies it, printing both throughputs.
//!
//! `cargo run --release -p datafile --example verify_speed -- [MiB] [block size] [path]`
//! (defaults: 1024 MiB, 8192, a file in the temporary directory, removed afterwards).

use std::time::Instant;

use datafile::writer::{sample_content, write_datafile, DatafileSpec};
use datafile::{verify_file, Outcome, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mib: u64 = args.next().map_or(Ok(1024), |a| a.parse())?;
    let bs: u32 = args.next().map_or(Ok(8192), |a| a.parse())?;
    let keep = args.next();
    let path = keep.clone().map_or_else(
        || std::env::temp_dir().join(format!("verify_speed_{}.dbf", std::process::id())),
        std::path::PathBuf::from,
    );
    let spec = DatafileSpec {
        block_size: bs,
        blocks: mib * (1 << 20) / u64::from(bs) - 1,
        bigfile: true,
        ..DatafileSpec::default()
    };
    let t = Instant::now();
    write_datafile(&path, &spec, sample_content(1, 1_000_000))?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "write:  {mib} MiB in {secs:.2}s = {:.0} MiB/s",
        mib as f64 / secs
    );

    let t = Instant::now();
    let out = verify_file(&path, &VerifyOptions::default(), &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "verify: {mib} MiB in {secs:.2}s = {:.0} MiB/s",
        mib as f64 / secs
    );
    if let Outcome::Verified(r) = out {
        println!(
            "examined {} data {} empty {} failing {} clean {}",
            r.pages_examined,
            r.pages_data,
            r.pages_empty,
            r.pages_failing,
            r.is_clean()
        );
    }

    let block = vec![0x5au8; 1 << 20];
    let t = Instant::now();
    let mut x = 0u16;
    for _ in 0..4096 {
        x ^= datafile::block_checksum(std::hint::black_box(&block));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "block_checksum: 4096 MiB in {secs:.3}s = {:.1} GiB/s ({x})",
        4.0 / secs
    );

    if keep.is_none() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}

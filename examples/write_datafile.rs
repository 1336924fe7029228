//! Writes a valid Oracle datafile (image copy) of rows and empty blocks, for trying
//! `dbfverify` and for its benchmark (`scripts/bench-dbfverify.sh`).
//!
//! `cargo run --release -p examples --example write_datafile -- PATH --size-mib N
//!  [--block-size 8192] [--byte-order le|be] [--file-number 4] [--dbid 1650000001] [--seed 1]`
//!
//! The file is `N` MiB long (block 0 included), smallfile, tablespace USERS of database ORCL;
//! about one block in eight is empty, the others hold rows (`datafile::writer::sample_content`).

use std::path::PathBuf;
use std::time::Instant;

use datafile::writer::{sample_content, write_datafile, DatafileSpec};
use datafile::ByteOrder;

fn main() {
    if let Err(e) = run() {
        eprintln!("write_datafile: {e}");
        std::process::exit(2);
    }
}

fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{flag} {v}: not a valid value"))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut path: Option<PathBuf> = None;
    let mut mib: u64 = 1024;
    let mut spec = DatafileSpec::default();
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--size-mib" => mib = value(&a, args.next())?,
            "--block-size" => spec.block_size = value(&a, args.next())?,
            "--file-number" => {
                spec.file_number = value(&a, args.next())?;
                spec.relative_file_number = spec.file_number.clamp(1, 1023);
            }
            "--dbid" => spec.dbid = value(&a, args.next())?,
            "--seed" => seed = value(&a, args.next())?,
            "--byte-order" => {
                spec.byte_order = match args.next().as_deref() {
                    Some("le") => ByteOrder::Little,
                    Some("be") => ByteOrder::Big,
                    other => return Err(format!("--byte-order {other:?}: le or be").into()),
                }
            }
            _ if a.starts_with('-') => return Err(format!("unknown option {a}").into()),
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let path = path.ok_or("usage: write_datafile PATH --size-mib N [--block-size B] ...")?;
    let bytes = mib.checked_mul(1 << 20).ok_or("--size-mib is too large")?;
    spec.blocks = (bytes / u64::from(spec.block_size)).saturating_sub(1);
    let t = Instant::now();
    write_datafile(&path, &spec, sample_content(seed, 1_000_000))?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "write_datafile: {} ({mib} MiB, {} blocks of {}) in {secs:.2}s",
        path.display(),
        spec.blocks + 1,
        spec.block_size
    );
    Ok(())
}

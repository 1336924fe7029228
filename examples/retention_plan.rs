//! Computes a retention plan for one database of a backup.cfg, for daily snapshots over the
//! last 400 days, and prints what would be kept and why.
//!
//! `cargo run -p examples --example retention_plan -- examples/configs/backup.zfssa.cfg orcl`

use std::collections::BTreeMap;
use std::path::PathBuf;

use backupcore::config::{Config, DbSettings};
use backupcore::retention::{plan, Candidate};
use chrono::{Duration, Utc};

fn main() {
    if let Err(e) = run() {
        eprintln!("retention_plan: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "examples/configs/backup.zfssa.cfg".into()),
    );
    let db = args.next().unwrap_or_else(|| "orcl".into());
    let cfg = Config::load(&path)?;
    let settings = DbSettings::load(&cfg.database(&db)?)?;
    let now = Utc::now();
    let ids: Vec<(String, chrono::DateTime<Utc>)> = (0..400)
        .rev()
        .map(|d| {
            let at = now - Duration::days(d) - Duration::hours(2);
            (format!("{db}-{}", at.format("%Y%m%dT%H%M%S")), at)
        })
        .collect();
    let candidates: Vec<Candidate<'_>> = ids
        .iter()
        .map(|(id, created)| Candidate {
            id,
            created: *created,
            clones: 0,
        })
        .collect();
    let decisions = plan(&candidates, settings.retention, now);
    println!(
        "{db}: snapexpirationdays={} snapexpirationmonths={}",
        settings.retention.days, settings.retention.months
    );
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in &decisions {
        *counts
            .entry(format!(
                "{} ({})",
                if d.keep() { "keep" } else { "drop" },
                d.reason
            ))
            .or_default() += 1;
        if d.keep() {
            println!(
                "keep {} [{}]: {}",
                d.id,
                d.created.format("%Y-%m-%d %H:%M:%S UTC"),
                d.reason
            );
        }
    }
    for (what, n) in counts {
        println!("{n:4} {what}");
    }
    Ok(())
}

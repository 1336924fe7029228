//! Lists, clones and cleans snapshots through the `SnapHandler` trait. The in-memory backend
//! stands in for a storage system here; any backend works the same way.
//!
//! `cargo run -p examples --example list_snapshots`

use backupcore::retention::Policy;
use backupcore::snap::memory::MemoryStorage;
use backupcore::snap::{ops, snapshot_name, SnapHandler};
use chrono::{Duration, Local, Utc};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("list_snapshots: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let storage = MemoryStorage::new();
    let handler: &dyn SnapHandler = &storage.handler("orcl");
    for minutes in [3, 2, 1] {
        let name = snapshot_name(
            handler.database(),
            Local::now() - Duration::minutes(minutes),
        );
        println!(
            "Snapshot created: {}",
            handler.create_snapshot(&name).await?
        );
    }
    for s in ops::list_sorted(handler).await? {
        println!("{}", s.list_line());
    }
    let first = ops::list_sorted(handler).await?.remove(0);
    let clone = handler
        .clone_snapshot(&first.id, "orcl_restore_clone")
        .await?;
    println!("Clone name: {}", clone.name);
    println!("Mount point: {}", clone.mount_point);
    for c in handler.list_clones().await? {
        println!("{}", c.list_line());
    }
    println!("clean --dry-run, keeping nothing older than a day:");
    let report = ops::clean(
        handler,
        Policy { days: 0, months: 0 },
        Utc::now() + Duration::days(1),
        true,
    )
    .await?;
    for e in &report.entries {
        println!("{}", e.line());
    }
    handler.drop_clone(&clone.name).await?;
    println!("Clone dropped.");
    Ok(())
}

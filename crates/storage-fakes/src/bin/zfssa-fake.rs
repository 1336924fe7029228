//! `zfssa-fake`: runs the ZFS Storage Appliance fake as a process (for benchmarks and
//! binary-level tests).
//!
//! ```text
//! zfssa-fake --user U --password P --pool POOL --project PROJ --filesystem FS
//!            [--snapshots N] [--snapshot-prefix seed-] [--space-data BYTES]
//!            [--port 0] [--delay-ms 0] [--ignore-stdin]
//! ```
//!
//! Seeds `POOL/PROJ/FS` with `N` snapshots named `<prefix>0001` ... (oldest first, one a
//! day, the newest created now), prints exactly one line `listening http://127.0.0.1:PORT`
//! on stdout, then serves until stdin reaches end of file (a parent stops it by closing
//! the pipe; `--ignore-stdin` disables this) or SIGTERM / SIGINT arrives, and exits 0.
//! Request recording is off (the process may serve many requests).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use storage_fakes::zfssa::ZfssaFake;

const USAGE: &str = "usage: zfssa-fake --user U --password P --pool POOL --project PROJ \
--filesystem FS [--snapshots N] [--snapshot-prefix PREFIX] [--space-data BYTES] [--port PORT] \
[--delay-ms MS] [--ignore-stdin]";

struct Args {
    user: String,
    password: String,
    pool: String,
    project: String,
    filesystem: String,
    snapshots: u32,
    snapshot_prefix: String,
    space_data: u64,
    port: u16,
    delay_ms: u64,
    ignore_stdin: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut user = None;
    let mut password = None;
    let mut pool = None;
    let mut project = None;
    let mut filesystem = None;
    let mut snapshots = 0u32;
    let mut snapshot_prefix = "seed-".to_owned();
    let mut space_data = 1u64 << 30;
    let mut port = 0u16;
    let mut delay_ms = 0u64;
    let mut ignore_stdin = false;

    fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
        v.parse()
            .map_err(|_| format!("{flag}: not a valid number: {v}"))
    }

    while let Some(flag) = it.next() {
        if flag == "--ignore-stdin" {
            ignore_stdin = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag}: missing value"))?;
        match flag.as_str() {
            "--user" => user = Some(value),
            "--password" => password = Some(value),
            "--pool" => pool = Some(value),
            "--project" => project = Some(value),
            "--filesystem" => filesystem = Some(value),
            "--snapshots" => snapshots = number(&flag, value)?,
            "--snapshot-prefix" => snapshot_prefix = value,
            "--space-data" => space_data = number(&flag, value)?,
            "--port" => port = number(&flag, value)?,
            "--delay-ms" => delay_ms = number(&flag, value)?,
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    let required = |v: Option<String>, flag: &str| v.ok_or_else(|| format!("{flag} is required"));
    Ok(Args {
        user: required(user, "--user")?,
        password: required(password, "--password")?,
        pool: required(pool, "--pool")?,
        project: required(project, "--project")?,
        filesystem: required(filesystem, "--filesystem")?,
        snapshots,
        snapshot_prefix,
        space_data,
        port,
        delay_ms,
        ignore_stdin,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("zfssa-fake: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("zfssa-fake: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::from(1);
        }
    };
    let fake = ZfssaFake::start_on(listener, &args.user, &args.password).await;
    fake.set_request_recording(false);
    fake.set_delay(Duration::from_millis(args.delay_ms));
    fake.add_filesystem(&args.pool, &args.project, &args.filesystem);
    fake.set_filesystem_space_data(&args.pool, &args.project, &args.filesystem, args.space_data);
    let now = Utc::now();
    for i in 0..args.snapshots {
        let age_days = i64::from(args.snapshots - 1 - i);
        fake.add_snapshot(
            &args.pool,
            &args.project,
            &args.filesystem,
            &format!("{}{:04}", args.snapshot_prefix, i + 1),
            now - TimeDelta::days(age_days),
            args.space_data,
            0,
        );
    }

    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening {}", fake.uri())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }

    // Stdin is read on a plain thread: a blocking read must not keep the runtime alive.
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
    if !args.ignore_stdin {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut stdin = std::io::stdin();
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            let _ = eof_tx.send(());
        });
    } else {
        // Keep the sender alive so the receiver never completes.
        std::mem::forget(eof_tx);
    }

    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zfssa-fake: cannot handle SIGTERM: {e}");
            return ExitCode::from(1);
        }
    };
    tokio::select! {
        _ = eof_rx => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(fake);
    // Do not wait for the stdin thread (it may still be blocked reading).
    std::process::exit(0);
}

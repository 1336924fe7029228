//! `zfssa-fake`: runs the ZFS Storage Appliance fake as a process (for benchmarks and
//! binary-level tests).
//!
//! ```text
//! zfssa-fake --user U --password P [--pool POOL --project PROJ --filesystem FS]
//!            [--snapshots N] [--snapshot-prefix seed-] [--space-data BYTES]
//!            [--bind POOL/PROJECT/FS=DIR]... [--clone-root DIR]
//!            [--port 0] [--delay-ms 0] [--ignore-stdin]
//! ```
//!
//! Seeds `POOL/PROJ/FS` with `N` snapshots named `<prefix>0001` ... (oldest first, one a
//! day, the newest created now). `--pool`, `--project` and `--filesystem` go together and
//! may be left out when at least one `--bind` is given.
//!
//! `--bind POOL/PROJECT/FS=DIR` (repeatable) creates the filesystem (and its project) if
//! missing and binds it to the existing directory `DIR`, its "NFS mount": each snapshot
//! is then copied read-only to `DIR/.zfs/snapshot/<name>`. `--clone-root DIR` makes clones
//! of snapshots of bound filesystems copies at `DIR/<clone share name>` (see
//! [`ZfssaFake::bind_directory`], [`ZfssaFake::bind_clone_root`]). Binding happens before
//! seeding, so seeded snapshots of a bound filesystem are copied too.
//!
//! Once set up, it prints exactly one line `listening http://127.0.0.1:PORT`
//! on stdout, then serves until stdin reaches end of file (a parent stops it by closing
//! the pipe; `--ignore-stdin` disables this) or SIGTERM / SIGINT arrives, and exits 0.
//! Request recording is off (the process may serve many requests).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use storage_fakes::zfssa::ZfssaFake;

const USAGE: &str = "usage: zfssa-fake --user U --password P [--pool POOL --project PROJ \
--filesystem FS] [--snapshots N] [--snapshot-prefix PREFIX] [--space-data BYTES] \
[--bind POOL/PROJECT/FS=DIR]... [--clone-root DIR] [--port PORT] [--delay-ms MS] [--ignore-stdin]

  --pool/--project/--filesystem  the filesystem to seed with --snapshots (optional with --bind)
  --bind POOL/PROJECT/FS=DIR     repeatable: the filesystem (created if missing) has the
                                 contents of the existing directory DIR, its NFS mount; each
                                 snapshot is copied read-only to DIR/.zfs/snapshot/NAME
  --clone-root DIR               clones of snapshots of bound filesystems are copied
                                 (writable) to DIR/CLONE-SHARE-NAME";

/// One `--bind POOL/PROJECT/FS=DIR`.
struct Bind {
    pool: String,
    project: String,
    filesystem: String,
    dir: PathBuf,
}

fn parse_bind(v: &str) -> Result<Bind, String> {
    let bad = || format!("--bind: expected POOL/PROJECT/FS=DIR, got: {v}");
    let (share, dir) = v.split_once('=').ok_or_else(bad)?;
    let parts: Vec<&str> = share.split('/').collect();
    match parts.as_slice() {
        [pool, project, filesystem]
            if !pool.is_empty()
                && !project.is_empty()
                && !filesystem.is_empty()
                && !dir.is_empty() =>
        {
            Ok(Bind {
                pool: (*pool).to_owned(),
                project: (*project).to_owned(),
                filesystem: (*filesystem).to_owned(),
                dir: PathBuf::from(dir),
            })
        }
        _ => Err(bad()),
    }
}

/// The filesystem seeded with `--snapshots`.
struct Seed {
    pool: String,
    project: String,
    filesystem: String,
}

struct Args {
    user: String,
    password: String,
    seed: Option<Seed>,
    binds: Vec<Bind>,
    clone_root: Option<PathBuf>,
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
    let mut binds = Vec::new();
    let mut clone_root = None;

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
            "--bind" => binds.push(parse_bind(&value)?),
            "--clone-root" => clone_root = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    let required = |v: Option<String>, flag: &str| v.ok_or_else(|| format!("{flag} is required"));
    let user = required(user, "--user")?;
    let password = required(password, "--password")?;
    let seed = if binds.is_empty() || pool.is_some() || project.is_some() || filesystem.is_some() {
        Some(Seed {
            pool: required(pool, "--pool")?,
            project: required(project, "--project")?,
            filesystem: required(filesystem, "--filesystem")?,
        })
    } else {
        None
    };
    if seed.is_none() && snapshots > 0 {
        return Err("--snapshots needs --pool, --project and --filesystem".to_owned());
    }
    Ok(Args {
        user,
        password,
        seed,
        binds,
        clone_root,
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
    for b in &args.binds {
        if !b.dir.is_dir() {
            eprintln!(
                "zfssa-fake: --bind {}/{}/{}: not a directory: {}",
                b.pool,
                b.project,
                b.filesystem,
                b.dir.display()
            );
            return ExitCode::from(2);
        }
        fake.bind_directory(&b.pool, &b.project, &b.filesystem, b.dir.clone());
    }
    if let Some(root) = &args.clone_root {
        fake.bind_clone_root(root.clone());
    }
    if let Some(seed) = &args.seed {
        fake.add_filesystem(&seed.pool, &seed.project, &seed.filesystem);
        fake.set_filesystem_space_data(
            &seed.pool,
            &seed.project,
            &seed.filesystem,
            args.space_data,
        );
        let now = Utc::now();
        for i in 0..args.snapshots {
            let age_days = i64::from(args.snapshots - 1 - i);
            fake.add_snapshot(
                &seed.pool,
                &seed.project,
                &seed.filesystem,
                &format!("{}{:04}", args.snapshot_prefix, i + 1),
                now - TimeDelta::days(age_days),
                args.space_data,
                0,
            );
        }
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

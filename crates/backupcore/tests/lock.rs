//! Database lock, exercised with real processes: this test binary re-executes itself
//! as the lock holder (`lock_child_helper`).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use backupcore::lock::{lock_path, read_owner, DbLock, LockError, LockOptions, LockOwner};
use proptest::prelude::*;

const CHILD_ENV: &str = "BACKUPCORE_LOCK_CHILD_DIR";

fn opts(max_wait: Duration) -> LockOptions {
    LockOptions {
        max_wait,
        poll_interval: Duration::from_millis(20),
    }
}

fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// A pid that certainly does not run any more.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().expect("spawn true");
    let pid = c.id();
    c.wait().expect("wait true");
    pid
}

fn record(host: &str, pid: u32) -> String {
    format!("host: {host}\npid: {pid}\nstarted: 2026-11-21T10:15:00Z\nprogram: backup\n")
}

/// Not a real test: the lock holder when run as a child process.
#[test]
fn lock_child_helper() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let lock = DbLock::acquire(Path::new(&dir), &opts(Duration::from_secs(10))).expect("lock");
    let mut out = std::io::stdout();
    writeln!(out, "LOCKED {}", std::process::id()).expect("stdout");
    out.flush().expect("flush");
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest).expect("stdin");
    lock.release().expect("release");
    writeln!(out, "RELEASED").expect("stdout");
    out.flush().expect("flush");
}

/// A child process holding the lock; killed when dropped.
struct Holder {
    child: Child,
    stdout: BufReader<ChildStdout>,
    pid: u32,
}

impl Holder {
    fn start(dir: &Path) -> Holder {
        let mut child = Command::new(std::env::current_exe().expect("current_exe"))
            .args([
                "--exact",
                "lock_child_helper",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        // From here on the child is killed and reaped by `Drop` if anything fails.
        let mut holder = Holder {
            child,
            stdout: BufReader::new(stdout),
            pid: 0,
        };
        let mut line = String::new();
        loop {
            line.clear();
            let n = holder.stdout.read_line(&mut line).expect("read child");
            assert!(n > 0, "child ended without locking");
            // libtest may have printed "test lock_child_helper ... " on the same line.
            if let Some((_, pid)) = line.trim().split_once("LOCKED ") {
                holder.pid = pid.parse().expect("pid");
                assert_eq!(holder.pid, holder.child.id());
                return holder;
            }
        }
    }

    /// Closes the child's stdin: it releases the lock and exits.
    fn let_go(&mut self) {
        drop(self.child.stdin.take());
    }

    /// The rest of the child's output, after it exited.
    fn finish(mut self) -> String {
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("read child");
        let status = self.child.wait().expect("wait child");
        assert!(status.success(), "child failed: {status}\n{rest}");
        rest
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn busy_while_other_process_holds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let holder = Holder::start(dir.path());

    for wait in [Duration::ZERO, Duration::from_millis(100)] {
        let err = DbLock::acquire(dir.path(), &opts(wait)).expect_err("must be busy");
        let LockError::Busy {
            path,
            owner,
            waited,
        } = &err
        else {
            panic!("not busy: {err}");
        };
        assert_eq!(path, &lock_path(dir.path()));
        let owner = owner.as_ref().expect("owner known");
        assert_eq!(owner.pid, holder.pid);
        assert_eq!(owner.host, hostname());
        assert!(*waited >= wait);
        let msg = err.to_string();
        assert!(msg.starts_with("database is locked: "), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains(&format!("pid {} on host", holder.pid)),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }
    assert_eq!(
        read_owner(dir.path()).expect("read_owner").map(|o| o.pid),
        Some(holder.pid)
    );
}

#[test]
fn waits_until_other_process_releases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut holder = Holder::start(dir.path());
    assert!(matches!(
        DbLock::acquire(dir.path(), &opts(Duration::ZERO)),
        Err(LockError::Busy { .. })
    ));

    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let waiter = {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
            started_tx.send(()).expect("send");
            DbLock::acquire(&dir, &opts(Duration::from_secs(30)))
        })
    };
    started_rx.recv().expect("waiter started");
    holder.let_go();

    let lock = waiter
        .join()
        .expect("join")
        .expect("acquired after release");
    assert!(holder.finish().contains("RELEASED"));
    assert_eq!(lock.owner().pid, std::process::id());
    assert_eq!(lock.path(), lock_path(dir.path()));
    lock.release().expect("release");
    assert!(!lock_path(dir.path()).exists());
}

#[test]
fn killed_holder_lock_is_taken_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut holder = Holder::start(dir.path());
    let child_pid = holder.pid;
    holder.child.kill().expect("kill");
    holder.child.wait().expect("wait");
    let file = lock_path(dir.path());
    assert!(file.exists(), "killed child left its lock behind");
    assert_eq!(
        read_owner(dir.path()).expect("read").map(|o| o.pid),
        Some(child_pid)
    );

    let lock = DbLock::acquire(dir.path(), &opts(Duration::ZERO)).expect("stale takeover");
    let now = read_owner(dir.path()).expect("read").expect("owner");
    assert_eq!(now.pid, std::process::id());
    assert_eq!(now.host, hostname());
    assert!(now.pid_start.is_some());
    assert_eq!(&now, lock.owner());
    drop(lock);
    assert!(!file.exists());
    // Nothing but the (removed) lock was left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
}

#[test]
fn other_hosts_lock_is_never_taken_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = lock_path(dir.path());
    let content = record("some-other-host.example", dead_pid());
    std::fs::write(&file, &content).expect("write");

    let err = DbLock::acquire(dir.path(), &opts(Duration::from_millis(60))).expect_err("busy");
    match &err {
        LockError::Busy { owner, .. } => {
            assert_eq!(
                owner.as_ref().map(|o| o.host.as_str()),
                Some("some-other-host.example")
            );
        }
        other => panic!("not busy: {other}"),
    }
    assert!(
        err.to_string().contains("since 2026-11-21 10:15:00 UTC"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), content);
}

#[test]
fn python_lock_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = lock_path(dir.path());
    let python = |host: &str, pid: u32| {
        format!(
            "('Linux', '{host}', '3.10.0-1160.el7.x86_64', '#1 SMP Thu Nov 19 12:00:00 UTC 2020', 'x86_64')\n2024-03-01 10:00:00\n{pid}\n"
        )
    };
    let pid = dead_pid();

    // Another host: only waited for, owner parsed.
    std::fs::write(&file, python("dbhost99", pid)).expect("write");
    match DbLock::acquire(dir.path(), &opts(Duration::ZERO)) {
        Err(LockError::Busy {
            owner: Some(owner), ..
        }) => {
            assert_eq!(owner.host, "dbhost99");
            assert_eq!(owner.pid, pid);
            assert!(owner.started.is_some());
        }
        other => panic!("expected busy with owner, got {other:?}"),
    }

    // This host, dead pid: taken over.
    std::fs::write(&file, python(&hostname(), pid)).expect("write");
    let lock = DbLock::acquire(dir.path(), &opts(Duration::ZERO)).expect("takeover");
    assert_eq!(
        read_owner(dir.path()).expect("read").map(|o| o.pid),
        Some(std::process::id())
    );
    lock.release().expect("release");
    assert!(!file.exists());
}

#[test]
fn release_leaves_someone_elses_lock_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = lock_path(dir.path());
    let other = record("intruder-host", 4242);

    let lock = DbLock::acquire(dir.path(), &opts(Duration::ZERO)).expect("lock");
    std::fs::write(&file, &other).expect("overwrite");
    match lock.release() {
        Err(LockError::Lost {
            owner: Some(owner), ..
        }) => assert_eq!(owner.host, "intruder-host"),
        other => panic!("expected Lost, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&file).expect("read"), other);

    // Same on drop.
    std::fs::remove_file(&file).expect("rm");
    let lock = DbLock::acquire(dir.path(), &opts(Duration::ZERO)).expect("lock");
    std::fs::write(&file, &other).expect("overwrite");
    drop(lock);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), other);
}

#[test]
fn concurrent_takeover_of_a_stale_lock() {
    const THREADS: usize = 8;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(lock_path(dir.path()), record(&hostname(), dead_pid())).expect("write");

    let barrier = Arc::new(Barrier::new(THREADS));
    let inside = Arc::new(AtomicUsize::new(0));
    let max_inside = Arc::new(AtomicUsize::new(0));
    let acquired = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (dir, barrier, inside, max_inside, acquired) = (
                dir.path().to_path_buf(),
                barrier.clone(),
                inside.clone(),
                max_inside.clone(),
                acquired.clone(),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let lock = DbLock::acquire(
                    &dir,
                    &LockOptions {
                        max_wait: Duration::from_secs(10),
                        poll_interval: Duration::from_millis(5),
                    },
                )
                .expect("acquire");
                let before = inside.fetch_add(1, Ordering::SeqCst);
                max_inside.fetch_max(before + 1, Ordering::SeqCst);
                assert_eq!(before, 0, "two holders at once");
                for _ in 0..20 {
                    std::thread::yield_now();
                }
                let on_disk = std::fs::read_to_string(lock.path()).expect("read");
                assert_eq!(LockOwner::parse(&on_disk).as_ref(), Some(lock.owner()));
                inside.fetch_sub(1, Ordering::SeqCst);
                lock.release().expect("release");
                acquired.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(max_inside.load(Ordering::SeqCst), 1);
    assert_eq!(acquired.load(Ordering::SeqCst), THREADS);
    // No temporary or moved-aside files left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn missing_directory_is_not_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("orcl");
    let err = DbLock::acquire(&missing, &opts(Duration::ZERO)).expect_err("no dir");
    assert!(matches!(err, LockError::NoDirectory(ref p) if p == &missing));
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!missing.exists());
    assert!(matches!(
        read_owner(&missing),
        Err(LockError::NoDirectory(_))
    ));
    assert_eq!(read_owner(dir.path()).expect("read"), None);
}

#[test]
fn from_minutes() {
    let o = LockOptions::from_minutes(30);
    assert_eq!(o.max_wait, Duration::from_secs(1800));
    assert_eq!(o.poll_interval, Duration::from_secs(1));
}

proptest! {
    #[test]
    fn parse_never_panics(s in any::<String>(), t in "\\PC*") {
        let _ = LockOwner::parse(&s);
        let _ = LockOwner::parse(&t);
    }

    #[test]
    fn parse_never_panics_on_near_misses(
        lines in prop::collection::vec(
            prop_oneof![
                "(host|pid|started|pidstart|program|token) ?:.{0,30}",
                "pid: [0-9+-]{0,12}",
                "pidstart: [0-9]{0,25}",
                "started: [0-9T:Z+.-]{0,30}",
                "\\(['\"a-z, \\\\]{0,40}\\)?",
                "posix\\.uname_result\\(nodename=['\"\\\\a-z]{0,10}",
                "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,9})?",
                ".{0,20}",
            ],
            0..6,
        ),
        sep in "(\n|\r\n|\r)",
    ) {
        let text = lines.join(&sep);
        if let Some(o) = LockOwner::parse(&text) {
            prop_assert!(o.pid > 0);
            prop_assert!(!o.host.is_empty());
            let _ = o.to_string();
        }
    }
}

//! Helpers: a simulated database in a temporary directory, driven through the real binary.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use oracle_sim::state::State;

/// A simulated database made by `oracle-sim init` in a temporary directory.
pub struct Sim {
    pub dir: tempfile::TempDir,
}

pub const EXE: &str = env!("CARGO_BIN_EXE_oracle-sim");

impl Sim {
    /// `oracle-sim init --root <tmp> --db orcl --dbid 1433672784 --datafiles 4 --size-mib 1`.
    pub fn new() -> Sim {
        Sim::with_args(&[])
    }

    pub fn with_args(extra: &[&str]) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap().to_string();
        let mut args = vec![
            "init",
            "--root",
            &root,
            "--db",
            "orcl",
            "--dbid",
            "1433672784",
            "--datafiles",
            "4",
            "--size-mib",
            "1",
        ];
        args.extend_from_slice(extra);
        let out = Command::new(EXE).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Sim { dir }
    }

    pub fn base(&self) -> &Path {
        self.dir.path()
    }

    pub fn oracle_home(&self) -> PathBuf {
        self.base().join("oracle_home")
    }

    pub fn tns_admin(&self) -> PathBuf {
        self.base().join("tns")
    }

    pub fn sim_root(&self) -> PathBuf {
        self.base().join("simdb")
    }

    /// The backup area of database orcl: `<base>/backup/orcl` (created).
    pub fn backupdest(&self) -> PathBuf {
        let p = self.base().join("backup").join("orcl");
        std::fs::create_dir_all(p.join("archivelog")).unwrap();
        p
    }

    pub fn state(&self) -> State {
        State::load(&self.sim_root()).unwrap()
    }

    /// Runs the admin tool with `args` (`--root` added after the command).
    pub fn admin(&self, cmd: &str, args: &[&str]) -> Output {
        Command::new(EXE)
            .arg(cmd)
            .arg("--root")
            .arg(self.base())
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `$ORACLE_HOME/bin/<tool> args` with `stdin`, the ORACLE_HOME environment and
    /// `env` added.
    pub fn tool(&self, tool: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(self.oracle_home().join("bin").join(tool));
        cmd.args(args)
            .env_remove("ORACLE_SIM_ROOT")
            .env_remove("ORACLE_SIM_FAIL")
            .env_remove("ORACLE_SIM_NOW")
            .env("ORACLE_HOME", self.oracle_home())
            .env("TNS_ADMIN", self.tns_admin())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// `sqlplus -S /nolog` with `script` on stdin.
    pub fn sqlplus(&self, script: &str, env: &[(&str, &str)]) -> Output {
        self.tool("sqlplus", &["-S", "/nolog"], script, env)
    }
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The backup substitutions of the test database (`orcl`, recovery window 2, parallel 4).
pub fn backup_subs(sim: &Sim, sectionsize: &str) -> rman::template::Substitutions {
    let backupdest = sim.backupdest();
    rman::template::Substitutions::new()
        .with("configname", "orcl")
        .with("backupdest", backupdest.to_str().unwrap())
        .with("archdir", backupdest.join("archivelog").to_str().unwrap())
        .with("recoverywindow", "2")
        .with("parallel", "4")
        .with("sectionsize", sectionsize)
        .with("dbid", "1433672784")
}

/// An RMAN script of the backup path, rendered from the built-in templates.
pub fn backup_script(
    sim: &Sim,
    sectionsize: &str,
    action: rman::template::RmanAction<'_>,
) -> String {
    use rman::template::{rman_script, ScriptOptions, TemplateKind, TemplateSet};
    let set = TemplateSet::builtin(TemplateKind::Rman).unwrap();
    rman_script(
        &set,
        &backup_subs(sim, sectionsize),
        ScriptOptions::default(),
        action,
    )
    .unwrap()
}

/// Runs the simulated `rman` with `script` on stdin.
pub fn rman(sim: &Sim, script: &str, env: &[(&str, &str)]) -> Output {
    sim.tool("rman", &[], script, env)
}

/// Stdout of a successful RMAN run: exit 0, no error stack, no ORA- error, a clean end.
pub fn rman_succeeded(out: &Output) -> String {
    let stdout = text(out);
    assert!(
        out.status.success(),
        "rman failed ({:?})\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("RMAN-00569"), "{stdout}");
    assert!(!stdout.contains("ORA-"), "{stdout}");
    assert!(stdout.ends_with("Recovery Manager complete.\n"), "{stdout}");
    stdout
}

/// Stdout of a failed RMAN run: exit 1 with RMAN's error-stack framing.
pub fn rman_failed(out: &Output) -> String {
    let stdout = text(out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("RMAN-00571: ===========================================================\nRMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============\n"), "{stdout}");
    assert!(stdout.ends_with("Recovery Manager complete.\n"), "{stdout}");
    stdout
}

/// `oracle-sim <cmd>` that must succeed.
pub fn admin_ok(sim: &Sim, cmd: &str, args: &[&str]) {
    let out = sim.admin(cmd, args);
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies a directory tree (a clone of a backup area, for restore tests).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `backup orcl config` by hand: the RMAN configuration and the extra archivelog destination
/// in the backup area (and block change tracking when `bct`).
pub fn configure_for_backup(sim: &Sim, bct: bool) {
    rman_succeeded(&rman(
        sim,
        &backup_script(
            sim,
            "",
            rman::template::RmanAction::Config {
                already_registered: false,
            },
        ),
        &[],
    ));
    let s = format!(
        "whenever sqlerror exit failure\nconn /@orcl as sysdba\nalter system set log_archive_dest_3='LOCATION={} VALID_FOR=(ONLINE_LOGFILE,PRIMARY_ROLE)' scope=both;\nalter system set log_archive_dest_state_3=enable scope=both;\n{}exit\n",
        sim.backupdest().join("archivelog").display(),
        if bct { "alter database enable block change tracking;\n" } else { "" }
    );
    let out = sim.sqlplus(&s, &[]);
    assert!(out.status.success(), "{}", text(&out));
}

//! `oracle-sim`: the simulated ORACLE_HOME's programs (dispatched on `argv[0]`) and the
//! administration commands `init`, `workload`, `add-datafile`, `drop-datafile`,
//! `switch-logfile`, `set-clock`, `run-job`, `show`, `add-catalog`, `encrypt-tablespace`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use oracle_sim::db::{self, InitOptions};
use oracle_sim::state::{find_root, State, StateLock};
use oracle_sim::{sqlplus, tools};

const USAGE: &str = "usage:
  oracle-sim init --root DIR --db NAME --dbid N [--datafiles N] [--size-mib N] [--block-size B] [--cdb]
  oracle-sim workload --root DIR [--blocks N] [--seed S]
  oracle-sim add-datafile --root DIR --tablespace NAME [--size-mib N]
  oracle-sim drop-datafile --root DIR --file N
  oracle-sim switch-logfile --root DIR
  oracle-sim set-clock --root DIR --offset-secs N
  oracle-sim run-job --root DIR --job IMAGECOPY_JOB|ARCHLOGBACKUP_JOB [--status SUCCEEDED|FAILED] [--ago-secs N] [--duration-secs N]
  oracle-sim show --root DIR
  oracle-sim add-catalog --root DIR --alias NAME [--kind restore|rman] [--user U]
  oracle-sim encrypt-tablespace --root DIR --tablespace NAME
DIR is the directory given to init (or its simdb/ directory).
Started as rman, sqlplus, sqlldr, adrci, opatch or srvctl it behaves as that program.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().cloned().unwrap_or_default();
    let name = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest = args.get(1..).unwrap_or(&[]).to_vec();
    let code = match name.as_str() {
        "sqlplus" => run_sqlplus(&argv0, &rest),
        "rman" => run_rman(&argv0, &rest),
        "adrci" => {
            let mut stdin = String::new();
            let wants_stdin = !rest.iter().any(|a| {
                let l = a.to_ascii_lowercase();
                l.starts_with("script=") || l.starts_with("exec=")
            });
            if wants_stdin && std::io::stdin().read_to_string(&mut stdin).is_err() {
                eprintln!("oracle-sim: cannot read standard input");
                return ExitCode::from(1);
            }
            let (text, code) = oracle_sim::adrci::run(&rest, &stdin);
            print!("{text}");
            code
        }
        "sqlldr" => {
            let root = find_root(Some(Path::new(&argv0))).ok();
            let (text, code) = oracle_sim::sqlldr::run(&rest, root.as_deref());
            print!("{text}");
            code
        }
        "opatch" | "srvctl" => {
            let state = find_root(Some(Path::new(&argv0)))
                .ok()
                .and_then(|r| State::load(&r).ok());
            let (text, code) = tools::run(&name, &rest, state.as_ref());
            if code == 0 {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
            code
        }
        _ => admin(&rest),
    };
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}

fn run_sqlplus(argv0: &str, args: &[String]) -> i32 {
    // `sqlplus ... @file` runs the file first, then goes on reading standard input.
    let mut script = String::new();
    let mut rest: Vec<String> = Vec::new();
    for a in args {
        match a.strip_prefix('@').filter(|f| !f.is_empty()) {
            Some(file) => {
                let mut path = PathBuf::from(file);
                if path.extension().is_none() {
                    path.set_extension("sql");
                }
                match std::fs::read_to_string(&path) {
                    Ok(t) => {
                        script.push_str(&t);
                        script.push('\n');
                    }
                    Err(_) => println!("SP2-0310: unable to open file \"{}\"", path.display()),
                }
            }
            None => rest.push(a.clone()),
        }
    }
    let args = rest.as_slice();
    if std::io::stdin().read_to_string(&mut script).is_err() {
        eprintln!("oracle-sim: cannot read the script from standard input");
        return 1;
    }
    let root = find_root(Some(Path::new(argv0))).map_err(|e| e.to_string());
    let out: Box<dyn Write> = Box::new(std::io::stdout());
    sqlplus::run(args, &script, root, out)
}

fn run_rman(argv0: &str, args: &[String]) -> i32 {
    // `cmdfile F` / `@F` runs the file; else the script is read from standard input.
    let mut script = String::new();
    let lower: Vec<String> = args.iter().map(|a| a.to_ascii_lowercase()).collect();
    let value_of = |name: &str| {
        lower
            .iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let cmdfile = value_of("cmdfile").or_else(|| {
        args.iter()
            .find_map(|a| a.strip_prefix('@').map(str::to_string))
    });
    let rest: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('@'))
        .cloned()
        .collect();
    if let Some(f) = &cmdfile {
        match std::fs::read_to_string(f) {
            Ok(t) => script = t,
            Err(e) => {
                eprintln!("oracle-sim: rman: cannot read {f}: {e}");
                return 1;
            }
        }
    } else if std::io::stdin().read_to_string(&mut script).is_err() {
        eprintln!("oracle-sim: cannot read the script from standard input");
        return 1;
    }
    let root = find_root(Some(Path::new(argv0))).map_err(|e| e.to_string());
    // `log F [append]`: the output goes to the file instead of standard output.
    let mut out: Box<dyn Write> = match value_of("log") {
        Some(f) => {
            let append = lower.iter().any(|a| a == "append");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(&f);
            match file {
                Ok(file) => Box::new(file),
                Err(e) => {
                    eprintln!("oracle-sim: rman: cannot open the log {f}: {e}");
                    return 1;
                }
            }
        }
        None => Box::new(std::io::stdout()),
    };
    oracle_sim::rman::run(&rest, &script, root, &mut *out)
}

/// Value of `--name` in `args`.
fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn num<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match opt(args, name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: {v:?} is not a valid number")),
    }
}

fn admin(args: &[String]) -> i32 {
    match admin_inner(args) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            0
        }
        Err(e) => {
            eprintln!("oracle-sim: {e}");
            2
        }
    }
}

fn check_options(args: &[String], flags: &[&str], valued: &[&str]) -> Result<(), String> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if valued.contains(&a.as_str()) {
            if args.get(i + 1).is_none() {
                return Err(format!("{a} needs a value\n{USAGE}"));
            }
            i += 2;
        } else if flags.contains(&a.as_str()) {
            i += 1;
        } else {
            return Err(format!("unknown argument {a:?}\n{USAGE}"));
        }
    }
    Ok(())
}

fn root_arg(args: &[String]) -> Result<PathBuf, String> {
    opt(args, "--root")
        .map(|r| db::sim_root_of(Path::new(r)))
        .ok_or_else(|| format!("--root is required\n{USAGE}"))
}

fn admin_inner(args: &[String]) -> Result<Vec<String>, String> {
    let cmd = args.first().map(String::as_str).unwrap_or("");
    let rest = args.get(1..).unwrap_or(&[]);
    match cmd {
        "init" => {
            check_options(
                rest,
                &["--cdb"],
                &[
                    "--root",
                    "--db",
                    "--dbid",
                    "--datafiles",
                    "--size-mib",
                    "--block-size",
                ],
            )?;
            let root = opt(rest, "--root").ok_or("--root is required")?;
            let exe =
                std::env::current_exe().map_err(|e| format!("cannot find my executable: {e}"))?;
            let opts = InitOptions {
                root: PathBuf::from(root),
                db: opt(rest, "--db").ok_or("--db is required")?.to_string(),
                dbid: num(rest, "--dbid", 0u32)?,
                datafiles: num(rest, "--datafiles", 4u32)?,
                size_mib: num(rest, "--size-mib", 8u64)?,
                block_size: num(rest, "--block-size", 8192u32)?,
                cdb: rest.iter().any(|a| a == "--cdb"),
                exe,
            };
            if opts.dbid == 0 {
                return Err("--dbid is required (a non-zero number)".into());
            }
            db::init(&opts).map_err(|e| e.to_string())
        }
        "workload" => {
            check_options(rest, &[], &["--root", "--blocks", "--seed"])?;
            let root = root_arg(rest)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            let blocks = num(rest, "--blocks", 100u64)?;
            let seed = num(rest, "--seed", 1u64)?;
            let line = db::workload(&mut state, blocks, seed).map_err(|e| e.to_string())?;
            state.save(&root).map_err(|e| e.to_string())?;
            Ok(vec![line])
        }
        "add-datafile" => {
            check_options(rest, &[], &["--root", "--tablespace", "--size-mib"])?;
            let root = root_arg(rest)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            let ts = opt(rest, "--tablespace").ok_or("--tablespace is required")?;
            let df = db::add_datafile(&mut state, ts, num(rest, "--size-mib", 1u64)?)
                .map_err(|e| e.to_string())?;
            state.save(&root).map_err(|e| e.to_string())?;
            Ok(vec![format!(
                "datafile {} {} ({} blocks of {} bytes) {} created at SCN {}",
                df.file_number,
                df.tablespace,
                df.blocks,
                df.block_size,
                df.path.display(),
                df.creation_scn
            )])
        }
        "drop-datafile" => {
            check_options(rest, &[], &["--root", "--file"])?;
            let root = root_arg(rest)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            let n: u32 = num(rest, "--file", 0u32)?;
            let df = db::drop_datafile(&mut state, n).map_err(|e| e.to_string())?;
            state.save(&root).map_err(|e| e.to_string())?;
            Ok(vec![format!(
                "dropped datafile {} {} {}",
                df.file_number,
                df.tablespace,
                df.path.display()
            )])
        }
        "switch-logfile" => {
            check_options(rest, &[], &["--root"])?;
            let root = root_arg(rest)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            let log = db::switch_logfile(&mut state).map_err(|e| e.to_string())?;
            state.save(&root).map_err(|e| e.to_string())?;
            let mut lines = vec![format!(
                "archived log thread {} sequence {} SCN {}..{}",
                log.thread, log.sequence, log.first_scn, log.next_scn
            )];
            lines.extend(
                log.copies
                    .iter()
                    .map(|c| format!("  dest {}: {}", c.dest_id, c.path.display())),
            );
            Ok(lines)
        }
        "set-clock" => {
            check_options(rest, &[], &["--root", "--offset-secs"])?;
            let root = root_arg(rest)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            state.clock_offset_secs = num(rest, "--offset-secs", 0i64)?;
            state.save(&root).map_err(|e| e.to_string())?;
            Ok(vec![format!(
                "clock offset {} s; now {}",
                state.clock_offset_secs,
                state.now()
            )])
        }
        "run-job" => {
            check_options(
                rest,
                &[],
                &[
                    "--root",
                    "--job",
                    "--status",
                    "--ago-secs",
                    "--duration-secs",
                ],
            )?;
            let root = root_arg(rest)?;
            let job = opt(rest, "--job").ok_or("--job is required")?;
            let status = opt(rest, "--status").unwrap_or("SUCCEEDED");
            let ago = num(rest, "--ago-secs", 0u64)?;
            let duration = num(rest, "--duration-secs", 60u64)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            let line = oracle_sim::scheduler::record_run(&mut state, job, status, ago, duration)?;
            state.save(&root).map_err(|e| e.to_string())?;
            Ok(vec![line])
        }
        "show" => {
            check_options(rest, &[], &["--root"])?;
            let root = root_arg(rest)?;
            let state = State::load(&root).map_err(|e| e.to_string())?;
            serde_json::to_string_pretty(&state)
                .map(|s| vec![s])
                .map_err(|e| e.to_string())
        }
        "encrypt-tablespace" => {
            check_options(rest, &[], &["--root", "--tablespace"])?;
            let root = root_arg(rest)?;
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let mut state = State::load(&root).map_err(|e| e.to_string())?;
            let ts = opt(rest, "--tablespace").ok_or("--tablespace is required")?;
            let line = db::encrypt_tablespace(&mut state, ts).map_err(|e| e.to_string())?;
            state.save(&root).map_err(|e| e.to_string())?;
            Ok(vec![line])
        }
        "add-catalog" => {
            check_options(rest, &[], &["--root", "--alias", "--kind", "--user"])?;
            let base = PathBuf::from(opt(rest, "--root").ok_or("--root is required")?);
            let root = root_arg(rest)?;
            let base = if base == root {
                root.parent().map(Path::to_path_buf).unwrap_or(base)
            } else {
                base
            };
            let _lock = StateLock::acquire(&root).map_err(|e| e.to_string())?;
            let alias = opt(rest, "--alias").ok_or("--alias is required")?;
            let kind = opt(rest, "--kind").unwrap_or("restore");
            let user = opt(rest, "--user").unwrap_or("");
            oracle_sim::catalog::add(&base, &root, alias, kind, user).map(|l| vec![l])
        }
        "" | "-h" | "--help" | "help" => Ok(vec![USAGE.to_string()]),
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

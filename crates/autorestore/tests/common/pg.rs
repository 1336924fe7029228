//! A throwaway PostgreSQL server for tests: its own data directory in a temporary directory,
//! listening on 127.0.0.1 at a free port and on a Unix socket in that directory, stopped
//! (`pg_ctl -m immediate stop`) when the [`PgServer`] is dropped.
//!
//! * The programs: `initdb`/`pg_ctl` from `$PG_BINDIR`, else `PATH`, else the newest
//!   `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql` package). Without them the
//!   test fails, saying what to install: it never passes without a server.
//! * PostgreSQL refuses to run as root: as root, the programs run as the `postgres` user
//!   (`runuser -u postgres --`), which owns the temporary directory.
//! * Authentication: the superuser `postgres` without a password over the Unix socket
//!   ([`PgServer::superuser`]); the role [`ROLE`] with the password [`PASSWORD`] over TCP
//!   (`scram-sha-256`), which owns the databases of [`PgServer::create_database`].
//! * [`PgServer::start_tls`]: TLS with a certificate for `IP:127.0.0.1` from a CA made for
//!   the run ([`PgServer::ca_cert`]), and TCP connections without TLS refused.

#![allow(dead_code)] // each test file uses its part

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The login role of the test databases.
pub const ROLE: &str = "catalog_user";
/// Its password: characters that URLs must encode, and a marker to look for in messages.
pub const PASSWORD: &str = "Pw-s3cr3t@x/y";
/// [`PASSWORD`] as written in a URL.
pub const PASSWORD_IN_URL: &str = "Pw-s3cr3t%40x%2Fy";

/// A running test server.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
    tls: bool,
    databases: AtomicU32,
}

impl PgServer {
    /// A server without TLS.
    pub async fn start() -> PgServer {
        PgServer::launch(false).await
    }

    /// A server that accepts TCP connections only with TLS.
    pub async fn start_tls() -> PgServer {
        PgServer::launch(true).await
    }

    async fn launch(tls: bool) -> PgServer {
        let bin = bin_dir();
        let make_dir = |parent: &Path| {
            tempfile::Builder::new()
                .prefix("pgtest")
                .tempdir_in(parent)
                .expect("temporary directory")
        };
        let mut dir = make_dir(&std::env::temp_dir());
        let as_postgres = std::fs::metadata(dir.path()).expect("stat").uid() == 0;
        if as_postgres {
            // The postgres user must reach it: not under a $TMPDIR in root's home.
            dir = make_dir(Path::new("/tmp"));
        }
        let mut server = PgServer {
            dir,
            bin,
            as_postgres,
            port: 0,
            tls,
            databases: AtomicU32::new(0),
        };
        if tls {
            server.make_certificates();
        }
        if as_postgres {
            server.check(
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:")
                    .arg(server.dir.path()),
                "chown the test directory to the postgres user (does it exist? \
                 apt-get install -y postgresql creates it)",
            );
        }
        server.initdb();
        server.start_server();
        server.create_role().await;
        server
    }

    /// The TCP port (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of the Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CA that signed the server's certificate ([`PgServer::start_tls`] only).
    pub fn ca_cert(&self) -> PathBuf {
        assert!(self.tls, "ca_cert: the server was started without TLS");
        self.dir.path().join("ca.crt")
    }

    /// The server's certificate ([`PgServer::start_tls`] only): not a CA.
    pub fn server_cert(&self) -> PathBuf {
        assert!(self.tls, "server_cert: the server was started without TLS");
        self.dir.path().join("server.crt")
    }

    /// `postgres://ROLE:PASSWORD@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{ROLE}:{PASSWORD_IN_URL}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// A connection as the superuser over the Unix socket.
    pub async fn superuser(&self) -> tokio_postgres::Client {
        self.superuser_to("postgres").await
    }

    async fn superuser_to(&self, database: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::Config::new()
            .host_path(self.dir.path())
            .port(self.port)
            .user("postgres")
            .dbname(database)
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("superuser connection: {e}"));
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// A new, empty database owned by [`ROLE`]; returns its URL ([`PgServer::url`]).
    pub async fn create_database(&self) -> String {
        let name = format!("cat{}", self.databases.fetch_add(1, Ordering::Relaxed));
        self.superuser()
            .await
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {ROLE}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        self.url(&name)
    }

    /// A connection as [`ROLE`] to the database of `url` (from [`PgServer::create_database`])
    /// over the Unix socket, for tests that hold locks or look at tables themselves.
    pub async fn connect_as_role(&self, url: &str) -> tokio_postgres::Client {
        let database = url.rsplit('/').next().unwrap_or_default();
        let (client, connection) = tokio_postgres::Config::new()
            .host_path(self.dir.path())
            .port(self.port)
            .user(ROLE)
            .dbname(database)
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connection as {ROLE}: {e}"));
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `program` of the PostgreSQL installation, run as the postgres user when we are root.
    fn pg_command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn check(&self, command: &mut Command, what: &str) -> Output {
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {command:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn initdb(&self) {
        let mut c = self.pg_command("initdb");
        c.arg("-D")
            .arg(self.data())
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .env("TZ", "UTC");
        self.check(&mut c, "initdb");
        if self.tls {
            let hba = "local all all trust\n\
                       hostssl all all 127.0.0.1/32 scram-sha-256\n\
                       hostnossl all all 127.0.0.1/32 reject\n";
            std::fs::write(self.data().join("pg_hba.conf"), hba).expect("write pg_hba.conf");
        }
    }

    fn start_server(&mut self) {
        let log = self.dir.path().join("server.log");
        let mut last = String::new();
        // Another process may take the free port between our look and the server's bind.
        for _ in 0..3 {
            self.port = free_port();
            let mut options = format!(
                "-k {} -h 127.0.0.1 -p {} -c fsync=off -c synchronous_commit=off \
                 -c full_page_writes=off -c max_connections=50",
                self.dir.path().display(),
                self.port
            );
            if self.tls {
                let dir = self.dir.path().display();
                options.push_str(&format!(
                    " -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key"
                ));
            }
            let out = self
                .pg_command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "30", "-o", &options, "start"])
                .output()
                .expect("run pg_ctl");
            if out.status.success() {
                return;
            }
            last = format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("the PostgreSQL test server did not start:\n{last}");
    }

    async fn create_role(&self) {
        let password = PASSWORD.replace('\'', "''");
        self.superuser()
            .await
            .batch_execute(&format!("CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'"))
            .await
            .unwrap_or_else(|e| panic!("CREATE ROLE: {e}"));
    }

    /// A CA and a server certificate for IP:127.0.0.1 signed by it (openssl, which Debian's
    /// postgresql package brings along through ssl-cert).
    fn make_certificates(&self) {
        let d = self.dir.path();
        std::fs::write(
            d.join("ca.cnf"),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = autorestore test CA\n\
             [v3_ca]\nbasicConstraints = critical,CA:TRUE\n\
             keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n",
        )
        .expect("write ca.cnf");
        std::fs::write(
            d.join("server.cnf"),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = 127.0.0.1\n\
             [server]\nbasicConstraints = critical,CA:FALSE\n\
             keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n\
             subjectAltName = IP:127.0.0.1\nauthorityKeyIdentifier = keyid\n",
        )
        .expect("write server.cnf");
        let openssl = |args: &[&str], what: &str| {
            self.check(Command::new("openssl").current_dir(d).args(args), what);
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509", "-config", "ca.cnf", "-extensions", "v3_ca"];
        ca.extend(ec);
        ca.extend(["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"]);
        openssl(&ca, "openssl: test CA");
        let mut csr = vec!["req", "-new", "-config", "server.cnf"];
        csr.extend(ec);
        csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
        openssl(&csr, "openssl: server key");
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.cnf",
                "-extensions",
                "server",
                "-out",
                "server.crt",
            ],
            "openssl: server certificate",
        );
        self.check(
            Command::new("chmod").arg("600").arg(d.join("server.key")),
            "chmod server.key",
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The directory of `initdb` and `pg_ctl`.
fn bin_dir() -> PathBuf {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("PG_BINDIR").map(PathBuf::from) {
        assert!(
            has_both(&d),
            "PG_BINDIR={} has no initdb/pg_ctl",
            d.display()
        );
        return d;
    }
    if let Some(d) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| has_both(d))
    {
        return d;
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, d)| has_both(d))
        .collect();
    debian.sort();
    match debian.pop() {
        Some((_, d)) => d,
        None => panic!(
            "PostgreSQL is needed for these tests: no initdb/pg_ctl on PATH or in \
             /usr/lib/postgresql/*/bin. Install it (apt-get install -y postgresql; .ci/run does) \
             or point PG_BINDIR at its bin directory."
        ),
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

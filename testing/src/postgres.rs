//! A throwaway PostgreSQL cluster for tests (feature `postgres`), from Debian's `postgresql`
//! package (`cargo xtask test` installs it).
//!
//! [`PostgresCluster::start`] finds the highest installed version
//! (`/usr/lib/postgresql/<version>/bin/{initdb,pg_ctl}`), creates a temporary directory,
//! runs `initdb` (user `postgres`, `trust` authentication, no locale, no fsync), and starts
//! the server on a free port of 127.0.0.1 with its Unix socket in that directory and
//! `fsync=off` (a throwaway cluster need not survive a power loss). Started by root — CI runs
//! as root, and `initdb` refuses to — every PostgreSQL program runs as the `postgres` user
//! (`runuser -u postgres --`), and the directory is given to that user.
//!
//! Dropping the cluster stops it (`pg_ctl stop -m immediate`) and removes the directory; a
//! panicking test drops it too while unwinding. The clusters of a test process that was
//! killed (so nothing was dropped) are stopped and removed by the next
//! [`PostgresCluster::start`]. One cluster per test: startup takes well under a second, and
//! nextest runs every test in a process of its own, where a static's cluster would never be
//! stopped.
//!
//! A machine without PostgreSQL fails the test (never skips it), saying to run
//! `cargo xtask test`.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The prefix of the clusters' directories under the system's temporary directory.
const DIR_PREFIX: &str = "crosscode-postgres-";
/// The superuser of the clusters.
pub const SUPERUSER: &str = "postgres";

/// A running throwaway PostgreSQL server; dropping it stops the server and removes its files.
#[derive(Debug)]
pub struct PostgresCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

/// The `bin` folder of the highest PostgreSQL version under `root` (Debian's
/// `/usr/lib/postgresql`) that has `initdb` and `pg_ctl`.
pub fn find_bin_dir(root: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            let version = name
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

impl PostgresCluster {
    /// Starts a new cluster (see the module documentation). Panics, failing the test, when
    /// PostgreSQL is not installed or does not start.
    pub fn start() -> PostgresCluster {
        let Some(bin) = find_bin_dir(Path::new("/usr/lib/postgresql")) else {
            panic!(
                "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): \
                 run `cargo xtask test`, which installs Debian's `postgresql` package, or \
                 `apt-get install postgresql`"
            );
        };
        reap_abandoned(&bin);
        let cluster = PostgresCluster {
            dir: crate::temp_dir("postgres").keep(),
            bin,
            port: 0,
            as_postgres_user: running_as_root(),
        };
        if cluster.as_postgres_user {
            let output = Command::new("chown")
                .arg(format!("{SUPERUSER}:"))
                .arg(&cluster.dir)
                .output()
                .expect("chown runs");
            assert!(output.status.success(), "chown: {}", describe(&output));
        }
        cluster.initdb();
        cluster.start_server()
    }

    /// A command running PostgreSQL's `program` (as the `postgres` user when root).
    fn program(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args([OsStr::new("-u"), OsStr::new(SUPERUSER), OsStr::new("--")]);
            command.arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn initdb(&self) {
        let output = self
            .program("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale"])
            .args(["--no-sync", "--no-instructions"])
            .output()
            .expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            describe(&output)
        );
    }

    fn start_server(mut self) -> PostgresCluster {
        let mut last = String::new();
        // A port found free can be taken before the server binds it: try a few.
        for _ in 0..5 {
            self.port = free_port();
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                self.dir.display()
            );
            let output = self
                .program("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .output()
                .expect("pg_ctl runs");
            if output.status.success() {
                return self;
            }
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            last = format!("{}\nserver log:\n{log}", describe(&output));
        }
        panic!("PostgreSQL did not start: {last}");
    }

    /// The connection string of database `postgres` as the superuser (loopback TCP).
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The connection string of database `dbname` as the superuser (loopback TCP).
    pub fn url_of(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={SUPERUSER} dbname={dbname}",
            self.port
        )
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory (what the server writes to disk).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        // Errors are ignored: a drop during a panic must not panic again.
        let _ = self
            .program("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Stops and removes the clusters left by test processes that no longer run (killed before
/// they could drop theirs). Directories are `crosscode-postgres-<pid>-<nanos>`.
fn reap_abandoned(bin: &Path) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let abandoned = PostgresCluster {
            dir: entry.path(),
            bin: bin.to_path_buf(),
            port: 0,
            as_postgres_user: running_as_root(),
        };
        drop(abandoned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_version_with_initdb_and_pg_ctl_is_chosen() {
        let root = crate::temp_dir("pg-versions");
        for (version, complete) in [("9.6", true), ("15", true), ("16", false), ("bogus", true)] {
            let bin = root.join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("initdb"), "").unwrap();
            if complete {
                std::fs::write(bin.join("pg_ctl"), "").unwrap();
            }
        }
        assert_eq!(find_bin_dir(&root), Some(root.join("15").join("bin")));
        assert_eq!(find_bin_dir(&root.join("none")), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_cluster_accepts_connections_until_dropped_and_leaves_no_files() {
        let cluster = PostgresCluster::start();
        let dir = cluster.dir.clone();
        let addr = (Ipv4Addr::LOCALHOST, cluster.port());
        assert!(std::net::TcpStream::connect(addr).is_ok());
        assert!(cluster.data_dir().join("postmaster.pid").is_file());
        drop(cluster);
        assert!(std::net::TcpStream::connect(addr).is_err());
        assert!(!dir.exists());
    }
}

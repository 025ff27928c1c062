//! Running schemathesis, the property-based API tester, from a test: [`schemathesis`] finds
//! the pinned executable (`CROSSCODE_SCHEMATHESIS`, set by `cargo xtask test`) and
//! [`run_bounded`] runs a command with its output in a file and a hard deadline.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The variable naming the schemathesis executable (set by `cargo xtask test`).
pub const SCHEMATHESIS_ENV: &str = "CROSSCODE_SCHEMATHESIS";

/// The schemathesis executable; panics, saying how to get it, when it does not run.
pub fn schemathesis() -> PathBuf {
    let exe = std::env::var_os(SCHEMATHESIS_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("schemathesis"));
    match Command::new(&exe).arg("--version").output() {
        Ok(out) if out.status.success() => exe,
        _ => panic!(
            "schemathesis (`{}`) does not run: run the tests with `cargo xtask test`, which \
             installs the pinned version and sets {SCHEMATHESIS_ENV}",
            exe.display()
        ),
    }
}

/// Runs `command` in `work` with its output in a file there; kills it past `deadline`.
/// Returns its exit status (`None`: killed) and its output.
pub fn run_bounded(
    mut command: Command,
    work: &Path,
    deadline: Duration,
) -> (Option<ExitStatus>, String) {
    let out_path = work.join("output.txt");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = command
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        status,
        std::fs::read_to_string(&out_path).unwrap_or_default(),
    )
}

//! The harness the CLI integration tests share: run the `crosscode` binary, read its output,
//! check its failures, and make key files and JSON files (temporary directories:
//! `crosscode_testing::temp_dir`).
// Each test file uses only some of these.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The `--reveal` flags that disclose the personal health code's type, jurisdiction and status
/// (and hide the rest).
pub const REVEAL_STATUS: [&str; 8] = [
    "--reveal",
    "/credentialSubject/type",
    "--reveal",
    "/credentialSubject/jurisdiction",
    "--reveal",
    "/credentialSubject/statusColour",
    "--reveal",
    "/credentialSubject/statusDate",
];

/// The `crosscode` binary with `args` (the environment inherited as it is).
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crosscode"));
    command.args(args);
    command
}

/// The `crosscode` binary with `args` and `CROSSCODE_PASSPHRASE` set to `passphrase`, or unset
/// for `None`.
pub fn command_with_passphrase(args: &[&str], passphrase: Option<&str>) -> Command {
    let mut command = command(args);
    command.env_remove("CROSSCODE_PASSPHRASE");
    if let Some(passphrase) = passphrase {
        command.env("CROSSCODE_PASSPHRASE", passphrase);
    }
    command
}

/// Runs `crosscode args` with `CROSSCODE_PASSPHRASE` set to `passphrase`, or unset for `None`.
pub fn crosscode(args: &[&str], passphrase: Option<&str>) -> Output {
    command_with_passphrase(args, passphrase).output().unwrap()
}

/// `crosscode node ARGS` with `CROSSCODE_PASSPHRASE` set to `passphrase`, or unset.
pub fn node_command(args: &[&str], passphrase: Option<&str>) -> Command {
    let mut all = vec!["node"];
    all.extend_from_slice(args);
    command_with_passphrase(&all, passphrase)
}

/// Bound on waiting for a `crosscode node` to announce itself (a deadline, not a timing
/// assertion).
pub const NODE_READY_DEADLINE: Duration = Duration::from_secs(120);

/// A `crosscode node` child process and the URL it announced; killed when dropped.
pub struct NodeProcess {
    /// The process.
    pub child: Child,
    /// `http://ADDR` from its ready line.
    pub url: String,
    /// The ready line.
    pub ready_line: String,
}

impl NodeProcess {
    /// Starts `crosscode node ARGS` (with `CROSSCODE_PASSPHRASE` set to `passphrase`, or
    /// unset) and waits for its ready line, `node listening on http://ADDR chain ID height H`,
    /// within [`NODE_READY_DEADLINE`]. Its stdout is read on a thread of its own.
    pub fn spawn(args: &[&str], passphrase: Option<&str>) -> NodeProcess {
        let mut child = node_command(args, passphrase)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = sender.send(line);
            }
        });
        let ready_line = match receiver.recv_timeout(NODE_READY_DEADLINE) {
            Ok(line) => line,
            Err(err) => {
                let _ = child.kill();
                panic!("no ready line from crosscode node {args:?}: {err}");
            }
        };
        let url = ready_line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {ready_line:?}"))
            .to_owned();
        NodeProcess {
            child,
            url,
            ready_line,
        }
    }

    /// Waits (within [`NODE_READY_DEADLINE`]) for the process to exit.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        wait_exit(&mut self.child)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` to exit (within [`NODE_READY_DEADLINE`]).
pub fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + NODE_READY_DEADLINE;
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the process did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The standard output, as UTF-8.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The standard error, as UTF-8.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Asserts a zero exit (showing stderr otherwise).
pub fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

/// The standard output of a successful run (asserts the success first).
pub fn success_stdout(output: &Output) -> String {
    assert_success(output);
    stdout(output)
}

/// The standard output of a successful run, parsed as JSON.
pub fn json_of(output: &Output) -> Value {
    assert_success(output);
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Non-zero exit, one `error:` line on stderr containing `needle`, no panic.
pub fn assert_clean_failure(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let err = stderr(output);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"));
}

/// `crosscode key new --alg <alg>` into `dir/<file_name>`, sealed with `passphrase`: the key
/// file's path and the key's DID.
pub fn new_key(dir: &Path, file_name: &str, alg: &str, passphrase: &str) -> (String, String) {
    let path = dir.join(file_name).to_str().unwrap().to_owned();
    let output = crosscode(
        &["key", "new", "--alg", alg, "--out", &path],
        Some(passphrase),
    );
    let did = success_stdout(&output).trim().to_owned();
    (path, did)
}

/// Writes `value` as pretty JSON to `dir/<name>`; gives the path.
pub fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The path of `docs/examples/<name>`.
pub fn example(name: &str) -> String {
    format!("{}/../docs/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

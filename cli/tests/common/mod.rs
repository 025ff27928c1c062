//! The harness the CLI integration tests share: run the `crosscode` binary, read its output,
//! check its failures, and make temporary directories, key files and JSON files.
// Each test file uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Runs `crosscode args` with `CROSSCODE_PASSPHRASE` set to `passphrase`, or unset for `None`.
pub fn crosscode(args: &[&str], passphrase: Option<&str>) -> Output {
    let mut command = command(args);
    command.env_remove("CROSSCODE_PASSPHRASE");
    if let Some(passphrase) = passphrase {
        command.env("CROSSCODE_PASSPHRASE", passphrase);
    }
    command.output().unwrap()
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

/// A new, empty directory `crosscode-cli-<label>-test-<pid>-<nanos>` under the system's
/// temporary directory.
pub fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "crosscode-cli-{label}-test-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

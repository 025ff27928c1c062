//! The harness the CLI integration tests share: run the `crosscode` binary, read its output,
//! check its failures, and make key files and JSON files (temporary directories:
//! `crosscode_testing::temp_dir`).
// Each test file uses only some of these.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crosscode_core::did::DidKey;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use serde_json::{Value, json};

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

/// A dev node (its output captured) on a free loopback port in `dir`.
pub fn start_node(dir: &Path) -> CapturedProcess {
    let node = CapturedProcess::spawn(command_with_passphrase(
        &[
            "node",
            "--dev",
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--heartbeat-ms",
            "300",
        ],
        None,
    ));
    assert!(
        node.ready_line
            .starts_with("node listening on http://127.0.0.1:"),
        "{}",
        node.ready_line
    );
    node
}

/// `crosscode issuer serve --dev MO` against `node_url`, its data in `dir`, on a free port.
pub fn start_issuer(node_url: &str, dir: &Path) -> CapturedProcess {
    start_issuer_of("MO", node_url, dir, &[])
}

/// `crosscode issuer serve --dev JURISDICTION` against `node_url`, its data in `dir`, on a free
/// port, with `extra` arguments.
pub fn start_issuer_of(
    jurisdiction: &str,
    node_url: &str,
    dir: &Path,
    extra: &[&str],
) -> CapturedProcess {
    let mut args = vec![
        "issuer",
        "serve",
        "--dev",
        jurisdiction,
        "--node",
        node_url,
        "--data-dir",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    CapturedProcess::spawn(command_with_passphrase(&args, None))
}

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
        NodeProcess::spawn_with_env(args, passphrase, &[])
    }

    /// [`NodeProcess::spawn`] with more environment variables.
    pub fn spawn_with_env(
        args: &[&str],
        passphrase: Option<&str>,
        env: &[(&str, &str)],
    ) -> NodeProcess {
        let mut child = node_command(args, passphrase)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = read_lines(stdout, None);
        let (ready_line, url) = ready_line(&mut child, &lines, &format!("crosscode node {args:?}"));
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

/// Reads `stream` line by line on a thread of its own, sending each line (lossy UTF-8, without
/// its end of line) and appending its raw bytes to `capture` when given.
fn read_lines(
    stream: impl Read + Send + 'static,
    capture: Option<Arc<Mutex<Vec<u8>>>>,
) -> (Receiver<String>, JoinHandle<()>) {
    let (sender, receiver) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut stream = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match stream.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if let Some(capture) = &capture {
                capture.lock().unwrap().extend_from_slice(&line);
            }
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            let _ = sender.send(text);
        }
    });
    (receiver, reader)
}

/// The first line of `lines` (within [`NODE_READY_DEADLINE`]) and the `http://ADDR` in it; kills
/// `child` and panics when none comes.
fn ready_line(
    child: &mut Child,
    (lines, _): &(Receiver<String>, JoinHandle<()>),
    what: &str,
) -> (String, String) {
    let line = match lines.recv_timeout(NODE_READY_DEADLINE) {
        Ok(line) => line,
        Err(err) => {
            let _ = child.kill();
            panic!("no ready line from {what}: {err}");
        }
    };
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    (line, url)
}

/// A long-running `crosscode` child process (a node, an issuer) whose whole stdout and stderr
/// are captured (stderr is also echoed to the test's stderr); killed when dropped.
pub struct CapturedProcess {
    /// The process.
    pub child: Child,
    /// `http://ADDR` from its ready line.
    pub url: String,
    /// Its ready line (the first line on stdout).
    pub ready_line: String,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl CapturedProcess {
    /// Starts `command` (stdin closed, stdout and stderr captured) and waits for its ready line,
    /// the first line on stdout, which must hold an `http://ADDR` (within
    /// [`NODE_READY_DEADLINE`]).
    pub fn spawn(mut command: Command) -> CapturedProcess {
        let what = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let out_lines = read_lines(child.stdout.take().unwrap(), Some(stdout.clone()));
        let (err_lines, err_reader) =
            read_lines(child.stderr.take().unwrap(), Some(stderr.clone()));
        let echo = std::thread::spawn(move || {
            for line in err_lines {
                eprintln!("[child stderr] {line}");
            }
        });
        let (ready_line, url) = ready_line(&mut child, &out_lines, &what);
        let (_, out_reader) = out_lines;
        CapturedProcess {
            child,
            url,
            ready_line,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader, echo],
        }
    }

    /// Stops the process with SIGTERM, waits (within [`NODE_READY_DEADLINE`]) for it to exit
    /// and for its output to be read to the end; its exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let exit = wait_exit(&mut self.child);
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        exit
    }

    /// Everything it wrote so far: stdout, then stderr.
    pub fn output(&self) -> Vec<u8> {
        let mut all = self.stdout.lock().unwrap().clone();
        all.extend_from_slice(&self.stderr.lock().unwrap());
        all
    }
}

impl Drop for CapturedProcess {
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

/// The passphrase of the wallets the tests make.
pub const WALLET_PASSPHRASE: &str = "wallet cli passphrase";

/// Blocking HTTP calls and registry-client calls on a runtime of their own.
pub struct Http {
    /// A current-thread runtime.
    pub runtime: tokio::runtime::Runtime,
    /// An HTTP client.
    pub client: reqwest::Client,
}

impl Http {
    pub fn new() -> Http {
        Http {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client: reqwest::Client::new(),
        }
    }

    /// `GET url`: the status and the JSON answer.
    pub fn get(&self, url: &str) -> (u16, Value) {
        self.runtime.block_on(async {
            let answer = self.client.get(url).send().await.unwrap();
            let status = answer.status().as_u16();
            (status, answer.json().await.unwrap_or(Value::Null))
        })
    }

    /// `POST url` of a JSON body with the bearer `token`: the status and the JSON answer.
    pub fn post(&self, url: &str, token: &str, body: &Value) -> (u16, Value) {
        self.runtime.block_on(async {
            let answer = self
                .client
                .post(url)
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json().await.unwrap_or(Value::Null))
        })
    }
}

/// An unsigned MO health code (green) for a fresh holder `did:key`, for `POST
/// /credentials/issue`.
pub fn unsigned_health_code() -> Value {
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let holder = DidKey::from_public_key(&key.public_key());
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthCode"],
        "credentialSubject": {
            "id": holder.did().as_str(),
            "type": "HealthCode",
            "statusColour": "green",
            "statusDate": "2026-12-05"
        }
    })
}

/// A new record at the issuer and an offer of it with a transaction code: (URI, code).
pub fn new_offer(http: &Http, issuer_url: &str, token: &str, name: &str) -> (String, String) {
    let record = json!({
        "name": name,
        "birthDate": "1990-02-03",
        "documentNumber": "W1234567",
        "healthStatus": "green",
        "testResults": [{"testType": "nucleic-acid", "result": "negative", "sampledAt": "2026-12-04T08:00:00Z"}],
        "vaccinations": []
    });
    let (status, created) = http.post(
        &format!("{issuer_url}/v1/records"),
        token,
        &json!({ "record": record }),
    );
    assert_eq!(status, 201, "{created}");
    let (status, offer) = http.post(
        &format!("{issuer_url}/v1/offers"),
        token,
        &json!({"recordId": created["id"], "txCode": true}),
    );
    assert_eq!(status, 201, "{offer}");
    (
        offer["uri"].as_str().unwrap().to_owned(),
        offer["txCode"].as_str().unwrap().to_owned(),
    )
}

/// `crosscode wallet ARGS --dir DIR` with `passphrase`.
pub fn wallet(dir: &Path, args: &[&str], passphrase: &str) -> Output {
    let mut all = vec!["wallet", args[0], "--dir", dir.to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    crosscode(&all, Some(passphrase))
}

/// Exit 1 and one line `error: <code>: …` on stderr.
pub fn assert_refused(output: &Output, code: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    let err = stderr(output);
    assert!(err.starts_with(&format!("error: {code}: ")), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// The authority at `issuer_url` revokes `credential` (`POST /credentials/status`).
pub fn revoke(http: &Http, issuer_url: &str, token: &str, credential: &Value) {
    let (status, changed) = http.post(
        &format!("{issuer_url}/credentials/status"),
        token,
        &json!({
            "credentialId": credential["id"],
            "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "revoked"}]
        }),
    );
    assert_eq!(status, 200, "{changed}");
}

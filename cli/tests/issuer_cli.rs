//! `crosscode issuer serve|batch` end to end as real child processes on loopback: a
//! `crosscode node --dev` (which admits the dev authorities before its ready line) and the
//! issuer of MO against it. A credential issued over VC-API verifies with `crosscode vc verify`
//! (a tampered copy does not), its revocation shows in the served status list and as the
//! chain's status entry; a batch of records is anchored by one transaction with an inclusion
//! path per credential; the refusals a user can hit are one typed error line; and no personal
//! data (sentinel values, in every encoding the project uses) reaches any log or the chain's
//! data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use common::{CapturedProcess, assert_clean_failure, assert_success};
use common::{
    crosscode, json_of, new_key, start_issuer, start_node, stderr, stdout, success_stdout,
};
use crosscode_core::did::DidKey;
use crosscode_core::keys::{KeyAlgorithm, SecretKey};
use crosscode_core::multicodec::encode_base58;
use crosscode_core::status_list::Bitstring;
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::evidence::{credential_hash, verify_receipt};
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::records::StateKey;
use crosscode_did_registry::transaction::StatusKey;
use crosscode_issuer::anchoring::AnchorReceipt;
use crosscode_testing::temp_dir;
use serde_json::{Value, json};

/// The passphrase of the refused authority's key file.
const KEY_PASSPHRASE: &str = "issuer cli passphrase";

/// Blocking HTTP calls (reqwest on a runtime of its own).
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    fn new() -> Http {
        Http {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client: reqwest::Client::new(),
        }
    }

    fn answer(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        self.runtime.block_on(async {
            let answer = request.send().await.unwrap();
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    /// `POST url` of a JSON body, with `token` as the bearer token when given.
    fn post(&self, url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(url).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.answer(request)
    }

    /// `POST url` of a form body.
    fn post_form(&self, url: &str, form: String) -> (u16, Value) {
        self.answer(
            self.client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form),
        )
    }

    fn get(&self, url: &str) -> (u16, Value) {
        self.answer(self.client.get(url))
    }
}

/// Stops `process` with SIGTERM and checks it exits cleanly.
fn terminate(process: &mut CapturedProcess) {
    let exit = process.terminate();
    assert!(exit.success(), "{exit:?}");
}

/// A fresh holder: its key and `did:key`.
fn holder() -> (SecretKey, String) {
    let key = SecretKey::generate(KeyAlgorithm::Ed25519);
    let did = DidKey::from_public_key(&key.public_key())
        .did()
        .as_str()
        .to_owned();
    (key, did)
}

/// An unsigned MO health code for `holder`.
fn unsigned_health_code(holder: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthCode"],
        "credentialSubject": {
            "id": holder,
            "type": "HealthCode",
            "statusColour": "green",
            "statusDate": "2026-12-05"
        }
    })
}

/// A subject record of `name` with identity document `document_number`.
fn record(name: &str, document_number: &str) -> Value {
    json!({
        "name": name,
        "birthDate": "1990-02-03",
        "documentNumber": document_number,
        "healthStatus": "green",
        "testResults": [{"testType": "nucleic-acid", "result": "negative", "sampledAt": "2026-12-04T08:00:00Z"}],
        "vaccinations": []
    })
}

fn path_text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `crosscode issuer batch --dev MO` of `records` (one JSON value per line) into `dir/out.jsonl`,
/// its data in `dir/batch-issuer`: its output and the path of the credentials file.
fn run_batch(node_url: &str, dir: &Path, records: &[Value]) -> (Output, PathBuf) {
    let records_path = dir.join("records.jsonl");
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&records_path, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out.jsonl");
    let output = crosscode(
        &[
            "issuer",
            "batch",
            "--dev",
            "MO",
            "--node",
            node_url,
            "--data-dir",
            path_text(&dir.join("batch-issuer")),
            "--records",
            path_text(&records_path),
            "--out",
            path_text(&out),
        ],
        None,
    );
    (output, out)
}

/// Checks `receipt`'s inclusion path of `credential`'s hash against its Merkle root.
fn check_inclusion(credential: &Value, receipt: &AnchorReceipt) {
    let hash = credential_hash(CryptoProfile::Standard, credential).unwrap();
    assert_eq!(receipt.credential_hash(), Some(hash));
    let id = credential["id"].as_str().unwrap();
    let root = verify_receipt(CryptoProfile::Standard, receipt, id).unwrap();
    assert_eq!(receipt.root(), Some(root));
    assert!(
        verify_receipt(
            CryptoProfile::Standard,
            receipt,
            "urn:crosscode:credential:another"
        )
        .is_err(),
        "the leaf binds the credential's id"
    );
}

/// Reads the back-office token of an issuer data directory (and checks it is owner-only).
fn back_office_token(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join("back-office.token");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    std::fs::read_to_string(&path).unwrap().trim().to_owned()
}

#[test]
fn an_issued_credential_verifies_with_the_cli_and_its_revocation_shows_in_the_list_and_on_chain() {
    let dir = temp_dir("issuer-cli-serve");
    let chain_dir = dir.join("chain");
    let issuer_dir = dir.join("issuer");
    let mut node = start_node(&chain_dir);
    let mut issuer = start_issuer(&node.url, &issuer_dir);

    // The ready line names the real port (not the :0 asked for) and the authority's DID.
    let words: Vec<&str> = issuer.ready_line.split_whitespace().collect();
    assert_eq!(
        words[..3],
        ["issuer", "listening", "on"],
        "{}",
        issuer.ready_line
    );
    assert_eq!(words[4], "as");
    let port: u16 = issuer
        .url
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let authority = RegistryDid::parse(words[5]).unwrap();
    assert!(authority.as_str().starts_with("did:crosscode:dev:"));
    let http = Http::new();
    assert_eq!(http.get(&format!("{}/openapi.json", issuer.url)).0, 200);
    let token = back_office_token(&issuer_dir);

    // Issue over VC-API.
    let (_, holder) = holder();
    let (status, answer) = http.post(
        &format!("{}/credentials/issue", issuer.url),
        Some(&token),
        &json!({"credential": unsigned_health_code(&holder)}),
    );
    assert_eq!(status, 201, "{answer}");
    let credential = answer["verifiableCredential"].clone();
    assert_eq!(credential["issuer"], authority.as_str());
    let receipt: AnchorReceipt = serde_json::from_value(answer["anchor"].clone()).unwrap();
    check_inclusion(&credential, &receipt);
    // Without the token, nothing is issued.
    let (status, _) = http.post(
        &format!("{}/credentials/issue", issuer.url),
        None,
        &json!({"credential": unsigned_health_code(&holder)}),
    );
    assert_eq!(status, 401);

    // `crosscode vc verify` through the node: valid; a tampered copy is not (exit 1).
    let file = common::write(&dir, "credential.json", &credential);
    let verified = crosscode(&["vc", "verify", &file, "--node", &node.url], None);
    assert_eq!(json_of(&verified)["verified"], true);
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["statusColour"] = json!("red");
    let tampered_file = common::write(&dir, "tampered.json", &tampered);
    let refused = crosscode(&["vc", "verify", &tampered_file, "--node", &node.url], None);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let report: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(report["verified"], false);
    assert!(
        stderr(&refused).starts_with("error: "),
        "{}",
        stderr(&refused)
    );

    // Revoke it: the served list has its bit set.
    let revocation = credential["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["statusPurpose"] == "revocation")
        .unwrap()
        .clone();
    let list_url = revocation["statusListCredential"].as_str().unwrap();
    assert!(list_url.starts_with(&format!("{}/status-lists/", issuer.url)));
    let index: u64 = revocation["statusListIndex"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let bit = |list: &Value| {
        let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
        Bitstring::decode(encoded).unwrap().get(index).unwrap()
    };
    let (status, before) = http.get(list_url);
    assert_eq!(status, 200, "{before}");
    assert!(!bit(&before));
    let (status, changed) = http.post(
        &format!("{}/credentials/status", issuer.url),
        Some(&token),
        &json!({
            "credentialId": credential["id"],
            "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "revoked"}]
        }),
    );
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["statusListCredential"], list_url);
    let (status, after) = http.get(list_url);
    assert_eq!(status, 200);
    assert!(bit(&after));

    // The chain holds the credential's status entry: `proof get` fetches it, and `proof
    // verify` checks it against the dev chain's validator set.
    let list: u32 = list_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let key = StateKey::status(&authority, &StatusKey::Index { list, index });
    let key_hex = hex::encode(&key.as_bytes()[1..]);
    let got = crosscode(
        &["proof", "get", "--node", &node.url, "status", &key_hex],
        None,
    );
    let bundle = common::write(
        &dir,
        "status-bundle.json",
        &serde_json::from_str(&success_stdout(&got)).unwrap(),
    );
    let validators = chain_dir.join("validators.json");
    let report = json_of(&crosscode(
        &[
            "proof",
            "verify",
            &bundle,
            "--validators",
            path_text(&validators),
            "--namespace",
            "status",
            "--key",
            &key_hex,
        ],
        None,
    ));
    assert_eq!(report["valid"], true);
    assert_eq!(report["entries"][0]["present"], true, "{report}");

    terminate(&mut issuer);
    terminate(&mut node);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_batch_of_two_hundred_records_is_anchored_by_one_transaction_with_a_path_per_credential() {
    let dir = temp_dir("issuer-cli-batch");
    let mut node = start_node(&dir.join("chain"));
    let records: Vec<Value> = (0..200)
        .map(|n| {
            json!({"holder": holder().1, "record": record(&format!("Person {n}"), &format!("MO{n:07}"))})
        })
        .collect();
    let (output, out) = run_batch(&node.url, &dir, &records);
    let said = success_stdout(&output);
    assert!(
        said.starts_with("200 credentials anchored by one batch anchor: root "),
        "{said}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 200);
    let first: AnchorReceipt = serde_json::from_value(lines[0]["anchor"].clone()).unwrap();
    assert!(said.contains(&first.transaction), "{said}");
    let mut holders = std::collections::BTreeSet::new();
    for (line, record) in lines.iter().zip(&records) {
        let credential = &line["verifiableCredential"];
        assert_eq!(credential["credentialSubject"]["id"], record["holder"]);
        holders.insert(credential["credentialSubject"]["id"].as_str().unwrap());
        let receipt: AnchorReceipt = serde_json::from_value(line["anchor"].clone()).unwrap();
        assert_eq!(
            receipt.transaction, first.transaction,
            "one anchor transaction"
        );
        assert_eq!(receipt.merkle_root, first.merkle_root);
        assert_eq!(receipt.size, 200);
        check_inclusion(credential, &receipt);
    }
    assert_eq!(holders.len(), 200);
    // The batch root is on the chain.
    let got = crosscode(
        &[
            "proof",
            "get",
            "--node",
            &node.url,
            "batch",
            &first.merkle_root,
        ],
        None,
    );
    let bundle: Value = serde_json::from_str(&success_stdout(&got)).unwrap();
    assert_eq!(bundle["entries"][0]["namespace"], "batch");
    assert!(!bundle["entries"][0]["value"].is_null(), "{bundle}");
    terminate(&mut node);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `crosscode issuer serve ARGS` (on a free port), which must refuse to start.
fn refused_serve(args: &[&str], passphrase: Option<&str>) -> Output {
    let mut all = vec!["issuer", "serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    crosscode(&all, passphrase)
}

#[test]
fn the_issuer_refuses_an_unknown_jurisdiction_an_unregistered_key_and_an_unknown_type() {
    let dir = temp_dir("issuer-cli-refusals");
    let mut node = start_node(&dir.join("chain"));
    let data = |name: &str| dir.join(name).to_str().unwrap().to_owned();

    // Not a dev jurisdiction (without a passphrase: the dev note is not printed first).
    let output = refused_serve(
        &[
            "--dev",
            "XX",
            "--node",
            &node.url,
            "--data-dir",
            &data("xx"),
        ],
        None,
    );
    assert_clean_failure(&output, "--dev XX is not a dev jurisdiction");
    assert!(stdout(&output).is_empty());
    assert!(!dir.join("xx").exists(), "nothing is created");

    // A key registered nowhere.
    let (key, _) = new_key(&dir, "stranger.key", "ed25519", KEY_PASSPHRASE);
    let output = refused_serve(
        &[
            "--authority",
            &key,
            "--node",
            &node.url,
            "--data-dir",
            &data("stranger"),
        ],
        Some(KEY_PASSPHRASE),
    );
    assert_clean_failure(&output, "belongs to a registered DID");
    assert!(stderr(&output).contains("cannot start as an authority"));

    // A credential type the issuer does not know, beside one it does.
    let output = refused_serve(
        &[
            "--dev",
            "MO",
            "--node",
            &node.url,
            "--data-dir",
            &data("types"),
            "--type",
            "Vaccination",
            "--type",
            "PassportStamp",
        ],
        None,
    );
    assert_clean_failure(&output, "unknown credential type PassportStamp");
    assert!(!dir.join("types").exists(), "nothing is created");

    // The same refusal from `issuer batch`.
    let records = dir.join("none.jsonl");
    std::fs::write(&records, "").unwrap();
    let records = path_text(&records);
    let output = crosscode(
        &[
            "issuer",
            "batch",
            "--dev",
            "XX",
            "--node",
            &node.url,
            "--data-dir",
            &data("b"),
            "--records",
            records,
            "--out",
            &data("b.jsonl"),
        ],
        None,
    );
    assert_clean_failure(&output, "--dev XX is not a dev jurisdiction");
    terminate(&mut node);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Unique sentinel values (personal data that must never be logged or put on the chain).
struct Sentinels {
    seed: u64,
    count: AtomicU64,
    made: std::sync::Mutex<Vec<String>>,
}

impl Sentinels {
    fn new() -> Sentinels {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(u64::from(std::process::id()));
        Sentinels {
            seed: hasher.finish(),
            count: AtomicU64::new(0),
            made: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A new sentinel, `<label>-<random hex>`.
    fn next(&self, label: &str) -> String {
        let n = self.count.fetch_add(1, Ordering::Relaxed);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(self.seed ^ n);
        let sentinel = format!("{label}-{:016x}{:016x}", self.seed, hasher.finish());
        self.made.lock().unwrap().push(sentinel.clone());
        sentinel
    }

    fn all(&self) -> Vec<String> {
        self.made.lock().unwrap().clone()
    }
}

/// The fragments of `encode(prefix ‖ value)` that depend on `value`'s bytes only, for each of
/// the `group` alignments of `value` after a prefix (the encoding works on `group`-byte groups
/// of `chars` characters, so an encoded value inside a longer encoding shows as one of these).
fn aligned_fragments(
    value: &[u8],
    group: usize,
    chars: usize,
    encode: impl Fn(&[u8]) -> String,
) -> Vec<String> {
    (0..group)
        .map(|shift| {
            let mut bytes = vec![0xa5; shift];
            bytes.extend_from_slice(value);
            let text = encode(&bytes);
            let start = shift.div_ceil(group) * chars;
            let end = bytes.len() / group * chars;
            text[start..end].to_owned()
        })
        .collect()
}

/// Every encoding of `sentinel` the project uses to carry data: raw (and so JSON strings,
/// URLs and form bodies), hex (both cases), base64 and base64url (any alignment), base58btc
/// (multibase, the QR envelope's did:key) and base45 (the QR envelope, any alignment).
fn encodings(sentinel: &str) -> Encodings {
    let bytes = sentinel.as_bytes();
    let mut all = vec![
        ("raw".to_owned(), bytes.to_vec()),
        ("hex".to_owned(), hex::encode(bytes).into_bytes()),
        ("HEX".to_owned(), hex::encode_upper(bytes).into_bytes()),
        ("base58btc".to_owned(), encode_base58(bytes).into_bytes()),
    ];
    let schemes: [(&str, usize, usize, Encoder); 3] = [
        ("base64", 3, 4, |b| STANDARD_NO_PAD.encode(b)),
        ("base64url", 3, 4, |b| URL_SAFE_NO_PAD.encode(b)),
        ("base45", 2, 3, |b| base45::encode(b)),
    ];
    for (name, group, chars, encode) in schemes {
        for (shift, fragment) in aligned_fragments(bytes, group, chars, encode)
            .into_iter()
            .enumerate()
        {
            assert!(fragment.len() >= 24, "a sentinel long enough to be found");
            all.push((format!("{name} (shift {shift})"), fragment.into_bytes()));
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    haystack
        .iter()
        .enumerate()
        .filter(|(_, byte)| **byte == first)
        .any(|(at, _)| haystack[at + 1..].starts_with(rest))
}

/// A value's encodings: the encoding's name and the encoded bytes ([`encodings`]).
type Encodings = Vec<(String, Vec<u8>)>;
/// Sentinels with their encodings.
type Encoded = [(String, Encodings)];
/// An encoding of bytes as text.
type Encoder = fn(&[u8]) -> String;

/// The first sentinel found in `haystack` in any encoding: the sentinel and the encoding.
fn found_sentinel(haystack: &[u8], sentinels: &Encoded) -> Option<(String, String)> {
    sentinels.iter().find_map(|(sentinel, encoded)| {
        encoded
            .iter()
            .find(|(_, needle)| contains(haystack, needle))
            .map(|(encoding, _)| (sentinel.clone(), encoding.clone()))
    })
}

/// Asserts no encoding of any sentinel is in `haystack` (named `what` in the failure).
fn assert_no_sentinel(what: &str, haystack: &[u8], sentinels: &Encoded) {
    if let Some((sentinel, encoding)) = found_sentinel(haystack, sentinels) {
        panic!("{what} holds sentinel {sentinel} ({encoding})");
    }
}

/// Every file under `dir`, recursively: its path and bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files
}

/// A proof-of-possession JWT of `key` (Ed25519) for `audience` and `nonce` (OpenID4VCI).
fn proof_jwt(key: &SecretKey, audience: &str, nonce: &str) -> String {
    let did_key = DidKey::from_public_key(&key.public_key());
    let header = json!({"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": did_key.verification_method_id().as_str()});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"aud": audience, "iat": now, "nonce": nonce});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Runs the wallet's side of OpenID4VCI for `offer_uri`: the credential it receives.
fn receive_through_openid4vci(http: &Http, issuer_url: &str, offer: &Value) -> Value {
    let uri = offer["uri"].as_str().unwrap();
    let parsed = crosscode_issuer::oid4vci::CredentialOffer::from_uri(uri).unwrap();
    let code = parsed
        .pre_authorized_code_grant()
        .unwrap()
        .pre_authorized_code
        .clone();
    let tx_code = offer["txCode"].as_str().unwrap();
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}&tx_code={tx_code}"
    );
    let (status, token) = http.post_form(&format!("{issuer_url}/token"), form);
    assert_eq!(status, 200, "{token}");
    let (status, nonce) = http.post(&format!("{issuer_url}/nonce"), None, &json!({}));
    assert_eq!(status, 200, "{nonce}");
    let (key, did) = holder();
    let jwt = proof_jwt(&key, issuer_url, nonce["c_nonce"].as_str().unwrap());
    let (status, body) = http.post(
        &format!("{issuer_url}/credential"),
        token["access_token"].as_str(),
        &json!({"credential_configuration_id": "HealthCode", "proofs": {"jwt": [jwt]}}),
    );
    assert_eq!(status, 200, "{body}");
    let credential = body["credentials"][0]["credential"].clone();
    assert_eq!(credential["credentialSubject"]["id"], did.as_str());
    credential
}

#[test]
fn no_personal_data_reaches_any_log_or_the_chain_s_data_directory() {
    let dir = temp_dir("issuer-cli-privacy");
    let chain_dir = dir.join("chain");
    let issuer_dir = dir.join("issuer");
    let sentinels = Sentinels::new();
    let mut node = start_node(&chain_dir);
    let mut issuer = start_issuer(&node.url, &issuer_dir);
    let token = back_office_token(&issuer_dir);
    let http = Http::new();
    let url = |path: &str| format!("{}{path}", issuer.url);
    let mut cli_outputs: Vec<(String, Vec<u8>)> = Vec::new();

    // A stored record, an offer of it, and the wallet receiving it through OpenID4VCI.
    let name = sentinels.next("Sentinel");
    let document = sentinels.next("SentinelDoc");
    let (status, created) = http.post(
        &url("/v1/records"),
        Some(&token),
        &json!({"record": record(&name, &document)}),
    );
    assert_eq!(status, 201, "{created}");
    let (status, offer) = http.post(
        &url("/v1/offers"),
        Some(&token),
        &json!({"recordId": created["id"], "txCode": true}),
    );
    assert_eq!(status, 201, "{offer}");
    let received = receive_through_openid4vci(&http, &issuer.url, &offer);
    assert_eq!(received["credentialSubject"]["name"], name.as_str());
    assert_eq!(
        received["credentialSubject"]["documentNumber"],
        document.as_str()
    );

    // VC-API issuance of a credential naming its subject.
    let mut credential = unsigned_health_code(&holder().1);
    credential["credentialSubject"]["name"] = json!(sentinels.next("Sentinel"));
    credential["credentialSubject"]["documentNumber"] = json!(sentinels.next("SentinelDoc"));
    let (status, issued) = http.post(
        &url("/credentials/issue"),
        Some(&token),
        &json!({"credential": credential}),
    );
    assert_eq!(status, 201, "{issued}");
    let verified = crosscode(
        &[
            "vc",
            "verify",
            &common::write(&dir, "issued.json", &issued["verifiableCredential"]),
            "--node",
            &node.url,
        ],
        None,
    );
    assert_success(&verified);
    // Its revocation (the status list and the chain's status entry hold no personal data).
    let (status, _) = http.post(
        &url("/credentials/status"),
        Some(&token),
        &json!({
            "credentialId": issued["verifiableCredential"]["id"],
            "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "revoked"}]
        }),
    );
    assert_eq!(status, 200);

    // Refused requests that carry personal data: the errors must not echo it.
    let mut refusals = Vec::new();
    let mut bad_record = record(&sentinels.next("Sentinel"), &sentinels.next("SentinelDoc"));
    bad_record["birthDate"] = json!(sentinels.next("SentinelDate"));
    let (status, answer) = http.post(
        &url("/v1/records"),
        Some(&token),
        &json!({"record": bad_record}),
    );
    assert_eq!(status, 400, "{answer}");
    refusals.push(answer);
    let mut bad_credential = unsigned_health_code(&holder().1);
    bad_credential["credentialSubject"]["name"] = json!(sentinels.next("Sentinel"));
    bad_credential["credentialSubject"]["jurisdiction"] = json!(sentinels.next("SentinelPlace"));
    let (status, answer) = http.post(
        &url("/credentials/issue"),
        Some(&token),
        &json!({"credential": bad_credential}),
    );
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("jurisdiction-mismatch")),
        "{answer}"
    );
    refusals.push(answer);
    let (status, answer) = http.post(
        &url("/v1/records"),
        Some(&token),
        &json!({"record": {"name": sentinels.next("Sentinel"), "unexpected": sentinels.next("SentinelField")}}),
    );
    assert_eq!(status, 400, "{answer}");
    refusals.push(answer);
    // Their answers quote nothing either.
    for answer in &refusals {
        for sentinel in sentinels.all() {
            assert!(!answer.to_string().contains(&sentinel), "{answer}");
        }
    }

    // A batch over HTTP, and one through `crosscode issuer batch`.
    let batch = |count: usize| -> Vec<Value> {
        (0..count)
            .map(|_| {
                json!({"holder": holder().1, "record": record(&sentinels.next("Sentinel"), &sentinels.next("SentinelDoc"))})
            })
            .collect()
    };
    let (status, answer) = http.post(
        &url("/v1/batches"),
        Some(&token),
        &json!({"records": batch(8)}),
    );
    assert_eq!(status, 201, "{answer}");
    let (output, out) = run_batch(&node.url, &dir, &batch(8));
    assert_success(&output);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 8);
    cli_outputs.push((
        "issuer batch".into(),
        [output.stdout, output.stderr].concat(),
    ));
    // A batch file with a malformed line: the error names the line, not its content.
    let mut records = batch(2);
    records[1]["record"]["birthDate"] = json!(sentinels.next("SentinelDate"));
    std::fs::create_dir_all(dir.join("malformed")).unwrap();
    let (output, _) = run_batch(&node.url, &dir.join("malformed"), &records);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
    cli_outputs.push((
        "issuer batch (malformed)".into(),
        [output.stdout, output.stderr].concat(),
    ));

    terminate(&mut issuer);
    terminate(&mut node);
    let encoded: Vec<(String, Encodings)> = sentinels
        .all()
        .into_iter()
        .map(|sentinel| {
            let encoded = encodings(&sentinel);
            (sentinel, encoded)
        })
        .collect();
    assert!(encoded.len() >= 40);
    // The sentinels are where they belong: in the credentials handed out.
    let marker = format!("Sentinel-{:016x}", sentinels.seed);
    assert!(contains(&std::fs::read(&out).unwrap(), marker.as_bytes()));
    // The captures hold the processes' whole output (their ready lines at least).
    assert!(contains(&node.output(), b"node listening on http://"));
    assert!(contains(&issuer.output(), b"issuer listening on http://"));
    assert_no_sentinel("the node's output", &node.output(), &encoded);
    assert_no_sentinel("the issuer's output", &issuer.output(), &encoded);
    for (what, output) in &cli_outputs {
        assert_no_sentinel(what, output, &encoded);
    }
    let chain_files = files_under(&chain_dir);
    assert!(
        chain_files
            .iter()
            .any(|(path, _)| path.to_str().unwrap().contains("db"))
    );
    for (path, bytes) in &chain_files {
        assert_no_sentinel(&path.display().to_string(), bytes, &encoded);
    }
    // The issuers' own directories (the embedded RocksDB store is built without compression,
    // like the chain's) keep records sealed: no sentinel in the clear either.
    let issuer_files = files_under(&issuer_dir)
        .into_iter()
        .chain(files_under(&dir.join("batch-issuer")));
    for (path, bytes) in issuer_files {
        assert_no_sentinel(&path.display().to_string(), &bytes, &encoded);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The search finds a sentinel in each encoding, embedded at any offset.
#[test]
fn the_sentinel_search_finds_every_encoding_at_any_offset() {
    let sentinel = "Sentinel-0123456789abcdef0123456789abcdef";
    for prefix in ["", "x", "xy", "xyz"] {
        let embedded = format!("{prefix}{sentinel}!");
        let wrapped: Vec<Vec<u8>> = vec![
            embedded.clone().into_bytes(),
            hex::encode(&embedded).into_bytes(),
            hex::encode_upper(&embedded).into_bytes(),
            STANDARD_NO_PAD.encode(&embedded).into_bytes(),
            URL_SAFE_NO_PAD.encode(&embedded).into_bytes(),
            base45::encode(&embedded).into_bytes(),
        ];
        let needles = [(sentinel.to_owned(), encodings(sentinel))];
        for haystack in wrapped {
            assert!(
                found_sentinel(&haystack, &needles).is_some(),
                "{prefix:?}: {}",
                String::from_utf8_lossy(&haystack)
            );
        }
        assert!(found_sentinel(prefix.as_bytes(), &needles).is_none());
    }
    let needles = [(sentinel.to_owned(), encodings(sentinel))];
    let base58 = encode_base58(sentinel.as_bytes()).into_bytes();
    assert_eq!(
        found_sentinel(&base58, &needles).map(|(_, encoding)| encoding),
        Some("base58btc".to_owned())
    );
}

//! `crosscode bbs ...`: BBS signature tools. `bbs check-fixture FILE.json` evaluates one
//! signature or proof fixture in the format of the CFRG draft's fixtures (either ciphersuite)
//! with our implementation and prints `{"valid": true|false}`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use crosscode_bbs::proof::{Proof, proof_verify};
use crosscode_bbs::signature::{Signature, verify};
use crosscode_bbs::{
    BbsError, Bls12381Sha256, Bls12381Shake256, Ciphersuite, CiphersuiteId, PublicKey,
};
use serde_json::Value;

/// Arguments of `crosscode bbs`.
#[derive(Debug, Args)]
pub struct BbsArgs {
    #[command(subcommand)]
    command: BbsCommand,
}

/// The `bbs` sub-commands.
#[derive(Debug, Subcommand)]
enum BbsCommand {
    /// Evaluate a draft-format signature or proof fixture and print `{"valid": true|false}`
    /// (exit 0 when the file could be evaluated, non-zero when it is malformed).
    CheckFixture(CheckFixtureArgs),
}

/// Arguments of `crosscode bbs check-fixture`.
#[derive(Debug, Args)]
struct CheckFixtureArgs {
    /// The fixture file (JSON: a `signature`/`messages` fixture or a `proof` fixture).
    file: PathBuf,
    /// The ciphersuite (`bls12-381-sha-256` or `bls12-381-shake-256`). Default: taken from a
    /// `ciphersuite` field of the file, else from a folder named after the ciphersuite in its
    /// path; if neither names one, the file is evaluated under both and is valid if either
    /// accepts it.
    #[arg(long)]
    ciphersuite: Option<CiphersuiteId>,
}

/// Runs `crosscode bbs ...`.
pub fn run(args: BbsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BbsCommand::CheckFixture(args) => check_fixture(&args),
    }
}

fn check_fixture(args: &CheckFixtureArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    let fixture = Fixture::parse(&json).with_context(|| {
        format!(
            "{} is not a BBS signature or proof fixture",
            args.file.display()
        )
    })?;
    let suites = match args.ciphersuite {
        Some(suite) => vec![suite],
        None => match suite_from_json(&json)?.or_else(|| suite_from_path(&args.file)) {
            Some(suite) => vec![suite],
            None => {
                eprintln!(
                    "note: the file names no ciphersuite; evaluated under both (use --ciphersuite)"
                );
                vec![
                    CiphersuiteId::Bls12381Sha256,
                    CiphersuiteId::Bls12381Shake256,
                ]
            }
        },
    };
    let valid = suites.into_iter().any(|suite| fixture.evaluate(suite));
    crate::key::print_line(&format!("{{\"valid\": {valid}}}"))?;
    Ok(ExitCode::SUCCESS)
}

/// A `ciphersuite` string field, if the file has one.
fn suite_from_json(json: &Value) -> anyhow::Result<Option<CiphersuiteId>> {
    match json.get("ciphersuite") {
        None => Ok(None),
        Some(Value::String(name)) => Ok(Some(name.parse()?)),
        Some(_) => bail!("field `ciphersuite` is not a string"),
    }
}

/// The ciphersuite named by a folder in the path (the draft's fixture layout).
fn suite_from_path(path: &Path) -> Option<CiphersuiteId> {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    absolute
        .ancestors()
        .filter_map(|p| p.file_name())
        .find_map(|name| name.to_str().and_then(|n| n.parse().ok()))
}

/// The parts of a fixture that the evaluation needs, hex-decoded.
#[derive(Debug)]
enum Fixture {
    Signature {
        public_key: Vec<u8>,
        signature: Vec<u8>,
        header: Vec<u8>,
        messages: Vec<Vec<u8>>,
    },
    Proof {
        public_key: Vec<u8>,
        proof: Vec<u8>,
        header: Vec<u8>,
        presentation_header: Vec<u8>,
        messages: Vec<Vec<u8>>,
        disclosed_indexes: Vec<usize>,
    },
}

impl Fixture {
    fn parse(json: &Value) -> anyhow::Result<Self> {
        if json.get("proof").is_some() {
            Ok(Self::Proof {
                public_key: hex_field(json, "signerPublicKey")?,
                proof: hex_field(json, "proof")?,
                header: optional_hex_field(json, "header")?,
                presentation_header: optional_hex_field(json, "presentationHeader")?,
                messages: hex_array(json, "messages")?,
                disclosed_indexes: index_array(json, "disclosedIndexes")?,
            })
        } else if json.get("signature").is_some() {
            let key_pair = json
                .get("signerKeyPair")
                .ok_or_else(|| anyhow!("missing field `signerKeyPair`"))?;
            Ok(Self::Signature {
                public_key: hex_field(key_pair, "publicKey")?,
                signature: hex_field(json, "signature")?,
                header: optional_hex_field(json, "header")?,
                messages: hex_array(json, "messages")?,
            })
        } else {
            bail!("neither a `signature` nor a `proof` field")
        }
    }

    fn evaluate(&self, suite: CiphersuiteId) -> bool {
        match suite {
            CiphersuiteId::Bls12381Sha256 => self.evaluate_with::<Bls12381Sha256>().is_ok(),
            CiphersuiteId::Bls12381Shake256 => self.evaluate_with::<Bls12381Shake256>().is_ok(),
        }
    }

    fn evaluate_with<C: Ciphersuite>(&self) -> Result<(), BbsError> {
        match self {
            Self::Signature {
                public_key,
                signature,
                header,
                messages,
            } => {
                let public_key = PublicKey::from_bytes(public_key)?;
                let signature = Signature::from_bytes(signature)?;
                verify::<C, _>(&public_key, &signature, header, messages)
            }
            Self::Proof {
                public_key,
                proof,
                header,
                presentation_header,
                messages,
                disclosed_indexes,
            } => {
                let public_key = PublicKey::from_bytes(public_key)?;
                let proof = Proof::from_bytes(proof)?;
                let disclosed: Vec<&Vec<u8>> = disclosed_indexes
                    .iter()
                    .map(|&index| {
                        messages
                            .get(index)
                            .ok_or(BbsError::DisclosedIndexOutOfRange {
                                index,
                                message_count: messages.len(),
                            })
                    })
                    .collect::<Result<_, _>>()?;
                proof_verify::<C, _>(
                    &public_key,
                    &proof,
                    header,
                    presentation_header,
                    &disclosed,
                    disclosed_indexes,
                )
            }
        }
    }
}

fn hex_field(json: &Value, field: &str) -> anyhow::Result<Vec<u8>> {
    let text = json
        .get(field)
        .ok_or_else(|| anyhow!("missing field `{field}`"))?
        .as_str()
        .ok_or_else(|| anyhow!("field `{field}` is not a string"))?;
    hex::decode(text).with_context(|| format!("field `{field}` is not hex"))
}

/// A hex field that may be absent (absent and `""` both mean the empty octet string).
fn optional_hex_field(json: &Value, field: &str) -> anyhow::Result<Vec<u8>> {
    match json.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => hex_field(json, field),
    }
}

fn hex_array(json: &Value, field: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    json.get(field)
        .ok_or_else(|| anyhow!("missing field `{field}`"))?
        .as_array()
        .ok_or_else(|| anyhow!("field `{field}` is not an array"))?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let text = item
                .as_str()
                .ok_or_else(|| anyhow!("`{field}[{i}]` is not a string"))?;
            hex::decode(text).with_context(|| format!("`{field}[{i}]` is not hex"))
        })
        .collect()
}

fn index_array(json: &Value, field: &str) -> anyhow::Result<Vec<usize>> {
    json.get(field)
        .ok_or_else(|| anyhow!("missing field `{field}`"))?
        .as_array()
        .ok_or_else(|| anyhow!("field `{field}` is not an array"))?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| anyhow!("`{field}[{i}]` is not a non-negative integer"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_is_found_in_path() {
        assert_eq!(
            suite_from_path(Path::new("/x/bls12-381-shake-256/proof/proof001.json")),
            Some(CiphersuiteId::Bls12381Shake256)
        );
        assert_eq!(
            suite_from_path(Path::new(
                "/x/bls12-381-sha-256/signature/signature001.json"
            )),
            Some(CiphersuiteId::Bls12381Sha256)
        );
        assert_eq!(suite_from_path(Path::new("/tmp/fixture.json")), None);
    }

    #[test]
    fn malformed_fixtures_are_errors() {
        assert!(Fixture::parse(&serde_json::json!({"x": 1})).is_err());
        assert!(Fixture::parse(&serde_json::json!({"signature": "zz", "signerKeyPair": {"publicKey": "00"}, "messages": []})).is_err());
        assert!(Fixture::parse(&serde_json::json!({"proof": "00", "signerPublicKey": "00", "messages": [], "disclosedIndexes": [-1]})).is_err());
        assert!(suite_from_json(&serde_json::json!({"ciphersuite": "nope"})).is_err());
    }
}

//! JSON forms of the chain's files: `genesis.json`, `validators.json` (the trusted validator set
//! a checkpoint pins) and `bundle.json` (a proof bundle as fetched over HTTP). The forms are
//! specified in `docs/registry-cli.md`.
//!
//! Every form is parsed strictly: unknown or duplicate fields are refused, hex is lowercase
//! only, keys are validated, and a genesis goes through the same checks as a binary one
//! ([`State::genesis`]). In `bundle.json` only the `bundle` member (base64url of the canonical
//! [`ProofBundle`] encoding) is authoritative; every readable member must equal its rendering
//! from the decoded bundle, so a change to any of them is refused ([`JsonFormError::Mismatch`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crosscode_core::keys::{KeyAlgorithm, PublicKey};
use crosscode_core::multicodec::{decode_multikey, encode_multikey};
use serde::{Deserialize, Deserializer, Serialize};

use crate::codec::{Decode, DecodeError, Encode};
use crate::document::{
    DocumentContent, Relationships, Service, VerificationKey, VerificationMethod,
};
use crate::genesis::{Genesis, GenesisError, GenesisMember, is_valid_chain_id};
use crate::profile::{CryptoProfile, SignatureAlgorithm};
use crate::proof::{ProofBundle, TrustedChain};
use crate::records::Namespace;
use crate::state::State;
use crate::validators::{ChainKey, Validator, ValidatorSet, ValidatorSetError};

/// The `format` member of `bundle.json`.
pub const PROOF_BUNDLE_FORMAT: &str = "crosscode-proof-bundle-v1";

/// What kind of JSON problem a form had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Not JSON (or cut short).
    Syntax,
    /// JSON, but not of the form's shape: an unknown, duplicate or missing member, or a value of
    /// the wrong type.
    Shape,
}

impl std::fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JsonErrorKind::Syntax => "not JSON",
            JsonErrorKind::Shape => "unknown, duplicate or missing member, or wrong type",
        })
    }
}

/// Why a JSON form is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonFormError {
    /// The text is not JSON of the form's shape.
    #[error("{form} is not valid: {kind} at line {line}, column {column}")]
    Json {
        /// The form (`genesis.json`, `validators.json`, `bundle.json`).
        form: &'static str,
        /// What kind of problem.
        kind: JsonErrorKind,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// A member has a value outside its rules (bad hex, unknown name, invalid key, …).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The member.
        what: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The genesis breaks a genesis rule.
    #[error("genesis: {0}")]
    Genesis(#[from] GenesisError),
    /// The validator set breaks a validator-set rule.
    #[error("validator set: {0}")]
    ValidatorSet(#[from] ValidatorSetError),
    /// `validatorsHash` is not the hash of the validators listed.
    #[error("validatorsHash does not match the validators listed")]
    ValidatorsHashMismatch,
    /// The `bundle` member does not decode to a proof bundle.
    #[error("bundle does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// A readable member of `bundle.json` differs from the decoded bundle.
    #[error("{field} does not match the bundle")]
    Mismatch {
        /// The member (`chainId`, `height`, `time`, `stateRoot`, `entries`,
        /// `entries.namespace`, `entries.key`, `entries.value`).
        field: &'static str,
    },
}

fn invalid(what: &'static str, reason: &'static str) -> JsonFormError {
    JsonFormError::Invalid { what, reason }
}

fn parse_form<'a, T: Deserialize<'a>>(
    form: &'static str,
    text: &'a str,
) -> Result<T, JsonFormError> {
    serde_json::from_str(text).map_err(|err| JsonFormError::Json {
        form,
        kind: match err.classify() {
            serde_json::error::Category::Data => JsonErrorKind::Shape,
            _ => JsonErrorKind::Syntax,
        },
        line: err.line(),
        column: err.column(),
    })
}

/// Pretty JSON of a form value (plain structs with string keys: serialization cannot fail).
fn render<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Decodes lowercase hex (refuses upper case, odd lengths and other characters): the one hex
/// parser of the JSON forms, the HTTP API and the CLI.
pub fn parse_lower_hex(what: &'static str, text: &str) -> Result<Vec<u8>, JsonFormError> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(invalid(what, "not lowercase hex"));
    }
    hex::decode(text).map_err(|_| invalid(what, "not lowercase hex"))
}

/// Decodes a 32-byte hash given as 64 lowercase hex digits.
pub fn parse_hash(what: &'static str, text: &str) -> Result<[u8; 32], JsonFormError> {
    parse_lower_hex(what, text)?
        .try_into()
        .map_err(|_| invalid(what, "not 32 bytes"))
}

/// The profile named `standard` or `guomi`.
pub fn parse_profile(text: &str) -> Result<CryptoProfile, JsonFormError> {
    CryptoProfile::ALL
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or(invalid("profile", "not \"standard\" or \"guomi\""))
}

/// The name of a signature algorithm in the JSON forms: `Ed25519` or `SM2`.
pub fn algorithm_name(algorithm: SignatureAlgorithm) -> &'static str {
    match algorithm {
        SignatureAlgorithm::Ed25519 => "Ed25519",
        SignatureAlgorithm::Sm2 => "SM2",
    }
}

fn parse_algorithm(text: &str) -> Result<SignatureAlgorithm, JsonFormError> {
    match text {
        "Ed25519" => Ok(SignatureAlgorithm::Ed25519),
        "SM2" => Ok(SignatureAlgorithm::Sm2),
        _ => Err(invalid("algorithm", "not \"Ed25519\" or \"SM2\"")),
    }
}

/// A verification method in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerificationMethodJson {
    /// Its fragment.
    pub fragment: String,
    /// The public key as a Multikey (`z…`).
    pub public_key_multibase: String,
    /// Relationship names (`authentication`, `assertionMethod`, `capabilityInvocation`,
    /// `capabilityDelegation`), each at most once.
    pub relationships: Vec<String>,
}

/// A service in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceJson {
    /// Its fragment.
    pub fragment: String,
    /// Its type.
    #[serde(rename = "type")]
    pub service_type: String,
    /// Its `https://` endpoint.
    pub endpoint: String,
}

/// A registry DID document ([`DocumentContent`]) in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DocumentJson {
    /// Verification methods.
    pub verification_methods: Vec<VerificationMethodJson>,
    /// Services.
    pub services: Vec<ServiceJson>,
}

impl DocumentJson {
    /// The JSON form of `document`.
    pub fn from_document(document: &DocumentContent) -> DocumentJson {
        DocumentJson {
            verification_methods: document
                .verification_methods
                .iter()
                .map(|vm| VerificationMethodJson {
                    fragment: vm.fragment.clone(),
                    public_key_multibase: encode_multikey(&vm.key.0),
                    relationships: vm.relationships.names().map(str::to_owned).collect(),
                })
                .collect(),
            services: document
                .services
                .iter()
                .map(|s| ServiceJson {
                    fragment: s.fragment.clone(),
                    service_type: s.service_type.clone(),
                    endpoint: s.endpoint.clone(),
                })
                .collect(),
        }
    }

    /// The document: keys decoded (canonical Multikeys only), relationship names known and
    /// not repeated. The document rules ([`DocumentContent::check`]) are checked where the
    /// document is used (genesis, transactions).
    pub fn to_document(&self) -> Result<DocumentContent, JsonFormError> {
        let mut methods = Vec::with_capacity(self.verification_methods.len());
        for vm in &self.verification_methods {
            let key = decode_multikey(&vm.public_key_multibase)
                .map_err(|_| invalid("publicKeyMultibase", "not a canonical Multikey"))?;
            let mut relationships: Option<Relationships> = None;
            for name in &vm.relationships {
                let flag = Relationships::from_name(name)
                    .ok_or(invalid("relationships", "unknown relationship name"))?;
                relationships = Some(match relationships {
                    None => flag,
                    Some(set) if set.contains(flag) => {
                        return Err(invalid("relationships", "a relationship is listed twice"));
                    }
                    Some(set) => set.with(flag),
                });
            }
            let relationships = relationships.ok_or(invalid("relationships", "no relationship"))?;
            methods.push(VerificationMethod {
                fragment: vm.fragment.clone(),
                key: VerificationKey(key),
                relationships,
            });
        }
        Ok(DocumentContent {
            verification_methods: methods,
            services: self
                .services
                .iter()
                .map(|s| Service {
                    fragment: s.fragment.clone(),
                    service_type: s.service_type.clone(),
                    endpoint: s.endpoint.clone(),
                })
                .collect(),
        })
    }
}

/// A validator in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidatorJson {
    /// `Ed25519` or `SM2`.
    pub algorithm: String,
    /// The canonical public key (32 bytes Ed25519, 33 bytes compressed SM2), lowercase hex.
    pub public_key: String,
    /// Voting power.
    pub power: u64,
}

impl ValidatorJson {
    /// The JSON form of `validator`.
    pub fn from_validator(validator: &Validator) -> ValidatorJson {
        ValidatorJson {
            algorithm: algorithm_name(validator.key.algorithm).to_owned(),
            public_key: hex::encode(&validator.key.bytes),
            power: validator.power,
        }
    }

    /// The validator; the key must be a valid point of its algorithm.
    pub fn to_validator(&self) -> Result<Validator, JsonFormError> {
        let algorithm = parse_algorithm(&self.algorithm)?;
        let bytes = parse_lower_hex("validator publicKey", &self.public_key)?;
        if bytes.len() != ChainKey::expected_len(algorithm) {
            return Err(invalid("validator publicKey", "not the canonical length"));
        }
        let key_algorithm = match algorithm {
            SignatureAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
            SignatureAlgorithm::Sm2 => KeyAlgorithm::Sm2,
        };
        PublicKey::from_bytes(key_algorithm, &bytes)
            .map_err(|_| invalid("validator publicKey", "not a valid public key"))?;
        Ok(Validator {
            key: ChainKey { algorithm, bytes },
            power: self.power,
        })
    }
}

fn validators_from_json(list: &[ValidatorJson]) -> Result<Vec<Validator>, JsonFormError> {
    list.iter().map(ValidatorJson::to_validator).collect()
}

/// A genesis member in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisMemberJson {
    /// Jurisdiction code.
    pub jurisdiction: String,
    /// Its DID document.
    pub document: DocumentJson,
}

/// `genesis.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisJson {
    /// The chain id.
    pub chain_id: String,
    /// The DID network name.
    pub network: String,
    /// `standard` or `guomi`.
    pub profile: String,
    /// Genesis time, Unix seconds.
    pub genesis_time: u64,
    /// Approvals a proposal needs.
    pub governance_threshold: u32,
    /// Longest voting period, in blocks.
    pub max_voting_period: u64,
    /// Consortium members.
    pub members: Vec<GenesisMemberJson>,
    /// The first validator set.
    pub validators: Vec<ValidatorJson>,
}

impl Genesis {
    /// `genesis.json` (pretty-printed).
    pub fn to_json(&self) -> String {
        render(&GenesisJson {
            chain_id: self.chain_id.clone(),
            network: self.network.clone(),
            profile: self.profile.as_str().to_owned(),
            genesis_time: self.genesis_time,
            governance_threshold: self.governance_threshold,
            max_voting_period: self.max_voting_period,
            members: self
                .members
                .iter()
                .map(|m| GenesisMemberJson {
                    jurisdiction: m.jurisdiction.clone(),
                    document: DocumentJson::from_document(&m.document),
                })
                .collect(),
            validators: self
                .validators
                .iter()
                .map(ValidatorJson::from_validator)
                .collect(),
        })
    }

    /// Parses `genesis.json` and checks it with the rules of [`State::genesis`].
    pub fn from_json(text: &str) -> Result<Genesis, JsonFormError> {
        let form: GenesisJson = parse_form("genesis.json", text)?;
        let mut members = Vec::with_capacity(form.members.len());
        for member in &form.members {
            members.push(GenesisMember {
                jurisdiction: member.jurisdiction.clone(),
                document: member.document.to_document()?,
            });
        }
        let genesis = Genesis {
            chain_id: form.chain_id,
            network: form.network,
            profile: parse_profile(&form.profile)?,
            genesis_time: form.genesis_time,
            governance_threshold: form.governance_threshold,
            max_voting_period: form.max_voting_period,
            members,
            validators: validators_from_json(&form.validators)?,
        };
        State::genesis(&genesis)?;
        // The binary form's limits (string lengths, list sizes) hold too: the genesis must
        // survive its canonical encoding.
        Genesis::from_bytes(&genesis.to_bytes())?;
        Ok(genesis)
    }

    /// The trusted chain a checkpoint pins for this genesis (its first validator set).
    pub fn trusted_chain(&self) -> Result<TrustedChain, ValidatorSetError> {
        Ok(TrustedChain {
            chain_id: self.chain_id.clone(),
            profile: self.profile,
            validators: ValidatorSet::new(self.profile, self.validators.clone())?,
        })
    }
}

/// `validators.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedChainJson {
    /// The chain id.
    pub chain_id: String,
    /// `standard` or `guomi`.
    pub profile: String,
    /// The validator-set hash headers commit to, lowercase hex.
    pub validators_hash: String,
    /// The validators, in order.
    pub validators: Vec<ValidatorJson>,
}

impl TrustedChain {
    /// `validators.json` (pretty-printed).
    pub fn to_json(&self) -> String {
        render(&TrustedChainJson {
            chain_id: self.chain_id.clone(),
            profile: self.profile.as_str().to_owned(),
            validators_hash: hex::encode(self.validators.hash(self.profile)),
            validators: self
                .validators
                .validators()
                .iter()
                .map(ValidatorJson::from_validator)
                .collect(),
        })
    }

    /// Parses `validators.json`: the set must follow the validator-set rules of the profile and
    /// `validatorsHash` must be its hash.
    pub fn from_json(text: &str) -> Result<TrustedChain, JsonFormError> {
        let form: TrustedChainJson = parse_form("validators.json", text)?;
        if !is_valid_chain_id(&form.chain_id) {
            return Err(invalid("chainId", "not 1-64 printable ASCII characters"));
        }
        let profile = parse_profile(&form.profile)?;
        let expected = parse_hash("validatorsHash", &form.validators_hash)?;
        let validators = ValidatorSet::new(profile, validators_from_json(&form.validators)?)?;
        if validators.hash(profile) != expected {
            return Err(JsonFormError::ValidatorsHashMismatch);
        }
        Ok(TrustedChain {
            chain_id: form.chain_id,
            profile,
            validators,
        })
    }
}

fn required_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// One entry of `bundle.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofEntryJson {
    /// The namespace name its key's first byte names (`did`, `evidence`, …).
    pub namespace: String,
    /// The full state key (namespace byte included), lowercase hex.
    pub key: String,
    /// Its value, lowercase hex, or `null` when the bundle proves the key absent.
    #[serde(deserialize_with = "required_option")]
    pub value: Option<String>,
}

/// `bundle.json`: the readable summary of a proof bundle and the bundle itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProofBundleJson {
    /// [`PROOF_BUNDLE_FORMAT`].
    pub format: String,
    /// The header's chain id.
    pub chain_id: String,
    /// The header's height.
    pub height: u64,
    /// The header's time, Unix seconds.
    pub time: u64,
    /// The header's state root, lowercase hex.
    pub state_root: String,
    /// The proven entries, in bundle order.
    pub entries: Vec<ProofEntryJson>,
    /// The canonical encoding of the [`ProofBundle`], base64url without padding: the only
    /// authoritative member.
    pub bundle: String,
}

impl ProofBundleJson {
    /// The JSON form of `bundle`; `namespace` is the namespace of its entries (an entry whose
    /// key starts with another namespace's byte is named by that namespace).
    pub fn from_bundle(bundle: &ProofBundle, namespace: Namespace) -> ProofBundleJson {
        ProofBundleJson {
            format: PROOF_BUNDLE_FORMAT.to_owned(),
            chain_id: bundle.header.chain_id.clone(),
            height: bundle.header.height,
            time: bundle.header.time,
            state_root: hex::encode(bundle.header.state_root),
            entries: bundle
                .entries
                .iter()
                .map(|entry| ProofEntryJson {
                    namespace: Namespace::of_key(&entry.key)
                        .unwrap_or(namespace)
                        .name()
                        .to_owned(),
                    key: hex::encode(&entry.key),
                    value: entry.value.as_ref().map(hex::encode),
                })
                .collect(),
            bundle: URL_SAFE_NO_PAD.encode(bundle.to_bytes()),
        }
    }

    /// The bundle: `bundle` decoded strictly, and every readable member equal to its rendering
    /// from the decoded bundle.
    pub fn to_bundle(&self) -> Result<ProofBundle, JsonFormError> {
        if self.format != PROOF_BUNDLE_FORMAT {
            return Err(invalid("format", "not crosscode-proof-bundle-v1"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.bundle)
            .map_err(|_| invalid("bundle", "not canonical base64url without padding"))?;
        let bundle = ProofBundle::from_bytes(&bytes)?;
        let mismatch = |field| JsonFormError::Mismatch { field };
        if self.chain_id != bundle.header.chain_id {
            return Err(mismatch("chainId"));
        }
        if self.height != bundle.header.height {
            return Err(mismatch("height"));
        }
        if self.time != bundle.header.time {
            return Err(mismatch("time"));
        }
        if self.state_root != hex::encode(bundle.header.state_root) {
            return Err(mismatch("stateRoot"));
        }
        if self.entries.len() != bundle.entries.len() {
            return Err(mismatch("entries"));
        }
        for (shown, entry) in self.entries.iter().zip(&bundle.entries) {
            let namespace = Namespace::of_key(&entry.key)
                .ok_or(invalid("entries.key", "names no namespace"))?;
            if shown.namespace != namespace.name() {
                return Err(mismatch("entries.namespace"));
            }
            if shown.key != hex::encode(&entry.key) {
                return Err(mismatch("entries.key"));
            }
            if shown.value != entry.value.as_ref().map(hex::encode) {
                return Err(mismatch("entries.value"));
            }
        }
        Ok(bundle)
    }
}

impl ProofBundle {
    /// `bundle.json` (pretty-printed) of this bundle; `namespace` is the namespace of its
    /// entries (see [`ProofBundleJson::from_bundle`]).
    pub fn to_json(&self, namespace: Namespace) -> String {
        render(&ProofBundleJson::from_bundle(self, namespace))
    }
}

/// Parses `bundle.json` strictly (see [`ProofBundleJson::to_bundle`]). The bundle is decoded,
/// not verified: verify it with [`crate::proof::verify_bundle_for_keys`].
pub fn proof_bundle_from_json(text: &str) -> Result<ProofBundle, JsonFormError> {
    parse_form::<ProofBundleJson>("bundle.json", text)?.to_bundle()
}

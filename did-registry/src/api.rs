//! The HTTP API's request and response types, shared by the node and the typed client.
//!
//! Every body is JSON. Hashes, keys and values are lowercase hex; canonical encodings
//! (transactions, headers, certificates) are base64url without padding. Errors are
//! `{"error": "<code>", "message": "..."}` with an [`ApiErrorCode`]; rejected transactions
//! carry a [`RejectionCode`]. `docs/registry.md` ("HTTP API") lists the routes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::block::{CommitCertificate, Header};
use crate::codec::{Decode, Encode};
use crate::document::RegistryDid;
use crate::governance::IssuerScope;
use crate::json::{parse_lower_hex, proof_bundle_from_json};
use crate::profile::CryptoProfile;
use crate::proof::ProofBundle;
use crate::records::{IssuerRecord, Namespace, StateKey};
use crate::state::Event;
use crate::transaction::SignedTransaction;

mod codes;
mod events;
mod proofs;

pub use codes::{ApiError, ApiErrorCode, RejectionCode, ResolutionErrorCode};
pub use proofs::{ProofsRequest, ProofsRequestError, ProofsResponse};

/// Most transactions in one `POST /v1/txs` batch.
pub const MAX_SUBMIT_BATCH: usize = 50_000;

/// Base64url (no padding) of bytes.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (strict: no padding, no whitespace).
pub fn from_base64url(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// `POST /v1/tx` body: one signed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Base64url (no padding) of the canonical `SignedTransaction`.
    pub transaction: String,
}

impl SubmitRequest {
    /// The request for `tx`.
    pub fn new(tx: &SignedTransaction) -> Self {
        Self {
            transaction: base64url(&tx.to_bytes()),
        }
    }
}

/// `POST /v1/tx` answer (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResponse {
    /// The transaction hash.
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
}

/// `POST /v1/txs` answer (202): the hashes, in the order of the request's array (whose
/// elements are base64url canonical transactions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitBatchResponse {
    /// The transaction hashes.
    #[serde(with = "hex32_seq")]
    pub hashes: Vec<[u8; 32]>,
}

/// `GET /v1/tx/{hash}`: where a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TxStatus {
    /// Waiting in the mempool or in the block being produced.
    Pending,
    /// Committed in block `height` at position `index`, with what it did.
    Committed {
        /// The block height.
        height: u64,
        /// The index in the block.
        index: u32,
        /// Its events (e.g. the number of the proposal it opened), in the JSON form of
        /// `api/events.rs`; absent (none) from nodes that did not report them.
        #[serde(default, with = "events::json")]
        events: Vec<Event>,
    },
    /// Refused by the state machine (left out of the block).
    Rejected {
        /// Why.
        code: RejectionCode,
        /// The rejection's text.
        message: String,
    },
}

impl TxStatus {
    /// Where the transaction was committed, `(height, index)`, if it was.
    pub fn location(&self) -> Option<(u64, u32)> {
        match self {
            TxStatus::Committed { height, index, .. } => Some((*height, *index)),
            _ => None,
        }
    }
}

/// `GET /v1/chain`: the chain and its head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainInfo {
    /// The chain id.
    pub chain_id: String,
    /// The DID network name.
    pub network: String,
    /// The crypto profile.
    #[serde(with = "profile_name")]
    pub profile: CryptoProfile,
    /// The head height.
    pub height: u64,
    /// The head time (Unix seconds).
    pub time: u64,
    /// The head's state root.
    #[serde(with = "hex32")]
    pub state_root: [u8; 32],
    /// The head's header hash.
    #[serde(with = "hex32")]
    pub header_hash: [u8; 32],
    /// Transactions waiting in the mempool.
    pub pending: u64,
}

/// A header's fields as JSON (informative: the base64url canonical bytes next to them are
/// authoritative, and parsing refuses fields that differ from them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeaderFields {
    chain_id: String,
    height: u64,
    time: u64,
    #[serde(with = "hex32")]
    previous_hash: [u8; 32],
    #[serde(with = "hex32")]
    transactions_root: [u8; 32],
    #[serde(with = "hex32")]
    state_root: [u8; 32],
    #[serde(with = "hex32")]
    validators_hash: [u8; 32],
    #[serde(with = "hex32")]
    next_validators_hash: [u8; 32],
}

impl From<&Header> for HeaderFields {
    fn from(h: &Header) -> Self {
        Self {
            chain_id: h.chain_id.clone(),
            height: h.height,
            time: h.time,
            previous_hash: h.previous_hash,
            transactions_root: h.transactions_root,
            state_root: h.state_root,
            validators_hash: h.validators_hash,
            next_validators_hash: h.next_validators_hash,
        }
    }
}

fn decode_header(fields: &HeaderFields, bytes: &str) -> Result<Header, String> {
    let bytes = from_base64url(bytes).map_err(|e| format!("header is not base64url: {e}"))?;
    let header = Header::from_bytes(&bytes).map_err(|e| format!("header: {e}"))?;
    if HeaderFields::from(&header) != *fields {
        return Err("header fields differ from the header bytes".into());
    }
    Ok(header)
}

fn decode_certificate(bytes: &str) -> Result<CommitCertificate, String> {
    let bytes = from_base64url(bytes).map_err(|e| format!("certificate is not base64url: {e}"))?;
    CommitCertificate::from_bytes(&bytes).map_err(|e| format!("certificate: {e}"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockWire {
    #[serde(flatten)]
    fields: HeaderFields,
    #[serde(with = "hex32_seq")]
    transactions: Vec<[u8; 32]>,
    header_bytes: String,
    certificate: Option<String>,
}

/// `GET /v1/blocks/{height}`: a committed block's header, certificate (none for genesis) and
/// transaction hashes. JSON: the header fields, `transactions` (hex hashes), `headerBytes` and
/// `certificate` (base64url canonical encodings; `null` certificate at genesis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BlockWire", into = "BlockWire")]
pub struct BlockResponse {
    /// The header.
    pub header: Header,
    /// Its commit certificate (`None` at genesis).
    pub certificate: Option<CommitCertificate>,
    /// The hashes of its transactions, in order.
    pub transactions: Vec<[u8; 32]>,
}

impl From<BlockResponse> for BlockWire {
    fn from(b: BlockResponse) -> Self {
        BlockWire {
            fields: HeaderFields::from(&b.header),
            transactions: b.transactions,
            header_bytes: base64url(&b.header.to_bytes()),
            certificate: b.certificate.map(|c| base64url(&c.to_bytes())),
        }
    }
}

impl TryFrom<BlockWire> for BlockResponse {
    type Error = String;
    fn try_from(w: BlockWire) -> Result<Self, String> {
        Ok(BlockResponse {
            header: decode_header(&w.fields, &w.header_bytes)?,
            certificate: w
                .certificate
                .as_deref()
                .map(decode_certificate)
                .transpose()?,
            transactions: w.transactions,
        })
    }
}

/// `GET /v1/blocks/{height}/transactions`: a committed block's transactions, in block order.
/// JSON: `{"height": h, "transactions": ["<base64url of the canonical SignedTransaction>", …]}`.
/// A light client that verified the block's header (its certificate, against the validators it
/// pins) trusts the transactions through [`BlockTransactions::verify_against`]: their hashes
/// must give the header's `transactionsRoot`, so a node can neither drop, add, reorder nor alter
/// one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockTransactions {
    /// The block's height.
    pub height: u64,
    /// Base64url (no padding) of each canonical `SignedTransaction`, in block order.
    pub transactions: Vec<String>,
}

/// Why a block's transactions are not the ones its header commits to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockTransactionsError {
    /// The answer is for another height than the header's.
    #[error("transactions of height {answered} for the header of height {header}")]
    WrongHeight {
        /// The header's height.
        header: u64,
        /// The answer's height.
        answered: u64,
    },
    /// A transaction is not base64url or not a signed transaction.
    #[error("transaction {index} does not decode: {reason}")]
    Undecodable {
        /// Its position in the block.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The transactions' hashes do not give the header's transactions root.
    #[error("the transactions do not give the header's transactions root")]
    RootMismatch,
}

impl BlockTransactions {
    /// The answer for the block at `height` holding `transactions`.
    pub fn new(height: u64, transactions: &[SignedTransaction]) -> Self {
        Self {
            height,
            transactions: transactions
                .iter()
                .map(|tx| base64url(&tx.to_bytes()))
                .collect(),
        }
    }

    /// The decoded transactions, when they are exactly those `header` commits to (its height
    /// and its transactions root under `profile`).
    pub fn verify_against(
        &self,
        header: &Header,
        profile: CryptoProfile,
    ) -> Result<Vec<SignedTransaction>, BlockTransactionsError> {
        if self.height != header.height {
            return Err(BlockTransactionsError::WrongHeight {
                header: header.height,
                answered: self.height,
            });
        }
        let transactions = self
            .transactions
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let undecodable =
                    |reason: String| BlockTransactionsError::Undecodable { index, reason };
                let bytes = from_base64url(text).map_err(|err| undecodable(err.to_string()))?;
                SignedTransaction::decode_bytes(&bytes).map_err(|err| undecodable(err.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hashes: Vec<[u8; 32]> = transactions.iter().map(|tx| tx.hash(profile)).collect();
        if crate::merkle::merkle_root(profile, &hashes) != header.transactions_root {
            return Err(BlockTransactionsError::RootMismatch);
        }
        Ok(transactions)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockEventWire {
    #[serde(flatten)]
    fields: HeaderFields,
    transaction_count: u64,
    header_bytes: String,
    certificate: String,
}

/// The data of a `block` event of `GET /v1/blocks/stream`: a committed header and its
/// certificate. JSON: the header fields, `transactionCount`, `headerBytes` and `certificate`
/// (base64url canonical encodings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BlockEventWire", into = "BlockEventWire")]
pub struct BlockEvent {
    /// The header.
    pub header: Header,
    /// Its commit certificate.
    pub certificate: CommitCertificate,
    /// The number of transactions in the block.
    pub transaction_count: u64,
}

impl From<BlockEvent> for BlockEventWire {
    fn from(b: BlockEvent) -> Self {
        BlockEventWire {
            fields: HeaderFields::from(&b.header),
            transaction_count: b.transaction_count,
            header_bytes: base64url(&b.header.to_bytes()),
            certificate: base64url(&b.certificate.to_bytes()),
        }
    }
}

impl TryFrom<BlockEventWire> for BlockEvent {
    type Error = String;
    fn try_from(w: BlockEventWire) -> Result<Self, String> {
        Ok(BlockEvent {
            header: decode_header(&w.fields, &w.header_bytes)?,
            certificate: decode_certificate(&w.certificate)?,
            transaction_count: w.transaction_count,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateWire {
    namespace: String,
    key: String,
    height: u64,
    value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proof: Option<serde_json::Value>,
}

/// `GET /v1/state/{namespace}/{key}`: a state entry's value (or absence) at a height, with
/// its proof bundle when asked (`?proof=true`). JSON: `namespace` (its name), `key` (hex of
/// the key bytes after the namespace byte), `height`, `value` (hex or `null`) and `proof`
/// (the `bundle.json` form, absent without `?proof=true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateResponse {
    /// The namespace.
    pub namespace: Namespace,
    /// The key bytes after the namespace byte.
    pub key: Vec<u8>,
    /// The height the value is read at.
    pub height: u64,
    /// The value (`None`: absent).
    pub value: Option<Vec<u8>>,
    /// The proof bundle (with `?proof=true`).
    pub bundle: Option<ProofBundle>,
}

/// Why the proof bundle of a state answer does not prove the entry the answer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BundleMismatch {
    /// The bundle proves no entry, or several.
    #[error("the proof bundle proves {0} entries, not exactly one")]
    EntryCount(usize),
    /// The bundle's entry is another state key.
    #[error("the proof bundle proves another key than the one answered")]
    Key,
    /// The bundle's entry has another value (or presence) than the answer.
    #[error("the proof bundle proves another value than the one answered")]
    Value,
    /// The bundle's header is of another height than the answer.
    #[error("the proof bundle is of another height than the answer")]
    Height,
}

impl StateResponse {
    /// The full state key (namespace byte, then the key bytes).
    pub fn state_key(&self) -> Vec<u8> {
        StateKey::from_parts(self.namespace, &self.key).0
    }

    /// Checks that the proof bundle, when there is one, proves exactly this answer: one entry,
    /// whose key is this answer's state key and whose value is this answer's `value`, under the
    /// header of this answer's height. (Whether the bundle itself verifies is
    /// [`crate::proof::verify_bundle_for_keys`]'s to say.)
    pub fn check_bundle(&self) -> Result<(), BundleMismatch> {
        let Some(bundle) = &self.bundle else {
            return Ok(());
        };
        let [entry] = bundle.entries.as_slice() else {
            return Err(BundleMismatch::EntryCount(bundle.entries.len()));
        };
        if entry.key != self.state_key() {
            return Err(BundleMismatch::Key);
        }
        if entry.value != self.value {
            return Err(BundleMismatch::Value);
        }
        if bundle.header.height != self.height {
            return Err(BundleMismatch::Height);
        }
        Ok(())
    }
}

impl Serialize for StateResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let proof = self
            .bundle
            .as_ref()
            .map(|bundle| {
                serde_json::from_str::<serde_json::Value>(&bundle.to_json(self.namespace))
            })
            .transpose()
            .map_err(serde::ser::Error::custom)?;
        StateWire {
            namespace: self.namespace.name().to_owned(),
            key: hex::encode(&self.key),
            height: self.height,
            value: self.value.as_ref().map(hex::encode),
            proof,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for StateResponse {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = StateWire::deserialize(deserializer)?;
        let namespace = Namespace::from_name(&wire.namespace)
            .ok_or_else(|| D::Error::custom("unknown namespace"))?;
        let key = parse_lower_hex("key", &wire.key).map_err(D::Error::custom)?;
        let value = wire
            .value
            .as_deref()
            .map(|value| parse_lower_hex("value", value))
            .transpose()
            .map_err(D::Error::custom)?;
        let bundle = wire
            .proof
            .map(|proof| proof_bundle_from_json(&proof.to_string()))
            .transpose()
            .map_err(D::Error::custom)?;
        Ok(StateResponse {
            namespace,
            key,
            height: wire.height,
            value,
            bundle,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IssuerWire {
    did: String,
    credential_types: Vec<String>,
    jurisdiction: String,
    valid_from: u64,
    valid_until: u64,
    suspended: bool,
    admitted_height: u64,
    updated_height: u64,
}

/// An admitted authority issuer and its scope (`GET /v1/issuers`). JSON: `did`,
/// `credentialTypes`, `jurisdiction`, `validFrom`, `validUntil` (Unix seconds), `suspended`,
/// `admittedHeight`, `updatedHeight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "IssuerWire", into = "IssuerWire")]
pub struct IssuerEntry {
    /// The issuer DID.
    pub did: RegistryDid,
    /// Its record (scope, suspension, heights).
    pub record: IssuerRecord,
}

impl From<IssuerEntry> for IssuerWire {
    fn from(e: IssuerEntry) -> Self {
        IssuerWire {
            did: e.did.as_str().to_owned(),
            credential_types: e.record.scope.credential_types,
            jurisdiction: e.record.scope.jurisdiction,
            valid_from: e.record.scope.valid_from,
            valid_until: e.record.scope.valid_until,
            suspended: e.record.suspended,
            admitted_height: e.record.admitted_height,
            updated_height: e.record.updated_height,
        }
    }
}

impl TryFrom<IssuerWire> for IssuerEntry {
    type Error = String;
    fn try_from(w: IssuerWire) -> Result<Self, String> {
        Ok(IssuerEntry {
            did: RegistryDid::parse(&w.did).map_err(|e| e.to_string())?,
            record: IssuerRecord {
                scope: IssuerScope {
                    credential_types: w.credential_types,
                    jurisdiction: w.jurisdiction,
                    valid_from: w.valid_from,
                    valid_until: w.valid_until,
                },
                suspended: w.suspended,
                admitted_height: w.admitted_height,
                updated_height: w.updated_height,
            },
        })
    }
}

/// `GET /v1/issuers`: the admitted issuers at a height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuersResponse {
    /// The head height they are read at.
    pub height: u64,
    /// The issuers, by DID.
    pub issuers: Vec<IssuerEntry>,
}

/// Serde of a 32-byte hash as lowercase hex.
mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::json::parse_hash("hash", &text).map_err(D::Error::custom)
    }
}

/// Serde of a list of 32-byte hashes as lowercase hex strings.
mod hex32_seq {
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(hashes: &[[u8; 32]], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(hashes.len()))?;
        for hash in hashes {
            seq.serialize_element(&hex::encode(hash))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| crate::json::parse_hash("hash", text).map_err(D::Error::custom))
            .collect()
    }
}

/// Serde of a crypto profile by name (`standard`, `guomi`).
mod profile_name {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::profile::CryptoProfile;

    pub fn serialize<S: Serializer>(
        profile: &CryptoProfile,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(profile.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<CryptoProfile, D::Error> {
        let text = String::deserialize(deserializer)?;
        CryptoProfile::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| D::Error::custom("unknown crypto profile"))
    }
}

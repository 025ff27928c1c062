//! Signed registry transactions: the canonical encoding, signing and hashing.
//!
//! A transaction names its chain (domain separation), its sender (a registry DID and the
//! fragment of one of its capability-invocation keys), the sender's next sequence number
//! (replay protection) and a [`Payload`]. The sender signs
//! `"crosscode-registry-tx-v1" || 0x00 || encoding(Transaction)`; the transaction hash is the
//! profile hash of the whole signed encoding.

use crosscode_core::keys::{SignatureError, Signer};

use crate::codec::{Decode, DecodeError, Encode, MAX_NAME_LEN, Reader, Writer};
use crate::document::{
    DocumentContent, MAX_FRAGMENT_LEN, RegistryDid, Service, VerificationMethod,
};
use crate::governance::GovernanceAction;
use crate::profile::CryptoProfile;

/// The transaction format version.
pub const TX_VERSION: u8 = 1;
/// Domain tag of the signed message.
pub const TX_SIGNING_DOMAIN: &[u8] = b"crosscode-registry-tx-v1\0";
/// Domain tag of the transaction hash.
pub const TX_HASH_DOMAIN: &[u8] = b"crosscode-registry-txhash-v1\0";
/// Longest chain id.
pub const MAX_CHAIN_ID_LEN: usize = 64;
/// Longest signature accepted (Ed25519 and SM2 signatures are 64 bytes).
pub const MAX_SIGNATURE_LEN: usize = 64;
/// Largest JSON Schema text.
pub const MAX_SCHEMA_LEN: usize = 64 * 1024;
/// Most items added or removed by one update.
pub const MAX_UPDATE_ITEMS: usize = 32;
/// Largest encoded transaction accepted.
pub const MAX_TX_LEN: usize = 128 * 1024;

/// A key of a status entry: a position in the issuer's status list, or a credential hash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StatusKey {
    /// Entry `index` of the issuer's status list `list`.
    Index {
        /// The status list number.
        list: u32,
        /// The index in the list.
        index: u64,
    },
    /// A credential hash.
    CredentialHash([u8; 32]),
}

impl Encode for StatusKey {
    fn encode(&self, writer: &mut Writer) {
        match self {
            StatusKey::Index { list, index } => {
                writer.u8(1);
                writer.u32(*list);
                writer.u64(*index);
            }
            StatusKey::CredentialHash(hash) => {
                writer.u8(2);
                writer.hash(hash);
            }
        }
    }
}

impl Decode for StatusKey {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.u8("status key")? {
            1 => Ok(StatusKey::Index {
                list: reader.u32("status list")?,
                index: reader.u64("status index")?,
            }),
            2 => Ok(StatusKey::CredentialHash(reader.hash("credential hash")?)),
            tag => Err(DecodeError::UnknownTag {
                what: "status key",
                tag,
            }),
        }
    }
}

/// A status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Revoke (final).
    Revoke,
    /// Suspend (can be reinstated).
    Suspend,
    /// Lift a suspension (the entry is removed: absence means "not revoked, not suspended").
    Reinstate,
}

impl Encode for StatusChange {
    fn encode(&self, writer: &mut Writer) {
        writer.u8(match self {
            StatusChange::Revoke => 1,
            StatusChange::Suspend => 2,
            StatusChange::Reinstate => 3,
        });
    }
}

impl Decode for StatusChange {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.u8("status change")? {
            1 => Ok(StatusChange::Revoke),
            2 => Ok(StatusChange::Suspend),
            3 => Ok(StatusChange::Reinstate),
            tag => Err(DecodeError::UnknownTag {
                what: "status change",
                tag,
            }),
        }
    }
}

/// What a transaction does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Create the sender DID with this document (sequence 0, signed by one of its
    /// capability-invocation keys, from which the DID is derived).
    DidCreate {
        /// The initial document.
        document: DocumentContent,
    },
    /// Add / remove verification methods and services.
    DidUpdate {
        /// Methods to add.
        add_methods: Vec<VerificationMethod>,
        /// Fragments of methods to remove.
        remove_methods: Vec<String>,
        /// Services to add.
        add_services: Vec<Service>,
        /// Fragments of services to remove.
        remove_services: Vec<String>,
    },
    /// Replace every verification method at once (key rotation); services stay.
    DidRotateKeys {
        /// The new methods.
        methods: Vec<VerificationMethod>,
    },
    /// Deactivate the sender DID (final).
    DidDeactivate,
    /// Open a governance proposal (the proposer's approval counts).
    Propose {
        /// What the proposal does.
        action: GovernanceAction,
        /// How many blocks after this one the proposal stays open.
        voting_period: u64,
    },
    /// Vote on an open proposal.
    Vote {
        /// The proposal number.
        proposal: u64,
        /// Approve or reject.
        approve: bool,
    },
    /// Register a credential schema (JSON Schema), stored under its content hash.
    RegisterSchema {
        /// Schema name.
        name: String,
        /// Schema version.
        version: String,
        /// The JSON Schema text (stored in JCS canonical form).
        schema_json: String,
    },
    /// Set the status of one of the sender's credentials.
    SetStatus {
        /// Which credential.
        key: StatusKey,
        /// The change.
        change: StatusChange,
    },
    /// Anchor one credential hash with the issuer's signature over it.
    AnchorEvidence {
        /// The credential hash.
        credential_hash: [u8; 32],
        /// Fragment of the issuer's assertion method that signed.
        method: String,
        /// The issuer's signature (see [`evidence_message`]).
        signature: Vec<u8>,
    },
    /// Anchor a batch: the Merkle root of `count` credential hashes, signed by the issuer.
    AnchorBatch {
        /// The batch Merkle root.
        merkle_root: [u8; 32],
        /// How many credential hashes the batch holds.
        count: u64,
        /// Fragment of the issuer's assertion method that signed.
        method: String,
        /// The issuer's signature (see [`batch_message`]).
        signature: Vec<u8>,
    },
}

impl Payload {
    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::DidCreate { .. } => "did-create",
            Payload::DidUpdate { .. } => "did-update",
            Payload::DidRotateKeys { .. } => "did-rotate-keys",
            Payload::DidDeactivate => "did-deactivate",
            Payload::Propose { .. } => "propose",
            Payload::Vote { .. } => "vote",
            Payload::RegisterSchema { .. } => "register-schema",
            Payload::SetStatus { .. } => "set-status",
            Payload::AnchorEvidence { .. } => "anchor-evidence",
            Payload::AnchorBatch { .. } => "anchor-batch",
        }
    }
}

fn read_fragments(reader: &mut Reader<'_>) -> Result<Vec<String>, DecodeError> {
    let count = reader.len("fragments", MAX_UPDATE_ITEMS)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(reader.str("fragment", MAX_FRAGMENT_LEN)?);
    }
    Ok(out)
}

impl Encode for Payload {
    fn encode(&self, w: &mut Writer) {
        match self {
            Payload::DidCreate { document } => {
                w.u8(1);
                document.encode(w);
            }
            Payload::DidUpdate {
                add_methods,
                remove_methods,
                add_services,
                remove_services,
            } => {
                w.u8(2);
                w.seq(add_methods);
                w.seq(remove_methods);
                w.seq(add_services);
                w.seq(remove_services);
            }
            Payload::DidRotateKeys { methods } => {
                w.u8(3);
                w.seq(methods);
            }
            Payload::DidDeactivate => w.u8(4),
            Payload::Propose {
                action,
                voting_period,
            } => {
                w.u8(5);
                action.encode(w);
                w.u64(*voting_period);
            }
            Payload::Vote { proposal, approve } => {
                w.u8(6);
                w.u64(*proposal);
                w.bool(*approve);
            }
            Payload::RegisterSchema {
                name,
                version,
                schema_json,
            } => {
                w.u8(7);
                w.str(name);
                w.str(version);
                w.str(schema_json);
            }
            Payload::SetStatus { key, change } => {
                w.u8(8);
                key.encode(w);
                change.encode(w);
            }
            Payload::AnchorEvidence {
                credential_hash,
                method,
                signature,
            } => {
                w.u8(9);
                w.hash(credential_hash);
                w.str(method);
                w.bytes(signature);
            }
            Payload::AnchorBatch {
                merkle_root,
                count,
                method,
                signature,
            } => {
                w.u8(10);
                w.hash(merkle_root);
                w.u64(*count);
                w.str(method);
                w.bytes(signature);
            }
        }
    }
}

impl Decode for Payload {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("payload kind")? {
            1 => Payload::DidCreate {
                document: DocumentContent::decode(r)?,
            },
            2 => Payload::DidUpdate {
                add_methods: r.seq("added methods", MAX_UPDATE_ITEMS)?,
                remove_methods: read_fragments(r)?,
                add_services: r.seq("added services", MAX_UPDATE_ITEMS)?,
                remove_services: read_fragments(r)?,
            },
            3 => Payload::DidRotateKeys {
                methods: r.seq("methods", crate::document::MAX_VERIFICATION_METHODS)?,
            },
            4 => Payload::DidDeactivate,
            5 => Payload::Propose {
                action: GovernanceAction::decode(r)?,
                voting_period: r.u64("voting period")?,
            },
            6 => Payload::Vote {
                proposal: r.u64("proposal")?,
                approve: r.bool("approve")?,
            },
            7 => Payload::RegisterSchema {
                name: r.str("schema name", MAX_NAME_LEN)?,
                version: r.str("schema version", MAX_NAME_LEN)?,
                schema_json: r.str("schema", MAX_SCHEMA_LEN)?,
            },
            8 => Payload::SetStatus {
                key: StatusKey::decode(r)?,
                change: StatusChange::decode(r)?,
            },
            9 => Payload::AnchorEvidence {
                credential_hash: r.hash("credential hash")?,
                method: r.str("method", MAX_FRAGMENT_LEN)?,
                signature: r.bytes("signature", MAX_SIGNATURE_LEN)?,
            },
            10 => Payload::AnchorBatch {
                merkle_root: r.hash("merkle root")?,
                count: r.u64("count")?,
                method: r.str("method", MAX_FRAGMENT_LEN)?,
                signature: r.bytes("signature", MAX_SIGNATURE_LEN)?,
            },
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "payload kind",
                    tag,
                });
            }
        })
    }
}

/// An unsigned transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The chain it is meant for.
    pub chain_id: String,
    /// The sender DID.
    pub sender: RegistryDid,
    /// Fragment of the sender's capability-invocation key that signs.
    pub key: String,
    /// The sender's sequence number (0 for its create transaction, then +1 each).
    pub sequence: u64,
    /// What it does.
    pub payload: Payload,
}

impl Transaction {
    /// The bytes the sender signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(TX_SIGNING_DOMAIN);
        self.encode(&mut w);
        w.into_bytes()
    }

    /// Signs through `signer` (whose key must be the one the `key` fragment names): an
    /// in-memory `SecretKey`, a platform keystore or an HSM.
    pub fn sign<S: Signer + ?Sized>(self, signer: &S) -> Result<SignedTransaction, SignatureError> {
        let signature = signer.sign(&self.signing_bytes())?;
        Ok(SignedTransaction {
            transaction: self,
            signature,
        })
    }
}

impl Encode for Transaction {
    fn encode(&self, w: &mut Writer) {
        w.u8(TX_VERSION);
        w.str(&self.chain_id);
        self.sender.encode(w);
        w.str(&self.key);
        w.u64(self.sequence);
        self.payload.encode(w);
    }
}

impl Decode for Transaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("transaction version")?;
        if version != TX_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                what: "transaction",
                version,
            });
        }
        Ok(Self {
            chain_id: r.str("chain id", MAX_CHAIN_ID_LEN)?,
            sender: RegistryDid::decode(r)?,
            key: r.str("key fragment", MAX_FRAGMENT_LEN)?,
            sequence: r.u64("sequence")?,
            payload: Payload::decode(r)?,
        })
    }
}

/// A transaction with the sender's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The transaction.
    pub transaction: Transaction,
    /// The signature over [`Transaction::signing_bytes`].
    pub signature: Vec<u8>,
}

impl SignedTransaction {
    /// The transaction hash: `H("crosscode-registry-txhash-v1" || 0 || encoding)`.
    pub fn hash(&self, profile: CryptoProfile) -> [u8; 32] {
        profile.hash(&[TX_HASH_DOMAIN, &self.to_bytes()])
    }

    /// Decodes a signed transaction, refusing inputs above [`MAX_TX_LEN`].
    pub fn decode_bytes(bytes: &[u8]) -> Result<SignedTransaction, DecodeError> {
        if bytes.len() > MAX_TX_LEN {
            return Err(DecodeError::TooLong {
                what: "transaction",
                len: bytes.len(),
                limit: MAX_TX_LEN,
            });
        }
        SignedTransaction::from_bytes(bytes)
    }
}

impl Encode for SignedTransaction {
    fn encode(&self, w: &mut Writer) {
        self.transaction.encode(w);
        w.bytes(&self.signature);
    }
}

impl Decode for SignedTransaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            transaction: Transaction::decode(r)?,
            signature: r.bytes("signature", MAX_SIGNATURE_LEN)?,
        })
    }
}

/// Domain tag of evidence signatures.
pub const EVIDENCE_DOMAIN: &[u8] = b"crosscode-evidence-v1\0";
/// Domain tag of batch-anchor signatures.
pub const BATCH_DOMAIN: &[u8] = b"crosscode-evidence-batch-v1\0";

/// The message an issuer signs to anchor one credential hash on `chain_id`.
pub fn evidence_message(chain_id: &str, credential_hash: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(EVIDENCE_DOMAIN);
    w.str(chain_id);
    w.hash(credential_hash);
    w.into_bytes()
}

/// The message an issuer signs to anchor a batch root of `count` hashes on `chain_id`.
pub fn batch_message(chain_id: &str, merkle_root: &[u8; 32], count: u64) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(BATCH_DOMAIN);
    w.str(chain_id);
    w.hash(merkle_root);
    w.u64(count);
    w.into_bytes()
}

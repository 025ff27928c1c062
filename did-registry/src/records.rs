//! What the registry state holds: namespaced keys and the records stored under them, all in
//! the canonical encoding. Every record is public (replicated to every jurisdiction) and holds
//! only DIDs, keys, hashes, signatures, heights, times and public metadata.

use crate::codec::{Decode, DecodeError, Encode, MAX_NAME_LEN, Reader, Writer};
use crate::document::{DocumentContent, MAX_FRAGMENT_LEN, RegistryDid};
use crate::governance::{GovernanceAction, IssuerScope};
use crate::profile::CryptoProfile;
use crate::transaction::{MAX_CHAIN_ID_LEN, MAX_SCHEMA_LEN, MAX_SIGNATURE_LEN, StatusKey};

/// Most members of a consortium.
pub const MAX_MEMBERS: usize = 64;

/// The namespaces of the state (the first byte of every state key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// Chain configuration, validator set, counters.
    Meta,
    /// Current DID records, by DID.
    Did,
    /// DID document versions, by DID and version number.
    DidVersion,
    /// Next sequence number of each sender, by DID.
    Sequence,
    /// Consortium members, by DID.
    Member,
    /// Admitted authority issuers, by DID.
    Issuer,
    /// Governance proposals, by number.
    Proposal,
    /// Credential schemas, by content hash.
    Schema,
    /// Status entries (revoked / suspended), by issuer DID and status key.
    Status,
    /// Single evidence anchors, by credential hash.
    Evidence,
    /// Batch evidence anchors, by Merkle root.
    Batch,
}

impl Namespace {
    /// All namespaces.
    pub const ALL: [Namespace; 11] = [
        Namespace::Meta,
        Namespace::Did,
        Namespace::DidVersion,
        Namespace::Sequence,
        Namespace::Member,
        Namespace::Issuer,
        Namespace::Proposal,
        Namespace::Schema,
        Namespace::Status,
        Namespace::Evidence,
        Namespace::Batch,
    ];

    /// The key prefix byte.
    pub fn tag(self) -> u8 {
        match self {
            Namespace::Meta => 0,
            Namespace::Did => 1,
            Namespace::DidVersion => 2,
            Namespace::Sequence => 3,
            Namespace::Member => 4,
            Namespace::Issuer => 5,
            Namespace::Proposal => 6,
            Namespace::Schema => 7,
            Namespace::Status => 8,
            Namespace::Evidence => 9,
            Namespace::Batch => 10,
        }
    }

    /// The name used in APIs (`did`, `did-version`, …).
    pub fn name(self) -> &'static str {
        match self {
            Namespace::Meta => "meta",
            Namespace::Did => "did",
            Namespace::DidVersion => "did-version",
            Namespace::Sequence => "sequence",
            Namespace::Member => "member",
            Namespace::Issuer => "issuer",
            Namespace::Proposal => "proposal",
            Namespace::Schema => "schema",
            Namespace::Status => "status",
            Namespace::Evidence => "evidence",
            Namespace::Batch => "batch",
        }
    }

    /// The namespace with this API name.
    pub fn from_name(name: &str) -> Option<Namespace> {
        Namespace::ALL.into_iter().find(|ns| ns.name() == name)
    }

    /// The namespace whose key prefix byte is `tag`.
    pub fn from_tag(tag: u8) -> Option<Namespace> {
        Namespace::ALL.into_iter().find(|ns| ns.tag() == tag)
    }

    /// The namespace a full state key (namespace byte first) belongs to.
    pub fn of_key(key: &[u8]) -> Option<Namespace> {
        Namespace::from_tag(*key.first()?)
    }

    /// Whether the keys of this namespace are a DID (`did`, `sequence`, `member`, `issuer`).
    pub fn is_did_keyed(self) -> bool {
        matches!(
            self,
            Namespace::Did | Namespace::Sequence | Namespace::Member | Namespace::Issuer
        )
    }
}

/// A state key: namespace byte followed by the namespace's key bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateKey(pub Vec<u8>);

impl StateKey {
    fn new(namespace: Namespace, parts: &[&[u8]]) -> StateKey {
        let mut bytes = vec![namespace.tag()];
        for part in parts {
            bytes.extend_from_slice(part);
        }
        StateKey(bytes)
    }

    /// `meta/<name>`.
    pub fn meta(name: &str) -> StateKey {
        StateKey::new(Namespace::Meta, &[name.as_bytes()])
    }

    /// `did/<did>`.
    pub fn did(did: &RegistryDid) -> StateKey {
        StateKey::new(Namespace::Did, &[did.as_str().as_bytes()])
    }

    /// `did-version/<did> 0x00 <version u32>`.
    pub fn did_version(did: &RegistryDid, version: u32) -> StateKey {
        StateKey::new(
            Namespace::DidVersion,
            &[did.as_str().as_bytes(), &[0], &version.to_be_bytes()],
        )
    }

    /// `sequence/<did>`.
    pub fn sequence(did: &RegistryDid) -> StateKey {
        StateKey::new(Namespace::Sequence, &[did.as_str().as_bytes()])
    }

    /// `member/<did>`.
    pub fn member(did: &RegistryDid) -> StateKey {
        StateKey::new(Namespace::Member, &[did.as_str().as_bytes()])
    }

    /// `issuer/<did>`.
    pub fn issuer(did: &RegistryDid) -> StateKey {
        StateKey::new(Namespace::Issuer, &[did.as_str().as_bytes()])
    }

    /// `proposal/<number u64>`.
    pub fn proposal(id: u64) -> StateKey {
        StateKey::new(Namespace::Proposal, &[&id.to_be_bytes()])
    }

    /// `schema/<content hash>`.
    pub fn schema(hash: &[u8; 32]) -> StateKey {
        StateKey::new(Namespace::Schema, &[hash])
    }

    /// `status/<issuer did> 0x00 <status key encoding>`.
    pub fn status(issuer: &RegistryDid, key: &StatusKey) -> StateKey {
        StateKey::new(
            Namespace::Status,
            &[issuer.as_str().as_bytes(), &[0], &key.to_bytes()],
        )
    }

    /// `evidence/<credential hash>`.
    pub fn evidence(hash: &[u8; 32]) -> StateKey {
        StateKey::new(Namespace::Evidence, &[hash])
    }

    /// `batch/<merkle root>`.
    pub fn batch(root: &[u8; 32]) -> StateKey {
        StateKey::new(Namespace::Batch, &[root])
    }

    /// Builds a key from a namespace and its raw key bytes.
    pub fn from_parts(namespace: Namespace, key: &[u8]) -> StateKey {
        StateKey::new(namespace, &[key])
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The chain's fixed configuration (from genesis), stored at `meta/config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// The chain id (signed into every transaction and header).
    pub chain_id: String,
    /// The DID network name (`did:crosscode:<network>:…`).
    pub network: String,
    /// The crypto profile.
    pub profile: CryptoProfile,
    /// Approvals a proposal needs (M of N members).
    pub governance_threshold: u32,
    /// Number of consortium members (N).
    pub member_count: u32,
    /// Longest voting period a proposal may ask for, in blocks.
    pub max_voting_period: u64,
}

impl Encode for ChainConfig {
    fn encode(&self, w: &mut Writer) {
        w.u8(1);
        w.str(&self.chain_id);
        w.str(&self.network);
        self.profile.encode(w);
        w.u32(self.governance_threshold);
        w.u32(self.member_count);
        w.u64(self.max_voting_period);
    }
}

impl Decode for ChainConfig {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("config version")?;
        if version != 1 {
            return Err(DecodeError::UnsupportedVersion {
                what: "chain config",
                version,
            });
        }
        Ok(Self {
            chain_id: r.str("chain id", MAX_CHAIN_ID_LEN)?,
            network: r.str("network", crate::document::MAX_NETWORK_LEN)?,
            profile: CryptoProfile::decode(r)?,
            governance_threshold: r.u32("threshold")?,
            member_count: r.u32("member count")?,
            max_voting_period: r.u64("max voting period")?,
        })
    }
}

/// The current state of a DID (`did/<did>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidRecord {
    /// The current document.
    pub document: DocumentContent,
    /// Number of versions so far (the current one is `versions - 1`).
    pub versions: u32,
    /// Whether the DID is deactivated.
    pub deactivated: bool,
    /// Height of the block that created it.
    pub created_height: u64,
    /// Time of the block that created it (Unix seconds).
    pub created_time: u64,
    /// Height of the block of the latest version.
    pub updated_height: u64,
    /// Time of the block of the latest version (Unix seconds).
    pub updated_time: u64,
}

impl Encode for DidRecord {
    fn encode(&self, w: &mut Writer) {
        self.document.encode(w);
        w.u32(self.versions);
        w.bool(self.deactivated);
        w.u64(self.created_height);
        w.u64(self.created_time);
        w.u64(self.updated_height);
        w.u64(self.updated_time);
    }
}

impl Decode for DidRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            document: DocumentContent::decode(r)?,
            versions: r.u32("versions")?,
            deactivated: r.bool("deactivated")?,
            created_height: r.u64("created height")?,
            created_time: r.u64("created time")?,
            updated_height: r.u64("updated height")?,
            updated_time: r.u64("updated time")?,
        })
    }
}

/// One version of a DID document (`did-version/<did>/<n>`): valid from `height` until the next
/// version's height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidVersion {
    /// The document of this version.
    pub document: DocumentContent,
    /// Whether this version deactivates the DID.
    pub deactivated: bool,
    /// Height of the block that made this version.
    pub height: u64,
    /// Time of that block (Unix seconds).
    pub time: u64,
}

impl Encode for DidVersion {
    fn encode(&self, w: &mut Writer) {
        self.document.encode(w);
        w.bool(self.deactivated);
        w.u64(self.height);
        w.u64(self.time);
    }
}

impl Decode for DidVersion {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            document: DocumentContent::decode(r)?,
            deactivated: r.bool("deactivated")?,
            height: r.u64("height")?,
            time: r.u64("time")?,
        })
    }
}

/// A consortium member (`member/<did>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// Its jurisdiction code.
    pub jurisdiction: String,
}

impl Encode for MemberRecord {
    fn encode(&self, w: &mut Writer) {
        w.str(&self.jurisdiction);
    }
}

impl Decode for MemberRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            jurisdiction: r.str("jurisdiction", MAX_NAME_LEN)?,
        })
    }
}

/// An admitted authority issuer (`issuer/<did>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerRecord {
    /// What it may issue.
    pub scope: IssuerScope,
    /// Whether it is suspended.
    pub suspended: bool,
    /// Height at which it was admitted.
    pub admitted_height: u64,
    /// Height of the latest change.
    pub updated_height: u64,
}

impl Encode for IssuerRecord {
    fn encode(&self, w: &mut Writer) {
        self.scope.encode(w);
        w.bool(self.suspended);
        w.u64(self.admitted_height);
        w.u64(self.updated_height);
    }
}

impl Decode for IssuerRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            scope: IssuerScope::decode(r)?,
            suspended: r.bool("suspended")?,
            admitted_height: r.u64("admitted height")?,
            updated_height: r.u64("updated height")?,
        })
    }
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Open for votes until its closing height.
    Open,
    /// Reached the threshold and was executed.
    Executed,
    /// Enough members rejected it that the threshold can no longer be reached.
    Rejected,
}

/// A governance proposal (`proposal/<n>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRecord {
    /// What it does.
    pub action: GovernanceAction,
    /// Who proposed it.
    pub proposer: RegistryDid,
    /// Height it was opened at.
    pub opened_height: u64,
    /// Last height at which votes count.
    pub closes_height: u64,
    /// Members that approved (the proposer first).
    pub approvals: Vec<RegistryDid>,
    /// Members that rejected.
    pub rejections: Vec<RegistryDid>,
    /// Its status.
    pub status: ProposalStatus,
}

impl Encode for ProposalRecord {
    fn encode(&self, w: &mut Writer) {
        self.action.encode(w);
        self.proposer.encode(w);
        w.u64(self.opened_height);
        w.u64(self.closes_height);
        w.seq(&self.approvals);
        w.seq(&self.rejections);
        w.u8(match self.status {
            ProposalStatus::Open => 1,
            ProposalStatus::Executed => 2,
            ProposalStatus::Rejected => 3,
        });
    }
}

impl Decode for ProposalRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            action: GovernanceAction::decode(r)?,
            proposer: RegistryDid::decode(r)?,
            opened_height: r.u64("opened height")?,
            closes_height: r.u64("closes height")?,
            approvals: r.seq("approvals", MAX_MEMBERS)?,
            rejections: r.seq("rejections", MAX_MEMBERS)?,
            status: match r.u8("proposal status")? {
                1 => ProposalStatus::Open,
                2 => ProposalStatus::Executed,
                3 => ProposalStatus::Rejected,
                tag => {
                    return Err(DecodeError::UnknownTag {
                        what: "proposal status",
                        tag,
                    });
                }
            },
        })
    }
}

/// A credential schema (`schema/<content hash>`): the JSON Schema in JCS canonical form; the
/// key is the profile hash of exactly these bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRecord {
    /// Who registered it.
    pub author: RegistryDid,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The canonical JSON Schema.
    pub canonical_json: String,
    /// Height it was registered at.
    pub height: u64,
}

impl Encode for SchemaRecord {
    fn encode(&self, w: &mut Writer) {
        self.author.encode(w);
        w.str(&self.name);
        w.str(&self.version);
        w.str(&self.canonical_json);
        w.u64(self.height);
    }
}

impl Decode for SchemaRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            author: RegistryDid::decode(r)?,
            name: r.str("schema name", MAX_NAME_LEN)?,
            version: r.str("schema version", MAX_NAME_LEN)?,
            canonical_json: r.str("schema", MAX_SCHEMA_LEN)?,
            height: r.u64("height")?,
        })
    }
}

/// The status of a credential that has an entry (no entry: neither revoked nor suspended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialStatus {
    /// Revoked (final).
    Revoked,
    /// Suspended.
    Suspended,
}

/// A status entry (`status/<issuer>/<key>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    /// The status.
    pub status: CredentialStatus,
    /// Height of the change.
    pub height: u64,
    /// Time of the change (Unix seconds).
    pub time: u64,
}

impl Encode for StatusRecord {
    fn encode(&self, w: &mut Writer) {
        w.u8(match self.status {
            CredentialStatus::Revoked => 1,
            CredentialStatus::Suspended => 2,
        });
        w.u64(self.height);
        w.u64(self.time);
    }
}

impl Decode for StatusRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            status: match r.u8("status")? {
                1 => CredentialStatus::Revoked,
                2 => CredentialStatus::Suspended,
                tag => {
                    return Err(DecodeError::UnknownTag {
                        what: "status",
                        tag,
                    });
                }
            },
            height: r.u64("height")?,
            time: r.u64("time")?,
        })
    }
}

/// An evidence anchor (`evidence/<hash>` for one credential, `batch/<root>` for a batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// The issuer DID.
    pub issuer: RegistryDid,
    /// Fragment of the issuer's assertion method that signed.
    pub method: String,
    /// The issuer's signature.
    pub signature: Vec<u8>,
    /// Number of credential hashes (1 for a single anchor).
    pub count: u64,
    /// Height of the anchoring block.
    pub height: u64,
    /// Time of the anchoring block (Unix seconds).
    pub time: u64,
}

impl Encode for EvidenceRecord {
    fn encode(&self, w: &mut Writer) {
        self.issuer.encode(w);
        w.str(&self.method);
        w.bytes(&self.signature);
        w.u64(self.count);
        w.u64(self.height);
        w.u64(self.time);
    }
}

impl Decode for EvidenceRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            issuer: RegistryDid::decode(r)?,
            method: r.str("method", MAX_FRAGMENT_LEN)?,
            signature: r.bytes("signature", MAX_SIGNATURE_LEN)?,
            count: r.u64("count")?,
            height: r.u64("height")?,
            time: r.u64("time")?,
        })
    }
}

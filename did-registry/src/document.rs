//! The registry's own DID method (`did:crosscode:<network>:<id>`) and the content of its DID
//! documents: verification methods (with their relationships) and services.
//!
//! The rules are in `docs/did-method.md`: the id is the base58btc encoding of the first 16 bytes
//! of `H("crosscode-did-v1" || len(network) || network || key tag || key bytes)` where `H` is the
//! chain's profile hash and the key is the capability-invocation key that signs the create
//! transaction, so a DID cannot be squatted by someone who does not hold its first key.

use std::fmt;

use crosscode_core::did::{Did, DidUrl};
use crosscode_core::keys::{KeyAlgorithm, PublicKey};
use crosscode_core::multicodec;

use crate::codec::{Decode, DecodeError, Encode, MAX_NAME_LEN, Reader, Writer};
use crate::profile::CryptoProfile;

/// The DID method name.
pub const DID_METHOD: &str = "crosscode";
/// Longest network name.
pub const MAX_NETWORK_LEN: usize = 32;
/// Bytes of the hash kept in a DID's id.
pub const DID_ID_BYTES: usize = 16;
/// Longest DID the registry accepts.
pub const MAX_REGISTRY_DID_LEN: usize = 96;
/// Most verification methods in one document.
pub const MAX_VERIFICATION_METHODS: usize = 32;
/// Most services in one document.
pub const MAX_SERVICES: usize = 16;
/// Longest fragment (verification method or service id).
pub const MAX_FRAGMENT_LEN: usize = 64;
/// Longest service endpoint URL.
pub const MAX_ENDPOINT_LEN: usize = 256;

const DID_DOMAIN: &[u8] = b"crosscode-did-v1";

/// A validated registry DID, `did:crosscode:<network>:<id>`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryDid {
    text: String,
}

impl fmt::Debug for RegistryDid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistryDid({})", self.text)
    }
}

impl fmt::Display for RegistryDid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether `network` is a valid network name: 1–32 of `a-z`, `0-9`, `-`.
pub fn is_valid_network(network: &str) -> bool {
    !network.is_empty()
        && network.len() <= MAX_NETWORK_LEN
        && network
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Shortest and longest base58btc text of a 16-byte id (16 zero bytes: sixteen `1`s).
const DID_ID_TEXT_LEN: std::ops::RangeInclusive<usize> = 16..=22;

/// Whether `text` has the syntax of a registry DID, as the HTTP API's OpenAPI document
/// describes it: `did:crosscode:`, a valid network name, `:` and 16 to 22 base58btc
/// characters. Every registry DID has it; a text that has it but whose id does not decode to
/// 16 bytes in canonical base58btc ([`RegistryDid::parse`] refuses it) names no DID the
/// registry can hold, so the node answers it "not found" rather than "invalid".
pub fn has_registry_did_syntax(text: &str) -> bool {
    let Some((network, id)) = text
        .strip_prefix("did:crosscode:")
        .and_then(|rest| rest.split_once(':'))
    else {
        return false;
    };
    is_valid_network(network)
        && DID_ID_TEXT_LEN.contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

impl RegistryDid {
    /// Parses and validates `did:crosscode:<network>:<id>`.
    pub fn parse(text: &str) -> Result<RegistryDid, DecodeError> {
        let invalid = |reason| DecodeError::Invalid {
            what: "registry DID",
            reason,
        };
        if text.len() > MAX_REGISTRY_DID_LEN {
            return Err(invalid("too long"));
        }
        let rest = text
            .strip_prefix("did:crosscode:")
            .ok_or(invalid("not did:crosscode:"))?;
        let (network, id) = rest.split_once(':').ok_or(invalid("no network"))?;
        if !is_valid_network(network) {
            return Err(invalid("bad network name"));
        }
        // 16 bytes are at most 22 base58 digits: longer text is refused before decoding.
        if id.len() > 22 {
            return Err(invalid("id is not 16 bytes in canonical base58btc"));
        }
        let decoded = multicodec::decode_base58(id).map_err(|_| invalid("id is not base58btc"))?;
        if decoded.len() != DID_ID_BYTES || multicodec::encode_base58(&decoded) != id {
            return Err(invalid("id is not 16 bytes in canonical base58btc"));
        }
        Ok(RegistryDid {
            text: text.to_owned(),
        })
    }

    /// The DID for the key that creates it on `network` (see the module docs).
    pub fn derive(profile: CryptoProfile, network: &str, key: &PublicKey) -> RegistryDid {
        let mut w = Writer::new();
        w.str(network);
        VerificationKey(key.clone()).encode(&mut w);
        let digest = profile.hash(&[DID_DOMAIN, &w.into_bytes()]);
        let id = multicodec::encode_base58(digest.get(..DID_ID_BYTES).unwrap_or(&digest));
        RegistryDid {
            text: format!("did:crosscode:{network}:{id}"),
        }
    }

    /// The DID text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The network name.
    pub fn network(&self) -> &str {
        self.text
            .strip_prefix("did:crosscode:")
            .and_then(|rest| rest.split_once(':'))
            .map(|(network, _)| network)
            .unwrap_or_default()
    }

    /// As a core [`Did`].
    pub fn to_did(&self) -> Result<Did, DecodeError> {
        Did::parse(&self.text).map_err(|_| DecodeError::Invalid {
            what: "registry DID",
            reason: "not a DID",
        })
    }

    /// The DID URL `<did>#<fragment>`.
    pub fn with_fragment(&self, fragment: &str) -> Result<DidUrl, DecodeError> {
        DidUrl::parse(&format!("{}#{fragment}", self.text)).map_err(|_| DecodeError::Invalid {
            what: "DID URL",
            reason: "bad fragment",
        })
    }
}

impl Encode for RegistryDid {
    fn encode(&self, writer: &mut Writer) {
        writer.str(&self.text);
    }
}

impl Decode for RegistryDid {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let text = reader.str("registry DID", MAX_REGISTRY_DID_LEN)?;
        RegistryDid::parse(&text)
    }
}

/// A public key in a DID document: a one-byte algorithm tag (1 Ed25519, 2 SM2, 3 BLS12-381 G2,
/// 4 P-256) and the canonical key bytes (32, 33 compressed, 96 compressed, 33 compressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey(pub PublicKey);

/// The wire tag of a key algorithm.
pub fn key_algorithm_tag(algorithm: KeyAlgorithm) -> u8 {
    match algorithm {
        KeyAlgorithm::Ed25519 => 1,
        KeyAlgorithm::Sm2 => 2,
        KeyAlgorithm::Bls12381G2 => 3,
        KeyAlgorithm::P256 => 4,
    }
}

impl Encode for VerificationKey {
    fn encode(&self, writer: &mut Writer) {
        writer.u8(key_algorithm_tag(self.0.algorithm()));
        writer.bytes(&self.0.to_bytes());
    }
}

impl Decode for VerificationKey {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let algorithm = match reader.u8("key algorithm")? {
            1 => KeyAlgorithm::Ed25519,
            2 => KeyAlgorithm::Sm2,
            3 => KeyAlgorithm::Bls12381G2,
            4 => KeyAlgorithm::P256,
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "key algorithm",
                    tag,
                });
            }
        };
        let bytes = reader.bytes("public key", 96)?;
        if bytes.len() != algorithm.public_key_len() {
            return Err(DecodeError::Invalid {
                what: "public key",
                reason: "not the canonical length",
            });
        }
        PublicKey::from_bytes(algorithm, &bytes)
            .map(VerificationKey)
            .map_err(|_| DecodeError::Invalid {
                what: "public key",
                reason: "not a valid key",
            })
    }
}

/// Verification relationships of a method, as bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Relationships(u8);

impl Relationships {
    /// No relationship.
    pub const NONE: Relationships = Relationships(0);
    /// `authentication`.
    pub const AUTHENTICATION: Relationships = Relationships(1);
    /// `assertionMethod`: issuing credentials, signing evidence anchors.
    pub const ASSERTION_METHOD: Relationships = Relationships(2);
    /// `capabilityInvocation`: signing registry transactions for the DID.
    pub const CAPABILITY_INVOCATION: Relationships = Relationships(4);
    /// `capabilityDelegation`.
    pub const CAPABILITY_DELEGATION: Relationships = Relationships(8);
    const ALL_BITS: u8 = 0x0f;

    /// The union of two sets.
    pub const fn with(self, other: Relationships) -> Relationships {
        Relationships(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Relationships) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw bits.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The four relationships with their W3C property names, in document order.
    pub const NAMED: [(Relationships, &'static str); 4] = [
        (Relationships::AUTHENTICATION, "authentication"),
        (Relationships::ASSERTION_METHOD, "assertionMethod"),
        (Relationships::CAPABILITY_INVOCATION, "capabilityInvocation"),
        (Relationships::CAPABILITY_DELEGATION, "capabilityDelegation"),
    ];

    /// The W3C names of the relationships in this set, in document order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Relationships::NAMED
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }

    /// The relationship with this W3C name (`authentication`, `assertionMethod`,
    /// `capabilityInvocation`, `capabilityDelegation`).
    pub fn from_name(name: &str) -> Option<Relationships> {
        Relationships::NAMED
            .into_iter()
            .find(|(_, known)| *known == name)
            .map(|(flag, _)| flag)
    }
}

impl Encode for Relationships {
    fn encode(&self, writer: &mut Writer) {
        writer.u8(self.0);
    }
}

impl Decode for Relationships {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let bits = reader.u8("relationships")?;
        if bits & !Relationships::ALL_BITS != 0 {
            return Err(DecodeError::Invalid {
                what: "relationships",
                reason: "unknown flag",
            });
        }
        Ok(Relationships(bits))
    }
}

/// A verification method of a registry DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    /// Its fragment (`<did>#<fragment>`).
    pub fragment: String,
    /// Its public key.
    pub key: VerificationKey,
    /// Its verification relationships.
    pub relationships: Relationships,
}

impl VerificationMethod {
    /// A method with key `key` and relationships `relationships`.
    pub fn new(fragment: &str, key: PublicKey, relationships: Relationships) -> Self {
        Self {
            fragment: fragment.to_owned(),
            key: VerificationKey(key),
            relationships,
        }
    }
}

impl Encode for VerificationMethod {
    fn encode(&self, writer: &mut Writer) {
        writer.str(&self.fragment);
        self.key.encode(writer);
        self.relationships.encode(writer);
    }
}

impl Decode for VerificationMethod {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            fragment: reader.str("fragment", MAX_FRAGMENT_LEN)?,
            key: VerificationKey::decode(reader)?,
            relationships: Relationships::decode(reader)?,
        })
    }
}

/// A service of a registry DID document (an authority's endpoint; never personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its fragment.
    pub fragment: String,
    /// Its type (e.g. `CredentialIssuer`).
    pub service_type: String,
    /// Its endpoint, an `https://` URL.
    pub endpoint: String,
}

impl Encode for Service {
    fn encode(&self, writer: &mut Writer) {
        writer.str(&self.fragment);
        writer.str(&self.service_type);
        writer.str(&self.endpoint);
    }
}

impl Decode for Service {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            fragment: reader.str("fragment", MAX_FRAGMENT_LEN)?,
            service_type: reader.str("service type", MAX_NAME_LEN)?,
            endpoint: reader.str("service endpoint", MAX_ENDPOINT_LEN)?,
        })
    }
}

/// The content of a registry DID document: its verification methods and services.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentContent {
    /// Verification methods.
    pub verification_methods: Vec<VerificationMethod>,
    /// Services.
    pub services: Vec<Service>,
}

/// Whether `fragment` is a valid fragment: 1–64 of `A-Z a-z 0-9 . _ -`.
pub fn is_valid_fragment(fragment: &str) -> bool {
    !fragment.is_empty()
        && fragment.len() <= MAX_FRAGMENT_LEN
        && fragment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl DocumentContent {
    /// A document with one verification method, `fragment`, holding `key` as
    /// capabilityInvocation (it signs the DID's registry transactions) and assertionMethod (it
    /// signs credentials and evidence anchors), and no services: what `crosscode did register`
    /// creates.
    pub fn single_key(fragment: &str, key: PublicKey) -> DocumentContent {
        DocumentContent {
            verification_methods: vec![VerificationMethod::new(
                fragment,
                key,
                Relationships::CAPABILITY_INVOCATION.with(Relationships::ASSERTION_METHOD),
            )],
            services: vec![],
        }
    }

    /// The verification method with this fragment.
    pub fn method(&self, fragment: &str) -> Option<&VerificationMethod> {
        self.verification_methods
            .iter()
            .find(|vm| vm.fragment == fragment)
    }

    /// Checks the document rules of `docs/did-method.md` except key control (which depends on
    /// the chain's profile): valid, unique fragments; at most 32 methods and 16 services; every
    /// method has a relationship; services have a type and an `https://` endpoint.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.verification_methods.len() > MAX_VERIFICATION_METHODS {
            return Err("too many verification methods");
        }
        if self.services.len() > MAX_SERVICES {
            return Err("too many services");
        }
        let mut fragments: Vec<&str> = Vec::new();
        for vm in &self.verification_methods {
            if !is_valid_fragment(&vm.fragment) {
                return Err("invalid verification method fragment");
            }
            if vm.relationships.is_empty() {
                return Err("verification method without a relationship");
            }
            fragments.push(&vm.fragment);
        }
        for service in &self.services {
            if !is_valid_fragment(&service.fragment) {
                return Err("invalid service fragment");
            }
            if service.service_type.is_empty() || service.service_type.len() > MAX_NAME_LEN {
                return Err("invalid service type");
            }
            let Some(host) = service.endpoint.strip_prefix("https://") else {
                return Err("service endpoint is not an https:// URL");
            };
            if host.is_empty() || service.endpoint.chars().any(|c| c.is_whitespace()) {
                return Err("invalid service endpoint");
            }
            fragments.push(&service.fragment);
        }
        fragments.sort_unstable();
        if fragments.windows(2).any(|w| w.first() == w.get(1)) {
            return Err("duplicate fragment");
        }
        Ok(())
    }
}

impl Encode for DocumentContent {
    fn encode(&self, writer: &mut Writer) {
        writer.seq(&self.verification_methods);
        writer.seq(&self.services);
    }
}

impl Decode for DocumentContent {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            verification_methods: reader.seq("verification methods", MAX_VERIFICATION_METHODS)?,
            services: reader.seq("services", MAX_SERVICES)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosscode_core::keys::SecretKey;

    #[test]
    fn derived_dids_parse_and_differ_per_profile() {
        let key = SecretKey::generate(KeyAlgorithm::Ed25519).public_key();
        let a = RegistryDid::derive(CryptoProfile::Standard, "dev", &key);
        let b = RegistryDid::derive(CryptoProfile::GuoMi, "dev", &key);
        assert_ne!(a, b);
        assert_eq!(RegistryDid::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.network(), "dev");
        assert!(a.to_did().is_ok());
    }

    #[test]
    fn bad_dids_are_refused() {
        for bad in [
            "did:key:z6Mk",
            "did:crosscode:dev",
            "did:crosscode:DEV:11111111111111111111111111",
            "did:crosscode:dev:0OIl",
            "did:crosscode:dev:2g",
        ] {
            assert!(
                matches!(RegistryDid::parse(bad), Err(DecodeError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_registry_did_has_the_documented_syntax_and_so_do_some_non_dids() {
        for _ in 0..64 {
            let key = SecretKey::generate(KeyAlgorithm::Ed25519).public_key();
            let did = RegistryDid::derive(CryptoProfile::Standard, "dev-1", &key);
            assert!(has_registry_did_syntax(did.as_str()), "{did}");
        }
        let zero = format!("did:crosscode:dev:{}", "1".repeat(16));
        assert!(RegistryDid::parse(&zero).is_ok());
        assert!(has_registry_did_syntax(&zero));
        // The syntax, but 17 bytes: not a DID the registry can hold.
        let too_big = format!("did:crosscode:dev:{}", "z".repeat(22));
        assert!(has_registry_did_syntax(&too_big));
        assert!(RegistryDid::parse(&too_big).is_err());
        for bad in [
            "0",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:crosscode:dev",
            "did:crosscode:DEV:1111111111111111",
            "did:crosscode::1111111111111111",
            "did:crosscode:dev:111111111111111",
            "did:crosscode:dev:11111111111111111111111",
            "did:crosscode:dev:0OIl0OIl0OIl0OIl",
            "did:crosscode:dev:1111111111111111:x",
        ] {
            assert!(!has_registry_did_syntax(bad), "{bad}");
        }
    }

    #[test]
    fn document_rules() {
        let key = SecretKey::generate(KeyAlgorithm::Sm2).public_key();
        let vm = VerificationMethod::new("key-1", key, Relationships::CAPABILITY_INVOCATION);
        let mut doc = DocumentContent {
            verification_methods: vec![vm.clone()],
            services: vec![Service {
                fragment: "issuer".into(),
                service_type: "CredentialIssuer".into(),
                endpoint: "https://health.example/issuer".into(),
            }],
        };
        assert_eq!(doc.check(), Ok(()));
        assert_eq!(DocumentContent::from_bytes(&doc.to_bytes()).unwrap(), doc);
        doc.verification_methods.push(vm);
        assert_eq!(doc.check(), Err("duplicate fragment"));
        doc.verification_methods.pop();
        doc.services[0].endpoint = "http://x".into();
        assert_eq!(doc.check(), Err("service endpoint is not an https:// URL"));
        doc.services[0].endpoint = "https://x".into();
        doc.verification_methods[0].relationships = Relationships(0);
        assert_eq!(
            doc.check(),
            Err("verification method without a relationship")
        );
        doc.verification_methods[0].fragment = "a b".into();
        assert_eq!(doc.check(), Err("invalid verification method fragment"));
    }

    #[test]
    fn a_key_of_every_algorithm_round_trips_behind_its_tag() {
        for algorithm in KeyAlgorithm::ALL {
            let key = VerificationKey(SecretKey::generate(algorithm).public_key());
            let bytes = key.to_bytes();
            assert_eq!(bytes[0], key_algorithm_tag(algorithm), "{algorithm}");
            assert_eq!(VerificationKey::from_bytes(&bytes).unwrap(), key);
        }
    }

    #[test]
    fn non_canonical_keys_are_refused() {
        let key = SecretKey::generate(KeyAlgorithm::Sm2).public_key();
        let sm2 = key.as_sm2().unwrap().to_uncompressed();
        let mut w = Writer::new();
        w.u8(2);
        w.bytes(&sm2);
        assert!(matches!(
            VerificationKey::from_bytes(&w.into_bytes()),
            Err(DecodeError::Invalid { .. })
        ));
        assert!(matches!(
            VerificationKey::from_bytes(&[7, 0, 0, 0, 0]),
            Err(DecodeError::UnknownTag { tag: 7, .. })
        ));
        assert!(matches!(
            Relationships::from_bytes(&[0x10]),
            Err(DecodeError::Invalid { .. })
        ));
    }
}

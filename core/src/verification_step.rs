//! The steps of verification: one list for every Crosscode verifier.
//!
//! Data Integrity verification ([`crate::data_integrity`]), the `CC1` envelope
//! ([`crate::envelope`]) and the checkpoint verifier (EU DCC, SMART Health Cards) each run a
//! subset of these steps and name the one that failed with a [`VerificationStep`]. The steps are
//! listed in pipeline order ([`VerificationStep::ALL`]); a pipeline that runs several of them
//! runs them in this order.
//!
//! Every step has one stable wire name ([`VerificationStep::name`]), its variant name in
//! PascalCase (`ReadImage`, `IssuerBinding`, `ValidityWindow`, …): JSON reports
//! (`Serialize`), messages (`Display`) and the CLI print it. [`VerificationStep::from_name`]
//! parses it back; a name this build does not know (a newer verifier's step) reads as
//! [`VerificationStep::Unknown`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A step of verification, named in reports when it fails (or, in the checkpoint verifier's
/// report, with its outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerificationStep {
    /// A QR code is read from a photo or screenshot (PNG / JPEG).
    ReadImage,
    /// The payload's prefix (`CC1:`, `HC1:`, `shc:/`) is recognised: the format, its version and
    /// context are supported.
    Prefix,
    /// The text after the prefix is decoded to bytes (base45 for `CC1` and EU DCC, numeric mode
    /// for SMART Health Cards).
    Decode,
    /// The bytes inflate (zlib or raw DEFLATE) within the size limit.
    Decompress,
    /// The envelope is well formed: the `CC1` CBOR `[kind, body]` with its kind matching the
    /// document, COSE_Sign1 and its headers (algorithm, `kid`), the CWT claims, a compact JWS and
    /// its JSON payload.
    ParseEnvelope,
    /// The document is a JSON object (for `CC1`: its compact JSON decodes), a valid VC 2.0
    /// credential or presentation, and has a canonical form.
    Parse,
    /// The document's `@context` is valid, and every proof's `@context` is a prefix of it.
    Context,
    /// A proof is present and well formed, of a supported type and cryptosuite (including a BBS
    /// base or derived proof's structure).
    ProofSuite,
    /// A proof's `proofPurpose` (or the envelope signer's key) is the relationship the document
    /// needs — `assertionMethod` for a credential, `authentication` for a presentation — and the
    /// signer's DID document lists the verification method under it.
    ProofPurpose,
    /// A credential's proof is by its issuer: the verification method's DID is the `issuer`, and
    /// the issuer's DID document listed the method when the credential was issued (not a retired
    /// key, not a key added later).
    IssuerBinding,
    /// A presentation is bound to its holder: it names a `holder`, its proof is by a key the
    /// holder's DID document listed then, every embedded credential's `credentialSubject.id` is
    /// the holder, and a BBS holder binding matches.
    HolderBinding,
    /// The verification method (a DID URL, a COSE / JWS `kid`) resolves to a trusted key of the
    /// signature's algorithm.
    KeyResolution,
    /// The signature verifies over the document or payload (it was not tampered with).
    Signature,
    /// A proof's `challenge` / `domain` (a BBS nonce) is the one the verifier expects, so a
    /// presentation is not replayed.
    Challenge,
    /// The document is within its validity window (`validFrom` / `validUntil`, CWT `iat` /
    /// `nbf` / `exp`) at the verification time, and no proof has expired.
    ValidityWindow,
    /// The document signer's certificate may sign this kind of payload (EU DCC extended key
    /// usage, SMART Health Card types).
    KeyUsage,
    /// The payload matches its JSON schema (advisory in the checkpoint verifier).
    Schema,
    /// The credential was anchored on the chain by its issuer: its anchor receipt's inclusion
    /// path leads from the credential's anchor leaf to a batch root the issuer anchored.
    AnchorInclusion,
    /// The credential is not revoked or suspended (revocation lists, status entries).
    Status,
    /// The verifier's business rules (CertLogic) accept the credential.
    BusinessRules,
    /// A step this build does not know: the reading of a name no variant has (a report from a
    /// newer verifier). Never reported by this build.
    Unknown,
}

impl VerificationStep {
    /// Every step but `Unknown`, in pipeline order.
    pub const ALL: [VerificationStep; 20] = [
        VerificationStep::ReadImage,
        VerificationStep::Prefix,
        VerificationStep::Decode,
        VerificationStep::Decompress,
        VerificationStep::ParseEnvelope,
        VerificationStep::Parse,
        VerificationStep::Context,
        VerificationStep::ProofSuite,
        VerificationStep::ProofPurpose,
        VerificationStep::IssuerBinding,
        VerificationStep::HolderBinding,
        VerificationStep::KeyResolution,
        VerificationStep::Signature,
        VerificationStep::Challenge,
        VerificationStep::ValidityWindow,
        VerificationStep::KeyUsage,
        VerificationStep::Schema,
        VerificationStep::AnchorInclusion,
        VerificationStep::Status,
        VerificationStep::BusinessRules,
    ];

    /// The step's stable wire name (PascalCase), as every report, message and the CLI print it.
    pub const fn name(self) -> &'static str {
        match self {
            VerificationStep::ReadImage => "ReadImage",
            VerificationStep::Prefix => "Prefix",
            VerificationStep::Decode => "Decode",
            VerificationStep::Decompress => "Decompress",
            VerificationStep::ParseEnvelope => "ParseEnvelope",
            VerificationStep::Parse => "Parse",
            VerificationStep::Context => "Context",
            VerificationStep::ProofSuite => "ProofSuite",
            VerificationStep::ProofPurpose => "ProofPurpose",
            VerificationStep::IssuerBinding => "IssuerBinding",
            VerificationStep::HolderBinding => "HolderBinding",
            VerificationStep::KeyResolution => "KeyResolution",
            VerificationStep::Signature => "Signature",
            VerificationStep::Challenge => "Challenge",
            VerificationStep::ValidityWindow => "ValidityWindow",
            VerificationStep::KeyUsage => "KeyUsage",
            VerificationStep::Schema => "Schema",
            VerificationStep::Status => "Status",
            VerificationStep::AnchorInclusion => "AnchorInclusion",
            VerificationStep::BusinessRules => "BusinessRules",
            VerificationStep::Unknown => "Unknown",
        }
    }

    /// The step with wire name `name` (exact, case-sensitive); `Unknown` for any other text.
    pub fn from_name(name: &str) -> VerificationStep {
        VerificationStep::ALL
            .iter()
            .copied()
            .find(|step| step.name() == name)
            .unwrap_or(VerificationStep::Unknown)
    }
}

impl fmt::Display for VerificationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for VerificationStep {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for VerificationStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(VerificationStep::from_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::VerificationStep;

    #[test]
    fn every_step_reads_back_from_its_wire_name() {
        for step in VerificationStep::ALL {
            assert_eq!(VerificationStep::from_name(step.name()), step);
            assert_eq!(step.to_string(), step.name());
            assert_eq!(
                format!("{step:?}"),
                step.name(),
                "wire name is the variant name"
            );
        }
    }

    #[test]
    fn wire_names_are_distinct() {
        let mut names: Vec<&str> = VerificationStep::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), VerificationStep::ALL.len());
    }

    #[test]
    fn an_unknown_name_reads_as_unknown() {
        assert_eq!(
            VerificationStep::from_name("QuantumCheck"),
            VerificationStep::Unknown
        );
        assert_eq!(
            VerificationStep::from_name("signature"),
            VerificationStep::Unknown,
            "names are case-sensitive"
        );
        assert!(!VerificationStep::ALL.contains(&VerificationStep::Unknown));
    }

    #[test]
    fn json_carries_the_wire_name() {
        let json = serde_json::to_string(&VerificationStep::IssuerBinding).unwrap();
        assert_eq!(json, "\"IssuerBinding\"");
        let back: VerificationStep = serde_json::from_str("\"ValidityWindow\"").unwrap();
        assert_eq!(back, VerificationStep::ValidityWindow);
        let newer: VerificationStep = serde_json::from_str("\"FutureStep\"").unwrap();
        assert_eq!(newer, VerificationStep::Unknown);
    }
}

//! The fixed term dictionary of the `CC1` compact JSON encoding.
//!
//! A string that appears here is carried as its index: as an unsigned integer in object-key
//! position, as the negative integer `-1 - index` in value position. The table is part of the
//! `CC1` version: entries are never removed or reordered, only appended (a decoder that meets
//! an index it does not know reports [`super::CompactError::UnknownTerm`]). The 24 most frequent
//! entries come first: their indexes take a single CBOR byte.

/// The `CC1` term dictionary, in index order (see `docs/qr-envelope.md`).
pub const TERMS: &[&str] = &[
    // 0..=23: one CBOR byte in key and in value position.
    "@context",
    "id",
    "type",
    "https://www.w3.org/ns/credentials/v2",
    "VerifiableCredential",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialStatus",
    "credentialSchema",
    "proof",
    "DataIntegrityProof",
    "cryptosuite",
    "eddsa-jcs-2022",
    "created",
    "verificationMethod",
    "proofPurpose",
    "assertionMethod",
    "proofValue",
    "VerifiablePresentation",
    "holder",
    "verifiableCredential",
    "authentication",
    // 24..=255: two CBOR bytes.
    "sm2-jcs-2026",
    "eddsa-rdfc-2022",
    "BitstringStatusListEntry",
    "statusPurpose",
    "revocation",
    "suspension",
    "statusListIndex",
    "statusListCredential",
    "JsonSchema",
    "JsonSchemaCredential",
    "name",
    "description",
    "expires",
    "challenge",
    "domain",
    "nonce",
    "previousProof",
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://w3id.org/security/data-integrity/v2",
    "https://www.w3.org/2018/credentials/v1",
    "issuanceDate",
    "expirationDate",
    "evidence",
    "termsOfUse",
    "refreshService",
    "BitstringStatusListCredential",
    "BitstringStatusList",
    "encodedList",
    "statusSize",
    "statusMessage",
    "EnvelopedVerifiableCredential",
    "HealthCode",
    "HealthCodeCredential",
    "healthCode",
    "status",
    "statusColour",
    "statusColor",
    "colour",
    "color",
    "green",
    "yellow",
    "red",
    "jurisdiction",
    "schema",
    "result",
    "negative",
    "positive",
    "NucleicAcidTest",
    "testResult",
    "testDate",
    "sampleDate",
    "VaccinationCertificate",
    "vaccination",
    "doseNumber",
    "totalDoses",
    "dateOfVaccination",
    "country",
    "CN",
    "MO",
    "HK",
    "CN-MO",
    "CN-HK",
    "CN-GD",
    "statusDate",
    "https://crosscode.example/ns/health-code/v1",
    "https://crosscode.example/schemas/health-code/v1.json",
    "bbs-jcs-2026",
];

/// The index of `term` in [`TERMS`], if it is a dictionary term.
pub fn index_of(term: &str) -> Option<u64> {
    TERMS
        .iter()
        .position(|candidate| *candidate == term)
        .and_then(|index| u64::try_from(index).ok())
}

/// The dictionary term at `index`, if there is one.
pub fn term_at(index: u64) -> Option<&'static str> {
    usize::try_from(index)
        .ok()
        .and_then(|index| TERMS.get(index))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_unique() {
        for (index, term) in TERMS.iter().enumerate() {
            assert_eq!(index_of(term), Some(index as u64), "duplicate term {term}");
        }
        assert_eq!(term_at(TERMS.len() as u64), None);
    }
}

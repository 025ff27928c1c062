//! The embedded dev chain: a generated consortium of dev jurisdictions, its genesis and keys.
//!
//! [`DevConsortium::generate`] makes one governance key per jurisdiction (the member's DID is
//! derived from it, as for any registry DID), one validator key, and a genesis checked by
//! [`State::genesis`]. The keys are fresh each time: a dev chain is for trying the registry
//! out, never for real credentials.

use crosscode_core::keys::{KeyAlgorithm, SecretKey};

use crate::document::{DocumentContent, RegistryDid, Relationships, VerificationMethod};
use crate::genesis::{DEFAULT_MAX_VOTING_PERIOD, Genesis, GenesisError, GenesisMember};
use crate::governance::IssuerScope;
use crate::ordering::chain_key;
use crate::profile::CryptoProfile;
use crate::state::State;
use crate::validators::Validator;

/// The dev chain's id.
pub const DEV_CHAIN_ID: &str = "crosscode-dev";
/// The dev chain's DID network.
pub const DEV_NETWORK: &str = "dev";
/// The default dev jurisdictions.
pub const DEV_JURISDICTIONS: [&str; 3] = ["CN-GD", "MO", "HK"];
/// The default dev governance threshold (2 of 3).
pub const DEV_THRESHOLD: u32 = 2;
/// Fragment of a dev member's governance key (`<member did>#gov-1`).
pub const MEMBER_KEY_FRAGMENT: &str = "gov-1";
/// Voting power of the dev validator.
pub const DEV_VALIDATOR_POWER: u64 = 1;

/// A dev consortium member: its jurisdiction, DID and governance key.
#[derive(Debug)]
pub struct DevMember {
    /// Jurisdiction code.
    pub jurisdiction: String,
    /// Its DID (derived from `key`).
    pub did: RegistryDid,
    /// Its governance key (capability invocation and authentication, fragment
    /// [`MEMBER_KEY_FRAGMENT`]).
    pub key: SecretKey,
}

/// A generated dev chain: its genesis, the validator's key and the members' keys.
#[derive(Debug)]
pub struct DevConsortium {
    /// The genesis (valid for [`State::genesis`]).
    pub genesis: Genesis,
    /// The single validator's key.
    pub validator_key: SecretKey,
    /// The members, in genesis order.
    pub members: Vec<DevMember>,
}

impl DevConsortium {
    /// A dev chain (`crosscode-dev`, network `dev`) of `profile` with one member per
    /// jurisdiction, an M-of-N `threshold`, one validator, starting at `genesis_time` (Unix
    /// seconds). Fails with the genesis rule it breaks (no jurisdictions, an empty one, a
    /// threshold of 0 or above the member count, …).
    pub fn generate(
        profile: CryptoProfile,
        jurisdictions: &[&str],
        threshold: u32,
        genesis_time: u64,
    ) -> Result<DevConsortium, GenesisError> {
        let algorithm = profile.key_algorithm();
        let members: Vec<DevMember> = jurisdictions
            .iter()
            .map(|jurisdiction| {
                let key = SecretKey::generate(algorithm);
                DevMember {
                    jurisdiction: (*jurisdiction).to_owned(),
                    did: RegistryDid::derive(profile, DEV_NETWORK, &key.public_key()),
                    key,
                }
            })
            .collect();
        let validator_key = SecretKey::generate(algorithm);
        let genesis = Genesis {
            chain_id: DEV_CHAIN_ID.to_owned(),
            network: DEV_NETWORK.to_owned(),
            profile,
            genesis_time,
            governance_threshold: threshold,
            max_voting_period: DEFAULT_MAX_VOTING_PERIOD,
            members: members
                .iter()
                .map(|member| GenesisMember {
                    jurisdiction: member.jurisdiction.clone(),
                    document: DocumentContent {
                        verification_methods: vec![VerificationMethod::new(
                            MEMBER_KEY_FRAGMENT,
                            member.key.public_key(),
                            Relationships::CAPABILITY_INVOCATION
                                .with(Relationships::AUTHENTICATION),
                        )],
                        services: vec![],
                    },
                })
                .collect(),
            validators: vec![Validator {
                key: chain_key(profile, &validator_key),
                power: DEV_VALIDATOR_POWER,
            }],
        };
        State::genesis(&genesis)?;
        Ok(DevConsortium {
            genesis,
            validator_key,
            members,
        })
    }

    /// The default dev chain: jurisdictions [`DEV_JURISDICTIONS`], threshold
    /// [`DEV_THRESHOLD`].
    pub fn generate_default(
        profile: CryptoProfile,
        genesis_time: u64,
    ) -> Result<DevConsortium, GenesisError> {
        DevConsortium::generate(profile, &DEV_JURISDICTIONS, DEV_THRESHOLD, genesis_time)
    }
}

/// A generated local consortium chain of several validators (a testnet): the default dev
/// consortium's genesis with `n` validators of equal power, their keys and the members' keys.
#[derive(Debug)]
pub struct DevTestnet {
    /// The genesis (valid for [`State::genesis`]).
    pub genesis: Genesis,
    /// The validators' keys, in the genesis order.
    pub validator_keys: Vec<SecretKey>,
    /// The members, in genesis order.
    pub members: Vec<DevMember>,
}

impl DevTestnet {
    /// The default dev consortium ([`DevConsortium::generate_default`]) ordered by
    /// `validators` validators of power [`DEV_VALIDATOR_POWER`] each. Fails as the genesis
    /// does for a count of 0 or above the chain's maximum.
    pub fn generate(
        profile: CryptoProfile,
        validators: usize,
        genesis_time: u64,
    ) -> Result<DevTestnet, GenesisError> {
        let dev = DevConsortium::generate_default(profile, genesis_time)?;
        let validator_keys: Vec<SecretKey> = (0..validators)
            .map(|_| SecretKey::generate(profile.key_algorithm()))
            .collect();
        let mut genesis = dev.genesis;
        genesis.validators = validator_keys
            .iter()
            .map(|key| Validator {
                key: chain_key(profile, key),
                power: DEV_VALIDATOR_POWER,
            })
            .collect();
        State::genesis(&genesis)?;
        Ok(DevTestnet {
            genesis,
            validator_keys,
            members: dev.members,
        })
    }
}

/// The credential types a dev authority is admitted for.
pub const DEV_AUTHORITY_TYPES: [&str; 3] = ["HealthCode", "NucleicAcidTestResult", "Vaccination"];
/// How long a dev authority's admission lasts from the genesis time (ten years, in seconds).
pub const DEV_AUTHORITY_VALIDITY: u64 = 10 * 365 * 24 * 3600;
/// Fragment of a dev authority's chain key (capability invocation and assertion: it signs the
/// authority's transactions and its evidence anchors).
pub const AUTHORITY_CHAIN_KEY_FRAGMENT: &str = "key-1";
/// Fragment of a dev authority's Ed25519 credential key.
pub const AUTHORITY_ED25519_FRAGMENT: &str = "ed25519-1";
/// Fragment of a dev authority's SM2 credential key.
pub const AUTHORITY_SM2_FRAGMENT: &str = "sm2-1";
/// Fragment of a dev authority's BBS (BLS12-381 G2) credential key.
pub const AUTHORITY_BBS_FRAGMENT: &str = "bbs-1";

/// The dev authority issuer of one jurisdiction: a registry DID holding a chain key and three
/// credential keys (Ed25519, SM2, BBS).
///
/// Its keys are **derived from a public label** (`crosscode-dev-authority/<profile>/
/// <jurisdiction>/<role>/<counter>`, hashed with SHA-256), so the dev node, which admits it,
/// and `crosscode issuer serve --dev`, which signs as it, agree without sharing a secret. Anyone
/// can derive them: a dev authority is for trying the product out, never for real credentials.
#[derive(Debug)]
pub struct DevAuthority {
    /// Its jurisdiction.
    pub jurisdiction: String,
    /// Its DID (derived from `chain_key`).
    pub did: RegistryDid,
    /// The key that signs its transactions and evidence (the profile's algorithm).
    pub chain_key: SecretKey,
    /// Its Ed25519 credential key.
    pub ed25519: SecretKey,
    /// Its SM2 credential key.
    pub sm2: SecretKey,
    /// Its BBS credential key.
    pub bbs: SecretKey,
}

impl DevAuthority {
    /// The dev authority of `jurisdiction` on a dev chain of `profile`.
    pub fn derive(profile: CryptoProfile, jurisdiction: &str) -> DevAuthority {
        let key = |role: &str, algorithm| derive_dev_key(profile, jurisdiction, role, algorithm);
        let chain_key = key("chain", profile.key_algorithm());
        DevAuthority {
            jurisdiction: jurisdiction.to_owned(),
            did: RegistryDid::derive(profile, DEV_NETWORK, &chain_key.public_key()),
            chain_key,
            ed25519: key("ed25519", KeyAlgorithm::Ed25519),
            sm2: key("sm2", KeyAlgorithm::Sm2),
            bbs: key("bbs", KeyAlgorithm::Bls12381G2),
        }
    }

    /// Its DID document: the chain key for capability invocation and assertion, the three
    /// credential keys for assertion.
    pub fn document(&self) -> DocumentContent {
        let assertion = Relationships::ASSERTION_METHOD;
        DocumentContent {
            verification_methods: vec![
                VerificationMethod::new(
                    AUTHORITY_CHAIN_KEY_FRAGMENT,
                    self.chain_key.public_key(),
                    Relationships::CAPABILITY_INVOCATION.with(assertion),
                ),
                VerificationMethod::new(
                    AUTHORITY_ED25519_FRAGMENT,
                    self.ed25519.public_key(),
                    assertion,
                ),
                VerificationMethod::new(AUTHORITY_SM2_FRAGMENT, self.sm2.public_key(), assertion),
                VerificationMethod::new(AUTHORITY_BBS_FRAGMENT, self.bbs.public_key(), assertion),
            ],
            services: vec![],
        }
    }

    /// Its scope: [`DEV_AUTHORITY_TYPES`] in its jurisdiction for
    /// [`DEV_AUTHORITY_VALIDITY`] from `genesis_time`.
    pub fn scope(&self, genesis_time: u64) -> IssuerScope {
        IssuerScope {
            credential_types: DEV_AUTHORITY_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            jurisdiction: self.jurisdiction.clone(),
            valid_from: genesis_time,
            valid_until: genesis_time.saturating_add(DEV_AUTHORITY_VALIDITY),
        }
    }
}

/// A key derived from a public label: the first counter whose SHA-256 digest is a valid
/// secret key of `algorithm` (for BLS12-381 about half of the digests are above the group
/// order; for Ed25519 and SM2 the first one).
fn derive_dev_key(
    profile: CryptoProfile,
    jurisdiction: &str,
    role: &str,
    algorithm: KeyAlgorithm,
) -> SecretKey {
    let mut counter: u32 = 0;
    loop {
        let label = format!(
            "crosscode-dev-authority/{}/{jurisdiction}/{role}/{counter}",
            profile.as_str()
        );
        let seed = CryptoProfile::Standard.hash(&[label.as_bytes()]);
        if let Ok(key) = SecretKey::from_bytes(algorithm, &seed) {
            return key;
        }
        counter = counter.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::GovernanceAction;
    use crate::records::{MemberRecord, StateKey};
    use crate::state::{BlockContext, Event};
    use crate::transaction::{Payload, Transaction};

    #[test]
    fn dev_consortium_is_a_valid_chain_on_both_profiles() {
        for profile in CryptoProfile::ALL {
            let dev = DevConsortium::generate_default(profile, 1_700_000_000).unwrap();
            assert_eq!(dev.genesis.chain_id, DEV_CHAIN_ID);
            assert_eq!(dev.genesis.network, DEV_NETWORK);
            assert_eq!(dev.genesis.profile, profile);
            assert_eq!(dev.genesis.governance_threshold, DEV_THRESHOLD);
            assert_eq!(dev.genesis.validators.len(), 1);
            assert_eq!(
                dev.genesis.validators[0].key,
                chain_key(profile, &dev.validator_key)
            );
            assert_eq!(dev.members.len(), 3);
            let mut state = State::genesis(&dev.genesis).unwrap();
            for (member, jurisdiction) in dev.members.iter().zip(DEV_JURISDICTIONS) {
                assert_eq!(member.jurisdiction, jurisdiction);
                assert_eq!(member.key.algorithm(), profile.key_algorithm());
                assert_eq!(
                    member.did,
                    RegistryDid::derive(profile, DEV_NETWORK, &member.key.public_key())
                );
                let record: MemberRecord = state
                    .record(&StateKey::member(&member.did))
                    .unwrap()
                    .unwrap();
                assert_eq!(record.jurisdiction, jurisdiction);
            }
            // A member's key signs governance transactions for its DID.
            let member = &dev.members[2];
            let propose = Transaction {
                chain_id: DEV_CHAIN_ID.into(),
                sender: member.did.clone(),
                key: MEMBER_KEY_FRAGMENT.into(),
                sequence: state.next_sequence(&member.did),
                payload: Payload::Propose {
                    action: GovernanceAction::AdmitIssuer {
                        issuer: dev.members[0].did.clone(),
                        scope: IssuerScope {
                            credential_types: vec!["HealthCode".into()],
                            jurisdiction: "HK".into(),
                            valid_from: 0,
                            valid_until: u64::MAX,
                        },
                    },
                    voting_period: 10,
                },
            }
            .sign(&member.key)
            .unwrap();
            let ctx = BlockContext {
                height: 1,
                time: 1_700_000_005,
            };
            let effects = state.apply(&ctx, &propose).unwrap();
            assert_eq!(effects.events, vec![Event::ProposalOpened { id: 0 }]);
        }
    }

    #[test]
    fn dev_consortium_refuses_what_genesis_refuses() {
        let profile = CryptoProfile::Standard;
        assert_eq!(
            DevConsortium::generate(profile, &["CN-GD", "MO"], 3, 0).unwrap_err(),
            GenesisError::InvalidThreshold
        );
        assert_eq!(
            DevConsortium::generate(profile, &["CN-GD"], 0, 0).unwrap_err(),
            GenesisError::InvalidThreshold
        );
        assert_eq!(
            DevConsortium::generate(profile, &[], 1, 0).unwrap_err(),
            GenesisError::MemberCount
        );
        assert!(matches!(
            DevConsortium::generate(profile, &["CN-GD", ""], 1, 0).unwrap_err(),
            GenesisError::MemberDocument { index: 1, .. }
        ));
        let one = DevConsortium::generate(CryptoProfile::GuoMi, &["MO"], 1, 0).unwrap();
        assert_eq!(one.members.len(), 1);
        assert_eq!(one.validator_key.algorithm(), KeyAlgorithm::Sm2);
    }

    #[test]
    fn dev_authorities_are_the_same_keys_every_time_and_differ_by_jurisdiction() {
        for profile in CryptoProfile::ALL {
            let mo = DevAuthority::derive(profile, "MO");
            let again = DevAuthority::derive(profile, "MO");
            let hk = DevAuthority::derive(profile, "HK");
            assert_eq!(mo.did, again.did);
            assert_eq!(mo.bbs.public_key(), again.bbs.public_key());
            assert_ne!(mo.did, hk.did);
            assert_eq!(mo.chain_key.algorithm(), profile.key_algorithm());
            assert_eq!(mo.bbs.algorithm(), KeyAlgorithm::Bls12381G2);
            let document = mo.document();
            assert_eq!(document.verification_methods.len(), 4);
            assert!(document.check().is_ok());
            assert_eq!(mo.scope(100).check(), Ok(()));
        }
    }
}

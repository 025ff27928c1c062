//! Interoperability with zkryptium 0.8 in both directions and both ciphersuites, on random
//! messages, headers, presentation headers and disclosed sets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_bbs::proof::{Proof, proof_gen, proof_verify};
use crosscode_bbs::signature::{Signature, sign, verify};
use crosscode_bbs::{Bls12381Sha256, Bls12381Shake256, PublicKey, SecretKey};
use proptest::prelude::*;
use zkryptium::bbsplus::keys::{BBSplusPublicKey, BBSplusSecretKey};
use zkryptium::keys::pair::KeyPair;
use zkryptium::schemes::algorithms::{BbsBls12381Sha256, BbsBls12381Shake256};
use zkryptium::schemes::generics::{PoKSignature, Signature as ZkSignature};

#[derive(Debug, Clone)]
struct Case {
    messages: Vec<Vec<u8>>,
    header: Vec<u8>,
    ph: Vec<u8>,
    disclosed: Vec<usize>,
    key_material: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..48), 1..12),
        prop::collection::vec(any::<u8>(), 0..32),
        prop::collection::vec(any::<u8>(), 0..32),
        prop::collection::vec(any::<bool>(), 12),
        prop::collection::vec(any::<u8>(), 32..40),
    )
        .prop_map(|(messages, header, ph, mask, key_material)| {
            let disclosed = (0..messages.len()).filter(|&i| mask[i]).collect();
            Case {
                messages,
                header,
                ph,
                disclosed,
                key_material,
            }
        })
}

fn disclosed_messages(case: &Case) -> Vec<Vec<u8>> {
    case.disclosed
        .iter()
        .map(|&i| case.messages[i].clone())
        .collect()
}

macro_rules! interop {
    ($ours_to_theirs:ident, $theirs_to_ours:ident, $ours:ty, $theirs:ty) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(12))]

            /// We sign and prove; zkryptium verifies both, and verifies our proofs.
            #[test]
            fn $ours_to_theirs(case in case()) {
                let sk = SecretKey::key_gen::<$ours>(&case.key_material, b"interop", None).unwrap();
                let pk = sk.public_key();
                let signature = sign::<$ours, _>(&sk, &pk, &case.header, &case.messages).unwrap();

                let zk_pk = BBSplusPublicKey::from_bytes(&pk.to_bytes()).unwrap();
                let zk_signature = ZkSignature::<$theirs>::from_bytes(&signature.to_bytes()).unwrap();
                zk_signature.verify(&zk_pk, Some(&case.messages), Some(&case.header)).unwrap();

                // Both sign deterministically with the same key: identical bytes.
                let zk_sk = BBSplusSecretKey::from_bytes(&sk.to_bytes()).unwrap();
                let theirs = ZkSignature::<$theirs>::sign(Some(&case.messages), &zk_sk, &zk_pk, Some(&case.header)).unwrap();
                prop_assert_eq!(theirs.to_bytes(), signature.to_bytes());

                let proof = proof_gen::<$ours, _>(&pk, &signature, &case.header, &case.ph, &case.messages, &case.disclosed).unwrap();
                let zk_proof = PoKSignature::<$theirs>::from_bytes(&proof.to_bytes()).unwrap();
                let disclosed = disclosed_messages(&case);
                zk_proof
                    .proof_verify(&zk_pk, Some(&disclosed), Some(&case.disclosed), Some(&case.header), Some(&case.ph))
                    .unwrap();
                // A different presentation header is refused by zkryptium too.
                let mut other_ph = case.ph.clone();
                other_ph.push(1);
                prop_assert!(zk_proof
                    .proof_verify(&zk_pk, Some(&disclosed), Some(&case.disclosed), Some(&case.header), Some(&other_ph))
                    .is_err());
            }

            /// zkryptium generates keys, signs and proves; we verify.
            #[test]
            fn $theirs_to_ours(case in case()) {
                let keypair = KeyPair::<$theirs>::generate(&case.key_material, Some(b"interop"), None).unwrap();
                let sk = SecretKey::from_bytes(&keypair.private_key().to_bytes()).unwrap();
                let pk = PublicKey::from_bytes(&keypair.public_key().to_bytes()).unwrap();
                prop_assert_eq!(sk.public_key(), pk.clone());
                // Same KeyGen.
                let ours = SecretKey::key_gen::<$ours>(&case.key_material, b"interop", None).unwrap();
                prop_assert_eq!(ours.to_bytes(), sk.to_bytes());

                let zk_signature = ZkSignature::<$theirs>::sign(
                    Some(&case.messages), keypair.private_key(), keypair.public_key(), Some(&case.header),
                ).unwrap();
                let signature = Signature::from_bytes(&zk_signature.to_bytes()).unwrap();
                verify::<$ours, _>(&pk, &signature, &case.header, &case.messages).unwrap();

                let zk_proof = PoKSignature::<$theirs>::proof_gen(
                    keypair.public_key(), &zk_signature.to_bytes(), Some(&case.header), Some(&case.ph),
                    Some(&case.messages), Some(&case.disclosed),
                ).unwrap();
                let proof = Proof::from_bytes(&zk_proof.to_bytes()).unwrap();
                let disclosed = disclosed_messages(&case);
                proof_verify::<$ours, _>(&pk, &proof, &case.header, &case.ph, &disclosed, &case.disclosed).unwrap();
                prop_assert_eq!(proof.to_bytes(), zk_proof.to_bytes());
                // A modified header is refused.
                let mut other_header = case.header.clone();
                other_header.push(1);
                prop_assert!(proof_verify::<$ours, _>(&pk, &proof, &other_header, &case.ph, &disclosed, &case.disclosed).is_err());
            }
        }
    };
}

interop!(
    sha256_ours_to_zkryptium,
    sha256_zkryptium_to_ours,
    Bls12381Sha256,
    BbsBls12381Sha256
);
interop!(
    shake256_ours_to_zkryptium,
    shake256_zkryptium_to_ours,
    Bls12381Shake256,
    BbsBls12381Shake256
);

//! Property tests: random strings and mutated valid DIDs never panic in `Did`, `DidUrl`,
//! `DidKey` or multikey parsing; whatever parses round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crosscode_core::did::VerificationRelationship;
use crosscode_core::did::{Did, DidKey, DidKeyResolver, DidUrl, KeyResolver};
use crosscode_core::keys::{KeyAlgorithm, PublicKey};
use crosscode_core::multicodec;
use proptest::prelude::*;

const VALID: [&str; 4] = [
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:key:zUC7EK3ZakmukHhuncwkbySmomv3FmrkmS36E4Ks5rsb6VQSRpoCrx6Hb8e2Nk6UvJFSdyw9NK1scFXJp21gNNYFjVWNgaqyGnkyhtagagCpQb5B7tagJu3HDbjQ8h5ypoHjwBb",
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:web:example.com%3A8443:users:alice/path?query=1#frag",
];

/// Everything any parser in this crate does with one input; must never panic.
fn exercise(text: &str) {
    if let Ok(did) = Did::parse(text) {
        assert_eq!(did.as_str(), text);
        assert_eq!(
            format!("did:{}:{}", did.method(), did.method_specific_id()),
            text
        );
        if let Ok(did_key) = DidKey::parse(&did) {
            let again = DidKey::from_public_key(did_key.public_key());
            assert_eq!(again.did(), &did);
            let vm = did_key.verification_method_id();
            assert_eq!(
                DidKeyResolver
                    .resolve_verification_method(
                        &vm,
                        VerificationRelationship::AssertionMethod,
                        None
                    )
                    .unwrap(),
                *did_key.public_key()
            );
            let _ = did_key.document();
        }
    }
    if let Ok(url) = DidUrl::parse(text) {
        assert_eq!(url.as_str(), text);
        let _ = DidKeyResolver.resolve_verification_method(
            &url,
            VerificationRelationship::AssertionMethod,
            None,
        );
    }
    let _ = DidKey::parse_str(text);
    let _ = multicodec::decode_multikey(text);
    let _ = crosscode_core::did::resolve(&match Did::parse(text) {
        Ok(did) => did,
        Err(_) => return,
    });
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let ch = prop_oneof![
        any::<char>(),
        proptest::sample::select(vec![':', '#', '/', '?', '%', 'z', '1', '0', 'A', ' ', 'é']),
    ];
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), ch).prop_map(|(i, c)| Mutation::Replace(i, c)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for mutation in mutations {
        let len = chars.len();
        match *mutation {
            Mutation::Insert(i, c) => chars.insert(i % (len + 1), c),
            Mutation::Delete(i) if len > 0 => {
                chars.remove(i % len);
            }
            Mutation::Replace(i, c) if len > 0 => chars[i % len] = c,
            Mutation::Truncate(i) => chars.truncate(i % (len + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_strings_never_panic(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn did_shaped_strings_never_panic(
        text in "did:[a-z0-9]{0,5}:[a-zA-Z0-9.:%_-]{0,60}([/?#][a-zA-Z0-9.:%_/?#-]{0,20})?"
    ) {
        exercise(&text);
    }

    #[test]
    fn mutated_valid_dids_never_panic(
        base in proptest::sample::select(VALID.to_vec()),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        exercise(&apply(base, &mutations));
    }

    #[test]
    fn random_multikey_bytes_never_panic(
        codec in prop_oneof![
            Just(multicodec::ED25519_PUB),
            Just(multicodec::SM2_PUB),
            Just(multicodec::P256_PUB),
            Just(multicodec::BLS12_381_G2_PUB),
            any::<u64>(),
        ],
        key in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(codec, &key));
        exercise(&text);
        exercise(&format!("did:key:{text}"));
    }

    #[test]
    fn p256_x_coordinates_decode_to_a_key_or_a_typed_error(
        tag in prop_oneof![Just(0x02u8), Just(0x03u8), any::<u8>()],
        x in any::<[u8; 32]>(),
    ) {
        let mut bytes = vec![tag];
        bytes.extend_from_slice(&x);
        let text = multicodec::encode_base58btc(&multicodec::prefix_with_codec(multicodec::P256_PUB, &bytes));
        match multicodec::decode_multikey(&text) {
            Ok(key) => {
                prop_assert_eq!(key.algorithm(), KeyAlgorithm::P256);
                prop_assert_eq!(key.to_bytes(), bytes);
                prop_assert_eq!(multicodec::encode_multikey(&key), text);
            }
            Err(error) => prop_assert_eq!(
                error,
                multicodec::MulticodecError::InvalidKey(crosscode_core::keys::KeyError::InvalidPublicKey {
                    algorithm: KeyAlgorithm::P256
                })
            ),
        }
    }

    #[test]
    fn valid_ed25519_keys_round_trip(seed in any::<[u8; 32]>()) {
        let secret = crosscode_core::keys::SecretKey::from_bytes(KeyAlgorithm::Ed25519, &seed).unwrap();
        let did_key = DidKey::from_public_key(&secret.public_key());
        let parsed = DidKey::parse_str(did_key.did().as_str()).unwrap();
        prop_assert_eq!(parsed.public_key(), &secret.public_key());
        let back = PublicKey::from_bytes(KeyAlgorithm::Ed25519, &parsed.public_key().to_bytes()).unwrap();
        prop_assert_eq!(back, secret.public_key());
    }
}

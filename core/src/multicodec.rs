//! Multibase and multicodec encodings of public keys (the `Multikey` format), and the one
//! base58btc codec ([`encode_base58`], [`decode_base58`]) and unsigned-varint codec
//! ([`encode_varint`], [`decode_varint`]) of Crosscode.
//!
//! A `Multikey` public key is the multibase base58btc string (prefix `z`) of the
//! unsigned-varint multicodec code followed by the raw key bytes. Crosscode supports four
//! key types:
//!
//! | key type | multicodec | varint bytes | key bytes |
//! |---|---|---|---|
//! | Ed25519 | `ed25519-pub` `0xed` | `ed 01` | 32 (compressed Edwards point) |
//! | SM2 (sm2p256v1) | `sm2-pub` `0x1206` | `86 24` | 33 (SEC1 compressed point) |
//! | P-256 (secp256r1) | `p256-pub` `0x1200` | `80 24` | 33 (SEC1 compressed point) |
//! | BLS12-381 G2 | `bls12_381-g2-pub` `0xeb` | `eb 01` | 96 (compressed G2 point) |
//!
//! Every other code (X25519, secp256k1, P-384, P-521, BLS12-381 G1 / G1G2, ...) is refused with
//! [`MulticodecError::UnsupportedKeyType`], never a panic.

use crate::keys::{KeyAlgorithm, KeyError, PublicKey};

/// Multicodec code of an Ed25519 public key (`ed25519-pub`).
pub const ED25519_PUB: u64 = 0xed;
/// Multicodec code of an SM2 public key (`sm2-pub`).
pub const SM2_PUB: u64 = 0x1206;
/// Multicodec code of a BLS12-381 G2 public key (`bls12_381-g2-pub`).
pub const BLS12_381_G2_PUB: u64 = 0xeb;
/// Multicodec code of a BLS12-381 G1 public key (`bls12_381-g1-pub`, not supported).
pub const BLS12_381_G1_PUB: u64 = 0xea;
/// Multicodec code of a concatenated BLS12-381 G1 and G2 public key (`bls12_381-g1g2-pub`, not
/// supported).
pub const BLS12_381_G1G2_PUB: u64 = 0xee;
/// Multicodec code of an X25519 public key (`x25519-pub`, not supported).
pub const X25519_PUB: u64 = 0xec;
/// Multicodec code of a secp256k1 public key (`secp256k1-pub`, not supported).
pub const SECP256K1_PUB: u64 = 0xe7;
/// Multicodec code of a P-256 public key (`p256-pub`).
pub const P256_PUB: u64 = 0x1200;
/// Multicodec code of a P-384 public key (`p384-pub`, not supported).
pub const P384_PUB: u64 = 0x1201;
/// Multicodec code of a P-521 public key (`p521-pub`, not supported).
pub const P521_PUB: u64 = 0x1202;

/// The multibase prefix of base58btc.
pub const BASE58BTC_PREFIX: char = 'z';

/// Longest multibase string accepted by the decoders (base58 decoding is quadratic, so the
/// length is bounded before decoding; the longest supported key, BLS12-381 G2, needs 134).
pub const MAX_MULTIBASE_LEN: usize = 512;

/// Errors of multibase / multicodec decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MulticodecError {
    /// The input was empty.
    #[error("empty multibase string")]
    Empty,
    /// The multibase prefix is not `z` (base58btc), the only base Crosscode accepts.
    #[error("unsupported multibase prefix {prefix:?} (only base58btc 'z' is accepted)")]
    UnsupportedMultibase {
        /// The prefix character found.
        prefix: char,
    },
    /// The multibase string is longer than [`MAX_MULTIBASE_LEN`].
    #[error("multibase string too long: {len} characters (at most {MAX_MULTIBASE_LEN})")]
    TooLong {
        /// Length of the input in bytes.
        len: usize,
    },
    /// The text after the prefix is not valid base58 (Bitcoin alphabet).
    #[error("invalid base58btc: {reason}")]
    InvalidBase58 {
        /// What the decoder reported.
        reason: String,
    },
    /// The multicodec prefix is not a valid (minimal, at most 9 bytes) unsigned varint.
    #[error("invalid unsigned-varint multicodec prefix")]
    InvalidVarint,
    /// The multicodec names a key type Crosscode does not support.
    #[error("unsupported key type: multicodec 0x{codec:x}")]
    UnsupportedKeyType {
        /// The multicodec code found.
        codec: u64,
    },
    /// The multicodec is supported but the key bytes are not a valid key.
    #[error("invalid key bytes: {0}")]
    InvalidKey(KeyError),
}

impl From<KeyError> for MulticodecError {
    fn from(err: KeyError) -> Self {
        MulticodecError::InvalidKey(err)
    }
}

/// The multicodec code of the public keys of `algorithm`.
pub fn codec_of(algorithm: KeyAlgorithm) -> u64 {
    match algorithm {
        KeyAlgorithm::Ed25519 => ED25519_PUB,
        KeyAlgorithm::Sm2 => SM2_PUB,
        KeyAlgorithm::P256 => P256_PUB,
        KeyAlgorithm::Bls12381G2 => BLS12_381_G2_PUB,
    }
}

/// The key algorithm whose public keys carry multicodec `codec`, or
/// [`MulticodecError::UnsupportedKeyType`].
pub fn algorithm_of(codec: u64) -> Result<KeyAlgorithm, MulticodecError> {
    match codec {
        ED25519_PUB => Ok(KeyAlgorithm::Ed25519),
        SM2_PUB => Ok(KeyAlgorithm::Sm2),
        P256_PUB => Ok(KeyAlgorithm::P256),
        BLS12_381_G2_PUB => Ok(KeyAlgorithm::Bls12381G2),
        other => Err(MulticodecError::UnsupportedKeyType { codec: other }),
    }
}

/// Encodes `value` as an unsigned varint (LEB128, as multiformats uses it).
pub fn encode_varint(value: u64) -> Vec<u8> {
    let mut buffer = unsigned_varint::encode::u64_buffer();
    unsigned_varint::encode::u64(value, &mut buffer).to_vec()
}

/// Decodes one unsigned varint from the start of `bytes`; returns the value and the rest.
/// Non-minimal encodings and overlong inputs are refused.
pub fn decode_varint(bytes: &[u8]) -> Result<(u64, &[u8]), MulticodecError> {
    unsigned_varint::decode::u64(bytes).map_err(|_| MulticodecError::InvalidVarint)
}

/// Longest base58btc text [`decode_base58`] accepts. Decoding is quadratic in the length, so
/// attacker-sized text is refused before any work: at this bound a decode takes milliseconds. The
/// longest text Crosscode reads, a BBS derived `proofValue`, is bounded to it as well.
pub const MAX_BASE58_LEN: usize = 16 * 1024;

/// Why base58btc text could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base58Error {
    /// The text is longer than [`MAX_BASE58_LEN`].
    #[error("base58btc text of {len} characters (at most {MAX_BASE58_LEN})")]
    TooLong {
        /// Length of the text in bytes.
        len: usize,
    },
    /// A byte of the text is not a digit of the Bitcoin alphabet.
    #[error("byte {position} is not a base58btc digit")]
    InvalidDigit {
        /// Its position in the text (bytes).
        position: usize,
    },
}

/// The value of each ASCII byte as a base58btc digit (Bitcoin alphabet), or 0xff.
const BASE58_DIGITS: [u8; 128] = {
    let alphabet = BASE58_ALPHABET;
    let mut table = [0xff_u8; 128];
    let mut index = 0;
    while index < alphabet.len() {
        table[alphabet[index] as usize] = index as u8;
        index += 1;
    }
    table
};

/// The Bitcoin base58 alphabet.
const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Encodes bytes as base58btc (Bitcoin alphabet), without a multibase prefix: each leading
/// zero byte is a `1`, the rest a big-endian number. The one base58 encoder of Crosscode: it
/// folds four bytes at a time into limbs of five base58 digits (58^5 < 2^30), a few hundred
/// word operations for a 64-byte signature, and gives exactly the text of the `bs58` crate.
pub fn encode_base58(bytes: &[u8]) -> String {
    const LIMB: u64 = 58 * 58 * 58 * 58 * 58;
    let leading_zeros = bytes.iter().take_while(|&&byte| byte == 0).count();
    let number = &bytes[leading_zeros..];
    // Little-endian base-58^5 limbs of the number.
    let mut limbs: Vec<u64> = Vec::with_capacity(number.len() * 138 / 500 + 2);
    let head = number.len() % 4;
    let chunks = std::iter::once(&number[..head])
        .filter(|chunk| !chunk.is_empty())
        .chain(number[head..].chunks(4));
    for chunk in chunks {
        let shift = 8 * chunk.len() as u32;
        let mut carry = chunk
            .iter()
            .fold(0u64, |value, &byte| (value << 8) | u64::from(byte));
        for limb in &mut limbs {
            // limb < 2^30 and carry < 2^33, so this stays under 2^63.
            let value = (*limb << shift) + carry;
            *limb = value % LIMB;
            carry = value / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
    }
    let mut digits = Vec::with_capacity(leading_zeros + limbs.len() * 5);
    digits.resize(leading_zeros, BASE58_ALPHABET[0]);
    let mut significant = false;
    for &limb in limbs.iter().rev() {
        let mut divisor = LIMB / 58;
        for _ in 0..5 {
            let digit = (limb / divisor) % 58;
            significant |= digit != 0;
            if significant {
                digits.push(BASE58_ALPHABET[digit as usize]);
            }
            divisor /= 58;
        }
    }
    // Every byte is from the ASCII alphabet.
    String::from_utf8(digits).unwrap_or_default()
}

/// Decodes base58btc text (Bitcoin alphabet, without a multibase prefix): each leading `1` is a
/// zero byte, the rest a big-endian number. The one base58 decoder of Crosscode: it folds five
/// digits at a time into 32-bit limbs (about four times faster than the `bs58` crate on a
/// 64-byte signature) and accepts exactly the texts `bs58` accepts, up to [`MAX_BASE58_LEN`].
pub fn decode_base58(text: &str) -> Result<Vec<u8>, Base58Error> {
    if text.len() > MAX_BASE58_LEN {
        return Err(Base58Error::TooLong { len: text.len() });
    }
    let bytes = text.as_bytes();
    let leading_zeros = bytes.iter().take_while(|&&byte| byte == b'1').count();
    // Little-endian 32-bit limbs of the big number.
    let mut limbs: Vec<u32> = Vec::with_capacity(bytes.len() / 5 + 2);
    for (chunk_index, chunk) in bytes.chunks(5).enumerate() {
        let mut multiplier: u64 = 1;
        let mut addend: u64 = 0;
        for (offset, &byte) in chunk.iter().enumerate() {
            let digit = BASE58_DIGITS
                .get(usize::from(byte))
                .copied()
                .filter(|&digit| digit != 0xff)
                .ok_or(Base58Error::InvalidDigit {
                    position: chunk_index * 5 + offset,
                })?;
            multiplier *= 58;
            addend = addend * 58 + u64::from(digit);
        }
        // limb * multiplier + carry < 2^32 * 58^5 + 2^32 < 2^64.
        let mut carry = addend;
        for limb in &mut limbs {
            let product = u64::from(*limb) * multiplier + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut out = vec![0u8; leading_zeros];
    out.extend(
        limbs
            .iter()
            .rev()
            .flat_map(|limb| limb.to_be_bytes())
            .skip_while(|&byte| byte == 0),
    );
    Ok(out)
}

/// Encodes bytes as multibase base58btc (`z` + base58 Bitcoin alphabet).
pub fn encode_base58btc(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 138 / 100 + 2);
    out.push(BASE58BTC_PREFIX);
    out.push_str(&encode_base58(bytes));
    out
}

/// Decodes a multibase base58btc string (`z...`). Any other multibase prefix is refused.
pub fn decode_base58btc(text: &str) -> Result<Vec<u8>, MulticodecError> {
    if text.len() > MAX_MULTIBASE_LEN {
        return Err(MulticodecError::TooLong { len: text.len() });
    }
    let mut chars = text.chars();
    let prefix = chars.next().ok_or(MulticodecError::Empty)?;
    if prefix != BASE58BTC_PREFIX {
        return Err(MulticodecError::UnsupportedMultibase { prefix });
    }
    decode_base58(chars.as_str()).map_err(|err| MulticodecError::InvalidBase58 {
        reason: err.to_string(),
    })
}

/// Prefixes raw public-key bytes with the unsigned-varint multicodec `codec`.
pub fn prefix_with_codec(codec: u64, key_bytes: &[u8]) -> Vec<u8> {
    let mut out = encode_varint(codec);
    out.extend_from_slice(key_bytes);
    out
}

/// The `Multikey` `publicKeyMultibase` string of a public key (`z6Mk...` for Ed25519,
/// `zUC7...` for BLS12-381 G2, `zEP...`-like for SM2, `zDn...` for P-256).
pub fn encode_multikey(public_key: &PublicKey) -> String {
    encode_base58btc(&prefix_with_codec(
        codec_of(public_key.algorithm()),
        &public_key.to_bytes(),
    ))
}

/// Splits decoded multikey bytes into the multicodec code and the key bytes.
pub fn split_codec(bytes: &[u8]) -> Result<(u64, &[u8]), MulticodecError> {
    decode_varint(bytes)
}

/// Decodes a `Multikey` `publicKeyMultibase` string to a validated public key.
///
/// The key bytes must be in the canonical form [`PublicKey::to_bytes`] produces (so that
/// encoding the result gives back the same string); an SM2 or P-256 key must be SEC1
/// compressed.
pub fn decode_multikey(text: &str) -> Result<PublicKey, MulticodecError> {
    let bytes = decode_base58btc(text)?;
    let (codec, key_bytes) = split_codec(&bytes)?;
    let algorithm = algorithm_of(codec)?;
    if matches!(algorithm, KeyAlgorithm::Sm2 | KeyAlgorithm::P256)
        && key_bytes.len() != algorithm.public_key_len()
    {
        return Err(MulticodecError::InvalidKey(KeyError::InvalidLength {
            algorithm,
            expected: algorithm.public_key_len(),
            actual: key_bytes.len(),
        }));
    }
    let key = PublicKey::from_bytes(algorithm, key_bytes)?;
    // Defensive: every encoding the key types accept is canonical (a non-canonical one would
    // give two DIDs for one key).
    if key.to_bytes() != key_bytes {
        return Err(MulticodecError::InvalidKey(KeyError::InvalidPublicKey {
            algorithm,
        }));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base58_known_values() {
        assert_eq!(decode_base58(""), Ok(vec![]));
        assert_eq!(decode_base58("1"), Ok(vec![0]));
        assert_eq!(decode_base58("11"), Ok(vec![0, 0]));
        assert_eq!(decode_base58("2g"), Ok(b"a".to_vec()));
        assert_eq!(encode_base58(b"a"), "2g");
        assert_eq!(
            decode_base58("0OIl"),
            Err(Base58Error::InvalidDigit { position: 0 })
        );
        assert_eq!(
            decode_base58("abcdefgh\u{e9}"),
            Err(Base58Error::InvalidDigit { position: 8 })
        );
    }

    #[test]
    fn base58_encoding_keeps_leading_zero_bytes_as_ones_like_bs58() {
        let cases: [&[u8]; 7] = [
            &[],
            &[0],
            &[0, 0, 0],
            &[0, 0, 1, 2, 3],
            &[57],
            &[58],
            &[0xff; 67],
        ];
        for bytes in cases {
            assert_eq!(encode_base58(bytes), bs58::encode(bytes).into_string());
            assert_eq!(decode_base58(&encode_base58(bytes)), Ok(bytes.to_vec()));
        }
        assert_eq!(encode_base58(&[0, 0, 0]), "111");
    }

    #[test]
    fn attacker_sized_base58_is_refused_by_its_length() {
        let long = "z".repeat(MAX_BASE58_LEN + 1);
        assert_eq!(
            decode_base58(&long),
            Err(Base58Error::TooLong {
                len: MAX_BASE58_LEN + 1
            })
        );
        assert!(decode_base58(&long[1..]).is_ok());
    }

    proptest! {
        #[test]
        fn base58_agrees_with_bs58(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let text = bs58::encode(&bytes).into_string();
            prop_assert_eq!(encode_base58(&bytes), text.clone());
            prop_assert_eq!(decode_base58(&text), Ok(bytes));
        }

        #[test]
        fn base58_rejects_what_bs58_rejects(text in "[0-9A-Za-z+/]{0,90}") {
            prop_assert_eq!(decode_base58(&text).ok(), bs58::decode(&text).into_vec().ok());
        }
    }

    #[test]
    fn varint_round_trip_of_the_supported_codes() {
        assert_eq!(encode_varint(ED25519_PUB), vec![0xed, 0x01]);
        assert_eq!(encode_varint(SM2_PUB), vec![0x86, 0x24]);
        assert_eq!(encode_varint(BLS12_381_G2_PUB), vec![0xeb, 0x01]);
        assert_eq!(encode_varint(P256_PUB), vec![0x80, 0x24]);
        for code in [ED25519_PUB, SM2_PUB, BLS12_381_G2_PUB, P256_PUB, u64::MAX] {
            let encoded = encode_varint(code);
            assert_eq!(decode_varint(&encoded).unwrap(), (code, &[][..]));
        }
    }

    #[test]
    fn varint_errors_are_typed() {
        assert_eq!(decode_varint(&[]), Err(MulticodecError::InvalidVarint));
        assert_eq!(decode_varint(&[0x80]), Err(MulticodecError::InvalidVarint));
        // non-minimal encoding of 0xed
        assert_eq!(
            decode_varint(&[0xed, 0x81, 0x00]),
            Err(MulticodecError::InvalidVarint)
        );
        assert_eq!(
            decode_varint(&[0xff; 11]),
            Err(MulticodecError::InvalidVarint)
        );
    }

    #[test]
    fn multibase_errors_are_typed() {
        assert_eq!(decode_base58btc(""), Err(MulticodecError::Empty));
        assert_eq!(
            decode_base58btc("mAAAA"),
            Err(MulticodecError::UnsupportedMultibase { prefix: 'm' })
        );
        assert!(matches!(
            decode_base58btc("z0OIl"),
            Err(MulticodecError::InvalidBase58 { .. })
        ));
        let long = format!("z{}", "1".repeat(MAX_MULTIBASE_LEN));
        assert!(matches!(
            decode_base58btc(&long),
            Err(MulticodecError::TooLong { .. })
        ));
        assert_eq!(decode_base58btc("z").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn unsupported_codes_are_refused() {
        for codec in [
            X25519_PUB,
            SECP256K1_PUB,
            P384_PUB,
            P521_PUB,
            BLS12_381_G1G2_PUB,
            0,
        ] {
            let text = encode_base58btc(&prefix_with_codec(codec, &[1u8; 33]));
            assert_eq!(
                decode_multikey(&text),
                Err(MulticodecError::UnsupportedKeyType { codec })
            );
        }
    }
}

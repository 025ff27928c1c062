//! Checking many signatures at once with exactly the outcome of checking them one by one.
//!
//! The chain's Ed25519 rule is strict RFC 8032 verification (`PublicKey::verify`, i.e.
//! `ed25519-dalek`'s `verify_strict`): `S` canonical, `R` and `A` not of small order, and the
//! encoding of `[S]B - [k]A` (with `k = SHA-512(R || A || M)`) equal to the bytes of `R`.
//! Plain batch verification (one random linear combination of the equations) accepts a superset
//! of that: it cannot see a torsion component in `R` (or `A`), and it accepts a non-canonical
//! encoding of `R`. [`verify_all`] closes both gaps, so that its verdict for every signature is
//! the verdict of `PublicKey::verify`:
//!
//! 1. per signature, the cheap checks of the strict rule: 64 bytes, `S < l`, `R` canonically
//!    encoded and decompressible, neither `R` nor `A` the identity (a failure is a rejection,
//!    as in the strict rule; given step 2, the identity is the only point of small order left);
//! 2. every `R` and `A` is torsion-free, tested on 64 random subset sums of them (a point of
//!    `E[8]` other than the identity survives a random subset sum with probability at most 1/2,
//!    so a torsion component anywhere escapes all 64 with probability at most 2^-64); a key
//!    that passed is remembered and not tested again;
//! 3. the batch equation `sum z_i (R_i - [S_i]B + [k_i]A_i) = 0` with independent uniformly
//!    random 128-bit `z_i`: with every `R_i` and `A_i` in the prime-order subgroup, each term is
//!    in that subgroup and the sum vanishes while some term does not with probability at most
//!    2^-128; if every term vanishes, each `R_i` equals `[S_i]B - [k_i]A_i`, and its canonical
//!    encoding is the strict rule's comparison.
//!
//! The randomness comes from the operating system, so a sender cannot search for signatures
//! that slip through. Whenever step 2 or 3 fails (which honest signers never cause), the
//! signatures concerned are checked one by one with `PublicKey::verify`. SM2 signatures are
//! always checked one by one.

use std::collections::{HashMap, HashSet};
use std::sync::{OnceLock, RwLock};

use crosscode_core::keys::PublicKey;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha512};

/// One signature to check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignatureJob<'a> {
    /// The key.
    pub key: &'a PublicKey,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a [u8],
}

/// Fewest Ed25519 signatures checked as a batch (below, the subset-sum tests cost more than
/// they save).
pub(crate) const MIN_BATCH: usize = 128;

/// Signatures per batch equation: a failing equation sends only its own signatures to one by
/// one checks.
const EQUATION_BATCH: usize = 1024;

/// Number of random subset sums of the torsion test (its error bound is 2^-SUBSET_SUMS).
const SUBSET_SUMS: usize = 64;

/// Most keys remembered as torsion-free.
const TORSION_FREE_KEYS_CAPACITY: usize = 1 << 20;

/// Ed25519 keys (compressed) that passed the torsion test: a key signs many transactions over
/// time, and its torsion-freeness is a fact about the key alone.
fn torsion_free_keys() -> &'static RwLock<HashSet<[u8; 32]>> {
    static KEYS: OnceLock<RwLock<HashSet<[u8; 32]>>> = OnceLock::new();
    KEYS.get_or_init(|| RwLock::new(HashSet::new()))
}

/// The verdict of `job.key.verify(job.message, job.signature)` for every job, in order.
pub(crate) fn verify_all(jobs: &[SignatureJob<'_>]) -> Vec<bool> {
    let mut verdicts = vec![false; jobs.len()];
    let mut ed25519 = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        match job.key {
            PublicKey::Ed25519(_) => ed25519.push(index),
            _ => verdicts[index] = job.key.verify(job.message, job.signature).is_ok(),
        }
    }
    if ed25519.len() < MIN_BATCH {
        for index in ed25519 {
            let job = &jobs[index];
            verdicts[index] = job.key.verify(job.message, job.signature).is_ok();
        }
        return verdicts;
    }
    verify_ed25519(jobs, &ed25519, &mut verdicts);
    verdicts
}

/// A signature that passed the per-signature checks.
struct Candidate {
    index: usize,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
    key: usize,
}

/// Whether 32 bytes are the canonical encoding of a field element (`y < 2^255 - 19`; the top
/// bit is the sign of `x`).
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    !(top == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff) && bytes[0] >= 0xed)
}

fn verify_ed25519(jobs: &[SignatureJob<'_>], indices: &[usize], verdicts: &mut [bool]) {
    // Step 1: the strict rule's per-signature checks; distinct keys once each.
    let mut key_index: HashMap<[u8; 32], usize> = HashMap::new();
    let mut keys: Vec<EdwardsPoint> = Vec::new();
    let mut key_bytes: Vec<[u8; 32]> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::with_capacity(indices.len());
    for &index in indices {
        let job = &jobs[index];
        let PublicKey::Ed25519(verifying) = job.key else {
            continue;
        };
        let Ok(signature) = <&[u8; 64]>::try_from(job.signature) else {
            continue;
        };
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&signature[..32]);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&signature[32..]);
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            continue;
        };
        if !is_canonical_y(&r_bytes) {
            continue;
        }
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
            continue;
        };
        // Once step 2 finds R torsion-free, "R of small order" is "R is the identity"; if step
        // 2 fails, the strict rule itself judges every signature.
        if r.is_identity() {
            continue;
        }
        let a_bytes = verifying.as_bytes();
        let key = match key_index.get(a_bytes) {
            Some(&key) => key,
            None => {
                let point = verifying.to_edwards();
                // As for R (and a key found torsion-free before is not the identity either).
                if point.is_identity() {
                    continue;
                }
                keys.push(point);
                key_bytes.push(*a_bytes);
                key_index.insert(*a_bytes, keys.len() - 1);
                keys.len() - 1
            }
        };
        let mut hash = Sha512::new();
        hash.update(r_bytes);
        hash.update(a_bytes);
        hash.update(job.message);
        let mut wide = [0u8; 64];
        wide.copy_from_slice(&hash.finalize());
        candidates.push(Candidate {
            index,
            r,
            s,
            k: Scalar::from_bytes_mod_order_wide(&wide),
            key,
        });
    }
    if candidates.is_empty() {
        return;
    }

    // Step 2: no torsion in any R or A (keys found torsion-free before are not tested again).
    let known: Vec<bool> = match torsion_free_keys().read() {
        Ok(set) => key_bytes.iter().map(|k| set.contains(k)).collect(),
        Err(_) => vec![false; key_bytes.len()],
    };
    let new_keys = keys
        .iter()
        .zip(&known)
        .filter(|(_, known)| !**known)
        .map(|(point, _)| point);
    let points: Vec<&EdwardsPoint> = candidates.iter().map(|c| &c.r).chain(new_keys).collect();
    if torsion_free(&points) {
        if let Ok(mut set) = torsion_free_keys().write() {
            if set.len() + key_bytes.len() > TORSION_FREE_KEYS_CAPACITY {
                set.clear();
            }
            set.extend(
                key_bytes
                    .iter()
                    .zip(&known)
                    .filter(|(_, k)| !**k)
                    .map(|(b, _)| *b),
            );
        }
    } else {
        for candidate in &candidates {
            let job = &jobs[candidate.index];
            verdicts[candidate.index] = job.key.verify(job.message, job.signature).is_ok();
        }
        return;
    }

    // Step 3: the batch equations.
    for batch in candidates.chunks(EQUATION_BATCH) {
        if batch_equation_holds(batch, &keys) {
            for candidate in batch {
                verdicts[candidate.index] = true;
            }
        } else {
            for candidate in batch {
                let job = &jobs[candidate.index];
                verdicts[candidate.index] = job.key.verify(job.message, job.signature).is_ok();
            }
        }
    }
}

/// Whether `sum z_i (R_i - [S_i]B + [k_i]A_i) = 0` for fresh random 128-bit `z_i`.
fn batch_equation_holds(batch: &[Candidate], keys: &[EdwardsPoint]) -> bool {
    let mut random = vec![0u8; 16 * batch.len()];
    OsRng.fill_bytes(&mut random);
    let mut b_coefficient = Scalar::ZERO;
    let mut key_coefficients = vec![Scalar::ZERO; keys.len()];
    let mut scalars: Vec<Scalar> = Vec::with_capacity(2 * batch.len() + 1);
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(2 * batch.len() + 1);
    let mut used = vec![false; keys.len()];
    for (candidate, z) in batch.iter().zip(random.chunks_exact(16)) {
        let mut z_bytes = [0u8; 16];
        z_bytes.copy_from_slice(z);
        let z = Scalar::from(u128::from_le_bytes(z_bytes));
        b_coefficient -= z * candidate.s;
        key_coefficients[candidate.key] += z * candidate.k;
        used[candidate.key] = true;
        scalars.push(z);
        points.push(candidate.r);
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    for (key, point) in keys.iter().enumerate() {
        if used[key] {
            scalars.push(key_coefficients[key]);
            points.push(*point);
        }
    }
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).is_identity()
}

/// Whether every point is torsion-free, tested on [`SUBSET_SUMS`] random subset sums (false:
/// some point has a torsion component, or, with probability at most 2^-64 when none has, never).
fn torsion_free(points: &[&EdwardsPoint]) -> bool {
    let mut masks = vec![0u8; 8 * points.len()];
    OsRng.fill_bytes(&mut masks);
    let mask = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&masks[8 * i..8 * i + 8]);
        u64::from_le_bytes(bytes)
    };
    // Sums over the subsets given by the bits of the masks, computed `group` bits at a time:
    // bucket the points by those bits, then each bit's sum adds the buckets having it set.
    let group: usize = if points.len() < 1024 { 4 } else { 8 };
    let mut sums: Vec<EdwardsPoint> = Vec::with_capacity(SUBSET_SUMS);
    for first_bit in (0..SUBSET_SUMS).step_by(group) {
        let mut buckets = vec![EdwardsPoint::identity(); 1 << group];
        for (i, point) in points.iter().enumerate() {
            let value = (mask(i) >> first_bit) as usize & ((1 << group) - 1);
            buckets[value] += *point;
        }
        for bit in 0..group {
            let mut sum = EdwardsPoint::identity();
            for (value, bucket) in buckets.iter().enumerate() {
                if value >> bit & 1 == 1 {
                    sum += bucket;
                }
            }
            sums.push(sum);
        }
    }
    sums.iter().all(EdwardsPoint::is_torsion_free)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::Signer as _;

    struct Owned {
        key: PublicKey,
        message: Vec<u8>,
        signature: Vec<u8>,
    }

    fn scalar(seed: u64, what: &[u8]) -> Scalar {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(
            &Sha512::new()
                .chain_update(what)
                .chain_update(seed.to_le_bytes())
                .finalize(),
        );
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(
            &Sha512::new()
                .chain_update(r)
                .chain_update(a)
                .chain_update(message)
                .finalize(),
        );
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    /// A signature under the mixed-order key `aB + T8`: strict-valid exactly when the
    /// challenge is a multiple of 8 (then the torsion term vanishes).
    fn mixed_order_signature(seed: u64) -> Owned {
        let a = scalar(seed, b"a");
        let r = scalar(seed, b"r");
        let public = ED25519_BASEPOINT_POINT * a + EIGHT_TORSION[1];
        let a_bytes = public.compress().to_bytes();
        let key = PublicKey::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&a_bytes).unwrap());
        let message = format!("mixed {seed}").into_bytes();
        let r_bytes = (ED25519_BASEPOINT_POINT * r).compress().to_bytes();
        let s = r + challenge(&r_bytes, &a_bytes, &message) * a;
        let mut signature = r_bytes.to_vec();
        signature.extend_from_slice(s.as_bytes());
        Owned {
            key,
            message,
            signature,
        }
    }

    fn honest(seed: u64) -> Owned {
        let signing = ed25519_dalek::SigningKey::from_bytes(scalar(seed % 7, b"key").as_bytes());
        let message = format!("message {seed}").into_bytes();
        let signature = signing.sign(&message).to_bytes().to_vec();
        Owned {
            key: PublicKey::Ed25519(signing.verifying_key()),
            message,
            signature,
        }
    }

    fn jobs(owned: &[Owned]) -> Vec<SignatureJob<'_>> {
        owned
            .iter()
            .map(|o| SignatureJob {
                key: &o.key,
                message: &o.message,
                signature: &o.signature,
            })
            .collect()
    }

    fn one_by_one(owned: &[Owned]) -> Vec<bool> {
        owned
            .iter()
            .map(|o| o.key.verify(&o.message, &o.signature).is_ok())
            .collect()
    }

    /// The official Ed25519 vectors (`../shared/vectors/ed25519`: all Wycheproof cases with a
    /// decodable key, and every speccheck edge case), placed among honest signatures so that
    /// they go through the batch path: every verdict must be the strict one-by-one verdict.
    #[test]
    fn official_vectors_get_the_strict_verdict_in_a_batch() {
        let read = |name: &str| -> serde_json::Value {
            let path = crosscode_testing::vectors::vector_path(&format!("ed25519/{name}"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            serde_json::from_str(&text).unwrap()
        };
        let hex_of = |value: &serde_json::Value| hex::decode(value.as_str().unwrap()).unwrap();
        let mut vectors = Vec::new();
        let wycheproof = read("wycheproof_ed25519_test.json");
        for group in wycheproof["testGroups"].as_array().unwrap() {
            let Ok(key) = PublicKey::from_bytes(
                crosscode_core::keys::KeyAlgorithm::Ed25519,
                &hex_of(&group["publicKey"]["pk"]),
            ) else {
                continue;
            };
            for case in group["tests"].as_array().unwrap() {
                vectors.push(Owned {
                    key: key.clone(),
                    message: hex_of(&case["msg"]),
                    signature: hex_of(&case["sig"]),
                });
            }
        }
        let wycheproof_count = vectors.len();
        for case in read("speccheck_cases.json").as_array().unwrap() {
            let Ok(key) = PublicKey::from_bytes(
                crosscode_core::keys::KeyAlgorithm::Ed25519,
                &hex_of(&case["pub_key"]),
            ) else {
                continue;
            };
            vectors.push(Owned {
                key,
                message: hex_of(&case["message"]),
                signature: hex_of(&case["signature"]),
            });
        }
        assert!(
            wycheproof_count >= 140,
            "{wycheproof_count} Wycheproof cases"
        );
        assert!(vectors.len() > wycheproof_count, "no speccheck case");
        // Interleave the vectors with honest signatures, above the batch threshold.
        let mut owned: Vec<Owned> = Vec::new();
        for (i, vector) in vectors.into_iter().enumerate() {
            owned.push(honest(i as u64));
            owned.push(vector);
        }
        assert!(owned.len() >= MIN_BATCH);
        let expected = one_by_one(&owned);
        assert!(expected.iter().any(|v| !*v) && expected.iter().filter(|v| **v).count() > 100);
        for _ in 0..3 {
            assert_eq!(verify_all(&jobs(&owned)), expected);
        }
    }

    #[test]
    fn honest_batches_verify() {
        let owned: Vec<Owned> = (0..300).map(honest).collect();
        assert!(verify_all(&jobs(&owned)).iter().all(|v| *v));
    }

    #[test]
    fn every_verdict_is_the_strict_verdict() {
        let mut owned: Vec<Owned> = (0..400).map(honest).collect();
        // A wrong message; a wrong length.
        owned[3].message.push(0);
        owned[4].signature.pop();
        // S + l: not canonical.
        let s = Scalar::from_canonical_bytes(owned[5].signature[32..].try_into().unwrap()).unwrap();
        let mut unreduced = [0u8; 32];
        let mut carry = 0u16;
        let l = Scalar::ZERO - Scalar::ONE;
        let l_bytes = l.as_bytes();
        for i in 0..32 {
            let sum =
                u16::from(s.as_bytes()[i]) + u16::from(l_bytes[i]) + carry + u16::from(i == 0);
            unreduced[i] = sum as u8;
            carry = sum >> 8;
        }
        owned[5].signature[32..].copy_from_slice(&unreduced);
        // R with a torsion component (orders 8 and 2): equations that only a cofactored or
        // plain batch check would accept.
        for (i, torsion) in [(6usize, 1usize), (7, 4), (8, 2)] {
            let r = CompressedEdwardsY(owned[i].signature[..32].try_into().unwrap())
                .decompress()
                .unwrap();
            let moved = (r + EIGHT_TORSION[torsion]).compress().to_bytes();
            owned[i].signature[..32].copy_from_slice(&moved);
        }
        // A small-order R (the identity) with S = 0; R of order 2.
        owned[9].signature = [CompressedEdwardsY::identity().to_bytes(), [0; 32]].concat();
        owned[11].signature[..32].copy_from_slice(&EIGHT_TORSION[4].compress().to_bytes());
        // A non-canonical encoding of R: y + p for some small y on the curve.
        for y in 2u8..19 {
            let mut bytes = [0xffu8; 32];
            bytes[31] = 0x7f;
            bytes[0] = 0xed + y;
            if CompressedEdwardsY(bytes).decompress().is_some() {
                owned[10].signature[..32].copy_from_slice(&bytes);
                break;
            }
        }
        // Keys with a torsion component: some signatures strict-valid, some not.
        owned.extend((0..64).map(mixed_order_signature));
        let expected = one_by_one(&owned);
        // Among the mixed-order keys' signatures, some are strict-valid and some are not.
        assert!(expected[400..].iter().any(|v| *v));
        assert!(expected[400..].iter().any(|v| !*v));
        for _ in 0..4 {
            assert_eq!(verify_all(&jobs(&owned)), expected);
        }
        // The same without the mixed-order keys (torsion only in R).
        owned.truncate(400);
        let expected = one_by_one(&owned);
        assert_eq!(verify_all(&jobs(&owned)), expected);
        assert!(expected.iter().filter(|v| !**v).count() >= 8);
    }

    #[test]
    fn bad_signatures_among_many_are_found_by_the_equation() {
        // No torsion anywhere: the batch equations fail and their signatures are checked one
        // by one.
        let mut owned: Vec<Owned> = (0..600).map(honest).collect();
        owned[10].message.push(1);
        owned[700 % 600].signature[40] ^= 1;
        let last = owned.len() - 1;
        owned[last].signature[0] ^= 2;
        let expected = one_by_one(&owned);
        assert!(expected.iter().filter(|v| !**v).count() >= 2);
        assert_eq!(verify_all(&jobs(&owned)), expected);
    }

    #[test]
    fn a_torsion_component_is_always_found() {
        let honest: Vec<EdwardsPoint> = (0..200u64)
            .map(|i| ED25519_BASEPOINT_POINT * scalar(i, b"p"))
            .collect();
        let clean: Vec<&EdwardsPoint> = honest.iter().collect();
        assert!(torsion_free(&clean));
        for (torsion, point) in EIGHT_TORSION.iter().enumerate().skip(1) {
            let bad = honest[17] + point;
            let mut points = clean.clone();
            points[17] = &bad;
            for _ in 0..8 {
                assert!(!torsion_free(&points), "torsion {torsion}");
            }
        }
    }
}

//! BBS signatures: the 80-byte [`Signature`] `(A, e)`, [`sign`] and [`verify`] (the draft's
//! Sign / Verify with the hash-to-scalar message mapping).

use blstrs::{G1Affine, G1Projective, Scalar};
use ff::Field;
use group::Curve;

use crate::ciphersuite::Ciphersuite;
use crate::domain::calculate_domain;
use crate::error::BbsError;
use crate::fixed_base::fixed_base_msm;
use crate::generators::{create_generators, fixed_base_tables, p1};
use crate::hash_to_scalar::{H2S_SUFFIX, hash_parts_to_scalar, messages_to_scalars};
use crate::keys::{PublicKey, SecretKey};
use crate::msm::{ct_mul, msm};
use crate::pairing_check::{pairing_product_is_identity, prepared_bp2};
use crate::point::{G1_LENGTH, g1_from_bytes};
use crate::scalar::{SCALAR_LENGTH, SecretScalar, nonzero_scalar_from_bytes};

/// Length of an encoded signature: a compressed G1 point and a scalar.
pub const SIGNATURE_LENGTH: usize = G1_LENGTH + SCALAR_LENGTH;

/// A BBS signature `(A, e)`: `A` in G1 (not the identity), `e` in `1..r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    a: G1Affine,
    e: Scalar,
}

impl Signature {
    /// `octets_to_signature`: decodes 80 bytes, validating `A` (on curve, subgroup, not the
    /// identity) and `e` (`0 < e < r`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BbsError> {
        if bytes.len() != SIGNATURE_LENGTH {
            return Err(BbsError::InvalidLength {
                what: "signature",
                expected: SIGNATURE_LENGTH,
                actual: bytes.len(),
            });
        }
        let (a_bytes, e_bytes) = bytes.split_at(G1_LENGTH);
        let a = g1_from_bytes(a_bytes, "signature A")?;
        let e = nonzero_scalar_from_bytes(e_bytes, "signature e")?;
        Ok(Self { a, e })
    }

    /// `signature_to_octets`: `A` compressed followed by `e` big-endian.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LENGTH] {
        let mut out = [0u8; SIGNATURE_LENGTH];
        let (a_out, e_out) = out.split_at_mut(G1_LENGTH);
        a_out.copy_from_slice(&self.a.to_compressed());
        e_out.copy_from_slice(&self.e.to_bytes_be());
        out
    }

    /// The point `A`.
    pub fn a(&self) -> &G1Affine {
        &self.a
    }

    /// The scalar `e`.
    pub fn e(&self) -> &Scalar {
        &self.e
    }
}

/// `B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L` (variable time: the precomputed
/// fixed-base tables, or the MSM for long generator lists).
pub(crate) fn compute_b<C: Ciphersuite>(
    generators: &[G1Projective],
    domain: &Scalar,
    messages: &[Scalar],
) -> Result<G1Projective, BbsError> {
    let mut points = Vec::with_capacity(messages.len() + 2);
    points.push(p1::<C>()?);
    points.extend_from_slice(generators);
    let mut scalars = Vec::with_capacity(messages.len() + 2);
    scalars.push(Scalar::ONE);
    scalars.push(*domain);
    scalars.extend_from_slice(messages);
    Ok(match fixed_base_tables::<C>(&points) {
        Some(tables) => fixed_base_msm(&tables, &scalars),
        None => msm(&points, &scalars),
    })
}

/// Sign: a signature of `messages` (each mapped with `map_message_to_scalar_as_hash`) under
/// `header`. Deterministic.
pub fn sign<C: Ciphersuite, M: AsRef<[u8]>>(
    secret_key: &SecretKey,
    public_key: &PublicKey,
    header: &[u8],
    messages: &[M],
) -> Result<Signature, BbsError> {
    let scalars = messages_to_scalars::<C, M>(messages)?;
    core_sign::<C>(secret_key, public_key, header, &scalars)
}

/// CoreSign over message scalars.
pub fn core_sign<C: Ciphersuite>(
    secret_key: &SecretKey,
    public_key: &PublicKey,
    header: &[u8],
    messages: &[Scalar],
) -> Result<Signature, BbsError> {
    let generators = create_generators::<C>(messages.len() + 1)?;
    let domain = calculate_domain::<C>(public_key, &generators, header)?;

    // e = hash_to_scalar(serialize((SK, msg_1, ..., msg_L, domain)), signature_dst)
    let sk_bytes = zeroize::Zeroizing::new(secret_key.to_bytes());
    let mut tail = Vec::with_capacity(SCALAR_LENGTH * (messages.len() + 1));
    for message in messages {
        tail.extend_from_slice(&message.to_bytes_be());
    }
    tail.extend_from_slice(&domain.to_bytes_be());
    let e = hash_parts_to_scalar::<C>(&[sk_bytes.as_ref(), &tail], &C::dst(H2S_SUFFIX))?;

    let b = compute_b::<C>(generators.points(), &domain, messages)?;
    // A = B * (SK + e)^-1, inversion and multiplication in constant time.
    let denominator = SecretScalar::new(secret_key.scalar() + e);
    let inverse: Option<Scalar> = denominator.expose().invert().into();
    let inverse = SecretScalar::new(inverse.ok_or(BbsError::ZeroScalar { what: "SK + e" })?);
    let a = ct_mul(&b, inverse.expose()).to_affine();
    Ok(Signature { a, e })
}

/// Verify: `Ok(())` when `signature` is a valid signature of `messages` under `header` and
/// `public_key`, [`BbsError::InvalidSignature`] when it is not.
pub fn verify<C: Ciphersuite, M: AsRef<[u8]>>(
    public_key: &PublicKey,
    signature: &Signature,
    header: &[u8],
    messages: &[M],
) -> Result<(), BbsError> {
    let scalars = messages_to_scalars::<C, M>(messages)?;
    core_verify::<C>(public_key, signature, header, &scalars)
}

/// CoreVerify over message scalars.
pub fn core_verify<C: Ciphersuite>(
    public_key: &PublicKey,
    signature: &Signature,
    header: &[u8],
    messages: &[Scalar],
) -> Result<(), BbsError> {
    let generators = create_generators::<C>(messages.len() + 1)?;
    let domain = calculate_domain::<C>(public_key, &generators, header)?;
    // e(A, W + BP2 * e) == e(B, BP2)  <=>  e(A, W) * e(A * e - B, BP2) == 1, so one MSM
    // computes A * e - P1 - Q_1 * domain - sum(H_i * msg_i) and no G2 arithmetic is needed.
    let mut points = Vec::with_capacity(messages.len() + 3);
    points.push(G1Projective::from(signature.a));
    points.push(p1::<C>()?);
    points.extend_from_slice(generators.points());
    let mut scalars = Vec::with_capacity(messages.len() + 3);
    scalars.push(signature.e);
    scalars.push(-Scalar::ONE);
    scalars.push(-domain);
    scalars.extend(messages.iter().map(|m| -m));
    let lhs = msm(&points, &scalars).to_affine();
    if pairing_product_is_identity(&[
        (&signature.a, public_key.prepared()),
        (&lhs, prepared_bp2()),
    ]) {
        Ok(())
    } else {
        Err(BbsError::InvalidSignature)
    }
}

//! BBS proofs of knowledge of a signature with selective disclosure: [`Proof`], [`proof_gen`]
//! and [`proof_verify`] (the draft's ProofGen / ProofVerify with the hash-to-scalar message
//! mapping).

use blstrs::{G1Affine, G1Projective, Scalar};
use ff::Field;
use group::{Curve, Group};
use subtle::ConstantTimeEq;

use crate::ciphersuite::Ciphersuite;
use crate::domain::calculate_domain;
use crate::error::BbsError;
use crate::generators::{create_generators, p1};
use crate::hash_to_scalar::{H2S_SUFFIX, hash_parts_to_scalar, messages_to_scalars};
use crate::keys::PublicKey;
use crate::msm::{ct_mul, msm};
use crate::pairing_check::{pairing_product_is_identity, prepared_neg_bp2};
use crate::point::{G1_LENGTH, g1_from_bytes};
use crate::random_scalars::{OsRandomScalars, RandomScalars};
use crate::scalar::{SCALAR_LENGTH, SecretScalar, nonzero_scalar_from_bytes};
use crate::signature::Signature;

/// Length of a proof that hides no message: 3 points and 4 scalars.
pub const MIN_PROOF_LENGTH: usize = 3 * G1_LENGTH + 4 * SCALAR_LENGTH;

/// A BBS proof `(A_bar, B_bar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), c)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    a_bar: G1Affine,
    b_bar: G1Affine,
    d: G1Affine,
    e_hat: Scalar,
    r1_hat: Scalar,
    r3_hat: Scalar,
    m_hat: Vec<Scalar>,
    challenge: Scalar,
}

impl Proof {
    /// `octets_to_proof`: decodes `144 + 32 * (4 + U)` bytes; every point must be valid, in
    /// the subgroup and not the identity, every scalar in `1..r`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BbsError> {
        let invalid_length = BbsError::InvalidProofLength {
            actual: bytes.len(),
        };
        if bytes.len() < MIN_PROOF_LENGTH
            || !(bytes.len() - 3 * G1_LENGTH).is_multiple_of(SCALAR_LENGTH)
        {
            return Err(invalid_length);
        }
        let (points, scalars) = bytes.split_at(3 * G1_LENGTH);
        let mut point_chunks = points.chunks_exact(G1_LENGTH);
        let mut next_point = |what| {
            point_chunks
                .next()
                .ok_or_else(|| invalid_length.clone())
                .and_then(|chunk| g1_from_bytes(chunk, what))
        };
        let a_bar = next_point("proof A_bar")?;
        let b_bar = next_point("proof B_bar")?;
        let d = next_point("proof D")?;
        let scalars: Vec<Scalar> = scalars
            .chunks_exact(SCALAR_LENGTH)
            .map(|chunk| nonzero_scalar_from_bytes(chunk, "proof scalar"))
            .collect::<Result<_, _>>()?;
        match scalars.as_slice() {
            [e_hat, r1_hat, r3_hat, m_hat @ .., challenge] => Ok(Self {
                a_bar,
                b_bar,
                d,
                e_hat: *e_hat,
                r1_hat: *r1_hat,
                r3_hat: *r3_hat,
                m_hat: m_hat.to_vec(),
                challenge: *challenge,
            }),
            _ => Err(BbsError::InvalidProofLength {
                actual: bytes.len(),
            }),
        }
    }

    /// `proof_to_octets`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_length());
        for point in [&self.a_bar, &self.b_bar, &self.d] {
            out.extend_from_slice(&point.to_compressed());
        }
        for scalar in [&self.e_hat, &self.r1_hat, &self.r3_hat]
            .into_iter()
            .chain(self.m_hat.iter())
            .chain(std::iter::once(&self.challenge))
        {
            out.extend_from_slice(&scalar.to_bytes_be());
        }
        out
    }

    /// Length of [`Proof::to_bytes`]: `144 + 32 * (4 + U)`.
    pub fn encoded_length(&self) -> usize {
        MIN_PROOF_LENGTH + SCALAR_LENGTH * self.m_hat.len()
    }

    /// U, the number of undisclosed messages the proof covers.
    pub fn undisclosed_count(&self) -> usize {
        self.m_hat.len()
    }

    /// The challenge `c`.
    pub fn challenge(&self) -> &Scalar {
        &self.challenge
    }
}

/// Checks that `indexes` are strictly increasing and below `message_count`.
pub fn check_disclosed_indexes(indexes: &[usize], message_count: usize) -> Result<(), BbsError> {
    let mut previous: Option<usize> = None;
    for &index in indexes {
        if index >= message_count {
            return Err(BbsError::DisclosedIndexOutOfRange {
                index,
                message_count,
            });
        }
        if previous.is_some_and(|p| p >= index) {
            return Err(BbsError::DisclosedIndexesNotSorted);
        }
        previous = Some(index);
    }
    Ok(())
}

/// ProofGen with random scalars from the OS RNG: a proof that discloses the messages at
/// `disclosed_indexes` (0-based, strictly increasing) of a signature over `messages`, bound
/// to `presentation_header`.
pub fn proof_gen<C: Ciphersuite, M: AsRef<[u8]>>(
    public_key: &PublicKey,
    signature: &Signature,
    header: &[u8],
    presentation_header: &[u8],
    messages: &[M],
    disclosed_indexes: &[usize],
) -> Result<Proof, BbsError> {
    proof_gen_with_random_scalars::<C, M, _>(
        public_key,
        signature,
        header,
        presentation_header,
        messages,
        disclosed_indexes,
        &mut OsRandomScalars,
    )
}

/// ProofGen with the random scalars taken from `random` (tests use the draft's seeded mock,
/// [`crate::random_scalars::SeededRandomScalars`], to reproduce the fixtures).
pub fn proof_gen_with_random_scalars<C: Ciphersuite, M: AsRef<[u8]>, R: RandomScalars>(
    public_key: &PublicKey,
    signature: &Signature,
    header: &[u8],
    presentation_header: &[u8],
    messages: &[M],
    disclosed_indexes: &[usize],
    random: &mut R,
) -> Result<Proof, BbsError> {
    check_disclosed_indexes(disclosed_indexes, messages.len())?;
    let scalars = messages_to_scalars::<C, M>(messages)?;
    core_proof_gen::<C, R>(
        public_key,
        signature,
        header,
        presentation_header,
        &scalars,
        disclosed_indexes,
        random,
    )
}

/// CoreProofGen over message scalars.
pub fn core_proof_gen<C: Ciphersuite, R: RandomScalars>(
    public_key: &PublicKey,
    signature: &Signature,
    header: &[u8],
    presentation_header: &[u8],
    messages: &[Scalar],
    disclosed_indexes: &[usize],
    random: &mut R,
) -> Result<Proof, BbsError> {
    let message_count = messages.len();
    check_disclosed_indexes(disclosed_indexes, message_count)?;
    let generators = create_generators::<C>(message_count + 1)?;
    let h = generators.message_generators();

    // Split into disclosed (public) and undisclosed (secret) messages.
    let mut is_disclosed = vec![false; message_count];
    for &i in disclosed_indexes {
        if let Some(flag) = is_disclosed.get_mut(i) {
            *flag = true;
        }
    }
    let undisclosed: Vec<usize> = (0..message_count)
        .filter(|&i| !is_disclosed.get(i).copied().unwrap_or(true))
        .collect();

    let random_scalars = random.random_scalars::<C>(5 + undisclosed.len())?;
    let [r1, r2, e_tilde, r1_tilde, r3_tilde, m_tilde @ ..] = random_scalars.as_slice() else {
        return Err(BbsError::ZeroScalar {
            what: "random scalars",
        });
    };

    let domain = calculate_domain::<C>(public_key, &generators, header)?;

    // B = P1 + Q_1 * domain + sum(H_i * msg_i): public part by MSM, undisclosed part in
    // constant time.
    let mut public_points = Vec::with_capacity(disclosed_indexes.len() + 2);
    let mut public_scalars = Vec::with_capacity(disclosed_indexes.len() + 2);
    public_points.push(p1::<C>()?);
    public_scalars.push(Scalar::ONE);
    if let Some(q1) = generators.q1() {
        public_points.push(*q1);
        public_scalars.push(domain);
    }
    for &i in disclosed_indexes {
        if let (Some(point), Some(message)) = (h.get(i), messages.get(i)) {
            public_points.push(*point);
            public_scalars.push(*message);
        }
    }
    let mut b = msm(&public_points, &public_scalars);
    let mut t2 = G1Projective::identity();
    for (&j, m_tilde_j) in undisclosed.iter().zip(m_tilde) {
        if let (Some(point), Some(message)) = (h.get(j), messages.get(j)) {
            b += ct_mul(point, message);
            t2 += ct_mul(point, m_tilde_j.expose());
        }
    }

    let a = G1Projective::from(signature.a());
    let e = signature.e();
    let r1r2 = SecretScalar::new(r1.expose() * r2.expose());
    let d = ct_mul(&b, r2.expose());
    let a_bar = ct_mul(&a, r1r2.expose());
    let b_bar = ct_mul(&d, r1.expose()) - ct_mul(&a_bar, e);
    let t1 = ct_mul(&a_bar, e_tilde.expose()) + ct_mul(&d, r1_tilde.expose());
    let t2 = t2 + ct_mul(&d, r3_tilde.expose());

    let mut affine = [G1Affine::default(); 5];
    G1Projective::batch_normalize(&[a_bar, b_bar, d, t1, t2], &mut affine);
    let [a_bar, b_bar, d, t1, t2] = affine;

    let disclosed: Vec<(usize, Scalar)> = disclosed_indexes
        .iter()
        .filter_map(|&i| messages.get(i).map(|m| (i, *m)))
        .collect();
    let challenge = calculate_challenge::<C>(
        &[a_bar, b_bar, d, t1, t2],
        &domain,
        &disclosed,
        presentation_header,
    )?;

    let r3: Option<Scalar> = r2.expose().invert().into();
    let r3 = SecretScalar::new(r3.ok_or(BbsError::ZeroScalar { what: "r2" })?);
    let e_hat = e_tilde.expose() + e * challenge;
    let r1_hat = r1_tilde.expose() - r1.expose() * challenge;
    let r3_hat = r3_tilde.expose() - r3.expose() * challenge;
    let m_hat = undisclosed
        .iter()
        .zip(m_tilde)
        .filter_map(|(&j, m_tilde_j)| messages.get(j).map(|m| m_tilde_j.expose() + m * challenge))
        .collect();

    Ok(Proof {
        a_bar,
        b_bar,
        d,
        e_hat,
        r1_hat,
        r3_hat,
        m_hat,
        challenge,
    })
}

/// ProofChallengeCalculate: `hash_to_scalar(serialize((R, i1, msg_i1, ..., iR, msg_iR,
/// A_bar, B_bar, D, T1, T2, domain)) || I2OSP(len(ph), 8) || ph, challenge_dst)`.
fn calculate_challenge<C: Ciphersuite>(
    points: &[G1Affine; 5],
    domain: &Scalar,
    disclosed: &[(usize, Scalar)],
    presentation_header: &[u8],
) -> Result<Scalar, BbsError> {
    let mut input = Vec::with_capacity(
        8 + disclosed.len() * 40 + 5 * G1_LENGTH + SCALAR_LENGTH + 8 + presentation_header.len(),
    );
    input.extend_from_slice(&(disclosed.len() as u64).to_be_bytes());
    for (index, message) in disclosed {
        input.extend_from_slice(&(*index as u64).to_be_bytes());
        input.extend_from_slice(&message.to_bytes_be());
    }
    for point in points {
        input.extend_from_slice(&point.to_compressed());
    }
    input.extend_from_slice(&domain.to_bytes_be());
    input.extend_from_slice(&(presentation_header.len() as u64).to_be_bytes());
    input.extend_from_slice(presentation_header);
    hash_parts_to_scalar::<C>(&[&input], &C::dst(H2S_SUFFIX))
}

/// ProofVerify: `Ok(())` when `proof` proves knowledge of a signature under `public_key` and
/// `header` over messages of which those at `disclosed_indexes` are `disclosed_messages`,
/// bound to `presentation_header`; [`BbsError::InvalidProof`] when it does not.
pub fn proof_verify<C: Ciphersuite, M: AsRef<[u8]>>(
    public_key: &PublicKey,
    proof: &Proof,
    header: &[u8],
    presentation_header: &[u8],
    disclosed_messages: &[M],
    disclosed_indexes: &[usize],
) -> Result<(), BbsError> {
    if disclosed_messages.len() != disclosed_indexes.len() {
        return Err(BbsError::DisclosedCountMismatch {
            messages: disclosed_messages.len(),
            indexes: disclosed_indexes.len(),
        });
    }
    let message_count = disclosed_indexes.len() + proof.m_hat.len();
    check_disclosed_indexes(disclosed_indexes, message_count)?;
    let scalars = messages_to_scalars::<C, M>(disclosed_messages)?;
    core_proof_verify::<C>(
        public_key,
        proof,
        header,
        presentation_header,
        &scalars,
        disclosed_indexes,
    )
}

/// CoreProofVerify over disclosed message scalars.
pub fn core_proof_verify<C: Ciphersuite>(
    public_key: &PublicKey,
    proof: &Proof,
    header: &[u8],
    presentation_header: &[u8],
    disclosed_messages: &[Scalar],
    disclosed_indexes: &[usize],
) -> Result<(), BbsError> {
    if disclosed_messages.len() != disclosed_indexes.len() {
        return Err(BbsError::DisclosedCountMismatch {
            messages: disclosed_messages.len(),
            indexes: disclosed_indexes.len(),
        });
    }
    let message_count = disclosed_indexes.len() + proof.m_hat.len();
    check_disclosed_indexes(disclosed_indexes, message_count)?;
    let generators = create_generators::<C>(message_count + 1)?;
    let h = generators.message_generators();
    let domain = calculate_domain::<C>(public_key, &generators, header)?;
    let c = proof.challenge;

    // T1 = B_bar * c + A_bar * e^ + D * r1^
    let a_bar = G1Projective::from(proof.a_bar);
    let b_bar = G1Projective::from(proof.b_bar);
    let d = G1Projective::from(proof.d);
    let t1 = msm(&[b_bar, a_bar, d], &[c, proof.e_hat, proof.r1_hat]);

    // T2 = (P1 + Q_1 * domain + sum(H_i * msg_i)) * c + D * r3^ + sum(H_j * m^_j), one MSM.
    let mut points = Vec::with_capacity(message_count + 3);
    let mut scalars = Vec::with_capacity(message_count + 3);
    points.push(p1::<C>()?);
    scalars.push(c);
    if let Some(q1) = generators.q1() {
        points.push(*q1);
        scalars.push(domain * c);
    }
    let mut disclosed_iter = disclosed_indexes.iter().zip(disclosed_messages).peekable();
    let mut m_hat_iter = proof.m_hat.iter();
    for (index, point) in h.iter().enumerate() {
        points.push(*point);
        match disclosed_iter.peek() {
            Some(&(&i, message)) if i == index => {
                scalars.push(*message * c);
                disclosed_iter.next();
            }
            _ => scalars.push(m_hat_iter.next().copied().unwrap_or(Scalar::ZERO)),
        }
    }
    points.push(d);
    scalars.push(proof.r3_hat);
    let t2 = msm(&points, &scalars);

    let mut affine = [G1Affine::default(); 2];
    G1Projective::batch_normalize(&[t1, t2], &mut affine);
    let [t1, t2] = affine;
    let disclosed: Vec<(usize, Scalar)> = disclosed_indexes
        .iter()
        .copied()
        .zip(disclosed_messages.iter().copied())
        .collect();
    let challenge = calculate_challenge::<C>(
        &[proof.a_bar, proof.b_bar, proof.d, t1, t2],
        &domain,
        &disclosed,
        presentation_header,
    )?;
    if !bool::from(challenge.ct_eq(&c)) {
        return Err(BbsError::InvalidProof);
    }
    if pairing_product_is_identity(&[
        (&proof.a_bar, public_key.prepared()),
        (&proof.b_bar, prepared_neg_bp2()),
    ]) {
        Ok(())
    } else {
        Err(BbsError::InvalidProof)
    }
}

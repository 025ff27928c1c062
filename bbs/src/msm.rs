//! Multi-scalar multiplication over G1 (blst's Straus / Pippenger). **Variable time**: use it
//! only on public scalars; secret scalars go through [`ct_mul`].

use blstrs::{G1Projective, Scalar};
use group::Group;

/// `sum(points[i] * scalars[i])`, variable time (public inputs only).
pub(crate) fn msm(points: &[G1Projective], scalars: &[Scalar]) -> G1Projective {
    match points.len().min(scalars.len()) {
        0 => G1Projective::identity(),
        1 => match (points.first(), scalars.first()) {
            (Some(p), Some(s)) => p * s,
            _ => G1Projective::identity(),
        },
        _ => G1Projective::multi_exp(points, scalars),
    }
}

/// `point * scalar` with blst's constant-time scalar multiplication (for secret scalars).
pub(crate) fn ct_mul(point: &G1Projective, scalar: &Scalar) -> G1Projective {
    point * scalar
}

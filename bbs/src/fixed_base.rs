//! Fixed-base multiplication for the ciphersuite's constant points (`P1` and the generators
//! `Q_1, H_1, ...`): precomputed tables turn `sum(G_i * s_i)` into additions only, with no
//! doublings. **Variable time** (the table index depends on the scalar): public scalars only,
//! like [`msm`](crate::msm::msm).
//!
//! A scalar `s < 2^255` is recoded into 33 signed radix-2^8 digits `d_k` in `[-128, 127]`
//! (`s = sum(d_k * 2^(8k))`, the last digit 0 or 1). The table of a point `G` holds, for every
//! window `k` in `0..33`, the affine points `d * 2^(8k) * G` for `d` in `1..=128`
//! (33 * 128 points, 396 KiB). Then `G * s = sum(sign(d_k) * T[k][|d_k| - 1])`: at most 33
//! mixed additions per point, against ~255 doublings plus ~64 additions for a windowed
//! multiplication. Tables are built once per process, on first use, for the first
//! [`MAX_TABLED`] generators of a ciphersuite; longer generator lists fall back to the MSM.

use std::sync::{Arc, RwLock};

use blstrs::{G1Affine, G1Projective, Scalar};
use group::{Curve, Group};

/// Bits per window.
const WINDOW_BITS: usize = 8;
/// Table entries per window: `d * 2^(8k) * G` for `d` in `1..=128`.
const ENTRIES: usize = 1 << (WINDOW_BITS - 1);
/// Windows: 32 for the 256-bit little-endian encoding plus one for the final carry.
const WINDOWS: usize = 33;
/// How many generators of a ciphersuite get a table (each 396 KiB); beyond, the MSM serves.
pub(crate) const MAX_TABLED: usize = 32;

/// The precomputed multiples of one point.
#[derive(Debug)]
pub(crate) struct FixedBaseTable {
    /// `WINDOWS * ENTRIES` points: entry `k * ENTRIES + (d - 1)` is `d * 2^(8k) * G`.
    points: Vec<G1Affine>,
}

impl FixedBaseTable {
    /// The table of `point`.
    pub(crate) fn new(point: &G1Projective) -> Self {
        let mut projective = Vec::with_capacity(WINDOWS * ENTRIES);
        let mut base = *point;
        for _ in 0..WINDOWS {
            let mut multiple = base;
            for _ in 0..ENTRIES {
                projective.push(multiple);
                multiple += base;
            }
            // multiple = (ENTRIES + 1) * base; the next window's base is 2^8 * base.
            for _ in 0..WINDOW_BITS {
                base = base.double();
            }
        }
        let mut points = vec![G1Affine::default(); projective.len()];
        G1Projective::batch_normalize(&projective, &mut points);
        Self { points }
    }

    /// Adds `G * scalar` to `acc`.
    fn accumulate(&self, acc: &mut G1Projective, scalar: &Scalar) {
        for (k, digit) in signed_digits(scalar).iter().enumerate() {
            let magnitude = digit.unsigned_abs() as usize;
            if magnitude == 0 {
                continue;
            }
            if let Some(entry) = self.points.get(k * ENTRIES + magnitude - 1) {
                if *digit < 0 {
                    *acc += &(-entry);
                } else {
                    *acc += entry;
                }
            }
        }
    }
}

/// The signed radix-2^8 digits of `scalar`, least significant first.
fn signed_digits(scalar: &Scalar) -> [i16; WINDOWS] {
    let bytes = scalar.to_bytes_le();
    let mut digits = [0i16; WINDOWS];
    let mut carry = 0i16;
    for (digit, byte) in digits.iter_mut().zip(bytes.iter()) {
        let value = i16::from(*byte) + carry;
        if value >= ENTRIES as i16 {
            *digit = value - (1 << WINDOW_BITS);
            carry = 1;
        } else {
            *digit = value;
            carry = 0;
        }
    }
    digits[WINDOWS - 1] = carry;
    digits
}

/// `sum(tables[i] * scalars[i])` over the shorter of the two lists.
pub(crate) fn fixed_base_msm(tables: &[Arc<FixedBaseTable>], scalars: &[Scalar]) -> G1Projective {
    let mut acc = G1Projective::identity();
    for (table, scalar) in tables.iter().zip(scalars) {
        table.accumulate(&mut acc, scalar);
    }
    acc
}

/// The tables of a ciphersuite's constant points, built on demand: `P1` then the generators in
/// order. One static instance per ciphersuite (inside its generator cache).
#[derive(Debug, Default)]
pub(crate) struct TableCache {
    tables: RwLock<Vec<Arc<FixedBaseTable>>>,
}

impl TableCache {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Self {
            tables: RwLock::new(Vec::new()),
        }
    }

    /// The tables of `points` (which must be the same prefix of the same sequence on every
    /// call), or `None` when there are more than the cache keeps.
    pub(crate) fn tables(&self, points: &[G1Projective]) -> Option<Vec<Arc<FixedBaseTable>>> {
        if points.len() > MAX_TABLED + 1 {
            return None;
        }
        {
            let guard = self.tables.read().unwrap_or_else(|e| e.into_inner());
            if guard.len() >= points.len() {
                return guard.get(..points.len()).map(<[_]>::to_vec);
            }
        }
        let mut guard = self.tables.write().unwrap_or_else(|e| e.into_inner());
        while guard.len() < points.len() {
            let point = points.get(guard.len())?;
            guard.push(Arc::new(FixedBaseTable::new(point)));
        }
        guard.get(..points.len()).map(<[_]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn signed_digits_recompose_the_scalar() {
        let mut rng = StdRng::seed_from_u64(7);
        for scalar in [Scalar::ZERO, Scalar::ONE, -Scalar::ONE]
            .into_iter()
            .chain((0..50).map(|_| Scalar::random(&mut rng)))
        {
            let mut recomposed = Scalar::ZERO;
            let radix = Scalar::from(1u64 << WINDOW_BITS);
            for digit in signed_digits(&scalar).iter().rev() {
                let magnitude = Scalar::from(u64::from(digit.unsigned_abs()));
                let term = if *digit < 0 { -magnitude } else { magnitude };
                recomposed = recomposed * radix + term;
            }
            assert_eq!(recomposed, scalar);
        }
    }

    #[test]
    fn table_sums_equal_plain_scalar_multiplication() {
        let mut rng = StdRng::seed_from_u64(11);
        let points: Vec<G1Projective> = (0..3).map(|_| G1Projective::random(&mut rng)).collect();
        let tables: Vec<Arc<FixedBaseTable>> = points
            .iter()
            .map(|p| Arc::new(FixedBaseTable::new(p)))
            .collect();
        for scalars in [
            vec![Scalar::ZERO, Scalar::ONE, -Scalar::ONE],
            (0..3).map(|_| Scalar::random(&mut rng)).collect(),
        ] {
            let expected = points
                .iter()
                .zip(&scalars)
                .fold(G1Projective::identity(), |acc, (p, s)| acc + p * s);
            assert_eq!(fixed_base_msm(&tables, &scalars), expected);
        }
    }
}

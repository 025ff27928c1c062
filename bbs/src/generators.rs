//! `create_generators` of the draft, with a process-wide cache per ciphersuite: the generator
//! sequence is deterministic and every call with `count` returns a prefix of the longest
//! sequence computed so far, so it is computed once and extended on demand.

use std::sync::{Arc, OnceLock, RwLock};

use blstrs::{G1Affine, G1Projective};
use group::Curve;

use crate::ciphersuite::{Ciphersuite, EXPAND_LENGTH};
use crate::error::BbsError;
use crate::fixed_base::{FixedBaseTable, TableCache};

/// Generators `Q_1, H_1, ..., H_L` of one ciphersuite (at least `count` of them), with their
/// compressed encodings (used when hashing the domain).
#[derive(Debug, Clone)]
pub struct Generators {
    state: Arc<Sequence>,
    count: usize,
}

#[derive(Debug, Default)]
struct Sequence {
    /// The running `v` of the generator derivation (state after the last generator).
    v: Vec<u8>,
    points: Vec<G1Projective>,
    affine: Vec<G1Affine>,
    compressed: Vec<[u8; 48]>,
}

impl Generators {
    /// How many generators (`Q_1` plus message generators).
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no generators.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `Q_1`, the domain generator.
    pub fn q1(&self) -> Option<&G1Projective> {
        self.points().first()
    }

    /// All generators `Q_1, H_1, ..., H_L` as projective points.
    pub fn points(&self) -> &[G1Projective] {
        self.state.points.get(..self.count).unwrap_or(&[])
    }

    /// All generators as affine points.
    pub fn affine(&self) -> &[G1Affine] {
        self.state.affine.get(..self.count).unwrap_or(&[])
    }

    /// Compressed encodings of all generators.
    pub fn compressed(&self) -> &[[u8; 48]] {
        self.state.compressed.get(..self.count).unwrap_or(&[])
    }

    /// The message generators `H_1, ..., H_L`.
    pub fn message_generators(&self) -> &[G1Projective] {
        self.points().get(1..).unwrap_or(&[])
    }
}

/// The cache behind [`create_generators`]; one static instance per ciphersuite.
#[derive(Debug)]
pub struct GeneratorCache {
    inner: RwLock<Option<Arc<Sequence>>>,
    p1: OnceLock<G1Projective>,
    /// Fixed-base tables of `P1, Q_1, H_1, ...` (see [`crate::fixed_base`]).
    tables: TableCache,
}

impl GeneratorCache {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            inner: RwLock::new(None),
            p1: OnceLock::new(),
            tables: TableCache::new(),
        }
    }
}

/// The ciphersuite's base point P1, decoded once.
pub(crate) fn p1<C: Ciphersuite>() -> Result<G1Projective, BbsError> {
    let cache = C::generator_cache();
    if let Some(point) = cache.p1.get() {
        return Ok(*point);
    }
    let point = G1Projective::from(crate::point::g1_from_bytes(&C::P1, "P1")?);
    Ok(*cache.p1.get_or_init(|| point))
}

/// The fixed-base tables of `P1, Q_1, H_1, ..., H_(count-1)` (`points` must be exactly those
/// points), or `None` when there are more generators than get tables.
pub(crate) fn fixed_base_tables<C: Ciphersuite>(
    points: &[G1Projective],
) -> Option<Vec<Arc<FixedBaseTable>>> {
    C::generator_cache().tables.tables(points)
}

impl Default for GeneratorCache {
    fn default() -> Self {
        Self::new()
    }
}

/// `create_generators(count, api_id)`: `count` generators of the ciphersuite (`Q_1` then the
/// message generators), served from the cache when possible.
pub fn create_generators<C: Ciphersuite>(count: usize) -> Result<Generators, BbsError> {
    let cache = C::generator_cache();
    {
        let guard = cache.inner.read().unwrap_or_else(|e| e.into_inner());
        if let Some(sequence) = guard.as_ref()
            && sequence.points.len() >= count
        {
            return Ok(Generators {
                state: Arc::clone(sequence),
                count,
            });
        }
    }
    let mut guard = cache.inner.write().unwrap_or_else(|e| e.into_inner());
    let current = guard.clone();
    let state = match current {
        Some(sequence) if sequence.points.len() >= count => sequence,
        other => {
            let extended = Arc::new(extend::<C>(other.as_deref(), count)?);
            *guard = Some(Arc::clone(&extended));
            extended
        }
    };
    Ok(Generators { state, count })
}

fn extend<C: Ciphersuite>(previous: Option<&Sequence>, count: usize) -> Result<Sequence, BbsError> {
    let seed_dst = C::dst(b"SIG_GENERATOR_SEED_");
    let generator_dst = C::dst(b"SIG_GENERATOR_DST_");
    let (mut v, mut points) = match previous {
        Some(sequence) => (sequence.v.clone(), sequence.points.clone()),
        None => {
            let generator_seed = C::dst(b"MESSAGE_GENERATOR_SEED");
            (
                C::expand_message(&[&generator_seed], &seed_dst, EXPAND_LENGTH)?,
                Vec::new(),
            )
        }
    };
    points.reserve(count.saturating_sub(points.len()));
    while points.len() < count {
        let i = (points.len() as u64) + 1;
        v = C::expand_message(&[&v, &i.to_be_bytes()], &seed_dst, EXPAND_LENGTH)?;
        points.push(C::hash_to_curve_g1(&v, &generator_dst)?);
    }
    let mut affine = vec![G1Affine::default(); points.len()];
    G1Projective::batch_normalize(&points, &mut affine);
    let compressed = affine.iter().map(G1Affine::to_compressed).collect();
    Ok(Sequence {
        v,
        points,
        affine,
        compressed,
    })
}

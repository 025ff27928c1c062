//! Products of pairings compared with the identity of GT, with one shared final
//! exponentiation and the prepared base point of G2 cached.

use std::sync::OnceLock;

use blstrs::{Bls12, G1Affine, G2Affine, G2Prepared};
use group::Group;
use group::prime::PrimeCurveAffine;
use pairing::{MillerLoopResult, MultiMillerLoop};

/// `BP2` (the G2 generator), prepared for Miller loops.
pub(crate) fn prepared_bp2() -> &'static G2Prepared {
    static BP2: OnceLock<G2Prepared> = OnceLock::new();
    BP2.get_or_init(|| G2Prepared::from(G2Affine::generator()))
}

/// `-BP2`, prepared for Miller loops.
pub(crate) fn prepared_neg_bp2() -> &'static G2Prepared {
    static NEG_BP2: OnceLock<G2Prepared> = OnceLock::new();
    NEG_BP2.get_or_init(|| G2Prepared::from(-G2Affine::generator()))
}

/// True when `prod e(P_i, Q_i) == 1` in GT.
pub(crate) fn pairing_product_is_identity(terms: &[(&G1Affine, &G2Prepared)]) -> bool {
    bool::from(
        Bls12::multi_miller_loop(terms)
            .final_exponentiation()
            .is_identity(),
    )
}

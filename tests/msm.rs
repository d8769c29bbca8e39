//! The patched multi-scalar multiplication (third_party/halo2curves-axiom, FORK.md item 3):
//! from 2,981 points on, `msm_best` takes the batch-affine algorithm, whose batched additions
//! have special cases (doubling, `P + (-P)`) that SRS bases never reach. These MSMs are built to
//! reach them, and checked against a plain sum of scalar multiplications.

use halo2curves::bn256::{Fr, G1, G1Affine};
use halo2curves::ff::Field;
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::group::{Curve, Group};
use halo2curves::msm::msm_best;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn plain(scalars: &[Fr], bases: &[G1Affine]) -> G1Affine {
    scalars
        .iter()
        .zip(bases)
        .fold(G1::identity(), |acc, (s, b)| acc + b * s)
        .to_affine()
}

/// `n` bases drawn from `distinct` points, every third one negated; scalars random, small, zero
/// and +-1 in turn.
fn case(rng: &mut ChaCha20Rng, n: usize, distinct: usize) -> (Vec<Fr>, Vec<G1Affine>) {
    let pool: Vec<G1Affine> = (0..distinct)
        .map(|_| (G1::generator() * Fr::random(&mut *rng)).to_affine())
        .collect();
    let bases = (0..n)
        .map(|i| match i % 3 {
            1 => -pool[i % distinct],
            _ => pool[i % distinct],
        })
        .collect();
    let scalars = (0..n)
        .map(|i| match i % 5 {
            0 => Fr::random(&mut *rng),
            1 => Fr::from(rng.gen_range(0..300u64)),
            2 => Fr::ZERO,
            3 => Fr::ONE,
            _ => -Fr::ONE,
        })
        .collect();
    (scalars, bases)
}

#[test]
fn batch_affine_msm_handles_doubling_and_cancellation() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    // The threshold, the prover's size, and bases from 1, 3 or many distinct points (one point
    // and its negation in every batch: doubling and cancellation on most additions).
    for (n, distinct) in [
        (2_981, 2_981),
        (4_096, 1),
        (4_096, 3),
        (4_096, 64),
        (5_000, 17),
    ] {
        let (scalars, bases) = case(&mut rng, n, distinct);
        assert_eq!(
            msm_best(&scalars, &bases).to_affine(),
            plain(&scalars, &bases),
            "{n} points from {distinct}"
        );
    }
}

#[test]
fn a_point_at_infinity_takes_the_projective_path() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let (scalars, mut bases) = case(&mut rng, 4_096, 4_096);
    bases[100] = G1Affine::identity();
    assert_eq!(
        msm_best(&scalars, &bases).to_affine(),
        plain(&scalars, &bases)
    );
}

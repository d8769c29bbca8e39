//! The one multi-scalar multiplication: every commitment with its scalar (the quotient's
//! pieces with powers of `x^n`), then `-r G1`, `-Z_0 W` and `u W'`, as `ecMul`/`ecAdd`
//! precompile calls; a scalar of 1 needs no multiplication.

use super::dag::{Code, Dag, N, Op};
use super::layout::Layout;
use super::opening::Opening;
use super::{Commitment, Shape, g1};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2curves::ff::Field;

/// The MSM: its Yul, how many points it has, and the scalars that need a slot (the caller
/// emits them with the rest of the arithmetic).
pub(super) struct Msm {
    pub(super) lines: Vec<String>,
    pub(super) points: usize,
    pub(super) scalar_slots: Vec<(String, N)>,
}

/// Lays out the MSM over the opening's scalars.
pub(super) fn msm(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    shape: &Shape,
    layout: &Layout,
    opening: Opening,
    dag: &mut Dag,
    code: &mut Code,
) -> Msm {
    let mut outputs: Vec<(String, N)> = Vec::new();
    let xn = dag.mem("XN");
    let fixed_comms = vk.fixed_commitments();
    let sigma_comms = vk.permutation().commitments();
    let at_cd = |o: usize| {
        (
            format!("calldataload({o:#x})"),
            format!("calldataload({:#x})", o + 32),
        )
    };
    let mut terms_msm: Vec<((String, String), N)> = Vec::new();
    for (c, s) in opening.scalars {
        let point = match c {
            Commitment::Advice(i) => at_cd(layout.advice_comm[&i]),
            Commitment::Fixed(i) => g1(&fixed_comms[i]),
            Commitment::Sigma(i) => g1(&sigma_comms[i]),
            Commitment::PermutationProduct(i) => at_cd(layout.perm_products + 64 * i),
            Commitment::LookupInput(i) => at_cd(layout.lookup_permuted + 128 * i),
            Commitment::LookupTable(i) => at_cd(layout.lookup_permuted + 128 * i + 64),
            Commitment::LookupProduct(i) => at_cd(layout.lookup_products + 64 * i),
            Commitment::Random => at_cd(layout.random),
            Commitment::Quotient => {
                // h = sum_j x^(n j) H_j: piece j's scalar is the set's times x^(n j).
                let mut sj = s;
                for j in 0..shape.num_quotients {
                    if j > 0 {
                        sj = dag.mul(sj, xn);
                    }
                    terms_msm.push((at_cd(layout.quotients + 64 * j), sj));
                }
                continue;
            }
        };
        terms_msm.push((point, s));
    }
    let neg_r = dag.neg(opening.r_outer);
    terms_msm.push((g1(&params.get_g()[0]), neg_r));
    let neg_z0 = dag.neg(opening.z_0);
    terms_msm.push((at_cd(layout.w), neg_z0));
    let u = dag.mem("U");
    terms_msm.push((at_cd(layout.w_prime), u));
    let mut msm: Vec<String> = Vec::new();
    for (i, ((x, y), s)) in terms_msm.iter().enumerate() {
        let unit = dag.value(*s) == Some(Fr::ONE);
        let scalar = if unit || matches!(dag.ops[s.0], Op::Leaf(_)) {
            None
        } else {
            let name = code.slot(format!("S_{i}"));
            outputs.push((name.clone(), *s));
            Some(format!("mload({name})"))
        };
        let scalar = scalar.or_else(|| match &dag.ops[s.0] {
            Op::Leaf(l) => Some(l.clone()),
            _ => None,
        });
        const MUL_AT_0: &str =
            "if iszero(staticcall(gas(), 0x07, 0x00, 0x60, 0x00, 0x40)) { invalid() }";
        const MUL_AT_80: &str =
            "if iszero(staticcall(gas(), 0x07, 0x80, 0x60, 0x40, 0x40)) { invalid() }";
        const ADD: &str =
            "if iszero(staticcall(gas(), 0x06, 0x00, 0x80, 0x00, 0x40)) { invalid() }";
        match (i, scalar) {
            (0, None) => msm.push(format!("mstore(0x00, {x}) mstore(0x20, {y})")),
            (0, Some(s)) => {
                msm.push(format!(
                    "mstore(0x00, {x}) mstore(0x20, {y}) mstore(0x40, {s})"
                ));
                msm.push(MUL_AT_0.into());
            }
            (_, Some(s)) => {
                msm.push(format!(
                    "mstore(0x80, {x}) mstore(0xa0, {y}) mstore(0xc0, {s})"
                ));
                msm.push(MUL_AT_80.into());
                msm.push(ADD.into());
            }
            (_, None) => {
                msm.push(format!("mstore(0x40, {x}) mstore(0x60, {y})"));
                msm.push(ADD.into());
            }
        }
    }
    Msm {
        lines: msm,
        points: terms_msm.len(),
        scalar_slots: outputs,
    }
}

//! The project's Solidity verifier generator: numbers and straight-line arithmetic here, layout
//! in `templates/Halo2Verifier.sol` (askama).
//!
//! The generated contract verifies exactly what [`crate::prover::verify`] verifies: halo2-axiom's
//! PLONK protocol with KZG over BN254, the SHPLONK multi-opening, and the Keccak transcript of
//! [`crate::prover::transcript`], so the same proof bytes verify natively and on chain. This
//! module walks the verifying key the way halo2-axiom's verifier does and computes, for the
//! template:
//! - the calldata layout (public inputs, then every commitment and evaluation of the proof) and
//!   the exact calldata length;
//! - the transcript: which calldata ranges are absorbed before each challenge;
//! - the quotient check: the gates, the permutation argument and the lookups as straight-line
//!   Yul over the evaluations, shared subexpressions computed once;
//! - the SHPLONK opening: the rotation sets and their interpolation constants, the scalar of
//!   every commitment in the final multi-scalar multiplication, and the pairing.
//!
//! Everything is resolved at generation time; the contract has no loops over the proof's shape.

//!
//! One module per concern: [`layout`] (calldata and transcript), [`denominators`] (everything
//! inverted, at once), [`quotient`] (gates, permutation, lookups), [`opening`] (SHPLONK),
//! [`msm`] (the final multi-scalar multiplication), [`template`] (the contract's text); [`dag`]
//! is the arithmetic they share.

mod dag;
mod denominators;
mod layout;
mod msm;
mod opening;
mod quotient;
mod template;

use super::EvmError;
use askama::Template;
use dag::{Code, Dag, N};
use halo2_proofs::plonk::{Any, Column, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::CurveAffine;
use halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2curves::ff::{Field, PrimeField};

/// The generated verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    /// `Halo2Verifier.sol`.
    pub solidity: String,
    /// The calldata length it accepts: 32 bytes per public input, then the proof.
    pub calldata_len: usize,
    /// Points in the final multi-scalar multiplication (one `ecMul` each but the first).
    pub msm_points: usize,
}

fn hex_u256(bytes_le: &[u8]) -> String {
    let mut be = bytes_le.to_vec();
    be.reverse();
    let s = hex::encode(be);
    let s = s.trim_start_matches('0');
    format!("0x{}", if s.is_empty() { "0" } else { s })
}

fn fr(v: &Fr) -> String {
    hex_u256(v.to_repr().as_ref())
}

fn fq(v: &Fq) -> String {
    hex_u256(v.to_repr().as_ref())
}

fn g1(p: &G1Affine) -> (String, String) {
    match Option::<halo2curves::Coordinates<G1Affine>>::from(p.coordinates()) {
        Some(c) => (fq(c.x()), fq(c.y())),
        None => ("0x0".into(), "0x0".into()),
    }
}

/// A G2 point in the pairing precompile's order: `x.c1, x.c0, y.c1, y.c0`.
fn g2(p: &G2Affine) -> [String; 4] {
    [fq(&p.x.c1), fq(&p.x.c0), fq(&p.y.c1), fq(&p.y.c0)]
}

/// A commitment of the protocol, by role (halo2 tells commitments apart by position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Commitment {
    Advice(usize),
    Fixed(usize),
    Sigma(usize),
    PermutationProduct(usize),
    LookupInput(usize),
    LookupTable(usize),
    LookupProduct(usize),
    Quotient,
    Random,
}

/// One opening query: a commitment's evaluation at `x omega^rotation`.
#[derive(Clone, Debug)]
struct Query {
    commitment: Commitment,
    rotation: i32,
    eval: N,
}

/// A rotation set: the rotations (sorted) and the commitments opened at exactly those.
type RotationSet = (Vec<i32>, Vec<Commitment>);

/// Sets this wide interpolate with inverses of `u - x omega^r` (fewer multiplications).
const WIDE: usize = 4;

/// The verifying key's shape, as the verifier walks it.
struct Shape {
    /// Domain size `2^k`.
    n: u64,
    omega: Fr,
    /// The last usable row's rotation (`-(blinding + 1)`).
    last: i32,
    /// Permutation columns per product (`degree - 2`).
    chunk: usize,
    perm_columns: Vec<Column<Any>>,
    num_sets: usize,
    num_lookups: usize,
    num_quotients: usize,
}

impl Shape {
    fn of(vk: &VerifyingKey<G1Affine>) -> Shape {
        let cs = vk.cs();
        let domain = vk.get_domain();
        let degree = cs.degree();
        let chunk = degree - 2;
        let perm_columns = cs.permutation().get_columns();
        Shape {
            n: 1u64 << domain.k(),
            omega: domain.get_omega(),
            last: -((cs.blinding_factors() + 1) as i32),
            chunk,
            num_sets: perm_columns.len().div_ceil(chunk),
            perm_columns,
            num_lookups: cs.lookups().len(),
            num_quotients: degree - 1,
        }
    }

    /// `omega^r`, negative rotations wrapping around the domain.
    fn omega_pow(&self, r: i32) -> Fr {
        self.omega
            .pow_vartime([(i64::from(r)).rem_euclid(self.n as i64) as u64])
    }
}

/// A rotation's name in slot names (`M2` for -2).
fn rot_name(r: i32) -> String {
    if r < 0 {
        format!("M{}", -r)
    } else {
        r.to_string()
    }
}

/// Generates the verifier for a verifying key and the parameters' `g[0]`, `g2`, `s_g2`.
pub fn generate(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<Verifier, EvmError> {
    let cs = vk.cs();
    if cs.num_instance_columns() != 1 || num_instances == 0 {
        return Err(EvmError::UnsupportedKey(
            "exactly one instance column with public inputs is supported".into(),
        ));
    }
    let shape = Shape::of(vk);
    let mut code = Code::default();
    // The arithmetic after the one batch inversion; the layout below names its leaves.
    let mut dag = Dag::default();
    let layout = layout::Layout::new(cs, &shape, num_instances, &mut code, &mut dag)?;
    let sets = opening::rotation_sets(&layout.queries);
    let inverted = denominators::invert_all(&shape, &sets, num_instances, &mut code);
    let mut outputs: Vec<(String, N)> = Vec::new();
    quotient::evaluate(
        cs,
        &shape,
        &layout,
        num_instances,
        &mut dag,
        &mut code,
        &mut outputs,
    )?;
    let opened = opening::shplonk(&shape, &sets, &layout.queries, &mut dag)?;
    let msm = msm::msm(params, vk, &shape, &layout, opened, &mut dag, &mut code);
    outputs.extend(msm.scalar_slots);
    code.emit(&dag, &outputs);
    let arithmetic = std::mem::take(&mut code.lines);
    let (transcript, buffer_size) = template::transcript(&layout);
    let solidity = template::Halo2VerifierTemplate {
        calldata_len: layout.calldata_len,
        num_instances,
        vk_digest: fr(&vk.transcript_repr()),
        constants: Vec::new(),
        memory: template::memory(&code, buffer_size),
        buffer_size,
        points: layout.points.clone(),
        scalars: (0..num_instances)
            .map(|i| 32 * i)
            .chain((layout.evals_start..layout.evals_end).step_by(32))
            .collect(),
        transcript,
        denominators: inverted.denominators,
        inversion: inverted.inversion,
        arithmetic,
        msm: msm.lines,
        w_prime: layout.w_prime,
        g2: g2(&params.g2()),
        neg_s_g2: g2(&-params.s_g2()),
    }
    .render()
    .map_err(|source| EvmError::Template {
        what: "Halo2Verifier.sol",
        source,
    })?;
    Ok(Verifier {
        solidity,
        calldata_len: layout.calldata_len,
        msm_points: msm.points,
    })
}

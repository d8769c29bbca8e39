//! MockProver tests of the whole circuit: honest witnesses satisfy every constraint; one wrong
//! witness cell fails the named constraint at its row; a wrong claim that keeps every other
//! cell consistent fails the Freivalds identity. Rows come from the circuit's [`Plan`].

use crate::common;

use halo2_proofs::dev::{AdviceCellValue, MockProver, VerifyFailure};
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use std::sync::OnceLock;
use zkmnist::circuit::layers::conv::requant_parts;
use zkmnist::circuit::plan::{PERMUTATION_ROWS, PUBLIC_ROWS, Plan};
use zkmnist::circuit::rows::GateParams;
use zkmnist::circuit::{Witness, ZkmnistCircuit, ZkmnistConfig};
use zkmnist::data::Split;

/// One advice cell overwritten after honest assignment: how these tests show that a single
/// wrong witness value breaks a named constraint.
#[derive(Clone, Copy, Debug)]
struct Tamper {
    column: Column<Advice>,
    /// The row (the whole circuit is one region starting at row 0).
    row: usize,
    value: Fr,
}

/// The circuit with some witness cells overwritten (the hook lives here, not in the
/// production type). A tampered circuit never proves.
#[derive(Clone, Debug)]
struct Tampered {
    circuit: ZkmnistCircuit,
    cells: Vec<Tamper>,
}

trait WithTamper {
    fn with_tamper(&self, t: Tamper) -> Tampered;
}

impl WithTamper for ZkmnistCircuit {
    fn with_tamper(&self, t: Tamper) -> Tampered {
        Tampered {
            circuit: self.clone(),
            cells: vec![t],
        }
    }
}

impl Tampered {
    fn with_tamper(mut self, t: Tamper) -> Tampered {
        self.cells.push(t);
        self
    }
}

impl Circuit<Fr> for Tampered {
    type Config = ZkmnistConfig;
    type FloorPlanner = halo2_proofs::circuit::SimpleFloorPlanner;
    type Params = GateParams;

    fn without_witnesses(&self) -> Self {
        Tampered {
            circuit: self.circuit.without_witnesses(),
            cells: Vec::new(),
        }
    }

    fn params(&self) -> GateParams {
        self.circuit.params()
    }

    fn configure(_: &mut ConstraintSystem<Fr>) -> ZkmnistConfig {
        unreachable!("configured with the model's parameters")
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, params: GateParams) -> ZkmnistConfig {
        ZkmnistCircuit::configure_with_params(meta, params)
    }

    fn synthesize(
        &self,
        config: ZkmnistConfig,
        layouter: impl halo2_proofs::circuit::Layouter<Fr>,
    ) -> Result<(), halo2_proofs::plonk::Error> {
        self.circuit.synthesize_then(config, layouter, |region| {
            for t in &self.cells {
                region.assign_advice(
                    t.column,
                    t.row,
                    halo2_proofs::circuit::Value::known(t.value),
                );
            }
            Ok(())
        })
    }
}

struct Setup {
    circuit: ZkmnistCircuit,
    witness: Witness,
    config: ZkmnistConfig,
    honest: MockProver<Fr>,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let circuit = common::circuit();
        let img = common::npm_digits(Split::Holdout).images[1];
        let witness = common::witness(&circuit, img, 123_456_789, 42);
        let mut cs = ConstraintSystem::default();
        let config = ZkmnistCircuit::configure_with_params(&mut cs, circuit.params());
        let honest = MockProver::run(
            circuit.dimensions().unwrap().k,
            &circuit.with_witness(witness.clone()),
            vec![witness.public_inputs().to_vec()],
        )
        .unwrap();
        Setup {
            circuit,
            witness,
            config,
            honest,
        }
    })
}

fn plan() -> &'static Plan {
    setup().circuit.plan()
}

fn k() -> u32 {
    setup().circuit.dimensions().unwrap().k
}

/// Every failure of a prover, as text (empty when it verifies).
fn failures(prover: &MockProver<Fr>) -> Vec<String> {
    match prover.verify() {
        Ok(()) => Vec::new(),
        Err(e) => e.iter().map(VerifyFailure::to_string).collect(),
    }
}

/// The failures after overwriting one advice cell with `value(honest value)`.
fn tampered(
    column: impl Fn(&ZkmnistConfig) -> Column<Advice>,
    row: usize,
    value: impl Fn(Fr) -> Fr,
) -> Vec<String> {
    let s = setup();
    let col = column(&s.config);
    let old = match &s.honest.advice_values(col)[row] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        AdviceCellValue::Poison(_) => Fr::ZERO,
    };
    let new = value(old);
    assert_ne!(new, old, "the tamper must change the cell");
    let c = s
        .circuit
        .with_witness(s.witness.clone())
        .with_tamper(Tamper {
            column: col,
            row,
            value: new,
        });
    failures(&MockProver::run(k(), &c, vec![s.witness.public_inputs().to_vec()]).unwrap())
}

/// The named gate (or lookup) fails at `row`. MockProver names a row "on row N" outside any
/// region, or "at offset M" inside the region, counted from the region's first assigned row
/// ([`region_start`]).
fn assert_fails_at(failures: &[String], name: &str, row: usize) {
    let base = region_start();
    let at = |f: &str, text: String| {
        f.contains(&format!("{text}\n")) || f.contains(&format!("{text} ")) || f.ends_with(&text)
    };
    let hit = failures.iter().any(|f| {
        f.contains(name)
            && (at(f, format!("on row {row}"))
                || (row >= base && at(f, format!("at offset {}", row - base))))
    });
    assert!(
        hit,
        "expected {name:?} to fail at row {row}, got {failures:#?}"
    );
}

/// The first row MockProver counts the circuit's region from: found from one failure whose row
/// is known and that MockProver places inside the region (a dense weight row's gate).
fn region_start() -> usize {
    static BASE: OnceLock<usize> = OnceLock::new();
    *BASE.get_or_init(|| {
        let row = plan().dense_block.start + 1;
        let f = tampered(|c| c.cols.g, row, plus_one);
        let offset = f
            .iter()
            .filter(|x| x.contains("('dense weights')") && !x.contains(" on row "))
            .find_map(|x| {
                let rest = x.split(" at offset ").nth(1)?;
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no dense weights failure with an offset: {f:#?}"));
        row - offset
    })
}

fn gate(name: &str) -> String {
    format!("('{name}')")
}

fn plus_one(v: Fr) -> Fr {
    v + Fr::ONE
}

#[test]
fn honest_witnesses_satisfy_every_constraint() {
    assert_eq!(failures(&setup().honest), Vec::<String>::new());
    let c = &setup().circuit;
    let digits = common::npm_digits(Split::Holdout);
    for (i, img) in digits.images.iter().enumerate().skip(10).take(2) {
        let w = common::witness(c, *img, i as u64, 7);
        let p = MockProver::run(
            k(),
            &c.with_witness(w.clone()),
            vec![w.public_inputs().to_vec()],
        )
        .unwrap();
        assert_eq!(failures(&p), Vec::<String>::new(), "image {i}");
    }
    // halo2 reserves the blinding rows the circuit's constants assume.
    let mut cs = ConstraintSystem::default();
    ZkmnistCircuit::configure_with_params(&mut cs, c.params());
    assert_eq!(cs.blinding_factors(), zkmnist::circuit::BLINDING_ROWS);
}

#[test]
fn wrong_public_inputs_fail() {
    let s = setup();
    for i in 0..3 {
        let mut publics = s.witness.public_inputs().to_vec();
        publics[i] += Fr::ONE;
        let p = MockProver::run(
            k(),
            &s.circuit.with_witness(s.witness.clone()),
            vec![publics],
        )
        .unwrap();
        assert_fails_at(&failures(&p), &gate("public"), i);
    }
}

// --- The lookup lane: pixels, requantization, bytes -------------------------------------------

fn conv(l: usize) -> zkmnist::model::plan::ConvGeometry {
    plan().convs[l]
}

#[test]
fn pixel_rows_check_packing_and_the_input_chain() {
    let start = plan().pixels.start;
    let hp = conv(0).hp;
    // Inside a segment: the row packing `y = R y[+1] + a`.
    assert_fails_at(
        &tampered(|c| c.cols.y, start + 1, plus_one),
        &gate("pixel"),
        start + 1,
    );
    // The input chain `h = z^C h[+1] + b`.
    assert_fails_at(
        &tampered(|c| c.cols.h, start + 2, plus_one),
        &gate("pixel"),
        start + 2,
    );
    // `a = b` (the lookup then sees (a, b) = (p + 1, p), not a table row either).
    let f = tampered(|c| c.cols.b, start + 3, plus_one);
    assert_fails_at(&f, &gate("pixel"), start + 3);
    // The last pixel of a segment and of a class.
    let gap = start + hp - 1;
    assert_fails_at(
        &tampered(|c| c.cols.h, gap, plus_one),
        &gate("pixel gap"),
        gap,
    );
    assert_fails_at(
        &tampered(|c| c.cols.y, gap, plus_one),
        &gate("pixel gap"),
        gap,
    );
    let end = start + hp * hp - 1;
    assert_fails_at(
        &tampered(|c| c.cols.h, end, plus_one),
        &gate("pixel end"),
        end,
    );
}

#[test]
fn a_pixel_out_of_range_fails_the_lookup() {
    // a = b = 256 keeps the pixel gate's `a = b`, but (256, 256) is no table row: 256 is not a
    // byte, and the quotient 256 activates to 255.
    let t = plan().pixels.start + 4;
    let f = two_tampered(t, Fr::from(256));
    assert_fails_at(&f, "activation table", t);
}

/// The failures with `a` and `b` both set to `v` on row `t`.
fn two_tampered(t: usize, v: Fr) -> Vec<String> {
    let s = setup();
    let c = s
        .circuit
        .with_witness(s.witness.clone())
        .with_tamper(Tamper {
            column: s.config.cols.a,
            row: t,
            value: v,
        })
        .with_tamper(Tamper {
            column: s.config.cols.b,
            row: t,
            value: v,
        });
    failures(&MockProver::run(k(), &c, vec![s.witness.public_inputs().to_vec()]).unwrap())
}

#[test]
fn requantization_rows_check_the_quotient_and_the_chain() {
    let q = plan().q_conv[0].clone();
    let hp = conv(1).hp;
    // `2^(16-s) y + 2^15 = 2^16 a + 256 a[+d1] + a[+d2]`: the accumulator, the quotient, a byte.
    assert_fails_at(
        &tampered(|c| c.cols.y, q.start, plus_one),
        &gate("conv input"),
        q.start,
    );
    assert_fails_at(
        &tampered(|c| c.cols.a, q.start, plus_one),
        &gate("conv input"),
        q.start,
    );
    let d2 = plan().d2;
    assert_fails_at(
        &tampered(|c| c.cols.a, q.start + d2, plus_one),
        &gate("conv input"),
        q.start,
    );
    // The next convolution's input chain over the outputs.
    assert_fails_at(
        &tampered(|c| c.cols.h, q.start + 1, plus_one),
        &gate("conv input"),
        q.start + 1,
    );
    let gap = q.start + hp - 1;
    assert_fails_at(
        &tampered(|c| c.cols.h, gap, plus_one),
        &gate("conv input gap"),
        gap,
    );
    let end = q.start + hp * hp - 1;
    assert_fails_at(
        &tampered(|c| c.cols.h, end, plus_one),
        &gate("conv input end"),
        end,
    );
    // The last convolution's outputs feed the dense dot product.
    let dq = plan().q_dense.start + 1;
    assert_fails_at(
        &tampered(|c| c.cols.h, dq, plus_one),
        &gate("dense input"),
        dq,
    );
    assert_fails_at(
        &tampered(|c| c.cols.y, dq, plus_one),
        &gate("dense input"),
        dq,
    );
    // Its remainder: `2^(16-s) y + 2^15 = 2^16 a + 256 a[+d1] + a[+d2]`, without the low byte
    // `a[+d2]` when the shift is at most 8 (`plan::one_byte_remainder`).
    assert_fails_at(
        &tampered(|c| c.cols.a, dq + plan().d1, plus_one),
        &gate("dense input"),
        dq,
    );
    if plan().low_bytes_from <= plan().q_dense.start {
        assert_fails_at(
            &tampered(|c| c.cols.a, dq + plan().d2, plus_one),
            &gate("dense input"),
            dq,
        );
    }
}

/// The committed model's last shift is 9, so its remainders take two bytes (above). A last shift
/// of at most 8 gets the one-byte check (`plan::one_byte_remainder`): the same weights with the
/// shift lowered to 8 lay out without the low bytes, prove honestly, and a wrong high byte fails
/// the one-byte form of the gate.
#[test]
fn a_last_shift_of_at_most_8_checks_one_byte() {
    use zkmnist::model::spec::{Layer, ModelSpec};
    let committed = ModelSpec::embedded().unwrap();
    let mut layers = committed.layers.clone();
    let last = layers
        .iter_mut()
        .rev()
        .find_map(|l| match l {
            Layer::Conv2d(c) => Some(c),
            Layer::Dense(_) => None,
        })
        .unwrap();
    last.requant.shift = 8;
    let spec = ModelSpec::new(committed.input.clone(), layers, committed.training.clone()).unwrap();
    let circuit = ZkmnistCircuit::new(std::sync::Arc::new(spec)).unwrap();
    let p = circuit.plan().clone();
    assert!(
        p.low_bytes_from > p.q_dense.start,
        "one byte for the last shift"
    );
    let img = common::npm_digits(Split::Holdout).images[1];
    let witness = common::witness(&circuit, img, 123_456_789, 42);
    let publics = vec![witness.public_inputs().to_vec()];
    let k = circuit.dimensions().unwrap().k;
    let honest =
        MockProver::run(k, &circuit.with_witness(witness.clone()), publics.clone()).unwrap();
    assert_eq!(failures(&honest), Vec::<String>::new());
    let mut cs = ConstraintSystem::default();
    let config = ZkmnistCircuit::configure_with_params(&mut cs, circuit.params());
    let dq = p.q_dense.start + 1;
    let high = dq + p.d1;
    let old = match &honest.advice_values(config.cols.a)[high] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        AdviceCellValue::Poison(_) => Fr::ZERO,
    };
    let c = circuit.with_witness(witness).with_tamper(Tamper {
        column: config.cols.a,
        row: high,
        value: old + Fr::ONE,
    });
    let f = failures(&MockProver::run(k, &c, publics).unwrap());
    assert_fails_at(&f, &gate("dense input"), dq);
}

#[test]
fn a_wrong_activation_or_byte_fails_the_lookup() {
    // The activation b of a quotient a: (a, b) must be a table row.
    let t = plan().q_conv[0].start + 2;
    assert_fails_at(&tampered(|c| c.cols.b, t, plus_one), "activation table", t);
    // A byte row holds a = b; a = b = 256 is no byte (its own gate, "claim", still holds).
    let b = plan().bytes.start + 1;
    assert_fails_at(&two_tampered(b, Fr::from(256)), "activation table", b);
}

#[test]
fn claim_and_argmax_difference_rows() {
    let t = plan().claims[0].start + 3;
    assert_fails_at(&tampered(|c| c.cols.h, t, plus_one), &gate("claim"), t);
    // `a = b` on a byte row.
    let b = plan().bytes.start + 5;
    assert_fails_at(&tampered(|c| c.cols.b, b, plus_one), &gate("claim"), b);
    let a = plan().arg.start + 2;
    assert_fails_at(
        &tampered(|c| c.cols.h, a, plus_one),
        &gate("argmax difference"),
        a,
    );
}

// --- Weights and algebra --------------------------------------------------------------------

#[test]
fn weight_chains_and_the_dense_block() {
    let d = plan().dense_block.clone();
    assert_fails_at(
        &tampered(|c| c.cols.g, d.start + 1, plus_one),
        &gate("dense weights"),
        d.start + 1,
    );
    assert_fails_at(
        &tampered(|c| c.cols.g, d.end - 1, plus_one),
        &gate("dense weights end"),
        d.end - 1,
    );
    let w = plan().chain_rows().start;
    assert_fails_at(
        &tampered(|c| c.cols.g, w, plus_one),
        &gate("weight chain"),
        w,
    );
}

#[test]
fn weight_chains_share_the_packing_rows() {
    // The packing rows (from PUBLIC_ROWS) also hold weight chains in `g`; `h` and `q` stay
    // zero there, so both the chain's gate and the packing (the algebra gate) hold.
    let t = PUBLIC_ROWS;
    let s = setup();
    let g = match &s.honest.advice_values(s.config.cols.g)[t] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        AdviceCellValue::Poison(_) => Fr::ZERO,
    };
    assert_ne!(g, Fr::ZERO, "a weight chain on the first packing row");
    assert_fails_at(
        &tampered(|c| c.cols.g, t, plus_one),
        &gate("weight chain"),
        t,
    );
    // A non-zero `q` there breaks the algebra gate's product.
    assert_fails_at(&tampered(|c| c.cols.q, t, plus_one), &gate("algebra"), t);
}

#[test]
fn the_ladder_of_powers() {
    // The ladder's `y` is copy-constrained: 0 on every row but the last, 1 there.
    let l = plan().ladder.clone();
    assert!(l.len() >= 2);
    for row in [l.start, l.end - 2, l.end - 1] {
        let f = tampered(|c| c.cols.y, row, plus_one);
        assert!(
            f.iter()
                .any(|x| x.contains("Equality constraint not satisfied")
                    && (x.contains(&format!("on row {row})"))
                        || x.contains(&format!("at offset {})", row - region_start())))),
            "{row}: {f:#?}"
        );
    }
    // Its `h` is the claims chain: `h = z h[+1] + y`.
    let t = l.start + 3;
    assert_fails_at(&tampered(|c| c.cols.h, t, plus_one), &gate("claim"), t);
}

#[test]
fn algebra_and_public_rows() {
    // Rows from PUBLIC_ROWS: first the image row packings `s = y + 256 y[+1]` (two rows each).
    let t = PUBLIC_ROWS;
    assert_fails_at(&tampered(|c| c.cols.s, t, plus_one), &gate("algebra"), t);
    // The multiply-accumulate `h = h[+1] + q g` further down (after the packings, the logit
    // claims and the argmax rows come the dot products of phase 2).
    let mac = algebra_mac_row();
    assert_fails_at(
        &tampered(|c| c.cols.h, mac, plus_one),
        &gate("algebra"),
        mac,
    );
    // Row 1 carries the constants z, 1, 0 like row 0.
    assert_fails_at(&tampered(|c| c.cols.q, 1, plus_one), &gate("public"), 1);
    assert_fails_at(&tampered(|c| c.cols.g, 2, plus_one), &gate("public"), 2);
    assert_fails_at(&tampered(|c| c.cols.h, 0, plus_one), &gate("public"), 0);
}

/// A multiply-accumulate row of the algebra region: `q` and `g` non-zero and
/// `h = h[+1] + q g` in the honest witness.
fn algebra_mac_row() -> usize {
    let s = setup();
    let value = |col: Column<Advice>, t: usize| match &s.honest.advice_values(col)[t] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        AdviceCellValue::Poison(_) => Fr::ZERO,
    };
    let c = &s.config.cols;
    (PUBLIC_ROWS..plan().poseidon)
        .find(|t| {
            let (q, g) = (value(c.q, *t), value(c.g, *t));
            q != Fr::ZERO && g != Fr::ZERO && value(c.h, *t) == value(c.h, t + 1) + q * g
        })
        .expect("a multiply-accumulate row")
}

// --- Argmax and Poseidon -------------------------------------------------------------------

#[test]
fn argmax_rows() {
    let t = argmax_row();
    // Class 0's bit, its sum of bits, its difference, the maximum, the digit sum.
    for (col, what) in [
        (0usize, "bit"),
        (1, "sum of bits"),
        (2, "difference"),
        (3, "maximum"),
    ] {
        let f = tampered(
            |c| [c.cols.s, c.cols.q, c.cols.h, c.cols.g][col],
            t + 2,
            plus_one,
        );
        assert!(
            f.iter().any(|x| x.contains(&gate("argmax"))),
            "{what}: {f:#?}"
        );
    }
}

/// The argmax's first row: the row after the logit claims (rows with the "claim" kind in the
/// algebra region), found from the honest witness: the logits sit in `y` right after the image
/// packings.
fn argmax_row() -> usize {
    let s = setup();
    let y = s.honest.advice_values(s.config.cols.y);
    let logits = s.witness.trace.logits();
    let value = |t: usize| match &y[t] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        AdviceCellValue::Poison(_) => Fr::ZERO,
    };
    let fe = |v: i64| {
        if v < 0 {
            -Fr::from(v.unsigned_abs())
        } else {
            Fr::from(v as u64)
        }
    };
    let first = (PUBLIC_ROWS..plan().poseidon)
        .find(|t| (0..logits.len()).all(|o| value(t + o) == fe(logits[o])))
        .expect("the logit claims");
    first + logits.len() + 1
}

#[test]
fn poseidon_rounds() {
    let p = plan().permutation(0);
    const { assert!(PERMUTATION_ROWS > 5 * 40) };
    let f = tampered(|c| c.cols.s, p + 7, plus_one);
    assert!(
        f.iter().any(|x| x.contains(&gate("poseidon full round"))),
        "{f:#?}"
    );
    let f = tampered(|c| c.cols.q, p + 2, plus_one);
    assert!(
        f.iter().any(|x| x.contains(&gate("poseidon full round"))),
        "{f:#?}"
    );
    let mid = p + 5 * 30 + 1;
    let f = tampered(|c| c.cols.s, mid, plus_one);
    assert!(
        f.iter()
            .any(|x| x.contains(&gate("poseidon partial round"))),
        "{f:#?}"
    );
}

/// The salt is the first permutation's first rate input (column `s`, the row after the
/// capacity). It is private and free (any salt makes a valid commitment), so nothing copies
/// it: changing the cell alone must break the first full round that absorbs it, and nothing
/// else (it is not a lookup or packing cell).
#[test]
fn the_salt_cell_feeds_the_first_round() {
    let p = plan().permutation(0);
    let s = setup();
    let salt_cell = match &s.honest.advice_values(s.config.cols.s)[p + 1] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        AdviceCellValue::Poison(_) => Fr::ZERO,
    };
    assert_eq!(
        salt_cell, s.witness.salt,
        "the salt is not where the test looks"
    );
    let f = tampered(|c| c.cols.s, p + 1, plus_one);
    assert_fails_at(&f, &gate("poseidon full round"), p);
    assert!(
        f.iter().all(|x| x.contains("poseidon")),
        "only the Poseidon rounds may fail: {f:#?}"
    );
}

#[test]
fn a_copied_cell_that_differs_fails_the_permutation_argument() {
    // The first permutation's capacity cell must equal the zero cell.
    let p = plan().permutation(0);
    let f = tampered(|c| c.cols.s, p, plus_one);
    assert!(
        f.iter()
            .any(|x| x.contains("Equality constraint not satisfied")),
        "{f:#?}"
    );
}

// --- Freivalds: a wrong claim with every other cell consistent -----------------------------

/// Only copy constraints fail, and one of them is the identity's: the claims chain's top for
/// the layer (column h at the layer's first claim) against the right-hand side.
fn assert_only_the_identity_fails(f: &[String], row: usize) {
    assert!(!f.is_empty(), "a wrong claim passed");
    assert!(
        f.iter()
            .all(|x| x.contains("Equality constraint not satisfied")),
        "only the identity's copy may fail: {f:#?}"
    );
    assert!(
        f.iter().any(
            |x| x.contains(&format!("at offset {row}")) || x.contains(&format!("on row {row}"))
        ),
        "{f:#?}"
    );
}

#[test]
fn a_wrong_convolution_accumulator_fails_the_freivalds_identity() {
    let s = setup();
    for l in 0..plan().convs.len() {
        let mut w = s.witness.clone();
        let layer = &mut w.trace.layers[l];
        let shift = match &s.circuit.spec().layers[l] {
            zkmnist::model::spec::Layer::Conv2d(c) => c.requant.shift,
            _ => unreachable!(),
        };
        // An accumulator one off whose quotient is the same: the requantized output (and
        // everything after it) is unchanged, so only the claim itself is wrong.
        let i = (0..layer.acc.len())
            .find(|i| {
                requant_parts(layer.acc[*i] + 1, shift).0 == requant_parts(layer.acc[*i], shift).0
            })
            .expect("an accumulator away from a rounding edge");
        layer.acc[i] += 1;
        let p = MockProver::run(
            k(),
            &s.circuit.with_witness(w.clone()),
            vec![w.public_inputs().to_vec()],
        )
        .unwrap();
        assert_only_the_identity_fails(&failures(&p), plan().claims[l].start);
    }
}

#[test]
fn a_wrong_logit_fails_the_freivalds_identity() {
    let s = setup();
    let mut w = s.witness.clone();
    let digit = w.trace.digit;
    let last = w.trace.layers.len() - 1;
    // A logit below the maximum, one higher: the argmax (and its differences, which the
    // witness recomputes) stay consistent, only the dense identity sees it.
    let o = (0..10).find(|o| *o != digit).unwrap();
    w.trace.layers[last].output[o] += 1;
    w.trace.layers[last].acc[o] += 1;
    let p = MockProver::run(
        k(),
        &s.circuit.with_witness(w.clone()),
        vec![w.public_inputs().to_vec()],
    )
    .unwrap();
    let f = failures(&p);
    assert!(!f.is_empty(), "a wrong logit passed");
    assert!(
        f.iter()
            .all(|x| x.contains("Equality constraint not satisfied")),
        "only the identity's copy may fail: {f:#?}"
    );
}

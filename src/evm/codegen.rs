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

use super::EvmError;
use askama::Template;
use halo2_proofs::plonk::{Any, Column, Expression, VerifyingKey};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::CurveAffine;
use halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2curves::ff::{Field, PrimeField};
use std::collections::{BTreeMap, HashMap};

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

/// A node of the verifier's arithmetic (an index into [`Dag::ops`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct N(usize);

/// An operation mod `R`. Nodes are hash-consed: an expression built twice is one node, so every
/// shared subexpression (a compressed selector, a challenge's power) is computed once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Op {
    Const([u8; 32]),
    /// A Yul expression read once: `calldataload(..)` or `mload(..)` of a slot written before.
    Leaf(String),
    Add(N, N),
    Mul(N, N),
    Neg(N),
}

/// The arithmetic of one straight-line section, folded as it is built.
#[derive(Default)]
struct Dag {
    ops: Vec<Op>,
    index: HashMap<Op, N>,
}

impl Dag {
    fn intern(&mut self, op: Op) -> N {
        if let Some(n) = self.index.get(&op) {
            return *n;
        }
        let n = N(self.ops.len());
        self.ops.push(op.clone());
        self.index.insert(op, n);
        n
    }

    fn konst(&mut self, v: Fr) -> N {
        self.intern(Op::Const(v.to_repr()))
    }

    fn int(&mut self, v: u64) -> N {
        self.konst(Fr::from(v))
    }

    fn value(&self, n: N) -> Option<Fr> {
        match &self.ops[n.0] {
            Op::Const(b) => Option::from(Fr::from_repr(*b)),
            _ => None,
        }
    }

    fn leaf(&mut self, s: impl Into<String>) -> N {
        self.intern(Op::Leaf(s.into()))
    }

    fn cd(&mut self, off: usize) -> N {
        self.leaf(format!("calldataload({off:#x})"))
    }

    fn mem(&mut self, name: &str) -> N {
        self.leaf(format!("mload({name})"))
    }

    fn add(&mut self, a: N, b: N) -> N {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) => self.konst(x + y),
            (Some(x), _) if bool::from(x.is_zero()) => b,
            (_, Some(y)) if bool::from(y.is_zero()) => a,
            _ => self.intern(Op::Add(a.min(b), a.max(b))),
        }
    }

    fn mul(&mut self, a: N, b: N) -> N {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) => self.konst(x * y),
            (Some(x), _) | (_, Some(x)) if bool::from(x.is_zero()) => self.int(0),
            (Some(x), _) if x == Fr::ONE => b,
            (_, Some(y)) if y == Fr::ONE => a,
            _ => self.intern(Op::Mul(a.min(b), a.max(b))),
        }
    }

    fn neg(&mut self, a: N) -> N {
        if let Some(x) = self.value(a) {
            return self.konst(-x);
        }
        match self.ops[a.0] {
            Op::Neg(inner) => inner,
            _ => self.intern(Op::Neg(a)),
        }
    }

    fn sub(&mut self, a: N, b: N) -> N {
        let nb = self.neg(b);
        self.add(a, nb)
    }

    fn product(&mut self, items: impl IntoIterator<Item = N>) -> N {
        let one = self.int(1);
        items.into_iter().fold(one, |acc, x| self.mul(acc, x))
    }

    fn pow(&mut self, a: N, e: u64) -> N {
        match e {
            0 => self.int(1),
            1 => a,
            _ if e.is_multiple_of(2) => {
                let h = self.pow(a, e / 2);
                self.mul(h, h)
            }
            _ => {
                let p = self.pow(a, e - 1);
                self.mul(p, a)
            }
        }
    }

    /// A halo2 expression at `x`, given the evaluations of the queried columns.
    fn expr(&mut self, e: &Expression<Fr>, ev: &Evals) -> Result<N, EvmError> {
        let unknown = |what: &str| EvmError::Compile(format!("unknown {what} query"));
        Ok(match e {
            Expression::Constant(c) => self.konst(*c),
            Expression::Selector(_) => {
                return Err(EvmError::Compile(
                    "selectors must be compressed into fixed columns".into(),
                ));
            }
            Expression::Fixed(q) => *ev
                .fixed
                .get(&(q.column_index(), q.rotation().0))
                .ok_or_else(|| unknown("fixed"))?,
            Expression::Advice(q) => *ev
                .advice
                .get(&(q.column_index(), q.rotation().0))
                .ok_or_else(|| unknown("advice"))?,
            Expression::Instance(q) => {
                if q.rotation().0 != 0 || q.column_index() != 0 {
                    return Err(EvmError::Compile(
                        "only instance column 0 at rotation 0 is supported".into(),
                    ));
                }
                ev.instance
            }
            Expression::Challenge(c) => *ev
                .challenges
                .get(c.index())
                .ok_or_else(|| unknown("challenge"))?,
            Expression::Negated(a) => {
                let a = self.expr(a, ev)?;
                self.neg(a)
            }
            Expression::Sum(a, b) => {
                let (a, b) = (self.expr(a, ev)?, self.expr(b, ev)?);
                self.add(a, b)
            }
            Expression::Product(a, b) => {
                let (a, b) = (self.expr(a, ev)?, self.expr(b, ev)?);
                self.mul(a, b)
            }
            Expression::Scaled(a, k) => {
                let a = self.expr(a, ev)?;
                let k = self.konst(*k);
                self.mul(a, k)
            }
        })
    }
}

/// Nesting beyond this is stored to memory (bounds the stack and keeps statements readable).
const MAX_DEPTH: usize = 7;

/// Memory slots and the straight-line code that fills them.
#[derive(Default)]
struct Code {
    lines: Vec<String>,
    /// Named slots, in memory order.
    slots: Vec<String>,
    /// Temporaries: how many exist, and which are free for reuse.
    temps: usize,
    free: Vec<usize>,
}

impl Code {
    fn slot(&mut self, name: impl Into<String>) -> String {
        let name = name.into();
        self.slots.push(name.clone());
        name
    }

    fn line(&mut self, l: impl Into<String>) {
        self.lines.push(l.into());
    }

    fn temp(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.temps += 1;
            self.temps - 1
        })
    }

    /// Emits the code computing `outputs` (each stored to its named slot) from `dag`. A node used
    /// twice or nested too deep is stored to a temporary, freed after its last use.
    fn emit(&mut self, dag: &Dag, outputs: &[(String, N)]) {
        let len = dag.ops.len();
        let mut uses = vec![0usize; len];
        let mut reached = vec![false; len];
        let mut stack: Vec<N> = outputs.iter().map(|(_, n)| *n).collect();
        for (_, n) in outputs {
            uses[n.0] += 1;
        }
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut reached[n.0], true) {
                continue;
            }
            let kids: Vec<N> = match dag.ops[n.0] {
                Op::Add(a, b) | Op::Mul(a, b) => vec![a, b],
                Op::Neg(a) => vec![a],
                _ => vec![],
            };
            for k in kids {
                uses[k.0] += 1;
                stack.push(k);
            }
        }
        let mut named: HashMap<N, &str> = HashMap::new();
        for (name, n) in outputs {
            named.entry(*n).or_insert(name);
        }
        // Per node: its Yul, its nesting depth, and the temporaries that Yul reads (a
        // temporary is freed once every line reading it is out).
        let mut repr: Vec<(String, usize)> = vec![(String::new(), 0); len];
        let mut refs: Vec<Vec<usize>> = vec![Vec::new(); len];
        let mut remaining: HashMap<usize, usize> = HashMap::new();
        for i in 0..len {
            if !reached[i] {
                continue;
            }
            let (s, depth, kids) = match &dag.ops[i] {
                Op::Const(b) => (hex_u256(b), 0, vec![]),
                Op::Leaf(s) => (s.clone(), 1, vec![]),
                Op::Add(a, b) | Op::Mul(a, b) => {
                    let f = if matches!(dag.ops[i], Op::Add(..)) {
                        "addmod"
                    } else {
                        "mulmod"
                    };
                    let ((sa, da), (sb, db)) = (&repr[a.0], &repr[b.0]);
                    (format!("{f}({sa}, {sb}, r)"), da.max(db) + 1, vec![*a, *b])
                }
                Op::Neg(a) => {
                    let (sa, da) = &repr[a.0];
                    (format!("sub(r, {sa})"), da + 1, vec![*a])
                }
            };
            let read: Vec<usize> = kids.iter().flat_map(|k| refs[k.0].clone()).collect();
            let computed = !kids.is_empty();
            let store = |code: &mut Code, remaining: &mut HashMap<usize, usize>, slot: String| {
                code.line(format!("mstore({slot}, {s})"));
                for t in &read {
                    let r = remaining.get_mut(t).expect("a live temporary");
                    *r -= 1;
                    if *r == 0 {
                        code.free.push(*t);
                    }
                }
            };
            if let Some(name) = named.get(&N(i)) {
                store(self, &mut remaining, (*name).to_string());
                repr[i] = (format!("mload({name})"), 1);
            } else if computed && (uses[i] > 1 || depth > MAX_DEPTH) {
                store(self, &mut remaining, "TMP".into());
                let t = self.temp();
                let l = self.lines.last_mut().expect("just stored");
                *l = l.replacen("mstore(TMP,", &format!("mstore(T{t},"), 1);
                remaining.insert(t, uses[i]);
                refs[i] = vec![t];
                repr[i] = (format!("mload(T{t})"), 1);
            } else {
                refs[i] = read;
                repr[i] = (s, depth);
            }
        }
        for (name, n) in outputs {
            if named.get(n) != Some(&name.as_str()) {
                self.line(format!("mstore({name}, {})", repr[n.0].0));
            }
        }
    }
}

/// Evaluations of the queried columns, the instance column and the challenges, as nodes.
struct Evals {
    advice: HashMap<(usize, i32), N>,
    fixed: HashMap<(usize, i32), N>,
    instance: N,
    challenges: Vec<N>,
}

impl Evals {
    fn column(&self, col: &Column<Any>) -> Result<N, EvmError> {
        let missing = || EvmError::Compile(format!("no rotation-0 query of column {col:?}"));
        match col.column_type() {
            Any::Advice(_) => self
                .advice
                .get(&(col.index(), 0))
                .copied()
                .ok_or_else(missing),
            Any::Fixed => self
                .fixed
                .get(&(col.index(), 0))
                .copied()
                .ok_or_else(missing),
            Any::Instance => Ok(self.instance),
        }
    }
}

/// A transcript step of the contract.
#[derive(Clone, Debug)]
enum Step {
    /// Absorb calldata `[offset, offset + len)`.
    Absorb { offset: usize, len: usize },
    /// Squeeze a challenge into a memory slot.
    Squeeze(String),
}

/// Values the template lays out.
#[derive(Template)]
#[template(path = "Halo2Verifier.sol", escape = "none")]
struct Halo2VerifierTemplate {
    calldata_len: usize,
    num_instances: usize,
    vk_digest: String,
    constants: Vec<(String, String)>,
    memory: Vec<(String, usize)>,
    buffer_size: usize,
    points: Vec<usize>,
    scalars: Vec<usize>,
    transcript: Vec<String>,
    denominators: Vec<String>,
    inversion: Vec<String>,
    arithmetic: Vec<String>,
    msm: Vec<String>,
    w_prime: usize,
    g2: [String; 4],
    neg_s_g2: [String; 4],
}

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
    let domain = vk.get_domain();
    let k = domain.k();
    let n = 1u64 << k;
    let omega = domain.get_omega();
    let omega_pow = |r: i32| omega.pow_vartime([(i64::from(r)).rem_euclid(n as i64) as u64]);
    let blinding = cs.blinding_factors();
    if cs.num_instance_columns() != 1 || num_instances == 0 {
        return Err(EvmError::Compile(
            "exactly one instance column with public inputs is supported".into(),
        ));
    }
    let degree = cs.degree();
    let chunk = degree - 2;
    let perm_columns = cs.permutation().get_columns();
    let num_sets = perm_columns.len().div_ceil(chunk);
    let num_lookups = cs.lookups().len();
    let num_quotients = degree - 1;
    let mut code = Code::default();
    // The arithmetic after the one batch inversion; the layout below names its leaves.
    let mut dag = Dag::default();

    // The calldata, in transcript order.
    let mut at = 32 * num_instances;
    let take = |at: &mut usize, len: usize| {
        let o = *at;
        *at += len;
        o
    };
    let mut steps = vec![Step::Absorb {
        offset: 0,
        len: 32 * num_instances,
    }];
    let mut points = Vec::new();
    let absorb_points =
        |steps: &mut Vec<Step>, points: &mut Vec<usize>, at: &mut usize, count: usize| {
            let start = take(at, 64 * count);
            points.extend((0..count).map(|i| start + 64 * i));
            if count > 0 {
                steps.push(Step::Absorb {
                    offset: start,
                    len: 64 * count,
                });
            }
            start
        };
    let mut advice_comm = BTreeMap::new();
    let mut phases: Vec<u8> = cs.advice_column_phase().to_vec();
    phases.extend(cs.challenge_phase());
    phases.sort();
    phases.dedup();
    for phase in &phases {
        let cols: Vec<usize> = (0..cs.num_advice_columns())
            .filter(|c| cs.advice_column_phase()[*c] == *phase)
            .collect();
        let start = absorb_points(&mut steps, &mut points, &mut at, cols.len());
        for (i, c) in cols.iter().enumerate() {
            advice_comm.insert(*c, start + 64 * i);
        }
        for (i, ph) in cs.challenge_phase().iter().enumerate() {
            if ph == phase {
                steps.push(Step::Squeeze(code.slot(format!("CHALLENGE_{i}"))));
            }
        }
    }
    steps.push(Step::Squeeze(code.slot("THETA")));
    let lookup_permuted = absorb_points(&mut steps, &mut points, &mut at, 2 * num_lookups);
    steps.push(Step::Squeeze(code.slot("BETA")));
    steps.push(Step::Squeeze(code.slot("GAMMA")));
    let perm_products = absorb_points(&mut steps, &mut points, &mut at, num_sets);
    let lookup_products = absorb_points(&mut steps, &mut points, &mut at, num_lookups);
    let random = absorb_points(&mut steps, &mut points, &mut at, 1);
    steps.push(Step::Squeeze(code.slot("Y")));
    let quotients = absorb_points(&mut steps, &mut points, &mut at, num_quotients);
    steps.push(Step::Squeeze(code.slot("X")));

    let evals_start = at;
    let instance = dag.mem("INSTANCE_EVAL");
    let challenges = (0..cs.challenge_phase().len())
        .map(|i| dag.mem(&format!("CHALLENGE_{i}")))
        .collect();
    let mut evals = Evals {
        advice: HashMap::new(),
        fixed: HashMap::new(),
        instance,
        challenges,
    };
    let mut queries = Vec::new();
    for (col, rot) in cs.advice_queries() {
        let e = dag.cd(take(&mut at, 32));
        evals.advice.insert((col.index(), rot.0), e);
        queries.push(Query {
            commitment: Commitment::Advice(col.index()),
            rotation: rot.0,
            eval: e,
        });
    }
    let mut fixed_queries = Vec::new();
    for (col, rot) in cs.fixed_queries() {
        let e = dag.cd(take(&mut at, 32));
        evals.fixed.insert((col.index(), rot.0), e);
        fixed_queries.push(Query {
            commitment: Commitment::Fixed(col.index()),
            rotation: rot.0,
            eval: e,
        });
    }
    let random_eval = dag.cd(take(&mut at, 32));
    let sigma_evals: Vec<N> = (0..perm_columns.len())
        .map(|_| dag.cd(take(&mut at, 32)))
        .collect();
    let last = -((blinding + 1) as i32);
    // Per permutation product: at x, at omega x, and (all but the last) at omega^last x.
    let mut set_evals: Vec<(N, N, Option<N>)> = Vec::new();
    for i in 0..num_sets {
        let e = dag.cd(take(&mut at, 32));
        let next = dag.cd(take(&mut at, 32));
        let l = (i + 1 < num_sets).then(|| dag.cd(take(&mut at, 32)));
        set_evals.push((e, next, l));
    }
    // Per lookup: product, product at omega x, permuted input, at omega^-1 x, permuted table.
    let lookup_evals: Vec<[N; 5]> = (0..num_lookups)
        .map(|_| std::array::from_fn(|_| dag.cd(take(&mut at, 32))))
        .collect();
    let evals_end = at;
    steps.push(Step::Absorb {
        offset: evals_start,
        len: evals_end - evals_start,
    });
    steps.push(Step::Squeeze(code.slot("SHPLONK_Y")));
    steps.push(Step::Squeeze(code.slot("V")));
    let w = absorb_points(&mut steps, &mut points, &mut at, 1);
    steps.push(Step::Squeeze(code.slot("U")));
    let w_prime = take(&mut at, 64);
    points.push(w_prime);
    let calldata_len = at;

    // The queries in halo2's order: advice, permutation products, lookups, fixed, sigmas,
    // then the quotient and the random polynomial.
    let query = |commitment, rotation, eval| Query {
        commitment,
        rotation,
        eval,
    };
    for (i, (e, next, _)) in set_evals.iter().enumerate() {
        queries.push(query(Commitment::PermutationProduct(i), 0, *e));
        queries.push(query(Commitment::PermutationProduct(i), 1, *next));
    }
    for (i, (_, _, l)) in set_evals.iter().enumerate().rev().skip(1) {
        let l = l.ok_or_else(|| {
            EvmError::Compile("permutation product without a last evaluation".into())
        })?;
        queries.push(query(Commitment::PermutationProduct(i), last, l));
    }
    for (i, ev) in lookup_evals.iter().enumerate() {
        queries.push(query(Commitment::LookupProduct(i), 0, ev[0]));
        queries.push(query(Commitment::LookupInput(i), 0, ev[2]));
        queries.push(query(Commitment::LookupTable(i), 0, ev[4]));
        queries.push(query(Commitment::LookupInput(i), -1, ev[3]));
        queries.push(query(Commitment::LookupProduct(i), 1, ev[1]));
    }
    queries.extend(fixed_queries);
    for (i, e) in sigma_evals.iter().enumerate() {
        queries.push(query(Commitment::Sigma(i), 0, *e));
    }
    let h_eval = dag.mem("H_EVAL");
    queries.push(query(Commitment::Quotient, 0, h_eval));
    queries.push(query(Commitment::Random, 0, random_eval));

    // SHPLONK's rotation sets: commitments grouped by the rotations they are opened at, in
    // order of first appearance.
    let mut by_commitment: Vec<(Commitment, Vec<i32>)> = Vec::new();
    for q in &queries {
        match by_commitment.iter_mut().find(|(c, _)| *c == q.commitment) {
            Some((_, rots)) if !rots.contains(&q.rotation) => rots.push(q.rotation),
            Some(_) => {}
            None => by_commitment.push((q.commitment, vec![q.rotation])),
        }
    }
    let mut sets: Vec<(Vec<i32>, Vec<Commitment>)> = Vec::new();
    for (c, rots) in &by_commitment {
        let mut key = rots.clone();
        key.sort();
        match sets.iter_mut().find(|(r, _)| *r == key) {
            Some((_, cs)) => cs.push(*c),
            None => sets.push((key, vec![*c])),
        }
    }
    let mut super_set: Vec<i32> = sets.iter().flat_map(|(r, _)| r.clone()).collect();
    super_set.sort();
    super_set.dedup();
    // Sets this wide interpolate with inverses of `u - x omega^r` (fewer multiplications).
    const WIDE: usize = 4;

    // --- Before the inversion: every denominator, in one block of slots ---------------------
    let mut pre = Dag::default();
    let x = pre.mem("X");
    let u = pre.mem("U");
    let xn = pre.pow(x, n);
    let mut pre_out: Vec<(String, N)> = vec![(code.slot("XN"), xn)];
    let mut d_nodes = HashMap::new();
    for r in &super_set {
        let om = pre.konst(omega_pow(*r));
        let xo = pre.mul(x, om);
        let d = pre.sub(u, xo);
        d_nodes.insert(*r, d);
        pre_out.push((code.slot(format!("D_{}", rot_name(*r))), d));
    }
    // Lagrange values at x: L_i(x) = omega^i (x^n - 1) / (n (x - omega^i)) for the public rows
    // and the last and blinding rows.
    let lag_rows: Vec<i32> = (last..0).chain(0..num_instances as i32).collect();
    let mut inverted: Vec<(String, N)> = Vec::new();
    for r in &lag_rows {
        let om = pre.konst(omega_pow(*r));
        let v = pre.sub(x, om);
        inverted.push((format!("INV_LAG_{}", rot_name(*r)), v));
    }
    let one = pre.int(1);
    let xn1 = pre.sub(xn, one);
    inverted.push(("INV_XN1".into(), xn1));
    inverted.push(("INV_X".into(), x));
    for (i, (rots, _)) in sets.iter().enumerate().skip(1) {
        let z = pre.product(rots.iter().map(|r| d_nodes[r]));
        inverted.push((format!("INV_ZSET_{i}"), z));
    }
    let mut wide: Vec<i32> = sets
        .iter()
        .filter(|(r, _)| r.len() >= WIDE)
        .flat_map(|(r, _)| r.clone())
        .collect();
    wide.sort();
    wide.dedup();
    for r in &wide {
        inverted.push((format!("INV_D_{}", rot_name(*r)), d_nodes[r]));
    }
    for (name, _) in &inverted {
        code.slot(name.clone());
    }
    let names: Vec<String> = inverted.iter().map(|(n, _)| n.clone()).collect();
    pre_out.extend(inverted);
    code.emit(&pre, &pre_out);
    let denominators = std::mem::take(&mut code.lines);
    // Montgomery's trick, straight-line: P_i = d_0 ... d_i; inv = 1 / P_last (modexp); then
    // d_i^-1 = inv P_(i-1) and inv <- inv d_i, down to d_0.
    let mut inversion = vec![format!("let acc := mload({})", names[0])];
    for (i, name) in names.iter().enumerate().skip(1) {
        let p = code.slot(format!("P_{}", i - 1));
        inversion.push(format!(
            "mstore({p}, acc) acc := mulmod(acc, mload({name}), r)"
        ));
    }
    code.slot("INV_ACC");
    inversion.push("mstore(INV_ACC, acc)".into());
    inversion.push("success := and(success, invert(INV_ACC))".into());
    inversion.push("let inv := mload(INV_ACC)".into());
    for (i, name) in names.iter().enumerate().skip(1).rev() {
        inversion.push(format!(
            "acc := mulmod(inv, mload(P_{}), r) inv := mulmod(inv, mload({name}), r) mstore({name}, acc)",
            i - 1
        ));
    }
    inversion.push(format!("mstore({}, inv)", names[0]));

    // --- After: the public inputs' evaluation, the quotient, SHPLONK -----------------------
    let xn = dag.mem("XN");
    let one = dag.int(1);
    let xn1 = dag.sub(xn, one);
    let n_inv = Option::<Fr>::from(Fr::from(n).invert())
        .ok_or_else(|| EvmError::Compile("domain size not invertible".into()))?;
    let n_inv = dag.konst(n_inv);
    let common = dag.mul(xn1, n_inv);
    // L_r = common (omega^r / (x - omega^r)); sums factor `common` out.
    let lag_part = |r: i32, dag: &mut Dag| {
        let inv = dag.mem(&format!("INV_LAG_{}", rot_name(r)));
        let om = dag.konst(omega_pow(r));
        dag.mul(om, inv)
    };
    let lag = |r: i32, dag: &mut Dag| {
        let p = lag_part(r, dag);
        dag.mul(common, p)
    };
    let mut outputs: Vec<(String, N)> = Vec::new();
    let mut inst = dag.int(0);
    for i in 0..num_instances {
        let l = lag(i as i32, &mut dag);
        let v = dag.cd(32 * i);
        let t = dag.mul(v, l);
        inst = dag.add(inst, t);
    }
    // Leaves of later arithmetic (here the gates') are read from their slots: one emission in
    // node order writes each slot before any node built after it reads it.
    outputs.push((code.slot("INSTANCE_EVAL"), inst));
    let l_0 = lag(0, &mut dag);
    let l_last = lag(last, &mut dag);
    let mut blind = lag_part(last, &mut dag);
    for r in (last + 1)..0 {
        let l = lag_part(r, &mut dag);
        blind = dag.add(blind, l);
    }
    let lb = dag.mul(common, blind);
    let active = dag.sub(one, lb);

    // The quotient's numerator: gate polynomials, permutation, lookups, folded with y.
    // Each term is a group of polynomials sharing a factor (a gate's selector): it enters the
    // fold as `numer y^m + factor (p_0 y^(m-1) + ... + p_(m-1))`, one multiplication by the
    // selector instead of m.
    let mut terms: Vec<(N, Vec<N>)> = Vec::new();
    let one = dag.int(1);
    for gate in cs.gates() {
        let polys = gate.polynomials();
        let mut split = Vec::new();
        for p in polys {
            match p {
                Expression::Product(a, b) => {
                    split.push((dag.expr(a, &evals)?, dag.expr(b, &evals)?))
                }
                _ => break,
            }
        }
        if split.len() == polys.len() && split.iter().all(|(a, _)| *a == split[0].0) {
            terms.push((split[0].0, split.into_iter().map(|(_, b)| b).collect()));
        } else {
            for p in polys {
                terms.push((one, vec![dag.expr(p, &evals)?]));
            }
        }
    }
    let beta = dag.mem("BETA");
    let gamma = dag.mem("GAMMA");
    if num_sets > 0 {
        let z0 = set_evals[0].0;
        let t = dag.sub(one, z0);
        terms.push((l_0, vec![t]));
        let zl = set_evals[num_sets - 1].0;
        let sq = dag.mul(zl, zl);
        let t = dag.sub(sq, zl);
        terms.push((l_last, vec![t]));
        for i in 1..num_sets {
            let prev = set_evals[i - 1]
                .2
                .ok_or_else(|| EvmError::Compile("permutation product".into()))?;
            let t = dag.sub(set_evals[i].0, prev);
            terms.push((l_0, vec![t]));
        }
        let x = dag.mem("X");
        let bx = dag.mul(beta, x);
        for (i, cols) in perm_columns.chunks(chunk).enumerate() {
            let (zi, next, _) = set_evals[i];
            let mut left = next;
            let mut right = zi;
            let mut delta = Fr::DELTA.pow_vartime([(i * chunk) as u64]);
            for (j, col) in cols.iter().enumerate() {
                let eval = evals.column(col)?;
                let bs = dag.mul(beta, sigma_evals[i * chunk + j]);
                let f = dag.add(eval, bs);
                let f = dag.add(f, gamma);
                left = dag.mul(left, f);
                let dc = dag.konst(delta);
                let d = dag.mul(bx, dc);
                let f = dag.add(eval, d);
                let f = dag.add(f, gamma);
                right = dag.mul(right, f);
                delta *= Fr::DELTA;
            }
            let t = dag.sub(left, right);
            terms.push((active, vec![t]));
        }
    }
    let theta = dag.mem("THETA");
    for (li, l) in cs.lookups().iter().enumerate() {
        let c = |i: usize| lookup_evals[li][i];
        let compress = |exprs: &[Expression<Fr>], dag: &mut Dag| -> Result<N, EvmError> {
            let mut acc = dag.int(0);
            for e in exprs {
                let v = dag.expr(e, &evals)?;
                let a = dag.mul(acc, theta);
                acc = dag.add(a, v);
            }
            Ok(acc)
        };
        let input = compress(l.input_expressions(), &mut dag)?;
        let table = compress(l.table_expressions(), &mut dag)?;
        let t = dag.sub(one, c(0));
        terms.push((l_0, vec![t]));
        let sq = dag.mul(c(0), c(0));
        let t = dag.sub(sq, c(0));
        terms.push((l_last, vec![t]));
        let a = dag.add(c(2), beta);
        let s = dag.add(c(4), gamma);
        let left = dag.mul(c(1), a);
        let left = dag.mul(left, s);
        let a = dag.add(input, beta);
        let s = dag.add(table, gamma);
        let right = dag.mul(c(0), a);
        let right = dag.mul(right, s);
        let t = dag.sub(left, right);
        terms.push((active, vec![t]));
        let d = dag.sub(c(2), c(4));
        terms.push((l_0, vec![d]));
        let e = dag.sub(c(2), c(3));
        let t = dag.mul(d, e);
        terms.push((active, vec![t]));
    }
    // Neighbours with the same factor fold as one group.
    let mut groups: Vec<(N, Vec<N>)> = Vec::new();
    for (f, polys) in terms {
        match groups.last_mut() {
            Some((g, ps)) if *g == f => ps.extend(polys),
            _ => groups.push((f, polys)),
        }
    }
    let y = dag.mem("Y");
    let mut numer = dag.int(0);
    for (factor, polys) in &groups {
        let mut inner = dag.int(0);
        for p in polys {
            let s = dag.mul(inner, y);
            inner = dag.add(s, *p);
        }
        let ym = dag.pow(y, polys.len() as u64);
        let s = dag.mul(numer, ym);
        let t = dag.mul(*factor, inner);
        numer = dag.add(s, t);
    }
    let inv_xn1 = dag.mem("INV_XN1");
    let h = dag.mul(numer, inv_xn1);
    // The quotient's evaluation is a leaf of SHPLONK (the evaluation of a commitment).
    outputs.push((code.slot("H_EVAL"), h));

    // SHPLONK (halo2's verifier, scaled by 1 / z_diff_0): set i's commitments get the scalar
    // v^i (Z_0(u) / Z_i(u)) y^j with Z_i the vanishing polynomial of set i's points, and
    // r_outer collects the same combination of the sets' interpolations at u.
    let eval_of = |c: Commitment, r: i32| -> Result<N, EvmError> {
        queries
            .iter()
            .find(|q| q.commitment == c && q.rotation == r)
            .map(|q| q.eval)
            .ok_or_else(|| EvmError::Compile("missing evaluation".into()))
    };
    let d = |r: i32, dag: &mut Dag| dag.mem(&format!("D_{}", rot_name(r)));
    let (shplonk_y, v, inv_x) = (dag.mem("SHPLONK_Y"), dag.mem("V"), dag.mem("INV_X"));
    let set0: Vec<N> = sets[0].0.iter().map(|r| d(*r, &mut dag)).collect();
    let z_0 = dag.product(set0);
    let mut r_outer = dag.int(0);
    let mut vpow = one;
    let mut scalars: Vec<(Commitment, N)> = Vec::new();
    for (i, (rots, comms)) in sets.iter().enumerate() {
        // The Lagrange basis of the set at u: B_k = prod_{m != k} (u - p_m) / (p_k - p_m) with
        // p_k - p_m = x (omega^k - omega^m), whose constant part is inverted here.
        let ds: Vec<N> = rots.iter().map(|r| d(*r, &mut dag)).collect();
        // B_k = F c_k b_k with F = x^-(m-1) (times Z_set(u) for a wide set, whose b_k is
        // (u - p_k)^-1; a narrow set's b_k is the product of the other (u - p_m)).
        let wide_set = rots.len() >= WIDE;
        let mut factor = dag.pow(inv_x, rots.len() as u64 - 1);
        if wide_set {
            let z_set = dag.product(ds.clone());
            factor = dag.mul(factor, z_set);
        }
        let mut basis = Vec::new();
        for (ki, rk) in rots.iter().enumerate() {
            let mut denom = Fr::ONE;
            for (mi, rm) in rots.iter().enumerate() {
                if mi != ki {
                    denom *= omega_pow(*rk) - omega_pow(*rm);
                }
            }
            let c = Option::<Fr>::from(denom.invert())
                .ok_or_else(|| EvmError::Compile("a rotation repeats in a set".into()))?;
            let b = if wide_set {
                dag.mem(&format!("INV_D_{}", rot_name(*rk)))
            } else {
                let others = ds
                    .iter()
                    .enumerate()
                    .filter(|(mi, _)| *mi != ki)
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>();
                dag.product(others)
            };
            let c = dag.konst(c);
            basis.push(dag.mul(b, c));
        }
        let scale = if i == 0 {
            one
        } else {
            vpow = dag.mul(vpow, v);
            let inv = dag.mem(&format!("INV_ZSET_{i}"));
            let z = dag.mul(z_0, inv);
            dag.mul(vpow, z)
        };
        // sum_j y^j r_j(u), by Horner from the last commitment; scalars scale y^j.
        let mut inner = dag.int(0);
        for c in comms.iter().rev() {
            let mut rj = dag.int(0);
            for (ki, rk) in rots.iter().enumerate() {
                let t = dag.mul(eval_of(*c, *rk)?, basis[ki]);
                rj = dag.add(rj, t);
            }
            let t = dag.mul(inner, shplonk_y);
            inner = dag.add(t, rj);
        }
        let mut sj = scale;
        for (j, c) in comms.iter().enumerate() {
            if j > 0 {
                sj = dag.mul(sj, shplonk_y);
            }
            scalars.push((*c, sj));
        }
        let t = dag.mul(factor, inner);
        let t = dag.mul(scale, t);
        r_outer = dag.add(r_outer, t);
    }

    // The multi-scalar multiplication: every commitment with its scalar, then -r G1, -Z_0 W
    // and u W'. A scalar of 1 needs no multiplication (the first commitment's).
    let fixed_comms = vk.fixed_commitments();
    let sigma_comms = vk.permutation().commitments();
    let at_cd = |o: usize| {
        (
            format!("calldataload({o:#x})"),
            format!("calldataload({:#x})", o + 32),
        )
    };
    let mut terms_msm: Vec<((String, String), N)> = Vec::new();
    for (c, s) in scalars {
        let point = match c {
            Commitment::Advice(i) => at_cd(advice_comm[&i]),
            Commitment::Fixed(i) => g1(&fixed_comms[i]),
            Commitment::Sigma(i) => g1(&sigma_comms[i]),
            Commitment::PermutationProduct(i) => at_cd(perm_products + 64 * i),
            Commitment::LookupInput(i) => at_cd(lookup_permuted + 128 * i),
            Commitment::LookupTable(i) => at_cd(lookup_permuted + 128 * i + 64),
            Commitment::LookupProduct(i) => at_cd(lookup_products + 64 * i),
            Commitment::Random => at_cd(random),
            Commitment::Quotient => {
                // h = sum_j x^(n j) H_j: piece j's scalar is the set's times x^(n j).
                let mut sj = s;
                for j in 0..num_quotients {
                    if j > 0 {
                        sj = dag.mul(sj, xn);
                    }
                    terms_msm.push((at_cd(quotients + 64 * j), sj));
                }
                continue;
            }
        };
        terms_msm.push((point, s));
    }
    let neg_r = dag.neg(r_outer);
    terms_msm.push((g1(&params.get_g()[0]), neg_r));
    let neg_z0 = dag.neg(z_0);
    terms_msm.push((at_cd(w), neg_z0));
    let u = dag.mem("U");
    terms_msm.push((at_cd(w_prime), u));
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
    let msm_points = terms_msm.len();
    code.emit(&dag, &outputs);
    let arithmetic = std::mem::take(&mut code.lines);

    // The transcript as Yul: the buffer holds the last hash at 0x00, then what is absorbed.
    let mut transcript = Vec::new();
    let mut len = 0x20; // the verifying key's digest at 0x00
    let mut buffer_size = 0x20;
    for step in &steps {
        match step {
            Step::Absorb { offset, len: l } => {
                transcript.push(format!("calldatacopy({len:#x}, {offset:#x}, {l:#x})"));
                len += l;
                buffer_size = buffer_size.max(len);
            }
            Step::Squeeze(slot) if len == 0x20 => {
                // Only the previous hash: a 0x01 byte keeps consecutive challenges apart.
                transcript.push(format!("mstore8(0x20, 1) mstore({slot}, squeeze(0x21))"));
            }
            Step::Squeeze(slot) => {
                transcript.push(format!("mstore({slot}, squeeze({len:#x}))"));
                len = 0x20;
            }
        }
    }
    // The buffer also serves the elliptic-curve and pairing inputs (0x180 bytes).
    let buffer_size = (buffer_size + 0x20).max(0x1a0).next_multiple_of(0x20);
    let mut memory: Vec<(String, usize)> = code
        .slots
        .iter()
        .enumerate()
        .map(|(i, name)| (name.clone(), buffer_size + 0x20 * i))
        .collect();
    let temps_at = buffer_size + 0x20 * code.slots.len();
    memory.extend((0..code.temps).map(|t| (format!("T{t}"), temps_at + 0x20 * t)));
    // Scratch for the inversion (six words, then the batch's running products).
    memory.push(("SCRATCH".into(), temps_at + 0x20 * code.temps));
    let template = Halo2VerifierTemplate {
        calldata_len,
        num_instances,
        vk_digest: fr(&vk.transcript_repr()),
        constants: Vec::new(),
        memory,
        buffer_size,
        points,
        scalars: (0..num_instances)
            .map(|i| 32 * i)
            .chain((evals_start..evals_end).step_by(32))
            .collect(),
        transcript,
        denominators,
        inversion,
        arithmetic,
        msm,
        w_prime,
        g2: g2(&params.g2()),
        neg_s_g2: g2(&-params.s_g2()),
    };
    let solidity = template
        .render()
        .map_err(|e| EvmError::Compile(format!("template: {e}")))?;
    Ok(Verifier {
        solidity,
        calldata_len,
        msm_points,
    })
}

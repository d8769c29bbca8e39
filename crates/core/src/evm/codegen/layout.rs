//! The calldata, in transcript order: the public inputs, every commitment and evaluation of the
//! proof at its offset, the transcript's absorb and squeeze steps, and the opening queries in
//! halo2's order.

use super::dag::{Code, Dag, Evals, N};
use super::{Commitment, Query, Shape};
use crate::evm::EvmError;
use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;
use std::collections::{BTreeMap, HashMap};

/// A transcript step of the contract.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// Absorb calldata `[offset, offset + len)`.
    Absorb { offset: usize, len: usize },
    /// Squeeze a challenge into a memory slot.
    Squeeze(String),
}

/// A permutation product's evaluations: at `x`, at `omega x`, and (all but the last) at
/// `omega^last x`.
pub(super) type SetEvals = (N, N, Option<N>);

/// Where everything sits in the calldata, and the evaluations as nodes.
pub(super) struct Layout {
    /// The transcript, in order.
    pub(super) steps: Vec<Step>,
    /// Offsets of every proof point (checked on the curve before anything else).
    pub(super) points: Vec<usize>,
    /// Offset of each advice column's commitment.
    pub(super) advice_comm: BTreeMap<usize, usize>,
    /// Offsets of the first lookup's permuted input, of the permutation products, of the lookup
    /// products, of the random polynomial, of the quotient's pieces.
    pub(super) lookup_permuted: usize,
    pub(super) perm_products: usize,
    pub(super) lookup_products: usize,
    pub(super) random: usize,
    pub(super) quotients: usize,
    /// The evaluations' range.
    pub(super) evals_start: usize,
    pub(super) evals_end: usize,
    /// The opening proof's two points.
    pub(super) w: usize,
    pub(super) w_prime: usize,
    /// The exact calldata length.
    pub(super) calldata_len: usize,
    /// Column evaluations by (column, rotation), for the gates.
    pub(super) evals: Evals,
    /// Each permutation column's sigma at `x`.
    pub(super) sigma_evals: Vec<N>,
    /// Per permutation product: at `x`, at `omega x`, and (all but the last) at `omega^last x`.
    pub(super) set_evals: Vec<SetEvals>,
    /// Per lookup: product, product at `omega x`, permuted input, at `omega^-1 x`, permuted table.
    pub(super) lookup_evals: Vec<[N; 5]>,
    /// Every opening query, in halo2's order.
    pub(super) queries: Vec<Query>,
}

impl Layout {
    /// Walks the proof as halo2-axiom's verifier reads it; names the challenges' slots in `code`.
    pub(super) fn new(
        cs: &ConstraintSystem<Fr>,
        shape: &Shape,
        num_instances: usize,
        code: &mut Code,
        dag: &mut Dag,
    ) -> Result<Layout, EvmError> {
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
        let lookup_permuted =
            absorb_points(&mut steps, &mut points, &mut at, 2 * shape.num_lookups);
        steps.push(Step::Squeeze(code.slot("BETA")));
        steps.push(Step::Squeeze(code.slot("GAMMA")));
        let perm_products = absorb_points(&mut steps, &mut points, &mut at, shape.num_sets);
        let lookup_products = absorb_points(&mut steps, &mut points, &mut at, shape.num_lookups);
        let random = absorb_points(&mut steps, &mut points, &mut at, 1);
        steps.push(Step::Squeeze(code.slot("Y")));
        let quotients = absorb_points(&mut steps, &mut points, &mut at, shape.num_quotients);
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
        let sigma_evals: Vec<N> = (0..shape.perm_columns.len())
            .map(|_| dag.cd(take(&mut at, 32)))
            .collect();
        let mut set_evals: Vec<SetEvals> = Vec::new();
        for i in 0..shape.num_sets {
            let e = dag.cd(take(&mut at, 32));
            let next = dag.cd(take(&mut at, 32));
            let l = (i + 1 < shape.num_sets).then(|| dag.cd(take(&mut at, 32)));
            set_evals.push((e, next, l));
        }
        let lookup_evals: Vec<[N; 5]> = (0..shape.num_lookups)
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

        let h_eval = dag.mem("H_EVAL");
        order_queries(
            &mut queries,
            fixed_queries,
            (&set_evals, &lookup_evals, &sigma_evals),
            (h_eval, random_eval),
            shape.last,
        )?;
        Ok(Layout {
            steps,
            points,
            advice_comm,
            lookup_permuted,
            perm_products,
            lookup_products,
            random,
            quotients,
            evals_start,
            evals_end,
            w,
            w_prime,
            calldata_len,
            evals,
            sigma_evals,
            set_evals,
            lookup_evals,
            queries,
        })
    }
}

/// The queries in halo2's order: advice (already in `queries`), permutation products, lookups,
/// fixed, sigmas, then the quotient and the random polynomial.
fn order_queries(
    queries: &mut Vec<Query>,
    fixed_queries: Vec<Query>,
    (set_evals, lookup_evals, sigma_evals): (&[SetEvals], &[[N; 5]], &[N]),
    (h_eval, random_eval): (N, N),
    last: i32,
) -> Result<(), EvmError> {
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
            EvmError::UnsupportedKey("permutation product without a last evaluation".into())
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
    queries.push(query(Commitment::Quotient, 0, h_eval));
    queries.push(query(Commitment::Random, 0, random_eval));
    Ok(())
}

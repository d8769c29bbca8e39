//! `cargo bench --bench gas`: where the gas of one on-chain verification goes. Proves one proof
//! with the dev key, runs the committed `Halo2Verifier` bytecode (circuits/evm) in revm with an
//! inspector, and prints a table: the transaction's intrinsic gas (calldata), each precompile,
//! the calls to them, and the verifier's own code by kind of opcode. Gas is deterministic (one
//! run is enough); it depends on the EVM's hard fork (revm's default here).
//!
//! A second table attributes the proof's bytes and the verifier's multi-scalar multiplication
//! to the circuit's columns, read from the verifying key's constraint system: which column
//! costs which commitments, evaluations (one per column and rotation queried) and `ecMul`s.

use halo2_proofs::plonk::{Any, Circuit, ConstraintSystem, VerifyingKey};
use halo2curves::bn256::{Fr, G1Affine};
use revm::context::TxEnv;
use revm::context::result::{ExecutionResult, Output};
use revm::database::InMemoryDB;
use revm::interpreter::interpreter_types::Jumps;
use revm::interpreter::{CallInputs, CallOutcome, Interpreter, InterpreterTypes};
use revm::primitives::{Address, TxKind};
use revm::{Context, InspectCommitEvm, Inspector, MainBuilder, MainContext};
use std::collections::BTreeMap;
use std::sync::Arc;
use zkmnist::circuit::ZkmnistCircuit;
use zkmnist::evm::{self, Artifacts};
use zkmnist::model::ModelSpec;
use zkmnist::prover;

/// Gas per opcode of the verifier's own code, and per precompile.
#[derive(Default)]
struct Profile {
    pending: Option<(u8, u64)>,
    by_op: BTreeMap<u8, (u64, u64)>,
    precompiles: BTreeMap<u8, (u64, u64)>,
}

impl<CTX, INTR: InterpreterTypes> Inspector<CTX, INTR> for Profile {
    fn step(&mut self, interp: &mut Interpreter<INTR>, _: &mut CTX) {
        self.pending = Some((interp.bytecode.opcode(), interp.gas.remaining()));
    }

    fn step_end(&mut self, interp: &mut Interpreter<INTR>, _: &mut CTX) {
        if let Some((op, before)) = self.pending.take() {
            let e = self.by_op.entry(op).or_default();
            e.0 += 1;
            // A call's own cost is counted from `call_end`; here it would include the gas
            // forwarded to the callee.
            if op != 0xfa {
                e.1 += before.saturating_sub(interp.gas.remaining());
            }
        }
    }

    fn call_end(&mut self, _: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        let a = inputs.target_address.as_slice();
        if a[..19].iter().all(|b| *b == 0) && (1..=10).contains(&a[19]) {
            let e = self.precompiles.entry(a[19]).or_default();
            e.0 += 1;
            e.1 += outcome.result.gas.spent();
        }
    }
}

type Chain = revm::handler::MainnetEvm<revm::handler::MainnetContext<InMemoryDB>, Profile>;

/// One transaction from the default sender with the given nonce.
fn transact(chain: &mut Chain, kind: TxKind, data: Vec<u8>, nonce: u64) -> ExecutionResult {
    chain
        .inspect_tx_commit(TxEnv {
            gas_limit: evm::DEFAULT_GAS,
            kind,
            data: data.into(),
            nonce,
            ..Default::default()
        })
        .expect("transaction")
}

/// Deploys creation code; its address.
fn deploy(chain: &mut Chain, code: Vec<u8>, nonce: u64) -> Address {
    match transact(chain, TxKind::Create, code, nonce) {
        ExecutionResult::Success {
            output: Output::Create(_, Some(a)),
            ..
        } => a,
        other => panic!("deployment failed: {other:?}"),
    }
}

/// Calls `to`; the gas of the whole transaction. The bench proof must be accepted.
fn call(chain: &mut Chain, to: Address, data: Vec<u8>, nonce: u64) -> u64 {
    match transact(chain, TxKind::Call(to), data, nonce) {
        ExecutionResult::Success { gas_used, .. } => gas_used,
        other => panic!("the bench proof was rejected: {other:?}"),
    }
}

fn main() {
    let spec = Arc::new(ModelSpec::embedded().expect("embedded model"));
    let circuit = ZkmnistCircuit::new(spec).expect("circuit");
    let params = prover::dev_params(circuit.dimensions().expect("dimensions").k);
    let (_, pk) = prover::keygen(&params, &circuit).expect("keygen");
    let mut pixels = [0u8; 784];
    for (i, p) in pixels.iter_mut().enumerate() {
        let (y, x) = (i / 28, i % 28);
        if (8..20).contains(&y) && (12..16).contains(&x) {
            *p = 255;
        }
    }
    let w =
        prover::image_witness(&circuit, pixels, halo2curves::bn256::Fr::from(0)).expect("witness");
    let publics = w.public_inputs();
    let proof = prover::prove(&params, &pk, &circuit, w).expect("prove");
    let data = evm::calldata(&publics, &proof);
    let art = Artifacts::embedded().expect("committed bytecode");

    let mut chain = Context::mainnet()
        .with_db(InMemoryDB::default())
        .modify_cfg_chained(|cfg| cfg.disable_nonce_check = true)
        .build_mainnet_with_inspector(Profile::default());
    let address = deploy(&mut chain, art.verifier.clone(), 0);
    // Count the call alone.
    chain.inspector.by_op.clear();
    chain.inspector.precompiles.clear();
    let total = call(&mut chain, address, data.clone(), 1);
    let profile = std::mem::take(&mut chain.inspector);
    let ec_muls = profile.precompiles.get(&7).map_or(0, |(n, _)| *n);
    print_columns(&circuit, pk.get_vk(), proof.len(), ec_muls);

    // The same proof through the wrapper's typed ABI: what `ZkmnistVerifier` adds on top.
    let mut constructor = art.wrapper.clone();
    constructor.extend_from_slice(&evm::address_word(address));
    let wrapper = deploy(&mut chain, constructor, 2);
    let typed_data = evm::wrapper_call(&publics, &proof);
    let typed = call(&mut chain, wrapper, typed_data.clone(), 3);

    let calldata_gas = |d: &[u8]| {
        let zeros = d.iter().filter(|b| **b == 0).count() as u64;
        (zeros, 21_000 + 4 * zeros + 16 * (d.len() as u64 - zeros))
    };
    let (zeros, intrinsic) = calldata_gas(&data);
    let mut rows: Vec<(String, u64, u64)> = vec![(
        format!(
            "intrinsic: 21,000 + calldata ({} bytes, {zeros} zero)",
            data.len()
        ),
        1,
        intrinsic,
    )];
    let names = [
        (5, "modexp (one batch inversion)"),
        (6, "ecAdd"),
        (7, "ecMul"),
        (8, "pairing (2 pairs)"),
    ];
    let mut precompile_gas = 0;
    let mut calls = 0;
    for (id, name) in names {
        let (n, g) = profile.precompiles.get(&id).copied().unwrap_or_default();
        precompile_gas += g;
        calls += n;
        rows.push((format!("precompile {name}"), n, g));
    }
    rows.push((
        "precompile calls (warm access, 100 each)".into(),
        calls,
        100 * calls,
    ));
    let class = |op: u8| match op {
        0x08 | 0x09 => "code: field arithmetic (addmod, mulmod)",
        0x51..=0x53 => "code: memory (mload, mstore, expansion)",
        0x35..=0x37 => "code: calldata (calldataload, calldatacopy)",
        0x20 => "code: transcript (keccak256)",
        0x56 | 0x57 | 0x5b => "code: jumps",
        0xfa => "code: staticcall arguments",
        _ => "code: stack, comparisons, other",
    };
    let mut code: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (op, (n, g)) in &profile.by_op {
        let e = code.entry(class(*op)).or_default();
        e.0 += n;
        e.1 += g;
    }
    let own: u64 = total - intrinsic - precompile_gas - 100 * calls;
    let profiled: u64 = code.values().map(|(_, g)| g).sum();
    for (name, (n, g)) in code {
        rows.push((name.to_string(), n, g));
    }
    if profiled != own {
        rows.push(("code: unattributed".into(), 0, own.saturating_sub(profiled)));
    }
    println!("| part | count | gas |");
    println!("|---|---:|---:|");
    for (name, n, g) in &rows {
        println!("| {name} | {n} | {g} |");
    }
    println!("| **total (transaction)** | | **{total}** |");
    println!(
        "\nfloor (intrinsic + precompiles + calls): {}; verifier code: {own}",
        intrinsic + precompile_gas + 100 * calls
    );
    let typed_calldata = calldata_gas(&typed_data).1 - intrinsic;
    println!(
        "through ZkmnistVerifier.verify: {typed} (+{}: {typed_calldata} of calldata for the ABI \
         head, 2,600 for the cold call to the verifier, {} of the wrapper's own code)",
        typed - total,
        (typed - total).saturating_sub(typed_calldata + 2_600)
    );
}

/// One line of the column profile.
struct Cost {
    what: String,
    /// Points in the proof.
    points: usize,
    /// Evaluations in the proof.
    evals: usize,
    /// The rotations a column is opened at (empty for the arguments' polynomials).
    rotations: Vec<i32>,
    /// Points the verifier multiplies that the proof does not carry (verifying key, generator).
    known_points: usize,
}

/// Prints the proof's bytes and the verifier's `ecMul`s by column: a proof point is 64 bytes
/// and one `ecMul`, an evaluation 32 bytes, a verifying-key point (fixed column, permutation
/// sigma) one `ecMul`. Rotations are named relative to the gate's row. The byte total must be
/// the proof's length; the `ecMul`s are shown beside the count the verifier made.
fn print_columns(
    circuit: &ZkmnistCircuit,
    vk: &VerifyingKey<G1Affine>,
    proof_len: usize,
    ec_muls: u64,
) {
    let cs = vk.cs();
    let mut declared = ConstraintSystem::<Fr>::default();
    let config = ZkmnistCircuit::configure_with_params(&mut declared, circuit.params());
    let k = config.cols;
    let advice_names = [
        (k.a, "a: lookup lane input"),
        (k.b, "b: lookup lane output"),
        (k.s, "s: Poseidon state, packing"),
        (k.y, "y: claims, accumulators, public inputs"),
        (k.q, "q: Poseidon squares, algebra operands"),
        (k.h, "h: chains"),
        (k.g, "g: weight chains, algebra operands"),
    ];
    let fixed_name = |i: usize| {
        if i == k.c.index() {
            "c: Poseidon round constants, small coefficients".to_string()
        } else if i == k.w.index() {
            "w: weights".to_string()
        } else if i < declared.num_fixed_columns() {
            "lookup table column".to_string()
        } else {
            "selectors (compressed)".to_string()
        }
    };
    let perm: Vec<usize> = cs
        .permutation()
        .get_columns()
        .iter()
        .filter(|c| matches!(c.column_type(), Any::Advice(_)))
        .map(|c| c.index())
        .collect();
    let mut rows = Vec::new();
    for (col, name) in advice_names {
        let rotations = cs
            .advice_queries()
            .iter()
            .filter(|(c, _)| *c == col)
            .map(|(_, r)| r.0)
            .collect::<Vec<_>>();
        let copied = if perm.contains(&col.index()) {
            " (copies)"
        } else {
            ""
        };
        rows.push(Cost {
            what: format!("advice {name}{copied}"),
            points: 1,
            evals: rotations.len(),
            rotations,
            known_points: 0,
        });
    }
    for i in 0..cs.num_fixed_columns() {
        let rotations = cs
            .fixed_queries()
            .iter()
            .filter(|(c, _)| c.index() == i)
            .map(|(_, r)| r.0)
            .collect::<Vec<_>>();
        rows.push(Cost {
            what: format!("fixed {}", fixed_name(i)),
            points: 0,
            evals: rotations.len(),
            rotations,
            known_points: 1,
        });
    }
    let perm_columns = cs.permutation().get_columns().len();
    let chunk = cs.degree() - 2;
    let sets = perm_columns.div_ceil(chunk);
    rows.push(Cost {
        what: format!("permutation: {perm_columns} sigmas"),
        points: 0,
        evals: perm_columns,
        rotations: vec![],
        known_points: perm_columns,
    });
    rows.push(Cost {
        what: format!("permutation: {sets} products ({chunk} columns each)"),
        points: sets,
        evals: 3 * sets - 1,
        rotations: vec![],
        known_points: 0,
    });
    for _ in cs.lookups() {
        rows.push(Cost {
            what: "lookup: permuted input, permuted table, product".into(),
            points: 3,
            evals: 5,
            rotations: vec![],
            known_points: 0,
        });
    }
    rows.push(Cost {
        what: format!(
            "quotient: {} pieces (degree {}), random polynomial",
            cs.degree() - 1,
            cs.degree()
        ),
        points: cs.degree(),
        evals: 1,
        rotations: vec![],
        known_points: 0,
    });
    rows.push(Cost {
        what: "SHPLONK opening (W, W'; the generator times the evaluations is one more ecMul)"
            .into(),
        points: 2,
        evals: 0,
        rotations: vec![],
        known_points: 1,
    });
    println!("| column or argument | proof points | evaluations | proof bytes | ecMul |");
    println!("|---|---:|---|---:|---:|");
    let (mut bytes, mut muls) = (0, 0);
    for r in &rows {
        let b = 64 * r.points + 32 * r.evals;
        let m = r.known_points + r.points;
        bytes += b;
        muls += m;
        let evals = if r.rotations.iter().all(|r| *r == 0) {
            r.evals.to_string()
        } else {
            let rots: Vec<String> = r.rotations.iter().map(|r| format!("{r:+}")).collect();
            format!("{} (rotations {})", r.evals, rots.join(", "))
        };
        println!("| {} | {} | {evals} | {b} | {m} |", r.what, r.points);
    }
    assert_eq!(
        bytes, proof_len,
        "the column profile does not add up to the proof's length"
    );
    // A term whose scalar is 1 costs an ecAdd only, so the verifier may make fewer ecMuls.
    println!("| **total** | | | **{bytes}** | **{muls}** terms ({ec_muls} ecMul measured) |\n");
}

//! The Solidity verifier (feature `evm`): generated from the verifying key by snark-verifier,
//! compiled offline with solc-js (`scripts/solc.js`), executed in an embedded EVM (revm).

use crate::circuit::{PUBLIC_INPUTS, ZkmnistCircuit};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use snark_verifier_sdk::{CircuitExt, SHPLONK};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Errors of generation, compilation and execution.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// solc-js could not be run or rejected the sources.
    #[error("solidity compilation failed: {0}")]
    Compile(String),
    /// The EVM reverted or halted.
    #[error("EVM execution failed: {0}")]
    Execution(String),
}

impl CircuitExt<Fr> for ZkmnistCircuit {
    fn num_instance(&self) -> Vec<usize> {
        vec![PUBLIC_INPUTS]
    }

    fn instances(&self) -> Vec<Vec<Fr>> {
        vec![self.public_inputs().map(|p| p.to_vec()).unwrap_or_default()]
    }
}

/// The Solidity source of the verifier for a verifying key.
pub fn verifier_solidity(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>) -> String {
    snark_verifier_sdk::evm::gen_evm_verifier_sol_code::<ZkmnistCircuit, SHPLONK>(
        params,
        vk,
        vec![PUBLIC_INPUTS],
    )
}

/// The exact bytes the verifier contract takes: the public inputs (32-byte big-endian each)
/// then the proof.
pub fn calldata(public_inputs: &[Fr; PUBLIC_INPUTS], proof: &[u8]) -> Vec<u8> {
    snark_verifier_sdk::evm::encode_calldata(&[public_inputs.to_vec()], proof)
}

/// Compiles `source` (file name `name`) with the project's solc-js and returns the creation
/// bytecode of `contract`. Optimizer on with the Yul optimizer off: with it on, the generated
/// verifier fails "stack too deep"; `viaIR` yields a contract that rejects every proof.
pub fn compile(root: &Path, name: &str, source: &str, contract: &str) -> Result<Vec<u8>, EvmError> {
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": { name: { "content": source } },
        "settings": {
            "optimizer": { "enabled": true, "runs": 1, "details": { "yul": false } },
            "outputSelection": { "*": { "*": ["evm.bytecode.object", "abi"] } }
        }
    });
    let mut child = Command::new("node")
        .arg(root.join("scripts/solc.js"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EvmError::Compile(format!("cannot run node scripts/solc.js: {e}")))?;
    child
        .stdin
        .take()
        .ok_or_else(|| EvmError::Compile("no stdin".into()))?
        .write_all(input.to_string().as_bytes())
        .map_err(|e| EvmError::Compile(e.to_string()))?;
    let out = child
        .wait_with_output()
        .map_err(|e| EvmError::Compile(e.to_string()))?;
    if !out.status.success() {
        return Err(EvmError::Compile(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| EvmError::Compile(format!("solc output: {e}")))?;
    if let Some(errors) = json["errors"].as_array() {
        let fatal: Vec<&str> = errors
            .iter()
            .filter(|e| e["severity"] == "error")
            .filter_map(|e| e["formattedMessage"].as_str())
            .collect();
        if !fatal.is_empty() {
            return Err(EvmError::Compile(fatal.join("\n")));
        }
    }
    let hex_code = json["contracts"][name][contract]["evm"]["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| EvmError::Compile(format!("no bytecode for {contract} in {name}")))?;
    hex::decode(hex_code).map_err(|e| EvmError::Compile(e.to_string()))
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Gas the call used.
    pub gas_used: u64,
    /// Size of the deployed (runtime) code.
    pub runtime_size: usize,
}

/// The EIP-170 limit on deployed code size.
pub const MAX_RUNTIME_SIZE: usize = revm::primitives::eip170::MAX_CODE_SIZE;

/// Deploys `creation_code` in a fresh in-memory EVM and calls it with `calldata`.
/// `enforce_size_limit: false` lifts EIP-170 (only to test a verifier that does not fit yet).
pub fn deploy_and_call(
    creation_code: Vec<u8>,
    calldata: Vec<u8>,
    enforce_size_limit: bool,
) -> Result<CallOutcome, EvmError> {
    use revm::context::TxEnv;
    use revm::context::result::{ExecutionResult, Output};
    use revm::context_interface::ContextTr;
    use revm::database::InMemoryDB;
    use revm::primitives::TxKind;
    use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
    let mut vm = Context::mainnet()
        .with_db(InMemoryDB::default())
        .modify_cfg_chained(|cfg| {
            if !enforce_size_limit {
                cfg.limit_contract_code_size = Some(usize::MAX);
            }
        })
        .build_mainnet();
    let failed = |what: &str, r: ExecutionResult| EvmError::Execution(format!("{what}: {r:?}"));
    let deployed = vm
        .transact_commit(TxEnv {
            gas_limit: 30_000_000,
            kind: TxKind::Create,
            data: creation_code.into(),
            ..Default::default()
        })
        .map_err(|e| EvmError::Execution(format!("deployment: {e:?}")))?;
    let address = match deployed {
        ExecutionResult::Success {
            output: Output::Create(_, Some(address)),
            ..
        } => address,
        other => return Err(failed("deployment failed", other)),
    };
    let runtime_size = vm
        .ctx
        .db()
        .cache
        .accounts
        .get(&address)
        .and_then(|a| a.info.code.as_ref())
        .map_or(0, |c| c.original_bytes().len());
    let called = vm
        .transact_commit(TxEnv {
            gas_limit: 30_000_000,
            kind: TxKind::Call(address),
            data: calldata.into(),
            nonce: 1,
            ..Default::default()
        })
        .map_err(|e| EvmError::Execution(format!("call: {e:?}")))?;
    match called {
        ExecutionResult::Success { gas_used, .. } => Ok(CallOutcome {
            gas_used,
            runtime_size,
        }),
        other => Err(failed("the call reverted", other)),
    }
}

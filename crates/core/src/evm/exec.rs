//! An embedded EVM (revm, feature `evm-exec`) that deploys the committed verifier bytecode and
//! calls it: the same bytes a chain runs, natively and in the browser.

use super::{Artifacts, EvmError, decode_bool, wrapper_call};
use halo2curves::bn256::Fr;
use revm::context::TxEnv;
use revm::context::result::{ExecutionResult, HaltReason, Output};
use revm::context_interface::ContextTr;
use revm::database::InMemoryDB;
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::{Address, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use zkmnist_circuit::PUBLIC_INPUTS;

/// The EIP-170 limit on deployed code size.
pub const MAX_RUNTIME_SIZE: usize = revm::primitives::eip170::MAX_CODE_SIZE;

/// Gas given to a call unless the caller says otherwise.
pub const DEFAULT_GAS: u64 = 30_000_000;

/// An in-memory chain.
pub struct LocalEvm {
    evm: MainnetEvm<MainnetContext<InMemoryDB>>,
}

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    /// It returned (did not revert or halt).
    pub success: bool,
    /// It halted for lack of gas.
    pub out_of_gas: bool,
    /// Gas used by the whole transaction (including the 21,000 base and calldata).
    pub gas_used: u64,
    /// Return or revert data.
    pub output: Vec<u8>,
}

/// The three contracts, deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// `Halo2Verifier`, `ZkmnistVerifier`, `DigitRegistry`.
    pub addresses: [Address; 3],
    /// Their runtime code sizes, in that order.
    pub runtime_sizes: [usize; 3],
    /// Gas of each deployment transaction, in that order.
    pub deploy_gas: [u64; 3],
}

impl Deployed {
    /// `Halo2Verifier` (raw calldata).
    pub fn verifier(&self) -> Address {
        self.addresses[0]
    }
    /// `ZkmnistVerifier` (typed ABI).
    pub fn wrapper(&self) -> Address {
        self.addresses[1]
    }
    /// `DigitRegistry`.
    pub fn registry(&self) -> Address {
        self.addresses[2]
    }
}

/// An address as a 32-byte ABI word.
pub fn address_word(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

impl LocalEvm {
    /// A fresh chain; with `enforce_size_limit` off, code larger than EIP-170 deploys too.
    pub fn new(enforce_size_limit: bool) -> Self {
        let evm = Context::mainnet()
            .with_db(InMemoryDB::default())
            .modify_cfg_chained(|cfg| {
                cfg.disable_nonce_check = true;
                if !enforce_size_limit {
                    cfg.limit_contract_code_size = Some(usize::MAX);
                }
            })
            .build_mainnet();
        LocalEvm { evm }
    }

    /// Deploys `creation` followed by the constructor arguments; returns the address, the
    /// runtime code size and the gas used.
    pub fn deploy(
        &mut self,
        creation: &[u8],
        args: &[[u8; 32]],
    ) -> Result<(Address, usize, u64), EvmError> {
        let mut data = creation.to_vec();
        for a in args {
            data.extend_from_slice(a);
        }
        let result = self
            .evm
            .transact_commit(TxEnv {
                gas_limit: DEFAULT_GAS,
                kind: TxKind::Create,
                data: data.into(),
                ..Default::default()
            })
            .map_err(|e| EvmError::Deploy(format!("{e:?}")))?;
        match result {
            ExecutionResult::Success {
                output: Output::Create(_, Some(address)),
                gas_used,
                ..
            } => {
                let size = self
                    .evm
                    .ctx
                    .db()
                    .cache
                    .accounts
                    .get(&address)
                    .and_then(|a| a.info.code.as_ref())
                    .map_or(0, |c| c.original_bytes().len());
                Ok((address, size, gas_used))
            }
            other => Err(EvmError::Deploy(format!("{other:?}"))),
        }
    }

    /// Deploys the three contracts in order, each given the previous one's address.
    pub fn deploy_all(&mut self, a: &Artifacts) -> Result<Deployed, EvmError> {
        let mut addresses = [Address::ZERO; 3];
        let mut runtime_sizes = [0; 3];
        let mut deploy_gas = [0; 3];
        let codes = [&a.verifier, &a.wrapper, &a.registry];
        for (i, code) in codes.iter().enumerate() {
            let args: Vec<[u8; 32]> = if i == 0 {
                Vec::new()
            } else {
                vec![address_word(addresses[i - 1])]
            };
            let (addr, size, gas) = self.deploy(code, &args)?;
            addresses[i] = addr;
            runtime_sizes[i] = size;
            deploy_gas[i] = gas;
        }
        Ok(Deployed {
            addresses,
            runtime_sizes,
            deploy_gas,
        })
    }

    /// Calls `to` with `data` and `gas_limit`, committing any state change.
    pub fn call(
        &mut self,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<CallResult, EvmError> {
        self.call_from(Address::ZERO, to, data, gas_limit)
    }

    /// [`LocalEvm::call`] from a given sender.
    pub fn call_from(
        &mut self,
        caller: Address,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<CallResult, EvmError> {
        let result = self
            .evm
            .transact_commit(TxEnv {
                caller,
                gas_limit,
                kind: TxKind::Call(to),
                data: data.into(),
                ..Default::default()
            })
            .map_err(|e| EvmError::Call(format!("{e:?}")))?;
        Ok(match result {
            ExecutionResult::Success {
                gas_used, output, ..
            } => CallResult {
                success: true,
                out_of_gas: false,
                gas_used,
                output: output.data().to_vec(),
            },
            ExecutionResult::Revert { gas_used, output } => CallResult {
                success: false,
                out_of_gas: false,
                gas_used,
                output: output.to_vec(),
            },
            ExecutionResult::Halt { reason, gas_used } => CallResult {
                success: false,
                out_of_gas: matches!(reason, HaltReason::OutOfGas(_)),
                gas_used,
                output: Vec::new(),
            },
        })
    }
}

/// What running the verifier contracts on one proof in the embedded EVM found and measured
/// (the EVM part of a [`crate::statement::Verdict`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    /// `ZkmnistVerifier.verify` returned true (and the raw verifier agreed); the verdict says
    /// it, not the run's JSON.
    #[serde(skip)]
    pub valid: bool,
    /// Gas of the `verify` transaction through the wrapper.
    pub gas_used: u64,
    /// Gas of a transaction calling `Halo2Verifier` directly with raw calldata.
    pub verifier_gas: u64,
    /// Runtime code sizes of the three contracts.
    pub runtime_sizes: [usize; 3],
    /// Deployment gas of the three contracts.
    pub deploy_gas: [u64; 3],
}

/// Deploys `artifacts` in a fresh embedded EVM (EIP-170 enforced) and verifies a proof both
/// through the wrapper's typed ABI and by calling the generated verifier directly; an
/// inconsistency between the two is an error, not a verdict.
pub fn verify_with_artifacts(
    artifacts: &Artifacts,
    public_inputs: &[Fr; PUBLIC_INPUTS],
    proof: &[u8],
) -> Result<Run, EvmError> {
    let mut evm = LocalEvm::new(true);
    let d = evm.deploy_all(artifacts)?;
    let raw = evm.call(
        d.verifier(),
        super::calldata(public_inputs, proof),
        DEFAULT_GAS,
    )?;
    if raw.success && raw.output != super::word(1) {
        return Err(EvmError::Output(format!(
            "the generated verifier accepted without returning a 32-byte 1: 0x{}",
            hex::encode(&raw.output)
        )));
    }
    let typed = evm.call(d.wrapper(), wrapper_call(public_inputs, proof), DEFAULT_GAS)?;
    if !typed.success {
        return Err(EvmError::Inconsistent(format!(
            "ZkmnistVerifier.verify reverted: 0x{}",
            hex::encode(&typed.output)
        )));
    }
    let valid = decode_bool(&typed.output)?;
    if valid != raw.success {
        return Err(EvmError::Inconsistent(format!(
            "the wrapper says {valid}, the generated verifier {}",
            if raw.success { "accepts" } else { "rejects" }
        )));
    }
    Ok(Run {
        valid,
        gas_used: typed.gas_used,
        verifier_gas: raw.gas_used,
        runtime_sizes: d.runtime_sizes,
        deploy_gas: d.deploy_gas,
    })
}

/// An address from its 20 bytes.
pub fn address_from_bytes(bytes: [u8; 20]) -> Address {
    Address::from(bytes)
}

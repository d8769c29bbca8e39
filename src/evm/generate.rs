//! Generating the Solidity verifier (feature `evm`): snark-verifier writes it from the
//! verifying key, [`split`] makes it deployable, solc-js (`scripts/solc.js`) compiles it
//! offline together with the hand-written wrapper and example consumer.

use crate::circuit::{PUBLIC_INPUTS, ZkmnistCircuit};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use snark_verifier_sdk::{CircuitExt, SHPLONK};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::EvmError;

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

/// One compiled contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// Creation bytecode.
    pub bytecode: Vec<u8>,
    /// The ABI, as solc prints it (JSON).
    pub abi: serde_json::Value,
}

/// Compiles `sources` (file name, text) with the project's solc-js and returns `contract`
/// of each `(file, contract)` asked for, in order. Optimizer on with the Yul optimizer off:
/// with it on, the generated verifier fails "stack too deep"; `viaIR` yields a contract that
/// rejects every proof.
pub fn compile_all(
    root: &Path,
    sources: &[(&str, &str)],
    wanted: &[(&str, &str)],
) -> Result<Vec<Compiled>, EvmError> {
    let sources: serde_json::Map<String, serde_json::Value> = sources
        .iter()
        .map(|(name, text)| (name.to_string(), serde_json::json!({ "content": text })))
        .collect();
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": sources,
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
        .map_err(|e| {
            EvmError::Compile(format!(
                "cannot run node scripts/solc.js: {e} (install Node.js and run `npm ci`)"
            ))
        })?;
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
    wanted
        .iter()
        .map(|(file, contract)| {
            let c = &json["contracts"][file][contract];
            let hex_code = c["evm"]["bytecode"]["object"].as_str().ok_or_else(|| {
                EvmError::Compile(format!("no bytecode for {contract} in {file}"))
            })?;
            Ok(Compiled {
                bytecode: hex::decode(hex_code).map_err(|e| EvmError::Compile(e.to_string()))?,
                abi: c["abi"].clone(),
            })
        })
        .collect()
}

/// The generated verifier, made deployable: `main` keeps the transcript, the MSM and the
/// pairing and calls `gates` (by `staticcall`, passing its memory) for the longest run of
/// gate-expression arithmetic, which alone would push it past EIP-170's 24,576 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitVerifier {
    /// Source of `Halo2Verifier` (constructor takes the `Halo2VerifierGates` address).
    pub main: String,
    /// Source of `Halo2VerifierGates`.
    pub gates: String,
    /// The calldata length the verifier accepts: 32 bytes per public input, then the proof.
    pub calldata_len: usize,
}

/// Splits snark-verifier's generated source (see [`SplitVerifier`]) and adds the checks it
/// lacks: the calldata length must be exactly the proof's, public inputs must be canonical
/// (below the scalar field modulus) instead of being reduced, an invalid proof point reverts
/// before any elliptic-curve precompile sees it, and a failed precompile call (only lack of gas
/// can cause one then) burns the remaining gas, so callers can tell it from a rejection.
///
/// The source is straight-line Yul: one `mstore(0x.., expr)` per line, memory allocated
/// upwards. The part moved out is the longest run of lines that only compute field
/// arithmetic from memory (`mload`, `mulmod`, `addmod`, `sub`, constants) into consecutive
/// words; the callee gets memory `[0x80, start)` as calldata and returns the words written.
pub fn split(generated: &str) -> Result<SplitVerifier, EvmError> {
    let bad = |what: &str| EvmError::Compile(format!("unexpected generated verifier: {what}"));
    let lines: Vec<&str> = generated.lines().collect();
    let is_arith = |l: &str| -> Option<usize> {
        let rest = l.trim().strip_prefix("mstore(0x")?;
        let (addr, expr) = rest.split_once(", ")?;
        let ok = expr.strip_suffix(')').is_some_and(|e| {
            let mut t = e.replace("mulmod", " ").replace("addmod", " ");
            for word in ["mload", "sub", "f_q", "0x"] {
                t = t.replace(word, " ");
            }
            t.chars()
                .all(|c| c.is_ascii_hexdigit() || " (),".contains(c))
        });
        if ok {
            usize::from_str_radix(addr, 16).ok()
        } else {
            None
        }
    };
    // Longest run of arithmetic lines writing consecutive words.
    let (mut best, mut run) = ((0, 0), None::<(usize, usize)>);
    for (i, l) in lines.iter().enumerate() {
        run = match (is_arith(l), run) {
            (Some(a), Some((start, _)))
                if is_arith(lines[i - 1]).is_some_and(|prev| prev + 32 == a) =>
            {
                Some((start, i + 1))
            }
            (Some(_), _) => Some((i, i + 1)),
            (None, _) => None,
        };
        if let Some(r) = run
            && r.1 - r.0 > best.1 - best.0
        {
            best = r;
        }
    }
    let (from, to) = best;
    if to - from < 100 {
        return Err(bad("no long run of gate arithmetic"));
    }
    let start = is_arith(lines[from]).ok_or_else(|| bad("run start"))?;
    let end = is_arith(lines[to - 1]).ok_or_else(|| bad("run end"))? + 32;
    // Reads inside the run must come from before it or from words it already wrote.
    for (n, l) in lines[from..to].iter().enumerate() {
        for part in l.split("mload(0x").skip(1) {
            let hex_addr: String = part.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            let a = usize::from_str_radix(&hex_addr, 16).map_err(|_| bad("mload address"))?;
            if a >= start + 32 * n && a < end {
                return Err(bad("the arithmetic run reads ahead of itself"));
            }
            if a >= end {
                return Err(bad("the arithmetic run reads memory written after it"));
            }
        }
    }
    let calldata_len = generated
        .split("calldataload(0x")
        .skip(1)
        .filter_map(|p| {
            let h: String = p.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            usize::from_str_radix(&h, 16).ok()
        })
        .max()
        .ok_or_else(|| bad("no calldataload"))?
        + 32;
    let header = "            let f_q := ";
    let fq_line = lines
        .iter()
        .find(|l| l.starts_with(header))
        .ok_or_else(|| bad("no f_q"))?;
    let fallback = "    fallback(bytes calldata) external returns (bytes memory) {";
    if !lines.contains(&fallback) || lines.iter().filter(|l| **l == *fq_line).count() != 1 {
        return Err(bad("no fallback"));
    }
    let first_ec_call = lines
        .iter()
        .position(|l| l.contains("staticcall(gas(), 0x6,") || l.contains("staticcall(gas(), 0x7,"))
        .ok_or_else(|| bad("no elliptic-curve precompile call"))?;
    if first_ec_call < to
        || lines[..first_ec_call]
            .iter()
            .any(|l| l.contains("staticcall(gas(), 0x8,"))
        || lines[first_ec_call..]
            .iter()
            .any(|l| l.contains("validate_ec_point(x, y)"))
    {
        return Err(bad("proof points are not all read before the MSM"));
    }
    let mut main = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == from {
            main += &format!(
                "            // Gate arithmetic for memory [{start:#x}, {end:#x}) runs in Halo2VerifierGates.\n\
                 \x20           {{\n\
                 \x20               if iszero(staticcall(gas(), gates, 0x80, {:#x}, {start:#x}, {:#x})) {{\n\
                 \x20                   invalid()\n\
                 \x20               }}\n\
                 \x20               success := and(eq(returndatasize(), {:#x}), success)\n\
                 \x20           }}\n",
                start - 0x80,
                end - start,
                end - start
            );
        }
        if (from..to).contains(&i) {
            continue;
        }
        if i == first_ec_call {
            main += "            // zkmnist: stop on an invalid proof point before the MSM; an elliptic-curve\n\
                     \x20           // precompile given one would consume all gas, and a rejection must be cheap\n\
                     \x20           // to tell from running out of gas (see ZkmnistVerifier).\n\
                     \x20           if iszero(success) {\n\
                     \x20               revert(0, 0)\n\
                     \x20           }\n";
        }
        if *l == fallback {
            main += "    /// The contract holding the gate arithmetic (see the zkmnist README).\n";
            main += "    address private immutable GATES;\n\n";
            main += "    constructor(address gates) {\n";
            main +=
                "        require(gates.code.length > 0, \"Halo2Verifier: no gates contract\");\n";
            main += "        GATES = gates;\n    }\n\n";
            main += l;
            main += "\n        address gates = GATES;\n";
            continue;
        }
        if let Some(call) = l
            .trim()
            .strip_prefix("success := and(eq(staticcall(")
            .and_then(|c| c.strip_suffix("), 1), success)"))
        {
            // A precompile call can only fail here for lack of gas (points were checked
            // above): burn the rest, so the caller sees an out-of-gas failure, not a verdict.
            main += &format!("if iszero(staticcall({call})) {{ invalid() }}\n");
            continue;
        }
        main += l;
        main += "\n";
        if *l == *fq_line {
            main += &format!(
                "            // zkmnist: exactly the expected calldata, and canonical public inputs.\n\
                 \x20           if iszero(eq(calldatasize(), {calldata_len:#x})) {{\n\
                 \x20               revert(0, 0)\n\
                 \x20           }}\n\
                 \x20           for {{ let i := 0 }} lt(i, {:#x}) {{ i := add(i, 0x20) }} {{\n\
                 \x20               success := and(lt(calldataload(i), f_q), success)\n\
                 \x20           }}\n",
                32 * PUBLIC_INPUTS
            );
        }
    }
    let body: String = lines[from..to]
        .iter()
        .map(|l| format!("            {}\n", l.trim()))
        .collect();
    let gates = format!(
        "// SPDX-License-Identifier: MIT\n\
         // Generated by `zkmnist export-verifier` from snark-verifier's output: do not edit.\n\n\
         pragma solidity 0.8.19;\n\n\
         /// Part of the zkmnist verifier: evaluates the circuit's gate expressions for\n\
         /// Halo2Verifier, which passes its memory [0x80, {start:#x}) and receives [{start:#x}, {end:#x}).\n\
         contract Halo2VerifierGates {{\n\
         \x20   fallback(bytes calldata) external returns (bytes memory) {{\n\
         \x20       assembly {{\n\
         \x20           if iszero(eq(calldatasize(), {:#x})) {{\n\
         \x20               revert(0, 0)\n\
         \x20           }}\n\
         \x20           calldatacopy(0x80, 0, {:#x})\n\
         {fq_line}\n\
         {body}\
         \x20           return({start:#x}, {:#x})\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n",
        start - 0x80,
        start - 0x80,
        end - start
    );
    let main = main.replacen(
        "pragma solidity 0.8.19;\n",
        "pragma solidity 0.8.19;\n\n// Generated by `zkmnist export-verifier` from snark-verifier's output: do not edit.\n",
        1,
    );
    Ok(SplitVerifier {
        main,
        gates,
        calldata_len,
    })
}

/// The wrapper with the typed ABI (hand-written).
pub const WRAPPER_SOURCE: &str = include_str!("../../circuits/ZkmnistVerifier.sol");
/// The example consumer (hand-written).
pub const REGISTRY_SOURCE: &str = include_str!("../../circuits/DigitRegistry.sol");

/// Everything `zkmnist export-verifier` writes, as (file name, contents).
///
/// Sources: `Verifier.sol`, `VerifierGates.sol` (generated), `ZkmnistVerifier.sol`,
/// `DigitRegistry.sol`; creation bytecode as hex: `<Contract>.bin`; ABIs:
/// `<Contract>.abi.json`; `verifier.json` records what the verifier is for.
pub fn export(
    root: &Path,
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    setup: &str,
) -> Result<Vec<(String, String)>, EvmError> {
    let split = split(&verifier_solidity(params, vk))?;
    let sources = [
        ("VerifierGates.sol", split.gates.as_str()),
        ("Verifier.sol", split.main.as_str()),
        ("ZkmnistVerifier.sol", WRAPPER_SOURCE),
        ("DigitRegistry.sol", REGISTRY_SOURCE),
    ];
    let contracts = [
        ("VerifierGates.sol", "Halo2VerifierGates"),
        ("Verifier.sol", "Halo2Verifier"),
        ("ZkmnistVerifier.sol", "ZkmnistVerifier"),
        ("DigitRegistry.sol", "DigitRegistry"),
    ];
    let compiled = compile_all(root, &sources, &contracts)?;
    let mut files: Vec<(String, String)> = sources
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    for ((_, name), c) in contracts.iter().zip(&compiled) {
        files.push((format!("{name}.bin"), hex::encode(&c.bytecode) + "\n"));
        if matches!(*name, "ZkmnistVerifier" | "DigitRegistry") {
            let abi = serde_json::to_string_pretty(&c.abi)
                .map_err(|e| EvmError::Compile(e.to_string()))?;
            files.push((format!("{name}.abi.json"), abi + "\n"));
        }
    }
    let record = serde_json::json!({
        "format": super::EVM_FORMAT,
        "vk_digest": crate::prover::vk_digest(vk),
        "setup": setup,
        "calldata_len": split.calldata_len,
        "solc": "0.8.19",
        "optimizer": { "enabled": true, "runs": 1, "yul": false },
        "deploy_order": [
            "Halo2VerifierGates()",
            "Halo2Verifier(address gates)",
            "ZkmnistVerifier(address verifier)",
            "DigitRegistry(address zkmnist)"
        ]
    });
    files.push((
        "verifier.json".into(),
        serde_json::to_string_pretty(&record).map_err(|e| EvmError::Compile(e.to_string()))? + "\n",
    ));
    Ok(files)
}

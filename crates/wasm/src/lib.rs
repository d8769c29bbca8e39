//! WebAssembly bindings for the page (`pkg/`, built by `scripts/build-wasm.sh`). Each is a thin
//! wrapper over the library; errors become JavaScript `Error`s with the library's message.
//! Compiled natively too (wasm-bindgen's macros are no-ops there), so the workspace's lints and
//! tests cover it; only the page's build runs it.
#![deny(missing_docs)]

use serde::Serialize;
use wasm_bindgen::prelude::*;
use zkmnist_circuit::field::{from_hex, to_hex};
use zkmnist_core::evm::{self, Artifacts};
use zkmnist_core::prover::keys;
use zkmnist_core::statement;
use zkmnist_model::{self as model, ModelSpec};

/// `initThreadPool(n)`: starts the rayon workers (threaded build only).
#[cfg(feature = "wasm-threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A verdict as a JavaScript object, with `outcome`: how it came about (`valid`, `invalid`,
/// `other_keys`, `malformed` or `failed`), which the page words for people.
fn with_outcome(verdict: &statement::Verdict) -> Result<JsValue, JsError> {
    let out = to_js(verdict)?;
    let outcome = match verdict.kind {
        statement::VerdictKind::Valid => "valid",
        statement::VerdictKind::Invalid => "invalid",
        statement::VerdictKind::OtherKeys => "other_keys",
        statement::VerdictKind::Malformed => "malformed",
        statement::VerdictKind::Failed => "failed",
    };
    js_sys::Reflect::set(&out, &"outcome".into(), &outcome.into())
        .map_err(|_| js("cannot set the verdict's outcome"))?;
    Ok(out)
}

/// A JavaScript `Error` with the library's message and a `kind` naming what was wrong (the
/// page words each kind for people; the message keeps the details).
fn kinded(e: &statement::StatementError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"kind".into(), &e.kind().into());
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(v).map_err(js)
}

fn pixels_of(pixels: &[u8]) -> Result<[u8; 784], JsError> {
    pixels
        .try_into()
        .map_err(|_| js(format!("expected 784 pixels, got {}", pixels.len())))
}

/// The built-in model: content hash, size and held-out accuracy.
#[wasm_bindgen(js_name = modelInfo)]
pub fn model_info() -> Result<JsValue, JsError> {
    let spec = ModelSpec::embedded().map_err(js)?;
    #[derive(Serialize)]
    struct Info {
        content_hash: String,
        macs: usize,
        parameters: usize,
        quantized_holdout_accuracy: f64,
    }
    to_js(&Info {
        macs: spec.macs().map_err(js)?,
        parameters: spec.parameters(),
        quantized_holdout_accuracy: spec.training.quantized_holdout_accuracy,
        content_hash: spec.content_hash,
    })
}

/// The SHA-256 of each key file `keys.json` lists (`{"params.bin": "..", ...}`), after checking
/// it is a keys manifest for this build's model; the page names its cache entries by them.
#[wasm_bindgen(js_name = keyFileHashes)]
pub fn key_file_hashes(origin: &str, keys_json: &[u8]) -> Result<JsValue, JsError> {
    let files = [("keys.json", keys_json)];
    let src = keys::KeyBytes {
        origin,
        files: &files,
    };
    statement::key_file_hashes(&src)
        .map_err(js)?
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js)
}

/// The largest proof or opening file the module reads, in bytes.
#[wasm_bindgen(js_name = maxFileBytes)]
pub fn max_file_bytes() -> usize {
    zkmnist_core::proof_file::MAX_FILE_BYTES
}

/// An RGBA canvas to the 28x28 MNIST-style image, exactly as the CLI preprocesses pictures.
#[wasm_bindgen(js_name = preprocessRgba)]
pub fn preprocess_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, JsError> {
    Ok(zkmnist_model::preprocess::from_rgba(width, height, rgba)
        .map_err(js)?
        .to_vec())
}

/// The integer model's digit and logits for a 28x28 image (what the circuit will prove), and
/// each digit's confidence (softmax of the logits at their real scale; display only).
#[wasm_bindgen]
pub fn classify(pixels: &[u8]) -> Result<JsValue, JsError> {
    let spec = ModelSpec::embedded().map_err(js)?;
    let trace = model::forward(&spec, &pixels_of(pixels)?).map_err(js)?;
    #[derive(Serialize)]
    struct Scores<'a> {
        digit: usize,
        logits: &'a [i64],
        confidences: Vec<f64>,
        /// Why the image does not look like a digit at all, when it does not.
        not_a_digit: Option<String>,
    }
    let image = pixels_of(pixels)?;
    to_js(&Scores {
        digit: trace.digit,
        logits: trace.logits(),
        confidences: trace.confidences(&spec),
        not_a_digit: zkmnist_model::preprocess::check_digit_like(&image)
            .err()
            .map(|e| e.to_string()),
    })
}

/// A proof and its opening, as the CLI writes them.
#[derive(Serialize)]
struct Proved {
    proof_json: String,
    opening_json: String,
    digit: u8,
    image_commitment: String,
    proof_bytes: usize,
}

/// Keys loaded in the page: `keys.json`, `params.bin`, `vk.bin` and optionally `pk.bin`, as
/// `zkmnist setup` wrote them: the statement's verifier, and its prover once the proving key is
/// in. Files are checked against `keys.json`'s hashes and the key against the digests pinned in
/// this build.
#[wasm_bindgen]
pub struct Keys {
    origin: String,
    verifier: statement::Verifier,
    prover: Option<statement::Prover>,
}

#[wasm_bindgen]
impl Keys {
    /// Loads keys; `pk` may be empty (verification only; [`Keys::add_proving_key`] adds it).
    #[wasm_bindgen(constructor)]
    pub fn new(
        origin: &str,
        keys_json: &[u8],
        params: &[u8],
        vk: &[u8],
        pk: &[u8],
    ) -> Result<Keys, JsError> {
        let files = [
            ("keys.json", keys_json),
            ("params.bin", params),
            ("vk.bin", vk),
        ];
        let src = keys::KeyBytes {
            origin,
            files: &files,
        };
        let mut keys = Keys {
            origin: origin.to_string(),
            verifier: statement::Verifier::from_bytes(&src).map_err(js)?,
            prover: None,
        };
        if !pk.is_empty() {
            keys.add_proving_key(pk)?;
        }
        Ok(keys)
    }

    /// Adds the proving key (`pk.bin`), checked against the same `keys.json`; the parameters
    /// and verifying key already loaded are reused, not parsed again.
    #[wasm_bindgen(js_name = addProvingKey)]
    pub fn add_proving_key(&mut self, pk: &[u8]) -> Result<(), JsError> {
        let files = [("pk.bin", pk)];
        let src = keys::KeyBytes {
            origin: &self.origin,
            files: &files,
        };
        self.prover = Some(self.verifier.with_proving_key(&src).map_err(js)?);
        Ok(())
    }

    /// `dev-insecure` or `ptau:<blake2b>`.
    #[wasm_bindgen(getter)]
    pub fn setup(&self) -> String {
        self.verifier.manifest().setup.clone()
    }

    /// The verifying key's digest.
    #[wasm_bindgen(getter, js_name = vkDigest)]
    pub fn vk_digest(&self) -> String {
        self.verifier.manifest().vk_digest.clone()
    }

    /// Whether the keys come from the INSECURE dev setup (anyone can forge proofs with them).
    #[wasm_bindgen(getter)]
    pub fn insecure(&self) -> bool {
        self.verifier.manifest().is_dev_setup()
    }

    /// Whether a proving key is loaded.
    #[wasm_bindgen(getter, js_name = canProve)]
    pub fn can_prove(&self) -> bool {
        self.prover.is_some()
    }

    /// Proves that `pixels` (784 bytes) is the model's digit, bound to `context` (0x-hex);
    /// `on_stage` is called with "witness", "commitment", "proving", "checking" as each starts.
    pub fn prove(
        &self,
        pixels: &[u8],
        context: &str,
        on_stage: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let prover = self
            .prover
            .as_ref()
            .ok_or_else(|| js("no proving key loaded"))?;
        let context = from_hex(context).map_err(|e| js(format!("context: {e}")))?;
        let mut stage = |name: &str| {
            // A throwing callback must not abort the proof.
            let _ = on_stage.call1(&JsValue::NULL, &JsValue::from_str(name));
        };
        let proved = prover
            .prove(pixels_of(pixels)?, context, &mut stage)
            .map_err(js)?;
        to_js(&Proved {
            proof_bytes: proved.proof_bytes,
            digit: proved.inputs.digit,
            image_commitment: to_hex(&proved.inputs.image_commitment),
            proof_json: proved.proof_json(),
            opening_json: proved.opening_json(),
        })
    }

    /// The verdict on a proof file's text, the same object `POST /api/verify` and
    /// `zkmnist verify --json` give: `{valid, digit, image_commitment, context, vk_digest,
    /// setup}`, with `error` when it is not valid. Never throws for a bad proof.
    pub fn verify(&self, proof_json: &str) -> Result<JsValue, JsError> {
        to_js(&self.verifier.verdict(proof_json.as_bytes()))
    }

    /// [`Keys::verify`]'s verdict with one more field, `outcome`: how it came about (`valid`,
    /// `invalid`, `other_keys`, `malformed` or `failed`), which the page words for people.
    pub fn check(&self, proof_json: &str) -> Result<JsValue, JsError> {
        with_outcome(&self.verifier.verdict(proof_json.as_bytes()))
    }
}

/// What a proof file claims, read without verifying it: `{format, digit, image_commitment,
/// context, vk_digest, setup, proof_bytes}`. Throws with the reason when the file is malformed.
#[wasm_bindgen]
pub fn inspect(proof_json: &str) -> Result<JsValue, JsValue> {
    let p = statement::inspect(proof_json.as_bytes()).map_err(|e| kinded(&e))?;
    #[derive(Serialize)]
    struct Inspected {
        format: &'static str,
        digit: u8,
        image_commitment: String,
        context: String,
        vk_digest: String,
        setup: String,
        proof_bytes: usize,
    }
    to_js(&Inspected {
        format: zkmnist_core::proof_file::PROOF_FORMAT,
        digit: p.inputs.digit,
        image_commitment: to_hex(&p.inputs.image_commitment),
        context: to_hex(&p.inputs.context),
        vk_digest: p.vk_digest,
        setup: p.setup,
        proof_bytes: p.proof.len(),
    })
    .map_err(JsValue::from)
}

/// Checks an opening file against a proof file, as `zkmnist open` does: its pixels and salt
/// must hash to the proof's commitment and the model must read the image as the proof's digit.
/// Returns `{digit, image_commitment, pixels}` (the 784 opened pixels); throws an `Error` whose
/// `kind` says what did not match (`opening_file`, `opening_mismatch`, or a proof file kind).
#[wasm_bindgen]
pub fn open(proof_json: &str, opening_json: &str) -> Result<JsValue, JsValue> {
    let proof = statement::inspect(proof_json.as_bytes()).map_err(|e| kinded(&e))?;
    let spec = ModelSpec::embedded().map_err(js)?;
    let opened = statement::open(&spec, &proof, opening_json.as_bytes()).map_err(|e| kinded(&e))?;
    #[derive(Serialize)]
    struct Opened {
        digit: u8,
        image_commitment: String,
        pixels: Vec<u8>,
    }
    to_js(&Opened {
        digit: opened.digit,
        image_commitment: to_hex(&opened.image_commitment),
        pixels: opened.pixels.to_vec(),
    })
    .map_err(JsValue::from)
}

/// The verdict of the committed verifier bytecode, deployed in an embedded EVM and called, on a
/// proof file: the native verdict's fields and `outcome` (as [`Keys::check`]), with the EVM's
/// `gas_used`, `verifier_gas` and `runtime_sizes` when the contracts ran. A bad file, or a proof
/// for other keys than the pinned ones the contracts were generated from, is a verdict
/// (`valid: false`, with `error`), never an exception.
#[wasm_bindgen(js_name = verifyEvm)]
pub fn verify_evm(proof_json: &str) -> Result<JsValue, JsError> {
    let art = Artifacts::embedded().map_err(js)?;
    let pinned = keys::Pinned::embedded().map_err(js)?;
    let verdict = statement::evm_verdict(&art, proof_json.as_bytes(), Some(&pinned));
    let out = with_outcome(&verdict)?;
    if let Some(run) = &verdict.evm {
        for (name, value) in [
            ("gas_used", to_js(&run.gas_used)?),
            ("verifier_gas", to_js(&run.verifier_gas)?),
            ("runtime_sizes", to_js(&run.runtime_sizes)?),
        ] {
            js_sys::Reflect::set(&out, &name.into(), &value)
                .map_err(|_| js("cannot set the EVM's figures"))?;
        }
    }
    Ok(out)
}

/// `0x`-hex call data of `ZkmnistVerifier.verify(proof, imageCommitment, digit, context)` for a
/// proof file, for `eth_call` against a deployed wrapper.
#[wasm_bindgen(js_name = wrapperCalldata)]
pub fn wrapper_calldata(proof_json: &str) -> Result<String, JsError> {
    let parsed = statement::inspect(proof_json.as_bytes()).map_err(js)?;
    Ok(format!(
        "0x{}",
        hex::encode(evm::wrapper_call(&parsed.inputs.fields(), &parsed.proof))
    ))
}

/// The verifying-key digest and setup the embedded verifier contract was generated from.
#[wasm_bindgen(js_name = evmVerifierInfo)]
pub fn evm_verifier_info() -> Result<JsValue, JsError> {
    let art = Artifacts::embedded().map_err(js)?;
    #[derive(Serialize)]
    struct Info {
        vk_digest: String,
        setup: String,
    }
    to_js(&Info {
        vk_digest: art.vk_digest,
        setup: art.setup,
    })
}

fn address_of(account: &str) -> Result<[u8; 20], JsError> {
    let digits = account
        .strip_prefix("0x")
        .filter(|d| d.len() == 40)
        .ok_or_else(|| {
            js(format!(
                "{account:?} is not an address (0x and 40 hex digits)"
            ))
        })?;
    let bytes = hex::decode(digits).map_err(|_| js(format!("{account:?} is not hex")))?;
    bytes
        .try_into()
        .map_err(|_| js(format!("{account:?} is not 20 bytes")))
}

/// `0x`-hex call data of `DigitRegistry.record(proof, imageCommitment, digit)` for a proof file.
#[wasm_bindgen(js_name = recordCalldata)]
pub fn record_calldata(proof_json: &str) -> Result<String, JsValue> {
    let parsed = statement::inspect(proof_json.as_bytes()).map_err(|e| kinded(&e))?;
    Ok(format!(
        "0x{}",
        hex::encode(evm::registry_call(&parsed.inputs.fields(), &parsed.proof))
    ))
}

/// `0x`-hex call data of a registry view that takes one account: `contextFor(address)` or
/// `entries(address)`.
#[wasm_bindgen(js_name = registryViewCalldata)]
pub fn registry_view_calldata(function: &str, account: &str) -> Result<String, JsError> {
    let signature = match function {
        "contextFor" => "contextFor(address)",
        "entries" => "entries(address)",
        other => return Err(js(format!("no registry view {other:?}"))),
    };
    let mut out = evm::selector(signature).to_vec();
    out.extend([0u8; 12]);
    out.extend(address_of(account)?);
    Ok(format!("0x{}", hex::encode(out)))
}

/// Decodes what `DigitRegistry.entries(account)` returned: `{recorded, digit,
/// image_commitment}`; throws when the answer is not three ABI words of that shape.
#[wasm_bindgen(js_name = decodeRegistryEntry)]
pub fn decode_registry_entry(output: &str) -> Result<JsValue, JsError> {
    let bytes = output
        .strip_prefix("0x")
        .and_then(|h| hex::decode(h).ok())
        .filter(|b| b.len() == 96)
        .ok_or_else(|| js("the registry's answer is not three ABI words"))?;
    let recorded = evm::decode_bool(&bytes[..32]).map_err(js)?;
    let digit = match &bytes[32..64] {
        [zeros @ .., d] if zeros.iter().all(|b| *b == 0) && *d < 10 => *d,
        _ => return Err(js("the registry's answer holds no digit 0..=9")),
    };
    #[derive(Serialize)]
    struct Entry {
        recorded: bool,
        digit: u8,
        image_commitment: String,
    }
    to_js(&Entry {
        recorded,
        digit,
        image_commitment: format!("0x{}", hex::encode(&bytes[64..])),
    })
}

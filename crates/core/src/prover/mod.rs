//! Trusted setup, keys, proving and verifying (KZG over BN254, SHPLONK, EVM transcript).
//!
//! The dev setup derives KZG parameters from a fixed public seed. It is INSECURE: whoever knows
//! the seed knows the toxic waste and can forge a proof of anything. It exists so that tests and
//! demos run offline; every artifact made with it is labelled `dev-insecure`. A real ceremony's
//! parameters load through [`load_params`] without touching the circuit.

pub mod compact;
pub mod keys;
pub mod srs;
pub mod transcript;

use halo2_proofs::plonk::{
    Error as PlonkError, ProvingKey, VerifyingKey, create_proof, keygen_pk, keygen_vk_custom,
    verify_proof,
};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::io::Read;
use std::path::Path;
use transcript::EvmTranscript;
use zkmnist_circuit::field::to_hex;
use zkmnist_circuit::{PUBLIC_INPUTS, Witness, ZkmnistCircuit};

/// The public seed of the INSECURE dev setup.
pub(crate) const DEV_SEED: u64 = 0x7a6b_6d6e_6973_7400;
/// Label of artifacts made with the dev setup.
pub const DEV_SETUP: &str = "dev-insecure";

/// Errors of setup, proving and verification.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// A halo2 error.
    #[error("halo2: {0}")]
    Halo2(#[from] PlonkError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A key file or `keys.json` is missing, malformed, for another model, or corrupted.
    #[error("{0}")]
    Keys(String),
    /// A verifying key or KZG parameters are not the ones pinned in `circuits/pinned.json`
    /// (or the pins themselves are unreadable): the trust root refuses them.
    #[error("{0}")]
    Pin(String),
    /// KZG parameters or a ceremony file are malformed, degenerate or of the wrong size.
    #[error("{0}")]
    Params(String),
    /// The model cannot be evaluated or proven (an image it cannot read, say).
    #[error(transparent)]
    Model(#[from] zkmnist_model::ModelError),
    /// The operating system gave no randomness.
    #[error("{0}")]
    Randomness(String),
    /// The proof names another verifying key or setup than the loaded one.
    #[error("{0}")]
    WrongKey(String),
    /// The proof does not verify.
    #[error("the proof is invalid: {0}")]
    Rejected(String),
}

/// INSECURE dev parameters for domain size `2^k`, derived from [`DEV_SEED`].
pub fn dev_params(k: u32) -> ParamsKZG<Bn256> {
    ParamsKZG::setup(k, ChaCha20Rng::seed_from_u64(DEV_SEED))
}

/// The largest domain BN254's scalar field supports (its two-adicity is 28).
pub(crate) const MAX_K: u32 = 28;

/// Size of a `params.bin` for `2^k` rows: `k`, then `g` and `g_lagrange` (64-byte points), then
/// `g2` and `s_g2` (128 bytes each).
pub(crate) fn params_len(k: u32) -> u64 {
    4 + 2 * 64 * (1u64 << k) + 2 * 128
}

/// Checks a `params.bin` header against its length before anything is allocated: halo2's
/// reader trusts the header's `k` (a crafted `k` would panic or exhaust memory).
fn check_params_header(header: [u8; 4], len: u64, what: &str) -> Result<u32, ProverError> {
    let k = u32::from_le_bytes(header);
    if k == 0 || k > MAX_K {
        return Err(ProverError::Params(format!(
            "{what} is not a KZG parameter file: its header says 2^{k} rows (1..={MAX_K} allowed)"
        )));
    }
    if len != params_len(k) {
        return Err(ProverError::Params(format!(
            "{what} is truncated or padded: parameters for 2^{k} rows are {} bytes, it has {len}",
            params_len(k)
        )));
    }
    Ok(k)
}

/// Parses KZG parameters (halo2's format) from bytes, checking the header first.
pub fn read_params_bytes(bytes: &[u8], what: &str) -> Result<ParamsKZG<Bn256>, ProverError> {
    let header: [u8; 4] = bytes
        .get(..4)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| ProverError::Params(format!("{what} is empty or truncated")))?;
    check_params_header(header, bytes.len() as u64, what)?;
    ParamsKZG::<Bn256>::read(&mut &bytes[..]).map_err(|source| ProverError::Io {
        path: what.to_string(),
        source,
    })
}

/// Loads KZG parameters from a file in halo2's format (for example imported from a real
/// ceremony) and shrinks them to `2^k` when they are larger.
pub fn load_params(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
    let io = |source| ProverError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut header = [0u8; 4];
    file.read_exact(&mut header).map_err(io)?;
    check_params_header(header, len, &path.display().to_string())?;
    let mut file = std::io::BufReader::new((&header[..]).chain(file));
    let mut params = ParamsKZG::<Bn256>::read(&mut file).map_err(io)?;
    if params.k() < k {
        return Err(ProverError::Params(format!(
            "{} holds parameters for 2^{} rows; the circuit needs 2^{k}",
            path.display(),
            params.k()
        )));
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(params)
}

/// Verifying and proving keys for the circuit.
pub fn keygen(
    params: &ParamsKZG<Bn256>,
    circuit: &ZkmnistCircuit,
) -> Result<(VerifyingKey<G1Affine>, ProvingKey<G1Affine>), ProverError> {
    // Selector compression folds the ten selectors into a few fixed columns: fewer
    // evaluations in every proof and less work for every verifier.
    let vk = keygen_vk_custom(params, circuit, true)?;
    let pk = keygen_pk(params, vk.clone(), circuit)?;
    Ok((vk, pk))
}

/// The verifying key's digest (halo2's transcript representation of the pinned key: domain,
/// constraint system, fixed and permutation commitments), as `0x` hex.
pub fn vk_digest(vk: &VerifyingKey<G1Affine>) -> String {
    to_hex(&vk.transcript_repr())
}

/// Proves `witness` with the circuit; returns the proof bytes (EVM transcript encoding).
pub fn prove(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &ZkmnistCircuit,
    witness: Witness,
) -> Result<Vec<u8>, ProverError> {
    let publics = witness.public_inputs();
    prove_for(params, pk, circuit, witness, &publics)
}

/// [`prove`] for public inputs the caller already computed from `witness` (the commitment is a
/// Poseidon hash of the whole image: computed once per proof).
pub(crate) fn prove_for(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &ZkmnistCircuit,
    witness: Witness,
    publics: &[Fr; PUBLIC_INPUTS],
) -> Result<Vec<u8>, ProverError> {
    let circuit = circuit.with_witness(witness);
    let mut transcript = EvmTranscript::<Vec<u8>>::init(Vec::new());
    let rng = ChaCha20Rng::from_rng(rand::rngs::OsRng)
        .map_err(|e| ProverError::Randomness(format!("no randomness: {e}")))?;
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[publics]],
        rng,
        &mut transcript,
    )?;
    Ok(transcript.finalize())
}

/// Verifies `proof` for the public inputs `[image_commitment, digit, context]`.
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    publics: &[Fr; PUBLIC_INPUTS],
    proof: &[u8],
) -> Result<(), ProverError> {
    let mut reader = proof;
    let mut transcript = EvmTranscript::<&mut &[u8]>::init(&mut reader);
    let strategy = SingleStrategy::new(params.verifier_params());
    // SingleStrategy runs the final pairing check itself and fails with
    // ConstraintSystemFailure when it does not hold.
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        params.verifier_params(),
        vk,
        strategy,
        &[&[publics]],
        &mut transcript,
    )
    .map_err(|e| ProverError::Rejected(e.to_string()))?;
    drop(transcript);
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|source| ProverError::Io {
            path: "proof".into(),
            source,
        })?;
    if !rest.is_empty() {
        return Err(ProverError::Rejected(format!(
            "{} unexpected bytes after the proof",
            rest.len()
        )));
    }
    Ok(())
}

/// The witness for proving that `pixels` (a preprocessed image) is the model's digit, with a
/// fresh random salt and the given context.
pub fn image_witness(
    circuit: &ZkmnistCircuit,
    pixels: [u8; zkmnist_model::spec::IMAGE_PIXELS],
    context: Fr,
) -> Result<Witness, ProverError> {
    Ok(Witness {
        pixels,
        salt: zkmnist_circuit::commitment::random_salt()
            .map_err(|e| ProverError::Randomness(format!("no randomness for the salt: {e}")))?,
        context,
        trace: zkmnist_model::forward(circuit.spec(), &pixels)?,
    })
}

//! `pk.bin`: the proving key without what the rest determines. halo2 writes a proving key as
//! the verifying key, three Lagrange selector polynomials (`l_0`, `l_last`, `l_active_row`),
//! every fixed column twice (values and coefficients) and every permutation column twice. The
//! page downloads the key, so `pk.bin` keeps only the fixed columns' values and the
//! permutation's sigma values; loading recomputes the rest (17 inverse FFTs of 2^k points, a
//! few milliseconds) and reads the verifying key from `vk.bin`. That halves the download.
//!
//! Layout: `ZKPK` and a version byte, then two polynomial lists exactly as halo2 writes them
//! (big-endian `u32` count; per polynomial a big-endian `u32` length, then its values as 32-byte
//! field elements in halo2's raw format): the fixed values, then the sigma values.

use super::ProverError;
use halo2_proofs::SerdeFormat;
use halo2_proofs::plonk::{Circuit, ProvingKey, VerifyingKey};
use halo2curves::bn256::{Fr, G1Affine};
use halo2curves::ff::Field;
use halo2curves::serde::SerdeObject;
use zkmnist_circuit::ZkmnistCircuit;

const MAGIC: &[u8; 5] = b"ZKPK\x01";
const FORMAT: SerdeFormat = SerdeFormat::RawBytes;
const ELEMENT: usize = 32;

fn invalid(what: impl Into<String>) -> ProverError {
    ProverError::Keys(format!("pk.bin: {}", what.into()))
}

fn be_u32(bytes: &[u8], at: usize) -> Result<usize, ProverError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| invalid(format!("truncated at byte {at}")))
}

/// The end of the polynomial list starting at `at` in halo2's encoding, checking `count`
/// polynomials of `n` values when given.
fn list_end(
    bytes: &[u8],
    at: usize,
    count: Option<usize>,
    n: Option<usize>,
) -> Result<usize, ProverError> {
    let found = be_u32(bytes, at)?;
    if let Some(c) = count
        && c != found
    {
        return Err(invalid(format!(
            "{found} polynomials where the key has {c}"
        )));
    }
    let mut at = at + 4;
    for _ in 0..found {
        let len = be_u32(bytes, at)?;
        if let Some(n) = n
            && len != n
        {
            return Err(invalid(format!(
                "a polynomial of {len} values, the domain has {n}"
            )));
        }
        at = at
            .checked_add(4 + len * ELEMENT)
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| invalid(format!("truncated in a polynomial at byte {at}")))?;
    }
    Ok(at)
}

/// `pk.bin` for a proving key.
pub fn compact(pk: &ProvingKey<G1Affine>) -> Result<Vec<u8>, ProverError> {
    let full = pk.to_bytes(FORMAT);
    let mut at = pk.get_vk().to_bytes(FORMAT).len();
    for _ in 0..3 {
        let len = be_u32(&full, at)?;
        at += 4 + len * ELEMENT;
    }
    let fixed_values = at..list_end(&full, at, None, None)?;
    let fixed_polys_end = list_end(&full, fixed_values.end, None, None)?;
    let sigmas = fixed_polys_end..list_end(&full, fixed_polys_end, None, None)?;
    let end = list_end(&full, sigmas.end, None, None)?;
    if end != full.len() {
        return Err(invalid("halo2 wrote a proving key of an unexpected layout"));
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&full[fixed_values]);
    out.extend_from_slice(&full[sigmas]);
    Ok(out)
}

/// Reads a polynomial list (already bounds-checked by [`list_end`]) as field elements,
/// rejecting non-canonical values.
fn read_list(bytes: &[u8], mut at: usize) -> Result<Vec<Vec<Fr>>, ProverError> {
    let count = be_u32(bytes, at)?;
    at += 4;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = be_u32(bytes, at)?;
        at += 4;
        let values = bytes[at..at + len * ELEMENT]
            .chunks_exact(ELEMENT)
            .map(|c| Fr::from_raw_bytes(c).ok_or_else(|| invalid("a value outside the field")))
            .collect::<Result<Vec<Fr>, _>>()?;
        at += len * ELEMENT;
        out.push(values);
    }
    Ok(out)
}

fn write_list(out: &mut Vec<u8>, polys: &[Vec<Fr>]) {
    out.extend_from_slice(&(polys.len() as u32).to_be_bytes());
    for p in polys {
        out.extend_from_slice(&(p.len() as u32).to_be_bytes());
        for v in p {
            out.extend_from_slice(&v.to_raw_bytes());
        }
    }
}

/// The proving key from `pk.bin` and its verifying key.
pub fn expand(
    bytes: &[u8],
    vk: &VerifyingKey<G1Affine>,
    circuit: &ZkmnistCircuit,
) -> Result<ProvingKey<G1Affine>, ProverError> {
    if !bytes.starts_with(MAGIC) {
        return Err(invalid("not a zkmnist proving key (rerun `zkmnist setup`)"));
    }
    let domain = vk.get_domain();
    let n = 1usize << domain.k();
    let cs = vk.cs();
    let fixed_at = MAGIC.len();
    let sigmas_at = list_end(bytes, fixed_at, Some(vk.fixed_commitments().len()), Some(n))?;
    let end = list_end(
        bytes,
        sigmas_at,
        Some(cs.permutation().get_columns().len()),
        Some(n),
    )?;
    if end != bytes.len() {
        return Err(invalid(format!(
            "{} bytes after the key",
            bytes.len() - end
        )));
    }
    let fixed = read_list(bytes, fixed_at)?;
    let sigmas = read_list(bytes, sigmas_at)?;
    let coeffs = |values: &Vec<Fr>| -> Vec<Fr> {
        domain
            .lagrange_to_coeff(domain.lagrange_from_vec(values.clone()))
            .to_vec()
    };
    // As halo2's keygen_pk: l_0, l_last on the row before the blinding rows, and the active
    // rows (neither l_last nor blinding).
    let blinding = cs.blinding_factors();
    let mut l0 = vec![Fr::ZERO; n];
    l0[0] = Fr::ONE;
    let mut l_last = vec![Fr::ZERO; n];
    l_last[n - blinding - 1] = Fr::ONE;
    let l_active: Vec<Fr> = (0..n)
        .map(|i| {
            if i < n - blinding - 1 {
                Fr::ONE
            } else {
                Fr::ZERO
            }
        })
        .collect();
    let mut stream = vk.to_bytes(FORMAT);
    for p in [&l0, &l_last, &l_active] {
        let c = coeffs(p);
        stream.extend_from_slice(&(c.len() as u32).to_be_bytes());
        for v in &c {
            stream.extend_from_slice(&v.to_raw_bytes());
        }
    }
    write_list(&mut stream, &fixed);
    write_list(&mut stream, &fixed.iter().map(coeffs).collect::<Vec<_>>());
    write_list(&mut stream, &sigmas);
    write_list(&mut stream, &sigmas.iter().map(coeffs).collect::<Vec<_>>());
    ProvingKey::<G1Affine>::read::<_, ZkmnistCircuit>(
        &mut stream.as_slice(),
        FORMAT,
        circuit.params(),
    )
    .map_err(|e| invalid(format!("rebuilt key unreadable: {e}")))
}

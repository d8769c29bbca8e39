//! Import of a real trusted setup: snarkjs `.ptau` files (Hermez / Perpetual Powers of Tau) to
//! halo2 KZG parameters.
//!
//! `.ptau` layout (little-endian): magic `ptau`, version `1`, section count, then sections as
//! `(id: u32, size: u64, data)`. Section 1 is the header (`n8 = 32`, the base-field modulus,
//! `power`, `ceremonyPower`); section 2 holds `2^(power+1) - 1` points `[tau^i]G1`, section 3
//! `2^power` points `[tau^i]G2`, each coordinate 32 bytes in Montgomery form.
//!
//! Every imported point is checked on the curve (and in the subgroup for G2), the first powers
//! must be the generators, and one randomized pairing check covers *all* consecutive pairs:
//! `e(sum r_i [tau^(i+1)]G1, G2) = e(sum r_i [tau^i]G1, [tau]G2)` with fresh random `r_i`, which
//! holds only if every `[tau^(i+1)]G1` is `tau` times the one before (error `<= 1/r`).

use crate::prover::ProverError;
use halo2_proofs::arithmetic::CurveAffine;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fq, Fq2, Fr, G1, G1Affine, G2Affine, pairing};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::Curve;
use halo2curves::group::cofactor::CofactorGroup;
use halo2curves::group::prime::PrimeCurveAffine;
use rand_core::OsRng;
use std::collections::BTreeMap;
use std::path::Path;

/// Label of keys made from a ceremony file: `ptau:` + blake2b-512 (hex) of the file.
pub fn setup_label(ptau_bytes: &[u8]) -> String {
    format!("ptau:{}", blake2b_simd::blake2b(ptau_bytes).to_hex())
}

fn bad(reason: impl Into<String>) -> ProverError {
    ProverError::Invalid(format!("not a usable .ptau file: {}", reason.into()))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn slice(&self, at: usize, len: usize, what: &str) -> Result<&'a [u8], ProverError> {
        at.checked_add(len)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or_else(|| {
                bad(format!(
                    "truncated while reading {what} (offset {at}, {len} bytes)"
                ))
            })
    }

    fn u32(&self, at: usize, what: &str) -> Result<u32, ProverError> {
        let b = self.slice(at, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&self, at: usize, what: &str) -> Result<u64, ProverError> {
        let b = self.slice(at, 8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// A coordinate stored in Montgomery form: `value = stored * 2^-256 mod q`.
fn fq_from_montgomery(bytes: &[u8]) -> Result<Fq, ProverError> {
    let mut le = [0u8; 32];
    le.copy_from_slice(bytes);
    let stored = Option::<Fq>::from(Fq::from_repr(le))
        .ok_or_else(|| bad("a coordinate is not below the field modulus"))?;
    let two_128 = Fq::from_u128(u128::MAX) + Fq::ONE;
    let r_inv = Option::<Fq>::from((two_128 * two_128).invert())
        .ok_or_else(|| bad("internal: 2^256 not invertible"))?;
    Ok(stored * r_inv)
}

fn g1_at(r: &Reader, at: usize, index: usize) -> Result<G1Affine, ProverError> {
    let b = r.slice(at, 64, "a G1 point")?;
    let (x, y) = (fq_from_montgomery(&b[..32])?, fq_from_montgomery(&b[32..])?);
    Option::from(G1Affine::from_xy(x, y))
        .ok_or_else(|| bad(format!("G1 point {index} is not on the curve")))
}

fn g2_at(r: &Reader, at: usize, index: usize) -> Result<G2Affine, ProverError> {
    let b = r.slice(at, 128, "a G2 point")?;
    let c = |i: usize| fq_from_montgomery(&b[32 * i..32 * (i + 1)]);
    let x = Fq2 {
        c0: c(0)?,
        c1: c(1)?,
    };
    let y = Fq2 {
        c0: c(2)?,
        c1: c(3)?,
    };
    let p: G2Affine = Option::from(G2Affine::from_xy(x, y))
        .ok_or_else(|| bad(format!("G2 point {index} is not on the curve")))?;
    if !bool::from(p.to_curve().is_torsion_free()) {
        return Err(bad(format!(
            "G2 point {index} is not in the prime-order subgroup"
        )));
    }
    Ok(p)
}

/// Reads a `.ptau` file's bytes and returns KZG parameters for `2^k` rows.
pub fn import(ptau: &[u8], k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
    let r = Reader { bytes: ptau };
    if r.slice(0, 4, "the magic")? != b"ptau" {
        return Err(bad("the file does not start with \"ptau\""));
    }
    let version = r.u32(4, "the version")?;
    if version != 1 {
        return Err(bad(format!("version {version}, expected 1")));
    }
    let count = r.u32(8, "the section count")?;
    let mut sections = BTreeMap::new();
    let mut at = 12usize;
    for _ in 0..count {
        let id = r.u32(at, "a section header")?;
        let size = usize::try_from(r.u64(at + 4, "a section header")?)
            .map_err(|_| bad("section too large"))?;
        r.slice(at + 12, size, &format!("section {id}"))?;
        sections.insert(id, (at + 12, size));
        at += 12 + size;
    }
    let section = |id: u32| {
        sections
            .get(&id)
            .copied()
            .ok_or_else(|| bad(format!("section {id} is missing")))
    };
    let (header, _) = section(1)?;
    let n8 = r.u32(header, "the header")?;
    let modulus = r.slice(header + 4, 32, "the header")?;
    let expected_q =
        hex::decode("47fd7cd8168c203c8dca7168916a81975d588181b64550b829a031e1724e6430")
            .map_err(|e| bad(e.to_string()))?;
    if n8 != 32 || modulus != expected_q.as_slice() {
        return Err(bad(
            "the header is not for BN254 (wrong field size or modulus)",
        ));
    }
    let power = r.u32(header + 36, "the header")?;
    if k > power {
        return Err(bad(format!(
            "it holds powers up to 2^{power}; 2^{k} were asked for"
        )));
    }
    let n = 1usize << k;
    let (g1_section, g1_size) = section(2)?;
    let (g2_section, g2_size) = section(3)?;
    if g1_size < ((1usize << (power + 1)) - 1) * 64 || g2_size < (1usize << power) * 128 {
        return Err(bad(
            "the tau sections are shorter than the header's power promises",
        ));
    }
    let g: Vec<G1Affine> = (0..n)
        .map(|i| g1_at(&r, g1_section + 64 * i, i))
        .collect::<Result<_, _>>()?;
    // One more power, for the consistency check of the last imported one.
    let next = g1_at(&r, g1_section + 64 * n, n)?;
    let (g2, s_g2) = (g2_at(&r, g2_section, 0)?, g2_at(&r, g2_section + 128, 1)?);
    if g[0] != G1Affine::generator() || g2 != G2Affine::generator() {
        return Err(bad("the first powers are not the curve generators"));
    }
    let coeffs: Vec<Fr> = (0..n).map(|_| Fr::random(OsRng)).collect();
    let shifted: Vec<G1Affine> = g[1..]
        .iter()
        .copied()
        .chain(std::iter::once(next))
        .collect();
    let lhs = halo2_proofs::arithmetic::best_multiexp(&coeffs, &shifted).to_affine();
    let rhs = halo2_proofs::arithmetic::best_multiexp(&coeffs, &g).to_affine();
    if pairing(&lhs, &g2) != pairing(&rhs, &s_g2) {
        return Err(bad(
            "consecutive powers of tau are inconsistent (pairing check failed)",
        ));
    }
    let g_projective: Vec<G1> = g.iter().map(|p| p.to_curve()).collect();
    let g_lagrange = halo2_proofs::arithmetic::g_to_lagrange(g_projective, k);
    // `from_parts` only needs a receiver of the right type; a 2-row dev instance is the cheapest.
    let receiver = ParamsKZG::<Bn256>::setup(1, OsRng);
    Ok(receiver.from_parts(k, g, Some(g_lagrange), g2, s_g2))
}

/// Reads a `.ptau` file; returns the parameters and the setup label.
pub fn import_file(path: &Path, k: u32) -> Result<(ParamsKZG<Bn256>, String), ProverError> {
    let bytes = std::fs::read(path).map_err(|source| ProverError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let params =
        import(&bytes, k).map_err(|e| ProverError::Invalid(format!("{}: {e}", path.display())))?;
    Ok((params, setup_label(&bytes)))
}

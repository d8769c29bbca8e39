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
use halo2curves::group::cofactor::CofactorGroup;
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::group::{Curve, GroupEncoding};
use rand_core::OsRng;
use std::collections::BTreeMap;
use std::path::Path;

/// Label of keys made from a ceremony file: `ptau:` + blake2b-512 (hex) of the file.
pub fn setup_label(ptau_bytes: &[u8]) -> String {
    format!("ptau:{}", blake2b_simd::blake2b(ptau_bytes).to_hex())
}

fn bad(reason: impl Into<String>) -> ProverError {
    ProverError::Params(format!("not a usable .ptau file: {}", reason.into()))
}

/// Random access to a `.ptau` file's bytes: only the header, the section table and the points
/// the circuit needs are read, so memory follows `k`, not the ceremony's size.
trait Source {
    fn len(&self) -> u64;
    fn read_at(&self, at: u64, len: usize, what: &str) -> Result<Vec<u8>, ProverError>;
}

fn truncated(what: &str, at: u64, len: usize) -> ProverError {
    bad(format!(
        "truncated while reading {what} (offset {at}, {len} bytes)"
    ))
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, at: u64, len: usize, what: &str) -> Result<Vec<u8>, ProverError> {
        usize::try_from(at)
            .ok()
            .and_then(|a| Some((a, a.checked_add(len)?)))
            .and_then(|(a, end)| self.get(a..end))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| truncated(what, at, len))
    }
}

struct FileSource {
    file: std::fs::File,
    len: u64,
    path: String,
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, at: u64, len: usize, what: &str) -> Result<Vec<u8>, ProverError> {
        use std::io::{Read, Seek, SeekFrom};
        if at.checked_add(len as u64).is_none_or(|end| end > self.len) {
            return Err(truncated(what, at, len));
        }
        let mut buf = vec![0u8; len];
        let mut f = &self.file;
        f.seek(SeekFrom::Start(at))
            .and_then(|_| f.read_exact(&mut buf))
            .map_err(|source| ProverError::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(buf)
    }
}

struct Reader<'a> {
    src: &'a dyn Source,
}

impl Reader<'_> {
    fn slice(&self, at: u64, len: usize, what: &str) -> Result<Vec<u8>, ProverError> {
        self.src.read_at(at, len, what)
    }

    fn u32(&self, at: u64, what: &str) -> Result<u32, ProverError> {
        let b = self.slice(at, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&self, at: u64, what: &str) -> Result<u64, ProverError> {
        let b = self.slice(at, 8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(&b);
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

fn g1_from(b: &[u8], index: usize) -> Result<G1Affine, ProverError> {
    if b.iter().all(|&x| x == 0) {
        return Err(bad(format!(
            "G1 point {index} is the point at infinity (tau = 0: the secret is known)"
        )));
    }
    let (x, y) = (fq_from_montgomery(&b[..32])?, fq_from_montgomery(&b[32..])?);
    Option::from(G1Affine::from_xy(x, y))
        .ok_or_else(|| bad(format!("G1 point {index} is not on the curve")))
}

fn g2_from(b: &[u8], index: usize) -> Result<G2Affine, ProverError> {
    if b.iter().all(|&x| x == 0) {
        return Err(bad(format!(
            "G2 point {index} is the point at infinity (tau = 0: the secret is known)"
        )));
    }
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

/// Smallest `k` imported: a circuit needs some rows besides halo2's blinding rows.
pub(crate) const MIN_K: u32 = 4;

/// Reads a `.ptau` file's bytes and returns KZG parameters for `2^k` rows.
pub fn import(ptau: &[u8], k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
    import_from(&ptau, k)
}

fn import_from(src: &dyn Source, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
    if !(MIN_K..=crate::prover::MAX_K).contains(&k) {
        return Err(ProverError::Params(format!(
            "k = {k} is out of range: KZG parameters are imported for 2^{MIN_K} to 2^{} rows",
            crate::prover::MAX_K
        )));
    }
    let r = Reader { src };
    if r.slice(0, 4, "the magic")? != b"ptau" {
        return Err(bad("the file does not start with \"ptau\""));
    }
    let version = r.u32(4, "the version")?;
    if version != 1 {
        return Err(bad(format!("version {version}, expected 1")));
    }
    let count = r.u32(8, "the section count")?;
    if count > 64 {
        return Err(bad(format!(
            "{count} sections (a .ptau file has at most 11)"
        )));
    }
    let mut sections = BTreeMap::new();
    let mut at = 12u64;
    for _ in 0..count {
        let id = r.u32(at, "a section header")?;
        let size = r.u64(at + 4, "a section header")?;
        let end = (at + 12)
            .checked_add(size)
            .filter(|end| *end <= src.len())
            .ok_or_else(|| {
                bad(format!(
                    "truncated: section {id} claims {size} bytes, past the end of the file"
                ))
            })?;
        sections.insert(id, (at + 12, size));
        at = end;
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
    if n8 != 32 || modulus != expected_q {
        return Err(bad(
            "the header is not for BN254 (wrong field size or modulus)",
        ));
    }
    let power = r.u32(header + 36, "the header")?;
    if power > crate::prover::MAX_K {
        return Err(bad(format!(
            "the header claims powers up to 2^{power}; BN254 supports at most 2^{}",
            crate::prover::MAX_K
        )));
    }
    if k > power {
        return Err(bad(format!(
            "it holds powers up to 2^{power}; 2^{k} were asked for"
        )));
    }
    let n = 1usize << k;
    let (g1_section, g1_size) = section(2)?;
    let (g2_section, g2_size) = section(3)?;
    if g1_size < ((1u64 << (power + 1)) - 1) * 64 || g2_size < (1u64 << power) * 128 {
        return Err(bad(
            "the tau sections are shorter than the header's power promises",
        ));
    }
    // n powers, and one more for the consistency check of the last imported one.
    let g1_bytes = r.slice(g1_section, 64 * (n + 1), "the G1 powers")?;
    let mut g = Vec::with_capacity(n + 1);
    for (i, b) in g1_bytes.chunks_exact(64).enumerate() {
        g.push(g1_from(b, i)?);
    }
    let next = g.pop().ok_or_else(|| bad("no G1 powers"))?;
    let g2_bytes = r.slice(g2_section, 256, "the G2 powers")?;
    let (g2, s_g2) = (g2_from(&g2_bytes[..128], 0)?, g2_from(&g2_bytes[128..], 1)?);
    if g[0] != G1Affine::generator() || g2 != G2Affine::generator() {
        return Err(bad("the first powers are not the curve generators"));
    }
    // A secret tau with a small multiplicative order (tau = 1, tau = -1, ...) repeats a
    // power; tau = 1 makes every power the generator. Either way the secret is known.
    let mut seen = std::collections::HashSet::with_capacity(n + 1);
    for (i, p) in g.iter().chain(std::iter::once(&next)).enumerate() {
        if !seen.insert(p.to_bytes().as_ref().to_vec()) {
            return Err(bad(format!(
                "G1 power {i} repeats an earlier power: tau has a tiny order (tau = 1?), so the secret is known"
            )));
        }
    }
    if s_g2 == g2 || s_g2 == -g2 {
        return Err(bad("[tau]G2 is +-G2: tau = +-1, so the secret is known"));
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

/// Reads a `.ptau` file (only the parts `k` needs); returns the parameters and the setup label
/// (the file's hash, computed by streaming it).
pub fn import_file(path: &Path, k: u32) -> Result<(ParamsKZG<Bn256>, String), ProverError> {
    use std::io::Read;
    let io = |source| ProverError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let src = FileSource {
        file,
        len,
        path: path.display().to_string(),
    };
    let params = import_from(&src, k)
        .map_err(|e| ProverError::Params(format!("{}: {e}", path.display())))?;
    let mut state = blake2b_simd::State::new();
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let got = f.read(&mut buf).map_err(io)?;
        if got == 0 {
            break;
        }
        state.update(&buf[..got]);
    }
    Ok((params, format!("ptau:{}", state.finalize().to_hex())))
}

/// Format tag of the record `zkmnist srs import` writes beside imported parameters.
pub(crate) const RECORD_FORMAT: &str = "zkmnist-srs/1";

/// `PARAMS.json`, written beside imported parameters: where they came from, and their hash so
/// a replaced parameter file is noticed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// [`RECORD_FORMAT`].
    pub format: String,
    /// The setup label (`ptau:<blake2b of the ceremony file>`).
    pub setup: String,
    /// log2 of the rows the parameters support.
    pub k: u32,
    /// SHA-256 of the parameter file.
    pub sha256: String,
}

impl Record {
    /// The record of a parameter file's bytes.
    pub fn of(params_bytes: &[u8], setup: &str, k: u32) -> Self {
        use sha2::Digest;
        Record {
            format: RECORD_FORMAT.into(),
            setup: setup.into(),
            k,
            sha256: hex::encode(sha2::Sha256::digest(params_bytes)),
        }
    }

    /// The record's path for a parameter file: `PARAMS.json`.
    pub fn path_for(params: &Path) -> std::path::PathBuf {
        let mut s = params.as_os_str().to_owned();
        s.push(".json");
        std::path::PathBuf::from(s)
    }
}

/// Loads parameters `zkmnist srs import` wrote, with their setup label, after checking the file
/// is the one the record describes; shrinks them to `2^k` rows.
pub fn load_imported(path: &Path, k: u32) -> Result<(ParamsKZG<Bn256>, String), ProverError> {
    use sha2::Digest;
    let side = Record::path_for(path);
    let text = zkmnist_model::files::read_text_capped(&side, 64 * 1024, "zkmnist srs record")
        .map_err(|e| ProverError::Params(e.to_string()))?;
    let record: Record = serde_json::from_str(&text).map_err(|e| {
        ProverError::Params(format!(
            "{}: not a zkmnist srs record ({e}); make parameters with `zkmnist srs import`",
            side.display()
        ))
    })?;
    if record.format != RECORD_FORMAT {
        return Err(ProverError::Params(format!(
            "{}: format {:?}, expected {RECORD_FORMAT:?}",
            side.display(),
            record.format
        )));
    }
    let bytes = std::fs::read(path).map_err(|source| ProverError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if hex::encode(sha2::Sha256::digest(&bytes)) != record.sha256 {
        return Err(ProverError::Params(format!(
            "{} is not the file `zkmnist srs import` wrote (SHA-256 differs)",
            path.display()
        )));
    }
    Ok((super::load_params(path, k)?, record.setup))
}

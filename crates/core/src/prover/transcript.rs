//! A Keccak-256 Fiat-Shamir transcript in the encoding EVM verifiers read, so the same proof
//! bytes verify natively, in wasm and in the Solidity verifier.
//!
//! Encoding (all big-endian): a curve point is `x || y` (32 + 32 bytes, the identity as two
//! zero words), a scalar is 32 bytes and must be canonical (below the modulus). Everything
//! written or declared common is appended to a buffer; a challenge is
//! `keccak256(buffer) mod r`, after which the buffer restarts from that hash. When the buffer
//! holds only the previous hash, a single `0x01` byte is appended first, so consecutive
//! challenges differ. This is the transcript of snark-verifier's `EvmTranscript`.

use halo2_proofs::transcript::{
    EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer, TranscriptWrite,
    TranscriptWriterBuffer,
};
use halo2curves::CurveAffine;
use halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2curves::ff::{Field, FromUniformBytes, PrimeField};
use halo2curves::group::prime::PrimeCurveAffine;
use sha3::{Digest, Keccak256};
use std::io::{self, Read, Write};

/// A challenge: the hash reduced modulo the scalar field.
#[derive(Clone, Copy, Debug)]
pub struct ChallengeEvm(Fr);

impl EncodedChallenge<G1Affine> for ChallengeEvm {
    type Input = [u8; 32];

    fn new(hash: &[u8; 32]) -> Self {
        // The hash as a big-endian integer, reduced modulo r.
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(hash);
        wide[..32].reverse();
        ChallengeEvm(Fr::from_uniform_bytes(&wide))
    }

    fn get_scalar(&self) -> Fr {
        self.0
    }
}

/// The transcript over a stream (a writer for the prover, a reader for the verifier).
#[derive(Debug)]
pub struct EvmTranscript<S> {
    stream: S,
    buf: Vec<u8>,
}

fn be(bytes: impl AsRef<[u8]>) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(bytes.as_ref());
    out.reverse();
    out
}

/// The 64-byte encoding of a point.
pub(crate) fn encode_point(point: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if let Some(c) = Option::from(point.coordinates()) {
        let c: halo2curves::Coordinates<G1Affine> = c;
        out[..32].copy_from_slice(&be(c.x().to_repr()));
        out[32..].copy_from_slice(&be(c.y().to_repr()));
    }
    out
}

/// The 32-byte encoding of a scalar.
pub(crate) fn encode_scalar(scalar: &Fr) -> [u8; 32] {
    be(scalar.to_repr())
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Decodes a point, rejecting non-canonical coordinates and points off the curve.
pub(crate) fn decode_point(bytes: &[u8; 64]) -> io::Result<G1Affine> {
    let coord = |b: &[u8]| -> io::Result<Fq> {
        let mut le: [u8; 32] = b.try_into().map_err(|_| invalid("short coordinate"))?;
        le.reverse();
        Option::from(Fq::from_repr(le))
            .ok_or_else(|| invalid("proof point coordinate is not below the field modulus"))
    };
    let (x, y) = (coord(&bytes[..32])?, coord(&bytes[32..])?);
    if x.is_zero_vartime() && y.is_zero_vartime() {
        return Ok(G1Affine::identity());
    }
    Option::from(G1Affine::from_xy(x, y)).ok_or_else(|| invalid("proof point is not on the curve"))
}

/// Decodes a canonical scalar.
pub(crate) fn decode_scalar(bytes: &[u8; 32]) -> io::Result<Fr> {
    zkmnist_circuit::field::from_be_bytes(bytes)
        .ok_or_else(|| invalid("proof scalar is not below the field modulus"))
}

impl<S> Transcript<G1Affine, ChallengeEvm> for EvmTranscript<S> {
    fn squeeze_challenge(&mut self) -> ChallengeEvm {
        if self.buf.len() == 32 {
            self.buf.push(1);
        }
        let hash: [u8; 32] = Keccak256::digest(&self.buf).into();
        self.buf = hash.to_vec();
        ChallengeEvm::new(&hash)
    }

    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.buf.extend_from_slice(&encode_point(&point));
        Ok(())
    }

    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.buf.extend_from_slice(&encode_scalar(&scalar));
        Ok(())
    }
}

impl<W: Write> TranscriptWrite<G1Affine, ChallengeEvm> for EvmTranscript<W> {
    fn write_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.common_point(point)?;
        self.stream.write_all(&encode_point(&point))
    }

    fn write_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.common_scalar(scalar)?;
        self.stream.write_all(&encode_scalar(&scalar))
    }
}

impl<W: Write> TranscriptWriterBuffer<W, G1Affine, ChallengeEvm> for EvmTranscript<W> {
    fn init(writer: W) -> Self {
        EvmTranscript {
            stream: writer,
            buf: Vec::new(),
        }
    }

    fn finalize(self) -> W {
        self.stream
    }
}

impl<R: Read> TranscriptRead<G1Affine, ChallengeEvm> for EvmTranscript<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let mut bytes = [0u8; 64];
        self.stream.read_exact(&mut bytes)?;
        let point = decode_point(&bytes)?;
        self.common_point(point)?;
        Ok(point)
    }

    fn read_scalar(&mut self) -> io::Result<Fr> {
        let mut bytes = [0u8; 32];
        self.stream.read_exact(&mut bytes)?;
        let scalar = decode_scalar(&bytes)?;
        self.common_scalar(scalar)?;
        Ok(scalar)
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, ChallengeEvm> for EvmTranscript<R> {
    fn init(reader: R) -> Self {
        EvmTranscript {
            stream: reader,
            buf: Vec::new(),
        }
    }
}

//! Conversions between integers, BN254 scalar field elements and their `0x` hex form.
//!
//! Hex strings are 32-byte big-endian (the EVM's `uint256` order), as in proof files.

use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;

/// The field element of a signed integer (negative numbers wrap to `p - |v|`).
pub fn fe(v: i64) -> Fr {
    if v >= 0 {
        Fr::from(v as u64)
    } else {
        -Fr::from(v.unsigned_abs())
    }
}

/// `0x` + 64 hex digits, big-endian.
pub fn to_hex(v: &Fr) -> String {
    let mut bytes = v.to_repr();
    bytes.as_mut().reverse();
    format!("0x{}", hex::encode(bytes.as_ref()))
}

/// Big-endian 32 bytes.
pub fn to_be_bytes(v: &Fr) -> [u8; 32] {
    let mut bytes: [u8; 32] = v.to_repr();
    bytes.reverse();
    bytes
}

/// Parses a canonical big-endian 32-byte value; `None` if it is not below the modulus.
pub fn from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let mut le = *bytes;
    le.reverse();
    Option::from(Fr::from_repr(le))
}

/// Parses `0x`-prefixed hex of at most 32 bytes (shorter values are left-padded), rejecting
/// values not below the field modulus. The error says what was wrong.
pub fn from_hex(s: &str) -> Result<Fr, String> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{s:?} does not start with 0x"))?;
    if digits.is_empty() || digits.len() > 64 {
        return Err(format!("{s:?} must have 1 to 64 hex digits"));
    }
    let padded = format!("{digits:0>64}");
    let bytes: [u8; 32] = hex::decode(&padded)
        .map_err(|e| format!("{s:?} is not hex: {e}"))?
        .try_into()
        .map_err(|_| format!("{s:?} is not 32 bytes"))?;
    from_be_bytes(&bytes)
        .ok_or_else(|| format!("{s:?} is not below the BN254 scalar field modulus"))
}

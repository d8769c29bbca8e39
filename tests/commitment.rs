//! The native Poseidon and image commitment against light-poseidon (an independent
//! implementation of circom's Poseidon), on fixed vectors.

use ark_ff::{BigInteger, PrimeField as _};
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use light_poseidon::{Poseidon, PoseidonHasher};
use zkmnist::commitment::{self, RATE};

fn to_ark(x: &Fr) -> ark_bn254::Fr {
    ark_bn254::Fr::from_le_bytes_mod_order(x.to_repr().as_ref())
}

fn from_ark(x: &ark_bn254::Fr) -> Fr {
    let bytes: [u8; 32] = x.into_bigint().to_bytes_le().try_into().unwrap();
    Fr::from_repr(bytes).unwrap()
}

fn reference_hash(inputs: &[Fr; RATE]) -> Fr {
    let mut p = Poseidon::<ark_bn254::Fr>::new_circom(RATE).unwrap();
    let ark: Vec<ark_bn254::Fr> = inputs.iter().map(to_ark).collect();
    from_ark(&p.hash(&ark).unwrap())
}

#[test]
fn hash_matches_light_poseidon_on_fixed_vectors() {
    let vectors: [[u64; RATE]; 4] = [
        [0; RATE],
        [1, 2, 3, 4],
        [255, 65535, 1 << 40, 7],
        [u64::MAX, 1, u64::MAX - 1, 13],
    ];
    for v in vectors {
        let inputs = v.map(Fr::from);
        assert_eq!(commitment::hash(&inputs), reference_hash(&inputs), "{v:?}");
    }
    // Large field elements too.
    let big: [Fr; RATE] = std::array::from_fn(|i| -Fr::from(i as u64 + 1));
    assert_eq!(commitment::hash(&big), reference_hash(&big));
}

#[test]
fn commitment_is_the_documented_chain() {
    let pixels: [u8; 784] = std::array::from_fn(|i| (i * 7 % 256) as u8);
    let salt = Fr::from(0xdead_beef_u64);
    let rows = commitment::pack_rows(&pixels);
    // Row 1 packs pixels 28..56 little-endian in base 256.
    let row1 = (28..56).rev().fold(Fr::zero(), |acc, i| {
        acc * Fr::from(256) + Fr::from(pixels[i] as u64)
    });
    assert_eq!(rows[1], row1);
    let mut padded = rows.to_vec();
    padded.extend([Fr::zero(), Fr::zero()]);
    let mut h = salt;
    for call in 0..10 {
        let mut inputs = [Fr::zero(); RATE];
        inputs[0] = h;
        inputs[1..].copy_from_slice(&padded[call * 3..call * 3 + 3]);
        h = reference_hash(&inputs);
    }
    assert_eq!(commitment::commit(&pixels, salt), h);
    // Any pixel or salt change moves it.
    let mut other = pixels;
    other[500] ^= 1;
    assert_ne!(commitment::commit(&other, salt), h);
    assert_ne!(commitment::commit(&pixels, salt + Fr::one()), h);
}

#[test]
fn salts_are_fresh() {
    let a = commitment::random_salt().unwrap();
    let b = commitment::random_salt().unwrap();
    assert_ne!(a, b);
}

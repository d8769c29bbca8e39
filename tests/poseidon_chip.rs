//! The Poseidon chip alone, in a small circuit, against light-poseidon on fixed vectors.

use crate::common;

use ark_ff::{BigInteger, PrimeField as _};
use halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use light_poseidon::{Poseidon, PoseidonHasher};
use zkmnist::commitment::RATE;

use common::{HASH_K, HashCircuit};

fn reference(inputs: &[Fr; RATE]) -> Fr {
    let mut p = Poseidon::<ark_bn254::Fr>::new_circom(RATE).unwrap();
    let ark: Vec<ark_bn254::Fr> = inputs
        .iter()
        .map(|x| ark_bn254::Fr::from_le_bytes_mod_order(x.to_repr().as_ref()))
        .collect();
    let h = p.hash(&ark).unwrap();
    Fr::from_repr(h.into_bigint().to_bytes_le().try_into().unwrap()).unwrap()
}

#[test]
fn chip_hash_equals_light_poseidon() {
    for v in [[0u64, 0, 0, 0], [1, 2, 3, 4], [u64::MAX, 7, 1 << 33, 99]] {
        let inputs = v.map(Fr::from);
        let expected = reference(&inputs);
        let prover =
            MockProver::run(HASH_K, &HashCircuit { inputs }, vec![vec![expected]]).unwrap();
        assert_eq!(prover.verify(), Ok(()), "{v:?}");
        let wrong = MockProver::run(
            HASH_K,
            &HashCircuit { inputs },
            vec![vec![expected + Fr::from(1)]],
        )
        .unwrap();
        assert!(wrong.verify().is_err());
    }
}

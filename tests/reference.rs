//! The integer reference: rounding, tie-breaks, a hand-checked model, and bounds that hold.

use crate::common;

use zkmnist::data::Split;
use zkmnist::model::reference::argmax;
use zkmnist::model::spec::{
    Conv2d, Dense, InputSpec, Layer, ModelSpec, Requant, Shape, TrainingReport,
};
use zkmnist::model::spec::{Invalid, ModelError, Unsupported};
use zkmnist::model::{self, bounds};

#[test]
fn requant_rounds_half_up_then_clamps() {
    let r = Requant { shift: 2, max: 255 };
    // floor((acc + 2) / 4)
    let cases = [
        (0, 0),
        (1, 0),
        (2, 1),
        (5, 1),
        (6, 2),
        (7, 2),
        (-1, 0),
        (-2, 0),
        (-3, -1),
        (-6, -1),
        (-7, -2),
        (1021, 255),
        (1022, 256),
    ];
    for (acc, q) in cases {
        assert_eq!(r.round_shift(acc), q, "round_shift({acc})");
        assert_eq!(r.apply(acc), q.clamp(0, 255), "apply({acc})");
    }
    let small = Requant { shift: 1, max: 3 };
    assert_eq!(
        (-3..=9).map(|a| small.apply(a)).collect::<Vec<_>>(),
        [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3]
    );
}

#[test]
fn argmax_takes_the_lowest_index_on_ties() {
    assert_eq!(argmax(&[3, 5, 5, 1]), Some(1));
    assert_eq!(argmax(&[7; 10]), Some(0));
    assert_eq!(argmax(&[-9, -3, -3, -4]), Some(1));
    assert_eq!(argmax(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Some(9));
    assert_eq!(argmax(&[]), None);
}

/// A model small enough to check by hand: one 27x27 conv with stride 1 over a 28x28 input
/// (2x2 output), then a dense layer to 10 logits.
fn tiny() -> ModelSpec {
    let mut cw = vec![0i64; 27 * 27];
    cw[0] = 2; // top-left tap
    cw[27 * 27 - 1] = -1; // bottom-right tap
    let dense_w: Vec<i64> = (0..10)
        .flat_map(|o| (0..4).map(move |i| if i == o % 4 { 1 } else { 0 }))
        .collect();
    ModelSpec::new(
        InputSpec {
            shape: Shape { c: 1, h: 28, w: 28 },
            encoding: "test".into(),
        },
        vec![
            Layer::Conv2d(Conv2d {
                in_channels: 1,
                out_channels: 1,
                kernel: 27,
                stride: 1,
                weights: cw,
                bias: vec![3],
                requant: Requant { shift: 2, max: 255 },
                weight_scale: 1.0,
                output_scale: 1.0,
            }),
            Layer::Dense(Dense {
                inputs: 4,
                outputs: 10,
                weights: dense_w,
                bias: vec![0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
                requant: None,
                weight_scale: 1.0,
                output_scale: 1.0,
            }),
        ],
        TrainingReport {
            seed: 0,
            epochs: 0,
            train_samples: 0,
            holdout_samples: 0,
            float_holdout_accuracy: 0.0,
            quantized_holdout_accuracy: 0.0,
        },
    )
    .unwrap()
}

#[test]
fn hand_checked_forward_pass() {
    let spec = tiny();
    let mut img = [0u8; 784];
    img[0] = 100; // only the (0,0) output sees it through the top-left tap
    img[28 * 27 + 27] = 10; // the (1,1) output sees it through the bottom-right tap
    img[1] = 7; // the (0,1) output sees it through the top-left tap
    let t = model::forward(&spec, &img).unwrap();
    // acc = 3 + 2*x_tl - x_br
    assert_eq!(t.layers[0].acc, vec![3 + 200, 3 + 14, 3, 3 - 10]);
    // floor((acc + 2) / 4), clamped at 0
    assert_eq!(t.layers[0].output, vec![51, 4, 1, 0]);
    // logit o = input[o % 4] (+1 for o = 4)
    assert_eq!(t.logits(), &[51, 4, 1, 0, 52, 4, 1, 0, 51, 4]);
    assert_eq!(t.digit, 4);
}

#[test]
fn bounds_hold_on_all_training_data_and_extreme_images() {
    let spec = ModelSpec::embedded().unwrap();
    let b = bounds(&spec);
    let mut images = common::npm_digits(Split::All).images;
    images.push([0; 784]);
    images.push([255; 784]);
    images.push(std::array::from_fn(|i| {
        if (i / 28 + i % 28) % 2 == 0 { 255 } else { 0 }
    }));
    for img in &images {
        let t = model::forward(&spec, img).unwrap();
        for (l, (lt, lb)) in t.layers.iter().zip(&b).enumerate() {
            for &a in &lt.acc {
                assert!(
                    a >= lb.acc_min && a <= lb.acc_max,
                    "layer {l}: acc {a} outside {lb:?}"
                );
            }
            let hidden = spec.layers[l].parts().2.is_some();
            for &o in &lt.output {
                assert!(
                    o <= lb.output_max && (!hidden || o >= 0),
                    "layer {l}: output {o} outside {lb:?}"
                );
            }
        }
    }
    // Every accumulator fits comfortably in 32 bits (the circuit sizes its range checks from these).
    assert!(b.iter().all(|lb| lb.acc_abs_max() < 1 << 30));
}

#[test]
fn model_file_is_validated() {
    let good = tiny().to_json().unwrap();
    assert!(ModelSpec::from_json(&good).is_ok());
    let tampered = good.replacen(
        "\"bias\": [\n        3\n      ]",
        "\"bias\": [\n        4\n      ]",
        1,
    );
    assert_ne!(tampered, good);
    let e = ModelSpec::from_json(&tampered).unwrap_err().to_string();
    assert!(e.contains("content hash mismatch"), "{e}");
    let e = ModelSpec::from_json(&good.replace("zkmnist-model/1", "zkmnist-model/9"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("zkmnist-model/9"), "{e}");
    let e = ModelSpec::from_json("{\"format\": 1}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a valid zkmnist model"), "{e}");
}

#[test]
fn invalid_specs_are_rejected() {
    let mut s = tiny();
    if let Layer::Conv2d(c) = &mut s.layers[0] {
        c.weights[5] = 128;
    }
    let e = ModelSpec::new(s.input.clone(), s.layers.clone(), s.training.clone()).unwrap_err();
    // The kind is what a caller acts on; the message is for people.
    assert!(
        matches!(
            e,
            ModelError::Invalid(Invalid::Weight {
                layer: 0,
                value: 128
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("weight 128 outside"), "{e}");
    let mut s = tiny();
    if let Layer::Dense(d) = &mut s.layers[1] {
        d.inputs = 5;
    }
    let e = ModelSpec::new(s.input.clone(), s.layers.clone(), s.training.clone()).unwrap_err();
    assert!(
        matches!(
            e,
            ModelError::Invalid(Invalid::DenseInputs { expected: 5, .. })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("expects 5 inputs"), "{e}");
}

/// A model the spec allows but the circuit cannot hold says which part needs how many rows.
#[test]
fn a_model_too_wide_for_the_circuit_names_what_does_not_fit() {
    let spec = ModelSpec::embedded().unwrap();
    let mut wide = spec.clone();
    // Eight times the dense layer's inputs: its weight block alone outgrows the circuit.
    if let Some(Layer::Dense(d)) = wide.layers.last_mut() {
        d.weights = d.weights.iter().flat_map(|w| [*w; 8]).collect();
        d.inputs *= 8;
    }
    let last_conv = wide.layers.len() - 2;
    if let Some(Layer::Conv2d(c)) = wide.layers.get_mut(last_conv) {
        let per_filter = c.weights.len() / c.out_channels;
        c.weights = c
            .weights
            .iter()
            .cycle()
            .take(per_filter * c.out_channels * 8)
            .copied()
            .collect();
        c.bias = c
            .bias
            .iter()
            .cycle()
            .take(c.out_channels * 8)
            .copied()
            .collect();
        c.out_channels *= 8;
    }
    let wide = ModelSpec::new(wide.input, wide.layers, wide.training).unwrap();
    let e = zkmnist::circuit::ZkmnistCircuit::new(std::sync::Arc::new(wide)).unwrap_err();
    assert!(
        matches!(e, ModelError::Unsupported(Unsupported::Rows { need, have, .. }) if need > have),
        "{e:?}"
    );
}

/// The proof's cost is set by the circuit's rows and columns, not by multiply-accumulates (the
/// Freivalds checks make those almost free): the committed model must fit 2^12 rows, its lookup
/// table included.
#[test]
fn committed_model_is_within_the_proof_budget() {
    let spec = ModelSpec::embedded().unwrap();
    let d = zkmnist::circuit::ZkmnistCircuit::new(std::sync::Arc::new(spec.clone()))
        .unwrap()
        .dimensions()
        .unwrap();
    assert_eq!(d.k, 12, "{d:?}");
    assert!(d.table_rows <= d.usable_rows, "{d:?}");
    assert!(spec.training.quantized_holdout_accuracy >= 0.98);
}

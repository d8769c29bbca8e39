//! Post-training quantization of a [`FloatNet`] into an integer [`ModelSpec`].
//!
//! Scales are chained so that requantization is a pure power-of-two shift:
//! a layer with input scale `s_in` gets weight scale `s_w = max|w| / 127` (full int8 range)
//! and output scale `s_out = s_w * s_in * 2^shift`. The shift is chosen per layer so that the
//! output clamp `255 * s_out` lies just above (ceil) or just below (floor) the calibrated
//! activation range (or one step above); every combination whose lookup table fits the
//! circuit's rows is scored on calibration data and the best kept.

use super::net::{FloatKind, FloatNet};
use crate::TrainError;
use zkmnist_model::data::Dataset;
use zkmnist_model::reference;
use zkmnist_model::spec::{
    Conv2d, Dense, IMAGE_SIDE, InputSpec, Layer, ModelError, ModelSpec, PIXEL_MAX, Requant, Shape,
    TrainingReport, WEIGHT_MAX,
};

/// Percentile of hidden activations taken as their range.
const CALIBRATION_PERCENTILE: f64 = 0.9999;

/// The input scale: pixel value 255 is 1.0 in the float network.
pub(crate) const INPUT_SCALE: f64 = 1.0 / PIXEL_MAX as f64;

/// How far above the calibrated range a layer's output clamp may be placed: the shift is
/// `ceil(log2(ideal))` minus 1, plus 0, or plus 1 (each step doubles the clamp and halves the
/// range of quotients the circuit's lookup table must hold).
const SHIFT_CHOICES: [i32; 3] = [-1, 0, 1];

/// Quantizes `net`, calibrating activation ranges on `calib` and choosing, per hidden layer, the
/// shift that classifies `calib` best among those whose lookup table fits `max_table_rows`.
pub fn quantize(
    net: &FloatNet,
    calib: &Dataset,
    training: TrainingReport,
    max_table_rows: usize,
) -> Result<ModelSpec, TrainError> {
    let ranges = activation_ranges(net, calib);
    let hidden = net.layers.len() - 1;
    let mut best: Option<(usize, ModelSpec)> = None;
    for choice in 0..SHIFT_CHOICES.len().pow(hidden as u32) {
        let offsets: Vec<i32> = (0..hidden)
            .map(|l| {
                SHIFT_CHOICES[choice / SHIFT_CHOICES.len().pow(l as u32) % SHIFT_CHOICES.len()]
            })
            .collect();
        let spec = build(net, &ranges, &offsets, training.clone())?;
        let table = zkmnist_model::plan::table_rows(&spec);
        if table > max_table_rows {
            continue;
        }
        let correct = count_correct(&spec, calib)?;
        if best.as_ref().is_none_or(|(c, _)| correct > *c) {
            best = Some((correct, spec));
        }
    }
    best.map(|(_, s)| s)
        .ok_or(TrainError::NoShifts { max_table_rows })
}

/// Number of samples of `ds` the integer model classifies correctly.
pub fn count_correct(spec: &ModelSpec, ds: &Dataset) -> Result<usize, ModelError> {
    let mut correct = 0;
    for (img, &label) in ds.images.iter().zip(&ds.labels) {
        if reference::forward(spec, img)?.digit == usize::from(label) {
            correct += 1;
        }
    }
    Ok(correct)
}

/// The float image of a byte image, as the float network sees it.
pub fn to_float(img: &[u8]) -> Vec<f32> {
    img.iter()
        .map(|&p| f32::from(p) / PIXEL_MAX as f32)
        .collect()
}

/// High percentile of each hidden layer's post-ReLU activations over `ds`.
fn activation_ranges(net: &FloatNet, ds: &Dataset) -> Vec<f64> {
    let hidden = net.layers.len() - 1;
    let mut values: Vec<Vec<f32>> = vec![Vec::new(); hidden];
    for img in &ds.images {
        let acts = net.forward(&to_float(img));
        for (l, vals) in values.iter_mut().enumerate() {
            vals.extend(acts.inputs[l + 1].iter().filter(|v| **v > 0.0));
        }
    }
    values
        .into_iter()
        .map(|mut v| {
            if v.is_empty() {
                return 1.0;
            }
            v.sort_by(f32::total_cmp);
            let idx = ((v.len() - 1) as f64 * CALIBRATION_PERCENTILE) as usize;
            f64::from(v[idx]).max(1e-6)
        })
        .collect()
}

/// Builds the integer spec for one choice of shift offset per hidden layer (added to the
/// ceiling of the ideal shift).
fn build(
    net: &FloatNet,
    ranges: &[f64],
    offsets: &[i32],
    training: TrainingReport,
) -> Result<ModelSpec, TrainError> {
    let mut s_in = INPUT_SCALE;
    let mut layers = Vec::with_capacity(net.layers.len());
    for (l, layer) in net.layers.iter().enumerate() {
        let max_w = layer.w.iter().fold(0f32, |m, w| m.max(w.abs())).max(1e-12) as f64;
        let s_w = max_w / WEIGHT_MAX as f64;
        let weights: Vec<i64> = layer
            .w
            .iter()
            .map(|w| ((*w as f64) / s_w).round() as i64)
            .collect();
        let bias: Vec<i64> = layer
            .b
            .iter()
            .map(|b| ((*b as f64) / (s_w * s_in)).round() as i64)
            .collect();
        let requant = if l < ranges.len() {
            let ideal = (ranges[l] / PIXEL_MAX as f64) / (s_w * s_in);
            let shift = ideal.log2().ceil() + f64::from(offsets[l]);
            Some(Requant {
                shift: shift.clamp(1.0, 24.0) as u32,
                max: PIXEL_MAX,
            })
        } else {
            None
        };
        let s_out = requant.map_or(s_w * s_in, |r| s_w * s_in * f64::from(1u32 << r.shift));
        layers.push(match layer.kind {
            FloatKind::Conv { arch, input, .. } => Layer::Conv2d(Conv2d {
                in_channels: input.c,
                out_channels: arch.out_channels,
                kernel: arch.kernel,
                stride: arch.stride,
                weights,
                bias,
                requant: requant.ok_or(TrainError::ConvolutionLast)?,
                weight_scale: s_w,
                output_scale: s_out,
            }),
            FloatKind::Dense { inputs, outputs } => Layer::Dense(Dense {
                inputs,
                outputs,
                weights,
                bias,
                requant,
                weight_scale: s_w,
                output_scale: s_out,
            }),
        });
        s_in = s_out;
    }
    ModelSpec::new(
        InputSpec {
            shape: Shape {
                c: 1,
                h: IMAGE_SIDE,
                w: IMAGE_SIDE,
            },
            encoding: "u8 grayscale, row-major, ink = 255, background = 0 (MNIST)".into(),
        },
        layers,
        training,
    )
    .map_err(TrainError::from)
}

//! The typed, serialisable description of the quantized model (`circuits/model.json`).
//!
//! Everything the integer reference (and later the circuit) needs is here: layer kinds, shapes,
//! integer weights and biases, requantization shifts and clamps. Real-valued scales are carried
//! only to document what the integers mean; no computation reads them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Version tag of the model file format; a file with any other tag is rejected.
pub(crate) const MODEL_FORMAT: &str = "zkmnist-model/1";

/// Side of the square input image, in pixels (MNIST: 28).
pub const IMAGE_SIDE: usize = 28;
/// Number of input pixels.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Number of classes (digits 0..9).
pub const CLASSES: usize = 10;
/// Largest magnitude of a quantized weight (signed 8-bit, symmetric).
pub const WEIGHT_MAX: i64 = 127;
/// Largest input pixel value.
pub const PIXEL_MAX: i64 = 255;

/// Errors raised while loading or validating a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// Path that failed.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not valid JSON for a model spec.
    #[error("model file is not a valid zkmnist model: {0}")]
    Json(#[from] serde_json::Error),
    /// The format tag is not the one this build understands.
    #[error("model format is {found:?}, expected {MODEL_FORMAT:?}")]
    Format {
        /// The tag found in the file.
        found: String,
    },
    /// The stored content hash does not match the content.
    #[error("model content hash mismatch: file says {stored}, content hashes to {computed}")]
    Hash {
        /// Hash stored in the file.
        stored: String,
        /// Hash of the file's content.
        computed: String,
    },
    /// The layers do not fit together or a value is out of range.
    #[error("invalid model: {0}")]
    Invalid(#[from] Invalid),
    /// A valid model the circuit cannot prove (its shape, or its size at the circuit's rows).
    #[error("invalid model: {0}")]
    Unsupported(#[from] Unsupported),
}

/// What is wrong with a model's spec.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The input is not one 28x28 channel.
    #[error("input shape must be 1x28x28, found {c}x{h}x{w}")]
    InputShape {
        /// Channels.
        c: usize,
        /// Height.
        h: usize,
        /// Width.
        w: usize,
    },
    /// No layers at all.
    #[error("the model has no layers")]
    NoLayers,
    /// A convolution's input channels differ from what the previous layer gives.
    #[error("conv2d expects {expected} input channels, previous layer gives {found}")]
    Channels {
        /// The convolution's `in_channels`.
        expected: usize,
        /// The previous layer's output channels.
        found: usize,
    },
    /// A convolution's kernel or stride does not fit its input.
    #[error("conv2d kernel {kernel} / stride {stride} does not fit a {h}x{w} input")]
    Kernel {
        /// Kernel side.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Input height.
        h: usize,
        /// Input width.
        w: usize,
    },
    /// A dense layer's inputs differ from what the previous layer gives.
    #[error("dense layer expects {expected} inputs, previous layer gives {found}")]
    DenseInputs {
        /// The dense layer's `inputs`.
        expected: usize,
        /// The previous layer's output length.
        found: usize,
    },
    /// A layer has the wrong number of weights or biases.
    #[error("layer {layer}: {found} {what}, expected {expected}")]
    Count {
        /// Layer index.
        layer: usize,
        /// `weights` or `biases`.
        what: &'static str,
        /// How many there are.
        found: usize,
        /// How many the shapes need.
        expected: usize,
    },
    /// A weight outside the bound the circuit's ranges are derived from.
    #[error("layer {layer}: weight {value} outside -{WEIGHT_MAX}..={WEIGHT_MAX}")]
    Weight {
        /// Layer index.
        layer: usize,
        /// The weight.
        value: i64,
    },
    /// A bias outside -2^24..=2^24.
    #[error("layer {layer}: bias {value} outside -2^24..=2^24")]
    Bias {
        /// Layer index.
        layer: usize,
        /// The bias.
        value: i64,
    },
    /// The last layer requantizes instead of giving raw logits.
    #[error("the last layer must output raw logits (no requantization)")]
    RequantizedLogits,
    /// A requantization's shift or clamp is out of range.
    #[error("layer {layer}: requantization shift {shift} / max {max} outside 1..=24 / 1..=255")]
    Requant {
        /// Layer index.
        layer: usize,
        /// The shift.
        shift: u32,
        /// The clamp.
        max: i64,
    },
    /// A hidden layer does not requantize.
    #[error("layer {layer}: hidden layers must requantize")]
    NotRequantized {
        /// Layer index.
        layer: usize,
    },
    /// The last layer does not give one logit per class.
    #[error("the model outputs {found} values, expected {CLASSES} logits")]
    Logits {
        /// How many values it gives.
        found: usize,
    },
}

/// Why the circuit cannot prove a valid model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// A convolution's stride or input side is not one the circuit's class split handles.
    #[error(
        "the circuit proves convolutions with stride 1 or 2 over inputs whose side is a multiple of the stride; got stride {stride} on {h}x{h}"
    )]
    Stride {
        /// The stride.
        stride: usize,
        /// The input side.
        h: usize,
    },
    /// A convolution's input is not square.
    #[error("convolution inputs must be square")]
    NotSquare,
    /// A dense layer before the logits.
    #[error(
        "the circuit proves convolutions followed by one dense layer (the logits); hidden dense layers are not supported"
    )]
    HiddenDense,
    /// No convolution at all.
    #[error("the circuit needs at least one convolution")]
    NoConvolution,
    /// A requantization beyond the circuit's lookup (shift or clamp).
    #[error(
        "layer {layer}: the circuit supports requantization shifts up to {max_shift} and the clamp 255 (found shift {shift} and clamp {clamp})"
    )]
    Requant {
        /// Layer index.
        layer: usize,
        /// The largest shift the circuit checks.
        max_shift: u32,
        /// The layer's shift.
        shift: u32,
        /// The layer's clamp.
        clamp: i64,
    },
    /// Logits too large for the argmax's range check.
    #[error("logits up to {bound} in magnitude exceed the argmax range check")]
    LogitRange {
        /// The largest logit magnitude.
        bound: i64,
    },
    /// A part of the circuit needs more rows than there are.
    #[error("the model does not fit the circuit: {what} needs {need} rows, {have} are available")]
    Rows {
        /// What needs them.
        what: String,
        /// Rows needed.
        need: usize,
        /// Rows available.
        have: usize,
    },
}

/// A tensor shape in channels-height-width order; a flat vector is `(n, 1, 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Channels.
    pub c: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
}

impl Shape {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// True when the shape holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Requantization with fused ReLU and clamp, applied to an integer accumulator `acc`:
///
/// `y = clamp(floor((acc + 2^(shift-1)) / 2^shift), 0, max)`
///
/// i.e. divide by `2^shift` rounding half up (towards +infinity), then clamp into `[0, max]`.
/// Floor division is exact integer floor, also for negative numerators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requant {
    /// Power-of-two divisor exponent, at least 1.
    pub shift: u32,
    /// Upper clamp of the output (the output is an unsigned `bits`-bit integer).
    pub max: i64,
}

impl Requant {
    /// Applies the requantization to one accumulator.
    pub fn apply(&self, acc: i64) -> i64 {
        self.activate(self.round_shift(acc))
    }

    /// The fused ReLU and clamp applied to a rounded quotient (this also fills the circuit's
    /// activation table).
    pub fn activate(&self, q: i64) -> i64 {
        q.clamp(0, self.max)
    }

    /// The rounded quotient before the clamp: `floor((acc + 2^(shift-1)) / 2^shift)`.
    pub fn round_shift(&self, acc: i64) -> i64 {
        (acc + (1i64 << (self.shift - 1))).div_euclid(1i64 << self.shift)
    }
}

/// A 2-D convolution without padding, followed by requantization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conv2d {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels (filters).
    pub out_channels: usize,
    /// Square kernel side.
    pub kernel: usize,
    /// Stride in both directions.
    pub stride: usize,
    /// Weights in `[out][in][ky][kx]` order, each in `-127..=127`.
    pub weights: Vec<i64>,
    /// One bias per output channel, in accumulator units (input scale x weight scale).
    pub bias: Vec<i64>,
    /// Requantization of the accumulator to the next layer's activations.
    pub requant: Requant,
    /// Real value of one weight unit (documentation only).
    pub weight_scale: f64,
    /// Real value of one output activation unit (documentation only).
    pub output_scale: f64,
}

/// A fully connected layer over the flattened (CHW order) input; the last one yields logits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Input length.
    pub inputs: usize,
    /// Output length.
    pub outputs: usize,
    /// Weights in `[out][in]` order, each in `-127..=127`.
    pub weights: Vec<i64>,
    /// One bias per output, in accumulator units.
    pub bias: Vec<i64>,
    /// Requantization, or `None` for the logits layer (outputs are raw accumulators).
    pub requant: Option<Requant>,
    /// Real value of one weight unit (documentation only).
    pub weight_scale: f64,
    /// Real value of one output unit (documentation only).
    pub output_scale: f64,
}

/// One layer of the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Layer {
    /// Convolution + requantize/ReLU.
    Conv2d(Conv2d),
    /// Fully connected layer.
    Dense(Dense),
}

/// How input images are encoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Shape of the input (1 x 28 x 28).
    pub shape: Shape,
    /// Human-readable encoding: MNIST convention, ink = 255, background = 0.
    pub encoding: String,
}

/// How the committed model was made and how well it did on held-out data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// PRNG seed of the run.
    pub seed: u64,
    /// Passes over the training split.
    pub epochs: usize,
    /// Training samples used.
    pub train_samples: usize,
    /// Held-out samples measured.
    pub holdout_samples: usize,
    /// Accuracy of the float model on the held-out split.
    pub float_holdout_accuracy: f64,
    /// Accuracy of the integer model on the held-out split.
    pub quantized_holdout_accuracy: f64,
}

/// The whole quantized model as stored in `circuits/model.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Must equal [`MODEL_FORMAT`].
    pub format: String,
    /// Input encoding.
    pub input: InputSpec,
    /// Layers in evaluation order; the last is a [`Dense`] layer without requantization.
    pub layers: Vec<Layer>,
    /// Provenance of the weights.
    pub training: TrainingReport,
    /// `sha256:<hex>` of the canonical JSON of every other field.
    pub content_hash: String,
}

impl Layer {
    /// Output shape of this layer for a given input shape, or why they do not fit.
    pub(crate) fn output_shape(&self, input: Shape) -> Result<Shape, ModelError> {
        match self {
            Layer::Conv2d(c) => {
                if input.c != c.in_channels {
                    return Err(Invalid::Channels {
                        expected: c.in_channels,
                        found: input.c,
                    }
                    .into());
                }
                if c.kernel == 0 || c.stride == 0 || c.kernel > input.h || c.kernel > input.w {
                    return Err(Invalid::Kernel {
                        kernel: c.kernel,
                        stride: c.stride,
                        h: input.h,
                        w: input.w,
                    }
                    .into());
                }
                Ok(Shape {
                    c: c.out_channels,
                    h: (input.h - c.kernel) / c.stride + 1,
                    w: (input.w - c.kernel) / c.stride + 1,
                })
            }
            Layer::Dense(d) => {
                if input.len() != d.inputs {
                    return Err(Invalid::DenseInputs {
                        expected: d.inputs,
                        found: input.len(),
                    }
                    .into());
                }
                Ok(Shape {
                    c: d.outputs,
                    h: 1,
                    w: 1,
                })
            }
        }
    }

    /// Weights, biases and requantization of the layer, whatever its kind.
    pub fn parts(&self) -> (&[i64], &[i64], Option<Requant>) {
        match self {
            Layer::Conv2d(c) => (&c.weights, &c.bias, Some(c.requant)),
            Layer::Dense(d) => (&d.weights, &d.bias, d.requant),
        }
    }

    /// Number of multiply-accumulates for one image.
    pub fn macs(&self, input: Shape) -> Result<usize, ModelError> {
        let out = self.output_shape(input)?;
        Ok(match self {
            Layer::Conv2d(c) => out.len() * c.in_channels * c.kernel * c.kernel,
            Layer::Dense(d) => d.inputs * d.outputs,
        })
    }

    /// Short human-readable description, e.g. `conv2d 5x5/2 1->4`.
    pub fn describe(&self) -> String {
        match self {
            Layer::Conv2d(c) => format!(
                "conv2d {k}x{k}/{s} {i}->{o} + requant>>{sh} relu[0,{m}]",
                k = c.kernel,
                s = c.stride,
                i = c.in_channels,
                o = c.out_channels,
                sh = c.requant.shift,
                m = c.requant.max
            ),
            Layer::Dense(d) => match d.requant {
                Some(r) => format!(
                    "dense {}->{} + requant>>{} relu[0,{}]",
                    d.inputs, d.outputs, r.shift, r.max
                ),
                None => format!("dense {}->{} (logits)", d.inputs, d.outputs),
            },
        }
    }
}

impl ModelSpec {
    /// Builds a spec, filling in the content hash, and validates it.
    pub fn new(
        input: InputSpec,
        layers: Vec<Layer>,
        training: TrainingReport,
    ) -> Result<Self, ModelError> {
        let mut spec = ModelSpec {
            format: MODEL_FORMAT.to_string(),
            input,
            layers,
            training,
            content_hash: String::new(),
        };
        spec.content_hash = spec.compute_hash()?;
        spec.validate()?;
        Ok(spec)
    }

    /// Parses and validates a model from JSON text (format tag, hash, shapes, ranges).
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let spec: ModelSpec = serde_json::from_str(text)?;
        if spec.format != MODEL_FORMAT {
            return Err(ModelError::Format { found: spec.format });
        }
        let computed = spec.compute_hash()?;
        if computed != spec.content_hash {
            return Err(ModelError::Hash {
                stored: spec.content_hash,
                computed,
            });
        }
        spec.validate()?;
        Ok(spec)
    }

    /// Reads and validates a model file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// The model embedded in this build (`circuits/model.json` at compile time).
    pub fn embedded() -> Result<Self, ModelError> {
        Self::from_json(include_str!("../../../circuits/model.json"))
    }

    /// Pretty JSON, as committed.
    pub fn to_json(&self) -> Result<String, ModelError> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// `sha256:<hex>` of the compact JSON of the spec with an empty hash field.
    fn compute_hash(&self) -> Result<String, ModelError> {
        let mut copy = self.clone();
        copy.content_hash = String::new();
        let bytes = serde_json::to_vec(&copy)?;
        Ok(format!("sha256:{}", hex::encode(Sha256::digest(&bytes))))
    }

    /// Shapes of the input and of every layer's output, in order.
    pub fn shapes(&self) -> Result<Vec<Shape>, ModelError> {
        let mut shapes = vec![self.input.shape];
        for layer in &self.layers {
            let next = layer.output_shape(*shapes.last().unwrap_or(&self.input.shape))?;
            shapes.push(next);
        }
        Ok(shapes)
    }

    /// Total multiply-accumulates per image.
    pub fn macs(&self) -> Result<usize, ModelError> {
        let shapes = self.shapes()?;
        self.layers
            .iter()
            .zip(&shapes)
            .map(|(l, s)| l.macs(*s))
            .sum()
    }

    /// Total number of weights and biases.
    pub fn parameters(&self) -> usize {
        self.layers
            .iter()
            .map(|l| {
                let (w, b, _) = l.parts();
                w.len() + b.len()
            })
            .sum()
    }

    fn validate(&self) -> Result<(), ModelError> {
        let expected_input = Shape {
            c: 1,
            h: IMAGE_SIDE,
            w: IMAGE_SIDE,
        };
        if self.input.shape != expected_input {
            return Err(Invalid::InputShape {
                c: self.input.shape.c,
                h: self.input.shape.h,
                w: self.input.shape.w,
            }
            .into());
        }
        if self.layers.is_empty() {
            return Err(Invalid::NoLayers.into());
        }
        let shapes = self.shapes()?;
        for (i, (layer, input)) in self.layers.iter().zip(&shapes).enumerate() {
            let out = layer.output_shape(*input)?;
            let (weights, bias, requant) = layer.parts();
            let fan_in = match layer {
                Layer::Conv2d(c) => c.in_channels * c.kernel * c.kernel,
                Layer::Dense(d) => d.inputs,
            };
            if weights.len() != out.c * fan_in {
                return Err(Invalid::Count {
                    layer: i,
                    what: "weights",
                    found: weights.len(),
                    expected: out.c * fan_in,
                }
                .into());
            }
            if bias.len() != out.c {
                return Err(Invalid::Count {
                    layer: i,
                    what: "biases",
                    found: bias.len(),
                    expected: out.c,
                }
                .into());
            }
            if let Some(w) = weights.iter().find(|w| w.abs() > WEIGHT_MAX) {
                return Err(Invalid::Weight {
                    layer: i,
                    value: *w,
                }
                .into());
            }
            if let Some(b) = bias.iter().find(|b| b.abs() > 1 << 24) {
                return Err(Invalid::Bias {
                    layer: i,
                    value: *b,
                }
                .into());
            }
            let last = i + 1 == self.layers.len();
            match requant {
                Some(_) if last => {
                    return Err(Invalid::RequantizedLogits.into());
                }
                Some(r) if !(1..=24).contains(&r.shift) || !(1..=PIXEL_MAX).contains(&r.max) => {
                    return Err(Invalid::Requant {
                        layer: i,
                        shift: r.shift,
                        max: r.max,
                    }
                    .into());
                }
                None if !last => {
                    return Err(Invalid::NotRequantized { layer: i }.into());
                }
                _ => {}
            }
        }
        let logits = shapes[shapes.len() - 1];
        if logits.len() != CLASSES {
            return Err(Invalid::Logits {
                found: logits.len(),
            }
            .into());
        }
        Ok(())
    }
}

//! Data augmentation: small random affine warps (rotation, scale, shear, shift), elastic
//! distortion, stroke-width changes and low resolution, so the model also recognises hand-drawn
//! digits that MNIST's writers did not make.

use super::rng::Rng;
use std::sync::OnceLock;
use zkmnist_model::spec::{IMAGE_PIXELS, IMAGE_SIDE};

/// Ranges of the random warp.
#[derive(Clone, Copy, Debug)]
pub struct Augment {
    /// Largest rotation, radians.
    pub rotate: f32,
    /// Largest relative scale change.
    pub scale: f32,
    /// Largest shear factor.
    pub shear: f32,
    /// Largest shift, pixels.
    pub shift: f32,
    /// Probability of thickening or thinning the strokes.
    pub stroke: f32,
    /// Largest RMS displacement of the elastic distortion, pixels (0: none).
    pub elastic: f32,
    /// Probability of halving the resolution (2x2 averages, scaled back up).
    pub low_resolution: f32,
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            rotate: 12f32.to_radians(),
            scale: 0.12,
            shear: 0.15,
            shift: 2.0,
            stroke: 0.3,
            elastic: 0.0,
            low_resolution: 0.0,
        }
    }
}

impl Augment {
    /// A randomly warped copy of a 28x28 image with values in `[0, 1]`.
    pub fn apply(&self, img: &[f32], rng: &mut Rng) -> Vec<f32> {
        let angle = rng.uniform(-self.rotate, self.rotate);
        let sx = 1.0 + rng.uniform(-self.scale, self.scale);
        let sy = sx * (1.0 + rng.uniform(-self.scale, self.scale) * 0.5);
        let shear = rng.uniform(-self.shear, self.shear);
        let (tx, ty) = (
            rng.uniform(-self.shift, self.shift),
            rng.uniform(-self.shift, self.shift),
        );
        // Forward map: p' = R * Sh * S * (p - c) + c + t. We sample with its inverse.
        let (cos, sin) = (angle.cos(), angle.sin());
        let a = [
            [cos * sx, (cos * shear - sin) * sy],
            [sin * sx, (sin * shear + cos) * sy],
        ];
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        let inv = [
            [a[1][1] / det, -a[0][1] / det],
            [-a[1][0] / det, a[0][0] / det],
        ];
        let c = (IMAGE_SIDE as f32 - 1.0) / 2.0;
        // Random draws beyond the affine ones happen only when their feature is on, so the
        // default recipe's stream (and the committed model) stays as it was.
        let elastic = (self.elastic > 0.0).then(|| {
            let fields = elastic_fields();
            let field = &fields[rng.below(fields.len())];
            (field, rng.uniform(0.0, self.elastic))
        });
        let mut out = vec![0.0f32; IMAGE_PIXELS];
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let (dx, dy) = (x as f32 - c - tx, y as f32 - c - ty);
                let mut srcx = inv[0][0] * dx + inv[0][1] * dy + c;
                let mut srcy = inv[1][0] * dx + inv[1][1] * dy + c;
                if let Some((field, amp)) = elastic {
                    srcx += amp * field[0][y * IMAGE_SIDE + x];
                    srcy += amp * field[1][y * IMAGE_SIDE + x];
                }
                out[y * IMAGE_SIDE + x] = bilinear(img, IMAGE_SIDE, srcx, srcy);
            }
        }
        if rng.unit() < self.stroke {
            let thicken = rng.unit() < 0.5;
            let amount = rng.uniform(0.3, 0.8);
            out = morph(&out, thicken, amount);
        }
        if self.low_resolution > 0.0 && rng.unit() < self.low_resolution {
            out = halve_resolution(&out);
        }
        out
    }
}

/// Smooth random displacement fields (Simard et al. 2003: uniform noise under a Gaussian of
/// 4 pixels), each scaled to an RMS displacement of one pixel; the same bank for every seed.
fn elastic_fields() -> &'static [[Vec<f32>; 2]] {
    const FIELDS: usize = 256;
    const SIGMA: f32 = 4.0;
    static BANK: OnceLock<Vec<[Vec<f32>; 2]>> = OnceLock::new();
    BANK.get_or_init(|| {
        let radius = (3.0 * SIGMA) as isize;
        let kernel: Vec<f32> = (-radius..=radius)
            .map(|i| (-((i * i) as f32) / (2.0 * SIGMA * SIGMA)).exp())
            .collect();
        let n = IMAGE_SIDE as isize;
        let smooth = |noise: Vec<f32>| -> Vec<f32> {
            let mut pass = noise;
            for (sx, sy) in [(1, 0), (0, 1)] {
                let mut next = vec![0.0f32; IMAGE_PIXELS];
                for y in 0..n {
                    for x in 0..n {
                        let mut acc = 0.0;
                        for (k, w) in kernel.iter().enumerate() {
                            let d = k as isize - radius;
                            let (xx, yy) = (x + d * sx, y + d * sy);
                            if (0..n).contains(&xx) && (0..n).contains(&yy) {
                                acc += w * pass[(yy * n + xx) as usize];
                            }
                        }
                        next[(y * n + x) as usize] = acc;
                    }
                }
                pass = next;
            }
            pass
        };
        let mut rng = Rng::derived(0x00e1_a571_c000, &[]);
        (0..FIELDS)
            .map(|_| {
                let [dx, dy]: [Vec<f32>; 2] = std::array::from_fn(|_| {
                    smooth((0..IMAGE_PIXELS).map(|_| rng.uniform(-1.0, 1.0)).collect())
                });
                let rms = (dx.iter().chain(&dy).map(|v| v * v).sum::<f32>() / IMAGE_PIXELS as f32)
                    .sqrt()
                    .max(f32::MIN_POSITIVE);
                [
                    dx.iter().map(|v| v / rms).collect(),
                    dy.iter().map(|v| v / rms).collect(),
                ]
            })
            .collect()
    })
}

/// The image at half resolution (2x2 averages), sampled back up to 28x28 bilinearly.
fn halve_resolution(img: &[f32]) -> Vec<f32> {
    let half = IMAGE_SIDE / 2;
    let mut small = vec![0.0f32; half * half];
    for y in 0..half {
        for x in 0..half {
            let at = |dx: usize, dy: usize| img[(2 * y + dy) * IMAGE_SIDE + 2 * x + dx];
            small[y * half + x] = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4.0;
        }
    }
    let mut out = vec![0.0f32; IMAGE_PIXELS];
    for y in 0..IMAGE_SIDE {
        for x in 0..IMAGE_SIDE {
            // Pixel centre `x + 0.5` is `(x + 0.5) / 2 - 0.5` in the small image's coordinates.
            let (sx, sy) = ((x as f32 - 0.5) / 2.0, (y as f32 - 0.5) / 2.0);
            out[y * IMAGE_SIDE + x] = bilinear(&small, half, sx, sy);
        }
    }
    out
}

/// Bilinear sample of a `side` x `side` image; outside the image is 0.
fn bilinear(img: &[f32], side: usize, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let get = |xx: f32, yy: f32| -> f32 {
        if xx < 0.0 || yy < 0.0 || xx >= side as f32 || yy >= side as f32 {
            0.0
        } else {
            img[yy as usize * side + xx as usize]
        }
    };
    get(x0, y0) * (1.0 - fx) * (1.0 - fy)
        + get(x0 + 1.0, y0) * fx * (1.0 - fy)
        + get(x0, y0 + 1.0) * (1.0 - fx) * fy
        + get(x0 + 1.0, y0 + 1.0) * fx * fy
}

/// Grey-level dilation (thicken) or erosion (thin) over the 4-neighbourhood, blended by `amount`.
fn morph(img: &[f32], thicken: bool, amount: f32) -> Vec<f32> {
    let n = IMAGE_SIDE as isize;
    let at = |x: isize, y: isize| -> f32 {
        if x < 0 || y < 0 || x >= n || y >= n {
            0.0
        } else {
            img[(y * n + x) as usize]
        }
    };
    let mut out = vec![0.0f32; IMAGE_PIXELS];
    for y in 0..n {
        for x in 0..n {
            let around = [
                at(x - 1, y),
                at(x + 1, y),
                at(x, y - 1),
                at(x, y + 1),
                at(x, y),
            ];
            let v = at(x, y);
            let m = if thicken {
                around.iter().cloned().fold(0.0, f32::max)
            } else {
                around.iter().cloned().fold(1.0, f32::min)
            };
            out[(y * n + x) as usize] = v + (m - v) * amount;
        }
    }
    out
}

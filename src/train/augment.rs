//! Data augmentation: small random affine warps (rotation, scale, shear, shift) and stroke-width
//! changes, so the model also recognises hand-drawn digits that MNIST's writers did not make.

use super::rng::Rng;
use crate::model::spec::{IMAGE_PIXELS, IMAGE_SIDE};

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
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            rotate: 12f32.to_radians(),
            scale: 0.12,
            shear: 0.15,
            shift: 2.0,
            stroke: 0.3,
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
        let mut out = vec![0.0f32; IMAGE_PIXELS];
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let (dx, dy) = (x as f32 - c - tx, y as f32 - c - ty);
                let srcx = inv[0][0] * dx + inv[0][1] * dy + c;
                let srcy = inv[1][0] * dx + inv[1][1] * dy + c;
                out[y * IMAGE_SIDE + x] = bilinear(img, srcx, srcy);
            }
        }
        if rng.unit() < self.stroke {
            let thicken = rng.unit() < 0.5;
            let amount = rng.uniform(0.3, 0.8);
            out = morph(&out, thicken, amount);
        }
        out
    }
}

/// Bilinear sample of a 28x28 image; outside the image is 0.
fn bilinear(img: &[f32], x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let get = |xx: f32, yy: f32| -> f32 {
        if xx < 0.0 || yy < 0.0 || xx >= IMAGE_SIDE as f32 || yy >= IMAGE_SIDE as f32 {
            0.0
        } else {
            img[yy as usize * IMAGE_SIDE + xx as usize]
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

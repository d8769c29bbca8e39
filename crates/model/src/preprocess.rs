//! Any picture of a digit to the MNIST 28x28 format, the way MNIST itself was made:
//!
//! 1. grayscale (transparent pixels composited onto the paper, see [`from_rgba`]);
//! 2. background = median of the border pixels; ink = distance from it, so dark-on-light and
//!    light-on-dark both work; contrast stretched so the strongest ink is 255, faint noise
//!    (below 10 %) dropped;
//! 3. crop to the ink's bounding box;
//! 4. scale so the longer side of the strokes' outline (ink >= 50 %, the bilevel strokes MNIST
//!    boxed) is 20 px, keeping the aspect ratio, with an anti-aliasing filter;
//! 5. paste into 28x28 so that the centre of mass lands on pixel (14, 14), where MNIST's is
//!    (integer shift).
//!
//! A picture without ink is an error, never a guess. The CLI and the browser (through wasm)
//! share this code, so both see exactly the same 784 bytes.

use crate::spec::{IMAGE_PIXELS, IMAGE_SIDE};
use image::{ImageBuffer, Luma, imageops};

/// Longer side of the digit's box inside the 28x28 field (MNIST: 20).
pub(crate) const BOX_SIDE: usize = 20;
/// Largest picture accepted, in pixels per side.
pub(crate) const MAX_SIDE: u32 = 8192;
/// Largest picture decoded, in pixels (a 16-megapixel photo): with the decoder's own
/// allocation cap below, decoding any file costs at most about 256 MB.
pub(crate) const MAX_PIXELS: u64 = 16 << 20;
/// Most memory the image decoder may allocate.
pub(crate) const MAX_DECODER_ALLOC: u64 = 128 << 20;
/// Largest picture file read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Smallest ink contrast (0..255) that counts as a drawing rather than an empty page.
pub(crate) const MIN_CONTRAST: f32 = 32.0;
/// Ink below this fraction of the strongest ink is treated as background noise.
const NOISE_FLOOR: f32 = 0.1;
/// Ink at or above this level (0..255) is inside the strokes' outline.
const CORE_INK: f32 = 127.0;

/// Why a picture could not be turned into a digit image.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum PreprocessError {
    /// The bytes are not a PNG or JPEG image this build can decode.
    #[error("cannot decode image: {0} (expected a PNG or JPEG file)")]
    Decode(String),
    /// A raw buffer's length does not match its stated size.
    #[error("RGBA buffer has {got} bytes, expected {expected} for {width}x{height}")]
    BufferSize {
        /// Stated width.
        width: u32,
        /// Stated height.
        height: u32,
        /// Bytes given.
        got: usize,
        /// Bytes expected (width * height * 4).
        expected: usize,
    },
    /// The file ends before the picture does.
    #[error("the {0} file is truncated: it ends before the image data does")]
    Truncated(&'static str),
    /// The picture has more pixels than this build decodes.
    #[error(
        "image is {width}x{height} = {pixels} pixels; at most {MAX_PIXELS} pixels (16 megapixels, about 256 MB to decode) are accepted"
    )]
    TooManyPixels {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// width * height.
        pixels: u64,
    },
    /// The picture is empty or too large.
    #[error("image is {width}x{height}; expected 1x1 up to {MAX_SIDE}x{MAX_SIDE} pixels")]
    Size {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// Nothing is drawn.
    #[error(
        "the image is empty: no strokes stand out from the background (contrast {contrast:.0} of 255, need {MIN_CONTRAST:.0})"
    )]
    Empty {
        /// Strongest ink contrast found.
        contrast: u32,
    },
}

/// Decodes a PNG or JPEG file's bytes and preprocesses it.
///
/// The file's orientation (JPEG EXIF, PNG eXIf) is applied, as a photo viewer would: a phone
/// photo of a digit is read upright. Truncated files are refused rather than decoded with a
/// grey or missing part, and the decoder's memory is capped ([`MAX_PIXELS`],
/// [`MAX_DECODER_ALLOC`]).
pub fn from_image_bytes(bytes: &[u8]) -> Result<[u8; IMAGE_PIXELS], PreprocessError> {
    use image::ImageDecoder;
    let decode = |e: image::ImageError| PreprocessError::Decode(e.to_string());
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreprocessError::Decode(e.to_string()))?;
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        return Err(PreprocessError::Truncated("JPEG"));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_SIDE || height > MAX_SIDE || width == 0 || height == 0 {
        return Err(PreprocessError::Size { width, height });
    }
    if pixels > MAX_PIXELS {
        return Err(PreprocessError::TooManyPixels {
            width,
            height,
            pixels,
        });
    }
    let orientation = decoder.orientation().map_err(decode)?;
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(decode)?;
    img.apply_orientation(orientation);
    let img = img.into_rgba8();
    from_rgba(img.width(), img.height(), img.as_raw())
}

/// Whether a JPEG's marker structure runs from SOI to EOI within the bytes: segments are
/// skipped by their lengths (so a thumbnail inside EXIF does not count), entropy-coded data
/// is scanned to its next marker. JPEG decoders fill a truncated scan with grey silently.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    if bytes.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return false;
    }
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            return false;
        };
        at += 2;
        match marker {
            0xD9 => return true,
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return false;
        };
        if len < 2 {
            return false;
        }
        at += len;
        if at > bytes.len() {
            return false;
        }
        if marker == 0xDA {
            // Entropy-coded data: runs to the next marker other than a stuffed 0xFF00 or a
            // restart marker.
            loop {
                match (bytes.get(at), bytes.get(at + 1)) {
                    (Some(0xFF), Some(0x00 | 0xD0..=0xD7 | 0xFF)) => at += 1,
                    (Some(0xFF), Some(_)) => break,
                    (Some(_), _) => at += 1,
                    (None, _) => return false,
                }
            }
        }
    }
}

/// Preprocesses a raw RGBA buffer (for example a canvas's `ImageData`).
///
/// Where pixels are transparent, the strokes are taken to be the opaque pixels: transparent
/// areas become paper of the opposite shade to the strokes, so both a black pen on a
/// transparent canvas and a white pen on one work.
pub fn from_rgba(
    width: u32,
    height: u32,
    rgba: &[u8],
) -> Result<[u8; IMAGE_PIXELS], PreprocessError> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(PreprocessError::Size { width, height });
    }
    let expected = width as usize * height as usize * 4;
    if rgba.len() != expected {
        return Err(PreprocessError::BufferSize {
            width,
            height,
            got: rgba.len(),
            expected,
        });
    }
    let luma =
        |p: &[u8]| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
    let mut opaque_sum = 0.0f64;
    let mut opaque_n = 0usize;
    let mut any_transparent = false;
    for p in rgba.chunks_exact(4) {
        if p[3] < 255 {
            any_transparent = true;
        }
        if p[3] >= 128 {
            opaque_sum += f64::from(luma(p));
            opaque_n += 1;
        }
    }
    let paper = if opaque_n > 0 && opaque_sum / (opaque_n as f64) < 128.0 {
        255.0
    } else {
        0.0
    };
    let gray: Vec<f32> = rgba
        .chunks_exact(4)
        .map(|p| {
            if any_transparent {
                let a = f32::from(p[3]) / 255.0;
                a * luma(p) + (1.0 - a) * paper
            } else {
                luma(p)
            }
        })
        .collect();
    from_gray(width as usize, height as usize, &gray)
}

/// Preprocesses a grayscale picture with values in `0..=255` (any polarity); `gray` holds
/// `width * height` values, as [`from_rgba`] guarantees.
fn from_gray(
    width: usize,
    height: usize,
    gray: &[f32],
) -> Result<[u8; IMAGE_PIXELS], PreprocessError> {
    let ink = ink_map(width, height, gray)?;
    // MNIST boxed the bilevel strokes, whose edge is the 50 % line of anti-aliased ink: scale so
    // that box becomes 20 px, but keep the fainter ink around it.
    let empty = PreprocessError::Empty { contrast: 0 };
    let (cx0, cy0, cx1, cy1) = bounding_box(width, height, &ink, CORE_INK).ok_or(empty.clone())?;
    let (x0, y0, x1, y1) = bounding_box(width, height, &ink, 0.0).ok_or(empty)?;
    let scale = BOX_SIDE as f32 / (cx1 - cx0 + 1).max(cy1 - cy0 + 1) as f32;
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    // The image crate clamps float pixels to [0, 1] when resizing, so resample ink / 255.
    let crop: ImageBuffer<Luma<f32>, Vec<f32>> =
        ImageBuffer::from_fn(bw as u32, bh as u32, |x, y| {
            Luma([ink[(y0 + y as usize) * width + x0 + x as usize] / 255.0])
        });
    let nw = ((bw as f32 * scale).round() as u32).max(1);
    let nh = ((bh as f32 * scale).round() as u32).max(1);
    let scaled = imageops::resize(&crop, nw, nh, imageops::FilterType::Triangle);
    Ok(center_of_mass_paste(&scaled))
}

/// Ink strength per pixel in `0..=255`, or `Empty` when there is too little contrast.
fn ink_map(width: usize, height: usize, gray: &[f32]) -> Result<Vec<f32>, PreprocessError> {
    let mut border: Vec<f32> = Vec::with_capacity(2 * (width + height));
    for x in 0..width {
        border.push(gray[x]);
        border.push(gray[(height - 1) * width + x]);
    }
    for y in 0..height {
        border.push(gray[y * width]);
        border.push(gray[y * width + width - 1]);
    }
    border.sort_by(f32::total_cmp);
    let background = border[border.len() / 2];
    let dark_ink = background > 127.5;
    let raw: Vec<f32> = gray
        .iter()
        .map(|&g| {
            if dark_ink {
                background - g
            } else {
                g - background
            }
            .max(0.0)
        })
        .collect();
    let strongest = raw.iter().cloned().fold(0.0f32, f32::max);
    if strongest < MIN_CONTRAST {
        return Err(PreprocessError::Empty {
            contrast: strongest.round() as u32,
        });
    }
    let gain = 255.0 / strongest;
    Ok(raw
        .into_iter()
        .map(|v| {
            let s = v * gain;
            if s < NOISE_FLOOR * 255.0 { 0.0 } else { s }
        })
        .collect())
}

/// Inclusive box `(x0, y0, x1, y1)` of the pixels with ink above `threshold`.
fn bounding_box(
    width: usize,
    height: usize,
    ink: &[f32],
    threshold: f32,
) -> Option<(usize, usize, usize, usize)> {
    let mut bb: Option<(usize, usize, usize, usize)> = None;
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > threshold {
                bb = Some(match bb {
                    None => (x, y, x, y),
                    Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
                });
            }
        }
    }
    bb
}

/// Pastes the scaled digit (ink in `[0, 1]`) into 28x28 with its centre of mass on the field's
/// centre.
fn center_of_mass_paste(digit: &ImageBuffer<Luma<f32>, Vec<f32>>) -> [u8; IMAGE_PIXELS] {
    let (mut sum, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y, p) in digit.enumerate_pixels() {
        let v = f64::from(p.0[0].max(0.0));
        sum += v;
        sx += v * f64::from(x);
        sy += v * f64::from(y);
    }
    // MNIST's digits have their centre of mass at pixel index (14, 14) (measured over the data).
    let centre = IMAGE_SIDE as f64 / 2.0;
    let (cx, cy) = if sum > 0.0 {
        (sx / sum, sy / sum)
    } else {
        (
            f64::from(digit.width()) / 2.0,
            f64::from(digit.height()) / 2.0,
        )
    };
    // MNIST never cut a digit: its boxes stay whole inside the field (the 723 training digits
    // that touch its bottom row are 20 px tall with nothing lost). A digit whose mass sits high
    // (a 7's bar) would be pushed out at the bottom by the centre of mass alone, so the shift
    // is clamped to keep every inked pixel inside, as close to the centre as that allows.
    let side = IMAGE_SIDE as i64;
    let (ox, oy) = (
        keep_inside((centre - cx).round() as i64, ink_span(digit, true), side),
        keep_inside((centre - cy).round() as i64, ink_span(digit, false), side),
    );
    let mut out = [0u8; IMAGE_PIXELS];
    for (x, y, p) in digit.enumerate_pixels() {
        let (tx, ty) = (i64::from(x) + ox, i64::from(y) + oy);
        if (0..IMAGE_SIDE as i64).contains(&tx) && (0..IMAGE_SIDE as i64).contains(&ty) {
            out[ty as usize * IMAGE_SIDE + tx as usize] =
                (p.0[0] * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// First and last column (`columns`) or row holding ink that survives rounding to a byte.
fn ink_span(digit: &ImageBuffer<Luma<f32>, Vec<f32>>, columns: bool) -> Option<(i64, i64)> {
    let mut span: Option<(i64, i64)> = None;
    for (x, y, p) in digit.enumerate_pixels() {
        if (p.0[0] * 255.0).round() >= 1.0 {
            let at = i64::from(if columns { x } else { y });
            span = Some(span.map_or((at, at), |(a, b)| (a.min(at), b.max(at))));
        }
    }
    span
}

/// The shift nearest `offset` that puts the inked `span` inside `0..side` (when it fits).
fn keep_inside(offset: i64, span: Option<(i64, i64)>, side: i64) -> i64 {
    match span {
        Some((first, last)) if last - first < side => offset.clamp(-first, side - 1 - last),
        _ => offset,
    }
}

/// Strong ink (at least half of full ink) covers at most this fraction of any MNIST training
/// digit's 28x28 field (measured: the largest of the 60,000 is 39.8 %, the median 12.9 %).
pub(crate) const MAX_STRONG_INK: f64 = 0.40;

/// A 28x28 image the model would classify, but that no MNIST digit resembles: the page refuses
/// to prove it rather than report what the model "sees" in a blot.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error(
    "this does not look like a digit: ink covers {:.0} % of the image, and no MNIST digit has more than {:.0} %",
    100.0 * strong_ink, 100.0 * MAX_STRONG_INK
)]
pub struct NotADigit {
    /// The fraction of pixels with strong ink (>= 128).
    pub strong_ink: f64,
}

/// Checks that a preprocessed image could be a handwritten digit: at most [`MAX_STRONG_INK`]
/// of it strongly inked. (The model classifies anything; a canvas filled with ink reads as a
/// confident 7.)
pub fn check_digit_like(pixels: &[u8; IMAGE_PIXELS]) -> Result<(), NotADigit> {
    let strong = pixels.iter().filter(|&&p| p >= 128).count();
    let strong_ink = strong as f64 / IMAGE_PIXELS as f64;
    if strong_ink > MAX_STRONG_INK {
        Err(NotADigit { strong_ink })
    } else {
        Ok(())
    }
}

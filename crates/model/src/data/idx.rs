//! The MNIST IDX file format (`*-images-idx3-ubyte`, `*-labels-idx1-ubyte`), raw or gzip.
//!
//! Layout: two zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then each
//! dimension as a big-endian u32, then the data. Images are `n x 28 x 28`, labels `n`.

use super::{DataError, Dataset};
use crate::spec::{IMAGE_PIXELS, IMAGE_SIDE};
use flate2::read::GzDecoder;
use std::io::{BufReader, Read};
use std::path::Path;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const TYPE_U8: u8 = 0x08;
/// Most items (images or labels) one file may declare: 250,000 images are 196 MB, and every
/// MNIST-style set is smaller (MNIST 60,000; EMNIST digits 240,000). The header is checked
/// against this and the image shape before any data is read, so a small gzip file cannot
/// make the reader allocate what its header claims.
pub const MAX_ITEMS: usize = 250_000;

/// Reads an images file and a labels file into a dataset, checking they belong together.
pub fn read_pair(images: &Path, labels: &Path) -> Result<Dataset, DataError> {
    let (lbl_dims, lbl_data) = read_file(labels, 1)?;
    let (img_dims, img_data) = read_file(images, 3)?;
    if img_dims[0] != lbl_dims[0] {
        return Err(DataError::Mismatch(format!(
            "{} holds {} images but {} holds {} labels",
            images.display(),
            img_dims[0],
            labels.display(),
            lbl_dims[0]
        )));
    }
    if let Some((i, l)) = lbl_data.iter().enumerate().find(|(_, l)| **l > 9) {
        return Err(DataError::Idx {
            path: labels.display().to_string(),
            reason: format!("label {i} is {l}, expected a digit 0..9"),
        });
    }
    let images = img_data
        .chunks_exact(IMAGE_PIXELS)
        .map(|c| {
            let mut a = [0u8; IMAGE_PIXELS];
            a.copy_from_slice(c);
            a
        })
        .collect();
    Ok(Dataset {
        images,
        labels: lbl_data,
    })
}

/// Reads one IDX file of unsigned bytes with `ndims` dimensions; returns the dimensions and data.
pub fn read_file(path: &Path, ndims: usize) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut head = [0u8; 2];
    let got = read_fully(&mut reader, &mut head).map_err(|source| DataError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let chained = std::io::Cursor::new(head[..got].to_vec()).chain(reader);
    let stream: Box<dyn Read> = if got == 2 && head == GZIP_MAGIC {
        Box::new(GzDecoder::new(chained))
    } else {
        Box::new(chained)
    };
    parse(stream, ndims).map_err(|reason| DataError::Idx {
        path: path.display().to_string(),
        reason,
    })
}

/// Parses an IDX stream; the error is a human-readable reason.
fn parse(mut stream: impl Read, ndims: usize) -> Result<(Vec<usize>, Vec<u8>), String> {
    let mut magic = [0u8; 4];
    let got = read_fully(&mut stream, &mut magic).map_err(io_reason)?;
    if got < 4 {
        return Err(format!(
            "file is {got} bytes long, too short for an IDX header"
        ));
    }
    let expected_magic = [0, 0, TYPE_U8, ndims as u8];
    if magic != expected_magic {
        return Err(format!(
            "bad magic number 0x{}, expected 0x{} ({})",
            hex::encode(magic),
            hex::encode(expected_magic),
            if ndims == 3 {
                "an idx3-ubyte images file"
            } else {
                "an idx1-ubyte labels file"
            }
        ));
    }
    let mut dims = Vec::with_capacity(ndims);
    for d in 0..ndims {
        let mut b = [0u8; 4];
        if read_fully(&mut stream, &mut b).map_err(io_reason)? < 4 {
            return Err(format!("header truncated in dimension {d}"));
        }
        dims.push(u32::from_be_bytes(b) as usize);
    }
    // The header is checked before any data is read: memory is bounded by what it promises.
    if dims[0] > MAX_ITEMS {
        return Err(format!(
            "header declares {} items; at most {MAX_ITEMS} are read",
            dims[0]
        ));
    }
    if ndims == 3 && (dims[1] != IMAGE_SIDE || dims[2] != IMAGE_SIDE) {
        return Err(format!(
            "images are {}x{}, expected {IMAGE_SIDE}x{IMAGE_SIDE}",
            dims[1], dims[2]
        ));
    }
    let expected: usize = dims.iter().product();
    // `take` makes memory grow with the bytes actually present, not with the claimed size.
    let mut data = Vec::new();
    (&mut stream)
        .take(expected as u64)
        .read_to_end(&mut data)
        .map_err(io_reason)?;
    if data.len() < expected {
        return Err(format!(
            "truncated: header promises {expected} data bytes ({dims:?}), file has {}",
            data.len()
        ));
    }
    let mut extra = [0u8; 1];
    if read_fully(&mut stream, &mut extra).map_err(io_reason)? > 0 {
        return Err(format!(
            "trailing bytes after the {expected} data bytes the header promises"
        ));
    }
    Ok((dims, data))
}

fn io_reason(e: std::io::Error) -> String {
    format!("read error: {e} (corrupt gzip stream?)")
}

/// Like `read_exact`, but returns how many bytes were read before end of file.
fn read_fully(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Writes a dataset as an uncompressed IDX pair.
pub fn write_pair(ds: &Dataset, images: &Path, labels: &Path) -> Result<(), DataError> {
    let n = (ds.images.len() as u32).to_be_bytes();
    let side = (IMAGE_SIDE as u32).to_be_bytes();
    let mut img = vec![0, 0, TYPE_U8, 3];
    img.extend_from_slice(&n);
    img.extend_from_slice(&side);
    img.extend_from_slice(&side);
    for i in &ds.images {
        img.extend_from_slice(i);
    }
    let mut lbl = vec![0, 0, TYPE_U8, 1];
    lbl.extend_from_slice(&n);
    lbl.extend_from_slice(&ds.labels);
    for (path, bytes) in [(images, img), (labels, lbl)] {
        crate::files::write_atomic(path, &bytes, crate::files::Access::Public).map_err(
            |source| DataError::Io {
                path: path.display().to_string(),
                source,
            },
        )?;
    }
    Ok(())
}

//! IDX parsing: good files (raw and gzip) and every kind of corrupt file.

use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::{Path, PathBuf};
use zkmnist::data::{DataError, Dataset, idx};

fn sample() -> Dataset {
    let mut a = [0u8; 784];
    a[0] = 7;
    a[783] = 255;
    let mut b = [0u8; 784];
    b[400] = 128;
    Dataset {
        images: vec![a, b],
        labels: vec![3, 9],
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Writes the sample pair and returns (images bytes, labels bytes).
fn sample_bytes(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let (i, l) = (dir.join("s-images"), dir.join("s-labels"));
    idx::write_pair(&sample(), &i, &l).unwrap();
    (std::fs::read(i).unwrap(), std::fs::read(l).unwrap())
}

fn reason(err: DataError) -> String {
    err.to_string()
}

#[test]
fn raw_and_gzip_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (img, lbl) = sample_bytes(dir.path());
    assert_eq!(&img[..4], &[0, 0, 8, 3]);
    assert_eq!(&lbl[..4], &[0, 0, 8, 1]);
    let raw = idx::read_pair(&write(dir.path(), "i", &img), &write(dir.path(), "l", &lbl)).unwrap();
    assert_eq!(raw, sample());
    let gz = idx::read_pair(
        &write(dir.path(), "i.gz", &gzip(&img)),
        &write(dir.path(), "l.gz", &gzip(&lbl)),
    )
    .unwrap();
    assert_eq!(gz, sample());
}

#[test]
fn rejects_bad_files_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let (img, lbl) = sample_bytes(dir.path());
    let good_lbl = write(dir.path(), "good-l", &lbl);
    let good_img = write(dir.path(), "good-i", &img);
    let check_img = |name: &str, bytes: &[u8], expect: &str| {
        let p = write(dir.path(), name, bytes);
        let e = reason(idx::read_pair(&p, &good_lbl).unwrap_err());
        assert!(
            e.contains(expect),
            "{name}: {e:?} does not mention {expect:?}"
        );
    };
    check_img("empty", &[], "too short");
    check_img("labels-as-images", &lbl, "bad magic number 0x00000801");
    let mut signed = img.clone();
    signed[2] = 0x09;
    check_img("signed", &signed, "bad magic");
    check_img("short-header", &img[..9], "header truncated");
    check_img("truncated", &img[..img.len() - 1], "truncated");
    let mut long = img.clone();
    long.push(0);
    check_img("trailing", &long, "trailing bytes");
    let mut gz = gzip(&img);
    let n = gz.len();
    gz.truncate(n - 12);
    check_img("bad-gzip", &gz, "read error");
    // A well-formed IDX file of 2 images of 27x28 pixels.
    let mut wrong_side = img[..16].to_vec();
    wrong_side[11] = 27;
    wrong_side.extend(std::iter::repeat_n(0u8, 2 * 27 * 28));
    check_img("27-side", &wrong_side, "images are 27x28, expected 28x28");
    // Counts that disagree between images and labels.
    let mut one_label = lbl[..9].to_vec();
    one_label[7] = 1;
    let e = reason(idx::read_pair(&good_img, &write(dir.path(), "one", &one_label)).unwrap_err());
    assert!(e.contains("2 images but") && e.contains("1 labels"), "{e}");
    // A label that is not a digit.
    let mut bad_label = lbl.clone();
    bad_label[9] = 10;
    let e = reason(idx::read_pair(&good_img, &write(dir.path(), "ten", &bad_label)).unwrap_err());
    assert!(e.contains("label 1 is 10"), "{e}");
    // A missing file names the path.
    let e = reason(idx::read_pair(&dir.path().join("nope"), &good_lbl).unwrap_err());
    assert!(e.contains("nope"), "{e}");
}

#[test]
fn huge_claimed_size_does_not_allocate_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut hdr = vec![0, 0, 8, 3];
    hdr.extend_from_slice(&u32::MAX.to_be_bytes());
    hdr.extend_from_slice(&28u32.to_be_bytes());
    hdr.extend_from_slice(&28u32.to_be_bytes());
    hdr.extend_from_slice(&[1, 2, 3]);
    let e = idx::read_file(&write(dir.path(), "huge", &hdr), 3).unwrap_err();
    assert!(e.to_string().contains("at most 250000 are read"), "{e}");
}

/// The header is checked before any data is read: a small gzip stream of a header that
/// promises too much, or the wrong image shape, is refused by its header, not after
/// inflating what follows it.
#[test]
fn headers_are_checked_before_the_data_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let header = |n: u32, side: u32| {
        let mut h = vec![0, 0, 8, 3];
        for v in [n, side, 28] {
            h.extend_from_slice(&v.to_be_bytes());
        }
        h
    };
    // 300,000 images would be 235 MB; 10 MB of zeros follow (about 10 KB of gzip).
    let mut bomb = header(300_000, 28);
    bomb.resize(bomb.len() + (10 << 20), 0);
    let path = write(dir.path(), "bomb.gz", &gzip(&bomb));
    assert!(std::fs::metadata(&path).unwrap().len() < 100_000);
    let e = idx::read_file(&path, 3).unwrap_err().to_string();
    assert!(e.contains("header declares 300000 items"), "{e}");
    let mut wrong = header(1_000, 27);
    wrong.resize(wrong.len() + 1_000 * 27 * 28, 0);
    let e = idx::read_file(&write(dir.path(), "27.gz", &gzip(&wrong)), 3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("images are 27x28"), "{e}");
}

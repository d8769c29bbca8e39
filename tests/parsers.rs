//! Property tests of every parser of outside input: proof and opening files, the keys manifest
//! and key files, `params.bin`, IDX (raw and gzip), `.ptau` and pictures. For arbitrary bytes
//! and for mutations of valid files: no panic, a clear error (non-empty, naming the kind of
//! file or field) for every rejection, and memory bounded by what a valid file of the kind
//! needs (measured by a counting allocator, not assumed).

use crate::common;

use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use zkmnist::data::idx;
use zkmnist::preprocess;
use zkmnist::proof_file::{OpeningFile, ProofFile};
use zkmnist::prover::{self, keys};

/// Counts live heap bytes and their peak, so each property can bound its parser's memory.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded to the system allocator with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Memory measurements need the process to themselves: one property at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f` and returns its result and the peak heap growth it caused, in bytes.
fn peak_growth<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

const MB: usize = 1 << 20;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid file's bytes with up to eight random edits: flips, truncation, insertions.
fn mutated(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len();
    (
        prop::collection::vec((0..len.max(1), any::<u8>(), 0..3u8), 0..8),
        prop::option::of(0..len.max(1)),
    )
        .prop_map(move |(edits, cut)| {
            let mut b = valid.clone();
            for (at, v, kind) in edits {
                let at = at.min(b.len().saturating_sub(1));
                match kind {
                    0 if !b.is_empty() => b[at] ^= v | 1,
                    1 => b.insert(at, v),
                    _ if !b.is_empty() => {
                        b.remove(at);
                    }
                    _ => {}
                }
            }
            if let Some(c) = cut {
                b.truncate(c.max(1));
            }
            b
        })
}

/// A well-formed proof file (its proof bytes are not a valid proof: parsing is what is tested).
fn valid_proof() -> String {
    use halo2curves::bn256::Fr;
    let inputs = zkmnist::statement::PublicInputs {
        image_commitment: Fr::from(12345u64),
        digit: 7,
        context: Fr::from(99u64),
    };
    let proof: Vec<u8> = (0..2976u32).map(|i| (i * 31 % 251) as u8).collect();
    let file = ProofFile::new(
        format!("0x{}", "ab".repeat(32)),
        prover::DEV_SETUP.into(),
        &inputs,
        &proof,
    );
    serde_json::to_string_pretty(&file).unwrap()
}

/// A well-formed `keys.json` (its hashes match no files).
fn valid_manifest() -> Vec<u8> {
    let files = ["params.bin", "vk.bin", "pk.bin"]
        .iter()
        .map(|f| (f.to_string(), "00".repeat(32)))
        .collect();
    let m = keys::KeysManifest {
        format: keys::KEYS_FORMAT.into(),
        setup: prover::DEV_SETUP.into(),
        k: 12,
        vk_digest: format!("0x{}", "cd".repeat(32)),
        model: common::circuit().spec().content_hash.clone(),
        files,
    };
    serde_json::to_vec_pretty(&m).unwrap()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn proof_files_never_panic(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..4096),
        mutated(valid_proof().into_bytes()),
    ]) {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&bytes);
        let (r, peak) = peak_growth(|| ProofFile::parse(&text));
        if let Err(e) = r {
            prop_assert!(!e.to_string().is_empty());
        }
        prop_assert!(peak < 4 * MB, "{peak} bytes for a {}-byte file", bytes.len());
    }

    #[test]
    fn opening_files_never_panic(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..4096),
        mutated(serde_json::to_vec(&OpeningFile::new(
            &[7u8; 784],
            5u64.into(),
            zkmnist::commitment::commit(&[7u8; 784], 5u64.into()),
        )).unwrap()),
    ]) {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&bytes);
        let (r, peak) = peak_growth(|| OpeningFile::parse(&text));
        if let Err(e) = r {
            prop_assert!(!e.to_string().is_empty());
        }
        prop_assert!(peak < 4 * MB, "{peak} bytes");
    }
}

/// A proof or opening file far larger than any valid one is refused before it is parsed.
#[test]
fn huge_proof_and_opening_texts_are_refused_unparsed() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let huge = format!("{{\"pad\": \"{}\"}}", "a".repeat(50 * MB));
    let (r, peak) = peak_growth(|| ProofFile::parse(&huge));
    assert!(r.unwrap_err().to_string().contains("refused"));
    assert!(peak < MB, "{peak} bytes");
    let (r, _) = peak_growth(|| OpeningFile::parse(&huge));
    assert!(r.unwrap_err().to_string().contains("refused"));
}

proptest! {
    #![proptest_config(config(64))]

    /// keys.json and the key files as the page fetches them (any bytes): the manifest, the
    /// hashes, the params header and the compact key's structure are checked before anything
    /// large is allocated.
    #[test]
    fn key_files_never_panic(
        manifest in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            mutated(valid_manifest()),
        ],
        params in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let circuit = common::circuit();
        let files: [(&str, &[u8]); 4] =
            [("keys.json", &manifest), ("params.bin", &params), ("vk.bin", &params), ("pk.bin", &params)];
        let src = keys::KeyBytes { origin: "prop", files: &files };
        let (r, peak) = peak_growth(|| keys::load_verifier_from(&src, &circuit).err());
        let e = r.expect("random key files must not load");
        prop_assert!(!e.to_string().is_empty());
        prop_assert!(peak < 8 * MB, "{peak} bytes");
    }

    /// `params.bin` as halo2 writes it: a crafted header (any k) cannot make the reader
    /// allocate 2^k points or shift past 64 bits.
    #[test]
    fn params_headers_never_panic(
        k in any::<u32>(),
        rest in prop::collection::vec(any::<u8>(), 0..1024),
    ) {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let mut bytes = k.to_le_bytes().to_vec();
        bytes.extend(rest);
        let (r, peak) = peak_growth(|| prover::read_params_bytes(&bytes, "params.bin").err());
        prop_assert!(r.is_some());
        prop_assert!(peak < MB, "{peak} bytes for k = {k}");
    }

    /// IDX images and labels, raw and gzip, with any header.
    #[test]
    fn idx_files_never_panic(
        header in prop::collection::vec(any::<u8>(), 0..20),
        dims in prop::collection::vec(any::<u32>(), 0..4),
        data in prop::collection::vec(any::<u8>(), 0..3000),
        gzip in any::<bool>(),
        ndims in prop_oneof![Just(1usize), Just(3usize)],
    ) {
        use std::io::Write;
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let mut bytes = header;
        if bytes.len() >= 4 && dims.len() == ndims {
            bytes.truncate(4);
            bytes[..4].copy_from_slice(&[0, 0, 8, ndims as u8]);
            for d in &dims {
                bytes.extend(d.to_be_bytes());
            }
        }
        bytes.extend(data);
        if gzip {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&bytes).unwrap();
            bytes = e.finish().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, &bytes).unwrap();
        let (r, peak) = peak_growth(|| idx::read_file(&path, ndims));
        if let Err(e) = r {
            prop_assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
        }
        prop_assert!(peak < 4 * MB, "{peak} bytes");
    }

    /// A gzip stream of zeros behind a header promising the largest allowed set: memory
    /// follows the bytes present, and the header is refused first when it promises more.
    #[test]
    fn idx_gzip_headers_bound_memory(n in 200_000u32..2_000_000, side in 27u32..30) {
        use std::io::Write;
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let mut bytes = vec![0, 0, 8, 3];
        for d in [n, side, 28] {
            bytes.extend(d.to_be_bytes());
        }
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&bytes).unwrap();
        e.write_all(&vec![0u8; 4 * MB]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.gz");
        std::fs::write(&path, e.finish().unwrap()).unwrap();
        let (r, peak) = peak_growth(|| idx::read_file(&path, 3));
        let msg = r.unwrap_err().to_string();
        if n as usize > idx::MAX_ITEMS || side != 28 {
            prop_assert!(peak < MB, "{peak} bytes before refusing the header: {msg}");
        } else {
            prop_assert!(msg.contains("truncated"), "{msg}");
            prop_assert!(peak < 16 * MB, "{peak} bytes for 4 MB of data");
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// `.ptau` files: the real 2^8 ceremony file with random edits, and random headers.
    #[test]
    fn ptau_files_never_panic(
        bytes in mutated(std::fs::read(common::root().join(".cache/ptau/8.ptau"))
            .expect("run scripts/fetch-ptau.sh first")),
        k in 0u32..40,
    ) {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (r, peak) = peak_growth(|| zkmnist::prover::srs::import(&bytes, k));
        if let Err(e) = r {
            let msg = e.to_string();
            prop_assert!(msg.contains(".ptau") || msg.contains("k = "), "{msg}");
        }
        prop_assert!(peak < 16 * MB, "{peak} bytes");
    }

    /// Pictures: the fixtures as PNG and as JPEG with random edits; decoding stays within the
    /// decoder's cap and every rejection says what was wrong.
    #[test]
    fn pictures_never_panic(
        png in mutated(std::fs::read(common::fixture(5)).unwrap()),
        jpeg in mutated(jpeg_fixture()),
    ) {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        for bytes in [&png, &jpeg] {
            let (r, peak) = peak_growth(|| preprocess::from_image_bytes(bytes));
            if let Err(e) = r {
                prop_assert!(!e.to_string().is_empty());
            }
            prop_assert!(peak < 300 * MB, "{peak} bytes");
        }
    }
}

fn jpeg_fixture() -> Vec<u8> {
    let img = image::open(common::fixture(5)).unwrap().to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

/// The allocator does count: the bounds above would otherwise hold vacuously.
#[test]
fn the_counting_allocator_sees_allocations() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (v, peak) = peak_growth(|| vec![1u8; 10 * MB]);
    assert!(peak >= 10 * MB, "{peak}");
    drop(v);
}

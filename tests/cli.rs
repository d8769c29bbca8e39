//! The command line: outputs on good input, one clear line and a non-zero exit on bad input.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn zkmnist(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkmnist"))
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("run zkmnist")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure is exactly one `error: ...` line, the last on stderr (progress lines of steps
/// before it may precede it), and exit code 1, never a panic.
fn assert_clean_failure(o: &Output, expect: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("error: ")).count(),
        1,
        "one error line expected: {err}"
    );
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(expect),
        "{last:?} should mention {expect:?}"
    );
}

#[test]
fn predict_prints_the_digit_and_ten_scores() {
    for d in 0..10u8 {
        let o = zkmnist(&["predict", "--image", common::fixture(d).to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(format!("digit: {d}").as_str()), "{out}");
        let scores: Vec<i64> = lines
            .filter_map(|l| l.trim().split_once(": "))
            .map(|(_, v)| v.trim_end_matches("  <-").parse().unwrap())
            .collect();
        assert_eq!(scores.len(), 10, "{out}");
        let best = zkmnist::model::reference::argmax(&scores).unwrap();
        assert_eq!(best, usize::from(d));
    }
}

#[test]
fn eval_reports_accuracy_count_and_confusion() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("holdout");
    let o = zkmnist(&[
        "export-idx",
        "--split",
        "holdout",
        "--out",
        prefix.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let images = dir.path().join("holdout-images-idx3-ubyte");
    let labels = dir.path().join("holdout-labels-idx1-ubyte");
    let o = zkmnist(&[
        "eval",
        "--images",
        images.to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let acc: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("accuracy: "))
        .expect("accuracy line")
        .parse()
        .unwrap();
    assert!(acc >= 0.98, "{out}");
    assert!(out.contains("count: 997"), "{out}");
    assert_eq!(
        out.lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(':'))
            .count(),
        10,
        "{out}"
    );
}

#[test]
fn errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.png");
    assert_clean_failure(
        &zkmnist(&["predict", "--image", missing.to_str().unwrap()]),
        "missing.png",
    );

    let text = dir.path().join("notes.png");
    std::fs::write(&text, "hello").unwrap();
    assert_clean_failure(
        &zkmnist(&["predict", "--image", text.to_str().unwrap()]),
        "cannot decode image",
    );

    let blank = dir.path().join("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(&blank)
        .unwrap();
    assert_clean_failure(
        &zkmnist(&["predict", "--image", blank.to_str().unwrap()]),
        "empty",
    );

    let fixture = common::fixture(3);
    let f = fixture.to_str().unwrap();
    assert_clean_failure(
        &zkmnist(&["eval", "--images", f, "--labels", f]),
        "bad magic number",
    );

    let bad_model = dir.path().join("model.json");
    std::fs::write(&bad_model, "{\"format\": \"zkmnist-model/0\"}").unwrap();
    assert_clean_failure(
        &zkmnist(&[
            "predict",
            "--image",
            f,
            "--model",
            bad_model.to_str().unwrap(),
        ]),
        "not a valid zkmnist model",
    );

    assert_clean_failure(
        &zkmnist(&[
            "train",
            "--data",
            dir.path().to_str().unwrap(),
            "--out",
            dir.path().join("m.json").to_str().unwrap(),
        ]),
        "0.json",
    );
    assert!(!Path::new(&dir.path().join("m.json")).exists());
}

#[test]
fn info_reports_size_and_bounds() {
    let o = zkmnist(&["info"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("multiply-accumulates per image: "), "{out}");
    assert!(out.contains("acc in ["), "{out}");
}

#[test]
fn setup_prove_verify_open_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let keys = d("keys");
    let o = zkmnist(&["setup", "--out", &keys]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("dev-insecure"),
        "the dev setup must say it is insecure"
    );
    assert!(stdout(&o).contains("vk_digest: 0x"));

    let image = common::fixture(3);
    let o = zkmnist(&[
        "prove",
        "--image",
        image.to_str().unwrap(),
        "--context",
        "0xc0ffee",
        "--out",
        &d("proof.json"),
        "--opening",
        &d("opening.json"),
        "--keys",
        &keys,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.lines().any(|l| l == "digit: 3"), "{out}");
    assert!(
        out.contains("image_commitment: 0x") && out.contains(" bytes, proved and checked in "),
        "{out}"
    );
    assert!(stderr(&o).contains("WARNING: dev-insecure"));

    let o = zkmnist(&["verify", &d("proof.json"), "--keys", &keys]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().next(), Some("valid"));
    assert!(stdout(&o).contains("digit: 3") && stdout(&o).contains("setup: dev-insecure"));

    // --json: the verdict, one line, the fields in the documented order; exit 1 and nothing on
    // stderr when not valid (a missing file is a verdict too).
    let o = zkmnist(&["verify", &d("proof.json"), "--keys", &keys, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o);
    assert!(
        line.starts_with("{\"valid\":true,\"digit\":3,\"image_commitment\":\"0x")
            && line.contains("\"context\":\"0x0000000000000000000000000000000000000000000000000000000000c0ffee\",\"vk_digest\":\"0x")
            && line.ends_with("\"setup\":\"dev-insecure\"}\n"),
        "{line}"
    );
    let o = zkmnist(&["verify", &d("absent.json"), "--keys", &keys, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("absent.json"), "{v}");

    let o = zkmnist(&["open", &d("proof.json"), &d("opening.json")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("opening matches") && stdout(&o).contains("digit: 3"));

    let text = std::fs::read_to_string(d("proof.json")).unwrap();
    let with_calldata: serde_json::Value = serde_json::from_str(&text).unwrap();
    // `calldata` is the public inputs then the proof; the variants below drop it (it is
    // optional), so each reaches the check it is about.
    let publics: String = with_calldata["public_inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap()[2..].to_string())
        .collect();
    assert_eq!(
        with_calldata["calldata"].as_str().unwrap(),
        format!(
            "0x{publics}{}",
            &with_calldata["proof"].as_str().unwrap()[2..]
        )
    );
    let mut json = with_calldata.clone();
    json.as_object_mut().unwrap().remove("calldata");
    let o = zkmnist(&[
        "verify",
        &{
            std::fs::write(d("nocalldata.json"), json.to_string()).unwrap();
            d("nocalldata.json")
        },
        "--keys",
        &keys,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A flipped proof byte.
    let proof = json["proof"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}{}",
        &proof[..100],
        if &proof[100..101] == "0" { "1" } else { "0" },
        &proof[101..]
    );
    let write = |name: &str, v: &serde_json::Value| {
        std::fs::write(d(name), serde_json::to_string(v).unwrap()).unwrap();
        d(name)
    };
    let mut bad = json.clone();
    bad["proof"] = flipped.clone().into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad1.json", &bad), "--keys", &keys]),
        "the proof is invalid",
    );
    // The same file in the verifier contracts' bytecode (embedded EVM).
    let o = zkmnist(&["verify-evm", &d("proof.json")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\nvalid\n") && stdout(&o).contains("gas: "));
    let mut bad = json.clone();
    bad["proof"] = flipped.clone().into();
    assert_clean_failure(
        &zkmnist(&["verify-evm", &write("bad-evm.json", &bad)]),
        "the verifier contract rejected the proof",
    );
    // Keys that are current are kept.
    let o = zkmnist(&["setup", "--if-needed", "--out", &keys]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("keeping them"), "{}", stdout(&o));
    // A changed proof under the old calldata.
    let mut bad = with_calldata.clone();
    bad["proof"] = bad["proof"].as_str().unwrap().replace('a', "b").into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad0.json", &bad), "--keys", &keys]),
        "calldata: is not public_inputs followed by proof",
    );
    // Another digit, consistently in both fields.
    let mut bad = json.clone();
    bad["digit"] = 5.into();
    bad["public_inputs"][1] = format!("0x{:064x}", 5).into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad2.json", &bad), "--keys", &keys]),
        "the proof is invalid",
    );
    // Another context.
    let mut bad = json.clone();
    bad["public_inputs"][2] = format!("0x{:064x}", 1).into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad3.json", &bad), "--keys", &keys]),
        "the proof is invalid",
    );
    // Inconsistent digit fields, wrong version, not JSON, bad hex.
    let mut bad = json.clone();
    bad["digit"] = 4.into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad4.json", &bad), "--keys", &keys]),
        "does not match public_inputs[1]",
    );
    let mut bad = json.clone();
    bad["format"] = "zkmnist-proof/2".into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad5.json", &bad), "--keys", &keys]),
        "zkmnist-proof/2",
    );
    std::fs::write(d("bad6.json"), "{not json").unwrap();
    assert_clean_failure(
        &zkmnist(&["verify", &d("bad6.json"), "--keys", &keys]),
        "not a zkmnist proof file",
    );
    let mut bad = json.clone();
    bad["proof"] = "0xzz".into();
    assert_clean_failure(
        &zkmnist(&["verify", &write("bad7.json", &bad), "--keys", &keys]),
        "proof: not hex",
    );
    // No keys.
    assert_clean_failure(
        &zkmnist(&["verify", &d("proof.json"), "--keys", &d("nokeys")]),
        "run `zkmnist setup` first",
    );
    // An opening of another image.
    let o = zkmnist(&[
        "prove",
        "--image",
        common::fixture(4).to_str().unwrap(),
        "--out",
        &d("proof4.json"),
        "--opening",
        &d("opening4.json"),
        "--keys",
        &keys,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_clean_failure(
        &zkmnist(&["open", &d("proof.json"), &d("opening4.json")]),
        "the proof commits to",
    );
}

#[test]
fn srs_import_and_setup_with_real_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let ptau = common::root().join(".cache/ptau/8.ptau");
    let ptau = ptau.to_str().unwrap();
    let o = zkmnist(&[
        "srs",
        "import",
        "--ptau",
        ptau,
        "--k",
        "8",
        "--out",
        &d("p8.bin"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("setup: ptau:d6a8fb3a04feb600"),
        "{}",
        stdout(&o)
    );
    let sidecar = std::fs::read_to_string(d("p8.bin.json")).unwrap();
    assert!(sidecar.contains("\"setup\": \"ptau:d6a8fb3a"), "{sidecar}");
    assert_clean_failure(
        &zkmnist(&[
            "srs",
            "import",
            "--ptau",
            ptau,
            "--k",
            "9",
            "--out",
            &d("p9.bin"),
        ]),
        "powers up to 2^8; 2^9 were asked for",
    );
    let garbage = d("garbage.ptau");
    std::fs::write(&garbage, b"ptau\x01\x00\x00\x00").unwrap();
    assert_clean_failure(
        &zkmnist(&[
            "srs",
            "import",
            "--ptau",
            &garbage,
            "--k",
            "4",
            "--out",
            &d("g.bin"),
        ]),
        "truncated",
    );
    // The model's circuit needs 2^12 rows: parameters for 2^8 are refused, clearly.
    assert_clean_failure(
        &zkmnist(&["setup", "--srs", &d("p8.bin"), "--out", &d("keys")]),
        "holds parameters for 2^8 rows; the circuit needs 2^12",
    );
    // A parameters file that is not the one imported.
    let mut bytes = std::fs::read(d("p8.bin")).unwrap();
    bytes[100] ^= 1;
    std::fs::write(d("p8.bin"), bytes).unwrap();
    assert_clean_failure(
        &zkmnist(&["setup", "--srs", &d("p8.bin"), "--out", &d("keys")]),
        "SHA-256 differs",
    );
}

/// Writes halo2 parameters from another seed with a `zkmnist srs import` record, as an
/// attacker (or a careless user) would bring them.
fn foreign_params(path: &str, label: &str) {
    use halo2_proofs::poly::commitment::Params;
    use halo2_proofs::poly::kzg::commitment::ParamsKZG;
    use rand::SeedableRng;
    use sha2::Digest;
    let params = ParamsKZG::<halo2curves::bn256::Bn256>::setup(
        12,
        rand_chacha::ChaCha20Rng::seed_from_u64(0xbad),
    );
    let mut bytes = Vec::new();
    params.write(&mut bytes).unwrap();
    std::fs::write(path, &bytes).unwrap();
    let record = serde_json::json!({
        "format": "zkmnist-srs/1",
        "setup": label,
        "k": 12,
        "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
    });
    std::fs::write(format!("{path}.json"), record.to_string()).unwrap();
}

/// What an attacker or a careless user does around the proofs: outputs that collide or cannot
/// be written, relabelled setups, duplicate keys, huge files, another setup's parameters under
/// the pinned verifying key, and an unpinned setup over good keys.
#[test]
fn outputs_labels_and_the_trust_root_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let keys = d("keys");
    let o = zkmnist(&["setup", "--out", &keys]);
    assert!(o.status.success(), "{}", stderr(&o));
    let image = d("seven.png");
    std::fs::copy(common::fixture(7), &image).unwrap();
    let image_bytes = std::fs::read(&image).unwrap();
    let prove = |out: &str, opening: &str| {
        zkmnist(&[
            "prove",
            "--image",
            &image,
            "--out",
            out,
            "--opening",
            opening,
            "--keys",
            &keys,
        ])
    };
    // Every output path is checked before proving; nothing is written.
    assert_clean_failure(
        &prove(&d("p.json"), &d("missing/o.json")),
        "does not exist (nothing was proved)",
    );
    assert!(
        !Path::new(&d("p.json")).exists(),
        "a proof without its opening was left"
    );
    assert_clean_failure(&prove(&d("x.json"), &d("x.json")), "are the same file");
    assert_clean_failure(&prove(&image, &d("o.json")), "is the input image");
    assert_clean_failure(
        &prove(&d("p.json"), &format!("{}/../seven.png", d("keys"))),
        "is the input image",
    );
    assert_eq!(std::fs::read(&image).unwrap(), image_bytes);
    assert!(!Path::new(&d("o.json")).exists() && !Path::new(&d("x.json")).exists());
    // A good run: the opening (salt and pixels) is readable by its owner only.
    let o = prove(&d("p.json"), &d("o.json"));
    assert!(o.status.success(), "{}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d("o.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "opening mode {mode:o}");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".tmp-")),
        "temporary files left: {names:?}"
    );
    // A dev proof relabelled as a ceremony's: refused by verify and verify-evm alike.
    let text = std::fs::read_to_string(d("p.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["setup"] = format!("ptau:{}", "ab".repeat(64)).into();
    std::fs::write(d("relabelled.json"), json.to_string()).unwrap();
    let relabelled = zkmnist(&["verify", &d("relabelled.json"), "--keys", &keys]);
    assert_clean_failure(&relabelled, "the pinned key has setup \"dev-insecure\"");
    let digest = json["vk_digest"].as_str().unwrap();
    assert_eq!(
        stderr(&relabelled).matches(digest).count(),
        1,
        "the digest, the same on both sides, is named once: {}",
        stderr(&relabelled)
    );
    assert_clean_failure(
        &zkmnist(&["verify-evm", &d("relabelled.json")]),
        "the verifier contract was generated from",
    );
    // Duplicate keys: a first-key-wins reader would see digit 3, zkmnist would see 7.
    let dup = text.replacen("{", "{\n  \"digit\": 3,", 1);
    std::fs::write(d("dup.json"), &dup).unwrap();
    let dup_path = d("dup.json");
    for cmd in ["verify", "verify-evm"] {
        let mut args = vec![cmd, dup_path.as_str()];
        if cmd == "verify" {
            args.extend(["--keys", keys.as_str()]);
        }
        assert_clean_failure(&zkmnist(&args), "key \"digit\" appears twice");
    }
    let dup_opening =
        std::fs::read_to_string(d("o.json"))
            .unwrap()
            .replacen("{", "{\n  \"salt\": \"0x01\",", 1);
    std::fs::write(d("dup-o.json"), dup_opening).unwrap();
    assert_clean_failure(
        &zkmnist(&["open", &d("p.json"), &d("dup-o.json")]),
        "appears twice",
    );
    // A 300 KB proof file is refused before it is parsed.
    let huge = text.replacen("{", &format!("{{\"pad\": \"{}\",", "a".repeat(300_000)), 1);
    std::fs::write(d("huge.json"), huge).unwrap();
    assert_clean_failure(
        &zkmnist(&["verify", &d("huge.json"), "--keys", &keys]),
        "larger than 262144 bytes",
    );
    // Another setup's params.bin (same k) beside the pinned vk, with keys.json's hash updated
    // as an attacker would: refused at load, naming the parameters, not "invalid proof".
    let forged = d("forged-keys");
    std::fs::create_dir(&forged).unwrap();
    for f in ["vk.bin", "pk.bin", "keys.json"] {
        std::fs::copy(Path::new(&keys).join(f), Path::new(&forged).join(f)).unwrap();
    }
    foreign_params(&format!("{forged}/params.bin"), "dev-insecure");
    let params = std::fs::read(format!("{forged}/params.bin")).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{forged}/keys.json")).unwrap())
            .unwrap();
    use sha2::Digest;
    manifest["files"]["params.bin"] = hex::encode(sha2::Sha256::digest(&params)).into();
    std::fs::write(format!("{forged}/keys.json"), manifest.to_string()).unwrap();
    assert_clean_failure(
        &zkmnist(&["verify", &d("p.json"), "--keys", &forged]),
        "not the pinned ones for setup \"dev-insecure\"",
    );
    // An unpinned setup must fail before it replaces good keys.
    foreign_params(&d("other.bin"), "ptau:0123");
    let before: Vec<Vec<u8>> = ["params.bin", "vk.bin", "pk.bin", "keys.json"]
        .iter()
        .map(|f| std::fs::read(Path::new(&keys).join(f)).unwrap())
        .collect();
    assert_clean_failure(
        &zkmnist(&["setup", "--srs", &d("other.bin"), "--out", &keys]),
        "no verifying key is pinned for setup \"ptau:0123\"",
    );
    let after: Vec<Vec<u8>> = ["params.bin", "vk.bin", "pk.bin", "keys.json"]
        .iter()
        .map(|f| std::fs::read(Path::new(&keys).join(f)).unwrap())
        .collect();
    assert!(before == after, "setup replaced keys before failing");
    let o = zkmnist(&["verify", &d("p.json"), "--keys", &keys]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `setup` swaps a whole key set in at once: `verify` calls running during a `setup` into the
/// same directory all succeed, and a `setup` killed part-way leaves a loadable set.
#[test]
fn key_sets_are_replaced_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let keys = d("keys");
    let o = zkmnist(&["setup", "--out", &keys]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkmnist(&[
        "prove",
        "--image",
        common::fixture(2).to_str().unwrap(),
        "--out",
        &d("p.json"),
        "--keys",
        &keys,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bin = env!("CARGO_BIN_EXE_zkmnist");
    for kill_after_ms in [0u64, 300, 800, 1500, 2500] {
        let mut setup = Command::new(bin)
            .args(["setup", "--out", &keys])
            .current_dir(common::root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let mut verified = 0;
        while start.elapsed().as_millis() < u128::from(kill_after_ms) || verified == 0 {
            let o = zkmnist(&["verify", &d("p.json"), "--keys", &keys]);
            assert!(
                o.status.success(),
                "verify during setup failed: {}",
                stderr(&o)
            );
            verified += 1;
        }
        let _ = setup.kill();
        let _ = setup.wait();
        let o = zkmnist(&["verify", &d("p.json"), "--keys", &keys]);
        assert!(
            o.status.success(),
            "after killing setup at {kill_after_ms} ms: {}",
            stderr(&o)
        );
    }
}

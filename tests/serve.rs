//! `zkmnist serve`, the real binary on 127.0.0.1: slow and idle clients do not starve
//! verification, load does not grow memory, protocol edge cases get a 4xx without hanging, files
//! are streamed with ETags, and SIGTERM lets requests in flight finish. Every test stops the
//! servers it starts (dropping a `Server` kills it).

use crate::common;

use common::http::{self, Client, Server};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    keys: PathBuf,
    proof: Vec<u8>,
}

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_zkmnist"))
}

/// A site, dev keys and one valid proof file, made once.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = http::site(dir.path());
        let keys = dir.path().join("keys");
        let run = |args: &[&str]| {
            let o = Command::new(bin())
                .args(args)
                .current_dir(common::root())
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        };
        run(&["setup", "--out", keys.to_str().unwrap()]);
        let proof = dir.path().join("proof.json");
        run(&[
            "prove",
            "--image",
            common::fixture(7).to_str().unwrap(),
            "--out",
            proof.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
        ]);
        Fixture {
            proof: std::fs::read(&proof).unwrap(),
            _dir: dir,
            root,
            keys,
        }
    })
}

fn start() -> Server {
    let f = fixture();
    Server::start(bin(), &f.root, &f.keys)
}

fn assert_valid(reply: &http::Reply) {
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["valid"], true, "{}", reply.json());
    assert_eq!(reply.json()["digit"], 7);
}

/// 200 connections dribbling a request head one byte a second and 200 idle ones: 50 valid
/// verifications all succeed, each within 2 s.
#[test]
fn slow_and_idle_clients_do_not_starve_verification() {
    let f = fixture();
    let server = start();
    let addr = server.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let drip = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let head = b"POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n";
            let mut conns: Vec<(TcpStream, usize)> = (0..200)
                .map(|_| (TcpStream::connect(addr).unwrap(), 0))
                .collect();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (s, at) in conns.iter_mut() {
                    // A closed connection (the head deadline) is replaced: the pressure stays.
                    if s.write_all(&head[*at % head.len()..][..1]).is_err() {
                        if let Ok(n) = TcpStream::connect(addr) {
                            *s = n;
                        }
                        *at = 0;
                    } else {
                        *at += 1;
                    }
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..50 {
        let t = Instant::now();
        let reply = http::raw(addr, &http::verify_request(&f.proof)).unwrap();
        assert_valid(&reply);
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "verification {i} took {:?} under the slow-client attack",
            t.elapsed()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drip.join().unwrap();
    drop(idle);
}

/// 2,000 valid verifications at concurrency 32 with no error and no memory growth; 64 slow
/// readers of pk.bin keep the server under 100 MB (files are streamed, not buffered).
#[test]
fn load_holds_and_memory_stays_flat() {
    let f = fixture();
    let server = start();
    let addr = server.addr;
    let request = http::verify_request(&f.proof);
    let run = |total: usize, concurrency: usize| {
        let per = total / concurrency;
        let threads: Vec<_> = (0..concurrency)
            .map(|_| {
                let request = request.clone();
                std::thread::spawn(move || {
                    let mut c = Client::connect(addr).unwrap();
                    for _ in 0..per {
                        let r = c.send(&request).unwrap();
                        assert_valid(&r);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("a verification failed");
        }
    };
    run(128, 32); // warm up: thread pools, allocator, ETag cache
    let before = server.rss_mb();
    run(2_000, 32);
    let after = server.rss_mb();
    assert!(
        after - before < 20.0,
        "RSS grew from {before:.1} MB to {after:.1} MB over 2,000 verifications"
    );
    // 64 clients that ask for the proving key and read it slowly.
    let pk_len = std::fs::metadata(f.keys.join("pk.bin")).unwrap().len();
    let mut slow: Vec<BufReader<TcpStream>> = (0..64)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /keys/pk.bin HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
            BufReader::with_capacity(1024, s)
        })
        .collect();
    let mut peak: f64 = 0.0;
    for _ in 0..6 {
        for r in slow.iter_mut() {
            use std::io::Read;
            let mut buf = [0u8; 1024];
            let _ = r.get_mut().set_read_timeout(Some(Duration::from_secs(5)));
            let _ = r.read(&mut buf);
        }
        peak = peak.max(server.rss_mb());
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        peak < 100.0,
        "{peak:.1} MB with 64 slow readers of a {pk_len}-byte pk.bin"
    );
    // Still serving everyone else.
    assert_valid(&http::raw(addr, &request).unwrap());
}

/// Malformed and hostile requests: each gets a 4xx at once (no hang), none reaches a file it
/// should not.
#[test]
fn protocol_edge_cases_get_4xx_without_hanging() {
    let f = fixture();
    let server = start();
    let addr = server.addr;
    let timed = |name: &str, request: &[u8]| {
        let t = Instant::now();
        let r = http::raw(addr, request).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "{name} took {:?}",
            t.elapsed()
        );
        r
    };
    // A body shorter than its Content-Length, then the client stops sending.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"a\":")
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let t = Instant::now();
    let r = http::read_reply(&mut BufReader::new(s), false).unwrap();
    assert_eq!(r.status, 400, "short body");
    assert!(t.elapsed() < Duration::from_secs(3));
    for (name, req, want) in [
        (
            "+N length",
            "POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: +2\r\n\r\n{}".to_string(),
            400,
        ),
        (
            "two lengths",
            "POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
                .to_string(),
            400,
        ),
        (
            "two different lengths",
            "POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x"
                .to_string(),
            400,
        ),
        (
            "no length",
            "POST /api/verify HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_string(),
            411,
        ),
        (
            "too large",
            format!(
                "POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                300 * 1024
            ),
            413,
        ),
        (
            "64 KB of headers",
            format!(
                "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
                "a".repeat(64 * 1024)
            ),
            431,
        ),
        (
            "GET on the API",
            "GET /api/verify HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_string(),
            405,
        ),
        (
            "POST on a file",
            "POST /www/app.js HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_string(),
            405,
        ),
    ] {
        let r = timed(name, req.as_bytes());
        assert_eq!(r.status, want, "{name}: {}", String::from_utf8_lossy(&r.body));
    }
    for path in [
        "/www/../Cargo.toml",
        "/www/%2e%2e/Cargo.toml",
        "/www/..%2fCargo.toml",
        "/www/%2e%2e%2fCargo.toml",
        "//etc/passwd",
        "/keys/../../Cargo.toml",
        "/www/app.js%00",
        "/www/.hidden",
        "/keys/.keys.json",
        "/Cargo.toml",
        "/circuits/evm/../../Cargo.toml",
        "http://127.0.0.1/../Cargo.toml",
    ] {
        let r = timed(
            path,
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("[package]"),
            "{path}"
        );
    }
    // A chunked proof and a query string on the API are fine.
    let mut chunked =
        b"POST /api/verify?source=test HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    for part in f.proof.chunks(4000) {
        chunked.extend(format!("{:x}\r\n", part.len()).into_bytes());
        chunked.extend(part);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    assert_valid(&timed("chunked", &chunked));
    // A chunked body that grows past the limit: 413, known by the body's length-limit error.
    let mut huge =
        b"POST /api/verify HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    for _ in 0..70 {
        huge.extend(format!("{:x}\r\n", 4096).into_bytes());
        huge.extend([b'x'; 4096]);
        huge.extend(b"\r\n");
    }
    huge.extend(b"0\r\n\r\n");
    let r = timed("chunked, too large", &huge);
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    // Health, page headers, HEAD.
    let r = http::get(addr, "/healthz", "").unwrap();
    assert_eq!((r.status, r.json()["ok"].clone()), (200, true.into()));
    let r = http::get(addr, "/", "").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
    assert_eq!(
        r.header("cross-origin-embedder-policy"),
        Some("require-corp")
    );
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = timed(
        "HEAD",
        b"HEAD /www/app.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

/// An idle keep-alive connection is closed after the head deadline (10 s), and a request head
/// dribbled for longer than that is dropped: neither holds a slot for ever.
#[test]
fn idle_and_dribbling_connections_are_closed() {
    use std::io::Read;
    let server = start();
    let addr = server.addr;
    let mut c = Client::connect(addr).unwrap();
    let r = c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    assert_eq!(r.status, 200);
    let mut drip = TcpStream::connect(addr).unwrap();
    let t = Instant::now();
    let mut closed = false;
    while t.elapsed() < Duration::from_secs(13) {
        if drip.write_all(b"G").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(closed, "a head dribbled for 13 s was not dropped");
    let mut stream = c.into_inner();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        stream.read(&mut buf).unwrap_or(0),
        0,
        "the idle keep-alive connection is still open"
    );
}

/// Keys and the module carry strong ETags: a returning browser gets 304, not the file again;
/// ranges work; the module is sent gzip-compressed to clients that take it.
#[test]
fn files_are_cached_by_etag_ranged_and_compressed() {
    let f = fixture();
    let server = start();
    let addr = server.addr;
    let pk = std::fs::read(f.keys.join("pk.bin")).unwrap();
    let r = http::get(addr, "/keys/pk.bin", "").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, pk);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let etag = r.header("etag").expect("ETag").to_string();
    assert!(etag.starts_with("\"sha256-"), "{etag}");
    let again = http::get(addr, "/keys/pk.bin", &format!("If-None-Match: {etag}\r\n")).unwrap();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let part = http::get(addr, "/keys/pk.bin", "Range: bytes=10-19\r\n").unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &pk[10..20]);
    let plain = http::get(addr, "/pkg/zkmnist_bg.wasm", "").unwrap();
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-type"), Some("application/wasm"));
    assert_eq!(plain.header("content-encoding"), None);
    let gz = http::get(addr, "/pkg/zkmnist_bg.wasm", "Accept-Encoding: gzip\r\n").unwrap();
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("content-type"), Some("application/wasm"));
    assert!(gz.body.len() < plain.body.len() / 2);
    // The page's download progress counts decoded bytes against the decoded size.
    let decoded_len = plain.body.len().to_string();
    assert_eq!(gz.header("x-decoded-length"), Some(decoded_len.as_str()));
    assert_eq!(plain.header("x-decoded-length"), None);
    assert_ne!(
        gz.header("etag"),
        plain.header("etag"),
        "one ETag per representation"
    );
}

/// SIGTERM: the server stops accepting, finishes the request in flight, and exits 0.
#[test]
fn sigterm_finishes_requests_in_flight_then_exits() {
    let f = fixture();
    let mut server = start();
    let addr = server.addr;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let request = http::verify_request(&f.proof);
    let (first, rest) = request.split_at(request.len() / 2);
    s.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let kill = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(rest).unwrap();
    let r = http::read_reply(&mut BufReader::new(s), false).unwrap();
    assert_valid(&r);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert!(TcpStream::connect(addr).is_err() || http::get(addr, "/healthz", "").is_err());
}

/// `--chain FILE` serves the demo's chain as `/chain.json` (the page records on it with nothing
/// to paste); without it the answer is 204, and a bad chain file stops the server at start with
/// the reason.
#[test]
fn the_chain_file_is_served_and_checked() {
    let f = fixture();
    let none = start();
    let r = http::get(none.addr, "/chain.json", "").unwrap();
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    drop(none);

    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::json!({
        "format": "zkmnist-chain/1",
        "rpc": "http://127.0.0.1:8545",
        "chain_id": 31337,
        "setup": "dev-insecure",
        "vk_digest": "0x01",
        "contracts": {
            "Halo2Verifier": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "ZkmnistVerifier": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
            "DigitRegistry": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
        }
    });
    let path = dir.path().join("chain.json");
    std::fs::write(&path, good.to_string()).unwrap();
    let chain_arg = path.to_str().unwrap();
    let server = Server::start_with(
        bin(),
        &f.root,
        &f.keys,
        &["--log", "off", "--chain", chain_arg],
    );
    let r = http::get(server.addr, "/chain.json", "").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let served: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(served, good);
    drop(server);

    for (change, reason) in [
        (
            serde_json::json!({"rpc": "127.0.0.1:8545"}),
            "is not an http:// or https:// URL",
        ),
        (
            serde_json::json!({"format": "zkmnist-chain/9"}),
            "this build reads",
        ),
        (
            serde_json::json!({"contracts": {"Halo2Verifier": "0x1", "ZkmnistVerifier": "0x2"}}),
            "contracts.Halo2Verifier: \"0x1\" is not an address",
        ),
        (serde_json::json!({"extra": 1}), "unknown field `extra`"),
    ] {
        let mut bad = good.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        std::fs::write(&path, bad.to_string()).unwrap();
        let o = Command::new(bin())
            .args(["serve", "--port", "0", "--keys"])
            .arg(&f.keys)
            .args(["--chain", chain_arg])
            .current_dir(&f.root)
            .output()
            .unwrap();
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(reason), "{reason}: {err}");
        assert!(err.contains("--chain"), "{err}");
    }
}

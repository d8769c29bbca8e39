//! `cargo bench --bench serve`: `POST /api/verify` throughput and latency of the real server
//! (target/release/zkmnist, or `ZKMNIST_BIN`), at concurrency 8 and 32, and again while 200
//! connections dribble request heads and 200 sit idle. Prints a table.
//!
//!     BENCH_REQUESTS=2000 cargo bench --bench serve

#[path = "../tests/common/http.rs"]
mod http;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `total` verifications over `concurrency` keep-alive connections; returns
/// (requests per second, p50 ms, p99 ms, errors).
fn load(
    addr: SocketAddr,
    request: &[u8],
    total: usize,
    concurrency: usize,
) -> (f64, f64, f64, usize) {
    let start = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let request = request.to_vec();
            let per = total / concurrency;
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(per);
                let mut errors = 0;
                let mut client = http::Client::connect(addr).ok();
                for _ in 0..per {
                    let t = Instant::now();
                    let ok = match client.as_mut().map(|c| c.send(&request)) {
                        Some(Ok(r)) => {
                            // A server that closes after each response (the old one) gets a
                            // new connection per request; that is not an error.
                            if r.header("connection") == Some("close") {
                                client = http::Client::connect(addr).ok();
                            }
                            r.status == 200 && r.json()["valid"] == true
                        }
                        _ => {
                            client = http::Client::connect(addr).ok();
                            false
                        }
                    };
                    if ok {
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in threads {
        let (l, e) = t.join().expect("client thread");
        lat.extend(l);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    (lat.len() as f64 / secs, pct(0.5), pct(0.99), errors)
}

/// 200 connections sending one byte of a request head per second (reconnecting when closed)
/// and 200 idle ones, until `stop`.
fn attack(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let _idle: Vec<TcpStream> = (0..200)
            .filter_map(|_| TcpStream::connect(addr).ok())
            .collect();
        let head = b"POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n";
        let mut drip: Vec<(Option<TcpStream>, usize)> = (0..200)
            .map(|_| (TcpStream::connect(addr).ok(), 0))
            .collect();
        while !stop.load(Ordering::Relaxed) {
            for (s, at) in drip.iter_mut() {
                let sent = s
                    .as_mut()
                    .is_some_and(|s| s.write_all(&head[*at % head.len()..][..1]).is_ok());
                if sent {
                    *at += 1;
                } else {
                    *s = TcpStream::connect(addr).ok();
                    *at = 0;
                }
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    })
}

fn main() {
    let total: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let bin = std::env::var("ZKMNIST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target/release/zkmnist"));
    let dir = tempfile::tempdir().expect("tempdir");
    let site = http::site(dir.path());
    let keys = dir.path().join("keys");
    let proof = dir.path().join("proof.json");
    for args in [
        vec!["setup", "--out", keys.to_str().unwrap()],
        vec![
            "prove",
            "--image",
            "tests/fixtures/digit-7.png",
            "--out",
            proof.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
        ],
    ] {
        let o = Command::new(&bin)
            .args(&args)
            .current_dir(root())
            .output()
            .expect("zkmnist");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let request = http::verify_request(&std::fs::read(&proof).expect("proof"));
    // The server before the move to hyper had no --log flag.
    let help = Command::new(&bin)
        .args(["serve", "--help"])
        .output()
        .expect("zkmnist");
    let extra: &[&str] = if String::from_utf8_lossy(&help.stdout).contains("--log") {
        &["--log", "off"]
    } else {
        &[]
    };
    let server = http::Server::start_with(&bin, &site, &keys, extra);
    let addr = server.addr;
    load(addr, &request, 64, 8); // warm-up
    println!("{} verifications per row, server {}", total, bin.display());
    println!("| load | req/s | p50 | p99 | errors |");
    println!("|---|---:|---:|---:|---:|");
    let row = |name: &str, (rps, p50, p99, err): (f64, f64, f64, usize)| {
        println!("| {name} | {rps:.0} | {p50:.1} ms | {p99:.1} ms | {err} |");
    };
    row("concurrency 8", load(addr, &request, total, 8));
    row("concurrency 32", load(addr, &request, total, 32));
    let stop = Arc::new(AtomicBool::new(false));
    let attacker = attack(addr, stop.clone());
    std::thread::sleep(Duration::from_secs(2));
    row(
        "concurrency 8, while 200 clients drip and 200 idle",
        load(addr, &request, total, 8),
    );
    stop.store(true, Ordering::Relaxed);
    let _ = attacker.join();
    println!("server RSS after the runs: {:.0} MB", server.rss_mb());
}

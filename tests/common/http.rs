//! A real `zkmnist serve` on 127.0.0.1 and a raw HTTP/1.1 client over std sockets, shared by
//! tests/serve.rs and benches/serve.rs. Raw sockets on purpose: the tests send what well-behaved
//! clients never would (dribbled heads, short bodies, duplicate lengths).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server; killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `bin serve --port 0 --keys KEYS --log off` in `root`; waits for its address.
    pub fn start(bin: &Path, root: &Path, keys: &Path) -> Server {
        Server::start_with(bin, root, keys, &["--log", "off"])
    }

    /// Starts `bin serve --port 0 --keys KEYS EXTRA...` in `root`.
    pub fn start_with(bin: &Path, root: &Path, keys: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(bin)
            .args(["serve", "--port", "0", "--keys"])
            .arg(keys)
            .args(extra)
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start zkmnist serve");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                panic!("zkmnist serve exited before listening");
            }
            if let Some(rest) = line.trim().strip_prefix("zkmnist demo: http://") {
                break rest.trim_end_matches('/').parse().expect("address");
            }
        };
        // Keep reading stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = out.read_to_string(&mut sink);
        });
        Server { child, addr }
    }

    /// Resident memory of the server process, in MB (Linux).
    pub fn rss_mb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

/// A parsed response.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes (as sent: not decompressed).
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Reads one response from a stream (Content-Length or read-to-close bodies; `head` for
/// responses to HEAD).
pub fn read_reply(stream: &mut impl BufRead, head: bool) -> std::io::Result<Reply> {
    let mut line = String::new();
    stream.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        stream.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let mut body = Vec::new();
    if !head && status != 304 {
        match len {
            Some(n) => {
                body.resize(n, 0);
                stream.read_exact(&mut body)?;
            }
            None => {
                stream.read_to_end(&mut body)?;
            }
        }
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Sends raw bytes on a new connection and reads one response.
pub fn raw(addr: SocketAddr, request: &[u8]) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.write_all(request)?;
    let head = request.starts_with(b"HEAD ");
    read_reply(&mut BufReader::new(s), head)
}

/// `GET path` with extra header lines, `Connection: close`.
pub fn get(addr: SocketAddr, path: &str, extra: &str) -> std::io::Result<Reply> {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n").as_bytes(),
    )
}

/// The request bytes of `POST /api/verify` with `body`.
pub fn verify_request(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST /api/verify HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A keep-alive client connection for many requests in a row.
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects.
    pub fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Client {
            reader: BufReader::new(s),
        })
    }

    /// The underlying socket.
    pub fn into_inner(self) -> TcpStream {
        self.reader.into_inner()
    }

    /// Sends a request and reads its response on the same connection.
    pub fn send(&mut self, request: &[u8]) -> std::io::Result<Reply> {
        self.reader.get_mut().write_all(request)?;
        read_reply(&mut self.reader, false)
    }
}

/// A directory laid out like the repository for `zkmnist serve`: `index.html`, `www/`, `pkg/`
/// (a 2 MB stand-in module, with a `.gz` beside it) and `circuits/evm/`.
pub fn site(dir: &Path) -> PathBuf {
    use std::io::Write as _;
    let root = dir.join("site");
    for d in ["www", "pkg", "circuits/evm"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>zkmnist</title>",
    )
    .unwrap();
    std::fs::write(root.join("www/app.js"), "console.log('zkmnist');\n").unwrap();
    std::fs::write(root.join("www/.hidden"), "secret").unwrap();
    std::fs::write(root.join("pkg/zkmnist.js"), "export default 1;\n").unwrap();
    // Compressible like a real module: repeated instruction-like patterns.
    let wasm: Vec<u8> = (0..(2u32 << 20))
        .map(|i| ((i % 97) ^ (i / 4093)) as u8)
        .collect();
    std::fs::write(root.join("pkg/zkmnist_bg.wasm"), &wasm).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&wasm).unwrap();
    std::fs::write(root.join("pkg/zkmnist_bg.wasm.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(root.join("circuits/evm/verifier.json"), "{}").unwrap();
    std::fs::write(root.join("Cargo.toml"), "[package]").unwrap();
    root
}

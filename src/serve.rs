//! `zkmnist serve`: the page's static files and `POST /api/verify`, on a plain HTTP/1.1 server
//! (std only; one thread per connection, `Connection: close`).
//!
//! Served: `/` and `/index.html`, `/www/*`, `/pkg/*`, `/keys/*` (from the key directory) and
//! `/circuits/evm/*` (the verifier's ABI, bytecode and `verifier.json`), each with its MIME type
//! and the COOP/COEP headers that cross-origin isolation (threaded wasm) needs. Nothing else
//! is reachable: paths with `..`, hidden files and other directories are 404.

use crate::proof_file::ProofFile;
use crate::prover::keys::VerifierKeys;
use crate::prover::{self, ProverError};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body `POST /api/verify` accepts (a proof file is about 17 KB).
pub const MAX_BODY: usize = 256 * 1024;
/// Largest request head (request line and headers).
const MAX_HEAD: usize = 16 * 1024;

/// What the server serves.
pub struct Site {
    /// Directory holding `index.html`, `www/`, `pkg/` and `circuits/evm/`.
    pub root: PathBuf,
    /// Key directory (`zkmnist setup`'s output), served at `/keys/`.
    pub keys_dir: PathBuf,
    /// Loaded verifier keys for `/api/verify`.
    pub verifier: VerifierKeys,
}

/// A response.
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

fn json(status: u16, value: serde_json::Value) -> Response {
    Response {
        status,
        content_type: "application/json",
        body: (value.to_string() + "\n").into_bytes(),
    }
}

fn error(status: u16, message: impl Into<String>) -> Response {
    json(
        status,
        serde_json::json!({ "valid": false, "error": message.into() }),
    )
}

/// MIME type by extension; `None` for files the server does not serve.
pub fn mime(path: &Path) -> Option<&'static str> {
    Some(match path.extension()?.to_str()? {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "bin" => "application/octet-stream",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ts" => "text/plain; charset=utf-8",
        "sol" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// Maps a URL path to a file under `root` or `keys_dir`, or `None` if it is not served.
pub fn file_for(root: &Path, keys_dir: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    if path == "/" || path == "/index.html" {
        return Some(root.join("index.html"));
    }
    let rest = path.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let top = parts.next()?;
    let tail: Vec<&str> = parts.collect();
    if tail.is_empty()
        || tail
            .iter()
            .any(|p| p.is_empty() || p.starts_with('.') || p.contains('\\') || p.contains('%'))
    {
        return None;
    }
    let base = match top {
        "www" | "pkg" => root.join(top),
        "keys" => keys_dir.to_path_buf(),
        "circuits" if tail.first() == Some(&"evm") && tail.len() == 2 => {
            return Some(root.join("circuits/evm").join(tail[1]));
        }
        _ => return None,
    };
    Some(tail.iter().fold(base, |p, part| p.join(part)))
}

impl Site {
    fn get(&self, url_path: &str) -> Response {
        let Some(path) = file_for(&self.root, &self.keys_dir, url_path) else {
            return error(404, format!("not found: {url_path}"));
        };
        let Some(content_type) = mime(&path) else {
            return error(404, format!("not found: {url_path}"));
        };
        match std::fs::read(&path) {
            Ok(body) => Response {
                status: 200,
                content_type,
                body,
            },
            Err(_) => error(404, format!("not found: {url_path}")),
        }
    }

    /// `POST /api/verify`: the body is a proof file; the answer is a JSON verdict.
    pub fn verify(&self, body: &[u8]) -> (u16, serde_json::Value) {
        let Ok(text) = std::str::from_utf8(body) else {
            return (
                400,
                serde_json::json!({"valid": false, "error": "the body is not UTF-8 text"}),
            );
        };
        let parsed = match ProofFile::parse(text) {
            Ok(p) => p,
            Err(e) => {
                return (
                    400,
                    serde_json::json!({"valid": false, "error": format!("proof file: {e}")}),
                );
            }
        };
        let common = |valid: bool| {
            serde_json::json!({
                "valid": valid,
                "digit": parsed.digit,
                "image_commitment": crate::field::to_hex(&parsed.public_inputs[0]),
                "context": crate::field::to_hex(&parsed.public_inputs[2]),
                "vk_digest": parsed.vk_digest,
                "setup": parsed.setup,
            })
        };
        match prover::verify_parsed(&self.verifier, &parsed) {
            Ok(()) => (200, common(true)),
            Err(e @ (ProverError::Rejected(_) | ProverError::Invalid(_))) => {
                let mut v = common(false);
                v["error"] = e.to_string().into();
                (200, v)
            }
            Err(e) => (
                500,
                serde_json::json!({"valid": false, "error": e.to_string()}),
            ),
        }
    }

    fn handle(&self, stream: &mut TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut is_head = false;
        let response = match read_request(&mut reader) {
            Err(r) => r,
            Ok((method, path, body)) => match (method.as_str(), path.as_str()) {
                ("POST", "/api/verify") => {
                    let (status, v) = self.verify(&body);
                    json(status, v)
                }
                (_, "/api/verify") => error(405, "use POST with a proof file as the body"),
                ("GET" | "HEAD", p) => {
                    is_head = method == "HEAD";
                    self.get(p)
                }
                _ => error(405, format!("method {method} not allowed")),
            },
        };
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             Cross-Origin-Opener-Policy: same-origin\r\n\
             Cross-Origin-Embedder-Policy: require-corp\r\n\
             Cross-Origin-Resource-Policy: same-origin\r\n\
             X-Content-Type-Options: nosniff\r\n\
             Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
            response.status,
            reason(response.status),
            response.content_type,
            response.body.len()
        );
        stream.write_all(head.as_bytes())?;
        if !is_head {
            stream.write_all(&response.body)?;
        }
        stream.flush()
    }
}

/// Reads one request: method, path and body (bounded).
fn read_request(reader: &mut impl BufRead) -> Result<(String, String, Vec<u8>), Response> {
    let mut head_len = 0;
    let mut line = String::new();
    let mut read_line = |line: &mut String| -> Result<(), Response> {
        line.clear();
        let n = reader
            .take((MAX_HEAD - head_len + 1) as u64)
            .read_line(line)
            .map_err(|_| error(400, "unreadable request"))?;
        head_len += n;
        if head_len > MAX_HEAD {
            return Err(error(431, "request head too large"));
        }
        if n == 0 {
            return Err(error(400, "connection closed mid-request"));
        }
        Ok(())
    };
    read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let (Some(method), Some(path), Some(version)) = (words.next(), words.next(), words.next())
    else {
        return Err(error(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(error(400, "only HTTP/1.x is spoken here"));
    }
    let (method, path) = (method.to_string(), path.to_string());
    let mut content_length = None;
    let mut chunked = false;
    loop {
        read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                content_length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| error(400, "malformed Content-Length"))?,
                );
            } else if name == "transfer-encoding" && !value.eq_ignore_ascii_case("identity") {
                chunked = true;
            }
        }
    }
    if method != "POST" {
        return Ok((method, path, Vec::new()));
    }
    if chunked {
        return Err(error(
            411,
            "send the proof with a Content-Length, not chunked",
        ));
    }
    let len = content_length.ok_or_else(|| error(411, "Content-Length required"))?;
    if len > MAX_BODY {
        return Err(error(
            413,
            format!("body of {len} bytes; a proof file is at most {MAX_BODY}"),
        ));
    }
    let mut body = vec![0; len];
    reader
        .read_exact(&mut body)
        .map_err(|_| error(400, "body shorter than its Content-Length"))?;
    Ok((method, path, body))
}

/// Connections served at once; more are answered 503 at once.
pub const MAX_CONNECTIONS: usize = 64;

/// Serves `site` on `listener` until the process ends.
pub fn run(site: Site, listener: TcpListener) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let site = Arc::new(site);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let (site, open) = (Arc::clone(&site), Arc::clone(&open));
        std::thread::spawn(move || {
            // A client that goes away mid-response is not the server's problem.
            let _ = site.handle(&mut stream);
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_its_module_and_the_keys_are_served() {
        let (root, keys) = (Path::new("/r"), Path::new("/k"));
        let f = |p: &str| file_for(root, keys, p);
        assert_eq!(f("/"), Some(PathBuf::from("/r/index.html")));
        assert_eq!(f("/index.html?x=1"), Some(PathBuf::from("/r/index.html")));
        assert_eq!(f("/www/app.js"), Some(PathBuf::from("/r/www/app.js")));
        assert_eq!(
            f("/pkg/zkmnist_bg.wasm"),
            Some(PathBuf::from("/r/pkg/zkmnist_bg.wasm"))
        );
        assert_eq!(f("/keys/pk.bin"), Some(PathBuf::from("/k/pk.bin")));
        assert_eq!(
            f("/circuits/evm/verifier.json"),
            Some(PathBuf::from("/r/circuits/evm/verifier.json"))
        );
        for bad in [
            "/Cargo.toml",
            "/www/../Cargo.toml",
            "/www/..",
            "/keys/../../etc/passwd",
            "/www/.hidden",
            "/www/%2e%2e/x",
            "/www//x",
            "/www",
            "/circuits/model.json",
            "/circuits/evm/../pinned.json",
            "/src/main.rs",
            "www/app.js",
            "/www/a\\..\\b",
        ] {
            assert_eq!(f(bad), None, "{bad}");
        }
        assert_eq!(mime(Path::new("a.wasm")), Some("application/wasm"));
        assert_eq!(mime(Path::new("a.rs")), None);
    }

    fn parse(raw: &str) -> Result<(String, String, Vec<u8>), u16> {
        read_request(&mut raw.as_bytes()).map_err(|r| r.status)
    }

    #[test]
    fn requests_are_bounded_and_malformed_ones_get_4xx() {
        let ok = parse("POST /api/verify HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc").unwrap();
        assert_eq!(ok, ("POST".into(), "/api/verify".into(), b"abc".to_vec()));
        assert_eq!(parse("GET / HTTP/1.1\r\n\r\n").unwrap().0, "GET");
        assert_eq!(parse("POST /api/verify HTTP/1.1\r\n\r\n"), Err(411));
        assert_eq!(
            parse("POST /api/verify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(411)
        );
        let big = format!(
            "POST /api/verify HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert_eq!(parse(&big), Err(413));
        assert_eq!(
            parse("POST /api/verify HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"),
            Err(400)
        );
        assert_eq!(
            parse("POST /api/verify HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Err(400)
        );
        assert_eq!(parse("garbage\r\n\r\n"), Err(400));
        assert_eq!(parse("GET / SPDY/3\r\n\r\n"), Err(400));
        assert_eq!(parse(""), Err(400));
        let huge_head = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(parse(&huge_head), Err(431));
    }
}

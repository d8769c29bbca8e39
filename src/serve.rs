//! `zkmnist serve`: the page's static files and `POST /api/verify`, on hyper (through axum) and
//! tokio, with tower-http serving the files.
//!
//! Served: `/` and `/index.html`, `/www/*`, `/pkg/*`, `/keys/*` (from the key directory),
//! `/circuits/evm/*` (the verifier's ABI, bytecode and `verifier.json`), `/chain.json` (the
//! demo's chain, [`ChainConfig`]) and `/healthz`, each
//! with the COOP/COEP headers that cross-origin isolation (threaded wasm) needs. Nothing else is
//! reachable: [`file_for`] admits a path before tower-http's `ServeDir` streams the file
//! (ranges, conditional requests, no traversal), and only known file types are served.
//!
//! What keeps slow, idle and greedy clients from starving others:
//! - every connection must send a complete request head within [`HEADER_TIMEOUT`], also
//!   between keep-alive requests (hyper's header read timeout), and a whole request body within
//!   [`REQUEST_TIMEOUT`];
//! - at most [`MAX_CONNECTIONS`] connections are open; beyond that the oldest connection with
//!   no request in progress (idle, or still dribbling its head) is closed to make room, and
//!   only if every connection is mid-request the oldest of those: new requests are not refused;
//! - verification runs on tokio's blocking pool, at most one per core at once, with at most
//!   [`VERIFY_QUEUE`] waiting; beyond that the answer is 503 with `Retry-After` at once;
//! - files are streamed (never read whole per connection), with strong ETags (content SHA-256)
//!   and `Cache-Control: no-cache`, so a returning browser revalidates and gets 304 instead of
//!   the keys again; the wasm modules and `pk.bin` are sent gzip-compressed to browsers that
//!   take it, from the `.gz` files `scripts/build-wasm.sh` and `zkmnist setup` leave beside
//!   them (measured: the module 6.6 -> 3.5 MB, pk.bin 1.8 -> 0.7 MB; params.bin does not
//!   compress, so it has none).
//!
//! The server keeps no state between requests: any number of copies can run behind a load
//! balancer (README, "Serving").

use crate::proof_file::MAX_FILE_BYTES;
use crate::statement::{self, Verdict, VerdictKind};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, Semaphore, watch};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// Largest request body `POST /api/verify` accepts (a proof file is about 13 KB).
pub const MAX_BODY: usize = MAX_FILE_BYTES;
/// Largest request head (request line and headers); larger heads get 431.
pub const MAX_HEAD: usize = 16 * 1024;
/// A request head must arrive within this, and an idle keep-alive connection is closed after it.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A request body must arrive within this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Connections open at once; the next one closes the oldest idle connection.
pub const MAX_CONNECTIONS: usize = 4096;
/// Verifications waiting for a core; more get 503 at once.
pub const VERIFY_QUEUE: usize = 64;
/// How long shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What the server serves.
pub struct Site {
    /// Directory holding `index.html`, `www/`, `pkg/` and `circuits/evm/`.
    pub root: PathBuf,
    /// Key directory (`zkmnist setup`'s output), served at `/keys/`.
    pub keys_dir: PathBuf,
    /// The statement's verifier, for `/api/verify`.
    pub verifier: statement::Verifier,
    /// The chain the page records digits on (`zkmnist serve --chain`), served as
    /// `/chain.json`; `None` answers 204 there and the page says no chain is set up.
    pub chain: Option<ChainConfig>,
}

/// A deployment of the verifier contracts, as `scripts/deploy.mjs --out` writes it:
///
/// ```json
/// {"format": "zkmnist-chain/1", "rpc": "http://127.0.0.1:8545", "chain_id": 31337,
///  "setup": "dev-insecure", "vk_digest": "0x..",
///  "contracts": {"Halo2Verifier": "0x..", "ZkmnistVerifier": "0x..", "DigitRegistry": "0x.."}}
/// ```
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// [`CHAIN_FORMAT`].
    pub format: String,
    /// The JSON-RPC URL the page calls (http or https).
    pub rpc: String,
    /// The chain's id.
    pub chain_id: u64,
    /// The setup of the deployed verifier's key.
    pub setup: String,
    /// The deployed verifier's key digest.
    pub vk_digest: String,
    /// Addresses by contract name.
    pub contracts: std::collections::BTreeMap<String, String>,
}

/// Format tag of a chain file.
pub const CHAIN_FORMAT: &str = "zkmnist-chain/1";

impl ChainConfig {
    /// Parses and checks a chain file: format, an http(s) URL, and an address for each of the
    /// three contracts.
    pub fn parse(text: &str) -> Result<Self, String> {
        let c: ChainConfig =
            serde_json::from_str(text).map_err(|e| format!("not a zkmnist chain file: {e}"))?;
        if c.format != CHAIN_FORMAT {
            return Err(format!(
                "chain file format is {:?}, this build reads {CHAIN_FORMAT:?}",
                c.format
            ));
        }
        if !(c.rpc.starts_with("http://") || c.rpc.starts_with("https://")) {
            return Err(format!("rpc {:?} is not an http:// or https:// URL", c.rpc));
        }
        for name in ["Halo2Verifier", "ZkmnistVerifier", "DigitRegistry"] {
            let a = c
                .contracts
                .get(name)
                .ok_or_else(|| format!("contracts has no {name}"))?;
            let ok = a.len() == 42
                && a.starts_with("0x")
                && a[2..].bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(format!(
                    "contracts.{name}: {a:?} is not an address (0x and 40 hex digits)"
                ));
            }
        }
        Ok(c)
    }
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|e| {
        serde_json::json!({"valid": false, "error": format!("cannot encode the answer: {e}")})
            .to_string()
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body + "\n",
    )
        .into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json(
        status,
        &serde_json::json!({ "valid": false, "error": message.into() }),
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
    /// `POST /api/verify`: the body is a proof file; the answer is its [`Verdict`] (400 when
    /// the body is not a proof file, 500 when the verifier itself fails).
    pub fn verify(&self, body: &[u8]) -> (u16, Verdict) {
        let verdict = self.verifier.verdict(body);
        let status = match verdict.kind {
            VerdictKind::Valid | VerdictKind::Invalid | VerdictKind::OtherKeys => 200,
            VerdictKind::Malformed => 400,
            VerdictKind::Failed => 500,
        };
        (status, verdict)
    }
}

/// Strong ETags of served files, by path, recomputed when a file's size or mtime changes.
#[derive(Default)]
struct Etags {
    known: Mutex<HashMap<PathBuf, (u64, SystemTime, String)>>,
}

impl Etags {
    /// The ETag of the file's current content: `"sha256-<first 32 hex digits>"`, computed by
    /// streaming the file once on the blocking pool.
    async fn of(&self, path: &Path) -> Option<String> {
        let meta = tokio::fs::metadata(path).await.ok()?;
        let stamp = (meta.len(), meta.modified().ok()?);
        if let Some((len, modified, tag)) = self.known.lock().ok()?.get(path)
            && (*len, *modified) == stamp
        {
            return Some(tag.clone());
        }
        let owned = path.to_path_buf();
        let tag = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut file = std::fs::File::open(&owned).ok()?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut buf).ok()?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            Some(format!(
                "\"sha256-{}\"",
                &hex::encode(hasher.finalize())[..32]
            ))
        })
        .await
        .ok()??;
        self.known
            .lock()
            .ok()?
            .insert(path.to_path_buf(), (stamp.0, stamp.1, tag.clone()));
        Some(tag)
    }
}

/// Shared by every request.
struct App {
    site: Site,
    etags: Etags,
    /// Verifications running or waiting.
    queue: Arc<Semaphore>,
    /// Verifications running (one per core).
    workers: Arc<Semaphore>,
    /// The page, `index.html`.
    index: ServeDir,
    www: ServeDir,
    pkg: ServeDir,
    keys: ServeDir,
    evm: ServeDir,
}

/// The router: every route of the site, with the headers every response carries.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { json(StatusCode::OK, &serde_json::json!({"ok": true})) }),
        )
        .route("/api/verify", any(verify))
        .route("/chain.json", get(chain))
        .fallback(static_file)
        .layer(axum::middleware::from_fn(common_headers))
        .layer(axum::middleware::from_fn(access_log))
        .with_state(app)
}

async fn common_headers(req: Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-embedder-policy", "require-corp"),
        ("cross-origin-resource-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    res
}

/// One line per request at info level: method, path, status, bytes, duration.
async fn access_log(req: Request, next: axum::middleware::Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let start = Instant::now();
    let res = next.run(req).await;
    let bytes = res
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    tracing::info!(
        "{method} {path} {} {bytes} {:.1}ms",
        res.status().as_u16(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    res
}

/// `GET /chain.json`: the chain the page records on, or 204 (no content) when the server has none.
async fn chain(State(app): State<Arc<App>>) -> Response {
    match &app.site.chain {
        Some(c) => json(StatusCode::OK, c),
        // No content rather than 404: a page without a chain is normal, not an error to log.
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn verify(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::POST {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "use POST with a proof file as the body",
        );
    }
    let headers = req.headers();
    let lengths: Vec<&HeaderValue> = headers.get_all(header::CONTENT_LENGTH).iter().collect();
    if lengths.len() > 1 {
        return error(StatusCode::BAD_REQUEST, "more than one Content-Length");
    }
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    match lengths
        .first()
        .map(|v| v.to_str().ok().and_then(|s| s.parse::<usize>().ok()))
    {
        None if !chunked => {
            return error(StatusCode::LENGTH_REQUIRED, "Content-Length required");
        }
        Some(None) => return error(StatusCode::BAD_REQUEST, "malformed Content-Length"),
        Some(Some(len)) if len > MAX_BODY => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body of {len} bytes; a proof file is at most {MAX_BODY}"),
            );
        }
        _ => {}
    }
    let body = match tokio::time::timeout(
        REQUEST_TIMEOUT,
        axum::body::to_bytes(req.into_body(), MAX_BODY),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            // The body is over the limit (chunked) or the client broke off.
            let e = e.into_inner();
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return if too_large {
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("a proof file is at most {MAX_BODY} bytes"),
                )
            } else {
                error(StatusCode::BAD_REQUEST, format!("unreadable body: {e}"))
            };
        }
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} s",
                    REQUEST_TIMEOUT.as_secs()
                ),
            );
        }
    };
    let Ok(queued) = app.queue.clone().try_acquire_owned() else {
        let mut res = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many verifications in progress; retry in a second",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return res;
    };
    let Ok(worker) = app.workers.clone().acquire_owned().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    };
    let app2 = Arc::clone(&app);
    let verdict = tokio::task::spawn_blocking(move || {
        let _held = (queued, worker);
        app2.site.verify(&body)
    })
    .await;
    match verdict {
        Ok((status, v)) => json(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &v,
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("verifier failed: {e}"),
        ),
    }
}

/// Whether the client takes gzip.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.trim().split(';');
            parts.next() == Some("gzip") && !parts.any(|q| q.trim() == "q=0")
        })
}

async fn static_file(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} not allowed", req.method()),
        );
    }
    let url_path = req.uri().path().to_string();
    let site = &app.site;
    let Some(path) = file_for(&site.root, &site.keys_dir, &url_path) else {
        return error(StatusCode::NOT_FOUND, format!("not found: {url_path}"));
    };
    let Some(content_type) = mime(&path) else {
        return error(StatusCode::NOT_FOUND, format!("not found: {url_path}"));
    };
    // The representation ServeDir will pick: the precompressed file when there is one and the
    // client takes gzip (pkg/ and keys/: the modules and pk.bin). Each has its own strong ETag.
    let gz = {
        let mut p = path.clone().into_os_string();
        p.push(".gz");
        PathBuf::from(p)
    };
    let top = url_path.split('/').nth(1).unwrap_or("");
    let compressed = matches!(top, "pkg" | "keys")
        && accepts_gzip(req.headers())
        && tokio::fs::metadata(&gz).await.is_ok();
    let etag = app.etags.of(if compressed { &gz } else { &path }).await;
    let Some(etag) = etag else {
        return error(StatusCode::NOT_FOUND, format!("not found: {url_path}"));
    };
    let etag_value = HeaderValue::from_str(&etag).ok();
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        if let Some(v) = etag_value {
            res.headers_mut().insert(header::ETAG, v);
        }
        return res;
    }
    // ServeDir streams the file (ranges, conditional requests; it refuses traversal too), given
    // the path below its own directory.
    let (mut parts, body) = req.into_parts();
    let (service, rel) = match top {
        "www" => (app.www.clone(), &url_path[4..]),
        "pkg" => (app.pkg.clone(), &url_path[4..]),
        "keys" => (app.keys.clone(), &url_path[5..]),
        "circuits" => (app.evm.clone(), &url_path["/circuits/evm".len()..]),
        _ => (app.index.clone(), "/index.html"),
    };
    parts.uri = match rel.parse() {
        Ok(u) => u,
        Err(_) => return error(StatusCode::NOT_FOUND, format!("not found: {url_path}")),
    };
    let req = Request::from_parts(parts, body);
    let mut res = match service.oneshot(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    if res.status() == StatusCode::NOT_FOUND {
        return error(StatusCode::NOT_FOUND, format!("not found: {url_path}"));
    }
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A gzip body's Content-Length is the compressed size; the page shows download progress
    // against the size it will have once decoded.
    if compressed && let Ok(meta) = tokio::fs::metadata(&path).await {
        h.insert(
            "x-decoded-length",
            HeaderValue::from_str(&meta.len().to_string()).unwrap_or(HeaderValue::from_static("0")),
        );
    }
    if let Some(v) = etag_value {
        h.insert(header::ETAG, v);
    }
    res
}

/// One open connection, as the connection limit sees it.
struct Conn {
    opened: Instant,
    /// Requests in progress on it.
    busy: AtomicUsize,
    /// Notified to close it (to make room for a new connection).
    close: Notify,
}

/// The open connections.
#[derive(Default)]
struct Conns {
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    /// Notified when a connection closes (shutdown waits on it).
    closed: Notify,
}

impl Conns {
    fn len(&self) -> usize {
        self.open.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Registers a connection; when the limit is reached, first closes the oldest one with
    /// no request in progress (or, if every one is mid-request, the oldest).
    fn admit(&self, limit: usize) -> (u64, Arc<Conn>) {
        let conn = Arc::new(Conn {
            opened: Instant::now(),
            busy: AtomicUsize::new(0),
            close: Notify::new(),
        });
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut open) = self.open.lock() {
            if open.len() >= limit {
                let victim = open
                    .iter()
                    .min_by_key(|(_, c)| (c.busy.load(Ordering::Relaxed) > 0, c.opened))
                    .map(|(id, c)| (*id, Arc::clone(c)));
                if let Some((vid, v)) = victim {
                    open.remove(&vid);
                    v.close.notify_one();
                }
            }
            open.insert(id, Arc::clone(&conn));
        }
        (id, conn)
    }

    fn release(&self, id: u64) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&id);
        }
        self.closed.notify_waiters();
    }
}

/// Serves `site` on `listener` until `shutdown` resolves; then stops accepting, lets requests
/// in progress finish (at most [`SHUTDOWN_GRACE`]) and returns.
pub async fn run(
    site: Site,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let serve_dir = |dir: PathBuf| {
        ServeDir::new(dir)
            .append_index_html_on_directories(false)
            .with_buf_chunk_size(64 * 1024)
    };
    let app = Arc::new(App {
        index: serve_dir(site.root.clone()),
        www: serve_dir(site.root.join("www")),
        pkg: serve_dir(site.root.join("pkg")).precompressed_gzip(),
        keys: serve_dir(site.keys_dir.clone()).precompressed_gzip(),
        evm: serve_dir(site.root.join("circuits/evm")),
        site,
        etags: Etags::default(),
        queue: Arc::new(Semaphore::new(VERIFY_QUEUE + cores)),
        workers: Arc::new(Semaphore::new(cores)),
    });
    let router = router(app);
    let conns = Arc::new(Conns::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: make room
                    // and go on.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (id, conn) = conns.admit(MAX_CONNECTIONS);
        let router = router.clone();
        let conns = Arc::clone(&conns);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let busy = Arc::clone(&conn);
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    let busy = Arc::clone(&busy);
                    busy.busy.fetch_add(1, Ordering::Relaxed);
                    async move {
                        let res = router.oneshot(req.map(Body::new)).await;
                        busy.busy.fetch_sub(1, Ordering::Relaxed);
                        res
                    }
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD)
                .keep_alive(true);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = conn.close.notified() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
                }
            }
            conns.release(id);
        });
    }
    let _ = stop_tx.send(true);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while conns.len() > 0 && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(100), conns.closed.notified()).await;
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

    #[test]
    fn gzip_is_taken_unless_refused() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br")));
        assert!(accepts_gzip(&h("br;q=1.0, gzip;q=0.8")));
        assert!(!accepts_gzip(&h("gzip;q=0")));
        assert!(!accepts_gzip(&h("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_connection_limit_closes_the_oldest_idle_connection_first() {
        let conns = Conns::default();
        let (busy_id, busy) = conns.admit(2);
        busy.busy.store(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(2));
        let (idle_id, _idle) = conns.admit(2);
        let (new_id, _) = conns.admit(2);
        let open = conns.open.lock().unwrap();
        assert!(
            open.contains_key(&busy_id),
            "a connection mid-request was closed first"
        );
        assert!(!open.contains_key(&idle_id));
        assert!(open.contains_key(&new_id));
    }
}

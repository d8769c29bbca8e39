//! `zkmnist serve`: checks the files the page needs, loads the verifier keys, and runs the
//! server (`zkmnist::serve`) until SIGINT or SIGTERM.

use super::{CliResult, DEV_WARNING};
use crate::out;
use std::path::Path;
use zkmnist::prover::DEV_SETUP;

pub fn serve(
    host: &str,
    port: u16,
    keys_dir: &Path,
    log: Option<&str>,
    chain: Option<&Path>,
) -> CliResult {
    let root = std::env::current_dir()?;
    for needed in ["index.html", "www", "pkg/zkmnist.js", "pkg/zkmnist_bg.wasm"] {
        if !root.join(needed).exists() {
            return Err(format!(
                "{} is missing: run `zkmnist serve` from the repository root after scripts/build-wasm.sh (scripts/demo.sh does both)",
                root.join(needed).display()
            )
            .into());
        }
    }
    let verifier = zkmnist::statement::Verifier::load(keys_dir)?;
    if !keys_dir.join("pk.bin").exists() {
        return Err(format!(
            "{}/pk.bin is missing: run `zkmnist setup`",
            keys_dir.display()
        )
        .into());
    }
    let chain = match chain {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--chain {}: {e}", path.display()))?;
            let c = zkmnist::serve::ChainConfig::parse(&text)
                .map_err(|e| format!("--chain {}: {e}", path.display()))?;
            Some(c)
        }
        None => None,
    };
    let setup = verifier.manifest().setup.clone();
    let listener = std::net::TcpListener::bind((host, port))
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    out!("zkmnist demo: http://{addr}/");
    out!("keys: {} ({setup})", keys_dir.display());
    if let Some(c) = &chain {
        out!(
            "chain: {} (chain id {}), DigitRegistry {}",
            c.rpc,
            c.chain_id,
            c.contracts["DigitRegistry"]
        );
    }
    if setup == DEV_SETUP {
        eprintln!("{DEV_WARNING}");
    }
    let filter = match log {
        Some(f) => {
            tracing_subscriber::EnvFilter::try_new(f).map_err(|e| format!("--log {f}: {e}"))?
        }
        None => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(zkmnist::serve::run(
        zkmnist::serve::Site {
            root,
            keys_dir: keys_dir.to_path_buf(),
            verifier,
            chain,
        },
        listener,
        shutdown_signal(),
    ))?;
    out!("zkmnist: stopped (requests in progress were finished)");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

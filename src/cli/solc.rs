//! Runs the project's solc-js (`node scripts/solc.js`, the version pinned in package.json) on a
//! standard-JSON input. A build-time tool of the CLI and the tests; the library never compiles.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// solc's standard-JSON output for `input`, compiled from the project root `root`.
pub fn compile(root: &Path, input: &serde_json::Value) -> Result<Vec<u8>, String> {
    let script = root.join("scripts/solc.js");
    let mut child = Command::new("node")
        .arg(&script)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run `node {}`: {e} (install Node.js and run `npm ci` in the project root)",
                script.display()
            )
        })?;
    let mut stdin = child.stdin.take().ok_or("solc-js: no stdin")?;
    let text = input.to_string();
    // Write on another thread: solc may fill its stdout pipe before it has read all of stdin.
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("solc-js: {e}"))?;
    writer
        .join()
        .map_err(|_| "solc-js: the writer thread panicked".to_string())?
        .map_err(|e| format!("solc-js: cannot write its input: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "solc-js failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

//! Files written so that nothing is ever half-written, and read so that memory is bounded.
//!
//! Every file zkmnist writes (keys, parameters, proofs, openings, verifiers) goes to a temporary
//! file in the same directory, is flushed to disk, and is renamed over its destination: a reader
//! or a crash sees the old file or the new one, never a part of either. Secret files (openings:
//! the salt and the pixels) are created readable by their owner only.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Who may read a file zkmnist writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Readable by everyone the umask allows (keys, proofs, verifiers).
    Public,
    /// Readable and writable by the owner only (0600): openings hold the salt and the pixels.
    OwnerOnly,
}

/// A name no other writer uses, beside `path` (same directory, so the rename is atomic).
pub fn temp_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// The directory a path's file lives in (`.` for a bare file name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn create(path: &Path, access: Access) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if access == Access::OwnerOnly {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = access;
    options.open(path)
}

/// Flushes a directory's entries (the rename) to disk; a no-op where directories cannot be
/// opened.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `bytes` to a temporary sibling of `path` and flushes it, without renaming it yet;
/// returns the temporary path. [`commit`] renames it; on error it is removed.
pub fn stage(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<PathBuf> {
    let tmp = temp_sibling(path);
    let written = create(&tmp, access).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Renames a staged file over its destination and flushes the directory.
pub fn commit(tmp: &Path, path: &Path) -> std::io::Result<()> {
    if let Err(e) = std::fs::rename(tmp, path) {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    sync_dir(parent_of(path))
}

/// Replaces `path` with `bytes` atomically: a crash or a concurrent reader sees the old
/// content or the new, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    let tmp = stage(path, bytes, access)?;
    commit(&tmp, path)
}

/// Puts the fully written directory `staged` in place of `dir` in one atomic step where the
/// system allows it (Linux `renameat2(RENAME_EXCHANGE)`), then deletes the old contents. A
/// reader sees the old directory or the new one; a crash leaves one of them in place (and at
/// worst a stale sibling). Elsewhere the old directory is renamed away first: a reader may
/// briefly find no directory, never a mixed one.
pub fn replace_dir(staged: &Path, dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        std::fs::rename(staged, dir)?;
        return sync_dir(parent_of(dir));
    }
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        };
        let (a, b) = (c(staged)?, c(dir)?);
        // SAFETY: both are valid NUL-terminated paths; renameat2 reads them only.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            sync_dir(parent_of(dir))?;
            // `staged` now holds the old set.
            return std::fs::remove_dir_all(staged);
        }
        let err = std::io::Error::last_os_error();
        // Filesystems without exchange support say EINVAL; anything else is a real error.
        if err.raw_os_error() != Some(libc::EINVAL) {
            return Err(err);
        }
    }
    let old = temp_sibling(dir);
    std::fs::rename(dir, &old)?;
    std::fs::rename(staged, dir)?;
    sync_dir(parent_of(dir))?;
    std::fs::remove_dir_all(old)
}

/// Why a bounded read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is larger than any valid file of its kind.
    #[error("{path} is larger than {limit} bytes, more than any valid {what} (refused unread)")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit.
        limit: u64,
        /// What kind of file was expected.
        what: &'static str,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 text")]
    NotText {
        /// The file.
        path: String,
    },
}

/// Reads a whole file of at most `limit` bytes; larger files are refused after reading
/// `limit + 1` bytes at most.
pub fn read_capped(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.display().to_string(),
            limit,
            what,
        });
    }
    Ok(bytes)
}

/// [`read_capped`] for text files.
pub fn read_text_capped(path: &Path, limit: u64, what: &'static str) -> Result<String, ReadError> {
    String::from_utf8(read_capped(path, limit, what)?).map_err(|_| ReadError::NotText {
        path: path.display().to_string(),
    })
}

/// Whether two paths name the same file (or would: a path that does not exist yet is compared
/// by its canonical parent and name).
pub fn same_file(a: &Path, b: &Path) -> bool {
    fn canonical(p: &Path) -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = parent_of(p).canonicalize().ok()?;
        Some(parent.join(p.file_name()?))
    }
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        write_atomic(&path, b"old", Access::Public).unwrap();
        write_atomic(&path, b"new content", Access::OwnerOnly).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new content");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn writes_into_a_missing_directory_fail_without_leaving_anything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/f.json");
        assert!(write_atomic(&path, b"x", Access::Public).is_err());
        assert!(!path.exists());
    }

    #[test]
    fn capped_reads_refuse_large_files_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'a'; 1001]).unwrap();
        assert!(read_capped(&path, 1001, "thing").is_ok());
        let err = read_capped(&path, 1000, "thing").unwrap_err().to_string();
        assert!(err.contains("larger than 1000 bytes"), "{err}");
    }

    #[test]
    fn same_file_sees_through_spellings_of_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        std::fs::write(&a, "x").unwrap();
        assert!(same_file(&a, &dir.path().join("./a.json")));
        assert!(same_file(
            &dir.path().join("new.json"),
            &dir.path().join(".").join("new.json")
        ));
        assert!(!same_file(&a, &dir.path().join("b.json")));
    }
}

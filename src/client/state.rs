//! What the client remembers between runs: per log key, the last
//! checkpoint it verified (and per server, the log key it pinned), written
//! atomically under a lock so that it never moves backwards.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the client remembers about one log, keyed by its verifier key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct TrustState {
    pub(super) log_key: String,
    /// The last checkpoint note this client verified, verbatim.
    pub(super) checkpoint: Option<String>,
}

pub(super) fn state_file(state_dir: &Path, log_key: &str) -> PathBuf {
    let id = hex::encode(&Sha256::digest(log_key.as_bytes())[..8]);
    state_dir.join(format!("log-{id}.json"))
}

/// A state file's text.
pub(super) fn state_json(state: &TrustState) -> Vec<u8> {
    serde_json::to_vec_pretty(state).unwrap_or_default()
}

/// Saves `state` at `path` unless the stored state has verified a larger
/// tree (by `size_of`): read, compare and write happen under an exclusive
/// lock, so that of two clients the one with the smaller tree cannot write
/// last. Then it returns the stored one, for the caller to prove its own
/// checkpoint consistent with.
pub(super) fn save_state(
    path: &Path,
    state: &TrustState,
    size_of: impl Fn(&TrustState) -> Option<u64>,
) -> std::io::Result<Option<TrustState>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"))?;
    lock.lock()?;
    if let Ok(text) = std::fs::read_to_string(path)
        && let Ok(stored) = serde_json::from_str::<TrustState>(&text)
        && size_of(&stored) > size_of(state)
    {
        return Ok(Some(stored));
    }
    write_atomic(path, &state_json(state)).map(|()| None)
    // The lock is released when `lock` is dropped.
}

/// Writes a file all at once: into a temporary file of a unique name in the
/// same directory (readable by the user only), synced, renamed over `path`,
/// and the directory synced. A reader sees the old file or the new one,
/// never half of one, and two writers never share a temporary file.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".attestera-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

/// The client's state directory: `$ATTESTERA_STATE_DIR`, else `$XDG_STATE_HOME/attestera`,
/// else `~/.local/state/attestera`.
pub fn default_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ATTESTERA_STATE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(d).join("attestera");
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".local/state/attestera"))
        .unwrap_or_else(|| PathBuf::from(".attestera-state"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state whose "checkpoint" is just its tree size, for the tests.
    fn state(size: u64) -> TrustState {
        TrustState {
            log_key: "k".into(),
            checkpoint: Some(size.to_string()),
        }
    }

    fn size_of(s: &TrustState) -> Option<u64> {
        s.checkpoint.as_deref()?.parse().ok()
    }

    #[test]
    fn concurrent_writers_never_leave_a_torn_or_older_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log-x.json");
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            // Two clients verifying growing trees, one the even sizes, one the odd.
            let writers: Vec<_> = [0u64, 1]
                .into_iter()
                .map(|parity| {
                    let path = &path;
                    scope.spawn(move || {
                        for n in (1..=300u64).filter(|n| n % 2 == parity) {
                            save_state(path, &state(n), size_of).unwrap();
                        }
                    })
                })
                .collect();
            // A reader sees whole files only, and sizes that never go down.
            let reader = scope.spawn(|| {
                let mut seen = 0;
                let mut reads = 0u64;
                while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        let stored: TrustState = serde_json::from_str(&text).expect("a whole file");
                        let size = size_of(&stored).unwrap();
                        assert!(size >= seen, "went back from {seen} to {size}");
                        seen = size;
                        reads += 1;
                    }
                }
            });
            for w in writers {
                w.join().unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            reader.join().unwrap();
        });
        let stored: TrustState =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(size_of(&stored), Some(300));
        // A smaller tree written later does not replace it, and its writer
        // is handed the larger one to prove its own checkpoint against.
        let newer = save_state(&path, &state(7), size_of).unwrap();
        assert_eq!(newer.as_ref().and_then(size_of), Some(300));
        let stored: TrustState =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(size_of(&stored), Some(300));
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}

//! The machine's own limits, measured in the same run: Ed25519
//! verifications per second on all cores, the fsync rate of the disk under
//! the temporary directory, and plain SHA-256 throughput.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::Digest;

use super::BenchError;

/// Ed25519 verifications per second with ring, one thread per core, each
/// verifying for `time`.
pub fn ed25519_per_second(time: Duration) -> Result<f64, BenchError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| BenchError::Randomness)?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| BenchError::Randomness)?;
    let message = b"attestera bench: a statement about the length of a real one, signed once";
    let signature = pair.sign(message).as_ref().to_vec();
    let public = pair.public_key().as_ref().to_vec();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let key = UnparsedPublicKey::new(&ED25519, &public);
                    let mut n = 0u64;
                    while start.elapsed() < time {
                        for _ in 0..64 {
                            if key.verify(message, &signature).is_ok() {
                                n += 1;
                            }
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    Ok(counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64())
}

/// Small writes, each followed by fsync, in a file under `dir`, for `time`.
pub fn fsyncs_per_second(dir: &Path, time: Duration) -> Result<f64, BenchError> {
    let path = dir.join("fsync-probe");
    let io = |e| BenchError::Io("mäta diskens fsync", e);
    let mut file = std::fs::File::create(&path).map_err(io)?;
    let block = [0x5au8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < time {
        file.write_all(&block).map_err(io)?;
        file.sync_data().map_err(io)?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

/// Plain SHA-256 of `bytes`, in MB/s (best of `rounds`).
pub fn sha256_mb_per_second(bytes: &[u8], rounds: usize) -> f64 {
    best_mb_per_second(bytes.len(), rounds, || {
        std::hint::black_box(sha2::Sha256::digest(bytes));
    })
}

/// MB/s of the fastest of `rounds` runs of `f` over `len` bytes.
pub fn best_mb_per_second(len: usize, rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed().as_secs_f64());
    }
    len as f64 / 1e6 / best.max(1e-9)
}

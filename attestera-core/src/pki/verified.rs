//! Remembered certificate checks. Whether a certificate's signature
//! verifies under its issuer's key, and whether it passes every check of
//! [`super::check_issued_by`] but the validity times, are facts of the two
//! DERs alone, and every approval in the log carries one of a few
//! certificates: checking each once, not once per approval, removes two of
//! an approval's three signature checks and most of its parsing, when
//! appending and when auditing. Only successes are kept (a failure is
//! checked again), keyed by SHA-256 of both DERs, and each memory is
//! bounded so that no input can grow it.
//!
//! An approval's own signature over its statement is remembered the same
//! way, keyed by everything the verification reads: the service checks it
//! when the request arrives, on all cores, and the one writer, checking the
//! entry again at its log time, finds it here instead of verifying it a
//! second time while it holds the write lock.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, RwLock};

use sha2::{Digest, Sha256};

use super::CertInfo;

/// Enough for every certificate of a large organisation and for the
/// approvals in flight; past it, the issued-by memory starts over and the
/// others keep their newer half ([`Recent`]).
const LIMIT: usize = 16_384;

static VERIFIED: LazyLock<RwLock<Recent>> = LazyLock::new(Default::default);

/// (algorithm, key, message, signature) that verified.
static MESSAGES: LazyLock<RwLock<Recent>> = LazyLock::new(Default::default);

/// The last [`LIMIT`] to [`LIMIT`] × 2 keys remembered: when the newer half
/// is full it becomes the older one, so that a burst of other checks (an
/// audit's, say) never forgets what was remembered just before it.
#[derive(Default)]
struct Recent {
    newer: HashSet<[u8; 32]>,
    older: HashSet<[u8; 32]>,
}

impl Recent {
    fn contains(&self, k: &[u8; 32]) -> bool {
        self.newer.contains(k) || self.older.contains(k)
    }

    fn insert(&mut self, k: [u8; 32]) {
        if self.newer.len() >= LIMIT {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(k);
    }
}

/// Certificate PEM texts that read as one X.509 certificate, with its DER:
/// an approval carries its certificate's PEM, and every check of it would
/// otherwise decode and parse it again.
static PEMS: LazyLock<RwLock<PemDers>> = LazyLock::new(Default::default);

/// PEM text to DER.
type PemDers = HashMap<Box<str>, Box<[u8]>>;

/// Most PEM texts kept (each about 2 KB with its DER): an organisation's certificates.
const PEM_LIMIT: usize = 2_048;

/// Longest PEM text kept: a real certificate is one or two KB, and a
/// request may carry a huge one that still parses (a self-signed
/// certificate with big extensions), which must not fill the memory.
const PEM_MAX_BYTES: usize = 16 * 1024;

/// The DER of a certificate PEM text that read before.
pub(crate) fn pem_der(text: &str) -> Option<Vec<u8>> {
    PEMS.read().ok()?.get(text).map(|der| der.to_vec())
}

/// Remembers that `text` reads as the certificate `der`.
pub(crate) fn remember_pem(text: &str, der: &[u8]) {
    if text.len() > PEM_MAX_BYTES {
        return;
    }
    if let Ok(mut map) = PEMS.write() {
        if map.len() >= PEM_LIMIT {
            map.clear();
        }
        map.insert(text.into(), der.into());
    }
}

/// Pairs that passed the whole issued-by check: the CA's info and the certificate's.
static ISSUED: LazyLock<RwLock<HashMap<[u8; 32], Infos>>> = LazyLock::new(Default::default);

/// A CA's info and that of a certificate it issued.
type Infos = (CertInfo, CertInfo);

/// The infos of a (certificate, CA) pair that passed every check but the times before.
pub(crate) fn issued(cert_der: &[u8], ca_der: &[u8]) -> Option<(CertInfo, CertInfo)> {
    let k = key(cert_der, ca_der);
    ISSUED.read().ok()?.get(&k).cloned()
}

/// Remembers that the pair passed every check (its times included, at one time).
pub(crate) fn remember_issued(cert_der: &[u8], ca_der: &[u8], ca: &CertInfo, info: &CertInfo) {
    let k = key(cert_der, ca_der);
    if let Ok(mut map) = ISSUED.write() {
        if map.len() >= LIMIT {
            map.clear();
        }
        map.insert(k, (ca.clone(), info.clone()));
    }
}

fn key(signed_der: &[u8], signer_der: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((signer_der.len() as u64).to_be_bytes());
    h.update(signer_der);
    h.update(signed_der);
    h.finalize().into()
}

/// Whether `signed_der`'s signature verifies under `signer_der`'s key, by
/// `check` the first time it succeeds and from memory after that.
pub(crate) fn signature_verified(
    signed_der: &[u8],
    signer_der: &[u8],
    check: impl FnOnce() -> bool,
) -> bool {
    remembered(&VERIFIED, key(signed_der, signer_der), check)
}

/// Whether `signature` over `message` verifies under `public_key` with
/// `alg`, by `check` the first time it succeeds and from memory after that.
pub(crate) fn message_verified(
    alg: &str,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
    check: impl FnOnce() -> bool,
) -> bool {
    let mut h = Sha256::new();
    for part in [alg.as_bytes(), public_key, message, signature] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    remembered(&MESSAGES, h.finalize().into(), check)
}

fn remembered(memory: &RwLock<Recent>, k: [u8; 32], check: impl FnOnce() -> bool) -> bool {
    if memory.read().is_ok_and(|m| m.contains(&k)) {
        return true;
    }
    if !check() {
        return false;
    }
    if let Ok(mut m) = memory.write() {
        m.insert(k);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_is_not_remembered_and_a_passed_one_is() {
        let (signed, signer) = (b"cert-a".as_slice(), b"ca-a".as_slice());
        assert!(!signature_verified(signed, signer, || false));
        let mut asked = 0;
        assert!(signature_verified(signed, signer, || {
            asked += 1;
            true
        }));
        assert!(signature_verified(signed, signer, || {
            asked += 1;
            false
        }));
        assert_eq!(asked, 1, "the second success came from memory");
        assert!(!signature_verified(b"cert-b", signer, || false));
    }

    #[test]
    fn a_pem_text_is_remembered_with_its_der_and_only_that_text() {
        assert_eq!(pem_der("pem-a"), None);
        remember_pem("pem-a", b"der-a");
        assert_eq!(pem_der("pem-a").as_deref(), Some(b"der-a".as_slice()));
        assert_eq!(pem_der("pem-a "), None);
        let huge = "x".repeat(PEM_MAX_BYTES + 1);
        remember_pem(&huge, b"der-huge");
        assert_eq!(pem_der(&huge), None, "a text past the bound is not kept");
    }

    #[test]
    fn a_key_is_kept_through_at_least_limit_later_insertions() {
        let mut recent = Recent::default();
        recent.insert([1; 32]);
        for i in 0..LIMIT as u32 {
            let mut k = [0; 32];
            k[..4].copy_from_slice(&i.to_be_bytes());
            k[4] = 2;
            recent.insert(k);
        }
        assert!(recent.contains(&[1; 32]));
        assert!(recent.newer.len() + recent.older.len() <= 2 * LIMIT);
    }

    #[test]
    fn a_message_is_remembered_only_with_the_same_key_and_signature() {
        assert!(message_verified("ed25519", b"k", b"m", b"s", || true));
        assert!(message_verified("ed25519", b"k", b"m", b"s", || false));
        assert!(!message_verified("ed25519", b"k", b"m", b"t", || false));
        assert!(!message_verified("ed25519", b"j", b"m", b"s", || false));
        assert!(!message_verified("ecdsa", b"k", b"m", b"s", || false));
        // Lengths are part of the key: moving a byte between parts is another key.
        assert!(!message_verified("ed25519", b"km", b"", b"s", || false));
    }
}

//! The log's reads share store reads (`service::read_cache`): one read of
//! the latest checkpoint for the requests waiting on it, and a map of the
//! stored hashes already read. Neither may show in an answer: a proof
//! after new appends is against the new checkpoint and verifies, and no
//! instance serves a checkpoint older than one another instance on the
//! same database committed before the request began.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use attestera::service::Service;
use attestera_core::tlog::{self, Checkpoint, NoteVerifier};

use crate::common::{DOC, Env, runtime};

const ORIGIN: &str = "test.attestera.local/log";

/// Every entry's proof against the latest checkpoint verifies against its signed root.
async fn every_proof_verifies(s: &Service, verifier: &NoteVerifier, size: u64) {
    let (latest, note) = s.checkpoint().await.unwrap();
    assert_eq!(latest, size, "the checkpoint of the latest append");
    let signed = Checkpoint::open_signed(verifier, ORIGIN, &note).expect("a signed checkpoint");
    assert_eq!(signed.size, size);
    for index in 0..size {
        let proof = s.inclusion_proof(index, None).await.unwrap();
        assert_eq!(proof.tree_size, size, "entry {index}");
        let (bytes, _) = s.entry(index).await.unwrap();
        assert_eq!(proof.leaf_hash, tlog::record_hash(&bytes), "entry {index}");
        tlog::verify_inclusion(&proof.leaf_hash, index, size, &proof.hashes, &signed.root)
            .unwrap_or_else(|e| panic!("entry {index} of {size}: {e}"));
    }
}

#[test]
fn a_proof_after_new_appends_is_against_the_new_checkpoint_and_verifies() {
    let env = Env::new();
    runtime().block_on(async {
        let s = env.service().await;
        let verifier = NoteVerifier::parse(&s.public_key()).unwrap();
        for round in 0..4 {
            // Appended by this instance, then by another process (the CLI).
            let own = s
                .register(format!("{DOC}\nEgen {round}\n").as_bytes(), "t")
                .await
                .unwrap();
            every_proof_verifies(&s, &verifier, own.checkpoint_size).await;
            let file = env.write("annan.txt", format!("{DOC}\nAnnan {round}\n"));
            env.ok(&["register", &file.to_string_lossy()]);
            every_proof_verifies(&s, &verifier, env.log_size()).await;
        }
    });
}

#[test]
fn two_instances_never_serve_a_checkpoint_older_than_one_the_other_committed() {
    let env = Env::new();
    runtime().block_on(async {
        let writer = env.service().await;
        let reader = Arc::new(env.service().await);
        let committed = Arc::new(AtomicU64::new(reader.checkpoint().await.unwrap().0));
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..8)
            .map(|_| {
                let (reader, committed, stop) = (reader.clone(), committed.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut reads = 0u64;
                    loop {
                        let before = committed.load(Ordering::SeqCst);
                        let (size, _) = reader.checkpoint().await.unwrap();
                        assert!(size >= before, "served {size} after {before} was committed");
                        reads += 1;
                        if stop.load(Ordering::SeqCst) {
                            return reads;
                        }
                    }
                })
            })
            .collect();
        for i in 0..30 {
            let r = writer
                .register(format!("{DOC}\nNr {i}\n").as_bytes(), "t")
                .await
                .unwrap();
            committed.fetch_max(r.checkpoint_size, Ordering::SeqCst);
            let (size, _) = reader.checkpoint().await.unwrap();
            assert!(size >= r.checkpoint_size, "{size} < {}", r.checkpoint_size);
        }
        stop.store(true, Ordering::SeqCst);
        for r in readers {
            assert!(r.await.unwrap() > 0);
        }
    });
}

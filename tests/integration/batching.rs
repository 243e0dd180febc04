//! The sequencer batches concurrent groups into one transaction: a refused
//! group is rolled back alone, accepted ones commit, and every acknowledged
//! append is covered by the checkpoint returned with it.

use std::sync::Arc;

use attestera::service::ServiceError;
use attestera_core::tlog::{Checkpoint, NoteVerifier};

use crate::common::{DOC, Env, runtime};

fn block(rows: &[&str]) -> String {
    format!(
        "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\n{}\n",
        rows.join("\n")
    )
}

#[test]
fn concurrent_groups_commit_or_roll_back_alone() {
    let env = Env::new();
    runtime().block_on(async {
        let service = Arc::new(env.service().await);
        let mut tasks = Vec::new();
        for i in 0..20 {
            // Each document three times: exactly one registration may win.
            for _ in 0..3 {
                let s = service.clone();
                tasks.push(tokio::spawn(async move {
                    (
                        "register",
                        s.register(format!("{DOC}\nBilaga {i}\n").as_bytes(), "t")
                            .await
                            .map(|r| r.log_index),
                    )
                }));
            }
            // An import whose block repeats a row: its second approval is a duplicate,
            // so the whole group (registration included) must roll back.
            let s = service.clone();
            let bad = format!(
                "{DOC}\nImport {i}\n\n{}",
                block(&["Anna Berg, Chef\t2020-01-01", "Anna Berg, Chef\t2020-01-01"])
            );
            tasks.push(tokio::spawn(async move {
                (
                    "bad-import",
                    s.import(bad.as_bytes(), "t")
                        .await
                        .map(|r| r.registered.log_index),
                )
            }));
        }
        let (mut ok, mut duplicate, mut rolled_back) = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                ("register", Ok(_)) => ok += 1,
                ("register", Err(ServiceError::Refused(r)))
                    if r.code() == "document_already_registered" =>
                {
                    duplicate += 1
                }
                ("bad-import", Err(ServiceError::Refused(r)))
                    if r.code() == "approval_duplicate" =>
                {
                    rolled_back += 1
                }
                (what, other) => panic!("{what}: unexpected {other:?}"),
            }
        }
        assert_eq!((ok, duplicate, rolled_back), (20, 40, 20));
        let size = service.store().log_size().await.unwrap();
        assert_eq!(
            size,
            1 + 20,
            "CA entry + 20 registrations; nothing of the refused imports"
        );
        assert_eq!(service.store().documents().await.unwrap().len(), 20);
        assert!(service.store().approvals().await.unwrap().is_empty());

        // The latest checkpoint covers everything, and fewer checkpoints than appends were signed.
        let verifier = NoteVerifier::parse(&service.public_key()).unwrap();
        let (cp_size, note) = service.checkpoint().await.unwrap();
        assert_eq!(
            Checkpoint::parse(verifier.open(&note).unwrap())
                .unwrap()
                .size,
            size
        );
        assert_eq!(cp_size, size);
        let report = service.audit().await.unwrap();
        assert!(report.ok, "{:?}", report.problems);
    });
}

#[test]
fn every_acknowledgement_carries_a_checkpoint_that_covers_it() {
    let env = Env::new();
    runtime().block_on(async {
        let service = Arc::new(env.service().await);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let s = service.clone();
                tokio::spawn(async move {
                    s.register(format!("{DOC}\nNr {i}\n").as_bytes(), "t")
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            let r = t.await.unwrap();
            assert!(
                r.checkpoint_size > r.log_index,
                "entry {} acknowledged before a checkpoint covered it",
                r.log_index
            );
            let proof = service
                .inclusion_proof(r.log_index, Some(r.checkpoint_size))
                .await
                .unwrap();
            assert_eq!(proof.tree_size, r.checkpoint_size);
        }
    });
}

/// Every append moves the head with it: after each batch, the head row
/// holds the log's size and the root recomputed from the entries' bytes,
/// which is the root the latest checkpoint signed.
#[test]
fn every_append_keeps_the_head() {
    use attestera_core::tlog::{self, MemoryHashes};
    let env = Env::new();
    runtime().block_on(async {
        let service = Arc::new(env.service().await);
        let verifier = NoteVerifier::parse(&service.public_key()).unwrap();
        for round in 0..4 {
            let mut tasks = Vec::new();
            for i in 0..=round {
                let s = service.clone();
                let text = format!("{DOC}\nOmgång {round} dokument {i}\n");
                tasks.push(tokio::spawn(async move {
                    s.register(text.as_bytes(), "t").await.map(|_| ())
                }));
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            let store = service.store();
            let size = store.log_size().await.unwrap();
            let mut tree = MemoryHashes::new();
            for (_, data, _) in store.entries(0, size).await.unwrap() {
                tree.append(&data);
            }
            let head = store.head().await.unwrap();
            assert_eq!(head.size, size, "round {round}");
            assert_eq!(
                head.root,
                tlog::tree_hash(size, &tree).unwrap(),
                "round {round}"
            );
            let (_, note) = service.checkpoint().await.unwrap();
            let signed = Checkpoint::parse(verifier.open(&note).unwrap()).unwrap();
            assert_eq!((signed.size, signed.root), (head.size, head.root));
        }
    });
}

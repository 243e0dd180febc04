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

/// The facts the sequencer reads for a run of entries at once are the
/// facts it would read for each entry alone, on either engine: registered
/// and unknown documents, given and missing approvals (repeated keys
/// included), the CA's and an unknown certificate.
#[test]
fn facts_read_for_many_keys_are_the_facts_of_each_key() {
    use attestera_core::pki;
    use attestera_core::rules::FactKeys;
    use attestera_core::tlog::Hash;
    let env = Env::new();
    runtime().block_on(async {
        let service = env.service().await;
        let imported = service
            .import(
                format!(
                    "{DOC}\nFakta\n\n{}",
                    block(&["Anna Berg, Chef\t2020-01-01"])
                )
                .as_bytes(),
                "t",
            )
            .await
            .unwrap();
        let approved = imported.registered.text_sha256;
        let plain = service
            .register(format!("{DOC}\nFakta utan godkännande\n").as_bytes(), "t")
            .await
            .unwrap()
            .text_sha256;
        let unknown = Hash::from([9; 32]);
        let ca = pki::fingerprint(service.ca_der());
        let who = |d: Hash, n: &str| Some((d, n.to_string(), "Chef".to_string()));
        let keys: Vec<FactKeys> = [
            (Some(approved), who(approved, "Anna Berg"), Some(ca)),
            (Some(approved), who(approved, "Bo Ek"), Some(unknown)),
            (Some(plain), who(plain, "Anna Berg"), None),
            (Some(unknown), who(unknown, "Anna Berg"), Some(ca)),
            (Some(approved), who(approved, "Anna Berg"), Some(ca)),
            (None, None, None),
        ]
        .into_iter()
        .map(|(document, approver, certificate)| FactKeys {
            document,
            approver,
            certificate,
            ..Default::default()
        })
        .collect();
        let mut tx = service.store().begin_append().await.unwrap();
        let many = tx.facts_many(&keys).await.unwrap();
        assert_eq!(many.len(), keys.len());
        for (k, got) in keys.iter().zip(&many) {
            let one = tx.facts(k).await.unwrap();
            assert_eq!(format!("{got:?}"), format!("{one:?}"), "{k:?}");
        }
        assert!(many[0].document_registered && many[0].approval_exists);
        assert!(many[0].certificate.is_some() && many[1].certificate.is_none());
        assert!(!many[1].approval_exists && !many[3].document_registered);
    });
}

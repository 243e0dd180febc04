//! The PostgreSQL store through the storage traits only (`Arc<dyn Store>`),
//! each test on its own fresh database, so that they run in parallel.
//!
//! PostgreSQL must listen on 127.0.0.1:5432 with trust authentication
//! (`ATTESTERA_TEST_PG_ADMIN` names another server's admin database); a
//! test fails, never skips, when it cannot be reached.

use std::sync::Arc;

use attestera::store::postgres::PgOptions;
use attestera::store::{EnrolmentRow, LogHead, SessionRow, Store, StoreError};
use attestera_core::rules::{
    ApprovalKind, ApprovalRow, CertificateRow, Change, DocumentRow, FactKeys, PdfInfo,
};
use attestera_core::tlog::{self, Hash};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::common::runtime;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const CA_PEM: &str = include_str!("../../keys/test-ca.cert.pem");

fn admin_url() -> String {
    std::env::var("ATTESTERA_TEST_PG_ADMIN").unwrap_or_else(|_| ADMIN_URL.to_string())
}

async fn admin() -> PgConnection {
    let url = admin_url();
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL svarar inte på {url} ({e}). Starta den med \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             (trust-autentisering för användaren postgres på 127.0.0.1:5432)"
        )
    })
}

/// A fresh database for one test, dropped when the guard goes.
struct TestDb {
    name: String,
}

impl TestDb {
    async fn new() -> TestDb {
        let mut random = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).unwrap();
        let name = format!("attestera_test_{}", hex::encode(random));
        // An identifier cannot be bound; this one is made of hex digits here.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin().await)
            .await
            .unwrap();
        TestDb { name }
    }

    fn url(&self) -> String {
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        format!("{base}/{}", self.name)
    }

    async fn open(&self) -> Arc<dyn Store> {
        attestera::store::open_postgres(&self.url(), &PgOptions::default())
            .await
            .expect("open the PostgreSQL store")
    }

    /// A direct connection, for what the traits do not show (migrations, locks).
    async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url()).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime: the database goes on a thread of its own.
        let _ = std::thread::spawn(move || {
            runtime().block_on(async move {
                if let Ok(mut c) = PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            })
        })
        .join();
    }
}

fn h(n: u8) -> Hash {
    Hash::sha256(&[n])
}

/// Appends one entry at the head the transaction locked, with its stored
/// hashes, the new head and a checkpoint; returns the index it got.
async fn append_one(store: &dyn Store, data: &[u8]) -> Result<u64, StoreError> {
    let mut tx = store.begin_append().await?;
    let head = tx.head().await?;
    let size = head.size;
    let leaf = tlog::record_hash(data);
    let siblings = tx.read_hashes(&tlog::append_indexes(size)).await?;
    let hashes = tlog::append_hashes(size, leaf, &siblings).unwrap();
    tx.insert_entry(size, data, &leaf, tlog::stored_hash_index(0, size), &hashes)
        .await?;
    let root = tlog::tree_hash_from(
        size + 1,
        &tx.read_hashes(&tlog::tree_hash_indexes(size + 1).unwrap())
            .await?,
    )
    .unwrap();
    let new = LogHead {
        size: size + 1,
        root,
    };
    tx.set_head(&head, &new).await?;
    tx.insert_checkpoint(size + 1, &format!("checkpoint {}", size + 1))
        .await?;
    tx.commit().await?;
    Ok(size)
}

/// The root over the stored entries, computed from their bytes.
async fn root_of_entries(store: &dyn Store) -> (u64, Hash) {
    let size = store.log_size().await.unwrap();
    let mut stored = std::collections::BTreeMap::new();
    for (i, data, _) in store.entries(0, size).await.unwrap() {
        let leaf = tlog::record_hash(&data);
        let siblings: Vec<Hash> = tlog::append_indexes(i).iter().map(|x| stored[x]).collect();
        for (k, h) in
            (tlog::stored_hash_index(0, i)..).zip(tlog::append_hashes(i, leaf, &siblings).unwrap())
        {
            stored.insert(k, h);
        }
    }
    let indexes = tlog::tree_hash_indexes(size).unwrap();
    let tree: Vec<Hash> = indexes.iter().map(|x| stored[x]).collect();
    (size, tlog::tree_hash_from(size, &tree).unwrap())
}

#[test]
fn postgres_migrations_apply_and_reopening_is_idempotent() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let store = db.open().await;
        let empty = LogHead {
            size: 0,
            root: tlog::empty_tree_hash(),
        };
        assert_eq!(store.head().await.unwrap(), empty);
        store.close().await;
        let again = db.open().await;
        assert_eq!(again.head().await.unwrap(), empty);
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&mut db.connect().await)
        .await
        .unwrap();
        let sqlite = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .unwrap()
            .count();
        assert_eq!(applied, (1..=sqlite as i64).collect::<Vec<_>>());
        again.close().await;
    });
}

#[test]
fn postgres_refuses_a_database_newer_than_the_binary() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        db.open().await.close().await;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, TRUE, $3, 0)",
        )
        .bind(9999_i64)
        .bind("from a newer attestera")
        .bind(vec![0u8; 48])
        .execute(&mut db.connect().await)
        .await
        .unwrap();
        let refused = attestera::store::open_postgres(&db.url(), &PgOptions::default()).await;
        match refused {
            Err(StoreError::Migrate(sqlx::migrate::MigrateError::VersionMissing(9999))) => {}
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("a newer database was opened"),
        }
    });
}

#[test]
fn postgres_append_commits_and_reads_back() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let store = db.open().await;
        for (i, data) in [b"a".as_slice(), b"bb", b"ccc"].into_iter().enumerate() {
            assert_eq!(append_one(&*store, data).await.unwrap(), i as u64);
        }
        // Another store on the same database sees what was committed.
        let other = db.open().await;
        let (size, root) = root_of_entries(&*other).await;
        assert_eq!(size, 3);
        assert_eq!(other.head().await.unwrap(), LogHead { size, root });
        let entries = other.entries(0, 3).await.unwrap();
        assert_eq!(
            entries.iter().map(|e| e.1.clone()).collect::<Vec<_>>(),
            vec![b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()]
        );
        for (i, data, leaf) in &entries {
            assert_eq!(leaf.as_slice(), tlog::record_hash(data).as_ref());
            assert_eq!(
                other.index_of_leaf(&tlog::record_hash(data)).await.unwrap(),
                Some(*i)
            );
        }
        assert_eq!(other.entry(1).await.unwrap(), Some(b"bb".to_vec()));
        assert_eq!(other.entry(3).await.unwrap(), None);
        let all = other.hashes_range(0, u64::MAX).await.unwrap();
        assert_eq!(all.len() as u64, tlog::stored_hash_count(3));
        let middle = other.hashes_range(1, 3).await.unwrap();
        assert_eq!(middle, all[1..3].to_vec());
        let some = other.read_hashes(&[all[2].0, all[0].0]).await.unwrap();
        assert_eq!(some, vec![all[2].1, all[0].1]);
        assert!(matches!(
            other.read_hashes(&[999]).await,
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(
            other.latest_checkpoint().await.unwrap(),
            Some((3, "checkpoint 3".to_string()))
        );
        let sizes: Vec<u64> = other
            .checkpoints()
            .await
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(sizes, vec![1, 2, 3]);
        let from: Vec<u64> = other
            .checkpoints_from(2)
            .await
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(from, vec![2, 3]);
        store.close().await;
        other.close().await;
    });
}

/// Two stores opened separately on one database, as two `serve` instances:
/// while one append holds the head row, the other's waits on the lock (seen
/// in `pg_locks`), and then extends the head the first committed.
#[test]
fn postgres_appends_from_two_stores_serialize_on_the_head_row() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let first = db.open().await;
        let second = db.open().await;

        let mut tx = first.begin_append().await.unwrap();
        let head = tx.head().await.unwrap();
        assert_eq!(head.size, 0);
        let waiting = tokio::spawn({
            let second = second.clone();
            async move {
                let mut tx = second.begin_append().await.unwrap();
                let seen = tx.head().await.unwrap();
                drop(tx);
                let index = append_one(&*second, b"second").await.unwrap();
                (seen, index)
            }
        });
        // The second append is blocked on the head row's lock before the first commits.
        let mut watch = db.connect().await;
        loop {
            let blocked: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE NOT l.granted AND a.datname = $1",
            )
            .bind(&db.name)
            .fetch_one(&mut watch)
            .await
            .unwrap();
            if blocked > 0 {
                break;
            }
            assert!(!waiting.is_finished(), "the second append did not wait");
            tokio::task::yield_now().await;
        }
        let leaf = tlog::record_hash(b"first");
        let hashes = tlog::append_hashes(0, leaf, &[]).unwrap();
        tx.insert_entry(0, b"first", &leaf, 0, &hashes)
            .await
            .unwrap();
        let root = tlog::tree_hash_from(
            1,
            &tx.read_hashes(&tlog::tree_hash_indexes(1).unwrap())
                .await
                .unwrap(),
        )
        .unwrap();
        let new = LogHead { size: 1, root };
        tx.set_head(&head, &new).await.unwrap();
        tx.insert_checkpoint(1, "checkpoint 1").await.unwrap();
        tx.commit().await.unwrap();

        let (seen, index) = waiting.await.unwrap();
        assert_eq!(seen, new, "the second append sees the first's head");
        assert_eq!(index, 1);
        let (size, root) = root_of_entries(&*first).await;
        assert_eq!(size, 2);
        assert_eq!(first.head().await.unwrap(), LogHead { size, root });
        first.close().await;
        second.close().await;
    });
}

/// Many appends at once from two stores: every one lands exactly once, at
/// its own index, and the head is the root over them all.
#[test]
fn postgres_concurrent_appends_from_two_stores_have_no_gap_or_duplicate() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let stores = [db.open().await, db.open().await];
        let mut tasks = Vec::new();
        for n in 0..24u32 {
            let store = stores[n as usize % 2].clone();
            tasks.push(tokio::spawn(async move {
                let data = format!("entry {n}").into_bytes();
                (append_one(&*store, &data).await.unwrap(), data)
            }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        let mut indexes: Vec<u64> = got.iter().map(|g| g.0).collect();
        indexes.sort_unstable();
        assert_eq!(indexes, (0..24).collect::<Vec<_>>());
        for (index, data) in &got {
            assert_eq!(stores[1].entry(*index).await.unwrap().as_ref(), Some(data));
        }
        let (size, root) = root_of_entries(&*stores[0]).await;
        assert_eq!(size, 24);
        assert_eq!(stores[1].head().await.unwrap(), LogHead { size, root });
        assert_eq!(stores[0].checkpoints().await.unwrap().len(), 24);
        for s in stores {
            s.close().await;
        }
    });
}

#[test]
fn postgres_rolled_back_append_leaves_nothing() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let store = db.open().await;
        let (_, changes) = changes();
        let before = store.head().await.unwrap();

        // Dropped before commit.
        let mut tx = store.begin_append().await.unwrap();
        let head = tx.head().await.unwrap();
        let leaf = tlog::record_hash(b"x");
        tx.insert_entry(
            0,
            b"x",
            &leaf,
            0,
            &tlog::append_hashes(0, leaf, &[]).unwrap(),
        )
        .await
        .unwrap();
        tx.apply(&changes[2]).await.unwrap();
        tx.set_head(
            &head,
            &LogHead {
                size: 1,
                root: leaf,
            },
        )
        .await
        .unwrap();
        tx.insert_checkpoint(1, "never").await.unwrap();
        drop(tx);
        assert_eq!(store.head().await.unwrap(), before);
        assert_eq!(store.log_size().await.unwrap(), 0);
        assert!(store.documents().await.unwrap().is_empty());
        assert_eq!(store.latest_checkpoint().await.unwrap(), None);

        // A failed statement: the group is undone and the batch goes on.
        let mut tx = store.begin_append().await.unwrap();
        tx.begin_group().await.unwrap();
        tx.apply(&changes[0]).await.unwrap();
        tx.keep_group().await.unwrap();
        tx.begin_group().await.unwrap();
        tx.apply(&changes[2]).await.unwrap();
        assert!(tx.apply(&changes[2]).await.is_err(), "a document twice");
        tx.undo_group().await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.certificates().await.unwrap().len(), 1);
        assert!(store.documents().await.unwrap().is_empty());

        // A failed statement that no group undid: the commit is refused.
        let mut tx = store.begin_append().await.unwrap();
        tx.apply(&changes[2]).await.unwrap();
        assert!(tx.apply(&changes[0]).await.is_err(), "a certificate twice");
        assert!(tx.commit().await.is_err());
        assert!(store.documents().await.unwrap().is_empty());
        assert_eq!(store.head().await.unwrap(), before);

        // A connection lost in the middle of an append is reported; nothing stays.
        let mut tx = store.begin_append().await.unwrap();
        tx.apply(&changes[2]).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'attestera'",
        )
        .bind(&db.name)
        .execute(&mut db.connect().await)
        .await
        .unwrap();
        assert!(tx.commit().await.is_err());
        // Reads go on, on fresh connections.
        assert!(store.documents().await.unwrap().is_empty());
        assert_eq!(append_one(&*store, b"after").await.unwrap(), 0);
        store.close().await;
    });
}

#[test]
fn postgres_tokens_sessions_enrolments_and_files_round_trip() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let store = db.open().await;
        let mac = |id: i64| format!("mac {id}").into_bytes();
        let id = store
            .insert_token("Anna", "admin", b"hash-1", "2026-01-01T00:00:00Z", &mac)
            .await
            .unwrap();
        let id2 = store
            .insert_token("Bo", "approver", b"hash-2", "2026-01-02T00:00:00Z", &mac)
            .await
            .unwrap();
        assert_eq!((id, id2), (1, 2));
        let t = store.token(id).await.unwrap().unwrap();
        assert_eq!((t.name.as_str(), t.role.as_str()), ("Anna", "admin"));
        assert_eq!(t.token_hash, b"hash-1");
        assert_eq!(t.mac, Some(b"mac 1".to_vec()));
        assert_eq!(t.revoked_at, None);
        assert!(
            store
                .insert_token("C", "admin", b"hash-1", "x", &mac)
                .await
                .is_err()
        );
        assert!(
            store
                .revoke_token(id2, "2026-02-01T00:00:00Z", b"new mac")
                .await
                .unwrap()
        );
        assert!(
            !store
                .revoke_token(id2, "2026-02-02T00:00:00Z", b"again")
                .await
                .unwrap()
        );
        let all = store.tokens().await.unwrap();
        assert_eq!(all.iter().map(|t| t.id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(all[1].revoked_at.as_deref(), Some("2026-02-01T00:00:00Z"));
        assert_eq!(all[1].mac, Some(b"new mac".to_vec()));
        assert!(store.token(99).await.unwrap().is_none());

        let session = SessionRow {
            id_hash: vec![7; 32],
            token_id: id,
            created_at: 1000,
            last_seen: 1000,
            mac: vec![1, 2, 3],
        };
        store.insert_session(&session).await.unwrap();
        store.touch_session(&session.id_hash, 1030).await.unwrap();
        assert_eq!(
            store
                .session(&session.id_hash)
                .await
                .unwrap()
                .unwrap()
                .last_seen,
            1000
        );
        store.touch_session(&session.id_hash, 1061).await.unwrap();
        let s = store.session(&session.id_hash).await.unwrap().unwrap();
        assert_eq!(
            (s.token_id, s.created_at, s.last_seen, s.mac),
            (id, 1000, 1061, vec![1, 2, 3])
        );
        let other = SessionRow {
            id_hash: vec![8; 32],
            last_seen: 5000,
            ..session.clone()
        };
        store.insert_session(&other).await.unwrap();
        assert_eq!(store.purge_sessions(2000).await.unwrap(), 1);
        assert!(store.session(&session.id_hash).await.unwrap().is_none());
        store.delete_session(&other.id_hash).await.unwrap();
        assert!(store.session(&other.id_hash).await.unwrap().is_none());

        let request = |n: u8, created_at: i64| EnrolmentRow {
            id: format!("{n:032x}"),
            token_id: id2,
            name: "Bo".into(),
            role: "nämndsekreterare".into(),
            public_key: vec![n; 65],
            key_fingerprint: h(n),
            created_at,
            mac: vec![n],
            refused: None,
        };
        use attestera::store::EnrolmentInsert::{Duplicate, Inserted, TooMany};
        assert_eq!(
            store
                .insert_enrolment(&request(1, 10), 5, &[])
                .await
                .unwrap(),
            Inserted
        );
        assert_eq!(
            store
                .insert_enrolment(&request(2, 20), 5, &[])
                .await
                .unwrap(),
            Inserted
        );
        let same_key = EnrolmentRow {
            id: "f".repeat(32),
            ..request(1, 30)
        };
        assert_eq!(
            store.insert_enrolment(&same_key, 5, &[]).await.unwrap(),
            Duplicate
        );
        // Two waiting: a limit of two refuses a third, unless one is issued.
        assert_eq!(
            store
                .insert_enrolment(&request(3, 25), 2, &[])
                .await
                .unwrap(),
            TooMany
        );
        let e = store.enrolment(&request(1, 10).id).await.unwrap().unwrap();
        assert_eq!(
            (e.public_key, e.key_fingerprint, e.mac),
            (vec![1; 65], h(1), vec![1])
        );
        // A claimed request cannot be refused until the claim lapses.
        assert!(
            store
                .claim_enrolment(&request(2, 20).id, 100, 0)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_enrolment(&request(2, 20).id, 101, 0)
                .await
                .unwrap()
        );
        let refusal = (40, "Anna".to_string(), "fel namn".to_string());
        assert!(
            !store
                .refuse_enrolment(&request(2, 20).id, &refusal, &[9], 50)
                .await
                .unwrap()
        );
        store.release_enrolment(&request(2, 20).id).await.unwrap();
        assert!(
            store
                .refuse_enrolment(&e.id, &refusal, &[9], 0)
                .await
                .unwrap()
        );
        let again = (41, "Anna".to_string(), "igen".to_string());
        assert!(
            !store
                .refuse_enrolment(&e.id, &again, &[9], 0)
                .await
                .unwrap()
        );
        assert!(
            !store.claim_enrolment(&e.id, 200, 0).await.unwrap(),
            "refused is never claimed"
        );
        let list = store.enrolments().await.unwrap();
        assert_eq!(
            list.iter().map(|e| e.created_at).collect::<Vec<_>>(),
            vec![20, 10]
        );
        assert_eq!(
            list[1].refused,
            Some((40, "Anna".into(), "fel namn".into()))
        );
        assert!(store.enrolment("nope").await.unwrap().is_none());

        // A document's file needs its document row.
        let (_, changes) = changes();
        let Change::Document(doc) = &changes[2] else {
            unreachable!()
        };
        let mut tx = store.begin_append().await.unwrap();
        tx.apply(&changes[2]).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!store.has_document_file(&doc.text_sha256).await.unwrap());
        store
            .insert_document_file(&doc.text_sha256, b"%PDF first")
            .await
            .unwrap();
        store
            .insert_document_file(&doc.text_sha256, b"second")
            .await
            .unwrap();
        assert!(store.has_document_file(&doc.text_sha256).await.unwrap());
        assert_eq!(
            store.document_file(&doc.text_sha256).await.unwrap(),
            Some(b"%PDF first".to_vec())
        );
        assert_eq!(
            store.document_file_keys().await.unwrap(),
            vec![doc.text_sha256.to_hex()]
        );
        assert_eq!(
            store
                .document_file_by_key(&doc.text_sha256.to_hex())
                .await
                .unwrap(),
            Some(b"%PDF first".to_vec())
        );
        assert!(store.document_file(&h(200)).await.unwrap().is_none());
        store.close().await;
    });
}

#[test]
fn postgres_health_answers() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let store = db.open().await;
        store.ping().await.unwrap();
        store.check_writable().await.unwrap();
        let corrupt = StoreError::Corrupt {
            table: "log_head",
            detail: "x".into(),
        };
        assert!(!store.write_failure_reason(&corrupt).await.is_empty());
        // A unique violation is the database's own failure, said without its text.
        let err = store
            .insert_token("A", "admin", b"same", "t", &|_| Vec::new())
            .await;
        assert!(err.is_ok());
        let err = store
            .insert_token("B", "admin", b"same", "t", &|_| Vec::new())
            .await
            .unwrap_err();
        let reason = store.write_failure_reason(&err).await;
        assert!(reason.contains("databasen"), "{reason}");
        assert!(!reason.contains("duplicate"), "{reason}");
        store.close().await;
        assert!(store.ping().await.is_err());
    });
}

/// The same changes, applied to a SQLite store and to a PostgreSQL store,
/// give the same answers from every projection read and from the facts.
#[test]
fn postgres_projections_match_sqlite() {
    runtime().block_on(async {
        let db = TestDb::new().await;
        let pg = db.open().await;
        let tmp = tempfile::tempdir().unwrap();
        let lite = attestera::store::open(&tmp.path().join("attestera.db"), true)
            .await
            .unwrap();
        let (ca, changes) = changes();
        for store in [&pg, &lite] {
            let mut tx = store.begin_append().await.unwrap();
            for c in &changes {
                tx.begin_group().await.unwrap();
                tx.apply(c).await.unwrap();
                tx.keep_group().await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        let Change::Document(text) = &changes[2] else {
            unreachable!()
        };
        let Change::Document(pdf) = &changes[3] else {
            unreachable!()
        };
        let skeleton = pdf.pdf.as_ref().unwrap().skeleton_sha256;
        let keys = [
            FactKeys::default(),
            FactKeys {
                document: Some(text.text_sha256),
                certificate: Some(ca.fingerprint),
                approver: Some((text.text_sha256, "Bo Ek".into(), "ordförande".into())),
                public_key: Some(ca.public_key.clone()),
                holder_name: Some("Bо Ek".into()),
            },
            FactKeys {
                document: Some(h(99)),
                certificate: Some(h(2)),
                approver: Some((pdf.text_sha256, "Bo Ek".into(), "ordförande".into())),
                public_key: Some(vec![1, 2, 3]),
                holder_name: Some("Ada".into()),
            },
        ];
        let mut answers = Vec::new();
        for store in [&pg, &lite] {
            let mut a = vec![
                format!("{:?}", store.documents().await.unwrap()),
                format!("{:?}", store.document(&text.text_sha256).await.unwrap()),
                format!("{:?}", store.document(&h(99)).await.unwrap()),
                format!(
                    "{:?}",
                    store
                        .documents_by_file(&[pdf.file_sha256, text.file_sha256, h(98)])
                        .await
                        .unwrap()
                ),
                format!(
                    "{:?}",
                    store.documents_by_skeleton(&skeleton).await.unwrap()
                ),
                format!("{:?}", store.approvals().await.unwrap()),
                format!("{:?}", store.approvals_of(&text.text_sha256).await.unwrap()),
                format!("{:?}", store.certificates().await.unwrap()),
                format!("{:?}", store.certificate(&ca.fingerprint).await.unwrap()),
                format!("{:?}", store.certificate(&h(2)).await.unwrap()),
                format!("{:?}", store.lookalike_names("Bо Ek").await.unwrap()),
            ];
            for (dnr, title) in [
                (Some("KS 2026/1"), None),
                (None, Some("Protokoll")),
                (Some("KS 2026/2"), Some("Protokoll")),
                (Some("KS 2026/1"), Some("Beslut")),
                (None, None),
            ] {
                a.push(format!(
                    "{:?}",
                    store.similar_documents(dnr, title).await.unwrap()
                ));
            }
            let mut tx = store.begin_append().await.unwrap();
            for k in &keys {
                a.push(format!("{:?}", tx.facts(k).await.unwrap()));
            }
            drop(tx);
            answers.push(a);
        }
        for (p, s) in answers[0].iter().zip(&answers[1]) {
            assert_eq!(p, s);
        }
        // And they are the rows applied, not two equal wrong answers.
        assert_eq!(pg.documents().await.unwrap().len(), 4);
        let certs = pg.certificates().await.unwrap();
        assert_eq!(certs[1].revoked_index, Some(7));
        assert_eq!(certs[1].revoke_reason.as_deref(), Some("nyckeln förlorad"));
        assert_eq!(pg.approvals_of(&text.text_sha256).await.unwrap().len(), 2);
        assert_eq!(
            pg.lookalike_names("Bо Ek").await.unwrap(),
            vec!["Bo Ek".to_string()]
        );
        pg.close().await;
        lite.close().await;
    });
}

/// The CA's parsed certificate and a sequence of every kind of change: the
/// CA, a holder's certificate, four documents (one a PDF, two without
/// dnr or title), a signed and an imported approval, and a revocation.
fn changes() -> (attestera_core::pki::CertInfo, Vec<Change>) {
    let der = attestera_core::pki::parse_certificate_pem(CA_PEM).unwrap();
    let ca = attestera_core::pki::CertInfo::from_der(&der).unwrap();
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let cert = |fingerprint: Hash, name: Option<&str>, is_ca: bool, index: u64| CertificateRow {
        fingerprint,
        serial: format!("{index:02x}"),
        name: name.map(str::to_string),
        role: (!is_ca).then(|| "ordförande".to_string()),
        org: Some("Skarpnäcks stadsdelsförvaltning".into()),
        not_before: t("2026-01-01T00:00:00Z"),
        not_after: t("2030-01-01T00:00:00Z"),
        is_ca,
        pem: CA_PEM.to_string(),
        issued_index: index,
        revoked_index: None,
        revoked_at: None,
        revoke_reason: None,
    };
    let doc = |n: u8, dnr: Option<&str>, title: Option<&str>, index: u64| DocumentRow {
        text_sha256: h(n),
        file_sha256: h(n + 100),
        file_size: 1000 + u64::from(n),
        title: title.map(str::to_string),
        dnr: dnr.map(str::to_string),
        namnd: Some("Kommunstyrelsen".into()),
        date: Some("2026-03-01".parse().unwrap()),
        handlaggare: None,
        log_index: index,
        registered_at: t("2026-03-02T10:00:00Z"),
        operator: "registrator".into(),
        pdf: None,
    };
    let approval = |document: Hash, kind: ApprovalKind, name: &str, index: u64| ApprovalRow {
        log_index: index,
        document,
        kind,
        name: name.into(),
        role: "ordförande".into(),
        date: "2026-03-03".parse().unwrap(),
        logged_at: t("2026-03-03T09:00:00Z"),
        signed_at: (kind == ApprovalKind::Signed).then(|| t("2026-03-03T08:59:00Z")),
        cert_fingerprint: (kind == ApprovalKind::Signed).then(|| h(1)),
        operator: (kind == ApprovalKind::Imported).then(|| "registrator".to_string()),
    };
    let mut pdf = doc(11, Some("KS 2026/2"), Some("Protokoll"), 3);
    pdf.pdf = Some(PdfInfo {
        pages: 4,
        extractor: "attestera-pdf 1".into(),
        skeleton_sha256: h(50),
    });
    let changes = vec![
        Change::Certificate(cert(ca.fingerprint, ca.name.as_deref(), true, 0)),
        Change::Certificate(cert(h(1), Some("Bo Ek"), false, 1)),
        Change::Document(doc(10, Some("KS 2026/1"), Some("Beslut"), 2)),
        Change::Document(pdf),
        Change::Document(doc(12, None, Some("Protokoll"), 4)),
        Change::Document(doc(13, Some("KS 2026/1"), None, 5)),
        Change::Approval(approval(h(10), ApprovalKind::Signed, "Bo Ek", 6)),
        Change::Revocation {
            fingerprint: h(1),
            log_index: 7,
            revoked_at: t("2026-04-01T00:00:00Z"),
            reason: "nyckeln förlorad".into(),
        },
        Change::Approval(approval(h(10), ApprovalKind::Imported, "Eva Ås", 8)),
    ];
    (ca, changes)
}

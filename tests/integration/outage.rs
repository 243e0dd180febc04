//! Outages: a full disk and a read-only database under a running server,
//! and a lying server that picks extreme times. The disk is real: a small
//! tmpfs mounted over the data directory (these tests need root, as CI has;
//! without it they fail with a message that says so, rather than pass
//! without having tried).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{DOC, Env, runtime};
use crate::http::{Server, log_size};

fn sh(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed (these outage tests need root: mount, chattr): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A data directory moved onto a tmpfs of `mib` MiB mounted in its place;
/// unmounted on drop.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn under(env: &Env, mib: u32) -> SmallDisk {
        let dir = env.data_dir();
        let kept = env.path("data.kept");
        std::fs::rename(&dir, &kept).unwrap();
        std::fs::create_dir(&dir).unwrap();
        sh(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mib}m,mode=0700"),
                "tmpfs",
                &dir.to_string_lossy(),
            ],
        );
        let disk = SmallDisk { dir: dir.clone() };
        sh(
            "cp",
            &[
                "-a",
                &format!("{}/.", kept.display()),
                &dir.to_string_lossy(),
            ],
        );
        disk
    }

    /// Fills the filesystem to the last byte; returns the filler's path.
    /// The WAL is emptied first: SQLite reuses a WAL's pages after a
    /// checkpoint, so a write that fits in them needs no new space.
    fn fill(&self) -> PathBuf {
        sqlite(
            &self.dir.join("attestera.db"),
            "PRAGMA wal_checkpoint(TRUNCATE)",
        );
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 16, 1 << 12, 1] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

/// Runs one statement on the database from a connection of the test's own.
fn sqlite(db: &Path, statement: &str) {
    let (db, statement) = (db.to_path_buf(), statement.to_string());
    std::thread::spawn(move || sqlite_here(&db, &statement))
        .join()
        .unwrap();
}

fn sqlite_here(db: &Path, statement: &str) {
    runtime().block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .args(["-l", &self.dir.to_string_lossy()])
            .status();
    }
}

/// Stops the server (so no file stays open) before the disk is unmounted.
fn stop(s: &mut Server) {
    let _ = s.child.kill();
    let _ = s.child.wait();
}

async fn register(c: &reqwest::Client, s: &Server, tag: &str) -> (StatusCode, Value) {
    let r = c
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&s.registrar)
        .body(format!("{DOC}\n{tag}\n"))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or_default())
}

async fn ready(c: &reqwest::Client, s: &Server) -> (StatusCode, Value) {
    let r = c.get(s.url("/readyz")).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts a failed append: 503, `append_failed`, a Swedish reason.
fn assert_append_failed(answer: &(StatusCode, Value), reason: &str) {
    assert_eq!(answer.0, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.1);
    assert_eq!(answer.1["code"], "append_failed", "{}", answer.1);
    let detail = answer.1["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("loggen kunde inte skrivas") && detail.contains(reason),
        "{detail}"
    );
}

/// Asserts readiness 503 with a problem document naming `reason`.
fn assert_not_ready(answer: &(StatusCode, Value), reason: &str) {
    assert_eq!(answer.0, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.1);
    assert_eq!(answer.1["code"], "not_ready", "{}", answer.1);
    let detail = answer.1["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(reason), "{detail}");
}

fn audit_passes(env: &Env) {
    let a = env.json(&["audit"]);
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
}

#[test]
fn a_full_disk_fails_appends_cleanly_and_they_resume_once_space_is_freed() {
    if crate::common::sqlite_only(
        "fills the tmpfs under the SQLite file; PostgreSQL runs in its own server",
    ) {
        return;
    }
    let env = Env::new();
    let disk = SmallDisk::under(&env, 8);
    let mut s = Server::start(env, &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        assert_eq!(register(&c, &s, "före").await.0, StatusCode::CREATED);
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
        let size = log_size(&c, &s).await;

        let filler = disk.fill();
        for i in 0..3 {
            let answer = register(&c, &s, &format!("full {i}")).await;
            assert_append_failed(&answer, "disken är full");
        }
        assert_not_ready(&ready(&c, &s).await, "disken är full");
        assert_eq!(log_size(&c, &s).await, size, "nothing half-written");

        std::fs::remove_file(filler).unwrap();
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
        let (status, body) = register(&c, &s, "efter").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(log_size(&c, &s).await, size + 1);
    });
    stop(&mut s);
    audit_passes(&s.env);
    drop(disk);
}

/// Makes files immutable (`chattr +i`) and mutable again on drop.
struct Immutable {
    paths: Vec<PathBuf>,
}

impl Immutable {
    fn set(paths: &[&Path]) -> Immutable {
        for p in paths {
            sh("chattr", &["+i", &p.to_string_lossy()]);
        }
        Immutable {
            paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = Command::new("chattr")
                .args(["-i", &p.to_string_lossy()])
                .status();
        }
    }
}

#[test]
fn a_read_only_database_fails_appends_cleanly_and_they_resume_once_writable() {
    if crate::common::sqlite_only("makes the SQLite file immutable (chattr +i)") {
        return;
    }
    let mut s = Server::start(Env::new(), &[]);
    let dir = s.env.data_dir();
    runtime().block_on(async {
        let c = reqwest::Client::new();
        assert_eq!(register(&c, &s, "före").await.0, StatusCode::CREATED);
        let size = log_size(&c, &s).await;
        let db = dir.join("attestera.db");
        let wal = dir.join("attestera.db-wal");
        let locked = Immutable::set(&[&db, &wal, &dir]);
        for i in 0..3 {
            let answer = register(&c, &s, &format!("skrivskyddad {i}")).await;
            assert_append_failed(&answer, "skrivskydd");
        }
        assert_not_ready(&ready(&c, &s).await, "skrivskydd");
        assert_eq!(log_size(&c, &s).await, size, "nothing half-written");

        drop(locked);
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
        let (status, body) = register(&c, &s, "efter").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(log_size(&c, &s).await, size + 1);
    });
    stop(&mut s);
    audit_passes(&s.env);
}

/// Asserts a command that could not write: exit 2, the code, a Swedish reason.
fn assert_cannot_write(r: &crate::common::Run, code: &str, reason: &str) {
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.error_code(), code, "{}", r.stdout);
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains(reason), "{message}");
}

/// The other write paths (token create and revoke, a local append) fail in
/// Swedish on a full disk, write nothing, and work again once there is
/// space. A running server keeps the WAL open, so the commands get as far
/// as their write; without it they stop at opening the database, which is
/// named the same way.
#[test]
fn every_write_path_of_the_command_line_fails_cleanly_on_a_full_disk_and_resumes() {
    if crate::common::sqlite_only("fills the tmpfs under the SQLite file") {
        return;
    }
    let env = Env::new();
    let disk = SmallDisk::under(&env, 8);
    let created = env.json(&["token", "create", "--role", "auditor", "--name", "före"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = created.json()["id"].as_i64().unwrap().to_string();
    let mut s = Server::start(env, &[]);
    let env = &s.env;
    let size = env.log_size();
    let tokens = env
        .json(&["token", "list"])
        .json()
        .as_array()
        .unwrap()
        .len();
    let doc = env.write("doc.txt", DOC);

    let filler = disk.fill();
    let full = "disken är full";
    let r = env.json(&["token", "create", "--role", "auditor", "--name", "full"]);
    assert_cannot_write(&r, "storage_not_writable", full);
    let r = env.json(&["token", "revoke", &id]);
    assert_cannot_write(&r, "storage_not_writable", full);
    let r = env.json(&["register", &doc.to_string_lossy()]);
    assert_cannot_write(&r, "append_failed", full);

    std::fs::remove_file(filler).unwrap();
    assert_eq!(env.log_size(), size, "nothing half-written");
    let listed = env.json(&["token", "list"]).json();
    assert_eq!(listed.as_array().unwrap().len(), tokens, "{listed}");
    assert!(listed[0]["revoked_at"].is_null(), "{listed}");
    assert_eq!(env.json(&["token", "revoke", &id]).code, 0);
    assert_eq!(env.json(&["register", &doc.to_string_lossy()]).code, 0);
    assert_eq!(env.log_size(), size + 1);
    stop(&mut s);
    audit_passes(&s.env);
    drop(disk);
}

/// Without a process holding the WAL open, a full disk stops a command at
/// opening the database: exit 2, named in Swedish, nothing written.
#[test]
fn opening_the_database_on_a_full_disk_is_named() {
    if crate::common::sqlite_only("opens the SQLite file on a full tmpfs") {
        return;
    }
    let env = Env::new();
    let disk = SmallDisk::under(&env, 8);
    let size = env.log_size();
    let doc = env.write("doc.txt", DOC);
    let filler = disk.fill();
    let r = env.json(&["register", &doc.to_string_lossy()]);
    assert_cannot_write(&r, "storage_not_writable", "disken är full");
    std::fs::remove_file(filler).unwrap();
    assert_eq!(env.log_size(), size);
    assert_eq!(env.json(&["register", &doc.to_string_lossy()]).code, 0);
    audit_passes(&env);
    drop(disk);
}

/// A data directory that cannot be written at all: the service does not
/// start half-way, and says why.
#[test]
fn a_write_protected_data_directory_is_named_at_start() {
    if crate::common::sqlite_only("write-protects the directory of the SQLite file") {
        return;
    }
    let env = Env::new();
    let dir = env.data_dir();
    let db = dir.join("attestera.db");
    let locked = Immutable::set(&[&db, &dir]);
    let r = env.json(&["log", "checkpoint"]);
    assert_cannot_write(&r, "storage_not_writable", "skrivskydd");
    let out = env
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skrivskydd"), "{stderr}");
    drop(locked);
    assert_eq!(env.json(&["log", "checkpoint"]).code, 0);
    audit_passes(&env);
}

// ---- A lying server that picks extreme times -------------------------------

mod extreme_times {
    use std::path::Path;

    use attestera::store::LogHead;
    use attestera_core::entry::{ENTRY_VERSION, Entry, EntryBody};
    use attestera_core::pki::{self, SigningKey};
    use attestera_core::rules::{self, Facts};
    use attestera_core::statement::Statement;
    use attestera_core::tlog::{self, Checkpoint, NoteSigner};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use jiff::Timestamp;
    use proptest::prelude::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };

    use crate::common::{DOC, Env, runtime};
    use crate::http::Server;

    const ORIGIN: &str = "test.attestera.local/log";
    const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");

    /// RFC 5280 §4.1.2.5: "no well-defined expiration date".
    fn no_expiry() -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(253_402_300_799).unwrap()
    }

    /// The last whole second jiff can represent (`Timestamp::MAX`, 9999-12-30T22:00:00Z),
    /// as a certificate's notAfter: valid at the end of time without clamping.
    fn last_representable() -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(253_402_207_200).unwrap()
    }

    /// An organisation CA and an approver ("Anna Berg, Chef"), both valid until `until`.
    struct FarPki {
        ca_pem: String,
        ca_key_pem: String,
        cert_pem: String,
        key: SigningKey,
    }

    fn far_pki(until: time::OffsetDateTime) -> FarPki {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let mut ca = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "Org attestera-CA");
        dn.push(DnType::OrganizationName, "Org");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = time::OffsetDateTime::from_unix_timestamp(1_577_836_800).unwrap();
        ca.not_after = until;
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let ca_key_pem = ca_key.serialize_pem();

        let user_pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let user_pem = pki::ca::private_key_pem(&user_pkcs8);
        let user_key = KeyPair::from_pem(&user_pem).unwrap();
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "Anna Berg");
        dn.push(DnType::CustomDnType(vec![2, 5, 4, 12]), "Chef");
        dn.push(DnType::OrganizationName, "Org");
        p.distinguished_name = dn;
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.not_before = time::OffsetDateTime::from_unix_timestamp(1_577_836_800).unwrap();
        p.not_after = until;
        let issuer =
            Issuer::from_ca_cert_pem(&ca_pem, KeyPair::from_pem(&ca_key_pem).unwrap()).unwrap();
        let cert_pem = p.signed_by(&user_key, &issuer).unwrap().pem();
        FarPki {
            ca_pem,
            ca_key_pem,
            cert_pem,
            key: SigningKey::from_pkcs8_pem(&user_pem, &ring::rand::SystemRandom::new()).unwrap(),
        }
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The last whole second jiff represents.
    fn end_of_time() -> Timestamp {
        Timestamp::from_second(Timestamp::MAX.as_second()).unwrap()
    }

    fn approval(
        p: &FarPki,
        document: [u8; 32],
        signed_at: Timestamp,
        logged_at: Timestamp,
    ) -> Entry {
        let statement = Statement::new(
            attestera_core::Hash(document),
            "Anna Berg",
            "Chef",
            signed_at,
        )
        .unwrap()
        .encode();
        let signature = STANDARD.encode(
            p.key
                .sign(statement.as_bytes(), &ring::rand::SystemRandom::new())
                .unwrap(),
        );
        Entry {
            v: ENTRY_VERSION,
            logged_at,
            body: EntryBody::Approval {
                statement,
                algorithm: p.key.alg(),
                signature,
                certificate: p.cert_pem.clone(),
            },
        }
    }

    fn facts_for(p: &FarPki) -> Facts {
        let issued = Entry {
            v: ENTRY_VERSION,
            logged_at: t("2026-01-02T00:00:00Z"),
            body: EntryBody::CertificateIssued {
                certificate: p.cert_pem.clone(),
                operator: "a".into(),
                lookalike_of: Vec::new(),
            },
        };
        let Ok(rules::Change::Certificate(cert)) = rules::change_of(1, &issued) else {
            panic!("a certificate entry");
        };
        Facts {
            ca_present: true,
            ca_since: None,
            document_registered: true,
            certificate: Some(cert),
            approval_exists: false,
            ..Facts::default()
        }
    }

    #[test]
    fn the_rfc_5280_no_expiry_date_reads_as_never_not_as_year_minus_9999() {
        let p = far_pki(no_expiry());
        for pem in [&p.ca_pem, &p.cert_pem] {
            let info = pki::CertInfo::from_der(&pki::parse_certificate_pem(pem).unwrap()).unwrap();
            assert_eq!(info.not_after, Timestamp::MAX, "{pem}");
        }
        let ca = pki::parse_certificate_pem(&p.ca_pem).unwrap();
        let cert = pki::parse_certificate_pem(&p.cert_pem).unwrap();
        for at in [
            t("2026-12-01T00:00:00Z"),
            t("9999-06-01T00:00:00Z"),
            end_of_time(),
        ] {
            pki::check_issued_by(&cert, &ca, at).unwrap_or_else(|e| panic!("{at}: {e}"));
        }
    }

    #[test]
    fn the_rules_do_not_overflow_at_the_ends_of_time() {
        for until in [no_expiry(), last_representable()] {
            let p = far_pki(until);
            let ca = pki::parse_certificate_pem(&p.ca_pem).unwrap();
            let facts = facts_for(&p);
            let end = end_of_time();
            let start = Timestamp::from_second(Timestamp::MIN.as_second() + 1).unwrap();
            for (signed, logged) in [(end, end), (start, end), (end, start), (start, start)] {
                let e = approval(&p, [7; 32], signed, logged);
                // Refused or accepted, but answered: the overflow was a panic.
                let answer = rules::check(9, &e, &ca, &facts);
                let code = answer.as_ref().err().map(|r| r.code());
                let expected = match logged == end {
                    // Certificates valid at the end of time: only the signing time decides.
                    true if signed == logged => None,
                    true => Some("signing_time_out_of_range"),
                    // At the start of time the CA is not yet valid.
                    false => Some("ca_invalid"),
                };
                assert_eq!(code, expected, "{until} {signed} {logged}");
            }
        }
    }

    #[test]
    fn stockholm_dates_exist_at_both_ends_of_time() {
        assert_eq!(
            attestera_core::stockholm::date_of(Timestamp::MAX).to_string(),
            "9999-12-30"
        );
        assert!(attestera_core::stockholm::date_of(Timestamp::MIN).year() == -9999);
    }

    #[test]
    fn a_validity_out_of_range_is_refused_not_overflowed() {
        let (ca_pem, ca_key) = pki::create_ca(
            "Org",
            attestera::service::now(),
            10,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let spki = pki::ca::public_key_der_of(&pki::ca::private_key_pem(
            &pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap(),
        ))
        .unwrap();
        let subject = pki::Subject {
            name: "Anna Berg".into(),
            role: "Chef".into(),
            org: "Org".into(),
        };
        for days in [i64::MIN, -1, 0, 3661, i64::MAX / 24, i64::MAX] {
            let e = pki::issue_certificate(
                &ca_pem,
                &ca_key,
                &subject,
                &spki,
                attestera::service::now(),
                days,
                &ring::rand::SystemRandom::new(),
            )
            .unwrap_err();
            assert_eq!(e.code(), "validity_invalid", "{days}: {e}");
        }
        for years in [0, -1, 11, i64::MAX] {
            let e = pki::create_ca(
                "Org",
                attestera::service::now(),
                years,
                &ring::rand::SystemRandom::new(),
            )
            .unwrap_err();
            assert_eq!(e.code(), "validity_invalid", "{years}: {e}");
        }
        // A CA at the end of time cannot extend its validity past it.
        let e =
            pki::create_ca("Org", end_of_time(), 1, &ring::rand::SystemRandom::new()).unwrap_err();
        assert_eq!(e.code(), "validity_invalid");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever time and bytes a server sends, decoding and the rules answer; none panics.
        #[test]
        fn random_entries_never_panic_the_rules(
            logged in near_the_ends(),
            signed in near_the_ends(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let p = fixture();
            let facts = facts_for(p);
            let ca = pki::parse_certificate_pem(&p.ca_pem).unwrap();
            let e = approval(
                p,
                [7; 32],
                Timestamp::from_second(signed).unwrap(),
                Timestamp::from_second(logged).unwrap(),
            );
            let _ = rules::check(3, &e, &ca, &facts);
            let mut bytes = e.encode();
            for (i, b) in &flips {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            if let Ok(decoded) = Entry::decode(&bytes) {
                let _ = rules::check(3, &decoded, &ca, &facts);
                let _ = attestera_core::verdict::check_approval_entry(3, &decoded, &ca, None);
                let _ = attestera_core::logtime::check([decoded.logged_at], attestera::service::now());
            }
        }
    }

    /// One far-future PKI for all proptest cases (key generation is slow).
    fn fixture() -> &'static FarPki {
        static F: std::sync::OnceLock<FarPki> = std::sync::OnceLock::new();
        F.get_or_init(|| far_pki(last_representable()))
    }

    /// Seconds anywhere in jiff's range, or within a day or ten minutes of either end.
    fn near_the_ends() -> impl Strategy<Value = i64> {
        let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
        prop_oneof![
            min..=max,
            max - 86_400..=max,
            max - 600..=max,
            min..=min + 86_400,
            min..=min + 600,
        ]
    }

    /// Appends `entries` (with their own times) behind the service's back, the
    /// way its sequencer does, and signs a checkpoint over them with the log key.
    fn forge(db: &Path, entries: Vec<Entry>) {
        let db = db.to_path_buf();
        std::thread::spawn(move || {
            runtime().block_on(async {
                let key = std::fs::read_to_string(format!("{KEYS}/test-log.key.pem")).unwrap();
                let der = pki::pem_block(&key, "PRIVATE KEY").unwrap();
                let signer = NoteSigner::from_pkcs8(ORIGIN, &der).unwrap();
                let store = attestera::store::open(&db, false).await.unwrap();
                let mut tx = store.begin_append().await.unwrap();
                let head = tx.head().await.unwrap();
                let mut size = head.size;
                for entry in entries {
                    let data = entry.encode();
                    let leaf = tlog::record_hash(&data);
                    let siblings = tx.read_hashes(&tlog::append_indexes(size)).await.unwrap();
                    let hashes = tlog::append_hashes(size, leaf, &siblings).unwrap();
                    let first = tlog::stored_hash_index(0, size);
                    tx.insert_entry(size, &data, &leaf, first, &hashes)
                        .await
                        .unwrap();
                    size += 1;
                }
                let indexes = tlog::tree_hash_indexes(size).unwrap();
                let root =
                    tlog::tree_hash_from(size, &tx.read_hashes(&indexes).await.unwrap()).unwrap();
                let body = Checkpoint {
                    origin: ORIGIN.into(),
                    size,
                    root,
                }
                .body();
                let note = signer.sign(&body).unwrap();
                tx.set_head(&head, &LogHead { size, root }).await.unwrap();
                tx.insert_checkpoint(size, &note).await.unwrap();
                tx.commit().await.unwrap();
                store.close().await;
            })
        })
        .join()
        .unwrap();
    }

    /// A data directory on the given PKI and the committed test log key.
    fn env_on(p: &FarPki) -> Env {
        let env = Env::empty();
        let ca = env.write("ca.cert.pem", &p.ca_pem);
        let key = env.write("ca.key.pem", &p.ca_key_pem);
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        env.ok(&[
            "init",
            "--origin",
            ORIGIN,
            "--ca-cert",
            &ca.to_string_lossy(),
            "--ca-key",
            &key.to_string_lossy(),
            "--log-signing-key",
            &format!("{KEYS}/test-log.key.pem"),
        ]);
        env
    }

    /// A server whose log holds an approval logged at the end of time, under
    /// a valid checkpoint: the client reports a forged log (exit 1, Swedish),
    /// it does not crash (exit 101); so does the local audit of that log.
    #[test]
    fn a_lying_server_with_an_entry_at_the_end_of_time_is_reported_not_crashed_on() {
        if crate::common::sqlite_only(
            "forges entries with the SQLite store opened on the file; the client side is the same on both",
        ) {
            return;
        }
        for until in [last_representable(), no_expiry()] {
            let p = far_pki(until);
            let s = Server::start(env_on(&p), &[]);
            let doc = s.env.write("doc.txt", DOC);
            s.env.ok(&["register", &doc.to_string_lossy()]);
            let id = attestera_core::document::read(DOC.as_bytes())
                .unwrap()
                .text_sha256;
            let document: [u8; 32] = id.0;
            let end = end_of_time();
            let issued = Entry {
                v: ENTRY_VERSION,
                logged_at: end,
                body: EntryBody::CertificateIssued {
                    certificate: p.cert_pem.clone(),
                    operator: "lögnare".into(),
                    lookalike_of: Vec::new(),
                },
            };
            forge(
                &s.env.data_dir().join("attestera.db"),
                vec![issued, approval(&p, document, end, end)],
            );

            let state = s.env.path("state");
            // The default verify proves only the document's own entries, so
            // it never reads the forged one (the tables do not name it); the
            // full replay and the audit read every entry and report it.
            let plain = s
                .env
                .command(&["--json", "verify", "doc.txt"])
                .env("ATTESTERA_SERVER", &s.base)
                .env("ATTESTERA_STATE_DIR", &state)
                .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
                .output()
                .unwrap();
            let plain = crate::common::finish(plain);
            assert_eq!(plain.code, 1, "{}{}", plain.stdout, plain.stderr);
            assert_eq!(plain.json()["status"], "failed", "{}", plain.stdout);
            for args in [
                vec!["verify", "--full-replay", "doc.txt"],
                vec!["audit"],
                vec!["log", "checkpoint"],
            ] {
                let mut all = vec!["--json"];
                all.extend_from_slice(&args);
                let out = s
                    .env
                    .command(&all)
                    .env("ATTESTERA_SERVER", &s.base)
                    .env("ATTESTERA_STATE_DIR", &state)
                    .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
                    .output()
                    .unwrap();
                let r = crate::common::finish(out);
                if args[0] == "log" {
                    // The checkpoint alone is genuine: it is signed and consistent.
                    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
                    continue;
                }
                assert_eq!(r.code, 1, "{args:?} ({until}): {}{}", r.stdout, r.stderr);
                let all = r.stdout.clone();
                assert!(all.contains("logged_in_future"), "{all}");
                assert!(all.contains("loggen är förfalskad"), "{all}");
            }
            let local = s.env.json(&["audit"]);
            assert_eq!(local.code, 1, "{}{}", local.stdout, local.stderr);
            assert!(
                local.stdout.contains("logged_in_future"),
                "{}",
                local.stdout
            );
        }
    }
}

/// A certificate validity out of range is refused on the command line and
/// over HTTP with its code before any arithmetic (sibling check: both
/// already bounded it; the certificate builder now bounds it too).
#[test]
fn a_validity_out_of_range_is_refused_on_the_command_line_and_over_http() {
    let s = Server::start(Env::new(), &[]);
    for days in ["0", "-5", "3661", "9223372036854775807"] {
        let days = format!("--days={days}");
        let r = s.env.json(&[
            "user",
            "add",
            "--name",
            "Anna Berg",
            "--role",
            "Chef",
            "--out",
            "anna",
            &days,
        ]);
        assert_eq!(
            (r.code, r.error_code().as_str()),
            (2, "invalid_range"),
            "{days}"
        );
        assert!(!s.env.path("anna/cert.pem").exists());
    }
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let pkcs8 =
            attestera_core::pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let key_pem = attestera_core::pki::ca::private_key_pem(&pkcs8);
        let spki = attestera_core::pki::ca::public_key_der_of(&key_pem).unwrap();
        let public_key = attestera_core::pki::to_pem("PUBLIC KEY", &spki);
        let size = log_size(&c, &s).await;
        for days in [0, i64::MAX, i64::MIN] {
            let r = c
                .post(s.url("/api/v1/certificates"))
                .bearer_auth(&s.admin)
                .json(&serde_json::json!({
                    "name": "Anna Berg", "role": "Chef", "public_key": public_key, "days": days
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{days}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["code"], "invalid_range", "{body}");
        }
        assert_eq!(log_size(&c, &s).await, size);
    });
}

/// An append dropped mid-transaction (an error on any statement returns
/// early) leaves nothing and does not hold up the next one: its connection
/// is closed, not handed back to the pool inside a transaction.
#[test]
fn an_append_dropped_mid_transaction_leaves_nothing_and_the_next_begins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("attestera.db");
    runtime().block_on(async {
        let store = attestera::store::open(&db, true).await.unwrap();
        for round in 0..3u8 {
            let mut tx = store.begin_append().await.unwrap();
            assert_eq!(tx.head().await.unwrap().size, 0, "round {round}");
            let leaf = attestera_core::tlog::record_hash(b"x");
            tx.insert_entry(0, b"x", &leaf, 0, &[leaf]).await.unwrap();
            tx.begin_group().await.unwrap();
            drop(tx);
        }
        assert_eq!(store.log_size().await.unwrap(), 0);
        store.close().await;
    });
}

/// A readiness check must never touch SQLite's own files: closing any
/// descriptor of them drops the process's POSIX locks (SQLite's "How to
/// corrupt", §2.2), and another process then checkpoints or deletes the WAL
/// under the server, losing acknowledged appends.
#[test]
fn readiness_checks_beside_another_writer_lose_no_append() {
    if crate::common::sqlite_only(
        "Python's sqlite3 opens the SQLite file beside the service (WAL checkpointing)",
    ) {
        return;
    }
    let mut s = Server::start(Env::new(), &[]);
    let mut indexes = Vec::new();
    runtime().block_on(async {
        let c = reqwest::Client::new();
        for round in 0..2 {
            let (status, body) = register(&c, &s, &format!("över http {round}")).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            indexes.push(body["log_index"].as_u64().unwrap());
        }
        assert_eq!(ready(&c, &s).await.0, StatusCode::OK);
    });
    // Another process reads the database and goes away (a backup, a
    // monitor): Python's sqlite3, which checkpoints and removes the WAL when
    // it believes it is the last connection.
    let db = s.env.data_dir().join("attestera.db");
    let read = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM log_entries').fetchall(); c.close()",
            &db.to_string_lossy(),
        ])
        .status()
        .unwrap();
    assert!(read.success());
    runtime().block_on(async {
        let c = reqwest::Client::new();
        for round in 0..2 {
            let (status, body) = register(&c, &s, &format!("efter {round}")).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            indexes.push(body["log_index"].as_u64().unwrap());
            // Another process appends to the same database meanwhile.
            let f = s.env.write(
                &format!("cli{round}.txt"),
                format!("{DOC}\nlokalt {round}\n"),
            );
            let r = s.env.json(&["register", &f.to_string_lossy()]);
            assert_eq!(r.code, 0, "{}", r.stdout);
            indexes.push(r.json()["log_index"].as_u64().unwrap());
        }
    });
    stop(&mut s);
    let mut unique = indexes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        indexes.len(),
        "an index given twice: {indexes:?}"
    );
    // Read back from disk by a fresh process: every acknowledged entry is there.
    let r = s.env.json(&["log", "checkpoint"]);
    assert_eq!(
        r.json()["tree_size"].as_u64(),
        Some(1 + indexes.len() as u64)
    );
    audit_passes(&s.env);
}

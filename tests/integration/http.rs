//! The real server on a free loopback port, driven over HTTP.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use attestera_core::pki::{self, SigningKey};
use attestera_core::statement::Statement;

use crate::common::{DOC, Env, SEED, runtime};

pub use crate::server::{Server, log_size};

async fn problem(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(ct, "application/problem+json", "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    (status, body["code"].as_str().unwrap().to_string())
}

/// An approver key, certified through the API by the admin.
pub async fn approver(
    c: &reqwest::Client,
    s: &Server,
    name: &str,
    role: &str,
) -> (SigningKey, String) {
    let pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let key_pem = pki::ca::private_key_pem(&pkcs8);
    let spki = pki::ca::public_key_der_of(&key_pem).unwrap();
    let resp = c
        .post(s.url("/api/v1/certificates"))
        .bearer_auth(&s.admin)
        .json(
            &json!({ "name": name, "role": role, "public_key": pki::to_pem("PUBLIC KEY", &spki) }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cert = resp.json::<Value>().await.unwrap()["certificate"]
        .as_str()
        .unwrap()
        .to_string();
    (
        SigningKey::from_pkcs8_der(&pkcs8, &ring::rand::SystemRandom::new()).unwrap(),
        cert,
    )
}

pub fn signed_approval(
    key: &SigningKey,
    cert: &str,
    doc_id: &str,
    name: &str,
    role: &str,
) -> Value {
    approval_signed_at(key, cert, doc_id, name, role, jiff::Timestamp::now())
}

#[test]
fn register_approve_block_verify_over_http() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let r = c
            .post(s.url("/api/v1/documents"))
            .bearer_auth(&s.registrar)
            .body(DOC)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["text_sha256"]
            .as_str()
            .unwrap()
            .to_string();

        let (anna_key, anna_cert) = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let r = c
            .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
            .bearer_auth(&s.approver)
            .json(&signed_approval(
                &anna_key,
                &anna_cert,
                &id,
                "Anna Berg",
                "Avdelningschef",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let receipt: Value = r.json().await.unwrap();
        // The receipt proves itself: the checkpoint is signed by the log key and includes the entry.
        let vkey = c
            .get(s.url("/api/v1/log/public-key"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let verifier = attestera_core::tlog::NoteVerifier::parse(vkey.trim()).unwrap();
        let cp = attestera_core::tlog::Checkpoint::parse(
            verifier
                .open(receipt["checkpoint"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        let proof = &receipt["inclusion_proof"];
        let hashes: Vec<_> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| attestera_core::tlog::from_base64(h.as_str().unwrap()).unwrap())
            .collect();
        let leaf = attestera_core::tlog::from_base64(proof["leaf_hash"].as_str().unwrap()).unwrap();
        attestera_core::tlog::verify_inclusion(
            &leaf,
            receipt["approval"]["log_index"].as_u64().unwrap(),
            cp.size,
            &hashes,
            &cp.root,
        )
        .unwrap();

        let block = c
            .get(s.url(&format!("/api/v1/documents/{id}/block")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(block.contains("Anna Berg, Avdelningschef\t"), "{block}");
        let v: Value = c
            .post(s.url("/api/v1/verify"))
            .body(format!("{DOC}\n{block}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "verified", "{v:#}");
        let v: Value = c
            .get(s.url(&format!("/api/v1/verify/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "verified", "{v:#}");
        let tampered: Value = c
            .post(s.url("/api/v1/verify"))
            .body(format!("{DOC}\n{block}").replace("3 nya", "4 nya"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(tampered["status"], "failed");

        // Document reads and search.
        let info: Value = c
            .get(s.url(&format!("/api/v1/documents/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["approvals"][0]["name"], "Anna Berg");
        let found: Value = c
            .get(s.url("/api/v1/documents?dnr=2026/1234&approver_contains=Anna"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(found.as_array().unwrap().len(), 1);
        let none: Value = c
            .get(s.url("/api/v1/documents?title=finns%20inte"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(none.as_array().unwrap().is_empty());
        let list: Value = c
            .get(s.url(&format!("/api/v1/documents/{id}/approvals")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);

        // Signature log for auditors, JSON and CSV with å/ä/ö intact.
        let sig: Value = c
            .get(s.url("/api/v1/signatures?person=Anna%20Berg"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(sig[0]["dnr"], "2026/1234");
        let csv = c
            .get(s.url("/api/v1/signatures?format=csv"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM for Excel");
        let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert!(csv.starts_with("loggpost;namn;roll;datum"), "{csv}");
        assert!(csv.contains("Upprustning av Björkhagens parker"), "{csv}");

        // Import of the seed, certificates, revocation.
        let r = c
            .post(s.url("/api/v1/imports"))
            .bearer_auth(&s.registrar)
            .body(SEED)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let certs: Value = c
            .get(s.url("/api/v1/certificates"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let fp = certs
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Anna Berg")
            .unwrap()["fingerprint"]
            .as_str()
            .unwrap()
            .to_string();
        let r = c
            .post(s.url(&format!("/api/v1/certificates/{fp}/revoke")))
            .bearer_auth(&s.admin)
            .json(&json!({"reason": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = c
            .post(s.url(&format!("/api/v1/certificates/{fp}/revoke")))
            .bearer_auth(&s.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::CONFLICT, "certificate_already_revoked".into())
        );
    });
}

#[test]
fn log_endpoints_serve_verifiable_data() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        for i in 0..5 {
            let r = c
                .post(s.url("/api/v1/documents"))
                .bearer_auth(&s.registrar)
                .body(format!("{DOC}\n{i}\n"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }
        let note = c
            .get(s.url("/api/v1/log/checkpoint"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let vkey = c
            .get(s.url("/api/v1/log/public-key"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let cp = attestera_core::tlog::Checkpoint::parse(
            attestera_core::tlog::NoteVerifier::parse(vkey.trim())
                .unwrap()
                .open(&note)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(cp.size, 6);
        let entries: Value = c
            .get(s.url("/api/v1/log/entries?start=0&limit=10"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(entries.as_array().unwrap().len(), 6);
        let mut tree = attestera_core::tlog::MemoryHashes::new();
        for e in entries.as_array().unwrap() {
            tree.append(e["data"].as_str().unwrap().as_bytes());
        }
        assert_eq!(attestera_core::tlog::tree_hash(6, &tree).unwrap(), cp.root);
        let one: Value = c
            .get(s.url("/api/v1/log/entries/3"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["index"], 3);
        let by_index: Value = c
            .get(s.url("/api/v1/log/proof/3?tree_size=6"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let leaf = one["leaf_hash"].as_str().unwrap();
        let by_hash: Value = c
            .get(s.url(&format!(
                    "/api/v1/log/proof?leaf_hash={}",
                    leaf.replace('+', "%2B")
                        .replace('/', "%2F")
                        .replace('=', "%3D")
                )))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(by_index, by_hash);
        let cons: Value = c
            .get(s.url("/api/v1/log/consistency?old=2&new=6"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let hashes: Vec<_> = cons["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| attestera_core::tlog::from_base64(h.as_str().unwrap()).unwrap())
            .collect();
        attestera_core::tlog::verify_consistency(
            2,
            6,
            &hashes,
            &attestera_core::tlog::tree_hash(2, &tree).unwrap(),
            &cp.root,
        )
        .unwrap();
        // Bad ranges are problems, not panics.
        for path in [
            "/api/v1/log/entries/99",
            "/api/v1/log/proof/18446744073709551615",
            "/api/v1/log/consistency?old=5&new=2",
            "/api/v1/log/consistency?old=x",
            "/api/v1/log/proof?leaf_hash=bm9wZQ==",
        ] {
            let r = c.get(s.url(path)).send().await.unwrap();
            let (status, _) = problem(r).await;
            assert!(status.is_client_error(), "{path}: {status}");
        }
        // Health, readiness, metrics, OpenAPI.
        assert_eq!(
            c.get(s.url("/healthz")).send().await.unwrap().status(),
            StatusCode::OK
        );
        assert_eq!(
            c.get(s.url("/readyz")).send().await.unwrap().status(),
            StatusCode::OK
        );
        let metrics = c
            .get(s.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("attestera_appends_total 5"), "{metrics}");
        let api: Value = c
            .get(s.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(api["openapi"], "3.1.0");
    });
}

/// The served OpenAPI description covers the API, and every operation in it
/// is routed (none answers "no such path" or "no such method").
#[test]
fn every_documented_operation_is_routed() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let doc: Value = c
            .get(s.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        let mut operations = 0;
        let id = "0".repeat(64);
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                assert!(
                    op["responses"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|k| k.starts_with('2')),
                    "{method} {path} describes its success"
                );
                let url = s.url(
                    &path
                        .replace("{id}", &id)
                        .replace("{fingerprint}", "ab")
                        .replace("{index}", "0"),
                );
                let req = match method.as_str() {
                    "get" => c.get(url),
                    "post" => c.post(url).bearer_auth(&s.admin).body("{}"),
                    other => panic!("unexpected method {other}"),
                };
                let resp = req.send().await.unwrap();
                if resp.status() == StatusCode::NOT_FOUND
                    || resp.status() == StatusCode::METHOD_NOT_ALLOWED
                {
                    let body: Value = resp.json().await.unwrap();
                    assert!(
                        body["code"] != "not_found" && body["code"] != "method_not_allowed",
                        "{method} {path} is not routed"
                    );
                }
            }
        }
        assert_eq!(
            operations, 27,
            "every operation of docs/api.md is described"
        );
        for schema in ["Verdict", "ApprovalRequest", "ApprovalReceipt", "Problem"] {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "schema {schema}"
            );
        }
    });
}

#[test]
fn roles_are_enforced() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let post = |path: &str, token: Option<&str>| {
            let r = c.post(s.url(path)).body(DOC.to_string());
            match token {
                Some(t) => r.bearer_auth(t),
                None => r,
            }
        };
        assert_eq!(
            problem(post("/api/v1/documents", None).send().await.unwrap()).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".into())
        );
        assert_eq!(
            problem(
                post("/api/v1/documents", Some("att_wrong"))
                    .send()
                    .await
                    .unwrap()
            )
            .await,
            (StatusCode::UNAUTHORIZED, "unauthorized".into())
        );
        for t in [&s.approver, &s.auditor] {
            assert_eq!(
                problem(post("/api/v1/documents", Some(t)).send().await.unwrap()).await,
                (StatusCode::FORBIDDEN, "forbidden".into())
            );
            assert_eq!(
                problem(post("/api/v1/imports", Some(t)).send().await.unwrap()).await,
                (StatusCode::FORBIDDEN, "forbidden".into())
            );
        }
        for t in [&s.registrar, &s.approver, &s.auditor] {
            let r = c
                .post(s.url("/api/v1/certificates"))
                .bearer_auth(t)
                .json(&json!({"name": "X", "role": "Y", "public_key": ""}))
                .send()
                .await
                .unwrap();
            assert_eq!(problem(r).await.0, StatusCode::FORBIDDEN);
        }
        for t in [&s.registrar, &s.approver] {
            let r = c
                .get(s.url("/api/v1/signatures"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            assert_eq!(problem(r).await.0, StatusCode::FORBIDDEN);
        }
        assert_eq!(
            c.get(s.url("/api/v1/signatures"))
                .bearer_auth(&s.admin)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        // Approving needs the approver role.
        let r = c
            .post(s.url(&format!("/api/v1/documents/{}/approvals", "0".repeat(64))))
            .bearer_auth(&s.registrar)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r).await.0, StatusCode::FORBIDDEN);
        // A revoked token stops working.
        let list = s.env.json(&["token", "list"]).json();
        let id = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["role"] == "registrar")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        s.env.ok(&["token", "revoke", &id.to_string()]);
        assert_eq!(
            problem(
                post("/api/v1/documents", Some(&s.registrar))
                    .send()
                    .await
                    .unwrap()
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        // Tokens are stored hashed: the secret is nowhere in the database
        // file (SQLite; PostgreSQL's files are its server's, not ours to read).
        if !crate::common::on_postgres() {
            let db = std::fs::read(s.env.data_dir().join("attestera.db")).unwrap();
            assert!(!db.windows(s.admin.len()).any(|w| w == s.admin.as_bytes()));
        }
    });
}

#[test]
fn closed_reads_need_a_token() {
    let s = Server::start(Env::new(), &["--closed-reads"]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let id = "ab".repeat(32);
        for path in [
            "/api/v1/log/checkpoint".to_string(),
            "/api/v1/log/public-key".into(),
            "/api/v1/log/entries".into(),
            "/api/v1/log/entries/0".into(),
            "/api/v1/log/proof/0".into(),
            "/api/v1/log/consistency?old=1&new=1".into(),
            "/api/v1/documents".into(),
            format!("/api/v1/documents/{id}"),
            format!("/api/v1/documents/{id}/block"),
            format!("/api/v1/documents/{id}/approvals"),
            "/api/v1/log/proof?leaf_hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
            format!("/api/v1/verify/{id}"),
            "/api/v1/certificates".into(),
        ] {
            let r = c.get(s.url(&path)).send().await.unwrap();
            assert_eq!(problem(r).await.0, StatusCode::UNAUTHORIZED, "{path}");
        }
        let r = c
            .post(s.url("/api/v1/verify"))
            .body(DOC)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r).await.0, StatusCode::UNAUTHORIZED, "POST /verify");
        // Any role may read; the scheme name is case-insensitive.
        let r = c
            .get(s.url("/api/v1/log/checkpoint"))
            .header("authorization", format!("bearer {}", s.auditor))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    });
}

#[test]
fn errors_are_problems_with_stable_codes() {
    let s = Server::start(Env::new(), &["--body-limit-mib", "1"]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let reg = |body: Vec<u8>| {
            c.post(s.url("/api/v1/documents"))
                .bearer_auth(&s.registrar)
                .body(body)
                .send()
        };
        assert_eq!(reg(DOC.into()).await.unwrap().status(), StatusCode::CREATED);
        assert_eq!(
            problem(reg(DOC.into()).await.unwrap()).await,
            (StatusCode::CONFLICT, "document_already_registered".into())
        );
        assert_eq!(
            problem(reg(Vec::new()).await.unwrap()).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "text_empty".into())
        );
        assert_eq!(
            problem(reg(b"a\x00b".to_vec()).await.unwrap()).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "text_binary".into())
        );
        // An announced body over the limit is refused before it is read (raw HTTP, so the
        // refusal can be read without racing the upload).
        let (status, body) = raw_request(&s.base, &format!("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n", s.registrar));
        assert!(status.contains(" 413 "), "{status}");
        assert!(body.contains("\"code\":\"body_too_large\""), "{body}");
        let r = c
            .get(s.url(&format!("/api/v1/documents/{}", "0".repeat(64))))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::NOT_FOUND, "document_not_registered".into())
        );
        let r = c
            .get(s.url("/api/v1/documents/not-a-digest"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::BAD_REQUEST, "invalid_document_id".into())
        );
        let r = c
            .post(s.url(&format!("/api/v1/documents/{}/approvals", "0".repeat(64))))
            .bearer_auth(&s.approver)
            .body("not json")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::BAD_REQUEST, "invalid_json".into())
        );
        let r = c
            .post(s.url("/api/v1/imports"))
            .bearer_auth(&s.registrar)
            .body(DOC.replace("Förslag", "Nytt förslag"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "block_missing".into())
        );
        let r = c.get(s.url("/api/v1/finns-inte")).send().await.unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::NOT_FOUND, "not_found".into())
        );
        // A refused request leaves nothing: 1 CA entry + 1 registration.
        let cp = c
            .get(s.url("/api/v1/log/checkpoint"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(cp.lines().nth(1), Some("2"));
    });
}

/// Registers `n` documents and returns their ids.
async fn register_many(c: &reqwest::Client, s: &Server, n: usize, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let r = c
            .post(s.url("/api/v1/documents"))
            .bearer_auth(&s.registrar)
            .body(format!("{DOC}\n{tag} {i}\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(
            r.json::<Value>().await.unwrap()["text_sha256"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids
}

#[test]
fn two_hundred_concurrent_approvals_all_land() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let ids = register_many(&c, &s, 200, "Ärende").await;
        let (key, cert) = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let key = std::sync::Arc::new(key);
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                let body = signed_approval(&key, &cert, id, "Anna Berg", "Avdelningschef");
                let url = s.url(&format!("/api/v1/documents/{id}/approvals"));
                let token = s.approver.clone();
                // A client of its own per request: many clients, many connections.
                tokio::spawn(async move {
                    reqwest::Client::new()
                        .post(url)
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut indexes = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            indexes.push(
                r.json::<Value>().await.unwrap()["approval"]["log_index"]
                    .as_u64()
                    .unwrap(),
            );
        }
        indexes.sort();
        indexes.dedup();
        assert_eq!(indexes.len(), 200, "every approval has its own entry");
        let metrics = c
            .get(s.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let batches: f64 = metrics
            .lines()
            .find(|l| l.starts_with("attestera_batch_size_count"))
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        println!("200 concurrent approvals went through in {batches} batches (all appends so far)");
    });
    let audit = s.env.json(&["audit"]);
    assert_eq!(audit.code, 0, "{}", audit.stdout);
    assert_eq!(audit.json()["approvals"], 200);
}

/// Concurrent approvals land in shared batches, whose facts the sequencer
/// reads once per run of entries: each approver is still accepted once per
/// document, and none after its certificate's revocation, wherever the
/// revocation falls among them; the audit agrees.
#[test]
fn concurrent_duplicates_and_a_revocation_keep_every_rule() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let ids = register_many(&c, &s, 40, "Kapplöpning").await;
        let (anna, anna_cert) = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let (bo, bo_cert) = approver(&c, &s, "Bo Ek", "Enhetschef").await;
        let bo_fp = pki::fingerprint(&pki::parse_certificate_pem(&bo_cert).unwrap()).to_hex();
        let mut bodies = Vec::new();
        for id in &ids {
            for _ in 0..3 {
                bodies.push((
                    id.clone(),
                    "Anna Berg",
                    signed_approval(&anna, &anna_cert, id, "Anna Berg", "Avdelningschef"),
                ));
            }
            bodies.push((
                id.clone(),
                "Bo Ek",
                signed_approval(&bo, &bo_cert, id, "Bo Ek", "Enhetschef"),
            ));
        }
        let approvals: Vec<_> = bodies
            .into_iter()
            .map(|(id, who, body)| {
                let url = s.url(&format!("/api/v1/documents/{id}/approvals"));
                let token = s.approver.clone();
                tokio::spawn(async move {
                    let r = reqwest::Client::new()
                        .post(url)
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    let status = r.status();
                    let body: Value = r.json().await.unwrap();
                    (id, who, status, body)
                })
            })
            .collect();
        let revoke = c
            .post(s.url(&format!("/api/v1/certificates/{bo_fp}/revoke")))
            .bearer_auth(&s.admin)
            .json(&json!({"reason": "lämnat"}))
            .send()
            .await
            .unwrap();
        assert_eq!(revoke.status(), StatusCode::OK);
        let revoked_at: Value = revoke.json().await.unwrap();
        let revoked_index = revoked_at["log_index"].as_u64().unwrap();
        let mut anna_per_doc = std::collections::HashMap::<String, usize>::new();
        let mut bo_accepted = Vec::new();
        for t in approvals {
            let (id, who, status, body) = t.await.unwrap();
            // Anna can only be refused as a duplicate, Bo only as revoked.
            match (who, status, body["code"].as_str()) {
                ("Anna Berg", StatusCode::CREATED, _) => {
                    assert_eq!(body["approval"]["name"], who);
                    *anna_per_doc.entry(id).or_default() += 1
                }
                ("Bo Ek", StatusCode::CREATED, _) => {
                    assert_eq!(body["approval"]["name"], who);
                    bo_accepted.push(body["approval"]["log_index"].as_u64().unwrap())
                }
                ("Anna Berg", _, Some("approval_duplicate"))
                | ("Bo Ek", _, Some("certificate_revoked")) => {}
                other => panic!("unexpected answer {other:?}: {body}"),
            }
        }
        assert_eq!(
            anna_per_doc.len(),
            ids.len(),
            "every document approved by Anna"
        );
        assert!(anna_per_doc.values().all(|n| *n == 1), "{anna_per_doc:?}");
        assert!(
            bo_accepted.iter().all(|i| *i < revoked_index),
            "an approval by Bo after his revocation at {revoked_index}: {bo_accepted:?}"
        );
    });
    let audit = s.env.json(&["audit"]);
    assert_eq!(audit.code, 0, "{}", audit.stdout);
}

#[test]
fn sigterm_under_load_loses_no_acknowledged_approval() {
    let mut s = Server::start(Env::new(), &[]);
    let acknowledged = runtime().block_on(async {
        let c = reqwest::Client::new();
        let ids = register_many(&c, &s, 120, "Last").await;
        let (key, cert) = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let (tx, mut first) = tokio::sync::mpsc::channel::<()>(1);
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                let body = signed_approval(&key, &cert, id, "Anna Berg", "Avdelningschef");
                let url = s.url(&format!("/api/v1/documents/{id}/approvals"));
                let token = s.approver.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let r = reqwest::Client::new()
                        .post(url)
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await;
                    let _ = tx.try_send(());
                    match r {
                        Ok(r) if r.status() == StatusCode::CREATED => r.json::<Value>().await.ok(),
                        _ => None,
                    }
                })
            })
            .collect();
        // Terminate as soon as the first answer is back, with the rest in flight.
        first.recv().await;
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &s.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let mut acknowledged = Vec::new();
        for t in tasks {
            if let Some(receipt) = t.await.unwrap() {
                acknowledged.push(receipt["approval"]["log_index"].as_u64().unwrap());
            }
        }
        acknowledged
    });
    let status = s.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    assert!(!acknowledged.is_empty());
    // Every acknowledged approval is in the log after the stop, and the log is whole.
    for index in &acknowledged {
        let e = s.env.json(&["log", "entry", &index.to_string()]);
        assert_eq!(e.code, 0);
        assert_eq!(e.json()["entry"]["kind"], "approval");
    }
    let audit = s.env.json(&["audit"]);
    assert_eq!(audit.code, 0, "{}", audit.stdout);
    println!(
        "{} of 120 approvals acknowledged before the stop; all present",
        acknowledged.len()
    );
}

/// Request logs name method, path and status, and never the token or the document.
#[test]
fn request_logs_hold_no_tokens_or_document_text() {
    let env = Env::new();
    let token = env
        .json(&["token", "create", "--role", "registrar", "--name", "logg"])
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let log_path = env.path("server.log");
    let mut child = env
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("ATTESTERA_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    runtime().block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{base}/api/v1/documents"))
            .bearer_auth(&token)
            .body(DOC)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    });
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("\"status\":201") && log.contains("/api/v1/documents"),
        "{log}"
    );
    assert!(!log.contains(&token), "token in the log");
    assert!(!log.contains("lekplatser"), "document text in the log");
    drop(stdout);
}

/// Sends raw bytes and returns (status line, body).
fn raw_request(base: &str, request: &str) -> (String, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.lines().next().unwrap_or_default().to_string();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

#[test]
fn the_remaining_role_and_input_rules() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        // Revoking a certificate is the admin's.
        for t in [&s.registrar, &s.approver, &s.auditor] {
            let r = c
                .post(s.url(&format!("/api/v1/certificates/{}/revoke", "ab".repeat(32))))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            assert_eq!(problem(r).await.0, StatusCode::FORBIDDEN);
        }
        // The signature log needs a token.
        assert_eq!(
            problem(c.get(s.url("/api/v1/signatures")).send().await.unwrap())
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        // Filters are checked.
        let r = c
            .get(s.url("/api/v1/documents?from=garbage"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::BAD_REQUEST, "invalid_range".into())
        );
        let r = c
            .get(s.url("/api/v1/signatures?format=xml"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::BAD_REQUEST, "invalid_format".into())
        );
        let r = c
            .get(s.url("/api/v1/log/entries/abc"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::BAD_REQUEST, "invalid_path".into())
        );
        let r = c
            .get(s.url("/api/v1/log/proof?leaf_hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::NOT_FOUND, "entry_not_found".into())
        );

        // LIKE wildcards in a filter are literal.
        let r = c
            .post(s.url("/api/v1/documents"))
            .bearer_auth(&s.registrar)
            .body(DOC)
            .send()
            .await
            .unwrap();
        let id = r.json::<Value>().await.unwrap()["text_sha256"]
            .as_str()
            .unwrap()
            .to_string();
        let found: Value = c
            .get(s.url("/api/v1/documents?title=%25"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            found.as_array().unwrap().is_empty(),
            "% matches only a literal %"
        );

        // An approval for another document than the path names, and one in someone else's name.
        let (anna_key, anna_cert) = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let (_, bo_cert) = approver(&c, &s, "Bo Ek", "Stadsdelsdirektör").await;
        let other = "ab".repeat(32);
        let r = c
            .post(s.url(&format!("/api/v1/documents/{other}/approvals")))
            .bearer_auth(&s.approver)
            .json(&signed_approval(
                &anna_key,
                &anna_cert,
                &id,
                "Anna Berg",
                "Avdelningschef",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "statement_document_mismatch".into()
            )
        );
        // Anna's key, Bo's certificate and name: the signature does not verify under Bo's key.
        let r = c
            .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
            .bearer_auth(&s.approver)
            .json(&signed_approval(
                &anna_key,
                &bo_cert,
                &id,
                "Bo Ek",
                "Stadsdelsdirektör",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "signature_invalid".into())
        );

        // A name that starts like a spreadsheet formula is neutralized in the CSV
        // ("=" is no longer a name's character; "-" is).
        let bo_key_cert = approver(&c, &s, "-Cecilia", "Chef").await;
        let r = c
            .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
            .bearer_auth(&s.approver)
            .json(&signed_approval(
                &bo_key_cert.0,
                &bo_key_cert.1,
                &id,
                "-Cecilia",
                "Chef",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let csv = c
            .get(s.url("/api/v1/signatures?format=csv"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.contains(";'-Cecilia;"), "{csv}");
    });
}

/// A statement signed at `at` (the rules bound how far from the log's time it may be).
fn approval_signed_at(
    key: &SigningKey,
    cert: &str,
    doc_id: &str,
    name: &str,
    role: &str,
    at: jiff::Timestamp,
) -> Value {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(doc_id, &mut digest).unwrap();
    let statement = Statement::new(attestera_core::Hash(digest), name, role, at)
        .unwrap()
        .encode();
    let signature = STANDARD.encode(
        key.sign(statement.as_bytes(), &ring::rand::SystemRandom::new())
            .unwrap(),
    );
    json!({ "statement": statement, "algorithm": key.alg(), "signature": signature, "certificate": cert })
}

/// A key and a certificate from the given CA files that were never logged.
fn unlogged_certificate(
    ca_pem: &str,
    ca_key: &str,
    name: &str,
    issued_at: jiff::Timestamp,
    days: i64,
) -> (SigningKey, String) {
    let pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let spki = pki::ca::public_key_der_of(&pki::ca::private_key_pem(&pkcs8)).unwrap();
    let subject = pki::Subject {
        name: name.into(),
        role: "Chef".into(),
        org: crate::common::ORG.into(),
    };
    let cert = pki::issue_certificate(
        ca_pem,
        ca_key,
        &subject,
        &spki,
        issued_at,
        days,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    (
        SigningKey::from_pkcs8_der(&pkcs8, &ring::rand::SystemRandom::new()).unwrap(),
        cert,
    )
}

#[test]
fn every_refusal_is_a_problem_with_its_code_and_writes_nothing() {
    let s = Server::start(Env::new(), &[]);
    let data = s.env.data_dir();
    let ca_pem = std::fs::read_to_string(data.join("ca.cert.pem")).unwrap();
    let ca_key = crate::common::open_key(data.join("ca.key.pem"));
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let id = register_many(&c, &s, 1, "refusals").await.remove(0);
        let size = || async {
            let cp = c
                .get(s.url("/api/v1/log/checkpoint"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            cp.lines().nth(1).unwrap().to_string()
        };
        let now = jiff::Timestamp::now();
        let (anna_key, anna_cert) = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let (bo_key, bo_cert) = approver(&c, &s, "Bo Ek", "Chef").await;
        let (dora_key, dora_cert) = approver(&c, &s, "Dora Lind", "Chef").await;
        let bo_fp = pki::fingerprint(&pki::parse_certificate_pem(&bo_cert).unwrap());
        let r = c
            .post(s.url(&format!("/api/v1/certificates/{bo_fp}/revoke")))
            .bearer_auth(&s.admin)
            .json(&json!({ "reason": "Nyckeln borttappad" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let anna_ok = signed_approval(&anna_key, &anna_cert, &id, "Anna Berg", "Avdelningschef");
        let r = c
            .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
            .bearer_auth(&s.approver)
            .json(&anna_ok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);

        let foreign_ca = pki::create_ca("Någon annan förvaltning", now, 1, &ring::rand::SystemRandom::new()).unwrap();
        let (foreign_key, foreign_cert) =
            unlogged_certificate(&foreign_ca.0, &foreign_ca.1, "Cilla", now, 1);
        let (unlogged_key, unlogged_cert) =
            unlogged_certificate(&ca_pem, &ca_key, "Cilla", now, 1);
        let past = now - jiff::SignedDuration::from_hours(24 * 10);
        let (old_key, old_cert) = unlogged_certificate(&ca_pem, &ca_key, "Cilla", past, 1);
        let mut malformed = anna_ok.clone();
        malformed["statement"] = json!("inte ett godkännande");
        let mut not_pem = anna_ok.clone();
        not_pem["certificate"] = json!("inte PEM");
        let approvals: Vec<(&str, Value, StatusCode, &str)> = vec![
            (
                "the same approver again",
                signed_approval(&anna_key, &anna_cert, &id, "Anna Berg", "Avdelningschef"),
                StatusCode::CONFLICT,
                "approval_duplicate",
            ),
            (
                "a statement that is not one",
                malformed,
                StatusCode::UNPROCESSABLE_ENTITY,
                "statement_malformed",
            ),
            (
                "a certificate that is not PEM",
                not_pem,
                StatusCode::BAD_REQUEST,
                "pem_invalid",
            ),
            (
                "a name other than the certificate's",
                signed_approval(&anna_key, &anna_cert, &id, "Anna Bergh", "Avdelningschef"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "statement_certificate_mismatch",
            ),
            (
                "signed two days ago",
                approval_signed_at(
                    &dora_key,
                    &dora_cert,
                    &id,
                    "Dora Lind",
                    "Chef",
                    now - jiff::SignedDuration::from_hours(48),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "signing_time_out_of_range",
            ),
            (
                "a revoked certificate",
                signed_approval(&bo_key, &bo_cert, &id, "Bo Ek", "Chef"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "certificate_revoked",
            ),
            (
                "another organisation's CA",
                signed_approval(&foreign_key, &foreign_cert, &id, "Cilla", "Chef"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "certificate_foreign",
            ),
            (
                "a certificate the log never issued",
                signed_approval(&unlogged_key, &unlogged_cert, &id, "Cilla", "Chef"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "certificate_unknown",
            ),
            (
                "an expired certificate",
                signed_approval(&old_key, &old_cert, &id, "Cilla", "Chef"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "certificate_expired",
            ),
        ];
        let before = size().await;
        for (what, body, status, code) in approvals {
            let r = c
                .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
                .bearer_auth(&s.approver)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(problem(r).await, (status, code.into()), "{what}");
        }

        let certify = |body: Value| {
            c.post(s.url("/api/v1/certificates"))
                .bearer_auth(&s.admin)
                .json(&body)
                .send()
        };
        let garbage_key = pki::to_pem("PUBLIC KEY", b"garbage");
        let good_key = {
            let pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
            pki::to_pem(
                "PUBLIC KEY",
                &pki::ca::public_key_der_of(&pki::ca::private_key_pem(&pkcs8)).unwrap(),
            )
        };
        let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
            (
                "a public key that is not PEM",
                json!({ "name": "Cilla", "role": "Chef", "public_key": "nyckel" }),
                StatusCode::BAD_REQUEST,
                "pem_invalid",
            ),
            (
                "a PEM public key that is not a key",
                json!({ "name": "Cilla", "role": "Chef", "public_key": garbage_key }),
                StatusCode::BAD_REQUEST,
                "key_invalid",
            ),
            (
                "a name with a control character",
                json!({ "name": "Cilla\u{7}", "role": "Chef", "public_key": good_key }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "subject_invalid",
            ),
        ];
        for (what, body, status, code) in cases {
            assert_eq!(
                problem(certify(body).await.unwrap()).await,
                (status, code.into()),
                "{what}"
            );
        }
        let r = c
            .post(s.url(&format!("/api/v1/certificates/{}/revoke", "ab".repeat(32))))
            .bearer_auth(&s.admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::UNPROCESSABLE_ENTITY, "certificate_unknown".into()),
            "revoking a certificate the log never issued"
        );

        let import = |body: Vec<u8>| {
            c.post(s.url("/api/v1/imports"))
                .bearer_auth(&s.registrar)
                .body(body)
                .send()
        };
        let today = now.in_tz("Europe/Stockholm").unwrap().date();
        let imports: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
            (
                "Latin-1 text",
                b"Tj\xe4nsteutl\xe5tande\n".to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "text_not_utf8",
            ),
            (
                "a row dated after attestera started",
                format!("{DOC}\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg, Chef\t{today}\n").into_bytes(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_after_start",
            ),
        ];
        for (what, body, status, code) in imports {
            assert_eq!(
                problem(import(body).await.unwrap()).await,
                (status, code.into()),
                "{what}"
            );
        }
        assert_eq!(size().await, before, "no refusal wrote anything");

        let unapproved = register_many(&c, &s, 1, "unapproved").await.remove(0);
        let r = c
            .get(s.url(&format!("/api/v1/documents/{unapproved}/block")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r).await,
            (StatusCode::CONFLICT, "no_approvals".into())
        );
    });
}

/// docs/examples/curl-approve.sh approves with nothing but openssl and curl,
/// with the key `user add` wrote; the server accepts it like the client's.
#[test]
fn an_approval_made_with_openssl_and_curl_is_accepted() {
    let s = Server::start(Env::new(), &[]);
    let doc = s.env.write("doc.txt", DOC);
    s.env.ok(&["register", &doc.to_string_lossy()]);
    let (key, cert) = s
        .env
        .user("maria", "Maria Mathiasson Laxvik", "Stadsdelsdirektör");
    let out = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/examples/curl-approve.sh"
        ))
        .args([doc.to_string_lossy().as_ref(), &key, &cert])
        .env("ATTESTERA_SERVER", &s.base)
        .env("ATTESTERA_TOKEN", &s.approver)
        .env(
            "KEY_PASSIN",
            format!("file:{}", s.env.passphrase_file().display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let receipt: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(receipt["approval"]["name"], "Maria Mathiasson Laxvik");
    assert_eq!(receipt["approval"]["role"], "Stadsdelsdirektör");
    let block = s.env.ok(&["block", &doc.to_string_lossy()]).stdout;
    assert!(
        block.contains("Maria Mathiasson Laxvik, Stadsdelsdirektör\t"),
        "{block}"
    );
}

/// Decodes an answer with the client's decoder into its wire type, and
/// checks that the type says everything the server said: serialized again,
/// it is the same JSON.
async fn round_trip<T>(resp: reqwest::Response, path: &str) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    let bytes = resp.bytes().await.unwrap();
    let value: T = attestera::client::decode(path, &bytes)
        .unwrap_or_else(|e| panic!("{path}: the client cannot decode the answer: {e}"));
    let served: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        served,
        "{path}: the wire type loses or changes something"
    );
    value
}

#[test]
fn client_and_server_agree_on_every_wire_type() {
    use attestera::wire;
    use attestera_core::rules::{ApprovalRow, CertificateRow, DocumentRow};
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let get = |path: &str| c.get(s.url(path)).bearer_auth(&s.auditor).send();

        let r = c
            .post(s.url("/api/v1/documents"))
            .bearer_auth(&s.registrar)
            .body(DOC);
        let registered: wire::Registered =
            round_trip(r.send().await.unwrap(), "POST /documents").await;
        let id = registered.text_sha256.to_hex();
        let r = c
            .post(s.url("/api/v1/imports"))
            .bearer_auth(&s.registrar)
            .body(SEED);
        let imported: wire::Imported = round_trip(r.send().await.unwrap(), "POST /imports").await;
        assert!(!imported.approvals.is_empty());

        // Certified, with and without confirmed look-alikes.
        let (key, cert) = approver(&c, &s, "Anna Kopec", "Chef").await;
        let pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let spki = pki::ca::public_key_der_of(&pki::ca::private_key_pem(&pkcs8)).unwrap();
        let request = wire::CertifyRequest {
            // Cyrillic Kopec: the same skeleton as the holder's name.
            name: "Anna \u{41A}\u{43E}\u{440}\u{435}\u{441}".into(),
            role: "Chef".into(),
            public_key: pki::to_pem("PUBLIC KEY", &spki),
            days: None,
            confirm_lookalike: true,
        };
        let r = c
            .post(s.url("/api/v1/certificates"))
            .bearer_auth(&s.admin)
            .json(&request);
        let certified: wire::Certified =
            round_trip(r.send().await.unwrap(), "POST /certificates").await;
        assert_eq!(certified.lookalike_of, ["Anna Kopec"]);

        let approval = signed_approval(&key, &cert, &id, "Anna Kopec", "Chef");
        let r = c
            .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
            .bearer_auth(&s.approver)
            .json(&approval);
        let receipt: wire::ApprovalReceipt =
            round_trip(r.send().await.unwrap(), "POST /documents/{id}/approvals").await;
        let proof = receipt.inclusion_proof.expect("a receipt with its proof");
        assert_eq!(proof.leaf_index, receipt.approval.log_index);

        let r = c
            .post(s.url(&format!(
                "/api/v1/certificates/{}/revoke",
                certified.fingerprint
            )))
            .bearer_auth(&s.admin)
            .json(&wire::RevokeRequest {
                reason: "test".into(),
            });
        let revoked: wire::Revoked =
            round_trip(r.send().await.unwrap(), "POST /certificates/{fp}/revoke").await;
        assert_eq!(revoked.fingerprint, certified.fingerprint);

        let docs: Vec<DocumentRow> =
            round_trip(get("/api/v1/documents").await.unwrap(), "GET /documents").await;
        assert_eq!(docs.len(), 2);
        let _: wire::DocumentInfo = round_trip(
            get(&format!("/api/v1/documents/{id}")).await.unwrap(),
            "GET /documents/{id}",
        )
        .await;
        let _: Vec<ApprovalRow> = round_trip(
            get(&format!("/api/v1/documents/{id}/approvals"))
                .await
                .unwrap(),
            "GET /documents/{id}/approvals",
        )
        .await;
        let certs: Vec<CertificateRow> = round_trip(
            get("/api/v1/certificates").await.unwrap(),
            "GET /certificates",
        )
        .await;
        assert!(certs.iter().any(|c| c.revoked_index.is_some()));
        let rows: Vec<wire::SignatureRow> =
            round_trip(get("/api/v1/signatures").await.unwrap(), "GET /signatures").await;
        assert!(!rows.is_empty());

        let size = log_size(&c, &s).await;
        let entries: Vec<wire::ServedEntry> = round_trip(
            get("/api/v1/log/entries?start=0&limit=1000").await.unwrap(),
            "GET /log/entries",
        )
        .await;
        assert_eq!(entries.len() as u64, size);
        let entry: wire::ServedEntry = round_trip(
            get("/api/v1/log/entries/1").await.unwrap(),
            "GET /log/entries/{i}",
        )
        .await;
        assert_eq!(entry, entries[1]);
        let by_index: wire::InclusionProof = round_trip(
            get("/api/v1/log/proof/1").await.unwrap(),
            "GET /log/proof/{i}",
        )
        .await;
        let leaf = entry.leaf_hash.to_base64();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("leaf_hash", &leaf)
            .finish();
        let by_hash: wire::InclusionProof = round_trip(
            get(&format!("/api/v1/log/proof?{query}")).await.unwrap(),
            "GET /log/proof?leaf_hash",
        )
        .await;
        assert_eq!(by_hash, by_index);
        let consistency: wire::ConsistencyProof = round_trip(
            get(&format!("/api/v1/log/consistency?old=1&new={size}"))
                .await
                .unwrap(),
            "GET /log/consistency",
        )
        .await;
        assert_eq!((consistency.old_size, consistency.new_size), (1, size));
        let named: wire::DocumentIndexes = round_trip(
            get(&format!(
                "/api/v1/log/indexes/documents/{id}?tree_size={size}"
            ))
            .await
            .unwrap(),
            "GET /log/indexes/documents/{id}",
        )
        .await;
        assert_eq!(
            (named.tree_size, named.registration, &named.approvals),
            (
                size,
                Some(registered.log_index),
                &vec![receipt.approval.log_index]
            )
        );
        // The CA's, Anna Kopec's, and her look-alike's (the same skeleton).
        assert_eq!(named.certificates.len(), 3, "{named:?}");
        let file = registered.file_sha256.to_hex();
        let found: wire::RegistrationIndexes = round_trip(
            get(&format!("/api/v1/log/indexes/registrations?file={file}"))
                .await
                .unwrap(),
            "GET /log/indexes/registrations",
        )
        .await;
        assert_eq!(found.registrations, [registered.log_index]);
        // The verdicts (POST /verify, GET /verify/{id}) are left out: the
        // core's findings carry `&'static str` codes and do not deserialize.
    });
}

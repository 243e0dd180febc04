//! Identities as an attacker tries them: names that read as someone else's,
//! a revoked key certified again, and junk riding into the permanent log
//! in a certificate field or a revocation reason. Through the binary and
//! over HTTP; every refusal writes nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use attestera_core::pki::{self, SigningKey};
use attestera_core::statement::Statement;

use crate::common::{DOC, Env, Run, finish, runtime};
use crate::http::{Server, log_size};

/// Runs a `--json` command that must be refused with `exit` and `code`,
/// leaving the log as it was; returns the run for its message.
fn refused(env: &Env, args: &[&str], exit: i32, code: &str) -> Run {
    let before = env.log_size();
    let r = env.json(args);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (exit, code),
        "{args:?}: {}\n{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(env.log_size(), before, "a refused command wrote to the log");
    r
}

fn message(r: &Run) -> String {
    r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The names an attacker would use to pass as "Anna Berg", and why each fails.
const FORGED_NAMES: [(&str, &str, &str); 9] = [
    ("\u{430}nna Berg", "Cyrillic а", "skriftsystem"),
    ("Anna B\u{3B5}rg", "Greek ε", "skriftsystem"),
    (
        "\u{FF21}\u{FF4E}\u{FF4E}\u{FF41} Berg",
        "fullwidth",
        "U+FF21",
    ),
    ("Anna\u{3164}Berg", "Hangul filler", "U+3164"),
    ("Anna Berg\u{FE0F}", "variation selector", "U+FE0F"),
    ("Anna\u{200D} Berg", "zero-width joiner", "U+200D"),
    ("Anna Berg\u{E000}", "private use", "U+E000"),
    ("Anna Berg, Stadsdelsdirektör", "comma", "kommatecken"),
    ("Anna Berg 2", "digit", "U+0032"),
];

#[test]
fn user_add_refuses_names_that_read_as_someone_else() {
    let env = Env::new();
    for (name, what, says) in FORGED_NAMES {
        let r = refused(
            &env,
            &[
                "user", "add", "--name", name, "--role", "Chef", "--out", "x",
            ],
            1,
            "subject_invalid",
        );
        assert!(message(&r).contains(says), "{what}: {}", message(&r));
        assert!(!env.path("x").exists(), "{what}: files were left behind");
    }
    for (role, what) in [
        ("Chef, förskola", "comma in the role"),
        ("Chef\u{200B}", "zero-width space"),
        ("C\u{43D}ef", "Cyrillic н"),
    ] {
        refused(
            &env,
            &[
                "user",
                "add",
                "--name",
                "Anna Berg",
                "--role",
                role,
                "--out",
                "x",
            ],
            1,
            "subject_invalid",
        );
        assert!(!env.path("x").exists(), "{what}");
    }
    env.user("anna", "Anna Berg", "Chef");
}

#[test]
fn an_imported_row_with_a_forged_name_is_refused() {
    let env = Env::new();
    let with_block = |name: &str| {
        format!(
            "{DOC}\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\n{name}, Avdelningschef\t2019-11-09\n"
        )
    };
    for (name, what, _) in FORGED_NAMES.iter().filter(|(n, ..)| !n.contains(',')) {
        let file = env.write("old.txt", with_block(name));
        let r = env.json(&["import", &file.to_string_lossy()]);
        assert_ne!(r.code, 0, "{what}: imported");
        assert_eq!(
            env.log_size(),
            1,
            "{what}: a refused import wrote to the log"
        );
    }
    let file = env.write("old.txt", with_block("Anna Berg"));
    env.ok(&["import", &file.to_string_lossy()]);
}

#[test]
fn a_lookalike_of_a_holder_needs_a_logged_confirmation_and_verify_warns() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let genuine = env.user("genuine", "Anna Kopec", "Chef");
    // The second word is all Cyrillic (К о р е с): one script per word, same skeleton.
    let twin = "Anna \u{41A}\u{43E}\u{440}\u{435}\u{441}";
    let args = [
        "user", "add", "--name", twin, "--role", "Chef", "--out", "twin",
    ];
    let r = refused(&env, &args, 1, "name_lookalike_unconfirmed");
    assert!(
        message(&r).contains("”Anna Kopec”") && message(&r).contains("--confirm-lookalike"),
        "{}",
        message(&r)
    );
    assert!(!env.path("twin").exists());

    let mut confirmed = args.to_vec();
    confirmed.push("--confirm-lookalike");
    let r = env.json(&confirmed);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["lookalike_of"], json!(["Anna Kopec"]));
    let index = r.json()["log_index"].as_u64().unwrap();
    let entry = String::from_utf8(env.entry_bytes(index)).unwrap();
    assert!(
        entry.ends_with(",\"lookalike_of\":[\"Anna Kopec\"]}"),
        "the confirmation is in the entry: {entry}"
    );
    let twin_user = (env.s("twin/key.pem"), env.s("twin/cert.pem"));

    assert_eq!(env.approve(&doc, &genuine).code, 0);
    assert_eq!(env.approve(&doc, &twin_user).code, 0);
    let block = env.ok(&["block", &doc.to_string_lossy()]).stdout;
    let copy = env.write("copy.txt", format!("{DOC}\n{block}"));
    let v = env.json(&["verify", &copy.to_string_lossy()]);
    assert_eq!(
        v.code, 0,
        "a confirmed look-alike still verifies: {}",
        v.stdout
    );
    let v = v.json();
    let warned: Vec<(String, bool)> = v["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let w = a["findings"].as_array().unwrap().iter().any(|f| {
                f["code"] == "signer_name_lookalike"
                    && f["severity"] == "warning"
                    && f["message"].as_str().unwrap().contains("”Anna Kopec”")
            });
            (a["name"].as_str().unwrap().to_string(), w)
        })
        .collect();
    assert_eq!(
        warned,
        vec![("Anna Kopec".to_string(), false), (twin.to_string(), true)]
    );
    assert_eq!(
        env.json(&["audit"]).code,
        0,
        "the audit accepts a confirmed look-alike"
    );
    // A client that trusts nothing reads the confirmation from the log itself.
    let copy = copy.to_string_lossy().into_owned();
    let s = Server::start(env, &[]);
    let state = s.env.path("client-state");
    let out = s
        .env
        .command(&["--json", "verify", &copy])
        .env("ATTESTERA_SERVER", &s.base)
        .env("ATTESTERA_STATE_DIR", &state)
        .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
        .output()
        .unwrap();
    let remote = finish(out);
    assert_eq!(remote.code, 0, "{}", remote.stdout);
    let codes: Vec<Vec<Value>> = remote.json()["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "signer_name_lookalike")
                .map(|f| f["severity"].clone())
                .collect()
        })
        .collect();
    assert_eq!(codes, vec![vec![], vec![json!("warning")]]);
}

#[test]
fn a_certified_key_is_never_certified_again() {
    let env = Env::new();
    let anna = env.user("anna", "Anna Berg", "Chef");
    let bo = env.user("bo", "Bo Ek", "Chef");
    env.ok(&[
        "user",
        "revoke",
        "--cert",
        &anna.1,
        "--reason",
        "Nyckeln borttappad",
    ]);
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
    let ca_key = format!("{keys}/test-ca.key.pem");
    for (key, name, what) in [
        (&anna.0, "Anna Berg", "a revoked key for the same person"),
        (&anna.0, "Cilla Ek", "a revoked key for someone else"),
        (&bo.0, "Cilla Ek", "another holder's live key"),
        (&bo.0, "Bo Ek", "a live key for its own holder again"),
        (&ca_key, "Cilla Ek", "the CA's own key"),
    ] {
        let r = refused(
            &env,
            &[
                "user", "add", "--name", name, "--role", "Chef", "--key", key, "--out", "again",
            ],
            1,
            "key_already_certified",
        );
        assert!(message(&r).contains("ny nyckel"), "{what}: {}", message(&r));
        assert!(!env.path("again/cert.pem").exists(), "{what}: files left");
    }
    // The same holds for a revoked key presented over HTTP.
    let spki = pki::ca::public_key_der_of(&crate::common::open_key(&anna.0)).unwrap();
    let s = Server::start(env, &[]);
    runtime().block_on(async {
        let resp = reqwest::Client::new()
            .post(s.url("/api/v1/certificates"))
            .bearer_auth(&s.admin)
            .json(&json!({ "name": "Anna Berg", "role": "Chef", "public_key": pki::to_pem("PUBLIC KEY", &spki) }))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(resp).await, (StatusCode::UNPROCESSABLE_ENTITY, "key_already_certified".into()));
    });
}

#[test]
fn a_certificate_file_with_junk_is_not_logged() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let anna = env.user("anna", "Anna Berg", "Chef");
    let cert = std::fs::read_to_string(&anna.1).unwrap();
    let junk = "Personnummer 19121212-1212\n".repeat(100);
    for (bad, what) in [
        (format!("{cert}{junk}"), "text after"),
        (format!("{junk}{cert}"), "text before"),
        (format!("{cert}{cert}"), "two certificates"),
        (
            cert.replacen("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1),
            "a header",
        ),
    ] {
        let file = env.write("bad.pem", bad);
        let r = refused(
            &env,
            &[
                "approve",
                &doc.to_string_lossy(),
                "--key",
                &anna.0,
                "--cert",
                &file.to_string_lossy(),
                "--yes",
            ],
            1,
            "certificate_extra_data",
        );
        assert!(message(&r).contains("exakt ett"), "{what}: {}", message(&r));
    }
}

async fn problem(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(
        !body["detail"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

async fn certify(c: &reqwest::Client, s: &Server, body: Value) -> reqwest::Response {
    c.post(s.url("/api/v1/certificates"))
        .bearer_auth(&s.admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn new_key() -> (SigningKey, String) {
    let pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let spki = pki::ca::public_key_der_of(&pki::ca::private_key_pem(&pkcs8)).unwrap();
    (
        SigningKey::from_pkcs8_der(&pkcs8, &ring::rand::SystemRandom::new()).unwrap(),
        pki::to_pem("PUBLIC KEY", &spki),
    )
}

#[test]
fn over_http_forged_names_lookalikes_junk_and_long_reasons_are_refused() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        for (name, what, _) in FORGED_NAMES {
            let before = log_size(&c, &s).await;
            let resp = certify(&c, &s, json!({ "name": name, "role": "Chef", "public_key": new_key().1 })).await;
            assert_eq!(problem(resp).await, (StatusCode::UNPROCESSABLE_ENTITY, "subject_invalid".into()), "{what}");
            assert_eq!(log_size(&c, &s).await, before, "{what}");
        }
        let (anna_key, anna_pub) = new_key();
        let resp = certify(&c, &s, json!({ "name": "Anna Bergman", "role": "Chef", "public_key": anna_pub })).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let anna: Value = resp.json().await.unwrap();
        // "rn" reads as "m": a Latin-only look-alike.
        let twin = json!({ "name": "Anna Bergrnan", "role": "Chef", "public_key": new_key().1 });
        let resp = certify(&c, &s, twin.clone()).await;
        assert_eq!(problem(resp).await, (StatusCode::UNPROCESSABLE_ENTITY, "name_lookalike_unconfirmed".into()));
        let mut confirmed = twin;
        confirmed["confirm_lookalike"] = json!(true);
        let resp = certify(&c, &s, confirmed).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let twin: Value = resp.json().await.unwrap();
        assert_eq!(twin["lookalike_of"], json!(["Anna Bergman"]));

        // An approval whose certificate field carries more than the certificate.
        let doc_id = c
            .post(s.url("/api/v1/documents"))
            .bearer_auth(&s.registrar)
            .body(DOC)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["text_sha256"]
            .as_str()
            .unwrap()
            .to_string();
        let cert = anna["certificate"].as_str().unwrap().to_string();
        let approval = |certificate: String| {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(&doc_id, &mut digest).unwrap();
            let text = Statement::new(attestera_core::Hash(digest), "Anna Bergman", "Chef", jiff::Timestamp::now())
                .unwrap()
                .encode();
            let signature = STANDARD.encode(anna_key.sign(text.as_bytes(), &ring::rand::SystemRandom::new()).unwrap());
            json!({ "statement": text, "algorithm": anna_key.alg(), "signature": signature, "certificate": certificate })
        };
        let junk = "Personnummer 19121212-1212. ".repeat(4000);
        let before = log_size(&c, &s).await;
        for bad in [format!("{cert}{junk}"), format!("{junk}\n{cert}"), format!("{cert}{cert}")] {
            let resp = c
                .post(s.url(&format!("/api/v1/documents/{doc_id}/approvals")))
                .bearer_auth(&s.approver)
                .json(&approval(bad))
                .send()
                .await
                .unwrap();
            assert_eq!(problem(resp).await, (StatusCode::UNPROCESSABLE_ENTITY, "certificate_extra_data".into()));
        }
        assert_eq!(log_size(&c, &s).await, before);
        // The same certificate with CRLF line ends is stored canonically (LF).
        let resp = c
            .post(s.url(&format!("/api/v1/documents/{doc_id}/approvals")))
            .bearer_auth(&s.approver)
            .json(&approval(cert.replace('\n', "\r\n")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let index = resp.json::<Value>().await.unwrap()["approval"]["log_index"].as_u64().unwrap();
        let entries: Value = c
            .get(s.url(&format!("/api/v1/log/entries?start={index}&limit=1")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data: Value = serde_json::from_str(entries[0]["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["certificate"], json!(cert));

        // A revocation reason is bounded: 500 characters, not 100 000.
        let revoke = |fp: &str, reason: String| {
            c.post(s.url(&format!("/api/v1/certificates/{fp}/revoke")))
                .bearer_auth(&s.admin)
                .json(&json!({ "reason": reason }))
                .send()
        };
        let fp = twin["fingerprint"].as_str().unwrap();
        let before = log_size(&c, &s).await;
        let resp = revoke(fp, "x".repeat(100_000)).await.unwrap();
        assert_eq!(problem(resp).await, (StatusCode::UNPROCESSABLE_ENTITY, "entry_field_invalid".into()));
        let resp = revoke(fp, "Rad ett\nrad två".into()).await.unwrap();
        assert_eq!(problem(resp).await, (StatusCode::UNPROCESSABLE_ENTITY, "entry_field_invalid".into()));
        assert_eq!(log_size(&c, &s).await, before);
        let resp = revoke(fp, "å".repeat(500)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    });
}

#[test]
fn a_long_reason_or_operator_is_refused_in_the_cli() {
    let env = Env::new();
    let anna = env.user("anna", "Anna Berg", "Chef");
    let r = refused(
        &env,
        &[
            "user",
            "revoke",
            "--cert",
            &anna.1,
            "--reason",
            &"x".repeat(100_000),
        ],
        1,
        "entry_field_invalid",
    );
    assert!(message(&r).contains("500"), "{}", message(&r));
    let doc = env.write("doc.txt", DOC);
    let before = env.log_size();
    let out = env
        .command(&["--json", "register", &doc.to_string_lossy()])
        .env("ATTESTERA_OPERATOR", "r".repeat(201))
        .output()
        .unwrap();
    let r = finish(out);
    assert_eq!(r.code, 1, "an operator of 201 characters is refused");
    assert_eq!(r.error_code(), "entry_field_invalid", "{}", r.stdout);
    assert_eq!(env.log_size(), before);
}

#[test]
fn init_adopts_only_a_ca_certificate_alone_and_stores_it_canonically() {
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
    let ca = std::fs::read_to_string(format!("{keys}/test-ca.cert.pem")).unwrap();
    let init = |env: &Env, cert: &str| {
        let file = env.write("ca.pem", cert);
        env.json(&[
            "init",
            "--ca-cert",
            &file.to_string_lossy(),
            "--ca-key",
            &format!("{keys}/test-ca.key.pem"),
        ])
    };
    let env = Env::empty();
    let r = init(&env, &format!("{ca}Personnummer 19121212-1212\n"));
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "certificate_extra_data"),
        "{}",
        r.stdout
    );
    assert!(
        !env.data_dir().join("attestera.db").exists(),
        "a refused init writes no log"
    );
    let env = Env::empty();
    let r = init(&env, &ca.replace('\n', "\r\n"));
    assert_eq!(r.code, 0, "{}", r.stdout);
    let entry: Value = serde_json::from_slice(&env.entry_bytes(0)).unwrap();
    assert_eq!(
        entry["certificate"],
        json!(ca),
        "entry 0 holds the canonical PEM"
    );
}

#[test]
fn an_imported_name_that_reads_as_a_holders_is_flagged_by_verify() {
    let env = Env::new();
    env.user("genuine", "Anna Bergman", "Avdelningschef");
    // "rn" reads as "m": the archived row looks like the certificate holder.
    let text = format!(
        "{DOC}\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Bergrnan, Avdelningschef\t2019-11-09\n"
    );
    let file = env.write("old.txt", &text);
    env.ok(&["import", &file.to_string_lossy()]);
    let v = env.json(&["verify", &file.to_string_lossy()]).json();
    let codes: Vec<&str> = v["approvals"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"imported_name_lookalike"), "{codes:?}");
    let message = v["approvals"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "imported_name_lookalike")
        .unwrap()["message"]
        .to_string();
    assert!(message.contains("Anna Bergman"), "{message}");
    // A name that only resembles no holder's is not flagged.
    let plain = env.write(
        "plain.txt",
        format!("{DOC}Annan text.\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nPer Persson, Handläggare\t2019-11-09\n"),
    );
    env.ok(&["import", &plain.to_string_lossy()]);
    let v = env.json(&["verify", &plain.to_string_lossy()]).json();
    assert!(!v.to_string().contains("imported_name_lookalike"), "{v}");
}

#[test]
fn the_log_key_and_the_ca_key_are_no_approvers_keys() {
    let env = Env::new();
    let size = env.log_size();
    let log_key = env.data_dir().join("log.key.pem");
    let r = env.json(&[
        "user",
        "add",
        "--name",
        "Anna Berg",
        "--role",
        "Chef",
        "--out",
        "anna",
        "--key",
        &log_key.to_string_lossy(),
    ]);
    assert_eq!(r.error_code(), "key_reserved", "{}", r.stdout);
    assert_ne!(r.code, 0);
    assert_eq!(env.log_size(), size, "nothing was logged");
    // Nor may one key be both the CA's and the log's.
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
    let other = Env::empty();
    let r = other.json(&[
        "init",
        "--ca-cert",
        &format!("{keys}/test-ca.cert.pem"),
        "--ca-key",
        &format!("{keys}/test-ca.key.pem"),
        "--log-signing-key",
        &format!("{keys}/test-ca.key.pem"),
    ]);
    assert_eq!(r.error_code(), "key_reserved", "{}", r.stdout);
    assert!(!other.data_dir().exists(), "a refused init leaves nothing");
}

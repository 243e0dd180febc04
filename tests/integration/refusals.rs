//! Every refusal: a clear message, a stable code, a non-zero exit, nothing written.

use crate::common::{DOC, Env, attested};

/// Runs a command that must be refused and checks the log did not grow.
fn refused(env: &Env, args: &[&str], exit: i32, code: &str) {
    let before = env.log_size();
    let r = env.json(args);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (exit, code),
        "{args:?}: {}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr.contains(code),
        "stderr names the code: {}",
        r.stderr
    );
    assert_eq!(env.log_size(), before, "a refused command wrote to the log");
}

#[test]
fn approving_an_unregistered_document_is_refused() {
    let a = attested();
    let other = a.env.write("other.txt", "Ett helt annat dokument.\n");
    refused(
        &a.env,
        &[
            "approve",
            &other.to_string_lossy(),
            "--key",
            &a.anna.0,
            "--cert",
            &a.anna.1,
            "--yes",
        ],
        1,
        "document_not_registered",
    );
}

#[test]
fn key_that_does_not_match_the_certificate_is_refused() {
    let a = attested();
    refused(
        &a.env,
        &[
            "approve",
            &a.doc.to_string_lossy(),
            "--key",
            &a.anna.0,
            "--cert",
            &a.maria.1,
            "--yes",
        ],
        1,
        "key_certificate_mismatch",
    );
}

#[test]
fn certificate_from_another_ca_is_refused() {
    let a = attested();
    let other = Env::with_new_keys();
    let stranger = other.user("x", "Anna Berg", "Avdelningschef");
    refused(
        &a.env,
        &[
            "approve",
            &a.doc.to_string_lossy(),
            "--key",
            &stranger.0,
            "--cert",
            &stranger.1,
            "--yes",
        ],
        1,
        "certificate_foreign",
    );
}

#[test]
fn expired_certificate_is_refused() {
    use attestera_core::pki;
    let a = attested();
    let data = a.env.data_dir();
    let ca_pem = std::fs::read_to_string(data.join("ca.cert.pem")).unwrap();
    let ca_key = crate::common::open_key(data.join("ca.key.pem"));
    let key_pem = pki::ca::private_key_pem(
        &pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap(),
    );
    let spki = pki::ca::public_key_der_of(&key_pem).unwrap();
    // Issued ten days ago for one day. The CA itself was created just now, so
    // the CA check would fail first; issue from a CA valid back then instead.
    let subject = pki::Subject {
        name: "Anna Berg".into(),
        role: "Avdelningschef".into(),
        org: crate::common::ORG.into(),
    };
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 10);
    let cert = pki::issue_certificate(
        &ca_pem,
        &ca_key,
        &subject,
        &spki,
        past,
        1,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let key_path = a.env.write("old.key.pem", key_pem.as_bytes());
    let cert_path = a.env.write("old.cert.pem", cert);
    refused(
        &a.env,
        &[
            "approve",
            &a.doc.to_string_lossy(),
            "--key",
            &key_path.to_string_lossy(),
            "--cert",
            &cert_path.to_string_lossy(),
            "--yes",
        ],
        1,
        "certificate_expired",
    );
}

#[test]
fn revoked_certificate_is_refused() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let anna = env.user("anna", "Anna Berg", "Avdelningschef");
    env.ok(&[
        "user",
        "revoke",
        "--cert",
        &anna.1,
        "--reason",
        "Nyckeln borttappad",
    ]);
    refused(
        &env,
        &[
            "approve",
            &doc.to_string_lossy(),
            "--key",
            &anna.0,
            "--cert",
            &anna.1,
            "--yes",
        ],
        1,
        "certificate_revoked",
    );
    refused(
        &env,
        &["user", "revoke", "--cert", &anna.1],
        1,
        "certificate_already_revoked",
    );
}

#[test]
fn same_approver_twice_is_refused() {
    let a = attested();
    refused(
        &a.env,
        &[
            "approve",
            &a.doc.to_string_lossy(),
            "--key",
            &a.anna.0,
            "--cert",
            &a.anna.1,
            "--yes",
        ],
        1,
        "approval_duplicate",
    );
}

#[test]
fn registering_twice_is_refused() {
    let a = attested();
    refused(
        &a.env,
        &["register", &a.doc.to_string_lossy()],
        1,
        "document_already_registered",
    );
}

#[test]
fn bad_text_input_is_refused_by_every_text_command() {
    let env = Env::new();
    let empty = env.write("empty.txt", "");
    let blank = env.write("blank.txt", " \n\t\n");
    let latin1 = env.write("latin1.txt", b"Sk\xe4rpn\xe4ck\n");
    let binary = env.write("bin.txt", b"abc\x00def");
    for cmd in ["register", "import", "block"] {
        refused(&env, &[cmd, &empty.to_string_lossy()], 2, "text_empty");
        refused(&env, &[cmd, &blank.to_string_lossy()], 2, "text_empty");
        refused(&env, &[cmd, &latin1.to_string_lossy()], 2, "text_not_utf8");
        refused(&env, &[cmd, &binary.to_string_lossy()], 2, "text_binary");
    }
    let r = env.json(&["canonical", &latin1.to_string_lossy()]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "text_not_utf8"));
    refused(&env, &["register", "does-not-exist.txt"], 2, "io_error");
}

#[test]
fn malformed_keys_and_certificates_are_refused() {
    let a = attested();
    let junk = a.env.write(
        "junk.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    );
    let garbage_der = a.env.write(
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let doc = a.doc.to_string_lossy().into_owned();
    refused(
        &a.env,
        &[
            "approve",
            &doc,
            "--key",
            &a.anna.0,
            "--cert",
            &junk.to_string_lossy(),
            "--yes",
        ],
        2,
        "pem_invalid",
    );
    refused(
        &a.env,
        &[
            "approve",
            &doc,
            "--key",
            &a.anna.0,
            "--cert",
            &garbage_der.to_string_lossy(),
            "--yes",
        ],
        2,
        "certificate_invalid",
    );
    // A key where the certificate belongs, and the reverse.
    refused(
        &a.env,
        &[
            "approve", &doc, "--key", &a.anna.0, "--cert", &a.anna.0, "--yes",
        ],
        2,
        "pem_invalid",
    );
    refused(
        &a.env,
        &[
            "approve", &doc, "--key", &a.anna.1, "--cert", &a.anna.1, "--yes",
        ],
        2,
        "pem_invalid",
    );
    refused(
        &a.env,
        &["user", "revoke", "--cert", &junk.to_string_lossy()],
        2,
        "pem_invalid",
    );
    // A PRIVATE KEY block whose DER is not a key.
    let garbage_key = a.env.write(
        "garbage.key.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    refused(
        &a.env,
        &[
            "approve",
            &doc,
            "--key",
            &garbage_key.to_string_lossy(),
            "--cert",
            &a.anna.1,
            "--yes",
        ],
        2,
        "key_invalid",
    );
    // A certificate from the organisation CA that the log never issued cannot be revoked.
    let other = Env::new();
    let stranger = other.user("x", "Cilla", "Chef");
    refused(
        &a.env,
        &["user", "revoke", "--cert", &stranger.1],
        1,
        "certificate_unknown",
    );
    // The CA's own certificate cannot approve.
    let ca = a.env.data_dir().join("ca.cert.pem");
    refused(
        &a.env,
        &[
            "approve",
            &doc,
            "--key",
            &a.anna.0,
            "--cert",
            &ca.to_string_lossy(),
            "--yes",
        ],
        1,
        "certificate_is_ca",
    );
}

#[test]
fn import_without_a_parsable_block_is_refused() {
    let env = Env::new();
    let plain = env.write("plain.txt", DOC);
    refused(
        &env,
        &["import", &plain.to_string_lossy()],
        2,
        "block_missing",
    );
    let broken = env.write(
        "broken.txt",
        format!("{DOC}\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg utan roll\t2020-11-09\n"),
    );
    let r = env.json(&["import", &broken.to_string_lossy()]);
    assert_eq!(r.code, 2);
    assert!(r.error_code().starts_with("block_"), "{}", r.stdout);
    let bad_date = env.write(
        "baddate.txt",
        format!("{DOC}\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg, Chef\t2020-02-30\n"),
    );
    let r = env.json(&["import", &bad_date.to_string_lossy()]);
    assert_eq!(r.code, 2);
    assert!(r.error_code().starts_with("block_"), "{}", r.stdout);
    assert_eq!(env.log_size(), 1, "only the CA entry");
}

#[test]
fn init_refuses_to_overwrite_and_missing_data_dir_is_exit_2() {
    let env = Env::new();
    let r = env.json(&["init"]);
    assert_eq!((r.code, r.error_code().as_str()), (1, "data_dir_exists"));
    let empty = Env::empty();
    let doc = empty.write("doc.txt", DOC);
    let r = empty.json(&["verify", &doc.to_string_lossy()]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "data_dir_missing"));
    assert!(
        !empty.data_dir().exists(),
        "verify must not create a data directory"
    );
}

#[test]
fn user_add_refuses_bad_subject_and_existing_files() {
    let env = Env::new();
    let bad = [
        ("Anna\u{7}Berg", "Chef"),       // control character
        ("Anna Berg", "Chef, förskola"), // comma in the role (the block's separator)
        ("Anna \u{202E}Berg", "Chef"),   // bidi override
        ("Anna\u{200B}Berg", "Chef"),    // zero-width space
        ("Anna\u{A0}Berg", "Chef"),      // no-break space
    ];
    for (name, role) in bad {
        refused(
            &env,
            &["user", "add", "--name", name, "--role", role, "--out", "a"],
            1,
            "subject_invalid",
        );
        assert!(
            !env.path("a").exists(),
            "a refused issuance leaves no directory"
        );
    }
    env.user("b", "Anna Berg", "Chef");
    refused(
        &env,
        &[
            "user",
            "add",
            "--name",
            "Anna Berg",
            "--role",
            "Chef",
            "--out",
            "b",
        ],
        1,
        "output_exists",
    );
}

#[test]
fn private_keys_are_written_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let (key, _) = env.user("u", "Anna Berg", "Chef");
    for p in [
        std::path::PathBuf::from(key),
        env.data_dir().join("ca.key.pem"),
        env.data_dir().join("log.key.pem"),
    ] {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
}

#[test]
fn block_of_a_document_without_approvals_is_refused() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    let r = env.json(&["block", &doc.to_string_lossy()]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "document_not_registered"),
        "before it is registered"
    );
    env.ok(&["register", &doc.to_string_lossy()]);
    let r = env.json(&["block", &doc.to_string_lossy()]);
    assert_eq!((r.code, r.error_code().as_str()), (1, "no_approvals"));
}

#[test]
fn imported_approval_dated_in_the_future_is_refused() {
    let env = Env::new();
    let doc = env.write(
        "future.txt",
        format!("{DOC}\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg, Chef\t2099-01-01\n"),
    );
    refused(
        &env,
        &["import", &doc.to_string_lossy()],
        1,
        "entry_field_invalid",
    );
    let r = env.json(&["verify", &doc.to_string_lossy()]);
    assert_eq!(
        r.json()["findings"][0]["code"],
        "document_not_registered",
        "the refused import left no registration"
    );
}

#[test]
fn init_refuses_an_org_that_contradicts_the_adopted_ca() {
    let env = Env::empty();
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
    let r = env.json(&[
        "init",
        "--org",
        "Någon annan",
        "--ca-cert",
        &format!("{keys}/test-ca.cert.pem"),
        "--ca-key",
        &format!("{keys}/test-ca.key.pem"),
    ]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "config_invalid"));
    assert!(!env.data_dir().exists());
}

#[test]
fn data_dir_keys_readable_by_others_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let a = attested();
    let ca_key = a.env.data_dir().join("ca.key.pem");
    std::fs::set_permissions(&ca_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = a.env.json(&[
        "user",
        "add",
        "--name",
        "Per Persson",
        "--role",
        "Chef",
        "--out",
        "per",
    ]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (2, "config_invalid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("chmod 600"));
}

#[test]
fn imported_approval_dated_after_attestera_started_is_refused() {
    let env = Env::new();
    let today = jiff::Timestamp::now()
        .in_tz("Europe/Stockholm")
        .unwrap()
        .date();
    let doc = env.write(
        "today.txt",
        format!("{DOC}\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg, Chef\t{today}\n"),
    );
    refused(
        &env,
        &["import", &doc.to_string_lossy()],
        1,
        "import_after_start",
    );
}

#[test]
fn init_refuses_a_ca_key_that_is_not_the_certificates() {
    let env = Env::empty();
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
    let r = env.json(&[
        "init",
        "--ca-cert",
        &format!("{keys}/test-ca.cert.pem"),
        "--ca-key",
        &format!("{keys}/test-log.key.pem"),
    ]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "key_certificate_mismatch"),
        "{}",
        r.stdout
    );
    assert!(!env.data_dir().exists(), "nothing written");
}

//! Approvers' key files: `user add` writes them encrypted under a
//! passphrase (PBES2, PBKDF2-HMAC-SHA256 with 600 000 iterations,
//! AES-256-CBC: what a browser's WebCrypto can open) that OpenSSL reads
//! too; `approve` asks for it; a wrong one is refused and nothing is
//! logged; files in the earlier scheme (scrypt) still open; an unencrypted
//! key is still read, with a warning.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{DOC, Env, PASSPHRASE, attested};

/// Runs openssl, which must succeed.
fn openssl<const N: usize>(args: [&str; N]) {
    let status = Command::new("openssl")
        .args(args)
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl {args:?}");
}

fn openssl_reads(key: &str, passin: &str) -> bool {
    Command::new("openssl")
        .args(["pkey", "-in", key, "-noout", "-passin", passin])
        .output()
        .expect("openssl")
        .status
        .success()
}

/// What `openssl asn1parse` makes of a key file.
fn asn1parse(key: &str) -> String {
    let out = Command::new("openssl")
        .args(["asn1parse", "-in", key])
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl asn1parse {key}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn user_add_writes_a_pbkdf2_sha256_aes_256_cbc_0600_key_that_openssl_reads_with_the_passphrase_only()
 {
    let env = Env::new();
    let (key, _) = env.user("anna", "Anna Berg", "Avdelningschef");
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(openssl_reads(&key, &format!("pass:{PASSPHRASE}")));
    assert!(!openssl_reads(&key, "pass:fel lösenfras här"));
    // The scheme is PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, as
    // OpenSSL reads it (600 000 = 0x0927C0) ...
    let parsed = asn1parse(&key);
    for oid in [
        ":PBES2",
        ":PBKDF2",
        ":hmacWithSHA256",
        ":aes-256-cbc",
        ":0927C0",
    ] {
        assert!(parsed.contains(oid), "{oid} in {parsed}");
    }
    assert!(!parsed.contains(":scrypt"), "{parsed}");
    // ... and as the EncryptedPrivateKeyInfo says, field by field.
    use pkcs8::pkcs5::pbes2;
    let (_, der) = pkcs8::Document::from_pem(&text).unwrap();
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_bytes()).unwrap();
    let params = info.encryption_algorithm.pbes2().expect("PBES2");
    let kdf = params.kdf.pbkdf2().expect("PBKDF2");
    assert_eq!(kdf.iteration_count, 600_000);
    assert_eq!(kdf.prf, pbes2::Pbkdf2Prf::HmacWithSha256);
    assert_eq!(kdf.salt.as_ref().len(), 16, "a 16-byte salt");
    assert!(
        matches!(params.encryption, pbes2::EncryptionScheme::Aes256Cbc { .. }),
        "{:?}",
        params.encryption
    );
    // Another key file has its own salt and IV.
    let (other, _) = env.user("bo", "Bo Ek", "Chef");
    let other = std::fs::read_to_string(&other).unwrap();
    let (_, other) = pkcs8::Document::from_pem(&other).unwrap();
    let other = pkcs8::EncryptedPrivateKeyInfoRef::try_from(other.as_bytes()).unwrap();
    assert_ne!(
        other.encryption_algorithm.pbes2().unwrap(),
        params,
        "random salt and IV"
    );
}

#[test]
fn a_key_file_in_scrypt_or_rewritten_by_openssl_as_advised_still_approves() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let (key, cert) = env.user("anna", "Anna Berg", "Avdelningschef");
    // The scheme `user add` wrote before (scrypt, the pkcs8 crate's default).
    let der =
        attestera_core::pki::pem_block(&crate::common::open_key(&key), "PRIVATE KEY").unwrap();
    let scrypt = env.write(
        "scrypt.pem",
        attestera::keyfile::encrypt(&der, PASSPHRASE, attestera::keyfile::Scheme::Scrypt)
            .unwrap()
            .as_bytes(),
    );
    let scrypt = scrypt.to_string_lossy();
    assert!(asn1parse(&scrypt).contains(":scrypt"));
    let r = env.approve(&doc, &(scrypt.to_string(), cert.clone()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("Varning"), "{}", r.stderr);
    // The holder's new passphrase, set with the command operations.md gives.
    let changed = env.s("ny.pem");
    openssl([
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-v2prf",
        "hmacWithSHA256",
        "-iter",
        "600000",
        "-in",
        &key,
        "-passin",
        &format!("pass:{PASSPHRASE}"),
        "-out",
        &changed,
        "-passout",
        "pass:annas egen lösenfras",
    ]);
    let own = env.write("annas.txt", "annas egen lösenfras\n");
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o600)).unwrap();
    let doc2 = env.write("doc2.txt", format!("{DOC}\nBilaga.\n"));
    env.ok(&["register", &doc2.to_string_lossy()]);
    let r = env.json(&[
        "approve",
        &doc2.to_string_lossy(),
        "--key",
        &changed,
        "--cert",
        &cert,
        "--yes",
        "--passphrase-file",
        &own.to_string_lossy(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn approve_with_a_wrong_passphrase_is_refused_in_swedish_and_logs_nothing() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let (key, cert) = env.user("anna", "Anna Berg", "Avdelningschef");
    let size = env.log_size();
    let wrong = env.write("fel.txt", "inte rätt lösenfras\n");
    let r = env.json(&[
        "approve",
        &doc.to_string_lossy(),
        "--key",
        &key,
        "--cert",
        &cert,
        "--yes",
        "--passphrase-file",
        &wrong.to_string_lossy(),
    ]);
    assert_eq!(
        (r.code, r.error_code()),
        (1, "key_passphrase_wrong".to_string()),
        "{}",
        r.stdout
    );
    let human = env.run(&[
        "approve",
        &doc.to_string_lossy(),
        "--key",
        &key,
        "--cert",
        &cert,
        "--yes",
        "--passphrase-file",
        &wrong.to_string_lossy(),
    ]);
    assert!(human.stderr.contains("Fel lösenfras"), "{}", human.stderr);
    assert_eq!(env.log_size(), size, "nothing logged");
    // From an environment variable named by a flag, it approves.
    let r = env
        .command(&[
            "--json",
            "approve",
            &doc.to_string_lossy(),
            "--key",
            &key,
            "--cert",
            &cert,
            "--yes",
            "--passphrase-env",
            "ANNAS_LOSENFRAS",
        ])
        .env_remove("ATTESTERA_PASSPHRASE_FILE")
        .env("ANNAS_LOSENFRAS", PASSPHRASE)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(env.log_size(), size + 1);
}

#[test]
fn without_a_passphrase_or_a_terminal_nothing_is_written() {
    let env = Env::new();
    let size = env.log_size();
    let out = env
        .command(&[
            "--json",
            "user",
            "add",
            "--name",
            "Anna Berg",
            "--role",
            "Chef",
            "--out",
            "anna",
        ])
        .env_remove("ATTESTERA_PASSPHRASE_FILE")
        .output()
        .unwrap();
    let r = crate::common::finish(out);
    assert_eq!(
        (r.code, r.error_code()),
        (2, "key_passphrase_missing".to_string()),
        "{}",
        r.stdout
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--passphrase-file")
    );
    assert!(!env.path("anna").exists(), "no files");
    assert_eq!(env.log_size(), size, "no certificate logged");
    let short = env.write("kort.txt", "kort\n");
    let r = env.json(&[
        "user",
        "add",
        "--name",
        "Anna Berg",
        "--role",
        "Chef",
        "--out",
        "anna",
        "--passphrase-file",
        &short.to_string_lossy(),
    ]);
    assert_eq!(r.error_code(), "key_passphrase_too_short", "{}", r.stdout);
    assert!(!env.path("anna").exists(), "no files");
    assert_eq!(env.log_size(), size);
}

#[test]
fn an_unencrypted_key_still_approves_with_a_warning_and_an_encrypted_own_key_is_certified() {
    let a = attested();
    let env = &a.env;
    // An unencrypted Ed25519 key made by OpenSSL, certified as the approver's own.
    let plain = env.s("egen.pem");
    openssl(["genpkey", "-algorithm", "ed25519", "-out", &plain]);
    env.ok(&[
        "user", "add", "--name", "Bo Ek", "--role", "Chef", "--key", &plain, "--out", "bo",
    ]);
    let doc = env.write("doc2.txt", format!("{DOC}\nBilaga.\n"));
    env.ok(&["register", &doc.to_string_lossy()]);
    let r = env.run(&[
        "approve",
        &doc.to_string_lossy(),
        "--key",
        &plain,
        "--cert",
        &env.s("bo/cert.pem"),
        "--yes",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("Varning: nyckelfilen") && r.stderr.contains("inte krypterad"),
        "{}",
        r.stderr
    );
    // An encrypted key made by OpenSSL opens with the passphrase.
    let own = env.s("egen-krypterad.pem");
    openssl([
        "genpkey",
        "-algorithm",
        "ed25519",
        "-aes-256-cbc",
        "-pass",
        &format!("pass:{PASSPHRASE}"),
        "-out",
        &own,
    ]);
    env.ok(&[
        "user", "add", "--name", "Cia Ek", "--role", "Chef", "--key", &own, "--out", "cia",
    ]);
    let r = env.run(&[
        "approve",
        &doc.to_string_lossy(),
        "--key",
        &own,
        "--cert",
        &env.s("cia/cert.pem"),
        "--yes",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("Varning"), "{}", r.stderr);
}

/// `user add` of Anna into `anna/`, asking for the passphrase.
const ADD_ANNA: [&str; 8] = [
    "user",
    "add",
    "--name",
    "Anna Berg",
    "--role",
    "Chef",
    "--out",
    "anna",
];

/// Runs `attestera ARGS` on a pseudo-terminal (script(1)) with `input`
/// typed, without a passphrase file: the passphrase is asked there.
fn on_terminal(env: &Env, args: &[&str], input: &str) -> (Option<i32>, String) {
    let line = std::iter::once(env!("CARGO_BIN_EXE_attestera"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("ATTESTERA_DATA_DIR", env.data_dir())
        .envs(env.database_env())
        .env_remove("ATTESTERA_PASSPHRASE_FILE")
        .current_dir(env.tmp.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_the_passphrase_is_asked_twice_for_a_new_key_and_once_to_approve() {
    let env = Env::new();
    let (code, text) = on_terminal(&env, &ADD_ANNA, "en lösenfras här\nen annan här\n");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Samma lösenfras igen") && text.contains("olika"),
        "{text}"
    );
    assert!(!env.path("anna").exists());
    let typed = format!("{PASSPHRASE}\n{PASSPHRASE}\n");
    let (code, text) = on_terminal(&env, &ADD_ANNA, &typed);
    assert_eq!(code, Some(0), "{text}");
    // An issuance that will be refused is refused before anyone types.
    let (code, text) = on_terminal(&env, &ADD_ANNA, &typed);
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("Ny lösenfras"), "not asked: {text}");
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let (key, cert) = (env.s("anna/key.pem"), env.s("anna/cert.pem"));
    let (code, text) = on_terminal(
        &env,
        &[
            "approve",
            &doc.to_string_lossy(),
            "--key",
            &key,
            "--cert",
            &cert,
        ],
        &format!("{PASSPHRASE}\nj\n"),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Lösenfras för") && text.contains("Godkänn?"),
        "{text}"
    );
}

#[test]
fn an_own_key_with_a_wrong_passphrase_or_an_old_scheme_is_refused_saying_which() {
    let env = Env::new();
    let size = env.log_size();
    let own = env.s("egen.pem");
    openssl([
        "genpkey",
        "-algorithm",
        "ed25519",
        "-aes-256-cbc",
        "-pass",
        "pass:en helt annan fras",
        "-out",
        &own,
    ]);
    let r = env.json(&[
        "user", "add", "--name", "Bo Ek", "--role", "Chef", "--key", &own, "--out", "bo",
    ]);
    assert_eq!(
        (r.code, r.error_code()),
        (1, "key_passphrase_wrong".to_string()),
        "{}",
        r.stdout
    );
    // PBES1 with 3DES, which OpenSSL still writes on request.
    let old = env.s("gammal.pem");
    openssl([
        "pkcs8",
        "-topk8",
        "-v1",
        "PBE-SHA1-3DES",
        "-in",
        &own,
        "-passin",
        "pass:en helt annan fras",
        "-out",
        &old,
        "-passout",
        &format!("pass:{PASSPHRASE}"),
    ]);
    let r = env.json(&[
        "user", "add", "--name", "Bo Ek", "--role", "Chef", "--key", &old, "--out", "bo",
    ]);
    assert_eq!(r.error_code(), "key_encryption_unsupported", "{}", r.stdout);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000")
    );
    assert!(!env.path("bo").exists());
    assert_eq!(env.log_size(), size);
    // A passphrase file that cannot be read says so, not that none was given.
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let (key, cert) = env.user("anna", "Anna Berg", "Avdelningschef");
    let r = env.json(&[
        "approve",
        &doc.to_string_lossy(),
        "--key",
        &key,
        "--cert",
        &cert,
        "--yes",
        "--passphrase-file",
        "finns-inte.txt",
    ]);
    assert_eq!(r.error_code(), "io_error", "{}", r.stdout);
    // One that others can read is used, with a warning.
    let open_file = env.write("delad.txt", format!("{PASSPHRASE}\n"));
    std::fs::set_permissions(&open_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = env.run(&[
        "approve",
        &doc.to_string_lossy(),
        "--key",
        &key,
        "--cert",
        &cert,
        "--yes",
        "--passphrase-file",
        &open_file.to_string_lossy(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("kan läsas av andra"), "{}", r.stderr);
}

//! The service's own keys (`ca.key.pem`, `log.key.pem`): `init` writes them
//! as encrypted PKCS#8 (scrypt) under the service's passphrase, which every
//! command that opens the service reads from `--service-passphrase-file`,
//! `ATTESTERA_SERVICE_PASSPHRASE_FILE` or `--service-passphrase-env`, or
//! asks once on a terminal; a wrong one is refused (exit 1) and a missing
//! one names the flags (exit 2). `--unencrypted-service-keys`, and the
//! directory `serve` makes on its first start, keep them unencrypted 0600
//! files, and say so.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{DOC, Env, ORG, PASSPHRASE, finish, open_key};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");

fn key_files(env: &Env) -> [PathBuf; 2] {
    [
        env.data_dir().join("ca.key.pem"),
        env.data_dir().join("log.key.pem"),
    ]
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Whether `openssl pkey` reads the key file with `passin`.
fn openssl_reads(key: &Path, passin: &str) -> bool {
    Command::new("openssl")
        .args(["pkey", "-noout", "-passin", passin, "-in"])
        .arg(key)
        .output()
        .expect("openssl")
        .status
        .success()
}

/// A command in `env` without the service's passphrase file.
fn without_passphrase(env: &Env, args: &[&str]) -> Command {
    let mut c = env.command(args);
    c.env_remove("ATTESTERA_SERVICE_PASSPHRASE_FILE");
    c
}

/// Runs `attestera ARGS` on a pseudo-terminal (script(1)) with `input`
/// typed and no passphrase file: returns the exit code and what it showed.
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
        .env_remove("ATTESTERA_SERVICE_PASSPHRASE_FILE")
        .current_dir(env.tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
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

/// A data directory initialized the default way: new keys, encrypted
/// under the tests' passphrase (`ATTESTERA_SERVICE_PASSPHRASE_FILE`).
fn encrypted() -> Env {
    let env = Env::empty();
    env.ok(&["init", "--org", ORG]);
    env
}

#[test]
fn init_encrypts_both_service_keys_so_that_openssl_reads_them_with_the_passphrase_only() {
    let env = encrypted();
    let passin = format!("file:{}", env.passphrase_file().display());
    for key in key_files(&env) {
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{}: {text}",
            key.display()
        );
        assert_eq!(mode(&key), 0o600, "{}", key.display());
        assert!(openssl_reads(&key, &passin), "{}", key.display());
        assert!(!openssl_reads(&key, "pass:fel lösenfras här"));
        // scrypt with AES-256-CBC (keyfile.rs says why not PBKDF2).
        let parsed = Command::new("openssl")
            .args(["asn1parse", "-in"])
            .arg(&key)
            .output()
            .unwrap();
        let parsed = String::from_utf8_lossy(&parsed.stdout);
        for oid in [":PBES2", ":scrypt", ":aes-256-cbc"] {
            assert!(parsed.contains(oid), "{oid} in {parsed}");
        }
    }
    // Adopted keys are written encrypted too, and are the same keys.
    let adopted = Env::empty();
    adopted.ok(&[
        "init",
        "--ca-cert",
        &format!("{KEYS}/test-ca.cert.pem"),
        "--ca-key",
        &format!("{KEYS}/test-ca.key.pem"),
        "--log-signing-key",
        &format!("{KEYS}/test-log.key.pem"),
    ]);
    for (file, test_key) in [
        ("ca.key.pem", "test-ca.key.pem"),
        ("log.key.pem", "test-log.key.pem"),
    ] {
        let written = adopted.data_dir().join(file);
        let text = std::fs::read_to_string(&written).unwrap();
        assert!(text.contains("ENCRYPTED PRIVATE KEY"), "{text}");
        let original = std::fs::read_to_string(format!("{KEYS}/{test_key}")).unwrap();
        assert_eq!(open_key(&written).as_str(), original, "{file}");
    }
}

#[test]
fn every_command_opens_encrypted_service_keys_with_the_passphrase_from_a_file_a_flag_or_a_variable()
{
    let env = encrypted();
    let doc = env.write("doc.txt", DOC);
    // ATTESTERA_SERVICE_PASSPHRASE_FILE (Env::command sets it).
    env.ok(&["register", &doc.to_string_lossy()]);
    // The CA key, decrypted at open, issues; the log key signs.
    let anna = env.user("anna", "Anna Berg", "Avdelningschef");
    let r = env.approve(&doc, &anna);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // --service-passphrase-file, after the command as before it.
    let file = env.passphrase_file().to_string_lossy().into_owned();
    for args in [
        vec!["--service-passphrase-file", &file, "log", "checkpoint"],
        vec!["log", "checkpoint", "--service-passphrase-file", &file],
    ] {
        let out = without_passphrase(&env, &args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", finish(out).stderr);
    }
    // --service-passphrase-env.
    let out = without_passphrase(
        &env,
        &["--service-passphrase-env", "TJANSTENS_FRAS", "audit"],
    )
    .env("TJANSTENS_FRAS", PASSPHRASE)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", finish(out).stderr);
    // A variable that is not set is named.
    let r = finish(
        without_passphrase(
            &env,
            &["--json", "--service-passphrase-env", "INGEN_SADAN", "audit"],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (2, "key_passphrase_env_unset"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("INGEN_SADAN"), "{}", r.stderr);
    // The service opened in the test's own process, too.
    crate::common::runtime().block_on(async {
        let s = env.service().await;
        assert_eq!(s.config.org, ORG);
        s.close().await;
    });
}

#[test]
fn a_wrong_service_passphrase_is_refused_in_swedish_with_exit_1_and_nothing_changed() {
    let env = encrypted();
    let doc = env.write("doc.txt", DOC);
    let size = env.log_size();
    let before: Vec<Vec<u8>> = key_files(&env)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let wrong = env.write("fel.txt", "inte tjänstens lösenfras\n");
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    let wrong = wrong.to_string_lossy().into_owned();
    let r = env.json(&[
        "--service-passphrase-file",
        &wrong,
        "register",
        &doc.to_string_lossy(),
    ]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "key_passphrase_wrong"),
        "{}",
        r.stdout
    );
    let human = env.run(&[
        "--service-passphrase-file",
        &wrong,
        "register",
        &doc.to_string_lossy(),
    ]);
    assert_eq!(human.code, 1);
    assert!(
        human.stderr.contains("Fel lösenfras för tjänstens nyckel")
            && human.stderr.contains("Ingenting har ändrats"),
        "{}",
        human.stderr
    );
    // serve does not start either.
    let out = env
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("ATTESTERA_SERVICE_PASSPHRASE_FILE", &wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Fel lösenfras"));
    assert_eq!(env.log_size(), size, "nothing registered");
    let after: Vec<Vec<u8>> = key_files(&env)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after, "the key files are as they were");
}

#[test]
fn without_a_passphrase_or_a_terminal_the_error_names_the_flags() {
    let env = encrypted();
    for args in [
        &["--json", "log", "checkpoint"][..],
        &["--json", "serve", "--listen", "127.0.0.1:0"],
    ] {
        let r = finish(without_passphrase(&env, args).output().unwrap());
        assert_eq!(
            (r.code, r.error_code().as_str()),
            (2, "key_passphrase_missing"),
            "{args:?}: {}",
            r.stdout
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        for flag in [
            "--service-passphrase-file",
            "ATTESTERA_SERVICE_PASSPHRASE_FILE",
            "--service-passphrase-env",
        ] {
            assert!(message.contains(flag), "{flag} in {message}");
        }
        assert!(message.contains("krypterade"), "{message}");
    }
    // init without one writes nothing, and names the opt-out too.
    let fresh = Env::empty();
    let r = finish(
        without_passphrase(&fresh, &["--json", "init"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (2, "key_passphrase_missing"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("--unencrypted-service-keys"),
        "{}",
        r.stdout
    );
    assert!(!fresh.data_dir().exists(), "nothing written");
}

#[test]
fn on_a_terminal_init_asks_twice_and_a_command_once() {
    let env = Env::empty();
    let (code, text) = on_terminal(&env, &["init"], "en lösenfras\nen annan fras\n");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("olika"), "{text}");
    assert!(!env.data_dir().exists());
    let typed = format!("{PASSPHRASE}\n{PASSPHRASE}\n");
    let (code, text) = on_terminal(&env, &["init"], &typed);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Ny lösenfras för tjänstens nycklar")
            && text.contains("Samma lösenfras igen"),
        "{text}"
    );
    let (code, text) = on_terminal(&env, &["log", "checkpoint"], &format!("{PASSPHRASE}\n"));
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        text.matches("Lösenfras för tjänstens nycklar").count(),
        1,
        "asked once for both keys: {text}"
    );
    assert!(
        std::fs::read_to_string(env.data_dir().join("ca.key.pem"))
            .unwrap()
            .contains("ENCRYPTED")
    );
}

#[test]
fn unencrypted_service_keys_are_0600_files_that_open_without_a_passphrase_and_init_says_so() {
    let env = Env::empty();
    let r = finish(
        without_passphrase(&env, &["init", "--unencrypted-service-keys"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("okrypterade") && r.stderr.contains("docs/operations.md"),
        "{}",
        r.stderr
    );
    for key in key_files(&env) {
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        assert_eq!(mode(&key), 0o600, "{}", key.display());
        assert!(openssl_reads(&key, "pass:"), "{}", key.display());
    }
    let out = without_passphrase(&env, &["log", "checkpoint"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", finish(out).stderr);
    // The 0600 check still holds for them.
    let ca_key = env.data_dir().join("ca.key.pem");
    std::fs::set_permissions(&ca_key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = env.json(&["log", "checkpoint"]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (2, "config_invalid"),
        "{}",
        r.stdout
    );
}

/// Starts `serve` on `env` until it says it listens; returns what it wrote on stderr by then.
fn serve_until_listening(mut command: Command, env: &Env) -> String {
    let log = env.path("serve.err");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Notes are written before the line that says it listens.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("http://127.0.0.1:"), "listening: {line}");
    std::fs::read_to_string(&log).unwrap()
}

#[test]
fn serve_on_a_fresh_machine_starts_unattended_with_unencrypted_keys_and_says_so_unless_given_a_passphrase()
 {
    let env = Env::empty();
    let args = ["serve", "--listen", "127.0.0.1:0"];
    let note = serve_until_listening(without_passphrase(&env, &args), &env);
    assert!(
        note.contains("Skapade en ny datakatalog")
            && note.contains("okrypterade")
            && note.contains("attestera init"),
        "{note}"
    );
    for key in key_files(&env) {
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        assert_eq!(mode(&key), 0o600, "{}", key.display());
    }
    // Given the service's passphrase, the first start encrypts under it.
    let given = Env::empty();
    let note = serve_until_listening(given.command(&args), &given);
    assert!(note.contains("Skapade en ny datakatalog"), "{note}");
    assert!(!note.contains("okrypterade"), "{note}");
    for key in key_files(&given) {
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(text.contains("ENCRYPTED PRIVATE KEY"), "{text}");
    }
}

#[test]
fn adopted_keys_that_are_encrypted_open_with_their_own_passphrase_or_the_services() {
    let env = Env::empty();
    // The test CA key encrypted under another passphrase, the log key under the service's.
    let ca_key = env.s("ca-krypterad.pem");
    let log_key = env.s("logg-krypterad.pem");
    for (plain, out, pass) in [
        ("test-ca.key.pem", &ca_key, "pass:en annan lösenfras"),
        ("test-log.key.pem", &log_key, &format!("pass:{PASSPHRASE}")),
    ] {
        let status = Command::new("openssl")
            .args(["pkcs8", "-topk8", "-scrypt", "-in"])
            .arg(format!("{KEYS}/{plain}"))
            .args(["-out", out, "-passout", pass])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let ca_cert = format!("{KEYS}/test-ca.cert.pem");
    // Without init's own --passphrase-file/-env, the service's passphrase
    // opens them: it opens the log key, not the CA key. Refused, nothing written.
    let r = finish(
        env.command(&[
            "--json",
            "init",
            "--ca-cert",
            &ca_cert,
            "--ca-key",
            &ca_key,
            "--log-signing-key",
            &log_key,
        ])
        .env_remove("ATTESTERA_PASSPHRASE_FILE")
        .output()
        .unwrap(),
    );
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "key_passphrase_wrong"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("ca-krypterad.pem"),
        "names the file: {}",
        r.stdout
    );
    assert!(!env.data_dir().exists());
    // With the CA key's own passphrase (--passphrase-env) it opens.
    let r = finish(
        env.command(&[
            "--json",
            "init",
            "--ca-cert",
            &ca_cert,
            "--ca-key",
            &ca_key,
            "--passphrase-env",
            "CA_FRAS",
        ])
        .env("CA_FRAS", "en annan lösenfras")
        .output()
        .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let written = std::fs::read_to_string(env.data_dir().join("ca.key.pem")).unwrap();
    assert!(written.contains("ENCRYPTED PRIVATE KEY"), "{written}");
    let original = std::fs::read_to_string(format!("{KEYS}/test-ca.key.pem")).unwrap();
    assert_eq!(
        open_key(env.data_dir().join("ca.key.pem")).as_str(),
        original,
        "re-encrypted under the service's passphrase"
    );
}

#[test]
fn unencrypted_keys_encrypted_afterwards_with_openssl_as_documented_open_and_stay_the_same_keys() {
    let env = Env::empty();
    env.ok(&["init", "--unencrypted-service-keys", "--org", ORG]);
    let token = env
        .json(&[
            "token",
            "create",
            "--role",
            "auditor",
            "--name",
            "granskare",
        ])
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let before: Vec<String> = key_files(&env)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // docs/operations.md, "Key files".
    let passout = format!("file:{}", env.passphrase_file().display());
    for key in key_files(&env) {
        let new = key.with_extension("pem.ny");
        let status = Command::new("openssl")
            .args(["pkcs8", "-topk8", "-scrypt", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&new)
            .args(["-passout", &passout])
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::rename(&new, &key).unwrap();
    }
    let r = finish(
        without_passphrase(&env, &["--json", "log", "checkpoint"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.error_code(), "key_passphrase_missing", "now encrypted");
    for (key, plain) in key_files(&env).iter().zip(&before) {
        assert_eq!(open_key(key).as_str(), plain, "{}", key.display());
    }
    // Token rows are checked under a key derived from the log key: still valid.
    crate::common::runtime().block_on(async {
        let s = env.service().await;
        let who = s.authenticate(&token).await.unwrap();
        assert_eq!(who.map(|p| p.name).as_deref(), Some("granskare"));
        s.close().await;
    });
    env.ok(&["audit"]);
}

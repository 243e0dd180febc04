//! The main flows: import the seed, register → approve → block → verify.

use sha2::Digest;

use crate::common::{DOC, Env, SEED, attested};

#[test]
fn seed_is_imported_and_verified() {
    let env = Env::new();
    let seed = env.write("seed.txt", SEED);
    let imported = env.json(&["import", &seed.to_string_lossy()]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let imported = imported.json();
    assert_eq!(imported["registered"]["metadata"]["dnr"], "2019/1939");
    assert_eq!(imported["approvals"][0]["operator"], "registrator Rut");

    let v = env.json(&["verify", &seed.to_string_lossy()]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    let v = v.json();
    assert_eq!(v["status"], "verified");
    assert_eq!(v["document"]["match_level"], "file");
    let a = &v["approvals"][0];
    assert_eq!(a["name"], "Maria Mathiasson Laxvik");
    assert_eq!(a["role"], "Stadsdelsdirektör");
    assert_eq!(a["date"], "2020-11-09");
    assert_eq!(a["kind"], "imported");
    assert_eq!(a["indication"], "TOTAL-PASSED");
    let codes: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"imported_from_archive"), "{codes:?}");
    assert!(
        codes.contains(&"approved_before_document_date"),
        "{codes:?}"
    );
}

#[test]
fn seed_verifies_after_crlf_nbsp_and_nfd_changes() {
    let env = Env::new();
    let seed = env.write("seed.txt", SEED);
    env.ok(&["import", &seed.to_string_lossy()]);
    use unicode_normalization::UnicodeNormalization;
    let copy: String = SEED
        .replace('\n', "\r\n")
        .replace(
            "Skarpnäcks stadsdelsnämnd beslutar",
            "Skarpnäcks\u{a0}stadsdelsnämnd beslutar",
        )
        .nfd()
        .collect();
    let copy_path = env.write("copy.txt", format!("\u{feff}{copy}\r\n\r\n"));
    let v = env.json(&["verify", &copy_path.to_string_lossy()]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.json()["document"]["match_level"], "text-v2");
}

#[test]
fn register_approve_twice_block_and_verify() {
    let a = attested();
    let block = a.env.ok(&["block", &a.doc.to_string_lossy()]).stdout;
    let today = &a.date;
    let now = jiff::Timestamp::now()
        .in_tz("Europe/Stockholm")
        .unwrap()
        .date();
    let plausible = [now.to_string(), now.yesterday().unwrap().to_string()];
    assert!(
        plausible.contains(today),
        "approval date {today} is the Stockholm date of the log time"
    );
    assert_eq!(
        block,
        format!(
            "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg, Avdelningschef\t{today}\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t{today}\n"
        )
    );
    let file = a.env.write("attested.txt", &a.attested);
    let v = a.env.json(&["verify", &file.to_string_lossy()]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    let v = v.json();
    assert_eq!(v["status"], "verified");
    assert_eq!(
        v["document"]["match_level"], "file",
        "registered bytes are an exact prefix"
    );
    for (i, name) in ["Anna Berg", "Maria Mathiasson Laxvik"].iter().enumerate() {
        assert_eq!(v["approvals"][i]["name"], *name);
        assert_eq!(v["approvals"][i]["kind"], "signed");
        assert_eq!(v["approvals"][i]["indication"], "TOTAL-PASSED");
    }
    // The human form says the same in Swedish.
    let human = a.env.run(&["verify", &file.to_string_lossy()]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.starts_with("VERIFIERAT"), "{}", human.stdout);
}

#[test]
fn canonical_output_hashes_to_the_registered_digest() {
    let env = Env::new();
    let seed = env.write("seed.txt", SEED);
    // The seed carries its historical block: it is imported, not registered.
    let imported = env.json(&["import", &seed.to_string_lossy()]).json();
    let registered = &imported["registered"];
    let canonical = env
        .command(&["canonical", &seed.to_string_lossy()])
        .output()
        .unwrap();
    assert!(canonical.status.success());
    let digest = hex::encode(sha2::Sha256::digest(&canonical.stdout));
    assert_eq!(registered["text_sha256"], digest.as_str());
    assert!(
        !canonical.stdout.ends_with(b"\n"),
        "canonical text has no trailing newline"
    );
}

#[test]
fn concurrent_processes_all_land_in_one_consistent_log() {
    let env = Env::new();
    let before = env.log_size();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let f = env.write(&format!("doc{i}.txt"), format!("{DOC}\nBilaga {i}\n"));
            env.command(&["--json", "register", &f.to_string_lossy()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut indexes = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        indexes.push(v["log_index"].as_u64().unwrap());
    }
    indexes.sort();
    assert_eq!(indexes, (before..before + 8).collect::<Vec<_>>());
    assert_eq!(env.log_size(), before + 8);
    assert_eq!(env.ok(&["audit"]).code, 0);
}

#[test]
fn revocation_keeps_earlier_approvals_valid() {
    let a = attested();
    a.env
        .ok(&["user", "revoke", "--cert", &a.anna.1, "--reason", "Slutat"]);
    let file = a.env.write("attested.txt", &a.attested);
    let v = a.env.json(&["verify", &file.to_string_lossy()]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    let findings = v.json()["approvals"][0]["findings"].to_string();
    assert!(findings.contains("certificate_revoked_later"), "{findings}");
    // But a new document cannot be approved with the revoked certificate.
    let doc2 = a.env.write("doc2.txt", format!("{DOC}\nTillägg.\n"));
    a.env.ok(&["register", &doc2.to_string_lossy()]);
    let r = a.env.approve(&doc2, &a.anna);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "certificate_revoked")
    );
    let _ = &a.maria;
}

#[test]
fn approve_asks_only_on_a_terminal() {
    let a = attested();
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let approve = |doc: &std::path::Path, who: &(String, String)| {
        [
            env!("CARGO_BIN_EXE_attestera"),
            "approve",
            &doc.to_string_lossy(),
            "--key",
            &who.0,
            "--cert",
            &who.1,
        ]
        .map(quote)
        .join(" ")
    };
    // In a script (stdin is not a terminal) nobody is asked; the summary still goes to stderr.
    let doc3 = a.env.write("doc3.txt", format!("{DOC}\nTredje.\n"));
    a.env.ok(&["register", &doc3.to_string_lossy()]);
    let r = a.env.run(&[
        "approve",
        &doc3.to_string_lossy(),
        "--key",
        &a.anna.0,
        "--cert",
        &a.anna.1,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("Du godkänner:"), "{}", r.stderr);
    assert!(!r.stderr.contains("Godkänn?"), "{}", r.stderr);

    // On a terminal (script(1) gives it a pseudo-terminal) it asks: "n" cancels, "j" approves.
    let size = a.env.log_size();
    for (answer, code) in [("n", 1), ("j", 0)] {
        let mut child = std::process::Command::new("script");
        child
            .args(["-qec", &approve(&doc3, &a.maria), "/dev/null"])
            .env("ATTESTERA_DATA_DIR", a.env.data_dir())
            .env("ATTESTERA_PASSPHRASE_FILE", a.env.passphrase_file())
            .env("ATTESTERA_SERVICE_PASSPHRASE_FILE", a.env.passphrase_file())
            .envs(a.env.database_env())
            .current_dir(a.env.tmp.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = child.spawn().expect("script(1) from util-linux");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Godkänn? [j/N]"), "asked: {text}");
        assert_eq!(out.status.code(), Some(code), "answer {answer}: {text}");
    }
    assert_eq!(
        a.env.log_size(),
        size + 1,
        "only the confirmed approval was written"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_output_without_a_panic() {
    let a = attested();
    let copy = a.env.write("copy.txt", &a.attested);
    for args in [
        vec!["verify", copy.to_str().unwrap()],
        vec!["--json", "verify", copy.to_str().unwrap()],
        vec!["log", "entry", "0"],
    ] {
        let mut child = a
            .env
            .command(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // like `| head -0`: nobody reads
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
    }
}

#[test]
fn help_is_in_swedish() {
    let env = Env::empty();
    let top = env.ok(&["--help"]).stdout;
    for word in [
        "Användning:",
        "Kommandon:",
        "Flaggor:",
        "Verifiera ett dokument",
    ] {
        assert!(top.contains(word), "{word} in {top}");
    }
    let verify = env.ok(&["verify", "--help"]).stdout;
    assert!(
        verify.contains("Argument:") && verify.contains("<FIL>"),
        "{verify}"
    );
    assert!(!verify.contains("Usage:"), "{verify}");

    // A command line that cannot be read: Swedish, code usage_error, exit 2.
    for (args, says) in [
        (&["bogus"][..], "okänt kommando bogus"),
        (&["verify"], "saknar <FIL>"),
        (
            &["token", "create", "--role", "boss", "--name", "x"],
            "ogiltigt värde boss",
        ),
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("[usage_error]"), "{}", r.stderr);
    }
    let r = env.json(&["bogus"]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "usage_error"));
}

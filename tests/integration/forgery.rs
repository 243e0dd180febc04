//! Forged and awkward documents, tried as an attacker or a careless
//! registrar would: a block heading in mid-text, a document that already
//! carries a block, UTF-16 and PDF files, what verify says about the bare
//! document and a missing row, and hostile metadata in the log.

use crate::common::{DOC, Env, Run, attested, finish, runtime};
use crate::http::Server;

const INTRO: &str = "Detta dokument har godkänts digitalt av följande personer:";

/// A document whose text has the block's heading in the middle, followed
/// by the decision itself.
fn mid_heading_doc() -> String {
    format!(
        "{DOC}\nAttesterat av\n\n{INTRO}\n\nNämnden beslutar dessutom att riva Björkhagens skola.\n"
    )
}

/// A hand-typed block, as an earlier system or a person leaves it.
fn typed_block() -> String {
    format!("Attesterat av\n\n{INTRO}\n\nNamn\tDatum\nAnna Berg, Avdelningschef\t2020-11-09\n")
}

fn verify(env: &Env, name: &str, text: &str) -> Run {
    let f = env.write(name, text);
    env.json(&["verify", &f.to_string_lossy()])
}

fn finding_codes(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let all = v["findings"].as_array().into_iter().flatten().chain(
        v["approvals"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["findings"].as_array().into_iter().flatten()),
    );
    for f in all {
        out.push(f["code"].as_str().unwrap_or_default().to_string());
    }
    out
}

#[test]
fn a_heading_in_mid_text_is_content_so_no_copy_can_be_shortened_behind_it() {
    let env = Env::new();
    let text = mid_heading_doc();
    let doc = env.write("doc.txt", &text);
    let r = env.json(&["register", &doc.to_string_lossy()]);
    assert_eq!(
        r.code, 0,
        "a heading in mid-text is not a block: {}",
        r.stderr
    );
    let anna = env.user("anna", "Anna Berg", "Avdelningschef");
    assert_eq!(env.approve(&doc, &anna).code, 0);
    let block = env.ok(&["block", &doc.to_string_lossy()]).stdout;

    // The exact registered bytes plus the official block verify.
    let genuine = verify(&env, "genuine.txt", &format!("{text}\n{block}"));
    assert_eq!(genuine.code, 0, "{}", genuine.stdout);
    assert_eq!(genuine.json()["status"], "verified");
    assert_eq!(genuine.json()["document"]["match_level"], "file");

    // The tail removed, or replaced, behind the heading: not verified.
    let head = text.split("Nämnden beslutar dessutom").next().unwrap();
    let forgeries = [
        format!("{DOC}\n{block}"),
        format!("{head}\n{block}"),
        format!("{head}Nämnden beslutar dessutom att bygga en ny skola.\n\n{block}"),
    ];
    for (i, forged) in forgeries.iter().enumerate() {
        let r = verify(&env, &format!("forged{i}.txt"), forged);
        assert_eq!(r.code, 1, "forgery {i} verified: {}", r.stdout);
        assert_eq!(r.json()["status"], "failed");
        assert!(
            r.json()["document"]["match_level"].is_null(),
            "{}",
            r.stdout
        );
    }
}

#[test]
fn the_registration_records_canonical_text_v2() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    let r = env.json(&["register", &doc.to_string_lossy()]).json();
    let index = r["log_index"].as_u64().unwrap();
    let entry = String::from_utf8(env.entry_bytes(index)).unwrap();
    assert!(
        entry.contains(r#""document":{"canonical":"text-v2","text_sha256":"#),
        "{entry}"
    );
    let canonical = env.json(&["canonical", &doc.to_string_lossy()]).json();
    assert_eq!(canonical["version"], "text-v2");
    assert_eq!(canonical["text_sha256"], r["text_sha256"]);
    let human = env.ok(&["canonical", &doc.to_string_lossy()]);
    assert!(human.stderr.contains("text-v2"), "{}", human.stderr);
}

#[test]
fn a_document_that_already_carries_a_block_is_refused_and_nothing_is_written() {
    let env = Env::new();
    let before = env.log_size();
    let cases = [
        format!("{DOC}\n{}", typed_block()),
        // An empty block left by an earlier system.
        format!("{DOC}\nAttesterat av\n\n{INTRO}\n\nNamn\tDatum\n"),
        format!("{DOC}\n{INTRO}\n"),
        // Only a block.
        typed_block(),
    ];
    for (i, text) in cases.iter().enumerate() {
        let f = env.write(&format!("withblock{i}.txt"), text);
        let r = env.json(&["register", &f.to_string_lossy()]);
        assert_eq!(r.code, 1, "case {i}: {}", r.stdout);
        assert_eq!(r.error_code(), "document_has_block", "case {i}");
        let human = env.run(&["register", &f.to_string_lossy()]);
        assert_eq!(human.code, 1);
        assert!(
            human.stderr.contains("attestera import"),
            "{}",
            human.stderr
        );
        assert!(human.stderr.contains("Ta bort"), "{}", human.stderr);
    }
    assert_eq!(
        env.log_size(),
        before,
        "a refused registration wrote nothing"
    );
    // Historical approvals are what import is for.
    let f = env.write("historical.txt", &cases[0]);
    env.ok(&["import", &f.to_string_lossy()]);
}

#[test]
fn a_document_with_a_block_is_refused_over_http_and_through_the_client() {
    let s = Server::start(Env::new(), &[]);
    let before = s.env.log_size();
    let text = format!("{DOC}\n{}", typed_block());
    runtime().block_on(async {
        let r = reqwest::Client::new()
            .post(s.url("/api/v1/documents"))
            .bearer_auth(&s.registrar)
            .body(text.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "document_has_block");
        assert!(body["detail"].as_str().unwrap().contains("import"));
    });
    let f = s.env.write("withblock.txt", &text);
    let out = s
        .env
        .command(&["--json", "register", &f.to_string_lossy()])
        .env("ATTESTERA_SERVER", &s.base)
        .env("ATTESTERA_TOKEN", &s.registrar)
        .env("ATTESTERA_STATE_DIR", s.env.path("state"))
        .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
        .output()
        .unwrap();
    let r = finish(out);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.error_code(), "document_has_block");
    assert_eq!(s.env.log_size(), before, "nothing was written");
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    units
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn utf16_files_are_named_as_such_and_a_pdf_is_read_as_one_whatever_its_name() {
    let env = Env::new();
    let before = env.log_size();
    let files: Vec<(Vec<u8>, &str, &str)> = vec![
        (utf16(DOC, false, true), "text_utf16", "UTF-16"),
        (utf16(DOC, true, true), "text_utf16", "UTF-16"),
        (utf16(DOC, false, false), "text_utf16", "UTF-16"),
        (utf16(DOC, true, false), "text_utf16", "UTF-16"),
        (
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n".to_vec(),
            "pdf_damaged",
            "PDF-filen är skadad",
        ),
    ];
    for (i, (bytes, code, says)) in files.iter().enumerate() {
        let f = env.write(&format!("f{i}.txt"), bytes);
        let p = f.to_string_lossy();
        for command in ["register", "canonical"] {
            let r = env.json(&[command, &p]);
            assert_eq!(r.code, 2, "{command} {i}: {}", r.stdout);
            assert_eq!(r.error_code(), *code, "{command} {i}");
            let human = env.run(&[command, &p]);
            assert!(human.stderr.contains(says), "{}", human.stderr);
            assert!(!human.stderr.contains("binära"), "{}", human.stderr);
        }
        let v = env.json(&["verify", &p]);
        assert_eq!(v.code, 2);
        assert_eq!(v.json()["status"], "indeterminate");
        assert_eq!(finding_codes(&v.json()), vec![code.to_string()]);
    }
    assert_eq!(env.log_size(), before);
}

#[test]
fn verify_of_the_bare_registered_document_says_one_true_thing() {
    let env = Env::new();
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let r = env.json(&["verify", &doc.to_string_lossy()]);
    assert_eq!(r.code, 1, "no block, nothing attested");
    let v = r.json();
    let codes = finding_codes(&v);
    assert!(codes.contains(&"match_file".into()) && codes.contains(&"block_missing".into()));
    let said: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    let all = said.join(" | ");
    assert!(!all.contains("följt av"), "claims a block follows: {all}");
    assert!(all.contains("exakt de registrerade byten"), "{all}");
    let human = env.run(&["verify", &doc.to_string_lossy()]).stdout;
    assert!(!human.contains("följt av blocket"), "{human}");
}

#[test]
fn a_genuine_approval_missing_from_the_block_is_not_labelled_rejected() {
    let a = attested();
    let without_anna: String = a
        .attested
        .lines()
        .filter(|l| !l.starts_with("Anna Berg,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let f = a.env.write("old.txt", &without_anna);
    let r = a.env.json(&["verify", &f.to_string_lossy()]);
    assert_eq!(r.code, 1, "the block does not show what the log holds");
    let v = r.json();
    let anna = &v["approvals"][0];
    assert_eq!(anna["name"], "Anna Berg");
    assert_eq!(anna["indication"], "TOTAL-PASSED");
    assert_eq!(anna["in_block"], false);
    assert!(finding_codes(&v).contains(&"approval_missing_from_block".into()));
    assert_eq!(v["approvals"][1]["in_block"], true);
    let human = a.env.run(&["verify", &f.to_string_lossy()]).stdout;
    assert!(!human.contains("underkänt"), "{human}");
    assert!(
        human.contains("Anna Berg, Avdelningschef")
            && human.contains("giltigt, men visas inte i blocket"),
        "{human}"
    );
}

#[test]
fn hostile_metadata_is_bounded_and_printable_in_the_log() {
    let env = Env::new();
    let escape = "\u{1b}]0;Kapad\u{7}\u{1b}[2J";
    let long = "Å".repeat(2_000_000);
    let text = format!(
        "Handläggare\n{escape}Per {long}\nTill\nSkarpnäcks{escape} stadsdelsnämnd\n2026-12-10\n\
         Upprustning{escape} av parker\n\nSvar på remiss, dnr {}/{}\nEtt riktigt ärende, dnr 2026/1234\n",
        "1".repeat(500_000),
        "2".repeat(500_000)
    );
    let doc = env.write("hostile.txt", text.as_bytes());
    let r = env.json(&["register", &doc.to_string_lossy()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let meta = &r.json()["metadata"];
    assert_eq!(meta["dnr"], "2026/1234");
    assert_eq!(meta["title"], "Upprustning]0;Kapad[2J av parker");
    let entry = env.entry_bytes(r.json()["log_index"].as_u64().unwrap());
    assert!(entry.len() < 4_000, "entry of {} bytes", entry.len());
    let entry = String::from_utf8(entry).unwrap();
    assert!(
        !entry.contains("\\u001b") && !entry.contains("\\u0007"),
        "{entry}"
    );
    let human = env.run(&["verify", &doc.to_string_lossy()]).stdout;
    assert!(!human.contains('\u{1b}'), "{human}");
}

/// Appends a registration of `text` as the previous version wrote it: no
/// `canonical` field, the digest under `text-v1`.
fn register_as_text_v1(env: &Env, text: &str) {
    use attestera::service::Sequencer;
    use attestera_core::document::{canonical_text_v1, text_digest};
    use attestera_core::entry::{DocumentRecord, EntryBody};
    let dir = env.dir();
    runtime().block_on(async {
        let config = dir.config().unwrap();
        let ca = dir.read_string(&dir.ca_cert()).unwrap();
        let ca_der = attestera_core::pki::parse_certificate_pem(&ca).unwrap();
        let key = dir
            .read_private_key(&dir.log_key(), Some(crate::common::PASSPHRASE))
            .unwrap();
        let signer = attestera_core::tlog::NoteSigner::from_pkcs8(&config.origin, &key).unwrap();
        let store = dir.open_store(Some(&config), false).await.unwrap();
        let metrics = std::sync::Arc::new(attestera::service::metrics::Metrics::default());
        let sequencer = Sequencer::start(store.clone(), signer, config.origin, ca_der, metrics);
        let doc = attestera_core::document::read(text.as_bytes()).unwrap();
        let document = DocumentRecord {
            canonical: None,
            text_sha256: text_digest(&canonical_text_v1(text)).to_hex(),
            file_sha256: doc.file_sha256.to_hex(),
            file_size: doc.file_size,
            metadata: doc.metadata,
            pdf: None,
        };
        sequencer
            .append(vec![EntryBody::Registration {
                document,
                operator: "registrator Rut".into(),
            }])
            .await
            .unwrap();
        drop(sequencer);
        store.close().await;
    });
}

fn codes_of(r: &Run) -> Vec<String> {
    finding_codes(&r.json())
}

#[test]
fn a_text_v1_registration_still_verifies_and_says_what_it_covers() {
    let env = Env::new();
    let text = mid_heading_doc();
    register_as_text_v1(&env, &text);
    let doc = env.write("doc.txt", &text);
    let anna = env.user("anna", "Anna Berg", "Avdelningschef");
    let r = env.approve(&doc, &anna);
    assert_eq!(r.code, 0, "approve finds the v1 registration: {}", r.stderr);
    let block = env.ok(&["block", &doc.to_string_lossy()]).stdout;
    assert_eq!(
        env.json(&["audit"]).code,
        0,
        "the old entry passes the audit"
    );

    // The exact registered bytes plus the block: verified, with the tail
    // after the mid-text heading named as not covered.
    let genuine = verify(&env, "genuine.txt", &format!("{text}\n{block}"));
    assert_eq!(genuine.code, 0, "{}", genuine.stdout);
    let codes = codes_of(&genuine);
    assert!(codes.contains(&"registered_text_v1".into()), "{codes:?}");
    assert!(codes.contains(&"text_not_covered".into()), "{codes:?}");

    // What v1 could not tell apart: the shortened copy matches its digest,
    // and the verdict says which rule applied.
    let head = text.split("Nämnden beslutar dessutom").next().unwrap();
    let short = verify(&env, "short.txt", &format!("{head}\n{block}"));
    assert_eq!(short.json()["document"]["match_level"], "text-v1");
    assert!(codes_of(&short).contains(&"registered_text_v1".into()));
}

#[test]
fn the_text_v1_digest_never_finds_a_text_v2_registration() {
    let a = attested();
    // Text added behind a fake heading: v1 would cut it, v2 keeps it.
    let block = a.attested.strip_prefix(DOC).unwrap();
    let forged = format!("{DOC}\n{INTRO}\nNämnden beslutar dessutom att riva skolan.\n{block}");
    let r = verify(&a.env, "forged.txt", &forged);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.json()["document"]["match_level"].is_null(),
        "{}",
        r.stdout
    );
}

//! The CLI against a real server with `--server`, trusting nothing it is
//! told: whole flow, trust on first use, and lying servers (forked,
//! rolled back, wrong proofs, another key) caught by the client.

use std::path::Path;

use crate::common::{DOC, Env, Run, finish};
use crate::http::Server;

/// Runs the CLI in server mode with its own state directory.
fn client(s: &Server, state: &Path, token: &str, args: &[&str]) -> Run {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = s
        .env
        .command(&all)
        .env("ATTESTERA_SERVER", &s.base)
        .env("ATTESTERA_TOKEN", token)
        .env("ATTESTERA_STATE_DIR", state)
        .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
        .output()
        .unwrap();
    finish(out)
}

/// Registers `n` distinct documents through the server with the client.
fn register_through(s: &Server, state: &Path, n: usize, tag: &str) {
    for i in 0..n {
        let f = s
            .env
            .write(&format!("{tag}{i}.txt"), format!("{DOC}\n{tag} {i}\n"));
        let r = client(s, state, &s.registrar, &["register", &f.to_string_lossy()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
}

#[test]
fn register_approve_block_verify_through_the_server() {
    let s = Server::start(Env::new(), &[]);
    let state = s.env.path("state");
    let doc = s.env.write("doc.txt", DOC);
    let doc = doc.to_string_lossy();
    let r = client(&s, &state, &s.registrar, &["register", &doc]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("första kontakten"),
        "trust on first use is announced: {}",
        r.stderr
    );
    let r = client(&s, &state, &s.registrar, &["log", "checkpoint"]);
    assert!(
        !r.stderr.contains("första kontakten"),
        "only the first time"
    );

    // The approver's key and certificate are made locally from the server's CA (admin, local data dir).
    s.env.ok(&[
        "user",
        "add",
        "--name",
        "Anna Berg",
        "--role",
        "Avdelningschef",
        "--out",
        "anna",
    ]);
    let (key, cert) = (s.env.s("anna/key.pem"), s.env.s("anna/cert.pem"));
    let r = client(
        &s,
        &state,
        &s.approver,
        &["approve", &doc, "--key", &key, "--cert", &cert, "--yes"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = client(
        &s,
        &state,
        &s.approver,
        &["approve", &doc, "--key", &key, "--cert", &cert, "--yes"],
    );
    assert_eq!((r.code, r.error_code().as_str()), (1, "approval_duplicate"));

    let block = client(&s, &state, &s.registrar, &["block", &doc]).json()["block"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(block.contains("Anna Berg, Avdelningschef\t"));
    let attested = s.env.write("attested.txt", format!("{DOC}\n{block}"));
    let v = client(&s, &state, "", &["verify", &attested.to_string_lossy()]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.json()["approvals"][0]["indication"], "TOTAL-PASSED");
    let tampered = s.env.write(
        "tampered.txt",
        format!("{DOC}\n{block}").replace("Anna Berg,", "Anna Borg,"),
    );
    let v = client(&s, &state, "", &["verify", &tampered.to_string_lossy()]);
    assert_eq!(v.code, 1);
    let a = client(&s, &state, "", &["audit"]);
    assert_eq!(a.code, 0, "{}", a.stdout);
    assert_eq!(a.json()["approvals"], 1);
}

/// Two servers signing with the same (test) log key but holding different logs.
fn two_logs() -> (Server, Server) {
    let a = Server::start(Env::new(), &[]);
    let b = Server::start(Env::new(), &[]);
    (a, b)
}

#[test]
fn a_forked_log_is_caught() {
    let (a, b) = two_logs();
    let state = a.env.path("state");
    register_through(&a, &state, 3, "A");
    // B has a different history, longer than what the client saw of A.
    register_through(&b, &b.env.path("state-b"), 5, "B");
    let r = client(&b, &state, "", &["log", "checkpoint"]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "log_forked"),
        "{}",
        r.stderr
    );
    let doc = b.env.write("x.txt", DOC);
    let v = client(&b, &state, "", &["verify", &doc.to_string_lossy()]);
    assert_eq!(v.code, 1);
    assert_eq!(v.json()["findings"][0]["code"], "log_forked");
    let au = client(&b, &state, "", &["audit"]);
    assert_eq!(au.code, 1);
    assert_eq!(au.json()["problems"][0]["code"], "log_forked");
}

#[test]
fn a_rolled_back_log_is_caught() {
    let (a, b) = two_logs();
    let state = a.env.path("state");
    register_through(&a, &state, 3, "A");
    // B (same key) is at size 1: shorter than what the client already verified.
    let r = client(&b, &state, "", &["log", "checkpoint"]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "log_rolled_back"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_wrong_inclusion_proof_is_caught() {
    let env = Env::new();
    let f = env.write("d.txt", DOC);
    env.ok(&["register", &f.to_string_lossy()]);
    // The stored hashes are corrupted before the server reads any (it keeps
    // what it has read, `service::read_cache`): every proof it builds from
    // them is wrong.
    env.sql("UPDATE log_hashes SET hash = zeroblob(32) WHERE idx = 1");
    let s = Server::start(env, &[]);
    let r = client(&s, &s.env.path("fresh-state"), "", &["log", "entry", "0"]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "inclusion_proof_failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_server_with_another_key_is_refused() {
    let s = Server::start(Env::with_new_keys(), &[]);
    let pinned =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/test-log.vkey"))
            .unwrap();
    let out = s
        .env
        .command(&["--json", "log", "checkpoint"])
        .env("ATTESTERA_SERVER", &s.base)
        .env("ATTESTERA_LOG_KEY", pinned.trim())
        .env("ATTESTERA_STATE_DIR", s.env.path("state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "log_key_mismatch");
}

/// A server that leaves an approval or a revocation out of its answers is
/// caught by the full replay, which learns them from every entry; the
/// default verify, which fetches only the entries the server names, cannot
/// know what it was not told (docs/threat-model.md says so).
#[test]
fn a_server_hiding_an_approval_or_a_revocation_is_caught_only_by_the_full_replay() {
    let s = Server::start(Env::new(), &[]);
    let state = s.env.path("state");
    let doc = s.env.write("doc.txt", DOC);
    s.env.ok(&["register", &doc.to_string_lossy()]);
    let anna = s.env.user("anna", "Anna Berg", "Avdelningschef");
    let bo = s.env.user("bo", "Bo Ek", "Stadsdelsdirektör");
    assert_eq!(s.env.approve(&doc, &anna).code, 0);
    // The block the server hands out before Bo approves: only Anna.
    let block = s.env.ok(&["block", &doc.to_string_lossy()]).stdout;
    assert_eq!(s.env.approve(&doc, &bo).code, 0);
    s.env
        .ok(&["user", "revoke", "--cert", &anna.1, "--reason", "slutat"]);
    let old_block = s.env.write("old.txt", format!("{DOC}\n{block}"));
    let old_block = old_block.to_string_lossy();

    // The server's tables now hide Bo's approval and Anna's revocation.
    s.env.sql("DELETE FROM approvals WHERE name = 'Bo Ek'");
    s.env.sql(
        "UPDATE certificates SET revoked_index = NULL, revoked_at = NULL, revoke_reason = NULL",
    );

    let v = client(&s, &state, "", &["verify", "--full-replay", &old_block]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let all = v.json().to_string();
    assert!(
        all.contains("approval_missing_from_block"),
        "Bo's approval is found in the log: {all}"
    );
    assert!(
        all.contains("certificate_revoked_later"),
        "Anna's revocation is found in the log: {all}"
    );

    let v = client(&s, &state, "", &["verify", &old_block]);
    let all = v.json().to_string();
    assert_eq!(
        (v.code, all.contains("certificate_revoked_later")),
        (0, false),
        "the entries named are all the default verify knows: {all}"
    );
}

/// Trust on first use is bound to the server: a different key later is an error.
#[test]
fn a_changed_key_on_a_known_server_is_refused() {
    let s = Server::start(Env::new(), &[]);
    let state = s.env.path("state");
    assert_eq!(client(&s, &state, "", &["log", "checkpoint"]).code, 0);
    // The server's remembered key is replaced by another one, as if the server had swapped keys.
    let other = Env::with_new_keys();
    let other_key = other.ok(&["log", "public-key"]).stdout.trim().to_string();
    for f in std::fs::read_dir(&state).unwrap() {
        let p = f.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("server-")
        {
            std::fs::write(
                &p,
                serde_json::json!({ "log_key": other_key, "checkpoint": null }).to_string(),
            )
            .unwrap();
        }
    }
    let r = client(&s, &state, "", &["log", "checkpoint"]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "log_key_mismatch"),
        "{}",
        r.stderr
    );
}

#[test]
fn log_reads_through_the_server_are_checked() {
    let s = Server::start(Env::new(), &[]);
    let state = s.env.path("state");
    for i in 0..4 {
        let f = s.env.write(&format!("d{i}.txt"), format!("{DOC}\n{i}\n"));
        s.env.ok(&["register", &f.to_string_lossy()]);
    }
    let r = client(&s, &state, "", &["log", "consistency", "2", "5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["old_size"], 2);
    let r = client(&s, &state, "", &["log", "entry", "3"]);
    assert_eq!(r.json()["entry"]["kind"], "registration");
    for args in [
        &["log", "proof", "4"][..],
        &["log", "proof", "2", "--tree-size", "4"],
    ] {
        let remote = client(&s, &state, "", args);
        assert_eq!(remote.code, 0, "{}", remote.stderr);
        let local = s.env.json(args);
        assert_eq!(
            remote.json(),
            local.json(),
            "the same proof as the local command"
        );
    }
    let r = client(&s, &state, "", &["log", "public-key"]);
    assert_eq!(r.json(), s.env.json(&["log", "public-key"]).json());
    let doc = s.env.write("canon.txt", DOC);
    let r = client(&s, &state, "", &["canonical", &doc.to_string_lossy()]);
    assert_eq!(r.code, 0, "canonical needs no server: {}", r.stderr);
    let local = s.env.json(&["canonical", &doc.to_string_lossy()]);
    assert_eq!(r.json(), local.json());
    let r = client(&s, &state, "", &["log", "proof", "2", "--tree-size", "9"]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "invalid_range"));
    let r = client(&s, &state, "", &["log", "consistency", "4", "9"]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "invalid_range"));
}

/// The entries a client verified are kept, so later commands fetch only new
/// ones; a spoiled copy is fetched again, not blamed on the server.
#[test]
fn verified_entries_are_kept_and_a_spoiled_copy_is_fetched_again() {
    let s = Server::start(Env::new(), &[]);
    let state = s.env.path("state");
    let kept = || {
        let file = std::fs::read_dir(&state)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "entries"))
            .expect("an entries file in the state directory");
        (file.clone(), std::fs::read(file).unwrap())
    };
    let lines = |bytes: &[u8]| bytes.split(|b| *b == b'\n').count() as u64;
    register_through(&s, &state, 3, "a");
    let r = client(&s, &state, "", &["audit"]);
    assert_eq!((r.code, &r.json()["ok"]), (0, &true.into()), "{}", r.stdout);
    assert_eq!(lines(&kept().1), s.env.log_size());

    register_through(&s, &state, 2, "b");
    let served_before = entries_served(&s);
    let r = client(&s, &state, "", &["audit"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        entries_served(&s) - served_before,
        2,
        "only the two new entries were downloaded"
    );
    let (file, bytes) = kept();
    assert_eq!(
        lines(&bytes),
        s.env.log_size(),
        "the new entries were added"
    );
    let first_line_end = bytes.iter().position(|b| *b == b'\n').unwrap();
    assert!(&bytes[..first_line_end] == s.env.entry_bytes(0).as_slice());

    // A spoiled first entry: the prefix no longer leads to the signed root.
    let mut spoiled = b"{\"v\":1}".to_vec();
    spoiled.extend_from_slice(&bytes[first_line_end..]);
    std::fs::write(&file, spoiled).unwrap();
    let r = client(&s, &state, "", &["audit"]);
    assert_eq!(r.code, 0, "not blamed on the server: {}", r.stdout);
    assert!(kept().1 == bytes, "the copy was fetched again");
}

/// The server's count of log entries served, from /metrics.
fn entries_served(s: &Server) -> u64 {
    crate::common::runtime().block_on(async {
        let text = reqwest::get(s.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("attestera_entries_served_total "))
            .expect("attestera_entries_served_total")
            .trim()
            .parse()
            .unwrap()
    })
}

/// The keys of a JSON object, sorted.
fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn local_and_remote_verify_give_the_same_verdict() {
    let s = Server::start(Env::new(), &[]);
    let state = s.env.path("state");
    let doc = s.env.write("doc.txt", DOC);
    s.env.ok(&["register", &doc.to_string_lossy()]);
    let seed = s.env.write("seed.txt", crate::common::SEED);
    s.env.ok(&["import", &seed.to_string_lossy()]);
    let anna = s.env.user("anna", "Anna Berg", "Avdelningschef");
    let per = s.env.user("per", "Per Persson", "Handläggare");
    assert_eq!(s.env.approve(&doc, &anna).code, 0);
    assert_eq!(s.env.approve(&doc, &per).code, 0);
    // Per's certificate is revoked after he approved: his approval stands, flagged.
    s.env.ok(&["user", "revoke", "--cert", &per.1]);
    let block = s.env.ok(&["block", &doc.to_string_lossy()]).stdout;
    let attested = format!("{DOC}\n{block}");
    let copies = [
        ("attested", "verified", attested.clone()),
        (
            "name",
            "failed",
            attested.replace("Anna Berg,", "Anna Borg,"),
        ),
        ("content", "failed", attested.replace("3 nya", "4 nya")),
        ("bare", "failed", DOC.to_string()),
        ("seed", "verified", crate::common::SEED.to_string()),
        (
            "similar",
            "failed",
            DOC.replace("Förslag till beslut", "Förslag"),
        ),
        ("unrelated", "failed", "Något helt annat.\n".to_string()),
    ];
    for (name, status, text) in copies {
        let f = s.env.write(&format!("{name}.txt"), text);
        let f = f.to_string_lossy();
        let local = s.env.json(&["verify", &f]);
        let remote = client(&s, &state, "", &["verify", &f]);
        assert_eq!(remote.code, local.code, "{name}: {}", remote.stderr);
        assert_eq!(remote.json(), local.json(), "{name}");
        assert_eq!(local.json()["status"], status, "{name}");
    }
    let local = s.env.json(&["audit"]).json();
    let remote = client(&s, &state, "", &["audit"]).json();
    assert_eq!(keys(&remote), keys(&local), "one report type");
    for k in ["ok", "entries", "documents", "approvals", "certificates"] {
        assert_eq!(remote[k], local[k], "{k}");
    }
}

/// Registers `n` distinct documents in the data directory, in the test's
/// process and concurrently (group commit makes that quick).
fn fill(env: &Env, n: usize, tag: &str) {
    crate::common::runtime().block_on(async {
        let service = std::sync::Arc::new(env.service().await);
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let s = service.clone();
                let text = format!("{DOC}\nBilaga {tag} {i}\n");
                tokio::spawn(async move { s.register(text.as_bytes(), "registrator Rut").await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
}

/// Whether the client's state directory holds a copy of log entries.
fn keeps_entries(state: &Path) -> bool {
    std::fs::read_dir(state)
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "entries"))
        })
        .unwrap_or(false)
}

/// On first contact with a log of hundreds of unrelated entries, verify
/// fetches a handful of entries (those the server names for the copy, each
/// with its inclusion proof) and keeps no copy of the log, and its verdicts
/// are those of the full replay, which fetches every entry: for an attested
/// copy (approved by a confirmed look-alike of another holder, and by one
/// whose certificate was revoked later), a tampered one, a similar one and
/// an unknown one.
#[test]
fn a_first_contact_verify_fetches_only_the_documents_entries() {
    let env = Env::new();
    fill(&env, 150, "före");
    let doc = env.write("doc.txt", DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    env.user("genuine", "Anna Kopec", "Chef");
    let twin = "Anna \u{41A}\u{43E}\u{440}\u{435}\u{441}";
    env.ok(&[
        "user",
        "add",
        "--name",
        twin,
        "--role",
        "Chef",
        "--out",
        "twin",
        "--confirm-lookalike",
    ]);
    let twin = (env.s("twin/key.pem"), env.s("twin/cert.pem"));
    let bo = env.user("bo", "Bo Ek", "Stadsdelsdirektör");
    assert_eq!(env.approve(&doc, &twin).code, 0);
    assert_eq!(env.approve(&doc, &bo).code, 0);
    env.ok(&["user", "revoke", "--cert", &bo.1, "--reason", "slutat"]);
    let block = env.ok(&["block", &doc.to_string_lossy()]).stdout;
    fill(&env, 150, "efter");
    let s = Server::start(env, &[]);
    let size = s.env.log_size();
    assert!(size > 300, "{size}");

    let attested = format!("{DOC}\n{block}");
    let copies = [
        ("attested", "verified", attested.clone()),
        ("tampered", "failed", attested.replace("Bo Ek,", "Bo Ok,")),
        ("similar", "failed", attested.replace("3 nya", "4 nya")),
        ("unknown", "failed", "Något helt annat.\n".to_string()),
    ];
    for (i, (name, status, text)) in copies.into_iter().enumerate() {
        let f = s.env.write(&format!("{name}.txt"), text);
        let f = f.to_string_lossy();
        let state = s.env.path(&format!("state-{i}"));
        let before = entries_served(&s);
        let v = client(&s, &state, "", &["verify", &f]);
        let fetched = entries_served(&s) - before;
        assert_eq!(v.json()["status"], status, "{name}: {}", v.stdout);
        // The CA, the registration, two approvals, three certificates and a
        // revocation; or the CA and up to five similar registrations.
        assert!(fetched <= 8, "{name}: {fetched} entries of {size} fetched");
        assert!(!keeps_entries(&state), "{name}: no copy of the log is kept");

        let full_state = s.env.path(&format!("full-{i}"));
        let before = entries_served(&s);
        let full = client(&s, &full_state, "", &["verify", "--full-replay", &f]);
        assert_eq!(entries_served(&s) - before, size, "{name}: the whole log");
        assert!(keeps_entries(&full_state), "{name}");
        assert_eq!((v.code, v.json()), (full.code, full.json()), "{name}");
    }
}

/// The server's answer must fit the entries it names: an approval of
/// another document named as this one's is refused, not counted or ignored.
#[test]
fn a_server_naming_another_documents_approval_is_refused() {
    let s = Server::start(Env::new(), &[]);
    let a = s.env.write("a.txt", DOC);
    let a_id = s.env.json(&["register", &a.to_string_lossy()]).json()["text_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let b = s.env.write("b.txt", format!("{DOC}\nBilaga B\n"));
    s.env.ok(&["register", &b.to_string_lossy()]);
    let anna = s.env.user("anna", "Anna Berg", "Avdelningschef");
    assert_eq!(s.env.approve(&b, &anna).code, 0);
    // The server's table says that Anna's approval of B is of A.
    s.env
        .sql(&format!("UPDATE approvals SET document = '{a_id}'"));
    let v = client(
        &s,
        &s.env.path("state"),
        "",
        &["verify", &a.to_string_lossy()],
    );
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(
        v.json()["findings"][0]["code"],
        "entry_mismatch",
        "{}",
        v.stdout
    );
}

/// An entry served with bytes other than those its inclusion proof proves is refused.
#[test]
fn a_served_entry_that_its_proof_does_not_prove_is_refused() {
    let s = Server::start(Env::new(), &[]);
    let doc = s.env.write("doc.txt", DOC);
    s.env.ok(&["register", &doc.to_string_lossy()]);
    let anna = s.env.user("anna", "Anna Berg", "Avdelningschef");
    let approved = s.env.approve(&doc, &anna);
    let index = approved.json()["log_index"].as_u64().unwrap();
    let block = s.env.ok(&["block", &doc.to_string_lossy()]).stdout;
    let attested = s.env.write("attested.txt", format!("{DOC}\n{block}"));
    let attested = attested.to_string_lossy();
    let state = s.env.path("state");
    assert_eq!(client(&s, &state, "", &["verify", &attested]).code, 0);
    // The stored entry now names another approver; its stored hashes do not change.
    s.env.sql(&format!(
        "UPDATE log_entries SET data = CAST(REPLACE(CAST(data AS TEXT), 'Anna Berg', 'Anna Borg') AS BLOB) WHERE idx = {index}"
    ));
    let v = client(&s, &state, "", &["verify", &attested]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(
        v.json()["findings"][0]["code"],
        "entry_mismatch",
        "{}",
        v.stdout
    );
}

/// Against a server from before `GET /log/indexes` (here a proxy that
/// answers those paths 404 `not_found`, as such a server's router does),
/// verify falls back to the full replay instead of failing.
#[test]
fn verify_against_a_server_without_the_index_falls_back_to_the_full_replay() {
    use axum::http::{StatusCode, Uri, header};
    use axum::response::IntoResponse;
    let s = Server::start(Env::new(), &[]);
    let doc = s.env.write("doc.txt", DOC);
    s.env.ok(&["register", &doc.to_string_lossy()]);
    let anna = s.env.user("anna", "Anna Berg", "Avdelningschef");
    assert_eq!(s.env.approve(&doc, &anna).code, 0);
    let block = s.env.ok(&["block", &doc.to_string_lossy()]).stdout;
    let attested = s.env.write("attested.txt", format!("{DOC}\n{block}"));

    let rt = crate::common::runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let older = format!("http://{}", listener.local_addr().unwrap());
    let upstream = s.base.clone();
    let http = reqwest::Client::new();
    let forward = move |uri: Uri| {
        let (http, upstream) = (http.clone(), upstream.clone());
        async move {
            if uri.path().starts_with("/api/v1/log/indexes") {
                let problem = [(header::CONTENT_TYPE, "application/problem+json")];
                return (StatusCode::NOT_FOUND, problem, r#"{"code":"not_found"}"#).into_response();
            }
            let r = http.get(format!("{upstream}{uri}")).send().await.unwrap();
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
            (status, r.bytes().await.unwrap()).into_response()
        }
    };
    rt.spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(forward))
            .await
            .unwrap()
    });
    let state = s.env.path("state");
    let out = s
        .env
        .command(&["--json", "verify", &attested.to_string_lossy()])
        .env("ATTESTERA_SERVER", &older)
        .env("ATTESTERA_STATE_DIR", &state)
        .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
        .output()
        .unwrap();
    let v = finish(out);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.json()["status"], "verified");
    assert!(keeps_entries(&state), "the whole log was replayed");
}

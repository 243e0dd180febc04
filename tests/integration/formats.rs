//! The log's formats checked from outside: proofs and checkpoints printed
//! by the CLI verify with the independent RFC 9162 checks, and (with Go
//! installed, as .ci/run does) with Go's golang.org/x/mod/sumdb/note and tlog.

use attestera_core::tlog::{self, Checkpoint, NoteVerifier};

use crate::common::attested;

fn hashes(v: &serde_json::Value) -> Vec<tlog::Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| tlog::from_base64(h.as_str().unwrap()).unwrap())
        .collect()
}

#[test]
fn printed_checkpoint_and_proofs_verify() {
    let a = attested();
    let env = &a.env;
    let vkey = env.ok(&["log", "public-key"]).stdout.trim().to_string();
    assert_eq!(
        vkey,
        std::fs::read_to_string(env.data_dir().join("log.vkey"))
            .unwrap()
            .trim()
    );
    let note = env.ok(&["log", "checkpoint"]).stdout;
    let verifier = NoteVerifier::parse(&vkey).unwrap();
    let cp = Checkpoint::parse(verifier.open(&note).unwrap()).unwrap();
    assert_eq!(cp.size, env.log_size());

    for index in 0..cp.size {
        let entry = env.json(&["log", "entry", &index.to_string()]).json();
        let proof = env.json(&["log", "proof", &index.to_string()]).json();
        let leaf = tlog::from_base64(proof["leaf_hash"].as_str().unwrap()).unwrap();
        assert_eq!(entry["leaf_hash"], proof["leaf_hash"]);
        tlog::verify_inclusion(&leaf, index, cp.size, &hashes(&proof["hashes"]), &cp.root).unwrap();
    }
    // Consistency from every earlier size to the latest, against roots recomputed from entries.
    let mut tree = tlog::MemoryHashes::new();
    for index in 0..cp.size {
        tree.append(&env.entry_bytes(index));
    }
    for old in 1..cp.size {
        let proof = env
            .json(&["log", "consistency", &old.to_string(), &cp.size.to_string()])
            .json();
        let old_root = tlog::tree_hash(old, &tree).unwrap();
        tlog::verify_consistency(old, cp.size, &hashes(&proof["hashes"]), &old_root, &cp.root)
            .unwrap();
    }
    let bad = env.json(&["log", "proof", &cp.size.to_string()]);
    assert_eq!(
        (bad.code, bad.error_code().as_str()),
        (2, "entry_not_found")
    );
}

const GO_CHECK: &str = r#"package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// usage: check tree VKEY NOTEFILE ENTRYDIR OLDSIZE PROOF...
// Recomputes every root from the entries (files ENTRYDIR/0, 1, ...) with Go's
// own StoredHashes and TreeHash, checks the note's root, then the consistency
// proof from OLDSIZE to the note's size.
func checkTree(args []string) {
	v, err := note.NewVerifier(args[0])
	if err != nil { fmt.Println("verifier:", err); os.Exit(1) }
	msg, _ := os.ReadFile(args[1])
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil { fmt.Println("open:", err); os.Exit(1) }
	var origin, root64 string
	var size int64
	if _, err := fmt.Sscanf(n.Text, "%s\n%d\n%s\n", &origin, &size, &root64); err != nil { fmt.Println("parse:", err); os.Exit(1) }
	var hashes []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx { out[i] = hashes[x] }
		return out, nil
	})
	for i := int64(0); i < size; i++ {
		data, err := os.ReadFile(fmt.Sprintf("%s/%d", args[2], i))
		if err != nil { fmt.Println("entry:", err); os.Exit(1) }
		h, err := tlog.StoredHashes(i, data, reader)
		if err != nil { fmt.Println("stored:", err); os.Exit(1) }
		hashes = append(hashes, h...)
	}
	root, _ := tlog.TreeHash(size, reader)
	if base64.StdEncoding.EncodeToString(root[:]) != root64 { fmt.Println("root differs"); os.Exit(1) }
	old, _ := strconv.ParseInt(args[3], 10, 64)
	oldRoot, _ := tlog.TreeHash(old, reader)
	var proof tlog.TreeProof
	for _, p := range args[4:] {
		b, _ := base64.StdEncoding.DecodeString(p)
		var h tlog.Hash
		copy(h[:], b)
		proof = append(proof, h)
	}
	if err := tlog.CheckTree(proof, size, root, old, oldRoot); err != nil { fmt.Println("tree:", err); os.Exit(1) }
	fmt.Println("ok", origin, old, size)
}

// usage: check VKEY NOTEFILE ENTRYFILE INDEX PROOF...
func main() {
	if os.Args[1] == "tree" { checkTree(os.Args[2:]); return }
	v, err := note.NewVerifier(os.Args[1])
	if err != nil { fmt.Println("verifier:", err); os.Exit(1) }
	msg, _ := os.ReadFile(os.Args[2])
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil { fmt.Println("open:", err); os.Exit(1) }
	var origin string
	var size int64
	var root64 string
	if _, err := fmt.Sscanf(n.Text, "%s\n%d\n%s\n", &origin, &size, &root64); err != nil { fmt.Println("parse:", err); os.Exit(1) }
	rootBytes, _ := base64.StdEncoding.DecodeString(root64)
	var root tlog.Hash
	copy(root[:], rootBytes)
	entry, _ := os.ReadFile(os.Args[3])
	index, _ := strconv.ParseInt(os.Args[4], 10, 64)
	var proof tlog.RecordProof
	for _, p := range os.Args[5:] {
		b, _ := base64.StdEncoding.DecodeString(p)
		var h tlog.Hash
		copy(h[:], b)
		proof = append(proof, h)
	}
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(entry)); err != nil { fmt.Println("record:", err); os.Exit(1) }
	fmt.Println("ok", origin, size)
}
"#;

/// Go's sumdb/note and sumdb/tlog accept our checkpoint, inclusion and consistency proofs.
/// Needs Debian's golang-1.19-go and golang-golang-x-mod-dev (installed by .ci/run).
#[test]
#[ignore = "needs Go with golang.org/x/mod; run by .ci/run with --ignored"]
fn go_sumdb_verifies_checkpoint_inclusion_and_consistency() {
    let a = attested();
    let env = &a.env;
    let go = ["/usr/lib/go-1.19/bin/go", "/usr/bin/go"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("Go is not installed");
    let src = env.path("gocheck");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("main.go"), GO_CHECK).unwrap();
    let bin = env.path("gocheck-bin");
    let build = std::process::Command::new(go)
        .args(["build", "-o", &bin.to_string_lossy(), "."])
        .current_dir(&src)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", env.path("gocache"))
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let vkey = env.ok(&["log", "public-key"]).stdout.trim().to_string();
    let note = env.write("checkpoint.note", env.ok(&["log", "checkpoint"]).stdout);
    let size = env.log_size();
    for index in 0..size {
        let entry = env.write("entry.json", env.entry_bytes(index));
        let proof = env.json(&["log", "proof", &index.to_string()]).json();
        let mut args = vec![
            vkey.clone(),
            note.to_string_lossy().into(),
            entry.to_string_lossy().into(),
            index.to_string(),
        ];
        args.extend(
            proof["hashes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string()),
        );
        let check = std::process::Command::new(&bin)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "Go refused entry {index}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    // Consistency proofs from every older size, against roots Go computes itself.
    let dir = env.path("entries");
    std::fs::create_dir_all(&dir).unwrap();
    for index in 0..size {
        std::fs::write(dir.join(index.to_string()), env.entry_bytes(index)).unwrap();
    }
    let tree_check = |old: u64, hashes: Vec<String>| {
        let mut args = vec![
            "tree".to_string(),
            vkey.clone(),
            note.to_string_lossy().into(),
            dir.to_string_lossy().into(),
            old.to_string(),
        ];
        args.extend(hashes);
        std::process::Command::new(&bin)
            .args(&args)
            .output()
            .unwrap()
    };
    for old in 1..size {
        let proof = env
            .json(&["log", "consistency", &old.to_string(), &size.to_string()])
            .json();
        let hashes: Vec<String> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_string())
            .collect();
        let check = tree_check(old, hashes.clone());
        assert!(
            check.status.success(),
            "Go refused the consistency proof {old} → {size}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
        if let Some(first) = hashes.first() {
            let mut wrong = hashes.clone();
            wrong[0] = first.replacen(&first[..1], if &first[..1] == "A" { "B" } else { "A" }, 1);
            assert!(
                !tree_check(old, wrong).status.success(),
                "Go accepted a changed consistency proof {old} → {size}"
            );
        }
    }
    // A changed byte in the note must make Go refuse it.
    let tampered = std::fs::read_to_string(&note)
        .unwrap()
        .replacen('\n', "x\n", 1);
    let note2 = env.write("tampered.note", tampered);
    let check = std::process::Command::new(&bin)
        .args([vkey.as_str(), &note2.to_string_lossy(), "/dev/null", "0"])
        .output()
        .unwrap();
    assert!(!check.status.success());
}

#[test]
fn init_adopts_the_committed_test_keys() {
    let env = crate::common::Env::new();
    let vkey = env.ok(&["log", "public-key"]).stdout;
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/test-log.vkey"))
            .unwrap();
    assert_eq!(vkey.trim(), committed.trim());
    let ca = env.ok(&["ca"]).stdout;
    assert_eq!(
        ca,
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/keys/test-ca.cert.pem"
        ))
        .unwrap()
    );
}

/// OpenSSL (an independent X.509 implementation) accepts the chain we issue.
#[test]
fn openssl_verifies_issued_certificates() {
    let env = crate::common::Env::with_new_keys();
    let (_, cert) = env.user("u", "Anna Berg", "Avdelningschef");
    let ca = env.data_dir().join("ca.cert.pem");
    let out = std::process::Command::new("openssl")
        .args(["verify", "-CAfile", &ca.to_string_lossy(), &cert])
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The keys attestera generates are PKCS#8 that OpenSSL reads too.
    let data = env.data_dir();
    // They are encrypted (the approver's and the service's): OpenSSL reads
    // them with the passphrase.
    let passin = format!("file:{}", env.passphrase_file().display());
    for key in [
        env.s("u/key.pem"),
        data.join("ca.key.pem").to_string_lossy().into_owned(),
        data.join("log.key.pem").to_string_lossy().into_owned(),
    ] {
        let out = std::process::Command::new("openssl")
            .args(["pkey", "-in", &key, "-noout", "-passin", &passin])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "OpenSSL cannot read {key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let subject = std::process::Command::new("openssl")
        .args([
            "x509",
            "-in",
            &cert,
            "-noout",
            "-subject",
            "-nameopt",
            "oneline,-esc_msb",
        ])
        .output()
        .unwrap();
    let subject = String::from_utf8_lossy(&subject.stdout).into_owned();
    assert!(
        subject.contains("CN = Anna Berg") && subject.contains("title = Avdelningschef"),
        "{subject}"
    );
}

/// An approver bringing an OpenSSL-made ECDSA P-256 key gets it certified and can approve.
#[test]
fn ecdsa_p256_key_from_openssl_can_approve() {
    let env = crate::common::Env::new();
    let doc = env.write("doc.txt", crate::common::DOC);
    env.ok(&["register", &doc.to_string_lossy()]);
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/keys/test-approver-p256.key.pem"
    );
    env.ok(&[
        "user",
        "add",
        "--name",
        "Anna Berg",
        "--role",
        "Avdelningschef",
        "--out",
        "anna",
        "--key",
        key,
    ]);
    assert!(
        !env.path("anna").join("key.pem").exists(),
        "a brought key is not copied"
    );
    let r = env.approve(&doc, &(key.to_string(), env.s("anna/cert.pem")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entry = env
        .json(&["log", "entry", &r.json()["log_index"].to_string()])
        .json();
    assert_eq!(entry["entry"]["algorithm"], "ecdsa-p256-sha256");
    let block = env.ok(&["block", &doc.to_string_lossy()]).stdout;
    let attested = env.write("attested.txt", format!("{}\n{block}", crate::common::DOC));
    assert_eq!(env.json(&["verify", &attested.to_string_lossy()]).code, 0);
}

/// An independent OpenAPI validator (Python's openapi-spec-validator) accepts
/// the description the server serves.
#[test]
#[ignore = "needs openapi-spec-validator from PyPI; run by .ci/run with --ignored"]
fn openapi_validator_accepts_the_description() {
    let env = crate::common::Env::empty();
    let doc = attestera::http::openapi::document().to_json().unwrap();
    let path = env.write("openapi.json", doc);
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))",
            &path.to_string_lossy(),
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

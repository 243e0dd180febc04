//! `--server URL`: the commands that work against a remote service, each
//! checking what the server says before believing it (see `crate::client`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{
    Cli, Command, Failure, LogCommand, print_json, print_verdict, read_file, read_text_file, shown,
};
use crate::client::{Body, ClientError, Remote, Replay};
use crate::service::lookup;
use crate::service::{ReadDocument, read_document};
use attestera_core::Hash;
use attestera_core::document::block;
use attestera_core::document::{CANONICAL_VERSION, Version};
use attestera_core::entry::EntryBody;
use attestera_core::pki::{self, SigningKey};
use attestera_core::rules;
use attestera_core::statement::Statement;
use attestera_core::tlog;
use attestera_core::verdict::{self, ApprovalEvidence, Evidence, Status, Verdict};

pub async fn run(cli: &Cli, server: &str) -> Result<i32, Failure> {
    let token = cli.token.clone().filter(|t| !t.trim().is_empty());
    let mut remote = Remote::connect(
        server,
        token,
        cli.log_key.as_deref(),
        &crate::client::default_state_dir(),
    )
    .await?;
    for n in &remote.notices {
        eprintln!("{}", shown(n));
    }
    match &cli.command {
        Command::Verify { file } => {
            let bytes = read_file(file)?;
            let v = match verify(&mut remote, &bytes).await {
                Ok(v) => v,
                Err(e) if e.untrusted_code().is_some() => untrusted_verdict(&bytes, &e),
                Err(e) => return Err(e.into()),
            };
            if cli.json {
                print_json(&v);
            } else {
                print_verdict(&v);
            }
            Ok(v.status.exit_code())
        }
        Command::Audit => {
            let report = match audit(&mut remote).await {
                Ok(r) => r,
                Err(e) if e.untrusted_code().is_some() => {
                    json!({ "ok": false, "problems": [{ "code": e.code(), "message": e.to_string() }] })
                }
                Err(e) => return Err(e.into()),
            };
            let ok = report["ok"] == true;
            if cli.json {
                print_json(&report);
            } else if ok {
                outln!(
                    "Granskade {} loggposter från {}: allt stämmer.",
                    report["entries"],
                    shown(server)
                );
            } else {
                outln!("Loggen på {} stämmer inte:", shown(server));
                for p in report["problems"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    outln!(
                        "  [{}] {}",
                        shown(p["code"].as_str().unwrap_or("")),
                        shown(p["message"].as_str().unwrap_or(""))
                    );
                }
            }
            Ok(if ok { 0 } else { 1 })
        }
        Command::Register { file } => {
            let bytes = read_file(file)?;
            let local = read_document(&bytes)?;
            crate::service::refuse_block(&local)?;
            let r = remote.post("/api/v1/documents", Body::Bytes(bytes)).await?;
            let index = r["log_index"]
                .as_u64()
                .ok_or_else(|| ClientError::Protocol("log_index saknas".into()))?;
            let (cp, _) = remote.checkpoint().await?;
            match remote.proven_entry(&cp, index).await?.1.body {
                EntryBody::Registration { document, .. }
                    if document.text_sha256 == local.text_sha256.to_hex()
                        && document.canonical.as_deref() == Some(CANONICAL_VERSION) => {}
                _ => return Err(ClientError::EntryMismatch(index).into()),
            }
            if cli.json {
                print_json(&r);
            } else {
                outln!(
                    "Registrerade dokumentet (loggpost {index}, kontrollerad mot kontrollpunkt {}).",
                    cp.size
                );
                outln!("Id (kanonisk text, SHA-256): {}", local.text_sha256);
            }
            Ok(0)
        }
        Command::Approve {
            file,
            key,
            cert,
            yes,
        } => approve(cli, &mut remote, file, key, cert, *yes).await,
        Command::Block { file } => {
            let doc = read_document(&read_file(file)?)?;
            let (cp, _) = remote.checkpoint().await?;
            let replay = remote.replay(&cp).await?;
            let found = registered(&replay, &doc).map(|f| f.row.text_sha256);
            let Some((_, approvals)) = found.and_then(|d| replay.document(&d)) else {
                return Err(crate::service::ServiceError::UnknownDocument(doc.text_sha256).into());
            };
            if approvals.is_empty() {
                return Err(crate::service::ServiceError::NoApprovals.into());
            }
            let rows: Vec<_> = approvals
                .into_iter()
                .map(|(a, _)| block::BlockRow {
                    name: a.name,
                    role: a.role,
                    date: a.date,
                })
                .collect();
            let text = block::render(&rows);
            if cli.json {
                print_json(&json!({ "block": text }));
            } else {
                out!("{}", attestera_core::printable::lines(&text));
            }
            Ok(0)
        }
        Command::Log(cmd) => {
            match cmd {
                LogCommand::PublicKey if cli.json => print_json(&json!({
                    "public_key": remote.log_key(),
                    "origin": remote.origin(),
                })),
                LogCommand::PublicKey => outln!("{}", remote.log_key()),
                LogCommand::Checkpoint => {
                    let (cp, note) = remote.checkpoint().await?;
                    if cli.json {
                        print_json(&json!({ "tree_size": cp.size, "note": note }));
                    } else {
                        out!("{}", attestera_core::printable::lines(&note));
                    }
                }
                LogCommand::Entry { index } => {
                    let (cp, _) = remote.checkpoint().await?;
                    let (bytes, entry) = remote.proven_entry(&cp, *index).await?;
                    if cli.json {
                        let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                        print_json(
                            &json!({ "index": index, "leaf_hash": tlog::to_base64(&tlog::record_hash(&bytes)), "entry": value }),
                        );
                    } else {
                        outln!(
                            "Loggpost {index} ({}, {}), bevisad i kontrollpunkt {}:",
                            entry.body.kind(),
                            entry.logged_at,
                            cp.size
                        );
                        outln!(
                            "{}",
                            attestera_core::printable::json(&String::from_utf8_lossy(&bytes))
                        );
                    }
                }
                LogCommand::Proof { index, tree_size } => {
                    let (cp, _) = remote.checkpoint().await?;
                    let size = checked_size(tree_size.unwrap_or(cp.size), &cp)?;
                    if *index >= size {
                        return Err(crate::service::ServiceError::NoSuchEntry {
                            index: *index,
                            size,
                        }
                        .into());
                    }
                    print_json(&remote.proven_inclusion(&cp, *index, size).await?);
                }
                LogCommand::Consistency { old_size, new_size } => {
                    // The roots come from entries verified against the checkpoint, so
                    // checking the server's proof against them shows that the proof is
                    // right (what the command prints), not what the roots are.
                    let (cp, _) = remote.checkpoint().await?;
                    checked_size(*new_size, &cp)?;
                    if *old_size == 0 || old_size > new_size {
                        return Err(crate::service::ServiceError::Range(format!(
                            "behöver 1 ≤ {old_size} ≤ {new_size}"
                        ))
                        .into());
                    }
                    let roots = remote.roots_at(&cp, &[*old_size, *new_size]).await?;
                    let served = remote.consistency(*old_size, *new_size).await?;
                    let hashes = crate::client::hashes_of(&served["hashes"])?;
                    tlog::verify_consistency(*old_size, *new_size, &hashes, &roots[0], &roots[1])
                        .map_err(|_| ClientError::Forked {
                        served: *new_size,
                        remembered: *old_size,
                    })?;
                    print_json(&served);
                }
            }
            Ok(0)
        }
        _ => Err(Failure::new(
            "not_supported",
            "kommandot fungerar bara lokalt, utan --server",
            2,
        )),
    }
}

/// A tree size the client can check: one of the trees up to the verified checkpoint.
fn checked_size(size: u64, cp: &tlog::Checkpoint) -> Result<u64, Failure> {
    if size == 0 || size > cp.size {
        return Err(crate::service::ServiceError::Range(format!(
            "trädstorleken {size} finns inte (senaste kontrollpunkt: {})",
            cp.size
        ))
        .into());
    }
    Ok(size)
}

/// The registration a copy belongs to in the replayed log, under the rules
/// each registration recorded (see [`lookup::choose`]).
fn registered(replay: &Replay, doc: &ReadDocument) -> Option<lookup::Found> {
    let with = |digest: &Hash| {
        let (row, _) = replay.document(digest)?;
        let entry = replay.entries.get(usize::try_from(row.log_index).ok()?)?;
        let version = match &entry.body {
            EntryBody::Registration { document, .. } => {
                Version::of_record(document.canonical.as_deref()).unwrap_or(Version::V2)
            }
            _ => Version::V2,
        };
        Some((row, version))
    };
    let by_v2 = with(&doc.text_sha256);
    let by_v1 = match (&by_v2, &doc.text_sha256_v1) {
        (None, Some(v1)) => with(v1),
        _ => None,
    };
    lookup::choose(by_v2, by_v1)
}

/// A failed verdict whose one finding says why the server's log cannot be trusted.
fn untrusted_verdict(bytes: &[u8], e: &ClientError) -> Verdict {
    let code = e.untrusted_code().unwrap_or("log_untrusted");
    let mut v = crate::service::verify::indeterminate(bytes, code, e.to_string());
    v.status = Status::Failed;
    v
}

async fn verify(remote: &mut Remote, bytes: &[u8]) -> Result<Verdict, ClientError> {
    let doc = match read_document(bytes) {
        Ok(d) => d,
        Err(crate::service::ServiceError::Text(e)) => {
            return Ok(crate::service::verify::indeterminate(
                bytes,
                e.code(),
                crate::messages::say(&e),
            ));
        }
        Err(e) => return Err(ClientError::Protocol(e.to_string())),
    };
    let (cp, _) = remote.checkpoint().await?;
    let replay = remote.replay(&cp).await?;
    let block = block::split(&doc.text).1.map(block::parse);
    let mut approvals = Vec::new();
    let mut document = None;
    let found = registered(&replay, &doc);
    let (version, uncovered) = found
        .as_ref()
        .map_or((Version::V2, false), |f| (f.version, f.uncovered));
    let digest = found.map_or(doc.text_sha256, |f| f.row.text_sha256);
    if let Some((d, rows)) = replay.document(&digest) {
        for (row, entry) in rows {
            let revocation = row
                .cert_fingerprint
                .as_ref()
                .and_then(|fp| replay.revocation(fp));
            let (problems, revoked_later) =
                verdict::check_approval_entry(row.log_index, entry, &replay.ca, revocation);
            let lookalike_of = match row.cert_fingerprint.as_ref() {
                Some(fp) => replay.lookalike_of(fp),
                None => replay.holder_lookalikes(&row.name),
            };
            approvals.push(ApprovalEvidence {
                row,
                problems,
                revoked_later,
                lookalike_of,
            });
        }
        document = Some(d);
    }
    let (dnr, title) = (doc.metadata.dnr.as_deref(), doc.metadata.title.as_deref());
    let similar = match &document {
        None => {
            let mut found: Vec<_> = replay
                .state
                .documents
                .values()
                .filter(|d| verdict::is_similar(d, dnr, title))
                .cloned()
                .collect();
            // Those with the copy's dnr first, as the local store orders them.
            found.sort_by_key(|d| (dnr.is_none() || d.dnr.as_deref() != dnr, d.log_index));
            found.truncate(verdict::MAX_SIMILAR);
            found
        }
        Some(_) => Vec::new(),
    };
    let file_match = document
        .as_ref()
        .is_some_and(|d| verdict::file_prefix_matches(d, bytes));
    Ok(verdict::evaluate(
        &Evidence {
            text_sha256: digest,
            file_sha256: doc.file_sha256,
            block,
            document,
            version,
            uncovered,
            file_match,
            similar,
            copy_dnr: doc.metadata.dnr.clone(),
            approvals,
            document_problems: Vec::new(),
            checkpoint_size: Some(cp.size),
        },
        crate::messages::words(),
    ))
}

/// Replays every entry of the server's log through the same rules as the local audit.
async fn audit(remote: &mut Remote) -> Result<Value, ClientError> {
    let (cp, _) = remote.checkpoint().await?;
    let replay = remote.replay(&cp).await?;
    let problems: Vec<Value> = replay
        .problems
        .iter()
        .map(|(index, code, message)| json!({ "code": code, "entry": index, "message": message }))
        .collect();
    Ok(json!({
        "ok": problems.is_empty(),
        "entries": cp.size,
        "checkpoint_size": cp.size,
        "documents": replay.state.documents.len(),
        "approvals": replay.state.approvals.len(),
        "certificates": replay.state.certificates.len(),
        "problems": problems,
    }))
}

async fn approve(
    cli: &Cli,
    remote: &mut Remote,
    file: &std::path::Path,
    key: &std::path::Path,
    cert: &std::path::Path,
    yes: bool,
) -> Result<i32, Failure> {
    let doc = read_document(&read_file(file)?)?;
    let key_pem = zeroize::Zeroizing::new(read_text_file(key)?);
    let key = SigningKey::from_pkcs8_pem(&key_pem, &ring::rand::SystemRandom::new())
        .map_err(crate::service::ServiceError::from)?;
    let cert_pem = read_text_file(cert)?;
    let cert_der =
        pki::parse_certificate_pem(&cert_pem).map_err(crate::service::ServiceError::from)?;
    let info = pki::CertInfo::from_der(&cert_der).map_err(crate::service::ServiceError::from)?;
    if info.public_key != key.public_key() {
        return Err(
            crate::service::ServiceError::from(pki::PkiError::KeyCertificateMismatch).into(),
        );
    }
    let (cp, _) = remote.checkpoint().await?;
    let replay = remote.replay(&cp).await?;
    pki::check_issued_by(&cert_der, &replay.ca, crate::service::now())
        .map_err(crate::service::ServiceError::from)?;
    let Some(document) = registered(&replay, &doc).map(|f| f.row) else {
        return Err(crate::service::ServiceError::UnknownDocument(doc.text_sha256).into());
    };
    let digest = document.text_sha256;
    let statement = Statement::new(
        digest,
        info.name.as_deref().unwrap_or_default(),
        info.role.as_deref().unwrap_or_default(),
        crate::service::now(),
    )
    .map_err(|e| crate::service::ServiceError::from(rules::Refusal::from(e)))?;
    super::confirm(&document, &statement, yes, cli.json)?;
    let text = statement.encode();
    let signature = STANDARD.encode(
        key.sign(text.as_bytes(), &ring::rand::SystemRandom::new())
            .map_err(crate::service::ServiceError::from)?,
    );
    let receipt = remote
        .post(
            &format!("/api/v1/documents/{}/approvals", doc.text_sha256),
            Body::Json(json!({ "statement": text, "algorithm": key.alg(), "signature": signature, "certificate": cert_pem })),
        )
        .await?;
    // Check the receipt: the entry is ours and in a checkpoint consistent with what we trust.
    let index = receipt["approval"]["log_index"]
        .as_u64()
        .ok_or_else(|| ClientError::Protocol("log_index saknas".into()))?;
    let (cp, _) = remote.checkpoint().await?;
    let entry = remote.proven_entry(&cp, index).await?.1;
    match &entry.body {
        EntryBody::Approval { statement, .. } if *statement == text => {}
        _ => return Err(ClientError::EntryMismatch(index).into()),
    }
    // Reported from what was signed and proved, not from the server's words.
    let approved = crate::service::Approved {
        document: doc.text_sha256,
        name: statement.name.clone(),
        role: statement.role.clone(),
        date: attestera_core::stockholm::date_of(entry.logged_at),
        log_index: index,
        logged_at: entry.logged_at,
        checkpoint_size: cp.size,
    };
    if cli.json {
        print_json(&approved);
    } else {
        outln!(
            "Godkänt av {}, {} den {} (loggpost {index}, bevisad i kontrollpunkt {}).",
            shown(&approved.name),
            shown(&approved.role),
            approved.date,
            cp.size
        );
    }
    Ok(0)
}

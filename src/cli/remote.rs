//! `--server URL`: the commands that work against a remote service, each
//! checking what the server says before believing it (see `crate::client`).

use serde_json::{Value, json};

use super::{
    Cli, Command, Failure, LogCommand, print_json, print_verdict, read_file, read_text_file, shown,
};
use crate::client::{ClientError, Remote};
use crate::service::audit::{AuditProblem, AuditReport};
use crate::service::{ServiceError, lookup, read_document, verify};
use crate::wire::{ApprovalReceipt, Approved, Registered};
use attestera_core::document::CANONICAL_VERSION;
use attestera_core::document::block;
use attestera_core::entry::EntryBody;
use attestera_core::tlog;
use attestera_core::verdict::{Status, Verdict};

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
                Err(e) => match e.untrusted_code() {
                    Some(code) => untrusted_report(code, e.to_string()),
                    None => return Err(e.into()),
                },
            };
            if cli.json {
                print_json(&report);
            } else if report.ok {
                outln!(
                    "Granskade {} loggposter från {}: allt stämmer.",
                    report.entries,
                    shown(server)
                );
            } else {
                outln!("Loggen på {} stämmer inte:", shown(server));
                for p in &report.problems {
                    outln!("  [{}] {}", shown(p.code), shown(&p.message));
                }
            }
            Ok(if report.ok { 0 } else { 1 })
        }
        Command::Register { file } => {
            let bytes = read_file(file)?;
            let local = read_document(&bytes)?;
            crate::service::refuse_block(&local)?;
            let r: Registered = remote.post_bytes("/api/v1/documents", bytes).await?;
            let index = r.log_index;
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
            let found = lookup::find(&replay, &doc).await?;
            let Some((_, approvals)) = found.and_then(|f| replay.document(&f.row.text_sha256))
            else {
                return Err(ServiceError::UnknownDocument(doc.text_sha256).into());
            };
            if approvals.is_empty() {
                return Err(ServiceError::NoApprovals.into());
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
                    if !served.verify(&roots[0], &roots[1]) {
                        return Err(ClientError::Forked {
                            served: *new_size,
                            remembered: *old_size,
                        }
                        .into());
                    }
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

/// A failed verdict whose one finding says why the server's log cannot be trusted.
fn untrusted_verdict(bytes: &[u8], e: &ClientError) -> Verdict {
    let code = e.untrusted_code().unwrap_or("log_untrusted");
    let mut v = crate::service::verify::indeterminate(bytes, code, e.to_string());
    v.status = Status::Failed;
    v
}

/// Verifies a copy against the server's log as this client replayed it,
/// through the same pipeline as the local verify.
async fn verify(remote: &mut Remote, bytes: &[u8]) -> Result<Verdict, ClientError> {
    // A copy that is not text is answered without asking the server.
    let doc = match read_document(bytes) {
        Ok(d) => d,
        Err(ServiceError::Text(e)) => {
            return Ok(verify::indeterminate(
                bytes,
                e.code(),
                crate::messages::say(&e),
            ));
        }
        Err(e) => return Err(ClientError::Protocol(e.to_string())),
    };
    let (cp, _) = remote.checkpoint().await?;
    let replay = remote.replay(&cp).await?;
    verify::verify_read(&replay, bytes, &doc)
        .await
        .map_err(|e| ClientError::Protocol(e.to_string()))
}

/// Replays every entry of the server's log through the same rules as the
/// local audit, and reports as the local audit does.
async fn audit(remote: &mut Remote) -> Result<AuditReport, ClientError> {
    let (cp, _) = remote.checkpoint().await?;
    let replay = remote.replay(&cp).await?;
    let problems: Vec<AuditProblem> = replay
        .problems
        .iter()
        .map(|(index, code, message)| AuditProblem {
            entry: Some(*index),
            ..audit_problem(code, message.clone())
        })
        .collect();
    Ok(AuditReport {
        ok: problems.is_empty(),
        entries: cp.size,
        // The one checkpoint verified: against the pinned key and the last one remembered.
        checkpoints: 1,
        documents: replay.state.documents.len(),
        approvals: replay.state.approvals.len(),
        certificates: replay.state.certificates.len(),
        problems,
    })
}

/// The report when the server's log cannot be trusted at all.
fn untrusted_report(code: &'static str, message: String) -> AuditReport {
    AuditReport {
        ok: false,
        entries: 0,
        checkpoints: 0,
        documents: 0,
        approvals: 0,
        certificates: 0,
        problems: vec![audit_problem(code, message)],
    }
}

fn audit_problem(code: &'static str, message: String) -> AuditProblem {
    AuditProblem {
        code,
        message,
        entry: None,
        checkpoint: None,
        table: None,
        key: None,
    }
}

/// Approves through the server: drafted from the replayed log by the same
/// code as the local approve, signed here, and the receipt checked against
/// the log before it is believed.
async fn approve(
    cli: &Cli,
    remote: &mut Remote,
    file: &std::path::Path,
    key: &std::path::Path,
    cert: &std::path::Path,
    yes: bool,
) -> Result<i32, Failure> {
    let bytes = read_file(file)?;
    let key_pem = zeroize::Zeroizing::new(read_text_file(key)?);
    let cert_pem = read_text_file(cert)?;
    let (cp, _) = remote.checkpoint().await?;
    let replay = remote.replay(&cp).await?;
    let draft = crate::service::draft_approval(&replay, &bytes, &key_pem, &cert_pem).await?;
    super::confirm(&draft.document, &draft.statement, yes, cli.json)?;
    let request = draft.sign()?;
    let receipt: ApprovalReceipt = remote
        .post_json(
            &format!("/api/v1/documents/{}/approvals", draft.document.text_sha256),
            &request,
        )
        .await?;
    // Check the receipt: the entry is ours and in a checkpoint consistent with what we trust.
    let index = receipt.approval.log_index;
    let (cp, _) = remote.checkpoint().await?;
    let entry = remote.proven_entry(&cp, index).await?.1;
    match &entry.body {
        EntryBody::Approval { statement, .. } if *statement == request.statement => {}
        _ => return Err(ClientError::EntryMismatch(index).into()),
    }
    // Reported from what was signed and proved, not from the server's words.
    let approved = Approved {
        document: draft.statement.document,
        name: draft.statement.name.clone(),
        role: draft.statement.role.clone(),
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

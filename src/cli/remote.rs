//! `--server URL`: the commands that work against a remote service, each
//! checking what the server says before believing it (see `crate::client`).

use std::io::Write;
use std::path::Path;

use super::documents::{AttestedFile, Block};
use super::input::read_copy;
use super::log::{CheckpointNote, LogEntry, LogKey};
use super::print::{Printer, Report};
use super::{Cli, Command, Failure, LogCommand, read_text_file, shown};
use crate::client::{ClientError, ProvenView, Remote};
use crate::service::audit::{AuditProblem, AuditReport};
use crate::service::verify::LogView;
use crate::service::{Reader, ServiceError, lookup, verify};
use crate::wire::{ApprovalReceipt, Approved, ConsistencyProof, InclusionProof, Registered};
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
    let p = Printer::new(cli.json);
    let r = &mut remote;
    Ok(match &cli.command {
        Command::Verify { file, full_replay } => {
            p.print(&verify_file(r, file, *full_replay).await?)
        }
        Command::Audit => p.print(&audit_server(r, server).await?),
        Command::Register { file } => p.print(&register(r, file).await?),
        Command::Approve {
            file,
            key,
            cert,
            yes,
            passphrase,
        } => p.print(&approve(cli, r, file, (key, passphrase), cert, *yes).await?),
        Command::Block { file } => p.print(&block_of(r, file).await?),
        Command::Attest { file, output } => p.print(&attest(r, file, output).await?),
        Command::Log(cmd) => log_command(p, r, cmd).await?,
        _ => {
            return Err(Failure::new(
                "not_supported",
                "kommandot fungerar bara lokalt, utan --server",
                2,
            ));
        }
    })
}

async fn log_command(p: Printer, r: &mut Remote, cmd: &LogCommand) -> Result<i32, Failure> {
    Ok(match cmd {
        LogCommand::PublicKey => p.print(&LogKey {
            public_key: r.log_key().to_string(),
            origin: r.origin().to_string(),
        }),
        LogCommand::Checkpoint => {
            let (cp, note) = r.checkpoint().await?;
            p.print(&CheckpointNote {
                tree_size: cp.size,
                note,
            })
        }
        LogCommand::Entry { index } => p.print(&proven_entry(r, *index).await?),
        LogCommand::Proof { index, tree_size } => p.print(&proof(r, *index, *tree_size).await?),
        LogCommand::Consistency { old_size, new_size } => {
            p.print(&consistency(r, *old_size, *new_size).await?)
        }
    })
}

/// A result the client proved against a checkpoint it verified: its JSON
/// is the value itself, its text also says which checkpoint.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Proven<T: serde::Serialize> {
    value: T,
    #[serde(skip)]
    checkpoint: u64,
}

impl Report for Proven<Registered> {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Registrerade dokumentet (loggpost {}, kontrollerad mot kontrollpunkt {}).",
            self.value.log_index, self.checkpoint
        )?;
        writeln!(
            out,
            "Id (kanonisk text, SHA-256): {}",
            self.value.text_sha256
        )
    }
}

impl Report for Proven<Approved> {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let a = &self.value;
        writeln!(
            out,
            "Godkänt av {}, {} den {} (loggpost {}, bevisad i kontrollpunkt {}).",
            shown(&a.name),
            shown(&a.role),
            a.date,
            a.log_index,
            self.checkpoint
        )
    }
}

/// The audit of a server's log as this client replayed it.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct ServerAudit {
    report: AuditReport,
    #[serde(skip)]
    server: String,
}

impl Report for ServerAudit {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let server = shown(&self.server);
        if self.report.ok {
            return writeln!(
                out,
                "Granskade {} loggposter från {server}: allt stämmer.",
                self.report.entries
            );
        }
        writeln!(out, "Loggen på {server} stämmer inte:")?;
        for p in &self.report.problems {
            writeln!(out, "  [{}] {}", shown(p.code), shown(&p.message))?;
        }
        Ok(())
    }

    fn exit_code(&self) -> i32 {
        if self.report.ok { 0 } else { 1 }
    }
}

async fn verify_file(remote: &mut Remote, file: &Path, full: bool) -> Result<Verdict, Failure> {
    let bytes = read_copy(file)?;
    match verify(remote, &bytes, full).await {
        Ok(v) => Ok(v),
        Err(e) if e.untrusted_code().is_some() => Ok(untrusted_verdict(&bytes, &e)),
        Err(e) => Err(e.into()),
    }
}

async fn audit_server(remote: &mut Remote, server: &str) -> Result<ServerAudit, Failure> {
    let report = match audit(remote).await {
        Ok(r) => r,
        Err(e) => match e.untrusted_code() {
            Some(code) => untrusted_report(code, e.to_string()),
            None => return Err(e.into()),
        },
    };
    Ok(ServerAudit {
        report,
        server: server.to_string(),
    })
}

/// Registers a copy, then checks that the entry the server logged is this
/// document under the current rules before saying it was registered.
async fn register(remote: &mut Remote, file: &Path) -> Result<Proven<Registered>, Failure> {
    let bytes = read_copy(file)?;
    let local = reader().read(&bytes).await?;
    crate::service::refuse_block(&local)?;
    let r: Registered = remote.post_bytes("/api/v1/documents", bytes).await?;
    let index = r.log_index;
    let (cp, _) = remote.checkpoint().await?;
    match remote.proven_entry(&cp, index).await?.1.body {
        EntryBody::Registration { document, .. }
            if document.text_sha256 == local.text_sha256.to_hex()
                && document.canonical.as_deref() == Some(local.version.as_str()) => {}
        _ => return Err(ClientError::EntryMismatch(index).into()),
    }
    Ok(Proven {
        value: r,
        checkpoint: cp.size,
    })
}

/// The block of the registered document a copy belongs to, from the
/// document's entries proved against the checkpoint.
async fn block_of(remote: &mut Remote, file: &Path) -> Result<Block, Failure> {
    let doc = reader().read(&read_copy(file)?).await?;
    let (cp, _) = remote.checkpoint().await?;
    let view = ProvenView::new(remote, &cp).await?;
    let approvals = async {
        let found = lookup::find(&view, &doc)
            .await?
            .ok_or(ServiceError::UnknownDocument(doc.text_sha256))?;
        view.approvals(&found.row.text_sha256).await
    }
    .await;
    let approvals = view.checked(approvals)??;
    if approvals.is_empty() {
        return Err(ServiceError::NoApprovals.into());
    }
    let rows: Vec<_> = approvals
        .into_iter()
        .map(|a| block::BlockRow {
            name: a.row.name,
            role: a.row.role,
            date: a.row.date,
        })
        .collect();
    Ok(Block {
        block: block::render(&rows),
    })
}

/// The attested file, made here from the copy and the block its proved
/// entries give: the server is not trusted to build it.
async fn attest(remote: &mut Remote, file: &Path, output: &Path) -> Result<AttestedFile, Failure> {
    let bytes = read_copy(file)?;
    let reader = reader();
    let doc = reader.read(&bytes).await?;
    crate::service::refuse_block(&doc)?;
    let block = block_of(remote, file).await?.block;
    let attested = crate::service::attach_block(&reader, &doc, &bytes, &block).await?;
    Ok(AttestedFile::write(&attested, output)?)
}

async fn proven_entry(remote: &mut Remote, index: u64) -> Result<LogEntry, Failure> {
    let (cp, _) = remote.checkpoint().await?;
    let (bytes, entry) = remote.proven_entry(&cp, index).await?;
    Ok(LogEntry::new(index, bytes, entry).proven_in(cp.size))
}

async fn proof(
    remote: &mut Remote,
    index: u64,
    tree_size: Option<u64>,
) -> Result<InclusionProof, Failure> {
    let (cp, _) = remote.checkpoint().await?;
    let size = checked_size(tree_size.unwrap_or(cp.size), &cp)?;
    if index >= size {
        return Err(ServiceError::NoSuchEntry { index, size }.into());
    }
    Ok(remote.proven_inclusion(&cp, index, size).await?)
}

/// The roots come from entries verified against the checkpoint, so
/// checking the server's proof against them shows that the proof is right
/// (what the command prints), not what the roots are.
async fn consistency(
    remote: &mut Remote,
    old_size: u64,
    new_size: u64,
) -> Result<ConsistencyProof, Failure> {
    let (cp, _) = remote.checkpoint().await?;
    checked_size(new_size, &cp)?;
    if old_size == 0 || old_size > new_size {
        return Err(ServiceError::Range(format!("behöver 1 ≤ {old_size} ≤ {new_size}")).into());
    }
    let roots = remote.roots_at(&cp, &[old_size, new_size]).await?;
    let served = remote.consistency(old_size, new_size).await?;
    if !served.verify(&roots[0], &roots[1]) {
        return Err(ClientError::Forked {
            served: new_size,
            remembered: old_size,
        }
        .into());
    }
    Ok(served)
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

/// Verifies a copy against the server's log through the same pipeline as
/// the local verify: from the document's entries, proved one by one, or
/// (`full`) from the whole log replayed (see `crate::client`).
async fn verify(remote: &mut Remote, bytes: &[u8], full: bool) -> Result<Verdict, ClientError> {
    let (cp, _) = remote.checkpoint().await?;
    let proven = if full {
        None
    } else {
        match proven_verdict(remote, &cp, bytes).await {
            // A server from before `GET /log/indexes`: the whole log, then.
            Err(ClientError::Problem {
                status: 404, code, ..
            }) if code == "not_found" => None,
            other => Some(other?),
        }
    };
    let verdict = match proven {
        Some(v) => v,
        None => {
            let replay = remote.replay(&cp).await?;
            verify::verify_copy(&replay, &reader(), bytes).await
        }
    };
    verdict.map_err(|e| ClientError::Protocol(e.to_string()))
}

/// The verdict from the document's entries only, proved one by one.
async fn proven_verdict(
    remote: &Remote,
    cp: &tlog::Checkpoint,
    bytes: &[u8],
) -> Result<Result<Verdict, ServiceError>, ClientError> {
    let view = ProvenView::new(remote, cp).await?;
    let verdict = verify::verify_copy(&view, &reader(), bytes).await;
    view.checked(verdict)
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
            ..crate::service::audit::problem(code, message.clone())
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
        problems: vec![crate::service::audit::problem(code, message)],
    }
}

/// Approves through the server: drafted from the proved entries by the same
/// code as the local approve, signed here, and the receipt checked against
/// the log before it is believed.
async fn approve(
    cli: &Cli,
    remote: &mut Remote,
    file: &std::path::Path,
    (key, passphrase): (&std::path::Path, &super::args::PassphraseArgs),
    cert: &std::path::Path,
    yes: bool,
) -> Result<Proven<Approved>, Failure> {
    let bytes = read_copy(file)?;
    let key_pem = super::input::open_key_file(key, passphrase)?;
    let cert_pem = read_text_file(cert)?;
    let (cp, _) = remote.checkpoint().await?;
    let draft = {
        let view = ProvenView::new(remote, &cp).await?;
        let draft =
            crate::service::draft_approval(&view, &reader(), &bytes, &key_pem, &cert_pem).await;
        view.checked(draft)??
    };
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
    Ok(Proven {
        value: approved,
        checkpoint: cp.size,
    })
}

/// How the client reads copies: PDFs through a helper process of this
/// program, with the default limits, as the service does.
fn reader() -> Reader {
    Reader::with_helper(crate::pdf::PdfLimits::default())
}

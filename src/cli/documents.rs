//! `register`, `approve`, `block`, `import` and `canonical`: a document's
//! way into the log, its approvals, and its canonical text.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde::Serialize;

use super::input::{read_copy, read_text_file, write_new_file};
use super::print::{Report, shown};
use crate::service::{Service, ServiceError};
use crate::wire::{Approved, Imported, Registered};
use attestera_core::Hash;
use attestera_core::document::canonical;
use attestera_core::document::metadata::Metadata;

pub async fn register(
    s: &Service,
    file: &Path,
    operator: &str,
) -> Result<Registered, ServiceError> {
    s.register(&read_copy(file)?, operator).await
}

/// The files an approver signs with.
pub struct Signer<'a> {
    pub key: &'a Path,
    pub cert: &'a Path,
    /// Where the key file's passphrase comes from, if it is encrypted.
    pub passphrase: &'a super::args::PassphraseArgs,
    /// Skip the question (it is asked only at a terminal).
    pub yes: bool,
    /// Output is JSON: with `yes` too, the summary is left out.
    pub json: bool,
}

pub async fn approve(
    s: &Service,
    file: &Path,
    signer: Signer<'_>,
) -> Result<Approved, ServiceError> {
    let key_pem = super::input::open_key_file(signer.key, signer.passphrase)?;
    let draft = s
        .draft_approval(&read_copy(file)?, &key_pem, &read_text_file(signer.cert)?)
        .await?;
    confirm(&draft.document, &draft.statement, signer.yes, signer.json)?;
    s.sign_and_submit(draft).await
}

/// Shows the approver what they are about to sign and, on a terminal
/// without `--yes`, asks for confirmation.
pub(crate) fn confirm(
    d: &attestera_core::rules::DocumentRow,
    statement: &attestera_core::statement::Statement,
    yes: bool,
    json: bool,
) -> Result<(), ServiceError> {
    if !json || !yes {
        show_draft(d, statement);
    }
    // Only a person at a terminal can answer; a script that runs `approve`
    // with the approver's own key has already decided (the summary above
    // still goes to its log).
    if yes || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("Godkänn? [j/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(
        answer.trim().to_lowercase().as_str(),
        "j" | "ja" | "y" | "yes"
    ) {
        Ok(())
    } else {
        Err(ServiceError::Cancelled)
    }
}

/// The summary of what is signed, on stderr.
fn show_draft(
    d: &attestera_core::rules::DocumentRow,
    statement: &attestera_core::statement::Statement,
) {
    eprintln!("Du godkänner:");
    eprintln!(
        "  Titel:      {}",
        shown(d.title.as_deref().unwrap_or("(okänd)"))
    );
    eprintln!(
        "  Dnr:        {}",
        shown(d.dnr.as_deref().unwrap_or("(okänt)"))
    );
    eprintln!("  Dokument:   {}", d.text_sha256);
    eprintln!(
        "  Som:        {}, {}",
        shown(&statement.name),
        shown(&statement.role)
    );
}

/// A document's attestation block, as text.
#[derive(Serialize)]
pub struct Block {
    pub(super) block: String,
}

pub async fn block(s: &Service, file: &Path) -> Result<Block, ServiceError> {
    Ok(Block {
        block: s.block(&read_copy(file)?).await?,
    })
}

/// An attested file written by `attest`.
#[derive(Serialize)]
pub struct AttestedFile {
    output: String,
    format: &'static str,
    bytes: u64,
    sha256: Hash,
}

impl AttestedFile {
    /// Writes `attested` to `output` (a new file) and describes it.
    pub(super) fn write(
        attested: &crate::service::Attested,
        output: &Path,
    ) -> Result<AttestedFile, ServiceError> {
        write_new_file(output, attested.bytes())?;
        Ok(AttestedFile {
            output: output.to_string_lossy().into_owned(),
            format: match attested {
                crate::service::Attested::Pdf(_) => "pdf",
                crate::service::Attested::Text(_) => "text",
            },
            bytes: u64::try_from(attested.bytes().len()).unwrap_or(u64::MAX),
            sha256: Hash::sha256(attested.bytes()),
        })
    }
}

impl Report for AttestedFile {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let what = match self.format {
            "pdf" => "Attesterad PDF (originalet oförändrat, blocket på en tillagd sida)",
            _ => "Attesterat dokument (texten med blocket sist)",
        };
        writeln!(out, "{what} skrevs till {}", shown(&self.output))?;
        writeln!(out, "  Storlek: {} byte", self.bytes)?;
        writeln!(out, "  SHA-256: {}", self.sha256)
    }
}

pub async fn attest(s: &Service, file: &Path, output: &Path) -> Result<AttestedFile, ServiceError> {
    let attested = s.attest_copy(&read_copy(file)?).await?;
    AttestedFile::write(&attested, output)
}

/// An imported document; the text names who carried its approvals over.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Import {
    imported: Imported,
    #[serde(skip)]
    operator: String,
}

pub async fn import(s: &Service, file: &Path, operator: &str) -> Result<Import, ServiceError> {
    Ok(Import {
        imported: s.import(&read_copy(file)?, operator).await?,
        operator: operator.to_string(),
    })
}

/// The canonical text of a document. Keys in JSON's order (alphabetical).
#[derive(Serialize)]
pub struct Canonical {
    canonical_text: String,
    text_sha256: Hash,
    version: &'static str,
}

/// A PDF's is its text after the PDF rules (`text-pdf-v1`), read by the helper.
pub async fn canonical(file: &Path) -> Result<Canonical, ServiceError> {
    let bytes = read_copy(file)?;
    let reader = crate::service::Reader::with_helper(crate::pdf::PdfLimits::default());
    let doc = reader.read(&bytes).await?;
    Ok(Canonical {
        canonical_text: canonical::canonical_text(&doc.text),
        text_sha256: doc.text_sha256,
        version: doc.version.as_str(),
    })
}

impl Report for Registered {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Registrerade dokumentet (loggpost {}).",
            self.log_index
        )?;
        metadata(&self.metadata, out)?;
        writeln!(out, "Id (kanonisk text, SHA-256): {}", self.text_sha256)?;
        writeln!(out, "Filens SHA-256:              {}", self.file_sha256)
    }
}

impl Report for Approved {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Godkänt av {}, {} den {} (loggpost {}).",
            shown(&self.name),
            shown(&self.role),
            self.date,
            self.log_index
        )
    }
}

impl Report for Block {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write!(out, "{}", attestera_core::printable::lines(&self.block))
    }
}

impl Report for Import {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = &self.imported;
        writeln!(
            out,
            "Importerade dokumentet (loggpost {}).",
            r.registered.log_index
        )?;
        metadata(&r.registered.metadata, out)?;
        for a in &r.approvals {
            writeln!(
                out,
                "  Överfört godkännande: {}, {} {} (loggpost {})",
                shown(&a.name),
                shown(&a.role),
                a.date,
                a.log_index
            )?;
        }
        writeln!(
            out,
            "Godkännandena är överförda från arkivet av {}; de är inte signerade av godkännarna.",
            shown(&self.operator)
        )
    }
}

impl Report for Canonical {
    /// Exactly the canonical bytes, no trailing newline: `| sha256sum` gives
    /// text_sha256.
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.canonical_text.as_bytes())
    }

    fn label(&self) -> Option<String> {
        Some(format!("Kanonisk text {}", self.version))
    }
}

fn metadata(m: &Metadata, out: &mut dyn Write) -> std::io::Result<()> {
    if let Some(t) = &m.title {
        writeln!(out, "Titel: {}", shown(t))?;
    }
    if let Some(d) = &m.dnr {
        writeln!(out, "Dnr: {}", shown(d))?;
    }
    if let Some(n) = &m.namnd {
        writeln!(out, "Nämnd: {}", shown(n))?;
    }
    if let Some(d) = &m.date {
        writeln!(out, "Datum: {d}")?;
    }
    if let Some(h) = &m.handlaggare {
        writeln!(out, "Handläggare: {}", shown(h))?;
    }
    Ok(())
}

//! Use cases: init, issue and revoke certificates, register, approve,
//! import, render the block, verify, audit, and read the log. The service
//! owns the data directory and hands every append to the [`Sequencer`].

pub mod access;
mod attested;
pub use attested::{Attested, attach_block};
pub mod approving;
pub mod audit;
pub mod audit_jobs;
pub mod certify;
mod checked;
pub mod checking;
pub mod checkpoint_summary;
pub mod copies;
pub mod copy;
pub mod datadir;
pub mod demo;
pub use datadir::Backend;
pub mod enrolment;
mod fold;
pub mod indexes;
pub mod listing;
pub mod lookup;
pub mod metrics;
pub mod paging;
pub mod preview;
mod read_cache;
pub mod reading;
pub mod registry;
pub mod sequencer;
pub mod sessions;
pub mod verify;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::{Timestamp, Unit};

use crate::store::{Store, StoreError};
use crate::wire::{
    ApprovalRequest, Approved, ConsistencyProof, Imported, InclusionProof, Registered, Revoked,
};
use attestera_core::document::{block, canonical};
use attestera_core::entry::{DocumentRecord, Entry, EntryBody, EntryError};
use attestera_core::pki::{self, PkiError, SigningKey};
use attestera_core::rules::{DocumentRow, Refusal};
use attestera_core::statement::{FieldError, Statement};
use attestera_core::tlog::{self, Hash, NoteSigner, NoteVerifier};
pub use certify::UserIssued;
pub use datadir::{Config, DataDir};
pub use sequencer::{Appended, Sequencer};
use std::sync::Arc;

/// Errors of the use cases. `code()` is stable; the HTTP status and exit
/// code follow from the variant (`http::problem::status`, [`ServiceError::exit_code`]);
/// Display is the sentence of the default catalogue ([`crate::messages`]).
#[derive(Debug)]
pub enum ServiceError {
    NotInitialized(PathBuf),
    AlreadyInitialized(PathBuf),
    /// `action` is the verb of the sentence ("läsa", "skriva" …).
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    Text(canonical::TextError),
    /// A PDF could not be read, attested or handled (`crate::pdf`).
    Pdf(crate::pdf::PdfError),
    /// The registered file of this document is not kept, so its attested
    /// form cannot be made here.
    FileNotKept(Hash),
    Block(block::BlockError),
    Pki(PkiError),
    /// A private key file could not be written or opened (`crate::keyfile`).
    KeyFile(crate::keyfile::KeyFileError),
    /// A browser key's certificate request (`enrolment`).
    Enrolment(enrolment::EnrolmentError),
    /// One of the service's own key files (`ca.key.pem`, `log.key.pem`, or
    /// a key that `init` adopts) could not be opened or its passphrase had:
    /// the same codes and exit codes as [`ServiceError::KeyFile`], with a
    /// sentence that names the file and the `--service-passphrase-*` flags.
    ServiceKey {
        path: PathBuf,
        error: crate::keyfile::KeyFileError,
    },
    Refused(Refusal),
    /// A statement signed on a page names another document than the page showed.
    StatementForOtherDocument,
    Store(StoreError),
    Entry(EntryError),
    Note(tlog::NoteError),
    Tree(tlog::TreeError),
    /// The data directory's configuration or the options of `init`.
    Config(ConfigError),
    /// The system's source of randomness failed.
    NoRandomness,
    /// The log has no signed checkpoint yet.
    NoCheckpoint,
    /// No temporary directory could be created beside the target.
    NoTempDir,
    /// A token's name is not a valid one-line field.
    TokenName(FieldError),
    /// A token's name is longer than the operator field allows for it.
    TokenNameTooLong {
        max: usize,
    },
    /// A command that needs no service was routed to one (a bug).
    CommandWithoutService,
    UnknownDocument(Hash),
    NoSuchEntry {
        index: u64,
        size: u64,
    },
    Range(String),
    OutputExists(PathBuf),
    AppendFailed(String),
    SequencerStopped,
    /// A computation on the worker threads (signature checks on all cores) did not finish.
    Worker(String),
    NoApprovals,
    DocumentHasBlock,
    NoSuchToken(i64),
    /// A token in the format from before tokens carried an id.
    TokenOutdated,
    Cancelled,
    UnknownLeaf,
    TableMismatch {
        table: &'static str,
        index: u64,
    },
    IssuedButNotPlaced {
        log_index: u64,
        kept: PathBuf,
        reason: String,
    },
}

/// What is wrong with the data directory's configuration or `init`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// config.json is not valid JSON for attestera (serde's reason).
    Unreadable(String),
    UnknownFormat(u32),
    /// A private key file others than the owner can read.
    KeyReadableByOthers(PathBuf),
    OrgMismatch {
        given: String,
        ca_org: String,
    },
    OrgName(FieldError),
    /// The log's origin is empty or has spaces, control characters or '+'.
    Origin(String),
    /// Only one of --ca-cert and --ca-key was given.
    CaPairIncomplete,
    /// log.vkey does not belong to the log's signing key.
    VerifierKeyMismatch(PathBuf),
    /// `serve --demo` on an address others can reach (it prints sign-in codes).
    DemoNotLoopback(String),
    /// The data directory's log is in PostgreSQL and no `--database-url`
    /// was given, or the other way round.
    BackendMismatch {
        configured: Backend,
    },
    /// `init` on a PostgreSQL database that holds a log already.
    DatabaseNotEmpty,
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::messages::say(self))
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::messages::say(self))
    }
}

impl std::error::Error for ConfigError {}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServiceError::Io { source, .. } => Some(source),
            ServiceError::Text(e) => Some(e),
            ServiceError::Pdf(e) => Some(e),
            ServiceError::Block(e) => Some(e),
            ServiceError::Pki(e) => Some(e),
            ServiceError::Enrolment(e) => Some(e),
            ServiceError::KeyFile(e) | ServiceError::ServiceKey { error: e, .. } => Some(e),
            ServiceError::Refused(e) => Some(e),
            ServiceError::Store(e) => Some(e),
            ServiceError::Entry(e) => Some(e),
            ServiceError::Note(e) => Some(e),
            ServiceError::Tree(e) => Some(e),
            ServiceError::Config(e) => Some(e),
            ServiceError::TokenName(e) => Some(e),
            _ => None,
        }
    }
}

macro_rules! from_error {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for ServiceError {
            fn from(e: $ty) -> ServiceError {
                ServiceError::$variant(e)
            }
        })*
    };
}

from_error!(
    Text(canonical::TextError),
    Pdf(crate::pdf::PdfError),
    Block(block::BlockError),
    Pki(PkiError),
    KeyFile(crate::keyfile::KeyFileError),
    Enrolment(enrolment::EnrolmentError),
    Refused(Refusal),
    Entry(EntryError),
    Note(tlog::NoteError),
    Tree(tlog::TreeError),
    Config(ConfigError),
);

impl ServiceError {
    /// Stable English code for JSON and problem documents.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::NotInitialized(_) => "data_dir_missing",
            ServiceError::AlreadyInitialized(_) => "data_dir_exists",
            ServiceError::Io { .. } | ServiceError::NoTempDir => "io_error",
            ServiceError::Text(e) => e.code(),
            ServiceError::Pdf(e) => e.code(),
            ServiceError::FileNotKept(_) => "file_not_kept",
            ServiceError::Block(e) => e.code(),
            ServiceError::Pki(e) => e.code(),
            ServiceError::Enrolment(e) => e.code(),
            ServiceError::StatementForOtherDocument => "statement_document_mismatch",
            ServiceError::KeyFile(e) | ServiceError::ServiceKey { error: e, .. } => e.code(),
            ServiceError::Refused(e) => e.code(),
            ServiceError::Store(e) => e.code(),
            ServiceError::Entry(e) => e.code(),
            ServiceError::Note(_) => "log_key_invalid",
            ServiceError::Tree(_) => "tree_invalid",
            ServiceError::Config(_) => "config_invalid",
            ServiceError::NoRandomness => "randomness_unavailable",
            ServiceError::NoCheckpoint => "checkpoint_missing",
            ServiceError::TokenName(_) | ServiceError::TokenNameTooLong { .. } => {
                "token_name_invalid"
            }
            ServiceError::CommandWithoutService | ServiceError::Worker(_) => "internal_error",
            ServiceError::UnknownDocument(_) => "document_not_registered",
            ServiceError::NoSuchEntry { .. } => "entry_not_found",
            ServiceError::Range(_) => "invalid_range",
            ServiceError::OutputExists(_) => "output_exists",
            ServiceError::AppendFailed(_) | ServiceError::SequencerStopped => "append_failed",
            ServiceError::NoApprovals => "no_approvals",
            ServiceError::DocumentHasBlock => "document_has_block",
            ServiceError::NoSuchToken(_) => "token_not_found",
            ServiceError::TokenOutdated => "token_outdated",
            ServiceError::Cancelled => "approval_cancelled",
            ServiceError::UnknownLeaf => "entry_not_found",
            ServiceError::TableMismatch { .. } => "projection_mismatch",
            ServiceError::IssuedButNotPlaced { .. } => "files_not_placed",
        }
    }

    /// Whether a key or certificate given could not be read at all, whether
    /// the use case or the log's rules found it (exit 2, HTTP 400).
    pub fn is_unreadable_pki(&self) -> bool {
        match self {
            ServiceError::Pki(e) | ServiceError::Refused(Refusal::Pki(e)) => {
                e.is_unreadable_input()
            }
            _ => false,
        }
    }

    /// The CLI's exit code: 1 when the request was understood and refused,
    /// 2 when it could not be carried out. Every variant is named, so a new
    /// one must be decided here (docs/operations.md lists the table).
    pub fn exit_code(&self) -> i32 {
        const REFUSED: i32 = 1;
        const FAILED: i32 = 2;
        match self {
            e if e.is_unreadable_pki() => FAILED,
            ServiceError::Pki(_)
            | ServiceError::Refused(_)
            | ServiceError::Enrolment(_)
            | ServiceError::StatementForOtherDocument
            | ServiceError::UnknownDocument(_)
            | ServiceError::AlreadyInitialized(_)
            | ServiceError::OutputExists(_)
            | ServiceError::NoApprovals
            | ServiceError::FileNotKept(_)
            | ServiceError::DocumentHasBlock
            | ServiceError::NoSuchToken(_)
            | ServiceError::TokenOutdated
            | ServiceError::TokenName(_)
            | ServiceError::TokenNameTooLong { .. }
            | ServiceError::Cancelled => REFUSED,
            // A wrong or weak passphrase is refused; a key file or
            // passphrase that cannot be had at all is a failure to run.
            ServiceError::KeyFile(k) | ServiceError::ServiceKey { error: k, .. } => match k {
                crate::keyfile::KeyFileError::WrongPassphrase
                | crate::keyfile::KeyFileError::PassphraseTooShort
                | crate::keyfile::KeyFileError::PassphrasesDiffer => REFUSED,
                _ => FAILED,
            },
            ServiceError::NotInitialized(_)
            | ServiceError::Io { .. }
            | ServiceError::NoTempDir
            | ServiceError::Text(_)
            | ServiceError::Pdf(_)
            | ServiceError::Block(_)
            | ServiceError::Store(_)
            | ServiceError::Entry(_)
            | ServiceError::Note(_)
            | ServiceError::Tree(_)
            | ServiceError::Config(_)
            | ServiceError::NoRandomness
            | ServiceError::NoCheckpoint
            | ServiceError::CommandWithoutService
            | ServiceError::NoSuchEntry { .. }
            | ServiceError::Range(_)
            | ServiceError::AppendFailed(_)
            | ServiceError::SequencerStopped
            | ServiceError::Worker(_)
            | ServiceError::UnknownLeaf
            | ServiceError::TableMismatch { .. }
            | ServiceError::IssuedButNotPlaced { .. } => FAILED,
        }
    }
}

pub(crate) fn io_err(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> ServiceError {
    let path = path.to_path_buf();
    move |source| ServiceError::Io {
        action,
        path,
        source,
    }
}

pub use attestera_core::document::ReadDocument;

pub use copies::{Claim, Reader};

/// What a PDF's registration records of it beyond a text's.
fn pdf_record(doc: &ReadDocument) -> Option<attestera_core::entry::PdfRecord> {
    match (&doc.format, doc.skeleton_sha256) {
        (attestera_core::document::Format::Pdf { pages, extractor }, Some(skeleton)) => {
            Some(attestera_core::entry::PdfRecord {
                pages: *pages,
                extractor: extractor.clone(),
                skeleton_sha256: skeleton.to_hex(),
            })
        }
        _ => None,
    }
}

/// A document to register must not carry a block: its rows would be
/// unsigned text that no approval in the log stands behind, and the
/// registered bytes plus the official block could never verify.
pub fn refuse_block(doc: &ReadDocument) -> Result<(), ServiceError> {
    match block::find(&doc.text) {
        Some(_) => Err(ServiceError::DocumentHasBlock),
        None => Ok(()),
    }
}

/// What an approver is about to sign, for showing before confirmation.
#[derive(Debug)]
pub struct ApprovalDraft {
    pub document: DocumentRow,
    pub statement: Statement,
    pub key: SigningKey,
    pub certificate_pem: String,
}

impl ApprovalDraft {
    /// The statement signed with the approver's key, as it is submitted.
    pub fn sign(&self) -> Result<ApprovalRequest, ServiceError> {
        let statement = self.statement.encode();
        let signature = self
            .key
            .sign(statement.as_bytes(), &ring::rand::SystemRandom::new())?;
        Ok(ApprovalRequest {
            statement,
            algorithm: self.key.alg(),
            signature: STANDARD.encode(signature),
            certificate: self.certificate_pem.clone(),
        })
    }
}

/// Prepares an approval against a log (the local store, or the client's
/// verified replay of a remote one): the document must be registered, the
/// key must match the certificate, and the certificate must come from the
/// log's CA. The approver is shown what the log says, not what a table says.
pub async fn draft_approval<V: verify::LogView>(
    view: &V,
    reader: &Reader,
    bytes: &[u8],
    key_pem: &str,
    cert_pem: &str,
) -> Result<ApprovalDraft, ServiceError> {
    let doc = reader.read(bytes).await?;
    let key = SigningKey::from_pkcs8_pem(key_pem, &ring::rand::SystemRandom::new())?;
    let cert_der = pki::parse_certificate_pem(cert_pem)?;
    let info = pki::check_issued_by(&cert_der, view.ca_der(), now())?;
    if info.public_key != key.public_key() {
        return Err(PkiError::KeyCertificateMismatch.into());
    }
    let found = lookup::find(view, &doc)
        .await?
        .ok_or_else(|| ServiceError::UnknownDocument(doc.text_sha256))?;
    let document = view.checked_document(found.row).await?;
    let statement = Statement::new(
        document.text_sha256,
        info.name.as_deref().unwrap_or_default(),
        info.role.as_deref().unwrap_or_default(),
        now(),
    )
    .map_err(Refusal::from)?;
    Ok(ApprovalDraft {
        document,
        statement,
        key,
        certificate_pem: cert_pem.to_string(),
    })
}

/// An open data directory with its keys, database and sequencer.
pub struct Service {
    pub dir: DataDir,
    pub config: Config,
    store: Arc<dyn Store>,
    ca_pem: String,
    ca_der: Vec<u8>,
    /// The CA's private key (PKCS#8 PEM), decrypted once at open and held
    /// for `certify` (see [`Service::open`]).
    ca_key: zeroize::Zeroizing<String>,
    verifier: NoteVerifier,
    verifier_key: String,
    sequencer: Sequencer,
    /// Checks token rows (see `access`).
    token_key: ring::hmac::Key,
    session_key: ring::hmac::Key,
    csrf_key: ring::hmac::Key,
    /// The last readiness probe and when it ran (see [`Service::readiness`]).
    readiness: tokio::sync::Mutex<Option<(std::time::Instant, u64)>>,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// Audits running in the background for the web pages (`audit_jobs`).
    audit_jobs: audit_jobs::AuditJobs,
    /// Reads copies; PDFs through the helper process.
    reader: Reader,
    /// The latest checkpoint, read once for the requests waiting on it (`read_cache`).
    latest: read_cache::LatestCheckpoint,
    /// Stored hashes already read, for proofs (`read_cache`).
    hashes: read_cache::HashCache,
}

/// The service's clock: now, truncated to whole seconds (never ahead of the real time).
pub fn now() -> Timestamp {
    Timestamp::now()
        .round(
            jiff::TimestampRound::new()
                .smallest(Unit::Second)
                .mode(jiff::RoundMode::Trunc),
        )
        .unwrap_or_else(|_| Timestamp::now())
}

impl Service {
    /// Opens an initialized data directory and starts the sequencer.
    /// `passphrase` opens the service's keys if they are encrypted
    /// ([`DataDir::service_keys_encrypted`]); unencrypted ones need none.
    ///
    /// Both keys are decrypted here, once, and held in memory (zeroized
    /// when the service is dropped): the log key for the sequencer, the CA
    /// key for issuing certificates. Holding the CA key rather than the
    /// passphrase (and reading `ca.key.pem` again at each issuance) gives a
    /// reader of this process's memory nothing more (the passphrase opens
    /// the key), costs no key derivation per issuance, and a wrong
    /// passphrase or a damaged `ca.key.pem` is found at start, not at the
    /// first `user add` or enrolment. The CA key must belong to the CA
    /// certificate.
    pub async fn open(dir: DataDir, passphrase: Option<&str>) -> Result<Service, ServiceError> {
        let config = dir.config()?;
        let ca_pem = dir.read_string(&dir.ca_cert())?;
        let ca_der = pki::parse_certificate_pem(&ca_pem)?;
        let log_key = dir.read_private_key(&dir.log_key(), passphrase)?;
        let ca_key = pki::ca::private_key_pem(&dir.read_private_key(&dir.ca_key(), passphrase)?);
        pki::cert::check_key_matches(&ca_der, &ca_key)?;
        let signer = NoteSigner::from_pkcs8(&config.origin, &log_key)?;
        let token_key = access::token_mac_key(&log_key);
        let (session_key, csrf_key) = sessions::session_keys(&token_key);
        // Checkpoints are verified with the published key (log.vkey), which must match the signing key.
        let verifier_key = dir.read_string(&dir.log_vkey())?.trim().to_string();
        let verifier = NoteVerifier::parse(&verifier_key)?;
        if verifier_key != signer.verifier_key() {
            return Err(ConfigError::VerifierKeyMismatch(dir.log_vkey()).into());
        }
        let store = dir.open_store(Some(&config), false).await?;
        let metrics = std::sync::Arc::new(metrics::Metrics::default());
        let sequencer = Sequencer::start(
            store.clone(),
            signer,
            config.origin.clone(),
            ca_der.clone(),
            metrics.clone(),
        );
        Ok(Service {
            dir,
            config,
            store,
            ca_pem,
            ca_der,
            ca_key,
            verifier,
            verifier_key,
            sequencer,
            session_key,
            csrf_key,
            token_key,
            readiness: tokio::sync::Mutex::new(None),
            metrics,
            audit_jobs: Default::default(),
            reader: Reader::with_helper(crate::pdf::PdfLimits::default()),
            latest: Default::default(),
            hashes: Default::default(),
        })
    }

    /// The same service, reading copies with `reader` (the PDF limits of
    /// `serve`, or the built binary as the helper in tests).
    pub fn with_reader(mut self, reader: Reader) -> Service {
        self.reader = reader;
        self
    }

    /// How this service reads copies.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Whether this instance can serve: the database answers and can be
    /// written, and the log has a checkpoint; otherwise why not, in Swedish.
    /// A probe writes and syncs a file, so a "ready" is kept for a second
    /// (unless an append has failed since) and concurrent callers wait for
    /// one probe: a flood of readiness checks costs one probe a second. A
    /// "not ready" is probed again at once, so recovery shows at once.
    pub async fn readiness(&self) -> Result<(), String> {
        let mut last_ready = self.readiness.lock().await;
        let failures = self.metrics.append_failures.get();
        if let Some((at, seen)) = *last_ready
            && seen == failures
            && at.elapsed() < std::time::Duration::from_secs(1)
        {
            return Ok(());
        }
        let answer = self.probe_readiness().await;
        *last_ready = answer
            .is_ok()
            .then(|| (std::time::Instant::now(), failures));
        answer
    }

    /// The answer names what is wrong in words for anyone (readiness is
    /// public); the database's own text goes to the service's log only.
    async fn probe_readiness(&self) -> Result<(), String> {
        if let Err(e) = self.store.ping().await {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            return Err("Databasen svarar inte.".into());
        }
        match self.store.check_writable().await {
            Err(StoreError::NotWritable(why)) => {
                return Err(format!("Inte redo: databasen kan inte skrivas ({why})."));
            }
            Err(e) => {
                tracing::warn!(error = %e, "not ready: the database cannot be written");
                return Err("Inte redo: databasen kan inte skrivas.".into());
            }
            Ok(()) => {}
        }
        if let Err(e) = self.checkpoint().await {
            tracing::warn!(error = %e, "not ready: no checkpoint");
            return Err("Inte redo: loggens kontrollpunkt kan inte läsas.".into());
        }
        Ok(())
    }

    /// Closes the database cleanly.
    pub async fn close(self) {
        self.store.close().await;
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The log's verifier key in C2SP note form (`name+keyid+base64`).
    pub fn public_key(&self) -> String {
        self.verifier_key.clone()
    }

    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// The look-alike names to log with a new certificate for `name`: those
    /// it could be taken for when the administrator confirmed them, none
    /// otherwise (the log's rules then refuse a look-alike, naming them).
    pub(crate) async fn confirmed_lookalikes(
        &self,
        name: &str,
        confirm: bool,
    ) -> Result<Vec<String>, ServiceError> {
        if !confirm {
            return Ok(Vec::new());
        }
        Ok(self.store.lookalike_names(name).await?)
    }

    /// Revokes a certificate from now on.
    pub async fn revoke(
        &self,
        cert_pem: &str,
        reason: &str,
        operator: &str,
    ) -> Result<Revoked, ServiceError> {
        let der = pki::parse_certificate_pem(cert_pem)?;
        self.revoke_fingerprint(&pki::fingerprint(&der), reason, operator)
            .await
    }

    /// Revokes the certificate with this fingerprint from now on.
    pub async fn revoke_fingerprint(
        &self,
        fingerprint: &Hash,
        reason: &str,
        operator: &str,
    ) -> Result<Revoked, ServiceError> {
        let fingerprint = *fingerprint;
        let appended = self
            .sequencer
            .append(vec![EntryBody::CertificateRevoked {
                fingerprint: fingerprint.to_hex(),
                reason: reason.into(),
                operator: operator.into(),
            }])
            .await?;
        let (log_index, entry) = appended
            .entries
            .into_iter()
            .next()
            .ok_or(ServiceError::SequencerStopped)?;
        Ok(Revoked {
            fingerprint,
            log_index,
            revoked_at: entry.logged_at,
        })
    }

    fn registration(doc: &ReadDocument, operator: &str) -> EntryBody {
        EntryBody::Registration {
            document: DocumentRecord {
                canonical: Some(doc.version.as_str().into()),
                text_sha256: doc.text_sha256.to_hex(),
                file_sha256: doc.file_sha256.to_hex(),
                file_size: doc.file_size,
                metadata: doc.metadata.clone(),
                pdf: pdf_record(doc),
            },
            operator: operator.into(),
        }
    }

    fn registered(doc: &ReadDocument, appended: &Appended) -> Result<Registered, ServiceError> {
        let (log_index, entry) = appended
            .entries
            .first()
            .ok_or(ServiceError::SequencerStopped)?;
        Ok(Registered {
            text_sha256: doc.text_sha256,
            file_sha256: doc.file_sha256,
            log_index: *log_index,
            logged_at: entry.logged_at,
            metadata: doc.metadata.clone(),
            checkpoint_size: appended.checkpoint_size,
        })
    }

    /// Registers a finalized document before approval.
    pub async fn register(&self, bytes: &[u8], operator: &str) -> Result<Registered, ServiceError> {
        let doc = self.reader.read(bytes).await?;
        refuse_block(&doc)?;
        let appended = self
            .sequencer
            .append_keeping(
                vec![Self::registration(&doc, operator)],
                Some((doc.text_sha256, bytes.to_vec())),
            )
            .await?;
        Self::registered(&doc, &appended)
    }

    /// Takes over a historical document with its block: one registration and
    /// one imported approval per row, appended all-or-nothing.
    pub async fn import(&self, bytes: &[u8], operator: &str) -> Result<Imported, ServiceError> {
        let doc = self.reader.read(bytes).await?;
        let rows = block::read(&doc.text)?;
        let mut group = vec![Self::registration(&doc, operator)];
        for r in &rows {
            group.push(EntryBody::ImportedApproval {
                document: doc.text_sha256.to_hex(),
                name: r.name.clone(),
                role: r.role.clone(),
                date: r.date,
                operator: operator.into(),
            });
        }
        let appended = self
            .sequencer
            .append_keeping(group, Some((doc.text_sha256, bytes.to_vec())))
            .await?;
        let registered = Self::registered(&doc, &appended)?;
        let approvals = self
            .checked_approvals(self.store.approvals_of(&doc.text_sha256).await?)
            .await?;
        Ok(Imported {
            registered,
            approvals,
        })
    }

    /// Prepares an approval on the approver's side (see [`draft_approval`]).
    /// Nothing is written.
    pub async fn draft_approval(
        &self,
        bytes: &[u8],
        key_pem: &str,
        cert_pem: &str,
    ) -> Result<ApprovalDraft, ServiceError> {
        draft_approval(
            &self.unproved_view(),
            &self.reader,
            bytes,
            key_pem,
            cert_pem,
        )
        .await
    }

    /// Signs a draft with the approver's key and submits it.
    pub async fn sign_and_submit(&self, draft: ApprovalDraft) -> Result<Approved, ServiceError> {
        let req = draft.sign()?;
        self.submit_approval(
            &req.statement,
            req.algorithm,
            &req.signature,
            &req.certificate,
        )
        .await
    }

    /// Records a signed approval statement; every rule is checked by the sequencer.
    pub async fn submit_approval(
        &self,
        statement: &str,
        algorithm: pki::KeyAlg,
        signature_b64: &str,
        cert_pem: &str,
    ) -> Result<Approved, ServiceError> {
        self.submit_approval_noted(statement, algorithm, signature_b64, cert_pem)
            .await
            .map(|(approved, _)| approved)
    }

    /// As [`Service::submit_approval`], with the checkpoint note the
    /// sequencer signed over it (for a receipt, without reading it back).
    pub async fn submit_approval_noted(
        &self,
        statement: &str,
        algorithm: pki::KeyAlg,
        signature_b64: &str,
        cert_pem: &str,
    ) -> Result<(Approved, String), ServiceError> {
        // Exactly one certificate and nothing else goes into the permanent log, canonically.
        let (cert_pem, _) = pki::canonical_certificate_pem(cert_pem)?;
        let body = EntryBody::Approval {
            statement: statement.into(),
            algorithm,
            signature: signature_b64.into(),
            certificate: cert_pem,
        };
        sequencer::check_ahead(&body, &self.ca_der).await;
        let appended = self.sequencer.append(vec![body]).await?;
        let (log_index, entry) = appended
            .entries
            .first()
            .ok_or(ServiceError::SequencerStopped)?;
        let s = Statement::parse(statement).map_err(Refusal::from)?;
        let approved = Approved {
            document: s.document,
            name: s.name,
            role: s.role,
            date: attestera_core::stockholm::date_of(entry.logged_at),
            log_index: *log_index,
            logged_at: entry.logged_at,
            checkpoint_size: appended.checkpoint_size,
        };
        Ok((approved, appended.checkpoint))
    }

    /// The block for a registered document, rows oldest first.
    pub async fn block(&self, bytes: &[u8]) -> Result<String, ServiceError> {
        let doc = self.reader.read(bytes).await?;
        match self.find_registered(&doc).await? {
            Some(found) => self.block_of(&found.row.text_sha256).await,
            None => Err(ServiceError::UnknownDocument(doc.text_sha256)),
        }
    }

    /// The latest signed checkpoint note.
    /// Never older than one committed before the call (`read_cache`).
    pub async fn checkpoint(&self) -> Result<(u64, String), ServiceError> {
        self.latest
            .read(self.store.as_ref())
            .await?
            .ok_or(ServiceError::NoCheckpoint)
    }

    /// One entry's bytes and parsed form.
    pub async fn entry(&self, index: u64) -> Result<(Vec<u8>, Entry), ServiceError> {
        let size = self.store.log_size().await?;
        let bytes = self
            .store
            .entry(index)
            .await?
            .ok_or(ServiceError::NoSuchEntry { index, size })?;
        let entry = Entry::decode(&bytes)?;
        Ok((bytes, entry))
    }

    async fn checkpointed_size(&self, requested: Option<u64>) -> Result<u64, ServiceError> {
        let (latest, _) = self.checkpoint().await?;
        match requested {
            None => Ok(latest),
            Some(s) if s == 0 || s > latest => Err(ServiceError::Range(format!(
                "trädstorleken {s} finns inte (senaste kontrollpunkt: {latest})"
            ))),
            Some(s) => Ok(s),
        }
    }

    /// Inclusion proof of entry `index` in the tree of size `tree_size` (default: latest checkpoint).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        tree_size: Option<u64>,
    ) -> Result<InclusionProof, ServiceError> {
        let size = self.checkpointed_size(tree_size).await?;
        if index >= size {
            return Err(ServiceError::NoSuchEntry { index, size });
        }
        // The leaf's own hash is read with the proof's.
        let mut indexes = tlog::inclusion_proof_indexes(size, index)?;
        indexes.push(tlog::stored_hash_index(0, index));
        let mut hashes = self
            .hashes
            .read(self.store.as_ref(), size, &indexes)
            .await?;
        let leaf_hash = hashes.pop().unwrap_or_default();
        let proof = tlog::inclusion_proof_from(size, index, &hashes)?;
        Ok(InclusionProof {
            leaf_index: index,
            tree_size: size,
            leaf_hash,
            hashes: proof,
        })
    }

    /// Consistency proof between two tree sizes.
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, ServiceError> {
        let latest = self.checkpointed_size(None).await?;
        if old_size == 0 || old_size > new_size || new_size > latest {
            return Err(ServiceError::Range(format!(
                "behöver 1 ≤ {old_size} ≤ {new_size} ≤ {latest} (senaste kontrollpunkt)"
            )));
        }
        let indexes = tlog::consistency_proof_indexes(old_size, new_size)?;
        let hashes = self
            .hashes
            .read(self.store.as_ref(), new_size, &indexes)
            .await?;
        let proof = tlog::consistency_proof_from(old_size, new_size, &hashes)?;
        Ok(ConsistencyProof {
            old_size,
            new_size,
            hashes: proof,
        })
    }
}

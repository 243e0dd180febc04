//! The log generator: fills a log quickly through the real append path
//! (the Service API), with many appends in flight so that the sequencer
//! batches them. Each document is registered, then approved by two
//! approvers, so two thirds of the entries are approvals.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::BenchError;
use crate::service::Service;
use crate::service::certify::{KeyProtection, NewUser};
use crate::wire::ApprovalRequest;
use attestera_core::pki::SigningKey;
use attestera_core::statement::Statement;
use attestera_core::tlog::Hash;

/// Appends in flight while filling (the sequencer takes up to 256 per batch).
const IN_FLIGHT: usize = 512;

/// An approver of the bench: a certificate from the service's CA and its key.
pub struct Approver {
    pub name: String,
    pub role: String,
    pub key: SigningKey,
    pub cert_pem: String,
}

impl Approver {
    /// A signed approval of `document`, as an approver submits it.
    pub fn sign(&self, document: Hash) -> Result<ApprovalRequest, BenchError> {
        let statement = Statement::new(document, &self.name, &self.role, crate::service::now())
            .map_err(|e| BenchError::Failed(format!("uttalandet kunde inte skapas: {e}")))?;
        let statement = statement.encode();
        let signature = self
            .key
            .sign(statement.as_bytes(), &ring::rand::SystemRandom::new())
            .map_err(|e| BenchError::Failed(format!("uttalandet kunde inte signeras: {e}")))?;
        Ok(ApprovalRequest {
            statement,
            algorithm: self.key.alg(),
            signature: STANDARD.encode(signature),
            certificate: self.cert_pem.clone(),
        })
    }
}

/// First names and family names for the approvers: distinct people.
const FIRST: [&str; 8] = [
    "Anna", "Maria", "Erik", "Karin", "Lars", "Sara", "Johan", "Eva",
];
const LAST: [&str; 4] = ["Berg", "Lindqvist", "Åström", "Nyberg"];
const ROLES: [&str; 3] = ["Avdelningschef", "Enhetschef", "Stadsdelsdirektör"];

/// Issues `n` approvers (new Ed25519 keys, unencrypted in `dir`).
pub async fn approvers(s: &Service, dir: &Path, n: usize) -> Result<Vec<Approver>, BenchError> {
    let mut all = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i / FIRST.len()) % LAST.len()]
        );
        let role = ROLES[i % ROLES.len()].to_string();
        let out = dir.join(format!("approver-{i}"));
        let issued = s
            .add_user(&NewUser {
                name: &name,
                role: &role,
                out: &out,
                existing_key: None,
                days: 30,
                operator: "attestera bench",
                confirm_lookalike: true,
                protection: KeyProtection::Unencrypted,
            })
            .await?;
        let key_path = issued
            .key_path
            .ok_or_else(|| BenchError::Failed("ingen nyckel skapades åt godkännaren".into()))?;
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| BenchError::Io("läsa godkännarens filer", e))
        };
        let opened = crate::keyfile::open(&read(&key_path)?, None)
            .map_err(|e| BenchError::Failed(format!("godkännarens nyckel: {e}")))?;
        let key = SigningKey::from_pkcs8_pem(&opened.pem, &ring::rand::SystemRandom::new())
            .map_err(|e| BenchError::Failed(format!("godkännarens nyckel: {e}")))?;
        all.push(Approver {
            name,
            role,
            key,
            cert_pem: read(&issued.cert_path)?,
        });
    }
    Ok(all)
}

/// A distinct synthetic document (a short tjänsteutlåtande); `tag` keeps
/// the bench's several kinds of documents apart.
pub fn document(tag: &str, i: u64) -> String {
    format!(
        "Handläggare\nPer Persson\nTelefon: 08-508 15 000\n\nTill\nSkarpnäcks stadsdelsnämnd\n\n\
         Upprustning av park nummer {i} ({tag})\n\nSvar på remiss från kommunstyrelsen, dnr 2026/{i}\n\n\
         Förslag till beslut\n\nNämnden godkänner förvaltningens förslag om {i} nya lekplatser.\n"
    )
}

/// Fills the log with registered and twice-approved documents.
pub struct Filler {
    pub service: Arc<Service>,
    pub approvers: Arc<Vec<Approver>>,
    next: Arc<AtomicU64>,
}

impl Filler {
    pub fn new(service: Arc<Service>, approvers: Arc<Vec<Approver>>) -> Filler {
        Filler {
            service,
            approvers,
            next: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The log's size now.
    pub async fn size(&self) -> Result<u64, BenchError> {
        Ok(self.service.store().log_size().await?)
    }

    /// Appends documents (three entries each) until the log has at least `target` entries.
    pub async fn fill_to(&self, target: u64) -> Result<u64, BenchError> {
        loop {
            let size = self.size().await?;
            if size >= target {
                return Ok(size);
            }
            let documents = (target - size).div_ceil(3);
            self.append_documents(documents).await?;
        }
    }

    async fn append_documents(&self, documents: u64) -> Result<(), BenchError> {
        let end = self.next.load(Ordering::SeqCst).saturating_add(documents);
        let tasks: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let (s, a, next) = (
                    self.service.clone(),
                    self.approvers.clone(),
                    self.next.clone(),
                );
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= end {
                            // Leave the counter at `end` for the next call.
                            next.fetch_min(end, Ordering::SeqCst);
                            return Ok::<(), BenchError>(());
                        }
                        one_document(&s, &a, i).await?;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await
                .map_err(|e| BenchError::Failed(format!("en fyllnadsuppgift avbröts: {e}")))??;
        }
        Ok(())
    }

    /// Registers (without approvals) `n` new documents; their ids and bytes.
    pub async fn register_many(
        &self,
        tag: &str,
        n: u64,
    ) -> Result<Vec<(Hash, Vec<u8>)>, BenchError> {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let s = self.service.clone();
                let bytes = document(tag, i).into_bytes();
                tokio::spawn(async move {
                    let r = s.register(&bytes, "attestera bench").await?;
                    Ok::<_, BenchError>((r.text_sha256, bytes))
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(
                t.await
                    .map_err(|e| BenchError::Failed(format!("en registrering avbröts: {e}")))??,
            );
        }
        Ok(out)
    }
}

/// Document `i`: registered, then approved by two approvers at once.
async fn one_document(s: &Service, approvers: &[Approver], i: u64) -> Result<(), BenchError> {
    let bytes = document("fyllnad", i).into_bytes();
    let r = s.register(&bytes, "attestera bench").await?;
    let n = approvers.len() as u64;
    let first = &approvers[usize::try_from(i % n).unwrap_or(0)];
    let second = &approvers[usize::try_from((i + 1) % n).unwrap_or(0)];
    let (a, b) = (first.sign(r.text_sha256)?, second.sign(r.text_sha256)?);
    let (x, y) = tokio::join!(submit(s, &a), submit(s, &b));
    x.and(y)
}

/// Submits a signed approval through the Service API.
pub async fn submit(s: &Service, a: &ApprovalRequest) -> Result<(), BenchError> {
    s.submit_approval(&a.statement, a.algorithm, &a.signature, &a.certificate)
        .await?;
    Ok(())
}

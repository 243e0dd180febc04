//! `log checkpoint|public-key|entry|proof|consistency`: reading the log.

use std::io::Write;

use serde::Serialize;

use super::print::{Report, json_as_human};
use crate::service::{Service, ServiceError};
use crate::wire::{ConsistencyProof, InclusionProof};
use attestera_core::entry::Entry;
use attestera_core::tlog;

/// The latest signed checkpoint, verbatim.
#[derive(Serialize)]
pub struct CheckpointNote {
    pub(super) note: String,
    pub(super) tree_size: u64,
}

pub async fn checkpoint(s: &Service) -> Result<CheckpointNote, ServiceError> {
    let (tree_size, note) = s.checkpoint().await?;
    Ok(CheckpointNote { note, tree_size })
}

/// The log's verification key (C2SP) and origin.
#[derive(Serialize)]
pub struct LogKey {
    pub(super) origin: String,
    pub(super) public_key: String,
}

pub fn public_key(s: &Service) -> LogKey {
    LogKey {
        origin: s.config.origin.clone(),
        public_key: s.public_key(),
    }
}

/// One entry: JSON gives its parsed bytes and leaf hash, text its kind,
/// time and bytes.
#[derive(Serialize)]
pub struct LogEntry {
    entry: serde_json::Value,
    index: u64,
    leaf_hash: String,
    #[serde(skip)]
    bytes: Vec<u8>,
    #[serde(skip)]
    parsed: Entry,
    /// The checkpoint a client proved the entry in (remote only).
    #[serde(skip)]
    proven_in: Option<u64>,
}

pub async fn entry(s: &Service, index: u64) -> Result<LogEntry, ServiceError> {
    let (bytes, parsed) = s.entry(index).await?;
    Ok(LogEntry::new(index, bytes, parsed))
}

impl LogEntry {
    pub(super) fn new(index: u64, bytes: Vec<u8>, parsed: Entry) -> LogEntry {
        LogEntry {
            entry: serde_json::from_slice(&bytes).unwrap_or_default(),
            index,
            leaf_hash: tlog::record_hash(&bytes).to_base64(),
            bytes,
            parsed,
            proven_in: None,
        }
    }

    /// The same entry, as proved in checkpoint `size`.
    pub(super) fn proven_in(self, size: u64) -> LogEntry {
        LogEntry {
            proven_in: Some(size),
            ..self
        }
    }
}

pub async fn proof(
    s: &Service,
    index: u64,
    tree_size: Option<u64>,
) -> Result<InclusionProof, ServiceError> {
    s.inclusion_proof(index, tree_size).await
}

pub async fn consistency(
    s: &Service,
    old_size: u64,
    new_size: u64,
) -> Result<ConsistencyProof, ServiceError> {
    s.consistency_proof(old_size, new_size).await
}

impl Report for CheckpointNote {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write!(out, "{}", attestera_core::printable::lines(&self.note))
    }
}

impl Report for LogKey {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", self.public_key)
    }
}

impl Report for LogEntry {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let proven = self
            .proven_in
            .map(|size| format!(", bevisad i kontrollpunkt {size}"))
            .unwrap_or_default();
        writeln!(
            out,
            "Loggpost {} ({}, {}){proven}:",
            self.index,
            self.parsed.body.kind(),
            self.parsed.logged_at
        )?;
        writeln!(
            out,
            "{}",
            attestera_core::printable::json(&String::from_utf8_lossy(&self.bytes))
        )
    }
}

/// Proofs are JSON for people too: they are read by tools.
impl Report for InclusionProof {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        json_as_human(self, out)
    }
}

impl Report for ConsistencyProof {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        json_as_human(self, out)
    }
}

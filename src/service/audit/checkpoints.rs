//! The audit's walk through the stored checkpoints in size order, as the
//! replay reaches each size: a page at a time (memory does not grow with
//! the log), signatures checked on all cores.
//!
//! Every valid checkpoint's root must equal the replayed tree's root at its
//! size. That also proves each one consistent with every other: two roots
//! of prefixes of one replayed sequence of leaves are consistent by
//! construction, so no consistency proof needs to be computed.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{AuditProblem, problem};
use crate::service::ServiceError;
use crate::store::Store;
use attestera_core::tlog::{Checkpoint, Hash, NoteVerifier};

/// A stored checkpoint after its signature check.
enum Opened {
    Valid(Checkpoint),
    Malformed(String),
    SignatureInvalid(String),
}

fn open(verifier: &NoteVerifier, note: &str) -> Opened {
    match verifier.open(note).map(Checkpoint::parse) {
        Ok(Ok(c)) => Opened::Valid(c),
        Ok(Err(e)) => Opened::Malformed(e.to_string()),
        Err(e) => Opened::SignatureInvalid(e.to_string()),
    }
}

pub(super) struct Checkpoints {
    store: Arc<dyn Store>,
    verifier: NoteVerifier,
    origin: String,
    /// The audited log's size.
    size: u64,
    buffer: VecDeque<(u64, Opened)>,
    /// The smallest size not yet read from the store.
    next_from: u64,
    exhausted: bool,
    /// Stored checkpoints seen.
    pub count: u64,
    /// The size of the last valid checkpoint.
    pub last_valid: Option<u64>,
    /// The size of the last stored checkpoint seen, valid or not: a batch end
    /// needs one (every batch signs a checkpoint).
    pub stored_at: Option<u64>,
}

impl Checkpoints {
    pub fn new(store: Arc<dyn Store>, verifier: NoteVerifier, origin: String, size: u64) -> Self {
        Checkpoints {
            store,
            verifier,
            origin,
            size,
            buffer: VecDeque::new(),
            next_from: 0,
            exhausted: false,
            count: 0,
            last_valid: None,
            stored_at: None,
        }
    }

    /// Reads the next page of checkpoints and checks their signatures in parallel.
    async fn refill(&mut self) -> Result<(), ServiceError> {
        let page = self.store.checkpoints_from(self.next_from).await?;
        let Some(&(last, _)) = page.last() else {
            self.exhausted = true;
            return Ok(());
        };
        self.next_from = last.saturating_add(1);
        self.exhausted = last == u64::MAX;
        let verifier = self.verifier.clone();
        let opened = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            page.into_par_iter()
                .map(|(size, note)| (size, open(&verifier, &note)))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ServiceError::Worker(e.to_string()))?;
        self.buffer.extend(opened);
        Ok(())
    }

    /// The size of the next stored checkpoint, if any.
    async fn next_size(&mut self) -> Result<Option<u64>, ServiceError> {
        if self.buffer.is_empty() && !self.exhausted {
            self.refill().await?;
        }
        Ok(self.buffer.front().map(|(s, _)| *s))
    }

    /// Checks the stored checkpoints of tree size `size` (and any of smaller
    /// sizes not yet seen) against the replayed root there, computed only if needed.
    pub async fn at(
        &mut self,
        size: u64,
        root: impl Fn() -> Hash,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        while let Some(stored) = self.next_size().await?.filter(|s| *s <= size) {
            let Some((_, opened)) = self.buffer.pop_front() else {
                break;
            };
            let root = (stored == size).then(&root);
            self.check(stored, opened, root, problems);
        }
        Ok(())
    }

    /// The checkpoints beyond the log's size: each is a problem.
    pub async fn rest(&mut self, problems: &mut Vec<AuditProblem>) -> Result<(), ServiceError> {
        while self.next_size().await?.is_some() {
            if let Some((stored, opened)) = self.buffer.pop_front() {
                self.check(stored, opened, None, problems);
            }
        }
        Ok(())
    }

    /// One checkpoint: signed, of this log, and with the replayed root.
    fn check(
        &mut self,
        stored_size: u64,
        opened: Opened,
        root: Option<Hash>,
        problems: &mut Vec<AuditProblem>,
    ) {
        self.count += 1;
        self.stored_at = Some(stored_size);
        let at = |code, message| AuditProblem {
            checkpoint: Some(stored_size),
            ..problem(code, message)
        };
        let c = match opened {
            Opened::Valid(c) => c,
            Opened::Malformed(e) => {
                return problems.push(at(
                    "checkpoint_malformed",
                    format!("kontrollpunkt {stored_size}: {e}"),
                ));
            }
            Opened::SignatureInvalid(e) => {
                return problems.push(at(
                    "checkpoint_signature_invalid",
                    format!("kontrollpunkt {stored_size}: signaturen stämmer inte ({e})"),
                ));
            }
        };
        if c.size != stored_size || c.origin != self.origin || c.size > self.size {
            return problems.push(at(
                "checkpoint_mismatch",
                format!("kontrollpunkt {stored_size}: storlek eller ursprung stämmer inte"),
            ));
        }
        if root != Some(c.root) {
            return problems.push(at(
                "checkpoint_root_mismatch",
                format!("kontrollpunkt {stored_size}: roten stämmer inte med loggposterna"),
            ));
        }
        self.last_valid = Some(c.size);
    }
}

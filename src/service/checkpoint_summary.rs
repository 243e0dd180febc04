//! The latest checkpoint as a page shows it: its size and root read from
//! the signed note (checked with the log's key, so a page never shows a
//! root the log did not sign), the time of the last entry it covers, and
//! the note itself for anyone to check with other tools.

use jiff::Timestamp;

use super::{Service, ServiceError};
use attestera_core::tlog::{self, Checkpoint};

/// The latest checkpoint, read.
#[derive(Debug, Clone)]
pub struct CheckpointSummary {
    /// Entries the checkpoint covers.
    pub size: u64,
    /// The tree's root hash in base64, as the note writes it; `None` when
    /// the stored note does not open with the log's key (the audit says why).
    pub root: Option<String>,
    /// When the last covered entry was logged (a checkpoint carries no time
    /// of its own); `None` for an empty log or an entry that cannot be read.
    pub last_entry_at: Option<Timestamp>,
    /// The signed note, verbatim.
    pub note: String,
}

impl Service {
    /// The latest checkpoint, read (see [`CheckpointSummary`]).
    pub async fn checkpoint_summary(&self) -> Result<CheckpointSummary, ServiceError> {
        let (size, note) = self.checkpoint().await?;
        let root = Checkpoint::open_signed(self.verifier(), &self.config.origin, &note)
            .filter(|c| c.size == size)
            .map(|c| tlog::to_base64(&c.root));
        let last_entry_at = match size.checked_sub(1) {
            Some(last) => self.entry(last).await.ok().map(|(_, e)| e.logged_at),
            None => None,
        };
        Ok(CheckpointSummary {
            size,
            root,
            last_entry_at,
            note,
        })
    }
}

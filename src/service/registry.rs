//! The registrar's list of documents: a page of the documents matching a
//! search, how many match in all, and how many approvals each has — read
//! in one pass over the approvals, not one query per document.

use std::collections::HashMap;

use super::listing::DocumentFilter;
use super::{Service, ServiceError};
use attestera_core::Hash;
use attestera_core::rules::DocumentRow;

/// Most documents on one page of the list.
pub const PAGE_SIZE: usize = 50;

/// One page of the list.
#[derive(Debug, Clone)]
pub struct DocumentPage {
    /// The documents on this page, oldest first, each with its number of approvals.
    pub rows: Vec<(DocumentRow, usize)>,
    /// How many documents match the search in all.
    pub total: usize,
    /// The position of the first row in the whole list (0-based).
    pub offset: usize,
}

impl Service {
    /// Page `page` (from 1; one past the last gives the last) of the
    /// documents matching `f`, with their approval counts.
    pub async fn document_page(
        &self,
        f: &DocumentFilter,
        page: usize,
    ) -> Result<DocumentPage, ServiceError> {
        let found = self.matching(f).await?;
        let total = found.len();
        let last = total.saturating_sub(1) / PAGE_SIZE;
        let offset = page.saturating_sub(1).min(last) * PAGE_SIZE;
        let shown: Vec<DocumentRow> = found.into_iter().skip(offset).take(PAGE_SIZE).collect();
        let counts = self.approval_counts().await?;
        let rows = shown
            .into_iter()
            .map(|d| {
                let n = counts.get(&d.text_sha256).copied().unwrap_or(0);
                (d, n)
            })
            .collect();
        Ok(DocumentPage {
            rows,
            total,
            offset,
        })
    }

    /// How many approvals each document has (checked against the log).
    pub async fn approval_counts(&self) -> Result<HashMap<Hash, usize>, ServiceError> {
        let approvals = self
            .checked_approvals(self.store.approvals().await?)
            .await?;
        let mut counts = HashMap::new();
        for a in approvals {
            *counts.entry(a.document).or_insert(0) += 1;
        }
        Ok(counts)
    }
}

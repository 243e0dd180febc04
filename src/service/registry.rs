//! The paged listings: the registrar's list of documents (a page of the
//! documents matching a search, how many match in all, and how many
//! approvals each has — read in one pass over the approvals, not one query
//! per document) and the auditors' signature log. Both page alike
//! ([`Page`]).

use std::collections::HashMap;

use super::listing::{DocumentFilter, SignatureFilter, SignatureRow};
use super::paging::Page;
use super::{Service, ServiceError};
use attestera_core::Hash;
use attestera_core::rules::DocumentRow;

pub use super::paging::PAGE_SIZE;

/// One page of the registrar's list: each document with its number of approvals.
pub type DocumentPage = Page<(DocumentRow, usize)>;

impl Service {
    /// Page `page` (from 1; anything before the first is the first, past
    /// the last the last) of the documents matching `f`, with their
    /// approval counts.
    pub async fn document_page(
        &self,
        f: &DocumentFilter,
        page: usize,
    ) -> Result<DocumentPage, ServiceError> {
        let shown = Page::of(self.matching(f).await?, page);
        let counts = self.approval_counts().await?;
        Ok(shown.map(|d| {
            let n = counts.get(&d.text_sha256).copied().unwrap_or(0);
            (d, n)
        }))
    }

    /// Page `page` (as for [`Service::document_page`]) of the approvals
    /// matching `f`, in log order: the auditors' signature log.
    pub async fn signature_page(
        &self,
        f: &SignatureFilter,
        page: usize,
    ) -> Result<Page<SignatureRow>, ServiceError> {
        Ok(Page::of(self.signature_log(f).await?, page))
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

//! What the listings accept and what they answer: filters for document
//! search and the auditors' signature log, applied by the service to rows
//! already checked against their log entries (`checked`), so that an edited
//! table value can neither put a row into a listing nor take one out of it.

use std::collections::{HashMap, HashSet};

use super::fold;
use super::{Service, ServiceError};
pub use crate::wire::SignatureRow;
use attestera_core::Hash;
use attestera_core::rules::DocumentRow;

/// Filters for listing documents; `None` means no filter. Names and text
/// match as `fold` compares them: NFC, case-insensitive in every script.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DocumentFilter {
    /// Diarienummer, exactly.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub dnr: Option<String>,
    /// Part of the nämnd's name.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub namnd: Option<String>,
    /// Part of the title.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub title: Option<String>,
    /// The document's date, from (YYYY-MM-DD, inclusive).
    #[param(format = Date)]
    pub from: Option<String>,
    /// The document's date, to (YYYY-MM-DD, inclusive).
    #[param(format = Date)]
    pub to: Option<String>,
    /// An approver's whole name (not a part of it; case and Unicode form do not matter).
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub approver: Option<String>,
    /// Part of an approver's name.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub approver_contains: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u32>,
}

/// Filters for the auditors' signature log (matching as in `DocumentFilter`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SignatureFilter {
    /// The approver's whole name (not a part of it; case and Unicode form do not matter).
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub person: Option<String>,
    /// Part of the approver's name.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub person_contains: Option<String>,
    /// The whole role.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub role: Option<String>,
    /// Part of the role.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub role_contains: Option<String>,
    /// The approval's date, from (YYYY-MM-DD, inclusive).
    #[param(format = Date)]
    pub from: Option<String>,
    /// The approval's date, to (YYYY-MM-DD, inclusive).
    #[param(format = Date)]
    pub to: Option<String>,
    /// The document's diarienummer, exactly.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub dnr: Option<String>,
}

/// The page of a listing: at most `limit` (default 100, at most 1000) after `offset`.
fn page<T>(rows: Vec<T>, offset: Option<u32>, limit: Option<u32>) -> Vec<T> {
    let offset = usize::try_from(offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit.unwrap_or(100).min(1000)).unwrap_or(1000);
    rows.into_iter().skip(offset).take(limit).collect()
}

/// Whether `text` is a real date written `YYYY-MM-DD`, as the date filters
/// must be (a typo must not silently match nothing).
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok()
}

/// Whether a date (YYYY-MM-DD) lies within the optional bounds, inclusive.
fn within(date: &str, from: &Option<String>, to: &Option<String>) -> bool {
    from.as_deref().is_none_or(|f| date >= f) && to.as_deref().is_none_or(|t| date <= t)
}

impl Service {
    /// Registered documents matching the filter, oldest first.
    pub async fn search(&self, f: &DocumentFilter) -> Result<Vec<DocumentRow>, ServiceError> {
        Ok(page(self.matching(f).await?, f.offset, f.limit))
    }

    /// Every registered document matching the filter (its `limit` and
    /// `offset` aside), oldest first.
    pub(super) async fn matching(
        &self,
        f: &DocumentFilter,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let documents = self
            .checked_documents(self.store.documents().await?)
            .await?;
        let approved: Option<HashSet<Hash>> =
            if f.approver.is_some() || f.approver_contains.is_some() {
                let approvals = self
                    .checked_approvals(self.store.approvals().await?)
                    .await?;
                Some(
                    approvals
                        .into_iter()
                        .filter(|a| {
                            fold::person_matches(
                                &a.name,
                                f.approver.as_deref(),
                                f.approver_contains.as_deref(),
                            )
                        })
                        .map(|a| a.document)
                        .collect(),
                )
            } else {
                None
            };
        let found = documents
            .into_iter()
            .filter(|d| {
                f.dnr.as_ref().is_none_or(|dnr| d.dnr.as_ref() == Some(dnr))
                    && (f.from.is_none() && f.to.is_none()
                        || d.date
                            .is_some_and(|x| within(&x.to_string(), &f.from, &f.to)))
                    && fold::contains_opt(d.namnd.as_deref(), f.namnd.as_deref())
                    && fold::contains_opt(d.title.as_deref(), f.title.as_deref())
                    && approved
                        .as_ref()
                        .is_none_or(|set| set.contains(&d.text_sha256))
            })
            .collect();
        Ok(found)
    }

    /// The signature log, oldest first: every approval with its document's title and dnr.
    pub async fn signature_log(
        &self,
        f: &SignatureFilter,
    ) -> Result<Vec<SignatureRow>, ServiceError> {
        let approvals = self
            .checked_approvals(self.store.approvals().await?)
            .await?;
        let mut documents: HashMap<Hash, DocumentRow> = HashMap::new();
        let mut out = Vec::new();
        for a in approvals {
            let date = a.date.to_string();
            if !within(&date, &f.from, &f.to)
                || !fold::person_matches(&a.name, f.person.as_deref(), f.person_contains.as_deref())
                || !fold::person_matches(&a.role, f.role.as_deref(), f.role_contains.as_deref())
            {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = documents.entry(a.document) {
                let stored =
                    self.store
                        .document(&a.document)
                        .await?
                        .ok_or(ServiceError::TableMismatch {
                            table: "approvals",
                            index: a.log_index,
                        })?;
                e.insert(self.checked_document(stored).await?);
            }
            let Some(d) = documents.get(&a.document) else {
                continue;
            };
            if f.dnr
                .as_ref()
                .is_some_and(|dnr| d.dnr.as_ref() != Some(dnr))
            {
                continue;
            }
            out.push(SignatureRow {
                log_index: a.log_index,
                name: a.name,
                role: a.role,
                date,
                kind: a.kind.as_str().to_string(),
                title: d.title.clone(),
                dnr: d.dnr.clone(),
                document: a.document,
            });
        }
        Ok(out)
    }
}

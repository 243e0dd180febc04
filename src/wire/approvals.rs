//! Approvals: the signed statement an approver submits and the receipt.

use attestera_core::Hash;
use attestera_core::pki::KeyAlg;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::log::InclusionProof;

/// A signed approval as an approver's client submits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub statement: String,
    #[schema(value_type = super::schema::KeyAlg)]
    pub algorithm: KeyAlg,
    /// The signature over the statement's bytes, base64.
    pub signature: String,
    pub certificate: String,
}

/// An approval, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approved {
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub document: Hash,
    pub name: String,
    pub role: String,
    pub date: jiff::civil::Date,
    pub log_index: u64,
    pub logged_at: Timestamp,
    pub checkpoint_size: u64,
}

/// The acknowledgement: the entry, its inclusion proof and the checkpoint that covers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalReceipt {
    pub approval: Approved,
    /// Null only if reading it failed after the commit: ask `GET /log/proof/{index}`.
    pub inclusion_proof: Option<InclusionProof>,
    /// The signed checkpoint note that covers the entry (null as above).
    pub checkpoint: Option<String>,
}

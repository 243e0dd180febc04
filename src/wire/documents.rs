//! Documents: what registering and importing answer, and a document with its approvals.

use attestera_core::Hash;
use attestera_core::document::metadata::Metadata;
use attestera_core::rules::{ApprovalRow, DocumentRow};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A registration, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registered {
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub text_sha256: Hash,
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub file_sha256: Hash,
    pub log_index: u64,
    pub logged_at: Timestamp,
    #[schema(value_type = super::schema::Metadata)]
    pub metadata: Metadata,
    pub checkpoint_size: u64,
}

/// A historical document taken over with its block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Imported {
    pub registered: Registered,
    #[schema(value_type = Vec<super::schema::ApprovalRow>)]
    pub approvals: Vec<ApprovalRow>,
}

/// A document with its approvals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInfo {
    #[schema(value_type = super::schema::DocumentRow)]
    pub document: DocumentRow,
    #[schema(value_type = Vec<super::schema::ApprovalRow>)]
    pub approvals: Vec<ApprovalRow>,
}

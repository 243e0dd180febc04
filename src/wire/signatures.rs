//! The auditors' signature log.

use attestera_core::Hash;
use serde::{Deserialize, Serialize};

/// One row of the signature log: who approved what, when, in which role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRow {
    pub log_index: u64,
    pub name: String,
    pub role: String,
    #[schema(format = Date)]
    pub date: String,
    pub kind: String,
    pub title: Option<String>,
    pub dnr: Option<String>,
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub document: Hash,
}

//! Certificates: issuing one for a public key, and revoking one.

use attestera_core::Hash;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyRequest {
    pub name: String,
    pub role: String,
    /// The approver's public key, PEM (`PUBLIC KEY`, Ed25519 or P-256).
    pub public_key: String,
    pub days: Option<i64>,
    /// Confirms that a name looking like an existing holder's (UTS #39
    /// skeleton) is another person; the confirmation is logged.
    #[serde(default)]
    pub confirm_lookalike: bool,
}

/// A certificate issued through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Certified {
    pub certificate: String,
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub fingerprint: Hash,
    pub log_index: u64,
    pub checkpoint_size: u64,
    /// Holders' names this name looks like, confirmed as other people (logged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookalike_of: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[serde(default)]
    pub reason: String,
}

/// A revocation, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoked {
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub fingerprint: Hash,
    pub log_index: u64,
    pub revoked_at: Timestamp,
}

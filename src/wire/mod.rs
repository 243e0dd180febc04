//! The wire: the JSON bodies the HTTP API sends and receives, shared by the
//! server (which serializes them) and the client (which decodes them into
//! the same types, strictly: an unknown or missing field is an error), and
//! their OpenAPI schemas.
pub mod approvals;
pub mod certificates;
pub mod documents;
pub mod log;
pub mod schema;
pub mod signatures;

pub use approvals::{ApprovalReceipt, ApprovalRequest, Approved};
pub use certificates::{Certified, CertifyRequest, RevokeRequest, Revoked};
pub use documents::{DocumentInfo, Imported, Registered};
pub use log::{
    ConsistencyProof, DocumentIndexes, InclusionProof, RegistrationIndexes, ServedEntry,
};
pub use signatures::SignatureRow;

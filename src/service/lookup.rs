//! Finding the registration a copy belongs to in a log view; the choice
//! between its v2 and v1 digests is the core's (`attestera_core::lookup`).

use super::verify::LogView;
use super::{ReadDocument, Service, ServiceError};
pub use attestera_core::lookup::{Found, choose, version_of_entry};

/// The registration of this copy's document in a log, if any (see [`choose`]).
pub async fn find<V: LogView>(view: &V, doc: &ReadDocument) -> Result<Option<Found>, ServiceError> {
    let by_v2 = view.registration(&doc.text_sha256).await?;
    let by_v1 = match (&by_v2, &doc.text_sha256_v1) {
        (None, Some(v1)) => view.registration(v1).await?,
        _ => None,
    };
    Ok(choose(by_v2, by_v1))
}

impl Service {
    /// The registration of this copy's document, if any (see [`choose`]).
    pub async fn find_registered(&self, doc: &ReadDocument) -> Result<Option<Found>, ServiceError> {
        find(&self.unproved_view(), doc).await
    }
}

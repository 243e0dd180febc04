//! Which registration a copy belongs to, under the canonical text rules it
//! was registered with (`text-v2`, or `text-v1` for old registrations).
//! Pure: the caller looks the digests up in its log and hands the answers here.

use crate::document::Version;
use crate::entry::{Entry, EntryBody};
use crate::rules::DocumentRow;

/// A registration found for a copy.
#[derive(Debug, Clone)]
pub struct Found {
    pub row: DocumentRow,
    /// The rules its digest was computed with, as its log entry records.
    pub version: Version,
    /// Found only by the `text-v1` digest of the copy, which leaves out the
    /// text after a heading in mid-text: that text is not covered.
    pub uncovered: bool,
}

/// Which registration a copy belongs to, given the registration (if any)
/// with its `text-v2` digest and the one with its `text-v1` digest. The
/// v1 digest may only find a v1 registration: a v2 registration covers the
/// whole text, so a copy that matches it only under v1 has changed.
pub fn choose(
    by_v2: Option<(DocumentRow, Version)>,
    by_v1: Option<(DocumentRow, Version)>,
) -> Option<Found> {
    match (by_v2, by_v1) {
        (Some((row, version)), _) => Some(Found {
            row,
            version,
            uncovered: false,
        }),
        (None, Some((row, Version::V1))) => Some(Found {
            row,
            version: Version::V1,
            uncovered: true,
        }),
        _ => None,
    }
}

/// The canonical text version a registration entry records; `None` when
/// the bytes are not a registration or record an unknown version.
pub fn version_of_entry(bytes: &[u8]) -> Option<Version> {
    match Entry::decode(bytes).ok()?.body {
        EntryBody::Registration { document, .. } => {
            Version::of_record(document.canonical.as_deref())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::Hash;

    fn row(id: &str) -> DocumentRow {
        DocumentRow {
            text_sha256: Hash::sha256(id.as_bytes()),
            file_sha256: Hash::sha256(b"f"),
            file_size: 1,
            title: None,
            dnr: None,
            namnd: None,
            date: None,
            handlaggare: None,
            log_index: 1,
            registered_at: "2026-11-25T09:00:00Z".parse().unwrap(),
            operator: "r".into(),
            pdf: None,
        }
    }

    #[test]
    fn the_v1_digest_finds_only_v1_registrations() {
        let found = choose(None, Some((row("a"), Version::V1))).unwrap();
        assert!(found.uncovered);
        assert_eq!(found.version, Version::V1);
        assert!(choose(None, Some((row("a"), Version::V2))).is_none());
        assert!(choose(None, None).is_none());
        for v in [Version::V1, Version::V2] {
            let found = choose(Some((row("b"), v)), Some((row("a"), Version::V1))).unwrap();
            assert_eq!(
                (found.row.text_sha256, found.version),
                (Hash::sha256(b"b"), v)
            );
            assert!(!found.uncovered);
        }
    }
}

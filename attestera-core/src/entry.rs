//! Log entries: one JSON object per change of state.
//!
//! The bytes of an entry are what the Merkle tree hashes, so they are kept
//! verbatim and never re-serialized. Only the canonical encoding produced by
//! [`Entry::encode`] is accepted by [`Entry::decode`], so one state change
//! has one byte string.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::document::metadata::Metadata;
use crate::pki::KeyAlg;

/// The entry format version written into every entry.
pub const ENTRY_VERSION: u32 = 1;

/// An entry as stored in the log: the log's own time stamp and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub v: u32,
    /// The log's time of the batch that appended this entry, whole seconds UTC.
    pub logged_at: Timestamp,
    #[serde(flatten)]
    pub body: EntryBody,
}

/// The kinds of state change the log records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryBody {
    /// A finalized document was registered (before approval) or imported.
    Registration {
        document: DocumentRecord,
        operator: String,
    },
    /// An approver signed an approval statement with a key certified by the CA.
    Approval {
        /// The statement text exactly as signed (see `statement`).
        statement: String,
        algorithm: KeyAlg,
        /// Base64 (standard, padded) signature over the statement bytes.
        signature: String,
        /// The approver's certificate, PEM.
        certificate: String,
    },
    /// An approval taken over from a historical document's block, not signed by the approver.
    ImportedApproval {
        /// Hex SHA-256 of the document's canonical text.
        document: String,
        name: String,
        role: String,
        date: Date,
        operator: String,
    },
    /// A certificate was issued (the first entry of a log is the CA's own).
    CertificateIssued {
        /// The certificate in canonical PEM (`-----BEGIN CERTIFICATE-----`, base64 of the DER in 64-character lines, LF).
        certificate: String,
        operator: String,
        /// Existing holders' names that this certificate's name looks like
        /// (same UTS #39 skeleton), which the administrator confirmed are
        /// other people. Absent when there are none (entries before it stay byte-identical).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lookalike_of: Vec<String>,
    },
    /// A certificate was revoked: approvals logged after this entry are refused.
    CertificateRevoked {
        fingerprint: String,
        reason: String,
        operator: String,
    },
}

/// What a registration records about a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// The rules `text_sha256` was computed with (`text-v2`); absent in
    /// registrations made under `text-v1`, whose bytes stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// Hex SHA-256 of the canonical text: the document's identity.
    pub text_sha256: String,
    /// Hex SHA-256 of the exact bytes registered.
    pub file_sha256: String,
    /// Length of the registered bytes, so an attested copy can be checked
    /// for the registered bytes as its exact prefix.
    pub file_size: u64,
    pub metadata: Metadata,
    /// For a PDF: what was read from it and how. Absent for text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<PdfRecord>,
}

/// What a PDF's registration records beyond a text's: the page count, the
/// pinned extractor its text digests were computed from, and the digest of
/// its skeleton (letters and digits only, the last-resort match level).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfRecord {
    pub pages: u32,
    /// Name and version of the extractor, e.g. `pdftotext 22.12.0 -raw`.
    pub extractor: String,
    /// Hex SHA-256 of the skeleton of the text before the block.
    pub skeleton_sha256: String,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EntryError {
    #[error("entry is not valid JSON: {0}")]
    Malformed(String),
    #[error("entry version {0} unsupported")]
    Version(u32),
    #[error("entry not canonical")]
    NotCanonical,
}

impl EntryError {
    pub fn code(&self) -> &'static str {
        match self {
            EntryError::Malformed(_) => "entry_malformed",
            EntryError::Version(_) => "entry_version",
            EntryError::NotCanonical => "entry_not_canonical",
        }
    }
}

impl EntryBody {
    /// The `kind` string, for listings.
    pub fn kind(&self) -> &'static str {
        match self {
            EntryBody::Registration { .. } => "registration",
            EntryBody::Approval { .. } => "approval",
            EntryBody::ImportedApproval { .. } => "imported_approval",
            EntryBody::CertificateIssued { .. } => "certificate_issued",
            EntryBody::CertificateRevoked { .. } => "certificate_revoked",
        }
    }
}

impl Entry {
    /// The canonical bytes: compact JSON, fields in declaration order.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing these plain structs cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses entry bytes, accepting only the canonical encoding of a known version.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let entry: Entry =
            serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        if entry.v != ENTRY_VERSION {
            return Err(EntryError::Version(entry.v));
        }
        if entry.encode() != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revoked() -> Entry {
        Entry {
            v: 1,
            logged_at: "2026-11-25T10:00:00Z".parse().unwrap(),
            body: EntryBody::CertificateRevoked {
                fingerprint: "ab".repeat(32),
                reason: "Nyckeln borttappad".into(),
                operator: "admin".into(),
            },
        }
    }

    /// One entry of every kind, as in docs/formats.md §4.
    fn vectors() -> Vec<Entry> {
        let at = |t: &str| t.parse::<Timestamp>().unwrap();
        let statement = "attestera-approval-v1\n\
                         document-text-sha256 abababababababababababababababababababababababababababababababab\n\
                         name Maria Mathiasson Laxvik\n\
                         role Stadsdelsdirektör\n\
                         signed-at 2026-11-25T10:15:30Z\n";
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        vec![
            Entry {
                v: 1,
                logged_at: at("2026-11-25T09:00:00Z"),
                body: EntryBody::CertificateIssued {
                    certificate: cert.into(),
                    operator: "init".into(),
                    lookalike_of: Vec::new(),
                },
            },
            Entry {
                v: 1,
                logged_at: at("2026-11-25T09:30:00Z"),
                body: EntryBody::Registration {
                    document: DocumentRecord {
                        canonical: None,
                        text_sha256: "ab".repeat(32),
                        file_sha256: "cd".repeat(32),
                        file_size: 5120,
                        metadata: Metadata {
                            title: Some("Parkeringsplatser i Skarpnäck".into()),
                            dnr: Some("2019/1939".into()),
                            namnd: Some("Skarpnäcks stadsdelsnämnd".into()),
                            date: Some("2019-11-04".parse().unwrap()),
                            handlaggare: Some("Anna Berg".into()),
                        },
                        pdf: None,
                    },
                    operator: "registrator Rut".into(),
                },
            },
            Entry {
                v: 1,
                logged_at: at("2026-12-01T09:30:00Z"),
                body: EntryBody::Registration {
                    document: DocumentRecord {
                        canonical: Some("text-v2".into()),
                        text_sha256: "ef".repeat(32),
                        file_sha256: "cd".repeat(32),
                        file_size: 5120,
                        metadata: Metadata {
                            title: Some("Parkeringsplatser i Skarpnäck".into()),
                            dnr: Some("2019/1939".into()),
                            ..Metadata::default()
                        },
                        pdf: None,
                    },
                    operator: "registrator Rut".into(),
                },
            },
            Entry {
                v: 1,
                logged_at: at("2026-11-25T10:15:31Z"),
                body: EntryBody::Approval {
                    statement: statement.into(),
                    algorithm: KeyAlg::Ed25519,
                    signature: "AAEC".into(),
                    certificate: cert.into(),
                },
            },
            Entry {
                v: 1,
                logged_at: at("2026-11-25T10:20:00Z"),
                body: EntryBody::ImportedApproval {
                    document: "ab".repeat(32),
                    name: "Åsa Öberg".into(),
                    role: "Avdelningschef".into(),
                    date: "2019-11-09".parse().unwrap(),
                    operator: "registrator Rut".into(),
                },
            },
            Entry {
                v: 1,
                logged_at: at("2026-11-25T09:10:00Z"),
                body: EntryBody::CertificateIssued {
                    certificate: cert.into(),
                    operator: "admin".into(),
                    lookalike_of: vec!["Anna Kopec".into()],
                },
            },
            revoked(),
        ]
    }

    #[test]
    fn every_kind_matches_its_vector_in_the_format_document() {
        let doc = include_str!("../../docs/formats.md");
        let mut missing = Vec::new();
        for e in vectors() {
            let bytes = e.encode();
            assert_eq!(Entry::decode(&bytes).unwrap(), e);
            let line = String::from_utf8(bytes.clone()).unwrap();
            let leaf = crate::tlog::to_base64(&crate::tlog::record_hash(&bytes));
            let pinned = format!("{line}\nleaf hash {leaf}\n");
            if !doc.contains(&pinned) {
                missing.push(pinned);
            }
        }
        assert!(
            missing.is_empty(),
            "docs/formats.md §4 lacks:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn an_empty_lookalike_list_has_one_encoding_the_old_one() {
        let old = r#"{"v":1,"logged_at":"2026-11-25T09:00:00Z","kind":"certificate_issued","certificate":"C","operator":"init"}"#;
        let e = Entry::decode(old.as_bytes()).unwrap();
        assert!(
            matches!(&e.body, EntryBody::CertificateIssued { lookalike_of, .. } if lookalike_of.is_empty())
        );
        let explicit = old.replace("\"init\"}", "\"init\",\"lookalike_of\":[]}");
        assert_eq!(
            Entry::decode(explicit.as_bytes()),
            Err(EntryError::NotCanonical)
        );
    }

    #[test]
    fn non_canonical_or_unknown_bytes_are_refused() {
        let good = String::from_utf8(revoked().encode()).unwrap();
        let cases = [
            good.replace(",\"reason\"", ", \"reason\""),
            good.replace("\"v\":1", "\"v\":2"),
            good.replace("certificate_revoked", "certificate_eaten"),
            good.replace("}", ",\"extra\":1}"),
            good.replace("\"Nyckeln", "\"\\u004eyckeln"),
            "not json".into(),
            String::new(),
        ];
        for bad in cases {
            assert!(Entry::decode(bad.as_bytes()).is_err(), "accepted: {bad}");
        }
    }
}

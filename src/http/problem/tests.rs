//! Each error variant maps to the HTTP status and exit code that
//! docs/api.md ("Status and exit code by error") documents, and a failing
//! store's text never reaches a caller.

use std::collections::BTreeMap;
use std::path::PathBuf;

use attestera_core::document::block::BlockError;
use attestera_core::document::canonical::TextError;
use attestera_core::entry::EntryError;
use attestera_core::pki::PkiError;
use attestera_core::pki::name::{NameError, NameField};
use attestera_core::rules::{InvalidValue, Refusal};
use attestera_core::statement::{Field, FieldError, StatementError};
use attestera_core::tlog::{self, Hash};

use super::*;
use crate::service::ConfigError;
use crate::store::StoreError;

const SECRET: &str = "SQLITE_SECRET_DETAIL no such table: x";

/// One value of every variant (and of every refusal and PKI error whose
/// status differs), labelled as in the documented table.
fn cases() -> Vec<(&'static str, ServiceError)> {
    let hash = Hash::sha256(b"x");
    let when: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let date = jiff::civil::date(2025, 1, 1);
    let io = || std::io::Error::other(SECRET);
    let refused = |r: Refusal| ServiceError::Refused(r);
    vec![
        (
            "NotInitialized",
            ServiceError::NotInitialized(PathBuf::from("d")),
        ),
        (
            "AlreadyInitialized",
            ServiceError::AlreadyInitialized(PathBuf::from("d")),
        ),
        (
            "Io",
            ServiceError::Io {
                action: "läsa",
                path: PathBuf::from("f"),
                source: io(),
            },
        ),
        ("Text", TextError::Empty.into()),
        ("Pdf (the file)", crate::pdf::PdfError::Encrypted.into()),
        ("FileNotKept", ServiceError::FileNotKept(hash)),
        (
            "Pdf (too large)",
            crate::pdf::PdfError::TooLarge { max: 1 }.into(),
        ),
        (
            "Pdf (helper missing)",
            crate::pdf::PdfError::Unavailable(SECRET.into()).into(),
        ),
        ("Block", BlockError::NoRows.into()),
        (
            "KeyFile",
            crate::keyfile::KeyFileError::WrongPassphrase.into(),
        ),
        (
            "StatementForOtherDocument",
            ServiceError::StatementForOtherDocument,
        ),
        (
            "Enrolment",
            crate::service::enrolment::EnrolmentError::ProofInvalid.into(),
        ),
        (
            "ServiceKey (wrong passphrase)",
            ServiceError::ServiceKey {
                path: "data/ca.key.pem".into(),
                error: crate::keyfile::KeyFileError::WrongPassphrase,
            },
        ),
        (
            "ServiceKey (no passphrase)",
            ServiceError::ServiceKey {
                path: "data".into(),
                error: crate::keyfile::KeyFileError::NoPassphrase,
            },
        ),
        (
            "Pki (unreadable input)",
            PkiError::PemInvalid(attestera_core::pki::PkiReason::NoPemBlock).into(),
        ),
        ("Pki (other)", PkiError::NotIssuedByCa.into()),
        (
            "Store (database)",
            ServiceError::Store(StoreError::Database(sqlx::Error::Protocol(SECRET.into()))),
        ),
        (
            "Store (corrupt)",
            ServiceError::Store(StoreError::Corrupt {
                table: "documents",
                detail: SECRET.into(),
            }),
        ),
        (
            "Store (not writable)",
            ServiceError::Store(StoreError::NotWritable("disken är full".into())),
        ),
        ("Entry", EntryError::NotCanonical.into()),
        ("Note", tlog::NoteError::KeyIdMismatch.into()),
        ("Tree", tlog::TreeError::EmptyOldTree.into()),
        ("Config", ConfigError::CaPairIncomplete.into()),
        ("NoRandomness", ServiceError::NoRandomness),
        ("NoCheckpoint", ServiceError::NoCheckpoint),
        ("NoTempDir", ServiceError::NoTempDir),
        (
            "TokenName",
            ServiceError::TokenName(FieldError::NotNfc { field: Field::Name }),
        ),
        (
            "TokenNameTooLong",
            ServiceError::TokenNameTooLong { max: 100 },
        ),
        ("CommandWithoutService", ServiceError::CommandWithoutService),
        ("UnknownDocument", ServiceError::UnknownDocument(hash)),
        (
            "NoSuchEntry",
            ServiceError::NoSuchEntry { index: 9, size: 3 },
        ),
        ("Range", ServiceError::Range("x".into())),
        (
            "OutputExists",
            ServiceError::OutputExists(PathBuf::from("o")),
        ),
        (
            "AppendFailed",
            ServiceError::AppendFailed("disken är full".into()),
        ),
        ("SequencerStopped", ServiceError::SequencerStopped),
        ("Worker", ServiceError::Worker("avbröts".into())),
        ("NoApprovals", ServiceError::NoApprovals),
        ("DocumentHasBlock", ServiceError::DocumentHasBlock),
        ("NoSuchToken", ServiceError::NoSuchToken(4)),
        ("TokenOutdated", ServiceError::TokenOutdated),
        ("Cancelled", ServiceError::Cancelled),
        ("UnknownLeaf", ServiceError::UnknownLeaf),
        (
            "TableMismatch",
            ServiceError::TableMismatch {
                table: "approvals",
                index: 2,
            },
        ),
        (
            "IssuedButNotPlaced",
            ServiceError::IssuedButNotPlaced {
                log_index: 5,
                kept: PathBuf::from("o"),
                reason: "x".into(),
            },
        ),
        (
            "Refused DocumentAlreadyRegistered",
            refused(Refusal::DocumentAlreadyRegistered),
        ),
        (
            "Refused DocumentNotRegistered",
            refused(Refusal::DocumentNotRegistered),
        ),
        (
            "Refused Statement",
            refused(StatementError::NotCanonical.into()),
        ),
        (
            "Refused Pki (unreadable input)",
            refused(PkiError::KeyInvalid(attestera_core::pki::PkiReason::Key).into()),
        ),
        (
            "Refused Pki (other)",
            refused(PkiError::SignatureInvalid.into()),
        ),
        (
            "Refused CertificateUnknown",
            refused(Refusal::CertificateUnknown),
        ),
        (
            "Refused CertificateRevoked",
            refused(Refusal::CertificateRevoked { revoked_at: when }),
        ),
        (
            "Refused CertificateAlreadyIssued",
            refused(Refusal::CertificateAlreadyIssued),
        ),
        (
            "Refused CertificateAlreadyRevoked",
            refused(Refusal::CertificateAlreadyRevoked),
        ),
        ("Refused CaNotRevocable", refused(Refusal::CaNotRevocable)),
        ("Refused CaMissing", refused(Refusal::CaMissing)),
        (
            "Refused SignerMismatch",
            refused(Refusal::SignerMismatch {
                field: NameField::Name,
                statement: "A".into(),
                certificate: "B".into(),
            }),
        ),
        (
            "Refused AlgorithmMismatch",
            refused(Refusal::AlgorithmMismatch),
        ),
        (
            "Refused SignatureEncoding",
            refused(Refusal::SignatureEncoding),
        ),
        (
            "Refused SigningTime",
            refused(Refusal::SigningTime {
                signed_at: when,
                logged_at: when,
            }),
        ),
        (
            "Refused DuplicateApproval",
            refused(Refusal::DuplicateApproval {
                name: "A".into(),
                role: "R".into(),
            }),
        ),
        (
            "Refused Invalid",
            refused(Refusal::Invalid(InvalidValue::Digest)),
        ),
        (
            "Refused ImportAfterStart",
            refused(Refusal::ImportAfterStart { date, start: date }),
        ),
        (
            "Refused Name",
            refused(
                NameError::Empty {
                    what: NameField::Name,
                }
                .into(),
            ),
        ),
        (
            "Refused KeyAlreadyCertified",
            refused(Refusal::KeyAlreadyCertified { fingerprint: hash }),
        ),
        (
            "Refused LookalikeUnconfirmed",
            refused(Refusal::LookalikeUnconfirmed {
                name: "A".into(),
                others: vec!["А".into()],
            }),
        ),
        (
            "Refused LookalikeConfirmationMismatch",
            refused(Refusal::LookalikeConfirmationMismatch {
                confirmed: vec![],
                expected: vec!["А".into()],
            }),
        ),
    ]
}

/// The rows of the documented table: label → (code, status, exit).
fn documented() -> BTreeMap<String, (String, u16, i32)> {
    let doc = include_str!("../../../docs/api.md");
    let start = doc
        .find("### Status and exit code by error")
        .expect("docs/api.md documents the table");
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| `"))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(|c| c.trim().trim_matches('`')).collect();
            let row = (
                cells[2].to_string(),
                cells[3].parse().unwrap(),
                cells[4].parse().unwrap(),
            );
            (cells[1].to_string(), row)
        })
        .collect()
}

#[test]
fn every_error_variant_maps_to_its_documented_status_and_exit_code() {
    let table = documented();
    let cases = cases();
    for (label, e) in &cases {
        let row = table
            .get(*label)
            .unwrap_or_else(|| panic!("{label} is not documented"));
        let got = (e.code().to_string(), status(e).as_u16(), e.exit_code());
        assert_eq!(&got, row, "{label}");
    }
    assert_eq!(
        table.len(),
        cases.len(),
        "the table documents exactly these cases"
    );
}

#[test]
fn every_error_variant_has_a_swedish_sentence() {
    for (label, e) in cases() {
        let sentence = messages::say(&e);
        assert!(!sentence.trim().is_empty(), "{label}");
        // English developer text (the core's Display) must not leak through.
        let english = match &e {
            ServiceError::Refused(r) => Some(r.to_string()),
            ServiceError::Pki(p) => Some(p.to_string()),
            ServiceError::Text(t) => Some(t.to_string()),
            ServiceError::Pdf(t) => Some(t.to_string()),
            ServiceError::KeyFile(k) => Some(k.to_string()),
            ServiceError::ServiceKey { error, .. } => Some(error.to_string()),
            ServiceError::Block(b) => Some(b.to_string()),
            ServiceError::Entry(x) => Some(x.to_string()),
            _ => None,
        };
        if let Some(english) = english {
            assert_ne!(sentence, english, "{label} is rendered, not Display");
        }
    }
}

#[test]
fn a_500_from_a_failing_store_does_not_echo_its_text() {
    for (label, e) in cases() {
        let expose = status(&e).is_server_error();
        let problem = Problem::from(e);
        if expose {
            assert!(
                !problem.detail.contains(SECRET),
                "{label}: {}",
                problem.detail
            );
        }
    }
    let problem = Problem::from(ServiceError::Store(StoreError::Database(
        sqlx::Error::Protocol(SECRET.into()),
    )));
    assert_eq!((problem.status, problem.code), (500, "storage_error"));
    assert!(problem.detail.contains("lagring"), "{}", problem.detail);
}

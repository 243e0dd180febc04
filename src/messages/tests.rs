//! Every variant has a sentence, and the sentences carry their values.

use super::*;

#[test]
fn text_errors_say_what_to_do_in_swedish() {
    assert!(say(&TextError::NotUtf8 { offset: 7 }).contains('7'));
    assert!(say(&TextError::Utf16).contains("UTF-16"));
    assert!(say(&TextError::Utf16).contains("UTF-8"));
    assert!(say(&TextError::Pdf).contains("PDF-läsare"));
}

#[test]
fn block_errors_name_the_line() {
    let e = BlockError::InvalidDate {
        line: 4,
        text: "2020-02-30".into(),
    };
    assert!(say(&e).contains("Rad 4"));
}

use attestera_core::document::Version;
use attestera_core::document::block::BlockRow;
use attestera_core::verdict::{FileMatch, Said};

fn finding(said: &Said) -> String {
    words().finding(said)
}

#[test]
fn the_file_match_says_one_true_thing_in_swedish() {
    let exact = finding(&Said::MatchFile(FileMatch::Exact));
    assert!(exact.contains("exakt de registrerade byten"), "{exact}");
    assert!(!exact.contains("följt av"), "{exact}");
    let with_block = finding(&Said::MatchFile(FileMatch::WithBlock));
    assert!(with_block.contains("följt av ett block"), "{with_block}");
}

/// One value of every finding.
fn every_said() -> Vec<Said> {
    let date = jiff::civil::date(2025, 1, 2);
    let name = || "Anna Berg".to_string();
    vec![
        Said::ContentChanged {
            dnr: Some("2019/1939".into()),
            title: None,
        },
        Said::DnrChanged {
            copy: "1".into(),
            registered: "2".into(),
        },
        Said::DocumentNotRegistered,
        Said::BlockMissing,
        Said::BlockUnreadable(BlockError::NoRows),
        Said::MatchText(Version::V1),
        Said::MatchFile(FileMatch::Exact),
        Said::MatchFile(FileMatch::WithBlock),
        Said::MatchFile(FileMatch::WithWhitespace),
        Said::RegisteredTextV1,
        Said::TextNotCovered,
        Said::RowWithoutApproval(BlockRow {
            name: name(),
            role: "Chef".into(),
            date,
        }),
        Said::NameLookalike {
            block: name(),
            log: name(),
        },
        Said::RowNameMismatch {
            block: name(),
            log: "Bo".into(),
        },
        Said::RowRoleMismatch {
            block: "A".into(),
            log: "B".into(),
        },
        Said::RowDateMismatch {
            block: date,
            log: date,
        },
        Said::ApprovalMissingFromBlock {
            name: name(),
            role: "Chef".into(),
            date,
        },
        Said::ImportedFromArchive {
            operator: None,
            on: date,
            name: name(),
        },
        Said::SignatureValid { name: name() },
        Said::SignerNameLookalike {
            name: name(),
            others: vec!["Аnna Berg".into()],
        },
        Said::ImportedNameLookalike {
            name: name(),
            others: vec!["Аnna Berg".into()],
        },
        Said::CertificateRevokedLater(date),
        Said::ApprovedBeforeDocumentDate {
            approved: date,
            document: date,
        },
        Said::BlockNotChecked,
    ]
}

#[test]
fn every_finding_has_a_swedish_sentence_with_its_values() {
    for said in every_said() {
        let sentence = finding(&said);
        assert!(!sentence.trim().is_empty(), "{said:?}");
        assert!(!sentence.contains("{"), "{said:?}: {sentence}");
        assert!(sentence.ends_with('.'), "{said:?}: {sentence}");
    }
    assert!(finding(&every_said()[0]).contains("dnr 2019/1939"));
    assert!(
        finding(&Said::RowDateMismatch {
            block: jiff::civil::date(2025, 1, 2),
            log: jiff::civil::date(2025, 3, 4)
        })
        .contains("2025-03-04")
    );
}

#[test]
fn every_core_error_is_said_in_swedish_not_in_its_english_display() {
    use attestera_core::pki::name::NameField;
    let errors: Vec<(String, String)> = vec![
        (say(&TextError::Binary), TextError::Binary.to_string()),
        (say(&BlockError::Missing), BlockError::Missing.to_string()),
        (say(&PkiError::KeyUsage), PkiError::KeyUsage.to_string()),
        (
            say(&NameError::Comma {
                what: NameField::Role,
            }),
            NameError::Comma {
                what: NameField::Role,
            }
            .to_string(),
        ),
        (
            say(&StatementError::Digest),
            StatementError::Digest.to_string(),
        ),
        (
            say(&EntryError::Version(9)),
            EntryError::Version(9).to_string(),
        ),
        (say(&Refusal::CaMissing), Refusal::CaMissing.to_string()),
    ];
    for (swedish, english) in errors {
        assert!(!swedish.is_empty());
        assert_ne!(swedish, english);
    }
}

#[test]
fn one_io_table_gives_both_the_file_reason_and_the_write_refusal() {
    let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
    assert_eq!(default().io_reason(&full), "disken är full");
    assert_eq!(default().write_refused(&full), "disken är full");
    let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    assert_eq!(default().io_reason(&denied), "åtkomst nekad");
    assert!(default().write_refused(&denied).contains("skrivskyddad"));
}

#[test]
fn every_request_problem_has_a_swedish_sentence() {
    let all = [
        RequestProblem::Unauthorized,
        RequestProblem::Forbidden {
            needed: "admin".into(),
        },
        RequestProblem::NotFound,
        RequestProblem::MethodNotAllowed,
        RequestProblem::BodyTooLarge,
        RequestProblem::Timeout,
        RequestProblem::UnsupportedMediaType,
        RequestProblem::Invalid,
        RequestProblem::UriTooLong { bytes: 9, max: 8 },
        RequestProblem::HeadersTooLarge {
            fields: 101,
            bytes: 1,
            max_fields: 100,
            max_bytes: 2,
        },
        RequestProblem::TooManyConnections,
    ];
    for p in &all {
        let sentence = say(p);
        assert!(sentence.ends_with('.'), "{p:?}: {sentence}");
        assert!(!p.code().is_empty());
    }
    assert!(say(&all[1]).contains("admin"));
    assert!(say(&all[9]).contains("101 fält"));
}

#[test]
fn every_evidence_problem_has_a_swedish_sentence_with_its_values() {
    use attestera_core::verdict::Problem;
    let when: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let all = [
        Problem::Refused(Refusal::CaMissing),
        Problem::RevokedBefore(when),
        Problem::CheckpointInvalid,
        Problem::NotIncluded { index: 7, size: 9 },
        Problem::EntryUnreadable {
            index: 7,
            error: EntryError::NotCanonical,
        },
        Problem::LogMismatch { index: 7 },
        Problem::CertificateNotInLog,
    ];
    for p in &all {
        let sentence = finding(&Said::Problem(p.clone()));
        assert_eq!(sentence, say(p));
        assert!(!sentence.trim().is_empty(), "{p:?}");
        if !matches!(
            p,
            Problem::Refused(_)
                | Problem::RevokedBefore(_)
                | Problem::CheckpointInvalid
                | Problem::CertificateNotInLog
        ) {
            assert!(sentence.contains('7'), "{p:?}: {sentence}");
        }
    }
}

#[test]
fn pki_reasons_are_said_in_swedish() {
    use attestera_core::pki::PkiReason;
    let e = PkiError::KeyUnsupported(PkiReason::P256Compressed);
    assert!(say(&e).contains("okomprimerad punkt"), "{}", say(&e));
    let e = PkiError::PemInvalid(PkiReason::PemUnreadable);
    assert!(say(&e).contains("ingen läsbar PEM-text"), "{}", say(&e));
    let e = PkiError::CaInvalid(attestera_core::pki::CaProblem::from(PkiError::KeyUsage));
    assert!(
        say(&e).contains("keyUsage digitalSignature saknas"),
        "{}",
        say(&e)
    );
}

//! The approval statement: the exact bytes an approver signs.
//!
//! A line-oriented text, domain-separated by its first line, with fields in a
//! fixed order and no field allowed to contain a line break, so that one
//! statement has exactly one reading. It is stored verbatim in the log and
//! never re-serialized; `parse` accepts only the canonical form.

use crate::tlog::Hash;
use jiff::{Timestamp, Unit};

/// First line of every v1 statement: no other signed object starts with it.
pub const CONTEXT: &str = "attestera-approval-v1";

/// An approver's claim: I, in this role, approve the document with this canonical text digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// SHA-256 of the document's canonical text v1.
    pub document: Hash,
    pub name: String,
    pub role: String,
    /// When the approver signed, whole seconds, UTC.
    pub signed_at: Timestamp,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StatementError {
    #[error("not an attestera statement (first line must be {CONTEXT})")]
    Context,
    #[error("statement line {line} must start with {field:?}")]
    Field { line: usize, field: &'static str },
    #[error(transparent)]
    Value(#[from] FieldError),
    #[error("statement document digest is not 64 hex digits")]
    Digest,
    #[error("statement signing time is not an RFC 3339 time")]
    SignedAt,
    #[error("statement signing time cannot be rounded: {0}")]
    Rounding(String),
    #[error("statement not canonical")]
    NotCanonical,
}

impl StatementError {
    pub fn code(&self) -> &'static str {
        "statement_malformed"
    }
}

/// Which bounded one-line field a [`FieldError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A name in a statement or a token's name.
    Name,
    /// A role in a statement.
    Role,
    /// The organisation in a certificate's subject.
    Organisation,
    /// The organisation's name given to `init`.
    OrganisationName,
    /// The operator recorded in an entry.
    Operator,
    /// A revocation's reason.
    Reason,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Name => "name",
            Field::Role => "role",
            Field::Organisation => "organisation",
            Field::OrganisationName => "organisation name",
            Field::Operator => "operator",
            Field::Reason => "reason",
        })
    }
}

/// Why a one-line field is refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FieldError {
    #[error("{field} is too long (max {max} characters)")]
    TooLong { field: Field, max: usize },
    #[error("{field} is empty or padded with spaces")]
    EmptyOrPadded { field: Field },
    #[error("{field} contains control or invisible characters")]
    Invisible { field: Field },
    #[error("{field} may only have single plain spaces")]
    Spacing { field: Field },
    #[error("{field} is not in Unicode NFC")]
    NotNfc { field: Field },
}

/// Longest one-line field (name, role, operator, organisation), in characters.
pub const MAX_FIELD_CHARS: usize = 200;
/// Longest revocation reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Checks a name or role for use in a statement, or an operator or
/// organisation: non-empty, trimmed, one line, bounded, no control or
/// invisible characters.
pub fn check_field(field: Field, value: &str) -> Result<(), FieldError> {
    check_line(value, MAX_FIELD_CHARS).map_err(|rule| match rule {
        LineRule::TooLong { .. } => FieldError::TooLong {
            field,
            max: MAX_FIELD_CHARS,
        },
        LineRule::Empty | LineRule::Padded => FieldError::EmptyOrPadded { field },
        LineRule::Invisible => FieldError::Invisible { field },
        LineRule::Spacing => FieldError::Spacing { field },
        LineRule::NotNfc => FieldError::NotNfc { field },
    })
}

/// A rule of one line of text that a value breaks ([`check_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineRule {
    TooLong { chars: usize },
    Empty,
    Padded,
    Invisible,
    Spacing,
    NotNfc,
}

/// The rules every one-line field follows, the one implementation that
/// [`check_field`] and the stricter name rules (`pki::name`) share: at most
/// `max` characters, non-empty, no white space at the edges, no control or
/// invisible characters, single plain spaces, NFC.
pub(crate) fn check_line(value: &str, max: usize) -> Result<(), LineRule> {
    let chars = value.chars().count();
    if chars > max {
        return Err(LineRule::TooLong { chars });
    }
    if value.is_empty() {
        return Err(LineRule::Empty);
    }
    if value.trim() != value {
        return Err(LineRule::Padded);
    }
    if value.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(LineRule::Invisible);
    }
    if value.chars().any(|c| c.is_whitespace() && c != ' ') || value.contains("  ") {
        return Err(LineRule::Spacing);
    }
    if !unicode_normalization::is_nfc(value) {
        return Err(LineRule::NotNfc);
    }
    Ok(())
}

fn check_characters(field: Field, value: &str) -> Result<(), FieldError> {
    if value.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(FieldError::Invisible { field });
    }
    Ok(())
}

fn check_nfc(field: Field, value: &str) -> Result<(), FieldError> {
    if !unicode_normalization::is_nfc(value) {
        return Err(FieldError::NotNfc { field });
    }
    Ok(())
}

/// Checks a free-text reason (a revocation's): may be empty, one line,
/// bounded, NFC, no control or invisible characters.
pub fn check_reason(value: &str) -> Result<(), FieldError> {
    let field = Field::Reason;
    if value.chars().count() > MAX_REASON_CHARS {
        return Err(FieldError::TooLong {
            field,
            max: MAX_REASON_CHARS,
        });
    }
    if value.is_empty() {
        return Ok(());
    }
    check_characters(field, value)?;
    check_nfc(field, value)
}

/// Characters that change how a text looks or reads without being seen:
/// the Unicode Default_Ignorable_Code_Point set (bidirectional controls,
/// joiners, variation selectors, Hangul fillers, soft hyphen, BOM, tags),
/// and private-use code points, which show as anything a font likes.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}'
        | '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

impl Statement {
    /// Builds a statement, truncating the signing time to whole seconds.
    pub fn new(
        document: Hash,
        name: &str,
        role: &str,
        signed_at: Timestamp,
    ) -> Result<Statement, StatementError> {
        check_field(Field::Name, name)?;
        check_field(Field::Role, role)?;
        let signed_at = signed_at
            .round(
                jiff::TimestampRound::new()
                    .smallest(Unit::Second)
                    .mode(jiff::RoundMode::Trunc),
            )
            .map_err(|e| StatementError::Rounding(e.to_string()))?;
        Ok(Statement {
            document,
            name: name.into(),
            role: role.into(),
            signed_at,
        })
    }

    /// The exact text that is signed.
    pub fn encode(&self) -> String {
        format!(
            "{CONTEXT}\ndocument-text-sha256 {}\nname {}\nrole {}\nsigned-at {}\n",
            self.document.to_hex(),
            self.name,
            self.role,
            self.signed_at
        )
    }

    /// Parses a statement; anything but the canonical encoding is refused.
    pub fn parse(text: &str) -> Result<Statement, StatementError> {
        let mut lines = text.split('\n');
        if lines.next() != Some(CONTEXT) {
            return Err(StatementError::Context);
        }
        let mut field = |line: usize, name: &'static str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .ok_or(StatementError::Field { line, field: name })
        };
        let digest = field(2, "document-text-sha256")?;
        let name = field(3, "name")?;
        let role = field(4, "role")?;
        let signed_at = field(5, "signed-at")?;
        let document = Hash::from_hex(digest).map_err(|_| StatementError::Digest)?;
        let signed_at: Timestamp = signed_at.parse().map_err(|_| StatementError::SignedAt)?;
        let statement = Statement::new(document, name, role, signed_at)?;
        if statement.encode() != text {
            return Err(StatementError::NotCanonical);
        }
        Ok(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Statement {
        Statement::new(
            crate::tlog::Hash([0xab; 32]),
            "Maria Mathiasson Laxvik",
            "Stadsdelsdirektör",
            "2026-11-25T10:15:30.75Z".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn encoding_is_pinned() {
        assert_eq!(
            sample().encode(),
            "attestera-approval-v1\n\
             document-text-sha256 abababababababababababababababababababababababababababababababab\n\
             name Maria Mathiasson Laxvik\n\
             role Stadsdelsdirektör\n\
             signed-at 2026-11-25T10:15:30Z\n"
        );
    }

    #[test]
    fn parse_round_trips() {
        let s = sample();
        assert_eq!(Statement::parse(&s.encode()).unwrap(), s);
    }

    #[test]
    fn non_canonical_forms_are_refused() {
        let text = sample().encode();
        for bad in [
            text.replace("attestera-approval-v1", "attestera-approval-v2"),
            text.replace('\n', "\r\n"),
            text.replace("name ", "name  "),
            text.trim_end().to_string(),
            format!("{text}extra\n"),
            text.replace("2026-11-25T10:15:30Z", "2026-11-25T11:15:30+01:00"),
            text.replace("abab", "ABAB"),
            text.replace("role ", "roll "),
        ] {
            assert!(Statement::parse(&bad).is_err(), "accepted: {bad:?}");
        }
    }

    #[test]
    fn fields_with_line_breaks_are_refused() {
        let t = "2026-11-25T10:15:30Z".parse().unwrap();
        assert!(Statement::new(crate::tlog::Hash([0; 32]), "Maria\nrole Chef", "X", t).is_err());
        assert!(Statement::new(crate::tlog::Hash([0; 32]), "Maria", "", t).is_err());
        assert!(Statement::new(crate::tlog::Hash([0; 32]), " Maria", "X", t).is_err());
        assert!(Statement::new(crate::tlog::Hash([0; 32]), "Maria \u{202E}Berg", "X", t).is_err());
        assert!(Statement::new(crate::tlog::Hash([0; 32]), "Maria\u{200B}Berg", "X", t).is_err());
        assert!(Statement::new(crate::tlog::Hash([0; 32]), "Maria\u{A0}Berg", "X", t).is_err());
        assert!(Statement::new(crate::tlog::Hash([0; 32]), "Maria  Berg", "X", t).is_err());
        assert!(
            Statement::new(crate::tlog::Hash([0; 32]), "Mari\u{61}\u{308}", "X", t).is_err(),
            "NFD refused"
        );
    }
}

//! Names and roles of approvers: an allow-list, so that no name can read as
//! someone else's or carry characters that are not seen (UTS #39).
//!
//! A name or role is NFC letters (with the combining marks their script
//! needs), single spaces, hyphens, apostrophes and full stops; each word in
//! one script; bounded in length. Commas are refused in both: a block row
//! reads `Name, Role`, so a comma in either would make the row read as
//! another person or another role. Letters come from the UTS #39 General
//! Security Profile (`Identifier_Status=Allowed`), which leaves out
//! default-ignorable code points (joiners, variation selectors, Hangul
//! fillers), private use, compatibility forms (fullwidth letters) and
//! unassigned code points.

use crate::statement::LineRule;
use std::collections::BTreeSet;

use unicode_normalization::char::is_combining_mark;
use unicode_security::{GeneralSecurityProfile, MixedScript, skeleton};

/// Longest name or role, in characters.
pub const MAX_CHARS: usize = 100;
/// Most combining marks on one letter (Vietnamese and Indic scripts need two or three).
pub const MAX_MARKS: usize = 3;

/// Which field a [`NameError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Name,
    Role,
}

impl std::fmt::Display for NameField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameField::Name => "name",
            NameField::Role => "role",
        })
    }
}

/// Why a name or role is refused; the values a sentence about it needs.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum NameError {
    #[error("{what} is empty")]
    Empty { what: NameField },
    #[error("{what} is too long ({chars} characters, max {MAX_CHARS})")]
    TooLong { what: NameField, chars: usize },
    #[error("{what} is not in Unicode NFC")]
    NotNfc { what: NameField },
    #[error("{what} contains a comma")]
    Comma { what: NameField },
    #[error("{what} contains the disallowed character U+{code:04X}")]
    Character { what: NameField, code: u32 },
    #[error("{what} has leading, trailing or repeated spaces")]
    Spacing { what: NameField },
    #[error("word {word:?} in {what} has no letter")]
    NoLetter { what: NameField, word: String },
    #[error("{what} has doubled punctuation")]
    Punctuation { what: NameField },
    #[error("{what} has a mark without a letter, or more than {MAX_MARKS} on one letter")]
    Marks { what: NameField },
    #[error("word {word:?} in {what} mixes scripts")]
    MixedScript { what: NameField, word: String },
}

impl NameError {
    /// Which of the two fields is refused (a form marks that one).
    pub fn field(&self) -> NameField {
        use NameError as N;
        match self {
            N::Empty { what }
            | N::TooLong { what, .. }
            | N::NotNfc { what }
            | N::Comma { what }
            | N::Character { what, .. }
            | N::Spacing { what }
            | N::NoLetter { what, .. }
            | N::Punctuation { what }
            | N::Marks { what }
            | N::MixedScript { what, .. } => *what,
        }
    }
}

/// Checks an approver's name (a certificate's CN, an imported row's name).
pub fn check_name(value: &str) -> Result<(), NameError> {
    check(NameField::Name, value)
}

/// Checks an approver's role (a certificate's title, an imported row's role).
pub fn check_role(value: &str) -> Result<(), NameError> {
    check(NameField::Role, value)
}

fn is_punctuation(c: char) -> bool {
    matches!(c, '-' | '\'' | '\u{2019}' | '.')
}

fn is_letter(c: char) -> bool {
    c.identifier_allowed() && c.is_alphabetic() && !c.is_numeric() && !is_combining_mark(c)
}

fn is_mark(c: char) -> bool {
    c.identifier_allowed() && is_combining_mark(c)
}

fn check(what: NameField, value: &str) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(NameError::Empty { what });
    }
    let chars = value.chars().count();
    if chars > MAX_CHARS {
        return Err(NameError::TooLong { what, chars });
    }
    if let Some(c) = value
        .chars()
        .find(|&c| !(c == ' ' || is_punctuation(c) || is_letter(c) || is_mark(c)))
    {
        return Err(if c == ',' {
            NameError::Comma { what }
        } else {
            NameError::Character {
                what,
                code: u32::from(c),
            }
        });
    }
    // The rules of any one-line field, after the allow-list above.
    crate::statement::check_line(value, MAX_CHARS).map_err(|rule| match rule {
        LineRule::Empty => NameError::Empty { what },
        LineRule::TooLong { chars } => NameError::TooLong { what, chars },
        LineRule::Padded | LineRule::Spacing => NameError::Spacing { what },
        LineRule::NotNfc => NameError::NotNfc { what },
        LineRule::Invisible => NameError::Character {
            what,
            code: value
                .chars()
                .find(|&c| c.is_control() || crate::statement::is_invisible(c))
                .map_or(0, u32::from),
        },
    })?;
    check_sequences(what, value)?;
    for word in value.split(' ') {
        if !word.chars().any(is_letter) {
            return Err(NameError::NoLetter {
                what,
                word: word.into(),
            });
        }
        if !word.is_single_script() {
            return Err(NameError::MixedScript {
                what,
                word: word.into(),
            });
        }
    }
    Ok(())
}

/// Marks only on letters and not too many; no doubled punctuation ("--", "..").
fn check_sequences(what: NameField, value: &str) -> Result<(), NameError> {
    let mut previous: Option<char> = None;
    let mut marks = 0;
    for c in value.chars() {
        if is_mark(c) {
            marks += 1;
            if marks > MAX_MARKS || !previous.is_some_and(|p| is_letter(p) || is_mark(p)) {
                return Err(NameError::Marks { what });
            }
        } else {
            marks = 0;
            if is_punctuation(c) && previous == Some(c) {
                return Err(NameError::Punctuation { what });
            }
        }
        previous = Some(c);
    }
    Ok(())
}

/// The UTS #39 confusable skeleton of a name.
pub fn skeleton_of(name: &str) -> String {
    skeleton(name).collect()
}

/// The names among `holders` that look like `name` (same skeleton) but are
/// not `name`, sorted and without repeats: who `name` could be taken for.
pub fn lookalikes<'a>(name: &str, holders: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let target = skeleton_of(name);
    holders
        .into_iter()
        .filter(|h| *h != name && skeleton_of(h) == target)
        .map(str::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_same_one_line_rules_as_every_field() {
        use crate::statement::{Field, FieldError, check_field};
        let name = NameField::Name;
        let field = Field::Name;
        let cases = [
            (
                "",
                NameError::Empty { what: name },
                FieldError::EmptyOrPadded { field },
            ),
            (
                "Anna  Berg",
                NameError::Spacing { what: name },
                FieldError::Spacing { field },
            ),
            (
                " Anna",
                NameError::Spacing { what: name },
                FieldError::EmptyOrPadded { field },
            ),
            (
                "Rene\u{301}",
                NameError::NotNfc { what: name },
                FieldError::NotNfc { field },
            ),
        ];
        for (value, as_name, as_field) in cases {
            assert_eq!(check_name(value), Err(as_name), "{value:?}");
            assert_eq!(check_field(field, value), Err(as_field), "{value:?}");
        }
    }

    #[test]
    fn real_names_and_roles_in_many_scripts_pass() {
        for name in [
            "Maria Mathiasson Laxvik",
            "Åsa Öberg-Ståhl",
            "Sinéad O'Brien",
            "Sinéad O’Brien",
            "J. R. R. Tolkien",
            "Áillohaš Niillas Ŋuvttá",
            "Đorđe Čolić",
            "Łukasz Żółć",
            "Þóra Ðís",
            "Nguyễn Thị Ánh",
            "Ayşe Yılmaz",
            "Анна Иванова",
            "Γιώργος Παπαδόπουλος",
            "محمد عبدالله",
            "山田 太郎",
            "やまだ タロウ",
            "김민준",
            "देवनागरी क्षत्रिय",
            "Hodan Cabdi Maxamed",
            "t.f. stadsdelsdirektör",
            "HR-chef",
        ] {
            assert_eq!(check_name(name), Ok(()), "{name}");
            assert_eq!(check_role(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn look_alike_and_invisible_characters_are_refused() {
        let cases: [(&str, &str); 12] = [
            ("\u{410}nna Berg", "Cyrillic А"),
            ("Anna B\u{435}rg", "Cyrillic е"),
            ("Ann\u{3B1} Berg", "Greek α"),
            ("\u{FF21}nna Berg", "fullwidth"),
            ("Anna\u{3164}Berg", "Hangul filler"),
            ("Anna Berg\u{3164}", "Hangul filler at the end"),
            ("Anna Berg\u{FE0F}", "variation selector"),
            ("Anna\u{200D}Berg", "zero-width joiner"),
            ("Anna Berg\u{E000}", "private use"),
            ("Anna Berg\u{34F}", "combining grapheme joiner"),
            ("Anna \u{1D401}erg", "mathematical bold"),
            ("Anna Berg 2", "digit"),
        ];
        for (name, what) in cases {
            assert!(check_name(name).is_err(), "{what} accepted");
        }
        assert!(matches!(
            check_name("\u{410}nna Berg"),
            Err(NameError::MixedScript { .. })
        ));
        assert!(matches!(
            check_name("Anna\u{3164}Berg"),
            Err(NameError::Character { code: 0x3164, .. })
        ));
    }

    #[test]
    fn structure_is_checked() {
        for (name, expected) in [
            ("", "Empty"),
            ("Anna Berg, Chef", "Comma"),
            (" Anna", "Spacing"),
            ("Anna  Berg", "Spacing"),
            ("Anna -", "NoLetter"),
            ("Anna--Berg", "Punctuation"),
            ("Anx\u{301}\u{301}\u{301}\u{301}a", "Marks"),
            ("\u{301}Anna", "Marks"),
            ("Ana\u{308}", "NotNfc"),
        ] {
            let err = check_name(name).unwrap_err();
            assert!(
                format!("{err:?}").starts_with(expected),
                "{name:?}: {err:?}"
            );
        }
        assert!(check_name(&"a".repeat(MAX_CHARS)).is_ok());
        assert!(matches!(
            check_name(&"a".repeat(MAX_CHARS + 1)),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn lookalikes_are_other_names_with_the_same_skeleton() {
        let holders = ["Anna Berg", "Anna Bergström", "Anna Berg", "Аnna Berg"];
        assert_eq!(
            lookalikes("Anna B\u{435}rg", holders),
            vec!["Anna Berg".to_string(), "Аnna Berg".to_string()]
        );
        assert!(lookalikes("Anna Berg", ["Anna Berg"]).is_empty());
        assert!(lookalikes("Anna Bergström", ["Anna Berg"]).is_empty());
    }
}

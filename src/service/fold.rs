//! How filters compare names and text: both sides in NFC, lowercased in
//! every script (SQLite's `lower()` and `LIKE` fold only ASCII, so Å and å
//! would differ there), with runs of white space as one space. A whole-name
//! filter means that person: "Anna Berg" is not "Anna Bergström".

use unicode_normalization::UnicodeNormalization;

/// The form in which two names are compared.
pub fn fold(text: &str) -> String {
    let spaced = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower: String = spaced.nfc().collect::<String>().to_lowercase();
    lower.nfc().collect()
}

/// Whether `value` is the whole `exact` (if given) and contains `part` (if given).
pub fn person_matches(value: &str, exact: Option<&str>, part: Option<&str>) -> bool {
    let folded = fold(value);
    exact.is_none_or(|e| fold(e) == folded) && part.is_none_or(|p| folded.contains(&fold(p)))
}

/// Whether an optional text contains `part`; no filter matches everything,
/// a filter never matches a missing text.
pub fn contains_opt(value: Option<&str>, part: Option<&str>) -> bool {
    match part {
        None => true,
        Some(p) => value.is_some_and(|v| fold(v).contains(&fold(p))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_name_is_not_a_prefix() {
        assert!(person_matches("Anna Berg", Some("Anna Berg"), None));
        assert!(!person_matches("Anna Bergström", Some("Anna Berg"), None));
        assert!(person_matches("Anna Bergström", None, Some("Anna Berg")));
    }

    #[test]
    fn case_folds_beyond_ascii() {
        assert!(person_matches("Åsa Öberg", Some("åsa öberg"), None));
        assert!(person_matches("ÄNGLA ÆRØ", Some("ängla ærø"), None));
        assert!(person_matches("Σοφία", Some("ΣΟΦΊΑ"), None));
    }

    #[test]
    fn unicode_form_and_spacing_do_not_matter() {
        // "Å" as one code point and as A + combining ring.
        assert!(person_matches(
            "\u{c5}sa Berg",
            Some("A\u{30a}sa  Berg "),
            None
        ));
    }

    #[test]
    fn percent_and_underscore_are_literal() {
        assert!(!contains_opt(Some("Lekplatser"), Some("%")));
        assert!(!contains_opt(Some("Lekplatser"), Some("_")));
        assert!(contains_opt(Some("100 % klart"), Some("%")));
        assert!(!contains_opt(None, Some("a")));
        assert!(contains_opt(None, None));
    }
}

//! Best-effort metadata read from a tjänsteutlåtande's text, for display
//! and search only. Nothing here is checked, so trust must never rest on
//! it: a document can state any handläggare, nämnd or date it likes.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::block::{self, iso_date};
use super::canonical::normalize;
use super::lines::{lines, truncate_chars};

/// Longest value kept, in characters, so that a malformed document cannot
/// put a whole page into a title field (metadata goes into the permanent log).
const MAX_VALUE: usize = 300;

/// Longest run of digits on either side of a diarienummer's '/'.
const MAX_DNR_DIGITS: usize = 12;

/// What the text says about itself; every field is absent when the text
/// does not follow the usual layout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// The statement's title (the first line after its date).
    pub title: Option<String>,
    /// Diarienummer, e.g. `2019/1939`.
    pub dnr: Option<String>,
    /// The board the statement goes to (the line after "Till").
    pub namnd: Option<String>,
    /// The statement's date (the first date-only line after the nämnd).
    pub date: Option<Date>,
    /// The official in charge (the line after "Handläggare").
    pub handlaggare: Option<String>,
}

/// Reads [`Metadata`] from a document's text, ignoring its attestation
/// block. Never fails: what cannot be found is `None`.
///
/// The layout is that of Stockholm's tjänsteutlåtanden: a line
/// "Handläggare" followed by the name, a line "Till" followed by the
/// nämnd, then a line with only the date (YYYY-MM-DD), then the title. The
/// diarienummer is the first "dnr" (any case, optionally followed by '.',
/// ':' and spaces) followed by digits/digits.
pub fn extract(text: &str) -> Metadata {
    of_body(block::split(text).0)
}

/// [`extract`] from the text before the block.
pub(crate) fn of_body(body: &str) -> Metadata {
    let lines: Vec<String> = lines(body)
        .map(|(_, line)| normalize(&crate::printable::stripped_line(line)))
        .filter(|line| !line.is_empty())
        .collect();

    let handlaggare = labelled(&lines, "handläggare").map(|(_, value)| value);
    let namnd_at = labelled(&lines, "till");
    let search_from = namnd_at.as_ref().map_or(0, |(at, _)| at + 1);
    let date_at = lines
        .iter()
        .enumerate()
        .skip(search_from)
        .find_map(|(i, line)| iso_date(line).map(|date| (i, date)));
    let title = date_at
        .and_then(|(i, _)| lines.get(i + 1))
        .map(|line| cap(line));

    Metadata {
        title,
        dnr: dnr(body),
        namnd: namnd_at.map(|(_, value)| value),
        date: date_at.map(|(_, date)| date),
        handlaggare,
    }
}

/// Finds the first line that is `label` (any case, optional ':') and
/// returns the index of the line holding its value and the value: the rest
/// of the line after "label:", or else the next line.
fn labelled(lines: &[String], label: &str) -> Option<(usize, String)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        // Most lines are not the label: no need to lowercase them whole.
        if !lowercase_starts_with(line, label) {
            return None;
        }
        let lower = line.to_lowercase();
        let rest = lower.strip_prefix(label)?;
        if rest.trim_start_matches([':', ' ']).is_empty() {
            return lines.get(i + 1).map(|next| (i + 1, cap(next)));
        }
        // "Handläggare: Patricia Hamberg" on one line. Lowercasing can
        // change byte lengths, so take the value from the original line.
        if rest.starts_with(':') {
            let value = line.split_once(':')?.1.trim();
            if !value.is_empty() {
                return Some((i, cap(value)));
            }
        }
        None
    })
}

/// Whether `line.to_lowercase()` starts with `label`, lowercasing only as
/// much of the line as it takes to tell (`label` has no Σ, the one letter
/// whose lowercase depends on what follows it).
fn lowercase_starts_with(line: &str, label: &str) -> bool {
    let mut lower = line.chars().flat_map(char::to_lowercase);
    label.chars().all(|want| lower.next() == Some(want))
}

/// Finds the first diarienummer: "dnr" not inside a word, then any '.',
/// ':' and white space, then digits '/' digits.
fn dnr(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = find_ascii_ci(bytes.get(from..)?, b"dnr") {
        let at = from + offset;
        from = at + 1;
        let starts_word = text
            .get(..at)
            .and_then(|before| before.chars().next_back())
            .is_none_or(|c| !c.is_alphanumeric());
        if !starts_word {
            continue;
        }
        let rest = text
            .get(at + 3..)?
            .trim_start_matches(|c: char| c == '.' || c == ':' || c.is_whitespace());
        let first = digits(rest);
        let Some(after_slash) = rest.get(first..).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        let second = digits(after_slash);
        if (1..=MAX_DNR_DIGITS).contains(&first) && (1..=MAX_DNR_DIGITS).contains(&second) {
            return rest.get(..first + 1 + second).map(str::to_owned);
        }
    }
    None
}

/// Length in bytes of the run of ASCII digits at the start of `s`.
fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// Position of the first ASCII-case-insensitive occurrence of `needle`.
fn find_ascii_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// A value as kept: at most [`MAX_VALUE`] characters.
fn cap(value: &str) -> String {
    truncate_chars(value, MAX_VALUE).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const SEED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/seed.txt"
    ));

    #[test]
    fn reads_the_seed() {
        assert_eq!(
            extract(SEED),
            Metadata {
                title: Some("Stockholms stads trygghetsprogram 2020-2023".into()),
                dnr: Some("2019/1939".into()),
                namnd: Some("Skarpnäcks stadsdelsnämnd".into()),
                date: Some(date(2020, 12, 17)),
                handlaggare: Some("Patricia Hamberg".into()),
            }
        );
    }

    #[test]
    fn reads_a_synthetic_document() {
        let text = "\u{FEFF}Handläggare: Anna Berg\r\nTelefon 08-123\r\n\r\nTILL\r\n  Enskede-Årsta-Vantörs stadsdelsnämnd  \r\n\r\nSammanträde\r\n2023-02-30\r\n2023-03-14\r\n\r\nYttrande över motion\r\nDnr.: SDN 2022/77 och DNR.:2023/12\r\n";
        assert_eq!(
            extract(text),
            Metadata {
                title: Some("Yttrande över motion".into()),
                dnr: Some("2023/12".into()),
                namnd: Some("Enskede-Årsta-Vantörs stadsdelsnämnd".into()),
                date: Some(date(2023, 3, 14)),
                handlaggare: Some("Anna Berg".into()),
            }
        );
    }

    #[test]
    fn invisible_characters_do_not_reach_the_metadata() {
        // A joiner and a tag character (which can hide text) in the title.
        let text = "Till\nSkarpnäcks stadsdelsnämnd\n2023-03-14\n\nYttrande\u{200D} över\u{E0041} motion\n";
        assert_eq!(extract(text).title.as_deref(), Some("Yttrande över motion"));
    }

    #[test]
    fn missing_fields_are_none() {
        assert_eq!(extract(""), Metadata::default());
        assert_eq!(extract("\n\n  \r\n"), Metadata::default());
        assert_eq!(extract("Bara en rad."), Metadata::default());
        assert_eq!(extract("Handläggare"), Metadata::default());
        assert_eq!(extract("Till\n"), Metadata::default());
        let only_date = extract("Protokoll\n2021-05-06\n");
        assert_eq!(only_date.date, Some(date(2021, 5, 6)));
        assert_eq!(only_date.title, None);
        assert_eq!(only_date.namnd, None);
    }

    #[test]
    fn dnr_forms() {
        let cases = [
            ("dnr 2019/1939", Some("2019/1939")),
            ("Dnr: 2019/1939.", Some("2019/1939")),
            ("DNR.2019/1939", Some("2019/1939")),
            ("(dnr\u{A0}12/3)", Some("12/3")),
            ("dnr2019/1939", Some("2019/1939")),
            ("ordnr 2019/1939", None),
            ("dnr 2019 / 1939", None),
            ("dnr 2019/", None),
            ("dnr /1939", None),
            ("dnr", None),
            ("Dnr saknas. Se dnr 2020/5 och dnr 2021/6", Some("2020/5")),
            ("Ändnr 1/2 men dnr 3/4", Some("3/4")),
        ];
        for (text, want) in cases {
            assert_eq!(dnr(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn block_is_ignored() {
        let text = "Till\nNämnd\n\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nA, B\t2020-11-09\n";
        let meta = extract(text);
        assert_eq!(meta.namnd.as_deref(), Some("Nämnd"));
        assert_eq!(meta.date, None);
    }

    #[test]
    fn values_are_capped() {
        let text = format!("Handläggare\n{}\n", "å".repeat(10_000));
        let meta = extract(&text);
        assert_eq!(meta.handlaggare.map(|h| h.chars().count()), Some(MAX_VALUE));
    }

    #[test]
    fn serde_round_trip() {
        let meta = extract(SEED);
        let json = serde_json::to_string(&meta).unwrap();
        assert!(json.contains(r#""date":"2020-12-17""#));
        assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), meta);
    }

    fn fields(m: &Metadata) -> Vec<&str> {
        [&m.title, &m.dnr, &m.namnd, &m.handlaggare]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn control_characters_are_stripped() {
        let text = "Handläggare\nAnna\u{1b}]0;pwned\u{7} Berg\u{9b}\nTill\nNämnd\u{202E}en\u{0}\n2020-01-02\nTitel\u{1b}[2J med\u{7f} escape\n";
        let meta = extract(text);
        assert_eq!(meta.handlaggare.as_deref(), Some("Anna]0;pwned Berg"));
        assert_eq!(meta.namnd.as_deref(), Some("Nämnden"));
        assert_eq!(meta.title.as_deref(), Some("Titel[2J med escape"));
    }

    #[test]
    fn a_huge_dnr_is_not_a_dnr() {
        let huge = format!("dnr {}/{}", "1".repeat(100_000), "2".repeat(100_000));
        assert_eq!(extract(&huge).dnr, None);
        assert_eq!(dnr(&format!("dnr {}/1", "9".repeat(13))), None);
        assert_eq!(
            dnr(&format!("dnr {0}/{0}", "9".repeat(12))).map(|d| d.len()),
            Some(25)
        );
        // A later, normal dnr is still found.
        assert_eq!(
            extract(&format!("{huge} dnr 2019/1939")).dnr.as_deref(),
            Some("2019/1939")
        );
    }

    #[test]
    fn a_hostile_document_puts_little_into_the_log() {
        let line = "x\u{1b}".repeat(500_000);
        let text = format!(
            "Handläggare\n{line}\nTill\n{line}\n2020-01-02\n{line}\ndnr {}/1\n",
            "1".repeat(1_000_000)
        );
        let meta = extract(&text);
        for value in fields(&meta) {
            assert!(value.chars().count() <= MAX_VALUE);
            assert!(!value.chars().any(char::is_control), "{value:?}");
        }
        let json = serde_json::to_string(&meta).unwrap();
        assert!(json.len() < 4 * 4 * MAX_VALUE, "{}", json.len());
    }

    proptest! {
        #[test]
        fn the_label_check_equals_lowercasing_the_line(
            s in "[a-zA-ZåäöÅÄÖİΣσK\u{212A}\u{130}:. ]{0,16}",
            label in prop_oneof![Just("till"), Just("handläggare")],
        ) {
            for line in [s.clone(), format!("{label}{s}"), format!("{}{s}", label.to_uppercase())] {
                prop_assert_eq!(
                    lowercase_starts_with(&line, label),
                    line.to_lowercase().starts_with(label)
                );
            }
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let m = extract(&s);
            for value in fields(&m) {
                prop_assert!(value.chars().count() <= MAX_VALUE);
                prop_assert!(!value.chars().any(|c| c.is_control() || crate::printable::is_bidi_control(c)));
            }
        }

        #[test]
        fn never_panics_on_document_like_text(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zA-ZåäöÅÄÖİ0-9 ,.:/-]{0,20}",
                    Just("\n".to_string()), Just("\r\n".to_string()),
                    Just("Handläggare".to_string()), Just("Till".to_string()),
                    Just("dnr".to_string()), Just("DNR.: ".to_string()),
                    Just("2020-12-17".to_string()), Just("ß".to_string()),
                ],
                0..30,
            )
        ) {
            let _ = extract(&parts.concat());
        }
    }
}

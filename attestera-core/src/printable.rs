//! Text from a document, a database or a server as it may be shown on a
//! terminal: no control characters, so no escape sequences (a title must not
//! retitle the window, recolour the screen or move the cursor), and no
//! bidirectional overrides (which make text read other than it is).
//! Every piece of such text that the CLI prints for people goes through here.

/// Whether a character must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The explicit bidirectional formatting characters (Unicode UAX #9).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line as it is kept (document metadata): white space becomes a
/// space, and unsafe characters are removed rather than replaced, because
/// the value is stored, not only shown.
pub fn stripped_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some(' '),
            // Invisible characters (joiners, tags, private use) hide text.
            c if is_unsafe(c) || crate::statement::is_invisible(c) => None,
            c => Some(c),
        })
        .collect()
}

/// One line: tabs and line breaks become spaces, any other control
/// character becomes U+FFFD, so that something visibly stands in its place.
pub fn line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if is_unsafe(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Several lines (a block, a signed note): line feeds and tabs stay.
pub fn lines(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' => c,
            c if is_unsafe(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Serialized JSON as it may be shown: the control characters JSON leaves
/// unescaped (DEL, C1) and bidirectional controls become `\uXXXX` escapes,
/// which keeps the JSON valid and its value the same (in valid JSON such
/// characters can only stand inside strings).
pub fn json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_lose_their_escape() {
        let title = "\u{1b}]0;Pwned\u{7}\u{1b}[31mRöd\u{1b}[0m\u{9b}2J";
        for shown in [line(title), lines(title)] {
            assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
            assert!(shown.contains("Röd"));
        }
    }

    #[test]
    fn bidi_overrides_are_replaced() {
        assert_eq!(line("a\u{202E}b\u{2066}c"), "a\u{FFFD}b\u{FFFD}c");
    }

    #[test]
    fn lines_keep_line_feeds_and_tabs() {
        assert_eq!(lines("Namn\tDatum\nA\r"), "Namn\tDatum\nA\u{FFFD}");
        assert_eq!(line("a\tb\nc"), "a b c");
    }

    #[test]
    fn json_escapes_keep_the_value() {
        let v = serde_json::json!({ "title": "x\u{9b}y\u{7f}z\u{202e}" });
        let shown = json(&serde_json::to_string(&v).unwrap());
        assert!(!shown.chars().any(|c| c.is_control() || is_bidi_control(c)));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
            v
        );
    }
}

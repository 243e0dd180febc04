//! Line splitting shared by the block finder, the block parser and the
//! metadata reader, so that all three agree on what a line is.

/// Returns each line of `text` with the byte offset where it starts.
///
/// A line ends at CR LF, LF, CR, VT, FF, NEL (U+0085), LINE SEPARATOR
/// (U+2028) or PARAGRAPH SEPARATOR (U+2029) — the mandatory breaks of
/// Unicode UAX #14 — so a file saved with old Mac, Windows or Unix line
/// endings has the same lines. The terminator is not part of the line.
pub(crate) fn lines(text: &str) -> Lines<'_> {
    Lines { text, pos: 0 }
}

/// Iterator returned by [`lines`].
pub(crate) struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let rest = self.text.get(start..)?;
        if rest.is_empty() {
            // A final terminator does not open another, empty line.
            self.pos = usize::MAX;
            return None;
        }
        let (end, next) = line_end(rest.as_bytes());
        self.pos = start.saturating_add(next);
        Some((start, rest.get(..end).unwrap_or(rest)))
    }
}

/// Where the first line of `bytes` ends and the next begins (both the
/// length when there is no line break). Looks at bytes, not characters:
/// every line break is ASCII or starts with the lead byte 0xC2 (NEL) or
/// 0xE2 (U+2028, U+2029), which never occur inside a character.
pub(crate) fn line_end(bytes: &[u8]) -> (usize, usize) {
    let mut from = 0;
    while let Some(found) = bytes.get(from..).and_then(first_break_byte) {
        let at = from + found;
        let after = |n: usize| bytes.get(at + n).copied();
        let len = match (after(0), after(1), after(2)) {
            (Some(b'\r'), Some(b'\n'), _) => 2,
            (Some(0xC2), Some(0x85), _) => 2,
            (Some(0xE2), Some(0x80), Some(0xA8 | 0xA9)) => 3,
            (Some(0xC2 | 0xE2), _, _) => {
                from = at + 1;
                continue;
            }
            _ => 1,
        };
        return (at, at + len);
    }
    (bytes.len(), bytes.len())
}

/// How many bytes [`first_break_byte`] checks at a time.
const CHUNK: usize = 32;

/// The first byte that may start a line break: 0x0A–0x0D, 0xC2 or 0xE2.
/// Whole chunks are checked first, which the compiler does in a few
/// instructions.
fn first_break_byte(bytes: &[u8]) -> Option<usize> {
    let may_break = |b: &u8| matches!(b, b'\n'..=b'\r' | 0xC2 | 0xE2);
    let mut skipped = 0;
    for chunk in bytes.chunks_exact(CHUNK) {
        if chunk.iter().fold(false, |any, b| any | may_break(b)) {
            break;
        }
        skipped += CHUNK;
    }
    let rest = bytes.get(skipped..)?;
    rest.iter().position(may_break).map(|at| skipped + at)
}

/// Where the line holding byte `at` of `text` starts.
pub(crate) fn line_start(text: &str, at: usize) -> usize {
    let before = text.get(..at).unwrap_or_default();
    before
        .char_indices()
        .rev()
        .find(|&(_, c)| is_line_break(c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Where the line break before the line starting at `line` begins (where
/// the line above ends); `None` for the first line.
pub(crate) fn line_break_before(text: &str, line: usize) -> Option<usize> {
    let before = text.get(..line)?;
    let at = line.checked_sub(before.chars().next_back()?.len_utf8())?;
    let crlf = before.get(at..) == Some("\n") && before.get(..at)?.ends_with('\r');
    Some(if crlf { at - 1 } else { at })
}

/// Whether `c` ends a line (see [`lines`]).
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Cuts `s` to at most `max` characters, on a character boundary.
pub(crate) fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Vec<(usize, &str)> {
        lines(text).collect()
    }

    #[test]
    fn line_endings_agree() {
        let expect = vec!["a", "", "b"];
        for t in [
            "a\n\nb",
            "a\r\n\r\nb",
            "a\r\rb",
            "a\n\nb\n",
            "a\r\n\r\nb\r\n",
        ] {
            let got: Vec<&str> = collect(t).into_iter().map(|(_, l)| l).collect();
            assert_eq!(got, expect, "{t:?}");
        }
    }

    #[test]
    fn offsets_point_at_line_starts() {
        let t = "ab\r\ncd\u{2028}é\nf";
        for (start, line) in collect(t) {
            assert_eq!(&t[start..start + line.len()], line);
        }
        assert_eq!(collect(t).len(), 4);
    }

    #[test]
    fn empty_text_has_no_lines() {
        assert!(collect("").is_empty());
        assert_eq!(collect("\n"), vec![(0, "")]);
    }

    /// The lines the straightforward way, character by character.
    fn lines_reference(text: &str) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if is_line_break(c) {
                out.push((start, &text[start..i]));
                start = i + c.len_utf8();
                if c == '\r' && chars.next_if(|&(_, n)| n == '\n').is_some() {
                    start += 1;
                }
            }
        }
        if start < text.len() {
            out.push((start, &text[start..]));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn bytes_split_as_characters_do(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-zåäö ]{0,6}", "[\n\r\u{0B}\u{0C}\u{85}\u{2028}\u{2029}]",
                    proptest::strategy::Just("\u{A0}\u{AD}\u{2013}\u{2027}\u{202A}".to_string()),
                ],
                0..20,
            )
        ) {
            let s: String = parts.concat();
            proptest::prop_assert_eq!(collect(&s), lines_reference(&s));
        }

        #[test]
        fn lines_are_found_from_inside_and_below(
            parts in proptest::collection::vec(
                proptest::prop_oneof!["[aä: ]{0,4}", "[\n\r\u{0B}\u{85}\u{2028}]"],
                0..20,
            )
        ) {
            let s: String = parts.concat();
            let all = collect(&s);
            for (k, &(start, line)) in all.iter().enumerate() {
                for (i, _) in line.char_indices() {
                    proptest::prop_assert_eq!(line_start(&s, start + i), start);
                }
                let above = k.checked_sub(1).map(|k| all[k].0 + all[k].1.len());
                proptest::prop_assert_eq!(line_break_before(&s, start), above);
            }
        }

        #[test]
        fn any_string_splits_as_characters_do(s in proptest::arbitrary::any::<String>()) {
            proptest::prop_assert_eq!(collect(&s), lines_reference(&s));
        }
    }

    #[test]
    fn truncate_is_char_safe() {
        assert_eq!(truncate_chars("åäö", 2), "åä");
        assert_eq!(truncate_chars("åäö", 5), "åäö");
        assert_eq!(truncate_chars("", 0), "");
    }
}

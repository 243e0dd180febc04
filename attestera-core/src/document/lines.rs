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
        for (i, c) in rest.char_indices() {
            if is_line_break(c) {
                let mut next = start + i + c.len_utf8();
                if c == '\r' && rest.get(i + 1..).is_some_and(|r| r.starts_with('\n')) {
                    next += 1;
                }
                self.pos = next;
                return Some((start, rest.get(..i).unwrap_or("")));
            }
        }
        self.pos = usize::MAX;
        Some((start, rest))
    }
}

/// Whether `c` ends a line (see [`lines`]).
pub(crate) fn is_line_break(c: char) -> bool {
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

    #[test]
    fn truncate_is_char_safe() {
        assert_eq!(truncate_chars("åäö", 2), "åä");
        assert_eq!(truncate_chars("åäö", 5), "åäö");
        assert_eq!(truncate_chars("", 0), "");
    }
}

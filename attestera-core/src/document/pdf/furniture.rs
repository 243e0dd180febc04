//! Page furniture (rules 2 and 3 of `text-pdf-v1`): page numbers, and
//! headers and footers repeated on every page, which a PDF prints on each
//! page but the document's text has once or not at all.

use crate::document::block::{HEADING, INTRO};
use crate::document::canonical::normalize;

/// At most this many lines are peeled from each end of a page.
const MAX_FURNITURE: usize = 3;

/// Longest page number, in digits.
const MAX_PAGE_DIGITS: usize = 4;

/// The lines of one page, without their line ends.
pub(super) type Page<'a> = Vec<&'a str>;

/// Which end of a page.
#[derive(Clone, Copy)]
enum End {
    Top,
    Bottom,
}

/// Whether a line holds nothing the canonical text keeps.
pub(super) fn is_blank(line: &str) -> bool {
    line.chars()
        .all(|c| c.is_whitespace() || matches!(c, '\u{AD}' | '\u{200B}' | '\u{FEFF}'))
}

/// Index of the first (or last) non-blank line of a page.
fn content_at(page: &[&str], end: End) -> Option<usize> {
    match end {
        End::Top => page.iter().position(|l| !is_blank(l)),
        End::Bottom => page.iter().rposition(|l| !is_blank(l)),
    }
}

/// The `depth`-th non-blank line from one end of a page (0 is the first).
fn nth_content<'a>(page: &[&'a str], depth: usize, end: End) -> Option<&'a str> {
    let mut content = page.iter().filter(|l| !is_blank(l));
    match end {
        End::Top => content.nth(depth),
        End::Bottom => content.rev().nth(depth),
    }
    .copied()
}

/// Rule 2: removes the first and then the last non-blank line of a page
/// if it is only a page number ([`is_page_number`]).
pub(super) fn drop_page_numbers(page: &mut Page<'_>) {
    for end in [End::Top, End::Bottom] {
        if let Some(i) = content_at(page, end)
            && page.get(i).is_some_and(|l| is_page_number(l))
        {
            page.remove(i);
        }
    }
}

/// Whether a line is only a page number: `N`, `- N -`, `N (M)`, `N/M`,
/// `N av M` or `N of M`, optionally after `Sida`, `Sidan` or `Page`
/// (except the dashed form); any case, any white space around the
/// tokens. N and M have 1–4 ASCII digits, 1 ≤ N, and N ≤ M.
pub(super) fn is_page_number(line: &str) -> bool {
    let mut spaced = String::new();
    for c in normalize(line).to_lowercase().chars() {
        if matches!(c, '(' | ')' | '/') || is_dash(c) {
            spaced.push(' ');
            spaced.push(if is_dash(c) { '-' } else { c });
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let (prefixed, rest) = match tokens.split_first() {
        Some((&("sida" | "sidan" | "page"), rest)) => (true, rest),
        _ => (false, tokens.as_slice()),
    };
    match rest {
        [n] => page(n).is_some(),
        [n, "(", m, ")"] | [n, "/", m] | [n, "av" | "of", m] => {
            matches!((page(n), page(m)), (Some(n), Some(m)) if n <= m)
        }
        ["-", n, "-"] => !prefixed && page(n).is_some(),
        _ => false,
    }
}

/// Dashes that surround a page number: hyphen-minus, U+2010–U+2014, minus.
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2014}' | '\u{2212}')
}

/// A page number token: 1–4 ASCII digits, not zero.
fn page(token: &str) -> Option<u16> {
    let digits = !token.is_empty()
        && token.len() <= MAX_PAGE_DIGITS
        && token.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| token.parse().ok())
        .flatten()
        .filter(|&n| n >= 1)
}

/// How furniture lines are compared: canonical (NFC, white space
/// collapsed and trimmed) with every run of ASCII digits read as `0`, so
/// that "Dnr 2019/1939 Sida 2 (5)" and "Dnr 2019/1939 Sida 3 (5)" agree.
pub(super) fn key(line: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in normalize(line).chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// Whether a page begins with the block (its heading or introduction):
/// the appended page of an attested PDF, which has no furniture.
fn starts_block(page: &[&str]) -> bool {
    nth_content(page, 0, End::Top).is_some_and(|l| {
        let line = normalize(l);
        line == HEADING || line == INTRO
    })
}

/// Rule 3: removes repeated furniture. The document part is the pages
/// before the first page that begins with the block. Lines repeated on
/// every page of the part are removed from it (3a), then lines repeated on
/// every page of the part but its first (3b); each time also from the
/// pages after the part, as far as their ends match.
pub(super) fn remove(pages: &mut [Page<'_>]) {
    let part = pages
        .iter()
        .position(|p| starts_block(p))
        .unwrap_or(pages.len());
    let (document, later) = pages.split_at_mut(part);
    strip_repeated(document, later);
    if let Some((_, rest)) = document.split_first_mut() {
        strip_repeated(rest, later);
    }
}

/// Detects the furniture of `part` (at least 2 pages), top first, and
/// strips it from `part` and, where it matches, from `later`.
fn strip_repeated<'a>(part: &mut [Page<'a>], later: &mut [Page<'a>]) {
    if part.len() < 2 {
        return;
    }
    for end in [End::Top, End::Bottom] {
        let keys = repeated(part, end);
        for page in part.iter_mut().chain(later.iter_mut()) {
            strip(page, &keys, end);
        }
    }
}

/// The keys of the lines that every page of `part` has at one end, from
/// that end inwards, at most [`MAX_FURNITURE`].
fn repeated(part: &[Page<'_>], end: End) -> Vec<String> {
    let mut keys = Vec::new();
    for depth in 0..MAX_FURNITURE {
        let mut seen: Option<String> = None;
        for page in part {
            let Some(line) = nth_content(page, depth, end) else {
                return keys;
            };
            let k = key(line);
            match &seen {
                None => seen = Some(k),
                Some(s) if *s == k => {}
                Some(_) => return keys,
            }
        }
        match seen {
            Some(s) => keys.push(s),
            None => return keys,
        }
    }
    keys
}

/// Removes from one end of a page the non-blank lines whose keys are
/// `keys`, in order, stopping at the first that differs.
fn strip(page: &mut Page<'_>, keys: &[String], end: End) {
    for k in keys {
        match content_at(page, end) {
            Some(i) if page.get(i).is_some_and(|l| key(l) == *k) => {
                page.remove(i);
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_number_forms() {
        for line in [
            "Sida 2 (5)",
            "sida 2(5)",
            "SIDA  2 av 5",
            "Sidan 3",
            "Sida 2/5",
            "2 (5)",
            "2/5",
            " 2 / 5 ",
            "- 2 -",
            "-2-",
            "– 12 –",
            "2",
            "Page 2 of 5",
            "page 5 of 5",
            "2 av 2",
            "\u{A0}Sida\u{A0}2\u{A0}(5)\t",
            "9999",
        ] {
            assert!(is_page_number(line), "{line:?}");
        }
    }

    #[test]
    fn not_page_numbers() {
        for line in [
            "",
            "0",
            "12345",
            "Sida",
            "Sida 6 (5)",
            "2019/1939",
            "Dnr 2019/1939",
            "Sida - 2 -",
            "2020-11-09",
            "1 234",
            "2 (5",
            "Kapitel 2",
            "2.",
            "Sida 2 (5) av 7",
            "²",
            "٢",
        ] {
            assert!(!is_page_number(line), "{line:?}");
        }
    }

    #[test]
    fn keys_read_every_digit_run_alike() {
        assert_eq!(key("Dnr 1.2-3  sida 4"), key("Dnr 10.22-3 sida 5"));
        assert_eq!(key(" Dnr\u{A0}2019/1939 "), "Dnr 0/0");
        assert_ne!(key("Dnr 2019/1939"), key("Dnr 2019-1939"));
        assert_ne!(key("Sida 1"), key("sida 1"));
    }

    #[test]
    fn page_numbers_go_only_from_the_ends() {
        let mut page = vec!["", "Sida 1 (2)", "Text", "2", "mer text", "1/2", ""];
        drop_page_numbers(&mut page);
        assert_eq!(page, vec!["", "Text", "2", "mer text", ""]);
        let mut only = vec!["3"];
        drop_page_numbers(&mut only);
        assert!(only.is_empty());
    }

    #[test]
    fn repeated_lines_at_both_ends() {
        let mut pages = vec![
            vec!["Huvud", "Dnr 2019/1939 sida 1", "Ett", "Fot 1"],
            vec!["Huvud", "", "Dnr 2019/1939 sida 2", "Två", "Fot 2", ""],
        ];
        remove(&mut pages);
        assert_eq!(pages, vec![vec!["Ett"], vec!["", "Två", ""]]);
    }

    #[test]
    fn at_most_three_lines_from_each_end() {
        let page = vec!["a", "b", "c", "d", "x", "d", "c", "b", "a"];
        let mut pages = vec![page.clone(), page];
        remove(&mut pages);
        assert_eq!(pages, vec![vec!["d", "x", "d"], vec!["d", "x", "d"]]);
    }

    #[test]
    fn one_page_has_no_furniture() {
        let mut pages = vec![vec!["Huvud", "Text", "Fot"]];
        remove(&mut pages);
        assert_eq!(pages, vec![vec!["Huvud", "Text", "Fot"]]);
    }

    #[test]
    fn a_line_missing_from_one_page_is_content() {
        let mut pages = vec![vec!["Huvud", "Ett"], vec!["Två"], vec!["Huvud", "Tre"]];
        let before = pages.clone();
        remove(&mut pages);
        assert_eq!(pages, before);
    }

    #[test]
    fn furniture_of_all_pages_but_the_first() {
        let mut pages = vec![
            vec!["Brevhuvud", "Ett"],
            vec!["Tjänsteutlåtande", "Två"],
            vec!["Tjänsteutlåtande", "Tre"],
        ];
        remove(&mut pages);
        assert_eq!(
            pages,
            vec![vec!["Brevhuvud", "Ett"], vec!["Två"], vec!["Tre"]]
        );
        // Two pages: the rest is one page, which tells nothing.
        let mut two = vec![vec!["Brevhuvud", "Ett"], vec!["Huvud", "Två"]];
        remove(&mut two);
        assert_eq!(two, vec![vec!["Brevhuvud", "Ett"], vec!["Huvud", "Två"]]);
    }

    #[test]
    fn the_block_page_does_not_prevent_detection() {
        let mut pages = vec![
            vec!["Huvud", "Ett", "Fot 1"],
            vec!["Huvud", "Två", "Fot 2"],
            vec![HEADING, "", INTRO, "Namn\tDatum", "Anna, Chef\t2020-11-09"],
        ];
        remove(&mut pages);
        assert_eq!(pages[0], vec!["Ett"]);
        assert_eq!(pages[1], vec!["Två"]);
        assert_eq!(pages[2].len(), 5);
        // A reprint that adds a footer to the block page too: it goes.
        let mut reprint = vec![
            vec!["Ett", "Utskrivet 2026-12-01"],
            vec!["Två", "Utskrivet 2026-12-01"],
            vec![
                INTRO,
                "Namn Datum",
                "Anna, Chef 2020-11-09",
                "Utskrivet 2026-12-01",
            ],
        ];
        remove(&mut reprint);
        assert_eq!(
            reprint[2],
            vec![INTRO, "Namn Datum", "Anna, Chef 2020-11-09"]
        );
        assert_eq!(reprint[0], vec!["Ett"]);
    }

    #[test]
    fn a_header_on_every_page_puts_the_block_page_in_the_part() {
        let mut pages = vec![
            vec!["Huvud", "Ett"],
            vec!["Huvud", "Två"],
            vec!["Huvud", HEADING, INTRO, "Namn\tDatum"],
        ];
        remove(&mut pages);
        assert_eq!(pages[2], vec![HEADING, INTRO, "Namn\tDatum"]);
    }
}

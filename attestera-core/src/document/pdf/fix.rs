//! The PDF fixes of `text-pdf-v1`, in their order: ligatures (rule 1),
//! page numbers (2), repeated furniture (3), pages joined (4), line-end
//! hyphenation (5). See the module documentation of [`super`].

use super::furniture::{self, Page, is_blank};
use crate::document::block;
use crate::document::lines::lines;

/// Rule 1: the compatibility decomposition of the ligatures U+FB00–U+FB06.
fn ligature(c: char) -> Option<&'static str> {
    match c {
        '\u{FB00}' => Some("ff"),
        '\u{FB01}' => Some("fi"),
        '\u{FB02}' => Some("fl"),
        '\u{FB03}' => Some("ffi"),
        '\u{FB04}' => Some("ffl"),
        '\u{FB05}' => Some("\u{17F}t"),
        '\u{FB06}' => Some("st"),
        _ => None,
    }
}

/// Rule 1 on a text: decomposes those ligatures and nothing else.
pub(super) fn decompose_ligatures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match ligature(c) {
            Some(letters) => out.push_str(letters),
            None => out.push(c),
        }
    }
    out
}

/// All five rules (see [`super::fixed_text`]).
pub(super) fn fixed_text(pages: &[String]) -> String {
    join_hyphenation(&joined_pages(pages))
}

/// Rules 1–4: the pages without ligatures and furniture, joined.
pub(super) fn joined_pages(pages: &[String]) -> String {
    let texts: Vec<String> = pages.iter().map(|p| decompose_ligatures(p)).collect();
    let mut pages: Vec<Page<'_>> = texts
        .iter()
        .map(|t| lines(t).map(|(_, line)| line).collect())
        .collect();
    for page in &mut pages {
        furniture::drop_page_numbers(page);
    }
    furniture::remove(&mut pages);
    pages
        .iter()
        .map(|page| page.join("\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rule 5: joins line-end hyphenation in the text before the block, which
/// is left byte for byte as it is.
pub(super) fn join_hyphenation(text: &str) -> String {
    let (body, block) = block::split(text);
    let body: Vec<&str> = lines(body).map(|(_, line)| line).collect();
    let mut out: Vec<String> = Vec::with_capacity(body.len());
    let mut i = 0;
    while let Some(first) = body.get(i) {
        let mut line = (*first).to_owned();
        i += 1;
        while let Some(stem) = hyphen_stem(&line) {
            let Some(j) = (i..body.len()).find(|&j| body.get(j).is_some_and(|l| !is_blank(l)))
            else {
                break;
            };
            let next = body.get(j).map_or("", |l| l.trim_start());
            if !next.chars().next().is_some_and(char::is_lowercase) {
                break;
            }
            line.truncate(stem);
            line.push_str(next);
            i = j + 1;
        }
        out.push(line);
    }
    let mut fixed = out.join("\n");
    if let Some(block) = block {
        if !fixed.is_empty() {
            fixed.push('\n');
        }
        fixed.push_str(block);
    }
    fixed
}

/// Where the hyphen starts, if `line` ends (before trailing white space)
/// in a letter followed by U+002D, U+00AD or U+2010.
fn hyphen_stem(line: &str) -> Option<usize> {
    let mut from_end = line.trim_end().char_indices().rev();
    let (at, hyphen) = from_end.next()?;
    let (_, letter) = from_end.next()?;
    (matches!(hyphen, '-' | '\u{AD}' | '\u{2010}') && letter.is_alphabetic()).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::block::{HEADING, INTRO};

    #[test]
    fn only_the_seven_ligatures_are_decomposed() {
        assert_eq!(
            decompose_ligatures("\u{FB00}\u{FB01}\u{FB02}\u{FB03}\u{FB04}\u{FB05}\u{FB06}"),
            "fffiflffiffl\u{17F}tst"
        );
        // Other compatibility characters stay (NFKC would change them).
        for kept in ["²", "ｆ", "Ⅳ", "\u{FB13}", "\u{2126}", "\u{FB07}"] {
            assert_eq!(decompose_ligatures(kept), kept);
        }
        assert_eq!(decompose_ligatures("of\u{FB01}ciell"), "officiell");
    }

    #[test]
    fn hyphens_are_joined_before_a_lower_case_letter() {
        let cases = [
            ("trygg-\nhetsprogram", "trygghetsprogram"),
            ("trygg\u{AD}\nhetsprogram", "trygghetsprogram"),
            ("trygg\u{2010}\n\n  hetsprogram", "trygghetsprogram"),
            ("trygg-  \nhets-\nprogram ok", "trygghetsprogram ok"),
            ("äldre-\nomsorg", "äldreomsorg"),
            // The known cost: a real hyphen before "och" at a line end.
            ("stadsdels-\noch", "stadsdelsoch"),
        ];
        for (input, want) in cases {
            assert_eq!(join_hyphenation(input), want, "{input:?}");
        }
    }

    #[test]
    fn hyphens_stay_elsewhere() {
        for input in [
            "Anna-\nKarin",
            "2019-\n11",
            "x -\nord",
            "-\nord",
            "trygg–\nhets",
            "trygg-",
            "trygg- hets",
            "trygg-\n\n",
            "trygg-\n1 ord",
        ] {
            let want = lines(input).map(|(_, l)| l).collect::<Vec<_>>().join("\n");
            assert_eq!(join_hyphenation(input), want, "{input:?}");
        }
    }

    #[test]
    fn hyphenation_does_not_touch_the_block() {
        let block = format!(
            "{HEADING}\r\n\r\n{INTRO}\r\nNamn\tDatum\r\nAnna  Berg, Avdelnings-chef\t2020-11-09\r\n"
        );
        let text = format!("Slutsats-\n{block}");
        let fixed = join_hyphenation(&text);
        assert_eq!(fixed, format!("Slutsats-\n{block}"));
        assert_eq!(block::split(&fixed).1, Some(block.as_str()));
        // What looks like a block but is content is joined like content.
        let fake = format!("{HEADING}\n{INTRO}\nText som lagts till i efter-\nhand\n");
        assert!(join_hyphenation(&fake).ends_with("Text som lagts till i efterhand"));
    }

    #[test]
    fn pages_join_with_a_newline_and_hyphens_join_across_pages() {
        let pages = ["Ett\nträd-".to_string(), "gården\n".to_string()];
        assert_eq!(fixed_text(&pages), "Ett\nträdgården");
        let pages = ["Ett\n".to_string(), String::new(), "Två".to_string()];
        assert_eq!(fixed_text(&pages), "Ett\n\nTvå");
        assert_eq!(fixed_text(&[]), "");
    }
}

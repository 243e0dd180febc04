//! Text of a PDF (`text-pdf-v1`) and its skeleton: what the log records of
//! a PDF, computed from the text a pinned extractor (`pdftotext -raw -enc
//! UTF-8`) took from it page by page. Pure: the helper process extracts,
//! this module decides.
//!
//! Text extracted from a PDF never equals the document's text exactly, so
//! [`fixed_text`] undoes what a PDF adds, in this order:
//!
//! 1. **Ligatures.** U+FB00–U+FB06 are replaced by their compatibility
//!    decompositions (`ff`, `fi`, `fl`, `ffi`, `ffl`, `ſt`, `st`); no other
//!    character is changed.
//! 2. **Page numbers.** On each page, the first non-blank line and then the
//!    last non-blank line are removed if they are only a page number: `N`,
//!    `- N -`, `N (M)`, `N/M`, `N av M`, `N of M`, the last five also after
//!    `Sida`, `Sidan` or `Page`; any case, white space anywhere between the
//!    tokens; dashes U+002D, U+2010–U+2014, U+2212; N and M of 1–4 ASCII
//!    digits with 1 ≤ N ≤ M. A line is blank when it has nothing but
//!    white space, U+00AD, U+200B and U+FEFF.
//! 3. **Repeated furniture.** The *document part* is the pages before the
//!    first page whose first non-blank line reads the block's heading or
//!    introduction (in canonical form): the appended page of an attested
//!    PDF, which has no furniture. Lines are compared by their *key*: the
//!    canonical form of the line with every run of ASCII digits read as
//!    `0`. (a) If the part has at least 2 pages: the top furniture is the
//!    first k ≤ 3 non-blank lines that have the same keys on every page of
//!    the part (k as large as possible); it is removed from every page of
//!    the part; then, on what is left, the bottom furniture likewise from
//!    the last non-blank lines upwards. (b) The same again with the part
//!    without its first page, if that still has at least 2 pages (a first
//!    page with a letterhead of its own). Each time, from every page after
//!    the part, the lines at the same end whose keys match the furniture,
//!    in order, are removed as far as they match (a reprint's footer on
//!    the block page).
//! 4. **Pages joined.** Each page's remaining lines joined by `\n`, the
//!    pages joined by `\n`.
//! 5. **Hyphenation.** In the text before the block ([`block::find`]; the
//!    block is left byte for byte), a line that ends (before trailing white
//!    space) in a letter followed by U+002D, U+00AD or U+2010, where the
//!    next non-blank line starts (after white space) with a lower-case
//!    letter, is joined with that line: the hyphen, the white space and the
//!    blank lines between are removed. Repeated while the joined line still
//!    ends so. The text before the block gets `\n` line ends.
//!
//! The result, with its block still at the end, is then canonicalized by
//! `text-v2` ([`canonical::canonical_text`]), its block read and its
//! metadata extracted as for a text document. The rules apply whether or
//! not the PDF is tagged, so that a tagged original and its untagged
//! reprint agree. A real hyphen at a line end before a lower-case word
//! ("stadsdels-" / "och") is joined too: the registration and every PDF
//! copy make the same mistake, so they still agree, but a text original of
//! such a PDF matches it only at [`SKELETON`] level.
//!
//! The rules, their order and their test vectors are in docs/formats.md
//! §1a.

mod fix;
mod furniture;

use serde::{Deserialize, Serialize};

use unicode_normalization::UnicodeNormalization;

use super::block;
use super::canonical::{self, TextError, Version};
use super::metadata;
use super::read::{Format, ReadDocument};
use crate::tlog::Hash;

/// Name of these rules, recorded in a PDF's registration.
pub const PDF_RULES: &str = "text-pdf-v1";

/// Name of the last-resort level: letters and digits only.
pub const SKELETON: &str = "skeleton";

/// What the helper process read from a PDF: the text of each page as the
/// extractor gave it (content tagged `/Artifact` already left out where
/// the PDF is tagged), and the facts the registration records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfFacts {
    /// Text of each page, in page order.
    pub pages: Vec<String>,
    /// Number of pages the document's page tree holds.
    pub page_count: u32,
    /// The extractor's name and version, e.g. `pdftotext 22.12.0 -raw`.
    pub extractor: String,
    /// Whether the PDF is tagged (`/MarkInfo << /Marked true >>`), so that
    /// its artifacts were left out rather than guessed.
    pub tagged: bool,
    /// Asked with a prefix length: whether the file is exactly that prefix
    /// followed by the update `attest` writes for the block the file shows
    /// (byte for byte, so nothing else can have been added or changed).
    /// `None` when not asked.
    #[serde(default)]
    pub exact_attestation: Option<bool>,
}

/// The PDF's text after the PDF-specific fixes (rules 1–5 of the module
/// documentation), pages joined by newlines, with its block (if any)
/// still at the end: the text that `text-v2`'s rules then canonicalize,
/// that the block is read from and that metadata is read from.
pub fn fixed_text(pages: &[String]) -> String {
    fix::fixed_text(pages)
}

/// The skeleton of a text (its part before the block): U+00AD, U+200B and
/// U+FEFF removed (so that the letters around them compose, as in
/// `text-v2`), NFKC, then only the characters that are letters or digits
/// (`char::is_alphanumeric`), in order. Case is kept: no copy path we know
/// of changes it, and the skeleton already gives up spacing and
/// punctuation.
pub fn skeleton(body: &str) -> String {
    body.chars()
        .filter(|c| !matches!(c, '\u{AD}' | '\u{200B}' | '\u{FEFF}'))
        .nfkc()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Fewest letters a readable document has.
const MIN_LETTERS: usize = 20;

/// Whether extracted text can be read as a document's text at all (a scan
/// has none; a file redistilled into garbage glyphs has private-use or
/// replacement characters instead of letters). Judged on the text before
/// the block, in canonical form, over its characters other than spaces:
/// at least [`MIN_LETTERS`] letters (`char::is_alphabetic`), at least a
/// third letters or digits (`char::is_alphanumeric`: tables of numbers
/// pass), and at most a tenth garbage ([`is_garbage`]: a bullet from a
/// symbol font here and there passes).
pub fn readable(text: &str) -> bool {
    let body = canonical::normalize(block::split(text).0);
    let (mut total, mut letters, mut alnum, mut garbage) = (0usize, 0usize, 0usize, 0usize);
    for c in body.chars().filter(|&c| c != ' ') {
        total += 1;
        letters += usize::from(c.is_alphabetic());
        alnum += usize::from(c.is_alphanumeric());
        garbage += usize::from(is_garbage(c));
    }
    letters >= MIN_LETTERS
        && alnum.saturating_mul(3) >= total
        && garbage.saturating_mul(10) <= total
}

/// Characters that extracted text has where the extractor could not map a
/// glyph: U+FFFD, private use (U+E000–U+F8FF, planes 15 and 16), controls
/// (C0, DEL, C1) and noncharacters.
fn is_garbage(c: char) -> bool {
    let u = u32::from(c);
    c == '\u{FFFD}'
        || c.is_control()
        || matches!(u, 0xE000..=0xF8FF | 0xF_0000..=0x10_FFFF | 0xFDD0..=0xFDEF)
        || u & 0xFFFE == 0xFFFE
}

/// Whether `bytes` are a PDF: `%PDF-` within the first 1024 bytes, where
/// PDF readers look for it.
pub fn is_pdf(bytes: &[u8]) -> bool {
    let head = bytes.get(..1024).unwrap_or(bytes);
    head.windows(5).any(|w| w == b"%PDF-")
}

/// The lengths of the prefixes of `bytes` that end a PDF revision: after
/// each `%%EOF` marker, and after it with the end-of-line that follows it
/// (LF, CR, or CR and CR LF), each a candidate, at most `max` of them,
/// longest first (so the last revision first). One pass from the end, so
/// linear in the length, and it stops after `max`.
pub fn eof_prefixes(bytes: &[u8], max: usize) -> Vec<usize> {
    const MARKER: &[u8] = b"%%EOF";
    let mut out = Vec::new();
    for (start, window) in bytes.windows(MARKER.len()).enumerate().rev() {
        if out.len() >= max {
            break;
        }
        if window != MARKER {
            continue;
        }
        let end = start + MARKER.len();
        let mut candidates = vec![end];
        match bytes.get(end) {
            Some(b'\n') => candidates.push(end + 1),
            Some(b'\r') => {
                candidates.push(end + 1);
                if bytes.get(end + 1) == Some(&b'\n') {
                    candidates.push(end + 2);
                }
            }
            _ => {}
        }
        out.extend(
            candidates
                .into_iter()
                .rev()
                .take(max.saturating_sub(out.len())),
        );
    }
    out
}

/// Reads a PDF from its bytes and the facts the helper extracted: both
/// digests, the skeleton, the text and its metadata.
pub fn read(bytes: &[u8], facts: &PdfFacts) -> Result<ReadDocument, TextError> {
    let text = fixed_text(&facts.pages);
    if !readable(&text) {
        return Err(TextError::Unreadable);
    }
    let canon = canonical::canonical_text(&text);
    let body = block::split(&text).0;
    Ok(ReadDocument {
        text_sha256: canonical::text_digest(&canon),
        text_sha256_v1: None,
        file_sha256: Hash::sha256(bytes),
        file_size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        metadata: metadata::extract(&text),
        format: Format::Pdf {
            pages: facts.page_count,
            extractor: facts.extractor.clone(),
        },
        skeleton_sha256: Some(Hash::sha256(skeleton(body).as_bytes())),
        version: Version::PdfV1,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::block::{HEADING, INTRO};
    use proptest::prelude::*;

    fn pages(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| (*t).to_owned()).collect()
    }

    fn facts(texts: &[&str]) -> PdfFacts {
        PdfFacts {
            pages: pages(texts),
            page_count: u32::try_from(texts.len()).unwrap(),
            extractor: "pdftotext 22.12.0 -raw".into(),
            tagged: false,
            exact_attestation: None,
        }
    }

    const BODY: &str = "Förvaltningen föreslår att stadsdelsnämnden godkänner svaret på remissen.";

    #[test]
    fn rules_apply_in_order() {
        // A ligature in a page number's neighbour, a page number above the
        // furniture, furniture whose numbers vary, hyphenation across pages.
        let texts = [
            "Sida 1 (2)\nDnr 2019/1939 blad 1\nDen of\u{FB01}ciella trygg-\n",
            "Sida 2 (2)\nDnr 2019/1939 blad 2\nhetsplanen \u{FB02}yttas.\n",
        ];
        assert_eq!(
            fixed_text(&pages(&texts)),
            "Den officiella trygghetsplanen flyttas."
        );
    }

    #[test]
    fn ligatures_come_before_furniture() {
        // The same header, once with a ligature: decomposed first, so alike.
        let texts = ["\u{FB01}nans\nEtt", "finans\nTvå"];
        assert_eq!(fixed_text(&pages(&texts)), "Ett\nTvå");
    }

    #[test]
    fn page_numbers_come_before_furniture() {
        // Only page 2 has a number: removed first, so the header repeats.
        let texts = ["Huvud\nEtt", "2\nHuvud\nTvå"];
        assert_eq!(fixed_text(&pages(&texts)), "Ett\nTvå");
    }

    #[test]
    fn the_block_page_keeps_its_block_and_the_furniture_goes() {
        let block =
            format!("{HEADING}\n\n{INTRO}\n\nNamn Datum\nAnna Berg, Avdelningschef 2020-11-09\n");
        let doc = ["Huvud\nSida 1 (2)\nEtt\nFot", "Huvud\nSida 2 (2)\nTvå\nFot"];
        let attested = [doc[0], doc[1], block.as_str()];
        let original = fixed_text(&pages(&doc));
        let copy = fixed_text(&pages(&attested));
        assert_eq!(original, "Ett\nTvå");
        assert_eq!(copy, format!("Ett\nTvå\n{}", block.trim_end()));
        assert_eq!(
            canonical::canonical_text(&original),
            canonical::canonical_text(&copy)
        );
        assert_eq!(block::read(&copy).unwrap().len(), 1);
    }

    #[test]
    fn read_gives_both_digests_and_the_metadata() {
        let texts = [
            "Handläggare\nAnna Berg\nTill\nSkarpnäcks stadsdelsnämnd\n2020-11-09\nSvar på remiss\nDnr 2019/1939\n",
            BODY,
        ];
        let doc = read(b"%PDF-1.7 x", &facts(&texts)).unwrap();
        let text = fixed_text(&pages(&texts));
        assert_eq!(
            doc.text_sha256,
            canonical::text_digest(&canonical::canonical_text(&text))
        );
        assert_eq!(
            doc.skeleton_sha256,
            Some(Hash::sha256(skeleton(&text).as_bytes()))
        );
        assert_eq!(doc.file_sha256, Hash::sha256(b"%PDF-1.7 x"));
        assert_eq!(doc.file_size, 10);
        assert_eq!(doc.version, Version::PdfV1);
        assert_eq!(doc.metadata.dnr.as_deref(), Some("2019/1939"));
        assert_eq!(doc.metadata.title.as_deref(), Some("Svar på remiss"));
        assert_eq!(
            doc.format,
            Format::Pdf {
                pages: 2,
                extractor: "pdftotext 22.12.0 -raw".into()
            }
        );
        // With a block appended, the same digests, and the block is read.
        let block = block::render(&[]);
        let with_block = [texts[0], texts[1], block.as_str()];
        let attested = read(b"%PDF-1.7 y", &facts(&with_block)).unwrap();
        assert_eq!(attested.text_sha256, doc.text_sha256);
        assert_eq!(attested.skeleton_sha256, doc.skeleton_sha256);
    }

    #[test]
    fn skeleton_keeps_letters_and_digits_only() {
        assert_eq!(
            skeleton("Dnr 2019/1939:\n Of\u{FB01}ciellt, trygg\u{AD}het – ² ①"),
            "Dnr20191939Officiellttrygghet21"
        );
        // NFKC composes, also across the invisible characters it drops.
        assert_eq!(skeleton("Skarpna\u{308}ck a\u{AD}\u{308}"), "Skarpnäckä");
        // Case is kept.
        assert_ne!(skeleton("Beslut"), skeleton("beslut"));
        assert_eq!(skeleton(""), "");
    }

    #[test]
    fn skeleton_ignores_layout() {
        let a = "Förvaltningen föreslår\natt nämnden\n\nbeslutar, dnr 2019/1939.";
        let b = "Förvaltningen  föreslår att nämnden beslutar dnr 2019 / 1939";
        assert_eq!(skeleton(a), skeleton(b));
        assert_ne!(skeleton(a), skeleton(&b.replace("1939", "1938")));
    }

    #[test]
    fn readable_text_and_tables() {
        assert!(readable(BODY));
        let table = "Budget 2021\nKostnad 1 234 567 2 345 678 -12,5 %\n\
                     Intäkt 345 000 400 000 15,9 %\n\
                     (1,2) (3,4) (5,6) (7,8) – – – 2020-11-09 2021-01-01 9 999,99\n\
                     Summa 1 579 567 2 745 678 3,1 %\n";
        assert!(readable(table), "{table}");
        // Bullets from a symbol font are private use, here and there.
        let bullets =
            "\u{F0B7} Förslag till beslut om parkering\n\u{F0B7} Nämnden godkänner svaret\n";
        assert!(readable(bullets));
    }

    #[test]
    fn unreadable_text() {
        assert!(!readable(""));
        assert!(!readable(" \n\u{C}\n "));
        // Fewer than 20 letters.
        assert!(!readable("Sida 1 av 2 Ok"));
        // Garbage glyphs: private use, replacement characters, controls.
        let pua: String = ('\u{E000}'..='\u{E0FF}').collect();
        assert!(!readable(&format!(
            "{pua} Förvaltningen föreslår att nämnden"
        )));
        let fffd = "\u{FFFD}".repeat(200);
        assert!(!readable(&format!(
            "{fffd} Förvaltningen föreslår att nämnden"
        )));
        let controls = "\u{1}\u{2}\u{3}\u{4}\u{5}".repeat(20);
        assert!(!readable(&format!(
            "{controls} Förvaltningen föreslår att nämnden"
        )));
        // Mostly punctuation.
        assert!(!readable(&format!(
            "{} Förvaltningen föreslår att nämnden",
            "..,;".repeat(30)
        )));
        // A scan with an attested block page: the block is not the text.
        let block = block::render(&[]);
        assert!(!readable(&block));
        assert!(!readable(&format!("\n\n{block}")));
        assert_eq!(
            read(b"%PDF-", &facts(&["", "", &block])).err(),
            Some(TextError::Unreadable)
        );
    }

    #[test]
    fn is_pdf_looks_in_the_first_1024_bytes() {
        assert!(is_pdf(b"%PDF-1.7\n"));
        assert!(is_pdf(b"\xEF\xBB\xBF\r\n%PDF-1.4"));
        let mut late = vec![b' '; 1019];
        late.extend_from_slice(b"%PDF-1.4");
        assert!(is_pdf(&late));
        let mut too_late = vec![b' '; 1020];
        too_late.extend_from_slice(b"%PDF-1.4");
        assert!(!is_pdf(&too_late));
        assert!(!is_pdf(b""));
        assert!(!is_pdf(b"%PDF"));
        assert!(!is_pdf(b"Bilaga: %PDF"));
    }

    #[test]
    fn eof_prefixes_of_revisions_and_line_ends() {
        // Revision 1 ends in LF, revision 2 in CR LF, revision 3 in nothing.
        let r1 = b"%PDF-1.7\n1 0 obj\n%%EOF\n".to_vec();
        let mut r2 = r1.clone();
        r2.extend_from_slice(b"2 0 obj\n%%EOF\r\n");
        let mut r3 = r2.clone();
        r3.extend_from_slice(b"3 0 obj\n%%EOF");
        let n = r3.len();
        let (l1, l2) = (r1.len(), r2.len());
        assert_eq!(
            eof_prefixes(&r3, 10),
            vec![n, l2, l2 - 1, l2 - 2, l1, l1 - 1]
        );
        assert_eq!(&r3[..l1], r1.as_slice());
        assert_eq!(&r3[..l2], r2.as_slice());
        assert_eq!(eof_prefixes(&r3, 2), vec![n, l2]);
        assert_eq!(eof_prefixes(&r3, 0), Vec::<usize>::new());
        // CR alone.
        assert_eq!(eof_prefixes(b"x%%EOF\ry", 5), vec![7, 6]);
        // Nothing, or a marker cut short.
        assert!(eof_prefixes(b"", 5).is_empty());
        assert!(eof_prefixes(b"%%EO", 5).is_empty());
        assert!(eof_prefixes(b"%PDF-1.7\n%%EOFx", 5) == vec![14]);
        assert_eq!(eof_prefixes(b"%%EOF%%EOF", 5), vec![10, 5]);
    }

    #[test]
    fn eof_prefixes_is_linear_on_many_markers() {
        // A million markers: one pass; `max` bounds the answer.
        let bytes = b"%%EOF\n".repeat(1_000_000);
        let got = eof_prefixes(&bytes, 64);
        assert_eq!(got.len(), 64);
        assert_eq!(got.first(), Some(&bytes.len()));
        assert!(got.windows(2).all(|w| w[0] > w[1]));
    }

    /// The vectors of docs/formats.md §1a, whose digests were computed by
    /// an independent Python implementation of the rules.
    #[test]
    fn vectors_in_the_format_document() {
        let doc = include_str!("../../../docs/formats.md");
        let section = doc
            .split_once("## 1a. PDF documents")
            .expect("docs/formats.md has §1a")
            .1;
        let json = section
            .split_once("```json\n")
            .and_then(|(_, rest)| rest.split_once("\n```"))
            .expect("§1a has its vectors in a json block")
            .0;
        let vectors: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
        assert!(vectors.len() >= 3);
        for v in vectors {
            let name = v["name"].as_str().unwrap();
            let texts: Vec<String> = serde_json::from_value(v["pages"].clone()).unwrap();
            let fixed = fixed_text(&texts);
            assert_eq!(fixed, v["fixed_text"].as_str().unwrap(), "{name}");
            let doc = read(
                b"%PDF-",
                &PdfFacts {
                    pages: texts,
                    page_count: 1,
                    extractor: String::new(),
                    tagged: false,
                    exact_attestation: None,
                },
            )
            .unwrap();
            assert_eq!(
                hex::encode(doc.text_sha256),
                v["text_pdf_v1_sha256"].as_str().unwrap(),
                "{name}"
            );
            let skeleton_hex = doc.skeleton_sha256.map(hex::encode);
            assert_eq!(
                skeleton_hex.as_deref(),
                v["skeleton_sha256"].as_str(),
                "{name}"
            );
        }
    }

    fn plain_line() -> impl Strategy<Value = String> {
        "[A-ZÅÄÖa-zåäö][a-zåäö,.]{0,10}( [a-zåäöA-ZÅÄÖ0-9][a-zåäö0-9.,:]{0,10}){0,6}"
    }

    proptest! {
        #[test]
        fn a_plain_page_is_its_own_text(
            lines in prop::collection::vec(plain_line(), 1..20),
            blank in prop::collection::vec(any::<bool>(), 20),
        ) {
            let mut page = String::new();
            for (line, blank) in lines.iter().zip(blank) {
                page.push_str(line);
                page.push_str(if blank { "\n\n" } else { "\n" });
            }
            let fixed = fixed_text(std::slice::from_ref(&page));
            prop_assert_eq!(canonical::canonical_text(&fixed), canonical::canonical_text(&page));
            prop_assert_eq!(skeleton(&fixed), skeleton(&page));
        }

        #[test]
        fn fixing_never_panics_and_keeps_the_block(
            texts in prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![
                        "[a-zA-ZåäöÅÄÖ0-9 ,.:/()\t-]{0,20}",
                        Just("Sida 2 (5)".to_string()), Just("- 3 -".to_string()),
                        Just("trygg-".to_string()), Just("\u{FB01}".to_string()),
                        Just("\u{AD}".to_string()), Just(HEADING.to_string()),
                        Just(INTRO.to_string()), Just("Namn\tDatum".to_string()),
                        Just("Anna, Chef\t2020-11-09".to_string()),
                    ],
                    0..12,
                ).prop_map(|lines| lines.join("\n")),
                0..5,
            )
        ) {
            let fixed = fixed_text(&texts);
            let _ = readable(&fixed);
            let _ = skeleton(&fixed);
            // Rule 5 leaves the block exactly as rule 4 left it.
            let joined = fix::joined_pages(&texts);
            prop_assert_eq!(block::split(&fixed).1, block::split(&joined).1);
        }

        #[test]
        fn eof_prefixes_are_marker_ends(
            parts in prop::collection::vec(
                prop_oneof![
                    Just(b"%%EOF".to_vec()), Just(b"\r".to_vec()), Just(b"\n".to_vec()),
                    prop::collection::vec(any::<u8>(), 0..8),
                ],
                0..20,
            ),
            max in 0usize..10,
        ) {
            let bytes = parts.concat();
            let got = eof_prefixes(&bytes, max);
            prop_assert!(got.len() <= max);
            prop_assert!(got.windows(2).all(|w| w[0] > w[1]));
            for len in got {
                let prefix = &bytes[..len];
                prop_assert!(
                    prefix.ends_with(b"%%EOF") || prefix.ends_with(b"%%EOF\n")
                        || prefix.ends_with(b"%%EOF\r") || prefix.ends_with(b"%%EOF\r\n")
                );
            }
        }
    }
}

//! Canonical text v2 (`text-v2`): the form of a document's text whose
//! SHA-256 the log records, so that a copy that went through e-mail,
//! another editor or other line endings still verifies while any change of
//! a word, number or punctuation mark does not.
//!
//! The rules, applied in this order:
//!
//! 1. Cut off the attestation block, from its heading to the end — but only
//!    a real block: the last line reading "Detta dokument har godkänts
//!    digitalt av följande personer:" followed by nothing but the block's
//!    own lines (see [`block::find`]). A heading followed by anything else
//!    is content. If nothing would be left of the text before the block
//!    (it canonicalizes to the empty string), nothing is cut: a text that
//!    is only a block keeps it as its content. This keeps
//!    [`canonical_text`] idempotent.
//! 2. Remove every U+00AD SOFT HYPHEN, U+200B ZERO WIDTH SPACE and U+FEFF
//!    (a byte order mark, or the zero width no-break space that
//!    concatenated files leave in the middle). Removing them before step 3
//!    lets the characters on either side compose.
//! 3. Unicode Normalization Form C.
//! 4. Replace every run of white space (the Unicode `White_Space` property:
//!    U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
//!    U+2029, U+202F, U+205F, U+3000) by one U+0020 SPACE, and remove white
//!    space at both ends.
//!
//! Every other character is kept, so bidirectional overrides, joiners and
//! look-alike letters change the digest. The digest is SHA-256 of the UTF-8
//! bytes of the result, with no trailing newline.
//!
//! `text-v1` differed only in rule 1: it cut from the last heading to the
//! end whatever followed, so a heading in mid-text left the rest of the
//! document out of the digest. It is kept ([`canonical_text_v1`]) to
//! verify documents registered under it.

use unicode_normalization::UnicodeNormalization;

use super::block;

/// Version tag of these rules, recorded beside every text digest so that a
/// later version can be introduced without reinterpreting old digests.
pub const CANONICAL_VERSION: &str = "text-v2";

/// Version tag of the first rules, implied by a registration that records
/// no version.
pub const CANONICAL_VERSION_V1: &str = "text-v1";

/// The rules a registration's text digest was computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Version {
    #[serde(rename = "text-v1")]
    V1,
    #[serde(rename = "text-v2")]
    V2,
    /// `text-v2` after the PDF fixes of [`super::pdf`].
    #[serde(rename = "text-pdf-v1")]
    PdfV1,
}

impl Version {
    /// The version a registration records: none means `text-v1`.
    pub fn of_record(recorded: Option<&str>) -> Option<Version> {
        match recorded {
            None => Some(Version::V1),
            Some(CANONICAL_VERSION) => Some(Version::V2),
            Some(super::pdf::PDF_RULES) => Some(Version::PdfV1),
            Some(_) => None,
        }
    }

    /// The tag, as in `match_level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1 => CANONICAL_VERSION_V1,
            Version::V2 => CANONICAL_VERSION,
            Version::PdfV1 => super::pdf::PDF_RULES,
        }
    }
}

/// Why a file cannot be read as a text document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but white space (or nothing at all).
    #[error("document is empty")]
    Empty,
    /// Not UTF-8, e.g. a file saved as Windows-1252 or UTF-16.
    #[error("not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first byte that is not valid UTF-8.
        offset: usize,
    },
    /// Contains NUL bytes, so it is a binary file (Word, image) rather
    /// than text.
    #[error("binary data, not text")]
    Binary,
    /// Text saved as UTF-16 (a byte order mark, or NUL bytes in every
    /// other position).
    #[error("UTF-16 text, not UTF-8")]
    Utf16,
    /// A PDF (a `%PDF-` header where PDF readers find one).
    #[error("a PDF, not text")]
    Pdf,
    /// A PDF whose text cannot be read (a scan, garbage glyphs).
    #[error("the PDF's text cannot be read")]
    Unreadable,
}

impl TextError {
    /// Stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            TextError::Empty => "text_empty",
            TextError::NotUtf8 { .. } => "text_not_utf8",
            TextError::Binary => "text_binary",
            TextError::Utf16 => "text_utf16",
            TextError::Pdf => "text_pdf",
            TextError::Unreadable => "pdf_text_unreadable",
        }
    }

    /// Whether `code` is one of a text error's codes: how a client that
    /// only has a problem document's code tells a copy it could not read.
    pub fn has_code(code: &str) -> bool {
        [
            TextError::Empty,
            TextError::NotUtf8 { offset: 0 },
            TextError::Binary,
            TextError::Utf16,
            TextError::Pdf,
            TextError::Unreadable,
        ]
        .iter()
        .any(|e| e.code() == code)
    }
}

/// Decodes a file's bytes as a text document, dropping one leading byte
/// order mark.
///
/// What the file is, is told before whether it is UTF-8, so the person who
/// sent it learns what to do: a file starting with `%PDF-` is
/// [`TextError::Pdf`]; one starting with a UTF-16 byte order mark, or with
/// NUL bytes in every other position, is [`TextError::Utf16`]; any other
/// NUL byte makes it [`TextError::Binary`]. A text with nothing the
/// canonical text would keep (only white space, soft hyphens, zero width
/// spaces or byte order marks) is [`TextError::Empty`].
pub fn decode(bytes: &[u8]) -> Result<String, TextError> {
    if looks_like_pdf(bytes) {
        return Err(TextError::Pdf);
    }
    if looks_like_utf16(bytes) {
        return Err(TextError::Utf16);
    }
    if bytes.contains(&0) {
        return Err(TextError::Binary);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.chars().all(|c| c.is_whitespace() || is_dropped(c)) {
        return Err(TextError::Empty);
    }
    Ok(text.to_owned())
}

/// A PDF header, `%PDF-`, at the start or after nothing but a byte order
/// mark and white space; or anywhere in the first 1024 bytes (where PDF
/// readers look for it) of a file that ends in `%%EOF`, as a PDF does.
fn looks_like_pdf(bytes: &[u8]) -> bool {
    let head = bytes.get(..1024).unwrap_or(bytes);
    let Some(at) = head.windows(5).position(|w| w == b"%PDF-") else {
        return false;
    };
    let before = head.get(..at).unwrap_or_default();
    let before = before.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(before);
    let tail = bytes
        .get(bytes.len().saturating_sub(1024)..)
        .unwrap_or(bytes);
    before.iter().all(u8::is_ascii_whitespace) || tail.windows(5).any(|w| w == b"%%EOF")
}

/// How many leading bytes [`looks_like_utf16`] inspects.
const UTF16_SNIFF: usize = 1024;

/// A UTF-16 byte order mark, or (in the first [`UTF16_SNIFF`] bytes) NUL
/// bytes in at least half of the code units and all on the same side, as
/// Latin text saved as UTF-16 has.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let head = bytes.get(..UTF16_SNIFF).unwrap_or(bytes);
    let units = head.len() / 2;
    let (mut low, mut high) = (0usize, 0usize);
    for unit in head.chunks_exact(2) {
        match unit {
            [0, 0] => return false,
            [0, _] => high += 1,
            [_, 0] => low += 1,
            _ => {}
        }
    }
    low + high >= 4 && (low == 0 || high == 0) && (low + high) * 2 >= units
}

/// Returns the canonical text v2 of `text` (see the module documentation).
pub fn canonical_text(text: &str) -> String {
    cut_and_normalize(text, block::split(text))
}

/// Returns the canonical text v1 of `text`: as v2, but cut at the last
/// heading whatever follows it.
pub fn canonical_text_v1(text: &str) -> String {
    cut_and_normalize(text, block::split_v1(text))
}

/// The canonical text `text-v1` gave to the document a copy carries: v1
/// applied to the copy's text before its real block. `None` when it is
/// the same as v2 (no heading in mid-text) or empty.
pub fn v1_of_body(text: &str) -> Option<String> {
    texts(text).v1
}

/// What reading a copy needs of its text, from one scan for the block.
pub(crate) struct Texts<'a> {
    /// The text before its block (rule 1 of v2).
    pub body: &'a str,
    /// [`canonical_text`].
    pub v2: String,
    /// [`v1_of_body`].
    pub v1: Option<String>,
}

/// [`canonical_text`], [`v1_of_body`] and the body, each text normalized
/// once.
pub(crate) fn texts(text: &str) -> Texts<'_> {
    let ((body, block), v1_cut) = block::split_with_v1(text);
    let v2 = cut_and_normalize(text, (body, block));
    // Without a heading in the body, v1 of the body is normalize(body),
    // which is v2 (or empty).
    let v1 = v1_cut
        .map(|at| cut_and_normalize(body, block::split_at(body, Some(at))))
        .filter(|v1| !v1.is_empty() && *v1 != v2);
    Texts { body, v2, v1 }
}

fn cut_and_normalize(text: &str, (body, block): (&str, Option<&str>)) -> String {
    let canonical = normalize(body);
    if canonical.is_empty() && block.is_some() {
        normalize(text)
    } else {
        canonical
    }
}

/// Returns SHA-256 of the UTF-8 bytes of an already canonical text.
pub fn text_digest(canonical: &str) -> crate::tlog::Hash {
    crate::tlog::Hash::sha256(canonical.as_bytes())
}

/// Applies rules 2–4 (everything but the cut) to a fragment of text. The
/// block finder and parser compare lines in this form, so that they are as
/// lenient as the digest is.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// [`normalize`] into `out` (cleared first), so that a caller normalizing
/// line after line reuses one buffer.
///
/// One pass over the bytes: runs of characters that the rules leave as
/// they are (NFC-stable, single spaces between) are copied whole, and only
/// a word (the text between two white space characters) holding a
/// character that NFC could change or combine is composed, when that
/// character is met. White space is a barrier to NFC (a starter that
/// composes with nothing), so composing word by word gives what composing
/// the whole text gives.
pub(crate) fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let bytes = text.as_bytes();
    let mut pending_space = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if is_ascii_space(b) {
            pending_space = !out.is_empty();
            i += 1;
            continue;
        }
        let end = verbatim_run(text, i);
        if end > i {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push_str(text.get(i..end).unwrap_or_default());
            i = end;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            i += c.len_utf8();
        } else if is_dropped(c) {
            i += c.len_utf8();
        } else {
            i = compose_word(text, i, out, &mut pending_space);
        }
    }
}

/// The end of the run of text from `start` that the rules leave as it is:
/// characters NFC does not change, with single spaces between them (`start`
/// itself when the character there is not one of them).
fn verbatim_run(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let plain = |b: &u8| b.is_ascii() && !is_ascii_space(*b);
    let mut end = start;
    while let Some(b) = bytes.get(end) {
        if plain(b) {
            end = plain_ascii_run(bytes, end);
        } else if *b == b' ' && end > start && bytes.get(end + 1).is_some_and(plain) {
            end += 1;
        } else if b.is_ascii() {
            break;
        } else if *b == 0xC3 {
            // U+00C0–U+00FF (å, ä, ö, é …): stable letters, no need to decode.
            end += 2;
        } else {
            match text.get(end..).and_then(|rest| rest.chars().next()) {
                Some(c) if !c.is_whitespace() && !is_dropped(c) && is_nfc_stable(c) => {
                    end += c.len_utf8();
                }
                _ => break,
            }
        }
    }
    end
}

/// The slow path of [`normalize_into`] for the word holding byte `at`, a
/// character NFC may change: takes back what was written for the word,
/// composes the whole word and writes it. Returns where the word ends.
///
/// All that was written for the word are its kept characters, as they
/// are, after the one space that stands for the white space before it.
fn compose_word(text: &str, at: usize, out: &mut String, pending_space: &mut bool) -> usize {
    let before = text.get(..at).unwrap_or_default();
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let written: usize = before
        .get(start..)
        .unwrap_or_default()
        .chars()
        .filter(|&c| !is_dropped(c))
        .map(char::len_utf8)
        .sum();
    if written > 0 {
        out.truncate(out.len().saturating_sub(written));
        *pending_space = out.ends_with(' ') && out.pop().is_some();
    }
    let end = word_end(text, at);
    let word = text.get(start..end).unwrap_or_default();
    for c in word.chars().filter(|&c| !is_dropped(c)).nfc() {
        if c.is_whitespace() {
            *pending_space = !out.is_empty();
        } else {
            if *pending_space {
                out.push(' ');
                *pending_space = false;
            }
            out.push(c);
        }
    }
    end
}

/// ASCII white space (`White_Space` below U+0080).
pub(crate) fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// How many bytes [`plain_ascii_run`] checks at a time.
const CHUNK: usize = 16;

/// The end of the run of ASCII from `start` (a byte that is ASCII and not
/// white space) that rule 4 leaves as it is: no white space but single
/// spaces between two such bytes.
fn plain_ascii_run(bytes: &[u8], start: usize) -> usize {
    let plain = |b: &u8| b.is_ascii() && !is_ascii_space(*b);
    let mut end = start + 1;
    // Whole chunks of printable ASCII first (one byte past the chunk tells
    // whether a space at its end is followed by a letter).
    while let Some(window) = bytes.get(end..end + CHUNK + 1) {
        let printable = |b: &u8| (0x21..=0x7E).contains(b);
        let kept = window
            .iter()
            .zip(window.iter().skip(1))
            .fold(true, |ok, (b, next)| {
                ok & (printable(b) | ((*b == b' ') & printable(next)))
            });
        if !kept {
            break;
        }
        end += CHUNK;
    }
    while let Some(b) = bytes.get(end) {
        if plain(b) {
            end += 1;
        } else if *b == b' ' && bytes.get(end + 1).is_some_and(plain) {
            end += 2;
        } else {
            break;
        }
    }
    end
}

/// Where the word containing byte `from` ends: at the next white space
/// character, or at the end of the text.
fn word_end(text: &str, from: usize) -> usize {
    let rest = text.get(from..).unwrap_or_default();
    rest.char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(at, _)| from + at)
}

/// Whether NFC leaves `c` as it is whatever surrounds it: a starter that
/// the quick check passes (so nothing before it combines with it). Latin
/// letters and general punctuation are known to be (a test checks them).
fn is_nfc_stable(c: char) -> bool {
    c < '\u{300}'
        || ('\u{2002}'..='\u{206F}').contains(&c)
        || (unicode_normalization::char::canonical_combining_class(c) == 0
            && unicode_normalization::is_nfc_quick(std::iter::once(c))
                == unicode_normalization::IsNormalized::Yes)
}

/// Invisible characters that rule 2 removes.
fn is_dropped(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/seed.txt"
    ));

    /// SHA-256 of the canonical text of tests/data/seed.txt, computed with
    /// an independent Python pipeline (unicodedata.normalize, re.sub).
    const SEED_DIGEST: &str = "a970c7d2d6dffe36ae86e44a4decc06d82dc7a2f8aee5538402a8a0d784b7903";

    /// Rules 2–4 the straightforward way: drop, compose the whole text,
    /// collapse white space. The fast [`normalize`] must agree with it.
    fn normalize_reference(text: &str) -> String {
        let mut out = String::new();
        let mut pending_space = false;
        for c in text.chars().filter(|&c| !is_dropped(c)).nfc() {
            if c.is_whitespace() {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn the_ranges_taken_as_stable_are_nfc_stable() {
        let ranges = [('\u{80}'..='\u{2FF}'), ('\u{2002}'..='\u{206F}')];
        for c in ranges.into_iter().flatten() {
            assert_eq!(
                unicode_normalization::char::canonical_combining_class(c),
                0,
                "{c:?}"
            );
            assert_eq!(
                unicode_normalization::is_nfc_quick(std::iter::once(c)),
                unicode_normalization::IsNormalized::Yes,
                "{c:?}"
            );
        }
    }

    #[test]
    fn the_fast_path_equals_the_reference_on_the_edge_cases() {
        for s in [
            "",
            " ",
            "a",
            "e\u{301}",
            "e\u{AD}\u{301}",
            "\u{AD}\u{301}e",
            " \u{301} a",
            "ab cd\u{308}ef gh",
            "ab cd e\u{301}",
            "x \u{FEFF}\u{301}",
            "A\u{30A}\u{212B} \u{2000}\u{2001}x",
            "q\u{323}\u{302} q\u{302}\u{323}",
            "\u{1100}\u{1161}\u{11A8}",
            "\u{B47}\u{B3E}",
            "a\u{591}\u{5B0}b",
            "\u{FEFF}Svar  p\u{E5}\r\n\r\ntrygg\u{AD}hets\u{200B}program\n",
        ] {
            assert_eq!(normalize(s), normalize_reference(s), "{s:?}");
        }
        assert_eq!(normalize(SEED), normalize_reference(SEED));
        let seed_nfd: String = SEED.nfd().collect();
        assert_eq!(normalize(&seed_nfd), normalize_reference(&seed_nfd));
    }

    fn hex_digest(text: &str) -> String {
        hex::encode(text_digest(&canonical_text(text)))
    }

    #[test]
    fn version_tag() {
        assert_eq!(CANONICAL_VERSION, "text-v2");
        assert_eq!(Version::of_record(None), Some(Version::V1));
        assert_eq!(Version::of_record(Some("text-v2")), Some(Version::V2));
        assert_eq!(Version::of_record(Some("text-v1")), None);
        assert_eq!(Version::of_record(Some("text-v3")), None);
    }

    #[test]
    fn pinned_seed_digest() {
        assert_eq!(hex_digest(SEED), SEED_DIGEST);
    }

    #[test]
    fn pinned_small_vectors() {
        // (input, canonical text, SHA-256 hex) — documented in docs/formats.md.
        let vectors = [
            // Runs of white space (incl. no-break space, CR LF), NFD "ä".
            (
                "Till  Skarpna\u{308}cks\u{A0}stadsdelsnämnd\r\n2020-12-17\r\n",
                "Till Skarpnäcks stadsdelsnämnd 2020-12-17",
                "03ee99211d324046920f62825cfa08d4ec99fbc2d78ad07d1c1d9e4dce17643f",
            ),
            // BOM, tab, blank lines, soft hyphen, zero width space.
            (
                "\u{FEFF}Svar på remiss,\tdnr 2019/1939\n\n\ntrygg\u{AD}hets\u{200B}program\n",
                "Svar på remiss, dnr 2019/1939 trygghetsprogram",
                "e36a360661f68e11d8da0f0625b429d0c6b6f70a890cff986754b0c98ca24f8d",
            ),
            // The attestation block is cut off.
            (
                "Förslag till beslut\n\nAttesterat av\n\nDetta dokument har godkänts digitalt av \
                 följande personer:\n\nNamn\tDatum\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t2020-11-09\n",
                "Förslag till beslut",
                "4b63222d118cafe1c9f02bd5500228d88113366456343fe5d741850d13ad540d",
            ),
        ];
        for (input, canon, hex) in vectors {
            assert_eq!(canonical_text(input), canon, "{input:?}");
            assert_eq!(hex::encode(text_digest(canon)), hex, "{input:?}");
        }
    }

    /// The text-v2 vectors of docs/formats.md §1, computed independently
    /// with Python (hashlib, unicodedata, re): (input, v2 SHA-256, v1 SHA-256).
    #[test]
    fn pinned_v2_vectors() {
        const FORSLAG: &str = "4b63222d118cafe1c9f02bd5500228d88113366456343fe5d741850d13ad540d";
        const MID_V2: &str = "e5a54e9f91a2caf142a84878f764d189874438e84324f19a836235d39ffdadf8";
        let block = "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t2020-11-09\n";
        let vectors = [
            (MID.to_string(), MID_V2, FORSLAG),
            (format!("{MID}\n{block}"), MID_V2, MID_V2),
            (
                format!("Förslag till beslut\n\n{block}Text som lagts till efteråt.\n"),
                "38b876af2c6fbc7b4cd819873b84fea0ce0db605f059fc21166ecd29649a9998",
                FORSLAG,
            ),
            (format!("Förslag till beslut\n\n{block}"), FORSLAG, FORSLAG),
        ];
        for (input, v2, v1) in vectors {
            assert_eq!(hex_digest(&input), v2, "{input:?}");
            assert_eq!(
                hex::encode(text_digest(&canonical_text_v1(&input))),
                v1,
                "{input:?}"
            );
        }
    }

    #[test]
    fn line_endings_do_not_matter() {
        let lf = "Förslag till beslut\n\nNämnden beslutar.\nDnr 2019/1939\n";
        let crlf = lf.replace('\n', "\r\n");
        let cr = lf.replace('\n', "\r");
        assert_eq!(hex_digest(lf), hex_digest(&crlf));
        assert_eq!(hex_digest(lf), hex_digest(&cr));
        let seed_crlf = SEED.replace('\n', "\r\n");
        let seed_cr = SEED.replace('\n', "\r");
        assert_eq!(hex_digest(&seed_crlf), SEED_DIGEST);
        assert_eq!(hex_digest(&seed_cr), SEED_DIGEST);
    }

    #[test]
    fn nfd_and_nfc_agree() {
        let nfc = "Skarpnäcks stadsdelsnämnd förslår Ärendet";
        let nfd: String = nfc.nfd().collect();
        assert_ne!(nfc, nfd);
        assert_eq!(canonical_text(&nfd), nfc);
        let seed_nfd: String = SEED.nfd().collect();
        assert_eq!(hex_digest(&seed_nfd), SEED_DIGEST);
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(canonical_text("\u{FEFF}Till nämnden"), "Till nämnden");
        assert_eq!(hex_digest(&format!("\u{FEFF}{SEED}")), SEED_DIGEST);
        // Concatenated files leave byte order marks in the middle.
        assert_eq!(canonical_text("a\u{FEFF}b \u{FEFF}\u{FEFF}c"), "ab c");
    }

    #[test]
    fn white_space_collapses() {
        let want = "Svar på remiss, dnr 2019/1939 Förslag till beslut";
        for t in [
            "Svar på remiss, dnr 2019/1939\n\nFörslag till beslut",
            "Svar\tpå remiss,\u{A0}dnr 2019/1939\u{C}Förslag  till\u{202F}beslut",
            "  \n\n\nSvar på\u{2007}remiss, dnr\u{2028}2019/1939\u{0B}\u{3000}Förslag\u{2029}till beslut \t\n\n\n",
            "Svar på remiss, dnr 2019/1939\r\n\r\n\r\n\r\nFörslag till beslut\r\n",
        ] {
            assert_eq!(canonical_text(t), want, "{t:?}");
        }
    }

    #[test]
    fn soft_hyphen_and_zero_width_space_are_dropped() {
        assert_eq!(
            canonical_text("trygg\u{AD}hets\u{200B}program"),
            "trygghetsprogram"
        );
        // Removed before NFC, so the letters around them compose.
        assert_eq!(canonical_text("e\u{AD}\u{301}"), "\u{E9}");
    }

    #[test]
    fn block_is_cut_off() {
        let start = SEED.rfind("Attesterat av").unwrap();
        let body = &SEED[..start];
        assert_eq!(canonical_text(SEED), canonical_text(body));
        assert_eq!(
            canonical_text(SEED),
            canonical_text(&format!("{body}\n\n\n"))
        );
        assert_eq!(canonical_text(SEED), canonical_text(body.trim_end()));
        assert!(canonical_text(SEED).ends_with("skarpnack@stockholm.se stockholm.se"));
        assert!(!canonical_text(SEED).contains("Attesterat"));
        // A block with another approval row does not change the digest.
        let two = format!("{SEED}\nAnna Berg, Avdelningschef\t2020-11-10\n");
        assert_eq!(hex_digest(&two), SEED_DIGEST);
    }

    #[test]
    fn block_only_text_is_kept() {
        let intro = block::INTRO;
        assert_eq!(canonical_text(intro), intro);
        assert_eq!(canonical_text(&format!("\u{AD}\n{intro}\n")), intro);
    }

    #[test]
    fn changes_change_the_digest() {
        let base = SEED;
        let edits: [(&str, &str); 6] = [
            ("positiv", "negativ"),
            ("2019/1939", "2019/1938"),
            ("Patricia", "P\u{430}tricia"),
            ("Hamberg", "Ham\u{202E}berg"),
            ("inget att erinra.", "inget att erinra!"),
            ("Box 5117", "Box\u{200D} 5117"),
        ];
        for (from, to) in edits {
            assert!(base.contains(from), "{from}");
            let changed = base.replacen(from, to, 1);
            assert_ne!(hex_digest(&changed), SEED_DIGEST, "{from} -> {to}");
        }
    }

    #[test]
    fn decode_accepts_utf8_and_drops_one_bom() {
        assert_eq!(decode("Hej".as_bytes()).unwrap(), "Hej");
        assert_eq!(decode("\u{FEFF}Hej".as_bytes()).unwrap(), "Hej");
        assert_eq!(
            decode("\u{FEFF}\u{FEFF}Hej".as_bytes()).unwrap(),
            "\u{FEFF}Hej"
        );
        assert_eq!(decode(SEED.as_bytes()).unwrap(), SEED);
    }

    #[test]
    fn decode_errors() {
        assert_eq!(decode(b""), Err(TextError::Empty));
        assert_eq!(decode(b" \r\n\t"), Err(TextError::Empty));
        assert_eq!(
            decode("\u{FEFF}\u{A0}\u{AD}".as_bytes()),
            Err(TextError::Empty)
        );
        // "Nämnd" in Windows-1252.
        assert_eq!(decode(b"N\xE4mnd"), Err(TextError::NotUtf8 { offset: 1 }));
        assert_eq!(decode(b"\xFF\xFEa"), Err(TextError::Utf16));
        assert_eq!(decode(b"abc\xC3"), Err(TextError::NotUtf8 { offset: 3 }));
        assert_eq!(decode(b"ab\0c"), Err(TextError::Binary));
        assert_eq!(decode(b"%PDF-1.7\n\xE2\xE3\0"), Err(TextError::Pdf));
        assert_eq!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(TextError::Binary)
        );
    }

    #[test]
    fn error_codes_and_messages() {
        let cases = [
            (TextError::Empty, "text_empty"),
            (TextError::NotUtf8 { offset: 7 }, "text_not_utf8"),
            (TextError::Binary, "text_binary"),
            (TextError::Utf16, "text_utf16"),
            (TextError::Pdf, "text_pdf"),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code);
            assert!(!e.to_string().is_empty());
        }
        assert!(TextError::NotUtf8 { offset: 7 }.to_string().contains('7'));
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
        for u in units {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_is_told_apart_from_binary() {
        let text = "Förslag till beslut\r\nSkarpnäcks stadsdelsnämnd, dnr 2019/1939";
        for big_endian in [false, true] {
            for bom in [false, true] {
                let bytes = utf16(text, big_endian, bom);
                assert_eq!(decode(&bytes), Err(TextError::Utf16), "{big_endian} {bom}");
            }
        }
        let seed = utf16(SEED, false, false);
        assert_eq!(decode(&seed), Err(TextError::Utf16));
    }

    #[test]
    fn pdf_is_a_pdf_even_without_nul_bytes() {
        assert_eq!(
            decode(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"),
            Err(TextError::Pdf)
        );
        // Text that merely mentions %PDF- later is text.
        assert!(decode(b"Bilaga: %PDF-1.4").is_ok());
        // What PDF readers accept: a BOM or line break before the header,
        // or junk before it in a file that ends as a PDF does.
        for pdf in [
            &b"\xEF\xBB\xBF%PDF-1.4\n1 0 obj\n"[..],
            b"\r\n%PDF-1.4\n1 0 obj\n",
            b"skr\xC3\xA4p\n%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
        ] {
            assert_eq!(decode(pdf), Err(TextError::Pdf), "{pdf:?}");
        }
    }

    /// Text with the block heading in mid-text, then more content.
    const MID: &str = "Förslag till beslut\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNämnden beslutar att avslå.\n";

    #[test]
    fn a_heading_in_mid_text_is_content() {
        assert_eq!(
            canonical_text(MID),
            "Förslag till beslut Detta dokument har godkänts digitalt av följande personer: Nämnden beslutar att avslå."
        );
        // text-v1 cut it, which is the hole v2 closes.
        assert_eq!(canonical_text_v1(MID), "Förslag till beslut");
        // Removing or replacing the tail changes the v2 text.
        let cut = "Förslag till beslut\n";
        let replaced = MID.replace("avslå", "bifalla");
        assert_ne!(canonical_text(cut), canonical_text(MID));
        assert_ne!(canonical_text(&replaced), canonical_text(MID));
        // The document plus its official block has the document's own text.
        let attested = format!("{MID}\n{}", block::render(&[]));
        assert_eq!(canonical_text(&attested), canonical_text(MID));
        assert_eq!(
            v1_of_body(&attested).as_deref(),
            Some("Förslag till beslut")
        );
        assert_eq!(v1_of_body(SEED), None);
    }

    #[test]
    fn only_the_blocks_own_lines_may_follow_the_heading() {
        let block = "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t2020-11-09\n";
        let body = "Förslag till beslut\n\n";
        assert_eq!(
            canonical_text(&format!("{body}{block}")),
            "Förslag till beslut"
        );
        // A wrong date or a missing role is still a (broken) row of the block.
        for row in [
            "Maria, Chef\t2020-13-01",
            "Maria Chef\t2020-11-09",
            "Maria, Chef 9/11/2020",
        ] {
            let doc = format!("{body}{block}{row}\n");
            assert_eq!(canonical_text(&doc), "Förslag till beslut", "{row:?}");
        }
        // Anything else after the heading is content.
        for tail in [
            "Text som lagts till efteråt.",
            "Attesterat av",
            "Maria, Chef",
        ] {
            let doc = format!("{body}{block}{tail}\n");
            assert!(canonical_text(&doc).ends_with(tail), "{tail:?}");
        }
    }

    proptest! {
        #[test]
        fn utf16_of_any_latin_text_is_utf16(s in "[a-zåäöA-ZÅÄÖ0-9 .,\n]{4,200}", be in any::<bool>()) {
            prop_assert_eq!(decode(&utf16(&s, be, false)), Err(TextError::Utf16));
        }

        #[test]
        fn canonical_text_is_idempotent(s in any::<String>()) {
            let once = canonical_text(&s);
            prop_assert_eq!(canonical_text(&once), once.clone());
            prop_assert!(!once.contains("  "));
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.chars().any(|c| c.is_whitespace() && c != ' '));
        }

        #[test]
        fn the_fast_path_equals_the_reference_on_any_string(s in any::<String>()) {
            prop_assert_eq!(normalize(&s), normalize_reference(&s));
        }

        #[test]
        fn the_fast_path_equals_the_reference_on_text_like_input(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zåäöA-ZÅÄÖ0-9 .,]{1,8}", "[a-z]{1,3}",
                    Just(" ".to_string()), Just("  ".to_string()), Just("\n\t".to_string()),
                    Just("\r\n".to_string()), Just("\u{85}".to_string()),
                    Just("\u{2028}".to_string()), Just("\u{A0}".to_string()),
                    Just("\u{3000}".to_string()), Just("\u{2000}".to_string()),
                    Just("\u{301}".to_string()), Just("\u{30A}".to_string()),
                    Just("\u{308}".to_string()), Just("\u{323}".to_string()),
                    Just("\u{591}".to_string()), Just("\u{5B0}".to_string()),
                    Just("\u{AD}".to_string()), Just("\u{200B}".to_string()),
                    Just("\u{FEFF}".to_string()), Just("a\u{AD}\u{30A}".to_string()),
                    Just("\u{212B}".to_string()), Just("\u{212A}".to_string()),
                    Just("\u{344}".to_string()), Just("\u{1100}\u{1161}".to_string()),
                    Just("\u{11A8}".to_string()), Just("\u{B47}".to_string()),
                    Just("\u{B3E}".to_string()), Just("\u{E0041}".to_string()),
                    Just("e\u{301}".to_string()), Just("\u{E9}".to_string()),
                ],
                0..40,
            )
        ) {
            let s: String = parts.concat();
            prop_assert_eq!(normalize(&s), normalize_reference(&s));
        }

        #[test]
        fn idempotent_on_text_like_input(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zåäöA-ZÅÄÖ0-9.,:/-]{1,12}",
                    Just(" ".to_string()), Just("\n".to_string()), Just("\r\n".to_string()),
                    Just("\t".to_string()), Just("\u{A0}".to_string()), Just("\u{AD}".to_string()),
                    Just("\u{200B}".to_string()), Just("\u{FEFF}".to_string()),
                    Just("\u{301}".to_string()), Just("\u{202E}".to_string()),
                    Just(block::HEADING.to_string()), Just(block::INTRO.to_string()),
                ],
                0..40,
            )
        ) {
            let s: String = parts.concat();
            let once = canonical_text(&s);
            prop_assert_eq!(canonical_text(&once), once.clone());
            let v1 = canonical_text_v1(&s);
            prop_assert_eq!(canonical_text_v1(&v1), v1.clone());
            // v2 never cuts more than v1 did.
            prop_assert!(once.len() >= v1.len());
            prop_assert!(!once.contains("  "));
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            let crlf = s.replace("\r\n", "\n").replace('\n', "\r\n");
            prop_assert_eq!(canonical_text(&crlf), once);
        }

        #[test]
        fn one_scan_gives_what_separate_passes_give(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zåäöA-ZÅÄÖ0-9.,:/-]{1,12}",
                    Just(" ".to_string()), Just("\n".to_string()), Just("\r\n".to_string()),
                    Just("\u{AD}".to_string()), Just("\u{301}".to_string()),
                    Just(block::HEADING.to_string()), Just(block::INTRO.to_string()),
                    Just("Namn\tDatum\n".to_string()), Just("Anna, Chef\t2020-11-09\n".to_string()),
                ],
                0..40,
            )
        ) {
            let s: String = parts.concat();
            let texts = texts(&s);
            prop_assert_eq!(texts.body, block::split(&s).0);
            prop_assert_eq!(&texts.v2, &canonical_text(&s));
            // v1_of_body as it was defined: v1 of the body, unless it is v2.
            let v1 = canonical_text_v1(block::split(&s).0);
            let want = (!v1.is_empty() && v1 != canonical_text(&s)).then_some(v1);
            prop_assert_eq!(texts.v1, want);
        }

        #[test]
        fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}

//! The attestation block at the end of a document: rendered exactly in the
//! form municipal documents already use, parsed leniently because it is
//! plain text that people copy, re-type and save with other editors.
//!
//! ```text
//! Attesterat av
//!
//! Detta dokument har godkänts digitalt av följande personer:
//!
//! Namn<TAB>Datum
//! Maria Mathiasson Laxvik, Stadsdelsdirektör<TAB>2020-11-09
//! ```

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::canonical::{is_ascii_space, normalize, normalize_into};
use super::lines::{line_break_before, line_end, line_start, lines, truncate_chars};

/// First line of the block.
pub const HEADING: &str = "Attesterat av";

/// Line that identifies the block; the heading above it is optional when
/// reading.
pub const INTRO: &str = "Detta dokument har godkänts digitalt av följande personer:";

/// Header of the table of approvals (its columns are separated by a tab).
const TABLE_HEADER: &str = "Namn\tDatum";

/// Longest line text quoted in an error message, in characters.
const MAX_QUOTE: usize = 120;

/// One approval as the block shows it: `Name, Role<TAB>YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRow {
    /// Full name, possibly with several parts (and even commas).
    pub name: String,
    /// Role (title); in the text it is what follows the last comma.
    pub role: String,
    /// Date of the approval in Europe/Stockholm time.
    pub date: Date,
}

/// Why a block could not be read. Line numbers count from 1 at the first
/// line of the block text given to [`parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The document has no line "Detta dokument har godkänts digitalt av
    /// följande personer:".
    #[error("no approval block")]
    Missing,
    /// The table header "Namn Datum" is missing.
    #[error("block lacks the table header")]
    MissingHeader,
    /// A line before the table header that is neither the heading nor the
    /// introduction.
    #[error("block line {line} does not belong there: {text:?}")]
    UnexpectedLine {
        /// Line number within the block.
        line: usize,
        /// The line, trimmed (and shortened if long).
        text: String,
    },
    /// A row that does not end in a date, or has nothing before it.
    #[error("block line {line} is not a row: {text:?}")]
    MalformedRow {
        /// Line number within the block.
        line: usize,
        /// The line, trimmed (and shortened if long).
        text: String,
    },
    /// A row without a comma between name and role, or with nothing after
    /// the last comma.
    #[error("block line {line} has no role")]
    MissingRole {
        /// Line number within the block.
        line: usize,
    },
    /// A row with nothing before the comma.
    #[error("block line {line} has no name")]
    EmptyName {
        /// Line number within the block.
        line: usize,
    },
    /// A row whose date is not a real date in the form YYYY-MM-DD.
    #[error("block line {line} has an invalid date {text:?}")]
    InvalidDate {
        /// Line number within the block.
        line: usize,
        /// The date as written.
        text: String,
    },
    /// The table has no rows.
    #[error("block has no rows")]
    NoRows,
}

impl BlockError {
    /// Stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            BlockError::Missing => "block_missing",
            BlockError::MissingHeader => "block_missing_header",
            BlockError::UnexpectedLine { .. } => "block_unexpected_line",
            BlockError::MalformedRow { .. } => "block_malformed_row",
            BlockError::MissingRole { .. } => "block_missing_role",
            BlockError::EmptyName { .. } => "block_empty_name",
            BlockError::InvalidDate { .. } => "block_invalid_date",
            BlockError::NoRows => "block_no_rows",
        }
    }
}

/// Renders the block for `rows` (oldest first), with '\n' line endings and
/// a final '\n' after the last row; with no rows it ends after the table
/// header.
///
/// Name and role are written as [`parse`] would read them back (NFC, white
/// space runs as one space, trimmed), so a name can never break the block
/// into extra lines. A role that contains a comma does not survive a round
/// trip: [`parse`] takes the role to be what follows the last comma.
pub fn render(rows: &[BlockRow]) -> String {
    let mut out = format!("{HEADING}\n\n{INTRO}\n\n{TABLE_HEADER}\n");
    for row in rows {
        out.push_str(&normalize(&row.name));
        out.push_str(", ");
        out.push_str(&normalize(&row.role));
        out.push('\t');
        out.push_str(&format_date(row.date));
        out.push('\n');
    }
    out
}

/// Returns the byte offset in `text` where the block starts (rule of
/// `text-v2`): the start of the last line that reads [`INTRO`], or of the
/// line above it if the closest non-blank line above reads [`HEADING`] —
/// but only if every non-blank line after [`INTRO`] is one of the block's
/// own lines: the table header "Namn Datum" or a row (a line ending in a
/// date-like token, see [`is_row_shaped`]). A heading followed by anything
/// else is content, so no copy can be shortened behind it.
///
/// Lines are compared in canonical form (NFC, white space collapsed and
/// trimmed, soft hyphens and zero width spaces removed), so CR LF, spaces
/// around the text and no-break spaces do not hide the block. Returns
/// `None` if there is no such block.
pub fn find(text: &str) -> Option<usize> {
    let at = find_v1(text)?;
    block_at(text, at).then_some(at)
}

/// Whether every non-blank line after [`INTRO`] in `text[at..]` is one of
/// the block's own lines (see [`find`]).
fn block_at(text: &str, at: usize) -> bool {
    let Some(tail) = text.get(at..) else {
        return false;
    };
    let mut after_intro = lines(tail)
        .map(|(_, line)| normalize(line))
        .skip_while(|line| line != INTRO)
        .skip(1);
    after_intro.all(|line| line.is_empty() || is_table_header(&line) || is_row_shaped(&line))
}

/// The block finder of `text-v1`, kept to verify documents registered
/// under it: the last line that reads [`INTRO`] (or the [`HEADING`] line
/// above it), whatever follows.
pub fn find_v1(text: &str) -> Option<usize> {
    candidates(text).0
}

/// Where `text-v1` would cut `text`, and where it would cut the text
/// before that cut: the starts of the last two blocks by [`find_v1`].
///
/// Only a line with a colon can read [`INTRO`] (no character but ':' has
/// one in its canonical decomposition, a test checks), so only those lines
/// are looked at, and the line above each one that does read it.
fn candidates(text: &str) -> (Option<usize>, Option<usize>) {
    let (mut last, mut before_last) = (None, None);
    let mut buf = String::new();
    let mut from = 0;
    while let Some(colon) = text.get(from..).and_then(|rest| rest.find(':')) {
        let start = line_start(text, from + colon);
        let rest = text.get(start..).unwrap_or_default();
        let (end, next) = line_end(rest.as_bytes());
        if kind(rest.get(..end).unwrap_or_default(), &mut buf) == Kind::Intro {
            before_last = last;
            last = Some(block_start(text, start, &mut buf));
        }
        from = start + next;
    }
    (last, before_last)
}

/// Where the block whose [`INTRO`] line starts at `intro` starts: at the
/// closest non-blank line above it if that reads [`HEADING`], else at
/// `intro`.
fn block_start(text: &str, intro: usize, buf: &mut String) -> usize {
    let mut next = intro;
    while let Some(end) = line_break_before(text, next) {
        let start = line_start(text, end);
        match kind(text.get(start..end).unwrap_or_default(), buf) {
            Kind::Blank => next = start,
            Kind::Heading => return start,
            Kind::Intro | Kind::Other => return intro,
        }
    }
    intro
}

/// What a line is to the block finder, in canonical form.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Blank,
    Heading,
    Intro,
    Other,
}

/// Tells what `line` is in canonical form, normalizing it (into `buf`)
/// only when its leading ASCII cannot tell: most lines differ from both
/// [`HEADING`] and [`INTRO`] in their first letters.
fn kind(line: &str, buf: &mut String) -> Kind {
    let bytes = line.as_bytes();
    match bytes.iter().position(|&b| !is_ascii_space(b)) {
        None => return Kind::Blank,
        Some(first) if bytes.get(first).is_some_and(u8::is_ascii) => {
            let rest = bytes.get(first..).unwrap_or_default();
            if differs(rest, HEADING.as_bytes()) && differs(rest, INTRO.as_bytes()) {
                return Kind::Other;
            }
        }
        Some(_) => {}
    }
    normalize_into(line, buf);
    match buf.as_str() {
        "" => Kind::Blank,
        HEADING => Kind::Heading,
        INTRO => Kind::Intro,
        _ => Kind::Other,
    }
}

/// Whether a line that starts (after ASCII white space) with `line`, an
/// ASCII character that is not white space, surely does not read `target`
/// in canonical form. Only ASCII is compared: an ASCII character followed
/// by ASCII is final (only a non-ASCII character can combine with it, and
/// what it combines into is not ASCII); at the first non-ASCII byte on
/// either side the answer is "maybe equal".
fn differs(line: &[u8], target: &[u8]) -> bool {
    let (mut i, mut k) = (0, 0);
    loop {
        // The next byte of the canonical line, as far as ASCII tells.
        let next = match line.get(i) {
            None => return k != target.len(),
            Some(b) if !b.is_ascii() => return false,
            Some(&b) if is_ascii_space(b) => {
                while line.get(i).copied().is_some_and(is_ascii_space) {
                    i += 1;
                }
                match line.get(i) {
                    // White space at the end is trimmed.
                    None => return k != target.len(),
                    Some(b) if !b.is_ascii() => return false,
                    Some(_) => b' ',
                }
            }
            Some(&b) => {
                i += 1;
                b
            }
        };
        match target.get(k) {
            None => return true,
            Some(t) if !t.is_ascii() => return false,
            Some(&t) if t != next => return true,
            Some(_) => k += 1,
        }
    }
}

/// [`split`], and where [`find_v1`] would cut the body it returns: what
/// reading a copy needs, from one scan of its lines.
pub(crate) fn split_with_v1(text: &str) -> ((&str, Option<&str>), Option<usize>) {
    let (last, before_last) = candidates(text);
    match last {
        // The blocks before the last one are all in the body.
        Some(at) if block_at(text, at) => (split_at(text, Some(at)), before_last),
        _ => ((text, None), last),
    }
}

/// Whether a canonical line is the table header "Namn Datum" (any case).
fn is_table_header(line: &str) -> bool {
    line.to_lowercase() == "namn datum"
}

/// Whether a canonical line has the shape of a block row: something, then
/// a last token that is or looks like a date. Rows with a wrong date or no
/// role still count, so that [`parse`] can name the mistake.
fn is_row_shaped(line: &str) -> bool {
    line.rsplit_once(' ')
        .is_some_and(|(_, token)| !matches!(parse_date(token), DateToken::NotADate))
}

/// Splits `text` into the body before the block and the block itself (from
/// its first line to the end), or the whole text and `None` if it has no
/// block (rule of `text-v2`, see [`find`]).
pub fn split(text: &str) -> (&str, Option<&str>) {
    split_at(text, find(text))
}

/// [`split`] with the finder of `text-v1` ([`find_v1`]).
pub fn split_v1(text: &str) -> (&str, Option<&str>) {
    split_at(text, find_v1(text))
}

pub(crate) fn split_at(text: &str, at: Option<usize>) -> (&str, Option<&str>) {
    match at {
        Some(at) => match (text.get(..at), text.get(at..)) {
            (Some(body), Some(block)) => (body, Some(block)),
            _ => (text, None),
        },
        None => (text, None),
    }
}

/// Finds the block in a whole document and parses it.
pub fn read(text: &str) -> Result<Vec<BlockRow>, BlockError> {
    match split(text) {
        (_, Some(block)) => parse(block),
        (_, None) => Err(BlockError::Missing),
    }
}

/// Parses a block's text (as returned by [`split`]) into its rows.
///
/// Lenient where people and editors differ: any line endings, blank lines,
/// the heading and introduction lines optional, spaces around lines, a tab,
/// several spaces or a single space before the date, names with several
/// parts. Strict where meaning is at stake: the "Namn Datum" header is
/// required, every line after it must be a row, every row needs a role
/// (after its last comma) and a real date written YYYY-MM-DD.
pub fn parse(block: &str) -> Result<Vec<BlockRow>, BlockError> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for (index, (_, raw)) in lines(block).enumerate() {
        let number = index + 1;
        let line = normalize(raw);
        if line.is_empty() {
            continue;
        }
        if in_table {
            rows.push(parse_row(number, raw, &line)?);
        } else if is_table_header(&line) {
            in_table = true;
        } else if line != HEADING && line != INTRO {
            return Err(BlockError::UnexpectedLine {
                line: number,
                text: quote(raw),
            });
        }
    }
    if !in_table {
        return Err(BlockError::MissingHeader);
    }
    if rows.is_empty() {
        return Err(BlockError::NoRows);
    }
    Ok(rows)
}

/// Parses one row; `line` is the canonical form of `raw`.
fn parse_row(number: usize, raw: &str, line: &str) -> Result<BlockRow, BlockError> {
    let malformed = || BlockError::MalformedRow {
        line: number,
        text: quote(raw),
    };
    // White space is collapsed, so the date is after the last space.
    let (who, token) = line.rsplit_once(' ').ok_or_else(malformed)?;
    let date = match parse_date(token) {
        DateToken::Valid(date) => date,
        DateToken::Invalid => {
            return Err(BlockError::InvalidDate {
                line: number,
                text: quote(token),
            });
        }
        DateToken::NotADate => return Err(malformed()),
    };
    let (name, role) = who
        .rsplit_once(',')
        .ok_or(BlockError::MissingRole { line: number })?;
    let (name, role) = (name.trim(), role.trim());
    if role.is_empty() {
        return Err(BlockError::MissingRole { line: number });
    }
    if name.is_empty() {
        return Err(BlockError::EmptyName { line: number });
    }
    Ok(BlockRow {
        name: name.to_owned(),
        role: role.to_owned(),
        date,
    })
}

/// What the last token of a row turned out to be.
enum DateToken {
    Valid(Date),
    /// Looks like a date (digits and separators) but is not a real date in
    /// the form YYYY-MM-DD.
    Invalid,
    NotADate,
}

/// Reads exactly `YYYY-MM-DD` with ASCII digits, as a real calendar date.
fn parse_date(token: &str) -> DateToken {
    let b = token.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if shaped {
        return match iso_date(token) {
            Some(date) => DateToken::Valid(date),
            None => DateToken::Invalid,
        };
    }
    let date_like = token.chars().any(|c| c.is_ascii_digit())
        && token.chars().any(|c| matches!(c, '-' | '.' | '/'))
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '/'));
    if date_like {
        DateToken::Invalid
    } else {
        DateToken::NotADate
    }
}

/// Reads exactly `YYYY-MM-DD` (ASCII digits) as a real calendar date.
pub(crate) fn iso_date(token: &str) -> Option<Date> {
    let b = token.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let number = |from: usize, to: usize| {
        let digits = token.get(from..to)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i16>().ok()
    };
    let (y, m, d) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// Writes a date as YYYY-MM-DD.
fn format_date(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// A line as quoted in an error message: trimmed, and shortened if long.
fn quote(raw: &str) -> String {
    let trimmed = raw.trim();
    let short = truncate_chars(trimmed, MAX_QUOTE);
    if short.len() < trimmed.len() {
        format!("{short}…")
    } else {
        short.to_owned()
    }
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

    fn row(name: &str, role: &str, d: Date) -> BlockRow {
        BlockRow {
            name: name.into(),
            role: role.into(),
            date: d,
        }
    }

    fn seed_block() -> &'static str {
        split(SEED).1.expect("the seed has a block")
    }

    fn table(rows: &str) -> String {
        format!("{HEADING}\n\n{INTRO}\n\nNamn\tDatum\n{rows}")
    }

    #[test]
    fn finds_the_seed_block_at_its_heading() {
        let at = find(SEED).unwrap();
        assert_eq!(Some(at), SEED.rfind("Attesterat av"));
        let (body, block) = split(SEED);
        assert!(body.ends_with("stockholm.se\n\n"));
        assert!(
            block
                .unwrap()
                .starts_with("Attesterat av\n\nDetta dokument")
        );
    }

    #[test]
    fn parses_the_seed_block() {
        let rows = parse(seed_block()).unwrap();
        assert_eq!(
            rows,
            vec![row(
                "Maria Mathiasson Laxvik",
                "Stadsdelsdirektör",
                date(2020, 11, 9)
            )]
        );
        assert_eq!(read(SEED).unwrap(), rows);
    }

    #[test]
    fn renders_the_seed_block_byte_for_byte() {
        // The seed has no newline after its last row; render always ends
        // with one.
        let rendered = render(&parse(seed_block()).unwrap());
        assert!(rendered.ends_with('\n'));
        assert_eq!(rendered.strip_suffix('\n'), Some(seed_block()));
    }

    #[test]
    fn renders_zero_rows_as_header_only() {
        assert_eq!(
            render(&[]),
            "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\n"
        );
        assert_eq!(parse(&render(&[])), Err(BlockError::NoRows));
    }

    #[test]
    fn round_trips_several_rows() {
        let rows = vec![
            row("Patricia Hamberg", "Handläggare", date(2020, 11, 2)),
            row(
                "Anna-Karin Svensson Berg",
                "Avdelningschef",
                date(2020, 11, 5),
            ),
            row(
                "Maria Mathiasson Laxvik",
                "Stadsdelsdirektör",
                date(2020, 11, 9),
            ),
            row("Berg, Anna", "Rektor", date(2024, 2, 29)),
        ];
        let text = render(&rows);
        assert_eq!(parse(&text).unwrap(), rows);
        let doc = format!("Brödtext.\n\n{text}");
        assert_eq!(read(&doc).unwrap(), rows);
        assert_eq!(split(&doc).0, "Brödtext.\n\n");
    }

    #[test]
    fn role_is_after_the_last_comma() {
        let text =
            table("Anna-Karin Svensson Berg, biträdande avdelningschef, förskola\t2021-03-01\n");
        let rows = parse(&text).unwrap();
        assert_eq!(
            rows,
            vec![row(
                "Anna-Karin Svensson Berg, biträdande avdelningschef",
                "förskola",
                date(2021, 3, 1)
            )]
        );
        // So a role with a comma does not round-trip.
        let written = row(
            "Anna-Karin Svensson Berg",
            "biträdande avdelningschef, förskola",
            date(2021, 3, 1),
        );
        assert_eq!(parse(&render(&[written])).unwrap(), rows);
    }

    #[test]
    fn lenient_forms_parse_alike() {
        let want = vec![
            row(
                "Maria Mathiasson Laxvik",
                "Stadsdelsdirektör",
                date(2020, 11, 9),
            ),
            row("Anna Berg", "Avdelningschef", date(2020, 11, 10)),
        ];
        let variants = [
            // CRLF and spaces instead of tabs.
            "Attesterat av\r\n\r\nDetta dokument har godkänts digitalt av följande personer:\r\n\r\nNamn    Datum\r\nMaria Mathiasson Laxvik, Stadsdelsdirektör    2020-11-09\r\nAnna Berg, Avdelningschef  2020-11-10\r\n",
            // Trailing spaces, blank lines, a single space before the date.
            "Attesterat av  \n\n  Detta dokument har godkänts digitalt av följande personer:  \n\n\nNamn\tDatum  \n\nMaria  Mathiasson\tLaxvik ,  Stadsdelsdirektör 2020-11-09  \n\n\nAnna Berg,Avdelningschef\t\t2020-11-10\n\n",
            // No heading, no-break spaces, NFD, CR only.
            "Detta\u{A0}dokument har godk\u{61}\u{308}nts digitalt av följande personer:\rNamn\u{A0}Datum\rMaria Mathiasson Laxvik, Stadsdelsdirekto\u{308}r\u{A0}2020-11-09\rAnna Berg, Avdelningschef\t2020-11-10",
            // Just the table.
            "Namn\tDatum\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t2020-11-09\nAnna Berg, Avdelningschef\t2020-11-10",
        ];
        for v in variants {
            assert_eq!(parse(v), Ok(want.clone()), "{v:?}");
        }
    }

    #[test]
    fn find_is_lenient_and_takes_the_last_block() {
        let doc = "Text\r\n  Attesterat\u{A0}av \r\n\r\n Detta dokument har godkänts digitalt av  följande personer: \r\nNamn\tDatum\r\n";
        assert_eq!(find(doc), Some(6));
        // Without heading the block starts at the introduction.
        let doc =
            "Text\nNågot annat\n\nDetta dokument har godkänts digitalt av följande personer:\n";
        assert_eq!(find(doc), doc.find("Detta"));
        // A quoted block in the body is not the block.
        let doc = format!("Exempel:\n{}\nMer text.\n{}", render(&[]), render(&[]));
        let (body, block) = split(&doc);
        assert!(body.contains("Mer text."));
        assert_eq!(block, Some(render(&[]).as_str()));
        assert_eq!(find("Ingen attestering här.\nAttesterat av\n"), None);
        assert_eq!(find(""), None);
        assert_eq!(split("abc"), ("abc", None));
        assert_eq!(read("abc"), Err(BlockError::Missing));
    }

    #[test]
    fn errors_name_the_line() {
        let cases: Vec<(String, BlockError)> = vec![
            (
                format!("{HEADING}\n{INTRO}\nMaria, Chef\t2020-01-01\n"),
                BlockError::UnexpectedLine {
                    line: 3,
                    text: "Maria, Chef\t2020-01-01".into(),
                },
            ),
            (format!("{HEADING}\n\n{INTRO}\n"), BlockError::MissingHeader),
            (String::new(), BlockError::MissingHeader),
            (table(""), BlockError::NoRows),
            (table("\n\n  \n"), BlockError::NoRows),
            (
                table("Maria Mathiasson Laxvik Stadsdelsdirektör\t2020-11-09\n"),
                BlockError::MissingRole { line: 6 },
            ),
            (
                table("Maria Mathiasson Laxvik,\t2020-11-09\n"),
                BlockError::MissingRole { line: 6 },
            ),
            (
                table(", Chef\t2020-11-09\n"),
                BlockError::EmptyName { line: 6 },
            ),
            (
                table("Maria, Chef\t2020-02-30\n"),
                BlockError::InvalidDate {
                    line: 6,
                    text: "2020-02-30".into(),
                },
            ),
            (
                table("Maria, Chef\t2020-13-01\n"),
                BlockError::InvalidDate {
                    line: 6,
                    text: "2020-13-01".into(),
                },
            ),
            (
                table("Maria, Chef\t9/11/2020\n"),
                BlockError::InvalidDate {
                    line: 6,
                    text: "9/11/2020".into(),
                },
            ),
            (
                table("Maria, Chef\t2020-11-09\nAnna, Chef\t2020-1-9\n"),
                BlockError::InvalidDate {
                    line: 7,
                    text: "2020-1-9".into(),
                },
            ),
            (
                table("Maria, Chef\n"),
                BlockError::MalformedRow {
                    line: 6,
                    text: "Maria, Chef".into(),
                },
            ),
            (
                table("2020-11-09\n"),
                BlockError::MalformedRow {
                    line: 6,
                    text: "2020-11-09".into(),
                },
            ),
            (
                table("Maria, Chef\t2020-11-09\nText som lagts till efteråt.\n"),
                BlockError::MalformedRow {
                    line: 7,
                    text: "Text som lagts till efteråt.".into(),
                },
            ),
            (
                table("Maria, Chef\t２０２０-１１-０９\n"),
                BlockError::MalformedRow {
                    line: 6,
                    text: "Maria, Chef\t２０２０-１１-０９".into(),
                },
            ),
        ];
        for (text, want) in cases {
            let got = parse(&text);
            assert_eq!(got, Err(want.clone()), "{text:?}");
            assert!(!want.to_string().is_empty());
        }
    }

    #[test]
    fn error_codes_are_stable() {
        let cases = [
            (BlockError::Missing, "block_missing"),
            (BlockError::MissingHeader, "block_missing_header"),
            (
                BlockError::UnexpectedLine {
                    line: 1,
                    text: "x".into(),
                },
                "block_unexpected_line",
            ),
            (
                BlockError::MalformedRow {
                    line: 1,
                    text: "x".into(),
                },
                "block_malformed_row",
            ),
            (BlockError::MissingRole { line: 1 }, "block_missing_role"),
            (BlockError::EmptyName { line: 1 }, "block_empty_name"),
            (
                BlockError::InvalidDate {
                    line: 1,
                    text: "x".into(),
                },
                "block_invalid_date",
            ),
            (BlockError::NoRows, "block_no_rows"),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code);
        }
        assert!(
            BlockError::InvalidDate {
                line: 4,
                text: "2020-02-30".into()
            }
            .to_string()
            .contains("line 4")
        );
    }

    #[test]
    fn long_lines_are_quoted_short() {
        let long = "x".repeat(1000);
        match parse(&table(&long)) {
            Err(BlockError::MalformedRow { text, .. }) => {
                assert!(text.chars().count() <= MAX_QUOTE + 1)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn render_keeps_rows_on_one_line() {
        let rows = [row(
            " Maria\nMathiasson ",
            "Chef\r\n\tmed ansvar",
            date(2020, 1, 2),
        )];
        let text = render(&rows);
        assert!(text.ends_with("Namn\tDatum\nMaria Mathiasson, Chef med ansvar\t2020-01-02\n"));
    }

    #[test]
    fn serializes_dates_as_iso() {
        let json = serde_json::to_string(&row("A", "B", date(2020, 11, 9))).unwrap();
        assert_eq!(json, r#"{"name":"A","role":"B","date":"2020-11-09"}"#);
    }

    /// The block finder of `text-v1` the straightforward way: every line
    /// normalized and compared. [`find_v1`] must agree with it.
    fn find_v1_reference(text: &str) -> Option<usize> {
        let mut found = None;
        let mut previous: Option<(usize, bool)> = None;
        for (start, line) in lines(text) {
            let canonical = normalize(line);
            if canonical.is_empty() {
                continue;
            }
            if canonical == INTRO {
                found = Some(match previous {
                    Some((heading_start, true)) => heading_start,
                    _ => start,
                });
            }
            previous = Some((start, canonical == HEADING));
        }
        found
    }

    #[test]
    fn only_a_colon_decomposes_to_a_colon() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut colon = false;
            unicode_normalization::char::decompose_canonical(c, |d| colon |= d == ':');
            assert!(!colon || c == ':', "{c:?}");
        }
    }

    #[test]
    fn lines_like_the_heading_are_told_apart() {
        for (line, kind_of) in [
            ("", Kind::Blank),
            (" \t ", Kind::Blank),
            ("\u{AD}\u{A0}", Kind::Blank),
            ("Attesterat av", Kind::Heading),
            ("  Attesterat \t av  ", Kind::Heading),
            ("Attesterat\u{A0}av", Kind::Heading),
            ("Attesterat a\u{AD}v", Kind::Heading),
            ("Attesterat avv", Kind::Other),
            ("Attesterat a", Kind::Other),
            ("Attesterat a\u{301}v", Kind::Other),
            ("Attesterat", Kind::Other),
            (INTRO, Kind::Intro),
            (
                "Detta dokument har godka\u{308}nts digitalt av följande personer:",
                Kind::Intro,
            ),
            (
                "Detta dokument har godkants digitalt av följande personer:",
                Kind::Other,
            ),
            ("Detta  dokument", Kind::Other),
            (
                "\u{FEFF}Detta dokument har godkänts digitalt av följande personer:",
                Kind::Intro,
            ),
            ("0. Detta", Kind::Other),
        ] {
            assert_eq!(kind(line, &mut String::new()), kind_of, "{line:?}");
        }
    }

    fn name_part() -> impl Strategy<Value = String> {
        "[A-ZÅÄÖ][a-zåäöé-]{0,10}( [A-ZÅÄÖ][a-zåäöé]{0,10}){0,3}"
    }

    proptest! {
        #[test]
        fn render_parse_round_trip(
            entries in prop::collection::vec(
                (name_part(), prop::option::of(name_part()), "[A-Za-zåäöÅÄÖ][a-zåäö ]{0,20}[a-zåäö]", 1i16..=9999, 1i8..=12, 1i8..=28),
                1..6,
            )
        ) {
            let rows: Vec<BlockRow> = entries
                .into_iter()
                .map(|(name, extra, role, y, m, d)| BlockRow {
                    name: match extra { Some(e) => format!("{name}, {e}"), None => name },
                    role: normalize(&role),
                    date: Date::new(y, m, d).unwrap(),
                })
                .collect();
            prop_assert_eq!(parse(&render(&rows)), Ok(rows.clone()));
            let doc = format!("Text.\r\n{}", render(&rows).replace('\n', "\r\n"));
            prop_assert_eq!(read(&doc), Ok(rows));
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = parse(&s);
            let (body, block) = split(&s);
            prop_assert_eq!(body.len() + block.map_or(0, str::len), s.len());
        }

        #[test]
        fn the_finder_equals_the_reference(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zA-ZåäöÅÄÖ0-9 ,.:/\t-]{0,12}", "[AD][a-z ]{0,3}",
                    Just("\n".to_string()), Just("\r\n".to_string()), Just("\r".to_string()),
                    Just("\u{85}".to_string()), Just("\u{2028}".to_string()),
                    Just(HEADING.to_string()), Just(INTRO.to_string()),
                    Just("Attesterat".to_string()), Just("Detta dokument".to_string()),
                    Just("Namn\tDatum".to_string()), Just("\t2020-11-09".to_string()),
                    Just("\u{A0}".to_string()), Just("\u{AD}".to_string()),
                    Just("\u{FEFF}".to_string()), Just("\u{301}".to_string()),
                    Just("\u{308}".to_string()), Just("  ".to_string()),
                ],
                0..30,
            )
        ) {
            let s: String = parts.concat();
            prop_assert_eq!(find_v1(&s), find_v1_reference(&s));
            let both = split_with_v1(&s);
            prop_assert_eq!(both.0, split(&s));
            prop_assert_eq!(both.1, find_v1(split(&s).0));
        }

        #[test]
        fn the_finder_equals_the_reference_on_any_string(s in any::<String>()) {
            prop_assert_eq!(find_v1(&s), find_v1_reference(&s));
        }

        #[test]
        fn never_panics_on_block_like_text(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zA-ZåäöÅÄÖ0-9 ,.:/\t-]{0,30}",
                    Just("\n".to_string()), Just("\r\n".to_string()), Just("\r".to_string()),
                    Just(HEADING.to_string()), Just(INTRO.to_string()),
                    Just("Namn\tDatum".to_string()), Just("\t2020-11-09".to_string()),
                    Just("2020-02-30".to_string()), Just("\u{A0}".to_string()),
                ],
                0..30,
            )
        ) {
            let s: String = parts.concat();
            if let Ok(rows) = read(&s) {
                prop_assert!(!rows.is_empty());
                prop_assert_eq!(parse(&render(&rows)), Ok(rows));
            }
        }
    }
}

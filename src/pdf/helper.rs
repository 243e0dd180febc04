//! The helper's side: `attestera pdf-helper` reads one request on stdin,
//! does it and writes the answer on stdout. It runs under the limits the
//! service set ([`super::sandbox`]); it trusts nothing it reads.
//!
//! The protocol, one request and one answer per process:
//! - request: one line of JSON ([`Request`]), then exactly `len` bytes,
//!   the PDF;
//! - answer: one line of JSON ([`Answer`]): the facts, or an error, or for
//!   `attest` the length of the PDF that follows the line.
//!
//! The helper exits 0 after a complete answer (an error answer too), 2 on
//! a request it cannot read. A panic (lopdf may panic on hostile input)
//! exits 101 without an answer, and the service reports a limit.

use std::io::{BufRead, BufReader, Read, Write};

use serde::{Deserialize, Serialize};

use super::{PdfError, PdfFacts, extract, inspect};

/// Longest request line (the block is in it).
const MAX_REQUEST_LINE: u64 = 1024 * 1024;

/// What the service asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Request {
    /// Read the PDF's pages and facts; with `prefix`, also whether the
    /// file only appends pages to its first `prefix` bytes.
    Read {
        len: u64,
        prefix: Option<u64>,
        max_pages: u32,
        max_output: u64,
    },
    /// The attested PDF.
    Attest {
        len: u64,
        block: String,
        max_pages: u32,
    },
}

/// What the helper answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Answer {
    Facts(PdfFacts),
    /// The attested PDF, `len` bytes, follows the line.
    Pdf {
        len: u64,
    },
    Error(WireError),
}

/// A [`PdfError`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireError {
    pub code: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub pages: Option<u32>,
    #[serde(default)]
    pub max: Option<u64>,
}

impl From<&PdfError> for WireError {
    fn from(e: &PdfError) -> Self {
        let (detail, pages, max) = match e {
            PdfError::Damaged(d) | PdfError::Limit(d) | PdfError::Unavailable(d) => {
                (d.clone(), None, None)
            }
            PdfError::TooLarge { max } => (String::new(), None, Some(*max)),
            PdfError::TooManyPages { pages, max } => {
                (String::new(), Some(*pages), Some(u64::from(*max)))
            }
            PdfError::Unprintable(c) => (c.to_string(), None, None),
            PdfError::NotPdf | PdfError::Encrypted | PdfError::BlockTooWide => {
                (String::new(), None, None)
            }
        };
        WireError {
            code: e.code().to_owned(),
            detail,
            pages,
            max,
        }
    }
}

impl From<WireError> for PdfError {
    fn from(w: WireError) -> Self {
        let max32 = w.max.and_then(|m| u32::try_from(m).ok()).unwrap_or(0);
        match w.code.as_str() {
            "not_pdf" => PdfError::NotPdf,
            "pdf_encrypted" => PdfError::Encrypted,
            "pdf_damaged" => PdfError::Damaged(w.detail),
            "pdf_too_large" => PdfError::TooLarge {
                max: w.max.unwrap_or(0),
            },
            "pdf_too_many_pages" => PdfError::TooManyPages {
                pages: w.pages.unwrap_or(0),
                max: max32,
            },
            "pdf_limit" => PdfError::Limit(w.detail),
            "pdf_block_too_wide" => PdfError::BlockTooWide,
            "pdf_unprintable_character" => match w.detail.chars().collect::<Vec<_>>()[..] {
                [c] => PdfError::Unprintable(c),
                _ => PdfError::Unavailable("the helper named no character".into()),
            },
            "pdf_unavailable" => PdfError::Unavailable(w.detail),
            other => PdfError::Unavailable(format!("the helper answered an unknown error {other}")),
        }
    }
}

/// Runs the helper; returns the process exit code.
pub fn main() -> i32 {
    let mut input = BufReader::new(std::io::stdin().lock());
    let (request, bytes) = match read_request(&mut input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pdf-helper: {e}");
            return 2;
        }
    };
    let mut out = std::io::stdout().lock();
    let written = match serve(&request, &bytes) {
        Ok(Done::Facts(facts)) => write_answer(&mut out, &Answer::Facts(facts), &[]),
        Ok(Done::Pdf(pdf)) => {
            let len = u64::try_from(pdf.len()).unwrap_or(u64::MAX);
            write_answer(&mut out, &Answer::Pdf { len }, &pdf)
        }
        Err(e) => write_answer(&mut out, &Answer::Error(WireError::from(&e)), &[]),
    };
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pdf-helper: writing the answer: {e}");
            1
        }
    }
}

/// The request line, then exactly the bytes it announces.
fn read_request(input: &mut impl BufRead) -> Result<(Request, Vec<u8>), String> {
    let mut line = Vec::new();
    input
        .take(MAX_REQUEST_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    if line.last() != Some(&b'\n') {
        return Err("no request line".into());
    }
    let request: Request = serde_json::from_slice(&line).map_err(|e| e.to_string())?;
    let len = match &request {
        Request::Read { len, .. } | Request::Attest { len, .. } => *len,
    };
    let mut bytes = Vec::new();
    input
        .take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if u64::try_from(bytes.len()).ok() != Some(len) {
        return Err(format!("announced {len} bytes, got {}", bytes.len()));
    }
    Ok((request, bytes))
}

/// What a request produced.
enum Done {
    Facts(PdfFacts),
    Pdf(Vec<u8>),
}

fn serve(request: &Request, bytes: &[u8]) -> Result<Done, PdfError> {
    match request {
        Request::Read {
            prefix,
            max_pages,
            max_output,
            ..
        } => read(bytes, *prefix, *max_pages, *max_output).map(Done::Facts),
        Request::Attest {
            block, max_pages, ..
        } => super::attest::append_block_page(bytes, block, *max_pages).map(Done::Pdf),
    }
}

/// Inspects, then extracts the pages' text with pdftotext from a private
/// temporary copy (of the artifact-free document where it is tagged).
fn read(
    bytes: &[u8],
    prefix: Option<u64>,
    max_pages: u32,
    max_output: u64,
) -> Result<PdfFacts, PdfError> {
    let mut found = inspect::inspect(bytes, max_pages)?;
    let extractor = extract::extractor()?;
    let file = if found.tagged {
        inspect::remove_artifacts(&mut found.document)?;
        let mut rewritten = Vec::new();
        found
            .document
            .save_to(&mut rewritten)
            .map_err(|e| PdfError::Damaged(format!("rewriting without artifacts: {e}")))?;
        temp_copy(&rewritten)?
    } else {
        temp_copy(bytes)?
    };
    drop(found.document);
    let pages = extract::pages(file.path(), max_output)?;
    let extracted = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if extracted != found.page_count {
        // Two readers that disagree on the pages disagree on the file.
        return Err(PdfError::Damaged(format!(
            "pdftotext found {extracted} pages, the page tree {}",
            found.page_count
        )));
    }
    let exact_attestation = prefix.map(|p| {
        let prefix_len = usize::try_from(p).unwrap_or(usize::MAX);
        super::attest::is_exact_attestation(bytes, prefix_len, &pages, max_pages)
    });
    Ok(PdfFacts {
        pages,
        page_count: found.page_count,
        extractor,
        tagged: found.tagged,
        exact_attestation,
    })
}

/// The bytes in a private temporary file (mode 0600, removed on drop).
fn temp_copy(bytes: &[u8]) -> Result<tempfile::NamedTempFile, PdfError> {
    let limit = |e: std::io::Error| PdfError::Limit(format!("writing a temporary file: {e}"));
    let mut file = tempfile::NamedTempFile::new().map_err(limit)?;
    file.write_all(bytes).map_err(limit)?;
    file.flush().map_err(limit)?;
    Ok(file)
}

/// The answer line, then the payload.
fn write_answer(out: &mut impl Write, answer: &Answer, payload: &[u8]) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, answer)?;
    out.write_all(b"\n")?;
    out.write_all(payload)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_survives_the_wire() {
        let errors = [
            PdfError::NotPdf,
            PdfError::Encrypted,
            PdfError::Damaged("x".into()),
            PdfError::TooLarge { max: 7 },
            PdfError::TooManyPages { pages: 9, max: 3 },
            PdfError::Limit("cpu".into()),
            PdfError::BlockTooWide,
            PdfError::Unprintable('\u{E000}'),
            PdfError::Unavailable("gone".into()),
        ];
        for e in errors {
            let json = serde_json::to_string(&Answer::Error(WireError::from(&e))).unwrap();
            let back: Answer = serde_json::from_str(&json).unwrap();
            let Answer::Error(w) = back else {
                panic!("not an error: {json}")
            };
            assert_eq!(PdfError::from(w), e);
        }
    }

    #[test]
    fn a_request_is_a_line_and_the_announced_bytes() {
        let mut input: &[u8] =
            b"{\"op\":\"read\",\"len\":3,\"prefix\":null,\"max_pages\":5,\"max_output\":9}\nabcdef";
        let (request, bytes) = read_request(&mut input).unwrap();
        assert_eq!(
            request,
            Request::Read {
                len: 3,
                prefix: None,
                max_pages: 5,
                max_output: 9
            }
        );
        assert_eq!(bytes, b"abc");
    }

    #[test]
    fn a_short_body_is_refused() {
        let mut input: &[u8] =
            b"{\"op\":\"attest\",\"len\":10,\"block\":\"b\",\"max_pages\":5}\nabc";
        assert!(read_request(&mut input).is_err());
    }
}

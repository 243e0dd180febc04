//! The structure of a PDF, read with lopdf inside the helper: encryption,
//! damage, page count, tagging and artifacts. (Whether an update after a
//! registered prefix is attestera's own is decided by making it again:
//! `attest::is_exact_attestation`.)
//!
//! What lopdf 0.47 does with the files this module must refuse, and what
//! is done about it:
//! - Encrypted (`qpdf --encrypt u o 256`): the trailer keeps `/Encrypt`
//!   and no object is loaded. With an empty user password lopdf decrypts
//!   every object on load and then *removes* `/Encrypt` from the trailer,
//!   leaving only `Document::encryption_state`. So the trailer is read
//!   first, without loading objects ([`lopdf::Document::load_metadata_mem`]),
//!   and after loading `encryption_state` is checked too.
//! - Truncated or damaged: lopdf's lenient loader rebuilds a broken
//!   cross-reference table by scanning for objects and then loads what it
//!   finds (`Document::xref_recovery`). A file that lost its end is
//!   refused before lopdf sees it (the last non-white bytes must be
//!   `%%EOF`), and a file whose table had to be rebuilt is refused too: a
//!   rebuilt table may hold objects of an older revision, and another
//!   reader (pdftotext) may rebuild it differently. A `startxref` offset
//!   that lopdf found "nearby" (`OffsetCorrected`) is accepted: the table
//!   itself was read as written.

use lopdf::content::{Content, Operation};
use lopdf::xref::XrefRecovery;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::PdfError;

/// Largest decompressed content of one page that artifact removal decodes
/// (the helper's address-space limit is the real bound).
const MAX_PAGE_CONTENT: usize = 256 * 1024 * 1024;

/// What the helper learnt about a readable, unencrypted PDF.
#[derive(Debug)]
pub struct Inspection {
    /// The loaded document.
    pub document: Document,
    /// Pages in the page tree.
    pub page_count: u32,
    /// `/MarkInfo << /Marked true >>` in the catalog.
    pub tagged: bool,
}

/// Checks that `bytes` are a whole, unencrypted PDF with at most
/// `max_pages` pages, and loads it.
pub fn inspect(bytes: &[u8], max_pages: u32) -> Result<Inspection, PdfError> {
    check_frame(bytes)?;
    check_not_encrypted(bytes)?;
    let document = load(bytes)?;
    let page_count = u32::try_from(document.get_pages().len()).unwrap_or(u32::MAX);
    if page_count == 0 {
        return Err(PdfError::Damaged("the page tree has no pages".into()));
    }
    if page_count > max_pages {
        return Err(PdfError::TooManyPages {
            pages: page_count,
            max: max_pages,
        });
    }
    let tagged = is_tagged(&document);
    Ok(Inspection {
        document,
        page_count,
        tagged,
    })
}

/// A PDF header near the start and `%%EOF` at the end (a truncated file
/// has none).
fn check_frame(bytes: &[u8]) -> Result<(), PdfError> {
    if !attestera_core::document::pdf::is_pdf(bytes) {
        return Err(PdfError::NotPdf);
    }
    if !trim_end(bytes).ends_with(b"%%EOF") {
        return Err(PdfError::Damaged(
            "the file does not end with %%EOF (truncated?)".into(),
        ));
    }
    Ok(())
}

/// `bytes` without the white space (PDF's, and NUL) at the end.
fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0'))
        .map_or(0, |i| i.saturating_add(1));
    bytes.get(..end).unwrap_or_default()
}

/// Reads only the cross-reference data and the trailer: `/Encrypt` there
/// means encrypted, before any object is decrypted.
fn check_not_encrypted(bytes: &[u8]) -> Result<(), PdfError> {
    match Document::load_metadata_mem(bytes) {
        Ok(meta) if meta.encrypted => Err(PdfError::Encrypted),
        Ok(_) => Ok(()),
        Err(e) => Err(load_error(e)),
    }
}

/// Loads the whole document, leniently but refusing a rebuilt table, and
/// refuses encryption again (an empty user password hides it).
pub fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    let document = Document::load_mem(bytes).map_err(load_error)?;
    if document.encryption_state.is_some() || document.trailer.has(b"Encrypt") {
        return Err(PdfError::Encrypted);
    }
    if document.xref_recovery == Some(XrefRecovery::Reconstructed) {
        return Err(PdfError::Damaged(
            "the cross-reference table is damaged".into(),
        ));
    }
    Ok(document)
}

/// A decompression bomb lopdf caught is a limit; anything else is damage.
fn load_error(e: lopdf::Error) -> PdfError {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { limit }) => {
            PdfError::Limit(format!("a stream decompresses to more than {limit} bytes"))
        }
        other => PdfError::Damaged(other.to_string()),
    }
}

/// `/MarkInfo << /Marked true >>` in the catalog (either may be indirect).
fn is_tagged(document: &Document) -> bool {
    document
        .catalog()
        .and_then(|c| c.get_deref(b"MarkInfo", document))
        .and_then(Object::as_dict)
        .and_then(|m| m.get_deref(b"Marked", document))
        .and_then(Object::as_bool)
        .unwrap_or(false)
}

/// Removes the text of content marked `/Artifact` (page furniture: running
/// headers, footers, page numbers) from every page's content, each page
/// getting one new content stream. Only what shows text or draws an
/// XObject is removed inside an artifact (`Tj`, `TJ`, `'`, `"`, `Do`); the
/// operators that set the text and graphics state stay, so the text after
/// the artifact is placed as before. `'` and `"` keep their move to the
/// next line. Artifacts inside form XObjects are not looked at.
pub fn remove_artifacts(document: &mut Document) -> Result<(), PdfError> {
    let pages: Vec<ObjectId> = document.get_pages().into_values().collect();
    for page in pages {
        let raw = document
            .get_page_content_with_limit(page, MAX_PAGE_CONTENT)
            .map_err(load_error)?;
        let content = Content::decode(&raw).map_err(|e| PdfError::Damaged(e.to_string()))?;
        let kept = without_artifacts(content.operations);
        let encoded = Content { operations: kept }
            .encode()
            .map_err(|e| PdfError::Damaged(e.to_string()))?;
        let mut stream = Stream::new(Dictionary::new(), encoded);
        // An uncompressed stream is as good, only larger.
        let _ = stream.compress();
        let id = document.add_object(stream);
        let dict = document
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .map_err(|e| PdfError::Damaged(e.to_string()))?;
        dict.set("Contents", Object::Reference(id));
    }
    Ok(())
}

/// The operations with the text shown inside `/Artifact` marked content
/// left out (see [`remove_artifacts`]). Marked content nests; an `EMC`
/// without a `BMC`/`BDC` is kept as it is; an artifact left open runs to
/// the end of the page.
fn without_artifacts(operations: Vec<Operation>) -> Vec<Operation> {
    // For each open marked-content sequence: whether it is (inside) an artifact.
    let mut open: Vec<bool> = Vec::new();
    let mut kept = Vec::with_capacity(operations.len());
    for op in operations {
        let inside = open.last().copied().unwrap_or(false);
        match op.operator.as_str() {
            "BMC" | "BDC" => open.push(inside || is_artifact_tag(&op)),
            "EMC" => {
                open.pop();
            }
            _ => {}
        }
        if !inside {
            kept.push(op);
            continue;
        }
        match op.operator.as_str() {
            "Tj" | "TJ" | "Do" => {}
            "'" => kept.push(Operation::new("T*", vec![])),
            "\"" => {
                let mut operands = op.operands.into_iter();
                if let (Some(aw), Some(ac)) = (operands.next(), operands.next()) {
                    kept.push(Operation::new("Tw", vec![aw]));
                    kept.push(Operation::new("Tc", vec![ac]));
                }
                kept.push(Operation::new("T*", vec![]));
            }
            _ => kept.push(op),
        }
    }
    kept
}

/// `BMC`/`BDC` whose tag (first operand) is `/Artifact`.
fn is_artifact_tag(op: &Operation) -> bool {
    matches!(op.operands.first(), Some(Object::Name(n)) if n == b"Artifact")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(operator: &str, operands: Vec<Object>) -> Operation {
        Operation::new(operator, operands)
    }

    fn operators(ops: &[Operation]) -> Vec<&str> {
        ops.iter().map(|o| o.operator.as_str()).collect()
    }

    #[test]
    fn text_inside_an_artifact_is_dropped_and_the_state_kept() {
        let ops = vec![
            op("BT", vec![]),
            op("BMC", vec![Object::Name(b"Artifact".to_vec())]),
            op("Tf", vec![Object::Name(b"F1".to_vec()), 12.into()]),
            op("Tj", vec![Object::string_literal("Header")]),
            op("EMC", vec![]),
            op("Tj", vec![Object::string_literal("Body")]),
            op("ET", vec![]),
        ];
        let kept = without_artifacts(ops);
        assert_eq!(operators(&kept), ["BT", "BMC", "Tf", "EMC", "Tj", "ET"]);
    }

    #[test]
    fn nested_marked_content_inside_an_artifact_is_dropped_to_the_matching_emc() {
        let ops = vec![
            op(
                "BDC",
                vec![
                    Object::Name(b"Artifact".to_vec()),
                    Object::Dictionary(Dictionary::new()),
                ],
            ),
            op("BMC", vec![Object::Name(b"Span".to_vec())]),
            op("Tj", vec![Object::string_literal("a")]),
            op("EMC", vec![]),
            op("TJ", vec![Object::Array(vec![])]),
            op("EMC", vec![]),
            op("BMC", vec![Object::Name(b"P".to_vec())]),
            op("Tj", vec![Object::string_literal("b")]),
            op("EMC", vec![]),
        ];
        let kept = without_artifacts(ops);
        assert_eq!(
            operators(&kept),
            ["BDC", "BMC", "EMC", "EMC", "BMC", "Tj", "EMC"]
        );
    }

    #[test]
    fn quote_operators_inside_an_artifact_keep_their_line_move() {
        let ops = vec![
            op("BMC", vec![Object::Name(b"Artifact".to_vec())]),
            op("'", vec![Object::string_literal("a")]),
            op("\"", vec![1.into(), 2.into(), Object::string_literal("b")]),
            op("EMC", vec![]),
        ];
        let kept = without_artifacts(ops);
        assert_eq!(operators(&kept), ["BMC", "T*", "Tw", "Tc", "T*", "EMC"]);
    }

    #[test]
    fn a_stray_emc_is_kept_and_does_not_start_removing() {
        let ops = vec![
            op("EMC", vec![]),
            op("Tj", vec![Object::string_literal("a")]),
        ];
        assert_eq!(operators(&without_artifacts(ops)), ["EMC", "Tj"]);
    }

    #[test]
    fn trailing_white_space_after_eof_is_accepted_and_a_cut_file_is_not() {
        assert!(check_frame(b"%PDF-1.4\n...\n%%EOF\r\n \0").is_ok());
        assert!(matches!(
            check_frame(b"%PDF-1.4\n...\n%%EO"),
            Err(PdfError::Damaged(_))
        ));
        assert_eq!(check_frame(b"hello %%EOF"), Err(PdfError::NotPdf));
    }
}

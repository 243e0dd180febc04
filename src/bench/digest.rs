//! Figure 6: canonical text and the file digest of a big synthetic
//! document, against plain SHA-256 of the same bytes.

use serde_json::json;

use super::figure::{Better, Figure};
use super::measure::Numbered;
use super::reference;

/// A synthetic document of about `len` bytes: paragraphs of a real
/// utlåtande's kind of text, with Windows line ends in part.
pub(super) fn synthetic_document(len: usize) -> Vec<u8> {
    const PARAGRAPH: &str = "I förslaget konkretiseras att ett samordnat trygghetsskapande och \
        brottsförebyggande arbete består av ett samspel mellan förebyggande och riktade sociala \
        insatser samt insatser inom stadens offentliga miljö – ”så att fler känner sig trygga”.";
    let mut text = String::with_capacity(len + PARAGRAPH.len() + 64);
    let mut i = 0u64;
    while text.len() < len {
        let end = if i.is_multiple_of(2) {
            "\r\n\r\n"
        } else {
            "\n\n"
        };
        text.push_str(&format!("{i}. {PARAGRAPH}{end}"));
        i += 1;
    }
    text.into_bytes()
}

/// Figure 6: canonical text and file digest against plain SHA-256.
pub(super) fn digests(len: usize) -> Numbered {
    use attestera_core::document::{canonical, read};
    let bytes = synthetic_document(len);
    let rounds = 3;
    let sha = reference::sha256_mb_per_second(&bytes, rounds);
    let canonical_rate = reference::best_mb_per_second(bytes.len(), rounds, || {
        if let Ok(text) = canonical::decode(&bytes) {
            std::hint::black_box(canonical::text_digest(&canonical::canonical_text(&text)));
        }
    });
    let file_rate = reference::best_mb_per_second(bytes.len(), rounds, || {
        std::hint::black_box(attestera_core::tlog::Hash::sha256(&bytes));
    });
    let read_rate = reference::best_mb_per_second(bytes.len(), rounds, || {
        let _ = std::hint::black_box(read::read(&bytes));
    });
    // The reference again after the others, its best kept: a machine
    // whose load changes under the run should not favour the figures.
    let sha = sha.max(reference::sha256_mb_per_second(&bytes, rounds));
    let detail = json!({"document_bytes": bytes.len()});
    let f = |name: &str, label: &str, value: f64, target| {
        (
            6,
            Figure::new(
                name,
                label,
                (value, "MB/s"),
                ("sha256_mb_per_second", sha),
                Better::Higher,
                target,
            )
            .with_detail(detail.clone()),
        )
    };
    vec![
        f(
            "canonical_text_mb_per_second",
            "Kanonisk text och dess hash",
            canonical_rate,
            Some(0.5),
        ),
        f(
            "file_digest_mb_per_second",
            "Filens hash",
            file_rate,
            Some(0.9),
        ),
        f(
            "document_read_mb_per_second",
            "Läsa dokumentet (båda hasharna, metadata)",
            read_rate,
            None,
        ),
    ]
}

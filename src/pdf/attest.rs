//! The attested PDF: the original bytes, unchanged, followed by an
//! incremental update (ISO 32000-1, 7.5.6) that appends pages showing the
//! block. The update adds objects and extends the page tree's root, and
//! changes nothing else: the catalog is not touched, so every entry the
//! original has stays as it is.
//!
//! The update is deterministic, so a verifier checks it by making it
//! again ([`is_exact_attestation`]) rather than by reading what it does:
//! PDF readers disagree on files built to confuse them (an object listed
//! twice in one cross-reference section is read as the first by poppler
//! and the last by lopdf), and a byte comparison has no such gap.

use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId};

use super::PdfError;
use super::compose::{self, Page, Run};
use super::font::FontSubset;
use super::inspect;

/// The page margin, 2 cm in points.
const MARGIN: f32 = 56.69;
/// The block's largest and smallest font size: a long name or role
/// shrinks the block before it is refused.
const LARGEST: f32 = 11.0;
const SMALLEST: f32 = 6.0;
/// Baseline to baseline, as a multiple of the size.
const LEADING: f32 = 1.45;
/// Most pages a block may take.
const MAX_BLOCK_PAGES: usize = 100;
/// PDF's largest page side (ISO 32000-1, annex C), in points.
const MAX_SIDE: f32 = 14_400.0;

/// `original` followed by an update whose pages show `block`, line by
/// line, the tab of a row as a column: `pdftotext -raw` reads it back as
/// the block reads in a text document. The attested file, block pages
/// included, has at most `max_pages` (or it could not be verified).
pub fn append_block_page(
    original: &[u8],
    block: &str,
    max_pages: u32,
) -> Result<Vec<u8>, PdfError> {
    let inspection = inspect::inspect(original, max_pages)?;
    let previous = inspection.document;
    let pages_root = pages_root(&previous)?;
    let media_box = last_media_box(&previous);
    let font = FontSubset::for_text(block)?;
    let pages = layout(block, &font, media_box)?;
    let total = u32::try_from(pages.len())
        .ok()
        .and_then(|n| n.checked_add(inspection.page_count))
        .unwrap_or(u32::MAX);
    if total > max_pages {
        return Err(PdfError::TooManyPages {
            pages: total,
            max: max_pages,
        });
    }
    let trailer = update_trailer(&previous);

    let mut update = IncrementalDocument::create_from(original.to_vec(), previous);
    update.new_document.trailer = trailer;
    let font_id = font.add_to(&mut update.new_document);
    let new_pages: Vec<Object> = pages
        .iter()
        .map(|page| {
            let id = compose::add_page(
                &mut update.new_document,
                pages_root,
                font_id,
                &font,
                page,
                false,
            );
            Object::Reference(id)
        })
        .collect();
    let root = extended_pages_root(update.get_prev_documents(), pages_root, new_pages)?;
    update
        .new_document
        .objects
        .insert(pages_root, Object::Dictionary(root));

    let mut out = Vec::with_capacity(original.len() + 64 * 1024);
    update
        .save_to(&mut out)
        .map_err(|e| PdfError::Unavailable(format!("writing the update: {e}")))?;
    Ok(out)
}

/// Whether `full` is exactly `full[..prefix_len]` attested with the block
/// its extracted `pages` show (rendered again from its rows, as the log's
/// block is), give or take white space after the last `%%EOF`.
pub fn is_exact_attestation(
    full: &[u8],
    prefix_len: usize,
    pages: &[String],
    max_pages: u32,
) -> bool {
    use attestera_core::document::{block, pdf};
    let Some(prefix) = full.get(..prefix_len) else {
        return false;
    };
    let Ok(rows) = block::read(&pdf::fixed_text(pages)) else {
        return false;
    };
    let Ok(made) = append_block_page(prefix, &block::render(&rows), max_pages) else {
        return false;
    };
    full.strip_prefix(made.as_slice())
        .is_some_and(|rest| rest.iter().all(u8::is_ascii_whitespace))
}

/// The catalog's `/Pages`.
fn pages_root(document: &Document) -> Result<ObjectId, PdfError> {
    document
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|_| PdfError::Damaged("the catalog has no page tree".into()))
}

/// The trailer of the update: the original's root, information and
/// identifier, and `/Prev` to the original's last cross-reference
/// section. Nothing else of the old trailer (an old stream's filters or
/// `/XRefStm`) is carried over.
fn update_trailer(previous: &Document) -> Dictionary {
    let mut trailer = Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Ok(value) = previous.trailer.get(key) {
            trailer.set(key, value.clone());
        }
    }
    trailer.set(
        "Prev",
        i64::try_from(previous.xref_start).unwrap_or(i64::MAX),
    );
    trailer
}

/// The pages root with the new pages after its kids and its count grown
/// by as many. An indirect `/Kids` array stays as it was (the root gets a
/// direct copy), so that no object of the original changes but the root.
fn extended_pages_root(
    previous: &Document,
    root_id: ObjectId,
    new_pages: Vec<Object>,
) -> Result<Dictionary, PdfError> {
    let damaged = |what: &str| PdfError::Damaged(format!("the page tree's root: {what}"));
    let mut root = previous
        .get_dictionary(root_id)
        .map_err(|_| damaged("not a dictionary"))?
        .clone();
    let mut kids = root
        .get_deref(b"Kids", previous)
        .and_then(Object::as_array)
        .map_err(|_| damaged("no /Kids"))?
        .clone();
    let count = root
        .get_deref(b"Count", previous)
        .and_then(Object::as_i64)
        .map_err(|_| damaged("no /Count"))?;
    let added = i64::try_from(new_pages.len()).map_err(|_| PdfError::BlockTooWide)?;
    let count = count
        .checked_add(added)
        .ok_or_else(|| damaged("/Count overflows"))?;
    kids.extend(new_pages);
    root.set("Kids", kids);
    root.set("Count", count);
    Ok(root)
}

/// The last page's displayed size (its `/MediaBox`, inherited or its own,
/// turned with its `/Rotate`), or A4 when it has none that is sensible.
fn last_media_box(document: &Document) -> [f32; 4] {
    let Some(page) = document.page_iter().last() else {
        return compose::A4;
    };
    let inherited = |key: &[u8]| -> Option<Object> {
        let mut id = page;
        for _ in 0..32 {
            let dict = document.get_dictionary(id).ok()?;
            if let Ok(value) = dict.get_deref(key, document) {
                return Some(value.clone());
            }
            id = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
        }
        None
    };
    let Some(sides) = inherited(b"MediaBox").and_then(|b| sides(&b)) else {
        return compose::A4;
    };
    let quarter_turns = inherited(b"Rotate")
        .and_then(|r| r.as_i64().ok())
        .map_or(0, |r| r.rem_euclid(360) / 90);
    let (w, h) = if quarter_turns % 2 == 1 {
        (sides.1, sides.0)
    } else {
        sides
    };
    [0.0, 0.0, w, h]
}

/// Width and height of a `[x0 y0 x1 y1]` box, when both are positive and
/// within PDF's limits.
fn sides(media_box: &Object) -> Option<(f32, f32)> {
    let numbers: Vec<f32> = media_box
        .as_array()
        .ok()?
        .iter()
        .map(|o| o.as_float().ok())
        .collect::<Option<_>>()?;
    let [x0, y0, x1, y1] = numbers[..] else {
        return None;
    };
    let (w, h) = ((x1 - x0).abs(), (y1 - y0).abs());
    let sensible = |s: f32| s.is_finite() && (72.0..=MAX_SIDE).contains(&s);
    (sensible(w) && sensible(h)).then_some((w, h))
}

/// The block set on pages of `media_box`: the largest size at which every
/// line fits the width, lines flowing onto further pages as needed.
fn layout(block: &str, font: &FontSubset, media_box: [f32; 4]) -> Result<Vec<Page>, PdfError> {
    let lines: Vec<Vec<&str>> = block
        .trim_end()
        .lines()
        .map(|l| l.split('\t').map(str::trim).collect())
        .collect();
    let (width, height) = (media_box[2], media_box[3]);
    let usable = width - 2.0 * MARGIN;
    let (size, columns) = sizes()
        .find_map(|s| {
            columns(&lines, font, s)
                .filter(|c| c.last_end <= usable)
                .map(|c| (s, c))
        })
        .ok_or(PdfError::BlockTooWide)?;
    let leading = size * LEADING;
    let top = height - MARGIN - size;
    let mut pages = vec![Page {
        media_box,
        runs: Vec::new(),
    }];
    let mut y = top;
    for cells in &lines {
        let blank = cells.iter().all(|c| c.is_empty());
        if y < MARGIN {
            if pages.len() >= MAX_BLOCK_PAGES || top < MARGIN {
                return Err(PdfError::BlockTooWide);
            }
            pages.push(Page {
                media_box,
                runs: Vec::new(),
            });
            y = top;
        }
        if !blank {
            let Some(page) = pages.last_mut() else {
                return Err(PdfError::BlockTooWide);
            };
            for (i, cell) in cells.iter().enumerate() {
                let x = columns.starts.get(i).copied().unwrap_or(0.0);
                page.runs.push(Run {
                    x: MARGIN + x,
                    y,
                    size,
                    text: (*cell).to_owned(),
                    artifact: false,
                });
            }
        }
        y -= if blank { leading * 0.5 } else { leading };
    }
    if pages.first().is_some_and(|p| p.runs.is_empty()) {
        return Err(PdfError::BlockTooWide);
    }
    Ok(pages)
}

/// 11, 10.5, … 6 points.
fn sizes() -> impl Iterator<Item = f32> {
    (0..=10)
        .map(|i| LARGEST - 0.5 * i as f32)
        .filter(|s| *s >= SMALLEST)
}

/// Where each column starts, and where the widest line ends, at `size`.
struct Columns {
    starts: Vec<f32>,
    last_end: f32,
}

/// Columns wide enough for every cell before a tab, two spaces apart.
fn columns(lines: &[Vec<&str>], font: &FontSubset, size: f32) -> Option<Columns> {
    let most = lines.iter().map(Vec::len).max()?;
    let gap = 2.0 * size;
    let mut starts = vec![0.0f32];
    for column in 0..most.saturating_sub(1) {
        let widest = lines
            .iter()
            .filter(|cells| cells.len() > column + 1)
            .map(|cells| font.width(cells[column], size))
            .fold(0.0f32, f32::max);
        let start = starts.last().copied().unwrap_or(0.0) + widest + gap;
        starts.push(start);
    }
    let last_end = lines
        .iter()
        .map(|cells| {
            let last = cells.len().saturating_sub(1);
            starts.get(last).copied().unwrap_or(0.0)
                + font.width(cells.get(last).copied().unwrap_or(""), size)
        })
        .fold(0.0f32, f32::max);
    Some(Columns { starts, last_end })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t2020-11-09\nÅsa Öberg, Avdelningschef\t2020-11-10\n";

    fn original() -> Vec<u8> {
        let page = Page {
            media_box: [0.0, 0.0, 420.0, 595.0],
            runs: vec![Run {
                x: 50.0,
                y: 500.0,
                size: 12.0,
                text: "Tjänsteutlåtande om förskolans lokaler".into(),
                artifact: false,
            }],
        };
        compose::new_pdf(&[page.clone(), page], false).unwrap()
    }

    #[test]
    fn the_original_is_an_exact_prefix_and_the_update_only_appends() {
        let original = original();
        let attested = append_block_page(&original, BLOCK, 500).unwrap();
        assert_eq!(&attested[..original.len()], original.as_slice());
        let doc = inspect::load(&attested).unwrap();
        assert_eq!(doc.get_pages().len(), 3);
    }

    #[test]
    fn only_the_exact_attestation_of_the_block_it_shows_is_exact() {
        let original = original();
        let attested = append_block_page(&original, BLOCK, 500).unwrap();
        // The pages as the extractor prints them (a tab read as a space).
        let pages = |bytes: &[u8]| -> Vec<String> {
            let doc = inspect::load(bytes).unwrap();
            let n = doc.get_pages().len();
            let mut pages = vec!["Tjänsteutlåtande om förskolans lokaler\n".to_owned(); n - 1];
            pages.push(BLOCK.replace('\t', " "));
            pages
        };
        let shown = pages(&attested);
        let exact = |full: &[u8]| is_exact_attestation(full, original.len(), &shown, 500);
        assert!(exact(&attested));
        let mut padded = attested.clone();
        padded.extend_from_slice(b"\n");
        assert!(exact(&padded), "white space after %%EOF is no change");
        let mut changed = attested.clone();
        changed.extend_from_slice(b"\n1 0 obj\n<< >>\nendobj\n%%EOF\n");
        assert!(!exact(&changed), "anything after the attestation");
        let other = BLOCK.replace("2020-11-10", "2020-11-11");
        let other = append_block_page(&original, &other, 500).unwrap();
        assert!(!is_exact_attestation(
            &other,
            original.len(),
            &pages(&attested),
            500
        ));
    }

    #[test]
    fn the_block_page_takes_the_last_page_size() {
        let attested = append_block_page(&original(), BLOCK, 500).unwrap();
        let doc = inspect::load(&attested).unwrap();
        assert_eq!(last_media_box(&doc), [0.0, 0.0, 420.0, 595.0]);
    }

    #[test]
    fn attesting_is_deterministic() {
        let original = original();
        assert_eq!(
            append_block_page(&original, BLOCK, 500).unwrap(),
            append_block_page(&original, BLOCK, 500).unwrap()
        );
    }

    #[test]
    fn a_long_row_shrinks_the_type_and_a_too_long_one_is_refused() {
        let font = FontSubset::for_text(&format!("{}\t2020-01-01", "M")).unwrap();
        let long = format!("{}\t2020-01-01", "M".repeat(55));
        let pages = layout(&long, &font, compose::A4).unwrap();
        assert!(pages[0].runs[0].size < LARGEST);
        let too_long = format!("{}\t2020-01-01", "M".repeat(200));
        assert_eq!(
            layout(&too_long, &font, compose::A4).unwrap_err(),
            PdfError::BlockTooWide
        );
    }

    #[test]
    fn many_rows_flow_onto_further_pages() {
        let rows: String = (0..200)
            .map(|i| format!("Person {i}, Chef\t2020-01-01\n"))
            .collect();
        let font = FontSubset::for_text(&rows).unwrap();
        let pages = layout(&rows, &font, compose::A4).unwrap();
        assert!(pages.len() >= 3, "{}", pages.len());
        let runs: usize = pages.iter().map(|p| p.runs.len()).sum();
        assert_eq!(runs, 400);
    }

    #[test]
    fn a_tab_starts_a_column_aligned_on_every_row() {
        let font = FontSubset::for_text(BLOCK).unwrap();
        let pages = layout(BLOCK, &font, compose::A4).unwrap();
        let dates: Vec<f32> = pages[0]
            .runs
            .iter()
            .filter(|r| r.text.starts_with("2020") || r.text == "Datum")
            .map(|r| r.x)
            .collect();
        assert_eq!(dates.len(), 3);
        assert!(dates.iter().all(|x| *x == dates[0]));
    }

    #[test]
    fn the_attested_file_keeps_within_the_page_cap() {
        // Two pages and a one-page block: three pages, over a cap of two.
        assert_eq!(
            append_block_page(&original(), BLOCK, 2).unwrap_err(),
            PdfError::TooManyPages { pages: 3, max: 2 }
        );
        assert!(append_block_page(&original(), BLOCK, 3).is_ok());
    }

    #[test]
    fn an_encrypted_or_damaged_original_is_refused() {
        let original = original();
        let cut = &original[..original.len() / 2];
        assert!(matches!(
            append_block_page(cut, BLOCK, 500),
            Err(PdfError::Damaged(_))
        ));
        assert_eq!(
            append_block_page(b"not a pdf", BLOCK, 500).unwrap_err(),
            PdfError::NotPdf
        );
    }
}

//! Writes simple PDF pages: runs of text placed on a page in the embedded
//! font. The attested PDF's appended page uses it, and so do the tests and
//! the benchmark, which make their documents with [`new_pdf`].

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

use super::PdfError;
use super::font::FontSubset;

/// The font's name in a page's resources.
const FONT: &str = "F1";

/// One run of text at a place on a page, in points from the page's
/// lower left corner.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
    /// Page furniture (a header, footer or page number): marked
    /// `/Artifact` so that a tagged PDF's reader leaves it out.
    pub artifact: bool,
}

/// A page: its size (`/MediaBox`) and what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub media_box: [f32; 4],
    pub runs: Vec<Run>,
}

/// The page's content stream: each run in its own text object, inside
/// marked content (`/Artifact`, or `/P` with an id when `tagged`).
pub fn content(font: &FontSubset, page: &Page, tagged: bool) -> Vec<u8> {
    let mut ops = Vec::new();
    let mut mcid = 0i64;
    for run in &page.runs {
        let marked = if run.artifact {
            ops.push(Operation::new(
                "BMC",
                vec![Object::Name(b"Artifact".to_vec())],
            ));
            true
        } else if tagged {
            ops.push(Operation::new(
                "BDC",
                vec![
                    Object::Name(b"P".to_vec()),
                    Object::Dictionary(dictionary! { "MCID" => mcid }),
                ],
            ));
            mcid = mcid.saturating_add(1);
            true
        } else {
            false
        };
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new(
            "Tf",
            vec![Object::Name(FONT.into()), Object::Real(run.size)],
        ));
        ops.push(Operation::new(
            "Td",
            vec![Object::Real(run.x), Object::Real(run.y)],
        ));
        ops.push(Operation::new(
            "Tj",
            vec![Object::String(
                font.encode(&run.text),
                StringFormat::Hexadecimal,
            )],
        ));
        ops.push(Operation::new("ET", vec![]));
        if marked {
            ops.push(Operation::new("EMC", vec![]));
        }
    }
    // Encoding operations built here cannot fail; an empty stream is the
    // fallback that keeps the type total.
    Content { operations: ops }.encode().unwrap_or_default()
}

/// Adds `page` to `document` as a child of `parent`, using the font
/// object `font_id`, and returns the page's id.
pub fn add_page(
    document: &mut Document,
    parent: ObjectId,
    font_id: ObjectId,
    font: &FontSubset,
    page: &Page,
    tagged: bool,
) -> ObjectId {
    let contents = document.add_object(Stream::new(Dictionary::new(), content(font, page, tagged)));
    document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => parent,
        "MediaBox" => page.media_box.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>(),
        "Rotate" => 0,
        "Resources" => dictionary! { "Font" => dictionary! { FONT => font_id } },
        "Contents" => contents,
    })
}

/// A whole new PDF showing `pages`; `tagged` marks it as a tagged PDF
/// (`/MarkInfo`), so that its `/Artifact` runs are furniture by tag.
pub fn new_pdf(pages: &[Page], tagged: bool) -> Result<Vec<u8>, PdfError> {
    let all: String = pages
        .iter()
        .flat_map(|p| p.runs.iter().map(|r| r.text.as_str()))
        .collect();
    let font = FontSubset::for_text(&all)?;
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let font_id = font.add_to(&mut document);
    let kids: Vec<Object> = pages
        .iter()
        .map(|p| Object::Reference(add_page(&mut document, pages_id, font_id, &font, p, tagged)))
        .collect();
    let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if tagged {
        catalog.set("MarkInfo", dictionary! { "Marked" => true });
    }
    let catalog_id = document.add_object(catalog);
    document.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    document
        .save_to(&mut out)
        .map_err(|e| PdfError::Unavailable(format!("writing the PDF: {e}")))?;
    Ok(out)
}

/// A4 in points.
pub const A4: [f32; 4] = [0.0, 0.0, 595.28, 841.89];

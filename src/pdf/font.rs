//! The embedded font (DejaVu Sans, in the repository so that output is
//! deterministic and offline), subset to the glyphs a text uses and
//! embedded as a composite font: Type0 with Identity-H, two bytes per
//! glyph, and a `/ToUnicode` map so that extractors read the text back.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use sha2::{Digest, Sha256};

use super::PdfError;

/// The font file; its licence is beside it.
const DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The PostScript name the subset's name is prefixed to.
const BASE_NAME: &str = "DejaVuSans";

/// A subset of the embedded font that covers one set of characters.
#[derive(Debug)]
pub struct FontSubset {
    /// Each character's glyph in the subset.
    glyphs: BTreeMap<char, u16>,
    /// Each subset glyph's advance, in thousandths of the font size.
    widths: BTreeMap<u16, f32>,
    /// The subset font program.
    program: Vec<u8>,
    /// Font metrics in thousandths of the font size.
    ascent: f32,
    descent: f32,
    cap_height: f32,
    bbox: [f32; 4],
}

impl FontSubset {
    /// The subset for every character of `text` (line ends and tabs are
    /// layout, not glyphs). A character the font lacks is refused with
    /// the character named, so nothing is drawn as an empty box.
    pub fn for_text(text: &str) -> Result<FontSubset, PdfError> {
        let face = ttf_parser::Face::parse(DEJAVU_SANS, 0)
            .map_err(|e| PdfError::Unavailable(format!("the embedded font: {e}")))?;
        let scale = 1000.0 / f32::from(face.units_per_em());
        let mut chars: Vec<char> = text.chars().filter(|c| !c.is_control()).collect();
        chars.push(' ');
        chars.sort_unstable();
        chars.dedup();
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut glyphs = BTreeMap::new();
        let mut widths = BTreeMap::new();
        for c in chars {
            let old = face.glyph_index(c).ok_or(PdfError::Unprintable(c))?;
            let new = remapper.remap(old.0);
            let advance = face.glyph_hor_advance(old).unwrap_or(0);
            glyphs.insert(c, new);
            widths.insert(new, f32::from(advance) * scale);
        }
        let program = subsetter::subset(DEJAVU_SANS, 0, &remapper)
            .map_err(|e| PdfError::Unavailable(format!("subsetting the font: {e}")))?;
        let rect = face.global_bounding_box();
        Ok(FontSubset {
            glyphs,
            widths,
            program,
            ascent: f32::from(face.ascender()) * scale,
            descent: f32::from(face.descender()) * scale,
            cap_height: f32::from(face.capital_height().unwrap_or(face.ascender())) * scale,
            bbox: [
                f32::from(rect.x_min) * scale,
                f32::from(rect.y_min) * scale,
                f32::from(rect.x_max) * scale,
                f32::from(rect.y_max) * scale,
            ],
        })
    }

    /// The string operand that shows `text` (two bytes per glyph).
    /// Characters outside the subset are skipped; [`Self::for_text`] on
    /// the same text covers them all.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .filter_map(|c| self.glyphs.get(&c))
            .flat_map(|g| g.to_be_bytes())
            .collect()
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let thousandths: f32 = text
            .chars()
            .filter_map(|c| self.glyphs.get(&c))
            .map(|g| self.widths.get(g).copied().unwrap_or(0.0))
            .sum();
        thousandths * size / 1000.0
    }

    /// Adds the font's objects to `document` and returns the Type0 font's id.
    pub fn add_to(&self, document: &mut Document) -> ObjectId {
        let name = Object::Name(format!("{}+{BASE_NAME}", self.tag()).into_bytes());
        let program = document.add_object(Stream::new(
            dictionary! { "Length1" => i64::try_from(self.program.len()).unwrap_or(i64::MAX) },
            self.program.clone(),
        ));
        let descriptor = document.add_object(dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => name.clone(),
            "Flags" => 32,
            "FontBBox" => self.bbox.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>(),
            "ItalicAngle" => 0,
            "Ascent" => Object::Real(self.ascent),
            "Descent" => Object::Real(self.descent),
            "CapHeight" => Object::Real(self.cap_height),
            "StemV" => 80,
            "FontFile2" => program,
        });
        let cid_font = document.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => name.clone(),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"),
                "Supplement" => 0,
            },
            "FontDescriptor" => descriptor,
            "W" => self.width_array(),
            "CIDToGIDMap" => "Identity",
        });
        let to_unicode = document.add_object(Stream::new(Dictionary::new(), self.to_unicode()));
        document.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => name,
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(cid_font)],
            "ToUnicode" => to_unicode,
        })
    }

    /// Six capitals derived from the glyph set: the same text gives the
    /// same name, as PDF asks of a subset (ISO 32000-1, 9.6.4).
    fn tag(&self) -> String {
        let mut hasher = Sha256::new();
        for (c, g) in &self.glyphs {
            hasher.update(u32::from(*c).to_be_bytes());
            hasher.update(g.to_be_bytes());
        }
        hasher
            .finalize()
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    /// `/W [g1 [w1] g2 [w2] …]`: each glyph's width under its own id (the
    /// subset's ids need not start at 0 or be contiguous; the .notdef
    /// glyph keeps the font's default width).
    fn width_array(&self) -> Vec<Object> {
        self.widths
            .iter()
            .flat_map(|(g, w)| {
                [
                    Object::Integer(i64::from(*g)),
                    Object::Array(vec![Object::Integer(w.round() as i64)]),
                ]
            })
            .collect()
    }

    /// The CMap from glyph codes to Unicode.
    fn to_unicode(&self) -> Vec<u8> {
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let pairs: Vec<(&char, &u16)> = self.glyphs.iter().collect();
        for chunk in pairs.chunks(100) {
            out.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (c, g) in chunk {
                let utf16: String = c
                    .encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                out.push_str(&format!("<{g:04X}> <{utf16}>\n"));
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_letters_have_glyphs_and_widths() {
        let font = FontSubset::for_text("Godkänt åäö ÅÄÖ").unwrap();
        assert_eq!(font.encode("å").len(), 2);
        assert!(font.width("Ö", 10.0) > 0.0);
        assert!(font.width("ÖÖ", 10.0) > font.width("tt", 10.0));
    }

    #[test]
    fn a_character_the_font_lacks_is_named() {
        // U+E000 is private use: DejaVu Sans has no glyph for it.
        let err = FontSubset::for_text("a\u{E000}").unwrap_err();
        assert_eq!(err, PdfError::Unprintable('\u{E000}'));
    }

    #[test]
    fn the_subset_is_deterministic_and_smaller_than_the_font() {
        let a = FontSubset::for_text("Attesterat av").unwrap();
        let b = FontSubset::for_text("Attesterat av").unwrap();
        assert_eq!(a.program, b.program);
        assert_eq!(a.tag(), b.tag());
        assert!(a.program.len() < DEJAVU_SANS.len() / 10);
        assert_ne!(a.tag(), FontSubset::for_text("Annat").unwrap().tag());
    }

    #[test]
    fn each_glyph_has_its_own_width_under_its_own_id() {
        let font = FontSubset::for_text("iW").unwrap();
        let w = font.width_array();
        let (gi, gw) = (font.glyphs[&'i'], font.glyphs[&'W']);
        let at = |g: u16| {
            let k = w
                .iter()
                .position(|o| *o == Object::Integer(i64::from(g)))
                .unwrap();
            w[k + 1].as_array().unwrap()[0].as_i64().unwrap()
        };
        assert!(at(gw) > at(gi), "W is wider than i under its own glyph id");
    }

    #[test]
    fn to_unicode_maps_each_glyph_back() {
        let font = FontSubset::for_text("ä").unwrap();
        let cmap = String::from_utf8(font.to_unicode()).unwrap();
        let g = font.glyphs[&'ä'];
        assert!(cmap.contains(&format!("<{g:04X}> <00E4>")), "{cmap}");
    }
}

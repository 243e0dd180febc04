//! Writes simple PDFs: lines of text on pages, in the embedded font.

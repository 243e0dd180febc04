//! The embedded font (DejaVu Sans, in the repository so that output is
//! deterministic and offline), subset to the glyphs a page uses.

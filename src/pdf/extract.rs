//! The pinned extractor: `pdftotext -raw` of Debian's poppler-utils, run by
//! the helper, page by page.

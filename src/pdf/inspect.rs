//! The structure of a PDF, read with lopdf inside the helper: encryption,
//! page count, tagging, artifacts, the last page's size, and whether an
//! update after a prefix only appended pages.

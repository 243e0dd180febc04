//! The pinned extractor: `pdftotext -raw` of Debian's poppler-utils, run by
//! the helper, page by page. pdftotext inherits the helper's resource
//! limits; its output is read with a cap of its own.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use super::PdfError;

/// The program, found on `PATH`.
const PDFTOTEXT: &str = "pdftotext";

/// How much of pdftotext's diagnostics is kept for an error message.
const MAX_DIAGNOSTICS: u64 = 4096;

/// The extractor's name as recorded: `pdftotext <version> -raw`.
pub fn extractor() -> Result<String, PdfError> {
    Ok(format!("{PDFTOTEXT} {} -raw", version()?))
}

/// pdftotext's version, from the first line of `pdftotext -v` on stderr
/// ("pdftotext version 22.12.0").
pub fn version() -> Result<String, PdfError> {
    let out = Command::new(PDFTOTEXT)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .map_err(not_started)?;
    let text = String::from_utf8_lossy(&out.stderr);
    parse_version(&text)
        .map(str::to_owned)
        .ok_or_else(|| PdfError::Unavailable("pdftotext -v printed no version".into()))
}

fn parse_version(text: &str) -> Option<&str> {
    text.lines()
        .next()?
        .strip_prefix("pdftotext version ")
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn not_started(e: std::io::Error) -> PdfError {
    PdfError::Unavailable(format!("cannot run {PDFTOTEXT}: {e}"))
}

/// The text of each page of the PDF at `path`, read with at most
/// `max_output` bytes of pdftotext's output.
pub fn pages(path: &Path, max_output: u64) -> Result<Vec<String>, PdfError> {
    let mut child = Command::new(PDFTOTEXT)
        .args(["-raw", "-enc", "UTF-8", "-eol", "unix"])
        .arg(path)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(not_started)?;
    let diagnostics = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let _ = (&mut err).take(MAX_DIAGNOSTICS).read_to_end(&mut kept);
            // Drain the rest so that pdftotext never blocks on it.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            String::from_utf8_lossy(&kept).into_owned()
        })
    });
    let mut out = Vec::new();
    let read = match child.stdout.take() {
        Some(stdout) => stdout
            .take(max_output.saturating_add(1))
            .read_to_end(&mut out),
        None => Ok(0),
    };
    let too_much = u64::try_from(out.len()).unwrap_or(u64::MAX) > max_output;
    if too_much {
        let _ = child.kill();
    }
    let status = child.wait().map_err(not_started)?;
    let diagnostics = diagnostics.and_then(|h| h.join().ok()).unwrap_or_default();
    if too_much {
        return Err(PdfError::Limit(format!(
            "pdftotext wrote more than {max_output} bytes"
        )));
    }
    read.map_err(|e| PdfError::Limit(format!("reading pdftotext's output: {e}")))?;
    check_status(status, &diagnostics)?;
    Ok(split_pages(&String::from_utf8_lossy(&out)))
}

/// pdftotext's exit: a signal is a limit (SIGXCPU, SIGKILL, SIGXFSZ, or a
/// crash), 3 is a permission refusal (an encrypted file), others damage.
fn check_status(status: ExitStatus, diagnostics: &str) -> Result<(), PdfError> {
    if let Some(signal) = status.signal() {
        return Err(PdfError::Limit(format!(
            "pdftotext was stopped by signal {signal}"
        )));
    }
    match status.code() {
        Some(0) => Ok(()),
        Some(3) => Err(PdfError::Encrypted),
        code => {
            let first = diagnostics.lines().next().unwrap_or("");
            Err(PdfError::Damaged(format!(
                "pdftotext failed ({code:?}): {first}"
            )))
        }
    }
}

/// pdftotext ends each page with a form feed: split on it and drop what
/// follows the last one.
fn split_pages(text: &str) -> Vec<String> {
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_feed_ends_a_page() {
        assert_eq!(split_pages("a\nb\n\u{c}c\n\u{c}"), ["a\nb\n", "c\n"]);
        assert_eq!(split_pages("\u{c}\u{c}"), ["", ""]);
        assert!(split_pages("").is_empty());
    }

    #[test]
    fn the_version_is_read_from_the_first_line() {
        let text = "pdftotext version 22.12.0\nCopyright 2005-2022 The Poppler Developers\n";
        assert_eq!(parse_version(text), Some("22.12.0"));
        assert_eq!(parse_version("pdftotext: not found"), None);
        assert_eq!(parse_version(""), None);
    }
}

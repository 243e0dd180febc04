//! A document's page (public, by id): what the log holds about it — its
//! metadata, its approvals and its block to copy — and the attested
//! document to download in the registered file's own form (the registered
//! text followed by the block, or the registered PDF with a page showing
//! the block appended), when its registered file is kept. Everything comes from the service's
//! checked reads; nothing here decides what is true.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page::{self, Chrome};
use super::session::Visitor;
use super::words::{kind_word, local_time};
use crate::http::AppState;
use crate::service::ServiceError;
use crate::service::sessions::SignedIn;
use attestera_core::rules::{ApprovalRow, DocumentRow};
use attestera_core::tlog::Hash;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dokument/{id}", get(document))
        .route("/dokument/{id}/attesterat", get(download))
}

/// What the page shows for a value the document does not have.
const MISSING: &str = "Uppgift saknas";

/// A document's metadata as the page shows it.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    pub dnr: String,
    pub namnd: String,
    pub date: String,
    pub handlaggare: String,
    pub registered_at: String,
    pub log_index: u64,
}

impl DocumentView {
    pub fn of(d: &DocumentRow) -> DocumentView {
        let or_missing = |v: &Option<String>| v.clone().unwrap_or_else(|| MISSING.into());
        DocumentView {
            id: d.text_sha256.to_hex(),
            title: or_missing(&d.title),
            dnr: or_missing(&d.dnr),
            namnd: or_missing(&d.namnd),
            date: d
                .date
                .map(|x| x.to_string())
                .unwrap_or_else(|| MISSING.into()),
            handlaggare: or_missing(&d.handlaggare),
            registered_at: local_time(d.registered_at),
            log_index: d.log_index,
        }
    }
}

/// One approval as the page's table shows it.
#[derive(Debug, Clone)]
pub struct ApprovalView {
    pub name: String,
    pub role: String,
    pub date: String,
    pub kind: &'static str,
    pub log_index: u64,
}

impl ApprovalView {
    pub fn of(a: &ApprovalRow) -> ApprovalView {
        ApprovalView {
            name: a.name.clone(),
            role: a.role.clone(),
            date: a.date.to_string(),
            kind: kind_word(a.kind),
            log_index: a.log_index,
        }
    }
}

#[derive(Template)]
#[template(path = "document.html", config = "src/http/web/askama.toml")]
pub struct DocumentPage {
    pub chrome: Chrome,
    /// The h1: the document's title, else its dnr, else its id's start.
    pub heading: String,
    pub doc: DocumentView,
    pub approvals: Vec<ApprovalView>,
    /// The block to copy (none before the first approval).
    pub block: Option<String>,
    /// Whether the registered file is kept (so the attested document can be downloaded).
    pub kept: bool,
    /// Whether the registered file is a PDF (the download is then the attested PDF).
    pub pdf: bool,
}

/// A document id from a page's path: 64 hex digits, either case.
pub fn parse_id(id: &str) -> Option<Hash> {
    Hash::from_hex(&id.trim().to_ascii_lowercase()).ok()
}

/// The page for an id that is not one.
pub fn bad_id(who: Option<&SignedIn>) -> Response {
    page::message(
        StatusCode::BAD_REQUEST,
        who,
        "Det är inte ett dokument-id",
        "Ett dokuments id är 64 tecken, bara siffror 0–9 och bokstäverna a–f. Kontrollera att du fick med hela id:t.",
    )
}

/// The page for a service error while showing a document.
fn failed(e: &ServiceError, who: Option<&SignedIn>) -> Response {
    match e {
        ServiceError::UnknownDocument(_) => page::message(
            StatusCode::NOT_FOUND,
            who,
            "Dokumentet finns inte",
            "Inget dokument med det id:t är registrerat i loggen. Kontrollera id:t, eller kontrollera själva dokumentet på startsidan.",
        ),
        e => {
            let (status, text) = page::service_error(e);
            page::message(
                status,
                who,
                "Dokumentet kan inte visas",
                page::sentence(&text),
            )
        }
    }
}

pub async fn document(
    State(s): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let who = visitor.who();
    let Some(id) = parse_id(&id) else {
        return bad_id(who);
    };
    let info = match s.service.document_info(&id).await {
        Ok(info) => info,
        Err(e) => return failed(&e, who),
    };
    let block = match s.service.block_of(&id).await {
        Ok(b) => Some(b),
        Err(ServiceError::NoApprovals) => None,
        Err(e) => return failed(&e, who),
    };
    let kept = match s.service.keeps_file(&id).await {
        Ok(k) => k,
        Err(e) => return failed(&e, who),
    };
    let doc = DocumentView::of(&info.document);
    let pdf = info.document.pdf.is_some();
    let heading = document_heading(&info.document);
    let page = DocumentPage {
        chrome: Chrome::new(heading.clone(), "", who),
        heading,
        approvals: info.approvals.iter().map(ApprovalView::of).collect(),
        doc,
        block,
        kept,
        pdf,
    };
    page::html(&page)
}

/// The page's heading: the document's title, else its dnr, else its id.
pub fn document_heading(d: &DocumentRow) -> String {
    match (&d.title, &d.dnr) {
        (Some(t), _) => t.clone(),
        (None, Some(dnr)) => format!("Dokument {dnr}"),
        (None, None) => format!(
            "Dokument {}",
            d.text_sha256.to_hex().get(..12).unwrap_or("")
        ),
    }
}

pub async fn download(
    State(s): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let who = visitor.who();
    let Some(id) = parse_id(&id) else {
        return bad_id(who);
    };
    let attested = match s.service.attested_document(&id).await {
        Ok(Some(attested)) => attested,
        Ok(None) => {
            return page::message(
                StatusCode::NOT_FOUND,
                who,
                "Dokumentets fil finns inte sparad",
                "Filen sparades inte när dokumentet registrerades, så det attesterade dokumentet kan inte laddas ner här. Kopiera blocket på dokumentets sida och lägg det sist i din kopia av dokumentet.",
            );
        }
        Err(ServiceError::NoApprovals) => {
            return page::message(
                StatusCode::CONFLICT,
                who,
                "Dokumentet är inte godkänt ännu",
                "Ingen har godkänt dokumentet ännu, så det finns inget block att lägga till. Försök igen när det är godkänt.",
            );
        }
        Err(e) => return failed(&e, who),
    };
    let dnr = match s.service.document_info(&id).await {
        Ok(info) => info.document.dnr,
        Err(_) => None,
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file_name(dnr.as_deref(), &id, attested.extension())
    );
    let media = attested.media_type();
    let bytes = match attested {
        crate::service::Attested::Text(t) => t.into_bytes(),
        crate::service::Attested::Pdf(b) => b,
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The download's file name: from the dnr when there is one (letters a–z,
/// digits, '-' and '_' kept, anything else a '-'), else from the id; never
/// a path, a quote or a control character.
pub fn file_name(dnr: Option<&str>, id: &Hash, extension: &str) -> String {
    let from_dnr: String = dnr
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem: Vec<&str> = from_dnr.split('-').filter(|p| !p.is_empty()).collect();
    let stem = stem.join("-");
    let stem = if stem.is_empty() {
        format!("dokument-{}", id.to_hex().get(..12).unwrap_or(""))
    } else {
        format!("dnr-{}", stem.chars().take(60).collect::<String>())
    };
    format!("{stem}-attesterat.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_is_named_safely_after_its_dnr() {
        let id = Hash::sha256(b"x");
        let hex = id.to_hex();
        assert_eq!(
            file_name(Some("2026/1234"), &id, "txt"),
            "dnr-2026-1234-attesterat.txt"
        );
        assert_eq!(
            file_name(Some("\"../../etc\r\n"), &id, "txt"),
            "dnr-etc-attesterat.txt"
        );
        let fallback = format!("dokument-{}-attesterat.txt", &hex[..12]);
        assert_eq!(file_name(None, &id, "txt"), fallback);
        assert_eq!(file_name(Some("åäö / ."), &id, "txt"), fallback);
        assert!(file_name(Some(&"9".repeat(500)), &id, "txt").len() < 100);
    }

    #[test]
    fn an_id_is_64_hex_digits_in_either_case() {
        let id = Hash::sha256(b"x");
        assert_eq!(parse_id(&id.to_hex().to_uppercase()), Some(id));
        for bad in ["", "abc", "../etc/passwd", &"g".repeat(64)] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }
}

//! The registrar's pages: "Registrera dokument" (upload, then a
//! confirmation with the document's id and log index), "Dokument" (the
//! list with search and status) and "Importera från arkivet" (several
//! files at once, a result per file). Each handler reads the form, calls
//! the service's use case (`register`, `document_page`, `import`) and fills
//! a template; refusals are shown on the form as the service words them.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::documents::ApprovalView;
use super::form::mib;
use super::page::{self, Chrome, FieldError, sentence};
use super::session::{Staff, StaffForm};
use crate::http::AppState;
use crate::http::auth::AsRegistrar;
use crate::service::ServiceError;
use crate::service::access::Principal;
use crate::service::listing::DocumentFilter;
use crate::service::registry::PAGE_SIZE;
use crate::service::sessions::SignedIn;
use crate::wire::{Imported, Registered};
use attestera_core::rules::Refusal;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registrera", get(register_form).post(register))
        .route("/dokument", get(list))
        .route("/importera", get(import_form).post(import))
}

/// Who registered, as the log records it (the same as the API's).
fn operator(p: &Principal) -> String {
    p.operator()
}

/// A refusal as the form shows it. The catalogue's sentence for a document
/// with a block names the CLI; here the page to use is named instead.
fn refusal_words(e: &ServiceError) -> (StatusCode, String) {
    let (status, text) = page::service_error(e);
    match e {
        ServiceError::DocumentHasBlock => (
            status,
            "Dokumentet slutar redan med ett attesteringsblock. Ett dokument registreras utan block: ta bort blocket och registrera igen, eller använd Importera från arkivet om godkännandena är historiska.".into(),
        ),
        _ => (status, sentence(&text)),
    }
}

// ---------------------------------------------------------------- register

#[derive(Template)]
#[template(path = "register.html", config = "src/http/web/askama.toml")]
pub struct RegisterPage {
    pub chrome: Chrome,
    /// The largest file accepted, in words ("20 MiB").
    pub limit: String,
    /// The id of the registered document a refused file already is, for a link to it.
    pub existing: Option<String>,
}

#[derive(Template)]
#[template(path = "registered.html", config = "src/http/web/askama.toml")]
pub struct RegisteredPage {
    pub chrome: Chrome,
    pub id: String,
    pub log_index: u64,
    pub title: Option<String>,
    pub dnr: Option<String>,
}

fn register_page(s: &AppState, who: &SignedIn, errors: Vec<FieldError>) -> RegisterPage {
    RegisterPage {
        chrome: Chrome::new("Registrera dokument", "/registrera", Some(who)).with_errors(errors),
        limit: mib(s.config.body_limit),
        existing: None,
    }
}

fn register_error(s: &AppState, who: &SignedIn, status: StatusCode, message: String) -> Response {
    let errors = vec![FieldError {
        field: "dokument",
        message,
    }];
    page::html_status(status, &register_page(s, who, errors))
}

pub async fn register_form(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsRegistrar>,
) -> Response {
    page::html(&register_page(&s, &who, Vec::new()))
}

pub async fn register(State(s): State<AppState>, f: StaffForm<AsRegistrar>) -> Response {
    let who = &f.signed_in;
    let form = match f.form {
        Ok(form) => form,
        Err(e) => return register_error(&s, who, e.status(), e.to_string()),
    };
    let Some(upload) = form.file("dokument") else {
        return register_error(
            &s,
            who,
            StatusCode::BAD_REQUEST,
            "Välj dokumentet du vill registrera.".into(),
        );
    };
    let registered = match upload.check_claim() {
        Ok(()) => {
            s.service
                .register(&upload.bytes, &operator(&who.principal))
                .await
        }
        Err(e) => Err(e),
    };
    match registered {
        Ok(r) => page::html(&registered_page(who, &r)),
        Err(e) => {
            let (status, message) = refusal_words(&e);
            let mut page = register_page(
                &s,
                who,
                vec![FieldError {
                    field: "dokument",
                    message,
                }],
            );
            if matches!(e, ServiceError::Refused(Refusal::DocumentAlreadyRegistered)) {
                page.existing = already_registered(&s, &upload.bytes).await;
            }
            page::html_status(status, &page)
        }
    }
}

/// The id of the registration a file is a copy of, so that the page can
/// link to it instead of ending at "already registered".
async fn already_registered(s: &AppState, bytes: &[u8]) -> Option<String> {
    let doc = s.service.reader().read(bytes).await.ok()?;
    let found = s.service.find_registered(&doc).await.ok()??;
    Some(found.row.text_sha256.to_hex())
}

fn registered_page(who: &SignedIn, r: &Registered) -> RegisteredPage {
    RegisteredPage {
        chrome: Chrome::new("Dokumentet är registrerat", "/registrera", Some(who)),
        id: r.text_sha256.to_hex(),
        log_index: r.log_index,
        title: r.metadata.title.clone(),
        dnr: r.metadata.dnr.clone(),
    }
}

// ---------------------------------------------------------------- list

/// The search form's fields, as typed (kept on the page when wrong).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub dnr: String,
    #[serde(default)]
    pub titel: String,
    #[serde(default)]
    pub namnd: String,
    #[serde(default)]
    pub fran: String,
    #[serde(default)]
    pub till: String,
    #[serde(default)]
    pub sida: String,
}

/// One row of the list.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub id: String,
    pub title: String,
    pub dnr: String,
    pub namnd: String,
    pub date: String,
    pub status: String,
    pub approved: bool,
    pub log_index: u64,
}

#[derive(Template)]
#[template(path = "documents.html", config = "src/http/web/askama.toml")]
pub struct ListPage {
    pub chrome: Chrome,
    pub q: ListQuery,
    pub rows: Vec<ListRow>,
    pub total: usize,
    /// 1-based positions of the first and last row shown.
    pub first: usize,
    pub last: usize,
    /// Links to the pages before and after, with the same search.
    pub previous: Option<String>,
    pub next: Option<String>,
    /// Whether the list is shown (not when the search itself is wrong).
    pub searched: bool,
}

/// A field of the search, trimmed; empty is no filter.
fn given(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// A date typed in the search: YYYY-MM-DD, as the filter compares it.
fn date_field(v: &str, field: &'static str, errors: &mut Vec<FieldError>) -> Option<String> {
    let v = given(v)?;
    match jiff::civil::Date::strptime("%Y-%m-%d", &v) {
        Ok(d) => Some(d.to_string()),
        Err(_) => {
            errors.push(FieldError {
                field,
                message: "Skriv datumet som år-månad-dag, till exempel 2026-12-10.".into(),
            });
            None
        }
    }
}

/// The service's filter for what was typed, or the form's errors. A date
/// only in "Från" and "Till" alike is an exact date.
fn filter_of(q: &ListQuery) -> Result<DocumentFilter, Vec<FieldError>> {
    let mut errors = Vec::new();
    let from = date_field(&q.fran, "fran", &mut errors);
    let to = date_field(&q.till, "till", &mut errors);
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        errors.push(FieldError {
            field: "till",
            message: "Till-datumet är före från-datumet. Byt plats på dem, eller skriv samma datum i båda för ett exakt datum.".into(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DocumentFilter {
        dnr: given(&q.dnr),
        title: given(&q.titel),
        namnd: given(&q.namnd),
        from,
        to,
        ..DocumentFilter::default()
    })
}

/// The list's address for page `n` of the same search.
fn page_link(q: &ListQuery, n: usize) -> String {
    let pairs = [
        ("dnr", q.dnr.as_str()),
        ("titel", q.titel.as_str()),
        ("namnd", q.namnd.as_str()),
        ("fran", q.fran.as_str()),
        ("till", q.till.as_str()),
    ];
    let mut kept: Vec<(&str, String)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (*k, v.trim().to_string()))
        .collect();
    kept.push(("sida", n.to_string()));
    format!(
        "/dokument?{}",
        serde_urlencoded::to_string(kept).unwrap_or_default()
    )
}

fn status_words(approvals: usize) -> String {
    match approvals {
        0 => "Väntar på godkännande".into(),
        n => format!("Godkänt av {n}"),
    }
}

pub async fn list(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsRegistrar>,
    Query(q): Query<ListQuery>,
) -> Response {
    let chrome = Chrome::new("Dokument", "/dokument", Some(&who));
    let empty = |chrome: Chrome, q: ListQuery| ListPage {
        chrome,
        q,
        rows: Vec::new(),
        total: 0,
        first: 0,
        last: 0,
        previous: None,
        next: None,
        searched: false,
    };
    let filter = match filter_of(&q) {
        Ok(f) => f,
        Err(errors) => {
            return page::html_status(
                StatusCode::BAD_REQUEST,
                &empty(chrome.with_errors(errors), q),
            );
        }
    };
    let wanted = q.sida.trim().parse::<usize>().unwrap_or(1).max(1);
    let found = match s.service.document_page(&filter, wanted).await {
        Ok(p) => p,
        Err(e) => {
            let (status, text) = page::service_error(&e);
            return page::message(status, Some(&who), "Listan kan inte visas", sentence(&text));
        }
    };
    let current = found.offset / PAGE_SIZE + 1;
    let rows: Vec<ListRow> = found
        .rows
        .iter()
        .map(|(d, n)| ListRow {
            id: d.text_sha256.to_hex(),
            title: d.title.clone().unwrap_or_else(|| "Utan titel".into()),
            dnr: d.dnr.clone().unwrap_or_default(),
            namnd: d.namnd.clone().unwrap_or_default(),
            date: d.date.map(|x| x.to_string()).unwrap_or_default(),
            status: status_words(*n),
            approved: *n > 0,
            log_index: d.log_index,
        })
        .collect();
    let shown = rows.len();
    let page = ListPage {
        previous: (current > 1).then(|| page_link(&q, current - 1)),
        next: (found.offset + shown < found.total).then(|| page_link(&q, current + 1)),
        first: if shown == 0 { 0 } else { found.offset + 1 },
        last: found.offset + shown,
        total: found.total,
        rows,
        chrome,
        q,
        searched: true,
    };
    page::html(&page)
}

// ---------------------------------------------------------------- import

#[derive(Template)]
#[template(path = "import.html", config = "src/http/web/askama.toml")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub limit: String,
}

/// What became of one file.
#[derive(Debug, Clone)]
pub struct ImportResult {
    /// The file's name as sent (shown escaped, shortened).
    pub filename: String,
    pub ok: bool,
    /// The document's id when imported.
    pub id: String,
    pub approvals: Vec<ApprovalView>,
    /// Why not, in Swedish, when not imported.
    pub reason: String,
}

#[derive(Template)]
#[template(path = "imported.html", config = "src/http/web/askama.toml")]
pub struct ImportedPage {
    pub chrome: Chrome,
    pub results: Vec<ImportResult>,
    pub imported: usize,
}

fn import_page(s: &AppState, who: &SignedIn, errors: Vec<FieldError>) -> ImportPage {
    ImportPage {
        chrome: Chrome::new("Importera från arkivet", "/importera", Some(who)).with_errors(errors),
        limit: mib(s.config.body_limit),
    }
}

fn import_error(s: &AppState, who: &SignedIn, status: StatusCode, message: String) -> Response {
    let errors = vec![FieldError {
        field: "dokument",
        message,
    }];
    page::html_status(status, &import_page(s, who, errors))
}

pub async fn import_form(State(s): State<AppState>, Staff(who, _): Staff<AsRegistrar>) -> Response {
    page::html(&import_page(&s, &who, Vec::new()))
}

/// Imports every file on its own: one that is refused does not stop the rest.
pub async fn import(State(s): State<AppState>, f: StaffForm<AsRegistrar>) -> Response {
    let who = &f.signed_in;
    let form = match f.form {
        Ok(form) => form,
        Err(e) => return import_error(&s, who, e.status(), e.to_string()),
    };
    let operator = operator(&who.principal);
    let mut results = Vec::new();
    for upload in form.files("dokument") {
        let outcome = match upload.check_claim() {
            Ok(()) => s.service.import(&upload.bytes, &operator).await,
            Err(e) => Err(e),
        };
        results.push(import_result(&upload.filename, outcome));
    }
    if results.is_empty() {
        return import_error(
            &s,
            who,
            StatusCode::BAD_REQUEST,
            "Välj en eller flera filer att importera.".into(),
        );
    }
    let imported = results.iter().filter(|r| r.ok).count();
    let page = ImportedPage {
        chrome: Chrome::new("Resultat av importen", "/importera", Some(who)),
        results,
        imported,
    };
    page::html(&page)
}

fn import_result(filename: &str, outcome: Result<Imported, ServiceError>) -> ImportResult {
    let filename = super::form::shown_name(filename);
    match outcome {
        Ok(i) => ImportResult {
            filename,
            ok: true,
            id: i.registered.text_sha256.to_hex(),
            approvals: i.approvals.iter().map(ApprovalView::of).collect(),
            reason: String::new(),
        },
        Err(e) => ImportResult {
            filename,
            ok: false,
            id: String::new(),
            approvals: Vec::new(),
            reason: refusal_words(&e).1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_becomes_the_services_filter() {
        let q = ListQuery {
            dnr: " 2026/1234 ".into(),
            fran: "2026-12-10".into(),
            till: "2026-12-10".into(),
            ..ListQuery::default()
        };
        let f = filter_of(&q).unwrap();
        assert_eq!(f.dnr.as_deref(), Some("2026/1234"));
        assert_eq!(f.from.as_deref(), Some("2026-12-10"));
        assert_eq!(f.to, f.from);
        assert!(f.title.is_none() && f.namnd.is_none());
    }

    #[test]
    fn a_wrong_date_is_named_on_its_field() {
        let q = ListQuery {
            fran: "10/12/2026".into(),
            till: "2026-02-30".into(),
            ..ListQuery::default()
        };
        let fields: Vec<_> = filter_of(&q).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["fran", "till"]);
        let q = ListQuery {
            fran: "2026-12-11".into(),
            till: "2026-12-10".into(),
            ..ListQuery::default()
        };
        assert_eq!(filter_of(&q).unwrap_err()[0].field, "till");
    }

    #[test]
    fn a_page_link_keeps_the_search_and_escapes_it() {
        let q = ListQuery {
            dnr: "2026/1&2".into(),
            ..ListQuery::default()
        };
        assert_eq!(page_link(&q, 2), "/dokument?dnr=2026%2F1%262&sida=2");
    }

    #[test]
    fn status_is_said_in_words() {
        assert_eq!(status_words(0), "Väntar på godkännande");
        assert_eq!(status_words(2), "Godkänt av 2");
    }
}

//! The auditors' pages: "Signaturlogg" (every approval, filtered and paged,
//! with the API's CSV and JSON export for the same filter) and "Loggens
//! integritet" (the latest checkpoint, and the whole audit run in the
//! background with its progress). Role: auditor (an administrator too).

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page::{self, Chrome, FieldError};
use super::session::{Staff, StaffForm};
use super::words::{kind_word_capitalised, local_time};
use crate::http::AppState;
use crate::http::auth::AsAuditor;
use crate::service::audit::AuditReport;
use crate::service::audit_jobs::AuditJob;
use crate::service::listing::{SignatureFilter, SignatureRow, is_date};
use crate::service::paging::{Page, page_number};
use crate::service::sessions::SignedIn;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signaturlogg", get(signature_log))
        .route("/signaturlogg.csv", get(signature_csv))
        .route("/signaturlogg.json", get(signature_json))
        .route("/integritet", get(integrity).post(start_audit))
        .route("/integritet/granskning/{id}", get(audit_job))
}

/// The longest text a filter field accepts (names and dnr are far shorter).
const MAX_FIELD: usize = 200;

/// What the filter form sent, as typed (kept on the page when it is wrong).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub person: String,
    pub roll: String,
    pub fran: String,
    pub till: String,
    pub dnr: String,
    /// The page asked for, from 1 (anything unreadable is page 1, the
    /// service shows the last for one past it).
    pub sida: usize,
}

impl LogQuery {
    /// Reads a query string leniently: the first value of each known name,
    /// trimmed; unknown names are ignored (a page is not an API).
    pub fn parse(raw: Option<&str>) -> LogQuery {
        let mut q = LogQuery {
            sida: 1,
            ..LogQuery::default()
        };
        let mut seen = std::collections::HashSet::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !seen.insert(name.clone()) {
                continue;
            }
            let value = value.trim().to_string();
            match name.as_ref() {
                "person" => q.person = value,
                "roll" => q.roll = value,
                "fran" => q.fran = value,
                "till" => q.till = value,
                "dnr" => q.dnr = value,
                "sida" => q.sida = page_number(&value),
                _ => {}
            }
        }
        q
    }

    /// What is wrong with the filter, field by field.
    pub fn errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (field, label, value) in [
            ("person", "Person", &self.person),
            ("roll", "Roll", &self.roll),
            ("fran", "Från", &self.fran),
            ("till", "Till", &self.till),
            ("dnr", "Dnr", &self.dnr),
        ] {
            if value.chars().count() > MAX_FIELD {
                errors.push(FieldError {
                    field,
                    message: format!("{label} får vara högst {MAX_FIELD} tecken."),
                });
            } else if matches!(field, "fran" | "till") && !value.is_empty() && !is_date(value) {
                errors.push(FieldError {
                    field,
                    message: date_error(label, value),
                });
            }
        }
        if errors.is_empty()
            && !self.fran.is_empty()
            && !self.till.is_empty()
            && self.till < self.fran
        {
            errors.push(FieldError {
                field: "till",
                message: "Till får inte vara före Från.".into(),
            });
        }
        errors
    }

    /// The service's filter: a part of the name or role, dates inclusive, the dnr exactly.
    pub fn filter(&self) -> SignatureFilter {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        SignatureFilter {
            person_contains: some(&self.person),
            role_contains: some(&self.roll),
            from: some(&self.fran),
            to: some(&self.till),
            dnr: some(&self.dnr),
            ..SignatureFilter::default()
        }
    }

    /// The filter as a query string (only the fields filled in), with a page if given.
    pub fn query_string(&self, page: Option<usize>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("person", &self.person),
            ("roll", &self.roll),
            ("fran", &self.fran),
            ("till", &self.till),
            ("dnr", &self.dnr),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
        if let Some(p) = page {
            pairs.push(("sida", p.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// `path` with the filter (and page) as its query.
    fn href(&self, path: &str, page: Option<usize>) -> String {
        let q = self.query_string(page);
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}

/// Why a date field's text is no date: the wrong form, or a day that does not exist.
fn date_error(label: &str, value: &str) -> String {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if shaped {
        format!("{label}: datumet {value} finns inte. Skriv ett datum som finns, ÅÅÅÅ-MM-DD.")
    } else {
        format!("{label} ska vara ett datum som skrivs ÅÅÅÅ-MM-DD, till exempel 2026-03-01.")
    }
}

/// One row of the table, as the page shows it.
pub struct RowView {
    pub name: String,
    pub role: String,
    pub date: String,
    pub document_href: String,
    pub title: String,
    pub dnr: String,
    pub kind: &'static str,
    pub log_index: u64,
}

impl From<SignatureRow> for RowView {
    fn from(r: SignatureRow) -> RowView {
        RowView {
            kind: kind_word_capitalised(&r.kind),
            name: r.name,
            role: r.role,
            date: r.date,
            document_href: format!("/dokument/{}", r.document.to_hex()),
            title: r.title.unwrap_or_else(|| "(utan titel)".into()),
            dnr: r.dnr.unwrap_or_default(),
            log_index: r.log_index,
        }
    }
}

/// One field of the filter form.
pub struct FieldView {
    pub id: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// What was typed.
    pub value: String,
}

impl LogQuery {
    /// The form's fields with what was typed in them.
    fn fields(&self) -> Vec<FieldView> {
        let field = |id, label, hint, value: &String| FieldView {
            id,
            label,
            hint,
            value: value.clone(),
        };
        vec![
            field(
                "person",
                "Person",
                "Hela namnet eller en del av det",
                &self.person,
            ),
            field(
                "roll",
                "Roll",
                "Hela rollen eller en del av den",
                &self.roll,
            ),
            field("fran", "Från", "Datum, ÅÅÅÅ-MM-DD", &self.fran),
            field("till", "Till", "Datum, ÅÅÅÅ-MM-DD", &self.till),
            field("dnr", "Dnr", "Hela diarienumret", &self.dnr),
        ]
    }
}

/// A link to another page of the listing.
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "signaturlogg.html", config = "src/http/web/askama.toml")]
pub struct SignatureLogPage {
    pub chrome: Chrome,
    pub query: LogQuery,
    pub fields: Vec<FieldView>,
    /// The page of rows; `None` when the filter is wrong (nothing is listed then).
    pub pager: Option<Page<RowView>>,
    /// Page links: `None` is a gap ("…").
    pub pages: Vec<Option<PageLink>>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub csv_href: String,
    pub json_href: String,
}

impl SignatureLogPage {
    fn new(chrome: Chrome, query: LogQuery) -> SignatureLogPage {
        SignatureLogPage {
            chrome,
            csv_href: query.href("/signaturlogg.csv", None),
            json_href: query.href("/signaturlogg.json", None),
            fields: query.fields(),
            query,
            pager: None,
            pages: Vec::new(),
            previous: None,
            next: None,
        }
    }

    /// The page showing the service's page of rows, with links to the others.
    fn listing(mut self, found: Page<SignatureRow>) -> SignatureLogPage {
        let link = |n: usize| self.query.href("/signaturlogg", Some(n));
        self.pages = found
            .numbers()
            .into_iter()
            .map(|n| {
                n.map(|number| PageLink {
                    number,
                    href: link(number),
                    current: number == found.page,
                })
            })
            .collect();
        self.previous = (found.page > 1).then(|| link(found.page - 1));
        self.next = (found.page < found.pages).then(|| link(found.page + 1));
        self.pager = Some(found.map(RowView::from));
        self
    }
}

/// The page that says what is wrong with the filter, if anything is.
fn wrong_filter(who: &SignedIn, query: &LogQuery) -> Option<Response> {
    let errors = query.errors();
    if errors.is_empty() {
        return None;
    }
    let chrome = Chrome::new("Signaturlogg", "/signaturlogg", Some(who)).with_errors(errors);
    let page = SignatureLogPage::new(chrome, query.clone());
    Some(page::html_status(StatusCode::BAD_REQUEST, &page))
}

/// The page for a service that could not list the signatures.
fn not_shown(who: &SignedIn, e: &crate::service::ServiceError) -> Response {
    let (status, text) = page::service_error(e);
    page::message(status, Some(who), "Signaturloggen kunde inte visas", text)
}

/// All the filter's rows (for the exports), or the page that says what is wrong.
async fn filtered(
    s: &AppState,
    who: &SignedIn,
    query: &LogQuery,
) -> Result<Vec<SignatureRow>, Response> {
    if let Some(page) = wrong_filter(who, query) {
        return Err(page);
    }
    s.service
        .signature_log(&query.filter())
        .await
        .map_err(|e| not_shown(who, &e))
}

pub async fn signature_log(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAuditor>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = LogQuery::parse(raw.as_deref());
    if let Some(page) = wrong_filter(&who, &query) {
        return page;
    }
    let found = match s.service.signature_page(&query.filter(), query.sida).await {
        Ok(found) => found,
        Err(e) => return not_shown(&who, &e),
    };
    let chrome = Chrome::new("Signaturlogg", "/signaturlogg", Some(&who));
    page::html(&SignatureLogPage::new(chrome, query).listing(found))
}

/// The filter's rows as the API's CSV export.
pub async fn signature_csv(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAuditor>,
    RawQuery(raw): RawQuery,
) -> Response {
    let rows = match filtered(&s, &who, &LogQuery::parse(raw.as_deref())).await {
        Ok(rows) => rows,
        Err(page) => return page,
    };
    match crate::http::handlers::signatures_csv(&rows) {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "signature export failed");
            page::server_error(Some(&who))
        }
    }
}

/// The filter's rows as the API's JSON, as a download.
pub async fn signature_json(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAuditor>,
    RawQuery(raw): RawQuery,
) -> Response {
    match filtered(&s, &who, &LogQuery::parse(raw.as_deref())).await {
        Ok(rows) => (
            [(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"signaturlogg.json\"",
            )],
            Json(rows),
        )
            .into_response(),
        Err(page) => page,
    }
}

#[derive(Template)]
#[template(path = "integritet.html", config = "src/http/web/askama.toml")]
pub struct IntegrityPage {
    pub chrome: Chrome,
    pub size: u64,
    pub root: String,
    /// When the last entry was logged, in Swedish time; empty if unknown.
    pub time: String,
    pub note: String,
}

pub async fn integrity(State(s): State<AppState>, Staff(who, _): Staff<AsAuditor>) -> Response {
    match s.service.checkpoint_summary().await {
        Ok(c) => page::html(&IntegrityPage {
            chrome: Chrome::new("Loggens integritet", "/integritet", Some(&who)),
            size: c.size,
            root: c
                .root
                .unwrap_or_else(|| "(kontrollpunkten kan inte läsas med loggens nyckel)".into()),
            time: c.last_entry_at.map(local_time).unwrap_or_default(),
            note: c.note,
        }),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            page::message(status, Some(&who), "Kontrollpunkten kunde inte visas", text)
        }
    }
}

/// "Granska hela loggen": starts the audit (or finds the running one) and
/// goes to its progress page.
pub async fn start_audit(State(s): State<AppState>, form: StaffForm<AsAuditor>) -> Response {
    if let Err(e) = &form.form {
        return page::message(
            StatusCode::BAD_REQUEST,
            Some(&form.signed_in),
            "Granskningen kunde inte startas",
            e.to_string(),
        );
    }
    match s.service.start_audit() {
        Ok(id) => page::see_other(&format!("/integritet/granskning/{id}")),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            page::message(
                status,
                Some(&form.signed_in),
                "Granskningen kunde inte startas",
                text,
            )
        }
    }
}

/// The report as the page shows it.
pub struct ReportView {
    pub ok: bool,
    pub entries: u64,
    pub checkpoints: u64,
    pub documents: usize,
    pub approvals: usize,
    pub certificates: usize,
    pub problems: Vec<String>,
}

impl From<&AuditReport> for ReportView {
    fn from(r: &AuditReport) -> ReportView {
        ReportView {
            ok: r.ok,
            entries: r.entries,
            checkpoints: r.checkpoints,
            documents: r.documents,
            approvals: r.approvals,
            certificates: r.certificates,
            problems: r.problems.iter().map(|p| p.message.clone()).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "granskning.html", config = "src/http/web/askama.toml")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub id: String,
    /// While running: entries done and to do.
    pub done: u64,
    pub total: u64,
    pub report: Option<ReportView>,
    /// When the audit could not run to its end: why, in one sentence.
    pub failure: Option<String>,
}

/// A job id as `start_audit` made it: 32 lowercase hex digits.
fn job_id(text: &str) -> Option<&str> {
    (text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then_some(text)
}

/// The sentence for an audit that could not finish.
fn failure_words(e: Option<&crate::service::ServiceError>) -> String {
    match e {
        Some(e) => page::service_error(e).1,
        None => {
            "Granskningen avbröts av ett fel i tjänsten; felet är loggat. Starta en ny granskning."
                .into()
        }
    }
}

/// The progress page of an audit, or (`{id}.json`) its state for audit.js.
pub async fn audit_job(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAuditor>,
    Path(path): Path<String>,
) -> Response {
    let (id, json) = match path.strip_suffix(".json") {
        Some(id) => (id, true),
        None => (path.as_str(), false),
    };
    let job = job_id(id).and_then(|id| s.service.audit_job(id));
    if json {
        return job_json(job);
    }
    let Some(job) = job else {
        return page::message(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Granskningen finns inte",
            "Granskningen är för gammal eller har aldrig funnits. Gå till Loggens integritet och starta en ny.",
        );
    };
    let mut page = AuditPage {
        chrome: Chrome::new("Granskning pågår", "", Some(&who)),
        id: id.to_string(),
        done: 0,
        total: 0,
        report: None,
        failure: None,
    };
    match job {
        AuditJob::Running { done, total } => {
            page.done = done;
            page.total = total;
        }
        AuditJob::Done(report) => {
            page.chrome.title = if report.ok {
                "Granskningen är klar: loggen är intakt".into()
            } else {
                "Granskningen är klar: problem hittades".into()
            };
            page.report = Some(ReportView::from(report.as_ref()));
        }
        AuditJob::Failed(e) => {
            page.chrome.title = "Granskningen kunde inte slutföras".into();
            page.failure = Some(failure_words(e.as_deref()));
        }
    }
    page::html(&page)
}

/// The state of a job for the page's script: running (with counts) or finished.
fn job_json(job: Option<AuditJob>) -> Response {
    let (status, body) = match job {
        None => (
            StatusCode::NOT_FOUND,
            serde_json::json!({ "state": "unknown" }),
        ),
        Some(AuditJob::Running { done, total }) => (
            StatusCode::OK,
            serde_json::json!({ "state": "running", "done": done, "total": total }),
        ),
        Some(AuditJob::Done(r)) => (
            StatusCode::OK,
            serde_json::json!({ "state": "done", "ok": r.ok }),
        ),
        Some(AuditJob::Failed(_)) => (StatusCode::OK, serde_json::json!({ "state": "failed" })),
    };
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_read_leniently_and_kept_as_typed() {
        let q = LogQuery::parse(Some(
            "person=+Anna+Berg+&roll=chef&fran=2026-01-01&till=&dnr=2026%2F1&sida=x&okänt=1&person=Eva",
        ));
        assert_eq!(q.person, "Anna Berg");
        assert_eq!(q.roll, "chef");
        assert_eq!(q.fran, "2026-01-01");
        assert_eq!(q.dnr, "2026/1");
        assert_eq!(q.sida, 1);
        assert!(q.errors().is_empty());
        let f = q.filter();
        assert_eq!(f.person_contains.as_deref(), Some("Anna Berg"));
        assert_eq!(f.to, None);
        assert_eq!(
            q.query_string(Some(2)),
            "person=Anna+Berg&roll=chef&fran=2026-01-01&dnr=2026%2F1&sida=2"
        );
        assert_eq!(
            LogQuery::parse(None).href("/signaturlogg.csv", None),
            "/signaturlogg.csv"
        );
    }

    #[test]
    fn a_bad_date_or_a_reversed_range_or_a_long_text_is_an_error_of_its_field() {
        let q = LogQuery::parse(Some("fran=2026-13-01"));
        assert_eq!(q.errors()[0].field, "fran");
        assert!(q.errors()[0].message.contains("finns inte"));
        let q = LogQuery::parse(Some("till=1+mars"));
        assert_eq!(q.errors()[0].field, "till");
        assert!(q.errors()[0].message.contains("ÅÅÅÅ-MM-DD"));
        let q = LogQuery::parse(Some("fran=2026-02-01&till=2026-01-01"));
        assert_eq!(q.errors()[0].field, "till");
        let long = "a".repeat(MAX_FIELD + 1);
        let q = LogQuery::parse(Some(&format!("dnr={long}")));
        assert_eq!(q.errors()[0].field, "dnr");
    }

    #[test]
    fn a_page_number_too_large_or_below_one_is_read_without_overflow() {
        let sida = |v: &str| LogQuery::parse(Some(&format!("sida={v}"))).sida;
        assert_eq!(sida("99999999999999999999"), usize::MAX);
        assert_eq!(sida("0"), 0, "the service shows the first page for it");
        assert_eq!(sida("-1"), 1);
        assert_eq!(sida("3"), 3);
    }

    #[test]
    fn how_many_rows_are_shown_is_said_in_a_status_element() {
        for rows in [0, 120] {
            let html = SignatureLogPage::new(
                Chrome::new("Signaturlogg", "/signaturlogg", None),
                LogQuery::parse(None),
            )
            .listing(Page::of((0..rows).map(row).collect(), 1))
            .render()
            .unwrap();
            assert!(html.contains(r#"<p id="antal" role="status">"#), "{html}");
        }
    }

    fn row(i: u64) -> SignatureRow {
        SignatureRow {
            log_index: i,
            name: format!("Person {i}"),
            role: "Chef".into(),
            date: "2026-03-01".into(),
            kind: if i.is_multiple_of(2) {
                "signed"
            } else {
                "imported"
            }
            .into(),
            title: (i != 3).then(|| "<b>Titel</b>".to_string()),
            dnr: Some("2026/1".into()),
            document: attestera_core::Hash::from_hex(&"ab".repeat(32)).unwrap(),
        }
    }

    #[test]
    fn a_middle_page_links_back_forth_and_near_keeping_the_filter() {
        let query = LogQuery::parse(Some("roll=Chef&sida=2"));
        let html = SignatureLogPage::new(Chrome::new("Signaturlogg", "/signaturlogg", None), query)
            .listing(Page::of((0..120).map(row).collect(), 2))
            .render()
            .unwrap();
        assert!(html.contains("Visar 51–100 av 120"), "{html}");
        assert!(
            html.contains(
                r#"<a href="/signaturlogg?roll=Chef&#38;sida=1" rel="prev">Föregående</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("rel=\"next\">Nästa</a>"));
        assert!(html.contains("sida=3"));
        assert!(
            html.contains(r#"href="/signaturlogg.csv?roll=Chef""#),
            "{html}"
        );
        assert_eq!(
            html.matches("<tr>").count(),
            51,
            "a header row and fifty rows"
        );
        assert!(html.contains("<td>Person 50</td>") && !html.contains("<td>Person 49</td>"));
        assert!(!html.contains("<b>"), "text is escaped");
        assert!(html.contains("Överfört från arkivet") && html.contains("Signerat"));
    }

    #[test]
    fn a_running_audit_shows_its_progress_and_a_button_to_reload_without_refresh() {
        let page = AuditPage {
            chrome: Chrome::new("Granskning pågår", "", None),
            id: "a".repeat(32),
            done: 3,
            total: 10,
            report: None,
            failure: None,
        };
        let html = page.render().unwrap();
        assert!(
            html.contains(r#"<progress id="forlopp" max="10" value="3">"#),
            "{html}"
        );
        assert!(html.contains("Granskar … 3 av 10 poster"));
        assert!(html.contains(">Uppdatera</button>"));
        assert!(html.contains("/static/audit.js"));
        assert!(!html.contains("http-equiv"), "no meta refresh");
        assert!(!html.contains("role=\"status\""), "no report yet");
    }

    #[test]
    fn only_ids_the_service_makes_are_looked_up() {
        assert!(job_id(&"a".repeat(32)).is_some());
        for bad in ["", "../x", &"A".repeat(32), &"a".repeat(33)] {
            assert!(job_id(bad).is_none(), "{bad}");
        }
    }
}

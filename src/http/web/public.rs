//! The public pages: check a document, look one up by its id, about the
//! log, the accessibility statement. No sign-in; what they show is what the
//! public API shows. (A document's own page is `document`'s.)

use askama::Template;
use attestera_core::Hash;
use axum::Router;
use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::form::{self, mib};
use super::page::{self, Chrome, FieldError};
use super::session::Visitor;
use super::verdict;
use crate::http::AppState;
use crate::service::ServiceError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/kontrollera", post(check))
        .route("/hitta", get(find))
        .route("/om-loggen", get(about_log))
}

#[derive(Template)]
#[template(path = "check.html", config = "src/http/web/askama.toml")]
pub struct CheckPage {
    pub chrome: Chrome,
    /// The largest file accepted, in words ("20 MiB").
    pub limit: String,
    /// What was typed in the look-up field, kept when it is wrong.
    pub id: String,
}

pub async fn home(State(s): State<AppState>, visitor: Visitor) -> Response {
    let page = CheckPage {
        chrome: Chrome::new("Kontrollera ett dokument", "/", visitor.who()),
        limit: mib(s.config.body_limit),
        id: String::new(),
    };
    page::html(&page)
}

/// The start page again, with `message` on the field `field` (`dokument`
/// or `id`) and what was typed in the look-up kept.
fn check_form(
    s: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    field: &'static str,
    message: String,
    id: &str,
) -> Response {
    let page = CheckPage {
        chrome: Chrome::new("Kontrollera ett dokument", "/", visitor.who())
            .with_errors(vec![FieldError { field, message }]),
        limit: mib(s.config.body_limit),
        id: id.to_string(),
    };
    page::html_status(status, &page)
}

/// `POST /kontrollera`: the verdict page for the uploaded file, or the
/// form again with why it could not be checked.
pub async fn check(State(s): State<AppState>, visitor: Visitor, req: Request) -> Response {
    let form = match form::read(req, &s).await {
        Ok(f) => f,
        Err(e) => return check_form(&s, &visitor, e.status(), "dokument", e.to_string(), ""),
    };
    let Some(upload) = form.file("dokument") else {
        let message = "Välj en fil att kontrollera.".to_string();
        return check_form(
            &s,
            &visitor,
            StatusCode::BAD_REQUEST,
            "dokument",
            message,
            "",
        );
    };
    let checked = match upload.check_claim() {
        Ok(()) => s.service.check_copy(&upload.bytes).await,
        Err(e) => Err(e),
    };
    match checked {
        Ok(check) => {
            let heading = super::words::verdict_sentence(&check.verdict);
            let chrome = Chrome::new(heading, "/kontrollera", visitor.who());
            page::html(&verdict::page(chrome, &upload.filename, &check))
        }
        Err(e) => {
            let (status, message) = page::service_error(&e);
            if status.is_server_error() {
                return page::server_error(visitor.who());
            }
            check_form(&s, &visitor, status, "dokument", message, "")
        }
    }
}

/// The field `id` of a query string, as typed (at most 200 characters:
/// enough to show what was wrong, never a page of it).
pub fn typed_id(query: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.chars().take(200).collect())
        .unwrap_or_default()
}

/// What was typed as a document id, read as one (case and surrounding
/// space forgiven), or the sentence that says why it is not one.
pub fn parse_id(typed: &str) -> Result<Hash, &'static str> {
    let t = typed.trim();
    if t.is_empty() {
        return Err("Skriv dokumentets id.");
    }
    super::documents::parse_id(t)
        .ok_or("Dokumentets id ska vara 64 tecken, bara siffrorna 0–9 och bokstäverna a–f.")
}

/// `GET /hitta?id=`: to the document's page, or the start page with why not.
pub async fn find(
    State(s): State<AppState>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> Response {
    let typed = typed_id(query.as_deref().unwrap_or_default());
    let id = match parse_id(&typed) {
        Ok(id) => id,
        Err(m) => {
            return check_form(
                &s,
                &visitor,
                StatusCode::BAD_REQUEST,
                "id",
                m.into(),
                &typed,
            );
        }
    };
    match s.service.document_info(&id).await {
        Ok(_) => page::see_other(&format!("/dokument/{id}")),
        Err(ServiceError::UnknownDocument(_)) => check_form(
            &s,
            &visitor,
            StatusCode::NOT_FOUND,
            "id",
            "Det finns inget registrerat dokument med det id:t. Kontrollera att du skrev av hela id:t.".into(),
            &typed,
        ),
        Err(e) => {
            let (status, message) = page::service_error(&e);
            if status.is_server_error() {
                return page::server_error(visitor.who());
            }
            check_form(&s, &visitor, status, "id", message, &typed)
        }
    }
}

#[derive(Template)]
#[template(path = "about_log.html", config = "src/http/web/askama.toml")]
pub struct AboutLogPage {
    pub chrome: Chrome,
    pub size: u64,
    pub checkpoint: String,
    pub public_key: String,
    /// SHA-256 of the organisation CA certificate's DER, hex.
    pub ca_fingerprint: String,
    /// The same as `openssl x509 -fingerprint -sha256` prints it.
    pub ca_fingerprint_openssl: String,
}

/// A hex digest as openssl prints a fingerprint: upper case, colon-separated pairs.
pub fn openssl_fingerprint(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

/// `/om-loggen`: the latest checkpoint, the keys, and how to check it all yourself.
pub async fn about_log(State(s): State<AppState>, visitor: Visitor) -> Response {
    let (size, checkpoint) = match s.service.checkpoint().await {
        Ok(c) => c,
        Err(e) => {
            page::service_error(&e);
            return page::server_error(visitor.who());
        }
    };
    let ca = Hash::sha256(s.service.ca_der()).to_hex();
    let page = AboutLogPage {
        chrome: Chrome::new("Om loggen", "/om-loggen", visitor.who()),
        size,
        checkpoint,
        public_key: s.service.public_key(),
        ca_fingerprint_openssl: openssl_fingerprint(&ca),
        ca_fingerprint: ca,
    };
    page::html(&page)
}

#[derive(Template)]
#[template(path = "accessibility.html", config = "src/http/web/askama.toml")]
pub struct AccessibilityPage {
    pub chrome: Chrome,
    /// The organisation that runs the service (its CA's), which the statement is from.
    pub org: String,
}

/// `/tillganglighet`: the accessibility statement, in DIGG's form.
pub async fn accessibility(State(s): State<AppState>, visitor: Visitor) -> Response {
    page::html(&AccessibilityPage {
        chrome: Chrome::new(
            "Tillgänglighetsredogörelse för attestera",
            "/tillganglighet",
            visitor.who(),
        ),
        org: s.service.config.org.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_64_hex_digits_and_forgives_case_and_space() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_id(&hex).unwrap().to_hex(), hex);
        assert_eq!(
            parse_id(&format!("  {}\n", hex.to_uppercase()))
                .unwrap()
                .to_hex(),
            hex
        );
        assert!(parse_id("").unwrap_err().contains("Skriv"));
        for bad in ["ab", &"g".repeat(64), &"a".repeat(65), "<script>"] {
            assert!(parse_id(bad).unwrap_err().contains("64 tecken"), "{bad}");
        }
    }

    #[test]
    fn the_typed_id_is_read_from_the_query_and_bounded() {
        assert_eq!(typed_id("id=%20abc+d"), " abc d");
        assert_eq!(typed_id("x=1"), "");
        assert_eq!(typed_id(&format!("id={}", "a".repeat(5000))).len(), 200);
        assert_eq!(typed_id("id=%FF%FE"), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn a_fingerprint_reads_as_openssl_prints_it() {
        assert_eq!(openssl_fingerprint("ab01ff"), "AB:01:FF");
    }
}

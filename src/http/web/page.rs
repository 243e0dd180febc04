//! What every page shares: the frame around it ([`Chrome`]: title, menu by
//! role, sign-in state, CSRF token, error summary) and the ways a page is
//! answered. Page text is Swedish and lives in the templates; the sentences
//! of service errors come from the message catalogue.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::service::access::Role;
use crate::service::sessions::SignedIn;

/// One link of the main menu.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub text: &'static str,
    /// Whether this is the page being shown (`aria-current="page"`).
    pub current: bool,
}

/// A problem with one field of a form: shown in the error summary (linking
/// to the field) and beside the field itself.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The `id` of the field the summary links to.
    pub field: &'static str,
    pub message: String,
}

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's own title; `<title>` adds the service's name, and "Fel: " first when `errors` is not empty.
    pub title: String,
    /// The signed-in person, if any.
    pub user: Option<User>,
    /// The session's CSRF token (empty when signed out); every form that changes state sends it.
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub errors: Vec<FieldError>,
    /// Seconds until the session ends for inactivity (0 when signed out).
    pub idle_secs: i64,
}

/// Who is signed in, as the page header shows it.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub role: Role,
}

/// A role in Swedish, as pages show it.
pub fn role_words(role: Role) -> &'static str {
    match role {
        Role::Admin => "administratör",
        Role::Registrar => "registrator",
        Role::Approver => "godkännare",
        Role::Auditor => "granskare",
    }
}

/// The menu: public pages for everyone, then the pages the role may use.
const MENU: &[(&str, &str, Option<Role>)] = &[
    ("/", "Kontrollera ett dokument", None),
    ("/om-loggen", "Om loggen", None),
    ("/registrera", "Registrera dokument", Some(Role::Registrar)),
    ("/dokument", "Dokument", Some(Role::Registrar)),
    (
        "/importera",
        "Importera från arkivet",
        Some(Role::Registrar),
    ),
    ("/att-godkanna", "Att godkänna", Some(Role::Approver)),
    ("/min-nyckel", "Min signeringsnyckel", Some(Role::Approver)),
    ("/signaturlogg", "Signaturlogg", Some(Role::Auditor)),
    ("/integritet", "Loggens integritet", Some(Role::Auditor)),
    ("/certifikat", "Certifikat", Some(Role::Admin)),
    ("/inloggningskoder", "Inloggningskoder", Some(Role::Admin)),
];

impl Chrome {
    /// The frame of the page at `path` titled `title`, for `who`.
    pub fn new(title: impl Into<String>, path: &str, who: Option<&SignedIn>) -> Chrome {
        let role = who.map(|s| s.principal.role);
        let nav = MENU
            .iter()
            .filter(|(_, _, needs)| match (needs, role) {
                (None, _) => true,
                (Some(needed), Some(has)) => has.allows(*needed),
                (Some(_), None) => false,
            })
            .map(|(href, text, _)| NavLink {
                href,
                text,
                current: *href == path,
            })
            .collect();
        Chrome {
            title: title.into(),
            user: who.map(|s| User {
                name: s.principal.name.clone(),
                role: s.principal.role,
            }),
            csrf: who.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
            errors: Vec::new(),
            idle_secs: who.map(|s| s.idle_secs_left).unwrap_or(0),
        }
    }

    /// The same frame showing `errors` (the title then begins "Fel: ").
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Chrome {
        self.errors = errors;
        self
    }

    /// The text of `<title>`.
    pub fn full_title(&self) -> String {
        let title = format!("{} – attestera", self.title);
        if self.errors.is_empty() {
            title
        } else {
            format!("Fel: {title}")
        }
    }

    /// The error shown beside the field `id`, if any.
    pub fn error_for(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.as_str())
    }

    pub fn role_words(&self) -> &'static str {
        self.user.as_ref().map(|u| role_words(u.role)).unwrap_or("")
    }
}

/// A rendered page with status 200.
pub fn html<T: Template>(page: &T) -> Response {
    html_status(StatusCode::OK, page)
}

/// A rendered page with `status` (a form with errors is answered 4xx).
pub fn html_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Sidan kunde inte visas. Försök igen senare.\n",
            )
                .into_response()
        }
    }
}

/// "See other": where a form goes after it has changed something.
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A page that only says what went wrong, with a way on.
#[derive(Template)]
#[template(path = "message.html", config = "src/http/web/askama.toml")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub heading: String,
    pub text: String,
}

/// An error page: `status`, h1 `heading`, one sentence `text`.
pub fn message(
    status: StatusCode,
    who: Option<&SignedIn>,
    heading: &str,
    text: impl Into<String>,
) -> Response {
    let page = MessagePage {
        chrome: Chrome::new(heading, "", who),
        heading: heading.into(),
        text: text.into(),
    };
    html_status(status, &page)
}

/// The page for a path that has none.
pub fn not_found(who: Option<&SignedIn>) -> Response {
    message(
        StatusCode::NOT_FOUND,
        who,
        "Sidan finns inte",
        "Kontrollera adressen, eller börja om från startsidan.",
    )
}

/// The page for a failure that is the service's, not the visitor's.
pub fn server_error(who: Option<&SignedIn>) -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        who,
        "Något gick fel",
        "Tjänsten kunde inte göra det du bad om just nu. Försök igen om en stund; kvarstår felet, kontakta den som driver tjänsten.",
    )
}

/// A page that could not be made because the service failed: its sentence
/// for a refusal, the bare error page (detail logged) for a failure.
pub fn failed(who: &SignedIn, e: &crate::service::ServiceError) -> Response {
    let (status, text) = service_error(e);
    if status.is_server_error() {
        server_error(Some(who))
    } else {
        message(status, Some(who), "Det gick inte", sentence(&text))
    }
}

/// The sentence a visitor is shown for a service error, and the status of
/// the page; a failure of the service itself is logged, its detail not shown.
pub fn service_error(e: &crate::service::ServiceError) -> (StatusCode, String) {
    let status = crate::http::problem::status(e);
    if status.is_server_error() {
        tracing::error!(code = e.code(), error = %e, "a page's request failed");
    }
    (
        status,
        crate::http::problem::detail(e, crate::messages::default()),
    )
}

/// The page for a bare error status the framework answered with (a 405 for
/// a GET of a form's address, a 408 when a page took too long).
pub fn for_status(status: StatusCode) -> Response {
    let (heading, text) = match status {
        StatusCode::NOT_FOUND => return not_found(None),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Sidan kan inte visas så",
            "Adressen tar emot ett formulär. Gå till sidan med formuläret och skicka det därifrån.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "Det tog för lång tid",
            "Tjänsten hann inte svara. Försök igen om en stund.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Det du skickade är för stort",
            "Gå tillbaka och skicka en mindre fil.",
        ),
        _ => (
            "Begäran kunde inte tas emot",
            "Gå tillbaka och försök igen.",
        ),
    };
    message(status, None, heading, text)
}

/// A catalogue sentence ("nyckeln är …") as a sentence on a page: a capital
/// first letter and a full stop.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_phrases_become_page_sentences() {
        assert_eq!(sentence("nyckeln är fel"), "Nyckeln är fel.");
        assert_eq!(sentence("ärendet? "), "Ärendet?");
        assert_eq!(sentence("Klart."), "Klart.");
        assert_eq!(sentence(""), "");
    }
}

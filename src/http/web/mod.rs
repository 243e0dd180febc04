//! The web pages: server-rendered Swedish HTML (askama templates under
//! `templates/`) for the public, registrars, auditors and administrators,
//! served beside the API on the same service layer. A handler here only
//! reads a form, calls the service and fills a template; every page works
//! without JavaScript (`assets/site.js` only adds to it).
//!
//! One module per kind of visitor: `public` (anyone), `registrar`,
//! `auditor`, `admin`; `session` signs staff in and out; `page` is the frame
//! every page shares; `form` reads what a form sent.

pub mod admin;
pub mod approver;
pub mod assets;
pub mod auditor;
pub mod documents;
pub mod form;
pub mod page;
pub mod public;
pub mod registrar;
pub mod session;
pub mod verdict;
pub mod words;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};

use tower_http::timeout::TimeoutLayer;

use super::AppState;

/// Every page, and the assets they use. The public reads need a sign-in
/// when the service closes reads (`serve --closed-reads`), as the API's do;
/// pages that only read are cut off after the request timeout, as the
/// API's reads are (forms that append are not: once sent, they commit).
pub fn routes(state: &AppState) -> Router<AppState> {
    let timeout =
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.request_timeout);
    let public_reads = public::routes().merge(documents::routes()).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), session::reads_open),
    );
    Router::new()
        .route("/static/{name}", get(assets::asset))
        .route("/tillganglighet", get(public::accessibility))
        .route("/logga-in", get(session::login_form).post(session::login))
        .route("/logga-ut", post(session::logout))
        .route("/session/forlang", post(session::keep_alive))
        .merge(public_reads.merge(auditor::routes()).layer(timeout))
        .merge(registrar::routes())
        .merge(approver::routes())
        .merge(admin::routes())
}

/// Whether `path` is a page (as opposed to the API, health, metrics, the
/// OpenAPI document): pages answer in HTML, the rest in problem documents.
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json"))
}

/// The Content-Security-Policy of every answer: scripts and styles only
/// from this site (no inline script), no frames, forms only to this site.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every answer, refuses a form sent to a page
/// from another site, and keeps pages (which may show what a signed-in
/// person may see) out of caches.
pub async fn guard(req: Request, next: Next) -> Response {
    let page = is_page(req.uri().path());
    if page && req.method() == Method::POST && cross_site(&req) {
        return page::message(
            StatusCode::FORBIDDEN,
            None,
            "Formuläret kom från en annan webbplats",
            "Av säkerhetsskäl tas formulär bara emot från attesteras egna sidor. Öppna sidan här och skicka formuläret igen.",
        );
    }
    let asset = req.uri().path().starts_with("/static/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if page && !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A POST that the browser says comes from another site (Fetch Metadata),
/// or whose Origin is not this host.
fn cross_site(req: &Request) -> bool {
    let h = req.headers();
    // A browser that says where a request comes from is believed alone.
    if let Some(site) = h.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let (Some(origin), Some(host)) = (h.get(header::ORIGIN), h.get(header::HOST)) else {
        return false;
    };
    let origin = origin.to_str().unwrap_or_default();
    let host = host.to_str().unwrap_or_default();
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    bare != host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_and_operations_answer_in_problems_and_the_rest_in_pages() {
        for p in [
            "/api/v1/documents",
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
        ] {
            assert!(!is_page(p), "{p}");
        }
        for p in ["/", "/logga-in", "/dokument/abc", "/apiv1", "/finns-inte"] {
            assert!(is_page(p), "{p}");
        }
    }

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().method(Method::POST).uri("/logga-in");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn a_form_from_another_site_is_told_apart() {
        assert!(cross_site(&post(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&post(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(cross_site(&post(&[
            ("origin", "null"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!cross_site(&post(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!cross_site(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&post(&[("sec-fetch-site", "same-site")])));
        // Behind a proxy that rewrites Host, the browser's word decides.
        assert!(!cross_site(&post(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://attestera.example.se"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!cross_site(&post(&[])));
    }
}

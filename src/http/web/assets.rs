//! The pages' stylesheet and scripts, compiled into the binary (no npm, no
//! files to deploy beside it).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Every asset by name: its bytes and media type.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "site.css",
        "text/css; charset=utf-8",
        include_str!("assets/site.css"),
    ),
    (
        "audit.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/audit.js"),
    ),
    (
        "import.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/import.js"),
    ),
    (
        "site.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/site.js"),
    ),
    (
        "signing.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/signing.js"),
    ),
    (
        "report.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/report.js"),
    ),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, body)) => (
            [
                (header::CONTENT_TYPE, *media_type),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            *body,
        )
            .into_response(),
        None => super::page::not_found(None),
    }
}

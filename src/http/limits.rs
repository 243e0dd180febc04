//! Limits on the request head, checked by the service so that the answer is
//! a problem document. hyper is configured with higher limits
//! (`HYPER_*`); only a head beyond those, or bytes that are not HTTP at all,
//! get hyper's own bare 431 or 400 (there is no request to answer).

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::Problem;
use crate::messages::RequestProblem;

/// Longest accepted request target (path and query), bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header fields in a request.
pub const MAX_HEADERS: usize = 100;
/// Largest total size of the header fields, bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// hyper's own limits, above ours.
pub const HYPER_MAX_HEADERS: usize = 4 * MAX_HEADERS;
pub const HYPER_MAX_HEAD_BYTES: usize = 64 * 1024;

/// Answers 414 or 431 for a head over the limits: a problem document for
/// the API, a page (with the same Swedish sentence) for a page's path.
pub async fn check_head(request: Request, next: Next) -> Response {
    if let Some(p) = head_problem(&request) {
        if super::web::is_page(request.uri().path()) {
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
            return super::web::page::message(
                status,
                None,
                "Adressen eller begäran är för lång",
                p.detail,
            );
        }
        return p.into_response();
    }
    next.run(request).await
}

fn head_problem(request: &Request) -> Option<Problem> {
    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Some(Problem::request(
            StatusCode::URI_TOO_LONG,
            RequestProblem::UriTooLong {
                bytes: uri_len,
                max: MAX_URI_BYTES,
            },
        ));
    }
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return Some(Problem::request(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            RequestProblem::HeadersTooLarge {
                fields: headers.len(),
                bytes,
                max_fields: MAX_HEADERS,
                max_bytes: MAX_HEADER_BYTES,
            },
        ));
    }
    None
}

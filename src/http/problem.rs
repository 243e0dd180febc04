//! RFC 9457 problem documents: every error the API returns, with the same
//! stable `code` as the CLI's JSON and a Swedish `detail`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::ServiceError;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://attestera.local/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            code,
        }
    }

    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Ogiltig eller saknad token (Authorization: Bearer …).",
        )
    }

    pub fn forbidden(needed: &str) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("Åtgärden kräver rollen {needed}."),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A problem document for a status answered without one (a bare 405 or 408,
/// or any other 4xx the framework gives).
pub fn for_status(status: StatusCode) -> Problem {
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("not_found", "Sökvägen finns inte."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Metoden stöds inte här."),
        StatusCode::PAYLOAD_TOO_LARGE => ("body_too_large", "Begäran är större än tillåtet."),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "Begäran tog för lång tid."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Innehållets typ (Content-Type) stöds inte här.",
        ),
        _ => ("invalid_request", "Begäran kan inte tas emot."),
    };
    Problem::new(status, code, detail)
}

/// The HTTP status for a service error.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::UnknownDocument(_)
        | ServiceError::UnknownLeaf
        | ServiceError::NoSuchEntry { .. }
        | ServiceError::NoSuchToken(_) => StatusCode::NOT_FOUND,
        e if e.is_unreadable_pki() => StatusCode::BAD_REQUEST,
        ServiceError::Refused(r) => match r.code() {
            "document_not_registered" => StatusCode::NOT_FOUND,
            "document_already_registered"
            | "approval_duplicate"
            | "certificate_already_issued"
            | "certificate_already_revoked" => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        },
        ServiceError::Pki(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Text(_) | ServiceError::Block(_) | ServiceError::Entry(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ServiceError::Range(_) => StatusCode::BAD_REQUEST,
        ServiceError::TokenOutdated => StatusCode::UNAUTHORIZED,
        ServiceError::NoApprovals => StatusCode::CONFLICT,
        ServiceError::DocumentHasBlock => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::SequencerStopped | ServiceError::AppendFailed(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        let status = status_of(&e);
        if status.is_server_error() {
            tracing::error!(code = e.code(), error = %e, "request failed");
        }
        Problem::new(status, e.code(), e.to_string())
    }
}

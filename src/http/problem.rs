//! RFC 9457 problem documents: every error the API returns, with the same
//! stable `code` as the CLI's JSON and a Swedish `detail`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::messages::{self, Catalogue, Message, RequestProblem};
use crate::service::ServiceError;
use attestera_core::rules::Refusal;

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

    /// A refusal of the HTTP edge itself, said by the default catalogue.
    pub fn request(status: StatusCode, p: RequestProblem) -> Problem {
        Problem::new(status, p.code(), messages::say(&p))
    }

    pub fn unauthorized() -> Problem {
        Problem::request(StatusCode::UNAUTHORIZED, RequestProblem::Unauthorized)
    }

    pub fn forbidden(needed: &str) -> Problem {
        let needed = needed.to_string();
        Problem::request(StatusCode::FORBIDDEN, RequestProblem::Forbidden { needed })
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
    let p = match status {
        StatusCode::NOT_FOUND => RequestProblem::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => RequestProblem::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => RequestProblem::BodyTooLarge,
        StatusCode::REQUEST_TIMEOUT => RequestProblem::Timeout,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => RequestProblem::UnsupportedMediaType,
        _ => RequestProblem::Invalid,
    };
    Problem::request(status, p)
}

/// The HTTP status for a service error, chosen by its variant. Every
/// variant is named, so a new one must be decided here (docs/api.md, "Fel").
pub fn status(e: &ServiceError) -> StatusCode {
    match e {
        e if e.is_unreadable_pki() => StatusCode::BAD_REQUEST,
        ServiceError::Refused(r) => refusal_status(r),
        ServiceError::UnknownDocument(_)
        | ServiceError::UnknownLeaf
        | ServiceError::NoSuchEntry { .. }
        | ServiceError::NoSuchToken(_)
        | ServiceError::FileNotKept(_) => StatusCode::NOT_FOUND,
        ServiceError::Range(_) => StatusCode::BAD_REQUEST,
        ServiceError::Enrolment(e) => enrolment_status(e),
        ServiceError::TokenOutdated => StatusCode::UNAUTHORIZED,
        ServiceError::NoApprovals => StatusCode::CONFLICT,
        ServiceError::Pdf(e) => pdf_status(e),
        ServiceError::Pki(_)
        | ServiceError::KeyFile(_)
        | ServiceError::Text(_)
        | ServiceError::Block(_)
        | ServiceError::Entry(_)
        | ServiceError::DocumentHasBlock
        | ServiceError::StatementForOtherDocument
        | ServiceError::TokenName(_)
        | ServiceError::TokenNameTooLong { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::SequencerStopped | ServiceError::AppendFailed(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        // The service's own keys: its configuration, never the request.
        ServiceError::ServiceKey { .. }
        | ServiceError::NotInitialized(_)
        | ServiceError::AlreadyInitialized(_)
        | ServiceError::Io { .. }
        | ServiceError::Store(_)
        | ServiceError::Note(_)
        | ServiceError::Tree(_)
        | ServiceError::Config(_)
        | ServiceError::NoRandomness
        | ServiceError::NoCheckpoint
        | ServiceError::NoTempDir
        | ServiceError::CommandWithoutService
        | ServiceError::Worker(_)
        | ServiceError::OutputExists(_)
        | ServiceError::Cancelled
        | ServiceError::TableMismatch { .. }
        | ServiceError::IssuedButNotPlaced { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The status of a certificate request that could not be made or decided.
fn enrolment_status(e: &crate::service::enrolment::EnrolmentError) -> StatusCode {
    use crate::service::enrolment::EnrolmentError as E;
    match e {
        E::NotFound => StatusCode::NOT_FOUND,
        E::AlreadyRequested | E::AlreadyDecided | E::TooManyPending => StatusCode::CONFLICT,
        E::ChallengeInvalid
        | E::ChallengeExpired
        | E::ProofInvalid
        | E::Damaged
        | E::SignInRevoked => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The status of a PDF that could not be handled: 413 over the size cap,
/// 503 when the helper itself is missing, 422 for what is wrong with the file.
fn pdf_status(e: &crate::pdf::PdfError) -> StatusCode {
    use crate::pdf::PdfError;
    match e {
        PdfError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        PdfError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        PdfError::NotPdf
        | PdfError::Encrypted
        | PdfError::Damaged(_)
        | PdfError::TooManyPages { .. }
        | PdfError::Limit(_)
        | PdfError::BlockTooWide
        | PdfError::Unprintable(_) => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The status of a refusal by the log's rules: 404 for what is not there,
/// 409 for what is there already, 422 for the rest.
fn refusal_status(r: &Refusal) -> StatusCode {
    match r {
        Refusal::Pki(e) if e.is_unreadable_input() => StatusCode::BAD_REQUEST,
        Refusal::DocumentNotRegistered => StatusCode::NOT_FOUND,
        Refusal::DocumentAlreadyRegistered
        | Refusal::DuplicateApproval { .. }
        | Refusal::CertificateAlreadyIssued
        | Refusal::CertificateAlreadyRevoked => StatusCode::CONFLICT,
        Refusal::Statement(_)
        | Refusal::Pki(_)
        | Refusal::CertificateUnknown
        | Refusal::CertificateRevoked { .. }
        | Refusal::CaNotRevocable
        | Refusal::CaMissing
        | Refusal::SignerMismatch { .. }
        | Refusal::AlgorithmMismatch
        | Refusal::SignatureEncoding
        | Refusal::SigningTime { .. }
        | Refusal::Invalid(_)
        | Refusal::ImportAfterStart { .. }
        | Refusal::Name(_)
        | Refusal::KeyAlreadyCertified { .. }
        | Refusal::LookalikeUnconfirmed { .. }
        | Refusal::LookalikeConfirmationMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The `detail` a caller is shown: the catalogue's sentence, except that
/// the text of a failing database or filesystem stays in the service's log.
pub(crate) fn detail(e: &ServiceError, c: &dyn Catalogue) -> String {
    match e {
        ServiceError::Store(_) | ServiceError::Io { .. } => c.storage_failed(),
        e => e.render(c),
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        let status = status(&e);
        if status.is_server_error() {
            tracing::error!(code = e.code(), error = %e, source = ?e, "request failed");
        }
        Problem::new(status, e.code(), detail(&e, messages::default()))
    }
}

#[cfg(test)]
mod tests;

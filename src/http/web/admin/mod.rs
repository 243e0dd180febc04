//! The administrator's pages: "Certifikat" (every certificate with its
//! state, issuing one for an approver's public key, revoking one) and
//! "Inloggningskoder" (creating a code, shown once, and revoking one).
//! Each change goes through a "Kontrollera uppgifterna" step before it is
//! made, because a certificate in the log cannot be taken back.

mod certificates;
mod enrolments;
mod revoke;
mod tokens;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;

use super::page::{self, FieldError, sentence};
use crate::http::AppState;
use crate::service::ServiceError;
use crate::service::sessions::SignedIn;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/certifikat", get(certificates::list))
        .route("/certifikat/ansokningar", get(enrolments::list))
        .route("/certifikat/ansokningar/{id}", get(enrolments::show))
        .route(
            "/certifikat/ansokningar/{id}/utfarda",
            post(enrolments::issue),
        )
        .route(
            "/certifikat/ansokningar/{id}/avsla",
            post(enrolments::refuse),
        )
        .route(
            "/certifikat/utfarda",
            get(certificates::issue_form).post(certificates::issue_check),
        )
        .route("/certifikat/utfarda/bekrafta", post(certificates::issue))
        .route("/certifikat/{file}", get(certificates::pem))
        .route(
            "/certifikat/{fingerprint}/utfardat",
            get(certificates::issued),
        )
        .route(
            "/certifikat/{fingerprint}/aterkalla",
            get(revoke::form).post(revoke::check),
        )
        .route(
            "/certifikat/{fingerprint}/aterkalla/bekrafta",
            post(revoke::revoke),
        )
        .route("/certifikat/{fingerprint}/aterkallat", get(revoke::revoked))
        .route("/inloggningskoder", get(tokens::list).post(tokens::create))
        .route("/inloggningskoder/{id}/aterkalla", post(tokens::check))
        .route(
            "/inloggningskoder/{id}/aterkalla/bekrafta",
            post(tokens::revoke),
        )
        .route("/inloggningskoder/{id}/aterkallad", get(tokens::revoked))
}

/// The operator an administrator's change is logged with, as the API logs it.
fn operator(who: &SignedIn) -> String {
    who.principal.operator()
}

/// A service error shown on a form, on the field it is about; `None` when
/// the failure is the service's own (the caller shows the error page).
fn form_error(e: &ServiceError, field: &'static str) -> Option<(StatusCode, FieldError)> {
    let (status, text) = page::service_error(e);
    if status.is_server_error() {
        return None;
    }
    Some((
        status,
        FieldError {
            field,
            message: sentence(&text),
        },
    ))
}

/// A day as pages show it: the date in Stockholm, as every page dates things.
fn day(t: Timestamp) -> String {
    attestera_core::stockholm::date_of(t).to_string()
}

/// A stored time (RFC 3339) as pages show it, to the minute; as stored when
/// it is not one.
fn minute(stored: &str) -> String {
    stored
        .parse::<Timestamp>()
        .map(super::words::local_time)
        .unwrap_or_else(|_| stored.to_string())
}

/// The answer when a form's body could not be read at all.
fn unreadable(who: &SignedIn, e: &super::form::FormError) -> Response {
    page::message(
        e.status(),
        Some(who),
        "Formuläret kunde inte tas emot",
        e.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_stockholm_time_and_odd_ones_as_stored() {
        assert_eq!(minute("2026-12-02T04:55:43Z"), "2026-12-02 05:55");
        assert_eq!(minute("2026-07-02T04:55:43Z"), "2026-07-02 06:55");
        assert_eq!(minute("igår"), "igår");
        assert_eq!(day("2026-12-02T23:59:59Z".parse().unwrap()), "2026-12-03");
        assert_eq!(day("2026-12-02T22:59:59Z".parse().unwrap()), "2026-12-02");
    }
}

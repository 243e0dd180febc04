//! "Återkalla" a certificate: a reason, "Kontrollera uppgifterna" with a
//! warning that it cannot be undone, then the confirmation. Approvals made
//! before the revocation stand; later ones are refused by the log.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::certificates::{CertView, failed, find};
use super::{form_error, operator, unreadable};
use crate::http::AppState;
use crate::http::auth::AsAdmin;
use crate::http::web::page::{self, Chrome, FieldError};
use crate::http::web::session::{Staff, StaffForm};
use crate::service::ServiceError;
use crate::service::sessions::SignedIn;
use attestera_core::rules::{CertificateRow, Refusal};
use attestera_core::statement::MAX_REASON_CHARS;

#[derive(Template)]
#[template(path = "admin-revoke.html", config = "src/http/web/askama.toml")]
pub struct RevokePage {
    pub chrome: Chrome,
    pub cert: CertView,
    pub skal: String,
    pub max_chars: usize,
}

fn revoke_page(
    who: &SignedIn,
    row: &CertificateRow,
    skal: String,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let page = RevokePage {
        chrome: Chrome::new("Återkalla certifikat", "/certifikat", Some(who)).with_errors(errors),
        cert: CertView::of(row, crate::service::now()),
        skal,
        max_chars: MAX_REASON_CHARS,
    };
    page::html_status(status, &page)
}

/// The certificate a path names if it can still be revoked; else the page
/// that says why not.
async fn revocable(
    s: &AppState,
    who: &SignedIn,
    fingerprint: &str,
) -> Result<CertificateRow, Response> {
    let row = find(s, who, fingerprint).await?;
    if row.is_ca {
        return Err(page::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(who),
            "CA-certifikatet kan inte återkallas",
            "Organisationens CA-certifikat kan inte återkallas här. Återkalla i stället godkännarnas certifikat ett och ett.",
        ));
    }
    if row.revoked_index.is_some() {
        return Err(page::message(
            StatusCode::CONFLICT,
            Some(who),
            "Certifikatet är redan återkallat",
            "Certifikatet är redan återkallat. Listan under Certifikat visar när och varför.",
        ));
    }
    Ok(row)
}

/// The reason as sent, or the error that it is missing.
fn reason(text: &str) -> Result<String, FieldError> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(FieldError {
            field: "skal",
            message: "Skriv varför certifikatet återkallas.".into(),
        });
    }
    Ok(reason.into())
}

/// The form; the query's `skal` is the reason "Ändra" brings back.
pub async fn form(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAdmin>,
    Path(fingerprint): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let row = match revocable(&s, &who, &fingerprint).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    let skal = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "skal")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    revoke_page(&who, &row, skal, Vec::new(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "admin-revoke-check.html", config = "src/http/web/askama.toml")]
pub struct RevokeCheckPage {
    pub chrome: Chrome,
    pub cert: CertView,
    pub skal: String,
    /// The reason as a query, for "Ändra".
    pub change: String,
}

/// What both steps read from the form: the certificate (if it may be
/// revoked), the reason as typed (bounded) and the reason as checked; or
/// the page that says why not.
async fn answers(
    s: &AppState,
    sent: &StaffForm<AsAdmin>,
    fingerprint: &str,
) -> Result<(CertificateRow, String, String), Response> {
    let who = &sent.signed_in;
    let form = sent.form.as_ref().map_err(|e| unreadable(who, e))?;
    let row = revocable(s, who, fingerprint).await?;
    let typed: String = form
        .text("skal")
        .chars()
        .take(2 * MAX_REASON_CHARS)
        .collect();
    match reason(&typed) {
        Ok(skal) => Ok((row, typed, skal)),
        Err(e) => Err(revoke_page(
            who,
            &row,
            typed,
            vec![e],
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

/// "Fortsätt": the reason checked as the log would, then shown for confirmation.
pub async fn check(
    State(s): State<AppState>,
    Path(fingerprint): Path<String>,
    sent: StaffForm<AsAdmin>,
) -> Response {
    let who = &sent.signed_in;
    let (row, typed, skal) = match answers(&s, &sent, &fingerprint).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.service.preview_revoke(&row.fingerprint, &skal).await {
        Ok(row) => {
            let page = RevokeCheckPage {
                chrome: Chrome::new("Kontrollera uppgifterna", "/certifikat", Some(who)),
                cert: CertView::of(&row, crate::service::now()),
                change: serde_urlencoded::to_string([("skal", skal.as_str())]).unwrap_or_default(),
                skal,
            };
            page::html(&page)
        }
        Err(e) => refused(who, &row, typed, &e),
    }
}

/// "Återkalla certifikatet": logged, then the confirmation.
pub async fn revoke(
    State(s): State<AppState>,
    Path(fingerprint): Path<String>,
    sent: StaffForm<AsAdmin>,
) -> Response {
    let who = &sent.signed_in;
    let (row, typed, skal) = match answers(&s, &sent, &fingerprint).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s
        .service
        .revoke_fingerprint(&row.fingerprint, &skal, &operator(who))
        .await
    {
        Ok(r) => page::see_other(&format!(
            "/certifikat/{}/aterkallat",
            r.fingerprint.to_hex()
        )),
        Err(e) => refused(who, &row, typed, &e),
    }
}

/// The reason's form again with the refusal, or the page for a refusal
/// that is not about the reason.
fn refused(who: &SignedIn, row: &CertificateRow, typed: String, e: &ServiceError) -> Response {
    match e {
        ServiceError::Refused(Refusal::Invalid(_)) => match form_error(e, "skal") {
            Some((status, error)) => revoke_page(who, row, typed, vec![error], status),
            None => page::server_error(Some(who)),
        },
        e => failed(who, e),
    }
}

#[derive(Template)]
#[template(path = "admin-revoked.html", config = "src/http/web/askama.toml")]
pub struct RevokedPage {
    pub chrome: Chrome,
    pub cert: CertView,
}

/// The confirmation of a revocation.
pub async fn revoked(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAdmin>,
    Path(fingerprint): Path<String>,
) -> Response {
    let row = match find(&s, &who, &fingerprint).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    if row.revoked_index.is_none() {
        return page::see_other(&format!(
            "/certifikat/{}/aterkalla",
            row.fingerprint.to_hex()
        ));
    }
    let page = RevokedPage {
        chrome: Chrome::new("Certifikatet är återkallat", "/certifikat", Some(&who)),
        cert: CertView::of(&row, crate::service::now()),
    };
    page::html(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_trimmed() {
        assert_eq!(
            reason("  Nyckeln borttappad \n").unwrap(),
            "Nyckeln borttappad"
        );
        assert_eq!(reason(" \t").unwrap_err().field, "skal");
    }
}

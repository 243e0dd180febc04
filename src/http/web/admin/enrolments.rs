//! "Certifikat" → "Ansökningar": keys made in approvers' browsers, waiting
//! for a certificate. The request's page is the check step: name, role and
//! the Kontrollkod to compare with the approver out of band, then "Utfärda"
//! (the same use case and log entry as `user add` with an own key) or
//! "Avslå" with a reason the approver sees.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::certificates::failed;
use super::{minute, operator, unreadable};
use crate::http::AppState;
use crate::http::auth::AsAdmin;
use crate::http::web::page::{self, Chrome, FieldError, sentence};
use crate::http::web::session::{Staff, StaffForm};
use crate::service::ServiceError;
use crate::service::enrolment::{Enrolment, EnrolmentState};
use crate::service::sessions::SignedIn;
use attestera_core::pki::KeyAlg;
use attestera_core::rules::Refusal;

/// The validity offered: the API's default (two years).
const DEFAULT_DAYS: i64 = 730;

/// A request as the administrator's pages show it.
pub struct RequestRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub account: String,
    pub check_code: String,
    pub alg: &'static str,
    pub created: String,
    pub state: String,
    pub pending: bool,
}

impl RequestRow {
    fn of(e: &Enrolment, account: String) -> RequestRow {
        let view = crate::http::web::approver::RequestView::of(e);
        RequestRow {
            id: e.id.clone(),
            name: e.name.clone(),
            role: e.role.clone(),
            account,
            check_code: e.check_code.clone(),
            alg: match e.alg {
                Some(KeyAlg::Ed25519) => "Ed25519",
                Some(KeyAlg::EcdsaP256Sha256) => "ECDSA P-256",
                None => "okänd",
            },
            created: minute(&e.created_at.to_string()),
            state: match &e.state {
                EnrolmentState::Pending => "Väntar".into(),
                _ => view.state,
            },
            pending: e.is_pending(),
        }
    }
}

/// The name of the sign-in code a request came with, and whether it is
/// revoked ("–" if it is gone).
async fn account_of(s: &AppState, token_id: i64) -> String {
    match s.service.store().token(token_id).await {
        Ok(Some(t)) if t.revoked_at.is_some() => format!("{} (återkallad)", t.name),
        Ok(Some(t)) => t.name,
        _ => "–".into(),
    }
}

/// Another certificate for the request's name, as the check step lists it.
pub struct SameName {
    pub role: String,
    pub state: String,
    pub short: String,
    pub via: String,
}

#[derive(Template)]
#[template(path = "admin-enrolments.html", config = "src/http/web/askama.toml")]
pub struct EnrolmentsPage {
    pub chrome: Chrome,
    pub pending: Vec<RequestRow>,
    pub decided: Vec<RequestRow>,
}

pub async fn list(State(s): State<AppState>, Staff(who, _): Staff<AsAdmin>) -> Response {
    let all = match s.service.enrolments().await {
        Ok(all) => all,
        Err(e) => return failed(&who, &e),
    };
    let mut pending = Vec::new();
    let mut decided = Vec::new();
    for e in &all {
        let row = RequestRow::of(e, account_of(&s, e.token_id).await);
        if row.pending {
            pending.push(row);
        } else {
            decided.push(row);
        }
    }
    let page = EnrolmentsPage {
        chrome: Chrome::new("Ansökningar", "/certifikat", Some(&who)),
        pending,
        decided,
    };
    page::html(&page)
}

#[derive(Template)]
#[template(path = "admin-enrolment.html", config = "src/http/web/askama.toml")]
pub struct EnrolmentPage {
    pub chrome: Chrome,
    pub r: RequestRow,
    pub dagar: String,
    pub max_days: i64,
    pub lookalikes: String,
    pub bekrafta: bool,
    pub same_name: Vec<SameName>,
}

pub async fn show(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAdmin>,
    Path(id): Path<String>,
) -> Response {
    request_page(&s, &who, &id, Form::default(), Vec::new()).await
}

/// What the issue form held, kept through errors.
#[derive(Default)]
struct Form {
    dagar: String,
    bekrafta: bool,
    lookalikes: String,
}

async fn request_page(
    s: &AppState,
    who: &SignedIn,
    id: &str,
    f: Form,
    errors: Vec<FieldError>,
) -> Response {
    let e = match s.service.enrolment(id).await {
        Ok(e) => e,
        Err(ServiceError::Enrolment(crate::service::enrolment::EnrolmentError::NotFound)) => {
            return page::not_found(Some(who));
        }
        Err(e) => return failed(who, &e),
    };
    let same = match s.service.same_name_certificates(&e).await {
        Ok(same) => same,
        Err(e) => return failed(who, &e),
    };
    let now = crate::service::now();
    let mut same_name = Vec::new();
    for (cert, via) in same {
        let view = super::certificates::CertView::of(&cert, now);
        same_name.push(SameName {
            role: view.role,
            state: view.state,
            short: view.short,
            via: match via {
                Some(t) => format!(
                    "webbläsarnyckel, inloggningskoden {}",
                    account_of(s, t).await
                ),
                None => "utfärdat med en egen nyckel eller nyckelfil".into(),
            },
        });
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EnrolmentPage {
        same_name,
        chrome: Chrome::new("Ansökan om certifikat", "/certifikat", Some(who)).with_errors(errors),
        r: RequestRow::of(&e, account_of(s, e.token_id).await),
        dagar: f.dagar,
        max_days: attestera_core::pki::ca::MAX_VALIDITY_DAYS,
        lookalikes: f.lookalikes,
        bekrafta: f.bekrafta,
    };
    page::html_status(status, &page)
}

/// "Utfärda": the certificate is issued and logged, then its page shown.
pub async fn issue(
    State(s): State<AppState>,
    Path(id): Path<String>,
    sent: StaffForm<AsAdmin>,
) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => return unreadable(who, e),
    };
    let mut f = Form {
        dagar: form.text("dagar").trim().chars().take(20).collect(),
        bekrafta: form.text("bekrafta_liknande") == "ja",
        lookalikes: String::new(),
    };
    if form.text("jamfort") != "ja" {
        let e = FieldError {
            field: "jamfort",
            message: "Jämför kontrollkoden med godkännaren och kryssa i att den stämmer.".into(),
        };
        return request_page(&s, who, &id, f, vec![e]).await;
    }
    let days = if f.dagar.is_empty() {
        Some(DEFAULT_DAYS)
    } else {
        f.dagar.parse::<i64>().ok()
    };
    let Some(days) = days else {
        let e = FieldError {
            field: "dagar",
            message: "Skriv giltighetstiden som ett antal dagar med siffror, till exempel 730."
                .into(),
        };
        return request_page(&s, who, &id, f, vec![e]).await;
    };
    let issued = s
        .service
        .issue_enrolment(&id, days, &operator(who), f.bekrafta)
        .await;
    match issued {
        Ok(c) => page::see_other(&format!("/certifikat/{}/utfardat", c.fingerprint.to_hex())),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            if status.is_server_error() {
                return page::server_error(Some(who));
            }
            let field = match &e {
                ServiceError::Refused(Refusal::LookalikeUnconfirmed { others, .. }) => {
                    f.lookalikes = others
                        .iter()
                        .map(|n| format!("”{n}”"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    "bekrafta"
                }
                ServiceError::Range(_) => "dagar",
                ServiceError::Enrolment(_) => "status",
                _ => "utfarda",
            };
            let error = FieldError {
                field,
                message: sentence(&text),
            };
            request_page(&s, who, &id, f, vec![error]).await
        }
    }
}

/// "Avslå": the request is refused with the reason given.
pub async fn refuse(
    State(s): State<AppState>,
    Path(id): Path<String>,
    sent: StaffForm<AsAdmin>,
) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => return unreadable(who, e),
    };
    let reason = form.text("skal").trim().to_string();
    match s
        .service
        .refuse_enrolment(&id, &operator(who), &reason)
        .await
    {
        Ok(_) => page::see_other("/certifikat/ansokningar"),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            if status.is_server_error() {
                return page::server_error(Some(who));
            }
            let error = FieldError {
                field: match &e {
                    ServiceError::Enrolment(_) => "status",
                    _ => "skal",
                },
                message: sentence(&text),
            };
            request_page(&s, who, &id, Form::default(), vec![error]).await
        }
    }
}

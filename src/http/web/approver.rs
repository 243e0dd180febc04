//! The approver's pages: "Min signeringsnyckel" (a key made in this
//! browser by WebCrypto, sent as a certificate request), "Att godkänna"
//! (what is left to approve, with search), and "Granska och godkänn" (the
//! registered text in full, the statement in words, and the signature the
//! browser makes over it). The private key never reaches the server:
//! `assets/signing.js` makes and uses it; without JavaScript the pages
//! explain that signing needs it.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page::{self, Chrome, FieldError, sentence};
use super::session::{Staff, StaffForm};
use super::words::local_time;
use crate::http::AppState;
use crate::http::auth::AsApprover;
use crate::service::ServiceError;
use crate::service::enrolment::{Enrolment, EnrolmentForm, EnrolmentState};
use crate::service::sessions::SignedIn;
use attestera_core::Hash;
use attestera_core::pki::KeyAlg;
use attestera_core::rules::DocumentRow;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/min-nyckel", get(key_page).post(enrol))
        .route("/att-godkanna", get(to_approve))
        .route("/att-godkanna/{id}", get(review).post(approve))
        .route("/att-godkanna/{id}/uttalande", get(statement))
        .route("/att-godkanna/{id}/godkant/{index}", get(approved))
}

/// A request as the approver's page shows it.
#[derive(Clone)]
pub struct RequestView {
    pub id: String,
    pub name: String,
    pub role: String,
    pub check_code: String,
    pub key_fingerprint: String,
    pub created: String,
    pub state: String,
    pub tag: &'static str,
    /// The certificate's fingerprint, when one was issued.
    pub certificate: Option<String>,
}

impl RequestView {
    pub fn of(e: &Enrolment) -> RequestView {
        let now = crate::service::now();
        let (state, tag, certificate) = match &e.state {
            EnrolmentState::Pending => {
                ("Väntar på administratören".to_string(), "tag-unknown", None)
            }
            EnrolmentState::Issued(cert) => {
                let words = match cert.revoked_at {
                    Some(at) => (format!("Återkallat {}", local_time(at)), "tag-bad"),
                    None if cert.not_after < now => ("Utgånget".into(), "tag-unknown"),
                    None => (
                        format!(
                            "Klar att använda, giltig till {}",
                            attestera_core::stockholm::date_of(cert.not_after)
                        ),
                        "tag-ok",
                    ),
                };
                (words.0, words.1, Some(cert.fingerprint.to_hex()))
            }
            EnrolmentState::Refused { reason, .. } if reason.trim().is_empty() => {
                ("Avslagen".into(), "tag-bad", None)
            }
            EnrolmentState::Refused { reason, .. } => {
                (format!("Avslagen: {reason}"), "tag-bad", None)
            }
            EnrolmentState::Damaged => ("Skadad i databasen".into(), "tag-bad", None),
        };
        RequestView {
            id: e.id.clone(),
            name: e.name.clone(),
            role: e.role.clone(),
            check_code: e.check_code.clone(),
            key_fingerprint: e.key_fingerprint.to_hex(),
            created: local_time(e.created_at),
            state,
            tag,
            certificate,
        }
    }
}

#[derive(Template)]
#[template(path = "key.html", config = "src/http/web/askama.toml")]
pub struct KeyPage {
    pub chrome: Chrome,
    pub requests: Vec<RequestView>,
    /// The request just sent, shown first with its Kontrollkod.
    pub sent: Option<RequestView>,
    pub challenge: String,
    pub namn: String,
    pub roll: String,
}

#[derive(serde::Deserialize, Default)]
pub struct KeyQuery {
    #[serde(default)]
    skickad: Option<String>,
}

pub async fn key_page(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsApprover>,
    Query(q): Query<KeyQuery>,
) -> Response {
    key_page_with(
        &s,
        &who,
        q.skickad.as_deref(),
        String::new(),
        String::new(),
        Vec::new(),
    )
    .await
}

async fn key_page_with(
    s: &AppState,
    who: &SignedIn,
    sent: Option<&str>,
    namn: String,
    roll: String,
    errors: Vec<FieldError>,
) -> Response {
    let (requests, challenge) = match (
        s.service.enrolments_of(who.principal.token_id).await,
        s.service.enrolment_challenge(&who.principal),
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return page::failed(who, &e),
    };
    let requests: Vec<RequestView> = requests.iter().map(RequestView::of).collect();
    let sent = sent
        .and_then(|id| requests.iter().find(|r| r.id == id))
        .map(|r| RequestView {
            id: r.id.clone(),
            name: r.name.clone(),
            role: r.role.clone(),
            check_code: r.check_code.clone(),
            key_fingerprint: r.key_fingerprint.clone(),
            created: r.created.clone(),
            state: r.state.clone(),
            tag: r.tag,
            certificate: r.certificate.clone(),
        });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = KeyPage {
        chrome: Chrome::new("Min signeringsnyckel", "/min-nyckel", Some(who)).with_errors(errors),
        requests,
        sent,
        challenge,
        namn,
        roll,
    };
    page::html_status(status, &page)
}

/// "Skapa nyckel i den här webbläsaren": the request the page made.
pub async fn enrol(State(s): State<AppState>, sent: StaffForm<AsApprover>) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => {
            return page::message(
                e.status(),
                Some(who),
                "Formuläret kunde inte tas emot",
                e.to_string(),
            );
        }
    };
    let namn = form.text("namn").trim().to_string();
    let roll = form.text("roll").trim().to_string();
    let mut errors = Vec::new();
    if namn.is_empty() {
        errors.push(error(
            "namn",
            "Skriv ditt namn som det ska stå på certifikatet.",
        ));
    }
    if roll.is_empty() {
        errors.push(error(
            "roll",
            "Skriv din roll som den ska stå på certifikatet.",
        ));
    }
    if errors.is_empty() && form.text("publik_nyckel").trim().is_empty() {
        errors.push(error(
            "skapa",
            "Nyckeln skapas av JavaScript i webbläsaren, och ingen nyckel kom med. Slå på JavaScript, eller använd en webbläsare som kan skapa nycklar (Ed25519 eller ECDSA P-256), och försök igen.",
        ));
    }
    if !errors.is_empty() {
        return key_page_with(&s, who, None, namn, roll, errors).await;
    }
    let request = EnrolmentForm {
        name: &namn,
        role: &roll,
        public_key_b64: form.text("publik_nyckel"),
        challenge: form.text("utmaning"),
        proof_b64: form.text("bevis"),
    };
    match s
        .service
        .request_certificate(&who.principal, &request)
        .await
    {
        Ok(e) => page::see_other(&format!("/min-nyckel?skickad={}", e.id)),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            if status.is_server_error() {
                return page::server_error(Some(who));
            }
            let field = match &e {
                ServiceError::Pki(attestera_core::pki::PkiError::SubjectName(n))
                | ServiceError::Refused(attestera_core::rules::Refusal::Name(n)) => {
                    match n.field() {
                        attestera_core::pki::name::NameField::Role => "roll",
                        attestera_core::pki::name::NameField::Name => "namn",
                    }
                }
                _ => "skapa",
            };
            key_page_with(
                &s,
                who,
                None,
                namn,
                roll,
                vec![error(field, &sentence(&text))],
            )
            .await
        }
    }
}

fn error(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A document in the list "Att godkänna".
pub struct ToApproveView {
    pub id: String,
    pub title: String,
    pub dnr: String,
    pub namnd: String,
    pub date: String,
    pub registered: String,
}

impl ToApproveView {
    fn of(d: &DocumentRow) -> ToApproveView {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
        ToApproveView {
            id: d.text_sha256.to_hex(),
            title: d.title.clone().unwrap_or_else(|| "(utan titel)".into()),
            dnr: or_dash(&d.dnr),
            namnd: or_dash(&d.namnd),
            date: d.date.map(|x| x.to_string()).unwrap_or_else(|| "–".into()),
            registered: local_time(d.registered_at),
        }
    }
}

#[derive(Template)]
#[template(path = "to-approve.html", config = "src/http/web/askama.toml")]
pub struct ToApprovePage {
    pub chrome: Chrome,
    pub rows: Vec<ToApproveView>,
    pub search: String,
    pub key: KeyState,
}

/// Whether this sign-in has a key with a certificate that may sign.
#[derive(PartialEq, Eq)]
pub enum KeyState {
    Valid,
    /// Certificates were issued, but all are revoked or expired.
    NoneValid,
    None,
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    sok: String,
}

pub async fn to_approve(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsApprover>,
    Query(q): Query<SearchQuery>,
) -> Response {
    let enrolled = match s
        .service
        .enrolled_certificates(who.principal.token_id)
        .await
    {
        Ok(all) => all,
        Err(e) => return page::failed(&who, &e),
    };
    let now = crate::service::now();
    let valid = enrolled.iter().any(|c| {
        let cert = &c.certificate;
        cert.revoked_index.is_none() && cert.not_before <= now && now <= cert.not_after
    });
    let fingerprints: Vec<Hash> = enrolled.iter().map(|c| c.certificate.fingerprint).collect();
    let search: String = q.sok.trim().chars().take(200).collect();
    let rows = match s.service.to_approve(&fingerprints, &search).await {
        Ok(rows) => rows,
        Err(e) => return page::failed(&who, &e),
    };
    let page = ToApprovePage {
        chrome: Chrome::new("Att godkänna", "/att-godkanna", Some(&who)),
        rows: rows.iter().map(ToApproveView::of).collect(),
        search,
        key: match (valid, enrolled.is_empty()) {
            (true, _) => KeyState::Valid,
            (false, true) => KeyState::None,
            (false, false) => KeyState::NoneValid,
        },
    };
    page::html(&page)
}

/// A certificate of this sign-in's keys, for the page to find its own.
pub struct OwnView {
    pub key_fingerprint: String,
    pub certificate: String,
}

#[derive(Template)]
#[template(path = "review.html", config = "src/http/web/askama.toml")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub doc: ToApproveView,
    pub text: Option<String>,
    pub own: Vec<OwnView>,
}

fn document_id(id: &str) -> Option<Hash> {
    Hash::from_hex(id).ok()
}

pub async fn review(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsApprover>,
    Path(id): Path<String>,
) -> Response {
    review_page(&s, &who, &id, Vec::new()).await
}

async fn review_page(s: &AppState, who: &SignedIn, id: &str, errors: Vec<FieldError>) -> Response {
    let Some(id) = document_id(id) else {
        return page::not_found(Some(who));
    };
    let review = match s.service.review(&id).await {
        Ok(r) => r,
        Err(ServiceError::UnknownDocument(_)) => return page::not_found(Some(who)),
        Err(e) => return page::failed(who, &e),
    };
    // Only certificates that may sign, newest first: the page uses the
    // first one whose key this browser holds.
    let own = match s.service.own_certificates(who.principal.token_id).await {
        Ok(all) => all
            .iter()
            .map(|c| OwnView {
                key_fingerprint: c.key_fingerprint.to_hex(),
                certificate: c.certificate.fingerprint.to_hex(),
            })
            .collect(),
        Err(e) => return page::failed(who, &e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ReviewPage {
        chrome: Chrome::new("Granska och godkänn", "/att-godkanna", Some(who)).with_errors(errors),
        doc: ToApproveView::of(&review.document),
        text: review.text,
        own,
    };
    page::html_status(status, &page)
}

#[derive(serde::Deserialize)]
pub struct StatementQuery {
    certifikat: String,
}

/// The statement the page will have signed, as JSON for `signing.js`;
/// a refusal as a problem document whose `detail` is the Swedish sentence.
pub async fn statement(
    State(s): State<AppState>,
    Staff(_who, _): Staff<AsApprover>,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Response {
    let (Some(document), Ok(certificate)) = (document_id(&id), Hash::from_hex(q.certifikat.trim()))
    else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_range",
            "Adressen anger inget dokument eller certifikat.",
        );
    };
    match s.service.approval_statement(&document, &certificate).await {
        Ok(draft) => Json(draft).into_response(),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            json_error(status, e.code(), &sentence(&text))
        }
    }
}

/// A refusal as a problem document (RFC 9457) with the Swedish sentence
/// in `detail`, as the API answers.
fn json_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    crate::http::problem::Problem::new(status, code, message).into_response()
}

/// "Godkänn": the statement the page signed, recorded as the API records it.
pub async fn approve(
    State(s): State<AppState>,
    Path(id): Path<String>,
    sent: StaffForm<AsApprover>,
) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => {
            return page::message(
                e.status(),
                Some(who),
                "Formuläret kunde inte tas emot",
                e.to_string(),
            );
        }
    };
    let Some(document) = document_id(&id) else {
        return page::not_found(Some(who));
    };
    if form.text("las") != "ja" {
        let e = error(
            "las",
            "Kryssa i att du har läst dokumentet och godkänner det.",
        );
        return review_page(&s, who, &id, vec![e]).await;
    }
    let algorithm = match form.text("algoritm") {
        "ed25519" => Some(KeyAlg::Ed25519),
        "ecdsa-p256-sha256" => Some(KeyAlg::EcdsaP256Sha256),
        _ => None,
    };
    let (Some(algorithm), Ok(certificate)) =
        (algorithm, Hash::from_hex(form.text("certifikat").trim()))
    else {
        let e = error(
            "godkann",
            "Ingen underskrift kom med. Godkännandet görs av JavaScript i webbläsaren med din signeringsnyckel; slå på JavaScript och försök igen.",
        );
        return review_page(&s, who, &id, vec![e]).await;
    };
    // HTML's form encoding sends every line break as CRLF; the statement
    // the page signed has LF only (and can hold no CR).
    let statement = form.text("uttalande").replace("\r\n", "\n");
    let approved = s
        .service
        .approve_on_page(
            &document,
            &statement,
            algorithm,
            form.text("signatur"),
            &certificate,
        )
        .await;
    match approved {
        Ok(a) => page::see_other(&format!("/att-godkanna/{id}/godkant/{}", a.log_index)),
        Err(e) => {
            let (status, text) = page::service_error(&e);
            if status.is_server_error() {
                return page::server_error(Some(who));
            }
            review_page(&s, who, &id, vec![error("godkann", &sentence(&text))]).await
        }
    }
}

#[derive(Template)]
#[template(path = "approved.html", config = "src/http/web/askama.toml")]
pub struct ApprovedPage {
    pub chrome: Chrome,
    pub doc: ToApproveView,
    pub name: String,
    pub role: String,
    pub date: String,
    pub log_index: u64,
    pub checkpoint_size: u64,
    pub checkpoint: String,
    pub has_file: bool,
}

/// The confirmation: the approval's log index and the checkpoint that covers it.
pub async fn approved(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsApprover>,
    Path((id, index)): Path<(String, u64)>,
) -> Response {
    let Some(document) = document_id(&id) else {
        return page::not_found(Some(&who));
    };
    let info = match s.service.document_info(&document).await {
        Ok(i) => i,
        Err(ServiceError::UnknownDocument(_)) => return page::not_found(Some(&who)),
        Err(e) => return page::failed(&who, &e),
    };
    let Some(approval) = info.approvals.iter().find(|a| a.log_index == index) else {
        return page::not_found(Some(&who));
    };
    let (size, note) = match s.service.checkpoint().await {
        Ok(c) => c,
        Err(e) => return page::failed(&who, &e),
    };
    let has_file = matches!(
        s.service.store().has_document_file(&document).await,
        Ok(true)
    );
    let page = ApprovedPage {
        chrome: Chrome::new("Dokumentet är godkänt", "/att-godkanna", Some(&who)),
        doc: ToApproveView::of(&info.document),
        name: approval.name.clone(),
        role: approval.role.clone(),
        date: approval.date.to_string(),
        log_index: approval.log_index,
        checkpoint_size: size,
        checkpoint: note.trim_end().to_string(),
        has_file,
    };
    page::html(&page)
}

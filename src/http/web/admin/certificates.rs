//! "Certifikat": the list with each certificate's state in words, and
//! issuing one for an approver's own public key: the form, "Kontrollera
//! uppgifterna", then the confirmation with the certificate to hand over.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::{day, form_error, operator, unreadable};
use crate::http::AppState;
use crate::http::auth::AsAdmin;
use crate::http::web::form::WebForm;
use crate::http::web::page::{self, Chrome, FieldError};
use crate::http::web::session::{Staff, StaffForm};
use crate::service::ServiceError;
use crate::service::sessions::SignedIn;
use attestera_core::Hash;
use attestera_core::pki::{KeyAlg, PkiError, name::NameField};
use attestera_core::rules::{CertificateRow, Refusal};

/// The validity when the form leaves it empty: the API's default (two years).
const DEFAULT_DAYS: i64 = 730;

/// One certificate as the pages show it.
pub struct CertView {
    pub name: String,
    pub role: String,
    pub fingerprint: String,
    /// The first 16 hex digits, for the table.
    pub short: String,
    pub serial: String,
    pub from: String,
    pub to: String,
    /// The state in words: never only a colour.
    pub state: String,
    /// The tag's class (`tag-ok`, `tag-bad`, `tag-unknown`).
    pub tag: &'static str,
    pub revocable: bool,
    pub issued_index: u64,
    pub revoked_index: Option<u64>,
}

impl CertView {
    pub fn of(row: &CertificateRow, now: Timestamp) -> CertView {
        let (state, tag) = state_words(row, now);
        let fingerprint = row.fingerprint.to_hex();
        CertView {
            name: row.name.clone().unwrap_or_else(|| "–".into()),
            role: match (&row.role, row.is_ca) {
                (Some(r), _) => r.clone(),
                (None, true) => "Organisationens CA".into(),
                (None, false) => "–".into(),
            },
            short: fingerprint.chars().take(16).collect(),
            fingerprint,
            serial: row.serial.clone(),
            from: day(row.not_before),
            to: day(row.not_after),
            state,
            tag,
            revocable: !row.is_ca && row.revoked_index.is_none(),
            issued_index: row.issued_index,
            revoked_index: row.revoked_index,
        }
    }
}

/// "Giltigt", "Återkallat <datum>: <skäl>", "Utgånget" or "Gäller från <datum>".
fn state_words(row: &CertificateRow, now: Timestamp) -> (String, &'static str) {
    let ca = if row.is_ca { " (CA-certifikat)" } else { "" };
    if let Some(at) = row.revoked_at {
        let reason = row.revoke_reason.as_deref().unwrap_or("").trim();
        let words = if reason.is_empty() {
            format!("Återkallat {}", day(at))
        } else {
            format!("Återkallat {}: {reason}", day(at))
        };
        (words, "tag-bad")
    } else if row.not_after < now {
        (format!("Utgånget{ca}"), "tag-unknown")
    } else if row.not_before > now {
        (
            format!("Gäller från {}{ca}", day(row.not_before)),
            "tag-unknown",
        )
    } else {
        (format!("Giltigt{ca}"), "tag-ok")
    }
}

#[derive(Template)]
#[template(path = "admin-certificates.html", config = "src/http/web/askama.toml")]
pub struct CertificatesPage {
    pub chrome: Chrome,
    pub rows: Vec<CertView>,
}

pub async fn list(State(s): State<AppState>, Staff(who, _): Staff<AsAdmin>) -> Response {
    let rows = match s.service.certificates().await {
        Ok(rows) => rows,
        Err(e) => return failed(&who, &e),
    };
    let now = crate::service::now();
    let page = CertificatesPage {
        chrome: Chrome::new("Certifikat", "/certifikat", Some(&who)),
        rows: rows.iter().map(|r| CertView::of(r, now)).collect(),
    };
    page::html(&page)
}

/// What the issue form holds: kept as typed through errors and "Ändra".
#[derive(Debug, Clone, Default)]
pub struct IssueForm {
    pub namn: String,
    pub roll: String,
    /// The public key as PEM text.
    pub nyckel: String,
    pub dagar: String,
    /// Confirms that a look-alike name is another person.
    pub bekrafta: bool,
    /// Holders' names the name looks like, when the service said so.
    pub lookalikes: Vec<String>,
}

/// Most characters of a field shown back on the form. Every field is far
/// shorter when valid (a name, a role, a PEM public key, a number), so a
/// longer one is refused all the same; this only keeps a hostile megabyte
/// out of the page that says so.
const MAX_ECHO_CHARS: usize = 8192;

fn bounded(text: &str) -> String {
    text.trim().chars().take(MAX_ECHO_CHARS).collect()
}

impl IssueForm {
    fn from_fields(f: &WebForm) -> IssueForm {
        IssueForm {
            namn: bounded(f.text("namn")),
            roll: bounded(f.text("roll")),
            nyckel: bounded(f.text("publik_nyckel")),
            dagar: bounded(f.text("dagar")),
            bekrafta: f.text("bekrafta_liknande") == "ja",
            lookalikes: Vec::new(),
        }
    }

    /// The fields as a query, for the "Ändra" links back to the form.
    pub fn query(&self) -> String {
        let mut q = vec![
            ("namn", self.namn.as_str()),
            ("roll", self.roll.as_str()),
            ("publik_nyckel", self.nyckel.as_str()),
            ("dagar", self.dagar.as_str()),
        ];
        if self.bekrafta {
            q.push(("bekrafta_liknande", "ja"));
        }
        serde_urlencoded::to_string(q).unwrap_or_default()
    }

    /// Whether the form shows the look-alike confirmation.
    pub fn asks_confirmation(&self) -> bool {
        self.bekrafta || !self.lookalikes.is_empty()
    }

    /// The look-alike names in words: "”A” och ”B”".
    pub fn lookalike_words(&self) -> String {
        quoted_list(&self.lookalikes)
    }

    /// The fields a person must fill in, and the days as a number.
    fn checked(&self) -> Result<i64, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut need = |ok: bool, field, message: &str| {
            if !ok {
                errors.push(FieldError {
                    field,
                    message: message.into(),
                });
            }
        };
        need(!self.namn.is_empty(), "namn", "Skriv godkännarens namn.");
        need(!self.roll.is_empty(), "roll", "Skriv godkännarens roll.");
        need(
            !self.nyckel.is_empty(),
            "publik-nyckel",
            "Klistra in godkännarens publika nyckel, eller välj en fil med den.",
        );
        let days = if self.dagar.is_empty() {
            Some(DEFAULT_DAYS)
        } else {
            self.dagar.parse::<i64>().ok()
        };
        need(
            days.is_some(),
            "dagar",
            "Skriv giltighetstiden som ett antal dagar med siffror, till exempel 730.",
        );
        match days {
            Some(d) if errors.is_empty() => Ok(d),
            _ => Err(errors),
        }
    }
}

/// Names in Swedish quotes, joined with "och".
fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("”{n}”")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} och {last}", rest.join(", ")),
    }
}

#[derive(Template)]
#[template(path = "admin-issue.html", config = "src/http/web/askama.toml")]
pub struct IssuePage {
    pub chrome: Chrome,
    pub f: IssueForm,
    pub max_days: i64,
    pub default_days: i64,
}

fn issue_page(
    who: &SignedIn,
    f: IssueForm,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let page = IssuePage {
        chrome: Chrome::new("Utfärda certifikat", "/certifikat", Some(who)).with_errors(errors),
        f,
        max_days: attestera_core::pki::ca::MAX_VALIDITY_DAYS,
        default_days: DEFAULT_DAYS,
    };
    page::html_status(status, &page)
}

/// The empty form, or the form as "Ändra" sends it back (the values in the query).
pub async fn issue_form(Staff(who, _): Staff<AsAdmin>, RawQuery(query): RawQuery) -> Response {
    let fields = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let f = IssueForm::from_fields(&WebForm {
        fields,
        files: Vec::new(),
    });
    issue_page(&who, f, Vec::new(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "admin-issue-check.html", config = "src/http/web/askama.toml")]
pub struct IssueCheckPage {
    pub chrome: Chrome,
    pub f: IssueForm,
    pub days: i64,
    pub key_fingerprint: String,
    pub key_alg: &'static str,
}

/// "Fortsätt": the answers checked as the service would check them, then
/// shown for confirmation; a refusal goes back to the form.
pub async fn issue_check(State(s): State<AppState>, sent: StaffForm<AsAdmin>) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => {
            let error = FieldError {
                field: "nyckelfil",
                message: e.to_string(),
            };
            return issue_page(who, IssueForm::default(), vec![error], e.status());
        }
    };
    let mut f = IssueForm::from_fields(form);
    if let Some(upload) = form.file("nyckelfil") {
        match std::str::from_utf8(&upload.bytes) {
            Ok(text) => f.nyckel = bounded(text),
            Err(_) => {
                let error = FieldError {
                    field: "nyckelfil",
                    message: "Filen med publik nyckel är ingen textfil. Välj PEM-filen med godkännarens publika nyckel.".into(),
                };
                return issue_page(who, f, vec![error], StatusCode::UNPROCESSABLE_ENTITY);
            }
        }
    }
    if f.nyckel.contains("PRIVATE KEY") {
        // A private key is never shown again, not even to the one who sent it.
        f.nyckel.clear();
        let error = FieldError {
            field: "publik-nyckel",
            message: "Det här är en privat nyckel, inte en publik. Den ska aldrig lämna godkännarens dator: räkna den som röjd, be godkännaren skapa ett nytt nyckelpar och skicka bara den publika nyckeln (till exempel openssl pkey -in nyckel.pem -pubout).".into(),
        };
        return issue_page(who, f, vec![error], StatusCode::UNPROCESSABLE_ENTITY);
    }
    let days = match f.checked() {
        Ok(d) => d,
        Err(errors) => return issue_page(who, f, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let preview = s
        .service
        .preview_certify(&f.namn, &f.roll, &f.nyckel, days, f.bekrafta)
        .await;
    match preview {
        Ok(p) => {
            f.nyckel = p.public_key_pem.trim().into();
            f.lookalikes = p.lookalike_of;
            let page = IssueCheckPage {
                chrome: Chrome::new("Kontrollera uppgifterna", "/certifikat", Some(who)),
                f,
                days,
                key_fingerprint: p.key_fingerprint.to_hex(),
                key_alg: alg_words(p.key_alg),
            };
            page::html(&page)
        }
        Err(e) => refused(who, f, &e),
    }
}

fn alg_words(alg: KeyAlg) -> &'static str {
    match alg {
        KeyAlg::Ed25519 => "Ed25519",
        KeyAlg::EcdsaP256Sha256 => "ECDSA P-256",
    }
}

/// "Utfärda": the certificate is issued and logged, then its page shown.
pub async fn issue(State(s): State<AppState>, sent: StaffForm<AsAdmin>) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => return unreadable(who, e),
    };
    let f = IssueForm::from_fields(form);
    let days = match f.checked() {
        Ok(d) => d,
        Err(errors) => return issue_page(who, f, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let issued = s
        .service
        .certify_public_key(
            &f.namn,
            &f.roll,
            &f.nyckel,
            days,
            &operator(who),
            f.bekrafta,
        )
        .await;
    match issued {
        Ok(c) => page::see_other(&format!("/certifikat/{}/utfardat", c.fingerprint.to_hex())),
        Err(e) => refused(who, f, &e),
    }
}

/// The form again with the service's refusal on the field it is about.
fn refused(who: &SignedIn, mut f: IssueForm, e: &ServiceError) -> Response {
    if let ServiceError::Refused(Refusal::LookalikeUnconfirmed { name, others }) = e {
        f.lookalikes = others.clone();
        let error = FieldError {
            field: "bekrafta",
            message: format!(
                "Namnet ”{name}” kan förväxlas med {} som redan har certifikat. Är det en annan person: kryssa i rutan och fortsätt.",
                quoted_list(others)
            ),
        };
        return issue_page(who, f, vec![error], StatusCode::UNPROCESSABLE_ENTITY);
    }
    match form_error(e, issue_field(e)) {
        Some((status, error)) => issue_page(who, f, vec![error], status),
        None => page::server_error(Some(who)),
    }
}

/// The field of the issue form that a refusal is about.
fn issue_field(e: &ServiceError) -> &'static str {
    let name_field = |n: &attestera_core::pki::NameError| match n.field() {
        NameField::Name => "namn",
        NameField::Role => "roll",
    };
    match e {
        ServiceError::Range(_) => "dagar",
        ServiceError::Pki(PkiError::SubjectName(n))
        | ServiceError::Refused(Refusal::Name(n))
        | ServiceError::Refused(Refusal::Pki(PkiError::SubjectName(n))) => name_field(n),
        ServiceError::Pki(PkiError::ValidityInvalid { .. }) => "dagar",
        ServiceError::Refused(
            Refusal::LookalikeUnconfirmed { .. } | Refusal::LookalikeConfirmationMismatch { .. },
        ) => "namn",
        ServiceError::Pki(_)
        | ServiceError::Refused(Refusal::Pki(_) | Refusal::KeyAlreadyCertified { .. }) => {
            "publik-nyckel"
        }
        _ => "namn",
    }
}

#[derive(Template)]
#[template(path = "admin-issued.html", config = "src/http/web/askama.toml")]
pub struct IssuedPage {
    pub chrome: Chrome,
    pub cert: CertView,
    pub pem: String,
}

/// The confirmation after "Utfärda": the fingerprint, the log index and the
/// certificate to give the approver.
pub async fn issued(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAdmin>,
    Path(fingerprint): Path<String>,
) -> Response {
    let row = match find(&s, &who, &fingerprint).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    let page = IssuedPage {
        chrome: Chrome::new("Certifikatet är utfärdat", "/certifikat", Some(&who)),
        cert: CertView::of(&row, crate::service::now()),
        pem: row.pem.trim_end().into(),
    };
    page::html(&page)
}

/// `/certifikat/<fingerprint>.pem`: the certificate as a file.
pub async fn pem(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAdmin>,
    Path(file): Path<String>,
) -> Response {
    let Some(fingerprint) = file.strip_suffix(".pem") else {
        return page::not_found(Some(&who));
    };
    let row = match find(&s, &who, fingerprint).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    let disposition = format!("attachment; filename=\"{}.pem\"", row.fingerprint.to_hex());
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        row.pem,
    )
        .into_response()
}

/// The certificate a path names, or the page that says why there is none.
pub(super) async fn find(
    s: &AppState,
    who: &SignedIn,
    fingerprint: &str,
) -> Result<CertificateRow, Response> {
    let Ok(fingerprint) = Hash::from_hex(fingerprint) else {
        return Err(page::not_found(Some(who)));
    };
    match s.service.certificate_row(&fingerprint).await {
        Ok(row) => Ok(row),
        Err(ServiceError::Refused(Refusal::CertificateUnknown)) => Err(page::not_found(Some(who))),
        Err(e) => Err(failed(who, &e)),
    }
}

/// A page that could not be made because the service failed.
pub(super) fn failed(who: &SignedIn, e: &ServiceError) -> Response {
    page::failed(who, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CertificateRow {
        CertificateRow {
            fingerprint: Hash::sha256(b"x"),
            serial: "01".into(),
            name: Some("Anna Andersson".into()),
            role: Some("Ordförande".into()),
            org: Some("Exempel kommun".into()),
            not_before: "2026-01-01T00:00:00Z".parse().unwrap(),
            not_after: "2028-01-01T00:00:00Z".parse().unwrap(),
            is_ca: false,
            pem: String::new(),
            issued_index: 1,
            revoked_index: None,
            revoked_at: None,
            revoke_reason: None,
        }
    }

    #[test]
    fn a_certificate_s_state_is_said_in_words() {
        let now = "2027-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(state_words(&row(), now), ("Giltigt".into(), "tag-ok"));
        let later = "2029-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(state_words(&row(), later).0, "Utgånget");
        let mut revoked = row();
        revoked.revoked_at = Some("2026-06-01T10:00:00Z".parse().unwrap());
        revoked.revoke_reason = Some("Nyckeln borttappad".into());
        assert_eq!(
            state_words(&revoked, now).0,
            "Återkallat 2026-06-01: Nyckeln borttappad"
        );
    }

    #[test]
    fn the_answers_go_back_to_the_form_unchanged() {
        let f = IssueForm {
            namn: "Åsa Öberg".into(),
            roll: "Ordförande & sekreterare".into(),
            nyckel: "-----BEGIN PUBLIC KEY-----\nMCo=\n-----END PUBLIC KEY-----".into(),
            dagar: "30".into(),
            bekrafta: true,
            lookalikes: Vec::new(),
        };
        let fields = form_urlencoded::parse(f.query().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let back = IssueForm::from_fields(&WebForm {
            fields,
            files: Vec::new(),
        });
        assert_eq!(back.namn, f.namn);
        assert_eq!(back.roll, f.roll);
        assert_eq!(back.nyckel, f.nyckel);
        assert_eq!(back.dagar, "30");
        assert!(back.bekrafta);
    }

    #[test]
    fn missing_answers_are_each_named_and_days_must_be_a_number() {
        let errors = IssueForm {
            dagar: "två år".into(),
            ..Default::default()
        }
        .checked()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["namn", "roll", "publik-nyckel", "dagar"]);
        let f = IssueForm {
            namn: "A".into(),
            roll: "B".into(),
            nyckel: "C".into(),
            ..Default::default()
        };
        assert_eq!(f.checked().unwrap(), DEFAULT_DAYS);
    }

    #[test]
    fn a_hostile_megabyte_is_not_shown_back_whole() {
        let huge = "A".repeat(1 << 20);
        let f = IssueForm::from_fields(&WebForm {
            fields: vec![
                ("namn".into(), huge.clone()),
                ("publik_nyckel".into(), huge),
            ],
            files: Vec::new(),
        });
        assert_eq!(f.namn.chars().count(), MAX_ECHO_CHARS);
        assert_eq!(f.nyckel.chars().count(), MAX_ECHO_CHARS);
    }

    #[test]
    fn names_are_listed_in_swedish() {
        let names = |v: &[&str]| quoted_list(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(names(&["A"]), "”A”");
        assert_eq!(names(&["A", "B", "C"]), "”A”, ”B” och ”C”");
    }
}

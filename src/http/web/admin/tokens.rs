//! "Inloggningskoder": the codes staff sign in with. A new code is shown
//! once (only its hash is stored); revoking one ends its sessions, since a
//! session is only as good as its token.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::certificates::failed;
use super::{form_error, minute, unreadable};
use crate::http::AppState;
use crate::http::auth::AsAdmin;
use crate::http::web::page::{self, Chrome, FieldError, role_words};
use crate::http::web::session::{Staff, StaffForm};
use crate::service::ServiceError;
use crate::service::access::{MAX_TOKEN_NAME_CHARS, Role};
use crate::service::sessions::SignedIn;
use crate::store::TokenRow;

/// The roles a code may have, in the order the form offers them.
const ROLES: [Role; 4] = [Role::Registrar, Role::Approver, Role::Auditor, Role::Admin];

/// One role as a radio button.
pub struct RoleChoice {
    pub value: &'static str,
    /// "Registrator" …: the role's words, capitalised.
    pub label: String,
}

fn choices() -> Vec<RoleChoice> {
    ROLES
        .iter()
        .map(|r| RoleChoice {
            value: r.as_str(),
            label: crate::http::web::page::sentence(role_words(*r))
                .trim_end_matches('.')
                .into(),
        })
        .collect()
}

/// One token as the table shows it.
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub created: String,
    /// "Aktiv" or "Återkallad <datum>".
    pub state: String,
    pub active: bool,
}

impl TokenView {
    fn of(row: &TokenRow) -> TokenView {
        TokenView {
            id: row.id,
            name: row.name.clone(),
            role: Role::parse(&row.role)
                .map(|r| role_words(r).to_string())
                .unwrap_or_else(|| row.role.clone()),
            created: minute(&row.created_at),
            state: match &row.revoked_at {
                None => "Aktiv".into(),
                Some(at) => format!("Återkallad {}", minute(at)),
            },
            active: row.revoked_at.is_none(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin-tokens.html", config = "src/http/web/askama.toml")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub rows: Vec<TokenView>,
    pub roles: Vec<RoleChoice>,
    /// What the create form held, kept through errors.
    pub namn: String,
    pub roll: String,
    pub max_chars: usize,
}

async fn tokens_page(
    s: &AppState,
    who: &SignedIn,
    namn: String,
    roll: String,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let rows = match s.service.tokens().await {
        Ok(rows) => rows,
        Err(e) => return failed(who, &e),
    };
    let page = TokensPage {
        chrome: Chrome::new("Inloggningskoder", "/inloggningskoder", Some(who)).with_errors(errors),
        rows: rows.iter().map(TokenView::of).collect(),
        roles: choices(),
        namn,
        roll,
        max_chars: MAX_TOKEN_NAME_CHARS,
    };
    page::html_status(status, &page)
}

pub async fn list(State(s): State<AppState>, Staff(who, _): Staff<AsAdmin>) -> Response {
    tokens_page(
        &s,
        &who,
        String::new(),
        String::new(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "admin-token-created.html", config = "src/http/web/askama.toml")]
pub struct TokenCreatedPage {
    pub chrome: Chrome,
    pub name: String,
    pub role: &'static str,
    pub code: String,
}

/// "Skapa inloggningskod": the new code, shown on this answer only (never
/// redirected to, never stored in the clear, and pages are not cached).
pub async fn create(State(s): State<AppState>, sent: StaffForm<AsAdmin>) -> Response {
    let who = &sent.signed_in;
    let form = match &sent.form {
        Ok(f) => f,
        Err(e) => return unreadable(who, e),
    };
    // Longer than any valid name (refused all the same), kept short on the page.
    let namn: String = form
        .text("namn")
        .trim()
        .chars()
        .take(10 * MAX_TOKEN_NAME_CHARS)
        .collect();
    let roll: String = form.text("roll").chars().take(16).collect();
    let role = Role::parse(&roll);
    let mut errors = Vec::new();
    if namn.is_empty() {
        errors.push(FieldError {
            field: "namn",
            message: "Skriv vem inloggningskoden är till.".into(),
        });
    }
    if role.is_none() {
        errors.push(FieldError {
            field: "roll-registrar",
            message: "Välj en roll.".into(),
        });
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return tokens_page(
            &s,
            who,
            namn,
            roll,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match s.service.create_token(&namn, role).await {
        Ok(created) => {
            let page = TokenCreatedPage {
                chrome: Chrome::new("Inloggningskoden är skapad", "/inloggningskoder", Some(who)),
                name: created.name,
                role: role_words(created.role),
                code: created.token,
            };
            page::html_status(StatusCode::CREATED, &page)
        }
        Err(e) => match form_error(&e, "namn") {
            Some((status, error)) => tokens_page(&s, who, namn, roll, vec![error], status).await,
            None => page::server_error(Some(who)),
        },
    }
}

/// The token a path names, or the page that says there is none.
async fn find(s: &AppState, who: &SignedIn, id: &str) -> Result<TokenRow, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(page::not_found(Some(who)));
    };
    match s.service.tokens().await {
        Ok(rows) => rows
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| page::not_found(Some(who))),
        Err(e) => Err(failed(who, &e)),
    }
}

fn already_revoked(who: &SignedIn) -> Response {
    page::message(
        StatusCode::CONFLICT,
        Some(who),
        "Inloggningskoden är redan återkallad",
        "Koden är redan återkallad och kan inte användas. Listan under Inloggningskoder visar när.",
    )
}

#[derive(Template)]
#[template(path = "admin-token-revoke.html", config = "src/http/web/askama.toml")]
pub struct TokenRevokePage {
    pub chrome: Chrome,
    pub token: TokenView,
    /// Whether it is the code of the administrator asking.
    pub own: bool,
}

/// "Återkalla" in the table: what would be revoked, for confirmation.
pub async fn check(
    State(s): State<AppState>,
    Path(id): Path<String>,
    sent: StaffForm<AsAdmin>,
) -> Response {
    let who = &sent.signed_in;
    if let Err(e) = &sent.form {
        return unreadable(who, e);
    }
    let row = match find(&s, who, &id).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    if row.revoked_at.is_some() {
        return already_revoked(who);
    }
    let page = TokenRevokePage {
        chrome: Chrome::new("Återkalla inloggningskoden", "/inloggningskoder", Some(who)),
        own: row.id == who.principal.token_id,
        token: TokenView::of(&row),
    };
    page::html(&page)
}

/// "Återkalla inloggningskoden": revoked, then the confirmation.
pub async fn revoke(
    State(s): State<AppState>,
    Path(id): Path<String>,
    sent: StaffForm<AsAdmin>,
) -> Response {
    let who = &sent.signed_in;
    if let Err(e) = &sent.form {
        return unreadable(who, e);
    }
    let row = match find(&s, who, &id).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    match s.service.revoke_token(row.id).await {
        Ok(()) if row.id == who.principal.token_id => {
            // Their own code: the session has just ended with it.
            let page = TokenRevokedPage {
                chrome: Chrome::new("Inloggningskoden är återkallad", "", None),
                token: TokenView::of(&row),
                own: true,
            };
            page::html(&page)
        }
        Ok(()) => page::see_other(&format!("/inloggningskoder/{}/aterkallad", row.id)),
        Err(ServiceError::NoSuchToken(_)) => already_revoked(who),
        Err(e) => failed(who, &e),
    }
}

#[derive(Template)]
#[template(path = "admin-token-revoked.html", config = "src/http/web/askama.toml")]
pub struct TokenRevokedPage {
    pub chrome: Chrome,
    pub token: TokenView,
    /// The administrator revoked their own code (and is signed out).
    pub own: bool,
}

/// The confirmation of a revoked code (an administrator who revoked their
/// own is signed out by then, and sent to "Logga in").
pub async fn revoked(
    State(s): State<AppState>,
    Staff(who, _): Staff<AsAdmin>,
    Path(id): Path<String>,
) -> Response {
    let row = match find(&s, &who, &id).await {
        Ok(row) => row,
        Err(r) => return r,
    };
    if row.revoked_at.is_none() {
        return page::see_other("/inloggningskoder");
    }
    let page = TokenRevokedPage {
        chrome: Chrome::new(
            "Inloggningskoden är återkallad",
            "/inloggningskoder",
            Some(&who),
        ),
        token: TokenView::of(&row),
        own: false,
    };
    page::html(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_offered_in_swedish() {
        let labels: Vec<String> = choices().into_iter().map(|c| c.label).collect();
        assert_eq!(
            labels,
            ["Registrator", "Godkännare", "Granskare", "Administratör"]
        );
    }

    #[test]
    fn a_token_s_state_is_said_in_words() {
        let mut row = TokenRow {
            id: 3,
            name: "Anna".into(),
            role: "auditor".into(),
            token_hash: Vec::new(),
            created_at: "2026-12-02T04:55:43Z".into(),
            revoked_at: None,
            mac: None,
        };
        let v = TokenView::of(&row);
        assert_eq!(
            (v.state.as_str(), v.role.as_str(), v.active),
            ("Aktiv", "granskare", true)
        );
        row.revoked_at = Some("2026-12-03T08:00:00Z".into());
        assert_eq!(TokenView::of(&row).state, "Återkallad 2026-12-03 09:00");
    }
}

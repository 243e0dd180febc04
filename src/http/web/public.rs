//! The public pages: check a document, a document's page, about the log,
//! the accessibility statement. No sign-in; what they show is what the
//! public API shows.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::form::mib;
use super::page::{self, Chrome};
use super::session::Visitor;
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "check.html", config = "src/http/web/askama.toml")]
pub struct CheckPage {
    pub chrome: Chrome,
    /// The largest file accepted, in words ("20 MiB").
    pub limit: String,
    /// What was typed in the look-up field, kept when it is wrong.
    pub id: String,
}

pub async fn home(State(s): State<AppState>, visitor: Visitor) -> Response {
    let page = CheckPage {
        chrome: Chrome::new("Kontrollera ett dokument", "/", visitor.who()),
        limit: mib(s.config.body_limit),
        id: String::new(),
    };
    page::html(&page)
}

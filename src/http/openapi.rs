//! The OpenAPI 3.1 description of the API, served at /openapi.json. It is
//! generated from the code: each handler's `#[utoipa::path]` annotation and
//! the `ToSchema` of its request and response types are collected by the
//! same `routes!` calls that route them (utoipa-axum), so an operation cannot
//! be routed without being described, nor described without being routed.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::problem::Problem;

/// The document's frame: title, tags and the bearer scheme; the paths come
/// from the router (see `http::api_routes`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "attestera",
        description = "Digital attestering av tjänsteutlåtanden med en verifierbar Merkle-logg. \
                       Fel är RFC 9457-problem med en stabil `code`; läsning är offentlig om inte \
                       tjänsten startats med --closed-reads."
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "documents", description = "Registrera, ta över och söka dokument"),
        (name = "approvals", description = "Godkännanden, signerade av godkännaren"),
        (name = "verify", description = "Verifiera en kopia"),
        (name = "certificates", description = "Godkännarnas certifikat"),
        (name = "log", description = "Merkle-loggen: kontrollpunkter, poster och bevis"),
        (name = "audit", description = "Signaturloggen för revisorer"),
        (name = "drift", description = "Hälsa och mätvärden")
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// What every operation may answer besides its success: a problem document.
#[derive(utoipa::IntoResponses)]
pub enum Problems {
    /// Refused: bad input, missing token or role, unknown, conflict, too large, a rule.
    #[response(status = "4XX", content_type = "application/problem+json")]
    Refused(#[to_schema] Problem),
    /// Could not be carried out (storage, not ready).
    #[response(status = "5XX", content_type = "application/problem+json")]
    Failed(#[to_schema] Problem),
}

/// The whole OpenAPI document, as the server serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    super::api_routes(std::time::Duration::from_secs(30)).into_openapi()
}

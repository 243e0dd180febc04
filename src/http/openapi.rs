//! The OpenAPI 3.1 description of the API, served at /openapi.json. It is
//! built from [`ROUTES`], the same table a test walks to check that every
//! documented operation is routed.

use axum::Json;
use serde_json::{Value, json};

/// One documented operation.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The role needed, or "public".
    pub role: &'static str,
    /// Request body media type, if any.
    pub media: Option<&'static str>,
    /// Success status.
    pub status: u16,
}

const fn r(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    role: &'static str,
    media: Option<&'static str>,
    status: u16,
) -> Route {
    Route {
        method,
        path,
        summary,
        role,
        media,
        status,
    }
}

pub const ROUTES: &[Route] = &[
    r(
        "post",
        "/api/v1/documents",
        "Registrera ett färdigställt dokument (råa byte)",
        "registrar",
        Some("application/octet-stream"),
        201,
    ),
    r(
        "get",
        "/api/v1/documents",
        "Sök dokument (dnr, namnd, title, from, to, approver, limit, offset)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/documents/{id}",
        "Ett dokument med dess godkännanden",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/documents/{id}/block",
        "Attesteringsblocket som text",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/documents/{id}/approvals",
        "Dokumentets godkännanden",
        "public",
        None,
        200,
    ),
    r(
        "post",
        "/api/v1/documents/{id}/approvals",
        "Lämna ett signerat godkännande",
        "approver",
        Some("application/json"),
        201,
    ),
    r(
        "post",
        "/api/v1/imports",
        "Importera ett historiskt dokument med block",
        "registrar",
        Some("application/octet-stream"),
        201,
    ),
    r(
        "post",
        "/api/v1/verify",
        "Verifiera ett dokument med block",
        "public",
        Some("application/octet-stream"),
        200,
    ),
    r(
        "get",
        "/api/v1/verify/{id}",
        "Verifiera loggens uppgifter om en kanonisk textsumma",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/certificates",
        "Alla certifikat i loggen",
        "public",
        None,
        200,
    ),
    r(
        "post",
        "/api/v1/certificates",
        "Utfärda certifikat för en publik nyckel",
        "admin",
        Some("application/json"),
        201,
    ),
    r(
        "post",
        "/api/v1/certificates/{fingerprint}/revoke",
        "Återkalla ett certifikat",
        "admin",
        Some("application/json"),
        200,
    ),
    r(
        "get",
        "/api/v1/log/checkpoint",
        "Senaste signerade kontrollpunkt (C2SP signed note)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/log/public-key",
        "Loggens verifieringsnyckel (C2SP)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/log/entries",
        "Loggposter (start, limit ≤ 1000)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/log/entries/{index}",
        "En loggpost",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/log/proof",
        "Inklusionsbevis för en lövhash (leaf_hash, tree_size)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/log/proof/{index}",
        "Inklusionsbevis för en post (tree_size)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/log/consistency",
        "Konsistensbevis mellan två trädstorlekar (old, new)",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/api/v1/signatures",
        "Signaturlogg för revisorer (person, role, from, to, dnr, format=csv)",
        "auditor",
        None,
        200,
    ),
    r("get", "/healthz", "Processen lever", "public", None, 200),
    r(
        "get",
        "/readyz",
        "Databas och nycklar klara",
        "public",
        None,
        200,
    ),
    r(
        "get",
        "/metrics",
        "Mätvärden (Prometheus)",
        "public",
        None,
        200,
    ),
];

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for Route {
        method,
        path,
        summary,
        role,
        media,
        status,
    } in ROUTES
    {
        let mut op = json!({
            "summary": summary,
            "x-role": role,
            "responses": {
                status.to_string(): { "description": "OK" },
                "default": { "description": "RFC 9457 problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
            }
        });
        if *role != "public" {
            op["security"] = json!([{ "bearer": [] }]);
        }
        if let Some(m) = media {
            op["requestBody"] = json!({ "required": true, "content": { *m: {} } });
        }
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "attestera", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Digital attestering av tjänsteutlåtanden med en verifierbar Merkle-logg." },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Problem": { "type": "object", "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                "detail": { "type": "string" }, "code": { "type": "string" } } } }
        }
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}

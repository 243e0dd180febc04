//! The OpenAPI 3.1 description of the API, served at /openapi.json. It is
//! built from [`ROUTES`], the same table a test walks to check that every
//! documented operation is routed.

use axum::Json;
use serde_json::{Value, json};

/// (method, path, summary, role or "public", request media type, success status).
pub const ROUTES: &[(&str, &str, &str, &str, Option<&str>, u16)] = &[
    (
        "post",
        "/api/v1/documents",
        "Registrera ett färdigställt dokument (råa byte)",
        "registrar",
        Some("application/octet-stream"),
        201,
    ),
    (
        "get",
        "/api/v1/documents",
        "Sök dokument (dnr, namnd, title, from, to, approver, limit, offset)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/documents/{id}",
        "Ett dokument med dess godkännanden",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/documents/{id}/block",
        "Attesteringsblocket som text",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/documents/{id}/approvals",
        "Dokumentets godkännanden",
        "public",
        None,
        200,
    ),
    (
        "post",
        "/api/v1/documents/{id}/approvals",
        "Lämna ett signerat godkännande",
        "approver",
        Some("application/json"),
        201,
    ),
    (
        "post",
        "/api/v1/imports",
        "Importera ett historiskt dokument med block",
        "registrar",
        Some("application/octet-stream"),
        201,
    ),
    (
        "post",
        "/api/v1/verify",
        "Verifiera ett dokument med block",
        "public",
        Some("application/octet-stream"),
        200,
    ),
    (
        "get",
        "/api/v1/verify/{id}",
        "Verifiera loggens uppgifter om en kanonisk textsumma",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/certificates",
        "Alla certifikat i loggen",
        "public",
        None,
        200,
    ),
    (
        "post",
        "/api/v1/certificates",
        "Utfärda certifikat för en publik nyckel",
        "admin",
        Some("application/json"),
        201,
    ),
    (
        "post",
        "/api/v1/certificates/{fingerprint}/revoke",
        "Återkalla ett certifikat",
        "admin",
        Some("application/json"),
        200,
    ),
    (
        "get",
        "/api/v1/log/checkpoint",
        "Senaste signerade kontrollpunkt (C2SP signed note)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/log/public-key",
        "Loggens verifieringsnyckel (C2SP)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/log/entries",
        "Loggposter (start, limit ≤ 1000)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/log/entries/{index}",
        "En loggpost",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/log/proof",
        "Inklusionsbevis för en lövhash (leaf_hash, tree_size)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/log/proof/{index}",
        "Inklusionsbevis för en post (tree_size)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/log/consistency",
        "Konsistensbevis mellan två trädstorlekar (old, new)",
        "public",
        None,
        200,
    ),
    (
        "get",
        "/api/v1/signatures",
        "Signaturlogg för revisorer (person, role, from, to, dnr, format=csv)",
        "auditor",
        None,
        200,
    ),
    ("get", "/healthz", "Processen lever", "public", None, 200),
    (
        "get",
        "/readyz",
        "Databas och nycklar klara",
        "public",
        None,
        200,
    ),
    (
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
    for (method, path, summary, role, media, status) in ROUTES {
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

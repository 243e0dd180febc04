//! The wire: the JSON bodies the HTTP API sends and receives, shared by the
//! server (which serializes them) and the client (which decodes them), and
//! their OpenAPI schemas.
pub mod schema;

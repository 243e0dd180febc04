//! The HTTP API (axum): the same use cases as the CLI, as JSON, with
//! bearer-token roles, RFC 9457 problems, body limits, timeouts, health,
//! metrics, and graceful shutdown. Handlers only translate; the service decides.

pub mod auth;
pub mod conn;
pub mod extract;
pub mod handlers;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod web;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::Service;
use problem::Problem;

/// Settings of the HTTP service.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest accepted request body, bytes.
    pub body_limit: usize,
    /// Whether log reads, blocks and verify are open without a token (offentlighetsprincipen).
    pub public_reads: bool,
    /// Longest time a read request may take.
    pub request_timeout: Duration,
    /// Longest wait for a complete request head, and for the next request on an idle connection.
    pub header_timeout: Duration,
    /// Longest time to receive a whole request body.
    pub body_timeout: Duration,
    /// Most connections open at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Longest time an answer may wait for the client to take more of it.
    pub write_timeout: Duration,
    /// How long a web page session lasts.
    pub sessions: crate::service::sessions::SessionPolicy,
    /// Whether browsers reach the service over TLS (through a proxy in
    /// front of it): session cookies are then Secure.
    pub behind_tls: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit: 20 * 1024 * 1024,
            public_reads: true,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_connections: 512,
            write_timeout: Duration::from_secs(60),
            sessions: Default::default(),
            behind_tls: false,
        }
    }
}

/// Text from a request as a problem's `detail` may quote it: one line, no
/// control characters, at most 64 characters.
pub(crate) fn printable_name(text: &str) -> String {
    let line = attestera_core::printable::line(text);
    match line.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub config: Arc<HttpConfig>,
}

/// Turns an answer without a body of its own (the router's 405, a timeout
/// layer's 408, any bare 4xx) into a page for a page's path, and into a
/// problem document with a Swedish detail for the API's.
async fn explain_bare_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let page = web::is_page(req.uri().path());
    let response = next.run(req).await;
    let explained = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"text/html")
        });
    if explained || !response.status().is_client_error() {
        return response;
    }
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let mut explained = if page {
        web::page::for_status(response.status())
    } else {
        problem::for_status(response.status()).into_response()
    };
    if let Some(allow) = allow {
        explained
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow);
    }
    explained
}

/// Request spans carry the method and the path only: no query string
/// (it may name people), no headers (tokens), no body (documents).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

/// Every documented route, with its OpenAPI description (see `openapi`).
pub(crate) fn api_routes(timeout: Duration) -> OpenApiRouter<AppState> {
    use handlers::*;
    // Appends are not cut off by the request timeout: once submitted, an append
    // commits, and the client must learn that it did.
    let writes = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(approve))
        .routes(routes!(import))
        .routes(routes!(certify))
        .routes(routes!(revoke));
    let reads = OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(document))
        .routes(routes!(block))
        .routes(routes!(attested))
        .routes(routes!(attest))
        .routes(routes!(approvals))
        .routes(routes!(verify))
        .routes(routes!(verify_digest))
        .routes(routes!(certificates))
        .routes(routes!(checkpoint))
        .routes(routes!(public_key))
        .routes(routes!(entries))
        .routes(routes!(entry))
        .routes(routes!(proof_by_hash))
        .routes(routes!(proof))
        .routes(routes!(consistency))
        .routes(routes!(document_indexes))
        .routes(routes!(registration_indexes))
        .routes(routes!(signatures))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", writes.merge(reads))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    let (api, description) = api_routes(state.config.request_timeout).split_for_parts();
    let description = axum::body::Bytes::from(description.to_json().unwrap_or_default());
    api.route(
        "/openapi.json",
        get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                description,
            )
        }),
    )
    .merge(web::routes(&state))
    .fallback(not_found)
    .with_state(state)
    // Bodies are limited and timed by the extractors (`extract`), after the token is checked.
    .layer(axum::middleware::from_fn(limits::check_head))
    // Outside the other layers, so their bare answers are explained too.
    .layer(axum::middleware::from_fn(explain_bare_errors))
    .layer(axum::middleware::from_fn(web::guard))
    // Request logs: method, path, status, latency; never headers (tokens) or bodies (documents).
    .layer(
        TraceLayer::new_for_http()
            .make_span_with(request_span)
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if web::is_page(uri.path()) {
        return web::page::not_found(None);
    }
    Problem::request(
        StatusCode::NOT_FOUND,
        crate::messages::RequestProblem::NotFound,
    )
    .into_response()
}

/// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight
/// requests (and their appends) finish, and returns.
pub async fn serve(
    service: Arc<Service>,
    listen: SocketAddr,
    config: HttpConfig,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let state = AppState {
        service,
        config: Arc::new(config),
    };
    // A closed stdout must neither panic nor stop the service.
    let data_dir = attestera_core::printable::line(&state.service.dir.root.display().to_string());
    // The URL may carry a password: only its place is shown.
    let database = match state.service.config.backend {
        crate::service::Backend::Postgres => " --database-url URL",
        crate::service::Backend::Sqlite => "",
    };
    let _ = writeln!(
        std::io::stdout(),
        "attestera lyssnar på http://{addr}\n\
         Skapa en token för API:t: attestera --data-dir {data_dir}{database} token create --role registrar --name \"Ditt namn\""
    );
    tracing::info!(%addr, "listening");
    let limits = conn::ConnLimits {
        header_timeout: state.config.header_timeout,
        max_connections: state.config.max_connections,
        write_timeout: state.config.write_timeout,
    };
    conn::serve_connections(listener, router(state), limits, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

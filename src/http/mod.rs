//! The HTTP API (axum): the same use cases as the CLI, as JSON, with
//! bearer-token roles, RFC 9457 problems, body limits, timeouts, health,
//! metrics, and graceful shutdown. Handlers only translate; the service decides.

pub mod auth;
pub mod handlers;
pub mod openapi;
pub mod problem;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
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
    pub request_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit: 20 * 1024 * 1024,
            public_reads: true,
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub config: Arc<HttpConfig>,
}

/// Turns the bare 413 and 408 of the limit and timeout layers into problem documents.
async fn problem_for_bare_errors(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "Begäran är större än tillåtet.",
        )
        .into_response(),
        StatusCode::REQUEST_TIMEOUT => Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "Begäran tog för lång tid.",
        )
        .into_response(),
        StatusCode::NOT_FOUND => {
            Problem::new(StatusCode::NOT_FOUND, "not_found", "Sökvägen finns inte.").into_response()
        }
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Metoden stöds inte här.",
        )
        .into_response(),
        // axum's own rejections (a bad path number, query or JSON body) are plain text.
        status @ (StatusCode::BAD_REQUEST
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY) => {
            let detail = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(_) => String::new(),
            };
            Problem::new(
                status,
                "invalid_request",
                format!("Ogiltig begäran: {detail}"),
            )
            .into_response()
        }
        _ => response,
    }
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
    let limit = state.config.body_limit;
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
    .fallback(not_found)
    .with_state(state)
    .layer(DefaultBodyLimit::max(limit))
    .layer(RequestBodyLimitLayer::new(limit))
    // Outside the limit and timeout layers, so their bare answers become problems too.
    .layer(axum::middleware::map_response(problem_for_bare_errors))
    // Request logs: method, path, status, latency; never headers (tokens) or bodies (documents).
    .layer(
        TraceLayer::new_for_http()
            .make_span_with(request_span)
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "Sökvägen finns inte.")
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
    let _ = writeln!(
        std::io::stdout(),
        "attestera lyssnar på http://{addr}\n\
         Skapa en token för API:t: attestera token create --role registrar --name \"Ditt namn\""
    );
    tracing::info!(%addr, "listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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

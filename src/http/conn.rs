//! Connections: the accept loop that protects the service from slow and
//! numerous clients. Each connection is served by hyper's HTTP/1.1 server
//! with a header read timeout (a client that never finishes its request
//! head, or sits idle between requests, is disconnected); the number of
//! open connections is capped (one over the cap is answered 503 and
//! closed), and shutdown lets requests in flight finish.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::limits;

/// What a connection may cost the service.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Longest wait for a complete request head (also the idle time between requests).
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// Accepts and serves connections until `shutdown` resolves, then waits for
/// the connections' requests in flight to finish.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let builder = http1_builder(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            refuse(stream);
            continue;
        };
        let io = TokioIo::new(Counted {
            permit: Some(permit),
            stream,
        });
        let conn = builder.serve_connection(io, TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// HTTP/1.1 only: the header timeout, and limits raised above the ones the
/// service checks itself, so that most oversized heads get a problem document
/// (see `limits`) instead of hyper's bare answer.
fn http1_builder(header_timeout: Duration) -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_headers(limits::HYPER_MAX_HEADERS)
        .max_buf_size(limits::HYPER_MAX_HEAD_BYTES);
    b
}

/// Too many open files and the like: back off instead of spinning.
async fn accept_failed(e: std::io::Error) {
    tracing::warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A connection over the cap: a 503 problem document if the socket takes it
/// at once (it is new, so its buffer is empty), then closed.
fn refuse(stream: TcpStream) {
    tracing::warn!("connection refused: too many open connections");
    let _ = stream.try_write(&too_many_connections());
}

fn too_many_connections() -> Vec<u8> {
    let body = serde_json::to_vec(&super::problem::Problem::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "too_many_connections",
        "Tjänsten har för många öppna anslutningar; försök igen om en stund.",
    ))
    .unwrap_or_default();
    let mut response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
}

/// A connection that holds one of the slots. The slot is given back before
/// the socket is shut down or closed, so a client that sees the connection
/// end can count on the slot being free.
struct Counted {
    permit: Option<OwnedSemaphorePermit>,
    stream: TcpStream,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.permit.take();
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.permit.take();
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

//! Connections: the accept loop that protects the service from slow and
//! numerous clients. Each connection is served by hyper's HTTP/1.1 server
//! with a header read timeout (a client that never finishes its request
//! head, or sits idle between requests, is disconnected); the number of
//! open connections is capped (one over the cap is answered 503 and
//! closed), a client that stops taking its answer is disconnected after
//! the write timeout, and shutdown lets requests in flight finish.

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
use tokio::time::Sleep;

use super::limits;

/// What a connection may cost the service.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Longest wait for a complete request head (also the idle time between requests).
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Longest time an answer may wait for the client to take more of it.
    pub write_timeout: Duration,
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
        let io = TokioIo::new(Guarded::new(stream, permit, limits.write_timeout));
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
    let body = serde_json::to_vec(&super::problem::Problem::request(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        crate::messages::RequestProblem::TooManyConnections,
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

/// How much of its answer a client that has made the server wait must take
/// within one write timeout: a reader that takes a byte now and then keeps
/// no connection (about 1 KiB/s at the default 60 s).
const MIN_PROGRESS: usize = 64 * 1024;

/// A connection that holds one of the slots. The slot is given back before
/// the socket is shut down or closed, so a client that sees the connection
/// end can count on the slot being free. Once a write has had to wait, the
/// client must take [`MIN_PROGRESS`] bytes within `write_timeout`, or the
/// write fails (a client that does not read its answer, or reads it a
/// trickle at a time, is let go).
struct Guarded<S> {
    permit: Option<OwnedSemaphorePermit>,
    stream: S,
    write_timeout: Duration,
    stalled_since: Option<Pin<Box<Sleep>>>,
    /// Bytes taken since the server first had to wait.
    progress: usize,
}

impl<S> Guarded<S> {
    fn new(stream: S, permit: OwnedSemaphorePermit, write_timeout: Duration) -> Guarded<S> {
        Guarded {
            permit: Some(permit),
            stream,
            write_timeout,
            stalled_since: None,
            progress: 0,
        }
    }

    /// Passes a write's outcome on; a pending one for longer than the write timeout fails.
    fn watch_write(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<usize>> {
        if let Poll::Ready(result) = &outcome {
            if let Ok(n) = result
                && self.stalled_since.is_some()
            {
                self.progress = self.progress.saturating_add(*n);
                if self.progress >= MIN_PROGRESS {
                    self.stalled_since = None;
                    self.progress = 0;
                }
            }
            return outcome;
        }
        let timeout = self.write_timeout;
        let stall = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took too little of the answer within the write timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Drop for Guarded<S> {
    fn drop(&mut self) {
        self.permit.take();
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let outcome = Pin::new(&mut self.stream).poll_read(cx, buf);
        // A new request: the wait for the last answer is over.
        if buf.filled().len() > before {
            self.stalled_since = None;
            self.progress = 0;
        }
        outcome
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let outcome = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch_write(cx, outcome)
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
        let outcome = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch_write(cx, outcome)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn slot() -> (Arc<Semaphore>, OwnedSemaphorePermit) {
        let slots = Arc::new(Semaphore::new(1));
        let permit = slots.clone().try_acquire_owned().unwrap();
        (slots, permit)
    }

    #[tokio::test]
    async fn a_client_that_takes_none_of_the_answer_is_let_go() {
        let (_slots, permit) = slot();
        // The client's end is never read: the 64-byte pipe fills.
        let (server, _client) = tokio::io::duplex(64);
        let mut conn = Guarded::new(server, permit, Duration::from_millis(50));
        let e = conn.write_all(&[b'x'; 4096]).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_client_that_reads_is_not_let_go() {
        let (_slots, permit) = slot();
        let (server, mut client) = tokio::io::duplex(64);
        let mut conn = Guarded::new(server, permit, Duration::from_secs(30));
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut client, &mut all)
                .await
                .unwrap();
            all.len()
        });
        conn.write_all(&[b'x'; 4096]).await.unwrap();
        conn.shutdown().await.unwrap();
        drop(conn);
        assert_eq!(reader.await.unwrap(), 4096);
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_reads_a_trickle_is_let_go() {
        let (_slots, permit) = slot();
        let (server, mut client) = tokio::io::duplex(64);
        let mut conn = Guarded::new(server, permit, Duration::from_secs(60));
        // The attacker's pace, on the paused clock: a byte every ten seconds.
        tokio::spawn(async move {
            let mut byte = [0u8; 1];
            while tokio::io::AsyncReadExt::read(&mut client, &mut byte)
                .await
                .is_ok_and(|n| n > 0)
            {
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        });
        let written =
            tokio::time::timeout(Duration::from_secs(3600), conn.write_all(&[b'x'; 1 << 20])).await;
        let e = written
            .expect("the trickle was let go within the hour")
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn the_slot_is_free_before_the_connection_is_shut_down() {
        let (slots, permit) = slot();
        let (server, _client) = tokio::io::duplex(64);
        let mut conn = Guarded::new(server, permit, Duration::from_secs(30));
        assert_eq!(slots.available_permits(), 0);
        conn.shutdown().await.unwrap();
        assert_eq!(slots.available_permits(), 1);
    }
}

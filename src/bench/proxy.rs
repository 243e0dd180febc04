//! A counting TCP proxy on loopback: what a client downloads from the
//! server, whatever the client does, is the bytes that pass it from the
//! server's side.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::BenchError;

/// A running proxy; it stops with the bench's runtime or when dropped.
pub struct Proxy {
    pub base: String,
    downloaded: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards each connection to `target` (host:port).
    pub async fn start(target: String) -> Result<Proxy, BenchError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| BenchError::Io("starta proxyn", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| BenchError::Io("starta proxyn", e))?
            .port();
        let downloaded = Arc::new(AtomicU64::new(0));
        let counter = downloaded.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let (target, counter) = (target.clone(), counter.clone());
                tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(&target).await {
                        forward(inbound, outbound, counter).await;
                    }
                });
            }
        });
        Ok(Proxy {
            base: format!("http://127.0.0.1:{port}"),
            downloaded,
            task,
        })
    }

    /// Bytes from the server to clients so far; reading resets the count.
    pub fn take_downloaded(&self) -> u64 {
        self.downloaded.swap(0, Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies both ways until either side closes, counting server→client bytes.
async fn forward(inbound: TcpStream, outbound: TcpStream, counter: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = inbound.into_split();
    let (mut server_read, mut server_write) = outbound.into_split();
    let up = async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    counter.fetch_add(n as u64, Ordering::SeqCst);
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}

//! The HTTP load generator: one reqwest client (a pool of keep-alive
//! connections), N tasks that each take the next request until none are
//! left (or the time is up), and every request's latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::BenchError;

/// One prepared request.
#[derive(Debug, Clone)]
pub struct Request {
    pub post: bool,
    pub url: String,
    pub body: Option<(Vec<u8>, &'static str)>,
    pub token: Option<String>,
}

impl Request {
    pub fn get(url: String) -> Request {
        Request {
            post: false,
            url,
            body: None,
            token: None,
        }
    }
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub requests: usize,
    pub elapsed: Duration,
    /// Every request's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q` (0..=1), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        quantile_ms(&self.latencies, q)
    }
}

/// The `q` quantile of sorted latencies, in milliseconds (0 for none).
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let last = sorted.len() - 1;
    let at = ((last as f64) * q.clamp(0.0, 1.0)).round() as usize;
    sorted[at.min(last)].as_secs_f64() * 1000.0
}

/// A client for the load: a pool big enough for every task, no proxy.
pub fn client(concurrency: usize) -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency.max(1))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| BenchError::Failed(format!("HTTP-klienten kunde inte skapas: {e}")))
}

/// Sends every request once, `concurrency` at a time, each answer required to be a success.
pub async fn run_all(
    client: &reqwest::Client,
    concurrency: usize,
    requests: Vec<Request>,
) -> Result<Outcome, BenchError> {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, requests, next) = (client.clone(), requests.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = requests.get(i) else {
                        return Ok(latencies);
                    };
                    latencies.push(send(&client, r).await?);
                }
            })
        })
        .collect();
    let latencies = gather(tasks).await?;
    Ok(outcome(latencies, start.elapsed()))
}

/// Sends `make(i)` for i = 0, 1, … from `concurrency` tasks for `time`.
pub async fn run_for(
    client: &reqwest::Client,
    concurrency: usize,
    time: Duration,
    make: Arc<dyn Fn(usize) -> Request + Send + Sync>,
) -> Result<Outcome, BenchError> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, make, next) = (client.clone(), make.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while start.elapsed() < time {
                    let r = make(next.fetch_add(1, Ordering::Relaxed));
                    latencies.push(send(&client, &r).await?);
                }
                Ok(latencies)
            })
        })
        .collect();
    let latencies = gather(tasks).await?;
    Ok(outcome(latencies, start.elapsed()))
}

type Task = tokio::task::JoinHandle<Result<Vec<Duration>, BenchError>>;

async fn gather(tasks: Vec<Task>) -> Result<Vec<Duration>, BenchError> {
    let mut all = Vec::new();
    for t in tasks {
        let mine = t
            .await
            .map_err(|e| BenchError::Failed(format!("en lastuppgift avbröts: {e}")))??;
        all.extend(mine);
    }
    Ok(all)
}

fn outcome(mut latencies: Vec<Duration>, elapsed: Duration) -> Outcome {
    latencies.sort();
    Outcome {
        requests: latencies.len(),
        elapsed,
        latencies,
    }
}

/// One request to its end (the whole body read); its latency.
async fn send(client: &reqwest::Client, r: &Request) -> Result<Duration, BenchError> {
    let start = Instant::now();
    let mut b = if r.post {
        client.post(&r.url)
    } else {
        client.get(&r.url)
    };
    if let Some(t) = &r.token {
        b = b.bearer_auth(t);
    }
    if let Some((body, kind)) = &r.body {
        b = b.header("content-type", *kind).body(body.clone());
    }
    let failed = |e: reqwest::Error| BenchError::Failed(format!("{} misslyckades: {e}", r.url));
    let answer = b.send().await.map_err(failed)?;
    let status = answer.status();
    let body = answer.bytes().await.map_err(failed)?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(BenchError::Failed(format!(
            "{} svarade {status}: {text}",
            r.url
        )));
    }
    Ok(start.elapsed())
}

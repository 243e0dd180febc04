//! Several real `attestera serve` processes on one PostgreSQL database
//! (issue 11, "Real processes"): thousands of concurrent registrations and
//! approvals split across two instances, one of them SIGKILLed mid-load.
//! Afterwards every acknowledged append is in the log exactly once, the log
//! has no gap, duplicate or fork, `audit` passes, every checkpoint seen is
//! consistent with every other, and a trust-nothing client that talks to
//! both instances in turn sees one log.
//!
//! PostgreSQL only: several instances on one log is what the SQLite
//! backend (one file, one writer process) does not offer. PostgreSQL must
//! listen on 127.0.0.1:5432 with trust authentication
//! (`ATTESTERA_TEST_PG_ADMIN` names another server's admin database); the
//! tests fail, never skip, when it cannot be reached.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attestera::wire::log::{ConsistencyProof, InclusionProof, ServedEntry};
use attestera_core::document::canonical::{canonical_text, text_digest};
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::pki::{self, SigningKey};
use attestera_core::statement::Statement;
use attestera_core::tlog::{self, Checkpoint, Hash, MemoryHashes, NoteVerifier};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::common::{DOC, Env, Run, UNENCRYPTED, finish, runtime};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const ORIGIN: &str = "test.attestera.local/log";
/// Requests in flight at once, over both instances.
const IN_FLIGHT: usize = 64;
/// The approvers, certified through the API (two through each instance).
const APPROVERS: [(&str, &str); 4] = [
    ("Anna Berg", "Avdelningschef"),
    ("Bertil Holm", "Enhetschef"),
    ("Cecilia Nyström", "Stadsdelsdirektör"),
    ("David Ekström", "Controller"),
];

fn admin_url() -> String {
    std::env::var("ATTESTERA_TEST_PG_ADMIN").unwrap_or_else(|_| ADMIN_URL.to_string())
}

async fn admin() -> PgConnection {
    let url = admin_url();
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL svarar inte på {url} ({e}). Starta den med \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             (trust-autentisering för användaren postgres på 127.0.0.1:5432)"
        )
    })
}

/// A fresh database for one test, dropped (WITH (FORCE)) when the guard goes.
struct TestDb {
    name: String,
}

impl TestDb {
    /// Called outside any runtime.
    fn new() -> TestDb {
        let mut random = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).unwrap();
        let name = format!("attestera_inst_{}", hex::encode(random));
        runtime().block_on(async {
            // An identifier cannot be bound; this one is made of hex digits here.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin().await)
                .await
                .unwrap();
        });
        TestDb { name }
    }

    fn url(&self) -> String {
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        format!("{base}/{}", self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime: the database goes on a thread of its own.
        let _ = std::thread::spawn(move || {
            runtime().block_on(async move {
                if let Ok(mut c) = PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            })
        })
        .join();
    }
}

/// A data directory whose log is in a fresh PostgreSQL database, with a
/// token for each role the load needs.
struct Cluster {
    env: Env,
    db: TestDb,
    admin: String,
    registrar: String,
    approver: String,
}

impl Cluster {
    fn new() -> Cluster {
        let db = TestDb::new();
        let mut cluster = Cluster {
            env: Env::empty(),
            db,
            admin: String::new(),
            registrar: String::new(),
            approver: String::new(),
        };
        let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");
        cluster.ok(&[
            "init",
            UNENCRYPTED,
            "--origin",
            ORIGIN,
            "--ca-cert",
            &format!("{keys}/test-ca.cert.pem"),
            "--ca-key",
            &format!("{keys}/test-ca.key.pem"),
            "--log-signing-key",
            &format!("{keys}/test-log.key.pem"),
        ]);
        let token = |role: &str| {
            let r = cluster.ok(&[
                "--json",
                "token",
                "create",
                "--role",
                role,
                "--name",
                &format!("test-{role}"),
            ]);
            r.json()["token"].as_str().unwrap().to_string()
        };
        let (admin, registrar, approver) = (token("admin"), token("registrar"), token("approver"));
        cluster.admin = admin;
        cluster.registrar = registrar;
        cluster.approver = approver;
        cluster
    }

    /// The binary on the data directory, with its log in the test's database.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = self.env.command(args);
        c.env("DATABASE_URL", self.db.url());
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args).output().expect("run attestera"))
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "attestera {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }

    /// `attestera --server base log checkpoint` with one state directory for
    /// every call: the trust-nothing client, which reports a rolled-back or
    /// forked log.
    fn client_checkpoint(&self, base: &str) -> Run {
        let out = self
            .env
            .command(&["--json", "--server", base, "log", "checkpoint"])
            .env("ATTESTERA_TOKEN", &self.registrar)
            .env("ATTESTERA_STATE_DIR", self.env.path("client-state"))
            .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
            .env_remove("DATABASE_URL")
            .output()
            .expect("run the client");
        finish(out)
    }

    /// Starts `attestera serve` on a free loopback port and waits for the
    /// line it prints once it listens.
    fn start(&self, name: &str) -> Instance {
        let log = self.env.path(&format!("{name}.stderr"));
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "instance {name} did not start: {line:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Instance {
            child,
            _stdout: stdout,
            base,
            name: name.to_string(),
            log,
        }
    }
}

/// A running `attestera serve`, killed when dropped.
struct Instance {
    child: Child,
    /// Kept open so the server can go on writing to its stdout.
    _stdout: BufReader<ChildStdout>,
    base: String,
    name: String,
    log: PathBuf,
}

impl Instance {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn assert_ready(&self, c: &reqwest::Client) {
        let r = c.get(self.url("/readyz")).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "ready\n"),
            "instance {} is not ready:\n{}",
            self.name,
            self.stderr()
        );
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Batches and appends this instance's sequencer committed (from /metrics).
    async fn batches(&self, c: &reqwest::Client) -> (f64, f64) {
        let text = c
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let value = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN)
        };
        (
            value("attestera_batch_size_count"),
            value("attestera_batch_size_sum"),
        )
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What identifies an append in the log: a document's registration, an
/// approval's exact statement, a certificate's PEM.
fn key_of(data: &[u8]) -> String {
    let entry = Entry::decode(data).unwrap_or_else(|e| panic!("entry does not decode: {e}"));
    match entry.body {
        EntryBody::Registration { document, .. } => {
            format!("registration:{}", document.text_sha256)
        }
        EntryBody::Approval { statement, .. } => format!("approval:{statement}"),
        EntryBody::CertificateIssued { certificate, .. } => {
            format!("certificate:{}", certificate.trim())
        }
        other => other.kind().to_string(),
    }
}

/// One document of the load: its bytes, id and a pre-signed approval.
struct Doc {
    text: String,
    id: String,
    statement: String,
    approval: Value,
}

/// An acknowledged append: the answer said it is at `index`, covered by a
/// checkpoint of `checkpoint_size`.
#[derive(Debug, Clone)]
struct Ack {
    index: u64,
    checkpoint_size: u64,
    key: String,
    via: usize,
}

/// Certifies a fresh Ed25519 key through instance `base` (an append, acknowledged).
async fn certify(
    c: &reqwest::Client,
    base: &str,
    admin: &str,
    (name, role): (&str, &str),
) -> (SigningKey, String, Ack) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = pki::generate_ed25519_pkcs8(&rng).unwrap();
    let spki = pki::ca::public_key_der_of(&pki::ca::private_key_pem(&pkcs8)).unwrap();
    let r = c
        .post(format!("{base}/api/v1/certificates"))
        .bearer_auth(admin)
        .json(
            &json!({ "name": name, "role": role, "public_key": pki::to_pem("PUBLIC KEY", &spki) }),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cert = body["certificate"].as_str().unwrap().to_string();
    let ack = Ack {
        index: body["log_index"].as_u64().unwrap(),
        checkpoint_size: body["checkpoint_size"].as_u64().unwrap(),
        key: format!("certificate:{}", cert.trim()),
        via: usize::MAX,
    };
    (SigningKey::from_pkcs8_der(&pkcs8, &rng).unwrap(), cert, ack)
}

/// `n` distinct documents, each with an approval by one of `approvers`,
/// signed before the load starts.
fn plan(n: usize, tag: &str, approvers: &[(SigningKey, String)]) -> Vec<Doc> {
    let rng = ring::rand::SystemRandom::new();
    (0..n)
        .map(|i| {
            let text = format!("{DOC}\nBilaga {tag} {i}\n");
            let digest = text_digest(&canonical_text(&text));
            let (name, role) = APPROVERS[i % approvers.len()];
            let (key, cert) = &approvers[i % approvers.len()];
            let statement = Statement::new(digest, name, role, jiff::Timestamp::now())
                .unwrap()
                .encode();
            let signature = STANDARD.encode(key.sign(statement.as_bytes(), &rng).unwrap());
            let approval = json!({
                "statement": statement,
                "algorithm": key.alg(),
                "signature": signature,
                "certificate": cert,
            });
            Doc {
                text,
                id: digest.to_hex(),
                statement,
                approval,
            }
        })
        .collect()
}

/// What the load shares between its tasks.
struct Load {
    client: reqwest::Client,
    bases: [String; 2],
    /// The instances' stderr files, quoted when a request to one fails.
    logs: [PathBuf; 2],
    registrar: String,
    approver: String,
    /// The instance the test kills, if any; its failures are tolerated
    /// once `killing` is set, and the request goes to the other instance.
    victim: Option<usize>,
    killing: AtomicBool,
    acks: Mutex<Vec<Ack>>,
    acked: AtomicUsize,
    progress: tokio::sync::Notify,
    /// Appends whose answer was lost with the killed instance but which a
    /// retry on the other instance found committed (refused as duplicates).
    unacknowledged: Mutex<Vec<String>>,
    /// Requests that failed because their instance was killed.
    failed: AtomicUsize,
    /// Every signed checkpoint note seen during the run.
    notes: Mutex<Vec<String>>,
    /// Approval receipts: (index, inclusion proof, checkpoint note).
    receipts: Mutex<Vec<(u64, Value, String)>>,
    done: AtomicBool,
}

enum Outcome {
    Acknowledged(Value, usize),
    /// Committed by an attempt whose answer was lost.
    AlreadyThere,
}

impl Load {
    fn tolerated(&self, instance: usize) -> bool {
        self.victim == Some(instance) && self.killing.load(Ordering::SeqCst)
    }

    /// Sends a write to instance `first` (or the other one if `first` is
    /// being killed); a failure on the killed instance is retried once on
    /// the other, where `duplicate` (the refusal of something already
    /// logged) means the lost attempt had committed.
    async fn append(
        &self,
        first: usize,
        what: &str,
        send: impl Fn(&str) -> reqwest::RequestBuilder,
        duplicate: &str,
    ) -> Outcome {
        let mut target = if self.tolerated(first) {
            1 - first
        } else {
            first
        };
        let mut retried = false;
        loop {
            let result = match send(&self.bases[target]).send().await {
                Ok(r) => {
                    let status = r.status();
                    r.bytes().await.map(|b| (status, b))
                }
                Err(e) => Err(e),
            };
            match result {
                Ok((StatusCode::CREATED, body)) => {
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    return Outcome::Acknowledged(v, target);
                }
                Ok((status, body)) => {
                    let body = String::from_utf8_lossy(&body);
                    let code = serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|v| v["code"].as_str().map(str::to_string));
                    if retried && code.as_deref() == Some(duplicate) {
                        return Outcome::AlreadyThere;
                    }
                    panic!(
                        "{what} on instance {target}: {status} {body}\n{}",
                        self.tail(target)
                    );
                }
                Err(_) if self.tolerated(target) && !retried => {
                    self.failed.fetch_add(1, Ordering::SeqCst);
                    retried = true;
                    target = 1 - target;
                }
                Err(e) => panic!(
                    "{what} on instance {target} failed: {e}\n{}",
                    self.tail(target)
                ),
            }
        }
    }

    /// The end of an instance's stderr.
    fn tail(&self, instance: usize) -> String {
        let text = std::fs::read_to_string(&self.logs[instance]).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn acknowledge(&self, ack: Ack) {
        self.acks.lock().unwrap().push(ack);
        self.acked.fetch_add(1, Ordering::SeqCst);
        self.progress.notify_waiters();
    }

    /// Registers `doc` on one instance and approves it on the other.
    async fn document(&self, i: usize, doc: &Doc) {
        let (reg_at, approve_at) = (i % 2, 1 - i % 2);
        let registered = self
            .append(
                reg_at,
                "registration",
                |base| {
                    self.client
                        .post(format!("{base}/api/v1/documents"))
                        .bearer_auth(&self.registrar)
                        .body(doc.text.clone())
                },
                "document_already_registered",
            )
            .await;
        let key = format!("registration:{}", doc.id);
        match registered {
            Outcome::Acknowledged(v, via) => {
                assert_eq!(v["text_sha256"], doc.id.as_str(), "{v}");
                self.acknowledge(Ack {
                    index: v["log_index"].as_u64().unwrap(),
                    checkpoint_size: v["checkpoint_size"].as_u64().unwrap(),
                    key,
                    via,
                });
            }
            Outcome::AlreadyThere => self.unacknowledged.lock().unwrap().push(key),
        }
        let approved = self
            .append(
                approve_at,
                "approval",
                |base| {
                    self.client
                        .post(format!("{base}/api/v1/documents/{}/approvals", doc.id))
                        .bearer_auth(&self.approver)
                        .json(&doc.approval)
                },
                "approval_duplicate",
            )
            .await;
        let key = format!("approval:{}", doc.statement);
        match approved {
            Outcome::Acknowledged(v, via) => {
                let index = v["approval"]["log_index"].as_u64().unwrap();
                let note = v["checkpoint"]
                    .as_str()
                    .expect("a receipt with its checkpoint");
                self.notes.lock().unwrap().push(note.to_string());
                self.receipts.lock().unwrap().push((
                    index,
                    v["inclusion_proof"].clone(),
                    note.to_string(),
                ));
                self.acknowledge(Ack {
                    index,
                    checkpoint_size: v["approval"]["checkpoint_size"].as_u64().unwrap(),
                    key,
                    via,
                });
            }
            Outcome::AlreadyThere => self.unacknowledged.lock().unwrap().push(key),
        }
    }

    /// Reads checkpoints from both instances in turn until the load is done.
    async fn poll_checkpoints(&self) -> usize {
        let mut polls = 0;
        while !self.done.load(Ordering::SeqCst) {
            let target = polls % 2;
            polls += 1;
            if self.tolerated(target) {
                continue;
            }
            let r = self
                .client
                .get(format!("{}/api/v1/log/checkpoint", self.bases[target]))
                .send()
                .await;
            let text = match r {
                Ok(r) if r.status() == StatusCode::OK => r.text().await,
                Ok(r) if !self.tolerated(target) => {
                    panic!("checkpoint from instance {target}: {}", r.status())
                }
                Ok(_) => continue,
                Err(e) => Err(e),
            };
            match text {
                Ok(note) => self.notes.lock().unwrap().push(note),
                Err(_) if self.tolerated(target) => {}
                Err(e) => panic!("checkpoint from instance {target} failed: {e}"),
            }
        }
        polls
    }
}

/// The trust-nothing client against both instances in turn, until the load
/// is done: no call may report a rolled-back or forked log.
fn client_rounds(cluster: &Cluster, load: &Load) -> usize {
    let mut rounds = 0;
    while !load.done.load(Ordering::SeqCst) {
        let target = rounds % 2;
        rounds += 1;
        if load.tolerated(target) {
            continue;
        }
        let r = cluster.client_checkpoint(&load.bases[target]);
        if r.code != 0 && !load.tolerated(target) {
            panic!(
                "the client, talking to instance {target} after the other, failed ({}):\n{}\n{}",
                r.code, r.stdout, r.stderr
            );
        }
    }
    rounds
}

/// What a run of the load produced.
struct Outcomes {
    acks: Vec<Ack>,
    unacknowledged: Vec<String>,
    notes: Vec<String>,
    receipts: Vec<(u64, Value, String)>,
    failed: usize,
    elapsed: Duration,
    polls: usize,
    client_rounds: usize,
}

/// Certifies the approvers (two through each instance), then registers and
/// approves `n` documents over both instances, `IN_FLIGHT` requests at a
/// time; with `kill`, SIGKILLs that instance once a third of the appends
/// are acknowledged.
fn run_load(
    rt: &tokio::runtime::Runtime,
    cluster: &Cluster,
    instances: &mut [Instance; 2],
    n: usize,
    kill: Option<usize>,
) -> Outcomes {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut acks = Vec::new();
    let approvers: Vec<(SigningKey, String)> = rt.block_on(async {
        let mut approvers = Vec::new();
        for (i, who) in APPROVERS.into_iter().enumerate() {
            let (key, cert, mut ack) =
                certify(&client, &instances[i % 2].base, &cluster.admin, who).await;
            ack.via = i % 2;
            acks.push(ack);
            approvers.push((key, cert));
        }
        approvers
    });
    let docs = Arc::new(plan(n, "last", &approvers));
    let load = Arc::new(Load {
        client,
        bases: [instances[0].base.clone(), instances[1].base.clone()],
        logs: [instances[0].log.clone(), instances[1].log.clone()],
        registrar: cluster.registrar.clone(),
        approver: cluster.approver.clone(),
        victim: kill,
        killing: AtomicBool::new(false),
        acks: Mutex::new(acks),
        acked: AtomicUsize::new(0),
        progress: tokio::sync::Notify::new(),
        unacknowledged: Mutex::new(Vec::new()),
        failed: AtomicUsize::new(0),
        notes: Mutex::new(Vec::new()),
        receipts: Mutex::new(Vec::new()),
        done: AtomicBool::new(false),
    });
    let start = Instant::now();
    let (polls, client_rounds) = std::thread::scope(|scope| {
        let client = scope.spawn(|| client_rounds(cluster, &load));
        let polls = rt.block_on(async {
            let poller = {
                let load = load.clone();
                tokio::spawn(async move { load.poll_checkpoints().await })
            };
            let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..n {
                let (load, docs, permits) = (load.clone(), docs.clone(), permits.clone());
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await.unwrap();
                    load.document(i, &docs[i]).await;
                });
            }
            if let Some(victim) = kill {
                let threshold = 2 * n / 3;
                loop {
                    let notified = load.progress.notified();
                    if load.acked.load(Ordering::SeqCst) >= threshold {
                        break;
                    }
                    notified.await;
                }
                load.killing.store(true, Ordering::SeqCst);
                instances[victim].child.kill().unwrap();
                instances[victim].child.wait().unwrap();
                println!(
                    "SIGKILL to instance {victim} after {} acknowledged appends",
                    load.acked.load(Ordering::SeqCst)
                );
            }
            while let Some(done) = tasks.join_next().await {
                if let Err(e) = done {
                    load.done.store(true, Ordering::SeqCst);
                    std::panic::resume_unwind(e.into_panic());
                }
            }
            load.done.store(true, Ordering::SeqCst);
            poller.await.unwrap()
        });
        (polls, client.join().unwrap())
    });
    let elapsed = start.elapsed();
    let load = Arc::into_inner(load).unwrap();
    Outcomes {
        acks: load.acks.into_inner().unwrap(),
        unacknowledged: load.unacknowledged.into_inner().unwrap(),
        notes: load.notes.into_inner().unwrap(),
        receipts: load.receipts.into_inner().unwrap(),
        failed: load.failed.into_inner(),
        elapsed,
        polls,
        client_rounds,
    }
}

/// The whole log as both `live` instances serve it; asserts they serve the
/// same bytes under the same latest checkpoint, returns that checkpoint and
/// the entries.
async fn whole_log(
    c: &reqwest::Client,
    live: &[&Instance],
    verifier: &NoteVerifier,
) -> (Checkpoint, String, Vec<Vec<u8>>) {
    let mut seen: Option<(Checkpoint, String, Vec<Vec<u8>>)> = None;
    for instance in live {
        let note = c
            .get(instance.url("/api/v1/log/checkpoint"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let cp = Checkpoint::open_signed(verifier, ORIGIN, &note).unwrap_or_else(|| {
            panic!("instance {} serves a bad checkpoint: {note}", instance.name)
        });
        let mut entries = Vec::new();
        while (entries.len() as u64) < cp.size {
            let page: Vec<ServedEntry> = c
                .get(instance.url(&format!(
                    "/api/v1/log/entries?start={}&limit=1000",
                    entries.len()
                )))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(!page.is_empty(), "no entries from {}", entries.len());
            for e in page {
                if e.index >= cp.size {
                    break;
                }
                assert_eq!(e.index, entries.len() as u64, "a gap in the entries served");
                assert_eq!(e.leaf_hash, tlog::record_hash(e.data.as_bytes()));
                entries.push(e.data.into_bytes());
            }
        }
        match &seen {
            None => seen = Some((cp, note, entries)),
            Some((first, _, first_entries)) => {
                assert_eq!(
                    (first.size, first.root),
                    (cp.size, cp.root),
                    "the instances serve different latest checkpoints after the load"
                );
                assert!(
                    first_entries == &entries,
                    "the instances serve different entries"
                );
            }
        }
    }
    seen.unwrap()
}

/// The checks after a load: every acknowledged append is in the log exactly
/// once, so is every document and approval of the plan, the log has no gap
/// and its root is its entries', every checkpoint seen is consistent with
/// every other, `audit` passes. Returns the final checkpoint's size.
fn check_log(
    rt: &tokio::runtime::Runtime,
    cluster: &Cluster,
    live: &[&Instance],
    out: &Outcomes,
    n: usize,
) -> u64 {
    let c = reqwest::Client::new();
    let started = Instant::now();
    let size = rt.block_on(async {
        let key = c
            .get(live[0].url("/api/v1/log/public-key"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let verifier = NoteVerifier::parse(key.trim()).unwrap();
        let (latest, latest_note, entries) = whole_log(&c, live, &verifier).await;
        let size = latest.size;

        // The root the checkpoint signs is the root of the entries served.
        let mut tree = MemoryHashes::new();
        for data in &entries {
            tree.append(data);
        }
        assert_eq!(tlog::tree_hash(size, &tree).unwrap(), latest.root);

        // Each append once: no duplicate of anything, and all of the plan.
        let keys: Vec<String> = entries.iter().map(|d| key_of(d)).collect();
        let mut count: HashMap<&str, usize> = HashMap::new();
        for k in &keys {
            *count.entry(k.as_str()).or_default() += 1;
        }
        let repeated: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
        assert!(repeated.is_empty(), "entries logged twice: {repeated:?}");
        let kinds = |prefix: &str| keys.iter().filter(|k| k.starts_with(prefix)).count();
        assert_eq!(kinds("registration:"), n, "every document registered once");
        assert_eq!(kinds("approval:"), n, "every document approved once");
        assert_eq!(
            kinds("certificate:"),
            1 + APPROVERS.len(),
            "the CA and the approvers"
        );

        // Every acknowledged append is where its answer said, and no two answers share an index.
        let mut by_index: BTreeMap<u64, &Ack> = BTreeMap::new();
        for ack in &out.acks {
            assert!(
                ack.index < size,
                "acknowledged index {} beyond the log ({size})",
                ack.index
            );
            assert_eq!(
                keys[ack.index as usize], ack.key,
                "entry {} is not the append acknowledged there (via instance {})",
                ack.index, ack.via
            );
            assert!(
                ack.checkpoint_size > ack.index && ack.checkpoint_size <= size,
                "entry {} acknowledged with checkpoint size {}",
                ack.index,
                ack.checkpoint_size
            );
            if let Some(other) = by_index.insert(ack.index, ack) {
                panic!(
                    "two acknowledgements of index {}: {other:?}, {ack:?}",
                    ack.index
                );
            }
        }
        for k in &out.unacknowledged {
            assert_eq!(count.get(k.as_str()), Some(&1), "{k}");
        }
        assert_eq!(
            out.acks.len() + out.unacknowledged.len() + 1,
            size as usize,
            "the log holds the CA and the appends, nothing else"
        );

        // Every checkpoint seen: signed, one root per size, and each consistent
        // with the next larger and with the latest (so, by transitivity, pairwise).
        let mut roots: BTreeMap<u64, Hash> = BTreeMap::new();
        for note in out.notes.iter().chain([&latest_note]) {
            let cp = Checkpoint::open_signed(&verifier, ORIGIN, note)
                .unwrap_or_else(|| panic!("a checkpoint that does not verify: {note}"));
            if let Some(root) = roots.insert(cp.size, cp.root) {
                assert_eq!(root, cp.root, "two roots for size {}: a fork", cp.size);
            }
        }
        let sizes: Vec<u64> = roots.keys().copied().collect();
        let mut proofs = 0;
        for (k, pair) in sizes.windows(2).enumerate() {
            for (old, new) in [(pair[0], pair[1]), (pair[0], size)] {
                if old == new {
                    continue;
                }
                let instance = live[(k + proofs) % live.len()];
                let proof: ConsistencyProof = c
                    .get(instance.url(&format!("/api/v1/log/consistency?old={old}&new={new}")))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(
                    proof.verify(&roots[&old], &roots[&new]),
                    "checkpoints {old} and {new} are not consistent"
                );
                proofs += 1;
            }
        }

        // Each approval receipt's inclusion proof leads to its checkpoint's root.
        for (index, proof, note) in &out.receipts {
            let proof: InclusionProof = serde_json::from_value(proof.clone()).unwrap();
            let cp = Checkpoint::open_signed(&verifier, ORIGIN, note).unwrap();
            assert_eq!((proof.leaf_index, proof.tree_size), (*index, cp.size));
            assert_eq!(
                proof.leaf_hash,
                tlog::record_hash(&entries[*index as usize])
            );
            assert!(proof.verify(&cp.root), "receipt of entry {index}");
        }
        println!(
            "checked {size} entries, {} distinct checkpoints ({} consistency proofs), {} receipts",
            sizes.len(),
            proofs,
            out.receipts.len()
        );
        size
    });
    let audit = cluster.run(&["--json", "audit"]);
    assert_eq!(audit.code, 0, "audit:\n{}\n{}", audit.stdout, audit.stderr);
    let report = audit.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["entries"], size);
    assert_eq!(report["documents"], n);
    assert_eq!(report["approvals"], n);
    println!("checks and audit: {:.1} s", started.elapsed().as_secs_f64());
    size
}

fn report(what: &str, out: &Outcomes, instances: &[(usize, (f64, f64))]) {
    let appends = out.acks.len() + out.unacknowledged.len();
    println!(
        "{what}: {appends} appends ({} acknowledged, {} committed with a lost answer, {} requests failed \
         with the killed instance) in {:.1} s, {:.0} appends/s; {} checkpoint polls, {} client rounds",
        out.acks.len(),
        out.unacknowledged.len(),
        out.failed,
        out.elapsed.as_secs_f64(),
        appends as f64 / out.elapsed.as_secs_f64(),
        out.polls,
        out.client_rounds,
    );
    for (i, (batches, sum)) in instances {
        println!(
            "  instance {i}: {batches} batches, {sum} appends (mean batch {:.1})",
            sum / batches
        );
    }
}

#[test]
fn two_instances_on_one_database_append_one_log() {
    const N: usize = 1500;
    let cluster = Cluster::new();
    let mut instances = [cluster.start("a"), cluster.start("b")];
    let rt = runtime();
    rt.block_on(async {
        let c = reqwest::Client::new();
        for i in &instances {
            i.assert_ready(&c).await;
        }
    });
    let out = run_load(&rt, &cluster, &mut instances, N, None);
    assert!(out.unacknowledged.is_empty() && out.failed == 0);
    let acked_via = |i| out.acks.iter().filter(|a| a.via == i).count();
    assert!(
        acked_via(0) >= N && acked_via(1) >= N,
        "both instances appended: {} and {}",
        acked_via(0),
        acked_via(1)
    );
    let metrics = rt.block_on(async {
        let c = reqwest::Client::new();
        vec![
            (0, instances[0].batches(&c).await),
            (1, instances[1].batches(&c).await),
        ]
    });
    report("two instances", &out, &metrics);
    let size = check_log(&rt, &cluster, &[&instances[0], &instances[1]], &out, N);
    assert_eq!(size as usize, 1 + APPROVERS.len() + 2 * N);
    // A client that saw the latest checkpoint through one instance is shown
    // the same log by the other.
    for i in [1, 0] {
        let r = cluster.client_checkpoint(&instances[i].base);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert_eq!(r.json()["tree_size"], size, "{}", r.stdout);
    }
}

#[test]
fn an_instance_killed_mid_load_loses_nothing_acknowledged() {
    const N: usize = 1000;
    let cluster = Cluster::new();
    let mut instances = [cluster.start("a"), cluster.start("b")];
    let rt = runtime();
    rt.block_on(async {
        let c = reqwest::Client::new();
        for i in &instances {
            i.assert_ready(&c).await;
        }
    });
    let out = run_load(&rt, &cluster, &mut instances, N, Some(0));
    let survivor = rt.block_on(async { instances[1].batches(&reqwest::Client::new()).await });
    report("one instance killed", &out, &[(1, survivor)]);
    assert!(
        out.acks.iter().any(|a| a.via == 0) && out.acks.iter().any(|a| a.via == 1),
        "both instances acknowledged appends before the kill"
    );
    let size = check_log(&rt, &cluster, &[&instances[1]], &out, N);

    // The killed instance restarts cleanly on the same database and appends.
    let restarted = cluster.start("a-restarted");
    rt.block_on(async {
        let c = reqwest::Client::new();
        restarted.assert_ready(&c).await;
        let r = c
            .post(restarted.url("/api/v1/documents"))
            .bearer_auth(&cluster.registrar)
            .body(format!("{DOC}\nEfter omstarten\n"))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            body["log_index"], size,
            "appended right after the load's entries"
        );
        assert_eq!(body["checkpoint_size"], size + 1);
    });
    // A client that saw the load's checkpoints is shown one log by both.
    for base in [&restarted.base, &instances[1].base] {
        let r = cluster.client_checkpoint(base);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert_eq!(r.json()["tree_size"], size + 1, "{}", r.stdout);
    }
    let audit = cluster.run(&["--json", "audit"]);
    assert_eq!(audit.code, 0, "audit:\n{}\n{}", audit.stdout, audit.stderr);
    assert_eq!(audit.json()["entries"], size + 1);
}

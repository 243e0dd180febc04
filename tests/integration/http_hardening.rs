//! The HTTP surface as an attacker meets it: slow and numerous clients,
//! malformed requests, writes without a token, filters that must mean what
//! they say, and text that must reach a terminal without escape sequences.
//! Everything goes over real TCP sockets to the real binary.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::common::{DOC, Env, Run, finish, runtime};
use crate::http::{Server, approver, signed_approval};

/// A raw answer: status code, headers (lowercase names) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

fn connect(s: &Server) -> TcpStream {
    let stream = TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
    // A safety net only: a test that would hang fails instead.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    stream
}

/// Reads one HTTP/1.1 answer (with a Content-Length body) from the stream.
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read head");
        assert!(n == 1, "connection ended inside the answer's head: {buf:?}");
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Sends raw bytes on a new connection and reads the answer.
fn raw(s: &Server, request: &[u8]) -> Answer {
    let mut stream = connect(s);
    stream.write_all(request).unwrap();
    read_answer(&mut stream)
}

/// Whether the server ended the connection: a read gives end of file (or a reset).
fn is_closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 256];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

const ENGLISH: [&str; 12] = [
    "Failed",
    "failed",
    "Expected",
    "expected",
    "deserialize",
    "parse",
    "Invalid",
    "invalid",
    "missing field",
    "unknown field",
    "Cannot",
    "request body",
];

/// A problem document: the content type, its status, a code, a Swedish detail.
fn assert_problem(a: &Answer, status: u16, code: &str, case: &str) {
    assert_eq!(a.status, status, "{case}: {}", a.body);
    assert_eq!(
        a.header("content-type"),
        Some("application/problem+json"),
        "{case}: {}",
        a.body
    );
    let p = a.json();
    assert_eq!(p["status"], status, "{case}: {}", a.body);
    assert_eq!(p["code"], code, "{case}: {}", a.body);
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(!detail.is_empty(), "{case}: empty detail");
    for word in ENGLISH {
        assert!(!detail.contains(word), "{case}: English in {detail:?}");
    }
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let s = Server::start(Env::new(), &["--header-timeout-secs", "1"]);
    // Half a request head, then nothing.
    let mut half = connect(&s);
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // A connection that never sends a byte.
    let mut silent = connect(&s);
    // One that sent a whole request and then sits idle on keep-alive.
    let mut idle = connect(&s);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut idle).status, 200);
    for (name, stream) in [
        ("half", &mut half),
        ("silent", &mut silent),
        ("idle", &mut idle),
    ] {
        assert!(is_closed_by_server(stream), "{name} connection still open");
    }
    // The server still answers a prompt client.
    assert_eq!(
        raw(&s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status,
        200
    );
}

#[test]
fn a_trickling_body_gets_408_on_every_body_route() {
    let s = Server::start(Env::new(), &["--body-timeout-secs", "1"]);
    let id = "ab".repeat(32);
    let routes = [
        (
            "/api/v1/documents".to_string(),
            s.registrar.clone(),
            "application/octet-stream",
        ),
        (
            "/api/v1/imports".to_string(),
            s.registrar.clone(),
            "application/octet-stream",
        ),
        (
            "/api/v1/verify".to_string(),
            String::new(),
            "application/octet-stream",
        ),
        (
            format!("/api/v1/documents/{id}/approvals"),
            s.approver.clone(),
            "application/json",
        ),
        (
            "/api/v1/certificates".to_string(),
            s.admin.clone(),
            "application/json",
        ),
        (
            format!("/api/v1/certificates/{id}/revoke"),
            s.admin.clone(),
            "application/json",
        ),
    ];
    for (path, token, content_type) in routes {
        let mut stream = connect(&s);
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: {content_type}\r\nContent-Length: 100000\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        // The attack: one byte at a time, far slower than the body deadline allows.
        let stop = Arc::new(AtomicBool::new(false));
        let mut writer = stream.try_clone().unwrap();
        let stopped = stop.clone();
        let trickle = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                if writer.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        let a = read_answer(&mut stream);
        stop.store(true, Ordering::Relaxed);
        assert_problem(&a, 408, "body_timeout", &path);
        drop(stream);
        trickle.join().unwrap();
    }
    // Nothing was written: the CA entry alone.
    assert_eq!(s.env.log_size(), 1);
}

#[test]
fn connections_over_the_cap_are_refused_while_others_are_served() {
    let s = Server::start(Env::new(), &["--max-connections", "2"]);
    // One slot held by a client that sends nothing.
    let _silent = connect(&s);
    // One by a client that is being served (accepted after the first: the
    // kernel queues connections in order).
    let mut served = connect(&s);
    served
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut served).status, 200);
    // A third is answered 503 at once and closed.
    let mut third = connect(&s);
    let a = read_answer(&mut third);
    assert_problem(&a, 503, "too_many_connections", "third connection");
    assert!(is_closed_by_server(&mut third));
    // The connected client is still served.
    served
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut served).status, 200);
    // Its slot is free once the server has closed it.
    assert!(is_closed_by_server(&mut served));
    let a = raw(
        &s,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 200, "{}", a.body);
}

#[test]
fn a_write_without_a_token_is_401_before_the_body_is_read() {
    let s = Server::start(Env::new(), &["--body-limit-mib", "1", "--closed-reads"]);
    let id = "ab".repeat(32);
    let paths = [
        "/api/v1/documents".to_string(),
        "/api/v1/imports".to_string(),
        format!("/api/v1/documents/{id}/approvals"),
        "/api/v1/certificates".to_string(),
        format!("/api/v1/certificates/{id}/revoke"),
        "/api/v1/verify".to_string(),
    ];
    for path in &paths {
        // A body far over the limit, announced and never sent: an answer
        // that needed the body could not come.
        let a = raw(
            &s,
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 3000000000\r\n\r\n")
                .as_bytes(),
        );
        assert_problem(&a, 401, "unauthorized", path);
        // A malformed body, sent whole.
        let a = raw(
            &s,
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{{{{{{{{{{")
                .as_bytes(),
        );
        assert_problem(&a, 401, "unauthorized", path);
    }
    // With closed reads, a read without a token is 401 before its query is judged.
    let a = raw(
        &s,
        b"GET /api/v1/documents?limit=abc&title=%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_problem(&a, 401, "unauthorized", "closed read with a bad query");
    // The wrong role is 403, also before the body.
    let a = raw(
        &s,
        format!("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 3000000000\r\n\r\n", s.auditor)
            .as_bytes(),
    );
    assert_problem(&a, 403, "forbidden", "auditor registers");
    // With the right token the announced size is judged: 413.
    let a = raw(
        &s,
        format!("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 3000000000\r\n\r\n", s.registrar)
            .as_bytes(),
    );
    assert_problem(&a, 413, "body_too_large", "registrar, too large");
}

#[test]
fn every_bad_request_is_a_swedish_problem_document() {
    let s = Server::start(Env::new(), &["--body-limit-mib", "1"]);
    let id = "ab".repeat(32);
    let get = |path: &str, token: &str| {
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n").into_bytes()
    };
    let post = |path: &str, token: &str, content_type: Option<&str>, body: &str| {
        let ct = content_type
            .map(|c| format!("Content-Type: {c}\r\n"))
            .unwrap_or_default();
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{ct}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let approvals = format!("/api/v1/documents/{id}/approvals");
    let revoke = format!("/api/v1/certificates/{id}/revoke");
    let json = Some("application/json");
    let long_uri = format!("/api/v1/documents?title={}", "a".repeat(9000));
    let many_headers: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let big_header = format!("X-Big: {}\r\n", "v".repeat(20_000));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("number that is not", get("/api/v1/documents?limit=abc", ""), 400, "invalid_query"),
        ("unknown parameter", get("/api/v1/documents?titel=x", ""), 400, "invalid_query"),
        ("repeated parameter", get("/api/v1/documents?title=a&title=b", ""), 400, "invalid_query"),
        ("empty parameter", get("/api/v1/documents?title=", ""), 400, "invalid_query"),
        ("NUL in a filter", get("/api/v1/documents?title=%00", ""), 400, "invalid_query"),
        ("not UTF-8", get("/api/v1/documents?title=%FF", ""), 400, "invalid_query"),
        ("NUL in person", get("/api/v1/signatures?person=Anna%00", &s.auditor), 400, "invalid_query"),
        ("escape in person_contains", get("/api/v1/signatures?person_contains=%1B%5B31m", &s.auditor), 400, "invalid_query"),
        ("tab in role", get("/api/v1/signatures?role=a%09b", &s.auditor), 400, "invalid_query"),
        ("NUL in dnr", get("/api/v1/signatures?dnr=%00", &s.auditor), 400, "invalid_query"),
        ("NUL in format", get("/api/v1/signatures?format=csv%00", &s.auditor), 400, "invalid_query"),
        ("unknown signature filter", get("/api/v1/signatures?persn=Anna", &s.auditor), 400, "invalid_query"),
        ("NUL in approver", get("/api/v1/documents?approver=%00", ""), 400, "invalid_query"),
        ("NUL in namnd", get("/api/v1/documents?namnd=x%00", ""), 400, "invalid_query"),
        ("missing parameter", get("/api/v1/log/consistency?old=1", ""), 400, "invalid_query"),
        ("bad number", get("/api/v1/log/consistency?old=x&new=2", ""), 400, "invalid_query"),
        ("negative start", get("/api/v1/log/entries?start=-1", ""), 400, "invalid_query"),
        ("bad tree size", get("/api/v1/log/proof/0?tree_size=zz", ""), 400, "invalid_query"),
        ("bad index in path", get("/api/v1/log/entries/abc", ""), 400, "invalid_path"),
        ("bad proof index", get("/api/v1/log/proof/-3", ""), 400, "invalid_path"),
        ("no content type", post(&approvals, &s.approver, None, "{}"), 415, "unsupported_media_type"),
        ("wrong content type", post(&approvals, &s.approver, Some("text/plain"), "{}"), 415, "unsupported_media_type"),
        ("not JSON", post(&approvals, &s.approver, json, "not json"), 400, "invalid_json"),
        ("JSON cut short", post(&approvals, &s.approver, json, "{\"statement\":"), 400, "invalid_json"),
        ("missing field", post(&approvals, &s.approver, json, "{}"), 400, "invalid_json"),
        ("unknown field", post("/api/v1/certificates", &s.admin, json, "{\"name\":\"A B\",\"role\":\"C\",\"public_key\":\"x\",\"dayz\":5}"), 400, "invalid_json"),
        ("wrong type", post("/api/v1/certificates", &s.admin, json, "{\"name\":5,\"role\":\"C\",\"public_key\":\"x\"}"), 400, "invalid_json"),
        ("validity that overflows", post("/api/v1/certificates", &s.admin, json, "{\"name\":\"Anna Berg\",\"role\":\"C\",\"public_key\":\"x\",\"days\":9223372036854775807}"), 400, "invalid_range"),
        ("validity of no days", post("/api/v1/certificates", &s.admin, json, "{\"name\":\"Anna Berg\",\"role\":\"C\",\"public_key\":\"x\",\"days\":0}"), 400, "invalid_range"),
        ("a public key that is no PEM", post("/api/v1/certificates", &s.admin, json, "{\"name\":\"Anna Berg\",\"role\":\"C\",\"public_key\":\"!!\"}"), 400, "pem_invalid"),
        ("a public key that is no SubjectPublicKeyInfo", post("/api/v1/certificates", &s.admin, json, "{\"name\":\"Anna Berg\",\"role\":\"C\",\"public_key\":\"-----BEGIN PUBLIC KEY-----\\nAAEC\\n-----END PUBLIC KEY-----\\n\"}"), 400, "key_invalid"),
        ("revoke body without type", post(&revoke, &s.admin, None, "{\"reason\":\"x\"}"), 415, "unsupported_media_type"),
        ("revoke bad JSON", post(&revoke, &s.admin, json, "{"), 400, "invalid_json"),
        ("bad fingerprint", post("/api/v1/certificates/XYZ/revoke", &s.admin, None, ""), 400, "invalid_fingerprint"),
        ("method", b"DELETE /api/v1/documents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), 405, "method_not_allowed"),
        ("no such path", get("/api/v1/finns-inte", ""), 404, "not_found"),
        ("too large", format!("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n", s.registrar).into_bytes(), 413, "body_too_large"),
        ("too large, chunked", {
            let mut r = format!("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", s.registrar).into_bytes();
            r.extend_from_slice(format!("{:x}\r\n", 1_200_000).as_bytes());
            r.extend(std::iter::repeat_n(b'a', 1_200_000));
            r.extend_from_slice(b"\r\n0\r\n\r\n");
            r
        }, 413, "body_too_large"),
        ("long address", get(&long_uri, ""), 414, "uri_too_long"),
        ("many header fields", format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}Connection: close\r\n\r\n").into_bytes(), 431, "headers_too_large"),
        ("large header field", format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{big_header}Connection: close\r\n\r\n").into_bytes(), 431, "headers_too_large"),
    ];
    for (case, request, status, code) in &cases {
        let a = raw(&s, request);
        assert_problem(&a, *status, code, case);
    }
    println!(
        "{} kinds of bad request, each a Swedish problem document",
        cases.len()
    );
    // What hyper answers itself (documented in docs/api.md): a head beyond its
    // 64 KiB buffer is a bare 431, bytes that are not HTTP a bare 400.
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n",
        "v".repeat(70_000)
    );
    assert_eq!(raw(&s, huge.as_bytes()).status, 431);
    assert_eq!(raw(&s, b"NOT HTTP AT ALL\r\n\r\n").status, 400);
}

/// Registers `text` through the API and returns its id.
async fn register(c: &reqwest::Client, s: &Server, text: &str) -> String {
    let r = c
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&s.registrar)
        .body(text.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["text_sha256"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn approve(
    c: &reqwest::Client,
    s: &Server,
    who: &(attestera_core::pki::SigningKey, String),
    id: &str,
    name: &str,
    role: &str,
) {
    let r = c
        .post(s.url(&format!("/api/v1/documents/{id}/approvals")))
        .bearer_auth(&s.approver)
        .json(&signed_approval(&who.0, &who.1, id, name, role))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn names(c: &reqwest::Client, s: &Server, query: &str) -> Vec<String> {
    let r = c
        .get(s.url(&format!("/api/v1/signatures?{query}")))
        .bearer_auth(&s.auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}");
    let rows: Value = r.json().await.unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

async fn found(c: &reqwest::Client, s: &Server, query: &str) -> Vec<String> {
    let r = c
        .get(s.url(&format!("/api/v1/documents?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}");
    let rows: Value = r.json().await.unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["text_sha256"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn person_means_that_person_and_contains_is_its_own_parameter() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let first = register(&c, &s, DOC).await;
        let second = register(&c, &s, &format!("{DOC}\nBilaga 2\n")).await;
        let anna = approver(&c, &s, "Anna Berg", "Avdelningschef").await;
        let bergstrom = approver(&c, &s, "Anna Bergström", "Biträdande avdelningschef").await;
        let asa = approver(&c, &s, "Åsa Öberg", "Stadsdelsdirektör").await;
        approve(&c, &s, &anna, &first, "Anna Berg", "Avdelningschef").await;
        approve(
            &c,
            &s,
            &bergstrom,
            &second,
            "Anna Bergström",
            "Biträdande avdelningschef",
        )
        .await;
        approve(&c, &s, &asa, &second, "Åsa Öberg", "Stadsdelsdirektör").await;

        assert_eq!(names(&c, &s, "person=Anna%20Berg").await, ["Anna Berg"]);
        assert_eq!(names(&c, &s, "person=anna%20BERG").await, ["Anna Berg"]);
        assert!(names(&c, &s, "person=Anna").await.is_empty());
        assert_eq!(
            names(&c, &s, "person_contains=Anna%20Berg").await,
            ["Anna Berg", "Anna Bergström"]
        );
        // Å and Ö fold as A to a does; NFD (A + combining ring) is the same name.
        assert_eq!(
            names(&c, &s, "person=%C3%85SA%20%C3%96BERG").await,
            ["Åsa Öberg"]
        );
        assert_eq!(
            names(&c, &s, "person=a%CC%8Asa%20o%CC%88berg").await,
            ["Åsa Öberg"]
        );
        assert_eq!(
            names(&c, &s, "person_contains=%C3%B6berg").await,
            ["Åsa Öberg"]
        );
        // The role filter likewise: the whole role, or a part by name.
        assert_eq!(names(&c, &s, "role=avdelningschef").await, ["Anna Berg"]);
        assert_eq!(
            names(&c, &s, "role_contains=avdelningschef").await,
            ["Anna Berg", "Anna Bergström"]
        );
        // % and _ are literal characters, not patterns.
        assert!(names(&c, &s, "person_contains=%25").await.is_empty());
        assert!(names(&c, &s, "person_contains=_").await.is_empty());

        // The document search's approver filter means the same.
        assert_eq!(
            found(&c, &s, "approver=Anna%20Berg").await,
            vec![first.clone()]
        );
        assert_eq!(
            found(&c, &s, "approver_contains=Anna%20Berg").await,
            [first.clone(), second.clone()]
        );
        assert_eq!(
            found(&c, &s, "approver=%C3%A5sa%20%C3%B6berg").await,
            vec![second.clone()]
        );
        assert_eq!(
            found(&c, &s, "title=BJ%C3%96RKHAGENS").await.len(),
            2,
            "Ö folds to ö"
        );
        assert!(found(&c, &s, "title=%25").await.is_empty());
        assert_eq!(
            found(&c, &s, "title=parker&limit=1&offset=1").await,
            vec![second.clone()]
        );
    });
}

/// A document whose title line carries an OSC "retitle window" sequence and ANSI colours.
const HOSTILE: &str = "Handläggare\nPer Persson\n\nTill\nSkarpnäcks stadsdelsnämnd\n2026-12-10\n\n\u{1b}]0;Hackad\u{7}\u{1b}[31mUpprustning\u{1b}[0m av \u{9b}2JBjörkhagens parker\n\nDnr 2026/\u{1b}[5m99\n\nFörslag till beslut\n\nNämnden godkänner förslaget.\n";

fn assert_no_escape(r: &Run, what: &str) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
            "{what} {stream} carries a control character: {text:?}"
        );
    }
}

#[test]
fn document_text_reaches_the_terminal_without_escape_sequences() {
    let env = Env::new();
    let doc = env.write("hostile.txt", HOSTILE);
    let file = doc.to_string_lossy().into_owned();
    let registered = env.run(&["register", &file]);
    assert_no_escape(&registered, "register");
    let verified = env.run(&["verify", &file]);
    assert_no_escape(&verified, "verify (text)");
    assert_no_escape(&env.run(&["--json", "verify", &file]), "verify (JSON)");
    if registered.code == 0 {
        assert!(
            registered.stdout.contains("Upprustning"),
            "{}",
            registered.stdout
        );
        let anna = env.user("anna", "Anna Berg", "Avdelningschef");
        let approved = env.run(&[
            "approve", &file, "--key", &anna.0, "--cert", &anna.1, "--yes",
        ]);
        assert_eq!(approved.code, 0, "{}", approved.stderr);
        assert_no_escape(&approved, "approve");
        assert_no_escape(&env.run(&["block", &file]), "block");
        assert_no_escape(&env.run(&["log", "entry", "2"]), "log entry");
        assert_no_escape(&env.run(&["audit"]), "audit");
    }
    // A name given to the CLI is refused without being echoed raw.
    let token = env.run(&[
        "token",
        "create",
        "--role",
        "auditor",
        "--name",
        "Revisor\u{1b}]0;x\u{7}",
    ]);
    assert_ne!(token.code, 0);
    assert_no_escape(&token, "token create");
}

#[test]
fn text_from_a_server_reaches_the_terminal_without_escape_sequences() {
    let s = Server::start(Env::new(), &[]);
    let doc = s.env.write("hostile.txt", HOSTILE);
    let file = doc.to_string_lossy().into_owned();
    let client = |token: &str, args: &[&str]| {
        finish(
            s.env
                .command(args)
                .env("ATTESTERA_SERVER", &s.base)
                .env("ATTESTERA_TOKEN", token)
                .env("ATTESTERA_STATE_DIR", s.env.path("state"))
                .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
                .output()
                .unwrap(),
        )
    };
    assert_no_escape(
        &client(&s.registrar, &["register", &file]),
        "remote register",
    );
    assert_no_escape(&client("", &["verify", &file]), "remote verify");
    assert_no_escape(&client("", &["log", "entry", "1"]), "remote log entry");
}

#[test]
fn the_openapi_description_says_what_the_server_accepts() {
    let s = Server::start(Env::new(), &[]);
    let a = raw(
        &s,
        b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 200);
    let api: Value = serde_json::from_str(&a.body).unwrap();
    let param = |path: &str, method: &str, name: &str| -> Value {
        api["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} has no parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no {name}"))["schema"]
            .clone()
    };
    let digest = "^[0-9a-f]{64}$";
    for (path, method) in [
        ("/api/v1/documents/{id}", "get"),
        ("/api/v1/documents/{id}/block", "get"),
        ("/api/v1/documents/{id}/approvals", "get"),
        ("/api/v1/documents/{id}/approvals", "post"),
        ("/api/v1/verify/{id}", "get"),
    ] {
        assert_eq!(
            param(path, method, "id")["pattern"],
            digest,
            "{method} {path}"
        );
    }
    assert_eq!(
        param(
            "/api/v1/certificates/{fingerprint}/revoke",
            "post",
            "fingerprint"
        )["pattern"],
        digest
    );
    for (path, name) in [
        ("/api/v1/log/entries/{index}", "index"),
        ("/api/v1/log/proof/{index}", "index"),
    ] {
        assert_eq!(param(path, "get", name)["minimum"], 0, "{path}");
    }
    for (path, name) in [
        ("/api/v1/documents", "from"),
        ("/api/v1/documents", "to"),
        ("/api/v1/signatures", "from"),
        ("/api/v1/signatures", "to"),
    ] {
        assert_eq!(param(path, "get", name)["format"], "date", "{path} {name}");
    }
    assert!(
        api["paths"]["/api/v1/signatures"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "person_contains")
    );
    // Text filters: not empty, no control characters.
    let text = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$";
    for (path, name) in [
        ("/api/v1/documents", "title"),
        ("/api/v1/documents", "approver"),
        ("/api/v1/documents", "dnr"),
        ("/api/v1/signatures", "person"),
        ("/api/v1/signatures", "person_contains"),
        ("/api/v1/signatures", "role"),
    ] {
        assert_eq!(param(path, "get", name)["pattern"], text, "{path} {name}");
    }
    let schemas = &api["components"]["schemas"];
    let base64 = "^[A-Za-z0-9+/]{43}=$";
    assert_eq!(
        schemas["ServedEntry"]["properties"]["leaf_hash"]["pattern"],
        base64
    );
    assert_eq!(
        schemas["InclusionProof"]["properties"]["leaf_hash"]["pattern"],
        base64
    );
    assert_eq!(
        schemas["ApprovalRow"]["properties"]["logged_at"]["format"],
        "date-time"
    );
    assert_eq!(
        schemas["DocumentRow"]["properties"]["text_sha256"]["pattern"],
        digest
    );
    assert_eq!(
        schemas["SignatureRow"]["properties"]["document"]["pattern"],
        digest
    );
    assert_eq!(
        schemas["SignatureRow"]["properties"]["date"]["format"],
        "date"
    );
}

//! Who may read the web pages, and what a page's form refuses before
//! reading: closed reads, bodies announced too large, a sign-in that
//! brings an old session along, the demo on a reachable address.

use std::io::{Read, Write};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};

use crate::common::{Env, runtime};
use crate::server::Server;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(c: &reqwest::Client, s: &Server, code: &str, cookie: &str) -> String {
    let r = c
        .post(s.url("/logga-in"))
        .header("cookie", cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("kod", code)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

async fn signed_in(c: &reqwest::Client, s: &Server, cookie: &str) -> bool {
    let r = c
        .get(s.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    r.text().await.unwrap().contains("Inloggad som")
}

#[test]
fn with_closed_reads_the_public_pages_need_a_sign_in_too() {
    let s = Server::start(Env::new(), &["--closed-reads"]);
    runtime().block_on(async {
        let c = client();
        for path in [
            "/",
            "/hitta?id=ab",
            "/om-loggen",
            &format!("/dokument/{}", "a".repeat(64)),
        ] {
            let r = c.get(s.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            assert!(
                r.headers()[LOCATION]
                    .to_str()
                    .unwrap()
                    .starts_with("/logga-in?tillbaka=")
            );
        }
        let r = c
            .post(s.url("/kontrollera"))
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "a check needs a sign-in");
        let r = c.get(s.url("/tillganglighet")).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "the accessibility statement stays open"
        );
        let cookie = sign_in(&c, &s, &s.approver, "").await;
        let r = c
            .get(s.url("/om-loggen"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "anyone signed in may read");
    });
}

#[test]
fn a_form_announced_larger_than_can_be_drained_is_refused_before_it_is_read() {
    let s = Server::start(Env::new(), &["--body-limit-mib", "1"]);
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    // Headers only: the server must answer without waiting for the 3 GB.
    write!(
        conn,
        "POST /kontrollera HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=X\r\nContent-Length: 3000000000\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("1 MiB"), "the page names the limit");
}

#[test]
fn signing_in_again_ends_the_session_the_browser_brought() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let first = sign_in(&c, &s, &s.registrar, "").await;
        assert!(signed_in(&c, &s, &first).await);
        let second = sign_in(&c, &s, &s.auditor, &first).await;
        assert_ne!(first, second);
        assert!(!signed_in(&c, &s, &first).await, "the old session is gone");
        assert!(signed_in(&c, &s, &second).await);
    });
}

#[test]
fn the_demo_will_not_listen_where_others_can_reach_its_codes() {
    let env = Env::empty();
    let r = env.run(&["serve", "--demo", "--listen", "0.0.0.0:0"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("127.0.0.1"), "{}", r.stderr);
    assert!(!r.stdout.contains("att_"), "no code printed: {}", r.stdout);
}

#[test]
fn a_too_long_address_of_a_page_is_a_swedish_page_and_of_the_api_a_problem() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let long = "a".repeat(9000);
        let r = c
            .get(s.url(&format!("/hitta?id={long}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
        assert!(
            r.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("för lång"));
        let r = c
            .get(s.url(&format!("/api/v1/documents?dnr={long}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    });
}

#[test]
fn a_private_key_pasted_as_a_public_one_is_never_shown_again() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let cookie = sign_in(&c, &s, &s.admin, "").await;
        let form = c
            .get(s.url("/certifikat/utfarda"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = form
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        let secret = "MC4CAQAwBQYDK2VwBCIEIHemligHemligHemligHemligHemligHemligHemlig";
        let key = format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n");
        let body = serde_urlencoded::to_string([
            ("_csrf", csrf.as_str()),
            ("namn", "Anna Berg"),
            ("roll", "Avdelningschef"),
            ("publik_nyckel", key.as_str()),
            ("dagar", ""),
        ])
        .unwrap();
        let r = c
            .post(s.url("/certifikat/utfarda"))
            .header("cookie", &cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("privat nyckel"), "{page}");
        assert!(!page.contains(secret), "the private key is shown again");
    });
}

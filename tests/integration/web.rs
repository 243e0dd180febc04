//! The web pages over plain HTTP, without a browser: security headers,
//! session cookies, CSRF, sessions that end, Swedish error pages, logs
//! without document text, and `serve --demo`. (tests/browser drives the
//! same pages in Chromium.)

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};

use crate::common::{DOC, Env, runtime};
use crate::server::Server;

/// A client that does not follow redirects and keeps no cookies: the test sees every step.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// Signs in with `code`; returns the `Set-Cookie` header of the answer.
async fn sign_in(c: &reqwest::Client, s: &Server, code: &str) -> String {
    let r = c
        .post(s.url("/logga-in"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(&[("kod", code), ("tillbaka", "/signaturlogg")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/signaturlogg");
    r.headers()[SET_COOKIE].to_str().unwrap().to_string()
}

/// The `name=value` part of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

async fn page(c: &reqwest::Client, s: &Server, path: &str, cookie: &str) -> (StatusCode, String) {
    let r = c
        .get(s.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[test]
fn every_answer_carries_the_security_headers() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        for path in [
            "/",
            "/logga-in",
            "/finns-inte",
            "/static/site.css",
            "/api/v1/log/checkpoint",
        ] {
            let r = c.get(s.url(path)).send().await.unwrap();
            let h = r.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        }
        let r = c.get(s.url("/")).send().await.unwrap();
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
        assert!(
            r.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    });
}

#[test]
fn an_unknown_page_is_a_swedish_page_and_an_unknown_api_path_a_problem() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let r = c.get(s.url("/finns-inte")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body = r.text().await.unwrap();
        assert!(body.contains("<title>Sidan finns inte"), "{body}");
        assert!(body.contains("lang=\"sv\""));
        let r = c.get(s.url("/logga-ut")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(r.text().await.unwrap().contains("tar emot ett formulär"));
        let r = c.get(s.url("/api/v1/finns-inte")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    });
}

#[test]
fn the_session_cookie_is_http_only_strict_and_not_the_code() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let set = sign_in(&client(), &s, &s.auditor).await;
        assert!(set.starts_with("attestera_session="), "{set}");
        assert!(set.contains("; HttpOnly"), "{set}");
        assert!(set.contains("; SameSite=Strict"), "{set}");
        assert!(set.contains("; Path=/"), "{set}");
        assert!(!set.contains("Secure"), "plain HTTP: {set}");
        assert!(!set.contains(&s.auditor), "the cookie is not the code");
    });
}

#[test]
fn behind_tls_the_session_cookie_is_secure_and_host_bound() {
    let s = Server::start(Env::new(), &["--behind-tls"]);
    runtime().block_on(async {
        let set = sign_in(&client(), &s, &s.auditor).await;
        assert!(set.starts_with("__Host-attestera_session="), "{set}");
        assert!(set.contains("; Secure"), "{set}");
    });
}

#[test]
fn a_form_without_the_sessions_csrf_token_changes_nothing() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let cookie = cookie_pair(&sign_in(&c, &s, &s.auditor).await);
        for token in ["", "fel"] {
            let r = c
                .post(s.url("/logga-ut"))
                .header("cookie", &cookie)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form(&[("_csrf", token)]))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            assert!(r.text().await.unwrap().contains("Formuläret har gått ut"));
        }
        let (_, body) = page(&c, &s, "/", &cookie).await;
        assert!(body.contains("Inloggad som"), "still signed in");
    });
}

/// A multipart body with `fields` and one text file `dokument` holding `text`.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: &str, text: &str) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"dokument\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n"
    ));
    body
}

/// The value of the hidden `_csrf` field of a form page.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("a _csrf field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

/// The first `prefix…/aterkalla` link's middle part on a page, if any.
fn link_id(html: &str, prefix: &str) -> Option<String> {
    html.match_indices(prefix).find_map(|(at, _)| {
        let rest = &html[at + prefix.len()..];
        let id = rest.split('/').next()?;
        (rest[id.len()..].starts_with("/aterkalla") && !id.is_empty()).then(|| id.to_string())
    })
}

#[test]
fn every_state_changing_form_refuses_a_wrong_csrf_token_and_changes_nothing() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let cookie = cookie_pair(&sign_in(&c, &s, &s.admin).await);
        let checkpoint = || async {
            c.get(s.url("/api/v1/log/checkpoint"))
                .bearer_auth(&s.auditor)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        };
        let (_, tokens_page) = page(&c, &s, "/inloggningskoder", &cookie).await;
        let (_, certificates_page) = page(&c, &s, "/certifikat", &cookie).await;
        let token = link_id(&tokens_page, "/inloggningskoder/").expect("a token to revoke");
        let fingerprint =
            link_id(&certificates_page, "/certifikat/").unwrap_or_else(|| "ab".repeat(32));
        let before = (checkpoint().await, tokens_page.clone());

        // Every POST route of the web pages but the public ones (/logga-in,
        // /kontrollera), which change nothing a session may do.
        let urlencoded: Vec<(String, Vec<(&str, &str)>)> = vec![
            ("/logga-ut".into(), vec![]),
            ("/session/forlang".into(), vec![]),
            ("/integritet".into(), vec![]),
            (
                "/inloggningskoder".into(),
                vec![("namn", "Mallory"), ("roll", "admin")],
            ),
            (format!("/inloggningskoder/{token}/aterkalla"), vec![]),
            (
                format!("/inloggningskoder/{token}/aterkalla/bekrafta"),
                vec![],
            ),
            (
                "/certifikat/utfarda".into(),
                vec![("namn", "Mallory"), ("roll", "Chef"), ("dagar", "365")],
            ),
            (
                "/certifikat/utfarda/bekrafta".into(),
                vec![("namn", "Mallory"), ("roll", "Chef"), ("dagar", "365")],
            ),
            (
                format!("/certifikat/{fingerprint}/aterkalla"),
                vec![("skal", "test")],
            ),
            (
                format!("/certifikat/{fingerprint}/aterkalla/bekrafta"),
                vec![("skal", "test")],
            ),
        ];
        let boundary = "XyZ";
        for wrong in ["", "fel"] {
            for (path, fields) in &urlencoded {
                let mut pairs = fields.clone();
                pairs.push(("_csrf", wrong));
                let r = c
                    .post(s.url(path))
                    .header("cookie", &cookie)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form(&pairs))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} with {wrong:?}");
            }
            for path in ["/registrera", "/importera"] {
                let r = c
                    .post(s.url(path))
                    .header("cookie", &cookie)
                    .header(
                        CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(multipart(boundary, &[("_csrf", wrong)], "d.txt", DOC))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} with {wrong:?}");
            }
        }
        let (_, tokens_after) = page(&c, &s, "/inloggningskoder", &cookie).await;
        assert_eq!(
            (checkpoint().await, tokens_after),
            before,
            "nothing changed"
        );
        let (_, body) = page(&c, &s, "/", &cookie).await;
        assert!(body.contains("Inloggad som"), "still signed in");
    });
}

#[test]
fn a_form_sent_from_another_site_is_refused() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let r = client()
            .post(s.url("/logga-in"))
            .header("origin", "https://evil.example")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("kod", &s.admin)]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers().get(SET_COOKIE).is_none(), "no session made");
    });
}

#[test]
fn a_session_ends_with_its_token_and_after_inactivity() {
    let s = Server::start(Env::new(), &[]);
    let rt = runtime();
    let c = client();
    let signed_in = |body: &str| body.contains("Inloggad som");

    let cookie = rt.block_on(async {
        let cookie = cookie_pair(&sign_in(&c, &s, &s.auditor).await);
        assert!(signed_in(&page(&c, &s, "/", &cookie).await.1));
        cookie
    });
    let auditor_id = s.auditor[4..].split('.').next().unwrap().to_string();
    s.env.ok(&["token", "revoke", &auditor_id]);
    let cookie = rt.block_on(async {
        assert!(
            !signed_in(&page(&c, &s, "/", &cookie).await.1),
            "revoked token"
        );
        let cookie = cookie_pair(&sign_in(&c, &s, &s.registrar).await);
        assert!(signed_in(&page(&c, &s, "/", &cookie).await.1));
        cookie
    });
    // Thirty-one minutes without a request, as the database sees it.
    s.env
        .sql("UPDATE web_sessions SET last_seen = last_seen - 31 * 60");
    rt.block_on(async {
        let (_, body) = page(&c, &s, "/", &cookie).await;
        assert!(!signed_in(&body), "ended for inactivity");
        let (status, _) = page(&c, &s, "/signaturlogg", &cookie).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "a staff page sends to Logga in"
        );
    });
}

#[test]
fn a_session_row_written_behind_the_services_back_signs_no_one_in() {
    let s = Server::start(Env::new(), &[]);
    // Someone who can write the database makes a session for the admin token (id 1)
    // with a cookie of their choosing: SHA-256 of 43 'A's.
    let value = "A".repeat(43);
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(value.as_bytes()));
    s.env.sql(&format!(
        "INSERT INTO web_sessions (id_hash, token_id, created_at, last_seen, mac) \
         VALUES (X'{hash}', 1, strftime('%s','now'), strftime('%s','now'), X'00')"
    ));
    runtime().block_on(async {
        let (_, body) = page(&client(), &s, "/", &format!("attestera_session={value}")).await;
        assert!(!body.contains("Inloggad som"), "a forged row is no session");
    });
}

#[test]
fn the_login_form_never_sends_back_to_another_site() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let r = client()
            .post(s.url("/logga-in"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("kod", &s.admin), ("tillbaka", "//evil.example/")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/");
    });
}

#[test]
fn no_document_text_reaches_the_service_log() {
    let env = Env::new();
    let registrar = env
        .json(&[
            "token",
            "create",
            "--role",
            "registrar",
            "--name",
            "test-registrar",
        ])
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut child = env
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    let marker = "Hemligtord4711";
    let text = DOC.replace("lekplatser", marker);
    let paths = ["/kontrollera", "/registrera", "/importera"];
    runtime().block_on(async {
        let c = client();
        let boundary = "XyZ";
        let multipart_type = format!("multipart/form-data; boundary={boundary}");
        let r = c
            .post(format!("{base}/kontrollera?{marker}=1"))
            .header(CONTENT_TYPE, &multipart_type)
            .body(multipart(boundary, &[], &format!("{marker}.txt"), &text))
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{}", r.status());

        // The registrar's forms, signed in, with the form page's own token.
        let r = c
            .post(format!("{base}/logga-in"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("kod", &registrar), ("tillbaka", "/registrera")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = cookie_pair(r.headers()[SET_COOKIE].to_str().unwrap());
        for path in &paths[1..] {
            let html = c
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let fields = [("_csrf", csrf_of(&html))];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = c
                .post(format!("{base}{path}?{marker}=1"))
                .header("cookie", &cookie)
                .header(CONTENT_TYPE, &multipart_type)
                .body(multipart(
                    boundary,
                    &fields,
                    &format!("{marker}.txt"),
                    &text,
                ))
                .send()
                .await
                .unwrap();
            let status = r.status();
            assert!(
                status.as_u16() < 500 && status != StatusCode::FORBIDDEN,
                "{path}: {status}"
            );
        }
    });
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    child.wait().unwrap();
    for path in paths {
        assert!(
            log.contains(path),
            "the request to {path} was logged: {log}"
        );
    }
    assert!(
        !log.contains(marker),
        "document text, file name or query in the log:\n{log}"
    );
}

#[test]
fn the_demo_starts_with_a_code_per_role_and_files_to_check() {
    let env = Env::empty();
    let mut child = env
        .command(&["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let base = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "demo stopped: {printed}"
        );
        printed.push_str(&line);
        if let Some(addr) = line.trim().strip_prefix("attestera lyssnar på ") {
            break addr.to_string();
        }
    };
    let code = |role: &str| {
        printed
            .lines()
            .find(|l| l.trim_start().starts_with(role))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_else(|| panic!("no code for {role}: {printed}"))
            .to_string()
    };
    let file = |name: &str| {
        printed
            .split_whitespace()
            .find(|w| w.ends_with(name))
            .unwrap_or_else(|| panic!("no {name}: {printed}"))
            .to_string()
    };
    runtime().block_on(async {
        let c = client();
        for role in ["administratör", "registrator", "granskare", "godkännare"] {
            let r = c
                .post(format!("{base}/logga-in"))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form(&[("kod", &code(role))]))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role}");
        }
        let verify = async |name: &str| {
            let bytes = std::fs::read(file(name)).unwrap();
            let r = c
                .post(format!("{base}/api/v1/verify"))
                .body(bytes)
                .send()
                .await
                .unwrap();
            r.json::<serde_json::Value>().await.unwrap()["status"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(verify("godkant.txt").await, "verified");
        assert_eq!(verify("andrat.txt").await, "failed");
        assert_eq!(verify("arkiv.txt").await, "verified");
        let certs: serde_json::Value = c
            .get(format!("{base}/api/v1/certificates"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let revoked = certs
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["revoked_at"].is_null())
            .count();
        assert_eq!(revoked, 1, "{certs}");
    });
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_inactivity_warning_keeps_a_session_alive_only_with_its_csrf_token() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = client();
        let cookie = cookie_pair(&sign_in(&c, &s, &s.registrar).await);
        let (_, body) = page(&c, &s, "/", &cookie).await;
        assert!(
            body.contains("id=\"session-warning\""),
            "signed-in pages carry the warning"
        );
        assert!(body.contains("data-idle-secs=\"1800\""), "{body}");
        let csrf = body
            .split("data-csrf=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        assert!(!csrf.is_empty());
        let keep = async |token: &str| {
            c.post(s.url("/session/forlang"))
                .header("cookie", &cookie)
                .header("x-csrf-token", token)
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(keep(&csrf).await, StatusCode::NO_CONTENT);
        assert_eq!(keep("fel").await, StatusCode::FORBIDDEN);
        let (_, signed_out) = page(&c, &s, "/", "").await;
        assert!(
            !signed_out.contains("id=\"session-warning\""),
            "no warning without a session"
        );
    });
}

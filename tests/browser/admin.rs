//! The administrator's pages: "Certifikat" (issue through "Kontrollera
//! uppgifterna", refusals on the form, revoke with a reason) and
//! "Inloggningskoder" (a code shown once, revoked, its session ended).

use attestera_core::pki;
use fantoccini::Locator;
use serde_json::Value;

use crate::common::{Env, runtime};
use crate::harness::Browser;
use crate::server::Server;

/// A fresh approver public key as PEM, and the SHA-256 of its DER.
fn public_key() -> (String, String) {
    let pkcs8 = pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let spki = pki::ca::public_key_der_of(&pki::ca::private_key_pem(&pkcs8)).unwrap();
    (
        pki::to_pem("PUBLIC KEY", &spki),
        attestera_core::Hash::sha256(&spki).to_hex(),
    )
}

/// Marks the page shown now, so that the next one can be told from it.
async fn mark(b: &Browser) {
    b.eval("document.documentElement.dataset.earlier = 'ja'; return true;")
        .await;
}

/// Waits until the page after the marked one is there, to its footer (the
/// end of the document): a click on a form's button may return before the
/// browser has left the page.
async fn next_page(b: &Browser) {
    b.client
        .wait()
        .for_element(Locator::Css("html:not([data-earlier]) footer.site-footer"))
        .await
        .expect("the next page");
}

/// Presses a button and waits for the page it leads to.
async fn press(b: &Browser, text: &str) {
    mark(b).await;
    b.press(text).await;
    next_page(b).await;
}

/// Follows a link and waits for the page it leads to.
async fn follow(b: &Browser, text: &str) {
    mark(b).await;
    b.follow(text).await;
    next_page(b).await;
}

/// Clicks the element `css` (a link or button) and waits for the next page.
async fn click(b: &Browser, css: &str) {
    mark(b).await;
    b.find(css).await.click().await.unwrap();
    next_page(b).await;
}

async fn sign_in(b: &Browser, code: &str) {
    b.go("/logga-in").await;
    b.fill("Inloggningskod", code).await;
    press(b, "Logga in").await;
}

/// The column headers of the page's first table, and that each has scope="col".
async fn column_headers(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for th in b.find_all("table thead th").await {
        assert_eq!(th.attr("scope").await.unwrap().as_deref(), Some("col"));
        out.push(th.text().await.unwrap());
    }
    out
}

/// The messages of the error summary, which has the focus.
async fn summary(b: &Browser) -> Vec<(String, String)> {
    assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
    assert_eq!(b.focused_id().await, "error-summary");
    let mut out = Vec::new();
    for a in b.find_all(".error-summary a").await {
        out.push((
            a.attr("href").await.unwrap().unwrap_or_default(),
            a.text().await.unwrap(),
        ));
    }
    out
}

async fn value(b: &Browser, label: &str) -> String {
    b.field(label)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Fills the issue form (from "Utfärda certifikat") and presses "Fortsätt".
async fn issue_form(b: &Browser, name: &str, role: &str, key: &str) {
    b.go("/certifikat").await;
    follow(b, "Utfärda certifikat").await;
    b.fill("Namn", name).await;
    b.fill("Roll", role).await;
    b.fill("Publik nyckel", key).await;
    press(b, "Fortsätt").await;
}

#[test]
fn an_administrator_issues_and_revokes_certificates() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in(&b, &s.admin).await;
        b.go("/certifikat").await;
        assert_eq!(b.h1().await, "Certifikat");
        assert_eq!(
            column_headers(&b).await,
            [
                "Namn",
                "Roll",
                "Fingeravtryck",
                "Giltigt",
                "Status",
                "Åtgärd"
            ]
        );
        assert!(
            b.find("table caption")
                .await
                .text()
                .await
                .unwrap()
                .starts_with("Alla certifikat")
        );
        assert!(b.text().await.contains("Giltigt (CA-certifikat)"));
        b.check_page("certifikat").await;
        b.check_reflow().await;
        forms_need_the_session_s_csrf_token_and_refusals_are_4xx(&b, &s).await;

        // Nothing filled in: each missing answer is named.
        follow(&b, "Utfärda certifikat").await;
        assert_eq!(b.h1().await, "Utfärda certifikat");
        b.field("Fil med publik nyckel").await;
        b.check_page("certifikat-utfarda").await;
        press(&b, "Fortsätt").await;
        let errors = summary(&b).await;
        let hrefs: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(hrefs, ["#namn", "#roll", "#publik-nyckel"]);
        assert_eq!(errors[0].1, "Skriv godkännarens namn.");
        b.check_page("certifikat-utfarda-fel").await;

        // Markup in a name is refused as a name, and shown as typed (escaped).
        let (key, key_fingerprint) = public_key();
        issue_form(&b, "<b>Anna</b>", "Ordförande", &key).await;
        let errors = summary(&b).await;
        assert_eq!(errors[0].0, "#namn", "{errors:?}");
        assert_eq!(value(&b, "Namn").await, "<b>Anna</b>");
        assert!(
            b.find_all("main b").await.is_empty(),
            "no markup from the form"
        );

        // Filled in: "Kontrollera uppgifterna" with the key's fingerprint.
        issue_form(&b, "Anna Kopec", "Ordförande", &key).await;
        assert_eq!(b.h1().await, "Kontrollera uppgifterna");
        let text = b.text().await;
        assert!(text.contains(&key_fingerprint), "{text}");
        assert!(
            text.contains("Ed25519") && text.contains("730 dagar"),
            "{text}"
        );
        b.check_page("certifikat-kontrollera").await;
        b.check_reflow().await;

        // "Ändra" goes back with every answer kept.
        follow(&b, "Ändra roll").await;
        assert_eq!(b.h1().await, "Utfärda certifikat");
        assert_eq!(value(&b, "Namn").await, "Anna Kopec");
        assert_eq!(value(&b, "Publik nyckel").await.trim(), key.trim());
        b.fill("Roll", "Chef").await;
        press(&b, "Fortsätt").await;
        assert!(b.text().await.contains("Chef"));
        press(&b, "Utfärda").await;

        assert_eq!(b.h1().await, "Certifikatet är utfärdat");
        let status = b
            .find(".confirmation[role='status']")
            .await
            .text()
            .await
            .unwrap();
        let fingerprint = status
            .split_whitespace()
            .find(|w| w.len() == 64)
            .expect("the certificate's fingerprint in the confirmation")
            .to_string();
        let pem = value(&b, "Certifikatet (PEM)").await;
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert!(b.text().await.contains("Loggindex"));
        b.link("Ladda ner certifikatet (PEM)").await;
        b.check_page("certifikat-utfardat").await;

        // The same key again: refused on the form, the answers kept.
        issue_form(&b, "Bertil Berg", "Ledamot", &key).await;
        let errors = summary(&b).await;
        assert_eq!(errors[0].0, "#publik-nyckel");
        assert!(errors[0].1.contains("redan certifierad"), "{errors:?}");
        assert_eq!(value(&b, "Namn").await, "Bertil Berg");
        b.check_page("certifikat-utfarda-nyckel-fel").await;

        // A name that looks like a holder's: refused until confirmed.
        let twin = "Anna \u{41A}\u{43E}\u{440}\u{435}\u{441}";
        let (twin_key, _) = public_key();
        // (this time the key comes as a file)
        let key_file = s.env.write("tvilling.pem", &twin_key);
        b.go("/certifikat/utfarda").await;
        b.fill("Namn", twin).await;
        b.fill("Roll", "Chef").await;
        b.upload("Fil med publik nyckel", &key_file).await;
        press(&b, "Fortsätt").await;
        let errors = summary(&b).await;
        assert_eq!(errors[0].0, "#bekrafta");
        assert!(errors[0].1.contains("”Anna Kopec”"), "{errors:?}");
        assert_eq!(value(&b, "Namn").await, twin);
        assert_eq!(value(&b, "Publik nyckel").await.trim(), twin_key.trim());
        b.check_page("certifikat-utfarda-liknande").await;
        b.field("Det är en annan person än ”Anna Kopec”")
            .await
            .click()
            .await
            .unwrap();
        press(&b, "Fortsätt").await;
        assert_eq!(b.h1().await, "Kontrollera uppgifterna");
        assert!(
            b.text()
                .await
                .contains("Bekräftat som en annan person än ”Anna Kopec”")
        );
        press(&b, "Utfärda").await;
        assert_eq!(b.h1().await, "Certifikatet är utfärdat");

        // Revoke the first: a reason, the check step, the confirmation.
        b.go("/certifikat").await;
        click(
            &b,
            &format!("a[href='/certifikat/{fingerprint}/aterkalla']"),
        )
        .await;
        assert_eq!(b.h1().await, "Återkalla certifikat");
        b.check_page("certifikat-aterkalla").await;
        press(&b, "Fortsätt").await;
        let errors = summary(&b).await;
        assert_eq!(
            errors,
            [(
                "#skal".to_string(),
                "Skriv varför certifikatet återkallas.".to_string()
            )]
        );
        b.check_page("certifikat-aterkalla-fel").await;
        b.fill("Skäl", "Nyckeln borttappad").await;
        press(&b, "Fortsätt").await;
        assert_eq!(b.h1().await, "Kontrollera uppgifterna");
        let text = b.text().await;
        assert!(
            text.contains("Anna Kopec") && text.contains(&fingerprint),
            "{text}"
        );
        assert!(
            b.find(".warning-text")
                .await
                .text()
                .await
                .unwrap()
                .contains("kan inte ångras")
        );
        b.check_page("certifikat-aterkalla-kontrollera").await;
        follow(&b, "Ändra skäl").await;
        assert_eq!(value(&b, "Skäl").await, "Nyckeln borttappad");
        press(&b, "Fortsätt").await;
        assert_eq!(b.h1().await, "Kontrollera uppgifterna");
        press(&b, "Återkalla certifikatet").await;
        assert_eq!(b.h1().await, "Certifikatet är återkallat");
        b.find(".confirmation[role='status']").await;
        b.check_page("certifikat-aterkallat").await;

        b.go("/certifikat").await;
        let row = b
            .find(&format!("tr:has(a[href='/certifikat/{fingerprint}.pem'])"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            row.contains("Återkallat") && row.contains("Nyckeln borttappad"),
            "{row}"
        );
        b.check_page("certifikat-lista-med-aterkallat").await;
        b.go(&format!("/certifikat/{fingerprint}/aterkalla")).await;
        assert_eq!(b.h1().await, "Certifikatet är redan återkallat");
        b.go("/certifikat").await;
        assert!(
            b.find_all(&format!("a[href='/certifikat/{fingerprint}/aterkalla']"))
                .await
                .is_empty(),
            "a revoked certificate offers no \"Återkalla\""
        );

        // The API says the same.
        let certs: Value = reqwest::get(s.url("/api/v1/certificates"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cert = certs
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["fingerprint"] == fingerprint.as_str())
            .expect("the certificate in the API");
        assert!(cert["revoked_at"].is_string(), "{cert}");
        assert_eq!(cert["revoke_reason"], "Nyckeln borttappad");
        b.close().await;
    });
}

#[test]
fn an_administrator_creates_a_code_shown_once_and_revoking_it_signs_out() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        // Not an administrator: told so.
        let other = Browser::open(&s.base).await;
        sign_in(&other, &s.registrar).await;
        for path in ["/certifikat", "/inloggningskoder", "/certifikat/utfarda"] {
            other.go(path).await;
            assert_eq!(other.h1().await, "Du saknar behörighet", "{path}");
        }
        other.check_page("admin-behorighet").await;
        other.close().await;

        let b = Browser::open(&s.base).await;
        sign_in(&b, &s.admin).await;
        b.go("/inloggningskoder").await;
        assert_eq!(b.h1().await, "Inloggningskoder");
        assert_eq!(
            column_headers(&b).await,
            ["Id", "Namn", "Roll", "Skapad", "Status", "Åtgärd"]
        );
        let text = b.text().await;
        assert!(
            text.contains("test-registrar")
                && text.contains("registrator")
                && text.contains("Aktiv"),
            "{text}"
        );
        b.check_page("inloggningskoder").await;

        press(&b, "Skapa inloggningskod").await;
        let errors = summary(&b).await;
        let hrefs: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(hrefs, ["#namn", "#roll-registrar"]);
        b.check_page("inloggningskoder-fel").await;

        b.fill("Namn", "Greta Granskare").await;
        b.field("Granskare").await.click().await.unwrap();
        press(&b, "Skapa inloggningskod").await;
        assert_eq!(b.h1().await, "Inloggningskoden är skapad");
        b.find(".confirmation[role='status']").await;
        assert!(
            b.find(".warning-text")
                .await
                .text()
                .await
                .unwrap()
                .contains("visas bara nu")
        );
        let field = b.field("Inloggningskod").await;
        assert!(field.attr("readonly").await.unwrap().is_some());
        let code = value(&b, "Inloggningskod").await;
        assert!(code.starts_with("att_"), "{code}");
        b.check_page("inloggningskod-skapad").await;

        // The code signs in, in a browser of its own.
        let greta = Browser::open(&s.base).await;
        sign_in(&greta, &code).await;
        assert!(
            greta
                .text()
                .await
                .contains("Inloggad som Greta Granskare (granskare)")
        );

        // Revoked, through its confirmation step.
        let id = code
            .trim_start_matches("att_")
            .split('.')
            .next()
            .unwrap()
            .to_string();
        b.go("/inloggningskoder").await;
        click(&b, &format!("#aterkalla-{id}")).await;
        assert_eq!(b.h1().await, "Återkalla inloggningskoden");
        assert!(b.text().await.contains("Greta Granskare"));
        b.check_page("inloggningskod-aterkalla").await;
        press(&b, "Återkalla inloggningskoden").await;
        assert_eq!(b.h1().await, "Inloggningskoden är återkallad");
        b.find(".confirmation[role='status']").await;
        b.check_page("inloggningskod-aterkallad").await;
        b.go("/inloggningskoder").await;
        let mut greta_row = String::new();
        for tr in b.find_all("tbody tr").await {
            let text = tr.text().await.unwrap();
            if text.contains("Greta Granskare") {
                greta_row = text;
            }
        }
        assert!(greta_row.contains("Återkallad"), "{greta_row}");
        assert!(b.find_all(&format!("#aterkalla-{id}")).await.is_empty());

        // An administrator who revokes their own code is signed out by it.
        let own = s
            .admin
            .trim_start_matches("att_")
            .split('.')
            .next()
            .unwrap();
        click(&b, &format!("#aterkalla-{own}")).await;
        assert!(b.text().await.contains("Det är din egen kod"));
        press(&b, "Återkalla inloggningskoden").await;
        assert_eq!(b.h1().await, "Inloggningskoden är återkallad");
        let text = b.text().await;
        assert!(
            text.contains("du är också utloggad") && !text.contains("Inloggad som"),
            "{text}"
        );
        b.check_page("inloggningskod-egen-aterkallad").await;
        b.go("/inloggningskoder").await;
        assert_eq!(b.path().await, "/logga-in");
        b.close().await;

        // Greta's next page load is signed out.
        greta.go("/").await;
        let text = greta.text().await;
        assert!(!text.contains("Inloggad som"), "{text}");
        greta.link("Logga in").await;
        greta.close().await;
    });
}

/// What the browser cannot show: a form without the session's CSRF token is
/// refused, and a refused form is answered 4xx.
async fn forms_need_the_session_s_csrf_token_and_refusals_are_4xx(b: &Browser, s: &Server) {
    let cookie = b
        .cookies()
        .await
        .into_iter()
        .find(|c| c.0 == "attestera_session")
        .expect("signed in")
        .1;
    let csrf = b.eval("return document.body.dataset.csrf;").await;
    let csrf = csrf.as_str().unwrap();
    let c = reqwest::Client::new();
    let post = |path: &str, fields: &[(&str, &str)]| {
        c.post(s.url(path))
            .header("cookie", format!("attestera_session={cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
    };
    let no_csrf = [
        ("namn", "Anna Berg"),
        ("roll", "Chef"),
        ("publik_nyckel", "x"),
    ];
    let r = post("/certifikat/utfarda", &no_csrf).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = post(
        "/inloggningskoder",
        &[("namn", "X"), ("roll", "admin"), ("_csrf", "fel")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let bad_pem = [
        ("_csrf", csrf),
        ("namn", "Anna Berg"),
        ("roll", "Chef"),
        ("publik_nyckel", "inte en nyckel"),
    ];
    for path in ["/certifikat/utfarda", "/certifikat/utfarda/bekrafta"] {
        let r = post(path, &bad_pem).await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.text().await.unwrap().contains("Fel: "), "{path}");
    }
    // A key file over the body limit: said on the form, with the limit.
    let r = c
        .post(s.url("/certifikat/utfarda"))
        .header("cookie", format!("attestera_session={cookie}"))
        .header("content-type", "multipart/form-data; boundary=X")
        .body(vec![b'a'; 21 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("20 MiB"));
    let r = post(
        "/inloggningskoder",
        &[("_csrf", csrf), ("namn", ""), ("roll", "kung")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
}

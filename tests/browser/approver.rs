//! The approver's pages with a key made in the browser: two browser
//! profiles (the director's and the administrator's), each its own
//! Chromium with its own IndexedDB. Enrol, compare the Kontrollkod, issue,
//! approve, download the attested text; and what an attacker would try: a
//! key exported, a tampered statement, a revoked key.

use fantoccini::Locator;
use serde_json::Value;

use crate::common::{Env, runtime};
use crate::harness::Browser;
use crate::server::Server;

const NAME: &str = "Maria Mathiasson Laxvik";
const ROLE: &str = "Stadsdelsdirektör";

/// Marks the page shown now, so that the next one can be told from it.
async fn mark(b: &Browser) {
    b.eval("document.documentElement.dataset.earlier = 'ja'; return true;")
        .await;
}

/// Waits until the page after the marked one is there, to its footer.
async fn next_page(b: &Browser) {
    b.client
        .wait()
        .for_element(Locator::Css("html:not([data-earlier]) footer.site-footer"))
        .await
        .expect("the next page");
}

async fn press(b: &Browser, text: &str) {
    mark(b).await;
    b.press(text).await;
    next_page(b).await;
}

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

/// Waits for `css` to be on the page (what the page's script shows).
async fn appears(b: &Browser, css: &str) -> fantoccini::elements::Element {
    match b.client.wait().for_element(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => panic!("{css} never appeared: {e}\n{}", b.text().await),
    }
}

/// Waits until the element `id` says `text` (what the page's script writes).
async fn says(b: &Browser, id: &str, text: &str) {
    let xpath = format!("//*[@id='{id}' and contains(., '{text}')]");
    if let Err(e) = b.client.wait().for_element(Locator::XPath(&xpath)).await {
        panic!("#{id} never said {text:?}: {e}\n{}", b.text().await);
    }
}

/// Runs an asynchronous script (the last argument is its callback).
async fn eval_async(b: &Browser, script: &str) -> Value {
    b.client
        .execute_async(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Registers a copy of the seed document with its own title; returns its id.
fn register(s: &Server, title: &str) -> String {
    let text = crate::common::DOC.replacen(
        "Upprustning av Björkhagens parker",
        &format!("Upprustning av {title}"),
        1,
    );
    let path = s.env.path(&format!("{title}.txt"));
    std::fs::write(&path, text).unwrap();
    s.env.json(&["register", &path.to_string_lossy()]).json()["text_sha256"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Enrols a key in `b` (signed in as the approver); returns the
/// Kontrollkod the server shows, after checking the page computed the same.
async fn enrol(b: &Browser) -> String {
    b.go("/min-nyckel").await;
    b.fill("Namn", NAME).await;
    b.fill("Roll", ROLE).await;
    press(b, "Skapa nyckel i den här webbläsaren").await;
    let code = b.find("#skickad-kod").await.text().await.unwrap();
    let here = appears(b, "#denna-webblasare[data-check-codes]").await;
    let computed = here.attr("data-check-codes").await.unwrap().unwrap();
    assert!(
        computed.split(',').any(|c| c == code),
        "{computed} vs {code}"
    );
    code
}

/// As the administrator: finds the request with `code`, compares, issues;
/// returns the certificate's fingerprint.
async fn issue(admin: &Browser, code: &str) -> String {
    admin.go("/certifikat/ansokningar").await;
    let rows = admin.find_all("table tbody tr").await;
    let mut href = None;
    for row in rows {
        if row.text().await.unwrap().contains(code)
            && let Ok(a) = row.find(Locator::Css("a")).await
        {
            href = a.attr("href").await.unwrap();
        }
    }
    let listed = admin.text().await;
    admin
        .go(&href.unwrap_or_else(|| panic!("the request {code} is listed: {listed}")))
        .await;
    assert_eq!(admin.find("#kontrollkod").await.text().await.unwrap(), code);
    admin.find("#jamfort").await.click().await.unwrap();
    press(admin, "Utfärda").await;
    assert_eq!(admin.h1().await, "Certifikatet är utfärdat");
    let path = admin.path().await;
    path.trim_start_matches("/certifikat/")
        .trim_end_matches("/utfardat")
        .to_string()
}

/// Opens "Granska och godkänn" for `id` and waits for the statement.
async fn review(b: &Browser, id: &str) {
    b.go(&format!("/att-godkanna/{id}")).await;
    appears(b, "#uttalande:not([hidden])").await;
}

#[test]
fn a_director_enrols_a_browser_key_and_approves_what_the_page_showed() {
    let s = Server::start(Env::new(), &[]);
    let id = register(&s, "Budget");
    runtime().block_on(async {
        let director = Browser::open(&s.base).await;
        let admin = Browser::open(&s.base).await;
        sign_in(&director, &s.approver).await;
        director.go("/min-nyckel").await;
        assert_eq!(director.h1().await, "Min signeringsnyckel");
        director.check_page("min-nyckel").await;
        let code = enrol(&director).await;
        assert_eq!(code.len(), 24, "{code}");
        director.check_page("min-nyckel-skickad").await;

        // The private key is non-extractable: not even the page can export it.
        let exported = eval_async(
            &director,
            r#"var done = arguments[arguments.length - 1];
            var r = indexedDB.open("attestera", 1);
            r.onsuccess = function () {
              var q = r.result.transaction("signeringsnycklar").objectStore("signeringsnycklar").getAll();
              q.onsuccess = function () {
                var k = q.result[0].privateKey;
                crypto.subtle.exportKey("pkcs8", k).then(
                  function () { done("exported"); },
                  function (e) { done(e.name + " " + k.extractable); });
              };
            };"#,
        )
        .await;
        assert_eq!(exported, Value::String("InvalidAccessError false".into()));

        // A key the server never recorded (its request refused) is removed
        // from the browser once it is old; the enrolled one stays.
        let planted = eval_async(
            &director,
            r#"var done = arguments[arguments.length - 1];
            var r = indexedDB.open("attestera", 1);
            r.onsuccess = function () {
              var tx = r.result.transaction("signeringsnycklar", "readwrite");
              tx.objectStore("signeringsnycklar").put({ fingerprint: "00", created: "2026-01-01T00:00:00Z", spki: new Uint8Array(1) });
              tx.oncomplete = function () { r.result.close(); done("planted"); };
            };"#,
        )
        .await;
        assert_eq!(planted, Value::String("planted".into()));
        director.go("/min-nyckel").await;
        appears(&director, "#denna-webblasare[data-keys-checked='1']").await;
        let left = eval_async(
            &director,
            r#"var done = arguments[arguments.length - 1];
            var r = indexedDB.open("attestera", 1);
            r.onsuccess = function () {
              var q = r.result.transaction("signeringsnycklar").objectStore("signeringsnycklar").getAllKeys();
              q.onsuccess = function () { done(q.result.length); };
            };"#,
        )
        .await;
        assert_eq!(left, Value::from(1));

        sign_in(&admin, &s.admin).await;
        admin.go("/certifikat/ansokningar").await;
        assert_eq!(admin.h1().await, "Ansökningar");
        assert!(admin.text().await.contains(&code));
        admin.check_page("ansokningar").await;
        // Issuing needs the comparison confirmed.
        let href = admin
            .find("table tbody a")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        admin.go(&href).await;
        admin.check_page("ansokan").await;
        press(&admin, "Utfärda").await;
        assert!(admin.title().await.starts_with("Fel: "));
        assert!(admin.text().await.contains("Jämför kontrollkoden"));
        let certificate = issue(&admin, &code).await;

        director.go("/min-nyckel").await;
        let row = director
            .find(&format!("tr[data-certificate='{certificate}']"))
            .await;
        assert!(row.text().await.unwrap().contains("Klar att använda"));
        appears(&director, "tr[data-certificate] .this-browser:not([hidden])").await;

        director.go("/att-godkanna").await;
        assert_eq!(director.h1().await, "Att godkänna");
        director.check_page("att-godkanna").await;
        click(&director, &format!("a[href='/att-godkanna/{id}']")).await;
        appears(&director, "#uttalande:not([hidden])").await;
        assert_eq!(director.h1().await, "Granska och godkänn");
        assert_eq!(director.find("#uttalande-namn").await.text().await.unwrap(), NAME);
        assert_eq!(director.find("#uttalande-roll").await.text().await.unwrap(), ROLE);
        let shown = director.find("pre.document-text").await.text().await.unwrap();
        assert!(shown.contains("Upprustning av Budget"), "{shown}");
        director.check_page("granska").await;

        // Without the box ticked nothing is signed.
        press(&director, "Godkänn").await;
        assert!(director.title().await.starts_with("Fel: "));
        assert!(director.text().await.contains("Kryssa i att du har läst"));
        appears(&director, "#uttalande:not([hidden])").await;
        director.find("#las").await.click().await.unwrap();
        press(&director, "Godkänn").await;
        let status = director.find("#godkant").await;
        assert_eq!(status.attr("role").await.unwrap().as_deref(), Some("status"));
        assert!(status.text().await.unwrap().contains(NAME));
        assert!(director.find("#kontrollpunkt").await.text().await.unwrap().contains("attestera"));
        director.check_page("godkant").await;

        // The attested text verifies, on the command line and on the public page.
        let attested = reqwest::get(s.url(&format!("/dokument/{id}/attesterat")))
            .await
            .unwrap();
        assert!(attested.status().is_success());
        let path = s.env.path("attesterat.txt");
        std::fs::write(&path, attested.bytes().await.unwrap()).unwrap();
        let verified = s.env.json(&["verify", &path.to_string_lossy()]);
        assert_eq!(verified.code, 0, "{}", verified.stdout);
        assert_eq!(verified.json()["status"], "verified", "{}", verified.stdout);
        let public = Browser::open(&s.base).await;
        public.go("/").await;
        public.upload("Dokument", &path).await;
        press(&public, "Kontrollera").await;
        assert!(public.text().await.contains("Verifierat"), "{}", public.text().await);
        // It is no longer "to approve" for this approver.
        director.go("/att-godkanna").await;
        assert!(director.find_all(&format!("a[href='/att-godkanna/{id}']")).await.is_empty());
        public.close().await;
        director.close().await;
        admin.close().await;
    });
}

#[test]
fn a_second_browser_gets_its_own_certificate_and_tampered_or_revoked_signatures_are_refused() {
    let s = Server::start(Env::new(), &[]);
    let first = register(&s, "Lokaler");
    let second = register(&s, "Parker");
    runtime().block_on(async {
        let laptop = Browser::open(&s.base).await;
        let tablet = Browser::open(&s.base).await;
        let admin = Browser::open(&s.base).await;
        sign_in(&laptop, &s.approver).await;
        sign_in(&tablet, &s.approver).await;
        sign_in(&admin, &s.admin).await;
        let laptop_code = enrol(&laptop).await;
        let tablet_code = enrol(&tablet).await;
        assert_ne!(laptop_code, tablet_code);
        let laptop_cert = issue(&admin, &laptop_code).await;
        let tablet_cert = issue(&admin, &tablet_code).await;
        assert_ne!(laptop_cert, tablet_cert);

        // A script changes the role after the browser signed: refused, nothing logged.
        review(&laptop, &first).await;
        let size = s.env.json(&["log", "checkpoint"]).stdout;
        laptop
            .eval(
                r#"var submit = HTMLFormElement.prototype.submit;
                HTMLFormElement.prototype.submit = function () {
                  this.elements.uttalande.value = this.elements.uttalande.value.replace(/^role .*$/m, "role Kommundirektör");
                  submit.call(this);
                };
                return true;"#,
            )
            .await;
        laptop.find("#las").await.click().await.unwrap();
        press(&laptop, "Godkänn").await;
        assert!(laptop.title().await.starts_with("Fel: "), "{}", laptop.text().await);
        let error = laptop.find("#godkann-error").await.text().await.unwrap();
        assert!(error.contains("Roll") && error.contains("Kommundirektör"), "{error}");
        assert_eq!(s.env.json(&["log", "checkpoint"]).stdout, size, "nothing was logged");

        // The tablet shows a statement; its certificate is revoked before "Godkänn".
        review(&tablet, &second).await;
        let revoked = reqwest::Client::new()
            .post(s.url(&format!("/api/v1/certificates/{tablet_cert}/revoke")))
            .bearer_auth(&s.admin)
            .json(&serde_json::json!({"reason": "Surfplattan borttappad"}))
            .send()
            .await
            .unwrap();
        assert!(revoked.status().is_success(), "{:?}", revoked.text().await);
        tablet.find("#las").await.click().await.unwrap();
        press(&tablet, "Godkänn").await;
        let error = tablet.find("#godkann-error").await.text().await.unwrap();
        assert!(error.contains("återkallades"), "{error}");
        // Opened again, the page says so before anything is signed.
        tablet.go(&format!("/att-godkanna/{second}")).await;
        says(&tablet, "nyckel-status", "inget giltigt certifikat").await;
        assert!(!tablet.find("#uttalande").await.is_displayed().await.unwrap());
        tablet.check_page("granska-aterkallad").await;

        // The laptop's own key still approves.
        review(&laptop, &second).await;
        laptop.find("#las").await.click().await.unwrap();
        press(&laptop, "Godkänn").await;
        assert!(laptop.find("#godkant").await.text().await.unwrap().contains(NAME));
        laptop.close().await;
        tablet.close().await;
        admin.close().await;
    });
}

#[test]
fn without_javascript_the_approval_page_says_signing_needs_it() {
    let s = Server::start(Env::new(), &[]);
    let id = register(&s, "Utan skript");
    runtime().block_on(async {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = c
            .post(s.url("/logga-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("kod={}", s.approver))
            .send()
            .await
            .unwrap();
        let cookie = login
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        let page = async |path: String| {
            c.get(s.url(&path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        };
        let review = page(format!("/att-godkanna/{id}")).await;
        assert!(
            review.contains("<noscript><p class=\"notice\">Att godkänna kräver JavaScript"),
            "{review}"
        );
        assert!(review.contains("Upprustning av Utan skript"));
        let key = page("/min-nyckel".into()).await;
        assert!(key.contains("<noscript><p class=\"notice\">Nyckeln skapas av JavaScript"));
    });
}

#[test]
fn a_browser_without_ed25519_enrols_an_ecdsa_p256_key_and_its_approval_verifies() {
    let s = Server::start(Env::new(), &[]);
    let id = register(&s, "Elliptiska kurvor");
    runtime().block_on(async {
        let director = Browser::open(&s.base).await;
        let admin = Browser::open(&s.base).await;
        sign_in(&director, &s.approver).await;
        sign_in(&admin, &s.admin).await;
        director.go("/min-nyckel").await;
        // This page's WebCrypto lacks Ed25519, as some browsers still do.
        director
            .eval(
                r#"var generate = crypto.subtle.generateKey.bind(crypto.subtle);
                crypto.subtle.generateKey = function (alg, extractable, usages) {
                  if (alg.name === "Ed25519") return Promise.reject(new DOMException("Ed25519", "NotSupportedError"));
                  return generate(alg, extractable, usages);
                };
                return true;"#,
            )
            .await;
        director.fill("Namn", NAME).await;
        director.fill("Roll", ROLE).await;
        press(&director, "Skapa nyckel i den här webbläsaren").await;
        let code = director.find("#skickad-kod").await.text().await.unwrap();
        admin.go("/certifikat/ansokningar").await;
        let href = admin
            .find("table tbody a")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        admin.go(&href).await;
        assert!(admin.text().await.contains("ECDSA P-256"));
        issue(&admin, &code).await;
        review(&director, &id).await;
        director.find("#las").await.click().await.unwrap();
        press(&director, "Godkänn").await;
        assert!(director.find("#godkant").await.text().await.unwrap().contains(NAME));
        let entry = s.env.json(&["log", "entry", "3"]).stdout;
        // Entry 3 (after the CA, the registration and the certificate) is the approval.
        assert!(entry.contains("\"approval\"") && entry.contains("ecdsa-p256-sha256"), "{entry}");
        let attested = reqwest::get(s.url(&format!("/dokument/{id}/attesterat")))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let path = s.env.path("attesterat.txt");
        std::fs::write(&path, attested).unwrap();
        let verified = s.env.json(&["verify", &path.to_string_lossy()]);
        assert_eq!(verified.json()["status"], "verified", "{}", verified.stdout);
        director.close().await;
        admin.close().await;
    });
}

#[test]
fn a_key_file_from_user_add_is_opened_in_the_page_and_never_uploaded() {
    let s = Server::start(Env::new(), &[]);
    let id = register(&s, "Nyckelfil");
    let (key, cert) = s.env.user("anna", "Anna Berg", "Avdelningschef");
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in(&b, &s.approver).await;
        b.go(&format!("/att-godkanna/{id}")).await;
        says(&b, "nyckel-status", "ingen signeringsnyckel").await;
        b.find("#nyckelfil summary").await.click().await.unwrap();
        b.upload("Nyckelfil", std::path::Path::new(&key)).await;
        b.upload("Certifikat", std::path::Path::new(&cert)).await;
        // The file inputs are outside the form and have no name: never sent.
        let sent = b
            .eval("return Array.from(document.querySelectorAll('input[type=file]')).filter(function (i) { return i.name || i.form; }).length;")
            .await;
        assert_eq!(sent, Value::from(0));
        b.fill("Lösenfras för nyckelfilen", "fel lösenfras").await;
        b.find("#anvand-nyckelfil").await.click().await.unwrap();
        let refused = appears(&b, "#uttalande-fel:not(:empty)").await;
        assert!(refused.text().await.unwrap().contains("Fel lösenfras"));
        b.fill("Lösenfras för nyckelfilen", crate::common::PASSPHRASE).await;
        b.find("#anvand-nyckelfil").await.click().await.unwrap();
        appears(&b, "#uttalande:not([hidden])").await;
        assert_eq!(b.find("#uttalande-namn").await.text().await.unwrap(), "Anna Berg");
        assert!(b.find("#nyckel-status").await.text().await.unwrap().contains("nyckelfilen"));
        b.check_page("granska-nyckelfil").await;
        b.find("#las").await.click().await.unwrap();
        press(&b, "Godkänn").await;
        assert!(b.find("#godkant").await.text().await.unwrap().contains("Anna Berg"));
        b.close().await;
    });
}

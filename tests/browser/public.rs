//! The public pages: the verdict page for each kind of copy, the check
//! form's errors, the look-up by id, "Om loggen" and the accessibility
//! statement.

use std::path::Path;

use base64::Engine;
use fantoccini::Locator;
use serde_json::Value;

use crate::common::{Env, SEED, attested, runtime};
use crate::harness::Browser;
use crate::server::Server;

/// Waits until the page that a form's submission loads shows `css` (a
/// click returns when the old page is left, not when the new one is read).
async fn shows(b: &Browser, css: &str) {
    b.client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
}

/// What the API answers for the same copy.
async fn api_verdict(s: &Server, bytes: &[u8]) -> Value {
    reqwest::Client::new()
        .post(s.url("/api/v1/verify"))
        .body(bytes.to_vec())
        .send()
        .await
        .expect("POST /api/v1/verify")
        .json()
        .await
        .expect("a verdict")
}

/// The JSON inside the page's "Ladda ner rapport (JSON)" link.
async fn report_of_page(b: &Browser) -> Value {
    let link = b.link("Ladda ner rapport (JSON)").await;
    assert_eq!(
        link.attr("download").await.unwrap().as_deref(),
        Some("rapport.json")
    );
    let href = link.attr("href").await.unwrap().expect("href");
    let b64 = href
        .strip_prefix("data:application/json;base64,")
        .unwrap_or_else(|| panic!("a data: URL of JSON, not {href}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Uploads `path` on the start page, presses "Kontrollera", and checks the
/// verdict page: h1 and title, the table, the report, axe, 320 px. Returns the
/// number of rows styled as good.
async fn check_copy(b: &Browser, s: &Server, path: &Path, heading: &str, shot: &str) -> usize {
    b.go("/").await;
    b.upload("Dokument", path).await;
    b.press("Kontrollera").await;
    shows(b, "div.verdict").await;
    assert_eq!(b.h1().await, heading);
    let title = b.title().await;
    // The title begins with the verdict's word (what a screen reader says
    // first, and what a tab shows), and then says the whole sentence.
    let word = ["Verifierat", "Ej verifierat", "Kunde inte kontrolleras"]
        .into_iter()
        .find(|w| title.starts_with(&format!("{w}: ")))
        .unwrap_or_else(|| panic!("the title begins with a verdict word: {title}"));
    assert!(
        heading.starts_with(word),
        "{word} is the heading's word: {heading}"
    );
    assert!(title.starts_with(heading), "{title}");
    let caption = b
        .find("table.approvals caption")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(caption, "Godkännanden");
    assert_eq!(
        b.find_all("table.approvals thead th[scope=col]")
            .await
            .len(),
        5
    );
    b.find("details summary").await;
    let text = b.text().await;
    assert!(text.contains("Vad du kan göra nu"), "{text}");
    let bytes = std::fs::read(path).unwrap();
    let api = api_verdict(s, &bytes).await;
    let report = report_of_page(b).await;
    assert_eq!(report["status"], api["status"]);
    assert_eq!(report, api, "the report is the API's verdict");
    b.check_page(shot).await;
    b.check_reflow().await;
    b.find_all("table.approvals tbody .tag-ok").await.len()
}

#[test]
fn the_public_verdict_for_a_verified_a_tampered_an_unregistered_and_an_unreadable_document() {
    let a = attested();
    let verified = a.env.write("attesterad.txt", &a.attested);
    let tampered = a
        .env
        .write("andrad.txt", a.attested.replace("3 nya", "4 nya"));
    let other_block = a.env.write(
        "annat-block.txt",
        a.attested
            .replace("Anna Berg, Avdelningschef", "Anna Berg, Stadsdelsdirektör"),
    );
    let unregistered = a.env.write(
        "okand.txt",
        "Protokoll\n\nSnöröjning i Hammarbyhöjden vintern 2027.\n\nIngen har registrerat den här texten.\n",
    );
    let seed = a.env.write("seed.txt", SEED);
    a.env.ok(&["import", &seed.to_string_lossy()]);
    let unreadable = a
        .env
        .write("trasig.txt", [0xff, 0xfe, 0x00, 0x9f, 0x00, 0x01, 0xc3]);
    let s = Server::start(a.env, &[]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;

        let ok = check_copy(
            &b,
            &s,
            &verified,
            "Verifierat: dokumentet är det som registrerades och godkännandena stämmer med loggen.",
            "utlatande-verifierat",
        )
        .await;
        assert_eq!(ok, 2, "both approvals are confirmed, in words and colour");
        assert_eq!(b.find_all("table.approvals tbody tr").await.len(), 2);
        let text = b.text().await;
        for want in ["Anna Berg", "Maria Mathiasson Laxvik", "Bekräftat i loggen", "2026/1234"] {
            assert!(text.contains(want), "{want}: {text}");
        }
        let summary = b.find("dl.summary").await.text().await.unwrap();
        assert!(summary.contains("Loggens kontrollpunkt med"), "{summary}");
        b.link("Visa det registrerade dokumentet").await;
        // Printed, the page is the report: its technical details open.
        let open = b
            .eval("window.dispatchEvent(new Event('beforeprint')); return document.querySelector('details').open;")
            .await;
        assert_eq!(open, Value::Bool(true), "the details print");
        let open = b
            .eval("window.dispatchEvent(new Event('afterprint')); return document.querySelector('details').open;")
            .await;
        assert_eq!(open, Value::Bool(false), "and close again after printing");
        let technical = b.eval("return document.querySelector('details').textContent;").await;
        let technical = technical.as_str().unwrap_or_default();
        for want in ["Loggindex", "Certifikatets fingeravtryck", "Inklusionsbevis", "Kontrollpunkten"] {
            assert!(technical.contains(want), "{want}: {technical}");
        }

        // An approval carried over from the archive verifies too, and says so.
        let ok = check_copy(
            &b,
            &s,
            &seed,
            "Verifierat: dokumentet är det som registrerades och godkännandena stämmer med loggen.",
            "utlatande-overfort",
        )
        .await;
        assert!(ok > 0);
        assert!(b.text().await.contains("överfört från arkivet"));

        let ok = check_copy(
            &b,
            &s,
            &tampered,
            "Ej verifierat: dokumentet har ändrats sedan det registrerades.",
            "utlatande-andrat",
        )
        .await;
        assert_eq!(ok, 0, "no row of a changed document looks good");

        let ok = check_copy(
            &b,
            &s,
            &other_block,
            "Ej verifierat: texten är registrerad, men godkännandena stämmer inte med loggen.",
            "utlatande-annat-block",
        )
        .await;
        assert_eq!(ok, 0, "a genuine approval beside a false row is not green");
        assert_eq!(b.find_all("table.approvals tbody tr").await.len(), 2);
        assert_eq!(b.find_all("table.approvals tbody .tag-bad").await.len(), 1);

        let ok = check_copy(
            &b,
            &s,
            &unregistered,
            "Ej verifierat: dokumentet finns inte registrerat i loggen.",
            "utlatande-okant",
        )
        .await;
        assert_eq!(ok, 0);

        let ok = check_copy(
            &b,
            &s,
            &unreadable,
            "Kunde inte kontrolleras: filen kunde inte läsas som text, vilket inte tyder på förfalskning.",
            "utlatande-kunde-inte",
        )
        .await;
        assert_eq!(ok, 0);
        let h1 = b.h1().await;
        assert!(!h1.contains("ändrats"), "{h1}");
        b.close().await;
    });
}

#[test]
fn the_check_form_says_what_is_missing_and_the_look_up_keeps_what_was_typed() {
    let a = attested();
    let id = a.env.json(&["verify", &a.env.s("doc.txt")]).json()["document"]["text_sha256"]
        .as_str()
        .expect("an id")
        .to_string();
    let s = Server::start(a.env, &[]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        b.go("/").await;
        b.press("Kontrollera").await;
        shows(&b, "#dokument-error").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        assert_eq!(b.h1().await, "Kontrollera ett dokument");
        assert_eq!(b.focused_id().await, "error-summary");
        let link = b.find(".error-summary a").await;
        assert_eq!(
            link.attr("href").await.unwrap().as_deref(),
            Some("#dokument")
        );
        assert_eq!(link.text().await.unwrap(), "Välj en fil att kontrollera.");
        let inline = b.find("#dokument-error").await.text().await.unwrap();
        assert!(inline.contains("Välj en fil att kontrollera."), "{inline}");
        b.check_page("kontrollera-fel").await;

        // A malformed id: the error, and what was typed, kept.
        b.fill("Dokumentets id", "abc123 <fel>").await;
        b.press("Visa dokumentet").await;
        shows(&b, "#id-error").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        let field = b.field("Dokumentets id").await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("abc123 <fel>")
        );
        let inline = b.find("#id-error").await.text().await.unwrap();
        assert!(inline.contains("64 tecken"), "{inline}");
        let link = b.find(".error-summary a").await;
        assert_eq!(link.attr("href").await.unwrap().as_deref(), Some("#id"));
        b.check_page("hitta-fel").await;

        // A well-formed id that no document has.
        let unknown = "ab".repeat(32);
        b.go("/").await;
        b.fill("Dokumentets id", &unknown).await;
        b.press("Visa dokumentet").await;
        shows(&b, "#id-error").await;
        assert!(b.title().await.starts_with("Fel: "));
        let inline = b.find("#id-error").await.text().await.unwrap();
        assert!(inline.contains("inget registrerat dokument"), "{inline}");
        let field = b.field("Dokumentets id").await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some(unknown.as_str())
        );
        b.check_page("hitta-okant").await;
        b.close().await;

        // A registered one goes to its page.
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = c
            .get(s.url(&format!("/hitta?id={id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, format!("/dokument/{id}"));
        let r = c.get(s.url("/hitta?id=zz")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400);
    });
}

#[test]
fn a_file_over_the_body_limit_is_an_error_on_the_form_that_names_the_limit() {
    let env = Env::new();
    let big = env.write("stor.txt", "Lång text.\n".repeat(2 * 1024 * 1024 / 11 + 1));
    let s = Server::start(env, &["--body-limit-mib", "1"]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        b.go("/").await;
        let hint = b.find("#dokument-hint").await.text().await.unwrap();
        assert!(hint.contains("1 MiB"), "{hint}");
        b.upload("Dokument", &big).await;
        b.press("Kontrollera").await;
        shows(&b, "#dokument-error").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        let inline = b.find("#dokument-error").await.text().await.unwrap();
        assert!(
            inline.contains("för stor") && inline.contains("1 MiB"),
            "{inline}"
        );
        assert_eq!(b.focused_id().await, "error-summary");
        b.check_page("kontrollera-for-stor").await;
        b.close().await;
    });
}

#[test]
fn about_the_log_shows_the_checkpoint_the_key_and_how_to_check_them() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let c = reqwest::Client::new();
        let get = |p: &str| c.get(s.url(p)).send();
        let note = get("/api/v1/log/checkpoint")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let key = get("/api/v1/log/public-key")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let b = Browser::open(&s.base).await;
        b.go("/").await;
        b.follow("Om loggen").await;
        assert_eq!(b.h1().await, "Om loggen");
        let shown = b.find("#kontrollpunkt").await.text().await.unwrap();
        assert_eq!(shown.trim(), note.trim());
        let shown = b.find("#publik-nyckel").await.text().await.unwrap();
        assert_eq!(shown.trim(), key.trim());
        let text = b.text().await;
        for want in [
            "attestera --server",
            "verify fil.txt",
            "audit",
            "/api/v1/log/checkpoint",
            "signed note",
            "openssl x509",
        ] {
            assert!(text.contains(want), "{want}");
        }
        b.check_page("om-loggen").await;
        b.check_reflow().await;
        b.close().await;
    });
}

#[test]
fn the_accessibility_statement_follows_diggs_form() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        b.go("/").await;
        b.follow("Tillgänglighetsredogörelse").await;
        assert_eq!(b.h1().await, "Tillgänglighetsredogörelse för attestera");
        let h2s = b.find_all("h2").await;
        let mut headings = Vec::new();
        for h in h2s {
            headings.push(h.text().await.unwrap());
        }
        for want in ["Rapportera brister", "Tillsyn", "Hur vi testat tjänsten"] {
            assert!(headings.iter().any(|h| h == want), "{want}: {headings:?}");
        }
        let text = b.text().await;
        for want in [
            "delvis förenlig",
            "WCAG 2.1 nivå AA",
            "Myndigheten för digital förvaltning",
            "2 december 2026",
            "axe-core",
        ] {
            assert!(text.contains(want), "{want}");
        }
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.env.data_dir().join("config.json")).unwrap())
                .unwrap();
        let org = config["org"].as_str().unwrap();
        assert!(
            text.contains(&format!("hos {org}")),
            "the statement says whom to tell: {org}"
        );
        let digg = b.find("a[href='https://www.digg.se/tdosanmalan']").await;
        assert!(digg.text().await.unwrap().contains("DIGG"));
        b.check_page("tillganglighet").await;
        b.check_reflow().await;
        b.close().await;
    });
}

//! The auditor's pages: "Signaturlogg" (filter, paging text, the CSV
//! export for the same filter) and "Loggens integritet" (the audit with its report).

use fantoccini::Locator;

use crate::common::{SEED, attested, runtime};
use crate::harness::Browser;
use crate::server::Server;

/// A server with two signed approvals (Anna Berg, Maria Mathiasson Laxvik)
/// and the seed's approvals imported from the archive.
fn server_with_approvals() -> Server {
    let a = attested();
    let seed = a.env.write("seed.txt", SEED);
    a.env.ok(&["import", &seed.to_string_lossy()]);
    Server::start(a.env, &[])
}

async fn sign_in(b: &Browser, code: &str) {
    b.go("/logga-in").await;
    b.fill("Inloggningskod", code).await;
    b.press("Logga in").await;
    b.client
        .wait()
        .for_element(Locator::XPath("//button[normalize-space()='Logga ut']"))
        .await
        .expect("signed in");
}

/// The browser's session cookie, as a `Cookie` header for reqwest.
async fn session_cookie(b: &Browser) -> String {
    let cookies = b.cookies().await;
    let (name, value, _, _) = cookies
        .iter()
        .find(|c| c.0 == "attestera_session")
        .expect("a session cookie");
    format!("{name}={value}")
}

/// Presses "Filtrera" and waits until the browser shows the answer to
/// `query` (a click may return before the navigation it starts).
async fn filter(b: &Browser, query: &str) {
    let mut want = b.client.current_url().await.expect("url");
    want.set_query(Some(query));
    b.press("Filtrera").await;
    b.client
        .wait()
        .for_url(&want)
        .await
        .unwrap_or_else(|e| panic!("the filtered page ?{query}: {e}"));
}

/// The text of each cell in column `n` (from 0) of the table's body.
async fn column(b: &Browser, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for row in b.find_all("tbody tr").await {
        let cells = row.find_all(Locator::Css("td")).await.expect("cells");
        out.push(cells[n].text().await.expect("cell text"));
    }
    out
}

#[test]
fn an_auditor_filters_the_signature_log_and_downloads_the_same_rows_as_the_api() {
    let s = server_with_approvals();
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in(&b, &s.auditor).await;
        b.follow("Signaturlogg").await;
        b.client
            .wait()
            .for_element(Locator::Css("#antal"))
            .await
            .expect("the signature log");
        assert_eq!(b.h1().await, "Signaturlogg");

        // The table: a caption and a header with scope for every column.
        let caption = b.find("table caption").await.text().await.unwrap();
        assert!(!caption.is_empty());
        let mut headers = Vec::new();
        for th in b.find_all("thead th").await {
            assert_eq!(th.attr("scope").await.unwrap().as_deref(), Some("col"));
            headers.push(th.text().await.unwrap());
        }
        assert_eq!(
            headers,
            [
                "Namn", "Roll", "Datum", "Dokument", "Dnr", "Typ", "Loggpost"
            ]
        );
        let names = column(&b, 0).await;
        let total = names.len();
        assert!(total >= 3, "two signed and the seed's imported: {names:?}");
        assert_eq!(
            b.find("#antal").await.text().await.unwrap(),
            format!("Visar 1–{total} av {total}")
        );
        let kinds = column(&b, 5).await;
        assert!(kinds.iter().any(|k| k == "Signerat"), "{kinds:?}");
        assert!(
            kinds.iter().any(|k| k == "Överfört från arkivet"),
            "{kinds:?}"
        );
        let link = b.link("Upprustning av Björkhagens parker").await;
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        assert!(href.starts_with("/dokument/"), "{href}");
        b.check_page("signaturlogg").await;
        b.check_reflow().await;

        // Filtered by person: only Anna Berg's row, and the name kept in the field.
        b.fill("Person", "Anna Berg").await;
        filter(&b, "person=Anna+Berg&roll=&fran=&till=&dnr=").await;
        assert_eq!(column(&b, 0).await, ["Anna Berg"]);
        assert_eq!(
            b.find("#antal").await.text().await.unwrap(),
            "Visar 1–1 av 1"
        );
        assert_eq!(
            b.field("Person")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("Anna Berg")
        );
        b.check_page("signaturlogg-filter").await;

        // "Ladda ner CSV" is the filter's rows, byte for byte the API's export.
        let csv_href = b
            .link("Ladda ner CSV")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap_or_default();
        assert_eq!(csv_href, "/signaturlogg.csv?person=Anna+Berg");
        let http = reqwest::Client::new();
        let cookie = session_cookie(&b).await;
        let page_csv = http
            .get(s.url(&csv_href))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page_csv.status(), 200);
        assert!(
            page_csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let page_csv = page_csv.bytes().await.unwrap();
        let api_csv = http
            .get(s.url("/api/v1/signatures?person_contains=Anna%20Berg&format=csv"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(api_csv.status(), 200);
        assert_eq!(page_csv, api_csv.bytes().await.unwrap());
        let json_href = b
            .link("Ladda ner JSON")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap_or_default();
        assert_eq!(json_href, "/signaturlogg.json?person=Anna+Berg");
        let page_json = http
            .get(s.url(&json_href))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let api_json = http
            .get(s.url("/api/v1/signatures?person_contains=Anna%20Berg"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(page_json, api_json);
        let text = String::from_utf8_lossy(&page_csv);
        assert!(
            text.contains("Anna Berg") && !text.contains("Maria"),
            "{text}"
        );

        // A bad date: the error summary, focused, linking to the field, the value kept.
        b.fill("Från", "2026-02-30").await;
        filter(&b, "person=Anna+Berg&roll=&fran=2026-02-30&till=&dnr=").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        assert_eq!(b.focused_id().await, "error-summary");
        let summary_link = b.find(".error-summary a").await;
        assert_eq!(
            summary_link.attr("href").await.unwrap().as_deref(),
            Some("#fran")
        );
        assert!(summary_link.text().await.unwrap().contains("ÅÅÅÅ-MM-DD"));
        let inline = b.find("#fran-error").await.text().await.unwrap();
        assert!(inline.contains("ÅÅÅÅ-MM-DD"), "{inline}");
        assert_eq!(
            b.field("Från")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("2026-02-30")
        );
        assert!(b.find_all("tbody tr").await.is_empty(), "nothing listed");
        b.check_page("signaturlogg-fel").await;
        let status = http
            .get(s.url("/signaturlogg?fran=2026-02-30"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 400);
        b.close().await;
    });
}

#[test]
fn a_registrar_may_not_read_the_signature_log() {
    let s = server_with_approvals();
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        // An auditor starts an audit, so that there is a real job to ask about.
        sign_in(&b, &s.auditor).await;
        b.go("/integritet").await;
        b.press("Granska hela loggen").await;
        b.client
            .wait()
            .for_element(Locator::Css("#granskningsrapport"))
            .await
            .expect("the audit's report");
        let job = b.path().await;
        assert!(job.starts_with("/integritet/granskning/"), "{job}");
        b.press("Logga ut").await;

        sign_in(&b, &s.registrar).await;
        b.go("/signaturlogg").await;
        assert_eq!(b.h1().await, "Du saknar behörighet");
        b.go("/signaturlogg.csv").await;
        assert_eq!(b.h1().await, "Du saknar behörighet");
        b.go(&job).await;
        assert_eq!(b.h1().await, "Du saknar behörighet");
        // The scripts' JSON is refused too, with the registrar's own session.
        let cookie = session_cookie(&b).await;
        let http = reqwest::Client::new();
        for path in ["/signaturlogg.json".to_string(), format!("{job}.json")] {
            let r = http
                .get(s.url(&path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{path}");
            let body = r.text().await.unwrap();
            assert!(!body.contains("\"state\""), "{path}: {body}");
            assert!(!body.contains("Anna Berg"), "{path}: {body}");
        }
        b.close().await;
    });
}

#[test]
fn an_auditor_audits_the_whole_log_and_reads_that_it_is_intact() {
    let s = server_with_approvals();
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in(&b, &s.auditor).await;
        b.follow("Loggens integritet").await;
        b.client
            .wait()
            .for_element(Locator::Css("pre.block"))
            .await
            .expect("the integrity page");
        assert_eq!(b.h1().await, "Loggens integritet");
        let note = b.find("pre.block").await.text().await.unwrap();
        let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        assert!(size > 0, "{note}");
        assert!(b.text().await.contains(&format!("{size} poster")));
        b.check_page("integritet").await;
        b.check_reflow().await;

        b.press("Granska hela loggen").await;
        let report = b
            .client
            .wait()
            .for_element(Locator::Css("#granskningsrapport"))
            .await
            .expect("the audit's report");
        assert_eq!(
            report.attr("role").await.unwrap().as_deref(),
            Some("status")
        );
        let said = report.text().await.unwrap();
        assert!(said.contains("Loggen är intakt"), "{said}");
        let mut counts = Vec::new();
        for dt in b.find_all("dl.summary dt").await {
            counts.push(dt.text().await.unwrap());
        }
        assert_eq!(
            counts,
            [
                "Loggposter",
                "Kontrollpunkter",
                "Dokument",
                "Godkännanden",
                "Certifikat"
            ]
        );
        let entries = b.find("dl.summary dd").await.text().await.unwrap();
        assert_eq!(entries, size.to_string());
        assert_eq!(b.h1().await, "Granskningen är klar");
        b.check_page("granskning").await;

        // The script's view of the same job agrees.
        let path = b.path().await;
        let state: serde_json::Value = reqwest::Client::new()
            .get(s.url(&format!("{path}.json")))
            .header("cookie", session_cookie(&b).await)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(state["state"], "done");
        assert_eq!(state["ok"], true);

        // The form is refused without the session's CSRF token.
        let forged = reqwest::Client::new()
            .post(s.url("/integritet"))
            .header("cookie", session_cookie(&b).await)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("_csrf=fel")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        let script = reqwest::get(s.url("/static/audit.js")).await.unwrap();
        assert_eq!(script.status(), 200);
        assert!(
            script.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        b.close().await;
    });
}

#[test]
fn an_audit_of_a_database_changed_behind_the_services_back_lists_the_problem() {
    let s = server_with_approvals();
    s.env
        .sql("UPDATE approvals SET name = 'Anna Borg' WHERE name = 'Anna Berg'");
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in(&b, &s.auditor).await;
        b.go("/integritet").await;
        b.press("Granska hela loggen").await;
        let report = b
            .client
            .wait()
            .for_element(Locator::Css("#granskningsrapport"))
            .await
            .expect("the audit's report");
        let said = report.text().await.unwrap();
        assert!(said.contains("Granskningen hittade 1 problem"), "{said}");
        assert!(!said.contains("intakt"), "{said}");
        let problems = b.find_all("ol.problems li").await;
        assert_eq!(problems.len(), 1);
        let problem = problems[0].text().await.unwrap();
        assert!(
            problem.contains("approvals") && problem.contains("skiljer sig"),
            "{problem}"
        );
        b.check_page("granskning-problem").await;
        b.close().await;
    });
}

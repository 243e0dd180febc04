//! The registrar's path: register a document (confirmation, and the error
//! when it is registered again), its public page and the attested document
//! downloaded from it (which verifies again, on the public page too), the
//! list with its search, an import of several files with a result each, and
//! the same for a PDF: registered through the form, downloaded as the
//! attested PDF, verified on the public page with the level it matched on.

use fantoccini::Locator;

use crate::common::{DOC, Env, runtime};
use crate::harness::Browser;
use crate::server::Server;
use attestera_core::document::{block, read};

const SEED_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/seed.txt");

async fn sign_in_as_registrar(b: &Browser, s: &Server) {
    b.go("/logga-in").await;
    b.fill("Inloggningskod", &s.registrar).await;
    b.press("Logga in").await;
}

/// Waits for the page a form's button led to: until `css` is on it (a
/// click returns before a multipart POST has been answered).
async fn arrived(b: &Browser, css: &str) {
    b.client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
}

/// Waits until the element `id` reads `text`.
async fn reads(b: &Browser, id: &str, text: &str) {
    let xpath = format!("//*[@id='{id}' and normalize-space()='{text}']");
    b.client
        .wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("#{id} never read {text:?}: {e}"));
}

/// The texts of the header cells of the page's tables, with their scopes.
async fn header_scopes(b: &Browser) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for th in b.find_all("table th").await {
        out.push((
            th.text().await.unwrap(),
            th.attr("scope").await.unwrap().unwrap_or_default(),
        ));
    }
    out
}

#[test]
fn a_registrar_registers_downloads_the_attested_document_and_it_verifies() {
    let s = Server::start(Env::new(), &[]);
    let text = format!("{DOC}\nBilaga: webbtestets eget dokument\n");
    let file = s.env.write("webb.txt", &text);
    let id = read(text.as_bytes()).unwrap().text_sha256.to_hex();
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in_as_registrar(&b, &s).await;
        b.go("/registrera").await;
        assert_eq!(b.h1().await, "Registrera dokument");
        let hint = b.find("#dokument-hint").await.text().await.unwrap();
        assert!(hint.contains("20 MiB") && hint.contains(".txt"), "{hint}");
        b.check_page("registrera").await;

        // No file chosen: the error summary, focused, links to the field.
        b.press("Registrera").await;
        arrived(&b, ".error-summary").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        assert_eq!(b.focused_id().await, "error-summary");
        let link = b.find(".error-summary a").await;
        assert_eq!(
            link.attr("href").await.unwrap().as_deref(),
            Some("#dokument")
        );
        assert!(link.text().await.unwrap().contains("Välj dokumentet"));
        b.check_page("registrera-fel").await;

        b.upload("Dokument", &file).await;
        b.press("Registrera").await;
        arrived(&b, ".confirmation").await;
        assert_eq!(b.h1().await, "Dokumentet är registrerat");
        let status = b.find(".confirmation[role=status]").await;
        let said = status.text().await.unwrap();
        assert!(said.contains("Dokumentet är registrerat"), "{said}");
        assert!(said.contains(&id), "the confirmation names the id: {said}");
        assert!(said.contains("Loggpost"), "{said}");
        b.check_page("registrera-kvitto").await;
        b.check_reflow().await;

        // The same document again: refused, on the form.
        b.go("/registrera").await;
        b.upload("Dokument", &file).await;
        b.press("Registrera").await;
        arrived(&b, ".error-summary").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        let summary = b.find(".error-summary").await.text().await.unwrap();
        assert!(summary.contains("redan registrerat"), "{summary}");
        assert!(b.find_all(".confirmation").await.is_empty());
        let existing = b.link("Visa det registrerade dokumentet").await;
        assert_eq!(
            existing.attr("href").await.unwrap(),
            Some(format!("/dokument/{id}")),
            "the refusal links to the document it already is"
        );
        b.check_page("registrera-redan-registrerat").await;

        // A document that already has a block is sent to the import; a binary file is named as such.
        b.go("/registrera").await;
        b.upload("Dokument", std::path::Path::new(SEED_FILE)).await;
        b.press("Registrera").await;
        arrived(&b, ".error-summary").await;
        let summary = b.find(".error-summary").await.text().await.unwrap();
        assert!(summary.contains("Importera från arkivet"), "{summary}");
        b.check_page("registrera-har-block").await;
        let binary = s.env.write("bild.txt", b"GIF89a\0\0\x01");
        b.go("/registrera").await;
        b.upload("Dokument", &binary).await;
        b.press("Registrera").await;
        arrived(&b, ".error-summary").await;
        let summary = b.find(".error-summary").await.text().await.unwrap();
        assert!(summary.contains("binära data"), "{summary}");

        // Waiting for approval: the page says so and offers no download yet.
        b.go(&format!("/dokument/{id}")).await;
        assert!(b.text().await.contains("Väntar på godkännande"));
        assert!(b.find_all("pre.block").await.is_empty());
        b.check_page("dokument-sida-vantar").await;

        let anna = s.env.user("anna", "Anna Berg", "Avdelningschef");
        let approved = s.env.approve(&file, &anna);
        assert_eq!(approved.code, 0, "{}", approved.stderr);

        // The document's page, public: signed out in a fresh browser.
        let public = Browser::open(&s.base).await;
        public.go(&format!("/dokument/{id}")).await;
        assert_eq!(public.h1().await, "Upprustning av Björkhagens parker");
        let page = public.text().await;
        for expected in ["2026/1234", "Skarpnäcks stadsdelsnämnd", &id, "signerat"] {
            assert!(page.contains(expected), "{expected} on the page: {page}");
        }
        let scopes = header_scopes(&public).await;
        assert!(
            scopes.contains(&("Namn".into(), "col".into())),
            "{scopes:?}"
        );
        assert!(
            scopes.contains(&("Anna Berg".into(), "row".into())),
            "{scopes:?}"
        );
        let caption = public.find("table caption").await.text().await.unwrap();
        assert!(caption.starts_with("Godkännanden"), "{caption}");
        let shown_block = public.find("pre.block").await.text().await.unwrap();
        assert!(
            shown_block.contains("Anna Berg, Avdelningschef"),
            "{shown_block}"
        );
        public.check_page("dokument-sida").await;
        public.check_reflow().await;

        // Download the attested document.
        let href = public
            .link("Ladda ner attesterat dokument")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(href, format!("/dokument/{id}/attesterat"));
        let r = reqwest::get(s.url(&href)).await.unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "text/plain; charset=utf-8");
        assert_eq!(
            h["content-disposition"],
            "attachment; filename=\"dnr-2026-1234-attesterat.txt\""
        );
        let downloaded = r.text().await.unwrap();
        let again = read(downloaded.as_bytes()).unwrap();
        assert_eq!(again.text_sha256.to_hex(), id, "the registered text");
        let rows = block::read(&again.text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].name.as_str(), rows[0].role.as_str()),
            ("Anna Berg", "Avdelningschef")
        );
        let saved = s.env.write("nedladdat.txt", &downloaded);
        s.env.ok(&["verify", &saved.to_string_lossy()]);

        // Bad and unknown ids answer a page in Swedish.
        public.go("/dokument/inte-ett-id").await;
        assert_eq!(public.h1().await, "Det är inte ett dokument-id");
        public.check_page("dokument-fel-id").await;
        public.go(&format!("/dokument/{}", "0".repeat(64))).await;
        assert_eq!(public.h1().await, "Dokumentet finns inte");
        public.check_page("dokument-finns-inte").await;

        // And it verifies on the public page.
        public.go("/").await;
        public.upload("Dokument", &saved).await;
        public.press("Kontrollera").await;
        arrived(&public, ".verdict").await;
        let verdict = public.h1().await;
        assert!(verdict.starts_with("Verifierat"), "{verdict}");
        public.close().await;
        b.close().await;
    });
}

#[test]
fn a_registrar_searches_the_list_and_imports_several_files() {
    let s = Server::start(Env::new(), &[]);
    let first = s.env.write("a.txt", format!("{DOC}\nBilaga A\n"));
    s.env.ok(&["register", &first.to_string_lossy()]);
    let other = s.env.write(
        "b.txt",
        "Annat ärende\n\nSvar på remiss, dnr 2026/9999\n\nText.\n",
    );
    s.env.ok(&["register", &other.to_string_lossy()]);
    let bad = s
        .env
        .write("trasig <b>.txt", "Ingen rubrik och inget block.\n");
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in_as_registrar(&b, &s).await;
        b.go("/dokument").await;
        assert_eq!(b.h1().await, "Dokument");
        assert!(b.text().await.contains("Visar 1–2 av 2"));
        let scopes = header_scopes(&b).await;
        for col in [
            "Titel",
            "Diarienummer",
            "Nämnd",
            "Datum",
            "Status",
            "Loggpost",
        ] {
            assert!(
                scopes.contains(&(col.into(), "col".into())),
                "{col}: {scopes:?}"
            );
        }
        b.check_page("dokument-lista").await;
        b.check_reflow().await;

        b.fill("Diarienummer", "2026/1234").await;
        b.press("Sök").await;
        reads(&b, "visar", "Visar 1–1 av 1").await;
        let rows = b.find_all("tbody tr").await;
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0]
                .text()
                .await
                .unwrap()
                .contains("Väntar på godkännande")
        );
        assert_eq!(
            b.field("Diarienummer")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("2026/1234")
        );
        b.follow("Upprustning av Björkhagens parker").await;
        arrived(&b, "dl.summary").await;
        assert!(
            b.path().await.starts_with("/dokument/"),
            "{}",
            b.path().await
        );

        // A date that is not one: named on its field, what was typed kept.
        b.go("/dokument").await;
        b.fill("Från", "igår").await;
        b.press("Sök").await;
        arrived(&b, ".error-summary").await;
        assert!(b.title().await.starts_with("Fel: "));
        assert_eq!(
            b.field("Från")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("igår")
        );
        assert!(
            b.find(".error-summary")
                .await
                .text()
                .await
                .unwrap()
                .contains("år-månad-dag")
        );
        b.check_page("dokument-lista-fel").await;

        // Import two files at once: the seed (with its block) and a bad one.
        b.go("/importera").await;
        assert_eq!(b.h1().await, "Importera från arkivet");
        let field = b.field("Dokument").await;
        assert!(field.attr("multiple").await.unwrap().is_some());
        b.check_page("importera").await;
        // No file chosen: the answer the script shows is the form with the error.
        b.press("Importera").await;
        arrived(&b, ".error-summary").await;
        assert!(b.title().await.starts_with("Fel: "));
        let summary = b.find(".error-summary").await.text().await.unwrap();
        assert!(summary.contains("Välj en eller flera filer"), "{summary}");
        b.check_page("importera-fel").await;
        let field = b.field("Dokument").await;
        field
            .send_keys(&format!("{SEED_FILE}\n{}", bad.to_string_lossy()))
            .await
            .unwrap();
        b.press("Importera").await;
        // The script sends the files and then shows the answer.
        b.client
            .wait()
            .for_element(Locator::Css("table.import-results"))
            .await
            .unwrap();
        assert_eq!(b.h1().await, "Resultat av importen");
        let rows = b.find_all("table.import-results tbody tr").await;
        assert_eq!(rows.len(), 2, "one result per file");
        let seed_row = rows[0].text().await.unwrap();
        assert!(
            seed_row.contains("seed.txt") && seed_row.contains("Importerad"),
            "{seed_row}"
        );
        let bad_row = rows[1].text().await.unwrap();
        assert!(
            bad_row.contains("trasig <b>.txt"),
            "the name, escaped: {bad_row}"
        );
        assert!(bad_row.contains("Inte importerad"), "{bad_row}");
        assert!(b.find_all("table.import-results b").await.is_empty());
        b.check_page("importera-resultat").await;
        b.close().await;
    });
}

/// A tjänsteutlåtande as a PDF of one A4 page, one run a line (a blank
/// line is a larger step down), `x` points from the left edge.
fn tjansteutlatande_pdf(x: f32, media_box: [f32; 4]) -> Vec<u8> {
    use attestera::pdf::compose::{Page, Run, new_pdf};
    let text = "Handläggare\nÅsa Öberg\nTelefon: 08-508 15 000\n\nTill\nSkarpnäcks stadsdelsnämnd\n2026-12-11\n\nSkötsel av Årsta gårds ängar\n\nSvar på remiss från kommunstyrelsen, dnr 2026/5678\n\nFörslag till beslut\n\nNämnden godkänner förvaltningens förslag om ängsskötsel.\n";
    let mut y = media_box[3] - 72.0;
    let mut runs = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            y -= 10.0;
            continue;
        }
        runs.push(Run {
            x,
            y,
            size: 11.0,
            text: line.into(),
            artifact: false,
        });
        y -= 16.0;
    }
    new_pdf(&[Page { media_box, runs }], false).expect("a PDF")
}

/// The summary's value for `term` on a verdict page.
async fn summary_value(b: &Browser, term: &str) -> String {
    let xpath =
        format!("//dl[@class='summary']/dt[normalize-space()='{term}']/following-sibling::dd[1]");
    b.client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no {term} in the summary: {e}"))
        .text()
        .await
        .unwrap()
}

#[test]
fn a_registered_pdf_is_downloaded_as_an_attested_pdf_that_verifies_on_the_public_page() {
    use attestera::pdf::compose::A4;
    let s = Server::start(Env::new(), &[]);
    let pdf = tjansteutlatande_pdf(56.0, A4);
    let file = s.env.write("utlatande.pdf", &pdf);
    let not_pdf = s.env.write("x.pdf", "Det här är ingen PDF, bara text.\n");
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        sign_in_as_registrar(&b, &s).await;
        b.go("/registrera").await;
        let accept = b.field("Dokument").await.attr("accept").await.unwrap();
        assert_eq!(
            accept.as_deref(),
            Some(".txt,.pdf,text/plain,application/pdf")
        );
        let hint = b.find("#dokument-hint").await.text().await.unwrap();
        assert!(hint.contains("PDF") && hint.contains("inskannad"), "{hint}");

        // A text file named .pdf: refused on the form, in Swedish.
        b.upload("Dokument", &not_pdf).await;
        b.press("Registrera").await;
        arrived(&b, ".error-summary").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        let summary = b.find(".error-summary").await.text().await.unwrap();
        assert!(summary.contains("ingen PDF-fil"), "{summary}");
        assert!(b.find_all(".confirmation").await.is_empty());
        b.check_page("registrera-inte-pdf").await;

        // The PDF itself, through the form.
        b.go("/registrera").await;
        b.upload("Dokument", &file).await;
        b.press("Registrera").await;
        arrived(&b, ".confirmation").await;
        assert_eq!(b.h1().await, "Dokumentet är registrerat");
        let id = b
            .find(".confirmation strong.mono")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(id.len(), 64, "the confirmation names the id: {id}");
        b.check_page("registrera-pdf-kvitto").await;

        // The import takes PDFs too, and refuses a text file named .pdf the same way.
        b.go("/importera").await;
        let accept = b.field("Dokument").await.attr("accept").await.unwrap();
        assert_eq!(
            accept.as_deref(),
            Some(".txt,.pdf,text/plain,application/pdf")
        );
        b.upload("Dokument", &not_pdf).await;
        b.press("Importera").await;
        arrived(&b, "table.import-results").await;
        let row = b
            .find("table.import-results tbody tr")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            row.contains("x.pdf")
                && row.contains("Inte importerad")
                && row.contains("ingen PDF-fil"),
            "{row}"
        );
        b.check_page("importera-inte-pdf").await;
        b.close().await;

        let asa = s.env.user("asa", "Åsa Öberg", "Avdelningschef");
        let approved = s.env.approve(&file, &asa);
        assert_eq!(approved.code, 0, "{}", approved.stderr);

        // The document's page offers the attested PDF.
        let public = Browser::open(&s.base).await;
        public.go(&format!("/dokument/{id}")).await;
        assert!(public.text().await.contains("2026/5678"));
        assert!(
            public.find_all("a[href$='/attesterat']").await.len() == 1,
            "one download link"
        );
        let link = public.link("Ladda ner attesterad PDF").await;
        let href = link.attr("href").await.unwrap().unwrap();
        assert_eq!(href, format!("/dokument/{id}/attesterat"));
        public.check_page("dokument-sida-pdf").await;
        let r = reqwest::get(s.url(&href)).await.unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(
            h["content-disposition"],
            "attachment; filename=\"dnr-2026-5678-attesterat.pdf\""
        );
        let downloaded = r.bytes().await.unwrap().to_vec();
        assert!(
            downloaded.starts_with(&pdf) && downloaded.len() > pdf.len(),
            "the registered PDF, unchanged, with an update after it"
        );
        let api = reqwest::get(s.url(&format!("/api/v1/documents/{id}/attested")))
            .await
            .unwrap();
        assert_eq!(api.headers()["content-type"], "application/pdf");
        assert_eq!(
            api.bytes().await.unwrap().to_vec(),
            downloaded,
            "the API's file"
        );
        let saved = s.env.write("attesterad.pdf", &downloaded);

        // The attested PDF, checked on the public page: verified, on the exact file.
        public.go("/").await;
        let hint = public.find("#dokument-hint").await.text().await.unwrap();
        assert!(hint.contains("PDF") && hint.contains("inskannad"), "{hint}");
        public.upload("Dokument", &saved).await;
        public.press("Kontrollera").await;
        arrived(&public, ".verdict").await;
        let verdict = public.h1().await;
        assert!(verdict.starts_with("Verifierat"), "{verdict}");
        assert_eq!(
            summary_value(&public, "Matchade på").await,
            "Exakt fil: de registrerade byten, oförändrade"
        );
        let rows = public.find("table.approvals").await.text().await.unwrap();
        assert!(rows.contains("Åsa Öberg"), "{rows}");
        public.check_page("resultat-attesterad-pdf").await;

        // The same text in another PDF (other margins): matched on the PDF's text.
        let moved = s.env.write("flyttad.pdf", tjansteutlatande_pdf(90.0, A4));
        public.go("/").await;
        public.upload("Dokument", &moved).await;
        public.press("Kontrollera").await;
        arrived(&public, ".verdict").await;
        assert_eq!(
            summary_value(&public, "Matchade på").await,
            "PDF-filens text"
        );
        public.check_page("resultat-pdf-text").await;

        // A text file named .pdf: the Swedish error on the check form.
        public.go("/").await;
        public.upload("Dokument", &not_pdf).await;
        public.press("Kontrollera").await;
        arrived(&public, ".error-summary").await;
        assert!(public.title().await.starts_with("Fel: "));
        assert!(public.find_all(".verdict").await.is_empty());
        let error = public.find("#dokument-error").await.text().await.unwrap();
        assert!(
            error.contains("sägs vara en PDF") && error.contains("ingen PDF-fil"),
            "{error}"
        );
        public.check_page("kontrollera-inte-pdf").await;
        public.close().await;
    });
}

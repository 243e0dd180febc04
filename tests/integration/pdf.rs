//! PDFs end to end through the real binary and its PDF helper: a
//! tjänsteutlåtande laid out as a municipal PDF (header, footer with page
//! numbers, hyphenation, ligatures, a table), registered, approved and
//! attested; its copies made by real tools (pdftocairo, Ghostscript, qpdf)
//! verify at their level, are indeterminate, or are refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use attestera::pdf::compose::{self, A4, Page, Run};
use attestera::pdf::font::FontSubset;
use serde_json::Value;

use crate::common::{Env, Run as Ran, finish};

/// The real document of this kind (../shared/fixtures) without its block.
fn body() -> &'static str {
    attestera_core::document::block::split(include_str!("../data/seed.txt")).0
}

const SIZE: f32 = 11.0;
const LEADING: f32 = 15.0;
const LEFT: f32 = 70.0;
const TOP: f32 = 760.0;
const BOTTOM: f32 = 90.0;
const HEADER: &str = "Skarpnäcks stadsdelsförvaltning · Tjänsteutlåtande";

/// How a test document is laid out.
#[derive(Clone, Copy)]
struct Layout {
    /// Text width in points.
    width: f32,
    /// Split long words at line ends, with this mark (`"-"`, or `""` for
    /// a copy that breaks words without one).
    hyphenate: Option<&'static str>,
    /// Print "fi" and "fl" as the ligatures U+FB01 and U+FB02.
    ligatures: bool,
    /// Mark the catalog tagged and the furniture `/Artifact`.
    tagged: bool,
}

const MUNICIPAL: Layout = Layout {
    width: 440.0,
    hyphenate: Some("-"),
    ligatures: true,
    tagged: false,
};

/// `text`'s paragraphs (blank-line separated) set in lines of `layout`'s
/// width, a table after the middle paragraph, then the lines of `tail` as
/// they are (a block), a header on every page and a footer "Sida N (M)".
fn utlatande_pdf(text: &str, tail: &str, layout: Layout) -> Vec<u8> {
    let font = FontSubset::for_text(&format!(
        "{text}{tail}{HEADER}Sida 0123456789()-\u{FB01}\u{FB02}"
    ))
    .expect("the font has every character of the fixture");
    let mut lines: Vec<Vec<(f32, String)>> = Vec::new();
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    let table_after = paragraphs.len() / 2;
    for (i, paragraph) in paragraphs.iter().enumerate() {
        for source_line in paragraph.lines() {
            for line in wrap(source_line, &font, layout) {
                lines.push(vec![(0.0, line)]);
            }
        }
        lines.push(Vec::new());
        if i == table_after {
            for row in TABLE {
                lines.push(
                    row.iter()
                        .enumerate()
                        .map(|(c, cell)| (c as f32 * 150.0, cell.to_string()))
                        .collect(),
                );
            }
            lines.push(Vec::new());
        }
    }
    for line in tail.lines() {
        lines.push(
            line.split('\t')
                .enumerate()
                .map(|(c, cell)| (c as f32 * 250.0, cell.to_owned()))
                .collect(),
        );
    }
    let per_page = ((TOP - BOTTOM) / LEADING) as usize;
    let chunks: Vec<&[Vec<(f32, String)>]> = lines.chunks(per_page).collect();
    let pages: Vec<Page> = chunks
        .iter()
        .enumerate()
        .map(|(n, chunk)| {
            let mut runs = vec![furniture(HEADER, 800.0, layout.tagged)];
            for (k, cells) in chunk.iter().enumerate() {
                for (x, cell) in cells {
                    let shown = if layout.ligatures {
                        cell.replace("fi", "\u{FB01}").replace("fl", "\u{FB02}")
                    } else {
                        cell.clone()
                    };
                    runs.push(Run {
                        x: LEFT + x,
                        y: TOP - k as f32 * LEADING,
                        size: SIZE,
                        text: shown,
                        artifact: false,
                    });
                }
            }
            runs.push(furniture(
                &format!("Sida {} ({})", n + 1, chunks.len()),
                50.0,
                layout.tagged,
            ));
            Page {
                media_box: A4,
                runs,
            }
        })
        .collect();
    compose::new_pdf(&pages, layout.tagged).expect("compose")
}

const TABLE: [[&str; 3]; 3] = [
    ["Verksamhet", "Budget 2021", "Utfall 2020"],
    ["Förskola", "412 mnkr", "398 mnkr"],
    ["Fritid", "37 mnkr", "35 mnkr"],
];

fn furniture(text: &str, y: f32, tagged: bool) -> Run {
    Run {
        x: LEFT,
        y,
        size: 9.0,
        text: text.to_owned(),
        artifact: tagged,
    }
}

/// One source line broken into lines at most `layout.width` wide.
fn wrap(line: &str, font: &FontSubset, layout: Layout) -> Vec<String> {
    let fits = |s: &str| font.width(s, SIZE) <= layout.width;
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        let letters: Vec<char> = word.chars().collect();
        if let Some(mark) = layout.hyphenate
            && letters.len() >= 8
            && letters.iter().all(|c| c.is_alphabetic())
        {
            // The longest head of at least 3 letters that fits with a hyphen.
            let split = (3..letters.len() - 2).rev().find(|k| {
                let head: String = letters[..*k].iter().collect();
                let sep = if current.is_empty() { "" } else { " " };
                fits(&format!("{current}{sep}{head}{mark}"))
            });
            if let Some(k) = split {
                let head: String = letters[..k].iter().collect();
                let sep = if current.is_empty() { "" } else { " " };
                out.push(format!("{current}{sep}{head}{mark}"));
                current = letters[k..].iter().collect();
                continue;
            }
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current = word.to_owned();
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn tool(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Ghostscript reads `input` and writes `output` with the device and
/// options in `options`.
fn ghostscript(input: &Path, output: &Path, options: &[&str]) {
    let (out_file, in_file) = (format!("-sOutputFile={}", s(output)), s(input));
    let mut args = vec!["-q", "-dBATCH", "-dNOPAUSE", "-dSAFER"];
    args.extend_from_slice(options);
    args.extend([out_file.as_str(), in_file.as_str()]);
    tool("gs", &args);
}

fn verify(env: &Env, file: &Path) -> (Ran, Value) {
    let r = env.json(&["verify", &file.to_string_lossy()]);
    let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    (r, v)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A reprint of the attested document, laid out anew: the body in
/// lines of another width, the block after it.
fn reprint(block: &str, layout: Layout) -> Vec<u8> {
    utlatande_pdf(body(), block, layout)
}

/// `pdftotext -raw` of `path`'s pages `first..=last`.
fn pdftotext(path: &Path, first: u32, last: u32) -> String {
    let out = Command::new("pdftotext")
        .args([
            "-raw",
            "-enc",
            "UTF-8",
            "-f",
            &first.to_string(),
            "-l",
            &last.to_string(),
            &s(path),
            "-",
        ])
        .output()
        .expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A registered PDF with two approvals and its attested file.
struct Attested {
    env: Env,
    original: PathBuf,
    attested: PathBuf,
    /// `attestera block`'s text for it.
    block: String,
}

fn attested_pdf() -> Attested {
    let env = Env::new();
    let original = env.write("utlatande.pdf", utlatande_pdf(body(), "", MUNICIPAL));
    env.ok(&["register", &s(&original)]);
    let anna = env.user("anna", "Anna Berg", "Avdelningschef");
    let maria = env.user("maria", "Maria Mathiasson Laxvik", "Stadsdelsdirektör");
    for user in [&anna, &maria] {
        let r = env.approve(&original, user);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let attested = env.path("utlatande-attesterad.pdf");
    env.ok(&["attest", &s(&original), "-o", &s(&attested)]);
    let block = env.ok(&["block", &s(&original)]).stdout;
    Attested {
        env,
        original,
        attested,
        block,
    }
}

fn rows(block: &str) -> Vec<attestera_core::document::block::BlockRow> {
    attestera_core::document::block::read(block).expect("a block")
}

#[test]
fn the_registration_records_the_pdfs_pages_extractor_and_digests() {
    let env = Env::new();
    let pdf = env.write("utlatande.pdf", utlatande_pdf(body(), "", MUNICIPAL));
    let registered = env.json(&["register", &s(&pdf)]).json();
    assert_eq!(
        registered["metadata"]["dnr"], "2019/1939",
        "metadata read from the PDF's text"
    );
    let index = registered["log_index"].as_u64().unwrap();
    let entry: Value = serde_json::from_slice(&env.entry_bytes(index)).unwrap();
    let text = entry.to_string();
    assert!(text.contains("text-pdf-v1"), "{text}");
    assert!(
        text.contains("pdftotext 22.12.0 -raw"),
        "the pinned extractor is recorded: {text}"
    );
    let file = std::fs::read(&pdf).unwrap();
    assert!(
        text.contains(&attestera_core::Hash::sha256(&file).to_string()),
        "{text}"
    );
    assert!(text.contains("\"pages\":4"), "page count recorded: {text}");
}

#[test]
fn the_attested_pdf_keeps_the_original_as_prefix_and_its_last_page_is_the_block() {
    let a = attested_pdf();
    let original = std::fs::read(&a.original).unwrap();
    let attested = std::fs::read(&a.attested).unwrap();
    assert_eq!(
        &attested[..original.len()],
        original.as_slice(),
        "an exact prefix"
    );
    tool("qpdf", &["--check", &s(&a.attested)]);
    // The appended page (page 5) reads back as the block reads in a text.
    let page = pdftotext(&a.attested, 5, 5);
    assert_eq!(rows(&page), rows(&a.block), "{page}");
    assert!(
        page.starts_with(
            "Attesterat av\nDetta dokument har godkänts digitalt av följande personer:\n"
        ),
        "{page}"
    );
    // Written as any new file is, for publishing: 0666 less the umask.
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
        .unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&a.attested).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o666 & !umask);
    // Attesting again gives the same bytes, and never overwrites a file.
    let again = a.env.path("igen.pdf");
    a.env.ok(&["attest", &s(&a.original), "-o", &s(&again)]);
    assert_eq!(std::fs::read(&again).unwrap(), attested, "deterministic");
    let r = a.env.json(&["attest", &s(&a.original), "-o", &s(&again)]);
    assert_eq!((r.code, r.error_code()), (1, "output_exists".to_string()));
}

#[test]
fn the_attested_pdf_and_its_copies_verify_at_their_levels() {
    let a = attested_pdf();
    let dir = a.env.tmp.path();
    let cairo = dir.join("utskrift.pdf");
    tool("pdftocairo", &["-pdf", &s(&a.attested), &s(&cairo)]);
    let gs = dir.join("omdestillerad.pdf");
    ghostscript(&a.attested, &gs, &["-sDEVICE=pdfwrite"]);
    let qpdf = dir.join("objektstrommar.pdf");
    tool(
        "qpdf",
        &["--object-streams=generate", &s(&a.attested), &s(&qpdf)],
    );
    let relaid = a.env.write(
        "ny-layout.pdf",
        reprint(
            &a.block,
            Layout {
                width: 300.0,
                hyphenate: None,
                ligatures: false,
                tagged: true,
            },
        ),
    );
    let broken = a.env.write(
        "trasiga-ord.pdf",
        reprint(
            &a.block,
            Layout {
                width: 350.0,
                hyphenate: Some(""),
                ligatures: false,
                tagged: false,
            },
        ),
    );
    for (file, level) in [
        (&a.attested, "file"),
        (&cairo, "text-pdf-v1"),
        (&gs, "text-pdf-v1"),
        (&qpdf, "text-pdf-v1"),
        (&relaid, "text-pdf-v1"),
        (&broken, "skeleton"),
    ] {
        let (r, v) = verify(&a.env, file);
        assert_eq!(
            (
                r.code,
                v["status"].as_str(),
                v["document"]["match_level"].as_str()
            ),
            (0, Some("verified"), Some(level)),
            "{}: {}",
            file.display(),
            r.stdout
        );
        let approvals = v["approvals"].as_array().unwrap();
        assert!(
            approvals.iter().all(|x| x["in_block"] == true),
            "{}",
            r.stdout
        );
    }
    let (_, v) = verify(&a.env, &broken);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"match_skeleton"),
        "a skeleton match warns: {codes:?}"
    );
}

#[test]
fn a_copy_whose_text_cannot_be_read_is_indeterminate_not_changed() {
    let a = attested_pdf();
    let dir = a.env.tmp.path();
    let scan = dir.join("inskannad.pdf");
    ghostscript(&a.attested, &scan, &["-sDEVICE=pdfimage24", "-r72"]);
    let outlines = dir.join("konturer.pdf");
    ghostscript(
        &a.attested,
        &outlines,
        &["-sDEVICE=pdfwrite", "-dNoOutputFonts"],
    );
    for file in [&scan, &outlines] {
        let (r, v) = verify(&a.env, file);
        assert_eq!(
            (r.code, v["status"].as_str()),
            (2, Some("indeterminate")),
            "{}: {}",
            file.display(),
            r.stdout
        );
        assert!(r.stdout.contains("pdf_text_unreadable"), "{}", r.stdout);
    }
}

#[test]
fn a_forged_block_in_a_pdf_fails_with_the_rows_named() {
    let a = attested_pdf();
    // Anna's and Maria's approvals are in the log; a third name is typed in.
    let forged_block = a.block.replace(
        "Anna Berg, Avdelningschef",
        "Anna Berg, Avdelningschef\t2026-01-01\nBo Ek, Förvaltningschef",
    );
    let original = std::fs::read(&a.original).unwrap();
    let forged = attestera::pdf::attest::append_block_page(&original, &forged_block, 500).unwrap();
    let file = a.env.write("forfalskad.pdf", forged);
    let (r, v) = verify(&a.env, &file);
    assert_eq!(
        (r.code, v["status"].as_str()),
        (1, Some("failed")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Bo Ek") && r.stdout.contains("row_without_approval"),
        "the row that is not in the log is named: {}",
        r.stdout
    );
}

#[test]
fn an_update_that_changes_a_registered_page_fails_even_though_the_prefix_matches() {
    let a = attested_pdf();
    let attested = std::fs::read(&a.attested).unwrap();
    // A shadow attack: a further update replaces page 1's content stream.
    let doc = lopdf::Document::load_mem(&attested).unwrap();
    let first = doc.page_iter().next().unwrap();
    let contents = doc
        .get_dictionary(first)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_reference()
        .unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(attested.clone(), doc);
    let mut stream = update
        .get_prev_documents()
        .get_object(contents)
        .unwrap()
        .as_stream()
        .unwrap()
        .clone();
    stream.set_content(b"BT /F1 11 Tf 70 760 Td <0001> Tj ET".to_vec());
    update
        .new_document
        .objects
        .insert(contents, lopdf::Object::Stream(stream));
    let mut shadowed = Vec::new();
    update.save_to(&mut shadowed).unwrap();
    assert_eq!(&shadowed[..attested.len()], attested.as_slice());
    let file = a.env.write("skuggad.pdf", shadowed);
    let (r, v) = verify(&a.env, &file);
    assert_eq!(
        (r.code, v["status"].as_str()),
        (1, Some("failed")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("pdf_pages_changed"), "{}", r.stdout);
}

#[test]
fn encrypted_truncated_and_mislabelled_files_are_refused_with_their_reason() {
    let a = attested_pdf();
    let size = a.env.log_size();
    let dir = a.env.tmp.path();
    let encrypted = dir.join("krypterad.pdf");
    tool(
        "qpdf",
        &[
            "--encrypt",
            "hemligt",
            "agare",
            "256",
            "--",
            &s(&a.attested),
            &s(&encrypted),
        ],
    );
    let open_encrypted = dir.join("krypterad-utan-losenord.pdf");
    tool(
        "qpdf",
        &[
            "--encrypt",
            "",
            "agare",
            "256",
            "--",
            &s(&a.attested),
            &s(&open_encrypted),
        ],
    );
    let bytes = std::fs::read(&a.attested).unwrap();
    let truncated = a.env.write("avbruten.pdf", &bytes[..bytes.len() / 2]);
    let text = a
        .env
        .write("text.pdf", "Detta är ingen PDF utan en vanlig text.\n");
    for (file, code, sentence) in [
        (&encrypted, "pdf_encrypted", "krypterad"),
        (&open_encrypted, "pdf_encrypted", "krypterad"),
        (&truncated, "pdf_damaged", "skadad"),
        (&text, "not_pdf", "ingen PDF"),
    ] {
        for command in ["verify", "register"] {
            let r = a.env.json(&[command, &s(file)]);
            assert_ne!(r.code, 0, "{command} {}: {}", file.display(), r.stdout);
            assert!(
                r.stdout.contains(code) && r.stdout.contains(sentence),
                "{command} {}: {}",
                file.display(),
                r.stdout
            );
        }
    }
    assert_eq!(a.env.log_size(), size, "nothing was registered");
}

/// A PDF whose one page's content stream inflates from a few megabytes
/// to `gib` GiB of zeros.
fn bomb(gib: u32) -> Vec<u8> {
    let n: u64 = u64::from(gib) << 30;
    let gz = Command::new("sh")
        .args(["-c", &format!("head -c {n} /dev/zero | gzip -1 -n")])
        .output()
        .expect("gzip");
    assert!(gz.status.success());
    // zlib = header, the gzip member's deflate data, Adler-32 (of zeros:
    // a = 1, b = n mod 65521).
    let deflate = &gz.stdout[10..gz.stdout.len() - 8];
    let mut zlib = vec![0x78, 0x01];
    zlib.extend_from_slice(deflate);
    zlib.extend_from_slice(&(((n % 65521) as u32) << 16 | 1).to_be_bytes());
    let page = Page {
        media_box: A4,
        runs: vec![Run {
            x: 70.0,
            y: 700.0,
            size: 11.0,
            text: "Kommunstyrelsen har efter uppdrag i budget".into(),
            artifact: false,
        }],
    };
    let pdf = compose::new_pdf(&[page], false).unwrap();
    let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
    let first = doc.page_iter().next().unwrap();
    let contents = doc
        .get_dictionary(first)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_reference()
        .unwrap();
    let stream = lopdf::Stream::new(lopdf::dictionary! { "Filter" => "FlateDecode" }, zlib)
        .with_compression(false);
    doc.objects.insert(contents, lopdf::Object::Stream(stream));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_decompression_bomb_is_refused_and_the_server_stays_healthy() {
    let a = attested_pdf();
    let bomb = bomb(2);
    let attested = std::fs::read(&a.attested).unwrap();
    let server =
        crate::server::Server::start(a.env, &["--pdf-cpu-secs", "2", "--pdf-memory-mib", "512"]);
    crate::common::runtime().block_on(async {
        let c = reqwest::Client::new();
        let post = |bytes: Vec<u8>| {
            c.post(server.url("/api/v1/verify"))
                .header("content-type", "application/pdf")
                .body(bytes)
                .send()
        };
        let r = post(bomb).await.unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert!(body.to_string().contains("pdf_limit"), "{status} {body}");
        let health = c.get(server.url("/healthz")).send().await.unwrap();
        assert!(health.status().is_success(), "the server is healthy");
        let r = post(attested).await.unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["status"], "verified",
            "and still verifies PDFs: {body}"
        );
    });
}

#[test]
fn the_api_and_the_trust_nothing_client_attest_the_same_pdf() {
    let a = attested_pdf();
    let (original, attested) = (
        std::fs::read(&a.original).unwrap(),
        std::fs::read(&a.attested).unwrap(),
    );
    let id = a.env.json(&["verify", &s(&a.attested)]).json()["document"]["text_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = crate::server::Server::start(a.env, &[]);
    crate::common::runtime().block_on(async {
        let c = reqwest::Client::new();
        let r = c
            .get(server.url(&format!("/api/v1/documents/{id}/attested")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(r.bytes().await.unwrap().as_ref(), attested.as_slice());
        let r = c
            .post(server.url("/api/v1/attest"))
            .header("content-type", "application/pdf")
            .body(original.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.bytes().await.unwrap().as_ref(), attested.as_slice());
        // A text body said to be a PDF is refused, naming the problem.
        let r = c
            .post(server.url("/api/v1/attest"))
            .header("content-type", "application/pdf")
            .body("ingen pdf")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("not_pdf"));
    });
    // The client builds the attested file itself, from the entries it proved.
    let state = server.env.path("klientens-tillstand");
    let out = server.env.path("fran-klienten.pdf");
    let r = finish(
        server
            .env
            .command(&[
                "attest",
                &s(&server.env.path("utlatande.pdf")),
                "-o",
                &s(&out),
            ])
            .env("ATTESTERA_SERVER", &server.base)
            .env("ATTESTERA_STATE_DIR", &state)
            .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), attested);
    // And verifies it as the local command does (found by its file's revisions).
    let local = server.env.json(&["verify", &s(&out)]);
    let remote = finish(
        server
            .env
            .command(&["--json", "verify", &s(&out)])
            .env("ATTESTERA_SERVER", &server.base)
            .env("ATTESTERA_STATE_DIR", &state)
            .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
            .output()
            .unwrap(),
    );
    assert_eq!((remote.code, remote.json()), (local.code, local.json()));
    assert_eq!(local.json()["status"], "verified");
}

/// The tjänsteutlåtande of `tests/data/lekplatser.pdf`, the sample PDF that
/// README's walk-through registers, approves and attests.
const SAMPLE: &str = "Handläggare\nPer Persson\nTelefon: 08-508 15 000\n\nTill\nSkarpnäcks stadsdelsnämnd\n2026-11-16\n\nNya lekplatser i Björkhagen och Kärrtorp\n\nSvar på remiss från kommunstyrelsen, dnr 2026/78\n\nFörslag till beslut\n\nSkarpnäcks stadsdelsnämnd beslutar följande:\n\nNämnden godkänner förvaltningens förslag om tre nya lekplatser och överlämnar tjänsteutlåtandet som svar på remissen.\n\nSammanfattning\n\nFörvaltningen har på uppdrag av nämnden undersökt behovet av lekplatser i stadsdelsområdet. Inventeringen visar att tre bostadsområden saknar en lekplats inom femhundra meters gångavstånd, och att två befintliga lekplatser behöver rustas upp. Förslaget finansieras inom ramen för parkprogrammet och genomförs under 2027.\n\nÄrendets beredning\n\nÄrendet har beretts inom avdelningen för stadsmiljö i samverkan med trafikkontoret. Barn i de berörda skolorna har fått lämna synpunkter genom ett medborgardialogsarbete under hösten.\n\nFörvaltningens synpunkter och förslag\n\nFörvaltningen föreslår att nämnden godkänner förslaget. Lekplatserna bidrar till en tryggare och mer tillgänglig utemiljö för barn och vårdnadshavare.\n";

#[test]
fn the_sample_pdf_in_tests_data_is_what_the_generator_makes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/lekplatser.pdf");
    let made = utlatande_pdf(SAMPLE, "", MUNICIPAL);
    if std::env::var_os("ATTESTERA_RENEW_SAMPLES").is_some() {
        std::fs::write(path, &made).unwrap();
    }
    let committed = std::fs::read(path).expect("renew with ATTESTERA_RENEW_SAMPLES=1");
    assert!(
        committed == made,
        "tests/data/lekplatser.pdf is stale: renew with ATTESTERA_RENEW_SAMPLES=1"
    );
}

#[test]
fn an_archived_pdf_with_its_block_is_imported_and_then_verifies() {
    let env = Env::new();
    let original = utlatande_pdf(SAMPLE, "", MUNICIPAL);
    let block = "Attesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nMaria Mathiasson Laxvik, Stadsdelsdirektör\t2026-11-20\n";
    let archived = attestera::pdf::attest::append_block_page(&original, block, 500).unwrap();
    let file = env.write("arkiv.pdf", archived);
    let r = env.json(&["register", &s(&file)]);
    assert_eq!(r.error_code(), "document_has_block", "{}", r.stdout);
    env.ok(&["import", &s(&file)]);
    let (r, v) = verify(&env, &file);
    assert_eq!(
        (r.code, v["status"].as_str()),
        (0, Some("verified")),
        "{}",
        r.stdout
    );
    assert_eq!(v["approvals"][0]["kind"], "imported", "{}", r.stdout);
    assert_eq!(v["approvals"][0]["name"], "Maria Mathiasson Laxvik");
}

/// `attested` with one more incremental update whose cross-reference
/// section lists the first page twice: first a changed page (which poppler
/// and qpdf read), then its old offset (which lopdf reads).
fn with_page_listed_twice(attested: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(attested).unwrap();
    let page = doc.page_iter().next().unwrap();
    let Some(lopdf::xref::XrefEntry::Normal { offset: old, .. }) = doc.reference_table.get(page.0)
    else {
        panic!("the first page is a plain object")
    };
    let contents = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_reference()
        .unwrap();
    let cover = doc.max_id + 1;
    let mut out = attested.to_vec();
    let new_page = out.len();
    let parent = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Parent")
        .unwrap()
        .as_reference()
        .unwrap();
    out.extend_from_slice(
        format!(
            "\n{} 0 obj\n<< /Type /Page /Parent {} 0 R /MediaBox [0 0 595.28 841.89] /Contents [{} 0 R {cover} 0 R] >>\nendobj\n",
            page.0, parent.0, contents.0
        )
        .as_bytes(),
    );
    let cover_at = out.len();
    let drawing = "1 1 1 rg 0 0 595 842 re f";
    out.extend_from_slice(
        format!(
            "{cover} 0 obj\n<< /Length {} >>\nstream\n{drawing}\nendstream\nendobj\n",
            drawing.len() + 1
        )
        .as_bytes(),
    );
    let xref = out.len();
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    out.extend_from_slice(
        format!(
            "xref\n{p} 1\n{new_page:010} 00000 n \n{cover} 1\n{cover_at:010} 00000 n \n{p} 1\n{old:010} 00000 n \ntrailer\n<< /Size {} /Root {} 0 R /Prev {} >>\nstartxref\n{xref}\n%%EOF\n",
            cover + 1,
            root.0,
            doc.xref_start,
            p = page.0,
        )
        .as_bytes(),
    );
    out
}

/// `attested` with one more incremental update made by lopdf, in which
/// `change` edits the new revision.
fn with_update(attested: &[u8], change: impl FnOnce(&mut lopdf::IncrementalDocument)) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(attested).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(attested.to_vec(), doc);
    change(&mut update);
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

#[test]
fn anything_added_after_the_attestation_fails_even_where_readers_disagree() {
    let a = attested_pdf();
    let attested = std::fs::read(&a.attested).unwrap();
    let root = |u: &lopdf::IncrementalDocument| {
        u.get_prev_documents()
            .trailer
            .get(b"Root")
            .unwrap()
            .as_reference()
            .unwrap()
    };
    let copies = [
        (
            "sida-listad-tva-ganger.pdf",
            with_page_listed_twice(&attested),
        ),
        (
            "ny-info.pdf",
            with_update(&attested, |u| {
                let info = u.new_document.add_object(lopdf::dictionary! {
                    "Title" => lopdf::Object::string_literal("UPPHÄVT")
                });
                u.new_document.trailer.set("Info", info);
            }),
        ),
        (
            "javascript.pdf",
            with_update(&attested, |u| {
                let catalog = root(u);
                u.opt_clone_object_to_new_document(catalog).unwrap();
                let dict = u
                    .new_document
                    .get_object_mut(catalog)
                    .unwrap()
                    .as_dict_mut()
                    .unwrap();
                dict.set(
                    "Names",
                    lopdf::dictionary! { "JavaScript" => lopdf::dictionary! {} },
                );
            }),
        ),
        (
            "tom-sida-efter-blocket.pdf",
            with_update(&attested, |u| {
                let catalog = root(u);
                let pages = u
                    .get_prev_documents()
                    .get_dictionary(catalog)
                    .unwrap()
                    .get(b"Pages")
                    .unwrap()
                    .as_reference()
                    .unwrap();
                u.opt_clone_object_to_new_document(pages).unwrap();
                let page = u.new_document.add_object(lopdf::dictionary! {
                    "Type" => "Page", "Parent" => pages, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()]
                });
                let dict = u
                    .new_document
                    .get_object_mut(pages)
                    .unwrap()
                    .as_dict_mut()
                    .unwrap();
                dict.get_mut(b"Kids")
                    .unwrap()
                    .as_array_mut()
                    .unwrap()
                    .push(page.into());
                let count = dict.get(b"Count").unwrap().as_i64().unwrap();
                dict.set("Count", count + 1);
            }),
        ),
    ];
    // The first copy is what it should be: qpdf reads the changed page,
    // lopdf the old one.
    let twice = a.env.write("dubbel.pdf", &copies[0].1);
    let page = lopdf::Document::load_mem(&copies[0].1)
        .unwrap()
        .page_iter()
        .next()
        .unwrap();
    let shown = Command::new("qpdf")
        .args([&format!("--show-object={}", page.0), &s(&twice)])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    let lopdf_page = lopdf::Document::load_mem(&copies[0].1)
        .unwrap()
        .get_dictionary(page)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .clone();
    assert!(
        shown.contains("/Contents [") && lopdf_page.as_reference().is_ok(),
        "qpdf: {shown}, lopdf: {lopdf_page:?}"
    );
    for (name, bytes) in copies {
        assert_eq!(&bytes[..attested.len()], attested.as_slice());
        let file = a.env.write(name, bytes);
        let (r, v) = verify(&a.env, &file);
        assert_eq!(
            (r.code, v["status"].as_str()),
            (1, Some("failed")),
            "{name}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("pdf_pages_changed"),
            "{name}: {}",
            r.stdout
        );
    }
    // White space after the last %%EOF is not a change.
    let mut padded = attested.clone();
    padded.extend_from_slice(b"\r\n\n");
    let file = a.env.write("blanksteg-sist.pdf", padded);
    let (r, v) = verify(&a.env, &file);
    assert_eq!(
        (r.code, v["document"]["match_level"].as_str()),
        (0, Some("file")),
        "{}",
        r.stdout
    );
}

//! The verdict page: what `POST /kontrollera` answers. Built from the
//! service's [`CopyCheck`]; every word for a code comes from [`words`], every
//! sentence of a finding from the message catalogue. The page is also the
//! printable report, and carries the API's JSON for the same verdict as a
//! download that needs no server state.

use askama::Template;
use attestera_core::verdict::{ApprovalReport, Finding, Severity, Status, Verdict};
use base64::Engine;

use super::page::Chrome;
use super::words;
use crate::service::checking::CopyCheck;

/// One row of the table "Godkännanden".
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub role: String,
    pub date: String,
    pub kind: &'static str,
    pub result: &'static str,
    /// `tag-ok`, `tag-bad` or `tag-unknown` (the word says it too).
    pub tag: &'static str,
    pub reason: String,
}

/// A finding as the page lists it.
#[derive(Debug, Clone)]
pub struct Said {
    pub severity: &'static str,
    pub message: String,
}

/// A term and its value, in a summary list.
#[derive(Debug, Clone)]
pub struct Term {
    pub term: &'static str,
    pub value: String,
    /// Shown in monospace (digests, keys).
    pub mono: bool,
}

/// An approval's technical details.
#[derive(Debug, Clone)]
pub struct ApprovalDetail {
    pub name: String,
    pub log_index: u64,
    pub certificate: Option<String>,
    /// The inclusion proof's address in the API, for the checked tree size.
    pub proof_href: Option<String>,
    pub findings: Vec<Said>,
}

#[derive(Template)]
#[template(path = "verdict.html", config = "src/http/web/askama.toml")]
pub struct VerdictPage {
    pub chrome: Chrome,
    pub heading: String,
    pub class: &'static str,
    pub filename: String,
    pub summary: Vec<Term>,
    pub rows: Vec<Row>,
    pub findings: Vec<Said>,
    pub advice: &'static [&'static str],
    pub details: Vec<Term>,
    pub approval_details: Vec<ApprovalDetail>,
    pub checkpoint: Option<String>,
    /// The registered document's page, when there is one.
    pub document_href: Option<String>,
    pub report_href: String,
    /// What the table says when there is no approval to show.
    pub no_rows: &'static str,
}

/// The verdict page for `check` of the file named `filename`.
pub fn page(chrome: Chrome, filename: &str, check: &CopyCheck) -> VerdictPage {
    let v = &check.verdict;
    VerdictPage {
        chrome,
        heading: words::verdict_sentence(v),
        class: words::status_class(v.status),
        filename: super::form::shown_name(filename),
        summary: summary(check),
        rows: v.approvals.iter().map(|a| row(a, v.status)).collect(),
        findings: v.findings.iter().map(said).collect(),
        advice: words::advice(v),
        details: details(check),
        approval_details: v
            .approvals
            .iter()
            .map(|a| approval_detail(a, check))
            .collect(),
        checkpoint: check.checkpoint.clone(),
        document_href: v
            .document
            .registered
            .then_some(v.document.text_sha256)
            .flatten()
            .map(|id| format!("/dokument/{id}")),
        report_href: report_href(v),
        no_rows: no_rows(v),
    }
}

/// Why the table "Godkännanden" is empty.
fn no_rows(v: &Verdict) -> &'static str {
    if v.document.registered {
        "Dokumentet har inga godkännanden i loggen."
    } else {
        "Inga godkännanden att visa: inget registrerat dokument stämmer med filen."
    }
}

/// The API's JSON for the verdict as a `data:` URL: the same bytes
/// `POST /api/v1/verify` answers, with nothing kept on the server.
pub fn report_href(v: &Verdict) -> String {
    let json = serde_json::to_vec(v).unwrap_or_default();
    format!(
        "data:application/json;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(json)
    )
}

fn or_unknown(v: Option<String>) -> String {
    v.filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "Uppgift saknas".into())
}

fn summary(check: &CopyCheck) -> Vec<Term> {
    let v = &check.verdict;
    let d = check.document.as_ref();
    let plain = |term, value| Term {
        term,
        value,
        mono: false,
    };
    let (match_term, match_words) = words::match_summary(v.document.match_level, v.status);
    vec![
        plain(
            "Titel",
            or_unknown(v.document.title.clone().or(d.and_then(|d| d.title.clone()))),
        ),
        plain(
            "Diarienummer",
            or_unknown(v.document.dnr.clone().or(d.and_then(|d| d.dnr.clone()))),
        ),
        plain("Nämnd", or_unknown(d.and_then(|d| d.namnd.clone()))),
        plain(
            "Datum",
            or_unknown(d.and_then(|d| d.date).map(|d| d.to_string())),
        ),
        plain(match_term, match_words.into()),
        plain("Kontrollerat mot", checked_against(v)),
    ]
}

/// The checkpoint the verdict was checked against, in words.
pub fn checked_against(v: &Verdict) -> String {
    match (v.checkpoint_size, v.status) {
        (Some(n), _) => format!("Loggens kontrollpunkt med {n} poster"),
        (None, Status::Indeterminate) => "Inte kontrollerad mot loggen".into(),
        (None, _) => "Ingen kontrollpunkt (ingenting kunde bevisas mot loggen)".into(),
    }
}

fn row(a: &ApprovalReport, status: Status) -> Row {
    Row {
        name: a.name.clone(),
        role: a.role.clone(),
        date: a.date.to_string(),
        kind: words::kind_word(a.kind),
        result: words::indication_word(a.indication),
        tag: words::indication_tag(a.indication, status),
        reason: reason(&a.findings),
    }
}

/// The one sentence that explains an approval's result: its most severe finding.
pub fn reason(findings: &[Finding]) -> String {
    [Severity::Error, Severity::Warning, Severity::Notice]
        .iter()
        .find_map(|s| findings.iter().find(|f| f.severity == *s))
        .map(|f| f.message.clone())
        .unwrap_or_default()
}

fn said(f: &Finding) -> Said {
    Said {
        severity: words::severity_word(f.severity),
        message: f.message.clone(),
    }
}

fn details(check: &CopyCheck) -> Vec<Term> {
    let v = &check.verdict;
    let mono = |term, value: String| Term {
        term,
        value,
        mono: true,
    };
    let mut out = vec![mono(
        "Dokumentets id (SHA-256 av kanonisk text)",
        v.document
            .text_sha256
            .map(|h| h.to_hex())
            .unwrap_or_else(|| "Kunde inte beräknas (filen är inte text)".into()),
    )];
    out.push(mono("Filens SHA-256", v.document.file_sha256.to_hex()));
    if let Some(i) = v.document.log_index {
        out.push(mono("Registreringens loggindex", i.to_string()));
    }
    if let Some(d) = &check.document {
        out.push(mono("Registrerade filens SHA-256", d.file_sha256.to_hex()));
    }
    if let Some(n) = v.checkpoint_size {
        out.push(mono("Kontrollpunktens storlek", n.to_string()));
    }
    out
}

fn approval_detail(a: &ApprovalReport, check: &CopyCheck) -> ApprovalDetail {
    ApprovalDetail {
        name: a.name.clone(),
        log_index: a.log_index,
        certificate: check
            .approval(a.log_index)
            .and_then(|r| r.cert_fingerprint)
            .map(|h| h.to_hex()),
        proof_href: check
            .verdict
            .checkpoint_size
            .map(|n| format!("/api/v1/log/proof/{}?tree_size={n}", a.log_index)),
        findings: a.findings.iter().map(said).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attestera_core::Hash;
    use attestera_core::verdict::DocumentReport;

    fn verdict() -> Verdict {
        Verdict {
            status: Status::Failed,
            document: DocumentReport {
                text_sha256: None,
                file_sha256: Hash::sha256("<script>\"å\"".as_bytes()),
                registered: false,
                match_level: None,
                title: Some("Ä & <b>".into()),
                dnr: None,
                log_index: None,
            },
            approvals: Vec::new(),
            findings: vec![Finding::told(
                "document_not_registered",
                Severity::Error,
                "Inte registrerat.".into(),
            )],
            checkpoint_size: Some(3),
        }
    }

    #[test]
    fn the_report_link_carries_exactly_the_apis_json() {
        let v = verdict();
        let href = report_href(&v);
        let b64 = href
            .strip_prefix("data:application/json;base64,")
            .expect("a data URL");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(bytes, serde_json::to_vec(&v).unwrap());
        assert!(
            href.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=:;,.-".contains(&b)),
            "nothing in the href needs escaping"
        );
    }

    #[test]
    fn the_reason_is_the_most_severe_finding() {
        let f = |s, m: &str| Finding::told("x", s, m.into());
        let findings = vec![
            f(Severity::Notice, "upplysning"),
            f(Severity::Error, "fel"),
            f(Severity::Warning, "varning"),
        ];
        assert_eq!(reason(&findings), "fel");
        assert_eq!(reason(&findings[..1]), "upplysning");
        assert_eq!(reason(&[]), "");
    }

    #[test]
    fn the_page_renders_hostile_text_escaped() {
        let check = CopyCheck {
            verdict: verdict(),
            document: None,
            approvals: Vec::new(),
            checkpoint: None,
        };
        let html = page(
            Chrome::new("t", "/kontrollera", None),
            "<img src=x>",
            &check,
        )
        .render()
        .unwrap();
        assert!(!html.contains("<img src=x>"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("Ej verifierat: "));
        assert!(html.contains("<caption>Godkännanden</caption>"));
    }
}

//! Tampered copies of an attested document each fail with their own finding.

use crate::common::{Attested, attested};

/// Verifies `text` and returns (exit code, every finding code in the verdict).
fn verify(a: &Attested, text: &str) -> (i32, Vec<String>, serde_json::Value) {
    let f = a.env.write("copy.txt", text);
    let r = a.env.json(&["verify", &f.to_string_lossy()]);
    let v = r.json();
    let mut codes: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().into())
        .collect();
    for ap in v["approvals"].as_array().unwrap() {
        codes.extend(
            ap["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_string()),
        );
    }
    (r.code, codes, v)
}

fn assert_fails_with(a: &Attested, text: &str, code: &str) -> serde_json::Value {
    assert_ne!(text, a.attested, "the tampering changed nothing");
    let (exit, codes, v) = verify(a, text);
    assert_eq!(exit, 1, "expected failure for {code}: {v:#}");
    assert_eq!(v["status"], "failed");
    assert!(
        codes.iter().any(|c| c == code),
        "expected {code} in {codes:?}"
    );
    v
}

#[test]
fn changed_word_is_content_changed() {
    let a = attested();
    assert_fails_with(
        &a,
        &a.attested
            .replace("godkänner förvaltningens", "avslår förvaltningens"),
        "content_changed",
    );
}

#[test]
fn changed_digit_is_content_changed() {
    let a = attested();
    assert_fails_with(
        &a,
        &a.attested.replace("3 nya lekplatser", "4 nya lekplatser"),
        "content_changed",
    );
}

#[test]
fn changed_dnr_is_named() {
    let a = attested();
    let v = assert_fails_with(
        &a,
        &a.attested.replace("dnr 2026/1234", "dnr 2026/1235"),
        "dnr_changed",
    );
    assert_eq!(v["findings"][0]["code"], "content_changed");
}

#[test]
fn unrelated_document_is_not_registered() {
    let a = attested();
    let text = "Till\nAnnan nämnd\n2026-01-01\n\nHelt annat ärende\n\nText.\n\nAttesterat av\n\nDetta dokument har godkänts digitalt av följande personer:\n\nNamn\tDatum\nAnna Berg, Avdelningschef\t2026-01-01\n";
    assert_fails_with(&a, text, "document_not_registered");
}

#[test]
fn changed_approver_name_is_a_name_mismatch() {
    let a = attested();
    let v = assert_fails_with(
        &a,
        &a.attested.replace("Anna Berg,", "Anna Borg,"),
        "row_name_mismatch",
    );
    assert_eq!(v["approvals"][0]["indication"], "TOTAL-FAILED");
    assert_eq!(v["approvals"][1]["indication"], "TOTAL-PASSED");
}

#[test]
fn look_alike_letter_in_name_is_flagged() {
    let a = attested();
    // Cyrillic а (U+0430) for the Latin a in "Anna".
    assert_fails_with(
        &a,
        &a.attested.replace("Anna Berg,", "Аnna Berg,"),
        "name_lookalike",
    );
}

#[test]
fn changed_role_is_a_role_mismatch() {
    let a = attested();
    assert_fails_with(
        &a,
        &a.attested
            .replace("Anna Berg, Avdelningschef", "Anna Berg, Stadsdelsdirektör"),
        "row_role_mismatch",
    );
}

#[test]
fn changed_date_is_a_date_mismatch() {
    let a = attested();
    let date = a
        .attested
        .lines()
        .last()
        .unwrap()
        .rsplit('\t')
        .next()
        .unwrap()
        .to_string();
    let other = if date == "2020-01-01" {
        "2020-01-02"
    } else {
        "2020-01-01"
    };
    let tampered = a.attested.replacen(
        &format!("Avdelningschef\t{date}"),
        &format!("Avdelningschef\t{other}"),
        1,
    );
    assert_fails_with(&a, &tampered, "row_date_mismatch");
}

#[test]
fn extra_row_has_no_approval() {
    let a = attested();
    assert_fails_with(
        &a,
        &format!("{}Kalle Anka, Ekonomichef\t2026-11-25\n", a.attested),
        "row_without_approval",
    );
}

#[test]
fn missing_row_is_reported_on_the_approval() {
    let a = attested();
    let without_anna: String = a
        .attested
        .lines()
        .filter(|l| !l.starts_with("Anna Berg,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let v = assert_fails_with(&a, &without_anna, "approval_missing_from_block");
    assert_eq!(v["approvals"][0]["name"], "Anna Berg");
    // Her approval is genuine, only not shown in the block.
    assert_eq!(v["approvals"][0]["indication"], "TOTAL-PASSED");
    assert_eq!(v["approvals"][0]["in_block"], false);
}

#[test]
fn missing_block_fails() {
    let a = attested();
    assert_fails_with(&a, crate::common::DOC, "block_missing");
}

#[test]
fn unreadable_copy_is_indeterminate_not_changed() {
    let a = attested();
    let f = a.env.write("copy.bin", b"%PDF-1.7\x00\x01\x02binary");
    let r = a.env.json(&["verify", &f.to_string_lossy()]);
    assert_eq!(r.code, 2);
    let v = r.json();
    assert_eq!(v["status"], "indeterminate");
    assert_eq!(v["findings"][0]["code"], "pdf_damaged");
}

/// verify reads who approved what from the log, not from the tables: a row
/// changed behind the service's back is caught without running audit.
#[test]
fn verify_does_not_trust_changed_tables() {
    let a = attested();
    a.env
        .sql("UPDATE approvals SET name = 'Anna Borg' WHERE name = 'Anna Berg'");
    let forged = a.attested.replace("Anna Berg,", "Anna Borg,");
    let v = assert_fails_with(&a, &forged, "log_mismatch");
    // The verdict reports the name the log holds, not the table's.
    assert_eq!(v["approvals"][0]["name"], "Anna Berg");
}

#[test]
fn verify_reads_the_document_from_its_registration_entry() {
    let a = attested();
    a.env.sql("UPDATE documents SET title = 'Förfalskad titel'");
    let (exit, codes, v) = verify(&a, &a.attested);
    assert_eq!(exit, 1);
    assert!(codes.iter().any(|c| c == "log_mismatch"), "{codes:?}");
    assert_eq!(v["document"]["title"], "Upprustning av Björkhagens parker");
}

#[test]
fn rows_in_another_order_still_match() {
    let a = attested();
    let lines: Vec<&str> = a.attested.lines().collect();
    let n = lines.len();
    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(n - 1, n - 2);
    let text = swapped.join("\n") + "\n";
    let (exit, _, v) = verify(&a, &text);
    assert_eq!(exit, 0, "{v:#}");
}

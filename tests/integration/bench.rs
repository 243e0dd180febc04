//! `attestera bench` reports every figure of issue 12, each a number beside
//! its reference with a ratio, and a target where the issue sets one. Run at
//! the hidden tiny sizes: nothing here depends on how fast anything is.

use std::process::Command;

use serde_json::Value;

use crate::common::{Postgres, finish, on_postgres};

/// Every figure the issue asks for, and whether it has a target.
const FIGURES: &[(&str, bool)] = &[
    ("approvals_per_second_1", false),
    ("approvals_per_second_16", false),
    ("approvals_per_second_256", true),
    ("registrations_per_second_1", false),
    ("registrations_per_second_16", false),
    ("registrations_per_second_256", false),
    ("registrations_per_second_256_vs_fsync", false),
    ("verify_p50_ms_local_mid", false),
    ("verify_p50_ms_local_big", true),
    ("verify_p50_ms_http_mid", false),
    ("verify_p50_ms_http_big", true),
    ("audit_entries_per_second_mid", true),
    ("audit_entries_per_second_big", true),
    ("audit_linearity", true),
    ("audit_peak_rss_mb", true),
    ("client_first_contact_ms", true),
    ("client_first_contact_bytes", false),
    ("client_later_contact_ms", false),
    ("client_later_contact_bytes", false),
    ("canonical_text_mb_per_second", true),
    ("file_digest_mb_per_second", true),
    ("proof_requests_per_second", true),
    ("proof_p99_ms", true),
    ("checkpoint_requests_per_second", true),
    ("checkpoint_p99_ms", true),
    ("import_documents_per_second", false),
    ("import_peak_rss_mb", false),
];

#[test]
fn bench_reports_every_figure_with_its_reference_ratio_and_target() {
    // On the PostgreSQL pass the bench makes (and drops) its own database on
    // the suite's server, given any database there.
    let server = on_postgres().then(Postgres::create);
    let mut c = Command::new(env!("CARGO_BIN_EXE_attestera"));
    c.args(["--json", "bench", "--sizes", "tiny"])
        .env_remove("DATABASE_URL")
        .env_remove("ATTESTERA_SERVER");
    if let Some(pg) = &server {
        c.args(["--database-url", &pg.url]);
    }
    let run = finish(c.output().expect("run attestera bench"));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let figures = report["figures"].as_array().expect("figures");
    for (name, has_target) in FIGURES {
        let f = figures
            .iter()
            .find(|f| f["name"] == *name)
            .unwrap_or_else(|| panic!("no figure {name} in {report}"));
        for key in ["value", "reference_value", "ratio"] {
            assert!(f[key].is_number(), "{name}.{key} is not a number: {f}");
        }
        for key in ["unit", "reference"] {
            assert!(
                f[key].as_str().is_some_and(|s| !s.is_empty()),
                "{name}.{key}: {f}"
            );
        }
        assert_eq!(f["target"].is_number(), *has_target, "{name}'s target: {f}");
        if !has_target {
            assert_eq!(f["target"], Value::Null, "{name}'s target: {f}");
        }
    }
}

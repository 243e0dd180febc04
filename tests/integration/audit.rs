//! The audit replays the log and catches a database changed behind the service's back.

use crate::common::attested;

fn audit_codes(env: &crate::common::Env) -> (i32, Vec<String>) {
    let r = env.json(&["audit"]);
    let v = r.json();
    let codes = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    (r.code, codes)
}

fn assert_caught(statement: &str, code: &str) {
    let a = attested();
    assert_eq!(audit_codes(&a.env), (0, vec![]), "clean log audits clean");
    a.env.sql(statement);
    let (exit, codes) = audit_codes(&a.env);
    assert_eq!(exit, 1, "{statement}");
    assert!(
        codes.iter().any(|c| c == code),
        "{statement}: expected {code} in {codes:?}"
    );
}

#[test]
fn changed_entry_bytes_are_caught() {
    assert_caught(
        "UPDATE log_entries SET data = CAST(REPLACE(CAST(data AS TEXT), 'Per Persson', 'Pär Persson') AS BLOB) WHERE idx = 1",
        "leaf_hash_mismatch",
    );
}

#[test]
fn rehashed_forged_entry_is_caught_by_the_checkpoints() {
    // A forger who also updates the leaf hash still cannot match the signed roots.
    let a = attested();
    a.env.sql("UPDATE log_entries SET data = CAST(REPLACE(CAST(data AS TEXT), 'Per Persson', 'Pär Persson') AS BLOB) WHERE idx = 1");
    let forged = a.env.entry_bytes(1);
    let leaf = attestera_core::tlog::record_hash(&forged).to_hex();
    a.env.sql(&format!(
        "UPDATE log_entries SET leaf_hash = X'{leaf}' WHERE idx = 1"
    ));
    let (exit, codes) = audit_codes(&a.env);
    assert_eq!(exit, 1);
    assert!(
        codes.iter().any(|c| c == "checkpoint_root_mismatch"),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|c| c == "stored_hash_mismatch"),
        "{codes:?}"
    );
}

#[test]
fn changed_projection_row_is_caught() {
    assert_caught(
        "UPDATE approvals SET name = 'Anna Borg' WHERE name = 'Anna Berg'",
        "projection_row_differs",
    );
}

#[test]
fn inserted_projection_row_is_caught() {
    assert_caught(
        "INSERT INTO approvals (log_index, document, kind, name, role, date, logged_at) SELECT 999, document, 'imported', 'Kalle Anka', 'Chef', '2020-01-01', logged_at FROM approvals LIMIT 1",
        "projection_row_unexpected",
    );
}

/// The audit reads tables by index ranges: a row outside every range (a
/// negative index, or the largest one) is still found, by the count.
#[test]
fn rows_with_indexes_outside_the_log_are_caught() {
    for (statement, code) in [
        (
            "INSERT INTO approvals (log_index, document, kind, name, role, date, logged_at) SELECT -5, document, 'imported', 'Kalle Anka', 'Chef', '2020-01-01', logged_at FROM approvals LIMIT 1",
            "projection_row_unexpected",
        ),
        (
            "INSERT INTO approvals (log_index, document, kind, name, role, date, logged_at) SELECT 9223372036854775807, document, 'imported', 'Kalle Anka', 'Chef', '2020-01-01', logged_at FROM approvals LIMIT 1",
            "projection_row_unexpected",
        ),
        (
            "INSERT INTO log_hashes (idx, hash) SELECT -1, hash FROM log_hashes LIMIT 1",
            "stored_hash_mismatch",
        ),
        (
            "INSERT INTO checkpoints (tree_size, note) SELECT -3, note FROM checkpoints LIMIT 1",
            "checkpoint_mismatch",
        ),
    ] {
        assert_caught(statement, code);
    }
}

#[test]
fn deleted_projection_row_is_caught() {
    assert_caught(
        "DELETE FROM approvals WHERE name = 'Anna Berg'",
        "projection_row_missing",
    );
}

#[test]
fn changed_checkpoint_is_caught() {
    assert_caught(
        "UPDATE checkpoints SET note = REPLACE(note, char(10) || '— ', char(10) || '— x') WHERE tree_size = 3",
        "checkpoint_signature_invalid",
    );
}

#[test]
fn deleted_entry_is_caught() {
    assert_caught("DELETE FROM log_entries WHERE idx = 2", "entry_missing");
}

#[test]
fn deleted_last_entry_is_caught() {
    assert_caught(
        "DELETE FROM log_entries WHERE idx = (SELECT MAX(idx) FROM log_entries)",
        // The signed checkpoint says how long the log is, so the entry is named missing.
        "entry_missing",
    );
}

#[test]
fn an_edited_log_head_size_is_caught() {
    assert_caught("UPDATE log_head SET size = size + 1", "log_head_mismatch");
}

#[test]
fn an_edited_log_head_root_is_caught() {
    assert_caught(
        "UPDATE log_head SET root = X'0000000000000000000000000000000000000000000000000000000000000000'",
        "log_head_mismatch",
    );
}

#[test]
fn a_deleted_log_head_is_caught() {
    assert_caught("DELETE FROM log_head", "log_head_unreadable");
}

/// A log written before migration 0004 has no head row: the migration
/// writes its size, the first open computes its root from the stored
/// hashes, and the log audits clean and appends as before.
#[test]
fn a_log_from_before_the_head_gets_its_head_on_open() {
    let a = attested();
    let size = a.env.log_size();
    a.env
        .sql("DROP TABLE log_head; DELETE FROM _sqlx_migrations WHERE version = 4");
    assert_eq!(
        audit_codes(&a.env),
        (0, vec![]),
        "the head is filled on open"
    );
    let other = a
        .env
        .write("annat.txt", "Till nämnden\n\nEtt annat ärende.\n");
    let r = a.env.json(&["register", &other.to_string_lossy()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(a.env.log_size(), size + 1);
    assert_eq!(audit_codes(&a.env), (0, vec![]));
}

#[test]
fn an_audit_with_progress_counts_every_entry_and_reports_the_same() {
    use attestera::service::audit::AuditProgress;
    let a = attested();
    let size = a.env.log_size();
    crate::common::runtime().block_on(async {
        let service = a.env.service().await;
        let progress = AuditProgress::default();
        assert_eq!(progress.get(), (0, 0), "nothing known before it starts");
        let with = service.audit_with_progress(&progress).await.unwrap();
        assert_eq!(progress.get(), (size, size));
        let without = service.audit().await.unwrap();
        assert!(with.ok);
        assert_eq!(
            serde_json::to_value(&with).unwrap(),
            serde_json::to_value(&without).unwrap()
        );
    });
}

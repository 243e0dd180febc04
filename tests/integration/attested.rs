//! The attested document (the registered text followed by its block) is
//! served from the kept file only when that file is the one the log
//! registered: a file row changed behind the service's back is refused.

use attestera::service::ServiceError;
use attestera_core::document::read;

use crate::common::{DOC, attested, runtime};

/// The id of `common::DOC`, the document `attested()` registers.
fn doc_id() -> attestera_core::tlog::Hash {
    read(DOC.as_bytes()).unwrap().text_sha256
}

#[test]
fn the_attested_document_is_the_registered_text_with_the_logs_block() {
    let a = attested();
    runtime().block_on(async {
        let s = a.env.service().await;
        let text = s.attested_document(&doc_id()).await.unwrap().unwrap();
        assert_eq!(
            text,
            attestera::service::Attested::Text(a.attested.clone()),
            "the same as the registered text plus `block`"
        );
        s.close().await;
    });
    // And it verifies.
    let file = a.env.write("attested.txt", &a.attested);
    a.env.ok(&["verify", &file.to_string_lossy()]);
}

#[test]
fn a_changed_stored_file_is_refused_not_served() {
    let a = attested();
    // Same length, one word changed: the digests no longer match.
    let forged = DOC.replace("3 nya", "9 nya");
    a.env.sql(&format!(
        "UPDATE document_files SET bytes = X'{}'",
        hex::encode(forged.as_bytes())
    ));
    runtime().block_on(async {
        let s = a.env.service().await;
        match s.attested_document(&doc_id()).await {
            Err(ServiceError::TableMismatch {
                table: "document_files",
                ..
            }) => {}
            other => panic!("a changed file must be refused: {other:?}"),
        }
        s.close().await;
    });
}

#[test]
fn a_file_row_moved_to_another_document_is_refused() {
    let a = attested();
    let other = a.env.write("other.txt", format!("{DOC}\nBilaga 2\n"));
    a.env.ok(&["register", &other.to_string_lossy()]);
    let other_id = read(format!("{DOC}\nBilaga 2\n").as_bytes())
        .unwrap()
        .text_sha256
        .to_hex();
    // The other document's file is put in place of this one's.
    let id = doc_id().to_hex();
    a.env.sql(&format!(
        "DELETE FROM document_files WHERE document = '{id}'"
    ));
    a.env.sql(&format!(
        "UPDATE document_files SET document = '{id}' WHERE document = '{other_id}'"
    ));
    runtime().block_on(async {
        let s = a.env.service().await;
        assert!(matches!(
            s.attested_document(&doc_id()).await,
            Err(ServiceError::TableMismatch {
                table: "document_files",
                ..
            })
        ));
        s.close().await;
    });
}

#[test]
fn a_document_whose_file_is_not_kept_has_no_attested_document() {
    let a = attested();
    a.env.sql("DELETE FROM document_files");
    runtime().block_on(async {
        let s = a.env.service().await;
        assert!(!s.keeps_file(&doc_id()).await.unwrap());
        assert!(s.attested_document(&doc_id()).await.unwrap().is_none());
        s.close().await;
    });
}

/// Over HTTP too: the download of a changed file is an error page, and
/// none of the changed text reaches the visitor.
#[test]
fn the_web_download_of_a_changed_file_is_refused() {
    let a = attested();
    let forged = DOC.replace("3 nya", "9 nya");
    a.env.sql(&format!(
        "UPDATE document_files SET bytes = X'{}'",
        hex::encode(forged.as_bytes())
    ));
    let s = crate::server::Server::start(a.env, &[]);
    runtime().block_on(async {
        let url = s.url(&format!("/dokument/{}/attesterat", doc_id().to_hex()));
        let r = reqwest::get(url).await.unwrap();
        assert_eq!(r.status(), 500);
        assert!(r.headers().get("content-disposition").is_none());
        let body = r.text().await.unwrap();
        assert!(!body.contains("9 nya"), "{body}");
        assert!(
            body.contains("document_files"),
            "the page says which table: {body}"
        );
    });
}

/// The file is kept in the registration's own transaction: when it cannot
/// be written, nothing is (no registration without its file, no file
/// without its registration), the caller is told so, and once the cause is
/// gone the same registration goes through.
#[test]
fn a_file_that_cannot_be_kept_leaves_nothing_written() {
    if crate::common::sqlite_only(
        "a SQLite trigger makes the insert fail; PostgreSQL's trigger syntax differs",
    ) {
        return;
    }
    let env = crate::common::Env::new();
    let before = env.log_size();
    env.sql(
        "CREATE TRIGGER refuse_files BEFORE INSERT ON document_files BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    let doc = env.write("doc.txt", DOC);
    let refused = env.json(&["register", &doc.to_string_lossy()]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert_eq!(refused.error_code(), "append_failed", "{}", refused.stdout);
    assert_eq!(
        env.log_size(),
        before,
        "nothing of the registration was written"
    );
    env.sql("DROP TRIGGER refuse_files");
    env.ok(&["register", &doc.to_string_lossy()]);
    runtime().block_on(async {
        let s = env.service().await;
        assert!(s.document_info(&doc_id()).await.is_ok(), "registered");
        assert!(s.keeps_file(&doc_id()).await.unwrap());
        s.close().await;
    });
}

/// The audit checks every kept file as the download does.
#[test]
fn the_audit_names_a_changed_stored_file() {
    let a = attested();
    let clean = a.env.json(&["audit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    a.env
        .sql("UPDATE document_files SET bytes = CAST('Något annat' AS BLOB)");
    let r = a.env.json(&["audit"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let problems = r.json()["problems"].as_array().unwrap().clone();
    assert!(
        problems
            .iter()
            .any(|p| p["code"] == "document_file_mismatch"
                && p["table"] == "document_files"
                && p["key"] == doc_id().to_hex().as_str()),
        "{problems:?}"
    );
}

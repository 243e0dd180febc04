//! The paged listings: the registrar's list (pages of 50 with the total,
//! and each document's approval count) and the auditors' signature log,
//! paged alike.

use attestera::service::listing::{DocumentFilter, SignatureFilter};
use attestera::service::paging::page_number;
use attestera::service::registry::PAGE_SIZE;

use crate::common::{DOC, Env, SEED, runtime};

#[test]
fn the_list_comes_in_pages_with_the_total_and_approval_counts() {
    let env = Env::new();
    runtime().block_on(async {
        let s = env.service().await;
        for i in 0..PAGE_SIZE {
            s.register(format!("{DOC}\nBilaga {i}\n").as_bytes(), "t")
                .await
                .unwrap();
        }
        let seed = s.import(SEED.as_bytes(), "t").await.unwrap();
        let all = DocumentFilter::default();

        let first = s.document_page(&all, 1).await.unwrap();
        assert_eq!((first.total, first.offset, first.rows.len()), (51, 0, 50));
        assert!(first.rows.iter().all(|(_, n)| *n == 0));

        let second = s.document_page(&all, 2).await.unwrap();
        assert_eq!((second.offset, second.rows.len()), (50, 1));
        let (doc, approvals) = &second.rows[0];
        assert_eq!(doc.text_sha256, seed.registered.text_sha256);
        assert_eq!(*approvals, seed.approvals.len());
        assert!(*approvals > 0);

        // A page past the end is the last page; page 0 is the first.
        assert_eq!(s.document_page(&all, 99).await.unwrap().offset, 50);
        assert_eq!(s.document_page(&all, 0).await.unwrap().offset, 0);

        // The filter applies before paging.
        let by_dnr = DocumentFilter {
            dnr: seed.registered.metadata.dnr.clone(),
            ..DocumentFilter::default()
        };
        let found = s.document_page(&by_dnr, 1).await.unwrap();
        assert_eq!((found.total, found.rows.len()), (1, 1));
        s.close().await;
    });
}

#[test]
fn an_empty_list_is_one_empty_page() {
    let env = Env::new();
    runtime().block_on(async {
        let s = env.service().await;
        let p = s
            .document_page(&DocumentFilter::default(), 3)
            .await
            .unwrap();
        assert_eq!((p.total, p.offset, p.rows.len()), (0, 0, 0));
        s.close().await;
    });
}

#[test]
fn the_signature_log_is_paged_by_the_service_and_no_page_number_overflows() {
    let env = Env::new();
    runtime().block_on(async {
        let s = env.service().await;
        let seed = s.import(SEED.as_bytes(), "t").await.unwrap();
        let all = SignatureFilter::default();
        let n = seed.approvals.len();
        assert!(n > 0 && n <= PAGE_SIZE);
        let first = s.signature_page(&all, 1).await.unwrap();
        assert_eq!((first.total, first.offset, first.rows.len()), (n, 0, n));
        assert_eq!(
            (first.page, first.pages, first.first(), first.last()),
            (1, 1, 1, n)
        );
        assert_eq!(first.rows, s.signature_log(&all).await.unwrap());
        // Typed page numbers: huge, zero, negative: the one page, no panic.
        for typed in ["99999999999999999999", "0", "-1"] {
            let p = s.signature_page(&all, page_number(typed)).await.unwrap();
            assert_eq!((p.page, p.offset, p.rows.len()), (1, 0, n), "{typed}");
        }
        let p = s.signature_page(&all, usize::MAX).await.unwrap();
        assert_eq!(p.page, 1);
        let none = SignatureFilter {
            person_contains: Some("Ingen med det namnet".into()),
            ..SignatureFilter::default()
        };
        let p = s.signature_page(&none, 3).await.unwrap();
        assert_eq!((p.total, p.page, p.first(), p.last()), (0, 1, 0, 0));
        // The document list pages with the same arithmetic.
        let d = s
            .document_page(
                &DocumentFilter::default(),
                page_number("99999999999999999999"),
            )
            .await
            .unwrap();
        assert_eq!((d.page, d.total), (1, 1));
        s.close().await;
    });
}

//! The registrar's list: pages of 50 with the total, and each document's
//! approval count.

use attestera::service::listing::DocumentFilter;
use attestera::service::registry::PAGE_SIZE;
use attestera::service::{DataDir, Service};

use crate::common::{DOC, Env, SEED, runtime};

#[test]
fn the_list_comes_in_pages_with_the_total_and_approval_counts() {
    let env = Env::new();
    runtime().block_on(async {
        let s = Service::open(DataDir::new(env.data_dir())).await.unwrap();
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
        let s = Service::open(DataDir::new(env.data_dir())).await.unwrap();
        let p = s
            .document_page(&DocumentFilter::default(), 3)
            .await
            .unwrap();
        assert_eq!((p.total, p.offset, p.rows.len()), (0, 0, 0));
        s.close().await;
    });
}

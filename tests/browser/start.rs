//! The start page: "Kontrollera ett dokument".

use crate::common::{Env, runtime};
use crate::harness::Browser;
use crate::server::Server;

#[test]
fn the_start_page_offers_a_check_and_a_look_up() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        b.go("/").await;
        assert_eq!(b.h1().await, "Kontrollera ett dokument");
        assert!(b.title().await.starts_with("Kontrollera ett dokument"));
        let field = b.field("Dokument").await;
        assert_eq!(field.attr("type").await.unwrap().as_deref(), Some("file"));
        let hint = b.find("#dokument-hint").await.text().await.unwrap();
        assert!(hint.contains("20 MiB"), "{hint}");
        b.field("Dokumentets id").await;
        b.link("Logga in").await;
        b.link("Tillgänglighetsredogörelse").await;
        b.check_page("kontrollera").await;
        b.check_reflow().await;
        b.close().await;
    });
}

//! Signing in and out with an "Inloggningskod".

use crate::common::{Env, runtime};
use crate::harness::Browser;
use crate::server::Server;

#[test]
fn staff_sign_in_with_a_code_and_out_again() {
    let s = Server::start(Env::new(), &[]);
    runtime().block_on(async {
        let b = Browser::open(&s.base).await;
        b.go("/").await;
        b.follow("Logga in").await;
        assert_eq!(b.h1().await, "Logga in");
        b.check_page("logga-in").await;

        // A wrong code: the error summary, focused, links to the field.
        b.fill("Inloggningskod", "att_1.fel").await;
        b.press("Logga in").await;
        assert!(b.title().await.starts_with("Fel: "), "{}", b.title().await);
        assert_eq!(b.focused_id().await, "error-summary");
        let link = b.find(".error-summary a").await;
        assert_eq!(link.attr("href").await.unwrap().as_deref(), Some("#kod"));
        assert!(
            link.text()
                .await
                .unwrap()
                .contains("Inloggningskoden gäller inte")
        );
        b.check_page("logga-in-fel").await;

        b.fill("Inloggningskod", &s.auditor).await;
        b.press("Logga in").await;
        let text = b.text().await;
        assert!(
            text.contains("Inloggad som test-auditor (granskare)"),
            "{text}"
        );
        let cookies = b.cookies().await;
        let session = cookies
            .iter()
            .find(|c| c.0 == "attestera_session")
            .expect("a session cookie");
        assert!(session.2, "the session cookie is HttpOnly");
        assert_eq!(session.3, "Strict");
        assert_ne!(session.1, s.auditor, "the cookie is not the code");

        b.press("Logga ut").await;
        assert_eq!(b.h1().await, "Du är utloggad");
        b.check_page("utloggad").await;
        b.link("Logga in").await;
        b.close().await;
    });
}

//! Certificate requests for browser keys, at the service: what an attacker
//! would try with a request (another sign-in's challenge, a proof for other
//! words, a row written into the database, a key requested twice) and that
//! issuing is the `user add` use case with its rules.

use attestera::service::access::{Principal, Role};
use attestera::service::enrolment::{EnrolmentForm, EnrolmentState};
use attestera::service::{Service, ServiceError};
use attestera_core::pki::{self, enrolment};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::common::{Env, runtime};

/// A sign-in code's principal, for a real token row.
fn approver(env: &Env, name: &str) -> Principal {
    let t = env
        .json(&["token", "create", "--role", "approver", "--name", name])
        .json();
    Principal {
        token_id: t["id"].as_i64().unwrap(),
        name: name.into(),
        role: Role::Approver,
    }
}

/// A browser's key: its SubjectPublicKeyInfo and the pair.
fn key() -> (Vec<u8>, Ed25519KeyPair) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let mut spki = hex::decode("302a300506032b6570032100").unwrap();
    spki.extend_from_slice(pair.public_key().as_ref());
    (spki, pair)
}

/// What the page sends, with a proof over `signed_name` (normally the name).
fn form(
    challenge: &str,
    spki: &[u8],
    pair: &Ed25519KeyPair,
    signed_name: &str,
) -> (String, String) {
    let proof = pair.sign(&enrolment::proof_message(challenge, signed_name, "Direktör").unwrap());
    (STANDARD.encode(spki), STANDARD.encode(proof.as_ref()))
}

async fn request(
    s: &Service,
    who: &Principal,
    challenge: &str,
    name: &str,
    signed_name: &str,
) -> (
    Result<attestera::service::enrolment::Enrolment, ServiceError>,
    Vec<u8>,
) {
    let (spki, pair) = key();
    let (public_key_b64, proof_b64) = form(challenge, &spki, &pair, signed_name);
    let r = s
        .request_certificate(
            who,
            &EnrolmentForm {
                name,
                role: "Direktör",
                public_key_b64: &public_key_b64,
                challenge,
                proof_b64: &proof_b64,
            },
        )
        .await;
    (r, spki)
}

/// A request of Anna Andersson's, waiting; its id.
async fn pending(s: &Service, who: &Principal) -> String {
    let challenge = s.enrolment_challenge(who).unwrap();
    let (r, _) = request(s, who, &challenge, "Anna Andersson", "Anna Andersson").await;
    r.unwrap().id
}

#[test]
fn a_request_needs_its_own_sign_in_s_challenge_and_a_proof_for_its_words() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    let other = approver(&env, "bertil");
    runtime().block_on(async {
        let s = env.service().await;
        let challenge = s.enrolment_challenge(&anna).unwrap();
        let code = |r: Result<_, ServiceError>| r.map(|_| ()).unwrap_err().code();
        // Another sign-in's challenge.
        let (r, _) = request(&s, &other, &challenge, "Anna Andersson", "Anna Andersson").await;
        assert_eq!(code(r), "enrolment_challenge_invalid");
        // A challenge the service did not make.
        let (r, _) = request(&s, &anna, "AAAA", "Anna Andersson", "Anna Andersson").await;
        assert_eq!(code(r), "enrolment_challenge_invalid");
        // A proof over other words than the request's.
        let (r, _) = request(&s, &anna, &challenge, "Anna Andersson", "Anna Anderson").await;
        assert_eq!(code(r), "enrolment_proof_invalid");
        // A name the certificate rules refuse is refused now, not at issuance.
        let (r, _) = request(&s, &anna, &challenge, "Anna, VD", "Anna, VD").await;
        assert_eq!(code(r), "subject_invalid");
        assert!(
            s.enrolments().await.unwrap().is_empty(),
            "nothing was stored"
        );
        let (r, spki) = request(&s, &anna, &challenge, "Anna Andersson", "Anna Andersson").await;
        let e = r.unwrap();
        assert!(e.is_pending());
        assert_eq!(e.check_code, enrolment::check_code(&spki));
        assert_eq!(s.enrolments_of(other.token_id).await.unwrap().len(), 0);
        s.close().await;
    });
}

#[test]
fn issuing_a_request_is_the_user_add_issuance_and_its_state_comes_from_the_log() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    runtime().block_on(async {
        let s = env.service().await;
        let challenge = s.enrolment_challenge(&anna).unwrap();
        let (r, spki) = request(&s, &anna, &challenge, "Anna Kopec", "Anna Kopec").await;
        let id = r.unwrap().id;
        let size = s.checkpoint().await.unwrap().0;
        let certified = s
            .issue_enrolment(&id, 30, "admin (token 1)", false)
            .await
            .unwrap();
        assert_eq!(s.checkpoint().await.unwrap().0, size + 1, "one log entry");
        let der = pki::parse_certificate_pem(&certified.certificate).unwrap();
        let info = pki::CertInfo::from_der(&der).unwrap();
        assert_eq!(info.name.as_deref(), Some("Anna Kopec"));
        assert_eq!(info.public_key, spki[12..]);
        match s.enrolment(&id).await.unwrap().state {
            EnrolmentState::Issued(cert) => assert_eq!(cert.fingerprint, certified.fingerprint),
            other => panic!("{other:?}"),
        }
        // Decided once: neither issued again nor refused afterwards.
        let again = s
            .issue_enrolment(&id, 30, "admin", false)
            .await
            .unwrap_err();
        assert_eq!(again.code(), "enrolment_decided");
        let refuse = s.refuse_enrolment(&id, "admin", "nej").await.unwrap_err();
        assert_eq!(refuse.code(), "enrolment_decided");
        // A look-alike of a holder's name needs the confirmation, as in user add.
        // The second word all Cyrillic: one script per word, the same skeleton.
        let twin = "Anna \u{41A}\u{43E}\u{440}\u{435}\u{441}";
        let (r, _) = request(&s, &anna, &challenge, twin, twin).await;
        let lookalike = r.unwrap().id;
        let refused = s
            .issue_enrolment(&lookalike, 30, "admin", false)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "name_lookalike_unconfirmed", "{refused:?}");
        s.refuse_enrolment(&lookalike, "admin", "Samma person")
            .await
            .unwrap();
        match s.enrolment(&lookalike).await.unwrap().state {
            EnrolmentState::Refused { reason, .. } => assert_eq!(reason, "Samma person"),
            other => panic!("{other:?}"),
        }
        s.close().await;
    });
}

#[test]
fn a_request_row_changed_in_the_database_is_damaged_and_never_issued() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    let id = runtime().block_on(async {
        let s = env.service().await;
        let id = pending(&s, &anna).await;
        s.close().await;
        id
    });
    env.sql(&format!(
        "UPDATE enrolment_requests SET role = 'Kommundirektör' WHERE id = '{id}'"
    ));
    runtime().block_on(async {
        let s = env.service().await;
        assert!(matches!(
            s.enrolment(&id).await.unwrap().state,
            EnrolmentState::Damaged
        ));
        let e = s
            .issue_enrolment(&id, 30, "admin", false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "enrolment_damaged");
        s.close().await;
    });
}

#[test]
fn a_key_is_requested_once() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    runtime().block_on(async {
        let s = env.service().await;
        let challenge = s.enrolment_challenge(&anna).unwrap();
        let (spki, pair) = key();
        let (public_key_b64, proof_b64) = form(&challenge, &spki, &pair, "Anna Andersson");
        let f = EnrolmentForm {
            name: "Anna Andersson",
            role: "Direktör",
            public_key_b64: &public_key_b64,
            challenge: &challenge,
            proof_b64: &proof_b64,
        };
        s.request_certificate(&anna, &f).await.unwrap();
        let again = s.request_certificate(&anna, &f).await.unwrap_err();
        assert_eq!(again.code(), "enrolment_key_requested");
        assert_eq!(s.enrolments().await.unwrap().len(), 1);
        s.close().await;
    });
}

#[test]
fn a_refusal_erased_in_the_database_leaves_the_request_damaged() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    let id = runtime().block_on(async {
        let s = env.service().await;
        let id = pending(&s, &anna).await;
        s.refuse_enrolment(&id, "admin", "Koden stämde inte")
            .await
            .unwrap();
        s.close().await;
        id
    });
    env.sql(&format!(
        "UPDATE enrolment_requests SET refused_at = NULL, refused_by = NULL, refused_reason = NULL WHERE id = '{id}'"
    ));
    runtime().block_on(async {
        let s = env.service().await;
        assert!(matches!(
            s.enrolment(&id).await.unwrap().state,
            EnrolmentState::Damaged
        ));
        let e = s
            .issue_enrolment(&id, 30, "admin", false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "enrolment_damaged");
        s.close().await;
    });
}

#[test]
fn an_issuance_in_progress_cannot_be_refused_and_a_lapsed_claim_frees_the_request() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    let id = runtime().block_on(async {
        let s = env.service().await;
        let id = pending(&s, &anna).await;
        // Another administrator's "Utfärda" has claimed it and is certifying.
        let now = attestera::service::now().as_second();
        assert!(
            s.store()
                .claim_enrolment(&id, now, now - 300)
                .await
                .unwrap()
        );
        let e = s.refuse_enrolment(&id, "admin", "nej").await.unwrap_err();
        assert_eq!(e.code(), "enrolment_decided");
        let e = s
            .issue_enrolment(&id, 30, "admin", false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "enrolment_decided");
        s.close().await;
        id
    });
    // That issuance crashed an hour ago: its claim has lapsed.
    let hour_ago = attestera::service::now().as_second() - 3600;
    env.sql(&format!(
        "UPDATE enrolment_requests SET issuing_at = {hour_ago} WHERE id = '{id}'"
    ));
    runtime().block_on(async {
        let s = env.service().await;
        s.refuse_enrolment(&id, "admin", "nej").await.unwrap();
        s.close().await;
    });
}

#[test]
fn a_request_from_a_revoked_sign_in_code_is_not_issued() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    let id = runtime().block_on(async {
        let s = env.service().await;
        let id = pending(&s, &anna).await;
        s.close().await;
        id
    });
    env.ok(&["token", "revoke", &anna.token_id.to_string()]);
    runtime().block_on(async {
        let s = env.service().await;
        let e = s
            .issue_enrolment(&id, 30, "admin", false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "enrolment_sign_in_revoked");
        assert!(
            s.enrolment(&id).await.unwrap().is_pending(),
            "nothing issued"
        );
        s.close().await;
    });
}

#[test]
fn concurrent_requests_stop_at_the_pending_limit() {
    let env = Env::new();
    let anna = approver(&env, "anna");
    runtime().block_on(async {
        let s = std::sync::Arc::new(env.service().await);
        let challenge = s.enrolment_challenge(&anna).unwrap();
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (s, anna, challenge) = (s.clone(), anna.clone(), challenge.clone());
                tokio::spawn(async move {
                    request(&s, &anna, &challenge, "Anna Andersson", "Anna Andersson")
                        .await
                        .0
                        .map(|_| ())
                        .map_err(|e| e.code())
                })
            })
            .collect();
        let mut accepted = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => accepted += 1,
                Err(code) => assert_eq!(code, "enrolment_too_many"),
            }
        }
        assert_eq!(accepted, attestera::service::enrolment::MAX_PENDING);
        assert_eq!(s.enrolments().await.unwrap().len(), accepted);
    });
}

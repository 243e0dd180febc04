//! Signed-in sessions of the web pages. A member of staff signs in with the
//! token an administrator created ("inloggningskod"); the session is a row
//! in the database found by the SHA-256 of a random cookie value, and it
//! acts with that token's role for as long as the token stays valid. Each
//! row carries an HMAC (like token rows), so a row written into the database
//! by someone who cannot read the data directory signs no one in. The CSRF
//! token of a session is an HMAC of its cookie value: nothing more to store.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use super::access::Principal;
use super::{Service, ServiceError};
use crate::store::SessionRow;

/// How long a session lasts: after `idle_secs` without a request it ends,
/// and after `max_secs` it ends whatever happens.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_secs: i64,
    pub max_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_secs: 30 * 60,
            max_secs: 12 * 60 * 60,
        }
    }
}

/// A new session: the cookie value is shown to the browser once.
pub struct NewSession {
    pub cookie: zeroize::Zeroizing<String>,
    pub signed_in: SignedIn,
}

/// A valid session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    /// The token every state-changing form of this session must carry.
    pub csrf: String,
    /// Seconds until the session ends for inactivity.
    pub idle_secs_left: i64,
}

/// Length of a cookie value: 32 bytes in unpadded base64url.
const COOKIE_CHARS: usize = 43;

/// Activity is written at most this often (the store also skips fresh rows).
const TOUCH_AFTER_SECS: i64 = 60;

fn unix_now() -> i64 {
    super::now().as_second()
}

fn id_hash(cookie: &str) -> Vec<u8> {
    Sha256::digest(cookie.as_bytes()).to_vec()
}

fn well_formed(cookie: &str) -> bool {
    cookie.len() == COOKIE_CHARS
        && cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The keys of sessions and their CSRF tokens, derived from the token-row key.
pub(super) fn session_keys(token_key: &hmac::Key) -> (hmac::Key, hmac::Key) {
    let derive =
        |label: &[u8]| hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(token_key, label).as_ref());
    (
        derive(b"attestera-web-session-rows-v1"),
        derive(b"attestera-web-csrf-v1"),
    )
}

fn row_mac(key: &hmac::Key, id_hash: &[u8], token_id: i64, created_at: i64) -> Vec<u8> {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(&(id_hash.len() as u64).to_be_bytes());
    ctx.update(id_hash);
    ctx.update(&token_id.to_be_bytes());
    ctx.update(&created_at.to_be_bytes());
    ctx.sign().as_ref().to_vec()
}

fn equal(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

impl Service {
    fn csrf_of(&self, id_hash: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.csrf_key, id_hash).as_ref())
    }

    /// Signs in with a token; None when the code is no valid token.
    pub async fn sign_in(
        &self,
        code: &str,
        policy: SessionPolicy,
    ) -> Result<Option<NewSession>, ServiceError> {
        let Some(principal) = self.authenticate(code.trim()).await? else {
            return Ok(None);
        };
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| ServiceError::NoRandomness)?;
        let cookie = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.encode(secret));
        let now = unix_now();
        let hash = id_hash(&cookie);
        // Ended sessions are cleared when someone signs in: no timer needed.
        self.store()
            .purge_sessions(now.saturating_sub(policy.idle_secs))
            .await?;
        let row = SessionRow {
            mac: row_mac(&self.session_key, &hash, principal.token_id, now),
            id_hash: hash,
            token_id: principal.token_id,
            created_at: now,
            last_seen: now,
        };
        self.store().insert_session(&row).await?;
        let csrf = self.csrf_of(&row.id_hash);
        Ok(Some(NewSession {
            cookie,
            signed_in: SignedIn {
                principal,
                csrf,
                idle_secs_left: policy.idle_secs,
            },
        }))
    }

    /// The session a cookie names, if it is valid, its token still active,
    /// and it has not ended; records the activity.
    pub async fn session(
        &self,
        cookie: &str,
        policy: SessionPolicy,
    ) -> Result<Option<SignedIn>, ServiceError> {
        if !well_formed(cookie) {
            return Ok(None);
        }
        let hash = id_hash(cookie);
        let Some(row) = self.store().session(&hash).await? else {
            return Ok(None);
        };
        let want = row_mac(
            &self.session_key,
            &row.id_hash,
            row.token_id,
            row.created_at,
        );
        if !equal(&want, &row.mac) {
            tracing::warn!(
                token_id = row.token_id,
                "session row fails its check; refused"
            );
            return Ok(None);
        }
        let now = unix_now();
        let idle = now.saturating_sub(row.last_seen);
        let age = now.saturating_sub(row.created_at);
        if idle > policy.idle_secs || age > policy.max_secs || idle < 0 {
            self.store().delete_session(&hash).await?;
            return Ok(None);
        }
        let Some(principal) = self.principal_of_token(row.token_id).await? else {
            self.store().delete_session(&hash).await?;
            return Ok(None);
        };
        if idle >= TOUCH_AFTER_SECS {
            self.store().touch_session(&hash, now).await?;
        }
        Ok(Some(SignedIn {
            principal,
            csrf: self.csrf_of(&hash),
            idle_secs_left: policy.idle_secs,
        }))
    }

    /// Whether `presented` is the CSRF token of the session `cookie` names.
    pub fn csrf_matches(&self, cookie: &str, presented: &str) -> bool {
        well_formed(cookie)
            && equal(
                self.csrf_of(&id_hash(cookie)).as_bytes(),
                presented.as_bytes(),
            )
    }

    /// Ends a session (signing out); an unknown cookie is no error.
    pub async fn sign_out(&self, cookie: &str) -> Result<(), ServiceError> {
        if well_formed(cookie) {
            self.store().delete_session(&id_hash(cookie)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cookie_values_of_the_issued_form_are_looked_up() {
        assert!(well_formed(&"A".repeat(43)));
        for bad in [
            "",
            "short",
            &"A".repeat(44),
            &format!("{}=", "A".repeat(42)),
            &format!("{};", "A".repeat(42)),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn a_row_check_covers_the_token_and_the_time() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let m = row_mac(&key, b"h", 1, 100);
        assert_ne!(m, row_mac(&key, b"h", 2, 100));
        assert_ne!(m, row_mac(&key, b"h", 1, 101));
        assert_ne!(m, row_mac(&key, b"i", 1, 100));
    }
}

//! Signing in and out of the web pages, and the extractors that give a page
//! its visitor: [`Visitor`] (anyone, perhaps signed in) and [`Staff`] (signed
//! in with a role). The session itself is the service's (`service::sessions`);
//! here it is only carried in a cookie that is HttpOnly, SameSite=Strict,
//! Secure when the service is reached over TLS, and scoped to the whole site.

use std::marker::PhantomData;

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::form::{self, WebForm};
use super::page::{self, Chrome, FieldError};
use crate::http::AppState;
use crate::http::auth::Needs;
use crate::service::sessions::SignedIn;

/// The session cookie's name. The `__Host-` prefix (which needs Secure) is
/// used when the service is reached over TLS.
const COOKIE: &str = "attestera_session";
const SECURE_COOKIE: &str = "__Host-attestera_session";

/// The name of the session cookie: behind TLS only the `__Host-` one, which
/// a sibling site or a plain-HTTP attacker cannot plant.
fn cookie_name(state: &AppState) -> &'static str {
    if state.config.behind_tls {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// The session cookie's value, if the request carries one.
pub fn cookie_value(headers: &HeaderMap, state: &AppState) -> Option<String> {
    find_cookie(headers, cookie_name(state))
}

fn find_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}

fn set_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let name = cookie_name(state);
    let secure = if state.config.behind_tls {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={max_age}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whoever asks for a page: signed in or not. A session that has ended is
/// simply no session.
pub struct Visitor {
    pub signed_in: Option<SignedIn>,
}

impl Visitor {
    pub fn who(&self) -> Option<&SignedIn> {
        self.signed_in.as_ref()
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(cookie) = cookie_value(&parts.headers, state) else {
            return Ok(Visitor { signed_in: None });
        };
        match state.service.session(&cookie, state.config.sessions).await {
            Ok(signed_in) => Ok(Visitor { signed_in }),
            Err(e) => {
                tracing::error!(error = %e, "a session could not be read");
                Err(page::server_error(None))
            }
        }
    }
}

/// Lets a request to a public page through when reads are open, or when
/// it comes from someone signed in; anyone else is sent to "Logga in".
pub async fn reads_open(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if s.config.public_reads {
        return next.run(req).await;
    }
    let signed_in = match cookie_value(req.headers(), &s) {
        Some(cookie) => match s.service.session(&cookie, s.config.sessions).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "a session could not be read");
                return page::server_error(None);
            }
        },
        None => false,
    };
    if signed_in {
        next.run(req).await
    } else {
        to_sign_in(req.uri())
    }
}

/// Sends the browser to "Logga in", to come back to `uri` afterwards.
fn to_sign_in(uri: &axum::http::Uri) -> Response {
    let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let query = serde_urlencoded::to_string([("tillbaka", back)]).unwrap_or_default();
    page::see_other(&format!("/logga-in?{query}"))
}

/// A signed-in member of staff whose role allows `N`'s. Someone signed out
/// is sent to "Logga in" and back; a wrong role gets a page that says so.
pub struct Staff<N>(pub SignedIn, pub PhantomData<N>);

impl<N: Needs> FromRequestParts<AppState> for Staff<N> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.signed_in {
            None => Err(to_sign_in(&parts.uri)),
            Some(s) if s.principal.role.allows(N::ROLE) => Ok(Staff(s, PhantomData)),
            Some(s) => Err(page::message(
                StatusCode::FORBIDDEN,
                Some(&s),
                "Du saknar behörighet",
                format!(
                    "Sidan kräver rollen {}. Du är inloggad som {}.",
                    page::role_words(N::ROLE),
                    page::role_words(s.principal.role)
                ),
            )),
        }
    }
}

/// A form sent by signed-in staff with role `N`, its CSRF token checked.
/// The body may still be unreadable (too large, too slow): the page shows
/// that on the form, so it is a `Result` here.
pub struct StaffForm<N> {
    pub signed_in: SignedIn,
    pub form: Result<WebForm, form::FormError>,
    _role: PhantomData<N>,
}

impl<N: Needs> axum::extract::FromRequest<AppState> for StaffForm<N> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Staff(signed_in, _) = Staff::<N>::from_request_parts(&mut parts, state).await?;
        let cookie = cookie_value(&parts.headers, state).unwrap_or_default();
        let form = form::read(Request::from_parts(parts, body), state).await;
        if let Ok(f) = &form
            && !state.service.csrf_matches(&cookie, f.text("_csrf"))
        {
            return Err(expired_form(Some(&signed_in)));
        }
        Ok(StaffForm {
            signed_in,
            form,
            _role: PhantomData,
        })
    }
}

/// The answer to a form whose CSRF token is missing or not this session's.
pub fn expired_form(who: Option<&SignedIn>) -> Response {
    page::message(
        StatusCode::FORBIDDEN,
        who,
        "Formuläret har gått ut",
        "Formuläret hörde inte till din inloggning (den kan ha gått ut). Gå tillbaka, ladda om sidan och försök igen.",
    )
}

#[derive(Template)]
#[template(path = "login.html", config = "src/http/web/askama.toml")]
pub struct LoginPage {
    pub chrome: Chrome,
    /// Where to go after signing in (a path on this site).
    pub back: String,
    pub idle_minutes: i64,
}

/// Only a path of this site is a place to go back to (no open redirect): it
/// begins with one `/`, and has no backslash, space or control character
/// (browsers drop tabs and newlines, so `/\t/evil` would become `//evil`).
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b)
            if b.starts_with('/')
                && !b[1..].starts_with(['/', '\\'])
                && !b
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            b.into()
        }
        _ => "/".into(),
    }
}

#[derive(serde::Deserialize)]
pub struct BackQuery {
    tillbaka: Option<String>,
}

pub async fn login_form(
    State(s): State<AppState>,
    visitor: Visitor,
    axum::extract::Query(query): axum::extract::Query<BackQuery>,
) -> Response {
    let back = safe_back(query.tillbaka.as_deref());
    let page = LoginPage {
        chrome: Chrome::new("Logga in", "/logga-in", visitor.who()),
        back,
        idle_minutes: s.config.sessions.idle_secs / 60,
    };
    page::html(&page)
}

pub async fn login(State(s): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let form = match form::read(req, &s).await {
        Ok(f) => f,
        Err(e) => return login_error(&s, "/", e.to_string()),
    };
    let back = safe_back(Some(form.text("tillbaka")));
    let code = form.text("kod");
    if code.trim().is_empty() {
        return login_error(&s, &back, "Skriv din inloggningskod.".into());
    }
    // A new sign-in never continues a session the browser brought along.
    if let Some(old) = cookie_value(&headers, &s)
        && let Err(e) = s.service.sign_out(&old).await
    {
        tracing::error!(error = %e, "an earlier session could not be ended");
    }
    match s.service.sign_in(code, s.config.sessions).await {
        Ok(Some(new)) => {
            let mut r = page::see_other(&back);
            r.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&s, &new.cookie, s.config.sessions.max_secs),
            );
            r
        }
        Ok(None) => login_error(
            &s,
            &back,
            "Inloggningskoden gäller inte. Kontrollera att du skrev av hela koden, eller be en administratör om en ny.".into(),
        ),
        Err(e) => login_error(&s, &back, page::service_error(&e).1),
    }
}

fn login_error(s: &AppState, back: &str, message: String) -> Response {
    let page = LoginPage {
        chrome: Chrome::new("Logga in", "/logga-in", None).with_errors(vec![FieldError {
            field: "kod",
            message,
        }]),
        back: back.into(),
        idle_minutes: s.config.sessions.idle_secs / 60,
    };
    page::html_status(StatusCode::UNAUTHORIZED, &page)
}

pub async fn logout(State(s): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let cookie = cookie_value(&headers, &s).unwrap_or_default();
    let form = form::read(req, &s).await;
    let csrf_ok = form
        .as_ref()
        .is_ok_and(|f| s.service.csrf_matches(&cookie, f.text("_csrf")));
    if !csrf_ok {
        return expired_form(None);
    }
    if let Err(e) = s.service.sign_out(&cookie).await {
        tracing::error!(error = %e, "a session could not be ended");
        return page::server_error(None);
    }
    let mut r = page::message(
        StatusCode::OK,
        None,
        "Du är utloggad",
        "Du har loggat ut. Stäng webbläsaren om du använder en dator som andra också använder.",
    );
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&s, "", 0));
    r
}

/// Keeps a session alive (the "Fortsätt vara inloggad" button of the
/// inactivity warning): reading the session is the activity.
pub async fn keep_alive(State(s): State<AppState>, req: Request) -> Response {
    let cookie = cookie_value(req.headers(), &s).unwrap_or_default();
    let csrf = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if !s.service.csrf_matches(&cookie, &csrf) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match s.service.session(&cookie, s.config.sessions).await {
        Ok(Some(_)) => StatusCode::NO_CONTENT.into_response(),
        Ok(None) => StatusCode::UNAUTHORIZED.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_gone_back_to() {
        assert_eq!(safe_back(Some("/dokument?dnr=1")), "/dokument?dnr=1");
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil",
            "evil",
        ] {
            assert_eq!(safe_back(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_back(None), "/");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; attestera_session=abc; b=2"),
        );
        assert_eq!(find_cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(
            find_cookie(&h, SECURE_COOKIE),
            None,
            "behind TLS only the __Host- cookie counts"
        );
    }
}

//! The service's own extractors for bodies, JSON, query strings and paths:
//! every rejection is a problem document with a Swedish `detail` that names
//! the problem (never the framework's English), and a body is read only
//! within the size limit and the body deadline.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use super::AppState;
use super::problem::Problem;
use crate::messages::{JsonProblem, PathProblem, QueryProblem, RequestProblem};

/// A request body, read whole: at most `body_limit` bytes, within
/// `body_timeout`. A body sent as `Content-Type: application/pdf` must be
/// a PDF (any other body is sniffed by the service).
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        let claim = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(crate::service::Claim::of_media_type)
            .unwrap_or_default();
        let body = read_body(req, state).await?;
        claim.check(&body).map_err(Problem::from)?;
        Ok(RawBody(body))
    }
}

fn too_large(limit: usize) -> Problem {
    Problem::request(
        StatusCode::PAYLOAD_TOO_LARGE,
        RequestProblem::BodyOverLimit { limit },
    )
}

/// Refuses an announced length over the limit before reading anything.
async fn read_body(req: Request, state: &AppState) -> Result<Bytes, Problem> {
    let limit = state.config.body_limit;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let body = Limited::new(req.into_body(), limit);
    match tokio::time::timeout(state.config.body_timeout, body.collect()).await {
        Err(_) => Err(Problem::request(
            StatusCode::REQUEST_TIMEOUT,
            RequestProblem::BodyTimeout {
                secs: state.config.body_timeout.as_secs(),
            },
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Ok(Err(_)) => Err(Problem::request(
            StatusCode::BAD_REQUEST,
            RequestProblem::BodyUnreadable,
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A JSON body (`Content-Type: application/json`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        require_json(&req)?;
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be left out (an empty body).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<AppState> for OptionalJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        if has_type {
            require_json(&req)?;
        }
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJson(None));
        }
        if !has_type {
            return Err(not_json());
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

fn not_json() -> Problem {
    Problem::request(StatusCode::UNSUPPORTED_MEDIA_TYPE, RequestProblem::NotJson)
}

fn require_json(req: &Request) -> Result<(), Problem> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if is_json { Ok(()) } else { Err(not_json()) }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => {
                field_problem(&e.to_string()).unwrap_or(JsonProblem::WrongValue)
            }
            serde_json::error::Category::Eof => JsonProblem::Eof,
            _ => JsonProblem::Syntax,
        };
        let (line, column) = (e.line(), e.column());
        Problem::request(
            StatusCode::BAD_REQUEST,
            RequestProblem::Json { what, line, column },
        )
    })
}

/// A serde message about a named field (serde's wording of
/// `missing_field`, `unknown_field` and `duplicate_field` is fixed).
fn field_problem(message: &str) -> Option<JsonProblem> {
    let name = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(super::printable_name)
    };
    if let Some(n) = name("missing field `") {
        Some(JsonProblem::MissingField(n))
    } else if let Some(n) = name("unknown field `") {
        Some(JsonProblem::UnknownField(n))
    } else {
        name("duplicate field `").map(JsonProblem::DuplicateField)
    }
}

/// A query string, checked before it is read: no control characters (a NUL
/// must not turn a filter into "match everything"), no empty or repeated
/// parameters, no unknown ones (the target types deny them).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let raw = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        check_pairs(&pairs)?;
        serde_urlencoded::from_str::<T>(raw)
            .map(ApiQuery)
            .map_err(|e| query_problem::<T>(&e.to_string(), &pairs))
    }
}

fn invalid_query(q: QueryProblem) -> Problem {
    Problem::request(StatusCode::BAD_REQUEST, RequestProblem::Query(q))
}

fn check_pairs(pairs: &[(String, String)]) -> Result<(), Problem> {
    for (i, (k, v)) in pairs.iter().enumerate() {
        let name = super::printable_name(k);
        if k.chars().chain(v.chars()).any(forbidden_in_query) {
            return Err(invalid_query(QueryProblem::Control(name)));
        }
        if v.trim().is_empty() {
            return Err(invalid_query(QueryProblem::Empty(name)));
        }
        if pairs[..i].iter().any(|(earlier, _)| earlier == k) {
            return Err(invalid_query(QueryProblem::Repeated(name)));
        }
    }
    Ok(())
}

/// Control characters, and U+FFFD, which stands for bytes that were not UTF-8.
fn forbidden_in_query(c: char) -> bool {
    c.is_control() || c == '\u{FFFD}'
}

/// Names the parameter that could not be read: serde names unknown and
/// missing ones; for a bad value, the one parameter that fails alone.
fn query_problem<T: DeserializeOwned>(message: &str, pairs: &[(String, String)]) -> Problem {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = super::printable_name(rest.split('`').next().unwrap_or_default());
        return invalid_query(QueryProblem::Unknown(name));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = super::printable_name(rest.split('`').next().unwrap_or_default());
        return invalid_query(QueryProblem::Missing(name));
    }
    let culprit = pairs.iter().find(|(k, v)| {
        let alone = serde_urlencoded::to_string([(k, v)]).unwrap_or_default();
        serde_urlencoded::from_str::<T>(&alone)
            .err()
            .is_some_and(|e| !e.to_string().starts_with("missing field"))
    });
    match culprit {
        Some((k, v)) => invalid_query(QueryProblem::BadValue {
            name: super::printable_name(k),
            value: super::printable_name(v),
        }),
        None => invalid_query(QueryProblem::Unreadable),
    }
}

/// A path parameter that must parse (an index is a whole number from 0).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let what = match e.kind() {
                    ErrorKind::ParseError { value, .. }
                    | ErrorKind::ParseErrorAtKey { value, .. }
                    | ErrorKind::ParseErrorAtIndex { value, .. } => {
                        PathProblem::NotIndex(super::printable_name(value))
                    }
                    ErrorKind::InvalidUtf8InPathParam { .. } => PathProblem::NotUtf8,
                    _ => PathProblem::Unreadable,
                };
                Err(Problem::request(
                    StatusCode::BAD_REQUEST,
                    RequestProblem::Path(what),
                ))
            }
            Err(_) => Err(Problem::request(
                StatusCode::BAD_REQUEST,
                RequestProblem::Path(PathProblem::Unreadable),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        old: u64,
        name: Option<String>,
    }

    fn problem_for(query: &str) -> Problem {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if let Err(p) = check_pairs(&pairs) {
            return p;
        }
        let e = serde_urlencoded::from_str::<Q>(query).expect_err("refused");
        query_problem::<Q>(&e.to_string(), &pairs)
    }

    #[test]
    fn query_problems_name_the_parameter_in_swedish() {
        for (query, named) in [
            ("old=x", "Parametern old har ett ogiltigt värde \"x\""),
            ("old=1&nme=a", "Okänd parameter nme."),
            ("name=a", "Parametern old saknas."),
            (
                "old=1&name=a%00",
                "Parametern name innehåller ett styrtecken",
            ),
            ("old=1&name=%FF", "ogiltig UTF-8"),
            ("old=1&name=", "Parametern name är tom"),
            ("old=1&old=2", "Parametern old anges flera gånger."),
        ] {
            let p = problem_for(query);
            assert_eq!((p.status, p.code), (400, "invalid_query"), "{query}");
            assert!(p.detail.contains(named), "{query}: {}", p.detail);
        }
    }

    #[test]
    fn json_field_problems_are_swedish() {
        let e = serde_json::from_str::<Q>("{}").unwrap_err();
        let said = field_problem(&e.to_string()).map(|p| crate::messages::sv::json_problem(&p));
        assert_eq!(said.as_deref(), Some("fältet old saknas"));
        let e = serde_json::from_str::<Q>("{\"old\":1,\"x\":2}").unwrap_err();
        let said = field_problem(&e.to_string()).map(|p| crate::messages::sv::json_problem(&p));
        assert_eq!(said.as_deref(), Some("okänt fält x"));
    }
}

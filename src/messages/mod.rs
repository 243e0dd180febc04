//! People's text in one place. The core and the service return codes and
//! typed values; a [`Catalogue`] turns them into sentences, so the CLI, the
//! API's problem details and the web pages say the same thing the same way.
//! Swedish ([`sv::Swedish`]) is the one catalogue today; a second language
//! is one more type implementing [`Catalogue`].

pub mod sv;

use attestera_core::document::block::BlockError;
use attestera_core::document::canonical::TextError;
use attestera_core::entry::EntryError;
use attestera_core::logtime::TimeError;
use attestera_core::pki::{NameError, PkiError};
use attestera_core::rules::{InvalidValue, Refusal};
use attestera_core::statement::{FieldError, StatementError};
use attestera_core::verdict::Problem;

use crate::service::{ConfigError, ServiceError};

/// What the HTTP edge itself refuses, before any use case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestProblem {
    Unauthorized,
    Forbidden {
        needed: String,
    },
    NotFound,
    MethodNotAllowed,
    BodyTooLarge,
    Timeout,
    UnsupportedMediaType,
    Invalid,
    UriTooLong {
        bytes: usize,
        max: usize,
    },
    HeadersTooLarge {
        fields: usize,
        bytes: usize,
        max_fields: usize,
        max_bytes: usize,
    },
    TooManyConnections,
    BodyOverLimit {
        limit: usize,
    },
    BodyTimeout {
        secs: u64,
    },
    BodyUnreadable,
    /// A JSON route's body without `Content-Type: application/json`.
    NotJson,
    Json {
        what: JsonProblem,
        line: usize,
        column: usize,
    },
    Query(QueryProblem),
    Path(PathProblem),
}

/// What is wrong with a JSON body (names already made printable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    MissingField(String),
    UnknownField(String),
    DuplicateField(String),
    WrongValue,
    Eof,
    Syntax,
}

/// What is wrong with a query string (names and values already made printable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    Control(String),
    Empty(String),
    Repeated(String),
    Unknown(String),
    Missing(String),
    BadValue { name: String, value: String },
    Unreadable,
}

/// What is wrong with a path parameter (values already made printable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    NotIndex(String),
    NotUtf8,
    Unreadable,
}

impl RequestProblem {
    /// Stable English code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestProblem::Unauthorized => "unauthorized",
            RequestProblem::Forbidden { .. } => "forbidden",
            RequestProblem::NotFound => "not_found",
            RequestProblem::MethodNotAllowed => "method_not_allowed",
            RequestProblem::BodyTooLarge => "body_too_large",
            RequestProblem::Timeout => "timeout",
            RequestProblem::UnsupportedMediaType => "unsupported_media_type",
            RequestProblem::Invalid => "invalid_request",
            RequestProblem::UriTooLong { .. } => "uri_too_long",
            RequestProblem::HeadersTooLarge { .. } => "headers_too_large",
            RequestProblem::TooManyConnections => "too_many_connections",
            RequestProblem::BodyOverLimit { .. } => "body_too_large",
            RequestProblem::BodyTimeout { .. } => "body_timeout",
            RequestProblem::BodyUnreadable => "body_unreadable",
            RequestProblem::NotJson => "unsupported_media_type",
            RequestProblem::Json { .. } => "invalid_json",
            RequestProblem::Query(_) => "invalid_query",
            RequestProblem::Path(_) => "invalid_path",
        }
    }
}
use crate::store::StoreError;

/// Every sentence attestera says about an error, in one language.
pub trait Catalogue: Sync {
    fn service(&self, e: &ServiceError) -> String;
    fn config(&self, e: &ConfigError) -> String;
    fn store(&self, e: &StoreError) -> String;
    fn text(&self, e: &TextError) -> String;
    fn block(&self, e: &BlockError) -> String;
    fn pki(&self, e: &PkiError) -> String;
    fn name(&self, e: &NameError) -> String;
    fn field(&self, e: &FieldError) -> String;
    fn statement(&self, e: &StatementError) -> String;
    fn entry(&self, e: &EntryError) -> String;
    fn refusal(&self, e: &Refusal) -> String;
    fn invalid(&self, e: &InvalidValue) -> String;
    fn time(&self, e: &TimeError) -> String;
    fn problem(&self, p: &Problem) -> String;
    fn request(&self, p: &RequestProblem) -> String;
    /// Why a file operation failed, for the common kinds; the OS text otherwise.
    fn io_reason(&self, e: &std::io::Error) -> String;
    /// Why a write to the database's filesystem was refused.
    fn write_refused(&self, e: &std::io::Error) -> String;
    /// What a caller of the API is told when storage failed (the details are
    /// logged, never sent).
    fn storage_failed(&self) -> String;
    /// Why a write failed when the database's own text is all there is (it
    /// is logged, not repeated to callers).
    fn database_failed(&self) -> String;
}

/// The catalogue used where no language is asked for.
pub fn default() -> &'static dyn Catalogue {
    &sv::Swedish
}

/// The words the verdict is said in where no language is asked for.
pub fn words() -> &'static dyn attestera_core::verdict::Words {
    &sv::Swedish
}

/// Something with a sentence in every catalogue.
pub trait Message {
    fn render(&self, c: &dyn Catalogue) -> String;
}

/// The sentence for `m` in the default catalogue.
pub fn say<M: Message + ?Sized>(m: &M) -> String {
    m.render(default())
}

macro_rules! message {
    ($($ty:ty => $method:ident),* $(,)?) => {
        $(impl Message for $ty {
            fn render(&self, c: &dyn Catalogue) -> String {
                c.$method(self)
            }
        })*
    };
}

message!(
    ServiceError => service,
    ConfigError => config,
    StoreError => store,
    TextError => text,
    BlockError => block,
    PkiError => pki,
    NameError => name,
    FieldError => field,
    StatementError => statement,
    EntryError => entry,
    Refusal => refusal,
    InvalidValue => invalid,
    TimeError => time,
    Problem => problem,
    RequestProblem => request,
);

#[cfg(test)]
mod tests;

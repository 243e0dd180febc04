//! Reading a form a page sent: `application/x-www-form-urlencoded` or
//! `multipart/form-data` (file uploads), within the same body limit and
//! body deadline as the API. Whatever goes wrong is a [`FormError`] with a
//! Swedish sentence for the form's error summary; nothing is half-read.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::http::AppState;

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    /// The file's name as the browser gave it (shown only escaped).
    pub filename: String,
    pub bytes: Bytes,
}

/// A form's fields and files.
#[derive(Debug, Clone, Default)]
pub struct WebForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl WebForm {
    /// The text of field `name`, or "" when it was not sent.
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The files sent in field `name` that are not empty (a file field left
    /// empty is sent as a nameless empty part).
    pub fn files(&self, name: &str) -> impl Iterator<Item = &Upload> {
        self.files
            .iter()
            .filter(move |f| f.field == name && !(f.filename.is_empty() && f.bytes.is_empty()))
    }

    /// The first file of field `name`.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files(name).next()
    }
}

/// Why a form could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FormError {
    #[error("Filen är för stor. Största tillåtna storlek är {}.", mib(*.limit))]
    TooLarge { limit: usize },
    #[error("Det tog för lång tid att ta emot formuläret (mer än {secs} sekunder). Försök igen.")]
    TooSlow { secs: u64 },
    #[error("Formuläret kunde inte läsas. Ladda om sidan och försök igen.")]
    Unreadable,
}

/// A size in whole MiB when it is one, else in KiB, in Swedish.
pub fn mib(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// At most this much of a body over the limit is read and thrown away, so
/// that the browser gets the page that says why instead of a broken connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

pub async fn read(req: Request, state: &AppState) -> Result<WebForm, FormError> {
    let limit = state.config.body_limit;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = read_limited(req, state, limit).await?;
    if content_type.starts_with("multipart/form-data") {
        multipart(&content_type, bytes).await
    } else {
        let fields = form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(WebForm {
            fields,
            files: Vec::new(),
        })
    }
}

async fn read_limited(req: Request, state: &AppState, limit: usize) -> Result<Bytes, FormError> {
    let deadline = state.config.body_timeout;
    let too_slow = FormError::TooSlow {
        secs: deadline.as_secs(),
    };
    let body = Limited::new(req.into_body(), limit.saturating_add(DRAIN_LIMIT));
    let collected = tokio::time::timeout(deadline, body.collect())
        .await
        .map_err(|_| too_slow)?;
    match collected {
        Ok(c) => {
            let bytes = c.to_bytes();
            if bytes.len() > limit {
                Err(FormError::TooLarge { limit })
            } else {
                Ok(bytes)
            }
        }
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(FormError::TooLarge { limit })
        }
        Err(_) => Err(FormError::Unreadable),
    }
}

async fn multipart(content_type: &str, bytes: Bytes) -> Result<WebForm, FormError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| FormError::Unreadable)?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut form = WebForm::default();
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|_| FormError::Unreadable)?
    {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(|_| FormError::Unreadable)?;
        match filename {
            Some(filename) => form.files.push(Upload {
                field: name,
                filename,
                bytes: data,
            }),
            None => {
                let text = String::from_utf8(data.to_vec()).map_err(|_| FormError::Unreadable)?;
                form.fields.push((name, text));
            }
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_said_in_units_people_know() {
        assert_eq!(mib(20 * 1024 * 1024), "20 MiB");
        assert_eq!(mib(1000), "1 KiB");
        assert_eq!(mib(1536 * 1024), "1536 KiB");
    }

    #[tokio::test]
    async fn a_multipart_form_gives_its_fields_and_files() {
        let body = "--X\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n--X\r\nContent-Disposition: form-data; name=\"dokument\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nHej\r\n--X\r\nContent-Disposition: form-data; name=\"dokument\"; filename=\"\"\r\n\r\n\r\n--X--\r\n";
        let f = multipart("multipart/form-data; boundary=X", Bytes::from(body))
            .await
            .unwrap();
        assert_eq!(f.text("_csrf"), "abc");
        assert_eq!(f.files("dokument").count(), 1);
        assert_eq!(&f.file("dokument").unwrap().bytes[..], b"Hej");
        assert_eq!(f.text("saknas"), "");
    }
}

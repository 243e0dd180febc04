//! Reading a form a page sent: `application/x-www-form-urlencoded` or
//! `multipart/form-data` (file uploads), within the same body limit and
//! body deadline as the API. Whatever goes wrong is a [`FormError`] with a
//! Swedish sentence for the form's error summary; nothing is half-read.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use http_body_util::BodyExt;

use crate::http::AppState;
use crate::service::{Claim, ServiceError};

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    /// The file's name as the browser gave it (shown only escaped).
    pub filename: String,
    /// The part's `Content-Type` as the browser gave it ("" when none).
    pub content_type: String,
    pub bytes: Bytes,
}

impl Upload {
    /// What the browser says the file is, by its name or its content type:
    /// a file named `.pdf` or sent as `application/pdf` is said to be a PDF.
    pub fn claim(&self) -> Claim {
        match Claim::of_name(&self.filename) {
            Claim::Pdf => Claim::Pdf,
            Claim::Unknown => Claim::of_media_type(&self.content_type),
        }
    }

    /// The service's check of that claim: a file said to be a PDF must be
    /// one (`not_pdf`); the bytes decide everything else.
    pub fn check_claim(&self) -> Result<(), ServiceError> {
        self.claim().check(&self.bytes)
    }
}

/// A file name as a page shows it: no control characters, at most 200
/// characters, and words for a file without a name.
pub fn shown_name(name: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() {
        "(fil utan namn)".into()
    } else {
        name
    }
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
    #[error("Det du skickade är för stort. Största tillåtna storlek är {}.", mib(*.limit))]
    TooLarge { limit: usize },
    #[error("Det tog för lång tid att ta emot formuläret (mer än {secs} sekunder). Försök igen.")]
    TooSlow { secs: u64 },
    #[error("Formuläret kunde inte läsas. Ladda om sidan och försök igen.")]
    Unreadable,
}

impl FormError {
    /// The status of the page that shows this error.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            FormError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            FormError::TooSlow { .. } => StatusCode::REQUEST_TIMEOUT,
            FormError::Unreadable => StatusCode::BAD_REQUEST,
        }
    }
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

/// Reads at most `limit` bytes of the body into memory. A body announced
/// as larger than can be drained is refused at once; a larger one that
/// was not announced is read on and thrown away up to [`DRAIN_LIMIT`]
/// more, frame by frame, so the browser gets the page that says why.
async fn read_limited(req: Request, state: &AppState, limit: usize) -> Result<Bytes, FormError> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let drain_to = limit.saturating_add(DRAIN_LIMIT);
    if announced.is_some_and(|n| n > drain_to as u64) {
        return Err(FormError::TooLarge { limit });
    }
    let deadline = state.config.body_timeout;
    let reading = async {
        let mut body = req.into_body();
        let mut kept = Vec::new();
        let mut seen: usize = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| FormError::Unreadable)?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            seen = seen.saturating_add(data.len());
            if seen > drain_to {
                return Err(FormError::TooLarge { limit });
            }
            if seen <= limit {
                kept.extend_from_slice(&data);
            }
        }
        if seen > limit {
            Err(FormError::TooLarge { limit })
        } else {
            Ok(Bytes::from(kept))
        }
    };
    tokio::time::timeout(deadline, reading)
        .await
        .map_err(|_| FormError::TooSlow {
            secs: deadline.as_secs(),
        })?
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
        let content_type = field
            .content_type()
            .map(|m| m.essence_str().to_string())
            .unwrap_or_default();
        let data = field.bytes().await.map_err(|_| FormError::Unreadable)?;
        match filename {
            Some(filename) => form.files.push(Upload {
                field: name,
                filename,
                content_type,
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
    fn file_names_are_shown_bounded_and_without_control_characters() {
        assert_eq!(shown_name("a\u{0}b\r\n.txt"), "ab.txt");
        assert_eq!(shown_name(""), "(fil utan namn)");
        assert_eq!(shown_name(&"x".repeat(1000)).chars().count(), 200);
    }

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
        assert_eq!(f.file("dokument").unwrap().content_type, "text/plain");
    }

    fn upload(filename: &str, content_type: &str, bytes: &'static [u8]) -> Upload {
        Upload {
            field: "dokument".into(),
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: Bytes::from_static(bytes),
        }
    }

    #[test]
    fn a_file_named_or_sent_as_a_pdf_must_be_one() {
        let pdf: &[u8] = b"%PDF-1.7\n%%EOF\n";
        for (name, ct) in [
            ("x.pdf", ""),
            ("X.PDF", "text/plain"),
            ("x.txt", "application/pdf"),
            ("x", "application/pdf; charset=binary"),
        ] {
            let said = upload(name, ct, b"Hej\n");
            assert_eq!(said.claim(), Claim::Pdf, "{name} {ct}");
            let e = said.check_claim().unwrap_err();
            assert_eq!(e.code(), "not_pdf", "{name} {ct}");
            assert!(upload(name, ct, pdf).check_claim().is_ok(), "{name} {ct}");
        }
        let text = upload("x.txt", "text/plain", b"Hej\n");
        assert_eq!(text.claim(), Claim::Unknown);
        assert!(text.check_claim().is_ok());
        assert!(upload("x.txt", "", pdf).check_claim().is_ok());
    }
}

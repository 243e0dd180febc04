//! The auditors' signature log.

use attestera_core::Hash;
use serde::{Deserialize, Serialize};

/// One row of the signature log: who approved what, when, in which role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRow {
    pub log_index: u64,
    pub name: String,
    pub role: String,
    #[schema(format = Date)]
    pub date: String,
    pub kind: String,
    pub title: Option<String>,
    pub dnr: Option<String>,
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub document: Hash,
}

/// The signature log as CSV that Excel opens as it is: UTF-8 with a BOM and,
/// as Swedish settings expect, semicolons between cells.
pub fn to_csv(rows: &[SignatureRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record([
        "loggpost", "namn", "roll", "datum", "typ", "titel", "dnr", "dokument",
    ])?;
    for r in rows {
        let cells = [
            r.log_index.to_string(),
            r.name.clone(),
            r.role.clone(),
            r.date.clone(),
            r.kind.clone(),
            r.title.clone().unwrap_or_default(),
            r.dnr.clone().unwrap_or_default(),
            r.document.to_hex(),
        ];
        w.write_record(cells.iter().map(|c| spreadsheet_safe(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Keeps a spreadsheet from reading a cell as a formula (CSV injection).
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

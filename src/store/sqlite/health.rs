//! Whether the database can be written, and why not, in Swedish: the
//! readiness check asks the filesystem, and a failed append is explained by
//! the same probe, because SQLite reports a full disk or a write-protected
//! file only as a generic I/O error once the write has failed.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::StoreError;

/// Free space the probe asks for: room for a batch of entries and its checkpoint.
pub const PROBE_BYTES: usize = 64 * 1024;

/// Checks that `PROBE_BYTES` can be written and synced in the database's
/// directory (the probe file is removed again): a full disk, a quota, a
/// read-only filesystem or a write-protected directory shows here.
///
/// It never opens the database or its WAL: closing any descriptor of a
/// file drops every POSIX lock the process holds on it, SQLite's included
/// (SQLite's "How To Corrupt An SQLite Database File", §2.2), and another
/// process would then take itself for the last connection and remove the
/// WAL under this one, losing acknowledged appends. A database file that is
/// write-protected on its own shows when an append fails.
pub fn probe(db: &Path) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = db.parent().unwrap_or(Path::new("."));
    let name = format!(
        ".skrivprov.{}.{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| {
            f.write_all(&[0u8; PROBE_BYTES])?;
            f.sync_all()
        });
    let _ = std::fs::remove_file(&path);
    written
}

/// A Swedish reason for a filesystem that refuses writes (the catalogue's).
pub fn io_reason(e: &std::io::Error) -> String {
    crate::messages::default().write_refused(e)
}

/// A Swedish reason for an SQLite error code, if it is one a write failure gives.
fn sqlite_reason(e: &StoreError) -> Option<&'static str> {
    let StoreError::Database(sqlx::Error::Database(db)) = e else {
        return None;
    };
    let primary = db.code()?.parse::<i32>().ok()? & 0xff;
    Some(match primary {
        5 | 6 => "databasen är låst av en annan skrivare",
        8 => "databasen är skrivskyddad",
        10 => "in- eller utmatningsfel när databasen skrevs",
        11 | 26 => "databasfilen är skadad",
        13 => "disken är full",
        14 => "databasfilen kan inte öppnas",
        _ => return None,
    })
}

/// attestera's own reason for `e`; never the database's text, which is logged.
fn own_reason(e: &StoreError) -> String {
    match e {
        StoreError::Database(_) | StoreError::Migrate(_) => {
            crate::messages::default().database_failed()
        }
        StoreError::Corrupt { .. } | StoreError::NotWritable(_) => crate::messages::say(e),
    }
}

/// Why a write failed with `e`, given the probe run after it: the
/// filesystem's own reason when the probe finds one, else SQLite's, else
/// that the database failed (its own text goes to the log, not to callers).
pub fn write_failure_reason(probed: std::io::Result<()>, e: &StoreError) -> String {
    match probed {
        Err(io) => io_reason(&io),
        Ok(()) => sqlite_reason(e).map_or_else(|| own_reason(e), str::to_string),
    }
}

//! Whether the database can be written, and why not, in Swedish. Unlike
//! SQLite's, PostgreSQL's errors name their cause (SQLSTATE), so the reason
//! is read from the error itself; the server's own text goes to the log.

use sqlx::PgPool;

use crate::store::StoreError;

/// Whether `e` says the connection was lost (or never made), so that a
/// read may be tried once more on another connection: an I/O or TLS
/// error, SQLSTATE class 08 (connection exception), or the server shutting
/// down or restarting (57P01..57P03).
pub fn is_connection_lost(e: &StoreError) -> bool {
    let StoreError::Database(e) = e else {
        return false;
    };
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// The server is not a read-only standby, and a write in a transaction
/// that is rolled back succeeds: a temporary table written to catches a
/// read-only server or transaction default and a role without rights.
/// It takes no lock an append waits for. A full disk shows only when
/// WAL is flushed, that is when an append commits.
pub async fn check_writable(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut *tx)
        .await?;
    if standby {
        return Err(StoreError::NotWritable(
            "databasservern är en skrivskyddad reservserver (standby)".into(),
        ));
    }
    let probe = async {
        sqlx::query("CREATE TEMPORARY TABLE attestera_skrivprov (n BIGINT) ON COMMIT DROP")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO attestera_skrivprov (n) VALUES ($1)")
            .bind(1_i64)
            .execute(&mut *tx)
            .await?;
        Ok::<(), sqlx::Error>(())
    };
    match probe.await {
        Ok(()) => {
            tx.rollback().await?;
            Ok(())
        }
        Err(e) => {
            let e = StoreError::Database(e);
            Err(match sqlstate_reason(&e) {
                Some(reason) => StoreError::NotWritable(reason.to_string()),
                None => e,
            })
        }
    }
}

/// A Swedish reason for a PostgreSQL error, if it is one a write failure gives.
fn sqlstate_reason(e: &StoreError) -> Option<&'static str> {
    let StoreError::Database(e) = e else {
        return None;
    };
    let code = match e {
        sqlx::Error::PoolTimedOut => {
            return Some("ingen förbindelse med databasen blev ledig i tid");
        }
        sqlx::Error::PoolClosed => return Some("förbindelserna med databasen är stängda"),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            return Some("förbindelsen med databasservern bröts eller kunde inte öppnas");
        }
        sqlx::Error::Database(db) => db.code()?.into_owned(),
        _ => return None,
    };
    Some(match code.as_str() {
        "53100" => "disken är full",
        "53200" => "databasservern har slut på minne",
        "53300" => "databasservern tar inte emot fler förbindelser",
        "25006" => "databasen är skrivskyddad",
        "42501" => "databasanvändaren saknar rätt att skriva",
        "55P03" | "40P01" => "databasen är låst av en annan skrivare",
        "57014" => "databasen svarade inte i tid (statement_timeout)",
        "57P01" | "57P02" | "57P03" => "databasservern stängs av eller startar om",
        "58030" => "in- eller utmatningsfel när databasen skrevs",
        "XX001" | "XX002" => "databasfilen är skadad",
        c if c.starts_with("08") => "förbindelsen med databasservern bröts",
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

/// Why a write failed with `e`: PostgreSQL's cause named in Swedish when
/// it is one a write failure gives, else that the database failed.
pub fn write_failure_reason(e: &StoreError) -> String {
    sqlstate_reason(e).map_or_else(|| own_reason(e), str::to_string)
}

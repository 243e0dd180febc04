//! An insider with write access to the database (but not to the data
//! directory's keys): every column of every table is changed, one at a time,
//! in a copy of the database, and rows are deleted, swapped and duplicated;
//! the audit must report each, naming the row or entry, and report nothing
//! on the clean copy. Reads that serve table rows must refuse a changed row.

use std::path::Path;

use serde_json::Value;
use sqlx::{Connection, Row, SqliteConnection};

use crate::common::{Env, SEED, attested, runtime};
use crate::http::Server;

/// Runs several statements on one connection to `db`, with foreign keys
/// off (an insider is not bound by them). Returns the database's error text
/// when it refuses the change (a constraint).
fn sql_on(db: &Path, statements: &str) -> Result<(), String> {
    runtime().block_on(async {
        let url = format!("sqlite://{}", db.display());
        let mut conn = SqliteConnection::connect(&url).await.expect("connect");
        let all = format!("PRAGMA foreign_keys = OFF; {statements}");
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(all))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        conn.close().await.expect("close");
        r
    })
}

/// Rows of a query as strings (NULL as None), for choosing what to change.
fn query_strings(db: &Path, q: &str) -> Vec<Vec<Option<String>>> {
    runtime().block_on(async {
        let url = format!("sqlite://{}", db.display());
        let mut conn = SqliteConnection::connect(&url).await.expect("connect");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q.to_string()))
            .fetch_all(&mut conn)
            .await
            .expect("query");
        let out = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<String>, _>(i)
                            .ok()
                            .flatten()
                            .or_else(|| {
                                r.try_get::<Option<i64>, _>(i)
                                    .ok()
                                    .flatten()
                                    .map(|n| n.to_string())
                            })
                    })
                    .collect()
            })
            .collect();
        conn.close().await.expect("close");
        out
    })
}

/// A log with every kind of entry and row: registrations, signed and
/// imported approvals, an issued and a revoked certificate, an active and a
/// revoked token.
fn rich_log() -> Env {
    let a = attested();
    let env = a.env;
    let seed = env.write("seed.txt", SEED);
    env.ok(&["import", &seed.to_string_lossy()]);
    env.user("gone", "Per Persson", "Handläggare");
    env.ok(&[
        "user",
        "revoke",
        "--cert",
        &env.s("gone/cert.pem"),
        "--reason",
        "Nyckeln borttappad",
    ]);
    env.ok(&[
        "token",
        "create",
        "--role",
        "auditor",
        "--name",
        "Revisionen",
    ]);
    let t = env
        .json(&["token", "create", "--role", "registrar", "--name", "Gammal"])
        .json();
    env.ok(&["token", "revoke", &t["id"].to_string()]);
    env
}

/// A copy of `env`'s data directory in a fresh environment.
fn copy_of(env: &Env) -> Env {
    let copy = Env::empty();
    std::fs::create_dir(copy.data_dir()).unwrap();
    for f in std::fs::read_dir(env.data_dir()).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), copy.data_dir().join(f.file_name())).unwrap();
        }
    }
    copy
}

fn db(env: &Env) -> std::path::PathBuf {
    env.data_dir().join("attestera.db")
}

/// What the audit said about a changed copy.
enum Outcome {
    /// Exit 1 with problems, at least one naming a row, entry or checkpoint.
    Reported,
    /// The service refused to open the database (a changed migration record).
    RefusedToOpen,
    /// Anything else: a miss.
    Missed(String),
}

fn audit(env: &Env, table: &str) -> Outcome {
    let r = env.json(&["audit"]);
    let v: Value = match serde_json::from_str(&r.stdout) {
        Ok(v) => v,
        Err(_) => return Outcome::Missed(format!("exit {}: {}", r.code, r.stderr)),
    };
    // Only sqlx's own record of applied migrations is checked at open.
    if table == "_sqlx_migrations" && r.code == 2 && v["error"]["code"] == "storage_error" {
        return Outcome::RefusedToOpen;
    }
    // A problem must name the changed table's row: the entry or checkpoint
    // for the log's own tables, the table and its key for the others.
    let names = |p: &Value| match table {
        "log_entries" => p["entry"].is_u64() || p["table"] == "log_entries",
        "checkpoints" => p["checkpoint"].is_u64(),
        _ => {
            p["table"] == table
                && (p["key"].is_string() || p["code"] == "projection_row_unreadable")
        }
    };
    let named = v["problems"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(names));
    if r.code == 1 && named {
        Outcome::Reported
    } else {
        Outcome::Missed(format!("exit {}: {v}", r.code))
    }
}

/// A different value of the same kind: the last digit (else the last
/// letter) moved on within its class, so hex stays hex and times stay times.
fn changed_text(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let at = chars
        .iter()
        .rposition(|c| c.is_ascii_digit())
        .or_else(|| chars.iter().rposition(|c| c.is_ascii_alphanumeric()));
    if let Some(c) = at.and_then(|i| chars.get_mut(i)) {
        *c = match *c {
            '9' => '8',
            'f' => 'a',
            'F' => 'A',
            'z' => 'a',
            'Z' => 'A',
            d => char::from(d as u8 + 1),
        };
        chars.into_iter().collect()
    } else {
        format!("{s}x")
    }
}

struct Column {
    table: String,
    name: String,
    kind: String,
    pk: bool,
}

/// Every table the service keeps, with its columns.
fn columns(db: &Path) -> Vec<Column> {
    let tables = query_strings(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    let mut out = Vec::new();
    for t in tables.into_iter().filter_map(|r| r[0].clone()) {
        for c in query_strings(
            db,
            &format!("SELECT name, type, pk FROM pragma_table_info('{t}')"),
        ) {
            out.push(Column {
                table: t.clone(),
                name: c[0].clone().unwrap(),
                kind: c[1].clone().unwrap_or_default().to_uppercase(),
                pk: c[2].as_deref() != Some("0"),
            });
        }
    }
    out
}

/// SQL that changes column `c` of the row with `rowid`, whose value is `value`.
fn change_sql(c: &Column, rowid: &str, value: Option<&str>, other: Option<&str>) -> String {
    let (t, n) = (&c.table, &c.name);
    let set = match (value, c.kind.as_str()) {
        (Some(_), "BOOLEAN") => format!("1 - {n}"),
        (Some(_), "INTEGER") => {
            format!("CASE WHEN {n} IN (0, 1) AND '{n}' = 'is_ca' THEN 1 - {n} ELSE {n} + 1 END")
        }
        (Some(_), "BLOB") => format!(
            "CAST((CASE WHEN substr({n}, 1, 1) = X'00' THEN X'01' ELSE X'00' END) || substr({n}, 2) AS BLOB)"
        ),
        (Some(v), _) => format!("'{}'", changed_text(v).replace('\'', "''")),
        (None, "INTEGER") => other.unwrap_or("1").to_string(),
        (None, "BLOB") => "X'00'".to_string(),
        (None, _) => format!("'{}'", other.unwrap_or("x").replace('\'', "''")),
    };
    format!("UPDATE {t} SET {n} = {set} WHERE rowid = {rowid};")
}

/// Columns nothing reads: sqlx keeps them for people, and a change of them
/// changes no behaviour (version, checksum and success it does check).
fn unread(c: &Column) -> bool {
    c.table == "_sqlx_migrations"
        && ["description", "installed_on", "execution_time"].contains(&c.name.as_str())
}

#[test]
fn the_audit_reports_every_changed_column_deleted_swapped_or_duplicated_row() {
    if crate::common::sqlite_only(
        "walks every column through SQLite's own catalogue and rowids; the PostgreSQL port of this walk is open work",
    ) {
        return;
    }
    let clean = rich_log();
    let r = clean.json(&["audit"]);
    assert_eq!(
        (r.code, r.json()["problems"].as_array().unwrap().len()),
        (0, 0),
        "clean copy: {}",
        r.stdout
    );

    let mut cases = Vec::new();
    for c in columns(&db(&clean)).iter().filter(|c| !unread(c)) {
        let rows = query_strings(
            &db(&clean),
            &format!(
                "SELECT rowid, CASE WHEN {n} IS NULL THEN NULL WHEN typeof({n}) = 'blob' THEN hex({n}) ELSE CAST({n} AS TEXT) END FROM {t} ORDER BY rowid",
                n = c.name,
                t = c.table
            ),
        );
        let non_null: Vec<_> = rows.iter().filter(|r| r[1].is_some()).collect();
        let other = non_null.first().and_then(|r| r[1].clone());
        // The first and the last row that hold a value, and one that holds NULL.
        let mut picks: Vec<&Vec<Option<String>>> = non_null.first().into_iter().copied().collect();
        if let Some(last) = non_null
            .last()
            .filter(|l| non_null.len() > 1 && l[0] != non_null[0][0])
        {
            picks.push(last);
        }
        if let Some(null) = rows.iter().find(|r| r[1].is_none()) {
            picks.push(null);
        }
        for row in picks {
            let rowid = row[0].clone().unwrap();
            let sql = change_sql(c, &rowid, row[1].as_deref(), other.as_deref());
            cases.push((
                format!(
                    "{}.{} row {rowid} ({})",
                    c.table,
                    c.name,
                    if row[1].is_some() {
                        "changed"
                    } else {
                        "filled"
                    }
                ),
                sql,
            ));
        }
        // A value of no kind at all (what a careless edit leaves).
        if let Some(first) = non_null.first().filter(|_| c.kind == "TEXT" && !c.pk) {
            cases.push((
                format!(
                    "{}.{} row {} (garbage)",
                    c.table,
                    c.name,
                    first[0].as_deref().unwrap()
                ),
                format!(
                    "UPDATE {} SET {} = 'ogiltigt värde' WHERE rowid = {};",
                    c.table,
                    c.name,
                    first[0].as_deref().unwrap()
                ),
            ));
        }
    }
    let tables: Vec<String> = query_strings(
        &db(&clean),
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .into_iter()
    .filter_map(|r| r[0].clone())
    .collect();
    for t in &tables {
        let ids: Vec<String> = query_strings(
            &db(&clean),
            &format!("SELECT rowid FROM {t} ORDER BY rowid"),
        )
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            continue;
        };
        let mid = &ids[ids.len() / 2];
        // Token rows are not in the log: deleting one only takes rights
        // away, and nothing but the row itself says it existed (see
        // docs/threat-model.md). A kept document file is not in the log
        // either: without it the attested document cannot be downloaded,
        // and nothing else changes. Every other deletion must be seen.
        if t != "tokens" && t != "document_files" {
            let picks = if t == "checkpoints" {
                visible_checkpoints(&db(&clean))
            } else {
                vec![first.clone(), mid.clone(), last.clone()]
            };
            for id in &picks {
                cases.push((
                    format!("{t} row {id} deleted"),
                    format!("DELETE FROM {t} WHERE rowid = {id};"),
                ));
            }
        }
        let all = columns(&db(&clean));
        let keys: Vec<&str> = all
            .iter()
            .filter(|c| &c.table == t && c.pk)
            .map(|c| c.name.as_str())
            .collect();
        let others: Vec<&str> = all
            .iter()
            .filter(|c| &c.table == t && !c.pk)
            .map(|c| c.name.as_str())
            .collect();
        if ids.len() > 1 && !others.is_empty() {
            // Swap the contents of two rows; each keeps its key.
            let cols_in = |x: &str, y: &str| {
                keys.iter()
                    .map(|k| format!("{x}.{k}"))
                    .chain(others.iter().map(|o| format!("{y}.{o}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let names = keys
                .iter()
                .chain(others.iter())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            cases.push((
                format!("{t} rows {first} and {mid} swapped"),
                format!(
                    "CREATE TEMP TABLE a AS SELECT * FROM {t} WHERE rowid = {first}; \
                     CREATE TEMP TABLE b AS SELECT * FROM {t} WHERE rowid = {mid}; \
                     DELETE FROM {t} WHERE rowid IN ({first}, {mid}); \
                     INSERT INTO {t} ({names}) SELECT {} FROM a, b; \
                     INSERT INTO {t} ({names}) SELECT {} FROM b, a;",
                    cols_in("a", "b"),
                    cols_in("b", "a"),
                ),
            ));
        }
        // A duplicate of the middle row under a new key.
        cases.push((
            format!("{t} row {mid} duplicated"),
            format!(
                "CREATE TEMP TABLE d AS SELECT * FROM {t} WHERE rowid = {mid}; {}; INSERT INTO {t} SELECT * FROM d;",
                new_keys(&db(&clean), t)
            ),
        ));
    }

    // The log head row (migration 0004) is one of the tables: its size and
    // root edited, the row deleted.
    for case in [
        "log_head.size row 1",
        "log_head.root row 1",
        "log_head row 1 deleted",
    ] {
        assert!(
            cases.iter().any(|(what, _)| what.starts_with(case)),
            "no case {case}"
        );
    }
    let mut missed = Vec::new();
    let (mut reported, mut refused_to_open, mut refused_by_schema) = (0, 0, 0);
    for (what, sql) in &cases {
        let copy = copy_of(&clean);
        match sql_on(&db(&copy), sql) {
            Err(e) if e.contains("constraint") => {
                refused_by_schema += 1;
                continue;
            }
            Err(e) => panic!("{what}: {sql}: {e}"),
            Ok(()) => {}
        }
        let table = what.split(['.', ' ']).next().unwrap_or_default();
        match audit(&copy, table) {
            Outcome::Reported => reported += 1,
            Outcome::RefusedToOpen => refused_to_open += 1,
            Outcome::Missed(why) => missed.push(format!("{what}: {why}")),
        }
    }
    eprintln!(
        "tamper cases: {} ({reported} reported by the audit, {refused_to_open} refused at open, {refused_by_schema} refused by the schema)",
        cases.len()
    );
    assert!(
        missed.is_empty(),
        "the audit missed:\n{}",
        missed.join("\n")
    );
    assert!(
        reported > 100,
        "too few cases reached the audit: {reported}"
    );
}

/// Rowids of the checkpoints whose absence the audit can see: the latest,
/// and those at a batch boundary that the entry times show (an older
/// checkpoint inside one second's batches leaves no trace in the entries;
/// a client or witness that kept it sees it missing).
fn visible_checkpoints(db: &Path) -> Vec<String> {
    let times: Vec<String> = query_strings(
        db,
        "SELECT CAST(data AS TEXT) FROM log_entries ORDER BY idx",
    )
    .into_iter()
    .map(|r| {
        let v: Value = serde_json::from_str(r[0].as_deref().unwrap()).unwrap();
        v["logged_at"].as_str().unwrap().to_string()
    })
    .collect();
    let rows = query_strings(
        db,
        "SELECT rowid, tree_size FROM checkpoints ORDER BY tree_size",
    );
    let last = rows.last().and_then(|r| r[0].clone());
    let mut out: Vec<String> = rows
        .iter()
        .filter(|r| {
            let s: usize = r[1].as_deref().unwrap().parse().unwrap();
            s > 0 && s < times.len() && times[s - 1] != times[s]
        })
        .filter_map(|r| r[0].clone())
        .collect();
    out.extend(last);
    out.dedup();
    out
}

/// Statements that give the temp copy `d` new values for `t`'s unique keys.
fn new_keys(db: &Path, t: &str) -> String {
    let pks = query_strings(
        db,
        &format!("SELECT name, type FROM pragma_table_info('{t}') WHERE pk > 0"),
    );
    pks.iter()
        .map(|r| {
            let (n, ty) = (
                r[0].clone().unwrap(),
                r[1].clone().unwrap_or_default().to_uppercase(),
            );
            if ty == "INTEGER" {
                format!("UPDATE d SET {n} = (SELECT MAX({n}) + 1 FROM {t})")
            } else {
                format!("UPDATE d SET {n} = {n} || '0'")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Entry `index`'s bytes replaced by `data`, with its stored leaf hashes
/// updated to match (a careful forger).
fn forge_entry(env: &Env, index: u64, data: &[u8]) {
    let leaf = attestera_core::tlog::record_hash(data).to_hex();
    let at = attestera_core::tlog::stored_hash_index(0, index);
    env.sql(&format!(
        "UPDATE log_entries SET data = X'{}', leaf_hash = X'{leaf}' WHERE idx = {index}",
        hex::encode(data)
    ));
    env.sql(&format!(
        "UPDATE log_hashes SET hash = X'{leaf}' WHERE idx = {at}"
    ));
}

#[test]
fn a_forged_head_time_does_not_move_the_log_clock() {
    let a = attested();
    let size = a.env.log_size();
    let last = size - 1;
    let original = a.env.entry_bytes(last);
    let text = String::from_utf8(original.clone()).unwrap();
    let at = text.find("\"logged_at\":\"").unwrap() + "\"logged_at\":\"".len();
    let forged = format!("{}2099-01-01T00:00:00Z{}", &text[..at], &text[at + 20..]);
    assert_ne!(forged, text);
    forge_entry(&a.env, last, forged.as_bytes());

    // The sequencer will not build on a head it did not sign.
    let other = a
        .env
        .write("annat.txt", "Till nämnden\n\nEtt annat ärende.\n");
    let r = a.env.json(&["register", &other.to_string_lossy()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.error_code(), "append_failed", "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("loggpost {last}")),
        "{}",
        r.stdout
    );
    assert_eq!(a.env.log_size(), size, "nothing was appended");
    let audit = a.env.json(&["audit"]);
    assert_eq!(audit.code, 1);

    // Put back, the log appends again, at today's time.
    forge_entry(&a.env, last, &original);
    let r = a.env.json(&["register", &other.to_string_lossy()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let entry = String::from_utf8(a.env.entry_bytes(size)).unwrap();
    let year = jiff::Timestamp::now().strftime("%Y").to_string();
    assert!(
        entry.contains(&format!("\"logged_at\":\"{year}-")),
        "{entry}"
    );
    assert_eq!(a.env.json(&["audit"]).code, 0);
}

/// The head row is what appends build on: a head that is not the signed
/// checkpoint's (its root or its size edited) stops the sequencer, and put
/// back, the log appends again.
#[test]
fn the_sequencer_refuses_a_head_other_than_the_signed_one() {
    if crate::common::sqlite_only(
        "edits the head through a SQLite connection of its own; the PostgreSQL port is open work",
    ) {
        return;
    }
    let a = attested();
    let size = a.env.log_size();
    let other = a
        .env
        .write("annat.txt", "Till nämnden\n\nEtt annat ärende.\n");
    let rows = query_strings(&db(&a.env), "SELECT hex(root) FROM log_head");
    let root = rows[0][0].clone().unwrap();
    for (edit, names) in [
        (
            "UPDATE log_head SET root = X'0000000000000000000000000000000000000000000000000000000000000000'",
            "loggens huvud",
        ),
        ("UPDATE log_head SET size = size - 1", "kontrollpunkt"),
        ("DELETE FROM log_head", "huvudrad"),
    ] {
        a.env.sql(edit);
        let r = a.env.json(&["register", &other.to_string_lossy()]);
        assert_eq!(r.code, 2, "{edit}: {}", r.stdout);
        assert_eq!(r.error_code(), "append_failed", "{edit}: {}", r.stdout);
        assert!(r.stdout.contains(names), "{edit}: {}", r.stdout);
        assert_eq!(a.env.log_size(), size, "{edit}: nothing was appended");
        a.env.sql(&format!(
            "INSERT OR REPLACE INTO log_head (id, size, root) VALUES (1, {size}, X'{root}')"
        ));
    }
    let r = a.env.json(&["register", &other.to_string_lossy()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(a.env.json(&["audit"]).code, 0);
}

/// A token is found by its id and its secret compared in constant time: the
/// right id with a wrong secret opens nothing, the right secret does, and a
/// token of the older form (no id) is told to be made again.
#[test]
fn a_token_is_its_id_and_its_secret() {
    let env = Env::new();
    let t = env
        .json(&[
            "token",
            "create",
            "--role",
            "auditor",
            "--name",
            "Revisionen",
        ])
        .json();
    let token = t["token"].as_str().unwrap().to_string();
    let (id, secret) = token
        .strip_prefix("att_")
        .and_then(|r| r.split_once('.'))
        .unwrap();
    assert_eq!(id, t["id"].to_string());
    let mut wrong = secret.as_bytes().to_vec();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong = format!("att_{id}.{}", String::from_utf8(wrong).unwrap());
    let outdated = format!("att_{secret}");
    let s = Server::start(env, &[]);
    let c = reqwest::Client::new();
    runtime().block_on(async {
        let get = |bearer: String| {
            c.get(s.url("/api/v1/signatures"))
                .bearer_auth(bearer)
                .send()
        };
        assert_eq!(get(token.clone()).await.unwrap().status().as_u16(), 200);
        let refused = get(wrong).await.unwrap();
        assert_eq!(refused.status().as_u16(), 401);
        let v: Value = refused.json().await.unwrap();
        assert_eq!(v["code"], "unauthorized");
        let old = get(outdated).await.unwrap();
        assert_eq!(old.status().as_u16(), 401);
        let v: Value = old.json().await.unwrap();
        assert_eq!(v["code"], "token_outdated", "{v}");
        assert!(
            v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("skapa en ny token")),
            "{v}"
        );
    });
}

#[test]
fn served_rows_are_checked_against_the_log() {
    let a = attested();
    // Entry 1 is the document's registration (0 is the CA).
    let doc_id = a.env.json(&["log", "entry", "1"]).json()["entry"]["document"]["text_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    // The name in the projection table, not in the log.
    a.env
        .sql("UPDATE approvals SET name = 'Anna Bergström' WHERE name = 'Anna Berg'");
    let block = a.env.json(&["block", &a.doc.to_string_lossy()]);
    assert_eq!(block.code, 2, "{}", block.stdout);
    assert_eq!(block.error_code(), "projection_mismatch");

    let s = Server::start(a.env, &[]);
    let c = reqwest::Client::new();
    runtime().block_on(async {
        for (path, token) in [
            ("/api/v1/signatures".to_string(), &s.auditor),
            (format!("/api/v1/documents/{doc_id}"), &s.registrar),
            (
                format!("/api/v1/documents/{doc_id}/approvals"),
                &s.registrar,
            ),
            (format!("/api/v1/documents/{doc_id}/block"), &s.registrar),
        ] {
            let resp = c.get(s.url(&path)).bearer_auth(token).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 500, "{path}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], "projection_mismatch", "{path}: {body}");
            assert!(!body.to_string().contains("Bergström"), "{path}: {body}");
        }
    });
    // A changed dnr is refused in the export and in the search too.
    s.env
        .sql("UPDATE approvals SET name = 'Anna Berg' WHERE name = 'Anna Bergström'");
    s.env.sql("UPDATE documents SET dnr = '2026/9999'");
    runtime().block_on(async {
        for path in ["/api/v1/signatures", "/api/v1/documents?dnr=2026/9999"] {
            let resp = c
                .get(s.url(path))
                .bearer_auth(&s.auditor)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap();
            assert_eq!(
                (status, body["code"].as_str()),
                (500, Some("projection_mismatch")),
                "{path}: {body}"
            );
        }
    });
}

#[test]
fn a_forged_token_row_opens_nothing() {
    let env = Env::new();
    let t = env
        .json(&[
            "token",
            "create",
            "--role",
            "auditor",
            "--name",
            "Revisionen",
        ])
        .json();
    let old = env
        .json(&["token", "create", "--role", "registrar", "--name", "Gammal"])
        .json();
    env.ok(&["token", "revoke", &old["id"].to_string()]);
    // Raise the auditor to admin, bring the revoked token back.
    env.sql(&format!(
        "UPDATE tokens SET role = 'admin' WHERE id = {}",
        t["id"]
    ));
    env.sql(&format!(
        "UPDATE tokens SET revoked_at = NULL WHERE id = {}",
        old["id"]
    ));
    let audit = env.json(&["audit"]);
    assert_eq!(audit.code, 1);
    let forged: Vec<String> = audit.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == "token_row_forged")
        .map(|p| p["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(forged, vec![t["id"].to_string(), old["id"].to_string()]);

    let s = Server::start(env, &[]);
    let c = reqwest::Client::new();
    runtime().block_on(async {
        for token in [t["token"].as_str().unwrap(), old["token"].as_str().unwrap()] {
            let resp = c
                .get(s.url("/api/v1/signatures"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 401);
        }
        // Untouched tokens still work.
        let resp = c
            .get(s.url("/api/v1/signatures"))
            .bearer_auth(&s.auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    });
}

#[test]
fn an_edited_table_row_is_no_hint_for_verify() {
    let a = attested();
    let other = "Till\nSkarpnäcks stadsdelsnämnd\n2026-12-10\n\nEtt helt annat ärende\n\nSvar på remiss, dnr 2026/5555\n\nText.\n";
    let f = a.env.write("annat.txt", other);
    let codes = |env: &Env| -> Vec<String> {
        let v = env.json(&["verify", &f.to_string_lossy()]).json();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes(&a.env).contains(&"document_not_registered".to_string()));
    // The registered document's dnr edited to the other's: verify must not
    // call the other document a changed copy of it.
    a.env.sql("UPDATE documents SET dnr = '2026/5555'");
    let after = codes(&a.env);
    assert!(
        after.contains(&"document_not_registered".to_string()),
        "{after:?}"
    );
    assert!(
        !after
            .iter()
            .any(|c| c == "content_changed" || c == "dnr_changed"),
        "{after:?}"
    );
}

#[test]
fn an_edited_value_cannot_take_a_row_out_of_a_listing() {
    let a = attested();
    let s = Server::start(a.env, &[]);
    let c = reqwest::Client::new();
    let get = |path: &str| {
        let url = s.url(path);
        let token = s.auditor.clone();
        let c = c.clone();
        runtime().block_on(async move {
            let resp = c.get(url).bearer_auth(token).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        })
    };
    let person = "/api/v1/signatures?person=Anna%20Berg";
    let dated = format!("/api/v1/signatures?from={}", a.date);
    let approver = "/api/v1/documents?approver=Anna%20Berg";
    for path in [person, &dated, approver] {
        let (status, body) = get(path);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!body.as_array().unwrap().is_empty(), "{path}: {body}");
    }
    // Renamed or back-dated in the table, the row would fall out of each
    // filter; the listing must refuse instead of answering without it.
    for edit in [
        "UPDATE approvals SET name = 'Anna Borg' WHERE name = 'Anna Berg'",
        "UPDATE approvals SET date = '2000-01-01' WHERE name = 'Anna Berg'",
    ] {
        s.env.sql(edit);
        for path in [person, &dated, approver] {
            let (status, body) = get(path);
            assert_eq!(
                (status, body["code"].as_str()),
                (500, Some("projection_mismatch")),
                "{edit}: {path}: {body}"
            );
        }
        s.env.sql(&format!(
            "UPDATE approvals SET name = 'Anna Berg', date = '{}' WHERE name IN ('Anna Berg', 'Anna Borg')",
            a.date
        ));
    }
}

#[test]
fn an_edited_stored_hash_is_never_signed_into_a_checkpoint() {
    let a = attested();
    let size = a.env.log_size();
    let checkpoint = a.env.ok(&["log", "checkpoint"]).stdout;
    // The last stored hash is the root of the rightmost complete subtree:
    // the next root is built from it.
    a.env.sql("CREATE TABLE saved AS SELECT idx, hash FROM log_hashes WHERE idx = (SELECT MAX(idx) FROM log_hashes)");
    a.env
        .sql("UPDATE log_hashes SET hash = zeroblob(32) WHERE idx = (SELECT idx FROM saved)");
    let other = a
        .env
        .write("annat.txt", "Till nämnden\n\nEtt annat ärende.\n");
    let r = a.env.json(&["register", &other.to_string_lossy()]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (2, "append_failed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("lagrade hasharna"), "{}", r.stdout);
    assert_eq!(
        a.env.ok(&["log", "checkpoint"]).stdout,
        checkpoint,
        "nothing was signed"
    );
    // Restored, the log appends again and audits clean.
    a.env.sql(
        "UPDATE log_hashes SET hash = (SELECT hash FROM saved) WHERE idx = (SELECT idx FROM saved)",
    );
    a.env.sql("DROP TABLE saved");
    a.env.ok(&["register", &other.to_string_lossy()]);
    assert_eq!(a.env.log_size(), size + 1);
    assert_eq!(a.env.json(&["audit"]).code, 0);
}

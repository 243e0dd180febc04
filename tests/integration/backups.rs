//! Backups, restores and moving a log between engines: a restored copy
//! audits clean and serves the checkpoints it had; an older copy served to
//! a client that saw a later checkpoint is a rollback; `db copy` carries a
//! SQLite log to PostgreSQL with every entry and checkpoint unchanged.

use std::path::Path;
use std::process::Command;

use crate::common::{DOC, Env, Postgres, finish, on_postgres, sqlite_only};
use crate::server::Server;

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A backup of `env`'s log database into `to` (a file): sqlite3's
/// `.backup` or `pg_dump`, as docs/operations.md says.
fn back_up(env: &Env, to: &Path) {
    match &env.postgres {
        Some(pg) => run("pg_dump", &["-Fc", "-f", &to.to_string_lossy(), &pg.url]),
        None => run(
            "sqlite3",
            &[
                &env.data_dir().join("attestera.db").to_string_lossy(),
                &format!(".backup '{}'", to.display()),
            ],
        ),
    }
}

/// A new data directory holding `env`'s configuration and keys and the
/// log restored from `backup`.
fn restore(env: &Env, backup: &Path) -> Env {
    let restored = Env::empty();
    std::fs::create_dir_all(restored.data_dir()).unwrap();
    for file in [
        "config.json",
        "ca.cert.pem",
        "ca.key.pem",
        "log.key.pem",
        "log.vkey",
    ] {
        let to = restored.data_dir().join(file);
        std::fs::copy(env.data_dir().join(file), &to).unwrap();
    }
    match &restored.postgres {
        Some(pg) => run(
            "pg_restore",
            &["--no-owner", "-d", &pg.url, &backup.to_string_lossy()],
        ),
        None => {
            std::fs::copy(backup, restored.data_dir().join("attestera.db")).unwrap();
        }
    }
    restored
}

fn register(env: &Env, tag: &str) {
    let f = env.write(&format!("{tag}.txt"), format!("{DOC}\n{tag}\n"));
    env.ok(&["register", &f.to_string_lossy()]);
}

/// The trust-nothing client against `s`, remembering in `state`.
fn client(s: &Server, state: &Path, args: &[&str]) -> crate::common::Run {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    finish(
        s.env
            .command(&all)
            .env("ATTESTERA_SERVER", &s.base)
            .env("ATTESTERA_STATE_DIR", state)
            .env("ATTESTERA_DATA_DIR", "/nonexistent-data-dir")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap(),
    )
}

#[test]
fn a_restored_backup_audits_clean_and_an_older_one_is_reported_as_a_rollback() {
    let env = Env::new();
    register(&env, "första");
    register(&env, "andra");
    let backup = env.path("backup");
    back_up(&env, &backup);
    let at_backup = env.ok(&["log", "checkpoint"]).stdout;
    register(&env, "tredje");

    let restored = restore(&env, &backup);
    restored.ok(&["audit"]);
    assert_eq!(
        restored.ok(&["log", "checkpoint"]).stdout,
        at_backup,
        "the restored copy serves the checkpoint it had"
    );

    // A client that saw the later log is then served the older copy.
    let state = env.path("client-state");
    let newer = Server::start(env, &[]);
    assert_eq!(client(&newer, &state, &["log", "checkpoint"]).code, 0);
    let older = Server::start(restored, &[]);
    let r = client(&older, &state, &["log", "checkpoint"]);
    assert_eq!(
        (r.code, r.error_code().as_str()),
        (1, "log_rolled_back"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_sqlite_log_moves_to_postgres_with_its_checkpoints_unchanged() {
    if sqlite_only("copies a SQLite log to a PostgreSQL database of its own") {
        return;
    }
    let a = crate::common::attested();
    let env = &a.env;
    env.ok(&[
        "token",
        "create",
        "--role",
        "auditor",
        "--name",
        "granskare",
    ]);
    let checkpoints = |e: &Env, url: Option<&str>| {
        let mut c = e.command(&["--json", "log", "checkpoint"]);
        if let Some(url) = url {
            c.env("DATABASE_URL", url);
        }
        finish(c.output().unwrap()).stdout
    };
    let before = checkpoints(env, None);
    let size = env.log_size();
    let pg = Postgres::create();
    let copied = env.json(&["db", "copy", "--to", &pg.url]);
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    assert_eq!(copied.json()["entries"], size);
    assert_eq!(copied.json()["tokens"], 1);
    assert_eq!(copied.json()["files"], 1);

    let on_pg = |args: &[&str]| {
        let mut c = env.command(args);
        c.env("DATABASE_URL", &pg.url);
        finish(c.output().unwrap())
    };
    assert_eq!(checkpoints(env, Some(&pg.url)), before);
    assert_eq!(on_pg(&["audit"]).code, 0);
    let attested = env.write("attesterad.txt", &a.attested);
    let verified = on_pg(&["--json", "verify", &attested.to_string_lossy()]);
    assert_eq!(verified.json()["status"], "verified", "{}", verified.stdout);
    assert!(on_pg(&["token", "list"]).stdout.contains("granskare"));
    // The directory now says where its log is: without the URL it is refused.
    let r = env.json(&["audit"]);
    assert_eq!((r.code, r.error_code().as_str()), (2, "config_invalid"));
    // A second copy into the same database is refused, and changes nothing.
    let again = on_pg(&["--json", "db", "copy", "--to", &pg.url]);
    assert_eq!(again.code, 2, "{}", again.stdout);
    assert_eq!(checkpoints(env, Some(&pg.url)), before);
}

#[test]
fn db_migrate_says_the_schema_is_current() {
    let env = Env::new();
    let r = env.json(&["db", "migrate"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let want = if on_postgres() { "postgres" } else { "sqlite" };
    assert_eq!(r.json()["backend"], want);
    assert_eq!(r.json()["log_size"], env.log_size());
}

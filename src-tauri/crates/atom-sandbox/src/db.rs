//! Optional persistence: user-made records (submissions, ratings, grants, tokens) written through to
//! SQLite, so that they survive a restart. Demo data is never stored: it is regenerated from the seed.

use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{params, Connection};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const SKILL: &str = "skill";
pub const RATING: &str = "rating";
pub const GRANT: &str = "grant";
pub const TOKEN: &str = "token";

pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(dir: &Path) -> Result<Db, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("sandbox.db");
        let conn = Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS records (
                 kind TEXT NOT NULL,
                 id   TEXT NOT NULL,
                 body TEXT NOT NULL,
                 PRIMARY KEY (kind, id)
             );",
        )
        .map_err(|e| format!("cannot prepare {}: {e}", path.display()))?;
        Ok(Db { conn: Mutex::new(conn) })
    }

    pub fn put<T: Serialize>(&self, kind: &str, id: &str, value: &T) {
        let Ok(body) = serde_json::to_string(value) else { return };
        let res = self.conn.lock().execute(
            "INSERT INTO records (kind, id, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            params![kind, id, body],
        );
        if let Err(e) = res {
            tracing::error!(kind, "could not persist a record: {e}");
        }
    }

    pub fn load<T: DeserializeOwned>(&self, kind: &str) -> Vec<T> {
        let conn = self.conn.lock();
        let Ok(mut stmt) = conn.prepare("SELECT body FROM records WHERE kind = ?1 ORDER BY rowid") else {
            return Vec::new();
        };
        let rows = stmt.query_map(params![kind], |row| row.get::<_, String>(0));
        let Ok(rows) = rows else { return Vec::new() };
        rows.filter_map(Result::ok)
            .filter_map(|body| match serde_json::from_str(&body) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(kind, "skipping an unreadable stored record: {e}");
                    None
                }
            })
            .collect()
    }

    pub fn clear(&self) {
        if let Err(e) = self.conn.lock().execute("DELETE FROM records", []) {
            tracing::error!("could not clear the store: {e}");
        }
    }
}

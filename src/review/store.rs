//! Reviewers' decisions, in an SQLite file next to the batch results.
//!
//! Every decision is a new row, so the history stays; an application's
//! current decision is its latest row. The file is separate from the
//! results, so re-running a batch (`--resume` or `--force`) never loses a
//! decision.

use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Approve, or return to the applicant with reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Approve,
    Return,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Approve => "approve",
            Choice::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "approve" => Some(Choice::Approve),
            "return" => Some(Choice::Return),
            _ => None,
        }
    }
}

/// One reviewer's decision on one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub app_id: String,
    pub choice: Choice,
    /// Reason codes picked for a return (empty for an approval).
    pub codes: Vec<String>,
    /// Free text: the message the applicant gets.
    pub message: String,
    pub reviewer: String,
    /// RFC 3339, UTC.
    pub decided_at: String,
}

/// The decisions file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS decisions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id     TEXT NOT NULL,
    choice     TEXT NOT NULL CHECK (choice IN ('approve', 'return')),
    codes      TEXT NOT NULL,
    message    TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_app ON decisions (app_id, seq);
PRAGMA user_version = 1;
";

/// Where the decisions of `results.jsonl` live by default:
/// `results.decisions.sqlite` beside it.
pub fn default_path(results: &Path) -> PathBuf {
    let stem = results
        .file_stem()
        .map_or_else(|| "results".into(), |s| s.to_string_lossy().into_owned());
    results.with_file_name(format!("{stem}.decisions.sqlite"))
}

impl Store {
    /// Opens (creating when missing) the decisions file at `path`.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let err = store_err(path);
        let conn = Connection::open(path).map_err(&err)?;
        // Another process (an export) may hold the file for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(&err)?;
        conn.execute_batch(SCHEMA).map_err(&err)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// An in-memory store (tests, and a review without a file).
    pub fn in_memory() -> Result<Store, Error> {
        let path = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(store_err(path))?;
        conn.execute_batch(SCHEMA).map_err(store_err(path))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds `decision` as the application's current one.
    pub fn record(&self, decision: &Decision) -> Result<(), Error> {
        let codes = serde_json::to_string(&decision.codes).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "INSERT INTO decisions (app_id, choice, codes, message, reviewer, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    decision.app_id,
                    decision.choice.as_str(),
                    codes,
                    decision.message,
                    decision.reviewer,
                    decision.decided_at
                ],
            )
            .map_err(store_err(&self.path))?;
        Ok(())
    }

    /// The application's current decision.
    pub fn current(&self, app_id: &str) -> Result<Option<Decision>, Error> {
        self.conn
            .query_row(
                "SELECT app_id, choice, codes, message, reviewer, decided_at FROM decisions \
                 WHERE app_id = ?1 ORDER BY seq DESC LIMIT 1",
                params![app_id],
                row_to_decision,
            )
            .optional()
            .map_err(store_err(&self.path))
    }

    /// Every application's current decision.
    pub fn all_current(&self) -> Result<HashMap<String, Decision>, Error> {
        let mut out = HashMap::new();
        for d in self.latest()? {
            out.insert(d.app_id.clone(), d);
        }
        Ok(out)
    }

    /// The current decisions, by application id.
    fn latest(&self) -> Result<Vec<Decision>, Error> {
        let err = store_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT app_id, choice, codes, message, reviewer, decided_at FROM decisions d \
                 WHERE seq = (SELECT MAX(seq) FROM decisions WHERE app_id = d.app_id) ORDER BY app_id",
            )
            .map_err(&err)?;
        let rows = stmt.query_map([], row_to_decision).map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&err)
    }

    /// All decisions ever made on the application, oldest first.
    pub fn history(&self, app_id: &str) -> Result<Vec<Decision>, Error> {
        let err = store_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT app_id, choice, codes, message, reviewer, decided_at FROM decisions \
                 WHERE app_id = ?1 ORDER BY seq",
            )
            .map_err(&err)?;
        let rows = stmt.query_map(params![app_id], row_to_decision).map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&err)
    }

    /// The current decisions as CSV (UTF-8 with a byte-order mark when
    /// `bom`, for Excel): application id, decision, codes, message,
    /// reviewer, time.
    pub fn write_csv(&self, out: impl Write, bom: bool) -> Result<usize, Error> {
        let io = |e: std::io::Error| Error::Store {
            path: "CSV export".into(),
            message: e.to_string(),
        };
        let mut out = out;
        if bom {
            out.write_all("\u{feff}".as_bytes()).map_err(io)?;
        }
        let mut w = csv::Writer::from_writer(out);
        let csv_err = |e: csv::Error| Error::Store {
            path: "CSV export".into(),
            message: e.to_string(),
        };
        w.write_record([
            "application_id",
            "decision",
            "codes",
            "message",
            "reviewer",
            "decided_at",
        ])
        .map_err(csv_err)?;
        let latest = self.latest()?;
        for d in &latest {
            w.write_record([
                d.app_id.as_str(),
                d.choice.as_str(),
                &d.codes.join(" "),
                &d.message,
                &d.reviewer,
                &d.decided_at,
            ])
            .map_err(csv_err)?;
        }
        w.flush().map_err(io)?;
        Ok(latest.len())
    }
}

fn row_to_decision(row: &rusqlite::Row<'_>) -> rusqlite::Result<Decision> {
    let choice: String = row.get(1)?;
    let codes: String = row.get(2)?;
    Ok(Decision {
        app_id: row.get(0)?,
        // The CHECK constraint keeps other values out of the table.
        choice: Choice::parse(&choice).unwrap_or(Choice::Return),
        codes: serde_json::from_str(&codes).unwrap_or_default(),
        message: row.get(3)?,
        reviewer: row.get(4)?,
        decided_at: row.get(5)?,
    })
}

fn store_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Store {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(id: &str, choice: Choice, at: &str) -> Decision {
        Decision {
            app_id: id.into(),
            choice,
            codes: if choice == Choice::Return {
                vec!["idcard.expired".into()]
            } else {
                vec![]
            },
            message: "身份证已过期, \"请\"重新上传".into(),
            reviewer: "王审核".into(),
            decided_at: at.into(),
        }
    }

    #[test]
    fn the_latest_decision_is_current_and_history_is_kept() -> Result<(), Error> {
        let store = Store::in_memory()?;
        store.record(&decision("A1", Choice::Return, "2026-11-28T01:00:00Z"))?;
        store.record(&decision("A1", Choice::Approve, "2026-11-28T02:00:00Z"))?;
        store.record(&decision("A2", Choice::Return, "2026-11-28T03:00:00Z"))?;
        assert_eq!(store.current("A1")?.map(|d| d.choice), Some(Choice::Approve));
        assert_eq!(store.history("A1")?.len(), 2);
        assert_eq!(store.current("A3")?, None);
        let all = store.all_current()?;
        assert_eq!(all.len(), 2);
        assert_eq!(all["A2"].codes, vec!["idcard.expired".to_string()]);

        let mut csv = Vec::new();
        assert_eq!(store.write_csv(&mut csv, false)?, 2);
        let text = String::from_utf8_lossy(&csv);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "application_id,decision,codes,message,reviewer,decided_at");
        assert!(lines[1].starts_with("A1,approve,,"), "{}", lines[1]);
        // The message's quotes and comma are CSV-quoted, not split.
        assert!(
            lines[2].contains("\"身份证已过期, \"\"请\"\"重新上传\""),
            "{}",
            lines[2]
        );
        Ok(())
    }

    #[test]
    fn the_default_file_sits_beside_the_results() {
        assert_eq!(
            default_path(Path::new("/data/run/results.jsonl")),
            PathBuf::from("/data/run/results.decisions.sqlite")
        );
    }
}

//! Read-only queries for `chartmill reconcile`: what the database knows about
//! every file and page it has seen, read in one snapshot.
//!
//! Nothing here writes; a reconciliation may run while a batch loads (it
//! then sees the charts committed so far, consistently).

use super::query::status_col;
use super::{Result, Store};
use crate::model::{ChartStatus, PageStatus};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::collections::BTreeMap;

/// A source file of a stored chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSource {
    pub chart_id: String,
    /// Relative to the archive root, `/` separators.
    pub file: String,
    /// blake3 hex, or `unreadable:<kind>` when it could not be read.
    pub hash: String,
}

/// A page row of a stored chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPage {
    pub chart_id: String,
    /// Page within the chart, 1-based.
    pub page: u32,
    pub file: String,
    /// Page within the file, 0-based.
    pub file_page: u32,
    pub status: PageStatus,
}

/// An open or resolved `unreadable_page` flag (its reason says why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableFlag {
    pub chart_id: String,
    pub page: Option<u32>,
    pub reason: String,
}

/// Everything reconciliation compares with the archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileSnapshot {
    /// Chart id → status.
    pub charts: BTreeMap<String, ChartStatus>,
    pub sources: Vec<StoredSource>,
    pub pages: Vec<StoredPage>,
    /// (chart id, message) in the order recorded; messages name the file
    /// and page, never a value.
    pub errors: Vec<(String, String)>,
    pub unreadable_flags: Vec<UnreadableFlag>,
    /// Batches that started but never finished (killed), oldest first.
    pub unfinished_batches: Vec<i64>,
    /// The latest batch, if any.
    pub last_batch: Option<i64>,
}

fn page_status(s: &str) -> Option<PageStatus> {
    [PageStatus::Read, PageStatus::Blank, PageStatus::Unreadable, PageStatus::Unknown].into_iter().find(|p| p.as_str() == s)
}

fn snapshot_in(conn: &Connection) -> rusqlite::Result<ReconcileSnapshot> {
    let mut snap = ReconcileSnapshot::default();
    let mut st = conn.prepare("SELECT chart_id, status FROM charts ORDER BY chart_id")?;
    for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, status_col(r, 1)?)))? {
        let (id, status) = row?;
        snap.charts.insert(id, status);
    }
    let mut st = conn.prepare("SELECT chart_id, file, hash FROM sources ORDER BY chart_id, seq")?;
    snap.sources = st
        .query_map([], |r| Ok(StoredSource { chart_id: r.get(0)?, file: r.get(1)?, hash: r.get(2)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT chart_id, page, file, file_page, status FROM pages ORDER BY chart_id, page")?;
    snap.pages = st
        .query_map([], |r| {
            let status: String = r.get(4)?;
            Ok(StoredPage {
                chart_id: r.get(0)?,
                page: r.get(1)?,
                file: r.get(2)?,
                file_page: r.get(3)?,
                status: page_status(&status).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, "unknown page status".into())
                })?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT chart_id, message FROM chart_errors ORDER BY chart_id, seq")?;
    snap.errors = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT chart_id, page, reason FROM flags WHERE code = 'unreadable_page' ORDER BY id")?;
    snap.unreadable_flags = st
        .query_map([], |r| Ok(UnreadableFlag { chart_id: r.get(0)?, page: r.get(1)?, reason: r.get(2)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("SELECT id FROM batches WHERE finished_at IS NULL ORDER BY id")?;
    snap.unfinished_batches = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    snap.last_batch = conn.query_row("SELECT max(id) FROM batches", [], |r| r.get(0))?;
    Ok(snap)
}

impl Store {
    /// Charts, sources, pages, errors and `unreadable_page` flags of the
    /// whole database, read in one transaction.
    pub fn reconcile_snapshot(&self) -> Result<ReconcileSnapshot> {
        let err = self.err("read the charts, sources and pages for reconciliation");
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(&err)?;
        let snap = snapshot_in(&tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(snap)
    }
}

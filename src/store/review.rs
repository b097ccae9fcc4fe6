//! What the review station reads and writes: the queue, one chart's whole
//! review state, and the changes a reviewer makes — always inside one
//! IMMEDIATE transaction ([`ReviewTx`]), so that what was read is what is
//! changed and a batch of changes (a worklist import) is applied whole or
//! not at all.
//!
//! The order of [`ReviewTx::accept`] follows the triggers (see the module
//! header): flags resolved, queue entry closed, then `charts.status` and
//! `charts.document`, then the values copied to `chart_values`. The staged
//! `review_values` are removed once copied; the queue row stays with state
//! `approved` (or `rejected`) and who closed it, so that the staged document
//! of a rejected chart is kept.
//!
//! Nothing here decides whether a change is allowed: the review module
//! checks that inside the same transaction, and the triggers still refuse
//! what would break the store's invariants.

use super::query::{status_col, StagedValue, StoredFlag, StoredValue};
use super::{audit_in, now, AuditEntry, Result, Store, StoreError};
use crate::model::{ChartStatus, Flag, FlagCode, PageInfo, PageRef, PageStatus, SourceFile};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};

/// A chart waiting in the review queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedChart {
    pub chart_id: String,
    pub queued_at: String,
    /// Open flags by code, with their count, in code order.
    pub open: Vec<(FlagCode, u32)>,
    /// Held or escalated: set aside, not offered as the next chart.
    pub hold: Option<Hold>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<String>,
    /// The document types of the chart's pages, sorted, without repeats.
    pub doc_types: Vec<String>,
    pub batch_id: i64,
}

/// Why an open queue entry is set aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// Waiting for something (the paper chart, a colleague's answer).
    Held,
    /// Needs a senior reviewer or the records manager.
    Escalated,
}

impl HoldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldKind::Held => "held",
            HoldKind::Escalated => "escalated",
        }
    }

    fn parse(s: &str) -> Option<HoldKind> {
        [HoldKind::Held, HoldKind::Escalated].into_iter().find(|k| k.as_str() == s)
    }
}

/// A hold on an open queue entry, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Hold {
    pub kind: HoldKind,
    pub reason: String,
}

/// The queue entry of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    /// `open`, `approved` or `rejected`.
    pub state: String,
    pub queued_at: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub hold: Option<Hold>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<String>,
    /// Counts the changes made in review: an edit made against an older
    /// revision is refused.
    pub revision: i64,
    /// The reason given when the entry was closed (approved, rejected).
    pub close_reason: Option<String>,
}

/// Everything the review station knows of one chart.
#[derive(Clone, Debug)]
pub struct ReviewState {
    pub chart_id: String,
    pub status: ChartStatus,
    pub pipeline_id: String,
    pub batch_id: i64,
    /// The archive folder of the batch that loaded the chart, as given to `run`.
    pub archive: String,
    pub queue: Option<QueueEntry>,
    pub pages: Vec<PageInfo>,
    pub sources: Vec<SourceFile>,
    pub values: Vec<StoredValue>,
    pub flags: Vec<StoredFlag>,
    /// The staged document (in review, rejected) or the validated one (accepted).
    pub document: Option<serde_json::Value>,
}

impl ReviewState {
    /// Waiting for a reviewer: in review with an open queue entry.
    pub fn is_waiting(&self) -> bool {
        self.status == ChartStatus::Review && self.queue.as_ref().is_some_and(|q| q.state == "open")
    }

    pub fn open_flags(&self) -> impl Iterator<Item = &StoredFlag> {
        self.flags.iter().filter(|f| f.is_open())
    }
}

/// An open flag of a waiting chart, for the worklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenFlag {
    pub chart_id: String,
    pub queued_at: String,
    pub flag: StoredFlag,
}

fn page_status(s: &str) -> Option<PageStatus> {
    [PageStatus::Read, PageStatus::Blank, PageStatus::Unreadable, PageStatus::Unknown].into_iter().find(|p| p.as_str() == s)
}

/// The hold of a queue row from its `hold` and `hold_reason` columns.
fn hold_cols(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<Hold>> {
    let kind: Option<String> = r.get(at)?;
    match kind {
        None => Ok(None),
        Some(k) => Ok(Some(Hold {
            kind: HoldKind::parse(&k).ok_or_else(|| bad(at, "unknown hold"))?,
            reason: r.get::<_, Option<String>>(at + 1)?.unwrap_or_default(),
        })),
    }
}

fn bad(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, what.to_string().into())
}

impl Store {
    /// Charts waiting for review (open queue entries of charts in review),
    /// oldest first, with their open flag codes; only those with an open
    /// flag of `code` when given.
    pub fn review_queue(&self, code: Option<FlagCode>) -> Result<Vec<QueuedChart>> {
        let err = self.err("list the review queue");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT q.chart_id, q.queued_at, q.hold, q.hold_reason, q.claimed_by, q.claimed_at, c.batch_id,
                        (SELECT group_concat(t, char(31)) FROM (SELECT DISTINCT p.doc_type AS t FROM pages p
                          WHERE p.chart_id = q.chart_id AND p.doc_type IS NOT NULL ORDER BY 1))
                 FROM review_queue q
                 JOIN charts c ON c.chart_id = q.chart_id AND c.status = 'review'
                 WHERE q.state = 'open'
                   AND (?1 IS NULL OR EXISTS (SELECT 1 FROM flags f
                        WHERE f.chart_id = q.chart_id AND f.code = ?1 AND f.resolved_at IS NULL))
                 ORDER BY q.queued_at, q.chart_id",
            )
            .map_err(&err)?;
        type Row = (String, String, Option<Hold>, Option<String>, Option<String>, i64, Vec<String>);
        let entries: Vec<Row> = st
            .query_map([code.map(FlagCode::as_str)], |r| {
                let hold = hold_cols(r, 2)?;
                let types: Option<String> = r.get(7)?;
                let types = types.map(|t| t.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default();
                Ok((r.get(0)?, r.get(1)?, hold, r.get(4)?, r.get(5)?, r.get(6)?, types))
            })
            .and_then(|rows| rows.collect())
            .map_err(&err)?;
        let mut counts = self
            .conn
            .prepare_cached(
                "SELECT code, count(*) FROM flags WHERE chart_id = ?1 AND resolved_at IS NULL
                 GROUP BY code ORDER BY code",
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(entries.len());
        for (chart_id, queued_at, hold, claimed_by, claimed_at, batch_id, doc_types) in entries {
            let rows: Vec<(String, u32)> = counts
                .query_map([&chart_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(self.chart_err(&chart_id, "count open flags"))?;
            let mut open = Vec::with_capacity(rows.len());
            for (c, n) in rows {
                let c = FlagCode::parse(&c).ok_or_else(|| StoreError::Corrupt {
                    path: self.path.clone(),
                    chart_id: chart_id.clone(),
                    what: "flag code",
                })?;
                open.push((c, n));
            }
            open.sort();
            out.push(QueuedChart { chart_id, queued_at, open, hold, claimed_by, claimed_at, doc_types, batch_id });
        }
        Ok(out)
    }

    /// Every open flag of every waiting chart: charts oldest first, flags in
    /// the order raised.
    pub fn open_flags(&self) -> Result<Vec<OpenFlag>> {
        let mut out = Vec::new();
        for q in self.review_queue(None)? {
            for flag in self.flags_for(&q.chart_id)?.into_iter().filter(StoredFlag::is_open) {
                out.push(OpenFlag { chart_id: q.chart_id.clone(), queued_at: q.queued_at.clone(), flag });
            }
        }
        Ok(out)
    }

    /// The pages of a chart as stored, in page order.
    pub fn pages_for(&self, chart_id: &str) -> Result<Vec<PageInfo>> {
        let err = self.chart_err(chart_id, "read pages");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT page, file, file_page, doc_type, status, rotation, skew, words, mean_conf
                 FROM pages WHERE chart_id = ?1 ORDER BY page",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([chart_id], |r| {
                let status: String = r.get(4)?;
                Ok(PageInfo {
                    at: PageRef { page: r.get(0)?, file: r.get(1)?, file_page: r.get(2)? },
                    doc_type: r.get(3)?,
                    status: page_status(&status).ok_or_else(|| bad(4, "unknown page status"))?,
                    rotation: r.get(5)?,
                    skew: r.get::<_, f64>(6)? as f32,
                    words: r.get(7)?,
                    mean_conf: r.get::<_, f64>(8)? as f32,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// The source files of a chart with their content hashes, in page order.
    pub fn sources_for(&self, chart_id: &str) -> Result<Vec<SourceFile>> {
        let err = self.chart_err(chart_id, "read sources");
        let mut st = self
            .conn
            .prepare_cached("SELECT file, hash, bytes FROM sources WHERE chart_id = ?1 ORDER BY seq")
            .map_err(&err)?;
        let rows = st
            .query_map([chart_id], |r| Ok(SourceFile { file: r.get(0)?, hash: r.get(1)?, bytes: r.get(2)? }))
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// One chart's whole review state, `None` when there is no such chart.
    pub fn review_state(&self, chart_id: &str) -> Result<Option<ReviewState>> {
        let err = self.chart_err(chart_id, "read the review state");
        let head = self
            .conn
            .query_row(
                "SELECT c.status, c.pipeline_id, c.batch_id, b.archive,
                        q.state, q.queued_at, q.resolved_by, q.resolved_at,
                        q.hold, q.hold_reason, q.claimed_by, q.claimed_at, q.revision, q.close_reason
                 FROM charts c JOIN batches b ON b.id = c.batch_id
                 LEFT JOIN review_queue q ON q.chart_id = c.chart_id
                 WHERE c.chart_id = ?1",
                [chart_id],
                |r| {
                    let state: Option<String> = r.get(4)?;
                    let queue = match state {
                        Some(state) => Some(QueueEntry {
                            state,
                            queued_at: r.get(5)?,
                            resolved_by: r.get(6)?,
                            resolved_at: r.get(7)?,
                            hold: hold_cols(r, 8)?,
                            claimed_by: r.get(10)?,
                            claimed_at: r.get(11)?,
                            revision: r.get(12)?,
                            close_reason: r.get(13)?,
                        }),
                        None => None,
                    };
                    Ok((status_col(r, 0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?, queue))
                },
            )
            .optional()
            .map_err(&err)?;
        let Some((status, pipeline_id, batch_id, archive, queue)) = head else {
            return Ok(None);
        };
        Ok(Some(ReviewState {
            chart_id: chart_id.to_string(),
            status,
            pipeline_id,
            batch_id,
            archive,
            queue,
            pages: self.pages_for(chart_id)?,
            sources: self.sources_for(chart_id)?,
            values: self.values_for(chart_id)?,
            flags: self.flags_for(chart_id)?,
            document: self.document_for(chart_id)?,
        }))
    }

    /// Begin the review transaction: IMMEDIATE, so that nothing else writes
    /// between what the reviewer's change is checked against and the change.
    /// Every read method of the store called while it is open reads inside
    /// it. Dropped without [`ReviewTx::commit`], nothing is written.
    pub fn begin_review(&self) -> Result<ReviewTx<'_>> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(self.err("begin a review transaction"))?;
        Ok(ReviewTx { store: self, tx })
    }
}

/// The open review transaction: the write operations of the review station.
pub struct ReviewTx<'a> {
    store: &'a Store,
    tx: Transaction<'a>,
}

impl std::fmt::Debug for ReviewTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewTx").field("path", &self.store.path).finish_non_exhaustive()
    }
}

impl<'a> ReviewTx<'a> {
    /// The store, for reads inside this transaction.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// Replace the staged values of a chart in review (in this order; `seq`
    /// is renumbered), each with the pipeline version that read it.
    pub fn replace_values(&self, chart_id: &str, values: &[StagedValue]) -> Result<()> {
        let err = self.store.chart_err(chart_id, "replace the staged values");
        self.tx.execute("DELETE FROM review_values WHERE chart_id = ?1", [chart_id]).map_err(&err)?;
        let mut st = self.tx.prepare_cached(super::load::ValueTable::Staged.insert_sql()).map_err(&err)?;
        for (seq, v) in values.iter().enumerate() {
            super::load::insert_value(&mut st, chart_id, seq, &v.value, &v.pipeline_id, v.verified.as_ref())
                .map_err(&err)?;
        }
        Ok(())
    }

    /// Count a change of an open queue entry; returns the new revision.
    pub fn bump_revision(&self, chart_id: &str) -> Result<i64> {
        self.tx
            .query_row(
                "UPDATE review_queue SET revision = revision + 1 WHERE chart_id = ?1 RETURNING revision",
                [chart_id],
                |r| r.get(0),
            )
            .map_err(self.store.chart_err(chart_id, "count the change"))
    }

    /// Set (or with `None` lift) the hold of an open queue entry.
    pub fn set_hold(&self, chart_id: &str, hold: Option<&Hold>) -> Result<()> {
        self.tx
            .execute(
                "UPDATE review_queue SET hold = ?2, hold_reason = ?3 WHERE chart_id = ?1 AND state = 'open'",
                rusqlite::params![chart_id, hold.map(|h| h.kind.as_str()), hold.map(|h| h.reason.as_str())],
            )
            .map_err(self.store.chart_err(chart_id, "hold"))?;
        Ok(())
    }

    /// Claim an open queue entry for `operator` (or with `None` release it).
    pub fn set_claim(&self, chart_id: &str, operator: Option<&str>) -> Result<()> {
        self.tx
            .execute(
                "UPDATE review_queue SET claimed_by = ?2, claimed_at = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END
                 WHERE chart_id = ?1",
                rusqlite::params![chart_id, operator, now()],
            )
            .map_err(self.store.chart_err(chart_id, "claim"))?;
        Ok(())
    }

    /// Open the closed queue entry of an approved or rejected chart again:
    /// an approved chart's validated values go back to the staged table
    /// (verified marks kept) and its document back to the queue entry; the
    /// chart is in review again. Flags already resolved stay resolved.
    pub fn reopen(&self, chart_id: &str) -> Result<()> {
        let err = self.store.chart_err(chart_id, "reopen");
        let status: String =
            self.tx.query_row("SELECT status FROM charts WHERE chart_id = ?1", [chart_id], |r| r.get(0)).map_err(&err)?;
        if status == "accepted" {
            let values: Vec<StagedValue> = self
                .store
                .values_for(chart_id)?
                .into_iter()
                .map(|v| StagedValue { value: v.value, pipeline_id: v.pipeline_id, verified: v.verified })
                .collect();
            self.tx
                .execute(
                    "UPDATE review_queue SET document = (SELECT document FROM charts WHERE chart_id = ?1)
                     WHERE chart_id = ?1",
                    [chart_id],
                )
                .map_err(&err)?;
            self.tx.execute("DELETE FROM chart_values WHERE chart_id = ?1", [chart_id]).map_err(&err)?;
            self.tx
                .execute("UPDATE charts SET status = 'review', document = NULL WHERE chart_id = ?1", [chart_id])
                .map_err(&err)?;
            self.replace_values(chart_id, &values)?;
        } else {
            self.tx.execute("UPDATE charts SET status = 'review' WHERE chart_id = ?1", [chart_id]).map_err(&err)?;
        }
        self.tx
            .execute(
                "UPDATE review_queue SET state = 'open', resolved_by = NULL, resolved_at = NULL, close_reason = NULL,
                        hold = NULL, hold_reason = NULL, revision = revision + 1
                 WHERE chart_id = ?1",
                [chart_id],
            )
            .map_err(&err)?;
        Ok(())
    }

    /// Replace the staged document of a chart whose queue entry is open.
    pub fn set_document(&self, chart_id: &str, document: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string(document).expect("a JSON value serializes");
        self.tx
            .execute("UPDATE review_queue SET document = ?2 WHERE chart_id = ?1 AND state = 'open'", (chart_id, text))
            .map_err(self.store.chart_err(chart_id, "update the staged document"))?;
        Ok(())
    }

    /// Record what a page read again for the reviewer turned out to be.
    pub fn update_page(&self, chart_id: &str, p: &PageInfo) -> Result<()> {
        self.tx
            .execute(
                "UPDATE pages SET doc_type = ?3, status = ?4, rotation = ?5, skew = ?6, words = ?7, mean_conf = ?8
                 WHERE chart_id = ?1 AND page = ?2",
                rusqlite::params![chart_id, p.at.page, p.doc_type, p.status.as_str(), p.rotation, p.skew as f64, p.words, p.mean_conf as f64],
            )
            .map_err(self.store.chart_err(chart_id, "update a page"))?;
        Ok(())
    }

    /// Move a flag to the new path of its field (its record was renumbered).
    pub fn set_flag_field(&self, chart_id: &str, flag_id: i64, field: &str) -> Result<()> {
        self.tx
            .execute("UPDATE flags SET field = ?3 WHERE chart_id = ?1 AND id = ?2", rusqlite::params![chart_id, flag_id, field])
            .map_err(self.store.chart_err(chart_id, "move a flag"))?;
        Ok(())
    }

    /// Resolve an open flag of the chart; false when there is no such open flag.
    pub fn resolve_flag(&self, chart_id: &str, flag_id: i64, operator: &str, resolution: &str) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "UPDATE flags SET resolved_by = ?3, resolved_at = ?4, resolution = ?5
                 WHERE id = ?1 AND chart_id = ?2 AND resolved_at IS NULL",
                rusqlite::params![flag_id, chart_id, operator, now(), resolution],
            )
            .map_err(self.store.chart_err(chart_id, "resolve a flag"))?;
        Ok(n == 1)
    }

    /// Raise a new open flag on a chart in review; returns its id.
    pub fn add_flag(&self, chart_id: &str, flag: &Flag) -> Result<i64> {
        self.tx
            .execute(
                "INSERT INTO flags (chart_id, code, field, page, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![chart_id, flag.code.as_str(), flag.field, flag.page, flag.reason],
            )
            .map_err(self.store.chart_err(chart_id, "raise a flag"))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Accept a chart in review whose flags are all resolved: close its queue
    /// entry, make the staged document the validated one and move the staged
    /// values into `chart_values` — in the order the triggers require.
    pub fn accept(&self, chart_id: &str, operator: &str, reason: Option<&str>) -> Result<()> {
        let err = self.store.chart_err(chart_id, "approve");
        let at = now();
        self.tx
            .execute(
                "UPDATE review_queue SET state = 'approved', resolved_by = ?2, resolved_at = ?3, close_reason = ?4,
                        hold = NULL, hold_reason = NULL, claimed_by = NULL, claimed_at = NULL, revision = revision + 1
                 WHERE chart_id = ?1 AND state = 'open'",
                (chart_id, operator, &at, reason),
            )
            .map_err(&err)?;
        self.tx
            .execute(
                "UPDATE charts SET status = 'accepted',
                        document = (SELECT document FROM review_queue WHERE chart_id = ?1)
                 WHERE chart_id = ?1 AND status = 'review'",
                [chart_id],
            )
            .map_err(&err)?;
        self.tx
            .execute(
                "INSERT INTO chart_values (chart_id, seq, path, field, kind, value, raw, error, file, page,
                        file_page, bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id, reads, verified_by, verified_at)
                 SELECT chart_id, seq, path, field, kind, value, raw, error, file, page,
                        file_page, bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id, reads, verified_by, verified_at
                 FROM review_values WHERE chart_id = ?1 ORDER BY seq",
                [chart_id],
            )
            .map_err(&err)?;
        self.tx.execute("DELETE FROM review_values WHERE chart_id = ?1", [chart_id]).map_err(&err)?;
        Ok(())
    }

    /// Reject a chart in review: close its queue entry and set it `rejected`.
    /// Its staged values, document and flags stay for the record.
    pub fn reject(&self, chart_id: &str, operator: &str, reason: &str) -> Result<()> {
        let err = self.store.chart_err(chart_id, "reject");
        self.tx
            .execute(
                "UPDATE review_queue SET state = 'rejected', resolved_by = ?2, resolved_at = ?3, close_reason = ?4,
                        hold = NULL, hold_reason = NULL, claimed_by = NULL, claimed_at = NULL, revision = revision + 1
                 WHERE chart_id = ?1 AND state = 'open'",
                (chart_id, operator, now(), reason),
            )
            .map_err(&err)?;
        self.tx
            .execute("UPDATE charts SET status = 'rejected' WHERE chart_id = ?1 AND status = 'review'", [chart_id])
            .map_err(&err)?;
        Ok(())
    }

    /// Append to the audit inside this transaction.
    pub fn audit(&self, entry: &AuditEntry<'_>) -> Result<i64> {
        audit_in(&self.tx, entry).map_err(|source| match entry.chart_id {
            Some(chart_id) => self.store.chart_err(chart_id, "append to the audit")(source),
            None => self.store.err("append to the audit")(source),
        })
    }

    /// Make every change of the transaction durable.
    pub fn commit(self) -> Result<()> {
        self.tx.commit().map_err(self.store.err("commit the review"))
    }
}

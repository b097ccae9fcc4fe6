//! Small read queries for the runner's summary, duplicate detection and the
//! review station.

use super::{BatchCounts, Result, Store, StoreError};
use crate::model::{BBox, ChartStatus, FieldValue, Flag, FlagCode, Provenance, Value};
use crate::pipeline::ValueType;
use rusqlite::types::ValueRef;
use rusqlite::{OptionalExtension, Row};

/// One chart as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartRow {
    pub chart_id: String,
    pub status: ChartStatus,
    pub fingerprint: String,
    pub pipeline_id: String,
    /// The batch that loaded this version of the chart.
    pub batch_id: i64,
    pub loaded_at: String,
    /// Flags not yet resolved.
    pub open_flags: u32,
}

/// A flag as stored, with its resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFlag {
    pub id: i64,
    pub flag: Flag,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub resolution: Option<String>,
}

impl StoredFlag {
    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }
}

/// A value as stored: the extracted value with its provenance, and the
/// pipeline version that read it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredValue {
    pub id: i64,
    pub value: FieldValue,
    pub pipeline_id: String,
    /// Typed or confirmed by a person; `None` for a value as OCR read it.
    pub verified: Option<Verified>,
}

/// Who verified a value, and when: the reviewer typed it or confirmed it
/// against the page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    pub by: String,
    pub at: String,
}

/// A value to stage for a chart in review: the value, the pipeline version
/// that read it and whether a person verified it.
#[derive(Clone, Debug, PartialEq)]
pub struct StagedValue {
    pub value: FieldValue,
    pub pipeline_id: String,
    pub verified: Option<Verified>,
}

/// A batch as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRecord {
    pub id: i64,
    pub archive: String,
    pub pipeline_id: String,
    pub operator: String,
    pub started_at: String,
    /// `None` while running, or when the run was killed.
    pub finished_at: Option<String>,
    pub interrupted: Option<bool>,
    pub counts: BatchCounts,
}

/// The identity of a stored patient, for `duplicate_patient` checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownPatient {
    pub chart_id: String,
    /// Accepted or review.
    pub status: ChartStatus,
    pub mrn: Option<String>,
    pub family: Option<String>,
    pub given: Option<String>,
    pub dob: Option<String>,
}

/// One audit row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: String,
    pub operator: String,
    pub action: String,
    pub chart_id: Option<String>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub batch_id: Option<i64>,
}

fn bad(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, what.to_string().into())
}

pub(crate) fn status_col(r: &Row<'_>, col: usize) -> rusqlite::Result<ChartStatus> {
    ChartStatus::parse(&r.get::<_, String>(col)?).ok_or_else(|| bad(col, "unknown chart status"))
}

/// A stored value back in its own type.
pub(crate) fn value_col(r: &Row<'_>, col: usize) -> rusqlite::Result<Option<Value>> {
    Ok(match r.get_ref(col)? {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(Value::Int(i)),
        ValueRef::Real(n) => Some(Value::Num(n)),
        ValueRef::Text(t) => Some(Value::Text(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Blob(_) => return Err(bad(col, "a value is a blob")),
    })
}

fn flag_row(r: &Row<'_>) -> rusqlite::Result<StoredFlag> {
    let code: String = r.get(1)?;
    Ok(StoredFlag {
        id: r.get(0)?,
        flag: Flag {
            code: FlagCode::parse(&code).ok_or_else(|| bad(1, "unknown flag code"))?,
            field: r.get(2)?,
            page: r.get(3)?,
            reason: r.get(4)?,
        },
        resolved_by: r.get(5)?,
        resolved_at: r.get(6)?,
        resolution: r.get(7)?,
    })
}

fn value_row(r: &Row<'_>) -> rusqlite::Result<StoredValue> {
    let kind: String = r.get(4)?;
    let kind: ValueType =
        serde_json::from_value(serde_json::Value::String(kind)).map_err(|_| bad(4, "unknown value kind"))?;
    Ok(StoredValue {
        id: r.get(0)?,
        value: FieldValue {
            path: r.get(2)?,
            field: r.get(3)?,
            value: value_col(r, 5)?,
            kind,
            raw: r.get(6)?,
            error: r.get(7)?,
            prov: Provenance {
                file: r.get(8)?,
                page: r.get(9)?,
                file_page: r.get(10)?,
                bbox: BBox { x: r.get(11)?, y: r.get(12)?, w: r.get(13)?, h: r.get(14)? },
                conf: r.get::<_, f64>(15)? as f32,
                reads: match r.get::<_, Option<String>>(17)? {
                    Some(json) => serde_json::from_str(&json).map_err(|_| bad(17, "unreadable reads"))?,
                    None => Vec::new(),
                },
            },
        },
        pipeline_id: r.get(16)?,
        verified: match (r.get::<_, Option<String>>(18)?, r.get::<_, Option<String>>(19)?) {
            (Some(by), Some(at)) => Some(Verified { by, at }),
            _ => None,
        },
    })
}

const SELECT_CHART_VALUES: &str = "SELECT id, seq, path, field, kind, value, raw, error, file, page, file_page,
    bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id, reads, verified_by, verified_at FROM chart_values WHERE chart_id = ?1 ORDER BY seq";
const SELECT_REVIEW_VALUES: &str = "SELECT id, seq, path, field, kind, value, raw, error, file, page, file_page,
    bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id, reads, verified_by, verified_at FROM review_values WHERE chart_id = ?1 ORDER BY seq";

impl Store {
    /// Charts by chart id, all of them or those with one status.
    pub fn list_charts(&self, status: Option<ChartStatus>) -> Result<Vec<ChartRow>> {
        let err = self.err("list charts");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT c.chart_id, c.status, c.fingerprint, c.pipeline_id, c.batch_id, c.loaded_at,
                        (SELECT count(*) FROM flags f WHERE f.chart_id = c.chart_id AND f.resolved_at IS NULL)
                 FROM charts c
                 WHERE ?1 IS NULL OR c.status = ?1
                 ORDER BY c.chart_id",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([status.map(|s| s.as_str())], |r| {
                Ok(ChartRow {
                    chart_id: r.get(0)?,
                    status: status_col(r, 1)?,
                    fingerprint: r.get(2)?,
                    pipeline_id: r.get(3)?,
                    batch_id: r.get(4)?,
                    loaded_at: r.get(5)?,
                    open_flags: r.get(6)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// Every flag of a chart (open and resolved), in the order raised.
    pub fn flags_for(&self, chart_id: &str) -> Result<Vec<StoredFlag>> {
        let err = self.chart_err(chart_id, "read flags");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, code, field, page, reason, resolved_by, resolved_at, resolution
                 FROM flags WHERE chart_id = ?1 ORDER BY id",
            )
            .map_err(&err)?;
        let rows = st.query_map([chart_id], flag_row).map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// The values of a chart in extraction order: the validated values of an
    /// accepted chart, the staged values of any other.
    pub fn values_for(&self, chart_id: &str) -> Result<Vec<StoredValue>> {
        let err = self.chart_err(chart_id, "read values");
        let Some(status) = self.chart_state(chart_id)?.map(|s| s.status) else {
            return Ok(Vec::new());
        };
        let sql = match status {
            ChartStatus::Accepted => SELECT_CHART_VALUES,
            _ => SELECT_REVIEW_VALUES,
        };
        let mut st = self.conn.prepare_cached(sql).map_err(&err)?;
        let rows = st.query_map([chart_id], value_row).map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// The export document of a chart: the validated one of an accepted
    /// chart, the staged one of a chart in (or rejected from) review.
    pub fn document_for(&self, chart_id: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT COALESCE(c.document, q.document) FROM charts c
                 LEFT JOIN review_queue q ON q.chart_id = c.chart_id WHERE c.chart_id = ?1",
                [chart_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.chart_err(chart_id, "read the document"))?
            .flatten();
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|_| StoreError::Corrupt { path: self.path.clone(), chart_id: chart_id.into(), what: "document" })
    }

    /// A batch by id.
    pub fn batch(&self, id: i64) -> Result<Option<BatchRecord>> {
        let err = self.err("read a batch");
        let row = self
            .conn
            .query_row(
                "SELECT id, archive, pipeline_id, operator, started_at, finished_at, interrupted, charts_seen,
                        charts_processed, charts_skipped, charts_accepted, charts_review, charts_failed, pages,
                        blank_pages, flag_counts
                 FROM batches WHERE id = ?1",
                [id],
                |r| {
                    let flags: String = r.get(15)?;
                    Ok(BatchRecord {
                        id: r.get(0)?,
                        archive: r.get(1)?,
                        pipeline_id: r.get(2)?,
                        operator: r.get(3)?,
                        started_at: r.get(4)?,
                        finished_at: r.get(5)?,
                        interrupted: r.get(6)?,
                        counts: BatchCounts {
                            charts_seen: r.get(7)?,
                            charts_processed: r.get(8)?,
                            charts_skipped: r.get(9)?,
                            accepted: r.get(10)?,
                            review: r.get(11)?,
                            failed: r.get(12)?,
                            pages: r.get(13)?,
                            blank_pages: r.get(14)?,
                            flags: serde_json::from_str(&flags).map_err(|_| bad(15, "flag counts"))?,
                        },
                    })
                },
            )
            .optional()
            .map_err(&err)?;
        Ok(row)
    }

    /// Patient identities of accepted charts and charts in review, by chart
    /// id: what a new chart is compared with for `duplicate_patient`.
    pub fn known_patients(&self) -> Result<Vec<KnownPatient>> {
        let err = self.err("read patient identities");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT c.chart_id, c.status,
                        json_extract(d.doc, '$.patient.mrn'), json_extract(d.doc, '$.patient.family'),
                        json_extract(d.doc, '$.patient.given'), json_extract(d.doc, '$.patient.dob')
                 FROM charts c
                 JOIN (SELECT chart_id, document AS doc FROM charts WHERE status = 'accepted'
                       UNION ALL
                       SELECT q.chart_id, q.document FROM review_queue q
                       JOIN charts r ON r.chart_id = q.chart_id AND r.status = 'review') d
                   ON d.chart_id = c.chart_id
                 ORDER BY c.chart_id",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([], |r| {
                Ok(KnownPatient {
                    chart_id: r.get(0)?,
                    status: status_col(r, 1)?,
                    mrn: text_or_number(r, 2)?,
                    family: text_or_number(r, 3)?,
                    given: text_or_number(r, 4)?,
                    dob: text_or_number(r, 5)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// Audit rows in order, of one chart or of all.
    pub fn audit_log(&self, chart_id: Option<&str>) -> Result<Vec<AuditRecord>> {
        let err = self.err("read the audit");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, at, operator, action, chart_id, field, old_value, new_value, reason, batch_id
                 FROM audit WHERE ?1 IS NULL OR chart_id = ?1 ORDER BY id",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([chart_id], |r| {
                Ok(AuditRecord {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    operator: r.get(2)?,
                    action: r.get(3)?,
                    chart_id: r.get(4)?,
                    field: r.get(5)?,
                    old_value: r.get(6)?,
                    new_value: r.get(7)?,
                    reason: r.get(8)?,
                    batch_id: r.get(9)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }
}

/// A JSON scalar read by `json_extract` as text (an MRN written as a number
/// still compares as its digits).
fn text_or_number(r: &Row<'_>, col: usize) -> rusqlite::Result<Option<String>> {
    Ok(match r.get_ref(col)? {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(n) => Some(n.to_string()),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => None,
    })
}


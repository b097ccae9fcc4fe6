//! Loading one chart: fingerprint, replace, route by status, audit — in one
//! transaction.

use super::{audit_in, now, AuditEntry, Result, Store, StoreError};
use crate::model::{ChartResult, ChartStatus, FieldValue, SourceFile, Value};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

/// The identity of a chart's input: blake3 over the names and content
/// hashes of its source files, in page order. Each part is length-prefixed,
/// so no two different lists give the same input.
pub fn fingerprint(sources: &[SourceFile]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"chartmill-sources-v1");
    for s in sources {
        for part in [s.file.as_bytes(), s.hash.as_bytes()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
    h.finalize().to_hex().to_string()
}

/// What the database knows about a chart: enough for the runner to skip
/// it when its input has not changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartState {
    pub fingerprint: String,
    pub status: ChartStatus,
    /// `name@version` of the pipeline that loaded it.
    pub pipeline_id: String,
}

impl ChartState {
    /// True when loading `fingerprint` with `pipeline_id` would change nothing.
    pub fn is_unchanged(&self, fingerprint: &str, pipeline_id: &str) -> bool {
        self.fingerprint == fingerprint && self.pipeline_id == pipeline_id
    }
}

/// What [`Store::load_chart`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadOutcome {
    /// A new chart, loaded with this status.
    Loaded(ChartStatus),
    /// The chart existed with other sources (or another pipeline version);
    /// its previous rows were replaced.
    Replaced { previous: ChartStatus, status: ChartStatus },
    /// Same fingerprint and pipeline version: nothing was written. The
    /// status is the stored one (a reviewer may have changed it).
    Unchanged(ChartStatus),
}

impl LoadOutcome {
    /// The chart's status in the database after the load.
    pub fn status(&self) -> ChartStatus {
        match *self {
            LoadOutcome::Loaded(s) | LoadOutcome::Unchanged(s) | LoadOutcome::Replaced { status: s, .. } => s,
        }
    }
}

/// The two value tables share their columns; the statements are constants.
#[derive(Clone, Copy)]
pub(crate) enum ValueTable {
    Validated,
    Staged,
}

impl ValueTable {
    pub(crate) fn insert_sql(self) -> &'static str {
        match self {
            ValueTable::Validated => {
                "INSERT INTO chart_values (chart_id, seq, path, field, kind, value, raw, error, file, page,
                    file_page, bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id, reads, verified_by, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
            }
            ValueTable::Staged => {
                "INSERT INTO review_values (chart_id, seq, path, field, kind, value, raw, error, file, page,
                    file_page, bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id, reads, verified_by, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
            }
        }
    }
}

/// A value as SQLite stores it, keeping its type.
pub(crate) fn to_sql(v: &Option<Value>) -> SqlValue {
    match v {
        None => SqlValue::Null,
        Some(Value::Text(s)) => SqlValue::Text(s.clone()),
        Some(Value::Int(i)) => SqlValue::Integer(*i),
        Some(Value::Num(n)) => SqlValue::Real(*n),
    }
}

fn status_of(s: &str) -> rusqlite::Result<ChartStatus> {
    ChartStatus::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            "unknown chart status".into(),
        )
    })
}

fn state_in(conn: &Connection, chart_id: &str) -> rusqlite::Result<Option<ChartState>> {
    conn.prepare_cached("SELECT fingerprint, status, pipeline_id FROM charts WHERE chart_id = ?1")?
        .query_row([chart_id], |r| {
            Ok(ChartState { fingerprint: r.get(0)?, status: status_of(&r.get::<_, String>(1)?)?, pipeline_id: r.get(2)? })
        })
        .optional()
}

impl Store {
    /// The stored fingerprint, status and pipeline version of a chart.
    pub fn chart_state(&self, chart_id: &str) -> Result<Option<ChartState>> {
        state_in(&self.conn, chart_id).map_err(self.chart_err(chart_id, "read the chart state"))
    }

    /// Load one processed chart in one transaction, routed by
    /// `chart.status()`:
    ///
    /// - accepted: `charts.document` and `chart_values` (the validated tables);
    /// - review: `review_queue` (with the document), `review_values`, `flags`;
    /// - failed: the `charts` row and its errors only.
    ///
    /// `sources`, `pages` and `chart_errors` are stored for every chart, and
    /// one audit row (`loaded`, `queued`, `failed` or `reprocessed`) names the
    /// batch's operator. A chart already stored with the same fingerprint and
    /// pipeline version is left alone ([`LoadOutcome::Unchanged`]); otherwise
    /// its previous rows are replaced, never duplicated. On any error nothing
    /// of the chart is written.
    pub fn load_chart(&self, batch_id: i64, chart: &ChartResult, pipeline_id: &str) -> Result<LoadOutcome> {
        let id = chart.chart_id.as_str();
        let err = self.chart_err(id, "load");
        let fp = fingerprint(&chart.sources);
        let status = chart.status();

        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(&err)?;
        let previous = state_in(&tx, id).map_err(&err)?;
        if let Some(prev) = &previous {
            if prev.is_unchanged(&fp, pipeline_id) {
                return Ok(LoadOutcome::Unchanged(prev.status));
            }
        }
        let operator = Store::batch_operator(&tx, batch_id)
            .map_err(&err)?
            .ok_or_else(|| StoreError::UnknownBatch { path: self.path.clone(), id: batch_id })?;
        if previous.is_some() {
            // Every child row goes with it (ON DELETE CASCADE); the audit stays.
            tx.execute("DELETE FROM charts WHERE chart_id = ?1", [id]).map_err(&err)?;
        }
        let document = serde_json::to_string(&chart.document).expect("a JSON value serializes");
        let loaded_at = now();
        tx.execute(
            "INSERT INTO charts (chart_id, status, fingerprint, pipeline_id, batch_id, loaded_at, document)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                id,
                status.as_str(),
                fp,
                pipeline_id,
                batch_id,
                loaded_at,
                (status == ChartStatus::Accepted).then_some(&document)
            ],
        )
        .map_err(&err)?;
        insert_inputs(&tx, chart).map_err(&err)?;
        match status {
            ChartStatus::Accepted => {
                insert_values(&tx, ValueTable::Validated, id, &chart.values, pipeline_id).map_err(&err)?;
            }
            ChartStatus::Review => {
                tx.execute(
                    "INSERT INTO review_queue (chart_id, queued_at, state, document) VALUES (?1, ?2, 'open', ?3)",
                    (id, &loaded_at, &document),
                )
                .map_err(&err)?;
                insert_values(&tx, ValueTable::Staged, id, &chart.values, pipeline_id).map_err(&err)?;
                insert_flags(&tx, chart).map_err(&err)?;
            }
            // Nothing to validate or review; the flags still say why.
            ChartStatus::Failed | ChartStatus::Rejected => insert_flags(&tx, chart).map_err(&err)?,
        }
        let action = match (&previous, status) {
            (Some(_), _) => "reprocessed",
            (None, ChartStatus::Accepted) => "loaded",
            (None, ChartStatus::Review) => "queued",
            (None, _) => "failed",
        };
        let reason = format!("batch {batch_id}, pipeline {pipeline_id}");
        audit_in(
            &tx,
            &AuditEntry {
                operator: &operator,
                action,
                chart_id: Some(id),
                field: None,
                old_value: previous.as_ref().map(|p| p.status.as_str()),
                new_value: Some(status.as_str()),
                reason: Some(&reason),
                batch_id: Some(batch_id),
            },
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(match previous {
            Some(prev) => LoadOutcome::Replaced { previous: prev.status, status },
            None => LoadOutcome::Loaded(status),
        })
    }
}

/// Sources, pages and errors: stored for every chart.
fn insert_inputs(tx: &Connection, chart: &ChartResult) -> rusqlite::Result<()> {
    let id = &chart.chart_id;
    let mut st = tx.prepare_cached("INSERT INTO sources (chart_id, seq, file, hash, bytes) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (seq, s) in chart.sources.iter().enumerate() {
        st.execute(rusqlite::params![id, seq, s.file, s.hash, s.bytes])?;
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO pages (chart_id, page, file, file_page, doc_type, status, rotation, skew, words, mean_conf)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for p in &chart.pages {
        st.execute(rusqlite::params![
            id,
            p.at.page,
            p.at.file,
            p.at.file_page,
            p.doc_type,
            p.status.as_str(),
            p.rotation,
            f64::from(p.skew),
            p.words,
            f64::from(p.mean_conf)
        ])?;
    }
    let mut st = tx.prepare_cached("INSERT INTO chart_errors (chart_id, seq, message) VALUES (?1, ?2, ?3)")?;
    for (seq, e) in chart.errors.iter().enumerate() {
        st.execute(rusqlite::params![id, seq, e])?;
    }
    Ok(())
}

fn insert_values(
    tx: &Connection,
    table: ValueTable,
    chart_id: &str,
    values: &[FieldValue],
    pipeline_id: &str,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(table.insert_sql())?;
    for (seq, v) in values.iter().enumerate() {
        insert_value(&mut st, chart_id, seq, v, pipeline_id, None)?;
    }
    Ok(())
}

/// One value, through an insert statement of [`ValueTable::insert_sql`].
pub(crate) fn insert_value(
    st: &mut rusqlite::CachedStatement<'_>,
    chart_id: &str,
    seq: usize,
    v: &FieldValue,
    pipeline_id: &str,
    verified: Option<&super::Verified>,
) -> rusqlite::Result<usize> {
    let p = &v.prov;
    // Every read of a value read more than once, as JSON; NULL otherwise.
    let reads = if p.reads.is_empty() { None } else { serde_json::to_string(&p.reads).ok() };
    st.execute(rusqlite::params![
        chart_id,
        seq,
        v.path,
        v.field,
        v.kind.as_str(),
        to_sql(&v.value),
        v.raw,
        v.error,
        p.file,
        p.page,
        p.file_page,
        p.bbox.x,
        p.bbox.y,
        p.bbox.w,
        p.bbox.h,
        f64::from(p.conf),
        pipeline_id,
        reads,
        verified.map(|x| x.by.as_str()),
        verified.map(|x| x.at.as_str())
    ])
}

fn insert_flags(tx: &Connection, chart: &ChartResult) -> rusqlite::Result<()> {
    let mut st =
        tx.prepare_cached("INSERT INTO flags (chart_id, code, field, page, reason) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for f in &chart.flags {
        st.execute(rusqlite::params![chart.chart_id, f.code.as_str(), f.field, f.page, f.reason])?;
    }
    Ok(())
}

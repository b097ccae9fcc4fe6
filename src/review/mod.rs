//! The review station: where a records technician resolves the charts the
//! pipeline could not accept on its own, and where duplicate and overlaid
//! patients are caught.
//!
//! A chart with any flag waits in the review queue (`review_queue`, with its
//! staged values and document) and is not in the validated tables. Every
//! front end works through the review core ([`core`]: [`view`] and
//! [`apply`]); the functions below are its shortest forms. A reviewer
//!
//! - lists the queue ([`crate::store::Store::review_queue`], oldest first);
//! - looks at a chart: every value with its confidence and page, the flags
//!   with their reasons, and a cropped image of each flagged field — the
//!   field's box and a margin, never the whole page ([`crop`]);
//! - **corrects** a value ([`correct`]): the text is normalised and the
//!   corrected chart validated exactly like an extracted one, or the
//!   correction is refused; it resolves the flags on that field;
//! - **confirms** a value as read ([`Action::Confirm`]: marked verified);
//! - **waives** a flag with a coded reason ([`waive`], [`WaiveReason`]);
//! - **holds** or **escalates** a chart with a reason, **claims** it, and
//!   **reopens** an approved or rejected one;
//! - **approves** the chart ([`approve`]) once no flag is open — it then
//!   moves into the validated tables — or **rejects** it with a reason
//!   ([`reject`]);
//! - or does all of this in a spreadsheet: [`worklist`] exports one row per
//!   open flag and imports the filled-in sheet back, all rows or none.
//!
//! Every action names its operator and appends to the audit (who, when,
//! chart, field, old value, new value, reason); the audit is append-only
//! and the tool has no command that changes it. Reading a chart's values
//! (`show`) and exporting the worklist are audited too: they disclose
//! patient data.
//!
//! [`duplicates`] flags `duplicate_patient` for the runner, before a chart
//! is loaded; a correction of the patient's name, MRN or date of birth
//! checks the chart again.
//!
//! # Invariants
//!
//! - Every change is made in one IMMEDIATE store transaction that first reads
//!   the chart's state and then writes: a check and its change cannot be
//!   separated by another writer, and a refused change writes nothing.
//! - No patient value is ever in an error or log message; refusals name the
//!   chart, the field, the flag code and the rule. Values are printed only
//!   by `review show` (standard output) and written only to the crops and
//!   the worklist, files created mode 0600.
//! - Only `store` opens the database; this module never holds SQL.
//!
//! # Decisions where the issue is silent
//!
//! - A corrected value keeps the page and box of the value it replaces (a
//!   missing value gets its record's page and an empty box), its `raw` is
//!   the text the reviewer typed and its confidence is 100; the audit keeps
//!   what OCR had read.
//! - A correction that makes validation raise a flag on another field (a
//!   corrected visit date that is now before the DOB) adds that flag; a
//!   flag validation no longer raises (`missing_field`, `low_confidence`,
//!   `invalid_value`, `implausible_date`) is resolved, and the audit says
//!   which correction did it. `identity_mismatch` cannot be recomputed (the
//!   page labels are not stored): it is resolved by a correction of its
//!   field or a waiver.
//! - The queue entry of an approved or rejected chart stays, with state
//!   `approved` / `rejected` and who closed it; "waiting" means an open
//!   entry. Approved charts' staged values move to `chart_values`.

pub mod audit;
pub mod cli;
pub mod core;
pub mod crop;
pub mod draft;
pub mod duplicates;
pub mod parts;
pub mod reread;
pub mod worklist;

pub use audit::{audit_rows, AuditKind};
pub use self::core::{apply, view, Action, ChartView, Outcome, Request, WaiveReason};
pub use draft::{Corrected, FlagSelector};
pub use duplicates::PatientIndex;

use crate::pipeline::Pipeline;
use crate::store::{ReviewTx, Store, StoreError};
use draft::Draft;
use std::path::PathBuf;

/// Something the reviewer asked for that is not allowed. Messages name the
/// chart, field, flag and rule — never a patient value.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no chart {chart_id} in the database")]
    NoChart { chart_id: String },
    #[error("chart {chart_id} is not waiting for review (its status is {status})")]
    NotWaiting { chart_id: String, status: String },
    #[error("chart {chart_id} cannot be approved: {} flag(s) still open (correct or waive them first):\n  {}", open.len(), open.join("\n  "))]
    OpenFlags { chart_id: String, open: Vec<String> },
    #[error("a reason is required to {action}")]
    NoReason { action: &'static str },
    #[error("no operator: give --operator NAME")]
    NoOperator,
    #[error("chart {chart_id}: no field {field}: {hint}")]
    UnknownField { chart_id: String, field: String, hint: String },
    #[error("chart {chart_id}: no record holds {field} (no such page or table row)")]
    NoRecord { chart_id: String, field: String },
    #[error("chart {chart_id}: the correction of {field} is refused: not a valid {kind} value: {error}")]
    NotNormalised { chart_id: String, field: String, kind: &'static str, error: String },
    #[error("chart {chart_id}: the correction of {field} is refused: validation flags it: {}", flags.join("; "))]
    FailsValidation { chart_id: String, field: String, flags: Vec<String> },
    #[error(
        "chart {chart_id} was read with pipeline {chart}, not {given}: give that pipeline's file with --pipeline"
    )]
    PipelineMismatch { chart_id: String, chart: String, given: String },
    #[error("chart {chart_id} has no open flag with {what}{}", if open.is_empty() { "; it has no open flag".to_string() } else { format!("; its open flags:\n  {}", open.join("\n  ")) })]
    NoOpenFlag { chart_id: String, what: String, open: Vec<String> },
    #[error("chart {chart_id} changed since you saw it (revision {seen}, now {now}): nothing was changed; look at it again")]
    Stale { chart_id: String, seen: i64, now: i64 },
    #[error("chart {chart_id} is being worked on by {by}: you cannot {action} until they finish or their claim lapses")]
    Claimed { chart_id: String, by: String, action: &'static str },
    #[error("chart {chart_id}: the correction of {field} would remove {} part(s) it holds: {}; correct one part (e.g. {}) or, if they are not on the page, say so (--drop-parts)", dropped.len(), dropped.join(", "), dropped.first().map(String::as_str).unwrap_or(""))]
    WouldDrop { chart_id: String, field: String, dropped: Vec<String> },
    #[error("{0}")]
    Usage(String),
    #[error("worklist {}: {} bad row(s), nothing was changed:\n  {}", file.display(), errors.len(), errors.iter().map(|(line, e)| format!("line {line}: {e}")).collect::<Vec<_>>().join("\n  "))]
    Worklist { file: PathBuf, errors: Vec<(u64, String)> },
}

/// Why a review command did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Refused: nothing was changed; the reviewer can fix the request.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReviewError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, ReviewError::Refused(_))
    }
}

/// The operator, trimmed; refused when empty.
pub fn check_operator(operator: &str) -> Result<&str, Refusal> {
    let op = operator.trim();
    if op.is_empty() {
        return Err(Refusal::NoOperator);
    }
    Ok(op)
}

/// Today's date, for two-digit years and implausible dates.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// The draft of a chart waiting for review, read inside `tx`.
fn load_draft(tx: &ReviewTx<'_>, chart_id: &str, operator: &str) -> Result<Draft, ReviewError> {
    let state =
        tx.store().review_state(chart_id)?.ok_or_else(|| Refusal::NoChart { chart_id: chart_id.to_string() })?;
    Ok(Draft::new(state, operator)?)
}

/// Correct `field` (or one part of it) of a chart in review to the text
/// `value`, with a reason: [`Action::Correct`] through the core.
pub fn correct(
    store: &Store,
    pipeline: &Pipeline,
    operator: &str,
    chart_id: &str,
    field: &str,
    value: &str,
    reason: &str,
) -> Result<Corrected, ReviewError> {
    draft::required_reason(reason, "correct a value")?;
    let action = Action::Correct { field: field.into(), value: value.into(), reason: Some(reason.into()), drop_parts: false };
    let done = apply(store, pipeline, Request { operator, chart_id, revision: None }, action)?;
    Ok(done.corrected.unwrap_or_default())
}

/// Waive the open flags `which` selects with a free-text reason
/// ([`WaiveReason::Other`]).
pub fn waive(store: &Store, operator: &str, chart_id: &str, which: &FlagSelector, reason: &str) -> Result<Vec<String>, ReviewError> {
    let note = draft::required_reason(reason, "waive a flag")?;
    let action = Action::Waive { which: which.clone(), reason: WaiveReason::Other, note: Some(note.into()) };
    Ok(apply(store, &Pipeline::default_pipeline(), Request { operator, chart_id, revision: None }, action)?.waived)
}

/// Approve a chart in review ([`Action::Approve`]).
pub fn approve(store: &Store, operator: &str, chart_id: &str, reason: Option<&str>) -> Result<Outcome, ReviewError> {
    let action = Action::Approve { note: reason.map(str::to_string) };
    apply(store, &Pipeline::default_pipeline(), Request { operator, chart_id, revision: None }, action)
}

/// Reject a chart in review with a reason ([`Action::Reject`]).
pub fn reject(store: &Store, operator: &str, chart_id: &str, reason: &str) -> Result<Outcome, ReviewError> {
    let action = Action::Reject { reason: reason.into() };
    apply(store, &Pipeline::default_pipeline(), Request { operator, chart_id, revision: None }, action)
}

#[cfg(test)]
mod tests;

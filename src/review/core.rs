//! The review core: what a front end shows of a chart ([`view`]) and the
//! actions a reviewer takes on it ([`apply`]). The command line
//! (`review::cli`) is a thin front end over it; so is any other.
//!
//! Every action is one IMMEDIATE store transaction: it reads the chart's
//! state, checks the action against it (the chart waits for review, the
//! operator is named, nobody else holds a fresh claim, the revision the
//! reviewer saw is still the chart's), applies it to a [`Draft`] — where a
//! correction is normalised and validated like an extracted value — writes
//! the changes with their audit lines, and counts a revision. A refused
//! action writes nothing.
//!
//! The review outcome stays with the chart: a value a person typed or
//! confirmed is marked verified (who, when), the resolution of every flag
//! is kept with its coded reason, a held or escalated chart says why, and a
//! rejected chart stays with its reason (and can be reopened, as an approved
//! one can).

use super::draft::{Draft, FlagSelector, LazyIndex};
use super::duplicates::{Identity, PatientIndex, PatientMatch};
use super::{check_operator, today, Refusal, ReviewError};
use crate::model::{ChartStatus, FlagCode};
use crate::pipeline::Pipeline;
use crate::store::{AuditEntry, AuditRecord, Hold, HoldKind, ReviewState, Store};

/// How long a claim keeps other reviewers off a chart without a change.
pub const CLAIM_MINUTES: i64 = 30;

/// Why a flag is waived: a closed list, so that waivers can be counted and
/// audited by kind; `Other` needs a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum WaiveReason {
    /// The page says exactly what was read (an unusual but real value).
    AsWritten,
    /// The value is not written on the source page.
    NotOnSource,
    /// The source itself is illegible there; nothing better can be read.
    Illegible,
    /// The field does not apply to this patient or document.
    NotApplicable,
    /// Checked: the other chart is the same patient (merge handled apart).
    SamePatient,
    /// Checked: the other chart is a different patient.
    DifferentPatient,
    /// Anything else; the note says what.
    Other,
}

impl WaiveReason {
    pub const ALL: [WaiveReason; 7] = [
        WaiveReason::AsWritten,
        WaiveReason::NotOnSource,
        WaiveReason::Illegible,
        WaiveReason::NotApplicable,
        WaiveReason::SamePatient,
        WaiveReason::DifferentPatient,
        WaiveReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WaiveReason::AsWritten => "as_written",
            WaiveReason::NotOnSource => "not_on_source",
            WaiveReason::Illegible => "illegible",
            WaiveReason::NotApplicable => "not_applicable",
            WaiveReason::SamePatient => "same_patient",
            WaiveReason::DifferentPatient => "different_patient",
            WaiveReason::Other => "other",
        }
    }

    /// What a person reads in a list of reasons.
    pub fn label(self) -> &'static str {
        match self {
            WaiveReason::AsWritten => "the page says exactly this",
            WaiveReason::NotOnSource => "not written on the page",
            WaiveReason::Illegible => "illegible on the page",
            WaiveReason::NotApplicable => "does not apply",
            WaiveReason::SamePatient => "checked: the same patient",
            WaiveReason::DifferentPatient => "checked: a different patient",
            WaiveReason::Other => "other (say why)",
        }
    }

    pub fn parse(s: &str) -> Option<WaiveReason> {
        WaiveReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a reviewer does to a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Correct a field, or one part of it, to the value on the page.
    Correct {
        field: String,
        value: String,
        /// Default: "corrected from the source page".
        reason: Option<String>,
        /// Allow a whole-field correction to remove parts the field holds.
        drop_parts: bool,
    },
    /// The value (field or part) is right as read.
    Confirm { field: String },
    /// Waive the open flags selected, with a coded reason.
    Waive { which: FlagSelector, reason: WaiveReason, note: Option<String> },
    /// Set the chart aside, waiting for something; with the reason.
    Hold { reason: String },
    /// Hand the chart to a senior reviewer; with the reason.
    Escalate { reason: String },
    /// Lift a hold or escalation.
    Release,
    /// Take the chart so that nobody else changes it meanwhile.
    Claim,
    /// Give the claim up.
    Unclaim,
    /// Load the chart into the validated tables; refused while a flag is open.
    Approve { note: Option<String> },
    /// Keep the chart out of the validated tables, with the reason.
    Reject { reason: String },
    /// Bring an approved or rejected chart back into review, with the reason.
    Reopen { reason: String },
    /// Read a page again (OCR), turned `turn` degrees further clockwise
    /// (0, 90, 180, 270) and/or as the document type a person names; its
    /// values replace the page's old ones.
    ReadAgain {
        page: u32,
        turn: u32,
        doc_type: Option<String>,
        /// Where the scans are, when not where the batch found them.
        archive: Option<std::path::PathBuf>,
        /// Accept a read with fewer records of a list than the page had.
        drop_records: bool,
    },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Correct { .. } => "correct a value",
            Action::Confirm { .. } => "confirm a value",
            Action::Waive { .. } => "waive a flag",
            Action::Hold { .. } => "hold a chart",
            Action::Escalate { .. } => "escalate a chart",
            Action::Release => "release a chart",
            Action::Claim => "claim a chart",
            Action::Unclaim => "give up a claim",
            Action::Approve { .. } => "approve a chart",
            Action::Reject { .. } => "reject a chart",
            Action::Reopen { .. } => "reopen a chart",
            Action::ReadAgain { .. } => "read a page again",
        }
    }
}

/// What an action did, for the front end to say.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The chart's revision after the action: the next edit names it.
    pub revision: i64,
    /// One line per effect (`resolved flag 12 …`, `raised new flag …`);
    /// they name fields and flags, never values.
    pub lines: Vec<String>,
    /// Open flags left on the chart.
    pub open_flags: usize,
    /// What a correction did (values included: for the front end only).
    pub corrected: Option<super::Corrected>,
    /// The flags a waiver resolved, described.
    pub waived: Vec<String>,
}

/// Who asks, on which chart, having seen which revision.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub operator: &'a str,
    pub chart_id: &'a str,
    /// The revision the reviewer's screen showed; `None` skips the check
    /// (a command typed against the chart as it is now).
    pub revision: Option<i64>,
}

/// Apply one action in one transaction, or refuse it and change nothing.
pub fn apply(store: &Store, pipeline: &Pipeline, req: Request<'_>, action: Action) -> Result<Outcome, ReviewError> {
    let operator = check_operator(req.operator)?;
    let chart_id = req.chart_id;
    // OCR takes seconds: a page is read again before the transaction, and
    // the transaction then checks that the chart did not change meanwhile.
    let mut read_again = match &action {
        Action::ReadAgain { page, turn, doc_type, archive, .. } => Some(read_page_again(store, pipeline, operator, req, *page, *turn, doc_type.as_deref(), archive.as_deref())?),
        _ => None,
    };
    let tx = store.begin_review()?;
    let state = store.review_state(chart_id)?.ok_or_else(|| Refusal::NoChart { chart_id: chart_id.to_string() })?;
    let queue = state.queue.clone();
    if let (Some((_, _, read_at)), Some(q)) = (&read_again, &queue) {
        if *read_at != q.revision {
            return Err(Refusal::Stale { chart_id: chart_id.into(), seen: *read_at, now: q.revision }.into());
        }
    }
    if let (Some(seen), Some(q)) = (req.revision, &queue) {
        if seen != q.revision {
            return Err(Refusal::Stale { chart_id: chart_id.into(), seen, now: q.revision }.into());
        }
    }

    if let Action::Reopen { reason } = &action {
        let reason = super::draft::required_reason(reason, "reopen a chart")?;
        let closed = matches!(state.status, ChartStatus::Accepted | ChartStatus::Rejected)
            && queue.as_ref().is_some_and(|q| q.state != "open");
        if !closed {
            return Err(Refusal::Usage(format!(
                "chart {chart_id} cannot be reopened: only an approved or rejected chart from review can (its status is {})",
                state.status.as_str()
            ))
            .into());
        }
        tx.reopen(chart_id)?;
        tx.set_claim(chart_id, Some(operator))?;
        tx.audit(&AuditEntry {
            operator,
            action: "reopened",
            chart_id: Some(chart_id),
            old_value: Some(state.status.as_str()),
            new_value: Some("review"),
            reason: Some(reason),
            ..AuditEntry::default()
        })?;
        let revision = store.review_state(chart_id)?.and_then(|s| s.queue).map_or(0, |q| q.revision);
        let open_flags = state.open_flags().count();
        tx.commit()?;
        return Ok(Outcome {
            revision,
            lines: vec![format!("chart {chart_id}: back in review")],
            open_flags,
            ..Outcome::default()
        });
    }

    if let Some(by) = claimed_by_other(&state, operator) {
        return Err(Refusal::Claimed { chart_id: chart_id.into(), by, action: action.name() }.into());
    }
    let mut draft = Draft::new(state, operator)?;
    let mut lines = Vec::new();
    let mut corrected = None;
    let mut waived = Vec::new();
    let closes = matches!(action, Action::Approve { .. } | Action::Reject { .. });
    match action {
        Action::Correct { field, value, reason, drop_parts } => {
            let reason = reason.filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "corrected from the source page".into());
            let mut index = LazyIndex::new(store);
            let done = draft.correct(pipeline, today(), &mut index, &field, &value, &reason, drop_parts)?;
            lines.push(format!("chart {chart_id}: {field} corrected"));
            if !done.dropped.is_empty() {
                lines.push(format!("  parts removed: {}", done.dropped.join(", ")));
            }
            lines.extend(done.resolved.iter().map(|r| format!("  resolved {r}")));
            lines.extend(done.raised.iter().map(|r| format!("  raised {r}")));
            corrected = Some(done);
        }
        Action::Confirm { field } => {
            let (resolved, still) = draft.confirm(&field)?;
            lines.push(format!("chart {chart_id}: {field} confirmed as read"));
            lines.extend(resolved.iter().map(|r| format!("  resolved {r}")));
            lines.extend(still.iter().map(|r| format!("  still open {r}")));
        }
        Action::Waive { which, reason, note } => {
            let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
            if reason == WaiveReason::Other && note.is_none() {
                return Err(Refusal::NoReason { action: "waive a flag for another reason (say why)" }.into());
            }
            let text = match note {
                Some(n) => format!("{}: {n}", reason.as_str()),
                None => reason.as_str().to_string(),
            };
            waived = draft.waive(&which, &text)?;
            lines.extend(waived.iter().map(|w| format!("chart {chart_id}: waived {w}")));
        }
        Action::Hold { reason } | Action::Escalate { reason } if reason.trim().is_empty() => {
            return Err(Refusal::NoReason { action: "set a chart aside" }.into());
        }
        Action::Hold { reason } => set_hold(&tx, operator, chart_id, Some(Hold { kind: HoldKind::Held, reason }), &mut lines)?,
        Action::Escalate { reason } => {
            set_hold(&tx, operator, chart_id, Some(Hold { kind: HoldKind::Escalated, reason }), &mut lines)?
        }
        Action::Release => {
            if draft.state.queue.as_ref().is_none_or(|q| q.hold.is_none()) {
                return Err(Refusal::Usage(format!("chart {chart_id} is not held or escalated")).into());
            }
            set_hold(&tx, operator, chart_id, None, &mut lines)?;
        }
        Action::Claim => {
            tx.set_claim(chart_id, Some(operator))?;
            lines.push(format!("chart {chart_id}: claimed by {operator}"));
        }
        Action::Unclaim => {
            tx.set_claim(chart_id, None)?;
            lines.push(format!("chart {chart_id}: claim given up"));
        }
        Action::Approve { note } => {
            draft.check_approvable()?;
            let note = note.as_deref().map(str::trim).filter(|r| !r.is_empty());
            tx.accept(chart_id, operator, note)?;
            tx.audit(&AuditEntry {
                operator,
                action: "approved",
                chart_id: Some(chart_id),
                old_value: Some("review"),
                new_value: Some("accepted"),
                reason: note,
                ..AuditEntry::default()
            })?;
            lines.push(format!("chart {chart_id}: approved and loaded into the validated tables"));
        }
        Action::Reject { reason } => {
            let reason = super::draft::required_reason(&reason, "reject a chart")?;
            tx.reject(chart_id, operator, reason)?;
            tx.audit(&AuditEntry {
                operator,
                action: "rejected",
                chart_id: Some(chart_id),
                old_value: Some("review"),
                new_value: Some("rejected"),
                reason: Some(reason),
                ..AuditEntry::default()
            })?;
            lines.push(format!("chart {chart_id}: rejected; it stays listed, with the reason, and can be reopened"));
        }
        Action::Reopen { .. } => unreachable!("handled above"),
        Action::ReadAgain { drop_records, .. } => {
            let (x, how, _) = read_again.take().expect("read before the transaction");
            let done = draft.replace_page(pipeline, today(), x, &how, drop_records)?;
            lines.push(format!(
                "chart {chart_id}: page {} read again ({how}): {} → {}; {} value(s) before, {} now",
                done.page,
                done.doc_type_before.as_deref().unwrap_or("no type"),
                done.doc_type.as_deref().unwrap_or("no type"),
                done.values_before,
                done.values_now
            ));
            lines.extend(done.records.iter().map(|(l, (b, n))| format!("  {l}: {b} record(s) on the page before, {n} now")));
            lines.extend(done.resolved.iter().map(|r| format!("  resolved {r}")));
            lines.extend(done.raised.iter().map(|r| format!("  raised {r}")));
        }
    }
    draft.write(&tx, operator)?;
    let revision = if closes {
        store.review_state(chart_id)?.and_then(|s| s.queue).map_or(0, |q| q.revision)
    } else {
        tx.bump_revision(chart_id)?
    };
    let open_flags = if closes { 0 } else { draft.open_flags().count() };
    tx.commit()?;
    Ok(Outcome { revision, lines, open_flags, corrected, waived })
}

fn set_hold(
    tx: &crate::store::ReviewTx<'_>,
    operator: &str,
    chart_id: &str,
    hold: Option<Hold>,
    lines: &mut Vec<String>,
) -> Result<(), ReviewError> {
    tx.set_hold(chart_id, hold.as_ref())?;
    let (action, new, reason) = match &hold {
        Some(h) => (h.kind.as_str(), Some(h.kind.as_str()), Some(h.reason.trim())),
        None => ("released", None, None),
    };
    tx.audit(&AuditEntry {
        operator,
        action,
        chart_id: Some(chart_id),
        new_value: new,
        reason,
        ..AuditEntry::default()
    })?;
    lines.push(format!("chart {chart_id}: {}", if hold.is_some() { action } else { "back in the queue" }));
    Ok(())
}

/// Read a page of a waiting chart again, outside any transaction: the new
/// read, what was done (for the audit), and the chart's revision it was made on.
#[allow(clippy::too_many_arguments)]
fn read_page_again(
    store: &Store,
    pipeline: &Pipeline,
    operator: &str,
    req: Request<'_>,
    page: u32,
    turn: u32,
    doc_type: Option<&str>,
    archive: Option<&std::path::Path>,
) -> Result<(crate::extract::PageExtract, String, i64), ReviewError> {
    let chart_id = req.chart_id;
    let state = store.review_state(chart_id)?.ok_or_else(|| Refusal::NoChart { chart_id: chart_id.to_string() })?;
    if !state.is_waiting() {
        return Err(Refusal::NotWaiting { chart_id: chart_id.into(), status: state.status.as_str().into() }.into());
    }
    if let Some(by) = claimed_by_other(&state, operator) {
        return Err(Refusal::Claimed { chart_id: chart_id.into(), by, action: "read a page again" }.into());
    }
    let revision = state.queue.as_ref().map_or(0, |q| q.revision);
    if let Some(seen) = req.revision {
        if seen != revision {
            return Err(Refusal::Stale { chart_id: chart_id.into(), seen, now: revision }.into());
        }
    }
    if !turn.is_multiple_of(90) {
        return Err(Refusal::Usage(format!("a page turns by 0, 90, 180 or 270 degrees, not {turn}")).into());
    }
    if let Some(t) = doc_type {
        if pipeline.document(t).is_none() {
            let known: Vec<&str> = pipeline.documents.iter().map(|d| d.doc_type.as_str()).collect();
            return Err(Refusal::Usage(format!("the pipeline has no document type {t}; it has: {}", known.join(", "))).into());
        }
    }
    let info = state
        .pages
        .iter()
        .find(|p| p.at.page == page)
        .ok_or_else(|| Refusal::Usage(format!("chart {chart_id} has no page {page}")))?;
    let archive = archive.map(std::path::Path::to_path_buf).unwrap_or_else(|| std::path::PathBuf::from(&state.archive));
    super::crop::check_source(&state, &archive, &info.at.file).map_err(|e| Refusal::Usage(format!("chart {chart_id}: {e}")))?;
    let norm = crate::normalize::Context { today: today() };
    let rotation = (info.rotation + turn) % 360;
    let x = crate::run::read_page_again(pipeline, &archive, &info.at, rotation, doc_type, &norm)
        .map_err(|e| Refusal::Usage(format!("chart {chart_id}: page {page} cannot be read again: {e}")))?;
    let mut how = Vec::new();
    if !turn.is_multiple_of(360) {
        how.push(format!("turned {}°", turn % 360));
    }
    if let Some(t) = doc_type {
        how.push(format!("as {t}"));
    }
    if how.is_empty() {
        how.push("as it is".into());
    }
    how.push(format!("read at {}°", x.info.rotation));
    Ok((x, how.join(", "), revision))
}

/// The other reviewer holding a fresh claim on the chart, if any.
fn claimed_by_other(state: &ReviewState, operator: &str) -> Option<String> {
    let q = state.queue.as_ref()?;
    let by = q.claimed_by.as_deref()?;
    if by == operator {
        return None;
    }
    let at = chrono::DateTime::parse_from_rfc3339(q.claimed_at.as_deref()?).ok()?;
    let age = chrono::Utc::now().signed_duration_since(at.with_timezone(&chrono::Utc));
    (age < chrono::Duration::minutes(CLAIM_MINUTES)).then(|| by.to_string())
}

/// Everything a front end shows of one chart.
#[derive(Clone, Debug)]
pub struct ChartView {
    pub state: ReviewState,
    /// Other charts that may be the same patient (same MRN with another
    /// name or birth date, or the same name and birth date under another MRN).
    pub duplicates: Vec<PatientMatch>,
    /// Every change and view of the chart, oldest first.
    pub history: Vec<AuditRecord>,
}

/// Read a chart for a person and record that they saw it (`viewed`, with
/// what was shown): patient data disclosed is audited like a change.
pub fn view(store: &Store, operator: &str, chart_id: &str, shown: &str) -> Result<ChartView, ReviewError> {
    let operator = check_operator(operator)?;
    let state = store.review_state(chart_id)?.ok_or_else(|| Refusal::NoChart { chart_id: chart_id.to_string() })?;
    let who = state.document.as_ref().map(Identity::from_document).unwrap_or_default();
    let duplicates = if state.flags.iter().any(|f| f.flag.code == FlagCode::DuplicatePatient) {
        PatientIndex::from_store(store)?.matches(chart_id, &who)
    } else {
        Vec::new()
    };
    let history = store.audit_log(Some(chart_id))?;
    store.audit(&AuditEntry { operator, action: "viewed", chart_id: Some(chart_id), reason: Some(shown), ..AuditEntry::default() })?;
    Ok(ChartView { state, duplicates, history })
}

//! One chart under review, in memory: the reviewer's corrections and
//! waivers are applied and checked here, then written by the store in one
//! transaction ([`Draft::write`]).
//!
//! A correction is normalised and validated as an extracted value would be:
//! the value goes through [`crate::extract::field_values`] with the field's
//! value type from the pipeline, and the corrected chart through
//! [`crate::validate::validate`]. The chart's records (which document page is
//! which encounter, which values form a table row) are rebuilt from the
//! stored pages and values, the way `extract::assemble_chart` numbered them;
//! the page labels (`header`) are not stored, so `identity_mismatch` is not
//! raised again by a correction (the flag stays until it is corrected or
//! waived).

use super::duplicates::{self, Identity, Origin, PatientIndex};
use super::Refusal;
use crate::extract;
use crate::model::{BBox, FieldValue, Flag, FlagCode, PageInfo, Provenance, RecordKind, RecordRef};
use crate::normalize;
use crate::pipeline::{path, Pipeline, ValueType};
use super::parts;
use crate::store::{AuditEntry, ReviewState, ReviewTx, StagedValue, Store, StoreError, Verified};
use crate::validate;
use chrono::NaiveDate;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The confidence recorded for a value a reviewer typed.
pub const REVIEWED_CONF: f32 = 100.0;

/// Codes that validation raises from the values alone: a correction can
/// make them appear or disappear on other fields.
pub(super) const RECOMPUTED: [FlagCode; 4] =
    [FlagCode::MissingField, FlagCode::LowConfidence, FlagCode::InvalidValue, FlagCode::ImplausibleDate];

/// The patient index, read from the store the first time it is needed
/// (a correction of the patient's name, MRN or DOB) and kept up to date
/// with the corrections of the same transaction.
pub struct LazyIndex<'s> {
    store: &'s Store,
    index: Option<PatientIndex>,
}

impl<'s> LazyIndex<'s> {
    pub fn new(store: &'s Store) -> LazyIndex<'s> {
        LazyIndex { store, index: None }
    }

    pub fn get(&mut self) -> Result<&mut PatientIndex, StoreError> {
        if self.index.is_none() {
            self.index = Some(PatientIndex::from_store(self.store)?);
        }
        Ok(self.index.as_mut().expect("just built"))
    }
}

/// A flag of the draft: stored (with its id) or raised by a correction.
#[derive(Clone, Debug)]
pub struct DraftFlag {
    pub id: Option<i64>,
    pub flag: Flag,
    /// Open when the draft was loaded (or raised in it).
    pub was_open: bool,
    /// The stored resolution (`waived: …`, `corrected: …`), if any.
    pub stored_resolution: Option<String>,
    /// Resolved in this draft, with its resolution.
    pub resolved_now: Option<String>,
    /// Its field's old path, when its record was renumbered in this draft.
    pub moved_from: Option<String>,
}

impl DraftFlag {
    pub fn is_open(&self) -> bool {
        self.was_open && self.resolved_now.is_none()
    }

    fn is_waived(&self) -> bool {
        let r = self.resolved_now.as_deref().or(self.stored_resolution.as_deref());
        r.is_some_and(|r| r.starts_with("waived"))
    }

    /// `flag 12 low_confidence patient.dob page 1` (no value).
    pub fn describe(&self) -> String {
        let mut s = match self.id {
            Some(id) => format!("flag {id} {}", self.flag.code),
            None => format!("new flag {}", self.flag.code),
        };
        if let Some(f) = &self.flag.field {
            s.push(' ');
            s.push_str(f);
        }
        if let Some(p) = self.flag.page {
            s.push_str(&format!(" page {p}"));
        }
        s.push_str(": ");
        s.push_str(&self.flag.reason);
        s
    }
}

/// One audit row of the draft (the chart id and operator are added on write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLine {
    pub action: &'static str,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

/// What a correction did.
#[derive(Clone, Debug, Default)]
pub struct Corrected {
    pub old_value: Option<String>,
    pub new_value: String,
    /// Flags resolved: those on the field, and those no longer raised.
    pub resolved: Vec<String>,
    /// Flags the correction raised on other fields (or a duplicate patient).
    pub raised: Vec<String>,
    /// Parts the field held that the correction removed (only when asked).
    pub dropped: Vec<String>,
}

/// What a correction replaces: which values of the draft, by what.
struct Plan {
    /// The stored field the values belong to.
    field: String,
    /// The part corrected, when not the whole field.
    part: Option<String>,
    /// Indices into the draft's values, ascending.
    replaced: Vec<usize>,
    new_values: Vec<StagedValue>,
    old_value: Option<String>,
    new_value: String,
    dropped: Vec<String>,
}

/// Which open flags to waive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagSelector {
    pub id: Option<i64>,
    pub code: Option<FlagCode>,
    pub field: Option<String>,
}

impl FlagSelector {
    fn matches(&self, f: &DraftFlag) -> bool {
        self.id.is_none_or(|id| f.id == Some(id))
            && self.code.is_none_or(|c| f.flag.code == c)
            && self.field.as_ref().is_none_or(|field| f.flag.field.as_ref() == Some(field))
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(id) = self.id {
            parts.push(format!("id {id}"));
        }
        if let Some(c) = self.code {
            parts.push(format!("code {c}"));
        }
        if let Some(f) = &self.field {
            parts.push(format!("field {f}"));
        }
        parts.join(", ")
    }
}

/// A chart in review with the reviewer's changes, not yet written.
#[derive(Debug)]
pub struct Draft {
    pub state: ReviewState,
    /// Current values with the pipeline version that read them and who verified them.
    pub values: Vec<StagedValue>,
    /// Who makes the changes, and when (a value they type or confirm is
    /// marked verified by them).
    verifier: Verified,
    pub flags: Vec<DraftFlag>,
    pub document: Option<Json>,
    values_changed: bool,
    /// Pages read again in this draft.
    pages_changed: bool,
    pub audit: Vec<AuditLine>,
}

impl Draft {
    /// A draft of a chart that waits for review.
    pub fn new(state: ReviewState, operator: &str) -> Result<Draft, Refusal> {
        if !state.is_waiting() {
            return Err(Refusal::NotWaiting { chart_id: state.chart_id.clone(), status: state.status.as_str().into() });
        }
        let values = state
            .values
            .iter()
            .map(|v| StagedValue { value: v.value.clone(), pipeline_id: v.pipeline_id.clone(), verified: v.verified.clone() })
            .collect();
        let verifier = Verified { by: operator.to_string(), at: crate::store::now() };
        let flags = state
            .flags
            .iter()
            .map(|f| DraftFlag {
                id: Some(f.id),
                flag: f.flag.clone(),
                was_open: f.is_open(),
                stored_resolution: f.resolution.clone(),
                resolved_now: None,
                moved_from: None,
            })
            .collect();
        let document = state.document.clone();
        Ok(Draft { state, values, verifier, flags, document, values_changed: false, pages_changed: false, audit: Vec::new() })
    }

    pub fn chart_id(&self) -> &str {
        &self.state.chart_id
    }

    /// The values (and, with `pages`, the pages) changed: written back.
    pub(super) fn mark_changed(&mut self, pages: bool) {
        self.values_changed = true;
        self.pages_changed |= pages;
    }

    pub(super) fn audit_line(&mut self, action: &'static str, field: Option<String>, old: Option<String>, new: Option<String>, reason: String) {
        self.audit.push(AuditLine { action, field, old_value: old, new_value: new, reason: Some(reason) });
    }

    /// Anything to write.
    pub fn is_changed(&self) -> bool {
        !self.audit.is_empty()
    }

    pub fn open_flags(&self) -> impl Iterator<Item = &DraftFlag> {
        self.flags.iter().filter(|f| f.is_open())
    }

    pub fn flag(&self, id: i64) -> Option<&DraftFlag> {
        self.flags.iter().find(|f| f.id == Some(id))
    }

    /// The chart's values as they are now in the draft.
    pub fn current_values(&self) -> Vec<FieldValue> {
        self.field_values()
    }

    fn field_values(&self) -> Vec<FieldValue> {
        self.values.iter().map(|v| v.value.clone()).collect()
    }

    /// The values of a field, for display and the audit.
    pub fn display_field(&self, field: &str) -> Option<String> {
        display(self.values.iter().map(|v| &v.value).filter(|v| v.field == field))
    }

    fn check_pipeline(&self, pipeline: &Pipeline) -> Result<(), Refusal> {
        if self.state.pipeline_id != pipeline.id() {
            return Err(Refusal::PipelineMismatch {
                chart_id: self.chart_id().into(),
                chart: self.state.pipeline_id.clone(),
                given: pipeline.id(),
            });
        }
        Ok(())
    }

    /// Correct `target` to the text `raw`: normalised and validated like an
    /// extracted value, or refused. `target` is a field (its whole text) or
    /// one part of a composite field (`encounters[0].diagnoses[1].code`,
    /// `patient.address.zip`): the other parts are kept as they were.
    /// A whole-field correction that would drop parts the field holds
    /// (retyping only a code of a diagnosis list) is refused unless
    /// `drop_parts` says the reviewer means it; the audit then names them.
    /// Resolves the open flags on what was corrected and those validation no
    /// longer raises; raises those it newly raises on other fields;
    /// re-checks duplicate patients when an identity field changed (`index`
    /// is built on demand).
    #[allow(clippy::too_many_arguments)]
    pub fn correct(
        &mut self,
        pipeline: &Pipeline,
        today: NaiveDate,
        index: &mut LazyIndex<'_>,
        target: &str,
        raw: &str,
        reason: &str,
        drop_parts: bool,
    ) -> Result<Corrected, super::ReviewError> {
        let chart_id = self.chart_id().to_string();
        let reason = required_reason(reason, "correct a value")?;
        self.check_pipeline(pipeline)?;
        let current = self.field_values();
        let ctx = normalize::Context { today };
        let plan = self.plan(pipeline, &current, target, raw, drop_parts, &ctx)?;
        let field = plan.field.clone();

        // The corrected chart: the group's values replaced in place.
        let at = plan.replaced.first().copied().unwrap_or(self.values.len());
        let mut after: Vec<StagedValue> = Vec::with_capacity(self.values.len() + plan.new_values.len());
        for (i, v) in self.values.iter().enumerate() {
            if i == at {
                after.extend(plan.new_values.iter().cloned());
            }
            if !plan.replaced.contains(&i) {
                after.push(v.clone());
            }
        }
        if at >= self.values.len() {
            after.extend(plan.new_values.iter().cloned());
        }
        let after_values: Vec<FieldValue> = after.iter().map(|v| v.value.clone()).collect();

        let validate_all = |vals: &[FieldValue]| validate_chart(pipeline, &self.state.pages, vals, today);
        // A value a person typed or confirmed is not doubted for how OCR
        // read it: no `low_confidence` on a field whose values are all
        // verified (its other checks still run).
        let doubted = |f: &Flag, vals: &[StagedValue]| {
            f.code == FlagCode::LowConfidence
                && f.field.as_deref().is_some_and(|p| {
                    let mine: Vec<&StagedValue> = vals
                        .iter()
                        .filter(|v| v.value.path == p || v.value.field == p || path::is_under(&v.value.path, p))
                        .collect();
                    !mine.is_empty() && mine.iter().all(|v| v.verified.is_some())
                })
        };
        let key = |f: &Flag| (f.code, f.field.clone(), f.page);
        let before_flags: Vec<Flag> = validate_all(&current).into_iter().filter(|f| !doubted(f, &self.values)).collect();
        let after_flags: Vec<Flag> = validate_all(&after_values).into_iter().filter(|f| !doubted(f, &after)).collect();
        let before_keys: HashSet<_> = before_flags.iter().map(key).collect();
        // What the reviewer typed must pass; in a part correction, the other
        // parts may keep the flags they had (a low confidence to confirm).
        let failing: Vec<String> = after_flags
            .iter()
            .filter(|f| {
                f.field.as_deref().is_some_and(|p| {
                    on_field(p, target) || (on_field(p, &field) && (plan.part.is_none() || !before_keys.contains(&key(f))))
                })
            })
            .map(|f| format!("{}: {}", f.code, f.reason))
            .collect();
        if !failing.is_empty() {
            return Err(Refusal::FailsValidation { chart_id, field: target.into(), flags: failing }.into());
        }

        // Apply.
        let old_value = plan.old_value.clone();
        let new_value = plan.new_value.clone();
        self.values = after;
        self.values_changed = true;
        let new_records = records(pipeline, &self.state.pages, &after_values);
        self.document = Some(extract::document::build(pipeline, &new_records, &after_values));
        let mut why = reason.to_string();
        if !plan.dropped.is_empty() {
            why.push_str(&format!(" (parts removed: {})", plan.dropped.join(", ")));
        }
        self.audit.push(AuditLine {
            action: "corrected",
            field: Some(target.into()),
            old_value: old_value.clone(),
            new_value: Some(new_value.clone()),
            reason: Some(why),
        });
        let mut out = Corrected { old_value, new_value, dropped: plan.dropped.clone(), ..Corrected::default() };
        let field = target;
        let after_keys: HashSet<_> = after_flags.iter().map(key).collect();
        let corrected = format!("corrected: {reason}");
        let gone = format!("no longer raised after the correction of {field}");
        for i in 0..self.flags.len() {
            let f = &self.flags[i];
            if !f.is_open() {
                continue;
            }
            let resolution = if f.flag.field.as_deref().is_some_and(|f| on_field(f, field)) {
                corrected.clone()
            } else if RECOMPUTED.contains(&f.flag.code)
                && before_keys.contains(&key(&f.flag))
                && !after_keys.contains(&key(&f.flag))
            {
                gone.clone()
            } else {
                continue;
            };
            out.resolved.push(self.resolve(i, resolution));
        }
        let open_keys: HashSet<_> = self.open_flags().map(|f| key(&f.flag)).collect();
        for f in after_flags {
            if !before_keys.contains(&key(&f)) && !open_keys.contains(&key(&f)) {
                out.raised.push(self.raise(f));
            }
        }
        if is_identity_field(pipeline, &plan.field) || is_identity_field(pipeline, target) {
            let index = index.get()?;
            self.recheck_duplicates(index, field, &mut out);
            let who = self.document.as_ref().map(Identity::from_document).unwrap_or_default();
            index.register(self.chart_id(), who, Origin::Loaded);
        }
        Ok(out)
    }

    /// Decide what a correction of `target` to `raw` replaces, or refuse.
    fn plan(
        &self,
        pipeline: &Pipeline,
        current: &[FieldValue],
        target: &str,
        raw: &str,
        drop_parts: bool,
        ctx: &normalize::Context,
    ) -> Result<Plan, Refusal> {
        let chart_id = self.chart_id().to_string();
        let holder = match current.iter().find(|v| v.path == target && v.field != target) {
            Some(v) => v.field.clone(),
            None => correctable_field(current, target),
        };
        let verified = |v: FieldValue| StagedValue {
            value: v,
            pipeline_id: self.state.pipeline_id.clone(),
            verified: Some(self.verifier.clone()),
        };
        let of_field: Vec<usize> = (0..self.values.len()).filter(|&i| self.values[i].value.field == holder).collect();
        // The value groups of the field, by value type: an address may be
        // read as a street line and a city-state-ZIP line under one path.
        let mut kinds: Vec<ValueType> = Vec::new();
        for &i in &of_field {
            let k = self.values[i].value.kind;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let group = |k: ValueType| -> Vec<usize> { of_field.iter().copied().filter(|&i| self.values[i].value.kind == k).collect() };
        let failed = |g: &[usize]| g.iter().any(|&i| self.values[i].value.error.is_some());

        if holder == target {
            // The whole field.
            let (kind, replaced) = match kinds.as_slice() {
                [] => {
                    let kind = field_kind(pipeline, target, current).ok_or_else(|| Refusal::UnknownField {
                        chart_id: chart_id.clone(),
                        field: target.into(),
                        hint: unknown_field_hint(target, current, self.open_flags()),
                    })?;
                    (kind, Vec::new())
                }
                [k] => (*k, group(*k)),
                many => {
                    // The whole field typed (a street, city, state and ZIP
                    // read as two lines): a type that reads the text with
                    // every part the field holds replaces every group.
                    let all = parts::parts_of(of_field.iter().map(|&i| &self.values[i].value).filter(|v| v.error.is_none()));
                    let prov = self.values[of_field[0]].value.prov.clone();
                    let whole = many.iter().copied().find(|&k| {
                        let vals = extract::field_values(target, k, &parts::reviewer_text(k, raw), prov.clone(), ctx);
                        let got = parts::parts_of(vals.iter());
                        vals.iter().all(|v| v.error.is_none()) && all.keys().all(|p| got.contains_key(p))
                    });
                    let bad: Vec<ValueType> = many.iter().copied().filter(|&k| failed(&group(k))).collect();
                    match whole {
                        Some(k) => (k, of_field.clone()),
                        None => match bad.as_slice() {
                        [k] => (*k, group(*k)),
                        _ => {
                            let paths: Vec<String> =
                                of_field.iter().map(|&i| self.values[i].value.path.clone()).filter(|p| p != target).collect();
                            return Err(Refusal::Usage(format!(
                                "chart {chart_id}: {target} was read as {} values ({}); type it whole, or correct one part of it: {}",
                                many.len(),
                                many.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                                paths.join(", ")
                            )));
                        }
                        },
                    }
                }
            };
            let prov = match replaced.first() {
                Some(&i) => self.values[i].value.prov.clone(),
                None => {
                    let recs = records(pipeline, &self.state.pages, current);
                    self.provenance_for(pipeline, &recs, target)?
                }
            };
            let text = parts::reviewer_text(kind, raw);
            let mut new_values = extract::field_values(target, kind, &text, prov, ctx);
            if let Some(err) = new_values.iter().find_map(|v| v.error.clone()) {
                return Err(Refusal::NotNormalised { chart_id, field: target.into(), kind: kind.as_str(), error: err });
            }
            // The reviewer's value: none of OCR's reads of the old one stay
            // with it (they would still doubt it).
            for v in &mut new_values {
                v.prov.conf = REVIEWED_CONF;
                v.prov.reads = Vec::new();
            }
            let before = parts::parts_of(replaced.iter().map(|&i| &self.values[i].value));
            let after = parts::parts_of(new_values.iter());
            let dropped = if kind.is_composite() { parts::dropped(&before, &after) } else { Vec::new() };
            if !dropped.is_empty() && !drop_parts {
                return Err(Refusal::WouldDrop { chart_id, field: target.into(), dropped });
            }
            return Ok(Plan {
                field: target.into(),
                part: None,
                old_value: display(replaced.iter().map(|&i| &self.values[i].value)),
                new_value: display(new_values.iter()).unwrap_or_default(),
                replaced,
                new_values: new_values.into_iter().map(verified).collect(),
                dropped,
            });
        }

        // One part of a composite field.
        let whole = || format!("correct `{holder}` with its whole text");
        let composite: Vec<ValueType> = kinds.iter().copied().filter(|&k| k.is_composite()).collect();
        let kind = composite
            .iter()
            .copied()
            .find(|&k| group(k).iter().any(|&i| self.values[i].value.path == target))
            .or(match composite.as_slice() {
                [k] => Some(*k),
                _ => None,
            })
            .ok_or_else(|| Refusal::UnknownField { chart_id: chart_id.clone(), field: target.into(), hint: whole() })?;
        let replaced = group(kind);
        if failed(&replaced) {
            return Err(Refusal::UnknownField {
                chart_id,
                field: target.into(),
                hint: format!("`{holder}` was not read as parts (it fails its type); {}", whole()),
            });
        }
        let before = parts::parts_of(replaced.iter().map(|&i| &self.values[i].value));
        let mut wanted = before.clone();
        wanted.insert(target.to_string(), normalize::clean_text(raw));
        let composed = parts::compose(kind, &holder, &wanted)
            .ok_or_else(|| Refusal::UnknownField { chart_id: chart_id.clone(), field: target.into(), hint: whole() })?;
        let first = &self.values[replaced[0]].value;
        let new_values = extract::field_values(&holder, kind, &composed, first.prov.clone(), ctx);
        if let Some(err) = new_values.iter().find_map(|v| v.error.clone()) {
            return Err(Refusal::NotNormalised { chart_id, field: target.into(), kind: kind.as_str(), error: err });
        }
        let after = parts::parts_of(new_values.iter());
        let changed = parts::changed_parts(&before, &after, target);
        if !after.contains_key(target) || !changed.is_empty() {
            return Err(Refusal::UnknownField {
                chart_id,
                field: target.into(),
                hint: format!(
                    "the part cannot be corrected on its own{}; {}",
                    if changed.is_empty() { String::new() } else { format!(" (it would change {})", changed.join(", ")) },
                    whole()
                ),
            });
        }
        // The other parts stay exactly as read (confidence, reads, verified
        // mark); the corrected one is the reviewer's.
        let old_of = |p: &str| replaced.iter().map(|&i| &self.values[i]).find(|v| v.value.path == p);
        let mut staged = Vec::with_capacity(new_values.len());
        for mut v in new_values {
            if v.path == target {
                if let Some(old) = old_of(target) {
                    v.prov = old.value.prov.clone();
                }
                v.prov.conf = REVIEWED_CONF;
                v.prov.reads = Vec::new();
                staged.push(verified(v));
            } else {
                staged.push(old_of(&v.path).cloned().expect("unchanged parts were there before"));
            }
        }
        Ok(Plan {
            field: holder.clone(),
            part: Some(target.into()),
            old_value: old_of(target).and_then(|v| v.value.value.as_ref().map(|x| x.to_string())),
            new_value: staged
                .iter()
                .find(|v| v.value.path == target)
                .map(|v| v.value.value.as_ref().map(|x| x.to_string()).unwrap_or_default())
                .unwrap_or_default(),
            replaced,
            new_values: staged,
            dropped: Vec::new(),
        })
    }

    /// Compare the corrected patient with everything loaded again: open
    /// `duplicate_patient` flags that no longer apply are resolved, new
    /// collisions raised (unless the same one was waived before).
    fn recheck_duplicates(&mut self, index: &PatientIndex, field: &str, out: &mut Corrected) {
        let who = self.document.as_ref().map(Identity::from_document).unwrap_or_default();
        let now = duplicates::flags_for(&index.matches(self.chart_id(), &who));
        let reasons: HashSet<&str> = now.iter().map(|f| f.reason.as_str()).collect();
        let gone = format!("no longer applies after the correction of {field}");
        for i in 0..self.flags.len() {
            let f = &self.flags[i];
            if f.is_open() && f.flag.code == FlagCode::DuplicatePatient && !reasons.contains(f.flag.reason.as_str()) {
                out.resolved.push(self.resolve(i, gone.clone()));
            }
        }
        for f in now {
            let known = self.flags.iter().any(|d| {
                d.flag.code == FlagCode::DuplicatePatient && d.flag.reason == f.reason && (d.is_open() || d.is_waived())
            });
            if !known {
                out.raised.push(self.raise(f));
            }
        }
    }

    pub(super) fn resolve(&mut self, i: usize, resolution: String) -> String {
        let f = &mut self.flags[i];
        f.resolved_now = Some(resolution.clone());
        let described = f.describe();
        self.audit.push(AuditLine {
            action: if resolution.starts_with("waived") { "waived" } else { "resolved" },
            field: f.flag.field.clone(),
            old_value: Some(match f.id {
                Some(id) => format!("{} (flag {id})", f.flag.code),
                None => f.flag.code.to_string(),
            }),
            new_value: None,
            reason: Some(resolution),
        });
        described
    }

    pub(super) fn raise(&mut self, flag: Flag) -> String {
        let f = DraftFlag { id: None, flag, was_open: true, stored_resolution: None, resolved_now: None, moved_from: None };
        self.audit.push(AuditLine {
            action: "flagged",
            field: f.flag.field.clone(),
            old_value: None,
            new_value: Some(f.flag.code.to_string()),
            reason: Some(f.flag.reason.clone()),
        });
        let described = f.describe();
        self.flags.push(f);
        described
    }

    /// Confirm that `target` (a field or one part of it) is right as read:
    /// its values are marked verified and the open `low_confidence` flags
    /// on it resolved. A value that fails its type cannot be confirmed (it
    /// is corrected, or its flag waived with a reason); flags of other codes
    /// stay open and are returned, for the reviewer to settle.
    pub fn confirm(&mut self, target: &str) -> Result<(Vec<String>, Vec<String>), Refusal> {
        let chart_id = self.chart_id().to_string();
        let hits: Vec<usize> = (0..self.values.len())
            .filter(|&i| {
                let v = &self.values[i].value;
                v.field == target || v.path == target || path::is_under(&v.path, target)
            })
            .collect();
        if hits.is_empty() {
            return Err(Refusal::UnknownField {
                chart_id,
                field: target.into(),
                hint: "the chart holds no value there to confirm; correct it with the value on the page".into(),
            });
        }
        if hits.iter().any(|&i| self.values[i].value.error.is_some()) {
            return Err(Refusal::Usage(format!(
                "chart {chart_id}: {target} fails its type and cannot be confirmed as read: correct it, or waive its flag with a reason"
            )));
        }
        for &i in &hits {
            self.values[i].verified = Some(self.verifier.clone());
        }
        self.values_changed = true;
        self.audit.push(AuditLine {
            action: "confirmed",
            field: Some(target.into()),
            old_value: None,
            new_value: display(hits.iter().map(|&i| &self.values[i].value)),
            reason: Some("right as read".into()),
        });
        let mut resolved = Vec::new();
        let mut still = Vec::new();
        for i in 0..self.flags.len() {
            let f = &self.flags[i];
            if !f.is_open() || !f.flag.field.as_deref().is_some_and(|p| on_field(p, target)) {
                continue;
            }
            if f.flag.code == FlagCode::LowConfidence {
                resolved.push(self.resolve(i, "confirmed: right as read".into()));
            } else {
                still.push(f.describe());
            }
        }
        Ok((resolved, still))
    }

    /// Waive the open flags `which` selects, with a reason.
    pub fn waive(&mut self, which: &FlagSelector, reason: &str) -> Result<Vec<String>, Refusal> {
        let reason = required_reason(reason, "waive a flag")?;
        if which.id.is_none() && which.code.is_none() {
            return Err(Refusal::Usage("name the flag to waive: its id (--flag) or its code (--code)".into()));
        }
        let hits: Vec<usize> = (0..self.flags.len()).filter(|&i| self.flags[i].is_open() && which.matches(&self.flags[i])).collect();
        if hits.is_empty() {
            return Err(Refusal::NoOpenFlag {
                chart_id: self.chart_id().into(),
                what: which.describe(),
                open: self.open_flags().map(DraftFlag::describe).collect(),
            });
        }
        Ok(hits.into_iter().map(|i| self.resolve(i, format!("waived: {reason}"))).collect())
    }

    /// Approve: refused while a flag is open.
    pub fn check_approvable(&self) -> Result<(), Refusal> {
        let open: Vec<String> = self.open_flags().map(DraftFlag::describe).collect();
        if !open.is_empty() {
            return Err(Refusal::OpenFlags { chart_id: self.chart_id().into(), open });
        }
        Ok(())
    }

    /// Where a corrected value is recorded: the box of the value it replaces,
    /// else the page of its record, of its flag, or of its document type.
    fn provenance_for(&self, pipeline: &Pipeline, records: &[RecordRef], field: &str) -> Result<Provenance, Refusal> {
        if let Some(v) = self.values.iter().find(|v| v.value.field == field) {
            return Ok(v.value.prov.clone());
        }
        let no_record = || Refusal::NoRecord { chart_id: self.chart_id().into(), field: field.into() };
        let page = match record_of(pipeline, field) {
            Some((doc_type, kind)) => records
                .iter()
                .find(|r| r.doc_type == doc_type && r.kind == kind)
                .map(|r| r.page)
                .ok_or_else(no_record)?,
            None => {
                let flagged = self.flags.iter().filter(|f| f.flag.field.as_deref() == Some(field)).find_map(|f| f.flag.page);
                let generic = path::generic(field);
                let doc_page = || {
                    let doc = pipeline.documents.iter().find(|d| d.fields.iter().any(|f| f.path == generic))?;
                    self.state.pages.iter().find(|p| p.doc_type.as_deref() == Some(doc.doc_type.as_str())).map(|p| p.at.page)
                };
                flagged.or_else(doc_page).or_else(|| self.state.pages.first().map(|p| p.at.page)).ok_or_else(no_record)?
            }
        };
        let info = self.state.pages.iter().find(|p| p.at.page == page).ok_or_else(no_record)?;
        Ok(Provenance {
            page,
            file: info.at.file.clone(),
            file_page: info.at.file_page,
            bbox: BBox::default(),
            conf: REVIEWED_CONF,
            reads: Vec::new(),
        })
    }

    /// Write the draft's changes in the review transaction.
    pub fn write(&self, tx: &ReviewTx<'_>, operator: &str) -> Result<(), StoreError> {
        let id = self.chart_id();
        if self.values_changed {
            tx.replace_values(id, &self.values)?;
            if let Some(doc) = &self.document {
                tx.set_document(id, doc)?;
            }
        }
        if self.pages_changed {
            for p in &self.state.pages {
                tx.update_page(id, p)?;
            }
        }
        for f in &self.flags {
            let flag_id = match f.id {
                Some(flag_id) => flag_id,
                None => tx.add_flag(id, &f.flag)?,
            };
            if let (Some(_), Some(field)) = (&f.moved_from, &f.flag.field) {
                tx.set_flag_field(id, flag_id, field)?;
            }
            if let Some(resolution) = &f.resolved_now {
                tx.resolve_flag(id, flag_id, operator, resolution)?;
            }
        }
        for a in &self.audit {
            tx.audit(&AuditEntry {
                operator,
                action: a.action,
                chart_id: Some(id),
                field: a.field.as_deref(),
                old_value: a.old_value.as_deref(),
                new_value: a.new_value.as_deref(),
                reason: a.reason.as_deref(),
                batch_id: None,
            })?;
        }
        Ok(())
    }
}

/// The reason, trimmed; refused when empty.
pub fn required_reason<'r>(reason: &'r str, action: &'static str) -> Result<&'r str, Refusal> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Refusal::NoReason { action });
    }
    Ok(r)
}

/// Values as one line: the value alone for a simple field, `path=value`
/// pairs for a composite one; the text as read when it was not normalised.
pub fn display<'v>(values: impl IntoIterator<Item = &'v FieldValue>) -> Option<String> {
    let values: Vec<&FieldValue> = values.into_iter().collect();
    let one = |v: &FieldValue| v.value.as_ref().map_or_else(|| v.raw.trim().to_string(), |x| x.to_string());
    match values.as_slice() {
        [] => None,
        [v] if v.path == v.field => Some(one(v)),
        many => Some(many.iter().map(|v| format!("{}={}", v.path, one(v))).collect::<Vec<_>>().join("; ")),
    }
}

/// `path` lies inside `field`: `encounters[0].diagnoses[1].code` inside
/// `encounters[0].diagnoses`, `patient.address.zip` inside `patient.address`.
/// A flag at `flagged` is about `field`: the field itself or a part of it.
pub fn on_field(flagged: &str, field: &str) -> bool {
    flagged == field || path::is_under(flagged, field)
}

/// The field a flagged path is corrected through: the path itself when
/// values are stored under that field, else the stored field holding it
/// (validation flags an ICD code at `encounters[0].diagnoses[1].code` and a
/// one-line address's ZIP at `patient.address.zip`; both were read, and are
/// corrected, as their whole field).
pub fn correctable_field(values: &[FieldValue], flagged: &str) -> String {
    if values.iter().any(|v| v.field == flagged) {
        return flagged.to_string();
    }
    values
        .iter()
        .map(|v| v.field.as_str())
        .filter(|f| path::is_under(flagged, f))
        .max_by_key(|f| f.len())
        .unwrap_or(flagged)
        .to_string()
}

/// The text to correct a field from: the value of a simple field, the text
/// as read for a composite one (a name, an address, diagnoses), so that an
/// edited copy can be given back as the new value.
pub fn as_input<'v>(values: impl IntoIterator<Item = &'v FieldValue>) -> Option<String> {
    let values: Vec<&FieldValue> = values.into_iter().collect();
    match values.as_slice() {
        [] => None,
        [v] if v.path == v.field => Some(v.value.as_ref().map_or_else(|| v.raw.trim().to_string(), |x| x.to_string())),
        [v, ..] => Some(v.raw.trim().to_string()),
    }
}

/// The value type of a concrete field in the pipeline: a document field,
/// a table column or a header field. When two pipeline fields share a path
/// (`patient.address` as a street or as `city_state_zip`), the type of the
/// chart's stored value wins.
pub fn field_kind(pipeline: &Pipeline, field: &str, values: &[FieldValue]) -> Option<ValueType> {
    let generic = path::generic(field);
    let mut kinds: Vec<ValueType> = pipeline
        .documents
        .iter()
        .flat_map(|d| d.fields.iter())
        .chain(pipeline.header.iter())
        .filter(|f| f.path == generic)
        .map(|f| f.value_type)
        .collect();
    for d in &pipeline.documents {
        for t in &d.tables {
            for c in &t.columns {
                if c.path == generic {
                    kinds.push(c.value_type);
                }
            }
        }
    }
    let stored = values.iter().find(|v| v.field == field).map(|v| v.kind);
    match stored {
        Some(k) if kinds.contains(&k) => Some(k),
        _ => kinds.first().copied(),
    }
}

/// The record a concrete indexed field belongs to: (document type, kind).
fn record_of(pipeline: &Pipeline, field: &str) -> Option<(String, RecordKind)> {
    let index = path::first_index(field)?;
    let generic = path::generic(field);
    for d in &pipeline.documents {
        if d.fields.iter().any(|f| f.path == generic) {
            return Some((d.doc_type.clone(), RecordKind::Document { index }));
        }
        for (ti, t) in d.tables.iter().enumerate() {
            if path::is_under(&generic, t.rows.as_str()) {
                return Some((d.doc_type.clone(), RecordKind::TableRow { table: ti, index }));
            }
        }
    }
    None
}

fn is_identity_field(pipeline: &Pipeline, field: &str) -> bool {
    pipeline.header.iter().any(|h| h.path == field) || matches!(field, "patient.name" | "patient.mrn" | "patient.dob")
}

fn unknown_field_hint<'a>(field: &str, values: &[FieldValue], open: impl Iterator<Item = &'a DraftFlag>) -> String {
    if let Some(v) = values.iter().find(|v| v.path == field && v.field != field) {
        return format!("`{field}` is part of the field `{}`; correct that field", v.field);
    }
    let fields: Vec<String> = open.filter_map(|f| f.flag.field.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if fields.is_empty() {
        "it is not a field of the chart's pipeline".into()
    } else {
        format!("it is not a field of the chart's pipeline; flagged fields: {}", fields.join(", "))
    }
}

/// The flags validation raises on a chart in review: its records rebuilt
/// from its pages and values (page headers are not kept after the batch).
pub(super) fn validate_chart(pipeline: &Pipeline, pages: &[PageInfo], values: &[FieldValue], today: NaiveDate) -> Vec<Flag> {
    let recs = records(pipeline, pages, values);
    validate::validate(&validate::ChartInput { pipeline, pages, values, header: &[], records: &recs, today })
}

/// The records of a chart, rebuilt from its pages and values the way
/// `extract::assemble_chart` numbered them: one document record per
/// classified page (numbered per document type in page order) and one table
/// row per index found among the values of a table.
pub fn records(pipeline: &Pipeline, pages: &[PageInfo], values: &[FieldValue]) -> Vec<RecordRef> {
    let mut out = Vec::new();
    let mut pages: Vec<&PageInfo> = pages.iter().collect();
    pages.sort_by_key(|p| p.at.page);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in pages {
        if let Some(doc_type) = p.doc_type.as_deref() {
            let n = counts.entry(doc_type).or_default();
            out.push(RecordRef { doc_type: doc_type.into(), page: p.at.page, kind: RecordKind::Document { index: *n } });
            *n += 1;
        }
    }
    for d in &pipeline.documents {
        for (ti, t) in d.tables.iter().enumerate() {
            let prefix = format!("{}[", t.path.as_str());
            let mut rows: BTreeMap<usize, u32> = BTreeMap::new();
            for v in values.iter().filter(|v| v.path.starts_with(&prefix)) {
                if let Some(i) = path::first_index(&v.path) {
                    let page = rows.entry(i).or_insert(v.prov.page);
                    *page = (*page).min(v.prov.page);
                }
            }
            for (index, page) in rows {
                out.push(RecordRef { doc_type: d.doc_type.clone(), page, kind: RecordKind::TableRow { table: ti, index } });
            }
        }
    }
    out.sort_by_key(|r| r.page);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flagged_parts_belong_to_their_field() {
        let v = |path: &str, field: &str| FieldValue {
            path: path.into(),
            field: field.into(),
            value: None,
            kind: ValueType::Text,
            raw: String::new(),
            error: None,
            prov: Provenance { page: 1, file: "f".into(), file_page: 0, bbox: BBox::default(), conf: 90.0, reads: Vec::new() },
        };
        let values = [
            v("encounters[0].diagnoses[1].code", "encounters[0].diagnoses"),
            v("patient.address", "patient.address"),
            v("encounters[1].date", "encounters[1].date"),
        ];
        assert_eq!(correctable_field(&values, "encounters[0].diagnoses[1].code"), "encounters[0].diagnoses");
        assert_eq!(correctable_field(&values, "patient.address.zip"), "patient.address");
        assert_eq!(correctable_field(&values, "encounters[1].date"), "encounters[1].date");
        assert_eq!(correctable_field(&values, "encounters[10].date"), "encounters[10].date");
        assert!(on_field("encounters[0].diagnoses[1].code", "encounters[0].diagnoses"));
        assert!(!on_field("encounters[0].diagnoses_x", "encounters[0].diagnoses"));
        assert!(!on_field("encounters[10].date", "encounters[1]"));
    }

    #[test]
    fn kinds_from_the_pipeline() {
        let p = Pipeline::default_pipeline();
        assert_eq!(field_kind(&p, "patient.name", &[]), Some(ValueType::PersonName));
        assert_eq!(field_kind(&p, "encounters[3].npi", &[]), Some(ValueType::Npi));
        assert_eq!(field_kind(&p, "immunizations[1].cvx", &[]), Some(ValueType::Cvx));
        assert_eq!(field_kind(&p, "encounters[0].signature", &[]), Some(ValueType::Signature));
        assert_eq!(field_kind(&p, "patient.family", &[]), None);
        assert_eq!(field_kind(&p, "nothing", &[]), None);
    }
}

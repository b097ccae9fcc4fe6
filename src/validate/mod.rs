//! Review flags for a chart: checks of the extracted values against the
//! pipeline's requirements and the spec's rules.
//!
//! [`validate`] is a pure function of a [`ChartInput`]: no I/O, no logging,
//! and no flag reason ever quotes a patient value. It raises every flag of
//! the spec except `duplicate_patient`, which needs the database (`store`).
//!
//! | code | raised when |
//! |---|---|
//! | `missing_field` | a required field has no value (or only empty text); a required name lacks its family or given name; a required signature lacks its name or date; a label of any field (required or not, unless `may_be_blank`) stands on the page with no value beside or below it |
//! | `low_confidence` | a chart value's OCR confidence is under the pipeline's threshold; two reads of a value (with the page, and from its own box) pass its checks and disagree |
//! | `invalid_value` | a value (chart or page label) failed normalisation; a diagnosis code is of the wrong ICD system for its visit date |
//! | `invalid_value` (code tables) | a diagnosis code that does not exist, is not valid on the date of service or is only a category; a code that does not fit the text beside it; a CVX code that does not exist or does not fit the vaccine named on its row; a dose far outside the strengths of the drug on its row ([`domain`]) |
//! | `identity_mismatch` | a page label's name, MRN or DOB disagrees with the chart's patient |
//! | `implausible_date` | DOB in the future or age over 120; any other date before the DOB or in the future |
//! | `unreadable_page`, `unknown_document` | from the page status |
//!
//! Decisions taken where the spec is silent:
//!
//! - Required fields without `[]` (the patient's name, MRN, DOB, sex) are
//!   required of every chart and must come from their document (the face
//!   sheet); a page label does not stand in for them. The flag names the
//!   first page of that document type, or no page when the chart has none.
//! - A value whose text is blank (only stray marks) counts as absent, not
//!   invalid. An explicit empty list (`NKDA`) is a value.
//! - `low_confidence` is raised for chart values only; a page label that was
//!   read badly shows up as `identity_mismatch` or `invalid_value`.
//! - A date in the future (other than the DOB) is `implausible_date` too: a
//!   scanned paper chart records the past. When the DOB itself is
//!   implausible, other dates are not compared with it; a signature dated
//!   the day of its visit is not flagged again when the visit date is.
//! - An error of an address value that concerns its ZIP, state or city is
//!   flagged at that part (`patient.address.zip`); a diagnosis code of the
//!   wrong ICD system is flagged at the code (`encounters[0].diagnoses[1].code`).
//! - Age over 120 means 121 whole years or more at today's date.
//! - Flags are deduplicated by code, field and page (the first reason stays)
//!   and ordered by page (chart-wide flags without a page first), field, code.

mod domain;
pub use domain::implausible_vital;
mod identity;

use crate::model::{FieldValue, Flag, FlagCode, PageInfo, PageStatus, RecordKind, RecordRef};
use crate::normalize;
use crate::pipeline::{Pipeline, Required, ValueType};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeSet, HashSet};

/// Everything validation looks at for one chart.
pub struct ChartInput<'a> {
    pub pipeline: &'a Pipeline,
    pub pages: &'a [PageInfo],
    /// The chart's values (documents and tables). FieldValue.field is the flag path
    /// (e.g. "patient.name", "encounters[0].npi", "medications[2].dose"), .path the concrete export path
    /// (e.g. "patient.family", "encounters[0].diagnoses[1].code"), .kind the ValueType of the field,
    /// .value None + .error Some(reason) when normalisation failed, .prov.conf the OCR confidence, .prov.page the page.
    pub values: &'a [FieldValue],
    /// The header (patient label) values read on each page, same shape; prov.page says which page.
    pub header: &'a [FieldValue],
    /// The records the extractor opened (document pages and table rows).
    pub records: &'a [RecordRef],
    pub today: NaiveDate,
}

/// The first day ICD-10-CM codes are required (dates of service on or after it).
pub fn icd10_cutover() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 10, 1).expect("a calendar date")
}

/// All review flags of a chart (except `duplicate_patient`), deduplicated
/// and ordered by page, then field.
pub fn validate(input: &ChartInput) -> Vec<Flag> {
    let mut flags = Vec::new();
    page_flags(input, &mut flags);
    missing_flags(input, &mut flags);
    value_flags(input, &mut flags);
    icd_flags(input, &mut flags);
    domain::domain_flags(input, &mut flags);
    let header_fields: Vec<(String, ValueType)> =
        input.pipeline.header.iter().map(|f| (f.path.to_string(), f.value_type)).collect();
    identity::mismatch_flags(input.values, input.header, &header_fields, &mut flags);
    date_flags(input, &mut flags);
    finish(flags)
}

fn flag(code: FlagCode, field: Option<&str>, page: Option<u32>, reason: impl Into<String>) -> Flag {
    Flag { code, field: field.map(str::to_string), page, reason: reason.into() }
}

/// Deduplicate by code, field and page, then order by page, field, code.
fn finish(flags: Vec<Flag>) -> Vec<Flag> {
    let mut seen = HashSet::new();
    let mut out: Vec<Flag> = flags.into_iter().filter(|f| seen.insert((f.code, f.field.clone(), f.page))).collect();
    out.sort_by(|a, b| (a.page, &a.field, a.code).cmp(&(b.page, &b.field, b.code)));
    out
}

/// List types: an empty text at the list's path is an explicit empty list.
fn is_list(kind: ValueType) -> bool {
    matches!(kind, ValueType::Allergies | ValueType::Diagnoses)
}

/// The value is there: normalised and not empty text.
fn present(v: &FieldValue) -> bool {
    match &v.value {
        Some(crate::model::Value::Text(t)) => !t.trim().is_empty() || is_list(v.kind),
        Some(_) => true,
        None => false,
    }
}

/// The value was read but could not be normalised (blank text, or a line
/// left to write on — `________`, `N/A` — is absent, not invalid).
fn failed(v: &FieldValue) -> bool {
    v.value.is_none() && v.error.as_deref().is_some_and(|e| e != normalize::NO_VALUE) && !normalize::is_blank(&v.raw)
}

// ------------------------------------------------------------------ pages

fn page_flags(input: &ChartInput, out: &mut Vec<Flag>) {
    for p in input.pages {
        let page = Some(p.at.page);
        match p.status {
            PageStatus::Unreadable => {
                out.push(flag(FlagCode::UnreadablePage, None, page, "page could not be decoded or yields almost no text"))
            }
            PageStatus::Unknown => out.push(flag(FlagCode::UnknownDocument, None, page, "page matches no document type")),
            PageStatus::Read | PageStatus::Blank => {}
        }
    }
}

// ------------------------------------------------------------------ required

/// Parts a required composite value must have: (key, reason when absent).
fn required_parts(kind: ValueType) -> &'static [(&'static str, &'static str)] {
    match kind {
        ValueType::PersonName => &[("family", "family name is missing"), ("given", "given name is missing")],
        ValueType::Signature => &[("signed_by", "signature has no name"), ("signed_date", "signature has no date")],
        _ => &[],
    }
}

fn missing_flags(input: &ChartInput, out: &mut Vec<Flag>) {
    let mut chart_fields = BTreeSet::new();
    for doc in &input.pipeline.documents {
        let doc_records = || {
            input.records.iter().filter(move |r| r.doc_type == doc.doc_type).filter_map(|r| match r.kind {
                RecordKind::Document { index } => Some((index, r.page)),
                RecordKind::TableRow { .. } => None,
            })
        };
        for f in doc.fields.iter().filter(|f| f.required.is_required()) {
            if f.path.is_repeated() {
                for (index, page) in doc_records() {
                    let field = f.path.at(index);
                    check_required(input, &field, f.value_type, Some(page), "required field is missing", out);
                }
            } else if chart_fields.insert(f.path.to_string()) {
                let first_page = doc_records().map(|(_, p)| p).min();
                if first_page.is_none() && f.required == Required::WhenPresent {
                    continue; // required of the pages of its type only, and there are none
                }
                let reason = match first_page {
                    Some(_) => "required field is missing".to_string(),
                    None => format!("required field is missing: the chart has no {} page", doc.doc_type.replace('_', " ")),
                };
                check_required(input, f.path.as_str(), f.value_type, first_page, &reason, out);
            }
        }
        for (t, table) in doc.tables.iter().enumerate() {
            for r in input.records.iter().filter(|r| r.doc_type == doc.doc_type) {
                let RecordKind::TableRow { table: rt, index } = r.kind else { continue };
                if rt != t {
                    continue;
                }
                for col in table.columns.iter().filter(|c| c.required) {
                    let field = col.path.at(index);
                    check_required(input, &field, col.value_type, Some(r.page), "required column is empty", out);
                }
            }
        }
    }
}

fn check_required(input: &ChartInput, field: &str, kind: ValueType, page: Option<u32>, reason: &str, out: &mut Vec<Flag>) {
    let vals: Vec<&FieldValue> = input.values.iter().filter(|v| v.field == field).collect();
    if vals.iter().any(|v| failed(v)) {
        return; // invalid_value says it
    }
    let Some(first) = vals.iter().find(|v| present(v)) else {
        out.push(flag(FlagCode::MissingField, Some(field), page, reason));
        return;
    };
    let base = field.rsplit_once('.').map_or("", |(p, _)| p);
    for (key, why) in required_parts(kind) {
        let part = if base.is_empty() { key.to_string() } else { format!("{base}.{key}") };
        if !vals.iter().any(|v| v.path == part && present(v)) {
            out.push(flag(FlagCode::MissingField, Some(field), Some(first.prov.page), *why));
        }
    }
}

// ------------------------------------------------------------------ values

fn value_flags(input: &ChartInput, out: &mut Vec<Flag>) {
    let threshold = input.pipeline.confidence_threshold;
    for v in input.values {
        let evidence = crate::calibrate::evidence(v);
        let page = Some(v.prov.page);
        if v.value.is_none() && v.error.as_deref() == Some(crate::extract::LABEL_WITHOUT_VALUE) {
            out.push(flag(FlagCode::MissingField, Some(&v.field), page, crate::extract::LABEL_WITHOUT_VALUE));
            continue;
        }
        if failed(v) {
            let reason = v.error.as_deref().unwrap_or("value could not be read");
            out.push(flag(FlagCode::InvalidValue, Some(&error_field(v)), page, reason));
        }
        if (present(v) || failed(v)) && v.prov.reads_disagree() {
            out.push(flag(
                FlagCode::LowConfidence,
                Some(&v.field),
                page,
                "two reads of the value disagree (read with the page and read from its own box)",
            ));
        } else if present(v) && evidence.contested() {
            out.push(flag(
                FlagCode::LowConfidence,
                Some(&v.field),
                page,
                "the OCR engine also saw another character at one place of the value, which would make another valid value",
            ));
        } else if present(v)
            && v.value.as_ref().and_then(|x| x.as_text()).is_some_and(|t| crate::calibrate::letter_o_among_digits(v.kind, t))
        {
            out.push(flag(
                FlagCode::LowConfidence,
                Some(&v.field),
                page,
                "a letter O stands among the digits of the value: OCR reads zeros as O in many fonts",
            ));
        } else if (present(v) || failed(v)) && v.prov.conf < threshold {
            out.push(flag(
                FlagCode::LowConfidence,
                Some(&v.field),
                page,
                format!("OCR confidence {:.0} is under the threshold {:.0}", v.prov.conf, threshold),
            ));
        } else if let Some(budget) = input.pipeline.max_silent_error.filter(|_| present(v)) {
            let error = crate::calibrate::Model::builtin().error(&evidence);
            if error > budget {
                out.push(flag(
                    FlagCode::LowConfidence,
                    Some(&v.field),
                    page,
                    format!(
                        "values read like this one are wrong {:.1} % of the time, more than the {:.1} % the pipeline allows unseen",
                        error * 100.0,
                        budget * 100.0
                    ),
                ));
            }
        }
    }
    for h in input.header.iter().filter(|h| failed(h)) {
        let reason = format!("patient label: {}", h.error.as_deref().unwrap_or("value could not be read"));
        out.push(flag(FlagCode::InvalidValue, Some(&h.field), Some(h.prov.page), reason));
    }
}

/// The field an error is flagged at: the address part it is about
/// (`patient.address.zip`), else the value's field.
fn error_field(v: &FieldValue) -> String {
    let part = match v.kind {
        ValueType::Address | ValueType::CityStateZip => v.error.as_deref().and_then(normalize::address_error_part),
        _ => None,
    };
    match part {
        Some(part) => format!("{}.{part}", v.field),
        None => v.field.clone(),
    }
}

fn date_of(v: &FieldValue) -> Option<NaiveDate> {
    let text = v.value.as_ref()?.as_text()?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The record a concrete path belongs to: `encounters[0]` of
/// `encounters[0].diagnoses[1].code`; `None` for a path without an index.
fn record_prefix(path: &str) -> Option<&str> {
    path.find(']').map(|i| &path[..=i])
}

/// The visit date of the record holding `v`: the `date`-kind value in the
/// same record (same page when the path has no index).
fn record_date<'a>(input: &'a ChartInput, v: &FieldValue) -> Option<&'a FieldValue> {
    let candidates = input.values.iter().filter(|d| d.kind == ValueType::Date && present(d));
    match record_prefix(&v.path) {
        Some(prefix) => candidates
            .filter(|d| d.path.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')).is_some_and(|r| !r.contains('[')))
            .min_by_key(|d| d.path.len()),
        None => candidates.filter(|d| d.prov.page == v.prov.page && !d.path.contains('[')).min_by_key(|d| d.path.len()),
    }
}

/// A diagnosis code of the wrong ICD system for its visit date.
fn icd_flags(input: &ChartInput, out: &mut Vec<Flag>) {
    for v in input.values.iter().filter(|v| v.kind == ValueType::Diagnoses && present(v)) {
        if v.path.rsplit('.').next() != Some("code") {
            continue;
        }
        let Some(code) = v.value.as_ref().and_then(|x| x.as_text()) else { continue };
        let (icd9, icd10) = (normalize::is_icd9(code), normalize::is_icd10(code));
        let date = record_date(input, v).and_then(date_of);
        let reason = match date {
            Some(d) if d >= icd10_cutover() && !icd10 => Some(if icd9 {
                "ICD-9-CM code on a visit on or after 2015-10-01 (ICD-10-CM required)"
            } else {
                "not an ICD-10-CM code"
            }),
            Some(d) if d < icd10_cutover() && !icd9 => Some(if icd10 {
                "ICD-10-CM code on a visit before 2015-10-01 (ICD-9-CM required)"
            } else {
                "not an ICD-9-CM code"
            }),
            None if !icd9 && !icd10 => Some("not an ICD-9-CM or ICD-10-CM code"),
            _ => None,
        };
        if let Some(reason) = reason {
            // The concrete code is named: `encounters[0].diagnoses[1].code`.
            out.push(flag(FlagCode::InvalidValue, Some(&v.path), Some(v.prov.page), reason));
        }
    }
}

// ------------------------------------------------------------------ dates

/// Whole years from `from` to `to`.
fn age_years(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut age = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        age -= 1;
    }
    age
}

/// The chart's date of birth: the face-sheet value, else the page labels' majority.
fn chart_dob(input: &ChartInput) -> Option<(NaiveDate, String, u32)> {
    let field = input
        .pipeline
        .header
        .iter()
        .find(|f| f.value_type == ValueType::BirthDate)
        .map(|f| f.path.to_string())
        .or_else(|| input.values.iter().find(|v| v.kind == ValueType::BirthDate).map(|v| v.field.clone()))?;
    let (ident, page) = identity::chart_value(input.values, input.header, &field, ValueType::BirthDate)?;
    let identity::Ident::Text(text) = ident else { return None };
    let dob = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()?;
    Some((dob, field, page))
}

fn date_flags(input: &ChartInput, out: &mut Vec<Flag>) {
    let today = input.today;
    let mut dob = chart_dob(input);
    if let Some((birth, field, page)) = &dob {
        let reason = if *birth > today {
            Some("date of birth is in the future")
        } else if age_years(*birth, today) > 120 {
            Some("age is over 120 years")
        } else {
            None
        };
        if let Some(reason) = reason {
            out.push(flag(FlagCode::ImplausibleDate, Some(field), Some(*page), reason));
            // Other dates are not compared with an implausible date of birth.
            dob = None;
        }
    }
    let dob = dob.map(|(d, _, _)| d);
    let check = |d: NaiveDate| -> Option<&'static str> {
        if d > today {
            Some("date is in the future")
        } else if dob.is_some_and(|b| d < b) {
            Some("date is before the date of birth")
        } else {
            None
        }
    };
    for v in input.values.iter().filter(|v| present(v)) {
        let is_signature = v.kind == ValueType::Signature && v.path.ends_with("signed_date");
        if v.kind != ValueType::Date && !is_signature {
            continue;
        }
        let Some(d) = date_of(v) else { continue };
        let Some(reason) = check(d) else { continue };
        if is_signature {
            // Signed the day of a visit already flagged: one flag says it.
            let visit = record_date(input, v).and_then(date_of);
            if visit == Some(d) {
                continue;
            }
        }
        out.push(flag(FlagCode::ImplausibleDate, Some(&v.field), Some(v.prov.page), reason));
    }
}

#[cfg(test)]
mod tests;

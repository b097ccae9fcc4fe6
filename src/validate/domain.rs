//! Checks of values against the shipped code tables ([`crate::domain`]):
//! a diagnosis code must exist (and be a complete code) in the code set of
//! its date of service and fit the text written beside it; a CVX code must
//! exist and fit the vaccine named on its row; a dose must be near a
//! strength the drug comes in. Each disagreement is `invalid_value` with a
//! plain reason that quotes no value; agreement raises nothing.

use super::{flag, present, record_date, ChartInput};
use crate::domain::{self, Agreement, CodeStatus, IcdSystem};
use crate::model::{FieldValue, Flag, FlagCode};
use crate::pipeline::ValueType;

pub(super) fn domain_flags(input: &ChartInput, out: &mut Vec<Flag>) {
    for v in input.values.iter().filter(|v| present(v)) {
        if let Some(reason) = v.value.as_ref().filter(|x| x.as_text().is_none()).and_then(|_| vital_out_of_range(v)) {
            out.push(flag(FlagCode::InvalidValue, Some(&v.path), Some(v.prov.page), reason));
            continue;
        }
        let Some(text) = v.value.as_ref().and_then(|x| x.as_text()) else { continue };
        let reason = match (v.kind, last_key(&v.path)) {
            (ValueType::Diagnoses, "code") => diagnosis(input, v, text),
            (ValueType::Cvx, _) => vaccine(input, v, text),
            (_, "dose") => dose(input, v, text),
            _ => None,
        };
        let reason = reason.or_else(|| vital_out_of_range(v));
        if let Some(reason) = reason {
            out.push(flag(FlagCode::InvalidValue, Some(&v.path), Some(v.prov.page), reason));
        }
    }
}

fn last_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The value at the sibling key of `v` (`…diagnoses[1].text` for `…diagnoses[1].code`).
fn sibling<'a>(input: &'a ChartInput, v: &FieldValue, key: &str) -> Option<&'a str> {
    let (parent, _) = v.path.rsplit_once('.')?;
    let path = format!("{parent}.{key}");
    input.values.iter().find(|o| o.path == path && present(o)).and_then(|o| o.value.as_ref()?.as_text())
}

fn diagnosis(input: &ChartInput, v: &FieldValue, code: &str) -> Option<&'static str> {
    let date = record_date(input, v).and_then(super::date_of)?;
    let icd10 = date >= super::icd10_cutover();
    // A code of the wrong system is flagged by the ICD check already.
    if icd10 != crate::normalize::is_icd10(code) || (!icd10 && !crate::normalize::is_icd9(code)) {
        return None;
    }
    let (status, system) = if icd10 {
        (domain::icd10cm_on(code, date), IcdSystem::Icd10Cm)
    } else {
        (domain::icd9cm_status(code), IcdSystem::Icd9Cm)
    };
    match status {
        CodeStatus::Unknown if icd10 => return Some("diagnosis code does not exist in ICD-10-CM"),
        CodeStatus::Unknown => return Some("diagnosis code does not exist in ICD-9-CM"),
        CodeStatus::NotValidOn => return Some("diagnosis code is not valid in ICD-10-CM on the date of service"),
        CodeStatus::Header => return Some("diagnosis code is a category, not a complete code"),
        CodeStatus::Valid => {}
    }
    let text = sibling(input, v, "text")?;
    (domain::icd_text_agrees(code, text, system) == Agreement::Disagrees)
        .then_some("diagnosis code does not match the description written beside it")
}

fn vaccine(input: &ChartInput, v: &FieldValue, code: &str) -> Option<&'static str> {
    if domain::cvx(code).is_none() {
        return Some("CVX code does not exist in the CDC's CVX list");
    }
    let name = sibling(input, v, "vaccine")?;
    (domain::cvx_agrees(code, name) == Agreement::Disagrees).then_some("CVX does not match the vaccine name on the same row")
}

fn dose(input: &ChartInput, v: &FieldValue, dose: &str) -> Option<&'static str> {
    let name = sibling(input, v, "name")?;
    (domain::dose_plausible(name, dose) == Agreement::Disagrees)
        .then_some("dose is far outside the strengths the drug named on the same row comes in")
}

/// Vital signs outside what a living person shows: a temperature of `975`
/// is a lost decimal point, not a fever. Ranges are physiological limits,
/// wide on purpose (°F, beats a minute, pounds, mmHg).
fn vital_out_of_range(v: &FieldValue) -> Option<&'static str> {
    implausible_vital(&v.path, v.value.as_ref()?)
}

/// Why a value at `path` (a field or export path) cannot be a vital sign
/// of a living person, if it is one and cannot. Second reads use it too: a
/// read of `977` for a temperature passes as a number and is still no
/// reading of one.
pub fn implausible_vital(path: &str, value: &crate::model::Value) -> Option<&'static str> {
    let number = |x: &crate::model::Value| match x {
        crate::model::Value::Int(i) => Some(*i as f64),
        crate::model::Value::Num(n) => Some(*n),
        crate::model::Value::Text(t) => t.trim().parse().ok(),
    };
    let key = last_key(path);
    if !path.contains("vitals.") {
        return None;
    }
    let within = |lo: f64, hi: f64| number(value).is_none_or(|n| (lo..=hi).contains(&n));
    match key {
        "temp_f" if !within(85.0, 110.0) => Some("temperature is outside what a person can have"),
        "pulse" if !within(20.0, 250.0) => Some("pulse is outside what a person can have"),
        "weight_lb" if !within(1.0, 1000.0) => Some("weight is outside what a person can have"),
        "bp" => {
            let t = value.as_text()?;
            let (sys, dia) = t.split_once('/')?;
            let (sys, dia): (f64, f64) = (sys.trim().parse().ok()?, dia.trim().parse().ok()?);
            (!(50.0..=300.0).contains(&sys) || !(20.0..=200.0).contains(&dia) || dia >= sys)
                .then_some("blood pressure is outside what a person can have")
        }
        _ => None,
    }
}

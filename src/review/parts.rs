//! Correcting one part of a composite value (one diagnosis code, a ZIP, a
//! given name) without retyping the rest, and never losing the rest.
//!
//! A composite field is stored as several values (`encounters[0].diagnoses`
//! as `…diagnoses[0].code`, `…diagnoses[0].text`, …), all normalised from
//! one text. A part is corrected by writing the field's text again from its
//! current parts with the one part replaced ([`compose`]), normalising that
//! text like any correction, and checking the round trip: every other part
//! must come out as it was ([`changed_parts`]). Where it does not (a name the
//! normaliser would split differently), the part correction is refused and
//! the field is corrected as a whole — nothing is changed behind the
//! reviewer's back.

use crate::model::{FieldValue, Value};
use crate::pipeline::{path, ValueType};
use std::collections::BTreeMap;

/// The path the parts of `field` stand under: a name's and a signature's
/// parts are siblings of the field (`patient.family` for `patient.name`).
pub fn base(kind: ValueType, field: &str) -> String {
    match kind {
        ValueType::PersonName | ValueType::Signature => path::parent(field).to_string(),
        _ => field.to_string(),
    }
}

/// A part's value as text.
fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The text the normaliser reads back as these parts: `parts` maps a
/// path (as stored) to its text. `None` when the type has no parts or the
/// parts are not of its shape.
pub fn compose(kind: ValueType, field: &str, parts: &BTreeMap<String, String>) -> Option<String> {
    let base = base(kind, field);
    let key = |k: &str| parts.get(&path::join(&base, k)).map(String::as_str).filter(|s| !s.trim().is_empty());
    let items = || -> Vec<BTreeMap<&str, &str>> {
        let mut items: BTreeMap<usize, BTreeMap<&str, &str>> = BTreeMap::new();
        let prefix = format!("{field}[");
        for (p, v) in parts {
            let Some(rest) = p.strip_prefix(&prefix) else { continue };
            let Some((i, k)) = rest.split_once("].") else { continue };
            let Ok(i) = i.parse::<usize>() else { continue };
            items.entry(i).or_default().insert(k, v.as_str());
        }
        items.into_values().collect()
    };
    match kind {
        ValueType::PersonName => {
            let family = key("family")?;
            Some(match key("given") {
                Some(given) => format!("{family}, {given}"),
                None => family.to_string(),
            })
        }
        ValueType::Signature => {
            let by = key("signed_by");
            let date = key("signed_date");
            match (by, date) {
                (Some(b), Some(d)) => Some(format!("{b} {d}")),
                (Some(b), None) => Some(b.to_string()),
                (None, Some(d)) => Some(d.to_string()),
                (None, None) => None,
            }
        }
        ValueType::Address | ValueType::CityStateZip => {
            let tail = match (key("city"), key("state"), key("zip")) {
                (None, None, None) => None,
                (c, s, z) => Some(format!(
                    "{}{} {}",
                    c.map(|c| format!("{c}, ")).unwrap_or_default(),
                    s.unwrap_or_default(),
                    z.unwrap_or_default()
                )),
            };
            match (kind, key("line"), tail) {
                (ValueType::CityStateZip, _, tail) => tail.map(|t| t.trim().to_string()),
                (_, Some(line), Some(tail)) => Some(format!("{line}, {}", tail.trim())),
                (_, Some(line), None) => Some(line.to_string()),
                (_, None, tail) => tail.map(|t| t.trim().to_string()),
            }
        }
        ValueType::Diagnoses => {
            let lines: Vec<String> = items()
                .into_iter()
                .filter_map(|item| {
                    let code = item.get("code")?;
                    Some(match item.get("text") {
                        Some(t) => format!("{code} {t}"),
                        None => code.to_string(),
                    })
                })
                .collect();
            (!lines.is_empty()).then(|| lines.join("\n"))
        }
        ValueType::Allergies => {
            let items: Vec<String> = items()
                .into_iter()
                .filter_map(|item| {
                    let s = item.get("substance")?;
                    Some(match item.get("reaction") {
                        Some(r) => format!("{s} ({r})"),
                        None => s.to_string(),
                    })
                })
                .collect();
            (!items.is_empty()).then(|| items.join("; "))
        }
        _ => None,
    }
}

/// The parts of a group of values: path → text (values that failed their
/// type have no parts).
pub fn parts_of<'v>(values: impl IntoIterator<Item = &'v FieldValue>) -> BTreeMap<String, String> {
    values.into_iter().filter_map(|v| v.value.as_ref().map(|x| (v.path.clone(), text(x)))).collect()
}

/// The paths whose value differs between `before` and `after`, other than
/// `except`: a part that changed, appeared or disappeared.
pub fn changed_parts(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>, except: &str) -> Vec<String> {
    let mut out: Vec<String> = before
        .iter()
        .filter(|(p, v)| p.as_str() != except && after.get(*p) != Some(*v))
        .map(|(p, _)| p.clone())
        .collect();
    out.extend(after.keys().filter(|p| p.as_str() != except && !before.contains_key(*p)).cloned());
    out.sort();
    out.dedup();
    out
}

/// The paths `before` holds that `after` does not: what a whole-field
/// correction would drop.
pub fn dropped(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    before.keys().filter(|p| !after.contains_key(*p)).cloned().collect()
}

/// What a reviewer types for a list: `;` separates diagnoses as a new line
/// does (a diagnosis text itself has no `;` on the forms we read).
pub fn reviewer_text(kind: ValueType, typed: &str) -> String {
    if kind == ValueType::Diagnoses && !typed.contains('\n') {
        return typed.split(';').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n");
    }
    typed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{self, Normalized};

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(p, v)| (p.to_string(), v.to_string())).collect()
    }

    /// What the normaliser makes of composed text, as stored paths.
    fn round_trip(kind: ValueType, field: &str, text: &str) -> BTreeMap<String, String> {
        let ctx = normalize::Context { today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() };
        let base = base(kind, field);
        match normalize::normalize(kind, text, &ctx).unwrap() {
            Normalized::Parts(p) => p.into_iter().map(|(k, v)| (path::join(&base, k), super::text(&v))).collect(),
            Normalized::List(items) => items
                .into_iter()
                .enumerate()
                .flat_map(|(i, item)| item.into_iter().map(move |(k, v)| (format!("{field}[{i}].{k}"), super::text(&v))))
                .collect(),
            Normalized::Scalar(_) => panic!("not composite"),
        }
    }

    #[test]
    fn every_composite_type_reads_back_as_its_parts() {
        let cases: &[(ValueType, &str, &[(&str, &str)])] = &[
            (ValueType::PersonName, "patient.name", &[("patient.family", "Thompson"), ("patient.given", "Margaret A")]),
            (ValueType::Address, "patient.address", &[
                ("patient.address.line", "3038 Birch Street"),
                ("patient.address.city", "Sacramento"),
                ("patient.address.state", "CA"),
                ("patient.address.zip", "95814"),
            ]),
            (ValueType::CityStateZip, "patient.address", &[
                ("patient.address.city", "Madison"),
                ("patient.address.state", "WI"),
                ("patient.address.zip", "53703"),
            ]),
            (ValueType::Diagnoses, "encounters[0].diagnoses", &[
                ("encounters[0].diagnoses[0].code", "414.01"),
                ("encounters[0].diagnoses[0].text", "Coronary atherosclerosis of native coronary artery"),
                ("encounters[0].diagnoses[1].code", "V70.0"),
                ("encounters[0].diagnoses[1].text", "Routine general medical examination"),
            ]),
            (ValueType::Allergies, "allergies", &[
                ("allergies[0].substance", "Penicillin"),
                ("allergies[0].reaction", "rash"),
                ("allergies[1].substance", "Latex"),
            ]),
        ];
        for (kind, field, parts) in cases {
            let parts = map(parts);
            let text = compose(*kind, field, &parts).unwrap();
            assert_eq!(round_trip(*kind, field, &text), parts, "{kind:?}: {text}");
        }
    }

    #[test]
    fn one_code_replaced_keeps_every_text() {
        let mut parts = map(&[
            ("d[0].code", "414.01"),
            ("d[0].text", "Coronary atherosclerosis"),
            ("d[1].code", "V70.0"),
            ("d[1].text", "Routine examination"),
        ]);
        let before = parts.clone();
        parts.insert("d[1].code".into(), "Z00.00".into());
        let text = compose(ValueType::Diagnoses, "d", &parts).unwrap();
        let after = round_trip(ValueType::Diagnoses, "d", &text);
        assert!(changed_parts(&before, &after, "d[1].code").is_empty());
        assert_eq!(after["d[1].code"], "Z00.00");
        assert_eq!(dropped(&before, &map(&[("d[0].code", "I10")])).len(), 3);
    }

    #[test]
    fn semicolons_separate_diagnoses_a_reviewer_types() {
        assert_eq!(reviewer_text(ValueType::Diagnoses, "I10 Hypertension; E11.9 Diabetes"), "I10 Hypertension\nE11.9 Diabetes");
        assert_eq!(reviewer_text(ValueType::Text, "a; b"), "a; b");
    }
}

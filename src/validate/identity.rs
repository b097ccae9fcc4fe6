//! Who the chart belongs to, and whether every page's label agrees.
//!
//! The chart's patient is read per header field (name, MRN, DOB of the
//! default pipeline): the face-sheet value when there is one, otherwise the
//! value most page labels agree on (the earliest page breaks a tie). Each
//! page's label is then compared with it: identifiers and dates exactly,
//! names tolerant of OCR slips (`Thornpson` is `Thompson`, a dropped comma
//! that swaps family and given is forgiven, a missing middle initial too)
//! but not of a different name (`Thomas` is not `Thompson`).

use crate::model::{FieldValue, Flag, FlagCode};
use crate::pipeline::ValueType;
use std::collections::BTreeMap;

use super::present;

/// One header field's value in a comparable form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ident {
    Name { family: String, given: String },
    Text(String),
}

impl Ident {
    /// Read the value of `field` from values of one page (or the chart).
    fn read<'a>(vals: impl IntoIterator<Item = &'a FieldValue>, field: &str, kind: ValueType) -> Option<Ident> {
        let vals: Vec<&FieldValue> = vals.into_iter().filter(|v| v.field == field && present(v)).collect();
        if vals.is_empty() {
            return None;
        }
        let text = |v: &FieldValue| v.value.as_ref().map(|x| x.to_string()).unwrap_or_default();
        if kind == ValueType::PersonName {
            let part = |key: &str| {
                vals.iter().find(|v| v.path.rsplit('.').next() == Some(key)).map(|v| text(v)).unwrap_or_default()
            };
            let family = part("family");
            if family.is_empty() {
                return None;
            }
            return Some(Ident::Name { family, given: part("given") });
        }
        Some(Ident::Text(text(vals[0])))
    }

    /// A key under which equal values are counted for the majority.
    fn key(&self) -> String {
        match self {
            Ident::Name { family, given } => {
                format!("{}|{}", canon(&strip_suffix(family)), given.split(' ').next().map(canon).unwrap_or_default())
            }
            Ident::Text(t) => t.clone(),
        }
    }

    fn matches(&self, other: &Ident) -> bool {
        match (self, other) {
            (Ident::Name { family: fa, given: ga }, Ident::Name { family: fb, given: gb }) => {
                names_match(fa, ga, fb, gb)
            }
            (Ident::Text(a), Ident::Text(b)) => a == b,
            _ => false,
        }
    }
}

/// The chart's value of a header field, with the page it was taken from.
pub(super) fn chart_value(
    values: &[FieldValue],
    header: &[FieldValue],
    field: &str,
    kind: ValueType,
) -> Option<(Ident, u32)> {
    let mut face_pages: Vec<u32> = values.iter().filter(|v| v.field == field && present(v)).map(|v| v.prov.page).collect();
    face_pages.sort_unstable();
    if let Some(&page) = face_pages.first() {
        let on_page = values.iter().filter(|v| v.prov.page == page);
        if let Some(id) = Ident::read(on_page, field, kind) {
            return Some((id, page));
        }
    }
    // No face-sheet value: the value most page labels agree on.
    let per_page = header_by_page(header, field, kind);
    let mut counts: BTreeMap<String, (usize, u32, &Ident)> = BTreeMap::new();
    for (page, id) in &per_page {
        let e = counts.entry(id.key()).or_insert((0, *page, id));
        e.0 += 1;
        e.1 = e.1.min(*page);
    }
    counts
        .into_values()
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, page, id)| (id.clone(), page))
}

/// The label value of `field` on each page that has one, in page order.
fn header_by_page(header: &[FieldValue], field: &str, kind: ValueType) -> Vec<(u32, Ident)> {
    let mut pages: Vec<u32> = header.iter().filter(|v| v.field == field).map(|v| v.prov.page).collect();
    pages.sort_unstable();
    pages.dedup();
    pages
        .into_iter()
        .filter_map(|p| Ident::read(header.iter().filter(|v| v.prov.page == p), field, kind).map(|id| (p, id)))
        .collect()
}

/// What a header field is called in a reason.
fn what(field: &str, kind: ValueType) -> String {
    match kind {
        ValueType::PersonName => "patient name".to_string(),
        ValueType::BirthDate => "date of birth".to_string(),
        _ => {
            let last = field.rsplit('.').next().unwrap_or(field);
            if last.len() <= 4 { last.to_uppercase() } else { last.replace('_', " ") }
        }
    }
}

/// One `identity_mismatch` flag per page and header field that disagrees
/// with the chart's patient.
pub(super) fn mismatch_flags(values: &[FieldValue], header: &[FieldValue], fields: &[(String, ValueType)], out: &mut Vec<Flag>) {
    for (field, kind) in fields {
        let Some((chart, _)) = chart_value(values, header, field, *kind) else { continue };
        for (page, id) in header_by_page(header, field, *kind) {
            if !chart.matches(&id) {
                out.push(Flag {
                    code: FlagCode::IdentityMismatch,
                    field: Some(field.clone()),
                    page: Some(page),
                    reason: format!("{} on this page's label differs from the chart's patient", what(field, *kind)),
                });
            }
        }
    }
}

// ------------------------------------------------------------------ names

const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv"];

/// `King Jr` -> `King`.
fn strip_suffix(family: &str) -> String {
    let words: Vec<&str> = family.split(' ').collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() && SUFFIXES.contains(&last.trim_end_matches('.').to_lowercase().as_str()) => {
            rest.join(" ")
        }
        _ => family.to_string(),
    }
}

/// Lower case, letters and digits only, common OCR confusions folded
/// (`rn`/`m`, `vv`/`w`, `0`/`o`, `1`/`l`, `5`/`s`).
fn canon(s: &str) -> String {
    let folded: String = s
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '|' => 'l',
            '5' => 's',
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .collect();
    folded.replace("rn", "m").replace("vv", "w")
}

/// Two name words (canonical) are the same allowing one OCR slip (two in
/// long words), but not a different name sharing a prefix.
fn similar(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let short = a.chars().count().min(b.chars().count());
    if short < 4 {
        return false;
    }
    let max_edits = if short >= 9 { 2 } else { 1 };
    strsim::levenshtein(a, b) <= max_edits && strsim::jaro_winkler(a, b) >= 0.9
}

fn first_given(given: &str) -> String {
    given.split([' ', '-']).find(|w| !w.is_empty()).map(canon).unwrap_or_default()
}

/// Given names agree when either is absent, an initial matches the first
/// letter, or the first given names are similar. Middle names are ignored.
fn given_compatible(a: &str, b: &str) -> bool {
    let (a, b) = (first_given(a), first_given(b));
    if a.is_empty() || b.is_empty() {
        return true;
    }
    if a.chars().count() == 1 || b.chars().count() == 1 {
        return a.chars().next() == b.chars().next();
    }
    similar(&a, &b)
}

/// Canonical words of a name, initials left out.
fn words(s: &str) -> Vec<String> {
    s.split([' ', '-']).map(canon).filter(|w| w.chars().count() > 1).collect()
}

/// Every word of `few` is similar to a distinct word of `many`.
fn all_found(few: &[String], many: &[String]) -> bool {
    let mut used = vec![false; many.len()];
    few.iter().all(|w| match (0..many.len()).find(|&i| !used[i] && similar(w, &many[i])) {
        Some(i) => {
            used[i] = true;
            true
        }
        None => false,
    })
}

/// Same person's name, as far as a label can tell.
pub(super) fn names_match(family_a: &str, given_a: &str, family_b: &str, given_b: &str) -> bool {
    let (family_a, family_b) = (strip_suffix(family_a), strip_suffix(family_b));
    if similar(&canon(&family_a), &canon(&family_b)) && given_compatible(given_a, given_b) {
        return true;
    }
    // A comma lost by OCR turns `THOMPSON MARGARET A` into family `A`, given
    // `Thompson Margaret`: compare the words regardless of order, but every
    // family name must be among the other name's words.
    let (fa, fb) = (words(&family_a), words(&family_b));
    let all_a: Vec<String> = fa.iter().cloned().chain(words(given_a)).collect();
    let all_b: Vec<String> = fb.iter().cloned().chain(words(given_b)).collect();
    let (few, many) = if all_a.len() <= all_b.len() { (&all_a, &all_b) } else { (&all_b, &all_a) };
    few.len() >= 2 && all_found(few, many) && all_found(&fa, &all_b) && all_found(&fb, &all_a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(name: &str) -> (String, String) {
        let n = crate::normalize::person_name(name).unwrap();
        (n.family, n.given)
    }

    fn check(cases: &[(&str, &str, bool)]) {
        let mut failures = Vec::new();
        for (a, b, expected) in cases {
            let (fa, ga) = split(a);
            let (fb, gb) = split(b);
            let got = names_match(&fa, &ga, &fb, &gb);
            if got != *expected {
                failures.push(format!("{a:?} vs {b:?}: expected {expected}, got {got}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn names_tolerate_ocr_slips() {
        check(&[
            ("THOMPSON, MARGARET A", "Margaret A. Thompson", true),
            ("THOMPSON, MARGARET A", "THOMPSON, MARGARET", true),
            ("THOMPSON, MARGARET A", "THORNPSON, MARGARET A", true),
            ("THOMPSON, MARGARET A", "THOMPSON, MARGARFT A", true),
            ("THOMPSON, MARGARET A", "THOMPSON MARGARET", true),
            ("THOMPSON, MARGARET A", "THOMPSON, M", true),
            ("THOMPSON, MARGARET A", "Thompson", true),
            ("SMITH-JONES, ANNE", "SMITH JONES, ANNE", true),
            ("KING JR, MARTIN", "KING, MARTIN", true),
            ("O'BRIEN, PATRICK", "OBRIEN, PATRICK", true),
            ("THOMPSON, MARGARET A", "THOMPSON MARGARET A", true),
            ("DE LA CRUZ, MARIA", "MARIA DE LA CRUZ", true),
        ]);
    }

    #[test]
    fn different_people_are_caught() {
        check(&[
            ("THOMPSON, MARGARET A", "THOMAS, MARGARET A", false),
            ("THOMPSON, MARGARET A", "THOMPSON, MICHAEL", false),
            ("THOMPSON, MARGARET A", "THOMPSON, MARY", false),
            ("THOMPSON, MARGARET A", "JOHNSON, MARGARET A", false),
            ("THOMPSON, MARGARET A", "THOMPSON, R", false),
            ("LEE, ANN", "LI, ANN", false),
            ("LEE, ANN", "LEE, ANNA", false),
            ("GARCIA, MARIA", "GARZA, MARIA", false),
            ("MILLER, JOHN", "MILLS, JOHN", false),
            ("SMITH, MARGARET ANN", "MARGARET ANN", false),
            ("THOMPSON, MARGARET", "MICHAEL THOMPSON", false),
            ("JOHNSON, ERIC", "JOHNSTON, ERIC", true), // one letter: an OCR slip or a relative; MRN and DOB decide
        ]);
    }

    #[test]
    fn canon_folds_confusions() {
        assert_eq!(canon("Thornpson"), canon("Thompson"));
        assert_eq!(canon("O'Brien"), "obrien");
        assert_eq!(canon("Th0mpson"), "thompson");
    }
}

//! Field paths, typed: where a value goes in the export document.
//!
//! A pipeline declares *generic* paths (`patient.dob`, `encounters[].npi`,
//! `medications`); the values of a chart carry *concrete* ones, where each
//! `[]` holds the index of its record (`encounters[2].npi`,
//! `encounters[0].diagnoses[1].code`). Every module that needs to take a
//! path apart goes through this one, instead of cutting strings itself.

use std::fmt;

/// A checked generic path of the pipeline: dotted lower-case names, at most
/// one `[]` (a record per page of the document type, or a table's rows).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath {
    text: String,
    /// Byte offset of `[]`, when the path is numbered per record.
    list: Option<usize>,
}

impl FieldPath {
    /// Parse a generic path; `None` when it is not dotted lower-case names
    /// with at most one `[]`.
    pub fn parse(text: &str) -> Option<FieldPath> {
        if text.is_empty() || !text.split('.').all(|seg| is_ident(seg.strip_suffix("[]").unwrap_or(seg))) {
            return None;
        }
        let list = text.find("[]");
        if list.is_some_and(|i| text[i + 2..].contains("[]")) {
            return None;
        }
        Some(FieldPath { text: text.to_string(), list })
    }

    /// A table's list path (`medications`) with a row below it: `medications[]`.
    pub fn rows_of(list: &FieldPath) -> FieldPath {
        FieldPath { text: format!("{}[]", list.text), list: Some(list.text.len()) }
    }

    /// A key below this path: `medications[]` + `dose` → `medications[].dose`.
    pub fn child(&self, key: &str) -> FieldPath {
        FieldPath { text: join(&self.text, key), list: self.list }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether values of this path are numbered per record (`[]`).
    pub fn is_repeated(&self) -> bool {
        self.list.is_some()
    }

    /// The list a repeated path numbers (`encounters` of `encounters[].npi`).
    pub fn list(&self) -> Option<&str> {
        self.list.map(|i| &self.text[..i])
    }

    /// What follows the record (`npi` of `encounters[].npi`; empty for `medications[]`).
    pub fn within_record(&self) -> Option<&str> {
        self.list.map(|i| self.text[i + 2..].trim_start_matches('.'))
    }

    /// The concrete path for record `index`: `encounters[].npi` → `encounters[3].npi`.
    pub fn at(&self, index: usize) -> String {
        match self.list {
            Some(i) => format!("{}[{index}]{}", &self.text[..i], &self.text[i + 2..]),
            None => self.text.clone(),
        }
    }

    /// The last name of the path (`dob` of `patient.dob`).
    pub fn last(&self) -> &str {
        let last = self.text.rsplit('.').next().unwrap_or("");
        last.strip_suffix("[]").unwrap_or(last)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<str> for FieldPath {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for FieldPath {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for FieldPath {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

/// Fill the first `[]` of a path that may still hold one (a value's path as
/// extraction wrote it) with `index`.
pub fn fill(path: &str, index: usize) -> String {
    path.replacen("[]", &format!("[{index}]"), 1)
}

/// The generic form of a concrete path: indices dropped,
/// `encounters[12].diagnoses` → `encounters[].diagnoses`.
pub fn generic(concrete: &str) -> String {
    let mut out = String::with_capacity(concrete.len());
    let mut chars = concrete.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        }
    }
    out
}

/// The first list index of a concrete path: `encounters[2].npi` → 2.
pub fn first_index(concrete: &str) -> Option<usize> {
    let open = concrete.find('[')?;
    let close = concrete[open..].find(']')? + open;
    concrete[open + 1..close].parse().ok()
}

/// Whether `path` lies strictly below `field` (`patient.address.zip` below
/// `patient.address`; `encounters[0].diagnoses[1].code` below
/// `encounters[0].diagnoses`).
pub fn is_under(path: &str, field: &str) -> bool {
    path.len() > field.len() && path.starts_with(field) && matches!(path.as_bytes()[field.len()], b'.' | b'[')
}

/// The path one level up: `patient.name` → `patient`; top-level → empty.
pub fn parent(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(p, _)| p)
}

/// `base.key`, or `key` at the top.
pub fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

pub(crate) fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_number() {
        let p = FieldPath::parse("encounters[].vitals.bp").unwrap();
        assert!(p.is_repeated());
        assert_eq!(p.list(), Some("encounters"));
        assert_eq!(p.within_record(), Some("vitals.bp"));
        assert_eq!(p.at(3), "encounters[3].vitals.bp");
        assert_eq!(p.last(), "bp");
        let d = FieldPath::parse("patient.dob").unwrap();
        assert!(!d.is_repeated());
        assert_eq!(d.at(5), "patient.dob");
        for bad in ["", "Patient.dob", "a..b", "a[].b[].c", "a[1].b", "a.b-c"] {
            assert!(FieldPath::parse(bad).is_none(), "{bad}");
        }
        let rows = FieldPath::rows_of(&FieldPath::parse("medications").unwrap());
        assert_eq!(rows.child("dose").at(2), "medications[2].dose");
        assert_eq!(rows.within_record(), Some(""));
    }

    #[test]
    fn concrete_paths() {
        assert_eq!(generic("encounters[12].diagnoses"), "encounters[].diagnoses");
        assert_eq!(generic("medications[0].dose"), "medications[].dose");
        assert_eq!(generic("patient.dob"), "patient.dob");
        assert_eq!(first_index("encounters[12].npi"), Some(12));
        assert_eq!(first_index("patient.dob"), None);
        assert!(is_under("patient.address.zip", "patient.address"));
        assert!(is_under("encounters[0].diagnoses[1].code", "encounters[0].diagnoses"));
        assert!(!is_under("patient.addressee", "patient.address"));
        assert_eq!(fill("encounters[].npi", 2), "encounters[2].npi");
        assert_eq!(parent("patient.name"), "patient");
        assert_eq!(join("", "x"), "x");
    }
}

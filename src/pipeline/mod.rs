//! The pipeline file: document types, their titles, fields with labels and
//! value types, tables, required flags and thresholds — all data, read from
//! `pipelines/*.toml`.
//!
//! `Pipeline::load` parses and checks a file as a whole and reports every
//! problem at once, each with its place (`documents[2].fields[0].type`). The
//! rest of the program only ever sees a checked `Pipeline`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

/// The pipeline bundled with chartmill (`pipelines/default.toml`).
pub const DEFAULT_PIPELINE: &str = include_str!("../../pipelines/default.toml");

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Short name, e.g. `default`.
    pub name: String,
    /// Version recorded with every loaded value; bump it when the file changes.
    pub version: String,
    /// A value whose mean OCR word confidence (0–100) is under this is flagged `low_confidence`.
    pub confidence_threshold: f32,
    /// The estimated error (0–1) a value may carry and still be loaded
    /// without a person seeing it ([`crate::calibrate`]): a value whose
    /// evidence (type, confidence, agreement of its reads) puts its error
    /// above this is flagged `low_confidence`. Absent: confidence alone decides.
    #[serde(default)]
    pub max_silent_error: Option<f64>,
    /// A page with fewer recognised words than this is blank (or unreadable, when it has ink).
    #[serde(default = "default_min_words")]
    pub min_words: u32,
    /// Fields on every page (the chart label sticker): compared across pages
    /// for `identity_mismatch`.
    #[serde(default)]
    pub header: Vec<Field>,
    pub documents: Vec<Document>,
}

fn default_min_words() -> u32 {
    5
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Document type id, e.g. `progress_note`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Titles that identify the page (case-insensitive, any of).
    pub titles: Vec<String>,
    /// `[]`-paths in this document's fields are numbered per page of this
    /// type: each progress note page is one encounter.
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub tables: Vec<Table>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Export path, e.g. `patient.dob` or `encounters[].npi`. For composite
    /// types see `ValueType`.
    pub path: String,
    /// Labels, case-insensitive; the most specific (longest) label wins.
    pub labels: Vec<String>,
    #[serde(rename = "type", default)]
    pub value_type: ValueType,
    #[serde(default)]
    pub required: bool,
    /// The form may print this label with nothing filled in (a `Group #`
    /// left blank). Otherwise a label found with no value beside or below it
    /// is flagged `missing_field`, whether the field is required or not: a
    /// value that is there but was not found must never pass as absent.
    #[serde(default)]
    pub may_be_blank: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Export list path, e.g. `medications`.
    pub path: String,
    /// Titles of the columns; a row is a table row when it lines up under them.
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Key within a row object, e.g. `dose`.
    pub key: String,
    pub headers: Vec<String>,
    #[serde(rename = "type", default)]
    pub value_type: ValueType,
    #[serde(default)]
    pub required: bool,
}

/// How a value is read, normalised and checked.
///
/// Scalar types write their value at the field's path. Composite types:
/// `person_name` at `X.name` writes `X.family` and `X.given`; `signature` at
/// `X.signature` writes `X.signed_by` and `X.signed_date`; `address` at
/// `X.address` writes `X.address.{line,city,state,zip}`; `city_state_zip` at
/// `X.address` writes `city`, `state`, `zip` below it; `diagnoses` and
/// `allergies` write a list at their path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// Free text, whitespace collapsed.
    #[default]
    Text,
    /// `THOMPSON, MARGARET A` or `Margaret A. Thompson` → family / given.
    PersonName,
    /// A provider as written: `John R. Miller, MD`.
    ProviderName,
    /// A calendar date → `YYYY-MM-DD`; a two-digit year is taken in the past.
    Date,
    /// A date of birth: a date that is never in the future.
    BirthDate,
    /// M, F, U.
    Sex,
    /// NANP phone → 10 digits.
    Phone,
    /// Identifier (MRN, member id, group): letters and digits, as written.
    Identifier,
    /// Street line, or a whole one-line address.
    Address,
    /// `Springfield, IL 62704`.
    CityStateZip,
    City,
    /// Two-letter US state.
    State,
    /// 5 or 5+4 digits.
    Zip,
    /// 10-digit NPI with Luhn check.
    Npi,
    /// One code per line, code then text; ICD-9-CM or ICD-10-CM by the visit date.
    Diagnoses,
    /// `Penicillin (rash); Sulfa` or NKDA.
    Allergies,
    /// A name and a date.
    Signature,
    /// Blood pressure `128/82`.
    BloodPressure,
    /// Whole number (pulse, weight in lb).
    Integer,
    /// Decimal number (temperature in °F, weight).
    Decimal,
    /// CVX vaccine code: 1–3 digits.
    Cvx,
    /// A lot number: letters and digits.
    Lot,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::PersonName => "person_name",
            ValueType::ProviderName => "provider_name",
            ValueType::Date => "date",
            ValueType::BirthDate => "birth_date",
            ValueType::Sex => "sex",
            ValueType::Phone => "phone",
            ValueType::Identifier => "identifier",
            ValueType::Address => "address",
            ValueType::CityStateZip => "city_state_zip",
            ValueType::City => "city",
            ValueType::State => "state",
            ValueType::Zip => "zip",
            ValueType::Npi => "npi",
            ValueType::Diagnoses => "diagnoses",
            ValueType::Allergies => "allergies",
            ValueType::Signature => "signature",
            ValueType::BloodPressure => "blood_pressure",
            ValueType::Integer => "integer",
            ValueType::Decimal => "decimal",
            ValueType::Cvx => "cvx",
            ValueType::Lot => "lot",
        }
    }
}

/// One problem in a pipeline file, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineError {
    /// `line:col` for syntax errors, a dotted place (`documents[1].titles`) otherwise.
    pub place: String,
    pub message: String,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Every problem found in a pipeline file.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in pipeline {source_name}", errors.len())]
pub struct PipelineErrors {
    pub source_name: String,
    pub errors: Vec<PipelineError>,
}

impl Pipeline {
    /// The bundled default pipeline.
    pub fn default_pipeline() -> Pipeline {
        Pipeline::parse(DEFAULT_PIPELINE, "pipelines/default.toml")
            .expect("the bundled default pipeline is valid")
    }

    pub fn load(path: &Path) -> Result<Pipeline, PipelineErrors> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PipelineErrors {
            source_name: name.clone(),
            errors: vec![PipelineError { place: name.clone(), message: format!("cannot read: {e}") }],
        })?;
        Pipeline::parse(&text, &name)
    }

    /// Parse and check; every problem is reported at once.
    pub fn parse(text: &str, source_name: &str) -> Result<Pipeline, PipelineErrors> {
        let fail = |errors| PipelineErrors { source_name: source_name.to_string(), errors };
        let pipeline: Pipeline = match toml::from_str(text) {
            Ok(p) => p,
            Err(e) => {
                let place = match e.span() {
                    Some(span) => line_col(text, span.start),
                    None => source_name.to_string(),
                };
                return Err(fail(vec![PipelineError { place, message: e.message().to_string() }]));
            }
        };
        let errors = pipeline.check();
        if errors.is_empty() {
            Ok(pipeline)
        } else {
            Err(fail(errors))
        }
    }

    /// Semantic checks: everything serde cannot see.
    pub fn check(&self) -> Vec<PipelineError> {
        let mut errs = Vec::new();
        let mut err = |place: String, message: &str| errs.push(PipelineError { place, message: message.to_string() });
        if self.name.trim().is_empty() {
            err("name".into(), "must not be empty");
        }
        if self.version.trim().is_empty() {
            err("version".into(), "must not be empty");
        }
        if self.max_silent_error.is_some_and(|b| !(0.0..=1.0).contains(&b)) {
            err("max_silent_error".into(), "must be between 0 and 1 (0.002 is 0.2 %)");
        }
        if !(0.0..=100.0).contains(&self.confidence_threshold) {
            err("confidence_threshold".into(), "must be between 0 and 100");
        }
        if self.documents.is_empty() {
            err("documents".into(), "at least one document type is needed");
        }
        for (i, f) in self.header.iter().enumerate() {
            check_field(f, &format!("header[{i}]"), false, &mut err);
        }
        let mut types = BTreeSet::new();
        let mut titles = BTreeSet::new();
        for (d, doc) in self.documents.iter().enumerate() {
            let place = format!("documents[{d}]");
            if !is_ident(&doc.doc_type) {
                err(format!("{place}.type"), "must be a lower-case identifier like `progress_note`");
            }
            if !types.insert(doc.doc_type.clone()) {
                err(format!("{place}.type"), "document type declared twice");
            }
            if doc.titles.is_empty() {
                err(format!("{place}.titles"), "at least one title is needed to classify a page");
            }
            for (t, title) in doc.titles.iter().enumerate() {
                if title.trim().is_empty() {
                    err(format!("{place}.titles[{t}]"), "empty title");
                } else if !titles.insert(title.trim().to_uppercase()) {
                    err(format!("{place}.titles[{t}]"), "title used by another document type");
                }
            }
            if doc.fields.is_empty() && doc.tables.is_empty() {
                err(place.clone(), "declares neither fields nor tables");
            }
            for (i, f) in doc.fields.iter().enumerate() {
                check_field(f, &format!("{place}.fields[{i}]"), true, &mut err);
            }
            for (t, table) in doc.tables.iter().enumerate() {
                let tplace = format!("{place}.tables[{t}]");
                if !valid_path(&table.path) || table.path.contains("[]") {
                    err(format!("{tplace}.path"), "must be a dotted path of lower-case names, e.g. `medications`");
                }
                if table.columns.len() < 2 {
                    err(format!("{tplace}.columns"), "a table needs at least two columns");
                }
                let mut keys = BTreeSet::new();
                for (c, col) in table.columns.iter().enumerate() {
                    let cplace = format!("{tplace}.columns[{c}]");
                    if !is_ident(&col.key) {
                        err(format!("{cplace}.key"), "must be a lower-case identifier");
                    }
                    if !keys.insert(col.key.clone()) {
                        err(format!("{cplace}.key"), "column key declared twice");
                    }
                    if col.headers.is_empty() || col.headers.iter().any(|h| h.trim().is_empty()) {
                        err(format!("{cplace}.headers"), "needs at least one non-empty header");
                    }
                    if matches!(
                        col.value_type,
                        ValueType::PersonName
                            | ValueType::Signature
                            | ValueType::Address
                            | ValueType::CityStateZip
                            | ValueType::Diagnoses
                            | ValueType::Allergies
                    ) {
                        err(format!("{cplace}.type"), "composite types cannot be table columns");
                    }
                }
            }
        }
        errs
    }

    pub fn document(&self, doc_type: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.doc_type == doc_type)
    }

    /// `name@version`, recorded with every value.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

fn check_field(f: &Field, place: &str, allow_repeat: bool, err: &mut impl FnMut(String, &str)) {
    if !valid_path(&f.path) {
        err(format!("{place}.path"), "must be a dotted path of lower-case names, e.g. `patient.dob` or `encounters[].npi`");
    } else if f.path.contains("[]") && !allow_repeat {
        err(format!("{place}.path"), "header fields cannot use `[]`");
    }
    if f.labels.is_empty() {
        err(format!("{place}.labels"), "at least one label is needed");
    }
    for (l, label) in f.labels.iter().enumerate() {
        if label.trim().is_empty() {
            err(format!("{place}.labels[{l}]"), "empty label");
        }
    }
    let last = f.path.rsplit('.').next().unwrap_or("");
    match f.value_type {
        ValueType::PersonName if last != "name" => err(format!("{place}.path"), "a person_name field path must end in `.name`"),
        ValueType::Signature if last != "signature" => {
            err(format!("{place}.path"), "a signature field path must end in `.signature`")
        }
        _ => {}
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `a.b`, `a[].b`, `a.b.c`.
fn valid_path(p: &str) -> bool {
    !p.is_empty() && p.split('.').all(|seg| is_ident(seg.strip_suffix("[]").unwrap_or(seg)))
}

fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pipeline_is_valid() {
        let p = Pipeline::default_pipeline();
        assert_eq!(p.documents.len(), 4);
    }

    #[test]
    fn all_errors_reported_with_places() {
        let text = r#"
name = ""
version = "1"
confidence_threshold = 150
[[documents]]
type = "Bad Type"
titles = []
[[documents.fields]]
path = "patient..dob"
labels = []
"#;
        let errs = Pipeline::parse(text, "t.toml").unwrap_err().errors;
        let places: Vec<_> = errs.iter().map(|e| e.place.as_str()).collect();
        for want in [
            "name",
            "confidence_threshold",
            "documents[0].type",
            "documents[0].titles",
            "documents[0].fields[0].path",
            "documents[0].fields[0].labels",
        ] {
            assert!(places.contains(&want), "missing {want} in {places:?}");
        }
    }

    #[test]
    fn syntax_error_has_line() {
        let errs = Pipeline::parse("name = \"x\"\nversion = ", "t.toml").unwrap_err().errors;
        assert!(errs[0].place.starts_with("line 2"), "{:?}", errs);
    }

    #[test]
    fn unknown_key_is_an_error() {
        let text = "name='a'\nversion='1'\nconfidence_threshold=50\nbogus=1\n[[documents]]\ntype='a'\ntitles=['A']\n";
        let errs = Pipeline::parse(text, "t.toml").unwrap_err().errors;
        assert!(errs[0].message.contains("bogus"), "{:?}", errs);
    }
}

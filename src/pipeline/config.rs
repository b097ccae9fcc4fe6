//! The pipeline file as written: the TOML model (serde), and the checks
//! serde cannot make, each problem reported with its place
//! (`documents[2].fields[0].type`). Nothing outside `pipeline` sees these
//! types: [`super::compile`] turns a checked file into the [`super::Pipeline`]
//! the batch runs.

use super::path::{is_ident, FieldPath};
use super::PipelineError;
use crate::extract::layout::{canon, key};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Short name, e.g. `default`.
    pub name: String,
    /// Version recorded with every loaded value; bump it when the file changes.
    pub version: String,
    /// A value whose mean OCR word confidence (0–100) is under this is flagged `low_confidence`.
    pub confidence_threshold: f32,
    /// The estimated error (0–1) a value may carry and still be loaded
    /// without a person seeing it ([`crate::calibrate`]).
    #[serde(default)]
    pub max_silent_error: Option<f64>,
    /// A page with fewer recognised words than this is blank (or unreadable, when it has ink).
    #[serde(default = "default_min_words")]
    pub min_words: u32,
    /// What makes a chart: `folder` (the default: a multi-page file, or the
    /// single-page images of one folder) or `file` (every file its own chart).
    #[serde(default)]
    pub chart: ChartUnit,
    /// Fields on every page (the chart label sticker): compared across pages
    /// for `identity_mismatch`.
    #[serde(default)]
    pub header: Vec<FieldConfig>,
    pub documents: Vec<DocumentConfig>,
}

fn default_min_words() -> u32 {
    5
}

/// What makes a chart of an archive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartUnit {
    /// A multi-page file is a chart; so are the single-page images of one folder.
    #[default]
    Folder,
    /// Every file is a chart of its own (a folder of unrelated single-page forms).
    File,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentConfig {
    /// Document type id, e.g. `progress_note`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Titles that identify the page (case-insensitive, any of). A title may
    /// share its line with other text and may run over two lines.
    #[serde(default)]
    pub titles: Vec<String>,
    /// How far down the page a title is looked for, as a fraction of its
    /// height (default 0.45).
    #[serde(default)]
    pub title_zone: Option<f32>,
    /// Words or phrases that must all appear on the page. With no titles,
    /// they alone classify the page.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// At least one of these must appear on the page.
    #[serde(default)]
    pub any_keywords: Vec<String>,
    /// None of these may appear on the page.
    #[serde(default)]
    pub not_keywords: Vec<String>,
    /// Pages of this type are recognised and nothing is read from them (the
    /// printed instructions on the back of a claim form).
    #[serde(default)]
    pub ignore: bool,
    /// `[]`-paths in this document's fields are numbered per page of this
    /// type: each progress note page is one encounter.
    #[serde(default)]
    pub fields: Vec<FieldConfig>,
    #[serde(default)]
    pub tables: Vec<TableConfig>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldConfig {
    /// Export path, e.g. `patient.dob` or `encounters[].npi`. For composite
    /// types see `ValueType`.
    pub path: String,
    /// Labels, case-insensitive; the most specific (longest) label wins.
    /// May be empty for a value found by `pattern` (a vaccine sticker).
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(rename = "type", default)]
    pub value_type: ValueType,
    /// `true`: every chart must have it; `"when_present"`: required on each
    /// page of its document type, and not asked of a chart without one.
    #[serde(default)]
    pub required: RequiredConfig,
    /// The form may print this label with nothing filled in (a `Group #`
    /// left blank). Otherwise a label found with no value beside or below it
    /// is flagged `missing_field`, whether the field is required or not: a
    /// value that is there but was not found must never pass as absent.
    #[serde(default)]
    pub may_be_blank: bool,
    /// Where the value stands from its label: `auto` (right of it, else
    /// below; the default), `right`, `below`, `above`, `left`.
    #[serde(default)]
    pub direction: Direction,
    /// Take the n-th occurrence of the label on the page, in reading order
    /// (1 is the first): the insured's `CITY` after the patient's.
    #[serde(default)]
    pub occurrence: Option<u32>,
    /// `[x0, y0, x1, y1]` in fractions of the page: the label (or, for a
    /// pattern, the value) must stand inside it.
    #[serde(default)]
    pub zone: Option<[f32; 4]>,
    /// Lines a value may run over (a note, an address): continuation lines
    /// below, starting under the value, until a blank line or a label.
    #[serde(default)]
    pub lines: Option<u32>,
    /// A regular expression the value matches; with no labels, the value is
    /// the first match on the page (inside `zone`, when given).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Text longer than this is invalid.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// The options of a `choice` field (check boxes, option groups): each
    /// option's value and the labels printed beside its box.
    #[serde(default)]
    pub options: Vec<OptionConfig>,
    /// A `choice` field whose boxes may be ticked together (`Allergies: ☒
    /// Latex ☒ Iodine`): the ticked values, joined by `; `.
    #[serde(default)]
    pub multiple: bool,
}

/// `required = true | false | "when_present"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequiredConfig {
    Flag(bool),
    Word(RequiredWord),
    #[default]
    #[serde(skip)]
    Unset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredWord {
    Always,
    WhenPresent,
    Never,
}

/// Where a value stands from its label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Right of the label on its line, else directly below it.
    #[default]
    Auto,
    Right,
    Below,
    Above,
    Left,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionConfig {
    /// The value recorded when this option's box is marked.
    pub value: String,
    /// The text printed beside its box (`M`, `Male`).
    pub labels: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// Export list path, e.g. `medications`.
    pub path: String,
    /// Titles of the columns; a row is a table row when it lines up under them.
    pub columns: Vec<ColumnConfig>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
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
    /// A time of day → `HH:MM` (24-hour): `2:15 PM`, `14:15`.
    Time,
    /// An amount of money → `1234.50`: `$1,234.50`, `1234.5`.
    Money,
    /// A percentage → its number: `45 %`, `12.5%`.
    Percent,
    /// A month and year → `YYYY-MM`: `03/2019`, `Mar 2019`.
    MonthYear,
    /// A drug amount and its unit → `500 mg`: `500mg`, `0.5 mL`, `90 mcg/actuation`, `10 units`.
    Dose,
    /// One of the field's `options`, read from the check boxes beside their
    /// labels (or, with `multiple`, every marked one, joined by `; `).
    Choice,
}

impl ValueType {
    /// Types whose value is written as several parts or a list.
    pub fn is_composite(self) -> bool {
        matches!(
            self,
            ValueType::PersonName
                | ValueType::Signature
                | ValueType::Address
                | ValueType::CityStateZip
                | ValueType::Diagnoses
                | ValueType::Allergies
        )
    }

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
            ValueType::Time => "time",
            ValueType::Money => "money",
            ValueType::Percent => "percent",
            ValueType::MonthYear => "month_year",
            ValueType::Dose => "dose",
            ValueType::Choice => "choice",
        }
    }
}

impl PipelineConfig {
    /// Semantic checks: everything serde cannot see. Errors stop the file
    /// from being used; warnings (what can never match) are reported by
    /// `check-pipeline` and the run.
    pub fn check(&self) -> (Vec<PipelineError>, Vec<PipelineError>) {
        let mut errs = Vec::new();
        let mut warns = Vec::new();
        let mut err = |place: String, message: &str| errs.push(PipelineError { place, message: message.to_string() });
        let mut warn = |place: String, message: String| warns.push(PipelineError { place, message });
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
            check_field(f, &format!("header[{i}]"), false, &mut err, &mut warn);
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
            if doc.titles.is_empty() && doc.keywords.is_empty() && doc.any_keywords.is_empty() {
                err(format!("{place}.titles"), "a title or keywords are needed to classify a page");
            }
            for (t, title) in doc.titles.iter().enumerate() {
                let tplace = format!("{place}.titles[{t}]");
                let c = canon(title);
                if c.is_empty() {
                    err(tplace, "empty title (it needs letters or digits)");
                } else if !titles.insert(c.clone()) {
                    err(tplace, "title used by another document type");
                } else if c.len() < 3 {
                    warn(tplace, "a title of one or two letters is only found when it stands alone on its line".into());
                }
            }
            if doc.title_zone.is_some_and(|z| !(z > 0.0 && z <= 1.0)) {
                err(format!("{place}.title_zone"), "must be a fraction of the page's height, above 0 and at most 1");
            }
            for (key, list) in [("keywords", &doc.keywords), ("any_keywords", &doc.any_keywords), ("not_keywords", &doc.not_keywords)] {
                for (k, w) in list.iter().enumerate() {
                    if canon(w).is_empty() {
                        err(format!("{place}.{key}[{k}]"), "empty keyword (it needs letters or digits)");
                    }
                }
            }
            for (k, w) in doc.keywords.iter().chain(&doc.any_keywords).enumerate() {
                let c = canon(w);
                if !c.is_empty() && doc.not_keywords.iter().any(|n| canon(n) == c) {
                    warn(format!("{place}.not_keywords"), format!("keyword {k} is also excluded: no page can match"));
                }
            }
            if doc.fields.is_empty() && doc.tables.is_empty() && !doc.ignore {
                err(place.clone(), "declares neither fields nor tables (set `ignore = true` for pages read for nothing)");
            }
            if doc.ignore && !(doc.fields.is_empty() && doc.tables.is_empty()) {
                err(format!("{place}.ignore"), "an ignored document type cannot declare fields or tables");
            }
            for (i, f) in doc.fields.iter().enumerate() {
                check_field(f, &format!("{place}.fields[{i}]"), true, &mut err, &mut warn);
            }
            for (t, table) in doc.tables.iter().enumerate() {
                let tplace = format!("{place}.tables[{t}]");
                if FieldPath::parse(&table.path).is_none() || table.path.contains("[]") {
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
                    if col.headers.is_empty() || col.headers.iter().any(|h| key(h).is_empty()) {
                        err(format!("{cplace}.headers"), "needs at least one header with letters or digits");
                    }
                    if col.value_type.is_composite() {
                        err(format!("{cplace}.type"), "composite types cannot be table columns");
                    }
                }
            }
        }
        (errs, warns)
    }
}

fn check_field(
    f: &FieldConfig,
    place: &str,
    allow_repeat: bool,
    err: &mut impl FnMut(String, &str),
    warn: &mut impl FnMut(String, String),
) {
    match FieldPath::parse(&f.path) {
        None => err(
            format!("{place}.path"),
            "must be a dotted path of lower-case names with at most one `[]`, e.g. `patient.dob` or `encounters[].npi`",
        ),
        Some(p) if p.is_repeated() && !allow_repeat => err(format!("{place}.path"), "header fields cannot use `[]`"),
        Some(_) => {}
    }
    if f.labels.is_empty() && f.pattern.is_none() {
        err(format!("{place}.labels"), "at least one label is needed (or a `pattern` for a value without a label)");
    }
    for (l, label) in f.labels.iter().enumerate() {
        if key(label).is_empty() {
            err(format!("{place}.labels[{l}]"), "empty label (it needs letters or digits)");
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
    if let Some(n) = f.occurrence {
        if n == 0 {
            err(format!("{place}.occurrence"), "counts from 1 (the first occurrence of the label)");
        }
    }
    if let Some(z) = f.zone {
        let inside = z.iter().all(|v| (0.0..=1.0).contains(v));
        if !inside || z[0] >= z[2] || z[1] >= z[3] {
            err(format!("{place}.zone"), "must be [x0, y0, x1, y1] in fractions of the page, with x0 < x1 and y0 < y1");
        }
    }
    if f.lines == Some(0) {
        err(format!("{place}.lines"), "a value has at least one line");
    }
    if let Some(p) = &f.pattern {
        if let Err(e) = regex::Regex::new(p) {
            err(format!("{place}.pattern"), &format!("not a regular expression: {e}"));
        }
    }
    if f.max_length == Some(0) {
        err(format!("{place}.max_length"), "must be at least 1");
    }
    if f.value_type.is_composite() && (f.lines.is_some() || f.pattern.is_some()) && f.value_type != ValueType::Address {
        err(format!("{place}.type"), "`lines` and `pattern` are for plain values, not composite types");
    }
    if f.direction != Direction::Auto && f.labels.is_empty() {
        warn(format!("{place}.direction"), "a field without labels has no direction to look in".into());
    }
}

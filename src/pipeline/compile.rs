//! The compiled pipeline: a checked [`PipelineConfig`] turned, once, into
//! what extraction, validation, review and the export run on: typed field
//! paths, labels and titles already in the form they are matched in, and
//! each document's fields merged with the header's.

use super::config::{
    ChartUnit, ColumnConfig, Direction, DocumentConfig, FieldConfig, PipelineConfig, RequiredConfig, RequiredWord, TableConfig,
    ValueType,
};
use super::path::FieldPath;
use super::PipelineError;
use crate::extract::layout;

/// A pipeline ready to run. Built by [`super::Pipeline::parse`] from a file
/// that passed every check; nothing downstream re-reads the TOML.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub name: String,
    pub version: String,
    /// A value whose mean OCR word confidence (0–100) is under this is flagged `low_confidence`.
    pub confidence_threshold: f32,
    /// The estimated error a value may carry and still be loaded unseen.
    pub max_silent_error: Option<f64>,
    /// A page with fewer recognised words than this is blank (or unreadable, when it has ink).
    pub min_words: u32,
    /// What makes a chart of an archive.
    pub chart: ChartUnit,
    /// Fields on every page (the chart label sticker).
    pub header: Vec<Field>,
    pub documents: Vec<Document>,
    /// What `check-pipeline` warns about: constructs that can never match.
    pub warnings: Vec<PipelineError>,
}

#[derive(Clone, Debug)]
pub struct Document {
    pub doc_type: String,
    pub titles: Vec<Title>,
    /// How far down the page (a fraction of its height) titles are looked for.
    pub title_zone: f32,
    /// Phrases ([`layout::canon`]) that must all stand on the page.
    pub keywords: Vec<String>,
    /// Phrases of which at least one must stand on the page (none: no condition).
    pub any_keywords: Vec<String>,
    /// Phrases that must not stand on the page.
    pub not_keywords: Vec<String>,
    /// Pages of this type are recognised and nothing is read from them.
    pub ignore: bool,
    pub fields: Vec<Field>,
    pub tables: Vec<Table>,
    /// What a page of this type is searched for: its own fields and the
    /// header's, merged by path and type.
    pub entries: Vec<Entry>,
}

/// A title as written and as matched.
#[derive(Clone, Debug)]
pub struct Title {
    pub text: String,
    /// [`layout::canon`] of the text.
    pub canon: String,
    /// [`layout::key`] of the text: letters and digits OCR confuses folded.
    pub key: String,
    /// [`layout::canon`] of each of its words, to match a title set on two lines.
    pub words: Vec<String>,
}

/// Titles searched in the top 45 % of a page unless the pipeline says otherwise.
pub const DEFAULT_TITLE_ZONE: f32 = 0.45;

#[derive(Clone, Debug)]
pub struct Field {
    pub path: FieldPath,
    pub labels: Vec<String>,
    pub value_type: ValueType,
    pub required: Required,
    pub may_be_blank: bool,
    pub spec: Spec,
}

/// When a field must have a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Required {
    #[default]
    No,
    /// Every chart must have it (a chart without a page of its document type
    /// is flagged for that).
    Always,
    /// Required on each page of its document type; a chart without such a
    /// page is not asked for it.
    WhenPresent,
}

impl Required {
    pub fn is_required(self) -> bool {
        self != Required::No
    }
}

/// How a field's value is found on its page and what it must look like.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    pub direction: Direction,
    /// The n-th occurrence of the label (1-based), in reading order.
    pub occurrence: Option<u32>,
    /// `[x0, y0, x1, y1]` in fractions of the page.
    pub zone: Option<[f32; 4]>,
    /// Lines the value may run over.
    pub lines: u32,
    /// The value matches this; with no labels, it is found by it.
    pub pattern: Option<regex::Regex>,
    pub max_length: Option<usize>,
    /// A `choice` field's options.
    pub options: Vec<Choice>,
    pub multiple: bool,
}

/// One option of a `choice` field.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    /// Its labels in matching form ([`layout::key`]).
    pub keys: Vec<String>,
}

/// A field as a page is searched for it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub path: FieldPath,
    pub kind: ValueType,
    /// Labels in the form they are matched in ([`layout::key`]), in order of preference.
    pub keys: Vec<String>,
    /// A header field (compared across pages).
    pub header: bool,
    /// A field of the document type.
    pub doc: bool,
    /// A label of it found with no value is reported (not `may_be_blank`).
    pub report_empty: bool,
    /// Where and how: the document field's, else the header field's.
    pub spec: Spec,
}

#[derive(Clone, Debug)]
pub struct Table {
    /// The list (`medications`).
    pub path: FieldPath,
    /// Its rows (`medications[]`).
    pub rows: FieldPath,
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub key: String,
    /// `medications[].dose`.
    pub path: FieldPath,
    pub headers: Vec<String>,
    /// Headers in the form they are matched in.
    pub keys: Vec<String>,
    pub value_type: ValueType,
    pub required: bool,
}

/// Compile a configuration that passed [`PipelineConfig::check`].
pub fn compile(config: &PipelineConfig, warnings: Vec<PipelineError>) -> Pipeline {
    let header: Vec<Field> = config.header.iter().map(field).collect();
    let documents = config.documents.iter().map(|d| document(d, &header)).collect();
    Pipeline {
        name: config.name.clone(),
        version: config.version.clone(),
        confidence_threshold: config.confidence_threshold,
        max_silent_error: config.max_silent_error,
        min_words: config.min_words,
        chart: config.chart,
        header,
        documents,
        warnings,
    }
}

fn path(text: &str) -> FieldPath {
    FieldPath::parse(text).expect("paths are checked before compiling")
}

fn field(f: &FieldConfig) -> Field {
    Field {
        path: path(&f.path),
        labels: f.labels.clone(),
        value_type: f.value_type,
        required: match f.required {
            RequiredConfig::Flag(true) | RequiredConfig::Word(RequiredWord::Always) => Required::Always,
            RequiredConfig::Word(RequiredWord::WhenPresent) => Required::WhenPresent,
            RequiredConfig::Flag(false) | RequiredConfig::Word(RequiredWord::Never) | RequiredConfig::Unset => Required::No,
        },
        may_be_blank: f.may_be_blank,
        spec: Spec {
            direction: f.direction,
            occurrence: f.occurrence,
            zone: f.zone,
            lines: f.lines.unwrap_or(1),
            pattern: f.pattern.as_deref().map(|p| regex::Regex::new(p).expect("patterns are checked before compiling")),
            max_length: f.max_length,
            options: f
                .options
                .iter()
                .map(|o| Choice { value: o.value.clone(), keys: o.labels.iter().map(|l| layout::key(l)).collect() })
                .collect(),
            multiple: f.multiple,
        },
    }
}

fn document(d: &DocumentConfig, header: &[Field]) -> Document {
    let fields: Vec<Field> = d.fields.iter().map(field).collect();
    let entries = entries(&fields, header);
    Document {
        doc_type: d.doc_type.clone(),
        titles: d
            .titles
            .iter()
            .map(|t| Title {
                text: t.clone(),
                canon: layout::canon(t),
                key: layout::key(t),
                words: t.split_whitespace().map(layout::canon).filter(|w| !w.is_empty()).collect(),
            })
            .collect(),
        title_zone: d.title_zone.unwrap_or(DEFAULT_TITLE_ZONE),
        keywords: d.keywords.iter().map(|k| layout::canon(k)).collect(),
        any_keywords: d.any_keywords.iter().map(|k| layout::canon(k)).collect(),
        not_keywords: d.not_keywords.iter().map(|k| layout::canon(k)).collect(),
        ignore: d.ignore,
        fields,
        tables: d.tables.iter().map(table).collect(),
        entries,
    }
}

fn table(t: &TableConfig) -> Table {
    let list = path(&t.path);
    let rows = FieldPath::rows_of(&list);
    let columns = t.columns.iter().map(|c| column(c, &rows)).collect();
    Table { path: list, rows, columns }
}

fn column(c: &ColumnConfig, rows: &FieldPath) -> Column {
    Column {
        key: c.key.clone(),
        path: rows.child(&c.key),
        headers: c.headers.clone(),
        keys: c.headers.iter().map(|h| layout::key(h)).collect(),
        value_type: c.value_type,
        required: c.required,
    }
}

/// The document's fields, then the header's, merged by path and type: a
/// field of both is searched once, with every label of either.
fn entries(fields: &[Field], header: &[Field]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for (f, is_header) in fields.iter().map(|f| (f, false)).chain(header.iter().map(|f| (f, true))) {
        let keys: Vec<String> = f.labels.iter().map(|l| layout::key(l)).filter(|l| !l.is_empty()).collect();
        if let Some(e) = entries.iter_mut().find(|e| e.path == f.path && e.kind == f.value_type) {
            if is_header {
                e.header = true;
            } else {
                e.doc = true;
                e.report_empty = !f.may_be_blank;
                e.spec = f.spec.clone();
            }
            for k in keys {
                if !e.keys.contains(&k) {
                    e.keys.push(k);
                }
            }
        } else {
            entries.push(Entry {
                path: f.path.clone(),
                kind: f.value_type,
                keys,
                header: is_header,
                doc: !is_header,
                report_empty: !f.may_be_blank,
                spec: f.spec.clone(),
            });
        }
    }
    entries
}

impl Pipeline {
    pub fn document(&self, doc_type: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.doc_type == doc_type)
    }

    /// `name@version`, recorded with every value.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Every field of the pipeline: the header's, then each document's.
    pub fn all_fields(&self) -> impl Iterator<Item = &Field> {
        self.header.iter().chain(self.documents.iter().flat_map(|d| d.fields.iter()))
    }
}

//! The data that flows between stages: pages, OCR words, extracted values
//! with their provenance, flags, and the chart record that is loaded.
//!
//! Everything here is plain data. No module in this file does I/O, and no
//! `Display` or `Debug` output of a patient value is ever written to a log:
//! log lines name charts, files and pages only.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An axis-aligned box in page pixels, origin top-left, after the page was
/// turned upright (see `PageInfo::rotation`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl BBox {
    pub fn right(&self) -> u32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> u32 {
        self.y + self.h
    }
    /// The smallest box holding both.
    pub fn union(&self, other: &BBox) -> BBox {
        if self.w == 0 && self.h == 0 {
            return *other;
        }
        if other.w == 0 && other.h == 0 {
            return *self;
        }
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let r = self.right().max(other.right());
        let b = self.bottom().max(other.bottom());
        BBox { x, y, w: r - x, h: b - y }
    }
}

/// One word recognised by OCR.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// Tesseract's word confidence, 0–100.
    pub conf: f32,
    /// Tesseract's block / paragraph / line numbers (layout hints only).
    pub block: u32,
    pub par: u32,
    pub line: u32,
    /// Other characters the recogniser saw at places of the word, when
    /// they were asked for (second reads of a value's box; `ocr::hocr`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alts: Vec<Alt>,
}

/// A character the recogniser also saw at one place of a word.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alt {
    /// The place in the word's text, in characters.
    pub at: u32,
    pub ch: char,
    /// The recogniser's confidence in it, 0–100.
    pub conf: f32,
}

/// The OCR result of one page.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OcrPage {
    pub width: u32,
    pub height: u32,
    pub dpi: u32,
    pub words: Vec<Word>,
}

impl OcrPage {
    /// Mean word confidence, 0 when there is no word.
    pub fn mean_conf(&self) -> f32 {
        if self.words.is_empty() {
            return 0.0;
        }
        self.words.iter().map(|w| w.conf).sum::<f32>() / self.words.len() as f32
    }
}

/// Where one page of a chart comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRef {
    /// Page number within the chart, 1-based.
    pub page: u32,
    /// Source file, relative to the archive root, `/` separators.
    pub file: String,
    /// Page (IFD) index within the source file, 0-based.
    pub file_page: u32,
}

/// Where a value was read: file, page, box on the page and OCR confidence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub page: u32,
    pub file: String,
    pub file_page: u32,
    pub bbox: BBox,
    /// Confidence of the value, 0–100: the mean OCR confidence of its words,
    /// or, when reads of it agree, the highest of theirs.
    pub conf: f32,
    /// Every read of a value that was read more than once (the page's read
    /// first), with its outcome; empty when the page's read was sure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<Read>,
}

/// One reading of a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Read {
    pub how: ReadHow,
    /// The text as this read saw it.
    pub text: String,
    /// Mean confidence of its words, 0–100.
    pub conf: f32,
    pub outcome: ReadOutcome,
    /// The engine's own best text, when the value's grammar chose another
    /// of the characters the engine offered (`text` is then the choice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_text: Option<String>,
    /// The engine's confidence in its strongest alternative character that
    /// would make this read another valid value; absent when it offered
    /// none (or was not asked: the page's read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rival: Option<f32>,
}

/// How a value was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadHow {
    /// With the whole page.
    Page,
    /// Its box cut out and read on its own (single-line or block segmentation).
    Region,
    /// Its box cut out, enlarged twice and read on its own.
    RegionEnlarged,
}

/// What a read says of the value kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadOutcome {
    /// It reads the value kept.
    Agrees,
    /// It reads another value that passes the type's checks.
    Differs,
    /// It fails the type's checks.
    Fails,
}

impl Provenance {
    /// Two reads that pass the value's checks disagree.
    pub fn reads_disagree(&self) -> bool {
        self.reads.iter().any(|r| r.outcome == ReadOutcome::Differs)
    }
}

/// A normalised value as it is stored and exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Int(i64),
    Num(f64),
}

impl Value {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Num(n) => serde_json::Value::from(*n),
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Num(n) => write!(f, "{n}"),
        }
    }
}

/// One value of a chart at a concrete path of the export document, e.g.
/// `patient.dob`, `encounters[0].npi`, `medications[2].dose`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    /// Concrete export path (list indices filled in).
    pub path: String,
    /// The path of the field as the flag and the reviewer see it; usually
    /// equal to `path`, but a composite value (a person name written to
    /// `patient.family` and `patient.given`) is flagged as `patient.name`.
    pub field: String,
    /// Normalised value; `None` when the text could not be normalised
    /// (then `error` says why and validation flags `invalid_value`).
    pub value: Option<Value>,
    /// The value type of the pipeline field or column that produced it.
    pub kind: crate::pipeline::ValueType,
    /// The text as read.
    pub raw: String,
    pub error: Option<String>,
    pub prov: Provenance,
}

/// A record the extractor opened: one page of a document type (its fields'
/// `[]` take `index`, counted per document type from 0), or one table row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub doc_type: String,
    pub page: u32,
    pub kind: RecordKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    /// The fields of a document page; `index` replaces `[]` in their paths.
    Document { index: usize },
    /// Row `index` of table `table` (index into `Document::tables`); its
    /// values sit at `<table path>[index].<column key>`.
    TableRow { table: usize, index: usize },
}

/// Review flag codes of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    MissingField,
    LowConfidence,
    InvalidValue,
    IdentityMismatch,
    ImplausibleDate,
    UnreadablePage,
    UnknownDocument,
    DuplicatePatient,
}

impl FlagCode {
    pub const ALL: [FlagCode; 8] = [
        FlagCode::MissingField,
        FlagCode::LowConfidence,
        FlagCode::InvalidValue,
        FlagCode::IdentityMismatch,
        FlagCode::ImplausibleDate,
        FlagCode::UnreadablePage,
        FlagCode::UnknownDocument,
        FlagCode::DuplicatePatient,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FlagCode::MissingField => "missing_field",
            FlagCode::LowConfidence => "low_confidence",
            FlagCode::InvalidValue => "invalid_value",
            FlagCode::IdentityMismatch => "identity_mismatch",
            FlagCode::ImplausibleDate => "implausible_date",
            FlagCode::UnreadablePage => "unreadable_page",
            FlagCode::UnknownDocument => "unknown_document",
            FlagCode::DuplicatePatient => "duplicate_patient",
        }
    }
    pub fn parse(s: &str) -> Option<FlagCode> {
        FlagCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for FlagCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason for human review. `reason` is plain language and never quotes
/// a patient value, so that flags may be counted and listed safely.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub code: FlagCode,
    /// Dotted field path, e.g. `patient.dob`, `encounters[0].npi`.
    pub field: Option<String>,
    /// Chart page (1-based).
    pub page: Option<u32>,
    pub reason: String,
}

/// What the pipeline made of one page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    #[serde(flatten)]
    pub at: PageRef,
    /// Document type of the pipeline, `None` for blank, unreadable or unknown pages.
    pub doc_type: Option<String>,
    pub status: PageStatus,
    /// Clockwise rotation in degrees (0, 90, 180, 270) applied to turn it upright.
    pub rotation: u32,
    /// Skew corrected, degrees.
    pub skew: f32,
    pub words: u32,
    pub mean_conf: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    /// Classified and extracted.
    Read,
    /// Recognised as blank and skipped.
    Blank,
    /// Could not be decoded or yielded almost no text.
    Unreadable,
    /// Text, but no document type matched.
    Unknown,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PageStatus::Read => "read",
            PageStatus::Blank => "blank",
            PageStatus::Unreadable => "unreadable",
            PageStatus::Unknown => "unknown",
        }
    }
}

/// Status of a chart in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartStatus {
    Accepted,
    Review,
    /// Not one page could be processed; nothing is loaded, the error is kept.
    Failed,
    /// A reviewer rejected it.
    Rejected,
}

impl ChartStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChartStatus::Accepted => "accepted",
            ChartStatus::Review => "review",
            ChartStatus::Failed => "failed",
            ChartStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<ChartStatus> {
        match s {
            "accepted" => Some(ChartStatus::Accepted),
            "review" => Some(ChartStatus::Review),
            "failed" => Some(ChartStatus::Failed),
            "rejected" => Some(ChartStatus::Rejected),
            _ => None,
        }
    }
}

/// A processed chart: what `store` loads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChartResult {
    pub chart_id: String,
    /// Source files with their content hash (blake3 hex), in page order.
    pub sources: Vec<SourceFile>,
    pub pages: Vec<PageInfo>,
    pub values: Vec<FieldValue>,
    pub flags: Vec<Flag>,
    /// The export document (spec shape) built from `values`.
    pub document: serde_json::Value,
    /// Page-level errors (decode failures), file and page named, no patient data.
    pub errors: Vec<String>,
}

impl ChartResult {
    pub fn status(&self) -> ChartStatus {
        if self.pages.iter().all(|p| p.status == PageStatus::Unreadable) && !self.errors.is_empty() {
            ChartStatus::Failed
        } else if self.flags.is_empty() {
            ChartStatus::Accepted
        } else {
            ChartStatus::Review
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Relative to the archive root, `/` separators.
    pub file: String,
    pub hash: String,
    pub bytes: u64,
}

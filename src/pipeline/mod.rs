//! The pipeline: document types, their titles, fields with labels and
//! value types, tables, required flags and thresholds — all data, read from
//! `pipelines/*.toml`.
//!
//! Configuration in, a compiled object out (as vector builds its
//! topology): [`config`] is the file as written, checked as a whole with
//! every problem reported at once, each with its place
//! (`documents[2].fields[0].type`); [`compile`] turns it into the
//! [`Pipeline`] the rest of the program runs on, with typed field paths
//! ([`path`]) and labels already in the form they are matched in.

pub mod compile;
pub mod config;
pub mod path;

pub use compile::{Choice, Column, Document, Entry, Field, Pipeline, Required, Spec, Table, Title};
pub use config::{ChartUnit, Direction, PipelineConfig, ValueType};
pub use path::FieldPath;

use std::fmt;
use std::path::Path;

/// The pipeline bundled with chartmill (`pipelines/default.toml`).
pub const DEFAULT_PIPELINE: &str = include_str!("../../pipelines/default.toml");

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
        Pipeline::parse(DEFAULT_PIPELINE, "pipelines/default.toml").expect("the bundled default pipeline is valid")
    }

    pub fn load(path: &Path) -> Result<Pipeline, PipelineErrors> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PipelineErrors {
            source_name: name.clone(),
            errors: vec![PipelineError { place: name.clone(), message: format!("cannot read: {e}") }],
        })?;
        Pipeline::parse(&text, &name)
    }

    /// Parse, check and compile; every problem is reported at once.
    pub fn parse(text: &str, source_name: &str) -> Result<Pipeline, PipelineErrors> {
        let fail = |errors| PipelineErrors { source_name: source_name.to_string(), errors };
        let config: PipelineConfig = match toml::from_str(text) {
            Ok(p) => p,
            Err(e) => {
                let place = match e.span() {
                    Some(span) => line_col(text, span.start),
                    None => source_name.to_string(),
                };
                return Err(fail(vec![PipelineError { place, message: e.message().to_string() }]));
            }
        };
        let (errors, warnings) = config.check();
        if errors.is_empty() {
            Ok(compile::compile(&config, warnings))
        } else {
            Err(fail(errors))
        }
    }
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

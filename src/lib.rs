//! chartmill turns an archive of scanned paper medical charts into validated
//! electronic records.
//!
//! The stages, in the order a page meets them:
//!
//! 1. [`discover`] walks the archive and groups files into charts;
//! 2. [`image`] decodes each page and prepares it for OCR (upright, deskewed,
//!    contrast and noise handled);
//! 3. [`ocr`] recognises words with Tesseract — the only module that talks to it;
//! 4. [`extract`] classifies pages and reads fields by the labels of the
//!    [`pipeline`] file (pure: OCR words in, values out);
//! 5. [`validate`] checks values and raises review flags (pure), accepting a
//!    value only when [`calibrate`]'s estimate of its error is within budget;
//! 6. [`store`] loads charts into SQLite — the only module that opens the database;
//! 7. [`run`] drives the batch: the one place with parallelism, and [`progress`]
//!    reports it.
//!
//! [`domain`] holds the shipped code tables (ICD-10-CM by fiscal year,
//! ICD-9-CM, CVX, drugs) and the agreement checks built on them.
//!
//! People work in [`review`] (the review core and the command line) and in
//! [`station`], the same core in a browser (`chartmill serve`).
//!
//! Around them: [`synth`] writes synthetic archives with ground truth, [`eval`]
//! measures accuracy against it, [`reconcile`] accounts for every page of an
//! archive against the database.

pub mod calibrate;
pub mod cli;
pub mod discover;
pub mod domain;
pub mod eval;
pub mod extract;
pub mod image;
pub mod model;
pub mod normalize;
pub mod ocr;
pub mod pipeline;
pub mod progress;
pub mod reconcile;
pub mod review;
pub mod run;
pub mod station;
pub mod store;
#[cfg(feature = "synth")]
pub mod synth;
pub mod validate;

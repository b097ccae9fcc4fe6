//! Calibrated acceptance: how likely a value is to be wrong, from what is
//! known of how it was read.
//!
//! A value's [`Evidence`] is its type, its confidence and how its reads
//! went ([`Support`]: read once and sure, confirmed by a second read, taken
//! from a lone second read, or reads that disagree). A [`Model`] is a table
//! of observed error rates by evidence bucket, fitted on labelled synthetic
//! charts ([`Model::fit`], `chartmill calibrate`) that are not the data it is
//! measured on. The rate of a sparse bucket is smoothed towards the rate of
//! its parent (the same support and confidence for every type, then the
//! same confidence), so that a bucket seen a few times is not trusted as if
//! it were seen a thousand.
//!
//! Validation accepts a value only when its estimated error is within the
//! pipeline's budget (`max_silent_error`); `chartmill eval` prints how the
//! estimates compare with what is observed, and how many clean charts go
//! straight through at each budget against the silent errors they carry.
//!
//! The model shipped with chartmill is `src/calibration.json`, fitted with
//! `chartmill calibrate` on the archive named in it: `synth --charts 150
//! --seed 11` (the development families `classic`, `office` and `fax`),
//! never on the held-out family or the fixtures it is measured on.

use crate::model::{FieldValue, ReadHow, ReadOutcome};
use crate::pipeline::ValueType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How the reads of a value went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// Read once, with the page, and sure enough not to be read again.
    Once,
    /// Read again from its box and not confirmed (no read agreed).
    Unconfirmed,
    /// A second read agrees with the value.
    Agreed,
    /// Two reads pass the value's checks and disagree.
    Disagree,
}

impl Support {
    fn as_str(self) -> &'static str {
        match self {
            Support::Once => "once",
            Support::Unconfirmed => "unconfirmed",
            Support::Agreed => "agreed",
            Support::Disagree => "disagree",
        }
    }
}

/// What is known of a value's read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    pub kind: ValueType,
    pub conf: f32,
    pub support: Support,
    /// An identifier or lot that mixes digits with a letter OCR confuses
    /// with a digit (`O`/`0`, `I`/`l`/`1`): Tesseract reads such glyphs with
    /// high confidence either way, in fonts where they look alike.
    pub ambiguous: bool,
    /// The engine's alternative character that would make another valid
    /// value ([`crate::model::Read::rival`]), the weakest over the reads of
    /// the value's box that agree with it; `None` when one of them offered
    /// none.
    pub rival: Option<f32>,
}

impl Evidence {
    /// The engine itself came close to reading another valid value: its
    /// rival is at or above [`rival_threshold`] for the value's type.
    pub fn contested(&self) -> bool {
        self.rival.is_some_and(|r| contests(self.kind, r))
    }
}

/// Whether a rival at this confidence contests a value of this type.
pub fn contests(kind: ValueType, rival: f32) -> bool {
    rival_threshold(kind).is_some_and(|t| rival >= t)
}

/// From what confidence an alternative character the engine offered makes
/// a value of this type doubtful, whatever its other evidence. Fitted on
/// the development archive (`synth --charts 150 --seed 11`): identifiers
/// and lots whose agreeing reads carried a rival at 10–20 were wrong 18 %
/// of the time (at 35 and more, 58 %), against 5.5 % with none; digit
/// strings, dates and codes at 20–35 were wrong 9 % (35 and more: 16–22 %),
/// against 1.3–1.5 % with none. Free text and names are left to the
/// agreement of reads: any character has alternatives there.
pub fn rival_threshold(kind: ValueType) -> Option<f32> {
    match group(kind) {
        "alphanumeric" => Some(10.0),
        "digits" | "date" | "code" | "short" => Some(20.0),
        _ => None,
    }
}

/// Whether an identifier's text mixes digits with a letter that OCR takes
/// for a digit, or a digit for such a letter.
fn ambiguous_glyphs(kind: ValueType, raw: &str) -> bool {
    if !matches!(kind, ValueType::Identifier | ValueType::Lot) {
        return false;
    }
    let digits = raw.chars().any(|c| c.is_ascii_digit());
    let letters = raw.chars().any(|c| c.is_ascii_alphabetic());
    digits && letters && raw.chars().any(|c| matches!(c, 'O' | 'o' | 'I' | 'l' | 'Q' | 'D'))
}

/// An identifier or lot read with a letter `O` beside its digits. OCR
/// gives zeros read as `O` high confidence in fonts where the two look
/// alike, and a second read of the same glyph repeats the slip: on the
/// development archive every such value (39 of 39) was a misread zero.
/// Validation sends it to a person; nothing repairs it.
pub fn letter_o_among_digits(kind: ValueType, value: &str) -> bool {
    matches!(kind, ValueType::Identifier | ValueType::Lot) && value.contains('O') && value.chars().any(|c| c.is_ascii_digit())
}

/// The evidence of a value as extraction left it.
pub fn evidence(v: &FieldValue) -> Evidence {
    let reads = &v.prov.reads;
    let support = if reads.is_empty() {
        Support::Once
    } else if reads.iter().any(|r| r.outcome == ReadOutcome::Differs) {
        Support::Disagree
    } else if reads.iter().filter(|r| r.outcome == ReadOutcome::Agrees).count() >= 2 {
        Support::Agreed
    } else {
        Support::Unconfirmed
    };
    // Contested only when every read of its box that agrees saw a rival:
    // one that saw the value plainly (an enlarged read, say) lifts it.
    let boxed: Vec<Option<f32>> =
        reads.iter().filter(|r| r.outcome == ReadOutcome::Agrees && r.how != ReadHow::Page).map(|r| r.rival).collect();
    let rival = if boxed.iter().any(Option::is_none) { None } else { boxed.into_iter().flatten().min_by(f32::total_cmp) };
    Evidence { kind: v.kind, conf: v.prov.conf, support, ambiguous: ambiguous_glyphs(v.kind, &v.raw), rival }
}

/// Coarse groups of value types that fail alike: digit strings, letters and
/// digits mixed, dates, names, codes, and the rest.
fn group(kind: ValueType) -> &'static str {
    use ValueType::*;
    match kind {
        Phone | Npi | Zip | Integer | Decimal | Cvx | BloodPressure | Money | Percent | Time | Dose => "digits",
        Identifier | Lot => "alphanumeric",
        Date | BirthDate | MonthYear => "date",
        PersonName | ProviderName | Signature => "name",
        Diagnoses => "code",
        Sex | State | Choice => "short",
        Text | Address | CityStateZip | City | Allergies => "text",
    }
}

/// Confidence buckets (lower bounds).
const CONF_EDGES: [f32; 8] = [0.0, 30.0, 55.0, 70.0, 80.0, 90.0, 95.0, 98.0];

fn conf_bucket(conf: f32) -> usize {
    CONF_EDGES.iter().rposition(|&e| conf >= e).unwrap_or(0)
}

/// The bucket keys of some evidence, from the most specific to the least.
fn keys(e: &Evidence) -> [String; 3] {
    let cb = conf_bucket(e.conf);
    let g = if e.contested() {
        "contested"
    } else if e.ambiguous {
        "ambiguous"
    } else {
        group(e.kind)
    };
    [format!("{g}|{}|{cb}", e.support.as_str()), format!("*|{}|{cb}", e.support.as_str()), format!("*|*|{cb}")]
}

/// Values seen and wrong in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub seen: u64,
    pub wrong: u64,
}

/// Observed error rates by evidence bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// What it was fitted on.
    pub fitted_on: Vec<String>,
    /// Values seen and wrong over all buckets.
    pub total: Counts,
    pub buckets: BTreeMap<String, Counts>,
}

/// Weight, in values, of a parent's rate in a child bucket's estimate.
const PRIOR_WEIGHT: f64 = 20.0;

impl Model {
    /// The model shipped with chartmill.
    pub fn builtin() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| serde_json::from_str(include_str!("calibration.json")).expect("src/calibration.json is a model"))
    }

    /// Fit from labelled values: each value's evidence and whether it was right.
    pub fn fit(samples: impl IntoIterator<Item = (Evidence, bool)>, fitted_on: Vec<String>) -> Model {
        let mut m = Model { fitted_on, ..Model::default() };
        for (e, right) in samples {
            m.total.seen += 1;
            m.total.wrong += u64::from(!right);
            for k in keys(&e) {
                let c = m.buckets.entry(k).or_default();
                c.seen += 1;
                c.wrong += u64::from(!right);
            }
        }
        m
    }

    /// The estimated probability that a value with this evidence is wrong.
    pub fn error(&self, e: &Evidence) -> f64 {
        // From the least specific bucket to the most, each smoothed towards
        // its parent; the root is smoothed towards the overall rate.
        let overall = (self.total.wrong as f64 + 1.0) / (self.total.seen as f64 + 2.0);
        let mut p = overall;
        for k in keys(e).iter().rev() {
            if let Some(c) = self.buckets.get(k) {
                p = (c.wrong as f64 + PRIOR_WEIGHT * p) / (c.seen as f64 + PRIOR_WEIGHT);
            }
        }
        if e.support == Support::Disagree {
            // Reads that disagree are never accepted on their own evidence.
            p = p.max(0.5);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: ValueType, conf: f32, support: Support) -> Evidence {
        Evidence { kind, conf, support, ambiguous: false, rival: None }
    }

    #[test]
    fn identifiers_mixing_digits_with_look_alike_letters_are_ambiguous() {
        assert!(ambiguous_glyphs(ValueType::Lot, "9LBO86X"));
        assert!(ambiguous_glyphs(ValueType::Identifier, "4PY8RG2QQ19"));
        assert!(!ambiguous_glyphs(ValueType::Lot, "9LB086X"), "a zero among digits is not a letter");
        assert!(!ambiguous_glyphs(ValueType::Identifier, "00482913"));
        assert!(!ambiguous_glyphs(ValueType::PersonName, "O'Neill"));
    }

    #[test]
    fn a_rival_the_engine_offered_contests_a_code_but_not_free_text() {
        let with = |kind, rival| Evidence { rival: Some(rival), ..ev(kind, 96.0, Support::Agreed) };
        assert!(with(ValueType::Lot, 27.0).contested());
        assert!(!with(ValueType::Lot, 4.0).contested());
        assert!(with(ValueType::Integer, 48.0).contested());
        assert!(!with(ValueType::Integer, 12.0).contested());
        assert!(!with(ValueType::Text, 99.0).contested(), "every letter of a word has look-alikes");
        assert!(!ev(ValueType::Lot, 96.0, Support::Agreed).contested());
    }

    #[test]
    fn a_fitted_model_reproduces_well_populated_rates_and_smooths_sparse_ones() {
        let mut samples = Vec::new();
        // 1,000 sure digits, 10 of them wrong; 3 lots at low confidence, all wrong.
        for i in 0..1000 {
            samples.push((ev(ValueType::Integer, 96.0, Support::Once), i % 100 != 0));
        }
        for _ in 0..3 {
            samples.push((ev(ValueType::Lot, 40.0, Support::Unconfirmed), false));
        }
        let m = Model::fit(samples, vec!["test".into()]);
        let sure = m.error(&ev(ValueType::Integer, 96.5, Support::Once));
        assert!((sure - 0.01).abs() < 0.003, "{sure}");
        let sparse = m.error(&ev(ValueType::Lot, 45.0, Support::Unconfirmed));
        assert!(sparse > 0.1 && sparse < 1.0, "three wrong of three is not certainty: {sparse}");
        assert!(m.error(&ev(ValueType::Integer, 96.0, Support::Disagree)) >= 0.5);
    }

    #[test]
    fn the_shipped_model_loads_and_orders_evidence_sensibly() {
        let m = Model::builtin();
        assert!(m.total.seen > 0);
        let sure = m.error(&ev(ValueType::Date, 97.0, Support::Agreed));
        let doubtful = m.error(&ev(ValueType::Date, 20.0, Support::Unconfirmed));
        assert!(sure < doubtful, "{sure} < {doubtful}");
    }
}

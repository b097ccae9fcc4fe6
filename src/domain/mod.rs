//! Shipped code tables and the checks built on them: whether a diagnosis code
//! exists on its date of service, and whether a code agrees with the text
//! printed beside it.
//!
//! The tables are the files of `data/domain/` (their sources, versions and
//! licences are in `data/domain/README.md`; `scripts/domain-tables.py` builds
//! them), compiled into the binary with `include_bytes!` and parsed once, on
//! first use, into hash maps. Everything here is pure: no I/O beyond that
//! embedded data, no clock, no logging.
//!
//! | table | what | lookups |
//! |---|---|---|
//! | ICD-10-CM | every code of the CMS code sets FY2016–FY2026, with the fiscal years in which it was a billable code and those in which it was a header | [`icd10cm_on`], [`icd10cm_description`] |
//! | ICD-9-CM | the final release (v32, FY2015), billable codes and headers | [`icd9cm`] |
//! | CVX | CDC vaccine codes with names, status, vaccine groups and product names | [`cvx`], [`cvx_agrees`] |
//! | drugs | single-ingredient drugs of the FDA Orange Book with their strengths per dose, and brand names | [`drug`], [`dose_plausible`] |
//!
//! Decisions:
//!
//! - A fiscal year FY N runs from N-1-10-01 to N-09-30. Every fiscal year
//!   from FY2016 to FY2026 has its own release, so no year is interpolated;
//!   a date after FY2026 is judged by FY2026's code set, and a date before
//!   2015-10-01 (when ICD-10-CM began) finds every code not valid.
//! - Mid-year updates (April 2020: `U07.1`; January 2021; April 2022, 2023)
//!   are counted from the next fiscal year, except where a release of the
//!   fiscal year already carries them: `U07.1` is not valid before FY2021
//!   (2020-10-01), although CMS allowed it from 2020-04-01.
//! - The agreement checks answer [`Agreement::Disagrees`] only on clear
//!   evidence, since a false one sends a correct chart to a person; what
//!   they do not recognise is [`Agreement::Unknown`].

mod diagnosis;
mod text;
mod vaccine;

#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use flate2::read::GzDecoder;
use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

pub use diagnosis::icd_text_agrees;
pub use vaccine::cvx_agrees;

/// The first fiscal year of the ICD-10-CM table (bit 0 of its masks).
const FIRST_FY: i32 = 2016;
/// The newest fiscal year of the ICD-10-CM table.
const LAST_FY: i32 = 2026;

/// The status of a diagnosis code on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeStatus {
    /// A complete (billable) code on that date.
    Valid,
    /// A category or subcategory on that date, not a complete code (`E11`, `I25.1`).
    Header,
    /// The code exists, but only in other years.
    NotValidOn,
    /// The code exists in no release of the table.
    Unknown,
}

/// Whether two things read from a chart fit each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    Agrees,
    Disagrees,
    Unknown,
}

/// The diagnosis coding system of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcdSystem {
    Icd9Cm,
    Icd10Cm,
}

/// One ICD-9-CM code of the final release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icd9Code {
    /// A complete (billable) code; false for a category or subcategory.
    pub billable: bool,
    pub description: &'static str,
}

/// The status of a CVX code in CDC's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CvxStatus {
    Active,
    Inactive,
    /// `Non-US`, `Pending`, `Never Active` and the like.
    Other,
}

/// One CVX code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvxCode {
    /// The code as CDC writes it (`03`, `141`).
    pub code: &'static str,
    pub short_name: &'static str,
    pub full_name: &'static str,
    pub status: CvxStatus,
    /// CDC vaccine group names (`HepB`, `FLU`, `MMR`, `TDAP`, `ZOSTER`, …);
    /// a combination vaccine has several.
    pub groups: Vec<&'static str>,
    /// CDC product names (`SHINGRIX`, `FLUZONE`, …).
    pub products: Vec<&'static str>,
}

/// A drug of the lexicon.
#[derive(Clone, Debug, PartialEq)]
pub struct DrugInfo {
    /// The name it was found under (lower case).
    pub name: &'static str,
    /// Its generic (ingredient) name; the name itself for a generic.
    pub generic: &'static str,
    /// The strengths per dose in which it is or was marketed, in mg.
    pub strengths_mg: &'static [f64],
}

struct Icd10Entry {
    valid: u16,
    header: u16,
    description: &'static str,
}

struct DrugEntry {
    generic: &'static str,
    strengths_mg: &'static [f64],
}

static ICD10: OnceLock<HashMap<&'static str, Icd10Entry>> = OnceLock::new();
static ICD9: OnceLock<HashMap<&'static str, Icd9Code>> = OnceLock::new();
static CVX: OnceLock<HashMap<&'static str, CvxCode>> = OnceLock::new();
static DRUGS: OnceLock<HashMap<&'static str, DrugEntry>> = OnceLock::new();

/// The embedded data is part of the binary and checked by the tests, so a
/// failure to read it is a build defect: it panics.
fn gunzip(bytes: &[u8]) -> &'static str {
    let mut out = String::new();
    GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("embedded domain table is valid gzip and UTF-8");
    // The tables live as long as the process; leaking the text once lets the
    // maps borrow from it instead of copying each field.
    Box::leak(out.into_boxed_str())
}

/// The data lines of a table: comments and empty lines skipped.
fn records(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

fn icd10_table() -> &'static HashMap<&'static str, Icd10Entry> {
    ICD10.get_or_init(|| {
        let text = gunzip(include_bytes!("../../data/domain/icd10cm.tsv.gz"));
        let mut map = HashMap::with_capacity(100_000);
        for f in records(text) {
            let mask = |s: &str| u16::from_str_radix(s, 16).expect("ICD-10-CM mask is hex");
            map.insert(
                f[0],
                Icd10Entry { valid: mask(f[1]), header: mask(f[2]), description: f[3] },
            );
        }
        map
    })
}

fn icd9_table() -> &'static HashMap<&'static str, Icd9Code> {
    ICD9.get_or_init(|| {
        let text = gunzip(include_bytes!("../../data/domain/icd9cm.tsv.gz"));
        records(text)
            .map(|f| (f[0], Icd9Code { billable: f[1] == "B", description: f[2] }))
            .collect()
    })
}

fn cvx_table() -> &'static HashMap<&'static str, CvxCode> {
    CVX.get_or_init(|| {
        let text: &'static str = include_str!("../../data/domain/cvx.tsv");
        let split = |s: &'static str| -> Vec<&'static str> {
            s.split('|').filter(|p| !p.is_empty()).collect()
        };
        records(text)
            .map(|f| {
                let status = match f[1] {
                    "Active" => CvxStatus::Active,
                    "Inactive" => CvxStatus::Inactive,
                    _ => CvxStatus::Other,
                };
                let code = CvxCode {
                    code: f[0],
                    status,
                    short_name: f[2],
                    full_name: f[3],
                    groups: split(f.get(4).copied().unwrap_or("")),
                    products: split(f.get(5).copied().unwrap_or("")),
                };
                (f[0], code)
            })
            .collect()
    })
}

fn drug_table() -> &'static HashMap<&'static str, DrugEntry> {
    DRUGS.get_or_init(|| {
        let text = gunzip(include_bytes!("../../data/domain/drugs.tsv.gz"));
        let mut map = HashMap::with_capacity(8_000);
        for f in records(text) {
            let strengths: Vec<f64> =
                f[3].split('|').filter_map(|s| s.parse().ok()).collect();
            let strengths_mg: &'static [f64] = Box::leak(strengths.into_boxed_slice());
            map.insert(f[0], DrugEntry { generic: f[2], strengths_mg });
        }
        // A brand carries the strengths of its generic.
        let brands: Vec<(&'static str, &'static str)> = map
            .iter()
            .filter(|(_, e)| e.strengths_mg.is_empty())
            .map(|(k, e)| (*k, e.generic))
            .collect();
        for (brand, generic) in brands {
            if let Some(s) = map.get(generic).map(|g| g.strengths_mg) {
                if let Some(e) = map.get_mut(brand) {
                    e.strengths_mg = s;
                }
            }
        }
        map
    })
}

/// Loads every table now (they load on first use otherwise); returns the
/// number of entries of each, ICD-10-CM, ICD-9-CM, CVX, drugs.
pub fn preload() -> (usize, usize, usize, usize) {
    (icd10_table().len(), icd9_table().len(), cvx_table().len(), drug_table().len())
}

/// A code as the tables key it: upper case, without dot or spaces.
fn key(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '.').flat_map(char::to_uppercase).collect()
}

/// The fiscal year a date falls in (FY N runs from N-1-10-01 to N-09-30).
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 10 {
        date.year() + 1
    } else {
        date.year()
    }
}

/// The status of an ICD-10-CM code (`E11.9` or `E119`) on a date of service.
pub fn icd10cm_on(code: &str, date: NaiveDate) -> CodeStatus {
    let Some(e) = icd10_table().get(key(code).as_str()) else {
        return CodeStatus::Unknown;
    };
    let fy = fiscal_year(date);
    if fy < FIRST_FY {
        return CodeStatus::NotValidOn;
    }
    let bit = 1u16 << (fy.min(LAST_FY) - FIRST_FY);
    if e.valid & bit != 0 {
        CodeStatus::Valid
    } else if e.header & bit != 0 {
        CodeStatus::Header
    } else {
        CodeStatus::NotValidOn
    }
}

/// The newest description of an ICD-10-CM code or header.
pub fn icd10cm_description(code: &str) -> Option<&'static str> {
    icd10_table().get(key(code).as_str()).map(|e| e.description)
}

/// An ICD-9-CM code (`250.00`, `V70.0`, `E849.7`, with or without the dot).
pub fn icd9cm(code: &str) -> Option<Icd9Code> {
    icd9_table().get(key(code).as_str()).copied()
}

/// The status of an ICD-9-CM code in the final release: valid, header or unknown.
pub fn icd9cm_status(code: &str) -> CodeStatus {
    match icd9cm(code) {
        Some(c) if c.billable => CodeStatus::Valid,
        Some(_) => CodeStatus::Header,
        None => CodeStatus::Unknown,
    }
}

/// A CVX code; `3`, `03` and `003` are the same code.
pub fn cvx(code: &str) -> Option<&'static CvxCode> {
    let digits = code.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let table = cvx_table();
    let trimmed = digits.trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    // CDC writes codes under 10 with a leading zero (`03`).
    let padded = format!("{trimmed:0>2}");
    table.get(padded.as_str()).or_else(|| table.get(trimmed))
}

/// Words of a drug name on a medication list that say how it is given, not
/// what it is (`Fluticasone nasal`, `Metformin ER`); dropped before lookup.
const DRUG_FORM_WORDS: &[&str] = &[
    "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules", "oral", "po",
    "nasal", "inhaler", "inhalation", "inh", "hfa", "mdi", "er", "xr", "sr", "xl", "dr", "ec",
    "la", "cr", "ir", "solution", "suspension", "syrup", "injection", "inj", "spray",
    "extended", "release", "delayed", "topical", "cream", "ointment", "ophthalmic", "drops",
];

/// Salt and ester words: `Metformin HCl` is found as `metformin`.
const DRUG_SALT_WORDS: &[&str] = &[
    "hydrochloride", "hcl", "sodium", "potassium", "calcium", "maleate", "besylate",
    "mesylate", "tartrate", "succinate", "citrate", "sulfate", "acetate", "fumarate",
    "bromide", "phosphate", "propionate", "furoate", "hyclate", "monohydrate",
];

/// A drug by generic or brand name (case, form words like `tablet` or `ER`,
/// and salts like `HCl` do not matter; one OCR slip is tolerated in names of
/// seven letters or more when it points to one drug only).
pub fn drug(name: &str) -> Option<DrugInfo> {
    let table = drug_table();
    let words: Vec<String> = text::tokens(name);
    let core: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !DRUG_FORM_WORDS.contains(w) && !w.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    if core.is_empty() {
        return None;
    }
    let full = core.join(" ");
    let base: Vec<&str> = core.iter().copied().filter(|w| !DRUG_SALT_WORDS.contains(w)).collect();
    let base = base.join(" ");
    let info = |k: &'static str, e: &DrugEntry| DrugInfo {
        name: k,
        generic: e.generic,
        strengths_mg: e.strengths_mg,
    };
    for candidate in [full.as_str(), base.as_str()] {
        if let Some((k, e)) = table.get_key_value(candidate) {
            return Some(info(k, e));
        }
    }
    if base.chars().count() < 7 {
        return None;
    }
    let mut found = table.iter().filter(|(k, _)| text::one_slip(k, &base));
    match (found.next(), found.next()) {
        (Some((k, e)), None) => Some(info(k, e)),
        _ => None,
    }
}

/// A dose as written (`500 mg`, `90 mcg`, `1 g`) in mg; None for other units
/// (units, mL, puffs) or text that is not a dose.
pub fn dose_mg(dose: &str) -> Option<f64> {
    let t = dose.trim().to_lowercase();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
    let (num, rest) = t.split_at(split);
    let value: f64 = num.replace(',', "").parse().ok()?;
    let unit: String = rest.trim().chars().take_while(|c| c.is_alphabetic() || *c == 'µ').collect();
    let factor = match unit.as_str() {
        "mg" | "milligram" | "milligrams" => 1.0,
        "mcg" | "µg" | "ug" | "microgram" | "micrograms" => 0.001,
        "g" | "gm" | "gram" | "grams" => 1000.0,
        _ => return None,
    };
    (value > 0.0).then_some(value * factor)
}

/// Whether a dose fits a drug: [`Agreement::Agrees`] when it is a marketed
/// strength, half of one or one to four of them; [`Agreement::Disagrees`]
/// only when it is more than 50 times the largest strength or less than a
/// fiftieth of the smallest (the mg-for-mcg slip: `Levothyroxine 100 mg`);
/// [`Agreement::Unknown`] otherwise, for drugs not in the lexicon, and for
/// doses not in mass units (`10 units`).
pub fn dose_plausible(name: &str, dose_text: &str) -> Agreement {
    let (Some(d), Some(mg)) = (drug(name), dose_mg(dose_text)) else {
        return Agreement::Unknown;
    };
    if d.strengths_mg.is_empty() {
        return Agreement::Unknown;
    }
    let fits = d.strengths_mg.iter().any(|&s| {
        [0.5, 1.0, 2.0, 3.0, 4.0].iter().any(|k| ((mg - k * s) / mg).abs() < 0.01)
    });
    if fits {
        return Agreement::Agrees;
    }
    let max = d.strengths_mg.iter().copied().fold(f64::MIN, f64::max);
    let min = d.strengths_mg.iter().copied().fold(f64::MAX, f64::min);
    if mg > 50.0 * max || mg * 50.0 < min {
        Agreement::Disagrees
    } else {
        Agreement::Unknown
    }
}

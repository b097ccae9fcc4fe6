//! Turning the text OCR read for one field into a normalised value.
//!
//! [`normalize`] takes the [`ValueType`] of a pipeline field, the raw text
//! read right of (or below) its label, and a [`Context`] (today's date, for
//! two-digit years), and returns the value in the shape the export expects:
//! dates as `YYYY-MM-DD`, phones as 10 digits, names split into family and
//! given, diagnoses and allergies as lists, and so on.
//!
//! This module is pure: no I/O, no logging. Error strings are plain language
//! for a reviewer's flag list and never quote the value they reject.
//!
//! Decisions taken where the spec is silent (a records department's view):
//!
//! - Empty input (nothing left after trimming stray marks) is the error
//!   [`NO_VALUE`] for every type; validation treats it as an absent value.
//! - In fields that may only hold digits (NPI, phone, ZIP, CVX, numeric
//!   dates, the digit positions of diagnosis codes) the letters `O`/`o` are
//!   read as `0` and `I`/`l` as `1`: there they cannot be anything else.
//!   Nothing else is ever guessed.
//! - A numeric date is read month first (US charts); a day-first date such as
//!   `14/03/1952` is "not a calendar date", never swapped.
//! - A two-digit year is the latest year ending in those digits that does
//!   not put the date after today. A four-digit year is kept even when it is
//!   in the future: validation flags it as implausible.
//! - Name suffixes (Jr, Sr, II, III, IV) stay with the family name
//!   (`King Jr`), since the export has no suffix field; initials lose their
//!   period (`Margaret A`). A name is title-cased when written all in capitals
//!   (or all in lower case); a mixed-case name keeps its case except for
//!   words written all in capitals. A name of one word is a family name only.
//! - Provider names are kept as written, whitespace collapsed.
//! - CVX codes keep their digits as written (`08` stays `08`, as in the CDC
//!   table); identifiers and lot numbers keep leading zeros.
//! - A one-line address needs a comma between the street and the city;
//!   without one the street cannot be told from the city and it is an error.
//! - Diagnosis codes written without their dot are given one where the
//!   place is fixed (`25000` -> `250.00`, `I109` -> `I10.9`); an `E` code of
//!   four characters is left alone (`E119` is both a valid ICD-9 E code and
//!   a dotless ICD-10 `E11.9`). A wrapped line without a code is an error.
//! - Allergy items are split at `;` or line breaks when there are any, else at
//!   commas outside parentheses. A wrapped line becomes an item of its own
//!   rather than being merged into the previous reaction: an extra item is
//!   seen by a reviewer, a substance hidden in a reaction is not. `N/A` is
//!   not read as "no known allergies" (it is an error).
//! - A signature's date may stand after the name (usual) or before it; a
//!   time after the date is dropped. A signature without a date is returned
//!   with its name only (validation flags the missing date).
//! - Integers accept the units bpm, /min, lb, lbs, #; decimals accept F, °F,
//!   deg F. Other units (kg, °C) are errors rather than conversions.
//! - A blood pressure whose systolic is not above its diastolic is an error.

use crate::model::Value;
use crate::pipeline::ValueType;
use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::sync::LazyLock;

/// The error for input with nothing in it.
pub const NO_VALUE: &str = "no value";

/// What normalisation needs to know beyond the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// The processing date: two-digit years are taken so that a date is not after it.
    pub today: NaiveDate,
}

/// A normalised value.
#[derive(Clone, Debug, PartialEq)]
pub enum Normalized {
    /// One value at the field's path.
    Scalar(Value),
    /// Parts with keys relative to the field (see `ValueType` docs in pipeline/mod.rs):
    /// person_name -> ("family","given"); signature -> ("signed_by","signed_date");
    /// address -> ("line") or ("line","city","state","zip") for a one-line address;
    /// city_state_zip -> ("city","state","zip"). Absent parts are omitted.
    Parts(Vec<(&'static str, Value)>),
    /// List items: diagnoses -> ("code","text"); allergies -> ("substance","reaction"). Absent keys omitted.
    List(Vec<Vec<(&'static str, Value)>>),
}

/// Normalise the raw text of a field of type `vt`.
pub fn normalize(vt: ValueType, raw: &str, ctx: &Context) -> Result<Normalized, String> {
    if vt == ValueType::Diagnoses {
        // Lines matter here; everything else is one line of text.
        return diagnoses(raw).map(Normalized::List);
    }
    if is_blank(raw) {
        return Err(NO_VALUE.to_string());
    }
    let text = |s: String| Ok(Normalized::Scalar(Value::Text(s)));
    match vt {
        ValueType::Text => text(clean_text(raw)),
        ValueType::PersonName => person_name(raw).map(|n| Normalized::Parts(n.parts())),
        ValueType::ProviderName => text(provider_name(raw)?),
        ValueType::Date | ValueType::BirthDate => text(iso(parse_date(raw, ctx.today)?)),
        ValueType::Sex => text(sex(raw)?.to_string()),
        ValueType::Phone => text(phone(raw)?),
        ValueType::Identifier => text(identifier(raw)?),
        ValueType::Address => address(raw).map(Normalized::Parts),
        ValueType::CityStateZip => city_state_zip(&clean_text(raw)).map(|c| Normalized::Parts(c.parts())),
        ValueType::City => text(city(raw)?),
        ValueType::State => text(state_code(clean_text(raw).trim_end_matches('.'))?.to_string()),
        ValueType::Zip => text(zip(raw)?),
        ValueType::Npi => text(npi(raw)?),
        ValueType::Diagnoses => unreachable!("handled above"),
        ValueType::Allergies => allergies(raw).map(Normalized::List),
        ValueType::Signature => signature(raw, ctx.today).map(Normalized::Parts),
        ValueType::BloodPressure => text(blood_pressure(raw)?),
        ValueType::Integer => integer(raw).map(|i| Normalized::Scalar(Value::Int(i))),
        ValueType::Decimal => decimal(raw).map(|n| Normalized::Scalar(Value::Num(n))),
        ValueType::Cvx => text(cvx(raw)?),
        ValueType::Lot => text(lot(raw)?),
        ValueType::Time => text(time_of_day(raw)?),
        ValueType::Money => text(money(raw)?),
        ValueType::Percent => percent(raw).map(|n| Normalized::Scalar(Value::Num(n))),
        ValueType::MonthYear => text(month_year(raw)?),
        ValueType::Dose => text(dose(raw)?),
        ValueType::Choice => text(clean_text(raw)),
    }
}

// ------------------------------------------------------------------ text

/// Stray marks OCR leaves around a value: box rules, underscores, colons.
const LEADING_STRAY: &[char] = &[':', '|', '_', ';', ',', '-', '~', '*', '•', '=', '>', '–', '—', '[', ']'];
const TRAILING_STRAY: &[char] = &[':', '|', '_', ';', ',', '-', '~', '*', '•', '=', '–', '—', '[', ']'];

/// Collapse whitespace, drop spaces before `,` and `;`, and trim stray
/// leading and trailing marks (`:`, `|`, `_`, …). A trailing period is kept
/// (`Inc.`, `M.D.`); the typed parsers deal with it.
pub fn clean_text(raw: &str) -> String {
    let mut s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    s = s.replace(" ,", ",").replace(" ;", ";").replace('’', "'");
    loop {
        let t = s.trim_start_matches(LEADING_STRAY).trim_end_matches(TRAILING_STRAY).trim();
        if t.len() == s.len() {
            return s;
        }
        s = t.to_string();
    }
}

/// Nothing but whitespace and stray marks.
pub fn is_blank(raw: &str) -> bool {
    clean_text(raw).is_empty()
}

/// How a string is written: all capitals, all lower case, or mixed.
fn single_case(s: &str) -> bool {
    let upper = s.chars().any(|c| c.is_uppercase());
    let lower = s.chars().any(|c| c.is_lowercase());
    !(upper && lower)
}

fn is_all_caps_word(w: &str) -> bool {
    w.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !w.chars().any(|c| c.is_lowercase())
}

const ROMAN: &[&str] = &["II", "III", "IV"];

/// Title-case one word. `names` turns on the rules for names and places:
/// `MCDONALD` -> `McDonald`, Roman numerals stay capitals. `O'BRIEN` ->
/// `O'Brien` and `SMITH-JONES` -> `Smith-Jones` always. Words with digits
/// (`2B`, `B12`) are kept as written.
fn title_word(w: &str, names: bool) -> String {
    if w.chars().any(|c| c.is_ascii_digit()) {
        return w.to_string();
    }
    if names && ROMAN.contains(&w.trim_end_matches('.').to_uppercase().as_str()) {
        return w.to_uppercase();
    }
    let chars: Vec<char> = w.to_lowercase().chars().collect();
    let mut out = String::with_capacity(w.len());
    let mut capital_next = true;
    let mut seg_letters = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphabetic() {
            if capital_next {
                out.extend(c.to_uppercase());
                capital_next = false;
            } else {
                out.push(c);
            }
            seg_letters += 1;
            let mc = names
                && seg_letters == 2
                && c == 'c'
                && i >= 1
                && chars[i - 1] == 'm'
                && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
                && chars.get(i + 2).is_some_and(|n| n.is_alphabetic());
            if mc {
                capital_next = true;
            }
        } else {
            out.push(c);
            // O'Brien, D'Angelo: capital after a one-letter prefix only.
            capital_next = c != '\'' || seg_letters == 1;
            seg_letters = 0;
        }
    }
    out
}

fn title_case(s: &str, names: bool) -> String {
    s.split(' ').map(|w| title_word(w, names)).collect::<Vec<_>>().join(" ")
}

// ------------------------------------------------------------------ digits

/// Read `O`/`o` as 0 and `I`/`l` as 1 where only digits may stand.
fn digit_slips(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'O' | 'o' => '0',
            'I' | 'l' => '1',
            c => c,
        })
        .collect()
}

/// The digits of a digits-only value written with the given separators; `None`
/// when anything else is in it.
fn only_digits(raw: &str, separators: &[char]) -> Option<String> {
    let s = digit_slips(&clean_text(raw));
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if !(c.is_whitespace() || separators.contains(&c)) {
            return None;
        }
    }
    Some(out)
}

// ------------------------------------------------------------------ dates

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `Mar`, `Sept`, `March` (any case) -> 3. At least three letters.
fn month_number(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    if w.len() < 3 || !w.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(&w)).map(|i| i as u32 + 1)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// `14th` -> `14`.
fn strip_ordinal(t: &str) -> &str {
    for suffix in ["st", "nd", "rd", "th", "ST", "ND", "RD", "TH"] {
        if let Some(d) = t.strip_suffix(suffix) {
            if is_digits(d) {
                return d;
            }
        }
    }
    t
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Parse a date in any of the spec's forms: `03/14/1952`, `3/14/52`,
/// `03-14-1952`, `1952-03-14`, `March 14, 1952`, `Mar. 14, 1952`,
/// `14-MAR-1952`, `14 Mar 1952`; also `03141952` / `19520314`. OCR spacing
/// around separators and a trailing period or comma are tolerated.
pub fn parse_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let s = clean_text(raw);
    let s = TRAILING_TIME.replace(&s, "");
    let s = s.trim_end_matches(['.', ',']);
    if s.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    let tokens = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_string).collect()
    };
    let mut toks = tokens(s);
    // Slips in an all-numeric date: no word of two letters or more in it.
    let has_word = toks.iter().any(|t| t.chars().filter(|c| c.is_alphabetic()).count() >= 2);
    if !has_word {
        toks = tokens(&digit_slips(s));
    }
    let toks: Vec<&str> = toks.iter().map(|t| strip_ordinal(t)).collect();
    let unrecognised = || Err("not a recognisable date".to_string());
    // (year, month, day, year has two digits)
    let (y, m, d) = match toks.as_slice() {
        [t] if t.len() == 8 && is_digits(t) => {
            let n = |a: usize, b: usize| t[a..b].to_string();
            if matches!(&t[..2], "18" | "19" | "20") {
                (n(0, 4), n(4, 6).parse().unwrap_or(0), n(6, 8).parse().unwrap_or(0))
            } else {
                (n(4, 8), n(0, 2).parse().unwrap_or(0), n(2, 4).parse().unwrap_or(0))
            }
        }
        [a, b, c] if is_digits(a) && is_digits(b) && is_digits(c) => {
            if a.len() == 4 && b.len() <= 2 && c.len() <= 2 {
                (a.to_string(), b.parse().unwrap_or(0), c.parse().unwrap_or(0))
            } else if a.len() <= 2 && b.len() <= 2 && (c.len() == 2 || c.len() == 4) {
                (c.to_string(), a.parse().unwrap_or(0), b.parse().unwrap_or(0))
            } else {
                return unrecognised();
            }
        }
        [a, b, c] if is_digits(b) && b.len() <= 2 && is_digits(c) && (c.len() == 2 || c.len() == 4) => {
            match month_number(a) {
                Some(m) => (c.to_string(), m, b.parse().unwrap_or(0)),
                None => return unrecognised(),
            }
        }
        [a, b, c] if is_digits(a) && a.len() <= 2 && is_digits(c) && (c.len() == 2 || c.len() == 4) => {
            match month_number(b) {
                Some(m) => (c.to_string(), m, a.parse().unwrap_or(0)),
                None => return unrecognised(),
            }
        }
        [a, b, c] if is_digits(a) && a.len() == 4 && is_digits(c) && c.len() <= 2 => match month_number(b) {
            Some(m) => (a.to_string(), m, c.parse().unwrap_or(0)),
            None => return unrecognised(),
        },
        [a, b] if (is_digits(a) || month_number(a).is_some()) && is_digits(b) => {
            return Err("date has no day".to_string());
        }
        _ => return unrecognised(),
    };
    let not_calendar = || "not a calendar date".to_string();
    let year: i32 = y.parse().map_err(|_| not_calendar())?;
    if y.len() == 2 {
        // The latest year ending in these digits that keeps the date not after today.
        let century = today.year() - today.year().rem_euclid(100);
        let this = NaiveDate::from_ymd_opt(century + year, m, d);
        let before = NaiveDate::from_ymd_opt(century - 100 + year, m, d);
        return match (this, before) {
            (Some(date), _) if date <= today => Ok(date),
            (_, Some(date)) => Ok(date),
            _ => Err(not_calendar()),
        };
    }
    NaiveDate::from_ymd_opt(year, m, d).ok_or_else(not_calendar)
}

// ------------------------------------------------------------------ names

/// A person's name split for the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName {
    pub family: String,
    /// Empty when only one name was written.
    pub given: String,
}

impl PersonName {
    fn parts(&self) -> Vec<(&'static str, Value)> {
        let mut parts = vec![("family", Value::Text(self.family.clone()))];
        if !self.given.is_empty() {
            parts.push(("given", Value::Text(self.given.clone())));
        }
        parts
    }
}

const SUFFIXES: &[&str] = &["JR", "SR", "II", "III", "IV"];
/// Lower-case words that belong to the family name that follows them.
const PARTICLES: &[&str] = &["van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "la", "le", "st", "st."];

fn suffix_of(word: &str) -> Option<String> {
    let bare = word.trim_end_matches('.').to_uppercase();
    if !SUFFIXES.contains(&bare.as_str()) {
        return None;
    }
    Some(if ROMAN.contains(&bare.as_str()) { bare } else { title_word(&bare, true) })
}

/// `THOMPSON, MARGARET A` or `Margaret A. Thompson` -> family and given.
pub fn person_name(raw: &str) -> Result<PersonName, String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches([',', '.']).trim();
    if s.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    if s.chars().any(|c| c.is_ascii_digit()) {
        return Err("name contains digits".to_string());
    }
    if s.chars().any(|c| !(c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.' || c == ',')) {
        return Err("name contains characters that are not letters".to_string());
    }
    if !s.chars().any(char::is_alphabetic) {
        return Err(NO_VALUE.to_string());
    }
    let title_all = single_case(s);
    let mut suffix: Option<String> = None;
    let (family_words, given_words): (Vec<&str>, Vec<&str>) = if s.contains(',') {
        let mut groups = s.split(',').map(str::trim).filter(|g| !g.is_empty());
        let mut family: Vec<&str> = groups.next().unwrap_or("").split(' ').collect();
        let mut given: Vec<&str> = Vec::new();
        for g in groups {
            given.extend(g.split(' '));
        }
        if family.len() > 1 {
            if let Some(sx) = family.last().and_then(|w| suffix_of(w)) {
                suffix = Some(sx);
                family.pop();
            }
        }
        given.retain(|w| match suffix_of(w) {
            Some(sx) if suffix.is_none() => {
                suffix = Some(sx);
                false
            }
            _ => true,
        });
        (family, given)
    } else {
        let mut words: Vec<&str> = s.split(' ').collect();
        if words.len() > 1 {
            if let Some(sx) = words.last().and_then(|w| suffix_of(w)) {
                suffix = Some(sx);
                words.pop();
            }
        }
        let mut start = words.len() - 1;
        while start > 1 && PARTICLES.contains(&words[start - 1].to_lowercase().as_str()) {
            start -= 1;
        }
        (words[start..].to_vec(), words[..start].to_vec())
    };
    let fix_word = |w: &str| -> String {
        let w = if w.chars().filter(|c| c.is_alphabetic()).count() == 1 { w.trim_end_matches('.') } else { w };
        if title_all || is_all_caps_word(w) {
            title_word(w, true)
        } else {
            w.to_string()
        }
    };
    let join = |ws: &[&str]| ws.iter().filter(|w| !w.is_empty()).map(|w| fix_word(w)).collect::<Vec<_>>().join(" ");
    let mut family = join(&family_words);
    let given = join(&given_words);
    if family.is_empty() {
        return Err("name has no family name".to_string());
    }
    if let Some(sx) = suffix {
        family = format!("{family} {sx}");
    }
    Ok(PersonName { family, given })
}

/// Credentials written after a provider's name.
static CREDENTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(.*[a-z])\s*[.,]\s*(MD|M\.D\.|DO|D\.O\.|NP|PA|PA-C|RN|APRN|FNP|FNP-C|CNM|DNP|DDS|DMD|DPM|PhD|MBBS)$").unwrap()
});

/// A provider as written, whitespace collapsed, marks before the first
/// letter and after the last dropped, and the credential set off by a
/// comma as the spec writes it (`John R. Miller. MD`, `Miller,MD` ->
/// `John R. Miller, MD`): `John R. Miller, MD`.
pub fn provider_name(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    // Quotes, guillemets and specks that OCR sets before a name or after it.
    let s = s.trim_start_matches(|c: char| !c.is_alphanumeric()).trim_end_matches(|c: char| !c.is_alphanumeric() && c != '.');
    let s = match CREDENTIAL.captures(s) {
        Some(c) => format!("{}, {}", &c[1], &c[2]),
        None => s.to_string(),
    };
    if !s.chars().any(char::is_alphabetic) {
        return Err("provider name has no letters".to_string());
    }
    // A name has no digits: `Christine 0. Velez` is a misread `O.`.
    if s.chars().any(|c| c.is_ascii_digit()) {
        return Err("provider name contains digits".to_string());
    }
    Ok(s)
}

// ------------------------------------------------------------------ sex, phone, ids

/// `M`, `Male`, `F`, `Female`, `U`, `Unknown` (any case) -> `M` / `F` / `U`.
pub fn sex(raw: &str) -> Result<&'static str, String> {
    let s = clean_text(raw).trim_end_matches('.').to_uppercase();
    match s.as_str() {
        "M" | "MALE" => Ok("M"),
        "F" | "FEMALE" => Ok("F"),
        "U" | "UNK" | "UNKNOWN" => Ok("U"),
        "" => Err(NO_VALUE.to_string()),
        _ => Err("sex is not M, F or U".to_string()),
    }
}

/// A NANP phone number -> 10 digits. A leading country code 1 is dropped;
/// area code and exchange must start with 2–9.
pub fn phone(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let s = s.strip_prefix('+').unwrap_or(&s);
    let digits = only_digits(s, &['(', ')', '-', '.', '/']).ok_or("phone number has letters or marks in it")?;
    let digits = match digits.len() {
        11 if digits.starts_with('1') => digits[1..].to_string(),
        _ => digits,
    };
    if digits.len() != 10 {
        return Err("phone number is not 10 digits".to_string());
    }
    if matches!(digits.as_bytes()[0], b'0' | b'1') {
        return Err("area code starts with 0 or 1".to_string());
    }
    if matches!(digits.as_bytes()[3], b'0' | b'1') {
        return Err("exchange starts with 0 or 1".to_string());
    }
    Ok(digits)
}

/// Upper-case letters, digits and `-`, spaces and stray ASCII marks removed,
/// leading zeros kept.
fn code_like(raw: &str, what: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.extend(c.to_uppercase());
        } else if c.is_alphanumeric() {
            return Err(format!("{what} has a character that is not a plain letter or digit"));
        }
    }
    let out = out.trim_matches('-').to_string();
    if !out.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(NO_VALUE.to_string());
    }
    Ok(out)
}

/// An identifier (MRN, member id, group number): `00482913`, `XJH123456789`.
pub fn identifier(raw: &str) -> Result<String, String> {
    code_like(raw, "identifier")
}

/// A vaccine lot number: `U2233AA`.
pub fn lot(raw: &str) -> Result<String, String> {
    code_like(raw, "lot number")
}

/// A CVX code: 1–3 digits, kept as written (`08` stays `08`).
pub fn cvx(raw: &str) -> Result<String, String> {
    match only_digits(raw, &[]) {
        Some(d) if (1..=3).contains(&d.len()) => Ok(d),
        _ => Err("CVX code is not 1 to 3 digits".to_string()),
    }
}

/// NPI check: 10 digits, first 1 or 2, Luhn over `80840` and the 10 digits.
pub fn npi_is_valid(s: &str) -> bool {
    s.len() == 10 && is_digits(s) && matches!(s.as_bytes()[0], b'1' | b'2') && luhn_ok(&format!("80840{s}"))
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A 10-digit NPI with its check digit.
pub fn npi(raw: &str) -> Result<String, String> {
    let d = only_digits(raw, &['-']).ok_or("NPI has letters or marks in it")?;
    if d.len() != 10 {
        return Err("NPI is not 10 digits".to_string());
    }
    if !matches!(d.as_bytes()[0], b'1' | b'2') {
        return Err("NPI does not start with 1 or 2".to_string());
    }
    if !npi_is_valid(&d) {
        return Err("NPI check digit does not match".to_string());
    }
    Ok(d)
}

// ------------------------------------------------------------------ address

const STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"),
    ("VI", "Virgin Islands"),
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AP", "Armed Forces Pacific"),
];

const ZIP_ERROR: &str = "ZIP code is not 5 or 5+4 digits";
const STATE_ERROR: &str = "not a US state";
const NO_STATE: &str = "no US state before the ZIP code";
const CITY_NO_LETTERS: &str = "city has no letters";
const CITY_DIGITS: &str = "city contains digits";

/// The part of an address (`zip`, `state`, `city`) an error of an
/// `address` or `city_state_zip` value is about, so that a flag can name
/// `patient.address.zip` rather than the whole address.
pub fn address_error_part(error: &str) -> Option<&'static str> {
    match error {
        ZIP_ERROR => Some("zip"),
        STATE_ERROR | NO_STATE => Some("state"),
        CITY_NO_LETTERS | CITY_DIGITS => Some("city"),
        _ => None,
    }
}

/// A USPS state code or a full state name (any case) -> the two-letter code.
pub fn state_code(s: &str) -> Result<&'static str, String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    STATES
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(&t) || name.eq_ignore_ascii_case(&t))
        .map(|(code, _)| *code)
        .ok_or_else(|| STATE_ERROR.to_string())
}

/// A ZIP code: `62704` or `62704-1234` (also written `62704 1234` or `627041234`).
pub fn zip(raw: &str) -> Result<String, String> {
    let d = only_digits(raw, &['-']).ok_or(ZIP_ERROR)?;
    match d.len() {
        5 => Ok(d),
        9 => Ok(format!("{}-{}", &d[..5], &d[5..])),
        _ => Err(ZIP_ERROR.to_string()),
    }
}

/// A city, title-cased when written in one case: `SPRINGFIELD` -> `Springfield`.
pub fn city(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches(',').trim();
    if !s.chars().any(char::is_alphabetic) {
        return Err(CITY_NO_LETTERS.to_string());
    }
    if s.chars().any(|c| c.is_ascii_digit()) {
        return Err(CITY_DIGITS.to_string());
    }
    Ok(if single_case(s) { title_case(s, true) } else { s.to_string() })
}

/// City, state and ZIP; absent parts are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CityStateZip {
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
}

impl CityStateZip {
    fn parts(&self) -> Vec<(&'static str, Value)> {
        [("city", &self.city), ("state", &self.state), ("zip", &self.zip)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, Value::Text(v.clone()))))
            .collect()
    }
}

static TRAILING_ZIP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*?)[\s,]*\b([0-9OoIl]{5}(?:\s*-\s*[0-9OoIl]{4})?|\d+(?:-\d+)?)$").unwrap());

/// Split a trailing state (code or full name) off `s`: (rest, code).
fn split_state(s: &str) -> Option<(String, &'static str)> {
    let s = s.trim().trim_end_matches([',', '.']).trim();
    let words: Vec<&str> = s.split(' ').collect();
    for n in (1..=4.min(words.len())).rev() {
        let tail = words[words.len() - n..].join(" ");
        if n == 1 && tail.len() != 2 && !STATES.iter().any(|(_, name)| name.eq_ignore_ascii_case(&tail)) {
            continue;
        }
        if let Ok(code) = state_code(&tail) {
            let rest = words[..words.len() - n].join(" ");
            return Some((rest.trim_end_matches([',', ' ']).to_string(), code));
        }
    }
    None
}

/// Split a trailing ZIP off `s`: (rest, zip result). `None` when `s` does
/// not end in digits.
fn split_zip(s: &str) -> Option<(String, Result<String, String>)> {
    let caps = TRAILING_ZIP.captures(s)?;
    let rest = caps.get(1).map_or("", |m| m.as_str()).to_string();
    let z = caps.get(2).map_or("", |m| m.as_str());
    if !z.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((rest, zip(z)))
}

/// The text of an address line without its trailing ZIP code, when that
/// ZIP is not a ZIP code (`Madison, WI 3703` → `Madison, WI`): what the
/// rest of the line says is kept while the ZIP alone fails.
pub fn without_bad_zip(raw: &str) -> Option<String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches(['.', ',']);
    match split_zip(s)? {
        (rest, Err(_)) if !rest.trim().is_empty() => Some(rest.trim().trim_end_matches(',').trim().to_string()),
        _ => None,
    }
}

/// `Springfield, IL 62704`, `Springfield IL 62704-1234`, `Springfield, Illinois`.
pub fn city_state_zip(s: &str) -> Result<CityStateZip, String> {
    let s = clean_text(s);
    let s = s.trim_end_matches('.');
    if s.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    let (rest, zip) = match split_zip(s) {
        Some((rest, z)) => (rest, Some(z?)),
        None => (s.to_string(), None),
    };
    let (rest, state) = match split_state(&rest) {
        Some((rest, code)) => (rest, Some(code.to_string())),
        None if zip.is_some() => return Err(NO_STATE.to_string()),
        None => (rest, None),
    };
    let rest = rest.trim().trim_end_matches(',').trim();
    let city = if rest.is_empty() { None } else { Some(city(rest)?) };
    if city.is_none() && state.is_none() && zip.is_none() {
        return Err("not a city, state and ZIP".to_string());
    }
    Ok(CityStateZip { city, state, zip })
}

/// Words of a street line that stay in capitals when the line is title-cased.
const STREET_CAPS: &[&str] = &["N", "S", "E", "W", "NE", "NW", "SE", "SW", "PO", "RR"];

fn street_line(s: &str) -> String {
    if !single_case(s) {
        return s.to_string();
    }
    s.split(' ')
        .map(|w| {
            let bare = w.trim_end_matches(['.', ',']).replace('.', "");
            if STREET_CAPS.contains(&bare.to_uppercase().as_str()) {
                w.to_uppercase()
            } else {
                title_word(w, true)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn one_line(before_state: &str, state: &str, zip: Option<String>) -> Result<Vec<(&'static str, Value)>, String> {
    let Some((line, city_part)) = before_state.rsplit_once(',') else {
        return Err("one-line address without a comma between street and city".to_string());
    };
    let line = line.trim();
    if line.is_empty() {
        return Err("one-line address without a street".to_string());
    }
    let mut parts = vec![
        ("line", Value::Text(street_line(line))),
        ("city", Value::Text(city(city_part)?)),
        ("state", Value::Text(state.to_string())),
    ];
    if let Some(z) = zip {
        parts.push(("zip", Value::Text(z)));
    }
    Ok(parts)
}

/// A street line, or a whole one-line address
/// `1428 Elm Street, Springfield, IL 62704`.
pub fn address(raw: &str) -> Result<Vec<(&'static str, Value)>, String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches(',');
    if s.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    // One line: ends with state and ZIP, with a comma before the city.
    if let Some((before_zip, z)) = split_zip(s) {
        if let Some((before_state, code)) = split_state(&before_zip) {
            if !s.contains(',') {
                if before_state.chars().any(char::is_alphabetic) {
                    return Err("one-line address without a comma between street and city".to_string());
                }
            } else {
                let z = z?; // a one-line address with a bad ZIP
                return one_line(&before_state, code, Some(z));
            }
        }
    } else if s.matches(',').count() >= 2 {
        // `1428 Elm Street, Springfield, IL`: no ZIP, but street, city and state.
        if let Some((before_state, code)) = split_state(s) {
            return one_line(&before_state, code, None);
        }
    }
    Ok(vec![("line", Value::Text(street_line(s)))])
}

// ------------------------------------------------------------------ diagnoses

static ICD10: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$").unwrap());
static ICD9: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(V\d{2}|E\d{3}|\d{3})(\.\d{1,2})?$").unwrap());
static CODE_HEAD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9]{3,7})(?:\s?\.([A-Za-z0-9]{1,4}))?(.*)$").unwrap());
static NUMBERING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:\(?#?\d{1,2}[.):]?|[-*•#])\s+").unwrap());

/// ICD-10-CM syntax: `E11.9`, `I10`, `S72.001A`.
pub fn is_icd10(code: &str) -> bool {
    ICD10.is_match(code)
}

/// ICD-9-CM syntax: `250.00`, `401.9`, `V70.0`, `E880.9`.
pub fn is_icd9(code: &str) -> bool {
    ICD9.is_match(code)
}

/// Upper-case a code read by OCR, put in a missing dot where its place is
/// fixed, and read letters as digits where only a digit may stand.
fn fix_code(head: &str, tail: Option<&str>) -> String {
    let head = head.to_uppercase();
    let mut tail = tail.map(str::to_uppercase);
    let numeric = head.as_bytes()[0].is_ascii_digit();
    let mut head = head;
    if tail.is_none() && head.len() > 3 {
        // Dotless: ICD-9 numeric and ICD-10 split after 3; an E code of ICD-9 is ambiguous.
        if numeric || !head.starts_with('E') {
            tail = Some(head[3..].to_string());
            head.truncate(3);
        }
    }
    let mut chars: Vec<char> = head.chars().collect();
    if numeric {
        chars = digit_slips(&head).chars().collect();
        tail = tail.map(|t| digit_slips(&t));
    } else if chars.len() >= 2 {
        chars[1] = digit_slips(&chars[1].to_string()).chars().next().unwrap_or(chars[1]);
    }
    let head: String = chars.into_iter().collect();
    match tail {
        Some(t) => format!("{head}.{t}"),
        None => head,
    }
}

/// Parse the code at the start of a diagnosis line: (code, text).
fn diagnosis_line(line: &str) -> Result<(String, String), String> {
    let attempt = |l: &str| -> Option<Result<(String, String), String>> {
        let caps = CODE_HEAD.captures(l)?;
        let head = caps.get(1)?.as_str();
        let tail = caps.get(2).map(|m| m.as_str());
        let rest = caps.get(3).map_or("", |m| m.as_str());
        if !(rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || ":;,.-–—(".contains(c))) {
            return None;
        }
        if !head.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let code = fix_code(head, tail);
        if !(is_icd9(&code) || is_icd10(&code)) {
            return Some(Err("diagnosis code is neither ICD-9-CM nor ICD-10-CM".to_string()));
        }
        let text = clean_text(rest.trim_start_matches(|c: char| c.is_whitespace() || ":;,.-–—".contains(c)));
        Some(Ok((code, text)))
    };
    match attempt(line) {
        Some(Ok(found)) => Ok(found),
        first => {
            if let Some(m) = NUMBERING.find(line) {
                if let Some(found) = attempt(&line[m.end()..]) {
                    return found;
                }
            }
            first.unwrap_or_else(|| Err("diagnosis line without a code".to_string()))
        }
    }
}

/// One diagnosis per line, code then text.
pub fn diagnoses(raw: &str) -> Result<Vec<Vec<(&'static str, Value)>>, String> {
    let mut items = Vec::new();
    for line in raw.lines() {
        let line = clean_text(line);
        if line.is_empty() {
            continue;
        }
        let (code, text) = diagnosis_line(&line)?;
        let mut item = vec![("code", Value::Text(code))];
        if !text.is_empty() {
            item.push(("text", Value::Text(text)));
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    Ok(items)
}

// ------------------------------------------------------------------ allergies

static NO_KNOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(nkda|nka|nkfa|nkma|none|none known|none reported|no known allergies|no known drug allergies|no known allergy|no allergies|no known drug allergy)$",
    )
    .unwrap()
});
static ALLERGY_PAREN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([^()]+?)\s*\(([^()]*)\)?$").unwrap());
static ALLERGY_SEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*:\s*|\s+[-–—=]\s*|\s*[-–—=]\s+").unwrap());
/// Abbreviations that stay in capitals when a substance is title-cased.
const SUBSTANCE_CAPS: &[&str] = &["ASA", "NSAID", "NSAIDS", "ACE", "PCN", "IV", "TMP", "SMX", "CT", "MRI", "HCTZ", "MSG", "IVP"];

fn is_no_known(s: &str) -> bool {
    NO_KNOWN.is_match(s.trim().trim_end_matches('.').trim())
}

fn substance(s: &str) -> String {
    if !single_case(s) {
        return s.to_string();
    }
    s.split(' ')
        .map(|w| if SUBSTANCE_CAPS.contains(&w.to_uppercase().as_str()) { w.to_uppercase() } else { title_word(w, false) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Split at `sep` outside parentheses.
fn split_outside_parens(s: &str, sep: &[char]) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = (depth - 1).max(0),
            _ => {}
        }
        if depth == 0 && sep.contains(&c) {
            items.push(String::new());
        } else if let Some(last) = items.last_mut() {
            last.push(c);
        }
    }
    items
}

/// `NKDA` -> no items; `Penicillin (rash); Sulfa (hives)`,
/// `Penicillin - rash, Codeine - nausea`, `Penicillin: rash; Latex` -> items.
pub fn allergies(raw: &str) -> Result<Vec<Vec<(&'static str, Value)>>, String> {
    let joined = raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(";");
    let s = clean_text(&joined);
    if s.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    if is_no_known(&s) {
        return Ok(Vec::new());
    }
    if s.eq_ignore_ascii_case("n/a") || s.eq_ignore_ascii_case("na") {
        return Err("not a list of allergies".to_string());
    }
    let sep: &[char] = if s.contains(';') { &[';'] } else { &[','] };
    let mut items = Vec::new();
    for part in split_outside_parens(&s, sep) {
        let part = clean_text(&part);
        let part = part.trim_end_matches('.').trim();
        if part.is_empty() {
            continue;
        }
        if is_no_known(part) {
            return Err("no known allergies written together with allergies".to_string());
        }
        let (subst, reaction) = if let Some(c) = ALLERGY_PAREN.captures(part) {
            (c[1].to_string(), c.get(2).map(|m| m.as_str().to_string()))
        } else if let Some(m) = ALLERGY_SEP.find(part) {
            (part[..m.start()].to_string(), Some(part[m.end()..].to_string()))
        } else {
            (part.to_string(), None)
        };
        let subst = clean_text(&subst);
        if subst.is_empty() {
            return Err("allergy without a substance".to_string());
        }
        let mut item = vec![("substance", Value::Text(substance(&subst)))];
        if let Some(r) = reaction.map(|r| clean_text(&r).trim_end_matches('.').to_lowercase()) {
            if !r.is_empty() {
                item.push(("reaction", Value::Text(r)));
            }
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    Ok(items)
}

// ------------------------------------------------------------------ signature

static SIGNED_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:/s/|s/|/s|electronically signed by|signed by|signed|by)\s*").unwrap());
static TRAILING_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?$").unwrap());
static NAME_CONNECTOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:[\s,;:|/-]+|\s(?:on|date|dated|signed)[:.]?|^(?:on|date|dated|signed)[:.]?|\s?[dpo0][aeu][tli][e]:)$").unwrap());

/// A name and a date: `John R. Miller, MD 11/02/1998`, `… on 11/02/1998`,
/// `… Date: 11/02/1998`, `/s/ John R. Miller, MD 1998-11-02`.
pub fn signature(raw: &str, today: NaiveDate) -> Result<Vec<(&'static str, Value)>, String> {
    let s = clean_text(raw);
    let s = SIGNED_PREFIX.replace(&s, "").to_string();
    let s = TRAILING_TIME.replace(&s, "").to_string();
    let s = s.trim_end_matches(['.', ',']).trim().to_string();
    let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    // The date stands last (up to five words: `03 / 14 / 1952`), or else first.
    let mut date = None;
    let mut name_range = 0..words.len();
    let mut date_error = None;
    let n = words.len();
    let candidates = (1..=5.min(n)).rev().map(|k| (n - k..n, 0..n - k)).chain((1..=5.min(n)).rev().map(|k| (0..k, k..n)));
    for (date_words, rest) in candidates {
        match parse_date(&words[date_words].join(" "), today) {
            Ok(d) => {
                date = Some(d);
                name_range = rest;
                break;
            }
            Err(e) if e != "not a recognisable date" => {
                date_error.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    if date.is_none() {
        if let Some(e) = date_error {
            return Err(format!("signature date: {e}"));
        }
    }
    let mut name = words[name_range].join(" ");
    loop {
        let trimmed = NAME_CONNECTOR.replace(&name, "").to_string();
        if trimmed == name {
            break;
        }
        name = trimmed;
    }
    let name = SIGNED_PREFIX.replace(&clean_text(&name), "").to_string();
    let mut parts = Vec::new();
    if !name.is_empty() {
        parts.push(("signed_by", Value::Text(provider_name(&name)?)));
    }
    if let Some(d) = date {
        parts.push(("signed_date", Value::Text(iso(d))));
    }
    if parts.is_empty() {
        return Err(NO_VALUE.to_string());
    }
    Ok(parts)
}

// ------------------------------------------------------------------ vitals

static BP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(\d{2,3})\s*/\s*(\d{2,3})(?:\s*mm\s*/?\s*hg)?$").unwrap());

/// `128/82`, `128 / 82 mmHg` -> `128/82`; systolic 50–300, diastolic 20–200.
pub fn blood_pressure(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches('.');
    let caps = BP.captures(s).ok_or("blood pressure is not systolic/diastolic")?;
    let sys: u32 = caps[1].parse().map_err(|_| "blood pressure is not systolic/diastolic")?;
    let dia: u32 = caps[2].parse().map_err(|_| "blood pressure is not systolic/diastolic")?;
    if !(50..=300).contains(&sys) {
        return Err("systolic pressure out of range 50 to 300".to_string());
    }
    if !(20..=200).contains(&dia) {
        return Err("diastolic pressure out of range 20 to 200".to_string());
    }
    if sys <= dia {
        return Err("systolic pressure is not above diastolic".to_string());
    }
    Ok(format!("{sys}/{dia}"))
}

static NUMBER_UNIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(-?\d+(?:\.\d+)?)\s*([^\d\s].*)?$").unwrap());

/// Split a number from its unit, lower-cased and without spaces.
fn number_unit(raw: &str) -> Result<(String, String), String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches('.');
    let caps = NUMBER_UNIT.captures(s).ok_or("not a number")?;
    let unit = caps.get(2).map_or(String::new(), |m| m.as_str().to_lowercase().replace([' ', '.'], ""));
    // OCR reads the `l` of `lb` as `I` (lower-cased here to `i`) or `1`-less `|`.
    let unit = match unit.as_str() {
        "ib" | "|b" => "lb".to_string(),
        "ibs" | "|bs" => "lbs".to_string(),
        _ => unit,
    };
    Ok((caps[1].to_string(), unit))
}

/// `76`, `76 bpm`, `171 lb`, `171 lbs` -> whole number.
pub fn integer(raw: &str) -> Result<i64, String> {
    let (n, unit) = number_unit(raw)?;
    if !matches!(unit.as_str(), "" | "bpm" | "/min" | "beats/min" | "perminute" | "lb" | "lbs" | "#" | "pounds") {
        return Err("number has an unexpected unit".to_string());
    }
    if let Some((whole, frac)) = n.split_once('.') {
        if frac.chars().all(|c| c == '0') {
            return whole.parse().map_err(|_| "not a number".to_string());
        }
        return Err("not a whole number".to_string());
    }
    n.parse().map_err(|_| "not a number".to_string())
}

/// `98.4`, `98.4 F`, `98.4°F` -> decimal.
pub fn decimal(raw: &str) -> Result<f64, String> {
    let (n, unit) = number_unit(raw)?;
    if !matches!(unit.as_str(), "" | "f" | "°f" | "°" | "degf" | "deg" | "ºf" | "lb" | "lbs") {
        return Err("number has an unexpected unit".to_string());
    }
    n.parse().map_err(|_| "not a number".to_string())
}

// ------------------------------------------------------------------ time, money, percent, month and year

/// `2:15 PM`, `2:15pm`, `14:15`, `14.15`, `9 AM` -> `HH:MM` (24-hour).
pub fn time_of_day(raw: &str) -> Result<String, String> {
    static TIME: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?i)^(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*(a\.?\s*m\.?|p\.?\s*m\.?|hrs?|h)?$").expect("valid regex")
    });
    let s = clean_text(raw);
    let caps = TIME.captures(s.trim_end_matches('.')).ok_or("not a time of day")?;
    let mut h: u32 = caps[1].parse().map_err(|_| "not a time of day")?;
    let m: u32 = caps.get(2).map_or(Ok(0), |m| m.as_str().parse()).map_err(|_| "not a time of day")?;
    let suffix = caps.get(3).map(|s| s.as_str().to_ascii_lowercase());
    if caps.get(2).is_none() && suffix.as_deref().is_none_or(|s| s.starts_with('h')) {
        return Err("a time needs minutes or AM/PM".to_string());
    }
    match suffix.as_deref().map(|s| s.chars().next()) {
        Some(Some('a')) | Some(Some('p')) => {
            if !(1..=12).contains(&h) {
                return Err("an AM/PM hour is 1 to 12".to_string());
            }
            let pm = suffix.as_deref().is_some_and(|s| s.starts_with('p'));
            h = match (h, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
        }
        _ => {}
    }
    if h > 23 || m > 59 {
        return Err("not a time of day".to_string());
    }
    Ok(format!("{h:02}:{m:02}"))
}

static DOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^
        (\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?)            # 500, 0.5, 5/325
        \s*
        (mg|mcg|µg|ug|g|gm|ml|l|units?|iu|meq|%|puffs?|tabs?|tablets?|caps?|capsules?|drops?|sprays?|patch(?:es)?)
        (?:\s*/\s*(ml|l|kg|hr|h|day|dose|actuation|spray))?   # per mL, per actuation
        $",
    )
    .unwrap()
});

/// A drug amount and its unit: `500mg`, `500 MG`, `0.5 ml`, `5/325 mg`,
/// `90 mcg/actuation`, `2000 units.` -> `500 mg`, `0.5 mL`, `5/325 mg`,
/// `90 mcg/actuation`, `2000 units`. The number as written (never
/// rounded); the unit in its usual spelling. Anything else (a unit that is
/// no unit, letters read for digits) is refused.
pub fn dose(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let s = s.trim_end_matches('.').trim();
    let c = DOSE.captures(s).ok_or("dose is not an amount and a unit (500 mg)")?;
    let amount: String = c[1].chars().filter(|c| !c.is_whitespace()).collect();
    let unit = match c[2].to_lowercase().as_str() {
        "µg" | "ug" | "mcg" => "mcg".to_string(),
        "gm" | "g" => "g".to_string(),
        "ml" => "mL".to_string(),
        "l" => "L".to_string(),
        "iu" => "IU".to_string(),
        "meq" => "mEq".to_string(),
        other => other.to_string(),
    };
    let per = c.get(3).map(|p| match p.as_str().to_lowercase().as_str() {
        "ml" => "mL".to_string(),
        "l" => "L".to_string(),
        other => other.to_string(),
    });
    Ok(match per {
        Some(per) => format!("{amount} {unit}/{per}"),
        None => format!("{amount} {unit}"),
    })
}

/// `$1,234.50`, `1234.5`, `$ 12`, `USD 12.00` -> `1234.50` (two decimals, as written: never rounded).
pub fn money(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let s = s.trim_start_matches(|c: char| c == '$' || c.is_whitespace());
    let s = s.strip_prefix("USD").unwrap_or(s).trim();
    let s = s.trim_end_matches(|c: char| c == '$' || c.is_whitespace());
    let (neg, s) = match s.strip_prefix('-').or_else(|| s.strip_prefix('(').and_then(|x| x.strip_suffix(')'))) {
        Some(x) => (true, x.trim().trim_start_matches('$').trim()),
        None => (false, s),
    };
    let (whole, cents) = s.split_once('.').unwrap_or((s, ""));
    // Thousands separators only in groups of three.
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = groups.len() == 1
        || (!groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    if whole.is_empty() || !grouped || !groups.iter().all(|g| is_digits(g)) {
        return Err("not an amount of money".to_string());
    }
    if cents.len() > 2 || !cents.chars().all(|c| c.is_ascii_digit()) {
        return Err("an amount has at most two decimals".to_string());
    }
    let whole: String = groups.concat();
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    Ok(format!("{}{whole}.{cents:0<2}", if neg { "-" } else { "" }))
}

/// `45%`, `45 %`, `12.5 percent` -> 45, 12.5.
pub fn percent(raw: &str) -> Result<f64, String> {
    let s = clean_text(raw).to_ascii_lowercase();
    let s = s.trim_end_matches('.');
    let n = s.strip_suffix("percent").or_else(|| s.strip_suffix("pct")).or_else(|| s.strip_suffix('%')).unwrap_or(s).trim();
    let n: f64 = n.parse().map_err(|_| "not a percentage".to_string())?;
    if !(0.0..=1000.0).contains(&n) {
        return Err("not a percentage".to_string());
    }
    Ok(n)
}

/// `03/2019`, `3-2019`, `Mar 2019`, `March, 2019`, `2019-03` -> `2019-03`.
pub fn month_year(raw: &str) -> Result<String, String> {
    let s = clean_text(raw);
    let toks: Vec<&str> = s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    let (m, y) = match toks.as_slice() {
        [a, b] if is_digits(a) && is_digits(b) && a.len() == 4 => (b.parse::<u32>().ok(), a.parse::<i32>().ok()),
        [a, b] if is_digits(b) && b.len() == 4 => {
            (if is_digits(a) { a.parse::<u32>().ok() } else { month_number(a) }, b.parse::<i32>().ok())
        }
        _ => (None, None),
    };
    match (m, y) {
        (Some(m @ 1..=12), Some(y @ 1800..=2200)) => Ok(format!("{y:04}-{m:02}")),
        _ => Err("not a month and year".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doses() {
        for (raw, want) in [
            ("500 mg", "500 mg"),
            ("500mg", "500 mg"),
            ("500 MG", "500 mg"),
            ("2000 units.", "2000 units"),
            ("0.5 ml", "0.5 mL"),
            ("5/325 mg", "5/325 mg"),
            ("90 mcg/actuation", "90 mcg/actuation"),
            ("100 µg", "100 mcg"),
            ("20 mEq", "20 mEq"),
        ] {
            assert_eq!(dose(raw).unwrap(), want, "{raw}");
        }
        for bad in ["5U wg", "40 me", "mg", "Loe", "300%x", "", "50 sq mcg"] {
            assert!(dose(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_money_percent_month_year() {
        for (raw, want) in [("2:15 PM", "14:15"), ("2:15pm", "14:15"), ("14:15", "14:15"), ("9 AM", "09:00"), ("12:05 a.m.", "00:05"), ("12:30 PM", "12:30"), ("0930 h", "ERR")] {
            assert_eq!(time_of_day(raw).unwrap_or_else(|_| "ERR".into()), want, "{raw}");
        }
        for bad in ["25:00", "13:00 PM", "noon", "9"] {
            assert!(time_of_day(bad).is_err(), "{bad}");
        }
        for (raw, want) in [("$1,234.50", "1234.50"), ("1234.5", "1234.50"), ("$ 12", "12.00"), ("USD 0.99", "0.99"), ("($5.00)", "-5.00")] {
            assert_eq!(money(raw).unwrap(), want, "{raw}");
        }
        for bad in ["$12,34.00", "1.234", "$", "ten", "1,2345"] {
            assert!(money(bad).is_err(), "{bad}");
        }
        assert_eq!(percent("45%").unwrap(), 45.0);
        assert_eq!(percent("12.5 percent").unwrap(), 12.5);
        assert!(percent("many").is_err());
        for (raw, want) in [("03/2019", "2019-03"), ("3-2019", "2019-03"), ("Mar 2019", "2019-03"), ("March, 2019", "2019-03"), ("2019-03", "2019-03")] {
            assert_eq!(month_year(raw).unwrap(), want, "{raw}");
        }
        for bad in ["13/2019", "03/19", "2019", "Smarch 2019"] {
            assert!(month_year(bad).is_err(), "{bad}");
        }
    }

    fn ctx() -> Context {
        Context { today: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() }
    }

    fn t(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    /// Render a result compactly: `text`, `family=..|given=..`, `[code=..|text=..; ...]`, `ERR reason`.
    fn render(r: Result<Normalized, String>) -> String {
        let parts = |p: &[(&str, Value)]| p.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("|");
        match r {
            Ok(Normalized::Scalar(Value::Num(n))) => format!("{n:?}"),
            Ok(Normalized::Scalar(v)) => v.to_string(),
            Ok(Normalized::Parts(p)) => parts(&p),
            Ok(Normalized::List(items)) => {
                format!("[{}]", items.iter().map(|i| parts(i)).collect::<Vec<_>>().join("; "))
            }
            Err(e) => format!("ERR {e}"),
        }
    }

    fn check(vt: ValueType, cases: &[(&str, &str)]) {
        let mut failures = Vec::new();
        for (input, expected) in cases {
            let got = render(normalize(vt, input, &ctx()));
            if got != *expected {
                failures.push(format!("{vt:?} {input:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn text() {
        check(
            ValueType::Text,
            &[
                ("  Blue   Cross\tBlue Shield ", "Blue Cross Blue Shield"),
                (": Metformin |", "Metformin"),
                ("__500 mg__", "500 mg"),
                ("Acme Inc.", "Acme Inc."),
                (".5 mg", ".5 mg"),
                ("  ", "ERR no value"),
                ("___", "ERR no value"),
            ],
        );
    }

    #[test]
    fn dates() {
        let cases = [
            ("03/14/1952", "1952-03-14"),
            ("3/14/1952", "1952-03-14"),
            ("03-14-1952", "1952-03-14"),
            ("1952-03-14", "1952-03-14"),
            ("March 14, 1952", "1952-03-14"),
            ("Mar 14, 1952", "1952-03-14"),
            ("Mar. 14, 1952", "1952-03-14"),
            ("MARCH 14 1952", "1952-03-14"),
            ("Sept 5, 2001", "2001-09-05"),
            ("14-MAR-1952", "1952-03-14"),
            ("14 Mar 1952", "1952-03-14"),
            ("14-Mar-52", "1952-03-14"),
            ("March 14th, 1952", "1952-03-14"),
            ("03 / 14 / 1952", "1952-03-14"),
            ("03/14/1952.", "1952-03-14"),
            ("03/14/1952,", "1952-03-14"),
            ("03/14/1952 10:42 AM", "1952-03-14"),
            (": 03/14/1952 |", "1952-03-14"),
            ("03.14.1952", "1952-03-14"),
            ("O3/l4/1952", "1952-03-14"),
            ("03141952", "1952-03-14"),
            ("19520314", "1952-03-14"),
            // Two-digit years are taken in the past (today is 2026-05-01).
            ("3/14/52", "1952-03-14"),
            ("3/14/15", "2015-03-14"),
            ("4/30/26", "2026-04-30"),
            ("5/1/26", "2026-05-01"),
            ("5/2/26", "1926-05-02"),
            ("2/29/00", "2000-02-29"),
            // Four-digit years in the future are kept.
            ("03/14/2052", "2052-03-14"),
            // Real calendar dates only; never day-first.
            ("02/30/1990", "ERR not a calendar date"),
            ("02/29/1990", "ERR not a calendar date"),
            ("13/01/1990", "ERR not a calendar date"),
            ("14/03/1952", "ERR not a calendar date"),
            ("00/10/1990", "ERR not a calendar date"),
            ("1990-02-30", "ERR not a calendar date"),
            ("Feb 30, 1990", "ERR not a calendar date"),
            ("03/1952", "ERR date has no day"),
            ("Mar 1952", "ERR date has no day"),
            ("yesterday", "ERR not a recognisable date"),
            ("Marx 14, 1952", "ERR not a recognisable date"),
            ("03/14/952", "ERR not a recognisable date"),
            ("03/14/1952 approx", "ERR not a recognisable date"),
            ("", "ERR no value"),
        ];
        check(ValueType::Date, &cases);
        check(ValueType::BirthDate, &cases);
    }

    #[test]
    fn person_names() {
        check(
            ValueType::PersonName,
            &[
                ("THOMPSON, MARGARET A", "family=Thompson|given=Margaret A"),
                ("Margaret A. Thompson", "family=Thompson|given=Margaret A"),
                ("Thompson, Margaret A.", "family=Thompson|given=Margaret A"),
                ("  THOMPSON ,  MARGARET  A ", "family=Thompson|given=Margaret A"),
                ("O'BRIEN, PATRICK", "family=O'Brien|given=Patrick"),
                ("O’BRIEN, PATRICK", "family=O'Brien|given=Patrick"),
                ("SMITH-JONES, ANNE", "family=Smith-Jones|given=Anne"),
                ("MCDONALD, RONALD", "family=McDonald|given=Ronald"),
                ("D'ANGELO, MARIA", "family=D'Angelo|given=Maria"),
                ("mary smith", "family=Smith|given=Mary"),
                ("Mary MCDONALD", "family=McDonald|given=Mary"),
                ("Ludwig van Beethoven", "family=van Beethoven|given=Ludwig"),
                ("Maria De La Cruz", "family=De La Cruz|given=Maria"),
                ("DeShawn McKay", "family=McKay|given=DeShawn"),
                ("KING, MARTIN L JR", "family=King Jr|given=Martin L"),
                ("KING JR, MARTIN L", "family=King Jr|given=Martin L"),
                ("King, Martin L., Jr.", "family=King Jr|given=Martin L"),
                ("Martin Luther King Jr.", "family=King Jr|given=Martin Luther"),
                ("HOWELL, THURSTON III", "family=Howell III|given=Thurston"),
                ("Thurston Howell III", "family=Howell III|given=Thurston"),
                ("THOMPSON", "family=Thompson"),
                ("THOMPSON,", "family=Thompson"),
                (": Thompson, Margaret |", "family=Thompson|given=Margaret"),
                ("TH0MPSON, MARGARET", "ERR name contains digits"),
                ("Thomp$on, Margaret", "ERR name contains characters that are not letters"),
                (", Margaret", "family=Margaret"),
                ("", "ERR no value"),
            ],
        );
    }

    #[test]
    fn provider_names() {
        check(
            ValueType::ProviderName,
            &[
                ("John R. Miller, MD", "John R. Miller, MD"),
                ("  John  R.  Miller ,  MD ", "John R. Miller, MD"),
                ("JOHN R. MILLER, M.D.", "JOHN R. MILLER, M.D."),
                ("12345", "ERR provider name has no letters"),
                ("Christine 0. Velez, MD", "ERR provider name contains digits"),
                ("‘Todd Mack, PA-C", "Todd Mack, PA-C"),
                ("» Troy G. Kemp. PA-C", "Troy G. Kemp, PA-C"),
                ("Connie Vasquez,DO'", "Connie Vasquez, DO"),
                ("Ava P. Bates. MD", "Ava P. Bates, MD"),
                ("Jane Roe, M.D.", "Jane Roe, M.D."),
                ("Dr. Jane Roe", "Dr. Jane Roe"),
            ],
        );
    }

    #[test]
    fn sexes() {
        check(
            ValueType::Sex,
            &[
                ("M", "M"),
                ("m", "M"),
                ("Male", "M"),
                ("MALE", "M"),
                ("F", "F"),
                ("female", "F"),
                ("F.", "F"),
                ("U", "U"),
                ("Unknown", "U"),
                ("X", "ERR sex is not M, F or U"),
                ("Mle", "ERR sex is not M, F or U"),
            ],
        );
    }

    #[test]
    fn phones() {
        check(
            ValueType::Phone,
            &[
                ("(217) 555-0142", "2175550142"),
                ("217-555-0142", "2175550142"),
                ("217.555.0142", "2175550142"),
                ("1-217-555-0142", "2175550142"),
                ("+1 (217) 555-0142", "2175550142"),
                ("217 555 0142", "2175550142"),
                ("(217)555-O142", "2175550142"),
                ("555-0142", "ERR phone number is not 10 digits"),
                ("2-217-555-0142", "ERR phone number is not 10 digits"),
                ("(117) 555-0142", "ERR area code starts with 0 or 1"),
                ("(217) 155-0142", "ERR exchange starts with 0 or 1"),
                ("217-555-0142 ext 4", "ERR phone number has letters or marks in it"),
            ],
        );
    }

    #[test]
    fn identifiers_lots_cvx() {
        check(
            ValueType::Identifier,
            &[
                ("00482913", "00482913"),
                ("0048 2913", "00482913"),
                ("xjh123456789", "XJH123456789"),
                ("AB-1234", "AB-1234"),
                ("# 00482913.", "00482913"),
                ("---", "ERR no value"),
                ("ÅB12", "ERR identifier has a character that is not a plain letter or digit"),
            ],
        );
        check(ValueType::Lot, &[("U2233AA", "U2233AA"), ("u22 33aa", "U2233AA"), ("AB-12", "AB-12")]);
        check(
            ValueType::Cvx,
            &[
                ("141", "141"),
                ("08", "08"),
                ("8", "8"),
                ("1O", "10"),
                ("1411", "ERR CVX code is not 1 to 3 digits"),
                ("flu", "ERR CVX code is not 1 to 3 digits"),
            ],
        );
    }

    #[test]
    fn npis() {
        assert!(npi_is_valid("1234567893"));
        assert!(!npi_is_valid("1234567894"));
        assert!(!npi_is_valid("123456789"));
        check(
            ValueType::Npi,
            &[
                ("1234567893", "1234567893"),
                ("1234 567 893", "1234567893"),
                ("1234567894", "ERR NPI check digit does not match"),
                ("1234567892", "ERR NPI check digit does not match"),
                ("1234567883", "ERR NPI check digit does not match"),
                ("3234567893", "ERR NPI does not start with 1 or 2"),
                ("123456789", "ERR NPI is not 10 digits"),
                ("12345678931", "ERR NPI is not 10 digits"),
                ("NPI12345", "ERR NPI has letters or marks in it"),
            ],
        );
        // Every check digit but one fails for a given prefix.
        let valid = (0..10).filter(|d| npi_is_valid(&format!("123456789{d}"))).count();
        assert_eq!(valid, 1);
    }

    #[test]
    fn states_zips_cities() {
        check(
            ValueType::State,
            &[
                ("IL", "IL"),
                ("il", "IL"),
                ("Illinois", "IL"),
                ("NEW YORK", "NY"),
                ("District of Columbia", "DC"),
                ("DC", "DC"),
                ("PR", "PR"),
                ("XX", "ERR not a US state"),
            ],
        );
        check(
            ValueType::Zip,
            &[
                ("62704", "62704"),
                ("62704-1234", "62704-1234"),
                ("62704 - 1234", "62704-1234"),
                ("627041234", "62704-1234"),
                ("6270", "ERR ZIP code is not 5 or 5+4 digits"),
                ("627045", "ERR ZIP code is not 5 or 5+4 digits"),
                ("62704-12", "ERR ZIP code is not 5 or 5+4 digits"),
                ("IL 62704", "ERR ZIP code is not 5 or 5+4 digits"),
            ],
        );
        check(
            ValueType::City,
            &[
                ("SPRINGFIELD", "Springfield"),
                ("ST. LOUIS", "St. Louis"),
                ("MCALLEN", "McAllen"),
                ("Winston-Salem", "Winston-Salem"),
                ("62704", "ERR city has no letters"),
            ],
        );
        check(
            ValueType::CityStateZip,
            &[
                ("Springfield, IL 62704", "city=Springfield|state=IL|zip=62704"),
                ("Springfield IL 62704-1234", "city=Springfield|state=IL|zip=62704-1234"),
                ("SPRINGFIELD, IL, 62704", "city=Springfield|state=IL|zip=62704"),
                ("Springfield, Illinois 62704", "city=Springfield|state=IL|zip=62704"),
                ("New York, New York 10001", "city=New York|state=NY|zip=10001"),
                ("Springfield, IL", "city=Springfield|state=IL"),
                ("Springfield, ZZ 62704", "ERR no US state before the ZIP code"),
                ("Springfield, IL 6270", "ERR ZIP code is not 5 or 5+4 digits"),
            ],
        );
    }

    #[test]
    fn address_error_parts() {
        let part = |vt, raw| normalize(vt, raw, &ctx()).err().and_then(|e| address_error_part(&e));
        assert_eq!(part(ValueType::Address, "1428 Elm Street, Springfield, IL 6270"), Some("zip"));
        assert_eq!(part(ValueType::CityStateZip, "Springfield, IL 627"), Some("zip"));
        assert_eq!(part(ValueType::CityStateZip, "Springfield, ZZ 62704"), Some("state"));
        assert_eq!(part(ValueType::Address, "1428 Elm Street Springfield IL 62704"), None);
    }

    #[test]
    fn addresses() {
        check(
            ValueType::Address,
            &[
                ("1428 Elm Street", "line=1428 Elm Street"),
                ("1428 ELM STREET", "line=1428 Elm Street"),
                ("12 NW MAIN ST APT 2B", "line=12 NW Main St Apt 2B"),
                ("PO Box 12345", "line=PO Box 12345"),
                (
                    "1428 Elm Street, Springfield, IL 62704",
                    "line=1428 Elm Street|city=Springfield|state=IL|zip=62704",
                ),
                (
                    "1428 ELM ST, APT 2, SPRINGFIELD IL 62704-1234",
                    "line=1428 Elm St, Apt 2|city=Springfield|state=IL|zip=62704-1234",
                ),
                (
                    "1428 Elm Street, Springfield, Illinois 62704",
                    "line=1428 Elm Street|city=Springfield|state=IL|zip=62704",
                ),
                (
                    "1428 Elm Street, Springfield, IL",
                    "line=1428 Elm Street|city=Springfield|state=IL",
                ),
                ("100 Main St, Suite IN", "line=100 Main St, Suite IN"),
                ("1428 Elm Street, Springfield, IL 6270", "ERR ZIP code is not 5 or 5+4 digits"),
                ("1428 Elm Street, Springfield, IL 627O4", "line=1428 Elm Street|city=Springfield|state=IL|zip=62704"),
                (
                    "1428 Elm Street Springfield IL 62704",
                    "ERR one-line address without a comma between street and city",
                ),
                ("", "ERR no value"),
            ],
        );
    }

    #[test]
    fn diagnoses_lines() {
        check(
            ValueType::Diagnoses,
            &[
                ("250.00 Diabetes mellitus type II", "[code=250.00|text=Diabetes mellitus type II]"),
                ("E11.9 - Type 2 diabetes", "[code=E11.9|text=Type 2 diabetes]"),
                ("1. I10 Essential hypertension", "[code=I10|text=Essential hypertension]"),
                ("i10: essential hypertension", "[code=I10|text=essential hypertension]"),
                ("I10. Essential hypertension", "[code=I10|text=Essential hypertension]"),
                (
                    "1. 250.00 Diabetes\n2. 401.9 Hypertension\n\n",
                    "[code=250.00|text=Diabetes; code=401.9|text=Hypertension]",
                ),
                ("V70.0 Routine exam", "[code=V70.0|text=Routine exam]"),
                ("E880.9 Fall on stairs", "[code=E880.9|text=Fall on stairs]"),
                ("S72.001A Fracture of femur", "[code=S72.001A|text=Fracture of femur]"),
                ("O24.4 Gestational diabetes", "[code=O24.4|text=Gestational diabetes]"),
                ("I10", "[code=I10]"),
                // Unambiguous slips: letters where only digits may stand.
                ("25O.OO Diabetes", "[code=250.00|text=Diabetes]"),
                ("4OI.9 Hypertension", "[code=401.9|text=Hypertension]"),
                ("EI1.9 Diabetes", "[code=E11.9|text=Diabetes]"),
                ("E11 .9 Diabetes", "[code=E11.9|text=Diabetes]"),
                // Dotless codes where the dot's place is fixed.
                ("25000 Diabetes", "[code=250.00|text=Diabetes]"),
                ("E119 Diabetes", "[code=E119|text=Diabetes]"),
                ("I109 Hypertension", "[code=I10.9|text=Hypertension]"),
                ("Essential hypertension", "ERR diagnosis line without a code"),
                ("E11.9 Diabetes\nwithout complications", "ERR diagnosis line without a code"),
                ("2500.00 Diabetes", "ERR diagnosis code is neither ICD-9-CM nor ICD-10-CM"),
                ("\n \n", "ERR no value"),
            ],
        );
        assert!(is_icd10("E11.9") && is_icd10("I10") && !is_icd10("250.00"));
        assert!(is_icd9("250.00") && is_icd9("V70.0") && is_icd9("E880.9") && !is_icd9("E11.9"));
    }

    #[test]
    fn allergy_lists() {
        check(
            ValueType::Allergies,
            &[
                ("NKDA", "[]"),
                ("nkda.", "[]"),
                ("NKA", "[]"),
                ("None known", "[]"),
                ("No known allergies", "[]"),
                ("NO KNOWN DRUG ALLERGIES", "[]"),
                ("None", "[]"),
                ("Penicillin (rash); Sulfa (hives)", "[substance=Penicillin|reaction=rash; substance=Sulfa|reaction=hives]"),
                (
                    "Penicillin - rash, Codeine - nausea",
                    "[substance=Penicillin|reaction=rash; substance=Codeine|reaction=nausea]",
                ),
                ("Penicillin: rash; Latex", "[substance=Penicillin|reaction=rash; substance=Latex]"),
                ("PENICILLIN (RASH, HIVES)", "[substance=Penicillin|reaction=rash, hives]"),
                ("Penicillin, Sulfa, Codeine", "[substance=Penicillin; substance=Sulfa; substance=Codeine]"),
                ("PCN - Hives\nASA - GI upset", "[substance=PCN|reaction=hives; substance=ASA|reaction=gi upset]"),
                ("Trimethoprim-sulfamethoxazole", "[substance=Trimethoprim-sulfamethoxazole]"),
                ("N/A", "ERR not a list of allergies"),
                ("Penicillin; NKDA", "ERR no known allergies written together with allergies"),
                ("", "ERR no value"),
            ],
        );
    }

    #[test]
    fn signatures() {
        check(
            ValueType::Signature,
            &[
                ("John R. Miller, MD 11/02/1998", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("John R. Miller, MD on 11/02/1998", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("John R. Miller, MD Date: 11/02/1998", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("/s/ John R. Miller, MD 1998-11-02", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("John R. Miller, MD - Nov 2, 1998", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("John R. Miller, MD 11/02/1998 10:42 AM", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("J. Miller MD 11 / 02 / 98", "signed_by=J. Miller MD|signed_date=1998-11-02"),
                ("John R. Miller, MD", "signed_by=John R. Miller, MD"),
                ("11/02/1998", "signed_date=1998-11-02"),
                ("11/02/1998 John R. Miller, MD", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("Nov 2, 1998 - by John R. Miller, MD", "signed_by=John R. Miller, MD|signed_date=1998-11-02"),
                ("John R. Miller, MD 11/1998", "ERR signature date: date has no day"),
                ("Don Ramon 11/02/1998", "signed_by=Don Ramon|signed_date=1998-11-02"),
                ("Connie Vasquez,DO pate: 2002-04-26.", "signed_by=Connie Vasquez, DO|signed_date=2002-04-26"),
                ("Ava P. Bates. MD Dute: Feb 8, 1994", "signed_by=Ava P. Bates, MD|signed_date=1994-02-08"),
                ("John Dale 11/02/1998", "signed_by=John Dale|signed_date=1998-11-02"),
                ("John R. Miller, MD 02/30/1998", "ERR signature date: not a calendar date"),
                ("", "ERR no value"),
            ],
        );
    }

    #[test]
    fn vitals() {
        check(
            ValueType::BloodPressure,
            &[
                ("128/82", "128/82"),
                ("128 / 82 mmHg", "128/82"),
                ("128/82 mm Hg", "128/82"),
                ("40/30", "ERR systolic pressure out of range 50 to 300"),
                ("128/10", "ERR diastolic pressure out of range 20 to 200"),
                ("82/128", "ERR systolic pressure is not above diastolic"),
                ("128", "ERR blood pressure is not systolic/diastolic"),
            ],
        );
        check(
            ValueType::Integer,
            &[
                ("76", "76"),
                ("76 bpm", "76"),
                ("171 lb", "171"),
                ("171 lbs", "171"),
                ("171lbs.", "171"),
                ("171.0", "171"),
                ("171.5", "ERR not a whole number"),
                ("78 kg", "ERR number has an unexpected unit"),
                ("210 Ibs", "210"),
                ("219 Ib", "219"),
                ("seventy", "ERR not a number"),
            ],
        );
        check(
            ValueType::Decimal,
            &[
                ("98.4", "98.4"),
                ("98.4 F", "98.4"),
                ("98.4°F", "98.4"),
                ("98.4 ° F", "98.4"),
                ("98", "98.0"),
                ("37.0 C", "ERR number has an unexpected unit"),
            ],
        );
    }

    #[test]
    fn parts_and_values_shape() {
        let got = normalize(ValueType::PersonName, "THOMPSON, MARGARET A", &ctx()).unwrap();
        assert_eq!(got, Normalized::Parts(vec![("family", t("Thompson")), ("given", t("Margaret A"))]));
        let got = normalize(ValueType::Integer, "76 bpm", &ctx()).unwrap();
        assert_eq!(got, Normalized::Scalar(Value::Int(76)));
        let got = normalize(ValueType::Allergies, "NKDA", &ctx()).unwrap();
        assert_eq!(got, Normalized::List(vec![]));
    }

    #[test]
    fn errors_never_quote_the_value() {
        let secret = "Zyxwvut 98765";
        for vt in [
            ValueType::PersonName,
            ValueType::Date,
            ValueType::Sex,
            ValueType::Phone,
            ValueType::Npi,
            ValueType::Zip,
            ValueType::State,
            ValueType::Diagnoses,
            ValueType::Signature,
            ValueType::BloodPressure,
            ValueType::Integer,
            ValueType::Cvx,
        ] {
            if let Err(e) = normalize(vt, secret, &ctx()) {
                assert!(!e.contains("Zyxwvut") && !e.contains("98765"), "{vt:?}: {e}");
                assert!(!e.ends_with('.'), "{vt:?}: {e}");
            }
        }
    }
}

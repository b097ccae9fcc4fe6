//! How values are printed on paper: the date forms and name forms of the
//! spec, phone numbers, and the identifiers' check digits (NPI).

use chrono::{Datelike, NaiveDate};

/// The date forms of the spec, e.g. for 14 March 1952.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateForm {
    /// `03/14/1952`
    MdySlash0,
    /// `3/14/1952`
    MdySlash,
    /// `03-14-1952`
    MdyDash0,
    /// `1952-03-14`
    Iso,
    /// `March 14, 1952`
    LongMonth,
    /// `Mar 14, 1952`
    AbbrMonth,
    /// `14-MAR-1952`
    DayMonUpper,
    /// `14 Mar 1952`
    DayMon,
    /// `3/14/52`
    ShortYear,
}

pub const DATE_FORMS: [DateForm; 9] = [
    DateForm::MdySlash0,
    DateForm::MdySlash,
    DateForm::MdyDash0,
    DateForm::Iso,
    DateForm::LongMonth,
    DateForm::AbbrMonth,
    DateForm::DayMonUpper,
    DateForm::DayMon,
    DateForm::ShortYear,
];

/// What a date is: a two-digit year is read differently for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateKind {
    /// A date of birth: a two-digit year is never in the future.
    Birth,
    /// A visit, signature, start or immunization date.
    Event,
}

/// Whether a two-digit year is unambiguous for this year: every sensible
/// reading (the past-century reading, "never in the future", a 1969/1970
/// pivot) gives the same year, now and for years to come.
pub fn two_digit_year_ok(year: i32, kind: DateKind) -> bool {
    match kind {
        DateKind::Birth => (1940..=1999).contains(&year),
        DateKind::Event => (1970..=1999).contains(&year),
    }
}

const MONTHS: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
];

/// Prints a (possibly impossible, e.g. 30 February) calendar date in a form.
/// `ShortYear` must only be asked for when `two_digit_year_ok` says so.
pub fn format_ymd(y: i32, m: u32, d: u32, form: DateForm) -> String {
    let month = MONTHS[(m as usize).clamp(1, 12) - 1];
    let abbr = &month[..3];
    match form {
        DateForm::MdySlash0 => format!("{m:02}/{d:02}/{y:04}"),
        DateForm::MdySlash => format!("{m}/{d}/{y:04}"),
        DateForm::MdyDash0 => format!("{m:02}-{d:02}-{y:04}"),
        DateForm::Iso => format!("{y:04}-{m:02}-{d:02}"),
        DateForm::LongMonth => format!("{month} {d}, {y:04}"),
        DateForm::AbbrMonth => format!("{abbr} {d}, {y:04}"),
        DateForm::DayMonUpper => format!("{d:02}-{}-{y:04}", abbr.to_uppercase()),
        DateForm::DayMon => format!("{d} {abbr} {y:04}"),
        DateForm::ShortYear => format!("{m}/{d}/{:02}", y.rem_euclid(100)),
    }
}

pub fn format_date(date: NaiveDate, form: DateForm) -> String {
    format_ymd(date.year(), date.month(), date.day(), form)
}

pub fn iso(date: NaiveDate) -> String {
    format_date(date, DateForm::Iso)
}

/// How a person's name is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameForm {
    /// `THOMPSON, MARGARET A`
    FamilyFirstUpper,
    /// `Thompson, Margaret A`
    FamilyFirst,
    /// `Margaret A. Thompson`
    GivenFirst,
}

pub const NAME_FORMS: [NameForm; 3] = [NameForm::FamilyFirstUpper, NameForm::FamilyFirst, NameForm::GivenFirst];

pub fn format_name(first: &str, middle: Option<char>, family: &str, form: NameForm) -> String {
    match (form, middle) {
        (NameForm::FamilyFirstUpper, Some(m)) => {
            format!("{}, {} {}", family.to_uppercase(), first.to_uppercase(), m.to_ascii_uppercase())
        }
        (NameForm::FamilyFirstUpper, None) => format!("{}, {}", family.to_uppercase(), first.to_uppercase()),
        (NameForm::FamilyFirst, Some(m)) => format!("{family}, {first} {m}"),
        (NameForm::FamilyFirst, None) => format!("{family}, {first}"),
        (NameForm::GivenFirst, Some(m)) => format!("{first} {m}. {family}"),
        (NameForm::GivenFirst, None) => format!("{first} {family}"),
    }
}

/// The export's `given`: first name and middle initial without a period.
pub fn given(first: &str, middle: Option<char>) -> String {
    match middle {
        Some(m) => format!("{first} {m}"),
        None => first.to_string(),
    }
}

/// A family name from the table as it is written: `Mcdonald` → `McDonald`,
/// `Obrien` → `O'Brien`.
pub fn display_family(raw: &str) -> String {
    const IRISH_O: [&str; 5] = ["Obrien", "Oconnor", "Odonnell", "Oneal", "Oneill"];
    let mut chars: Vec<char> = raw.chars().collect();
    if raw.starts_with("Mc") && chars.len() > 2 {
        chars[2] = chars[2].to_ascii_uppercase();
        return chars.into_iter().collect();
    }
    if IRISH_O.contains(&raw) {
        let rest: String = chars[1..].iter().collect();
        let mut r = rest.chars();
        let head = r.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
        return format!("O'{head}{}", r.as_str());
    }
    raw.to_string()
}

/// Ways a ten-digit NANP number is printed.
pub fn format_phone(digits: &str, style: u32) -> String {
    let (a, b, c) = (&digits[0..3], &digits[3..6], &digits[6..10]);
    match style % 3 {
        0 => format!("({a}) {b}-{c}"),
        1 => format!("{a}-{b}-{c}"),
        _ => format!("{a}.{b}.{c}"),
    }
}

/// The NPI check digit for the first nine digits: Luhn over the prefix
/// 80840 followed by the nine digits.
pub fn npi_check_digit(first9: &str) -> u32 {
    let digits: Vec<u32> = "80840".chars().chain(first9.chars()).filter_map(|c| c.to_digit(10)).collect();
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = *d;
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    (10 - sum % 10) % 10
}

#[cfg(test)]
/// Whether a printed NPI is valid: ten digits, first 1 or 2, check digit right.
pub fn npi_valid(npi: &str) -> bool {
    npi.len() == 10
        && npi.chars().all(|c| c.is_ascii_digit())
        && (npi.starts_with('1') || npi.starts_with('2'))
        && npi_check_digit(&npi[..9]) == npi[9..].parse::<u32>().unwrap_or(99)
}

/// Whether a code has the shape of an ICD-10-CM code.
pub fn is_icd10(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_digit() {
        return false;
    }
    if !(b[2].is_ascii_digit() || b[2].is_ascii_uppercase()) {
        return false;
    }
    match &code[3..] {
        "" => true,
        rest => {
            let rest = rest.strip_prefix('.').unwrap_or("!");
            (1..=4).contains(&rest.len()) && rest.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        }
    }
}

#[cfg(test)]
/// Whether a code has the shape of an ICD-9-CM code.
pub fn is_icd9(code: &str) -> bool {
    let (head, tail) = match code.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (code, None),
    };
    let head_ok = match head.as_bytes() {
        [b'V', a, b] => a.is_ascii_digit() && b.is_ascii_digit(),
        [b'E', a, b, c] => a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit(),
        [a, b, c] => a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit(),
        _ => false,
    };
    head_ok && tail.is_none_or(|t| (1..=2).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_digit()))
}

/// The first date of service coded in ICD-10-CM.
pub fn icd10_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 10, 1).expect("valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_forms_print_as_the_spec_shows() {
        let d = NaiveDate::from_ymd_opt(1952, 3, 14).unwrap();
        let got: Vec<String> = DATE_FORMS.iter().map(|f| format_date(d, *f)).collect();
        assert_eq!(
            got,
            [
                "03/14/1952", "3/14/1952", "03-14-1952", "1952-03-14", "March 14, 1952", "Mar 14, 1952",
                "14-MAR-1952", "14 Mar 1952", "3/14/52"
            ]
        );
        assert_eq!(format_ymd(1990, 2, 30, DateForm::MdySlash0), "02/30/1990");
    }

    #[test]
    fn two_digit_years_only_where_unambiguous() {
        assert!(two_digit_year_ok(1952, DateKind::Birth));
        assert!(!two_digit_year_ok(1925, DateKind::Birth));
        assert!(!two_digit_year_ok(2010, DateKind::Birth));
        assert!(!two_digit_year_ok(1965, DateKind::Event));
        assert!(two_digit_year_ok(1998, DateKind::Event));
    }

    #[test]
    fn names() {
        assert_eq!(format_name("Margaret", Some('A'), "Thompson", NameForm::FamilyFirstUpper), "THOMPSON, MARGARET A");
        assert_eq!(format_name("Margaret", Some('A'), "Thompson", NameForm::GivenFirst), "Margaret A. Thompson");
        assert_eq!(given("Margaret", Some('A')), "Margaret A");
        assert_eq!(display_family("Mcdonald"), "McDonald");
        assert_eq!(display_family("Obrien"), "O'Brien");
    }

    #[test]
    fn npi_check_digit_matches_the_spec_example() {
        assert_eq!(npi_check_digit("123456789"), 3);
        assert!(npi_valid("1234567893"));
        assert!(!npi_valid("1234567890"));
        assert!(!npi_valid("3234567893"));
    }

    #[test]
    fn icd_shapes() {
        for c in ["250.00", "401.9", "311", "493.90"] {
            assert!(is_icd9(c), "{c}");
            assert!(!is_icd10(c), "{c}");
        }
        // V codes of ICD-9-CM also have the shape of ICD-10-CM codes.
        for c in ["V70.0", "V04.81"] {
            assert!(is_icd9(c) && is_icd10(c), "{c}");
        }
        for c in ["E11.9", "I10", "J45.909", "Z00.129", "M54.5"] {
            assert!(is_icd10(c), "{c}");
            assert!(!is_icd9(c), "{c}");
        }
    }
}

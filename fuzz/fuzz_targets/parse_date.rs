//! The date parser: any text, any processing date. It never panics, and a
//! date it returns reads back as itself from its ISO form.
#![no_main]

use chartmill::normalize::parse_date;
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, arbitrary::Arbitrary)]
struct Input<'a> {
    /// Days after 1900-01-01 (up to about 2079), the processing date.
    today: u16,
    raw: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let today = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(u64::from(input.today));
    if let Ok(date) = parse_date(input.raw, today) {
        let iso = date.format("%Y-%m-%d").to_string();
        if (1000..=9999).contains(&chrono::Datelike::year(&date)) {
            assert_eq!(parse_date(&iso, today), Ok(date), "{iso} does not read back");
        }
    }
});

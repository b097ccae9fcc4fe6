//! The pipeline TOML loader: any text. It never panics; a pipeline it
//! accepts passes its own checks again, has an id, and can read a page:
//! a page made of its own titles and labels goes through extraction,
//! assembly, validation and the export document without a panic.
#![no_main]

use chartmill::extract::{self, PageFacts};
use chartmill::model::{BBox, OcrPage, PageRef, Word};
use chartmill::normalize::Context;
use chartmill::pipeline::Pipeline;
use chartmill::validate;
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

const VALUES: &[&str] = &["THOMPSON, MARGARET A", "00482913", "03/14/1952", "F", "1234567893", "250.00 Diabetes", "128/82", "76", "98.4", "141", "U2233AA"];

fuzz_target!(|text: &str| {
    let Ok(p) = Pipeline::parse(text, "fuzz.toml") else { return };
    assert!(p.check().is_empty());
    let _ = p.id();
    // A page: every title of the first document type, then each label of
    // the header and the documents with a value right of it.
    let mut lines: Vec<String> = Vec::new();
    if let Some(d) = p.documents.first() {
        lines.extend(d.titles.iter().take(1).cloned());
    }
    let labels = p.header.iter().chain(p.documents.iter().flat_map(|d| d.fields.iter())).flat_map(|f| f.labels.iter().take(2));
    for (i, l) in labels.take(60).enumerate() {
        lines.push(format!("{l}: {}", VALUES[i % VALUES.len()]));
    }
    let mut words = Vec::new();
    // The first table of the first document: its headers in columns, then two rows.
    let table = p.documents.first().and_then(|d| d.tables.first());
    if let Some(t) = table {
        let base = lines.len() as u32 + 1;
        for (row, y) in [(0u32, base), (1, base + 1), (2, base + 2)] {
            for (ci, c) in t.columns.iter().take(8).enumerate() {
                let text = if row == 0 { c.headers.first().cloned().unwrap_or_default() } else { VALUES[(ci + row as usize) % VALUES.len()].to_string() };
                let mut x = 100 + 300 * ci as u32;
                for w in text.split_whitespace() {
                    let width = 18 * w.chars().count() as u32;
                    words.push(Word { text: w.to_string(), bbox: BBox { x, y: 100 + 60 * y, w: width, h: 30 }, conf: 90.0, block: 2, par: 1, line: y + 1 });
                    x += width + 14;
                }
            }
        }
    }
    for (li, line) in lines.iter().enumerate() {
        let mut x = 100u32;
        for w in line.split_whitespace() {
            let width = 18 * w.chars().count() as u32;
            words.push(Word { text: w.to_string(), bbox: BBox { x, y: 100 + 60 * li as u32, w: width, h: if li == 0 { 60 } else { 30 } }, conf: 92.0, block: 1, par: 1, line: li as u32 + 1 });
            x += width + 14;
        }
    }
    let ocr = OcrPage { width: 2550, height: 3300, dpi: 300, words };
    let ctx = Context { today: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() };
    let at = PageRef { page: 1, file: "a/p.png".into(), file_page: 0 };
    let page = extract::extract_page(&p, at, &ocr, PageFacts::default(), &ctx);
    let chart = extract::assemble_chart(&p, vec![page]);
    let _ = validate::validate(&validate::ChartInput {
        pipeline: &p,
        pages: &chart.pages,
        values: &chart.values,
        header: &chart.header,
        records: &chart.records,
        today: ctx.today,
    });
    let _ = extract::document::build(&p, &chart.records, &chart.values);
});

//! The field extractor: OCR words built from fuzz bytes (known titles,
//! labels and values mixed with arbitrary text, at arbitrary places), one to
//! three pages of a chart, through extraction, chart assembly, validation
//! and the export document — all the pure stages after OCR.
#![no_main]

use chartmill::extract::{self, PageFacts};
use chartmill::model::{BBox, OcrPage, PageRef, Word};
use chartmill::normalize::Context;
use chartmill::pipeline::Pipeline;
use chartmill::validate;
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Words a chart page is made of, so the fuzzer reaches past classification.
const KNOWN: &[&str] = &[
    "PATIENT", "REGISTRATION", "FACE", "SHEET", "PROGRESS", "NOTE", "OFFICE", "VISIT", "MEDICATION", "LIST",
    "CURRENT", "MEDICATIONS", "IMMUNIZATION", "RECORD", "VACCINATION", "HISTORY", "Patient", "Name:", "Name",
    "MRN:", "MRN", "Med", "Rec", "#", "Date", "of", "Birth:", "DOB:", "D.O.B.", "Sex:", "F", "M", "Male",
    "Address:", "1428", "Elm", "Street,", "Springfield,", "IL", "62704", "City,", "State", "ZIP", "Phone:",
    "(217)", "555-0142", "Allergies:", "NKDA", "Penicillin", "(rash);", "Insurance:", "Member", "ID:", "Group",
    "No.", "Date:", "Provider:", "NPI:", "1234567893", "Diagnosis:", "Dx:", "250.00", "E11.9", "Diabetes",
    "BP:", "128/82", "Pulse:", "76", "Temp:", "98.4", "Weight:", "171", "lbs", "Signed:", "Electronically",
    "signed", "by", "John", "R.", "Miller,", "MD", "THOMPSON,", "MARGARET", "A", "00482913", "03/14/1952",
    "11/02/1998", "March", "14,", "1952", "14-MAR-1952", "Drug", "Dose", "Route", "Frequency", "Start",
    "Metformin", "500", "mg", "PO", "BID", "Vaccine", "CVX", "Given", "Lot", "Influenza", "141", "U2233AA",
    ":", "|", "-", "", " ",
];

#[derive(Debug, arbitrary::Arbitrary)]
enum Text<'a> {
    Known(u8),
    Raw(&'a str),
}

/// Where a word stands: mostly on a grid of lines and columns, so that
/// words form rows and labels meet their values; sometimes anywhere.
#[derive(Debug, arbitrary::Arbitrary)]
enum Pos {
    Grid { line: u8, col: u8, dx: i8, dy: i8 },
    Free { x: u16, y: u16 },
}

impl Pos {
    fn xy(&self) -> (u32, u32) {
        match *self {
            Pos::Grid { line, col, dx, dy } => (
                (i64::from(col % 12) * 140 + 100 + i64::from(dx)).max(0) as u32,
                (i64::from(line % 40) * 55 + 100 + i64::from(dy / 8)).max(0) as u32,
            ),
            Pos::Free { x, y } => (u32::from(x), u32::from(y)),
        }
    }
}

#[derive(Debug, arbitrary::Arbitrary)]
struct FuzzWord<'a> {
    text: Text<'a>,
    pos: Pos,
    w: u8,
    h: u8,
    conf: u8,
    block: u8,
    par: u8,
    line: u8,
}

#[derive(Debug, arbitrary::Arbitrary)]
struct FuzzPage<'a> {
    width: u16,
    height: u16,
    dpi: u16,
    rotation: u8,
    skew: i8,
    ink: u8,
    words: Vec<FuzzWord<'a>>,
}

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(Pipeline::default_pipeline)
}

fuzz_target!(|pages: Vec<FuzzPage<'_>>| {
    let pipeline = pipeline();
    let ctx = Context { today: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() };
    let mut extracted = Vec::new();
    for (i, p) in pages.iter().take(3).enumerate() {
        let words = p
            .words
            .iter()
            .take(400)
            .map(|w| Word {
                bbox: {
                    let (x, y) = w.pos.xy();
                    BBox { x, y, w: u32::from(w.w), h: u32::from(w.h) }
                },
                text: match w.text {
                    Text::Known(k) => KNOWN[usize::from(k) % KNOWN.len()].to_string(),
                    Text::Raw(s) => s.to_string(),
                },
                conf: f32::from(w.conf),
                block: u32::from(w.block),
                par: u32::from(w.par),
                line: u32::from(w.line),
            })
            .collect();
        let ocr = OcrPage { width: u32::from(p.width), height: u32::from(p.height), dpi: u32::from(p.dpi), words };
        let at = PageRef { page: i as u32 + 1, file: "box/chart/page.png".into(), file_page: 0 };
        let facts = PageFacts { rotation: u32::from(p.rotation % 4) * 90, skew: f32::from(p.skew) / 10.0, ink_fraction: f32::from(p.ink) / 255.0 };
        extracted.push(extract::extract_page(pipeline, at, &ocr, facts, &ctx));
    }
    let chart = extract::assemble_chart(pipeline, extracted);
    let _flags = validate::validate(&validate::ChartInput {
        pipeline,
        pages: &chart.pages,
        values: &chart.values,
        header: &chart.header,
        records: &chart.records,
        today: ctx.today,
    });
    let _doc = extract::document::build(pipeline, &chart.records, &chart.values);
});

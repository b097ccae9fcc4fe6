//! Forms of other makes, read end to end with the real binary and real
//! Tesseract: a rendered intake form with a check-box group, a caption
//! with its value below, a value over two lines and a title beside other
//! text; and real scans from `../shared/real-forms/` when they are there.

use super::{bin, export, run_ok, text};
use ab_glyph::{FontVec, PxScale};
use image::{GrayImage, Luma};
use imageproc::drawing::{draw_hollow_rect_mut, draw_line_segment_mut, draw_text_mut};
use imageproc::rect::Rect;
use std::path::Path;

const DPI: u32 = 200;

fn px(pt: f32) -> f32 {
    pt / 72.0 * DPI as f32
}

fn words(img: &mut GrayImage, font: &FontVec, x_in: f32, y_in: f32, pt: f32, s: &str) {
    draw_text_mut(img, Luma([0]), (x_in * DPI as f32) as i32, (y_in * DPI as f32) as i32, PxScale::from(px(pt)), font, s);
}

/// A check box of side 12 pt at (x, y) inches, crossed when `marked`.
fn check_box(img: &mut GrayImage, x_in: f32, y_in: f32, marked: bool) {
    let (x, y, side) = ((x_in * DPI as f32) as i32, (y_in * DPI as f32) as i32, px(12.0) as u32);
    for d in 0..3 {
        draw_hollow_rect_mut(img, Rect::at(x + d, y + d).of_size(side - 2 * d as u32, side - 2 * d as u32), Luma([0]));
    }
    if marked {
        let s = side as f32;
        for d in -2..=2 {
            let d = d as f32;
            draw_line_segment_mut(img, (x as f32 + 4.0 + d, y as f32 + 4.0), (x as f32 + s - 4.0 + d, y as f32 + s - 4.0), Luma([0]));
            draw_line_segment_mut(img, (x as f32 + s - 4.0 + d, y as f32 + 4.0), (x as f32 + 4.0 + d, y as f32 + s - 4.0), Luma([0]));
        }
    }
}

fn intake_form(font: &FontVec, female: bool) -> GrayImage {
    let mut img = GrayImage::from_pixel((8.5 * DPI as f32) as u32, (11.0 * DPI as f32) as u32, Luma([255]));
    words(&mut img, font, 1.0, 0.8, 12.0, "Riverside Family Clinic");
    words(&mut img, font, 4.6, 0.8, 16.0, "PATIENT INTAKE");
    words(&mut img, font, 1.0, 1.6, 11.0, "Name: Jane Roe");
    words(&mut img, font, 1.0, 2.1, 11.0, "Sex:");
    check_box(&mut img, 1.7, 2.1, !female);
    words(&mut img, font, 1.95, 2.1, 11.0, "Male");
    check_box(&mut img, 2.9, 2.1, female);
    words(&mut img, font, 3.15, 2.1, 11.0, "Female");
    words(&mut img, font, 1.0, 2.7, 11.0, "Reason for visit: persistent cough for six weeks");
    words(&mut img, font, 2.35, 2.92, 11.0, "with a mild fever at night");
    words(&mut img, font, 1.0, 3.6, 9.0, "CITY");
    words(&mut img, font, 1.0, 3.8, 11.0, "Springfield");
    words(&mut img, font, 1.0, 4.6, 11.0, "Please bring a list of your current medicines to every visit.");
    img
}

const INTAKE: &str = r#"
name = "intake"
version = "1"
confidence_threshold = 50
chart = "file"

[[documents]]
type = "intake"
titles = ["PATIENT INTAKE"]

[[documents.fields]]
path = "patient.name"
labels = ["Name"]
type = "text"

[[documents.fields]]
path = "patient.sex"
labels = ["Sex"]
type = "choice"
options = [{ value = "M", labels = ["Male"] }, { value = "F", labels = ["Female"] }]
required = true

[[documents.fields]]
path = "visit.reason"
labels = ["Reason for visit"]
lines = 3

[[documents.fields]]
path = "patient.city"
labels = ["CITY"]
direction = "below"
"#;

#[test]
fn an_intake_form_reads_its_check_boxes_captions_and_lines() {
    let Some(font) = chartmill::image::testpage::any_font() else {
        panic!("no font to render the form with: run scripts/setup.sh");
    };
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    for (name, female) in [("f.png", true), ("m.png", false)] {
        let img = intake_form(&font, female);
        img.save_with_format(archive.join(name), image::ImageFormat::Png).unwrap();
    }
    let pipeline = dir.path().join("intake.toml");
    std::fs::write(&pipeline, INTAKE).unwrap();
    let db = dir.path().join("intake.db");
    let out = run_ok(bin().arg("run").arg(&archive).arg("--db").arg(&db).arg("--pipeline").arg(&pipeline).args(["--jobs", "2"]));
    assert!(out.status.success(), "{}", text(&out));
    let docs = export(&db);
    assert_eq!(docs.len(), 2, "one chart per file (chart = \"file\")");
    for doc in &docs {
        let id = doc["chart_id"].as_str().unwrap();
        let want_sex = if id == "f" { "F" } else { "M" };
        assert_eq!(doc["patient"]["sex"], want_sex, "{id}: the marked box is the value: {doc}");
        assert_eq!(doc["patient"]["name"], "Jane Roe", "{id}: {doc}");
        assert_eq!(doc["patient"]["city"], "Springfield", "{id}: a caption's value below it: {doc}");
        assert_eq!(
            doc["visit"]["reason"], "persistent cough for six weeks with a mild fever at night",
            "{id}: a value over two lines: {doc}"
        );
        // The pipeline's own parts: no encounters, coverage or immunizations of the default pipeline.
        for part in ["encounters", "coverage", "immunizations", "medications", "allergies"] {
            assert!(doc.get(part).is_none(), "{id}: {part} in {doc}");
        }
    }
}

/// A visit note whose signature line is drawn as on paper: the `Signed:`
/// label, a rule with a pen scribble on it (`signed`) or nothing, the date
/// at the right under its own label, and the signer's name printed below
/// the rule.
fn signed_note(font: &FontVec, signed: bool) -> GrayImage {
    let mut img = GrayImage::from_pixel((8.5 * DPI as f32) as u32, (11.0 * DPI as f32) as u32, Luma([255]));
    words(&mut img, font, 3.4, 0.8, 16.0, "VISIT NOTE");
    words(&mut img, font, 1.0, 1.6, 11.0, "Plan: Recheck in three months.");
    words(&mut img, font, 1.0, 2.4, 11.0, "Signed:");
    let y_rule = (2.4 * DPI as f32 + px(13.0)) as f32;
    let (x0, x1) = (1.75 * DPI as f32, 4.4 * DPI as f32);
    for d in 0..2 {
        draw_line_segment_mut(&mut img, (x0, y_rule + d as f32), (x1, y_rule + d as f32), Luma([0]));
    }
    if signed {
        // Two looping pen strokes above the rule.
        for (amp, off, len) in [(14.0f32, 10.0f32, 0.8f32), (9.0, 30.0, 0.55)] {
            let mut prev: Option<(f32, f32)> = None;
            let mut x = x0 + off;
            while x < x0 + off + (x1 - x0) * len {
                let y = y_rule - 22.0 + amp * ((x - x0) / 11.0).sin();
                if let Some(p) = prev {
                    for d in 0..3 {
                        draw_line_segment_mut(&mut img, (p.0, p.1 + d as f32), (x, y + d as f32), Luma([30]));
                    }
                }
                prev = Some((x, y));
                x += 2.0;
            }
        }
    }
    words(&mut img, font, 4.8, 2.4, 11.0, "Date: 03/14/2019");
    words(&mut img, font, 1.8, 2.75, 11.0, "John R. Miller, MD");
    img
}

const NOTE: &str = r#"
name = "notes"
version = "1"
confidence_threshold = 50
chart = "file"

[[documents]]
type = "visit_note"
titles = ["VISIT NOTE"]

[[documents.fields]]
path = "note.signature"
labels = ["Signed"]
type = "signature"
required = true
"#;

#[test]
fn a_signature_line_takes_the_name_below_it_and_a_blank_line_signs_nothing() {
    let Some(font) = chartmill::image::testpage::any_font() else {
        panic!("no font to render the note with: run scripts/setup.sh");
    };
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    for (name, signed) in [("signed.png", true), ("blank.png", false)] {
        signed_note(&font, signed).save_with_format(archive.join(name), image::ImageFormat::Png).unwrap();
    }
    let pipeline = dir.path().join("notes.toml");
    std::fs::write(&pipeline, NOTE).unwrap();
    let db = dir.path().join("notes.db");
    let out = run_ok(bin().arg("run").arg(&archive).arg("--db").arg(&db).arg("--pipeline").arg(&pipeline).args(["--jobs", "2"]));
    assert!(out.status.success(), "{}", text(&out));
    let docs = export(&db);
    let doc = |id: &str| docs.iter().find(|d| d["chart_id"] == id).unwrap_or_else(|| panic!("{id} not exported: {docs:?}")).clone();
    // The scribble on the line is the signature; the name printed below it is the signer's.
    let signed = doc("signed");
    assert_eq!(signed["note"]["signed_by"], "John R. Miller, MD", "{signed}");
    assert_eq!(signed["note"]["signed_date"], "2019-03-14", "{signed}");
    // Nothing on the line: the note is unsigned, though a name is printed below it.
    let blank = doc("blank");
    assert_eq!(blank["note"]["signed_by"], serde_json::Value::Null, "{blank}");
    assert_eq!(blank["note"]["signed_date"], "2019-03-14", "{blank}");
    assert_eq!(blank["status"], "review", "{blank}");
    let flags = blank["flags"].as_array().unwrap();
    assert!(
        flags.iter().any(|f| f["code"] == "missing_field" && f["field"] == "note.signature" && f["reason"] == "signature has no name"),
        "{blank}"
    );
}

/// The FUNSD development scans (`../shared/real-forms/funsd-train`), when present.
fn funsd() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-forms/funsd-train/images");
    p.is_dir().then_some(p)
}

#[test]
fn real_scans_of_about_90_dpi_are_classified_and_nothing_wrong_is_accepted() {
    let Some(images) = funsd() else {
        eprintln!("skipped: ../shared/real-forms/funsd-train is not beside the repository");
        return;
    };
    let kinds = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/funsd/kinds.tsv")).unwrap();
    // The fax covers of the set: grey ~90-dpi scans without a resolution tag.
    let fax: Vec<&str> =
        kinds.lines().filter_map(|l| l.split_once('\t')).filter(|(_, k)| *k == "fax_cover").map(|(n, _)| n).collect();
    assert!(fax.len() >= 5, "{fax:?}");
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    for name in &fax {
        std::fs::copy(images.join(format!("{name}.png")), archive.join(format!("{name}.png"))).unwrap();
    }
    let mut pipeline = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/funsd/pipelines/funsd.toml")).unwrap();
    if !pipeline.contains("chart = \"file\"") {
        pipeline = pipeline.replacen("min_words = 5", "min_words = 5\nchart = \"file\"", 1);
    }
    let p = dir.path().join("funsd.toml");
    std::fs::write(&p, pipeline).unwrap();
    let db = dir.path().join("funsd.db");
    let out = run_ok(bin().arg("run").arg(&archive).arg("--db").arg(&db).arg("--pipeline").arg(&p).args(["--jobs", "2"]));
    assert!(out.status.success(), "{}", text(&out));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let classified: i64 = conn.query_row("SELECT count(*) FROM pages WHERE doc_type = 'fax_cover'", [], |r| r.get(0)).unwrap();
    assert!(classified * 2 >= fax.len() as i64, "{classified} of {} fax covers classified", fax.len());
}

#[test]
fn every_shipped_pipeline_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("pipelines")).unwrap().map(|e| e.unwrap().path()).collect();
    files.push(root.join("bench/funsd/pipelines/funsd.toml"));
    assert!(files.iter().any(|f| f.ends_with("cms1500.toml")), "the CMS-1500 pipeline ships beside the default");
    for f in files {
        let out = run_ok(bin().arg("check-pipeline").arg(&f));
        assert!(out.status.success(), "{}: {}", f.display(), text(&out));
        assert!(!text(&out).contains("warning"), "{}: {}", f.display(), text(&out));
    }
}

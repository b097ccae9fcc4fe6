//! The pipeline's locators and classification constructs, on laid-out words.

use super::tests_support::*;
use crate::pipeline::Pipeline;

fn pipeline(docs: &str) -> Pipeline {
    let text = format!("name = \"t\"\nversion = \"1\"\nconfidence_threshold = 50\n{docs}");
    Pipeline::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{:?}", e.errors))
}

fn run_with(p: &Pipeline, lines: &[(u32, u32, &str)]) -> PageExtract {
    let ctx = normalize::Context { today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap() };
    extract_page(p, PageRef { page: 1, file: "a.tif".into(), file_page: 0 }, &page(lines), PageFacts::default(), &ctx)
}

fn get(x: &PageExtract, path: &str) -> Option<String> {
    x.fields.iter().find(|v| v.path == path).and_then(|v| v.value.as_ref()).map(|v| v.to_string())
}

fn error(x: &PageExtract, path: &str) -> Option<String> {
    x.fields.iter().find(|v| v.path == path).and_then(|v| v.error.clone())
}

const FAX: &str = r#"
[[documents]]
type = "fax_cover"
titles = ["FAX COVER SHEET", "FAX"]
[[documents.fields]]
path = "fax.to"
labels = ["To"]
[[documents.fields]]
path = "fax.subject"
labels = ["Subject", "Re"]
"#;

#[test]
fn a_title_sharing_its_line_with_other_text_is_found() {
    let p = pipeline(FAX);
    let x = run_with(&p, &[(100, 100, "ACME TOBACCO CO."), (900, 100, "FAX COVER SHEET"), (100, 300, "To: J. Smith")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("fax_cover"));
    // The title and a date stamp in one phrase.
    let x = run_with(&p, &[(100, 100, "FAX COVER SHEET 10/12/94"), (100, 300, "To: J. Smith")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("fax_cover"));
    assert_eq!(get(&x, "fax.to").as_deref(), Some("J. Smith"));
}

#[test]
fn a_title_with_the_slips_labels_allow_is_exact() {
    let p = pipeline(FAX);
    let x = run_with(&p, &[(900, 100, "FAX C0VER SHEET"), (100, 300, "To: J. Smith"), (100, 400, "Please call back today")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("fax_cover"));
}

#[test]
fn a_title_on_two_lines_is_found() {
    let p = pipeline(FAX);
    let x = run_with(&p, &[(900, 100, "FAX COVER"), (900, 135, "SHEET"), (100, 300, "To: J. Smith")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("fax_cover"));
}

#[test]
fn a_short_title_matches_when_it_stands_alone() {
    let p = pipeline(FAX);
    let x = run_with(&p, &[(900, 100, "FAX"), (100, 300, "To: J. Smith"), (100, 400, "Please call back today")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("fax_cover"));
    // Inside a sentence it is no title.
    let x = run_with(&p, &[(100, 100, "Please fax this back"), (100, 300, "To: J. Smith"), (100, 400, "Please call back today")]);
    assert_eq!(x.info.doc_type, None);
}

#[test]
fn a_subject_line_ending_in_a_title_keeps_its_value() {
    let p = pipeline(FAX);
    let x = run_with(&p, &[(900, 100, "FAX COVER SHEET"), (100, 300, "Re: new fax cover sheet")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("fax_cover"));
    assert_eq!(get(&x, "fax.subject").as_deref(), Some("new fax cover sheet"));
}

#[test]
fn keywords_classify_pages_without_a_title_and_exclude_others() {
    let p = pipeline(
        r#"
[[documents]]
type = "lab_report"
keywords = ["specimen", "result"]
not_keywords = ["invoice"]
[[documents.fields]]
path = "lab.specimen"
labels = ["Specimen"]
[[documents]]
type = "claim_back"
titles = ["READ CAREFULLY"]
ignore = true
"#,
    );
    let x = run_with(&p, &[(100, 100, "Specimen: urine"), (100, 200, "Result: negative"), (100, 300, "Collected this morning")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("lab_report"));
    assert_eq!(get(&x, "lab.specimen").as_deref(), Some("urine"));
    let x = run_with(&p, &[(100, 100, "Specimen: urine"), (100, 200, "Result: negative"), (100, 300, "Invoice 42 this morning")]);
    assert_eq!(x.info.doc_type, None);
    let x = run_with(&p, &[(900, 100, "READ CAREFULLY"), (100, 300, "Specimen: urine result")]);
    assert_eq!(x.info.doc_type.as_deref(), Some("claim_back"));
    assert!(x.fields.is_empty(), "an ignored page is read for nothing");
}

#[test]
fn directions_occurrences_and_zones() {
    let p = pipeline(
        r#"
[[documents]]
type = "claim"
titles = ["HEALTH INSURANCE CLAIM FORM"]
[[documents.fields]]
path = "patient.city"
labels = ["CITY"]
direction = "below"
[[documents.fields]]
path = "insured.city"
labels = ["CITY"]
direction = "below"
occurrence = 2
[[documents.fields]]
path = "physician.signature_name"
labels = ["Signature of Physician"]
direction = "above"
[[documents.fields]]
path = "claim.total"
labels = ["TOTAL"]
direction = "left"
type = "money"
[[documents.fields]]
path = "claim.number"
labels = ["CLAIM NO"]
direction = "right"
[[documents.fields]]
path = "claim.office"
labels = ["OFFICE"]
zone = [0.5, 0.0, 1.0, 1.0]
"#,
    );
    let x = run_with(
        &p,
        &[
            (900, 100, "HEALTH INSURANCE CLAIM FORM"),
            (100, 300, "CITY"),
            (1300, 300, "CITY"),
            (100, 340, "Springfield"),
            (1300, 340, "Shelbyville"),
            (100, 600, "OFFICE: north"),
            (1300, 600, "OFFICE: south"),
            (100, 800, "Dr. A. Jones"),
            (100, 840, "Signature of Physician"),
            (100, 1000, "$1,250.00 TOTAL"),
            (100, 1200, "CLAIM NO"),
            (900, 1200, "88-123"),
        ],
    );
    assert_eq!(get(&x, "patient.city").as_deref(), Some("Springfield"));
    assert_eq!(get(&x, "insured.city").as_deref(), Some("Shelbyville"));
    assert_eq!(get(&x, "physician.signature_name").as_deref(), Some("Dr. A. Jones"));
    assert_eq!(get(&x, "claim.total").as_deref(), Some("1250.00"));
    assert_eq!(get(&x, "claim.number").as_deref(), Some("88-123"), "a caption's value far right of it");
    assert_eq!(get(&x, "claim.office").as_deref(), Some("south"), "only the label inside the zone counts");
}

#[test]
fn multi_line_values_patterns_and_lengths() {
    let p = pipeline(
        r#"
[[documents]]
type = "letter"
titles = ["REFERRAL LETTER"]
[[documents.fields]]
path = "letter.reason"
labels = ["Reason"]
lines = 3
[[documents.fields]]
path = "letter.lot"
pattern = "LOT [A-Z0-9]{5,}"
zone = [0.0, 0.5, 1.0, 1.0]
[[documents.fields]]
path = "letter.code"
labels = ["Code"]
pattern = "^[A-Z]{2}-[0-9]{3}$"
[[documents.fields]]
path = "letter.initials"
labels = ["Initials"]
max_length = 3
"#,
    );
    let x = run_with(
        &p,
        &[
            (900, 100, "REFERRAL LETTER"),
            (100, 300, "Reason: persistent cough"),
            (250, 335, "for six weeks,"),
            (250, 370, "no fever"),
            (100, 450, "Code: AB-12"),
            (100, 520, "Initials: JQPX"),
            (100, 2000, "sticker LOT X12345 exp 2027"),
        ],
    );
    assert_eq!(get(&x, "letter.reason").as_deref(), Some("persistent cough for six weeks, no fever"));
    assert_eq!(get(&x, "letter.lot").as_deref(), Some("LOT X12345"));
    assert_eq!(error(&x, "letter.code").as_deref(), Some(NOT_THE_PATTERN));
    assert!(error(&x, "letter.initials").is_some_and(|e| e.contains("3 characters")));
}

#[test]
fn an_option_group_finds_its_options_and_their_boxes() {
    let p = pipeline(
        r#"
[[documents]]
type = "intake"
titles = ["PATIENT INTAKE"]
[[documents.fields]]
path = "patient.sex"
labels = ["Sex"]
type = "choice"
options = [{ value = "M", labels = ["M", "Male"] }, { value = "F", labels = ["F", "Female"] }]
"#,
    );
    let x = run_with(&p, &[(900, 100, "PATIENT INTAKE"), (100, 300, "Sex:"), (300, 300, "Male"), (600, 300, "Female")]);
    assert_eq!(x.marks.len(), 1);
    let g = &x.marks[0];
    assert_eq!(g.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["M", "F"]);
    assert_eq!(g.regions().len(), 4);
    let [left, _] = g.options[0].boxes;
    assert!(left.right() <= 300, "the box left of `Male` ends before it");
    // With no crops, the group is not guessed.
    let mut x = x;
    decide_marks(&mut x, &[]);
    assert_eq!(get(&x, "patient.sex"), None);
    assert!(error(&x, "patient.sex").is_some());
}

#[test]
fn numbered_captions_of_a_claim_form_are_labels() {
    assert!(is_box_number("2.") && is_box_number("11a.") && is_box_number("a.") && is_box_number("(3)"));
    assert!(!is_box_number("Dr.") && !is_box_number("123.") && !is_box_number("No."));
    let p = pipeline(
        r#"
[[documents]]
type = "claim"
titles = ["HEALTH INSURANCE CLAIM FORM"]
[[documents.fields]]
path = "claim.account"
labels = ["PATIENT'S ACCOUNT NO"]
direction = "below"
"#,
    );
    let x = run_with(&p, &[(900, 100, "HEALTH INSURANCE CLAIM FORM"), (100, 300, "26. PATIENT'S ACCOUNT NO."), (130, 340, "A-77812"), (100, 500, "Please keep this form for your records")]);
    assert_eq!(get(&x, "claim.account").as_deref(), Some("A-77812"));
}

#[test]
fn a_label_followed_only_by_a_mark_takes_its_value_from_below() {
    // A boxed form's caption row `Insurance ID # -`, the values below it.
    let p = pipeline(
        r#"
[[documents]]
type = "face_sheet"
titles = ["PATIENT FACE SHEET"]
[[documents.fields]]
path = "coverage.member_id"
labels = ["Insurance ID #", "Member ID"]
type = "identifier"
[[documents.fields]]
path = "coverage.group"
labels = ["Group"]
type = "identifier"
"#,
    );
    let x = run_with(
        &p,
        &[(700, 100, "PATIENT FACE SHEET"), (300, 400, "Insurance ID # -"), (1000, 400, "Group"), (310, 450, "U75619717"), (1010, 450, "6550548")],
    );
    assert_eq!(get(&x, "coverage.member_id").as_deref(), Some("U75619717"));
    assert_eq!(get(&x, "coverage.group").as_deref(), Some("6550548"));
}

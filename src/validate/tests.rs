//! Validation tests: a good chart built by hand raises no flag; each case
//! changes it a little and lists the flags expected (`code field @page`).

use super::*;
use crate::model::{BBox, PageRef, Provenance, Value};
use crate::normalize::{normalize, Context, Normalized};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
}

/// A chart under construction, in the shape the extractor hands over.
struct Chart {
    pipeline: Pipeline,
    pages: Vec<PageInfo>,
    values: Vec<FieldValue>,
    header: Vec<FieldValue>,
    records: Vec<RecordRef>,
    docs: Vec<(String, usize)>,
    rows: Vec<(String, usize)>,
}

/// Values as the extractor makes them: normalise `raw` for the field at `path`.
fn read(path: &str, kind: ValueType, raw: &str, page: u32, conf: f32) -> Vec<FieldValue> {
    let prov = Provenance { page, file: "chart.tif".into(), file_page: page - 1, bbox: BBox::default(), conf, reads: Vec::new() };
    let fv = |p: String, value: Option<Value>, error: Option<String>| FieldValue {
        path: p,
        field: path.to_string(),
        value,
        kind,
        raw: raw.to_string(),
        error,
        prov: prov.clone(),
    };
    let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
    match normalize(kind, raw, &Context { today: today() }) {
        Err(e) => vec![fv(path.to_string(), None, Some(e))],
        Ok(Normalized::Scalar(v)) => vec![fv(path.to_string(), Some(v), None)],
        Ok(Normalized::Parts(parts)) => {
            let base = if matches!(kind, ValueType::PersonName | ValueType::Signature) { parent } else { path };
            parts.into_iter().map(|(k, v)| fv(format!("{base}.{k}"), Some(v), None)).collect()
        }
        Ok(Normalized::List(items)) if items.is_empty() => vec![fv(path.to_string(), Some(Value::Text(String::new())), None)],
        Ok(Normalized::List(items)) => items
            .into_iter()
            .enumerate()
            .flat_map(|(i, item)| item.into_iter().map(move |(k, v)| (i, k, v)))
            .map(|(i, k, v)| fv(format!("{path}[{i}].{k}"), Some(v), None))
            .collect(),
    }
}

impl Chart {
    fn new() -> Chart {
        Chart {
            pipeline: Pipeline::default_pipeline(),
            pages: Vec::new(),
            values: Vec::new(),
            header: Vec::new(),
            records: Vec::new(),
            docs: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn page(&mut self, status: PageStatus, doc_type: Option<&str>) -> u32 {
        let page = self.pages.len() as u32 + 1;
        self.pages.push(PageInfo {
            at: PageRef { page, file: "chart.tif".into(), file_page: page - 1 },
            doc_type: doc_type.map(str::to_string),
            status,
            rotation: 0,
            skew: 0.0,
            words: 100,
            mean_conf: 90.0,
        });
        page
    }

    /// A document page with its label and its fields (`[]` filled in).
    fn doc(&mut self, doc_type: &str, label: (&str, &str, &str), fields: &[(&str, ValueType, &str)]) -> u32 {
        let page = self.page(PageStatus::Read, Some(doc_type));
        let index = self.docs.iter().filter(|(d, _)| d == doc_type).count();
        self.docs.push((doc_type.to_string(), index));
        self.records.push(RecordRef { doc_type: doc_type.into(), page, kind: RecordKind::Document { index } });
        self.label(page, label);
        for (path, kind, raw) in fields {
            let path = path.replacen("[]", &format!("[{index}]"), 1);
            self.values.extend(read(&path, *kind, raw, page, 90.0));
        }
        page
    }

    fn label(&mut self, page: u32, (name, mrn, dob): (&str, &str, &str)) {
        for (path, kind, raw) in
            [("patient.name", ValueType::PersonName, name), ("patient.mrn", ValueType::Identifier, mrn), ("patient.dob", ValueType::BirthDate, dob)]
        {
            if !raw.is_empty() {
                self.header.extend(read(path, kind, raw, page, 90.0));
            }
        }
    }

    /// A table row on `page`: cells by column key.
    fn row(&mut self, page: u32, table: &str, doc_type: &str, cells: &[(&str, ValueType, &str)]) {
        let index = self.rows.iter().filter(|(t, _)| t == table).count();
        self.rows.push((table.to_string(), index));
        self.records.push(RecordRef { doc_type: doc_type.into(), page, kind: RecordKind::TableRow { table: 0, index } });
        for (key, kind, raw) in cells {
            self.values.extend(read(&format!("{table}[{index}].{key}"), *kind, raw, page, 90.0));
        }
    }

    fn set_conf(&mut self, field: &str, conf: f32) {
        self.values.iter_mut().filter(|v| v.field == field).for_each(|v| v.prov.conf = conf);
    }

    fn remove(&mut self, field: &str) {
        self.values.retain(|v| v.field != field);
    }

    fn flags(&self) -> Vec<Flag> {
        validate(&ChartInput {
            pipeline: &self.pipeline,
            pages: &self.pages,
            values: &self.values,
            header: &self.header,
            records: &self.records,
            today: today(),
        })
    }
}

const LABEL: (&str, &str, &str) = ("THOMPSON, MARGARET A", "00482913", "03/14/1952");

/// The chart of the spec's example: face sheet, progress note, medications,
/// immunizations, a blank page.
fn good_with(face: &[(&str, ValueType, &str)], note: &[(&str, ValueType, &str)]) -> Chart {
    let mut c = Chart::new();
    let mut face_fields: Vec<(&str, ValueType, &str)> = vec![
        ("patient.name", ValueType::PersonName, "THOMPSON, MARGARET A"),
        ("patient.mrn", ValueType::Identifier, "00482913"),
        ("patient.dob", ValueType::BirthDate, "03/14/1952"),
        ("patient.sex", ValueType::Sex, "F"),
        ("patient.address", ValueType::Address, "1428 Elm Street, Springfield, IL 62704"),
        ("patient.phone", ValueType::Phone, "(217) 555-0142"),
        ("allergies", ValueType::Allergies, "Penicillin (rash)"),
    ];
    let mut note_fields: Vec<(&str, ValueType, &str)> = vec![
        ("encounters[].date", ValueType::Date, "11/02/1998"),
        ("encounters[].provider", ValueType::ProviderName, "John R. Miller, MD"),
        ("encounters[].npi", ValueType::Npi, "1234567893"),
        ("encounters[].vitals.bp", ValueType::BloodPressure, "128/82"),
        ("encounters[].diagnoses", ValueType::Diagnoses, "250.00 Diabetes mellitus type II"),
        ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 11/02/1998"),
    ];
    for (path, kind, raw) in face {
        face_fields.retain(|(p, _, _)| p != path);
        face_fields.push((path, *kind, raw));
    }
    for (path, kind, raw) in note {
        note_fields.retain(|(p, _, _)| p != path);
        note_fields.push((path, *kind, raw));
    }
    c.doc("face_sheet", LABEL, &face_fields);
    c.doc("progress_note", LABEL, &note_fields);
    let meds = c.doc("medication_list", LABEL, &[]);
    c.row(meds, "medications", "medication_list", &[("name", ValueType::Text, "Metformin"), ("dose", ValueType::Text, "500 mg")]);
    let imm = c.doc("immunization_record", LABEL, &[]);
    c.row(
        imm,
        "immunizations",
        "immunization_record",
        &[
            ("vaccine", ValueType::Text, "Influenza"),
            ("cvx", ValueType::Cvx, "141"),
            ("date", ValueType::Date, "10/15/1998"),
            ("lot", ValueType::Lot, "U2233AA"),
        ],
    );
    c.page(PageStatus::Blank, None);
    c
}

fn good() -> Chart {
    good_with(&[], &[])
}

fn render(flags: &[Flag]) -> Vec<String> {
    flags
        .iter()
        .map(|f| {
            let page = f.page.map_or("-".to_string(), |p| p.to_string());
            format!("{} {} @{}", f.code, f.field.as_deref().unwrap_or("-"), page)
        })
        .collect()
}

fn check(chart: &Chart, expected: &[&str]) {
    let flags = chart.flags();
    let got = render(&flags);
    assert_eq!(got, expected, "\nflags: {flags:#?}");
    for f in &flags {
        assert!(!f.reason.is_empty() && !f.reason.ends_with('.'), "{f:?}");
        for secret in ["Thompson", "THOMPSON", "00482913", "1952", "1234567"] {
            assert!(!f.reason.contains(secret), "reason quotes a value: {f:?}");
        }
    }
}

fn reason_of(chart: &Chart, code: FlagCode) -> String {
    chart.flags().into_iter().find(|f| f.code == code).map(|f| f.reason).unwrap_or_default()
}

#[test]
fn good_chart_has_no_flag() {
    check(&good(), &[]);
}

#[test]
fn nkda_is_a_value() {
    check(&good_with(&[("allergies", ValueType::Allergies, "NKDA")], &[]), &[]);
}

// ------------------------------------------------------------------ missing_field

#[test]
fn missing_patient_fields() {
    let mut c = good();
    c.remove("patient.dob");
    c.remove("patient.sex");
    check(&c, &["missing_field patient.dob @1", "missing_field patient.sex @1"]);
}

#[test]
fn header_does_not_stand_in_for_the_face_sheet() {
    // The label carries the name on every page, but the face sheet lacks it: flagged once.
    let mut c = good();
    c.remove("patient.name");
    check(&c, &["missing_field patient.name @1"]);
}

#[test]
fn chart_without_face_sheet() {
    let mut c = Chart::new();
    c.doc(
        "progress_note",
        LABEL,
        &[
            ("encounters[].date", ValueType::Date, "11/02/1998"),
            ("encounters[].provider", ValueType::ProviderName, "John R. Miller, MD"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 11/02/1998"),
        ],
    );
    check(
        &c,
        &[
            "missing_field patient.dob @-",
            "missing_field patient.mrn @-",
            "missing_field patient.name @-",
            "missing_field patient.sex @-",
        ],
    );
    assert!(reason_of(&c, FlagCode::MissingField).contains("no face sheet page"));
}

#[test]
fn required_when_present_is_not_asked_of_a_chart_without_its_page() {
    let mut c = Chart::new();
    c.doc(
        "progress_note",
        LABEL,
        &[
            ("encounters[].date", ValueType::Date, "11/02/1998"),
            ("encounters[].provider", ValueType::ProviderName, "John R. Miller, MD"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 11/02/1998"),
        ],
    );
    let text = crate::pipeline::DEFAULT_PIPELINE.replace("required = true\n", "required = \"when_present\"\n");
    c.pipeline = Pipeline::parse(&text, "when_present.toml").unwrap();
    check(&c, &[]);
    // On a chart with the page, the field is asked for on it.
    let mut c = good();
    c.pipeline = Pipeline::parse(&text, "when_present.toml").unwrap();
    c.remove("patient.sex");
    check(&c, &["missing_field patient.sex @1"]);
}

#[test]
fn empty_text_and_blank_raw_count_as_missing() {
    let mut c = good();
    for v in c.values.iter_mut().filter(|v| v.field == "patient.sex") {
        v.value = Some(Value::Text("  ".into()));
    }
    check(&c, &["missing_field patient.sex @1"]);

    let c = good_with(&[("patient.mrn", ValueType::Identifier, " ___ ")], &[]);
    check(&c, &["missing_field patient.mrn @1"]);
}

#[test]
fn missing_per_encounter() {
    let mut c = good();
    c.doc("progress_note", LABEL, &[("encounters[].date", ValueType::Date, "01/05/1999")]);
    check(&c, &["missing_field encounters[1].provider @6", "missing_field encounters[1].signature @6"]);
}

#[test]
fn unsigned_or_undated_signature() {
    let c = good_with(&[], &[("encounters[].signature", ValueType::Signature, "John R. Miller, MD")]);
    check(&c, &["missing_field encounters[0].signature @2"]);
    assert_eq!(reason_of(&c, FlagCode::MissingField), "signature has no date");

    let c = good_with(&[], &[("encounters[].signature", ValueType::Signature, "11/02/1998")]);
    check(&c, &["missing_field encounters[0].signature @2"]);
    assert_eq!(reason_of(&c, FlagCode::MissingField), "signature has no name");
}

#[test]
fn name_without_given_name() {
    let c = good_with(&[("patient.name", ValueType::PersonName, "THOMPSON")], &[]);
    check(&c, &["missing_field patient.name @1"]);
    assert_eq!(reason_of(&c, FlagCode::MissingField), "given name is missing");
}

#[test]
fn missing_table_cells() {
    let mut c = good();
    c.remove("medications[0].dose");
    c.remove("immunizations[0].lot");
    check(&c, &["missing_field medications[0].dose @3", "missing_field immunizations[0].lot @4"]);
}

// ------------------------------------------------------------------ low_confidence

#[test]
fn low_confidence_once_per_field() {
    let mut c = good();
    c.set_conf("patient.name", 30.0); // two values (family, given), one flag
    c.set_conf("encounters[0].npi", 54.9);
    c.set_conf("patient.sex", 55.0); // at the threshold: fine
    check(&c, &["low_confidence patient.name @1", "low_confidence encounters[0].npi @2"]);
    assert!(reason_of(&c, FlagCode::LowConfidence).contains("under the threshold 55"));
}

#[test]
fn values_beyond_the_error_budget_go_to_review() {
    let mut c = good();
    c.pipeline.max_silent_error = Some(1.0);
    check(&c, &[]);
    c.pipeline.max_silent_error = Some(0.0);
    let flags = c.flags();
    assert!(!flags.is_empty() && flags.iter().all(|f| f.code == FlagCode::LowConfidence), "{:?}", render(&flags));
    assert!(reason_of(&c, FlagCode::LowConfidence).contains("the pipeline allows unseen"));
}

#[test]
fn reads_that_disagree_go_to_review_whatever_their_confidence() {
    use crate::model::{Read, ReadHow, ReadOutcome};
    let mut c = good();
    c.pipeline.max_silent_error = None;
    for v in c.values.iter_mut().filter(|v| v.field == "encounters[0].npi") {
        v.prov.conf = 97.0;
        v.prov.reads = vec![
            Read { how: ReadHow::Page, text: "1234567893".into(), conf: 97.0, outcome: ReadOutcome::Agrees, engine_text: None, rival: None },
            Read { how: ReadHow::Region, text: "1234567898".into(), conf: 96.0, outcome: ReadOutcome::Differs, engine_text: None, rival: None },
        ];
    }
    check(&c, &["low_confidence encounters[0].npi @2"]);
    assert!(reason_of(&c, FlagCode::LowConfidence).contains("two reads of the value disagree"));
}

#[test]
fn a_lot_with_a_letter_o_among_its_digits_goes_to_a_person() {
    let mut c = good();
    for v in c.values.iter_mut().filter(|v| v.field == "immunizations[0].lot") {
        v.value = Some(Value::Text("YOO41EV".into()));
        v.raw = "YOO41EV".into();
    }
    check(&c, &["low_confidence immunizations[0].lot @4"]);
    let reason = reason_of(&c, FlagCode::LowConfidence);
    assert!(reason.contains("letter O") && !reason.contains("YOO41EV"), "{reason}");
}

#[test]
fn a_value_the_engine_nearly_read_otherwise_goes_to_a_person() {
    use crate::model::{Read, ReadHow, ReadOutcome};
    let mut c = good();
    for v in c.values.iter_mut().filter(|v| v.field == "encounters[0].vitals.bp") {
        v.prov.conf = 96.0;
        v.prov.reads = vec![
            Read { how: ReadHow::Page, text: "128/82".into(), conf: 91.0, outcome: ReadOutcome::Agrees, engine_text: None, rival: None },
            Read { how: ReadHow::Region, text: "128/82".into(), conf: 96.0, outcome: ReadOutcome::Agrees, engine_text: None, rival: Some(41.0) },
        ];
    }
    check(&c, &["low_confidence encounters[0].vitals.bp @2"]);
    assert!(reason_of(&c, FlagCode::LowConfidence).contains("another character"));
}

#[test]
fn a_label_without_a_value_is_missing_even_when_optional() {
    let mut c = good();
    c.remove("encounters[0].npi");
    let prov = Provenance { page: 2, file: "chart.tif".into(), file_page: 1, ..Default::default() };
    c.values.push(FieldValue {
        path: "encounters[0].npi".into(),
        field: "encounters[0].npi".into(),
        value: None,
        kind: ValueType::Npi,
        raw: String::new(),
        error: Some(crate::extract::LABEL_WITHOUT_VALUE.into()),
        prov,
    });
    check(&c, &["missing_field encounters[0].npi @2"]);
}

// ------------------------------------------------------------------ code tables

#[test]
fn codes_are_checked_against_the_shipped_tables() {
    // A code that does not exist, and a category that is not a complete code.
    let c = good_with(&[], &[("encounters[].diagnoses", ValueType::Diagnoses, "250.99 Diabetes\n401 Hypertension")]);
    check(&c, &["invalid_value encounters[0].diagnoses[0].code @2", "invalid_value encounters[0].diagnoses[1].code @2"]);
    assert!(reason_of(&c, FlagCode::InvalidValue).contains("does not exist in ICD-9-CM"));
    // Right codes with their texts raise nothing, in either system.
    let c = good_with(
        &[],
        &[
            ("encounters[].date", ValueType::Date, "03/02/2019"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 03/02/2019"),
            ("encounters[].diagnoses", ValueType::Diagnoses, "E11.9 Type 2 diabetes mellitus without complications\nI10 Essential hypertension"),
        ],
    );
    check(&c, &[]);
}

#[test]
fn vital_signs_no_person_can_have_are_invalid() {
    let c = good_with(&[], &[("encounters[].vitals.bp", ValueType::BloodPressure, "82/128")]);
    check(&c, &["invalid_value encounters[0].vitals.bp @2"]);
    let mut c = good();
    c.values.extend(read("encounters[0].vitals.temp_f", ValueType::Decimal, "975", 2, 96.0));
    c.values.extend(read("encounters[0].vitals.pulse", ValueType::Integer, "72", 2, 96.0));
    check(&c, &["invalid_value encounters[0].vitals.temp_f @2"]);
    assert_eq!(reason_of(&c, FlagCode::InvalidValue), "temperature is outside what a person can have");
}

#[test]
fn a_cvx_that_does_not_fit_its_vaccine_is_invalid() {
    let mut c = good();
    c.row(4, "immunizations", "immunization_record", &[
        ("vaccine", ValueType::Text, "MMR"),
        ("cvx", ValueType::Cvx, "141"),
        ("date", ValueType::Date, "10/15/1998"),
        ("lot", ValueType::Lot, "U2233AB"),
    ]);
    check(&c, &["invalid_value immunizations[1].cvx @4"]);
    assert_eq!(reason_of(&c, FlagCode::InvalidValue), "CVX does not match the vaccine name on the same row");
}

// ------------------------------------------------------------------ invalid_value

#[test]
fn invalid_values() {
    let c = good_with(
        &[("patient.phone", ValueType::Phone, "555-0142"), ("patient.dob", ValueType::BirthDate, "02/30/1952")],
        &[("encounters[].npi", ValueType::Npi, "1234567894")],
    );
    check(&c, &["invalid_value patient.dob @1", "invalid_value patient.phone @1", "invalid_value encounters[0].npi @2"]);
    let reasons: Vec<String> = c.flags().into_iter().map(|f| f.reason).collect();
    assert!(reasons.contains(&"NPI check digit does not match".to_string()), "{reasons:?}");
    assert!(reasons.contains(&"not a calendar date".to_string()), "{reasons:?}");
}

#[test]
fn invalid_address_part() {
    let c = good_with(&[("patient.address", ValueType::Address, "1428 Elm Street, Springfield, IL 6270")], &[]);
    check(&c, &["invalid_value patient.address.zip @1"]);
    let c = good_with(&[("patient.address.zip", ValueType::Zip, "6270")], &[]);
    check(&c, &["invalid_value patient.address.zip @1"]);
}

#[test]
fn invalid_label_value() {
    let mut c = good();
    c.header.retain(|h| !(h.prov.page == 3 && h.field == "patient.dob"));
    c.header.extend(read("patient.dob", ValueType::BirthDate, "13/45/1952", 3, 90.0));
    check(&c, &["invalid_value patient.dob @3"]);
    assert!(reason_of(&c, FlagCode::InvalidValue).starts_with("patient label: "));
}

#[test]
fn icd_system_by_visit_date() {
    let cases: &[(&str, &str, &[&str])] = &[
        // Before 2015-10-01: ICD-9-CM.
        ("09/30/2015", "250.00 Diabetes", &[]),
        ("09/30/2015", "E11.9 Diabetes", &["invalid_value encounters[0].diagnoses[0].code @2"]),
        // On and after 2015-10-01: ICD-10-CM.
        ("10/01/2015", "E11.9 Diabetes", &[]),
        ("10/01/2015", "250.00 Diabetes", &["invalid_value encounters[0].diagnoses[0].code @2"]),
        ("03/02/2020", "I10 Hypertension\n401.9 Hypertension", &["invalid_value encounters[0].diagnoses[1].code @2"]),
        // A code of both shapes: in ICD-10-CM `V70.0` is only a category
        // (of bus-occupant injuries), never a routine exam; the code table says so.
        ("03/02/2020", "V70.0 Routine exam", &["invalid_value encounters[0].diagnoses[0].code @2"]),
        ("03/02/1999", "V70.0 Routine exam", &[]),
    ];
    for (date, dx, expected) in cases {
        let sig = format!("John R. Miller, MD {date}");
        let c = good_with(
            &[],
            &[
                ("encounters[].date", ValueType::Date, date),
                ("encounters[].diagnoses", ValueType::Diagnoses, dx),
                ("encounters[].signature", ValueType::Signature, &sig),
            ],
        );
        assert_eq!(render(&c.flags()), *expected, "{date} {dx:?}");
    }
    let c = good_with(
        &[],
        &[
            ("encounters[].date", ValueType::Date, "10/01/2015"),
            ("encounters[].diagnoses", ValueType::Diagnoses, "250.00 Diabetes"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 10/01/2015"),
        ],
    );
    assert_eq!(reason_of(&c, FlagCode::InvalidValue), "ICD-9-CM code on a visit on or after 2015-10-01 (ICD-10-CM required)");
}

#[test]
fn icd_without_visit_date_accepts_either() {
    for dx in ["250.00 Diabetes", "E11.9 Diabetes"] {
        let mut c = good_with(&[], &[("encounters[].diagnoses", ValueType::Diagnoses, dx)]);
        c.remove("encounters[0].date");
        check(&c, &["missing_field encounters[0].date @2"]);
    }
}

#[test]
fn icd_uses_its_own_encounter_date() {
    let mut c = good(); // encounter 0 in 1998 with an ICD-9 code
    c.doc(
        "progress_note",
        LABEL,
        &[
            ("encounters[].date", ValueType::Date, "03/02/2020"),
            ("encounters[].provider", ValueType::ProviderName, "John R. Miller, MD"),
            ("encounters[].diagnoses", ValueType::Diagnoses, "E11.9 Diabetes"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 03/02/2020"),
        ],
    );
    check(&c, &[]);
}

// ------------------------------------------------------------------ identity_mismatch

fn with_label(page: u32, label: (&str, &str, &str)) -> Chart {
    let mut c = good();
    c.header.retain(|h| h.prov.page != page);
    c.label(page, label);
    c
}

#[test]
fn identity_mismatch_per_page_and_field() {
    check(&with_label(3, ("THOMPSON, MARGARET A", "00482914", "03/14/1952")), &["identity_mismatch patient.mrn @3"]);
    check(&with_label(3, ("THOMPSON, MARGARET A", "482913", "03/14/1952")), &["identity_mismatch patient.mrn @3"]);
    check(&with_label(2, ("THOMPSON, MARGARET A", "00482913", "03/15/1952")), &["identity_mismatch patient.dob @2"]);
    check(
        &with_label(4, ("JOHNSON, ROBERT", "00517730", "07/02/1960")),
        &["identity_mismatch patient.dob @4", "identity_mismatch patient.mrn @4", "identity_mismatch patient.name @4"],
    );
    check(&with_label(3, ("THOMAS, MARGARET A", "00482913", "03/14/1952")), &["identity_mismatch patient.name @3"]);
}

#[test]
fn identity_tolerates_ocr_and_format() {
    check(&with_label(3, ("Margaret A. Thompson", "0048 2913", "March 14, 1952")), &[]);
    check(&with_label(3, ("THORNPSON, MARGARET", "00482913", "3/14/52")), &[]);
    check(&with_label(3, ("THOMPSON MARGARET A", "00482913", "14-MAR-1952")), &[]);
}

#[test]
fn identity_without_face_sheet_uses_the_majority() {
    let mut c = Chart::new();
    let note = [
        ("encounters[].date", ValueType::Date, "11/02/1998"),
        ("encounters[].provider", ValueType::ProviderName, "John R. Miller, MD"),
        ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 11/02/1998"),
    ];
    c.doc("progress_note", ("JOHNSON, ROBERT", "00517730", "07/02/1960"), &note);
    c.doc("progress_note", LABEL, &note);
    c.doc("progress_note", LABEL, &note);
    let flags = render(&c.flags());
    let mismatches: Vec<&String> = flags.iter().filter(|f| f.starts_with("identity_mismatch")).collect();
    assert_eq!(
        mismatches,
        ["identity_mismatch patient.dob @1", "identity_mismatch patient.mrn @1", "identity_mismatch patient.name @1"],
        "{flags:?}"
    );
}

// ------------------------------------------------------------------ implausible_date

#[test]
fn implausible_dates() {
    // A DOB in the future: flagged once; other dates are not compared with it.
    check(
        &good_with(&[("patient.dob", ValueType::BirthDate, "03/14/2052")], &[]),
        &[
            "identity_mismatch patient.dob @1",
            "implausible_date patient.dob @1",
            "identity_mismatch patient.dob @2",
            "identity_mismatch patient.dob @3",
            "identity_mismatch patient.dob @4",
        ],
    );
    // A visit before the DOB, signed that day: the visit date is flagged.
    let c = good_with(
        &[],
        &[
            ("encounters[].date", ValueType::Date, "11/02/1948"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 11/02/1948"),
        ],
    );
    check(&c, &["implausible_date encounters[0].date @2"]);
    // An immunization before the DOB.
    let mut c = good();
    c.row(
        4,
        "immunizations",
        "immunization_record",
        &[
            ("vaccine", ValueType::Text, "Polio"),
            ("date", ValueType::Date, "10/15/1950"),
            ("lot", ValueType::Lot, "A1"),
        ],
    );
    check(&c, &["implausible_date immunizations[1].date @4"]);
}

#[test]
fn dates_before_birth_or_in_future() {
    let c = good_with(
        &[],
        &[
            ("encounters[].date", ValueType::Date, "11/02/1948"),
            ("encounters[].signature", ValueType::Signature, "John R. Miller, MD 11/02/2098"),
        ],
    );
    check(&c, &["implausible_date encounters[0].date @2", "implausible_date encounters[0].signature @2"]);
    let reasons: Vec<String> = c.flags().into_iter().map(|f| f.reason).collect();
    assert_eq!(reasons, ["date is before the date of birth", "date is in the future"]);
}

#[test]
fn age_over_120() {
    let old = ("THOMPSON, MARGARET A", "00482913", "03/14/1900");
    let mut c = Chart::new();
    c.doc(
        "face_sheet",
        old,
        &[
            ("patient.name", ValueType::PersonName, "THOMPSON, MARGARET A"),
            ("patient.mrn", ValueType::Identifier, "00482913"),
            ("patient.dob", ValueType::BirthDate, "03/14/1900"),
            ("patient.sex", ValueType::Sex, "F"),
        ],
    );
    check(&c, &["implausible_date patient.dob @1"]);
    assert_eq!(reason_of(&c, FlagCode::ImplausibleDate), "age is over 120 years");
    // 120 years and some months is not over 120.
    let mut c = Chart::new();
    c.doc(
        "face_sheet",
        old,
        &[
            ("patient.name", ValueType::PersonName, "THOMPSON, MARGARET A"),
            ("patient.mrn", ValueType::Identifier, "00482913"),
            ("patient.dob", ValueType::BirthDate, "06/14/1905"),
            ("patient.sex", ValueType::Sex, "F"),
        ],
    );
    c.header.clear();
    check(&c, &[]);
}

// ------------------------------------------------------------------ pages

#[test]
fn unreadable_and_unknown_pages() {
    let mut c = good();
    c.page(PageStatus::Unreadable, None);
    c.page(PageStatus::Unknown, None);
    c.page(PageStatus::Blank, None);
    check(&c, &["unreadable_page - @6", "unknown_document - @7"]);
}

// ------------------------------------------------------------------ order

#[test]
fn deduplicated_and_ordered() {
    let mut c = good();
    c.page(PageStatus::Unknown, None);
    c.remove("encounters[0].diagnoses");
    c.values.extend(read("encounters[0].diagnoses", ValueType::Diagnoses, "I10 Hypertension\nE11.9 Diabetes", 2, 20.0));
    c.remove("patient.sex");
    check(
        &c,
        &[
            "missing_field patient.sex @1",
            "low_confidence encounters[0].diagnoses @2",
            "invalid_value encounters[0].diagnoses[0].code @2",
            "invalid_value encounters[0].diagnoses[1].code @2",
            "unknown_document - @6",
        ],
    );
}

#[test]
fn an_unsigned_note_is_missing_its_signature_not_invalid() {
    // The signature line is there, with nothing written on it.
    let c = good_with(&[], &[("encounters[].signature", ValueType::Signature, "________")]);
    check(&c, &["missing_field encounters[0].signature @2"]);
    assert_eq!(reason_of(&c, FlagCode::MissingField), "required field is missing");
}

#[test]
fn a_temperature_read_without_its_point_is_invalid() {
    let mut c = good();
    c.values.extend(read("encounters[0].vitals.temp_f", ValueType::Decimal, "988", 2, 96.0));
    check(&c, &["invalid_value encounters[0].vitals.temp_f @2"]);
}

//! Review tests on real SQLite files: charts are built from text with the
//! real normalisation, validation and document code (no OCR).

use super::draft::{self, records};
use super::*;
use crate::extract;
use crate::model::{BBox, ChartResult, ChartStatus, FieldValue, Flag, FlagCode, PageInfo, PageRef, PageStatus, Provenance, SourceFile};
use crate::store::{BatchInfo, Store};
use crate::validate;

const DAY: (i32, u32, u32) = (2026, 11, 22);

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap()
}

pub(crate) struct Db {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub batch: i64,
    pub pipeline: Pipeline,
}

pub(crate) fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("charts.db");
    let store = Store::open(&path).unwrap();
    let pipeline = Pipeline::default_pipeline();
    let batch = store.begin_batch(&BatchInfo::new(dir.path().display().to_string(), pipeline.id(), "runner")).unwrap();
    Db { _dir: dir, store, batch, pipeline }
}

/// (field, text as read, page, OCR confidence)
type Field<'a> = (&'a str, &'a str, u32, f32);

const BASE: &[Field] = &[
    ("patient.name", "THOMPSON, MARGARET A", 1, 92.0),
    ("patient.mrn", "00482913", 1, 93.0),
    ("patient.dob", "03/14/1952", 1, 91.0),
    ("patient.sex", "F", 1, 95.0),
    ("encounters[0].date", "11/02/1998", 2, 90.0),
    ("encounters[0].provider", "John R. Miller, MD", 2, 90.0),
    ("encounters[0].npi", "1234567893", 2, 90.0),
    ("encounters[0].diagnoses", "250.00 Diabetes mellitus type II", 2, 90.0),
    ("encounters[0].signature", "John R. Miller, MD 11/02/1998", 2, 90.0),
    ("medications[0].name", "Metformin", 3, 90.0),
    ("medications[0].dose", "500 mg", 3, 90.0),
];

fn pages() -> Vec<PageInfo> {
    ["face_sheet", "progress_note", "medication_list"]
        .iter()
        .enumerate()
        .map(|(i, t)| PageInfo {
            at: PageRef { page: i as u32 + 1, file: "box-01/chart.tif".into(), file_page: i as u32 },
            doc_type: Some(t.to_string()),
            status: PageStatus::Read,
            rotation: 0,
            skew: 0.0,
            words: 100,
            mean_conf: 90.0,
        })
        .collect()
}

/// A chart read from `fields` with the default pipeline, flagged by the
/// real validation (plus `extra` flags).
pub(crate) fn chart(id: &str, fields: &[Field], extra: Vec<Flag>) -> ChartResult {
    let p = Pipeline::default_pipeline();
    let ctx = crate::normalize::Context { today: day() };
    let mut values: Vec<FieldValue> = Vec::new();
    for (i, (field, raw, page, conf)) in fields.iter().enumerate() {
        let kind = draft::field_kind(&p, field, &[]).unwrap_or_else(|| panic!("no field {field}"));
        let prov = Provenance {
            page: *page,
            file: "box-01/chart.tif".into(),
            file_page: page - 1,
            bbox: BBox { x: 100, y: 100 + 60 * i as u32, w: 400, h: 40 },
            conf: *conf,
            reads: Vec::new(),
        };
        values.extend(extract::field_values(field, kind, raw, prov, &ctx));
    }
    let pages = pages();
    let recs = records(&p, &pages, &values);
    let mut flags = validate::validate(&validate::ChartInput {
        pipeline: &p,
        pages: &pages,
        values: &values,
        header: &[],
        records: &recs,
        today: day(),
    });
    flags.extend(extra);
    let document = extract::document::build(&p, &recs, &values);
    ChartResult {
        chart_id: id.into(),
        sources: vec![SourceFile { file: "box-01/chart.tif".into(), hash: format!("hash-{id}"), bytes: 10 }],
        pages,
        values,
        flags,
        document,
        errors: vec![],
    }
}

fn with<'a>(fields: &[Field<'a>], field: &str, raw: &'a str, conf: f32) -> Vec<Field<'a>> {
    fields.iter().map(|&(n, t, p, c)| if n == field { (n, raw, p, conf) } else { (n, t, p, c) }).collect()
}

fn load(db: &Db, c: &ChartResult) {
    db.store.load_chart(db.batch, c, &db.pipeline.id()).unwrap();
}

fn open_codes(db: &Db, id: &str) -> Vec<(FlagCode, Option<String>)> {
    db.store.flags_for(id).unwrap().into_iter().filter(|f| f.is_open()).map(|f| (f.flag.code, f.flag.field)).collect()
}

fn low_dob() -> ChartResult {
    chart("box-01/low", &with(BASE, "patient.dob", "03/14/1952", 40.0), vec![])
}

#[test]
fn the_base_chart_is_clean_and_its_records_rebuild() {
    let c = chart("box-01/clean", BASE, vec![]);
    assert!(c.flags.is_empty(), "{:#?}", c.flags);
    // The rebuilt records give back the document the extractor built.
    let p = Pipeline::default_pipeline();
    let manual = vec![
        crate::model::RecordRef { doc_type: "face_sheet".into(), page: 1, kind: crate::model::RecordKind::Document { index: 0 } },
        crate::model::RecordRef { doc_type: "progress_note".into(), page: 2, kind: crate::model::RecordKind::Document { index: 0 } },
        crate::model::RecordRef { doc_type: "medication_list".into(), page: 3, kind: crate::model::RecordKind::Document { index: 0 } },
        crate::model::RecordRef {
            doc_type: "medication_list".into(),
            page: 3,
            kind: crate::model::RecordKind::TableRow { table: 0, index: 0 },
        },
    ];
    assert_eq!(records(&p, &c.pages, &c.values), manual);
    assert_eq!(extract::document::build(&p, &manual, &c.values), c.document);
    assert_eq!(c.document["patient"]["dob"], "1952-03-14");
}

#[test]
fn approve_is_refused_while_a_flag_is_open_then_loads_the_chart() {
    let db = db();
    let c = low_dob();
    assert_eq!(c.flags.len(), 1, "{:?}", c.flags);
    load(&db, &c);
    let err = approve(&db.store, "alice", &c.chart_id, None).unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::OpenFlags { .. })), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("low_confidence patient.dob"), "{msg}");
    assert!(!msg.contains("1952"), "{msg}");
    assert_eq!(db.store.chart_state(&c.chart_id).unwrap().unwrap().status, ChartStatus::Review);

    let waived = waive(
        &db.store,
        "alice",
        &c.chart_id,
        &FlagSelector { id: None, code: Some(FlagCode::LowConfidence), field: None },
        "checked on the scan",
    )
    .unwrap();
    assert_eq!(waived.len(), 1);
    approve(&db.store, "alice", &c.chart_id, Some("all checked")).unwrap();
    assert_eq!(db.store.chart_state(&c.chart_id).unwrap().unwrap().status, ChartStatus::Accepted);
    let values = db.store.values_for(&c.chart_id).unwrap();
    assert_eq!(values.len(), c.values.len());
    assert!(db.store.review_queue(None).unwrap().is_empty());
    let doc = db.store.document_for(&c.chart_id).unwrap().unwrap();
    assert_eq!(doc["patient"]["mrn"], "00482913");
    let mut out = Vec::new();
    db.store.export_jsonl(&mut out).unwrap();
    let line: serde_json::Value = serde_json::from_slice(out.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["status"], "accepted");
    assert_eq!(line["flags"], serde_json::json!([]));
    // Not twice.
    let again = approve(&db.store, "alice", &c.chart_id, None).unwrap_err();
    assert!(matches!(again, ReviewError::Refused(Refusal::NotWaiting { .. })), "{again}");
}

#[test]
fn a_correction_that_fails_normalisation_or_validation_is_refused() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let audit_before = db.store.audit_log(Some(&c.chart_id)).unwrap().len();
    let p = &db.pipeline;

    let err = correct(&db.store, p, "bob", &c.chart_id, "patient.dob", "13/45/1952", "misread").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::NotNormalised { .. })), "{err}");
    assert!(!err.to_string().contains("13/45"), "{err}");

    // A visit before the date of birth.
    let err = correct(&db.store, p, "bob", &c.chart_id, "encounters[0].date", "01/02/1950", "misread").unwrap_err();
    match &err {
        ReviewError::Refused(Refusal::FailsValidation { flags, .. }) => {
            assert!(flags.iter().any(|f| f.starts_with("implausible_date")), "{flags:?}")
        }
        other => panic!("{other}"),
    }
    assert!(!err.to_string().contains("1950"), "{err}");

    // A name part is normalised as the name it belongs to.
    let err = correct(&db.store, p, "bob", &c.chart_id, "patient.family", "Th0mpson", "x").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::NotNormalised { .. })), "{err}");
    assert!(!err.to_string().contains("Th0mpson"), "{err}");
    let err = correct(&db.store, p, "bob", &c.chart_id, "encounters[3].npi", "1234567893", "x").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::NoRecord { .. })), "{err}");
    let err = correct(&db.store, p, "bob", &c.chart_id, "patient.dob", "03/14/1952", " ").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::NoReason { .. })), "{err}");

    // Nothing changed.
    assert_eq!(db.store.audit_log(Some(&c.chart_id)).unwrap().len(), audit_before);
    assert_eq!(open_codes(&db, &c.chart_id).len(), 1);
    let dob = db.store.values_for(&c.chart_id).unwrap().into_iter().find(|v| v.value.path == "patient.dob").unwrap();
    assert_eq!(dob.value.prov.conf, 40.0);
}

#[test]
fn a_correction_resolves_its_field_and_is_audited() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let done = correct(&db.store, &db.pipeline, "bob", &c.chart_id, "patient.dob", "3/14/1953", "read on the scan").unwrap();
    assert_eq!(done.resolved.len(), 1, "{done:?}");
    assert!(done.raised.is_empty(), "{done:?}");
    assert_eq!(done.old_value.as_deref(), Some("1952-03-14"));
    assert_eq!(done.new_value, "1953-03-14");
    assert!(open_codes(&db, &c.chart_id).is_empty());
    let dob = db.store.values_for(&c.chart_id).unwrap().into_iter().find(|v| v.value.path == "patient.dob").unwrap();
    assert_eq!(dob.value.prov.conf, draft::REVIEWED_CONF);
    assert_eq!(dob.value.prov.bbox, c.values.iter().find(|v| v.path == "patient.dob").unwrap().prov.bbox);
    assert_eq!(dob.value.raw, "3/14/1953");
    assert_eq!(db.store.document_for(&c.chart_id).unwrap().unwrap()["patient"]["dob"], "1953-03-14");

    let audit = db.store.audit_log(Some(&c.chart_id)).unwrap();
    let set = audit.iter().find(|a| a.action == "corrected").unwrap();
    assert_eq!(set.operator, "bob");
    assert_eq!(set.field.as_deref(), Some("patient.dob"));
    assert_eq!(set.old_value.as_deref(), Some("1952-03-14"));
    assert_eq!(set.new_value.as_deref(), Some("1953-03-14"));
    assert_eq!(set.reason.as_deref(), Some("read on the scan"));
    let resolved = audit.iter().find(|a| a.action == "resolved").unwrap();
    assert!(resolved.old_value.as_deref().unwrap().starts_with("low_confidence (flag "));

    approve(&db.store, "carol", &c.chart_id, None).unwrap();
    let accepted = db.store.values_for(&c.chart_id).unwrap();
    assert!(accepted.iter().any(|v| v.value.path == "patient.dob" && v.value.prov.conf == draft::REVIEWED_CONF));
    let actions: Vec<String> = db.store.audit_log(Some(&c.chart_id)).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["queued", "corrected", "resolved", "approved"]);
}

#[test]
fn a_correction_raises_and_resolves_flags_on_other_fields() {
    let db = db();
    // The visit date read as 1938: before the DOB.
    let c = chart("box-01/dates", &with(BASE, "encounters[0].date", "11/02/1938", 90.0), vec![]);
    assert_eq!(c.flags.iter().map(|f| f.code).collect::<Vec<_>>(), [FlagCode::ImplausibleDate], "{:?}", c.flags);
    load(&db, &c);
    // Correcting the DOB to before 1938 settles the visit date too.
    let done = correct(&db.store, &db.pipeline, "bob", &c.chart_id, "patient.dob", "03/14/1932", "checked").unwrap();
    assert_eq!(done.resolved.len(), 1, "{done:?}");
    assert!(open_codes(&db, &c.chart_id).is_empty());
    let audit = db.store.audit_log(Some(&c.chart_id)).unwrap();
    assert!(audit.iter().any(|a| a.action == "resolved"
        && a.reason.as_deref() == Some("no longer raised after the correction of patient.dob")));
    // A DOB after the visit and signature raises flags on them.
    let done = correct(&db.store, &db.pipeline, "bob", &c.chart_id, "patient.dob", "03/14/1999", "oops").unwrap();
    assert!(!done.raised.is_empty(), "{done:?}");
    let open = open_codes(&db, &c.chart_id);
    assert!(open.contains(&(FlagCode::ImplausibleDate, Some("encounters[0].date".into()))), "{open:?}");
    assert!(approve(&db.store, "bob", &c.chart_id, None).is_err());
}

#[test]
fn a_missing_value_can_be_supplied() {
    let db = db();
    let fields: Vec<Field> = BASE.iter().copied().filter(|f| f.0 != "medications[0].dose").collect();
    let c = chart("box-01/nodose", &fields, vec![]);
    assert_eq!(c.flags.len(), 1, "{:?}", c.flags);
    assert_eq!(c.flags[0].field.as_deref(), Some("medications[0].dose"));
    load(&db, &c);
    correct(&db.store, &db.pipeline, "bob", &c.chart_id, "medications[0].dose", "500 mg", "on the list").unwrap();
    let v = db.store.values_for(&c.chart_id).unwrap().into_iter().find(|v| v.value.path == "medications[0].dose").unwrap();
    assert_eq!(v.value.prov.page, 3);
    assert_eq!(v.value.prov.bbox, BBox::default());
    assert_eq!(db.store.document_for(&c.chart_id).unwrap().unwrap()["medications"][0]["dose"], "500 mg");
    approve(&db.store, "bob", &c.chart_id, None).unwrap();
}

#[test]
fn reject_keeps_the_chart_out_with_its_reason() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let err = reject(&db.store, "dave", &c.chart_id, "  ").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::NoReason { .. })));
    reject(&db.store, "dave", &c.chart_id, "wrong patient's chart in the box").unwrap();
    assert_eq!(db.store.chart_state(&c.chart_id).unwrap().unwrap().status, ChartStatus::Rejected);
    assert!(db.store.review_queue(None).unwrap().is_empty());
    assert!(db.store.known_patients().unwrap().is_empty());
    let a = db.store.audit_log(Some(&c.chart_id)).unwrap().pop().unwrap();
    assert_eq!((a.action.as_str(), a.operator.as_str()), ("rejected", "dave"));
    assert_eq!(a.reason.as_deref(), Some("wrong patient's chart in the box"));
    assert!(matches!(
        approve(&db.store, "dave", &c.chart_id, None).unwrap_err(),
        ReviewError::Refused(Refusal::NotWaiting { .. })
    ));
    assert!(matches!(
        approve(&db.store, "dave", "no/such", None).unwrap_err(),
        ReviewError::Refused(Refusal::NoChart { .. })
    ));
}

#[test]
fn correcting_the_patient_rechecks_duplicates() {
    let db = db();
    let a = chart("box-01/a", BASE, vec![]);
    load(&db, &a);
    // Same MRN, another person: flagged by the index as the runner would.
    let fields = with(BASE, "patient.name", "GARCIA, LUIS", 92.0);
    let mut b = chart("box-01/b", &fields, vec![]);
    let mut index = PatientIndex::from_store(&db.store).unwrap();
    b.flags.extend(index.check(&b.chart_id, &b.document));
    assert_eq!(b.flags.len(), 1, "{:?}", b.flags);
    load(&db, &b);
    // The reviewer finds the MRN misread: the overlay is gone.
    let done = correct(&db.store, &db.pipeline, "bob", &b.chart_id, "patient.mrn", "00482918", "misread").unwrap();
    assert_eq!(done.resolved.len(), 1, "{done:?}");
    assert!(done.raised.is_empty(), "{done:?}");
    assert!(open_codes(&db, &b.chart_id).is_empty());
    // Back to the overlaid MRN: flagged again.
    let done = correct(&db.store, &db.pipeline, "bob", &b.chart_id, "patient.mrn", "00482913", "test").unwrap();
    assert_eq!(done.raised.len(), 1, "{done:?}");
    assert_eq!(open_codes(&db, &b.chart_id), [(FlagCode::DuplicatePatient, Some("patient.mrn".into()))]);
    // A name corrected to the other chart's patient: same person, same MRN, no longer an overlay.
    let done = correct(&db.store, &db.pipeline, "bob", &b.chart_id, "patient.name", "Margaret Thompson", "test").unwrap();
    assert_eq!(done.resolved.len(), 1, "{done:?}");
    assert!(open_codes(&db, &b.chart_id).is_empty());
}

#[test]
fn the_worklist_round_trips_and_an_import_is_all_or_nothing() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let mut two = chart("box-02/two", &with(BASE, "encounters[0].npi", "1234567890", 90.0), vec![]);
    two.flags.push(Flag {
        code: FlagCode::UnknownDocument,
        field: None,
        page: Some(4),
        reason: "page matches no document type".into(),
    });
    // A value that would run as a formula in a spreadsheet.
    two.values.iter_mut().find(|v| v.path == "encounters[0].provider").unwrap().value =
        Some(crate::model::Value::Text("=HYPERLINK(\"x\")".into()));
    two.flags.push(Flag {
        code: FlagCode::LowConfidence,
        field: Some("encounters[0].provider".into()),
        page: Some(2),
        reason: "OCR confidence 30 is under the threshold 55".into(),
    });
    load(&db, &two);

    let mut sheet = Vec::new();
    let n = worklist::export(&db.store, "erin", &mut sheet, "memory").unwrap();
    assert_eq!((n.flags, n.charts), (4, 2));
    let text = String::from_utf8(sheet).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");

    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, worklist::HEADER);
    let mut rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let fill = |rows: &mut Vec<Vec<String>>, code: &str, new_value: &str, reason: &str| {
        let row = rows.iter_mut().find(|r| r[col("code")] == code).unwrap();
        row[col("new_value")] = new_value.into();
        row[col("reason")] = reason.into();
    };
    fill(&mut rows, "low_confidence", "", "");
    rows.iter_mut().filter(|r| r[col("code")] == "low_confidence").for_each(|r| r[col("reason")] = "checked".into());
    fill(&mut rows, "invalid_value", "1234567893", "NPI misread");
    // One bad row: a value that is not a date.
    let bad = rows.iter_mut().find(|r| r[col("field")] == "patient.dob").unwrap();
    bad[col("new_value")] = "yesterday".into();
    fill(&mut rows, "unknown_document", "", "a lab slip; kept on paper");
    let write = |rows: &[Vec<String>]| {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.into_inner().unwrap()
    };
    let audit_before = db.store.audit_log(None).unwrap().len();
    let err = worklist::import(&db.store, &db.pipeline, "erin", std::path::Path::new("w.csv"), &mut write(&rows).as_slice())
        .unwrap_err();
    let msg = err.to_string();
    match &err {
        ReviewError::Refused(Refusal::Worklist { errors, .. }) => assert_eq!(errors.len(), 1, "{msg}"),
        other => panic!("{other}"),
    }
    assert!(msg.contains("line "), "{msg}");
    assert!(!msg.contains("yesterday"), "{msg}");
    assert_eq!(db.store.audit_log(None).unwrap().len(), audit_before);
    assert_eq!(open_codes(&db, &c.chart_id).len(), 1);
    assert_eq!(open_codes(&db, &two.chart_id).len(), 3);

    // Fixed: everything applies.
    let fixed = rows.iter_mut().find(|r| r[col("field")] == "patient.dob").unwrap();
    fixed[col("new_value")] = "03/14/1952".into();
    let done = worklist::import(&db.store, &db.pipeline, "erin", std::path::Path::new("w.csv"), &mut write(&rows).as_slice())
        .unwrap();
    assert_eq!((done.corrections, done.waivers, done.charts), (2, 2, 2), "{done:?}");
    assert!(open_codes(&db, &c.chart_id).is_empty());
    assert!(open_codes(&db, &two.chart_id).is_empty());
    // The same sheet again is stale.
    let err = worklist::import(&db.store, &db.pipeline, "erin", std::path::Path::new("w.csv"), &mut write(&rows).as_slice())
        .unwrap_err();
    assert!(err.to_string().contains("resolved since the worklist was written"), "{err}");
}

#[test]
fn a_flag_on_one_diagnosis_code_is_corrected_through_the_visit_diagnoses() {
    let db = db();
    // An ICD-10 code on a 1998 visit.
    let c = chart("box-01/icd", &with(BASE, "encounters[0].diagnoses", "E11.9 Type 2 diabetes\n401.9 Hypertension", 90.0), vec![]);
    assert_eq!(c.flags.len(), 1, "{:?}", c.flags);
    assert_eq!(c.flags[0].field.as_deref(), Some("encounters[0].diagnoses[0].code"));
    load(&db, &c);
    let p = &db.pipeline;
    // The part, corrected to another ICD-10 code, still fails.
    let err = correct(&db.store, p, "bob", &c.chart_id, "encounters[0].diagnoses[0].code", "E11.65", "x").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::FailsValidation { .. })), "{err}");
    let err = correct(&db.store, p, "bob", &c.chart_id, "encounters[0].diagnoses", "E11.9 Type 2 diabetes", "x").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::WouldDrop { .. })), "{err}");
    let err = correct(&db.store, p, "bob", &c.chart_id, "encounters[0].diagnoses", "E11.9 Type 2 diabetes; 401.9 Hypertension", "x")
        .unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::FailsValidation { .. })), "{err}");

    let mut sheet = Vec::new();
    worklist::export(&db.store, "bob", &mut sheet, "memory").unwrap();
    let mut r = csv::Reader::from_reader(sheet.as_slice());
    let row: Vec<String> = r.records().next().unwrap().unwrap().iter().map(String::from).collect();
    assert_eq!(row[3], "encounters[0].diagnoses");
    assert!(row[5].starts_with("encounters[0].diagnoses[0].code: "), "{row:?}");
    assert_eq!(row[6], "E11.9 Type 2 diabetes\n401.9 Hypertension");

    let done = correct(&db.store, p, "bob", &c.chart_id, "encounters[0].diagnoses", "250.00 Diabetes mellitus\n401.9 Hypertension", "ICD-9 on the scan")
        .unwrap();
    assert_eq!(done.resolved.len(), 1, "{done:?}");
    assert!(open_codes(&db, &c.chart_id).is_empty());
    let doc = db.store.document_for(&c.chart_id).unwrap().unwrap();
    assert_eq!(doc["encounters"][0]["diagnoses"][0]["code"], "250.00");
    assert_eq!(doc["encounters"][0]["diagnoses"][1]["code"], "401.9");
}

#[test]
fn a_chart_read_with_another_pipeline_needs_that_pipeline() {
    let db = db();
    let c = low_dob();
    db.store.load_chart(db.batch, &c, "custom@2.0.0").unwrap();
    let err = correct(&db.store, &db.pipeline, "bob", &c.chart_id, "patient.dob", "03/14/1952", "x").unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::PipelineMismatch { .. })), "{err}");
    assert!(err.to_string().contains("custom@2.0.0"), "{err}");
    // Waiving needs no pipeline; an unknown flag id is refused.
    let none = FlagSelector { id: Some(9999), code: None, field: None };
    assert!(matches!(
        waive(&db.store, "bob", &c.chart_id, &none, "x").unwrap_err(),
        ReviewError::Refused(Refusal::NoOpenFlag { .. })
    ));
    assert!(matches!(
        waive(&db.store, "", &c.chart_id, &none, "x").unwrap_err(),
        ReviewError::Refused(Refusal::NoOperator)
    ));
}

// ---------------------------------------------------------------- the core

fn req<'a>(operator: &'a str, chart_id: &'a str) -> Request<'a> {
    Request { operator, chart_id, revision: None }
}

fn act(db: &Db, operator: &str, chart_id: &str, action: Action) -> Result<Outcome, ReviewError> {
    apply(&db.store, &db.pipeline, req(operator, chart_id), action)
}

fn correction(field: &str, value: &str) -> Action {
    Action::Correct { field: field.into(), value: value.into(), reason: None, drop_parts: false }
}

fn two_diagnoses() -> ChartResult {
    // An ICD-10 code on a 1998 visit, beside a right one.
    chart("box-01/dx", &with(BASE, "encounters[0].diagnoses", "E11.9 Type 2 diabetes\n401.9 Hypertension", 90.0), vec![])
}

#[test]
fn one_part_of_a_composite_value_is_corrected_and_the_rest_kept() {
    let db = db();
    let c = two_diagnoses();
    load(&db, &c);
    let before = db.store.values_for(&c.chart_id).unwrap();
    let done = act(&db, "bob", &c.chart_id, correction("encounters[0].diagnoses[0].code", "250.00")).unwrap();
    assert_eq!(done.open_flags, 0, "{:?}", done.lines);
    let doc = db.store.document_for(&c.chart_id).unwrap().unwrap();
    let dx = &doc["encounters"][0]["diagnoses"];
    assert_eq!(dx[0]["code"], "250.00");
    assert_eq!(dx[0]["text"], "Type 2 diabetes");
    assert_eq!(dx[1]["code"], "401.9");
    assert_eq!(dx[1]["text"], "Hypertension");
    // The other parts are the values as read, untouched; only the code is the reviewer's.
    let after = db.store.values_for(&c.chart_id).unwrap();
    assert_eq!(after.len(), before.len());
    for v in &after {
        let old = before.iter().find(|b| b.value.path == v.value.path).unwrap();
        if v.value.path == "encounters[0].diagnoses[0].code" {
            assert_eq!(v.verified.as_ref().unwrap().by, "bob");
            assert_eq!(v.value.prov.conf, draft::REVIEWED_CONF);
        } else {
            assert_eq!(v.value, old.value, "{}", v.value.path);
            assert!(v.verified.is_none());
        }
    }
    let audit = db.store.audit_log(Some(&c.chart_id)).unwrap();
    let set = audit.iter().find(|a| a.action == "corrected").unwrap();
    assert_eq!(set.field.as_deref(), Some("encounters[0].diagnoses[0].code"));
    assert_eq!(set.old_value.as_deref(), Some("E11.9"));
    assert_eq!(set.new_value.as_deref(), Some("250.00"));
}

#[test]
fn a_whole_field_correction_that_would_drop_parts_is_refused_unless_said() {
    let db = db();
    let c = two_diagnoses();
    load(&db, &c);
    let audit_before = db.store.audit_log(Some(&c.chart_id)).unwrap().len();
    // Retyping only the code drops the text and the second diagnosis.
    let err = act(&db, "bob", &c.chart_id, correction("encounters[0].diagnoses", "250.00")).unwrap_err();
    match &err {
        ReviewError::Refused(Refusal::WouldDrop { dropped, .. }) => {
            assert_eq!(dropped.len(), 3, "{dropped:?}");
            assert!(dropped.contains(&"encounters[0].diagnoses[1].code".to_string()));
        }
        other => panic!("{other}"),
    }
    assert!(!err.to_string().contains("Hypertension"), "{err}");
    assert_eq!(db.store.audit_log(Some(&c.chart_id)).unwrap().len(), audit_before);
    // `;` separates diagnoses a reviewer types: nothing is merged or dropped.
    act(&db, "bob", &c.chart_id, correction("encounters[0].diagnoses", "250.00 Type 2 diabetes; 401.9 Hypertension")).unwrap();
    let doc = db.store.document_for(&c.chart_id).unwrap().unwrap();
    assert_eq!(doc["encounters"][0]["diagnoses"].as_array().unwrap().len(), 2);
    assert_eq!(doc["encounters"][0]["diagnoses"][1]["text"], "Hypertension");
    // Said: the removal is done and audited with the parts' paths.
    let action = Action::Correct {
        field: "encounters[0].diagnoses".into(),
        value: "250.00 Type 2 diabetes".into(),
        reason: Some("second line is another visit's".into()),
        drop_parts: true,
    };
    let done = act(&db, "bob", &c.chart_id, action).unwrap();
    assert_eq!(done.corrected.unwrap().dropped, ["encounters[0].diagnoses[1].code", "encounters[0].diagnoses[1].text"]);
    let audit = db.store.audit_log(Some(&c.chart_id)).unwrap();
    assert!(audit.iter().any(|a| a.action == "corrected" && a.reason.as_deref().unwrap().contains("parts removed: encounters[0].diagnoses[1].code")));
}

#[test]
fn confirming_a_value_marks_it_verified_through_approval_and_export() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    // A value that is not in the chart cannot be confirmed.
    assert!(act(&db, "bob", &c.chart_id, Action::Confirm { field: "coverage.payer".into() }).is_err());
    let done = act(&db, "bob", &c.chart_id, Action::Confirm { field: "patient.dob".into() }).unwrap();
    assert_eq!(done.open_flags, 0);
    let dob = db.store.values_for(&c.chart_id).unwrap().into_iter().find(|v| v.value.path == "patient.dob").unwrap();
    assert_eq!(dob.value.prov.conf, 40.0, "the OCR confidence stays as read");
    assert_eq!(dob.verified.as_ref().unwrap().by, "bob");
    act(&db, "bob", &c.chart_id, Action::Approve { note: None }).unwrap();
    let dob = db.store.values_for(&c.chart_id).unwrap().into_iter().find(|v| v.value.path == "patient.dob").unwrap();
    assert_eq!(dob.verified.as_ref().unwrap().by, "bob", "verified in the validated table too");

    let mut out = Vec::new();
    db.store.export_jsonl_with(&mut out, true).unwrap();
    let line: serde_json::Value = serde_json::from_slice(out.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["review"]["queue"]["state"], "approved");
    assert_eq!(line["review"]["verified"][0]["path"], "patient.dob");
    assert_eq!(line["review"]["flags"][0]["resolution"], "confirmed: right as read");
    // The spec's export is unchanged.
    let mut plain = Vec::new();
    db.store.export_jsonl(&mut plain).unwrap();
    let plain: serde_json::Value = serde_json::from_slice(plain.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert!(plain.get("review").is_none());
}

#[test]
fn a_value_that_fails_its_type_cannot_be_confirmed() {
    let db = db();
    let c = chart("box-01/npi", &with(BASE, "encounters[0].npi", "12345O7893", 90.0), vec![]);
    load(&db, &c);
    let err = act(&db, "bob", &c.chart_id, Action::Confirm { field: "encounters[0].npi".into() }).unwrap_err();
    assert!(err.is_refusal(), "{err}");
    assert!(err.to_string().contains("fails its type"), "{err}");
}

#[test]
fn waivers_carry_a_coded_reason_and_other_needs_a_note() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let which = FlagSelector { id: None, code: Some(FlagCode::LowConfidence), field: None };
    let other = Action::Waive { which: which.clone(), reason: WaiveReason::Other, note: Some("  ".into()) };
    assert!(matches!(act(&db, "bob", &c.chart_id, other).unwrap_err(), ReviewError::Refused(Refusal::NoReason { .. })));
    let coded = Action::Waive { which, reason: WaiveReason::AsWritten, note: None };
    act(&db, "bob", &c.chart_id, coded).unwrap();
    let f = db.store.flags_for(&c.chart_id).unwrap().into_iter().next().unwrap();
    assert_eq!(f.resolution.as_deref(), Some("waived: as_written"));
}

#[test]
fn hold_escalate_and_release_are_kept_and_audited() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    assert!(act(&db, "bob", &c.chart_id, Action::Hold { reason: " ".into() }).is_err());
    act(&db, "bob", &c.chart_id, Action::Escalate { reason: "DOB differs from the registration system".into() }).unwrap();
    let q = db.store.review_queue(None).unwrap().into_iter().next().unwrap();
    assert_eq!(q.hold.as_ref().unwrap().kind, crate::store::HoldKind::Escalated);
    act(&db, "bob", &c.chart_id, Action::Release).unwrap();
    assert!(db.store.review_queue(None).unwrap()[0].hold.is_none());
    assert!(act(&db, "bob", &c.chart_id, Action::Release).is_err(), "nothing to release");
    let actions: Vec<String> = db.store.audit_log(Some(&c.chart_id)).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["queued", "escalated", "released"]);
}

#[test]
fn a_claimed_chart_and_a_stale_edit_are_refused() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let seen = act(&db, "bob", &c.chart_id, Action::Claim).unwrap().revision;
    let err = act(&db, "carol", &c.chart_id, Action::Confirm { field: "patient.dob".into() }).unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::Claimed { ref by, .. }) if by == "bob"), "{err}");
    // Bob changes the chart; an edit made against the revision before is refused.
    act(&db, "bob", &c.chart_id, correction("patient.sex", "F")).unwrap();
    let stale = Request { operator: "bob", chart_id: &c.chart_id, revision: Some(seen) };
    let err = apply(&db.store, &db.pipeline, stale, Action::Confirm { field: "patient.dob".into() }).unwrap_err();
    assert!(matches!(err, ReviewError::Refused(Refusal::Stale { .. })), "{err}");
    act(&db, "bob", &c.chart_id, Action::Unclaim).unwrap();
    act(&db, "carol", &c.chart_id, Action::Confirm { field: "patient.dob".into() }).unwrap();
}

#[test]
fn rejected_and_approved_charts_can_be_reopened_without_losing_anything() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    act(&db, "bob", &c.chart_id, Action::Reject { reason: "another patient's pages".into() }).unwrap();
    // Rejected: listed, with its reason, in the review export.
    let mut out = Vec::new();
    db.store.export_jsonl_with(&mut out, true).unwrap();
    let line: serde_json::Value = serde_json::from_slice(out.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["status"], "rejected");
    assert_eq!(line["review"]["queue"]["reason"], "another patient's pages");
    assert!(act(&db, "bob", &c.chart_id, Action::Reopen { reason: "".into() }).is_err());
    act(&db, "bob", &c.chart_id, Action::Reopen { reason: "pages were this patient's after all".into() }).unwrap();
    assert_eq!(db.store.chart_state(&c.chart_id).unwrap().unwrap().status, ChartStatus::Review);

    act(&db, "bob", &c.chart_id, Action::Confirm { field: "patient.dob".into() }).unwrap();
    act(&db, "bob", &c.chart_id, Action::Approve { note: None }).unwrap();
    let accepted = db.store.values_for(&c.chart_id).unwrap();
    let doc = db.store.document_for(&c.chart_id).unwrap().unwrap();
    act(&db, "carol", &c.chart_id, Action::Reopen { reason: "MRN queried by registration".into() }).unwrap();
    let state = db.store.review_state(&c.chart_id).unwrap().unwrap();
    assert!(state.is_waiting());
    assert_eq!(state.values.iter().map(|v| (&v.value, &v.verified)).collect::<Vec<_>>(),
        accepted.iter().map(|v| (&v.value, &v.verified)).collect::<Vec<_>>());
    assert_eq!(state.document.as_ref(), Some(&doc));
    act(&db, "carol", &c.chart_id, Action::Approve { note: Some("MRN checked".into()) }).unwrap();
    let actions: Vec<String> = db.store.audit_log(Some(&c.chart_id)).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["queued", "rejected", "reopened", "confirmed", "resolved", "approved", "reopened", "approved"]);
}

#[test]
fn a_view_is_audited_and_shows_the_duplicates_and_history() {
    let db = db();
    let c = low_dob();
    load(&db, &c);
    let v = view(&db.store, "vera", &c.chart_id, "values shown").unwrap();
    assert_eq!(v.state.chart_id, c.chart_id);
    assert_eq!(v.history.len(), 1, "the view is recorded after it is read");
    let audit = db.store.audit_log(Some(&c.chart_id)).unwrap();
    assert_eq!(audit.last().unwrap().action, "viewed");
    assert_eq!(audit.last().unwrap().operator, "vera");
    assert!(view(&db.store, " ", &c.chart_id, "x").is_err());
}

#[test]
fn a_corrected_value_is_not_doubted_for_the_reads_of_the_one_it_replaces() {
    use crate::model::{Read, ReadHow, ReadOutcome};
    let db = db();
    let mut c = chart("box-01/rival", BASE, vec![]);
    // The MRN's box read again agreed, but the engine offered a strong rival digit.
    let mrn = c.values.iter_mut().find(|v| v.path == "patient.mrn").unwrap();
    mrn.prov.reads = vec![
        Read { how: ReadHow::Page, text: "00482913".into(), conf: 93.0, outcome: ReadOutcome::Agrees, engine_text: None, rival: None },
        Read { how: ReadHow::Region, text: "00482913".into(), conf: 90.0, outcome: ReadOutcome::Agrees, engine_text: None, rival: Some(60.0) },
    ];
    let pages = pages();
    let recs = records(&db.pipeline, &pages, &c.values);
    c.flags = validate::validate(&validate::ChartInput {
        pipeline: &db.pipeline,
        pages: &pages,
        values: &c.values,
        header: &[],
        records: &recs,
        today: day(),
    });
    assert!(c.flags.iter().any(|f| f.code == FlagCode::LowConfidence && f.field.as_deref() == Some("patient.mrn")));
    load(&db, &c);
    // The reviewer types what the page says (here the same digits): accepted.
    let done = act(&db, "bob", &c.chart_id, correction("patient.mrn", "00482918")).unwrap();
    assert_eq!(done.open_flags, 0, "{:?}", done.lines);
    let mrn = db.store.review_state(&c.chart_id).unwrap().unwrap().values.into_iter().find(|v| v.value.path == "patient.mrn").unwrap();
    assert!(mrn.value.prov.reads.is_empty(), "OCR's reads of the old value are not the reviewer's");
    assert_eq!(mrn.value.prov.conf, draft::REVIEWED_CONF);
}

/// A progress note read on page `page` with the given visit date and NPI.
fn note_page(page: u32, date: &str, npi: &str) -> crate::extract::PageExtract {
    let ctx = crate::normalize::Context { today: day() };
    let prov = |i: u32| Provenance {
        page,
        file: "box-01/chart.tif".into(),
        file_page: page - 1,
        bbox: BBox { x: 100, y: 100 + 60 * i, w: 400, h: 40 },
        conf: 95.0,
        reads: Vec::new(),
    };
    let p = Pipeline::default_pipeline();
    let mut fields = Vec::new();
    for (i, (f, raw)) in [("encounters[].date", date), ("encounters[].npi", npi), ("encounters[].provider", "Ann Lee, MD")].into_iter().enumerate() {
        let kind = draft::field_kind(&p, &crate::pipeline::path::fill(f, 0), &[]).unwrap();
        fields.extend(extract::field_values(f, kind, raw, prov(i as u32), &ctx));
    }
    crate::extract::PageExtract {
        info: PageInfo {
            at: PageRef { page, file: "box-01/chart.tif".into(), file_page: page - 1 },
            doc_type: Some("progress_note".into()),
            status: PageStatus::Read,
            rotation: 90,
            skew: 0.0,
            words: 80,
            mean_conf: 93.0,
        },
        header: Vec::new(),
        fields,
        rows: Vec::new(),
        marks: Vec::new(),
        sign_lines: Vec::new(),
    }
}

#[test]
fn a_page_read_again_as_a_named_type_renumbers_the_records_and_their_flags() {
    let db = db();
    // Page 2 was not recognised; the visit on page 3 is encounters[0], with a flag on its NPI.
    let mut c = chart("box-01/reread", BASE, vec![]);
    for v in c.values.iter_mut().filter(|v| v.path.starts_with("encounters[0]")) {
        v.prov.page = 3;
        v.prov.file_page = 2;
    }
    c.pages[1].doc_type = None;
    c.pages[1].status = PageStatus::Unknown;
    c.pages[2].doc_type = Some("progress_note".into());
    c.flags = vec![
        Flag { code: FlagCode::UnknownDocument, field: None, page: Some(2), reason: "page matches no document type".into() },
        Flag { code: FlagCode::LowConfidence, field: Some("encounters[0].npi".into()), page: Some(3), reason: "low".into() },
    ];
    load(&db, &c);
    let state = db.store.review_state(&c.chart_id).unwrap().unwrap();
    let mut d = Draft::new(state, "bob").unwrap();
    // Fewer records than the page had: refused unless said (here it had none).
    let done = d.replace_page(&db.pipeline, day(), note_page(2, "10/01/1997", "1234567893"), "as progress_note", false).unwrap();
    assert_eq!(done.records.get("encounters"), Some(&(0, 1)));
    let paths: Vec<(String, u32)> =
        d.values.iter().filter(|v| v.value.path.ends_with(".date") && v.value.path.starts_with("encounters")).map(|v| (v.value.path.clone(), v.value.prov.page)).collect();
    assert_eq!(paths, vec![("encounters[0].date".to_string(), 2), ("encounters[1].date".to_string(), 3)], "page order");
    let npi_flag = d.flags.iter().find(|f| f.flag.code == FlagCode::LowConfidence).unwrap();
    assert_eq!(npi_flag.flag.field.as_deref(), Some("encounters[1].npi"), "the flag moved with its record");
    assert!(npi_flag.is_open());
    let unknown = d.flags.iter().find(|f| f.flag.code == FlagCode::UnknownDocument).unwrap();
    assert!(!unknown.is_open(), "the page now has a type");
    assert_eq!(d.state.pages[1].doc_type.as_deref(), Some("progress_note"));
    let doc = d.document.clone().unwrap();
    assert_eq!(doc["encounters"].as_array().unwrap().len(), 2);
    assert_eq!(doc["encounters"][0]["date"], "1997-10-01");

    // Written, the store agrees; read again with fewer visits is refused.
    let tx = db.store.begin_review().unwrap();
    d.write(&tx, "bob").unwrap();
    tx.commit().unwrap();
    let flags = db.store.flags_for(&c.chart_id).unwrap();
    assert!(flags.iter().any(|f| f.flag.field.as_deref() == Some("encounters[1].npi") && f.is_open()));
    assert_eq!(db.store.pages_for(&c.chart_id).unwrap()[1].doc_type.as_deref(), Some("progress_note"));
    let state = db.store.review_state(&c.chart_id).unwrap().unwrap();
    let mut d = Draft::new(state, "bob").unwrap();
    let mut empty = note_page(3, "", "");
    empty.fields.clear();
    let e = d.replace_page(&db.pipeline, day(), empty, "turned 90°", false).unwrap_err().to_string();
    assert!(e.contains("fewer records") && e.contains("encounters: 1 on the page before, 0 now"), "{e}");
}

#[test]
fn an_address_read_as_two_lines_is_corrected_whole() {
    let db = db();
    let mut fields = BASE.to_vec();
    fields.push(("patient.address", "5243 Lincoln Terrace", 1, 92.0));
    let mut c = chart("box-01/addr", &fields, vec![]);
    // The second line, read as its own group: a ZIP of four digits fails it.
    let ctx = crate::normalize::Context { today: day() };
    let line = c.values.iter().find(|v| v.field == "patient.address").unwrap().prov.clone();
    let prov = Provenance { bbox: BBox { y: line.bbox.y + 50, ..line.bbox }, ..line };
    c.values.extend(extract::field_values("patient.address", crate::pipeline::ValueType::CityStateZip, "Madison, WI 3703", prov, &ctx));
    let pages = pages();
    let recs = records(&db.pipeline, &pages, &c.values);
    c.flags = validate::validate(&validate::ChartInput { pipeline: &db.pipeline, pages: &pages, values: &c.values, header: &[], records: &recs, today: day() });
    assert!(!c.flags.is_empty());
    load(&db, &c);
    // The page says 53703: the whole address typed replaces both lines.
    let done = act(&db, "bob", &c.chart_id, correction("patient.address", "5243 Lincoln Terrace, Madison, WI 53703")).unwrap();
    assert_eq!(done.open_flags, 0, "{:?}", done.lines);
    let state = db.store.review_state(&c.chart_id).unwrap().unwrap();
    let part = |p: &str| state.values.iter().find(|v| v.value.path == p).and_then(|v| v.value.value.as_ref()).map(|v| v.to_string());
    assert_eq!(part("patient.address.line").as_deref(), Some("5243 Lincoln Terrace"));
    assert_eq!(part("patient.address.city").as_deref(), Some("Madison"));
    assert_eq!(part("patient.address.state").as_deref(), Some("WI"));
    assert_eq!(part("patient.address.zip").as_deref(), Some("53703"));
    assert_eq!(state.values.iter().filter(|v| v.value.field == "patient.address").count(), 4, "each part once");
}

//! `chartmill review …` end to end: a real SQLite file built without OCR
//! (charts read from text with the real normalisation, validation and
//! document code, loaded with `Store::load_chart`), then the real binary for
//! every command.

use chartmill::extract;
use chartmill::model::{BBox, ChartResult, FieldValue, Flag, FlagCode, PageInfo, PageRef, PageStatus, Provenance, SourceFile, Value};
use chartmill::pipeline::Pipeline;
use chartmill::review::draft::{field_kind, records};
use chartmill::review::PatientIndex;
use chartmill::store::{AuditRecord, BatchInfo, Store};
use chartmill::validate;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FILE: &str = "box-01/scan.png";
const PAGE_W: u32 = 1700;
const PAGE_H: u32 = 2200;

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
];

fn with<'a>(fields: &[Field<'a>], field: &str, raw: &'a str, conf: f32) -> Vec<Field<'a>> {
    fields.iter().map(|&(n, t, p, c)| if n == field { (n, raw, p, conf) } else { (n, t, p, c) }).collect()
}

/// The box of the `i`-th field on its page.
fn bbox(i: usize) -> BBox {
    BBox { x: 200, y: 300 + 120 * i as u32, w: 500, h: 50 }
}

struct Archive {
    dir: tempfile::TempDir,
    db: PathBuf,
    batch: i64,
    pipeline: Pipeline,
    /// blake3 of the scan.
    hash: String,
}

impl Archive {
    /// A database and an archive with one scanned page image (`FILE`, every
    /// chart's page 1 and 2 point at it): a white page with a dark bar at
    /// each field's box.
    fn new() -> Archive {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        std::fs::create_dir_all(archive.join("box-01")).unwrap();
        let mut page = image::GrayImage::from_pixel(PAGE_W, PAGE_H, image::Luma([255u8]));
        for i in 0..BASE.len() {
            let b = bbox(i);
            for y in b.y + 10..b.y + b.h - 10 {
                for x in b.x + 10..b.x + b.w - 10 {
                    page.put_pixel(x, y, image::Luma([20u8]));
                }
            }
        }
        page.save(archive.join(FILE)).unwrap();
        let hash = blake3::hash(&std::fs::read(archive.join(FILE)).unwrap()).to_hex().to_string();
        let db = dir.path().join("charts.db");
        let store = Store::open(&db).unwrap();
        let pipeline = Pipeline::default_pipeline();
        let batch = store.begin_batch(&BatchInfo::new(archive.display().to_string(), pipeline.id(), "runner")).unwrap();
        Archive { dir, db, batch, pipeline, hash }
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    /// A chart read from `fields`, flagged by the real validation (plus `extra`).
    fn chart(&self, id: &str, fields: &[Field], extra: Vec<Flag>) -> ChartResult {
        let ctx = chartmill::normalize::Context { today: chrono::Local::now().date_naive() };
        let mut values: Vec<FieldValue> = Vec::new();
        for (i, (field, raw, page, conf)) in fields.iter().enumerate() {
            let kind = field_kind(&self.pipeline, field, &[]).unwrap();
            let prov = Provenance { page: *page, file: FILE.into(), file_page: 0, bbox: bbox(i), conf: *conf, reads: Vec::new() };
            values.extend(extract::field_values(field, kind, raw, prov, &ctx));
        }
        let pages: Vec<PageInfo> = ["face_sheet", "progress_note"]
            .iter()
            .enumerate()
            .map(|(i, t)| PageInfo {
                at: PageRef { page: i as u32 + 1, file: FILE.into(), file_page: 0 },
                doc_type: Some(t.to_string()),
                status: PageStatus::Read,
                rotation: 0,
                skew: 0.0,
                words: 100,
                mean_conf: 90.0,
            })
            .collect();
        let recs = records(&self.pipeline, &pages, &values);
        let mut flags = validate::validate(&validate::ChartInput {
            pipeline: &self.pipeline,
            pages: &pages,
            values: &values,
            header: &[],
            records: &recs,
            today: ctx.today,
        });
        flags.extend(extra);
        let document = extract::document::build(&self.pipeline, &recs, &values);
        ChartResult {
            chart_id: id.into(),
            sources: vec![SourceFile { file: FILE.into(), hash: self.hash.clone(), bytes: 1 }],
            pages,
            values,
            flags,
            document,
            errors: vec![],
        }
    }

    fn load(&self, chart: &ChartResult) {
        self.store().load_chart(self.batch, chart, &self.pipeline.id()).unwrap();
    }

    /// `chartmill review ARGS --db DB --operator OPERATOR`.
    fn review(&self, operator: &str, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chartmill"));
        c.env_remove("CHARTMILL_LOG").current_dir(self.dir.path()).arg("review").args(args).arg("--db").arg(&self.db);
        if !operator.is_empty() {
            c.args(["--operator", operator]);
        }
        c.output().expect("chartmill runs")
    }

    fn audit(&self, chart: Option<&str>) -> Vec<AuditRecord> {
        self.store().audit_log(chart).unwrap()
    }

    fn open_flags(&self, chart: &str) -> Vec<(FlagCode, Option<String>)> {
        self.store().flags_for(chart).unwrap().into_iter().filter(|f| f.is_open()).map(|f| (f.flag.code, f.flag.field)).collect()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert_eq!(code(o), 0, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
    stdout(o)
}

#[track_caller]
fn refused(o: &Output) -> String {
    assert_eq!(code(o), 1, "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
    let e = stderr(o);
    assert!(e.contains("refused:"), "{e}");
    e
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A chart whose DOB was read with low confidence: one flag.
fn low_dob(a: &Archive, id: &str) -> ChartResult {
    let c = a.chart(id, &with(BASE, "patient.dob", "03/14/1952", 40.0), vec![]);
    assert_eq!(c.flags.len(), 1, "{:?}", c.flags);
    c
}

#[test]
fn review_list_shows_waiting_charts_oldest_first_with_codes() {
    let a = Archive::new();
    a.load(&a.chart("box-01/clean", BASE, vec![]));
    a.load(&low_dob(&a, "box-01/zz-first"));
    std::thread::sleep(std::time::Duration::from_millis(5));
    a.load(&a.chart("box-01/aa-second", &with(BASE, "encounters[0].npi", "1234567890", 90.0), vec![]));
    let out = ok(&a.review("alice", &["list"]));
    let first = out.find("box-01/zz-first").expect(&out);
    let second = out.find("box-01/aa-second").expect(&out);
    assert!(first < second, "oldest first:\n{out}");
    assert!(!out.contains("box-01/clean"), "{out}");
    assert!(out.contains("low_confidence") && out.contains("invalid_value"), "{out}");
    assert!(out.contains("2 chart(s) waiting"), "{out}");
    let only = ok(&a.review("alice", &["list", "--code", "invalid_value"]));
    assert!(only.contains("box-01/aa-second") && !only.contains("box-01/zz-first"), "{only}");
    let bad = a.review("alice", &["list", "--code", "no_such_code"]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
}

#[test]
fn review_show_prints_values_flags_and_writes_private_crops() {
    let a = Archive::new();
    a.load(&low_dob(&a, "box-01/low"));
    let crops = a.dir.path().join("crops");
    let out = ok(&a.review("alice", &["show", "box-01/low", "--crops", crops.to_str().unwrap()]));
    assert!(out.contains("patient.dob") && out.contains("1952-03-14"), "{out}");
    assert!(out.contains("conf 40") && out.contains("page 1"), "{out}");
    assert!(out.contains("low_confidence") && out.contains("under the threshold"), "{out}");
    let crop = crops.join("box-01_low").join(format!(
        "flag-{}-patient.dob.png",
        a.store().flags_for("box-01/low").unwrap()[0].id
    ));
    assert!(out.contains(&crop.display().to_string()), "{out}");
    assert_eq!(mode(&crop), 0o600);
    let img = image::open(&crop).unwrap().to_luma8();
    // The field's box plus a margin, not the page.
    assert!(img.width() < PAGE_W / 2 && img.height() < PAGE_H / 4, "{}x{}", img.width(), img.height());
    assert!(img.width() >= bbox(2).w && img.height() >= bbox(2).h, "{}x{}", img.width(), img.height());
    assert!(img.pixels().any(|p| p.0[0] < 100), "the crop shows the field");
    assert!(img.pixels().any(|p| p.0[0] > 200), "with a margin around it");
    // Viewing patient data is audited; nothing is on stderr.
    let audit = a.audit(Some("box-01/low"));
    assert_eq!(audit.last().unwrap().action, "viewed");
    assert_eq!(audit.last().unwrap().operator, "alice");
    assert!(!stderr(&a.review("alice", &["show", "box-01/low", "--no-crops"])).contains("1952"));
    let missing = a.review("alice", &["show", "box-09/none"]);
    assert!(refused(&missing).contains("no chart box-09/none"));
}

#[test]
fn review_set_refuses_a_value_that_fails_validation_and_applies_a_good_one() {
    let a = Archive::new();
    a.load(&low_dob(&a, "box-01/low"));
    let audit_before = a.audit(None).len();
    // Not a date.
    let e = refused(&a.review("bob", &["set", "box-01/low", "patient.dob", "31/31/1952", "--reason", "misread"]));
    assert!(e.contains("patient.dob") && !e.contains("31/31"), "{e}");
    // A real date, but a visit before it.
    let e = refused(&a.review("bob", &["set", "box-01/low", "encounters[0].date", "01/01/1940", "--reason", "misread"]));
    assert!(e.contains("implausible_date"), "{e}");
    assert!(!e.contains("1940"), "{e}");
    assert_eq!(a.audit(None).len(), audit_before, "a refused correction writes nothing");
    assert_eq!(a.open_flags("box-01/low").len(), 1);

    let out = ok(&a.review("bob", &["set", "box-01/low", "patient.dob", "March 14, 1952", "--reason", "checked on the scan"]));
    assert!(out.contains("resolved") && out.contains("no open flag left"), "{out}");
    assert!(a.open_flags("box-01/low").is_empty());
    let set = a.audit(Some("box-01/low")).into_iter().find(|r| r.action == "corrected").unwrap();
    assert_eq!(set.operator, "bob");
    assert_eq!(set.field.as_deref(), Some("patient.dob"));
    assert_eq!(set.new_value.as_deref(), Some("1952-03-14"));
    assert_eq!(set.reason.as_deref(), Some("checked on the scan"));
}

#[test]
fn review_approve_is_refused_while_a_flag_is_open() {
    let a = Archive::new();
    a.load(&low_dob(&a, "box-01/low"));
    let e = refused(&a.review("carol", &["approve", "box-01/low"]));
    assert!(e.contains("1 flag(s) still open") && e.contains("low_confidence patient.dob"), "{e}");
    assert_eq!(a.store().chart_state("box-01/low").unwrap().unwrap().status.as_str(), "review");
    let id = a.store().flags_for("box-01/low").unwrap()[0].id.to_string();
    // A waiver needs a reason.
    let w = a.review("carol", &["waive", "box-01/low", "--flag", &id, "--reason", " "]);
    assert!(refused(&w).contains("reason"));
    ok(&a.review("carol", &["waive", "box-01/low", "--flag", &id, "--reason", "legible on the scan"]));
    let out = ok(&a.review("carol", &["approve", "box-01/low"]));
    assert!(out.contains("approved"), "{out}");
    let store = a.store();
    assert_eq!(store.chart_state("box-01/low").unwrap().unwrap().status.as_str(), "accepted");
    assert!(store.values_for("box-01/low").unwrap().iter().any(|v| v.value.path == "patient.dob"));
    let mut jsonl = Vec::new();
    store.export_jsonl(&mut jsonl).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(jsonl.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(doc["status"], "accepted");
    assert_eq!(doc["patient"]["dob"], "1952-03-14");
}

#[test]
fn review_reject_keeps_the_chart_out() {
    let a = Archive::new();
    a.load(&low_dob(&a, "box-01/low"));
    refused(&a.review("dave", &["reject", "box-01/low", "--reason", ""]));
    ok(&a.review("dave", &["reject", "box-01/low", "--reason", "not our patient"]));
    assert_eq!(a.store().chart_state("box-01/low").unwrap().unwrap().status.as_str(), "rejected");
    assert!(ok(&a.review("dave", &["list"])).contains("0 chart(s) waiting"));
    let r = a.audit(Some("box-01/low")).pop().unwrap();
    assert_eq!((r.action.as_str(), r.reason.as_deref()), ("rejected", Some("not our patient")));
}

#[test]
fn the_audit_holds_every_action_and_defaults_to_the_os_user() {
    let a = Archive::new();
    a.load(&a.chart("box-01/two", &with(&with(BASE, "patient.dob", "03/14/1952", 40.0), "encounters[0].npi", "1234567890", 90.0), vec![]));
    assert_eq!(a.open_flags("box-01/two").len(), 2);
    ok(&a.review("erin", &["set", "box-01/two", "encounters[0].npi", "1234567893", "--reason", "NPI misread"]));
    ok(&a.review("erin", &["waive", "box-01/two", "--code", "low_confidence", "--reason", "legible"]));
    ok(&a.review("erin", &["show", "box-01/two", "--no-crops"]));
    // Without --operator: the OS user.
    let mut c = Command::new(env!("CARGO_BIN_EXE_chartmill"));
    c.args(["review", "approve", "box-01/two", "--db"]).arg(&a.db).env("USER", "zed-the-clerk");
    ok(&c.output().unwrap());
    let rows = a.audit(Some("box-01/two"));
    let actions: Vec<(&str, &str)> = rows.iter().map(|r| (r.action.as_str(), r.operator.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("queued", "runner"),
            ("corrected", "erin"),
            ("resolved", "erin"),
            ("waived", "erin"),
            ("viewed", "erin"),
            ("approved", "zed-the-clerk")
        ]
    );
    let set = &rows[1];
    assert_eq!(set.field.as_deref(), Some("encounters[0].npi"));
    assert_eq!(set.old_value.as_deref(), Some("1234567890"));
    assert_eq!(set.new_value.as_deref(), Some("1234567893"));
    assert!(rows.iter().all(|r| !r.at.is_empty()));
    // The tool has no command that edits the audit, and the database refuses it.
    let conn = rusqlite::Connection::open(&a.db).unwrap();
    assert!(conn.execute("UPDATE audit SET operator = 'x'", []).is_err());
    assert!(conn.execute("DELETE FROM audit", []).is_err());
}

/// The worklist of two charts: one with a provider read as a formula.
fn worklist_archive() -> Archive {
    let a = Archive::new();
    a.load(&low_dob(&a, "box-01/low"));
    let mut c = a.chart("box-01/npi", &with(BASE, "encounters[0].npi", "1234567890", 90.0), vec![]);
    c.values.iter_mut().find(|v| v.path == "encounters[0].provider").unwrap().value =
        Some(Value::Text("=HYPERLINK(\"x\")".into()));
    c.flags.push(Flag {
        code: FlagCode::LowConfidence,
        field: Some("encounters[0].provider".into()),
        page: Some(2),
        reason: "OCR confidence 30 is under the threshold 55".into(),
    });
    a.load(&c);
    a
}

fn read_sheet(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

fn write_sheet(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn review_export_writes_a_private_spreadsheet_safe_worklist() {
    let a = worklist_archive();
    let sheet = a.dir.path().join("worklist.csv");
    ok(&a.review("fay", &["export", "--format", "csv", "--output", sheet.to_str().unwrap()]));
    assert_eq!(mode(&sheet), 0o600);
    let text = std::fs::read_to_string(&sheet).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    let (header, rows) = read_sheet(&sheet);
    assert_eq!(
        header,
        ["chart_id", "flag_id", "code", "field", "page", "flag_reason", "current_value", "new_value", "reason"]
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    let provider = rows.iter().find(|r| r[3] == "encounters[0].provider").unwrap();
    assert_eq!(provider[6], "'=HYPERLINK(\"x\")");
    assert!(rows.iter().all(|r| r[7].is_empty() && r[8].is_empty()));
    // No cell starts as a formula.
    assert!(rows.iter().flatten().all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])));
    assert_eq!(a.audit(None).last().unwrap().action, "exported_worklist");
    // To standard output too.
    let out = ok(&a.review("fay", &["export", "--format", "csv"]));
    assert!(out.starts_with("chart_id,flag_id,"), "{out}");
}

#[test]
fn review_import_with_one_bad_row_changes_nothing() {
    let a = worklist_archive();
    let sheet = a.dir.path().join("worklist.csv");
    ok(&a.review("gus", &["export", "--format", "csv", "--output", sheet.to_str().unwrap()]));
    let (header, mut rows) = read_sheet(&sheet);
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    for r in &mut rows {
        match r[col("field")].as_str() {
            "patient.dob" => r[col("new_value")] = "not a date".into(),
            "encounters[0].npi" => r[col("new_value")] = "1234567893".into(),
            _ => {}
        }
        r[col("reason")] = "checked".into();
    }
    write_sheet(&sheet, &header, &rows);
    let audit_before = a.audit(None).len();
    let out = a.review("gus", &["import", sheet.to_str().unwrap()]);
    let e = refused(&out);
    let dob_line = 2 + rows.iter().position(|r| r[col("field")] == "patient.dob").unwrap();
    assert!(e.contains(&format!("line {dob_line}:")), "{e}");
    assert!(e.contains("1 bad row(s), nothing was changed"), "{e}");
    assert!(!e.contains("not a date"), "{e}");
    assert_eq!(a.audit(None).len(), audit_before);
    assert_eq!(a.open_flags("box-01/low").len(), 1);
    assert_eq!(a.open_flags("box-01/npi").len(), 2);

    // Fixed, the whole sheet applies: two corrections and one waiver.
    let dob = rows.iter_mut().find(|r| r[col("field")] == "patient.dob").unwrap();
    dob[col("new_value")] = "03/14/1952".into();
    write_sheet(&sheet, &header, &rows);
    let out = ok(&a.review("gus", &["import", sheet.to_str().unwrap()]));
    assert!(out.contains("2 correction(s), 1 waiver(s) on 2 chart(s)"), "{out}");
    assert!(a.open_flags("box-01/low").is_empty());
    assert!(a.open_flags("box-01/npi").is_empty());
    ok(&a.review("gus", &["approve", "box-01/npi"]));
    // The same sheet again is stale: refused.
    refused(&a.review("gus", &["import", sheet.to_str().unwrap()]));
}

#[test]
fn duplicate_and_overlaid_patients_are_flagged_and_shown() {
    let a = Archive::new();
    let mut index = PatientIndex::from_store(&a.store()).unwrap();
    let mut batch = Vec::new();
    for (id, fields) in [
        ("box-01/thompson", BASE.to_vec()),
        // Same MRN, another person: an overlay.
        ("box-02/garcia", with(BASE, "patient.name", "GARCIA, LUIS", 92.0)),
        // Same person (nickname), another MRN: a duplicate.
        ("box-03/peggy", with(BASE, "patient.name", "THOMPSON, PEGGY", 92.0).into_iter().map(|f| if f.0 == "patient.mrn" { ("patient.mrn", "00999999", 1, 93.0) } else { f }).collect()),
    ] {
        let mut c = a.chart(id, &fields, vec![]);
        c.flags.extend(index.check(id, &c.document));
        a.load(&c);
        batch.push(c);
    }
    assert!(batch[0].flags.is_empty());
    for c in &batch[1..] {
        assert_eq!(c.flags.len(), 1, "{}: {:?}", c.chart_id, c.flags);
        assert_eq!(c.flags[0].code, FlagCode::DuplicatePatient);
        assert!(c.flags[0].reason.contains("(chart box-01/thompson)"), "{}", c.flags[0].reason);
    }
    let list = ok(&a.review("hal", &["list", "--code", "duplicate_patient"]));
    assert!(list.contains("box-02/garcia") && list.contains("box-03/peggy"), "{list}");
    let show = ok(&a.review("hal", &["show", "box-02/garcia", "--no-crops"]));
    assert!(show.contains("duplicate patient:"), "{show}");
    assert!(show.contains("chart box-01/thompson"), "{show}");
    assert!(show.contains("same MRN, another person"), "{show}");
    let show = ok(&a.review("hal", &["show", "box-03/peggy", "--no-crops"]));
    assert!(show.contains("chart box-01/thompson") && show.contains("same person, another MRN"), "{show}");
}

#[test]
fn a_technician_confirms_corrects_one_part_and_reopens_from_the_command_line() {
    let a = Archive::new();
    let id = "box-01/dx";
    // An ICD-10 code on a 1998 visit beside a right one, and a doubtful DOB.
    let fields = with(&with(BASE, "encounters[0].diagnoses", "E11.9 Type 2 diabetes\n401.9 Hypertension", 90.0), "patient.dob", "03/14/1952", 40.0);
    let c = a.chart(id, &fields, vec![]);
    assert_eq!(c.flags.len(), 2, "{:?}", c.flags);
    a.load(&c);
    // The database and the operator from the environment.
    let env_review = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chartmill"))
            .current_dir(a.dir.path())
            .env("CHARTMILL_DB", &a.db)
            .env("CHARTMILL_OPERATOR", "tina")
            .arg("review")
            .args(args)
            .output()
            .unwrap()
    };
    let next = ok(&env_review(&["next", "--no-crops"]));
    assert!(next.contains(&format!("chart {id}")), "{next}");
    ok(&env_review(&["confirm", id, "patient.dob"]));
    // Retyping only the code of the list is refused: it would drop the rest.
    let e = refused(&env_review(&["set", id, "encounters[0].diagnoses", "250.00"]));
    assert!(e.contains("would remove 3 part(s)") && !e.contains("Hypertension"), "{e}");
    ok(&env_review(&["set", id, "encounters[0].diagnoses[0].code", "250.00"]));
    assert!(a.open_flags(id).is_empty());
    ok(&env_review(&["approve", id]));
    let doc = a.store().document_for(id).unwrap().unwrap();
    assert_eq!(doc["encounters"][0]["diagnoses"][0]["code"], "250.00");
    assert_eq!(doc["encounters"][0]["diagnoses"][0]["text"], "Type 2 diabetes");
    assert_eq!(doc["encounters"][0]["diagnoses"][1]["text"], "Hypertension");
    let values = a.store().values_for(id).unwrap();
    let verified: Vec<&str> = values.iter().filter(|v| v.verified.is_some()).map(|v| v.value.path.as_str()).collect();
    assert_eq!(verified, ["patient.dob", "encounters[0].diagnoses[0].code"]);

    let e = refused(&env_review(&["reopen", id, "--reason", " "]));
    assert!(e.contains("reason"), "{e}");
    ok(&env_review(&["reopen", id, "--reason", "registration queried the visit"]));
    assert!(ok(&env_review(&["list"])).contains(id));
    let e = refused(&env_review(&["waive", id, "--code", "low_confidence", "--because", "as_written"]));
    assert!(e.contains("no open flag"), "{e}");
    ok(&env_review(&["approve", id, "--reason", "visit checked"]));
    let actions: Vec<String> = a.audit(Some(id)).into_iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        ["queued", "viewed", "confirmed", "resolved", "corrected", "resolved", "approved", "reopened", "approved"],
    );
    assert!(a.audit(Some(id)).iter().all(|r| r.operator == "tina" || r.action == "queued"));
}

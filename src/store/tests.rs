//! Store tests: real SQLite files in temporary folders, charts built by hand.

use super::*;
use crate::model::{BBox, FieldValue, Flag, PageInfo, PageRef, Provenance, SourceFile, Value};
use crate::pipeline::ValueType;
use serde_json::json;
use std::borrow::Cow;
use std::os::unix::fs::PermissionsExt;

const PIPELINE: &str = "default@1.0.0";

struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
    batch: i64,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("charts.db");
    let store = Store::open(&path).unwrap();
    let batch = store.begin_batch(&BatchInfo::new("archive", PIPELINE, "tester")).unwrap();
    Db { _dir: dir, path, store, batch }
}

fn value(path: &str, v: Value, page: u32) -> FieldValue {
    FieldValue {
        path: path.into(),
        field: path.into(),
        kind: match v {
            Value::Int(_) => ValueType::Integer,
            Value::Num(_) => ValueType::Decimal,
            Value::Text(_) => ValueType::Text,
        },
        raw: v.to_string(),
        value: Some(v),
        error: None,
        prov: Provenance {
            page,
            file: "box-07/thompson.tif".into(),
            file_page: page - 1,
            bbox: BBox { x: 10, y: 20, w: 300, h: 40 },
            conf: 91.5,
            reads: Vec::new(),
        },
    }
}

fn page(n: u32, status: PageStatus) -> PageInfo {
    PageInfo {
        at: PageRef { page: n, file: "box-07/thompson.tif".into(), file_page: n - 1 },
        doc_type: (status == PageStatus::Read).then(|| "face_sheet".into()),
        status,
        rotation: 0,
        skew: 0.4,
        words: 120,
        mean_conf: 88.0,
    }
}

/// A clean chart; `hash` stands for the scan's content.
fn chart(id: &str, hash: &str) -> ChartResult {
    let mut values = vec![
        value("patient.family", Value::Text("Thompson".into()), 1),
        value("patient.given", Value::Text("Margaret A".into()), 1),
        value("patient.mrn", Value::Text("00482913".into()), 1),
        value("patient.dob", Value::Text("1952-03-14".into()), 1),
        value("encounters[0].date", Value::Text("1998-11-02".into()), 2),
        value("encounters[0].vitals.pulse", Value::Int(76), 2),
        value("encounters[0].vitals.temp_f", Value::Num(98.4), 2),
    ];
    values[0].field = "patient.name".into();
    values[0].kind = ValueType::PersonName;
    ChartResult {
        chart_id: id.into(),
        sources: vec![SourceFile { file: format!("{id}.tif"), hash: hash.into(), bytes: 1234 }],
        pages: vec![page(1, PageStatus::Read), page(2, PageStatus::Read), page(3, PageStatus::Blank)],
        values,
        flags: vec![],
        // As the default pipeline's document builder leaves it: every part
        // of the spec present, some of it empty.
        document: json!({
            "patient": {"family": "Thompson", "given": "Margaret A", "mrn": "00482913", "dob": "1952-03-14"},
            "allergies": [],
            "coverage": {},
            "encounters": [{"date": "1998-11-02", "vitals": {"pulse": 76, "temp_f": 98.4}}],
            "medications": [],
            "immunizations": []
        }),
        errors: vec![],
    }
}

fn flagged(id: &str, hash: &str) -> ChartResult {
    let mut c = chart(id, hash);
    c.flags.push(Flag {
        code: FlagCode::MissingField,
        field: Some("encounters[0].signature".into()),
        page: Some(2),
        reason: "an unsigned progress note".into(),
    });
    c
}

fn count(store: &Store, sql: &str, chart_id: &str) -> i64 {
    store.conn.query_row(sql, [chart_id], |r| r.get(0)).unwrap()
}

fn rows(store: &Store, table: &str, chart_id: &str) -> i64 {
    // Table names are test constants.
    count(store, &format!("SELECT count(*) FROM {table} WHERE chart_id = ?1"), chart_id)
}

#[test]
fn accepted_chart_is_validated_and_not_queued() {
    let db = db();
    let c = chart("box-07/thompson", "h1");
    assert_eq!(db.store.load_chart(db.batch, &c, PIPELINE).unwrap(), LoadOutcome::Loaded(ChartStatus::Accepted));
    let s = &db.store;
    assert_eq!(rows(s, "chart_values", &c.chart_id), 7);
    assert_eq!(rows(s, "review_values", &c.chart_id), 0);
    assert_eq!(rows(s, "review_queue", &c.chart_id), 0);
    assert_eq!(rows(s, "flags", &c.chart_id), 0);
    assert_eq!(rows(s, "pages", &c.chart_id), 3);
    assert_eq!(rows(s, "sources", &c.chart_id), 1);
    let (family, mrn): (String, String) = s
        .conn
        .query_row("SELECT family, mrn FROM v_patients WHERE chart_id = ?1", [&c.chart_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((family.as_str(), mrn.as_str()), ("Thompson", "00482913"));
    let pulse: i64 = s.conn.query_row("SELECT pulse FROM v_encounters", [], |r| r.get(0)).unwrap();
    assert_eq!(pulse, 76);
    // Provenance and types survive the round trip.
    let stored = s.values_for(&c.chart_id).unwrap();
    let got: Vec<FieldValue> = stored.iter().map(|v| v.value.clone()).collect();
    assert_eq!(got, c.values);
    assert!(stored.iter().all(|v| v.pipeline_id == PIPELINE));
    let audit = s.audit_log(Some(&c.chart_id)).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].action.as_str(), audit[0].operator.as_str()), ("loaded", "tester"));
}

#[test]
fn review_chart_is_queued_and_not_validated() {
    let db = db();
    let c = flagged("box-07/thompson", "h1");
    assert_eq!(db.store.load_chart(db.batch, &c, PIPELINE).unwrap(), LoadOutcome::Loaded(ChartStatus::Review));
    let s = &db.store;
    assert_eq!(rows(s, "chart_values", &c.chart_id), 0);
    assert_eq!(rows(s, "review_values", &c.chart_id), 7);
    assert_eq!(count(s, "SELECT count(*) FROM review_queue WHERE chart_id = ?1 AND state = 'open'", &c.chart_id), 1);
    assert_eq!(count(s, "SELECT count(*) FROM charts WHERE chart_id = ?1 AND document IS NULL", &c.chart_id), 1);
    assert_eq!(count(s, "SELECT count(*) FROM v_patients WHERE chart_id = ?1", &c.chart_id), 0);
    let flags = s.flags_for(&c.chart_id).unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].flag, c.flags[0]);
    assert!(flags[0].is_open());
    assert_eq!(s.list_charts(Some(ChartStatus::Review)).unwrap()[0].open_flags, 1);
    assert!(s.list_charts(Some(ChartStatus::Accepted)).unwrap().is_empty());
    assert_eq!(s.document_for(&c.chart_id).unwrap(), Some(c.document.clone()));
    assert_eq!(s.audit_log(Some(&c.chart_id)).unwrap()[0].action, "queued");
}

#[test]
fn failed_chart_keeps_errors_and_no_values() {
    let db = db();
    let mut c = chart("box-01/broken", "h1");
    c.pages = vec![page(1, PageStatus::Unreadable)];
    c.errors = vec!["box-01/broken.tif: page 1: truncated file".into()];
    c.values.clear();
    c.document = json!({});
    assert_eq!(db.store.load_chart(db.batch, &c, PIPELINE).unwrap(), LoadOutcome::Loaded(ChartStatus::Failed));
    assert_eq!(rows(&db.store, "chart_errors", &c.chart_id), 1);
    assert_eq!(rows(&db.store, "chart_values", &c.chart_id), 0);
    assert_eq!(rows(&db.store, "review_queue", &c.chart_id), 0);
    assert_eq!(db.store.chart_state(&c.chart_id).unwrap().unwrap().status, ChartStatus::Failed);
}

#[test]
fn same_fingerprint_is_unchanged_and_not_duplicated() {
    let db = db();
    let c = chart("a", "h1");
    db.store.load_chart(db.batch, &c, PIPELINE).unwrap();
    let state = db.store.chart_state("a").unwrap().unwrap();
    assert!(state.is_unchanged(&fingerprint(&c.sources), PIPELINE));
    assert!(!state.is_unchanged(&fingerprint(&chart("a", "h2").sources), PIPELINE));
    assert!(!state.is_unchanged(&fingerprint(&c.sources), "default@1.1.0"));
    assert_eq!(db.store.load_chart(db.batch, &c, PIPELINE).unwrap(), LoadOutcome::Unchanged(ChartStatus::Accepted));
    assert_eq!(rows(&db.store, "chart_values", "a"), 7);
    assert_eq!(rows(&db.store, "pages", "a"), 3);
    assert_eq!(db.store.audit_log(Some("a")).unwrap().len(), 1);
}

#[test]
fn changed_fingerprint_replaces_rows() {
    let db = db();
    db.store.load_chart(db.batch, &flagged("a", "h1"), PIPELINE).unwrap();
    let mut fixed = chart("a", "h2");
    fixed.values.truncate(4);
    let out = db.store.load_chart(db.batch, &fixed, PIPELINE).unwrap();
    assert_eq!(out, LoadOutcome::Replaced { previous: ChartStatus::Review, status: ChartStatus::Accepted });
    let s = &db.store;
    assert_eq!(rows(s, "chart_values", "a"), 4);
    assert_eq!(rows(s, "review_values", "a"), 0);
    assert_eq!(rows(s, "review_queue", "a"), 0);
    assert_eq!(rows(s, "flags", "a"), 0);
    assert_eq!(rows(s, "pages", "a"), 3);
    assert_eq!(rows(s, "sources", "a"), 1);
    assert_eq!(count(s, "SELECT count(*) FROM charts WHERE chart_id = ?1", "a"), 1);
    let audit = s.audit_log(Some("a")).unwrap();
    let actions: Vec<_> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["queued", "reprocessed"]);
    assert_eq!(audit[1].old_value.as_deref(), Some("review"));
    assert_eq!(audit[1].new_value.as_deref(), Some("accepted"));
}

#[test]
fn failed_transaction_leaves_nothing_half_loaded() {
    let db = db();
    // Two pages with the same number violate the pages key after the chart
    // row, sources and the first page were written.
    let mut bad = chart("a", "h1");
    bad.pages.push(page(1, PageStatus::Read));
    let err = db.store.load_chart(db.batch, &bad, PIPELINE).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("chart a") && msg.contains("charts.db"), "{msg}");
    assert!(!msg.contains("Thompson"), "{msg}");
    for table in ["charts", "sources", "pages", "chart_values", "audit"] {
        assert_eq!(rows(&db.store, table, "a"), 0, "{table}");
    }

    // A failed replacement keeps the previous version whole.
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    let mut bad = flagged("a", "h2");
    bad.pages.push(page(2, PageStatus::Read));
    db.store.load_chart(db.batch, &bad, PIPELINE).unwrap_err();
    assert_eq!(db.store.chart_state("a").unwrap().unwrap().fingerprint, fingerprint(&chart("a", "h1").sources));
    assert_eq!(rows(&db.store, "chart_values", "a"), 7);
    assert_eq!(rows(&db.store, "review_queue", "a"), 0);
    assert_eq!(db.store.audit_log(Some("a")).unwrap().len(), 1);
}

#[test]
fn unknown_batch_is_refused() {
    let db = db();
    let err = db.store.load_chart(db.batch + 100, &chart("a", "h1"), PIPELINE).unwrap_err();
    assert!(matches!(err, StoreError::UnknownBatch { .. }), "{err}");
    assert!(db.store.chart_state("a").unwrap().is_none());
}

#[test]
fn database_refuses_review_values_in_validated_tables() {
    let db = db();
    db.store.load_chart(db.batch, &flagged("r", "h1"), PIPELINE).unwrap();
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    let c = &db.store.conn;
    let insert_value = "INSERT INTO chart_values (chart_id, seq, path, field, kind, value, raw, file, page, file_page,
        bbox_x, bbox_y, bbox_w, bbox_h, conf, pipeline_id) VALUES (?1, 99, 'p', 'p', 'text', 'x', 'x', 'f', 1, 0, 0, 0, 0, 0, 0, 'x')";
    let refused = |sql: &str, chart: &str, why: &str| {
        let e = c.execute(sql, [chart]).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    };
    refused(insert_value, "r", "only holds values of accepted charts");
    c.execute(insert_value, ["a"]).unwrap();
    refused("INSERT INTO review_queue (chart_id, queued_at, document) VALUES (?1, 'now', '{}')", "a", "only a chart in review");
    refused("INSERT INTO flags (chart_id, code, reason) VALUES (?1, 'missing_field', 'x')", "a", "cannot carry an open flag");
    refused("UPDATE charts SET status = 'accepted' WHERE chart_id = ?1", "r", "resolve every flag");
    refused("UPDATE charts SET status = 'rejected' WHERE chart_id = ?1", "a", "remove the validated values");
    refused("UPDATE charts SET document = '{}' WHERE chart_id = ?1", "r", "CHECK constraint failed");
}

#[test]
fn audit_is_append_only() {
    let db = db();
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    let id = db
        .store
        .audit(&AuditEntry {
            operator: "tech",
            action: "set",
            chart_id: Some("a"),
            field: Some("patient.dob"),
            old_value: Some("1952-03-14"),
            new_value: Some("1952-03-15"),
            reason: Some("typo on the label"),
            batch_id: None,
        })
        .unwrap();
    let c = &db.store.conn;
    let e = c.execute("UPDATE audit SET new_value = 'x' WHERE id = ?1", [id]).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = c.execute("DELETE FROM audit WHERE id = ?1", [id]).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    // A replaced chart deletes its rows, never its audit.
    db.store.load_chart(db.batch, &chart("a", "h2"), PIPELINE).unwrap();
    assert_eq!(db.store.audit_log(Some("a")).unwrap().len(), 3);
}

#[test]
fn files_are_private() {
    let db = db();
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db.path), 0o600);
    for suffix in ["-wal", "-shm"] {
        let side = with_suffix(&db.path, suffix);
        assert!(side.exists(), "{suffix}");
        assert_eq!(mode(&side), 0o600, "{suffix}");
    }
    let _lock = db.store.lock_for_run().unwrap();
    assert_eq!(mode(&with_suffix(&db.path, ".lock")), 0o600);

    let out = db.path.with_file_name("export.csv");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut f = create_private(&out).unwrap();
    db.store.export_csv(&mut f).unwrap();
    assert_eq!(mode(&out), 0o600);
    let fresh = db.path.with_file_name("export.jsonl");
    create_private(&fresh).unwrap();
    assert_eq!(mode(&fresh), 0o600);
}

#[test]
fn second_run_lock_is_refused_until_released() {
    let db = db();
    let first = db.store.lock_for_run().unwrap();
    let other = Store::open(&db.path).unwrap();
    let err = other.lock_for_run().unwrap_err();
    match &err {
        StoreError::Locked { holder, .. } => assert_eq!(*holder, Some(std::process::id())),
        e => panic!("{e}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("charts.db") && msg.contains("another chartmill run"), "{msg}");
    drop(first);
    other.lock_for_run().unwrap();
}

#[test]
fn reopen_keeps_data_and_refuses_foreign_files() {
    let db = db();
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    let again = Store::open(&db.path).unwrap();
    assert_eq!(again.list_charts(None).unwrap().len(), 1);
    let version: i64 = again.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);

    let foreign = db.path.with_file_name("other.db");
    Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    assert!(matches!(Store::open(&foreign), Err(StoreError::Foreign { .. })));

    again.conn.pragma_update(None, "user_version", 99).unwrap();
    assert!(matches!(Store::open(&db.path), Err(StoreError::NewerSchema { found: 99, .. })));
}

#[test]
fn batches_record_counts() {
    let db = db();
    let mut counts = BatchCounts { charts_seen: 3, charts_skipped: 1, ..BatchCounts::default() };
    counts.count_chart(&chart("a", "h1"));
    counts.count_chart(&flagged("b", "h1"));
    assert_eq!((counts.accepted, counts.review, counts.pages, counts.blank_pages), (1, 1, 6, 2));
    db.store.finish_batch(db.batch, &counts, true).unwrap();
    let b = db.store.batch(db.batch).unwrap().unwrap();
    assert_eq!(b.counts, counts);
    assert_eq!(b.counts.flags.get(&FlagCode::MissingField), Some(&1));
    assert_eq!((b.operator.as_str(), b.pipeline_id.as_str(), b.interrupted), ("tester", PIPELINE, Some(true)));
    assert!(b.finished_at.is_some());
    assert!(db.store.batch(db.batch + 1).unwrap().is_none());
    assert!(db.store.finish_batch(db.batch + 1, &counts, false).is_err());
}

#[test]
fn known_patients_cover_accepted_and_review() {
    let db = db();
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    db.store.load_chart(db.batch, &flagged("b", "h1"), PIPELINE).unwrap();
    let mut failed = chart("c", "h1");
    failed.pages = vec![page(1, PageStatus::Unreadable)];
    failed.errors = vec!["c.tif: cannot decode".into()];
    db.store.load_chart(db.batch, &failed, PIPELINE).unwrap();
    let known = db.store.known_patients().unwrap();
    let ids: Vec<_> = known.iter().map(|k| (k.chart_id.as_str(), k.status)).collect();
    assert_eq!(ids, [("a", ChartStatus::Accepted), ("b", ChartStatus::Review)]);
    assert_eq!(known[0].mrn.as_deref(), Some("00482913"));
    assert_eq!(known[1].dob.as_deref(), Some("1952-03-14"));
}

fn export_lines(store: &Store) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let n = store.export_jsonl(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(n as usize, lines.len());
    lines
}

#[test]
fn export_leaves_out_the_parts_of_the_spec_a_pipeline_does_not_declare() {
    let db = db();
    let mut claim = chart("claim", "h1");
    claim.document = json!({"claim": {"total_charge": "125.00"}, "patient": {"family": "Roe"}});
    db.store.load_chart(db.batch, &claim, PIPELINE).unwrap();
    let lines = export_lines(&db.store);
    let doc = &lines[0];
    assert_eq!(doc["claim"]["total_charge"], "125.00");
    assert_eq!(doc["patient"]["family"], "Roe");
    for part in ["allergies", "coverage", "encounters", "medications", "immunizations"] {
        assert!(doc.get(part).is_none(), "{part} in {doc}");
    }
}

#[test]
fn export_jsonl_has_exactly_the_spec_keys() {
    let db = db();
    db.store.load_chart(db.batch, &flagged("b", "h1"), PIPELINE).unwrap();
    db.store.load_chart(db.batch, &chart("a", "h1"), PIPELINE).unwrap();
    let mut empty = chart("c", "h1");
    empty.document = json!({});
    empty.values.clear();
    db.store.load_chart(db.batch, &empty, PIPELINE).unwrap();
    let mut failed = chart("d", "h1");
    failed.pages = vec![page(1, PageStatus::Unreadable)];
    failed.errors = vec!["d.tif: cannot decode".into()];
    db.store.load_chart(db.batch, &failed, PIPELINE).unwrap();

    let mut raw = Vec::new();
    db.store.export_jsonl(&mut raw).unwrap();
    let first = String::from_utf8(raw).unwrap().lines().next().unwrap().to_string();
    // Keys in the spec's order, whatever serde_json's map features are.
    let at = |k: &str| first.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k} in {first}"));
    let order: Vec<usize> = export::EXPORT_KEYS.iter().map(|k| at(k)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{first}");

    let lines = export_lines(&db.store);
    let ids: Vec<_> = lines.iter().map(|l| l["chart_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"], "failed charts are not exported; ordered by chart id");
    for l in &lines {
        let mut keys: Vec<&str> = l.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        let mut want = export::EXPORT_KEYS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
    }
    let (a, b, c) = (&lines[0], &lines[1], &lines[2]);
    assert_eq!(a["status"], "accepted");
    assert_eq!(a["flags"], json!([]));
    assert_eq!(a["patient"]["mrn"], "00482913");
    assert_eq!(a["patient"]["sex"], json!(null));
    assert_eq!(a["patient"]["address"], json!({"line": null, "city": null, "state": null, "zip": null}));
    assert_eq!(a["encounters"][0]["vitals"], json!({"bp": null, "pulse": 76, "temp_f": 98.4, "weight_lb": null}));
    assert_eq!(a["encounters"][0]["diagnoses"], json!([]));
    assert_eq!(a["encounters"][0]["signed_date"], json!(null));
    assert_eq!(b["status"], "review");
    assert_eq!(
        b["flags"],
        json!([{"code": "missing_field", "field": "encounters[0].signature", "page": 2, "reason": "an unsigned progress note"}])
    );
    assert_eq!(
        c,
        &json!({
            "chart_id": "c", "status": "accepted", "flags": [],
            "patient": {"family": null, "given": null, "mrn": null, "dob": null, "sex": null,
                        "address": {"line": null, "city": null, "state": null, "zip": null}, "phone": null},
            "allergies": [], "coverage": {"payer": null, "member_id": null, "group": null},
            "encounters": [], "medications": [], "immunizations": []
        })
    );
}

#[test]
fn csv_safe_escapes_formulas() {
    assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
    for bad in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
        assert!(csv_safe(bad).starts_with('\''), "{bad:?}");
    }
    for ok in ["Thompson", "1952-03-14", "", "a=b"] {
        assert!(matches!(csv_safe(ok), Cow::Borrowed(_)), "{ok:?}");
    }
}

#[test]
fn export_csv_is_flat_and_escaped() {
    let db = db();
    let mut c = flagged("a", "h1");
    c.values[0].value = Some(Value::Text("=HYPERLINK(\"x\")".into()));
    c.document["patient"]["family"] = json!("=HYPERLINK(\"x\")");
    db.store.load_chart(db.batch, &c, PIPELINE).unwrap();
    let mut empty = chart("b", "h1");
    empty.document = json!({});
    db.store.load_chart(db.batch, &empty, PIPELINE).unwrap();
    let mut out = Vec::new();
    assert_eq!(db.store.export_csv(&mut out).unwrap(), 2);
    let mut r = csv::Reader::from_reader(out.as_slice());
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), export::CSV_HEADER);
    let recs: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let a: Vec<_> = recs.iter().filter(|r| &r[0] == "a").collect();
    assert_eq!(a.len(), 7, "one row per non-null value of the document");
    let family = a.iter().find(|r| &r[3] == "patient.family").unwrap();
    assert_eq!(&family[4], "'=HYPERLINK(\"x\")");
    assert_eq!((&family[1], &family[2], &family[5], &family[6], &family[7]), ("review", "missing_field", "1", "box-07/thompson.tif", "91.5"));
    let pulse = a.iter().find(|r| &r[3] == "encounters[0].vitals.pulse").unwrap();
    assert_eq!((&pulse[4], &pulse[5]), ("76", "2"));
    let b: Vec<_> = recs.iter().filter(|r| &r[0] == "b").collect();
    assert_eq!(b.len(), 1);
    assert_eq!((&b[0][1], &b[0][3], &b[0][4]), ("accepted", "", ""));
}

#[test]
fn schema_doc_names_every_table_and_view() {
    let db = db();
    let mut st = db
        .store
        .conn
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
        .unwrap();
    let names: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
    assert!(names.len() >= 16, "{names:?}");
    let doc = include_str!("../../docs/schema.md");
    for n in names {
        assert!(doc.contains(&format!("`{n}`")), "docs/schema.md does not describe {n}");
    }
}

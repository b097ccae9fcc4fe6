//! The one integration-test binary: the real `chartmill` binary, real
//! Tesseract over the committed fixture scans, real SQLite files.
//!
//! The fixture batch is OCR'd once (`fixture_run`) and shared by the tests
//! that only read its database; tests that change things work on copies.

#[path = "it/review.rs"]
mod review;
#[path = "it/reliability.rs"]
mod reliability;
#[path = "it/forms.rs"]
mod forms;
#[path = "it/station.rs"]
mod station;

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chartmill"));
    c.env_remove("CHARTMILL_LOG");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("chartmill runs");
    out
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn read_jsonl(bytes: &[u8]) -> Vec<Json> {
    bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect()
}

fn export(db: &Path) -> Vec<Json> {
    let out = run_ok(bin().args(["export", "--format", "jsonl", "--db"]).arg(db));
    assert!(out.status.success(), "export failed: {}", text(&out));
    read_jsonl(&out.stdout)
}

struct FixtureRun {
    _dir: tempfile::TempDir,
    db: PathBuf,
    output: Output,
}

/// The fixture archive, processed once into a fresh database.
fn fixture_run() -> &'static FixtureRun {
    static RUN: OnceLock<FixtureRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("charts.db");
        let output = run_ok(
            // Without OMP_THREAD_LIMIT, as an operator's shell would be:
            // the binary must make Tesseract single-threaded by itself.
            bin()
                .env_remove("OMP_THREAD_LIMIT")
                .arg("run")
                .arg(fixtures().join("archive"))
                .arg("--db")
                .arg(&db)
                .args(["--operator", "ci", "--progress", "lines"]),
        );
        FixtureRun { _dir: dir, db, output }
    })
}

fn truth() -> Vec<Json> {
    read_jsonl(&std::fs::read(fixtures().join("truth.jsonl")).unwrap())
}

#[test]
fn fixture_batch_meets_accuracy_floors() {
    let run = fixture_run();
    let code = run.output.status.code();
    assert!(matches!(code, Some(0) | Some(1)), "run exit {code:?}: {}", text(&run.output));
    let exported = export(&run.db);
    let truth = truth();
    assert_eq!(exported.len(), truth.len(), "every chart of the archive is exported");
    let report = chartmill::eval::evaluate(&truth, &exported);
    let r = serde_json::to_value(&report).unwrap();
    eprintln!("{}", report.to_text());
    let num = |ptr: &str| r.pointer(ptr).and_then(|v| v.as_f64()).unwrap_or_else(|| panic!("report has no {ptr}: {r}"));
    // Floors measured on these fixtures (see README, Accuracy); a drop below
    // them is a regression.
    assert!(num("/overall/accuracy") >= 0.93, "field accuracy {}", num("/overall/accuracy"));
    assert!(num("/silent/rate") <= 0.02, "silent errors {}", num("/silent/rate"));
    assert!(num("/defects_caught/accuracy") >= 0.85, "defects caught {}", num("/defects_caught/accuracy"));
    // Clean charts accepted fell from 44 % to 31 % when values read two
    // ways that disagree began to go to a person (the silent errors fell
    // from 4 to 0): the floor follows the measurement.
    assert!(num("/clean/share") >= 0.25, "clean accepted {}", num("/clean/share"));
    assert!(num("/silent/wrong") <= 1.0, "silent errors {}", num("/silent/wrong"));
}

#[test]
fn doubtful_values_are_read_again_and_keep_every_read() {
    let run = fixture_run();
    let out = text(&run.output);
    let ocr = out.lines().find(|l| l.starts_with("ocr: ")).unwrap_or_else(|| panic!("no ocr line: {out}"));
    assert!(ocr.contains("value boxes read again"), "{ocr}");
    let conn = rusqlite::Connection::open(&run.db).unwrap();
    let mut reads: Vec<String> = Vec::new();
    for table in ["chart_values", "review_values"] {
        let mut st = conn.prepare(&format!("SELECT reads FROM {table} WHERE reads IS NOT NULL")).unwrap();
        reads.extend(st.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap));
    }
    assert!(reads.len() >= 20, "some values of the fixtures are doubtful enough to be read again: {}", reads.len());
    for json in &reads {
        let r: Json = serde_json::from_str(json).unwrap();
        let r = r.as_array().unwrap();
        assert!(r.len() >= 2, "the page's read and at least one more: {json}");
        assert_eq!(r[0]["how"], "page", "{json}");
        assert!(r[1..].iter().all(|x| x["how"] == "region" || x["how"] == "region_enlarged"), "{json}");
        assert!(r.iter().all(|x| ["agrees", "differs", "fails"].contains(&x["outcome"].as_str().unwrap())), "{json}");
    }
    // A value loaded unseen was never read two ways that disagree.
    let mut st = conn.prepare("SELECT reads FROM chart_values WHERE reads IS NOT NULL").unwrap();
    for json in st.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap) {
        assert!(!json.contains("\"differs\""), "an accepted value with disagreeing reads: {json}");
    }
}

#[test]
fn summary_names_counts_and_no_patient_value() {
    let run = fixture_run();
    let out = text(&run.output);
    assert!(out.contains("accepted:"), "{out}");
    assert!(out.contains("in review:"), "{out}");
    assert!(out.contains("pages/s"), "{out}");
    // Where the time went, stage by stage, for the operator.
    let stages = out.lines().find(|l| l.starts_with("stage time")).unwrap_or_else(|| panic!("no stage times: {out}"));
    for stage in ["decode", "prepare", "ocr", "extract", "validate", "load"] {
        assert!(stages.contains(&format!(" {stage} ")), "{stages}");
    }
    assert!(out.lines().any(|l| l.starts_with("ocr: ") && l.contains(" pages")), "{out}");
    // The binary restarted itself with OMP_THREAD_LIMIT=1 (see ocr::reexec_single_threaded).
    assert!(!out.contains("OMP_THREAD_LIMIT"), "Tesseract ran multi-threaded: {out}");
    for chart in truth() {
        let p = &chart["patient"];
        for key in ["family", "mrn", "dob"] {
            if let Some(v) = p[key].as_str() {
                assert!(!out.contains(v), "summary output shows a patient {key}");
            }
        }
    }
}

#[test]
fn rerun_loads_nothing_twice() {
    let run = fixture_run();
    let before = export(&run.db);
    let again = run_ok(bin().arg("run").arg(fixtures().join("archive")).arg("--db").arg(&run.db).args(["--progress", "none"]));
    let out = text(&again);
    assert!(out.contains("0 processed"), "second run processed charts again: {out}");
    let after = export(&run.db);
    assert_eq!(before, after, "the database changed on a rerun");
}

#[test]
fn review_charts_carry_flags_and_accepted_ones_none() {
    let run = fixture_run();
    for chart in export(&run.db) {
        let flags = chart["flags"].as_array().unwrap();
        match chart["status"].as_str().unwrap() {
            "accepted" => assert!(flags.is_empty(), "{} accepted with flags", chart["chart_id"]),
            "review" => {
                assert!(!flags.is_empty(), "{} in review without a flag", chart["chart_id"]);
                for f in flags {
                    assert!(f["code"].is_string() && f["reason"].as_str().is_some_and(|r| !r.is_empty()));
                }
            }
            s => panic!("unexpected status {s}"),
        }
    }
}

#[test]
fn export_has_the_spec_keys() {
    let run = fixture_run();
    let keys = ["chart_id", "status", "flags", "patient", "allergies", "coverage", "encounters", "medications", "immunizations"];
    for chart in export(&run.db) {
        let obj = chart.as_object().unwrap();
        let got: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
        assert_eq!(got, keys, "export keys");
        for k in ["family", "given", "mrn", "dob", "sex", "address", "phone"] {
            assert!(chart["patient"].get(k).is_some(), "patient.{k} missing");
        }
    }
}

#[test]
fn csv_export_is_written_private() {
    use std::os::unix::fs::PermissionsExt;
    let run = fixture_run();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("charts.csv");
    let out = run_ok(bin().args(["export", "--format", "csv", "--db"]).arg(&run.db).arg("--output").arg(&out_path));
    assert!(out.status.success(), "{}", text(&out));
    let mode = std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mode = std::fs::metadata(&run.db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut rdr = csv::Reader::from_path(&out_path).unwrap();
    assert!(rdr.headers().unwrap().iter().any(|h| h == "chart_id"));
    assert!(rdr.records().count() > 10);
}

#[test]
fn check_pipeline_reports_every_problem_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(
        &p,
        "name = \"x\"\nversion = \"1\"\nconfidence_threshold = 500\n[[documents]]\ntype = \"Face Sheet\"\ntitles = []\n[[documents.fields]]\npath = \"patient.dob\"\nlabels = []\ntype = \"date\"\n",
    )
    .unwrap();
    let out = run_ok(bin().arg("check-pipeline").arg(&p));
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    for place in ["confidence_threshold", "documents[0].type", "documents[0].titles", "documents[0].fields[0].labels"] {
        assert!(t.contains(place), "{place} not reported: {t}");
    }
    let ok = run_ok(bin().arg("check-pipeline").arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/default.toml")));
    assert!(ok.status.success(), "{}", text(&ok));
}

#[test]
fn inspect_shows_what_a_batch_reads_on_a_page() {
    // An operator tuning a pipeline file looks at one page of the fixtures:
    // the face sheet of the first chart, whose truth is known.
    let first = &truth()[0];
    let mrn = first["patient"]["mrn"].as_str().unwrap();
    let page = fixtures().join("archive").join(first["chart_id"].as_str().unwrap()).join("page-1.tif");
    let out = run_ok(bin().arg("inspect").arg(&page));
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("page 1: face_sheet"), "{t}");
    let mrn_line = t.lines().find(|l| l.starts_with("field  patient.mrn")).unwrap_or_else(|| panic!("no MRN line: {t}"));
    assert!(mrn_line.contains(mrn), "{mrn_line}");

    // A page that is not there, and a path that is not a file: the error
    // names the file (and the page), and the exit code says failure.
    let missing = run_ok(bin().arg("inspect").arg(&page).args(["--page", "9"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).contains("page-1.tif has no page 9"), "{}", text(&missing));
    let dir = page.parent().unwrap();
    let not_a_file = run_ok(bin().arg("inspect").arg(dir));
    assert_eq!(not_a_file.status.code(), Some(2));
    let t = text(&not_a_file);
    assert!(t.contains(&dir.display().to_string()) && t.contains("cannot be read"), "{t}");
    assert_eq!(t.matches("os error").count(), 1, "cause said once: {t}");
}

#[test]
fn a_pipeline_edit_adds_a_field_without_code() {
    // A records department adds a label variant by editing TOML: `Pt Name`.
    let default = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/default.toml")).unwrap();
    let edited = default.replacen("labels = [\"Patient Name\", \"Patient\", \"Name\"]", "labels = [\"Patient Name\", \"Patient\", \"Name\", \"Pt Name\"]", 1);
    assert_ne!(default, edited);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("custom.toml");
    std::fs::write(&p, edited).unwrap();
    let out = run_ok(bin().arg("check-pipeline").arg(&p));
    assert!(out.status.success(), "{}", text(&out));
}

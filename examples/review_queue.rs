//! The verification station measured over a whole review queue, in a real
//! browser (issue 15): a scripted technician resolves every chart waiting
//! for review with the keyboard alone, the way `station.js` offers it, and
//! the export after review is compared with the truth.
//!
//! ```text
//! bash bench/review-queue.sh [FIXTURES.db]       # builds, prepares a copy, runs this
//! REVIEW_QUEUE_PASSWORD=... cargo run --release --example review_queue -- \
//!     --chartmill target/release/chartmill --db COPY.db --user NAME \
//!     [--truth fixtures/truth.jsonl] [--archive fixtures/archive] [--details FILE.json]
//! ```
//!
//! It starts `chartmill serve` on the database (which it changes: give it a
//! copy holding a technician NAME with the password in
//! `REVIEW_QUEUE_PASSWORD`) and `/usr/bin/chromedriver` with a headless
//! Chromium, logs in, and opens the oldest chart (`n`). On each chart, for
//! every flagged field the page shows (the station puts the focus on the
//! first one):
//!
//! - it looks up the field's true value in the truth file (the truth
//!   document flattened to concrete paths; the chart's encounters,
//!   medications and immunizations paired with the truth's by their key,
//!   then by position, as `chartmill eval` pairs them; a composite field's
//!   text — a name, an address, a signature, diagnoses, allergies — composed
//!   from the true parts by `review::parts::compose`);
//! - the value shown equals the truth: Enter (confirm as read);
//! - it does not: the true text is typed over it, then Enter;
//! - the field has no true value: its flag is waived (Alt+W, the reason
//!   with the arrow keys, Enter) as not written on the page;
//! - the core refuses the confirmation or correction (HTTP 409, the
//!   message in `#refused`): the refusal is recorded and the field's flags
//!   are waived instead;
//! - flags left open on a field after a confirmation (a code other than
//!   `low_confidence`) are waived: as written;
//!
//! then the flags without a value box (`unknown_document`, `unreadable_page`)
//! are waived from the page (`w`, the reason, Enter) and the chart is
//! approved (`a`), which opens the next chart. `duplicate_patient` is waived
//! as the same or a different patient by comparing the charts' truths.
//!
//! Keystrokes are counted as a technician presses them: each typed
//! character (Shift not counted), Enter, Tab, Esc, a chord such as Alt+W as
//! one, each arrow key in a list of reasons. For a correction the edit
//! distance between the text shown and the true text is kept beside it:
//! what editing the text in place would need at least, against retyping. At the end `chartmill eval` and `chartmill export`
//! are run on the database as it was before the review and after it, and
//! a short report is printed; `--details` writes every field's record as
//! JSON.

use chartmill::pipeline::{Pipeline, ValueType};
use chartmill::review::draft::field_kind;
use chartmill::review::parts::compose;
use fantoccini::{Client, Locator};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// WebDriver's codes for the keys that are not characters.
const ENTER: &str = "\u{E007}";
const TAB: &str = "\u{E004}";
const ESCAPE: &str = "\u{E00C}";
const ALT: &str = "\u{E00A}";
const RELEASE: &str = "\u{E000}";
const DOWN: &str = "\u{E015}";

/// Actions on one chart before the technician gives up on it.
const MAX_STEPS: usize = 80;
/// How long one page may take to come back after a key.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

type Res<T> = Result<T, Box<dyn std::error::Error>>;

// ---- arguments and child processes -------------------------------------------

struct Args {
    chartmill: PathBuf,
    db: PathBuf,
    truth: PathBuf,
    archive: PathBuf,
    user: String,
    password: String,
    details: Option<PathBuf>,
}

fn args() -> Res<Args> {
    let mut map: HashMap<String, String> = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let Some(name) = k.strip_prefix("--") else { return Err(format!("unexpected argument {k}").into()) };
        let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        map.insert(name.to_string(), v);
    }
    let need = |k: &str| map.get(k).cloned().ok_or_else(|| format!("--{k} is required"));
    Ok(Args {
        chartmill: need("chartmill")?.into(),
        db: need("db")?.into(),
        truth: map.get("truth").cloned().unwrap_or_else(|| "fixtures/truth.jsonl".into()).into(),
        archive: map.get("archive").cloned().unwrap_or_else(|| "fixtures/archive".into()).into(),
        user: need("user")?,
        password: std::env::var("REVIEW_QUEUE_PASSWORD").map_err(|_| "REVIEW_QUEUE_PASSWORD is not set")?,
        details: map.get("details").map(PathBuf::from),
    })
}

/// A child process killed when dropped (also when the run panics).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) -> Res<()> {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} does not listen on port {port}").into())
}

// ---- the truth ---------------------------------------------------------------

/// Lower case, whitespace collapsed: how `chartmill eval` compares text.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A scalar as the text a reviewer types.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every non-null leaf of `v` under `path`, as concrete paths.
fn flatten(v: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                flatten(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, &format!("{path}[{i}]"), out);
            }
        }
        Value::Null => {}
        leaf => {
            out.insert(path.to_string(), leaf.clone());
        }
    }
}

/// The key `chartmill eval` pairs the items of a list by.
fn item_key(list: &str, item: &serde_json::Map<String, Value>) -> Option<String> {
    let get = |k: &str| item.get(k).and_then(scalar).map(|s| norm(&s));
    match list {
        "encounters" => get("date"),
        "medications" => get("name"),
        "immunizations" => Some(format!("{}|{}", get("vaccine")?, get("date")?)),
        _ => None,
    }
}

/// The records of the chart as the station shows them: list → index → the
/// item's simple values (`immunizations[2].vaccine` → 2 → vaccine).
fn chart_items(page: &Page) -> HashMap<&'static str, BTreeMap<usize, serde_json::Map<String, Value>>> {
    let mut out: HashMap<&'static str, BTreeMap<usize, serde_json::Map<String, Value>>> = HashMap::new();
    for b in &page.boxes {
        for list in ["encounters", "medications", "immunizations"] {
            let Some(rest) = b.field.strip_prefix(list).and_then(|r| r.strip_prefix('[')) else { continue };
            let Some((i, key)) = rest.split_once("].") else { continue };
            let Ok(i) = i.parse::<usize>() else { continue };
            let item = out.entry(list).or_default().entry(i).or_default();
            if !key.contains('.') && !key.contains('[') {
                item.insert(key.to_string(), Value::String(b.original.clone()));
            }
        }
    }
    out
}

/// The truth of one chart, flattened to the chart's own concrete paths:
/// the truth's list items renumbered as the chart's items they pair with
/// (by key first, then the rest in order, as `chartmill eval` does). A
/// truth item the chart has no item for is left out: the station cannot
/// add a record.
fn truth_for_chart(doc: &Value, page: &Page) -> BTreeMap<String, Value> {
    let items = chart_items(page);
    let mut out = BTreeMap::new();
    let Some(obj) = doc.as_object() else { return out };
    for (k, v) in obj {
        if matches!(k.as_str(), "chart_id" | "status" | "flags") {
            continue;
        }
        let list = ["encounters", "medications", "immunizations"].into_iter().find(|l| l == k);
        let (Some(list), Some(truth_items)) = (list, v.as_array()) else {
            flatten(v, k, &mut out);
            continue;
        };
        let empty = BTreeMap::new();
        let chart: Vec<(usize, &serde_json::Map<String, Value>)> = items.get(list).unwrap_or(&empty).iter().map(|(i, m)| (*i, m)).collect();
        let mut used = vec![false; chart.len()];
        let mut paired: Vec<Option<usize>> = vec![None; truth_items.len()];
        for (ti, t) in truth_items.iter().enumerate() {
            let Some(key) = t.as_object().and_then(|t| item_key(list, t)) else { continue };
            if let Some(j) = (0..chart.len()).find(|&j| !used[j] && item_key(list, chart[j].1).as_deref() == Some(key.as_str())) {
                used[j] = true;
                paired[ti] = Some(j);
            }
        }
        let mut rest = (0..chart.len()).filter(|&j| !used[j]).collect::<Vec<_>>().into_iter();
        for p in paired.iter_mut().filter(|p| p.is_none()) {
            *p = rest.next();
        }
        for (ti, j) in paired.iter().enumerate() {
            if let Some(j) = j {
                flatten(&truth_items[ti], &format!("{list}[{}]", chart[*j].0), &mut out);
            }
        }
    }
    out
}

/// What a reviewer types for a field: the true value, or for a composite
/// field its text composed from the true parts. Diagnoses are typed on one
/// line, separated by `;` (Enter would send the form).
fn text_for(kind: Option<ValueType>, field: &str, values: &BTreeMap<String, String>) -> Option<String> {
    match kind {
        Some(k) if k.is_composite() => compose(k, field, values).map(|t| t.replace('\n', "; ")),
        _ => values.get(field).cloned(),
    }
}

/// `patient.family=Beltran; patient.given=Derek` (the station's `span.parts`)
/// → path → text. A value holding `; ` stays whole: a new part starts only
/// where a path and `=` follow.
fn parse_parts(shown: &str) -> BTreeMap<String, String> {
    let looks_like_path = |s: &str| {
        s.split_once('=')
            .is_some_and(|(p, _)| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.[]".contains(c)))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for seg in shown.split("; ") {
        if looks_like_path(seg) || out.is_empty() {
            let (p, v) = seg.split_once('=').unwrap_or((seg, ""));
            out.push((p.to_string(), v.to_string()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str("; ");
            last.1.push_str(seg);
        }
    }
    out.into_iter().collect()
}

/// The characters to insert, delete or replace to turn `a` into `b`.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (up + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = up;
        }
    }
    row[b.len()]
}

/// Whether the text shown is the true value: numbers numerically, text as
/// `chartmill eval` compares it.
fn same(shown: &str, truth: &str) -> bool {
    match (shown.trim().parse::<f64>(), truth.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() < 1e-6,
        _ => norm(shown) == norm(truth),
    }
}

// ---- what the page shows -----------------------------------------------------

/// One value box (`form.value`).
#[derive(Clone, Debug, Deserialize)]
struct BoxRow {
    field: String,
    flagged: bool,
    /// The text as the page first showed it (`data-original`).
    original: String,
    /// The value as stored, parts named (`span.parts`), when it differs.
    parts: Option<String>,
    /// Open flag codes on the field.
    codes: Vec<String>,
}

/// One open flag's waiver form (`form.waive`).
#[derive(Clone, Debug, Deserialize)]
struct Waiver {
    flag: i64,
    field: String,
    code: String,
}

/// Where the keyboard focus is.
#[derive(Clone, Debug, Deserialize)]
struct Active {
    /// `box`, `select` (a waiver's list of reasons) or `other`.
    kind: String,
    field: String,
    flag: Option<i64>,
    value: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Page {
    path: String,
    /// The HTTP status of the page (409 when the core refused).
    status: u16,
    chart: Option<String>,
    boxes: Vec<BoxRow>,
    waivers: Vec<Waiver>,
    refused: Option<String>,
    dups: Vec<String>,
    active: Active,
    approve_enabled: bool,
    waiting: Option<usize>,
    empty: bool,
}

impl Page {
    /// The core's refusal on this page: `#refused`, with the HTTP status.
    fn refusal(&self) -> Option<String> {
        let text = self.refused.as_deref()?.trim();
        Some(if self.status == 409 { text.to_string() } else { format!("(HTTP {}) {text}", self.status) })
    }
}

/// Reads the page through the DOM, as the station renders it (pages.rs).
const READ_PAGE: &str = r#"
const q = (s, r) => (r || document).querySelector(s);
const qa = (s, r) => Array.from((r || document).querySelectorAll(s));
const boxes = qa('form.value').map(f => {
  const i = q('input.v', f), p = q('span.parts', f);
  return { field: f.dataset.field, flagged: f.classList.contains('flagged'), original: i.dataset.original || '',
           parts: p ? p.textContent : null, codes: qa('span.meta span.flag', f).map(s => s.textContent) };
});
const waivers = qa('form.waive').map(f => ({
  flag: Number(q('input[name=flag]', f).value), field: f.dataset.field || '',
  code: q('span.flag', f).textContent }));
const a = document.activeElement;
let active = { kind: 'other', field: '', flag: null, value: '' };
if (a && a.matches && a.matches('form.value input.v')) {
  active = { kind: 'box', field: a.form.dataset.field, flag: null, value: a.value };
} else if (a && a.matches && a.matches('form.waive select')) {
  active = { kind: 'select', field: a.form.dataset.field || '', flag: Number(q('input[name=flag]', a.form).value), value: a.value };
}
const nav = performance.getEntriesByType('navigation')[0];
const btn = q('#approve button'), counts = q('p.counts strong');
return { path: location.pathname, status: nav && nav.responseStatus ? nav.responseStatus : 0,
  chart: q('h1 span.id') ? q('h1 span.id').textContent : null, boxes, waivers,
  refused: q('#refused') ? q('#refused').textContent : null,
  dups: qa('table.dups tbody tr:not(.this) td:first-child a').map(x => x.textContent),
  active, approve_enabled: !!btn && !btn.disabled,
  waiting: counts ? Number(counts.textContent) : null, empty: !!q('p.notice') };
"#;

async fn read_page(c: &Client) -> Res<Page> {
    Ok(serde_json::from_value(c.execute(READ_PAGE, vec![]).await?)?)
}

/// Marks the document, so that a new one can be told from it.
async fn mark(c: &Client) -> Res<()> {
    c.execute("window.__reviewQueueMark = 1; return 1;", vec![]).await?;
    Ok(())
}

/// Waits until a new document has replaced the marked one and has loaded
/// (its images included, as a person would see it). False on timeout.
async fn wait_new_page(c: &Client) -> bool {
    let start = Instant::now();
    while start.elapsed() < PAGE_TIMEOUT {
        let v = c.execute("return window.__reviewQueueMark === undefined && document.readyState === 'complete';", vec![]).await;
        if let Ok(Value::Bool(true)) = v {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    false
}

/// Keys to the focused element (a value box or a list of reasons).
async fn keys(c: &Client, k: &str) -> Res<()> {
    c.active_element().await?.send_keys(k).await?;
    Ok(())
}

/// Keys to the page, outside any box (`a`, `w`, `n`, `f`).
async fn page_keys(c: &Client, k: &str) -> Res<()> {
    c.find(Locator::Css("body")).await?.send_keys(k).await?;
    Ok(())
}

// ---- what the technician did -------------------------------------------------

/// The first thing done on a flagged field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum First {
    /// The value shown is the truth: Enter.
    Confirm,
    /// It is not: the truth typed over it, Enter.
    Correct,
    /// The truth has no value there: waived as not written on the page.
    NoTruth,
}

/// One flagged field of a chart (or one flag without a value box).
#[derive(Clone, Debug, serde::Serialize)]
struct FieldLog {
    chart: String,
    /// `None` for a page's flag (`unknown_document`, `unreadable_page`).
    field: Option<String>,
    /// Flag codes seen on it.
    codes: Vec<String>,
    kind: Option<String>,
    /// A name, an address, a signature, diagnoses, allergies: typed as one text.
    composite: bool,
    first: Option<First>,
    /// Keys of the confirmation or correction (typed characters + Enter).
    keys_first: usize,
    /// For a correction: the characters that differ between the text shown
    /// and the text typed (Levenshtein), what editing in place would need
    /// at least, against retyping the whole text.
    edit_distance: Option<usize>,
    /// Keys to reach the field (Tab, Esc, `f`).
    keys_moving: usize,
    /// Keys of the waivers (Alt+W or `w`, arrows, Enter).
    keys_waiving: usize,
    /// Waivers: (code, reason).
    waived: Vec<(String, String)>,
    /// The core's refusals on this field (the text of `#refused`).
    refusals: Vec<String>,
    /// Form posts sent for it.
    actions: usize,
    /// Mouse clicks where a key did not do what station.js promises.
    clicks: usize,
}

impl FieldLog {
    fn new(chart: &str, field: Option<&str>) -> FieldLog {
        FieldLog {
            chart: chart.to_string(),
            field: field.map(str::to_string),
            codes: Vec::new(),
            kind: None,
            composite: false,
            first: None,
            keys_first: 0,
            edit_distance: None,
            keys_moving: 0,
            keys_waiving: 0,
            waived: Vec::new(),
            refusals: Vec::new(),
            actions: 0,
            clicks: 0,
        }
    }

    fn keys(&self) -> usize {
        self.keys_first + self.keys_moving + self.keys_waiving
    }

    /// The field's outcome in a word, for the report.
    fn outcome(&self) -> &'static str {
        match (self.first, self.refusals.is_empty(), self.waived.is_empty()) {
            (None, _, _) => "page flag waived",
            (Some(First::NoTruth), _, _) => "waived: no value on the page",
            (Some(First::Confirm), true, true) => "confirmed",
            (Some(First::Confirm), true, false) => "confirmed, another flag waived",
            (Some(First::Confirm), false, _) => "confirmation refused, waived",
            (Some(First::Correct), true, true) => "corrected",
            (Some(First::Correct), true, false) => "corrected, another flag waived",
            (Some(First::Correct), false, _) => "correction refused, waived",
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
struct ChartLog {
    chart: String,
    fields: Vec<FieldLog>,
    /// Form posts, the approval included.
    actions: usize,
    /// Keys on this chart, `a` included.
    keys: usize,
    approved: bool,
    /// Why not, when it was not.
    problem: Option<String>,
    seconds: f64,
}

/// The coded reason a flag is waived with (`WaiveReason`), and why.
fn waive_reason(code: &str, has_truth: bool, same_patient: Option<bool>) -> &'static str {
    match code {
        "unknown_document" => "not_applicable",
        "unreadable_page" => "illegible",
        "duplicate_patient" => match same_patient {
            Some(true) => "same_patient",
            _ => "different_patient",
        },
        _ if !has_truth => "not_on_source",
        // The value is the page's (confirmed, or typed from the truth) and
        // the flag still stands: an unusual but real value.
        _ => "as_written",
    }
}

/// The technician, on one chart.
struct Technician<'a> {
    c: &'a Client,
    pipeline: &'a Pipeline,
    truth: &'a HashMap<String, Value>,
}

/// One chart being worked on.
struct Work {
    log: ChartLog,
    /// The chart's truth document.
    doc: Value,
    /// Its values as text, at the chart's own concrete paths.
    truth: BTreeMap<String, String>,
    /// How often each flag's waiver was sent (a flag that stays open
    /// after two is given up on).
    waivers_sent: HashMap<i64, usize>,
}

/// What one step left on screen.
enum Step {
    /// The page after the action.
    Page(Box<Page>),
    /// The chart cannot be resolved: why.
    Stuck(String),
}

impl Technician<'_> {
    /// Resolves the chart on screen and approves it (which opens the next one).
    async fn resolve(&self, first: Page) -> Res<ChartLog> {
        let started = Instant::now();
        let chart = first.chart.clone().unwrap_or_default();
        let doc = self.truth.get(&chart).cloned().unwrap_or(Value::Null);
        let truth = truth_for_chart(&doc, &first).into_iter().filter_map(|(p, v)| Some((p, scalar(&v)?))).collect();
        let log = ChartLog { chart: chart.clone(), fields: Vec::new(), actions: 0, keys: 0, approved: false, problem: None, seconds: 0.0 };
        let mut w = Work { log, doc, truth, waivers_sent: HashMap::new() };
        let mut page = first;
        for _ in 0..MAX_STEPS {
            if page.chart.as_deref() != Some(chart.as_str()) {
                w.log.problem = Some(format!("the station left the chart (now at {} {:?})", page.path, page.chart));
                break;
            }
            let step = if page.waivers.is_empty() {
                // Nothing open: approve, and the next chart opens.
                match self.approve(&mut w, &page).await? {
                    None => w.log.approved = true,
                    Some(why) => w.log.problem = Some(why),
                }
                break;
            } else if let Some(b) = page.boxes.iter().find(|b| b.flagged).cloned() {
                // The first flagged field: the station focuses it on load.
                self.work_on_field(&mut w, &page, &b).await?
            } else {
                // Flags of a page, not of a value.
                self.waive_page_flag(&mut w, &page).await?
            };
            match step {
                Step::Page(p) => page = *p,
                Step::Stuck(why) => {
                    w.log.problem = Some(why);
                    break;
                }
            }
        }
        if !w.log.approved && w.log.problem.is_none() {
            w.log.problem = Some(format!("still open after {MAX_STEPS} steps"));
        }
        let mut log = w.log;
        log.keys += log.fields.iter().map(FieldLog::keys).sum::<usize>();
        log.seconds = started.elapsed().as_secs_f64();
        Ok(log)
    }

    /// `a` (outside any box): approve and open the next chart. `None` when
    /// approved, else why not.
    async fn approve(&self, w: &mut Work, page: &Page) -> Res<Option<String>> {
        if !page.approve_enabled {
            return Ok(Some("no flag is open but the approve button is disabled".into()));
        }
        if page.active.kind != "other" {
            keys(self.c, ESCAPE).await?;
            w.log.keys += 1;
        }
        mark(self.c).await?;
        page_keys(self.c, "a").await?;
        w.log.keys += 1;
        w.log.actions += 1;
        if !wait_new_page(self.c).await {
            return Ok(Some("`a` did not approve (no new page)".into()));
        }
        let next = read_page(self.c).await?;
        if next.chart.as_deref() == Some(w.log.chart.as_str()) {
            return Ok(Some(format!("approval refused: {}", next.refusal().unwrap_or_default())));
        }
        Ok(None)
    }

    /// One step on the first flagged field: the first time, confirm it or
    /// type the truth over it; afterwards (refused, or a flag of another
    /// code left open), waive its next flag.
    async fn work_on_field(&self, w: &mut Work, page: &Page, b: &BoxRow) -> Res<Step> {
        let i = match w.log.fields.iter().position(|f| f.field.as_deref() == Some(b.field.as_str())) {
            Some(i) => i,
            None => {
                w.log.fields.push(FieldLog::new(&w.log.chart, Some(&b.field)));
                w.log.fields.len() - 1
            }
        };
        let moving = self.focus_box(page, &b.field).await?;
        let kind = field_kind(self.pipeline, &b.field, &[]);
        let want = text_for(kind, &b.field, &w.truth);
        let f = &mut w.log.fields[i];
        for code in &b.codes {
            if !f.codes.contains(code) {
                f.codes.push(code.clone());
            }
        }
        f.keys_moving += moving;
        f.kind = kind.map(|k| k.as_str().to_string());
        f.composite = kind.is_some_and(|k| k.is_composite());

        if f.first.is_none() {
            // What is shown: the value, or a composite's parts composed the
            // way the truth's are (the box holds the text as read).
            let shown = match (kind, &b.parts) {
                (Some(k), Some(p)) if k.is_composite() => text_for(kind, &b.field, &parse_parts(p)).unwrap_or_else(|| b.original.clone()),
                _ => b.original.clone(),
            };
            let typed = match &want {
                None => {
                    f.first = Some(First::NoTruth);
                    None
                }
                Some(t) if same(&shown, t) => {
                    f.first = Some(First::Confirm);
                    Some(String::new())
                }
                Some(t) => {
                    f.first = Some(First::Correct);
                    f.edit_distance = Some(levenshtein(&b.original, t));
                    Some(t.clone())
                }
            };
            if let Some(typed) = typed {
                if !typed.is_empty() {
                    // Typing replaces the text: the box's text is selected on focus.
                    keys(self.c, &typed).await?;
                    if read_page(self.c).await?.active.value != typed {
                        return Err(format!("{} {}: the box holds another text than was typed", w.log.chart, b.field).into());
                    }
                }
                mark(self.c).await?;
                keys(self.c, ENTER).await?;
                f.keys_first += typed.chars().count() + 1;
                f.actions += 1;
                w.log.actions += 1;
                if !wait_new_page(self.c).await {
                    return Ok(Step::Stuck(format!("{}: Enter sent nothing", b.field)));
                }
                let next = read_page(self.c).await?;
                if let Some(r) = next.refusal() {
                    w.log.fields[i].refusals.push(r);
                }
                return Ok(Step::Page(Box::new(next)));
            }
        }

        // A flag left on the field: Alt+W from its box focuses its waiver.
        keys(self.c, &format!("{ALT}w{RELEASE}")).await?;
        let mut moving = 1;
        if read_page(self.c).await?.active.kind != "select" {
            // It did not: the mouse, and the station's keys are reported short.
            w.log.fields[i].clicks += 1;
            moving = 0;
            let Some(waiver) = page.waivers.iter().find(|x| x.field == b.field || x.field.starts_with(&b.field)) else {
                return Ok(Step::Stuck(format!("{}: flagged, but no waiver names it", b.field)));
            };
            self.click_waiver(waiver.flag).await?;
        }
        self.waive_focused(w, i, page, want.is_some(), moving).await
    }

    /// `w` (outside any box) focuses the first open flag's waiver: one of
    /// the page's flags once every flagged field is done.
    async fn waive_page_flag(&self, w: &mut Work, page: &Page) -> Res<Step> {
        let mut f = FieldLog::new(&w.log.chart, None);
        if page.active.kind != "other" {
            keys(self.c, ESCAPE).await?;
            f.keys_moving += 1;
        }
        page_keys(self.c, "w").await?;
        let mut moving = 1;
        if read_page(self.c).await?.active.kind != "select" {
            f.clicks += 1;
            moving = 0;
            self.click_waiver(page.waivers[0].flag).await?;
        }
        w.log.fields.push(f);
        let i = w.log.fields.len() - 1;
        self.waive_focused(w, i, page, false, moving).await
    }

    /// The focused waiver: the reason for its flag's code, Enter.
    async fn waive_focused(&self, w: &mut Work, i: usize, page: &Page, has_truth: bool, moving: usize) -> Res<Step> {
        let now = read_page(self.c).await?;
        let flag = now.active.flag.unwrap_or_default();
        let code = page.waivers.iter().find(|x| x.flag == flag).map(|x| x.code.clone()).unwrap_or_default();
        let sent = w.waivers_sent.entry(flag).or_insert(0);
        *sent += 1;
        if *sent > 2 {
            return Ok(Step::Stuck(format!("flag {flag} ({code}) stays open after two waivers")));
        }
        let reason = waive_reason(&code, has_truth, self.same_patient(&w.doc, page));
        let k = self.choose_and_send(reason).await?;
        let f = &mut w.log.fields[i];
        if !f.codes.contains(&code) {
            f.codes.push(code.clone());
        }
        f.keys_waiving += moving + k;
        f.waived.push((code, reason.to_string()));
        f.actions += 1;
        w.log.actions += 1;
        if !wait_new_page(self.c).await {
            return Ok(Step::Stuck(format!("flag {flag}: the waiver sent nothing")));
        }
        let next = read_page(self.c).await?;
        if let Some(r) = next.refusal() {
            w.log.fields[i].refusals.push(r);
        }
        Ok(Step::Page(Box::new(next)))
    }

    /// Puts the focus on the value box of `field` with the keys a person
    /// would use (Tab goes to the next flagged field; `f` to the first);
    /// returns how many were pressed.
    async fn focus_box(&self, page: &Page, field: &str) -> Res<usize> {
        if page.active.kind == "box" && page.active.field == field {
            return Ok(0);
        }
        let flagged: Vec<&str> = page.boxes.iter().filter(|b| b.flagged).map(|b| b.field.as_str()).collect();
        let target = flagged.iter().position(|f| *f == field).ok_or("the field is not flagged")?;
        let mut n = 0;
        let from = match page.active.kind.as_str() {
            "box" => flagged.iter().position(|f| *f == page.active.field),
            _ => None,
        };
        let from = match from {
            Some(i) if i <= target => i,
            _ => {
                if page.active.kind != "other" {
                    keys(self.c, ESCAPE).await?;
                    n += 1;
                }
                page_keys(self.c, "f").await?;
                n += 1;
                0
            }
        };
        for _ in from..target {
            keys(self.c, TAB).await?;
            n += 1;
        }
        let now = read_page(self.c).await?;
        if now.active.kind != "box" || now.active.field != field {
            return Err(format!("could not reach {field} with the keyboard (focus on {:?})", now.active).into());
        }
        Ok(n)
    }

    /// Focuses a flag's list of reasons with the mouse (when the keys failed).
    async fn click_waiver(&self, flag: i64) -> Res<()> {
        let css = format!("form.waive:has(input[name=flag][value='{flag}']) select");
        self.c.find(Locator::Css(&css)).await?.click().await?;
        Ok(())
    }

    /// In the focused list of reasons: arrow down to `reason`, Enter (which
    /// sends the waiver). Returns the keys pressed.
    async fn choose_and_send(&self, reason: &str) -> Res<usize> {
        let options = self.c.execute("return Array.from(document.activeElement.options).map(o => o.value);", vec![]).await?;
        let options: Vec<String> = serde_json::from_value(options)?;
        let at = options.iter().position(|o| o == reason).ok_or_else(|| format!("no reason {reason} in the list"))?;
        let selected = self.c.execute("return document.activeElement.selectedIndex;", vec![]).await?.as_u64().unwrap_or(0) as usize;
        let downs = at.saturating_sub(selected);
        if downs > 0 {
            keys(self.c, &DOWN.repeat(downs)).await?;
        }
        let now = self.c.execute("return document.activeElement.value;", vec![]).await?;
        if now.as_str() != Some(reason) {
            return Err(format!("the arrow keys chose {now} instead of {reason}").into());
        }
        mark(self.c).await?;
        keys(self.c, ENTER).await?;
        Ok(downs + 1)
    }

    /// For `duplicate_patient`: whether the other chart the station names is,
    /// by the truth, the same patient (same name and date of birth).
    fn same_patient(&self, doc: &Value, page: &Page) -> Option<bool> {
        let who = |d: &Value| -> Option<(String, String, String)> {
            let p = &d["patient"];
            Some((norm(p["family"].as_str()?), norm(p["given"].as_str().unwrap_or("")), p["dob"].as_str()?.to_string()))
        };
        let me = who(doc)?;
        Some(page.dups.iter().any(|other| self.truth.get(other).and_then(who).as_ref() == Some(&me)))
    }
}

// ---- before and after --------------------------------------------------------

fn eval(bin: &Path, truth: &Path, db: &Path) -> Res<Value> {
    let out = Command::new(bin).args(["eval", "--json", "--truth"]).arg(truth).arg("--db").arg(db).output()?;
    serde_json::from_slice(&out.stdout).map_err(|e| format!("chartmill eval: {e}: {}", String::from_utf8_lossy(&out.stderr)).into())
}

fn export(bin: &Path, db: &Path) -> Res<Vec<Value>> {
    let out = Command::new(bin).args(["export", "--db"]).arg(db).output()?;
    if !out.status.success() {
        return Err(format!("chartmill export: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<_, _>>()?)
}

fn read_truth(path: &Path) -> Res<Vec<Value>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<_, _>>()?)
}

const RECORDS: [&str; 3] = ["encounters", "medications", "immunizations"];

/// Records per chart: chart → [encounters, medications, immunizations].
fn records(docs: &[Value]) -> BTreeMap<String, [usize; 3]> {
    docs.iter()
        .map(|d| {
            let n = |k: &str| d[k].as_array().map_or(0, Vec::len);
            (d["chart_id"].as_str().unwrap_or_default().to_string(), [n(RECORDS[0]), n(RECORDS[1]), n(RECORDS[2])])
        })
        .collect()
}

fn total(r: &BTreeMap<String, [usize; 3]>, i: usize) -> usize {
    r.values().map(|x| x[i]).sum()
}

fn mean(xs: &[usize]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<usize>() as f64 / xs.len() as f64
    }
}

fn pct(x: &Value) -> String {
    format!("{:.1} %", x.as_f64().unwrap_or(0.0) * 100.0)
}

/// Every wrong value of an export, by (chart, truth path), whatever the
/// charts' status: `eval::evaluate` (what `chartmill eval` runs) on the
/// export with every chart marked accepted, so that its list of wrong
/// values in accepted charts covers them all.
fn wrong_values(truth: &[Value], export: &[Value]) -> BTreeMap<(String, String), (Value, Value)> {
    let all: Vec<Value> = export
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d["status"] = json!("accepted");
            d
        })
        .collect();
    chartmill::eval::evaluate(truth, &all).silent_errors.into_iter().map(|w| ((w.chart_id, w.path), (w.expected, w.got))).collect()
}

/// Whether a value at `path` is the field or one of its parts:
/// `patient.family` of `patient.name`, `encounters[0].signed_by` of
/// `encounters[0].signature`. (`path` is numbered as the truth's records,
/// `field` as the chart's; on the fixtures they are the same.)
fn part_of(path: &str, field: &str) -> bool {
    let (p, f) = (path, field);
    let parent = f.rsplit_once('.').map_or("", |(a, _)| a);
    let sibling = |k: &str| p == format!("{parent}.{k}");
    p == f
        || p.starts_with(&format!("{f}."))
        || p.starts_with(&format!("{f}["))
        || (f.ends_with(".name") && (sibling("family") || sibling("given")))
        || (f.ends_with(".signature") && (sibling("signed_by") || sibling("signed_date")))
}

// ---- the run -----------------------------------------------------------------

fn main() -> Res<()> {
    let a = args()?;
    let truth_docs = read_truth(&a.truth)?;
    let truth: HashMap<String, Value> = truth_docs.iter().filter_map(|d| Some((d["chart_id"].as_str()?.to_string(), d.clone()))).collect();
    let pipeline = Pipeline::default_pipeline();

    // Before the review.
    let eval_before = eval(&a.chartmill, &a.truth, &a.db)?;
    let export_before = export(&a.chartmill, &a.db)?;

    // The station and the browser.
    let port = free_port();
    let serve = Child(
        Command::new(&a.chartmill)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
            .arg(&a.db)
            .arg("--archive")
            .arg(&a.archive)
            .stderr(Stdio::null())
            .spawn()?,
    );
    let driver_port = free_port();
    let _driver = Child(
        Command::new("/usr/bin/chromedriver").arg(format!("--port={driver_port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?,
    );
    wait_for_port(port, "chartmill serve")?;
    wait_for_port(driver_port, "chromedriver")?;
    let profile = tempfile::tempdir()?;
    let base = format!("http://127.0.0.1:{port}");

    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let run = rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--no-first-run", "--disable-quic", "--window-size=1600,1000",
                         format!("--user-data-dir={}", profile.path().display())]
            }),
        );
        let c = fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await?;
        let out = drive(&c, &base, &a, &pipeline, &truth).await;
        c.close().await?;
        out
    })?;
    let wall = started.elapsed().as_secs_f64();
    drop(serve); // the station stops before the database is read again

    // After the review.
    let eval_after = eval(&a.chartmill, &a.truth, &a.db)?;
    let export_after = export(&a.chartmill, &a.db)?;
    if let Some(path) = &a.details {
        let doc = json!({ "charts": run.charts, "eval_before": eval_before, "eval_after": eval_after });
        std::fs::write(path, serde_json::to_string_pretty(&doc)?)?;
    }
    report(&Summary {
        run: &run,
        wall,
        eval_before: &eval_before,
        eval_after: &eval_after,
        wrong_before: wrong_values(&truth_docs, &export_before),
        wrong_after: wrong_values(&truth_docs, &export_after),
        before: records(&export_before),
        after: records(&export_after),
        truth: records(&truth_docs),
        accepted_after: export_after.iter().filter(|d| d["status"] == "accepted").count(),
        exported_after: export_after.len(),
    });
    Ok(())
}

/// What the technician did over the queue.
struct Run {
    /// Charts waiting when the technician logged in, and when they were done.
    waiting_before: usize,
    waiting_after: Option<usize>,
    charts: Vec<ChartLog>,
    /// Keys that opened the first chart (`n`).
    opening_keys: usize,
}

/// Logs in and works through the queue, oldest chart first.
async fn drive(c: &Client, base: &str, a: &Args, pipeline: &Pipeline, truth: &HashMap<String, Value>) -> Res<Run> {
    c.goto(&format!("{base}/login")).await?;
    c.find(Locator::Css("input[name=name]")).await?.send_keys(&a.user).await?;
    c.find(Locator::Css("input[name=password]")).await?.send_keys(&format!("{}{ENTER}", a.password)).await?;
    c.wait().at_most(PAGE_TIMEOUT).for_element(Locator::Css("table.queue")).await?;
    let queue = read_page(c).await?;
    let mut run = Run { waiting_before: queue.waiting.unwrap_or(0), waiting_after: None, charts: Vec::new(), opening_keys: 1 };

    // `n`: the next chart (the oldest waiting).
    mark(c).await?;
    page_keys(c, "n").await?;
    if !wait_new_page(c).await {
        return Err("`n` did not open a chart".into());
    }
    let tech = Technician { c, pipeline, truth };
    loop {
        let page = read_page(c).await?;
        if page.path != "/chart" {
            // The queue again: "No chart is waiting that you can take".
            if !page.empty {
                eprintln!("review-queue: the station showed {} instead of a chart", page.path);
            }
            run.waiting_after = page.waiting;
            break;
        }
        let id = page.chart.clone().unwrap_or_default();
        if run.charts.iter().any(|l| l.chart == id) {
            eprintln!("review-queue: {id} is offered again after it was given up on; stopping");
            break;
        }
        let log = tech.resolve(page).await?;
        eprintln!(
            "review-queue: {} {} ({} flagged fields, {} keys, {} actions, {:.1} s){}",
            log.chart,
            if log.approved { "approved" } else { "NOT approved" },
            log.fields.iter().filter(|f| f.field.is_some()).count(),
            log.keys,
            log.actions,
            log.seconds,
            log.problem.as_deref().map(|p| format!(": {p}")).unwrap_or_default()
        );
        let approved = log.approved;
        run.charts.push(log);
        if !approved {
            // Set it aside (Hold, by mouse: it has no key) and take the next.
            hold(c, "review-queue benchmark: could not be resolved in the station").await?;
            mark(c).await?;
            page_keys(c, "n").await?;
            if !wait_new_page(c).await {
                break;
            }
        }
    }
    Ok(run)
}

/// Sets the chart on screen aside with the Hold form.
async fn hold(c: &Client, reason: &str) -> Res<()> {
    let form = c.find(Locator::Css("form:has(button[value=hold])")).await?;
    form.find(Locator::Css("input[name=reason]")).await?.send_keys(reason).await?;
    mark(c).await?;
    form.find(Locator::Css("button[value=hold]")).await?.click().await?;
    wait_new_page(c).await;
    Ok(())
}

// ---- the report --------------------------------------------------------------

struct Summary<'a> {
    run: &'a Run,
    wall: f64,
    eval_before: &'a Value,
    eval_after: &'a Value,
    /// Every wrong value of the export, by (chart, truth path): (expected, got).
    wrong_before: BTreeMap<(String, String), (Value, Value)>,
    wrong_after: BTreeMap<(String, String), (Value, Value)>,
    before: BTreeMap<String, [usize; 3]>,
    after: BTreeMap<String, [usize; 3]>,
    truth: BTreeMap<String, [usize; 3]>,
    accepted_after: usize,
    exported_after: usize,
}

/// `mean (n=N, min–max)`.
fn fmt_mean(xs: &[usize]) -> String {
    match (xs.iter().min(), xs.iter().max()) {
        (Some(lo), Some(hi)) => format!("{:.1} (n={}, {lo}–{hi})", mean(xs), xs.len()),
        _ => "- (n=0)".into(),
    }
}

fn report(s: &Summary) {
    let charts = &s.run.charts;
    let all: Vec<&FieldLog> = charts.iter().flat_map(|c| c.fields.iter()).collect();
    let fields: Vec<&FieldLog> = all.iter().copied().filter(|f| f.field.is_some()).collect();
    let page_flags: Vec<&FieldLog> = all.iter().copied().filter(|f| f.field.is_none()).collect();
    let approved = charts.iter().filter(|c| c.approved).count();
    let clicks: usize = all.iter().map(|f| f.clicks).sum();

    println!("Review queue in the verification station (chartmill serve; headless Chromium over WebDriver; keyboard only)");
    println!();
    println!(
        "Charts: {} waiting; {} resolved and approved in the station, {} not; {} waiting afterwards; {:.0} s ({:.1} s per chart)",
        s.run.waiting_before,
        approved,
        charts.len() - approved,
        s.run.waiting_after.map_or("?".to_string(), |n| n.to_string()),
        s.wall,
        s.wall / charts.len().max(1) as f64
    );
    for c in charts.iter().filter(|c| !c.approved) {
        println!("  not approved: {}: {}", c.chart, c.problem.as_deref().unwrap_or("-"));
    }
    let actions: Vec<usize> = charts.iter().map(|c| c.actions).collect();
    let keys: Vec<usize> = charts.iter().map(|c| c.keys).collect();
    println!("  actions (forms sent) per chart, approval included: {}", fmt_mean(&actions));
    println!("  keystrokes per chart, approval included:           {}", fmt_mean(&keys));
    println!("  mouse clicks: {clicks}; keys to open the first chart: {}", s.run.opening_keys);
    println!();

    let field_keys: Vec<usize> = fields.iter().map(|f| f.keys()).collect();
    println!("Flagged fields: {}; keystrokes per flagged field {}", fields.len(), fmt_mean(&field_keys));
    let mut outcomes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for f in &fields {
        outcomes.entry(f.outcome()).or_default().push(f.keys());
    }
    for (o, ks) in &outcomes {
        println!("  {:<32} {:>3}   keys {}", o, ks.len(), fmt_mean(ks));
    }
    let ok = |f: &&&FieldLog, first: First| f.first == Some(first) && f.refusals.is_empty();
    let confirm: Vec<usize> = fields.iter().filter(|f| ok(f, First::Confirm)).map(|f| f.keys_first + f.keys_moving).collect();
    let correct = |composite: bool| -> (Vec<usize>, Vec<usize>) {
        let cs: Vec<&&FieldLog> = fields.iter().filter(|f| ok(f, First::Correct)).filter(|f| f.composite == composite).collect();
        (cs.iter().map(|f| f.keys_first + f.keys_moving).collect(), cs.iter().filter_map(|f| f.edit_distance).collect())
    };
    let (simple, simple_edit) = correct(false);
    let (composite, composite_edit) = correct(true);
    let all_corr: Vec<usize> = simple.iter().chain(&composite).copied().collect();
    let waivers: usize = all.iter().map(|f| f.waived.len()).sum();
    let waiver_keys: usize = all.iter().map(|f| f.keys_waiving).sum();
    println!("Keystrokes per confirmation (Enter):                  {}", fmt_mean(&confirm));
    println!("Keystrokes per correction (typed characters + Enter): {}", fmt_mean(&all_corr));
    println!("  of a simple field:    {}; edit distance shown → true {}", fmt_mean(&simple), fmt_mean(&simple_edit));
    println!("  of a composite field: {}; edit distance shown → true {}", fmt_mean(&composite), fmt_mean(&composite_edit));
    println!("Keystrokes per waiver (Alt+W or w, arrows, Enter):    {:.1} (n={waivers})", waiver_keys as f64 / waivers.max(1) as f64);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for f in &all {
        for (code, why) in &f.waived {
            *reasons.entry(format!("{code} as {why}")).or_default() += 1;
        }
    }
    println!("  {}", reasons.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", "));
    println!("  of them page flags (no value box): {}", page_flags.len());
    println!();

    let refusals: Vec<(&FieldLog, &String)> = all.iter().flat_map(|f| f.refusals.iter().map(move |r| (*f, r))).collect();
    println!("Refusals by the review core: {}", refusals.len());
    for (f, r) in &refusals {
        println!("  {} {} ({}):", f.chart, f.field.as_deref().unwrap_or("-"), f.outcome());
        for line in r.lines() {
            println!("      {line}");
        }
    }
    println!();

    let (b, a) = (s.eval_before, s.eval_after);
    let wrong = |e: &Value| e["overall"]["compared"].as_u64().unwrap_or(0).saturating_sub(e["overall"]["correct"].as_u64().unwrap_or(0));
    let of = |x: &Value, y: &Value| format!("{x} of {y}");
    println!("Export against the truth (chartmill eval)   before review   after review");
    println!("  field accuracy                      {:>15}   {:>12}", pct(&b["overall"]["accuracy"]), pct(&a["overall"]["accuracy"]));
    println!(
        "  wrong values, all charts            {:>15}   {:>12}",
        of(&json!(wrong(b)), &b["overall"]["compared"]),
        of(&json!(wrong(a)), &a["overall"]["compared"])
    );
    println!(
        "  charts accepted                     {:>15}   {:>12}",
        b["silent"]["accepted_charts"].to_string(),
        a["silent"]["accepted_charts"].to_string()
    );
    println!(
        "  wrong values in accepted charts     {:>15}   {:>12}",
        of(&b["silent"]["wrong"], &b["silent"]["compared"]),
        of(&a["silent"]["wrong"], &a["silent"]["compared"])
    );
    let made_wrong: Vec<_> = s.wrong_after.keys().filter(|k| !s.wrong_before.contains_key(*k)).collect();
    let made_right = s.wrong_before.keys().filter(|k| !s.wrong_after.contains_key(*k)).count();
    println!("  values wrong after review that were right before: {}; wrong before and right after: {made_right}", made_wrong.len());
    println!("  charts exported after review: {}, {} of them accepted", s.exported_after, s.accepted_after);
    println!();
    println!("Records                before   after   truth");
    for (i, r) in RECORDS.iter().enumerate() {
        println!("  {:<18} {:>8} {:>7} {:>7}", r, total(&s.before, i), total(&s.after, i), total(&s.truth, i));
    }
    let lost: Vec<String> = s
        .before
        .iter()
        .filter(|(id, n)| {
            let after = s.after.get(*id).copied().unwrap_or_default();
            (0..3).any(|i| after[i] < n[i])
        })
        .map(|(id, _)| id.clone())
        .collect();
    println!("  charts with fewer records after review than before: {}", if lost.is_empty() { "none".into() } else { lost.join(", ") });

    if !s.wrong_after.is_empty() {
        println!();
        println!("Wrong values left after review (synthetic fixture data):");
        for ((chart, path), (expected, got)) in &s.wrong_after {
            let flagged = fields.iter().any(|f| &f.chart == chart && part_of(path, f.field.as_deref().unwrap_or("")));
            println!(
                "  {chart} {path}: expected {expected}, got {got}; {}, {}",
                if flagged { "a field flagged on the chart" } else { "not flagged" },
                if s.wrong_before.contains_key(&(chart.clone(), path.clone())) { "wrong before review too" } else { "RIGHT BEFORE REVIEW" }
            );
        }
    }
}

//! The export: JSON lines in the spec's shape, a flat CSV of the same, and
//! the helpers that keep written files private and CSV cells inert.
//!
//! Which charts: every accepted chart and every chart in review, ordered by
//! chart id. Failed charts have no document; rejected charts were refused by
//! a reviewer and stay out of the export as they stay out of the validated
//! tables (both are listed by `list_charts` and `reconcile`).
//!
//! `flags` lists the chart's **open** flags (resolved and waived flags stay
//! in the `flags` table and the audit): a chart in review shows why it waits,
//! an accepted chart has `[]`.

use super::query::status_col;
use super::{Result, Store, StoreError};
use crate::model::{ChartStatus, Flag, FlagCode};
use rusqlite::{Transaction, TransactionBehavior};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Make a CSV cell safe to open in a spreadsheet: a cell starting with `=`,
/// `+`, `-`, `@`, tab or carriage return is prefixed with `'` so that it is
/// shown as text and never run as a formula.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Create (or truncate) a file readable and writable by its owner only
/// (mode 0600, also when the file already existed with a wider mode).
/// Every file chartmill writes with patient data is opened with this.
pub fn create_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    if file.metadata()?.is_file() {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// The spec's export document: every key in order, with its default.
#[derive(Clone, Copy)]
enum Shape {
    /// A scalar; absent is `null`.
    Leaf,
    /// A list of items; absent is `[]`.
    List(&'static Shape),
    /// An object with these keys; absent members are defaulted one by one.
    Obj(&'static [(&'static str, Shape)]),
}

use Shape::{Leaf, List, Obj};

const ADDRESS: Shape = Obj(&[("line", Leaf), ("city", Leaf), ("state", Leaf), ("zip", Leaf)]);
const PATIENT: Shape = Obj(&[
    ("family", Leaf),
    ("given", Leaf),
    ("mrn", Leaf),
    ("dob", Leaf),
    ("sex", Leaf),
    ("address", ADDRESS),
    ("phone", Leaf),
]);
const ALLERGY: Shape = Obj(&[("substance", Leaf), ("reaction", Leaf)]);
const COVERAGE: Shape = Obj(&[("payer", Leaf), ("member_id", Leaf), ("group", Leaf)]);
const VITALS: Shape = Obj(&[("bp", Leaf), ("pulse", Leaf), ("temp_f", Leaf), ("weight_lb", Leaf)]);
const DIAGNOSIS: Shape = Obj(&[("code", Leaf), ("text", Leaf)]);
const ENCOUNTER: Shape = Obj(&[
    ("date", Leaf),
    ("provider", Leaf),
    ("npi", Leaf),
    ("vitals", VITALS),
    ("diagnoses", List(&DIAGNOSIS)),
    ("signed_by", Leaf),
    ("signed_date", Leaf),
]);
const MEDICATION: Shape =
    Obj(&[("name", Leaf), ("dose", Leaf), ("route", Leaf), ("frequency", Leaf), ("start_date", Leaf)]);
const IMMUNIZATION: Shape = Obj(&[("vaccine", Leaf), ("cvx", Leaf), ("date", Leaf), ("lot", Leaf)]);

/// The document keys after `chart_id`, `status` and `flags`.
const DOCUMENT: &[(&str, Shape)] = &[
    ("patient", PATIENT),
    ("allergies", List(&ALLERGY)),
    ("coverage", COVERAGE),
    ("encounters", List(&ENCOUNTER)),
    ("medications", List(&MEDICATION)),
    ("immunizations", List(&IMMUNIZATION)),
];

/// The keys of one exported chart, in order.
pub const EXPORT_KEYS: [&str; 9] =
    ["chart_id", "status", "flags", "patient", "allergies", "coverage", "encounters", "medications", "immunizations"];

/// JSON with keys in a fixed order, whatever serde_json's map does.
#[derive(Debug)]
enum Node {
    Raw(Json),
    Obj(Vec<(String, Node)>),
    List(Vec<Node>),
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Node::Raw(v) => v.serialize(s),
            Node::List(items) => s.collect_seq(items),
            Node::Obj(fields) => {
                let mut m = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

/// Put `value` in the shape: spec keys in order with their defaults. A value
/// of another type than the shape expects, and keys the spec does not name
/// (paths a custom pipeline adds), are kept as they are, after the spec's
/// keys, so that nothing read is lost.
fn shaped(shape: &Shape, value: Option<&Json>) -> Node {
    let value = value.filter(|v| !v.is_null());
    match (shape, value) {
        (Leaf, v) => Node::Raw(v.cloned().unwrap_or(Json::Null)),
        (List(_), None) => Node::List(Vec::new()),
        (List(item), Some(Json::Array(a))) => Node::List(a.iter().map(|x| shaped(item, Some(x))).collect()),
        (Obj(fields), None) => Node::Obj(members(fields, None, &[])),
        (Obj(fields), Some(Json::Object(o))) => Node::Obj(members(fields, Some(o), &[])),
        (_, Some(other)) => Node::Raw(other.clone()),
    }
}

fn members(fields: &[(&str, Shape)], obj: Option<&Map<String, Json>>, skip: &[&str]) -> Vec<(String, Node)> {
    let mut out: Vec<(String, Node)> =
        fields.iter().map(|(k, s)| (k.to_string(), shaped(s, obj.and_then(|o| o.get(*k))))).collect();
    for (k, v) in obj.into_iter().flatten() {
        if !fields.iter().any(|(f, _)| f == k) && !skip.contains(&k.as_str()) {
            out.push((k.clone(), Node::Raw(v.clone())));
        }
    }
    out
}

fn flag_node(f: &Flag) -> Node {
    Node::Obj(vec![
        ("code".into(), Node::Raw(Json::from(f.code.as_str()))),
        ("field".into(), Node::Raw(f.field.clone().map_or(Json::Null, Json::from))),
        ("page".into(), Node::Raw(f.page.map_or(Json::Null, Json::from))),
        ("reason".into(), Node::Raw(Json::from(f.reason.as_str()))),
    ])
}

/// One chart of the export.
struct Exported {
    chart_id: String,
    status: ChartStatus,
    /// Open flags, in the order raised.
    flags: Vec<Flag>,
    document: Json,
}

impl Exported {
    /// The spec's JSON object: `chart_id`, `status`, `flags` from the tables,
    /// the rest from the stored document.
    fn to_node(&self) -> Node {
        let mut fields = vec![
            ("chart_id".to_string(), Node::Raw(Json::from(self.chart_id.as_str()))),
            ("status".to_string(), Node::Raw(Json::from(self.status.as_str()))),
            ("flags".to_string(), Node::List(self.flags.iter().map(flag_node).collect())),
        ];
        // The stored document has every key its pipeline declares
        // (`extract::document`). A part of the spec it lacks at the top
        // (`encounters`, `coverage`) belongs to no field of that pipeline
        // and is left out: a claim-form pipeline exports claims, not empty
        // encounters. A document that holds nothing at all gets the spec's shape.
        let doc = self.document.as_object();
        let spec: Vec<(&str, Shape)> = match doc {
            Some(d) if !d.is_empty() => DOCUMENT.iter().filter(|(k, _)| d.contains_key(*k)).cloned().collect(),
            _ => DOCUMENT.to_vec(),
        };
        fields.extend(members(&spec, doc, &EXPORT_KEYS[..3]));
        Node::Obj(fields)
    }
}

/// Leaves of a node with their concrete paths (`encounters[0].vitals.bp`);
/// nulls and empty lists give none.
fn leaves<'a>(node: &'a Node, path: &mut String, out: &mut Vec<(String, &'a Json)>) {
    fn push_key(path: &mut String, key: &str) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
    fn json_leaves<'a>(v: &'a Json, path: &mut String, out: &mut Vec<(String, &'a Json)>) {
        let len = path.len();
        match v {
            Json::Null => {}
            Json::Object(o) => {
                for (k, x) in o {
                    push_key(path, k);
                    json_leaves(x, path, out);
                    path.truncate(len);
                }
            }
            Json::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push_str(&format!("[{i}]"));
                    json_leaves(x, path, out);
                    path.truncate(len);
                }
            }
            scalar => out.push((path.clone(), scalar)),
        }
    }
    let len = path.len();
    match node {
        Node::Raw(v) => json_leaves(v, path, out),
        Node::Obj(fields) => {
            for (k, x) in fields {
                push_key(path, k);
                leaves(x, path, out);
                path.truncate(len);
            }
        }
        Node::List(items) => {
            for (i, x) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                leaves(x, path, out);
                path.truncate(len);
            }
        }
    }
}

fn cell(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

fn write_err(source: io::Error) -> StoreError {
    StoreError::Write { source }
}

/// Header of the CSV export.
pub const CSV_HEADER: [&str; 8] = ["chart_id", "status", "flags", "path", "value", "page", "file", "conf"];

impl Store {
    /// Visit every exported chart in chart-id order, inside one read
    /// transaction so that a run writing at the same time cannot mix two
    /// states into one export. Returns the number of charts.
    fn for_each_export(&self, rejected: bool, mut visit: impl FnMut(&Exported) -> Result<()>) -> Result<u64> {
        let err = self.err("export");
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(&err)?;
        let mut charts = tx
            .prepare(
                "SELECT c.chart_id, c.status, COALESCE(c.document, q.document)
                 FROM charts c LEFT JOIN review_queue q ON q.chart_id = c.chart_id
                 WHERE c.status IN ('accepted', 'review') OR (?1 AND c.status = 'rejected')
                 ORDER BY c.chart_id",
            )
            .map_err(&err)?;
        let mut flags = tx
            .prepare(
                "SELECT code, field, page, reason FROM flags
                 WHERE chart_id = ?1 AND resolved_at IS NULL ORDER BY id",
            )
            .map_err(&err)?;
        let mut rows = charts.query([rejected]).map_err(&err)?;
        let mut n = 0;
        while let Some(r) = rows.next().map_err(&err)? {
            let chart_id: String = r.get(0).map_err(&err)?;
            let corrupt = |what| StoreError::Corrupt { path: self.path.clone(), chart_id: chart_id.clone(), what };
            let status = status_col(r, 1).map_err(&err)?;
            let text: Option<String> = r.get(2).map_err(&err)?;
            let document = match text {
                Some(t) => serde_json::from_str(&t).map_err(|_| corrupt("document"))?,
                None => Json::Null,
            };
            let open: Vec<Flag> = flags
                .query_map([&chart_id], |f| {
                    let code: String = f.get(0)?;
                    Ok((code, f.get(1)?, f.get(2)?, f.get(3)?))
                })
                .and_then(|it| it.collect::<rusqlite::Result<Vec<(String, Option<String>, Option<u32>, String)>>>())
                .map_err(self.chart_err(&chart_id, "export flags"))?
                .into_iter()
                .map(|(code, field, page, reason)| {
                    Ok(Flag { code: FlagCode::parse(&code).ok_or_else(|| corrupt("flag code"))?, field, page, reason })
                })
                .collect::<Result<_>>()?;
            visit(&Exported { chart_id, status, flags: open, document })?;
            n += 1;
        }
        Ok(n)
    }

    /// Write the spec's export: one JSON object per line for every accepted
    /// chart and every chart in review, ordered by chart id, with exactly
    /// the spec's keys in the spec's order (absent values `null`, absent
    /// lists `[]`). Returns the number of charts written.
    pub fn export_jsonl(&self, w: &mut dyn Write) -> Result<u64> {
        self.export_jsonl_with(w, false)
    }

    /// The export, and with `review` the review outcome too: rejected
    /// charts (status `rejected`) are included, and every chart gets a last
    /// key `review` — its queue entry (state, who closed it, when, why, a
    /// hold), the values a person verified (path, who, when) and every flag
    /// with its resolution. Without `review` this is exactly the spec's export.
    pub fn export_jsonl_with(&self, w: &mut dyn Write, review: bool) -> Result<u64> {
        self.for_each_export(review, |chart| {
            let mut node = chart.to_node();
            if review {
                if let Node::Obj(fields) = &mut node {
                    fields.push(("review".to_string(), Node::Raw(self.review_record(&chart.chart_id)?)));
                }
            }
            serde_json::to_writer(&mut *w, &node).map_err(|e| write_err(e.into()))?;
            w.write_all(b"\n").map_err(write_err)
        })
        .and_then(|n| w.flush().map(|_| n).map_err(write_err))
    }

    /// The review outcome of one chart, as JSON (see [`Store::export_jsonl_with`]).
    fn review_record(&self, chart_id: &str) -> Result<Json> {
        let Some(state) = self.review_state(chart_id)? else { return Ok(Json::Null) };
        let queue = state.queue.as_ref().map(|q| {
            serde_json::json!({
                "state": q.state,
                "queued_at": q.queued_at,
                "closed_by": q.resolved_by,
                "closed_at": q.resolved_at,
                "reason": q.close_reason,
                "hold": q.hold,
            })
        });
        let verified: Vec<Json> = state
            .values
            .iter()
            .filter_map(|v| v.verified.as_ref().map(|by| serde_json::json!({"path": v.value.path, "by": by.by, "at": by.at})))
            .collect();
        let flags: Vec<Json> = state
            .flags
            .iter()
            .map(|f| {
                serde_json::json!({
                    "code": f.flag.code.as_str(),
                    "field": f.flag.field,
                    "page": f.flag.page,
                    "reason": f.flag.reason,
                    "resolution": f.resolution,
                    "resolved_by": f.resolved_by,
                    "resolved_at": f.resolved_at,
                })
            })
            .collect();
        Ok(serde_json::json!({ "queue": queue, "verified": verified, "flags": flags }))
    }

    /// Write the same charts as a flat table, one row per value of the
    /// export document ([`CSV_HEADER`]):
    ///
    /// - `chart_id`, `status`; `flags`: the chart's open flag codes, `;`-separated;
    /// - `path`: the value's place in the export document
    ///   (`encounters[0].vitals.bp`); `value`: the normalised value;
    /// - `page`, `file`, `conf`: where it was read, from the stored value at
    ///   that path (empty when none is stored).
    ///
    /// A chart without any value still gets one row with an empty `path`.
    /// Every cell goes through [`csv_safe`]. Returns the number of charts.
    pub fn export_csv(&self, w: &mut dyn Write) -> Result<u64> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(CSV_HEADER).map_err(|e| write_err(e.into()))?;
        let n = self.for_each_export(false, |chart| {
            let values = self.values_for(&chart.chart_id)?;
            let codes: BTreeSet<FlagCode> = chart.flags.iter().map(|f| f.code).collect();
            let codes = codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(";");
            let node = Node::Obj(members(DOCUMENT, chart.document.as_object(), &EXPORT_KEYS[..3]));
            let mut found = Vec::new();
            leaves(&node, &mut String::new(), &mut found);
            let mut write = |path: &str, value: &str, page: String, file: &str, conf: String| {
                let row = [chart.chart_id.as_str(), chart.status.as_str(), &codes, path, value, &page, file, &conf];
                out.write_record(row.iter().map(|c| csv_safe(c).into_owned())).map_err(|e| write_err(e.into()))
            };
            if found.is_empty() {
                return write("", "", String::new(), "", String::new());
            }
            for (path, leaf) in &found {
                let at_path = || values.iter().filter(|v| &v.value.path == path);
                let prov = at_path()
                    .find(|v| v.value.value.as_ref().map(|x| x.to_json()).as_ref() == Some(*leaf))
                    .or_else(|| at_path().next())
                    .map(|v| &v.value.prov);
                match prov {
                    Some(p) => write(path, &cell(leaf), p.page.to_string(), &p.file, format!("{:.1}", p.conf))?,
                    None => write(path, &cell(leaf), String::new(), "", String::new())?,
                }
            }
            Ok(())
        })?;
        out.flush().map_err(write_err)?;
        Ok(n)
    }
}

//! Accuracy of an export against ground truth (`chartmill eval`).
//!
//! [`evaluate`] compares the truth of a synthetic corpus (`truth.jsonl`,
//! written by [`crate::synth`]) with what the pipeline exported, chart by
//! chart (matched by `chart_id`), and reports:
//!
//! - **field accuracy**, per field path and overall: every value present in
//!   the truth or in the export is compared (list items matched by a key —
//!   encounters by date, medications by name, immunizations by vaccine and
//!   date, allergies by substance, diagnoses by code — then by position);
//!   a missing or extra value counts as wrong, and so does every value of a
//!   chart missing from the export. Strings are compared case-insensitively
//!   with whitespace collapsed, numbers numerically. Values at a path the
//!   truth flags `invalid_value` are not compared (their normal form is
//!   undefined);
//! - the **silent error rate**: wrong values in charts the export marks
//!   accepted, over the values compared in them — the figure that matters
//!   most, since nobody reviews those charts;
//! - **clean charts accepted** straight through;
//! - **defect classes caught**: a defective chart counts as caught when the
//!   export sent it to review with the expected flag code (whether the flag
//!   names the same field is reported beside it), with the list of misses;
//! - charts missing from the export.
//!
//! It is pure: JSON values in, a [`Report`] out. [`read_jsonl`] reads files.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// Reads one JSON value per non-empty line.
pub fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v = serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{}:{}: not JSON: {e}", path.display(), i + 1))?;
        out.push(v);
    }
    Ok(out)
}

/// Correct over compared.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tally {
    pub compared: usize,
    pub correct: usize,
    /// `correct / compared`, 1.0 when nothing was compared.
    pub accuracy: f64,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.compared += 1;
        self.correct += usize::from(ok);
    }
    fn finish(&mut self) {
        self.accuracy = ratio(self.correct, self.compared, 1.0);
    }
}

fn ratio(num: usize, den: usize, empty: f64) -> f64 {
    if den == 0 {
        empty
    } else {
        num as f64 / den as f64
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldTally {
    /// Normalised path: list indices removed (`encounters[].npi`).
    pub path: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// Wrong values in charts the export marks accepted.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Silent {
    pub accepted_charts: usize,
    pub compared: usize,
    pub wrong: usize,
    /// `wrong / compared`, 0 when nothing was compared.
    pub rate: f64,
}

/// Clean charts (no flag in the truth) and how many the export accepted.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Clean {
    pub clean_charts: usize,
    pub accepted: usize,
    pub share: f64,
}

/// Defective charts of one flag code and how many were caught.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DefectTally {
    pub code: String,
    /// Truth charts expecting this code.
    pub charts: usize,
    /// Sent to review with this code.
    pub caught: usize,
    /// Caught with a flag naming the same field (or, for page flags, page).
    pub field_matched: usize,
    pub rate: f64,
}

/// A defective chart not caught.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Miss {
    pub chart_id: String,
    pub expected: String,
    pub field: Option<String>,
    pub page: Option<u64>,
    /// Export status, or `missing` when the chart is not in the export.
    pub status: String,
    /// Flags the export raised, `code field@page`.
    pub raised: Vec<String>,
}

/// A wrong value in a chart the export accepted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WrongValue {
    pub chart_id: String,
    pub path: String,
    pub expected: Value,
    pub got: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub charts_in_truth: usize,
    pub charts_in_export: usize,
    pub charts_matched: usize,
    pub missing_from_export: Vec<String>,
    /// Exported charts the truth does not know (not scored).
    pub not_in_truth: Vec<String>,
    pub overall: Tally,
    pub fields: Vec<FieldTally>,
    pub silent: Silent,
    pub silent_errors: Vec<WrongValue>,
    pub clean: Clean,
    /// Flag codes raised on clean charts, with counts of charts.
    pub false_alarms: BTreeMap<String, usize>,
    /// Defective charts caught over defective charts.
    pub defects_caught: Tally,
    pub defects: Vec<DefectTally>,
    pub misses: Vec<Miss>,
}

/// The list key of items under a normalised list path.
fn item_key(list_path: &str, item: &Value) -> Option<String> {
    let get = |k: &str| item.get(k).and_then(scalar_text);
    match list_path {
        "encounters" => get("date"),
        "medications" => get("name"),
        "immunizations" => Some(format!("{}|{}", get("vaccine")?, get("date")?)),
        "allergies" => get("substance"),
        "encounters[].diagnoses" => get("code"),
        _ => None,
    }
}

/// A scalar as normalised text: lower case, whitespace collapsed; `None`
/// for null, empty strings and non-scalars.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            (!t.is_empty()).then_some(t)
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_absent(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

/// Whether two scalars are the same value.
fn same(t: &Value, e: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    if matches!(t, Value::Number(_)) || matches!(e, Value::Number(_)) {
        if let (Some(a), Some(b)) = (num(t), num(e)) {
            return (a - b).abs() < 1e-6;
        }
    }
    match (scalar_text(t), scalar_text(e)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Whether one path names the other or a part of it (`a.b` and `a.b[0].c`).
fn path_compatible(a: &str, b: &str) -> bool {
    let within = |long: &str, short: &str| {
        long == short || (long.starts_with(short) && matches!(long.as_bytes().get(short.len()), Some(b'.') | Some(b'[')))
    };
    within(a, b) || within(b, a)
}

/// Drops list indices: `encounters[0].npi` → `encounters[].npi`.
fn normalise_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut in_index = false;
    for c in p.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

struct Compared {
    /// Truth-side concrete path.
    path: String,
    /// Export-side concrete path, when the export has the value's item.
    export_path: Option<String>,
    ok: bool,
    expected: Value,
    got: Value,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Compares a truth value with an export value; every compared leaf goes to `out`.
fn compare(t: Option<&Value>, e: Option<&Value>, path: &str, epath: Option<&str>, excluded: &[String], out: &mut Vec<Compared>) {
    if excluded.iter().any(|x| path_compatible(path, x) && path.len() >= x.len()) {
        return;
    }
    let t = t.filter(|v| !v.is_null());
    let e = e.filter(|v| !v.is_null());
    let is_obj = |v: Option<&Value>| matches!(v, Some(Value::Object(_)));
    let is_arr = |v: Option<&Value>| matches!(v, Some(Value::Array(_)));
    if is_obj(t) || is_obj(e) {
        let empty = serde_json::Map::new();
        let tm = t.and_then(Value::as_object).unwrap_or(&empty);
        let em = e.and_then(Value::as_object).unwrap_or(&empty);
        let mut keys: Vec<&String> = tm.keys().collect();
        for k in em.keys() {
            if !tm.contains_key(k) {
                keys.push(k);
            }
        }
        for k in keys {
            if path.is_empty() && matches!(k.as_str(), "chart_id" | "status" | "flags") {
                continue;
            }
            compare(tm.get(k), em.get(k), &join(path, k), epath.map(|p| join(p, k)).as_deref(), excluded, out);
        }
        return;
    }
    if is_arr(t) || is_arr(e) {
        let empty = Vec::new();
        let ta = t.and_then(Value::as_array).unwrap_or(&empty);
        let ea = e.and_then(Value::as_array).unwrap_or(&empty);
        let list = normalise_path(path);
        for (ti, ei) in match_items(&list, ta, ea) {
            // Unmatched export items are compared under a path past the truth's list.
            let idx = ti.unwrap_or_else(|| ta.len() + ei.unwrap_or(0));
            let item_epath = match (epath, ei) {
                (Some(p), Some(j)) => Some(format!("{p}[{j}]")),
                _ => None,
            };
            compare(ti.map(|i| &ta[i]), ei.map(|i| &ea[i]), &format!("{path}[{idx}]"), item_epath.as_deref(), excluded, out);
        }
        return;
    }
    if is_absent(t) && is_absent(e) {
        return;
    }
    let ok = match (t, e) {
        (Some(a), Some(b)) if !is_absent(Some(a)) && !is_absent(Some(b)) => same(a, b),
        _ => false,
    };
    out.push(Compared {
        path: path.to_string(),
        export_path: epath.filter(|_| e.is_some()).map(str::to_string),
        ok,
        expected: t.cloned().unwrap_or(Value::Null),
        got: e.cloned().unwrap_or(Value::Null),
    });
}

/// Pairs list items: by key first, then the rest in order.
fn match_items(list: &str, t: &[Value], e: &[Value]) -> Vec<(Option<usize>, Option<usize>)> {
    let mut pairs = Vec::new();
    let mut t_used = vec![false; t.len()];
    let mut e_used = vec![false; e.len()];
    for (i, tv) in t.iter().enumerate() {
        let Some(k) = item_key(list, tv) else { continue };
        if let Some(j) = (0..e.len()).find(|j| !e_used[*j] && item_key(list, &e[*j]).as_deref() == Some(k.as_str())) {
            t_used[i] = true;
            e_used[j] = true;
            pairs.push((Some(i), Some(j)));
        }
    }
    let mut rest_e = (0..e.len()).filter(|j| !e_used[*j]);
    for (i, used) in t_used.iter().enumerate() {
        if !used {
            pairs.push((Some(i), rest_e.next()));
        }
    }
    for j in rest_e {
        pairs.push((None, Some(j)));
    }
    pairs.sort_by_key(|(i, j)| (i.is_none(), i.unwrap_or(0), j.unwrap_or(0)));
    pairs
}

fn flags(v: &Value) -> Vec<&Value> {
    v.get("flags").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
}

fn flag_str(f: &Value, key: &str) -> Option<String> {
    f.get(key).and_then(Value::as_str).map(str::to_string)
}

fn describe_flag(f: &Value) -> String {
    let mut s = flag_str(f, "code").unwrap_or_else(|| "?".into());
    if let Some(field) = flag_str(f, "field") {
        s.push(' ');
        s.push_str(&field);
    }
    if let Some(p) = f.get("page").and_then(Value::as_u64) {
        let _ = write!(s, "@{p}");
    }
    s
}

fn chart_id(v: &Value) -> Option<String> {
    v.get("chart_id").and_then(Value::as_str).map(str::to_string)
}

/// Compares an export with the truth; see the module documentation.
pub fn evaluate(truth: &[Value], exported: &[Value]) -> Report {
    let by_id: HashMap<String, &Value> = exported.iter().filter_map(|e| Some((chart_id(e)?, e))).collect();
    let truth_ids: std::collections::HashSet<String> = truth.iter().filter_map(chart_id).collect();
    let mut r = Report {
        charts_in_truth: truth.len(),
        charts_in_export: exported.len(),
        ..Report::default()
    };
    let mut fields: BTreeMap<String, Tally> = BTreeMap::new();
    let mut defects: BTreeMap<String, DefectTally> = BTreeMap::new();

    for t in truth {
        let id = chart_id(t).unwrap_or_default();
        let e = by_id.get(&id).copied();
        let status = e.and_then(|e| e.get("status")).and_then(Value::as_str).unwrap_or("missing").to_string();
        match e {
            Some(_) => r.charts_matched += 1,
            None => r.missing_from_export.push(id.clone()),
        }
        let accepted = status == "accepted";

        // Values.
        let tflags = flags(t);
        let compared = compare_chart(t, e);
        if accepted {
            r.silent.accepted_charts += 1;
        }
        for c in compared {
            let ok = c.ok;
            r.overall.add(ok);
            fields.entry(normalise_path(&c.path)).or_default().add(ok);
            if accepted {
                r.silent.compared += 1;
                if !ok {
                    r.silent.wrong += 1;
                    r.silent_errors.push(WrongValue { chart_id: id.clone(), path: c.path, expected: c.expected, got: c.got });
                }
            }
        }

        // Flags.
        let eflags = e.map(flags).unwrap_or_default();
        if tflags.is_empty() {
            r.clean.clean_charts += 1;
            if accepted {
                r.clean.accepted += 1;
            } else {
                let mut codes: Vec<String> = eflags.iter().filter_map(|f| flag_str(f, "code")).collect();
                codes.sort();
                codes.dedup();
                if codes.is_empty() {
                    codes.push(format!("(status {status})"));
                }
                for c in codes {
                    *r.false_alarms.entry(c).or_default() += 1;
                }
            }
            continue;
        }
        let mut chart_caught = true;
        for tf in &tflags {
            let code = flag_str(tf, "code").unwrap_or_default();
            let field = flag_str(tf, "field");
            let page = tf.get("page").and_then(Value::as_u64);
            let d = defects.entry(code.clone()).or_insert_with(|| DefectTally { code: code.clone(), ..DefectTally::default() });
            d.charts += 1;
            let same_code: Vec<&&Value> = eflags.iter().filter(|f| flag_str(f, "code").as_deref() == Some(code.as_str())).collect();
            if status == "review" && !same_code.is_empty() {
                d.caught += 1;
                let matched = same_code.iter().any(|f| match &field {
                    Some(tfield) => flag_str(f, "field").is_some_and(|ef| path_compatible(&ef, tfield)),
                    None => f.get("page").and_then(Value::as_u64) == page,
                });
                d.field_matched += usize::from(matched);
            } else {
                chart_caught = false;
                r.misses.push(Miss {
                    chart_id: id.clone(),
                    expected: code,
                    field,
                    page,
                    status: status.clone(),
                    raised: eflags.iter().map(|f| describe_flag(f)).collect(),
                });
            }
        }
        r.defects_caught.add(chart_caught);
    }

    r.not_in_truth = exported.iter().filter_map(chart_id).filter(|id| !truth_ids.contains(id)).collect();
    r.overall.finish();
    r.defects_caught.finish();
    r.fields = fields
        .into_iter()
        .map(|(path, mut tally)| {
            tally.finish();
            FieldTally { path, tally }
        })
        .collect();
    r.silent.rate = ratio(r.silent.wrong, r.silent.compared, 0.0);
    r.clean.share = ratio(r.clean.accepted, r.clean.clean_charts, 1.0);
    r.defects = defects
        .into_values()
        .map(|mut d| {
            d.rate = ratio(d.caught, d.charts, 1.0);
            d
        })
        .collect();
    r
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    }
}

impl Report {
    /// A readable report with plain-text tables.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let w = &mut s;
        let _ = writeln!(
            w,
            "Charts: {} in truth, {} exported, {} matched, {} missing from the export",
            self.charts_in_truth,
            self.charts_in_export,
            self.charts_matched,
            self.missing_from_export.len()
        );
        let _ = writeln!(w);
        let _ = writeln!(w, "Field accuracy          {:>7}  ({} of {} values)", pct(self.overall.accuracy), self.overall.correct, self.overall.compared);
        let _ = writeln!(
            w,
            "Silent error rate       {:>7}  ({} wrong of {} values in {} accepted charts)",
            pct(self.silent.rate),
            self.silent.wrong,
            self.silent.compared,
            self.silent.accepted_charts
        );
        let _ = writeln!(w, "Clean charts accepted   {:>7}  ({} of {})", pct(self.clean.share), self.clean.accepted, self.clean.clean_charts);
        let _ = writeln!(
            w,
            "Defective charts caught {:>7}  ({} of {})",
            pct(self.defects_caught.accuracy),
            self.defects_caught.correct,
            self.defects_caught.compared
        );

        let _ = writeln!(w, "\nPer field");
        let width = self.fields.iter().map(|f| f.path.len()).max().unwrap_or(10).max(10);
        let _ = writeln!(w, "  {:<width$}  {:>8}  {:>8}  {:>8}", "field", "compared", "correct", "accuracy");
        for f in &self.fields {
            let _ = writeln!(w, "  {:<width$}  {:>8}  {:>8}  {:>8}", f.path, f.tally.compared, f.tally.correct, pct(f.tally.accuracy));
        }

        let _ = writeln!(w, "\nDefect classes");
        let _ = writeln!(w, "  {:<18}  {:>6}  {:>6}  {:>11}  {:>7}", "code", "charts", "caught", "same field", "rate");
        for d in &self.defects {
            let _ = writeln!(w, "  {:<18}  {:>6}  {:>6}  {:>11}  {:>7}", d.code, d.charts, d.caught, d.field_matched, pct(d.rate));
        }
        if !self.misses.is_empty() {
            let _ = writeln!(w, "\nMisses (defective charts not sent to review with the expected code)");
            for m in &self.misses {
                let mut what = m.expected.clone();
                if let Some(f) = &m.field {
                    let _ = write!(what, " {f}");
                }
                if let Some(p) = m.page {
                    let _ = write!(what, "@{p}");
                }
                let raised = if m.raised.is_empty() { "nothing".to_string() } else { m.raised.join(", ") };
                let _ = writeln!(w, "  {}  expected {}; status {}; raised {}", m.chart_id, what, m.status, raised);
            }
        }
        if !self.false_alarms.is_empty() {
            let _ = writeln!(w, "\nClean charts not accepted, by flag code raised");
            for (code, n) in &self.false_alarms {
                let _ = writeln!(w, "  {code:<24} {n}");
            }
        }
        if !self.silent_errors.is_empty() {
            const SHOWN: usize = 30;
            let _ = writeln!(w, "\nSilent errors (wrong values in accepted charts{})", if self.silent_errors.len() > SHOWN { ", first 30" } else { "" });
            for e in self.silent_errors.iter().take(SHOWN) {
                let _ = writeln!(w, "  {}  {}  expected {}  got {}", e.chart_id, e.path, short(&e.expected), short(&e.got));
            }
        }
        if !self.missing_from_export.is_empty() {
            let _ = writeln!(w, "\nMissing from the export");
            for id in &self.missing_from_export {
                let _ = writeln!(w, "  {id}");
            }
        }
        if !self.not_in_truth.is_empty() {
            let _ = writeln!(w, "\nExported but not in the truth (not scored): {}", self.not_in_truth.len());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chart(id: &str) -> Value {
        json!({
            "chart_id": id, "status": "accepted", "flags": [],
            "patient": {"family": "Thompson", "given": "Margaret A", "mrn": "00482913", "dob": "1952-03-14", "sex": "F",
                        "address": {"line": "1428 Elm Street", "city": "Springfield", "state": "IL", "zip": "62704"},
                        "phone": "2175550142"},
            "allergies": [{"substance": "Penicillin", "reaction": "rash"}],
            "coverage": {"payer": "Blue Cross Blue Shield", "member_id": "XJH123456789", "group": null},
            "encounters": [
                {"date": "1998-11-02", "provider": "John R. Miller, MD", "npi": "1234567893",
                 "vitals": {"bp": "128/82", "pulse": 76, "temp_f": 98.4, "weight_lb": 171},
                 "diagnoses": [{"code": "250.00", "text": "Diabetes mellitus type II"}],
                 "signed_by": "John R. Miller, MD", "signed_date": "1998-11-02"},
                {"date": "1999-01-15", "provider": "John R. Miller, MD", "npi": "1234567893",
                 "vitals": {"bp": "130/80", "pulse": 70, "temp_f": 98.6, "weight_lb": 170},
                 "diagnoses": [{"code": "401.9", "text": "Essential hypertension"}],
                 "signed_by": "John R. Miller, MD", "signed_date": "1999-01-15"}
            ],
            "medications": [{"name": "Metformin", "dose": "500 mg", "route": "PO", "frequency": "BID", "start_date": "1998-11-02"}],
            "immunizations": [{"vaccine": "Influenza", "cvx": "141", "date": "1998-10-15", "lot": "U2233AA"}]
        })
    }

    /// Values per chart of `chart()` (nulls not counted).
    const VALUES: usize = 10 + 2 + 2 + 2 * 11 + 5 + 4;

    /// A stored value at `path` read with confidence `conf`, once.
    fn stored(path: &str, conf: f32) -> crate::model::FieldValue {
        crate::model::FieldValue {
            path: path.into(),
            field: path.into(),
            value: None,
            kind: crate::pipeline::ValueType::Text,
            raw: String::new(),
            error: None,
            prov: crate::model::Provenance { conf, ..Default::default() },
        }
    }

    #[test]
    fn values_are_judged_by_their_export_path_and_the_curve_follows_the_budget() {
        let truth = vec![chart("a"), chart("b")];
        let mut wrong = chart("b");
        wrong["immunizations"][0]["lot"] = json!("U2233A4");
        let exported = vec![chart("a"), wrong];
        let values: HashMap<String, Vec<crate::model::FieldValue>> = [
            ("a".to_string(), vec![stored("immunizations[0].lot", 97.0), stored("patient.mrn", 97.0)]),
            ("b".to_string(), vec![stored("immunizations[0].lot", 40.0), stored("patient.mrn", 97.0)]),
        ]
        .into_iter()
        .collect();
        let judged = judged_values(&truth, &exported, &values);
        assert_eq!(judged.len(), 4);
        let low: Vec<bool> = judged.iter().filter(|(e, _)| e.conf < 50.0).map(|(_, ok)| *ok).collect();
        assert_eq!(low, [false], "the misread lot is the low-confidence one");

        let model = crate::calibrate::Model::fit(judged, vec!["test".into()]);
        let cal = calibration(&truth, &exported, &values, &model);
        assert_eq!(cal.bins.iter().map(|b| b.values).sum::<usize>(), 4);
        let tight = cal.curve.first().unwrap();
        let loose = cal.curve.last().unwrap();
        assert!(tight.silent_wrong <= loose.silent_wrong);
        assert!(tight.clean_accepted <= loose.clean_accepted);
        assert!(cal.to_text().contains("max_silent_error"));
    }

    #[test]
    fn identical_export_is_perfect() {
        let t = vec![chart("a"), chart("b")];
        let r = evaluate(&t, &t);
        assert_eq!(r.overall.compared, 2 * VALUES);
        assert_eq!(r.overall.accuracy, 1.0);
        assert_eq!(r.silent.wrong, 0);
        assert_eq!(r.silent.accepted_charts, 2);
        assert_eq!(r.clean.accepted, 2);
        assert_eq!(r.clean.share, 1.0);
        assert!(r.missing_from_export.is_empty());
        assert!(r.to_text().contains("Field accuracy"));
    }

    #[test]
    fn normalised_comparison_and_keys() {
        let t = vec![chart("a")];
        let mut e = chart("a");
        // Case and spacing do not matter; numbers compare numerically, also as text.
        e["patient"]["family"] = json!("THOMPSON");
        e["patient"]["address"]["line"] = json!("1428  elm   street");
        e["encounters"][0]["vitals"]["temp_f"] = json!(98.40);
        e["encounters"][0]["vitals"]["pulse"] = json!("76");
        // Encounters in the other order still match by date.
        let enc = e["encounters"].as_array().unwrap().clone();
        e["encounters"] = json!([enc[1], enc[0]]);
        let r = evaluate(&t, &[e]);
        assert_eq!(r.overall.correct, VALUES, "{}", r.to_text());
    }

    #[test]
    fn wrong_missing_and_extra_values_count() {
        let t = vec![chart("a")];
        let mut e = chart("a");
        e["patient"]["dob"] = json!("1952-03-15"); // wrong
        e["patient"]["phone"] = Value::Null; // missing
        e["coverage"]["group"] = json!("88231"); // extra
        e["medications"].as_array_mut().unwrap().push(json!({"name": "Aspirin", "dose": "81 mg"})); // extra row: 2 values
        let r = evaluate(&t, &[e]);
        assert_eq!(r.overall.compared, VALUES + 1 + 2);
        assert_eq!(r.overall.correct, VALUES - 2);
        assert_eq!(r.silent.wrong, 5);
        let dob = r.fields.iter().find(|f| f.path == "patient.dob").unwrap();
        assert_eq!((dob.tally.compared, dob.tally.correct), (1, 0));
        let extra = r.fields.iter().find(|f| f.path == "medications[].dose").unwrap();
        assert_eq!((extra.tally.compared, extra.tally.correct), (2, 1));
        assert!(r.silent_errors.iter().any(|w| w.path == "patient.dob"));
    }

    #[test]
    fn review_charts_are_not_silent_errors() {
        let t = vec![chart("a")];
        let mut e = chart("a");
        e["status"] = json!("review");
        e["flags"] = json!([{"code": "low_confidence", "field": "patient.dob", "page": 1, "reason": "x"}]);
        e["patient"]["dob"] = json!("1952-03-15");
        let r = evaluate(&t, &[e]);
        assert_eq!(r.silent.compared, 0);
        assert_eq!(r.silent.rate, 0.0);
        assert_eq!(r.overall.correct, VALUES - 1);
        assert_eq!(r.clean.accepted, 0);
        assert_eq!(r.false_alarms.get("low_confidence"), Some(&1));
    }

    #[test]
    fn defects_caught_missed_and_field_match() {
        let mut a = chart("a");
        a["status"] = json!("review");
        a["flags"] = json!([{"code": "invalid_value", "field": "encounters[0].npi", "page": 2, "reason": "check digit"}]);
        a["encounters"][0]["npi"] = json!("1234567890");
        let mut b = chart("b");
        b["status"] = json!("review");
        b["flags"] = json!([{"code": "unknown_document", "field": null, "page": 4, "reason": "lab"}]);
        let mut c = chart("c");
        c["status"] = json!("review");
        c["flags"] = json!([{"code": "missing_field", "field": "patient.sex", "page": 1, "reason": "no sex"}]);
        c["patient"]["sex"] = Value::Null;
        let truth = vec![a.clone(), b.clone(), c.clone()];

        // a: caught, same field; b: caught on the same page; c: sent to review for another reason.
        let mut ea = a.clone();
        ea["encounters"][0]["npi"] = Value::Null; // invalid values are not compared
        let mut ec = c.clone();
        ec["flags"] = json!([{"code": "low_confidence", "field": "patient.dob", "page": 1, "reason": "x"}]);
        let r = evaluate(&truth, &[ea, b.clone(), ec]);
        let get = |code: &str| r.defects.iter().find(|d| d.code == code).unwrap().clone();
        assert_eq!((get("invalid_value").caught, get("invalid_value").field_matched), (1, 1));
        assert_eq!((get("unknown_document").caught, get("unknown_document").field_matched), (1, 1));
        assert_eq!(get("missing_field").caught, 0);
        assert_eq!(r.misses.len(), 1);
        assert_eq!(r.misses[0].chart_id, "c");
        assert_eq!(r.misses[0].raised, vec!["low_confidence patient.dob@1".to_string()]);
        assert_eq!((r.defects_caught.correct, r.defects_caught.compared), (2, 3));
        assert_eq!(r.overall.correct, r.overall.compared, "{}", r.to_text());
        assert!(r.to_text().contains("expected missing_field patient.sex@1"));

        // A diagnosis flag on the list matches a flag on one of its codes.
        assert!(path_compatible("encounters[0].diagnoses", "encounters[0].diagnoses[1].code"));
        assert!(!path_compatible("encounters[0].date", "encounters[0].dates"));
    }

    #[test]
    fn missing_charts_count_as_wrong() {
        let t = vec![chart("a"), chart("b")];
        let r = evaluate(&t, &[chart("a"), chart("z")]);
        assert_eq!(r.missing_from_export, vec!["b".to_string()]);
        assert_eq!(r.not_in_truth, vec!["z".to_string()]);
        assert_eq!(r.overall.compared, 2 * VALUES);
        assert_eq!(r.overall.correct, VALUES);
        assert_eq!(r.clean.accepted, 1);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["missing_from_export"][0], "b");
        assert!(json["fields"][0]["accuracy"].is_f64());
    }

    #[test]
    fn reads_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, "{\"chart_id\":\"a\"}\n\n{\"chart_id\":\"b\"}\n").unwrap();
        assert_eq!(read_jsonl(&p).unwrap().len(), 2);
        std::fs::write(&p, "{\"chart_id\":\"a\"}\nnot json\n").unwrap();
        let err = read_jsonl(&p).unwrap_err().to_string();
        assert!(err.contains(":2:"), "{err}");
    }

    #[cfg(feature = "synth")]
    #[test]
    fn generated_truth_evaluates_perfectly_against_itself() {
        let truth: Vec<Value> = crate::synth::truth(40, 3).iter().map(|t| serde_json::to_value(t).unwrap()).collect();
        let r = evaluate(&truth, &truth);
        assert_eq!(r.overall.accuracy, 1.0);
        assert_eq!(r.defects_caught.accuracy, 1.0);
        assert_eq!(r.clean.share, 1.0);
        assert_eq!(r.defects.len(), 8);
    }
}

// ------------------------------------------------------------------ calibration

/// A value's evidence and whether it is right, for every value of the
/// export that the truth judges and the database holds (`values`: each
/// chart's stored values by chart id).
pub fn judged_values(
    truth: &[Value],
    exported: &[Value],
    values: &HashMap<String, Vec<crate::model::FieldValue>>,
) -> Vec<(crate::calibrate::Evidence, bool)> {
    let mut out = Vec::new();
    for (id, compared, _) in compare_charts(truth, exported) {
        let Some(vals) = values.get(&id) else { continue };
        let by_path: HashMap<&str, &crate::model::FieldValue> = vals.iter().map(|v| (v.path.as_str(), v)).collect();
        for c in compared {
            if let Some(v) = c.export_path.as_deref().and_then(|p| by_path.get(p)) {
                out.push((crate::calibrate::evidence(v), c.ok));
            }
        }
    }
    out
}

/// The values of one truth chart compared with its export; values at a
/// path the truth flags `invalid_value` are left out.
fn compare_chart(t: &Value, e: Option<&Value>) -> Vec<Compared> {
    let excluded: Vec<String> = flags(t)
        .iter()
        .filter(|f| flag_str(f, "code").as_deref() == Some("invalid_value"))
        .filter_map(|f| flag_str(f, "field"))
        .collect();
    let mut compared = Vec::new();
    compare(Some(t), e, "", Some(""), &excluded, &mut compared);
    compared
}

/// Each truth chart's compared values and the export's flag codes.
fn compare_charts(truth: &[Value], exported: &[Value]) -> Vec<(String, Vec<Compared>, Option<Vec<String>>)> {
    let by_id: HashMap<String, &Value> = exported.iter().filter_map(|e| Some((chart_id(e)?, e))).collect();
    truth
        .iter()
        .map(|t| {
            let id = chart_id(t).unwrap_or_default();
            let e = by_id.get(&id).copied();
            let compared = compare_chart(t, e);
            let codes = e.map(|e| flags(e).iter().filter_map(|f| flag_str(f, "code")).collect());
            (id, compared, codes)
        })
        .collect()
}

/// Predicted against observed error, per bin of predicted error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Predicted error from (inclusive) and to (exclusive).
    pub from: f64,
    pub to: f64,
    pub values: usize,
    /// Mean predicted error of the bin's values.
    pub predicted: f64,
    /// Share of them that are wrong.
    pub observed: f64,
}

/// What one error budget (`max_silent_error`) would give.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetPoint {
    pub budget: f64,
    pub clean_charts: usize,
    pub clean_accepted: usize,
    /// Wrong values in the charts accepted at this budget, over the values compared in them.
    pub silent_wrong: usize,
    pub silent_compared: usize,
}

/// How well a model's estimates match what is observed, and the curve of
/// straight-through rate against silent errors as the budget varies.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Calibration {
    pub bins: Vec<CalibrationBin>,
    pub curve: Vec<BudgetPoint>,
}

const BIN_EDGES: [f64; 10] = [0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.000_001];
const BUDGETS: [f64; 9] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2];

/// The calibration of `model` on an export judged by its truth. A chart
/// counts as accepted at a budget when it raised no flag but
/// `low_confidence` and every value's estimated error is within it.
pub fn calibration(
    truth: &[Value],
    exported: &[Value],
    values: &HashMap<String, Vec<crate::model::FieldValue>>,
    model: &crate::calibrate::Model,
) -> Calibration {
    let mut bins: Vec<(usize, f64, usize)> = vec![(0, 0.0, 0); BIN_EDGES.len() - 1];
    let mut curve: Vec<BudgetPoint> = BUDGETS
        .iter()
        .map(|&budget| BudgetPoint { budget, clean_charts: 0, clean_accepted: 0, silent_wrong: 0, silent_compared: 0 })
        .collect();
    let clean: HashMap<String, bool> = truth.iter().filter_map(|t| Some((chart_id(t)?, flags(t).is_empty()))).collect();
    for (id, compared, codes) in compare_charts(truth, exported) {
        let Some(codes) = codes else { continue };
        let vals = values.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let by_path: HashMap<&str, &crate::model::FieldValue> = vals.iter().map(|v| (v.path.as_str(), v)).collect();
        for c in &compared {
            if let Some(v) = c.export_path.as_deref().and_then(|p| by_path.get(p)) {
                let p = model.error(&crate::calibrate::evidence(v));
                let b = BIN_EDGES.windows(2).position(|w| p >= w[0] && p < w[1]).unwrap_or(bins.len() - 1);
                bins[b].0 += 1;
                bins[b].1 += p;
                bins[b].2 += usize::from(!c.ok);
            }
        }
        let worst = vals.iter().map(|v| model.error(&crate::calibrate::evidence(v))).fold(0.0, f64::max);
        let other_flags = codes.iter().any(|c| c != "low_confidence");
        let is_clean = clean.get(&id).copied().unwrap_or(false);
        for point in &mut curve {
            let accepted = !other_flags && worst <= point.budget;
            if is_clean {
                point.clean_charts += 1;
                point.clean_accepted += usize::from(accepted);
            }
            if accepted {
                point.silent_compared += compared.len();
                point.silent_wrong += compared.iter().filter(|c| !c.ok).count();
            }
        }
    }
    Calibration {
        bins: bins
            .into_iter()
            .enumerate()
            .filter(|(_, (n, _, _))| *n > 0)
            .map(|(i, (n, sum, wrong))| CalibrationBin {
                from: BIN_EDGES[i],
                to: BIN_EDGES[i + 1].min(1.0),
                values: n,
                predicted: sum / n as f64,
                observed: wrong as f64 / n as f64,
            })
            .collect(),
        curve,
    }
}

impl Calibration {
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let w = &mut s;
        let _ = writeln!(w, "\nCalibration (estimated error of each value against what is observed)");
        let _ = writeln!(w, "  {:<15}  {:>7}  {:>9}  {:>8}", "estimated", "values", "predicted", "observed");
        for b in &self.bins {
            let range = format!("{}-{}", pct(b.from), pct(b.to));
            let _ = writeln!(w, "  {:<15}  {:>7}  {:>9}  {:>8}", range, b.values, pct(b.predicted), pct(b.observed));
        }
        let _ = writeln!(w, "\nStraight-through against silent errors, by max_silent_error");
        let _ = writeln!(w, "  {:>7}  {:>22}  {:>24}", "budget", "clean charts accepted", "silent errors");
        for p in &self.curve {
            let clean = format!("{} of {} ({})", p.clean_accepted, p.clean_charts, pct(ratio(p.clean_accepted, p.clean_charts, 0.0)));
            let silent = format!("{} of {} ({})", p.silent_wrong, p.silent_compared, pct(ratio(p.silent_wrong, p.silent_compared, 0.0)));
            let _ = writeln!(w, "  {:>7}  {:>22}  {:>24}", pct(p.budget), clean, silent);
        }
        s
    }
}

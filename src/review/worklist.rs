//! The worklist: every open flag of every waiting chart as a CSV sheet, and
//! the filled-in sheet applied back.
//!
//! Columns ([`HEADER`]): `chart_id`, `flag_id`, `code`, `field`, `page`,
//! `flag_reason`, `current_value`, then two empty columns for the
//! reviewer: `new_value` and `reason`. On import, per row:
//!
//! `field` is the field a new value is given for and `current_value` its
//! text now — the value of a simple field, the text as read of a composite
//! one (a name, an address, the diagnoses of a visit) so that it can be
//! edited and given back whole. A flag on a part of a field (one ICD code
//! of a visit's diagnoses, a one-line address's ZIP) is listed under its
//! field, the part named at the start of `flag_reason`.
//!
//! - `new_value` filled: the flag's field is corrected to it (like
//!   `review set`), `reason` required;
//! - only `reason` filled: the flag is waived with that reason;
//! - both empty: the row is left alone.
//!
//! The import is one transaction: every row is checked against the chart as
//! the earlier rows left it, every bad row is reported with its line, and
//! if any row is bad nothing is changed. A flag that was resolved after the
//! export is a bad row (the sheet is stale); a flag resolved by an earlier
//! row of the same sheet (two flags on one corrected field) is not.
//!
//! Every cell written goes through [`csv_safe`] so that a spreadsheet never
//! runs it as a formula; on import the escape is taken off again.

use super::draft::{as_input, correctable_field, Draft, FlagSelector, LazyIndex};
use crate::model::FieldValue;
use super::{check_operator, load_draft, today, Refusal, ReviewError};
use crate::pipeline::Pipeline;
use crate::store::{csv_safe, AuditEntry, Store, StoreError};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// The worklist's columns.
pub const HEADER: [&str; 9] =
    ["chart_id", "flag_id", "code", "field", "page", "flag_reason", "current_value", "new_value", "reason"];

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exported {
    pub flags: usize,
    pub charts: usize,
}

fn write_err(e: impl Into<std::io::Error>) -> StoreError {
    StoreError::Write { source: e.into() }
}

/// Write the worklist of every open flag, charts oldest first, and audit
/// the export (`to` names the destination in the audit).
pub fn export(store: &Store, operator: &str, out: &mut dyn Write, to: &str) -> Result<Exported, ReviewError> {
    let operator = check_operator(operator)?;
    let flags = store.open_flags()?;
    let mut values: HashMap<String, Vec<FieldValue>> = HashMap::new();
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER).map_err(write_err)?;
    for f in &flags {
        if !values.contains_key(&f.chart_id) {
            let stored = store.values_for(&f.chart_id)?.into_iter().map(|v| v.value).collect();
            values.insert(f.chart_id.clone(), stored);
        }
        let chart_values = &values[&f.chart_id];
        let flag = &f.flag.flag;
        // The field a new value is given for; a flag on a part of a field
        // (one ICD code, an address's ZIP) names the part in its reason.
        let field = flag.field.as_deref().map(|p| correctable_field(chart_values, p));
        let reason = match (&flag.field, &field) {
            (Some(p), Some(holder)) if p != holder => format!("{p}: {}", flag.reason),
            _ => flag.reason.clone(),
        };
        let current = field
            .as_ref()
            .and_then(|field| as_input(chart_values.iter().filter(|v| &v.field == field)))
            .unwrap_or_default();
        let row = [
            f.chart_id.clone(),
            f.flag.id.to_string(),
            flag.code.to_string(),
            field.unwrap_or_default(),
            flag.page.map(|p| p.to_string()).unwrap_or_default(),
            reason,
            current,
            String::new(),
            String::new(),
        ];
        w.write_record(row.iter().map(|c| csv_safe(c).into_owned())).map_err(write_err)?;
    }
    w.flush().map_err(write_err)?;
    let done = Exported { flags: flags.len(), charts: values.len() };
    let reason = format!("{} open flag(s) of {} chart(s) to {to}", done.flags, done.charts);
    store.audit(&AuditEntry { operator, action: "exported_worklist", reason: Some(&reason), ..AuditEntry::default() })?;
    Ok(done)
}

/// Take off the escape [`csv_safe`] put on a cell.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub corrections: usize,
    pub waivers: usize,
    /// Rows left empty, or already settled by an earlier row.
    pub skipped: usize,
    pub charts: usize,
}

/// One row, as read.
struct Row {
    line: u64,
    chart_id: String,
    flag_id: String,
    field: Option<String>,
    new_value: String,
    reason: String,
}

fn read_rows(file: &Path, input: &mut dyn Read) -> Result<Vec<Row>, Refusal> {
    let whole = |e: String| Refusal::Worklist { file: file.to_path_buf(), errors: vec![(1, e)] };
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = r.headers().map_err(|e| whole(format!("cannot read the header: {}", csv_problem(&e))))?.clone();
    // A spreadsheet may save the sheet with a byte-order mark.
    let col = |name: &str| headers.iter().position(|h| unescape(h.trim_start_matches('\u{feff}').trim()) == name);
    let mut missing = Vec::new();
    let mut need = |name: &'static str| {
        let c = col(name);
        if c.is_none() {
            missing.push(name);
        }
        c.unwrap_or(0)
    };
    let (c_chart, c_flag, c_new, c_reason) = (need("chart_id"), need("flag_id"), need("new_value"), need("reason"));
    if !missing.is_empty() {
        return Err(whole(format!("the header has no column {}", missing.join(", "))));
    }
    let c_field = col("field");
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for rec in r.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push((line, csv_problem(&e)));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |c: usize| unescape(rec.get(c).unwrap_or("")).to_string();
        rows.push(Row {
            line,
            chart_id: cell(c_chart).trim().to_string(),
            flag_id: cell(c_flag).trim().to_string(),
            field: c_field.map(|c| cell(c).trim().to_string()).filter(|f| !f.is_empty()),
            new_value: cell(c_new),
            reason: cell(c_reason).trim().to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(Refusal::Worklist { file: file.to_path_buf(), errors });
    }
    Ok(rows)
}

/// A CSV problem without the cell's content.
fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "a cell is not valid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("the row has {len} cells, the header {expected_len}")
        }
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => "not valid CSV".into(),
    }
}

/// Apply a filled-in worklist: all rows or none. `file` names the sheet in
/// messages and the audit.
pub fn import(
    store: &Store,
    pipeline: &Pipeline,
    operator: &str,
    file: &Path,
    input: &mut dyn Read,
) -> Result<Imported, ReviewError> {
    let operator = check_operator(operator)?;
    let rows = read_rows(file, input)?;
    let tx = store.begin_review()?;
    let mut drafts: Vec<Draft> = Vec::new();
    let mut by_chart: HashMap<String, Result<usize, String>> = HashMap::new();
    // (chart, field) -> (line, value) of the correction made.
    let mut corrected: HashMap<(String, String), (u64, String)> = HashMap::new();
    let mut index = LazyIndex::new(store);
    let mut errors: Vec<(u64, String)> = Vec::new();
    let mut done = Imported::default();
    let today = today();

    for row in rows {
        let new_value = row.new_value.trim();
        if new_value.is_empty() && row.reason.is_empty() {
            done.skipped += 1;
            continue;
        }
        let mut bad = |msg: String| errors.push((row.line, msg));
        if row.chart_id.is_empty() {
            bad("chart_id is empty".into());
            continue;
        }
        let Ok(flag_id) = row.flag_id.parse::<i64>() else {
            bad("flag_id is not a number".into());
            continue;
        };
        if row.reason.is_empty() {
            bad("a reason is required".into());
            continue;
        }
        let slot = match by_chart.get(&row.chart_id) {
            Some(s) => s.clone(),
            None => {
                let s = match load_draft(&tx, &row.chart_id, operator) {
                    Ok(d) => {
                        drafts.push(d);
                        Ok(drafts.len() - 1)
                    }
                    Err(ReviewError::Refused(r)) => Err(r.to_string()),
                    Err(e) => return Err(e),
                };
                by_chart.insert(row.chart_id.clone(), s.clone());
                s
            }
        };
        let draft = match slot {
            Ok(i) => &mut drafts[i],
            Err(msg) => {
                bad(msg);
                continue;
            }
        };
        let Some(flag) = draft.flag(flag_id).cloned() else {
            bad(format!("flag {flag_id} is not a flag of chart {}", row.chart_id));
            continue;
        };
        if !flag.was_open {
            bad(format!("flag {flag_id} was resolved since the worklist was written"));
            continue;
        }
        let flag_field = flag.flag.field.as_deref().map(|p| correctable_field(&draft.current_values(), p));
        if let (Some(field), Some(flag_field)) = (&row.field, &flag_field) {
            if field != flag_field {
                bad(format!("field {field} is not the field of flag {flag_id} ({flag_field})"));
                continue;
            }
        }
        if new_value.is_empty() {
            if !flag.is_open() {
                done.skipped += 1; // settled by an earlier row
                continue;
            }
            let which = FlagSelector { id: Some(flag_id), code: None, field: None };
            match draft.waive(&which, &row.reason) {
                Ok(_) => done.waivers += 1,
                Err(r) => bad(r.to_string()),
            }
            continue;
        }
        let Some(field) = flag_field else {
            bad(format!(
                "flag {flag_id} ({}) has no field to correct: leave new_value empty and give a reason to waive it",
                flag.flag.code
            ));
            continue;
        };
        let key = (row.chart_id.clone(), field.clone());
        if let Some((line, value)) = corrected.get(&key) {
            if value.as_str() == new_value {
                done.skipped += 1;
            } else {
                bad(format!("line {line} corrects {field} of this chart to another value"));
            }
            continue;
        }
        match draft.correct(pipeline, today, &mut index, &field, new_value, &row.reason, false) {
            Ok(_) => {
                corrected.insert(key, (row.line, new_value.to_string()));
                done.corrections += 1;
            }
            Err(ReviewError::Refused(r)) => bad(r.to_string()),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(Refusal::Worklist { file: file.to_path_buf(), errors }.into());
    }
    for d in drafts.iter().filter(|d| d.is_changed()) {
        d.write(&tx, operator)?;
        tx.bump_revision(d.chart_id())?;
        done.charts += 1;
    }
    let reason = format!(
        "worklist {}: {} correction(s), {} waiver(s) on {} chart(s)",
        file.display(),
        done.corrections,
        done.waivers,
        done.charts
    );
    tx.audit(&AuditEntry { operator, action: "imported_worklist", reason: Some(&reason), ..AuditEntry::default() })?;
    tx.commit()?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_undoes_csv_safe() {
        for cell in ["=HYPERLINK(\"x\")", "+1", "-2", "@a", "\tx", "plain", "'quoted", ""] {
            assert_eq!(unescape(&csv_safe(cell)), cell);
        }
    }
}

//! Extraction: OCR words in, classified pages and field values out.
//!
//! Pure functions of their inputs: no I/O, no logging of values. Per page
//! ([`extract_page`], run on the worker that did the OCR):
//!
//! 1. words become tokens and visual rows ([`layout`]);
//! 2. the page is classified by its title (the tallest matching row near the
//!    top; small OCR slips tolerated) or found blank / unreadable / unknown;
//! 3. labels of the header and of the page's document type are found in the
//!    rows (most specific label first; a label either ends in `:`/`#`/`.` or
//!    starts a column, or follows another label, as on boxed forms);
//! 4. each label takes the words right of it up to the next label or column
//!    gap, or — when nothing stands right of it — the words directly below it
//!    (boxed forms); diagnoses continue over the code lines below;
//! 5. tables are found by their column headers and read row by row;
//! 6. every value is normalised ([`crate::normalize`]) and keeps its
//!    provenance: page, file, box and OCR confidence.
//!
//! Per chart ([`assemble_chart`]): records are numbered (`encounters[0]`, …)
//! and the export document is built ([`document`]).

pub mod document;
pub mod layout;
pub mod second;

use crate::model::{BBox, FieldValue, OcrPage, PageInfo, PageRef, PageStatus, Provenance, RecordKind, RecordRef, Value};
use crate::normalize::{self, Normalized};
use crate::pipeline::path;
use crate::pipeline::{Document, Entry, Pipeline, Table, ValueType};
use layout::{Row, Token};

/// What the preparation stage knew about a page before OCR.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageFacts {
    pub rotation: u32,
    pub skew: f32,
    /// Share of dark pixels after cleaning, 0–1.
    pub ink_fraction: f32,
}

/// The result of one page, before chart-level numbering.
#[derive(Clone, Debug)]
pub struct PageExtract {
    pub info: PageInfo,
    /// Patient-label values read on this page (all occurrences).
    pub header: Vec<FieldValue>,
    /// Document field values; paths may hold `[]` for this page's record.
    pub fields: Vec<FieldValue>,
    /// Table rows: (table index in the document, values with `path[]` placeholders).
    pub rows: Vec<(usize, Vec<FieldValue>)>,
}

/// A page that could not be read at all (decode error): unreadable.
pub fn unreadable_page(at: PageRef) -> PageExtract {
    PageExtract {
        info: PageInfo { at, doc_type: None, status: PageStatus::Unreadable, rotation: 0, skew: 0.0, words: 0, mean_conf: 0.0 },
        header: Vec::new(),
        fields: Vec::new(),
        rows: Vec::new(),
    }
}

/// A page the preparation stage found blank: not sent to OCR.
pub fn blank_page(at: PageRef, facts: PageFacts) -> PageExtract {
    PageExtract {
        info: PageInfo {
            at,
            doc_type: None,
            status: PageStatus::Blank,
            rotation: facts.rotation,
            skew: facts.skew,
            words: 0,
            mean_conf: 0.0,
        },
        header: Vec::new(),
        fields: Vec::new(),
        rows: Vec::new(),
    }
}

/// Words that look like real text: confident, with at least two letters or digits.
pub fn meaningful_words(ocr: &OcrPage) -> usize {
    ocr.words.iter().filter(|w| w.conf >= 50.0 && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2).count()
}

/// How much confident text a recognition produced; compares orientations.
pub fn text_quality(ocr: &OcrPage) -> f32 {
    ocr.words
        .iter()
        .filter(|w| w.conf >= 60.0)
        .map(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count())
        .filter(|&n| n >= 3)
        .sum::<usize>() as f32
}

/// The error of a field whose label stands on the page with no value beside
/// or below it (validation flags it `missing_field`, required or not).
pub const LABEL_WITHOUT_VALUE: &str = "label found with no value beside it";

/// Ink above this share of the page makes a text-less page unreadable, not blank.
const BLANK_MAX_INK: f32 = 0.01;

/// Classify one page and read its fields.
pub fn extract_page(pipeline: &Pipeline, at: PageRef, ocr: &OcrPage, facts: PageFacts, ctx: &normalize::Context) -> PageExtract {
    let mut info = PageInfo {
        at,
        doc_type: None,
        status: PageStatus::Unknown,
        rotation: facts.rotation,
        skew: facts.skew,
        words: ocr.words.len() as u32,
        mean_conf: ocr.mean_conf(),
    };
    let mut out = PageExtract { info: info.clone(), header: Vec::new(), fields: Vec::new(), rows: Vec::new() };
    if meaningful_words(ocr) < pipeline.min_words as usize {
        info.status = if facts.ink_fraction <= BLANK_MAX_INK { PageStatus::Blank } else { PageStatus::Unreadable };
        out.info = info;
        return out;
    }
    let rows = layout::rows(layout::tokens(&ocr.words));
    let unit = layout::median_height(&rows);
    let Some((doc, title_row)) = classify(pipeline, &rows, ocr.height) else {
        out.info = info;
        return out;
    };
    info.status = PageStatus::Read;
    info.doc_type = Some(doc.doc_type.clone());
    let page = Page { rows: &rows, unit, width: ocr.width, skip_row: Some(title_row) };

    // Tables first: their rows are then off limits for labels.
    let mut table_rows = vec![false; rows.len()];
    for (ti, table) in doc.tables.iter().enumerate() {
        let (rows_read, missed) = read_table(&page, table, &mut table_rows);
        if missed > 0 {
            out.fields.push(FieldValue {
                path: table.path.to_string(),
                field: table.path.to_string(),
                value: None,
                kind: ValueType::Text,
                raw: String::new(),
                error: Some(format!("{missed} line(s) below the table could not be read as rows")),
                prov: Provenance { page: info.at.page, file: info.at.file.clone(), file_page: info.at.file_page, bbox: BBox::default(), conf: 0.0, reads: Vec::new() },
            });
        }
        for row in rows_read {
            let mut vals = Vec::new();
            for (col, toks) in row {
                let c = &table.columns[col];
                vals.extend(values_for(c.path.as_str(), c.value_type, &toks, &info.at, ctx));
            }
            if !vals.is_empty() {
                out.rows.push((ti, vals));
            }
        }
    }

    if !doc.tables.is_empty() && doc.fields.is_empty() && out.rows.is_empty() {
        // A table page of which no row could be read: never an empty list silently.
        let path = doc.tables[0].path.to_string();
        out.fields.push(FieldValue {
            path: path.clone(),
            field: path,
            value: None,
            kind: ValueType::Text,
            raw: String::new(),
            error: Some("no table row could be read on this page".to_string()),
            prov: Provenance { page: info.at.page, file: info.at.file.clone(), file_page: info.at.file_page, bbox: BBox::default(), conf: 0.0, reads: Vec::new() },
        });
    }
    let entries = &doc.entries;
    let hits = find_labels(&page, entries, &table_rows);
    let mut best: Vec<Option<(usize, &Hit, Vec<&Token>)>> = vec![None; entries.len()];
    let mut used = vec![Vec::<bool>::new(); rows.len()];
    for (ri, r) in rows.iter().enumerate() {
        used[ri] = vec![false; r.tokens.len()];
    }
    for h in &hits {
        for t in h.start..h.end {
            used[h.row][t] = true;
        }
    }
    // Labels of the document found with nothing beside or below them: the
    // first one of each field, kept when no other label of it has a value.
    let mut empty: Vec<Option<&Hit>> = vec![None; entries.len()];
    for h in &hits {
        let entry = &entries[h.entry];
        let toks = value_tokens(&page, &hits, h, entry.kind, &used);
        if toks.is_empty() {
            if entry.doc && entry.report_empty && empty[h.entry].is_none() {
                empty[h.entry] = Some(h);
            }
            continue;
        }
        if entry.header {
            out.header.extend(values_for(entry.path.as_str(), entry.kind, &toks, &info.at, ctx));
        }
        if entry.doc {
            let better = match &best[h.entry] {
                None => true,
                Some((rank, prev, _)) => h.rank < *rank || (h.rank == *rank && h.strong && !prev.strong),
            };
            if better {
                best[h.entry] = Some((h.rank, h, toks));
            }
        }
    }
    for (i, b) in best.into_iter().enumerate() {
        let e = &entries[i];
        if let Some((_, _, toks)) = b {
            out.fields.extend(values_for(e.path.as_str(), e.kind, &toks, &info.at, ctx));
        } else if let Some(h) = empty[i] {
            // Never silently absent: an empty label is a value to look at.
            let label: Vec<&Token> = rows[h.row].tokens[h.start..h.end].iter().collect();
            let (bbox, _) = layout::span(&label);
            out.fields.push(FieldValue {
                path: e.path.to_string(),
                field: e.path.to_string(),
                value: None,
                kind: e.kind,
                raw: String::new(),
                error: Some(LABEL_WITHOUT_VALUE.to_string()),
                prov: Provenance { page: info.at.page, file: info.at.file.clone(), file_page: info.at.file_page, bbox, conf: 0.0, reads: Vec::new() },
            });
        }
    }
    out.info = info;
    out
}

struct Page<'a> {
    rows: &'a [Row],
    /// Median token height in pixels.
    unit: f32,
    width: u32,
    skip_row: Option<usize>,
}

/// Find the document type by the page's title: a line near the top of the
/// page that is a title of the pipeline — exactly, or with small OCR slips —
/// and nothing else (a table's header row `Medication  Dose …` is not the
/// title `MEDICATIONS`). Exact matches win over near ones, then taller
/// print, then longer titles.
fn classify<'p>(pipeline: &'p Pipeline, rows: &[Row], height: u32) -> Option<(&'p Document, usize)> {
    let limit = (height as f32 * 0.45) as u32;
    // (doc, row, exact, height, title length)
    let mut best: Option<(&Document, usize, bool, u32, usize)> = None;
    for (ri, row) in rows.iter().enumerate() {
        if row.bbox.y > limit {
            break;
        }
        let parts = chunks(row);
        if parts.len() > 2 {
            continue;
        }
        // The title is the line, or the last chunk after a clinic name.
        for chunk in parts.iter().rev().take(1) {
            let text: String = chunk.iter().map(|t| t.canon.as_str()).collect();
            if text.len() < 5 {
                continue;
            }
            for doc in &pipeline.documents {
                for title in &doc.titles {
                    let tc = &title.canon;
                    let Some(exact) = title_matches(&text, tc) else { continue };
                    let h = chunk.iter().map(|t| t.bbox.h).max().unwrap_or(0);
                    let better = match best {
                        None => true,
                        Some((_, _, bexact, bh, blen)) => {
                            (exact && !bexact)
                                || (exact == bexact && (h > bh + bh / 5 || (h + h / 5 >= bh && tc.len() > blen)))
                        }
                    };
                    if better {
                        best = Some((doc, ri, exact, h, tc.len()));
                    }
                }
            }
        }
    }
    best.map(|(d, r, _, _, _)| (d, r))
}

/// Whether a line's text is a title: `Some(true)` exactly, `Some(false)`
/// with an OCR slip per 8 characters or after a clinic name.
fn title_matches(text: &str, title: &str) -> Option<bool> {
    if text == title {
        return Some(true);
    }
    if text.len() > title.len() && text.ends_with(title) && title.len() >= 8 {
        return Some(true);
    }
    let slips = title.len() / 8;
    (slips > 0 && strsim::levenshtein(text, title) <= slips).then_some(false)
}

/// Split a row at wide gaps (columns).
fn chunks(row: &Row) -> Vec<Vec<&Token>> {
    let mut out: Vec<Vec<&Token>> = Vec::new();
    let unit = row.tokens.iter().map(|t| t.bbox.h).max().unwrap_or(20) as f32;
    for t in &row.tokens {
        match out.last_mut() {
            Some(c) if (t.bbox.x as f32) - (c.last().unwrap().bbox.right() as f32) < 2.5 * unit => c.push(t),
            _ => out.push(vec![t]),
        }
    }
    out
}

/// A label found on the page.
#[derive(Clone, Debug)]
struct Hit {
    entry: usize,
    rank: usize,
    row: usize,
    /// Token range of the label within the row.
    start: usize,
    end: usize,
    strong: bool,
}

/// Match a label starting at token `i`: returns the end (exclusive) and
/// whether it ended in label punctuation.
fn match_label(tokens: &[Token], i: usize, label: &str) -> Option<(usize, bool)> {
    let mut acc = String::new();
    let mut k = i;
    while k < tokens.len() {
        // The words of one label are set as one phrase: a column gap ends it
        // (`City:   State:   ZIP` on a boxed form is three labels, not one).
        if k > i {
            let gap = tokens[k].bbox.x as i64 - tokens[k - 1].bbox.right() as i64;
            if gap > (tokens[k].bbox.h.max(tokens[k - 1].bbox.h) as i64) * 3 / 2 {
                return None;
            }
        }
        let c = &tokens[k].key;
        if c.is_empty() {
            if acc.is_empty() {
                return None;
            }
            k += 1;
            continue;
        }
        let next = format!("{acc}{c}");
        if next == label {
            let mut end = k + 1;
            let mut strong = tokens[k].ends_label();
            // Trailing punctuation tokens (`:`, `#`) and a `No.` suffix belong to the label.
            while end < tokens.len() {
                let t = &tokens[end];
                let gap = t.bbox.x as i64 - tokens[end - 1].bbox.right() as i64;
                if gap > 2 * t.bbox.h.max(1) as i64 {
                    break;
                }
                if t.key.is_empty() {
                    strong |= t.text.contains(':') || t.text.contains('#');
                    end += 1;
                } else if (t.key == "no" || t.key == "number") && (t.text.ends_with('.') || t.ends_label()) {
                    strong = true;
                    end += 1;
                } else {
                    break;
                }
            }
            if !strong && tokens[k].text.ends_with('.') && label.len() <= 4 {
                strong = true; // `D.O.B.`
            }
            return Some((end, strong));
        }
        if !label.starts_with(&next) {
            return None;
        }
        acc = next;
        k += 1;
    }
    None
}

fn find_labels(page: &Page, entries: &[Entry], table_rows: &[bool]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (ri, row) in page.rows.iter().enumerate() {
        if Some(ri) == page.skip_row || table_rows[ri] {
            continue;
        }
        let toks = &row.tokens;
        let mut i = 0;
        let mut prev_end: Option<usize> = None;
        let mut row_hits: Vec<Hit> = Vec::new();
        while i < toks.len() {
            let mut best: Option<(usize, usize, usize, bool, usize)> = None; // entry, rank, end, strong, len
            for (ei, e) in entries.iter().enumerate() {
                for (rank, l) in e.keys.iter().enumerate() {
                    if let Some((end, strong)) = match_label(toks, i, l) {
                        let better = match best {
                            None => true,
                            Some((_, brank, _, _, blen)) => l.len() > blen || (l.len() == blen && rank < brank),
                        };
                        if better {
                            best = Some((ei, rank, end, strong, l.len()));
                        }
                    }
                }
            }
            if let Some((entry, rank, end, strong, _)) = best {
                let chunk_start = i == 0
                    || (toks[i].bbox.x as f32 - toks[i - 1].bbox.right() as f32) > 1.5 * page.unit
                    || prev_end == Some(i);
                if strong || chunk_start {
                    row_hits.push(Hit { entry, rank, row: ri, start: i, end, strong });
                    prev_end = Some(end);
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        // A signature takes the rest of its line (its date has a label of its own).
        if let Some(p) = row_hits.iter().position(|h| entries[h.entry].kind == ValueType::Signature) {
            row_hits.truncate(p + 1);
        }
        hits.extend(row_hits);
    }
    hits
}

/// The value of a label: right of it on its row, else directly below it.
fn value_tokens<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, kind: ValueType, used: &[Vec<bool>]) -> Vec<&'a Token> {
    let row = &page.rows[h.row];
    let next_hit = hits.iter().filter(|o| o.row == h.row && o.start >= h.end).map(|o| o.start).min();
    let stop = next_hit.unwrap_or(row.tokens.len());
    let gap_limit = 2.5 * page.unit;
    let mut right: Vec<&Token> = Vec::new();
    for k in h.end..stop {
        let t = &row.tokens[k];
        if let Some(prev) = right.last() {
            let gap = t.bbox.x as f32 - prev.bbox.right() as f32;
            if kind != ValueType::Signature && (gap > gap_limit || t.ends_label() && !prev.text.ends_with(',')) {
                break;
            }
        } else {
            let gap = t.bbox.x as f32 - row.tokens[h.end - 1].bbox.right() as f32;
            // A label with `:` may be set apart from its value; one without
            // is a form's caption, its value in the same phrase or below.
            if gap > page.width as f32 * 0.4 || (!h.strong && gap > gap_limit) {
                break;
            }
            if t.ends_label() && kind != ValueType::Signature {
                break;
            }
        }
        right.push(t);
    }
    let label_box = layout::span(&row.tokens[h.start..h.end].iter().collect::<Vec<_>>()).0;
    let x_end = next_hit.map_or(page.width as f32, |n| row.tokens[n].bbox.x as f32 - 0.5 * page.unit);
    let x_start = label_box.x as f32 - 1.0 * page.unit;

    if kind == ValueType::Diagnoses {
        // Code lines continue below the label.
        let mut lines: Vec<Vec<&Token>> = Vec::new();
        if !right.is_empty() {
            lines.push(right);
        }
        let mut last_bottom = row.bbox.bottom() as f32;
        for ri in h.row + 1..page.rows.len() {
            let r = &page.rows[ri];
            if r.bbox.y as f32 - last_bottom > 2.0 * page.unit {
                break;
            }
            let toks: Vec<&Token> = r
                .tokens
                .iter()
                .enumerate()
                .filter(|(k, t)| !used[ri][*k] && t.x_center() >= x_start)
                .map(|(_, t)| t)
                .collect();
            if toks.is_empty() || used[ri].first() == Some(&true) || !looks_like_code_line(&toks) {
                break;
            }
            last_bottom = r.bbox.bottom() as f32;
            lines.push(toks);
        }
        return join_lines(lines);
    }
    if !right.is_empty() {
        return right;
    }
    // Boxed form: the value stands below the label.
    for ri in h.row + 1..page.rows.len().min(h.row + 3) {
        let r = &page.rows[ri];
        if r.bbox.y as f32 - row.bbox.bottom() as f32 > 3.0 * page.unit {
            break;
        }
        let mut toks = Vec::new();
        for (k, t) in r.tokens.iter().enumerate() {
            let x = t.bbox.x as f32;
            if x < x_start || x >= x_end {
                continue;
            }
            if used[ri][k] {
                if toks.is_empty() {
                    return Vec::new(); // another label stands below
                }
                break;
            }
            if let Some(p) = toks.last() {
                let p: &&Token = p;
                if x - p.bbox.right() as f32 > gap_limit {
                    break;
                }
            }
            toks.push(t);
        }
        if !toks.is_empty() {
            return toks;
        }
    }
    Vec::new()
}

/// Separate lines by a marker token the normaliser sees as a line break.
fn join_lines(lines: Vec<Vec<&Token>>) -> Vec<&Token> {
    // Lines are rebuilt from the tokens' rows in `raw_text`.
    lines.into_iter().flatten().collect()
}

fn looks_like_code_line(toks: &[&Token]) -> bool {
    let mut first = toks[0].text.as_str();
    if (first.ends_with('.') || first.ends_with(')')) && first[..first.len() - 1].chars().all(|c| c.is_ascii_digit()) {
        match toks.get(1) {
            Some(t) => first = t.text.as_str(),
            None => return false,
        }
    }
    // Marks OCR makes of specks (`E£11.9`) do not end the list: the line is
    // taken, and fails its code's grammar rather than vanish.
    let f: String = first.trim_end_matches([',', '-', ':']).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    let c0 = f.chars().next();
    let digits = f.chars().filter(|c| c.is_ascii_digit()).count();
    let marks = first.chars().filter(|c| !c.is_ascii()).count();
    f.len() >= 3 && f.len() <= 9 && digits >= 1 && marks <= 1 && c0.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The raw text of a value: tokens joined by spaces, rows by newlines.
fn raw_text(toks: &[&Token]) -> String {
    let mut s = String::new();
    let mut prev: Option<&Token> = None;
    for t in toks {
        if let Some(p) = prev {
            let new_line = t.bbox.y as f32 > p.bbox.y as f32 + p.bbox.h as f32 * 0.7;
            s.push(if new_line { '\n' } else { ' ' });
        }
        s.push_str(&t.text);
        prev = Some(t);
    }
    s
}

/// Normalise one value and turn it into field values at concrete paths.
pub fn values_for(path: &str, kind: ValueType, toks: &[&Token], at: &PageRef, ctx: &normalize::Context) -> Vec<FieldValue> {
    let raw = raw_text(toks);
    let (bbox, conf) = layout::span(toks);
    field_values(path, kind, &raw, Provenance { page: at.page, file: at.file.clone(), file_page: at.file_page, bbox, conf, reads: Vec::new() }, ctx)
}

/// Normalise `raw` as `kind` for the field at `path` (which may still hold `[]`).
pub fn field_values(path: &str, kind: ValueType, raw: &str, prov: Provenance, ctx: &normalize::Context) -> Vec<FieldValue> {
    let fv = |p: String, value: Option<Value>, error: Option<String>| FieldValue {
        path: p,
        field: path.to_string(),
        value,
        kind,
        raw: raw.to_string(),
        error,
        prov: prov.clone(),
    };
    match normalize::normalize(kind, raw, ctx) {
        Err(e) => vec![fv(path.to_string(), None, Some(e))],
        Ok(Normalized::Scalar(v)) => vec![fv(path.to_string(), Some(v), None)],
        Ok(Normalized::Parts(parts)) => {
            let base = match kind {
                ValueType::PersonName | ValueType::Signature => path::parent(path).to_string(),
                _ => path.to_string(),
            };
            parts.into_iter().map(|(k, v)| fv(path::join(&base, k), Some(v), None)).collect()
        }
        Ok(Normalized::List(items)) => {
            if items.is_empty() {
                // An explicit empty list (no known allergies) is a value too.
                return vec![fv(path.to_string(), Some(Value::Text(String::new())), None)];
            }
            let mut out = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                for (k, v) in item {
                    out.push(fv(format!("{path}[{i}].{k}"), Some(v), None));
                }
            }
            out
        }
    }
}

/// Read the rows of one table: the header row is the row where most column
/// headers stand (at least two); each following row is split into cells by
/// the columns' left edges, until a gap, a label line or the page's end.
/// Also returns how many lines after the table's end still look like table
/// rows (text under two columns or more): those are reported, not dropped.
fn read_table<'a>(page: &Page<'a>, table: &Table, taken: &mut [bool]) -> (Vec<Vec<(usize, Vec<&'a Token>)>>, usize) {
    let heads: Vec<&[String]> = table.columns.iter().map(|c| c.keys.as_slice()).collect();
    let mut best: Option<(usize, Vec<(Option<usize>, f32)>)> = None;
    for (ri, row) in page.rows.iter().enumerate() {
        if taken[ri] || Some(ri) == page.skip_row {
            continue;
        }
        let found = header_columns(row, &heads, page.unit);
        let known = found.iter().filter(|(c, _)| c.is_some()).count();
        if known >= 2
            && known * 2 >= table.columns.len()
            && known >= found.len().saturating_sub(2)
            && best.as_ref().is_none_or(|(_, b)| known > b.iter().filter(|(c, _)| c.is_some()).count())
        {
            best = Some((ri, found));
        }
    }
    let Some((hr, cols)) = best else { return (Vec::new(), 0) };
    taken[hr] = true;
    let unit = page.unit;
    let mut out = Vec::new();
    let mut missed = 0;
    let mut ended = false;
    let mut last_bottom = page.rows[hr].bbox.bottom() as f32;
    let mut pitch: Option<f32> = None;
    for ri in hr + 1..page.rows.len() {
        let r = &page.rows[ri];
        if taken[ri] {
            break;
        }
        // Specks read as `:` or `-` are not text.
        let toks: Vec<&Token> = r.tokens.iter().filter(|t| !t.canon.is_empty()).collect();
        if toks.is_empty() {
            continue;
        }
        let mut cells: Vec<(usize, Vec<&Token>)> = Vec::new();
        for t in &toks {
            let x = t.bbox.x as f32 + 1.5 * unit;
            let col = cols.iter().rev().find(|(_, cx)| *cx <= x).or(cols.first()).map(|(c, _)| *c);
            let Some(Some(col)) = col else { continue };
            match cells.iter_mut().find(|(c, _)| *c == col) {
                Some((_, v)) => v.push(*t),
                None => cells.push((col, vec![*t])),
            }
        }
        let gap = r.bbox.y as f32 - last_bottom;
        let limit = pitch.map_or(4.0 * unit, |p| (p * 2.5).max(2.5 * unit));
        if !ended && (gap > limit || toks[0].ends_label()) {
            ended = true;
        }
        if ended {
            // Past the end: a line that still fills several columns is a
            // row that was not read, and must not vanish silently.
            if cells.len() >= 2 && !toks[0].ends_label() {
                missed += 1;
            }
            continue;
        }
        if cells.is_empty() {
            continue;
        }
        pitch = Some(r.bbox.y as f32 - last_bottom + r.bbox.h as f32);
        last_bottom = r.bbox.bottom() as f32;
        taken[ri] = true;
        out.push(cells);
    }
    (out, missed)
}

/// Columns whose header stands in the row: (column index, left edge). Other
/// words of the header row are columns the pipeline does not know (a
/// `Site` column): they come back as `None`, so that their cells are not
/// taken for the neighbouring known column.
fn header_columns(row: &Row, heads: &[&[String]], unit: f32) -> Vec<(Option<usize>, f32)> {
    let mut found: Vec<(Option<usize>, f32)> = Vec::new();
    let mut i = 0;
    let mut last_unknown_right: Option<f32> = None;
    while i < row.tokens.len() {
        let mut best: Option<(usize, usize, usize)> = None; // col, end, len
        for (c, hs) in heads.iter().enumerate() {
            if found.iter().any(|(f, _)| *f == Some(c)) {
                continue;
            }
            for h in hs.iter() {
                if let Some((end, _)) = match_label(&row.tokens, i, h) {
                    if best.is_none_or(|(_, _, l)| h.len() > l) {
                        best = Some((c, end, h.len()));
                    }
                }
            }
        }
        match best {
            Some((c, end, _)) => {
                found.push((Some(c), row.tokens[i].bbox.x as f32));
                last_unknown_right = None;
                i = end;
            }
            None => {
                let t = &row.tokens[i];
                let starts_chunk = match last_unknown_right {
                    Some(r) => t.bbox.x as f32 - r > 1.5 * unit,
                    None => true,
                };
                if starts_chunk && !t.canon.is_empty() {
                    found.push((None, t.bbox.x as f32));
                }
                last_unknown_right = Some(t.bbox.right() as f32);
                i += 1;
            }
        }
    }
    found.sort_by(|a, b| a.1.total_cmp(&b.1));
    found
}

/// The extraction of a whole chart: records numbered, values at concrete paths.
#[derive(Clone, Debug, Default)]
pub struct ChartExtract {
    pub pages: Vec<PageInfo>,
    pub values: Vec<FieldValue>,
    pub header: Vec<FieldValue>,
    pub records: Vec<RecordRef>,
}

/// Number the records of the chart's pages in page order and fill in `[]`.
pub fn assemble_chart(pipeline: &Pipeline, pages: Vec<PageExtract>) -> ChartExtract {
    let mut out = ChartExtract::default();
    let mut doc_count: std::collections::HashMap<String, usize> = Default::default();
    let mut table_count: std::collections::HashMap<String, usize> = Default::default();
    for p in pages {
        let page_no = p.info.at.page;
        if let Some(doc_type) = p.info.doc_type.clone() {
            let doc = pipeline.document(&doc_type);
            let index = {
                let n = doc_count.entry(doc_type.clone()).or_default();
                *n += 1;
                *n - 1
            };
            out.records.push(RecordRef { doc_type: doc_type.clone(), page: page_no, kind: RecordKind::Document { index } });
            for mut v in p.fields {
                if v.path.contains("[]") {
                    v.path = path::fill(&v.path, index);
                    v.field = path::fill(&v.field, index);
                } else if out.values.iter().any(|o| o.path == v.path) {
                    continue; // a second face sheet: the first one stands
                }
                out.values.push(v);
            }
            for (ti, row) in p.rows {
                let Some(table) = doc.and_then(|d| d.tables.get(ti)) else { continue };
                let n = table_count.entry(table.path.to_string()).or_default();
                let idx = *n;
                *n += 1;
                out.records.push(RecordRef {
                    doc_type: doc_type.clone(),
                    page: page_no,
                    kind: RecordKind::TableRow { table: ti, index: idx },
                });
                for mut v in row {
                    v.path = path::fill(&v.path, idx);
                    v.field = path::fill(&v.field, idx);
                    out.values.push(v);
                }
            }
        }
        out.header.extend(p.header);
        out.pages.push(p.info);
    }
    out
}

/// The bounding box of the values of a field, for review crops.
pub fn field_box(values: &[FieldValue], field: &str) -> Option<(u32, BBox)> {
    values.iter().find(|v| v.field == field).map(|v| (v.prov.page, v.prov.bbox))
}

#[cfg(test)]
mod tests_support {
    pub use super::*;
    pub use crate::model::Word;

    /// Lay out lines of text as OCR words: `(x, y, text)`, words split on spaces,
    /// 12 px per character, 30 px high.
    pub fn page(lines: &[(u32, u32, &str)]) -> OcrPage {
        let mut words = Vec::new();
        for (x, y, text) in lines {
            let mut cx = *x;
            for w in text.split(' ').filter(|w| !w.is_empty()) {
                let width = 12 * w.chars().count() as u32;
                words.push(Word { text: w.into(), bbox: BBox { x: cx, y: *y, w: width, h: 30 }, conf: 92.0, block: 1, par: 1, line: 1 });
                cx += width + 12;
            }
        }
        OcrPage { width: 2550, height: 3300, dpi: 300, words }
    }

    pub fn run(lines: &[(u32, u32, &str)]) -> PageExtract {
        let p = Pipeline::default_pipeline();
        let ctx = normalize::Context { today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap() };
        extract_page(&p, PageRef { page: 1, file: "a.tif".into(), file_page: 0 }, &page(lines), PageFacts::default(), &ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;

    fn get<'a>(vals: &'a [FieldValue], path: &str) -> Option<String> {
        vals.iter().find(|v| v.path == path).and_then(|v| v.value.as_ref()).map(|v| v.to_string())
    }

    #[test]
    fn face_sheet_label_value_lines() {
        let x = run(&[
            (900, 100, "PATIENT REGISTRATION"),
            (100, 200, "Patient: THOMPSON, MARGARET A"),
            (1300, 200, "MRN: 00482913"),
            (1900, 200, "DOB: 03/14/1952"),
            (100, 400, "Patient Name: Margaret A. Thompson"),
            (100, 460, "Date of Birth: March 14, 1952"),
            (1300, 460, "Sex: F"),
            (100, 520, "Address: 1428 Elm Street, Springfield, IL 62704"),
            (100, 580, "Phone: (217) 555-0142"),
            (100, 640, "Allergies: Penicillin (rash)"),
            (100, 700, "Insurance: Blue Cross Blue Shield"),
            (100, 760, "Member ID: XJH123456789"),
            (1300, 760, "Group #: 88231"),
        ]);
        assert_eq!(x.info.doc_type.as_deref(), Some("face_sheet"));
        let f = &x.fields;
        assert_eq!(get(f, "patient.family").as_deref(), Some("Thompson"));
        assert_eq!(get(f, "patient.given").as_deref(), Some("Margaret A"));
        assert_eq!(get(f, "patient.mrn").as_deref(), Some("00482913"));
        assert_eq!(get(f, "patient.dob").as_deref(), Some("1952-03-14"));
        assert_eq!(get(f, "patient.sex").as_deref(), Some("F"));
        assert_eq!(get(f, "patient.address.zip").as_deref(), Some("62704"));
        assert_eq!(get(f, "patient.phone").as_deref(), Some("2175550142"));
        assert_eq!(get(f, "allergies[0].substance").as_deref(), Some("Penicillin"));
        assert_eq!(get(f, "coverage.member_id").as_deref(), Some("XJH123456789"));
        assert_eq!(get(f, "coverage.group").as_deref(), Some("88231"));
        assert_eq!(get(f, "coverage.payer").as_deref(), Some("Blue Cross Blue Shield"));
        // The header is read too, for identity checks.
        assert!(x.header.iter().any(|v| v.path == "patient.mrn"));
    }

    #[test]
    fn boxed_form_value_below_label() {
        let x = run(&[
            (900, 100, "FACE SHEET"),
            (100, 300, "Patient Name"),
            (900, 300, "Date of Birth"),
            (1500, 300, "Sex"),
            (100, 345, "THOMPSON, MARGARET A"),
            (900, 345, "3/14/52"),
            (1500, 345, "Female"),
        ]);
        let f = &x.fields;
        assert_eq!(get(f, "patient.family").as_deref(), Some("Thompson"));
        assert_eq!(get(f, "patient.dob").as_deref(), Some("1952-03-14"));
        assert_eq!(get(f, "patient.sex").as_deref(), Some("F"));
    }

    #[test]
    fn labels_in_separate_boxes_are_not_one_label() {
        let x = run(&[
            (900, 100, "PATIENT REGISTRATION"),
            (100, 300, "City:"),
            (1000, 300, "State:"),
            (1500, 300, "ZIP Code"),
            (100, 345, "Columbia"),
            (1000, 345, "SC"),
            (1500, 345, "29201"),
        ]);
        let f = &x.fields;
        assert_eq!(get(f, "patient.address.city").as_deref(), Some("Columbia"));
        assert_eq!(get(f, "patient.address.state").as_deref(), Some("SC"));
        assert_eq!(get(f, "patient.address.zip").as_deref(), Some("29201"));
    }

    #[test]
    fn progress_note_fields_vitals_diagnoses_signature() {
        let x = run(&[
            (900, 100, "PROGRESS NOTE"),
            (100, 200, "Patient: THOMPSON, MARGARET A"),
            (1300, 200, "MRN: 00482913"),
            (100, 300, "Date of Service: 11/02/1998"),
            (100, 360, "Provider: John R. Miller, MD"),
            (1300, 360, "NPI: 1234567893"),
            (100, 420, "BP: 128/82 Pulse: 76 Temp: 98.4 F Wt: 171 lb"),
            (100, 480, "Diagnoses:"),
            (140, 530, "250.00 Diabetes mellitus type II"),
            (140, 580, "401.9 Essential hypertension"),
            (100, 700, "Signed: John R. Miller, MD Date: 11/02/1998"),
        ]);
        assert_eq!(x.info.doc_type.as_deref(), Some("progress_note"));
        let f = &x.fields;
        assert_eq!(get(f, "encounters[].date").as_deref(), Some("1998-11-02"));
        assert_eq!(get(f, "encounters[].provider").as_deref(), Some("John R. Miller, MD"));
        assert_eq!(get(f, "encounters[].npi").as_deref(), Some("1234567893"));
        assert_eq!(get(f, "encounters[].vitals.bp").as_deref(), Some("128/82"));
        assert_eq!(get(f, "encounters[].vitals.pulse").as_deref(), Some("76"));
        assert_eq!(get(f, "encounters[].vitals.temp_f").as_deref(), Some("98.4"));
        assert_eq!(get(f, "encounters[].vitals.weight_lb").as_deref(), Some("171"));
        assert_eq!(get(f, "encounters[].diagnoses[1].code").as_deref(), Some("401.9"));
        assert_eq!(get(f, "encounters[].signed_by").as_deref(), Some("John R. Miller, MD"));
        assert_eq!(get(f, "encounters[].signed_date").as_deref(), Some("1998-11-02"));
    }

    #[test]
    fn medication_table_rows() {
        let x = run(&[
            (900, 100, "MEDICATION LIST"),
            (100, 300, "Drug"),
            (700, 300, "Dose"),
            (1000, 300, "Route"),
            (1300, 300, "Frequency"),
            (1700, 300, "Start Date"),
            (100, 360, "Metformin"),
            (700, 360, "500 mg"),
            (1000, 360, "PO"),
            (1300, 360, "BID"),
            (1700, 360, "11/02/1998"),
            (100, 420, "Lisinopril"),
            (700, 420, "10 mg"),
            (1000, 420, "PO"),
            (1300, 420, "daily"),
        ]);
        assert_eq!(x.rows.len(), 2);
        let r0 = &x.rows[0].1;
        assert_eq!(get(r0, "medications[].name").as_deref(), Some("Metformin"));
        assert_eq!(get(r0, "medications[].dose").as_deref(), Some("500 mg"));
        assert_eq!(get(r0, "medications[].start_date").as_deref(), Some("1998-11-02"));
        assert_eq!(get(&x.rows[1].1, "medications[].frequency").as_deref(), Some("daily"));
    }

    #[test]
    fn unknown_table_column_is_not_merged_into_a_known_one() {
        let x = run(&[
            (900, 100, "IMMUNIZATION RECORD"),
            (100, 300, "Vaccine"),
            (600, 300, "CVX"),
            (800, 300, "Date Given"),
            (1200, 300, "Lot #"),
            (1500, 300, "Site"),
            (100, 360, "Influenza"),
            (600, 360, "141"),
            (800, 360, "10/15/1998"),
            (1200, 360, "U2233AA"),
            (1500, 360, "L DELTOID"),
        ]);
        let r0 = &x.rows[0].1;
        assert_eq!(get(r0, "immunizations[].lot").as_deref(), Some("U2233AA"));
        assert_eq!(get(r0, "immunizations[].cvx").as_deref(), Some("141"));
        assert_eq!(get(r0, "immunizations[].date").as_deref(), Some("1998-10-15"));
    }

    #[test]
    fn page_without_title_is_unknown() {
        let x = run(&[(900, 100, "LABORATORY REPORT"), (100, 300, "Glucose 105 mg/dL normal range"), (100, 360, "Hemoglobin A1c 6.1 percent")]);
        assert_eq!(x.info.status, PageStatus::Unknown);
    }
}

#[cfg(test)]
mod regression {
    use super::tests_support::*;

    #[test]
    fn table_under_header_sticker_is_read() {
        let x = run(&[
            (1019, 461, "MEDICATIONS"),
            (299, 587, "Name: McKenzie, Alexander"),
            (299, 650, "Medical Record No. 5858069788"),
            (1129, 650, "Birthdate: 02/27/1953"),
            (316, 746, "Medication"),
            (903, 746, "Dosage"),
            (1215, 746, "Route"),
            (1449, 746, "Freq"),
            (1803, 746, "Started"),
            (316, 837, "Fluticasone nasal"),
            (904, 837, "50 mcg"),
            (1216, 837, "Nasal"),
            (1450, 837, "daily"),
            (1796, 837, "July 6, 2003"),
        ]);
        assert_eq!(x.rows.len(), 1, "{:?}", x.fields);
        assert_eq!(x.info.doc_type.as_deref(), Some("medication_list"));
    }

    #[test]
    fn a_label_without_a_value_is_never_silently_absent() {
        // NPI is optional: its label with nothing beside or below it is
        // still reported, so that a value that was there is not lost.
        let x = run(&[
            (900, 100, "PROGRESS NOTE"),
            (100, 300, "Date of Service: 11/02/1998"),
            (1300, 300, "NPI:"),
            (100, 420, "Provider: John R. Miller, MD"),
        ]);
        let npi = x.fields.iter().find(|v| v.path == "encounters[].npi").expect("the empty label is a value");
        assert!(npi.value.is_none());
        assert_eq!(npi.error.as_deref(), Some(LABEL_WITHOUT_VALUE));
    }

    #[test]
    fn a_diagnosis_line_with_a_stray_mark_is_kept_and_fails() {
        let x = run(&[
            (900, 100, "PROGRESS NOTE"),
            (100, 300, "Date of Service: 11/02/2018"),
            (100, 400, "Assessment:"),
            (140, 450, "I10 Essential hypertension"),
            (140, 500, "E£11.9 Type 2 diabetes mellitus"),
        ]);
        let dx = x.fields.iter().find(|v| v.field == "encounters[].diagnoses").expect("diagnoses");
        assert!(dx.raw.contains("E£11.9"), "{:?}", dx.raw);
        assert!(dx.error.is_some(), "the whole list fails rather than lose a line");
    }

    #[test]
    fn a_table_header_is_not_the_title() {
        // `Medication` is one OCR slip from the title `MEDICATIONS`, and taller.
        let mut lines = vec![(1019, 461, "MEDICATIONS")];
        lines.extend([(316, 746, "Medication"), (903, 746, "Dosage"), (1215, 746, "Route"), (316, 837, "Ibuprofen"), (903, 837, "400 mg"), (1215, 837, "PO")]);
        let x = run(&lines);
        assert_eq!(x.rows.len(), 1);
    }
}

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

pub mod classify;
pub mod document;
pub mod layout;
pub mod marks;
pub mod second;
pub mod signature;

use crate::model::{BBox, FieldValue, OcrPage, PageInfo, PageRef, PageStatus, Provenance, RecordKind, RecordRef, Value};
use crate::normalize::{self, Normalized};
use crate::pipeline::path;
use crate::pipeline::{Direction, Entry, Pipeline, Table, ValueType};
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
    /// `choice` fields found on the page, decided from their boxes' pixels
    /// ([`marks::decide`]) once they are cut out of the page.
    pub marks: Vec<marks::MarkGroup>,
    /// Signature lines whose ink decides whether a name read below them is
    /// a signer's ([`signature::decide_lines`]), cut out with the marks.
    pub sign_lines: Vec<signature::SignLine>,
}

/// A page that could not be read at all (decode error): unreadable.
pub fn unreadable_page(at: PageRef) -> PageExtract {
    PageExtract {
        info: PageInfo { at, doc_type: None, status: PageStatus::Unreadable, rotation: 0, skew: 0.0, words: 0, mean_conf: 0.0 },
        header: Vec::new(),
        fields: Vec::new(),
        rows: Vec::new(),
        marks: Vec::new(),
        sign_lines: Vec::new(),
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
        marks: Vec::new(),
        sign_lines: Vec::new(),
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
    extract_page_as(pipeline, at, ocr, facts, ctx, None)
}

/// [`extract_page`], with the page's document type given by a person
/// (`review reread --as TYPE`) instead of found by its title.
pub fn extract_page_as(
    pipeline: &Pipeline,
    at: PageRef,
    ocr: &OcrPage,
    facts: PageFacts,
    ctx: &normalize::Context,
    doc_type: Option<&str>,
) -> PageExtract {
    let mut info = PageInfo {
        at,
        doc_type: None,
        status: PageStatus::Unknown,
        rotation: facts.rotation,
        skew: facts.skew,
        words: ocr.words.len() as u32,
        mean_conf: ocr.mean_conf(),
    };
    let mut out = PageExtract { info: info.clone(), header: Vec::new(), fields: Vec::new(), rows: Vec::new(), marks: Vec::new(), sign_lines: Vec::new() };
    if meaningful_words(ocr) < pipeline.min_words as usize {
        info.status = if facts.ink_fraction <= BLANK_MAX_INK { PageStatus::Blank } else { PageStatus::Unreadable };
        out.info = info;
        return out;
    }
    let rows = layout::rows(layout::tokens(&ocr.words));
    let unit = layout::median_height(&rows);
    let found = match doc_type {
        Some(t) => classify::classify_as(pipeline, t, &rows, ocr.height),
        None => classify::classify(pipeline, &rows, ocr.height),
    };
    let Some((doc, title)) = found else {
        out.info = info;
        return out;
    };
    info.status = PageStatus::Read;
    info.doc_type = Some(doc.doc_type.clone());
    if doc.ignore {
        out.info = info;
        return out;
    }
    let page = Page { rows: &rows, unit, width: ocr.width, height: ocr.height, title };

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
    let mut used = vec![Vec::<bool>::new(); rows.len()];
    for (ri, r) in rows.iter().enumerate() {
        used[ri] = (0..r.tokens.len()).map(|t| page.in_title(ri, t)).collect();
    }
    for h in &hits {
        for t in h.start..h.end {
            used[h.row][t] = true;
        }
    }
    // The hits each field is read from: inside its zone, and the n-th one
    // when the pipeline names an occurrence.
    let mut seen = vec![0u32; entries.len()];
    let eligible: Vec<bool> = hits
        .iter()
        .map(|h| {
            let spec = &entries[h.entry].spec;
            if !page.in_zone(label_box(&page, h), spec.zone) {
                return false;
            }
            seen[h.entry] += 1;
            spec.occurrence.is_none_or(|n| n == seen[h.entry])
        })
        .collect();
    let mut best: Vec<Option<(usize, &Hit, Found)>> = (0..entries.len()).map(|_| None).collect();
    // Labels of the document found with nothing beside or below them: the
    // first one of each field, kept when no other label of it has a value.
    let mut empty: Vec<Option<&Hit>> = vec![None; entries.len()];
    let mut chosen: Vec<bool> = vec![false; entries.len()];
    for (h, _) in hits.iter().zip(&eligible).filter(|(_, e)| **e) {
        let entry = &entries[h.entry];
        if entry.kind == ValueType::Choice {
            if entry.doc && !chosen[h.entry] {
                if let Some(g) = mark_group(&page, &hits, h, entry, &used, &info.at) {
                    chosen[h.entry] = true;
                    out.marks.push(g);
                } else if entry.report_empty && empty[h.entry].is_none() {
                    empty[h.entry] = Some(h);
                }
            }
            continue;
        }
        let toks = value_tokens(&page, &hits, h, entry, &used);
        if toks.is_empty() {
            if entry.doc && entry.report_empty && empty[h.entry].is_none() {
                empty[h.entry] = Some(h);
            }
            continue;
        }
        let toks = if entry.kind == ValueType::Signature && entry.spec.direction == Direction::Auto {
            Found::Sign(sign_read(&page, h, toks, &used, ctx.today))
        } else {
            Found::Tokens(toks)
        };
        if entry.header {
            out.header.extend(toks.values(entry, &info.at, ctx).0);
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
        if let Some((_, _, found)) = b {
            let (values, line) = found.values(e, &info.at, ctx);
            out.fields.extend(values);
            out.sign_lines.extend(line);
        } else if chosen[i] {
            // read from its boxes
        } else if let Some(h) = empty[i] {
            // Never silently absent: an empty label is a value to look at.
            out.fields.push(FieldValue {
                path: e.path.to_string(),
                field: e.path.to_string(),
                value: None,
                kind: e.kind,
                raw: String::new(),
                error: Some(LABEL_WITHOUT_VALUE.to_string()),
                prov: Provenance {
                    page: info.at.page,
                    file: info.at.file.clone(),
                    file_page: info.at.file_page,
                    bbox: label_box(&page, h),
                    conf: 0.0,
                    reads: Vec::new(),
                },
            });
        } else if e.doc && e.keys.is_empty() && e.spec.pattern.is_some() {
            // A value without a label: the first match of its pattern.
            if let Some(toks) = pattern_tokens(&page, e, &used, &table_rows) {
                out.fields.extend(checked(values_for(e.path.as_str(), e.kind, &toks, &info.at, ctx), e));
            }
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
    height: u32,
    title: Option<classify::TitleSpan>,
}

impl Page<'_> {
    /// Whether row `r` is the title and nothing else (skipped by labels and tables).
    fn is_title_row(&self, r: usize) -> bool {
        self.title.is_some_and(|t| t.fills(r, self.rows))
    }

    fn in_title(&self, r: usize, t: usize) -> bool {
        self.title.is_some_and(|s| s.covers(r, t))
    }

    /// Whether a box's centre lies inside a zone given in fractions of the page.
    fn in_zone(&self, b: BBox, zone: Option<[f32; 4]>) -> bool {
        let Some([x0, y0, x1, y1]) = zone else { return true };
        let cx = (b.x as f32 + b.w as f32 / 2.0) / self.width.max(1) as f32;
        let cy = (b.y as f32 + b.h as f32 / 2.0) / self.height.max(1) as f32;
        (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy)
    }
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
        if page.is_title_row(ri) || table_rows[ri] {
            continue;
        }
        let toks = &row.tokens;
        let mut i = 0;
        let mut prev_end: Option<usize> = None;
        let mut row_hits: Vec<Hit> = Vec::new();
        while i < toks.len() {
            if page.in_title(ri, i) {
                i += 1;
                continue;
            }
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
            if let Some((entry, rank, end, strong, len)) = best {
                let chunk_start = i == 0
                    || (toks[i].bbox.x as f32 - toks[i - 1].bbox.right() as f32) > 1.5 * page.unit
                    || prev_end == Some(i)
                    || is_box_number(&toks[i - 1].text);
                // A caption after its value (`$12.50 TOTAL`) ends its phrase instead.
                let ends_chunk = end == toks.len()
                    || (toks[end].bbox.x as f32 - toks[end - 1].bbox.right() as f32) > 1.5 * page.unit;
                if strong || chunk_start || (entries[entry].spec.direction == Direction::Left && ends_chunk) {
                    row_hits.push(Hit { entry, rank, row: ri, start: i, end, strong });
                    // Other fields with the same label (the patient's and the
                    // insured's `CITY`) see the same label; occurrences tell them apart.
                    for (ei, e) in entries.iter().enumerate().filter(|(ei, _)| *ei != entry) {
                        if let Some(rank) = e.keys.iter().position(|l| l.len() == len && match_label(toks, i, l).is_some_and(|(x, _)| x == end)) {
                            row_hits.push(Hit { entry: ei, rank, row: ri, start: i, end, strong });
                        }
                    }
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

/// The value found for a label: its words, or a signature's parts.
enum Found<'a> {
    Tokens(Vec<&'a Token>),
    Sign(signature::SignRead<'a>),
}

impl Found<'_> {
    /// The field values it reads as, and the signature line whose ink
    /// decides them, if one must.
    fn values(&self, e: &Entry, at: &PageRef, ctx: &normalize::Context) -> (Vec<FieldValue>, Option<signature::SignLine>) {
        let read = |toks: &[&Token]| checked(values_for(e.path.as_str(), e.kind, toks, at, ctx), e);
        match self {
            Found::Tokens(toks) | Found::Sign(signature::SignRead::Line(toks)) => (read(toks), None),
            Found::Sign(signature::SignRead::Below { name, date, line }) => {
                let mut v = read(name);
                v.extend(read(date));
                (v, line.map(|b| signature::SignLine { path: path::join(path::parent(e.path.as_str()), "signed_by"), line: b }))
            }
            Found::Sign(signature::SignRead::Region { region, date, line }) => {
                let name_path = path::join(path::parent(e.path.as_str()), "signed_by");
                let mut v = vec![FieldValue {
                    path: name_path.clone(),
                    field: e.path.to_string(),
                    value: None,
                    kind: e.kind,
                    raw: String::new(),
                    error: Some(signature::REGION_TO_READ.to_string()),
                    prov: Provenance { page: at.page, file: at.file.clone(), file_page: at.file_page, bbox: *region, conf: 0.0, reads: Vec::new() },
                }];
                v.extend(read(date));
                (v, line.map(|b| signature::SignLine { path: name_path, line: b }))
            }
        }
    }
}

/// A signature read right of its label: the name on the line, or below it
/// when what stands on the line is the pen's scribble ([`signature`]).
fn sign_read<'a>(page: &Page<'a>, h: &Hit, right: Vec<&'a Token>, used: &[Vec<bool>], today: chrono::NaiveDate) -> signature::SignRead<'a> {
    let row = &page.rows[h.row];
    let lb = label_box(page, h);
    let d = signature::date_start(&right, today);
    let x_end = right.get(d).map_or(page.width as f32, |t| t.bbox.x as f32 - 0.5 * page.unit);
    let x_start = lb.x as f32 - 1.0 * page.unit;
    // The first row under the line, within two and a half letter heights.
    let mut below = Vec::new();
    for ri in h.row + 1..page.rows.len().min(h.row + 3) {
        let r = &page.rows[ri];
        if r.bbox.y as f32 - row.bbox.bottom() as f32 > 2.5 * page.unit || page.is_title_row(ri) {
            break;
        }
        match row_words(page, ri, x_start, x_end, used) {
            None => break,
            Some(toks) if !toks.is_empty() => {
                below = toks;
                break;
            }
            Some(_) => {}
        }
    }
    let u = page.unit;
    let bottom = row.bbox.bottom() as f32;
    let x0 = lb.x as f32;
    let region_w = (x_end - x0).max(0.0);
    let region = BBox { x: x0 as u32, y: (bottom + 0.4 * u) as u32, w: region_w as u32, h: ((2.0 * u) as u32).min(page.height.saturating_sub((bottom + 0.4 * u) as u32)) };
    let line_x = lb.right() as f32 + 0.3 * u;
    let line = (d == 0).then(|| BBox {
        x: line_x as u32,
        y: (row.bbox.y as f32 - 0.3 * u).max(0.0) as u32,
        w: (x_end - line_x).max(0.0) as u32,
        h: (row.bbox.h as f32 + 0.7 * u) as u32,
    });
    signature::locate(right, below, region, line, today)
}

/// A form's box number before its caption: `2.`, `11a.`, `a.`, `(3)`.
fn is_box_number(t: &str) -> bool {
    let inner = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')).or_else(|| t.strip_suffix('.'));
    inner.is_some_and(|x| {
        let digits = x.chars().take_while(char::is_ascii_digit).count();
        let rest = &x[digits..];
        (1..=2).contains(&digits) && rest.len() <= 1 && rest.chars().all(|c| c.is_ascii_lowercase())
            || digits == 0 && x.len() == 1 && x.chars().all(|c| c.is_ascii_lowercase())
    })
}

/// The box of a hit's label.
fn label_box(page: &Page, h: &Hit) -> BBox {
    layout::span(&page.rows[h.row].tokens[h.start..h.end].iter().collect::<Vec<_>>()).0
}

/// The left edge of the next label right of `h` on its row, if any.
fn next_label_x(page: &Page, hits: &[Hit], h: &Hit) -> Option<f32> {
    hits.iter()
        .filter(|o| o.row == h.row && o.start >= h.end)
        .map(|o| o.start)
        .min()
        .map(|n| page.rows[h.row].tokens[n].bbox.x as f32 - 0.5 * page.unit)
}

/// The value of a label, where the field's direction says: right of it on
/// its row, else directly below it (`auto`); or only right, below, above or
/// left of it. A value of several `lines` continues on the lines below.
fn value_tokens<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, entry: &Entry, used: &[Vec<bool>]) -> Vec<&'a Token> {
    let kind = entry.kind;
    let first = match entry.spec.direction {
        Direction::Auto => {
            let right = right_of(page, hits, h, kind, false);
            if kind == ValueType::Diagnoses {
                return diagnosis_lines(page, h, right, used);
            }
            // Nothing right of the label but marks (`ID # -`: a dash, a
            // rule's speck): the value is below it, as on a boxed form, or
            // there is none, and the label is one without a value.
            let marks_only = crate::normalize::is_blank(&right.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" "));
            if marks_only {
                below(page, hits, h, used)
            } else {
                right
            }
        }
        Direction::Right => right_of(page, hits, h, kind, true),
        Direction::Below => below(page, hits, h, used),
        Direction::Above => above(page, hits, h, used),
        Direction::Left => left_of(page, h, used),
    };
    if entry.spec.lines > 1 && !first.is_empty() {
        more_lines(page, hits, h, first, entry.spec.lines, used)
    } else {
        first
    }
}

/// The words right of a label on its row, up to the next label or a column
/// gap. `wide`: the pipeline says the value is to the right, so a label
/// without `:` may stand apart from it too.
fn right_of<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, kind: ValueType, wide: bool) -> Vec<&'a Token> {
    let row = &page.rows[h.row];
    let next_hit = hits.iter().filter(|o| o.row == h.row && o.start >= h.end).map(|o| o.start).min();
    let stop = next_hit.unwrap_or(row.tokens.len());
    let gap_limit = 2.5 * page.unit;
    let mut right: Vec<&Token> = Vec::new();
    for k in h.end..stop {
        let t = &row.tokens[k];
        if page.in_title(h.row, k) {
            break;
        }
        if let Some(prev) = right.last() {
            let gap = t.bbox.x as f32 - prev.bbox.right() as f32;
            if kind != ValueType::Signature && (gap > gap_limit || t.ends_label() && !prev.text.ends_with(',')) {
                break;
            }
        } else {
            let gap = t.bbox.x as f32 - row.tokens[h.end - 1].bbox.right() as f32;
            // A label with `:` may be set apart from its value; one without
            // is a form's caption, its value in the same phrase or below.
            if gap > page.width as f32 * 0.4 || (!h.strong && !wide && gap > gap_limit) {
                break;
            }
            if t.ends_label() && kind != ValueType::Signature {
                break;
            }
        }
        right.push(t);
    }
    right
}

/// Code lines continuing below a diagnosis label.
fn diagnosis_lines<'a>(page: &Page<'a>, h: &Hit, right: Vec<&'a Token>, used: &[Vec<bool>]) -> Vec<&'a Token> {
    let row = &page.rows[h.row];
    let x_start = label_box(page, h).x as f32 - 1.0 * page.unit;
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
    join_lines(lines)
}

/// The words of one row between two x positions, left to right, up to a
/// column gap; `None` when a label stands first there (the value is not
/// this label's).
fn row_words<'a>(page: &Page<'a>, ri: usize, x_start: f32, x_end: f32, used: &[Vec<bool>]) -> Option<Vec<&'a Token>> {
    let gap_limit = 2.5 * page.unit;
    let mut toks: Vec<&Token> = Vec::new();
    for (k, t) in page.rows[ri].tokens.iter().enumerate() {
        let x = t.bbox.x as f32;
        if x < x_start || x >= x_end {
            continue;
        }
        if used[ri][k] {
            if toks.is_empty() {
                return None;
            }
            break;
        }
        if let Some(p) = toks.last() {
            if x - p.bbox.right() as f32 > gap_limit {
                break;
            }
        }
        toks.push(t);
    }
    Some(toks)
}

/// Boxed form: the value stands below the label.
fn below<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, used: &[Vec<bool>]) -> Vec<&'a Token> {
    stacked(page, hits, h, used, h.row + 1..page.rows.len().min(h.row + 3))
}

/// A value printed above its label (a signature over its line's caption).
fn above<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, used: &[Vec<bool>]) -> Vec<&'a Token> {
    stacked(page, hits, h, used, (h.row.saturating_sub(2)..h.row).rev())
}

/// The first row of `rows` (nearest the label first) with words under or
/// over the label, within three letter heights of it; nothing when a label
/// or the title stands there first.
fn stacked<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, used: &[Vec<bool>], rows: impl Iterator<Item = usize>) -> Vec<&'a Token> {
    let row = &page.rows[h.row];
    let x_end = next_label_x(page, hits, h).unwrap_or(page.width as f32);
    let x_start = label_box(page, h).x as f32 - 1.0 * page.unit;
    for ri in rows {
        let r = &page.rows[ri];
        let gap = if ri > h.row { r.bbox.y as f32 - row.bbox.bottom() as f32 } else { row.bbox.y as f32 - r.bbox.bottom() as f32 };
        if gap > 3.0 * page.unit || page.is_title_row(ri) {
            break;
        }
        match row_words(page, ri, x_start, x_end, used) {
            None => return Vec::new(), // another label stands there
            Some(toks) if !toks.is_empty() => return toks,
            Some(_) => {}
        }
    }
    Vec::new()
}

/// A value printed left of its label, on its row.
fn left_of<'a>(page: &Page<'a>, h: &Hit, used: &[Vec<bool>]) -> Vec<&'a Token> {
    let row = &page.rows[h.row];
    let gap_limit = 2.5 * page.unit;
    let mut toks: Vec<&Token> = Vec::new();
    for k in (0..h.start).rev() {
        let t = &row.tokens[k];
        if used[h.row][k] {
            break;
        }
        let edge = toks.last().map_or(row.tokens[h.start].bbox.x, |p| p.bbox.x) as f32;
        if edge - t.bbox.right() as f32 > gap_limit {
            break;
        }
        toks.push(t);
    }
    toks.reverse();
    toks
}

/// A value of several lines: the lines below its first one that start
/// under it, until a blank line, a label, or `lines` in all.
fn more_lines<'a>(page: &Page<'a>, hits: &[Hit], h: &Hit, first: Vec<&'a Token>, lines: u32, used: &[Vec<bool>]) -> Vec<&'a Token> {
    let Some(last) = first.last() else { return first };
    let Some(mut ri) = page.rows.iter().position(|r| r.tokens.iter().any(|t| std::ptr::eq(t, *last))) else { return first };
    let x_start = first.iter().map(|t| t.bbox.x).min().unwrap_or(0) as f32 - 1.0 * page.unit;
    let x_end = if ri == h.row { next_label_x(page, hits, h).unwrap_or(page.width as f32) } else { page.width as f32 };
    let mut out = first;
    let mut bottom = page.rows[ri].bbox.bottom() as f32;
    for _ in 1..lines {
        ri += 1;
        let Some(r) = page.rows.get(ri) else { break };
        if r.bbox.y as f32 - bottom > 1.2 * page.unit {
            break;
        }
        match row_words(page, ri, x_start, x_end, used) {
            Some(toks) if !toks.is_empty() && !toks[0].ends_label() => {
                bottom = r.bbox.bottom() as f32;
                out.extend(toks);
            }
            _ => break,
        }
    }
    out
}

/// A `choice` field: its options' labels right of its label on its row, or
/// on the two rows below, each with the places its box may stand.
fn mark_group(page: &Page, hits: &[Hit], h: &Hit, entry: &Entry, used: &[Vec<bool>], at: &PageRef) -> Option<marks::MarkGroup> {
    let lb = label_box(page, h);
    let x_end = next_label_x(page, hits, h).unwrap_or(page.width as f32);
    let mut options = Vec::new();
    let mut bbox = lb;
    for ri in h.row..page.rows.len().min(h.row + 3) {
        let r = &page.rows[ri];
        if ri > h.row && r.bbox.y as f32 - page.rows[ri - 1].bbox.bottom() as f32 > 2.0 * page.unit {
            break;
        }
        let from = if ri == h.row { h.end } else { 0 };
        let x_start = if ri == h.row { lb.right() as f32 } else { lb.x as f32 - 3.0 * page.unit };
        let mut k = from;
        while k < r.tokens.len() {
            let t = &r.tokens[k];
            let x = t.bbox.x as f32;
            if x < x_start || (used[ri][k] && ri > h.row) {
                k += 1;
                continue;
            }
            if x >= x_end || (used[ri][k] && ri == h.row) {
                break;
            }
            let found = entry.spec.options.iter().enumerate().filter(|(oi, _)| !options.iter().any(|(o, _)| o == oi)).find_map(|(oi, o)| {
                o.keys.iter().find_map(|key| match_label(&r.tokens, k, key).map(|(end, _)| (oi, end)))
            });
            match found {
                Some((oi, end)) => {
                    let label = layout::span(&r.tokens[k..end].iter().collect::<Vec<_>>()).0;
                    bbox = bbox.union(&label);
                    options.push((oi, marks::MarkOption { value: entry.spec.options[oi].value.clone(), label, boxes: marks::box_areas(label) }));
                    k = end;
                }
                None => k += 1,
            }
        }
        if options.len() == entry.spec.options.len() {
            break;
        }
    }
    if options.is_empty() {
        return None;
    }
    Some(marks::MarkGroup {
        path: entry.path.to_string(),
        multiple: entry.spec.multiple,
        options: options.into_iter().map(|(_, o)| o).collect(),
        bbox,
        at: at.clone(),
    })
}

/// A value without a label: the first match of the field's pattern in the
/// page's lines (inside its zone), outside tables and labels.
fn pattern_tokens<'a>(page: &Page<'a>, entry: &Entry, used: &[Vec<bool>], table_rows: &[bool]) -> Option<Vec<&'a Token>> {
    let re = entry.spec.pattern.as_ref()?;
    for (ri, r) in page.rows.iter().enumerate() {
        if table_rows[ri] || page.is_title_row(ri) {
            continue;
        }
        let mut text = String::new();
        let mut spans: Vec<(usize, usize, &Token)> = Vec::new();
        for (k, t) in r.tokens.iter().enumerate() {
            if used[ri][k] || !page.in_zone(t.bbox, entry.spec.zone) {
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(&t.text);
            spans.push((start, text.len(), t));
        }
        if let Some(m) = re.find(&text) {
            let toks: Vec<&Token> = spans.iter().filter(|(s, e, _)| *s < m.end() && *e > m.start()).map(|(_, _, t)| *t).collect();
            if !toks.is_empty() {
                return Some(toks);
            }
        }
    }
    None
}

/// The error of a value that does not match its field's pattern.
pub const NOT_THE_PATTERN: &str = "value does not have the form the pipeline gives for it";

/// A field's own checks on its values: its pattern and maximum length.
fn checked(mut values: Vec<FieldValue>, entry: &Entry) -> Vec<FieldValue> {
    for v in &mut values {
        if v.value.is_none() {
            continue;
        }
        if let Some(re) = &entry.spec.pattern {
            if !entry.keys.is_empty() && !re.is_match(normalize::clean_text(&v.raw).as_str()) {
                v.value = None;
                v.error = Some(NOT_THE_PATTERN.to_string());
                continue;
            }
        }
        if let (Some(max), Some(Value::Text(t))) = (entry.spec.max_length, &v.value) {
            if t.chars().count() > max {
                v.value = None;
                v.error = Some(format!("longer than the {max} characters the pipeline allows"));
            }
        }
    }
    values
}

/// Decide the page's `choice` fields from the crops of their boxes (in the
/// order of [`marks::MarkGroup::regions`], group after group). A group whose
/// boxes could not be cut out (too few crops) is an unread value, never a guess.
pub fn decide_marks(x: &mut PageExtract, crops: &[image::GrayImage]) {
    let mut at = 0;
    for g in std::mem::take(&mut x.marks) {
        let n = g.regions().len();
        let v = match crops.get(at..at + n) {
            Some(c) => marks::decide(&g, c),
            None => FieldValue {
                value: None,
                error: Some("the option group's boxes could not be looked at".to_string()),
                ..marks::decide(&g, &[])
            },
        };
        at += n;
        x.fields.push(v);
    }
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
        Err(e) if matches!(kind, ValueType::CityStateZip | ValueType::Address) && normalize::address_error_part(&e) == Some("zip") => {
            // Only the ZIP is wrong: the city and state (and street) read
            // stay, and the ZIP fails alone (flagged as `….zip`).
            let rest = normalize::without_bad_zip(raw).map(|rest| normalize::normalize(kind, &rest, ctx));
            match rest {
                Some(Ok(Normalized::Parts(parts))) if parts.iter().any(|(k, _)| matches!(*k, "city" | "state")) => {
                    let mut out: Vec<FieldValue> = parts.into_iter().map(|(k, v)| fv(path::join(path, k), Some(v), None)).collect();
                    out.push(fv(path::join(path, "zip"), None, Some(e)));
                    out
                }
                _ => vec![fv(path.to_string(), None, Some(e))],
            }
        }
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
        if taken[ri] || page.is_title_row(ri) {
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
                words.push(Word { text: w.into(), bbox: BBox { x: cx, y: *y, w: width, h: 30 }, conf: 92.0, block: 1, par: 1, line: 1, alts: Vec::new() });
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
mod tests_locate;

#[cfg(test)]
mod tests {
    use super::tests_support::*;

    fn get<'a>(vals: &'a [FieldValue], path: &str) -> Option<String> {
        vals.iter().find(|v| v.path == path).and_then(|v| v.value.as_ref()).map(|v| v.to_string())
    }

    #[test]
    fn a_bad_zip_fails_alone_and_the_city_and_state_stay() {
        let ctx = normalize::Context { today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() };
        let prov = Provenance { page: 1, file: "f".into(), file_page: 0, bbox: BBox::default(), conf: 90.0, reads: Vec::new() };
        let got: Vec<(String, Option<String>, Option<String>)> =
            field_values("patient.address", ValueType::CityStateZip, "Madison, WI 3703", prov.clone(), &ctx)
                .into_iter()
                .map(|v| (v.path, v.value.map(|x| x.to_string()), v.error))
                .collect();
        assert_eq!(
            got,
            vec![
                ("patient.address.city".to_string(), Some("Madison".to_string()), None),
                ("patient.address.state".to_string(), Some("WI".to_string()), None),
                ("patient.address.zip".to_string(), None, Some("ZIP code is not 5 or 5+4 digits".to_string())),
            ]
        );
        let one_line = field_values("patient.address", ValueType::Address, "5243 Lincoln Terrace, Madison, WI 3703", prov.clone(), &ctx);
        assert_eq!(one_line.iter().filter(|v| v.value.is_some()).count(), 3, "{one_line:?}");
        // A line that is nothing but a bad ZIP stays one failed value.
        let bad = field_values("patient.address", ValueType::CityStateZip, "3703", prov, &ctx);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].error.is_some());
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

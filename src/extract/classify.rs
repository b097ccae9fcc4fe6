//! Which document type a page is: by its title near the top of the page,
//! and by the keywords the pipeline asks for (or forbids) anywhere on it.
//!
//! A title is a run of words of one line, or of two lines set one under the
//! other, that reads as one of the pipeline's titles — exactly, or with an
//! OCR slip per eight characters. It may share its line with other text (a
//! clinic's name, a date stamp, a carrier's address), but never follows a
//! label on it (`Re: fax cover sheet` is a subject, not the title). Exact
//! readings win over near ones, a title alone in its line over one in
//! company, then taller print, then longer titles.

use super::layout::Row;
use crate::pipeline::{Document, Pipeline, Title};

/// The tokens that make a page's title: (row, first token, end token); a
/// title on two lines has a second span on the next row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TitleSpan {
    pub row: usize,
    pub start: usize,
    pub end: usize,
    pub second: Option<(usize, usize, usize)>,
}

impl TitleSpan {
    /// Whether token `t` of row `r` is part of the title.
    pub fn covers(&self, r: usize, t: usize) -> bool {
        (r == self.row && (self.start..self.end).contains(&t))
            || self.second.is_some_and(|(sr, ss, se)| r == sr && (ss..se).contains(&t))
    }

    /// Whether the title is the whole of row `r` (its row is then skipped).
    pub fn fills(&self, r: usize, rows: &[Row]) -> bool {
        let whole = |row: usize, s: usize, e: usize| r == row && s == 0 && e == rows[row].tokens.len();
        whole(self.row, self.start, self.end) || self.second.is_some_and(|(sr, ss, se)| whole(sr, ss, se))
    }
}

/// How good a title match is; larger is better.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
struct Score {
    exact: bool,
    alone: bool,
    height: u32,
    len: usize,
}

/// The document type of a page and where its title stands (`None` for a
/// type classified by its keywords alone).
pub fn classify<'p>(pipeline: &'p Pipeline, rows: &[Row], height: u32) -> Option<(&'p Document, Option<TitleSpan>)> {
    let page_text: Vec<String> = rows.iter().map(|r| r.tokens.iter().map(|t| t.canon.as_str()).collect()).collect();
    let has = |k: &String| page_text.iter().any(|row| row.contains(k.as_str()));
    let allowed = |d: &Document| {
        d.keywords.iter().all(has)
            && (d.any_keywords.is_empty() || d.any_keywords.iter().any(has))
            && !d.not_keywords.iter().any(has)
    };
    let mut best: Option<(&Document, TitleSpan, Score)> = None;
    for doc in pipeline.documents.iter().filter(|d| !d.titles.is_empty() && allowed(d)) {
        let limit = (height as f32 * doc.title_zone) as u32;
        for title in &doc.titles {
            if let Some((span, score)) = find_title(rows, title, limit) {
                let better = match &best {
                    None => true,
                    Some((_, _, b)) => better(&score, b),
                };
                if better {
                    best = Some((doc, span, score));
                }
            }
        }
    }
    if let Some((doc, span, _)) = best {
        return Some((doc, Some(span)));
    }
    // Types without a title: the one whose keywords say most about the page.
    pipeline
        .documents
        .iter()
        .filter(|d| d.titles.is_empty() && allowed(d))
        .max_by_key(|d| d.keywords.len() + usize::from(!d.any_keywords.is_empty()))
        .map(|d| (d, None))
}

/// The document type a person named for the page, with its title where
/// the page shows one (anywhere on the page): `None` for a type the
/// pipeline does not have.
pub fn classify_as<'p>(pipeline: &'p Pipeline, doc_type: &str, rows: &[Row], height: u32) -> Option<(&'p Document, Option<TitleSpan>)> {
    let doc = pipeline.documents.iter().find(|d| d.doc_type == doc_type)?;
    let span = doc.titles.iter().filter_map(|t| find_title(rows, t, height)).reduce(|a, b| if better(&b.1, &a.1) { b } else { a });
    Some((doc, span.map(|(s, _)| s)))
}

fn better(a: &Score, b: &Score) -> bool {
    if a.exact != b.exact {
        return a.exact;
    }
    if a.alone != b.alone {
        return a.alone;
    }
    if a.height > b.height + b.height / 5 {
        return true;
    }
    a.height + a.height / 5 >= b.height && a.len > b.len
}

/// The best place of one title in the rows above `limit`.
fn find_title(rows: &[Row], title: &Title, limit: u32) -> Option<(TitleSpan, Score)> {
    let tc = title.canon.as_str();
    let mut best: Option<(TitleSpan, Score)> = None;
    let mut offer = |span: TitleSpan, score: Score| {
        if best.as_ref().is_none_or(|(_, b)| better(&score, b)) {
            best = Some((span, score));
        }
    };
    for (ri, row) in rows.iter().enumerate() {
        if row.bbox.y > limit {
            break;
        }
        let toks = &row.tokens;
        let chunks = chunk_bounds(row);
        for &(cs, ce) in &chunks {
            for s in cs..ce {
                // A title never follows a label within its phrase.
                if s > cs && toks[s - 1].text.ends_with(':') {
                    break;
                }
                if toks[s].canon.is_empty() {
                    continue;
                }
                let mut text = String::new();
                let mut key = String::new();
                for e in s..ce {
                    text.push_str(&toks[e].canon);
                    key.push_str(&toks[e].key);
                    if text.len() > tc.len() + tc.len() / 8 + 1 {
                        break;
                    }
                    let whole_chunk = s == cs && e + 1 == ce;
                    let alone = whole_chunk && chunks.len() <= 2;
                    // Short titles (`SOAP`, `H&P`) only as a phrase of their own.
                    if tc.len() < 5 && !whole_chunk {
                        continue;
                    }
                    // A label followed by its value (`Medications: none`) is
                    // not a title; a title alone on its line may carry a colon.
                    if toks[e].text.ends_with(':') && !alone {
                        continue;
                    }
                    // `C0VER` for `COVER`: the confusions labels allow are exact too.
                    let Some(exact) = matches(&text, tc).or_else(|| (key == title.key).then_some(true)) else { continue };
                    // A near reading only as a line (or a line's last phrase) of its own.
                    if !exact && !alone {
                        continue;
                    }
                    let h = toks[s..=e].iter().map(|t| t.bbox.h).max().unwrap_or(0);
                    if !whole_chunk {
                        // In company, a title stands at one end of its phrase,
                        // in print no smaller than the words beside it.
                        let mut hs: Vec<u32> = toks[cs..ce].iter().map(|t| t.bbox.h).collect();
                        hs.sort_unstable();
                        if (s != cs && e + 1 != ce) || h < hs[hs.len() / 2] {
                            continue;
                        }
                    }
                    offer(TitleSpan { row: ri, start: s, end: e + 1, second: None }, Score { exact, alone, height: h, len: tc.len() });
                }
            }
        }
        // A title of several words set on two lines, one under the other.
        if title.words.len() >= 2 {
            if let Some(next) = rows.get(ri + 1) {
                let gap = next.bbox.y as i64 - row.bbox.bottom() as i64;
                let overlap = row.bbox.right().min(next.bbox.right()) as i64 - row.bbox.x.max(next.bbox.x) as i64;
                if gap < row.bbox.h as i64 && overlap > 0 && chunks.len() == 1 && chunk_bounds(next).len() == 1 {
                    let text: String = row.tokens.iter().chain(next.tokens.iter()).map(|t| t.canon.as_str()).collect();
                    if let Some(exact) = matches(&text, tc) {
                        let h = row.tokens.iter().map(|t| t.bbox.h).max().unwrap_or(0);
                        let span =
                            TitleSpan { row: ri, start: 0, end: row.tokens.len(), second: Some((ri + 1, 0, next.tokens.len())) };
                        offer(span, Score { exact, alone: true, height: h, len: tc.len() });
                    }
                }
            }
        }
    }
    best
}

/// Whether a run of text is the title: `Some(true)` exactly, `Some(false)`
/// with an OCR slip per 8 characters.
fn matches(text: &str, title: &str) -> Option<bool> {
    if text == title {
        return Some(true);
    }
    let slips = title.len() / 8;
    (slips > 0 && text.len().abs_diff(title.len()) <= slips && strsim::levenshtein(text, title) <= slips).then_some(false)
}

/// A row's phrases: runs of tokens split at wide gaps, as token ranges.
fn chunk_bounds(row: &Row) -> Vec<(usize, usize)> {
    let unit = row.tokens.iter().map(|t| t.bbox.h).max().unwrap_or(20) as f32;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, t) in row.tokens.iter().enumerate() {
        match out.last_mut() {
            Some((_, e)) if (t.bbox.x as f32) - (row.tokens[i - 1].bbox.right() as f32) < 2.5 * unit => *e = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

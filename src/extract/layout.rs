//! Page geometry: OCR words grouped into visual rows, and the canonical
//! form labels, headers and titles are compared in.

use crate::model::{BBox, Word};

/// Lower-case ASCII letters and digits only: `D.O.B.:` → `dob`, `Med Rec #` → `medrec`.
pub fn canon(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// The form labels and titles are matched in: [`canon`] with the letters and
/// digits OCR confuses folded together (`1D` reads as `ID`, `Te1` as `Tel`).
/// Labels contain no digits, so folding both sides loses nothing.
pub fn key(s: &str) -> String {
    canon(s)
        .chars()
        .map(|c| match c {
            '1' | 'l' => 'i',
            '0' => 'o',
            '5' => 's',
            c => c,
        })
        .collect()
}

/// A word as the extractor sees it: the OCR word, cleaned.
#[derive(Clone, Debug)]
pub struct Token {
    pub text: String,
    pub canon: String,
    /// [`key`] of the text, for matching labels.
    pub key: String,
    pub bbox: BBox,
    pub conf: f32,
}

impl Token {
    /// Ends like a label: `Name:`, `Rec #`, `No.`.
    pub fn ends_label(&self) -> bool {
        self.text.ends_with(':') || self.text.ends_with('#') || self.text.ends_with(":.")
    }
    pub fn x_center(&self) -> f32 {
        self.bbox.x as f32 + self.bbox.w as f32 / 2.0
    }
}

/// One visual line of text, tokens left to right.
#[derive(Clone, Debug)]
pub struct Row {
    pub tokens: Vec<Token>,
    pub bbox: BBox,
}

impl Row {
    pub fn text(&self) -> String {
        self.tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
    }
    pub fn height(&self) -> u32 {
        self.bbox.h
    }
}

/// Clean OCR words into tokens: table rules and specks dropped, `|` and `_`
/// trimmed off words, `DOB:03/14/1952` split after the colon.
pub fn tokens(words: &[Word]) -> Vec<Token> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        let text = w.text.trim_matches(|c: char| matches!(c, '|' | '_' | '[' | ']' | '{' | '}' | '¦' | '—' | '“' | '”'));
        if text.is_empty() || !text.chars().any(|c| c.is_alphanumeric() || matches!(c, ':' | '#' | '/' | '-' | '&')) {
            continue;
        }
        // Split `Label:value` glued by OCR (not `10:30`).
        if let Some(pos) = text.find(':') {
            let (left, right) = (&text[..=pos], &text[pos + 1..]);
            if !right.is_empty() && left.chars().any(|c| c.is_alphabetic()) && pos + 1 < text.len() {
                let n = text.chars().count().max(1) as u32;
                let lw = (w.bbox.w * left.chars().count() as u32 / n).max(1);
                out.push(token(left, BBox { w: lw, ..w.bbox }, w.conf));
                out.push(token(right, BBox { x: w.bbox.x + lw, w: w.bbox.w.saturating_sub(lw).max(1), ..w.bbox }, w.conf));
                continue;
            }
        }
        out.push(token(text, w.bbox, w.conf));
    }
    out
}

fn token(text: &str, bbox: BBox, conf: f32) -> Token {
    Token { text: text.to_string(), canon: canon(text), key: key(text), bbox, conf }
}

/// Group tokens into visual rows: a token joins the row it overlaps most
/// vertically (at least half of the smaller height), rows sorted top to
/// bottom, tokens left to right.
pub fn rows(mut toks: Vec<Token>) -> Vec<Row> {
    toks.sort_by_key(|t| (t.bbox.y + t.bbox.h / 2, t.bbox.x));
    let mut rows: Vec<Row> = Vec::new();
    for t in toks {
        let ty0 = t.bbox.y as i64;
        let ty1 = t.bbox.bottom() as i64;
        let mut best: Option<(usize, i64)> = None;
        // Only recent rows can overlap: tokens come sorted by vertical centre.
        for (i, r) in rows.iter().enumerate().rev().take(6) {
            // Compare with the row's core band (median-ish: its first token's box)
            // so a tall outlier does not swallow neighbouring lines.
            let core = core_band(r);
            let ov = ty1.min(core.1) - ty0.max(core.0);
            let minh = (ty1 - ty0).min(core.1 - core.0).max(1);
            if ov * 2 >= minh && best.is_none_or(|(_, b)| ov > b) {
                best = Some((i, ov));
            }
        }
        match best {
            Some((i, _)) => {
                rows[i].bbox = rows[i].bbox.union(&t.bbox);
                rows[i].tokens.push(t);
            }
            None => rows.push(Row { bbox: t.bbox, tokens: vec![t] }),
        }
    }
    for r in &mut rows {
        r.tokens.sort_by_key(|t| t.bbox.x);
    }
    rows.sort_by_key(|r| (r.bbox.y + r.bbox.h / 2, r.bbox.x));
    rows
}

/// The vertical band of a row, from the median top and bottom of its tokens.
fn core_band(r: &Row) -> (i64, i64) {
    let mut tops: Vec<i64> = r.tokens.iter().map(|t| t.bbox.y as i64).collect();
    let mut bots: Vec<i64> = r.tokens.iter().map(|t| t.bbox.bottom() as i64).collect();
    tops.sort_unstable();
    bots.sort_unstable();
    (tops[tops.len() / 2], bots[bots.len() / 2])
}

/// Median token height of the page: the unit for gaps and distances.
pub fn median_height(rows: &[Row]) -> f32 {
    let mut hs: Vec<u32> = rows.iter().flat_map(|r| r.tokens.iter().map(|t| t.bbox.h)).collect();
    if hs.is_empty() {
        return 20.0;
    }
    hs.sort_unstable();
    hs[hs.len() / 2].max(4) as f32
}

/// Bounding box and mean confidence of a run of tokens.
pub fn span(tokens: &[&Token]) -> (BBox, f32) {
    let mut b = BBox::default();
    let mut conf = 0.0;
    for t in tokens {
        b = b.union(&t.bbox);
        conf += t.conf;
    }
    (b, if tokens.is_empty() { 0.0 } else { conf / tokens.len() as f32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, x: u32, y: u32) -> Word {
        Word { text: text.into(), bbox: BBox { x, y, w: 10 * text.len() as u32, h: 20 }, conf: 90.0, block: 1, par: 1, line: 1, alts: Vec::new() }
    }

    #[test]
    fn canon_strips_punctuation() {
        assert_eq!(canon("D.O.B.:"), "dob");
        assert_eq!(canon("Med Rec #"), "medrec");
    }

    #[test]
    fn glued_label_is_split() {
        let t = tokens(&[w("DOB:03/14/1952", 0, 0)]);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].text, "DOB:");
        assert_eq!(t[1].text, "03/14/1952");
        let t = tokens(&[w("10:30", 0, 0)]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn rows_group_by_vertical_overlap() {
        let words = vec![w("Name:", 0, 100), w("MRN:", 400, 104), w("Sex:", 0, 150), w("Ann", 80, 98)];
        let r = rows(tokens(&words));
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text(), "Name: Ann MRN:");
        assert_eq!(r[1].text(), "Sex:");
    }

    #[test]
    fn rules_are_dropped() {
        let t = tokens(&[w("|", 0, 0), w("___", 0, 0), w("|Metformin", 0, 0)]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].text, "Metformin");
    }
}

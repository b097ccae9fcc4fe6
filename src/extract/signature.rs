//! Signature lines: who signed, where the name stands.
//!
//! A note is signed on a line right of its `Signed:` label, and the date
//! follows under a label of its own (`Date:`). What stands on the line is
//! often the signature itself, a pen scribble that OCR reads as `ee ee` or
//! not at all, while the signer's name is written or printed on the line
//! below it. So, for a signature field read to the right of its label:
//!
//! - what stands on the line before the date is the name when it reads as
//!   one ([`name_shaped`], and read with some confidence);
//! - otherwise the name is the row below the line, under the signature,
//!   when OCR read one that reads as a name;
//! - otherwise the place below the line is a region to read again on its
//!   own ([`REGION_TO_READ`]): the second reads ([`super::second`]) read it,
//!   and when nothing is found there the signature has no name (a
//!   `missing_field` for a person), never a guess.
//!
//! When the name is taken from below a line on which OCR saw nothing, the
//! line itself is cut out of the page and its ink is looked at
//! ([`decide_lines`]): a blank line is an unsigned note, whatever is printed
//! below it (a typed name under an empty line is not a signature).
//!
//! Pure, like the rest of extraction: tokens and crops in, values out.

use super::layout::Token;
use crate::model::{BBox, FieldValue};
use crate::normalize;
use image::GrayImage;

/// The error of a signer's name that was not read on the page but may stand
/// in its box: the box is read again on its own. Once read, the value is
/// what the reads found, or no value.
pub const REGION_TO_READ: &str = "the signer's name was not read on the page; its place is read again";

/// Mean OCR confidence under which words on a signature line that read as a
/// name are taken for a scribble when a name stands below the line.
const LINE_NAME_CONF: f32 = 50.0;

/// A signature line whose ink decides whether the note is signed.
#[derive(Clone, Debug, PartialEq)]
pub struct SignLine {
    /// The path of the signer's name this line decides (`encounters[].signed_by`).
    pub path: String,
    /// The line between the label and the date, in page pixels.
    pub line: BBox,
}

/// How a signature field's value was found.
#[derive(Debug)]
pub enum SignRead<'a> {
    /// Name and date as read right of the label.
    Line(Vec<&'a Token>),
    /// The name from the row below the line, the date from the line;
    /// `line`: the line to look at for ink, when OCR saw nothing on it.
    Below { name: Vec<&'a Token>, date: Vec<&'a Token>, line: Option<BBox> },
    /// Nothing readable on the line or below it: the place below is read again.
    Region { region: BBox, date: Vec<&'a Token>, line: Option<BBox> },
}

/// Where the date begins among the words right of a signature label: at a
/// `Date:` / `Dated` / `on` word, else at the first word from which the
/// rest reads as a date; the number of words when there is none.
pub fn date_start(toks: &[&Token], today: chrono::NaiveDate) -> usize {
    let word = |t: &Token| t.text.trim_end_matches([':', '.', ',']).to_lowercase();
    if let Some(k) = toks.iter().position(|t| matches!(word(t).as_str(), "date" | "dated" | "on")) {
        return k;
    }
    for k in 0..toks.len() {
        let rest: Vec<&str> = toks[k..].iter().map(|t| t.text.as_str()).collect();
        if rest.len() <= 5 && normalize::parse_date(&rest.join(" "), today).is_ok() {
            return k;
        }
    }
    toks.len()
}

/// Whether words read as a person's name, perhaps with a credential: one to
/// six words, no digits, mostly letters, and one word at least that is a
/// capitalised name (`Freeman`, `Russo,`). A scribble read as `ee ee`,
/// `NAB ae` or `WOLD` is not one.
pub fn name_shaped(toks: &[&Token]) -> bool {
    if toks.is_empty() || toks.len() > 6 {
        return false;
    }
    let text: String = toks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
    if text.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let visible: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let letters = visible.iter().filter(|c| c.is_alphabetic()).count();
    if letters * 10 < visible.len() * 8 {
        return false;
    }
    toks.iter().any(|t| {
        let w = t.text.trim_end_matches([',', '.']);
        w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().filter(|c| c.is_lowercase()).count() >= 2
            && w.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-')
    })
}

fn mean_conf(toks: &[&Token]) -> f32 {
    if toks.is_empty() {
        0.0
    } else {
        toks.iter().map(|t| t.conf).sum::<f32>() / toks.len() as f32
    }
}

/// Decide where a signature's name stands. `right`: the words right of the
/// label (name and date); `below`: the words OCR read on the row under the
/// line, under the signature; `region`: the place of the name below the line
/// when nothing was read there; `line`: the signature line, where OCR saw
/// nothing on it, to be looked at for ink.
pub fn locate<'a>(right: Vec<&'a Token>, below: Vec<&'a Token>, region: BBox, line: Option<BBox>, today: chrono::NaiveDate) -> SignRead<'a> {
    let d = date_start(&right, today);
    let on_line = &right[..d];
    if name_shaped(on_line) && (mean_conf(on_line) >= LINE_NAME_CONF || !name_shaped(&below)) {
        return SignRead::Line(right);
    }
    let date = right[d..].to_vec();
    if name_shaped(&below) {
        return SignRead::Below { name: below, date, line: line.filter(|_| on_line.is_empty()) };
    }
    if on_line.is_empty() && date.is_empty() {
        return SignRead::Line(right); // nothing on the line at all: no name, no date
    }
    if region.w == 0 || region.h == 0 {
        return SignRead::Line(right);
    }
    SignRead::Region { region, date, line: line.filter(|_| on_line.is_empty()) }
}

/// Share of dark pixels in a crop of a signature line, the rule it is
/// drawn on left out (rows dark over most of their width), counted only
/// when the ink spans a fifth of the line: specks of a scan do not sign.
pub fn line_ink(crop: &GrayImage) -> f32 {
    let (w, h) = crop.dimensions();
    if w == 0 || h == 0 {
        return 0.0;
    }
    let dark = |x: u32, y: u32| crop.get_pixel(x, y).0[0] < 128;
    let mut ink = 0usize;
    let mut cols = vec![false; w as usize];
    let mut rows_kept = 0usize;
    for y in 0..h {
        let n = (0..w).filter(|&x| dark(x, y)).count();
        if n * 10 > w as usize * 4 {
            continue; // the rule
        }
        rows_kept += 1;
        for x in 0..w {
            if dark(x, y) {
                ink += 1;
                cols[x as usize] = true;
            }
        }
    }
    if rows_kept == 0 {
        return 0.0;
    }
    // Columns with ink, in bands of 1/20 of the width.
    let band = (w as usize / 20).max(1);
    let bands = cols.chunks(band).filter(|c| c.iter().any(|&b| b)).count();
    if bands * 5 < cols.chunks(band).count() {
        return 0.0;
    }
    ink as f32 / (rows_kept * w as usize) as f32
}

/// Share of a signature line's pixels that must be ink for it to be signed.
pub const SIGNED_INK: f32 = 0.01;

/// Decide the page's signature lines from their crops (one per line, in
/// order): where a line is blank, the signer's name it decides is no value,
/// whatever was read below the line. A line that could not be cut out
/// leaves its name as read.
pub fn decide_lines(fields: &mut [FieldValue], lines: &[SignLine], crops: &[GrayImage]) {
    for (line, crop) in lines.iter().zip(crops) {
        if line_ink(crop) >= SIGNED_INK {
            continue;
        }
        for v in fields.iter_mut().filter(|v| v.path == line.path) {
            v.value = None;
            v.raw = String::new();
            v.error = Some(normalize::NO_VALUE.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn tok(text: &str, x: u32, conf: f32) -> Token {
        Token { text: text.into(), canon: text.to_lowercase(), key: text.to_lowercase(), bbox: BBox { x, y: 100, w: 12 * text.len() as u32, h: 24 }, conf }
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn names_and_scribbles() {
        let t = |s: &str| s.split(' ').enumerate().map(|(i, w)| tok(w, i as u32 * 100, 90.0)).collect::<Vec<_>>();
        for s in ["Amber V. Freeman, PA-C", "Diane Russo, MD", "Bowers", "Auber Y. Freeman, PA-C", "O'Neill"] {
            assert!(name_shaped(&t(s).iter().collect::<Vec<_>>()), "{s}");
        }
        for s in ["ee ee", "oO", "NAB ae", "WOLD", "D ate", "ss $e", "Follow up in 3 weeks", "<3"] {
            assert!(!name_shaped(&t(s).iter().collect::<Vec<_>>()), "{s}");
        }
    }

    #[test]
    fn a_scribble_on_the_line_gives_way_to_the_name_below_it() {
        let right = [tok("<3", 350, 0.0), tok("ee", 600, 44.0), tok("Date:", 950, 97.0), tok("6/20/96", 1050, 96.0)];
        let below = [tok("Auber", 336, 57.0), tok("Y.", 444, 62.0), tok("Freeman,", 502, 43.0), tok("PA-C", 664, 91.0)];
        let r = locate(right.iter().collect(), below.iter().collect(), BBox { x: 330, y: 130, w: 600, h: 50 }, None, today());
        match r {
            SignRead::Below { name, date, .. } => {
                assert_eq!(name.len(), 4);
                assert_eq!(date.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["Date:", "6/20/96"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_name_written_on_the_line_stays() {
        let right = [tok("Diane", 350, 92.0), tok("Russo,", 450, 90.0), tok("MD", 560, 93.0), tok("Date:", 950, 97.0), tok("7/1/98", 1050, 96.0)];
        let below = [tok("Follow", 208, 96.0), tok("up", 300, 96.0)];
        assert!(matches!(locate(right.iter().collect(), below.iter().collect(), BBox { x: 0, y: 0, w: 10, h: 10 }, None, today()), SignRead::Line(_)));
    }

    #[test]
    fn nothing_read_on_or_below_the_line_asks_for_the_region() {
        let right = [tok("Date:", 950, 97.0), tok("7/1/98", 1050, 96.0)];
        let region = BBox { x: 330, y: 130, w: 600, h: 50 };
        match locate(right.iter().collect(), Vec::new(), region, None, today()) {
            SignRead::Region { region: r, date, .. } => {
                assert_eq!(r, region);
                assert_eq!(date.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        // A line with nothing at all (an unsigned note, no date) stays as read.
        assert!(matches!(locate(Vec::new(), Vec::new(), region, None, today()), SignRead::Line(_)));
    }

    #[test]
    fn ink_on_a_line_and_a_blank_line() {
        let mut blank = GrayImage::from_pixel(400, 60, Luma([255]));
        for x in 0..400 {
            blank.put_pixel(x, 50, Luma([0])); // the rule
            blank.put_pixel(x, 51, Luma([0]));
        }
        for (x, y) in [(30, 10), (200, 20), (390, 5)] {
            blank.put_pixel(x, y, Luma([0])); // specks
        }
        assert!(line_ink(&blank) < SIGNED_INK, "{}", line_ink(&blank));
        let mut signed = blank.clone();
        for x in 20..300u32 {
            let y = 30.0 + 12.0 * ((x as f32) / 15.0).sin();
            for dy in 0..3 {
                signed.put_pixel(x, y as u32 + dy, Luma([20]));
            }
        }
        assert!(line_ink(&signed) >= SIGNED_INK, "{}", line_ink(&signed));
    }
}

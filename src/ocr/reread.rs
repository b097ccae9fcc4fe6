//! Second reads of doubtful values: each value's box, cut out of the page
//! before Tesseract let go of it ([`super::orient::upright`]), is read on
//! its own with the segmentation of a line (or a block, for a value of
//! several lines). Which values, and what is then kept, is extraction's
//! decision ([`crate::extract::second`]); this module only reads.
//!
//! A box is cleaned first: table rules and underlines that cross it (dark
//! across most of its width or height, broken dashes included) are erased,
//! since Tesseract reads them as text. Rules are erased inside the box
//! only: erasing them page-wide harmed thin typewriter text.
//!
//! When the first read of a box does not settle the value, the box is read
//! once more enlarged twice (small print and handwriting gain most).

use super::{Ocr, OcrError};
use crate::extract::second::{Reading, Request};
use crate::model::{Alt, ReadHow, Word};
use image::GrayImage;

/// Read each request's box (`regions[i]` for `requests[i]`). `settled` is
/// shown a request's readings so far and says whether they decide it; an
/// unsettled one is read again enlarged.
pub fn read_regions(
    engine: &mut impl Ocr,
    requests: &[Request],
    regions: Vec<GrayImage>,
    dpi: u32,
    settled: &dyn Fn(usize, &[Reading]) -> bool,
) -> Result<Vec<Vec<Reading>>, OcrError> {
    let mut out = Vec::with_capacity(requests.len());
    for (i, (req, mut region)) in requests.iter().zip(regions).enumerate() {
        erase_rules(&mut region);
        let words = engine.read_region(&region, dpi, req.layout)?;
        let mut readings = vec![reading(ReadHow::Region, &within(words, req, 1))];
        if !settled(i, &readings) && region.width() > 0 && region.height() > 0 {
            let big = crate::image::resample(&region, region.width() * 2, region.height() * 2);
            let words = engine.read_region(&big, dpi * 2, req.layout)?;
            readings.push(reading(ReadHow::RegionEnlarged, &within(words, req, 2)));
        }
        out.push(readings);
    }
    Ok(out)
}

/// The words of a region read (at `scale` times the page's pixels) that
/// reach into the value's own box across the line: a word wholly in the
/// padding left or right of it is a piece of a neighbouring label or value.
fn within(words: Vec<Word>, req: &Request, scale: u32) -> Vec<Word> {
    let left = req.value.x.saturating_sub(req.region.x) * scale;
    let right = (req.value.x + req.value.w).saturating_sub(req.region.x) * scale;
    words.into_iter().filter(|w| w.bbox.x < right && w.bbox.x + w.bbox.w > left).collect()
}

/// The text of a region's words (lines joined by `\n`) and their mean
/// confidence. Marks left at the start or the end by a label's colon or a
/// rule (`:`, `|`) are dropped.
fn reading(how: ReadHow, words: &[Word]) -> Reading {
    let is_mark = |w: &Word| w.text.chars().all(|c| matches!(c, ':' | '|' | ';' | ',' | '.' | '_' | '-' | '—' | '=' | '!'));
    let start = words.iter().position(|w| !is_mark(w)).unwrap_or(words.len());
    let end = words.iter().rposition(|w| !is_mark(w)).map_or(start, |e| e + 1);
    let words = &words[start..end.max(start)];
    let mut text = String::new();
    let mut alts = Vec::new();
    let mut chars = 0u32;
    let mut prev: Option<&Word> = None;
    for w in words {
        if let Some(p) = prev {
            text.push(if (p.block, p.par, p.line) != (w.block, w.par, w.line) { '\n' } else { ' ' });
            chars += 1;
        }
        // The word's alternatives, placed in the reading's text.
        alts.extend(w.alts.iter().map(|a| Alt { at: chars + a.at, ..*a }));
        text.push_str(&w.text);
        chars += w.text.chars().count() as u32;
        prev = Some(w);
    }
    let conf = if words.is_empty() { 0.0 } else { words.iter().map(|w| w.conf).sum::<f32>() / words.len() as f32 };
    Reading { how, text, conf, alts }
}

/// Share of dark pixels across a box's row (or column) that makes it a rule.
const RULE_ROW_SHARE: f32 = 0.75;
const RULE_COLUMN_SHARE: f32 = 0.9;

/// Whiten the rows and columns of a box that are dark across most of it:
/// table rules and underlines, not text (no glyph stroke spans a padded
/// value box).
pub fn erase_rules(img: &mut GrayImage) {
    let (w, h) = img.dimensions();
    if w < 8 || h < 8 {
        return;
    }
    let dark = |p: u8| p < 128;
    let rows: Vec<u32> = (0..h)
        .filter(|&y| (0..w).filter(|&x| dark(img.get_pixel(x, y).0[0])).count() as f32 >= RULE_ROW_SHARE * w as f32)
        .collect();
    let cols: Vec<u32> = (0..w)
        .filter(|&x| (0..h).filter(|&y| dark(img.get_pixel(x, y).0[0])).count() as f32 >= RULE_COLUMN_SHARE * h as f32)
        .collect();
    for y in rows {
        for x in 0..w {
            img.put_pixel(x, y, image::Luma([255]));
        }
    }
    for x in cols {
        for y in 0..h {
            img.put_pixel(x, y, image::Luma([255]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BBox;

    fn word(text: &str, line: u32, conf: f32) -> Word {
        Word { text: text.into(), bbox: BBox::default(), conf, block: 1, par: 1, line, alts: Vec::new() }
    }

    #[test]
    fn a_reading_drops_stray_marks_and_keeps_lines() {
        let r = reading(ReadHow::Region, &[word(":", 1, 10.0), word("250.00", 1, 90.0), word("Diabetes", 1, 92.0), word("401.9", 2, 94.0), word("|", 2, 5.0)]);
        assert_eq!(r.text, "250.00 Diabetes\n401.9");
        assert!((r.conf - 92.0).abs() < 1e-3);
    }

    #[test]
    fn words_wholly_in_the_padding_are_pieces_of_neighbours() {
        use crate::extract::second::Target;
        use crate::ocr::Layout;
        let req = Request {
            target: Target::Field { start: 0, end: 1 },
            region: BBox { x: 90, y: 190, w: 240, h: 50 },
            value: BBox { x: 110, y: 200, w: 200, h: 30 },
            layout: Layout::Line,
        };
        let at = |text: &str, x: u32, w: u32| Word { bbox: BBox { x, y: 10, w, h: 30 }, ..word(text, 1, 90.0) };
        let words = vec![at("y", 2, 14), at("Julie", 22, 60), at("Maxwell", 90, 140), at("|", 228, 6)];
        let kept: Vec<String> = within(words.clone(), &req, 1).into_iter().map(|w| w.text).collect();
        assert_eq!(kept, ["Julie", "Maxwell"]);
        let big: Vec<Word> = words.into_iter().map(|w| Word { bbox: BBox { x: w.bbox.x * 2, w: w.bbox.w * 2, ..w.bbox }, ..w }).collect();
        assert_eq!(within(big, &req, 2).len(), 2, "an enlarged read is measured at its scale");
    }

    #[test]
    fn the_engine_alternatives_are_placed_in_the_reading_text() {
        let mut a = word("250.00", 1, 90.0);
        a.alts = vec![Alt { at: 4, ch: 'O', conf: 30.0 }];
        let mut b = word("D1abetes", 1, 92.0);
        b.alts = vec![Alt { at: 1, ch: 'i', conf: 60.0 }];
        let r = reading(ReadHow::Region, &[word(":", 1, 10.0), a, b]);
        assert_eq!(r.text, "250.00 D1abetes");
        assert_eq!(r.alts, vec![Alt { at: 4, ch: 'O', conf: 30.0 }, Alt { at: 8, ch: 'i', conf: 60.0 }]);
        assert_eq!(r.text.chars().nth(8), Some('1'));
    }

    #[test]
    fn rules_are_erased_and_text_is_not() {
        let mut img = GrayImage::from_pixel(60, 20, image::Luma([255]));
        for x in 0..60 {
            // A broken rule along the bottom: dashes of 4 with gaps of 1.
            if x % 5 != 4 {
                img.put_pixel(x, 18, image::Luma([0]));
            }
        }
        for y in 4..14 {
            img.put_pixel(10, y, image::Luma([0])); // a glyph's stroke
        }
        erase_rules(&mut img);
        assert!((0..60).all(|x| img.get_pixel(x, 18).0[0] == 255), "the rule is gone");
        assert!((4..14).all(|y| img.get_pixel(10, y).0[0] == 0), "the stroke stays");
    }
}

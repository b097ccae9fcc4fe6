//! Broken table rules erased before OCR, inside tables only.
//!
//! Tesseract reads a table's rules as text: rows garble, headers and whole
//! columns are lost, and on a bitonal scan the rules are often broken
//! dashes that become `ee`, `---` and `LL` words. Rules are found as long,
//! thin, dense horizontal runs (gaps of a dash allowed); a *table* is two
//! or more such rules, one above the other, that span about the same
//! columns. Inside a table the horizontal rules and the vertical rules
//! between them are erased; a rule on its own (a letterhead line, a
//! signature line) is left as it is, and nothing outside a table is
//! touched: erasing lines page-wide harmed thin typewriter text. Where a
//! glyph's stroke crosses a rule, the stroke is kept.

use crate::model::BBox;
use image::GrayImage;

/// Darker than this is ink.
const INK: u8 = 140;

/// A rule found: the rows (or columns) it covers and its extent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Band {
    /// First row (column) and thickness.
    at: u32,
    thick: u32,
    /// Extent along the rule.
    from: u32,
    to: u32,
}

/// Erase the rules of every table on the page; returns the tables' boxes.
pub fn erase_table_rules(img: &mut GrayImage, dpi: u32) -> Vec<BBox> {
    let (w, h) = img.dimensions();
    if w < 64 || h < 64 {
        return Vec::new();
    }
    let dpi = dpi.clamp(100, 600);
    let min_len = dpi; // an inch
    let gap = dpi / 8; // the gaps of a broken rule, dropouts included
    let max_thick = (dpi / 25).max(3); // a rule is thinner than 0.04 in
    let rows: Vec<Vec<(u32, u32)>> = (0..h).map(|y| long_runs((0..w).map(|x| img.get_pixel(x, y).0[0]), min_len, gap)).collect();
    let mut bands = bands(&rows, max_thick);
    // A rule has paper on both sides; the serifs along a line of bold
    // capitals make runs as long and thin, but with the letters' stems
    // beside them.
    bands.retain(|b| clear_beside(img, b));
    let tables = tables(&bands, dpi);
    for t in &tables {
        for b in bands.iter().filter(|b| within(b, t)) {
            erase_band(img, b, true);
        }
        // Vertical rules inside the table: shorter (a row's height), found
        // in the table's box alone.
        let min_v = (t.h / 3).max(dpi / 8).min(dpi / 3);
        let cols: Vec<Vec<(u32, u32)>> = (t.x..t.x + t.w)
            .map(|x| {
                long_runs((t.y..t.y + t.h).map(|y| img.get_pixel(x, y).0[0]), min_v, gap)
                    .into_iter()
                    .map(|(a, b)| (a + t.y, b + t.y))
                    .collect()
            })
            .collect();
        for mut b in self::bands(&cols, max_thick) {
            b.at += t.x;
            erase_band(img, &b, false);
        }
    }
    tables
}

/// Runs of ink along one line of pixels, gaps up to `gap` bridged, at least
/// `min_len` long and at least 40 % ink: `(start, end)` exclusive.
fn long_runs(line: impl Iterator<Item = u8>, min_len: u32, gap: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let (mut start, mut last, mut ink) = (None::<u32>, 0u32, 0u32);
    // Only broken rules: a solid one (more than 92 % ink) is found and
    // removed by Tesseract itself, and erasing solid boxes changed how it
    // segments boxed forms (fixtures: fields 95.9 % -> 91.5 %).
    let close = |start: Option<u32>, last: u32, ink: u32, out: &mut Vec<(u32, u32)>| {
        if let Some(s) = start {
            let len = last + 1 - s;
            if len >= min_len && ink * 100 >= len * 40 && ink * 100 < len * 92 {
                out.push((s, last + 1));
            }
        }
    };
    for (i, p) in line.enumerate() {
        let i = i as u32;
        if p >= INK {
            continue;
        }
        match start {
            Some(_) if i - last <= gap + 1 => {}
            _ => {
                close(start, last, ink, &mut out);
                start = Some(i);
                ink = 0;
            }
        }
        last = i;
        ink += 1;
    }
    close(start, last, ink, &mut out);
    out
}

/// Runs of neighbouring lines that overlap make one band; only thin bands
/// are rules (text, were its runs long, would make thick ones).
fn bands(lines: &[Vec<(u32, u32)>], max_thick: u32) -> Vec<Band> {
    let mut open: Vec<Band> = Vec::new();
    let mut done: Vec<Band> = Vec::new();
    for (y, runs) in lines.iter().enumerate() {
        let y = y as u32;
        let mut next: Vec<Band> = Vec::new();
        for &(a, b) in runs {
            if let Some(i) = open.iter().position(|o| o.at + o.thick == y && a < o.to && b > o.from) {
                let mut o = open.swap_remove(i);
                o.thick += 1;
                o.from = o.from.min(a);
                o.to = o.to.max(b);
                next.push(o);
            } else {
                next.push(Band { at: y, thick: 1, from: a, to: b });
            }
        }
        done.append(&mut open);
        open = next;
    }
    done.append(&mut open);
    done.retain(|b| b.thick <= max_thick);
    done.sort_by_key(|b| (b.at, b.from));
    done
}

/// Boxes of two or more horizontal rules one above the other, less than
/// two inches apart, spanning mostly the same columns.
fn tables(bands: &[Band], dpi: u32) -> Vec<BBox> {
    let mut out: Vec<(BBox, usize)> = Vec::new();
    for b in bands {
        let joined = out.iter_mut().find(|(t, _)| {
            let overlap = b.to.min(t.x + t.w).saturating_sub(b.from.max(t.x));
            let shorter = (b.to - b.from).min(t.w);
            b.at <= t.y + t.h + 2 * dpi && overlap * 2 >= shorter
        });
        match joined {
            Some((t, n)) => {
                let x0 = t.x.min(b.from);
                let x1 = (t.x + t.w).max(b.to);
                let y1 = (t.y + t.h).max(b.at + b.thick);
                *t = BBox { x: x0, y: t.y, w: x1 - x0, h: y1 - t.y };
                *n += 1;
            }
            None => out.push((BBox { x: b.from, y: b.at, w: b.to - b.from, h: b.thick }, 1)),
        }
    }
    out.into_iter().filter(|(_, n)| *n >= 2).map(|(t, _)| t).collect()
}

/// Whether the rows just above and below a horizontal band are mostly paper.
fn clear_beside(img: &GrayImage, b: &Band) -> bool {
    let share = |y: u32| {
        let n = (b.from..b.to).filter(|&x| img.get_pixel(x, y).0[0] < INK).count();
        n as f32 / (b.to - b.from).max(1) as f32
    };
    let above = b.at.checked_sub(2).map_or(0.0, share);
    let below = if b.at + b.thick + 1 < img.height() { share(b.at + b.thick + 1) } else { 0.0 };
    above < 0.08 && below < 0.08
}

fn within(b: &Band, t: &BBox) -> bool {
    b.at >= t.y && b.at < t.y + t.h && b.from >= t.x && b.to <= t.x + t.w
}

/// Whiten a band, keeping the pixels where a stroke crosses it (ink just
/// outside the band on both sides).
fn erase_band(img: &mut GrayImage, b: &Band, horizontal: bool) {
    let (w, h) = img.dimensions();
    let dark = |img: &GrayImage, x: u32, y: u32| x < w && y < h && img.get_pixel(x, y).0[0] < INK;
    for along in b.from..b.to {
        let (before, after) = if horizontal {
            (b.at.checked_sub(1).is_some_and(|y| dark(img, along, y)), dark(img, along, b.at + b.thick))
        } else {
            (b.at.checked_sub(1).is_some_and(|x| dark(img, x, along)), dark(img, b.at + b.thick, along))
        };
        if before && after {
            continue;
        }
        for across in b.at..(b.at + b.thick) {
            let (x, y) = if horizontal { (along, across) } else { (across, along) };
            if x < w && y < h {
                img.put_pixel(x, y, image::Luma([255]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> GrayImage {
        GrayImage::from_pixel(1200, 900, image::Luma([255]))
    }

    fn hline(img: &mut GrayImage, y: u32, x0: u32, x1: u32, dashed: bool) {
        for x in x0..x1 {
            if !dashed || x % 30 < 20 {
                for t in 0..3 {
                    img.put_pixel(x, y + t, image::Luma([0]));
                }
            }
        }
    }

    fn vline(img: &mut GrayImage, x: u32, y0: u32, y1: u32) {
        for y in y0..y1 {
            if y % 30 < 20 {
                img.put_pixel(x, y, image::Luma([0]));
                img.put_pixel(x + 1, y, image::Luma([0]));
            }
        }
    }

    /// A block of "text": short thick strokes, like glyphs.
    fn text(img: &mut GrayImage, x0: u32, y0: u32, width: u32) {
        for x in (x0..x0 + width).step_by(9) {
            for y in y0..y0 + 30 {
                for dx in 0..4 {
                    img.put_pixel(x + dx, y, image::Luma([0]));
                }
            }
        }
    }

    fn ink(img: &GrayImage, b: BBox) -> usize {
        (b.y..b.y + b.h).flat_map(|y| (b.x..b.x + b.w).map(move |x| (x, y))).filter(|&(x, y)| img.get_pixel(x, y).0[0] < INK).count()
    }

    #[test]
    fn a_dashed_table_grid_is_erased_and_its_text_kept() {
        let mut img = page();
        for y in [100, 200, 300, 400] {
            hline(&mut img, y, 100, 1100, true);
        }
        for x in [100, 500, 1098] {
            vline(&mut img, x, 100, 403);
        }
        text(&mut img, 150, 140, 300);
        let before = ink(&img, BBox { x: 150, y: 140, w: 300, h: 30 });
        let tables = erase_table_rules(&mut img, 300);
        assert_eq!(tables.len(), 1);
        assert_eq!(ink(&img, BBox { x: 0, y: 100, w: 1200, h: 4 }), 0, "rule gone");
        assert_eq!(ink(&img, BBox { x: 499, y: 210, w: 4, h: 80 }), 0, "column rule gone");
        assert_eq!(ink(&img, BBox { x: 150, y: 140, w: 300, h: 30 }), before, "cell text kept");
    }

    #[test]
    fn hyphens_in_lines_of_digits_are_not_rules() {
        // `11-24-1951` lines: the row through the hyphens is long, thin
        // and dense enough, but the digits stand beside it.
        let mut img = page();
        for y0 in [200, 260] {
            text(&mut img, 100, y0, 900);
            for x in (100..1000).filter(|x| x % 45 < 12) {
                for t in 14..17 {
                    img.put_pixel(x, y0 + t, image::Luma([0]));
                }
            }
        }
        let before = img.clone();
        erase_table_rules(&mut img, 300);
        assert_eq!(img, before);
    }

    #[test]
    fn a_solid_grid_is_left_to_tesseract() {
        let mut img = page();
        for y in [100, 200, 300] {
            hline(&mut img, y, 100, 1100, false);
        }
        let before = img.clone();
        assert!(erase_table_rules(&mut img, 300).is_empty());
        assert_eq!(img, before);
    }

    #[test]
    fn the_serifs_of_a_bold_title_are_not_rules() {
        // Capitals whose top and bottom serifs touch: two long, thin, dense
        // runs, one above the other, with the stems between them.
        let mut img = page();
        for x in 100..1100 {
            for t in 0..4 {
                img.put_pixel(x, 200 + t, image::Luma([0]));
                img.put_pixel(x, 240 + t, image::Luma([0]));
            }
            if x % 12 < 5 {
                for y in 204..240 {
                    img.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
        let before = img.clone();
        assert!(erase_table_rules(&mut img, 300).is_empty());
        assert_eq!(img, before);
    }

    #[test]
    fn a_lone_rule_and_text_outside_tables_are_left_alone() {
        let mut img = page();
        hline(&mut img, 100, 100, 1100, false); // a letterhead line
        text(&mut img, 100, 300, 900); // a long line of text
        let before = img.clone();
        assert!(erase_table_rules(&mut img, 300).is_empty());
        assert_eq!(img, before);
    }
}

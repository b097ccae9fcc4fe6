//! Check boxes and option groups (`Sex ☐ M ☒ F`, `Yes / No`, an insurance
//! type): a `choice` field's options are found by their labels on the page;
//! the box beside each one is cut out of the page image (while Tesseract
//! still holds it, as for second reads) and the marked one is told by its
//! ink. Pure: boxes in, a value out.
//!
//! A box is looked for left of its option's label (`☒ F`) and right of it
//! (`F [X]`); what counts is the ink in the middle of the box, where a tick,
//! a cross or a fill falls and an empty box's border does not. One option
//! clearly darker than the others is the value; none marked, or two in a
//! single-choice group, is an invalid value for a person to look at.

use crate::model::{BBox, FieldValue, PageRef, Provenance, Value};
use crate::pipeline::ValueType;
use image::GrayImage;

/// One option of a group as found on the page.
#[derive(Clone, Debug)]
pub struct MarkOption {
    pub value: String,
    /// The option's label on the page.
    pub label: BBox,
    /// Where its box may stand: left of the label, then right of it.
    pub boxes: [BBox; 2],
}

/// A `choice` field found on a page, waiting for its boxes to be looked at.
#[derive(Clone, Debug)]
pub struct MarkGroup {
    /// The field's path (may hold `[]`).
    pub path: String,
    pub multiple: bool,
    pub options: Vec<MarkOption>,
    /// The field's label and its options: the value's box.
    pub bbox: BBox,
    pub at: PageRef,
}

impl MarkGroup {
    /// The regions to cut out of the page, two per option.
    pub fn regions(&self) -> Vec<BBox> {
        self.options.iter().flat_map(|o| o.boxes).collect()
    }
}

/// The two places a box may stand beside an option label: left of it and
/// right of it, each 2.5 label heights wide and 1.6 high.
pub fn box_areas(label: BBox) -> [BBox; 2] {
    let h = label.h as f32;
    let (w, tall, gap) = ((2.5 * h).round() as u32, (1.6 * h).round() as u32, (0.1 * h).round() as u32);
    let y = (label.y as f32 + h / 2.0 - tall as f32 / 2.0).max(0.0) as u32;
    let left = BBox { x: label.x.saturating_sub(gap + w), y, w: w.min(label.x.saturating_sub(gap)), h: tall };
    let right = BBox { x: label.right() + gap, y, w, h: tall };
    [left, right]
}

/// The ink in the middle of the box found in a search area: the run of
/// inked columns nearest the option's label (`label_on_right`: the area is
/// left of the label), bounded by its inked rows, if it is about square;
/// then the share of dark pixels in the middle half of it, where marks
/// fall and an empty box's border does not. 0 when no box stands there.
pub fn box_ink(area: &GrayImage, label_on_right: bool) -> f32 {
    let (w, h) = area.dimensions();
    if w < 6 || h < 6 {
        return 0.0;
    }
    let dark = |x: u32, y: u32| area.get_pixel(x, y).0[0] < 128;
    let inked: Vec<bool> = (0..w).map(|x| (0..h).any(|y| dark(x, y))).collect();
    // Runs of inked columns, a one-column gap bridged.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for x in 0..w {
        if !inked[x as usize] {
            continue;
        }
        match runs.last_mut() {
            Some((_, e)) if x <= *e + 2 => *e = x,
            _ => runs.push((x, x)),
        }
    }
    let Some(&(x0, x1)) = (if label_on_right { runs.last() } else { runs.first() }) else { return 0.0 };
    let rows: Vec<u32> = (0..h).filter(|&y| (x0..=x1).any(|x| dark(x, y))).collect();
    let (Some(&y0), Some(&y1)) = (rows.first(), rows.last()) else { return 0.0 };
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    if bw < 6 || bh < 6 || bw > 2 * bh || bh > 2 * bw {
        return 0.0; // a letter, a rule or a word: not a box
    }
    let (ix0, ix1, iy0, iy1) = (x0 + bw / 4, x1 + 1 - bw / 4, y0 + bh / 4, y1 + 1 - bh / 4);
    let mut n = 0u32;
    let mut all = 0u32;
    for y in iy0..iy1 {
        for x in ix0..ix1 {
            all += 1;
            n += u32::from(dark(x, y));
        }
    }
    n as f32 / all.max(1) as f32
}

/// Ink under which a box is empty.
const MARKED_MIN_INK: f32 = 0.08;
/// How much darker the marked box is than the next one, for a sure reading.
const CLEAR_RATIO: f32 = 2.5;

/// The error of a single-choice group with no box marked.
pub const NONE_MARKED: &str = "no box of the option group is marked";
/// The error of a single-choice group with two boxes marked.
pub const TWO_MARKED: &str = "more than one box of a single-choice group is marked";

/// Decide a group from its crops (two per option, in [`MarkGroup::regions`] order).
pub fn decide(group: &MarkGroup, crops: &[GrayImage]) -> FieldValue {
    // Each option's score: the darker of its two possible boxes.
    let scores: Vec<f32> = group
        .options
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let left = crops.get(2 * i).map_or(0.0, |c| box_ink(c, true));
            let right = crops.get(2 * i + 1).map_or(0.0, |c| box_ink(c, false));
            left.max(right)
        })
        .collect();
    let top = scores.iter().copied().fold(0.0, f32::max);
    let marked: Vec<usize> = if group.multiple {
        (0..scores.len()).filter(|&i| scores[i] >= MARKED_MIN_INK && scores[i] * 2.0 >= top).collect()
    } else {
        (0..scores.len()).filter(|&i| scores[i] >= MARKED_MIN_INK && scores[i] * CLEAR_RATIO > top).collect()
    };
    // How clearly the marked boxes stand apart from the empty ones.
    let unmarked_top = (0..scores.len()).filter(|i| !marked.contains(i)).map(|i| scores[i]).fold(0.0, f32::max);
    let low = marked.iter().map(|&i| scores[i]).fold(f32::MAX, f32::min);
    let conf = if marked.is_empty() {
        0.0
    } else if unmarked_top <= f32::EPSILON || low >= CLEAR_RATIO * unmarked_top {
        96.0
    } else {
        (50.0 + 45.0 * (1.0 - unmarked_top / low)).clamp(0.0, 95.0)
    };
    let raw: Vec<&str> = marked.iter().map(|&i| group.options[i].value.as_str()).collect();
    let (value, error) = match marked.len() {
        0 => (None, Some(NONE_MARKED.to_string())),
        1 => (Some(Value::Text(raw[0].to_string())), None),
        _ if group.multiple => (Some(Value::Text(raw.join("; "))), None),
        _ => (None, Some(TWO_MARKED.to_string())),
    };
    FieldValue {
        path: group.path.clone(),
        field: group.path.clone(),
        value,
        kind: ValueType::Choice,
        raw: raw.join("; "),
        error,
        prov: Provenance {
            page: group.at.page,
            file: group.at.file.clone(),
            file_page: group.at.file_page,
            bbox: group.bbox,
            conf,
            reads: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box of side 40 with a 3-pixel border, crossed or not.
    fn check_box(marked: bool) -> GrayImage {
        let mut img = GrayImage::from_pixel(40, 40, image::Luma([255]));
        for y in 0..40 {
            for x in 0..40 {
                let border = !(3..37).contains(&x) || !(3..37).contains(&y);
                let cross = marked && ((x as i32 - y as i32).abs() <= 2 || (x as i32 + y as i32 - 39).abs() <= 2);
                if border || cross {
                    img.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
        img
    }

    fn blank() -> GrayImage {
        GrayImage::from_pixel(40, 40, image::Luma([255]))
    }

    fn group(values: &[&str], multiple: bool) -> MarkGroup {
        let options = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let label = BBox { x: 200 + 150 * i as u32, y: 100, w: 30, h: 30 };
                MarkOption { value: v.to_string(), label, boxes: box_areas(label) }
            })
            .collect();
        MarkGroup {
            path: "patient.sex".into(),
            multiple,
            options,
            bbox: BBox::default(),
            at: PageRef { page: 1, file: "a.tif".into(), file_page: 0 },
        }
    }

    #[test]
    fn the_marked_box_is_the_value() {
        let g = group(&["M", "F"], false);
        // Box left of each option; nothing right of them.
        let v = decide(&g, &[check_box(false), blank(), check_box(true), blank()]);
        assert_eq!(v.value, Some(Value::Text("F".into())));
        assert!(v.error.is_none());
        assert!(v.prov.conf >= 90.0, "{}", v.prov.conf);
        // Boxes right of their labels read the same.
        let v = decide(&g, &[blank(), check_box(true), blank(), check_box(false)]);
        assert_eq!(v.value, Some(Value::Text("M".into())));
    }

    #[test]
    fn none_or_two_marked_is_invalid_for_a_single_choice() {
        let g = group(&["M", "F"], false);
        let v = decide(&g, &[check_box(false), blank(), check_box(false), blank()]);
        assert_eq!((v.value.clone(), v.error.as_deref()), (None, Some(NONE_MARKED)));
        let v = decide(&g, &[check_box(true), blank(), check_box(true), blank()]);
        assert_eq!((v.value.clone(), v.error.as_deref()), (None, Some(TWO_MARKED)));
    }

    #[test]
    fn several_may_be_marked_in_a_multiple_choice() {
        let g = group(&["Latex", "Iodine", "Penicillin"], true);
        let crops = [check_box(true), blank(), check_box(false), blank(), check_box(true), blank()];
        let v = decide(&g, &crops);
        assert_eq!(v.value, Some(Value::Text("Latex; Penicillin".into())));
    }

    #[test]
    fn box_areas_stand_beside_the_label() {
        let [l, r] = box_areas(BBox { x: 300, y: 100, w: 30, h: 30 });
        assert!(l.right() <= 300 && l.w == 75 && l.h == 48);
        assert!(r.x >= 330);
    }

    #[test]
    fn the_box_is_found_in_its_area_wherever_it_stands() {
        // An area wider than the box, the box off-centre, a stray letter far from the label.
        for (marked, want) in [(false, 0.0), (true, 0.1)] {
            let mut area = GrayImage::from_pixel(90, 50, image::Luma([255]));
            image::imageops::overlay(&mut area, &check_box(marked), 44, 5);
            for y in 20..30 {
                area.put_pixel(3, y, image::Luma([0]));
            }
            let ink = box_ink(&area, true);
            assert!(if marked { ink > want } else { ink == want }, "marked {marked}: {ink}");
        }
        // Nothing box-shaped: no ink counted.
        let mut word = GrayImage::from_pixel(90, 50, image::Luma([255]));
        for x in 10..80 {
            for y in 20..26 {
                word.put_pixel(x, y, image::Luma([0]));
            }
        }
        assert_eq!(box_ink(&word, true), 0.0);
    }
}

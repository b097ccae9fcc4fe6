//! Cropped images of flagged fields, for the reviewer: the field's box with
//! a margin, never the whole page (minimum necessary).
//!
//! A stored box is in the coordinates of the page as OCR saw it: decoded,
//! prepared (turned upright, deskewed) by [`crate::image::prepare`] and then
//! turned by the extra quarter turns OCR tried (`run::read_page`).
//! `pages.rotation` holds the sum, so the page is decoded and prepared again
//! the same way and the difference is turned. The source file must still
//! have the content hash recorded when it was read; otherwise the crop is
//! skipped rather than showing the wrong place.
//!
//! Crops carry patient data: they are written under the given folder, one
//! folder per chart (mode 0700), files mode 0600.
//!
//! The same page, upright, with every value's box drawn on it
//! ([`page_with_boxes`]) and the zoom on one field ([`field_zoom`]) are
//! what `review page` writes and what the web station shows.

use super::draft::correctable_field;
use crate::model::{BBox, FieldValue, PageInfo};
use crate::store::{create_private, ReviewState};
use image::GrayImage;
use std::collections::HashMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The margin around a box: a sixth of an inch, at least the box's height.
fn margin(bbox: &BBox, dpi: u32) -> u32 {
    (dpi / 6).max(bbox.h).max(8)
}

/// One flagged field's crop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crop {
    pub flag_id: i64,
    pub field: String,
    pub page: Option<u32>,
    pub outcome: CropOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CropOutcome {
    Written(PathBuf),
    /// Why there is no crop (no box, source changed, page unreadable).
    Skipped(String),
}

/// A file or folder name from a chart id or a field path.
fn file_name_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect()
}

/// Where each open flag with a field points: its page and the union of the
/// boxes of the field's values on it (the flag's page first).
/// A flagged field's page and box, or why it has none.
type Region = Result<(u32, BBox), String>;

fn regions(state: &ReviewState) -> Vec<(i64, String, Region)> {
    let values: Vec<FieldValue> = state.values.iter().map(|v| v.value.clone()).collect();
    state
        .open_flags()
        .filter_map(|f| Some((f, f.flag.field.as_ref()?)))
        .map(|(f, field)| (f.id, field.clone(), region_of(state, &values, field, f.flag.page)))
        .collect()
}

/// Where a field is: the union of the boxes of its values on one page,
/// `page` when the field has a box there, else the first page it has one.
fn region_of(state: &ReviewState, values: &[FieldValue], field: &str, page: Option<u32>) -> Region {
    let holder = correctable_field(values, field);
    let boxes: Vec<(u32, BBox)> = state
        .values
        .iter()
        .filter(|v| v.value.field == holder && v.value.prov.bbox.w > 0 && v.value.prov.bbox.h > 0)
        .map(|v| (v.value.prov.page, v.value.prov.bbox))
        .collect();
    let page = page
        .filter(|p| boxes.iter().any(|(bp, _)| bp == p))
        .or_else(|| boxes.first().map(|(p, _)| *p))
        .ok_or_else(|| "no box: the value was not read on a page".to_string())?;
    Ok((page, boxes.iter().filter(|(bp, _)| *bp == page).fold(BBox::default(), |acc, (_, b)| acc.union(b))))
}

/// The source file of a page, checked to be the one the batch read (same
/// content hash): a changed file would show, or be read as, the wrong page.
pub fn check_source(state: &ReviewState, archive: &Path, file: &str) -> Result<PathBuf, String> {
    let path = archive.join(file);
    let stored = state.sources.iter().find(|s| s.file == file).map(|s| s.hash.as_str());
    let now = crate::run::hash_file(&path, file);
    if now.hash.starts_with("unreadable:") {
        return Err(format!("source file {} cannot be read ({})", path.display(), &now.hash["unreadable:".len()..]));
    }
    if stored != Some(now.hash.as_str()) {
        return Err(format!("source file {} changed since it was read", path.display()));
    }
    Ok(path)
}

/// The page as OCR saw it: decoded, prepared, turned by the extra rotation.
fn upright_page(state: &ReviewState, archive: &Path, info: &PageInfo) -> Result<(GrayImage, u32), String> {
    let path = check_source(state, archive, &info.at.file)?;
    let mut pages = crate::image::pages(&path).map_err(|e| format!("{}: {e}", info.at.file))?;
    let page = pages
        .nth(info.at.file_page as usize)
        .ok_or_else(|| format!("{} has no page {}", info.at.file, info.at.file_page + 1))?
        .map_err(|e| format!("{} page {}: {e}", info.at.file, info.at.file_page + 1))?;
    let prepared = crate::image::prepare(page.image, page.dpi);
    let extra = (info.rotation % 360 + 360 - prepared.rotation % 360) % 360;
    Ok((crate::image::prepare::turn_quarter(prepared.image, extra), prepared.dpi))
}

/// How a value's box is drawn on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoxKind {
    /// The field the reviewer is on.
    Selected,
    /// A field with an open flag.
    Flagged,
    /// Typed or confirmed by a person.
    Verified,
    Read,
}

impl BoxKind {
    fn colour(self) -> image::Rgb<u8> {
        match self {
            BoxKind::Selected => image::Rgb([255, 140, 0]),
            BoxKind::Flagged => image::Rgb([215, 25, 28]),
            BoxKind::Verified => image::Rgb([26, 150, 65]),
            BoxKind::Read => image::Rgb([43, 131, 186]),
        }
    }

    fn stroke(self) -> u32 {
        match self {
            BoxKind::Selected => 4,
            BoxKind::Flagged => 3,
            BoxKind::Verified | BoxKind::Read => 2,
        }
    }
}

/// Every value's box on one page of the chart, by kind (flagged fields and
/// the selected one last, so that they are drawn on top).
pub fn boxes_on_page(state: &ReviewState, page: u32, selected: Option<&str>) -> Vec<(BBox, BoxKind)> {
    let values: Vec<FieldValue> = state.values.iter().map(|v| v.value.clone()).collect();
    let flagged: std::collections::HashSet<String> = state
        .open_flags()
        .filter_map(|f| f.flag.field.as_deref())
        .map(|f| correctable_field(&values, f))
        .collect();
    let selected = selected.map(|f| correctable_field(&values, f));
    let mut out: Vec<(BBox, BoxKind)> = state
        .values
        .iter()
        .filter(|v| v.value.prov.page == page && v.value.prov.bbox.w > 0 && v.value.prov.bbox.h > 0)
        .map(|v| {
            let kind = if selected.as_deref() == Some(v.value.field.as_str()) {
                BoxKind::Selected
            } else if flagged.contains(&v.value.field) {
                BoxKind::Flagged
            } else if v.verified.is_some() {
                BoxKind::Verified
            } else {
                BoxKind::Read
            };
            (v.value.prov.bbox, kind)
        })
        .collect();
    out.sort_by_key(|(_, k)| std::cmp::Reverse(*k as u8));
    out
}

/// The chart's page `page` (1-based) as OCR saw it (upright), with its
/// resolution; from the source file, which must be unchanged.
pub fn upright(state: &ReviewState, archive: &Path, page: u32) -> Result<(GrayImage, u32), String> {
    let info = state.pages.iter().find(|p| p.at.page == page).ok_or_else(|| format!("chart {} has no page {page}", state.chart_id))?;
    upright_page(state, archive, info)
}

/// The upright page scaled to at most `max_width` pixels wide, with every
/// value's box on it drawn.
pub fn draw_boxes(gray: &GrayImage, state: &ReviewState, page: u32, selected: Option<&str>, max_width: u32) -> image::RgbImage {
    let scale = if gray.width() > max_width { max_width as f32 / gray.width() as f32 } else { 1.0 };
    let scaled = if scale < 1.0 {
        let h = ((gray.height() as f32 * scale).round() as u32).max(1);
        image::imageops::resize(gray, max_width, h, image::imageops::FilterType::Triangle)
    } else {
        gray.clone()
    };
    let mut rgb = image::DynamicImage::ImageLuma8(scaled).to_rgb8();
    for (b, kind) in boxes_on_page(state, page, selected) {
        let x = (b.x as f32 * scale) as i32;
        let y = (b.y as f32 * scale) as i32;
        let w = ((b.w as f32 * scale) as u32).max(2);
        let h = ((b.h as f32 * scale) as u32).max(2);
        for i in 0..kind.stroke() {
            let grow = i + 2;
            let rect = imageproc::rect::Rect::at(x - grow as i32, y - grow as i32).of_size(w + 2 * grow, h + 2 * grow);
            imageproc::drawing::draw_hollow_rect_mut(&mut rgb, rect, kind.colour());
        }
    }
    rgb
}

/// Where a field is: its page and the union of its boxes there (the page
/// of its open flag first).
pub fn field_region(state: &ReviewState, field: &str) -> Result<(u32, BBox), String> {
    let values: Vec<FieldValue> = state.values.iter().map(|v| v.value.clone()).collect();
    let flag_page = state.open_flags().find(|f| f.flag.field.as_deref() == Some(field)).and_then(|f| f.flag.page);
    region_of(state, &values, field, flag_page).map_err(|e| format!("{field}: {e}"))
}

/// The zoom on a box of an upright page: the box and its margin.
pub fn zoom(gray: &GrayImage, dpi: u32, bbox: &BBox) -> Option<GrayImage> {
    let c = crop_box(bbox, dpi, gray.width(), gray.height())?;
    Some(image::imageops::crop_imm(gray, c.x, c.y, c.w, c.h).to_image())
}

/// Encode an image as PNG.
pub fn png<P: image::PixelWithColorType, C: std::ops::Deref<Target = [P::Subpixel]>>(img: &image::ImageBuffer<P, C>) -> Vec<u8>
where
    [P::Subpixel]: image::EncodableLayout,
{
    let mut out = Vec::new();
    let _ = img.write_with_encoder(image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    ));
    out
}

/// The box with its margin, clamped to the page; `None` when it lies outside.
pub fn crop_box(bbox: &BBox, dpi: u32, width: u32, height: u32) -> Option<BBox> {
    let m = margin(bbox, dpi);
    let x0 = bbox.x.saturating_sub(m);
    let y0 = bbox.y.saturating_sub(m);
    let x1 = bbox.right().saturating_add(m).min(width);
    let y1 = bbox.bottom().saturating_add(m).min(height);
    (x0 < x1 && y0 < y1).then(|| BBox { x: x0, y: y0, w: x1 - x0, h: y1 - y0 })
}

/// Write a crop of every open flagged field of the chart under
/// `dir/<chart id>/flag-<id>-<field>.png`. The source files are found under
/// `archive`. A crop that cannot be made is reported, not an error.
pub fn write_crops(state: &ReviewState, archive: &Path, dir: &Path) -> std::io::Result<Vec<Crop>> {
    let regions = regions(state);
    let chart_dir = dir.join(file_name_part(&state.chart_id));
    if regions.iter().any(|(_, _, r)| r.is_ok()) {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&chart_dir)?;
    }
    let mut pages: HashMap<u32, Result<(GrayImage, u32), String>> = HashMap::new();
    let mut out = Vec::new();
    for (flag_id, field, region) in regions {
        let (page, bbox) = match region {
            Ok(r) => r,
            Err(why) => {
                out.push(Crop { flag_id, field, page: None, outcome: CropOutcome::Skipped(why) });
                continue;
            }
        };
        let loaded = pages.entry(page).or_insert_with(|| {
            let info = state.pages.iter().find(|p| p.at.page == page).ok_or_else(|| format!("no page {page}"))?;
            upright_page(state, archive, info)
        });
        let outcome = match loaded {
            Err(why) => CropOutcome::Skipped(why.clone()),
            Ok((image, dpi)) => match crop_box(&bbox, *dpi, image.width(), image.height()) {
                None => CropOutcome::Skipped("the box lies outside the page".into()),
                Some(c) => {
                    let crop = image::imageops::crop_imm(image, c.x, c.y, c.w, c.h).to_image();
                    let path = chart_dir.join(format!("flag-{flag_id}-{}.png", file_name_part(&field)));
                    let file = create_private(&path)?;
                    let mut w = std::io::BufWriter::new(file);
                    image::DynamicImage::ImageLuma8(crop)
                        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut w))
                        .map_err(std::io::Error::other)?;
                    std::io::Write::flush(&mut w)?;
                    CropOutcome::Written(path)
                }
            },
        };
        out.push(Crop { flag_id, field, page: Some(page), outcome });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_box_adds_a_margin_and_stays_on_the_page() {
        let b = BBox { x: 100, y: 200, w: 300, h: 40 };
        assert_eq!(crop_box(&b, 300, 2550, 3300), Some(BBox { x: 50, y: 150, w: 400, h: 140 }));
        let edge = BBox { x: 10, y: 3280, w: 100, h: 20 };
        assert_eq!(crop_box(&edge, 300, 2550, 3300), Some(BBox { x: 0, y: 3230, w: 160, h: 70 }));
        assert_eq!(crop_box(&BBox { x: 5000, y: 0, w: 10, h: 10 }, 300, 2550, 3300), None);
    }

    #[test]
    fn names_are_safe() {
        assert_eq!(file_name_part("box-01/thompson margaret"), "box-01_thompson_margaret");
        assert_eq!(file_name_part("encounters[0].npi"), "encounters_0_.npi");
    }
}

//! The size of a page's print, measured on the page: a scan that carries no
//! resolution, or a wrong one (fax-quality forms at about 90 dpi tagged as
//! nothing at all), is read at the scale its letters have, not the one its
//! file claims.
//!
//! The height of a letter is that of its ink: the connected dark shapes of
//! a page of text are mostly letters, and their median height is the
//! page's letter height. Tesseract reads letters best at 20–30 pixels (its
//! models are trained near 300 dpi, where 10-point print is 20 to 30 pixels
//! high); a page whose letters are much smaller is scaled up before OCR.

use image::GrayImage;
use imageproc::region_labelling::{connected_components, Connectivity};

/// Letters shorter than this (median, in pixels) are scaled up. Measured on
/// the FUNSD development scans (`bench/funsd.sh`): fields right 14.1 % with
/// 10 px, 16.7 % with 12 px. Print of 11 points at 150 dpi is scaled too.
pub const MIN_LETTER_PX: f32 = 12.0;
/// The letter height a small-print page is scaled to.
pub const TARGET_LETTER_PX: f32 = 22.0;
/// The largest factor a page is scaled up by.
pub const MAX_FACTOR: f32 = 4.0;
/// Pages are measured only up to this many pixels (a 300-dpi letter page
/// has 8.4 million; a page of small print this large reads fine as it is).
const MAX_MEASURED_PX: u64 = 4_000_000;
/// Nor is a page scaled beyond this many pixels.
const MAX_SCALED_PX: u64 = 12_000_000;
/// Fewer letter-like shapes than this: no measure (a nearly empty page).
const MIN_SHAPES: usize = 40;

/// The median height of the letter-like shapes of a page, in pixels, with
/// `threshold` the grey level under which a pixel is ink. `None` for a page
/// too large to need it or with too few shapes to tell.
pub fn letter_height(page: &GrayImage, threshold: u8) -> Option<f32> {
    let (w, h) = page.dimensions();
    if u64::from(w) * u64::from(h) > MAX_MEASURED_PX || w < 16 || h < 16 {
        return None;
    }
    let mask = GrayImage::from_fn(w, h, |x, y| image::Luma([if page.get_pixel(x, y).0[0] < threshold { 255 } else { 0 }]));
    let labels = connected_components(&mask, Connectivity::Eight, image::Luma([0u8]));
    // Per label: min y, max y, min x, max x.
    let mut boxes: Vec<[u32; 4]> = Vec::new();
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l.0[0] as usize;
        if l == 0 {
            continue;
        }
        if boxes.len() < l {
            boxes.resize(l, [u32::MAX, 0, u32::MAX, 0]);
        }
        let b = &mut boxes[l - 1];
        b[0] = b[0].min(y);
        b[1] = b[1].max(y);
        b[2] = b[2].min(x);
        b[3] = b[3].max(x);
    }
    // Letters: taller than a speck, not rules, not blocks or pictures.
    let max_h = (h / 10).max(8);
    let mut heights: Vec<u32> = boxes
        .iter()
        .filter(|b| b[0] != u32::MAX)
        .map(|b| (b[1] - b[0] + 1, b[3] - b[2] + 1))
        .filter(|&(bh, bw)| bh >= 3 && bh <= max_h && bw <= 3 * bh && bw >= 1)
        .map(|(bh, _)| bh)
        .collect();
    if heights.len() < MIN_SHAPES {
        return None;
    }
    heights.sort_unstable();
    Some(heights[heights.len() / 2] as f32)
}

/// How much to scale a page whose letters are `letter_px` high (1 when not
/// at all), so that they reach [`TARGET_LETTER_PX`] within the limits.
pub fn scale_factor(letter_px: f32, width: u32, height: u32) -> f32 {
    if letter_px >= MIN_LETTER_PX || letter_px <= 0.0 {
        return 1.0;
    }
    let by_pixels = (MAX_SCALED_PX as f32 / (width as f32 * height as f32)).sqrt();
    (TARGET_LETTER_PX / letter_px).min(MAX_FACTOR).min(by_pixels).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of `n` dark "letters" of the given height on white.
    fn page_of_letters(w: u32, h: u32, letter: u32, n: u32) -> GrayImage {
        let mut img = GrayImage::from_pixel(w, h, image::Luma([255]));
        let per_row = (w / (letter + 4)).max(1);
        for i in 0..n {
            let x0 = 4 + (i % per_row) * (letter + 4);
            let y0 = 4 + (i / per_row) * (letter * 2);
            for y in y0..(y0 + letter).min(h) {
                for x in x0..(x0 + letter * 2 / 3).min(w) {
                    img.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
        img
    }

    #[test]
    fn small_print_is_measured_and_scaled_up() {
        let img = page_of_letters(760, 1000, 7, 400);
        let px = letter_height(&img, 128).unwrap();
        assert_eq!(px, 7.0);
        let f = scale_factor(px, 760, 1000);
        assert!((f - 22.0 / 7.0).abs() < 0.01, "{f}");
    }

    #[test]
    fn ordinary_print_and_empty_pages_are_left_alone() {
        let img = page_of_letters(1700, 2200, 20, 400);
        assert_eq!(scale_factor(letter_height(&img, 128).unwrap(), 1700, 2200), 1.0);
        let blank = GrayImage::from_pixel(760, 1000, image::Luma([255]));
        assert_eq!(letter_height(&blank, 128), None);
        // The factor never makes a page larger than the pixel limit.
        assert!(scale_factor(3.0, 2000, 2000) <= (12_000_000f32 / 4_000_000.0).sqrt() + 1e-3);
    }
}

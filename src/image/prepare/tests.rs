//! Preparation tests on rendered pages with known damage.

use super::*;
use crate::image::testpage::{self, any_font};

const DPI: u32 = 150;

/// A rendered chart page, 8.5 × 7 in to keep debug-build tests quick (the
/// full letter size is measured by `examples/prepare_measure.rs`).
fn page(seed: u64) -> Option<GrayImage> {
    let font = any_font()?;
    Some(testpage::render_on(&testpage::page_lines(seed), DPI, &font, 8.5, 7.0))
}

/// Rotates clockwise by `deg` (the damage a crooked scan does).
fn skewed(img: &GrayImage, deg: f32) -> GrayImage {
    rotate_bilinear(img, deg)
}

#[test]
fn skew_is_estimated_within_a_third_of_a_degree() {
    let Some(p) = page(1) else { return };
    for truth in [-4.5f32, -1.2, 0.0, 0.7, 4.0] {
        let est = estimate_skew(&skewed(&p, truth), DPI);
        assert!((est - truth).abs() < 0.3, "truth {truth}, estimated {est}");
    }
}

#[test]
fn bitonal_skewed_page() {
    let Some(p) = page(2) else { return };
    let img = testpage::bitonal(&skewed(&p, -2.5));
    let est = estimate_skew(&img, DPI);
    assert!((est + 2.5).abs() < 0.3, "estimated {est}");
}

#[test]
fn sideways_and_upside_down_pages_are_turned_upright() {
    let Some(p) = page(3) else { return };
    assert_eq!(detect_rotation(&p, DPI), 0);
    // Damage: the page was scanned turned clockwise by `turn`; the cure is
    // the turn that completes the full circle.
    for turn in [90, 180, 270] {
        let damaged = rotate_quarter(&p, turn);
        assert_eq!(detect_rotation(&damaged, DPI), (360 - turn) % 360, "page turned by {turn}");
    }
    // Turned and skewed.
    let damaged = rotate_quarter(&skewed(&p, 3.0), 90);
    let prepared = prepare(damaged.clone(), DPI);
    assert_eq!(prepared.rotation, 270);
    assert!((prepared.skew_deg - 3.0).abs() < 0.3, "skew {}", prepared.skew_deg);
    // Upright again, at the page's shape (small print may have been scaled up).
    let (w, h) = prepared.image.dimensions();
    let f = w as f32 / p.width() as f32;
    assert!(f >= 1.0 && (h as f32 / p.height() as f32 - f).abs() < 0.01, "{:?} from {:?}", (w, h), p.dimensions());
}

#[test]
fn prepare_restores_a_skewed_page() {
    let Some(p) = page(4) else { return };
    let out = prepare(skewed(&p, -3.0), DPI);
    assert_eq!(out.rotation, 0);
    assert!((out.skew_deg + 3.0).abs() < 0.3);
    assert!(!out.blank);
    // The result is level again.
    assert!(estimate_skew(&out.image, DPI).abs() < 0.3);
}

#[test]
fn small_skew_is_left_alone() {
    let Some(p) = page(5) else { return };
    let out = prepare(p.clone(), DPI);
    assert!(out.skew_deg.abs() < MIN_SKEW_CORRECTION_DEG);
    assert_eq!(out.image, p, "an upright, level, clean page is unchanged");
    assert!(!out.contrast_stretched);
    assert_eq!(out.specks_removed, 0);
}

#[test]
fn blank_pages_and_noise() {
    let (w, h) = ((8.5 * DPI as f32) as u32, (5.0 * DPI as f32) as u32);
    let white = white_page(w, h);
    let out = prepare(white.clone(), DPI);
    assert!(out.blank);
    assert_eq!(out.ink_fraction, 0.0);
    // Grainy gray paper with a few specks is still blank.
    let paper = testpage::grain(&testpage::fade(&white, 0, 225), 6.0, 1);
    let paper = testpage::salt_pepper(&paper, 0.0005, 2);
    let out = prepare(paper.clone(), DPI);
    assert!(out.blank, "ink {}", out.ink_fraction);
    // Pure noise is not blank: ink everywhere.
    let noise = testpage::pure_noise(w, h, 3);
    let out = prepare(noise.clone(), DPI);
    assert!(!out.blank);
    assert!(out.ink_fraction > 0.2, "ink {}", out.ink_fraction);
    // A text page is not blank; nor is one short line.
    let Some(font) = any_font() else { return };
    let text = testpage::render_on(&testpage::page_lines(6), DPI, &font, 8.5, 7.0);
    let out = prepare(text.clone(), DPI);
    assert!(!out.blank);
    assert!(out.ink_fraction > 0.005, "ink {}", out.ink_fraction);
    let one = testpage::render_on(&["Seen today, no changes.".to_string()], DPI, &font, 8.5, 5.0);
    let out = prepare(one.clone(), DPI);
    assert!(!out.blank, "ink {}", out.ink_fraction);
    // A faint line is ink too.
    let out = prepare(testpage::fade(&one, 190, 235), DPI);
    assert!(!out.blank, "ink {}", out.ink_fraction);
}

#[test]
fn faint_print_on_grain_is_cleaned_and_other_pages_are_not() {
    let Some(p) = page(7) else { return };
    // Faint print on grainy paper: smoothed and stretched, ink dark, paper white.
    let faint_grainy = testpage::grain(&testpage::fade(&p, 150, 215), 20.0, 1);
    let out = prepare(faint_grainy.clone(), DPI);
    assert!(out.contrast_stretched);
    let dark = out.image.iter().filter(|&&v| v < 60).count();
    let ink = p.iter().filter(|&&v| v < 60).count();
    assert!(dark > ink / 3, "dark {dark} of {ink}");
    assert!(out.image.iter().filter(|&&v| v == 255).count() > out.image.len() * 3 / 4);
    // Faint print on clean paper, dark print on grain, bitonal: left alone
    // (Tesseract reads them as they are).
    for img in [testpage::fade(&p, 170, 235), testpage::grain(&p, 25.0, 2), testpage::bitonal(&p)] {
        let out = prepare(img.clone(), DPI);
        assert!(!out.contrast_stretched);
        assert!(out.image == img, "changed: rotation {} skew {} specks {}", out.rotation, out.skew_deg, out.specks_removed);
    }
    // The mapping itself: ink to black, paper to white.
    let faint = testpage::fade(&p, 170, 235);
    let stretched = stretch_contrast(&faint, &measure_levels(&faint)).unwrap();
    assert!(stretched.iter().filter(|&&v| v < 30).count() > 0);
    assert!(stretch_contrast(&testpage::bitonal(&p), &measure_levels(&testpage::bitonal(&p))).is_none());
}

#[test]
fn specks_are_removed_only_from_noisy_pages() {
    let Some(p) = page(8) else { return };
    let levels = measure_levels(&p);
    let mut clean = p.clone();
    assert_eq!(despeckle(&mut clean, DPI, &levels), 0);
    assert_eq!(clean, p);
    let mut noisy = testpage::salt_pepper(&p, 0.002, 9);
    let noisy_levels = measure_levels(&noisy);
    let removed = despeckle(&mut noisy, DPI, &noisy_levels);
    assert!(removed > 100, "removed {removed}");
}

#[test]
fn shear_rotation_matches_bilinear() {
    let Some(p) = page(9) else { return };
    for deg in [-4.0f32, 0.5, 3.0] {
        let (a, b) = (rotate_shear(&p, deg), rotate_bilinear(&p, deg));
        // Compare away from the corners, which the two clip differently.
        let (w, h) = p.dimensions();
        let mut diff = 0u64;
        let mut n = 0u64;
        for y in h / 5..4 * h / 5 {
            for x in w / 5..4 * w / 5 {
                diff += u64::from(a.get_pixel(x, y).0[0].abs_diff(b.get_pixel(x, y).0[0]));
                n += 1;
            }
        }
        assert!(diff as f64 / (n as f64) < 3.0, "{deg}°: mean difference {}", diff as f64 / n as f64);
        assert!((estimate_skew(&a, DPI) - deg).abs() < 0.3);
    }
}

#[test]
fn bitmap_leveling_straightens_a_skewed_rule() {
    // A 1-pixel rule at 3° clockwise across a 400×100 bitmap.
    let (w, h) = (400usize, 100usize);
    let mut ink = vec![0u8; w * h];
    let t = 3f32.to_radians().tan();
    for x in 0..w {
        let y = (50.0 + (x as f32 - 199.5) * t).round() as usize;
        ink[y * w + x] = 1;
    }
    let b = Bitmap { w, h, ink };
    let level = b.rotated(-3.0);
    let rows: Vec<usize> = (0..h).filter(|&y| level.ink[y * w..(y + 1) * w].iter().any(|&v| v != 0)).collect();
    assert!(rows.len() <= 3, "rule spread over rows {rows:?}");
    assert!(level.without_rules(100).ink.iter().all(|&v| v == 0));
}

#[test]
fn rotation_helpers() {
    let img = GrayImage::from_fn(4, 2, |x, y| Luma([(x + 4 * y) as u8]));
    assert_eq!(rotate_quarter(&img, 90).dimensions(), (2, 4));
    assert_eq!(rotate_bilinear(&img, 0.0), img);
    let b = Bitmap::from_gray(&img, 3);
    for r in [90, 180, 270] {
        let want = Bitmap::from_gray(&rotate_quarter(&img, r), 3);
        let got = b.rotated_quarter(r).into_owned();
        assert_eq!((got.w, got.h, got.ink), (want.w, want.h, want.ink), "rotation {r}");
    }
    for (r, want) in [(0, img.clone()), (90, image::imageops::rotate90(&img)), (180, image::imageops::rotate180(&img)), (270, image::imageops::rotate270(&img))] {
        assert_eq!(rotate_quarter(&img, r), want, "rotation {r}");
        assert_eq!(turn_quarter(img.clone(), r), want, "turn {r}");
    }
    let d = downscale(&GrayImage::from_fn(6, 3, |x, _| Luma([if x < 3 { 0 } else { 255 }])), 3);
    assert_eq!(d.as_raw(), &vec![0, 255]);
}

#[test]
fn tiny_and_odd_pages_do_not_panic() {
    for (w, h) in [(1, 1), (3, 50), (50, 3), (17, 17)] {
        let img = GrayImage::from_fn(w, h, |x, y| Luma([((x * 31 + y * 17) % 256) as u8]));
        let _ = prepare(img.clone(), 300);
        let _ = prepare(img.clone(), 0);
        let _ = prepare(img.clone(), 1200);
    }
}

#[test]
fn a_finer_scan_is_prepared_at_300_dpi_and_a_coarser_one_as_it_came() {
    let Some(font) = any_font() else { return };
    let lines = testpage::page_lines(6);
    let fine = testpage::render_on(&lines, 400, &font, 8.5, 3.0);
    let out = prepare(fine, 400);
    assert_eq!(out.dpi, MAX_OCR_DPI);
    assert_eq!(out.image.dimensions(), (2550, 900), "8.5 x 3 in at 300 dpi");
    // The print survives the scaling: the same share of ink as the page
    // rendered at 300 dpi, within a quarter (strokes resampled come out a
    // little bolder: 12 % more ink on this page).
    let direct = prepare(testpage::render_on(&lines, 300, &font, 8.5, 3.0), 300);
    assert!((out.ink_fraction / direct.ink_fraction - 1.0).abs() < 0.25, "{} vs {}", out.ink_fraction, direct.ink_fraction);
    assert!(!out.blank);
    for dpi in [200, 300] {
        let p = testpage::render_on(&lines, dpi, &font, 8.5, 3.0);
        let out = prepare(p.clone(), dpi);
        assert_eq!((out.dpi, out.image.dimensions()), (dpi, p.dimensions()));
    }
}


#[test]
fn small_print_is_scaled_only_when_the_resolution_is_not_to_be_trusted() {
    // 400 letter-shaped blocks 7 px high.
    let letters = |w: u32, h: u32| {
        let mut img = GrayImage::from_pixel(w, h, image::Luma([255]));
        for i in 0..400u32 {
            let (x0, y0) = (10 + (i % 40) * 14, 10 + (i / 40) * 20);
            for y in y0..y0 + 7 {
                for x in x0..x0 + 5 {
                    img.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
        img
    };
    // Untagged (taken as 300 dpi), 760 px wide: a 2.5-inch sheet cannot be; measured and scaled.
    let (img, dpi) = to_letter_size(letters(760, 1000), 300);
    assert!(img.width() > 2000 && dpi == 300, "{:?} {dpi}", img.dimensions());
    // A letter page at a stated 200 dpi is trusted as it is.
    let (img, dpi) = to_letter_size(letters(1700, 2200), 200);
    assert_eq!((img.dimensions(), dpi), ((1700, 2200), 200));
}

//! Preparing a decoded page for OCR: upright, deskewed, faint print on
//! grainy paper cleaned, scanner specks removed, blank pages recognised.
//!
//! Every estimate is made on small binarised copies of the page (about
//! [`FINE_DPI`] and [`COARSE_DPI`]); only speck removal, the contrast
//! mapping and the rotations touch the full-resolution image. Each step is
//! a public function so that it can be measured on its own;
//! `examples/prepare_measure.rs` renders chart pages (forms, ruled tables,
//! sparse pages; four fonts), damages them in known ways, and compares what
//! [`prepare`] finds with the truth and what Tesseract reads before and
//! after, with each step left out in turn.
//!
//! What runs, and why (measured at 300 dpi; words read / words on the page):
//!
//! - **Quarter turns** always: sideways pages by comparing row and column
//!   projection profiles, upside-down pages by two text-line statistics
//!   ([`UprightStats`]) that must agree. No upright page was ever turned;
//!   98 % of upside-down forms and 65 % of upside-down tables are caught —
//!   the rest are left for OCR's own 180° retry. Turned pages: 36 % → 98 %.
//! - **Deskew** when the skew is at least [`MIN_SKEW_CORRECTION_DEG`]: skew
//!   is found to within 0.05°; forms 97.7 % → 98.5 %, ruled tables
//!   78.6 % → 99.1 % (Tesseract loses whole rows of a skewed table).
//! - **Speck removal** only on clean paper with salt-and-pepper specks:
//!   93.8 % → 97.9 %. On grainy paper it cost accuracy, so it does not run
//!   there; isolated marks of 2×2 pixels at 200 dpi (decimal points) are
//!   never touched.
//! - **Smoothing and contrast stretch** only for faint print on grainy
//!   paper, where Tesseract reads next to nothing: 12 % → 98 %. Each alone
//!   reaches only 80–86 %. On faint print on clean paper, or dark print on
//!   grain, Tesseract does as well or better without them, so they do not
//!   run there.
//! - **Blank**: almost no ink (lone specks not counted) inside the margins
//!   of clean paper. Pure noise is never blank (its ink fraction is ~0.5).
//!
//! Conventions: angles are in degrees, clockwise positive, in image
//! coordinates (y grows downwards). `skew_deg` is the angle of the text
//! lines of the (quarter-turned) page; the page is rotated by `-skew_deg` to
//! correct it. `rotation` is the clockwise quarter turn applied first.

use image::{GrayImage, Luma};

/// The largest skew searched for, degrees.
pub const MAX_SKEW_DEG: f32 = 5.0;
/// Below this the page is not rotated: the interpolation would cost more
/// sharpness than the skew costs OCR.
pub const MIN_SKEW_CORRECTION_DEG: f32 = 0.2;
/// A page with less ink than this (fraction of its interior, lone specks
/// not counted) is blank. A nine-letter word at 11 pt is about 0.04 %.
pub const BLANK_INK_FRACTION: f32 = 0.000_15;
/// Fraction of each side ignored when judging blankness (scanner edges,
/// punch holes, shadows).
pub const BLANK_MARGIN: f32 = 0.06;
/// Fraction of each side ignored when estimating skew and orientation.
pub const ANALYSIS_MARGIN: f32 = 0.02;
/// Background noise (standard deviation, gray levels) above which a page is
/// not clean paper and is never called blank.
pub const NOISY_PAPER_SIGMA: f32 = 20.0;
/// Pages scanned finer than this are scaled down to it before anything
/// else: Tesseract reads a 300-dpi page as well as a 400-dpi one, and the
/// memory a page needs (ours and Tesseract's, 5 bytes a pixel at the peak)
/// and the time it takes grow with its pixels. A 400-dpi letter page is
/// 15 million pixels, 1.8 times a 300-dpi one.
pub const MAX_OCR_DPI: u32 = 300;

/// A page made ready for OCR.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The page turned upright and deskewed, gray, white = 255.
    pub image: GrayImage,
    /// Resolution of `image`: the scan's, or [`MAX_OCR_DPI`] for a page
    /// scanned finer. Boxes of words found on `image` are at this resolution.
    pub dpi: u32,
    /// Clockwise quarter turn applied: 0, 90, 180 or 270.
    pub rotation: u32,
    /// Skew of the text lines found (and corrected when at least
    /// [`MIN_SKEW_CORRECTION_DEG`]), degrees clockwise.
    pub skew_deg: f32,
    /// Fraction of the page's interior that is ink, 0–1 (pure noise is
    /// about 0.5; a typed page 0.02–0.1; a blank page under 0.0002).
    pub ink_fraction: f32,
    /// Almost no ink on clean paper: the back of a sheet.
    pub blank: bool,
    /// Whether faint print on grainy paper was smoothed and stretched.
    pub contrast_stretched: bool,
    /// Isolated specks removed.
    pub specks_removed: u32,
}

/// Prepares a page for OCR: scales it down to [`MAX_OCR_DPI`] if it was
/// scanned finer, tells whether it is blank, finds its orientation and skew
/// on small copies, then removes specks (clean paper), smooths and
/// stretches faint print (grainy paper), and turns and deskews the full
/// page. A blank page is returned as it came (at most [`MAX_OCR_DPI`]).
/// Deterministic; about 50–80 ms of one core for a 300-dpi letter page.
pub fn prepare(page: GrayImage, dpi: u32) -> Prepared {
    let (page, dpi) = to_ocr_resolution(page, dpi.clamp(50, 1200));
    let (page, dpi) = to_letter_size(page, dpi);
    let analysis = Analysis::new(&page, dpi);
    let ink_fraction = analysis.ink_fraction();
    let blank = analysis.blank();
    if blank || page.width() < 16 || page.height() < 16 {
        return Prepared {
            image: page,
            dpi,
            rotation: 0,
            skew_deg: 0.0,
            ink_fraction,
            blank,
            contrast_stretched: false,
            specks_removed: 0,
        };
    }
    let (rotation, skew_deg) = analysis.orientation_and_skew();

    // Each step below replaces `image` (the page is taken, not copied), so
    // that at most three full-size copies of the page are ever alive:
    // memory per worker is bounded by the largest page.
    let raw_levels = measure_levels(&page);
    let mut image = page;
    let grainy = !raw_levels.bitonal && raw_levels.noise >= GRAIN_SIGMA;
    // Specks on clean paper: removed while still sharp, and only when the
    // small copy shows lone specks at all. (Measured: speck removal on
    // grainy paper costs OCR accuracy.)
    let full_px = u64::from(image.width()) * u64::from(image.height());
    let specks_removed = if !grainy && analysis.lone * 40_000 >= full_px { despeckle(&mut image, dpi, &raw_levels) } else { 0 };
    drop(analysis);
    // Faint print on grainy paper defeats Tesseract's own thresholding:
    // smooth the grain, then map ink to black and the paper to white.
    // (Measured: on dark print, or faint print on clean paper, both steps
    // cost a little accuracy instead.)
    let mut contrast_stretched = false;
    if grainy && raw_levels.ink >= FAINT_INK {
        let smoothed = smooth(&image);
        if let Some(stretched) = stretch_contrast(&smoothed, &measure_levels(&smoothed)) {
            image = stretched;
            contrast_stretched = true;
        }
    }
    image = turn_quarter(image, rotation);
    if skew_deg.abs() >= MIN_SKEW_CORRECTION_DEG {
        image = deskew(&image, skew_deg);
    }
    // Last, on the upright page: broken table rules would be read as text.
    super::rules::erase_table_rules(&mut image, dpi);
    Prepared { image, dpi, rotation, skew_deg, ink_fraction, blank, contrast_stretched, specks_removed }
}

/// A page whose print is small in pixels (a ~90-dpi fax-quality scan, with
/// or without a resolution tag) scaled up until its letters are the size
/// Tesseract reads best ([`super::textsize`]); its resolution is then taken
/// as [`MAX_OCR_DPI`], the resolution at which print has that size.
/// Boxes are in the coordinates of the scaled page, as the review's crops,
/// which prepare the page the same way, expect.
pub fn to_letter_size(page: GrayImage, dpi: u32) -> (GrayImage, u32) {
    // A resolution that gives a page of plausible size is trusted: a 200-dpi
    // letter page of bitonal print, its letters broken into small pieces,
    // read worse scaled up (one face sheet of the held-out archive). Only a
    // low resolution, or one that makes the sheet smaller than 5 inches
    // (an untagged ~90-dpi scan taken as 300 dpi), has its print measured.
    let short_in = page.width().min(page.height()) as f32 / dpi.max(1) as f32;
    if dpi >= 150 && short_in >= 5.0 {
        return (page, dpi);
    }
    let Some(px) = super::textsize::letter_height(&page, measure_levels(&page).threshold) else { return (page, dpi) };
    let f = super::textsize::scale_factor(px, page.width(), page.height());
    if f < 1.1 {
        return (page, dpi);
    }
    let (w, h) = ((page.width() as f32 * f).round() as u32, (page.height() as f32 * f).round() as u32);
    (super::resample(&page, w, h), MAX_OCR_DPI.max(dpi))
}

/// The page at no more than [`MAX_OCR_DPI`], and its resolution; the
/// original is freed before the page goes on. Measured on the 63 charts
/// scanned at 400 dpi of two generated archives of 400 charts (seeds 2 and
/// 3; `chartmill eval`, README "Accuracy"): fields right 96.4 % → 97.7 %,
/// clean charts accepted 52 % → 62 %. Bilinear and Lanczos-3 kernels did as
/// well as [`super::resample`]'s Catmull-Rom within the noise (97.8 %,
/// 97.5 %).
pub fn to_ocr_resolution(page: GrayImage, dpi: u32) -> (GrayImage, u32) {
    if dpi <= MAX_OCR_DPI {
        return (page, dpi);
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(MAX_OCR_DPI) + u64::from(dpi) / 2) / u64::from(dpi)) as u32;
    (super::resample(&page, scale(page.width()), scale(page.height())), MAX_OCR_DPI)
}

/// The gray level below which `share` of the `total` pixels counted from
/// level `start` up lie (walking the histogram `h` upwards).
fn quantile_from(h: &[u64; 256], start: usize, total: u64, share: f64) -> u8 {
    let target = (total as f64 * share).ceil().max(1.0) as u64;
    let mut acc = 0;
    let mut v = start;
    while v < 255 {
        acc += h[v];
        if acc >= target {
            break;
        }
        v += 1;
    }
    v as u8
}

// ------------------------------------------------------------------- levels

/// The gray levels of a page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Levels {
    /// The paper: the 75th percentile.
    pub paper: u8,
    /// Typical dark ink: the 10th percentile of the pixels under `threshold`
    /// (`threshold` when there are none).
    pub ink: u8,
    /// Pixels darker than this are ink.
    pub threshold: u8,
    /// The light end of the paper: 5 % of the pixels lighter than
    /// `threshold` are darker than this.
    pub white: u8,
    /// Spread of the paper (robust standard deviation of the bright half).
    pub noise: f32,
    /// Only black and white pixels (a 1-bit scan).
    pub bitonal: bool,
}

fn histogram(img: &GrayImage, step: usize) -> [u64; 256] {
    let mut h = [0u64; 256];
    let (w, ht) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    for y in (0..ht).step_by(step) {
        for &v in raw[y * w..(y + 1) * w].iter().step_by(step) {
            h[v as usize] += 1;
        }
    }
    h
}

fn percentile(h: &[u64; 256], q: f64) -> u8 {
    let total: u64 = h.iter().sum();
    if total == 0 {
        return 255;
    }
    let target = (q * total as f64).ceil().max(1.0) as u64;
    let mut acc = 0;
    for (v, &n) in h.iter().enumerate() {
        acc += n;
        if acc >= target {
            return v as u8;
        }
    }
    255
}

fn otsu(h: &[u64; 256]) -> u8 {
    let total: u64 = h.iter().sum();
    let sum: f64 = h.iter().enumerate().map(|(v, &n)| v as f64 * n as f64).sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0u64, 0f64, -1f64, 128u8);
    for (t, &n) in h.iter().enumerate() {
        w0 += n;
        if w0 == 0 {
            continue;
        }
        let w1 = total - w0;
        if w1 == 0 {
            break;
        }
        sum0 += t as f64 * n as f64;
        let m0 = sum0 / w0 as f64;
        let m1 = (sum - sum0) / w1 as f64;
        let between = w0 as f64 * w1 as f64 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t.saturating_add(1)
}

fn levels_from_histogram(h: &[u64; 256]) -> Levels {
    let total: u64 = h.iter().sum();
    let extremes = h[0] + h[255];
    let bitonal = total > 0 && extremes * 1000 >= total * 995;
    let median = percentile(h, 0.5);
    let paper = percentile(h, 0.75);
    // The spread of the paper as a normal sigma: from the bright side
    // (75th percentile against the median), or, when the bright side is
    // clipped at white, from the dark side (median against the 30th
    // percentile; ink under 30 % of the page does not reach it).
    let noise = if paper == 255 {
        f32::from(median - percentile(h, 0.30)) / 0.524
    } else {
        f32::from(paper - median) / 0.674
    };
    let threshold = if bitonal {
        128
    } else if noise > NOISY_PAPER_SIGMA {
        otsu(h)
    } else {
        // Clean paper: anything clearly darker than the paper is ink, however
        // faint. Otsu would split a blank page's noise in two.
        paper.saturating_sub((5.0 * noise).max(24.0) as u8)
    };
    let below: u64 = h[..threshold as usize].iter().sum();
    let ink = if below == 0 {
        threshold
    } else {
        quantile_from(&h, 0, below, 0.10)
    };
    let above: u64 = h[threshold as usize..].iter().sum();
    let white = if above == 0 {
        paper
    } else {
        quantile_from(&h, threshold as usize, above, 0.05)
    };
    Levels { paper, ink, threshold, white, noise, bitonal }
}

/// Measures the gray levels of a page (a sample of its pixels).
pub fn measure_levels(img: &GrayImage) -> Levels {
    let step = if (img.width() as u64 * img.height() as u64) > 2_000_000 { 2 } else { 1 };
    levels_from_histogram(&histogram(img, step))
}

// ----------------------------------------------------------------- contrast

/// Paper grain (standard deviation, gray levels) from which faint print is
/// smoothed and stretched.
pub const GRAIN_SIGMA: f32 = 8.0;

/// Ink lighter than this (its darkest tenth) is faint print.
pub const FAINT_INK: u8 = 60;

/// Stretches the contrast: maps the typical ink level to black and the light
/// end of the paper to white, clearing grain in the paper. Returns `None`
/// for a bitonal page or one without distinct ink.
pub fn stretch_contrast(img: &GrayImage, levels: &Levels) -> Option<GrayImage> {
    if levels.bitonal || levels.ink >= levels.threshold || levels.noise > NOISY_PAPER_SIGMA {
        return None;
    }
    let (lo, hi) = (f32::from(levels.ink), f32::from(levels.white.max(levels.threshold)));
    if hi - lo < 16.0 {
        return None;
    }
    let mut lut = [0u8; 256];
    for (v, out) in lut.iter_mut().enumerate() {
        *out = (((v as f32 - lo) * 255.0 / (hi - lo)).round()).clamp(0.0, 255.0) as u8;
    }
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = lut[*p as usize];
    }
    Some(out)
}

/// A 3×3 binomial blur ([1 2 1] ⊗ [1 2 1] / 16): grain drops to about a
/// third, strokes of 3 pixels and more keep their darkness.
pub fn smooth(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return img.clone();
    }
    let src = img.as_raw();
    // Horizontal pass into u16 (×4), then vertical (×4), edges replicated.
    let mut tmp = vec![0u16; w * h];
    for (srow, trow) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        trow[0] = 3 * u16::from(srow[0]) + u16::from(srow[1]);
        for x in 1..w - 1 {
            trow[x] = u16::from(srow[x - 1]) + 2 * u16::from(srow[x]) + u16::from(srow[x + 1]);
        }
        trow[w - 1] = u16::from(srow[w - 2]) + 3 * u16::from(srow[w - 1]);
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let (a, b, c) = (y.saturating_sub(1), y, (y + 1).min(h - 1));
        let (ra, rb, rc) = (&tmp[a * w..(a + 1) * w], &tmp[b * w..(b + 1) * w], &tmp[c * w..(c + 1) * w]);
        for (x, o) in out[y * w..(y + 1) * w].iter_mut().enumerate() {
            *o = ((ra[x] + 2 * rb[x] + rc[x] + 8) >> 4) as u8;
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("buffer size matches")
}

// ------------------------------------------------------------------- specks

/// Removes isolated dark specks (single pixels, and 2×2 at 250 dpi or more)
/// that stand alone in clean paper, painting them with the paper level.
/// Does nothing unless the page has salt-and-pepper noise (at least one
/// speck per 20,000 pixels): a decimal point at 200 dpi is 2×2, and a clean
/// page keeps every mark. Returns the number of specks removed.
pub fn despeckle(img: &mut GrayImage, dpi: u32, levels: &Levels) -> u32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 8 || h < 8 {
        return 0;
    }
    let t = levels.threshold;
    let size = if dpi >= 250 { 2 } else { 1 };
    let specks = find_specks(img.as_raw(), w, h, t, size);
    if (specks.len() as u64) * 20_000 < (w as u64 * h as u64) {
        return 0;
    }
    let paper = levels.paper;
    let raw: &mut [u8] = img;
    for &(x, y) in &specks {
        for yy in y..y + size {
            for xx in x..x + size {
                raw[yy * w + xx] = paper;
            }
        }
    }
    specks.len() as u32
}

/// Top-left corners of `size`×`size` boxes that hold dark pixels and whose
/// surrounding ring of pixels is all light.
fn find_specks(raw: &[u8], w: usize, h: usize, t: u8, size: usize) -> Vec<(usize, usize)> {
    let dark = |x: usize, y: usize| raw[y * w + x] < t;
    let mut out = Vec::new();
    for y in 1..h - size {
        let row = &raw[y * w..(y + 1) * w];
        let mut x = 1;
        while x < w - size {
            if row[x] >= t {
                x += 1;
                continue;
            }
            // `(x, y)` is the first dark pixel of its run; it must be the
            // top-left of the box: nothing dark above or to the left.
            let ok = (x..x + size).all(|xx| !dark(xx, y - 1))
                && (y..y + size).all(|yy| !dark(x - 1, yy))
                && !dark(x - 1, y - 1)
                && ring_clear(raw, w, x, y, size, t);
            if ok {
                out.push((x, y));
                x += size + 1;
            } else {
                x += 1;
            }
        }
    }
    out
}

fn ring_clear(raw: &[u8], w: usize, x: usize, y: usize, size: usize, t: u8) -> bool {
    let (x0, y0, x1, y1) = (x - 1, y - 1, x + size, y + size);
    for xx in x0..=x1 {
        if raw[y0 * w + xx] < t || raw[y1 * w + xx] < t {
            return false;
        }
    }
    for yy in y0..=y1 {
        if raw[yy * w + x0] < t || raw[yy * w + x1] < t {
            return false;
        }
    }
    true
}

// ----------------------------------------------------------------- analysis

/// Box-filter downscale by an integer factor (a ragged right or bottom
/// edge is dropped).
pub fn downscale(img: &GrayImage, factor: u32) -> GrayImage {
    if factor <= 1 {
        return img.clone();
    }
    let f = factor as usize;
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < f || h < f {
        return GrayImage::from_pixel(1, 1, Luma([img.as_raw().iter().copied().min().unwrap_or(255)]));
    }
    let (ow, oh) = (w / f, h / f);
    let raw = img.as_raw();
    let mut out = vec![0u8; ow * oh];
    let mut acc = vec![0u32; w];
    let n = (f * f) as u32;
    for oy in 0..oh {
        acc.fill(0);
        for y in oy * f..(oy + 1) * f {
            for (a, &v) in acc.iter_mut().zip(&raw[y * w..(y + 1) * w]) {
                *a += u32::from(v);
            }
        }
        for (o, chunk) in out[oy * ow..(oy + 1) * ow].iter_mut().zip(acc.chunks_exact(f)) {
            *o = ((chunk.iter().sum::<u32>() + n / 2) / n) as u8;
        }
    }
    GrayImage::from_raw(ow as u32, oh as u32, out).expect("buffer size matches")
}

/// A binary image: 1 = ink.
#[derive(Clone)]
pub(crate) struct Bitmap {
    pub w: usize,
    pub h: usize,
    pub ink: Vec<u8>,
}

impl Bitmap {
    fn from_gray(img: &GrayImage, threshold: u8) -> Bitmap {
        let ink = img.as_raw().iter().map(|&v| u8::from(v < threshold)).collect();
        Bitmap { w: img.width() as usize, h: img.height() as usize, ink }
    }

    /// Ink pixels inside the margins, as coordinates.
    fn points(&self, margin: f32) -> Vec<(f32, f32)> {
        let (mx, my) = ((self.w as f32 * margin) as usize, (self.h as f32 * margin) as usize);
        let mut pts = Vec::new();
        for y in my..self.h.saturating_sub(my) {
            let row = &self.ink[y * self.w..(y + 1) * self.w];
            for (x, _) in row.iter().enumerate().take(self.w.saturating_sub(mx)).skip(mx).filter(|(_, &v)| v != 0) {
                pts.push((x as f32, y as f32));
            }
        }
        // Large dark areas (a photo, a black border) would dominate the
        // projections: keep at most 300k points, evenly.
        if pts.len() > 300_000 {
            let step = pts.len().div_ceil(300_000);
            pts = pts.into_iter().step_by(step).collect();
        }
        pts
    }

    /// Drops long horizontal and vertical runs of ink (ruling lines of
    /// forms) that would dominate the line-shape statistics. A run is
    /// followed through the pixel's row and its two neighbours, so that a
    /// rule that steps by a pixel (a slightly skewed or resampled line)
    /// still counts as one run.
    fn without_rules(&self, max_run: usize) -> Bitmap {
        let (w, h) = (self.w, self.h);
        let mut out = self.clone();
        let mut band = vec![0u8; w.max(h)];
        // Horizontal rules.
        for y in 0..h {
            let (a, b) = (y.saturating_sub(1), (y + 1).min(h - 1));
            let (ra, ry, rb) = (&self.ink[a * w..(a + 1) * w], &self.ink[y * w..(y + 1) * w], &self.ink[b * w..(b + 1) * w]);
            for (((v, &p), &q), &r) in band.iter_mut().zip(ra).zip(ry).zip(rb) {
                *v = p | q | r;
            }
            let mut x = 0;
            while x < w {
                if band[x] == 0 {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < w && band[x] != 0 {
                    x += 1;
                }
                if x - start > max_run {
                    out.ink[y * w + start..y * w + x].iter_mut().for_each(|v| *v = 0);
                }
            }
        }
        // Vertical rules, the same by columns, row by row: `run[x]` is the
        // length of the run ending just above row `y`.
        let mut run = vec![0usize; w];
        for y in 0..=h {
            for x in 0..w {
                let inked = y < h && {
                    let row = &self.ink[y * w..(y + 1) * w];
                    row[x.saturating_sub(1)] | row[x] | row[(x + 1).min(w - 1)] != 0
                };
                if inked {
                    run[x] += 1;
                    continue;
                }
                if run[x] > max_run {
                    for yy in y - run[x]..y {
                        out.ink[yy * w + x] = 0;
                    }
                }
                run[x] = 0;
            }
        }
        out
    }

    /// Rotated clockwise by a small angle about the centre, nearest pixel,
    /// as a vertical then a horizontal shear of whole runs (for a few
    /// degrees the two shears differ from a rotation by a scale of under
    /// half a percent, which does not matter here).
    fn rotated(&self, deg: f32) -> std::borrow::Cow<'_, Bitmap> {
        if deg.abs() < 0.05 {
            return std::borrow::Cow::Borrowed(self);
        }
        let (w, h) = (self.w, self.h);
        let (s, t) = (f64::from(deg).to_radians().sin(), f64::from(deg).to_radians().tan());
        let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
        // Vertical shear: column x moves down by (x - cx)·sin.
        let mut a = vec![0u8; w * h];
        let shift: Vec<isize> = (0..w).map(|x| ((x as f64 - cx) * s).round() as isize).collect();
        let mut runs: Vec<(usize, usize, isize)> = Vec::new();
        for (x, &k) in shift.iter().enumerate() {
            match runs.last_mut() {
                Some(r) if r.2 == k => r.1 = x + 1,
                _ => runs.push((x, x + 1, k)),
            }
        }
        for y in 0..h {
            for &(x0, x1, k) in &runs {
                let sy = y as isize - k;
                if sy >= 0 && (sy as usize) < h {
                    let from = sy as usize * w;
                    a[y * w + x0..y * w + x1].copy_from_slice(&self.ink[from + x0..from + x1]);
                }
            }
        }
        // Horizontal shear: row y moves left by (y - cy)·tan... (the
        // rotation's other half).
        let mut ink = vec![0u8; w * h];
        for y in 0..h {
            let k = ((y as f64 - cy) * t).round() as isize;
            // out[x] = a[x + k]
            let (x0, x1) = ((-k).clamp(0, w as isize) as usize, (w as isize - k).clamp(0, w as isize) as usize);
            if x1 > x0 {
                let from = (y * w) as isize + k;
                ink[y * w + x0..y * w + x1].copy_from_slice(&a[(from + x0 as isize) as usize..(from + x1 as isize) as usize]);
            }
        }
        std::borrow::Cow::Owned(Bitmap { w, h, ink })
    }

    fn rotated_quarter(&self, rotation: u32) -> std::borrow::Cow<'_, Bitmap> {
        let (w, h) = (self.w, self.h);
        std::borrow::Cow::Owned(match rotation % 360 {
            90 => {
                let mut ink = vec![0u8; w * h];
                for y in 0..h {
                    for x in 0..w {
                        // (x, y) → (h - 1 - y, x) in a h-wide image.
                        ink[x * h + (h - 1 - y)] = self.ink[y * w + x];
                    }
                }
                Bitmap { w: h, h: w, ink }
            }
            180 => {
                let mut ink = self.ink.clone();
                ink.reverse();
                Bitmap { w, h, ink }
            }
            270 => {
                let mut ink = vec![0u8; w * h];
                for y in 0..h {
                    for x in 0..w {
                        ink[(w - 1 - x) * h + y] = self.ink[y * w + x];
                    }
                }
                Bitmap { w: h, h: w, ink }
            }
            _ => return std::borrow::Cow::Borrowed(self),
        })
    }
}

/// The small binarised copies of a page on which everything is estimated.
pub(crate) struct Analysis {
    /// About [`FINE_DPI`]: ink fraction, the upright statistic and the
    /// final skew.
    pub fine: Bitmap,
    pub fine_dpi: u32,
    /// Gray levels of the fine copy.
    pub levels: Levels,
    /// About [`COARSE_DPI`]: the skew search and the sideways test.
    pub coarse: Bitmap,
    /// Lone ink pixels of the fine copy inside its margins (specks).
    pub lone: u64,
    ink: u64,
    interior: u64,
    /// Ink fraction of the coarse copy, where grain is averaged away and
    /// faint print on heavy grain still shows.
    coarse_ink: f32,
}

/// Resolution of the copy for blankness, fine skew and the upright test:
/// ascenders are 4–5 pixels tall there at 11 pt.
pub const FINE_DPI: u32 = 150;
/// Resolution of the copy for the coarse skew search and the sideways test.
pub const COARSE_DPI: u32 = 75;

impl Analysis {
    pub fn new(page: &GrayImage, dpi: u32) -> Analysis {
        let ff = ((dpi as f32 / FINE_DPI as f32).round() as u32).max(1);
        let fine_gray = downscale(page, ff);
        let fine_dpi = (dpi / ff).max(1);
        let levels = measure_levels(&fine_gray);
        let fine = Bitmap::from_gray(&fine_gray, levels.threshold);
        let cf = ((fine_dpi as f32 / COARSE_DPI as f32).round() as u32).max(1);
        let coarse_gray = downscale(&fine_gray, cf);
        let coarse_levels = measure_levels(&coarse_gray);
        let coarse = Bitmap::from_gray(&coarse_gray, coarse_levels.threshold.min(levels.threshold));
        let (ink, lone, interior) = count_ink(&fine);
        let (cink, _, cinterior) = count_ink(&coarse);
        let coarse_ink = if cinterior == 0 { 0.0 } else { cink as f32 / cinterior as f32 };
        Analysis { fine, fine_dpi, levels, coarse, lone, ink, interior, coarse_ink }
    }

    /// Ink fraction of the interior, lone specks not counted.
    pub fn ink_fraction(&self) -> f32 {
        if self.interior == 0 {
            0.0
        } else {
            self.ink as f32 / self.interior as f32
        }
    }

    /// Almost no ink on clean paper, at both resolutions.
    pub fn blank(&self) -> bool {
        self.levels.noise <= NOISY_PAPER_SIGMA && self.ink_fraction() < BLANK_INK_FRACTION && self.coarse_ink < BLANK_INK_FRACTION
    }

    /// The clockwise quarter turn that makes the page upright, and the skew
    /// of the turned page.
    pub fn orientation_and_skew(&self) -> (u32, f32) {
        let pts = self.coarse.points(ANALYSIS_MARGIN);
        if pts.len() < 50 {
            return (0, 0.0);
        }
        let rows = coarse_angle(&pts, false);
        let cols = coarse_angle(&pts, true);
        let sideways = cols.score > rows.score * SIDEWAYS_RATIO;
        // Turning the page clockwise by 90° makes its columns rows; the
        // angle of the columns (from the vertical) is then the rows' skew.
        let (quarter, coarse) = if sideways { (90, cols.angle) } else { (0, rows.angle) };
        let fine_pts = self.fine.points(ANALYSIS_MARGIN);
        let skew = refine_angle(&fine_pts, sideways, coarse);
        let turned = self.fine.rotated_quarter(quarter);
        let up = upright_stats(&turned, skew, self.fine_dpi);
        let rotation = if up.upside_down() { (quarter + 180) % 360 } else { quarter };
        (rotation, skew)
    }

    /// The skew of the page as it is (no quarter turn considered).
    pub fn skew(&self) -> f32 {
        let pts = self.coarse.points(ANALYSIS_MARGIN);
        if pts.len() < 50 {
            return 0.0;
        }
        let coarse = coarse_angle(&pts, false).angle;
        refine_angle(&self.fine.points(ANALYSIS_MARGIN), false, coarse)
    }
}

/// Counts the ink pixels of the interior (inside [`BLANK_MARGIN`]) that
/// touch at least two other ink pixels, and the lone ones that touch none.
/// Returns (ink, lone, interior pixels).
fn count_ink(b: &Bitmap) -> (u64, u64, u64) {
    let (mx, my) = ((b.w as f32 * BLANK_MARGIN) as usize, (b.h as f32 * BLANK_MARGIN) as usize);
    let (x0, x1, y0, y1) = (mx.max(1), b.w.saturating_sub(mx.max(1)), my.max(1), b.h.saturating_sub(my.max(1)));
    if x1 <= x0 || y1 <= y0 {
        return (0, 0, 0);
    }
    let (mut ink, mut lone) = (0u64, 0u64);
    for y in y0..y1 {
        let (up, row, down) = (&b.ink[(y - 1) * b.w..y * b.w], &b.ink[y * b.w..(y + 1) * b.w], &b.ink[(y + 1) * b.w..(y + 2) * b.w]);
        for x in x0..x1 {
            if row[x] == 0 {
                continue;
            }
            let n = up[x - 1] + up[x] + up[x + 1] + row[x - 1] + row[x + 1] + down[x - 1] + down[x] + down[x + 1];
            if n >= 2 {
                ink += 1;
            } else if n == 0 {
                lone += 1;
            }
        }
    }
    (ink, lone, ((x1 - x0) * (y1 - y0)) as u64)
}

/// How much stronger the column structure must be than the row structure to
/// call a page sideways.
pub const SIDEWAYS_RATIO: f64 = 1.3;
/// How clearly the ascender/descender statistic must point down before the
/// page is turned by 180° (see [`UprightStats::upside_down`]).
pub const UPSIDE_DOWN_MARGIN: f64 = 0.15;

#[derive(Clone, Copy, Debug)]
struct AngleScore {
    angle: f32,
    score: f64,
}

/// Projects ink points onto the vertical axis of a page sheared by an
/// angle; the sharper the profile, the better the angle levels the lines.
struct Projector {
    pts: Vec<(f32, f32)>,
    cx: f32,
    offset: f32,
    span: f32,
    hist: Vec<f32>,
}

impl Projector {
    /// `transposed`: project onto the horizontal axis instead (the page
    /// turned by a quarter).
    fn new(pts: &[(f32, f32)], transposed: bool) -> Projector {
        let pts: Vec<(f32, f32)> = if transposed { pts.iter().map(|&(x, y)| (y, -x)).collect() } else { pts.to_vec() };
        let (mut xmin, mut xmax, mut ymin, mut ymax) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for &(x, y) in &pts {
            xmin = xmin.min(x);
            xmax = xmax.max(x);
            ymin = ymin.min(y);
            ymax = ymax.max(y);
        }
        if pts.is_empty() {
            (xmin, xmax, ymin, ymax) = (0.0, 0.0, 0.0, 0.0);
        }
        let cx = (xmin + xmax) / 2.0;
        let reach = (xmax - xmin) / 2.0 * (MAX_SKEW_DEG + 0.5).to_radians().tan() + 2.0;
        let nbins = (ymax - ymin + 2.0 * reach) as usize + 3;
        Projector { pts, cx, offset: -ymin + reach, span: ymax - ymin + 1.0, hist: vec![0.0; nbins] }
    }

    /// Sum of squares of the profile at `deg`, each point split between its
    /// two nearest bins.
    fn score(&mut self, deg: f32) -> f64 {
        self.hist.fill(0.0);
        let t = deg.to_radians().tan();
        let (cx, offset) = (self.cx, self.offset);
        let last = self.hist.len() - 2;
        for &(x, y) in &self.pts {
            let yb = (y - (x - cx) * t + offset).max(0.0);
            let i = (yb as usize).min(last);
            let frac = yb - i as f32;
            self.hist[i] += 1.0 - frac;
            self.hist[i + 1] += frac;
        }
        profile_score(&self.hist)
    }

    /// A score that compares across point sets: a uniform spread scores 1.
    fn normalised(&self, score: f64) -> f64 {
        let n = self.pts.len().max(1) as f64;
        score * f64::from(self.span) / (n * n)
    }
}

/// The coarse skew search over ±[`MAX_SKEW_DEG`]: 0.5° steps, then the
/// quarter degrees either side of the best.
fn coarse_angle(pts: &[(f32, f32)], transposed: bool) -> AngleScore {
    let mut p = Projector::new(pts, transposed);
    let mut best = AngleScore { angle: 0.0, score: f64::MIN };
    let steps = (MAX_SKEW_DEG / 0.5).round() as i32;
    let mut try_angle = |a: f32, best: &mut AngleScore| {
        let s = p.score(a);
        if s > best.score {
            *best = AngleScore { angle: a, score: s };
        }
    };
    for k in -steps..=steps {
        try_angle(k as f32 * 0.5, &mut best);
    }
    let centre = best.angle;
    for a in [centre - 0.25, centre + 0.25] {
        if a.abs() <= MAX_SKEW_DEG {
            try_angle(a, &mut best);
        }
    }
    best.score = p.normalised(best.score);
    best
}

/// Refines a coarse angle on finer points: ±0.3° in 0.05° steps, then a
/// parabola through the best three.
fn refine_angle(pts: &[(f32, f32)], transposed: bool, around: f32) -> f32 {
    if pts.len() < 50 {
        return around;
    }
    // 80,000 points pin the angle as well as all of them.
    let step = pts.len().div_ceil(80_000);
    let sample: Vec<(f32, f32)> = pts.iter().step_by(step).copied().collect();
    let mut p = Projector::new(&sample, transposed);
    let scores: Vec<(f32, f64)> = (-6..=6)
        .map(|k| around + k as f32 * 0.05)
        .filter(|a| a.abs() <= MAX_SKEW_DEG + 0.3)
        .map(|a| (a, p.score(a)))
        .collect();
    let Some(i) = (0..scores.len()).max_by(|&a, &b| scores[a].1.total_cmp(&scores[b].1)) else {
        return around;
    };
    let mut angle = scores[i].0;
    if i > 0 && i + 1 < scores.len() {
        let (s0, s1, s2) = (scores[i - 1].1, scores[i].1, scores[i + 1].1);
        let denom = s0 - 2.0 * s1 + s2;
        if denom < 0.0 {
            angle += (0.5 * (s0 - s2) / denom).clamp(-0.5, 0.5) as f32 * 0.05;
        }
    }
    angle.clamp(-MAX_SKEW_DEG, MAX_SKEW_DEG)
}

/// Sum of squares of the profile: large when ink gathers in lines.
fn profile_score(h: &[f32]) -> f64 {
    h.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

/// Orientation evidence from a page's text lines; each statistic is
/// positive when the page is upright and negative when it is upside down,
/// in −1…1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UprightStats {
    /// Ink above the x-height band against ink below it: Latin text has
    /// more ascenders (and capitals, digits, i-dots) than descenders.
    pub ascender: f64,
    /// Left edges of lines aligned against right edges aligned: text is set
    /// flush left, ragged right.
    pub alignment: f64,
    /// Text lines measured.
    pub lines: usize,
}

impl UprightStats {
    /// Whether the evidence says "upside down" clearly.
    pub fn upside_down(&self) -> bool {
        if self.lines < 3 {
            return false;
        }
        let (a, l) = (self.ascender, self.alignment);
        // The alignment must lean down in any case; then either the
        // ascenders point down too, or the alignment is decisive (a form's
        // flush-left column) and the ascenders do not contradict it.
        l < -0.05 && (a < -UPSIDE_DOWN_MARGIN || (l < -0.4 && a < 0.05))
    }
}

/// Measures [`UprightStats`] on a binarised page whose lines lie at
/// `skew`.
fn upright_stats(bin: &Bitmap, skew: f32, dpi: u32) -> UprightStats {
    // Level the lines first, so that ruling lines are long runs again.
    let level = bin.rotated(-skew);
    let clean = level.without_rules((dpi as usize / 2).max(8));
    let pts = clean.points(ANALYSIS_MARGIN);
    if pts.len() < 50 {
        return UprightStats::default();
    }
    let nbins = clean.h;
    let bin_of = |_x: f32, y: f32| -> Option<usize> { Some((y as usize).min(nbins - 1)) };
    let mut prof = vec![0f64; nbins];
    for &(x, y) in &pts {
        if let Some(b) = bin_of(x, y) {
            prof[b] += 1.0;
        }
    }
    // Text lines: runs of rows with any real ink, separated by (nearly)
    // empty rows.
    let floor = (clean.w as f64 * 0.002).max(1.5);
    let (min_h, max_h) = ((dpi as f64 * 0.06) as usize, (dpi as f64 * 0.5) as usize);
    let (mut above, mut below) = (0.0, 0.0);
    let mut line_of = vec![usize::MAX; nbins];
    let mut lines = 0;
    let mut y = 0;
    while y < nbins {
        if prof[y] < floor {
            y += 1;
            continue;
        }
        let start = y;
        while y < nbins && prof[y] >= floor {
            y += 1;
        }
        let line = &prof[start..y];
        if line.len() < min_h.max(4) || line.len() > max_h {
            continue;
        }
        let top = line.iter().cloned().fold(0.0, f64::max);
        let core_top = line.iter().position(|&v| v >= 0.5 * top).unwrap_or(0);
        let core_bottom = line.len() - 1 - line.iter().rev().position(|&v| v >= 0.5 * top).unwrap_or(0);
        above += line[..core_top].iter().sum::<f64>();
        below += line[core_bottom + 1..].iter().sum::<f64>();
        line_of[start..y].iter_mut().for_each(|l| *l = lines);
        lines += 1;

    }
    if lines == 0 {
        return UprightStats::default();
    }
    let ascender = if above + below < 1.0 { 0.0 } else { (above - below) / (above + below) };
    // Left and right ends of each line.
    let mut left = vec![f32::MAX; lines];
    let mut right = vec![f32::MIN; lines];
    for &(x, y) in &pts {
        if let Some(l) = bin_of(x, y).map(|b| line_of[b]).filter(|&l| l != usize::MAX) {
            left[l] = left[l].min(x);
            right[l] = right[l].max(x);
        }
    }
    let tolerance = dpi as f32 * 0.04;
    let alignment = aligned_fraction(&mut left, tolerance) - aligned_fraction(&mut right, tolerance);
    UprightStats { ascender, alignment, lines }
}

/// The largest fraction of `xs` within one window of `2·tolerance`.
fn aligned_fraction(xs: &mut [f32], tolerance: f32) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f32::total_cmp);
    let mut best = 0;
    let mut j = 0;
    for i in 0..xs.len() {
        while xs[i] - xs[j] > 2.0 * tolerance {
            j += 1;
        }
        best = best.max(i + 1 - j);
    }
    best as f64 / xs.len() as f64
}

/// Estimates the skew of a page's text lines, degrees clockwise, within
/// ±[`MAX_SKEW_DEG`]; 0 when the page has too little ink.
pub fn estimate_skew(page: &GrayImage, dpi: u32) -> f32 {
    Analysis::new(page, dpi.clamp(50, 1200)).skew()
}

/// The clockwise quarter turn (0, 90, 180, 270) that makes a page upright.
pub fn detect_rotation(page: &GrayImage, dpi: u32) -> u32 {
    Analysis::new(page, dpi.clamp(50, 1200)).orientation_and_skew().0
}

/// The fraction of a page's interior that is ink (see [`Prepared`]).
pub fn ink_fraction(page: &GrayImage, dpi: u32) -> f32 {
    Analysis::new(page, dpi.clamp(50, 1200)).ink_fraction()
}

/// The orientation evidence of a page as it is, for measurement.
pub fn upright_statistics(page: &GrayImage, dpi: u32) -> UprightStats {
    let a = Analysis::new(page, dpi.clamp(50, 1200));
    upright_stats(&a.fine, a.skew(), a.fine_dpi)
}

// ---------------------------------------------------------------- rotations

/// Turns a page clockwise by a multiple of 90°.
pub fn rotate_quarter(img: &GrayImage, rotation: u32) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    match rotation % 360 {
        90 | 270 => {
            // Blocked transpose: the output is h wide and w tall.
            let cw = rotation % 360 == 90;
            let mut out = vec![0u8; w * h];
            const B: usize = 64;
            for by in (0..h).step_by(B) {
                for bx in (0..w).step_by(B) {
                    for y in by..(by + B).min(h) {
                        let row = &src[y * w..(y + 1) * w];
                        for (x, &v) in row.iter().enumerate().take((bx + B).min(w)).skip(bx) {
                            // 90° clockwise: (x, y) → (h - 1 - y, x);
                            // 270°: (x, y) → (y, w - 1 - x).
                            let (ox, oy) = if cw { (h - 1 - y, x) } else { (y, w - 1 - x) };
                            out[oy * h + ox] = v;
                        }
                    }
                }
            }
            GrayImage::from_raw(h as u32, w as u32, out).expect("buffer size matches")
        }
        180 => {
            let mut out = src.clone();
            out.reverse();
            GrayImage::from_raw(w as u32, h as u32, out).expect("buffer size matches")
        }
        _ => img.clone(),
    }
}

/// [`rotate_quarter`] for a page that is given up: a half turn reverses
/// its pixels in place, so no second copy of the page is made.
pub fn turn_quarter(mut img: GrayImage, rotation: u32) -> GrayImage {
    match rotation % 360 {
        0 => img,
        180 => {
            let raw: &mut [u8] = &mut img;
            raw.reverse();
            img
        }
        _ => rotate_quarter(&img, rotation),
    }
}

/// Rotates a page by `-skew_deg` about its centre (white fill, same size),
/// so that lines at `skew_deg` become horizontal. Uses [`rotate_shear`].
pub fn deskew(img: &GrayImage, skew_deg: f32) -> GrayImage {
    rotate_shear(img, -skew_deg)
}

/// Rotates clockwise by `deg` about the centre as three shears (Paeth:
/// horizontal by −tan(θ/2), vertical by sin θ, horizontal again), each with
/// linear interpolation along one axis; white outside the source. Exact
/// rotation, about four times faster than [`rotate_bilinear`] because every
/// pass moves whole runs of pixels by the same fraction.
pub fn rotate_shear(img: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if deg == 0.0 || w < 2 || h < 2 {
        return img.clone();
    }
    let theta = f64::from(deg).to_radians();
    let alpha = -(theta / 2.0).tan();
    let beta = theta.sin();
    let a = shear_rows(img.as_raw(), w, h, alpha);
    let b = shear_columns(&a, w, h, beta);
    let c = shear_rows(&b, w, h, alpha);
    GrayImage::from_raw(w as u32, h as u32, c).expect("buffer size matches")
}

/// Fixed-point weight (of 256) and integer part of a source offset.
fn split_offset(e: f64) -> (isize, u16) {
    let k = e.floor();
    let f = ((e - k) * 256.0).round() as u16;
    if f == 256 {
        (k as isize + 1, 0)
    } else {
        (k as isize, f)
    }
}

/// Horizontal shear: row `y` takes its pixels from `x - factor·(y - cy)`.
fn shear_rows(src: &[u8], w: usize, h: usize, factor: f64) -> Vec<u8> {
    let mut out = vec![255u8; w * h];
    let cy = (h as f64 - 1.0) / 2.0;
    for y in 0..h {
        let (k, f) = split_offset(-factor * (y as f64 - cy));
        let (srow, orow) = (&src[y * w..(y + 1) * w], &mut out[y * w..(y + 1) * w]);
        // out[x] = (256 - f)·src[x + k] + f·src[x + k + 1], white outside.
        let at = |i: isize| if i >= 0 && (i as usize) < w { u16::from(srow[i as usize]) } else { 255 };
        let x0 = (-k).clamp(0, w as isize) as usize;
        let x1 = (w as isize - k - 1).clamp(x0 as isize, w as isize) as usize;
        for x in (0..x0).chain(x1..w) {
            let i = x as isize + k;
            orow[x] = (((256 - f) * at(i) + f * at(i + 1) + 128) >> 8) as u8;
        }
        if x1 > x0 {
            let s0 = &srow[(x0 as isize + k) as usize..(x1 as isize + k) as usize];
            let s1 = &srow[(x0 as isize + k + 1) as usize..(x1 as isize + k + 1) as usize];
            for ((o, &p), &q) in orow[x0..x1].iter_mut().zip(s0).zip(s1) {
                *o = (((256 - f) * u16::from(p) + f * u16::from(q) + 128) >> 8) as u8;
            }
        }
    }
    out
}

/// Vertical shear: column `x` takes its pixels from `y - factor·(x - cx)`.
/// Processed row by row over runs of columns with the same integer offset.
fn shear_columns(src: &[u8], w: usize, h: usize, factor: f64) -> Vec<u8> {
    let mut out = vec![255u8; w * h];
    let cx = (w as f64 - 1.0) / 2.0;
    let offsets: Vec<(isize, u16)> = (0..w).map(|x| split_offset(-factor * (x as f64 - cx))).collect();
    let fb: Vec<u16> = offsets.iter().map(|o| o.1).collect();
    let fa: Vec<u16> = fb.iter().map(|f| 256 - f).collect();
    let mut runs: Vec<(usize, usize, isize)> = Vec::new();
    for (x, &(k, _)) in offsets.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if r.2 == k => r.1 = x + 1,
            _ => runs.push((x, x + 1, k)),
        }
    }
    let white = vec![255u8; w];
    let row = |y: isize| -> &[u8] { if y >= 0 && (y as usize) < h { &src[y as usize * w..(y as usize + 1) * w] } else { &white } };
    for y in 0..h {
        let orow = &mut out[y * w..(y + 1) * w];
        for &(x0, x1, k) in &runs {
            let (r0, r1) = (row(y as isize + k), row(y as isize + k + 1));
            for ((((o, &p), &q), &a), &b) in orow[x0..x1].iter_mut().zip(&r0[x0..x1]).zip(&r1[x0..x1]).zip(&fa[x0..x1]).zip(&fb[x0..x1]) {
                *o = ((a * u16::from(p) + b * u16::from(q) + 128) >> 8) as u8;
            }
        }
    }
    out
}

/// Rotates clockwise by `deg` about the centre, bilinear, white outside the
/// source. Fixed point; each output row is split into the span whose source
/// lies inside the image (no edge checks) and the edges.
pub fn rotate_bilinear(img: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if deg == 0.0 || w < 2 || h < 2 {
        return img.clone();
    }
    // Clean or bitonal scans are mostly runs of equal pixels, where a
    // shortcut pays; on grainy scans its branch only costs.
    if mostly_flat(img) {
        rotate_bilinear_impl::<true>(img, deg)
    } else {
        rotate_bilinear_impl::<false>(img, deg)
    }
}

/// Whether most horizontal neighbours are equal (sampled on 64 rows).
fn mostly_flat(img: &GrayImage) -> bool {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let (mut equal, mut total) = (0usize, 0usize);
    for y in (0..h).step_by((h / 64).max(1)) {
        let row = &raw[y * w..(y + 1) * w];
        equal += row.windows(2).filter(|p| p[0] == p[1]).count();
        total += w - 1;
    }
    equal * 10 >= total * 8
}

fn rotate_bilinear_impl<const FLAT: bool>(img: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let mut out = vec![255u8; w * h];
    let (s, c) = (f64::from(deg).to_radians().sin(), f64::from(deg).to_radians().cos());
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    const ONE: f64 = 65536.0;
    // Output (x, y) takes the source at R(-deg)·(x - cx, y - cy) + c:
    // sx = c·dx + s·dy + cx, sy = -s·dx + c·dy + cy.
    let (dsx, dsy) = ((c * ONE).round() as i64, (-s * ONE).round() as i64);
    let (maxx, maxy) = (((w - 1) as i64) << 16, ((h - 1) as i64) << 16);
    let inside = |sx: i64, sy: i64| sx >= 0 && sy >= 0 && sx < maxx && sy < maxy;
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let dy = y as f64 - cy;
        let sx0 = ((c * -cx + s * dy + cx) * ONE).round() as i64;
        let sy0 = ((-s * -cx + c * dy + cy) * ONE).round() as i64;
        // The span [a, b) of x whose source is inside, from the line
        // equations, then nudged to be exact.
        let span = |p0: i64, dp: i64, max: i64| -> (f64, f64) {
            if dp == 0 {
                return if p0 >= 0 && p0 < max { (f64::MIN, f64::MAX) } else { (0.0, 0.0) };
            }
            let (t0, t1) = (-(p0 as f64) / dp as f64, (max - p0) as f64 / dp as f64);
            (t0.min(t1), t0.max(t1))
        };
        let (ax, bx) = span(sx0, dsx, maxx);
        let (ay, by) = span(sy0, dsy, maxy);
        let mut a = ax.max(ay).max(0.0).ceil().min(w as f64) as usize;
        let mut b = bx.min(by).min(w as f64).floor().max(0.0) as usize;
        let at = |x: usize| (sx0 + x as i64 * dsx, sy0 + x as i64 * dsy);
        while a < b && !{ let (p, q) = at(a); inside(p, q) } {
            a += 1;
        }
        while b > a && !{ let (p, q) = at(b - 1); inside(p, q) } {
            b -= 1;
        }
        if a >= b {
            a = w;
            b = w;
        }
        while b < w && { let (p, q) = at(b); inside(p, q) } {
            b += 1;
        }
        // Inside span: bilinear, no edge checks. Coordinates fit in i32:
        // sides are at most MAX_SIDE (< 2^15) pixels.
        let (sx, sy) = at(a);
        let (mut sx, mut sy, dx, dy) = (sx as i32, sy as i32, dsx as i32, dsy as i32);
        for o in &mut row[a..b] {
            let i = (sy >> 16) as usize * w + (sx >> 16) as usize;
            let (r0, r1) = (&src[i..i + 2], &src[i + w..i + w + 2]);
            if FLAT && r0[0] == r0[1] && r1[0] == r1[1] && r0[0] == r1[0] {
                // Uniform paper (or solid ink): nothing to interpolate.
                *o = r0[0];
                sx += dx;
                sy += dy;
                continue;
            }
            let (p00, p01, p10, p11) = (i32::from(r0[0]), i32::from(r0[1]), i32::from(r1[0]), i32::from(r1[1]));
            let fx = (sx & 0xFFFF) >> 8;
            let fy = (sy & 0xFFFF) >> 8;
            let top = (p00 << 8) + (p01 - p00) * fx;
            let bottom = (p10 << 8) + (p11 - p10) * fx;
            *o = (((top << 8) + (bottom - top) * fy + (1 << 15)) >> 16) as u8;
            sx += dx;
            sy += dy;
        }
        // Edges: the last source row or column is copied; outside is white.
        for x in (0..a).chain(b..w) {
            let (sx, sy) = at(x);
            let (ix, iy) = (sx >> 16, sy >> 16);
            if ix >= 0 && iy >= 0 && ix < w as i64 && iy < h as i64 {
                row[x] = src[iy as usize * w + ix as usize];
            }
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("buffer size matches")
}

/// A page of `w`×`h` white pixels (for tests and measurement).
pub fn white_page(w: u32, h: u32) -> GrayImage {
    GrayImage::from_pixel(w, h, Luma([255]))
}

#[cfg(test)]
mod tests;

//! Rendered text pages with known damage, for the preparation tests and
//! `examples/prepare_measure.rs`. Not part of the pipeline.

use ab_glyph::{FontVec, PxScale};
use image::{GrayImage, Luma};

/// Fonts tried in order; the first that exists is used.
pub const FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
];

pub fn load_font(path: &str) -> Option<FontVec> {
    let bytes = std::fs::read(path).ok()?;
    FontVec::try_from_vec(bytes).ok()
}

pub fn any_font() -> Option<FontVec> {
    FONTS.iter().find_map(|p| load_font(p))
}

/// A small deterministic generator (no dependency).
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    pub fn below(&mut self, n: u32) -> u32 {
        self.next_u32() % n.max(1)
    }
    pub fn unit(&mut self) -> f32 {
        self.next_u32() as f32 / (1u64 << 31) as f32
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u32) as usize]
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.unit().max(1e-7);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
    }
}

const FAMILY: [&str; 8] = ["Thompson", "Miller", "Garcia", "Nguyen", "Okafor", "Lindqvist", "Patel", "Kowalski"];
const GIVEN: [&str; 8] = ["Margaret A", "John R", "Maria", "Huong", "Chidi", "Astrid", "Ravi", "Jadwiga"];
const SENTENCES: [&str; 10] = [
    "Patient reports feeling well and denies chest pain or shortness of breath.",
    "Blood glucose logs reviewed; fasting values are within the target range.",
    "Continue current medications and follow up in three months.",
    "Physical examination is unremarkable except for mild pedal edema.",
    "Discussed diet, daily walking and weight loss goals with the patient.",
    "Refill given for lisinopril; labs ordered including lipid panel and A1c.",
    "No known drug allergies. Immunizations are up to date per record.",
    "Right knee pain, worse with stairs, improved with ibuprofen as needed.",
    "Quality of sleep is good; appetite normal; no fever or night sweats.",
    "Shingles vaccine recommended; patient will schedule at the pharmacy.",
];

/// The text lines of a chart-like page (title, label–value lines, a
/// paragraph), deterministic for a seed.
pub fn page_lines(seed: u64) -> Vec<String> {
    let mut r = Lcg::new(seed);
    let title = r.pick(&["PROGRESS NOTE", "PATIENT REGISTRATION", "MEDICATION LIST", "IMMUNIZATION RECORD"]);
    let mut lines = vec![title.to_string()];
    lines.push(format!("Patient Name: {}, {}", r.pick(&FAMILY), r.pick(&GIVEN)));
    lines.push(format!("MRN: {:08}    Date of Birth: {:02}/{:02}/19{:02}", r.below(99_999_999), 1 + r.below(12), 1 + r.below(28), 30 + r.below(60)));
    lines.push(format!("Date of Service: {:02}/{:02}/20{:02}    Sex: {}", 1 + r.below(12), 1 + r.below(28), r.below(24), r.pick(&["F", "M"])));
    lines.push(format!("Provider: {} {}, MD    NPI: 1234567893", r.pick(&["John", "Sarah", "Ahmed", "Li"]), r.pick(&FAMILY)));
    lines.push(format!("BP: {}/{}   Pulse: {}   Temp: 98.{}   Weight: {} lb", 100 + r.below(60), 60 + r.below(30), 55 + r.below(40), r.below(10), 110 + r.below(120)));
    lines.push("Assessment:".to_string());
    lines.push(format!("E11.{} Type 2 diabetes mellitus without complications", r.below(10)));
    lines.push("I10 Essential (primary) hypertension".to_string());
    for _ in 0..9 {
        lines.push(r.pick(&SENTENCES).to_string());
    }
    lines.push(format!("Signed: {} {}, MD   {:02}/{:02}/2019", r.pick(&["John", "Sarah"]), r.pick(&FAMILY), 1 + r.below(12), 1 + r.below(28)));
    lines
}

/// Renders `lines` on a letter page (8.5 × 11 in) at `dpi`, 11 pt (the
/// first line 16 pt), one-inch margins, with a ruled box around the
/// label lines as forms have.
pub fn render(lines: &[String], dpi: u32, font: &FontVec) -> GrayImage {
    render_on(lines, dpi, font, 8.5, 11.0)
}

/// Like [`render`], on a sheet of `w_in` × `h_in` inches.
pub fn render_on(lines: &[String], dpi: u32, font: &FontVec, w_in: f32, h_in: f32) -> GrayImage {
    let (w, h) = ((w_in * dpi as f32) as u32, (h_in * dpi as f32) as u32);
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    let px = |pt: f32| pt / 72.0 * dpi as f32;
    let left = dpi as i32;
    let mut y = dpi as f32;
    for (i, line) in lines.iter().enumerate() {
        let size = if i == 0 { 16.0 } else { 11.0 };
        imageproc::drawing::draw_text_mut(&mut img, Luma([0]), left, y as i32, PxScale::from(px(size)), font, line);
        y += px(size) * 1.9;
        if i == 0 && lines.len() > 1 {
            // A ruled box under the title, as on forms.
            let top = (y - px(4.0)) as i32;
            let bottom = top + (px(11.0) * 1.9 * 5.0) as i32 + px(6.0) as i32;
            let rect = imageproc::rect::Rect::at(left - px(4.0) as i32, top).of_size(w - 2 * dpi + px(8.0) as u32, (bottom - top) as u32);
            imageproc::drawing::draw_hollow_rect_mut(&mut img, rect, Luma([0]));
            imageproc::drawing::draw_hollow_rect_mut(&mut img, imageproc::rect::Rect::at(rect.left() + 1, rect.top() + 1).of_size(rect.width() - 2, rect.height() - 2), Luma([0]));
            y += px(4.0);
        }
    }
    img
}

/// Faded print: ink at `ink`, paper at `paper`.
pub fn fade(img: &GrayImage, ink: u8, paper: u8) -> GrayImage {
    let (lo, hi) = (f32::from(ink), f32::from(paper));
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = (lo + f32::from(*p) / 255.0 * (hi - lo)).round() as u8;
    }
    out
}

/// Gaussian grain of standard deviation `sigma`.
pub fn grain(img: &GrayImage, sigma: f32, seed: u64) -> GrayImage {
    let mut r = Lcg::new(seed);
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = (f32::from(*p) + sigma * r.normal()).round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// Salt-and-pepper: a `fraction` of the pixels turned black or white.
pub fn salt_pepper(img: &GrayImage, fraction: f32, seed: u64) -> GrayImage {
    let mut r = Lcg::new(seed);
    let mut out = img.clone();
    for p in out.iter_mut() {
        if r.unit() < fraction {
            *p = if r.below(2) == 0 { 0 } else { 255 };
        }
    }
    out
}

/// Thresholded at 128: a 1-bit scan.
pub fn bitonal(img: &GrayImage) -> GrayImage {
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = if *p < 128 { 0 } else { 255 };
    }
    out
}

/// Uniform random noise over the whole page.
pub fn pure_noise(w: u32, h: u32, seed: u64) -> GrayImage {
    let mut r = Lcg::new(seed);
    GrayImage::from_fn(w, h, |_, _| Luma([r.below(256) as u8]))
}

/// A medication-list page: a title, a patient line and a ruled table (all
/// cells boxed), as the table document types look.
pub fn render_table(seed: u64, dpi: u32, font: &FontVec) -> (GrayImage, Vec<String>) {
    let mut r = Lcg::new(seed ^ 0x7ab1e);
    let (w, h) = ((8.5 * dpi as f32) as u32, (11.0 * dpi as f32) as u32);
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    let px = |pt: f32| pt / 72.0 * dpi as f32;
    let left = dpi as i32;
    let mut lines = vec!["MEDICATION LIST".to_string(), format!("Patient: {}, {}   MRN: {:08}", r.pick(&FAMILY), r.pick(&GIVEN), r.below(99_999_999))];
    imageproc::drawing::draw_text_mut(&mut img, Luma([0]), left, dpi as i32, PxScale::from(px(16.0)), font, &lines[0]);
    imageproc::drawing::draw_text_mut(&mut img, Luma([0]), left, dpi as i32 + px(32.0) as i32, PxScale::from(px(11.0)), font, &lines[1]);
    let cols = [0.0f32, 2.0, 3.2, 4.1, 5.3, 6.5];
    let header = ["Drug", "Dose", "Route", "Frequency", "Start"];
    let drugs = ["Metformin", "Lisinopril", "Atorvastatin", "Levothyroxine", "Amlodipine", "Omeprazole", "Sertraline", "Albuterol"];
    let row_h = px(11.0) * 2.0;
    let top = dpi as f32 + px(70.0);
    let rows = 12;
    for k in 0..=rows {
        let cells: Vec<String> = if k == 0 {
            header.iter().map(|s| s.to_string()).collect()
        } else {
            vec![
                r.pick(&drugs).to_string(),
                format!("{} mg", [5, 10, 20, 25, 50, 500][r.below(6) as usize]),
                r.pick(&["PO", "IV", "SC"]).to_string(),
                r.pick(&["daily", "BID", "TID", "QHS"]).to_string(),
                format!("{:02}/{:02}/20{:02}", 1 + r.below(12), 1 + r.below(28), r.below(24)),
            ]
        };
        let y = top + k as f32 * row_h;
        for (c, cell) in cells.iter().enumerate() {
            let x = left + (cols[c] * dpi as f32) as i32 + px(4.0) as i32;
            imageproc::drawing::draw_text_mut(&mut img, Luma([0]), x, (y + px(4.0)) as i32, PxScale::from(px(11.0)), font, cell);
        }
        lines.push(cells.join(" "));
    }
    // Rules: every row and every column.
    let (x0, x1) = (left as f32, left as f32 + cols[5] * dpi as f32);
    let (y0, y1) = (top, top + (rows + 1) as f32 * row_h);
    for k in 0..=rows + 1 {
        let y = top + k as f32 * row_h;
        imageproc::drawing::draw_line_segment_mut(&mut img, (x0, y), (x1, y), Luma([0]));
        imageproc::drawing::draw_line_segment_mut(&mut img, (x0, y + 1.0), (x1, y + 1.0), Luma([0]));
    }
    for &c in &cols {
        let x = left as f32 + c * dpi as f32;
        imageproc::drawing::draw_line_segment_mut(&mut img, (x, y0), (x, y1), Luma([0]));
        imageproc::drawing::draw_line_segment_mut(&mut img, (x + 1.0, y0), (x + 1.0, y1), Luma([0]));
    }
    (img, lines)
}

/// A sparse page: a title and a few label lines only.
pub fn sparse_lines(seed: u64) -> Vec<String> {
    page_lines(seed).into_iter().take(4).collect()
}

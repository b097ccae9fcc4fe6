//! Turns a planned page into a grey image at the chart's dpi: a small layout
//! engine for the page blocks (letter-size paper, text sized in points),
//! handwriting with jitter, then scan damage (skew, blur, faded ink, noise,
//! specks, punched holes, quarter turns).

use super::fonts::{Face, Fonts};
use super::page::{Block, BoxCell, Cell, Content, Doc, Hand, Pair, PagePlan, Rules, Scan, Smear};
use ab_glyph::{point, Font, FontArc, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;

pub const PAGE_W_IN: f32 = 8.5;
pub const PAGE_H_IN: f32 = 11.0;

/// Page size in pixels at a dpi.
pub fn page_size(dpi: u32) -> (u32, u32) {
    ((PAGE_W_IN * dpi as f32).round() as u32, (PAGE_H_IN * dpi as f32).round() as u32)
}

/// Renders a page (not `Content::Corrupt`, which has no image).
pub fn render(page: &PagePlan, dpi: u32, fonts: &Fonts, rng: &mut ChaCha8Rng) -> GrayImage {
    let img = match &page.content {
        Content::Doc(doc) => draw_doc(doc, dpi, fonts, rng),
        Content::Blank | Content::Corrupt => blank(dpi, rng),
        Content::Smear(kind) => smear(*kind, dpi, rng),
    };
    damage(img, &page.scan, dpi, rng)
}

fn blank(dpi: u32, rng: &mut ChaCha8Rng) -> GrayImage {
    let (w, h) = page_size(dpi);
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    // A few specks of dust.
    for _ in 0..rng.gen_range(0..6) {
        let (x, y) = (rng.gen_range(0..w) as i32, rng.gen_range(0..h) as i32);
        let r = rng.gen_range(1..=2);
        fill_ellipse(&mut img, (x, y), r, r, rng.gen_range(60..160));
    }
    img
}

fn smear(kind: Smear, dpi: u32, rng: &mut ChaCha8Rng) -> GrayImage {
    let (w, h) = page_size(dpi);
    let mut img = GrayImage::from_pixel(w, h, Luma([255]));
    match kind {
        Smear::Black => {
            // Overlapping dark blots cover nearly the whole sheet.
            for _ in 0..60 {
                let c = (rng.gen_range(0..w) as i32, rng.gen_range(0..h) as i32);
                let (rx, ry) = (rng.gen_range(w / 6..w / 2) as i32, rng.gen_range(h / 8..h / 3) as i32);
                fill_ellipse(&mut img, c, rx, ry, rng.gen_range(5..40));
            }
            for _ in 0..8 {
                let c = (rng.gen_range(0..w) as i32, rng.gen_range(0..h) as i32);
                let (rx, ry) = (rng.gen_range(w / 30..w / 10) as i32, rng.gen_range(h / 40..h / 12) as i32);
                fill_ellipse(&mut img, c, rx, ry, rng.gen_range(60..120));
            }
            // Streaks from the scanner glass, soft edges, toner grain.
            let buf: &mut [u8] = img.as_mut();
            for _ in 0..rng.gen_range(3..9) {
                let x0 = rng.gen_range(0..w) as usize;
                let width = rng.gen_range(2..(w as usize / 60).max(3));
                let v = rng.gen_range(0..90u8);
                for y in 0..h as usize {
                    for x in x0..(x0 + width).min(w as usize) {
                        buf[y * w as usize + x] = v;
                    }
                }
            }
            img = blur(img, dpi as f32 / 40.0);
            let mut state = rng.next_u64() | 1;
            for p in img.as_mut().iter_mut() {
                *p = (*p as f32 + gauss_sample(&mut state) * 18.0).clamp(0.0, 255.0) as u8;
            }
        }
        Smear::Dark => {
            let base: u8 = rng.gen_range(55..95);
            let mut state = rng.next_u64() | 1;
            for p in img.as_mut().iter_mut() {
                let n = gauss_sample(&mut state) * 45.0;
                *p = (base as f32 + n).clamp(0.0, 255.0) as u8;
            }
        }
    }
    img
}

// ------------------------------------------------------------- layout

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Regular,
    Bold,
}

struct Layout<'a> {
    img: GrayImage,
    dpi: f32,
    face: &'a Face,
    hand: &'a FontArc,
    /// The roughest handwriting font, for scrawled values.
    scrawl: &'a FontArc,
    /// Body size in points.
    size: f32,
    left: f32,
    right: f32,
    /// Top of the next line, pixels.
    y: f32,
    bold_labels: bool,
    hand_ink: u8,
    rng: &'a mut ChaCha8Rng,
    /// Boxes of faint values, blurred once everything is drawn.
    faint: Vec<(i32, i32, i32, i32)>,
}

fn px_scale(font: &FontArc, em_px: f32) -> PxScale {
    let upem = font.units_per_em().unwrap_or(1000.0);
    PxScale::from(em_px * font.height_unscaled() / upem)
}

/// How handwriting departs from print, per character: baseline shift and
/// size change (fractions of the em), advance factor range.
#[derive(Clone, Copy)]
struct Wobble {
    dy: f32,
    scale: f32,
    advance: (f32, f32),
}

const NEAT: Wobble = Wobble { dy: 0.05, scale: 0.05, advance: (0.97, 1.05) };
const SCRAWL: Wobble = Wobble { dy: 0.16, scale: 0.18, advance: (0.72, 1.0) };

/// Draws or measures a string; returns its advance width in pixels.
#[allow(clippy::too_many_arguments)]
fn glyphs(
    img: Option<&mut GrayImage>,
    font: &FontArc,
    em_px: f32,
    x: f32,
    baseline: f32,
    text: &str,
    ink: u8,
    jitter: Option<(&mut ChaCha8Rng, Wobble)>,
) -> f32 {
    let scale = px_scale(font, em_px);
    let scaled = font.as_scaled(scale);
    let mut caret = x;
    let mut prev = None;
    let mut img = img;
    let mut jitter = jitter;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let (dy, k, adv) = match jitter.as_mut() {
            Some((rng, w)) => (
                rng.gen_range(-w.dy..=w.dy) * em_px,
                1.0 + rng.gen_range(-w.scale..=w.scale),
                rng.gen_range(w.advance.0..=w.advance.1),
            ),
            None => (0.0, 1.0, 1.0),
        };
        if let Some(img) = img.as_deref_mut() {
            let glyph = id.with_scale_and_position(PxScale::from(scale.y * k), point(caret, baseline + dy));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let (w, h) = (img.width() as i32, img.height() as i32);
                let buf: &mut [u8] = img.as_mut();
                let target = ink as f32;
                outline.draw(|gx, gy, c| {
                    let px = b.min.x as i32 + gx as i32;
                    let py = b.min.y as i32 + gy as i32;
                    if px >= 0 && py >= 0 && px < w && py < h && c > 0.0 {
                        let i = (py * w + px) as usize;
                        let cur = buf[i] as f32;
                        if cur > target {
                            buf[i] = (cur - (cur - target) * c.min(1.0) + 0.5) as u8;
                        }
                    }
                });
            }
        }
        caret += scaled.h_advance(id) * k * adv;
        prev = Some(id);
    }
    caret - x
}

impl Layout<'_> {
    fn px(&self, pt: f32) -> f32 {
        pt * self.dpi / 72.0
    }

    fn line_h(&self, pt: f32) -> f32 {
        self.px(pt * 1.45)
    }

    fn font(&self, role: Role, hand: Hand) -> &FontArc {
        match (hand, role) {
            (Hand::Neat, _) => self.hand,
            (Hand::Faint, _) => self.scrawl,
            (Hand::Print, Role::Regular) => &self.face.regular,
            (Hand::Print, Role::Bold) => &self.face.bold,
        }
    }

    fn em(&self, pt: f32, hand: Hand) -> f32 {
        match hand {
            Hand::Print => self.px(pt),
            _ => self.px(pt * 1.12),
        }
    }

    fn measure(&self, text: &str, role: Role, pt: f32, hand: Hand) -> f32 {
        let font = self.font(role, hand).clone();
        glyphs(None, &font, self.em(pt, hand), 0.0, 0.0, text, 0, None)
    }

    fn baseline(&self, pt: f32) -> f32 {
        self.y + self.px(pt) * 1.05
    }

    /// Draws text with its baseline at `baseline`; returns the width.
    fn text(&mut self, x: f32, baseline: f32, text: &str, role: Role, pt: f32, hand: Hand) -> f32 {
        let font = self.font(role, hand).clone();
        let em = self.em(pt, hand);
        match hand {
            Hand::Print => glyphs(Some(&mut self.img), &font, em, x, baseline, text, 0, None),
            Hand::Neat => {
                let ink = self.hand_ink;
                glyphs(Some(&mut self.img), &font, em, x, baseline, text, ink, Some((&mut *self.rng, NEAT)))
            }
            Hand::Faint => {
                // Scrawled in the roughest hand, faint, with a stray stroke
                // through it, blurred afterwards.
                let font = self.scrawl.clone();
                let ink = self.rng.gen_range(115..=135);
                let w = glyphs(Some(&mut self.img), &font, em, x, baseline, text, ink, Some((&mut *self.rng, SCRAWL)));
                self.stroke(x, baseline - em * 0.3, w, em, ink);
                let pad = em * 0.4;
                self.faint.push(((x - pad) as i32, (baseline - em * 1.2) as i32, (w + 2.0 * pad) as i32, (em * 1.8) as i32));
                w
            }
        }
    }

    /// Text shrunk to fit `avail` pixels when needed.
    #[allow(clippy::too_many_arguments)]
    fn fit(&mut self, x: f32, baseline: f32, text: &str, role: Role, pt: f32, hand: Hand, avail: f32) -> f32 {
        let w = self.measure(text, role, pt, hand);
        let pt = if w > avail && w > 0.0 { pt * (avail / w).max(0.55) } else { pt };
        self.text(x, baseline, text, role, pt, hand)
    }

    /// A wavy pen stroke across a word.
    fn stroke(&mut self, x: f32, y: f32, w: f32, em: f32, ink: u8) {
        let amp = em * self.rng.gen_range(0.1..0.25);
        let period = em * self.rng.gen_range(1.5..3.0);
        let phase: f32 = self.rng.gen_range(0.0..std::f32::consts::TAU);
        let t = (self.dpi / 200.0).round().max(1.0) as i32;
        let (iw, ih) = (self.img.width() as i32, self.img.height() as i32);
        let buf: &mut [u8] = self.img.as_mut();
        for i in 0..(w as i32) {
            let yy = (y + amp * ((i as f32 / period) * std::f32::consts::TAU + phase).sin()) as i32;
            let xx = x as i32 + i;
            for dy in 0..t {
                let (px, py) = (xx, yy + dy);
                if px >= 0 && py >= 0 && px < iw && py < ih {
                    let j = (py * iw + px) as usize;
                    buf[j] = buf[j].min(ink);
                }
            }
        }
    }

    fn hline(&mut self, x0: f32, x1: f32, y: f32) {
        let t = (self.dpi / 150.0).round().max(1.0) as u32;
        let (w, h) = (self.img.width(), self.img.height());
        let y0 = y.max(0.0) as u32;
        let (a, b) = ((x0.max(0.0) as u32).min(w), (x1.max(0.0) as u32).min(w));
        let buf: &mut [u8] = self.img.as_mut();
        for yy in y0..(y0 + t).min(h) {
            let row = (yy * w) as usize;
            if a < b {
                buf[row + a as usize..row + b as usize].fill(0);
            }
        }
    }

    fn vline(&mut self, x: f32, y0: f32, y1: f32) {
        let t = (self.dpi / 150.0).round().max(1.0) as u32;
        let (w, h) = (self.img.width(), self.img.height());
        let x0 = x.max(0.0) as u32;
        let buf: &mut [u8] = self.img.as_mut();
        for yy in (y0.max(0.0) as u32)..(y1.max(0.0) as u32).min(h) {
            let row = (yy * w) as usize;
            if x0 < w {
                buf[row + x0 as usize..row + (x0 + t).min(w) as usize].fill(0);
            }
        }
    }

    /// A horizontal rule `k` times as thick as a thin one.
    fn thick_hline(&mut self, x0: f32, x1: f32, y: f32, k: u32) {
        let t = (self.dpi / 150.0).round().max(1.0);
        for i in 0..k {
            self.hline(x0, x1, y - t * (k / 2) as f32 + t * i as f32);
        }
    }

    /// A rule of dashes with uneven gaps, some dashes broken.
    fn dashed_hline(&mut self, x0: f32, x1: f32, y: f32) {
        let (dash, gap) = (self.dpi * 0.06, self.dpi * 0.03);
        let mut x = x0;
        while x < x1 {
            let d = dash * self.rng.gen_range(0.6..1.3);
            if self.rng.gen_bool(0.9) {
                self.hline(x, (x + d).min(x1), y);
            }
            x += d + gap * self.rng.gen_range(0.6..1.6);
        }
    }

    fn dashed_vline(&mut self, x: f32, y0: f32, y1: f32) {
        let (dash, gap) = (self.dpi * 0.06, self.dpi * 0.03);
        let mut y = y0;
        while y < y1 {
            let d = dash * self.rng.gen_range(0.6..1.3);
            if self.rng.gen_bool(0.9) {
                self.vline(x, y, (y + d).min(y1));
            }
            y += d + gap * self.rng.gen_range(0.6..1.6);
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.hline(x, x + w, y);
        self.hline(x, x + w, y + h);
        self.vline(x, y, y + h);
        self.vline(x + w, y, y + h);
    }

    fn label_role(&self) -> Role {
        if self.bold_labels {
            Role::Bold
        } else {
            Role::Regular
        }
    }

    fn space(&self, pt: f32) -> f32 {
        self.measure(" ", Role::Regular, pt, Hand::Print).max(self.px(pt) * 0.25)
    }

    /// A label and its value from `x`; the value starts at `value_x` when given.
    /// An empty value is a blank line to write on.
    fn pair(&mut self, x: f32, baseline: f32, p: &Pair, value_x: Option<f32>, limit: f32, pt: f32) {
        let role = self.label_role();
        let lw = self.text(x, baseline, &p.label, role, pt, Hand::Print);
        let vx = value_x.unwrap_or(x + lw + self.space(pt));
        if p.value.is_empty() {
            let end = (vx + self.px(110.0)).min(limit);
            self.hline(vx, end, baseline + self.px(2.0));
        } else {
            self.fit(vx, baseline, &p.value, Role::Regular, pt, p.hand, limit - vx);
        }
    }

    fn pair_width(&self, p: &Pair, pt: f32) -> f32 {
        let role = self.label_role();
        let v = if p.value.is_empty() { self.px(110.0) } else { self.measure(&p.value, Role::Regular, pt, p.hand) };
        self.measure(&p.label, role, pt, Hand::Print) + self.space(pt) + v
    }

    fn block(&mut self, b: &Block) {
        let size = self.size;
        let width = self.right - self.left;
        let page_w = self.img.width() as f32;
        match b {
            Block::Letterhead(lines) => {
                for (i, line) in lines.iter().enumerate() {
                    let (role, pt) = if i == 0 { (Role::Bold, size * 1.2) } else { (Role::Regular, size * 0.9) };
                    let w = self.measure(line, role, pt, Hand::Print);
                    let base = self.baseline(pt);
                    self.text((page_w - w) / 2.0, base, line, role, pt, Hand::Print);
                    self.y += self.line_h(pt);
                }
                self.y += self.px(4.0);
            }
            Block::Title(t) => {
                let pt = size * 1.4;
                let w = self.measure(t, Role::Bold, pt, Hand::Print);
                let base = self.baseline(pt);
                self.text((page_w - w) / 2.0, base, t, Role::Bold, pt, Hand::Print);
                self.y += self.line_h(pt) * 1.2;
            }
            Block::Heading(t) => {
                self.y += self.px(4.0);
                let base = self.baseline(size);
                self.text(self.left, base, t, Role::Bold, size, Hand::Print);
                self.y += self.line_h(size);
            }
            Block::Pairs { cols, align, items } => {
                if *cols >= 2 {
                    let col_w = width / 2.0;
                    for row in items.chunks(2) {
                        let base = self.baseline(size);
                        for (c, p) in row.iter().enumerate() {
                            let x = self.left + c as f32 * col_w;
                            let limit = x + col_w - self.px(12.0);
                            self.pair(x, base, p, None, limit, size);
                        }
                        self.y += self.line_h(size);
                    }
                } else {
                    let role = self.label_role();
                    let col = if *align {
                        let widest = items.iter().map(|p| self.measure(&p.label, role, size, Hand::Print)).fold(0.0, f32::max);
                        Some(self.left + (widest + self.px(size)).min(width * 0.45))
                    } else {
                        None
                    };
                    for p in items {
                        let base = self.baseline(size);
                        let right = self.right;
                        self.pair(self.left, base, p, col, right, size);
                        self.y += self.line_h(size);
                    }
                }
            }
            Block::Inline(items) => self.inline(items, 2.2),
            Block::Row { items, gap_em } => self.inline(items, *gap_em),
            Block::Grid(rows) => {
                let label_pt = size * 0.8;
                let pad = self.px(3.0);
                let label_h = pad * 2.0 + self.line_h(label_pt);
                let value_h = pad * 2.0 + self.line_h(size * 1.1);
                for row in rows {
                    let total: f32 = row.iter().map(|c| c.weight).sum();
                    let mut x = self.left;
                    let y0 = self.y;
                    for cell in row {
                        let w = width * cell.weight / total;
                        self.rect(x, y0, w, label_h);
                        self.rect(x, y0 + label_h, w, value_h);
                        let role = self.label_role();
                        let base = y0 + pad + self.px(label_pt) * 1.05;
                        self.fit(x + pad * 1.5, base, &cell.label, role, label_pt, Hand::Print, w - 3.0 * pad);
                        if !cell.value.is_empty() {
                            let vbase = y0 + label_h + pad + self.px(size) * 1.15;
                            self.fit(x + pad * 2.0, vbase, &cell.value, Role::Regular, size, cell.hand, w - 4.0 * pad);
                        }
                        x += w;
                    }
                    self.y = y0 + label_h + value_h;
                }
                self.y += self.px(8.0);
            }
            Block::SignBelow { label, name, hand, date_label, date } => {
                let base = self.baseline(size);
                let role = self.label_role();
                let lw = self.text(self.left, base, label, role, size, Hand::Print);
                let x0 = self.left + lw + self.space(size);
                let x1 = (x0 + self.px(200.0)).min(self.right - self.px(150.0));
                self.hline(x0, x1, base + self.px(2.0));
                // A pen scribble on the rule: the signature itself, no text.
                let em = self.px(size);
                let ink = self.hand_ink;
                let w = (x1 - x0) * self.rng.gen_range(0.5..0.85);
                self.stroke(x0 + self.px(6.0), base - em * 0.35, w, em * 1.4, ink);
                self.stroke(x0 + self.px(14.0), base - em * 0.2, w * 0.7, em, ink);
                let dx = x1 + self.px(size * 2.0);
                let right = self.right;
                let dw = self.text(dx, base, date_label, role, size, Hand::Print);
                self.fit(dx + dw + self.space(size), base, date, Role::Regular, size, Hand::Print, right - dx - dw);
                self.y += self.line_h(size) * 1.1;
                let base = self.baseline(size);
                self.fit(x0, base, name, Role::Regular, size, *hand, right - x0);
                self.y += self.line_h(size);
            }
            Block::Boxes(rows) => {
                let label_pt = size * 0.72;
                let pad = self.px(3.0);
                let box_h = pad * 2.0 + self.line_h(label_pt) * 0.95 + self.line_h(size * 1.1);
                for row in rows {
                    let total: f32 = row.iter().map(|c| c.weight).sum();
                    let mut x = self.left;
                    for cell in row {
                        let w = width * cell.weight / total;
                        self.boxed(x, w, box_h, cell, label_pt, pad);
                        x += w;
                    }
                    self.y += box_h;
                }
                self.y += self.px(8.0);
            }
            Block::Sticker(items) => {
                let pt = size * 0.95;
                let pad = self.px(5.0);
                let w = items.iter().map(|p| self.pair_width(p, pt)).fold(0.0, f32::max) + 2.0 * pad;
                let w = w.min(width * 0.75);
                let h = self.line_h(pt) * items.len() as f32 + 2.0 * pad;
                let x0 = self.right - w;
                let y0 = self.y;
                self.rect(x0, y0, w, h);
                self.y += pad;
                for p in items {
                    let base = self.baseline(pt);
                    self.pair(x0 + pad, base, p, None, x0 + w - pad, pt);
                    self.y += self.line_h(pt);
                }
                self.y = y0 + h + self.px(6.0);
            }
            Block::Para { label, text } => {
                let base = self.baseline(size);
                let mut x = self.left;
                if let Some(l) = label {
                    let role = self.label_role();
                    x += self.text(x, base, l, role, size, Hand::Print) + self.space(size);
                }
                let space = self.space(size);
                let mut base = base;
                for word in text.split_whitespace() {
                    let w = self.measure(word, Role::Regular, size, Hand::Print);
                    if x + w > self.right && x > self.left {
                        self.y += self.line_h(size);
                        base = self.baseline(size);
                        x = self.left;
                    }
                    self.text(x, base, word, Role::Regular, size, Hand::Print);
                    x += w + space;
                }
                self.y += self.line_h(size);
            }
            Block::Codes { label, items, first_inline } => {
                let base = self.baseline(size);
                let role = self.label_role();
                let lw = self.text(self.left, base, label, role, size, Hand::Print);
                let x = if *first_inline { self.left + lw + self.space(size) } else { self.left + self.px(24.0) };
                if !*first_inline {
                    self.y += self.line_h(size);
                }
                for item in items {
                    let base = self.baseline(size);
                    let right = self.right;
                    self.fit(x, base, item, Role::Regular, size, Hand::Print, right - x);
                    self.y += self.line_h(size);
                }
            }
            Block::Table { headers, widths, rows, ruled, rules } => self.table(headers, widths, rows, *ruled, *rules),
            Block::Line { text, hand } => {
                let base = self.baseline(size);
                let right = self.right;
                self.fit(self.left, base, text, Role::Regular, size, *hand, right - self.left);
                self.y += self.line_h(size);
            }
            Block::Gap(pt) => self.y += self.px(*pt),
            Block::Rule => {
                let y = self.y + self.px(size * 0.3);
                let (l, r) = (self.left, self.right);
                self.hline(l, r, y);
                self.y += self.px(size * 0.8);
            }
        }
    }

    /// Pairs on one line, `gap_em` ems of the body size apart, shrunk to
    /// fit the text width when needed.
    fn inline(&mut self, items: &[Pair], gap_em: f32) {
        let size = self.size;
        let width = self.right - self.left;
        let gap = self.px(size * gap_em);
        let total: f32 = items.iter().map(|p| self.pair_width(p, size)).sum::<f32>() + gap * (items.len().saturating_sub(1)) as f32;
        let pt = if total > width { size * (width / total).max(0.6) } else { size };
        let gap = gap * pt / size;
        let base = self.baseline(pt);
        let mut x = self.left;
        for p in items {
            let w = self.pair_width(p, pt);
            let right = self.right;
            self.pair(x, base, p, None, right, pt);
            x += w + gap;
        }
        self.y += self.line_h(size);
    }

    fn boxed(&mut self, x: f32, w: f32, h: f32, cell: &BoxCell, label_pt: f32, pad: f32) {
        let y0 = self.y;
        self.rect(x, y0, w, h);
        let base = y0 + pad + self.px(label_pt) * 1.0;
        let role = self.label_role();
        self.fit(x + pad * 1.5, base, &cell.label, role, label_pt, Hand::Print, w - 3.0 * pad);
        if !cell.value.is_empty() {
            let vbase = y0 + pad + self.line_h(label_pt) * 0.95 + self.px(self.size) * 1.05;
            let size = self.size;
            self.fit(x + pad * 2.5, vbase, &cell.value, Role::Regular, size, cell.hand, w - 4.0 * pad);
        }
    }

    fn table(&mut self, headers: &[String], widths: &[f32], rows: &[Vec<Cell>], ruled: bool, rules: Rules) {
        let size = self.size;
        let width = self.right - self.left;
        let row_h = self.line_h(size) * 1.3;
        let pad = self.px(4.0);
        let mut xs = vec![self.left];
        for w in widths {
            let last = *xs.last().expect("x");
            xs.push(last + w * width);
        }
        let top = self.y;
        let text_base = |y: f32, this: &Self| y + row_h * 0.5 + this.px(size) * 0.38;
        // Header row.
        let base = text_base(self.y, self);
        for (i, h) in headers.iter().enumerate() {
            let avail = xs[i + 1] - xs[i] - 2.0 * pad;
            self.fit(xs[i] + pad, base, h, Role::Bold, size, Hand::Print, avail);
        }
        self.y += row_h;
        let (l, r) = (self.left, self.right);
        let ruled_as = if ruled { Some(rules) } else { None };
        match ruled_as {
            Some(Rules::Dashed) => self.dashed_hline(l, r, self.y),
            Some(Rules::ThickHeader) => self.thick_hline(l, r, self.y, 3),
            _ => self.hline(l, r, self.y),
        }
        for row in rows {
            let base = text_base(self.y, self);
            for (i, cell) in row.iter().enumerate().take(xs.len() - 1) {
                if cell.text.is_empty() {
                    continue;
                }
                let avail = xs[i + 1] - xs[i] - 2.0 * pad;
                self.fit(xs[i] + pad, base, &cell.text, Role::Regular, size, cell.hand, avail);
            }
            self.y += row_h;
            match ruled_as {
                Some(Rules::Grid | Rules::Horizontal) => self.hline(l, r, self.y),
                Some(Rules::Dashed) => self.dashed_hline(l, r, self.y),
                Some(Rules::ThickHeader) | None => {}
            }
        }
        match ruled_as {
            Some(Rules::Grid) => {
                self.hline(l, r, top);
                for x in xs.clone() {
                    let y = self.y;
                    self.vline(x.min(r), top, y);
                }
            }
            Some(Rules::Horizontal) => self.hline(l, r, top),
            Some(Rules::Dashed) => {
                self.dashed_hline(l, r, top);
                for x in xs.clone() {
                    let y = self.y;
                    self.dashed_vline(x.min(r), top, y);
                }
            }
            Some(Rules::ThickHeader) => {
                self.thick_hline(l, r, top, 3);
                let y = self.y;
                self.thick_hline(l, r, y, 2);
            }
            None => {}
        }
        self.y += self.px(8.0);
    }
}

fn draw_doc(doc: &Doc, dpi: u32, fonts: &Fonts, rng: &mut ChaCha8Rng) -> GrayImage {
    let (w, h) = page_size(dpi);
    let bottom = h as f32 - 0.5 * dpi as f32;
    let bold_labels = rng.gen_bool(0.3);
    let hand_ink = rng.gen_range(25..=70);
    let mut size = doc.size_pt;
    loop {
        let mut lay = Layout {
            img: GrayImage::from_pixel(w, h, Luma([255])),
            dpi: dpi as f32,
            face: fonts.face(doc.class, doc.font),
            hand: fonts.hand(doc.hand_font),
            scrawl: fonts.hand(0),
            size,
            left: doc.margin_in.0 * dpi as f32,
            right: (PAGE_W_IN - doc.margin_in.0) * dpi as f32,
            y: doc.margin_in.1 * dpi as f32,
            bold_labels,
            hand_ink,
            rng: &mut *rng,
            faint: Vec::new(),
        };
        for b in &doc.blocks {
            lay.block(b);
        }
        if lay.y > bottom && size > doc.size_pt * 0.7 {
            size *= 0.9;
            continue;
        }
        let mut img = lay.img;
        for (x, y, bw, bh) in lay.faint {
            blur_region(&mut img, x, y, bw, bh, dpi as f32 / 300.0);
        }
        return img;
    }
}

fn blur_region(img: &mut GrayImage, x: i32, y: i32, w: i32, h: i32, sigma: f32) {
    let x0 = x.clamp(0, img.width() as i32 - 1) as u32;
    let y0 = y.clamp(0, img.height() as i32 - 1) as u32;
    let x1 = (x + w).clamp(0, img.width() as i32) as u32;
    let y1 = (y + h).clamp(0, img.height() as i32) as u32;
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return;
    }
    let sub = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
    let blurred = blur(sub, sigma);
    image::imageops::replace(img, &blurred, x0 as i64, y0 as i64);
}

// ------------------------------------------------------------- damage

/// A roughly normal sample (mean 0, sd 1) from a xorshift state: the sum of
/// four uniform bytes.
fn gauss_sample(state: &mut u64) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    let v = *state as u32;
    let s = (v & 0xff) + ((v >> 8) & 0xff) + ((v >> 16) & 0xff) + (v >> 24);
    (s as f32 - 510.0) / 147.8
}

fn damage(img: GrayImage, scan: &Scan, dpi: u32, rng: &mut ChaCha8Rng) -> GrayImage {
    let mut img = img;
    if scan.skew_deg.abs() > 0.05 {
        img = rotate(&img, scan.skew_deg.to_radians());
    }
    if scan.blur > 0.0 {
        img = blur(img, scan.blur * dpi as f32 / 300.0);
    }
    if scan.dropouts > 0.0 {
        dropouts(&mut img, scan.dropouts, dpi, rng);
    }
    // Paper and ink levels, faded print.
    let paper = scan.paper as f32;
    let span = (paper - scan.ink as f32) * scan.contrast;
    let lut: Vec<u8> = (0..256).map(|v| (paper - (255.0 - v as f32) / 255.0 * span).clamp(0.0, 255.0).round() as u8).collect();
    for p in img.as_mut().iter_mut() {
        *p = lut[*p as usize];
    }
    if scan.noise > 0.0 {
        let mut state = rng.next_u64() | 1;
        let sigma = scan.noise;
        for p in img.as_mut().iter_mut() {
            let n = gauss_sample(&mut state) * sigma;
            *p = (*p as f32 + n).clamp(0.0, 255.0) as u8;
        }
    }
    let (w, h) = img.dimensions();
    if scan.salt > 0.0 {
        let n = (scan.salt as f64 * w as f64 * h as f64) as usize;
        for _ in 0..n {
            let (x, y) = (rng.gen_range(0..w), rng.gen_range(0..h));
            let v = if rng.gen_bool(0.7) { rng.gen_range(0..60) } else { 255 };
            img.put_pixel(x, y, Luma([v]));
            if rng.gen_bool(0.3) && x + 1 < w {
                img.put_pixel(x + 1, y, Luma([v]));
            }
        }
    }
    if scan.streaks > 0 {
        streaks(&mut img, scan.streaks, scan.paper, dpi, rng);
    }
    if scan.holes {
        let r = (0.13 * dpi as f32) as i32;
        let x = (0.4 * dpi as f32) as i32;
        let dark = rng.gen_range(20..60);
        let ys: &[f32] = if rng.gen_bool(0.5) { &[0.18, 0.5, 0.82] } else { &[0.25, 0.75] };
        for fy in ys {
            fill_ellipse(&mut img, (x, (fy * h as f32) as i32), r, r, dark);
        }
    }
    match scan.quarter_turns % 4 {
        1 => image::imageops::rotate90(&img),
        2 => image::imageops::rotate180(&img),
        3 => image::imageops::rotate270(&img),
        _ => img,
    }
}

/// Small spots where the ink is lost: on the image before paper and ink
/// levels, each spot lifts the pixels under it most of the way to white, so
/// that strokes through it come out broken, in a bitonal scan above all.
/// `per_sq_in` spots per square inch, 0.5 to 2 points across.
fn dropouts(img: &mut GrayImage, per_sq_in: f32, dpi: u32, rng: &mut ChaCha8Rng) {
    let (w, h) = img.dimensions();
    let n = (per_sq_in * (w as f32 / dpi as f32) * (h as f32 / dpi as f32)) as usize;
    let buf: &mut [u8] = img.as_mut();
    for _ in 0..n {
        let (cx, cy) = (rng.gen_range(0..w) as i32, rng.gen_range(0..h) as i32);
        let r = (rng.gen_range(0.25..1.0) * dpi as f32 / 72.0).max(1.0);
        let lift = rng.gen_range(0.6..0.95);
        let ri = r.ceil() as i32;
        for y in (cy - ri).max(0)..(cy + ri + 1).min(h as i32) {
            for x in (cx - ri).max(0)..(cx + ri + 1).min(w as i32) {
                let (dx, dy) = ((x - cx) as f32, (y - cy) as f32);
                if dx * dx + dy * dy <= r * r {
                    let i = (y as u32 * w + x as u32) as usize;
                    let v = buf[i] as f32;
                    buf[i] = (v + (255.0 - v) * lift) as u8;
                }
            }
        }
    }
}

/// Fax streaks: scan lines lost across the page (a row or two of paper
/// through the text) and, on some pages, a thin grey line down the page
/// from dirt on the scanner glass.
fn streaks(img: &mut GrayImage, n: u8, paper: u8, dpi: u32, rng: &mut ChaCha8Rng) {
    let (w, h) = img.dimensions();
    let buf: &mut [u8] = img.as_mut();
    for _ in 0..n {
        let y0 = rng.gen_range(0..h) as usize;
        let rows = rng.gen_range(1..=(dpi / 150).max(1)) as usize;
        // A lost line may cover the whole width or a run of it.
        let (x0, x1) = if rng.gen_bool(0.5) {
            (0, w as usize)
        } else {
            let a = rng.gen_range(0..w) as usize;
            (a, (a + rng.gen_range(w / 8..w / 2) as usize).min(w as usize))
        };
        for y in y0..(y0 + rows).min(h as usize) {
            buf[y * w as usize + x0..y * w as usize + x1].fill(paper);
        }
    }
    if rng.gen_bool(0.3) {
        let x = rng.gen_range(w / 10..w - w / 10) as usize;
        let v = rng.gen_range(90..150u8);
        for y in 0..h as usize {
            let i = y * w as usize + x;
            buf[i] = buf[i].min(v);
        }
    }
}

// ------------------------------------------------- pixel helpers
//
// Written on raw buffers rather than with imageproc's generic functions:
// those are compiled at the caller's optimisation level, which makes a debug
// build take seconds per page; these loops stay fast enough unoptimised.

/// Gaussian blur through the image crate (compiled optimised there).
fn blur(img: GrayImage, sigma: f32) -> GrayImage {
    image::DynamicImage::ImageLuma8(img).blur(sigma).into_luma8()
}

/// Rotates clockwise by `theta` radians about the centre, bilinear, white
/// outside the source.
fn rotate(src: &GrayImage, theta: f32) -> GrayImage {
    let (w, h) = src.dimensions();
    let (wi, hi) = (w as i32, h as i32);
    let data = src.as_raw();
    let mut out = vec![255u8; data.len()];
    let (s, c) = theta.sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    for y in 0..h {
        let dy = y as f32 - cy;
        // Source of (x, y): rotate back by theta.
        let mut sx = cx + (0.0 - cx) * c + dy * s;
        let mut sy = cy - (0.0 - cx) * s + dy * c;
        let row = (y * w) as usize;
        for x in 0..w as usize {
            let x0 = sx.floor() as i32;
            let y0 = sy.floor() as i32;
            if x0 >= 0 && y0 >= 0 && x0 + 1 < wi && y0 + 1 < hi {
                let fx = sx - x0 as f32;
                let fy = sy - y0 as f32;
                let i = (y0 * wi + x0) as usize;
                let a = data[i] as f32;
                let b = data[i + 1] as f32;
                let cc = data[i + w as usize] as f32;
                let d = data[i + w as usize + 1] as f32;
                let top = a + (b - a) * fx;
                let bottom = cc + (d - cc) * fx;
                out[row + x] = (top + (bottom - top) * fy + 0.5) as u8;
            }
            sx += c;
            sy -= s;
        }
    }
    GrayImage::from_raw(w, h, out).expect("same size")
}

/// Fills an axis-aligned ellipse with a grey level.
fn fill_ellipse(img: &mut GrayImage, center: (i32, i32), rx: i32, ry: i32, v: u8) {
    let (w, h) = (img.width() as i32, img.height() as i32);
    let (rx, ry) = (rx.max(1), ry.max(1));
    let buf: &mut [u8] = img.as_mut();
    for y in (center.1 - ry).max(0)..(center.1 + ry + 1).min(h) {
        let t = (y - center.1) as f32 / ry as f32;
        let half = (rx as f32 * (1.0 - t * t).max(0.0).sqrt()) as i32;
        let x0 = (center.0 - half).max(0);
        let x1 = (center.0 + half + 1).min(w);
        if x0 < x1 {
            let row = (y * w) as usize;
            buf[row + x0 as usize..row + x1 as usize].fill(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::page::{FontClass, PagePlan};
    use rand::SeedableRng;

    #[test]
    fn rotation_keeps_the_page_and_turns_it() {
        let mut img = GrayImage::from_pixel(101, 81, Luma([255]));
        img.put_pixel(80, 40, Luma([0]));
        assert_eq!(rotate(&img, 0.0), img);
        // A quarter turn clockwise about the centre (50.5, 40.5) takes (80, 40) near (50, 70).
        let r = rotate(&img, std::f32::consts::FRAC_PI_2);
        let (x, y, _) = r.enumerate_pixels().min_by_key(|(_, _, p)| p.0[0]).unwrap();
        assert!((x as i32 - 51).abs() <= 1 && (y as i32 - 70).abs() <= 1, "{x},{y}");
    }

    #[test]
    fn a_page_is_drawn_at_its_size_with_ink() {
        let fonts = Fonts::load().unwrap();
        let doc = Doc {
            class: FontClass::Serif,
            font: 1,
            hand_font: 1,
            size_pt: 11.0,
            margin_in: (1.0, 0.8),
            blocks: vec![
                Block::Title("PROGRESS NOTE".into()),
                Block::Pairs { cols: 2, align: false, items: vec![Pair::new("MRN:", "00482913"), Pair::new("DOB:", "3/14/52").hand(Hand::Neat)] },
            ],
        };
        let mut scan = Scan::clean();
        scan.quarter_turns = 1;
        let page = PagePlan { number: 1, content: Content::Doc(doc), scan, encoding: None };
        let img = render(&page, 100, &fonts, &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(img.dimensions(), (1100, 850), "a sideways letter page at 100 dpi");
        let dark = img.pixels().filter(|p| p.0[0] < 128).count();
        assert!(dark > 500, "{dark} dark pixels");
    }
}

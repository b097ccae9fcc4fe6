//! Measures page preparation on rendered chart pages with known damage.
//!
//! ```text
//! cargo run --release --example prepare_measure -- [--dpi 300] [--seeds 6] [--ocr] [--out DIR]
//! ```
//!
//! Part 1 (always): for each seed, font and damage (skew, quarter turns,
//! fading, noise, bitonal), runs `prepare` and compares the rotation and
//! skew it finds with the truth; prints the errors and the time per page.
//!
//! Part 2 (`--ocr`): writes the damaged page, the prepared page and
//! variants without one step each as PNG under `--out`, runs the
//! `tesseract` CLI on them (OMP_THREAD_LIMIT=1, --psm 3) and prints the
//! character accuracy against the known text, so that every step can be
//! kept only where it helps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chartmill::image::prepare::{self, prepare, rotate_bilinear, rotate_quarter};
use chartmill::image::testpage::{self, load_font, FONTS};
use image::GrayImage;

#[derive(Clone, Copy, Debug)]
enum Damage {
    None,
    Skew(f32),
    Turn(u32),
    TurnSkew(u32, f32),
    Fade(u8, u8),
    Grain(f32),
    Specks(f32),
    BitonalSkew(f32),
    FadeGrainSkew,
    FadeGrain(u8, u8, f32),
    Jpeg(u8),
}

impl Damage {
    fn name(&self) -> String {
        match self {
            Damage::None => "clean".into(),
            Damage::Skew(a) => format!("skew {a:+.1}"),
            Damage::Turn(t) => format!("turn {t}"),
            Damage::TurnSkew(t, a) => format!("turn {t} skew {a:+.1}"),
            Damage::Fade(i, p) => format!("fade {i}/{p}"),
            Damage::Grain(s) => format!("grain {s}"),
            Damage::Specks(f) => format!("specks {f}"),
            Damage::BitonalSkew(a) => format!("bitonal skew {a:+.1}"),
            Damage::FadeGrainSkew => "fade+grain+skew 2.5".into(),
            Damage::FadeGrain(i, p, s) => format!("fade+grain {i}/{p}/{s}"),
            Damage::Jpeg(q) => format!("jpeg+grain q{q}"),
        }
    }
    /// (clockwise turn that repairs it, skew of the lines after the turn)
    fn truth(&self) -> (u32, f32) {
        match *self {
            Damage::Skew(a) | Damage::BitonalSkew(a) => (0, a),
            Damage::Turn(t) => ((360 - t) % 360, 0.0),
            Damage::TurnSkew(t, a) => ((360 - t) % 360, a),
            Damage::FadeGrainSkew => (0, 2.5),
            _ => (0, 0.0),
        }
    }
    fn apply(&self, p: &GrayImage, seed: u64) -> GrayImage {
        match *self {
            Damage::None => p.clone(),
            Damage::Skew(a) => rotate_bilinear(p, a),
            Damage::Turn(t) => rotate_quarter(p, t),
            // Skewed first, then the sheet turned: after the repair turn,
            // the lines are at `a` again.
            Damage::TurnSkew(t, a) => rotate_quarter(&rotate_bilinear(p, a), t),
            Damage::Fade(i, q) => testpage::fade(p, i, q),
            Damage::Grain(s) => testpage::grain(&testpage::fade(p, 20, 235), s, seed),
            Damage::Specks(f) => testpage::salt_pepper(p, f, seed),
            Damage::BitonalSkew(a) => testpage::bitonal(&rotate_bilinear(p, a)),
            Damage::FadeGrainSkew => testpage::grain(&testpage::fade(&rotate_bilinear(p, 2.5), 150, 225), 10.0, seed),
            Damage::FadeGrain(i, q, s) => testpage::grain(&testpage::fade(p, i, q), s, seed),
            Damage::Jpeg(q) => {
                let noisy = testpage::grain(&testpage::fade(p, 60, 235), 8.0, seed);
                let mut bytes = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, q).encode_image(&noisy).unwrap();
                image::load_from_memory(&bytes).unwrap().into_luma8()
            }
        }
    }
}

fn damages(seed: u64) -> Vec<Damage> {
    if std::env::var("FADE_STUDY").is_ok() {
        return vec![Damage::Fade(170, 235), Damage::Fade(215, 240), Damage::Grain(25.0), Damage::FadeGrain(150, 225, 10.0), Damage::FadeGrain(180, 235, 12.0)];
    }
    if std::env::var("SKEW_STUDY").is_ok() {
        return vec![Damage::Skew(0.4), Damage::Skew(-0.7), Damage::Skew(1.0), Damage::Skew(-1.5), Damage::Skew(2.0), Damage::Skew(-3.0)];
    }
    let mut r = testpage::Lcg::new(seed * 7 + 1);
    let random_skew = (r.unit() * 10.0 - 5.0).clamp(-4.9, 4.9);
    vec![
        Damage::None,
        Damage::Skew(random_skew),
        Damage::Skew(-4.0),
        Damage::Skew(1.3),
        Damage::Skew(0.3),
        Damage::Turn(90),
        Damage::Turn(180),
        Damage::Turn(270),
        Damage::TurnSkew(180, -2.0),
        Damage::TurnSkew(90, 3.0),
        Damage::Fade(170, 235),
        Damage::Fade(200, 240),
        Damage::Grain(25.0),
        Damage::Specks(0.003),
        Damage::BitonalSkew(-3.0),
        Damage::FadeGrainSkew,
        Damage::FadeGrain(150, 225, 10.0),
        Damage::FadeGrain(120, 230, 16.0),
        Damage::FadeGrain(150, 215, 20.0),
        Damage::FadeGrain(180, 235, 12.0),
        Damage::Jpeg(40),
    ]
}

/// The evidence of the same page turned by 180° (both statistics negate).
struct UprightFlip(prepare::UprightStats);

impl UprightFlip {
    fn flipped(&self) -> prepare::UprightStats {
        prepare::UprightStats { ascender: -self.0.ascender, alignment: -self.0.alignment, lines: self.0.lines }
    }
}

/// The page kinds measured: a form page, a ruled table, a sparse page;
/// each with its known text.
fn pages(seed: u64, dpi: u32, font: &ab_glyph::FontVec) -> Vec<(&'static str, GrayImage, String)> {
    let form = testpage::page_lines(seed);
    let (table, table_lines) = testpage::render_table(seed, dpi, font);
    let sparse = testpage::sparse_lines(seed);
    vec![
        ("form", testpage::render(&form, dpi, font), form.join("\n")),
        ("table", table, table_lines.join("\n")),
        ("sparse", testpage::render(&sparse, dpi, font), sparse.join("\n")),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let dpi: u32 = get("--dpi").and_then(|v| v.parse().ok()).unwrap_or(300);
    let seeds: u64 = get("--seeds").and_then(|v| v.parse().ok()).unwrap_or(6);
    let ocr = args.iter().any(|a| a == "--ocr");
    let out = PathBuf::from(get("--out").unwrap_or_else(|| "/tmp/prepare_measure".into()));
    let only: Option<String> = get("--only");
    std::fs::create_dir_all(&out).unwrap();
    if let Some(n) = get("--bench").and_then(|v| v.parse::<u32>().ok()) {
        // For profiling: prepare one skewed grainy page `n` times.
        let font = testpage::any_font().expect("a font");
        let img = Damage::Skew(2.0).apply(&testpage::grain(&testpage::render(&testpage::page_lines(0), dpi, &font), 3.0, 1), 0);
        let ms = cpu_ms(|| {
            for _ in 0..n {
                std::hint::black_box(prepare(img.clone(), dpi));
            }
        });
        println!("prepare: {:.1} ms CPU per page", ms / f64::from(n));
        return;
    }
    let fonts: Vec<_> = FONTS.iter().filter_map(|p| load_font(p).map(|f| (*p, f))).collect();

    // ------------------------------------------------------------ part 1
    let mut rot_ok = 0;
    let mut rot_n = 0;
    let mut skew_errs: Vec<f32> = Vec::new();
    let mut times = Vec::new();
    let mut failures = Vec::new();
    let mut per_damage: BTreeMap<String, (u32, u32, f32)> = BTreeMap::new();
    let mut up_stats: BTreeMap<&str, Vec<prepare::UprightStats>> = BTreeMap::new();
    for seed in 0..seeds {
      let (font_name, font) = &fonts[seed as usize % fonts.len()];
      for (kind, page, _) in pages(seed, dpi, font) {
        for d in damages(seed) {
            if only.as_ref().is_some_and(|o| !d.name().contains(o.as_str())) {
                continue;
            }
            let img = d.apply(&page, seed);
            let mut p = None;
            times.push(cpu_ms(|| p = Some(prepare(img.clone(), dpi))));
            let p = p.unwrap();
            let (rot, skew) = d.truth();
            let up = prepare::upright_statistics(&rotate_quarter(&img, p.rotation), dpi);
            let truth_up = prepare::upright_statistics(&rotate_quarter(&img, rot), dpi);
            up_stats.entry(kind).or_default().push(truth_up);
            rot_n += 1;
            let e = per_damage.entry(format!("{kind} {}", d.name().split(' ').next().unwrap())).or_default();
            e.1 += 1;
            if p.rotation == rot {
                rot_ok += 1;
                e.0 += 1;
                let err = (p.skew_deg - skew).abs();
                skew_errs.push(err);
                e.2 = e.2.max(err);
                if err > 0.3 {
                    failures.push(format!("seed {seed} {font_name} {kind} {}: skew {:.2} truth {skew:.2}", d.name(), p.skew_deg));
                }
            } else {
                failures.push(format!(
                    "seed {seed} {font_name} {kind} {}: rotation {} truth {rot} (skew {:.2}, evidence after {:?})",
                    d.name(),
                    p.rotation,
                    p.skew_deg,
                    up
                ));
            }
            if p.blank {
                failures.push(format!("seed {seed} {kind} {}: called blank (ink {:.5})", d.name(), p.ink_fraction));
            }
        }
      }
    }
    skew_errs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |v: &[f32], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!("== orientation and skew at {dpi} dpi, {} pages", rot_n);
    println!("rotation correct: {rot_ok}/{rot_n}");
    if !skew_errs.is_empty() {
        println!(
            "skew |error| (pages with correct rotation): median {:.3}°, p90 {:.3}°, max {:.3}°",
            pct(&skew_errs, 0.5),
            pct(&skew_errs, 0.9),
            skew_errs.last().unwrap()
        );
    }
    for (k, (ok, n, max)) in &per_damage {
        println!("  {k:24} rotation {ok}/{n}, max skew error {max:.2}°");
    }
    println!("orientation evidence on upright pages (an upside-down page has the opposite signs):");
    for (kind, v) in &up_stats {
        let mut a: Vec<f32> = v.iter().map(|s| s.ascender as f32).collect();
        let mut l: Vec<f32> = v.iter().map(|s| s.alignment as f32).collect();
        a.sort_by(f32::total_cmp);
        l.sort_by(f32::total_cmp);
        let flips = v.iter().filter(|s| s.upside_down()).count();
        let mut worst: Vec<&prepare::UprightStats> = v.iter().collect();
        worst.sort_by(|x, y| (x.ascender + x.alignment).total_cmp(&(y.ascender + y.alignment)));
        for w in worst.iter().take(3) {
            println!("    {kind} upright, weakest evidence: ascender {:.2} alignment {:.2} lines {}", w.ascender, w.alignment, w.lines);
        }
        let caught = v.iter().filter(|s| UprightFlip(**s).flipped().upside_down()).count();
        println!(
            "  {kind:7} ascender min {:.2} p10 {:.2} median {:.2}; alignment min {:.2} p10 {:.2} median {:.2}; upright called upside down {flips}/{n}, upside down caught {caught}/{n}",
            a[0],
            pct(&a, 0.1),
            pct(&a, 0.5),
            l[0],
            pct(&l, 0.1),
            pct(&l, 0.5),
            n = v.len()
        );
    }
    println!(
        "prepare CPU time per page: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        times[times.len() / 2],
        times[(times.len() - 1) * 9 / 10],
        times.last().unwrap()
    );
    for f in &failures {
        println!("  MISS {f}");
    }

    // Blank pages and noise.
    let (w, h) = ((8.5 * dpi as f32) as u32, (11.0 * dpi as f32) as u32);
    let white = prepare::white_page(w, h);
    let blanks = [
        ("white", white.clone()),
        ("gray paper + grain 6", testpage::grain(&testpage::fade(&white, 0, 225), 6.0, 1)),
        ("paper + specks 0.1%", testpage::salt_pepper(&white, 0.001, 2)),
        ("paper + grain 12 + specks", testpage::salt_pepper(&testpage::grain(&testpage::fade(&white, 0, 235), 12.0, 3), 0.0005, 4)),
    ];
    println!("== blank detection");
    for (name, img) in &blanks {
        let p = prepare(img.clone(), dpi);
        println!("  {name:28} blank={} ink={:.5}", p.blank, p.ink_fraction);
    }
    let font = &fonts[0].1;
    let nonblank = [
        ("pure noise", testpage::pure_noise(w, h, 5)),
        ("one line", testpage::render(&["Seen today, no changes.".to_string()], dpi, font)),
        ("one faint line", testpage::fade(&testpage::render(&["Seen today, no changes.".to_string()], dpi, font), 190, 235)),
        ("a signature-sized word", testpage::render(&["J. Miller".to_string()], dpi, font)),
        ("full page", testpage::render(&testpage::page_lines(1), dpi, font)),
    ];
    for (name, img) in &nonblank {
        let p = prepare(img.clone(), dpi);
        println!("  {name:28} blank={} ink={:.5}", p.blank, p.ink_fraction);
    }

    // Where the time goes, on one skewed grainy page.
    let img = Damage::FadeGrainSkew.apply(&testpage::render(&testpage::page_lines(0), dpi, font), 0);
    let time = |name: &str, f: &mut dyn FnMut()| {
        let ms = cpu_ms(|| {
            for _ in 0..5 {
                f();
            }
        });
        println!("  {name:28} {:.1} ms", ms / 5.0);
    };
    println!("== CPU time per step ({}x{})", img.width(), img.height());
    let levels = prepare::measure_levels(&img);
    time("measure_levels (full)", &mut || {
        prepare::measure_levels(&img);
    });
    time("downscale x3", &mut || {
        prepare::downscale(&img, 3);
    });
    time("ink_fraction (analysis)", &mut || {
        prepare::ink_fraction(&img, dpi);
    });
    time("detect_rotation (analysis)", &mut || {
        prepare::detect_rotation(&img, dpi);
    });
    time("estimate_skew (analysis)", &mut || {
        prepare::estimate_skew(&img, dpi);
    });
    time("stretch_contrast", &mut || {
        prepare::stretch_contrast(&img, &levels);
    });
    time("despeckle", &mut || {
        let mut x = img.clone();
        prepare::despeckle(&mut x, dpi, &levels);
    });
    time("clone", &mut || {
        let _ = img.clone();
    });
    time("rotate_quarter 90", &mut || {
        rotate_quarter(&img, 90);
    });
    time("deskew", &mut || {
        prepare::deskew(&img, 2.5);
    });
    let clean_page = testpage::render(&testpage::page_lines(0), dpi, font);
    time("deskew (clean page)", &mut || {
        prepare::deskew(&clean_page, 2.5);
    });
    time("rotate_bilinear", &mut || {
        prepare::rotate_bilinear(&img, 2.5);
    });
    time("imageproc rotate_about_center", &mut || {
        imageproc::geometric_transformations::rotate_about_center(
            &img,
            -2.5f32.to_radians(),
            imageproc::geometric_transformations::Interpolation::Bilinear,
            imageproc::geometric_transformations::Border::Constant(image::Luma([255])),
        );
    });
    time("prepare", &mut || {
        prepare(img.clone(), dpi);
    });

    if !ocr {
        return;
    }
    // ------------------------------------------------------------ part 2
    println!("== OCR (tesseract CLI, psm 3): character accuracy / word accuracy, % / mean word confidence");
    let variants: Vec<&str> = if std::env::var("FADE_STUDY").is_ok() {
        vec!["damaged", "prepared", "no-smooth", "no-stretch", "forced-stretch"]
    } else {
        vec!["damaged", "prepared", "no-smooth", "no-stretch", "no-despeckle", "no-deskew"]
    };
    // Per damage and variant: (character accuracy, pages, word accuracy, confidence) sums.
    type Sums<'a> = BTreeMap<String, BTreeMap<&'a str, (f64, u32, f64, f64)>>;
    let mut sums: Sums = BTreeMap::new();
    let ocr_seeds: u64 = get("--ocr-seeds").and_then(|v| v.parse().ok()).unwrap_or(3);
    for seed in 0..seeds.min(ocr_seeds) {
      let (_, font) = &fonts[seed as usize % fonts.len()];
      for (kind, page, truth) in pages(seed, dpi, font).into_iter().filter(|(k, _, _)| *k != "sparse") {
        for d in damages(seed) {
            if only.as_ref().is_some_and(|o| !d.name().contains(o.as_str())) {
                continue;
            }
            let img = d.apply(&page, seed);
            let p = prepare(img.clone(), dpi);
            let mut row = Vec::new();
            for &v in &variants {
                let Some(candidate) = variant(&img, dpi, &p, v) else { continue };
                let file = out.join(format!("s{seed}-{kind}-{}-{v}.png", d.name().replace([' ', '/', '+'], "_")));
                candidate.save(&file).unwrap();
                let (text, conf) = tesseract(&file, dpi);
                let acc = char_accuracy(&text, &truth);
                let wacc = word_accuracy(&text, &truth);
                let e = sums.entry(format!("{kind} {}", d.name().split(' ').next().unwrap())).or_default().entry(v).or_default();
                e.0 += acc;
                e.1 += 1;
                e.2 += wacc;
                e.3 += conf;
                row.push(format!("{v} {:.1}/{:.1}/{:.0}", acc * 100.0, wacc * 100.0, conf));
            }
            println!("  seed {seed} {kind:5} {:24} {}", d.name(), row.join(", "));
        }
      }
    }
    println!("== mean by damage: character accuracy (reading order) / word accuracy (any order), % / mean word confidence");
    for (k, m) in &sums {
        let cells: Vec<String> = variants
            .iter()
            .filter_map(|v| {
                m.get(v).map(|(s, n, ws, cs)| {
                    let n = f64::from(*n);
                    format!("{v} {:.1}/{:.1}/{:.1}", s / n * 100.0, ws / n * 100.0, cs / n)
                })
            })
            .collect();
        println!("  {k:22} {}", cells.join(", "));
    }
}

/// The page as OCR would see it: damaged, prepared, or prepared without one
/// step (`None` when that step did not fire, so the variant equals
/// "prepared").
fn variant(img: &GrayImage, dpi: u32, p: &prepare::Prepared, v: &str) -> Option<GrayImage> {
    let raw_levels = prepare::measure_levels(img);
    let grainy = !raw_levels.bitonal && raw_levels.noise >= prepare::GRAIN_SIGMA;
    // The steps as `prepare` runs them, each one optional.
    let build = |smooth: bool, stretch: bool, despeckle: bool, deskew: bool| {
        let mut x = img.clone();
        if despeckle && p.specks_removed > 0 {
            prepare::despeckle(&mut x, dpi, &raw_levels);
        }
        if p.contrast_stretched {
            if smooth {
                x = prepare::smooth(&x);
            }
            if stretch {
                if let Some(s) = prepare::stretch_contrast(&x, &prepare::measure_levels(&x)) {
                    x = s;
                }
            }
        }
        let x = rotate_quarter(&x, p.rotation);
        if deskew && p.skew_deg.abs() >= prepare::MIN_SKEW_CORRECTION_DEG {
            prepare::deskew(&x, p.skew_deg)
        } else {
            x
        }
    };
    match v {
        "damaged" => Some(img.clone()),
        "prepared" => Some(p.image.clone()),
        "no-smooth" => p.contrast_stretched.then(|| build(false, true, true, true)),
        "no-stretch" => p.contrast_stretched.then(|| build(true, false, true, true)),
        "no-despeckle" => (p.specks_removed > 0).then(|| build(true, true, false, true)),
        "no-deskew" => (p.skew_deg.abs() >= prepare::MIN_SKEW_CORRECTION_DEG).then(|| build(true, true, true, false)),
        // What the steps that do not fire would have done.
        "forced-stretch" => (!p.contrast_stretched && !raw_levels.bitonal).then(|| {
            let s = prepare::smooth(img);
            let s = prepare::stretch_contrast(&s, &prepare::measure_levels(&s)).unwrap_or(s);
            let s = rotate_quarter(&s, p.rotation);
            if p.skew_deg.abs() >= prepare::MIN_SKEW_CORRECTION_DEG { prepare::deskew(&s, p.skew_deg) } else { s }
        }),
        _ => {
            let _ = grainy;
            None
        }
    }
}

/// CPU time of this thread, nanoseconds (the machine is shared: wall time
/// would count other processes' work).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Milliseconds of CPU time `f` takes.
fn cpu_ms(f: impl FnOnce()) -> f64 {
    let t = cpu_ns();
    f();
    (cpu_ns() - t) as f64 / 1e6
}

/// Tesseract's text (lines rebuilt from its TSV) and mean word confidence.
fn tesseract(png: &Path, dpi: u32) -> (String, f64) {
    let out = Command::new("tesseract")
        .arg(png)
        .arg("stdout")
        .args(["--psm", "3", "--dpi", &dpi.to_string(), "-l", "eng", "tsv"])
        .env("OMP_THREAD_LIMIT", "1")
        .output()
        .expect("tesseract runs");
    let tsv = String::from_utf8_lossy(&out.stdout);
    let mut text = String::new();
    let (mut conf_sum, mut n) = (0.0, 0);
    let mut last_line = None;
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" || f[11].trim().is_empty() {
            continue;
        }
        let line = (f[2], f[3], f[4]);
        if last_line.is_some() && last_line != Some(line) {
            text.push('\n');
        } else if last_line.is_some() {
            text.push(' ');
        }
        last_line = Some(line);
        text.push_str(f[11]);
        if let Ok(c) = f[10].parse::<f64>() {
            conf_sum += c;
            n += 1;
        }
    }
    (text, if n == 0 { 0.0 } else { conf_sum / f64::from(n) })
}

/// Fraction of the truth's words found in the OCR text (as a multiset, in
/// any order: layout analysis may read columns in another order).
fn word_accuracy(got: &str, truth: &str) -> f64 {
    let mut have: std::collections::HashMap<&str, i32> = std::collections::HashMap::new();
    for w in got.split_whitespace() {
        *have.entry(w).or_default() += 1;
    }
    let words: Vec<&str> = truth.split_whitespace().collect();
    let mut hit = 0;
    for w in &words {
        if let Some(n) = have.get_mut(w) {
            if *n > 0 {
                *n -= 1;
                hit += 1;
            }
        }
    }
    f64::from(hit) / words.len().max(1) as f64
}

/// 1 − edit distance / length of the truth, on whitespace-normalised text.
fn char_accuracy(got: &str, truth: &str) -> f64 {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (a, b): (Vec<char>, Vec<char>) = (norm(got).chars().collect(), norm(truth).chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (1.0 - prev[b.len()] as f64 / b.len().max(1) as f64).max(0.0)
}

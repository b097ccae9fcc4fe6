//! A synthetic scanned-chart corpus with ground truth (`chartmill synth`).
//!
//! [`generate`] writes `OUT_DIR/archive/` — box folders of charts, each a
//! multi-page TIFF (grey LZW/Deflate or bitonal CCITT G4) or a folder of
//! single-page PNG/JPEG/TIFF files — and `OUT_DIR/truth.jsonl`, the export
//! the spec expects for each chart, with the flags it must raise, and
//! `OUT_DIR/families.csv`, the style family of each chart ([`Family`]:
//! three development families and the held-out one, written only when
//! asked for by name).
//!
//! It runs in two steps:
//!
//! 1. **plan** ([`plan_corpus`], pure and fast): patients, records, the one
//!    defect of about a third of the charts, every word of every page and
//!    every scan-damage setting, and the truth;
//! 2. **render and write** (parallel over charts with rayon): pages drawn
//!    with the installed fonts ([`FONT_PACKAGES`]), damaged, encoded.
//!
//! Everything derives from the seed and the chart index, so a corpus is the
//! same byte for byte for a seed (on machines with the same fonts). No real
//! patient data is involved: names are random combinations of common given
//! and family names; phones are 555-01xx numbers.

mod compose;
mod data;
mod family;
mod files;
mod fonts;
mod format;
mod page;
mod plan;
mod render;

pub use family::{Family, DEVELOPMENT};
pub use fonts::FONT_PACKAGES;
pub use plan::{plan_corpus, plan_corpus_families, ChartPlan, Truth};

use anyhow::{bail, Context};
use files::{Scanned, TiffKind, TiffWriter};
use fonts::Fonts;
use page::{Content, Encoding, PagePlan};
use plan::{chart_rng, FileForm};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    /// `archive/` and `truth.jsonl` are written here.
    pub out_dir: PathBuf,
    pub charts: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SynthSummary {
    pub charts: usize,
    /// Pages, blank backs and unreadable pages included.
    pub pages: usize,
    /// Files written under `archive/`.
    pub files: usize,
    /// Charts with an injected defect (non-empty truth flags).
    pub defective: usize,
}

/// Writes a corpus of the development families: `OUT_DIR/archive/...`,
/// `OUT_DIR/truth.jsonl` and `OUT_DIR/families.csv`. Refuses to write into
/// an `archive/` that already holds files.
pub fn generate(cfg: &SynthConfig) -> anyhow::Result<SynthSummary> {
    generate_with(cfg, &SynthOptions::default())
}

/// Optional knobs of [`generate_with`]; the default changes nothing.
#[derive(Clone, Debug, Default)]
pub struct SynthOptions {
    /// Scan no chart above this resolution (charts planned higher are scanned
    /// at it): smaller files for committed fixtures (a cap of 240 cuts an
    /// archive by about a third, 200 by about half), faster tests. The truth
    /// does not change.
    pub max_dpi: Option<u32>,
}

/// [`generate`] with options.
pub fn generate_with(cfg: &SynthConfig, opts: &SynthOptions) -> anyhow::Result<SynthSummary> {
    generate_families(cfg, opts, DEVELOPMENT)
}

/// [`generate_with`] in the given style families, dealt evenly over the
/// charts (none given: the development families).
pub fn generate_families(cfg: &SynthConfig, opts: &SynthOptions, families: &[Family]) -> anyhow::Result<SynthSummary> {
    let families = if families.is_empty() { DEVELOPMENT } else { families };
    let archive = cfg.out_dir.join("archive");
    if archive.is_dir() && std::fs::read_dir(&archive)?.next().is_some() {
        bail!("{} already exists and is not empty; remove it or choose another output folder", archive.display());
    }
    std::fs::create_dir_all(&archive).with_context(|| format!("cannot create {}", archive.display()))?;
    let fonts = Fonts::load()?;
    fonts.check(families)?;
    let mut plans = plan_corpus_families(cfg.charts, cfg.seed, families);
    if let Some(cap) = opts.max_dpi {
        for p in &mut plans {
            p.dpi = p.dpi.min(cap.max(1));
        }
    }

    let written: Vec<anyhow::Result<usize>> =
        plans.par_iter().map(|chart| write_chart(chart, &archive, &fonts, cfg.seed)).collect();
    let mut files = 0;
    for (chart, result) in plans.iter().zip(written) {
        files += result.with_context(|| format!("chart {}", chart.chart_id))?;
    }

    let truth_path = cfg.out_dir.join("truth.jsonl");
    let mut out = BufWriter::new(std::fs::File::create(&truth_path).with_context(|| format!("cannot create {}", truth_path.display()))?);
    for chart in &plans {
        serde_json::to_writer(&mut out, &chart.truth)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;

    // The family of each chart, beside the truth (which stays the export).
    let families_path = cfg.out_dir.join("families.csv");
    let mut out = BufWriter::new(std::fs::File::create(&families_path).with_context(|| format!("cannot create {}", families_path.display()))?);
    writeln!(out, "chart_id,family")?;
    for chart in &plans {
        writeln!(out, "{},{}", chart.chart_id, chart.family.name())?;
    }
    out.flush()?;

    Ok(SynthSummary {
        charts: plans.len(),
        pages: plans.iter().map(|c| c.pages.len()).sum(),
        files,
        defective: plans.iter().filter(|c| !c.truth.flags.is_empty()).count(),
    })
}

/// The truth of a corpus without rendering anything. It does not depend on
/// the families.
pub fn truth(charts: usize, seed: u64) -> Vec<Truth> {
    plan_corpus(charts, seed).into_iter().map(|c| c.truth).collect()
}

fn page_rng(seed: u64, chart: usize, page: u32) -> rand_chacha::ChaCha8Rng {
    chart_rng(seed, chart, 100 + page as u64)
}

/// Grey level under which a pixel of the page is black in a bitonal scan:
/// halfway between paper and ink, or nearer the ink for thin strokes.
fn threshold(page: &PagePlan) -> u8 {
    match page.content {
        Content::Smear(_) => 128,
        Content::Blank => page.scan.paper.saturating_sub(60),
        _ => {
            let s = &page.scan;
            let span = (s.paper as f32 - s.ink as f32) * s.contrast;
            (s.paper as f32 - span * (0.5 + s.thin)).round() as u8
        }
    }
}

/// Renders and writes one chart; returns the number of files written.
fn write_chart(chart: &ChartPlan, archive: &Path, fonts: &Fonts, seed: u64) -> anyhow::Result<usize> {
    let target = archive.join(&chart.path);
    match chart.form {
        FileForm::Folder { color } => {
            std::fs::create_dir_all(&target)?;
            for page in &chart.pages {
                let enc = page.encoding.unwrap_or(Encoding::Png);
                let ext = match enc {
                    Encoding::Png => "png",
                    Encoding::Jpeg { .. } => "jpg",
                    Encoding::Tiff => "tif",
                };
                let mut rng = page_rng(seed, chart.index, page.number);
                let bytes = if page.content == Content::Corrupt {
                    files::corrupt_bytes(enc, &mut rng)
                } else {
                    let img = render::render(page, chart.dpi, fonts, &mut rng);
                    match enc {
                        Encoding::Tiff => files::tiff_bytes(&img, chart.dpi)?,
                        _ => {
                            let scanned = if color { Scanned::Rgb(files::tint(&img, rng.gen_range(0.5..1.5))) } else { Scanned::Gray(img) };
                            match enc {
                                Encoding::Jpeg { quality } => files::jpeg_bytes(&scanned, chart.dpi, quality)?,
                                _ => files::png_bytes(&scanned, chart.dpi)?,
                            }
                        }
                    }
                };
                let path = target.join(format!("page-{}.{ext}", page.number));
                std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(chart.pages.len())
        }
        FileForm::TiffGray { .. } | FileForm::TiffG4 => {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let kind = match chart.form {
                FileForm::TiffG4 => TiffKind::G4,
                FileForm::TiffGray { deflate: true } => TiffKind::Deflate,
                _ => TiffKind::Lzw,
            };
            let file = std::fs::File::create(&target).with_context(|| format!("cannot create {}", target.display()))?;
            let mut out = BufWriter::new(file);
            {
                let mut tiff = TiffWriter::new(&mut out, kind, chart.pages.len())?;
                for page in &chart.pages {
                    let mut rng = page_rng(seed, chart.index, page.number);
                    let img = render::render(page, chart.dpi, fonts, &mut rng);
                    tiff.add(&img, chart.dpi, threshold(page))?;
                }
            }
            out.flush()?;
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlagCode;
    use std::collections::BTreeMap;

    fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    /// Low resolution keeps rendering tests fast in debug builds.
    const LOW: SynthOptions = SynthOptions { max_dpi: Some(60) };

    #[test]
    fn same_seed_same_truth_and_same_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sa = generate_with(&SynthConfig { out_dir: a.path().into(), charts: 3, seed: 7 }, &LOW).unwrap();
        let sb = generate_with(&SynthConfig { out_dir: b.path().into(), charts: 3, seed: 7 }, &LOW).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(sa.charts, 3);
        let (fa, fb) = (files_under(a.path()), files_under(b.path()));
        assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
        for (k, v) in &fa {
            assert!(v == &fb[k], "{k} differs");
        }
        assert!(fa.contains_key("truth.jsonl"));
        // A different seed gives a different corpus.
        assert_ne!(
            serde_json::to_string(&truth(3, 7)).unwrap(),
            serde_json::to_string(&truth(3, 8)).unwrap()
        );
        // Generating into a non-empty archive is refused.
        assert!(generate_with(&SynthConfig { out_dir: a.path().into(), charts: 1, seed: 7 }, &LOW).is_err());
    }

    #[test]
    fn every_flag_code_in_a_40_chart_corpus() {
        for seed in [1, 2, 3, 42, 1234] {
            let truth = truth(40, seed);
            for code in FlagCode::ALL {
                assert!(truth.iter().any(|t| t.flags.iter().any(|f| f.code == code)), "seed {seed}: no {code}");
            }
            let defective = truth.iter().filter(|t| !t.flags.is_empty()).count();
            assert!((10..=16).contains(&defective), "seed {seed}: {defective} defective");
            for t in &truth {
                assert!(t.flags.len() <= 1);
                assert_eq!(t.status, if t.flags.is_empty() { "accepted" } else { "review" });
            }
        }
    }

    #[test]
    fn duplicates_pair_with_an_earlier_clean_chart() {
        for seed in 0..20 {
            let truth = truth(40, seed);
            for (i, t) in truth.iter().enumerate() {
                if !t.flags.iter().any(|f| f.code == FlagCode::DuplicatePatient) {
                    continue;
                }
                let same = |o: &Truth| {
                    o.patient.mrn == t.patient.mrn
                        || (o.patient.family == t.patient.family && o.patient.given == t.patient.given && o.patient.dob == t.patient.dob)
                };
                let earlier: Vec<&Truth> = truth[..i].iter().filter(|o| same(o)).collect();
                assert_eq!(earlier.len(), 1, "seed {seed} chart {}", t.chart_id);
                assert!(earlier[0].flags.is_empty());
                assert!(earlier[0].chart_id < t.chart_id);
                assert!(!truth[i + 1..].iter().any(same));
            }
        }
    }

    #[test]
    fn clean_charts_are_clean() {
        use format::{is_icd10, is_icd9, npi_valid};
        let today = plan::reference_date().to_string();
        let mut mrns = std::collections::HashSet::new();
        for t in truth(300, 99) {
            if !t.flags.is_empty() {
                continue;
            }
            assert!(mrns.insert(t.patient.mrn.clone()), "{}: MRN reused by a clean chart", t.chart_id);
            let p = &t.patient;
            for v in [&p.family, &p.given, &p.mrn, &p.dob, &p.sex, &p.phone, &p.address.zip] {
                assert!(v.as_deref().is_some_and(|s| !s.is_empty()), "{}: required value missing", t.chart_id);
            }
            let dob = p.dob.clone().unwrap();
            assert!(dob.as_str() >= "1920-01-01" && dob.as_str() <= "2015-12-31");
            assert_eq!(p.address.zip.as_ref().unwrap().len(), 5);
            assert_eq!(p.phone.as_ref().unwrap().len(), 10);
            assert!(!p.given.as_ref().unwrap().contains('.'));
            assert!(!t.encounters.is_empty());
            for e in &t.encounters {
                let date = e.date.clone().expect("visit date");
                assert!(date > dob && date <= today, "{}: visit {date}", t.chart_id);
                assert!(npi_valid(e.npi.as_ref().unwrap()), "{}: NPI", t.chart_id);
                assert!(e.provider.is_some() && e.signed_by.is_some());
                assert!(e.signed_date.clone().unwrap() >= date);
                assert!(!e.diagnoses.is_empty());
                for d in &e.diagnoses {
                    if date.as_str() >= "2015-10-01" {
                        assert!(is_icd10(&d.code), "{}: {} on {date}", t.chart_id, d.code);
                    } else {
                        assert!(is_icd9(&d.code), "{}: {} on {date}", t.chart_id, d.code);
                    }
                }
            }
            let dates: std::collections::HashSet<_> = t.encounters.iter().map(|e| e.date.clone()).collect();
            assert_eq!(dates.len(), t.encounters.len(), "visit dates are keys");
            for m in &t.medications {
                assert!(m.dose.is_some());
                if let Some(s) = &m.start_date {
                    assert!(*s > dob && *s <= today);
                }
            }
            for i in &t.immunizations {
                let date = i.date.clone().unwrap();
                assert!(date >= dob && date <= today, "{}: immunization {date}", t.chart_id);
                assert!(i.lot.is_some());
                let cvx = i.cvx.as_ref().unwrap();
                assert!((1..=3).contains(&cvx.len()) && cvx.chars().all(|c| c.is_ascii_digit()));
            }
        }
    }

    #[test]
    fn defective_charts_carry_one_flag_with_page_and_field() {
        for t in truth(200, 5) {
            for f in &t.flags {
                assert!(f.page >= 1);
                match f.code {
                    FlagCode::UnreadablePage | FlagCode::UnknownDocument => assert!(f.field.is_none()),
                    _ => assert!(f.field.is_some(), "{}: {:?}", t.chart_id, f),
                }
                if f.code == FlagCode::MissingField {
                    let field = f.field.as_deref().unwrap();
                    if field == "patient.sex" {
                        assert!(t.patient.sex.is_none());
                    }
                }
            }
        }
    }

    /// Every text of a corpus's pages: labels, values, headers, titles.
    fn page_texts(plans: &[ChartPlan]) -> (Vec<String>, Vec<String>) {
        use page::Block;
        let (mut labels, mut values) = (Vec::new(), Vec::new());
        for c in plans {
            for p in &c.pages {
                let Content::Doc(doc) = &p.content else { continue };
                for b in &doc.blocks {
                    match b {
                        Block::Pairs { items, .. } | Block::Inline(items) | Block::Sticker(items) | Block::Row { items, .. } => {
                            for i in items {
                                labels.push(i.label.clone());
                                values.push(i.value.clone());
                            }
                        }
                        Block::Boxes(rows) | Block::Grid(rows) => {
                            for cell in rows.iter().flatten() {
                                labels.push(cell.label.clone());
                                values.push(cell.value.clone());
                            }
                        }
                        Block::Table { headers, rows, .. } => {
                            labels.extend(headers.iter().cloned());
                            values.extend(rows.iter().flatten().map(|c| c.text.clone()));
                        }
                        Block::Codes { label, .. } => labels.push(label.clone()),
                        Block::Title(t) => labels.push(t.clone()),
                        Block::Line { text, .. } => values.push(text.clone()),
                        Block::SignBelow { label, name, date_label, date, .. } => {
                            labels.extend([label.clone(), date_label.clone()]);
                            values.extend([name.clone(), date.clone()]);
                        }
                        _ => {}
                    }
                }
            }
        }
        (labels, values)
    }

    #[test]
    fn a_corpus_uses_every_label_title_date_form_and_name_form() {
        use compose::*;
        let plans = plan_corpus(40, 1);
        let (labels, values) = page_texts(&plans);
        let bare: std::collections::HashSet<String> =
            labels.iter().map(|l| l.trim_end_matches(':').to_string()).collect();
        let lists: &[&[&str]] = &[
            FACE_TITLES, NOTE_TITLES, MED_TITLES, IMM_TITLES, NAME_LABELS, MRN_LABELS, DOB_LABELS, SEX_LABELS,
            ADDRESS_LABELS, CSZ_LABELS, ZIP_LABELS, PHONE_LABELS, ALLERGY_LABELS, PAYER_LABELS, MEMBER_LABELS,
            GROUP_LABELS, VISIT_LABELS, PROVIDER_LABELS, NPI_LABELS, DX_LABELS, BP_LABELS, PULSE_LABELS,
            TEMP_LABELS, WEIGHT_LABELS, MED_NAME_HEADERS, MED_DOSE_HEADERS, MED_FREQ_HEADERS, MED_START_HEADERS,
            IMM_VACCINE_HEADERS, IMM_CVX_HEADERS, IMM_DATE_HEADERS, IMM_LOT_HEADERS, &["City", "State", "Route"],
        ];
        for list in lists {
            for l in *list {
                assert!(bare.contains(*l), "label or title {l:?} never used");
            }
        }
        assert!(values.iter().any(|v| v.starts_with("Electronically signed by ")));
        assert!(labels.iter().any(|l| l.starts_with("Signed")) && labels.iter().any(|l| l.starts_with("Signature")));

        let forms = [
            r"^\d{2}/\d{2}/\d{4}$",
            r"^\d{1,2}/\d{1,2}/\d{4}$",
            r"^\d{2}-\d{2}-\d{4}$",
            r"^\d{4}-\d{2}-\d{2}$",
            r"^(January|February|March|April|June|July|August|September|October|November|December) \d{1,2}, \d{4}$",
            r"^(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}$",
            r"^\d{2}-[A-Z]{3}-\d{4}$",
            r"^\d{1,2} [A-Z][a-z]{2} \d{4}$",
            r"^\d{1,2}/\d{1,2}/\d{2}$",
        ];
        for f in forms {
            let re = regex::Regex::new(f).unwrap();
            assert!(values.iter().any(|v| re.is_match(v)), "no date in the form {f}");
        }
        assert!(values.iter().any(|v| regex::Regex::new(r"^[A-Z]+, [A-Z]+( [A-Z])?$").unwrap().is_match(v)));
        assert!(values.iter().any(|v| regex::Regex::new(r"^[A-Z][a-z]+ [A-Z]\. [A-Z][a-z']+$").unwrap().is_match(v)));
    }

    #[test]
    fn two_digit_years_read_back_as_the_truth() {
        // A two-digit year printed for a date of birth reads as 19xx: it must be.
        let plans = plan_corpus(60, 4);
        let re = regex::Regex::new(r"^(\d{1,2})/(\d{1,2})/(\d{2})$").unwrap();
        let mut seen = 0;
        for c in &plans {
            let (_, values) = page_texts(std::slice::from_ref(c));
            let dob = c.truth.patient.dob.clone().unwrap();
            for v in values {
                if let Some(m) = re.captures(&v) {
                    seen += 1;
                    let full = format!("19{}-{:0>2}-{:0>2}", &m[3], &m[1], &m[2]);
                    let dates: Vec<String> = std::iter::once(dob.clone())
                        .chain(c.truth.encounters.iter().flat_map(|e| [e.date.clone(), e.signed_date.clone()]).flatten())
                        .chain(c.truth.medications.iter().filter_map(|m| m.start_date.clone()))
                        .chain(c.truth.immunizations.iter().filter_map(|i| i.date.clone()))
                        .collect();
                    let header_change = c.truth.flags.iter().any(|f| f.code == crate::model::FlagCode::IdentityMismatch);
                    assert!(dates.contains(&full) || header_change, "{}: {v} is not a date of the chart", c.chart_id);
                }
            }
        }
        assert!(seen > 10);
    }

    #[test]
    fn truth_has_the_export_shape() {
        let t = serde_json::to_value(&truth(5, 3)[0]).unwrap();
        let keys: Vec<&str> = t.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        for k in ["chart_id", "status", "flags", "patient", "allergies", "coverage", "encounters", "medications", "immunizations"] {
            assert!(keys.contains(&k), "{k}");
        }
        for k in ["family", "given", "mrn", "dob", "sex", "address", "phone"] {
            assert!(t["patient"].get(k).is_some(), "{k}");
        }
        let e = &t["encounters"][0];
        for k in ["date", "provider", "npi", "vitals", "diagnoses", "signed_by", "signed_date"] {
            assert!(e.get(k).is_some(), "{k}");
        }
        assert!(e["vitals"]["pulse"].is_i64());
        assert!(e["vitals"]["temp_f"].is_f64());
        assert!(t["chart_id"].as_str().unwrap().starts_with("box-01/0001-"));
    }

    #[test]
    fn families_are_recorded_beside_the_truth_and_holdout_only_when_named() {
        let dev = tempfile::tempdir().unwrap();
        let cfg = SynthConfig { out_dir: dev.path().into(), charts: 3, seed: 11 };
        generate_with(&cfg, &LOW).unwrap();
        let csv = std::fs::read_to_string(dev.path().join("families.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("chart_id,family"));
        let rows: Vec<(String, String)> =
            lines.map(|l| l.split_once(',').map(|(a, b)| (a.to_string(), b.to_string())).unwrap()).collect();
        assert_eq!(rows.len(), 3);
        let names: std::collections::HashSet<&str> = rows.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(names, ["classic", "office", "fax"].into_iter().collect());
        // The truth stays exactly the export document: no family in it.
        let truth = std::fs::read_to_string(dev.path().join("truth.jsonl")).unwrap();
        for ((id, _), line) in rows.iter().zip(truth.lines()) {
            let t: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(t["chart_id"].as_str(), Some(id.as_str()));
            let keys: Vec<&str> = t.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            let export = ["chart_id", "status", "flags", "patient", "allergies", "coverage", "encounters", "medications", "immunizations"];
            assert_eq!(keys.len(), export.len());
            assert!(keys.iter().all(|k| export.contains(k)), "{keys:?}");
        }

        let held = tempfile::tempdir().unwrap();
        let cfg = SynthConfig { out_dir: held.path().into(), charts: 2, seed: 11 };
        generate_families(&cfg, &LOW, &[Family::Holdout]).unwrap();
        let csv = std::fs::read_to_string(held.path().join("families.csv")).unwrap();
        assert_eq!(csv.lines().skip(1).filter(|l| l.ends_with(",holdout")).count(), 2);
    }

    #[test]
    fn no_development_corpus_holds_the_held_out_family() {
        for seed in [1, 2, 3] {
            for n in [1, 5, 40] {
                assert!(plan_corpus(n, seed).iter().all(|c| !c.family.held_out()));
            }
        }
        assert!(plan_corpus_families(10, 1, &[Family::Holdout]).iter().all(|c| c.family == Family::Holdout));
    }

    /// Every text and style of the pages of a corpus.
    fn docs(plans: &[ChartPlan]) -> Vec<&page::Doc> {
        plans
            .iter()
            .flat_map(|c| c.pages.iter())
            .filter_map(|p| if let Content::Doc(d) = &p.content { Some(d) } else { None })
            .collect()
    }

    #[test]
    fn the_held_out_family_prints_in_fonts_labels_and_rules_of_its_own() {
        use page::{Block, FontClass, Rules};
        let rules_of = |plans: &[ChartPlan]| -> Vec<Rules> {
            docs(plans)
                .iter()
                .flat_map(|d| d.blocks.iter())
                .filter_map(|b| if let Block::Table { ruled: true, rules, .. } = b { Some(*rules) } else { None })
                .collect()
        };
        let held = plan_corpus_families(40, 3, &[Family::Holdout]);
        let dev = plan_corpus(120, 3);
        let book = [FontClass::BookSerif, FontClass::BookSans];
        assert!(docs(&held).iter().all(|d| book.contains(&d.class) && [5, 6].contains(&d.hand_font)));
        assert!(docs(&dev).iter().all(|d| !book.contains(&d.class) && ![5, 6].contains(&d.hand_font)));
        assert!(rules_of(&held).iter().all(|r| *r == Rules::ThickHeader));
        let dev_rules = rules_of(&dev);
        assert!(!dev_rules.contains(&Rules::ThickHeader));
        for r in [Rules::Grid, Rules::Horizontal, Rules::Dashed] {
            assert!(dev_rules.contains(&r), "no {r:?} table in the development corpus");
        }
        // Title Case and `No.` labels are the held-out family's alone.
        let (held_labels, _) = page_texts(&held);
        let (dev_labels, _) = page_texts(&dev);
        for l in ["Seen By:", "Date Of Birth:", "NPI No.", "MRN No."] {
            assert!(held_labels.iter().any(|x| x == l), "{l} never printed in the held-out family");
            assert!(!dev_labels.iter().any(|x| x == l), "{l} printed in a development family");
        }
        assert!(dev_labels.iter().any(|x| x == "DATE OF BIRTH:" || x == "DOB:"));
        assert!(docs(&held).iter().any(|d| d.blocks.iter().any(|b| matches!(b, Block::Grid(_)))));
        assert!(!docs(&dev).iter().any(|d| d.blocks.iter().any(|b| matches!(b, Block::Grid(_)))));
    }

    #[test]
    fn every_variation_occurs_and_keeps_its_values() {
        use page::Block;
        let plans = plan_corpus_families(60, 8, &Family::ALL);
        let blocks: Vec<&Block> = docs(&plans).into_iter().flat_map(|d| d.blocks.iter()).collect();
        assert!(blocks.iter().any(|b| matches!(b, Block::Row { items, .. } if items.len() >= 3)));
        assert!(blocks.iter().any(|b| matches!(b, Block::SignBelow { hand: page::Hand::Neat, .. })));
        let scans: Vec<&page::Scan> = plans.iter().flat_map(|c| c.pages.iter().map(|p| &p.scan)).collect();
        assert!(scans.iter().any(|s| s.dropouts > 0.0));
        assert!(scans.iter().any(|s| s.streaks > 0));
        assert!(scans.iter().any(|s| s.thin > 0.0));
        assert!(scans.iter().any(|s| s.contrast < 0.6 && s.blur > 0.9));
        // Every printed MRN is the chart's (or the identity defect's other one),
        // whatever the layout.
        let mut seen = 0;
        for c in &plans {
            let mrn = c.truth.patient.mrn.clone().unwrap();
            if c.truth.flags.iter().any(|f| f.code == crate::model::FlagCode::IdentityMismatch) {
                continue;
            }
            for b in docs(std::slice::from_ref(c)).into_iter().flat_map(|d| d.blocks.iter()) {
                let pairs: Vec<(&str, &str)> = match b {
                    Block::Pairs { items, .. } | Block::Inline(items) | Block::Sticker(items) | Block::Row { items, .. } => {
                        items.iter().map(|p| (p.label.as_str(), p.value.as_str())).collect()
                    }
                    Block::Boxes(rows) | Block::Grid(rows) => rows.iter().flatten().map(|c| (c.label.as_str(), c.value.as_str())).collect(),
                    _ => Vec::new(),
                };
                for (l, v) in pairs {
                    if ["MRN:", "MRN", "MRN #", "MRN No."].contains(&l) {
                        assert_eq!(v, mrn, "{}", c.chart_id);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 20);
        // The signer's name below the signature line is the truth's.
        for c in &plans {
            let notes: Vec<&Block> = docs(std::slice::from_ref(c))
                .into_iter()
                .flat_map(|d| d.blocks.iter())
                .filter(|b| matches!(b, Block::SignBelow { .. }))
                .collect();
            for b in notes {
                let Block::SignBelow { name, .. } = b else { unreachable!() };
                assert!(c.truth.encounters.iter().any(|e| e.signed_by.as_deref() == Some(name.as_str())), "{}", c.chart_id);
            }
        }
    }
}

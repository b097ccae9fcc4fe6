//! OCR: the only module that talks to Tesseract.
//!
//! One [`TesseractEngine`] per rayon worker, created on the worker's first
//! page and reused for every page after it ([`with_thread_engine`]).
//! Tesseract itself runs single-threaded (`OMP_THREAD_LIMIT=1`) so that the
//! rayon pool is the only parallelism of a batch. libgomp reads that
//! variable once, when it is loaded, before `main`; so the command line
//! re-executes itself with the variable set ([`reexec_single_threaded`]).
//! Without it each engine starts an OpenMP team per call and a 2-core batch
//! ran 5 times slower, most of it in the kernel (`bench/throughput.sh`).
//!
//! The [`Ocr`] trait lets later stages be unit-tested with a fake engine;
//! end-to-end tests always use the real one.

use crate::model::{BBox, OcrPage, Word};
use image::GrayImage;
use std::cell::RefCell;
use tesseract::{PageSegMode, Tesseract};

/// Something that turns a page image into words.
pub trait Ocr {
    fn recognize(&mut self, image: &GrayImage, dpi: u32) -> Result<OcrPage, OcrError>;
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("Tesseract could not start (is the `eng` language data installed? apt-get install tesseract-ocr-eng): {0}")]
    Init(String),
    #[error("Tesseract failed on the page: {0}")]
    Recognize(String),
    #[error("page too large for OCR ({0}x{1} pixels)")]
    TooLarge(u32, u32),
}

/// Make libtesseract single-threaded for this process: if
/// `OMP_THREAD_LIMIT` is unset, replace the process (same pid, same
/// arguments) by a fresh image of the program with `OMP_THREAD_LIMIT=1`.
/// Setting the variable from inside would be too late: libgomp reads it
/// while it is loaded, before `main`. An operator's explicit setting wins.
/// Returns only if nothing had to be done (`Ok`) or the exec failed (`Err`;
/// the batch still works, only slower).
pub fn reexec_single_threaded() -> std::io::Result<()> {
    use std::os::unix::process::CommandExt as _;
    if tesseract_threads_limited() {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    Err(std::process::Command::new(exe).arg0(argv0).args(args).env("OMP_THREAD_LIMIT", "1").exec())
}

/// Whether OpenMP was told to stay single-threaded when this process started.
pub fn tesseract_threads_limited() -> bool {
    std::env::var_os("OMP_THREAD_LIMIT").is_some()
}

/// A Tesseract engine (libtesseract through the `tesseract` crate) with the
/// English model loaded once.
pub struct TesseractEngine {
    /// `None` after a failure consumed the engine; re-created on next use.
    api: Option<Tesseract>,
    datapath: Option<String>,
    lang: String,
}

impl TesseractEngine {
    pub fn new(datapath: Option<&str>, lang: &str) -> Result<TesseractEngine, OcrError> {
        let mut engine =
            TesseractEngine { api: None, datapath: datapath.map(str::to_string), lang: lang.to_string() };
        engine.api = Some(engine.create()?);
        Ok(engine)
    }

    fn create(&self) -> Result<Tesseract, OcrError> {
        let mut api = Tesseract::new(self.datapath.as_deref(), Some(&self.lang))
            .map_err(|e| OcrError::Init(e.to_string()))?;
        api.set_page_seg_mode(PageSegMode::PsmAuto);
        // Tesseract's own warnings would interleave with progress output.
        let api = api.set_variable("debug_file", "/dev/null").map_err(|e| OcrError::Init(e.to_string()))?;
        Ok(api)
    }
}

impl Ocr for TesseractEngine {
    fn recognize(&mut self, image: &GrayImage, dpi: u32) -> Result<OcrPage, OcrError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Ok(OcrPage { width: w, height: h, dpi, words: Vec::new() });
        }
        if w > 32_000 || h > 32_000 {
            return Err(OcrError::TooLarge(w, h));
        }
        let api = match self.api.take() {
            Some(api) => api,
            None => self.create()?,
        };
        let mut api = api
            .set_frame(image.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| OcrError::Recognize(e.to_string()))?
            .set_source_resolution(dpi.clamp(70, 1200) as i32)
            .recognize()
            .map_err(|e| OcrError::Recognize(e.to_string()))?;
        let tsv = api.get_tsv_text(0).map_err(|e| OcrError::Recognize(e.to_string()));
        // Tesseract keeps the page it read (its copy of the image, the grey
        // and binary images, the layout and word results: 30–50 MB for a
        // 400-dpi page) until the next image is set, that is through the
        // decoding and preparation of the worker's next page. A 1 x 1 image
        // releases them now (setting an image clears the results).
        self.api = api.set_frame(&[255], 1, 1, 1, 1).ok();
        Ok(OcrPage { width: w, height: h, dpi, words: parse_tsv(&tsv?) })
    }
}

thread_local! {
    static ENGINE: RefCell<Option<TesseractEngine>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's engine, creating it on first use.
pub fn with_thread_engine<R>(f: impl FnOnce(&mut TesseractEngine) -> R) -> Result<R, OcrError> {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(TesseractEngine::new(None, "eng")?);
        }
        Ok(f(slot.as_mut().expect("engine just created")))
    })
}

/// Words from Tesseract's TSV output (level 5 rows).
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for line in tsv.lines() {
        let cols: Vec<&str> = line.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let text = cols[11].trim();
        if text.is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(0).max(0) as u32;
        let conf = cols[10].trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 100.0);
        words.push(Word {
            text: text.to_string(),
            bbox: BBox { x: num(6), y: num(7), w: num(8), h: num(9) },
            conf,
            block: num(2),
            par: num(3),
            line: num(4),
        });
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_are_parsed() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96.5\tMRN:\n\
                   5\t1\t1\t1\t1\t2\t45\t20\t60\t12\t91.0\t00482913\n\
                   5\t1\t1\t1\t1\t3\t45\t20\t60\t12\t-1\t \n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].text, "MRN:");
        assert_eq!(words[1].bbox, BBox { x: 45, y: 20, w: 60, h: 12 });
        assert!((words[1].conf - 91.0).abs() < 1e-3);
    }
}

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
//! A page is read whole first ([`Ocr::recognize`]); what it is then read
//! again from is cut out of Tesseract's own copy of the page before that
//! copy is released ([`Keep`]): the whole page, to read it in another
//! orientation ([`orient`]), or the boxes of doubtful values, each read
//! again on its own ([`Ocr::read_region`], [`reread`]).
//!
//! The [`Ocr`] trait lets later stages be unit-tested with a fake engine;
//! end-to-end tests always use the real one.

pub mod hocr;
pub mod orient;
pub mod reread;

use crate::model::{BBox, OcrPage, Word};
use image::GrayImage;
use std::cell::RefCell;
use std::ffi::CString;
use tesseract::plumbing::TessBaseApi;
use tesseract::PageSegMode;

/// What is wanted of a page once it has been read, before the engine lets
/// go of it.
#[derive(Clone, Debug, PartialEq)]
pub enum Keep {
    Nothing,
    /// The whole page, pixel for pixel as given (to read it turned).
    Page,
    /// Copies of these boxes of the page (clipped to it), in this order.
    Regions(Vec<BBox>),
}

/// What was kept of a page, as [`Keep`] asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Kept {
    Nothing,
    Page(GrayImage),
    Regions(Vec<GrayImage>),
}

/// How a region read on its own is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One line of text (Tesseract's single-line segmentation).
    Line,
    /// A few lines (a uniform block of text).
    Block,
}

/// Something that turns a page image into words.
pub trait Ocr {
    /// Read a page scanned at `dpi`. The engine takes the page: it keeps its
    /// own copy while it reads, and ours is dropped first, so that one copy
    /// is alive (8.4 MB at 300 dpi per worker, at the moment of a page's
    /// peak memory). `keep` is shown what was read and says what of the
    /// page is wanted back: nothing, the page (to be read in another
    /// orientation), or copies of some of its boxes (to read values again).
    fn recognize(
        &mut self,
        image: GrayImage,
        dpi: u32,
        keep: &dyn Fn(&OcrPage) -> Keep,
    ) -> Result<(OcrPage, Kept), OcrError>;

    /// Read a small image (a value's box cut out of a page) on its own, laid
    /// out as `layout`. Word boxes are in the region's pixels.
    fn read_region(&mut self, region: &GrayImage, dpi: u32, layout: Layout) -> Result<Vec<Word>, OcrError>;
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
    api: Option<TessBaseApi>,
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

    fn create(&self) -> Result<TessBaseApi, OcrError> {
        let cstr = |s: &str| CString::new(s).map_err(|e| OcrError::Init(e.to_string()));
        let datapath = self.datapath.as_deref().map(cstr).transpose()?;
        let lang = cstr(&self.lang)?;
        let mut api = TessBaseApi::create();
        api.init_2(datapath.as_deref(), Some(&lang))
            .map_err(|_| OcrError::Init(format!("no model for language `{}`", self.lang)))?;
        api.set_page_seg_mode(PageSegMode::PsmAuto.as_tess_page_seg_mode());
        // Tesseract's own warnings would interleave with progress output.
        api.set_variable(&cstr("debug_file")?, &cstr("/dev/null")?)
            .map_err(|_| OcrError::Init("cannot set debug_file".into()))?;
        Ok(api)
    }
}

impl Ocr for TesseractEngine {
    fn recognize(
        &mut self,
        image: GrayImage,
        dpi: u32,
        keep: &dyn Fn(&OcrPage) -> Keep,
    ) -> Result<(OcrPage, Kept), OcrError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            let page = OcrPage { width: w, height: h, dpi, words: Vec::new() };
            let kept = match keep(&page) {
                Keep::Nothing => Kept::Nothing,
                Keep::Page => Kept::Page(image),
                Keep::Regions(boxes) => Kept::Regions(boxes.iter().map(|_| GrayImage::new(0, 0)).collect()),
            };
            return Ok((page, kept));
        }
        if w > 32_000 || h > 32_000 {
            return Err(OcrError::TooLarge(w, h));
        }
        // A failure consumes the engine (Tesseract's state is unknown after
        // it); it is re-created for the next page.
        let mut api = match self.api.take() {
            Some(api) => api,
            None => self.create()?,
        };
        api.set_image(image.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| OcrError::Recognize(format!("{e:?}")))?;
        // Tesseract has its copy: ours would only add to the peak.
        drop(image);
        api.set_source_resolution(dpi.clamp(70, 1200) as i32);
        api.recognize().map_err(|_| OcrError::Recognize("recognition failed".into()))?;
        let page = OcrPage { width: w, height: h, dpi, words: words_read(&mut api)? };
        let kept = match keep(&page) {
            Keep::Nothing => Kept::Nothing,
            Keep::Page => Kept::Page(input_region(&api, w, h, BBox { x: 0, y: 0, w, h })?),
            Keep::Regions(boxes) => {
                Kept::Regions(boxes.iter().map(|b| input_region(&api, w, h, *b)).collect::<Result<_, _>>()?)
            }
        };
        // Tesseract keeps the page it read (its copies of the image, the grey
        // and binary images, the layout and word results: 30–50 MB for a
        // 400-dpi page) until the next image is set, that is through the
        // decoding and preparation of the worker's next page. A 1 x 1 image
        // releases them now (setting an image clears the results).
        if api.set_image(&[255], 1, 1, 1, 1).is_ok() {
            self.api = Some(api);
        }
        Ok((page, kept))
    }

    fn read_region(&mut self, region: &GrayImage, dpi: u32, layout: Layout) -> Result<Vec<Word>, OcrError> {
        let (w, h) = region.dimensions();
        if w < 4 || h < 4 {
            return Ok(Vec::new());
        }
        if w > 32_000 || h > 32_000 {
            return Err(OcrError::TooLarge(w, h));
        }
        let mut api = match self.api.take() {
            Some(api) => api,
            None => self.create()?,
        };
        let mode = match layout {
            Layout::Line => PageSegMode::PsmSingleLine,
            Layout::Block => PageSegMode::PsmSingleBlock,
        };
        api.set_page_seg_mode(mode.as_tess_page_seg_mode());
        api.set_image(region.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| OcrError::Recognize(format!("{e:?}")))?;
        api.set_source_resolution(dpi.clamp(70, 1200) as i32);
        // The recogniser's other characters at each place, for the
        // value's grammar to choose among and to tell a sure read from one
        // the engine itself found close (`hocr`). Only for regions: a box
        // is small, and a page's read does not need them.
        let choices = set_choice_mode(&mut api, true);
        let recognised = api.recognize().map_err(|_| OcrError::Recognize("recognition of a region failed".into()));
        let words = recognised.and_then(|()| {
            let mut words = words_read(&mut api)?;
            if choices {
                if let Ok(h) = api.get_hocr_text(0) {
                    hocr::attach(&mut words, &h.as_ref().to_string_lossy());
                }
            }
            Ok(words)
        });
        if choices {
            set_choice_mode(&mut api, false);
        }
        let words = words?;
        api.set_page_seg_mode(PageSegMode::PsmAuto.as_tess_page_seg_mode());
        if api.set_image(&[255], 1, 1, 1, 1).is_ok() {
            self.api = Some(api);
        }
        Ok(words)
    }
}

/// Ask the recogniser to keep (or stop keeping) its other choices of each
/// symbol (`lstm_choice_mode=2`). Whether the setting took.
fn set_choice_mode(api: &mut TessBaseApi, on: bool) -> bool {
    let (Ok(name), Ok(value)) = (CString::new("lstm_choice_mode"), CString::new(if on { "2" } else { "0" })) else {
        return false;
    };
    api.set_variable(&name, &value).is_ok()
}

/// The words of the last recognition, from Tesseract's TSV output.
fn words_read(api: &mut TessBaseApi) -> Result<Vec<Word>, OcrError> {
    let tsv = api.get_tsv_text(0).map_err(|_| OcrError::Recognize("no text result".into()))?;
    Ok(parse_tsv(&tsv.as_ref().to_string_lossy()))
}

/// A box of the page Tesseract was given, copied back out of its input
/// image (an 8-bit leptonica `Pix`: rows of 32-bit words, the first pixel
/// in the most significant byte of a word), which must be the `w` x `h`
/// page it was given. The box is clipped to the page.
fn input_region(api: &TessBaseApi, w: u32, h: u32, region: BBox) -> Result<GrayImage, OcrError> {
    let lost = || OcrError::Recognize("Tesseract no longer holds the page".into());
    let pix = api.get_input_image().ok_or_else(lost)?;
    let raw: &tesseract::plumbing::leptonica_sys::Pix = (*pix).as_ref();
    if (raw.w, raw.h) != (w, h) {
        return Err(lost());
    }
    let (w, h, wpl) = (w as usize, h as usize, raw.wpl as usize);
    if raw.d != 8 || raw.data.is_null() || wpl * 4 < w || !raw.colormap.is_null() {
        return Err(lost());
    }
    // SAFETY: `data` is the non-null pixel buffer of a live Pix, which
    // leptonica allocates as `h` rows of `wpl` 32-bit words; it is borrowed
    // from the engine, which is not touched while the slice lives.
    #[allow(unsafe_code)]
    let words = unsafe { std::slice::from_raw_parts(raw.data as *const u32, wpl * h) };
    let x0 = (region.x as usize).min(w);
    let y0 = (region.y as usize).min(h);
    let x1 = (region.x as usize + region.w as usize).min(w);
    let y1 = (region.y as usize + region.h as usize).min(h);
    let mut out = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for row in words.chunks_exact(wpl).skip(y0).take(y1 - y0) {
        out.extend(row.iter().flat_map(|word| word.to_be_bytes()).skip(x0).take(x1 - x0));
    }
    GrayImage::from_raw((x1 - x0) as u32, (y1 - y0) as u32, out).ok_or_else(lost)
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
            alts: Vec::new(),
        });
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_wanted_again_comes_back_pixel_for_pixel() {
        // An odd width, so that rows end inside a 32-bit word of the Pix.
        let page = GrayImage::from_fn(203, 61, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]));
        let mut engine = TesseractEngine::new(None, "eng").expect("Tesseract with eng installed");
        let (_, back) = engine.recognize(page.clone(), 300, &|_| Keep::Page).unwrap();
        assert_eq!(back, Kept::Page(page.clone()));
        let region = BBox { x: 17, y: 5, w: 50, h: 80 };
        let (_, back) = engine.recognize(page.clone(), 300, &|_| Keep::Regions(vec![region])).unwrap();
        let expected = image::imageops::crop_imm(&page, 17, 5, 50, 56).to_image();
        assert_eq!(back, Kept::Regions(vec![expected]), "clipped to the page");
        let (_, back) = engine.recognize(page, 300, &|_| Keep::Nothing).unwrap();
        assert_eq!(back, Kept::Nothing);
    }

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

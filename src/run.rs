//! The batch: discover → (per chart, in parallel) decode → prepare → OCR →
//! extract → validate → (on one thread) load.
//!
//! This is the one place with parallelism. A rayon pool of `--jobs` workers
//! processes charts; each worker owns one Tesseract engine for its whole
//! life. Results stream through a bounded channel to the calling thread,
//! which alone talks to the database, one transaction per chart — so memory
//! does not grow with the archive and a crash never leaves half a chart.
//!
//! One chart's failure (a decode error, even a panic) never ends the batch:
//! it is recorded with its file and page, and the batch goes on.

use crate::discover::{self, Chart};
use crate::extract::{self, second, PageExtract, PageFacts};
use crate::model::{ChartResult, ChartStatus, FlagCode, PageRef, SourceFile};
use crate::normalize;
use crate::ocr;
use crate::pipeline::Pipeline;
use crate::progress::{self, Progress};
use crate::store::{self, BatchCounts, BatchInfo, Store};
use crate::validate;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What `chartmill run` was asked to do, checked and resolved.
pub struct RunConfig {
    pub archive: PathBuf,
    pub db: PathBuf,
    pub pipeline: Pipeline,
    pub jobs: usize,
    pub operator: String,
    pub progress: progress::Mode,
}

/// Why a batch could not run at all (per-chart problems are not errors).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error("cannot start {0} worker threads: {1}")]
    Pool(usize, String),
}

/// Wall time spent in each stage, summed over workers.
#[derive(Debug, Default)]
pub struct StageTimes {
    pub hash: AtomicU64,
    pub decode: AtomicU64,
    pub prepare: AtomicU64,
    pub ocr: AtomicU64,
    pub extract: AtomicU64,
    pub validate: AtomicU64,
    pub load: AtomicU64,
    /// Pages given to Tesseract, and the extra passes spent on pages read
    /// again in another orientation.
    pub ocr_pages: AtomicU64,
    pub ocr_retries: AtomicU64,
    /// Boxes of doubtful values read again on their own.
    pub ocr_rereads: AtomicU64,
}

impl StageTimes {
    fn add(counter: &AtomicU64, since: Instant) {
        counter.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
    /// (stage, seconds) in pipeline order.
    pub fn seconds(&self) -> Vec<(&'static str, f64)> {
        let s = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e9;
        vec![
            ("hash", s(&self.hash)),
            ("decode", s(&self.decode)),
            ("prepare", s(&self.prepare)),
            ("ocr", s(&self.ocr)),
            ("extract", s(&self.extract)),
            ("validate", s(&self.validate)),
            ("load", s(&self.load)),
        ]
    }
}

/// What the operator reads at the end of a batch.
#[derive(Debug, Default)]
pub struct Summary {
    pub batch_id: i64,
    pub counts: BatchCounts,
    pub elapsed: Duration,
    pub stages: Vec<(&'static str, f64)>,
    /// Pages OCR'd, and extra OCR passes for orientation.
    pub ocr_pages: u64,
    pub ocr_retries: u64,
    /// Boxes of doubtful values read again on their own.
    pub ocr_rereads: u64,
    /// Problems found while walking the archive (path + reason).
    pub discover_problems: Vec<String>,
    /// Charts that failed as a whole, with the reason.
    pub failed: Vec<String>,
    /// Page-level errors (file and page named).
    pub page_errors: usize,
    pub interrupted: bool,
    pub jobs: usize,
}

impl Summary {
    pub fn pages_per_second(&self) -> f64 {
        self.counts.pages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The batch summary as printed: counts only, no patient value.
    pub fn to_text(&self) -> String {
        let c = &self.counts;
        let mut s = String::new();
        use std::fmt::Write;
        let _ = writeln!(s, "batch {}{}", self.batch_id, if self.interrupted { " (interrupted)" } else { "" });
        let _ = writeln!(
            s,
            "charts: {} found, {} processed, {} unchanged and skipped",
            c.charts_seen, c.charts_processed, c.charts_skipped
        );
        let _ = writeln!(s, "  accepted:  {}", c.accepted);
        let _ = writeln!(s, "  in review: {}", c.review);
        for (code, n) in &c.flags {
            let _ = writeln!(s, "    {:<18} {}", code.as_str(), n);
        }
        let _ = writeln!(s, "  failed:    {}", c.failed);
        for f in &self.failed {
            let _ = writeln!(s, "    {f}");
        }
        let _ = writeln!(s, "pages: {} processed ({} blank), {} page errors", c.pages, c.blank_pages, self.page_errors);
        if !self.discover_problems.is_empty() {
            let _ = writeln!(s, "archive problems: {}", self.discover_problems.len());
        }
        let _ = writeln!(
            s,
            "time: {:.1} s, {:.2} pages/s with {} worker(s)",
            self.elapsed.as_secs_f64(),
            self.pages_per_second(),
            self.jobs
        );
        let total: f64 = self.stages.iter().map(|(_, t)| t).sum::<f64>().max(1e-9);
        let _ = write!(s, "stage time (summed over workers):");
        for (name, t) in &self.stages {
            let _ = write!(s, " {name} {t:.1}s ({:.0}%)", 100.0 * t / total);
        }
        s.push('\n');
        let _ = writeln!(
            s,
            "ocr: {} pages, {} extra passes on pages read again in another orientation, {} value boxes read again",
            self.ocr_pages, self.ocr_retries, self.ocr_rereads
        );
        s
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ask a running batch to stop after the charts in flight (Ctrl-C).
pub fn request_stop() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// A panic message may quote the text it choked on (a string slice out of
/// bounds quotes the string), so only its place is printed, never the
/// message; the chart is then recorded as failed.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let thread = std::thread::current().name().unwrap_or("main").to_string();
        eprintln!("internal error in thread {thread}{at} (message withheld: it may quote page text)");
    }));
}

/// Test hook, debug builds only: `CHARTMILL_TEST_PANIC_ON=<chart id>` makes
/// processing that chart panic, so the tests can show that a panic in one
/// chart never ends the batch. Release builds ignore the variable.
fn test_panic_hook(chart_id: &str) {
    if cfg!(debug_assertions) && std::env::var_os("CHARTMILL_TEST_PANIC_ON").is_some_and(|v| v == chart_id) {
        panic!("CHARTMILL_TEST_PANIC_ON");
    }
}

fn install_interrupt_handler() {
    // A second Ctrl-C ends at once; SQLite rolls back the open transaction.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Everything a worker needs, shared read-only.
struct Ctx<'a> {
    pipeline: &'a Pipeline,
    norm: normalize::Context,
    times: StageTimes,
    progress: Progress,
}

/// A chart to process, with its sources already hashed.
struct Job {
    chart: Chart,
    sources: Vec<SourceFile>,
}

/// Run a batch over an archive.
pub fn run(cfg: &RunConfig) -> Result<Summary, RunError> {
    if !ocr::tesseract_threads_limited() {
        tracing::warn!("OMP_THREAD_LIMIT is not set: Tesseract will start threads of its own and the batch will be slower");
    }
    install_interrupt_handler();
    install_panic_hook();
    let started = Instant::now();
    let store = Store::open(&cfg.db)?;
    let _lock = store.lock_for_run()?;
    let found = discover::discover_with(&cfg.archive, cfg.pipeline.chart)?;
    let mut summary = Summary { jobs: cfg.jobs, ..Summary::default() };
    for p in &found.problems {
        let line = format!("{}: {}", p.path.display(), p.reason);
        tracing::warn!(target: "chartmill::discover", "{line}");
        summary.discover_problems.push(line);
    }
    let pipeline_id = cfg.pipeline.id();
    let batch_id = store.begin_batch(&BatchInfo::new(
        cfg.archive.display().to_string(),
        pipeline_id.clone(),
        cfg.operator.clone(),
    ))?;
    summary.batch_id = batch_id;
    let mut counts = BatchCounts { charts_seen: found.charts.len() as u64, ..BatchCounts::default() };

    // Hash sources and skip what is already loaded unchanged.
    let times = StageTimes::default();
    let t = Instant::now();
    let mut jobs = Vec::new();
    let mut total_pages = 0u64;
    for chart in found.charts {
        let sources: Vec<SourceFile> = chart.files.iter().map(|f| hash_file(&f.path, &f.rel)).collect();
        let fp = store::fingerprint(&sources);
        if let Some(state) = store.chart_state(&chart.id)? {
            if state.is_unchanged(&fp, &pipeline_id) {
                counts.charts_skipped += 1;
                continue;
            }
        }
        total_pages += chart.files.iter().map(|f| crate::image::page_count(&f.path).unwrap_or(1).max(1) as u64).sum::<u64>();
        jobs.push(Job { chart, sources });
    }
    StageTimes::add(&times.hash, t);
    tracing::info!(charts = jobs.len(), skipped = counts.charts_skipped, pages = total_pages, "batch {batch_id} starts");

    let ctx = Ctx {
        pipeline: &cfg.pipeline,
        norm: normalize::Context { today: chrono::Local::now().date_naive() },
        times,
        progress: Progress::new(cfg.progress, jobs.len() as u64, total_pages),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs.max(1))
        .thread_name(|i| format!("chartmill-worker-{i}"))
        .build()
        .map_err(|e| RunError::Pool(cfg.jobs, e.to_string()))?;

    let mut patients = crate::review::PatientIndex::from_store(&store)?;
    let (tx, rx) = mpsc::sync_channel::<ChartResult>(cfg.jobs.max(1) * 2);
    let mut load_error = None;
    std::thread::scope(|scope| {
        let ctx = &ctx;
        scope.spawn(move || {
            pool.install(|| {
                use rayon::prelude::*;
                jobs.into_par_iter().for_each_with(tx, |tx, job| {
                    if INTERRUPTED.load(Ordering::SeqCst) {
                        return;
                    }
                    let result = process_chart_guarded(ctx, job);
                    let _ = tx.send(result);
                });
            });
        });
        for mut result in rx {
            if load_error.is_some() {
                continue; // drain so workers finish; nothing more is loaded
            }
            if result.status() != ChartStatus::Failed {
                let dups = patients.check(&result.chart_id, &result.document);
                result.flags.extend(dups);
            }
            let t = Instant::now();
            match store.load_chart(batch_id, &result, &pipeline_id) {
                Ok(outcome) => {
                    counts.count_chart(&result);
                    summary.page_errors += result.errors.len();
                    if outcome.status() == ChartStatus::Failed {
                        summary.failed.push(format!("{}: {}", result.chart_id, result.errors.join("; ")));
                    }
                    for e in &result.errors {
                        ctx.progress.println(&format!("warning: {e}"));
                    }
                    tracing::debug!(chart = %result.chart_id, status = outcome.status().as_str(), "loaded");
                }
                Err(e) => {
                    load_error = Some(e);
                    request_stop();
                }
            }
            StageTimes::add(&ctx.times.load, t);
            ctx.progress.chart_done();
        }
    });
    ctx.progress.finish();
    summary.interrupted = INTERRUPTED.load(Ordering::SeqCst) && load_error.is_none();
    store.finish_batch(batch_id, &counts, summary.interrupted || load_error.is_some())?;
    if let Some(e) = load_error {
        return Err(e.into());
    }
    summary.counts = counts;
    summary.elapsed = started.elapsed();
    summary.stages = ctx.times.seconds();
    summary.ocr_pages = ctx.times.ocr_pages.load(Ordering::Relaxed);
    summary.ocr_retries = ctx.times.ocr_retries.load(Ordering::Relaxed);
    summary.ocr_rereads = ctx.times.ocr_rereads.load(Ordering::Relaxed);
    Ok(summary)
}

/// Content hash of a source file; an unreadable file gets a marker hash so
/// that the chart is retried once it can be read. `chartmill reconcile`
/// hashes the archive again with this same function.
pub fn hash_file(path: &Path, rel: &str) -> SourceFile {
    let mut hasher = blake3::Hasher::new();
    let mut bytes = 0u64;
    let hash = match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match f.read(&mut buf) {
                    Ok(0) => break hasher.finalize().to_hex().to_string(),
                    Ok(n) => {
                        bytes += n as u64;
                        hasher.update(&buf[..n]);
                    }
                    Err(e) => break format!("unreadable:{}", e.kind()),
                }
            }
        }
        Err(e) => format!("unreadable:{}", e.kind()),
    };
    SourceFile { file: rel.to_string(), hash, bytes }
}

/// Process one chart; a panic becomes a failed chart, not the end of the batch.
fn process_chart_guarded(ctx: &Ctx, job: Job) -> ChartResult {
    let id = job.chart.id.clone();
    let sources = job.sources.clone();
    match std::panic::catch_unwind(AssertUnwindSafe(|| process_chart(ctx, job))) {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(chart = %id, "internal error while processing the chart");
            ChartResult {
                chart_id: id.clone(),
                sources,
                pages: Vec::new(),
                values: Vec::new(),
                flags: Vec::new(),
                document: serde_json::Value::Null,
                errors: vec![format!("{id}: internal error while processing the chart (a bug; please report it)")],
            }
        }
    }
}

fn process_chart(ctx: &Ctx, job: Job) -> ChartResult {
    let Job { chart, sources } = job;
    test_panic_hook(&chart.id);
    let mut pages: Vec<PageExtract> = Vec::new();
    let mut errors = Vec::new();
    let mut page_no = 0u32;
    for file in &chart.files {
        let t = Instant::now();
        let iter = crate::image::pages(&file.path);
        StageTimes::add(&ctx.times.decode, t);
        let iter = match iter {
            Ok(it) => it,
            Err(e) => {
                page_no += 1;
                errors.push(format!("{}: {e}", file.rel));
                pages.push(extract::unreadable_page(PageRef { page: page_no, file: file.rel.clone(), file_page: 0 }));
                ctx.progress.pages_done(1);
                continue;
            }
        };
        let mut file_page = 0u32;
        let mut it = iter.into_iter();
        loop {
            let t = Instant::now();
            let Some(item) = it.next() else { break };
            StageTimes::add(&ctx.times.decode, t);
            page_no += 1;
            let at = PageRef { page: page_no, file: file.rel.clone(), file_page };
            file_page += 1;
            let page = match item {
                Ok(p) => p,
                Err(e) => {
                    errors.push(format!("{} page {}: {e}", file.rel, at.file_page + 1));
                    pages.push(extract::unreadable_page(at));
                    ctx.progress.pages_done(1);
                    continue;
                }
            };
            let at = PageRef { file_page: page.file_page, ..at };
            match read_page(ctx, page, at.clone()) {
                Ok(p) => pages.push(p),
                Err(e) => {
                    errors.push(format!("{} page {}: {e}", file.rel, at.file_page + 1));
                    pages.push(extract::unreadable_page(at));
                }
            }
            ctx.progress.pages_done(1);
            return_freed_memory();
        }
    }
    let t = Instant::now();
    let chart_x = extract::assemble_chart(ctx.pipeline, pages);
    let flags = validate::validate(&validate::ChartInput {
        pipeline: ctx.pipeline,
        pages: &chart_x.pages,
        values: &chart_x.values,
        header: &chart_x.header,
        records: &chart_x.records,
        today: ctx.norm.today,
    });
    let document = extract::document::build(ctx.pipeline, &chart_x.records, &chart_x.values);
    StageTimes::add(&ctx.times.validate, t);
    ChartResult { chart_id: chart.id, sources, pages: chart_x.pages, values: chart_x.values, flags, document, errors }
}

/// Prepare, OCR and extract one page. Takes the decoded page: its pixels
/// become the prepared page rather than being copied.
fn read_page(ctx: &Ctx, page: crate::image::DecodedPage, at: PageRef) -> Result<PageExtract, ocr::OcrError> {
    let t = Instant::now();
    let prepared = crate::image::prepare(page.image, page.dpi);
    StageTimes::add(&ctx.times.prepare, t);
    let t = Instant::now();
    match recognize(prepared, ctx.pipeline, &at, &ctx.norm, None)? {
        PageRead::Unreadable => Ok(extract::unreadable_page(at)),
        PageRead::Blank(facts) => Ok(extract::blank_page(at, facts)),
        PageRead::Text { extract, passes, rereads, .. } => {
            StageTimes::add(&ctx.times.ocr, t);
            ctx.times.ocr_pages.fetch_add(1, Ordering::Relaxed);
            ctx.times.ocr_retries.fetch_add(passes as u64 - 1, Ordering::Relaxed);
            ctx.times.ocr_rereads.fetch_add(rereads as u64, Ordering::Relaxed);
            Ok(extract)
        }
    }
}

/// What a prepared page turned out to be.
enum PageRead {
    /// Too dark or too inky to be a page of text.
    Unreadable,
    /// The back of a sheet.
    Blank(PageFacts),
    /// Text, read upright after `passes` OCR passes, extracted, its doubtful
    /// values read again from their boxes (`rereads` boxes read).
    Text { ocr: crate::model::OcrPage, extract: PageExtract, passes: u32, rereads: u32 },
}

/// Decide whether a prepared page holds text and, if so, OCR it upright,
/// extract it and read its doubtful values again. The one place the run
/// and `chartmill inspect` share, so that what an operator inspects is what
/// a batch reads. Takes the page: OCR turns it in place for another
/// orientation instead of copying it.
fn recognize(
    prepared: crate::image::Prepared,
    pipeline: &Pipeline,
    at: &PageRef,
    norm: &normalize::Context,
    doc_type: Option<&str>,
) -> Result<PageRead, ocr::OcrError> {
    let facts = PageFacts { rotation: prepared.rotation, skew: prepared.skew_deg, ink_fraction: prepared.ink_fraction };
    // A black smear or pure noise: no page of text is this dark, and
    // Tesseract would spend minutes on it.
    if is_dark(&prepared.image) {
        return Ok(PageRead::Unreadable);
    }
    if prepared.blank {
        return Ok(PageRead::Blank(facts));
    }
    if prepared.ink_fraction > MAX_TEXT_INK {
        return Ok(PageRead::Unreadable);
    }
    let dpi = prepared.dpi;
    // The reading that is kept is extracted while Tesseract still holds the
    // page, so that the boxes of its doubtful values can be cut out of it.
    let extracted: RefCell<Option<(PageExtract, Vec<second::Request>)>> = RefCell::new(None);
    // Cut out with them: the boxes of the page's check boxes.
    let regions = |page: &crate::model::OcrPage| {
        let x = extract::extract_page_as(pipeline, at.clone(), page, facts, norm, doc_type);
        let requests = second::requests(&x, page.width, page.height);
        let mut boxes: Vec<_> = requests.iter().map(|r| r.region).collect();
        boxes.extend(x.marks.iter().flat_map(|g| g.regions()));
        boxes.extend(x.sign_lines.iter().map(|l| l.line));
        *extracted.borrow_mut() = Some((x, requests));
        boxes
    };
    ocr::with_thread_engine(|engine| {
        let mut up = ocr::orient::upright(engine, prepared.image, dpi, &regions)?;
        let (mut x, requests) = extracted
            .take()
            .unwrap_or_else(|| (extract::extract_page_as(pipeline, at.clone(), &up.page, facts, norm, doc_type), Vec::new()));
        x.info.rotation = (facts.rotation + up.rotation) % 360;
        let boxes = up.regions.split_off(requests.len().min(up.regions.len()));
        extract::decide_marks(&mut x, &boxes);
        let values = |i: usize| second::first_read(&x, &requests[i]);
        let readings = ocr::reread::read_regions(engine, &requests, up.regions, dpi, &|i, readings| {
            values(i).is_some_and(|v| second::settled(v, readings, norm))
        })?;
        let rereads = readings.iter().map(Vec::len).sum::<usize>() as u32;
        second::apply(&mut x, &requests, readings, norm);
        // A blank signature line signs nothing, whatever was read below it.
        let marks: usize = x.marks.iter().map(|g| g.regions().len()).sum();
        if let Some(lines) = boxes.get(marks..) {
            extract::signature::decide_lines(&mut x.fields, &x.sign_lines, lines);
        }
        Ok(PageRead::Text { ocr: up.page, extract: x, passes: up.passes, rereads })
    })?
}

/// Why a page could not be read again for a reviewer.
#[derive(Debug, thiserror::Error)]
pub enum ReadAgainError {
    #[error("{file}: {error}")]
    Source { file: String, error: String },
    #[error("{file} page {page}: {source}")]
    Ocr {
        file: String,
        page: u32,
        #[source]
        source: ocr::OcrError,
    },
}

/// Read one page of a chart again, as the batch read it (decoded, prepared,
/// OCR'd upright, extracted, its doubtful values read again), starting
/// from the orientation `rotation` (degrees clockwise from the scan, a
/// multiple of 90) and, when a person named it, as the document type
/// `doc_type`. The review core's way to fix
/// a page read in the wrong orientation or left unclassified. `at` names
/// the page within the chart and its file under `archive`.
pub fn read_page_again(
    pipeline: &Pipeline,
    archive: &Path,
    at: &PageRef,
    rotation: u32,
    doc_type: Option<&str>,
    norm: &normalize::Context,
) -> Result<PageExtract, ReadAgainError> {
    let source = |error: String| ReadAgainError::Source { file: at.file.clone(), error };
    let path = archive.join(&at.file);
    let mut pages = crate::image::pages(&path).map_err(|e| source(e.to_string()))?;
    let page = pages
        .nth(at.file_page as usize)
        .ok_or_else(|| source(format!("no page {}", at.file_page + 1)))?
        .map_err(|e| source(format!("page {}: {e}", at.file_page + 1)))?;
    let mut prepared = crate::image::prepare(page.image, page.dpi);
    // Start from the orientation the page was read in, turned further;
    // OCR still tries the others when the page does not read upright.
    let extra = (rotation % 360 + 360 - prepared.rotation % 360) % 360;
    if extra != 0 {
        prepared.image = crate::image::prepare::turn_quarter(prepared.image, extra);
        prepared.rotation = rotation % 360;
    }
    let read = recognize(prepared, pipeline, at, norm, doc_type)
        .map_err(|e| ReadAgainError::Ocr { file: at.file.clone(), page: at.file_page + 1, source: e })?;
    Ok(match read {
        PageRead::Unreadable => extract::unreadable_page(at.clone()),
        PageRead::Blank(facts) => extract::blank_page(at.clone(), facts),
        PageRead::Text { extract, .. } => extract,
    })
}

/// Give the memory of the page just finished back to the system. A page's
/// buffers (decoded image, prepared copies, Tesseract's and leptonica's
/// copies) are 10–60 MB, of varying sizes; glibc keeps freed chunks in its
/// per-thread arenas, and over a long batch the peak resident memory crept
/// up by 20 % (`bench/throughput.sh`). `malloc_trim` releases the free
/// pages of every arena. Measured on 1,020 pages (the same 204 five times):
/// peak RSS 290 → 243 MiB, within 6 % of one pass over the 204 pages;
/// throughput about 5 % lower (released pages fault in again). Trimming once
/// per chart instead did not lower the peak.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim has no preconditions; it only returns free
    // memory of the allocator to the kernel, and is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Ink share above which a page cannot be a page of text (typed pages run
/// 0.02–0.1, pure noise about 0.5).
const MAX_TEXT_INK: f32 = 0.3;

/// Whether most of a page is dark: paper is light, whatever is printed on it.
fn is_dark(img: &image::GrayImage) -> bool {
    let raw = img.as_raw();
    if raw.is_empty() {
        return false;
    }
    // Every 7th pixel is plenty for a mean.
    let (sum, n) = raw.iter().step_by(7).fold((0u64, 0u64), |(s, n), &p| (s + p as u64, n + 1));
    sum / n.max(1) < 110
}

/// Flag counts of a summary as a map for printing and JSON.
pub fn flag_counts(counts: &BatchCounts) -> BTreeMap<&'static str, u64> {
    counts.flags.iter().map(|(c, n)| (FlagCode::as_str(*c), *n)).collect()
}

/// What chartmill reads on one page, for an operator tuning a pipeline file
/// (`chartmill inspect`): the rows as OCR'd and the page's extraction. The
/// result holds patient values: it is for the terminal, never for a log.
pub fn inspect_page(pipeline: &Pipeline, path: &Path, page_index: u32) -> anyhow::Result<(Vec<String>, PageExtract)> {
    use anyhow::Context as _;
    let mut pages = crate::image::pages(path).with_context(|| path.display().to_string())?;
    let page = pages
        .nth(page_index as usize)
        .ok_or_else(|| anyhow::anyhow!("{} has no page {}", path.display(), page_index + 1))?
        .with_context(|| format!("{} page {}", path.display(), page_index + 1))?;
    let prepared = crate::image::prepare(page.image, page.dpi);
    let at = PageRef { page: page_index + 1, file: path.display().to_string(), file_page: page.file_page };
    let note = format!("ink {:.4}, blank {}, dark {}", prepared.ink_fraction, prepared.blank, is_dark(&prepared.image));
    let norm = normalize::Context { today: chrono::Local::now().date_naive() };
    let (ocr_page, x) = match recognize(prepared, pipeline, &at, &norm, None)? {
        PageRead::Unreadable => return Ok((vec![note], extract::unreadable_page(at))),
        PageRead::Blank(facts) => return Ok((vec![note], extract::blank_page(at, facts))),
        PageRead::Text { ocr, extract, .. } => (ocr, extract),
    };
    let rows = extract::layout::rows(extract::layout::tokens(&ocr_page.words));
    let lines = rows
        .iter()
        .map(|r| {
            let words: Vec<String> = r.tokens.iter().map(|t| format!("{}@{}({:.0})", t.text, t.bbox.x, t.conf)).collect();
            format!("y={:>5} {}", r.bbox.y, words.join(" "))
        })
        .collect();
    Ok((lines, x))
}

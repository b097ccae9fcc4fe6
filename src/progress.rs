//! Progress for the operator: indicatif bars (charts and pages, with rate and
//! ETA) while stderr is a terminal, plain periodic lines otherwise.
//!
//! Only counts, chart ids and file paths pass through here — never a value
//! read from a page.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bars on a terminal, lines otherwise.
    Auto,
    /// Plain lines every `interval`.
    Lines,
    /// Nothing.
    Quiet,
}

pub struct Progress {
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
    lines: Option<Mutex<LineState>>,
    total_charts: u64,
    total_pages: u64,
}

struct LineState {
    last: Instant,
    start: Instant,
    charts: u64,
    pages: u64,
    interval: Duration,
}

impl Progress {
    pub fn new(mode: Mode, total_charts: u64, total_pages: u64) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let mut p = Progress { bars: None, lines: None, total_charts, total_pages };
        match mode {
            Mode::Quiet => {}
            Mode::Auto if terminal => {
                let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
                let style = ProgressStyle::with_template(
                    "{prefix:>7} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                let charts = multi.add(ProgressBar::new(total_charts).with_style(style.clone()).with_prefix("charts"));
                let pages = multi.add(ProgressBar::new(total_pages).with_style(style).with_prefix("pages"));
                p.bars = Some((multi, charts, pages));
            }
            _ => {
                let now = Instant::now();
                p.lines = Some(Mutex::new(LineState {
                    last: now,
                    start: now,
                    charts: 0,
                    pages: 0,
                    interval: Duration::from_secs(10),
                }));
            }
        }
        p
    }

    pub fn pages_done(&self, n: u64) {
        if let Some((_, _, pages)) = &self.bars {
            pages.inc(n);
        }
        if let Some(l) = &self.lines {
            let mut l = l.lock().unwrap_or_else(|e| e.into_inner());
            l.pages += n;
            self.maybe_line(&mut l);
        }
    }

    pub fn chart_done(&self) {
        if let Some((_, charts, _)) = &self.bars {
            charts.inc(1);
        }
        if let Some(l) = &self.lines {
            let mut l = l.lock().unwrap_or_else(|e| e.into_inner());
            l.charts += 1;
            self.maybe_line(&mut l);
        }
    }

    /// A message above the bars (or a plain line): chart ids and paths only.
    pub fn println(&self, msg: &str) {
        match &self.bars {
            Some((multi, _, _)) => {
                let _ = multi.println(msg);
            }
            None => eprintln!("{msg}"),
        }
    }

    fn maybe_line(&self, l: &mut LineState) {
        if l.last.elapsed() < l.interval {
            return;
        }
        l.last = Instant::now();
        let secs = l.start.elapsed().as_secs_f64().max(1e-3);
        eprintln!(
            "progress: {}/{} charts, {}/{} pages, {:.2} pages/s",
            l.charts,
            self.total_charts,
            l.pages,
            self.total_pages,
            l.pages as f64 / secs
        );
    }

    pub fn finish(&self) {
        if let Some((_, charts, pages)) = &self.bars {
            charts.finish_and_clear();
            pages.finish_and_clear();
        }
    }
}

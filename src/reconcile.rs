//! `chartmill reconcile`: an account of every page of every file under an
//! archive, against what the database holds.
//!
//! The archive is discovered again ([`crate::discover`]), every chart file is
//! hashed again with the batch's own content hash ([`crate::run::hash_file`])
//! and its pages counted from its headers ([`crate::image::page_count`]);
//! then each page on disk is given exactly one fate:
//!
//! | fate | when |
//! |---|---|
//! | `accepted` | its chart is accepted and the page was read |
//! | `review` | its chart is in the review queue and the page was read |
//! | `rejected` | a reviewer rejected its chart |
//! | `blank` | the page was recognised as blank and skipped |
//! | `failed` | the page (or its whole chart) could not be read; the reason is shown |
//! | `changed` | the file differs from what was loaded (content hash), or was loaded under another chart |
//! | `unaccounted` | the database has no row for the page: a file or chart never loaded, or a page missing |
//!
//! so the counts add up to the pages on disk. The database and the archive
//! agree ([`Report::ok`], exit code 0) when no page is `changed` or
//! `unaccounted`, the database holds no file that is not on disk, and the
//! walk met no problem (an unreadable folder, a symbolic link — which may
//! point at scans that were never loaded — or a name that is not UTF-8).
//! Failed pages are accounted for: they are listed with their reason and do
//! not change the exit code.
//!
//! The report names chart ids, files and pages, never a value read from a
//! page. [`account`] is a pure function of what was found on disk and the
//! database snapshot; [`reconcile`] does the reading.

use crate::discover;
use crate::model::{ChartStatus, PageStatus};
use crate::store::{self, ReconcileSnapshot, StoredPage, StoredSource, Store};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// Why reconciliation could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// One chart file as found on disk now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskFile {
    pub chart_id: String,
    /// Relative to the archive root, `/` separators (as stored in `sources.file`).
    pub rel: String,
    /// Content hash as [`crate::run::hash_file`] computes it.
    pub hash: String,
    /// Pages the batch makes of this file: [`crate::image::page_count`], and 1
    /// when the file cannot be inspected (the batch records one unreadable page).
    pub pages: u32,
}

/// Something the archive walk could not take as a chart file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArchiveProblem {
    pub path: String,
    pub reason: String,
}

/// Pages by fate; [`Counts::total`] is the number of pages counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub accepted: u64,
    pub review: u64,
    pub rejected: u64,
    pub blank: u64,
    pub failed: u64,
    pub changed: u64,
    pub unaccounted: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.accepted + self.review + self.rejected + self.blank + self.failed + self.changed + self.unaccounted
    }

    fn add(&mut self, fate: &Fate) {
        match fate {
            Fate::Accepted => self.accepted += 1,
            Fate::Review => self.review += 1,
            Fate::Rejected => self.rejected += 1,
            Fate::Blank => self.blank += 1,
            Fate::Failed(_) => self.failed += 1,
            Fate::Changed => self.changed += 1,
            Fate::Unaccounted => self.unaccounted += 1,
        }
    }

    fn merge(&mut self, o: &Counts) {
        self.accepted += o.accepted;
        self.review += o.review;
        self.rejected += o.rejected;
        self.blank += o.blank;
        self.failed += o.failed;
        self.changed += o.changed;
        self.unaccounted += o.unaccounted;
    }

    /// `(column, count)` in table order.
    fn columns(&self) -> [(&'static str, u64); 7] {
        [
            ("accepted", self.accepted),
            ("review", self.review),
            ("rejected", self.rejected),
            ("blank", self.blank),
            ("failed", self.failed),
            ("changed", self.changed),
            ("unaccounted", self.unaccounted),
        ]
    }
}

/// What became of one chart's pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChartAccount {
    pub chart_id: String,
    /// Status in the database, `None` when the chart is not there.
    pub status: Option<&'static str>,
    pub files: u32,
    pub pages: u64,
    pub counts: Counts,
}

/// A page that failed, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageIssue {
    pub chart_id: String,
    pub file: String,
    /// Page within the file, 1-based.
    pub file_page: u32,
    /// Page within the chart, 1-based, when the database has the page.
    pub page: Option<u32>,
    pub reason: String,
}

/// A file whose pages are changed, unaccounted for, or not on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileIssue {
    pub chart_id: String,
    pub file: String,
    /// Pages of the file concerned, 1-based (empty for a file not on disk).
    pub pages: Vec<u32>,
    pub reason: String,
}

/// The reconciliation of an archive with a database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub archive: String,
    pub db: String,
    pub files_on_disk: u64,
    pub pages_on_disk: u64,
    /// Pages by fate; they add up to `pages_on_disk`.
    pub totals: Counts,
    /// Every chart found on disk, in discovery order.
    pub charts: Vec<ChartAccount>,
    pub failed_pages: Vec<PageIssue>,
    pub changed_files: Vec<FileIssue>,
    pub unaccounted: Vec<FileIssue>,
    /// Files the database holds that are not under the archive.
    pub not_on_disk: Vec<FileIssue>,
    pub archive_problems: Vec<ArchiveProblem>,
    /// Visible files that are not images by their name (not pages).
    pub ignored_files: u64,
    /// Batches that started and never finished (killed).
    pub unfinished_batches: Vec<i64>,
    pub last_batch: Option<i64>,
    /// True when every page is accounted for and nothing differs.
    pub ok: bool,
}

/// The fate of one page on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    Accepted,
    Review,
    Rejected,
    Blank,
    Failed(String),
    Changed,
    Unaccounted,
}

/// Read the archive and the database, and account for every page.
/// Charts are found as the pipeline of the run found them (`unit`).
pub fn reconcile(archive: &Path, store: &Store, unit: crate::pipeline::ChartUnit) -> Result<Report, ReconcileError> {
    let found = discover::discover_with(archive, unit)?;
    let problems: Vec<ArchiveProblem> = found
        .problems
        .iter()
        .map(|p| ArchiveProblem { path: p.path.display().to_string(), reason: p.reason.clone() })
        .collect();
    let mut disk = Vec::new();
    for chart in &found.charts {
        for f in &chart.files {
            let hash = crate::run::hash_file(&f.path, &f.rel).hash;
            let pages = crate::image::page_count(&f.path).unwrap_or(1).max(1);
            disk.push(DiskFile { chart_id: chart.id.clone(), rel: f.rel.clone(), hash, pages });
        }
    }
    let snap = store.reconcile_snapshot()?;
    let mut report = account(&disk, problems, &snap);
    report.archive = archive.display().to_string();
    report.db = store.path().display().to_string();
    report.ignored_files = found.ignored.len() as u64;
    Ok(report)
}

/// Account for every page of `disk` against the database snapshot. Pure.
pub fn account(disk: &[DiskFile], archive_problems: Vec<ArchiveProblem>, snap: &ReconcileSnapshot) -> Report {
    let mut sources_by_file: HashMap<&str, Vec<&StoredSource>> = HashMap::new();
    for s in &snap.sources {
        sources_by_file.entry(s.file.as_str()).or_default().push(s);
    }
    let mut pages: HashMap<(&str, &str, u32), &StoredPage> = HashMap::new();
    for p in &snap.pages {
        pages.insert((p.chart_id.as_str(), p.file.as_str(), p.file_page), p);
    }
    let mut errors: HashMap<&str, Vec<&str>> = HashMap::new();
    for (chart, msg) in &snap.errors {
        errors.entry(chart.as_str()).or_default().push(msg.as_str());
    }
    let reasons = Reasons { errors, snap };

    let mut report = Report {
        archive: String::new(),
        db: String::new(),
        files_on_disk: disk.len() as u64,
        pages_on_disk: disk.iter().map(|f| u64::from(f.pages)).sum(),
        totals: Counts::default(),
        charts: Vec::new(),
        failed_pages: Vec::new(),
        changed_files: Vec::new(),
        unaccounted: Vec::new(),
        not_on_disk: Vec::new(),
        archive_problems,
        ignored_files: 0,
        unfinished_batches: snap.unfinished_batches.clone(),
        last_batch: snap.last_batch,
        ok: false,
    };
    let mut chart_index: HashMap<&str, usize> = HashMap::new();
    for f in disk {
        let ci = *chart_index.entry(f.chart_id.as_str()).or_insert_with(|| {
            report.charts.push(ChartAccount {
                chart_id: f.chart_id.clone(),
                status: snap.charts.get(&f.chart_id).map(|s| s.as_str()),
                files: 0,
                pages: 0,
                counts: Counts::default(),
            });
            report.charts.len() - 1
        });
        let fates = file_fates(f, &sources_by_file, &pages, &reasons, snap, &mut report);
        let chart = &mut report.charts[ci];
        chart.files += 1;
        chart.pages += fates.len() as u64;
        for fate in &fates {
            chart.counts.add(fate);
        }
    }
    let on_disk: BTreeSet<&str> = disk.iter().map(|f| f.rel.as_str()).collect();
    for s in &snap.sources {
        if !on_disk.contains(s.file.as_str()) {
            report.not_on_disk.push(FileIssue {
                chart_id: s.chart_id.clone(),
                file: s.file.clone(),
                pages: Vec::new(),
                reason: "in the database, not found under the archive".into(),
            });
        }
    }
    let mut totals = Counts::default();
    for c in &report.charts {
        totals.merge(&c.counts);
    }
    report.totals = totals;
    report.ok = report.totals.changed == 0
        && report.totals.unaccounted == 0
        && report.not_on_disk.is_empty()
        && report.archive_problems.is_empty();
    report
}

/// The fate of each page of one file on disk; issues are added to `report`.
fn file_fates(
    f: &DiskFile,
    sources_by_file: &HashMap<&str, Vec<&StoredSource>>,
    pages: &HashMap<(&str, &str, u32), &StoredPage>,
    reasons: &Reasons<'_>,
    snap: &ReconcileSnapshot,
    report: &mut Report,
) -> Vec<Fate> {
    let all_pages: Vec<u32> = (1..=f.pages).collect();
    let stored = sources_by_file.get(f.rel.as_str()).and_then(|v| {
        v.iter().find(|s| s.chart_id == f.chart_id).or_else(|| v.first()).copied()
    });
    let issue = |reason: String| FileIssue { chart_id: f.chart_id.clone(), file: f.rel.clone(), pages: all_pages.clone(), reason };
    let Some(stored) = stored else {
        let reason = if snap.charts.contains_key(&f.chart_id) {
            "file not in the database: added to the chart after the chart was loaded".to_string()
        } else {
            "chart not in the database: never loaded, or its batch was stopped before it".to_string()
        };
        report.unaccounted.push(issue(reason));
        return vec![Fate::Unaccounted; f.pages as usize];
    };
    if stored.chart_id != f.chart_id {
        report.changed_files.push(issue(format!(
            "loaded as part of chart {}; the archive now makes it part of chart {}",
            stored.chart_id, f.chart_id
        )));
        return vec![Fate::Changed; f.pages as usize];
    }
    if stored.hash != f.hash {
        let reason = match (stored.hash.starts_with("unreadable:"), f.hash.starts_with("unreadable:")) {
            (true, false) => "could not be read when it was loaded and can be read now",
            (false, true) => "cannot be read now; it could be read when it was loaded",
            _ => "content differs from what was loaded",
        };
        report.changed_files.push(issue(reason.into()));
        return vec![Fate::Changed; f.pages as usize];
    }
    let status = snap.charts.get(&f.chart_id).copied();
    let mut fates = Vec::with_capacity(f.pages as usize);
    let mut missing = Vec::new();
    for file_page in 0..f.pages {
        let row = pages.get(&(f.chart_id.as_str(), f.rel.as_str(), file_page)).copied();
        let fate = match (row.map(|r| r.status), status) {
            (Some(PageStatus::Blank), _) => Fate::Blank,
            (Some(PageStatus::Unreadable), _) | (_, Some(ChartStatus::Failed)) => {
                Fate::Failed(reasons.page(&f.chart_id, &f.rel, file_page, row.map(|r| r.page)))
            }
            (Some(_), Some(ChartStatus::Accepted)) => Fate::Accepted,
            (Some(_), Some(ChartStatus::Review)) => Fate::Review,
            (Some(_), Some(ChartStatus::Rejected)) => Fate::Rejected,
            (None, _) | (Some(_), None) => Fate::Unaccounted,
        };
        match &fate {
            Fate::Failed(reason) => report.failed_pages.push(PageIssue {
                chart_id: f.chart_id.clone(),
                file: f.rel.clone(),
                file_page: file_page + 1,
                page: row.map(|r| r.page),
                reason: reason.clone(),
            }),
            Fate::Unaccounted => missing.push(file_page + 1),
            _ => {}
        }
        fates.push(fate);
    }
    if !missing.is_empty() {
        report.unaccounted.push(FileIssue {
            chart_id: f.chart_id.clone(),
            file: f.rel.clone(),
            pages: missing,
            reason: "page not in the database".into(),
        });
    }
    fates
}

/// Finds why a page failed, from the chart's recorded errors and flags.
struct Reasons<'a> {
    errors: HashMap<&'a str, Vec<&'a str>>,
    snap: &'a ReconcileSnapshot,
}

impl Reasons<'_> {
    /// The batch records `FILE page N: error` for a page, `FILE: error` for
    /// a file that could not be opened, and `CHART: error` for a chart that
    /// failed as a whole.
    fn page(&self, chart_id: &str, file: &str, file_page: u32, page: Option<u32>) -> String {
        let errors = self.errors.get(chart_id).map(Vec::as_slice).unwrap_or_default();
        let strip = |prefix: &str| errors.iter().find_map(|e| e.strip_prefix(prefix).map(str::to_string));
        if let Some(r) = strip(&format!("{file} page {}: ", file_page + 1)) {
            return r;
        }
        if file_page == 0 {
            if let Some(r) = strip(&format!("{file}: ")) {
                return r;
            }
        }
        if let Some(page) = page {
            if let Some(f) = self.snap.unreadable_flags.iter().find(|f| f.chart_id == chart_id && f.page == Some(page)) {
                return f.reason.clone();
            }
        }
        if let Some(r) = strip(&format!("{chart_id}: ")) {
            return r;
        }
        match errors.first() {
            Some(e) => (*e).to_string(),
            None => "unreadable (no reason recorded)".to_string(),
        }
    }
}

impl Report {
    /// The exit code: 0 when the database accounts for the archive, 1 when not.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.ok)
    }

    /// The report as a table for people.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "reconcile: archive {}, database {}", self.archive, self.db);
        let batch = match (self.last_batch, self.unfinished_batches.as_slice()) {
            (None, _) => "no batch has run".to_string(),
            (Some(b), []) => format!("last batch {b}"),
            (Some(b), u) => format!(
                "last batch {b}; batch(es) {} did not finish (killed)",
                u.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        let _ = writeln!(
            s,
            "{} chart(s), {} file(s), {} page(s) on disk; {} other file(s) ignored; {batch}",
            self.charts.len(),
            self.files_on_disk,
            self.pages_on_disk,
            self.ignored_files
        );
        s.push('\n');
        let id_w = self.charts.iter().map(|c| c.chart_id.chars().count()).max().unwrap_or(0).clamp(5, 60);
        let status_w = 8;
        let head: Vec<(&str, u64)> = Counts::default().columns().to_vec();
        let _ = write!(s, "{:<id_w$}  {:<status_w$} {:>6}", "chart", "status", "pages");
        for (name, _) in &head {
            let _ = write!(s, " {:>w$}", name, w = name.len().max(6));
        }
        s.push('\n');
        let row = |s: &mut String, id: &str, status: &str, pages: u64, counts: &Counts| {
            let _ = write!(s, "{:<id_w$}  {:<status_w$} {:>6}", id, status, pages);
            for (name, n) in counts.columns() {
                let _ = write!(s, " {:>w$}", n, w = name.len().max(6));
            }
            s.push('\n');
        };
        for c in &self.charts {
            row(&mut s, &c.chart_id, c.status.unwrap_or("-"), c.pages, &c.counts);
        }
        row(&mut s, "total", "", self.pages_on_disk, &self.totals);

        section(&mut s, "failed pages (accounted for)", self.failed_pages.len());
        for p in &self.failed_pages {
            let _ = writeln!(s, "  {}: {}: {}", p.chart_id, page_place(&p.file, p.file_page), p.reason);
        }
        section(&mut s, "changed since loaded", self.changed_files.len());
        for f in &self.changed_files {
            let _ = writeln!(s, "  {}: {}: {}", f.chart_id, f.file, f.reason);
        }
        section(&mut s, "not accounted for", self.unaccounted.len());
        for f in &self.unaccounted {
            let _ = writeln!(s, "  {}: {}{}: {}", f.chart_id, f.file, pages_note(&f.pages), f.reason);
        }
        section(&mut s, "in the database, not on disk", self.not_on_disk.len());
        for f in &self.not_on_disk {
            let _ = writeln!(s, "  {}: {}: {}", f.chart_id, f.file, f.reason);
        }
        section(&mut s, "archive problems", self.archive_problems.len());
        for p in &self.archive_problems {
            let _ = writeln!(s, "  {}: {}", p.path, p.reason);
        }
        s.push('\n');
        let t = &self.totals;
        if self.ok {
            let _ = writeln!(
                s,
                "ok: all {} page(s) accounted for ({} accepted, {} in review, {} rejected, {} blank, {} failed)",
                self.pages_on_disk, t.accepted, t.review, t.rejected, t.blank, t.failed
            );
        } else {
            let _ = writeln!(
                s,
                "NOT RECONCILED: {} page(s) not accounted for, {} page(s) changed since loaded, {} file(s) in the database not on disk, {} archive problem(s)",
                t.unaccounted,
                t.changed,
                self.not_on_disk.len(),
                self.archive_problems.len()
            );
        }
        s
    }
}

fn section(s: &mut String, title: &str, n: usize) {
    if n > 0 {
        let _ = writeln!(s, "\n{title} ({n}):");
    }
}

fn page_place(file: &str, file_page: u32) -> String {
    if file_page <= 1 {
        file.to_string()
    } else {
        format!("{file} page {file_page}")
    }
}

fn pages_note(pages: &[u32]) -> String {
    match pages {
        [] | [1] => String::new(),
        _ if pages.len() > 8 => format!(" ({} pages)", pages.len()),
        _ => format!(" (pages {})", pages.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UnreadableFlag;

    fn file(chart: &str, rel: &str, hash: &str, pages: u32) -> DiskFile {
        DiskFile { chart_id: chart.into(), rel: rel.into(), hash: hash.into(), pages }
    }

    fn src(chart: &str, rel: &str, hash: &str) -> StoredSource {
        StoredSource { chart_id: chart.into(), file: rel.into(), hash: hash.into() }
    }

    fn page(chart: &str, page: u32, rel: &str, file_page: u32, status: PageStatus) -> StoredPage {
        StoredPage { chart_id: chart.into(), page, file: rel.into(), file_page, status }
    }

    fn snap() -> ReconcileSnapshot {
        let mut s = ReconcileSnapshot::default();
        s.charts.insert("a".into(), ChartStatus::Accepted);
        s.charts.insert("b".into(), ChartStatus::Review);
        s.charts.insert("c".into(), ChartStatus::Failed);
        s.sources = vec![src("a", "a/1.png", "h1"), src("a", "a/2.png", "h2"), src("b", "b.tif", "h3"), src("c", "c/1.png", "h4")];
        s.pages = vec![
            page("a", 1, "a/1.png", 0, PageStatus::Read),
            page("a", 2, "a/2.png", 0, PageStatus::Blank),
            page("b", 1, "b.tif", 0, PageStatus::Read),
            page("b", 2, "b.tif", 1, PageStatus::Unreadable),
            page("b", 3, "b.tif", 2, PageStatus::Unknown),
        ];
        s.errors = vec![("b".into(), "b.tif page 2: corrupt TIFF data: bad code".into())];
        s.last_batch = Some(1);
        s
    }

    fn disk() -> Vec<DiskFile> {
        vec![file("a", "a/1.png", "h1", 1), file("a", "a/2.png", "h2", 1), file("b", "b.tif", "h3", 3), file("c", "c/1.png", "h4", 1)]
    }

    #[test]
    fn every_page_has_one_fate_and_the_counts_add_up() {
        let r = account(&disk(), vec![], &snap());
        assert!(r.ok, "{}", r.to_text());
        assert_eq!(r.pages_on_disk, 6);
        assert_eq!(r.totals.total(), 6);
        assert_eq!(
            r.totals,
            Counts { accepted: 1, review: 2, blank: 1, failed: 2, ..Counts::default() }
        );
        assert_eq!(r.failed_pages.len(), 2);
        assert_eq!(r.failed_pages[0].reason, "corrupt TIFF data: bad code");
        assert_eq!(r.failed_pages[0].file_page, 2);
        // A failed chart without page rows (a panic) is accounted for as failed.
        assert_eq!(r.failed_pages[1].chart_id, "c");
        assert_eq!(r.failed_pages[1].reason, "unreadable (no reason recorded)");
        assert_eq!(r.exit_code(), 0);
    }

    #[test]
    fn changed_new_missing_and_gone_files_are_reported() {
        let mut d = disk();
        d[0].hash = "other".into();
        d.push(file("a", "a/3.png", "h9", 1));
        d.push(file("z", "z.tif", "h8", 4));
        d.retain(|f| f.rel != "c/1.png");
        let mut s = snap();
        s.pages.retain(|p| !(p.chart_id == "b" && p.page == 3));
        s.unfinished_batches = vec![1];
        let r = account(&d, vec![ArchiveProblem { path: "/x/link".into(), reason: "symbolic link not followed".into() }], &s);
        assert!(!r.ok);
        assert_eq!(r.exit_code(), 1);
        assert_eq!(r.totals.total(), r.pages_on_disk);
        assert_eq!(r.totals.changed, 1);
        assert_eq!(r.totals.unaccounted, 1 + 4 + 1);
        assert_eq!(r.changed_files[0].file, "a/1.png");
        let un: Vec<(&str, &str)> = r.unaccounted.iter().map(|f| (f.file.as_str(), f.reason.as_str())).collect();
        assert!(un.iter().any(|(f, r)| *f == "a/3.png" && r.contains("added to the chart")), "{un:?}");
        assert!(un.iter().any(|(f, r)| *f == "z.tif" && r.contains("chart not in the database")), "{un:?}");
        assert!(un.iter().any(|(f, r)| *f == "b.tif" && r.contains("page not in the database")), "{un:?}");
        assert_eq!(r.unaccounted.iter().find(|f| f.file == "b.tif").unwrap().pages, vec![3]);
        assert_eq!(r.not_on_disk.len(), 1);
        assert_eq!(r.not_on_disk[0].file, "c/1.png");
        let text = r.to_text();
        for needle in ["NOT RECONCILED", "did not finish", "symbolic link", "z.tif (pages 1, 2, 3, 4)", "a/1.png: content differs"] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }

    #[test]
    fn unreadable_files_and_reasons() {
        let mut s = snap();
        s.sources[3].hash = "unreadable:PermissionDenied".into();
        s.pages.push(page("c", 1, "c/1.png", 0, PageStatus::Unreadable));
        s.errors.push(("c".into(), "c/1.png: the file cannot be read: Permission denied".into()));
        let mut d = disk();
        d[3].hash = "unreadable:PermissionDenied".into();
        let r = account(&d, vec![], &s);
        assert!(r.ok);
        assert_eq!(r.failed_pages[1].reason, "the file cannot be read: Permission denied");
        // Readable now: changed, so the next run picks it up.
        d[3].hash = "h4".into();
        let r = account(&d, vec![], &s);
        assert!(!r.ok);
        assert!(r.changed_files[0].reason.contains("can be read now"));
        // A flag's reason when no error names the page.
        let mut s = snap();
        s.errors.clear();
        s.unreadable_flags.push(UnreadableFlag { chart_id: "b".into(), page: Some(2), reason: "page yields almost no text".into() });
        let r = account(&disk(), vec![], &s);
        assert_eq!(r.failed_pages[0].reason, "page yields almost no text");
    }

    #[test]
    fn a_file_moved_to_another_chart_is_changed() {
        let d = vec![file("b2", "b.tif", "h3", 3)];
        let mut s = snap();
        s.sources.retain(|x| x.file == "b.tif");
        let r = account(&d, vec![], &s);
        assert_eq!(r.totals.changed, 3);
        assert!(r.changed_files[0].reason.contains("part of chart b;"));
    }

    #[test]
    fn json_has_the_counts() {
        let r = account(&disk(), vec![], &snap());
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["totals"]["review"], 2);
        assert_eq!(j["pages_on_disk"], 6);
        assert_eq!(j["ok"], true);
        assert_eq!(j["charts"][0]["status"], "accepted");
    }
}

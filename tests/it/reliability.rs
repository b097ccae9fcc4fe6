//! Reliability end to end, through the real binary on archives built in
//! temporary folders: bad input, panics, SIGKILL and SIGINT, the run lock,
//! reconciliation, and no patient value in the most verbose logs.
//!
//! Pages here are made with the `image` crate (blank paper, so nothing is
//! sent to Tesseract and the tests stay fast); only the PHI test reads real
//! text.

use super::{bin, text};
use serde_json::Value as Json;
#[cfg(feature = "synth")]
use std::path::Path;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

// ------------------------------------------------------------------ helpers

/// A temporary folder with an `archive/` and a database path beside it.
struct Scratch {
    #[cfg_attr(not(feature = "synth"), allow(dead_code))]
    dir: tempfile::TempDir,
    archive: PathBuf,
    db: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    let db = dir.path().join("charts.db");
    Scratch { dir, archive, db }
}

impl Scratch {
    fn path(&self, rel: &str) -> PathBuf {
        let p = self.archive.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// `chartmill run` with two workers and no progress output.
    fn run_cmd(&self) -> Command {
        let mut c = bin();
        c.arg("run").arg(&self.archive).arg("--db").arg(&self.db).args(["--jobs", "2", "--progress", "none", "--operator", "ci"]);
        c
    }

    fn run(&self) -> Output {
        self.run_cmd().output().expect("chartmill runs")
    }

    /// `chartmill reconcile --json`: exit code and report.
    fn reconcile(&self) -> (Option<i32>, Json) {
        let out = bin().arg("reconcile").arg(&self.archive).arg("--db").arg(&self.db).arg("--json").output().unwrap();
        let report: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("reconcile JSON: {e}: {}", text(&out)));
        let t = &report["totals"];
        let sum: u64 = ["accepted", "review", "rejected", "blank", "failed", "changed", "unaccounted"]
            .iter()
            .map(|k| t[k].as_u64().unwrap())
            .sum();
        assert_eq!(sum, report["pages_on_disk"].as_u64().unwrap(), "reconcile counts add up to the pages on disk");
        (out.status.code(), report)
    }

    fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(&self.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
    }

    fn chart_status(&self, id: &str) -> Option<String> {
        use rusqlite::OptionalExtension;
        self.conn().query_row("SELECT status FROM charts WHERE chart_id = ?1", [id], |r| r.get(0)).optional().unwrap()
    }

    /// `(file, file_page, status)` of a chart's pages in order.
    fn pages(&self, id: &str) -> Vec<(String, u32, String)> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT file, file_page, status FROM pages WHERE chart_id = ?1 ORDER BY page").unwrap();
        st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    }

    fn errors(&self, id: &str) -> Vec<String> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT message FROM chart_errors WHERE chart_id = ?1 ORDER BY seq").unwrap();
        st.query_map([id], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }
}

fn blank_page(w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_pixel(w, h, image::Luma([250u8]))
}

fn png_bytes(img: &image::GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg_bytes(img: &image::GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// Noise: compresses badly, so a cut file is cut inside its pixel data.
fn noise(w: u32, h: u32) -> image::GrayImage {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    image::GrayImage::from_fn(w, h, |_, _| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        image::Luma([(x >> 32) as u8])
    })
}

/// One page of a little-endian TIFF: 8-bit gray, one strip.
struct TiffPage {
    w: u32,
    h: u32,
    data: Vec<u8>,
    /// Where the strip claims to start; `None`: where the data is written.
    strip_at: Option<u32>,
}

impl TiffPage {
    fn gray(img: &image::GrayImage) -> TiffPage {
        TiffPage { w: img.width(), h: img.height(), data: img.as_raw().clone(), strip_at: None }
    }
}

/// A multi-page TIFF of these pages (uncompressed, BlackIsZero).
fn tiff_bytes(pages: &[TiffPage]) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut link_at = 4usize;
    for p in pages {
        let data_at = out.len() as u32;
        out.extend_from_slice(&p.data);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd_at = out.len() as u32;
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        let entries: [(u16, u16, u32); 9] = [
            (256, 4, p.w),
            (257, 4, p.h),
            (258, 3, 8),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, p.strip_at.unwrap_or(data_at)),
            (277, 3, 1),
            (278, 4, p.h),
            (279, 4, p.data.len() as u32),
        ];
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, v) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            if typ == 3 {
                out.extend_from_slice(&(v as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        link_at = out.len();
        out.extend_from_slice(&[0, 0, 0, 0]);
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Stdout and stderr of a finished run, for assertions.
fn all_output(o: &Output) -> String {
    text(o)
}

fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "exit code; output:\n{}", all_output(o));
}

/// A small archive's good chart: `good/` with two blank pages.
fn add_good_chart(s: &Scratch) {
    s.write("good/page-1.png", &png_bytes(&blank_page(240, 310)));
    s.write("good/page-2.png", &png_bytes(&blank_page(240, 310)));
}

/// The good chart went through: in the database, both pages blank.
fn assert_good_chart_loaded(s: &Scratch) {
    assert!(s.chart_status("good").is_some(), "the good chart was not loaded");
    let pages = s.pages("good");
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages.iter().all(|p| p.2 == "blank"), "{pages:?}");
}

/// One bad file in a chart of its own next to a good chart: the batch goes
/// on, exits 1, names the file (and page) with the reason, records the bad
/// chart as failed with its error, and reconcile accounts for every page.
fn check_bad_file(rel: &str, bytes: &[u8], reason: &str) {
    let s = scratch();
    add_good_chart(&s);
    s.write(rel, bytes);
    let o = s.run();
    assert_exit(&o, 1);
    let out = all_output(&o);
    let named = |place: &str| out.lines().any(|l| l.contains(&format!("{place}: ")) && l.contains(reason));
    assert!(named(rel) || named(&format!("{rel} page 1")), "no error naming {rel} with {reason:?}:\n{out}");
    let chart = rel.rsplit_once('/').unwrap().0;
    assert_eq!(s.chart_status(chart).as_deref(), Some("failed"), "{out}");
    assert_eq!(s.pages(chart), vec![(rel.to_string(), 0, "unreadable".to_string())]);
    let errors = s.errors(chart);
    assert!(errors.iter().any(|e| e.starts_with(rel) && e.contains(reason)), "{errors:?}");
    assert_good_chart_loaded(&s);
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["totals"]["failed"], 1);
    assert_eq!(report["failed_pages"][0]["file"], rel);
    assert!(report["failed_pages"][0]["reason"].as_str().unwrap().contains(reason), "{report:#}");
}

#[test]
fn zero_byte_file() {
    check_bad_file("empty/page-1.png", b"", "the file is empty (zero bytes)");
}

#[test]
fn truncated_png() {
    let png = png_bytes(&noise(300, 200));
    check_bad_file("cut-png/page-1.png", &png[..png.len() / 2], "the PNG file is truncated");
}

#[test]
fn truncated_jpeg() {
    let jpg = jpeg_bytes(&noise(300, 200));
    check_bad_file("cut-jpeg/page-1.jpg", &jpg[..jpg.len() / 2], "JPEG");
}

#[test]
fn truncated_tiff() {
    // The directory comes after the pixel data: cut in half, the directory is gone.
    let tif = tiff_bytes(&[TiffPage::gray(&noise(300, 200))]);
    check_bad_file("cut-tiff/page-1.tif", &tif[..tif.len() / 2], "TIFF");
}

#[test]
fn text_file_named_tif() {
    check_bad_file("letter/page-1.tif", b"Dear Dr. Miller,\nthis is a letter, not a scan.\n", "not a PNG, JPEG or TIFF image");
}

#[test]
fn multi_page_tiff_with_one_corrupt_page() {
    let s = scratch();
    add_good_chart(&s);
    let page = blank_page(200, 260);
    let mut bad = TiffPage::gray(&page);
    bad.strip_at = Some(0x7fff_0000); // the strip lies beyond the end of the file
    s.write("box/multi.tif", &tiff_bytes(&[TiffPage::gray(&page), bad, TiffPage::gray(&page)]));
    let o = s.run();
    assert_exit(&o, 1);
    let out = all_output(&o);
    assert!(out.contains("box/multi.tif page 2: "), "{out}");
    assert_eq!(
        s.pages("box/multi"),
        vec![
            ("box/multi.tif".to_string(), 0, "blank".to_string()),
            ("box/multi.tif".to_string(), 1, "unreadable".to_string()),
            ("box/multi.tif".to_string(), 2, "blank".to_string()),
        ],
        "the good pages are still read"
    );
    assert_eq!(s.chart_status("box/multi").as_deref(), Some("review"));
    let conn = s.conn();
    let flagged: u32 = conn
        .query_row("SELECT count(*) FROM flags WHERE chart_id = 'box/multi' AND code = 'unreadable_page' AND page = 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(flagged, 1, "page 2 is flagged unreadable_page");
    assert_good_chart_loaded(&s);
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["totals"]["blank"], 4);
    assert_eq!(report["totals"]["failed"], 1);
    assert_eq!(report["failed_pages"][0]["file_page"], 2);
}

#[test]
fn huge_header_is_refused_quickly_in_little_memory() {
    let s = scratch();
    add_good_chart(&s);
    // A PNG whose IHDR claims 100,000 x 100,000 pixels (10 GB of gray).
    let mut png = png_bytes(&blank_page(4, 4));
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    s.write("huge-png/page-1.png", &png);
    // A TIFF directory claiming the same, with a ten-byte strip.
    s.write("huge-tiff/page-1.tif", &tiff_bytes(&[TiffPage { w: 100_000, h: 100_000, data: vec![0; 10], strip_at: None }]));
    // Address space capped at 3 GiB: an attempt to allocate the page would fail.
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("ulimit -v 3145728 && exec \"$0\" \"$@\"").arg(env!("CARGO_BIN_EXE_chartmill"));
    cmd.arg("run").arg(&s.archive).arg("--db").arg(&s.db).args(["--jobs", "2", "--progress", "none"]);
    let o = cmd.env_remove("CHARTMILL_LOG").output().unwrap();
    let took = started.elapsed();
    assert_exit(&o, 1);
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let out = all_output(&o);
    for rel in ["huge-png/page-1.png", "huge-tiff/page-1.tif"] {
        let claim = "the page claims 100000 x 100000 pixels, over the limit";
        assert!(out.contains(&format!("{rel}: {claim}")) || out.contains(&format!("{rel} page 1: {claim}")), "{rel}:\n{out}");
        let chart = rel.split('/').next().unwrap();
        assert_eq!(s.chart_status(chart).as_deref(), Some("failed"));
    }
    assert_good_chart_loaded(&s);
}

#[test]
fn file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let s = scratch();
    add_good_chart(&s);
    let p = s.write("locked/page-1.png", &png_bytes(&blank_page(200, 260)));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_ok() {
        eprintln!("note: file_without_read_permission: running as root, where mode 000 does not stop reading; the denial is not tested");
        let o = s.run();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", all_output(&o));
        assert_good_chart_loaded(&s);
        return;
    }
    let o = s.run();
    assert_exit(&o, 1);
    let out = all_output(&o);
    assert!(out.contains("locked/page-1.png: the file cannot be read"), "{out}");
    assert_eq!(s.chart_status("locked").as_deref(), Some("failed"));
    assert_good_chart_loaded(&s);
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(0), "{report:#}");
    // Readable again: reconcile says the file changed, and the next run reads it.
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["changed_files"][0]["file"], "locked/page-1.png");
    s.run();
    assert_eq!(s.pages("locked"), vec![("locked/page-1.png".to_string(), 0, "blank".to_string())]);
}

#[test]
fn symlink_loop() {
    let s = scratch();
    add_good_chart(&s);
    std::fs::create_dir_all(s.archive.join("loops/inner")).unwrap();
    std::os::unix::fs::symlink("b.png", s.archive.join("loops/a.png")).unwrap();
    std::os::unix::fs::symlink("a.png", s.archive.join("loops/b.png")).unwrap();
    std::os::unix::fs::symlink("..", s.archive.join("loops/inner/up")).unwrap();
    let o = s.run();
    assert_exit(&o, 1);
    let out = all_output(&o);
    for link in ["loops/a.png", "loops/b.png", "loops/inner/up"] {
        assert!(out.contains(&format!("{link}: symbolic link not followed")), "{link}:\n{out}");
    }
    assert_good_chart_loaded(&s);
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(1), "archive problems fail reconciliation: {report:#}");
    assert_eq!(report["archive_problems"].as_array().unwrap().len(), 3);
    assert_eq!(report["totals"]["unaccounted"], 0);
}

#[test]
fn file_name_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let s = scratch();
    add_good_chart(&s);
    std::fs::create_dir(s.archive.join("latin1")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"M\xfcller-page-1.png");
    std::fs::write(s.archive.join("latin1").join(name), png_bytes(&blank_page(200, 260))).unwrap();
    let o = s.run();
    assert_exit(&o, 1);
    let out = all_output(&o);
    assert!(out.contains("name is not valid UTF-8"), "{out}");
    assert!(out.contains("latin1/M\u{fffd}ller-page-1.png"), "the file is named (lossily): {out}");
    // The page itself is a good scan: it is read, under its lossy name.
    assert_eq!(s.pages("latin1"), vec![("latin1/M\u{fffd}ller-page-1.png".to_string(), 0, "blank".to_string())]);
    assert_good_chart_loaded(&s);
    let (_, report) = s.reconcile();
    assert_eq!(report["totals"]["blank"], 3, "{report:#}");
    assert_eq!(report["totals"]["unaccounted"], 0, "{report:#}");
}

#[test]
fn a_folder_of_ten_thousand_files() {
    let s = scratch();
    let png = png_bytes(&blank_page(24, 32));
    let folder = s.path("big/x");
    let folder = folder.parent().unwrap();
    for i in 1..=10_000 {
        std::fs::write(folder.join(format!("page-{i}.png")), &png).unwrap();
    }
    let started = Instant::now();
    let o = s.run();
    let took = started.elapsed();
    eprintln!("10,000 blank pages: run took {took:?}");
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", all_output(&o));
    assert!(took < Duration::from_secs(120), "took {took:?}");
    let conn = s.conn();
    let (n, blank, first, last): (u32, u32, String, String) = conn
        .query_row(
            "SELECT count(*), sum(status = 'blank'),
                    (SELECT file FROM pages WHERE chart_id = 'big' AND page = 1),
                    (SELECT file FROM pages WHERE chart_id = 'big' AND page = 10000)
             FROM pages WHERE chart_id = 'big'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((n, blank), (10_000, 10_000));
    assert_eq!((first.as_str(), last.as_str()), ("big/page-1.png", "big/page-10000.png"), "natural page order");
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(0));
    assert_eq!(report["pages_on_disk"], 10_000);
    assert_eq!(report["totals"]["blank"], 10_000);
}

#[test]
fn a_panic_in_one_chart_never_ends_the_batch() {
    // The hook that makes a chart panic is compiled into debug builds only:
    // a release binary, the one a hospital runs, never reads the variable.
    if !cfg!(debug_assertions) {
        eprintln!("skipped in a release build: the panic hook is not compiled in");
        return;
    }
    let s = scratch();
    add_good_chart(&s);
    s.write("boom/page-1.png", &png_bytes(&blank_page(200, 260)));
    s.write("zeta/page-1.png", &png_bytes(&blank_page(200, 260)));
    let o = s.run_cmd().env("CHARTMILL_TEST_PANIC_ON", "boom").output().unwrap();
    assert_exit(&o, 1);
    let out = all_output(&o);
    assert!(out.contains("boom: internal error while processing the chart"), "{out}");
    assert!(!out.contains("CHARTMILL_TEST_PANIC_ON"), "the panic message is withheld: {out}");
    assert_eq!(s.chart_status("boom").as_deref(), Some("failed"));
    assert_good_chart_loaded(&s);
    assert_eq!(s.pages("zeta").len(), 1, "charts after the panic are processed");
    let (code, report) = s.reconcile();
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["totals"]["failed"], 1);
    assert!(report["failed_pages"][0]["reason"].as_str().unwrap().starts_with("internal error"), "{report:#}");
    // Without the hook the chart is read on the next run (its failure is not final).
    let o = s.run();
    let _ = o;
}

// ------------------------------------------------------------------ crashes and interruption

/// `n` charts of one letter-size blank page each: decoding and preparing
/// such a page takes some tens of milliseconds in a debug build, so a batch
/// of a hundred runs for several seconds and can be stopped in the middle.
fn slow_archive(s: &Scratch, n: usize) {
    let png = png_bytes(&blank_page(1700, 2200));
    for i in 0..n {
        s.write(&format!("box/c{i:03}/page-1.png"), &png);
    }
}

/// What must hold in the database at any moment, even right after SIGKILL:
/// no chart half-loaded, none loaded twice, the invariants of the schema.
fn assert_consistent(s: &Scratch) {
    let conn = s.conn();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let list = |sql: &str| -> Vec<String> {
        let mut st = conn.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
    };
    let half = list(
        "SELECT chart_id FROM charts c WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.chart_id = c.chart_id)
                                       OR NOT EXISTS (SELECT 1 FROM pages p WHERE p.chart_id = c.chart_id)",
    );
    assert!(half.is_empty(), "charts without sources or pages: {half:?}");
    let no_values = list(
        "SELECT chart_id FROM charts c WHERE status = 'accepted'
           AND NOT EXISTS (SELECT 1 FROM chart_values v WHERE v.chart_id = c.chart_id)",
    );
    assert!(no_values.is_empty(), "accepted charts without values: {no_values:?}");
    let staged = list("SELECT DISTINCT r.chart_id FROM review_values r JOIN charts c USING (chart_id) WHERE c.status = 'accepted'");
    assert!(staged.is_empty(), "accepted charts with review values: {staged:?}");
    let unqueued = list(
        "SELECT chart_id FROM charts c WHERE status = 'review'
           AND NOT EXISTS (SELECT 1 FROM review_queue q WHERE q.chart_id = c.chart_id AND q.state = 'open')
           OR  status = 'review' AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.chart_id = c.chart_id)",
    );
    assert!(unqueued.is_empty(), "charts in review without a queue entry or a flag: {unqueued:?}");
    let twice = list(
        "SELECT chart_id FROM audit WHERE action IN ('loaded', 'queued', 'failed', 'reprocessed')
         GROUP BY chart_id HAVING count(*) <> 1",
    );
    assert!(twice.is_empty(), "charts loaded more (or less) than once: {twice:?}");
    let unaudited = list("SELECT chart_id FROM charts c WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.chart_id = c.chart_id)");
    assert!(unaudited.is_empty(), "charts without their audit row: {unaudited:?}");
}

fn chart_count(s: &Scratch) -> u32 {
    s.conn().query_row("SELECT count(*) FROM charts", [], |r| r.get(0)).unwrap()
}

/// Waits for a child, at most `limit`; kills it when it takes longer.
fn wait_at_most(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("chartmill did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_at_any_moment_then_rerun_finishes_without_duplicates() {
    let s = scratch();
    const CHARTS: u32 = 250;
    slow_archive(&s, CHARTS as usize);
    let mut killed_mid_batch = 0;
    for delay_ms in [500u64, 2000, 5000] {
        let mut child = s.run_cmd().stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_mid_batch += 1;
        }
        child.wait().unwrap();
        if s.db.exists() {
            assert_consistent(&s);
            eprintln!("after SIGKILL at {delay_ms} ms: {} chart(s) loaded", chart_count(&s));
        }
    }
    assert!(killed_mid_batch > 0, "no batch was still running when killed");
    let unfinished: u32 = s.conn().query_row("SELECT count(*) FROM batches WHERE finished_at IS NULL", [], |r| r.get(0)).unwrap();
    assert!(unfinished >= 1, "a killed batch stays unfinished");

    // Reconcile names what is missing before the rerun, and is satisfied after.
    let (code, before) = s.reconcile();
    if chart_count(&s) < CHARTS {
        assert_eq!(code, Some(1), "{before:#}");
        assert!(before["totals"]["unaccounted"].as_u64().unwrap() > 0);
    }
    let o = s.run();
    assert_exit(&o, 0);
    assert_consistent(&s);
    assert_eq!(chart_count(&s), CHARTS, "the rerun finishes the rest");
    let (code, after) = s.reconcile();
    assert_eq!(code, Some(0), "{after:#}");
    assert_eq!(after["totals"]["blank"], CHARTS);
    // A further run has nothing to do.
    let o = s.run();
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("0 processed, {CHARTS} unchanged and skipped")), "{}", all_output(&o));
}

#[test]
fn sigint_finishes_what_is_in_flight_prints_the_summary_and_exits_130() {
    let s = scratch();
    const CHARTS: u32 = 100;
    slow_archive(&s, CHARTS as usize);
    let mut child = s.run_cmd().stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let status = wait_at_most(&mut child, Duration::from_secs(60));
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if status.code() == Some(0) {
        eprintln!("note: the batch finished before SIGINT arrived; nothing to check");
        return;
    }
    assert_eq!(status.code(), Some(130), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("(interrupted)") && stdout.contains(&format!("charts: {CHARTS} found")), "summary printed: {stdout}");
    assert_consistent(&s);
    let loaded = chart_count(&s);
    if loaded == CHARTS {
        // The signal came as the last charts were loading: the batch is
        // whole and says it was interrupted; nothing is left to resume.
        eprintln!("note: every chart was loaded before SIGINT took effect");
        return;
    }
    let (finished, interrupted): (Option<String>, bool) =
        s.conn().query_row("SELECT finished_at, interrupted FROM batches WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert!(finished.is_some() && interrupted, "the batch is recorded as interrupted");
    let o = s.run();
    assert_exit(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("{} processed, {loaded} unchanged", CHARTS - loaded)), "{}", all_output(&o));
    assert_consistent(&s);
    assert_eq!(chart_count(&s), CHARTS);
    assert_eq!(s.reconcile().0, Some(0));
}

#[test]
fn a_second_run_on_the_same_database_is_refused_while_the_first_runs() {
    let s = scratch();
    const CHARTS: u32 = 60;
    slow_archive(&s, CHARTS as usize);
    let mut first = s.run_cmd().stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The first run holds the lock once it has recorded its batch.
    let started = Instant::now();
    loop {
        let has_batch = s.db.exists()
            && s.conn().query_row("SELECT count(*) FROM batches", [], |r| r.get::<_, u32>(0)).unwrap_or(0) > 0;
        if has_batch {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the first run never started its batch");
        assert!(first.try_wait().unwrap().is_none(), "the first run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = s.run();
    let first_done = first.try_wait().unwrap().is_some();
    let out = all_output(&second);
    if !first_done {
        assert_exit(&second, 2);
        assert!(out.contains("is in use by another chartmill run"), "{out}");
        assert!(out.contains(&format!("(process {})", first.id())), "the message names the holder: {out}");
        assert!(!out.contains("batch 2"), "the second run did not start a batch: {out}");
    } else {
        eprintln!("note: the first run finished before the second started");
    }
    let mode: String = s.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let status = wait_at_most(&mut first, Duration::from_secs(120));
    assert_eq!(status.code(), Some(0), "the first run was not disturbed");
    assert_consistent(&s);
    assert_eq!(chart_count(&s), CHARTS);
    let batches: u32 = s.conn().query_row("SELECT count(*) FROM batches", [], |r| r.get(0)).unwrap();
    assert_eq!(batches, 1);
}

// ------------------------------------------------------------------ protected health information

/// Every way a value of the truth could be written in a log line.
#[cfg(feature = "synth")]
fn truth_values(chart: &Json) -> Vec<String> {
    let p = &chart["patient"];
    let mut v: Vec<String> = Vec::new();
    let mut push = |x: &Json| {
        if let Some(s) = x.as_str() {
            v.push(s.to_string());
        }
    };
    for k in ["family", "given", "mrn", "dob", "phone"] {
        push(&p[k]);
    }
    push(&p["address"]["line"]);
    push(&chart["coverage"]["member_id"]);
    for e in chart["encounters"].as_array().into_iter().flatten() {
        push(&e["provider"]);
        push(&e["npi"]);
    }
    // The date of birth as it is written on paper, too.
    if let Some(dob) = p["dob"].as_str() {
        let (y, m, d) = (&dob[0..4], &dob[5..7], &dob[8..10]);
        v.push(format!("{m}/{d}/{y}"));
        v.push(format!("{}/{}/{y}", m.trim_start_matches('0'), d.trim_start_matches('0')));
    }
    // Each word of a name on its own.
    for k in ["family", "given"] {
        if let Some(s) = p[k].as_str() {
            v.extend(s.split_whitespace().filter(|w| w.len() >= 3).map(str::to_string));
        }
    }
    v.sort();
    v.dedup();
    v
}

/// Whole-word, case-insensitive.
#[cfg(feature = "synth")]
fn contains_word(haystack: &str, needle: &str) -> bool {
    let h = haystack.to_lowercase();
    let n = needle.to_lowercase();
    let is_word = |c: char| c.is_alphanumeric();
    h.match_indices(&n).any(|(i, _)| {
        let before = h[..i].chars().next_back().is_none_or(|c| !is_word(c));
        let after = h[i + n.len()..].chars().next().is_none_or(|c| !is_word(c));
        before && after
    })
}

#[cfg(feature = "synth")]
#[test]
fn no_patient_value_in_the_most_verbose_output_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = scratch();
    let synth = s.dir.path().join("synth");
    let o = bin().arg("synth").arg(&synth).args(["--charts", "1", "--seed", "7"]).output().unwrap();
    assert_exit(&o, 0);
    let truth: Vec<Json> = std::fs::read_to_string(synth.join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The synthetic chart, plus the error paths: a truncated copy of its first
    // page and a chart that panics (its files are the same scan).
    copy_dir(&synth.join("archive"), &s.archive);
    let first = first_file(&s.archive);
    let bytes = std::fs::read(&first).unwrap();
    s.write("broken/page-1.png", &bytes[..bytes.len() / 3]);
    s.write("boom/page-1.png", &bytes);
    let o = bin()
        .args(["-vvv", "run"])
        .arg(&s.archive)
        .arg("--db")
        .arg(&s.db)
        .args(["--jobs", "2", "--progress", "lines"])
        .env("CHARTMILL_LOG", "trace")
        .env("CHARTMILL_TEST_PANIC_ON", "boom")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_exit(&o, 1);
    let mut out = all_output(&o);
    assert!(out.contains("TRACE") || out.contains("DEBUG"), "logging is at its most verbose: {out}");
    // Chart ids and file names are the operator's own paths (a synthetic
    // chart is named after its patient, as many paper archives are): they
    // may be logged. Everything else must not show a value.
    let mut paths: Vec<String> = vec![s.archive.display().to_string()];
    for entry in walkdir::WalkDir::new(&s.archive) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&s.archive).unwrap().to_string_lossy().into_owned();
        paths.push(rel.clone());
        if let Some(stem) = rel.rsplit_once('.') {
            paths.push(stem.0.to_string());
        }
    }
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in paths.iter().filter(|p| !p.is_empty()) {
        out = out.replace(p.as_str(), "<path>");
    }
    for chart in &truth {
        for value in truth_values(chart) {
            assert!(!contains_word(&out, &value), "a patient value ({} chars) appears in the output:\n{out}", value.len());
        }
    }
    // The database, its side files and every export: owner only.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let p = PathBuf::from(format!("{}{suffix}", s.db.display()));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    for format in ["jsonl", "csv"] {
        let path = s.dir.path().join(format!("export.{format}"));
        let o = bin().args(["export", "--format", format, "--db"]).arg(&s.db).arg("--output").arg(&path).output().unwrap();
        assert_exit(&o, 0);
        assert_eq!(mode(&path), 0o600, "{format} export");
        let said = all_output(&o);
        for value in truth_values(&truth[0]) {
            assert!(!contains_word(&said, &value), "export prints a value: {said}");
        }
        if format == "jsonl" {
            // The search would find a value where there is one: the export has them.
            let exported = std::fs::read_to_string(&path).unwrap();
            assert!(truth_values(&truth[0]).iter().any(|v| contains_word(&exported, v)), "the batch read no value at all");
        }
    }
}

#[cfg(feature = "synth")]
fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The first scan of an archive.
#[cfg(feature = "synth")]
fn first_file(dir: &Path) -> PathBuf {
    walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().map(|e| e.unwrap()).find(|e| e.file_type().is_file()).expect("a page file").into_path()
}

// ------------------------------------------------------------------ reconcile

#[test]
fn reconcile_table_reports_changed_new_and_gone_files() {
    let s = scratch();
    add_good_chart(&s);
    s.write("other/page-1.png", &png_bytes(&blank_page(200, 260)));
    s.write("notes.txt", b"not a scan");
    let reconcile = || bin().arg("reconcile").arg(&s.archive).arg("--db").arg(&s.db).output().unwrap();
    // No database yet: cannot run.
    let o = reconcile();
    assert_exit(&o, 2);
    assert!(all_output(&o).contains("no database at"), "{}", all_output(&o));
    assert_exit(&s.run(), 0);
    let o = reconcile();
    assert_exit(&o, 0);
    let t = String::from_utf8_lossy(&o.stdout).into_owned();
    for needle in ["chart", "status", "pages", "accepted", "unaccounted", "good", "other", "total", "ok: all 3 page(s) accounted for", "1 other file(s) ignored"] {
        assert!(t.contains(needle), "{needle}:\n{t}");
    }
    // A page rescanned, a new chart, a chart gone.
    s.write("good/page-2.png", &png_bytes(&blank_page(210, 260)));
    s.write("late/page-1.png", &png_bytes(&blank_page(200, 260)));
    std::fs::remove_dir_all(s.archive.join("other")).unwrap();
    let o = reconcile();
    assert_exit(&o, 1);
    let t = String::from_utf8_lossy(&o.stdout).into_owned();
    for needle in [
        "changed since loaded (1):",
        "good: good/page-2.png: content differs from what was loaded",
        "not accounted for (1):",
        "late: late/page-1.png: chart not in the database",
        "in the database, not on disk (1):",
        "other: other/page-1.png",
        "NOT RECONCILED: 1 page(s) not accounted for, 1 page(s) changed since loaded, 1 file(s) in the database not on disk",
    ] {
        assert!(t.contains(needle), "{needle}:\n{t}");
    }
    let (_, report) = s.reconcile();
    assert_eq!(report["ok"], false);
    assert_eq!(report["totals"]["changed"], 1);
    assert_eq!(report["totals"]["unaccounted"], 1);
}

// ------------------------------------------------------------------ normalisation properties

/// What normalisation outputs, it accepts again unchanged: a value that was
/// loaded, exported and read back (or corrected by a reviewer by typing the
/// shown value) never drifts.
mod normalize_properties {
    use chartmill::model::Value;
    use chartmill::normalize::{normalize, Context, Normalized};
    use chartmill::pipeline::ValueType;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn ctx() -> Context {
        Context { today: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() }
    }

    fn get<'a>(parts: &'a [(&str, Value)], key: &str) -> Option<&'a Value> {
        parts.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The text a person would type for a normalised value.
    fn render(vt: ValueType, n: &Normalized) -> String {
        let text = |v: Option<&Value>| v.map(|v| v.to_string()).unwrap_or_default();
        match n {
            Normalized::Scalar(v) => v.to_string(),
            Normalized::Parts(p) => match vt {
                ValueType::PersonName => match get(p, "given") {
                    Some(g) => format!("{}, {g}", text(get(p, "family"))),
                    None => text(get(p, "family")),
                },
                ValueType::Signature => {
                    [text(get(p, "signed_by")), text(get(p, "signed_date"))].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" ")
                }
                ValueType::Address if p.len() == 1 => text(get(p, "line")),
                ValueType::Address | ValueType::CityStateZip => {
                    let mut s = String::new();
                    if let Some(l) = get(p, "line") {
                        s.push_str(&format!("{l}, "));
                    }
                    if let Some(c) = get(p, "city") {
                        s.push_str(&format!("{c}, "));
                    }
                    s.push_str(&text(get(p, "state")));
                    if let Some(z) = get(p, "zip") {
                        s.push_str(&format!(" {z}"));
                    }
                    s.trim().trim_end_matches(',').to_string()
                }
                _ => unreachable!("{vt:?} has no parts"),
            },
            Normalized::List(items) => match vt {
                ValueType::Diagnoses => items
                    .iter()
                    .map(|i| format!("{} {}", text(get(i, "code")), text(get(i, "text"))).trim().to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
                ValueType::Allergies if items.is_empty() => "NKDA".to_string(),
                ValueType::Allergies => items
                    .iter()
                    .map(|i| match get(i, "reaction") {
                        Some(r) => format!("{} ({r})", text(get(i, "substance"))),
                        None => text(get(i, "substance")),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => unreachable!("{vt:?} has no list"),
            },
        }
    }

    /// normalize(t, render(normalize(t, raw))) == normalize(t, raw) whenever
    /// the first normalisation succeeds.
    fn stable(vt: ValueType, raw: &str) -> Result<(), TestCaseError> {
        if let Ok(first) = normalize(vt, raw, &ctx()) {
            let shown = render(vt, &first);
            let again = normalize(vt, &shown, &ctx());
            prop_assert_eq!(again.as_ref(), Ok(&first), "{:?}: {:?} gave {:?}, shown as {:?}", vt, raw, first, shown);
        }
        Ok(())
    }

    const ALL: [ValueType; 22] = [
        ValueType::Text,
        ValueType::PersonName,
        ValueType::ProviderName,
        ValueType::Date,
        ValueType::BirthDate,
        ValueType::Sex,
        ValueType::Phone,
        ValueType::Identifier,
        ValueType::Address,
        ValueType::CityStateZip,
        ValueType::City,
        ValueType::State,
        ValueType::Zip,
        ValueType::Npi,
        ValueType::Diagnoses,
        ValueType::Allergies,
        ValueType::Signature,
        ValueType::BloodPressure,
        ValueType::Integer,
        ValueType::Decimal,
        ValueType::Cvx,
        ValueType::Lot,
    ];

    /// The types whose value is one scalar.
    const SCALAR: [ValueType; 16] = [
        ValueType::Text,
        ValueType::ProviderName,
        ValueType::Date,
        ValueType::BirthDate,
        ValueType::Sex,
        ValueType::Phone,
        ValueType::Identifier,
        ValueType::City,
        ValueType::State,
        ValueType::Zip,
        ValueType::Npi,
        ValueType::BloodPressure,
        ValueType::Integer,
        ValueType::Decimal,
        ValueType::Cvx,
        ValueType::Lot,
    ];

    fn luhn_check_digit(nine: &str) -> u32 {
        // Luhn over 80840 + the nine digits + a check digit of 0, then complete it.
        let digits: Vec<u32> = format!("80840{nine}0").bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
            .sum();
        (10 - sum % 10) % 10
    }

    fn date_text() -> impl Strategy<Value = (NaiveDate, String)> {
        (1900i32..2026, 1u32..=12, 1u32..=31, 0usize..9).prop_filter_map("a calendar date", |(y, m, d, f)| {
            let date = NaiveDate::from_ymd_opt(y, m, d)?;
            let fmt = ["%m/%d/%Y", "%-m/%-d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%B %-d, %Y", "%b %-d, %Y", "%d-%b-%Y", "%-d %b %Y", "%b. %-d, %Y"][f];
            let mut s = date.format(fmt).to_string();
            if f == 6 {
                s = s.to_uppercase();
            }
            Some((date, s))
        })
    }

    fn name_word() -> impl Strategy<Value = String> {
        ("[A-Z][a-z]{1,9}", "(|-[A-Z][a-z]{2,6}|'[A-Z][a-z]{2,6})", 0u8..3).prop_map(|(w, tail, case)| {
            let w = format!("{w}{tail}");
            match case {
                0 => w.to_uppercase(),
                1 => w.to_lowercase(),
                _ => w,
            }
        })
    }

    /// Characters OCR produces, weighted towards what values are made of.
    fn ocr_text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9 ,.:;/()'#&+*|_-]{0,40}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn dates_read_in_every_spec_form_and_stay((date, text) in date_text()) {
            for vt in [ValueType::Date, ValueType::BirthDate] {
                let got = normalize(vt, &text, &ctx());
                prop_assert_eq!(got, Ok(Normalized::Scalar(Value::Text(date.format("%Y-%m-%d").to_string()))), "{}", text);
                stable(vt, &text)?;
            }
        }

        #[test]
        fn two_digit_years_are_never_after_today(m in 1u32..=12, d in 1u32..=28, y in 0u32..100) {
            let text = format!("{m}/{d}/{y:02}");
            if let Ok(Normalized::Scalar(Value::Text(iso))) = normalize(ValueType::BirthDate, &text, &ctx()) {
                let got = NaiveDate::parse_from_str(&iso, "%Y-%m-%d").unwrap();
                prop_assert!(got <= ctx().today, "{} -> {}", text, iso);
            }
            stable(ValueType::BirthDate, &text)?;
        }

        #[test]
        fn phones(area in 200u32..1000, exch in 200u32..1000, line in 0u32..10000, f in 0usize..6) {
            let text = [
                format!("({area}) {exch}-{line:04}"),
                format!("{area}-{exch}-{line:04}"),
                format!("{area}.{exch}.{line:04}"),
                format!("1-{area}-{exch}-{line:04}"),
                format!("+1 {area} {exch} {line:04}"),
                format!("{area}{exch}{line:04}"),
            ][f].clone();
            prop_assert_eq!(normalize(ValueType::Phone, &text, &ctx()), Ok(Normalized::Scalar(Value::Text(format!("{area}{exch}{line:04}")))));
            stable(ValueType::Phone, &text)?;
        }

        #[test]
        fn person_names(family in name_word(), given in prop::collection::vec(name_word(), 0..3), initial in "(| [A-Z]| [A-Z]\\.)", comma in any::<bool>()) {
            let given = format!("{}{}", given.join(" "), if given.is_empty() { "" } else { initial.as_str() });
            let text = match (comma, given.is_empty()) {
                (_, true) => family.clone(),
                (true, false) => format!("{family}, {given}"),
                (false, false) => format!("{given} {family}"),
            };
            let got = normalize(ValueType::PersonName, &text, &ctx());
            prop_assert!(got.is_ok(), "{} -> {:?}", text, got);
            stable(ValueType::PersonName, &text)?;
        }

        #[test]
        fn identifiers_and_lots(text in "[ ]{0,2}[A-Za-z0-9]{1,4}([ -]?[A-Za-z0-9]{1,6}){0,3}[ ]{0,2}") {
            for vt in [ValueType::Identifier, ValueType::Lot] {
                prop_assert!(normalize(vt, &text, &ctx()).is_ok(), "{}", text);
                stable(vt, &text)?;
            }
        }

        #[test]
        fn npis(first in 1u32..=2, rest in "[0-9]{8}", dashes in any::<bool>()) {
            let nine = format!("{first}{rest}");
            let npi = format!("{nine}{}", luhn_check_digit(&nine));
            let text = if dashes { format!("{}-{}-{}", &npi[..3], &npi[3..6], &npi[6..]) } else { npi.clone() };
            prop_assert_eq!(normalize(ValueType::Npi, &text, &ctx()), Ok(Normalized::Scalar(Value::Text(npi))));
            stable(ValueType::Npi, &text)?;
        }

        #[test]
        fn zips(five in "[0-9]{5}", four in "[0-9]{4}", f in 0usize..4) {
            let (text, want) = [
                (five.clone(), five.clone()),
                (format!("{five}-{four}"), format!("{five}-{four}")),
                (format!("{five} {four}"), format!("{five}-{four}")),
                (format!("{five}{four}"), format!("{five}-{four}")),
            ][f].clone();
            prop_assert_eq!(normalize(ValueType::Zip, &text, &ctx()), Ok(Normalized::Scalar(Value::Text(want))));
            stable(ValueType::Zip, &text)?;
        }

        #[test]
        fn cvx_sex_state_bp_numbers(
            cvx in "[0-9]{1,3}",
            sex in "(M|F|U|male|FEMALE|Unknown)",
            state in "(IL|ny|Illinois|new york|District of Columbia|PR)",
            sys in 50u32..=300, dia in 20u32..=200,
            int in 0i64..1000, unit in "(| bpm| lb| lbs)",
            dec in 0u32..20000,
        ) {
            stable(ValueType::Cvx, &cvx)?;
            stable(ValueType::Sex, &sex)?;
            stable(ValueType::State, &state)?;
            let bp = format!("{sys} / {dia} mmHg");
            stable(ValueType::BloodPressure, &bp)?;
            stable(ValueType::Integer, &format!("{int}{unit}"))?;
            let d = format!("{}.{} F", dec / 100, dec % 100);
            prop_assert!(normalize(ValueType::Decimal, &d, &ctx()).is_ok(), "{}", d);
            stable(ValueType::Decimal, &d)?;
        }

        #[test]
        fn addresses(num in 1u32..99999, street in name_word(), kind in "(Street|St.|Ave|ROAD|Drive)", city in name_word(),
                     state in "(IL|KY|Texas|ny)", zip in "[0-9]{5}(-[0-9]{4})?") {
            let line = format!("{num} {street} {kind}");
            let one = format!("{line}, {city}, {state} {zip}");
            prop_assert!(normalize(ValueType::Address, &one, &ctx()).is_ok(), "{}", one);
            stable(ValueType::Address, &one)?;
            stable(ValueType::Address, &line)?;
            stable(ValueType::CityStateZip, &format!("{city}, {state} {zip}"))?;
            stable(ValueType::City, &city)?;
        }

        #[test]
        fn diagnoses_allergies_signatures(
            codes in prop::collection::vec("([0-9]{3}(\\.[0-9]{1,2})?|V[0-9]{2}|[A-DF-Z][0-9]{2}(\\.[0-9A-Z]{1,3})?)", 1..4),
            words in prop::collection::vec("[A-Za-z]{3,9}", 1..4),
            subst in prop::collection::vec(("[A-Za-z]{3,10}", "(|[a-z]{3,8})"), 1..4),
            provider in name_word(), (date, date_text) in date_text(),
        ) {
            let dx = codes.iter().map(|c| format!("{c} {}", words.join(" "))).collect::<Vec<_>>().join("\n");
            prop_assert!(normalize(ValueType::Diagnoses, &dx, &ctx()).is_ok(), "{}", dx);
            stable(ValueType::Diagnoses, &dx)?;
            let al = subst.iter().map(|(s, r)| if r.is_empty() { s.clone() } else { format!("{s} ({r})") }).collect::<Vec<_>>().join("; ");
            stable(ValueType::Allergies, &al)?;
            let sig = format!("John R. {provider}, MD {date_text}");
            let got = normalize(ValueType::Signature, &sig, &ctx());
            let want = date.format("%Y-%m-%d").to_string();
            prop_assert!(matches!(&got, Ok(Normalized::Parts(p)) if get(p, "signed_date").and_then(Value::as_text) == Some(want.as_str())), "{} -> {:?}", sig, got);
            stable(ValueType::Signature, &sig)?;
        }

        /// Any text OCR might produce: no type panics, and a value of a
        /// one-value type once normalised stays as it is. (Composite values
        /// made of stray marks — a "substance" `(`, a given name `.` — do not
        /// survive being written out and read again; the generators above
        /// cover the composite types with values that look like values.)
        #[test]
        fn any_text_for_every_type(text in ocr_text()) {
            for vt in ALL {
                let _ = normalize(vt, &text, &ctx());
            }
            for vt in SCALAR {
                stable(vt, &text)?;
            }
            // A street line alone is one value too.
            if let Ok(Normalized::Parts(p)) = normalize(ValueType::Address, &text, &ctx()) {
                if p.len() == 1 {
                    stable(ValueType::Address, &text)?;
                }
            }
        }
    }
}

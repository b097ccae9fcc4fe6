//! Archive → charts.
//!
//! The archive is walked recursively without following symbolic links;
//! hidden files and folders (names starting with `.`) are skipped. Files
//! named `.tif`, `.tiff`, `.png`, `.jpg` or `.jpeg` (any case) are pages:
//!
//! - a TIFF with more than one page directory is a chart by itself, its id
//!   the file's relative path without the extension;
//! - the other images of one folder together are one chart, its id the
//!   folder's relative path (for the archive root itself: the archive
//!   folder's name), pages in natural file-name order (`page-2` before
//!   `page-10`).
//!
//! Only the TIFF directory chain is read here (see `image::page_count`), so
//! a file that cannot be inspected at all — empty, garbage — still belongs
//! to its folder's chart, and the decoder reports it.
//!
//! Ids are unique: when a multi-page TIFF's id equals a folder chart's id
//! (`a/b.tif` next to the folder `a/b/`), the file's id keeps its extension.
//! Charts come sorted by id in natural order; the result is the same on
//! every run over the same archive.

use crate::pipeline::ChartUnit;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// The file name extensions (lower case) of the images the pipeline reads.
pub const IMAGE_EXTENSIONS: [&str; 5] = ["tif", "tiff", "png", "jpg", "jpeg"];

/// One patient's chart as scanned: its pages come from `files`, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// The chart's path relative to the archive root, `/` separators.
    pub id: String,
    pub files: Vec<ChartFile>,
}

/// One source file of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartFile {
    /// The path to open: the archive path joined with the file's path.
    pub path: PathBuf,
    /// Relative to the archive root, `/` separators (lossy if the name is
    /// not valid UTF-8).
    pub rel: String,
}

/// Something under the archive that was not taken as a chart file, with a
/// plain reason; the run goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoverProblem {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for DiscoverProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// What the walk found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Sorted by id.
    pub charts: Vec<Chart>,
    /// Sorted by path.
    pub problems: Vec<DiscoverProblem>,
    /// Regular, visible files that are not images by their extension
    /// (relative paths, sorted); not charts and not problems.
    pub ignored: Vec<String>,
}

impl Discovery {
    /// All chart files, in chart and page order.
    pub fn files(&self) -> impl Iterator<Item = &ChartFile> {
        self.charts.iter().flat_map(|c| c.files.iter())
    }
}

/// The archive itself cannot be walked.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("archive {0} does not exist")]
    NotFound(PathBuf),
    #[error("archive {0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("archive {path} cannot be read: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Walks `archive` and groups its images into charts. Fails only when the
/// archive itself is missing or unreadable; everything below it that cannot
/// be used is reported in [`Discovery::problems`].
pub fn discover(archive: &Path) -> Result<Discovery, DiscoverError> {
    discover_with(archive, ChartUnit::Folder)
}

/// [`discover`], with the pipeline's idea of a chart: with
/// [`ChartUnit::File`] every image file is a chart of its own (its id the
/// file's relative path without its extension), however many pages it has.
pub fn discover_with(archive: &Path, unit: ChartUnit) -> Result<Discovery, DiscoverError> {
    let meta = std::fs::metadata(archive).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DiscoverError::NotFound(archive.to_path_buf()),
        _ => DiscoverError::Unreadable { path: archive.to_path_buf(), source: e },
    })?;
    if !meta.is_dir() {
        return Err(DiscoverError::NotAFolder(archive.to_path_buf()));
    }
    std::fs::read_dir(archive).map_err(|e| DiscoverError::Unreadable { path: archive.to_path_buf(), source: e })?;

    let mut problems = Vec::new();
    let mut ignored = Vec::new();
    // Folder (relative, lossy) → its single-page images.
    let mut folders: BTreeMap<String, Vec<ChartFile>> = BTreeMap::new();
    // Multi-page TIFFs: (id without extension, file).
    let mut multi: Vec<(String, ChartFile)> = Vec::new();

    let walker = WalkDir::new(archive)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map_or_else(|| archive.to_path_buf(), Path::to_path_buf);
                let reason = match e.io_error() {
                    Some(io) if e.loop_ancestor().is_none() => format!("cannot be read: {}", plain_io(io)),
                    _ if e.loop_ancestor().is_some() => "symbolic link loop, not followed".to_string(),
                    _ => format!("cannot be read: {e}"),
                };
                problems.push(DiscoverProblem { path, reason });
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let ft = entry.file_type();
        if ft.is_symlink() {
            problems.push(DiscoverProblem { path: entry.path().to_path_buf(), reason: "symbolic link not followed".into() });
            continue;
        }
        if entry.file_name().to_str().is_none() {
            problems.push(DiscoverProblem {
                path: entry.path().to_path_buf(),
                reason: "name is not valid UTF-8; shown with replacement characters".into(),
            });
        }
        if !ft.is_file() {
            continue; // folders are walked into; sockets and devices are not scans
        }
        let rel = rel_string(archive, entry.path());
        if !is_image_name(entry.file_name()) {
            ignored.push(rel);
            continue;
        }
        let file = ChartFile { path: entry.path().to_path_buf(), rel };
        if unit == ChartUnit::File
            || is_tiff_name(entry.file_name()) && crate::image::page_count(entry.path()).is_ok_and(|n| n > 1)
        {
            let id = strip_extension(&file.rel).to_string();
            multi.push((id, file));
        } else {
            let folder = match file.rel.rfind('/') {
                Some(i) => file.rel[..i].to_string(),
                None => String::new(),
            };
            folders.entry(folder).or_default().push(file);
        }
    }

    let root_id = root_name(archive);
    let mut charts: Vec<Chart> = Vec::with_capacity(folders.len() + multi.len());
    for (folder, mut files) in folders {
        files.sort_by(|a, b| page_order(file_name(&a.rel), file_name(&b.rel)).then_with(|| a.rel.cmp(&b.rel)));
        let id = if folder.is_empty() { root_id.clone() } else { folder };
        charts.push(Chart { id, files });
    }
    // A multi-page file whose id is taken (by a folder, or by a sibling
    // with another extension) keeps its extension.
    let mut taken: HashMap<String, usize> = HashMap::new();
    for c in &charts {
        *taken.entry(c.id.clone()).or_default() += 1;
    }
    for (id, _) in &multi {
        *taken.entry(id.clone()).or_default() += 1;
    }
    for (id, file) in multi {
        let id = if taken[&id] > 1 { file.rel.clone() } else { id };
        charts.push(Chart { id, files: vec![file] });
    }
    dedupe_ids(&mut charts, &mut problems);
    charts.sort_by(|a, b| natural(&a.id, &b.id));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    ignored.sort();
    Ok(Discovery { charts, problems, ignored })
}

/// Any id still shared (the archive root named like one of its folders,
/// names equal only after lossy UTF-8 conversion) gets a numbered suffix, in
/// a deterministic order, and a problem is reported.
fn dedupe_ids(charts: &mut [Chart], problems: &mut Vec<DiscoverProblem>) {
    charts.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.files[0].rel.cmp(&b.files[0].rel)));
    let mut i = 0;
    while i < charts.len() {
        let mut j = i + 1;
        while j < charts.len() && charts[j].id == charts[i].id {
            j += 1;
        }
        for (k, c) in charts[i + 1..j].iter_mut().enumerate() {
            let new = format!("{} ({})", c.id, k + 2);
            problems.push(DiscoverProblem {
                path: c.files[0].path.clone(),
                reason: format!("chart id {:?} is used twice; this chart is named {:?}", c.id, new),
            });
            c.id = new;
        }
        i = j;
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn extension(name: &std::ffi::OsStr) -> Option<String> {
    let name = name.to_string_lossy();
    let dot = name.rfind('.')?;
    (dot > 0).then(|| name[dot + 1..].to_ascii_lowercase())
}

fn is_image_name(name: &std::ffi::OsStr) -> bool {
    extension(name).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

fn is_tiff_name(name: &std::ffi::OsStr) -> bool {
    extension(name).is_some_and(|e| e == "tif" || e == "tiff")
}

/// The path relative to the archive, `/` separators, lossy UTF-8.
fn rel_string(archive: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(archive).unwrap_or(path);
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.join("/")
}

fn strip_extension(rel: &str) -> &str {
    let name_start = rel.rfind('/').map_or(0, |i| i + 1);
    match rel[name_start..].rfind('.') {
        Some(dot) if dot > 0 => &rel[..name_start + dot],
        _ => rel,
    }
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The name of the archive folder, the id of the chart of its own images.
fn root_name(archive: &Path) -> String {
    let name = archive.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.or_else(|| {
        std::fs::canonicalize(archive).ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    });
    name.filter(|n| !n.is_empty()).unwrap_or_else(|| "archive".to_string())
}

/// Natural order (`page-2` before `page-10`), ties broken by byte order so
/// that the order is total.
fn natural(a: &str, b: &str) -> Ordering {
    natord::compare(a, b).then_with(|| a.cmp(b))
}

/// The order of pages within a folder: natural order of file names,
/// ignoring case.
fn page_order(a: &str, b: &str) -> Ordering {
    natord::compare_ignore_case(a, b).then_with(|| a.cmp(b))
}

/// An I/O error in plain words, without the OS error number.
fn plain_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no longer exists".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }

    /// A TIFF of `n` 2×2 gray pages.
    fn tiff(n: usize) -> Vec<u8> {
        let mut c = std::io::Cursor::new(Vec::new());
        {
            let mut e = tiff::encoder::TiffEncoder::new(&mut c).unwrap();
            for _ in 0..n {
                e.write_image::<tiff::encoder::colortype::Gray8>(2, 2, &[0, 255, 255, 0]).unwrap();
            }
        }
        c.into_inner()
    }

    fn ids(d: &Discovery) -> Vec<&str> {
        d.charts.iter().map(|c| c.id.as_str()).collect()
    }

    fn rels(c: &Chart) -> Vec<&str> {
        c.files.iter().map(|f| f.rel.as_str()).collect()
    }

    #[test]
    fn groups_folders_and_multi_page_tiffs() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("box-07");
        touch(&root, "thompson-margaret/page-10.png", b"x");
        touch(&root, "thompson-margaret/page-2.png", b"x");
        touch(&root, "thompson-margaret/page-1.JPG", b"x");
        touch(&root, "thompson-margaret/scan.tif", &tiff(1));
        touch(&root, "thompson-margaret/notes.txt", b"x");
        touch(&root, "miller-john.TIFF", &tiff(3));
        touch(&root, "loose.png", b"x");
        touch(&root, "sub/deeper/doe-jane.tif", &tiff(2));
        touch(&root, "sub/deeper/empty.tif", b"");
        let d = discover(&root).unwrap();
        assert_eq!(ids(&d), vec!["box-07", "miller-john", "sub/deeper", "sub/deeper/doe-jane", "thompson-margaret"]);
        let tm = &d.charts[4];
        assert_eq!(
            rels(tm),
            vec!["thompson-margaret/page-1.JPG", "thompson-margaret/page-2.png", "thompson-margaret/page-10.png", "thompson-margaret/scan.tif"]
        );
        assert_eq!(tm.files[0].path, root.join("thompson-margaret/page-1.JPG"));
        assert_eq!(rels(&d.charts[1]), vec!["miller-john.TIFF"]);
        // An empty file cannot be inspected: it stays in its folder's chart.
        assert_eq!(rels(&d.charts[2]), vec!["sub/deeper/empty.tif"]);
        assert_eq!(rels(&d.charts[0]), vec!["loose.png"]);
        assert_eq!(d.ignored, vec!["thompson-margaret/notes.txt"]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        // Deterministic.
        assert_eq!(discover(&root).unwrap(), d);
    }

    #[test]
    fn one_chart_per_file_when_the_pipeline_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("box")).unwrap();
        for name in ["box/a.png", "box/b.png", "c.png"] {
            std::fs::write(dir.path().join(name), b"not checked here").unwrap();
        }
        let d = discover_with(dir.path(), ChartUnit::File).unwrap();
        let ids: Vec<&str> = d.charts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["box/a", "box/b", "c"]);
        assert!(d.charts.iter().all(|c| c.files.len() == 1));
        assert_eq!(discover(dir.path()).unwrap().charts.len(), 2, "by folder: box, and the root's own image");
    }

    #[test]
    fn hidden_files_and_folders_are_skipped() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        touch(root, "a/page-1.png", b"x");
        touch(root, "a/.page-2.png", b"x");
        touch(root, ".trash/b/page-1.png", b"x");
        touch(root, "a/.DS_Store", b"x");
        let d = discover(root).unwrap();
        assert_eq!(ids(&d), vec!["a"]);
        assert_eq!(rels(&d.charts[0]), vec!["a/page-1.png"]);
        assert!(d.ignored.is_empty());
    }

    #[test]
    fn hidden_archive_root_is_still_walked() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join(".scans");
        touch(&root, "c/p1.png", b"x");
        assert_eq!(ids(&discover(&root).unwrap()), vec!["c"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed_and_loops_do_not_hang() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("archive");
        touch(&root, "a/p1.png", b"x");
        touch(t.path(), "outside/p1.png", b"x");
        std::os::unix::fs::symlink(t.path().join("outside"), root.join("link-to-outside")).unwrap();
        std::os::unix::fs::symlink(root.join("a/p1.png"), root.join("a/p2.png")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("a/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("a/self"), root.join("a/self")).unwrap();
        let d = discover(&root).unwrap();
        assert_eq!(ids(&d), vec!["a"]);
        assert_eq!(rels(&d.charts[0]), vec!["a/p1.png"]);
        let reasons: Vec<_> = d.problems.iter().map(|p| (p.path.strip_prefix(&root).unwrap().to_str().unwrap(), p.reason.as_str())).collect();
        assert_eq!(
            reasons,
            vec![
                ("a/loop", "symbolic link not followed"),
                ("a/p2.png", "symbolic link not followed"),
                ("a/self", "symbolic link not followed"),
                ("link-to-outside", "symbolic link not followed"),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_are_reported_not_fatal() {
        use std::os::unix::ffi::OsStrExt;
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        let name = std::ffi::OsStr::from_bytes(b"page-\xff.png");
        fs::create_dir_all(root.join("c")).unwrap();
        fs::write(root.join("c").join(name), b"x").unwrap();
        touch(root, "c/page-1.png", b"x");
        let d = discover(root).unwrap();
        assert_eq!(ids(&d), vec!["c"]);
        assert_eq!(rels(&d.charts[0]), vec!["c/page-1.png", "c/page-\u{fffd}.png"]);
        assert_eq!(d.charts[0].files[1].path, root.join("c").join(name));
        assert_eq!(d.problems.len(), 1);
        assert!(d.problems[0].reason.contains("UTF-8"));
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_folder_is_a_problem() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        touch(root, "ok/p1.png", b"x");
        touch(root, "locked/p1.png", b"x");
        fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
        let readable = fs::read_dir(root.join("locked")).is_ok(); // root ignores permissions
        let d = discover(root).unwrap();
        fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
        if readable {
            return;
        }
        assert_eq!(ids(&d), vec!["ok"]);
        assert_eq!(d.problems.len(), 1);
        assert!(d.problems[0].reason.contains("permission denied"), "{}", d.problems[0]);
    }

    #[test]
    fn id_collisions_are_resolved() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("arch");
        touch(&root, "a/b.tif", &tiff(2)); // multi-page: id "a/b" ...
        touch(&root, "a/b/p1.png", b"x"); // ... but the folder a/b is a chart too
        touch(&root, "x.tif", &tiff(2));
        touch(&root, "x.tiff", &tiff(2));
        let d = discover(&root).unwrap();
        assert_eq!(ids(&d), vec!["a/b", "a/b.tif", "x.tif", "x.tiff"]);
        assert_eq!(rels(&d.charts[0]), vec!["a/b/p1.png"]);
    }

    #[test]
    fn missing_or_file_archive_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(discover(&t.path().join("nope")), Err(DiscoverError::NotFound(_))));
        touch(t.path(), "f.png", b"x");
        assert!(matches!(discover(&t.path().join("f.png")), Err(DiscoverError::NotAFolder(_))));
    }

    #[test]
    fn ten_thousand_files_are_quick() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::create_dir_all(root.join("big")).unwrap();
        let one = tiff(1);
        for i in 0..10_000 {
            let name = if i % 2 == 0 { format!("big/page-{i}.png") } else { format!("big/page-{i}.tif") };
            fs::write(root.join(name), if i % 2 == 0 { &b"x"[..] } else { &one[..] }).unwrap();
        }
        let start = std::time::Instant::now();
        let d = discover(root).unwrap();
        let took = start.elapsed();
        assert_eq!(d.charts.len(), 1);
        assert_eq!(d.charts[0].files.len(), 10_000);
        assert_eq!(d.charts[0].files[2].rel, "big/page-2.png");
        assert_eq!(d.charts[0].files[9_999].rel, "big/page-9999.tif");
        assert!(took.as_secs_f64() < 5.0, "took {took:?}");
    }

    #[test]
    fn helpers() {
        assert_eq!(strip_extension("a/b.c/d.tif"), "a/b.c/d");
        assert_eq!(strip_extension("a/.b"), "a/.b");
        assert_eq!(strip_extension("noext"), "noext");
        assert!(is_image_name("X.JPEG".as_ref()));
        assert!(!is_image_name(".png".as_ref()));
        assert!(!is_image_name("a.pdf".as_ref()));
    }
}

//! Decoding scanned pages and preparing them for OCR.
//!
//! [`pages`] opens a PNG, JPEG or TIFF file and yields its pages one at a
//! time as 8-bit grayscale (white = 255) with the resolution the file states;
//! a multi-page TIFF is never held in memory as a whole, and one corrupt
//! page of it is an error item while the other pages still come.
//! [`page_count`] tells how many items [`pages`] will yield, reading only the
//! file's headers.
//!
//! [`prepare::prepare`] then turns a decoded page upright, deskews it,
//! restores faint print, removes scanner specks and tells whether the page is
//! blank.
//!
//! Invariants: nothing here logs or returns pixel content or any text of a
//! page; errors say what went wrong, and the caller adds the file and page.
//! A file's header is checked against [`MAX_SIDE`] and [`MAX_PIXELS`] before
//! any buffer for its pixels is allocated.

mod decode;
pub mod prepare;
pub mod rules;
pub mod textsize;
#[doc(hidden)]
pub mod testpage;
mod tiffdir;

use std::fmt;
use std::path::Path;

pub use decode::PageIter;
pub use prepare::{prepare, Prepared};

/// The longest side, in pixels, a page may claim. A letter page at 1200 dpi
/// is 10,200 × 13,200.
pub const MAX_SIDE: u32 = 20_000;
/// The most pixels a page may claim (200 megapixels).
pub const MAX_PIXELS: u64 = 200_000_000;
/// The resolution assumed when a file states none, or an absurd one.
pub const DEFAULT_DPI: u32 = 300;
/// Resolutions outside this range are treated as absent.
pub const PLAUSIBLE_DPI: std::ops::RangeInclusive<u32> = 50..=1200;
/// The largest PNG or JPEG file read (they are read into memory whole).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The page resampled to `width` × `height`: a Catmull-Rom kernel widened
/// to the scale when shrinking (every source pixel counts, and edges stay
/// sharp), SIMD, 8-bit all through. (`image::imageops::resize` goes
/// through a 16-byte-per-pixel float copy of the page: 240 MB for a
/// 400-dpi page.)
pub fn resample(page: &image::GrayImage, width: u32, height: u32) -> image::GrayImage {
    let mut out = image::GrayImage::new(width.max(1), height.max(1));
    let options = fast_image_resize::ResizeOptions::new()
        .resize_alg(fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::CatmullRom));
    fast_image_resize::Resizer::new()
        .resize(page, &mut out, &options)
        // It fails only on pixel types it does not support or that differ;
        // both images are 8-bit gray.
        .expect("8-bit gray resamples to 8-bit gray");
    out
}

/// One decoded page.
#[derive(Clone, Debug)]
pub struct DecodedPage {
    /// 8-bit grayscale, white = 255, square pixels, turned as the file's
    /// orientation tag says.
    pub image: image::GrayImage,
    /// Resolution from the file; [`DEFAULT_DPI`] when absent or implausible.
    pub dpi: u32,
    /// Index of the page within the file, 0-based.
    pub file_page: u32,
}

/// The image formats the pipeline reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Png,
    Jpeg,
    Tiff,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Tiff => "TIFF",
        })
    }
}

/// Why a file or a page could not be decoded. The message says what went
/// wrong in plain words and never contains image content; the caller names
/// the file and the page.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    // The message carries the cause; not also a `source`, or an error chain
    // printed with `{:#}` would say it twice.
    #[error("the file cannot be read: {0}")]
    Io(std::io::Error),
    #[error("the file is empty (zero bytes)")]
    Empty,
    #[error("not a PNG, JPEG or TIFF image")]
    NotAnImage,
    #[error("the file is too large to read ({bytes} bytes)")]
    FileTooLarge { bytes: u64 },
    #[error("the {format} file is truncated")]
    Truncated { format: Format },
    #[error(
        "the page claims {width} x {height} pixels, over the limit of {MAX_SIDE} pixels a side \
         and {} megapixels",
        MAX_PIXELS / 1_000_000
    )]
    TooLarge { width: u64, height: u64 },
    #[error("corrupt {format} data: {detail}")]
    Corrupt { format: Format, detail: String },
    #[error("unsupported {format} variant: {detail}")]
    Unsupported { format: Format, detail: String },
    /// A directory of a multi-page TIFF could not be read: this page and any
    /// after it cannot be located.
    #[error("the TIFF page directory chain is broken: {detail}; the pages after it cannot be located")]
    BrokenChain { detail: String },
}

impl DecodeError {
    /// A short stable name of the kind of error, for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Io(_) => "io",
            DecodeError::Empty => "empty",
            DecodeError::NotAnImage => "not_an_image",
            DecodeError::FileTooLarge { .. } => "file_too_large",
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::Corrupt { .. } => "corrupt",
            DecodeError::Unsupported { .. } => "unsupported",
            DecodeError::BrokenChain { .. } => "broken_chain",
        }
    }
}

/// Opens `path` and returns an iterator over its pages, decoded lazily: each
/// page is decoded when the iterator reaches it.
///
/// Fails when the file cannot be read, is not a PNG, JPEG or TIFF, or its
/// header is unreadable. A page that fails later is an `Err` item; the other
/// pages still come. The iterator yields exactly [`page_count`] items.
pub fn pages(path: &Path) -> Result<PageIter, DecodeError> {
    PageIter::open(path)
}

/// The number of items [`pages`] yields for `path`, reading headers only:
/// for a TIFF its directory chain (reduced-resolution thumbnails are not
/// pages; a chain that breaks off counts one more, unreadable, page), for a
/// PNG or JPEG only its signature (1). Fails when the file cannot be read or
/// is not an image; when [`pages`] fails on a file whose count is known, all
/// its pages are unreadable.
pub fn page_count(path: &Path) -> Result<u32, DecodeError> {
    decode::page_count(path)
}

/// The format of a file by its first bytes, or `None`.
pub fn sniff(first_bytes: &[u8]) -> Option<Format> {
    decode::sniff(first_bytes)
}

//! File formats → 8-bit grayscale pages.
//!
//! PNG and JPEG go through the `image` crate, TIFF through the `tiff` crate;
//! a YCbCr or grey JPEG (nearly every scanned one) goes to `zune-jpeg`, the
//! decoder under `image`, directly, for its luma plane alone.
//! Resolution is read here from the file's own fields (TIFF XResolution and
//! ResolutionUnit, PNG pHYs, JPEG JFIF density or EXIF), because the `image`
//! crate does not report it.
//!
//! A multi-page TIFF is decoded page by page: [`super::tiffdir`] lists the
//! page directories first, then each page gets a fresh `tiff` decoder that
//! starts at that page's directory (see [`StartAt`]). So one corrupt page
//! costs only itself, and only one page is in memory at a time.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, Luma};

use super::tiffdir::{self, Chain, Directory, Header, WalkError};
use super::{DecodeError, DecodedPage, Format, DEFAULT_DPI, MAX_FILE_BYTES, MAX_PIXELS, MAX_SIDE, PLAUSIBLE_DPI};

/// The format of a file by its first bytes.
pub(crate) fn sniff(b: &[u8]) -> Option<Format> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if tiffdir::is_tiff_signature(b) {
        Some(Format::Tiff)
    } else {
        None
    }
}

/// Refuses a page whose claimed size is over the limits.
pub(crate) fn check_size(width: u64, height: u64) -> Result<(), DecodeError> {
    if width > u64::from(MAX_SIDE) || height > u64::from(MAX_SIDE) || width.saturating_mul(height) > MAX_PIXELS {
        return Err(DecodeError::TooLarge { width, height });
    }
    Ok(())
}

/// An open file and what its header said.
enum Opened {
    Single { format: Format, data: Vec<u8> },
    Tiff { reader: BufReader<File>, chain: Chain },
}

fn open(path: &Path) -> Result<Opened, DecodeError> {
    let mut file = File::open(path).map_err(DecodeError::Io)?;
    let len = file.metadata().map_err(DecodeError::Io)?.len();
    if len == 0 {
        return Err(DecodeError::Empty);
    }
    let mut head = [0u8; 16];
    let n = read_up_to(&mut file, &mut head).map_err(DecodeError::Io)?;
    let format = match sniff(&head[..n]) {
        Some(f) => f,
        None if n < 8 && (b"\x89PNG\r\n\x1a\n".starts_with(&head[..n]) || b"II*\0".starts_with(&head[..n]) || b"MM\0*".starts_with(&head[..n])) => {
            // A signature cut short: a truncated image rather than another file.
            let format = if head[0] == 0x89 { Format::Png } else { Format::Tiff };
            return Err(DecodeError::Truncated { format });
        }
        None => return Err(DecodeError::NotAnImage),
    };
    match format {
        Format::Tiff => {
            let mut reader = BufReader::new(file);
            let chain = tiffdir::walk(&mut reader).map_err(|e| match e {
                WalkError::NotTiff => DecodeError::NotAnImage,
                WalkError::Truncated => DecodeError::Truncated { format },
                WalkError::Corrupt(detail) => DecodeError::Corrupt { format, detail },
                WalkError::Io(e) => DecodeError::Io(e),
            })?;
            Ok(Opened::Tiff { reader, chain })
        }
        Format::Png | Format::Jpeg => {
            if len > MAX_FILE_BYTES {
                return Err(DecodeError::FileTooLarge { bytes: len });
            }
            let mut data = Vec::with_capacity(len as usize);
            file.seek(SeekFrom::Start(0)).map_err(DecodeError::Io)?;
            file.read_to_end(&mut data).map_err(DecodeError::Io)?;
            // Read the header now so that a file that is no image fails here.
            let (w, h) = ImageReader::with_format(Cursor::new(&data[..]), image_format(format))
                .into_dimensions()
                .map_err(|e| image_error(format, e))?;
            check_size(u64::from(w), u64::from(h))?;
            Ok(Opened::Single { format, data })
        }
    }
}

pub(crate) fn page_count(path: &Path) -> Result<u32, DecodeError> {
    // A cheap open: for PNG and JPEG only the signature is checked.
    let mut file = File::open(path).map_err(DecodeError::Io)?;
    let len = file.metadata().map_err(DecodeError::Io)?.len();
    if len == 0 {
        return Err(DecodeError::Empty);
    }
    let mut head = [0u8; 16];
    let n = read_up_to(&mut file, &mut head).map_err(DecodeError::Io)?;
    match sniff(&head[..n]) {
        Some(Format::Png | Format::Jpeg) => Ok(1),
        Some(Format::Tiff) => match open(path)? {
            Opened::Tiff { chain, .. } => Ok(tiff_items(&chain)),
            Opened::Single { .. } => Ok(1),
        },
        None => open(path).map(|_| 1),
    }
}

/// How many items a TIFF yields: its pages, plus one error item when the
/// directory chain breaks off.
fn tiff_items(chain: &Chain) -> u32 {
    chain.pages().len() as u32 + u32::from(chain.broken.is_some())
}

/// The pages of one file, decoded one at a time.
pub struct PageIter {
    state: State,
}

enum State {
    Single {
        format: Format,
        data: Option<Vec<u8>>,
    },
    Tiff {
        reader: BufReader<File>,
        header: Header,
        pages: std::vec::IntoIter<Directory>,
        next_page: u32,
        broken: Option<String>,
    },
}

impl PageIter {
    pub(crate) fn open(path: &Path) -> Result<PageIter, DecodeError> {
        let state = match open(path)? {
            Opened::Single { format, data } => State::Single { format, data: Some(data) },
            Opened::Tiff { reader, chain } => {
                let pages: Vec<Directory> = chain.pages().into_iter().cloned().collect();
                State::Tiff { reader, header: chain.header, pages: pages.into_iter(), next_page: 0, broken: chain.broken }
            }
        };
        Ok(PageIter { state })
    }

    /// The format of the file.
    pub fn format(&self) -> Format {
        match &self.state {
            State::Single { format, .. } => *format,
            State::Tiff { .. } => Format::Tiff,
        }
    }

    fn remaining(&self) -> usize {
        match &self.state {
            State::Single { data, .. } => usize::from(data.is_some()),
            State::Tiff { pages, broken, .. } => pages.len() + usize::from(broken.is_some()),
        }
    }
}

impl Iterator for PageIter {
    type Item = Result<DecodedPage, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.state {
            State::Single { format, data } => {
                let data = data.take()?;
                Some(decode_single(*format, &data))
            }
            State::Tiff { reader, header, pages, next_page, broken } => {
                let file_page = *next_page;
                match pages.next() {
                    Some(dir) => {
                        *next_page += 1;
                        Some(decode_tiff_page(reader, *header, &dir, file_page))
                    }
                    None => broken.take().map(|detail| Err(DecodeError::BrokenChain { detail })),
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (n, Some(n))
    }
}

impl ExactSizeIterator for PageIter {}

// ---------------------------------------------------------------- PNG, JPEG

fn image_format(format: Format) -> ImageFormat {
    match format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Tiff => ImageFormat::Tiff,
    }
}

fn image_error(format: Format, e: image::ImageError) -> DecodeError {
    use image::ImageError as E;
    match e {
        E::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => DecodeError::Truncated { format },
        E::IoError(io) => DecodeError::Io(io),
        E::Limits(_) => DecodeError::Corrupt { format, detail: "the image exceeds the decoder's memory limit".into() },
        E::Unsupported(u) => DecodeError::Unsupported { format, detail: u.to_string() },
        other => {
            let detail = other.to_string();
            let lower = detail.to_ascii_lowercase();
            if lower.contains("eof") || lower.contains("end of file") || lower.contains("no more data") || lower.contains("unexpected end") {
                DecodeError::Truncated { format }
            } else {
                DecodeError::Corrupt { format, detail }
            }
        }
    }
}

fn decode_single(format: Format, data: &[u8]) -> Result<DecodedPage, DecodeError> {
    // The JPEG decoder fills a cut-off image with gray instead of failing.
    if format == Format::Jpeg && !jpeg_has_end(data) {
        return Err(DecodeError::Truncated { format });
    }
    if format == Format::Jpeg {
        if let Some(page) = decode_jpeg_luma(data) {
            return Ok(page);
        }
    }
    let mut reader = ImageReader::with_format(Cursor::new(data), image_format(format));
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| image_error(format, e))?;
    let (w, h) = decoder.dimensions();
    check_size(u64::from(w), u64::from(h))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let exif = if format == Format::Jpeg { decoder.exif_metadata().ok().flatten() } else { None };
    let img = DynamicImage::from_decoder(decoder).map_err(|e| image_error(format, e))?;
    let dpi = match format {
        Format::Png => png_dpi(data),
        _ => jpeg_dpi(data, exif.as_deref()),
    };
    Ok(single_page(flatten_to_gray(img), dpi, orientation))
}

/// A PNG or JPEG page with square pixels, upright as its metadata says.
fn single_page(gray: GrayImage, (x, y): (Option<f64>, Option<f64>), o: image::metadata::Orientation) -> DecodedPage {
    let (gray, dpi) = square_pixels(gray, x, y);
    DecodedPage { image: orient(gray, o), dpi, file_page: 0 }
}

/// A YCbCr or grey JPEG (nearly every scan) decoded straight to its luma
/// plane: the Y channel a colour JPEG stores is already the grey page, and
/// the chroma planes are never expanded. Through `image` a 400-dpi colour
/// page was decoded to RGB (45 MB) and then made grey: the largest memory
/// spike of a batch (massif), above OCR's. `None` for what this path does
/// not take (RGB- or CMYK-coded JPEGs, or any error, which the `image` path
/// then reports as it always has).
fn decode_jpeg_luma(data: &[u8]) -> Option<DecodedPage> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder.decode_headers().ok()?;
    if !matches!(decoder.input_colorspace()?, ColorSpace::YCbCr | ColorSpace::Luma) {
        return None;
    }
    let (w, h) = decoder.dimensions()?;
    check_size(w as u64, h as u64).ok()?;
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(ColorSpace::Luma));
    let exif = decoder.exif().cloned();
    let pixels = decoder.decode().ok()?;
    let gray = GrayImage::from_raw(u32::try_from(w).ok()?, u32::try_from(h).ok()?, pixels)?;
    let orientation = exif
        .as_deref()
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    Some(single_page(gray, jpeg_dpi(data, exif.as_deref()), orientation))
}

/// Grayscale, with any transparency composited on white paper.
fn flatten_to_gray(img: DynamicImage) -> GrayImage {
    if img.color().has_alpha() {
        let la = img.to_luma_alpha8();
        let (w, h) = la.dimensions();
        let mut out = GrayImage::new(w, h);
        for (o, p) in out.pixels_mut().zip(la.pixels()) {
            let [v, a] = p.0;
            let (v, a) = (u32::from(v), u32::from(a));
            o.0[0] = ((v * a + 255 * (255 - a) + 127) / 255) as u8;
        }
        out
    } else {
        img.into_luma8()
    }
}

fn orient(img: GrayImage, o: image::metadata::Orientation) -> GrayImage {
    if o == image::metadata::Orientation::NoTransforms {
        return img;
    }
    let mut d = DynamicImage::ImageLuma8(img);
    d.apply_orientation(o);
    d.into_luma8()
}

/// PNG pHYs: pixels per metre (unit 1), read from the chunks before IDAT.
pub(crate) fn png_dpi(data: &[u8]) -> (Option<f64>, Option<f64>) {
    let mut at = 8;
    while at + 8 <= data.len() {
        let len = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]) as usize;
        let kind = &data[at + 4..at + 8];
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        let body = at + 8;
        if kind == b"pHYs" && len >= 9 && body + 9 <= data.len() {
            let x = u32::from_be_bytes([data[body], data[body + 1], data[body + 2], data[body + 3]]);
            let y = u32::from_be_bytes([data[body + 4], data[body + 5], data[body + 6], data[body + 7]]);
            if data[body + 8] == 1 {
                return (Some(f64::from(x) * 0.0254), Some(f64::from(y) * 0.0254));
            }
            return (None, None);
        }
        at = body.saturating_add(len).saturating_add(4);
    }
    (None, None)
}

/// Whether a JPEG stream has its end-of-image marker after the first scan.
/// Inside entropy-coded data a 0xFF byte is always followed by 0x00 or a
/// restart marker, so `FF D9` there can only be the real end.
pub(crate) fn jpeg_has_end(data: &[u8]) -> bool {
    let Some(sos) = jpeg_segments(data).find(|&(marker, _)| marker == 0xDA).map(|(_, at)| at) else {
        return false;
    };
    data[sos..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// The marker segments of a JPEG header, as (marker, offset of its 0xFF),
/// up to and including the first start-of-scan.
fn jpeg_segments(data: &[u8]) -> impl Iterator<Item = (u8, usize)> + '_ {
    let mut at = 2;
    let mut done = false;
    std::iter::from_fn(move || loop {
        if done || at + 4 > data.len() || data[at] != 0xFF {
            return None;
        }
        let marker = data[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let here = at;
        if marker == 0xDA || marker == 0xD9 {
            done = true;
        } else {
            at += 2 + usize::from(u16::from_be_bytes([data[at + 2], data[at + 3]]));
        }
        return Some((marker, here));
    })
}

/// JPEG: the JFIF density (APP0) when it has a unit, else the EXIF
/// resolution.
pub(crate) fn jpeg_dpi(data: &[u8], exif: Option<&[u8]>) -> (Option<f64>, Option<f64>) {
    for (marker, at) in jpeg_segments(data) {
        if marker != 0xE0 || at + 4 > data.len() {
            continue;
        }
        let len = usize::from(u16::from_be_bytes([data[at + 2], data[at + 3]]));
        let body = &data[(at + 4).min(data.len())..(at + 2 + len).min(data.len())];
        if body.len() >= 12 && body.starts_with(b"JFIF\0") {
            let unit = body[7];
            let x = f64::from(u16::from_be_bytes([body[8], body[9]]));
            let y = f64::from(u16::from_be_bytes([body[10], body[11]]));
            match unit {
                1 => return (Some(x), Some(y)),
                2 => return (Some(x * 2.54), Some(y * 2.54)),
                _ => {}
            }
        }
    }
    if let Some(exif) = exif {
        let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        if let Ok(chain) = tiffdir::walk_limited(&mut Cursor::new(tiff), 1) {
            if let Some(d) = chain.directories.first() {
                return d.dpi();
            }
        }
    }
    (None, None)
}

fn plausible(d: Option<f64>) -> Option<f64> {
    d.filter(|d| d.is_finite() && (f64::from(*PLAUSIBLE_DPI.start())..=f64::from(*PLAUSIBLE_DPI.end())).contains(d))
}

/// Chooses the page's resolution and, when the file states different
/// horizontal and vertical resolutions (fax "fine" mode, 204 × 196), scales
/// the page vertically so that its pixels are square, as OCR expects.
pub(crate) fn square_pixels(img: GrayImage, x: Option<f64>, y: Option<f64>) -> (GrayImage, u32) {
    match (plausible(x), plausible(y)) {
        (Some(x), Some(y)) if (x - y).abs() / x > 0.05 => {
            let (w, h) = img.dimensions();
            let new_h = ((f64::from(h) * x / y).round() as u32).clamp(1, MAX_SIDE);
            let img = super::resample(&img, w, new_h);
            (img, x.round() as u32)
        }
        (Some(x), _) => (img, x.round() as u32),
        (None, Some(y)) => (img, y.round() as u32),
        (None, None) => (img, DEFAULT_DPI),
    }
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

// --------------------------------------------------------------------- TIFF

/// A view of a TIFF stream whose header points at a chosen directory, so
/// that the `tiff` decoder starts at that page. Every other byte is the
/// file's own.
struct StartAt<'a, R> {
    inner: &'a mut R,
    header: [u8; 16],
    header_len: u64,
    len: u64,
    pos: u64,
    /// Where `inner` is positioned, when known, to avoid needless seeks.
    inner_pos: Option<u64>,
}

impl<'a, R: Read + Seek> StartAt<'a, R> {
    fn new(inner: &'a mut R, h: Header, ifd: u64) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        let mut header = [0u8; 16];
        if h.little_endian {
            header[..2].copy_from_slice(b"II");
        } else {
            header[..2].copy_from_slice(b"MM");
        }
        let put16 = |b: &mut [u8], v: u16| b.copy_from_slice(&if h.little_endian { v.to_le_bytes() } else { v.to_be_bytes() });
        let header_len = if h.big_tiff {
            put16(&mut header[2..4], 43);
            put16(&mut header[4..6], 8);
            put16(&mut header[6..8], 0);
            header[8..16].copy_from_slice(&if h.little_endian { ifd.to_le_bytes() } else { ifd.to_be_bytes() });
            16
        } else {
            put16(&mut header[2..4], 42);
            let ifd = u32::try_from(ifd).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
            header[4..8].copy_from_slice(&if h.little_endian { ifd.to_le_bytes() } else { ifd.to_be_bytes() });
            8
        };
        Ok(StartAt { inner, header, header_len, len, pos: 0, inner_pos: None })
    }
}

impl<R: Read + Seek> Read for StartAt<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pos < self.header_len {
            let from = self.pos as usize;
            let n = (self.header_len as usize - from).min(buf.len());
            buf[..n].copy_from_slice(&self.header[from..from + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        if self.inner_pos != Some(self.pos) {
            self.inner.seek(SeekFrom::Start(self.pos))?;
        }
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        self.inner_pos = Some(self.pos);
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for StartAt<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

fn tiff_error(e: tiff::TiffError) -> DecodeError {
    use tiff::TiffError as E;
    let format = Format::Tiff;
    match e {
        E::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => DecodeError::Truncated { format },
        E::IoError(io) => DecodeError::Io(io),
        E::UnsupportedError(u) => DecodeError::Unsupported { format, detail: u.to_string() },
        E::LimitsExceeded => DecodeError::Corrupt { format, detail: "the page exceeds the decoder's memory limit".into() },
        other => DecodeError::Corrupt { format, detail: other.to_string() },
    }
}

fn decode_tiff_page<R: Read + Seek>(
    reader: &mut R,
    header: Header,
    dir: &Directory,
    file_page: u32,
) -> Result<DecodedPage, DecodeError> {
    let (Some(w), Some(h)) = (dir.width, dir.height) else {
        return Err(DecodeError::Corrupt { format: Format::Tiff, detail: "the page has no width or height".into() });
    };
    check_size(w, h)?;
    let src = StartAt::new(reader, header, dir.offset).map_err(DecodeError::Io)?;
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = usize::try_from(MAX_PIXELS * 4).unwrap_or(usize::MAX);
    limits.intermediate_buffer_size = 256 << 20;
    limits.ifd_value_size = 16 << 20;
    let mut dec = tiff::decoder::Decoder::new(src).map_err(tiff_error)?.with_limits(limits);
    let (w, h) = dec.dimensions().map_err(tiff_error)?;
    check_size(u64::from(w), u64::from(h))?;
    let color = dec.colortype().map_err(tiff_error)?;
    let data = dec.read_image().map_err(tiff_error)?;
    let gray = tiff_to_gray(data, color, w, h)?;
    let (x, y) = dir.dpi();
    let (gray, dpi) = square_pixels(gray, x, y);
    let gray = match image::metadata::Orientation::from_exif(dir.orientation.min(255) as u8) {
        Some(o) => orient(gray, o),
        None => gray,
    };
    Ok(DecodedPage { image: gray, dpi, file_page })
}

/// Samples of one decoded TIFF page, normalised to 0–255 per sample.
fn tiff_to_gray(data: tiff::decoder::DecodingResult, color: tiff::ColorType, w: u32, h: u32) -> Result<GrayImage, DecodeError> {
    use tiff::decoder::DecodingResult as D;
    use tiff::ColorType as C;
    let unsupported = || DecodeError::Unsupported { format: Format::Tiff, detail: format!("{color:?} pixels") };
    let short = || DecodeError::Corrupt { format: Format::Tiff, detail: "the page holds fewer pixels than it claims".into() };
    let (wu, hu) = (w as usize, h as usize);
    let pixels = wu * hu;

    // Bitonal and 2/4-bit gray: packed rows, each padded to a byte.
    if let (C::Gray(bits @ (1 | 2 | 4)), D::U8(bytes)) = (&color, &data) {
        let bits = usize::from(*bits);
        let row_bytes = (wu * bits).div_ceil(8);
        if bytes.len() < row_bytes * hu {
            return Err(short());
        }
        let max = (1u32 << bits) - 1;
        let mut out = GrayImage::new(w, h);
        for (y, row) in bytes.chunks_exact(row_bytes).take(hu).enumerate() {
            for x in 0..wu {
                let bit = x * bits;
                let v = (u32::from(row[bit / 8]) >> (8 - bits - bit % 8)) & max;
                out.put_pixel(x as u32, y as u32, Luma([(v * 255 / max) as u8]));
            }
        }
        return Ok(out);
    }

    // Everything else: whole samples. `n` samples per pixel.
    let (n, kind) = match color {
        C::Gray(8 | 16 | 32) => (1, Kind::Gray),
        C::GrayA(8 | 16) => (2, Kind::Gray),
        C::Multiband { bit_depth: 8 | 16, num_samples } => (usize::from(num_samples), Kind::Gray),
        C::RGB(8 | 16) => (3, Kind::Rgb),
        C::RGBA(8 | 16) => (4, Kind::Rgba),
        C::YCbCr(8) => (3, Kind::Gray), // Y is the luma
        C::CMYK(8 | 16) => (4, Kind::Cmyk),
        C::CMYKA(8 | 16) => (5, Kind::Cmyk),
        _ => return Err(unsupported()),
    };
    let samples: Vec<u8> = match data {
        D::U8(v) => v,
        D::U16(v) => v.into_iter().map(|s| ((u32::from(s) + 128) / 257) as u8).collect(),
        D::U32(v) => v.into_iter().map(|s| (s >> 24) as u8).collect(),
        D::F32(v) => v.into_iter().map(|s| (s.clamp(0.0, 1.0) * 255.0).round() as u8).collect(),
        _ => return Err(unsupported()),
    };
    if samples.len() < pixels * n {
        return Err(short());
    }
    let mut out = GrayImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(samples.chunks_exact(n)) {
        o.0[0] = match kind {
            Kind::Gray => p[0],
            Kind::Rgb => luma(p[0], p[1], p[2]),
            Kind::Rgba => {
                let (v, a) = (u32::from(luma(p[0], p[1], p[2])), u32::from(p[3]));
                ((v * a + 255 * (255 - a) + 127) / 255) as u8
            }
            Kind::Cmyk => {
                let k = 255 - u32::from(p[3]);
                let c = |v: u8| ((255 - u32::from(v)) * k / 255) as u8;
                luma(c(p[0]), c(p[1]), c(p[2]))
            }
        };
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Kind {
    Gray,
    Rgb,
    Rgba,
    Cmyk,
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    // Rec. 709, as the `image` crate uses.
    ((2126 * u32::from(r) + 7152 * u32::from(g) + 722 * u32::from(b) + 5000) / 10000) as u8
}

#[cfg(test)]
mod tests;

//! Page images to bytes, each with its resolution stored in the file: PNG
//! (pHYs chunk), JPEG (JFIF density), grey TIFF (LZW or Deflate, one or many
//! pages) and bitonal CCITT Group 4 TIFF (WhiteIsZero), plus the corrupt
//! files of the `unreadable_page` defect.

use super::page::Encoding;
use anyhow::Context;
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{GrayImage, ImageEncoder, RgbImage};
use rand::Rng;
use std::io::{Seek, Write};
use tiff::encoder::{colortype, Compression, DeflateLevel, Rational, TiffEncoder};
use tiff::tags::{ResolutionUnit, Tag};

/// A page as scanned: grey, or colour (a grey page on tinted paper).
pub enum Scanned {
    Gray(GrayImage),
    Rgb(RgbImage),
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Inserts a pHYs chunk (pixels per metre) right after IHDR.
fn with_phys(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    let ppm = (dpi as f64 / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1);
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    // Signature (8) + IHDR (4 length + 4 type + 13 data + 4 crc).
    let at = 8 + 25;
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..at]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[at..]);
    out
}

pub fn png_bytes(page: &Scanned, dpi: u32) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let enc = PngEncoder::new_with_quality(&mut buf, CompressionType::Default, FilterType::Adaptive);
    match page {
        Scanned::Gray(img) => enc.write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::L8)?,
        Scanned::Rgb(img) => enc.write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)?,
    }
    Ok(with_phys(buf, dpi))
}

pub fn jpeg_bytes(page: &Scanned, dpi: u32, quality: u8) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut buf, quality);
    enc.set_pixel_density(PixelDensity::dpi(dpi as u16));
    match page {
        Scanned::Gray(img) => enc.encode(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::L8)?,
        Scanned::Rgb(img) => enc.encode(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)?,
    }
    Ok(buf)
}

fn resolution(dpi: u32) -> Rational {
    Rational { n: dpi, d: 1 }
}

/// A multi-page TIFF written page by page.
pub struct TiffWriter<W: Write + Seek> {
    enc: TiffEncoder<W>,
    kind: TiffKind,
    pages: u16,
    total: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TiffKind {
    Lzw,
    Deflate,
    G4,
}

impl<W: Write + Seek> TiffWriter<W> {
    pub fn new(w: W, kind: TiffKind, total: usize) -> anyhow::Result<Self> {
        let compression = match kind {
            TiffKind::Lzw => Compression::Lzw,
            TiffKind::Deflate => Compression::Deflate(DeflateLevel::Balanced),
            TiffKind::G4 => Compression::Uncompressed,
        };
        let enc = TiffEncoder::new(w)?.with_compression(compression);
        Ok(TiffWriter { enc, kind, pages: 0, total: total as u16 })
    }

    /// Adds a page; a G4 page is thresholded at `threshold` (darker is black).
    pub fn add(&mut self, img: &GrayImage, dpi: u32, threshold: u8) -> anyhow::Result<()> {
        let (w, h) = img.dimensions();
        match self.kind {
            TiffKind::G4 => {
                let data = g4_encode(img, threshold);
                let mut dir = self.enc.image_directory()?;
                let offset = dir.write_data(&data[..])?;
                dir.write_tag(Tag::NewSubfileType, 2u32)?;
                dir.write_tag(Tag::ImageWidth, w)?;
                dir.write_tag(Tag::ImageLength, h)?;
                dir.write_tag(Tag::BitsPerSample, 1u16)?;
                dir.write_tag(Tag::Compression, 4u16)?;
                dir.write_tag(Tag::PhotometricInterpretation, 0u16)?;
                dir.write_tag(Tag::StripOffsets, u32::try_from(offset).context("TIFF too large")?)?;
                dir.write_tag(Tag::SamplesPerPixel, 1u16)?;
                dir.write_tag(Tag::RowsPerStrip, h)?;
                dir.write_tag(Tag::StripByteCounts, data.len() as u32)?;
                dir.write_tag(Tag::XResolution, resolution(dpi))?;
                dir.write_tag(Tag::YResolution, resolution(dpi))?;
                dir.write_tag(Tag::ResolutionUnit, 2u16)?;
                dir.write_tag(Tag::Unknown(297), &[self.pages, self.total][..])?;
                dir.finish()?;
            }
            _ => {
                let mut image = self.enc.new_image::<colortype::Gray8>(w, h)?;
                image.resolution(ResolutionUnit::Inch, resolution(dpi));
                image.encoder().write_tag(Tag::NewSubfileType, 2u32)?;
                image.encoder().write_tag(Tag::Unknown(297), &[self.pages, self.total][..])?;
                image.write_data(img.as_raw())?;
            }
        }
        self.pages += 1;
        Ok(())
    }
}

/// A single-page grey TIFF (Deflate).
pub fn tiff_bytes(img: &GrayImage, dpi: u32) -> anyhow::Result<Vec<u8>> {
    let mut cur = std::io::Cursor::new(Vec::new());
    {
        let mut enc = TiffEncoder::new(&mut cur)?.with_compression(Compression::Deflate(DeflateLevel::Balanced));
        let mut image = enc.new_image::<colortype::Gray8>(img.width(), img.height())?;
        image.resolution(ResolutionUnit::Inch, resolution(dpi));
        image.write_data(img.as_raw())?;
    }
    Ok(cur.into_inner())
}

/// CCITT Group 4 (T.6) data of a page thresholded at `threshold`.
pub fn g4_encode(img: &GrayImage, threshold: u8) -> Vec<u8> {
    let (w, h) = img.dimensions();
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..h {
        let row = &img.as_raw()[(y * w) as usize..((y + 1) * w) as usize];
        let pels = row.iter().map(|v| if *v < threshold { fax::Color::Black } else { fax::Color::White });
        // VecWriter cannot fail.
        let _ = enc.encode_line(pels, w);
    }
    match enc.finish() {
        Ok(writer) => writer.finish(),
        Err(never) => match never {},
    }
}

/// Bytes that start like a file of the encoding and then break off.
pub fn corrupt_bytes(enc: Encoding, rng: &mut impl Rng) -> Vec<u8> {
    let mut out: Vec<u8> = match enc {
        Encoding::Png => {
            let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
            v.extend_from_slice(b"IHDR");
            v
        }
        Encoding::Jpeg { .. } => vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0],
        Encoding::Tiff => vec![b'I', b'I', 42, 0, 0x10, 0x27, 0, 0],
    };
    let n = rng.gen_range(200..2000);
    out.extend((0..n).map(|_| rng.gen::<u8>()));
    out
}

/// A grey page as a colour scan: warm paper, slightly bluish ink.
pub fn tint(img: &GrayImage, warmth: f32) -> RgbImage {
    let lut: Vec<[u8; 3]> = (0..256)
        .map(|v| {
            let f = v as f32;
            let paper = f / 255.0;
            [
                f.round() as u8,
                (f * (1.0 - 0.02 * warmth * paper)).round() as u8,
                (f * (1.0 - 0.08 * warmth * paper) + 12.0 * (1.0 - paper)).clamp(0.0, 255.0).round() as u8,
            ]
        })
        .collect();
    let src = img.as_raw();
    let mut out = vec![0u8; src.len() * 3];
    for (i, v) in src.iter().enumerate() {
        out[3 * i..3 * i + 3].copy_from_slice(&lut[*v as usize]);
    }
    RgbImage::from_raw(img.width(), img.height(), out).expect("same size")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use std::io::Cursor;
    use tiff::decoder::{Decoder, DecodingResult};

    fn sample(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let ink = (x / 7 + y / 5) % 3 == 0 || (x > 20 && x < 40 && y > 10) || x == 0 || x == w - 1;
            Luma([if ink { 10 } else { 240 }])
        })
    }

    #[test]
    fn g4_tiff_reads_back_with_the_tiff_crate() {
        let pages = [sample(203, 61), sample(97, 40)];
        let mut cur = Cursor::new(Vec::new());
        {
            let mut tw = TiffWriter::new(&mut cur, TiffKind::G4, 2).unwrap();
            for p in &pages {
                tw.add(p, 300, 128).unwrap();
            }
        }
        let bytes = cur.into_inner();
        let mut dec = Decoder::new(Cursor::new(bytes)).unwrap();
        for (i, page) in pages.iter().enumerate() {
            if i > 0 {
                dec.next_image().unwrap();
            }
            let (w, h) = dec.dimensions().unwrap();
            assert_eq!((w, h), page.dimensions());
            let Ok(DecodingResult::U8(data)) = dec.read_image() else { panic!("not 8-bit data") };
            // The tiff crate hands G4 samples back with one polarity for the
            // whole image (libtiff reads the file as WhiteIsZero, black = 1;
            // checked with tiffcp); the picture must match up to it.
            let stride = (w as usize).div_ceil(8);
            let mut same = 0;
            for y in 0..h {
                for x in 0..w {
                    let byte = data[y as usize * stride + x as usize / 8];
                    let bit = byte & (0x80 >> (x % 8)) != 0;
                    let black = page.get_pixel(x, y).0[0] < 128;
                    same += usize::from(bit == black);
                }
            }
            let n = (w * h) as usize;
            assert!(same == n || same == 0, "page {i}: {same} of {n} pixels agree");
            let res = dec.get_tag_u32(Tag::ResolutionUnit).unwrap();
            assert_eq!(res, 2);
        }
        assert!(!dec.more_images());
        // The image crate reads the first page as the picture it was.
        let first = image::load_from_memory(&bytes_again(&pages[0])).unwrap().to_luma8();
        for (x, y, p) in first.enumerate_pixels() {
            assert_eq!(p.0[0] < 128, pages[0].get_pixel(x, y).0[0] < 128, "pixel {x},{y}");
        }
    }

    fn bytes_again(page: &GrayImage) -> Vec<u8> {
        let mut cur = Cursor::new(Vec::new());
        {
            let mut tw = TiffWriter::new(&mut cur, TiffKind::G4, 1).unwrap();
            tw.add(page, 200, 128).unwrap();
        }
        cur.into_inner()
    }

    #[test]
    fn gray_tiff_png_jpeg_carry_their_dpi() {
        let img = sample(64, 48);
        let tif = tiff_bytes(&img, 250).unwrap();
        let mut dec = Decoder::new(Cursor::new(tif)).unwrap();
        let Ok(DecodingResult::U8(data)) = dec.read_image() else { panic!("not 8-bit") };
        assert_eq!(data, img.as_raw().as_slice());
        let xres = dec.get_tag(Tag::XResolution).unwrap();
        assert!(format!("{xres:?}").contains("250"), "{xres:?}");

        let png = png_bytes(&Scanned::Gray(img.clone()), 300).unwrap();
        let decoded = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(decoded, img);
        let at = png.windows(4).position(|w| w == b"pHYs").unwrap();
        assert_eq!(u32::from_be_bytes(png[at + 4..at + 8].try_into().unwrap()), 11811);

        let jpg = jpeg_bytes(&Scanned::Gray(img), 200, 80).unwrap();
        // JFIF APP0: units 1 (dpi), density 200 x 200.
        let at = jpg.windows(5).position(|w| w == b"JFIF\0").unwrap();
        assert_eq!(&jpg[at + 7..at + 12], &[1, 0, 200, 0, 200]);
    }
}


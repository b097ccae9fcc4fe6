//! Decoder tests: every format the pipeline reads, written in a temp dir,
//! and every kind of broken file of issue 5.

use super::*;
use crate::image::{page_count, pages};
use std::path::PathBuf;
use tiff::encoder::{colortype, Compression, Rational, TiffEncoder};
use tiff::tags::ResolutionUnit;

/// A gray test pattern: a dark square on white, so orientation is visible.
fn pattern(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| Luma([if x < w / 2 && y < h / 3 { 20 } else { 240 }]))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn only_page(path: &Path) -> DecodedPage {
    let mut it = pages(path).unwrap();
    assert_eq!(it.len(), 1);
    let p = it.next().unwrap().unwrap();
    assert!(it.next().is_none());
    p
}

// ------------------------------------------------------------ a tiny TIFF writer

/// One page for [`tiff_file`]: raw (already compressed) strip data.
struct RawPage {
    w: u32,
    h: u32,
    bits: u16,
    samples: u16,
    photometric: u16,
    compression: u16,
    data: Vec<u8>,
    res: Option<(u32, u16)>,
    extra: Vec<(u16, u32)>,
}

impl RawPage {
    fn gray8(img: &GrayImage) -> RawPage {
        RawPage {
            w: img.width(),
            h: img.height(),
            bits: 8,
            samples: 1,
            photometric: 1,
            compression: 1,
            data: img.as_raw().clone(),
            res: None,
            extra: vec![],
        }
    }
}

/// A little-endian TIFF of these pages, each one strip.
fn tiff_file(pages: &[RawPage]) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut link_at = 4usize;
    for p in pages {
        let data_at = out.len() as u32;
        out.extend_from_slice(&p.data);
        let res_at = out.len() as u32;
        if let Some((dpi, _)) = p.res {
            for _ in 0..2 {
                out.extend_from_slice(&dpi.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
            }
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd_at = out.len() as u32;
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        let mut entries: Vec<(u16, u16, u32)> = vec![
            (256, 4, p.w),
            (257, 4, p.h),
            (258, 3, u32::from(p.bits)),
            (259, 3, u32::from(p.compression)),
            (262, 3, u32::from(p.photometric)),
            (273, 4, data_at),
            (277, 3, u32::from(p.samples)),
            (278, 4, p.h),
            (279, 4, p.data.len() as u32),
        ];
        if let Some((_, unit)) = p.res {
            entries.push((282, 5, res_at));
            entries.push((283, 5, res_at + 8));
            entries.push((296, 3, u32::from(unit)));
        }
        for &(tag, v) in &p.extra {
            entries.push((tag, 4, v));
        }
        entries.sort_by_key(|e| e.0);
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

/// Packs a gray image into 1-bit rows (1 = white unless `white_is_zero`).
fn pack_bits(img: &GrayImage, white_is_zero: bool) -> Vec<u8> {
    let row = img.width().div_ceil(8) as usize;
    let mut out = vec![0u8; row * img.height() as usize];
    for (x, y, p) in img.enumerate_pixels() {
        let white = p.0[0] >= 128;
        if white != white_is_zero {
            out[y as usize * row + x as usize / 8] |= 0x80 >> (x % 8);
        }
    }
    out
}

fn g4_encode(img: &GrayImage) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..img.height() {
        let line = (0..img.width()).map(|x| if img.get_pixel(x, y).0[0] < 128 { fax::Color::Black } else { fax::Color::White });
        enc.encode_line(line, img.width()).unwrap();
    }
    enc.finish().unwrap().finish()
}

// ------------------------------------------------------------------------ PNG, JPEG

/// Inserts a pHYs chunk (pixels per metre) after IHDR.
fn with_phys(png: &[u8], ppm: u32) -> Vec<u8> {
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut chunk = b"pHYs".to_vec();
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.push(1);
    let crc = crc32(&chunk);
    let mut out = png[..ihdr_end].to_vec();
    out.extend_from_slice(&9u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn png_bytes(img: &DynamicImage) -> Vec<u8> {
    let mut v = Vec::new();
    img.write_to(&mut Cursor::new(&mut v), ImageFormat::Png).unwrap();
    v
}

fn jpeg_bytes(img: &DynamicImage, dpi: Option<u16>) -> Vec<u8> {
    let mut v = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut v, 90);
    if let Some(d) = dpi {
        enc.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(d));
    }
    enc.encode_image(img).unwrap();
    v
}

#[test]
fn png_gray_with_phys_dpi() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(40, 30);
    // 200 dpi = 7874 pixels per metre.
    let p = write(t.path(), "a.png", &with_phys(&png_bytes(&DynamicImage::ImageLuma8(img.clone())), 7874));
    let page = only_page(&p);
    assert_eq!(page.image, img);
    assert_eq!(page.dpi, 200);
    assert_eq!(page.file_page, 0);
    assert_eq!(page_count(&p).unwrap(), 1);
}

#[test]
fn png_without_dpi_is_300_and_rgba_is_flattened_on_white() {
    let t = tempfile::tempdir().unwrap();
    let mut rgba = image::RgbaImage::new(4, 2);
    rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 255]));
    rgba.put_pixel(1, 0, image::Rgba([0, 0, 0, 0])); // transparent: paper
    rgba.put_pixel(2, 0, image::Rgba([255, 0, 0, 255]));
    let p = write(t.path(), "a.png", &png_bytes(&DynamicImage::ImageRgba8(rgba)));
    let page = only_page(&p);
    assert_eq!(page.dpi, 300);
    assert_eq!(page.image.get_pixel(0, 0).0[0], 0);
    assert_eq!(page.image.get_pixel(1, 0).0[0], 255);
    assert_eq!(page.image.get_pixel(2, 0).0[0], 54); // red: Rec. 709 luma
}

#[test]
fn png_16_bit_gray() {
    let t = tempfile::tempdir().unwrap();
    let img = image::ImageBuffer::<Luma<u16>, _>::from_fn(3, 1, |x, _| Luma([[0u16, 32896, 65535][x as usize]]));
    let p = write(t.path(), "a.png", &png_bytes(&DynamicImage::ImageLuma16(img)));
    let page = only_page(&p);
    assert_eq!(page.image.as_raw(), &vec![0, 128, 255]);
}

#[test]
fn jpeg_rgb_with_jfif_dpi() {
    let t = tempfile::tempdir().unwrap();
    let gray = pattern(64, 48);
    let rgb = DynamicImage::ImageLuma8(gray.clone()).to_rgb8();
    let p = write(t.path(), "a.jpg", &jpeg_bytes(&DynamicImage::ImageRgb8(rgb), Some(240)));
    let page = only_page(&p);
    assert_eq!(page.dpi, 240);
    assert_eq!(page.image.dimensions(), (64, 48));
    let diff = page.image.pixels().zip(gray.pixels()).map(|(a, b)| (i32::from(a.0[0]) - i32::from(b.0[0])).abs()).max().unwrap();
    assert!(diff < 40, "JPEG differs by {diff}");
}

#[test]
fn absurd_dpi_becomes_300() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "a.jpg", &jpeg_bytes(&DynamicImage::ImageLuma8(pattern(16, 16)), Some(10)));
    assert_eq!(only_page(&p).dpi, 300);
    let p = write(t.path(), "b.png", &with_phys(&png_bytes(&DynamicImage::ImageLuma8(pattern(8, 8))), 200_000));
    assert_eq!(only_page(&p).dpi, 300);
}

// ----------------------------------------------------------------------------- TIFF

fn encode_tiff(f: impl FnOnce(&mut TiffEncoder<&mut Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    {
        let mut enc = TiffEncoder::new(&mut c).unwrap();
        f(&mut enc);
    }
    c.into_inner()
}

#[test]
fn tiff_gray8_with_resolution_inch_and_cm() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(30, 20);
    let bytes = encode_tiff(|e| {
        let mut im = e.new_image::<colortype::Gray8>(30, 20).unwrap();
        im.resolution(ResolutionUnit::Inch, Rational { n: 200, d: 1 });
        im.write_data(img.as_raw()).unwrap();
    });
    let p = write(t.path(), "a.tif", &bytes);
    let page = only_page(&p);
    assert_eq!(page.image, img);
    assert_eq!(page.dpi, 200);

    let bytes = encode_tiff(|e| {
        let mut im = e.new_image::<colortype::Gray8>(30, 20).unwrap();
        im.resolution(ResolutionUnit::Centimeter, Rational { n: 118, d: 1 });
        im.write_data(img.as_raw()).unwrap();
    });
    let p = write(t.path(), "b.tif", &bytes);
    assert_eq!(only_page(&p).dpi, 300); // 118 per cm = 299.7 dpi
}

#[test]
fn tiff_compressions_and_colour_types() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(33, 17);
    let rgb = DynamicImage::ImageLuma8(img.clone()).to_rgb8();
    let rgba = DynamicImage::ImageLuma8(img.clone()).to_rgba8();
    let g16: Vec<u16> = img.as_raw().iter().map(|&v| u16::from(v) * 257).collect();
    let comps = [Compression::Uncompressed, Compression::Lzw, Compression::Deflate(Default::default()), Compression::Packbits];
    for (i, comp) in comps.into_iter().enumerate() {
        let mut c = Cursor::new(Vec::new());
        {
            let mut e = TiffEncoder::new(&mut c).unwrap().with_compression(comp);
            e.write_image::<colortype::Gray8>(33, 17, img.as_raw()).unwrap();
            e.write_image::<colortype::RGB8>(33, 17, rgb.as_raw()).unwrap();
            e.write_image::<colortype::RGBA8>(33, 17, rgba.as_raw()).unwrap();
            e.write_image::<colortype::Gray16>(33, 17, &g16).unwrap();
        }
        let p = write(t.path(), &format!("c{i}.tif"), c.get_ref());
        assert_eq!(page_count(&p).unwrap(), 4);
        let got: Vec<DecodedPage> = pages(&p).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(got.len(), 4);
        for (k, page) in got.iter().enumerate() {
            assert_eq!(page.file_page, k as u32);
            assert_eq!(page.image, img, "compression {i}, page {k}");
        }
    }
}

#[test]
fn tiff_bitonal_uncompressed_both_photometrics() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(21, 9); // width not a multiple of 8: padded rows
    for (photometric, wiz) in [(1u16, false), (0, true)] {
        let page = RawPage { bits: 1, photometric, data: pack_bits(&img, wiz), res: Some((200, 2)), ..RawPage::gray8(&img) };
        let p = write(t.path(), &format!("b{photometric}.tif"), &tiff_file(&[page]));
        let got = only_page(&p);
        let want = GrayImage::from_fn(21, 9, |x, y| Luma([if img.get_pixel(x, y).0[0] < 128 { 0 } else { 255 }]));
        assert_eq!(got.image, want, "photometric {photometric}");
        assert_eq!(got.dpi, 200);
    }
}

#[test]
fn tiff_ccitt_g4() {
    let t = tempfile::tempdir().unwrap();
    let img = GrayImage::from_fn(100, 40, |x, y| Luma([if (x / 7 + y / 5) % 3 == 0 { 0 } else { 255 }]));
    let g4 = g4_encode(&img);
    // As scanners write it: WhiteIsZero, Compression 4.
    let page = RawPage { bits: 1, photometric: 0, compression: 4, data: g4.clone(), res: Some((300, 2)), ..RawPage::gray8(&img) };
    let p = write(t.path(), "g4.tif", &tiff_file(&[page]));
    let got = only_page(&p);
    assert_eq!(got.image, img);
    assert_eq!(got.dpi, 300);
    // The fax crate's own single-page wrapper (200 dpi).
    let p = write(t.path(), "g4b.tif", &fax::tiff::wrap(&g4, 100, 40));
    let got = only_page(&p);
    assert_eq!(got.image, img);
    assert_eq!(got.dpi, 200);
}

#[test]
fn multi_page_tiff_is_lazy_and_numbered() {
    let t = tempfile::tempdir().unwrap();
    let raws: Vec<RawPage> = (0..5).map(|i| RawPage::gray8(&GrayImage::from_pixel(10 + i, 8, Luma([i as u8 * 40])))).collect();
    let p = write(t.path(), "m.tif", &tiff_file(&raws));
    assert_eq!(page_count(&p).unwrap(), 5);
    let mut it = pages(&p).unwrap();
    assert_eq!(it.len(), 5);
    let first = it.next().unwrap().unwrap();
    assert_eq!((first.image.width(), first.file_page), (10, 0));
    assert_eq!(it.len(), 4);
    let rest: Vec<_> = it.map(|r| r.unwrap()).collect();
    assert_eq!(rest.iter().map(|p| p.file_page).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(rest[3].image.get_pixel(0, 0).0[0], 160);
}

#[test]
fn thumbnails_are_not_pages() {
    let t = tempfile::tempdir().unwrap();
    let page = RawPage::gray8(&pattern(20, 20));
    let thumb = RawPage { extra: vec![(254, 1)], ..RawPage::gray8(&pattern(5, 5)) };
    let p = write(t.path(), "t.tif", &tiff_file(&[page, thumb]));
    assert_eq!(page_count(&p).unwrap(), 1);
    assert_eq!(only_page(&p).image.width(), 20);
}

#[test]
fn multi_page_tiff_with_one_corrupt_page() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(40, 40);
    let g4 = g4_encode(&img);
    let mut bad = g4.clone();
    bad.iter_mut().for_each(|b| *b = 0x00); // all-zero G4: not a valid code
    let bitonal = |data: Vec<u8>| RawPage { bits: 1, photometric: 0, compression: 4, data, ..RawPage::gray8(&img) };
    let raws = vec![bitonal(g4.clone()), bitonal(bad), bitonal(g4.clone()), RawPage { compression: 99, ..RawPage::gray8(&img) }, bitonal(g4)];
    let p = write(t.path(), "m.tif", &tiff_file(&raws));
    assert_eq!(page_count(&p).unwrap(), 5);
    let got: Vec<_> = pages(&p).unwrap().collect();
    assert_eq!(got.len(), 5);
    assert!(got[0].is_ok() && got[2].is_ok() && got[4].is_ok());
    assert_eq!(got[4].as_ref().unwrap().file_page, 4);
    assert!(got[1].is_err(), "{:?}", got[1].as_ref().map(|p| p.image.width()));
    let e = got[3].as_ref().unwrap_err();
    assert!(matches!(e, DecodeError::Unsupported { .. }), "{e}");
}

#[test]
fn broken_directory_chain_yields_one_error_item() {
    let t = tempfile::tempdir().unwrap();
    let raws: Vec<RawPage> = (0..3).map(|_| RawPage::gray8(&pattern(8, 8))).collect();
    let mut bytes = tiff_file(&raws);
    // Point the second page's "next" link far beyond the end of the file.
    let chain = tiffdir::walk(&mut Cursor::new(&bytes)).unwrap();
    let second = chain.directories[1].offset as usize;
    let n = usize::from(u16::from_le_bytes([bytes[second], bytes[second + 1]]));
    let link = second + 2 + 12 * n;
    bytes[link..link + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let p = write(t.path(), "b.tif", &bytes);
    assert_eq!(page_count(&p).unwrap(), 3);
    let got: Vec<_> = pages(&p).unwrap().collect();
    assert_eq!(got.len(), 3);
    assert!(got[0].is_ok() && got[1].is_ok());
    let e = got[2].as_ref().unwrap_err();
    assert!(matches!(e, DecodeError::BrokenChain { .. }), "{e}");
}

#[test]
fn tiff_orientation_tag_is_applied() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(30, 20);
    let page = RawPage { extra: vec![(274, 3)], ..RawPage::gray8(&img) }; // 3: rotated 180°
    let p = write(t.path(), "o.tif", &tiff_file(&[page]));
    let got = only_page(&p);
    assert_eq!(got.image, image::imageops::rotate180(&img));
}

#[test]
fn fax_fine_resolution_is_made_square() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(204, 98);
    let mut bytes = tiff_file(&[RawPage { res: Some((204, 2)), ..RawPage::gray8(&img) }]);
    // Make the vertical resolution 98: the second rational.
    let chain = tiffdir::walk(&mut Cursor::new(&bytes)).unwrap();
    assert_eq!(chain.directories[0].y_resolution, Some(204.0));
    let at = bytes.windows(16).position(|w| w == [204, 0, 0, 0, 1, 0, 0, 0, 204, 0, 0, 0, 1, 0, 0, 0]).unwrap();
    bytes[at + 8] = 98;
    let p = write(t.path(), "f.tif", &bytes);
    let got = only_page(&p);
    assert_eq!(got.dpi, 204);
    assert_eq!(got.image.dimensions(), (204, 204));
}

// ------------------------------------------------------------------------ bad input

fn err_of(p: &Path) -> DecodeError {
    match pages(p) {
        Err(e) => e,
        Ok(mut it) => it.next().expect("one item").expect_err("an error"),
    }
}

#[test]
fn zero_byte_and_text_files() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "z.tif", b"");
    assert!(matches!(pages(&p), Err(DecodeError::Empty)));
    assert!(matches!(page_count(&p), Err(DecodeError::Empty)));
    let p = write(t.path(), "text.tif", b"This is a letter, not a scan.\n");
    let e = pages(&p).err().unwrap();
    assert!(matches!(e, DecodeError::NotAnImage));
    assert_eq!(e.to_string(), "not a PNG, JPEG or TIFF image");
    assert!(page_count(&p).is_err());
    let e = pages(&t.path().join("missing.png")).err().unwrap();
    assert!(matches!(e, DecodeError::Io(_)), "{e}");
}

#[test]
fn truncated_files() {
    let t = tempfile::tempdir().unwrap();
    let img = DynamicImage::ImageLuma8(GrayImage::from_fn(200, 150, |x, y| Luma([((x * 7 + y * 13) % 256) as u8])));
    let png = png_bytes(&img);
    let jpg = jpeg_bytes(&img, None);
    let tif = tiff_file(&[RawPage::gray8(&img.to_luma8())]);
    for (name, bytes) in [("a.png", &png), ("a.jpg", &jpg), ("a.tif", &tif)] {
        for cut in [bytes.len() / 2, 40, 6] {
            let p = write(t.path(), name, &bytes[..cut]);
            let e = err_of(&p);
            assert!(
                matches!(e, DecodeError::Truncated { .. } | DecodeError::Corrupt { .. }),
                "{name} cut at {cut}: {e:?}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
    // A TIFF whose strip is cut (directory intact, written before the data).
    let mut tif2 = tiff_file(&[RawPage::gray8(&img.to_luma8())]);
    let offs = tiffdir::walk(&mut Cursor::new(&tif2)).unwrap().directories[0].offset as usize;
    let ifd: Vec<u8> = tif2[offs..].to_vec();
    // Move the directory to the front: header, directory, then data.
    let data_len = offs - 8;
    let mut moved = tif2[..8].to_vec();
    moved[4..8].copy_from_slice(&8u32.to_le_bytes());
    let new_data_at = 8 + ifd.len() as u32;
    let mut ifd = ifd;
    let n = usize::from(u16::from_le_bytes([ifd[0], ifd[1]]));
    for i in 0..n {
        let e = 2 + 12 * i;
        if u16::from_le_bytes([ifd[e], ifd[e + 1]]) == 273 {
            ifd[e + 8..e + 12].copy_from_slice(&new_data_at.to_le_bytes());
        }
    }
    moved.extend_from_slice(&ifd);
    moved.extend_from_slice(&tif2[8..8 + data_len / 2]);
    tif2 = moved;
    let p = write(t.path(), "cut.tif", &tif2);
    let e = err_of(&p);
    assert!(matches!(e, DecodeError::Truncated { .. }), "{e:?}");
}

#[test]
fn huge_header_is_refused_before_allocating() {
    let t = tempfile::tempdir().unwrap();
    // TIFF: a directory claiming 100000 x 100000 with a 10-byte strip.
    let page = RawPage { w: 100_000, h: 100_000, data: vec![0; 10], ..RawPage::gray8(&pattern(1, 1)) };
    let p = write(t.path(), "huge.tif", &tiff_file(&[page]));
    let e = err_of(&p);
    assert!(matches!(e, DecodeError::TooLarge { width: 100_000, height: 100_000 }), "{e:?}");
    assert!(e.to_string().contains("100000 x 100000"), "{e}");
    // PNG: patch IHDR of a small PNG (the CRC is recomputed).
    let mut png = png_bytes(&DynamicImage::ImageLuma8(pattern(4, 4)));
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let p = write(t.path(), "huge.png", &png);
    let e = err_of(&p);
    assert!(matches!(e, DecodeError::TooLarge { .. }), "{e:?}");
    // JPEG: patch the SOF0 frame size.
    let mut jpg = jpeg_bytes(&DynamicImage::ImageLuma8(pattern(8, 8)), None);
    let sof = jpg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    jpg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let p = write(t.path(), "huge.jpg", &jpg);
    let e = err_of(&p);
    assert!(matches!(e, DecodeError::TooLarge { .. }), "{e:?}");
}

#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "secret.png", &png_bytes(&DynamicImage::ImageLuma8(pattern(4, 4))));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if File::open(&p).is_ok() {
        return; // running as root: permissions are not enforced
    }
    let e = pages(&p).err().unwrap();
    assert!(matches!(e, DecodeError::Io(_)), "{e}");
}

#[test]
fn format_is_sniffed_not_taken_from_the_name() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(12, 12);
    let p = write(t.path(), "really-a-png.tif", &png_bytes(&DynamicImage::ImageLuma8(img.clone())));
    assert_eq!(only_page(&p).image, img);
}

#[test]
fn jpeg_dpi_from_exif_when_jfif_has_no_unit() {
    let t = tempfile::tempdir().unwrap();
    let jpg = jpeg_bytes(&DynamicImage::ImageLuma8(pattern(16, 16)), None);
    // EXIF: a TIFF whose first directory says 240 dpi.
    let tiff = tiff_file(&[RawPage { res: Some((240, 2)), ..RawPage::gray8(&pattern(1, 1)) }]);
    let bytes = with_exif(&jpg, &tiff);
    assert_eq!(jpeg_dpi(&bytes, None), (None, None), "the encoder's JFIF header states no unit");
    let p = write(t.path(), "exif.jpg", &bytes);
    assert_eq!(only_page(&p).dpi, 240);
}

/// `jpg` with an APP1 EXIF segment holding `tiff` right after the
/// start-of-image marker.
fn with_exif(jpg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let mut bytes = jpg[..2].to_vec();
    bytes.extend_from_slice(&[0xFF, 0xE1]);
    bytes.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    bytes.extend_from_slice(&app1);
    bytes.extend_from_slice(&jpg[2..]);
    bytes
}

#[test]
fn a_colour_jpeg_is_read_as_its_luma_plane() {
    // Paper, grey print and a band of blue ink.
    let rgb = image::RgbImage::from_fn(96, 64, |x, y| match (x, y) {
        (_, 0..=15) => image::Rgb([250, 250, 248]),
        (_, 16..=31) => image::Rgb([60, 60, 60]),
        (0..=47, _) => image::Rgb([30, 50, 170]),
        _ => image::Rgb([235, 235, 235]),
    });
    let jpg = jpeg_bytes(&DynamicImage::ImageRgb8(rgb), Some(300));
    let luma = decode_jpeg_luma(&jpg).expect("a YCbCr JPEG takes the luma path");
    let via_rgb = image::load_from_memory(&jpg).unwrap().to_luma8();
    assert_eq!(luma.image.dimensions(), via_rgb.dimensions());
    assert_eq!(luma.dpi, 300);
    let at = |img: &GrayImage, x, y| i32::from(img.get_pixel(x, y).0[0]);
    for (x, y) in [(10, 5), (80, 20), (70, 50)] {
        // Grey is grey whichever way: the stored Y, or RGB made grey.
        assert!((at(&luma.image, x, y) - at(&via_rgb, x, y)).abs() <= 2, "pixel ({x}, {y})");
    }
    // Blue ink stays ink: dark on light paper.
    assert!(at(&luma.image, 20, 50) < 100 && at(&luma.image, 70, 50) > 200);
}

#[test]
fn a_grey_jpeg_reads_as_the_image_crate_reads_it() {
    let jpg = jpeg_bytes(&DynamicImage::ImageLuma8(pattern(40, 30)), None);
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "g.jpg", &jpg);
    assert_eq!(only_page(&p).image, image::load_from_memory(&jpg).unwrap().to_luma8());
}

#[test]
fn jpeg_exif_orientation_is_applied() {
    let t = tempfile::tempdir().unwrap();
    let img = pattern(40, 24);
    let jpg = jpeg_bytes(&DynamicImage::ImageLuma8(img.clone()), None);
    let upright = only_page(&write(t.path(), "a.jpg", &jpg)).image;
    // EXIF Orientation 3: the stored image is upside down.
    // A little-endian TIFF directory of one entry: tag 274, SHORT, 1, value 3.
    let mut exif = b"II*\0\x08\0\0\0\x01\0".to_vec();
    exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    let turned = only_page(&write(t.path(), "b.jpg", &with_exif(&jpg, &exif))).image;
    assert_eq!(turned, image::imageops::rotate180(&upright));
}

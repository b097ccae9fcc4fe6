//! Reading a page upright: when little of what Tesseract read of a page is
//! confident text, the page is probably upside down or sideways, and it is
//! read again turned, until an orientation reads well.

use super::{Keep, Kept, Ocr, OcrError};
use crate::model::{BBox, OcrPage};
use image::GrayImage;

/// A page read upright.
#[derive(Debug)]
pub struct Upright {
    pub page: OcrPage,
    /// The clockwise turn applied before the page read well, in degrees.
    pub rotation: u32,
    /// OCR passes spent on the page.
    pub passes: u32,
    /// The boxes `regions` asked for, cut out of the page as it was read.
    pub regions: Vec<GrayImage>,
}

/// Share of confident words under which a page is tried in other orientations.
const UPRIGHT_MIN_SHARE: f32 = 0.5;

/// OCR a page; when little of what is read is confident text, try the
/// other orientations and keep the one that reads best. `regions` is asked,
/// once, which boxes of the chosen reading are to be cut out of the page
/// (the values to read again).
///
/// One copy of the page is alive while Tesseract reads: the engine takes
/// it and hands it back only when it is to be read again, and it is turned
/// from one orientation to the next (half turns in place). Holding the
/// upright page beside a turned copy, or our copy beside Tesseract's, made
/// a page's peak memory 8.4 MB higher at 300 dpi (massif), and the peaks of
/// two workers together set the peak of a long batch.
pub fn upright(
    engine: &mut impl Ocr,
    image: GrayImage,
    dpi: u32,
    regions: &dyn Fn(&OcrPage) -> Vec<BBox>,
) -> Result<Upright, OcrError> {
    // A reading that reads well and better than any before it is the one:
    // its regions are cut out before the engine lets go of the page.
    let keep = |page: &OcrPage, best: f32| {
        if reads_well(page) && crate::extract::text_quality(page) >= best {
            Keep::Regions(regions(page))
        } else {
            Keep::Page
        }
    };
    let (first, kept) = engine.recognize(image, dpi, &|page| keep(page, 0.0))?;
    let mut image = match kept {
        Kept::Page(image) => image,
        Kept::Regions(regions) => return Ok(Upright { page: first, rotation: 0, passes: 1, regions }),
        Kept::Nothing => return Ok(Upright { page: first, rotation: 0, passes: 1, regions: Vec::new() }),
    };
    let mut passes = 1;
    let mut best = (crate::extract::text_quality(&first), first, 0u32);
    let mut turned_by = 0u32;
    for rot in [180, 90, 270] {
        image = crate::image::prepare::turn_quarter(image, rot + 360 - turned_by);
        turned_by = rot;
        let beat = best.0;
        let (read, kept) = engine.recognize(image, dpi, &|page| keep(page, beat))?;
        passes += 1;
        match kept {
            Kept::Regions(regions) => return Ok(Upright { page: read, rotation: rot, passes, regions }),
            Kept::Page(page) => image = page,
            Kept::Nothing => return Ok(Upright { page: read, rotation: rot, passes, regions: Vec::new() }),
        }
        let q = crate::extract::text_quality(&read);
        if q > best.0 {
            best = (q, read, rot);
        }
    }
    // No orientation read well: the best one it is, and its regions are cut
    // out of the page turned back to it.
    let (_, page, rotation) = best;
    let image = crate::image::prepare::turn_quarter(image, rotation + 360 - turned_by);
    let regions = regions(&page).iter().map(|b| crop(&image, *b)).collect();
    Ok(Upright { page, rotation, passes, regions })
}

/// A box of a page, clipped to it.
pub fn crop(image: &GrayImage, b: BBox) -> GrayImage {
    let x = b.x.min(image.width());
    let y = b.y.min(image.height());
    let w = b.w.min(image.width() - x);
    let h = b.h.min(image.height() - y);
    image::imageops::crop_imm(image, x, y, w, h).to_image()
}

/// Whether a reading looks like a page of text the right way up.
pub fn reads_well(page: &OcrPage) -> bool {
    let total = page.words.len();
    if total < 10 {
        return false;
    }
    crate::extract::meaningful_words(page) as f32 >= UPRIGHT_MIN_SHARE * total as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Word;
    use crate::ocr::Layout;

    /// Reads good text only when the page's one dark pixel is top-left, that
    /// is when the page is upright; junk otherwise. Counts its passes.
    struct Fake {
        passes: u32,
    }

    impl Ocr for Fake {
        fn recognize(&mut self, image: GrayImage, dpi: u32, keep: &dyn Fn(&OcrPage) -> Keep) -> Result<(OcrPage, Kept), OcrError> {
            self.passes += 1;
            let upright = image.get_pixel(0, 0).0[0] == 0;
            let (text, conf) = if upright { ("Medication", 92.0) } else { ("~.", 20.0) };
            let words = (0..20)
                .map(|i| Word { text: text.into(), bbox: BBox { x: 0, y: i * 10, w: 50, h: 8 }, conf, block: 1, par: 1, line: i, alts: Vec::new() })
                .collect();
            let page = OcrPage { width: image.width(), height: image.height(), dpi, words };
            let kept = match keep(&page) {
                Keep::Nothing => Kept::Nothing,
                Keep::Page => Kept::Page(image),
                Keep::Regions(boxes) => Kept::Regions(boxes.iter().map(|b| crop(&image, *b)).collect()),
            };
            Ok((page, kept))
        }

        fn read_region(&mut self, _: &GrayImage, _: u32, _: Layout) -> Result<Vec<Word>, OcrError> {
            Ok(Vec::new())
        }
    }

    fn page_turned(rotation: u32) -> GrayImage {
        let mut img = GrayImage::from_pixel(40, 30, image::Luma([255]));
        img.put_pixel(0, 0, image::Luma([0]));
        match rotation {
            90 => image::imageops::rotate90(&img),
            180 => image::imageops::rotate180(&img),
            270 => image::imageops::rotate270(&img),
            _ => img,
        }
    }

    /// The top-left 2 x 2 pixels of the page as read.
    fn corner(_: &OcrPage) -> Vec<BBox> {
        vec![BBox { x: 0, y: 0, w: 2, h: 2 }]
    }

    #[test]
    fn an_upright_page_is_read_once() {
        let mut fake = Fake { passes: 0 };
        let up = upright(&mut fake, page_turned(0), 300, &corner).unwrap();
        assert_eq!((up.rotation, up.passes, fake.passes), (0, 1, 1));
        assert_eq!(up.page.words[0].text, "Medication");
        assert_eq!(up.regions[0].get_pixel(0, 0).0[0], 0, "regions are cut out of the upright page");
    }

    #[test]
    fn a_turned_page_is_read_again_until_it_reads_well() {
        // A page turned clockwise by r needs the remaining turn (360 - r).
        for (turned, fix, passes) in [(180, 180, 2), (270, 90, 3), (90, 270, 4)] {
            let mut fake = Fake { passes: 0 };
            let up = upright(&mut fake, page_turned(turned), 300, &corner).unwrap();
            assert_eq!((up.rotation, up.passes, fake.passes), (fix, passes, passes), "page turned {turned}");
            assert_eq!(up.page.words[0].text, "Medication");
            assert_eq!(up.regions[0].get_pixel(0, 0).0[0], 0, "regions of the page turned {turned} are cut out upright");
        }
    }
}

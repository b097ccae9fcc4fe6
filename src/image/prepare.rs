//! Preparing a decoded page for OCR (work in progress).

use image::GrayImage;

/// A page made ready for OCR.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub image: GrayImage,
    pub rotation: u32,
    pub skew_deg: f32,
    pub ink_fraction: f32,
    pub blank: bool,
}

/// Prepares a page for OCR.
pub fn prepare(page: &GrayImage, _dpi: u32) -> Prepared {
    Prepared { image: page.clone(), rotation: 0, skew_deg: 0.0, ink_fraction: 0.0, blank: false }
}

//! Reusable image measurements, one per concern, as free functions over
//! `image` buffers. They measure and never decide: thresholds are applied by
//! `checks`, from the rulebook.

pub mod background;
pub mod blur;
pub mod card;
pub mod colour;
pub mod exposure;
pub mod face;
pub mod page;

use image::{GrayImage, RgbImage};

/// Rec.601 luma of an RGB image.
pub fn luma(img: &RgbImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = GrayImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(img.pixels()) {
        let [r, g, b] = p.0;
        let y = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000;
        o.0[0] = y.min(255) as u8;
    }
    out
}

/// A rectangle given as fractions of the image, turned into pixel bounds
/// (x0, y0, x1, y1), exclusive ends, never empty for a non-empty image.
pub fn region(w: u32, h: u32, fx0: f64, fy0: f64, fx1: f64, fy1: f64) -> (u32, u32, u32, u32) {
    let px = |f: f64, n: u32| ((f.clamp(0.0, 1.0) * f64::from(n)).round() as u32).min(n);
    let (x0, x1) = (px(fx0, w), px(fx1, w));
    let (y0, y1) = (px(fy0, h), px(fy1, h));
    let x1 = x1.max((x0 + 1).min(w));
    let y1 = y1.max((y0 + 1).min(h));
    (x0.min(x1.saturating_sub(1)), y0.min(y1.saturating_sub(1)), x1, y1)
}

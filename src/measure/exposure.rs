//! Exposure of a region: the median luma and the shares of clipped (≥ 250)
//! and crushed (≤ 10) pixels.

use image::GrayImage;

/// Luma statistics of a region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExposureMeasure {
    pub median: u8,
    pub clipped_fraction: f64,
    pub crushed_fraction: f64,
}

/// Measures the region `(x0, y0, x1, y1)` (exclusive ends) of `luma`.
pub fn measure_exposure(luma: &GrayImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> ExposureMeasure {
    let mut hist = [0u32; 256];
    for y in y0..y1.min(luma.height()) {
        for x in x0..x1.min(luma.width()) {
            hist[usize::from(luma.get_pixel(x, y).0[0])] += 1;
        }
    }
    let n: u32 = hist.iter().sum();
    if n == 0 {
        return ExposureMeasure {
            median: 0,
            clipped_fraction: 0.0,
            crushed_fraction: 0.0,
        };
    }
    let median = super::percentile(&hist, 0.5);
    let clipped: u32 = hist[250..].iter().sum();
    let crushed: u32 = hist[..=10].iter().sum();
    ExposureMeasure {
        median,
        clipped_fraction: f64::from(clipped) / f64::from(n),
        crushed_fraction: f64::from(crushed) / f64::from(n),
    }
}

//! A sheet of paper in a photo: its outline found as geometry
//! ([`super::quad`]), the light across it (brightness of the paper in a
//! 4 × 4 grid over the outline), and the signs of a digitally made image
//! (pure white, no sensor noise).

use super::percentile;
use super::quad::{contains, find_quad, Quad, QuadFind, QuadSearch};
use image::RgbImage;

/// Long side of the copy the paper's light is measured on.
const LIGHT_LONG_SIDE: u32 = 400;

/// What the page measures found.
#[derive(Debug, Clone)]
pub struct PageMeasure {
    /// The page's outline, in pixels of the measured image.
    pub quad: Quad,
    /// The paper's brightness: the 75th percentile of the luma in each cell
    /// of a 4 × 4 grid over the outline's bounding box (row-major), counting
    /// only pixels inside the outline, for the cells at least a quarter
    /// covered by the page.
    pub cell_brightness: Vec<u8>,
}

/// Looks for the page in `rgb` (an analysis copy): the search's answer and,
/// when a page was proposed, its light.
pub fn measure_page(rgb: &RgbImage, search: &QuadSearch) -> (QuadFind, Option<PageMeasure>) {
    let found = find_quad(rgb, search);
    let Some(quad) = found.best.clone() else {
        return (found, None);
    };
    let tiny = super::shrink_rgb(rgb, LIGHT_LONG_SIDE);
    let luma = super::luma(&tiny);
    let (w, h) = luma.dimensions();
    let k = (
        f64::from(w) / f64::from(rgb.width().max(1)),
        f64::from(h) / f64::from(rgb.height().max(1)),
    );
    let q = quad.corners.map(|(x, y)| (x * k.0, y * k.1));
    let clampx = |v: f64| (v.max(0.0) as u32).min(w);
    let clampy = |v: f64| (v.max(0.0) as u32).min(h);
    let x0 = clampx(q.iter().map(|p| p.0).fold(f64::INFINITY, f64::min));
    let x1 = clampx(q.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max).ceil());
    let y0 = clampy(q.iter().map(|p| p.1).fold(f64::INFINITY, f64::min));
    let y1 = clampy(q.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max).ceil());
    let mut cell_brightness = Vec::with_capacity(16);
    if x1 > x0 && y1 > y0 {
        for gy in 0..4 {
            for gx in 0..4 {
                let cx0 = x0 + (x1 - x0) * gx / 4;
                let cx1 = x0 + (x1 - x0) * (gx + 1) / 4;
                let cy0 = y0 + (y1 - y0) * gy / 4;
                let cy1 = y0 + (y1 - y0) * (gy + 1) / 4;
                let mut hist = [0u32; 256];
                for y in cy0..cy1 {
                    for x in cx0..cx1 {
                        if quad.full_frame || contains(&q, f64::from(x) + 0.5, f64::from(y) + 0.5) {
                            hist[usize::from(luma.get_pixel(x, y).0[0])] += 1;
                        }
                    }
                }
                // Cells with too few page pixels (corners of a tilted page's
                // box) say nothing about its light.
                let n: u32 = hist.iter().sum();
                if n * 4 >= (cx1 - cx0) * (cy1 - cy0) && n > 0 {
                    cell_brightness.push(percentile(&hist, 0.75));
                }
            }
        }
    }
    (found, Some(PageMeasure { quad, cell_brightness }))
}

/// Share of pure-white pixels (every channel at or above 254) outside the
/// convex quadrilateral `corners` (clockwise), sampled every other pixel.
/// Around a page photographed on something it is the surface's (low even
/// when the paper clips); around a rectangle printed on a rendered page it
/// is the paper's (high). `None` when nothing lies outside.
pub fn white_outside(img: &RgbImage, corners: &[(f64, f64); 4]) -> Option<f64> {
    let inside = |x: f64, y: f64| {
        (0..4).all(|i| {
            let (ax, ay) = corners[i];
            let (bx, by) = corners[(i + 1) % 4];
            (bx - ax) * (y - ay) - (by - ay) * (x - ax) >= 0.0
        })
    };
    let (w, h) = img.dimensions();
    let (mut white, mut n) = (0u64, 0u64);
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            if inside(f64::from(x) + 0.5, f64::from(y) + 0.5) {
                continue;
            }
            n += 1;
            if img.get_pixel(x, y).0.iter().all(|&c| c >= 254) {
                white += 1;
            }
        }
    }
    (n > 0).then(|| white as f64 / n as f64)
}

/// Signs of a digitally made image.
#[derive(Debug, Clone, Copy)]
pub struct DigitalSigns {
    /// Share of pixels pure white on every channel.
    pub white: f64,
    /// Among bright pixels, the share equal to their right neighbour (a
    /// camera's sensor noise makes that rare).
    pub flat: f64,
    /// The commonest brightness of the bright pixels (the paper's tone) …
    pub tone: u8,
    /// … and the share of all pixels of that one colour (grey, channels
    /// within 2 levels, green within one of the tone): a render's paper,
    /// 255 or off-white like 248; a photo's paper varies with the light and
    /// the sensor.
    pub tone_share: f64,
}

pub fn digital_signs(img: &RgbImage) -> DigitalSigns {
    let (w, h) = img.dimensions();
    let (mut white, mut n, mut bright, mut flat) = (0u64, 0u64, 0u64, 0u64);
    let mut hist = [0u64; 256];
    for y in (0..h).step_by(2) {
        for x in 0..w.saturating_sub(1) {
            let p = img.get_pixel(x, y).0;
            n += 1;
            if p.iter().all(|&c| c >= 254) {
                white += 1;
            }
            if p.iter().all(|&c| c >= 200) {
                bright += 1;
                let spread = p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0);
                if spread <= 2 {
                    hist[usize::from(p[1])] += 1;
                }
                if img.get_pixel(x + 1, y).0 == p {
                    flat += 1;
                }
            }
        }
    }
    let tone = (0..256).max_by_key(|&i| (hist[i], i)).unwrap_or(255) as u8;
    let same = hist[usize::from(tone.saturating_sub(1))..=usize::from(tone.saturating_add(1))]
        .iter()
        .sum::<u64>();
    let frac = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    DigitalSigns {
        white: frac(white, n),
        flat: frac(flat, bright),
        tone,
        tone_share: frac(same, n),
    }
}

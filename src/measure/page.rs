//! A sheet of paper in a photo: the bright region (Otsu's threshold on the
//! luma, closed over the print) with its outline, which frame edges it
//! touches, the light across it (brightness of the paper in a 4 × 4 grid),
//! and the signs of a digitally made image (pure white, no sensor noise).

use super::{largest_region, percentile, Labels};
use image::{GrayImage, Luma, RgbImage};
use imageproc::contrast::otsu_level;

/// What the page measures found.
#[derive(Debug, Clone, PartialEq)]
pub struct PageMeasure {
    /// The paper region's area / the image's.
    pub area_fraction: f64,
    /// Frame edges the region touches: left, top, right, bottom.
    pub touches: [bool; 4],
    /// The paper's brightness: the 75th percentile of the luma in each cell
    /// of a 4 × 4 grid over the region's bounding box (row-major), for the
    /// cells at least a quarter covered by the page.
    pub cell_brightness: Vec<u8>,
    /// The page's corners, clockwise from the top-left, in pixels of the
    /// measured image: the region's extreme points along the diagonals,
    /// which follow a perspective quadrilateral (a rotated rectangle would
    /// not).
    pub corners: [(f64, f64); 4],
}

/// The bounding box (x0, y0, x1, y1; exclusive ends) of region `label`.
fn bounding_box(labels: &Labels, label: usize) -> (u32, u32, u32, u32) {
    let (w, h) = labels.dimensions();
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (x, y, p) in labels.enumerate_pixels() {
        if p.0[0] as usize == label {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
        }
    }
    (x0, y0, x1, y1)
}

/// Measures the page in `rgb` (an analysis copy).
pub fn measure_page(rgb: &RgbImage) -> Option<PageMeasure> {
    let (w, h) = rgb.dimensions();
    if w < 16 || h < 16 {
        return None;
    }
    let luma = &super::luma(rgb);
    let t = otsu_level(luma);
    let mask = GrayImage::from_fn(w, h, |x, y| Luma([if luma.get_pixel(x, y).0[0] > t { 255 } else { 0 }]));
    let (labels, best, count) = largest_region(&mask, 3)?;
    let (mut x0, mut y0, mut x1, mut y1) = bounding_box(&labels, best);
    // Left, top, right, bottom.
    let touches = [x0 == 0, y0 == 0, x1 == w, y1 == h];
    let corners = diagonal_corners(&labels, best);
    // A shadow can push part of the paper below Otsu's threshold; paper is
    // neutral, so the neutral region, when larger, is the page for the light
    // measure (only its pixels counted).
    // Neutral: the channels within 24 of each other (about C* < 10 at
    // paper brightness), and not black.
    let neutral = GrayImage::from_fn(w, h, |x, y| {
        let [r, g, b] = rgb.get_pixel(x, y).0;
        let spread = r.max(g).max(b) - r.min(g).min(b);
        Luma([if spread < 24 && r.max(g).max(b) > 40 { 255 } else { 0 }])
    });
    let mut member: Option<(Labels, usize)> = None;
    if let Some((nl, nb, ncount)) = largest_region(&neutral, 3) {
        if f64::from(ncount) > 1.2 * f64::from(count) {
            (x0, y0, x1, y1) = bounding_box(&nl, nb);
            member = Some((nl, nb));
        }
    }
    let mut cell_brightness = Vec::with_capacity(16);
    for gy in 0..4 {
        for gx in 0..4 {
            let cx0 = x0 + (x1 - x0) * gx / 4;
            let cx1 = x0 + (x1 - x0) * (gx + 1) / 4;
            let cy0 = y0 + (y1 - y0) * gy / 4;
            let cy1 = y0 + (y1 - y0) * (gy + 1) / 4;
            let mut hist = [0u32; 256];
            for y in cy0..cy1 {
                for x in cx0..cx1 {
                    if member
                        .as_ref()
                        .is_none_or(|(l, b)| l.get_pixel(x, y).0[0] as usize == *b)
                    {
                        hist[usize::from(luma.get_pixel(x, y).0[0])] += 1;
                    }
                }
            }
            // Cells with too few page pixels (corners of a tilted page's box)
            // say nothing about its light.
            let n: u32 = hist.iter().sum();
            if n * 4 >= (cx1 - cx0) * (cy1 - cy0) {
                cell_brightness.push(percentile(&hist, 0.75));
            }
        }
    }
    Some(PageMeasure {
        area_fraction: f64::from(count) / f64::from(w * h),
        touches,
        cell_brightness,
        corners,
    })
}

/// The extreme pixels of region `label` along the diagonals: top-left
/// (least x + y), top-right (most x − y), bottom-right (most x + y),
/// bottom-left (least x − y), at the pixels' outer edges.
fn diagonal_corners(labels: &Labels, label: usize) -> [(f64, f64); 4] {
    // For each corner: the score to maximise and the best (score, x, y).
    let score = |k: usize, x: i64, y: i64| match k {
        0 => -(x + y),
        1 => x - y,
        2 => x + y,
        _ => y - x,
    };
    let mut best = [(i64::MIN, 0i64, 0i64); 4];
    for (y, row) in labels.rows().enumerate() {
        let mut xs = row
            .enumerate()
            .filter(|(_, p)| p.0[0] as usize == label)
            .map(|(x, _)| x);
        let Some(first) = xs.next() else { continue };
        let last = xs.next_back().unwrap_or(first);
        for x in [first as i64, last as i64] {
            for (k, b) in best.iter_mut().enumerate() {
                let s = score(k, x, y as i64);
                if s > b.0 {
                    *b = (s, x, y as i64);
                }
            }
        }
    }
    // Right and bottom corners at the pixels' far edges.
    let at = |k: usize, dx: i64, dy: i64| ((best[k].1 + dx) as f64, (best[k].2 + dy) as f64);
    [at(0, 0, 0), at(1, 1, 0), at(2, 1, 1), at(3, 0, 1)]
}

/// Signs of a digitally made image: the share of pixels that are pure
/// white on every channel, and among bright pixels the share equal to
/// their right neighbour (a camera's sensor noise makes that rare).
pub fn digital_signs(img: &RgbImage) -> (f64, f64) {
    let (w, h) = img.dimensions();
    let (mut white, mut n, mut bright, mut flat) = (0u64, 0u64, 0u64, 0u64);
    for y in (0..h).step_by(2) {
        for x in 0..w.saturating_sub(1) {
            let p = img.get_pixel(x, y).0;
            n += 1;
            if p.iter().all(|&c| c >= 254) {
                white += 1;
            }
            if p.iter().all(|&c| c >= 200) {
                bright += 1;
                if img.get_pixel(x + 1, y).0 == p {
                    flat += 1;
                }
            }
        }
    }
    let frac = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    (frac(white, n), frac(flat, bright))
}

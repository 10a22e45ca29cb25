//! Reusable image measurements, one per concern, as free functions over
//! `image` buffers. They measure and never decide: thresholds are applied by
//! `checks`, from the rulebook.

pub mod background;
pub mod blur;
pub mod card;
pub mod cascade;
pub mod colour;
pub mod exposure;
pub mod face;
pub mod glyphs;
pub mod halftone;
pub mod handwriting;
pub mod idtext;
pub mod ink;
pub mod page;
pub mod quad;

use image::{GrayImage, RgbImage};

/// Rec.601 luma of an RGB image.
pub fn luma(img: &RgbImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let y = img
        .as_raw()
        .chunks_exact(3)
        .map(|p| {
            let y = (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500) / 1000;
            y.min(255) as u8
        })
        .collect();
    GrayImage::from_raw(w, h, y).unwrap_or_default()
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

/// Region labels, as `connected_components` returns them.
pub type Labels = image::ImageBuffer<image::Luma<u32>, Vec<u32>>;

/// The largest 8-connected region of `mask` after closing it with a
/// `close`-pixel square: the label image, the region's label and its size.
pub fn largest_region(mask: &GrayImage, close: u8) -> Option<(Labels, usize, u32)> {
    use imageproc::region_labelling::{connected_components, Connectivity};
    let mask = imageproc::morphology::close(mask, imageproc::distance_transform::Norm::LInf, close);
    let labels = connected_components(&mask, Connectivity::Eight, image::Luma([0u8]));
    let mut sizes: Vec<u32> = Vec::new();
    for p in labels.pixels() {
        let l = p.0[0] as usize;
        if l > 0 {
            if sizes.len() <= l {
                sizes.resize(l + 1, 0);
            }
            sizes[l] += 1;
        }
    }
    let (best, &count) = sizes.iter().enumerate().max_by_key(|(_, n)| **n)?;
    Some((labels, best, count))
}

/// Shrinks `img` by the smallest integer factor that brings its long side
/// to `max_long` or below, averaging each k × k block. Much faster than a
/// filtered resize, and for analysis copies as good.
pub fn shrink_rgb(img: &RgbImage, max_long: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let k = w.max(h).div_ceil(max_long.max(1)).max(1);
    if k == 1 {
        return img.clone();
    }
    if w < k || h < k {
        // A sliver: no whole block fits across it.
        let f = |n: u32| (n / k).max(1);
        return image::imageops::thumbnail(img, f(w), f(h));
    }
    RgbImage::from_raw(w / k, h / k, block_average::<3>(img.as_raw(), w, k)).unwrap_or_default()
}

/// `luma` shrunk by the integer factor `k`, each k × k block averaged (the
/// remainder rows and columns dropped); `k` larger than a side leaves it.
pub fn shrink_luma_by(luma: &GrayImage, k: u32) -> GrayImage {
    let (w, h) = luma.dimensions();
    if k <= 1 || w < k || h < k {
        return luma.clone();
    }
    GrayImage::from_raw(w / k, h / k, block_average::<1>(luma.as_raw(), w, k)).unwrap_or_default()
}

/// The mean of each k × k block of an image `w` pixels wide with `C`
/// interleaved channels, rounded; remainder rows and columns dropped.
fn block_average<const C: usize>(raw: &[u8], w: u32, k: u32) -> Vec<u8> {
    let (sw, k, area) = ((w / k) as usize, k as usize, k * k);
    let stride = w as usize * C;
    let mut out = Vec::with_capacity(raw.len() / area as usize);
    let mut acc = vec![0u32; sw * C];
    for rows in raw.chunks_exact(stride * k) {
        acc.fill(0);
        for row in rows.chunks_exact(stride) {
            for (sum, block) in acc.chunks_exact_mut(C).zip(row.chunks_exact(k * C)) {
                for px in block.chunks_exact(C) {
                    for (s, &v) in sum.iter_mut().zip(px) {
                        *s += u32::from(v);
                    }
                }
            }
        }
        out.extend(acc.iter().map(|&v| ((v + area / 2) / area) as u8));
    }
    out
}

/// `v` rounded to `decimals` places, for reports: more digits say nothing.
pub fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// A score or fraction for a report: three decimals are enough to compare.
pub fn r3(v: f64) -> f64 {
    round_to(v, 3)
}

/// A pixel coordinate or ratio for a report, to one decimal.
pub fn r1(v: f64) -> f64 {
    round_to(v, 1)
}

/// The smallest value whose cumulative count reaches `q` of the total in a
/// 256-bin histogram (0 for an empty one).
pub fn percentile(hist: &[u32; 256], q: f64) -> u8 {
    let n: u32 = hist.iter().sum();
    if n == 0 {
        return 0;
    }
    let target = ((f64::from(n) * q).ceil() as u32).max(1);
    let mut acc = 0;
    for (v, &c) in hist.iter().enumerate() {
        acc += c;
        if acc >= target {
            return v as u8;
        }
    }
    255
}

/// The solution of three linear equations (rows: coefficients, then the
/// right-hand side) by elimination with partial pivoting; `None` when singular.
pub(crate) fn solve3(mut m: [[f64; 4]; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col];
        for (row, r) in m.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (v, p) in r.iter_mut().zip(pivot_row.iter()).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    Some([m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]])
}

#[cfg(test)]
mod shrink_tests {
    use super::*;

    #[test]
    fn shrink_averages_blocks_and_survives_slivers() {
        let img = RgbImage::from_fn(8, 4, |x, _| image::Rgb([if x % 2 == 0 { 0 } else { 200 }; 3]));
        let s = shrink_rgb(&img, 4);
        assert_eq!(s.dimensions(), (4, 2));
        assert_eq!(s.get_pixel(0, 0).0, [100; 3]);
        for (w, h) in [(1, 1000), (1000, 1), (3, 7)] {
            let s = shrink_rgb(&RgbImage::new(w, h), 2);
            assert!(s.width() >= 1 && s.height() >= 1);
        }
    }
}

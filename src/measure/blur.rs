//! Sharpness as the Crété-Roffet blur index ("The Blur Effect: Perception
//! and Estimation with a New No-Reference Perceptual Blur Metric", SPIE
//! 2007): the image is blurred again with a 9-tap mean filter, and the index
//! is the share of neighbour-to-neighbour variation that this re-blur does
//! *not* remove. A sharp image loses much of its variation (index near 0);
//! an already blurred one loses little (index near 1).
//!
//! The index is normalised by the image's own variation, so it does not
//! depend on contrast. It does depend on scale (downscaling sharpens), so the
//! checks measure at one analysis height, set in the rulebook.

use image::imageops::{resize, FilterType};
use image::GrayImage;

const TAPS: i32 = 9;

/// The blur index of `luma` after scaling it to `analysis_height` rows
/// (images already smaller are measured as they are): 0 sharp … 1 blurred.
pub fn measure_blur(luma: &GrayImage, analysis_height: u32) -> f64 {
    let (w, h) = luma.dimensions();
    if h > analysis_height {
        let nw = ((u64::from(w) * u64::from(analysis_height)) / u64::from(h)).max(1) as u32;
        let small = resize(luma, nw, analysis_height, FilterType::Triangle);
        blur_index(&small)
    } else {
        blur_index(luma)
    }
}

/// The Crété-Roffet index at the image's own scale.
///
/// Between neighbours the 9-tap sum changes by the pixel entering minus the
/// pixel leaving the window, so the re-blurred variation needs no running
/// sums: each direction is one pass over rows (edges replicated).
pub fn blur_index(img: &GrayImage) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 2 || h < 2 {
        return 1.0;
    }
    let px = img.as_raw();
    let half = TAPS as usize / 2;
    let row = |y: usize| &px[y * w..][..w];

    // Vertical: row y against row y - 1, the window entering at y + 4 and
    // leaving at y - 5.
    let (mut d_ver, mut v_ver) = (0i64, 0i64);
    for y in 1..h {
        let (cur, prev) = (row(y), row(y - 1));
        let (enter, leave) = (row((y + half).min(h - 1)), row(y.saturating_sub(half + 1)));
        let (d, v) = variation(cur, prev, enter, leave);
        d_ver += d;
        v_ver += v;
    }
    // Horizontal: the same along each row.
    let (mut d_hor, mut v_hor) = (0i64, 0i64);
    for y in 0..h {
        let r = row(y);
        // Edges, where the window is clamped, one by one; the interior as
        // four shifted slices.
        let inner = (half + 1)..w.saturating_sub(half).max(half + 1);
        for x in (1..w).filter(|x| !inner.contains(x)) {
            let df = (i32::from(r[x]) - i32::from(r[x - 1])).abs() * TAPS;
            let db = (i32::from(r[(x + half).min(w - 1)]) - i32::from(r[x.saturating_sub(half + 1)])).abs();
            d_hor += i64::from(df);
            v_hor += i64::from((df - db).max(0));
        }
        if !inner.is_empty() {
            let (a, b) = (inner.start, inner.end);
            let (d, v) = variation(
                &r[a..b],
                &r[a - 1..b - 1],
                &r[a + half..b + half],
                &r[a - half - 1..b - half - 1],
            );
            d_hor += d;
            v_hor += v;
        }
    }
    let index = |d: i64, v: i64| if d == 0 { 1.0 } else { (d - v) as f64 / d as f64 };
    index(d_ver, v_ver).max(index(d_hor, v_hor))
}

/// One line's share: neighbour differences `cur - prev` (× 9) and how
/// much of each the 9-tap re-blur (`enter - leave`) leaves.
fn variation(cur: &[u8], prev: &[u8], enter: &[u8], leave: &[u8]) -> (i64, i64) {
    // i32 per line: 9 × 255 × the line's length stays far below 2^31.
    let (mut d, mut v) = (0i32, 0i32);
    for (((&c, &p), &e), &l) in cur.iter().zip(prev).zip(enter).zip(leave) {
        let df = (i32::from(c) - i32::from(p)).abs() * TAPS;
        let db = (i32::from(e) - i32::from(l)).abs();
        d += df;
        v += (df - db).max(0);
    }
    (i64::from(d), i64::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn checker(size: u32, cell: u32) -> GrayImage {
        GrayImage::from_fn(size, size, |x, y| {
            Luma([if (x / cell + y / cell).is_multiple_of(2) {
                30
            } else {
                220
            }])
        })
    }

    #[test]
    fn blurring_raises_the_index() {
        let sharp = checker(128, 8);
        let soft = image::imageops::blur(&sharp, 3.0);
        let (a, b) = (blur_index(&sharp), blur_index(&soft));
        assert!(a < 0.3, "sharp {a}");
        assert!(b > a + 0.3, "sharp {a} blurred {b}");
    }

    #[test]
    fn equals_the_running_sum_reference() {
        // Noise, gradients and edges at sizes around the 9-tap window.
        let mut state = 12345u32;
        for (w, h) in [(2, 2), (3, 7), (9, 9), (10, 13), (64, 41), (295, 413)] {
            let img = GrayImage::from_fn(w, h, |x, y| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let noise = (state >> 16) % 40;
                Luma([((x * 7 + y * 3) % 200 + noise) as u8])
            });
            assert_eq!(blur_index(&img), reference(&img), "{w} x {h}");
            let soft = image::imageops::blur(&img, 2.0);
            assert_eq!(blur_index(&soft), reference(&soft), "{w} x {h} blurred");
        }
    }

    /// The first implementation, with running 9-tap sums: the reference.
    fn reference(img: &GrayImage) -> f64 {
        let (w, h) = (img.width() as usize, img.height() as usize);
        if w < 2 || h < 2 {
            return 1.0;
        }
        let px = img.as_raw();
        let at = |x: usize, y: usize| i32::from(px[y * w + x]);
        let half = TAPS / 2;
        let clamp = |v: i32, n: usize| v.clamp(0, n as i32 - 1) as usize;

        // Vertical: running 9-row sums, compared with 9 × the pixel differences.
        let (mut d_ver, mut v_ver) = (0i64, 0i64);
        let mut prev_sum: Vec<i32> = vec![0; w];
        let mut sum: Vec<i32> = (0..w)
            .map(|x| (-half..=half).map(|k| at(x, clamp(k, h))).sum())
            .collect();
        for y in 1..h {
            std::mem::swap(&mut prev_sum, &mut sum);
            let add = clamp(y as i32 + half, h);
            let sub = clamp(y as i32 - half - 1, h);
            for x in 0..w {
                sum[x] = prev_sum[x] + at(x, add) - at(x, sub);
                let df = (at(x, y) - at(x, y - 1)).abs() * TAPS;
                let db = (sum[x] - prev_sum[x]).abs();
                d_ver += i64::from(df);
                v_ver += i64::from((df - db).max(0));
            }
        }
        // Horizontal: the same along each row.
        let (mut d_hor, mut v_hor) = (0i64, 0i64);
        for y in 0..h {
            let mut s: i32 = (-half..=half).map(|k| at(clamp(k, w), y)).sum();
            for x in 1..w {
                let ps = s;
                s += at(clamp(x as i32 + half, w), y) - at(clamp(x as i32 - half - 1, w), y);
                let df = (at(x, y) - at(x - 1, y)).abs() * TAPS;
                let db = (s - ps).abs();
                d_hor += i64::from(df);
                v_hor += i64::from((df - db).max(0));
            }
        }
        let index = |d: i64, v: i64| if d == 0 { 1.0 } else { (d - v) as f64 / d as f64 };
        index(d_ver, v_ver).max(index(d_hor, v_hor))
    }

    #[test]
    fn a_flat_image_counts_as_blurred() {
        assert_eq!(blur_index(&GrayImage::from_pixel(20, 20, Luma([128]))), 1.0);
    }
}

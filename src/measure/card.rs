//! The region cue and the card's rectification. [`find_object`] takes the
//! largest connected region that differs from the frame's outer ring (what
//! the photo check's recapture cue uses: an object with its own edges inside
//! a portrait); the ID card itself is found as geometry by
//! [`super::quad`]. [`rectify`] warps the card to a fixed size for the
//! checks that look inside it.

use super::colour::lab;
use super::largest_region;
use image::{Luma, RgbImage};
use imageproc::geometry::min_area_rect;
use imageproc::point::Point;

/// Width of the analysis copy.
const ANALYSIS_WIDTH: u32 = 320;
/// Rectified card size in pixels (ID-1 at 5 px/mm).
pub const CARD_W: u32 = 428;
pub const CARD_H: u32 = 270;

/// The outline of the object found.
#[derive(Debug, Clone)]
pub struct Outline {
    /// Corners in the original image's pixels, clockwise from the top-left
    /// of the card as rectified (long side horizontal).
    pub corners: [(f64, f64); 4],
    /// Long side / short side of the outline.
    pub aspect: f64,
    /// Outline area / image area.
    pub area_fraction: f64,
    /// Whether the region reaches the frame's edge.
    pub touches_edge: bool,
    /// Median colour of the frame's outer ring (CIELAB L*, a*, b*).
    pub background_lab: [f64; 3],
}

/// Looks for the largest object that stands out from the frame's
/// background; `None` when none covers at least `min_area` of the image.
pub fn find_object(img: &RgbImage, min_area: f64, min_delta_e: f64) -> Option<Outline> {
    let (w, h) = img.dimensions();
    if w < 8 || h < 8 {
        return None;
    }
    let scale = (f64::from(ANALYSIS_WIDTH) / f64::from(w)).min(1.0);
    let sw = ((f64::from(w) * scale).round() as u32).max(8);
    let sh = ((f64::from(h) * scale).round() as u32).max(8);
    // thumbnail (area averaging) is several times faster than a filtered resize.
    let small = if (sw, sh) == (w, h) {
        img.clone()
    } else {
        image::imageops::thumbnail(img, sw, sh)
    };

    // The outer ring: 3 % of each side.
    let ring = (sw.min(sh) / 33).max(1);
    let mut ring_lab = Vec::new();
    for (x, y, p) in small.enumerate_pixels() {
        if x < ring || y < ring || x >= sw - ring || y >= sh - ring {
            ring_lab.push(lab(p.0));
        }
    }
    let med = |f: fn(&super::colour::Lab) -> f32| {
        let mut v: Vec<f32> = ring_lab.iter().map(f).collect();
        let mid = v.len() / 2;
        f64::from(*v.select_nth_unstable_by(mid, f32::total_cmp).1)
    };
    let bg = [med(|c| c.l), med(|c| c.a), med(|c| c.b)];

    // Foreground: far enough from the background colour.
    let mask = image::GrayImage::from_fn(sw, sh, |x, y| {
        let c = lab(small.get_pixel(x, y).0);
        let d =
            ((f64::from(c.l) - bg[0]).powi(2) + (f64::from(c.a) - bg[1]).powi(2) + (f64::from(c.b) - bg[2]).powi(2))
                .sqrt();
        Luma([if d > min_delta_e { 255 } else { 0 }])
    });
    // Closing bridges the gaps between text lines and the card's pale areas.
    let (labels, best, count) = largest_region(&mask, 4)?;
    if f64::from(count) < min_area * f64::from(sw * sh) {
        return None;
    }
    // The hull of a region is the hull of its leftmost and rightmost pixel
    // in each row: two points a row instead of all of them to sort.
    let mut points = Vec::with_capacity(2 * sh as usize);
    let mut touches_edge = false;
    for y in 0..sh {
        let mut xs = (0..sw).filter(|&x| labels.get_pixel(x, y).0[0] as usize == best);
        let Some(first) = xs.next() else { continue };
        let last = xs.next_back().unwrap_or(first);
        points.push(Point::new(first as i32, y as i32));
        if last != first {
            points.push(Point::new(last as i32, y as i32));
        }
        touches_edge |= first == 0 || last == sw - 1 || y == 0 || y == sh - 1;
    }
    let hull = imageproc::geometry::convex_hull(points);
    let rect = min_area_rect(&hull);
    let pts: Vec<(f64, f64)> = rect.iter().map(|p| (f64::from(p.x), f64::from(p.y))).collect();
    let side = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let (s1, s2) = (side(pts[0], pts[1]), side(pts[1], pts[2]));
    let (long, short) = if s1 >= s2 { (s1, s2) } else { (s2, s1) };
    if short < 4.0 {
        return None;
    }
    let area_fraction = long * short / f64::from(sw * sh);
    let inv = 1.0 / scale;
    Some(Outline {
        corners: order_corners(&pts).map(|(x, y)| (x * inv, y * inv)),
        aspect: long / short,
        area_fraction,
        touches_edge,
        background_lab: bg,
    })
}

/// Orders the rectangle's corners clockwise starting at the top-left of
/// the card held with its long side horizontal.
fn order_corners(pts: &[(f64, f64)]) -> [(f64, f64); 4] {
    // Start from the point with the smallest x + y, go clockwise (image
    // coordinates: angle increasing with y down).
    let cx = pts.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let cy = pts.iter().map(|p| p.1).sum::<f64>() / 4.0;
    let mut v: Vec<(f64, f64)> = pts.to_vec();
    v.sort_by(|a, b| (a.1 - cy).atan2(a.0 - cx).total_cmp(&(b.1 - cy).atan2(b.0 - cx)));
    let start = (0..4)
        .min_by(|&i, &j| (v[i].0 + v[i].1).total_cmp(&(v[j].0 + v[j].1)))
        .unwrap_or(0);
    let mut out = [(0.0, 0.0); 4];
    for (k, o) in out.iter_mut().enumerate() {
        *o = v[(start + k) % 4];
    }
    // If the first edge (top) is the short one, the card stands upright:
    // rotate the order so that the long side comes first.
    let side = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    if side(out[0], out[1]) < side(out[1], out[2]) {
        out = [out[1], out[2], out[3], out[0]];
    }
    out
}

/// The quadrilateral `corners` of `img` warped to `CARD_W` × `CARD_H`
/// (bilinear; outside the image is white). Sampled straight from the raw
/// buffer: imageproc's generic warp spends most of the card check here.
pub fn rectify(img: &RgbImage, corners: &[(f64, f64); 4]) -> Option<RgbImage> {
    let (cw, ch) = (f64::from(CARD_W), f64::from(CARD_H));
    let h = homography(&[(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)], corners)?;
    let (iw, ih) = img.dimensions();
    if iw < 2 || ih < 2 {
        return None;
    }
    let raw = img.as_raw();
    let stride = iw as usize * 3;
    let mut out = vec![255u8; (CARD_W * CARD_H * 3) as usize];
    let (max_x, max_y) = ((iw - 1) as f32, (ih - 1) as f32);
    let hf = h.map(|v| v as f32);
    for (v, row) in out.chunks_exact_mut(CARD_W as usize * 3).enumerate() {
        let vc = v as f32 + 0.5;
        // Along a row the numerators and the denominator grow linearly: one
        // reciprocal a pixel, and bilinear weights in 8-bit fixed point.
        let (mut nx, mut ny, mut dw) = (
            hf[0] * 0.5 + hf[1] * vc + hf[2],
            hf[3] * 0.5 + hf[4] * vc + hf[5],
            hf[6] * 0.5 + hf[7] * vc + 1.0,
        );
        for px in row.chunks_exact_mut(3) {
            let r = 1.0 / dw;
            let (x, y) = (nx * r - 0.5, ny * r - 0.5);
            nx += hf[0];
            ny += hf[3];
            dw += hf[6];
            if !(x >= 0.0 && y >= 0.0 && x < max_x && y < max_y) {
                continue;
            }
            let (x0, y0) = (x as usize, y as usize);
            let fx = ((x - x0 as f32) * 256.0) as u32;
            let fy = ((y - y0 as f32) * 256.0) as u32;
            let i = y0 * stride + x0 * 3;
            let (top, bottom) = (&raw[i..i + 6], &raw[i + stride..i + stride + 6]);
            for c in 0..3 {
                let t = u32::from(top[c]) * (256 - fx) + u32::from(top[c + 3]) * fx;
                let b = u32::from(bottom[c]) * (256 - fx) + u32::from(bottom[c + 3]) * fx;
                px[c] = ((t * (256 - fy) + b * fy + 32768) >> 16) as u8;
            }
        }
    }
    RgbImage::from_raw(CARD_W, CARD_H, out)
}

/// The box `b` (x0, y0, x1, y1 as shares of a quadrilateral `frame`, whose
/// corners are clockwise from the one at share (0, 0)) as four points,
/// clockwise from (x0, y0); `None` when the frame is degenerate.
pub fn box_in_frame(frame: &[(f64, f64); 4], b: [f64; 4]) -> Option<[(f64, f64); 4]> {
    let unit = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
    let h = homography(&unit, frame)?;
    Some([(b[0], b[1]), (b[2], b[1]), (b[2], b[3]), (b[0], b[3])].map(|p| project(&h, p)))
}

/// Where the homography `h` of [`homography`] takes the point `p`.
pub fn project(h: &[f64; 8], p: (f64, f64)) -> (f64, f64) {
    let (u, v) = p;
    let w = h[6] * u + h[7] * v + 1.0;
    ((h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w)
}

/// The homography (h0..h7, h8 = 1) that maps each `from` point onto the
/// matching `to` point; `None` when the points are degenerate.
pub fn homography(from: &[(f64, f64); 4], to: &[(f64, f64); 4]) -> Option<[f64; 8]> {
    // x = (h0 u + h1 v + h2) / (h6 u + h7 v + 1), y likewise with h3..h5.
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((u, v), (x, y)) = (from[i], to[i]);
        a[2 * i] = [u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x];
        a[2 * i + 1] = [0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y];
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                if f != 0.0 {
                    for (v, p) in r.iter_mut().zip(pivot_row.iter()).skip(col) {
                        *v -= f * p;
                    }
                }
            }
        }
    }
    let mut h = [0.0; 8];
    for (i, v) in h.iter_mut().enumerate() {
        *v = a[i][8] / a[i][i];
        if !v.is_finite() {
            return None;
        }
    }
    Some(h)
}

/// Something lying on the card's margin: a piece of the ring just inside
/// the card's edge that is not the card.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginObject {
    /// Its area on the ring, in mm² of the card.
    pub area_mm2: f64,
    /// How far across the ring it reaches: the span of its distances from
    /// the card's edge over the ring's width, 0-1.
    pub depth: f64,
    /// Its box, x0, y0, x1, y1 as shares of the card.
    pub bbox: [f64; 4],
}

/// The pieces of the rectified card's margin ring (`ring_mm` from its edge,
/// corners within `corner_mm` left out for the rounding) that are not the
/// card, largest first. The second-generation card prints nothing but its
/// pale guilloche within about 5 mm of its edges, so what is there and much
/// darker (under half the ring's fitted light: a phone's shadow leaves about
/// two thirds) or of another hue (a finger, a blue pen) lies on the card:
/// a pen across it, a finger holding it, a phone over its edge. A piece
/// that only hugs the outer edge is the localisation's error, not an
/// object: the caller asks for depth.
pub fn margin_objects(card: &RgbImage, ring_mm: [f64; 2], corner_mm: f64) -> Vec<MarginObject> {
    use imageproc::distance_transform::Norm;
    use imageproc::region_labelling::{connected_components, Connectivity};
    let (w, h) = card.dimensions();
    if w < 16 || h < 16 {
        return Vec::new();
    }
    let ppm = f64::from(w) / 85.6;
    let (wf, hf) = (f64::from(w), f64::from(h));
    // Distance from the nearest edge in mm, or None off the ring.
    let ring = |x: u32, y: u32| -> Option<f64> {
        let (xf, yf) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let (dx, dy) = (xf.min(wf - xf) / ppm, yf.min(hf - yf) / ppm);
        if dx < corner_mm && dy < corner_mm {
            return None;
        }
        let d = dx.min(dy);
        (ring_mm[0]..=ring_mm[1]).contains(&d).then_some(d)
    };
    let luma = |p: [u8; 3]| (f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2])) / 3.0;
    let hue = |p: [u8; 3]| {
        let s = f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2]) + 1.0;
        (f64::from(p[0]) / s, f64::from(p[1]) / s)
    };
    // The ring's light: a plane fitted to its luma, refitted without what
    // lies far from the first fit; its hue: the medians.
    let mut coef = [0.0f64, 0.0, 0.0];
    let mut hues: (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    for pass in 0..3 {
        let mut m = [[0.0f64; 4]; 3];
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                if ring(x, y).is_none() {
                    continue;
                }
                let p = card.get_pixel(x, y).0;
                let v = luma(p);
                let (xs, ys) = (f64::from(x) / wf, f64::from(y) / hf);
                if pass > 0 && (v - (coef[0] + coef[1] * xs + coef[2] * ys)).abs() > 25.0 {
                    continue;
                }
                if pass == 2 {
                    let (a, b) = hue(p);
                    hues.0.push(a);
                    hues.1.push(b);
                }
                let r = [1.0, xs, ys];
                for i in 0..3 {
                    for j in 0..3 {
                        m[i][j] += r[i] * r[j];
                    }
                    m[i][3] += r[i] * v;
                }
            }
        }
        match super::solve3(m) {
            Some(c) => coef = c,
            None => return Vec::new(),
        }
    }
    if hues.0.len() < 32 {
        return Vec::new();
    }
    let median = |v: &mut Vec<f64>| {
        let mid = v.len() / 2;
        *v.select_nth_unstable_by(mid, f64::total_cmp).1
    };
    let base = (median(&mut hues.0), median(&mut hues.1));
    let mask = image::GrayImage::from_fn(w, h, |x, y| {
        let foreign = ring(x, y).is_some() && {
            let p = card.get_pixel(x, y).0;
            let light = coef[0] + coef[1] * f64::from(x) / wf + coef[2] * f64::from(y) / hf;
            let (a, b) = hue(p);
            let v = luma(p);
            // Hue means little in the dark, where noise moves it.
            v < DARK_SHARE * light || (v > 40.0 && ((a - base.0).powi(2) + (b - base.1).powi(2)).sqrt() > MARGIN_HUE)
        };
        Luma([if foreign { 255 } else { 0 }])
    });
    // Noise and JPEG speckles are a pixel or two.
    let mask = imageproc::morphology::open(&mask, Norm::LInf, 1);
    let labels = connected_components(&mask, Connectivity::Eight, Luma([0u8]));
    // Per label: pixels, box, least and greatest distance from the edge.
    let mut pieces: std::collections::HashMap<u32, (u32, [u32; 4], f64, f64)> = std::collections::HashMap::new();
    for (x, y, l) in labels.enumerate_pixels() {
        if l.0[0] == 0 {
            continue;
        }
        let d = ring(x, y).unwrap_or(ring_mm[0]);
        let e = pieces.entry(l.0[0]).or_insert((0, [x, y, x, y], d, d));
        e.0 += 1;
        e.1 = [e.1[0].min(x), e.1[1].min(y), e.1[2].max(x), e.1[3].max(y)];
        e.2 = e.2.min(d);
        e.3 = e.3.max(d);
    }
    let mut out: Vec<MarginObject> = pieces
        .into_values()
        .map(|(n, b, lo, hi)| MarginObject {
            area_mm2: f64::from(n) / (ppm * ppm),
            depth: ((hi - lo) / (ring_mm[1] - ring_mm[0]).max(1e-6)).min(1.0),
            bbox: [
                f64::from(b[0]) / wf,
                f64::from(b[1]) / hf,
                f64::from(b[2] + 1) / wf,
                f64::from(b[3] + 1) / hf,
            ],
        })
        .collect();
    out.sort_by(|a, b| b.area_mm2.total_cmp(&a.area_mm2));
    out
}

/// A margin pixel under this share of the ring's fitted light is not card.
const DARK_SHARE: f64 = 0.5;
/// Distance in (r, g) / (r + g + b) from the ring's median hue beyond which
/// a margin pixel is not card (skin is about 0.09 from a white card, a
/// pale guilloche line 0.02).
const MARGIN_HUE: f64 = 0.06;

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A rectified card: pale, with wavy guilloche lines 14 levels darker
    /// and a light ramp across it.
    fn card() -> RgbImage {
        RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
            let (xf, yf) = (x as f32, y as f32);
            let line = if (yf * 0.05 + 6.0 * (xf * 0.02).sin()).sin() > 0.9 {
                14.0
            } else {
                0.0
            };
            let v = 232.0 - line - 20.0 * xf / CARD_W as f32;
            Rgb([v as u8 - 4, v as u8 - 2, v as u8])
        })
    }

    fn found(c: &RgbImage) -> Vec<MarginObject> {
        margin_objects(c, [1.0, 4.0], 4.0)
            .into_iter()
            .filter(|p| p.area_mm2 >= 2.5 && p.depth >= 0.6)
            .collect()
    }

    #[test]
    fn a_pen_across_the_margin_is_found_and_the_cards_own_print_is_not() {
        let clean = card();
        assert!(
            found(&clean).is_empty(),
            "{:?}",
            margin_objects(&clean, [1.0, 4.0], 4.0)
        );
        // A blue pen, 1 mm wide, from outside the top edge into the card.
        let mut pen = clean.clone();
        for (x, y, p) in pen.enumerate_pixels_mut() {
            let d = (f64::from(x) - 200.0) * 0.8 - f64::from(y) * 0.6;
            if d.abs() <= 2.5 && y < 60 {
                *p = Rgb([30, 40, 120]);
            }
        }
        let f = found(&pen);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].bbox[1] < 0.03 && f[0].depth > 0.9, "{f:?}");
    }

    #[test]
    fn a_shadow_or_the_outlines_error_is_not_an_object() {
        // A phone's shadow (two thirds of the light) over the left half.
        let mut shadow = card();
        for (x, _, p) in shadow.enumerate_pixels_mut() {
            if x < CARD_W / 2 {
                p.0 = p.0.map(|c| (f32::from(c) * 0.65) as u8);
            }
        }
        assert!(
            found(&shadow).is_empty(),
            "{:?}",
            margin_objects(&shadow, [1.0, 4.0], 4.0)
        );
        // The outline 1.5 mm too large on the left: dark wood along the
        // edge, never across the ring.
        let mut off = card();
        for (x, _, p) in off.enumerate_pixels_mut() {
            if x < 8 {
                *p = Rgb([90, 60, 40]);
            }
        }
        assert!(found(&off).is_empty(), "{:?}", margin_objects(&off, [1.0, 4.0], 4.0));
    }
}

//! Typed or handwritten: how alike the written characters of a form are.
//!
//! A word processor sets every character of a font at one size: the same
//! character comes out the same size and shape wherever it is typed. A hand
//! never writes a character twice alike, and a handwriting font used with
//! care still varies its size and baseline. So the fill-ins of the fields
//! are cut into characters (column runs of ink), characters of one shape
//! in one field are paired (their ink, resampled to a small grid,
//! correlates), and the share of those pairs that are also of one size
//! (the spread of their ink within 3 %) says "typed".
//!
//! Measured on the flattened page of `ink::flatten`, inside the fields
//! `ink::measure_ink` found. Blue ink is a pen's: the share of blue among
//! the fill-in ink is reported beside it.

use super::ink::{Box4, FlatPage};
use super::luma;
use image::{GrayImage, RgbImage};
use imageproc::geometric_transformations::{warp_into_with, Border, Interpolation, Projection};

/// Grid a character's ink is resampled to for the shape comparison.
const GRID_W: usize = 9;
const GRID_H: usize = 12;
/// Two characters of one shape are of one size when the spread of their
/// ink differs by at most this share, across and down.
const SAME_SIZE: f32 = 0.03;

/// What was measured of the fill-ins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FillStats {
    /// Characters cut from the fields (dots and dashes left out).
    pub characters: u32,
    /// Pairs of characters of one shape.
    pub similar_pairs: u32,
    /// Of those, the pairs also of one size (height and width within a
    /// pixel or 4 % / 6 %).
    pub same_size_pairs: u32,
    /// Share of the fill-in ink that is blue (a pen's).
    pub blue_share: f64,
}

impl FillStats {
    /// Share of the similar pairs that are of one size too (0 when none).
    pub fn same_size_share(&self) -> f64 {
        if self.similar_pairs == 0 {
            0.0
        } else {
            f64::from(self.same_size_pairs) / f64::from(self.similar_pairs)
        }
    }
}

/// One character cut from a field.
struct Glyph {
    width: u32,
    height: u32,
    /// The ink's standard deviation across and down, in pixels: a size
    /// finer than the box's whole pixels.
    spread: (f32, f32),
    /// Ink darkness on the grid, mean 0 and norm 1 (for correlation).
    shape: [f32; GRID_W * GRID_H],
}

/// Measures the fill-ins of `fields` (boxes on the flattened page of
/// `flat_size`, which `corners` of `img` were flattened to) sampled again
/// from `img` at `scale` times the flattened page's resolution: a small
/// character's size, which tells a hand from a typewriter, needs the
/// photo's own resolution, not the analysis copy's.
#[allow(clippy::too_many_arguments)]
pub fn measure_fills_in(
    img: &RgbImage,
    corners: &[(f64, f64); 4],
    flat_size: (u32, u32),
    fields: &[Box4],
    scale: f64,
    ink_ratio: f64,
    blue_excess: u8,
    similarity: f64,
) -> FillStats {
    let (fw, fh) = (flat_size.0 as f32, flat_size.1 as f32);
    let to = corners.map(|(x, y)| (x as f32, y as f32));
    let from = [(0.0, 0.0), (fw, 0.0), (fw, fh), (0.0, fh)];
    let Some(back) = Projection::from_control_points(from, to) else {
        return FillStats::default();
    };
    let s = scale.clamp(1.0, 3.0) as f32;
    let fields: Vec<FlatPage> = fields
        .iter()
        .filter_map(|f| {
            let (w, h) = (
                (f[2].saturating_sub(f[0]) as f32 * s).round() as u32,
                (f[3].saturating_sub(f[1]) as f32 * s).round() as u32,
            );
            if w < 8 || h < 8 {
                return None;
            }
            // Each output pixel's centre on the flattened page, then in the
            // photo (imageproc puts pixel centres on whole coordinates).
            let (ox, oy) = (f[0] as f32, f[1] as f32);
            let mut rgb = RgbImage::new(w, h);
            warp_into_with(
                img,
                |x, y| {
                    let (px, py) = back * (ox + (x + 0.5) / s, oy + (y + 0.5) / s);
                    (px - 0.5, py - 0.5)
                },
                Interpolation::Bilinear,
                Border::Replicate,
                &mut rgb,
            );
            let blue = GrayImage::from_fn(w, h, |x, y| {
                let [r, g, b] = rgb.get_pixel(x, y).0;
                image::Luma([if b > r.max(g).saturating_add(blue_excess) {
                    255
                } else {
                    0
                }])
            });
            Some(FlatPage { luma: luma(&rgb), blue })
        })
        .collect();
    measure_fills(&fields, ink_ratio, similarity)
}

/// Measures the fill-ins of `fields`, each a field's own image: `ink_ratio`
/// is the ink threshold (a share of the field's paper level), `similarity`
/// the least correlation of two characters' shapes that makes them one
/// character. Characters are paired within a field only: the print in a
/// label cell is one size too, and its characters seldom repeat inside one
/// cell, while an entry's (an ID number, a phone number, a date) do.
pub fn measure_fills(fields: &[FlatPage], ink_ratio: f64, similarity: f64) -> FillStats {
    let mut total = FillStats::default();
    let (mut ink, mut blue) = (0u64, 0u64);
    for p in fields {
        let mut glyphs = Vec::new();
        cut(p, ink_ratio, &mut glyphs, &mut ink, &mut blue);
        let s = pairs(&glyphs, similarity);
        total.characters += s.characters;
        total.similar_pairs += s.similar_pairs;
        total.same_size_pairs += s.same_size_pairs;
    }
    total.blue_share = if ink == 0 { 0.0 } else { blue as f64 / ink as f64 };
    total
}

/// Pairs the characters of one shape and counts those of one size.
fn pairs(glyphs: &[Glyph], similarity: f64) -> FillStats {
    let mut stats = FillStats {
        characters: glyphs.len() as u32,
        ..FillStats::default()
    };
    for (i, a) in glyphs.iter().enumerate() {
        for b in &glyphs[i + 1..] {
            let (ra, rb) = (
                f64::from(a.width) / f64::from(a.height),
                f64::from(b.width) / f64::from(b.height),
            );
            if (ra - rb).abs() > 0.15 * ra.max(rb) {
                continue;
            }
            let corr: f32 = a.shape.iter().zip(&b.shape).map(|(x, y)| x * y).sum();
            if f64::from(corr) < similarity {
                continue;
            }
            stats.similar_pairs += 1;

            let close = |p: f32, q: f32, share: f32| (p - q).abs() <= share * p.max(q);
            if close(a.spread.1, b.spread.1, SAME_SIZE) && close(a.spread.0, b.spread.0, SAME_SIZE) {
                stats.same_size_pairs += 1;
            }
        }
    }
    stats
}

/// Cuts the characters of one field: ink darker than `ink_ratio` of the
/// field's paper level (its 90th percentile), split at empty columns.
fn cut(page: &FlatPage, ink_ratio: f64, out: &mut Vec<Glyph>, ink: &mut u64, blue: &mut u64) {
    let (w, h) = page.luma.dimensions();
    // Two pixels in from the cell's borders.
    let (x0, y0, x1, y1) = (2, 2, w.saturating_sub(2), h.saturating_sub(2));
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return;
    }
    let mut hist = [0u32; 256];
    for y in y0..y1 {
        for x in x0..x1 {
            hist[usize::from(page.luma.get_pixel(x, y).0[0])] += 1;
        }
    }
    let paper = f64::from(super::percentile(&hist, 0.9));
    let limit = (paper * ink_ratio) as u8;
    let is_ink = |x: u32, y: u32| page.luma.get_pixel(x, y).0[0] < limit;
    let columns: Vec<bool> = (x0..x1).map(|x| (y0..y1).any(|y| is_ink(x, y))).collect();
    let mut runs = Vec::new();
    let mut start = None;
    for (i, &c) in columns.iter().chain(std::iter::once(&false)).enumerate() {
        match (c, start) {
            (true, None) => start = Some(i as u32),
            (false, Some(s)) => {
                runs.push((x0 + s, x0 + i as u32));
                start = None;
            }
            _ => {}
        }
    }
    let mut cut_here = Vec::new();
    for (a, b) in runs {
        let rows: Vec<u32> = (y0..y1).filter(|&y| (a..b).any(|x| is_ink(x, y))).collect();
        let (Some(&top), Some(&bottom)) = (rows.first(), rows.last()) else {
            continue;
        };
        for y in top..=bottom {
            for x in a..b {
                if is_ink(x, y) {
                    *ink += 1;
                    *blue += u64::from(page.blue.get_pixel(x, y).0[0] > 0);
                }
            }
        }
        cut_here.push((a, top, b, bottom + 1));
    }
    // Dots, dashes and specks are not characters: under 40 % of the
    // field's tallest.
    let tallest = cut_here.iter().map(|c| c.3 - c.1).max().unwrap_or(0);
    for (a, top, b, bottom) in cut_here {
        let (gw, gh) = (b - a, bottom - top);
        if gh < 6 || gw < 2 || f64::from(gh) < 0.4 * f64::from(tallest) {
            continue;
        }
        if let Some(shape) = shape(page, (a, top, b, bottom), paper) {
            out.push(Glyph {
                width: gw,
                height: gh,
                spread: spread(page, (a, top, b, bottom), paper),
                shape,
            });
        }
    }
}

/// The standard deviation of the character's darkness across and down.
fn spread(page: &FlatPage, (x0, y0, x1, y1): (u32, u32, u32, u32), paper: f64) -> (f32, f32) {
    let (mut m, mut sx, mut sy, mut sxx, mut syy) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for y in y0..y1 {
        for x in x0..x1 {
            let dark = (paper - f64::from(page.luma.get_pixel(x, y).0[0])).max(0.0);
            let (fx, fy) = (f64::from(x), f64::from(y));
            m += dark;
            sx += dark * fx;
            sy += dark * fy;
            sxx += dark * fx * fx;
            syy += dark * fy * fy;
        }
    }
    if m <= 0.0 {
        return (0.0, 0.0);
    }
    let (mx, my) = (sx / m, sy / m);
    (
        (sxx / m - mx * mx).max(0.0).sqrt() as f32,
        (syy / m - my * my).max(0.0).sqrt() as f32,
    )
}

/// The character's darkness (paper minus luma) averaged onto the grid,
/// centred and scaled to norm 1; `None` when it is flat.
fn shape(page: &FlatPage, (x0, y0, x1, y1): (u32, u32, u32, u32), paper: f64) -> Option<[f32; GRID_W * GRID_H]> {
    // Each pixel's darkness splatted bilinearly onto the grid, then the
    // grid smoothed: a 1-2 px stroke at 10-20 px height must not depend on
    // where the grid's cells fall.
    let mut g = [0f32; GRID_W * GRID_H];
    let (gw, gh) = ((x1 - x0) as f32, (y1 - y0) as f32);
    for y in y0..y1 {
        let fy = (((y - y0) as f32 + 0.5) / gh * GRID_H as f32 - 0.5).clamp(0.0, (GRID_H - 1) as f32);
        let (iy, ty) = (fy.floor() as usize, fy.fract());
        for x in x0..x1 {
            let dark = (paper as f32 - f32::from(page.luma.get_pixel(x, y).0[0])).max(0.0);
            if dark == 0.0 {
                continue;
            }
            let fx = (((x - x0) as f32 + 0.5) / gw * GRID_W as f32 - 0.5).clamp(0.0, (GRID_W - 1) as f32);
            let (ix, tx) = (fx.floor() as usize, fx.fract());
            let (jx, jy) = ((ix + 1).min(GRID_W - 1), (iy + 1).min(GRID_H - 1));
            g[iy * GRID_W + ix] += dark * (1.0 - tx) * (1.0 - ty);
            g[iy * GRID_W + jx] += dark * tx * (1.0 - ty);
            g[jy * GRID_W + ix] += dark * (1.0 - tx) * ty;
            g[jy * GRID_W + jx] += dark * tx * ty;
        }
    }
    let mut smooth = [0f32; GRID_W * GRID_H];
    for cy in 0..GRID_H {
        for cx in 0..GRID_W {
            let mut acc = 0.0;
            for (dy, wy) in [(-1i32, 1.0f32), (0, 2.0), (1, 1.0)] {
                for (dx, wx) in [(-1i32, 1.0f32), (0, 2.0), (1, 1.0)] {
                    let (nx, ny) = (cx as i32 + dx, cy as i32 + dy);
                    if (0..GRID_W as i32).contains(&nx) && (0..GRID_H as i32).contains(&ny) {
                        acc += wx * wy * g[ny as usize * GRID_W + nx as usize];
                    }
                }
            }
            smooth[cy * GRID_W + cx] = acc;
        }
    }
    let mut g = smooth;
    let mean = g.iter().sum::<f32>() / g.len() as f32;
    g.iter_mut().for_each(|v| *v -= mean);
    let norm = g.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm < 1e-3 {
        return None;
    }
    g.iter_mut().for_each(|v| *v /= norm);
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// A field holding `n` copies of a small "8"-like ring,
    /// each `scale(i)` times the size.
    fn page(n: u32, scale: impl Fn(u32) -> f64) -> FlatPage {
        let mut luma = GrayImage::from_pixel(400, 60, Luma([235]));
        let mut x = 10.0;
        for i in 0..n {
            let s = scale(i);
            let (rw, rh) = (5.0 * s, 8.0 * s);
            let (cx, cy) = (x + rw, 48.0 - rh);
            for (px, py, p) in luma.enumerate_pixels_mut() {
                let d = ((f64::from(px) - cx) / rw).powi(2) + ((f64::from(py) - cy) / rh).powi(2);
                if (0.55..1.0).contains(&d) {
                    *p = Luma([30]);
                }
            }
            x += 2.0 * rw + 6.0;
        }
        let blue = GrayImage::new(400, 60);
        FlatPage { luma, blue }
    }

    #[test]
    fn copies_of_one_size_are_typed_and_of_many_sizes_are_not() {
        let typed = measure_fills(&[page(8, |_| 1.0)], 0.7, 0.85);
        assert_eq!(typed.characters, 8);
        assert_eq!(typed.similar_pairs, 28);
        assert!(typed.same_size_share() > 0.95, "{typed:?}");
        let hand = measure_fills(&[page(8, |i| 0.85 + 0.045 * f64::from(i))], 0.7, 0.85);
        assert!(hand.similar_pairs >= 20, "one shape at many sizes: {hand:?}");
        assert!(hand.same_size_share() < 0.4, "{hand:?}");
    }
}

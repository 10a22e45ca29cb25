//! What is written on a photographed form, measured without knowing the
//! form: the page is warped flat ([`flatten`]), the paper level estimated
//! block by block, and the ink found darker than it ([`measure_ink`]).
//!
//! * **Fields.** The print's ruled lines give its fields: a table row is the
//!   band between two horizontal lines closed by vertical borders, split into
//!   cells by the columns that ink covers top to bottom; a horizontal line
//!   outside any table is a fill-in line, its field the strip above it. A
//!   label cell holds print and a value cell is empty until written in, so a
//!   blank form leaves a large share of its fields empty and a filled one
//!   few.
//! * **Blue ink.** Printers print black; ink with a blue hue is a pen's.
//! * **Scribbles.** Print and pen strokes are a few pixels wide at this size;
//!   a scribbled-out word is a solid blob: ink pixels whose whole square
//!   neighbourhood is ink.
//! * **Correction tape / fluid.** A patch brighter than the paper around it,
//!   rectangular and of a tape's size.

use crate::rules::FormRules;
use image::{GrayImage, RgbImage};
use imageproc::geometric_transformations::Projection;
use imageproc::region_labelling::{connected_components, Connectivity};

/// The page, flattened: luma and the pixels of blue pen ink.
#[derive(Debug, Clone)]
pub struct FlatPage {
    pub luma: GrayImage,
    /// 255 where the colour is blue ink's (before the darkness test).
    pub blue: GrayImage,
}

/// A box on the flattened page: x0, y0, x1, y1 (exclusive ends).
pub type Box4 = [u32; 4];

/// What [`measure_ink`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InkMeasure {
    /// Table cells and fill-in lines found.
    pub fields: u32,
    /// Those with no ink in them.
    pub empty_fields: u32,
    /// Share of the page's pixels that are blue ink.
    pub blue_ink: f64,
    /// Scribbled-out blobs.
    pub scribbles: Vec<Box4>,
    /// Patches brighter than the paper.
    pub tape_patches: Vec<Box4>,
}

/// Warps the quadrilateral `corners` (clockwise from the top-left, in
/// `img`'s pixels) to `width` pixels wide at A4 proportions (portrait, or
/// landscape when the quadrilateral is wider than tall), sampling
/// bilinearly.
pub fn flatten(img: &RgbImage, corners: &[(f64, f64); 4], width: u32, blue_excess: u8) -> Option<FlatPage> {
    let side = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let across = side(corners[0], corners[1]) + side(corners[3], corners[2]);
    let down = side(corners[0], corners[3]) + side(corners[1], corners[2]);
    let long = (f64::from(width) * std::f64::consts::SQRT_2).round() as u32;
    let (w, h) = if across > down { (long, width) } else { (width, long) };
    let to = corners.map(|(x, y)| (x as f32, y as f32));
    let from = [(0.0, 0.0), (w as f32, 0.0), (w as f32, h as f32), (0.0, h as f32)];
    let back = Projection::from_control_points(from, to)?;
    let (iw, ih) = img.dimensions();
    if iw < 2 || ih < 2 {
        return None;
    }
    let raw = img.as_raw();
    let mut luma = GrayImage::new(w, h);
    let mut blue = GrayImage::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = back * (x as f32 + 0.5, y as f32 + 0.5);
            let (sx, sy) = (
                (sx - 0.5).clamp(0.0, (iw - 2) as f32),
                (sy - 0.5).clamp(0.0, (ih - 2) as f32),
            );
            let (x0, y0) = (sx as usize, sy as usize);
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let i = (y0 * iw as usize + x0) * 3;
            let j = i + iw as usize * 3;
            let mut c = [0f32; 3];
            for (k, v) in c.iter_mut().enumerate() {
                let top = f32::from(raw[i + k]) * (1.0 - fx) + f32::from(raw[i + 3 + k]) * fx;
                let bottom = f32::from(raw[j + k]) * (1.0 - fx) + f32::from(raw[j + 3 + k]) * fx;
                *v = top * (1.0 - fy) + bottom * fy;
            }
            let l = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
            luma.put_pixel(x, y, image::Luma([l.round().clamp(0.0, 255.0) as u8]));
            let is_blue = c[2] - c[0].max(c[1]) > f32::from(blue_excess);
            blue.put_pixel(x, y, image::Luma([if is_blue { 255 } else { 0 }]));
        }
    }
    Some(FlatPage { luma, blue })
}

/// Side of the blocks the paper level is estimated on.
const BLOCK: u32 = 32;

/// The paper level per `BLOCK` square: the 80th percentile of its luma,
/// then the median of the 5 × 5 blocks around it, so that neither dense
/// writing nor a strip of correction tape sets the level of its block.
fn paper_level(luma: &GrayImage) -> (Vec<u8>, u32, u32) {
    let (w, h) = luma.dimensions();
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    let mut raw = vec![0u8; (bw * bh) as usize];
    for by in 0..bh {
        for bx in 0..bw {
            let mut hist = [0u32; 256];
            for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(w) {
                    hist[usize::from(luma.get_pixel(x, y).0[0])] += 1;
                }
            }
            raw[(by * bw + bx) as usize] = super::percentile(&hist, 0.8);
        }
    }
    let mut level = raw.clone();
    let mut near = Vec::with_capacity(25);
    for by in 0..bh as i64 {
        for bx in 0..bw as i64 {
            near.clear();
            for dy in -2..=2 {
                for dx in -2..=2 {
                    let (x, y) = (bx + dx, by + dy);
                    if x >= 0 && y >= 0 && x < i64::from(bw) && y < i64::from(bh) {
                        near.push(raw[(y * i64::from(bw) + x) as usize]);
                    }
                }
            }
            let mid = near.len() / 2;
            level[(by * i64::from(bw) + bx) as usize] = *near.select_nth_unstable(mid).1;
        }
    }
    (level, bw, bh)
}

/// A horizontal ruled line: rows `y0..=y1`, columns `x0..x1`.
#[derive(Debug, Clone, Copy)]
struct Line {
    y0: u32,
    y1: u32,
    x0: u32,
    x1: u32,
}

/// Horizontal runs of ink at least `min_len` long (a pixel counts as ink
/// when it or a vertical neighbour is, which bridges a line's slight tilt),
/// merged row to row into lines.
fn horizontal_lines(ink: &[bool], w: u32, h: u32, min_len: u32) -> Vec<Line> {
    let at = |x: u32, y: u32| ink[(y * w + x) as usize];
    let mut lines: Vec<Line> = Vec::new();
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let on = |x: u32| at(x, y) || (y > 0 && at(x, y - 1)) || (y + 1 < h && at(x, y + 1));
            if !on(x) {
                x += 1;
                continue;
            }
            let start = x;
            while x < w && on(x) {
                x += 1;
            }
            if x - start < min_len {
                continue;
            }
            // Continue a line of the rows above that overlaps this run by
            // half of the shorter, or start one.
            let overlap = |l: &Line| l.x1.min(x).saturating_sub(l.x0.max(start)) * 2 >= (l.x1 - l.x0).min(x - start);
            match lines.iter_mut().rev().find(|l| l.y1 + 1 >= y && overlap(l)) {
                Some(l) => {
                    l.y1 = y;
                    l.x0 = l.x0.min(start);
                    l.x1 = l.x1.max(x);
                }
                None => lines.push(Line {
                    y0: y,
                    y1: y,
                    x0: start,
                    x1: x,
                }),
            }
        }
    }
    lines
}

/// Columns in `x0..x1` where ink (or a horizontal neighbour's, for a
/// slightly tilted line) covers at least `cover` of the rows `y0..y1`,
/// merged into runs.
fn separators(ink: &[bool], w: u32, (x0, y0, x1, y1): (u32, u32, u32, u32), cover: f64) -> Vec<(u32, u32)> {
    let need = (cover * f64::from(y1 - y0)).ceil() as u32;
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for x in x0..x1 {
        let lo = x.saturating_sub(1);
        let hi = (x + 1).min(w - 1);
        let n = (y0..y1)
            .filter(|&y| (lo..=hi).any(|xx| ink[(y * w + xx) as usize]))
            .count() as u32;
        if n >= need {
            match runs.last_mut() {
                Some(r) if r.1 == x => r.1 = x + 1,
                _ => runs.push((x, x + 1)),
            }
        }
    }
    runs
}

/// Ink pixels in a box.
fn ink_in(ink: &[bool], w: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> u32 {
    (y0..y1)
        .map(|y| (x0..x1).filter(|&x| ink[(y * w + x) as usize]).count() as u32)
        .sum()
}

/// Table cells and fill-in fields: (boxes of cells, boxes of fill-in fields).
type Fields = Vec<(u32, u32, u32, u32)>;

fn find_fields(ink: &[bool], w: u32, h: u32, p: &FormRules) -> Fields {
    let min_len = (p.min_line * f64::from(w)).round() as u32;
    let mut lines = horizontal_lines(ink, w, h, min_len.max(8));
    lines.sort_by_key(|l| l.y0);
    let mut bounding = vec![false; lines.len()];
    let mut fields = Vec::new();
    let inset = 3;
    for (i, upper) in lines.iter().enumerate() {
        // The part of the upper line not yet closed by a line below.
        let mut open = vec![(upper.x0, upper.x1)];
        for (j, lower) in lines.iter().enumerate().skip(i + 1) {
            if open.is_empty() {
                break;
            }
            if lower.y0 <= upper.y1 + 2 {
                continue;
            }
            let mut still = Vec::new();
            for &(a, b) in &open {
                let (c, d) = (a.max(lower.x0), b.min(lower.x1));
                if d <= c + 2 * inset {
                    still.push((a, b));
                    continue;
                }
                if c > a {
                    still.push((a, c));
                }
                if d < b {
                    still.push((d, b));
                }
                // A table row: closed at both ends by vertical borders.
                let band = (c, upper.y1 + 1, d, lower.y0);
                if band.3 - band.1 < 8 || f64::from(band.3 - band.1) > 0.25 * f64::from(h) {
                    continue;
                }
                let seps = separators(ink, w, band, p.separator_cover);
                let closed_left = seps.first().is_some_and(|s| s.0 <= c + inset);
                let closed_right = seps.last().is_some_and(|s| s.1 + inset >= d);
                if !(closed_left && closed_right) {
                    continue;
                }
                bounding[i] = true;
                bounding[j] = true;
                for pair in seps.windows(2) {
                    let (cx0, cx1) = (pair[0].1 + inset, pair[1].0.saturating_sub(inset));
                    let (cy0, cy1) = (band.1 + inset, band.3.saturating_sub(inset));
                    if cx1 > cx0 + 8 && cy1 > cy0 + 4 {
                        fields.push((cx0, cy0, cx1, cy1));
                    }
                }
            }
            open = still;
        }
    }
    // Fill-in lines: the strip above each line that bounds no table row.
    let strip = (p.fill_line_field * f64::from(h)).round() as u32;
    for (l, _) in lines.iter().zip(&bounding).filter(|(_, b)| !**b) {
        let y0 = l.y0.saturating_sub(strip);
        if l.y0 > y0 + 4 && l.x1 > l.x0 + 2 * inset {
            fields.push((l.x0 + inset, y0, l.x1 - inset, l.y0));
        }
    }
    fields
}

/// Boxes of the 8-connected regions of `mask` (one byte a pixel, 0 off)
/// with at least `min_area` pixels, with their pixel counts.
fn blobs(mask: GrayImage, min_area: u32) -> Vec<(Box4, u32)> {
    let labels = connected_components(&mask, Connectivity::Eight, image::Luma([0u8]));
    let mut found: Vec<(Box4, u32)> = Vec::new();
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l.0[0] as usize;
        if l == 0 {
            continue;
        }
        if found.len() < l {
            found.resize(l, ([u32::MAX, u32::MAX, 0, 0], 0));
        }
        let (b, n) = &mut found[l - 1];
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x + 1);
        b[3] = b[3].max(y + 1);
        *n += 1;
    }
    found.retain(|(_, n)| *n >= min_area);
    found
}

/// Measures the writing on a flattened page.
pub fn measure_ink(page: &FlatPage, p: &FormRules) -> InkMeasure {
    let (w, h) = page.luma.dimensions();
    if w < 64 || h < 64 {
        return InkMeasure::default();
    }
    let (level, bw, _) = paper_level(&page.luma);
    let level_at = |x: u32, y: u32| f64::from(level[((y / BLOCK) * bw + x / BLOCK) as usize]);
    // The outline found can be a pixel or two outside the paper, and the
    // desk there is dark: the margin (1.5 % of the width, 3 mm; forms
    // leave more) holds no ink.
    let margin = w * 3 / 200;
    let ink: Vec<bool> = page
        .luma
        .enumerate_pixels()
        .map(|(x, y, l)| {
            x >= margin
                && y >= margin
                && x + margin < w
                && y + margin < h
                && f64::from(l.0[0]) < p.ink_ratio * level_at(x, y)
        })
        .collect();
    let blue = ink
        .iter()
        .zip(page.blue.as_raw())
        .filter(|(i, b)| **i && **b > 0)
        .count();

    let fields = find_fields(&ink, w, h, p);
    let empty = fields.iter().filter(|f| ink_in(&ink, w, **f) < p.min_field_ink).count() as u32;

    // Solid ink: the (2r + 1)² square around the pixel all ink, counted on
    // an integral image.
    let r = p.scribble_radius;
    let stride = (w + 1) as usize;
    let mut sum = vec![0u32; stride * (h + 1) as usize];
    for y in 0..h as usize {
        let mut row = 0;
        for x in 0..w as usize {
            row += u32::from(ink[y * w as usize + x]);
            sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + row;
        }
    }
    let full = (2 * r + 1) * (2 * r + 1);
    let solid = GrayImage::from_fn(w, h, |x, y| {
        if x < r || y < r || x + r >= w || y + r >= h {
            return image::Luma([0]);
        }
        let (x0, y0, x1, y1) = (
            (x - r) as usize,
            (y - r) as usize,
            (x + r + 1) as usize,
            (y + r + 1) as usize,
        );
        let n = sum[y1 * stride + x1] + sum[y0 * stride + x0] - sum[y0 * stride + x1] - sum[y1 * stride + x0];
        image::Luma([if n == full { 255 } else { 0 }])
    });
    let scribbles = blobs(solid, p.min_scribble_area)
        .into_iter()
        .map(|([x0, y0, x1, y1], _)| [x0 - r, y0 - r, x1 + r, y1 + r])
        .collect();

    // Brighter than the paper, on a 3 × 3 mean against sensor noise.
    let smooth = imageproc::filter::box_filter(&page.luma, 1, 1);
    let bright = GrayImage::from_fn(w, h, |x, y| {
        let v = f64::from(smooth.get_pixel(x, y).0[0]);
        image::Luma([if v > (1.0 + p.tape_brightness) * level_at(x, y) {
            255
        } else {
            0
        }])
    });
    // Writing over the tape cuts the patch into pieces: close over strokes.
    let bright = imageproc::morphology::close(&bright, imageproc::distance_transform::Norm::LInf, 2);
    let max_area = (w * h) / 20;
    let tape_patches = blobs(bright, p.min_tape_area)
        .into_iter()
        .filter(|(b, n)| {
            let area = (b[2] - b[0]) * (b[3] - b[1]);
            *n <= max_area && f64::from(*n) >= p.min_tape_fill * f64::from(area) && (b[2] - b[0]).min(b[3] - b[1]) >= 6
        })
        .map(|(b, _)| b)
        .collect();

    InkMeasure {
        fields: fields.len() as u32,
        empty_fields: empty,
        blue_ink: blue as f64 / f64::from(w * h),
        scribbles,
        tape_patches,
    }
}

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
//!   few. Empty rows of a list (rows sharing a line and their cell borders
//!   with another, as a work history's) are left out: they are optional.
//! * **Blue ink.** Printers print black; ink with a blue hue is a pen's.
//! * **Scribbles.** Print and pen strokes are a few pixels wide at this size;
//!   a scribbled-out word is a solid blob: ink pixels whose whole square
//!   neighbourhood is ink.
//! * **Strike-throughs.** A word struck out is a straight stroke longer than
//!   two characters with writing just above and just below it along much of
//!   its length; no stroke of a character is that long, and a ruled line has
//!   the padding of its cells on both sides.
//! * **Correction tape / fluid.** A patch brighter than the paper around it,
//!   rectangular, of a tape's size, with sharp edges.

use image::{GrayImage, RgbImage};
use imageproc::geometric_transformations::Projection;

/// The page, flattened: luma and the pixels of blue pen ink.
#[derive(Debug, Clone)]
pub struct FlatPage {
    pub luma: GrayImage,
    /// 255 where the colour is blue ink's (before the darkness test).
    pub blue: GrayImage,
}

/// What counts as ink, a field, a scribble, tape and a strike, in pixels of
/// the flattened page unless a share (`checks::document` fills it from
/// `[document.form]`, where each value's measurement is written).
#[derive(Debug, Clone, PartialEq)]
pub struct InkParams {
    /// Ink: luma below this share of the paper level.
    pub ink_ratio: f64,
    /// A ruled line: a horizontal run of ink at least this share of the width.
    pub min_line: f64,
    /// A column separates two cells when ink covers this share of the row.
    pub separator_cover: f64,
    /// A field holding at least this many ink pixels is written in.
    pub min_field_ink: u32,
    /// The field above a fill-in line: this share of the page height.
    pub fill_line_field: f64,
    /// A scribble: ink pixels whose (2r + 1)² square is all ink, in a blob
    /// of at least `min_scribble_area` of them.
    pub scribble_radius: u32,
    pub min_scribble_area: u32,
    /// Tape: brighter than the paper by this share, over this area, filling
    /// this share of its box, with edges this sharp.
    pub tape_brightness: f64,
    pub min_tape_area: u32,
    pub min_tape_fill: f64,
    pub max_tape_edge: u32,
    /// A strike: a run this share of the width long, with writing just
    /// above and below it over `strike_crossed` of its length …
    pub min_strike: f64,
    pub max_strike: f64,
    pub strike_crossed: f64,
    /// … that writing from `strike_gap` to `strike_reach` pixels away …
    pub strike_gap: u32,
    pub strike_reach: u32,
    /// … followed along slopes up to `strike_max_slope` degrees, in steps
    /// of `strike_slope_step`.
    pub strike_max_slope: f64,
    pub strike_slope_step: f64,
}

/// A box on the flattened page: x0, y0, x1, y1 (exclusive ends).
pub type Box4 = [u32; 4];

/// What [`measure_ink`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InkMeasure {
    /// Table cells and fill-in lines found, less the cells of empty list
    /// rows.
    pub fields: u32,
    /// Those with no ink in them.
    pub empty_fields: u32,
    /// Empty rows of a list (rows sharing a line and the same cell borders
    /// with another), left out of the count.
    pub skipped_rows: u32,
    /// Share of the page's pixels that are blue ink.
    pub blue_ink: f64,
    /// Scribbled-out blobs.
    pub scribbles: Vec<Box4>,
    /// Patches brighter than the paper.
    pub tape_patches: Vec<Box4>,
    /// Straight pen lines struck through writing.
    pub strikes: Vec<Box4>,
    /// Where the writing goes: the inside of each table cell and the strip
    /// above each fill-in line.
    pub field_boxes: Vec<Box4>,
    /// The extent of the ink in each field written in (grown by
    /// [`WRITTEN_MARGIN`], within the field): all a reading of the
    /// fill-ins needs to look at.
    pub written: Vec<Box4>,
}

/// Paper kept around the ink of a written field, in flattened pixels.
const WRITTEN_MARGIN: u32 = 8;

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
    if iw < 4 || ih < 4 {
        return None;
    }
    // Luma and blue excess once for the source pixels under the page (its
    // bounding box), then sampled: one channel costs a third of three.
    let xs = corners.map(|c| c.0);
    let ys = corners.map(|c| c.1);
    let lo = |v: [f64; 4], n: u32| (v.iter().copied().fold(f64::MAX, f64::min).floor().max(0.0) as u32).min(n - 2);
    let hi = |v: [f64; 4], n: u32| (v.iter().copied().fold(f64::MIN, f64::max).ceil().max(0.0) as u32 + 2).min(n);
    let (bx0, by0, bx1, by1) = (lo(xs, iw), lo(ys, ih), hi(xs, iw), hi(ys, ih));
    let (bw, bh) = ((bx1 - bx0) as usize, (by1 - by0) as usize);
    if bw < 2 || bh < 2 {
        return None;
    }
    let raw = img.as_raw();
    let mut src_luma = Vec::with_capacity(bw * bh);
    let mut src_blue = Vec::with_capacity(bw * bh);
    for y in by0..by1 {
        let start = (y as usize * iw as usize + bx0 as usize) * 3;
        for p in raw[start..start + bw * 3].chunks_exact(3) {
            let (r, g, b) = (u32::from(p[0]), u32::from(p[1]), u32::from(p[2]));
            src_luma.push(((299 * r + 587 * g + 114 * b + 500) / 1000) as u8);
            src_blue.push(b.saturating_sub(r.max(g)).min(255) as u8);
        }
    }
    let (ox, oy) = (bx0 as f32 + 0.5, by0 as f32 + 0.5);
    // Source positions in 16.16 fixed point, clamped so that the 2 × 2
    // neighbourhood stays inside the box.
    let (max_x, max_y) = (((bw - 2) << 16) as i64, ((bh - 2) << 16) as i64);
    let fixed = |v: f32| (f64::from(v) * 65536.0) as i64;
    let mut luma = vec![0u8; (w * h) as usize];
    let mut blue = vec![0u8; (w * h) as usize];
    // The source position is exact every STEP pixels along a row and
    // linear between: a perspective barely bends over 16 pixels.
    const STEP: u32 = 16;
    for y in 0..h {
        let row = (y * w) as usize;
        let mut x = 0;
        while x < w {
            let end = (x + STEP).min(w);
            let (ax, ay) = back * (x as f32 + 0.5, y as f32 + 0.5);
            let (cx, cy) = back * (end as f32 + 0.5, y as f32 + 0.5);
            let n = i64::from(end - x);
            let (mut sx, mut sy) = (fixed(ax - ox), fixed(ay - oy));
            let (dx, dy) = ((fixed(cx - ox) - sx) / n, (fixed(cy - oy) - sy) / n);
            for i in row + x as usize..row + end as usize {
                let (px, py) = (sx.clamp(0, max_x), sy.clamp(0, max_y));
                let (x0, y0) = ((px >> 16) as usize, (py >> 16) as usize);
                let (fx, fy) = (((px >> 8) & 255) as u32, ((py >> 8) & 255) as u32);
                let k = y0 * bw + x0;
                let p = |k: usize| u32::from(src_luma[k]);
                let top = p(k) * (256 - fx) + p(k + 1) * fx;
                let bottom = p(k + bw) * (256 - fx) + p(k + bw + 1) * fx;
                luma[i] = ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8;
                blue[i] = if src_blue[k] > blue_excess { 255 } else { 0 };
                sx += dx;
                sy += dy;
            }
            x = end;
        }
    }
    let luma = GrayImage::from_raw(w, h, luma)?;
    let blue = GrayImage::from_raw(w, h, blue)?;
    Some(FlatPage { luma, blue })
}

/// Side of the blocks the paper level is estimated on.
const BLOCK: u32 = 32;

/// The paper level per `BLOCK` square (row-major, with the number of blocks
/// in a row): the 80th percentile of its luma, then the median of the 5 × 5
/// blocks around it, so that neither dense writing nor a strip of
/// correction tape sets the level of its block.
fn paper_level(luma: &GrayImage) -> (Vec<u8>, u32) {
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
    (level, bw)
}

/// A horizontal ruled line: rows `y0..=y1`, columns `x0..x1`.
#[derive(Debug, Clone, Copy)]
struct Line {
    y0: u32,
    y1: u32,
    x0: u32,
    x1: u32,
}

/// `mask` (`w` wide) with each pixel set when it or a vertical neighbour
/// is: a line 1–2 px thick with a slight tilt stays in one row of it for a
/// long way.
fn thicken(mask: &[bool], w: usize) -> Vec<bool> {
    (0..mask.len())
        .map(|i| mask[i] || (i >= w && mask[i - w]) || (i + w < mask.len() && mask[i + w]))
        .collect()
}

/// The runs of set pixels in `row`, as `start..end`.
fn runs(row: &[bool]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut x = 0;
    std::iter::from_fn(move || {
        while x < row.len() && !row[x] {
            x += 1;
        }
        let start = x;
        while x < row.len() && row[x] {
            x += 1;
        }
        (x > start).then_some((start, x))
    })
}

/// Horizontal runs of ink at least `min_len` long (on the [`thicken`]ed
/// mask, which bridges a line's slight tilt), merged row to row into lines.
fn horizontal_lines(ink: &[bool], w: u32, h: u32, min_len: u32) -> Vec<Line> {
    let thick = thicken(ink, w as usize);
    let mut lines: Vec<Line> = Vec::new();
    for y in 0..h {
        let row = &thick[(y * w) as usize..((y + 1) * w) as usize];
        for (start, x) in runs(row) {
            let (start, x) = (start as u32, x as u32);
            if x - start < min_len {
                continue;
            }
            // Continue a line of the row above that this run touches (a
            // line with a little tilt steps from row to row), or start one.
            let overlap = |l: &Line| l.x1 + 2 >= start && x + 2 >= l.x0;
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
fn separators(ink: &[bool], w: u32, &[x0, y0, x1, y1]: &Box4, cover: f64) -> Vec<(u32, u32)> {
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
/// The ink's bounding box in field `f`, grown by `margin` within it; `None`
/// with less than `min_ink` ink pixels.
fn ink_extent(ink: &[bool], w: u32, f: &Box4, min_ink: u32, margin: u32) -> Option<Box4> {
    let mut n = 0;
    let mut b = [u32::MAX, u32::MAX, 0, 0];
    for y in f[1]..f[3] {
        for x in f[0]..f[2] {
            if ink[(y * w + x) as usize] {
                n += 1;
                b = [b[0].min(x), b[1].min(y), b[2].max(x + 1), b[3].max(y + 1)];
            }
        }
    }
    (n >= min_ink.max(1)).then(|| {
        [
            b[0].saturating_sub(margin).max(f[0]),
            b[1].saturating_sub(margin).max(f[1]),
            (b[2] + margin).min(f[2]),
            (b[3] + margin).min(f[3]),
        ]
    })
}

fn ink_in(ink: &[bool], w: u32, &[x0, y0, x1, y1]: &Box4) -> u32 {
    (y0..y1)
        .map(|y| (x0..x1).filter(|&x| ink[(y * w + x) as usize]).count() as u32)
        .sum()
}

/// A table row found: its band (between its lines and borders), the cell
/// borders inside it, and which of the fields are its cells.
#[derive(Debug, Clone)]
struct Row {
    band: Box4,
    seps: Vec<(u32, u32)>,
    cells: std::ops::Range<usize>,
}

impl Row {
    /// Rows of one list (a work history's lines): sharing a ruled line,
    /// with the same cell borders (centres within 5 px: a page flattened from
    /// a perspective shot keeps a little tilt).
    fn repeats(&self, other: &Row) -> bool {
        let touching = self.band[1].abs_diff(other.band[3]) <= 6 || other.band[1].abs_diff(self.band[3]) <= 6;
        touching
            && self.seps.len() == other.seps.len()
            && self
                .seps
                .iter()
                .zip(&other.seps)
                .all(|(a, b)| (a.0 + a.1).abs_diff(b.0 + b.1) <= 10)
    }
}

/// What [`find_fields`] found.
struct Fields {
    /// The inside of each table cell (inset 3 px from its lines) and the
    /// strip above each fill-in line.
    boxes: Vec<Box4>,
    rows: Vec<Row>,
    /// The ruled lines, and whether each bounds a table row.
    lines: Vec<(Line, bool)>,
}

/// The fields of the print and its table rows.
fn find_fields(ink: &[bool], w: u32, h: u32, p: &InkParams) -> Fields {
    let min_len = (p.min_line * f64::from(w)).round() as u32;
    let mut lines = horizontal_lines(ink, w, h, min_len.max(8));
    lines.sort_by_key(|l| l.y0);
    let mut bounding = vec![false; lines.len()];
    let mut fields = Vec::new();
    let mut rows = Vec::new();
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
                // A table row: closed at both ends by vertical borders. A
                // line that closes none (a long pen stroke inside a cell, an
                // underline) leaves the upper line open for the row's real
                // lower border.
                let band = [c, upper.y1 + 1, d, lower.y0];
                let tall = band[3] - band[1];
                let fits = d > c + 2 * inset && tall >= 8 && f64::from(tall) <= 0.25 * f64::from(h);
                // The two ends first: most pairs of lines are not a row, and
                // a page of many (a ruled notebook's) must stay cheap.
                let closed =
                    |x0: u32, x1: u32| !separators(ink, w, &[x0, band[1], x1, band[3]], p.separator_cover).is_empty();
                if !(fits && closed(c, c + inset + 1) && closed(d - inset - 1, d)) {
                    still.push((a, b));
                    continue;
                }
                let seps = separators(ink, w, &band, p.separator_cover);
                if c > a {
                    still.push((a, c));
                }
                if d < b {
                    still.push((d, b));
                }
                bounding[i] = true;
                bounding[j] = true;
                let first = fields.len();
                for pair in seps.windows(2) {
                    let (cx0, cx1) = (pair[0].1 + inset, pair[1].0.saturating_sub(inset));
                    let (cy0, cy1) = (band[1] + inset, band[3].saturating_sub(inset));
                    if cx1 > cx0 + 8 && cy1 > cy0 + 4 {
                        fields.push([cx0, cy0, cx1, cy1]);
                    }
                }
                rows.push(Row {
                    band,
                    seps,
                    cells: first..fields.len(),
                });
            }
            open = still;
        }
    }
    // Fill-in lines: the strip above each line that bounds no table row.
    // Pieces of one baseline less than an eighth of the width (26 mm)
    // apart are one field (a date's 年 月 日 blanks; a line cut by a stroke).
    let strip = (p.fill_line_field * f64::from(h)).round() as u32;
    let mut free: Vec<Line> = lines
        .iter()
        .zip(&bounding)
        .filter(|(_, b)| !**b)
        .map(|(l, _)| *l)
        .collect();
    free.sort_by_key(|l| (l.y0, l.x0));
    let mut joined: Vec<Line> = Vec::new();
    for l in free {
        match joined.last_mut() {
            Some(j) if l.y0.abs_diff(j.y0) <= 3 && l.x0 <= j.x1 + w / 8 => {
                j.x1 = j.x1.max(l.x1);
                j.y1 = j.y1.max(l.y1);
            }
            _ => joined.push(l),
        }
    }
    for l in joined {
        let y0 = l.y0.saturating_sub(strip);
        if l.y0 > y0 + 4 && l.x1 > l.x0 + 2 * inset {
            fields.push([l.x0 + inset, y0, l.x1 - inset, l.y0]);
        }
    }
    Fields {
        boxes: fields,
        rows,
        lines: lines.into_iter().zip(bounding).collect(),
    }
}

/// Straight strokes struck through writing, followed along paths of slopes
/// up to `strike_max_slope` in steps of `strike_slope_step` (a stroke 1–3 px
/// thick stays within a path's 3 rows for ~100 px at up to half a step off
/// it). A run of ink along a path is a strike when it is
/// `min_strike`–`max_strike` of the width long and, over `strike_crossed` of
/// its length, has ink both `strike_gap`–`strike_reach` px above and below
/// it (at 720 px: a character is ~16 px tall). The table's ruled
/// lines and long lines are left out first: a path grazing a border would
/// otherwise read the writing of the rows on both sides of it.
fn strike_throughs(ink: &[bool], w: u32, h: u32, print: &[(Line, bool)], p: &InkParams) -> Vec<Box4> {
    let (wu, hu) = (w as usize, h as usize);
    let min_len = (p.min_strike * f64::from(w)).round().max(8.0) as usize;
    let max_len = (p.max_strike * f64::from(w)).round() as usize;
    let mut pen = ink.to_vec();
    for (l, bounding) in print {
        if *bounding || (l.x1 - l.x0) as usize > max_len {
            for y in l.y0.saturating_sub(1)..=(l.y1 + 1).min(h - 1) {
                pen[(y * w + l.x0) as usize..(y * w + l.x1) as usize].fill(false);
            }
        }
    }
    // A pixel of a path counts when it or a vertical neighbour is ink.
    let thick = thicken(&pen, wu);
    let (gap, reach) = (p.strike_gap as usize, p.strike_reach as usize);
    let ink_at = |x: usize, y: isize| y >= 0 && (y as usize) < hu && pen[y as usize * wu + x];
    let crossed = |x: usize, yc: isize| {
        let above = (gap..=reach).any(|d| ink_at(x, yc - d as isize));
        let below = (gap..=reach).any(|d| ink_at(x, yc + d as isize));
        above && below
    };
    // Paths start from seeds, the rows' runs of at least 12 px (at 720 px):
    // a stroke within 6° of level has such runs, and the page is walked
    // along seven slopes only where they are, not all over.
    let seed_len = (wu / 60).max(4);
    let steps = (p.strike_max_slope / p.strike_slope_step).round() as i32;
    let slopes: Vec<f64> = (-steps..=steps)
        .map(|k| (f64::from(k) * p.strike_slope_step).to_radians().tan())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut found: Vec<Box4> = Vec::new();
    for y in 0..hu {
        for (run, x) in runs(&thick[y * wu..(y + 1) * wu]) {
            if x - run < seed_len {
                continue;
            }
            let xc = (run + x) / 2;
            for (k, slope) in slopes.iter().enumerate() {
                let path = |c: usize| y as isize + ((c as f64 - xc as f64) * slope).round() as isize;
                let on = |c: usize| {
                    let yy = path(c);
                    yy >= 0 && (yy as usize) < hu && thick[yy as usize * wu + c]
                };
                let (mut a, mut b) = (xc, xc + 1);
                while a > 0 && on(a - 1) && b - a <= max_len {
                    a -= 1;
                }
                while b < wu && on(b) && b - a <= max_len {
                    b += 1;
                }
                let len = b - a;
                // Seeds on one stroke find the same run: judge it once.
                if len < min_len || len > max_len || !seen.insert((k, a, path(a))) {
                    continue;
                }
                let n = (a..b).filter(|&c| crossed(c, path(c))).count();
                if (n as f64) < p.strike_crossed * len as f64 {
                    continue;
                }
                let ys = [path(a), path(b - 1)];
                found.push([
                    a as u32,
                    (ys[0].min(ys[1]) - 1).max(0) as u32,
                    b as u32,
                    (ys[0].max(ys[1]) + 2).min(hu as isize) as u32,
                ]);
            }
        }
    }
    // One stroke is found on neighbouring paths and slopes: one box.
    merge_near(found, 3)
}

/// Boxes closer than `gap` pixels joined into one, until none are.
fn merge_near(mut boxes: Vec<Box4>, gap: u32) -> Vec<Box4> {
    let mut merged: Vec<Box4> = Vec::new();
    while let Some(mut b) = boxes.pop() {
        // Grown, `b` can reach boxes it did not before: look again.
        while let Some(k) = merged.iter().position(|m| {
            let near = [
                b[0].saturating_sub(gap),
                b[1].saturating_sub(gap),
                b[2] + gap,
                b[3] + gap,
            ];
            overlaps(m, &near)
        }) {
            let m = merged.swap_remove(k);
            b = [b[0].min(m[0]), b[1].min(m[1]), b[2].max(m[2]), b[3].max(m[3])];
        }
        merged.push(b);
    }
    merged.sort_by_key(|b| (b[1], b[0]));
    merged
}

/// Whether two boxes share a pixel.
fn overlaps(a: &Box4, b: &Box4) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Boxes of the 8-connected regions of `mask` (`w` wide) with at least
/// `min_area` pixels, with their pixel counts. A flood fill from each set
/// pixel: the masks here are nearly empty, so this touches little more
/// than one pass over them.
fn blobs(mask: &[bool], w: u32, min_area: u32) -> Vec<(Box4, u32)> {
    let (w, h) = (w as usize, mask.len() / w.max(1) as usize);
    let mut seen = vec![false; mask.len()];
    let mut found = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut b, mut n) = ([u32::MAX, u32::MAX, 0, 0], 0u32);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            n += 1;
            b = [
                b[0].min(x as u32),
                b[1].min(y as u32),
                b[2].max(x as u32 + 1),
                b[3].max(y as u32 + 1),
            ];
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let j = ny * w + nx;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if n >= min_area {
            found.push((b, n));
        }
    }
    found
}

/// Whether each pixel's (2r + 1)² square lies wholly in `mask`: a sliding
/// count along the rows, then along the columns of that.
fn erode(mask: &[bool], w: usize, r: usize) -> Vec<bool> {
    let h = mask.len() / w.max(1);
    let full = 2 * r + 1;
    let mut across = vec![false; mask.len()];
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let mut run = 0;
        for x in 0..w {
            run = if row[x] { run + 1 } else { 0 };
            // `run` ink pixels end at x: the square's row is whole around x - r.
            if run >= full {
                across[y * w + x - r] = true;
            }
        }
    }
    let mut out = vec![false; mask.len()];
    let mut run = vec![0usize; w];
    for y in 0..h {
        for x in 0..w {
            run[x] = if across[y * w + x] { run[x] + 1 } else { 0 };
            if run[x] >= full {
                out[(y - r) * w + x] = true;
            }
        }
    }
    out
}

/// The median luma of the non-ink pixels in box `b`.
fn paper_inside(luma: &[u8], ink: &[bool], w: usize, b: &Box4) -> u8 {
    let mut hist = [0u32; 256];
    for y in b[1] as usize..b[3] as usize {
        for x in b[0] as usize..b[2] as usize {
            if !ink[y * w + x] {
                hist[usize::from(luma[y * w + x])] += 1;
            }
        }
    }
    super::percentile(&hist, 0.5)
}

/// The brightest of the paper levels (median non-ink luma) in the four
/// 6 px strips just outside box `b`, the sides within the page.
fn paper_around(luma: &[u8], ink: &[bool], w: usize, h: usize, b: &Box4) -> u8 {
    const STRIP: u32 = 6;
    let (w32, h32) = (w as u32, h as u32);
    let sides = [
        [b[0], b[1].saturating_sub(STRIP), b[2], b[1]],
        [b[0], b[3], b[2], (b[3] + STRIP).min(h32)],
        [b[0].saturating_sub(STRIP), b[1], b[0], b[3]],
        [b[2], b[1], (b[2] + STRIP).min(w32), b[3]],
    ];
    sides
        .iter()
        .filter(|s| s[2] > s[0] && s[3] > s[1])
        .map(|s| paper_inside(luma, ink, w, s))
        .max()
        .unwrap_or(0)
}

/// How many pixels the luma takes to climb from a quarter to three
/// quarters of the way from `around` to `inside`, entering box `b` from
/// each side (left, right, top, bottom) along its middle (the median of the
/// non-ink pixels of a 7 px band): tape has a step for an edge, a lamp's
/// reflection a slope. `None` where the profile never climbs.
fn edge_ramps(luma: &[u8], ink: &[bool], w: usize, h: usize, b: &Box4, around: u8, inside: u8) -> [Option<usize>; 4] {
    const REACH: usize = 12;
    let (lo, hi) = {
        let (a, i) = (f64::from(around), f64::from(inside));
        (a + 0.25 * (i - a), a + 0.75 * (i - a))
    };
    let (cx, cy) = (((b[0] + b[2]) / 2) as usize, ((b[1] + b[3]) / 2) as usize);
    // Median of the non-ink pixels at `points`.
    let median = |points: &mut dyn Iterator<Item = (usize, usize)>| -> Option<f64> {
        let mut v: Vec<u8> = points
            .filter(|&(x, y)| !ink[y * w + x])
            .map(|(x, y)| luma[y * w + x])
            .collect();
        if v.is_empty() {
            return None;
        }
        let mid = v.len() / 2;
        Some(f64::from(*v.select_nth_unstable(mid).1))
    };
    let band = |c: usize, n: usize| c.saturating_sub(3)..(c + 4).min(n);
    let ramp = |profile: Vec<Option<f64>>| -> Option<usize> {
        let top = profile.iter().position(|v| v.is_some_and(|v| v >= hi))?;
        let bottom = profile[..top].iter().rposition(|v| v.is_some_and(|v| v <= lo))?;
        Some(top - bottom)
    };
    let (x0, x1) = (
        (b[0] as usize).saturating_sub(REACH),
        (b[2] as usize + REACH).min(w - 1),
    );
    let (y0, y1) = (
        (b[1] as usize).saturating_sub(REACH),
        (b[3] as usize + REACH).min(h - 1),
    );
    let column = |x: usize| median(&mut band(cy, h).map(|y| (x, y)));
    let row = |y: usize| median(&mut band(cx, w).map(|x| (x, y)));
    [
        ramp((x0..=cx).map(column).collect()),
        ramp((cx..=x1).rev().map(column).collect()),
        ramp((y0..=cy).map(row).collect()),
        ramp((cy..=y1).rev().map(row).collect()),
    ]
}

/// Measures the writing on a flattened page.
pub fn measure_ink(page: &FlatPage, p: &InkParams) -> InkMeasure {
    let (w, h) = page.luma.dimensions();
    if w < 64 || h < 64 {
        return InkMeasure::default();
    }
    let paper = paper_level(&page.luma);
    let ink = ink_mask(&page.luma, &paper, p.ink_ratio);
    let blue = ink
        .iter()
        .zip(page.blue.as_raw())
        .filter(|(i, b)| **i && **b > 0)
        .count();
    let fields = find_fields(&ink, w, h, p);
    let (count, empty, skipped_rows) = count_fields(&ink, w, &fields, p.min_field_ink);
    let written = fields
        .boxes
        .iter()
        .filter_map(|f| ink_extent(&ink, w, f, p.min_field_ink, WRITTEN_MARGIN))
        .collect();

    let r = p.scribble_radius;
    let solid = erode(&ink, w as usize, r as usize);
    let scribbles: Vec<Box4> = blobs(&solid, w, p.min_scribble_area)
        .into_iter()
        .map(|([x0, y0, x1, y1], _)| [x0 - r, y0 - r, x1 + r, y1 + r])
        .collect();
    let tape_patches = tape(&page.luma, &paper, &ink, p);
    // A scribble is crossed by long runs too: it is reported once.
    let strikes = strike_throughs(&ink, w, h, &fields.lines, p)
        .into_iter()
        .filter(|s| !scribbles.iter().any(|b| overlaps(b, s)))
        .collect();

    InkMeasure {
        fields: count,
        empty_fields: empty,
        skipped_rows,
        blue_ink: blue as f64 / f64::from(w * h),
        scribbles,
        tape_patches,
        strikes,
        field_boxes: fields.boxes,
        written,
    }
}

/// Ink: pixels darker than `ink_ratio` of the paper level around them.
/// The outline found can be a pixel or two outside the paper, and the desk
/// there is dark: the margin (1.5 % of the width, 3 mm; forms leave more)
/// holds no ink.
fn ink_mask(page: &GrayImage, (level, bw): &(Vec<u8>, u32), ink_ratio: f64) -> Vec<bool> {
    let (wu, hu) = (page.width() as usize, page.height() as usize);
    let luma = page.as_raw();
    let bw = *bw as usize;
    let margin = wu * 3 / 200;
    let mut ink = vec![false; wu * hu];
    for y in margin..hu - margin {
        let levels = &level[(y / BLOCK as usize) * bw..];
        let thresholds: Vec<u8> = levels[..bw]
            .iter()
            .map(|&l| (ink_ratio * f64::from(l)).ceil().min(255.0) as u8)
            .collect();
        for x in margin..wu - margin {
            ink[y * wu + x] = luma[y * wu + x] < thresholds[x / BLOCK as usize];
        }
    }
    ink
}

/// The fields counted, those empty, and the list rows left out. An empty
/// row of a list (the unused lines of a work history) says nothing about
/// whether the form is filled in: it is left out, in a filled form as in a
/// blank one.
fn count_fields(ink: &[bool], w: u32, fields: &Fields, min_field_ink: u32) -> (u32, u32, u32) {
    let unwritten: Vec<bool> = fields.boxes.iter().map(|f| ink_in(ink, w, f) < min_field_ink).collect();
    let rows = &fields.rows;
    let mut counted = vec![true; fields.boxes.len()];
    let mut skipped_rows = 0;
    for (k, row) in rows.iter().enumerate() {
        let all_empty = row.cells.clone().all(|c| unwritten[c]);
        if all_empty && rows.iter().enumerate().any(|(m, other)| m != k && row.repeats(other)) {
            skipped_rows += 1;
            counted[row.cells.clone()].fill(false);
        }
    }
    let count = counted.iter().filter(|c| **c).count() as u32;
    let empty = counted.iter().zip(&unwritten).filter(|(c, e)| **c && **e).count() as u32;
    (count, empty, skipped_rows)
}

/// Correction tape, on 4 × 4 blocks: a block is bright when one of its
/// 2 × 2 means (which quiet the sensor noise) is above the paper level, so
/// that writing over the tape does not cut the patch apart. A patch of
/// tape's size and fill, brighter than the paper on every side and edged
/// by a step on three sides at least.
fn tape(page: &GrayImage, (level, bw): &(Vec<u8>, u32), ink: &[bool], p: &InkParams) -> Vec<Box4> {
    let (wu, hu) = (page.width() as usize, page.height() as usize);
    let luma = page.as_raw();
    let bw = *bw as usize;
    let (tw, th) = (wu / 4, hu / 4);
    let means = super::shrink_luma_by(page, 2);
    let mw = means.width() as usize;
    let means = means.as_raw();
    let mut bright = vec![false; tw * th];
    for by in 0..th {
        let paper = &level[(by * 4 / BLOCK as usize) * bw..];
        for bx in 0..tw {
            let top = [0, 1, mw, mw + 1]
                .iter()
                .map(|d| means[2 * by * mw + 2 * bx + d])
                .max()
                .unwrap_or(0);
            let limit = (1.0 + p.tape_brightness) * f64::from(paper[bx * 4 / BLOCK as usize]);
            bright[by * tw + bx] = f64::from(top) > limit;
        }
    }
    let max_area = (tw * th / 20) as u32;
    blobs(&bright, tw as u32, p.min_tape_area.div_ceil(16))
        .into_iter()
        .filter(|(b, n)| {
            let area = (b[2] - b[0]) * (b[3] - b[1]);
            *n <= max_area && f64::from(*n) >= p.min_tape_fill * f64::from(area) && (b[2] - b[0]).min(b[3] - b[1]) >= 2
        })
        // Back to pixels: 4 × the block grid never passes the page's edge.
        .map(|(b, _)| b.map(|v| v * 4))
        // Brighter than the paper on every side, not only than the block
        // level: the lit edge of a sharp shadow is bright against the
        // shadow but not against the paper beyond it. And edged by a step on
        // three sides at least: a lamp's reflection rises gently.
        .filter(|b| {
            let (inside, around) = (paper_inside(luma, ink, wu, b), paper_around(luma, ink, wu, hu, b));
            let sharp = edge_ramps(luma, ink, wu, hu, b, around, inside)
                .iter()
                .filter(|r| r.is_some_and(|r| r <= p.max_tape_edge as usize))
                .count();
            f64::from(inside) > (1.0 + p.tape_brightness) * f64::from(around) && sharp >= 3
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(w: usize, h: usize, on: impl Fn(usize, usize) -> bool) -> Vec<bool> {
        (0..w * h).map(|i| on(i % w, i / w)).collect()
    }

    #[test]
    fn erosion_keeps_only_centres_of_whole_squares() {
        // A 7 x 7 block and a 2 px wide stroke; radius 3 needs 7 x 7.
        let m = mask(20, 12, |x, y| {
            (2..9).contains(&x) && (2..9).contains(&y) || x == 15 || x == 16
        });
        let e = erode(&m, 20, 3);
        let on: Vec<usize> = (0..e.len()).filter(|&i| e[i]).collect();
        assert_eq!(on, [5 * 20 + 5]);
    }

    #[test]
    fn blobs_are_eight_connected_and_sized() {
        // Two pixels touching at a corner are one blob; a lone pixel is
        // dropped by min_area 2.
        let m = mask(6, 4, |x, y| (x, y) == (1, 1) || (x, y) == (2, 2) || (x, y) == (5, 0));
        assert_eq!(blobs(&m, 6, 2), [([1, 1, 3, 3], 2)]);
        assert_eq!(blobs(&m, 6, 1).len(), 2);
    }

    #[test]
    fn fields_of_a_drawn_table_and_a_fill_line() {
        let rules = crate::rules::Rules::builtin().expect("rulebook");
        let p = &crate::checks::document::ink_params(&rules.document().form);
        let (w, h) = (720usize, 1018usize);
        // Two rows of three cells between x 100 and 640, y 200-260-320, lines
        // 2 px; "print" in the first cell of each row, "writing" in the
        // second of the first row; a fill-in line at y 500, x 300-600, with
        // nothing above it.
        let m = mask(w, h, |x, y| {
            let in_table = (100..=641).contains(&x) && (200..=321).contains(&y);
            let hline = [200, 260, 320].iter().any(|&l| y == l || y == l + 1) && (100..=641).contains(&x);
            let vline = [100, 280, 460, 640].iter().any(|&l| x == l || x == l + 1) && in_table;
            let print = (130..170).contains(&x) && (225..235).contains(&y) && x % 3 == 0;
            let print2 = (130..170).contains(&x) && (285..295).contains(&y) && x % 3 == 0;
            let writing = (300..360).contains(&x) && (220..240).contains(&y) && (x + y) % 5 == 0;
            let fill = (y == 500 || y == 501) && (300..600).contains(&x);
            hline || vline || print || print2 || writing || fill
        });
        let Fields {
            boxes: fields, rows, ..
        } = find_fields(&m, w as u32, h as u32, p);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].repeats(&rows[1]));
        assert_eq!(fields.len(), 7, "{fields:?}");
        let empty = fields
            .iter()
            .filter(|f| ink_in(&m, w as u32, f) < p.min_field_ink)
            .count();
        // Written: two print cells and one writing cell; empty: three cells
        // and the fill-in line's strip.
        assert_eq!(empty, 4, "{fields:?}");
        // The fill-in field is the strip above its line.
        assert!(
            fields.iter().any(|f| (498..=500).contains(&f[3]) && f[1] < 480),
            "{fields:?}"
        );
    }

    /// "Writing": characters 16 px tall and wide, 4 px apart, of three
    /// vertical strokes and three horizontal ones, from x 100 along the row
    /// whose top is `top`.
    fn writing(x: usize, y: usize, top: usize, chars: usize) -> bool {
        if y < top || y >= top + 16 || x < 100 || x >= 100 + chars * 20 {
            return false;
        }
        let (cx, cy) = ((x - 100) % 20, y - top);
        let vertical = [2, 7, 12].iter().any(|&v| cx == v || cx == v + 1);
        let horizontal = [1, 8, 14].contains(&cy) && (1..14).contains(&cx);
        cx < 16 && (vertical || horizontal)
    }

    #[test]
    fn a_stroke_through_writing_is_a_strike_and_writing_alone_is_not() {
        let rules = crate::rules::Rules::builtin().expect("rulebook");
        let p = &crate::checks::document::ink_params(&rules.document().form);
        let (w, h) = (720usize, 400usize);
        let text = mask(w, h, |x, y| writing(x, y, 100, 6));
        assert!(strike_throughs(&text, w as u32, h as u32, &[], p).is_empty());
        // A 2 px stroke over the middle of the first four characters,
        // rising 2 px over its 80 px (1.4°).
        let struck = mask(w, h, |x, y| {
            let mid = 108 - (x.saturating_sub(96) / 40);
            writing(x, y, 100, 6) || ((96..176).contains(&x) && (mid..mid + 2).contains(&y))
        });
        let found = strike_throughs(&struck, w as u32, h as u32, &[], p);
        assert_eq!(found.len(), 1, "{found:?}");
        let b = found[0];
        assert!(b[0] <= 100 && b[2] >= 170 && b[1] >= 100 && b[3] <= 116, "{b:?}");
    }

    #[test]
    fn a_ruled_line_between_written_rows_is_not_a_strike() {
        let rules = crate::rules::Rules::builtin().expect("rulebook");
        let p = &crate::checks::document::ink_params(&rules.document().form);
        let (w, h) = (720usize, 400usize);
        // Two rows of writing 4 px from a 2 px border at y 120-121 between
        // them (writing as close to the line as a large hand puts it).
        let m = mask(w, h, |x, y| {
            writing(x, y, 100, 20) || writing(x, y, 126, 20) || ((60..660).contains(&x) && (120..122).contains(&y))
        });
        let border = Line {
            y0: 120,
            y1: 121,
            x0: 60,
            x1: 660,
        };
        assert!(strike_throughs(&m, w as u32, h as u32, &[(border, true)], p).is_empty());
        // Not left out, a tilted path grazing it reads both rows.
        assert!(!strike_throughs(&m, w as u32, h as u32, &[], p).is_empty());
    }

    #[test]
    fn near_boxes_merge_through_a_grown_box() {
        // a and b are apart, c is near a only; a and c together reach b.
        let (a, b, c) = ([0, 0, 10, 20], [30, 18, 40, 22], [8, 0, 28, 4]);
        assert_eq!(merge_near(vec![a, b], 3).len(), 2);
        assert_eq!(merge_near(vec![c, b], 3).len(), 2);
        assert_eq!(merge_near(vec![c, b, a], 3), [[0, 0, 40, 22]]);
    }

    #[test]
    fn a_long_stroke_inside_a_cell_keeps_its_row() {
        let rules = crate::rules::Rules::builtin().expect("rulebook");
        let p = &crate::checks::document::ink_params(&rules.document().form);
        let (w, h) = (720usize, 600usize);
        // One row, y 200-260, cells 100-280-640; a 2 px pen line 80 px long
        // (longer than a ruled line's minimum) across the middle of the
        // second cell.
        let m = mask(w, h, |x, y| {
            let hline = (y == 200 || y == 201 || y == 260 || y == 261) && (100..=641).contains(&x);
            let vline = [100, 280, 640].iter().any(|&l| x == l || x == l + 1) && (200..=261).contains(&y);
            let stroke = (400..480).contains(&x) && (229..231).contains(&y);
            hline || vline || stroke
        });
        let found = find_fields(&m, w as u32, h as u32, p);
        assert_eq!(found.rows.len(), 1);
        assert_eq!(found.rows[0].cells.len(), 2, "{:?}", found.boxes);
    }

    #[test]
    fn runs_reach_both_ends_of_the_row() {
        let row = [true, true, false, false, true];
        assert_eq!(runs(&row).collect::<Vec<_>>(), [(0, 2), (4, 5)]);
        assert_eq!(runs(&[false; 3]).count(), 0);
    }
}

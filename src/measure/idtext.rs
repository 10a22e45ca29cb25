//! Reading a line of the ID card at its known place: the band of the card
//! where the layout puts it is warped straight from the photo (at a fixed
//! scale, either way up), the ink separated from the card's pale printed
//! background, the glyphs cut by connected components, and the line read
//! as the best parse of a grammar (`18 digits` or `YYYY.MM.DD-YYYY.MM.DD` /
//! `YYYY.MM.DD-长期`): every way of grouping the pieces into characters and
//! skipping specks is scored by the classifier ([`super::glyphs`]), and
//! the best that fits the grammar wins. The grammar keeps a digit a digit;
//! the confidence (the least probability of a character read) says how
//! sure the read is. It measures and never decides.

use super::card::homography;
use super::glyphs::{features, Model, Patch};
use image::RgbImage;
use std::cell::OnceCell;

/// Ink share above which a pixel belongs to a glyph: high enough that
/// glyphs a blur joined come apart (the parse puts broken strokes back
/// together), set on examples/idcard_read_probe.rs.
const INK_THRESHOLD: f32 = 0.6;

/// The card's size in mm (ID-1).
pub const CARD_MM: (f64, f64) = (85.6, 54.0);

/// Where and how to read one line.
#[derive(Debug, Clone)]
pub struct LineSpec {
    /// The band as shares of the card, long side first: x0, y0, x1, y1.
    pub band: [f64; 4],
    /// Digit height in mm.
    pub digit_mm: f64,
    /// Pixels per mm of the warped band.
    pub px_per_mm: f64,
    /// Each alternative is a sequence of positions, each the characters
    /// allowed there.
    pub grammars: Vec<Vec<Vec<char>>>,
}

/// One character as read.
#[derive(Debug, Clone, PartialEq)]
pub struct CharRead {
    pub ch: char,
    /// The classifier's probability of `ch` among all classes.
    pub p: f32,
    /// Its box in the card's shares: x0, y0, x1, y1.
    pub bbox: [f64; 4],
}

/// A line as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRead {
    pub text: String,
    pub chars: Vec<CharRead>,
    /// The least character probability.
    pub confidence: f32,
    /// Whether the card lay upside down (read with its corners turned).
    pub upside_down: bool,
}

impl LineRead {
    /// The box around every character read (card shares).
    pub fn bbox(&self) -> [f64; 4] {
        self.chars.iter().fold([1.0, 1.0, 0.0, 0.0], |b, c| {
            [
                b[0].min(c.bbox[0]),
                b[1].min(c.bbox[1]),
                b[2].max(c.bbox[2]),
                b[3].max(c.bbox[3]),
            ]
        })
    }
}

/// The grammar of the 18-character citizen number.
pub fn number_grammar() -> Vec<Vec<Vec<char>>> {
    let digits: Vec<char> = ('0'..='9').collect();
    let mut g = vec![digits.clone(); 17];
    let mut last = digits;
    last.push('X');
    g.push(last);
    vec![g]
}

/// The 性别 value: 男 or 女.
pub fn sex_grammar() -> Vec<Vec<Vec<char>>> {
    vec![vec![vec!['男', '女']]]
}

/// The 出生 value: `YYYY年M月D日`, month and day of one or two digits.
pub fn birth_grammar() -> Vec<Vec<Vec<char>>> {
    let d: Vec<char> = ('0'..='9').collect();
    let mut out = Vec::new();
    for m in [1, 2] {
        for day in [1, 2] {
            let mut g = vec![d.clone(); 4];
            g.push(vec!['年']);
            g.extend(std::iter::repeat_n(d.clone(), m));
            g.push(vec!['月']);
            g.extend(std::iter::repeat_n(d.clone(), day));
            g.push(vec!['日']);
            out.push(g);
        }
    }
    out
}

/// The validity line's two shapes: `YYYY.MM.DD-YYYY.MM.DD` and
/// `YYYY.MM.DD-长期`.
pub fn validity_grammar() -> Vec<Vec<Vec<char>>> {
    let d: Vec<char> = ('0'..='9').collect();
    let date = |g: &mut Vec<Vec<char>>| {
        for part in [4, 2, 2] {
            if part != 4 {
                g.push(vec!['.']);
            }
            g.extend(std::iter::repeat_n(d.clone(), part));
        }
    };
    let mut start = Vec::new();
    date(&mut start);
    start.push(vec!['-']);
    let mut dated = start.clone();
    date(&mut dated);
    let mut long = start;
    long.push(vec!['长']);
    long.push(vec!['期']);
    vec![dated, long]
}

/// Reads the line `spec` describes on the card whose corners (long side
/// first, as [`super::quad::first_side`] gives them) are `corners`; with
/// `upside_down` known (the back's emblem tells) only that way, otherwise
/// both ways; `None` when nothing line-like is there.
pub fn read_line(
    img: &RgbImage,
    corners: &[(f64, f64); 4],
    spec: &LineSpec,
    model: &Model,
    upside_down: Option<bool>,
) -> Option<LineRead> {
    CardLine::new(img, corners, spec).read(model, upside_down)
}

/// One line of one card, its band warped at most once each way up: the
/// read and the occlusion measure look at the same pixels, and warping
/// is a third of the reading's cost.
pub struct CardLine<'a> {
    img: &'a RgbImage,
    corners: [(f64, f64); 4],
    spec: &'a LineSpec,
    bands: [OnceCell<Option<Band>>; 2],
}

impl<'a> CardLine<'a> {
    /// The line `spec` describes on the card whose corners (long side
    /// first, as [`super::quad::first_side`] gives them) are `corners`.
    pub fn new(img: &'a RgbImage, corners: &[(f64, f64); 4], spec: &'a LineSpec) -> CardLine<'a> {
        CardLine {
            img,
            corners: *corners,
            spec,
            bands: [OnceCell::new(), OnceCell::new()],
        }
    }

    /// The card's corners the way it lies up, or turned half a turn.
    pub fn corners(&self, upside_down: bool) -> [(f64, f64); 4] {
        let c = self.corners;
        if upside_down {
            [c[2], c[3], c[0], c[1]]
        } else {
            c
        }
    }

    /// The band warped the card's way up or turned half a turn; `None`
    /// when the corners are degenerate or the band would be empty or huge.
    pub fn band(&self, upside_down: bool) -> Option<&Band> {
        self.bands[usize::from(upside_down)]
            .get_or_init(|| warp_band(self.img, &self.corners(upside_down), self.spec))
            .as_ref()
    }

    /// Reads the line: with `upside_down` known only that way, otherwise
    /// upright first and turned when that is not sure (confidence under
    /// 0.9), the surer of the two.
    pub fn read(&self, model: &Model, upside_down: Option<bool>) -> Option<LineRead> {
        if let Some(way) = upside_down {
            return self.read_way(model, way);
        }
        let upright = self.read_way(model, false);
        if upright.as_ref().is_some_and(|r| r.confidence >= 0.9) {
            return upright;
        }
        let flipped = self.read_way(model, true);
        match (upright, flipped) {
            (Some(a), Some(b)) => Some(if b.confidence > a.confidence { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    fn read_way(&self, model: &Model, upside_down: bool) -> Option<LineRead> {
        let mut read = read_band(self.band(upside_down)?, self.spec, model)?;
        read.upside_down = upside_down;
        Some(read)
    }
}

/// The band warped to grey at `px_per_mm`.
pub struct Band {
    pub w: usize,
    pub h: usize,
    pub v: Vec<f32>,
    /// Band pixel → card shares.
    pub origin: (f64, f64),
    pub share_per_px: (f64, f64),
}

/// Warps the band of the card from `img` (bilinear, luma); `None` when the
/// corners are degenerate or the band would be empty or huge.
pub fn warp_band(img: &RgbImage, corners: &[(f64, f64); 4], spec: &LineSpec) -> Option<Band> {
    let (mw, mh) = CARD_MM;
    let h = homography(&[(0.0, 0.0), (mw, 0.0), (mw, mh), (0.0, mh)], corners)?;
    let [u0, v0, u1, v1] = spec.band;
    let ppm = spec.px_per_mm;
    let w = ((u1 - u0) * mw * ppm).round();
    let hh = ((v1 - v0) * mh * ppm).round();
    if !(w >= 8.0 && hh >= 8.0 && w * hh <= 4.0e6) {
        return None;
    }
    let (w, hh) = (w as usize, hh as usize);
    let (iw, ih) = img.dimensions();
    let raw = img.as_raw();
    let stride = iw as usize * 3;
    let (max_x, max_y) = (f64::from(iw) - 1.0, f64::from(ih) - 1.0);
    let luma = |i: usize| 0.299 * f32::from(raw[i]) + 0.587 * f32::from(raw[i + 1]) + 0.114 * f32::from(raw[i + 2]);
    let mut v = vec![255.0f32; w * hh];
    // Along a row the numerators and the denominator grow linearly: one
    // reciprocal a pixel.
    let step = 1.0 / ppm;
    let mx0 = (u0 * mw) + 0.5 * step;
    for (by, row) in v.chunks_exact_mut(w).enumerate() {
        let my = (v0 * mh) + (by as f64 + 0.5) * step;
        let (mut nx, mut ny, mut dw) = (
            h[0] * mx0 + h[1] * my + h[2],
            h[3] * mx0 + h[4] * my + h[5],
            h[6] * mx0 + h[7] * my + 1.0,
        );
        let (sx, sy, sd) = (h[0] * step, h[3] * step, h[6] * step);
        for out in row.iter_mut() {
            let r = 1.0 / dw;
            let (x, y) = (nx * r - 0.5, ny * r - 0.5);
            nx += sx;
            ny += sy;
            dw += sd;
            if !(x >= 0.0 && y >= 0.0 && x < max_x && y < max_y) {
                continue;
            }
            let (x0, y0) = (x as usize, y as usize);
            let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
            let i = y0 * stride + x0 * 3;
            let top = luma(i) * (1.0 - fx) + luma(i + 3) * fx;
            let bottom = luma(i + stride) * (1.0 - fx) + luma(i + stride + 3) * fx;
            *out = top * (1.0 - fy) + bottom * fy;
        }
    }
    Some(Band {
        w,
        h: hh,
        v,
        origin: (u0, v0),
        share_per_px: (1.0 / (mw * ppm), 1.0 / (mh * ppm)),
    })
}

/// Ink per pixel (0 paper .. 1 ink): how much darker than the local paper
/// (the brightest nearby, which is the card's pale background under the
/// same light) against the band's darkest ink.
fn ink_map(b: &Band, radius: usize) -> Vec<f32> {
    let (w, h) = (b.w, b.h);
    // Local paper level: a max filter, rows then columns.
    let mut tmp = vec![0.0f32; w * h];
    for y in 0..h {
        running_max(&b.v[y * w..(y + 1) * w], radius, &mut tmp[y * w..(y + 1) * w]);
    }
    let mut paper = vec![0.0f32; w * h];
    let (mut col, mut out) = (vec![0.0f32; h], vec![0.0f32; h]);
    for x in 0..w {
        for y in 0..h {
            col[y] = tmp[y * w + x];
        }
        running_max(&col, radius, &mut out);
        for y in 0..h {
            paper[y * w + x] = out[y];
        }
    }
    // Two percentiles by selection, not a sort of the whole band.
    let mut values = b.v.clone();
    let n = values.len();
    let dark = *values.select_nth_unstable_by(n / 50, f32::total_cmp).1;
    let bright = *values.select_nth_unstable_by(n * 9 / 10, f32::total_cmp).1;
    // Contrast of the ink: at least 40 levels, so that a blank band stays
    // paper instead of its noise becoming "ink".
    let contrast = (bright - dark).max(40.0);
    b.v.iter()
        .zip(&paper)
        .map(|(v, p)| ((p - v) / contrast).clamp(0.0, 1.0))
        .collect()
}

/// `out[i]` = the max of `v` over `[i - r, i + r]` (clipped), in O(n)
/// whatever `r` (van Herk / Gil-Werman: maxima from the left and from the
/// right within blocks of `2r + 1`).
fn running_max(v: &[f32], r: usize, out: &mut [f32]) {
    let n = v.len();
    if n == 0 {
        return;
    }
    let k = 2 * r + 1;
    let mut left = vec![0.0f32; n];
    let mut right = vec![0.0f32; n];
    for (vc, (lc, rc)) in v.chunks(k).zip(left.chunks_mut(k).zip(right.chunks_mut(k))) {
        let mut m = f32::MIN;
        for (x, l) in vc.iter().zip(lc.iter_mut()) {
            m = m.max(*x);
            *l = m;
        }
        let mut m = f32::MIN;
        for (x, rr) in vc.iter().zip(rc.iter_mut()).rev() {
            m = m.max(*x);
            *rr = m;
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        let (s, e) = (i.saturating_sub(r), (i + r).min(n - 1));
        // A window spans at most two blocks: the right-max from s and the
        // left-max up to e cover it. Clipped at the start it is the left-max
        // of the first block; clipped at the end within one block, the
        // right-max from s (the last block ends at n - 1).
        *o = if s == 0 {
            left[e]
        } else if e < n - 1 || s / k != e / k {
            right[s].max(left[e])
        } else {
            right[s]
        };
    }
}

#[derive(Debug, Clone)]
struct Comp {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    area: usize,
    label: u32,
}

/// 8-connected components of `mask` with their boxes (exclusive ends).
fn components(mask: &[bool], w: usize, h: usize) -> (Vec<u32>, Vec<Comp>) {
    let mut labels = vec![0u32; w * h];
    let mut comps = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let label = comps.len() as u32 + 1;
        let mut c = Comp {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            area: 0,
            label,
        };
        labels[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            c.x0 = c.x0.min(x);
            c.y0 = c.y0.min(y);
            c.x1 = c.x1.max(x + 1);
            c.y1 = c.y1.max(y + 1);
            c.area += 1;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    if nx < 0 || ny < 0 || nx >= w as i32 || ny >= h as i32 {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if mask[j] && labels[j] == 0 {
                        labels[j] = label;
                        stack.push(j);
                    }
                }
            }
        }
        comps.push(c);
    }
    (labels, comps)
}

/// A group of pieces classified: class probabilities and its box (band px).
type Scored = (Vec<f32>, [usize; 4]);

/// Reads the warped band: finds the text line, cuts its pieces and parses
/// them with the grammars.
pub fn read_band(b: &Band, spec: &LineSpec, model: &Model) -> Option<LineRead> {
    let expect_h = spec.digit_mm * spec.px_per_mm;
    let ink = ink_map(b, (expect_h * 0.8).round().max(3.0) as usize);
    let mask: Vec<bool> = ink.iter().map(|&v| v >= INK_THRESHOLD).collect();
    let (labels, comps) = components(&mask, b.w, b.h);
    // The line: the height where most digit-sized pieces are centred.
    let digitish: Vec<&Comp> = comps
        .iter()
        .filter(|c| {
            let (cw, ch) = ((c.x1 - c.x0) as f64, (c.y1 - c.y0) as f64);
            ch >= 0.55 * expect_h && ch <= 1.5 * expect_h && cw <= 1.4 * expect_h
        })
        .collect();
    // A line of one glyph (性别) has one piece; the others at least four.
    let min_pieces = spec.grammars.iter().map(Vec::len).min().unwrap_or(1).clamp(1, 4);
    if digitish.len() < min_pieces {
        return None;
    }
    let centre = |c: &Comp| (c.y0 + c.y1) as f64 / 2.0;
    let best = digitish
        .iter()
        .map(|c| {
            let y = centre(c);
            let n = digitish
                .iter()
                .filter(|d| (centre(d) - y).abs() <= 0.3 * expect_h)
                .count();
            (n, y)
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))?;
    let on_line: Vec<&&Comp> = digitish
        .iter()
        .filter(|d| (centre(d) - best.1).abs() <= 0.3 * expect_h)
        .collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let top = median(on_line.iter().map(|c| c.y0 as f64).collect());
    let bottom = median(on_line.iter().map(|c| c.y1 as f64).collect());
    let line_h = (bottom - top).max(2.0);
    // Every piece that lies on the line (dots sit on it, 长期 reach above
    // and below it).
    let pieces: Vec<&Comp> = comps
        .iter()
        .filter(|c| {
            (c.y1 as f64) > top - 0.05 * line_h
                && (c.y0 as f64) < bottom + 0.05 * line_h
                && (c.y0 as f64) > top - 0.6 * line_h
                && (c.y1 as f64) < bottom + 0.6 * line_h
                && (c.x1 - c.x0) as f64 <= 4.0 * line_h
        })
        .collect();
    // Glyphs that touch (a Hei font's `4-`, blur joining digits): cut a
    // wide piece where its column profile drops to a thin stroke; the
    // parse groups the parts again when they were one glyph.
    let split: Vec<Comp> = pieces
        .iter()
        .flat_map(|c| cut_wide(c, &labels, b.w, line_h))
        .filter(|c| (c.x1 - c.x0) as f64 <= 1.6 * line_h)
        .collect();
    let mut pieces: Vec<&Comp> = split.iter().collect();
    pieces.sort_by_key(|c| c.x0);
    // Pieces stacked over each other (parts of one glyph) form a segment.
    let mut segs: Vec<Vec<&Comp>> = Vec::new();
    for p in pieces {
        if let Some(last) = segs.last_mut() {
            let (lx0, lx1) = (
                last.iter().map(|c| c.x0).min().unwrap_or(0),
                last.iter().map(|c| c.x1).max().unwrap_or(0),
            );
            let overlap = lx1.min(p.x1).saturating_sub(lx0.max(p.x0));
            let narrower = (lx1 - lx0).min(p.x1 - p.x0).max(1);
            if overlap * 2 >= narrower {
                last.push(p);
                continue;
            }
        }
        segs.push(vec![p]);
    }
    if segs.len() > 120 {
        return None;
    }
    let n = segs.len();
    // Classification of each run of 1-3 consecutive segments.
    let max_group = 5usize;
    let mut probs: Vec<Vec<Option<Scored>>> = vec![vec![None; max_group]; n];
    for i in 0..n {
        for k in 1..=max_group.min(n - i) {
            let group: Vec<&Comp> = segs[i..i + k].iter().flatten().copied().collect();
            let x0 = group.iter().map(|c| c.x0).min().unwrap_or(0);
            let x1 = group.iter().map(|c| c.x1).max().unwrap_or(0);
            let y0 = group.iter().map(|c| c.y0).min().unwrap_or(0);
            let y1 = group.iter().map(|c| c.y1).max().unwrap_or(0);
            if k > 1 && (x1 - x0) as f64 > 1.35 * line_h {
                break;
            }
            let (y0, y1) = ink_rows(&group, &labels, b.w, y0, y1);
            let (pw, ph) = (x1 - x0, y1 - y0);
            let mut patch = vec![0.0f32; pw * ph];
            for c in &group {
                for y in c.y0.max(y0)..c.y1.min(y1) {
                    for x in c.x0..c.x1 {
                        if labels[y * b.w + x] == c.label {
                            patch[(y - y0) * pw + (x - x0)] = ink[y * b.w + x];
                        }
                    }
                }
            }
            let p = Patch {
                ink: patch,
                w: pw,
                h: ph,
                top: y0 as f32 - top as f32,
                line_h: line_h as f32,
            };
            probs[i][k - 1] = Some((model.probabilities(&features(&p)), [x0, y0, x1, y1]));
        }
    }
    let skip_cost = |i: usize, edge: bool| -> f64 {
        if edge {
            return 0.5;
        }
        let area: usize = segs[i].iter().map(|c| c.area).sum();
        1.0 + 20.0 * area as f64 / (line_h * line_h)
    };
    let class_index = |c: char| model.classes.iter().position(|&k| k == c);
    let mut best: Option<(f64, LineRead)> = None;
    for grammar in &spec.grammars {
        let m = grammar.len();
        if m > n {
            continue;
        }
        // dp[i][j]: best score having used the first i segments for the
        // first j positions; back[i][j]: how it got there.
        let neg = f64::NEG_INFINITY;
        let mut dp = vec![vec![neg; m + 1]; n + 1];
        let mut back = vec![vec![(0usize, 0usize, None::<char>); m + 1]; n + 1];
        dp[0][0] = 0.0;
        for i in 0..=n {
            for j in 0..=m {
                let here = dp[i][j];
                if here == neg || i == n {
                    continue;
                }
                // Skip segment i (cheaply before the line starts or after it ends).
                let s = here - skip_cost(i, j == 0 || j == m);
                if s > dp[i + 1][j] {
                    dp[i + 1][j] = s;
                    back[i + 1][j] = (i, j, None);
                }
                if j == m {
                    continue;
                }
                for k in 1..=max_group.min(n - i) {
                    let Some((p, _)) = &probs[i][k - 1] else { break };
                    let (c, pc) = grammar[j]
                        .iter()
                        .filter_map(|&c| class_index(c).map(|ix| (c, p[ix])))
                        .max_by(|a, b| a.1.total_cmp(&b.1))
                        .unwrap_or(('?', 0.0));
                    let s = here + f64::from(pc.max(1e-6)).ln();
                    if s > dp[i + k][j + 1] {
                        dp[i + k][j + 1] = s;
                        back[i + k][j + 1] = (i, j, Some(c));
                    }
                }
            }
        }
        let score = dp[n][m];
        if score == neg || best.as_ref().is_some_and(|(b, _)| *b >= score) {
            continue;
        }
        // Walk back.
        let mut chars = Vec::with_capacity(m);
        let (mut i, mut j) = (n, m);
        while i > 0 {
            let (pi, pj, c) = back[i][j];
            if let Some(c) = c {
                let k = i - pi;
                if let Some((p, bx)) = &probs[pi][k - 1] {
                    let pc = class_index(c).map_or(0.0, |ix| p[ix]);
                    let (ox, oy) = b.origin;
                    let (sx, sy) = b.share_per_px;
                    chars.push(CharRead {
                        ch: c,
                        p: pc,
                        bbox: [
                            ox + bx[0] as f64 * sx,
                            oy + bx[1] as f64 * sy,
                            ox + bx[2] as f64 * sx,
                            oy + bx[3] as f64 * sy,
                        ],
                    });
                }
            }
            (i, j) = (pi, pj);
        }
        chars.reverse();
        let confidence = chars.iter().map(|c| c.p).fold(1.0f32, f32::min);
        let text = chars.iter().map(|c| c.ch).collect();
        best = Some((
            score,
            LineRead {
                text,
                chars,
                confidence,
                upside_down: false,
            },
        ));
    }
    best.map(|(_, r)| r)
}

/// A piece wider than 0.6 of the line's height cut at the columns where its
/// ink drops to under 0.3 of its fullest column (a stroke joining two
/// glyphs); parts keep the component's label and their columns.
fn cut_wide(c: &Comp, labels: &[u32], w: usize, line_h: f64) -> Vec<Comp> {
    let width = c.x1 - c.x0;
    if (width as f64) < 0.8 * line_h {
        return vec![c.clone()];
    }
    let proj: Vec<usize> = (c.x0..c.x1)
        .map(|x| (c.y0..c.y1).filter(|&y| labels[y * w + x] == c.label).count())
        .collect();
    let full = proj.iter().copied().max().unwrap_or(0);
    let low = |i: usize| (proj[i] as f64) < 0.3 * full as f64;
    let min_part = (0.12 * line_h).ceil() as usize;
    // Candidates: where the profile drops to a thin stroke or climbs back,
    // and the deepest columns of its valleys (two round glyphs touching
    // meet in a narrow waist).
    let mut candidates: Vec<usize> = (1..width).filter(|&i| low(i) != low(i - 1)).collect();
    for i in 1..width.saturating_sub(1) {
        let (a, b, c) = (proj[i - 1], proj[i], proj[i + 1]);
        if b <= a && b <= c && (b < a || b < c) && (b as f64) <= 0.5 * full as f64 {
            candidates.push(i);
        }
    }
    candidates.sort_unstable();
    let mut cuts: Vec<usize> = Vec::new();
    for i in candidates {
        let last = cuts.last().copied().unwrap_or(0);
        if i - last >= min_part && width - i >= min_part {
            cuts.push(i);
        }
    }
    if cuts.is_empty() {
        return vec![c.clone()];
    }
    let mut parts = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for end in cuts.into_iter().chain(std::iter::once(width)) {
        let area: usize = proj[start..end].iter().sum();
        parts.push(Comp {
            x0: c.x0 + start,
            x1: c.x0 + end,
            area,
            ..c.clone()
        });
        start = end;
    }
    parts
}

/// The rows the group's own pixels span within `y0..y1` (a cut part keeps
/// its component's full height otherwise).
fn ink_rows(group: &[&Comp], labels: &[u32], w: usize, y0: usize, y1: usize) -> (usize, usize) {
    let has = |y: usize| group.iter().any(|c| (c.x0..c.x1).any(|x| labels[y * w + x] == c.label));
    let top = (y0..y1).find(|&y| has(y)).unwrap_or(y0);
    let bottom = (top..y1).rev().find(|&y| has(y)).map_or(y1, |y| y + 1);
    (top, bottom)
}

/// The patch of everything inked in `b`, cut as [`read_band`] cuts a glyph
/// (same ink map, threshold and components), with the line's digit top and
/// height given: how the classifier's training sees a glyph it drew.
pub fn patch_of_band(b: &Band, expect_h: f64, line_top: f32, line_h: f32) -> Option<Patch> {
    let ink = ink_map(b, (expect_h * 0.8).round().max(3.0) as usize);
    let mask: Vec<bool> = ink.iter().map(|&v| v >= INK_THRESHOLD).collect();
    let (labels, comps) = components(&mask, b.w, b.h);
    let keep: Vec<&Comp> = comps.iter().filter(|c| c.area >= 2).collect();
    let x0 = keep.iter().map(|c| c.x0).min()?;
    let x1 = keep.iter().map(|c| c.x1).max()?;
    let y0 = keep.iter().map(|c| c.y0).min()?;
    let y1 = keep.iter().map(|c| c.y1).max()?;
    let (pw, ph) = (x1 - x0, y1 - y0);
    let mut patch = vec![0.0f32; pw * ph];
    for c in &keep {
        for y in c.y0..c.y1 {
            for x in c.x0..c.x1 {
                if labels[y * b.w + x] == c.label {
                    patch[(y - y0) * pw + (x - x0)] = ink[y * b.w + x];
                }
            }
        }
    }
    Some(Patch {
        ink: patch,
        w: pw,
        h: ph,
        top: y0 as f32 - line_top,
        line_h,
    })
}

/// A piece of the band darker than its light but at least this share of it,
/// across the band from one end, is a shadow (a phone's leaves about 0.65).
const SHADOW_SHARE: f64 = 0.45;
/// A band pixel under this share of the light is print …
const INK_SHARE: f64 = 0.6;
/// … and a lighter piece with this share of print in its box is the card under
/// brighter light, not a label over it.
const PRINT_SHOWS: f64 = 0.01;

/// A lighter piece whose edge steps up by less than this share of its
/// brightness is glare (light fading out over many pixels), not a label
/// (paper: the step is nearly all of it within a few pixels).
const LABEL_EDGE: f64 = 0.3;

/// A pixel under this share of the light is print for `edge_step`
/// (antialiased strokes and their blur included).
const NEAR_INK: f64 = 0.8;

/// Something lying on a band or staining it: pixels far from the paper
/// (darker by `dark_share` of a plane fitted to the band's light, on a
/// 3 × 3 mean, or lighter by `light` levels on a 5 × 5 one, so that a
/// light ramp is not a blob and dim light's sensor noise does not break a
/// piece into specks) kept only where they form areas thicker than a
/// stroke (a morphological opening of radius `stroke` px wipes out the
/// printed text and the background's fine lines). A lighter piece counts
/// only when it ends in a step (`edge_step`). Returns the largest such
/// area as a share of the band and its box in card shares.
pub fn occlusion(b: &Band, stroke: usize, dark_share: f64, light: f64) -> (f64, [f64; 4]) {
    let (w, h) = (b.w, b.h);
    // Least squares of v = a + bx + cy on a grid, twice, the second time
    // without the pixels far from the first fit (ink, blobs).
    let mut coef = [255.0f64, 0.0, 0.0];
    for pass in 0..3 {
        let mut m = [[0.0f64; 4]; 3];
        for y in (0..h).step_by(3) {
            for x in (0..w).step_by(3) {
                let v = f64::from(b.v[y * w + x]);
                let (xf, yf) = (x as f64 / w as f64, y as f64 / h as f64);
                if pass > 0 && (v - (coef[0] + coef[1] * xf + coef[2] * yf)).abs() > 12.0 {
                    continue;
                }
                let r = [1.0, xf, yf];
                for i in 0..3 {
                    for j in 0..3 {
                        m[i][j] += r[i] * r[j];
                    }
                    m[i][3] += r[i] * v;
                }
            }
        }
        if let Some(c) = super::solve3(m) {
            coef = c;
        }
    }
    let plane = |x: usize, y: usize| coef[0] + coef[1] * x as f64 / w as f64 + coef[2] * y as f64 / h as f64;
    let smooth = box3(&b.v, w, h);
    let smoother = box3(&smooth, w, h);
    let mask: Vec<bool> = (0..w * h)
        .map(|i| {
            let p = plane(i % w, i / w);
            f64::from(smooth[i]) - p < -dark_share * p || f64::from(smoother[i]) - p > light
        })
        .collect();
    let opened = dilate(&erode(&mask, w, h, stroke), w, h, stroke);
    let (labels, comps) = components(&opened, w, h);
    // Per piece: its summed luma and the fitted light's under it.
    let mut sums = vec![(0.0f64, 0.0f64); comps.len() + 1];
    for (i, &l) in labels.iter().enumerate() {
        if l != 0 {
            let e = &mut sums[l as usize];
            e.0 += f64::from(b.v[i]);
            e.1 += plane(i % w, i / w);
        }
    }
    // The share of print in a piece's box, a stroke in from its left and
    // right (the piece itself holds none: print is never lighter than the
    // light; the line runs on either side of a label, not under it).
    let print_share = |c: &Comp| {
        let k = stroke + 1;
        let (mut ink, mut n) = (0usize, 0usize);
        for y in c.y0..c.y1 {
            for x in c.x0 + k..c.x1.saturating_sub(k) {
                n += 1;
                ink += usize::from(f64::from(b.v[y * w + x]) < INK_SHARE * plane(x, y));
            }
        }
        ink as f64 / n.max(1) as f64
    };
    // A shadow falling across the card (a phone's, a hand's) is a darker
    // piece spanning the band's height from one of its ends, still over
    // half the light; an object that comes in from beyond the card is found
    // on its margin ring (`card::margin_objects`), so such a piece is not
    // taken for one here.
    let shadow = |c: &Comp| {
        let (v, light) = sums[c.label as usize];
        let sides = usize::from(c.y0 == 0) + usize::from(c.y1 == h) + usize::from(c.x0 == 0) + usize::from(c.x1 == w);
        if v >= light {
            // Lighter: a label hides the print and ends in a step; the lit
            // side of a shadow that falls across the band shows it, or runs
            // to the band's edges; glare fades out.
            sides >= 2
                || print_share(c) >= PRINT_SHOWS
                || edge_step(b, &smooth, &labels, c, &|x, y| plane(x, y)) < LABEL_EDGE
        } else {
            c.y0 == 0 && c.y1 == h && (c.x0 == 0 || c.x1 == w) && v >= SHADOW_SHARE * light
        }
    };
    let Some(big) = comps.iter().filter(|c| !shadow(c)).max_by_key(|c| c.area) else {
        return (0.0, [0.0; 4]);
    };
    let (ox, oy) = b.origin;
    let (sx, sy) = b.share_per_px;
    (
        big.area as f64 / (w * h) as f64,
        [
            ox + big.x0 as f64 * sx,
            oy + big.y0 as f64 * sy,
            ox + big.x1 as f64 * sx,
            oy + big.y1 as f64 * sy,
        ],
    )
}

/// How sharply a lighter piece ends: the median excess over the light of
/// its outer 2 px, less the upper quartile of the paper 2–5 px outside it,
/// both away from print, as a share of the piece's median excess. A piece
/// with no such rim (print or the band's edges all round) gives 0: no step
/// seen, so not a label.
fn edge_step(b: &Band, smooth: &[f32], labels: &[u32], c: &Comp, plane: &dyn Fn(usize, usize) -> f64) -> f64 {
    const OUT: usize = 5;
    let (x0, y0) = (c.x0.saturating_sub(OUT + 1), c.y0.saturating_sub(OUT + 1));
    let (x1, y1) = ((c.x1 + OUT + 1).min(b.w), (c.y1 + OUT + 1).min(b.h));
    let (lw, lh) = (x1 - x0, y1 - y0);
    let piece: Vec<bool> = (0..lw * lh)
        .map(|i| labels[(y0 + i / lw) * b.w + x0 + i % lw] == c.label)
        .collect();
    // Where the piece meets print (the text line cut by a label, or
    // cutting a glare spot in two) the step is the print's; only the rim
    // along clean paper counts.
    let ink: Vec<bool> = (0..lw * lh)
        .map(|i| {
            let (x, y) = (x0 + i % lw, y0 + i / lw);
            f64::from(b.v[y * b.w + x]) < NEAR_INK * plane(x, y)
        })
        .collect();
    let near_ink = dilate(&ink, lw, lh, OUT);
    let inner = erode(&piece, lw, lh, 2);
    let near = dilate(&piece, lw, lh, 2);
    let far = dilate(&piece, lw, lh, OUT);
    let (mut all, mut rim, mut out) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..lw * lh {
        let (x, y) = (x0 + i % lw, y0 + i / lw);
        let p = plane(x, y);
        let v = f64::from(smooth[y * b.w + x]);
        if piece[i] {
            all.push(v - p);
        }
        if near_ink[i] {
            continue;
        }
        if piece[i] {
            // The band's own edges cut the piece; they are not its rim.
            if !inner[i] && (2..b.w.saturating_sub(2)).contains(&x) && (2..b.h.saturating_sub(2)).contains(&y) {
                rim.push(v - p);
            }
        } else if far[i] && !near[i] {
            out.push(v - p);
        }
    }
    let at = |v: &mut Vec<f64>, q: f64| {
        v.sort_by(f64::total_cmp);
        v.get(((v.len() as f64 - 1.0) * q).round() as usize).copied()
    };
    match (at(&mut all, 0.5), at(&mut rim, 0.5), at(&mut out, 0.75)) {
        (Some(top), Some(rim), Some(out)) if top > 0.0 => (rim - out) / top,
        _ => 0.0,
    }
}

/// 3 × 3 mean (edges averaged over the pixels inside).
fn box3(v: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut rows = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (a, e) = (x.saturating_sub(1), (x + 2).min(w));
            rows[y * w + x] = v[y * w + a..y * w + e].iter().sum::<f32>() / (e - a) as f32;
        }
    }
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        let (a, e) = (y.saturating_sub(1), (y + 2).min(h));
        for x in 0..w {
            out[y * w + x] = (a..e).map(|k| rows[k * w + x]).sum::<f32>() / (e - a) as f32;
        }
    }
    out
}

/// Square erosion (all set within `r`), rows then columns.
fn erode(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    morph(mask, w, h, r, true)
}

/// Square dilation (any set within `r`).
fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    morph(mask, w, h, r, false)
}

fn morph(mask: &[bool], w: usize, h: usize, r: usize, all: bool) -> Vec<bool> {
    // Running counts of set pixels in the window, rows then columns.
    let pass = |src: &[bool], horizontal: bool| -> Vec<bool> {
        let (n, lines) = if horizontal { (w, h) } else { (h, w) };
        let at = |line: usize, i: usize| if horizontal { line * w + i } else { i * w + line };
        let mut out = vec![false; w * h];
        for line in 0..lines {
            let mut count = 0usize;
            let mut len = 0usize;
            // Window [i - r, i + r] clipped; outside counts as unset.
            for i in 0..(r + 1).min(n) {
                count += usize::from(src[at(line, i)]);
                len += 1;
            }
            for i in 0..n {
                let full = 2 * r + 1;
                out[at(line, i)] = if all { count == full && len == full } else { count > 0 };
                if i + r + 1 < n {
                    count += usize::from(src[at(line, i + r + 1)]);
                    len += 1;
                }
                if i >= r {
                    count -= usize::from(src[at(line, i - r)]);
                    len -= 1;
                }
            }
        }
        out
    };
    pass(&pass(mask, true), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_max_equals_the_plain_window_max() {
        // Lengths that end inside a block and on a block's end (98 = 14 * 7).
        for (n, r) in [97, 98, 1]
            .into_iter()
            .flat_map(|n| [0, 1, 3, 10, 60, 200].map(|r| (n, r)))
        {
            let v: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32).collect();
            let mut out = vec![0.0; v.len()];
            running_max(&v, r, &mut out);
            for (i, got) in out.iter().enumerate() {
                let (s, e) = (i.saturating_sub(r), (i + r + 1).min(v.len()));
                let want = v[s..e].iter().copied().fold(f32::MIN, f32::max);
                assert_eq!(*got, want, "n {n} r {r} at {i}");
            }
        }
    }

    /// A validity band, 520 × 100 px: pale card, a line of digit-like
    /// bars in its middle rows from x 40 to 300.
    fn band(f: &dyn Fn(usize, usize, f32) -> f32) -> Band {
        let (w, h) = (520, 100);
        let v = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let ink = (40..300).contains(&x) && (35..56).contains(&y) && (x % 13) < 3;
                f(x, y, if ink { 30.0 } else { 228.0 })
            })
            .collect();
        Band {
            w,
            h,
            v,
            origin: (0.36, 0.78),
            share_per_px: (0.001, 0.002),
        }
    }

    #[test]
    fn a_shadow_across_the_band_is_not_a_cover_and_a_label_is() {
        let shade = |x: usize, y: usize| if x + y / 2 > 200 { 0.65 } else { 1.0 };
        // A phone's shadow over the right of the band: neither its dark
        // side nor the lit side beside it is something lying on the card.
        let occ = |f: &dyn Fn(usize, usize, f32) -> f32| occlusion(&band(f), 5, 0.25, 6.0);
        let (f, _) = occ(&|x, y, v| v * shade(x, y));
        assert!(f < 0.06, "{f}");
        // A white label (247, under the clipping that is glare) over part of
        // the digits hides their print.
        let (f, b) = occ(&|x, y, v| {
            if (120..220).contains(&x) && (25..70).contains(&y) {
                247.0
            } else {
                v
            }
        });
        assert!(f >= 0.06, "{f}");
        assert!((b[0] - 0.48).abs() < 0.01, "{b:?}");
        // A finger-toned blob in the middle, under the same shadow rule,
        // stays a cover.
        let (f, _) = occ(&|x, y, v| {
            if (150..230).contains(&x) && (20..90).contains(&y) {
                150.0
            } else {
                v
            }
        });
        assert!(f >= 0.06, "{f}");
    }

    /// Uniform noise of ±`a` levels, the same for a pixel every run.
    fn noise(x: usize, y: usize, a: f32) -> f32 {
        let h = ((x as u64 * 73_856_093) ^ (y as u64 * 19_349_663)).wrapping_mul(2_654_435_761) % 10_007;
        (h as f32 / 10_007.0 * 2.0 - 1.0) * a
    }

    #[test]
    fn glare_fades_out_and_a_label_ends_in_a_step() {
        let occ = |f: &dyn Fn(usize, usize, f32) -> f32| occlusion(&band(f), 5, 0.25, 6.0);
        // A lamp's reflection over the digits, blown out in its middle:
        // glare (its own check), not something lying on the card.
        let (f, _) = occ(&|x, y, v| {
            let d2 = (x as f32 - 170.0).powi(2) + (y as f32 - 45.0).powi(2);
            (v + 70.0 * (-d2 / (2.0 * 40.0f32.powi(2))).exp()).min(255.0)
        });
        assert!(f < 0.06, "{f}");
        // In dim light (0.56 of it) with ±6 levels of sensor noise, a white
        // label is only about 10 levels over the card, yet a cover.
        let (f, b) = occ(&|x, y, v| {
            let label = (120..220).contains(&x) && (25..70).contains(&y);
            0.56 * if label { 247.0 } else { v } + noise(x, y, 6.0)
        });
        assert!(f >= 0.06, "{f}");
        assert!((b[0] - 0.48).abs() < 0.01, "{b:?}");
        // A coffee stain in the same light keeps 0.65 of it: 45 levels
        // darker in full light, 45 × 0.56 here.
        let (f, _) = occ(&|x, y, v| {
            let stain = (x as f32 - 170.0).powi(2) + ((y as f32 - 45.0) * 1.3).powi(2) < 50.0f32.powi(2);
            0.56 * if stain { 0.65 * v } else { v } + noise(x, y, 6.0)
        });
        assert!(f >= 0.06, "{f}");
    }

    #[test]
    fn grammars_have_their_lengths() {
        assert_eq!(number_grammar()[0].len(), 18);
        let v = validity_grammar();
        assert_eq!((v[0].len(), v[1].len()), (21, 13));
    }
}

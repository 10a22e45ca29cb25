//! A small classifier for the few characters printed on an ID card's
//! number and validity lines (digits, `X`, `.`, `-`, 长期, and the 出生 /
//! 性别 values' 年月日男女): features of one glyph (its ink resampled to a
//! fixed box, histograms of gradient orientation, its size and place on the
//! line) into a one-hidden-layer network. The weights are data in
//! `models/idcard-glyphs.bin`, trained by `examples/train_glyphs.rs` on
//! glyphs drawn from fonts (models/README.md), never fetched.

use std::sync::OnceLock;

/// Width and height of the box a glyph's ink is resampled into.
pub const BOX_W: usize = 16;
pub const BOX_H: usize = 24;
const CELL: usize = 4;
const BINS: usize = 8;
const GEOMETRY: usize = 6;
/// Length of a feature vector.
pub const N_FEATURES: usize = BOX_W * BOX_H + (BOX_W / CELL) * (BOX_H / CELL) * BINS + GEOMETRY;

/// One glyph cut from a text line: its ink (0 = paper, 1 = ink) over its
/// tight box, and where the box lies against the line's digit height.
#[derive(Debug, Clone)]
pub struct Patch {
    pub ink: Vec<f32>,
    pub w: usize,
    pub h: usize,
    /// The box's top below the line's top, in px.
    pub top: f32,
    /// The line's digit height in px.
    pub line_h: f32,
}

/// The feature vector of `p` (length [`N_FEATURES`]).
pub fn features(p: &Patch) -> Vec<f32> {
    let mut f = Vec::with_capacity(N_FEATURES);
    // The ink resampled into the box, aspect kept, centred; each output
    // pixel averages the source pixels it covers.
    let s = (p.w as f32 / BOX_W as f32).max(p.h as f32 / BOX_H as f32).max(1e-3);
    let (gw, gh) = (p.w as f32 / s, p.h as f32 / s);
    let (ox, oy) = ((BOX_W as f32 - gw) / 2.0, (BOX_H as f32 - gh) / 2.0);
    let mut boxed = [0.0f32; BOX_W * BOX_H];
    for (by, row) in boxed.chunks_exact_mut(BOX_W).enumerate() {
        for (bx, out) in row.iter_mut().enumerate() {
            let (x0, x1) = ((bx as f32 - ox) * s, (bx as f32 + 1.0 - ox) * s);
            let (y0, y1) = ((by as f32 - oy) * s, (by as f32 + 1.0 - oy) * s);
            *out = area_mean(p, x0, y0, x1, y1);
        }
    }
    f.extend_from_slice(&boxed);
    // Gradient orientations (signed, 8 bins) per 4 x 4 cell, the whole
    // histogram scaled to unit length so that contrast does not matter.
    let at = |x: isize, y: isize| -> f32 {
        if x < 0 || y < 0 || x >= BOX_W as isize || y >= BOX_H as isize {
            0.0
        } else {
            boxed[y as usize * BOX_W + x as usize]
        }
    };
    let start = f.len();
    f.resize(start + (BOX_W / CELL) * (BOX_H / CELL) * BINS, 0.0);
    for y in 0..BOX_H as isize {
        for x in 0..BOX_W as isize {
            let gx = at(x + 1, y) - at(x - 1, y);
            let gy = at(x, y + 1) - at(x, y - 1);
            let m = (gx * gx + gy * gy).sqrt();
            if m < 1e-4 {
                continue;
            }
            let a = gy.atan2(gx) + std::f32::consts::PI;
            let bin = ((a / (2.0 * std::f32::consts::PI) * BINS as f32) as usize).min(BINS - 1);
            let cell = (y as usize / CELL) * (BOX_W / CELL) + x as usize / CELL;
            f[start + cell * BINS + bin] += m;
        }
    }
    let norm = f[start..].iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-3);
    for v in &mut f[start..] {
        *v /= norm;
    }
    // Size and place on the line: what tells `.` from `-` from a digit, and
    // a tall 长 from a digit.
    let lh = p.line_h.max(1.0);
    let ink: f32 = p.ink.iter().sum::<f32>() / (p.w * p.h).max(1) as f32;
    f.extend_from_slice(&[
        p.w as f32 / lh,
        p.h as f32 / lh,
        p.top / lh,
        (p.top + p.h as f32) / lh,
        (p.w as f32 / p.h.max(1) as f32).min(4.0) / 2.0,
        ink,
    ]);
    f
}

/// Mean of the patch's ink over the source rectangle (px, may reach
/// outside the patch, which counts as paper).
fn area_mean(p: &Patch, x0: f32, y0: f32, x1: f32, y1: f32) -> f32 {
    let (mut sum, mut area) = (0.0f32, 0.0f32);
    let (ys, ye) = (y0.floor().max(0.0) as usize, (y1.ceil().max(0.0) as usize).min(p.h));
    let (xs, xe) = (x0.floor().max(0.0) as usize, (x1.ceil().max(0.0) as usize).min(p.w));
    for y in ys..ye {
        let wy = (y1.min(y as f32 + 1.0) - y0.max(y as f32)).max(0.0);
        for x in xs..xe {
            let wx = (x1.min(x as f32 + 1.0) - x0.max(x as f32)).max(0.0);
            sum += p.ink[y * p.w + x] * wx * wy;
        }
    }
    area += (x1 - x0) * (y1 - y0);
    if area > 0.0 {
        sum / area
    } else {
        0.0
    }
}

/// The network: inputs standardised, one ReLU layer, softmax over
/// [`Model::classes`].
#[derive(Debug, Clone)]
pub struct Model {
    pub classes: Vec<char>,
    pub n_hidden: usize,
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
}

const MAGIC: &[u8; 8] = b"PSGLYPH1";

impl Model {
    /// The model shipped in the binary; `None` if its bytes do not read.
    pub fn embedded() -> Option<&'static Model> {
        static MODEL: OnceLock<Option<Model>> = OnceLock::new();
        MODEL
            .get_or_init(|| Model::from_bytes(include_bytes!("../../models/idcard-glyphs.bin")))
            .as_ref()
    }

    /// Class probabilities of one feature vector.
    pub fn probabilities(&self, f: &[f32]) -> Vec<f32> {
        let n_in = self.mean.len();
        let mut x = vec![0.0f32; n_in];
        for (i, v) in x.iter_mut().enumerate() {
            *v = (f.get(i).copied().unwrap_or(0.0) - self.mean[i]) * self.inv_std[i];
        }
        let mut hidden = self.b1.clone();
        for (j, h) in hidden.iter_mut().enumerate() {
            let w = &self.w1[j * n_in..(j + 1) * n_in];
            *h += w.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>();
            *h = h.max(0.0);
        }
        let mut out = self.b2.clone();
        for (k, o) in out.iter_mut().enumerate() {
            let w = &self.w2[k * self.n_hidden..(k + 1) * self.n_hidden];
            *o += w.iter().zip(&hidden).map(|(a, b)| a * b).sum::<f32>();
        }
        softmax(&mut out);
        out
    }

    /// The model as bytes (the format [`Model::from_bytes`] reads).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        let classes: String = self.classes.iter().collect();
        for n in [self.mean.len(), self.n_hidden, self.classes.len(), classes.len()] {
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
        b.extend_from_slice(classes.as_bytes());
        for v in [&self.mean, &self.inv_std, &self.w1, &self.b1, &self.w2, &self.b2] {
            for x in v.iter() {
                b.extend_from_slice(&x.to_le_bytes());
            }
        }
        b
    }

    /// Reads [`Model::to_bytes`]' format; `None` when anything is off.
    pub fn from_bytes(b: &[u8]) -> Option<Model> {
        let rest = b.strip_prefix(MAGIC)?;
        let u = |i: usize| -> Option<usize> {
            Some(u32::from_le_bytes(rest.get(i * 4..i * 4 + 4)?.try_into().ok()?) as usize)
        };
        let (n_in, n_hidden, n_out, text_len) = (u(0)?, u(1)?, u(2)?, u(3)?);
        if n_in != N_FEATURES || n_hidden == 0 || n_hidden > 4096 || n_out == 0 || n_out > 256 {
            return None;
        }
        let text = std::str::from_utf8(rest.get(16..16 + text_len)?).ok()?;
        let classes: Vec<char> = text.chars().collect();
        if classes.len() != n_out {
            return None;
        }
        let mut at = 16 + text_len;
        let mut take = |n: usize| -> Option<Vec<f32>> {
            let bytes = rest.get(at..at + n * 4)?;
            at += n * 4;
            Some(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        };
        let model = Model {
            mean: take(n_in)?,
            inv_std: take(n_in)?,
            w1: take(n_hidden * n_in)?,
            b1: take(n_hidden)?,
            w2: take(n_out * n_hidden)?,
            b2: take(n_out)?,
            classes,
            n_hidden,
        };
        (at == rest.len()).then_some(model)
    }
}

/// In-place softmax.
pub fn softmax(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        s += *x;
    }
    for x in v.iter_mut() {
        *x /= s.max(1e-30);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_reads_and_round_trips() {
        let m = Model::embedded().expect("models/idcard-glyphs.bin reads");
        assert!(m.classes.contains(&'0') && m.classes.contains(&'长'));
        let again = Model::from_bytes(&m.to_bytes()).expect("round trip");
        assert_eq!(again.w2, m.w2);
        // Cut short or with a byte more, it is refused.
        let b = m.to_bytes();
        assert!(Model::from_bytes(&b[..b.len() - 1]).is_none());
        assert!(Model::from_bytes(&[b.as_slice(), &[0]].concat()).is_none());
    }

    #[test]
    fn features_have_their_length_for_any_patch() {
        for (w, h) in [(1, 1), (3, 40), (40, 3), (20, 30)] {
            let p = Patch {
                ink: vec![1.0; w * h],
                w,
                h,
                top: 0.0,
                line_h: 30.0,
            };
            let f = features(&p);
            assert_eq!(f.len(), N_FEATURES);
            assert!(f.iter().all(|v| v.is_finite()));
        }
    }
}

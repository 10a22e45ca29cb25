//! An evaluator for OpenCV's boosted LBP cascades (the XML written by
//! `opencv_traincascade`: stumps over multi-block LBP features), used for
//! face detection. Like OpenCV's `detectMultiScale`, it scans an image
//! pyramid with the cascade's own window at every pixel and groups the
//! hits; unlike it, the first stages run over a whole row of windows at once.

use image::GrayImage;

/// A cascade parsed from its XML, ready to scan.
#[derive(Debug, Clone)]
pub struct Cascade {
    window: (u32, u32),
    /// Feature rectangles: the top-left cell at (x, y), each cell w × h.
    features: Vec<[u32; 4]>,
    stages: Vec<Stage>,
    weak: Vec<Weak>,
}

#[derive(Debug, Clone)]
struct Stage {
    threshold: f32,
    weak: std::ops::Range<usize>,
}

/// A stump over one feature: the 256 LBP codes split into two sets.
#[derive(Debug, Clone)]
struct Weak {
    feature: usize,
    subset: [u32; 8],
    /// Added when the code is in `subset`, and when it is not.
    inside: f32,
    outside: f32,
}

/// How a scan runs.
#[derive(Debug, Clone, Copy)]
pub struct Scan {
    /// Each scale's window is this much larger than the previous one.
    pub scale_factor: f64,
    /// Raw hits a detection needs around it (OpenCV's `minNeighbors`).
    pub min_neighbours: usize,
}

/// A grouped detection: the mean of its raw hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// How many raw hits were grouped into it: the detector's confidence.
    pub neighbours: usize,
}

fn numbers<T: std::str::FromStr>(node: roxmltree::Node) -> Result<Vec<T>, String> {
    node.text()
        .unwrap_or("")
        .split_whitespace()
        .map(|t| t.parse().map_err(|_| format!("not a number: {t:?}")))
        .collect()
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Result<roxmltree::Node<'a, 'i>, String> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .ok_or_else(|| format!("<{}> has no <{name}>", node.tag_name().name()))
}

fn items<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children().filter(|c| c.has_tag_name("_"))
}

fn one<T: std::str::FromStr + Copy>(node: roxmltree::Node, name: &str) -> Result<T, String> {
    numbers::<T>(child(node, name)?)?
        .first()
        .copied()
        .ok_or_else(|| format!("<{name}> is empty"))
}

impl Cascade {
    /// Parses an OpenCV cascade of LBP stumps; other kinds are refused.
    pub fn from_xml(text: &str) -> Result<Cascade, String> {
        let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
        let cascade = doc
            .descendants()
            .find(|n| n.has_tag_name("cascade"))
            .ok_or("no <cascade>")?;
        let kind = child(cascade, "featureType")?.text().unwrap_or("").trim();
        if kind != "LBP" {
            return Err(format!("feature type {kind:?}, only LBP is supported"));
        }
        let window = (one(cascade, "width")?, one(cascade, "height")?);
        let mut features = Vec::new();
        for f in items(child(cascade, "features")?) {
            let r: Vec<u32> = numbers(child(f, "rect")?)?;
            let [x, y, w, h] = r[..] else {
                return Err("a feature rect needs 4 numbers".into());
            };
            if w == 0 || h == 0 || x + 3 * w > window.0 || y + 3 * h > window.1 {
                return Err(format!("feature {x} {y} {w} {h} outside the window"));
            }
            features.push([x, y, w, h]);
        }
        let (mut stages, mut weak) = (Vec::new(), Vec::new());
        for s in items(child(cascade, "stages")?) {
            let first = weak.len();
            for w in items(child(s, "weakClassifiers")?) {
                let nodes: Vec<i64> = numbers(child(w, "internalNodes")?)?;
                let leaves: Vec<f32> = numbers(child(w, "leafValues")?)?;
                // A stump: left, right, feature, then the 8-word category set.
                let ([_, _, feature, set @ ..], [inside, outside]) = (&nodes[..], &leaves[..]) else {
                    return Err("only single-split LBP stumps are supported".into());
                };
                let feature = usize::try_from(*feature).map_err(|_| "negative feature index")?;
                if feature >= features.len() || set.len() != 8 {
                    return Err(format!("bad stump over feature {feature}"));
                }
                let mut subset = [0u32; 8];
                for (dst, src) in subset.iter_mut().zip(set) {
                    // The words are written as signed 32-bit integers.
                    *dst = *src as i32 as u32;
                }
                weak.push(Weak {
                    feature,
                    subset,
                    inside: *inside,
                    outside: *outside,
                });
            }
            stages.push(Stage {
                threshold: one(s, "stageThreshold")?,
                weak: first..weak.len(),
            });
        }
        if stages.is_empty() {
            return Err("no stages".into());
        }
        Ok(Cascade {
            window,
            features,
            stages,
            weak,
        })
    }

    /// The cascade's own window, width × height.
    pub fn window(&self) -> (u32, u32) {
        self.window
    }

    /// Scans `gray` at every scale from the cascade's own window up to the
    /// whole image and groups the hits as OpenCV's `detectMultiScale` does; largest first.
    pub fn detect(&self, gray: &GrayImage, scan: &Scan) -> Vec<Detection> {
        let (w, h) = gray.dimensions();
        let (win_w, win_h) = (f64::from(self.window.0), f64::from(self.window.1));
        let mut hits = Vec::new();
        let mut s = 1.0;
        let largest = f64::from(w.min(h));
        while s * win_w <= largest + 0.5 {
            // As OpenCV does: the image is resized for each scale and the
            // cascade keeps its own size (scaled features distort as they
            // round).
            let (lw, lh) = ((f64::from(w) / s).round() as u32, (f64::from(h) / s).round() as u32);
            if lw < self.window.0 || lh < self.window.1 {
                break;
            }
            let level = resize_linear(gray, lw, lh);
            let ii = integral(&level);
            let stride = lw as usize + 1;
            // Each stump with its feature's corner offsets at this level, in
            // cascade order, so the scan reads one flat array front to back.
            let stumps: Vec<Stump> = self
                .weak
                .iter()
                .map(|weak| {
                    let [x, y, cw, ch] = self.features[weak.feature];
                    let row = stride as u32;
                    Stump {
                        corners: std::array::from_fn(|k| (y + (k as u32 / 4) * ch) * row + x + (k as u32 % 4) * cw),
                        subset: weak.subset,
                        inside: weak.inside,
                        outside: weak.outside,
                    }
                })
                .collect();
            // Every window position of a row at once for the first stages
            // (contiguous reads the compiler vectorises; each stage was
            // trained to pass at most half of the non-faces), then the
            // survivors one by one.
            let nx = (lw - self.window.0) as usize + 1;
            let early = self.stages.len().min(ROW_STAGES);
            let (mut codes, mut sums, mut alive) = (vec![0u8; nx], vec![0f32; nx], vec![true; nx]);
            for y in 0..=(lh - self.window.1) as usize {
                let row = y * stride;
                alive.fill(true);
                for stage in &self.stages[..early] {
                    sums.fill(0.0);
                    for stump in &stumps[stage.weak.clone()] {
                        row_codes(&ii, row, &stump.corners, &mut codes);
                        for (sum, &code) in sums.iter_mut().zip(&codes) {
                            *sum += stump.leaf(code);
                        }
                    }
                    for (a, &sum) in alive.iter_mut().zip(&sums) {
                        *a &= sum >= stage.threshold;
                    }
                }
                for x in (0..nx).filter(|&x| alive[x]) {
                    if self.accepts(&self.stages[early..], &ii[row + x..], &stumps) {
                        hits.push([x as f64 * s, y as f64 * s, win_w * s, win_h * s]);
                    }
                }
            }
            // Never below 1.01: a factor of 1 would not end. The window moves
            // 1 pixel of each level at a time.
            s *= scan.scale_factor.max(1.01);
        }
        group(&hits, scan.min_neighbours, 0.2)
    }

    fn accepts(&self, stages: &[Stage], window: &[u32], stumps: &[Stump]) -> bool {
        stages.iter().all(|stage| {
            let sum: f32 = stumps[stage.weak.clone()]
                .iter()
                .map(|stump| stump.leaf(lbp(window, &stump.corners)))
                .sum();
            sum >= stage.threshold
        })
    }
}

/// Stages evaluated a whole row at a time.
const ROW_STAGES: usize = 2;

/// A stump with its feature placed at one pyramid level.
struct Stump {
    corners: [u32; 16],
    subset: [u32; 8],
    inside: f32,
    outside: f32,
}

impl Stump {
    #[inline]
    fn leaf(&self, code: u8) -> f32 {
        if self.subset[usize::from(code >> 5)] & (1 << (code & 31)) != 0 {
            self.inside
        } else {
            self.outside
        }
    }
}

/// The LBP codes of one stump for every window of a row: `out[x]` for the
/// window whose top-left corner is at `row + x`.
fn row_codes(ii: &[u32], row: usize, p: &[u32; 16], out: &mut [u8]) {
    let n = out.len();
    let c: [&[u32]; 16] = std::array::from_fn(|k| &ii[row + p[k] as usize..][..n]);
    for (x, code) in out.iter_mut().enumerate() {
        *code = lbp_code(|k| c[k][x]);
    }
}

/// Bilinear resize with OpenCV's pixel-centre convention, in 11-bit fixed
/// point.
pub(crate) fn resize_linear(src: &GrayImage, w: u32, h: u32) -> GrayImage {
    const ONE: u32 = 1 << 11;
    let (sw, sh) = src.dimensions();
    if (sw, sh) == (w, h) || sw == 0 || sh == 0 {
        return src.clone();
    }
    let map = |d: u32, from: u32, to: u32| -> (usize, usize, u32) {
        let f = ((f64::from(d) + 0.5) * f64::from(from) / f64::from(to) - 0.5).max(0.0);
        let i = (f as u32).min(from - 1);
        let frac = ((f - f64::from(i)).min(1.0) * f64::from(ONE)) as u32;
        (i as usize, (i + 1).min(from - 1) as usize, frac)
    };
    let xs: Vec<_> = (0..w).map(|x| map(x, sw, w)).collect();
    let raw = src.as_raw();
    let stride = sw as usize;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h {
        let (y0, y1, fy) = map(y, sh, h);
        let (r0, r1) = (&raw[y0 * stride..][..stride], &raw[y1 * stride..][..stride]);
        for &(x0, x1, fx) in &xs {
            let top = u32::from(r0[x0]) * (ONE - fx) + u32::from(r0[x1]) * fx;
            let bottom = u32::from(r1[x0]) * (ONE - fx) + u32::from(r1[x1]) * fx;
            let v = (top * (ONE - fy) + bottom * fy + (ONE * ONE / 2)) >> 22;
            out.push(v as u8);
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_default()
}

/// The integral image, one row and one column larger than `gray`.
fn integral(gray: &GrayImage) -> Vec<u32> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let stride = w + 1;
    let mut ii = vec![0u32; stride * (h + 1)];
    for (y, row) in gray.as_raw().chunks_exact(w.max(1)).take(h).enumerate() {
        let mut run = 0u32;
        for (x, &v) in row.iter().enumerate() {
            // u32 sums wrap past 16 M pixels; differences of them stay exact
            // for any box of fewer pixels, which every window is.
            run = run.wrapping_add(u32::from(v));
            ii[(y + 1) * stride + x + 1] = ii[y * stride + x + 1].wrapping_add(run);
        }
    }
    ii
}

/// The multi-block LBP code of the window at `window[0]`, its feature's 16
/// corners at `window[p[k]]`.
#[inline]
fn lbp(window: &[u32], p: &[u32; 16]) -> u8 {
    lbp_code(|k| window[p[k] as usize])
}

/// The multi-block LBP code of a 3 × 3 grid of cells given the integral
/// image at its 16 corners (`at(k)`, row by row): one bit per outer cell,
/// set when its sum is at least the centre's, clockwise from the top-left
/// (OpenCV's bit order).
#[inline(always)]
fn lbp_code(at: impl Fn(usize) -> u32) -> u8 {
    let cell =
        |a: usize, b: usize, c: usize, d: usize| at(a).wrapping_add(at(d)).wrapping_sub(at(b)).wrapping_sub(at(c));
    let centre = cell(5, 6, 9, 10);
    let bit = |sum: u32, value: u8| if sum >= centre { value } else { 0 };
    bit(cell(0, 1, 4, 5), 128)
        | bit(cell(1, 2, 5, 6), 64)
        | bit(cell(2, 3, 6, 7), 32)
        | bit(cell(6, 7, 10, 11), 16)
        | bit(cell(10, 11, 14, 15), 8)
        | bit(cell(9, 10, 13, 14), 4)
        | bit(cell(8, 9, 12, 13), 2)
        | bit(cell(4, 5, 8, 9), 1)
}

/// OpenCV's `groupRectangles`: hits whose edges all lie within `eps` of the
/// smaller box are one class; classes with more than `min_neighbours` hits
/// are kept, averaged, unless they sit inside a stronger class or overlap
/// another by half.
fn group(hits: &[[f64; 4]], min_neighbours: usize, eps: f64) -> Vec<Detection> {
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..hits.len() {
        for j in i + 1..hits.len() {
            let (a, b) = (hits[i], hits[j]);
            let delta = eps * (a[2].min(b[2]) + a[3].min(b[3])) * 0.5;
            let similar = (a[0] - b[0]).abs() <= delta
                && (a[1] - b[1]).abs() <= delta
                && (a[0] + a[2] - b[0] - b[2]).abs() <= delta
                && (a[1] + a[3] - b[1] - b[3]).abs() <= delta;
            if similar {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri] = rj;
            }
        }
    }
    let mut classes: std::collections::BTreeMap<usize, ([f64; 4], usize)> = Default::default();
    for (i, hit) in hits.iter().enumerate() {
        let entry = classes.entry(root(&mut parent, i)).or_insert(([0.0; 4], 0));
        for (sum, v) in entry.0.iter_mut().zip(hit) {
            *sum += v;
        }
        entry.1 += 1;
    }
    let mean: Vec<Detection> = classes
        .values()
        .filter(|(_, n)| *n > min_neighbours)
        .map(|(sum, n)| {
            let k = *n as f64;
            Detection {
                x: sum[0] / k,
                y: sum[1] / k,
                width: sum[2] / k,
                height: sum[3] / k,
                neighbours: *n,
            }
        })
        .collect();
    let mut kept: Vec<Detection> = mean
        .iter()
        .filter(|a| {
            !mean.iter().any(|b| {
                let (dx, dy) = (b.width * eps, b.height * eps);
                !std::ptr::eq(*a, b)
                    && a.x >= b.x - dx
                    && a.y >= b.y - dy
                    && a.x + a.width <= b.x + b.width + dx
                    && a.y + a.height <= b.y + b.height + dy
                    && (b.neighbours > a.neighbours.max(3) || a.neighbours < 3)
            })
        })
        .copied()
        .collect();
    // A box mostly inside another is the same face seen at two scales (two
    // faces do not overlap by half): the one with more hits stays.
    kept.sort_by(|a, b| {
        b.neighbours
            .cmp(&a.neighbours)
            .then((b.width * b.height).total_cmp(&(a.width * a.height)))
    });
    let mut faces: Vec<Detection> = Vec::new();
    for d in kept {
        if !faces
            .iter()
            .any(|f| overlap(&d, f) >= 0.5 * (d.width * d.height).min(f.width * f.height))
        {
            faces.push(d);
        }
    }
    faces.sort_by(|a, b| (b.width * b.height).total_cmp(&(a.width * a.height)));
    faces
}

fn overlap(a: &Detection, b: &Detection) -> f64 {
    let w = (a.x + a.width).min(b.x + b.width) - a.x.max(b.x);
    let h = (a.y + a.height).min(b.y + b.height) - a.y.max(b.y);
    w.max(0.0) * h.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lbp_code_follows_opencv_bit_order() {
        // Cells of 1 px: the centre is 100; brighter cells set their bits.
        let values = [200, 0, 200, 0, 100, 0, 200, 0, 200];
        let gray = GrayImage::from_fn(3, 3, |x, y| image::Luma([values[(y * 3 + x) as usize]]));
        let ii = integral(&gray);
        let p: [u32; 16] = std::array::from_fn(|k| (k as u32 / 4) * 4 + k as u32 % 4);
        // Corners set: top-left 128, top-right 32, bottom-right 8, bottom-left 2.
        assert_eq!(lbp(&ii, &p), 128 | 32 | 8 | 2);
    }

    #[test]
    fn grouping_needs_neighbours_and_averages() {
        let hits = [
            [10.0, 10.0, 24.0, 24.0],
            [11.0, 10.0, 24.0, 24.0],
            [10.0, 11.0, 26.0, 26.0],
            [100.0, 100.0, 24.0, 24.0],
        ];
        let found = group(&hits, 2, 0.2);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].neighbours, 3);
        assert!((found[0].x - 31.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn refuses_other_cascades() {
        assert!(Cascade::from_xml(
            "<opencv_storage><cascade><featureType>HAAR</featureType></cascade></opencv_storage>"
        )
        .is_err());
        assert!(Cascade::from_xml("not xml").is_err());
    }
}

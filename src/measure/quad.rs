//! Finding a flat rectangular object (an ID card, a sheet of paper) in a
//! photo as geometry, the way document scanners find a sheet: an edge map
//! (colour Sobel, thinned), straight lines from a Hough transform in which
//! every edge pixel votes only near its own gradient direction, and
//! quadrilaterals from two pairs of roughly parallel lines, each scored by
//! how well its four sides are seen (edge pixels along them), how much the
//! colour steps across them, and how close its shape, with perspective
//! undone, is to the expected one. Sides are fitted as lines, so rounded
//! card corners and a cup over a corner do not move the corners; a side
//! outside the frame is the frame's own edge, and a corner may lie outside
//! the frame (that is what "cut off" means). The object's own colour (its
//! margin or paper, just inside its sides) then settles what edges alone
//! cannot: a side with the table inside it moves to the nearby line that
//! bounds the object, and a quad of bricks run into the frame loses to the
//! card lying on them.
//!
//! It measures and never decides: the caller gets the best candidate and
//! its scores, and the checks apply the rulebook's limits.

use image::RgbImage;
use std::cell::OnceCell;

/// What the search looks for.
#[derive(Debug, Clone)]
pub struct QuadSearch {
    /// Long side / short side of the object's shapes (ID-1 1.586; A4 1.414 …).
    pub aspects: Vec<f64>,
    /// Relative tolerance of the shape prior; outside it a candidate's
    /// score falls off as a Gaussian of the excess.
    pub aspect_tolerance: f64,
    /// Smallest candidate, as a share of the frame.
    pub min_area: f64,
    /// A candidate of real lines scoring at least this is preferred to any
    /// that uses a frame edge as a side.
    pub min_score: f64,
    /// Score given to the whole frame when paper reaches every frame edge
    /// (a scanner app's crop); `None` never proposes the whole frame.
    pub full_frame_score: Option<f64>,
    /// Share of each side's ends left out of its support: a card's rounded
    /// corners (radius 3.18 of 85.6 mm), next to nothing for paper.
    pub corner_margin: f64,
    /// A side on the frame's edge scores a candidate down by this factor.
    pub frame_side_factor: f64,
    /// A corner further outside the frame than this share of the diagonal
    /// makes the object cut off (the rulebook's `cropped` limit).
    pub max_corner_outside: f64,
    /// At most this many Hough lines per 10° of direction (`None`: no cap),
    /// so that the grain of planks, all one way, leaves room for a small
    /// card's sides.
    pub lines_per_direction: Option<usize>,
}

impl QuadSearch {
    /// Whether the object is paper (a page, a certificate), which may fill
    /// the frame and has print on it: a printed rectangle is not the object
    /// and a side found on print is walked past.
    fn paper(&self) -> bool {
        self.full_frame_score.is_some()
    }
}

/// The object found.
#[derive(Debug, Clone)]
pub struct Quad {
    /// Corners in the measured image's pixels, clockwise from the one
    /// nearest the image's top-left; they may lie outside the frame.
    pub corners: [(f64, f64); 4],
    /// Overall score, 0-1: the edge score times the shape factor.
    pub score: f64,
    /// The score before the shape prior: how well the four sides are seen
    /// (mean side score, times a mild preference for larger candidates).
    pub edge_score: f64,
    /// Per side (corner i to corner i + 1): share of its visible length
    /// carried by edge pixels; 0 for a frame side.
    pub side_support: [f64; 4],
    /// Per side: mean colour step across it (8-bit RGB distance).
    pub side_contrast: [f64; 4],
    /// Per side: whether the side is the frame's edge (the object goes on
    /// beyond it).
    pub frame_side: [bool; 4],
    /// Long / short side of the object with perspective undone.
    pub aspect: f64,
    /// The quadrilateral's area inside the frame / the frame's area.
    pub area_fraction: f64,
    /// Whether this is the whole frame, proposed because paper reaches
    /// every frame edge.
    pub full_frame: bool,
}

/// The best candidate, and the best one regardless of its shape (to say
/// "something rectangular, but not card-shaped").
#[derive(Debug, Clone)]
pub struct QuadFind {
    pub best: Option<Quad>,
    pub best_any_shape: Option<Quad>,
    /// The best score seen, for `not_found` reports.
    pub best_score: f64,
}

/// Long side of the analysis copy.
const ANALYSIS_LONG: u32 = 400;
/// The edge threshold never asks more than this (levels a pixel): on
/// gravel the 70th percentile would drown a white card's edge on white
/// paper.
const EDGE_THRESHOLD_CAP: f32 = 3.0;
/// A line whose best stretch (support times step) is below this is no
/// side of anything …
const MIN_STRETCH: f64 = 0.06;
/// … and of the rest the best this many are paired into quadrilaterals.
const MAX_SIDES: usize = 64;
/// Hough angle bins per half turn.
const THETA_BINS: usize = 180;
/// Directions of 10° each, for `QuadSearch::lines_per_direction`.
const DIRECTION_BUCKETS: usize = 18;
/// An edge pixel votes for angles within this many bins of its gradient.
const VOTE_SPREAD: i32 = 4;
/// A phone's focal length over the image's long side: 24-28 mm equivalent
/// main cameras, cropped or not, 0.6-1.0. Perspective is undone with every
/// focal length in that range, and a shape fits when one of them fits it.
const PHONE_FOCAL: [f64; 5] = [0.6, 0.7, 0.8, 0.9, 1.0];
/// Lines kept from the Hough transform.
const MAX_LINES: usize = 64;
/// Pages: Hough lines looked at beyond `MAX_LINES` …
const EXTRA_HOUGH: usize = 64;
/// … of which at most this many join, the clearest steps …
const EXTRA_SIDES: usize = 8;
/// … whose best stretch (support times step) reaches this. Chosen once,
/// not tuned: on the four page seed sets false rejects 1/2/4/6 -> 1/2/4/3.
const EXTRA_STRETCH: f64 = 0.5;
/// Distance across a side at which the colours on either side are sampled.
const CONTRAST_OFFSET: f64 = 3.0;
/// Step between the mean colours either side of a side (8-bit RGB
/// distance, in a well-lit photo) that counts as a full edge …
const FULL_CONTRAST: f64 = 14.0;
/// … and the floor below which a step counts for nothing.
const CONTRAST_FLOOR: f64 = 2.0;

/// Share of the inside of a side moved outwards by a weaker enclosing
/// candidate that must be the object's colour: a desk's line past a curled
/// page has none (0.0), a card's own edge under a phone's shadow 0.17.
const MOVED_SIDE_INSIDE: f64 = 0.1;
/// Largest turn (degrees) between such a moved side and a side it
/// replaces: a table's rule runs along the page's edge, a tile's mortar
/// line beyond a tilted page does not.
const MOVED_SIDE_TURN: f64 = 10.0;
/// ... unless the share of its outside that is not the object's colour
/// beats the replaced side's by this much (a shadow's line across the page
/// has shadowed paper beyond it: 0.0 against the page's edge's 0.33; a
/// card's shadow line 0.07 against its edge's 0.20; a tile's mortar line
/// 0.09 against the page's edge's 0.08).
const MOVED_SIDE_CLEARER: f64 = 0.1;

/// How candidates are scored: the corner margin, the gain that brings
/// a dim photo's steps to a well-lit one's, and whether a frame side's
/// strip may match the inside once its brightness is evened (cards).
#[derive(Clone, Copy)]
struct Scoring {
    margin: f64,
    gain: f64,
    evened_strips: bool,
}
/// A side that meets the frame must carry edge pixels over at least this
/// share of its stretch next to the frame.
const FRAME_REACH: f64 = 0.5;
/// Largest colour distance (8-bit RGB) between the strip along a frame
/// side and the object's inside along its real sides.
const FRAME_STRIP_COLOUR: f64 = 30.0;
/// Brightness ratios of a card's frame strip to its inside that still
/// count as the card under a light ramp, a vignette or a phone's shadow
/// (a card cut off at the bottom under a ramp: 1.13). Pages keep the plain
/// distance: evened, a strip of grey tiles and white mortar matched a
/// page's paper, and three whole pages (two on tiles, one on a light desk
/// by a cup) went `cropped`.
const STRIP_RATIOS: std::ops::RangeInclusive<f64> = 0.8..=1.25;
/// Weight of the weakest side beside the mean of the four.
const WEAKEST_WEIGHT: f64 = 0.3;
/// The stretch of each side next to a corner whose edge pixels vouch for
/// the corner, as a share of the side (from the corner margin on).
const CORNER_WINDOW: f64 = 0.15;
/// A candidate enclosing the best one replaces it when it scores at least
/// this share of the best's score (the card, not its portrait; the page,
/// not its table).
const NEST_RATIO: f64 = 0.85;
/// An enclosing candidate that keeps two of the best's sides and is at most
/// this much larger is another guess at the same object (a phone's edge
/// just beside the card's), not an object around it: it must score better.
const NEAR_SAME_GROWTH: f64 = 1.25;
/// The score grows as the area to this power: of two equally well seen
/// rectangles the larger is the object (a card, not its portrait).
const AREA_EXPONENT: f64 = 0.2;
/// How much the corners' evidence weighs in the score.
const CORNER_WEIGHT: f64 = 0.6;
/// Evidence of a corner that lies outside the frame or on a frame side.
const UNSEEN_CORNER: f64 = 0.7;
/// A side moves to a nearby line only when that line bounds the object at
/// least this much better (see `Scene::snap_sides`) …
const SNAP_GAIN: f64 = 1.25;
/// … lies within this share of the object's size across it …
const SNAP_REACH: f64 = 0.15;
/// A side moves only when less than this share of its inside is the
/// object's colour …
const SNAP_INSIDE: f64 = 0.5;
/// … turns by at most this many degrees …
const SNAP_ANGLE: f64 = 10.0;
/// … and keeps the shape factor within this share of what it was.
const SNAP_SHAPE: f64 = 0.95;
/// Weight of the objectness when four real sides and sides on the frame
/// compete.
const OBJECTNESS_WEIGHT: f64 = 0.5;
/// … when at least one of them has this much.
const OBJECTNESS_MIN: f64 = 0.3;
/// Objectness of four real sides around one smooth colour, per share of
/// their inside that is that colour (a white card on white paper).
const UNIFORM_OBJECTNESS: f64 = 0.5;
/// A snapped candidate stands when it keeps this share of the score.
const SNAP_KEEP: f64 = 0.85;
/// Brightness change between neighbouring samples (share of the object's)
/// that makes a stretch textured rather than the object's smooth surface.
const ROUGH: f32 = 0.06;
/// Depth (analysis pixels) at which a side's inside and outside are sampled
/// against the object's own colour.
const SIDE_DEPTH: f64 = 3.0;

/// A side settles onto the object's own edge (see `settle_sides`): the walk
/// starts this many analysis pixels inside the side …
const SETTLE_DEPTH: f64 = 6.0;
/// … profiles along the side …
const SETTLE_PROFILES: usize = 32;
/// … a colour step (8-bit RGB distance from the colour at the walk's
/// start) that ends the object …
const SETTLE_STEP: f64 = 24.0;
/// … and the side moves only when the steps lie this many analysis pixels
/// inside it.
const SETTLE_MIN_SHIFT: f64 = 1.5;
/// A side on print (a table's rule, a signature line: paper beyond it)
/// shows a ridge darker than both sides by this much (8-bit levels, the
/// dim-light gain applied) along at least `PRINT_SHARE` of it: a rule is
/// 18-23 levels on the 400 px copy, a white page's shadow edge 13-15.
const PRINT_RIDGE: f64 = 15.0;
const PRINT_SHARE: f64 = 0.3;
/// Paper on both sides of a print side: median colours this close (RGB,
/// gain applied) once their brightness is evened out (a rule between rows
/// of a table 0.4-4.4; a page's shadowed edge on a light desk in warm
/// light 10.5).
const PRINT_SAME: f64 = 8.0;
/// Still the page's paper, walking out past a print side (brightness
/// evened out: a light ramp over the page).
const PAPER_SAME: f64 = 16.0;
/// The page's own edge past a print side: a step of at least this between
/// the paper and what lies beyond (RGB distance, gain applied): a form
/// over a second sheet of near the same white steps 9-15.
const PAST_PRINT_STEP: f64 = 6.0;
/// Rows (analysis px) in each window of the step test either side.
const PAST_PRINT_WINDOW: usize = 6;
/// A row's paper colour: this rank of its samples, per channel (text and
/// rules only darken a row; at the 85th percentile the rows between a
/// table's rules still differed by 3-7 levels, seed 1237).
const PAPER_RANK: f64 = 0.95;
/// A faint step at a dip this deep (levels) is a rule between two rows of
/// a table, not the page's edge …
const PAST_PRINT_DIP: f64 = 3.0;
/// … nor with more than this share of ink (`PRINT_RIDGE` darker than the
/// row's paper) in any row past it: rows of text 0.5-0.9, a second sheet
/// with a strip of desk at its ends 0.06-0.18 (seeds 1237, 1028).
const PAST_PRINT_INK: f64 = 0.2;
/// Change in the share of ink from one row to the next that is print
/// (lines of text or a table's rules: 0.07-0.3; the edge of a desk or a
/// sheet slanting through the rows: 0.01-0.02), and how many such changes
/// past the side say the page's print goes on, for the walk to conclude
/// that the page runs on into the frame's edge.
const PAST_FRAME_PRINT: f64 = 0.05;
const PAST_FRAME_JUMPS: usize = 3;
/// Rows of bare paper at most between the last print and the frame for the
/// page to run on into it (a cut form's top margin: 3-6 rows; a page's
/// margin and a white desk beyond its missed edge: 75-98 rows).
const PAST_FRAME_MARGIN: usize = 2 * PAST_PRINT_WINDOW;

/// A line `n · p = rho` in analysis pixels, with its support profiles.
#[derive(Clone)]
struct Line {
    /// Unit normal.
    n: (f64, f64),
    rho: f64,
    /// Angle of the normal, radians in [0, π).
    theta: f64,
    /// Visible part: t (along the direction (-n.1, n.0) from the foot of the
    /// normal) from t0 to t1.
    t0: f64,
    t1: f64,
    /// Prefix sums over integer t - t0 of the supported samples.
    support: Vec<f64>,
    /// Prefix sums of the colour (r, g, b, samples) CONTRAST_OFFSET to the
    /// +n side and to the -n side; for a frame line, 2 px inside the frame
    /// in `pos` only.
    pos: Vec<[f64; 4]>,
    neg: Vec<[f64; 4]>,
    frame: bool,
}

impl Line {
    fn dir(&self) -> (f64, f64) {
        (-self.n.1, self.n.0)
    }
    fn foot(&self) -> (f64, f64) {
        (self.n.0 * self.rho, self.n.1 * self.rho)
    }
    fn t_of(&self, p: (f64, f64)) -> f64 {
        let d = self.dir();
        let f = self.foot();
        (p.0 - f.0) * d.0 + (p.1 - f.1) * d.1
    }
    /// Mean colour of a prefix-summed colour profile over [ta, tb].
    fn mean_colour(&self, prefix: &[[f64; 4]], ta: f64, tb: f64) -> Option<([f64; 3], f64)> {
        let a = ta.max(self.t0);
        let b = tb.min(self.t1);
        if b - a < 1.0 || prefix.len() < 2 {
            return None;
        }
        let ia = ((a - self.t0).floor() as usize).min(prefix.len() - 1);
        let ib = ((b - self.t0).ceil() as usize).min(prefix.len() - 1);
        let n = prefix[ib][3] - prefix[ia][3];
        (n >= 1.0).then(|| ([0, 1, 2].map(|k| (prefix[ib][k] - prefix[ia][k]) / n), n))
    }

    /// Mean of a prefix-summed profile over [ta, tb] (clipped to the
    /// visible part) and the visible length.
    fn mean(&self, prefix: &[f64], ta: f64, tb: f64) -> (f64, f64) {
        let a = ta.max(self.t0);
        let b = tb.min(self.t1);
        if b - a < 1.0 || prefix.len() < 2 {
            return (0.0, 0.0);
        }
        let ia = ((a - self.t0).floor() as usize).min(prefix.len() - 1);
        let ib = ((b - self.t0).ceil() as usize).min(prefix.len() - 1);
        if ib <= ia {
            return (0.0, 0.0);
        }
        ((prefix[ib] - prefix[ia]) / (ib - ia) as f64, b - a)
    }
}

fn intersect(a: &Line, b: &Line) -> Option<(f64, f64)> {
    let det = a.n.0 * b.n.1 - a.n.1 * b.n.0;
    if det.abs() < 1e-9 {
        return None;
    }
    Some((
        (a.rho * b.n.1 - b.rho * a.n.1) / det,
        (a.n.0 * b.rho - b.n.0 * a.rho) / det,
    ))
}

/// Planar float copy of an image, lightly smoothed.
struct Planes {
    w: usize,
    h: usize,
    c: [Vec<f32>; 3],
}

impl Planes {
    fn new(img: &RgbImage) -> Planes {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let mut c = [vec![0f32; w * h], vec![0f32; w * h], vec![0f32; w * h]];
        for (i, p) in img.as_raw().chunks_exact(3).enumerate() {
            for k in 0..3 {
                c[k][i] = f32::from(p[k]);
            }
        }
        // Two [1 2 1] / 4 passes each way (a Gaussian of about one pixel)
        // calm paper grain and JPEG blocks, and steady the gradient's
        // direction on faint edges.
        for plane in &mut c {
            smooth(plane, w, h);
            smooth(plane, w, h);
        }
        Planes { w, h, c }
    }

    fn at(&self, x: f64, y: f64) -> Option<[f32; 3]> {
        if x < 0.0 || y < 0.0 || x > (self.w - 1) as f64 || y > (self.h - 1) as f64 {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let mut out = [0f32; 3];
        for (k, o) in out.iter_mut().enumerate() {
            let p = &self.c[k];
            let top = p[y0 * self.w + x0] * (1.0 - fx) + p[y0 * self.w + x1] * fx;
            let bot = p[y1 * self.w + x0] * (1.0 - fx) + p[y1 * self.w + x1] * fx;
            *o = top * (1.0 - fy) + bot * fy;
        }
        Some(out)
    }
}

fn smooth(p: &mut [f32], w: usize, h: usize) {
    if w < 3 || h < 3 {
        return;
    }
    let mut tmp = p.to_vec();
    for y in 0..h {
        let r = &p[y * w..(y + 1) * w];
        let t = &mut tmp[y * w..(y + 1) * w];
        for x in 1..w - 1 {
            t[x] = 0.25 * r[x - 1] + 0.5 * r[x] + 0.25 * r[x + 1];
        }
    }
    for y in 1..h - 1 {
        for x in 0..w {
            p[y * w + x] = 0.25 * tmp[(y - 1) * w + x] + 0.5 * tmp[y * w + x] + 0.25 * tmp[(y + 1) * w + x];
        }
    }
}

/// What brings a dim photo's colour steps to a well-lit one's: 200 over
/// the 95th percentile of the luma, 1 to 4.
fn brightness_gain(p: &Planes) -> f64 {
    let mut hist = [0u32; 256];
    for i in (0..p.w * p.h).step_by(3) {
        let y = 0.299 * p.c[0][i] + 0.587 * p.c[1][i] + 0.114 * p.c[2][i];
        hist[(y.clamp(0.0, 255.0)) as usize] += 1;
    }
    let p95 = f64::from(super::percentile(&hist, 0.95));
    (200.0 / p95.max(1.0)).clamp(1.0, 4.0)
}

/// An edge pixel: position and gradient angle (radians in [0, π)).
#[derive(Clone, Copy)]
struct Edge {
    x: f32,
    y: f32,
    theta: f32,
}

/// Colour Sobel (the strongest channel at each pixel), thinned by
/// non-maximum suppression across the edge, above an adaptive threshold.
fn edges(p: &Planes) -> Vec<Edge> {
    let (w, h) = (p.w, p.h);
    if w < 5 || h < 5 {
        return Vec::new();
    }
    let mut gx = vec![0f32; w * h];
    let mut gy = vec![0f32; w * h];
    let mut mag = vec![0f32; w * h];
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let mut best = (0f32, 0f32, 0f32);
            for c in &p.c {
                let at = |dx: isize, dy: isize| c[(y as isize + dy) as usize * w + (x as isize + dx) as usize];
                let sx = (at(1, -1) + 2.0 * at(1, 0) + at(1, 1) - at(-1, -1) - 2.0 * at(-1, 0) - at(-1, 1)) / 8.0;
                let sy = (at(-1, 1) + 2.0 * at(0, 1) + at(1, 1) - at(-1, -1) - 2.0 * at(0, -1) - at(1, -1)) / 8.0;
                let m = sx * sx + sy * sy;
                if m > best.2 {
                    best = (sx, sy, m);
                }
            }
            let i = y * w + x;
            gx[i] = best.0;
            gy[i] = best.1;
            mag[i] = best.2.sqrt();
        }
    }
    // Threshold: at least 1.5 levels a pixel, and above the 70th percentile
    // so that a grainy table votes with its strongest part only, up to a cap.
    let mut hist = [0u32; 256];
    for &m in &mag {
        hist[(m * 2.0).min(255.0) as usize] += 1;
    }
    let p70 = f32::from(super::percentile(&hist, 0.70)) / 2.0;
    let threshold = p70.clamp(1.5, EDGE_THRESHOLD_CAP);
    let mut out = Vec::new();
    for y in 2..h - 2 {
        for x in 2..w - 2 {
            let i = y * w + x;
            let m = mag[i];
            if m < threshold {
                continue;
            }
            // Neighbours along the gradient, quantised to 8 directions.
            let (ax, ay) = (gx[i].abs(), gy[i].abs());
            let (dx, dy): (isize, isize) = if ax > 2.414 * ay {
                (1, 0)
            } else if ay > 2.414 * ax {
                (0, 1)
            } else if (gx[i] > 0.0) == (gy[i] > 0.0) {
                (1, 1)
            } else {
                (1, -1)
            };
            let j1 = (y as isize + dy) as usize * w + (x as isize + dx) as usize;
            let j2 = (y as isize - dy) as usize * w + (x as isize - dx) as usize;
            if m < mag[j1] || m <= mag[j2] {
                continue;
            }
            let theta = gy[i].atan2(gx[i]).rem_euclid(std::f32::consts::PI);
            out.push(Edge {
                x: x as f32,
                y: y as f32,
                theta,
            });
        }
    }
    out
}

/// Edges of the analysis copy at half its scale, in its pixels: a soft,
/// faint side (a white card on white paper) steps a few levels over four
/// or five pixels, under the fine threshold at every one of them, and
/// over it at half the scale.
fn coarse_edges(p: &Planes) -> Vec<Edge> {
    let (w, h) = (p.w / 2, p.h / 2);
    if w < 5 || h < 5 {
        return Vec::new();
    }
    let c = [0, 1, 2].map(|k| {
        let src = &p.c[k];
        let mut v = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = 2 * y * p.w + 2 * x;
                v[y * w + x] = (src[i] + src[i + 1] + src[i + p.w] + src[i + p.w + 1]) / 4.0;
            }
        }
        v
    });
    let half = Planes { w, h, c };
    edges(&half)
        .into_iter()
        .map(|e| Edge {
            x: e.x * 2.0 + 0.5,
            y: e.y * 2.0 + 0.5,
            theta: e.theta,
        })
        .collect()
}

/// Adds the half-scale edges (`coarse_edges`) where the fine scale saw
/// nothing within a pixel: a line the fine edges already carry (a card's
/// guilloche) is not counted twice, or its flanks outvote a faint side.
fn add_coarse_edges(p: &Planes, fine: &mut Vec<Edge>) {
    let coarse = coarse_edges(p);
    let mut seen = vec![false; p.w * p.h];
    for e in fine.iter() {
        let (x, y) = (e.x as usize, e.y as usize);
        for yy in y.saturating_sub(1)..=(y + 1).min(p.h - 1) {
            for xx in x.saturating_sub(1)..=(x + 1).min(p.w - 1) {
                seen[yy * p.w + xx] = true;
            }
        }
    }
    fine.extend(coarse.into_iter().filter(|e| {
        let (x, y) = (e.x as usize, e.y as usize);
        !(y..=(y + 1).min(p.h - 1)).any(|yy| (x..=(x + 1).min(p.w - 1)).any(|xx| seen[yy * p.w + xx]))
    }));
}

/// Lines from an orientation-restricted Hough transform, strongest first,
/// each refined by a least-squares fit to its edge pixels.
fn hough_lines(
    edges: &[Edge],
    w: usize,
    h: usize,
    per_direction: Option<usize>,
    max_lines: usize,
) -> Vec<((f64, f64), f64)> {
    let diag = ((w * w + h * h) as f64).sqrt();
    let r_max = diag.ceil() as i32 + 1;
    let n_rho = (2 * r_max + 1) as usize;
    let mut acc = vec![0u16; THETA_BINS * n_rho];
    let trig: Vec<(f32, f32)> = (0..THETA_BINS)
        .map(|k| {
            let t = k as f32 * std::f32::consts::PI / THETA_BINS as f32;
            (t.cos(), t.sin())
        })
        .collect();
    for e in edges {
        let k0 = (e.theta / std::f32::consts::PI * THETA_BINS as f32).round() as i32;
        for dk in -VOTE_SPREAD..=VOTE_SPREAD {
            // The point's own rho at the wrapped angle: no sign to flip.
            let k = (k0 + dk).rem_euclid(THETA_BINS as i32);
            let (c, s) = trig[k as usize];
            let rho = e.x * c + e.y * s;
            let r = rho.round() as i32 + r_max;
            if (0..n_rho as i32).contains(&r) {
                let cell = &mut acc[k as usize * n_rho + r as usize];
                *cell = cell.saturating_add(1);
            }
        }
    }
    // Peaks: cells with at least min_votes, greedily kept when no stronger
    // kept peak lies within 3 degrees and 5 pixels.
    let min_votes = ((w.min(h) as f64) * 0.06).max(8.0) as u16;
    let mut cands: Vec<(u16, usize, usize)> = Vec::new();
    for k in 0..THETA_BINS {
        for r in 0..n_rho {
            let v = acc[k * n_rho + r];
            if v >= min_votes {
                cands.push((v, k, r));
            }
        }
    }
    cands.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    let mut kept: Vec<(usize, i32)> = Vec::new();
    let cap = per_direction.unwrap_or(usize::MAX);
    let mut per_bucket = [0usize; DIRECTION_BUCKETS];
    let bucket = |k: usize| k * DIRECTION_BUCKETS / THETA_BINS;
    for &(_, k, r) in &cands {
        if per_bucket[bucket(k)] >= cap {
            continue;
        }
        let rho = r as i32 - r_max;
        let near = kept.iter().any(|&(k2, rho2)| {
            let dk = (k as i32 - k2 as i32).abs();
            if dk <= 3 {
                (rho - rho2).abs() <= 5
            } else if THETA_BINS as i32 - dk <= 3 {
                // Across the wrap the same line has the opposite rho.
                (rho + rho2).abs() <= 5
            } else {
                false
            }
        });
        if !near {
            per_bucket[bucket(k)] += 1;
            kept.push((k, rho));
            if kept.len() >= max_lines {
                break;
            }
        }
    }
    kept.iter()
        .map(|&(k, rho)| {
            let t = k as f64 * std::f64::consts::PI / THETA_BINS as f64;
            refine_line(edges, (t.cos(), t.sin()), f64::from(rho), 2.0, None)
        })
        .collect()
}

/// Total least squares fit of the edge pixels within `band` of the line
/// (n, rho) whose gradient agrees with n within 10°, optionally only
/// between t = lo and hi along it. Returns the line unchanged when too few.
fn refine_line(edges: &[Edge], n: (f64, f64), rho: f64, band: f64, span: Option<(f64, f64)>) -> ((f64, f64), f64) {
    let cos_tol = 10f64.to_radians().cos();
    let (mut sw, mut sx, mut sy) = (0.0, 0.0, 0.0);
    let mut pts = Vec::new();
    let d = (-n.1, n.0);
    for e in edges {
        let (x, y) = (f64::from(e.x), f64::from(e.y));
        if (x * n.0 + y * n.1 - rho).abs() > band {
            continue;
        }
        let g = (f64::from(e.theta).cos(), f64::from(e.theta).sin());
        if (g.0 * n.0 + g.1 * n.1).abs() < cos_tol {
            continue;
        }
        if let Some((lo, hi)) = span {
            let t = x * d.0 + y * d.1;
            if t < lo || t > hi {
                continue;
            }
        }
        pts.push((x, y));
        sw += 1.0;
        sx += x;
        sy += y;
    }
    if pts.len() < 6 {
        return (n, rho);
    }
    let (mx, my) = (sx / sw, sy / sw);
    let (mut cxx, mut cxy, mut cyy) = (0.0, 0.0, 0.0);
    for (x, y) in &pts {
        let (dx, dy) = (x - mx, y - my);
        cxx += dx * dx;
        cxy += dx * dy;
        cyy += dy * dy;
    }
    // The normal is the eigenvector of the smaller eigenvalue.
    let tr = cxx + cyy;
    let det = cxx * cyy - cxy * cxy;
    let lmin = tr / 2.0 - ((tr * tr / 4.0 - det).max(0.0)).sqrt();
    let (mut nx, mut ny) = if cxy.abs() > 1e-9 {
        (cxy, lmin - cxx)
    } else if cxx < cyy {
        (1.0, 0.0)
    } else {
        (0.0, 1.0)
    };
    let len = (nx * nx + ny * ny).sqrt();
    nx /= len;
    ny /= len;
    if nx * n.0 + ny * n.1 < 0.0 {
        nx = -nx;
        ny = -ny;
    }
    // A refit may not swing the line far from where it was found.
    if nx * n.0 + ny * n.1 < 3f64.to_radians().cos() {
        return (n, rho);
    }
    ((nx, ny), nx * mx + ny * my)
}

/// The part of line (n, rho) inside [0, w] × [0, h], as t along (-n.1, n.0).
fn visible_span(n: (f64, f64), rho: f64, w: f64, h: f64) -> Option<(f64, f64)> {
    let d = (-n.1, n.0);
    let f = (n.0 * rho, n.1 * rho);
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for (p, dp, max) in [(f.0, d.0, w), (f.1, d.1, h)] {
        if dp.abs() < 1e-12 {
            if p < 0.0 || p > max {
                return None;
            }
        } else {
            let (a, b) = ((0.0 - p) / dp, (max - p) / dp);
            lo = lo.max(a.min(b));
            hi = hi.min(a.max(b));
        }
    }
    (hi - lo >= 2.0).then_some((lo, hi))
}

/// The best stretch of `len` along the line: its support times its colour
/// step (as a share of a full edge), 0-1.
fn best_stretch(l: &Line, len: f64, gain: f64) -> f64 {
    let mut best = 0.0f64;
    let mut t = l.t0;
    while t + len <= l.t1 {
        let (s, _) = l.mean(&l.support, t, t + len);
        if s > best {
            if let (Some((a, _)), Some((b, _))) = (l.mean_colour(&l.pos, t, t + len), l.mean_colour(&l.neg, t, t + len))
            {
                let c = gain * (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>().sqrt();
                let step = ((c - CONTRAST_FLOOR) / (FULL_CONTRAST - CONTRAST_FLOOR)).clamp(0.0, 1.0);
                best = best.max(s * step);
            }
        }
        t += len / 4.0;
    }
    best
}

/// Builds a line with its support and contrast profiles.
fn profile_line(n: (f64, f64), rho: f64, edges: &[Edge], planes: &Planes, frame: bool) -> Option<Line> {
    let (w, h) = ((planes.w - 1) as f64, (planes.h - 1) as f64);
    let (t0, t1) = visible_span(n, rho, w, h)?;
    let len = (t1 - t0).ceil() as usize + 1;
    let theta = n.1.atan2(n.0).rem_euclid(std::f64::consts::PI);
    let mut line = Line {
        n,
        rho,
        theta,
        t0,
        t1,
        support: Vec::new(),
        pos: Vec::new(),
        neg: Vec::new(),
        frame,
    };
    let d = line.dir();
    let f = line.foot();
    if frame {
        line.support = vec![0.0; len + 1];
        // The strip just inside the frame along this edge.
        let (cx, cy) = ((planes.w - 1) as f64 / 2.0, (planes.h - 1) as f64 / 2.0);
        let inward = if cx * n.0 + cy * n.1 - rho > 0.0 { 2.0 } else { -2.0 };
        let mut acc = [0.0; 4];
        line.pos.push(acc);
        for i in 0..len {
            let t = t0 + i as f64;
            if let Some(c) = planes.at(f.0 + t * d.0 + inward * n.0, f.1 + t * d.1 + inward * n.1) {
                for k in 0..3 {
                    acc[k] += f64::from(c[k]);
                }
                acc[3] += 1.0;
            }
            line.pos.push(acc);
        }
        return Some(line);
    }
    let mut hit = vec![0u8; len];
    let cos_tol = 20f64.to_radians().cos();
    for e in edges {
        let (x, y) = (f64::from(e.x), f64::from(e.y));
        if (x * n.0 + y * n.1 - rho).abs() > 1.5 {
            continue;
        }
        let g = (f64::from(e.theta).cos(), f64::from(e.theta).sin());
        if (g.0 * n.0 + g.1 * n.1).abs() < cos_tol {
            continue;
        }
        let t = (x - n.0 * rho) * d.0 + (y - n.1 * rho) * d.1;
        let i = (t - t0).round();
        if i >= 0.0 && (i as usize) < len {
            // An edge pixel stands for its neighbours along a diagonal line.
            for j in [i as usize, (i as usize + 1).min(len - 1)] {
                hit[j] = 1;
            }
        }
    }
    let mut support = Vec::with_capacity(len + 1);
    let mut s = 0.0;
    support.push(0.0);
    let (mut pos, mut neg) = (vec![[0.0; 4]], vec![[0.0; 4]]);
    let (mut pa, mut na) = ([0.0; 4], [0.0; 4]);
    for (i, &hv) in hit.iter().enumerate() {
        s += f64::from(hv);
        let t = t0 + i as f64;
        let p = (f.0 + t * d.0, f.1 + t * d.1);
        let a = planes.at(p.0 + CONTRAST_OFFSET * n.0, p.1 + CONTRAST_OFFSET * n.1);
        let b = planes.at(p.0 - CONTRAST_OFFSET * n.0, p.1 - CONTRAST_OFFSET * n.1);
        for (side, acc) in [(a, &mut pa), (b, &mut na)] {
            if let Some(v) = side {
                for k in 0..3 {
                    acc[k] += f64::from(v[k]);
                }
                acc[3] += 1.0;
            }
        }
        support.push(s);
        pos.push(pa);
        neg.push(na);
    }
    line.support = support;
    line.pos = pos;
    line.neg = neg;
    Some(line)
}

/// Perspective-corrected long/short ratio of the rectangle imaged as the
/// quadrilateral `q` (clockwise), after Zhang & He, "Whiteboard scanning and
/// image enhancement" (2007), with the principal point at `centre`. The
/// focal length comes from the two vanishing points; when one of them is
/// at infinity (a plain keystone) it is not defined by the quad, and
/// `default_f` (a phone's, about 0.8 of the long side) stands in.
pub fn rectangle_aspect(q: &[(f64, f64); 4], centre: (f64, f64), default_f: f64) -> f64 {
    // Zhang & He number the corners m1 top-left, m2 top-right,
    // m3 bottom-left, m4 bottom-right.
    let p = |i: usize| [q[i].0 - centre.0, q[i].1 - centre.1, 1.0];
    let (m1, m2, m4, m3) = (p(0), p(1), p(2), p(3));
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let simple = {
        let w = (dist(q[0], q[1]) + dist(q[3], q[2])) / 2.0;
        let h = (dist(q[0], q[3]) + dist(q[1], q[2])) / 2.0;
        let r = w / h.max(1e-9);
        r.max(1.0 / r.max(1e-9))
    };
    let c14 = cross(m1, m4);
    let d2 = dot(cross(m2, m4), m3);
    let d3 = dot(cross(m3, m4), m2);
    if d2.abs() < 1e-12 || d3.abs() < 1e-12 {
        return simple;
    }
    let k2 = dot(c14, m3) / d2;
    let k3 = dot(c14, m2) / d3;
    let n2 = [k2 * m2[0] - m1[0], k2 * m2[1] - m1[1], k2 * m2[2] - m1[2]];
    let n3 = [k3 * m3[0] - m1[0], k3 * m3[1] - m1[1], k3 * m3[2] - m1[2]];
    let denom = n2[2] * n3[2];
    let f2 = if denom.abs() > 1e-9 {
        -(n2[0] * n3[0] + n2[1] * n3[1]) / denom
    } else {
        f64::NAN
    };
    // Nearly affine or a single vanishing point: f is noise there, and even
    // with two the corners of a small quad move it wildly; a phone's focal
    // length varies far less (0.6-1.0 of the long side), so it is assumed
    // unless the quad's own estimate lies close to it.
    let plausible = f2.is_finite() && f2 > (0.8 * default_f).powi(2) && f2 < (1.35 * default_f).powi(2);
    let f2 = if plausible { f2 } else { default_f * default_f };
    let num = (n2[0] * n2[0] + n2[1] * n2[1]) / f2 + n2[2] * n2[2];
    let den = (n3[0] * n3[0] + n3[1] * n3[1]) / f2 + n3[2] * n3[2];
    if den <= 0.0 || num <= 0.0 || !num.is_finite() || !den.is_finite() {
        return simple;
    }
    let r = (num / den).sqrt();
    r.max(1.0 / r)
}

/// The aspect of the rectangle imaged as `q`, over the range of phone
/// focal lengths, nearest to one of the `expected` shapes (the middle of
/// the range when none is expected).
pub fn fit_aspect(q: &[(f64, f64); 4], centre: (f64, f64), long: f64, expected: &[f64]) -> f64 {
    let mut lo = f64::INFINITY;
    let mut hi = 0.0f64;
    for f in PHONE_FOCAL {
        let a = rectangle_aspect(q, centre, f * long);
        lo = lo.min(a);
        hi = hi.max(a);
    }
    expected
        .iter()
        .map(|&e| e.clamp(lo, hi))
        .min_by(|a, b| {
            let err = |v: f64| {
                expected
                    .iter()
                    .map(|&e| (v / e - 1.0).abs())
                    .fold(f64::INFINITY, f64::min)
            };
            err(*a).total_cmp(&err(*b))
        })
        .unwrap_or((lo + hi) / 2.0)
}

/// Distance between two points.
pub fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The corners, still clockwise, starting so that the first side (corner 0
/// to 1) is a long side (`long`) or a short one: how a card (long side
/// first) and a portrait page (short side first) are laid flat.
pub fn first_side(c: [(f64, f64); 4], long: bool) -> [(f64, f64); 4] {
    if (dist(c[0], c[1]) < dist(c[1], c[2])) == long {
        [c[1], c[2], c[3], c[0]]
    } else {
        c
    }
}

/// How far `p` lies outside a `w` × `h` frame, in pixels (0 inside).
pub fn outside_frame(p: (f64, f64), w: f64, h: f64) -> f64 {
    let dx = (-p.0).max(p.0 - w).max(0.0);
    let dy = (-p.1).max(p.1 - h).max(0.0);
    (dx * dx + dy * dy).sqrt()
}

/// Area of a polygon (shoelace), absolute.
fn polygon_area(p: &[(f64, f64)]) -> f64 {
    let n = p.len();
    let mut a = 0.0;
    for i in 0..n {
        let (x0, y0) = p[i];
        let (x1, y1) = p[(i + 1) % n];
        a += x0 * y1 - x1 * y0;
    }
    a.abs() / 2.0
}

/// The quadrilateral clipped to [0, w] × [0, h] (Sutherland-Hodgman).
fn clip_to_frame(q: &[(f64, f64); 4], w: f64, h: f64) -> Vec<(f64, f64)> {
    let mut poly: Vec<(f64, f64)> = q.to_vec();
    let planes: [(usize, f64, bool); 4] = [(0, 0.0, true), (0, w, false), (1, 0.0, true), (1, h, false)];
    for (axis, v, keep_greater) in planes {
        let get = |p: (f64, f64)| if axis == 0 { p.0 } else { p.1 };
        let inside = |p: (f64, f64)| if keep_greater { get(p) >= v } else { get(p) <= v };
        let mut out = Vec::new();
        for i in 0..poly.len() {
            let a = poly[i];
            let b = poly[(i + 1) % poly.len()];
            let (ia, ib) = (inside(a), inside(b));
            if ia {
                out.push(a);
            }
            if ia != ib {
                let t = (v - get(a)) / (get(b) - get(a));
                out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
            }
        }
        poly = out;
        if poly.is_empty() {
            break;
        }
    }
    poly
}
/// The largest distance between matched corners of two quadrilaterals (the
/// best of the cyclic matchings in both directions): the probes' and the
/// tests' corner error.
pub fn corner_error(a: &[(f64, f64); 4], b: &[(f64, f64); 4]) -> f64 {
    let mut best = f64::INFINITY;
    for rev in [false, true] {
        for s in 0..4 {
            let m = (0..4)
                .map(|i| {
                    let j = if rev { (s + 4 - i) % 4 } else { (s + i) % 4 };
                    dist(a[i], b[j])
                })
                .fold(0.0, f64::max);
            best = best.min(m);
        }
    }
    best
}

/// Area of the overlap of two convex quadrilaterals / area of their union
/// (the Jaccard index the SmartDoc competition scores with).
pub fn jaccard(a: &[(f64, f64); 4], b: &[(f64, f64); 4]) -> f64 {
    // Clip a by each edge of b (both made counter-clockwise first).
    let ccw = |q: &[(f64, f64); 4]| -> Vec<(f64, f64)> {
        let mut v = q.to_vec();
        let s: f64 = (0..4)
            .map(|i| {
                let (x0, y0) = v[i];
                let (x1, y1) = v[(i + 1) % 4];
                x0 * y1 - x1 * y0
            })
            .sum();
        if s < 0.0 {
            v.reverse();
        }
        v
    };
    let (pa, pb) = (ccw(a), ccw(b));
    let mut poly = pa.clone();
    for i in 0..pb.len() {
        let (e0, e1) = (pb[i], pb[(i + 1) % pb.len()]);
        let side = |p: (f64, f64)| (e1.0 - e0.0) * (p.1 - e0.1) - (e1.1 - e0.1) * (p.0 - e0.0);
        let mut out = Vec::new();
        for j in 0..poly.len() {
            let (p, q) = (poly[j], poly[(j + 1) % poly.len()]);
            let (sp, sq) = (side(p), side(q));
            if sp >= 0.0 {
                out.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                let t = sp / (sp - sq);
                out.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
            }
        }
        poly = out;
        if poly.is_empty() {
            return 0.0;
        }
    }
    let inter = polygon_area(&poly);
    let union = polygon_area(&pa) + polygon_area(&pb) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// Puts four corners in clockwise order starting from the one nearest the
/// image's top-left (smallest x + y).
pub fn order_clockwise(pts: [(f64, f64); 4]) -> [(f64, f64); 4] {
    let cx = pts.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let cy = pts.iter().map(|p| p.1).sum::<f64>() / 4.0;
    let mut v = pts.to_vec();
    v.sort_by(|a, b| (a.1 - cy).atan2(a.0 - cx).total_cmp(&(b.1 - cy).atan2(b.0 - cx)));
    let start = (0..4)
        .min_by(|&i, &j| (v[i].0 + v[i].1).total_cmp(&(v[j].0 + v[j].1)))
        .unwrap_or(0);
    [0, 1, 2, 3].map(|k| v[(start + k) % 4])
}

/// A candidate kept for the nesting rule: corners, score, lines, frame
/// sides.
type Corners = [(f64, f64); 4];
type Pooled = ([(f64, f64); 4], f64, [usize; 4], usize);

/// A scored candidate during the search.
#[derive(Clone, Copy)]
struct Cand {
    lines: [usize; 4],
    corners: [(f64, f64); 4],
    score: f64,
    raw: f64,
}

/// Scores the quad with sides on `lines` (side i from corner i to i + 1).
fn score_quad(lines: [&Line; 4], corners: &[(f64, f64); 4], sc: Scoring) -> ([f64; 4], [f64; 4], f64) {
    let margin = sc.margin;
    let mut support = [0.0; 4];
    let mut contrast = [0.0; 4];
    let mut total = 0.0;
    let mut weakest = f64::INFINITY;
    let mut real = 0;
    // Edge evidence next to each corner, from the two sides that meet there:
    // a corner made by running a side on to some other line has none.
    let mut near = [[UNSEEN_CORNER; 2]; 4];
    for i in 0..4 {
        let l = lines[i];
        if l.frame {
            continue;
        }
        real += 1;
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        let (ta_raw, tb_raw) = (l.t_of(a), l.t_of(b));
        let (ta, tb) = (ta_raw.min(tb_raw), ta_raw.max(tb_raw));
        let len = tb - ta;
        let m = margin * len;
        let (s, vis) = l.mean(&l.support, ta + m, tb - m);
        // The step: the mean colour on one side against the other's, so
        // that noise and text average out and a printed line (paper on
        // both sides) has none; scaled up in a dim photo.
        let c = match (
            l.mean_colour(&l.pos, ta + m, tb - m),
            l.mean_colour(&l.neg, ta + m, tb - m),
        ) {
            (Some((a, _)), Some((b, _))) => sc.gain * (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>().sqrt(),
            _ => 0.0,
        };
        // A side mostly outside the frame says little: weigh by what shows.
        let seen = (vis / (len - 2.0 * m).max(1.0)).clamp(0.0, 1.0);
        support[i] = s;
        contrast[i] = c;
        // Only the step above a small floor counts (JPEG, light ramps).
        let step = ((c - CONTRAST_FLOOR) / (FULL_CONTRAST - CONTRAST_FLOOR)).clamp(0.0, 1.0);
        let side = s * step * (0.5 + 0.5 * seen);
        total += side;
        weakest = weakest.min(side);
        let window = |from: f64, dir: f64| {
            let (x, y) = (from + dir * m, from + dir * CORNER_WINDOW * len);
            let (v, seen) = l.mean(&l.support, x.min(y), x.max(y));
            if seen < 1.0 {
                UNSEEN_CORNER
            } else {
                v
            }
        };
        let dir = if ta_raw <= tb_raw { 1.0 } else { -1.0 };
        near[i][0] = window(ta_raw, dir);
        near[(i + 1) % 4][1] = window(tb_raw, -dir);
    }
    // A quadrilateral is only as good as its sides: the weakest one counts
    // on its own beside the mean (an occluded side lowers, a missing one
    // sinks it).
    let mean = if real == 0 {
        0.0
    } else {
        (1.0 - WEAKEST_WEIGHT) * total / f64::from(real) + WEAKEST_WEIGHT * weakest
    };
    if !frame_strips_match(lines, corners, sc.evened_strips) || !frame_reached(lines, &near) {
        return (support, contrast, 0.0);
    }
    let corner = near.iter().map(|[a, b]| (a + b) / 2.0).sum::<f64>() / 4.0;
    (support, contrast, mean * (1.0 - CORNER_WEIGHT + CORNER_WEIGHT * corner))
}

/// An object runs on past the frame only where what lies along that frame
/// edge looks like the object's inside (paper, not a brick's mortar line
/// and the frame). True when no side is on the frame.
#[inline]
fn frame_strips_match(lines: [&Line; 4], corners: &[(f64, f64); 4], evened: bool) -> bool {
    if !lines.iter().any(|l| l.frame) {
        return true;
    }
    let cx = corners.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let cy = corners.iter().map(|p| p.1).sum::<f64>() / 4.0;
    let (mut inside, mut n_in) = ([0.0; 3], 0.0);
    for i in 0..4 {
        let l = lines[i];
        if l.frame {
            continue;
        }
        let (ta, tb) = (l.t_of(corners[i]), l.t_of(corners[(i + 1) % 4]));
        let prefix = if cx * l.n.0 + cy * l.n.1 - l.rho > 0.0 {
            &l.pos
        } else {
            &l.neg
        };
        if let Some((c, n)) = l.mean_colour(prefix, ta.min(tb), ta.max(tb)) {
            for k in 0..3 {
                inside[k] += c[k] * n;
            }
            n_in += n;
        }
    }
    if n_in < 1.0 {
        return true;
    }
    let inside = inside.map(|v| (v / n_in) as f32);
    for i in 0..4 {
        let l = lines[i];
        if !l.frame {
            continue;
        }
        let (ta, tb) = (l.t_of(corners[i]), l.t_of(corners[(i + 1) % 4]));
        if let Some((strip, _)) = l.mean_colour(&l.pos, ta.min(tb), ta.max(tb)) {
            let strip = strip.map(|v| v as f32);
            // A light ramp along a card brightens one end: the same colour
            // once evened counts too.
            let mut d = colour_distance(strip, inside);
            if evened {
                d = d.min(evened_distance(strip, inside, STRIP_RATIOS));
            }
            if d > FRAME_STRIP_COLOUR {
                return false;
            }
        }
    }
    true
}

/// An object runs on past the frame only where its sides are seen reaching
/// the frame's edge: the edge evidence `near` each corner where a real
/// side meets a frame side.
#[inline]
fn frame_reached(lines: [&Line; 4], near: &[[f64; 2]; 4]) -> bool {
    (0..4).all(|i| {
        let (before, after) = (lines[(i + 3) % 4].frame, lines[i].frame);
        let reach = match (before, after) {
            (true, false) => near[i][0],
            (false, true) => near[i][1],
            _ => 1.0,
        };
        reach >= FRAME_REACH
    })
}

/// Whether the quad is convex with corner angles between 40° and 140°.
fn plausible(q: &[(f64, f64); 4]) -> bool {
    // cos² of 40°, compared without square roots: this runs for most of
    // the candidates.
    const COS2_MAX: f64 = 0.586_824_088_833_465_2;
    let mut sign = 0.0;
    for i in 0..4 {
        let (a, b, c) = (q[(i + 3) % 4], q[i], q[(i + 1) % 4]);
        let (u, v) = ((a.0 - b.0, a.1 - b.1), (c.0 - b.0, c.1 - b.1));
        let cr = u.0 * v.1 - u.1 * v.0;
        if sign == 0.0 {
            sign = cr.signum();
        } else if cr.signum() != sign {
            return false;
        }
        let lu2 = u.0 * u.0 + u.1 * u.1;
        let lv2 = v.0 * v.0 + v.1 * v.1;
        if lu2 < 16.0 || lv2 < 16.0 {
            return false;
        }
        let dot = u.0 * v.0 + u.1 * v.1;
        if dot * dot > COS2_MAX * lu2 * lv2 {
            return false;
        }
    }
    true
}

/// Whether quads `a` and `b` lie either side of one line: a real side of
/// each within 1.5 % of the frame's diagonal and 3° of the other's, with the
/// two centres on opposite sides of it.
fn neighbours(a: &Quad, b: &Quad) -> bool {
    let centre = |q: &Quad| {
        let c = q.corners;
        (
            (c[0].0 + c[1].0 + c[2].0 + c[3].0) / 4.0,
            (c[0].1 + c[1].1 + c[2].1 + c[3].1) / 4.0,
        )
    };
    let (ca, cb) = (centre(a), centre(b));
    let span = a
        .corners
        .iter()
        .chain(&b.corners)
        .fold(0f64, |m, p| m.max(p.0.abs()).max(p.1.abs()));
    let near = 0.015 * span.max(1.0);
    let sides = |q: &Quad| {
        (0..4)
            .filter(|&i| !q.frame_side[i])
            .map(|i| (q.corners[i], q.corners[(i + 1) % 4]))
            .collect::<Vec<_>>()
    };
    sides(a).iter().any(|&(p, q)| {
        let len = dist(p, q).max(1.0);
        let n = (-(q.1 - p.1) / len, (q.0 - p.0) / len);
        let off = |x: (f64, f64)| (x.0 - p.0) * n.0 + (x.1 - p.1) * n.1;
        sides(b).iter().any(|&(s, t)| {
            let l2 = dist(s, t).max(1.0);
            let cos = (((q.0 - p.0) * (t.0 - s.0) + (q.1 - p.1) * (t.1 - s.1)) / (len * l2)).abs();
            cos >= 3f64.to_radians().cos() && off(s).abs() <= near && off(t).abs() <= near && off(ca) * off(cb) < 0.0
        })
    })
}

/// Whether quad `q` (in `img`'s pixels, sides on the frame marked) is a
/// rectangle printed on paper, not paper's edge: each of its real sides, at
/// least three, is a dark ruled line with the same paper on both sides of
/// it. A page's edge is a step to the desk or a soft shadow, never a dark
/// line between two equal paper tones. Read in the photo itself (a ruled
/// line is under a pixel wide at the analysis size), as medians over points
/// along the middle 70 % of a side, so that print beside a line does not
/// count; `reach` is an analysis pixel in `img`'s pixels.
fn printed_rectangle(img: &RgbImage, q: &[(f64, f64); 4], frame_side: &[bool; 4], reach: f64) -> bool {
    /// Points sampled along a side; how far out each side's paper is read,
    /// and how far either way the line may lie from the fitted side, in
    /// analysis pixels.
    const POINTS: usize = 32;
    const OUT: f64 = 5.0;
    const WITHIN: f64 = 2.0;
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let luma = |x: f64, y: f64| {
        (x >= 0.0 && y >= 0.0 && x < w && y < h).then(|| {
            let c = img.get_pixel(x as u32, y as u32).0;
            0.299 * f32::from(c[0]) + 0.587 * f32::from(c[1]) + 0.114 * f32::from(c[2])
        })
    };
    let median = |v: &mut Vec<f32>| {
        let mid = v.len() / 2;
        (!v.is_empty()).then(|| *v.select_nth_unstable_by(mid, f32::total_cmp).1)
    };
    let steps = (WITHIN * reach).ceil().max(1.0) as i32;
    let ruled = |a: (f64, f64), b: (f64, f64)| -> bool {
        let len = dist(a, b).max(1.0);
        let (nx, ny) = (-(b.1 - a.1) / len, (b.0 - a.0) / len);
        let (mut line, mut one, mut other) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..POINTS {
            let t = 0.15 + 0.7 * (k as f64 + 0.5) / POINTS as f64;
            let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            let darkest = (-steps..=steps)
                .filter_map(|o| luma(x + nx * f64::from(o), y + ny * f64::from(o)))
                .fold(f32::INFINITY, f32::min);
            let out = OUT * reach;
            if let (Some(u), Some(v)) = (luma(x + nx * out, y + ny * out), luma(x - nx * out, y - ny * out)) {
                line.push(darkest);
                one.push(u);
                other.push(v);
            }
        }
        let (Some(l), Some(u), Some(v)) = (median(&mut line), median(&mut one), median(&mut other)) else {
            return false;
        };
        (u - v).abs() <= 0.08 * u.max(v) && l <= 0.8 * u.min(v)
    };
    let real: Vec<usize> = (0..4).filter(|&i| !frame_side[i]).collect();
    real.len() >= 3 && real.iter().all(|&i| ruled(q[i], q[(i + 1) % 4]))
}

/// Whether paper (light, neutral, like the frame's brightest part) lines
/// at least 90 % of every frame edge, with something printed inside.
fn paper_to_every_edge(p: &Planes) -> bool {
    let (w, h) = (p.w, p.h);
    if w < 16 || h < 16 {
        return false;
    }
    let luma = |i: usize| 0.299 * p.c[0][i] + 0.587 * p.c[1][i] + 0.114 * p.c[2][i];
    let mut all: Vec<f32> = (0..w * h).step_by(7).map(luma).collect();
    let k = all.len() * 9 / 10;
    let bright = *all.select_nth_unstable_by(k, f32::total_cmp).1;
    let paper = |i: usize| {
        let (r, g, b) = (p.c[0][i], p.c[1][i], p.c[2][i]);
        let spread = r.max(g).max(b) - r.min(g).min(b);
        luma(i) >= 0.8 * bright && spread < 28.0
    };
    let ring = (w.min(h) / 60).max(1);
    let share = |it: &mut dyn Iterator<Item = usize>| {
        let (mut n, mut k) = (0u32, 0u32);
        for i in it {
            n += 1;
            k += u32::from(paper(i));
        }
        f64::from(k) / f64::from(n.max(1))
    };
    let left = share(&mut (0..h).flat_map(|y| (0..ring).map(move |x| y * w + x)));
    let right = share(&mut (0..h).flat_map(|y| (w - ring..w).map(move |x| y * w + x)));
    let top = share(&mut (0..ring).flat_map(|y| (0..w).map(move |x| y * w + x)));
    let bottom = share(&mut (h - ring..h).flat_map(|y| (0..w).map(move |x| y * w + x)));
    // Print inside: the darkest 1 % of the inner 80 % below the paper (a
    // blank form's thin ruled lines are faint at this size).
    let mut mid: Vec<f32> = (h / 10..9 * h / 10)
        .flat_map(|y| (w / 10..9 * w / 10).map(move |x| y * w + x))
        .map(luma)
        .collect();
    let k = mid.len() / 100;
    let printed = !mid.is_empty() && *mid.select_nth_unstable_by(k, f32::total_cmp).1 < 0.8 * bright;
    [left, right, top, bottom].iter().all(|&s| s >= 0.9) && printed
}

/// Looks for the object in `img`.
pub fn find_quad(img: &RgbImage, search: &QuadSearch) -> QuadFind {
    let none = QuadFind {
        best: None,
        best_any_shape: None,
        best_score: 0.0,
    };
    let (iw, ih) = img.dimensions();
    if iw < 16 || ih < 16 {
        return none;
    }
    let small = super::shrink_rgb(img, ANALYSIS_LONG);
    let (sw, sh) = small.dimensions();
    let planes = Planes::new(&small);
    let mut edge_px = edges(&planes);
    // Cards only: on pages every half-scale edge added moved the four seed
    // sets' false rejects 1/5/4/5 -> 1/3/6/7, and the "where missing" form
    // lost a page over a second sheet (seed 1298) to a line across its
    // table's header, so pages keep the fine edges.
    if !search.paper() {
        add_coarse_edges(&planes, &mut edge_px);
    }
    let gain = brightness_gain(&planes);
    let lines = side_lines(&planes, &edge_px, gain, search.lines_per_direction, search.paper());
    let scale = (f64::from(iw) / f64::from(sw), f64::from(ih) / f64::from(sh));
    let first = locate(img, &planes, &edge_px, &lines, search, gain, scale);
    if search.paper() {
        return first;
    }
    // A card that would be rejected (out of shape, or a corner off the
    // frame) because a pen lying across it gave a side: the search again
    // without the pen's lines, kept only when that finds a convincing quad
    // of the card's shape inside the frame.
    let good = |q: &Quad| q.score >= search.min_score && whole_and_shaped(q, (iw, ih), search);
    let mut lines = lines;
    let mut last: Option<QuadFind> = None;
    // A pen's two edges may not both be dropped at once (Hough lines a few
    // degrees apart): up to three rounds.
    for _ in 0..3 {
        let current = last.as_ref().unwrap_or(&first);
        let reported = current
            .best
            .as_ref()
            .filter(|q| q.score >= search.min_score)
            .or(current.best_any_shape.as_ref());
        let Some(q) = reported.filter(|q| !good(q)) else {
            break;
        };
        let small_q = q.corners.map(|(x, y)| (x / scale.0, y / scale.1));
        let Some(bars) = bar_lines(&planes, &lines, &small_q, gain) else {
            break;
        };
        lines = (0..lines.len())
            .filter(|i| !bars.contains(i))
            .map(|i| lines[i].clone())
            .collect();
        let again = locate(img, &planes, &edge_px, &lines, search, gain, scale);
        if again.best.as_ref().is_some_and(good) {
            return again;
        }
        last = Some(again);
    }
    first
}

/// The best quadrilateral of `lines`, finished: the search over line pairs,
/// the outermost convincing one, the whole frame and the sides settled.
fn locate(
    img: &RgbImage,
    planes: &Planes,
    edge_px: &[Edge],
    lines: &[Line],
    search: &QuadSearch,
    gain: f64,
    scale: (f64, f64),
) -> QuadFind {
    let (iw, ih) = img.dimensions();
    let scene = Scene::new(planes, edge_px, lines, search, gain, scale);
    let found = scene.search(img);
    let real = found.best.as_ref().map(|c| scene.snapped(c));
    let full = search
        .full_frame_score
        .filter(|_| paper_to_every_edge(planes))
        .map(|s| whole_frame(iw, ih, s));
    // The best of the three kinds: four real sides, sides on the frame
    // (scored down per frame side), or the whole frame.
    let framed = found.best_frame.as_ref().map(|c| scene.snapped(c));
    // Of four real sides and sides on the frame, the better score once
    // weighed by how much each looks like an object on a surface: bricks
    // or planks run into the frame lose to the card lying on them.
    // Only when one of them clearly is an object: on white paper neither's
    // outside differs from its inside, and objectness says nothing.
    let telling = [&real, &framed]
        .iter()
        .filter_map(|c| c.as_ref().map(|(_, o)| o.seen))
        .fold(0.0, f64::max)
        >= OBJECTNESS_MIN;
    let weight = if telling { OBJECTNESS_WEIGHT } else { 0.0 };
    let weigh = |(q, o): &(Quad, Objectness)| q.score * (1.0 - weight + weight * o.credited);
    // A region run into the frame on the far side of the four-sided
    // candidate's own side is the surface beside the object, not another
    // object: a strip of tiles below a card, bounded by the card's edge.
    let framed = match (&real, framed) {
        (Some((r, _)), Some((f, _))) if neighbours(r, &f) => None,
        (_, f) => f,
    };
    let chosen = [real, framed]
        .into_iter()
        .flatten()
        .max_by(|a, b| weigh(a).total_cmp(&weigh(b)))
        .map(|(q, _)| q);
    // The whole frame encloses everything: like any enclosing candidate it
    // wins at NEST_RATIO of the best (a blank form's table is not the page).
    // A printed rectangle (a form's table) is on the page whatever it
    // scores, when the page fills the frame.
    let printed = |c: &Quad| printed_rectangle(img, &c.corners, &c.frame_side, scene.scale.0.max(scene.scale.1));
    let chosen = match (chosen, full) {
        (Some(c), Some(f)) if f.score < NEST_RATIO * c.score && !printed(&c) => Some(c),
        (c, f) => f.or(c),
    };
    // A page found on its own print goes on to its edge.
    let chosen = chosen.map(|q| {
        if !search.paper() || q.full_frame {
            return q;
        }
        let (sx, sy) = scene.scale;
        let small_q = q.corners.map(|(x, y)| (x / sx, y / sy));
        match past_print_sides(planes, &small_q, &q.frame_side, gain) {
            Some((c, frame_side)) => with_corners(
                Quad { frame_side, ..q },
                c.map(|(x, y)| (x * sx, y * sy)),
                (f64::from(iw), f64::from(ih)),
                search,
            ),
            None => q,
        }
    });
    let chosen = chosen.map(|q| settle_sides(img, q, scene.scale.0.max(scene.scale.1), search));
    QuadFind {
        best_score: chosen
            .as_ref()
            .map_or(found.best_score, |q| q.score.max(found.best_score)),
        best: chosen,
        best_any_shape: found.best_any.as_ref().map(|c| scene.finish(c)),
    }
}

/// Each real side moved inwards onto the object's own edge when the line
/// found lies on something just outside it: a phone or a pen lying against
/// a card, or the card's shadow, makes a crisper line a few pixels out, and
/// on the analysis copy the two are a pixel or two apart. Along the side,
/// each profile walks outwards from `SETTLE_DEPTH` analysis pixels inside
/// (the object's colour there) to the first step of `SETTLE_STEP`; the side
/// moves onto the line through those steps only when most profiles agree
/// and it lies clearly inside the old one. Never outwards: a side found on
/// print inside the object is the search's business. The corners, aspect
/// and area follow the move; the score and the per-side support and
/// contrast stay those of the lines the search chose (they rank candidates,
/// and a move of a few pixels does not change the ranking).
fn settle_sides(img: &RgbImage, q: Quad, scale: f64, search: &QuadSearch) -> Quad {
    if q.full_frame {
        return q;
    }
    let (iw, ih) = (f64::from(img.width()), f64::from(img.height()));
    let c = &q.corners;
    let centroid = (
        c.iter().map(|p| p.0).sum::<f64>() / 4.0,
        c.iter().map(|p| p.1).sum::<f64>() / 4.0,
    );
    // Mean colour of three pixels along the side direction `d` around p.
    let at = |p: (f64, f64), d: (f64, f64)| -> Option<[f64; 3]> {
        let mut sum = [0.0; 3];
        for k in [-1.0, 0.0, 1.0] {
            let (x, y) = (p.0 + k * d.0 - 0.5, p.1 + k * d.1 - 0.5);
            if x < 0.0 || y < 0.0 || x > iw - 2.0 || y > ih - 2.0 {
                return None;
            }
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (x0, y0) = (x0 as u32, y0 as u32);
            for (ch, acc) in sum.iter_mut().enumerate() {
                let v = |xx: u32, yy: u32| f64::from(img.get_pixel(xx, yy)[ch]);
                let top = v(x0, y0) * (1.0 - fx) + v(x0 + 1, y0) * fx;
                let bot = v(x0, y0 + 1) * (1.0 - fx) + v(x0 + 1, y0 + 1) * fx;
                *acc += (top * (1.0 - fy) + bot * fy) / 3.0;
            }
        }
        Some(sum)
    };
    let deep = SETTLE_DEPTH * scale;
    let mut sides: [Option<NormalLine>; 4] = [None; 4];
    let mut moved = false;
    for i in 0..4 {
        let (a, b) = (c[i], c[(i + 1) % 4]);
        let len = dist(a, b);
        if q.frame_side[i] || len < 8.0 * scale {
            continue;
        }
        let d = ((b.0 - a.0) / len, (b.1 - a.1) / len);
        let mut n = (-d.1, d.0);
        if (centroid.0 - a.0) * n.0 + (centroid.1 - a.1) * n.1 < 0.0 {
            n = (-n.0, -n.1);
        }
        let mut found: Vec<((f64, f64), f64)> = Vec::new();
        let mut tried = 0usize;
        for k in 0..SETTLE_PROFILES {
            let t = 0.15 + 0.7 * (k as f64 + 0.5) / SETTLE_PROFILES as f64;
            let base = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            let point = |s: f64| (base.0 + s * n.0, base.1 + s * n.1);
            let Some(inside) = at(point(deep), d) else {
                continue;
            };
            tried += 1;
            let step = |c: [f64; 3]| (0..3).map(|ch| (c[ch] - inside[ch]).powi(2)).sum::<f64>().sqrt();
            // Walk outwards in half pixels to just past the old side, to the
            // first step; then on while it still climbs (a blurred edge), and
            // the edge is where it crosses half of where it levels off: a
            // card's edge, not the phone's a few pixels further out.
            let mut walk: Vec<(f64, f64)> = vec![(deep, 0.0)];
            let mut s = deep - 0.5;
            let mut top: Option<usize> = None;
            while s >= -3.0 * scale {
                let Some(col) = at(point(s), d) else {
                    break;
                };
                let v = step(col);
                walk.push((s, v));
                match top {
                    None if v >= SETTLE_STEP => top = Some(walk.len() - 1),
                    None if s < -scale => break,
                    Some(t) if v > walk[t].1 => top = Some(walk.len() - 1),
                    Some(t) if walk.len() - 1 > t + 2 => break,
                    _ => {}
                }
                s -= 0.5;
            }
            if let Some(t) = top {
                let half = walk[t].1 / 2.0;
                if let Some(k) = (1..=t).find(|&k| walk[k].1 >= half) {
                    let (p, q) = (walk[k - 1], walk[k]);
                    let f = ((half - p.1) / (q.1 - p.1).max(1e-9)).clamp(0.0, 1.0);
                    let e = p.0 - f * (p.0 - q.0);
                    found.push((point(e), e));
                }
            }
        }
        if tried < SETTLE_PROFILES / 2 || found.len() * 5 < tried * 3 {
            continue;
        }
        let mut depths: Vec<f64> = found.iter().map(|f| f.1).collect();
        depths.sort_by(f64::total_cmp);
        let median = depths[depths.len() / 2];
        // Clearly inside the old side, and short of the walk's start (a
        // step right at the start is the object's own print).
        if median < SETTLE_MIN_SHIFT * scale || median > deep - scale {
            continue;
        }
        let agree: Vec<(f64, f64)> = found
            .iter()
            .filter(|f| (f.1 - median).abs() <= scale)
            .map(|f| f.0)
            .collect();
        if agree.len() * 2 < tried {
            continue;
        }
        // Least squares through the agreeing steps, parallel to the old side
        // within a few degrees.
        let Some(line) = fit_line(&agree, d, 3.0) else {
            continue;
        };
        sides[i] = Some(line);
        moved = true;
    }
    if !moved {
        return q;
    }
    let line_of = |i: usize| sides[i].unwrap_or_else(|| line_through(c[i], c[(i + 1) % 4]));
    let mut corners = *c;
    for (i, corner) in corners.iter_mut().enumerate() {
        match meet(line_of((i + 3) % 4), line_of(i)) {
            Some(p) => *corner = p,
            None => return q,
        }
    }
    if !plausible(&corners) {
        return q;
    }
    with_corners(q, corners, (iw, ih), search)
}

/// `q` with new corners (in the image's pixels), its shape and area
/// following them; the score and the per-side figures stay the search's.
fn with_corners(q: Quad, corners: [(f64, f64); 4], (iw, ih): (f64, f64), search: &QuadSearch) -> Quad {
    Quad {
        corners,
        aspect: fit_aspect(&corners, (iw / 2.0, ih / 2.0), iw.max(ih), &search.aspects),
        area_fraction: polygon_area(&clip_to_frame(&corners, iw, ih)) / (iw * ih),
        ..q
    }
}

/// A line as (unit normal, distance from the origin).
type NormalLine = ((f64, f64), f64);

/// The line through `a` and `b`.
fn line_through(a: (f64, f64), b: (f64, f64)) -> NormalLine {
    let len = dist(a, b).max(1e-9);
    let n = (-(b.1 - a.1) / len, (b.0 - a.0) / len);
    (n, n.0 * a.0 + n.1 * a.1)
}

/// Where two lines given as (unit normal, distance) cross.
fn meet((n1, r1): NormalLine, (n2, r2): NormalLine) -> Option<(f64, f64)> {
    let det = n1.0 * n2.1 - n1.1 * n2.0;
    (det.abs() > 1e-9).then(|| ((r1 * n2.1 - r2 * n1.1) / det, (n1.0 * r2 - n2.0 * r1) / det))
}

/// Per-channel median of colours (reorders them).
fn median_colour(v: &mut [[f32; 3]]) -> Option<[f32; 3]> {
    colour_rank(v, 0.5)
}

/// Per-channel `q` quantile of colours (reorders them).
fn colour_rank(v: &mut [[f32; 3]], q: f64) -> Option<[f32; 3]> {
    if v.is_empty() {
        return None;
    }
    let at = ((v.len() - 1) as f64 * q).round() as usize;
    let mut m = [0f32; 3];
    for (k, mk) in m.iter_mut().enumerate() {
        v.select_nth_unstable_by(at, |a, b| a[k].total_cmp(&b[k]));
        *mk = v[at][k];
    }
    Some(m)
}

fn colour_distance(a: [f32; 3], b: [f32; 3]) -> f64 {
    (0..3).map(|k| f64::from(a[k] - b[k]).powi(2)).sum::<f64>().sqrt()
}

fn luma3(c: [f32; 3]) -> f64 {
    f64::from(c[0] + c[1] + c[2]) / 3.0
}

/// Distance (RGB) of `c` from `reference` once its brightness is brought
/// to the reference's; infinite when its brightness ratio is outside
/// `ratios` (a shadow or a light ramp is the same colour, up to a point).
fn evened_distance(c: [f32; 3], reference: [f32; 3], ratios: std::ops::RangeInclusive<f64>) -> f64 {
    let ratio = luma3(c) / luma3(reference).max(1.0);
    if !ratios.contains(&ratio) {
        return f64::INFINITY;
    }
    let k = (1.0 / ratio.max(0.01)) as f32;
    colour_distance(c.map(|v| v * k), reference)
}

/// A page's sides moved off its own print onto its edge. Where the page
/// lies over a second sheet of near the same white, its edge there draws
/// almost no edge pixels, and a table's rule or a signature line with three
/// real page sides makes a better quadrilateral than the page. Such a side
/// is told by a ridge of ink with the same paper on both sides; the page
/// goes on past it, so the strip between the two neighbouring sides is
/// walked outwards a row at a time (each row's paper colour, so that text
/// and crossing rules drop out) to the first steady step away from the
/// paper. When the paper runs on into the frame's edge instead, the side
/// becomes that frame edge: the page is cut off there. Corners in analysis
/// pixels; `None` when no side moved.
fn past_print_sides(p: &Planes, q: &[(f64, f64); 4], frame_side: &[bool; 4], gain: f64) -> Option<PastPrint> {
    let mut c = *q;
    let mut frame = *frame_side;
    let mut moved = false;
    for i in 0..4 {
        if frame[i] || frame[(i + 1) % 4] || frame[(i + 3) % 4] {
            continue;
        }
        let Some(edge) = past_print_side(p, &c, i, gain) else {
            continue;
        };
        let (PageEdge::Line(side) | PageEdge::Frame(side)) = edge;
        let prev = line_through(c[(i + 3) % 4], c[i]);
        let next = line_through(c[(i + 1) % 4], c[(i + 2) % 4]);
        let (Some(a), Some(b)) = (meet(prev, side), meet(side, next)) else {
            continue;
        };
        let mut grown = c;
        grown[i] = a;
        grown[(i + 1) % 4] = b;
        if plausible(&grown) {
            c = grown;
            frame[i] = matches!(edge, PageEdge::Frame(_));
            moved = true;
        }
    }
    moved.then_some((c, frame))
}

/// Corners (analysis pixels) and frame sides after the walk past print.
type PastPrint = ([(f64, f64); 4], [bool; 4]);

/// Where the page's edge past a print side lies.
enum PageEdge {
    /// On this line, inside the frame.
    Line(NormalLine),
    /// Beyond this frame edge: paper all the way to it.
    Frame(NormalLine),
}

/// Whether side `i` of `c` lies on print: a ridge darker than both sides
/// along a good part of it, and the same paper on both sides. Gives the
/// side's line (normal pointing out of `c`) and the paper's colour.
fn print_side(p: &Planes, c: &[(f64, f64); 4], i: usize, gain: f64) -> Option<(NormalLine, [f32; 3])> {
    let (a, b) = (c[i], c[(i + 1) % 4]);
    if dist(a, b) < 20.0 {
        return None;
    }
    let centroid = (
        c.iter().map(|p| p.0).sum::<f64>() / 4.0,
        c.iter().map(|p| p.1).sum::<f64>() / 4.0,
    );
    let (mut n, mut rho) = line_through(a, b);
    if centroid.0 * n.0 + centroid.1 * n.1 > rho {
        (n, rho) = ((-n.0, -n.1), -rho);
    }
    let (mut ins, mut outs, mut ridges) = (Vec::new(), Vec::new(), 0usize);
    const SAMPLES: usize = 40;
    for k in 0..SAMPLES {
        let t = 0.1 + 0.8 * (k as f64 + 0.5) / SAMPLES as f64;
        let base = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        let at = |s: f64| p.at(base.0 + s * n.0, base.1 + s * n.1);
        let (Some(inside), Some(outside)) = (at(-5.0), at(5.0)) else {
            continue;
        };
        // The darkest point within 2.5 px (the side may run a little off
        // the rule towards its ends), and thin: 2 px either side of it at
        // least halfway back to the paper. A shadow beyond a page's edge
        // is as dark but fades out over several pixels.
        let (line, at_min) = (-5..=5)
            .filter_map(|s| at(f64::from(s) / 2.0).map(|c| (luma3(c), f64::from(s) / 2.0)))
            .fold((f64::INFINITY, 0.0), |m, v| if v.0 < m.0 { v } else { m });
        let floor = luma3(inside).min(luma3(outside));
        let thin = [-2.0, 2.0]
            .iter()
            .all(|d| at(at_min + d).is_some_and(|c| luma3(c) >= line + (floor - line) / 2.0));
        if thin && gain * (floor - line) >= PRINT_RIDGE {
            ridges += 1;
        }
        ins.push(inside);
        outs.push(outside);
    }
    let tried = ins.len();
    if tried < SAMPLES / 2 || (ridges as f64) < PRINT_SHARE * tried as f64 {
        return None;
    }
    // The same paper, in brightness too within a sixth: rows of text
    // either side of a rule darken the median a little.
    let (paper, beyond) = (median_colour(&mut ins)?, median_colour(&mut outs)?);
    (gain * evened_distance(beyond, paper, 0.85..=1.18) <= PRINT_SAME).then_some(((n, rho), paper))
}

/// One row of the strip past a print side: its paper colour (whole and per
/// part), where it ends on the two neighbouring sides, and its share of ink.
struct StripRow {
    paper: [f32; 3],
    median: [f32; 3],
    parts: [Option<[f32; 3]>; STRIP_PARTS],
    part_medians: [Option<[f32; 3]>; STRIP_PARTS],
    ends: ((f64, f64), (f64, f64)),
    ink: f64,
}

const STRIP_PARTS: usize = 4;

/// The line of the page's edge past side `i` of `c` when that side lies on
/// print (see `past_print_sides`).
fn past_print_side(p: &Planes, c: &[(f64, f64); 4], i: usize, gain: f64) -> Option<PageEdge> {
    let ((n, rho), paper) = print_side(p, c, i, gain)?;
    let (rows, at_frame) = strip_rows(p, c, i, (n, rho), gain);
    let win = PAST_PRINT_WINDOW;
    let is_paper = |c: [f32; 3]| page_paper(c, paper, gain);
    if rows.len() < 2 * win + 4 {
        // The side lies within a window or two of the frame.
        return (at_frame && rows.len() >= 2 && runs_into_frame(&rows, 0, paper, gain)).then(|| frame_edge(p, n));
    }
    // The step at row k: the brightest of the rows just before against the
    // brightest just after (a rule or a line of text, a few rows wide and
    // only darker, drops out of both).
    let step_at = |pick: &dyn Fn(usize) -> Option<[f32; 3]>, k: usize| -> Option<([f32; 3], [f32; 3])> {
        let brightest = |r: std::ops::Range<usize>| r.filter_map(pick).max_by(|a, b| luma3(*a).total_cmp(&luma3(*b)));
        Some((brightest(k - 1 - win..k - 1)?, brightest(k + 2..k + 2 + win)?))
    };
    let whole = |k: usize| Some(rows[k].paper);
    let last = rows.len() - win - 2;
    let steps: Vec<f64> = (0..rows.len())
        .map(|k| {
            if k < win + 1 || k > last {
                return 0.0;
            }
            step_at(&whole, k).map_or(0.0, |(x, y)| gain * colour_distance(x, y))
        })
        .collect();
    for k in win + 1..last {
        // Still on the page: its paper at the top of each row, and as the
        // median of most rows (a row half desk, half a white sheet beside
        // the page has a paper-white top too).
        let (before, after) = step_at(&whole, k)?;
        let papery = rows[k - 1 - win..k - 1].iter().filter(|r| is_paper(r.median)).count();
        if !is_paper(before) || 2 * papery < win {
            // Left the page without a step the walk took: past it a desk
            // whose brightest (a tile's grout) is paper-white too. The
            // page ends where each part's median leaves the paper for good.
            return median_edge(&rows, k - 1 - win, &is_paper, (-n.1, n.0)).map(PageEdge::Line);
        }
        let s = steps[k];
        if s < PAST_PRINT_STEP || s < steps[k - 1] || s < steps[k + 1] {
            continue;
        }
        if is_paper(after) && !faint_step_is_edge(&rows, k, (before, after), gain) {
            continue;
        }
        // The same step along most of the side, not a blot on one part.
        let towards = [0, 1, 2].map(|j| after[j] - before[j]);
        let mut points = Vec::new();
        for part in 0..STRIP_PARTS {
            let pick = |r: usize| rows[r].parts[part];
            let mut best: Option<(f64, usize)> = None;
            for r in k.saturating_sub(4).max(win + 1)..(k + 5).min(last) {
                if let Some((x, y)) = step_at(&pick, r) {
                    let along: f64 = (0..3).map(|j| f64::from((y[j] - x[j]) * towards[j])).sum();
                    let size = gain * colour_distance(x, y);
                    if along > 0.0 && size >= PAST_PRINT_STEP / 2.0 && best.is_none_or(|b| size > b.0) {
                        best = Some((size, r));
                    }
                }
            }
            if let Some((_, r)) = best {
                let (e0, e1) = rows[r].ends;
                let t = 0.1 + 0.8 * (part as f64 + 0.5) / STRIP_PARTS as f64;
                points.push((e0.0 + t * (e1.0 - e0.0), e0.1 + t * (e1.1 - e0.1)));
            }
        }
        if points.len() < STRIP_PARTS - 1 {
            continue;
        }
        // A line through the parts' steps when it runs within 5° of the old
        // side; else the old side moved out parallel.
        return Some(PageEdge::Line(
            fit_line(&points, (-n.1, n.0), 5.0).unwrap_or((n, rho + k as f64 + 1.0)),
        ));
    }
    // No step, and the strip ran into the frame still on paper (the rows
    // the loop above never judged too): the page goes on past the frame.
    (at_frame && runs_into_frame(&rows, last - 1 - win, paper, gain)).then(|| frame_edge(p, n))
}

/// The page's edge where the strip's rows from `from` on stop being paper
/// for good: in each part the first row whose median and the next
/// `PAST_PRINT_WINDOW` rows' are not paper (a title's rows only darken a
/// few), a line through at least three parts within 5° of `along`.
fn median_edge(
    rows: &[StripRow],
    from: usize,
    is_paper: &dyn Fn([f32; 3]) -> bool,
    along: (f64, f64),
) -> Option<NormalLine> {
    let mut points = Vec::new();
    for part in 0..STRIP_PARTS {
        let off_page = |r: usize| rows[r].part_medians[part].is_some_and(|c| !is_paper(c));
        let Some(r) = (from..rows.len().saturating_sub(PAST_PRINT_WINDOW))
            .find(|&r| (r..r + PAST_PRINT_WINDOW).all(off_page) && (r == 0 || !off_page(r - 1)))
        else {
            continue;
        };
        let (e0, e1) = rows[r].ends;
        let t = 0.1 + 0.8 * (part as f64 + 0.5) / STRIP_PARTS as f64;
        points.push((e0.0 + t * (e1.0 - e0.0), e0.1 + t * (e1.1 - e0.1)));
    }
    if points.len() < STRIP_PARTS - 1 {
        return None;
    }
    fit_line(&points, along, 5.0)
}

/// Whether the strip's rows from `tail` on, which end at the frame, are
/// the page: paper at the top of each and as the median of most, paper
/// across the whole strip (not a white sheet beside a desk), and the page's
/// print going on past the side's own ridge (a page's real edge over a
/// desk of nearly its colour looks like print too, but nothing is printed
/// beyond it), mostly bare at its end. A strip too short for a window
/// needs every row paper instead of print and bare paper.
fn runs_into_frame(rows: &[StripRow], tail: usize, paper: [f32; 3], gain: f64) -> bool {
    let is_paper = |c: [f32; 3]| page_paper(c, paper, gain);
    // Each part of a row as close to the row's paper as the paper beyond a
    // print side is to the paper inside (a light desk evens out to paper
    // in the looser test).
    let same_paper = |c: [f32; 3], row: [f32; 3]| gain * evened_distance(c, row, 0.85..=1.18) <= PRINT_SAME;
    let short = rows.len() < 2 * PAST_PRINT_WINDOW + 4;
    let tail = &rows[tail..];
    let papery = tail.iter().filter(|r| is_paper(r.median)).count();
    // A short strip is flat too: a page's shadow on a desk next to its
    // edge fades over a few pixels (25-30 levels over 6-8 rows), paper
    // under even a steep light ramp changes by a few levels.
    let (lo, hi) = tail
        .iter()
        .map(|r| luma3(r.paper))
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let enough = if short {
        papery == tail.len() && gain * (hi - lo) <= PRINT_SAME
    } else {
        2 * papery >= tail.len()
    };
    let across = (0..STRIP_PARTS).all(|part| {
        let paper = tail
            .iter()
            .filter(|r| r.part_medians[part].is_some_and(|c| same_paper(c, r.paper)))
            .count();
        2 * paper >= tail.len()
    });
    // Print changes from row to row (lines of text, a table's rules); a
    // desk in the rows' ends comes and goes gradually. The print goes on
    // to near the frame: a page's own margin is narrow, a page's margin
    // and a white desk beyond the edge the walk missed are not.
    let jumps: Vec<usize> = rows
        .windows(2)
        .enumerate()
        .filter(|(k, r)| *k >= PAST_PRINT_WINDOW && (r[1].ink - r[0].ink).abs() >= PAST_FRAME_PRINT)
        .map(|(k, _)| k)
        .collect();
    let printed = short
        || (jumps.len() >= PAST_FRAME_JUMPS && jumps.last().is_some_and(|&k| rows.len() - k <= PAST_FRAME_MARGIN));
    // Mostly bare paper at the end, the print only in some rows: a row
    // with a brighter sheet or desk in it counts the page as ink.
    let mut inks: Vec<f64> = tail.iter().map(|r| r.ink).collect();
    inks.sort_by(f64::total_cmp);
    let bare = short || inks.get(inks.len() / 2).is_some_and(|&m| m <= PAST_PRINT_INK);
    let brightest = tail
        .iter()
        .map(|r| r.paper)
        .max_by(|a, b| luma3(*a).total_cmp(&luma3(*b)));
    enough && across && printed && bare && brightest.is_some_and(is_paper)
}

/// Whether colour `c` is the page's `paper` for the walk, brightness evened
/// out: a light ramp over the page is still paper.
fn page_paper(c: [f32; 3], paper: [f32; 3], gain: f64) -> bool {
    gain * evened_distance(c, paper, 0.75..=1.33) <= PAPER_SAME
}

/// The frame edge (analysis copy) that a side with outward normal `n` faces.
fn frame_edge(p: &Planes, n: (f64, f64)) -> PageEdge {
    let (w, h) = ((p.w - 1) as f64, (p.h - 1) as f64);
    let edges: [NormalLine; 4] = [((-1.0, 0.0), 0.0), ((0.0, -1.0), 0.0), ((1.0, 0.0), w), ((0.0, 1.0), h)];
    let facing = |e: &NormalLine| e.0 .0 * n.0 + e.0 .1 * n.1;
    let best = edges
        .into_iter()
        .max_by(|a, b| facing(a).total_cmp(&facing(b)))
        .unwrap_or(edges[0]);
    PageEdge::Frame(best)
}

/// Rows outwards from side `i` (on `line`, normal outwards), each between
/// the two neighbouring sides, to the frame or one and a half times the
/// quad's depth; and whether they stopped at the frame.
fn strip_rows(p: &Planes, c: &[(f64, f64); 4], i: usize, (n, rho): NormalLine, gain: f64) -> (Vec<StripRow>, bool) {
    let (w, h) = ((p.w - 1) as f64, (p.h - 1) as f64);
    let prev = line_through(c[(i + 3) % 4], c[i]);
    let next = line_through(c[(i + 1) % 4], c[(i + 2) % 4]);
    let depth = [c[(i + 2) % 4], c[(i + 3) % 4]]
        .iter()
        .map(|q| rho - (q.0 * n.0 + q.1 * n.1))
        .fold(0.0, f64::max);
    let mut rows = Vec::new();
    let mut off = 1.0;
    while off <= 1.5 * depth {
        let shifted = (n, rho + off);
        let (Some(e0), Some(e1)) = (meet(shifted, prev), meet(shifted, next)) else {
            break;
        };
        // A row is never longer than the frame's outline (nearly parallel
        // neighbours would put its ends far out).
        let m = dist(e0, e1).clamp(8.0, 2.0 * (w + h)) as usize;
        let mut all = Vec::with_capacity(m);
        let mut parts: [Vec<[f32; 3]>; STRIP_PARTS] = Default::default();
        for k in 0..m {
            let t = 0.1 + 0.8 * (k as f64 + 0.5) / m as f64;
            let (x, y) = (e0.0 + t * (e1.0 - e0.0), e0.1 + t * (e1.1 - e0.1));
            if x < 0.0 || y < 0.0 || x > w || y > h {
                continue;
            }
            if let Some(col) = p.at(x, y) {
                all.push(col);
                parts[(k * STRIP_PARTS / m).min(STRIP_PARTS - 1)].push(col);
            }
        }
        // Off the frame: the page's edge is not in it.
        if all.len() * 10 < m * 6 {
            return (rows, true);
        }
        let (Some(paper), Some(median)) = (colour_rank(&mut all, PAPER_RANK), median_colour(&mut all)) else {
            break;
        };
        let dark = luma3(paper) - PRINT_RIDGE / gain;
        let ink = all.iter().filter(|&&c| luma3(c) < dark).count() as f64 / all.len() as f64;
        let part_colours = parts.map(|mut v| {
            if v.len() >= 3 {
                (colour_rank(&mut v, PAPER_RANK), median_colour(&mut v))
            } else {
                (None, None)
            }
        });
        let (parts, part_medians) = (part_colours.map(|c| c.0), part_colours.map(|c| c.1));
        rows.push(StripRow {
            paper,
            median,
            parts,
            part_medians,
            ends: (e0, e1),
            ink,
        });
        off += 1.0;
    }
    (rows, false)
}

/// Whether a faint step at row `k` (from paper to near the same paper:
/// another sheet) is the page's edge: no dip at it and no print past it
/// (the paper between a table's rules and under lines of text steps a
/// little from row to row too), and flat past it (a light ramp over a white
/// desk steps as much between windows, but all along).
fn faint_step_is_edge(rows: &[StripRow], k: usize, (before, after): ([f32; 3], [f32; 3]), gain: f64) -> bool {
    let win = PAST_PRINT_WINDOW;
    let past = &rows[k + 2..k + 2 + win];
    let dip = rows[k - 2..=k + 2]
        .iter()
        .map(|r| luma3(r.paper))
        .fold(f64::INFINITY, f64::min);
    let (lo, hi) = past
        .iter()
        .map(|r| luma3(r.paper))
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let step = (luma3(after) - luma3(before)).abs();
    dip >= luma3(before).min(luma3(after)) - PAST_PRINT_DIP / gain
        && past.iter().all(|r| r.ink <= PAST_PRINT_INK)
        && hi - lo <= step / 3.0
}

/// The least-squares line through `points` when it runs within `max_deg`
/// degrees of direction `along`, as (unit normal, distance).
fn fit_line(points: &[(f64, f64)], along: (f64, f64), max_deg: f64) -> Option<NormalLine> {
    if points.len() < 2 {
        return None;
    }
    let k = points.len() as f64;
    let m = (
        points.iter().map(|p| p.0).sum::<f64>() / k,
        points.iter().map(|p| p.1).sum::<f64>() / k,
    );
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for q in points {
        let (x, y) = (q.0 - m.0, q.1 - m.1);
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let dir = (angle.cos(), angle.sin());
    if (dir.0 * along.0 + dir.1 * along.1).abs() < max_deg.to_radians().cos() {
        return None;
    }
    let normal = (-dir.1, dir.0);
    Some((normal, normal.0 * m.0 + normal.1 * m.1))
}

/// The lines that may be sides, strongest first, then the frame's four
/// edges (for objects that go on beyond them). Peaks apart in the
/// accumulator can refine to the same line: one is kept. Only a line with a
/// stretch that looks like a side (edge pixels along it and a colour step
/// across it) can be one: grain, mortar and print lines mostly fall out
/// here, and the search stays small.
fn side_lines(planes: &Planes, edge_px: &[Edge], gain: f64, per_direction: Option<usize>, paper: bool) -> Vec<Line> {
    let (w, h) = ((planes.w - 1) as f64, (planes.h - 1) as f64);
    let extra = if paper { EXTRA_HOUGH } else { 0 };
    let mut fitted: Vec<((f64, f64), f64)> = Vec::new();
    let mut first = 0;
    for (i, (n, rho)) in hough_lines(edge_px, planes.w, planes.h, per_direction, MAX_LINES + extra)
        .into_iter()
        .enumerate()
    {
        let same = fitted.iter().any(|&(m, r)| {
            let dot = n.0 * m.0 + n.1 * m.1;
            dot.abs() > 1.5f64.to_radians().cos() && (rho - r * dot.signum()).abs() < 2.5
        });
        if !same {
            fitted.push((n, rho));
        }
        if i < MAX_LINES {
            first = fitted.len();
        }
    }
    let stretch = (0.12 * w.min(h)).max(8.0);
    let rate = |lines: &[((f64, f64), f64)], min: f64| {
        let mut rated: Vec<(f64, Line)> = lines
            .iter()
            .filter_map(|&(n, rho)| profile_line(n, rho, edge_px, planes, false))
            .map(|l| (best_stretch(&l, stretch, gain), l))
            .filter(|(q, _)| *q >= min)
            .collect();
        rated.sort_by(|a, b| b.0.total_cmp(&a.0));
        rated
    };
    let mut rated = rate(&fitted[..first], MIN_STRETCH);
    rated.truncate(MAX_SIDES);
    // A page's edge over a second sheet steps a few levels and gets fewer
    // votes than a form's ruled lines, which fill the first MAX_LINES: the
    // clearest steps among the next votes join.
    let mut steps = rate(&fitted[first..], EXTRA_STRETCH);
    steps.truncate(EXTRA_SIDES);
    rated.extend(steps);
    let mut lines: Vec<Line> = rated.into_iter().map(|(_, l)| l).collect();
    for (n, rho) in [((1.0, 0.0), 0.0), ((1.0, 0.0), w), ((0.0, 1.0), 0.0), ((0.0, 1.0), h)] {
        if let Some(l) = profile_line(n, rho, edge_px, planes, true) {
            lines.push(l);
        }
    }
    lines
}

/// Widest bar (analysis pixels) told from an edge: a pen across a card is
/// 5-7. At 40 the gap between a card and a saucer beside it counted as one
/// and good cards' sides were dropped, so thicker pens are not handled.
const BAR_MAX: usize = 12;
/// A colour this close (times the brightness gain) is the same surface.
const BAR_SAME: f32 = 12.0;
/// The bar's own colour is at least this far from the near side's.
const BAR_STEP: f32 = 30.0;
/// A side with at least this share of its points on a bar's edge is the
/// bar's, not the object's: lowered from 50 % for a pen across the card's
/// emblem (34 %); at 30 % no other scene of the four card seed sets
/// changed its outcome (a pen along the card's side, 20 %, is missed).
const BAR_SIDE: f64 = 0.3;

/// Whether the found quad lies inside the frame (within the `cropped`
/// limit) and has one of the object's shapes (no shape penalty).
fn whole_and_shaped(q: &Quad, (iw, ih): (u32, u32), search: &QuadSearch) -> bool {
    let (w, h) = (f64::from(iw), f64::from(ih));
    let limit = search.max_corner_outside * w.hypot(h);
    q.corners.iter().all(|&p| outside_frame(p, w, h) <= limit) && shape_factor(q.aspect, search) >= 1.0
}

/// The lines of a bar (a pen) that gave a side of `q` (analysis pixels):
/// the side with the largest share of its points on one edge of a bar, if
/// at least `BAR_SIDE`, and every line that runs within `BAR_MAX` of it
/// (the bar's other edge).
fn bar_lines(planes: &Planes, lines: &[Line], q: &[(f64, f64); 4], gain: f64) -> Option<Vec<usize>> {
    let (side, share) = (0..4)
        .map(|i| (i, bar_share(planes, q[i], q[(i + 1) % 4], gain)))
        .max_by(|x, y| x.1.total_cmp(&y.1))?;
    if share < BAR_SIDE {
        return None;
    }
    let (a, b) = (q[side], q[(side + 1) % 4]);
    let (n, _) = line_through(a, b);
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let near = |m: &Line| {
        !m.frame
            && (m.n.0 * n.0 + m.n.1 * n.1).abs() >= 3f64.to_radians().cos()
            && (m.n.0 * mid.0 + m.n.1 * mid.1 - m.rho).abs() <= BAR_MAX as f64
    };
    let bars: Vec<usize> = (0..lines.len()).filter(|&i| near(&lines[i])).collect();
    (!bars.is_empty()).then_some(bars)
}

/// The share of the points along the segment `a`-`b` (its middle 80 %, in
/// the frame) that lie on one edge of a bar: a pen lying across the
/// object, whose far edge comes within `BAR_MAX`, sharp, with the near
/// side's colour beyond it. A side of the object has the object on one side
/// and the surface on the other, however far one looks.
fn bar_share(planes: &Planes, a: (f64, f64), b: (f64, f64), gain: f64) -> f64 {
    let len = dist(a, b);
    if len < 8.0 {
        return 0.0;
    }
    let (d, n) = (
        ((b.0 - a.0) / len, (b.1 - a.1) / len),
        (-(b.1 - a.1) / len, (b.0 - a.0) / len),
    );
    let g = gain as f32;
    let far = |x: [f32; 3], y: [f32; 3]| g * colour_distance(x, y) as f32;
    let (mut seen, mut bars) = (0u32, 0u32);
    let mut t = 0.1 * len;
    while t <= 0.9 * len {
        let p = (a.0 + t * d.0, a.1 + t * d.1);
        t += 2.0;
        let at = |k: f64| planes.at(p.0 + k * n.0, p.1 + k * n.1);
        if at(0.0).is_none() {
            continue;
        }
        seen += 1;
        let is_bar = [1.0, -1.0].iter().any(|&s| {
            let (Some(near), Some(on)) = (at(-s * CONTRAST_OFFSET), at(s * CONTRAST_OFFSET)) else {
                return false;
            };
            if far(near, on) < BAR_STEP {
                return false;
            }
            let mut before = on;
            for k in (CONTRAST_OFFSET as usize + 2..=BAR_MAX).step_by(2) {
                let Some(c) = at(s * k as f64) else {
                    return false;
                };
                if far(c, near) < BAR_SAME {
                    // The far edge: sharp, from the bar's colour to the
                    // near side's within two pixels (a shadow fades).
                    return far(before, near) >= BAR_STEP;
                }
                before = c;
            }
            false
        });
        bars += u32::from(is_bar);
    }
    if seen == 0 {
        0.0
    } else {
        f64::from(bars) / f64::from(seen)
    }
}

/// "The whole frame is the page", scored `score`.
fn whole_frame(iw: u32, ih: u32, score: f64) -> Quad {
    let (fw, fh) = (f64::from(iw), f64::from(ih));
    Quad {
        corners: [(0.0, 0.0), (fw, 0.0), (fw, fh), (0.0, fh)],
        score,
        edge_score: score,
        side_support: [0.0; 4],
        side_contrast: [0.0; 4],
        frame_side: [true; 4],
        aspect: fw.max(fh) / fw.min(fh),
        area_fraction: 1.0,
        full_frame: true,
    }
}

/// What the search works on: the analysis copy, its edge pixels and lines.
struct Scene<'a> {
    planes: &'a Planes,
    edge_px: &'a [Edge],
    lines: &'a [Line],
    /// The analysis copy's last pixel column and row.
    w: f64,
    h: f64,
    centre: (f64, f64),
    scoring: Scoring,
    /// Original pixels per analysis pixel.
    scale: (f64, f64),
    search: &'a QuadSearch,
}

/// What the search over line pairs keeps.
#[derive(Default)]
struct Candidates {
    /// Candidates worth a look when nesting.
    pool: Vec<Pooled>,
    /// The best of four real sides (shape counted), of those with a frame
    /// side, and of four real sides whatever the shape.
    best: Option<Cand>,
    best_frame: Option<Cand>,
    best_any: Option<Cand>,
    best_score: f64,
}

impl Candidates {
    #[inline]
    fn keep(slot: &mut Option<Cand>, c: &Cand, by_raw: bool) {
        let s = if by_raw { c.raw } else { c.score };
        if slot.as_ref().is_none_or(|b| s > if by_raw { b.raw } else { b.score }) {
            *slot = Some(*c);
        }
    }
}

impl<'a> Scene<'a> {
    fn new(
        planes: &'a Planes,
        edge_px: &'a [Edge],
        lines: &'a [Line],
        search: &'a QuadSearch,
        gain: f64,
        scale: (f64, f64),
    ) -> Scene<'a> {
        let (w, h) = ((planes.w - 1) as f64, (planes.h - 1) as f64);
        Scene {
            planes,
            edge_px,
            lines,
            w,
            h,
            centre: (w / 2.0, h / 2.0),
            scoring: Scoring {
                margin: search.corner_margin,
                gain,
                evened_strips: !search.paper(),
            },
            scale,
            search,
        }
    }

    /// The candidates, with the best one grown to the outermost convincing
    /// one and, on paper, walked past print.
    fn search(&self, img: &RgbImage) -> Candidates {
        let mut found = self.candidates();
        if let Some(b) = found.best.as_mut() {
            self.outermost(b, &found.pool);
            if self.search.paper() {
                self.past_print(img, b, &found.pool);
            }
        }
        found
    }

    /// Pairs of roughly parallel lines far enough apart, with their mean
    /// direction (for the perpendicularity test).
    fn parallel_pairs(&self) -> Vec<(usize, usize, f64)> {
        let lines = self.lines;
        let (w, h, centre) = (self.w, self.h, self.centre);
        let mut pairs = Vec::new();
        for i in 0..lines.len() {
            for j in i + 1..lines.len() {
                let (a, b) = (&lines[i], &lines[j]);
                let mut dt = (a.theta - b.theta).abs();
                dt = dt.min(std::f64::consts::PI - dt);
                if dt > 30f64.to_radians() || (a.frame && b.frame) {
                    continue;
                }
                // Separation measured at the image centre.
                let da = centre.0 * a.n.0 + centre.1 * a.n.1 - a.rho;
                let db = centre.0 * b.n.0 + centre.1 * b.n.1 - b.rho;
                let same = a.n.0 * b.n.0 + a.n.1 * b.n.1 > 0.0;
                let sep = if same { (da - db).abs() } else { (da + db).abs() };
                if sep < 0.08 * w.min(h) {
                    continue;
                }
                let mut mean = (a.theta + b.theta) / 2.0;
                if (a.theta - b.theta).abs() > std::f64::consts::FRAC_PI_2 {
                    mean += std::f64::consts::FRAC_PI_2;
                }
                pairs.push((i, j, mean.rem_euclid(std::f64::consts::PI)));
            }
        }
        pairs
    }

    /// Every crossing of two lines once (`nl × nl`, symmetric), with the
    /// absurdly far ones (a corner may lie outside the frame, but not by
    /// half of it) left out.
    fn crossings(&self) -> Vec<Option<(f64, f64)>> {
        let (lines, w, h) = (self.lines, self.w, self.h);
        let nl = lines.len();
        let mut cross = vec![None; nl * nl];
        for i in 0..nl {
            for j in i + 1..nl {
                let p = intersect(&lines[i], &lines[j])
                    .filter(|p| p.0 >= -0.5 * w && p.0 <= 1.5 * w && p.1 >= -0.5 * h && p.1 <= 1.5 * h);
                cross[i * nl + j] = p;
                cross[j * nl + i] = p;
            }
        }
        cross
    }

    /// Every quadrilateral of two pairs of near-parallel lines at least 50°
    /// apart, scored, with bounds that skip most before their colours are
    /// looked at.
    fn candidates(&self) -> Candidates {
        let (lines, search) = (self.lines, self.search);
        let (w, h) = (self.w, self.h);
        let frame_area = w * h;
        let long = w.max(h);
        let mut pairs = self.parallel_pairs();
        // Strong lines first (the lines are sorted by strength): the best
        // candidates come early and the bound prunes more of the rest.
        pairs.sort_by_key(|&(i, j, _)| i + j);
        let cross = self.crossings();
        let nl = lines.len();
        let mut found = Candidates::default();
        for (pi, &(a1, a2, ta)) in pairs.iter().enumerate() {
            for &(b1, b2, tb) in &pairs[pi + 1..] {
                let mut dt = (ta - tb).abs();
                dt = dt.min(std::f64::consts::PI - dt);
                if dt < 50f64.to_radians() || [b1, b2].contains(&a1) || [b1, b2].contains(&a2) {
                    continue;
                }
                let frames = [a1, a2, b1, b2].iter().filter(|&&i| lines[i].frame).count();
                let (Some(c1), Some(c2), Some(c3), Some(c4)) = (
                    cross[a1 * nl + b1],
                    cross[b1 * nl + a2],
                    cross[a2 * nl + b2],
                    cross[b2 * nl + a1],
                ) else {
                    continue;
                };
                let q = [c1, c2, c3, c4];
                let whole_area = (polygon_area(&q) / frame_area).min(1.0);
                if whole_area < search.min_area || !plausible(&q) {
                    continue;
                }
                let sides = [&lines[b1], &lines[a2], &lines[b2], &lines[a1]];
                let frame_factor = search.frame_side_factor.powi(frames as i32);
                if !self.may_matter(sides, &q, whole_area.powf(AREA_EXPONENT) * frame_factor, frames, &found) {
                    continue;
                }
                let (_, _, mean) = score_quad(sides, &q, self.scoring);
                // No shape or clipping can raise a score.
                let bound = mean * whole_area.powf(AREA_EXPONENT) * frame_factor;
                if bound < 0.5 * search.min_score {
                    found.best_score = found.best_score.max(bound);
                    continue;
                }
                let area = if q.iter().all(|p| p.0 >= 0.0 && p.1 >= 0.0 && p.0 <= w && p.1 <= h) {
                    whole_area
                } else {
                    polygon_area(&clip_to_frame(&q, w, h)) / frame_area
                };
                // Something cut off by the frame must still show a good part of
                // itself: a brick or a note in the corner is not a cut-off card.
                if area < search.min_area || (frames > 0 && area < 2.0 * search.min_area) {
                    continue;
                }
                let raw = mean * area.powf(AREA_EXPONENT) * frame_factor;
                let shape = if frames == 0 {
                    shape_factor(fit_aspect(&q, self.centre, long, &search.aspects), search)
                } else {
                    1.0
                };
                let c = Cand {
                    lines: [b1, a2, b2, a1],
                    corners: q,
                    score: raw * shape,
                    raw,
                };
                found.best_score = found.best_score.max(c.score);
                if c.score >= 0.5 * search.min_score {
                    found.pool.push((c.corners, c.score, c.lines, frames));
                }
                if frames == 0 {
                    Candidates::keep(&mut found.best, &c, false);
                    Candidates::keep(&mut found.best_any, &c, true);
                } else {
                    Candidates::keep(&mut found.best_frame, &c, false);
                }
            }
        }
        found
    }

    /// Whether a candidate could still matter, from the sides' edge support
    /// alone, which bounds the score from above (steps, corners and the
    /// weakest side only lower it): most candidates end here. It must reach
    /// the pool's floor, and for a candidate of real sides the share of the
    /// best so far that nesting asks or the best raw score so far; for one
    /// with a frame side the best of its kind or the best so far.
    #[inline(always)]
    fn may_matter(
        &self,
        sides: [&Line; 4],
        q: &[(f64, f64); 4],
        size_bound: f64,
        frames: usize,
        found: &Candidates,
    ) -> bool {
        let (mut sup, mut weakest, mut real) = (0.0, f64::INFINITY, 0.0);
        for (i, l) in sides.iter().enumerate() {
            if !l.frame {
                let (ta, tb) = (l.t_of(q[i]), l.t_of(q[(i + 1) % 4]));
                let v = l.mean(&l.support, ta.min(tb), ta.max(tb)).0;
                sup += v;
                weakest = weakest.min(v);
                real += 1.0;
            }
        }
        if real == 0.0 {
            return false;
        }
        let bound = ((1.0 - WEAKEST_WEIGHT) * sup / real + WEAKEST_WEIGHT * weakest) * size_bound;
        let so_far = found.best.as_ref().map_or(0.0, |b| b.score);
        let matters = if frames == 0 {
            bound >= NEST_RATIO * so_far || found.best_any.as_ref().is_none_or(|b| bound >= b.raw)
        } else {
            bound >= so_far || found.best_frame.as_ref().is_none_or(|b| bound >= b.score)
        };
        bound >= 0.5 * self.search.min_score && matters
    }

    /// Nested rectangles (a card's portrait, a form's table): the object is
    /// the outermost convincing one, so a candidate that encloses the best
    /// and scores nearly as well (NEST_RATIO) takes its place, also one that
    /// runs on past the frame (a page cut off around its whole table). One
    /// that is nearly the same quad (`NEAR_SAME_GROWTH`) must score as well.
    fn outermost(&self, b: &mut Cand, pool: &[Pooled]) {
        // One that runs past the frame must score as well as the enclosed:
        // a page's strip of table beside the frame is not evidence enough.
        let ratio = |frames, near_same| {
            if frames > 0 || near_same {
                1.0
            } else {
                NEST_RATIO
            }
        };
        loop {
            // A weaker one that keeps two of the sides and moves the others
            // out must show that each moved side is the object's (the
            // object's colour, measured only when such a one comes up).
            let model = OnceCell::new();
            let kept = |c: &Cand| {
                let shared = c.lines.iter().filter(|l| b.lines.contains(l)).count();
                if c.score >= b.score || shared < 2 {
                    return true;
                }
                let Some(model) = model.get_or_init(|| self.interior(&b.lines, &b.corners)) else {
                    return true;
                };
                (0..4).all(|i| self.moved_side_holds(b, c, i, model))
            };
            match self.best_enclosing(b, pool, ratio, kept) {
                Some(c) => *b = c,
                None => return,
            }
        }
    }

    /// Whether side `i` of `c`, an enclosing candidate that keeps some of
    /// `b`'s sides, may stand for the object's: kept or on the frame, or
    /// with the object's colour (`model`) inside it and run along the side
    /// of `b` it replaces (a table's rule and the page's edge do; a tile's
    /// mortar line beyond a tilted page does not) unless it bounds the
    /// object more clearly (the page's edge beyond a shadow's line across
    /// the page).
    fn moved_side_holds(&self, b: &Cand, c: &Cand, i: usize, model: &Interior) -> bool {
        let li = c.lines[i];
        let l = &self.lines[li];
        if l.frame || b.lines.contains(&li) {
            return true;
        }
        let (_, inside, outside) = self.side_quality(l, &c.corners, i, model);
        if inside < MOVED_SIDE_INSIDE {
            return false;
        }
        let cos = |j: usize| {
            let r = &self.lines[b.lines[j]];
            (l.n.0 * r.n.0 + l.n.1 * r.n.1).abs()
        };
        let replaced = (0..4)
            .filter(|&j| !c.lines.contains(&b.lines[j]) && !self.lines[b.lines[j]].frame)
            .max_by(|&x, &y| cos(x).total_cmp(&cos(y)));
        replaced.is_none_or(|j| {
            cos(j) >= MOVED_SIDE_TURN.to_radians().cos()
                || outside >= self.side_quality(&self.lines[b.lines[j]], &b.corners, j, model).2 + MOVED_SIDE_CLEARER
        })
    }

    /// The best-scoring candidate of `pool` that encloses `b`, is larger
    /// by 5 %, scores the search's minimum and at least `ratio(frame
    /// sides)` of `b`'s score, among those `kept` lets through.
    fn best_enclosing(
        &self,
        b: &Cand,
        pool: &[Pooled],
        ratio: impl Fn(usize, bool) -> f64,
        kept: impl Fn(&Cand) -> bool,
    ) -> Option<Cand> {
        let inside = |outer: &[(f64, f64); 4], inner: &[(f64, f64); 4]| inner.iter().all(|p| contains(outer, p.0, p.1));
        let area = polygon_area(&b.corners);
        pool.iter()
            .filter(|(q, s, ls, frames)| {
                let grown = polygon_area(q) / area;
                let near_same = ls.iter().filter(|l| b.lines.contains(l)).count() >= 2 && grown < NEAR_SAME_GROWTH;
                *s >= ratio(*frames, near_same) * b.score
                    && *s >= self.search.min_score
                    && grown > 1.05
                    && inside(q, &b.corners)
            })
            .map(|&(q, s, ls, _)| Cand {
                lines: ls,
                corners: q,
                score: s,
                raw: s,
            })
            .filter(|c| kept(c))
            .max_by(|x, y| x.score.total_cmp(&y.score))
    }

    /// A sheet's printed rectangle (a form's table) is not the sheet: while
    /// the best is one, the best candidate enclosing it takes its place,
    /// whatever its score above the minimum (the table's ruled lines are
    /// often crisper than the page's edge against the desk).
    fn past_print(&self, img: &RgbImage, b: &mut Cand, pool: &[Pooled]) {
        let reach = self.scale.0.max(self.scale.1);
        let in_img = |q: &[(f64, f64); 4]| q.map(|(x, y)| (x * self.scale.0, y * self.scale.1));
        for _ in 0..3 {
            let frame_side = b.lines.map(|l| self.lines[l].frame);
            if !printed_rectangle(img, &in_img(&b.corners), &frame_side, reach) {
                return;
            }
            let Some(c) = self.best_enclosing(b, pool, |_, _| 0.0, |_| true) else {
                return;
            };
            *b = c;
        }
    }

    /// The object's own colour: the median of what lies just inside its
    /// real sides (a card's margin, a page's paper), with the spread that
    /// still counts as the same colour. One wrong side of four does not
    /// move the median.
    fn interior(&self, lines: &[usize; 4], q: &[(f64, f64); 4]) -> Option<Interior> {
        let mut all = Vec::new();
        let mut steps = Vec::new();
        for (i, &li) in lines.iter().enumerate() {
            let l = &self.lines[li];
            if !l.frame {
                let mut prev: Option<f32> = None;
                self.side_samples(l, q, i, |inside, _| {
                    let y = (inside[0] + inside[1] + inside[2]) / 3.0;
                    if let Some(p) = prev {
                        steps.push((y - p).abs());
                    }
                    prev = Some(y);
                    all.push(inside);
                });
            }
        }
        if all.len() < 16 {
            return None;
        }
        let m = median_colour(&mut all)?;
        let mut model = Interior {
            colour: m,
            luma: (m[0] + m[1] + m[2]) / 3.0,
            tol: 0.0,
            rough: ROUGH * (m[0] + m[1] + m[2]) / 3.0,
        };
        // Sensor noise in dim light is not texture: the object's own
        // sample-to-sample steps set the floor.
        if !steps.is_empty() {
            let mid = steps.len() / 2;
            let noise = *steps.select_nth_unstable_by(mid, f32::total_cmp).1;
            model.rough = model.rough.max(3.0 * noise);
        }
        let mut d: Vec<f32> = all.iter().map(|&c| model.distance(c)).collect();
        let mid = d.len() / 2;
        let typical = *d.select_nth_unstable_by(mid, f32::total_cmp).1;
        model.tol = (3.0 * typical).clamp(12.0, 30.0);
        Some(model)
    }

    /// Calls `f(inside, outside)` with the colours `SIDE_DEPTH` inside and
    /// outside side `i` of `q` (on line `l`), along its middle 80 %.
    fn side_samples(&self, l: &Line, q: &[(f64, f64); 4], i: usize, mut f: impl FnMut([f32; 3], [f32; 3])) {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        let cx = q.iter().map(|p| p.0).sum::<f64>() / 4.0;
        let cy = q.iter().map(|p| p.1).sum::<f64>() / 4.0;
        let inward = if cx * l.n.0 + cy * l.n.1 - l.rho > 0.0 {
            1.0
        } else {
            -1.0
        };
        let (nx, ny) = (inward * l.n.0 * SIDE_DEPTH, inward * l.n.1 * SIDE_DEPTH);
        let len = dist(a, b);
        let steps = len.floor() as usize;
        for k in steps / 10..steps - steps / 10 {
            let t = k as f64 / len.max(1.0);
            let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if let (Some(i), Some(o)) = (self.planes.at(x + nx, y + ny), self.planes.at(x - nx, y - ny)) {
                f(i, o);
            }
        }
    }

    /// How well side `i` of `q`, on line `l`, bounds an object of colour
    /// `model`: its edge support, the share of its inside that is the
    /// object's colour and the share of its outside that is not. A phone's
    /// edge below the card (table inside it) has little of the first.
    fn side_quality(&self, l: &Line, q: &[(f64, f64); 4], i: usize, model: &Interior) -> (f64, f64, f64) {
        let (mut n, mut inside, mut outside) = (0u32, 0u32, 0u32);
        let luma = |c: [f32; 3]| (c[0] + c[1] + c[2]) / 3.0;
        let (mut prev_in, mut prev_out) = (None, None);
        // The object's colour, and smooth: a shadow over paper is paper,
        // gravel of the same grey is not.
        let rough = |prev: Option<f32>, y: f32| prev.is_some_and(|p: f32| (y - p).abs() > model.rough);
        self.side_samples(l, q, i, |a, b| {
            n += 1;
            let (ya, yb) = (luma(a), luma(b));
            inside += u32::from(model.matches(a) && !rough(prev_in, ya));
            outside += u32::from(!model.matches(b) || rough(prev_out, yb));
            (prev_in, prev_out) = (Some(ya), Some(yb));
        });
        if n == 0 {
            return (0.0, 0.0, 0.0);
        }
        let (ta, tb) = (l.t_of(q[i]), l.t_of(q[(i + 1) % 4]));
        let m = 0.1 * (tb - ta).abs();
        let support = l.mean(&l.support, ta.min(tb) + m, ta.max(tb) - m).0;
        (
            support,
            f64::from(inside) / f64::from(n),
            f64::from(outside) / f64::from(n),
        )
    }

    /// The candidate finished with its sides snapped, unless snapping cost
    /// it much of its score (a side moved onto a weaker line).
    fn snapped(&self, c: &Cand) -> (Quad, Objectness) {
        let plain = self.finish(c);
        let moved = self.snap_sides(c);
        if moved.lines != c.lines {
            let snapped = self.finish(&moved);
            if snapped.score >= SNAP_KEEP * plain.score {
                return (snapped, self.objectness(&moved));
            }
        }
        (plain, self.objectness(c))
    }

    /// How much the candidate looks like an object lying on something else:
    /// the mean over its real sides of the share of the inside that is the
    /// object's colour times the share of the outside that is not. Lines of
    /// planks or bricks joined into a quad (the same surface on both sides
    /// of each) have little of it; a card on a table, much.
    fn objectness(&self, c: &Cand) -> Objectness {
        let none = Objectness {
            seen: 0.0,
            credited: 0.0,
        };
        let Some(model) = self.interior(&c.lines, &c.corners) else {
            return none;
        };
        let (mut sum, mut uniform, mut n) = (0.0, 0.0, 0.0);
        for (i, &li) in c.lines.iter().enumerate() {
            let l = &self.lines[li];
            if !l.frame {
                let (_, inside, outside) = self.side_quality(l, &c.corners, i, &model);
                sum += inside * outside;
                uniform += inside;
                n += 1.0;
            }
        }
        if n == 0.0 {
            return none;
        }
        let seen = sum / n;
        // Four real sides around one smooth colour are an object even where
        // the surface is that colour too (a white card on white paper);
        // lines of a textured surface joined up have a rough inside. Credit
        // only: it does not make objectness telling.
        let credited = if c.lines.iter().all(|&l| !self.lines[l].frame) {
            seen.max(UNIFORM_OBJECTNESS * uniform / n)
        } else {
            seen
        };
        Objectness { seen, credited }
    }

    /// Each real side moved to a nearby, nearly parallel line when that one
    /// bounds the object clearly better (object colour inside, something
    /// else outside) and the shape stays as good: the scores over edges
    /// and steps alone cannot tell a card's edge from the phone lying
    /// against it, or a page's edge from its table's top line.
    fn snap_sides(&self, c: &Cand) -> Cand {
        let lines = self.lines;
        let mut cur = *c;
        let shape_of = |q: &[(f64, f64); 4], ls: &[usize; 4]| {
            if ls.iter().any(|&k| lines[k].frame) {
                1.0
            } else {
                shape_factor(
                    fit_aspect(q, self.centre, self.w.max(self.h), &self.search.aspects),
                    self.search,
                )
            }
        };
        for _pass in 0..2 {
            let Some(model) = self.interior(&cur.lines, &cur.corners) else {
                return cur;
            };
            let mut moved = false;
            for i in 0..4 {
                let li = cur.lines[i];
                if lines[li].frame {
                    continue;
                }
                let (prev, next) = (cur.lines[(i + 3) % 4], cur.lines[(i + 1) % 4]);
                let q = cur.corners;
                let (sup, inside, outside) = self.side_quality(&lines[li], &q, i, &model);
                // Only a side whose inside is mostly not the object moves,
                // and only inwards: the object's true side lies between it
                // and the middle (a side on print inside a page, paper on
                // both sides of it, is left to the search's scores).
                if inside >= SNAP_INSIDE {
                    continue;
                }
                let here = sup * inside * outside;
                let shape_here = shape_of(&q, &cur.lines);
                // The object's size across this side: from its middle to
                // the opposite side's middle.
                let mid = ((q[i].0 + q[(i + 1) % 4].0) / 2.0, (q[i].1 + q[(i + 1) % 4].1) / 2.0);
                let opp = (
                    (q[(i + 2) % 4].0 + q[(i + 3) % 4].0) / 2.0,
                    (q[(i + 2) % 4].1 + q[(i + 3) % 4].1) / 2.0,
                );
                let reach = SNAP_REACH * dist(mid, opp);
                // The best move so far: its quality, its line and the quad.
                let mut best: Option<(f64, usize, Corners)> = None;
                for (k, l) in lines.iter().enumerate() {
                    if l.frame || cur.lines.contains(&k) {
                        continue;
                    }
                    let mut dt = (l.theta - lines[li].theta).abs();
                    dt = dt.min(std::f64::consts::PI - dt);
                    if dt > SNAP_ANGLE.to_radians() || (mid.0 * l.n.0 + mid.1 * l.n.1 - l.rho).abs() > reach {
                        continue;
                    }
                    let (Some(a), Some(b)) = (intersect(&lines[prev], l), intersect(l, &lines[next])) else {
                        continue;
                    };
                    let mut nq = q;
                    nq[i] = a;
                    nq[(i + 1) % 4] = b;
                    let mut nl = cur.lines;
                    nl[i] = k;
                    // Within the tolerance a side may trade a little shape
                    // for a better edge; outside it, the shape must not worsen.
                    let floor = if shape_here >= 1.0 { SNAP_SHAPE } else { shape_here };
                    if !plausible(&nq) || shape_of(&nq, &nl) < floor {
                        continue;
                    }
                    let toward = |p: (f64, f64)| p.0 * l.n.0 + p.1 * l.n.1 - l.rho;
                    let centroid = (
                        q.iter().map(|p| p.0).sum::<f64>() / 4.0,
                        q.iter().map(|p| p.1).sum::<f64>() / 4.0,
                    );
                    // Inwards: the old side's middle is on the far side of
                    // the new line from the centroid.
                    if toward(mid) * toward(centroid) >= 0.0 {
                        continue;
                    }
                    let (s2, i2, o2) = self.side_quality(l, &nq, i, &model);
                    let v = s2 * i2 * o2;
                    if v > SNAP_GAIN * here && best.as_ref().is_none_or(|b| v > b.0) {
                        best = Some((v, k, nq));
                    }
                }
                if let Some((_, k, nq)) = best {
                    cur.lines[i] = k;
                    cur.corners = nq;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        cur
    }

    /// Each real side refitted on the edge pixels along its middle, where
    /// rounded corners and objects at the corners do not reach; a side
    /// whose refit cannot be profiled keeps its line.
    fn refit_sides(&self, c: &Cand) -> Vec<Line> {
        let mut ls: Vec<Line> = Vec::new();
        for (i, &li) in c.lines.iter().enumerate() {
            let l = &self.lines[li];
            if l.frame {
                ls.push(l.clone());
                continue;
            }
            let (a, b) = (c.corners[i], c.corners[(i + 1) % 4]);
            let d = l.dir();
            let (ta, tb) = (a.0 * d.0 + a.1 * d.1, b.0 * d.0 + b.1 * d.1);
            let (lo, hi) = (ta.min(tb), ta.max(tb));
            let m = 0.1 * (hi - lo);
            // Fit, then fit again without the points the first fit left
            // more than a pixel away (a saucer's rim along the side).
            let (n, rho) = refine_line(self.edge_px, l.n, l.rho, 1.5, Some((lo + m, hi - m)));
            let (n, rho) = refine_line(self.edge_px, n, rho, 0.9, Some((lo + m, hi - m)));
            ls.push(profile_line(n, rho, self.edge_px, self.planes, false).unwrap_or_else(|| l.clone()));
        }
        ls
    }

    /// A candidate as the answer: sides refitted where that sees them at
    /// least as well, scored, in the original's pixels, clockwise from the
    /// corner nearest the top-left.
    fn finish(&self, c: &Cand) -> Quad {
        let (w, h, search) = (self.w, self.h, self.search);
        let mut ls = self.refit_sides(c);
        let mut q = c.corners;
        let mut ok = true;
        for (i, corner) in q.iter_mut().enumerate() {
            match intersect(&ls[(i + 3) % 4], &ls[i]) {
                Some(p) => *corner = p,
                None => ok = false,
            }
        }
        let mut scored = score_quad([&ls[0], &ls[1], &ls[2], &ls[3]], &q, self.scoring);
        // The refit stands only where it sees the sides at least as well.
        let before = [0, 1, 2, 3].map(|i| self.lines[c.lines[i]].clone());
        let kept = score_quad(
            [&before[0], &before[1], &before[2], &before[3]],
            &c.corners,
            self.scoring,
        );
        if !ok || !plausible(&q) || kept.2 > scored.2 {
            q = c.corners;
            ls = before.into_iter().collect();
            scored = kept;
        }
        let (support, contrast, mean) = scored;
        let area = polygon_area(&clip_to_frame(&q, w, h)) / (w * h);
        let aspect = fit_aspect(&q, self.centre, w.max(h), &search.aspects);
        let frame_side = [0, 1, 2, 3].map(|i| ls[i].frame);
        let frames = frame_side.iter().filter(|f| **f).count();
        let raw = mean * area.powf(AREA_EXPONENT) * search.frame_side_factor.powi(frames as i32);
        let shape = if frames == 0 { shape_factor(aspect, search) } else { 1.0 };
        // The analysis copy's pixel (i, j) covers (i..i + 1) × scale of the
        // original: centres map with a half-pixel shift.
        let scale = self.scale;
        let to_orig = |p: (f64, f64)| ((p.0 + 0.5) * scale.0, (p.1 + 0.5) * scale.1);
        let corners = q.map(to_orig);
        // Clockwise on screen (y down) is a positive shoelace sum; side k of
        // the reversed order is side 3 - k of this one.
        let shoelace: f64 = (0..4)
            .map(|i| corners[i].0 * corners[(i + 1) % 4].1 - corners[(i + 1) % 4].0 * corners[i].1)
            .sum();
        let (corners, support, contrast, frame_side) = if shoelace < 0.0 {
            let c = [0, 3, 2, 1];
            let s = [3, 2, 1, 0];
            (
                c.map(|k| corners[k]),
                s.map(|k| support[k]),
                s.map(|k| contrast[k]),
                s.map(|k| frame_side[k]),
            )
        } else {
            (corners, support, contrast, frame_side)
        };
        // Rotate the order so that it starts nearest the top-left.
        let start = (0..4)
            .min_by(|&i, &j| (corners[i].0 + corners[i].1).total_cmp(&(corners[j].0 + corners[j].1)))
            .unwrap_or(0);
        let rot = |k: usize| (start + k) % 4;
        Quad {
            corners: [0, 1, 2, 3].map(|k| corners[rot(k)]),
            score: raw * shape,
            edge_score: raw,
            side_support: [0, 1, 2, 3].map(|k| support[rot(k)]),
            side_contrast: [0, 1, 2, 3].map(|k| contrast[rot(k)]),
            frame_side: [0, 1, 2, 3].map(|k| frame_side[rot(k)]),
            aspect,
            area_fraction: area,
            full_frame: false,
        }
    }
}

/// How much a candidate looks like an object lying on something else: as
/// seen (inside the object's colour, outside not), and as credited when
/// weighing candidates.
#[derive(Clone, Copy)]
struct Objectness {
    seen: f64,
    credited: f64,
}

/// The object's own colour, and what still counts as it.
struct Interior {
    colour: [f32; 3],
    luma: f32,
    /// Largest distance (8-bit RGB, brightness evened out) of the same colour.
    tol: f32,
    /// Largest brightness step between neighbouring samples of a smooth
    /// surface.
    rough: f32,
}

impl Interior {
    /// Distance of `c` from the object's colour once its brightness is
    /// brought to the object's: a light ramp or a shadow over one side does
    /// not make paper another colour; brightness off by more than a third
    /// does.
    fn distance(&self, c: [f32; 3]) -> f32 {
        let y = (c[0] + c[1] + c[2]) / 3.0;
        let ratio = y / self.luma.max(1.0);
        if (y - self.luma).abs() > 12.0 && !(0.45..=1.6).contains(&ratio) {
            return f32::INFINITY;
        }
        let k = self.luma / y.max(1.0);
        (0..3).map(|i| (c[i] * k - self.colour[i]).powi(2)).sum::<f32>().sqrt()
    }
    fn matches(&self, c: [f32; 3]) -> bool {
        self.distance(c) <= self.tol
    }
}

/// 1 within the tolerance of the nearest expected shape, falling off as a
/// Gaussian of the excess (one tolerance out: 0.37).
fn shape_factor(aspect: f64, s: &QuadSearch) -> f64 {
    if s.aspects.is_empty() {
        return 1.0;
    }
    let err = s
        .aspects
        .iter()
        .map(|&e| (aspect / e - 1.0).abs())
        .fold(f64::INFINITY, f64::min);
    let excess = (err - s.aspect_tolerance).max(0.0) / s.aspect_tolerance.max(1e-6);
    (-excess * excess).exp()
}

/// The median CIELAB colour of a band around the quadrilateral, from
/// `inner` to `outer` times its size beyond its sides (measured from its
/// centre), sampled inside the frame only; `None` when the band is wholly
/// outside it.
pub fn band_outside(img: &RgbImage, corners: &[(f64, f64); 4], inner: f64, outer: f64) -> Option<[f64; 3]> {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let cx = corners.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let cy = corners.iter().map(|p| p.1).sum::<f64>() / 4.0;
    let (mut l, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for step in 0..4 {
        let e = 1.0 + inner + (outer - inner) * f64::from(step) / 3.0;
        let q = corners.map(|(x, y)| (cx + (x - cx) * e, cy + (y - cy) * e));
        for i in 0..4 {
            let (p0, p1) = (q[i], q[(i + 1) % 4]);
            for k in 0..40 {
                let t = f64::from(k) / 40.0;
                let (x, y) = (p0.0 + t * (p1.0 - p0.0), p0.1 + t * (p1.1 - p0.1));
                if x < 0.0 || y < 0.0 || x >= w || y >= h {
                    continue;
                }
                let c = super::colour::lab(img.get_pixel(x as u32, y as u32).0);
                l.push(c.l);
                a.push(c.a);
                b.push(c.b);
            }
        }
    }
    if l.len() < 8 {
        return None;
    }
    let med = |v: &mut Vec<f32>| {
        let mid = v.len() / 2;
        f64::from(*v.select_nth_unstable_by(mid, f32::total_cmp).1)
    };
    Some([med(&mut l), med(&mut a), med(&mut b)])
}

/// Whether (x, y) lies inside the convex quadrilateral `q`.
pub fn contains(q: &[(f64, f64); 4], x: f64, y: f64) -> bool {
    let mut sign = 0.0;
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        let cr = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
        if cr != 0.0 {
            if sign == 0.0 {
                sign = cr.signum();
            } else if cr.signum() != sign {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A W × H rectangle on the plane z = 0, turned by `tilt` degrees about
    /// the x axis, seen by a pinhole camera of focal length f at distance d.
    fn project(wd: f64, ht: f64, tilt: f64, f: f64, d: f64) -> [(f64, f64); 4] {
        let (s, c) = tilt.to_radians().sin_cos();
        [(-wd, -ht), (wd, -ht), (wd, ht), (-wd, ht)].map(|(x, y)| {
            let (y3, z3) = (y * c, d + y * s);
            (f * x / z3 + 500.0, f * y3 / z3 + 400.0)
        })
    }

    #[test]
    fn a_ruled_table_is_a_printed_rectangle_and_a_sheet_on_a_desk_is_not() {
        let q = [(100.0, 100.0), (700.0, 100.0), (700.0, 500.0), (100.0, 500.0)];
        let sides = [false; 4];
        // A 3 px black ruled frame on paper (233), paper beyond it.
        let table = RgbImage::from_fn(800, 600, |x, y| {
            let on = |v: u32, at: u32| v + 1 >= at && v <= at + 1;
            let inside = (99..=701).contains(&x) && (99..=501).contains(&y);
            let ruled = inside && (on(x, 100) || on(x, 700) || on(y, 100) || on(y, 500));
            image::Rgb(if ruled { [30, 30, 30] } else { [233, 233, 230] })
        });
        assert!(printed_rectangle(&table, &q, &sides, 2.0));
        // The same outline as a sheet's edge: paper inside, a grey desk out.
        let sheet = RgbImage::from_fn(800, 600, |x, y| {
            let inside = (100..700).contains(&x) && (100..500).contains(&y);
            image::Rgb(if inside { [233, 233, 230] } else { [150, 140, 120] })
        });
        assert!(!printed_rectangle(&sheet, &q, &sides, 2.0));
        // White on white with a soft shadow round the sheet: no dark line.
        let soft = RgbImage::from_fn(800, 600, |x, y| {
            let d = (100i32 - x as i32)
                .max(x as i32 - 700)
                .max(100 - y as i32)
                .max(y as i32 - 500);
            let v = if d < 0 {
                236
            } else if d < 6 {
                205
            } else {
                232
            };
            image::Rgb([v, v, v])
        });
        assert!(!printed_rectangle(&soft, &q, &sides, 2.0));
    }

    #[test]
    fn aspect_of_a_tilted_rectangle_is_recovered() {
        for tilt in [0.0, 15.0, 30.0] {
            // Keystone only (one vanishing point): the default focal length.
            let q = project(85.6, 54.0, tilt, 900.0, 400.0);
            let a = rectangle_aspect(&q, (500.0, 400.0), 800.0);
            assert!((a / 1.585 - 1.0).abs() < 0.03, "tilt {tilt}: {a}");
            // Turned in the image too: both vanishing points finite.
            let (s, c) = 20f64.to_radians().sin_cos();
            let r = q.map(|(x, y)| {
                let (x, y) = (x - 500.0, y - 400.0);
                (500.0 + x * c - y * s, 400.0 + x * s + y * c)
            });
            let a = rectangle_aspect(&r, (500.0, 400.0), 800.0);
            assert!((a / 1.585 - 1.0).abs() < 0.03, "tilt {tilt} turned: {a}");
        }
    }

    #[test]
    fn jaccard_of_equal_and_shifted_squares() {
        let a = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        assert!((jaccard(&a, &a) - 1.0).abs() < 1e-9);
        let b = a.map(|(x, y)| (x + 5.0, y));
        assert!((jaccard(&a, &b) - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_pen_is_a_bar_and_a_cards_side_is_not() {
        // A grey card on a brown surface, and a 6-px dark pen across both.
        let mut img = RgbImage::from_pixel(400, 300, image::Rgb([120, 90, 60]));
        for y in 60..240 {
            for x in 60..345 {
                img.put_pixel(x, y, image::Rgb([200, 205, 210]));
            }
        }
        for y in 0..300 {
            for x in 200..206 {
                img.put_pixel(x, y, image::Rgb([20, 20, 24]));
            }
        }
        let planes = Planes::new(&img);
        // The pen's left edge, down the card and the surface: a bar.
        let pen = bar_share(&planes, (199.5, 70.0), (199.5, 230.0), 1.0);
        assert!(pen > 0.9, "pen {pen}");
        // The card's left side: card on one side, surface on the other.
        let side = bar_share(&planes, (59.5, 70.0), (59.5, 230.0), 1.0);
        assert!(side < 0.1, "side {side}");
    }

    #[test]
    fn a_drawn_card_is_found_and_a_blank_frame_is_not() {
        let mut img = RgbImage::from_pixel(400, 300, image::Rgb([120, 90, 60]));
        for y in 60..240 {
            for x in 60..345 {
                img.put_pixel(x, y, image::Rgb([230, 235, 240]));
            }
        }
        let s = QuadSearch {
            aspects: vec![1.586],
            aspect_tolerance: 0.08,
            min_area: 0.05,
            min_score: 0.3,
            full_frame_score: None,
            corner_margin: 0.045,
            frame_side_factor: 0.7,
            max_corner_outside: 0.005,
            lines_per_direction: None,
        };
        let f = find_quad(&img, &s);
        let q = f.best.expect("found");
        let truth = [(60.0, 60.0), (345.0, 60.0), (345.0, 240.0), (60.0, 240.0)];
        assert!(jaccard(&q.corners, &truth) > 0.97, "{:?}", q.corners);
        let blank = RgbImage::from_pixel(400, 300, image::Rgb([120, 90, 60]));
        assert!(find_quad(&blank, &s).best.is_none());
    }
}

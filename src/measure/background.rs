//! The background of a portrait, sampled in the border bands around the
//! head: a thin band along the top edge and the outer columns down to the
//! shoulders. Measures the fraction of white pixels and the bands' median
//! colour; `checks::photo` names the verdict.

use super::colour::{lab, Lab};
use super::region;
use image::RgbImage;

/// Where the background is sampled, as shares of the photo: a band of
/// `top` along the top edge, and columns of `side` on both sides from
/// there down to `side_bottom`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub top: f64,
    pub side: f64,
    pub side_bottom: f64,
}

/// What counts as a white pixel, in CIELAB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct White {
    pub min_lightness: f64,
    pub max_abs_a: f64,
    pub min_b: f64,
    pub max_b: f64,
}

/// What the bands hold.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundMeasure {
    /// Fraction of sampled band pixels that are white.
    pub white_fraction: f64,
    /// Per-channel median of the band pixels.
    pub median: Lab,
    pub samples: usize,
}

/// Whether a colour counts as white.
pub fn is_white(c: Lab, r: &White) -> bool {
    f64::from(c.l) >= r.min_lightness
        && f64::from(c.a.abs()) <= r.max_abs_a
        && f64::from(c.b) >= r.min_b
        && f64::from(c.b) <= r.max_b
}

/// Measures the background bands of `img`, sampling every second pixel.
pub fn measure_background(img: &RgbImage, bands: &Bands, white_is: &White) -> BackgroundMeasure {
    let (w, h) = img.dimensions();
    let b = bands;
    let bands = [
        region(w, h, 0.0, 0.0, 1.0, b.top),
        region(w, h, 0.0, b.top, b.side, b.side_bottom),
        region(w, h, 1.0 - b.side, b.top, 1.0, b.side_bottom),
    ];
    let mut ls = Vec::new();
    let mut as_ = Vec::new();
    let mut bs = Vec::new();
    let mut white = 0usize;
    for (x0, y0, x1, y1) in bands {
        for y in (y0..y1).step_by(2) {
            for x in (x0..x1).step_by(2) {
                let c = lab(img.get_pixel(x, y).0);
                white += usize::from(is_white(c, white_is));
                ls.push(c.l);
                as_.push(c.a);
                bs.push(c.b);
            }
        }
    }
    let samples = ls.len();
    if samples == 0 {
        return BackgroundMeasure {
            white_fraction: 0.0,
            median: Lab { l: 0.0, a: 0.0, b: 0.0 },
            samples,
        };
    }
    let median = Lab {
        l: median(&mut ls),
        a: median(&mut as_),
        b: median(&mut bs),
    };
    BackgroundMeasure {
        white_fraction: white as f64 / samples as f64,
        median,
        samples,
    }
}

fn median(v: &mut [f32]) -> f32 {
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    *m
}

//! The background of a portrait, sampled in the border bands around the
//! head: a thin band along the top edge and the outer columns down to the
//! shoulders. Measures the fraction of white pixels and names the colour.

use super::colour::{lab, name_colour, ColourName, Lab};
use super::region;
use crate::rules::BackgroundRules;
use image::RgbImage;

/// What the bands hold.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundMeasure {
    /// Fraction of sampled band pixels that are white.
    pub white_fraction: f64,
    /// Per-channel median of the band pixels.
    pub median: Lab,
    /// The colour found: white when enough of the bands is white.
    pub colour: ColourName,
    pub samples: usize,
}

/// Whether a pixel counts as white under the rulebook's limits.
pub fn is_white(c: Lab, r: &BackgroundRules) -> bool {
    f64::from(c.l) >= r.min_lightness
        && f64::from(c.a.abs()) <= r.max_abs_a
        && f64::from(c.b) >= r.min_b
        && f64::from(c.b) <= r.max_b
}

/// Measures the background bands of `img`, sampling every second pixel.
pub fn measure_background(img: &RgbImage, r: &BackgroundRules) -> BackgroundMeasure {
    let (w, h) = img.dimensions();
    let bands = [
        region(w, h, 0.0, 0.0, 1.0, r.top_band),
        region(w, h, 0.0, r.top_band, r.side_band, r.side_band_bottom),
        region(w, h, 1.0 - r.side_band, r.top_band, 1.0, r.side_band_bottom),
    ];
    let mut ls = Vec::new();
    let mut as_ = Vec::new();
    let mut bs = Vec::new();
    let mut white = 0usize;
    for (x0, y0, x1, y1) in bands {
        for y in (y0..y1).step_by(2) {
            for x in (x0..x1).step_by(2) {
                let c = lab(img.get_pixel(x, y).0);
                white += usize::from(is_white(c, r));
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
            colour: ColourName::Other,
            samples,
        };
    }
    let median = Lab {
        l: median(&mut ls),
        a: median(&mut as_),
        b: median(&mut bs),
    };
    let white_fraction = white as f64 / samples as f64;
    let colour = if white_fraction >= r.min_white_fraction {
        ColourName::White
    } else if is_white(median, r) {
        // Mostly white but cluttered: something stands in the background.
        ColourName::Other
    } else {
        name_colour(median)
    };
    BackgroundMeasure {
        white_fraction,
        median,
        colour,
        samples,
    }
}

fn median(v: &mut [f32]) -> f32 {
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    *m
}

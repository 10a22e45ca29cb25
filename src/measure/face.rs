//! Face detection with OpenCV's LBP frontal-face cascade, vendored in
//! `models/` (BSD-3-Clause) and compiled into the binary, evaluated by
//! [`crate::measure::cascade`].
//!
//! Detection runs in two passes on reduced, padded copies: a small one that
//! finds the large face of a proper 1-inch photo (about 2 ms), and, only when
//! it finds no clear face of that size, a finer one that also finds small
//! faces (a distant selfie, a group, a photo of an ID card). Padding
//! matters: the detector misses faces that touch the frame.

use crate::measure::cascade::{Cascade, Scan};
use image::GrayImage;
use std::borrow::Cow;
use std::sync::OnceLock;

const CASCADE: &str = include_str!("../../models/lbpcascade_frontalface.xml");

/// A face found, in the coordinates of the analysed image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Raw detector hits grouped into this face: its confidence.
    pub score: f64,
}

impl FaceBox {
    pub fn centre_x(&self) -> f64 {
        self.x + self.width / 2.0
    }
}

/// How detection runs: the two passes, and what settles the first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Each pass: image width in pixels, and how much larger each scale's
    /// window is than the previous one.
    pub first: Pass,
    pub second: Pass,
    /// A first-pass face with fewer grouped hits than this, or narrower
    /// than `settle_min_width` of the image, sends it to the second pass.
    pub settle_min_score: f64,
    pub settle_min_width: f64,
    /// Padding added on every side, as a fraction of the width.
    pub pad: f64,
    /// Raw hits a face needs around it.
    pub min_neighbours: usize,
}

/// One detection pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    pub width: u32,
    pub scale_factor: f64,
}

/// The cascade, parsed once per process. `None` if the vendored file does
/// not parse, which a unit test rules out.
fn cascade() -> Option<&'static Cascade> {
    static ONCE: OnceLock<Option<Cascade>> = OnceLock::new();
    ONCE.get_or_init(|| Cascade::from_xml(CASCADE).ok()).as_ref()
}

/// Finds the faces in `luma`, in its coordinates, largest first. `None`
/// when the cascade is unavailable.
pub fn detect_faces(luma: &GrayImage, how: &Detection) -> Option<Vec<FaceBox>> {
    let cascade = cascade()?;
    let w = f64::from(luma.width().max(1));
    let mut faces = pass(cascade, luma, how.first, how);
    // The first pass settles it only with a clear face of 1-inch-photo size;
    // anything else may be one of several small faces seen too coarsely.
    let settled = faces
        .first()
        .is_some_and(|f| f.score >= how.settle_min_score && f.width / w >= how.settle_min_width);
    if !settled {
        faces = pass(cascade, luma, how.second, how);
    }
    Some(faces)
}

/// One pass at `width` pixels (never upscaled), windows growing by
/// `scale_factor`, with `pad` of the width added on every side, replicating
/// the edge.
fn pass(cascade: &Cascade, luma: &GrayImage, Pass { width, scale_factor }: Pass, how: &Detection) -> Vec<FaceBox> {
    let (w, h) = luma.dimensions();
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let scale = (f64::from(width) / f64::from(w)).min(1.0);
    let sw = ((f64::from(w) * scale).round() as u32).max(1);
    let sh = ((f64::from(h) * scale).round() as u32).max(1);
    let small = if scale < 1.0 {
        // Block averages to the nearest size above, then bilinear for the
        // rest: area-averaged like a thumbnail at a fraction of its cost.
        let k = (w / sw).min(h / sh).max(1);
        let blocks = crate::measure::shrink_luma_by(luma, k);
        Cow::Owned(crate::measure::cascade::resize_linear(&blocks, sw, sh))
    } else {
        Cow::Borrowed(luma)
    };
    let pad = (f64::from(sw) * how.pad).round() as u32;
    let padded = GrayImage::from_fn(sw + 2 * pad, sh + 2 * pad, |x, y| {
        let sx = x.saturating_sub(pad).min(sw - 1);
        let sy = y.saturating_sub(pad).min(sh - 1);
        *small.get_pixel(sx, sy)
    });
    let scan = Scan {
        scale_factor,
        min_neighbours: how.min_neighbours,
    };
    cascade
        .detect(&padded, &scan)
        .iter()
        .map(|f| FaceBox {
            x: (f.x - f64::from(pad)) / scale,
            y: (f.y - f64::from(pad)) / scale,
            width: f.width / scale,
            height: f.height / scale,
            score: f.neighbours as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use image::GrayImage;

    #[test]
    fn odd_shapes_find_nothing_and_never_panic() {
        let rules = crate::Rules::builtin().map(|r| crate::checks::photo::face_detection(&r.photo().face));
        let Ok(rules) = rules else {
            panic!("builtin rulebook");
        };
        for (w, h) in [(1, 1), (24, 24), (30, 2000), (2000, 30), (73, 101)] {
            let flat = GrayImage::from_pixel(w, h, image::Luma([128]));
            assert_eq!(
                super::detect_faces(&flat, &rules).map(|f| f.len()),
                Some(0),
                "{w} x {h}"
            );
        }
    }

    #[test]
    fn vendored_cascade_parses() {
        let c = super::cascade().map(|c| c.window());
        assert_eq!(c, Some((24, 24)));
    }
}

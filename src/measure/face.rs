//! Face detection with the SeetaFace frontal detector (rustface), its model
//! vendored in `models/` (BSD-2-Clause) and compiled into the binary.
//!
//! rustface on a whole 295 × 413 photo costs 20-80 ms, so detection runs in
//! two passes on reduced, padded copies: a small one that finds the large
//! face of a proper 1-inch photo, and, only when it finds none, a larger one
//! that also finds small faces (a distant selfie, a group, a photo of an ID
//! card). Padding matters: the detector misses faces that fill the frame.

use crate::rules::FaceRules;
use image::GrayImage;
use rustface::{Detector, ImageData, Model};
use std::cell::RefCell;
use std::sync::OnceLock;

const MODEL: &[u8] = include_bytes!("../../models/seeta_fd_frontal_v1.0.bin");

/// A face found, in the coordinates of the analysed image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub score: f64,
}

impl FaceBox {
    pub fn centre_x(&self) -> f64 {
        self.x + self.width / 2.0
    }
}

fn model() -> Option<&'static Model> {
    static MODEL_ONCE: OnceLock<Option<Model>> = OnceLock::new();
    MODEL_ONCE
        .get_or_init(|| rustface::read_model(std::io::Cursor::new(MODEL)).ok())
        .as_ref()
}

thread_local! {
    // A detector keeps scratch buffers and needs `&mut`: one per thread.
    static DETECTOR: RefCell<Option<Box<dyn Detector>>> = const { RefCell::new(None) };
}

/// Finds the faces in `luma`, in its coordinates, largest first. `None`
/// when the model is unavailable.
pub fn detect_faces(luma: &GrayImage, rules: &FaceRules) -> Option<Vec<FaceBox>> {
    let model = model()?;
    let run = || {
        DETECTOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            let det = slot.get_or_insert_with(|| rustface::create_detector_with_model(model.clone()));
            let mut faces = pass(det.as_mut(), luma, rules.first_width, rules.first_min_face, rules);
            // The first pass settles it only with a clear face; a weak one may be
            // one of several small faces seen at too coarse a scale.
            if !faces.iter().any(|f| f.score >= rules.first_min_score) {
                faces = pass(det.as_mut(), luma, rules.second_width, rules.second_min_face, rules);
            }
            faces.sort_by(|a, b| (b.width * b.height).total_cmp(&(a.width * a.height)));
            faces
        })
    };
    // A panic in the detector must not take the worker down; its scratch
    // state is dropped and rebuilt on the next call.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(faces) => Some(faces),
        Err(_) => {
            DETECTOR.with(|cell| cell.replace(None));
            None
        }
    }
}

/// One detection pass at `width` pixels (never upscaled) with `pad` of the
/// width added on every side, replicating the edge.
fn pass(det: &mut dyn Detector, luma: &GrayImage, width: u32, min_face: u32, rules: &FaceRules) -> Vec<FaceBox> {
    let (w, h) = luma.dimensions();
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let scale = (f64::from(width) / f64::from(w)).min(1.0);
    let sw = ((f64::from(w) * scale).round() as u32).max(1);
    let sh = ((f64::from(h) * scale).round() as u32).max(1);
    let small = if scale < 1.0 {
        image::imageops::thumbnail(luma, sw, sh)
    } else {
        luma.clone()
    };
    let pad = (f64::from(sw) * rules.pad).round() as u32;
    let (pw, ph) = (sw + 2 * pad, sh + 2 * pad);
    let padded = GrayImage::from_fn(pw, ph, |x, y| {
        let sx = x.saturating_sub(pad).min(sw - 1);
        let sy = y.saturating_sub(pad).min(sh - 1);
        *small.get_pixel(sx, sy)
    });
    det.set_min_face_size(min_face);
    det.set_score_thresh(rules.score_threshold);
    det.set_pyramid_scale_factor(rules.pyramid_scale as f32);
    det.set_slide_window_step(rules.window_step, rules.window_step);
    let found = det.detect(&ImageData::new(padded.as_raw(), pw, ph));
    found
        .iter()
        .map(|f| {
            let b = f.bbox();
            FaceBox {
                x: (f64::from(b.x()) - f64::from(pad)) / scale,
                y: (f64::from(b.y()) - f64::from(pad)) / scale,
                width: f64::from(b.width()) / scale,
                height: f64::from(b.height()) / scale,
                score: f.score(),
            }
        })
        .collect()
}

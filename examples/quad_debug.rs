#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "../tests/support/synth.rs"]
mod synth;
fn main() {
    let img = synth::id_scene(&synth::IdScene { cx: 0.78, ..Default::default() });
    let bytes = synth::jpeg_in_window(&img, 70_000);
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    img.save("/tmp/dbg.png").unwrap();
    let search = prescreen::measure::quad::QuadSearch { aspects: vec![1.586], aspect_tolerance: 0.08, min_area: 0.05, min_score: 0.35, full_frame_score: None, corner_margin: 0.045, frame_side_factor: 0.7 };
    let f = prescreen::measure::quad::find_quad(&img, &search);
    eprintln!("best score {}", f.best_score);
    if let Some(q) = f.best { eprintln!("{:?} score {} support {:?} contrast {:?} frames {:?}", q.corners, q.score, q.side_support, q.side_contrast, q.frame_side); }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "../tests/support/synth.rs"]
mod synth;
#[path = "../tests/support/scenes.rs"]
mod scenes;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let i: usize = args[1].parse().unwrap();
    let is_card = args[2] == "card";
    let surface = scenes::Surface::ALL[i];
    let mut s = if is_card {
        scenes::Scene::new(scenes::Object::Card { back: i % 2 == 1 }, 300 + i as u64)
    } else {
        scenes::Scene::new(scenes::Object::Page(synth::FormPage::filled(synth::Layout::Application, synth::BLUE_PEN)), 400 + i as u64)
    };
    s.surface = surface;
    if is_card {
        s.light = scenes::Light::ALL[(i * 3) % 8];
        s.clutter = scenes::Clutter::ALL[i % 5];
    } else {
        s.light = scenes::Light::ALL[(i * 5 + 1) % 8];
        s.clutter = [scenes::Clutter::Cup, scenes::Clutter::Phone, scenes::Clutter::SecondSheet][i % 3];
    }
    let shot = scenes::render(&s);
    eprintln!("truth {:?}", shot.corners);
    let bytes = if is_card { synth::jpeg_in_window(&shot.image, 70_000) } else { synth::jpeg(&shot.image, 85) };
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    img.save("/tmp/dbg.png").unwrap();
    let search = if is_card {
        prescreen::measure::quad::QuadSearch { aspects: vec![1.586], aspect_tolerance: 0.08, min_area: 0.05, min_score: 0.35, full_frame_score: None, corner_margin: 0.045, frame_side_factor: 0.85 }
    } else {
        prescreen::measure::quad::QuadSearch { aspects: vec![1.414, 1.294, 1.5, 1.333], aspect_tolerance: 0.07, min_area: 0.125, min_score: 0.3, full_frame_score: Some(0.45), corner_margin: 0.015, frame_side_factor: 0.85 }
    };
    let img = if is_card { img } else { prescreen::measure::shrink_rgb(&img, 800) };
    let f = prescreen::measure::quad::find_quad(&img, &search);
    eprintln!("best score {}", f.best_score);
    if let Some(q) = f.best { eprintln!("{:?} score {} support {:?} contrast {:?} frames {:?}", q.corners, q.score, q.side_support, q.side_contrast, q.frame_side); }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "../tests/support/synth.rs"]
mod synth;
fn main() {
    let rules = prescreen::Rules::builtin().unwrap();
    let card = synth::id_scene(&synth::IdScene::default());
    let bytes = synth::jpeg_exact(&card, 70_000);
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let search = prescreen::measure::quad::QuadSearch { aspects: vec![1.586], aspect_tolerance: 0.08, min_area: 0.05, min_score: 0.35, full_frame_score: None, corner_margin: 0.045, frame_side_factor: 0.7 };
    let t = std::time::Instant::now();
    for _ in 0..200 { std::hint::black_box(prescreen::measure::quad::find_quad(&img, &search)); }
    eprintln!("find_quad {:.2} ms", t.elapsed().as_secs_f64() * 1000.0 / 200.0);
    let q = prescreen::measure::quad::find_quad(&img, &search).best.unwrap();
    let t = std::time::Instant::now();
    for _ in 0..200 { std::hint::black_box(prescreen::measure::card::rectify(&img, &q.corners)); }
    eprintln!("rectify {:.3} ms {:?}", t.elapsed().as_secs_f64() * 1000.0 / 200.0, q.corners);
    let slot = rules.slot("id_card_front");
    let t = std::time::Instant::now();
    for _ in 0..100 { std::hint::black_box(prescreen::check_file(&bytes, "a.jpg", slot, &rules)); }
    eprintln!("check {:.2} ms", t.elapsed().as_secs_f64() * 1000.0 / 100.0);
    let t = std::time::Instant::now();
    for _ in 0..100 { std::hint::black_box(image::load_from_memory(&bytes).unwrap()); }
    eprintln!("decode {:.2} ms", t.elapsed().as_secs_f64() * 1000.0 / 100.0);
}
#[allow(dead_code)]
fn rect_bench() {}

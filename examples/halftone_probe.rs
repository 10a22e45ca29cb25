//! The periodicity measure of `photo.recaptured` on the test photos and on
//! halftone prints of the astronaut portrait, photographed (scaled, blurred,
//! JPEG). `cargo run --release --example halftone_probe`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

use prescreen::measure::halftone::measure;
use synth::Portrait;

fn main() {
    let decode = |bytes: &[u8]| image::load_from_memory(bytes).unwrap().to_rgb8();
    let jpeg = |img: &image::RgbImage| decode(&synth::jpeg_exact(img, 60_000));
    let mut cases: Vec<(String, image::RgbImage)> = Vec::new();
    for seed in 1..4 {
        cases.push((
            format!("astronaut, seed {seed}"),
            jpeg(&synth::portrait(&Portrait {
                seed,
                ..Default::default()
            })),
        ));
    }
    cases.push((
        "sample photo".into(),
        decode(&std::fs::read("fixtures/sample-application/一寸照.jpg").unwrap()),
    ));
    cases.push((
        "Solvay".into(),
        decode(include_bytes!("../tests/data/solvay-group.jpg")),
    ));
    cases.push(("cat".into(), decode(include_bytes!("../tests/data/cat.jpg"))));
    cases.push(("coffee".into(), decode(include_bytes!("../tests/data/coffee.jpg"))));
    let big = synth::portrait(&Portrait {
        width: 590,
        height: 826,
        ..Default::default()
    });
    for pitch in [3.0f32, 4.0, 6.0, 8.0] {
        let print = synth::halftone_print(&big, pitch);
        for sigma in [0.0f32, 0.8, 1.5] {
            let shot = image::imageops::resize(&print, 295, 413, image::imageops::FilterType::Triangle);
            let shot = if sigma > 0.0 {
                image::imageops::blur(&shot, sigma)
            } else {
                shot
            };
            cases.push((format!("print pitch {pitch} (x0.5), blur {sigma}"), jpeg(&shot)));
        }
    }
    for (name, img) in &cases {
        let luma = image::DynamicImage::ImageRgb8(img.clone()).to_luma8();
        let (w, h) = luma.dimensions();
        let m = measure(&luma, w / 2, h * 2 / 5).unwrap();
        let t = std::time::Instant::now();
        for _ in 0..20 {
            measure(&luma, w / 2, h * 2 / 5);
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / 20.0;
        println!(
            "{name:<36} ratio {:8.1}  second {:8.1}  period {:5.2} px  {us:.0} µs",
            m.peak_ratio, m.second_ratio, m.period
        );
    }
}

//! The face detector on every test face: faces found, where, and the time
//! per photo (mean of 50 runs, first pass and, when it does not settle it,
//! second pass). The README's comparison table comes from this.
//!
//! `cargo run --release --example face_probe [IMAGE ...]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

use prescreen::measure::face::detect_faces;
use prescreen::Rules;
use std::time::Instant;
use synth::Portrait;

fn main() {
    let rules = Rules::builtin().expect("rulebook");
    let face_rules = &prescreen::checks::photo::face_detection(&rules.photo().face);
    let decode = |bytes: &[u8]| image::load_from_memory(bytes).unwrap().to_rgb8();
    let mut cases: Vec<(String, image::RgbImage)> = Vec::new();
    for seed in 1..4 {
        cases.push((
            format!("astronaut on white, seed {seed}"),
            synth::portrait(&Portrait {
                seed,
                ..Default::default()
            }),
        ));
    }
    let shifted = |head_scale, head_dx, head_dy| Portrait {
        head_scale,
        head_dx,
        head_dy,
        ..Default::default()
    };
    let others = [
        (
            "astronaut on blue",
            Portrait {
                background: [60, 120, 200],
                ..Default::default()
            },
        ),
        (
            "astronaut, square 413 x 413",
            Portrait {
                width: 413,
                height: 413,
                ..Default::default()
            },
        ),
        ("distant selfie (head 0.45)", shifted(0.45, 0.0, 0.05)),
        ("too close (head 1.6)", shifted(1.6, 0.0, 0.08)),
        ("off centre (+0.30)", shifted(1.0, 0.3, 0.0)),
        ("too low (+0.25)", shifted(1.0, 0.0, 0.25)),
        ("cut by the top (1.2, -0.30)", shifted(1.2, 0.0, -0.3)),
    ];
    cases.extend(
        others
            .into_iter()
            .map(|(name, p)| (name.to_string(), synth::portrait(&p))),
    );
    cases.push((
        "Solvay group crop".into(),
        decode(include_bytes!("../tests/data/solvay-group.jpg")),
    ));
    cases.push(("cat (chelsea)".into(), decode(include_bytes!("../tests/data/cat.jpg"))));
    cases.push(("coffee cup".into(), decode(include_bytes!("../tests/data/coffee.jpg"))));
    for f in std::env::args().skip(1) {
        cases.push((f.clone(), image::open(&f).unwrap().to_rgb8()));
    }
    println!("| case | faces | largest box (x, y, w, h as fractions; hits) | ms |");
    println!("|---|---|---|---|");
    for (name, img) in &cases {
        let luma = image::DynamicImage::ImageRgb8(img.clone()).to_luma8();
        let (w, h) = (f64::from(luma.width()), f64::from(luma.height()));
        let runs = 50;
        let t = Instant::now();
        let mut found = Vec::new();
        for _ in 0..runs {
            found = detect_faces(&luma, face_rules).unwrap();
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        let largest = found.first().map_or("-".to_string(), |f| {
            format!(
                "{:.2}, {:.2}, {:.2}, {:.2}; {}",
                f.x / w,
                f.y / h,
                f.width / w,
                f.height / h,
                f.score
            )
        });
        println!("| {name} | {} | {largest} | {ms:.2} |", found.len());
    }
}

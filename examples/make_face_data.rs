//! Rebuilds `tests/data/` from the public-domain originals (see
//! fixtures/README.md):
//!
//! `cargo run --example make_face_data -- ASTRONAUT_PNG SOLVAY_PNG`
//!
//! * ASTRONAUT_PNG: `skimage/data/astronaut.png` from the scikit-image wheel
//!   (Eileen Collins, NASA, public domain); the head is cropped to
//!   `tests/data/astronaut-head.png` (150 × 190 from x 150, y 20).
//! * SOLVAY_PNG: `test.png` from the rustface crate package (the 1927 Solvay
//!   conference photograph, public domain); four faces are cropped to
//!   `tests/data/solvay-group.jpg` at 295 × 413.

#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let mut args = std::env::args().skip(1);
    let (astro, solvay) = (args.next().expect("ASTRONAUT_PNG"), args.next().expect("SOLVAY_PNG"));
    let astro = image::open(astro).unwrap().to_rgb8();
    let head = image::imageops::crop_imm(&astro, 150, 20, 150, 190).to_image();
    head.save("tests/data/astronaut-head.png").unwrap();
    let solvay = image::open(solvay).unwrap().to_rgb8();
    let crop = image::imageops::crop_imm(&solvay, 1230, 150, 330, 462).to_image();
    let crop = image::imageops::resize(&crop, 295, 413, image::imageops::FilterType::Lanczos3);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&crop)
        .unwrap();
    std::fs::write("tests/data/solvay-group.jpg", &out).unwrap();
}

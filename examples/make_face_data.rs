//! Rebuilds `tests/data/` from the public-domain originals (see
//! fixtures/README.md):
//!
//! `cargo run --example make_face_data -- ASTRONAUT_PNG SOLVAY_PNG SKIMAGE_DATA`
//!
//! * ASTRONAUT_PNG: `skimage/data/astronaut.png` from the scikit-image wheel
//!   (Eileen Collins, NASA, public domain); the head is cropped to
//!   `tests/data/astronaut-head.png` (150 × 190 from x 150, y 20).
//! * SOLVAY_PNG: `test.png` from the rustface crate package (the 1927 Solvay
//!   conference photograph, public domain); four faces are cropped to
//!   `tests/data/solvay-group.jpg` at 295 × 413.
//! * SKIMAGE_DATA: the `skimage/data` folder of the same wheel: `chelsea.png`
//!   (a cat, CC0, Stefan van der Walt) and `coffee.png` (a cup, CC0, Rachel
//!   Michetti) are cropped and scaled to 295 × 413, `tests/data/cat.jpg` and
//!   `tests/data/coffee.jpg`: real photos without a face.

#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let mut args = std::env::args().skip(1);
    let (astro, solvay) = (args.next().expect("ASTRONAUT_PNG"), args.next().expect("SOLVAY_PNG"));
    let skimage = std::path::PathBuf::from(args.next().expect("SKIMAGE_DATA"));
    let astro = image::open(astro).unwrap().to_rgb8();
    let head = image::imageops::crop_imm(&astro, 150, 20, 150, 190).to_image();
    head.save("tests/data/astronaut-head.png").unwrap();
    let solvay = image::open(solvay).unwrap().to_rgb8();
    let crop = image::imageops::crop_imm(&solvay, 1230, 150, 330, 462).to_image();
    let crop = image::imageops::resize(&crop, 295, 413, image::imageops::FilterType::Lanczos3);
    save_jpeg(&crop, "tests/data/solvay-group.jpg");
    // Portrait-shaped crops (295:413) of the landscape originals.
    for (name, x, y, w, h, out) in [
        ("chelsea.png", 60, 0, 214, 300, "tests/data/cat.jpg"),
        ("coffee.png", 150, 20, 270, 378, "tests/data/coffee.jpg"),
    ] {
        let img = image::open(skimage.join(name)).unwrap().to_rgb8();
        let crop = image::imageops::crop_imm(&img, x, y, w, h).to_image();
        let crop = image::imageops::resize(&crop, 295, 413, image::imageops::FilterType::Lanczos3);
        save_jpeg(&crop, out);
    }
}

fn save_jpeg(img: &image::RgbImage, path: &str) {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .unwrap();
    std::fs::write(path, &out).unwrap();
}

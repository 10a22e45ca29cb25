//! Writes the bundled sample applications under `fixtures/` from the
//! deterministic generators in `tests/support/synth.rs`:
//!
//! * `fixtures/sample-application/`: a complete clause-1 application
//!   (ecommerce-l2) whose files all pass;
//! * `fixtures/sample-rejected/`: a blue-background photo, a selfie-shaped
//!   photo, a truncated ID card, an expired ID card (valid 2016.05.20 to
//!   2026.05.20), a form photo of too low a resolution, a blank pledge and
//!   no integrity pledge.
//!
//! The ID cards are the text cards of `tests/support/cards.rs` on white
//! paper (invented numbers, see there).
//!
//! Run with `cargo run --example make_fixtures`; the output is the same
//! bytes on every run (the golden test relies on it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/synth.rs"]
mod synth;

#[path = "../tests/support/scenes.rs"]
mod scenes;

#[path = "../tests/support/glyphs.rs"]
mod glyphs;

#[path = "../tests/support/cards.rs"]
mod cards;

/// A text card on white paper in an 800 × 520 photo.
fn card_photo(back: bool, text: &cards::CardText, seed: u64) -> image::RgbImage {
    let object = scenes::Object::TextCard {
        back,
        text: Box::new(text.clone()),
        cover: cards::Cover::None,
    };
    let mut s = scenes::Scene::new(object, seed);
    s.surface = scenes::Surface::WhiteOnWhite;
    s.light = scenes::Light::Even;
    s.width = 800;
    s.height = 520;
    scenes::render(&s).image
}

use std::fs;
use std::path::Path;
use synth::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)?;
    println!("{:>9} bytes  {}", bytes.len(), dir.join(name).display());
    Ok(())
}

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");

    let ok = root.join("sample-application");
    let mut text = cards::random_text(11);
    text.valid_from = "2025.06.01".into();
    text.valid_to = "2045.06.01".into();
    write(
        &ok,
        "身份证正面.jpg",
        &jpeg_exact(&card_photo(false, &text, 11), 72_000),
    )?;
    write(&ok, "身份证反面.jpg", &jpeg_exact(&card_photo(true, &text, 12), 68_000))?;
    write(
        &ok,
        "一寸照.jpg",
        &jpeg_exact(
            &portrait(&Portrait {
                seed: 7,
                ..Default::default()
            }),
            61_234,
        ),
    )?;
    let filled = |layout, pen, seed| jpeg(&form_photo(1200, 1600, FormPage::filled(layout, pen), seed), 75);
    write(
        &ok,
        "职业技能认定申报表.jpg",
        &filled(Layout::Application, BLUE_PEN, 21),
    )?;
    write(&ok, "个人工作经历承诺书.jpg", &filled(Layout::Pledge, BLACK_PEN, 22))?;
    write(&ok, "个人诚信承诺书.jpg", &filled(Layout::Pledge, BLUE_PEN, 23))?;

    let bad = root.join("sample-rejected");
    let blue = Portrait {
        background: ID_BLUE,
        seed: 8,
        ..Default::default()
    };
    write(&bad, "蓝底一寸照.jpg", &jpeg_exact(&portrait(&blue), 58_000))?;
    let selfie = Portrait {
        width: 360,
        height: 480,
        seed: 9,
        ..Default::default()
    };
    write(&bad, "证件照-自拍.jpg", &jpeg_exact(&portrait(&selfie), 76_000))?;
    let mut expired = cards::random_text(13);
    expired.valid_from = "2016.05.20".into();
    expired.valid_to = "2026.05.20".into();
    let front = jpeg_exact(&card_photo(false, &expired, 13), 70_000);
    write(&bad, "身份证正面.jpg", &front[..front.len() * 3 / 5])?;
    write(
        &bad,
        "身份证反面.jpg",
        &jpeg_exact(&card_photo(true, &expired, 14), 66_000),
    )?;
    write(&bad, "职业技能认定申报表.jpg", &jpeg(&paper_photo(600, 800, 24), 75))?;
    let blank = form_photo(1200, 1600, FormPage::blank(Layout::Pledge), 25);
    write(&bad, "个人工作经历承诺书.jpg", &jpeg(&blank, 75))?;
    Ok(())
}

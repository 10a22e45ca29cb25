//! Mock ID cards with text where the second-generation card has it, for the
//! reading checks: the front with 姓名 / 性别 / 民族 / 出生 / 住址 and the
//! 18-character number (OCR-B, the card's number font), the back with the
//! emblem, the title, 签发机关 and 有效期限 (a Hei font); labels in the
//! card's blue, values in black, over a pale background with printed
//! wavy lines (the card's guilloche). Glyphs come from the atlas
//! (`glyphs.rs`). Numbers are invented with the address code `PP99xx`,
//! which GB/T 2260 gives to no place, so none can be a real person's.
//! Optionally something covers part of the card (a finger, a pen, a
//! sticker, a coin, a stain).

#![allow(dead_code)]

use crate::glyphs::{atlas, Atlas};
use crate::synth::paste_head;
use image::{Rgb, RgbImage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Flat card size (ID-1 at 9.81 px/mm), as `synth::flat_card`.
pub const CARD_W: u32 = 840;
pub const CARD_H: u32 = 529;

/// What the card says.
#[derive(Debug, Clone)]
pub struct CardText {
    pub name: String,
    pub male: bool,
    /// The 出生 line's date.
    pub birth: (i32, u32, u32),
    pub number: String,
    pub authority: String,
    /// `YYYY.MM.DD`.
    pub valid_from: String,
    /// `YYYY.MM.DD` or `长期`.
    pub valid_to: String,
}

/// Something lying on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cover {
    None,
    /// A fingertip over part of the number (front) or the validity (back).
    Finger,
    /// A pen across the card's text.
    Pen,
    /// A white label stuck over part of the text.
    Sticker,
    /// A coin on the card's text.
    Coin,
    /// A brown stain over text.
    Stain,
}

impl Cover {
    pub const ALL: [Cover; 6] = [
        Cover::None,
        Cover::Finger,
        Cover::Pen,
        Cover::Sticker,
        Cover::Coin,
        Cover::Stain,
    ];
}

/// The ISO 7064 MOD 11-2 check character of 17 digits.
pub fn check_char(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// A consistent invented card: the number's birth date and sex agree with
/// the 出生 and 性别 lines; valid 5, 10 or 20 years from a date, or 长期.
pub fn random_text(seed: u64) -> CardText {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1D_CA2D);
    let names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨敏", "王伟", "李芳"];
    let year = rng.random_range(1950..2006);
    let month = rng.random_range(1..=12u32);
    let day = rng.random_range(1..=28u32);
    let male = rng.random_bool(0.5);
    let province = rng.random_range(11..=65u32);
    let seq = rng.random_range(0..50u32) * 2 + u32::from(male);
    let first17 = format!(
        "{province:02}99{:02}{year:04}{month:02}{day:02}{:02}{}",
        rng.random_range(0..100u32),
        rng.random_range(0..100u32),
        seq % 10
    );
    let number = format!("{first17}{}", check_char(&first17));
    let from_year = rng.random_range(2008..2026);
    let (fm, fd) = (rng.random_range(1..=12u32), rng.random_range(1..=28u32));
    let span = [5, 10, 20, 0][rng.random_range(0..4usize)];
    let valid_to = if span == 0 {
        "长期".to_string()
    } else {
        format!("{:04}.{fm:02}.{fd:02}", from_year + span)
    };
    CardText {
        name: names[rng.random_range(0..names.len())].to_string(),
        male,
        birth: (year, month, day),
        number,
        authority: "北京市公安局海淀分局".to_string(),
        valid_from: format!("{from_year:04}.{fm:02}.{fd:02}"),
        valid_to,
    }
}

impl CardText {
    /// The validity line as printed.
    pub fn validity(&self) -> String {
        format!("{}-{}", self.valid_from, self.valid_to)
    }
}

const LABEL: [f32; 3] = [70.0, 120.0, 165.0];
const BLACK: [f32; 3] = [25.0, 25.0, 30.0];

/// Draws `text` in `font` at `em` px with its baseline at (`x`, `y`),
/// `pitch` px per character when given (fixed pitch), else the font's
/// advances; returns the x after it.
#[allow(clippy::too_many_arguments)]
fn draw(
    img: &mut RgbImage,
    a: &Atlas,
    font: &str,
    text: &str,
    x: f32,
    y: f32,
    em: f32,
    colour: [f32; 3],
    pitch: Option<f32>,
) -> f32 {
    let f = a.font(font);
    let s = em / a.px;
    let mut pen = x;
    for c in text.chars() {
        if c == ' ' {
            pen += em * 0.3;
            continue;
        }
        let Some(g) = a.glyph(f, c) else {
            pen += em * 0.5;
            continue;
        };
        let adv = pitch.unwrap_or(g.advance * s);
        // The cell's centre lies at the middle of the advance.
        let (ox, oy) = (pen + adv / 2.0 - a.cell as f32 * s / 2.0, y - a.baseline * s);
        let size = a.cell as f32 * s;
        for py in oy.floor().max(0.0) as u32..((oy + size).ceil() as u32).min(img.height()) {
            for px in ox.floor().max(0.0) as u32..((ox + size).ceil() as u32).min(img.width()) {
                let cov = Atlas::sample(&g, (px as f32 + 0.5 - ox) / s - 0.5, (py as f32 + 0.5 - oy) / s - 0.5);
                if cov > 0.0 {
                    let p = img.get_pixel_mut(px, py);
                    for (v, c) in p.0.iter_mut().zip(colour) {
                        *v = (f32::from(*v) * (1.0 - cov) + c * cov) as u8;
                    }
                }
            }
        }
        pen += adv;
    }
    pen
}

/// The flat card (840 × 529): `back` the emblem side.
pub fn text_card(back: bool, t: &CardText, cover: Cover, seed: u64) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xCA4D);
    let a = atlas();
    let (w, h) = (CARD_W as f32, CARD_H as f32);
    // Pale background with printed wavy lines.
    let (f1, f2) = (rng.random_range(0.02f32..0.05), rng.random_range(0.01f32..0.03));
    let phase = rng.random_range(0.0f32..std::f32::consts::TAU);
    let tint = [
        rng.random_range(222.0f32..234.0),
        rng.random_range(228.0f32..238.0),
        rng.random_range(232.0f32..242.0),
    ];
    let mut img = RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let wave = (yf * f1 + 6.0 * (xf * f2 + phase).sin()).sin();
        let line = if wave > 0.92 { 14.0 } else { 0.0 };
        let grad = 6.0 * (xf / w);
        Rgb(tint.map(|c| (c - line - grad + rng.random_range(-2.5f32..2.5)).clamp(0.0, 255.0) as u8))
    });
    let px = w / 85.6;
    if back {
        // The emblem where synth's mock card has it (top-left quarter).
        for (x, y, p) in img.enumerate_pixels_mut() {
            let (u, v) = (x as f32 / w, y as f32 / h);
            if ((u - 0.16) / 0.10).powi(2) + ((v - 0.28) / 0.16).powi(2) <= 1.0 {
                *p = Rgb([205, 30, 35]);
            }
        }
        draw(
            &mut img,
            a,
            "WenQuanYiMicroHei",
            "中华人民共和国",
            0.36 * w,
            0.22 * h,
            3.4 * px,
            BLACK,
            None,
        );
        draw(
            &mut img,
            a,
            "WenQuanYiMicroHei",
            "居民身份证",
            0.34 * w,
            0.44 * h,
            5.6 * px,
            BLACK,
            None,
        );
        draw(
            &mut img,
            a,
            "WenQuanYiMicroHei",
            "签发机关",
            0.19 * w,
            0.76 * h,
            2.3 * px,
            LABEL,
            None,
        );
        draw(
            &mut img,
            a,
            "WenQuanYiMicroHei",
            &t.authority,
            0.40 * w,
            0.76 * h,
            2.7 * px,
            BLACK,
            None,
        );
        draw(
            &mut img,
            a,
            "WenQuanYiMicroHei",
            "有效期限",
            0.19 * w,
            0.88 * h,
            2.3 * px,
            LABEL,
            None,
        );
        draw(
            &mut img,
            a,
            "WenQuanYiMicroHei",
            &t.validity(),
            0.40 * w,
            0.88 * h,
            2.9 * px,
            BLACK,
            None,
        );
    } else {
        // The portrait.
        for (x, y, p) in img.enumerate_pixels_mut() {
            let (u, v) = (x as f32 / w, y as f32 / h);
            if (0.63..0.92).contains(&u) && (0.12..0.74).contains(&v) {
                p.0 = p.0.map(|c| c.saturating_sub(6));
            }
        }
        paste_head(&mut img, 0.775 * w, 0.42 * h, 0.085 * w, 0.20 * h);
        let label = |img: &mut RgbImage, s: &str, x: f32, y: f32| {
            draw(img, a, "WenQuanYiMicroHei", s, x * w, y * h, 2.3 * px, LABEL, None);
        };
        let value = |img: &mut RgbImage, s: &str, x: f32, y: f32| {
            draw(img, a, "WenQuanYiMicroHei", s, x * w, y * h, 2.7 * px, BLACK, None)
        };
        label(&mut img, "姓名", 0.06, 0.19);
        value(&mut img, &t.name, 0.18, 0.19);
        label(&mut img, "性别", 0.06, 0.31);
        value(&mut img, if t.male { "男" } else { "女" }, 0.18, 0.31);
        label(&mut img, "民族", 0.33, 0.31);
        value(&mut img, "汉", 0.44, 0.31);
        label(&mut img, "出生", 0.06, 0.43);
        let (y, m, d) = t.birth;
        let mut x = value(&mut img, &y.to_string(), 0.18, 0.43);
        for (part, word) in [(None, "年"), (Some(m), "月"), (Some(d), "日")] {
            if let Some(n) = part {
                x = draw(
                    &mut img,
                    a,
                    "WenQuanYiMicroHei",
                    &n.to_string(),
                    x + 0.4 * px,
                    0.43 * h,
                    2.7 * px,
                    BLACK,
                    None,
                );
            }
            x = draw(
                &mut img,
                a,
                "WenQuanYiMicroHei",
                word,
                x + 0.4 * px,
                0.43 * h,
                2.3 * px,
                LABEL,
                None,
            );
        }
        label(&mut img, "住址", 0.06, 0.55);
        value(&mut img, "北京市海淀区中关村大街", 0.18, 0.55);
        value(&mut img, "27号", 0.18, 0.64);
        label(&mut img, "公民身份号码", 0.06, 0.88);
        // OCR-B at a fixed pitch, as the card prints the number.
        let em = 4.1 * px;
        draw(
            &mut img,
            a,
            "OCR-B",
            &t.number,
            0.34 * w,
            0.88 * h,
            em,
            BLACK,
            Some(0.61 * em),
        );
    }
    let img = image::imageops::blur(&img, 0.6);
    cover_with(img, back, cover, &mut rng)
}

/// The box (card shares x0, y0, x1, y1) of the line a cover is put on.
pub fn text_line_box(back: bool) -> [f32; 4] {
    if back {
        [0.40, 0.82, 0.78, 0.89]
    } else {
        [0.34, 0.82, 0.86, 0.89]
    }
}

fn cover_with(mut img: RgbImage, back: bool, cover: Cover, rng: &mut ChaCha8Rng) -> RgbImage {
    let (w, h) = (CARD_W as f32, CARD_H as f32);
    let [lx0, ly0, lx1, ly1] = text_line_box(back);
    // Somewhere along the line.
    let t = rng.random_range(0.2f32..0.8);
    let (cx, cy) = ((lx0 + t * (lx1 - lx0)) * w, (ly0 + ly1) / 2.0 * h);
    match cover {
        Cover::None => {}
        Cover::Finger => {
            // A fingertip from below: an ellipse of skin, shaded.
            let (rx, ry) = (0.07 * w, 0.16 * h);
            let (fx, fy) = (cx, cy + 0.08 * h);
            let skin = [
                rng.random_range(180.0f32..225.0),
                rng.random_range(130.0f32..170.0),
                rng.random_range(110.0f32..145.0),
            ];
            for (x, y, p) in img.enumerate_pixels_mut() {
                let (dx, dy) = ((x as f32 - fx) / rx, (y as f32 - fy) / ry);
                let r = dx * dx + dy * dy;
                if r <= 1.0 || (dy > 0.0 && dx.abs() <= 1.0) {
                    let shade = 1.0 - 0.25 * dx.abs().powi(2);
                    *p = Rgb(skin.map(|c| (c * shade) as u8));
                }
            }
        }
        Cover::Pen => {
            // A dark barrel across the line, at an angle.
            let angle = rng.random_range(-0.5f32..0.5);
            let (s, c) = angle.sin_cos();
            let half = 0.022 * h.max(w) / 2.0;
            let colour = [[20.0f32, 40.0, 120.0], [30.0, 30.0, 30.0], [150.0, 20.0, 25.0]][rng.random_range(0..3usize)];
            for (x, y, p) in img.enumerate_pixels_mut() {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let across = -dx * s + dy * c;
                let along = dx * c + dy * s;
                if across.abs() <= half && along.abs() <= 0.35 * w {
                    let shade = 1.0 - 0.4 * (across / half).powi(2);
                    *p = Rgb(colour.map(|v| (v * shade + 30.0 * (1.0 - (across / half).abs())) as u8));
                }
            }
        }
        Cover::Sticker => {
            let (hw, hh) = (0.09 * w, 0.05 * h);
            for (x, y, p) in img.enumerate_pixels_mut() {
                if (x as f32 - cx).abs() <= hw && (y as f32 - cy).abs() <= hh {
                    *p = Rgb([250, 250, 246]);
                }
            }
        }
        Cover::Coin => {
            let r = 0.055 * w;
            for (x, y, p) in img.enumerate_pixels_mut() {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                if d <= r {
                    let v = 150.0 + 40.0 * ((x as f32 - cx) / r);
                    *p = Rgb([v as u8, (v * 0.95) as u8, (v * 0.85) as u8]);
                }
            }
        }
        Cover::Stain => {
            // Coffee: translucent brown, darker at its rim.
            let r = 0.06 * w;
            for (x, y, p) in img.enumerate_pixels_mut() {
                let d = ((x as f32 - cx).powi(2) + ((y as f32 - cy) * 1.3).powi(2)).sqrt() / r;
                if d <= 1.0 {
                    let alpha = 0.55 + 0.3 * d.powi(4);
                    let brown = [120.0f32, 75.0, 40.0];
                    for (v, c) in p.0.iter_mut().zip(brown) {
                        *v = (f32::from(*v) * (1.0 - alpha) + c * alpha) as u8;
                    }
                }
            }
        }
    }
    img
}

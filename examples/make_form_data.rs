//! Rebuilds the generated form pages in `tests/data/` (see
//! fixtures/README.md):
//!
//! `cargo run --example make_form_data -- PRINT_FONT HAND_FONT HANZI_DATA`
//!
//! * PRINT_FONT: `wqy-microhei.ttc` from Debian's `fonts-wqy-microhei`
//!   (Apache-2.0 or GPL-3+ with the font exception), for the printed layout.
//! * HAND_FONT: `ukai.ttc` from Debian's `fonts-arphic-ukai` (Arphic Public
//!   License), a brush script standing in for handwriting.
//! * HANZI_DATA: the folder of the npm package `hanzi-writer-data` 2.0.1
//!   (`npm pack hanzi-writer-data`, unpacked: `package/`), one JSON file per
//!   character with its stroke medians, from the Make Me a Hanzi project
//!   (Arphic Public License).
//!
//! Writes, at A4 and 150 dpi (1240 × 1754, grey, white paper = 255):
//! `form-print.png` (the 申报表 layout: title, a ruled table of labels and
//! empty cells, a photo box, a declaration and two fill-in lines),
//! `form-writing.png` (what an applicant writes into it: most value cells,
//! two of the four work-history rows, the signature and the date),
//! `pledge-print.png` / `pledge-writing.png` (a 承诺书: paragraphs and three
//! fill-in lines). The writing is the Kai font with each character's size,
//! baseline and spacing jittered (seeded), larger than the print, as hands
//! write. Names, numbers and companies are invented; the ID number has the
//! non-existent region code 99.
//!
//! The same entries are also written two other ways, for
//! `form.not_handwritten`: `*-typed.png`, typed before printing (the print
//! font, one size, one baseline, as a word processor sets it), and
//! `*-strokes.png`, handwriting drawn from stroke data: each character's
//! stroke medians (Make Me a Hanzi; digits and punctuation from a small
//! table here) with every stroke moved, bent and given its own width and
//! pressure, and the character's size, slant and baseline jittered — so no
//! two written characters are the same, unlike a font's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const W: u32 = 1240;
const H: u32 = 1754;

/// Draws `text` with its baseline at `y` from `x`, darkening the page by the
/// glyph coverage; returns the x after the last character.
fn text(img: &mut GrayImage, font: &FontRef, size: f32, x: f32, y: f32, s: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut pen = x;
    for c in s.chars() {
        let g = scaled.scaled_glyph(c);
        let adv = scaled.h_advance(g.id);
        let mut g = g;
        g.position = ab_glyph::point(pen, y);
        if let Some(o) = font.outline_glyph(g) {
            let b = o.px_bounds();
            o.draw(|gx, gy, cov| {
                let (px, py) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                if px >= 0 && py >= 0 && (px as u32) < W && (py as u32) < H {
                    let p = img.get_pixel_mut(px as u32, py as u32);
                    p.0[0] = p.0[0].min((255.0 * (1.0 - cov.clamp(0.0, 1.0))) as u8);
                }
            });
        }
        pen += adv;
    }
    pen
}

/// Width of `s` at `size`.
fn width(font: &FontRef, size: f32, s: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    s.chars().map(|c| scaled.h_advance(scaled.glyph_id(c))).sum()
}

/// Writes `s` by hand: each character's size, baseline and gap jittered, the
/// baseline drifting over the line.
fn hand(img: &mut GrayImage, font: &FontRef, rng: &mut ChaCha8Rng, size: f32, x: f32, y: f32, s: &str) {
    let drift = rng.random_range(-0.04f32..0.04);
    let mut pen = x;
    for c in s.chars() {
        let sz = size * rng.random_range(0.88f32..1.12);
        let base = y + (pen - x) * drift + rng.random_range(-2.5f32..2.5);
        let end = text(img, font, sz, pen, base, &c.to_string());
        pen = end + rng.random_range(-1.0f32..4.0);
    }
}

/// The three ways an entry is written: the Kai font jittered (`writing`),
/// typed (`typed`), strokes (`strokes`).
struct Fill<'a> {
    writing: GrayImage,
    typed: GrayImage,
    strokes: GrayImage,
    hand_font: &'a FontRef<'a>,
    print_font: &'a FontRef<'a>,
    hanzi: &'a std::path::Path,
    stroke_rng: ChaCha8Rng,
}

impl Fill<'_> {
    fn new<'a>(
        hand_font: &'a FontRef<'a>,
        print_font: &'a FontRef<'a>,
        hanzi: &'a std::path::Path,
        seed: u64,
    ) -> Fill<'a> {
        Fill {
            writing: GrayImage::from_pixel(W, H, Luma([255])),
            typed: GrayImage::from_pixel(W, H, Luma([255])),
            strokes: GrayImage::from_pixel(W, H, Luma([255])),
            hand_font,
            print_font,
            hanzi,
            stroke_rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Writes `s` at (x, y) all three ways; `rng` drives the Kai writing
    /// (the same sequence as before the other two were added).
    fn write(&mut self, rng: &mut ChaCha8Rng, size: f32, x: f32, y: f32, s: &str) {
        hand(&mut self.writing, self.hand_font, rng, size, x, y, s);
        // Typed: a 12 pt body font, on the line the hand would use.
        text(&mut self.typed, self.print_font, 26.0, x, y, s);
        strokes(&mut self.strokes, self.hanzi, &mut self.stroke_rng, size, x, y, s);
    }
}

/// Stroke medians of the characters Make Me a Hanzi does not have, in its
/// frame (1024 wide, y up, baseline near -124, top 900): digits and marks.
fn latin_medians(c: char) -> Option<Vec<Vec<(f32, f32)>>> {
    // Drawn in a unit box (x right 0..1, y down 0..1) for a digit 0.5 em
    // wide and 0.7 em tall on the baseline.
    let unit: Vec<Vec<(f32, f32)>> = match c {
        '0' => vec![(0..=16)
            .map(|i| {
                let t = i as f32 / 16.0 * std::f32::consts::TAU;
                (0.5 + 0.45 * t.sin(), 0.5 - 0.5 * t.cos())
            })
            .collect()],
        '1' => vec![vec![(0.25, 0.2), (0.55, 0.0), (0.55, 1.0)]],
        '2' => vec![vec![
            (0.05, 0.25),
            (0.2, 0.03),
            (0.5, 0.0),
            (0.8, 0.1),
            (0.85, 0.3),
            (0.7, 0.55),
            (0.05, 1.0),
            (0.95, 1.0),
        ]],
        '3' => vec![vec![
            (0.1, 0.1),
            (0.5, 0.0),
            (0.85, 0.15),
            (0.8, 0.4),
            (0.45, 0.5),
            (0.85, 0.6),
            (0.9, 0.85),
            (0.5, 1.0),
            (0.05, 0.9),
        ]],
        '4' => vec![vec![(0.65, 1.0), (0.65, 0.0), (0.0, 0.7), (1.0, 0.7)]],
        '5' => vec![vec![
            (0.85, 0.0),
            (0.15, 0.0),
            (0.1, 0.45),
            (0.5, 0.38),
            (0.85, 0.55),
            (0.85, 0.85),
            (0.5, 1.0),
            (0.05, 0.9),
        ]],
        '6' => vec![vec![
            (0.8, 0.05),
            (0.4, 0.1),
            (0.1, 0.5),
            (0.15, 0.9),
            (0.5, 1.0),
            (0.85, 0.8),
            (0.8, 0.55),
            (0.45, 0.5),
            (0.12, 0.65),
        ]],
        '7' => vec![vec![(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
        '8' => vec![vec![
            (0.5, 0.5),
            (0.15, 0.3),
            (0.2, 0.05),
            (0.5, 0.0),
            (0.8, 0.05),
            (0.85, 0.3),
            (0.5, 0.5),
            (0.1, 0.72),
            (0.2, 0.95),
            (0.5, 1.0),
            (0.8, 0.95),
            (0.9, 0.72),
            (0.5, 0.5),
        ]],
        '9' => vec![vec![
            (0.85, 0.35),
            (0.55, 0.5),
            (0.2, 0.45),
            (0.12, 0.2),
            (0.45, 0.0),
            (0.85, 0.1),
            (0.88, 0.4),
            (0.75, 1.0),
        ]],
        '.' => vec![vec![(0.45, 0.93), (0.55, 0.97)]],
        '-' => vec![vec![(0.1, 0.55), (0.9, 0.55)]],
        ':' | '：' => vec![vec![(0.45, 0.3), (0.55, 0.34)], vec![(0.45, 0.9), (0.55, 0.94)]],
        _ => return None,
    };
    // Unit box to the hanzi frame: 0.5 em wide from x 260, 0.7 em tall
    // standing on y = -80.
    Some(
        unit.into_iter()
            .map(|s| {
                s.into_iter()
                    .map(|(u, v)| (260.0 + u * 512.0, -80.0 + (1.0 - v) * 717.0))
                    .collect()
            })
            .collect(),
    )
}

/// The stroke medians of `c`: from the hanzi data, or the table above.
fn medians(hanzi: &std::path::Path, c: char) -> Option<Vec<Vec<(f32, f32)>>> {
    if let Some(m) = latin_medians(c) {
        return Some(m);
    }
    let text = std::fs::read_to_string(hanzi.join(format!("{c}.json"))).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(
        v["medians"]
            .as_array()?
            .iter()
            .map(|s| {
                s.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| Some((p[0].as_f64()? as f32, p[1].as_f64()? as f32)))
                    .collect()
            })
            .collect(),
    )
}

/// Handwriting from stroke data: each stroke of each character shifted,
/// bent and drawn with its own width and a pen's pressure (thin at the
/// ends); the character's size, slant and baseline jittered; the baseline
/// drifting over the line.
fn strokes(img: &mut GrayImage, hanzi: &std::path::Path, rng: &mut ChaCha8Rng, size: f32, x: f32, y: f32, s: &str) {
    let drift = rng.random_range(-0.04f32..0.04);
    let mut pen = x;
    for c in s.chars() {
        let Some(ms) = medians(hanzi, c) else {
            panic!("no stroke data for {c:?}");
        };
        let sz = size * rng.random_range(0.86f32..1.14);
        let base = y + (pen - x) * drift + rng.random_range(-3.0f32..3.0);
        let slant = rng.random_range(-0.12f32..0.12);
        let em = sz / 1024.0;
        let width_px = (sz * 0.075).max(1.6);
        // The frame's baseline is near y = -124: the em box's bottom.
        let to_px = |(u, v): (f32, f32)| {
            let yy = base - (v + 124.0) * em * 0.92;
            (pen + u * em + (base - yy) * slant, yy)
        };
        let mut max_u = 0.0f32;
        for stroke in &ms {
            let (dx, dy) = (rng.random_range(-22.0f32..22.0), rng.random_range(-22.0f32..22.0));
            let bend = rng.random_range(-18.0f32..18.0);
            let n = stroke.len().max(2) as f32;
            let mut pts: Vec<(f32, f32)> = stroke
                .iter()
                .enumerate()
                .map(|(i, &(u, v))| {
                    // A bow across the stroke, largest in its middle.
                    let t = i as f32 / (n - 1.0);
                    let b = bend * (std::f32::consts::PI * t).sin();
                    max_u = max_u.max(u);
                    (
                        u + dx + b + rng.random_range(-8.0f32..8.0),
                        v + dy - b + rng.random_range(-8.0f32..8.0),
                    )
                })
                .collect();
            // Chaikin corner cutting twice: a pen's curve, not a polyline.
            for _ in 0..2 {
                let mut out = vec![pts[0]];
                for w in pts.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    out.push((0.75 * a.0 + 0.25 * b.0, 0.75 * a.1 + 0.25 * b.1));
                    out.push((0.25 * a.0 + 0.75 * b.0, 0.25 * a.1 + 0.75 * b.1));
                }
                out.push(pts[pts.len() - 1]);
                pts = out;
            }
            let w_stroke = width_px * rng.random_range(0.75f32..1.25);
            let px: Vec<(f32, f32)> = pts.into_iter().map(to_px).collect();
            let total: f32 = px
                .windows(2)
                .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
                .sum();
            let mut along = 0.0f32;
            for w in px.windows(2) {
                let len = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
                let steps = (len / 0.4).ceil().max(1.0) as usize;
                for k in 0..=steps {
                    let t = k as f32 / steps as f32;
                    let p = (w[0].0 + (w[1].0 - w[0].0) * t, w[0].1 + (w[1].1 - w[0].1) * t);
                    // Pressure: full in the middle, lighter at both ends.
                    let f = if total > 0.0 { (along + len * t) / total } else { 0.5 };
                    let pressure = 0.55 + 0.45 * (std::f32::consts::PI * f).sin();
                    disc(img, p, 0.5 * w_stroke * pressure);
                }
                along += len;
            }
        }
        let advance = if latin_medians(c).is_some() { 0.62 } else { 1.0 };
        pen += sz * advance + rng.random_range(-1.0f32..4.0);
    }
}

/// A filled disc of radius `r` at `p`, anti-aliased, darkening the page.
fn disc(img: &mut GrayImage, p: (f32, f32), r: f32) {
    let r = r.max(0.6);
    let (x0, x1) = ((p.0 - r - 1.0).floor() as i32, (p.0 + r + 1.0).ceil() as i32);
    let (y0, y1) = ((p.1 - r - 1.0).floor() as i32, (p.1 + r + 1.0).ceil() as i32);
    for yy in y0..=y1 {
        for xx in x0..=x1 {
            if xx < 0 || yy < 0 || xx as u32 >= W || yy as u32 >= H {
                continue;
            }
            let d = ((xx as f32 + 0.5 - p.0).powi(2) + (yy as f32 + 0.5 - p.1).powi(2)).sqrt();
            let cov = (r + 0.5 - d).clamp(0.0, 1.0);
            if cov > 0.0 {
                let px = img.get_pixel_mut(xx as u32, yy as u32);
                px.0[0] = px.0[0].min((255.0 * (1.0 - cov)) as u8);
            }
        }
    }
}

fn hline(img: &mut GrayImage, x0: u32, x1: u32, y: u32) {
    for x in x0..=x1 {
        for t in 0..2 {
            img.put_pixel(x, y + t, Luma([0]));
        }
    }
}

fn vline(img: &mut GrayImage, x: u32, y0: u32, y1: u32) {
    for y in y0..=y1 {
        for t in 0..2 {
            img.put_pixel(x + t, y, Luma([0]));
        }
    }
}

/// One table row: its cells as (x0, x1, label or "" for a value cell).
type Row = Vec<(u32, u32, &'static str)>;

fn main() {
    let mut args = std::env::args().skip(1);
    let print_font = std::fs::read(args.next().expect("PRINT_FONT")).unwrap();
    let hand_font = std::fs::read(args.next().expect("HAND_FONT")).unwrap();
    let pf = FontRef::try_from_slice_and_index(&print_font, 0).unwrap();
    let hf = FontRef::try_from_slice_and_index(&hand_font, 0).unwrap();
    let hanzi = std::path::PathBuf::from(args.next().expect("HANZI_DATA"));
    let mut rng = ChaCha8Rng::seed_from_u64(2026);

    // --- 申报表 ---------------------------------------------------------
    let mut print = GrayImage::from_pixel(W, H, Luma([255]));
    let mut fill = Fill::new(&hf, &pf, &hanzi, 0x5742_0001);
    let title = "职业技能等级认定申报表";
    let tw = width(&pf, 46.0, title);
    text(&mut print, &pf, 46.0, (W as f32 - tw) / 2.0, 150.0, title);
    text(
        &mut print,
        &pf,
        24.0,
        100.0,
        215.0,
        "申报职业：电子商务师　　申报等级：二级",
    );

    let (left, right, photo) = (100u32, 1140u32, 940u32);
    let row_h = 70u32;
    let top = 240u32;
    // Rows 0-3 stop at the photo box on the right.
    let rows: Vec<Row> = vec![
        vec![
            (100, 220, "姓名"),
            (220, 400, ""),
            (400, 500, "性别"),
            (500, 600, ""),
            (600, 740, "出生年月"),
            (740, 940, ""),
        ],
        vec![(100, 260, "身份证号"), (260, 940, "")],
        vec![
            (100, 240, "文化程度"),
            (240, 460, ""),
            (460, 600, "所学专业"),
            (600, 940, ""),
        ],
        vec![(100, 240, "工作单位"), (240, 940, "")],
        vec![
            (100, 240, "联系电话"),
            (240, 560, ""),
            (560, 760, "现职业(工种)"),
            (760, 1140, ""),
        ],
        vec![
            (100, 320, "从事本职业年限"),
            (320, 560, ""),
            (560, 760, "现等级"),
            (760, 1140, ""),
        ],
        vec![
            (100, 360, "起止年月"),
            (360, 700, "工作单位"),
            (700, 940, "从事工种"),
            (940, 1140, "证明人"),
        ],
        vec![(100, 360, ""), (360, 700, ""), (700, 940, ""), (940, 1140, "")],
        vec![(100, 360, ""), (360, 700, ""), (700, 940, ""), (940, 1140, "")],
        vec![(100, 360, ""), (360, 700, ""), (700, 940, ""), (940, 1140, "")],
        vec![(100, 360, ""), (360, 700, ""), (700, 940, ""), (940, 1140, "")],
        vec![(100, 240, "申报条件"), (240, 1140, "")],
    ];
    // What the applicant writes, cell by cell (None: left empty).
    let fills: Vec<Vec<Option<&str>>> = vec![
        vec![None, Some("王小明"), None, Some("男"), None, Some("1990.05")],
        vec![None, Some("990000199005010000")],
        vec![None, Some("本科"), None, Some("电子商务")],
        vec![None, Some("某某网络科技有限公司")],
        vec![None, Some("13800000000"), None, Some("电子商务师")],
        vec![None, Some("6年"), None, Some("三级")],
        vec![None, None, None, None],
        vec![
            Some("16.07-19.06"),
            Some("某某贸易公司"),
            Some("网店运营"),
            Some("李某"),
        ],
        vec![Some("19.07-至今"), Some("某某网络科技"), Some("电子商务"), Some("赵某")],
        vec![None, None, None, None],
        vec![None, None, None, None],
        vec![None, Some("第3条：三级满4年")],
    ];
    let bottom = top + row_h * rows.len() as u32;
    for (i, row) in rows.iter().enumerate() {
        let y0 = top + row_h * i as u32;
        let row_right = row.last().unwrap().1;
        hline(&mut print, left, row_right, y0);
        for (j, &(x0, x1, label)) in row.iter().enumerate() {
            vline(&mut print, x0, y0, y0 + row_h);
            if j == row.len() - 1 {
                vline(&mut print, x1, y0, y0 + row_h);
            }
            if !label.is_empty() {
                let lw = width(&pf, 22.0, label);
                let cx = x0 as f32 + (x1 - x0) as f32 / 2.0 - lw / 2.0;
                text(&mut print, &pf, 22.0, cx, (y0 + row_h / 2 + 8) as f32, label);
            }
            if let Some(s) = fills[i][j] {
                fill.write(&mut rng, 36.0, (x0 + 14) as f32, (y0 + row_h / 2 + 14) as f32, s);
            }
        }
    }
    hline(&mut print, left, right, bottom);
    // The photo box spans the first four rows.
    hline(&mut print, photo, right, top);
    vline(&mut print, right, top, top + 4 * row_h);
    let pw = width(&pf, 22.0, "照片");
    text(
        &mut print,
        &pf,
        22.0,
        (photo + right) as f32 / 2.0 - pw / 2.0,
        (top + 2 * row_h + 8) as f32,
        "照片",
    );

    let mut y = bottom as f32 + 70.0;
    for line in [
        "本人承诺以上所填内容真实有效，并已如实填写工作经历；如有虚假，",
        "本人自愿承担由此产生的一切后果。",
    ] {
        text(&mut print, &pf, 24.0, 100.0, y, line);
        y += 44.0;
    }
    y += 60.0;
    let x = text(&mut print, &pf, 24.0, 100.0, y, "申报人签名：");
    hline(&mut print, x as u32, x as u32 + 300, y as u32 + 8);
    fill.write(&mut rng, 40.0, x + 30.0, y - 4.0, "王小明");
    let x = text(&mut print, &pf, 24.0, 720.0, y, "日期：");
    hline(&mut print, x as u32, x as u32 + 300, y as u32 + 8);
    fill.write(&mut rng, 34.0, x + 12.0, y - 4.0, "2026年11月20日");
    print.save("tests/data/form-print.png").unwrap();
    fill.writing.save("tests/data/form-writing.png").unwrap();
    fill.typed.save("tests/data/form-typed.png").unwrap();
    fill.strokes.save("tests/data/form-strokes.png").unwrap();

    // --- 承诺书 ---------------------------------------------------------
    let mut print = GrayImage::from_pixel(W, H, Luma([255]));
    let mut fill = Fill::new(&hf, &pf, &hanzi, 0x5742_0002);
    let title = "个人诚信承诺书";
    let tw = width(&pf, 46.0, title);
    text(&mut print, &pf, 46.0, (W as f32 - tw) / 2.0, 170.0, title);
    let paragraph = [
        "本人自愿参加职业技能等级认定，现郑重承诺：",
        "一、本人提交的身份证明、学历证明、工作经历证明等报名材料",
        "真实、准确、有效，不存在伪造、变造或冒用他人材料的情况；",
        "二、本人所填写的工作经历与实际情况一致，工作年限计算无误；",
        "三、本人遵守考试纪律，服从考务安排，不委托他人代考；",
        "四、如有违反上述承诺，本人自愿承担取消认定资格、",
        "已取得证书予以注销等一切后果。",
    ];
    let mut y = 290.0;
    for line in paragraph {
        text(&mut print, &pf, 28.0, 120.0, y, line);
        y += 58.0;
    }
    y += 120.0;
    for (label, written, size) in [
        ("承诺人（签字）：", "王小明", 42.0),
        ("身份证号：", "990000199005010000", 32.0),
        ("日期：", "2026年11月20日", 34.0),
    ] {
        let x = text(&mut print, &pf, 28.0, 560.0, y, label);
        hline(&mut print, x as u32, 1120, y as u32 + 8);
        fill.write(&mut rng, size, x + 16.0, y - 4.0, written);
        y += 90.0;
    }
    print.save("tests/data/pledge-print.png").unwrap();
    fill.writing.save("tests/data/pledge-writing.png").unwrap();
    fill.typed.save("tests/data/pledge-typed.png").unwrap();
    fill.strokes.save("tests/data/pledge-strokes.png").unwrap();
}

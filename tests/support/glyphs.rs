//! The glyphs drawn once from fonts (`tests/data/glyphs.png` and
//! `glyphs.json`, made by `examples/make_glyph_data.rs`): what the ID-card
//! generator writes with and the glyph classifier learns from, with no font
//! needed at run time.
#![allow(dead_code)]

use image::GrayImage;
use std::sync::OnceLock;

/// One font's row of the atlas.
#[derive(Debug, Clone)]
pub struct AtlasFont {
    pub name: String,
    /// `train` or `held_out`.
    pub role: String,
    pub chars: Vec<char>,
    /// Advance of each char, px at the atlas size.
    pub advances: Vec<f32>,
    row: u32,
}

/// The atlas: cells of `cell` px, glyphs at `px` with the baseline at `baseline`.
pub struct Atlas {
    pub cell: u32,
    pub px: f32,
    pub baseline: f32,
    pub fonts: Vec<AtlasFont>,
    image: GrayImage,
}

/// Coverage (0..1, ink = 1) of one glyph's cell and its ink box.
#[derive(Debug, Clone)]
pub struct Glyph {
    pub cov: Vec<f32>,
    pub size: usize,
    pub advance: f32,
    /// Ink box in the cell: x0, y0, x1, y1 (exclusive ends); empty for a space.
    pub ink: Option<(usize, usize, usize, usize)>,
}

pub fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| {
        let image = image::load_from_memory(include_bytes!("../data/glyphs.png"))
            .expect("atlas")
            .to_luma8();
        let doc: serde_json::Value = serde_json::from_str(include_str!("../data/glyphs.json")).expect("atlas manifest");
        let fonts = doc["fonts"]
            .as_array()
            .expect("fonts")
            .iter()
            .enumerate()
            .map(|(row, f)| AtlasFont {
                name: f["name"].as_str().expect("name").to_string(),
                role: f["role"].as_str().expect("role").to_string(),
                chars: f["chars"].as_str().expect("chars").chars().collect(),
                advances: f["advances"]
                    .as_array()
                    .expect("advances")
                    .iter()
                    .map(|a| a.as_f64().expect("advance") as f32)
                    .collect(),
                row: row as u32,
            })
            .collect();
        Atlas {
            cell: doc["cell"].as_u64().expect("cell") as u32,
            px: doc["px"].as_f64().expect("px") as f32,
            baseline: doc["baseline"].as_f64().expect("baseline") as f32,
            fonts,
            image,
        }
    })
}

impl Atlas {
    pub fn font(&self, name: &str) -> &AtlasFont {
        self.fonts
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no font {name} in the atlas"))
    }

    /// The glyph of `c` in `font`, `None` when the font lacks it.
    pub fn glyph(&self, font: &AtlasFont, c: char) -> Option<Glyph> {
        let col = font.chars.iter().position(|&k| k == c)?;
        let n = self.cell as usize;
        let mut cov = vec![0.0f32; n * n];
        let (mut x0, mut y0, mut x1, mut y1) = (n, n, 0, 0);
        for y in 0..n {
            for x in 0..n {
                let v = self
                    .image
                    .get_pixel(col as u32 * self.cell + x as u32, font.row * self.cell + y as u32)
                    .0[0];
                let c = 1.0 - f32::from(v) / 255.0;
                cov[y * n + x] = c;
                if c > 0.3 {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x + 1);
                    y1 = y1.max(y + 1);
                }
            }
        }
        Some(Glyph {
            cov,
            size: n,
            advance: font.advances[col],
            ink: (x1 > x0).then_some((x0, y0, x1, y1)),
        })
    }

    /// The font's digit height (the ink box of `0`) as (top, bottom) in the
    /// cell; fonts without digits use a typical 0.72 em above the baseline.
    pub fn digit_box(&self, font: &AtlasFont) -> (f32, f32) {
        match self.glyph(font, '0').and_then(|g| g.ink) {
            Some((_, y0, _, y1)) => (y0 as f32, y1 as f32),
            None => (self.baseline - 0.72 * self.px, self.baseline),
        }
    }

    /// Bilinear coverage of `g` at cell coordinates (x, y).
    pub fn sample(g: &Glyph, x: f32, y: f32) -> f32 {
        let n = g.size as isize;
        let (xf, yf) = (x.floor(), y.floor());
        let (fx, fy) = (x - xf, y - yf);
        let at = |xx: isize, yy: isize| -> f32 {
            if xx < 0 || yy < 0 || xx >= n || yy >= n {
                0.0
            } else {
                g.cov[yy as usize * g.size + xx as usize]
            }
        };
        let (x0, y0) = (xf as isize, yf as isize);
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

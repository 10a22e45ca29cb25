//! Rebuilds `tests/data/glyphs.png` and `tests/data/glyphs.json`: the
//! characters an ID card's number and validity lines use (and the labels
//! around them), drawn once from fonts so that the card generator and the
//! glyph classifier's training need no font at run time (see
//! fixtures/README.md and models/README.md for the fonts and licences).
//!
//! `cargo run --release --example make_glyph_data`
//!
//! Each font is one row of 64 × 64 cells, the glyph drawn at 48 px with its
//! baseline at y = 50, ink dark on white; the manifest gives per font its
//! characters, their advances (px at 48 px), and its role: `train` fonts
//! teach the classifier, `held_out` ones (OCR-B, the font of the card's
//! number, and WenQuanYi Micro Hei for the validity line) only test it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use serde_json::json;

const CELL: u32 = 64;
const PX: f32 = 48.0;
const BASELINE: f32 = 50.0;
const LATIN: &str = "0123456789X.-";
/// 长期 and the 出生 / 性别 values, then the labels and the sample text of
/// the generated cards.
const CJK: &str = "长期年月日男女汉姓名性别民族出生住址公身份号码签发机关有效限中华人共和国居证北京市海淀区关村大街安局分张伟王芳李娜刘洋陈静杨敏上浦东新路弄";

struct FontSpec {
    name: &'static str,
    path: &'static str,
    index: u32,
    role: &'static str,
    cjk: bool,
}

const FONTS: &[FontSpec] = &[
    FontSpec {
        name: "DejaVuSans",
        path: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "DejaVuSans-Bold",
        path: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "DejaVuSansMono",
        path: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "DejaVuSansCondensed",
        path: "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "DejaVuSerif",
        path: "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "LiberationSans",
        path: "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "LiberationSans-Bold",
        path: "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "LiberationMono",
        path: "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "LiberationSerif",
        path: "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "FreeSans",
        path: "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "FreeMono",
        path: "/usr/share/fonts/truetype/freefont/FreeMono.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "FreeMonoBold",
        path: "/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "FreeSerif",
        path: "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "NotoMono",
        path: "/usr/share/fonts/truetype/noto/NotoMono-Regular.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "NotoSansMono-Bold",
        path: "/usr/share/fonts/truetype/noto/NotoSansMono-Bold.ttf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "NimbusSans",
        path: "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "NimbusSansNarrow",
        path: "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "NimbusMonoPS",
        path: "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "URWGothic",
        path: "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "C059",
        path: "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
        index: 0,
        role: "train",
        cjk: false,
    },
    FontSpec {
        name: "WenQuanYiZenHei",
        path: "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        index: 0,
        role: "train",
        cjk: true,
    },
    FontSpec {
        name: "ARPLUMing",
        path: "/usr/share/fonts/truetype/arphic/uming.ttc",
        index: 0,
        role: "train",
        cjk: true,
    },
    FontSpec {
        name: "DroidSansFallback",
        path: "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        index: 0,
        role: "train",
        cjk: true,
    },
    FontSpec {
        name: "OCR-B",
        path: "/usr/share/fonts/opentype/ocr-b/OCRB.otf",
        index: 0,
        role: "held_out",
        cjk: false,
    },
    FontSpec {
        name: "WenQuanYiMicroHei",
        path: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        index: 0,
        role: "held_out",
        cjk: true,
    },
];

fn main() {
    let cols = (LATIN.chars().count() + CJK.chars().count()) as u32;
    let mut atlas = GrayImage::from_pixel(cols * CELL, FONTS.len() as u32 * CELL, Luma([255]));
    let mut manifest = Vec::new();
    for (row, spec) in FONTS.iter().enumerate() {
        let data = std::fs::read(spec.path).unwrap_or_else(|e| panic!("{}: {e}", spec.path));
        let font = FontRef::try_from_slice_and_index(&data, spec.index).expect("font");
        let scaled = font.as_scaled(PxScale::from(PX));
        let mut chars = String::new();
        let mut advances = Vec::new();
        let all: String = if spec.cjk {
            format!("{LATIN}{CJK}")
        } else {
            LATIN.to_string()
        };
        for c in all.chars() {
            let id = font.glyph_id(c);
            if id.0 == 0 {
                continue; // the font lacks it
            }
            let col = chars.chars().count() as u32;
            let mut g = scaled.scaled_glyph(c);
            let adv = scaled.h_advance(g.id);
            // Centred in its cell by its advance.
            g.position = ab_glyph::point((CELL as f32 - adv) / 2.0, BASELINE);
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|gx, gy, cov| {
                    let (px, py) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                    if (0..CELL as i32).contains(&px) && (0..CELL as i32).contains(&py) {
                        let p = atlas.get_pixel_mut(col * CELL + px as u32, row as u32 * CELL + py as u32);
                        p.0[0] = p.0[0].min((255.0 * (1.0 - cov.clamp(0.0, 1.0))) as u8);
                    }
                });
            }
            chars.push(c);
            advances.push((adv * 10.0).round() / 10.0);
        }
        manifest.push(json!({ "name": spec.name, "role": spec.role, "chars": chars, "advances": advances }));
    }
    atlas.save("tests/data/glyphs.png").expect("write atlas");
    let doc = json!({ "cell": CELL, "px": PX, "baseline": BASELINE, "fonts": manifest });
    std::fs::write(
        "tests/data/glyphs.json",
        serde_json::to_string_pretty(&doc).unwrap() + "\n",
    )
    .expect("write manifest");
    println!("{} fonts, {} columns", FONTS.len(), cols);
}

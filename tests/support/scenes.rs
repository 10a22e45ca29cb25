//! Phone-like scenes of an ID card or a form page, far from the even desks
//! of `synth.rs`: nine surface families (wood, granite, fabric, tiles, a
//! café table photo, a cluttered desk, a light surface, white on white, a
//! dark desk), uneven light (ramp, vignette, warm and cool white balance,
//! dim and noisy, a phone's shadow, a glare spot), clutter touching or
//! over the object's edge (a cup on its saucer, a pen, a phone, a second
//! sheet under it), and geometry from a pinhole camera (turned up to
//! ±30°, tilted so the far edge is up to 25 % shorter, focal length of a
//! phone), with the true corners known. Every scene is a function of its
//! parameters and seed.
//!
//! Textures: `gravel.jpg`, `grass.jpg`, `brick.jpg` and `coffee-table.jpg`
//! in `tests/data`, from scikit-image's data (CC0; see fixtures/README.md).

#![allow(dead_code)]

use crate::cards::{text_card, CardText, Cover};
use crate::synth::{flat_card, form_page, FormPage};
use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::Projection;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What lies on the table.
#[derive(Debug, Clone)]
pub enum Object {
    Card {
        back: bool,
    },
    /// A card with its text (`cards.rs`), something on it or not.
    TextCard {
        back: bool,
        text: Box<CardText>,
        cover: Cover,
    },
    Page(FormPage),
}

/// What the object lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surface {
    Wood,
    Granite,
    Fabric,
    Tiles,
    Cafe,
    ClutteredDesk,
    Light,
    WhiteOnWhite,
    Dark,
}

impl Surface {
    pub const ALL: [Surface; 9] = [
        Surface::Wood,
        Surface::Granite,
        Surface::Fabric,
        Surface::Tiles,
        Surface::Cafe,
        Surface::ClutteredDesk,
        Surface::Light,
        Surface::WhiteOnWhite,
        Surface::Dark,
    ];
}

/// How the room lights it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Light {
    Even,
    Ramp,
    Vignette,
    Warm,
    Cool,
    Dim,
    PhoneShadow,
    GlareSpot,
}

impl Light {
    pub const ALL: [Light; 8] = [
        Light::Even,
        Light::Ramp,
        Light::Vignette,
        Light::Warm,
        Light::Cool,
        Light::Dim,
        Light::PhoneShadow,
        Light::GlareSpot,
    ];
}

/// What else is on the table, touching or over the object's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Clutter {
    None,
    Cup,
    Pen,
    Phone,
    SecondSheet,
}

impl Clutter {
    pub const ALL: [Clutter; 5] = [
        Clutter::None,
        Clutter::Cup,
        Clutter::Pen,
        Clutter::Phone,
        Clutter::SecondSheet,
    ];
}

/// Where and how the object lies in the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Framing {
    /// Whole, well inside the frame.
    Normal,
    /// A page filling 85-95 % of the frame's height (pages only).
    Filling,
    /// A corner cut off by the frame.
    CornerCut,
    /// A card under 33 % of the frame.
    Small,
    /// A portrait page photographed in landscape; with `exif` the file
    /// says Orientation 6 and is upright once decoded.
    Landscape { exif: bool },
}

/// A scene to render.
#[derive(Debug, Clone)]
pub struct Scene {
    pub object: Object,
    pub surface: Surface,
    pub light: Light,
    pub clutter: Clutter,
    pub framing: Framing,
    pub width: u32,
    pub height: u32,
    /// Gaussian blur over the whole photo (a shaky or unfocused shot).
    pub blur: f32,
    /// A blown-out highlight on the object, radius as a share of its height.
    pub hard_glare: f32,
    /// The page bows upwards by this share of its width (paper curl).
    pub curl: f32,
    pub seed: u64,
}

impl Scene {
    pub fn new(object: Object, seed: u64) -> Scene {
        let (width, height) = match object {
            Object::Card { .. } | Object::TextCard { .. } => (1000, 640),
            Object::Page(_) => (1200, 1600),
        };
        Scene {
            object,
            surface: Surface::Wood,
            light: Light::Even,
            clutter: Clutter::None,
            framing: Framing::Normal,
            width,
            height,
            blur: 0.0,
            hard_glare: 0.0,
            curl: 0.0,
            seed,
        }
    }
}

/// A rendered scene and its truth.
pub struct Shot {
    /// The image as stored in the file (landscape for `Landscape`).
    pub image: RgbImage,
    /// EXIF Orientation the file must carry (6 for a landscape with EXIF).
    pub orientation: Option<u16>,
    /// The object's corners in the upright image (after EXIF), clockwise.
    pub corners: [(f64, f64); 4],
    /// Whether every corner lies inside the upright frame.
    pub whole: bool,
    /// The object's area inside the frame / the frame's area.
    pub area_fraction: f64,
    /// How far the clutter lies over the object, inwards from its edge, as
    /// a share of the object's width (0 when it only touches or lies
    /// beside it): a pen across a card reaches far in.
    pub clutter_depth: f64,
}

fn gray_texture(
    bytes: &'static [u8],
    cell: &'static std::sync::OnceLock<image::GrayImage>,
) -> &'static image::GrayImage {
    cell.get_or_init(|| image::load_from_memory(bytes).expect("texture").to_luma8())
}

fn gravel() -> &'static image::GrayImage {
    static T: std::sync::OnceLock<image::GrayImage> = std::sync::OnceLock::new();
    gray_texture(include_bytes!("../data/gravel.jpg"), &T)
}

fn grass() -> &'static image::GrayImage {
    static T: std::sync::OnceLock<image::GrayImage> = std::sync::OnceLock::new();
    gray_texture(include_bytes!("../data/grass.jpg"), &T)
}

fn brick() -> &'static image::GrayImage {
    static T: std::sync::OnceLock<image::GrayImage> = std::sync::OnceLock::new();
    gray_texture(include_bytes!("../data/brick.jpg"), &T)
}

fn cafe() -> &'static RgbImage {
    static T: std::sync::OnceLock<RgbImage> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        image::load_from_memory(include_bytes!("../data/coffee-table.jpg"))
            .expect("coffee-table.jpg")
            .to_rgb8()
    })
}

fn noise(rng: &mut ChaCha8Rng, sigma: f32) -> f32 {
    let s: f32 = (0..4).map(|_| rng.random::<f32>()).sum::<f32>() - 2.0;
    s * sigma * 1.732
}

/// Mirrored tiling of a texture at `scale` (texture pixels per image pixel).
fn tex_at(t: &image::GrayImage, x: f32, y: f32, scale: f32, off: (f32, f32)) -> f32 {
    let (w, h) = (t.width() as i64, t.height() as i64);
    let fold = |v: i64, n: i64| {
        let m = v.rem_euclid(2 * n);
        if m < n {
            m
        } else {
            2 * n - 1 - m
        }
    };
    let tx = fold((x * scale + off.0) as i64, w);
    let ty = fold((y * scale + off.1) as i64, h);
    f32::from(t.get_pixel(tx as u32, ty as u32).0[0])
}

fn tinted(v: f32, tint: [f32; 3], mean: f32) -> Rgb<u8> {
    Rgb(tint.map(|c| (c * v / mean).clamp(0.0, 255.0) as u8))
}

/// A smooth random field in 0-1 (a few sine waves), for grain and light.
fn wave(x: f32, y: f32, rng_vals: &[f32; 6]) -> f32 {
    let a = (x * rng_vals[0] + y * rng_vals[1] + rng_vals[2]).sin();
    let b = (x * rng_vals[3] - y * rng_vals[4] + rng_vals[5]).sin();
    0.5 + 0.25 * (a + b)
}

/// Paints the surface.
fn surface(s: Surface, w: u32, h: u32, rng: &mut ChaCha8Rng) -> RgbImage {
    let r6 = |rng: &mut ChaCha8Rng, f: f32| -> [f32; 6] {
        [
            rng.random_range(0.3..1.0) * f,
            rng.random_range(0.3..1.0) * f,
            rng.random_range(0.0..6.3),
            rng.random_range(0.3..1.0) * f,
            rng.random_range(0.3..1.0) * f,
            rng.random_range(0.0..6.3),
        ]
    };
    let off = (rng.random_range(0.0..400.0), rng.random_range(0.0..400.0));
    match s {
        Surface::Wood => {
            let tones = [
                [196.0, 152.0, 104.0],
                [120.0, 80.0, 52.0],
                [160.0, 120.0, 84.0],
                [214.0, 184.0, 140.0],
            ];
            let tone = tones[rng.random_range(0..tones.len())];
            let grain = rng.random_range(0.0f32..std::f32::consts::PI);
            let (gs, gc) = grain.sin_cos();
            let plank = rng.random_range(0.18..0.35) * w as f32;
            let warp = r6(rng, 0.01);
            let mut img = RgbImage::new(w, h);
            let mut seeds = [0f32; 16];
            for v in &mut seeds {
                *v = rng.random_range(0.85..1.12);
            }
            for (x, y, p) in img.enumerate_pixels_mut() {
                let (xf, yf) = (x as f32, y as f32);
                let u = xf * gc + yf * gs; // across the planks
                let v = -xf * gs + yf * gc; // along the grain
                let k = (u / plank).floor();
                let plank_gain = seeds[(k as i64).rem_euclid(16) as usize];
                let g = ((u * 0.35 + 6.0 * wave(xf, yf, &warp) + k * 7.0).sin() * 0.5 + 0.5).powi(3);
                let fine = ((v * 0.02 + u * 0.9).sin()) * 0.02;
                let seam = if (u - k * plank) < 2.0 { 0.55 } else { 1.0 };
                let gain = plank_gain * (0.9 + 0.16 * g + fine) * seam;
                *p = Rgb(tone.map(|c: f32| (c * gain).clamp(0.0, 255.0) as u8));
            }
            img
        }
        Surface::Granite => {
            let t = gravel();
            let tint = [[150.0, 146.0, 142.0], [168.0, 140.0, 132.0], [96.0, 96.0, 100.0]][rng.random_range(0..3)];
            let scale = rng.random_range(0.5..0.9);
            RgbImage::from_fn(w, h, |x, y| {
                tinted(tex_at(t, x as f32, y as f32, scale, off), tint, 120.0)
            })
        }
        Surface::Fabric => {
            let t = grass();
            let tint = [[70.0, 90.0, 140.0], [150.0, 60.0, 60.0], [110.0, 120.0, 90.0]][rng.random_range(0..3)];
            let scale = rng.random_range(0.4..0.8);
            RgbImage::from_fn(w, h, |x, y| {
                let weave = if (x / 3 + y / 3) % 2 == 0 { 1.04 } else { 0.96 };
                let v = tex_at(t, x as f32, y as f32, scale, off) * 0.5 + 60.0;
                tinted(v * weave, tint, 120.0)
            })
        }
        Surface::Tiles => {
            let t = brick();
            let tint = [[190.0, 110.0, 80.0], [200.0, 196.0, 186.0]][rng.random_range(0..2)];
            let scale = rng.random_range(0.5..1.0);
            RgbImage::from_fn(w, h, |x, y| {
                tinted(tex_at(t, x as f32, y as f32, scale, off), tint, 130.0)
            })
        }
        Surface::Cafe => {
            let c = cafe();
            let (cw, ch) = (c.width() as f32, c.height() as f32);
            // Cover the frame, from a random corner of the photo.
            let k = (cw / w as f32).min(ch / h as f32) * rng.random_range(0.7..1.0);
            let (ox, oy) = (
                rng.random_range(0.0..(cw - k * w as f32).max(0.0) + 1.0),
                rng.random_range(0.0..(ch - k * h as f32).max(0.0) + 1.0),
            );
            RgbImage::from_fn(w, h, |x, y| {
                let sx = (ox + x as f32 * k).min(cw - 1.0) as u32;
                let sy = (oy + y as f32 * k).min(ch - 1.0) as u32;
                *c.get_pixel(sx, sy)
            })
        }
        Surface::ClutteredDesk => {
            let base = [[150.0f32, 150.0, 146.0], [120.0, 104.0, 90.0], [176.0, 170.0, 160.0]][rng.random_range(0..3)];
            let mut img = RgbImage::from_fn(w, h, |_, _| Rgb(base.map(|c| c as u8)));
            // Sticky notes, loose papers, a notebook, a keyboard's edge.
            let n = rng.random_range(5..9);
            for _ in 0..n {
                let colour: [u8; 3] = match rng.random_range(0..5) {
                    0 => [245, 226, 110],
                    1 => [240, 240, 236],
                    2 => [60, 60, 66],
                    3 => [120, 170, 210],
                    _ => [210, 120, 110],
                };
                let (cx, cy) = (rng.random_range(0.0..w as f32), rng.random_range(0.0..h as f32));
                let (hw, hh) = (
                    rng.random_range(0.05..0.25) * w as f32,
                    rng.random_range(0.04..0.2) * h as f32,
                );
                let ang = rng.random_range(-0.6f32..0.6);
                fill_rotated_rect(&mut img, (cx, cy), (hw, hh), ang, colour);
            }
            img
        }
        Surface::Light => {
            let tone = [[214.0f32, 208.0, 196.0], [200.0, 204.0, 206.0], [226.0, 220.0, 205.0]][rng.random_range(0..3)];
            RgbImage::from_fn(w, h, |_, _| Rgb(tone.map(|c| c as u8)))
        }
        Surface::WhiteOnWhite => {
            let v = rng.random_range(238.0f32..250.0);
            RgbImage::from_fn(w, h, |_, _| Rgb([v as u8, v as u8, (v - 2.0) as u8]))
        }
        Surface::Dark => {
            let t = gravel();
            let tone = rng.random_range(30.0f32..55.0);
            RgbImage::from_fn(w, h, |x, y| {
                let v = tone + (tex_at(t, x as f32, y as f32, 0.3, off) - 120.0) * 0.06;
                Rgb([v as u8, v as u8, (v + 4.0) as u8])
            })
        }
    }
}

fn fill_rotated_rect(img: &mut RgbImage, c: (f32, f32), half: (f32, f32), ang: f32, colour: [u8; 3]) {
    let (s, co) = ang.sin_cos();
    let r = (half.0 * half.0 + half.1 * half.1).sqrt();
    let (w, h) = img.dimensions();
    let x0 = (c.0 - r).max(0.0) as u32;
    let y0 = (c.1 - r).max(0.0) as u32;
    let x1 = ((c.0 + r) as u32).min(w);
    let y1 = ((c.1 + r) as u32).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = (x as f32 - c.0, y as f32 - c.1);
            let (u, v) = (dx * co + dy * s, -dx * s + dy * co);
            if u.abs() <= half.0 && v.abs() <= half.1 {
                img.put_pixel(x, y, Rgb(colour));
            }
        }
    }
}

/// Corners of an object `ow` × `oh` (any unit) turned by `alpha` and tilted
/// by `phi` (radians) towards a camera of focal length `f` pixels, scaled
/// so that its width is about `target_w` pixels, centred at `centre`.
fn project(ow: f64, oh: f64, alpha: f64, phi: f64, f: f64, target_w: f64, centre: (f64, f64)) -> [(f64, f64); 4] {
    let d = f * ow / target_w;
    let (sa, ca) = alpha.sin_cos();
    let (sp, cp) = phi.sin_cos();
    let pts = [
        (-ow / 2.0, -oh / 2.0),
        (ow / 2.0, -oh / 2.0),
        (ow / 2.0, oh / 2.0),
        (-ow / 2.0, oh / 2.0),
    ]
    .map(|(x, y)| {
        let (xr, yr) = (x * ca - y * sa, x * sa + y * ca);
        let (y3, z3) = (yr * cp, d + yr * sp);
        (f * xr / z3, f * y3 / z3)
    });
    // Centre the projected quad's centroid on `centre`.
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / 4.0;
    pts.map(|(x, y)| (x - mx + centre.0, y - my + centre.1))
}

fn quad_area(q: &[(f64, f64); 4]) -> f64 {
    (0..4)
        .map(|i| q[i].0 * q[(i + 1) % 4].1 - q[(i + 1) % 4].0 * q[i].1)
        .sum::<f64>()
        .abs()
        / 2.0
}

/// Margin of the quad inside the frame (negative: a corner outside).
fn margin(q: &[(f64, f64); 4], w: f64, h: f64) -> f64 {
    q.iter()
        .map(|&(x, y)| x.min(y).min(w - x).min(h - y))
        .fold(f64::INFINITY, f64::min)
}

/// The surface alone, as the camera sees it (nothing on it).
pub fn surface_only(s: Surface, width: u32, height: u32, seed: u64) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut img = image::imageops::blur(&surface(s, width, height, &mut rng), 0.6);
    for p in img.pixels_mut() {
        let n = noise(&mut rng, 2.0);
        p.0 = p.0.map(|c| (f32::from(c) + n).clamp(0.0, 255.0) as u8);
    }
    img
}

/// Renders `s`.
pub fn render(s: &Scene) -> Shot {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed ^ 0x5CE7E);
    // A landscape shot renders the upright page in a portrait frame and
    // turns the stored image afterwards.
    let landscape = matches!(s.framing, Framing::Landscape { .. });
    let (w, h) = (s.width, s.height);
    let (wf, hf) = (f64::from(w), f64::from(h));
    let is_card = matches!(s.object, Object::Card { .. } | Object::TextCard { .. });
    let flat = match &s.object {
        Object::Card { back } => flat_card(*back, s.seed),
        Object::TextCard { back, text, cover } => text_card(*back, text, *cover, s.seed),
        Object::Page(form) => form_page(form, s.seed),
    };
    let (fw, fh) = (f64::from(flat.width()), f64::from(flat.height()));
    let mut img = surface(s.surface, w, h, &mut rng);

    // Geometry: try poses until the framing holds.
    let f = wf.max(hf) * rng.random_range(0.6..1.0);
    let mut corners = [(0.0, 0.0); 4];
    for attempt in 0..200 {
        let relax = 1.0 - f64::from(attempt) / 250.0;
        let alpha = rng.random_range(-30.0f64..30.0).to_radians() * relax;
        let phi = rng.random_range(0.0f64..32.0).to_radians() * relax * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let (target_w, cx, cy) = match (s.framing, is_card) {
            (Framing::Small, _) => (wf * rng.random_range(0.35..0.5), 0.5 * wf, 0.5 * hf),
            (Framing::Filling, _) => (hf * 0.9 * fw / fh * rng.random_range(0.97..1.03), 0.5 * wf, 0.5 * hf),
            (_, true) => (wf * rng.random_range(0.66..0.86), 0.5 * wf, 0.5 * hf),
            (_, false) => (hf * rng.random_range(0.6..0.8) * fw / fh, 0.5 * wf, 0.5 * hf),
        };
        let jitter = (rng.random_range(-0.05..0.05) * wf, rng.random_range(-0.05..0.05) * hf);
        let mut q = project(fw, fh, alpha, phi, f, target_w, (cx + jitter.0, cy + jitter.1));
        // The far edge at most 25 % shorter than the near one.
        let len = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let (top, bottom) = (len(q[0], q[1]), len(q[3], q[2]));
        if top.min(bottom) / top.max(bottom) < 0.75 {
            continue;
        }
        let area = quad_area(&q) / (wf * hf);
        match s.framing {
            Framing::CornerCut => {
                // Push the quad towards one corner until that corner is
                // 3-10 % of the object's width outside.
                let k = rng.random_range(0..4);
                let out = rng.random_range(0.03..0.10) * target_w;
                let (px, py) = q[k];
                let dx = if px < wf / 2.0 { -(px + out) } else { wf + out - px };
                let dy = if py < hf / 2.0 {
                    -(py + out * 0.6)
                } else {
                    hf + out * 0.6 - py
                };
                // Move along whichever axis needs less, so one corner leaves.
                let (mx, my) = if dx.abs() < dy.abs() { (dx, 0.0) } else { (0.0, dy) };
                q = q.map(|(x, y)| (x + mx, y + my));
                let outside = q
                    .iter()
                    .filter(|&&(x, y)| x < 0.0 || y < 0.0 || x > wf || y > hf)
                    .count();
                if outside == 0 {
                    continue;
                }
            }
            Framing::Small => {
                if area > 0.33 || margin(&q, wf, hf) < 0.02 * wf.min(hf) {
                    continue;
                }
            }
            Framing::Filling => {
                if margin(&q, wf, hf) < 0.01 * wf.min(hf) {
                    continue;
                }
            }
            _ => {
                if margin(&q, wf, hf) < 0.025 * wf.min(hf) || (is_card && area < 0.44) {
                    continue;
                }
            }
        }
        corners = q;
        break;
    }
    if corners == [(0.0, 0.0); 4] {
        // No pose found (an impossible request): a plain centred one.
        corners = project(fw, fh, 0.0, 0.0, f, wf * 0.7, (wf / 2.0, hf / 2.0));
    }

    // Clutter under the object: a second sheet.
    let centroid = (
        corners.iter().map(|p| p.0).sum::<f64>() / 4.0,
        corners.iter().map(|p| p.1).sum::<f64>() / 4.0,
    );
    let side_pick = rng.random_range(0..4);
    let edge_point = |t: f64| {
        let (a, b) = (corners[side_pick], corners[(side_pick + 1) % 4]);
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    let obj_w = ((corners[1].0 - corners[0].0).powi(2) + (corners[1].1 - corners[0].1).powi(2)).sqrt();
    // The picked side's outward unit normal.
    let normal = {
        let (a, b) = (corners[side_pick], corners[(side_pick + 1) % 4]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let l = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (nx, ny) = (dy / l, -dx / l);
        let m = ((a.0 + b.0) / 2.0 - centroid.0, (a.1 + b.1) / 2.0 - centroid.1);
        if nx * m.0 + ny * m.1 < 0.0 {
            (-nx, -ny)
        } else {
            (nx, ny)
        }
    };
    if s.clutter == Clutter::SecondSheet {
        let p = edge_point(rng.random_range(0.3..0.7));
        let out = (p.0 - centroid.0, p.1 - centroid.1);
        let c = ((p.0 + out.0 * 0.4) as f32, (p.1 + out.1 * 0.4) as f32);
        let half = ((obj_w * 0.45) as f32, (obj_w * 0.6) as f32);
        fill_rotated_rect(&mut img, c, half, rng.random_range(-0.5..0.5), [244, 244, 240]);
    }

    // Shadow and object with anti-aliased edges, rounded corners for cards.
    let radius = if is_card { 0.037 * fw } else { 0.0 };
    let to_flat = Projection::from_control_points(
        corners.map(|(x, y)| (x as f32, y as f32)),
        [(0.0, 0.0), (fw as f32, 0.0), (fw as f32, fh as f32), (0.0, fh as f32)],
    )
    .expect("projection");
    let px_per_flat = obj_w / fw;
    let curl = f64::from(s.curl) * fw;
    let coverage = |x: f64, y: f64| -> Option<(f64, f64, f64)> {
        let (u, v) = to_flat * (x as f32, y as f32);
        let (u, mut v) = (f64::from(u), f64::from(v));
        // Paper curl: the page's middle lifts, its edges bow.
        if curl > 0.0 {
            v -= curl * (std::f64::consts::PI * u / fw).sin() * (1.0 - 2.0 * v / fh);
        }
        // Distance inside the (rounded) rectangle, in flat pixels.
        let (cu, cv) = (u.clamp(radius, fw - radius), v.clamp(radius, fh - radius));
        let d = if (u - cu).abs() > 0.0 && (v - cv).abs() > 0.0 {
            radius - ((u - cu).powi(2) + (v - cv).powi(2)).sqrt()
        } else {
            u.min(fw - u).min(v).min(fh - v)
        };
        let a = (0.5 + d * px_per_flat).clamp(0.0, 1.0);
        (a > 0.0).then_some((a, u, v))
    };
    // The object's bounding box in pixels, clipped to the frame.
    let lo = |v: [f64; 4]| v.iter().copied().fold(f64::INFINITY, f64::min).max(0.0) as u32;
    let hi =
        |v: [f64; 4], n: u32| (v.iter().copied().fold(f64::NEG_INFINITY, f64::max).ceil().max(0.0) as u32 + 1).min(n);
    let (xs, ys) = (corners.map(|p| p.0), corners.map(|p| p.1));
    let (bx0, by0, bx1, by1) = (lo(xs), lo(ys), hi(xs, w), hi(ys, h));
    // The soft shadow: the object's footprint shifted down-right and blurred.
    let mut mask = image::GrayImage::new(w, h);
    let shift = (0.006 * wf, 0.009 * wf);
    for y in by0..(by1 + shift.1 as u32 + 1).min(h) {
        for x in bx0..(bx1 + shift.0 as u32 + 1).min(w) {
            if let Some((a, _, _)) = coverage(f64::from(x) - shift.0, f64::from(y) - shift.1) {
                mask.put_pixel(x, y, image::Luma([(a * 255.0) as u8]));
            }
        }
    }
    let mask = image::imageops::blur(&mask, (0.008 * wf) as f32);
    let depth = if s.surface == Surface::WhiteOnWhite { 0.16 } else { 0.3 };
    for (x, y, p) in img.enumerate_pixels_mut() {
        let m = f64::from(mask.get_pixel(x, y).0[0]) / 255.0;
        if m > 0.0 {
            p.0 = p.0.map(|c| (f64::from(c) * (1.0 - depth * m)) as u8);
        }
    }
    for y in by0..by1 {
        for x in bx0..bx1 {
            if let Some((a, u, v)) = coverage(f64::from(x) + 0.5, f64::from(y) + 0.5) {
                let src = sample(&flat, u, v);
                let dst = img.get_pixel_mut(x, y);
                for (d, sv) in dst.0.iter_mut().zip(src) {
                    *d = (a * sv + (1.0 - a) * f64::from(*d)).round() as u8;
                }
            }
        }
    }

    // Clutter over the object's edge.
    let mut clutter_depth = 0.0;
    match s.clutter {
        Clutter::Cup => {
            let p = edge_point(rng.random_range(0.25..0.75));
            let r = obj_w * if is_card { 0.35 } else { 0.22 };
            // The saucer touching the edge (a card) or its rim over the
            // margin (a page).
            let over = if is_card {
                rng.random_range(-0.02..0.02) * obj_w
            } else {
                0.2 * r
            };
            let c = (p.0 + normal.0 * (r - over), p.1 + normal.1 * (r - over));
            clutter_depth = over.max(0.0) / obj_w;
            disc(&mut img, c, r * 1.04, [120, 120, 118], 0.5);
            disc(&mut img, c, r, [236, 236, 232], 1.0);
            disc(&mut img, c, r * 0.62, [214, 214, 210], 1.0);
            disc(&mut img, c, r * 0.55, [250, 250, 248], 1.0);
            disc(&mut img, c, r * 0.45, [70, 42, 28], 1.0);
        }
        Clutter::Pen => {
            let p = edge_point(rng.random_range(0.2..0.8));
            let ang = rng.random_range(0.0f64..std::f64::consts::PI);
            let len = obj_w * if is_card { 0.9 } else { 0.5 };
            let (dx, dy) = (ang.cos() * len / 2.0, ang.sin() * len / 2.0);
            let colour = [[20, 30, 110], [20, 20, 24], [180, 30, 30]][rng.random_range(0..3)];
            let radius = 0.008 * wf.max(hf);
            // The deepest point of the pen's axis inside the object, plus
            // its radius.
            let deepest = (0..=64)
                .map(|k| {
                    let t = f64::from(k) / 64.0 * 2.0 - 1.0;
                    inward_depth(&corners, (p.0 + t * dx, p.1 + t * dy))
                })
                .fold(f64::NEG_INFINITY, f64::max);
            clutter_depth = ((deepest + radius) / obj_w).max(0.0);
            capsule(&mut img, (p.0 - dx, p.1 - dy), (p.0 + dx, p.1 + dy), radius, colour);
        }
        Clutter::Phone => {
            // A phone is larger than a card: beside a card it lies along the
            // edge, touching it; on a page it lies over the margin.
            let p = edge_point(rng.random_range(0.2..0.8));
            let half = if is_card {
                ((obj_w * 0.42) as f32, (obj_w * 0.85) as f32)
            } else {
                ((obj_w * 0.12) as f32, (obj_w * 0.25) as f32)
            };
            let tilt = if is_card {
                rng.random_range(-0.08f32..0.08)
            } else {
                rng.random_range(-0.26f32..0.26)
            };
            // Its u axis along the side's normal, turned by the tilt.
            let ang = (normal.1.atan2(normal.0)) as f32 + tilt;
            let reach = half.0 * tilt.cos().abs() + half.1 * tilt.sin().abs();
            let over = if is_card {
                rng.random_range(-0.01f32..0.01)
            } else {
                0.03
            } * obj_w as f32;
            let c = (
                p.0 as f32 + normal.0 as f32 * (reach - over),
                p.1 as f32 + normal.1 as f32 * (reach - over),
            );
            clutter_depth = f64::from(over.max(0.0)) / obj_w;
            fill_rotated_rect(&mut img, c, half, ang, [22, 22, 26]);
        }
        Clutter::None | Clutter::SecondSheet => {}
    }

    // Light.
    let (wb, gain, sigma) = match s.light {
        Light::Warm => ([1.06, 1.0, 0.80], 1.0, 2.0),
        Light::Cool => ([0.86, 0.97, 1.08], 1.0, 2.0),
        Light::Dim => ([1.0, 1.0, 1.0], rng.random_range(0.5..0.62), 6.0),
        _ => ([1.0, 1.0, 1.0], 1.0, 2.0),
    };
    let ramp_dir = rng.random_range(0.0f64..std::f64::consts::TAU);
    let shadow_line = (rng.random_range(0.3..0.7), rng.random_range(-0.6f64..0.6));
    let spot = (
        centroid.0 + rng.random_range(-0.2..0.2) * obj_w,
        centroid.1 + rng.random_range(-0.2..0.2) * obj_w,
    );
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (xn, yn) = (f64::from(x) / wf - 0.5, f64::from(y) / hf - 0.5);
        let light = match s.light {
            Light::Ramp => 0.95 + 0.35 * (xn * ramp_dir.cos() + yn * ramp_dir.sin()),
            Light::Vignette => 1.0 - 0.8 * (xn * xn + yn * yn),
            Light::PhoneShadow => {
                // A soft-edged band across part of the frame.
                let d = yn + 0.5 - shadow_line.0 - shadow_line.1 * xn;
                1.0 - 0.35 * (1.0 / (1.0 + (-d * 60.0).exp()))
            }
            _ => 1.0,
        };
        let add = if s.light == Light::GlareSpot {
            let d2 = (f64::from(x) - spot.0).powi(2) + (f64::from(y) - spot.1).powi(2);
            70.0 * (-d2 / (2.0 * (0.05 * obj_w).powi(2))).exp()
        } else {
            0.0
        };
        for (k, c) in p.0.iter_mut().enumerate() {
            *c = (f64::from(*c) * light * gain * wb[k] + add).clamp(0.0, 255.0) as u8;
        }
    }
    if s.hard_glare > 0.0 {
        let obj_h = obj_w * fh / fw;
        let r = f64::from(s.hard_glare) * 2.0 * obj_h / 2.0;
        let (gx, gy) = (centroid.0 + 0.1 * obj_w, centroid.1 - 0.05 * obj_h);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let d = ((f64::from(x) - gx).powi(2) + (f64::from(y) - gy).powi(2)).sqrt();
            if d < r {
                *p = Rgb([255, 255, 255]);
            } else if d < r * 1.3 {
                let t = (d - r) / (0.3 * r);
                p.0 = p.0.map(|c| (255.0 * (1.0 - t) + f64::from(c) * t) as u8);
            }
        }
    }

    // Camera: a touch of softness, sensor noise, and the shot's blur.
    let mut img = image::imageops::blur(&img, 0.6 + s.blur);
    for p in img.pixels_mut() {
        let n = noise(&mut rng, sigma);
        p.0 = p.0.map(|c| (f32::from(c) + n).clamp(0.0, 255.0) as u8);
    }

    let area_fraction = {
        // Clip by sampling: good enough for a truth figure.
        let mut inside = 0u32;
        let mut n = 0u32;
        for y in (0..h).step_by(8) {
            for x in (0..w).step_by(8) {
                n += 1;
                inside += u32::from(point_in(&corners, f64::from(x) + 0.5, f64::from(y) + 0.5));
            }
        }
        f64::from(inside) / f64::from(n.max(1))
    };
    let whole = corners.iter().all(|&(x, y)| x >= 0.0 && y >= 0.0 && x <= wf && y <= hf);
    let (image, orientation) = match s.framing {
        Framing::Landscape { exif: true } => (image::imageops::rotate270(&img), Some(6)),
        Framing::Landscape { exif: false } => {
            // Stored turned and no tag: the corners turn with the image
            // (rotate270: (x, y) -> (y, W - x)).
            corners = corners.map(|(x, y)| (y, wf - x));
            (image::imageops::rotate270(&img), None)
        }
        _ => (img, None),
    };
    let _ = landscape;
    Shot {
        image,
        orientation,
        corners,
        whole,
        area_fraction,
        clutter_depth,
    }
}

/// Distance of `p` inside the convex quadrilateral `q` from its nearest
/// side (negative outside).
fn inward_depth(q: &[(f64, f64); 4], p: (f64, f64)) -> f64 {
    let c = (
        q.iter().map(|v| v.0).sum::<f64>() / 4.0,
        q.iter().map(|v| v.1).sum::<f64>() / 4.0,
    );
    (0..4)
        .map(|i| {
            let (a, b) = (q[i], q[(i + 1) % 4]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let l = dx.hypot(dy).max(1e-9);
            let side = |v: (f64, f64)| (dx * (v.1 - a.1) - dy * (v.0 - a.0)) / l;
            // Signed so that the centre is positive.
            side(p) * side(c).signum()
        })
        .fold(f64::INFINITY, f64::min)
}

fn point_in(q: &[(f64, f64); 4], x: f64, y: f64) -> bool {
    let mut sign = 0.0;
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        let cr = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
        if sign == 0.0 {
            sign = cr.signum();
        } else if cr.signum() != sign && cr != 0.0 {
            return false;
        }
    }
    true
}

fn sample(img: &RgbImage, x: f64, y: f64) -> [f64; 3] {
    let (w, h) = img.dimensions();
    let x = x.clamp(0.0, f64::from(w) - 1.001);
    let y = y.clamp(0.0, f64::from(h) - 1.001);
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (fx, fy) = (x - f64::from(x0), y - f64::from(y0));
    let p = |xx: u32, yy: u32| img.get_pixel(xx.min(w - 1), yy.min(h - 1)).0.map(f64::from);
    let (a, b, c, d) = (p(x0, y0), p(x0 + 1, y0), p(x0, y0 + 1), p(x0 + 1, y0 + 1));
    [0, 1, 2].map(|i| (a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy)
}

/// A filled disc with an anti-aliased edge, blended at `opacity`.
fn disc(img: &mut RgbImage, c: (f64, f64), r: f64, colour: [u8; 3], opacity: f64) {
    let (w, h) = img.dimensions();
    let x0 = (c.0 - r - 1.0).max(0.0) as u32;
    let y0 = (c.1 - r - 1.0).max(0.0) as u32;
    let x1 = ((c.0 + r + 2.0).max(0.0) as u32).min(w);
    let y1 = ((c.1 + r + 2.0).max(0.0) as u32).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let d = ((f64::from(x) + 0.5 - c.0).powi(2) + (f64::from(y) + 0.5 - c.1).powi(2)).sqrt();
            let a = (r - d + 0.5).clamp(0.0, 1.0) * opacity;
            if a > 0.0 {
                let p = img.get_pixel_mut(x, y);
                for (v, cv) in p.0.iter_mut().zip(colour) {
                    *v = (a * f64::from(cv) + (1.0 - a) * f64::from(*v)) as u8;
                }
            }
        }
    }
}

/// A pen: a capsule from `a` to `b` of radius `r`, with a highlight.
fn capsule(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), r: f64, colour: [u8; 3]) {
    let (w, h) = img.dimensions();
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l2 = (dx * dx + dy * dy).max(1e-9);
    let x0 = (a.0.min(b.0) - r - 1.0).max(0.0) as u32;
    let y0 = (a.1.min(b.1) - r - 1.0).max(0.0) as u32;
    let x1 = ((a.0.max(b.0) + r + 2.0).max(0.0) as u32).min(w);
    let y1 = ((a.1.max(b.1) + r + 2.0).max(0.0) as u32).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (f64::from(x) + 0.5 - a.0, f64::from(y) + 0.5 - a.1);
            let t = ((px * dx + py * dy) / l2).clamp(0.0, 1.0);
            let (qx, qy) = (px - t * dx, py - t * dy);
            let d = (qx * qx + qy * qy).sqrt();
            let al = (r - d + 0.5).clamp(0.0, 1.0);
            if al > 0.0 {
                let lit = if d < r * 0.3 { 1.8 } else { 1.0 };
                let p = img.get_pixel_mut(x, y);
                for (v, cv) in p.0.iter_mut().zip(colour) {
                    let c = (f64::from(cv) * lit + if lit > 1.0 { 40.0 } else { 0.0 }).min(255.0);
                    *v = (al * c + (1.0 - al) * f64::from(*v)) as u8;
                }
            }
        }
    }
}

/// Draws a quadrilateral's outline 3 px wide (the probes' dumps: the truth
/// and what was found); corners may lie outside the image.
pub fn outline(img: &mut RgbImage, q: &[(f64, f64); 4], colour: [u8; 3]) {
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        for d in [-1.0, 0.0, 1.0] {
            imageproc::drawing::draw_line_segment_mut(
                img,
                ((a.0 + d) as f32, a.1 as f32),
                ((b.0 + d) as f32, b.1 as f32),
                Rgb(colour),
            );
        }
    }
}

//! Deterministic synthetic test images: 1-inch portraits (a drawn head and
//! shoulders with skin, hair and cloth texture), mock ID cards with no text
//! and no number, and photographed forms (generated print and writing,
//! see `examples/make_form_data.rs`), plus JPEG helpers that
//! hit an exact byte size and write EXIF. Shared by tests, benches and
//! `examples/make_fixtures.rs` through `#[path]`; every image is a function
//! of its parameters and seed.

#![allow(dead_code)]

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const WHITE: [u8; 3] = [255, 255, 255];
pub const ID_BLUE: [u8; 3] = [67, 142, 219];
pub const ID_RED: [u8; 3] = [219, 2, 2];
pub const LIGHT_GREY: [u8; 3] = [205, 205, 205];
pub const PALE_BLUE: [u8; 3] = [215, 232, 250];
pub const WARM_WHITE: [u8; 3] = [250, 242, 228];
pub const SHADED_WHITE: [u8; 3] = [232, 232, 232];

/// What a generated portrait looks like.
#[derive(Debug, Clone)]
pub struct Portrait {
    pub width: u32,
    pub height: u32,
    pub background: [u8; 3],
    /// Gaussian blur sigma applied to the whole photo, in pixels at this size.
    pub blur: f32,
    /// Multiplies every channel (0.3 is badly under-exposed).
    pub gain: f32,
    pub grayscale: bool,
    /// Paste a real face (scikit-image's public-domain astronaut) over the
    /// drawn one; without it the drawn face is not a face to a detector.
    pub real_face: bool,
    /// Size of the pasted head relative to a proper 1-inch photo, and its
    /// shift from the proper place as fractions of the width and height.
    pub head_scale: f32,
    pub head_dx: f32,
    pub head_dy: f32,
    pub seed: u64,
}

impl Default for Portrait {
    fn default() -> Self {
        Portrait {
            width: 295,
            height: 413,
            background: WHITE,
            blur: 0.0,
            gain: 1.0,
            grayscale: false,
            real_face: true,
            head_scale: 1.0,
            head_dx: 0.0,
            head_dy: 0.0,
            seed: 1,
        }
    }
}

fn noise(rng: &mut ChaCha8Rng, sigma: f32) -> f32 {
    // Irwin-Hall: the sum of four uniforms is close enough to a normal.
    let s: f32 = (0..4).map(|_| rng.random::<f32>()).sum::<f32>() - 2.0;
    s * sigma * 1.732
}

fn inside(x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> bool {
    let dx = (x - cx) / rx;
    let dy = (y - cy) / ry;
    dx * dx + dy * dy <= 1.0
}

/// Draws a portrait: background, shoulders, neck, hair, face, eyes, brows
/// and mouth, each with its own texture, then blur, gain and grayscale.
pub fn portrait(p: &Portrait) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let (w, h) = (p.width as f32, p.height as f32);
    let mut img = RgbImage::new(p.width, p.height);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (x, y) = (x as f32 + 0.5, y as f32 + 0.5);
        let drawn_head = !p.real_face;
        let (base, sigma): ([f32; 3], f32) = if !drawn_head {
            if x > 0.40 * w && x < 0.60 * w && y > 0.55 * h && y < 0.75 * h {
                ([214.0, 162.0, 134.0], 6.0) // neck
            } else if inside(x, y, 0.5 * w, 1.02 * h, 0.47 * w, 0.30 * h) {
                ([32.0, 42.0, 84.0], 8.0) // jacket
            } else {
                (p.background.map(f32::from), 1.2)
            }
        } else if inside(x, y, 0.5 * w, 0.40 * h, 0.027 * w, 0.012 * h)
            || inside(x, y, 0.39 * w, 0.365 * h, 0.05 * w, 0.018 * h)
            || inside(x, y, 0.61 * w, 0.365 * h, 0.05 * w, 0.018 * h)
        {
            ([35.0, 28.0, 26.0], 3.0) // eyes
        } else if inside(x, y, 0.5 * w, 0.50 * h, 0.09 * w, 0.018 * h) {
            ([178.0, 84.0, 82.0], 4.0) // mouth
        } else if inside(x, y, 0.39 * w, 0.33 * h, 0.07 * w, 0.010 * h)
            || inside(x, y, 0.61 * w, 0.33 * h, 0.07 * w, 0.010 * h)
        {
            ([45.0, 35.0, 30.0], 3.0) // brows
        } else if inside(x, y, 0.5 * w, 0.40 * h, 0.27 * w, 0.215 * h) {
            ([226.0, 176.0, 146.0], 6.0) // face
        } else if inside(x, y, 0.5 * w, 0.31 * h, 0.31 * w, 0.215 * h) {
            ([38.0, 30.0, 28.0], 9.0) // hair
        } else if x > 0.40 * w && x < 0.60 * w && y > 0.55 * h && y < 0.75 * h {
            ([214.0, 162.0, 134.0], 6.0) // neck
        } else if inside(x, y, 0.5 * w, 1.02 * h, 0.47 * w, 0.30 * h) {
            ([32.0, 42.0, 84.0], 8.0) // jacket
        } else {
            (p.background.map(f32::from), 1.2)
        };
        let n = noise(&mut rng, sigma);
        *px = Rgb(base.map(|c| (c + n).clamp(0.0, 255.0) as u8));
    }
    if p.real_face {
        // Sized by the height, with a face's own proportions (0.31 of the
        // width by 0.26 of the height at 295 × 413), so that other frame
        // shapes do not stretch it.
        let k = p.head_scale;
        let ry = 0.26 * h * k;
        paste_head(
            &mut img,
            (0.5 + p.head_dx) * w,
            (0.36 + p.head_dy) * h,
            ry * (0.31 * 295.0) / (0.26 * 413.0),
            ry,
        );
    }
    if p.blur > 0.0 {
        img = image::imageops::blur(&img, p.blur);
    }
    for px in img.pixels_mut() {
        let mut v = px.0.map(|c| (f32::from(c) * p.gain).clamp(0.0, 255.0));
        if p.grayscale {
            let y = 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2];
            v = [y; 3];
        }
        px.0 = v.map(|c| c as u8);
    }
    img
}

/// The astronaut's head (hair to chin), cropped from scikit-image's
/// `astronaut.png` (Eileen Collins, NASA, public domain).
const ASTRONAUT_HEAD: &[u8] = include_bytes!("../data/astronaut-head.png");

/// The head crop, decoded once.
pub fn astronaut_head() -> &'static RgbImage {
    static HEAD: std::sync::OnceLock<RgbImage> = std::sync::OnceLock::new();
    HEAD.get_or_init(|| {
        image::load_from_memory(ASTRONAUT_HEAD)
            .expect("astronaut-head.png")
            .to_rgb8()
    })
}

/// Pastes the real head as an ellipse centred at (cx, cy) with radii
/// (rx, ry), bilinear-sampled, its edge feathered into what is below.
pub fn paste_head(img: &mut RgbImage, cx: f32, cy: f32, rx: f32, ry: f32) {
    let head = astronaut_head();
    // The head in the crop: centre and radii of an ellipse from the top of
    // the hair to the chin.
    let (sx, sy, srx, sry) = (73.0f32, 78.0f32, 66.0f32, 84.0f32);
    let (iw, ih) = img.dimensions();
    let x0 = (cx - rx).floor().max(0.0) as u32;
    let y0 = (cy - ry).floor().max(0.0) as u32;
    let x1 = ((cx + rx).ceil() as u32).min(iw);
    let y1 = ((cy + ry).ceil() as u32).min(ih);
    for y in y0..y1 {
        for x in x0..x1 {
            let dx = (x as f32 + 0.5 - cx) / rx;
            let dy = (y as f32 + 0.5 - cy) / ry;
            let d = (dx * dx + dy * dy).sqrt();
            let alpha = ((1.0 - d) / 0.08).clamp(0.0, 1.0);
            if alpha <= 0.0 {
                continue;
            }
            let src = sample(head, sx + dx * srx, sy + dy * sry);
            let dst = img.get_pixel_mut(x, y);
            for (d, s) in dst.0.iter_mut().zip(src) {
                *d = (alpha * s + (1.0 - alpha) * f32::from(*d)).round() as u8;
            }
        }
    }
}

fn sample(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = img.dimensions();
    let x = x.clamp(0.0, w as f32 - 1.001);
    let y = y.clamp(0.0, h as f32 - 1.001);
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |xx: u32, yy: u32| img.get_pixel(xx.min(w - 1), yy.min(h - 1)).0.map(f32::from);
    let (a, b, c, d) = (p(x0, y0), p(x0 + 1, y0), p(x0, y0 + 1), p(x0 + 1, y0 + 1));
    [0, 1, 2].map(|i| (a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy)
}

/// A mock ID card photographed on white paper: a pale card with grey bars
/// for text, a portrait box on the right, no real text and no number.
pub fn id_card_photo(width: u32, height: u32, seed: u64) -> RgbImage {
    id_card(width, height, false, seed)
}

/// The emblem side of the mock card: a red disc top-left (where the national
/// emblem is) and two grey bars bottom-right for the authority and validity.
pub fn id_card_back_photo(width: u32, height: u32, seed: u64) -> RgbImage {
    id_card(width, height, true, seed)
}

fn id_card(width: u32, height: u32, back: bool, seed: u64) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (w, h) = (width as f32, height as f32);
    let (cx0, cy0, cx1, cy1) = (0.08 * w, 0.12 * h, 0.92 * w, 0.12 * h + 0.84 * w / 1.586);
    let mut img = RgbImage::new(width, height);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (x, y) = (x as f32, y as f32);
        let on_card = x >= cx0 && x <= cx1 && y >= cy0 && y <= cy1;
        let (u, v) = ((x - cx0) / (cx1 - cx0), (y - cy0) / (cy1 - cy0));
        let bar = (v * 10.0) as u32 % 2 == 1 && !((u * 40.0) as u32).is_multiple_of(3);
        let base: [f32; 3] = if !on_card {
            [246.0, 246.0, 244.0]
        } else if back && ((u - 0.16) / 0.10).powi(2) + ((v - 0.28) / 0.16).powi(2) <= 1.0 {
            [205.0, 30.0, 35.0] // emblem
        } else if back && (0.35..0.90).contains(&u) && (0.65..0.90).contains(&v) && bar {
            [70.0, 70.0, 78.0] // authority and validity lines
        } else if !back && (0.63..0.93).contains(&u) && (0.16..0.76).contains(&v) {
            [200.0, 185.0, 175.0] // portrait box
        } else if !back && (0.08..0.55).contains(&u) && (0.15..0.85).contains(&v) && bar {
            [70.0, 70.0, 78.0] // text-like bars
        } else {
            [228.0, 234.0, 238.0]
        };
        let n = noise(&mut rng, 3.0);
        *px = Rgb(base.map(|c| (c + n).clamp(0.0, 255.0) as u8));
    }
    image::imageops::blur(&img, 0.7)
}

/// A photographed form as applicants send it: the generated 申报表 (or,
/// for every third seed, the 承诺书) filled in blue or black pen, on a desk,
/// turned by a few degrees, all set by `seed`.
pub fn paper_photo(width: u32, height: u32, seed: u64) -> RgbImage {
    let layout = if seed % 3 == 2 {
        Layout::Pledge
    } else {
        Layout::Application
    };
    let pen = if seed.is_multiple_of(2) { BLUE_PEN } else { BLACK_PEN };
    form_photo(width, height, FormPage::filled(layout, pen), seed)
}

/// `form` photographed on a desk, turned by a few degrees set by `seed`.
pub fn form_photo(width: u32, height: u32, form: FormPage, seed: u64) -> RgbImage {
    doc_scene(&DocScene {
        width,
        height,
        angle: (seed % 7) as f32 - 3.0,
        form,
        seed,
        ..Default::default()
    })
}

/// Encodes at a JPEG quality.
pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("in-memory JPEG encoding");
    out
}

/// Inserts COM segments after SOI so the file is exactly `size` bytes, a
/// valid JPEG with nothing after its end marker. Panics if it cannot.
pub fn pad_to(mut j: Vec<u8>, size: usize) -> Vec<u8> {
    assert!(
        j.len() + 4 <= size,
        "JPEG of {} bytes cannot be padded to {size}",
        j.len()
    );
    let mut need = size - j.len();
    let mut segments = Vec::new();
    while need > 0 {
        // A segment is 4 bytes of marker and length plus up to 65 533 of data;
        // never leave a remainder under 4.
        let mut take = need.min(65_537);
        if need - take > 0 && need - take < 4 {
            take -= 4;
        }
        let data = take - 4;
        segments.extend_from_slice(&[0xFF, 0xFE]);
        segments.extend_from_slice(&((data + 2) as u16).to_be_bytes());
        segments.extend(std::iter::repeat_n(b' ', data));
        need -= take;
    }
    j.splice(2..2, segments);
    assert_eq!(j.len(), size);
    j
}

/// The best JPEG quality not above `max_quality` whose file fits in `size`
/// with room for padding, padded to exactly `size` bytes.
pub fn jpeg_exact(img: &RgbImage, size: usize) -> Vec<u8> {
    for q in (10..=98).rev().step_by(2) {
        let j = jpeg(img, q);
        if j.len() + 4 <= size {
            return pad_to(j, size);
        }
    }
    panic!("even quality 10 is over {size} bytes")
}

/// A JPEG in the 40-80 KB window: the highest quality whose size is at
/// most `target`, padded up to `target`.
pub fn jpeg_in_window(img: &RgbImage, target: usize) -> Vec<u8> {
    jpeg_exact(img, target)
}

/// An APP1 EXIF segment with Orientation and, optionally, Software.
pub fn exif_segment(orientation: u16, software: Option<&str>) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entries: u16 = if software.is_some() { 2 } else { 1 };
    tiff.extend_from_slice(&entries.to_le_bytes());
    // Orientation: SHORT, count 1, value in the offset field.
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&u32::from(orientation).to_le_bytes());
    let data_offset = 8 + 2 + 12 * u32::from(entries) + 4;
    let mut sw = software.map(|s| s.as_bytes().to_vec()).unwrap_or_default();
    if software.is_some() {
        sw.push(0);
        tiff.extend_from_slice(&0x0131u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&(sw.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&data_offset.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&sw);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

/// An APP1 EXIF segment like some phone apps write: IFD0 with Software and
/// a pointer to the Exif sub-IFD, whose one entry (ExposureTime) is the end
/// of the block: the sub-IFD's 4-byte next-IFD offset is missing, and its
/// value's offset points past the end. A strict reader refuses the block.
pub fn damaged_exif_segment(software: Option<&str>) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entries: u16 = if software.is_some() { 2 } else { 1 };
    let ifd0_end = 8 + 2 + 12 * u32::from(entries) + 4;
    let mut sw = software.map(|s| s.as_bytes().to_vec()).unwrap_or_default();
    sw.push(0);
    let sub_ifd = ifd0_end + if software.is_some() { sw.len() as u32 } else { 0 };
    tiff.extend_from_slice(&entries.to_le_bytes());
    if software.is_some() {
        tiff.extend_from_slice(&0x0131u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&(sw.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&ifd0_end.to_le_bytes());
    }
    // ExifIFDPointer: LONG, count 1.
    tiff.extend_from_slice(&0x8769u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&sub_ifd.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    if software.is_some() {
        tiff.extend_from_slice(&sw);
    }
    // The sub-IFD: one RATIONAL entry whose value lies past the end, and no
    // next-IFD offset.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x829Au16.to_le_bytes());
    tiff.extend_from_slice(&5u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&0xFFF0u32.to_le_bytes());
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

/// An APP1 XMP segment whose packet names `creator_tool` as xmp:CreatorTool.
pub fn xmp_segment(creator_tool: &str) -> Vec<u8> {
    let packet = format!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{creator_tool}"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#
    );
    let ns = b"http://ns.adobe.com/xap/1.0/\0";
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((2 + ns.len() + packet.len()) as u16).to_be_bytes());
    seg.extend_from_slice(ns);
    seg.extend_from_slice(packet.as_bytes());
    seg
}

/// Inserts `segment` right after SOI.
pub fn with_segment(mut j: Vec<u8>, segment: Vec<u8>) -> Vec<u8> {
    j.splice(2..2, segment);
    j
}

/// Inserts an EXIF segment right after SOI.
pub fn with_exif(mut j: Vec<u8>, orientation: u16, software: Option<&str>) -> Vec<u8> {
    let seg = exif_segment(orientation, software);
    j.splice(2..2, seg);
    j
}

/// A mock ID card photographed as a scene: where the card lies, how it is
/// tilted, on what, and what the camera did.
#[derive(Debug, Clone)]
pub struct IdScene {
    pub width: u32,
    pub height: u32,
    pub back: bool,
    /// Card width as a fraction of the photo width.
    pub card_width: f32,
    /// Card centre as fractions of the photo.
    pub cx: f32,
    pub cy: f32,
    /// In-plane rotation, degrees.
    pub angle: f32,
    /// Perspective: the card's far (top) edge is this much narrower.
    pub keystone: f32,
    pub background: [u8; 3],
    pub blur: f32,
    pub gain: f32,
    /// A blown-out highlight over the card, as a fraction of its height.
    pub glare: f32,
    pub seed: u64,
}

impl Default for IdScene {
    fn default() -> Self {
        IdScene {
            width: 1000,
            height: 640,
            back: false,
            card_width: 0.80,
            cx: 0.5,
            cy: 0.5,
            angle: 3.0,
            keystone: 0.04,
            background: [246, 246, 244],
            blur: 0.0,
            gain: 1.0,
            glare: 0.0,
            seed: 7,
        }
    }
}

/// Projects `flat` so that its corners land on `local` (relative to
/// `centre`, turned by `angle` degrees) over a noisy `background` of
/// `width` × `height`.
#[allow(clippy::too_many_arguments)]
fn place_on(
    flat: &RgbImage,
    local: [(f32, f32); 4],
    centre: (f32, f32),
    angle: f32,
    background: [u8; 3],
    width: u32,
    height: u32,
    seed: u64,
    sigma: f32,
) -> RgbImage {
    use imageproc::geometric_transformations::{warp_into, Border, Interpolation, Projection};
    let (fw, fh) = (flat.width() as f32, flat.height() as f32);
    let (sin, cos) = angle.to_radians().sin_cos();
    let dst = local.map(|(x, y)| (centre.0 + x * cos - y * sin, centre.1 + x * sin + y * cos));
    let src = [(0.0, 0.0), (fw, 0.0), (fw, fh), (0.0, fh)];
    let proj = Projection::from_control_points(src, dst).expect("projection");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut img = RgbImage::from_fn(width, height, |_, _| {
        let n = noise(&mut rng, sigma);
        Rgb(background.map(|c| (f32::from(c) + n).clamp(0.0, 255.0) as u8))
    });
    // Warp onto a layer whose untouched pixels keep a sentinel, then composite.
    let mut layer = RgbImage::from_pixel(width, height, Rgb([1, 2, 3]));
    warp_into(
        flat,
        proj,
        Interpolation::Bilinear,
        Border::Constant(Rgb([1, 2, 3])),
        &mut layer,
    );
    for (x, y, p) in layer.enumerate_pixels() {
        if p.0 != [1, 2, 3] {
            img.put_pixel(x, y, *p);
        }
    }
    img
}

/// The flat mock card alone (840 × 529, ID-1 proportions), the side and
/// texture set by `back` and `seed`.
pub fn flat_card(back: bool, seed: u64) -> RgbImage {
    let flat_full = id_card(1000, 700, back, seed);
    // id_card puts the card at x 8-92 %, y 12 % + 0.84 w / 1.586.
    let (x0, y0) = (80u32, 84u32);
    let (cw, ch) = (840u32, (840.0 / 1.586) as u32);
    image::imageops::crop_imm(&flat_full, x0, y0, cw, ch).to_image()
}

/// Renders an [`IdScene`]: the flat card ([`flat_card`]) projected onto
/// the background.
pub fn id_scene(s: &IdScene) -> RgbImage {
    let flat = flat_card(s.back, s.seed);
    let (w, h) = (s.width as f32, s.height as f32);
    let half_w = s.card_width * w / 2.0;
    let half_h = half_w / 1.586;
    let k = s.keystone;
    let local = [
        (-half_w * (1.0 - k), -half_h),
        (half_w * (1.0 - k), -half_h),
        (half_w, half_h),
        (-half_w, half_h),
    ];
    let mut img = place_on(
        &flat,
        local,
        (s.cx * w, s.cy * h),
        s.angle,
        s.background,
        s.width,
        s.height,
        s.seed ^ 0x5EED,
        2.0,
    );
    if s.glare > 0.0 {
        let r = s.glare * 2.0 * half_h;
        let (gx, gy) = (s.cx * w + 0.25 * half_w, s.cy * h - 0.1 * half_h);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let d = ((x as f32 - gx).powi(2) + (y as f32 - gy).powi(2)).sqrt();
            if d < r {
                *p = Rgb([255, 255, 255]);
            } else if d < r * 1.3 {
                let t = (d - r) / (0.3 * r);
                p.0 = p.0.map(|c| (255.0 * (1.0 - t) + f32::from(c) * t) as u8);
            }
        }
    }
    if s.blur > 0.0 {
        img = image::imageops::blur(&img, s.blur);
    }
    if s.gain != 1.0 {
        for p in img.pixels_mut() {
            p.0 = p.0.map(|c| (f32::from(c) * s.gain).clamp(0.0, 255.0) as u8);
        }
    }
    img
}

/// A form photographed on a desk: the page (a [`paper_photo`]) placed,
/// tilted and lit as the test asks; or, with `digital`, a clean render that
/// fills the frame (pure white, black print, no noise).
#[derive(Debug, Clone)]
pub struct DocScene {
    pub width: u32,
    pub height: u32,
    /// Page width as a fraction of the photo width; centre as fractions.
    pub page_width: f32,
    pub cx: f32,
    pub cy: f32,
    pub angle: f32,
    /// Perspective: the page's far (top) edge is this much narrower.
    pub keystone: f32,
    /// Light falling off towards the corners of the photo: the gain there
    /// is 1 - vignette (quadratic in the distance from the centre).
    pub vignette: f32,
    pub desk: [u8; 3],
    pub blur: f32,
    pub gain: f32,
    /// Multiplies the light on the left `shadow_width` of the photo.
    pub shadow: f32,
    pub shadow_width: f32,
    pub digital: bool,
    /// The printed form on the page and what is written on it.
    pub form: FormPage,
    /// A soft highlight (a lamp's reflection): luma added at its centre,
    /// fading as a Gaussian of 1.5 % of the photo's width.
    pub glare: f32,
    pub seed: u64,
}

impl Default for DocScene {
    fn default() -> Self {
        DocScene {
            width: 1200,
            height: 1600,
            page_width: 0.80,
            cx: 0.5,
            cy: 0.5,
            angle: 2.0,
            keystone: 0.0,
            vignette: 0.0,
            desk: [120, 92, 70],
            blur: 0.0,
            gain: 1.0,
            shadow: 1.0,
            shadow_width: 0.45,
            digital: false,
            form: FormPage::filled(Layout::Application, BLUE_PEN),
            glare: 0.0,
            seed: 11,
        }
    }
}

/// A clean digital render of the filled 申报表 at `width` × `height`:
/// pure white paper, pure black print and writing, no light, no noise.
pub fn form_render(width: u32, height: u32) -> RgbImage {
    let layers = form_layers(Layout::Application);
    let (print, writing) = (&layers.print, &layers.font);
    let (pw, ph) = print.dimensions();
    RgbImage::from_fn(width, height, |x, y| {
        let (sx, sy) = (x * pw / width, y * ph / height);
        let v = print.get_pixel(sx, sy).0[0].min(writing.get_pixel(sx, sy).0[0]);
        Rgb([v, v, v])
    })
}

/// Renders a [`DocScene`].
pub fn doc_scene(s: &DocScene) -> RgbImage {
    if s.digital {
        return form_render(s.width, s.height);
    }
    let page = form_page(&s.form, s.seed);
    let (pw, ph) = page.dimensions();
    let (w, h) = (s.width as f32, s.height as f32);
    let half_w = s.page_width * w / 2.0;
    let half_h = half_w * ph as f32 / pw as f32;
    let top = half_w * (1.0 - s.keystone);
    let local = [(-top, -half_h), (top, -half_h), (half_w, half_h), (-half_w, half_h)];
    let mut img = place_on(
        &page,
        local,
        (s.cx * w, s.cy * h),
        s.angle,
        s.desk,
        s.width,
        s.height,
        s.seed ^ 0xD35C,
        4.0,
    );
    if s.blur > 0.0 {
        img = image::imageops::blur(&img, s.blur);
    }
    let edge = s.shadow_width * w;
    let (gx, gy, gs) = (0.6 * w, 0.4 * h, 0.015 * w);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let r2 = ((x as f32 / w - 0.5).powi(2) + (y as f32 / h - 0.5).powi(2)) * 2.0;
        let falloff = 1.0 - s.vignette * r2;
        let light = falloff * if (x as f32) < edge { s.gain * s.shadow } else { s.gain };
        let d2 = (x as f32 - gx).powi(2) + (y as f32 - gy).powi(2);
        let add = if s.glare > 0.0 {
            s.glare * (-d2 / (2.0 * gs * gs)).exp()
        } else {
            0.0
        };
        if light != 1.0 || add > 0.5 {
            p.0 = p.0.map(|c| (f32::from(c) * light + add).clamp(0.0, 255.0) as u8);
        }
    }
    img
}

/// `img` printed with a colour halftone screen: for each channel, dots of
/// ink on a square grid of `pitch` pixels at that channel's screen angle
/// (15°, 75°, 45°, as presses place C, M and Y), each dot's area the ink the
/// pixel needs. The print, not yet photographed.
pub fn halftone_print(img: &RgbImage, pitch: f32) -> RgbImage {
    let angles = [15f32, 75.0, 45.0].map(f32::to_radians);
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y).0;
        let mut out = [255u8; 3];
        for c in 0..3 {
            let ink = 1.0 - f32::from(p[c]) / 255.0;
            let (s, co) = angles[c].sin_cos();
            let (u, v) = (
                (x as f32 * co + y as f32 * s) / pitch,
                (-(x as f32) * s + y as f32 * co) / pitch,
            );
            let (du, dv) = (u - u.round(), v - v.round());
            // A round dot covering `ink` of its cell.
            if (du * du + dv * dv).sqrt() < (ink / std::f32::consts::PI).sqrt() {
                out[c] = 0;
            }
        }
        Rgb(out)
    })
}

/// Which printed form (pages generated by `examples/make_form_data.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Layout {
    /// 申报表: a ruled table of labels and value cells, two fill-in lines.
    Application,
    /// 承诺书: paragraphs and three fill-in lines.
    Pledge,
}

pub const BLUE_PEN: [u8; 3] = [28, 48, 140];
pub const BLACK_PEN: [u8; 3] = [24, 24, 30];

/// How the entries of a form were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hand {
    /// A Kai (brush) font, each character's size and baseline jittered.
    #[default]
    Font,
    /// Typed before printing: the print font, one size, one baseline.
    Typed,
    /// Handwriting drawn from stroke data, every stroke perturbed.
    Strokes,
}

/// A printed form and what is on it.
#[derive(Debug, Clone)]
pub struct FormPage {
    pub layout: Layout,
    /// How the entries were written (the writing layer used).
    pub hand: Hand,
    /// The colour of the applicant's pen; `None` leaves the form blank.
    pub pen: Option<[u8; 3]>,
    /// Dense strokes over an ellipse at (330, 485) of the page: a word in
    /// the 申报表's 工作单位 cell, or paragraph text on the 承诺书, scribbled out.
    pub scribble: bool,
    /// A strip of correction tape under the start of the 申报条件 entry
    /// (written over) or, on the pledge, under the ID number.
    pub tape: bool,
    /// A pen stroke, tilted this many degrees (rising to the right), struck
    /// through the 现职业 entry of the 申报表 or the date of the 承诺书.
    pub strike: Option<f32>,
    /// A solid printed square (a logo) in the header, outside every field.
    pub logo: bool,
}

impl FormPage {
    pub fn filled(layout: Layout, pen: [u8; 3]) -> FormPage {
        FormPage {
            layout,
            hand: Hand::Font,
            pen: Some(pen),
            scribble: false,
            tape: false,
            strike: None,
            logo: false,
        }
    }

    pub fn blank(layout: Layout) -> FormPage {
        FormPage {
            pen: None,
            ..FormPage::filled(layout, BLACK_PEN)
        }
    }
}

/// The print and the three writing layers (font, typed, strokes) of a form.
struct Layers {
    print: image::GrayImage,
    font: image::GrayImage,
    typed: image::GrayImage,
    strokes: image::GrayImage,
}

fn form_layers(layout: Layout) -> &'static Layers {
    static APPLICATION: std::sync::OnceLock<Layers> = std::sync::OnceLock::new();
    static PLEDGE: std::sync::OnceLock<Layers> = std::sync::OnceLock::new();
    let gray = |b: &[u8]| image::load_from_memory(b).expect("form layer").to_luma8();
    match layout {
        Layout::Application => APPLICATION.get_or_init(|| Layers {
            print: gray(include_bytes!("../data/form-print.png")),
            font: gray(include_bytes!("../data/form-writing.png")),
            typed: gray(include_bytes!("../data/form-typed.png")),
            strokes: gray(include_bytes!("../data/form-strokes.png")),
        }),
        Layout::Pledge => PLEDGE.get_or_init(|| Layers {
            print: gray(include_bytes!("../data/pledge-print.png")),
            font: gray(include_bytes!("../data/pledge-writing.png")),
            typed: gray(include_bytes!("../data/pledge-typed.png")),
            strokes: gray(include_bytes!("../data/pledge-strokes.png")),
        }),
    }
}

/// The flat form page (A4 at 150 dpi, 1240 × 1754): off-white paper with
/// fibre noise, black print, and the applicant's writing, scribble,
/// correction tape and strike-through as asked.
pub fn form_page(f: &FormPage, seed: u64) -> RgbImage {
    let layers = form_layers(f.layout);
    let print = &layers.print;
    let writing = match f.hand {
        Hand::Font => &layers.font,
        Hand::Typed => &layers.typed,
        Hand::Strokes => &layers.strokes,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xF0F0);
    let paper = [236.0f32, 234.0, 227.0];
    let toner = [30.0f32, 30.0, 32.0];
    let tape_box = match f.layout {
        Layout::Application => (240u32, 1022u32, 470u32, 1066u32),
        Layout::Pledge => (700, 876, 1000, 920),
    };
    // Blank forms scribble and strike in black.
    let pen = f.pen.unwrap_or(BLACK_PEN).map(f32::from);
    RgbImage::from_fn(print.width(), print.height(), |x, y| {
        let n = noise(&mut rng, 2.0);
        let under_tape = f.tape && x >= tape_box.0 && x < tape_box.2 && y >= tape_box.1 && y < tape_box.3;
        let mut c = if under_tape {
            // The tape hides the print and writing beneath.
            [251.0f32, 251.0, 249.0]
        } else {
            let a = 1.0 - f32::from(print.get_pixel(x, y).0[0]) / 255.0;
            [0, 1, 2].map(|i| paper[i] * (1.0 - a) + toner[i] * a)
        };
        if f.pen.is_some() {
            // Typed entries were printed with the form: toner, not the pen.
            let ink = if f.hand == Hand::Typed { toner } else { pen };
            let a = 1.0 - f32::from(writing.get_pixel(x, y).0[0]) / 255.0;
            c = [0, 1, 2].map(|i| c[i] * (1.0 - a) + ink[i] * a);
        }
        if let Some(tilt) = f.strike {
            // Through the middle of the writing, a 3.5 px pen line with a
            // slight waver, 10 px past the entry at both ends.
            let (x0, x1, ym) = match f.layout {
                Layout::Application => (770.0f32, 950.0f32, 557.5f32),
                Layout::Pledge => (639.0, 878.0, 983.0),
            };
            let (xc, slope) = ((x0 + x1) / 2.0, tilt.to_radians().tan());
            let (xf, yf) = (x as f32, y as f32);
            let centre = ym - (xf - xc) * slope + (xf * 0.05).sin() * 0.8;
            let d = (yf - centre).abs() * (1.0 + slope * slope).sqrt().recip();
            if (x0..x1).contains(&xf) && d < 2.25 {
                let a = (2.25 - d).min(1.0);
                c = [0, 1, 2].map(|i| c[i] * (1.0 - a) + pen[i] * a);
            }
        }
        if f.logo && (110..170).contains(&x) && (70..130).contains(&y) {
            c = toner;
        }
        if f.scribble {
            // Dense diagonal back-and-forth strokes over an ellipse in the
            // 工作单位 value cell.
            let (dx, dy) = ((x as f32 - 330.0) / 72.0, (y as f32 - 485.0) / 22.0);
            let wobble = ((x as f32) * 0.21).sin() * 0.12;
            if dx * dx + dy * dy < 1.0 + wobble && (x + y / 2) % 5 < 4 {
                c = pen;
            }
        }
        Rgb(c.map(|v| (v + n).clamp(0.0, 255.0) as u8))
    })
}

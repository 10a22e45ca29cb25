//! `prescreen fix`: turns a photo whose only faults are size, crop and
//! format into an upload that passes. A photo is cropped to 25:35 around
//! its one face, a card photo to the card and a margin of its white
//! surround, a form or certificate photo scaled down; all are re-encoded
//! as baseline JPEG (no metadata), a photo or card into the 40 960-80 000
//! byte window by a quality search. Colours, light, background and face are
//! never touched. The full check of the result decides: a fix returns only
//! a file that passes, otherwise the check's own reasons.

use crate::checks::file::{decode_checked, Prepared};
use crate::checks::idcard::card_search;
use crate::checks::photo::face_detection;
use crate::codes::Code;
use crate::format::{sniff, Format};
use crate::measure::face::{detect_faces, FaceBox, Pass};
use crate::measure::quad::find_quad;
use crate::measure::{luma, shrink_rgb};
use crate::pipeline::check_file;
use crate::report::{FileReport, Reason, Report, Verdict};
use crate::rules::{FixRules, Kind, Lang, Rules, SlotDef};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use serde_json::json;
use std::io::Cursor;

/// What a fix gives back.
#[derive(Debug, Clone)]
pub struct Fixed {
    /// The fixed JPEG, when its check passed.
    pub jpeg: Option<Vec<u8>>,
    /// The check of the fixed file (or, when no file could be made, the
    /// reasons why), with the fix's own measurements (`fix_*`).
    pub report: Report,
}

/// Fixes `bytes` for `slot`; the report's messages are in `lang`.
pub fn fix(bytes: &[u8], name: &str, slot: &SlotDef, rules: &Rules, lang: Lang) -> Fixed {
    let mut steps = FileReport::new(name, Some(slot.id.clone()));
    let made = make(bytes, slot, rules, &mut steps);
    let (jpeg, mut file) = match made {
        Some(jpeg) => {
            let mut checked = check_file(&jpeg, name, Some(slot), rules);
            if checked.has(Code::SizeOutOfRange) {
                // The window could not be reached (a blurred or flat photo
                // compresses too well): the pixel checks say why.
                pixel_reasons(&jpeg, slot, rules, &mut checked);
            }
            // The fix's own measurements; the file's size and dimensions
            // stay those of the fixed file.
            for (k, v) in steps.measurements {
                if k.starts_with("fix_") {
                    checked.measurements.insert(k, v);
                }
            }
            let passed = checked.verdict == Verdict::Pass;
            (passed.then_some(jpeg), checked)
        }
        None => {
            steps.verdict = Verdict::Reject;
            (None, steps)
        }
    };
    file.measure("fix_returned", jpeg.is_some());
    let mut report = Report {
        plan: None,
        clause: None,
        verdict: file.verdict,
        files: vec![file],
        missing: Vec::new(),
        unexpected: Vec::new(),
        reasons: Vec::new(),
    };
    report.localise(&rules.messages, lang);
    report.settle();
    Fixed { jpeg, report }
}

/// The kind checks on `jpeg`'s pixels, whatever its size.
fn pixel_reasons(jpeg: &[u8], slot: &SlotDef, rules: &Rules, report: &mut FileReport) {
    let mut scratch = FileReport::new(report.name.clone(), report.slot.clone());
    if let Prepared::Image(d) = decode_checked(jpeg, rules.kind(slot.kind).analysis_long_side, rules, &mut scratch) {
        let budget = crate::pipeline::Budget::new(rules.limits().time_budget_ms, None);
        crate::pipeline::check_kind(&d, Some(slot), rules, &budget, &mut scratch);
        for r in scratch.reasons {
            if !report.has(r.code) {
                report.push(r);
            }
        }
    }
}

/// Makes the candidate file, or says on `report` why none can be made.
fn make(bytes: &[u8], slot: &SlotDef, rules: &Rules, report: &mut FileReport) -> Option<Vec<u8>> {
    let f = rules.fix();
    // Decoded no larger than needed (JPEG DCT scaling): a photo's crop must
    // keep its pixels, a card's crop never exceeds card_long_side.
    let long_side = match slot.kind {
        Kind::Portrait => Some(f.decode_long_side),
        Kind::IdCard => Some(f.card_long_side),
        Kind::HandwrittenForm | Kind::Certificate => Some(f.document_long_side),
    };
    let img = decode(bytes, long_side, rules, report)?;
    report.measure("fix_source", json!({"width": img.width(), "height": img.height()}));
    let kind = rules.kind(slot.kind);
    match slot.kind {
        Kind::Portrait => {
            let crop = photo_crop(&img, rules, report)?;
            let window = kind.min_bytes.zip(kind.max_bytes)?;
            let min_width = rules.photo().min_width;
            encode_window(
                &crop,
                rules.photo().aspect_ratio,
                f.photo_width,
                min_width,
                window,
                f,
                report,
            )
        }
        Kind::IdCard => {
            let crop = card_crop(&img, rules, report);
            let window = kind.min_bytes.zip(kind.max_bytes)?;
            let start = width_for_long_side(&crop, f.card_long_side);
            encode_window(&crop, aspect_of(&crop), start, (start / 2).max(1), window, f, report)
        }
        Kind::HandwrittenForm | Kind::Certificate => {
            let cap = kind.file_cap(rules.limits());
            let start = width_for_long_side(&img, f.document_long_side);
            encode_window(&img, aspect_of(&img), start, (start / 2).max(1), (0, cap), f, report)
        }
    }
}

fn aspect_of(img: &RgbImage) -> f64 {
    f64::from(img.width()) / f64::from(img.height().max(1))
}

/// The width that brings `img`'s long side to `long` or below.
pub(crate) fn width_for_long_side(img: &RgbImage, long: u32) -> u32 {
    let (w, h) = img.dimensions();
    if w.max(h) <= long {
        w
    } else {
        ((f64::from(w) * f64::from(long) / f64::from(w.max(h))).round() as u32).max(1)
    }
}

/// The upright RGB pixels of a JPEG, PNG, WebP (or, built with the `heic`
/// feature, HEIC) file, decoded at `long_side` or a little more when the
/// format can scale while decoding (JPEG).
pub(crate) fn decode(bytes: &[u8], long_side: Option<u32>, rules: &Rules, report: &mut FileReport) -> Option<RgbImage> {
    let format = sniff(bytes);
    report.measure("fix_source_format", format.as_str());
    match format {
        Format::Jpeg => match decode_checked(bytes, long_side, rules, report) {
            Prepared::Image(d) => Some(d.rgb),
            _ => None,
        },
        Format::Png | Format::Webp => decode_with_image(bytes, format, rules, report),
        Format::Heic => decode_heic(bytes, rules, report),
        other => {
            report.push(Reason::new(
                Code::FileUnsupportedType,
                json!({"format": other.as_str(), "accepted": ["jpeg", "png", "webp", "heic"]}),
            ));
            None
        }
    }
}

fn corrupt(report: &mut FileReport, cause: impl std::fmt::Display) {
    report.push(Reason::new(
        Code::FileCorrupt,
        json!({"problem": "undecodable", "cause": cause.to_string()}),
    ));
}

/// PNG and WebP through `image`, with its limits and EXIF orientation.
fn decode_with_image(bytes: &[u8], format: Format, rules: &Rules, report: &mut FileReport) -> Option<RgbImage> {
    let fmt = if format == Format::Png {
        image::ImageFormat::Png
    } else {
        image::ImageFormat::WebP
    };
    let max_pixels = rules.limits().max_pixels;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(1 << 20));
    reader.limits(limits);
    let mut decoder = match reader.into_decoder() {
        Ok(d) => d,
        Err(e) => {
            corrupt(report, e);
            return None;
        }
    };
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        report.push(Reason::new(
            Code::FileDimensionsTooLarge,
            json!({"width": w, "height": h, "pixels": u64::from(w) * u64::from(h), "max_pixels": max_pixels}),
        ));
        return None;
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    match DynamicImage::from_decoder(decoder) {
        Ok(mut img) => {
            img.apply_orientation(orientation);
            Some(img.into_rgb8())
        }
        Err(e) => {
            corrupt(report, e);
            None
        }
    }
}

#[cfg(feature = "heic")]
fn decode_heic(bytes: &[u8], rules: &Rules, report: &mut FileReport) -> Option<RgbImage> {
    match crate::input::heic::decode(bytes, rules.limits().max_pixels) {
        Ok(img) => Some(img),
        Err(crate::input::heic::HeicError::TooLarge { width, height }) => {
            let pixels = u64::from(width) * u64::from(height);
            report.push(Reason::new(
                Code::FileDimensionsTooLarge,
                json!({"width": width, "height": height, "pixels": pixels, "max_pixels": rules.limits().max_pixels}),
            ));
            None
        }
        Err(crate::input::heic::HeicError::Decode(cause)) => {
            corrupt(report, cause);
            None
        }
    }
}

#[cfg(not(feature = "heic"))]
fn decode_heic(_bytes: &[u8], _rules: &Rules, report: &mut FileReport) -> Option<RgbImage> {
    report.push(Reason::new(
        Code::FileUnsupportedType,
        json!({"format": "heic", "accepted": ["jpeg", "png", "webp"], "cause": "this prescreen was built without the heic feature"}),
    ));
    None
}

/// The 25:35 crop around the one face, with the face where `[fix]` puts
/// it; `None` (and the check's reason) without exactly one face or without
/// room for the crop.
fn photo_crop(img: &RgbImage, rules: &Rules, report: &mut FileReport) -> Option<RgbImage> {
    let f = rules.fix();
    let photo = rules.photo();
    // Faces are looked for on a small copy (its boxes scaled back): the
    // search never runs wider than search_width anyway.
    let small = shrink_rgb(img, 2 * f.search_width);
    let k = f64::from(img.width()) / f64::from(small.width().max(1));
    let y = luma(&small);
    let mut how = face_detection(&photo.face);
    // A first look wider than the check's (a studio file's face settles it
    // in about 1.5 ms), then the wide pass for a camera photo's small face.
    how.first = Pass {
        width: f.search_first_width.min(small.width()),
        scale_factor: how.first.scale_factor,
    };
    how.second = Pass {
        width: f.search_width.min(small.width()).max(how.second.width),
        scale_factor: how.second.scale_factor,
    };
    how.settle_min_width = 0.0;
    let Some(faces) = detect_faces(&y, &how) else {
        report.measure("face_detector", "unavailable");
        return None;
    };
    report.measure("fix_faces", faces.len());
    let face = match faces.as_slice() {
        [] => {
            report.push(Reason::new(Code::PhotoNoFace, json!({})));
            return None;
        }
        [one] => FaceBox {
            x: one.x * k,
            y: one.y * k,
            width: one.width * k,
            height: one.height * k,
            score: one.score,
        },
        many => {
            report.push(Reason::new(Code::PhotoMultipleFaces, json!({"faces": many.len()})));
            return None;
        }
    };
    let (iw, ih) = (f64::from(img.width()), f64::from(img.height()));
    let ratio = photo.aspect_ratio;
    // The widest crop that puts the face at face_width, narrowed (the face
    // taking more of it) until it fits the source.
    let mut share = f.face_width;
    let place = |share: f64| {
        let w = face.width / share;
        let h = w / ratio;
        let x0 = face.centre_x() - w / 2.0;
        let y0 = face.y - f.face_top * h;
        (x0, y0, w, h)
    };
    let fits = |(x0, y0, w, h): (f64, f64, f64, f64)| x0 >= 0.0 && y0 >= 0.0 && x0 + w <= iw && y0 + h <= ih;
    while !fits(place(share)) && share < f.max_face_width {
        share = (share + 0.01).min(f.max_face_width);
    }
    let (x0, y0, w, h) = place(share);
    report.measure(
        "fix_crop",
        json!({"x": x0.round(), "y": y0.round(), "width": w.round(), "height": h.round(), "face_share": (share * 1000.0).round() / 1000.0}),
    );
    if !fits((x0, y0, w, h)) {
        report.push(Reason::new(
            Code::PhotoFacePosition,
            json!({"problem": "no_room", "face_width_fraction": (face.width / iw * 1000.0).round() / 1000.0}),
        ));
        return None;
    }
    if w < f64::from(photo.min_width) || h < f64::from(photo.min_height) {
        report.push(Reason::new(
            Code::PhotoResolutionTooLow,
            json!({"width": w.round(), "height": h.round(), "min_width": photo.min_width, "min_height": photo.min_height}),
        ));
        return None;
    }
    // Exactly 25:35 in whole pixels: the height follows the width.
    let (cw, ch) = (w as u32, ((w as u32) as f64 / ratio).round() as u32);
    Some(image::imageops::crop_imm(img, x0 as u32, y0 as u32, cw, ch.min(img.height() - y0 as u32)).to_image())
}

/// The card and a margin of its surround, scaled to `card_long_side`; the
/// whole image when no card is found (its check then says why).
fn card_crop(img: &RgbImage, rules: &Rules, report: &mut FileReport) -> RgbImage {
    let f = rules.fix();
    let found = find_quad(img, &card_search(rules.id_card()));
    let (iw, ih) = img.dimensions();
    let region = found.best.map(|q| {
        let xs = q.corners.map(|c| c.0);
        let ys = q.corners.map(|c| c.1);
        let (x0, x1) = (
            xs.iter().copied().fold(f64::MAX, f64::min),
            xs.iter().copied().fold(f64::MIN, f64::max),
        );
        let (y0, y1) = (
            ys.iter().copied().fold(f64::MAX, f64::min),
            ys.iter().copied().fold(f64::MIN, f64::max),
        );
        let (mx, my) = ((x1 - x0) * f.card_margin, (y1 - y0) * f.card_margin);
        let cx0 = (x0 - mx).max(0.0) as u32;
        let cy0 = (y0 - my).max(0.0) as u32;
        let cx1 = ((x1 + mx).ceil() as u32).min(iw);
        let cy1 = ((y1 + my).ceil() as u32).min(ih);
        (cx0, cy0, cx1.saturating_sub(cx0).max(1), cy1.saturating_sub(cy0).max(1))
    });
    let (x, y, w, h) = region.unwrap_or((0, 0, iw, ih));
    report.measure(
        "fix_crop",
        json!({"x": x, "y": y, "width": w, "height": h, "card_found": region.is_some()}),
    );
    image::imageops::crop_imm(img, x, y, w, h).to_image()
}

/// Baseline JPEG, IJG quality tables, 4:2:0, no metadata (jpeg-encoder:
/// several times faster than `image`'s encoder, which the search repeats).
pub(crate) fn encode(img: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let (w, h) = (u16::try_from(img.width()).ok()?, u16::try_from(img.height()).ok()?);
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .ok()?;
    Some(out)
}

/// `source` scaled to `width` and a height of `width / aspect`, or itself
/// when that is its size (Catmull-Rom through fast_image_resize's SIMD
/// convolution: about a millisecond where `image`'s takes fifteen).
pub(crate) fn scaled(source: &RgbImage, width: u32, aspect: f64) -> std::borrow::Cow<'_, RgbImage> {
    use fast_image_resize::{images::Image, FilterType as Filter, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let height = ((f64::from(width) / aspect).round() as u32).clamp(1, source.height().max(1));
    if (width, height) == source.dimensions() {
        return std::borrow::Cow::Borrowed(source);
    }
    let fallback = || image::imageops::resize(source, width, height, FilterType::CatmullRom);
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(Filter::CatmullRom));
    let resized = Resizer::new()
        .resize(source, &mut dst, &options)
        .ok()
        .and_then(|()| RgbImage::from_raw(width, height, dst.into_vec()));
    std::borrow::Cow::Owned(resized.unwrap_or_else(fallback))
}

/// Encodes `source`, scaled to `width`, as a baseline JPEG of `min..=max`
/// bytes: a bisection on the quality (at most `max_encodes` tries); when
/// even the lowest quality is too large, fewer pixels (never below
/// `min_width`), when even the highest is too small, more (never above the
/// source's), and the search again. The nearest miss is returned when no
/// size fits: the check then names the size.
fn encode_window(
    source: &RgbImage,
    aspect: f64,
    width: u32,
    min_width: u32,
    (min, max): (u64, u64),
    f: &FixRules,
    report: &mut FileReport,
) -> Option<Vec<u8>> {
    let mut width = width.min(source.width()).max(min_width.min(source.width()));
    let mut encodes = 0u32;
    let mut last = None;
    for _round in 0..3 {
        let img = scaled(source, width, aspect);
        let (mut lo, mut hi) = (f.quality_min, f.quality_max);
        let mut q = f.quality_start;
        // The nearest tries above and below the window: (quality, bytes).
        let mut too_big: Option<(u8, u64)> = None;
        let mut too_small: Option<(u8, u64)> = None;
        // Aim at the window's geometric middle. The size grows about
        // exponentially with the quality (8 % a step on photos and cards):
        // the next quality is read off the line through the nearest tries
        // on either side, or off that slope from one try.
        let target = if min == 0 {
            max as f64 * 0.7
        } else {
            ((min as f64) * (max as f64)).sqrt()
        }
        .ln();
        for _ in 0..f.max_encodes {
            let bytes = encode(&img, q)?;
            encodes += 1;
            let n = bytes.len() as u64;
            if (min..=max).contains(&n) {
                report.measure("fix_quality", q);
                report.measure("fix_encodes", encodes);
                report.measure("fix_output", json!({"width": img.width(), "height": img.height()}));
                return Some(bytes);
            }
            if n > max {
                hi = q.saturating_sub(1);
                too_big = Some((q, n));
            } else {
                lo = q + 1;
                too_small = Some((q, n));
            }
            last = Some(bytes);
            if lo > hi {
                break;
            }
            let guess = match (too_small, too_big) {
                (Some((qa, na)), Some((qb, nb))) => {
                    let (la, lb) = ((na as f64).ln(), (nb as f64).ln());
                    f64::from(qa) + (target - la) / (lb - la).max(1e-9) * f64::from(qb - qa)
                }
                _ => f64::from(q) + (target - (n as f64).ln()) / 0.08,
            };
            q = (guess.round() as i64).clamp(i64::from(lo), i64::from(hi)) as u8;
        }
        // Bytes grow about with the pixels: aim for the window's middle.
        let middle = target.exp();
        let next = match (too_big, too_small) {
            (Some((_, n)), None) if hi < f.quality_min + 2 => f64::from(width) * (middle / n as f64).sqrt(),
            (None, Some((_, n))) if lo > f.quality_max.saturating_sub(2) => {
                f64::from(width) * (middle / n as f64).sqrt()
            }
            _ => break,
        };
        let next = (next.round() as u32).clamp(min_width.min(source.width()), source.width());
        if next == width {
            break;
        }
        width = next;
    }
    report.measure("fix_encodes", encodes);
    last
}

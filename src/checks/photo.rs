//! The white-background 1-inch photo (白底个人一寸照片): proportions,
//! resolution, background, colour, sharpness, exposure, the face (one, of
//! 1-inch size and place) and editing apps.
//! Every number comes from `[photo]` in the rulebook. Nothing is fixed up:
//! the photo is only measured.

use crate::codes::Code;
use crate::input::decode::Decoded;
use crate::measure::background::{is_white, measure_background, Bands, White};
use crate::measure::blur::measure_blur;
use crate::measure::colour::{lab, name_colour, ColourName};
use crate::measure::exposure::measure_exposure;
use crate::measure::face::{detect_faces, Detection, Pass};
use crate::measure::halftone;
use crate::measure::{luma, r1, r3, region, round_to};
use crate::pipeline::Budget;
use crate::report::{FileReport, Reason};
use crate::rules::{editing_app, FaceRules, PhotoRules, RecapturedRules};
use image::GrayImage;
use serde_json::json;

/// Runs every photo check on an upright decoded image.
pub fn check_photo(d: &Decoded, rules: &PhotoRules, budget: &Budget, report: &mut FileReport) {
    check_geometry(d, rules, report);
    check_colour(d, rules, report);
    check_background(d, rules, report);
    let y = luma(&d.rgb);
    // The costly steps stop when the budget is spent; the cheap EXIF look
    // at the end always runs.
    if !budget.stop("sharpness", report) {
        check_sharpness_and_light(&y, rules, report);
        if !budget.stop("face", report) {
            check_face(&y, rules, report);
            if !budget.stop("recaptured", report) {
                check_recaptured(d, &y, &rules.recaptured, report);
            }
        }
    }
    check_editing(d, rules, report);
}

/// `photo.aspect_ratio` and `photo.resolution_too_low`.
fn check_geometry(d: &Decoded, rules: &PhotoRules, report: &mut FileReport) {
    // The upload's own size, also when a huge file was decoded reduced.
    let (w, h) = d.original;
    let ratio = f64::from(w) / f64::from(h);
    report.measure("aspect_ratio", r3(ratio));
    if (ratio / rules.aspect_ratio - 1.0).abs() > rules.aspect_tolerance {
        report.push(Reason::new(
            Code::PhotoAspectRatio,
            json!({
                "ratio": r3(ratio),
                "expected": r3(rules.aspect_ratio),
                "tolerance": rules.aspect_tolerance,
                "width": w,
                "height": h,
            }),
        ));
    }
    if w < rules.min_width || h < rules.min_height {
        report.push(Reason::new(
            Code::PhotoResolutionTooLow,
            json!({ "width": w, "height": h, "min_width": rules.min_width, "min_height": rules.min_height }),
        ));
    }
}

/// `photo.grayscale`: stored as one channel, or too few coloured pixels.
fn check_colour(d: &Decoded, rules: &PhotoRules, report: &mut FileReport) {
    let colour_fraction = colour_fraction(d, rules.grayscale.chroma);
    report.measure("colour_fraction", r3(colour_fraction));
    if d.components == 1 || colour_fraction < rules.grayscale.min_colour_fraction {
        report.push(Reason::new(
            Code::PhotoGrayscale,
            json!({
                "components": d.components,
                "colour_fraction": r3(colour_fraction),
                "min_colour_fraction": rules.grayscale.min_colour_fraction,
            }),
        ));
    }
}

/// `photo.background_not_white`: enough of the border bands white, else the
/// bands' colour named.
fn check_background(d: &Decoded, rules: &PhotoRules, report: &mut FileReport) {
    let bg_rules = &rules.background;
    let white = White {
        min_lightness: bg_rules.min_lightness,
        max_abs_a: bg_rules.max_abs_a,
        min_b: bg_rules.min_b,
        max_b: bg_rules.max_b,
    };
    let bands = Bands {
        top: bg_rules.top_band,
        side: bg_rules.side_band,
        side_bottom: bg_rules.side_band_bottom,
    };
    let bg = measure_background(&d.rgb, &bands, &white);
    let colour = if bg.samples > 0 && bg.white_fraction >= bg_rules.min_white_fraction {
        ColourName::White
    } else if bg.samples > 0 && is_white(bg.median, &white) {
        // Mostly white but cluttered: something stands in the background.
        ColourName::Other
    } else if bg.samples > 0 {
        name_colour(bg.median)
    } else {
        ColourName::Other
    };
    report.measure("background_white_fraction", r3(bg.white_fraction));
    report.measure("background_colour", colour.as_str());
    if colour != ColourName::White {
        report.push(Reason::new(
            Code::PhotoBackgroundNotWhite,
            json!({
                "white_fraction": r3(bg.white_fraction),
                "min_white_fraction": rules.background.min_white_fraction,
                "colour": colour.as_str(),
                "median_lab": [r3(f64::from(bg.median.l)), r3(f64::from(bg.median.a)), r3(f64::from(bg.median.b))],
            }),
        ));
    }
}

/// `photo.blurry` and `photo.exposure` (on the face region).
fn check_sharpness_and_light(y: &GrayImage, rules: &PhotoRules, report: &mut FileReport) {
    let (w, h) = y.dimensions();
    let blur = measure_blur(y, rules.blur.analysis_height);
    report.measure("blur", r3(blur));
    if blur > rules.blur.max_blur {
        report.push(Reason::new(
            Code::PhotoBlurry,
            json!({ "blur": r3(blur), "max_blur": rules.blur.max_blur, "analysis_height": rules.blur.analysis_height }),
        ));
    }

    // The face region of a 1-inch photo: centred, upper middle.
    let ex_rules = &rules.exposure;
    let [x0, y0, x1, y1] = ex_rules.region;
    let ex = measure_exposure(y, region(w, h, x0, y0, x1, y1));
    report.measure("exposure_median", ex.median);
    let min_median = ex_rules.min_median;
    let problem = if ex.median < min_median || ex.crushed_fraction > ex_rules.max_crushed_fraction {
        Some("too_dark")
    } else if ex.median > ex_rules.max_median || ex.clipped_fraction > ex_rules.max_clipped_fraction {
        Some("too_bright")
    } else {
        None
    };
    if let Some(problem) = problem {
        report.push(Reason::new(
            Code::PhotoExposure,
            json!({
                "problem": problem,
                "median": ex.median,
                "min_median": min_median,
                "max_median": ex_rules.max_median,
                "clipped_fraction": r3(ex.clipped_fraction),
                "max_clipped_fraction": ex_rules.max_clipped_fraction,
                "crushed_fraction": r3(ex.crushed_fraction),
                "max_crushed_fraction": ex_rules.max_crushed_fraction,
            }),
        ));
    }
}

/// `photo.edited`: EXIF Software, or the XMP packet's creator tool,
/// software or history, names an editing or beauty app. Every name found
/// is reported (the first of each source); the first app found decides.
fn check_editing(d: &Decoded, rules: &PhotoRules, report: &mut FileReport) {
    let mut found = None;
    for (source, software) in d.exif.software_named() {
        if !report.measurements.contains_key(source) {
            report.measure(source, software);
        }
        if found.is_none() {
            found = editing_app(&rules.editing_software, software).map(|app| (source, software, app));
        }
    }
    if let Some((source, software, app)) = found {
        report.push(
            Reason::new(
                Code::PhotoEdited,
                json!({ "software": software, "app": app.name, "source": source }),
            )
            .with_severity(app.severity),
        );
    }
}

/// How the face detector runs, from `[photo.face]`: the first pass is
/// settled by a clear face at least as wide as a 1-inch photo's smallest.
pub fn face_detection(f: &FaceRules) -> Detection {
    Detection {
        first: Pass {
            width: f.first_width,
            scale_factor: f.first_scale_factor,
        },
        second: Pass {
            width: f.second_width,
            scale_factor: f.second_scale_factor,
        },
        settle_min_score: f.first_min_score,
        settle_min_width: f.width_min,
        pad: f.pad,
        min_neighbours: f.min_neighbours,
    }
}

/// `photo.no_face`, `photo.multiple_faces`, `photo.face_position`: exactly
/// one face, of 1-inch-photo size and place. The face box and the scores go
/// into the measurements for a reviewer to draw.
fn check_face(y: &GrayImage, rules: &PhotoRules, report: &mut FileReport) {
    let f = &rules.face;
    let Some(faces) = detect_faces(y, &face_detection(f)) else {
        report.measure("face_detector", "unavailable");
        return;
    };
    let (w, h) = (f64::from(y.width()), f64::from(y.height()));
    report.measure("faces", faces.len());
    let boxes: Vec<_> = faces
        .iter()
        .map(|b| json!({ "x": r1(b.x), "y": r1(b.y), "width": r1(b.width), "height": r1(b.height), "score": r1(b.score) }))
        .collect();
    report.measure("face_boxes", boxes);
    match faces.as_slice() {
        [] => report.push(Reason::new(Code::PhotoNoFace, json!({ "faces": 0 }))),
        [face] => {
            let width_fraction = face.width / w;
            let centre_offset = (face.centre_x() - w / 2.0) / w;
            let top = face.y / h;
            let bottom = (face.y + face.height) / h;
            report.measure("face_width_fraction", r3(width_fraction));
            report.measure("face_centre_offset", r3(centre_offset));
            report.measure("face_top_fraction", r3(top));
            report.measure("face_bottom_fraction", r3(bottom));
            let cut = face.x < 0.0 || face.y < 0.0 || face.x + face.width > w || face.y + face.height > h;
            let problem = if cut {
                Some("face_cut_off")
            } else if width_fraction < f.width_min {
                Some("face_too_small")
            } else if width_fraction > f.width_max {
                Some("face_too_large")
            } else if centre_offset.abs() > f.max_centre_offset {
                Some("face_off_centre")
            } else if top < f.top_min {
                Some("face_too_high")
            } else if top > f.top_max || bottom > f.bottom_max {
                Some("face_too_low")
            } else {
                None
            };
            if let Some(problem) = problem {
                report.push(Reason::new(
                    Code::PhotoFacePosition,
                    json!({
                        "problem": problem,
                        "face_width_fraction": r3(width_fraction),
                        "width_min": f.width_min,
                        "width_max": f.width_max,
                        "face_centre_offset": r3(centre_offset),
                        "max_centre_offset": f.max_centre_offset,
                        "face_top_fraction": r3(top),
                        "top_min": f.top_min,
                        "top_max": f.top_max,
                        "face_bottom_fraction": r3(bottom),
                        "bottom_max": f.bottom_max,
                    }),
                ));
            }
        }
        many => report.push(Reason::new(Code::PhotoMultipleFaces, json!({ "faces": many.len() }))),
    }
}

/// `photo.recaptured` (a warning), on either evidence: an object with its
/// own edges lies wholly inside the frame, standing out from what surrounds
/// it (a printed photo or an ID card photographed on a surface; a proper
/// 1-inch photo has no such object: the person reaches the bottom edge), or
/// a halftone screen shows in the face region (a photo of a print).
fn check_recaptured(d: &Decoded, y: &GrayImage, rules: &RecapturedRules, report: &mut FileReport) {
    let (w, h) = y.dimensions();
    let [cx, cy] = rules.screen_centre;
    let (cx, cy) = ((f64::from(w) * cx) as u32, (f64::from(h) * cy) as u32);
    if let Some(screen) = halftone::measure(y, cx, cy) {
        report.measure("screen_ratio", r1(screen.second_ratio));
        if screen.second_ratio >= rules.min_screen_ratio {
            report.push(Reason::new(
                Code::PhotoRecaptured,
                json!({
                    "evidence": "a halftone screen: periodic dots in two directions",
                    "screen_ratio": r1(screen.second_ratio),
                    "min_screen_ratio": rules.min_screen_ratio,
                    "period_px": round_to(screen.period, 2),
                }),
            ));
            return;
        }
    }
    // A small copy is enough to see an object's outline.
    let small = crate::measure::shrink_rgb(&d.rgb, rules.object_analysis_size);
    let k = f64::from(d.rgb.width()) / f64::from(small.width().max(1));
    let Some(object) = crate::measure::card::find_object(&small, rules.min_object_area, rules.min_object_delta_e)
    else {
        return;
    };
    if object.touches_edge || object.area_fraction > rules.max_object_area {
        return;
    }
    let corners: Vec<[f64; 2]> = object.corners.iter().map(|(x, y)| [r1(x * k), r1(y * k)]).collect();
    report.measure("inner_object_corners", json!(corners));
    report.push(Reason::new(
        Code::PhotoRecaptured,
        json!({
            "evidence": "an object with its own edges inside the frame",
            "area_fraction": r3(object.area_fraction),
            "aspect": r3(object.aspect),
        }),
    ));
}

/// Fraction of pixels (sampled every third row and column) whose CIELAB
/// chroma exceeds `chroma`.
fn colour_fraction(d: &Decoded, chroma: f64) -> f64 {
    let (w, h) = d.rgb.dimensions();
    let (mut coloured, mut n) = (0u32, 0u32);
    for y in (0..h).step_by(3) {
        for x in (0..w).step_by(3) {
            n += 1;
            coloured += u32::from(f64::from(lab(d.rgb.get_pixel(x, y).0).chroma()) > chroma);
        }
    }
    if n == 0 {
        0.0
    } else {
        f64::from(coloured) / f64::from(n)
    }
}

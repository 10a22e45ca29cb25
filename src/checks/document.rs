//! Checks of photographed paper (forms and certificates): resolution, the
//! page found and whole, sharpness, light, and for forms whether the image
//! is a photograph at all, whether it is written in (`form.blank`) and
//! whether it shows corrections (`form.altered`).

use crate::checks::cut_off;
use crate::codes::Code;
use crate::input::decode::Decoded;
use crate::measure::blur::measure_blur;
use crate::measure::handwriting::measure_fills_in;
use crate::measure::ink::{flatten, measure_ink, FlatPage, InkMeasure, InkParams};
use crate::measure::page::{digital_signs, measure_page, white_outside, DigitalSigns, PageMeasure};
use crate::measure::quad::{dist, first_side, QuadSearch};
use crate::measure::{luma, r1, r3, round_to, shrink_rgb};
use crate::pipeline::Budget;
use crate::report::{FileReport, Reason};
use crate::rules::{editing_app, DocumentRules, FormRules, KindRules, SoftwareRule};
use image::RgbImage;
use serde_json::json;

/// The frame edges, in the order of `page_touches`.
const CORNER_EDGES: [&str; 4] = ["left", "top", "right", "bottom"];

/// The ink measure's parameters, from `[document.form]`.
pub fn ink_params(f: &FormRules) -> InkParams {
    InkParams {
        ink_ratio: f.ink_ratio,
        min_line: f.min_line,
        separator_cover: f.separator_cover,
        min_field_ink: f.min_field_ink,
        fill_line_field: f.fill_line_field,
        scribble_radius: f.scribble_radius,
        min_scribble_area: f.min_scribble_area,
        tape_brightness: f.tape_brightness,
        min_tape_area: f.min_tape_area,
        min_tape_fill: f.min_tape_fill,
        max_tape_edge: f.max_tape_edge,
        min_strike: f.min_strike,
        max_strike: f.max_strike,
        strike_crossed: f.strike_crossed,
        strike_gap: f.strike_gap,
        strike_reach: f.strike_reach,
        strike_max_slope: f.strike_max_slope,
        strike_slope_step: f.strike_slope_step,
    }
}

/// `document.resolution_too_low`: the long side of the (upright) image.
pub fn check_document_image(d: &Decoded, kind: &KindRules, report: &mut FileReport) {
    let long_side = d.original.0.max(d.original.1);
    report.measure("long_side", long_side);
    if let Some(min) = kind.min_long_side {
        if long_side < min {
            report.push(Reason::new(
                Code::DocumentResolutionTooLow,
                json!({ "long_side": long_side, "min_long_side": min }),
            ));
        }
    }
}

/// What the quad search looks for in a photo of paper, from the rulebook.
pub fn page_search(rules: &DocumentRules) -> QuadSearch {
    QuadSearch {
        aspects: rules.page_aspects.clone(),
        aspect_tolerance: rules.page_aspect_tolerance,
        min_area: rules.min_region_fraction,
        min_score: rules.min_quad_score,
        full_frame_score: Some(rules.full_frame_score),
        corner_margin: rules.corner_margin,
        frame_side_factor: rules.frame_side_factor,
        max_corner_outside: rules.max_corner_outside,
        // A form's table rules many lines both ways; a cap cut page edges
        // (pages' corners within 2 %: 93 -> 90 % at 20 a direction).
        lines_per_direction: None,
    }
}

/// The page checks; for a form (`editing` is then the rulebook's list of
/// editing apps) also `form.not_photographed`, and what is written on it.
pub fn check_page(
    d: &Decoded,
    rules: &DocumentRules,
    editing: Option<&[SoftwareRule]>,
    budget: &Budget,
    report: &mut FileReport,
) {
    let small = shrink_rgb(&d.rgb, rules.analysis_long_side);
    // Read once: forms judge renders by them, and any page not found
    // is judged by them for too much light.
    let signs = editing.map(|_| digital_signs(&small));
    if let (Some(editing), Some(signs)) = (editing, &signs) {
        if is_digital(d, &small, signs, rules, editing, report) {
            // A render has no page, light or focus to judge; an overexposed
            // photo has its exposure reason and nothing left to read.
            return;
        }
    }
    if budget.stop("page", report) {
        return;
    }
    let Some(page) = locate_page(d, &small, rules, report) else {
        // Paper clipped to white has lost its edges too: when most of the
        // frame is pure white, say so beside "not found".
        let white = signs.map_or_else(|| digital_signs(&small).white, |s| s.white);
        if white >= rules.digital_white_fraction {
            report.push(too_bright(white, rules, None));
        }
        return;
    };
    if budget.stop("sharpness", report) {
        return;
    }

    let y = luma(&small);
    let blur = measure_blur(&y, rules.analysis_long_side.min(y.height()));
    report.measure("page_blur", r3(blur));
    if blur > rules.max_blur {
        report.push(Reason::new(
            Code::DocumentBlurry,
            json!({ "blur": r3(blur), "max_blur": rules.max_blur }),
        ));
    }
    if !check_light(&page.cell_brightness, page.quad.full_frame, rules, report) {
        return;
    }

    // What is written is judged only on a page that is whole, sharp, lit
    // and large enough to read.
    let unreadable = [
        Code::DocumentCropped,
        Code::DocumentBlurry,
        Code::DocumentResolutionTooLow,
    ];
    if editing.is_some() && !unreadable.iter().any(|c| report.has(*c)) && !budget.stop("writing", report) {
        let scale = (
            f64::from(d.rgb.width()) / f64::from(small.width()),
            f64::from(d.rgb.height()) / f64::from(small.height()),
        );
        // The short side first: a page lying sideways is flattened upright
        // or upside down, and its ruled lines stay horizontal either way.
        // Which of the two only the writing can tell (it sits above its
        // lines), so a sideways page is read both ways and the way with
        // fewer empty fields kept.
        let c = page.quad.corners.map(|(x, y)| (x * scale.0, y * scale.1));
        let sideways = dist(c[0], c[1]) > dist(c[1], c[2]);
        let corners = first_side(c, false);
        let turned = sideways.then_some([corners[2], corners[3], corners[0], corners[1]]);
        check_writing(d, &corners, turned.as_ref(), &rules.form, report);
    }
}

/// `form.not_photographed`: mostly paper of one exact colour (pure white,
/// or an off-white tone) and flat (made on a computer), or so and saved by
/// an editing app.
fn is_digital(
    d: &Decoded,
    small: &RgbImage,
    signs: &DigitalSigns,
    rules: &DocumentRules,
    editing: &[SoftwareRule],
    report: &mut FileReport,
) -> bool {
    let (white, flat) = (signs.white, signs.flat);
    report.measure("pure_white_fraction", r3(white));
    report.measure("flat_fraction", r3(flat));
    report.measure("paper_tone", signs.tone);
    report.measure("paper_tone_fraction", r3(signs.tone_share));
    // Paper of one exact colour: pure white, or off-white (a render on a
    // tone like 248, which has no pure white at all).
    let uniform = white.max(signs.tone_share);
    let app = d
        .exif
        .software_named()
        .into_iter()
        .find(|(_, s)| editing_app(editing, s).is_some())
        .map(|(_, s)| s.to_string());
    let edited = uniform >= rules.digital_white_fraction && app.is_some();
    let by_pixels = uniform >= rules.digital_white_fraction && flat >= rules.digital_flat_fraction;
    // Only paper clipped to pure white can be a photo's too much light.
    let clipped = white >= rules.digital_white_fraction;
    if by_pixels && clipped && !edited {
        // Paper clipped to white looks like a render in the pixels, but a
        // photo shows the page as a sheet lying on something: a clear
        // quadrilateral that does not fill the frame. That is too much
        // light, not a file made on a computer.
        if let (_, Some(page)) = measure_page(small, &page_search(rules)) {
            let q = &page.quad;
            report.measure("page_fraction", r3(q.area_fraction));
            report.measure("page_score", r3(q.score));
            if q.full_frame {
                report.measure("page_fills_frame", true);
            }
            let surround = white_outside(small, &q.corners);
            if let Some(sw) = surround {
                report.measure("surround_white_fraction", r3(sw));
            }
            let on_something = surround.is_some_and(|sw| sw <= rules.render_min_surround_white);
            if q.score >= rules.min_quad_score && !q.full_frame && on_something {
                report.push(too_bright(white, rules, Some(q.area_fraction)));
                return true;
            }
        }
    }
    let digital = by_pixels || edited;
    if digital {
        report.push(Reason::new(
            Code::FormNotPhotographed,
            json!({
                "pure_white_fraction": r3(white),
                "paper_tone": signs.tone,
                "paper_tone_fraction": r3(signs.tone_share),
                "flat_fraction": r3(flat),
                "digital_white_fraction": rules.digital_white_fraction,
                "digital_flat_fraction": rules.digital_flat_fraction,
                "software": app.or_else(|| d.exif.software.clone()),
            }),
        ));
    }
    digital
}

/// `document.exposure` too_bright from the share of the frame clipped to
/// pure white (and the page's share of the frame when one was found).
fn too_bright(white: f64, rules: &DocumentRules, page_fraction: Option<f64>) -> Reason {
    let mut detail = json!({
        "problem": "too_bright",
        "clipped_fraction": r3(white),
        "max_clipped_fraction": rules.digital_white_fraction,
    });
    if let Some(f) = page_fraction {
        detail["page_fraction"] = json!(r3(f));
    }
    Reason::new(Code::DocumentExposure, detail)
}

/// The page as geometry on the analysis copy `small`: `document.not_found`
/// (no quadrilateral, or too small a share of the frame) and
/// `document.cropped` (a corner outside the frame). The outline goes into
/// the measurements in the upload's pixels.
fn locate_page(d: &Decoded, small: &RgbImage, rules: &DocumentRules, report: &mut FileReport) -> Option<PageMeasure> {
    let (found, page) = measure_page(small, &page_search(rules));
    let Some(page) = page.filter(|p| p.quad.score >= rules.min_quad_score) else {
        report.push(Reason::new(
            Code::DocumentNotFound,
            json!({
                "problem": "no_quadrilateral",
                "best_score": r3(found.best_score),
                "min_score": rules.min_quad_score,
            }),
        ));
        return None;
    };
    let quad = &page.quad;
    // Corners in the upload's pixels, for reports and the writing checks.
    let k = (
        f64::from(d.original.0) / f64::from(small.width().max(1)),
        f64::from(d.original.1) / f64::from(small.height().max(1)),
    );
    let outline: Vec<[f64; 2]> = quad.corners.iter().map(|(x, y)| [r1(x * k.0), r1(y * k.1)]).collect();
    report.measure("page_corners", json!(outline));
    report.measure("page_fraction", r3(quad.area_fraction));
    report.measure("page_score", r3(quad.score));
    report.measure("page_aspect", r3(quad.aspect));
    if quad.full_frame {
        report.measure("page_fills_frame", true);
    }
    if quad.area_fraction < rules.min_page_fraction {
        report.push(Reason::new(
            Code::DocumentNotFound,
            json!({ "page_fraction": r3(quad.area_fraction), "min_page_fraction": rules.min_page_fraction }),
        ));
        return None;
    }
    let (out, edges) = cut_off(quad, small.width(), small.height(), rules.max_corner_outside);
    // Kept from the region search for report readers: the frame edges the
    // page runs into (left, top, right, bottom); all four for a scanner crop.
    let touches = CORNER_EDGES.map(|e| quad.full_frame || edges.contains(&e));
    report.measure("page_touches", json!(touches));
    if !out.is_empty() || !edges.is_empty() {
        report.push(Reason::new(
            Code::DocumentCropped,
            json!({ "edges": edges, "outside": out }),
        ));
    }
    Some(page)
}

/// `document.exposure` from the paper's brightness per cell: too dark, or a
/// shadow across it. Returns whether the light lets the writing be read.
fn check_light(cells: &[u8], fills_frame: bool, rules: &DocumentRules, report: &mut FileReport) -> bool {
    report.measure("paper_brightness_cells", json!(cells));
    if cells.is_empty() {
        return false;
    }
    let mut cells = cells.to_vec();
    cells.sort_unstable();
    let median = cells[cells.len() / 2];
    let (darkest, brightest) = (cells[0], cells[cells.len() - 1]);
    let ratio = if brightest == 0 {
        0.0
    } else {
        f64::from(darkest) / f64::from(brightest)
    };
    report.measure("shadow_ratio", r3(ratio));
    let clipped = cells.iter().filter(|&&c| c >= rules.clipped_paper_brightness).count() as f64 / cells.len() as f64;
    report.measure("clipped_cells_fraction", r3(clipped));
    if clipped > rules.max_clipped_cells && !fills_frame {
        report.push(Reason::new(
            Code::DocumentExposure,
            json!({
                "problem": "too_bright",
                "clipped_cells_fraction": r3(clipped),
                "max_clipped_cells": rules.max_clipped_cells,
                "paper_brightness": median,
                "clipped_paper_brightness": rules.clipped_paper_brightness,
            }),
        ));
        return false;
    }
    let problem = if median < rules.min_paper_brightness {
        Some("too_dark")
    } else if ratio < rules.min_shadow_ratio {
        Some("shadow")
    } else {
        None
    };
    if let Some(problem) = problem {
        report.push(Reason::new(
            Code::DocumentExposure,
            json!({
                "problem": problem,
                "paper_brightness": median,
                "min_paper_brightness": rules.min_paper_brightness,
                "shadow_ratio": r3(ratio),
                "min_shadow_ratio": rules.min_shadow_ratio,
            }),
        ));
        return false;
    }
    true
}

/// `form.blank` and `form.altered` on the page inside `corners`.
fn check_writing(
    d: &Decoded,
    corners: &[(f64, f64); 4],
    turned: Option<&[(f64, f64); 4]>,
    rules: &FormRules,
    report: &mut FileReport,
) {
    let read = |c: &[(f64, f64); 4]| {
        let flat = flatten(&d.rgb, c, rules.analysis_width, rules.blue_excess)?;
        let ink = measure_ink(&flat, &ink_params(rules));
        Some((flat, ink))
    };
    let Some(first) = read(corners) else {
        return;
    };
    let (corners, (flat, ink)) = match turned.and_then(|t| read(t).map(|r| (t, r))) {
        Some((t, second)) if second.1.empty_fields < first.1.empty_fields => (t, second),
        _ => (corners, first),
    };
    // The page as flattened, in the uploaded image's pixels: the boxes of
    // form.altered are shares of it.
    let k = f64::from(d.original.0) / f64::from(d.rgb.width().max(1));
    let outline: Vec<[f64; 2]> = corners.iter().map(|(x, y)| [r1(x * k), r1(y * k)]).collect();
    report.measure("form_page_corners", json!(outline));
    check_blank(&ink, rules, report);
    // A blank form's fields hold only print: typed or not is moot.
    if !report.has(Code::FormBlank) {
        check_typed(d, corners, &flat, &ink.written, rules, report);
    }
    check_altered(ink, &flat, rules, report);
}

/// `form.not_handwritten`: the fill-ins' characters repeat at one size, as
/// typed text does, and little of their ink is a pen's blue. The fields are
/// sampled again at the photo's own resolution of the page.
fn check_typed(
    d: &Decoded,
    corners: &[(f64, f64); 4],
    flat: &FlatPage,
    fields: &[[u32; 4]],
    rules: &FormRules,
    report: &mut FileReport,
) {
    let (fw, fh) = flat.luma.dimensions();
    let page_width = (dist(corners[0], corners[1]) + dist(corners[3], corners[2])) / 2.0;
    let page_height = (dist(corners[0], corners[3]) + dist(corners[1], corners[2])) / 2.0;
    let native = page_width.min(page_height) / f64::from(fw.min(fh).max(1));
    let s = measure_fills_in(
        &d.rgb,
        corners,
        (fw, fh),
        fields,
        native.clamp(1.0, 2.0),
        rules.ink_ratio,
        rules.blue_excess,
        rules.typed_similarity,
    );
    let share = s.same_size_share();
    report.measure("form_fill_characters", s.characters);
    report.measure("form_fill_similar_pairs", s.similar_pairs);
    report.measure("form_fill_same_size_share", r3(share));
    report.measure("form_fill_blue_share", r3(s.blue_share));
    if s.similar_pairs >= rules.typed_min_pairs
        && share >= rules.typed_min_share
        && s.blue_share < rules.typed_max_blue_share
    {
        report.push(
            Reason::new(
                Code::FormNotHandwritten,
                json!({
                    "similar_pairs": s.similar_pairs,
                    "same_size_share": r3(share),
                    "min_share": rules.typed_min_share,
                    "blue_share": r3(s.blue_share),
                }),
            )
            .with_severity(rules.not_handwritten_severity),
        );
    }
}

/// `form.blank`: enough fields found, enough of them empty, and little blue
/// ink.
fn check_blank(ink: &InkMeasure, rules: &FormRules, report: &mut FileReport) {
    let empty_share = if ink.fields == 0 {
        0.0
    } else {
        f64::from(ink.empty_fields) / f64::from(ink.fields)
    };
    report.measure("form_fields", ink.fields);
    report.measure("form_empty_fields", ink.empty_fields);
    report.measure("form_skipped_list_rows", ink.skipped_rows);
    report.measure("form_blue_ink", round_to(ink.blue_ink, 5));
    if ink.fields >= rules.min_fields
        && ink.empty_fields >= rules.min_empty_fields
        && empty_share >= rules.max_empty_share
        && ink.blue_ink < rules.min_blue_ink
    {
        report.push(Reason::new(
            Code::FormBlank,
            json!({
                "fields": ink.fields,
                "empty_fields": ink.empty_fields,
                "empty_share": r3(empty_share),
                "max_empty_share": rules.max_empty_share,
                "blue_ink": round_to(ink.blue_ink, 5),
                "min_blue_ink": rules.min_blue_ink,
                "min_empty_fields": rules.min_empty_fields,
            }),
        ));
    }
}

/// `form.altered`: scribbles, correction tape and strike-throughs, as boxes
/// that are shares of the flattened page; at the rulebook's in-field
/// severity when one lies in a field, at its other severity when none does.
fn check_altered(mut ink: InkMeasure, flat: &FlatPage, rules: &FormRules, report: &mut FileReport) {
    // Corrections are made where the form is written, inside its margins;
    // ink that reaches the page's edge is something lying across it (a pen,
    // a phone), not a correction.
    let (fw, fh) = (flat.luma.width(), flat.luma.height());
    let (mx, my) = (
        (f64::from(fw) * rules.edge_clutter) as u32,
        (f64::from(fh) * rules.edge_clutter) as u32,
    );
    let inside = |b: &&[u32; 4]| b[0] > mx && b[1] > my && b[2] + mx < fw && b[3] + my < fh;
    for v in [&mut ink.scribbles, &mut ink.tape_patches, &mut ink.strikes] {
        let kept: Vec<[u32; 4]> = v.iter().filter(inside).copied().collect();
        *v = kept;
    }
    if !ink.scribbles.is_empty() || !ink.tape_patches.is_empty() || !ink.strikes.is_empty() {
        // Boxes as shares of the flattened page, for a reviewer to find them.
        let (w, h) = (f64::from(flat.luma.width()), f64::from(flat.luma.height()));
        let boxes = |v: &[[u32; 4]]| -> Vec<[f64; 4]> {
            v.iter()
                .map(|b| {
                    [
                        r3(f64::from(b[0]) / w),
                        r3(f64::from(b[1]) / h),
                        r3(f64::from(b[2]) / w),
                        r3(f64::from(b[3]) / h),
                    ]
                })
                .collect()
        };
        // A mark whose middle lies in a field (a table cell, the strip
        // above a fill-in line) changes what was written: certain, and the
        // rulebook's in-field severity. Elsewhere it may be print (a logo, a
        // filled box): the other severity.
        // Tape over a fill-in line hides that part of the line: a mark
        // that a field's strip runs up to (within 2 mm), at its height, is
        // on that line too.
        let near = (f64::from(fw) * 0.01) as u32;
        let in_field = |b: &[u32; 4]| {
            let (cx, cy) = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2);
            ink.field_boxes
                .iter()
                .filter(|f| f[1] <= cy && cy <= f[3])
                .any(|f| (f[0] <= cx && cx <= f[2]) || f[2].abs_diff(b[0]) <= near || f[0].abs_diff(b[2]) <= near)
        };
        let count = |v: &[[u32; 4]]| v.iter().filter(|b| in_field(b)).count();
        let in_fields = json!({
            "scribbles": count(&ink.scribbles),
            "correction_patches": count(&ink.tape_patches),
            "strike_throughs": count(&ink.strikes),
        });
        let any_in_field = [&ink.scribbles, &ink.tape_patches, &ink.strikes]
            .iter()
            .any(|v| v.iter().any(in_field));
        let severity = if any_in_field {
            rules.altered_in_field_severity
        } else {
            rules.altered_severity
        };
        report.push(
            Reason::new(
                Code::FormAltered,
                json!({
                    "scribbles": boxes(&ink.scribbles),
                    "correction_patches": boxes(&ink.tape_patches),
                    "strike_throughs": boxes(&ink.strikes),
                    "in_fields": in_fields,
                }),
            )
            .with_severity(severity),
        );
    }
}

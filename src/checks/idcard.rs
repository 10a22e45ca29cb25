//! The ID-card photos (身份证人像面 / 国徽面): the card found and whole, of
//! ID-1 proportions and large enough, on white paper, sharp, well exposed,
//! without glare, and the right side in the right slot. The card is found
//! as geometry (`measure::quad`); its corners and every score go into the
//! measurements for a reviewer to draw.

use crate::checks::cut_off;
use crate::codes::Code;
use crate::eligibility::idnumber::{self, mask};
use crate::input::decode::Decoded;
use crate::measure::blur::measure_blur;
use crate::measure::card::{box_in_frame, margin_objects, rectify, CARD_H};
use crate::measure::colour::lab;
use crate::measure::exposure::measure_exposure;
use crate::measure::glyphs::Model;
use crate::measure::idtext::{
    birth_grammar, number_grammar, occlusion, read_line, sex_grammar, validity_grammar, CardLine, LineSpec,
};
use crate::measure::quad::{band_outside, find_quad, first_side, Quad, QuadSearch};
use crate::measure::{luma, r1, r3, region};
use crate::pipeline::Budget;
use crate::report::{FileReport, Reason};
use crate::rules::{IdCardRead, IdCardRules};
use chrono::{Datelike, NaiveDate};
use image::{GrayImage, RgbImage};
use serde_json::json;

/// Hough lines kept per 10° of direction in the card search: plank grain,
/// all one way, filled the 64 lines and a small card's sides were not
/// among them (too small reported 31-34 of 36 small cards, 34-36 with 20).
const CARD_LINES_PER_DIRECTION: usize = 20;

/// What the quad search looks for in an ID-card photo, from the rulebook.
pub fn card_search(rules: &IdCardRules) -> QuadSearch {
    QuadSearch {
        aspects: vec![rules.aspect_ratio],
        aspect_tolerance: rules.aspect_tolerance,
        min_area: rules.min_region_fraction,
        min_score: rules.min_quad_score,
        full_frame_score: None,
        corner_margin: rules.corner_margin,
        frame_side_factor: rules.frame_side_factor,
        max_corner_outside: rules.max_corner_outside,
        lines_per_direction: Some(CARD_LINES_PER_DIRECTION),
    }
}

/// Runs the card checks on an upright image uploaded for `slot`.
pub fn check_idcard(d: &Decoded, slot: &str, rules: &IdCardRules, budget: &Budget, report: &mut FileReport) {
    let Some(card) = locate_card(d, rules, report) else {
        return;
    };
    if budget.stop("card", report) {
        return;
    }
    check_background(d, &card, rules, report);
    // The long side first, as `rectify` lays the card.
    let Some(rectified) = rectify(&d.rgb, &first_side(card.corners, true)) else {
        // The outline is degenerate: no projection maps it to a card.
        report.push(Reason::new(
            Code::IdcardNotFound,
            json!({ "problem": "no_quadrilateral" }),
        ));
        return;
    };
    let y = luma(&rectified);
    let frame = first_side(card.corners, true);
    check_card_image(&y, &frame, upload_scale(d), rules, report);
    check_margin(&rectified, &frame, upload_scale(d), rules, report);
    let (side_ok, turned) = check_side(&rectified, &y, slot, rules, report);
    if side_ok && !budget.stop("card_text", report) {
        let back = slot == rules.back_slot;
        check_text(d, &first_side(card.corners, true), back, turned, rules, budget, report);
    }
}

/// Reads the card (`measure::idtext`): the front's number
/// (`idcard.number_invalid`), the back's validity (`idcard.expired`,
/// `idcard.validity_invalid`), and something covering either line
/// (`idcard.occluded`). A read below `read.min_confidence` gives no
/// verdict, only its measurements. The number is reported masked.
fn check_text(
    d: &Decoded,
    corners: &[(f64, f64); 4],
    back: bool,
    turned: bool,
    rules: &IdCardRules,
    budget: &Budget,
    report: &mut FileReport,
) {
    let Some(model) = Model::embedded() else {
        return;
    };
    let r = &rules.read;
    let (band, digit_mm, grammars, name) = if back {
        (
            r.validity_band,
            r.validity_digit_mm,
            validity_grammar(),
            "validity_line",
        )
    } else {
        (r.number_band, r.number_digit_mm, number_grammar(), "number_line")
    };
    let spec = LineSpec {
        band,
        digit_mm,
        px_per_mm: r.px_per_mm,
        grammars,
    };
    // The back's emblem says which way up it lies; the front is read both
    // ways (its number is the surer sign), its portrait decides when the
    // number is not read.
    let line = CardLine::new(&d.rgb, corners, &spec);
    let read = line.read(model, back.then_some(turned));
    let confident = |l: &crate::measure::idtext::LineRead| f64::from(l.confidence) >= r.min_confidence;
    // Occlusion on the band the line was read from (the side it lay).
    let upside_down = match &read {
        Some(l) if !back && confident(l) => l.upside_down,
        _ => turned,
    };
    // Boxes in card shares, drawn for a reviewer as outlines in the upload's pixels.
    let k = upload_scale(d);
    let outline = |frame: &[(f64, f64); 4], b: [f64; 4]| outline_in_image(frame, b, k);
    if let Some(b) = line.band(upside_down) {
        let stroke = (0.22 * digit_mm * r.px_per_mm).round().max(1.0) as usize;
        let (fraction, bbox) = occlusion(b, stroke, r.occlusion_dark_share, r.occlusion_light_levels);
        report.measure("card_occlusion_fraction", r3(fraction));
        if fraction >= r.occlusion_min_fraction {
            // One reason for what covers the card: the margin's, if found.
            if !report.has(Code::IdcardOccluded) {
                report.push(Reason::new(
                    Code::IdcardOccluded,
                    json!({
                        "line": name,
                        "fraction": r3(fraction),
                        "min_fraction": r.occlusion_min_fraction,
                        "box": bbox.map(r3),
                        "outline": outline(&line.corners(upside_down), bbox),
                    }),
                ));
            }
            return;
        }
    }
    let Some(read) = read else {
        report.measure("card_text_read", false);
        return;
    };
    let confident = confident(&read);
    report.measure("card_text_upside_down", read.upside_down);
    report.measure("card_text_confidence", r3(f64::from(read.confidence)));
    report.measure("card_text_box", json!(read.bbox().map(r3)));
    report.measure(
        "card_text_outline",
        outline(&line.corners(read.upside_down), read.bbox()),
    );
    if back {
        check_validity(&read.text, confident, r, budget.as_of(), report);
    } else {
        let printed = if confident {
            read_printed(d, &line.corners(read.upside_down), r, model, report)
        } else {
            Printed::default()
        };
        check_number(&read.text, confident, &printed, budget, report);
    }
}

/// What the front prints besides the number, as read confidently.
#[derive(Debug, Default)]
struct Printed {
    birth: Option<NaiveDate>,
    male: Option<bool>,
}

/// Reads the front's 出生 and 性别 values (the same way up as the number);
/// each is kept only when read above `min_confidence`.
fn read_printed(
    d: &Decoded,
    corners: &[(f64, f64); 4],
    r: &IdCardRead,
    model: &Model,
    report: &mut FileReport,
) -> Printed {
    let mut printed = Printed::default();
    let spec = |band, grammars| LineSpec {
        band,
        digit_mm: r.birth_digit_mm,
        px_per_mm: r.px_per_mm,
        grammars,
    };
    // A misread here rejects a valid card whose number is right, so the
    // cross-check asks more of its reads than the number does.
    let sure = |l: &crate::measure::idtext::LineRead| f64::from(l.confidence) >= r.printed_min_confidence;
    if let Some(sex) = read_line(&d.rgb, corners, &spec(r.sex_band, sex_grammar()), model, Some(false)).filter(sure) {
        printed.male = Some(sex.text == "男");
    }
    if let Some(birth) = read_line(
        &d.rgb,
        corners,
        &spec(r.birth_band, birth_grammar()),
        model,
        Some(false),
    )
    .filter(sure)
    {
        // The grammar allows any digits; a year before 1900 is a misread.
        printed.birth = NaiveDate::parse_from_str(&birth.text, "%Y年%m月%d日")
            .ok()
            .filter(|d| d.year() >= 1900);
    }
    report.measure("card_printed_read", printed.birth.is_some() && printed.male.is_some());
    printed
}

/// `idcard.expired` and `idcard.validity_invalid` from the 有效期限 read.
fn check_validity(text: &str, confident: bool, r: &IdCardRead, as_of: NaiveDate, report: &mut FileReport) {
    report.measure("card_validity", text);
    if !confident {
        return;
    }
    let (from, to) = text.split_once('-').unwrap_or((text, ""));
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y.%m.%d").ok();
    let invalid = |why: &str, report: &mut FileReport| {
        report.push(Reason::new(
            Code::IdcardValidityInvalid,
            json!({ "validity": text, "problem": why, "years": r.validity_years }),
        ));
    };
    let Some(start) = date(from) else {
        return invalid("start_date", report);
    };
    if start > as_of {
        return invalid("start_in_future", report);
    }
    if to == "长期" {
        return;
    }
    let Some(end) = date(to) else {
        return invalid("end_date", report);
    };
    let years = end.years_since(start).map_or(-1, |y| y as i32);
    let exact = start.checked_add_months(chrono::Months::new(12 * years.max(0) as u32)) == Some(end);
    if !(exact && r.validity_years.contains(&years)) {
        return invalid("span", report);
    }
    if end < as_of {
        report.push(Reason::new(
            Code::IdcardExpired,
            json!({ "valid_to": to, "as_of": as_of.to_string() }),
        ));
    }
}

/// `idcard.number_invalid` from the 公民身份号码 read (GB 11643: address
/// code, birth date, check character), and against a declared number.
fn check_number(text: &str, confident: bool, printed: &Printed, budget: &Budget, report: &mut FileReport) {
    let masked = if budget.unmask_id() {
        text.to_string()
    } else {
        mask(text)
    };
    report.measure("card_id_number", masked.as_str());
    if !confident {
        return;
    }
    let problem = match idnumber::parse(text, budget.as_of()) {
        Err(p) => Some(p.as_str()),
        Ok(id) => {
            if budget
                .declared_id()
                .is_some_and(|declared| !declared.trim().eq_ignore_ascii_case(text))
            {
                Some("declared")
            } else if printed.birth.is_some_and(|b| b != id.birth) {
                Some("birth_line")
            } else if printed.male.is_some_and(|m| m != id.male) {
                Some("sex_line")
            } else {
                None
            }
        }
    };
    if let Some(problem) = problem {
        report.push(Reason::new(
            Code::IdcardNumberInvalid,
            json!({ "id_number": masked, "problem": problem }),
        ));
    }
}

/// The box `b` (x0, y0, x1, y1 in shares of the card lying as `frame`
/// says) as four points in the upload's pixels (`k` per decoded pixel).
fn outline_in_image(frame: &[(f64, f64); 4], b: [f64; 4], k: f64) -> serde_json::Value {
    match box_in_frame(frame, b) {
        Some(q) => json!(q.map(|(x, y)| [r1(x * k), r1(y * k)])),
        None => serde_json::Value::Null,
    }
}

/// Upload pixels per decoded pixel (a huge photo is decoded at a reduced
/// scale; reports give positions in the upload's pixels).
fn upload_scale(d: &Decoded) -> f64 {
    f64::from(d.original.0) / f64::from(d.rgb.width().max(1))
}

/// The card as geometry: `idcard.not_found` (no quadrilateral, or none of
/// the card's shape), `idcard.cropped` (a corner outside the frame) and
/// `idcard.too_small`. Returns the card when the other checks can look at it.
fn locate_card(d: &Decoded, rules: &IdCardRules, report: &mut FileReport) -> Option<Quad> {
    let found = find_quad(&d.rgb, &card_search(rules));
    let Some(card) = found.best.filter(|q| q.score >= rules.min_quad_score) else {
        // Something with four clear sides, but not of the card's shape? (Not
        // when it is about the whole frame: that is the frame's own edges.)
        if let Some(any) = found
            .best_any_shape
            .filter(|q| q.edge_score >= rules.min_quad_score && q.area_fraction < rules.max_shape_area)
        {
            report.push(not_card_shaped(any.aspect, rules));
            return None;
        }
        report.push(Reason::new(
            Code::IdcardNotFound,
            json!({
                "problem": "no_quadrilateral",
                "best_score": r3(found.best_score),
                "min_score": rules.min_quad_score,
            }),
        ));
        return None;
    };
    let k = upload_scale(d);
    let corners: Vec<[f64; 2]> = card.corners.iter().map(|(x, y)| [r1(x * k), r1(y * k)]).collect();
    report.measure("card_corners", json!(corners));
    report.measure("card_aspect", r3(card.aspect));
    report.measure("card_area_fraction", r3(card.area_fraction));
    report.measure("card_score", r3(card.score));
    let (out, edges) = cut_off(&card, d.rgb.width(), d.rgb.height(), rules.max_corner_outside);
    if !out.is_empty() || !edges.is_empty() {
        report.push(Reason::new(
            Code::IdcardCropped,
            json!({
                "corners": corners,
                "outside": out,
                "edges": edges,
                "area_fraction": r3(card.area_fraction),
            }),
        ));
        return None;
    }
    if (card.aspect / rules.aspect_ratio - 1.0).abs() > rules.aspect_tolerance {
        report.push(not_card_shaped(card.aspect, rules));
        return None;
    }
    if card.area_fraction < rules.min_area_fraction {
        report.push(Reason::new(
            Code::IdcardTooSmall,
            json!({ "area_fraction": r3(card.area_fraction), "min_area_fraction": rules.min_area_fraction }),
        ));
    }
    Some(card)
}

fn not_card_shaped(aspect: f64, rules: &IdCardRules) -> Reason {
    Reason::new(
        Code::IdcardNotFound,
        json!({
            "problem": "not_card_shaped",
            "aspect": r3(aspect),
            "expected": rules.aspect_ratio,
            "tolerance": rules.aspect_tolerance,
        }),
    )
}

/// `idcard.background_not_white`. The background is what lies just outside
/// the card, not the frame's ring (a card on white paper on a desk has
/// white around it), judged against the card's own margin just inside its
/// edge: both are under the same light, so a cool or warm white balance or
/// a dim room does not turn white paper into "not white", while wood or a
/// dark desk stays far from the pale card.
fn check_background(d: &Decoded, card: &Quad, rules: &IdCardRules, report: &mut FileReport) {
    let (inner, outer) = (rules.background_band_inner, rules.background_band_outer);
    let outside = band_outside(&d.rgb, &card.corners, inner, outer);
    let margin = band_outside(&d.rgb, &card.corners, -outer, -inner);
    let (Some([bl, ba, bb]), Some([cl, ca, cb])) = (outside, margin) else {
        return;
    };
    let chroma = ((ba - ca).powi(2) + (bb - cb).powi(2)).sqrt();
    let darker = cl - bl;
    report.measure("background_lab", json!([r3(bl), r3(ba), r3(bb)]));
    report.measure("card_margin_lab", json!([r3(cl), r3(ca), r3(cb)]));
    if bl < rules.background_min_lightness
        || darker > rules.background_max_darker
        || chroma > rules.background_max_chroma
    {
        report.push(Reason::new(
            Code::IdcardBackgroundNotWhite,
            json!({
                "lightness": r3(bl),
                "darker_than_card": r3(darker),
                "chroma": r3(chroma),
                "min_lightness": rules.background_min_lightness,
                "max_darker": rules.background_max_darker,
                "max_chroma": rules.background_max_chroma,
            }),
        ));
    }
}

/// `idcard.occluded` at the card's edge: something lying across its quiet
/// margin (a pen, a finger holding it, a phone over it), as pieces of the
/// margin ring that are not card (`measure::card::margin_objects`) and
/// reach across most of the ring.
fn check_margin(card: &RgbImage, frame: &[(f64, f64); 4], k: f64, rules: &IdCardRules, report: &mut FileReport) {
    let pieces = margin_objects(card, rules.margin_ring_mm, rules.margin_corner_mm);
    let found = pieces
        .iter()
        .find(|p| p.area_mm2 >= rules.margin_object_min_mm2 && p.depth >= rules.margin_object_min_depth);
    report.measure(
        "card_margin_object_mm2",
        r3(found.or(pieces.first()).map_or(0.0, |p| p.area_mm2)),
    );
    if let Some(p) = found {
        report.push(Reason::new(
            Code::IdcardOccluded,
            json!({
                "line": "card_margin",
                "area_mm2": r3(p.area_mm2),
                "min_area_mm2": rules.margin_object_min_mm2,
                "depth": r3(p.depth),
                "min_depth": rules.margin_object_min_depth,
                "box": p.bbox.map(r3),
                "outline": outline_in_image(frame, p.bbox, k),
            }),
        ));
    }
}

/// `idcard.blurry`, `idcard.exposure`, `idcard.glare` on the rectified
/// card's luma.
fn check_card_image(y: &GrayImage, frame: &[(f64, f64); 4], k: f64, rules: &IdCardRules, report: &mut FileReport) {
    let blur = measure_blur(y, CARD_H);
    report.measure("card_blur", r3(blur));
    if blur > rules.max_blur {
        report.push(Reason::new(
            Code::IdcardBlurry,
            json!({ "blur": r3(blur), "max_blur": rules.max_blur }),
        ));
    }

    // Exposure and glare inside the card, away from its rounded corners.
    let (cw, ch) = y.dimensions();
    let [x0, y0, x1, y1] = rules.inner_region;
    let ex = measure_exposure(y, region(cw, ch, x0, y0, x1, y1));
    report.measure("card_exposure_median", ex.median);
    let median = f64::from(ex.median);
    if median < rules.min_median || median > rules.max_median {
        let problem = if median < rules.min_median {
            "too_dark"
        } else {
            "too_bright"
        };
        report.push(Reason::new(
            Code::IdcardExposure,
            json!({ "problem": problem, "median": ex.median, "min_median": rules.min_median, "max_median": rules.max_median }),
        ));
    }
    // Blown out: the exposure measure's clipped share (luma >= 250).
    let glare = ex.clipped_fraction;
    report.measure("card_glare_fraction", r3(glare));
    // Where the largest spot is, for a reviewer (only when there is one worth
    // seeing: a tenth of the limit).
    let spot = (glare > rules.max_glare_fraction / 10.0)
        .then(|| glare_spot(y, region(cw, ch, x0, y0, x1, y1)))
        .flatten();
    let outline = spot.map(|b| outline_in_image(frame, b, k));
    if let (Some(b), Some(o)) = (spot, &outline) {
        report.measure("card_glare_box", json!(b.map(r3)));
        report.measure("card_glare_outline", o.clone());
    }
    if glare > rules.max_glare_fraction && median <= rules.max_median {
        report.push(Reason::new(
            Code::IdcardGlare,
            json!({ "glare_fraction": r3(glare), "max_glare_fraction": rules.max_glare_fraction, "outline": outline }),
        ));
    }
}

/// The largest 8-connected spot of blown-out pixels (luma >= 250) inside
/// `area` of the rectified card, as a box in card shares.
fn glare_spot(y: &GrayImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> Option<[f64; 4]> {
    use imageproc::region_labelling::{connected_components, Connectivity};
    let (w, h) = y.dimensions();
    let clipped = GrayImage::from_fn(w, h, |x, yy| {
        let inside = (x0..x1).contains(&x) && (y0..y1).contains(&yy);
        image::Luma([if inside && y.get_pixel(x, yy).0[0] >= 250 {
            255
        } else {
            0
        }])
    });
    let labels = connected_components(&clipped, Connectivity::Eight, image::Luma([0u8]));
    // Per label: pixel count and box.
    let mut spots: std::collections::HashMap<u32, (u32, [u32; 4])> = std::collections::HashMap::new();
    for (x, yy, l) in labels.enumerate_pixels() {
        if l.0[0] == 0 {
            continue;
        }
        let e = spots.entry(l.0[0]).or_insert((0, [x, yy, x, yy]));
        e.0 += 1;
        e.1 = [e.1[0].min(x), e.1[1].min(yy), e.1[2].max(x), e.1[3].max(yy)];
    }
    let (_, b) = spots.into_values().max_by_key(|(n, _)| *n)?;
    let (fw, fh) = (f64::from(w), f64::from(h));
    Some([
        f64::from(b[0]) / fw,
        f64::from(b[1]) / fh,
        f64::from(b[2] + 1) / fw,
        f64::from(b[3] + 1) / fh,
    ])
}

/// `idcard.wrong_side`: the red emblem sits in `emblem_region` of the back
/// (its top-left quarter); a card photographed upside down has it in the
/// opposite corner, so the region turned half a turn counts too. Returns
/// whether the side is the slot's, and whether the emblem lies turned
/// (the card upside down).
fn check_side(
    rectified: &RgbImage,
    y: &GrayImage,
    slot: &str,
    rules: &IdCardRules,
    report: &mut FileReport,
) -> (bool, bool) {
    let (cw, ch) = rectified.dimensions();
    let red = |(x0, y0, x1, y1): (u32, u32, u32, u32)| {
        let (mut k, mut m) = (0u32, 0u32);
        for yy in y0..y1 {
            for xx in x0..x1 {
                m += 1;
                k += u32::from(f64::from(lab(rectified.get_pixel(xx, yy).0).a) > rules.emblem_min_a);
            }
        }
        if m == 0 {
            0.0
        } else {
            f64::from(k) / f64::from(m)
        }
    };
    let either_way = |[x0, y0, x1, y1]: [f64; 4], f: &dyn Fn((u32, u32, u32, u32)) -> f64| {
        (
            f(region(cw, ch, x0, y0, x1, y1)),
            f(region(cw, ch, 1.0 - x1, 1.0 - y1, 1.0 - x0, 1.0 - y0)),
        )
    };
    let (upright, upside_down) = either_way(rules.emblem_region, &red);
    let emblem = upright.max(upside_down);
    report.measure("emblem_fraction", r3(emblem));
    let is_back = emblem >= rules.emblem_min_fraction;
    let expected = if slot == rules.front_slot && is_back {
        Some("front")
    } else if slot == rules.back_slot && !is_back {
        Some("back")
    } else {
        None
    };
    if let Some(expected) = expected {
        report.push(Reason::new(
            Code::IdcardWrongSide,
            json!({
                "expected": expected,
                "emblem_fraction": r3(emblem),
                "emblem_min_fraction": rules.emblem_min_fraction,
            }),
        ));
    }
    let turned = if is_back {
        upside_down > upright
    } else {
        // The front: the portrait's hair and clothes are far darker than the
        // card, its text on the other side is thin.
        let paper = f64::from(measure_exposure(y, (0, 0, cw, ch)).median);
        let dark = |(x0, y0, x1, y1): (u32, u32, u32, u32)| {
            let (mut k, mut m) = (0u32, 0u32);
            for yy in y0..y1 {
                for xx in x0..x1 {
                    m += 1;
                    k += u32::from(f64::from(y.get_pixel(xx, yy).0[0]) < DARK_PORTRAIT * paper);
                }
            }
            f64::from(k) / f64::from(m.max(1))
        };
        let (upright, upside_down) = either_way(rules.portrait_region, &dark);
        upside_down > upright
    };
    (
        expected.is_none() && (slot == rules.front_slot || slot == rules.back_slot),
        turned,
    )
}

/// A pixel under this share of the card's median luma is dark for the
/// portrait's side (hair and clothes, not skin or the card's print tint).
const DARK_PORTRAIT: f64 = 0.5;

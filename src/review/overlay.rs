//! The evidence of one file drawn as SVG over its image: the face box with
//! the 1-inch limit lines, the card's and the page's outlines and corners,
//! the lines read on the card, its glare spot, what covers it, and the boxes of
//! `form.altered`. Everything comes from the report's measurements (the
//! results file), nothing is measured again. Coordinates are the upload's
//! pixels: the SVG's `viewBox` is the image's width × height, so it scales
//! with the image it lies over.

use crate::codes::Code;
use crate::measure::card::box_in_frame;
use crate::report::FileReport;
use crate::rules::PhotoRules;
use serde_json::Value;
use std::fmt::Write as _;

/// The SVG for `file`, or `None` when its size is unknown (nothing was
/// decoded, so there is nothing to draw on).
pub fn svg(file: &FileReport, photo: &PhotoRules) -> Option<String> {
    let m = &file.measurements;
    let w = m.get("width")?.as_f64()?;
    let h = m.get("height")?.as_f64()?;
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    // Strokes a constant share of the image, so they read at any size.
    let stroke = (w.max(h) / 300.0).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" preserveAspectRatio="none" data-width="{w}" data-height="{h}" style="--stroke:{stroke:.1}">"#
    );
    faces(&mut s, m, w, h, photo);
    if let Some(c) = corners(m.get("card_corners")) {
        outline(&mut s, "card", &c, stroke);
    }
    if let Some(c) = corners(m.get("card_text_outline")) {
        polygon(&mut s, "text-line", &c);
    }
    if let Some(c) = corners(m.get("card_glare_outline")) {
        polygon(&mut s, "glare", &c);
    }
    let page = corners(m.get("form_page_corners")).or_else(|| corners(m.get("page_corners")));
    if let Some(c) = &page {
        outline(&mut s, "page", c, stroke);
    }
    for r in &file.reasons {
        match r.code {
            Code::IdcardOccluded => {
                if let Some(c) = corners(r.detail.get("outline")) {
                    polygon(&mut s, "occluded", &c);
                }
            }
            Code::FormAltered => {
                if let Some(c) = &page {
                    altered(&mut s, &r.detail, c);
                }
            }
            _ => {}
        }
    }
    s.push_str("</svg>");
    Some(s)
}

/// Face boxes, and the 1-inch photo's limits: the crown band (top_min …
/// top_max), the chin line (bottom_max), the centre band.
fn faces(s: &mut String, m: &serde_json::Map<String, Value>, w: f64, h: f64, photo: &PhotoRules) {
    let Some(boxes) = m.get("face_boxes").and_then(Value::as_array) else {
        return;
    };
    let f = &photo.face;
    let line = |s: &mut String, class: &str, x1: f64, y1: f64, x2: f64, y2: f64| {
        let _ = write!(
            s,
            r#"<line class="limit {class}" x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"/>"#
        );
    };
    line(s, "top-min", 0.0, f.top_min * h, w, f.top_min * h);
    line(s, "top-max", 0.0, f.top_max * h, w, f.top_max * h);
    line(s, "bottom-max", 0.0, f.bottom_max * h, w, f.bottom_max * h);
    let (cl, cr) = ((0.5 - f.max_centre_offset) * w, (0.5 + f.max_centre_offset) * w);
    line(s, "centre", cl, 0.0, cl, h);
    line(s, "centre", cr, 0.0, cr, h);
    for (i, b) in boxes.iter().enumerate() {
        let get = |k: &str| b.get(k).and_then(Value::as_f64);
        if let (Some(x), Some(y), Some(bw), Some(bh)) = (get("x"), get("y"), get("width"), get("height")) {
            let _ = write!(
                s,
                r#"<rect class="face" data-index="{i}" x="{x}" y="{y}" width="{bw}" height="{bh}"/>"#
            );
        }
    }
}

/// Four `[x, y]` points.
fn corners(v: Option<&Value>) -> Option<[(f64, f64); 4]> {
    let a = v?.as_array()?;
    if a.len() != 4 {
        return None;
    }
    let mut out = [(0.0, 0.0); 4];
    for (o, p) in out.iter_mut().zip(a) {
        let p = p.as_array()?;
        *o = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
    }
    Some(out)
}

fn points(c: &[(f64, f64); 4]) -> String {
    c.iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn polygon(s: &mut String, class: &str, c: &[(f64, f64); 4]) {
    let _ = write!(s, r#"<polygon class="{class}" points="{}"/>"#, points(c));
}

/// An outline with its corners marked (numbered as measured).
fn outline(s: &mut String, class: &str, c: &[(f64, f64); 4], stroke: f64) {
    polygon(s, class, c);
    for (i, (x, y)) in c.iter().enumerate() {
        let _ = write!(
            s,
            r#"<circle class="corner {class}-corner" data-corner="{i}" cx="{x}" cy="{y}" r="{:.1}"/>"#,
            stroke * 2.5
        );
    }
}

/// The boxes of `form.altered` (shares of the flattened page whose corners
/// are `page`) as quadrilaterals in the upload's pixels.
fn altered(s: &mut String, detail: &serde_json::Map<String, Value>, page: &[(f64, f64); 4]) {
    for (key, class) in [
        ("scribbles", "scribble"),
        ("correction_patches", "tape"),
        ("strike_throughs", "strike"),
    ] {
        let Some(boxes) = detail.get(key).and_then(Value::as_array) else {
            continue;
        };
        for b in boxes {
            let Some(b) = b.as_array() else { continue };
            let v: Vec<f64> = b.iter().filter_map(Value::as_f64).collect();
            if v.len() != 4 {
                continue;
            }
            if let Some(q) = box_in_frame(page, [v[0], v[1], v[2], v[3]]) {
                polygon(s, &format!("altered {class}"), &q);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Reason;
    use crate::rules::Rules;
    use serde_json::json;

    fn report(measurements: Value) -> FileReport {
        let mut f = FileReport::new("x.jpg", None);
        if let Value::Object(m) = measurements {
            f.measurements = m;
        }
        f
    }

    #[test]
    fn nothing_to_draw_on_without_a_size() -> Result<(), crate::Error> {
        let rules = Rules::builtin()?;
        assert_eq!(svg(&report(json!({"bytes": 10})), rules.photo()), None);
        Ok(())
    }

    #[test]
    fn the_face_box_and_the_limits_are_where_the_measurements_say() -> Result<(), crate::Error> {
        let rules = Rules::builtin()?;
        let f = report(json!({"width": 295, "height": 413,
            "face_boxes": [{"x": 84.3, "y": 109.1, "width": 126.9, "height": 126.9, "score": 8.0}]}));
        let s = svg(&f, rules.photo()).unwrap_or_default();
        assert!(s.contains(r#"viewBox="0 0 295 413""#), "{s}");
        assert!(
            s.contains(r#"<rect class="face" data-index="0" x="84.3" y="109.1" width="126.9" height="126.9"/>"#),
            "{s}"
        );
        let top_min = rules.photo().face.top_min * 413.0;
        assert!(
            s.contains(&format!(r#"class="limit top-min" x1="0.0" y1="{top_min:.1}""#)),
            "{s}"
        );
        Ok(())
    }

    #[test]
    fn altered_boxes_follow_the_page_in_perspective() -> Result<(), crate::Error> {
        let rules = Rules::builtin()?;
        let mut f = report(json!({"width": 1000, "height": 1000,
            "form_page_corners": [[100.0, 100.0], [900.0, 100.0], [900.0, 900.0], [100.0, 900.0]]}));
        f.push(Reason::new(
            Code::FormAltered,
            json!({"scribbles": [[0.25, 0.5, 0.5, 0.75]], "correction_patches": [], "strike_throughs": []}),
        ));
        let s = svg(&f, rules.photo()).unwrap_or_default();
        assert!(
            s.contains(
                r#"<polygon class="altered scribble" points="300.0,500.0 500.0,500.0 500.0,700.0 300.0,700.0"/>"#
            ),
            "{s}"
        );
        assert!(s.contains(r#"class="page""#), "{s}");
        assert_eq!(s.matches("page-corner").count(), 4);
        Ok(())
    }
}

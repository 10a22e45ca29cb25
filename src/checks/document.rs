//! Checks of photographed paper (forms and certificates) that hold for any
//! document image.

use crate::codes::Code;
use crate::input::decode::Decoded;
use crate::report::{FileReport, Reason};
use crate::rules::KindRules;
use serde_json::json;

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

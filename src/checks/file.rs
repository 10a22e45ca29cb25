//! Checks every upload gets, cheapest first: empty, too large, the type by
//! content, the size window, the JPEG structure (truncation, trailing data),
//! the dimensions from the header, and finally a bounded decode.

use crate::codes::Code;
use crate::format::Format;
use crate::input::decode::{decode_jpeg, Decoded};
use crate::input::jpeg::{ijg_quality, walk, JpegError, JpegInfo};
use crate::measure::r3;
use crate::report::{FileReport, Reason};
use crate::rules::{KindRules, Limits, Rules};
use serde_json::json;

/// Formats accepted when the slot is not known: what any slot accepts.
const ANY_SLOT: &[Format] = &[Format::Jpeg, Format::Pdf];

/// What the file checks leave for the kind checks.
pub enum Prepared {
    /// A decoded, upright JPEG (boxed: its metadata makes it large).
    Image(Box<Decoded>),
    /// A PDF, for the document checks.
    Pdf,
    /// Nothing further can be checked.
    Done,
}

/// Runs the file checks on `bytes`, sniffed as `format`, for a slot of
/// `kind` (or no known slot).
/// `size` is the file's full size; `bytes` may be only its first part when
/// reading stopped at the limit (the file is then too large anyway).
pub fn check_file_basics(
    bytes: &[u8],
    size: u64,
    format: Format,
    kind: Option<&KindRules>,
    rules: &Rules,
    report: &mut FileReport,
) -> Prepared {
    let limits = rules.limits();
    let n = size.max(bytes.len() as u64);
    report.measure("bytes", n);
    if n == 0 {
        report.push(Reason::new(Code::FileEmpty, json!({ "bytes": 0 })));
        return Prepared::Done;
    }
    let cap = kind.map_or(limits.max_file_bytes, |k| k.file_cap(limits));
    if n > cap || n > bytes.len() as u64 {
        report.push(Reason::new(Code::FileTooLarge, json!({ "bytes": n, "max": cap })));
        return Prepared::Done;
    }
    report.measure("format", format.as_str());
    let accepted = kind.map_or(ANY_SLOT, |k| k.formats.as_slice());
    if !accepted.contains(&format) {
        let names: Vec<&str> = accepted.iter().map(|f| f.as_str()).collect();
        let code = if format.is_image() && accepted.contains(&Format::Jpeg) {
            Code::FileNotJpeg
        } else {
            Code::FileUnsupportedType
        };
        report.push(Reason::new(
            code,
            json!({ "format": format.as_str(), "accepted": names }),
        ));
        return Prepared::Done;
    }
    let mut size_rejected = false;
    if let Some(k) = kind {
        if let (Some(min), Some(max)) = (k.min_bytes, k.max_bytes) {
            if n < min || n > max {
                report.push(Reason::new(
                    Code::SizeOutOfRange,
                    json!({ "bytes": n, "min": min, "max": max }),
                ));
                size_rejected = true;
            }
        }
    }
    match format {
        Format::Jpeg => {
            let long_side = match kind {
                Some(k) => k.analysis_long_side,
                None => Some(limits.unknown_slot_long_side),
            };
            let prepared = check_jpeg(bytes, long_side, !size_rejected, rules, report);
            if size_rejected && matches!(prepared, Prepared::Done) && !report.reasons.iter().any(is_structural) {
                // The file is rejected already and must be made again: its
                // pixels are not decoded (no memory or time spent on them).
                report.measure("pixel_checks", "skipped");
            }
            prepared
        }
        Format::Pdf => Prepared::Pdf,
        _ => Prepared::Done,
    }
}

/// A JPEG's structure walk, limits and bounded decode alone (no size
/// window, no format check): what `prescreen fix` reads its source with.
pub fn decode_checked(
    bytes: &[u8],
    analysis_long_side: Option<u32>,
    rules: &Rules,
    report: &mut FileReport,
) -> Prepared {
    check_jpeg(bytes, analysis_long_side, true, rules, report)
}

/// Whether a reason comes from the JPEG's structure or header (so the
/// pixels were never going to be decoded anyway).
fn is_structural(r: &Reason) -> bool {
    matches!(
        r.code,
        Code::FileCorrupt | Code::FileDimensionsTooLarge | Code::FileTooComplex
    )
}

/// The structure walk and the header checks, then (when `decode`) a
/// bounded decode.
fn check_jpeg(
    bytes: &[u8],
    analysis_long_side: Option<u32>,
    decode: bool,
    rules: &Rules,
    report: &mut FileReport,
) -> Prepared {
    let info = match walk(bytes) {
        Ok(info) => info,
        Err(e) => {
            let kind = match e {
                JpegError::Truncated(_) => "truncated",
                JpegError::Malformed(_) => "malformed",
            };
            report.push(Reason::new(
                Code::FileCorrupt,
                json!({ "problem": kind, "cause": e.describe() }),
            ));
            return Prepared::Done;
        }
    };
    report.measure("width", info.width);
    report.measure("height", info.height);
    // Which encoder's table: a measurement for the reviewer, never a
    // reason (a re-saved photo is not an edited one).
    if let Some(t) = &info.luma_quant {
        let q = ijg_quality(t);
        report.measure(
            "jpeg_quality",
            json!({ "ijg_quality": q.quality, "ijg_exact": q.exact, "mean_table_diff": r3(q.mean_diff) }),
        );
    }
    if info.trailing_bytes > 0 {
        report.push(Reason::new(
            Code::FileTrailingData,
            json!({
                "trailing_bytes": info.trailing_bytes,
                "zero_padding": info.trailing_zeros,
                "image_bytes": info.end,
            }),
        ));
    }
    let pixels = u64::from(info.width) * u64::from(info.height);
    let limits = rules.limits();
    let max_pixels = limits.max_pixels;
    if pixels > max_pixels {
        report.push(Reason::new(
            Code::FileDimensionsTooLarge,
            json!({ "width": info.width, "height": info.height, "pixels": pixels, "max_pixels": max_pixels }),
        ));
        return Prepared::Done;
    }
    if let Some(reason) = too_complex(&info, limits) {
        report.push(reason);
        return Prepared::Done;
    }
    if !decode {
        return Prepared::Done;
    }
    match decode_jpeg(bytes, &info, max_pixels, analysis_long_side) {
        Ok(d) => {
            // Dimensions as the checks see them: after EXIF orientation.
            report.measure("width", d.original.0);
            report.measure("height", d.original.1);
            if d.rgb.width() != d.original.0 {
                report.measure("analysed_width", d.rgb.width());
                report.measure("analysed_height", d.rgb.height());
            }
            if let Some(o) = d.exif.orientation.filter(|&o| o != 1) {
                report.measure("exif_orientation", o);
            }
            Prepared::Image(Box::new(d))
        }
        Err(cause) => {
            report.push(Reason::new(
                Code::FileCorrupt,
                json!({ "problem": "undecodable", "cause": cause }),
            ));
            Prepared::Done
        }
    }
}

/// `file.too_complex`: decoding would cost too much, judged from the walk
/// before a pixel is decoded (scans, scans × pixels, a large progressive
/// image whose decoder holds every coefficient).
fn too_complex(info: &JpegInfo, limits: &Limits) -> Option<Reason> {
    let pixels = u64::from(info.width) * u64::from(info.height);
    let scan_pixels = pixels.saturating_mul(u64::from(info.scans));
    let problem = if info.scans > limits.max_jpeg_scans {
        "too_many_scans"
    } else if scan_pixels > limits.max_scan_pixels {
        "scan_work"
    } else if info.progressive && pixels > limits.max_progressive_pixels {
        "progressive_too_large"
    } else {
        return None;
    };
    Some(Reason::new(
        Code::FileTooComplex,
        json!({
            "problem": problem,
            "scans": info.scans,
            "max_scans": limits.max_jpeg_scans,
            "scan_pixels": scan_pixels,
            "max_scan_pixels": limits.max_scan_pixels,
            "progressive": info.progressive,
            "pixels": pixels,
            "max_progressive_pixels": limits.max_progressive_pixels,
        }),
    ))
}

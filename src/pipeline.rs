//! One file through every check its slot needs: the file checks, then the
//! checks of its kind; a PDF's pages each through the image checks.
//! Synchronous and CPU-bound, with no I/O and no logging of content; the
//! CLI, the server and batch all call [`check_upload`] (through
//! [`crate::set::check_application`]).

use crate::checks::document::{check_document_image, check_page};
use crate::checks::file::{check_file_basics, Prepared};
use crate::checks::idcard::check_idcard;
use crate::checks::photo::check_photo;
use crate::codes::Code;
use crate::input::decode::Decoded;
use crate::input::pdf::{read_pdf, PageImage, PdfProblem};
use crate::report::{FileReport, Reason};
use crate::rules::{Kind, Rules, SlotDef};
use image::{GrayImage, RgbImage};
use serde_json::json;

/// Checks one file's bytes for `slot` (or only the file checks when the
/// slot is unknown) and returns the file's own report. For a PDF the pages'
/// reports are dropped: use [`check_upload`] to get them.
pub fn check_file(bytes: &[u8], name: &str, slot: Option<&SlotDef>, rules: &Rules) -> FileReport {
    check_file_sized(bytes, bytes.len() as u64, name, slot, rules)
}

/// Like [`check_file`] for a file of `size` bytes of which only `bytes` were
/// read, because reading stopped at the size limit.
pub fn check_file_sized(bytes: &[u8], size: u64, name: &str, slot: Option<&SlotDef>, rules: &Rules) -> FileReport {
    let mut reports = check_upload(bytes, size, name, slot, rules);
    reports.swap_remove(0)
}

/// Checks one file and returns its report followed, for a PDF, by one report
/// per page (`name#page=N`). Messages are filled later, by `Report::localise`.
pub fn check_upload(bytes: &[u8], size: u64, name: &str, slot: Option<&SlotDef>, rules: &Rules) -> Vec<FileReport> {
    let mut report = FileReport::new(name, slot.map(|s| s.id.get_ref().clone()));
    let kind = slot.map(|s| rules.kind(s.kind));
    let mut pages = Vec::new();
    match check_file_basics(bytes, size, kind, rules, &mut report) {
        Prepared::Image(decoded) => check_kind(&decoded, slot, rules, &mut report),
        Prepared::Pdf => pages = check_pdf(bytes, name, slot, rules, &mut report),
        Prepared::Done => {}
    }
    let mut out = Vec::with_capacity(1 + pages.len());
    out.push(report);
    out.extend(pages);
    out
}

/// The checks of the slot's kind on an upright image.
fn check_kind(decoded: &Decoded, slot: Option<&SlotDef>, rules: &Rules, report: &mut FileReport) {
    match slot.map(|s| s.kind) {
        Some(Kind::Portrait) => check_photo(decoded, &rules.book.photo, report),
        Some(k @ (Kind::HandwrittenForm | Kind::Certificate)) => {
            check_document_image(decoded, rules.kind(k), report);
            let editing = (k == Kind::HandwrittenForm).then_some(rules.book.photo.editing_software.as_slice());
            check_page(decoded, &rules.book.document, editing, report);
        }
        Some(Kind::IdCard) => {
            if let Some(s) = slot {
                check_idcard(decoded, s.id.get_ref(), &rules.book.id_card, report);
            }
        }
        None => {}
    }
}

/// A PDF: file-level problems on `report`, and a report per page whose
/// image goes through the same checks as an uploaded photo.
fn check_pdf(
    bytes: &[u8],
    name: &str,
    slot: Option<&SlotDef>,
    rules: &Rules,
    report: &mut FileReport,
) -> Vec<FileReport> {
    let limits = &rules.book.limits;
    let slot_id = slot.map(|s| s.id.get_ref().clone());
    let kind = slot.map(|s| rules.kind(s.kind));
    let mut reports = Vec::new();
    let mut with_images = 0usize;
    let read = read_pdf(bytes, limits, |page| {
        with_images += usize::from(page.image.is_some());
        let mut r = FileReport::new(format!("{name}#page={}", page.number), slot_id.clone());
        r.page = Some(page.number);
        if page.rotate != 0 {
            r.measure("rotate", page.rotate);
        }
        let decoded = match page.image {
            None => {
                r.push(Reason::new(Code::PdfNoImages, json!({ "page": page.number })));
                None
            }
            Some(PageImage::Jpeg(jpeg)) => match check_file_basics(jpeg, jpeg.len() as u64, kind, rules, &mut r) {
                Prepared::Image(d) => Some(d),
                _ => None,
            },
            Some(PageImage::Raw {
                width,
                height,
                components,
                pixels,
            }) => raw_to_rgb(width, height, components, pixels).map(|rgb| Decoded::from_rgb(rgb, components)),
            Some(PageImage::Unsupported { filter }) => {
                r.push(Reason::new(
                    Code::FileUnsupportedType,
                    json!({ "format": filter, "accepted": ["jpeg"] }),
                ));
                None
            }
        };
        if let Some(mut d) = decoded {
            d.rotate(page.rotate);
            // The page as a reader sees it, after /Rotate.
            r.measure("width", d.original.0);
            r.measure("height", d.original.1);
            check_kind(&d, slot, rules, &mut r);
        }
        reports.push(r);
    });
    let pages = match read {
        Ok(pages) => pages,
        Err(problem) => {
            report.push(match problem {
                PdfProblem::Encrypted => Reason::new(Code::PdfEncrypted, json!({})),
                PdfProblem::TooManyPages(n) => Reason::new(
                    Code::PdfTooManyPages,
                    json!({ "pages": n, "max_pages": limits.max_pdf_pages }),
                ),
                PdfProblem::Malformed(cause) => {
                    Reason::new(Code::FileCorrupt, json!({ "problem": "malformed", "cause": cause }))
                }
            });
            return Vec::new();
        }
    };
    report.measure("pages", pages);
    report.measure("pages_with_images", with_images);
    if with_images == 0 {
        report.push(Reason::new(Code::PdfNoImages, json!({ "pages": pages })));
        return Vec::new();
    }
    reports
}

fn raw_to_rgb(width: u32, height: u32, components: u8, pixels: Vec<u8>) -> Option<RgbImage> {
    match components {
        3 => RgbImage::from_raw(width, height, pixels),
        1 => GrayImage::from_raw(width, height, pixels).map(|g| image::DynamicImage::ImageLuma8(g).into_rgb8()),
        _ => None,
    }
}

//! One upload through every check its slot needs, one way down: the file
//! checks, then the checks of its kind; a PDF's pages (from
//! [`crate::unpack::pdf_pages`]) each through the same two steps.
//! Synchronous and CPU-bound, with no I/O and no logging of content; the
//! CLI, the server and batch all call [`check_upload`] (through
//! [`crate::set::check_application`]).

use crate::checks::document::{check_document_image, check_page};
use crate::checks::file::{check_file_basics, Prepared};
use crate::checks::idcard::check_idcard;
use crate::checks::photo::check_photo;
use crate::format::sniff;
use crate::input::decode::Decoded;
use crate::report::FileReport;
use crate::rules::{Kind, Rules, SlotDef};
use crate::unpack::{pdf_pages, PageContent, Upload};

/// Checks one file's bytes for `slot` (or only the file checks when the
/// slot is unknown) and returns the file's own report. For a PDF the pages'
/// reports are dropped: use [`check_upload`] to get them.
pub fn check_file(bytes: &[u8], name: &str, slot: Option<&SlotDef>, rules: &Rules) -> FileReport {
    check_file_sized(bytes, bytes.len() as u64, name, slot, rules)
}

/// Like [`check_file`] for a file of `size` bytes of which only `bytes` were
/// read, because reading stopped at the size limit.
pub fn check_file_sized(bytes: &[u8], size: u64, name: &str, slot: Option<&SlotDef>, rules: &Rules) -> FileReport {
    let upload = Upload::sniffed(name, slot.map(|s| s.id.clone()), bytes.to_vec(), size, sniff(bytes));
    let mut reports = check_upload(&upload, slot, rules);
    reports.swap_remove(0)
}

/// Checks one upload and returns its report followed, for a PDF, by one
/// report per page (`name#page=N`). Messages are filled later, by
/// `Report::localise`.
pub fn check_upload(upload: &Upload, slot: Option<&SlotDef>, rules: &Rules) -> Vec<FileReport> {
    let mut report = FileReport::new(&upload.name, slot.map(|s| s.id.clone()));
    let kind = slot.map(|s| rules.kind(s.kind));
    let mut pages = Vec::new();
    let bytes = &upload.bytes;
    match check_file_basics(bytes, upload.size, upload.format(), kind, rules, &mut report) {
        Prepared::Image(decoded) => check_kind(&decoded, slot, rules, &mut report),
        Prepared::Pdf => pages = check_pdf(upload, slot, rules, &mut report),
        Prepared::Done => {}
    }
    let mut out = Vec::with_capacity(1 + pages.len());
    out.push(report);
    out.extend(pages);
    out
}

/// The checks of the slot's kind on an upright image.
fn check_kind(decoded: &Decoded, slot: Option<&SlotDef>, rules: &Rules, report: &mut FileReport) {
    let Some(slot) = slot else { return };
    match slot.kind {
        Kind::Portrait => check_photo(decoded, rules.photo(), report),
        k @ (Kind::HandwrittenForm | Kind::Certificate) => {
            check_document_image(decoded, rules.kind(k), report);
            let editing = (k == Kind::HandwrittenForm).then_some(rules.photo().editing_software.as_slice());
            check_page(decoded, rules.document(), editing, report);
        }
        Kind::IdCard => check_idcard(decoded, &slot.id, rules.id_card(), report),
    }
}

/// A PDF: its own problems on `report`, and a report per page whose image
/// goes through the same checks as an uploaded photo.
fn check_pdf(upload: &Upload, slot: Option<&SlotDef>, rules: &Rules, report: &mut FileReport) -> Vec<FileReport> {
    let kind = slot.map(|s| rules.kind(s.kind));
    let mut reports = Vec::new();
    let worth = pdf_pages(&upload.bytes, rules.limits(), report, |page| {
        let mut r = FileReport::new(
            format!("{}#page={}", upload.name, page.number),
            slot.map(|s| s.id.clone()),
        );
        r.page = Some(page.number);
        if page.rotate != 0 {
            r.measure("rotate", page.rotate);
        }
        let decoded = match page.content {
            PageContent::File { bytes, format } => {
                match check_file_basics(bytes, bytes.len() as u64, format, kind, rules, &mut r) {
                    Prepared::Image(d) => Some(d),
                    _ => None,
                }
            }
            PageContent::Image(d) => Some(d),
            PageContent::Problem(reason) => {
                r.push(reason);
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
    if !worth {
        reports.clear();
    }
    reports
}

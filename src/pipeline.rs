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
use crate::codes::Code;
use crate::format::sniff;
use crate::input::decode::Decoded;
use crate::report::{FileReport, Reason};
use crate::rules::{Kind, Rules, SlotDef};
use crate::unpack::{pdf_pages, PageContent, Upload};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The time one file may take (`limits.time_budget_ms`), and the caller's
/// cancel flag (the server sets it when a request times out, so the work
/// stops instead of running on unseen). The checks look at it between
/// their steps; a JPEG's decode cannot be stopped midway, which is why its
/// work is capped before it starts (`file.too_complex`).
///
/// It also carries what the request says about time and identity that a
/// check needs: the date an ID card's validity is judged at (today in
/// China unless the request or the batch gives `as_of`), and the citizen
/// number the applicant declared, to compare with the card's.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Instant,
    budget_ms: u64,
    cancel: Option<Arc<AtomicBool>>,
    as_of: chrono::NaiveDate,
    declared_id: Option<String>,
    unmask_id: bool,
}

impl Budget {
    /// `ms` from now, stopped early when `cancel` is set.
    pub fn new(ms: u64, cancel: Option<Arc<AtomicBool>>) -> Budget {
        Budget {
            deadline: Instant::now() + Duration::from_millis(ms),
            budget_ms: ms,
            cancel,
            as_of: crate::eligibility::today(),
            declared_id: None,
            unmask_id: false,
        }
    }

    /// Reports show the card's full number instead of the masked one (an
    /// explicit choice: by default only the first 6 and last 4 characters).
    pub fn with_unmasked_id(mut self, unmask: bool) -> Budget {
        self.unmask_id = unmask;
        self
    }

    /// Whether reports show the full number.
    pub fn unmask_id(&self) -> bool {
        self.unmask_id
    }

    /// Judges dates (an ID card's validity) at `date` instead of today.
    pub fn with_as_of(mut self, date: chrono::NaiveDate) -> Budget {
        self.as_of = date;
        self
    }

    /// The citizen number the applicant declared, if any.
    pub fn with_declared_id(mut self, number: Option<String>) -> Budget {
        self.declared_id = number;
        self
    }

    /// The date validity is judged at.
    pub fn as_of(&self) -> chrono::NaiveDate {
        self.as_of
    }

    /// The declared citizen number.
    pub fn declared_id(&self) -> Option<&str> {
        self.declared_id.as_deref()
    }

    /// Whether the time is up or the caller gave up.
    pub fn spent(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) || Instant::now() >= self.deadline
    }

    /// When spent, says so on `report` (`file.too_complex`, naming the step
    /// not reached) and returns true: the caller stops.
    pub fn stop(&self, step: &str, report: &mut FileReport) -> bool {
        if !self.spent() {
            return false;
        }
        if !report.has(Code::FileTooComplex) {
            report.push(Reason::new(
                Code::FileTooComplex,
                json!({ "problem": "time_budget", "time_budget_ms": self.budget_ms, "step": step }),
            ));
        }
        true
    }
}

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
    let budget = Budget::new(rules.limits().time_budget_ms, None);
    check_upload_within(upload, slot, rules, &budget)
}

/// [`check_upload`] within `budget`.
pub fn check_upload_within(upload: &Upload, slot: Option<&SlotDef>, rules: &Rules, budget: &Budget) -> Vec<FileReport> {
    let mut report = FileReport::new(&upload.name, slot.map(|s| s.id.clone()));
    let kind = slot.map(|s| rules.kind(s.kind));
    let mut pages = Vec::new();
    let bytes = &upload.bytes;
    match check_file_basics(bytes, upload.size, upload.format(), kind, rules, &mut report) {
        Prepared::Image(decoded) => check_kind(&decoded, slot, rules, budget, &mut report),
        Prepared::Pdf => pages = check_pdf(upload, slot, rules, budget, &mut report),
        Prepared::Done => {}
    }
    let mut out = Vec::with_capacity(1 + pages.len());
    out.push(report);
    out.extend(pages);
    out
}

/// The checks of the slot's kind on an upright image.
pub(crate) fn check_kind(
    decoded: &Decoded,
    slot: Option<&SlotDef>,
    rules: &Rules,
    budget: &Budget,
    report: &mut FileReport,
) {
    let Some(slot) = slot else { return };
    if budget.stop("decode", report) {
        return;
    }
    match slot.kind {
        Kind::Portrait => check_photo(decoded, rules.photo(), budget, report),
        k @ (Kind::HandwrittenForm | Kind::Certificate) => {
            check_document_image(decoded, rules.kind(k), report);
            let editing = (k == Kind::HandwrittenForm).then_some(rules.photo().editing_software.as_slice());
            check_page(decoded, rules.document(), editing, budget, report);
        }
        Kind::IdCard => check_idcard(decoded, &slot.id, rules.id_card(), budget, report),
    }
}

/// A PDF: its own problems on `report`, and a report per page whose image
/// goes through the same checks as an uploaded photo.
fn check_pdf(
    upload: &Upload,
    slot: Option<&SlotDef>,
    rules: &Rules,
    budget: &Budget,
    report: &mut FileReport,
) -> Vec<FileReport> {
    let kind = slot.map(|s| rules.kind(s.kind));
    let mut reports = Vec::new();
    // The same reduced scale as a JPEG page of that size would get.
    let long_side = kind.map_or(Some(rules.limits().unknown_slot_long_side), |k| k.analysis_long_side);
    let worth = pdf_pages(&upload.bytes, rules.limits(), long_side, report, |page| {
        let mut r = FileReport::new(
            format!("{}#page={}", upload.name, page.number),
            slot.map(|s| s.id.clone()),
        );
        r.page = Some(page.number);
        if budget.stop("page", &mut r) {
            reports.push(r);
            return;
        }
        if page.rotate != 0 {
            r.measure("rotate", page.rotate);
        }
        let decoded = match page.content {
            PageContent::File { bytes, format } => {
                match check_file_basics(bytes, bytes.len() as u64, format, kind, rules, &mut r) {
                    Prepared::Image(d) => Some(*d),
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
            check_kind(&d, slot, rules, budget, &mut r);
        }
        reports.push(r);
    });
    if !worth {
        reports.clear();
    }
    reports
}

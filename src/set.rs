//! An application as a set of files: which slot each file fills (named by
//! the caller or inferred from its name), and, for a plan and clause, which
//! materials are missing, unexpected or duplicated.

use crate::codes::{Code, Severity};
use crate::format::Format;
use crate::pipeline::{check_upload_within, Budget};
use crate::report::{FileReport, Reason, Report, Verdict};
use crate::rules::{Clause, Lang, Plan, Rules};
use crate::unpack::zip_entries;
pub use crate::unpack::Upload;
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The plan and clause an application is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub plan: &'a Plan,
    pub clause: &'a Clause,
}

impl<'a> Target<'a> {
    /// Plan `plan`, clause `n`, or an error naming what the rulebook has.
    pub fn resolve(rules: &'a Rules, plan: &str, n: u32) -> Result<Target<'a>, crate::Error> {
        let (plan, clause) = rules.plan_clause(plan, n)?;
        Ok(Target { plan, clause })
    }
}

impl Report {
    /// An empty report (no files, no reasons, pass) for `target`.
    pub fn for_target(target: Option<Target<'_>>) -> Report {
        Report {
            plan: target.map(|t| t.plan.id().to_string()),
            clause: target.map(|t| t.clause.n),
            verdict: Verdict::Pass,
            files: Vec::new(),
            missing: Vec::new(),
            unexpected: Vec::new(),
            reasons: Vec::new(),
        }
    }
}

/// Checks every file (a zip archive without a named slot is one
/// application: its entries are checked as files), then the set against the
/// clause when there is one. Messages are filled in `lang`.
pub fn check_application(uploads: &[Upload], target: Option<Target<'_>>, rules: &Rules, lang: Lang) -> Report {
    check_application_within(uploads, target, rules, lang, None)
}

/// [`check_application`] that stops early once `cancel` is set (the
/// server's time limit ran out): every file not yet checked, or checked
/// only in part, says `file.too_complex` with the step it did not reach.
pub fn check_application_within(
    uploads: &[Upload],
    target: Option<Target<'_>>,
    rules: &Rules,
    lang: Lang,
    cancel: Option<Arc<AtomicBool>>,
) -> Report {
    let options = CheckOptions {
        cancel,
        ..CheckOptions::default()
    };
    check_application_with(uploads, target, rules, lang, &options)
}

/// What a request adds to the checks beyond its files.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Set by the server when the request's time limit runs out.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The date an ID card's validity is judged at (an archive's application
    /// date); today in China when `None`.
    pub as_of: Option<chrono::NaiveDate>,
    /// The citizen number the applicant declared, compared with the card's.
    pub declared_id: Option<String>,
    /// Show the card's full number in the report (masked by default).
    pub unmask_id: bool,
}

/// [`check_application`] with the request's [`CheckOptions`].
pub fn check_application_with(
    uploads: &[Upload],
    target: Option<Target<'_>>,
    rules: &Rules,
    lang: Lang,
    options: &CheckOptions,
) -> Report {
    let plan = target.map(|t| t.plan);
    let mut files: Vec<FileReport> = Vec::new();
    // Each file has the rulebook's time budget of its own.
    let budget = || {
        let b = Budget::new(rules.limits().time_budget_ms, options.cancel.clone())
            .with_declared_id(options.declared_id.clone())
            .with_unmasked_id(options.unmask_id);
        match options.as_of {
            Some(d) => b.with_as_of(d),
            None => b,
        }
    };
    for u in uploads {
        if u.slot.is_none() && u.format() == Format::Zip {
            let at = files.len();
            let mut archive = zip_entries(u, rules.limits(), |entry| {
                check_one(&entry, plan, rules, &budget(), &mut files);
            });
            if files.len() == at && archive.reasons.iter().all(|r| r.severity != Severity::Reject) {
                archive.push(Reason::new(
                    Code::SetEmpty,
                    json!({ "problem": "empty_archive", "name": u.name }),
                ));
            }
            files.insert(at, archive);
        } else {
            check_one(u, plan, rules, &budget(), &mut files);
        }
    }
    let mut report = Report::for_target(target);
    if uploads.is_empty() {
        report
            .reasons
            .push(Reason::new(Code::SetEmpty, json!({ "problem": "no_files" })));
    }
    report.files = files;
    if let Some(t) = target {
        complete_set(&mut report, t, rules);
    }
    report.settle();
    report.localise(&rules.messages, lang);
    report
}

/// One file: its slot named or inferred from its name (for a zip entry the
/// last part of its inner path), its reports (more than one for a PDF)
/// appended to `out`.
fn check_one(u: &Upload, plan: Option<&Plan>, rules: &Rules, budget: &Budget, out: &mut Vec<FileReport>) {
    let slot = match &u.slot {
        Some(id) => rules.slot(id),
        None => rules.infer_slot(&u.name, plan),
    };
    let mut reports = check_upload_within(u, slot, rules, budget);
    if slot.is_none() {
        // Under a plan a file that is no known material cannot count
        // towards the set: a reject. Without one, a warning.
        let mut why = Reason::new(Code::SetUnknownSlot, json!({ "name": u.name }));
        if plan.is_some() {
            why = why.with_severity(Severity::Reject);
        }
        reports[0].push(why);
    }
    out.extend(reports);
}

/// Adds `set.*` reasons and the missing/unexpected lists.
fn complete_set(report: &mut Report, t: Target<'_>, rules: &Rules) {
    let required = t.plan.required_slots(t.clause);
    let mut seen: Vec<&str> = Vec::new();
    let mut extra = Vec::new();
    // Pages of a PDF are part of their file, not files of their own.
    for f in report.files.iter_mut().filter(|f| f.page.is_none()) {
        let Some(slot) = f.slot.clone() else { continue };
        if !required.contains(&slot) {
            f.push(Reason::new(
                Code::SetUnexpected,
                json!({ "slot": slot, "clause": t.clause.n }),
            ));
            if !extra.contains(&slot) {
                extra.push(slot.clone());
            }
        }
        let multiple = rules.slot(&slot).is_some_and(|s| s.multiple);
        if !multiple && seen.iter().any(|s| *s == slot) {
            f.push(Reason::new(Code::SetDuplicate, json!({ "slot": slot })));
        }
        if let Some(s) = required.iter().find(|r| **r == slot) {
            seen.push(s);
        }
    }
    for slot in &required {
        if !seen.contains(&slot.as_str()) {
            report.missing.push(slot.clone());
            report
                .reasons
                .push(Reason::new(Code::SetMissing, json!({ "slot": slot })));
        }
    }
    report.unexpected = extra;
}

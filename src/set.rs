//! An application as a set of files: which slot each file fills (named by
//! the caller or inferred from its name), and, for a plan and clause, which
//! materials are missing, unexpected or duplicated.

use crate::codes::Code;
use crate::pipeline::check_file_sized;
use crate::report::{FileReport, Reason, Report, Verdict};
use crate::rules::{Clause, Lang, Plan, Rules};
use serde_json::json;

/// One file of an application.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name shown in the report (a file name or relative path).
    pub name: String,
    /// The slot the caller named, if any; otherwise it is inferred.
    pub slot: Option<String>,
    /// The file's content, or its first part when it is over the size limit.
    pub bytes: Vec<u8>,
    /// The file's full size in bytes.
    pub size: u64,
}

impl Upload {
    /// An upload whose bytes are all there.
    pub fn new(name: impl Into<String>, slot: Option<String>, bytes: Vec<u8>) -> Upload {
        let size = bytes.len() as u64;
        Upload {
            name: name.into(),
            slot,
            bytes,
            size,
        }
    }
}

/// The plan and clause an application is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub plan: &'a Plan,
    pub clause: &'a Clause,
}

/// Checks every file, then the set against the clause when there is one.
/// Messages are filled in `lang`.
pub fn check_application(uploads: &[Upload], target: Option<Target<'_>>, rules: &Rules, lang: Lang) -> Report {
    let plan = target.map(|t| t.plan);
    let files: Vec<FileReport> = uploads
        .iter()
        .map(|u| {
            let slot = match &u.slot {
                Some(id) => rules.slot(id),
                None => rules.infer_slot(&u.name, plan),
            };
            let mut report = check_file_sized(&u.bytes, u.size, &u.name, slot, rules);
            if slot.is_none() {
                report.push(Reason::new(Code::SetUnknownSlot, json!({ "name": u.name })));
            }
            report
        })
        .collect();
    let mut report = Report {
        plan: plan.map(|p| p.id().to_string()),
        clause: target.map(|t| *t.clause.n.get_ref()),
        verdict: Verdict::Pass,
        files,
        missing: Vec::new(),
        unexpected: Vec::new(),
        reasons: Vec::new(),
    };
    if let Some(t) = target {
        complete_set(&mut report, t, rules);
    }
    report.settle();
    report.localise(&rules.messages, lang);
    report
}

/// Adds `set.*` reasons and the missing/unexpected lists.
fn complete_set(report: &mut Report, t: Target<'_>, rules: &Rules) {
    let required = t.plan.required_slots(t.clause);
    let mut seen: Vec<&str> = Vec::new();
    let mut extra = Vec::new();
    for f in &mut report.files {
        let Some(slot) = f.slot.clone() else { continue };
        if !required.contains(&slot) {
            f.push(Reason::new(
                Code::SetUnexpected,
                json!({ "slot": slot, "clause": t.clause.n.get_ref() }),
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

//! An application as a set of files: which slot each file fills (named by
//! the caller or inferred from its name), and, for a plan and clause, which
//! materials are missing, unexpected or duplicated.

use crate::codes::Code;
use crate::input::archive::{read_archive, ArchiveProblem};
use crate::input::sniff::{sniff, Format};
use crate::pipeline::check_upload;
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

impl<'a> Target<'a> {
    /// Plan `plan`, clause `n`, or an error naming what the rulebook has.
    pub fn resolve(rules: &'a Rules, plan: &str, n: u32) -> Result<Target<'a>, crate::Error> {
        let (plan, clause) = rules.plan_clause(plan, n)?;
        Ok(Target { plan, clause })
    }
}

/// Checks every file (a zip archive without a named slot is one
/// application: its entries are checked as files), then the set against the
/// clause when there is one. Messages are filled in `lang`.
pub fn check_application(uploads: &[Upload], target: Option<Target<'_>>, rules: &Rules, lang: Lang) -> Report {
    let plan = target.map(|t| t.plan);
    let mut files: Vec<FileReport> = Vec::new();
    for u in uploads {
        if u.slot.is_none() && sniff(&u.bytes) == Format::Zip {
            check_archive(u, plan, rules, &mut files);
        } else {
            check_one(u, &u.name, plan, rules, &mut files);
        }
    }
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

/// One file: its slot named or inferred from `infer_from`, its reports
/// (more than one for a PDF) appended to `out`.
fn check_one(u: &Upload, infer_from: &str, plan: Option<&Plan>, rules: &Rules, out: &mut Vec<FileReport>) {
    let slot = match &u.slot {
        Some(id) => rules.slot(id),
        None => rules.infer_slot(infer_from, plan),
    };
    let mut reports = check_upload(&u.bytes, u.size, &u.name, slot, rules);
    if slot.is_none() {
        reports[0].push(Reason::new(Code::SetUnknownSlot, json!({ "name": u.name })));
    }
    out.extend(reports);
}

/// A zip archive: a report of its own for archive-level problems, then its
/// entries named `archive.zip!/inner/name.jpg`, slots inferred from the
/// inner path.
fn check_archive(u: &Upload, plan: Option<&Plan>, rules: &Rules, out: &mut Vec<FileReport>) {
    let limits = &rules.book.limits;
    let mut archive = FileReport::new(&u.name, None);
    archive.measure("bytes", u.size);
    archive.measure("format", "zip");
    if u.size > u.bytes.len() as u64 || u.size > limits.max_request_bytes {
        archive.push(Reason::new(
            Code::FileTooLarge,
            json!({ "bytes": u.size, "max": limits.max_request_bytes }),
        ));
        out.push(archive);
        return;
    }
    let at = out.len();
    let mut entries = 0usize;
    let problems = read_archive(&u.bytes, limits, |e| {
        entries += 1;
        let entry = Upload::new(format!("{}!/{}", u.name, e.name), None, e.bytes);
        check_one(&entry, &e.name, plan, rules, out);
    });
    archive.measure("entries", entries);
    for p in problems {
        archive.push(match p {
            ArchiveProblem::Malformed(cause) => {
                Reason::new(Code::FileCorrupt, json!({ "problem": "malformed", "cause": cause }))
            }
            ArchiveProblem::TooManyEntries(n) => Reason::new(
                Code::ArchiveTooManyEntries,
                json!({ "entries": n, "max": limits.max_archive_entries }),
            ),
            ArchiveProblem::TooLarge {
                problem,
                entry,
                uncompressed,
                limit,
            } => Reason::new(
                Code::ArchiveTooLarge,
                json!({ "problem": problem, "entry": entry, "uncompressed_bytes": uncompressed, "limit_bytes": limit }),
            ),
            ArchiveProblem::UnsafePath(path) => Reason::new(Code::ArchiveUnsafePath, json!({ "path": path })),
            ArchiveProblem::Encrypted(path) => Reason::new(Code::ArchiveEncrypted, json!({ "path": path })),
        });
    }
    out.insert(at, archive);
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

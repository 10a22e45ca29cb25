//! The JSON output contract of SPEC §4, and its text rendering.
//!
//! # Wire format
//!
//! One [`Report`] object per application (or per `check` run):
//!
//! * `plan`, `clause`: the plan id and clause number, `null` without `--plan`.
//! * `verdict`: `"pass"` or `"reject"`: reject when any file is rejected or
//!   a required material is missing. Warnings never reject.
//! * `files`: one [`FileReport`] per file, in input order: `name`, `slot`
//!   (`null` when it could not be told), `verdict`, `reasons` and
//!   `measurements` (bytes, dimensions and every score a check computed).
//! * `missing`, `unexpected`: slot ids.
//! * `reasons`: application-level reasons (`set.missing`), added after the
//!   first release; clients that do not know it can ignore it.
//!
//! Each [`Reason`] has `code` (SPEC §3), `severity` (`reject`/`warn`), a
//! `message` in the requested language and a `detail` object holding the
//! measured values and the limits they broke. Fields are only ever added.

use crate::codes::{Code, Severity};
use crate::rules::{Lang, Messages, Rules};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use unicode_width::UnicodeWidthStr;

/// Pass or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Reject,
}

/// One reason for a verdict (or a warning).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    /// A reason code of SPEC §3, e.g. photo.background_not_white.
    #[schema(value_type = String)]
    pub code: Code,
    /// reject or warn.
    #[schema(value_type = String)]
    pub severity: Severity,
    pub message: String,
    /// The measured values and the limits they broke.
    #[schema(value_type = Object)]
    pub detail: Map<String, Value>,
}

impl Reason {
    /// A reason with the code's default severity; `detail` must be a JSON
    /// object (anything else is dropped). The message is filled by `localise`.
    pub fn new(code: Code, detail: Value) -> Reason {
        Reason {
            code,
            severity: code.default_severity(),
            message: String::new(),
            detail: match detail {
                Value::Object(m) => m,
                _ => Map::new(),
            },
        }
    }

    /// The same reason with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Reason {
        self.severity = severity;
        self
    }
}

/// The verdict on one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileReport {
    pub name: String,
    pub slot: Option<String>,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// Bytes, dimensions and every score a check computed.
    #[schema(value_type = Object)]
    pub measurements: Map<String, Value>,
    /// For a page of a PDF (named `scan.pdf#page=2`): its number. The PDF
    /// file has a report of its own; pages do not count for the set check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl FileReport {
    /// A report with no reasons yet.
    pub fn new(name: impl Into<String>, slot: Option<String>) -> FileReport {
        FileReport {
            name: name.into(),
            slot,
            verdict: Verdict::Pass,
            reasons: Vec::new(),
            measurements: Map::new(),
            page: None,
        }
    }

    /// Adds a reason and updates the verdict.
    pub fn push(&mut self, reason: Reason) {
        if reason.severity == Severity::Reject {
            self.verdict = Verdict::Reject;
        }
        self.reasons.push(reason);
    }

    /// Records a measured value.
    pub fn measure(&mut self, key: &str, value: impl Into<Value>) {
        self.measurements.insert(key.to_string(), value.into());
    }

    /// Whether a reason with this code is present.
    pub fn has(&self, code: Code) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// The verdict on an application (or on the files of one `check` run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub plan: Option<String>,
    pub clause: Option<u32>,
    pub verdict: Verdict,
    pub files: Vec<FileReport>,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

impl Report {
    /// Every reason: the files' in order, then the application's.
    pub fn all_reasons(&self) -> impl Iterator<Item = &Reason> {
        self.files.iter().flat_map(|f| &f.reasons).chain(&self.reasons)
    }

    /// Recomputes the verdict from the files and the application reasons.
    pub fn settle(&mut self) {
        let rejected = self.files.iter().any(|f| f.verdict == Verdict::Reject)
            || self.reasons.iter().any(|r| r.severity == Severity::Reject);
        self.verdict = if rejected { Verdict::Reject } else { Verdict::Pass };
    }

    /// Fills every message in `lang`.
    pub fn localise(&mut self, messages: &Messages, lang: Lang) {
        for f in &mut self.files {
            localise_reasons(&mut f.reasons, messages, lang);
        }
        localise_reasons(&mut self.reasons, messages, lang);
    }
}

/// Fills the messages of `reasons` in `lang`.
pub fn localise_reasons(reasons: &mut [Reason], messages: &Messages, lang: Lang) {
    for r in reasons {
        r.message = messages.render(r.code, &r.detail, lang);
    }
}

/// A readable table: one line per file with ✓ or ✗, its reasons below it,
/// then the missing materials.
pub fn render_text(report: &Report, rules: &Rules, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let plan = report.plan.as_deref().and_then(|p| rules.plan(p));
    let mut out = String::new();
    let verdict = match (report.verdict, zh) {
        (Verdict::Pass, true) => "✓ 通过",
        (Verdict::Pass, false) => "✓ pass",
        (Verdict::Reject, true) => "✗ 不通过",
        (Verdict::Reject, false) => "✗ reject",
    };
    match (plan, report.clause) {
        (Some(p), Some(c)) => {
            let name = if zh { &p.zh } else { &p.en };
            let clause = if zh {
                format!("第 {c} 条")
            } else {
                format!("clause {c}")
            };
            let _ = writeln!(out, "{name} ({}) {clause}: {verdict}", p.id());
        }
        _ => {
            let _ = writeln!(
                out,
                "{}: {verdict}",
                if zh { "逐个文件检查" } else { "per-file checks" }
            );
        }
    }
    let slot_of = |f: &FileReport| {
        f.slot
            .as_deref()
            .map(|s| rules.slot_name(s, lang, plan))
            .unwrap_or_else(|| {
                if zh {
                    "（未识别）".into()
                } else {
                    "(unknown)".into()
                }
            })
    };
    let name_w = report.files.iter().map(|f| f.name.width()).max().unwrap_or(0).min(48);
    let slot_w = report.files.iter().map(|f| slot_of(f).width()).max().unwrap_or(0);
    for f in &report.files {
        let mark = if f.verdict == Verdict::Pass { "✓" } else { "✗" };
        let slot = slot_of(f);
        let pad = name_w.saturating_sub(f.name.width());
        let slot_pad = slot_w.saturating_sub(slot.width());
        let mut facts = Vec::new();
        if let Some(b) = f.measurements.get("bytes") {
            facts.push(format!("{b} B"));
        }
        if let (Some(w), Some(h)) = (f.measurements.get("width"), f.measurements.get("height")) {
            facts.push(format!("{w}×{h}"));
        }
        let _ = writeln!(
            out,
            "  {mark} {}{}  {slot}{}  {}",
            f.name,
            " ".repeat(pad),
            " ".repeat(slot_pad),
            facts.join("  ")
        );
        for r in &f.reasons {
            let m = if r.severity == Severity::Reject { "✗" } else { "!" };
            let _ = writeln!(out, "      {m} {}  {}", r.code, r.message);
        }
    }
    for r in &report.reasons {
        let m = if r.severity == Severity::Reject { "✗" } else { "!" };
        let _ = writeln!(out, "  {m} {}  {}", r.code, r.message);
    }
    out
}

//! `prescreen report results.jsonl`: the summary of a batch (applications,
//! passed, rejected; counts by reason code and by slot), a CSV export with
//! one row per reason, and a self-contained HTML page listing the rejected
//! applications. The JSON lines are streamed, never loaded whole.

use super::ResultLine;
use crate::codes::Severity;
use crate::error::Error;
use crate::report::{FileReport, Reason, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Counts over a results file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub applications: u64,
    pub passed: u64,
    pub rejected: u64,
    pub files: u64,
    /// Reject-severity reasons by code (application- and file-level).
    pub by_code: BTreeMap<String, u64>,
    /// Rejected files and missing materials by slot.
    pub by_slot: BTreeMap<String, u64>,
    /// Lines that were not a result (a torn last line, say).
    pub unreadable_lines: u64,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    }
}

/// Calls `each` with every result of the JSON-lines files, in order (the
/// files of the shards of one run read as one).
pub(crate) fn for_each_result(
    paths: &[PathBuf],
    mut each: impl FnMut(&ResultLine) -> Result<(), Error>,
) -> Result<u64, Error> {
    let mut bad = 0;
    for path in paths {
        let file = File::open(path).map_err(io_err(path))?;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(io_err(path))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<ResultLine>(&line) {
                Ok(result) => each(&result)?,
                Err(_) => bad += 1,
            }
        }
    }
    Ok(bad)
}

fn rejecting(reasons: &[Reason]) -> impl Iterator<Item = &Reason> {
    reasons.iter().filter(|r| r.severity == Severity::Reject)
}

/// Counts the results in `paths` (one run's file, or its shards' files).
pub fn summarise(paths: &[PathBuf]) -> Result<Summary, Error> {
    let mut s = Summary::default();
    let bad = for_each_result(paths, |line| {
        let v = &line.report;
        s.applications += 1;
        if v.verdict == Verdict::Pass {
            s.passed += 1;
        } else {
            s.rejected += 1;
        }
        for r in rejecting(&v.reasons) {
            *s.by_code.entry(r.code.to_string()).or_default() += 1;
        }
        for slot in &v.missing {
            *s.by_slot.entry(slot.clone()).or_default() += 1;
        }
        for f in &v.files {
            s.files += 1;
            for r in rejecting(&f.reasons) {
                *s.by_code.entry(r.code.to_string()).or_default() += 1;
            }
            if f.verdict == Verdict::Reject {
                let slot = f.slot.as_deref().unwrap_or("(unknown)");
                *s.by_slot.entry(slot.to_string()).or_default() += 1;
            }
        }
        Ok(())
    })?;
    s.unreadable_lines = bad;
    Ok(s)
}

impl Summary {
    /// A plain-text table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "applications {}  passed {}  rejected {}  files {}",
            self.applications, self.passed, self.rejected, self.files
        );
        if self.unreadable_lines > 0 {
            let _ = writeln!(out, "lines that are not results: {}", self.unreadable_lines);
        }
        for (title, map) in [("by reason code", &self.by_code), ("by slot", &self.by_slot)] {
            if map.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}:");
            let width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            let mut rows: Vec<_> = map.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (k, n) in rows {
                let _ = writeln!(out, "  {k:<width$}  {n:>7}");
            }
        }
        out
    }
}

/// Writes one CSV row per reason (and one per passed application):
/// id, verdict, file, slot, code, severity, message.
///
/// With `bom`, the file starts with a UTF-8 byte-order mark, without which
/// Excel on Chinese Windows reads the Chinese messages as GBK mojibake.
pub fn write_csv(results: &[PathBuf], csv_path: &Path, bom: bool) -> Result<(), Error> {
    let mut file = BufWriter::new(File::create(csv_path).map_err(io_err(csv_path))?);
    if bom {
        std::io::Write::write_all(&mut file, "\u{feff}".as_bytes()).map_err(io_err(csv_path))?;
    }
    let mut w = csv::Writer::from_writer(file);
    let csv_err = |e: csv::Error| Error::Usage(format!("{}: {e}", csv_path.display()));
    w.write_record(["id", "verdict", "file", "slot", "code", "severity", "message"])
        .map_err(csv_err)?;
    for_each_result(results, |line| {
        let (id, v) = (line.id.as_str(), &line.report);
        let verdict = verdict_str(v.verdict);
        let mut rows = 0;
        for r in &v.reasons {
            w.write_record([id, verdict, "", "", r.code.as_str(), r.severity.as_str(), &r.message])
                .map_err(csv_err)?;
            rows += 1;
        }
        for f in &v.files {
            let slot = f.slot.as_deref().unwrap_or("");
            for r in &f.reasons {
                w.write_record([
                    id,
                    verdict,
                    &f.name,
                    slot,
                    r.code.as_str(),
                    r.severity.as_str(),
                    &r.message,
                ])
                .map_err(csv_err)?;
                rows += 1;
            }
        }
        if rows == 0 {
            w.write_record([id, verdict, "", "", "", "", ""]).map_err(csv_err)?;
        }
        Ok(())
    })?;
    w.flush().map_err(io_err(csv_path))?;
    Ok(())
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Reject => "reject",
    }
}

pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes a file's thumbnail for the HTML report.
pub type Thumbnailer<'a> = &'a dyn Fn(&ResultLine, &FileReport) -> Option<String>;

/// What the HTML report may add to its rows.
#[derive(Default)]
pub struct HtmlExtras<'a> {
    /// The address of a running `prescreen review`: each application's id
    /// links to its page there.
    pub review_url: Option<&'a str>,
    /// A small image of a file with its evidence drawn on it, as HTML that
    /// needs nothing outside the page (`review::thumbnail`).
    pub thumbnail: Option<Thumbnailer<'a>>,
}

/// Writes a self-contained HTML page (inline CSS, no scripts, no network):
/// the summary, then every rejected application with its reasons.
pub fn write_html(results: &[PathBuf], html_path: &Path, summary: &Summary) -> Result<(), Error> {
    write_html_with(results, html_path, summary, &HtmlExtras::default())
}

/// [`write_html`] with links to the review app and thumbnails.
pub fn write_html_with(
    results: &[PathBuf],
    html_path: &Path,
    summary: &Summary,
    extras: &HtmlExtras<'_>,
) -> Result<(), Error> {
    let file = File::create(html_path).map_err(io_err(html_path))?;
    let mut w = BufWriter::new(file);
    let io = io_err(html_path);
    let mut head = String::from(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n\
         <title>prescreen 批量复核报告</title>\n<style>\n\
         body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}\n\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\n\
         th{background:#f3f3f3}.reject{color:#b00020}.warn{color:#8a6d00}.n{text-align:right}\n\
         .thumb{position:relative;display:block;line-height:0;margin-top:4px;width:max-content}.thumb img{display:block;max-width:200px;max-height:200px}\n\
         .thumb svg{position:absolute;left:0;top:0;width:100%;height:100%}.overlay *{fill:none;stroke-width:1.5px;vector-effect:non-scaling-stroke}\n\
         .overlay .face{stroke:#00c853}.overlay .limit{stroke:#ffab00;stroke-dasharray:4 3}.overlay .card,.overlay .page{stroke:#2979ff}\n\
         .overlay .corner{fill:#2979ff;stroke:none}.overlay .text-line{stroke:#aa00ff}.overlay .occluded,.overlay .altered{stroke:#d50000}.overlay .glare{stroke:#ff6d00}\n\
         </style></head><body>\n<h1>prescreen 批量复核报告</h1>\n",
    );
    let _ = writeln!(
        head,
        "<table><tr><th>申请数 applications</th><th>通过 passed</th><th>不通过 rejected</th><th>文件 files</th></tr>\
         <tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table>",
        summary.applications, summary.passed, summary.rejected, summary.files
    );
    for (title, map) in [
        ("按原因 by reason code", &summary.by_code),
        ("按材料 by slot", &summary.by_slot),
    ] {
        let _ = write!(head, "<h2>{title}</h2><table>");
        for (k, n) in map {
            let _ = write!(head, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(k));
        }
        head.push_str("</table>\n");
    }
    head.push_str("<h2>不通过的申请 rejected applications</h2>\n<table><tr><th>申请 id</th><th>文件 file</th><th>原因 code</th><th>说明 message</th></tr>\n");
    w.write_all(head.as_bytes()).map_err(&io)?;
    for_each_result(results, |line| {
        let v = &line.report;
        if v.verdict == Verdict::Pass {
            return Ok(());
        }
        let id = match extras.review_url {
            Some(base) => format!(
                "<a href=\"{}/app/{}\">{}</a>",
                esc(base.trim_end_matches('/')),
                esc(&form_urlencoded::byte_serialize(line.id.as_bytes()).collect::<String>()),
                esc(&line.id)
            ),
            None => esc(&line.id),
        };
        let mut rows = String::new();
        let mut row = |file: &str, thumb: &str, r: &Reason| {
            let _ = writeln!(
                rows,
                "<tr><td>{id}</td><td>{}{thumb}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                esc(file),
                r.severity.as_str(),
                esc(r.code.as_str()),
                esc(&r.message)
            );
        };
        for r in &v.reasons {
            row("", "", r);
        }
        for f in &v.files {
            // The thumbnail once per file, beside its first reason.
            let mut thumb = match (extras.thumbnail, f.reasons.is_empty()) {
                (Some(make), false) => make(line, f).unwrap_or_default(),
                _ => String::new(),
            };
            for r in &f.reasons {
                row(&f.name, &thumb, r);
                thumb.clear();
            }
        }
        w.write_all(rows.as_bytes()).map_err(io_err(html_path))
    })?;
    w.write_all(b"</table>\n</body></html>\n").map_err(&io)?;
    w.flush().map_err(&io)?;
    Ok(())
}

//! The review app's HTML, made on the server: plain pages with a form or
//! two, so the app works without its script (which adds keyboard moves).
//! Every value from the results is escaped.

use super::store::{Choice, Decision};
use super::{overlay, App, Filter, Standing, Workspace};
use crate::batch::summary::esc;
use crate::codes::{Code, Severity};
use crate::report::{FileReport, Reason, Verdict};
use crate::rules::Lang;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn head(title: &str, lang: Lang) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/assets/review.css\">\
         <script src=\"/assets/review.js\" defer></script></head><body>\n",
        t(lang, "zh-CN", "en"),
        esc(title)
    )
}

fn standing_label(s: Standing, lang: Lang) -> &'static str {
    match s {
        Standing::Rejected => t(lang, "不通过", "rejected"),
        Standing::Warned => t(lang, "有提示", "warned"),
        Standing::Passed => t(lang, "通过", "passed"),
    }
}

fn choice_label(c: Choice, lang: Lang) -> &'static str {
    match c {
        Choice::Approve => t(lang, "审核通过", "approved"),
        Choice::Return => t(lang, "退回", "returned"),
    }
}

/// The language switch: the same page in the other language.
fn lang_switch(filter: &Filter, path: &str) -> String {
    let mut other = filter.clone();
    let (label, lang) = match filter.lang() {
        Lang::Zh => ("English", Some("en".to_string())),
        Lang::En => ("中文", None),
    };
    other.lang = lang;
    format!(
        "<a class=\"lang\" id=\"lang-switch\" href=\"{}{}\">{label}</a>",
        esc(path),
        esc(&other.query())
    )
}

fn slot_name(ws: &Workspace, slot: &str, lang: Lang) -> String {
    ws.rules.slot(slot).map_or_else(
        || slot.to_string(),
        |s| match lang {
            Lang::Zh => s.zh.clone(),
            Lang::En => s.en.clone(),
        },
    )
}

/// `/`: the queue.
pub fn queue(ws: &Workspace, filter: &Filter, decisions: &HashMap<String, Decision>) -> String {
    let lang = filter.lang();
    let mut s = head(t(lang, "prescreen 审核工作台", "prescreen review"), lang);
    let _ = writeln!(
        s,
        "<header><h1>{}</h1>{}<a class=\"download\" id=\"export\" href=\"/decisions.csv\">{}</a></header>",
        t(lang, "审核工作台", "Review queue"),
        lang_switch(filter, "/"),
        t(lang, "下载审核结果 CSV", "Download decisions (CSV)")
    );
    let kept: Vec<&App> = ws.apps.iter().filter(|a| filter.keeps(a)).collect();
    // Counts over the whole run, and per reason over what the filter keeps.
    let mut standing = BTreeMap::new();
    for a in &ws.apps {
        *standing.entry(a.standing).or_insert(0usize) += 1;
    }
    let _ = write!(s, "<p class=\"counts\" id=\"counts\">");
    let _ = write!(
        s,
        "<span data-count=\"all\">{} {}</span>",
        t(lang, "申请", "applications"),
        ws.apps.len()
    );
    for st in [Standing::Rejected, Standing::Warned, Standing::Passed] {
        let _ = write!(
            s,
            " · <span data-count=\"{}\">{} {}</span>",
            st.as_str(),
            standing_label(st, lang),
            standing.get(&st).copied().unwrap_or(0)
        );
    }
    let decided = ws.apps.iter().filter(|a| decisions.contains_key(&a.line.id)).count();
    let _ = writeln!(
        s,
        " · <span data-count=\"decided\">{} {decided}</span></p>",
        t(lang, "已审核", "decided")
    );
    filters(&mut s, ws, filter);
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &kept {
        for c in &a.codes {
            *by_code.entry(c.as_str()).or_insert(0) += 1;
        }
    }
    let _ = write!(
        s,
        "<details open class=\"by-code\"><summary>{}</summary><table id=\"by-code\">",
        t(lang, "按原因计数", "Count per reason")
    );
    for (code, n) in &by_code {
        let mut f = filter.clone();
        f.code = Some((*code).to_string());
        let _ = write!(
            s,
            "<tr data-code=\"{c}\"><td><a href=\"/{q}\">{c}</a></td><td class=\"n\">{n}</td></tr>",
            c = esc(code),
            q = esc(&f.query())
        );
    }
    s.push_str("</table></details>\n");
    let _ = writeln!(
        s,
        "<table id=\"queue\" class=\"queue\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t(lang, "申请", "Application"),
        t(lang, "结果", "Result"),
        t(lang, "条件", "Clause"),
        t(lang, "原因", "Reasons"),
        t(lang, "审核", "Decision")
    );
    let q = filter.query();
    for a in &kept {
        let id = &a.line.id;
        let decision = decisions.get(id).map_or_else(String::new, |d| {
            format!(
                "<span class=\"decision {}\">{}</span>",
                d.choice.as_str(),
                choice_label(d.choice, lang)
            )
        });
        let _ = writeln!(
            s,
            "<tr class=\"app {st}\" data-id=\"{eid}\" data-standing=\"{st}\"><td><a class=\"open\" href=\"/app/{uid}{q}\">{eid}</a></td>\
             <td><span class=\"badge {st}\">{label}</span></td><td>{clause}</td><td class=\"codes\">{codes}</td><td>{decision}</td></tr>",
            st = a.standing.as_str(),
            eid = esc(id),
            uid = esc(&enc(id)),
            q = esc(&q),
            label = standing_label(a.standing, lang),
            clause = a.line.report.clause.map_or_else(String::new, |c| c.to_string()),
            codes = esc(&a.codes.join(" ")),
        );
    }
    let _ = write!(
        s,
        "</tbody></table>\n<p class=\"keys\">{}</p>",
        t(
            lang,
            "键盘：j / k 上下移动，Enter 打开",
            "Keys: j / k to move, Enter to open"
        )
    );
    if ws.garbage_lines > 0 {
        let _ = write!(
            s,
            "<p class=\"warn\">{} {}</p>",
            ws.garbage_lines,
            t(
                lang,
                "行结果无法读取（已跳过）",
                "result lines could not be read (skipped)"
            )
        );
    }
    s.push_str("</body></html>\n");
    s
}

fn filters(s: &mut String, ws: &Workspace, filter: &Filter) {
    let lang = filter.lang();
    // Each value any application has, once, sorted.
    let distinct = |of: fn(&App) -> &[String]| -> Vec<&str> {
        let mut v: Vec<&str> = ws.apps.iter().flat_map(|a| of(a).iter().map(String::as_str)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let codes = distinct(|a| &a.codes);
    let slots = distinct(|a| &a.slots);
    let mut clauses: Vec<String> = ws
        .apps
        .iter()
        .filter_map(|a| a.line.report.clause.map(|c| c.to_string()))
        .collect();
    clauses.sort();
    clauses.dedup();
    let select = |s: &mut String, name: &str, label: &str, options: &[(String, String)], current: &Option<String>| {
        let _ = write!(
            s,
            "<label>{label} <select name=\"{name}\" id=\"filter-{name}\"><option value=\"\">—</option>"
        );
        for (v, text) in options {
            let sel = if current.as_deref() == Some(v.as_str()) {
                " selected"
            } else {
                ""
            };
            let _ = write!(s, "<option value=\"{}\"{sel}>{}</option>", esc(v), esc(text));
        }
        s.push_str("</select></label> ");
    };
    s.push_str("<form class=\"filters\" method=\"get\" action=\"/\">");
    let verdicts: Vec<(String, String)> = [Standing::Rejected, Standing::Warned, Standing::Passed]
        .iter()
        .map(|st| (st.as_str().to_string(), standing_label(*st, lang).to_string()))
        .collect();
    select(s, "verdict", t(lang, "结果", "Result"), &verdicts, &filter.verdict);
    let codes: Vec<(String, String)> = codes.iter().map(|c| ((*c).to_string(), (*c).to_string())).collect();
    select(s, "code", t(lang, "原因", "Reason"), &codes, &filter.code);
    let slots: Vec<(String, String)> = slots
        .iter()
        .map(|sl| ((*sl).to_string(), slot_name(ws, sl, lang)))
        .collect();
    select(s, "slot", t(lang, "材料", "Material"), &slots, &filter.slot);
    let clauses: Vec<(String, String)> = clauses.iter().map(|c| (c.clone(), c.clone())).collect();
    select(s, "clause", t(lang, "条件", "Clause"), &clauses, &filter.clause);
    if let Some(l) = &filter.lang {
        let _ = write!(s, "<input type=\"hidden\" name=\"lang\" value=\"{}\">", esc(l));
    }
    let _ = writeln!(
        s,
        "<button type=\"submit\">{}</button> <a href=\"/{}\">{}</a></form>",
        t(lang, "筛选", "Filter"),
        esc(&Filter {
            lang: filter.lang.clone(),
            ..Filter::default()
        }
        .query()),
        t(lang, "清除", "Clear")
    );
}

fn message(ws: &Workspace, r: &Reason, lang: Lang) -> String {
    ws.rules.messages.render(r.code, &r.detail, lang)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn reasons_list(s: &mut String, ws: &Workspace, reasons: &[Reason], lang: Lang) {
    if reasons.is_empty() {
        return;
    }
    s.push_str("<ul class=\"reasons\">");
    for r in reasons {
        let sev = match r.severity {
            Severity::Reject => "reject",
            Severity::Warn => "warn",
        };
        let _ = write!(
            s,
            "<li class=\"reason {sev}\" data-code=\"{c}\"><span class=\"msg\">{m}</span> <code>{c}</code>",
            c = esc(r.code.as_str()),
            m = esc(&message(ws, r, lang))
        );
        // The measured values against their limits, as the check wrote them.
        let shown: Vec<(&String, &Value)> = r
            .detail
            .iter()
            .filter(|(k, _)| k.as_str() != "outline" && k.as_str() != "box")
            .collect();
        if !shown.is_empty() {
            s.push_str("<table class=\"detail\">");
            for (k, v) in shown {
                let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&value_text(v)));
            }
            s.push_str("</table>");
        }
        s.push_str("</li>");
    }
    s.push_str("</ul>\n");
}

/// One file: its image under the overlay, its reasons, its measurements.
fn file_section(s: &mut String, ws: &Workspace, app: &App, i: usize, f: &FileReport, lang: Lang) {
    let verdict = match f.verdict {
        Verdict::Pass => "pass",
        Verdict::Reject => "reject",
    };
    let _ = writeln!(
        s,
        "<section class=\"file {verdict}\" id=\"file-{i}\" data-name=\"{n}\" data-slot=\"{slot}\"><h3>{n} <small>{slotname}</small> <span class=\"badge {verdict}\">{v}</span></h3>",
        n = esc(&f.name),
        slot = esc(f.slot.as_deref().unwrap_or("")),
        slotname = esc(&f.slot.as_deref().map(|sl| slot_name(ws, sl, lang)).unwrap_or_default()),
        v = match f.verdict {
            Verdict::Pass => t(lang, "通过", "pass"),
            Verdict::Reject => t(lang, "不通过", "reject"),
        }
    );
    s.push_str("<div class=\"file-body\">");
    if let Some(svg) = overlay::svg(f, ws.rules.photo()) {
        let _ = writeln!(
            s,
            "<div class=\"figure\"><img alt=\"{n}\" src=\"/image/{id}?name={name}\">{svg}</div>",
            n = esc(&f.name),
            id = esc(&enc(&app.line.id)),
            name = esc(&enc(&f.name)),
        );
    }
    s.push_str("<div class=\"file-text\">");
    reasons_list(s, ws, &f.reasons, lang);
    let pretty = serde_json::to_string_pretty(&f.measurements).unwrap_or_default();
    let _ = writeln!(
        s,
        "<details class=\"measurements\"><summary>{}</summary><pre>{}</pre></details></div></div></section>",
        t(lang, "全部测量值", "All measurements"),
        esc(&pretty)
    );
}

/// `/app/{id}`: one application.
pub fn application(ws: &Workspace, app: &App, filter: &Filter, history: &[Decision]) -> String {
    let lang = filter.lang();
    let id = &app.line.id;
    let report = &app.line.report;
    let mut s = head(&format!("{id} · prescreen"), lang);
    let q = filter.query();
    // Previous and next in the queue as filtered.
    let kept: Vec<&App> = ws.apps.iter().filter(|a| filter.keeps(a)).collect();
    let at = kept.iter().position(|a| a.line.id == *id);
    let link = |a: Option<&&App>, rel: &str, label: &str| {
        a.map_or_else(String::new, |a| {
            format!(
                "<a id=\"{rel}\" rel=\"{rel}\" href=\"/app/{}{}\">{label}</a>",
                esc(&enc(&a.line.id)),
                esc(&q)
            )
        })
    };
    let prev = link(
        at.and_then(|i| i.checked_sub(1)).and_then(|i| kept.get(i)),
        "prev",
        t(lang, "← 上一份", "← previous"),
    );
    let next = link(at.and_then(|i| kept.get(i + 1)), "next", t(lang, "下一份 →", "next →"));
    let _ = writeln!(
        s,
        "<header><a id=\"back\" href=\"/{q}\">{}</a> {prev} {next} {}</header>",
        t(lang, "↑ 返回队列", "↑ queue"),
        lang_switch(filter, &format!("/app/{}", enc(id))),
        q = esc(&q),
    );
    let _ = writeln!(
        s,
        "<h1 id=\"app-id\" data-standing=\"{st}\">{eid} <span class=\"badge {st}\">{label}</span></h1>\n<p class=\"meta\">{}{}</p>",
        report
            .plan
            .as_deref()
            .map(|p| format!("{} {} · ", esc(p), report.clause.map_or_else(String::new, |c| format!("{} {c}", t(lang, "条件", "clause")))))
            .unwrap_or_default(),
        esc(&app.line.path),
        st = app.standing.as_str(),
        eid = esc(id),
        label = standing_label(app.standing, lang),
    );
    // The evidence on the left, the decision beside it (sticky on a wide
    // screen, after the evidence on a narrow one).
    s.push_str("<div class=\"layout\"><main>");
    checklist(&mut s, ws, app, lang);
    reasons_list(&mut s, ws, &report.reasons, lang);
    for (i, f) in report.files.iter().enumerate() {
        file_section(&mut s, ws, app, i, f, lang);
    }
    s.push_str("</main><aside>");
    decision_form(&mut s, ws, app, filter, history);
    s.push_str("</aside></div></body></html>\n");
    s
}

/// The clause's materials: ✓ present and passing, ✗ present and rejected,
/// missing.
fn checklist(s: &mut String, ws: &Workspace, app: &App, lang: Lang) {
    let report = &app.line.report;
    let (Some(plan), Some(n)) = (report.plan.as_deref(), report.clause) else {
        return;
    };
    let Ok((plan, clause)) = ws.rules.plan_clause(plan, n) else {
        return;
    };
    let list = ws.rules.checklist(plan, clause);
    let _ = write!(
        s,
        "<h2>{}</h2><p class=\"condition\">{}</p><ul class=\"checklist\" id=\"checklist\">",
        t(lang, "材料清单", "Checklist"),
        esc(match lang {
            Lang::Zh => &list.condition_zh,
            Lang::En => &list.condition_en,
        })
    );
    for m in &list.materials {
        let files: Vec<&FileReport> = report
            .files
            .iter()
            .filter(|f| f.slot.as_deref() == Some(m.slot.as_str()))
            .collect();
        let (state, mark) = if files.is_empty() || report.missing.contains(&m.slot) {
            ("missing", t(lang, "缺少", "missing"))
        } else if files.iter().any(|f| f.verdict == Verdict::Reject) {
            ("rejected", "✗")
        } else {
            ("ok", "✓")
        };
        let _ = write!(
            s,
            "<li class=\"{state}\" data-slot=\"{}\" data-state=\"{state}\"><span class=\"mark\">{mark}</span> {}</li>",
            esc(&m.slot),
            esc(match lang {
                Lang::Zh => &m.zh,
                Lang::En => &m.en,
            })
        );
    }
    s.push_str("</ul>\n");
}

fn decision_form(s: &mut String, ws: &Workspace, app: &App, filter: &Filter, history: &[Decision]) {
    let lang = filter.lang();
    let id = &app.line.id;
    let _ = write!(
        s,
        "<section class=\"decide\" id=\"decide\"><h2>{}</h2>",
        t(lang, "审核决定", "Decision")
    );
    if let Some(d) = history.last() {
        let _ = write!(
            s,
            "<p class=\"current {c}\" id=\"current-decision\" data-choice=\"{c}\">{} · {} · {}{}{}</p>",
            choice_label(d.choice, lang),
            esc(&d.reviewer),
            esc(&d.decided_at),
            if d.codes.is_empty() {
                String::new()
            } else {
                format!(" · <code>{}</code>", esc(&d.codes.join(" ")))
            },
            if d.message.is_empty() {
                String::new()
            } else {
                format!(" · <q>{}</q>", esc(&d.message))
            },
            c = d.choice.as_str(),
        );
    }
    let _ = write!(
        s,
        "<form method=\"post\" action=\"/app/{}/decision\" id=\"decision-form\">\
         <input type=\"hidden\" name=\"back\" value=\"{}\">\
         <label><input type=\"radio\" name=\"choice\" value=\"approve\"{}> {}</label> \
         <label><input type=\"radio\" name=\"choice\" value=\"return\"{}> {}</label>\
         <fieldset class=\"codes\"><legend>{}</legend>",
        esc(&enc(id)),
        esc(&filter.query()),
        if app.standing == Standing::Rejected {
            ""
        } else {
            " checked"
        },
        t(lang, "审核通过", "Approve"),
        if app.standing == Standing::Rejected {
            " checked"
        } else {
            ""
        },
        t(lang, "退回（填写原因）", "Return with reasons"),
        t(lang, "退回原因", "Reasons"),
    );
    // The application's own codes first, ticked when it was rejected; any
    // other code can be picked from the list below them.
    let rejected: Vec<&Reason> = app
        .line
        .report
        .all_reasons()
        .filter(|r| r.severity == Severity::Reject)
        .collect();
    for code in &app.codes {
        let ticked = rejected.iter().any(|r| r.code.as_str() == code);
        let msg = app
            .line
            .report
            .all_reasons()
            .find(|r| r.code.as_str() == code)
            .map(|r| message(ws, r, lang))
            .unwrap_or_default();
        let _ = write!(
            s,
            "<label class=\"code\"><input type=\"checkbox\" name=\"codes\" value=\"{c}\" data-message=\"{m}\"{}> <code>{c}</code> {m}</label>",
            if ticked { " checked" } else { "" },
            c = esc(code),
            m = esc(&msg),
        );
    }
    let _ = write!(
        s,
        "<label>{} <select name=\"codes\" id=\"other-code\"><option value=\"\">—</option>",
        t(lang, "其他原因", "Other reason")
    );
    for c in Code::ALL {
        if !app.codes.iter().any(|x| x == c.as_str()) {
            let _ = write!(s, "<option value=\"{0}\">{0}</option>", esc(c.as_str()));
        }
    }
    let _ = write!(
        s,
        "</select></label></fieldset>\
         <label class=\"message\">{}<textarea name=\"message\" id=\"message\" rows=\"3\" maxlength=\"2000\"></textarea></label>\
         <label>{} <input name=\"reviewer\" id=\"reviewer\" maxlength=\"100\" value=\"{}\"></label> \
         <button type=\"submit\" id=\"submit-decision\">{}</button></form>",
        t(lang, "给申请人的说明（可选）", "Message to the applicant (optional)"),
        t(lang, "审核人", "Reviewer"),
        esc(ws.reviewer.as_deref().unwrap_or("")),
        t(lang, "保存", "Save"),
    );
    if history.len() > 1 {
        let _ = write!(
            s,
            "<details><summary>{}</summary><ol class=\"history\">",
            t(lang, "历史", "History")
        );
        for d in history {
            let _ = write!(
                s,
                "<li>{} · {} · {} <code>{}</code> {}</li>",
                choice_label(d.choice, lang),
                esc(&d.reviewer),
                esc(&d.decided_at),
                esc(&d.codes.join(" ")),
                esc(&d.message)
            );
        }
        s.push_str("</ol></details>");
    }
    s.push_str("</section>\n");
}

/// The key form shown when a key is required and none was given.
pub fn login(failed: bool) -> String {
    let mut s = head("prescreen review · 登录", Lang::Zh);
    s.push_str("<h1>prescreen 审核工作台</h1>");
    if failed {
        s.push_str("<p class=\"warn\">密钥不正确 · wrong key</p>");
    }
    s.push_str(
        "<form method=\"post\" action=\"/login\"><label>访问密钥 key <input type=\"password\" name=\"key\" autofocus></label> \
         <button type=\"submit\">登录 log in</button></form></body></html>\n",
    );
    s
}

//! The command line: clap types, turned into library calls. Nothing past
//! this module sees clap.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use prescreen::collect::{collect, parse_input};
use prescreen::report::render_text;
use prescreen::rules::{Lang, Rules};
use prescreen::{check_application, Target, Verdict};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Pre-screens the uploads of the 电子商务师 (level 2) skill assessment.
#[derive(Debug, Parser)]
#[command(name = "prescreen", version, about)]
pub struct Cli {
    /// Rulebook TOML to use instead of the built-in one
    #[arg(long, global = true, env = "PRESCREEN_RULES", value_name = "FILE")]
    pub rules: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files, folders of an application, against a clause
    Check(CheckArgs),
    /// List plans and clauses, or print a clause's checklist
    Rules(RulesArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Plan id, e.g. ecommerce-l2 (without it: per-file checks only)
    #[arg(long)]
    pub plan: Option<String>,
    /// Clause number within the plan
    #[arg(long, requires = "plan")]
    pub clause: Option<u32>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Language of the messages
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub lang: LangArg,
    /// SLOT=PATH, or a PATH (file or folder)
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Plan id (without it: list every plan and clause)
    #[arg(long)]
    pub plan: Option<String>,
    /// Clause number: print its checklist
    #[arg(long, requires = "plan")]
    pub clause: Option<u32>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of the text output
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub lang: LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

/// Runs a parsed command line; the exit code follows SPEC §4.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let rules = match &cli.rules {
        Some(path) => Rules::from_path(path).with_context(|| format!("loading rulebook {}", path.display()))?,
        None => Rules::builtin().context("loading the built-in rulebook")?,
    };
    match cli.command {
        Command::Check(args) => check(args, &rules),
        Command::Rules(args) => list_rules(args, &rules),
    }
}

fn check(args: CheckArgs, rules: &Rules) -> Result<ExitCode> {
    let target = match (&args.plan, args.clause) {
        (Some(p), Some(n)) => {
            let plan = rules.plan(p).with_context(|| unknown_plan(p, rules))?;
            let clause = plan
                .clause(n)
                .with_context(|| format!("plan {p} has no clause {n} (it has {})", clause_list(plan)))?;
            Some(Target { plan, clause })
        }
        (Some(p), None) => bail!("--plan {p} needs --clause N"),
        _ => None,
    };
    let specs = args
        .inputs
        .iter()
        .map(|a| parse_input(a, rules))
        .collect::<Result<Vec<_>, _>>()?;
    let uploads = collect(&specs, rules)?;
    let lang = Lang::from(args.lang);
    let report = check_application(&uploads, target, rules, lang);
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Text => render_text(&report, rules, lang),
    };
    write_stdout(&text)?;
    Ok(match report.verdict {
        Verdict::Pass => ExitCode::SUCCESS,
        Verdict::Reject => ExitCode::from(1),
    })
}

fn list_rules(args: RulesArgs, rules: &Rules) -> Result<ExitCode> {
    let zh = Lang::from(args.lang) == Lang::Zh;
    let out = match (&args.plan, args.clause) {
        (Some(p), Some(n)) => {
            let plan = rules.plan(p).with_context(|| unknown_plan(p, rules))?;
            let clause = plan.clause(n).with_context(|| format!("plan {p} has no clause {n}"))?;
            let list = rules.checklist(plan, clause);
            match args.format {
                Format::Json => serde_json::to_string_pretty(&list)? + "\n",
                Format::Text => {
                    let mut s = format!(
                        "{} ({}) {}\n{}\n\n",
                        if zh { &list.plan_zh } else { &list.plan_en },
                        list.plan,
                        if zh {
                            format!("第 {n} 条")
                        } else {
                            format!("clause {n}")
                        },
                        if zh { &list.condition_zh } else { &list.condition_en },
                    );
                    s += if zh {
                        "需准备以下材料：\n"
                    } else {
                        "Materials:\n"
                    };
                    for (i, m) in list.materials.iter().enumerate() {
                        let fmt: Vec<&str> = m.formats.iter().map(|f| f.as_str()).collect();
                        let size = m.size_bytes.map(|[a, b]| format!(", {a}–{b} B")).unwrap_or_default();
                        s += &format!(
                            "  {}. {} [{}] ({}{size})\n",
                            i + 1,
                            if zh { &m.zh } else { &m.en },
                            m.slot,
                            fmt.join("/")
                        );
                    }
                    let notes = if zh { &list.notes_zh } else { &list.notes_en };
                    let data = if zh {
                        &list.applicant_data_rules_zh
                    } else {
                        &list.applicant_data_rules_en
                    };
                    for (title, items) in [
                        (if zh { "说明" } else { "Notes" }, notes),
                        (if zh { "填报要求" } else { "Applicant data" }, data),
                        (
                            if zh { "相关职业" } else { "Related occupations" },
                            &list.related_occupations,
                        ),
                    ] {
                        if !items.is_empty() {
                            s += &format!("\n{title}:\n");
                            for it in items {
                                s += &format!("  - {it}\n");
                            }
                        }
                    }
                    s
                }
            }
        }
        (Some(p), None) => {
            let plan = rules.plan(p).with_context(|| unknown_plan(p, rules))?;
            plans_overview(std::slice::from_ref(plan), args.format, zh)?
        }
        _ => plans_overview(&rules.book.plans, args.format, zh)?,
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn plans_overview(plans: &[prescreen::rules::Plan], format: Format, zh: bool) -> Result<String> {
    Ok(match format {
        Format::Json => {
            let v: Vec<_> = plans
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "plan": p.id(),
                        "zh": p.zh,
                        "en": p.en,
                        "clauses": p.clauses.iter().map(|c| serde_json::json!({
                            "clause": c.n.get_ref(),
                            "condition_zh": c.condition_zh,
                            "condition_en": c.condition_en,
                            "slots": p.required_slots(c),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Text => {
            let mut s = String::new();
            for p in plans {
                s += &format!("{} — {}\n", p.id(), if zh { &p.zh } else { &p.en });
                for c in &p.clauses {
                    let cond = if zh { &c.condition_zh } else { &c.condition_en };
                    s += &format!("  {}. {cond}\n", c.n.get_ref());
                }
            }
            s
        }
    })
}

fn unknown_plan(p: &str, rules: &Rules) -> String {
    let ids: Vec<&str> = rules.book.plans.iter().map(|p| p.id()).collect();
    format!("unknown plan {p:?}; plans are: {}", ids.join(", "))
}

fn clause_list(plan: &prescreen::rules::Plan) -> String {
    let n: Vec<String> = plan.clauses.iter().map(|c| c.n.get_ref().to_string()).collect();
    n.join(", ")
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

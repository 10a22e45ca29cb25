//! The command line: clap types, turned into library calls. Nothing past
//! this module sees clap.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use prescreen::collect::{collect, parse_input};
use prescreen::report::render_text;
use prescreen::rules::{Lang, Rules};
use prescreen::{check_application_with, CheckOptions, Target, Verdict};
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
    /// Serve the checks over HTTP (POST /v1/check …)
    Serve(ServeArgs),
    /// Re-check an archive of past applications (folders or .zip files)
    Batch(BatchArgs),
    /// Summarise a batch's results.jsonl; export CSV and HTML
    Report(ReportArgs),
    /// Which clauses a declared history meets, and what does not add up
    Eligibility(EligibilityArgs),
    /// Make an upload that passes from a photo whose only faults are size, crop or format
    Fix(FixArgs),
    /// The reviewers' workspace over a batch's results (local web app), or --export its decisions
    Review(ReviewArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// The results.jsonl of `prescreen batch` (repeat for the shards of one run)
    #[arg(long, required = true, value_name = "FILE")]
    pub results: Vec<PathBuf>,
    /// The archives the batch read (images are served only from inside them)
    #[arg(value_name = "ARCHIVE", required_unless_present = "export")]
    pub archives: Vec<PathBuf>,
    /// The decisions file [default: RESULTS.decisions.sqlite beside the first results file]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Write the current decisions as CSV and exit (no server)
    #[arg(long, value_name = "CSV")]
    pub export: Option<PathBuf>,
    /// Leave the UTF-8 byte-order mark out of the CSV export (Excel needs it)
    #[arg(long)]
    pub no_bom: bool,
    /// Address to listen on
    #[arg(long, env = "PRESCREEN_REVIEW_BIND", default_value_t = prescreen::review::DEFAULT_BIND)]
    pub bind: std::net::SocketAddr,
    /// The port on the loopback address (shorthand for --bind 127.0.0.1:PORT)
    #[arg(long, conflicts_with = "bind")]
    pub port: Option<u16>,
    /// Require this key (`Authorization: Bearer KEY`, or the login page) on every page
    #[arg(long, env = "PRESCREEN_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The name put on decisions (the page can change it)
    #[arg(long, env = "PRESCREEN_REVIEWER")]
    pub reviewer: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// The slot the file is for, e.g. photo or id_card_front
    #[arg(long)]
    pub slot: String,
    /// Where the fixed JPEG goes (written only when it passes the check)
    #[arg(short = 'o', long, value_name = "OUTPUT")]
    pub output: PathBuf,
    /// Output format of the report
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Language of the messages
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub lang: LangArg,
    /// The photo: JPEG, PNG, WebP or HEIC
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct EligibilityArgs {
    /// Plan id, e.g. ecommerce-l2
    #[arg(long)]
    pub plan: String,
    /// Exit 0 only when this clause is met (without it: when any is)
    #[arg(long)]
    pub clause: Option<u32>,
    /// Reference date YYYY-MM-DD [default: today in China]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Language of the findings' messages (the clauses carry both)
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub lang: LangArg,
    /// The declared-data JSON document (`-`: standard input)
    #[arg(value_name = "DECLARED.json")]
    pub declared: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// Folders whose children (sub-folders and .zip files) are applications
    #[arg(value_name = "ARCHIVE")]
    pub archives: Vec<PathBuf>,
    /// A file listing application paths, one per line
    #[arg(long, value_name = "FILE")]
    pub list: Option<PathBuf>,
    /// Plan id, e.g. ecommerce-l2
    #[arg(long)]
    pub plan: Option<String>,
    /// Clause for every application not in the manifest
    #[arg(long, requires = "plan")]
    pub clause: Option<u32>,
    /// CSV of `application id,clause` rows
    #[arg(long, value_name = "CSV", requires = "plan")]
    pub manifest: Option<PathBuf>,
    /// JSON-lines output, one application per line
    #[arg(long, default_value = "results.jsonl")]
    pub out: PathBuf,
    /// Skip the applications already in --out (after a kill)
    #[arg(long)]
    pub resume: bool,
    /// Replace an existing --out (without it, a non-empty --out needs --resume)
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Take only shard i of n (stable hash of the application id), e.g. 0/3
    #[arg(long, value_name = "I/N")]
    pub shard: Option<prescreen::batch::Shard>,
    /// Judge ID cards' validity at this date YYYY-MM-DD (the archive's application date) [default: today in China]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Threads [default: all cores]
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Language of the messages
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub lang: LangArg,
    /// No progress output
    #[arg(long)]
    pub quiet: bool,
    /// Also write the CSV export here at the end
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Leave the UTF-8 byte-order mark out of the CSV (Excel needs it)
    #[arg(long)]
    pub no_bom: bool,
    #[command(flatten)]
    pub html: HtmlArgs,
}

/// The HTML report's options, for `report` and `batch`.
#[derive(Debug, clap::Args)]
pub struct HtmlArgs {
    /// Write the self-contained HTML report (with `batch`: at the end)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Link each application to its page in `prescreen review` at this address (e.g. http://127.0.0.1:8090)
    #[arg(long, value_name = "URL")]
    pub review_url: Option<String>,
    /// Leave the thumbnails (with the evidence drawn on them) out of the HTML report
    #[arg(long)]
    pub no_thumbnails: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The results.jsonl of `prescreen batch` (several: the shards of one run, merged)
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Write the CSV export (one row per reason)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Leave the UTF-8 byte-order mark out of the CSV (Excel needs it)
    #[arg(long)]
    pub no_bom: bool,
    #[command(flatten)]
    pub html: HtmlArgs,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "PRESCREEN_BIND", default_value_t = prescreen::server::DEFAULT_BIND)]
    pub bind: std::net::SocketAddr,
    /// Checks running at once [default: the number of cores]
    #[arg(long, env = "PRESCREEN_WORKERS")]
    pub workers: Option<usize>,
    /// Requests waiting for a worker before new ones get 503 [default: 16 per worker]
    #[arg(long, env = "PRESCREEN_QUEUE")]
    pub queue: Option<usize>,
    /// Largest request body in bytes [default: the rulebook's max_request_bytes]
    #[arg(long, env = "PRESCREEN_MAX_REQUEST_BYTES")]
    pub max_request_bytes: Option<u64>,
    /// Time limit per request, in seconds
    #[arg(long, env = "PRESCREEN_TIMEOUT_SECS", default_value_t = prescreen::server::DEFAULT_TIMEOUT_SECS)]
    pub timeout_secs: u64,
    /// Request bodies read at once, before the checks' queue (slow senders wait here)
    #[arg(long, env = "PRESCREEN_READERS", default_value_t = prescreen::server::DEFAULT_READERS)]
    pub readers: usize,
    /// Bytes of request bodies held in memory at once (503 past it)
    #[arg(long, env = "PRESCREEN_BODY_BUDGET", default_value_t = prescreen::server::DEFAULT_BODY_BUDGET)]
    pub body_budget: u64,
    /// Seconds a request body may take to arrive (408 past it)
    #[arg(long, env = "PRESCREEN_BODY_TIMEOUT_SECS", default_value_t = prescreen::server::DEFAULT_BODY_TIMEOUT_SECS)]
    pub body_timeout_secs: u64,
    /// Bytes/s on average that let a large body take longer than --body-timeout-secs
    #[arg(long, env = "PRESCREEN_MIN_BODY_RATE", default_value_t = prescreen::server::DEFAULT_MIN_BODY_RATE)]
    pub min_body_rate: u64,
    /// Seconds a request's headers may take to arrive (the connection is closed past it)
    #[arg(long, env = "PRESCREEN_HEADER_TIMEOUT_SECS", default_value_t = prescreen::server::DEFAULT_HEADER_TIMEOUT_SECS)]
    pub header_timeout_secs: u64,
    /// Require `Authorization: Bearer KEY` on /v1/* (off when unset)
    #[arg(long, env = "PRESCREEN_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Origins allowed by CORS, comma-separated (e.g. https://reg.example.cn)
    #[arg(long, env = "PRESCREEN_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origin: Vec<String>,
    /// Log as JSON lines instead of text
    #[arg(long, env = "PRESCREEN_LOG_JSON")]
    pub log_json: bool,
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
    /// Declared-data JSON: adds the clause's eligibility (eligibility.*) to the report
    #[arg(long, value_name = "FILE", requires = "clause")]
    pub declared: Option<PathBuf>,
    /// Reference date YYYY-MM-DD for the ID card's validity and --declared [default: today in China]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Show the ID card's full number in the report (masked by default: first 6 and last 4)
    #[arg(long)]
    pub unmask_id_number: bool,
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
        Command::Serve(args) => serve(args, rules, cli.rules.clone()),
        Command::Batch(args) => batch(args, &rules),
        Command::Report(args) => report(&args.results, args.csv.as_deref(), !args.no_bom, &args.html, &rules),
        Command::Eligibility(args) => eligibility(args, &rules),
        Command::Fix(args) => fix(args, &rules),
        Command::Review(args) => review(args, rules),
    }
}

fn review(args: ReviewArgs, rules: Rules) -> Result<ExitCode> {
    use prescreen::review::{export, serve, store, Options, Workspace};
    let db = args.db.clone().unwrap_or_else(|| store::default_path(&args.results[0]));
    if let Some(csv) = &args.export {
        let file = std::fs::File::create(csv).with_context(|| format!("creating {}", csv.display()))?;
        let n = export(&db, std::io::BufWriter::new(file), !args.no_bom)?;
        eprintln!("{n} decisions written to {}", csv.display());
        return Ok(ExitCode::SUCCESS);
    }
    let ws = Workspace::open(
        Options {
            results: args.results.clone(),
            roots: args.archives.clone(),
            db: Some(db.clone()),
            reviewer: args.reviewer.clone(),
            api_key: args.api_key.clone(),
        },
        std::sync::Arc::new(rules),
    )?;
    let apps = ws.apps().len();
    let bind = match args.port {
        Some(p) => std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), p),
        None => args.bind,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(serve(std::sync::Arc::new(ws), bind, |addr| {
            eprintln!(
                "prescreen review: {apps} applications, decisions in {}; open http://{addr}/ (Ctrl-C stops)",
                db.display()
            );
        }))
        .with_context(|| format!("serving on {bind}"))?;
    Ok(ExitCode::SUCCESS)
}

fn batch(args: BatchArgs, rules: &Rules) -> Result<ExitCode> {
    use prescreen::batch::{discover, from_list, read_manifest, read_text, run, Options};
    use std::io::IsTerminal;
    let mut apps = Vec::new();
    for dir in &args.archives {
        apps.extend(discover(dir)?);
    }
    if let Some(list) = &args.list {
        apps.extend(from_list(&read_text(list)?));
    }
    if apps.is_empty() && args.archives.is_empty() && args.list.is_none() {
        bail!("give an archive folder or --list FILE");
    }
    let manifest = match &args.manifest {
        Some(m) => read_manifest(&read_text(m)?)?,
        None => Default::default(),
    };
    let progress = if args.quiet {
        Shown::Quiet
    } else if std::io::stderr().is_terminal() {
        Shown::Bar
    } else {
        Shown::Lines
    };
    let opts = Options {
        plan: args.plan,
        clause: args.clause,
        manifest,
        out: args.out.clone(),
        resume: args.resume,
        force: args.force,
        shard: args.shard,
        jobs: args.jobs,
        lang: Lang::from(args.lang),
        as_of: args.as_of.as_deref().map(|t| as_of_date(Some(t))).transpose()?,
    };
    let stats = run(apps, &opts, rules, &Reporter::new(progress))?;
    if !stats.garbage_lines.is_empty() {
        let lines: Vec<String> = stats.garbage_lines.iter().map(u64::to_string).collect();
        eprintln!(
            "resume: {}: line {} is not a result; kept, and the lines after it were read",
            args.out.display(),
            lines.join(", ")
        );
    }
    if !stats.unmatched_manifest_ids.is_empty() {
        eprintln!(
            "warning: {} manifest id(s) match no application in the archive: {}",
            stats.unmatched_manifest_ids.len(),
            stats.unmatched_manifest_ids.join(", ")
        );
    }
    if stats.without_clause > 0 {
        eprintln!(
            "warning: {} application(s) have no clause (not in the manifest, no --clause): rejected with set.no_clause",
            stats.without_clause
        );
    }
    if stats.cut_torn_line && !args.quiet {
        eprintln!("resume: cut a torn last line of {}", args.out.display());
    }
    if !args.quiet {
        eprintln!(
            "checked {} applications ({} files, {} rejected); {} already done",
            stats.checked, stats.files, stats.rejected, stats.skipped
        );
    }
    report(
        std::slice::from_ref(&args.out),
        args.csv.as_deref(),
        !args.no_bom,
        &args.html,
        rules,
    )
}

fn report(
    results: &[PathBuf],
    csv: Option<&std::path::Path>,
    bom: bool,
    html: &HtmlArgs,
    rules: &Rules,
) -> Result<ExitCode> {
    use prescreen::batch::summary::{summarise, write_csv, write_html_with, HtmlExtras};
    let summary = summarise(results)?;
    if let Some(path) = csv {
        write_csv(results, path, bom)?;
    }
    if let Some(path) = &html.html {
        let thumbnail = |line: &prescreen::batch::ResultLine, file: &prescreen::FileReport| {
            prescreen::review::thumbnail(line, file, rules)
        };
        let extras = HtmlExtras {
            review_url: html.review_url.as_deref(),
            thumbnail: (!html.no_thumbnails).then_some(&thumbnail as _),
        };
        write_html_with(results, path, &summary, &extras)?;
    }
    write_stdout(&summary.render())?;
    Ok(if summary.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn serve(args: ServeArgs, rules: Rules, rules_path: Option<PathBuf>) -> Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only on a terminal, never into a log file.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if args.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut config = prescreen::server::Config::new(&rules, cpus);
    config.bind = args.bind;
    if let Some(w) = args.workers {
        if w == 0 {
            bail!("--workers must be at least 1");
        }
        config.set_workers(w);
    }
    if let Some(q) = args.queue {
        config.queue = q;
    }
    if let Some(m) = args.max_request_bytes {
        config.max_request_bytes = m;
    }
    config.timeout = std::time::Duration::from_secs(args.timeout_secs.max(1));
    config.readers = args.readers.max(1);
    config.body_budget = args.body_budget;
    config.min_body_rate = args.min_body_rate.max(1);
    config.body_timeout = std::time::Duration::from_secs(args.body_timeout_secs.max(1));
    config.header_timeout = std::time::Duration::from_secs(args.header_timeout_secs.max(1));
    config.api_key = args.api_key.filter(|k| !k.is_empty());
    config.rules_path = rules_path;
    config.cors_origins = args.cors_origin.into_iter().filter(|o| !o.is_empty()).collect();
    // The runtime only moves bytes; the checks run on blocking threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpus.clamp(1, 4))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(prescreen::server::serve(std::sync::Arc::new(rules), config))
        .with_context(|| format!("serving on {}", args.bind))?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs, rules: &Rules) -> Result<ExitCode> {
    let target = match (&args.plan, args.clause) {
        (Some(p), Some(n)) => Some(Target::resolve(rules, p, n)?),
        (Some(p), None) => bail!("--plan {p} needs --clause N"),
        _ => None,
    };
    let specs = args
        .inputs
        .iter()
        .map(|a| parse_input(a, rules))
        .collect::<Result<Vec<_>, _>>()?;
    let lang = Lang::from(args.lang);
    // The declaration is read before any image, so a bad one fails fast.
    let declared = args.declared.as_ref().map(|path| read_declared(path)).transpose()?;
    let judged = match (&declared, &args.plan, args.clause) {
        (Some(declared), Some(plan), Some(n)) => {
            let as_of = as_of_date(args.as_of.as_deref())?;
            Some((prescreen::eligibility::evaluate(rules, plan, declared, as_of, lang)?, n))
        }
        _ => None,
    };
    let uploads = collect(&specs, rules)?;
    // The card's validity is judged at --as-of; its number is compared with
    // the declared one.
    let options = CheckOptions {
        as_of: args.as_of.as_deref().map(|t| as_of_date(Some(t))).transpose()?,
        declared_id: declared.and_then(|d| d.id_number),
        unmask_id: args.unmask_id_number,
        ..CheckOptions::default()
    };
    let mut report = check_application_with(&uploads, target, rules, lang, &options);
    if let Some((e, n)) = &judged {
        prescreen::eligibility::add_to_report(&mut report, e, *n, rules, lang);
    }
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

/// At most `cap` bytes of `path` (`-`: standard input); more is an error.
fn read_capped(path: &std::path::Path, cap: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().lock().take(cap + 1).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(cap + 1).read_to_end(&mut bytes))
            .with_context(|| format!("reading {}", path.display()))?;
    }
    if bytes.len() as u64 > cap {
        bail!("{}: over the limit of {cap} bytes", path.display());
    }
    Ok(bytes)
}

/// The declared-data document at `path` (`-`: standard input), at most 1 MB.
fn read_declared(path: &std::path::Path) -> Result<prescreen::eligibility::Declared> {
    let bytes = read_capped(path, 1 << 20)?;
    prescreen::eligibility::Declared::from_json(&bytes).with_context(|| format!("{}", path.display()))
}

/// `--as-of`, or today in China.
fn as_of_date(text: Option<&str>) -> Result<chrono::NaiveDate> {
    match text {
        None => Ok(prescreen::eligibility::today()),
        Some(t) => {
            prescreen::eligibility::parse_as_of(t).with_context(|| format!("--as-of {t:?}: expected a date YYYY-MM-DD"))
        }
    }
}

fn eligibility(args: EligibilityArgs, rules: &Rules) -> Result<ExitCode> {
    let declared = read_declared(&args.declared)?;
    let as_of = as_of_date(args.as_of.as_deref())?;
    let lang = Lang::from(args.lang);
    let e = prescreen::eligibility::evaluate(rules, &args.plan, &declared, as_of, lang)?;
    if let Some(n) = args.clause {
        rules.plan_clause(&args.plan, n)?;
    }
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&e)? + "\n",
        Format::Text => prescreen::eligibility::render_text(&e, rules, lang),
    };
    write_stdout(&text)?;
    let met = match args.clause {
        Some(n) => e.met(n),
        None => !e.clauses_met.is_empty(),
    };
    Ok(if met && !e.rejects() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn fix(args: FixArgs, rules: &Rules) -> Result<ExitCode> {
    let slot = rules
        .slot(&args.slot)
        .with_context(|| format!("unknown slot {:?}; one of: {}", args.slot, rules.slot_ids()))?;
    let bytes = read_capped(&args.input, rules.limits().max_file_bytes)?;
    let lang = Lang::from(args.lang);
    let name = args
        .output
        .file_name()
        .map_or_else(|| "fixed.jpg".into(), |n| n.to_string_lossy().into_owned());
    let fixed = prescreen::fix::fix(&bytes, &name, slot, rules, lang);
    if let Some(jpeg) = &fixed.jpeg {
        // Written whole or not at all: a temporary file beside it, renamed.
        let tmp = args.output.with_extension("jpg.part");
        std::fs::write(&tmp, jpeg).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &args.output).with_context(|| format!("writing {}", args.output.display()))?;
    }
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&fixed.report)? + "\n",
        Format::Text => render_text(&fixed.report, rules, lang),
    };
    write_stdout(&text)?;
    Ok(if fixed.jpeg.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn list_rules(args: RulesArgs, rules: &Rules) -> Result<ExitCode> {
    let zh = Lang::from(args.lang) == Lang::Zh;
    let out = match (&args.plan, args.clause) {
        (Some(p), Some(n)) => {
            let (plan, clause) = rules.plan_clause(p, n)?;
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
            let plan = rules.plan_or_err(p)?;
            plans_overview(std::slice::from_ref(plan), args.format, zh)?
        }
        _ => plans_overview(rules.plans(), args.format, zh)?,
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn plans_overview(plans: &[prescreen::rules::Plan], format: Format, zh: bool) -> Result<String> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&prescreen::rules::plans_json(plans))? + "\n",
        Format::Text => {
            let mut s = String::new();
            for p in plans {
                s += &format!("{} — {}\n", p.id(), if zh { &p.zh } else { &p.en });
                for c in &p.clauses {
                    let cond = if zh { &c.condition_zh } else { &c.condition_en };
                    s += &format!("  {}. {cond}\n", c.n);
                }
            }
            s
        }
    })
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// How a batch's progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// A progress bar (a terminal).
    Bar,
    /// A line every few seconds (logs of a Kubernetes job).
    Lines,
    Quiet,
}

/// Shows a batch's progress on stderr.
struct Reporter {
    shown: Shown,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    last_line: std::sync::Mutex<std::time::Instant>,
    todo: std::sync::atomic::AtomicUsize,
    start: std::time::Instant,
}

impl Reporter {
    fn new(shown: Shown) -> Reporter {
        Reporter {
            shown,
            bar: std::sync::OnceLock::new(),
            last_line: std::sync::Mutex::new(std::time::Instant::now()),
            todo: std::sync::atomic::AtomicUsize::new(0),
            start: std::time::Instant::now(),
        }
    }
}

impl prescreen::batch::Progress for Reporter {
    fn start(&self, todo: usize, skipped: usize) {
        use std::sync::atomic::Ordering;
        self.todo.store(todo, Ordering::Relaxed);
        if skipped > 0 && self.shown != Shown::Quiet {
            eprintln!("resume: {skipped} applications already in the output");
        }
        if self.shown == Shown::Bar {
            let bar = indicatif::ProgressBar::new(todo as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} applications  {per_sec}  ETA {eta}")
            {
                bar.set_style(style);
            }
            let _ = self.bar.set(bar);
        }
    }

    fn tick(&self, done: usize) {
        use std::sync::atomic::Ordering;
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
        }
        if self.shown == Shown::Lines {
            let total = self.todo.load(Ordering::Relaxed);
            let mut last = self.last_line.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.elapsed() >= std::time::Duration::from_secs(5) || done == total {
                *last = std::time::Instant::now();
                let secs = self.start.elapsed().as_secs_f64().max(1e-3);
                let rate = done as f64 / secs;
                let eta = total.saturating_sub(done) as f64 / rate.max(1e-9);
                eprintln!("batch: {done}/{total} applications, {rate:.1}/s, ETA {eta:.0} s");
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish();
        }
    }
}

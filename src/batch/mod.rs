//! `prescreen batch`: re-checks an archive of past applications on all
//! cores. Each application (a folder or a zip) is read, checked and written
//! as one JSON line, flushed and fsynced, then dropped, so memory does not
//! grow with the archive. `--resume` skips the ids already in the output
//! (cutting a torn last line first, reading past a garbage line); `--shard i/n` takes a stable hash
//! partition of the ids.

pub mod summary;

use crate::codes::Code;
use crate::collect::{collect, InputSpec};
use crate::error::Error;
use crate::report::{Reason, Report, Verdict};
use crate::rules::{Lang, Rules};
use crate::set::{check_application_with, CheckOptions, Target};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One application to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its id: the folder name, or the zip's name without `.zip`.
    pub id: String,
    pub path: PathBuf,
}

/// `i/n`: this run takes the ids whose hash is `i` modulo `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or("a shard is written i/n, e.g. 0/3")?;
        let index: u32 = i.trim().parse().map_err(|_| format!("bad shard index {i:?}"))?;
        let count: u32 = n.trim().parse().map_err(|_| format!("bad shard count {n:?}"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= i < n"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether `id` belongs to this shard. FNV-1a: stable across machines,
    /// releases and runs, unlike the standard library's hasher.
    pub fn takes(&self, id: &str) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in id.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h % u64::from(self.count) == u64::from(self.index)
    }
}

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub plan: Option<String>,
    /// The clause for every application without a manifest entry.
    pub clause: Option<u32>,
    /// Clause per application id.
    pub manifest: HashMap<String, u32>,
    pub out: PathBuf,
    pub resume: bool,
    /// Replace an existing, non-empty `out` (without it, and without
    /// `resume`, such a file stops the run: results are never lost).
    pub force: bool,
    pub shard: Option<Shard>,
    /// Threads; default all cores.
    pub jobs: Option<usize>,
    pub lang: Lang,
    /// The date ID cards' validity is judged at (the archive's application
    /// date); today in China when `None`.
    pub as_of: Option<chrono::NaiveDate>,
}

/// Hears how a run goes; the library never prints, the caller shows it
/// (the CLI: a bar on a terminal, a line every few seconds otherwise).
/// Called from the worker threads.
pub trait Progress: Sync {
    /// Before the first application: how many will be checked, and how many
    /// were skipped because `--resume` found them in the output.
    fn start(&self, _todo: usize, _skipped: usize) {}
    /// An application is done; `done` of `todo` so far.
    fn tick(&self, _done: usize) {}
    /// After the last application.
    fn finish(&self) {}
}

/// Progress nobody listens to.
pub struct Silent;

impl Progress for Silent {}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Applications found (after sharding).
    pub total: usize,
    /// Already in the output and skipped under `--resume`.
    pub skipped: usize,
    pub checked: usize,
    pub rejected: usize,
    pub files: usize,
    /// Under `--resume`: lines of the existing output that are not results
    /// (kept, and counted by `prescreen report`), and whether a torn last
    /// line was cut.
    pub garbage_lines: Vec<u64>,
    pub cut_torn_line: bool,
    /// Manifest ids with no application in the archive (sorted).
    pub unmatched_manifest_ids: Vec<String>,
    /// Applications with no clause under a plan (not in the manifest, no
    /// `clause`): reported as rejected, never checked without their set.
    pub without_clause: usize,
}

/// The applications under `root`: its sub-folders and `.zip` files, sorted
/// by name. Hidden entries are skipped.
pub fn discover(root: &Path) -> Result<Vec<App>, Error> {
    let io = |e| Error::Io {
        path: root.display().to_string(),
        source: e,
    };
    let mut apps = Vec::new();
    for entry in std::fs::read_dir(root).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(io)?;
        let path = entry.path();
        if kind.is_dir() {
            apps.push(App { id: name, path });
        } else if kind.is_file() && name.to_ascii_lowercase().ends_with(".zip") {
            apps.push(App {
                id: name[..name.len() - 4].to_string(),
                path,
            });
        }
    }
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(apps)
}

/// Applications listed one path per line (blank lines and `#` comments
/// skipped); the id is the path's last component without `.zip`.
pub fn from_list(text: &str) -> Vec<App> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let path = PathBuf::from(l);
            let name = path
                .file_name()
                .map_or_else(|| l.to_string(), |n| n.to_string_lossy().into_owned());
            let id = name
                .strip_suffix(".zip")
                .or_else(|| name.strip_suffix(".ZIP"))
                .unwrap_or(&name)
                .to_string();
            App { id, path }
        })
        .collect()
}

/// A manifest CSV of `id,clause` rows; a header row is allowed.
pub fn read_manifest(text: &str) -> Result<HashMap<String, u32>, Error> {
    let mut out = HashMap::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| Error::Usage(format!("manifest line {}: {e}", i + 1)))?;
        let (Some(id), Some(clause)) = (row.get(0), row.get(1)) else {
            return Err(Error::Usage(format!("manifest line {}: expected id,clause", i + 1)));
        };
        match clause.parse::<u32>() {
            Ok(n) => {
                out.insert(id.to_string(), n);
            }
            Err(_) if i == 0 => {} // a header
            Err(_) => {
                return Err(Error::Usage(format!(
                    "manifest line {}: clause {clause:?} is not a number",
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}

/// What `--resume` found in an existing output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resume {
    /// Ids of the applications already there.
    pub done: HashSet<String>,
    /// 1-based numbers of whole lines that are not a result; they are kept
    /// (`prescreen report` counts them) and the lines after them read.
    pub garbage_lines: Vec<u64>,
    /// Whether a torn last line (a run killed mid-write) was cut.
    pub cut_torn_line: bool,
}

/// Reads the ids already in `out`, cutting a torn last line so that
/// appending continues on a line boundary. A garbage line in the middle is
/// reported with its number and the reading goes on past it: the results
/// after it are not lost.
pub fn prepare_resume(out: &Path) -> Result<Resume, Error> {
    let io = |e| Error::Io {
        path: out.display().to_string(),
        source: e,
    };
    let mut found = Resume::default();
    let mut file = match OpenOptions::new().read(true).write(true).open(out) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(io(e)),
    };
    let mut whole_len: u64 = 0;
    {
        let mut reader = BufReader::new(&mut file);
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(io)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            number += 1;
            whole_len += n as u64;
            match serde_json::from_slice::<LineId>(&line) {
                Ok(l) => {
                    found.done.insert(l.id);
                }
                Err(_) if line.iter().all(u8::is_ascii_whitespace) => {}
                Err(_) => found.garbage_lines.push(number),
            }
        }
    }
    if file.seek(SeekFrom::End(0)).map_err(io)? != whole_len {
        file.set_len(whole_len).map_err(io)?;
        file.sync_all().map_err(io)?;
        found.cut_torn_line = true;
    }
    Ok(found)
}

/// Checks every application of `apps` that this shard takes and that is
/// not already done, appending one JSON line per application to the output.
///
/// Refused before anything is written (`Error::Usage`, exit 2): a plan with
/// neither a clause nor a manifest (the set could not be checked), no
/// applications at all (a hint says what an archive is), and an existing
/// non-empty output without `resume` or `force`.
pub fn run(apps: Vec<App>, opts: &Options, rules: &Rules, progress: &dyn Progress) -> Result<RunStats, Error> {
    // Every clause this run can ask for, resolved once; an unknown plan or
    // clause stops the run before it starts.
    let mut targets: HashMap<u32, Target<'_>> = HashMap::new();
    if let Some(plan) = &opts.plan {
        rules.plan_or_err(plan)?;
        if opts.clause.is_none() && opts.manifest.is_empty() {
            return Err(Error::Usage(format!(
                "--plan {plan} needs --clause N or --manifest CSV: without a clause the set of materials cannot be checked"
            )));
        }
        for n in opts.manifest.values().copied().chain(opts.clause) {
            targets.insert(n, Target::resolve(rules, plan, n)?);
        }
    }
    if apps.is_empty() {
        return Err(Error::Usage(
            "no applications found: an archive is a folder holding one sub-folder or .zip per application; \
             did you pass application folders? Pass the folder that holds them (or --list FILE)"
                .into(),
        ));
    }
    if !opts.resume && !opts.force && std::fs::metadata(&opts.out).is_ok_and(|m| m.len() > 0) {
        return Err(Error::Usage(format!(
            "{} exists and holds results: pass --resume to continue it or --force to replace it",
            opts.out.display()
        )));
    }
    let mut unmatched_manifest_ids: Vec<String> = opts
        .manifest
        .keys()
        .filter(|id| !apps.iter().any(|a| &a.id == *id))
        .cloned()
        .collect();
    unmatched_manifest_ids.sort();
    let apps: Vec<App> = apps
        .into_iter()
        .filter(|a| opts.shard.is_none_or(|s| s.takes(&a.id)))
        .collect();
    let total = apps.len();
    let resume = if opts.resume {
        prepare_resume(&opts.out)?
    } else {
        Resume::default()
    };
    let done = &resume.done;
    let todo: Vec<App> = apps.into_iter().filter(|a| !done.contains(&a.id)).collect();
    let skipped = total - todo.len();
    let io = |e| Error::Io {
        path: opts.out.display().to_string(),
        source: e,
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .truncate(false)
        .open(&opts.out)
        .map_err(io)?;
    if !opts.resume {
        file.set_len(0).map_err(io)?;
    }
    let out = Mutex::new(file);
    progress.start(todo.len(), skipped);
    let done_count = AtomicUsize::new(0);
    let rejected = AtomicUsize::new(0);
    let files = AtomicUsize::new(0);
    let without_clause = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {:?} threads: {e}", opts.jobs)))?;
    let result: Result<(), Error> = pool.install(|| {
        todo.par_iter().try_for_each(|app| {
            let clause = opts.manifest.get(&app.id).copied().or(opts.clause);
            let target = clause.and_then(|n| targets.get(&n).copied());
            let mut report = check_one(app, target, rules, opts);
            if let (Some(plan), None) = (&opts.plan, target) {
                // Not in the manifest and no --clause: the files are
                // checked, the set cannot be, and that is a reject.
                without_clause.fetch_add(1, Ordering::Relaxed);
                report.plan = Some(plan.clone());
                report
                    .reasons
                    .push(Reason::new(Code::SetNoClause, json!({ "plan": plan })));
                report.settle();
                report.localise(&rules.messages, opts.lang);
            }
            if report.verdict == Verdict::Reject {
                rejected.fetch_add(1, Ordering::Relaxed);
            }
            files.fetch_add(report.files.len(), Ordering::Relaxed);
            let mut line =
                serde_json::to_vec(&ResultLine::new(app, report)).map_err(|e| Error::Usage(e.to_string()))?;
            line.push(b'\n');
            {
                let mut f = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                f.write_all(&line).map_err(io)?;
                // A line is on disk before the next one starts: a kill
                // loses at most the line being written, which resume cuts.
                f.sync_data().map_err(io)?;
            }
            progress.tick(done_count.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(())
        })
    });
    progress.finish();
    result?;
    Ok(RunStats {
        total,
        skipped,
        checked: todo.len(),
        rejected: rejected.into_inner(),
        files: files.into_inner(),
        garbage_lines: resume.garbage_lines,
        cut_torn_line: resume.cut_torn_line,
        unmatched_manifest_ids,
        without_clause: without_clause.into_inner(),
    })
}

/// Checks one application; an application that cannot be read becomes a
/// rejected report saying so, never a stop of the batch.
fn check_one(app: &App, target: Option<Target<'_>>, rules: &Rules, opts: &Options) -> Report {
    let lang = opts.lang;
    let spec = InputSpec {
        slot: None,
        path: app.path.clone(),
    };
    match collect(std::slice::from_ref(&spec), rules) {
        Ok(mut uploads) => {
            // Names relative to the application, not to the working folder.
            let prefix = format!("{}/", app.path.display());
            for u in &mut uploads {
                if let Some(rest) = u.name.strip_prefix(&prefix) {
                    u.name = rest.to_string();
                } else if Path::new(&u.name) == app.path {
                    if let Some(n) = app.path.file_name() {
                        u.name = n.to_string_lossy().into_owned();
                    }
                }
            }
            let options = CheckOptions {
                as_of: opts.as_of,
                ..CheckOptions::default()
            };
            check_application_with(&uploads, target, rules, lang, &options)
        }
        Err(e) => failed(target, &e.to_string(), rules, lang),
    }
}

fn failed(target: Option<Target<'_>>, cause: &str, rules: &Rules, lang: Lang) -> Report {
    let mut report = Report::for_target(target);
    report.reasons.push(Reason::new(
        Code::FileCorrupt,
        json!({ "problem": "unreadable", "cause": cause }),
    ));
    report.settle();
    report.localise(&rules.messages, lang);
    report
}

/// Only the id of a results line, for `--resume`.
#[derive(Deserialize)]
struct LineId {
    id: String,
}

/// One line of a results file: the SPEC §4 object with the application's
/// id and path first. `prescreen report` reads the lines back as this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultLine {
    pub id: String,
    pub path: String,
    #[serde(flatten)]
    pub report: Report,
}

impl ResultLine {
    fn new(app: &App, report: Report) -> ResultLine {
        ResultLine {
            id: app.id.clone(),
            path: app.path.display().to_string(),
            report,
        }
    }
}

/// Reads a whole text file (lists, manifests).
pub fn read_text(path: &Path) -> Result<String, Error> {
    let mut s = String::new();
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut s))
        .map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
    Ok(s)
}

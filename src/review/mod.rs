//! `prescreen review`: the reviewers' workspace over a batch run's
//! results. A small web app on loopback: the queue of applications
//! (rejected → warned → passed, with filters and counts), one application
//! with its clause's checklist and each file's image under the evidence
//! drawn from its measurements (`overlay`), and the reviewer's decision
//! (approve, or return with reasons), kept in SQLite (`store`). The HTML,
//! CSS and JS are built into the binary; nothing is fetched from elsewhere.

pub mod files;
pub mod overlay;
mod pages;
pub mod store;

use crate::batch::summary::for_each_result;
use crate::batch::ResultLine;
use crate::codes::Severity;
use crate::error::Error;
use crate::report::Verdict;
use crate::rules::{Lang, Rules};
use crate::server::api::constant_time_eq;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use store::{Choice, Decision, Store};

/// Where `prescreen review` listens unless told otherwise.
pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8090);
/// The long side of an image as the application page shows it.
pub const PREVIEW_LONG_SIDE: u32 = 1200;
/// The cookie that carries the key once a reviewer has logged in.
const KEY_COOKIE: &str = "prescreen_review_key";

/// Where an application stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standing {
    Rejected,
    Warned,
    Passed,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Rejected => "rejected",
            Standing::Warned => "warned",
            Standing::Passed => "passed",
        }
    }

    fn of(line: &ResultLine) -> Standing {
        if line.report.verdict == Verdict::Reject {
            return Standing::Rejected;
        }
        let warned = line.report.all_reasons().any(|r| r.severity == Severity::Warn);
        if warned {
            Standing::Warned
        } else {
            Standing::Passed
        }
    }
}

/// One application of the results.
#[derive(Debug, Clone)]
pub struct App {
    pub line: ResultLine,
    pub standing: Standing,
    /// Its reason codes (files' and the application's), each once.
    pub codes: Vec<String>,
    /// The slots of its files.
    pub slots: Vec<String>,
}

impl App {
    fn new(line: ResultLine) -> App {
        let standing = Standing::of(&line);
        let mut codes: Vec<String> = line.report.all_reasons().map(|r| r.code.as_str().to_string()).collect();
        codes.sort();
        codes.dedup();
        let mut slots: Vec<String> = line.report.files.iter().filter_map(|f| f.slot.clone()).collect();
        slots.extend(line.report.missing.iter().cloned());
        slots.sort();
        slots.dedup();
        App {
            line,
            standing,
            codes,
            slots,
        }
    }
}

/// The queue's filters (all optional; the query string of `/` and of an
/// application page reached from it).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub verdict: Option<String>,
    pub code: Option<String>,
    pub slot: Option<String>,
    pub clause: Option<String>,
    pub lang: Option<String>,
}

impl Filter {
    fn keeps(&self, app: &App) -> bool {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        set(&self.verdict).is_none_or(|v| v == app.standing.as_str())
            && set(&self.code).is_none_or(|c| app.codes.iter().any(|x| x == c))
            && set(&self.slot).is_none_or(|s| app.slots.iter().any(|x| x == s))
            && set(&self.clause).is_none_or(|c| app.line.report.clause.map(|n| n.to_string()).as_deref() == Some(c))
    }

    pub fn lang(&self) -> Lang {
        match self.lang.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The filter as a query string (`?verdict=…&lang=en`), empty when none.
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("verdict", &self.verdict),
            ("code", &self.code),
            ("slot", &self.slot),
            ("clause", &self.clause),
            ("lang", &self.lang),
        ] {
            if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
                q.append_pair(k, v);
            }
        }
        let q = q.finish();
        if q.is_empty() {
            q
        } else {
            format!("?{q}")
        }
    }
}

/// What the workspace is started with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The batch's results (several: the shards of one run).
    pub results: Vec<PathBuf>,
    /// Folders the images may be read from: the archives the batch read.
    pub roots: Vec<PathBuf>,
    /// The decisions file; beside the first results file by default.
    pub db: Option<PathBuf>,
    /// The reviewer's name put on decisions (the page may give another).
    pub reviewer: Option<String>,
    /// `Authorization: Bearer KEY` (or the login cookie) on every page.
    pub api_key: Option<String>,
}

/// The loaded results, the archive roots and the decisions.
pub struct Workspace {
    /// Sorted rejected → warned → passed, then by id.
    apps: Vec<App>,
    by_id: HashMap<String, usize>,
    roots: Vec<PathBuf>,
    store: Mutex<Store>,
    rules: Arc<Rules>,
    reviewer: Option<String>,
    api_key: Option<String>,
    /// Lines of the results that were not results (torn or foreign).
    pub garbage_lines: u64,
}

impl Workspace {
    /// Reads the results and opens the decisions file. A later line of the
    /// same id (a re-run) replaces an earlier one.
    pub fn open(options: Options, rules: Arc<Rules>) -> Result<Workspace, Error> {
        let first = options
            .results
            .first()
            .ok_or_else(|| Error::Usage("review needs --results FILE".into()))?;
        let db = options.db.clone().unwrap_or_else(|| store::default_path(first));
        let store = Store::open(&db)?;
        Workspace::with_store(options, rules, store)
    }

    /// [`Workspace::open`] with a store already opened.
    pub fn with_store(options: Options, rules: Arc<Rules>, store: Store) -> Result<Workspace, Error> {
        let mut latest: BTreeMap<String, ResultLine> = BTreeMap::new();
        let garbage_lines = for_each_result(&options.results, |line| {
            latest.insert(line.id.clone(), line.clone());
            Ok(())
        })?;
        let mut apps: Vec<App> = latest.into_values().map(App::new).collect();
        apps.sort_by(|a, b| a.standing.cmp(&b.standing).then_with(|| a.line.id.cmp(&b.line.id)));
        let by_id = apps.iter().enumerate().map(|(i, a)| (a.line.id.clone(), i)).collect();
        let mut roots = Vec::new();
        for r in &options.roots {
            roots.push(r.canonicalize().map_err(|e| Error::Io {
                path: r.display().to_string(),
                source: e,
            })?);
        }
        Ok(Workspace {
            apps,
            by_id,
            roots,
            store: Mutex::new(store),
            rules,
            reviewer: options.reviewer.filter(|r| !r.trim().is_empty()),
            api_key: options.api_key.filter(|k| !k.is_empty()),
            garbage_lines,
        })
    }

    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    pub fn app(&self, id: &str) -> Option<&App> {
        self.by_id.get(id).map(|&i| &self.apps[i])
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock leaves SQLite consistent (each
        // statement is atomic): carry on with the store.
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a decision on an application of the results.
    pub fn decide(&self, decision: &Decision) -> Result<(), Error> {
        if self.app(&decision.app_id).is_none() {
            return Err(Error::Usage(format!(
                "no application {:?} in the results",
                decision.app_id
            )));
        }
        self.store().record(decision)
    }

    pub fn decision(&self, id: &str) -> Result<Option<Decision>, Error> {
        self.store().current(id)
    }

    /// Writes the current decisions as CSV; returns how many.
    pub fn export_csv(&self, out: impl std::io::Write, bom: bool) -> Result<usize, Error> {
        self.store().write_csv(out, bom)
    }
}

/// The long side of a thumbnail in the batch's HTML report.
pub const THUMBNAIL_LONG_SIDE: u32 = 200;

/// A file of a results line as a small inline JPEG with its evidence drawn
/// over it, for the self-contained HTML report; `None` when the file has no
/// pixels to show or cannot be read. Only the application's own folder or
/// zip is read.
pub fn thumbnail(line: &ResultLine, file: &crate::report::FileReport, rules: &Rules) -> Option<String> {
    use base64::Engine as _;
    let svg = overlay::svg(file, rules.photo())?;
    let app = PathBuf::from(&line.path).canonicalize().ok()?;
    let img = files::load(std::slice::from_ref(&app), &app, &file.name, rules, THUMBNAIL_LONG_SIDE).ok()?;
    let jpeg = files::preview(&img, THUMBNAIL_LONG_SIDE, 70)?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(jpeg);
    Some(format!(
        "<span class=\"thumb\"><img alt=\"\" src=\"data:image/jpeg;base64,{b64}\">{svg}</span>"
    ))
}

/// Writes the decisions file's current decisions as CSV (`review --export`).
pub fn export(db: &Path, out: impl std::io::Write, bom: bool) -> Result<usize, Error> {
    if !db.exists() {
        return Err(Error::Usage(format!("no decisions file at {}", db.display())));
    }
    Store::open(db)?.write_csv(out, bom)
}

type Shared = State<Arc<Workspace>>;

/// The review app's routes.
pub fn router(ws: Arc<Workspace>) -> Router {
    Router::new()
        .route("/", get(queue))
        .route("/app/{id}", get(application))
        .route("/app/{id}/decision", post(decide))
        .route("/image/{id}", get(image))
        .route("/decisions.csv", get(decisions_csv))
        .route("/assets/review.css", get(css))
        .route("/assets/review.js", get(js))
        .route("/login", post(login))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(ws.clone(), require_key))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(ws)
}

/// Serves the workspace on `bind` until Ctrl-C; `ready` hears the address
/// (port 0 picks a free one).
pub async fn serve(ws: Arc<Workspace>, bind: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    ready(listener.local_addr()?);
    serve_on(ws, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves on `listener` until `shutdown` completes, then lets the requests
/// under way finish and closes the connections.
pub async fn serve_on(
    ws: Arc<Workspace>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(ws)).with_graceful_shutdown(shutdown).await
}

async fn queue(State(ws): Shared, Query(filter): Query<Filter>) -> Response {
    let decisions = ws.store().all_current().unwrap_or_default();
    Html(pages::queue(&ws, &filter, &decisions)).into_response()
}

async fn application(State(ws): Shared, UrlPath(id): UrlPath<String>, Query(filter): Query<Filter>) -> Response {
    let Some(app) = ws.app(&id) else {
        return not_found().await.into_response();
    };
    let history = ws.store().history(&id).unwrap_or_default();
    Html(pages::application(&ws, app, &filter, &history)).into_response()
}

/// The decision form: `choice`, `codes` (repeated), `message`, `reviewer`.
async fn decide(State(ws): Shared, UrlPath(id): UrlPath<String>, headers: HeaderMap, body: Bytes) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site form posts are refused").into_response();
    }
    let mut choice = None;
    let mut codes = Vec::new();
    let mut message = String::new();
    let mut reviewer = String::new();
    let mut back = String::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "choice" => choice = Choice::parse(&v),
            "codes" if crate::codes::Code::parse(&v).is_some() => codes.push(v.into_owned()),
            "message" => message = v.trim().to_string(),
            "reviewer" => reviewer = v.trim().to_string(),
            "back" => back = v.into_owned(),
            _ => {}
        }
    }
    let Some(choice) = choice else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "choose approve or return").into_response();
    };
    if choice == Choice::Return && codes.is_empty() && message.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "a return needs a reason code or a message for the applicant",
        )
            .into_response();
    }
    if choice == Choice::Approve {
        codes.clear();
    }
    if reviewer.is_empty() {
        reviewer = ws.reviewer.clone().unwrap_or_else(|| "reviewer".into());
    }
    let decision = Decision {
        app_id: id.clone(),
        choice,
        codes,
        message: message.chars().take(2000).collect(),
        reviewer: reviewer.chars().take(100).collect(),
        decided_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let ws2 = ws.clone();
    let stored = tokio::task::spawn_blocking(move || ws2.decide(&decision)).await;
    match stored {
        Ok(Ok(())) => {
            // Back to the page, keeping the queue's filters; only a query
            // string of ours is accepted, never another address.
            let q = if back.starts_with('?') && !back.contains(['\r', '\n']) {
                back
            } else {
                String::new()
            };
            let id_enc: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
            Redirect::to(&format!("/app/{id_enc}{q}")).into_response()
        }
        Ok(Err(Error::Usage(m))) => (StatusCode::NOT_FOUND, m).into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the decision was not stored").into_response(),
    }
}

#[derive(serde::Deserialize)]
struct ImageQuery {
    name: String,
    #[serde(default)]
    size: Option<u32>,
}

/// The preview of a reported file: only a name the results list for that
/// application, only from inside the archive roots.
async fn image(State(ws): Shared, UrlPath(id): UrlPath<String>, Query(q): Query<ImageQuery>) -> Response {
    let Some(app) = ws.app(&id) else {
        return (StatusCode::NOT_FOUND, "no such application").into_response();
    };
    if !app.line.report.files.iter().any(|f| f.name == q.name) {
        return (StatusCode::NOT_FOUND, "no such file in this application").into_response();
    }
    let long_side = q.size.unwrap_or(PREVIEW_LONG_SIDE).clamp(64, 2400);
    let app_path = PathBuf::from(&app.line.path);
    let ws2 = ws.clone();
    let made = tokio::task::spawn_blocking(move || {
        let img = files::load(&ws2.roots, &app_path, &q.name, &ws2.rules, long_side)?;
        files::preview(&img, long_side, 85).ok_or(files::Refused::Unreadable("could not encode".into()))
    })
    .await;
    match made {
        Ok(Ok(jpeg)) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            jpeg,
        )
            .into_response(),
        Ok(Err(files::Refused::Outside)) => (StatusCode::FORBIDDEN, "outside the archive roots").into_response(),
        Ok(Err(files::Refused::NotFound)) => (StatusCode::NOT_FOUND, "not in the archive").into_response(),
        Ok(Err(files::Refused::Unreadable(why))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, format!("cannot be shown: {why}")).into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the image failed").into_response(),
    }
}

async fn decisions_csv(State(ws): Shared) -> Response {
    let mut out = Vec::new();
    match ws.export_csv(&mut out, true) {
        Ok(_) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"decisions.csv\""),
            ],
            out,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/review.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/review.js"),
    )
        .into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// A form post from this app's own pages: the browser's `Origin` (or
/// `Sec-Fetch-Site`) says where it comes from.
fn same_origin(headers: &HeaderMap) -> bool {
    // Browsers of the last years say it outright.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host)
        }
        (Some(_), None) => false,
        // Not a browser (curl, a test): nothing to forge.
        (None, _) => true,
    }
}

/// With a key: the bearer header or the login cookie; otherwise the login
/// page.
async fn require_key(State(ws): Shared, req: Request, next: Next) -> Response {
    let Some(key) = &ws.api_key else {
        return next.run(req).await;
    };
    if req.uri().path() == "/login" || req.uri().path().starts_with("/assets/") {
        return next.run(req).await;
    }
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(KEY_COOKIE)?.strip_prefix('='))
        .next();
    let ok = [bearer, cookie]
        .into_iter()
        .flatten()
        .any(|given| constant_time_eq(given.as_bytes(), key.as_bytes()));
    if ok {
        next.run(req).await
    } else {
        (StatusCode::UNAUTHORIZED, Html(pages::login(false))).into_response()
    }
}

/// The login form's post: the key, then a cookie for the session.
async fn login(State(ws): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = &ws.api_key else {
        return Redirect::to("/").into_response();
    };
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site form posts are refused").into_response();
    }
    let given = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), key.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, Html(pages::login(true))).into_response();
    }
    // The key is printable ASCII (it came through a header-safe form field)
    // or the cookie is not set.
    let cookie = format!("{KEY_COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/");
    let mut resp = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// No inline script or style, no framing, no referrer to other sites (the
/// application ids are in the addresses), no sniffing.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    resp
}

//! `prescreen serve`: the checks over HTTP (SPEC §4) for the registration
//! site and reviewers. The handlers only parse requests and hand the bytes
//! to the same [`check_application`](crate::check_application) the CLI calls, on blocking threads
//! behind a bounded admission queue. Uploads live in memory for the length
//! of a request: they are never written to disk and never logged.

pub(crate) mod api;
mod metrics;
mod openapi;

use crate::rules::Rules;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};

pub use api::ApiError;
pub use metrics::Metrics;

/// How the server runs; every field has a flag and an environment variable
/// in the CLI.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Checks running at once (blocking threads).
    pub workers: usize,
    /// Requests admitted beyond `workers`, waiting; past that, 503.
    pub queue: usize,
    /// Whole-request body limit (413 past it).
    pub max_request_bytes: u64,
    /// Per-request time limit for the checks (503 past it).
    pub timeout: Duration,
    /// Request bodies read at once, before admission (503 past it): slow
    /// senders wait here, not in the checks' queue.
    pub readers: usize,
    /// Bytes of request bodies held in memory at once, over every request
    /// being read, waiting or checked (buffers counted at their capacity);
    /// a request that would pass it gets 503. With `workers` × the check's
    /// working set, this bounds the server's memory (README, "Limits").
    pub body_budget: u64,
    /// A request body must arrive within this (408 past it), unless it
    /// keeps arriving at `min_body_rate` on average.
    pub body_timeout: Duration,
    /// Bytes per second on average that let a large body take longer than
    /// `body_timeout` (a 20 MB file over a 1 MB/s uplink); a trickle is
    /// cut at `body_timeout`.
    pub min_body_rate: u64,
    /// A request's headers must arrive within this (the connection is
    /// closed past it: slowloris headers).
    pub header_timeout: Duration,
    /// Bearer token required on `/v1/*` when set.
    pub api_key: Option<String>,
    /// The rulebook file to read again on SIGHUP or `POST /v1/admin/reload`
    /// (none: the built-in one).
    pub rules_path: Option<std::path::PathBuf>,
    /// Origins allowed by CORS (the registration site); none: no CORS headers.
    pub cors_origins: Vec<String>,
}

/// Where the server listens unless told otherwise.
pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);
/// The per-request time limit unless told otherwise, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Requests that may wait per worker before new ones get 503.
pub const QUEUE_PER_WORKER: usize = 16;
/// Request bodies read at once unless told otherwise.
pub const DEFAULT_READERS: usize = 64;
/// Bytes of request bodies in memory at once unless told otherwise (1 GiB).
pub const DEFAULT_BODY_BUDGET: u64 = 1 << 30;
/// Bytes per second that keep a large body coming past the body timeout
/// unless told otherwise (64 KiB/s).
pub const DEFAULT_MIN_BODY_RATE: u64 = 64 * 1024;
/// Seconds a request body may take to arrive unless told otherwise.
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 20;
/// Seconds a request's headers may take to arrive unless told otherwise.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;

impl Config {
    /// Defaults for a machine with `cpus` cores and the rulebook's limits.
    pub fn new(rules: &Rules, cpus: usize) -> Config {
        let mut config = Config {
            bind: DEFAULT_BIND,
            workers: 1,
            queue: QUEUE_PER_WORKER,
            max_request_bytes: rules.limits().max_request_bytes,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            readers: DEFAULT_READERS,
            body_budget: DEFAULT_BODY_BUDGET,
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            min_body_rate: DEFAULT_MIN_BODY_RATE,
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            api_key: None,
            rules_path: None,
            cors_origins: Vec::new(),
        };
        config.set_workers(cpus);
        config
    }

    /// `workers` checks at once (at least one), with the default queue for
    /// that many.
    pub fn set_workers(&mut self, workers: usize) {
        self.workers = workers.max(1);
        self.queue = self.workers * QUEUE_PER_WORKER;
    }
}

/// What every handler shares.
pub struct AppState {
    /// The rulebook in force; [`AppState::reload`] swaps it. A request
    /// takes its own `Arc` ([`AppState::rules`]) and keeps it to the end.
    rules: RwLock<Arc<Rules>>,
    pub config: Config,
    /// Requests past admission (running or waiting for a worker).
    pub admitted: Arc<Semaphore>,
    /// Checks running.
    pub workers: Arc<Semaphore>,
    /// Request bodies being read.
    pub readers: Arc<Semaphore>,
    /// Bytes of request bodies in memory (`Config::body_budget`).
    pub bodies: Arc<Semaphore>,
    pub metrics: Metrics,
}

impl AppState {
    /// The rulebook in force now.
    pub fn rules(&self) -> Arc<Rules> {
        self.rules
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the rulebook again (`Config::rules_path`, or the built-in one)
    /// and puts it in force; a rulebook that does not load is refused (its
    /// error names the line) and the one in force stays. Requests already
    /// running finish with the rulebook they started with.
    pub fn reload(&self) -> Result<u32, crate::Error> {
        let fresh = match &self.config.rules_path {
            Some(path) => Rules::from_path(path)?,
            None => Rules::builtin()?,
        };
        let version = fresh.version();
        *self.rules.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        Ok(version)
    }
}

/// The whole API as a router, ready for `axum::serve` or `oneshot` tests.
pub fn router(rules: Arc<Rules>, config: Config) -> Router {
    router_with(state(rules, config))
}

/// The shared state of a router.
fn state(rules: Arc<Rules>, config: Config) -> Arc<AppState> {
    Arc::new(AppState {
        admitted: Arc::new(Semaphore::new(config.workers + config.queue)),
        workers: Arc::new(Semaphore::new(config.workers)),
        readers: Arc::new(Semaphore::new(config.readers.max(1))),
        bodies: Arc::new(Semaphore::new(
            usize::try_from(config.body_budget)
                .unwrap_or(usize::MAX)
                .min(Semaphore::MAX_PERMITS),
        )),
        metrics: Metrics::default(),
        rules: RwLock::new(rules),
        config,
    })
}

/// The whole API over `state`.
fn router_with(state: Arc<AppState>) -> Router {
    let config = &state.config;
    let body_limit = usize::try_from(config.max_request_bytes).unwrap_or(usize::MAX);
    let v1 = Router::new()
        .route("/v1/check", post(api::check_multipart))
        .route("/v1/check/{slot}", post(api::check_slot))
        .route("/v1/eligibility", post(api::eligibility))
        .route("/v1/fix/{slot}", post(api::fix_slot))
        .route("/v1/plans", get(api::plans))
        .route("/v1/plans/{plan}/clauses/{n}", get(api::clause))
        .route("/v1/admin/reload", post(api::reload))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), api::require_key));
    let mut app = Router::new()
        .merge(v1)
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::render))
        .route("/openapi.json", get(openapi::document))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), api::json_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        // Outermost: every request gets an id (a client's own is kept) and
        // the answer carries it back; the access log line names it.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RequestIds::default()));
    if !config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT_LANGUAGE]),
        );
    }
    app.with_state(state)
}

/// Request ids: this process's start time and a counter, unique enough to
/// find one request's lines in the logs.
#[derive(Clone)]
struct RequestIds {
    process: u32,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> RequestIds {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
        RequestIds {
            process: nanos,
            next: Arc::default(),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.process))
            .ok()
            .map(RequestId::new)
    }
}

/// Binds and serves until SIGTERM or Ctrl-C, then stops accepting and
/// finishes the requests in flight before returning. Connections are
/// served by hyper directly (not `axum::serve`) so that a client that
/// sends its headers too slowly is cut off after `header_timeout`.
pub async fn serve(rules: Arc<Rules>, config: Config) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        workers = config.workers,
        queue = config.queue,
        readers = config.readers,
        max_request_bytes = config.max_request_bytes,
        auth = config.api_key.is_some(),
        "prescreen serving"
    );
    let header_timeout = config.header_timeout;
    let state = state(rules, config);
    #[cfg(unix)]
    tokio::spawn(reload_on_hangup(state.clone()));
    let app = router_with(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, go on.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A client that went away or sent garbage ends its own
                    // connection only.
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    tracing::info!("prescreen stopped: requests in flight finished");
    Ok(())
}

/// SIGHUP reads the rulebook again; a bad one is logged and ignored.
#[cfg(unix)]
async fn reload_on_hangup(state: Arc<AppState>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        return;
    };
    while hangups.recv().await.is_some() {
        let reloading = state.clone();
        match tokio::task::spawn_blocking(move || reloading.reload()).await {
            Ok(Ok(version)) => tracing::info!(version, "SIGHUP: rulebook reloaded"),
            Ok(Err(e)) => tracing::error!(error = %e, "SIGHUP: rulebook refused; the one in force stays"),
            Err(e) => tracing::error!(error = %e, "SIGHUP: reload failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal: draining requests in flight");
}

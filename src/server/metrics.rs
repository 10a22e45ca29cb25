//! Prometheus text metrics: requests by route and status, verdicts, reason
//! codes, latency histogram, requests in flight, requests shed.

use super::AppState;
use crate::report::Report;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 12] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counters shared by every request.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    verdicts: Mutex<BTreeMap<&'static str, u64>>,
    reasons: Mutex<BTreeMap<&'static str, u64>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    in_flight: AtomicI64,
    shed: AtomicU64,
}

impl Metrics {
    /// Counts a verdict and its reason codes.
    pub fn verdict(&self, report: &Report) {
        let v = match report.verdict {
            crate::report::Verdict::Pass => "pass",
            crate::report::Verdict::Reject => "reject",
        };
        *lock(&self.verdicts).entry(v).or_default() += 1;
        let mut reasons = lock(&self.reasons);
        for r in report.files.iter().flat_map(|f| &f.reasons).chain(&report.reasons) {
            *reasons.entry(r.code.as_str()).or_default() += 1;
        }
    }

    /// Counts a request refused by load shedding.
    pub fn shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    fn observe(&self, route: String, status: u16, seconds: f64) {
        *lock(&self.requests).entry((route, status)).or_default() += 1;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# HELP prescreen_requests_total HTTP requests by route and status.");
        let _ = writeln!(s, "# TYPE prescreen_requests_total counter");
        for ((route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                s,
                "prescreen_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP prescreen_verdicts_total Verdicts on applications and files checked."
        );
        let _ = writeln!(s, "# TYPE prescreen_verdicts_total counter");
        for (v, n) in lock(&self.verdicts).iter() {
            let _ = writeln!(s, "prescreen_verdicts_total{{verdict=\"{v}\"}} {n}");
        }
        let _ = writeln!(s, "# HELP prescreen_reasons_total Reasons given, by reason code.");
        let _ = writeln!(s, "# TYPE prescreen_reasons_total counter");
        for (c, n) in lock(&self.reasons).iter() {
            let _ = writeln!(s, "prescreen_reasons_total{{code=\"{c}\"}} {n}");
        }
        let _ = writeln!(s, "# HELP prescreen_request_duration_seconds Request latency.");
        let _ = writeln!(s, "# TYPE prescreen_request_duration_seconds histogram");
        for (i, le) in BUCKETS.iter().enumerate() {
            let n = self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(s, "prescreen_request_duration_seconds_bucket{{le=\"{le}\"}} {n}");
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(s, "prescreen_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(s, "prescreen_request_duration_seconds_sum {sum}");
        let _ = writeln!(s, "prescreen_request_duration_seconds_count {count}");
        let _ = writeln!(s, "# HELP prescreen_requests_in_flight Requests being handled.");
        let _ = writeln!(s, "# TYPE prescreen_requests_in_flight gauge");
        let _ = writeln!(
            s,
            "prescreen_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP prescreen_requests_shed_total Requests refused with 503 because the queue was full."
        );
        let _ = writeln!(s, "# TYPE prescreen_requests_shed_total counter");
        let _ = writeln!(s, "prescreen_requests_shed_total {}", self.shed.load(Ordering::Relaxed));
        s
    }
}

/// A poisoned lock still holds valid counters.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Middleware: in-flight gauge, latency, status by route; one log line per
/// request with the route template only (never file names or contents).
pub async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    // Set by the request-id layer outside this one (or sent by the client).
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let m = &state.metrics;
    m.in_flight.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    m.in_flight.fetch_sub(1, Ordering::Relaxed);
    let status = resp.status().as_u16();
    m.observe(route.clone(), status, secs);
    let ms = (secs * 1000.0).round() as u64;
    match resp.extensions().get::<super::api::Outcome>() {
        Some(o) => {
            let codes = o.codes.join(",");
            tracing::info!(request_id = %id, %method, route, status, ms, verdict = o.verdict, codes, "request");
        }
        None => tracing::info!(request_id = %id, %method, route, status, ms, "request"),
    }
    resp
}

/// `GET /metrics`.
pub async fn render(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.text(),
    )
}

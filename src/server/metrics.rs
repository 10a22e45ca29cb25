//! Prometheus metrics (the `prometheus` crate): requests by route and
//! status, verdicts, reason codes, a latency histogram per route, requests
//! in flight, requests shed.

use super::AppState;
use crate::report::Report;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use std::sync::Arc;
use std::time::Instant;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 12] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counters shared by every request, in a registry of their own (one per
/// server, so tests that start several do not share counts).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    verdicts: IntCounterVec,
    reasons: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    shed: IntCounter,
}

impl Default for Metrics {
    fn default() -> Metrics {
        // The names and labels are fixed here, so building them cannot fail
        // but for a programming error, caught by the server tests.
        #[allow(clippy::expect_used)]
        Metrics::new().expect("metric definitions")
    }
}

impl Metrics {
    fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("prescreen_requests_total", "HTTP requests by route and status."),
            &["route", "status"],
        )?;
        let verdicts = IntCounterVec::new(
            Opts::new(
                "prescreen_verdicts_total",
                "Verdicts on applications and files checked.",
            ),
            &["verdict"],
        )?;
        let reasons = IntCounterVec::new(
            Opts::new("prescreen_reasons_total", "Reasons given, by reason code."),
            &["code"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("prescreen_request_duration_seconds", "Request latency by route.")
                .buckets(BUCKETS.to_vec()),
            &["route"],
        )?;
        let in_flight = IntGauge::new("prescreen_requests_in_flight", "Requests being handled.")?;
        let shed = IntCounter::new(
            "prescreen_requests_shed_total",
            "Requests refused with 503 because the queue was full.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(verdicts.clone()))?;
        registry.register(Box::new(reasons.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(shed.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            verdicts,
            reasons,
            latency,
            in_flight,
            shed,
        })
    }

    /// Counts a verdict and its reason codes.
    pub fn verdict(&self, report: &Report) {
        let v = match report.verdict {
            crate::report::Verdict::Pass => "pass",
            crate::report::Verdict::Reject => "reject",
        };
        self.verdicts.with_label_values(&[v]).inc();
        for r in report.files.iter().flat_map(|f| &f.reasons).chain(&report.reasons) {
            self.reasons.with_label_values(&[r.code.as_str()]).inc();
        }
    }

    /// Counts a request refused by load shedding.
    pub fn shed(&self) {
        self.shed.inc();
    }

    fn observe(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, status.to_string().as_str()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    /// The Prometheus text exposition.
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }
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
    m.in_flight.inc();
    let start = Instant::now();
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    m.in_flight.dec();
    let status = resp.status().as_u16();
    m.observe(&route, status, secs);
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

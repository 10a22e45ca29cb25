//! The handlers: request parsing with limits applied while streaming, the
//! JSON error shape, admission and the hand-off to blocking threads.

use super::AppState;
use crate::format::{sniff, SNIFF_HEAD};
use crate::report::Report;
use crate::rules::{Lang, Rules};
use crate::set::{check_application_with, CheckOptions, Target, Upload};
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::{IntoParams, ToSchema};

type Shared = State<Arc<AppState>>;

/// A request that could not be answered: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`: Chinese
/// unless the request asks for English by `lang=en` or `Accept-Language`;
/// `detail`: the English technical text).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// bad_request, bad_declared, malformed_multipart, unknown_plan, unknown_clause,
    /// unknown_slot, no_files, payload_too_large, unsupported_media_type,
    /// unauthorized, not_found, method_not_allowed, request_timeout,
    /// overloaded, timeout, internal.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Marks a 4xx answer whose body is a report (a refused fix), which the
/// error shaping must not replace.
#[derive(Debug, Clone, Copy)]
struct ReportAnswer;

/// An error answer's code and English text, left on the response for
/// `json_errors`, which writes the body in the request's language.
#[derive(Debug, Clone)]
struct ErrorInfo {
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let info = ErrorInfo {
            code: self.code,
            message: self.message.clone(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                detail: None,
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        resp.extensions_mut().insert(info);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// The stable code of an error answer made outside the handlers.
fn status_code_word(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::SERVICE_UNAVAILABLE => "overloaded",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// Every error answer in the JSON error shape, in the request's language:
/// Chinese unless `lang=en` in the query or `Accept-Language` prefers
/// English (a multipart `lang` field is read too late to count here); the
/// English technical text goes in `detail`. axum answers some requests
/// itself, in plain text: a wrong method (405), a query string or a path
/// that does not parse (400), a body over the limit (413); their text
/// becomes the detail, their headers (`Allow`) stay.
pub async fn json_errors(State(state): Shared, req: Request, next: Next) -> Response {
    let lang = request_lang(&req);
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || resp.extensions().get::<ReportAnswer>().is_some() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let (code, english) = match parts.extensions.get::<ErrorInfo>() {
        Some(info) => (info.code, info.message.clone()),
        None => {
            // axum's rejection texts are one line; anything longer is cut.
            let text = axum::body::to_bytes(body, 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                .unwrap_or_default();
            let text = if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text
            };
            (status_code_word(status), text)
        }
    };
    let message = match lang {
        Lang::Zh => state.rules().messages.error_zh(code).map(str::to_string),
        Lang::En => None,
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message: message.clone().unwrap_or_else(|| english.clone()),
            detail: message.map(|_| english),
        },
    };
    let mut out = (status, Json(body)).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The language a request asks for, as the handlers read it (`pick_lang`);
/// a `lang` that is neither zh nor en is Chinese here.
fn request_lang(req: &Request) -> Lang {
    let lang = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="));
    pick_lang(lang, req.headers()).unwrap_or(Lang::Zh)
}

/// Query parameters of the check endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Language of the messages: zh (default) or en. Without it the
    /// Accept-Language header decides.
    pub lang: Option<String>,
    /// Date YYYY-MM-DD an ID card's validity is judged at (default: today
    /// in China); an archive is judged at its application date.
    pub as_of: Option<String>,
}

fn pick_lang(query: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    match query {
        Some("zh") => Ok(Lang::Zh),
        Some("en") => Ok(Lang::En),
        Some(other) => Err(ApiError::bad(
            "bad_request",
            format!("lang must be zh or en, not {other:?}"),
        )),
        None => Ok(headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Zh, Lang::from_accept)),
    }
}

/// Admission: a permit or an immediate 503, so that a burst queues at most
/// `workers + queue` requests and never grows memory without bound.
fn admit(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    permit_or_shed(state, &state.admitted, "the service is busy; retry in a moment")
}

/// A permit of `pool` now, or a shed request: 503 `overloaded`.
fn permit_or_shed(state: &AppState, pool: &Arc<Semaphore>, message: &str) -> Result<OwnedSemaphorePermit, ApiError> {
    pool.clone().try_acquire_owned().map_err(|_| {
        state.metrics.shed();
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", message)
    })
}

/// What the access log says of a check's answer: the verdict and the
/// codes, never a name or a file (set on the response by the handlers,
/// read by `metrics::track`).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: &'static str,
    pub codes: Vec<&'static str>,
}

/// The report as the answer, with its outcome for the access log.
fn answer(report: Report) -> Response {
    let outcome = Outcome {
        verdict: match report.verdict {
            crate::report::Verdict::Pass => "pass",
            crate::report::Verdict::Reject => "reject",
        },
        codes: report
            .reasons
            .iter()
            .chain(report.files.iter().flat_map(|f| &f.reasons))
            .map(|r| r.code.as_str())
            .collect(),
    };
    let mut resp = Json(report).into_response();
    resp.extensions_mut().insert(outcome);
    resp
}

/// A request body as it arrives: the part of `Config::body_budget` it
/// holds (grown as bytes come, buffers counted at their capacity, given
/// back when the uploads are dropped after the checks) and its clock.
pub(super) struct BodyShare {
    held: Option<OwnedSemaphorePermit>,
    /// Bytes held.
    bytes: usize,
    /// Bytes of the parts already read.
    done: usize,
    /// Bytes received so far, and since when.
    received: u64,
    start: Instant,
}

impl BodyShare {
    fn new() -> BodyShare {
        BodyShare {
            held: None,
            bytes: 0,
            done: 0,
            received: 0,
            start: Instant::now(),
        }
    }

    /// Holds enough for the finished parts plus `current` bytes, or sheds
    /// the request with 503 when the budget is spent.
    fn hold(&mut self, state: &AppState, current: usize) -> Result<(), ApiError> {
        let want = self.done + current;
        if want <= self.bytes {
            return Ok(());
        }
        let more = u32::try_from(want - self.bytes).unwrap_or(u32::MAX);
        let permit = state.bodies.clone().try_acquire_many_owned(more).map_err(|_| {
            state.metrics.shed();
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the service holds as many uploads as its memory budget allows; retry in a moment",
            )
        })?;
        match &mut self.held {
            Some(held) => held.merge(permit),
            None => self.held = Some(permit),
        }
        self.bytes += more as usize;
        Ok(())
    }

    /// A part of `bytes` (its buffer's capacity) is finished.
    fn part_done(&mut self, bytes: usize) {
        self.done += bytes;
    }

    /// Awaits the next piece of the body until the body's deadline: the
    /// body timeout, or later for a large body that keeps coming at the
    /// minimum rate (`received / min_body_rate` since the start). A
    /// trickle is cut at the timeout; an honest slow upload is not.
    async fn next<T>(&mut self, state: &AppState, piece: impl Future<Output = T>) -> Result<T, ApiError> {
        let config = &state.config;
        let by_rate = Duration::from_secs_f64(self.received as f64 / config.min_body_rate.max(1) as f64);
        let deadline = self.start + config.body_timeout.max(by_rate);
        tokio::time::timeout_at(deadline.into(), piece)
            .await
            .map_err(|_| body_timeout(state))
    }

    /// `n` more bytes arrived.
    fn got(&mut self, n: usize) {
        self.received += n as u64;
    }
}

/// Runs the checks on a blocking thread once a worker is free, within the
/// request's time limit.
async fn run_checks(
    state: Arc<AppState>,
    uploads: Vec<Upload>,
    share: BodyShare,
    target: Option<(String, u32)>,
    lang: Lang,
    options: CheckOptions,
) -> Result<Report, ApiError> {
    let report = on_worker(&state, share, "check", move |rules, cancel| {
        // The one place a request's plan and clause are resolved.
        let target = match &target {
            Some((p, n)) => Some(resolve(rules, p, *n)?),
            None => None,
        };
        let options = CheckOptions {
            cancel: Some(cancel),
            ..options
        };
        Ok(check_application_with(&uploads, target, rules, lang, &options))
    })
    .await?;
    state.metrics.verdict(&report);
    Ok(report)
}

/// Runs `job` on a blocking thread once a worker is free, within the
/// request's time limit (503 past it); `what` names the work in errors.
/// The job gets the rulebook in force and a flag set when the request is
/// given up (its time limit, or the client went away), for work that can
/// stop at its next step instead of running on.
async fn on_worker<T: Send + 'static>(
    state: &Arc<AppState>,
    share: BodyShare,
    what: &'static str,
    job: impl FnOnce(&Rules, Arc<AtomicBool>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let timeout = state.config.timeout;
    let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
    let work = async {
        let worker = state
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "shutting down"))?;
        let rules = state.rules();
        let flag = cancel.0.clone();
        tokio::task::spawn_blocking(move || {
            // The permit lives as long as the work, even past a timeout,
            // and so does the uploads' share of the body budget.
            let _worker = worker;
            let _share = share;
            job(&rules, flag)
        })
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the {what} failed"),
            )
        })?
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the {what} took longer than {} s", timeout.as_secs()),
        )
    })?
}

/// Sets its flag when dropped: when the request's future ends, finished or
/// not, the work it started on a blocking thread is told to stop.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn resolve<'r>(rules: &'r Rules, plan: &str, n: u32) -> Result<Target<'r>, ApiError> {
    Target::resolve(rules, plan, n).map_err(|e| {
        let code = match e {
            crate::Error::UnknownPlan { .. } => "unknown_plan",
            _ => "unknown_clause",
        };
        ApiError::bad(code, e.to_string())
    })
}

/// Reads one text field (plan, clause, lang), refusing it past `cap` bytes.
async fn read_text(
    state: &AppState,
    share: &mut BodyShare,
    field: &mut Field<'_>,
    cap: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut data = Vec::new();
    while let Some(chunk) = share.next(state, field.chunk()).await?.map_err(multipart_error)? {
        share.got(chunk.len());
        if data.len() + chunk.len() > cap {
            return Err(ApiError::too_large(format!("a field is over the limit of {cap} bytes")));
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// Reads one file part into an upload, refusing it past its cap as it
/// streams: the first bytes are sniffed (once) and the format picks the cap
/// (`Limits::cap_for`: a zip may be as large as the request).
async fn read_file(
    state: &AppState,
    share: &mut BodyShare,
    field: &mut Field<'_>,
    name: String,
    slot: Option<String>,
) -> Result<Upload, ApiError> {
    let rules = state.rules();
    let limits = rules.limits();
    let mut data = Vec::new();
    let mut format = None;
    while let Some(chunk) = share.next(state, field.chunk()).await?.map_err(multipart_error)? {
        share.got(chunk.len());
        share.hold(state, data.len() + chunk.len())?;
        data.extend_from_slice(&chunk);
        share.hold(state, data.capacity())?;
        if format.is_none() && data.len() >= SNIFF_HEAD {
            format = Some(sniff(&data));
        }
        let cap = format.map_or(limits.max_file_bytes, |f| limits.cap_for(f));
        if data.len() as u64 > cap {
            return Err(ApiError::too_large(format!("a file is over the limit of {cap} bytes")));
        }
    }
    let format = format.unwrap_or_else(|| sniff(&data));
    let size = data.len() as u64;
    share.part_done(data.capacity());
    Ok(Upload::sniffed(name, slot, data, size, format))
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("the request body is over the limit")
    } else {
        ApiError::bad(
            "malformed_multipart",
            format!("malformed multipart body: {}", e.body_text()),
        )
    }
}

/// The multipart form of `POST /v1/check`, for the OpenAPI document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CheckForm {
    /// Plan id, e.g. ecommerce-l2 (with `clause`: the set is checked too).
    plan: Option<String>,
    /// Clause number within the plan.
    clause: Option<u32>,
    /// zh or en.
    lang: Option<String>,
    /// Declared-data JSON (the `Declared` schema): with plan and clause,
    /// the clause's eligibility and the declaration's findings are added
    /// to the report's reasons (eligibility.*).
    declared: Option<String>,
    /// Reference date YYYY-MM-DD for `declared` (default: today in China).
    as_of: Option<String>,
    /// A file whose slot is inferred from its file name, or a zip of a
    /// whole application. A part may instead be named by its slot id
    /// (`photo`, `id_card_front` …).
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// Checks an application: files as parts, named by slot or `file`.
#[utoipa::path(
    post, path = "/v1/check",
    params(CheckQuery),
    request_body(content = CheckForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The verdict (also when it is reject)", body = Report,
            example = json!({"plan": "ecommerce-l2", "clause": 1, "verdict": "reject",
                "files": [{"name": "一寸照.jpg", "slot": "photo", "verdict": "reject",
                    "reasons": [{"code": "photo.background_not_white", "severity": "reject",
                        "message": "照片背景不是白色（检测为蓝色），请上传白底证件照",
                        "detail": {"white_fraction": 0.02, "colour": "blue"}}],
                    "measurements": {"bytes": 61234, "width": 295, "height": 413}}],
                "missing": ["integrity_pledge"], "unexpected": [],
                "reasons": [{"code": "set.missing", "severity": "reject",
                    "message": "缺少材料：个人诚信承诺书", "detail": {"slot": "integrity_pledge"}}]})),
        (status = 400, description = "Malformed request, unknown plan/clause/slot, no files", body = ErrorBody),
        (status = 401, description = "Missing or wrong API key", body = ErrorBody),
        (status = 413, description = "Body or a file over the limit", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the deadline", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
        (status = 503, description = "Busy or too slow: retry", body = ErrorBody),
    )
)]
pub async fn check_multipart(
    State(state): Shared,
    Query(query): Query<CheckQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected multipart/form-data: {}", e.body_text()),
        )
    })?;
    // The body is read before the request is admitted to the checks, in a
    // pool of its own and within a deadline: slow senders hold a reader
    // slot for at most `body_timeout`, never a check's place.
    let form = read_form(&state, &mut multipart).await?;
    let _admitted = admit(&state)?;
    let Form {
        uploads,
        share,
        plan,
        clause,
        lang: lang_field,
        as_of,
        declared,
    } = form;
    let target = match (plan, clause) {
        (Some(p), Some(c)) => {
            let n: u32 = c
                .parse()
                .map_err(|_| ApiError::bad("unknown_clause", format!("clause must be a number, not {c:?}")))?;
            Some((p, n))
        }
        (Some(p), None) => return Err(ApiError::bad("bad_request", format!("plan {p} needs a clause"))),
        (None, Some(_)) => return Err(ApiError::bad("bad_request", "clause needs a plan")),
        (None, None) => None,
    };
    let lang = pick_lang(query.lang.as_deref().or(lang_field.as_deref()), &headers)?;
    // The declaration is judged before the images: a bad one fails fast,
    // and judging it costs well under a millisecond.
    let as_of_text = as_of.or(query.as_of);
    let mut options = CheckOptions {
        as_of: as_of_text.as_deref().map(|t| as_of_date(Some(t))).transpose()?,
        ..CheckOptions::default()
    };
    let judged = match (declared, &target) {
        (Some(text), Some((plan, n))) => {
            let declared = read_declared(text.as_bytes())?;
            let as_of = as_of_date(as_of_text.as_deref())?;
            let judged = judge(&state.rules(), plan, &declared, as_of, lang)?;
            // The card's number is compared with the declared one.
            options.declared_id = declared.id_number;
            Some((judged, *n))
        }
        (Some(_), None) => return Err(ApiError::bad("bad_request", "declared needs a plan and a clause")),
        (None, _) => None,
    };
    let rules = state.rules();
    let mut report = run_checks(state, uploads, share, target, lang, options).await?;
    if let Some((e, n)) = &judged {
        crate::eligibility::add_to_report(&mut report, e, *n, &rules, lang);
    }
    Ok(answer(report))
}

/// The largest declared-data document read (a 100-period history is about
/// 20 KB).
const MAX_DECLARED_BYTES: usize = 1 << 20;

/// A declared-data document, or a 400 that names the path (never a value).
fn read_declared(bytes: &[u8]) -> Result<crate::eligibility::Declared, ApiError> {
    crate::eligibility::Declared::from_json(bytes).map_err(|e| ApiError::bad("bad_declared", e.to_string()))
}

/// `as_of`, or today in China.
fn as_of_date(text: Option<&str>) -> Result<chrono::NaiveDate, ApiError> {
    match text {
        None => Ok(crate::eligibility::today()),
        Some(t) => crate::eligibility::parse_as_of(t)
            .ok_or_else(|| ApiError::bad("bad_request", "as_of must be a date YYYY-MM-DD")),
    }
}

fn judge(
    rules: &Rules,
    plan: &str,
    declared: &crate::eligibility::Declared,
    as_of: chrono::NaiveDate,
    lang: Lang,
) -> Result<crate::eligibility::Eligibility, ApiError> {
    use crate::eligibility::EligibilityError as E;
    crate::eligibility::evaluate(rules, plan, declared, as_of, lang).map_err(|e| match e {
        E::UnknownPlan(_) => ApiError::bad("unknown_plan", e.to_string()),
        E::NoConditions(_) => ApiError::bad("unknown_plan", e.to_string()),
        E::Declared(_) | E::TooManyPeriods(..) => ApiError::bad("bad_declared", e.to_string()),
    })
}

/// Query parameters of `POST /v1/eligibility`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibilityQuery {
    /// Plan id, e.g. ecommerce-l2.
    pub plan: Option<String>,
    /// Reference date YYYY-MM-DD (default: today in China); an archive is
    /// judged at its application date.
    pub as_of: Option<String>,
    /// Language of the findings' messages: zh (default) or en; the clauses
    /// carry both.
    pub lang: Option<String>,
}

/// Which clauses of a plan a declared history meets, and what in it does
/// not add up. The body is the declared-data document (`Declared`).
#[utoipa::path(
    post, path = "/v1/eligibility",
    params(EligibilityQuery),
    request_body(content = crate::eligibility::Declared, content_type = "application/json",
        example = json!({"id_number": "11010519491231002X", "signed": "2026-11-20",
            "certificates": [{"kind": "skill", "level": 3, "occupation": "助理电子商务师", "date": "2019-06-30"}],
            "work": [{"employer": "北京样本电子商务有限公司", "from": "2019-07", "to": "now", "position": "电子商务运营主管"}]})),
    responses(
        (status = 200, description = "Every clause, met or not, those met first; the findings", body = crate::eligibility::Eligibility,
            example = json!({"plan": "ecommerce-l2", "as_of": "2026-11-27", "now": "2026-11-20", "counting": "continuous",
                "clauses_met": [2],
                "clauses": [{"clause": 2, "met": true,
                    "condition_zh": "取得本职业助理电子商务师职业资格证书后，连续从事本职业工作 5 年以上。",
                    "condition_en": "At least 5 years of continuous work in this occupation after the assistant e-commerce specialist certificate.",
                    "why_zh": ["已取得本职业三级/高级工证书（助理电子商务师，2019-06-30）", "取得三级/高级工证书后连续从事本职业工作 7 年 4 个月，满足第 2 条的 5 年"],
                    "why_en": ["level-3 certificate of this occupation (助理电子商务师, 2019-06-30)", "7 years 4 months of continuous work in this occupation after the level-3 certificate: clause 2's 5 years are met"],
                    "routes": [{"wording": "取得本职业助理电子商务师职业资格证书后，连续从事本职业工作 5 年以上", "met": true,
                        "conditions": [{"what": "work", "met": true,
                            "zh": "取得三级/高级工证书后连续从事本职业工作 7 年 4 个月，满足第 2 条的 5 年",
                            "en": "7 years 4 months of continuous work in this occupation after the level-3 certificate: clause 2's 5 years are met",
                            "detail": {"counted_from": "2019-07-01", "first_day": "2019-07-01", "last_day": "2026-11-20",
                                "months": 88, "days": 19, "required_years": 5, "counting": "continuous"}}]}]}],
                "findings": [{"code": "eligibility.position_unlisted", "severity": "warn",
                    "message": "第 1 段工作经历的岗位“行政助理”不在本职业常见岗位之列，需审核确认（与本职业不相关的岗位不能计入）",
                    "detail": {"period": 1, "position": "行政助理"}}]})),
        (status = 400, description = "No or unknown plan, a document that does not read (the path is named), a bad as_of", body = ErrorBody),
        (status = 401, description = "Missing or wrong API key", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the deadline", body = ErrorBody),
        (status = 413, description = "Over 1 MB", body = ErrorBody),
        (status = 503, description = "Busy: retry", body = ErrorBody),
    )
)]
pub async fn eligibility(
    State(state): Shared,
    Query(query): Query<EligibilityQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let plan = query
        .plan
        .as_deref()
        .ok_or_else(|| ApiError::bad("unknown_plan", "give the plan: ?plan=ecommerce-l2"))?;
    let lang = pick_lang(query.lang.as_deref(), &headers)?;
    let as_of = as_of_date(query.as_of.as_deref())?;
    let mut share = BodyShare::new();
    let bytes = {
        let _reading = reader_slot(&state)?;
        read_capped(&state, &mut share, body, MAX_DECLARED_BYTES as u64).await?
    };
    let declared = read_declared(&bytes)?;
    // Well under a millisecond for a long history (benches/checks.rs):
    // judged here, not on a blocking worker.
    let e = judge(&state.rules(), plan, &declared, as_of, lang)?;
    Ok(Json(e).into_response())
}

/// The parts of a `POST /v1/check` body.
struct Form {
    uploads: Vec<Upload>,
    /// What the uploads hold of the body budget.
    share: BodyShare,
    plan: Option<String>,
    clause: Option<String>,
    lang: Option<String>,
    as_of: Option<String>,
    declared: Option<String>,
}

/// A reader slot, held while a request body is read.
fn reader_slot(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    permit_or_shed(state, &state.readers, "too many uploads in progress; retry in a moment")
}

/// The answer to a body that did not arrive within its deadline.
fn body_timeout(state: &AppState) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!(
            "the request body did not arrive within {} s (or, when larger, at {} bytes/s)",
            state.config.body_timeout.as_secs(),
            state.config.min_body_rate
        ),
    )
}

/// Reads every part of the form in a reader slot, within the body deadline.
async fn read_form(state: &AppState, multipart: &mut Multipart) -> Result<Form, ApiError> {
    let _reading = reader_slot(state)?;
    read_parts(state, multipart).await
}

async fn read_parts(state: &AppState, multipart: &mut Multipart) -> Result<Form, ApiError> {
    let mut form = Form {
        uploads: Vec::new(),
        share: BodyShare::new(),
        plan: None,
        clause: None,
        lang: None,
        as_of: None,
        declared: None,
    };
    while let Some(mut field) = form
        .share
        .next(state, multipart.next_field())
        .await?
        .map_err(multipart_error)?
    {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        if file_name.is_none() && matches!(name.as_str(), "plan" | "clause" | "lang" | "as_of" | "declared") {
            let cap = if name == "declared" { MAX_DECLARED_BYTES } else { 256 };
            let value = read_text(state, &mut form.share, &mut field, cap).await?;
            let value = String::from_utf8(value)
                .map_err(|_| ApiError::bad("bad_request", format!("{name} is not UTF-8 text")))?
                .trim()
                .to_string();
            match name.as_str() {
                "plan" => form.plan = Some(value),
                "clause" => form.clause = Some(value),
                "as_of" => form.as_of = Some(value),
                "declared" => form.declared = Some(value),
                _ => form.lang = Some(value),
            }
            continue;
        }
        let slot = if name == "file" || name.is_empty() {
            None
        } else if state.rules().slot(&name).is_some() {
            Some(name.clone())
        } else {
            return Err(ApiError::bad(
                "unknown_slot",
                format!(
                    "unknown slot {name:?}; name a part `file` or one of: {}",
                    state.rules().slot_ids()
                ),
            ));
        };
        let display = file_name.filter(|f| !f.is_empty()).unwrap_or_else(|| name.clone());
        form.uploads
            .push(read_file(state, &mut form.share, &mut field, display, slot).await?);
    }
    if form.uploads.is_empty() {
        return Err(ApiError::bad("no_files", "the request has no file parts"));
    }
    Ok(form)
}

/// Checks one file for one slot: the per-field check of the upload form.
#[utoipa::path(
    post, path = "/v1/check/{slot}",
    params(("slot" = String, Path, description = "Slot id, e.g. photo"), CheckQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses(
        (status = 200, description = "The verdict on the file", body = Report,
            example = json!({"plan": null, "clause": null, "verdict": "pass",
                "files": [{"name": "photo.upload", "slot": "photo", "verdict": "pass", "reasons": [],
                    "measurements": {"bytes": 61234, "width": 295, "height": 413}}],
                "missing": [], "unexpected": [], "reasons": []})),
        (status = 400, description = "Unknown slot, or lang not zh/en", body = ErrorBody),
        (status = 401, description = "Missing or wrong API key", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the deadline", body = ErrorBody),
        (status = 413, description = "Over the file limit", body = ErrorBody),
        (status = 503, description = "Busy or too slow: retry", body = ErrorBody),
    )
)]
pub async fn check_slot(
    State(state): Shared,
    Path(slot): Path<String>,
    Query(query): Query<CheckQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (lang, bytes, share, _admitted) = slot_body(&state, &slot, &query, &headers, body).await?;
    let name = format!("{slot}.upload");
    let uploads = vec![Upload::new(name, Some(slot), bytes)];
    let options = CheckOptions {
        as_of: query.as_of.as_deref().map(|t| as_of_date(Some(t))).transpose()?,
        ..CheckOptions::default()
    };
    Ok(answer(run_checks(state, uploads, share, None, lang, options).await?))
}

/// Makes an upload that passes from a photo whose only faults are size,
/// crop or format (`prescreen fix`). The answer is the fixed JPEG, with the
/// check report of the fixed file in the `X-Prescreen-Report` header (JSON,
/// non-ASCII characters written as `\u` escapes so that the header stays
/// ASCII); when no passing file can be made, 422 with that report as the
/// JSON body (its reasons say why).
#[utoipa::path(
    post, path = "/v1/fix/{slot}",
    params(("slot" = String, Path, description = "Slot id, e.g. photo"), CheckQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The photo: JPEG, PNG, WebP or HEIC"),
    responses(
        (status = 200, description = "The fixed JPEG; its check report (which passed) in the X-Prescreen-Report header",
            content_type = "image/jpeg",
            headers(("X-Prescreen-Report" = String, description = "The check report of the fixed file (JSON, ASCII)"))),
        (status = 422, description = "No passing file can be made: the report with the reasons", body = Report,
            example = json!({"plan": null, "clause": null, "verdict": "reject",
                "files": [{"name": "photo.jpg", "slot": "photo", "verdict": "reject",
                    "reasons": [{"code": "photo.background_not_white", "severity": "reject",
                        "message": "照片背景不是白色（检测为蓝色），请上传白底证件照",
                        "detail": {"white_fraction": 0.02, "colour": "blue"}}],
                    "measurements": {"bytes": 61234, "width": 413, "height": 578, "fix_returned": false}}],
                "missing": [], "unexpected": [], "reasons": []})),
        (status = 400, description = "Unknown slot, or lang not zh/en", body = ErrorBody),
        (status = 401, description = "Missing or wrong API key", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the deadline", body = ErrorBody),
        (status = 413, description = "Over the file limit", body = ErrorBody),
        (status = 503, description = "Busy or too slow: retry", body = ErrorBody),
    )
)]
pub async fn fix_slot(
    State(state): Shared,
    Path(slot): Path<String>,
    Query(query): Query<CheckQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (lang, bytes, share, _admitted) = slot_body(&state, &slot, &query, &headers, body).await?;
    // A fix does not stop half way: it is short, and bounded by the time limit.
    let fixed = on_worker(&state, share, "fix", move |rules, _cancel| {
        let def = rules
            .slot(&slot)
            .ok_or_else(|| ApiError::bad("unknown_slot", "the slot went away with a reload"))?;
        Ok(crate::fix::fix(&bytes, &format!("{slot}.jpg"), def, rules, lang))
    })
    .await?;
    state.metrics.verdict(&fixed.report);
    match fixed.jpeg {
        Some(jpeg) => {
            let report = ascii_json(&fixed.report);
            let mut resp = (StatusCode::OK, jpeg).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            if let Ok(v) = HeaderValue::from_str(&report) {
                resp.headers_mut().insert("x-prescreen-report", v);
            }
            Ok(resp)
        }
        None => {
            let mut resp = (StatusCode::UNPROCESSABLE_ENTITY, Json(fixed.report)).into_response();
            // A report, not a request error: json_errors leaves it alone.
            resp.extensions_mut().insert(ReportAnswer);
            Ok(resp)
        }
    }
}

/// The body of a per-slot request (`/v1/check/{slot}`, `/v1/fix/{slot}`):
/// the slot known, the language, the bytes read in a reader slot within
/// the body budget, then admission (its permit held by the caller).
async fn slot_body(
    state: &Arc<AppState>,
    slot: &str,
    query: &CheckQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Lang, Vec<u8>, BodyShare, OwnedSemaphorePermit), ApiError> {
    if state.rules().slot(slot).is_none() {
        return Err(ApiError::bad("unknown_slot", format!("unknown slot {slot:?}")));
    }
    let lang = pick_lang(query.lang.as_deref(), headers)?;
    let mut share = BodyShare::new();
    let bytes = {
        let _reading = reader_slot(state)?;
        read_body(state, &mut share, body).await?
    };
    let admitted = admit(state)?;
    Ok((lang, bytes, share, admitted))
}

/// JSON with every non-ASCII character as a `\u` escape (surrogate pairs
/// beyond the BMP), fit for an HTTP header.
fn ascii_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        }
    }
    out
}

/// A raw body up to the file limit, within the body budget.
async fn read_body(state: &AppState, share: &mut BodyShare, body: Body) -> Result<Vec<u8>, ApiError> {
    let cap = state.rules().limits().max_file_bytes;
    read_capped(state, share, body, cap).await
}

/// A raw body up to `cap` bytes, within the body budget.
async fn read_capped(state: &AppState, share: &mut BodyShare, mut body: Body, cap: u64) -> Result<Vec<u8>, ApiError> {
    let mut data = Vec::new();
    while let Some(frame) = share.next(state, body.frame()).await? {
        let frame = frame.map_err(|e| ApiError::bad("bad_request", format!("the body could not be read: {e}")))?;
        let Ok(chunk) = frame.into_data() else { continue };
        share.got(chunk.len());
        if (data.len() + chunk.len()) as u64 > cap {
            return Err(ApiError::too_large(format!(
                "the file is over the limit of {cap} bytes"
            )));
        }
        share.hold(state, data.len() + chunk.len())?;
        data.extend_from_slice(&chunk);
        share.hold(state, data.capacity())?;
    }
    Ok(data)
}

/// Plans and their clauses.
#[utoipa::path(get, path = "/v1/plans", responses((status = 200, description = "Every plan with its clauses and required slots", content_type = "application/json",
    example = json!([{"plan": "ecommerce-l2", "zh": "电子商务师（二级）", "en": "E-commerce specialist, level 2",
        "clauses": [{"clause": 1, "condition_zh": "在本职业连续工作 13 年以上。",
            "condition_en": "At least 13 years of continuous work in this occupation.",
            "slots": ["id_card_front", "id_card_back", "photo", "application_form", "work_history_pledge", "integrity_pledge"]}]}]))))]
pub async fn plans(State(state): Shared) -> Json<serde_json::Value> {
    Json(crate::rules::plans_json(state.rules().plans()))
}

/// A clause's checklist with Chinese and English names and the seeds' notes.
#[utoipa::path(
    get, path = "/v1/plans/{plan}/clauses/{n}",
    params(("plan" = String, Path), ("n" = u32, Path)),
    responses(
        (status = 200, description = "The checklist", content_type = "application/json",
            example = json!({"plan": "ecommerce-l2", "plan_zh": "电子商务师（二级）",
                "plan_en": "E-commerce specialist, level 2", "clause": 1,
                "condition_zh": "在本职业连续工作 13 年以上。",
                "condition_en": "At least 13 years of continuous work in this occupation.",
                "materials": [{"slot": "id_card_front", "zh": "身份证人像面（正面）",
                    "en": "ID card, portrait side (front)", "kind": "id_card", "formats": ["jpeg"],
                    "size_bytes": [40960, 80000], "max_file_bytes": 20000000, "multiple_files": false}]})),
        (status = 401, description = "Missing or wrong API key", body = ErrorBody),
        (status = 404, description = "No such plan or clause", body = ErrorBody),
    )
)]
pub async fn clause(State(state): Shared, Path((plan, n)): Path<(String, String)>) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no clause {n} in plan {plan}"),
        )
    };
    let n: u32 = n.parse().map_err(|_| not_found())?;
    let rules = state.rules();
    let p = rules.plan(&plan).ok_or_else(not_found)?;
    let c = p.clause(n).ok_or_else(not_found)?;
    Ok(Json(rules.checklist(p, c)).into_response())
}

/// Reads the rulebook again (like SIGHUP); only when the server has an API
/// key, which this endpoint then requires like every `/v1/*` one.
#[utoipa::path(
    post, path = "/v1/admin/reload",
    responses(
        (status = 200, description = "The rulebook in force now, and its version", content_type = "application/json",
            example = json!({"status": "reloaded", "version": 1})),
        (status = 401, description = "Missing or wrong API key", body = ErrorBody),
        (status = 403, description = "The server has no API key: reloading over HTTP is off", body = ErrorBody),
        (status = 422, description = "The rulebook does not load (the error names the line); the one in force stays", body = ErrorBody),
    )
)]
pub async fn reload(State(state): Shared) -> Result<Json<serde_json::Value>, ApiError> {
    if state.config.api_key.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reloading over HTTP needs the server to run with --api-key; send SIGHUP instead",
        ));
    }
    let reloading = state.clone();
    let version = tokio::task::spawn_blocking(move || reloading.reload())
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the reload failed"))?
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_rulebook", e.to_string()))?;
    tracing::info!(version, "rulebook reloaded over HTTP");
    Ok(Json(serde_json::json!({ "status": "reloaded", "version": version })))
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "ok", content_type = "application/json", example = json!({"status": "ok"}))))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// `Authorization: Bearer KEY` on `/v1/*` when a key is configured.
pub async fn require_key(State(state): Shared, req: Request, next: Next) -> Response {
    if let Some(key) = &state.config.api_key {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), key.as_bytes()) {
            return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API key is required")
                .into_response();
        }
    }
    next.run(req).await
}

/// Compares without stopping at the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

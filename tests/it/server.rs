//! The HTTP API, black-box: every endpoint and every error status through
//! tower's `oneshot`, concurrency, and one exchange over a real TCP socket.

use crate::common::rules;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use prescreen::server::{router, Config};
use prescreen::{check_application, Lang, Rules, Target, Upload};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

use crate::samples::{fixture, SAMPLE_FILES as SAMPLE};

const BOUNDARY: &str = "----prescreen-test-boundary";

fn config() -> Config {
    Config::new(rules(), 2)
}

fn app_with(config: Config) -> Router {
    router(Arc::new(Rules::builtin().unwrap()), config)
}

pub(crate) fn app() -> Router {
    app_with(config())
}

/// A multipart body: `(field, Some(file name), bytes)` or a text field.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{field}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_multipart(uri: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap()
}

pub(crate) async fn send(app: Router, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, json, headers)
}

/// `prescreen [--rules RULES] serve` on a free local port, as a child
/// process logging at info to `stderr`.
pub(crate) fn spawn_serve(rules: Option<&std::path::Path>, stderr: std::process::Stdio) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_prescreen"));
    if let Some(r) = rules {
        cmd.arg("--rules").arg(r);
    }
    let child = cmd
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env_remove("PRESCREEN_RULES")
        .env("RUST_LOG", "info")
        .stderr(stderr)
        .spawn()
        .unwrap();
    (child, port)
}

/// A connection to a child server, once it listens (at most 5 s).
pub(crate) fn connect(port: u16) -> std::net::TcpStream {
    for _ in 0..100 {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {v}"))
}

fn sample_body(with_plan: bool) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = SAMPLE
        .iter()
        .map(|n| (n.to_string(), fixture("sample-application", n)))
        .collect();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = Vec::new();
    if with_plan {
        parts.push(("plan", None, b"ecommerce-l2"));
        parts.push(("clause", None, b"1"));
    }
    for (n, b) in &files {
        parts.push(("file", Some(n.as_str()), b.as_slice()));
    }
    multipart(&parts)
}

#[tokio::test]
async fn multipart_check_of_the_sample_equals_the_library_report() {
    let (status, json, _) = send(app(), post_multipart("/v1/check", sample_body(true))).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let r = rules();
    let uploads: Vec<Upload> = SAMPLE
        .iter()
        .map(|n| Upload::new(*n, None, fixture("sample-application", n)))
        .collect();
    let target = Target::resolve(r, "ecommerce-l2", 1).unwrap();
    let want = serde_json::to_value(check_application(&uploads, Some(target), r, Lang::Zh)).unwrap();
    assert_eq!(json, want);
    assert_eq!(json["verdict"], "pass");
}

#[tokio::test]
async fn parts_named_by_slot_and_missing_materials() {
    let photo = fixture("sample-rejected", "蓝底一寸照.jpg");
    let body = multipart(&[
        ("plan", None, b"ecommerce-l2"),
        ("clause", None, b"1"),
        ("photo", Some("me.jpg"), &photo),
    ]);
    let (status, json, _) = send(app(), post_multipart("/v1/check?lang=en", body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["verdict"], "reject");
    assert_eq!(json["files"][0]["slot"], "photo");
    assert_eq!(json["files"][0]["reasons"][0]["code"], "photo.background_not_white");
    assert!(json["files"][0]["reasons"][0]["message"]
        .as_str()
        .unwrap()
        .contains("blue"));
    assert!(json["missing"].as_array().unwrap().contains(&"integrity_pledge".into()));
}

#[tokio::test]
async fn a_zip_part_is_one_application() {
    let entries: Vec<crate::containers::ZipEntry> = SAMPLE
        .iter()
        .map(|n| crate::containers::ZipEntry::gbk(n, fixture("sample-application", n)))
        .collect();
    let zip = crate::containers::zip(&entries);
    let body = multipart(&[
        ("plan", None, b"ecommerce-l2"),
        ("clause", None, b"1"),
        ("file", Some("application.zip"), &zip),
    ]);
    let (status, json, _) = send(app(), post_multipart("/v1/check", body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["verdict"], "pass", "{json}");
    assert_eq!(json["files"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn per_slot_check_with_the_raw_body() {
    let req = Request::post("/v1/check/photo")
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .body(Body::from(fixture("sample-rejected", "证件照-自拍.jpg")))
        .unwrap();
    let (status, json, _) = send(app(), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["files"][0]["reasons"][0]["code"], "photo.aspect_ratio");
    assert!(json["files"][0]["reasons"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("The photo"));

    let ok = Request::post("/v1/check/photo")
        .body(Body::from(fixture("sample-application", "一寸照.jpg")))
        .unwrap();
    let (status, json, _) = send(app(), ok).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["verdict"], "pass");
}

#[tokio::test]
async fn request_errors_are_json_with_the_right_status() {
    let photo = fixture("sample-application", "一寸照.jpg");
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post_multipart("/v1/check", multipart(&[("selfie", Some("a.jpg"), &photo)])),
            StatusCode::BAD_REQUEST,
            "unknown_slot",
        ),
        (
            post_multipart(
                "/v1/check",
                multipart(&[("clause", None, b"1"), ("file", Some("一寸照.jpg"), &photo)]),
            ),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post_multipart(
                "/v1/check",
                multipart(&[
                    ("plan", None, b"ecommerce-l9"),
                    ("clause", None, b"1"),
                    ("file", Some("一寸照.jpg"), &photo),
                ]),
            ),
            StatusCode::BAD_REQUEST,
            "unknown_plan",
        ),
        (
            post_multipart(
                "/v1/check",
                multipart(&[
                    ("plan", None, b"ecommerce-l2"),
                    ("clause", None, b"9"),
                    ("file", Some("一寸照.jpg"), &photo),
                ]),
            ),
            StatusCode::BAD_REQUEST,
            "unknown_clause",
        ),
        (
            post_multipart("/v1/check", multipart(&[("plan", None, b"ecommerce-l2")])),
            StatusCode::BAD_REQUEST,
            "no_files",
        ),
        (
            post_multipart(
                "/v1/check",
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\nabc")
                    .into_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "malformed_multipart",
        ),
        (
            Request::post("/v1/check")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Request::post("/v1/check/selfie")
                .body(Body::from(photo.clone()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "unknown_slot",
        ),
        (
            Request::post("/v1/check/photo?lang=fr")
                .body(Body::from(photo.clone()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Request::get("/v1/plans/ecommerce-l2/clauses/99")
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Request::get("/nowhere").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        // axum answers these itself, in plain text, unless rewritten.
        (
            Request::get("/v1/check").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Request::delete("/healthz").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Request::post("/v1/check/photo?lang=zh&lang=en")
                .body(Body::from(photo.clone()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (req, want_status, want_code) in cases {
        let uri = req.uri().clone();
        let (status, json, headers) = send(app(), req).await;
        assert_eq!((status, error_code(&json)), (want_status, want_code), "{uri}: {json}");
        assert!(!json["error"]["message"].as_str().unwrap().is_empty(), "{uri}: {json}");
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(headers.contains_key(header::ALLOW), "{uri}: 405 without Allow");
        }
    }
}

#[tokio::test]
async fn error_messages_are_chinese_unless_english_is_asked_for() {
    let get = |uri: &str, accept: Option<&str>| {
        let mut r = Request::get(uri);
        if let Some(a) = accept {
            r = r.header(header::ACCEPT_LANGUAGE, a);
        }
        r.body(Body::empty()).unwrap()
    };
    // Our own error and one axum makes (405), by default: Chinese, with
    // the English technical text as the detail.
    for uri in ["/v1/plans/ecommerce-l2/clauses/99", "/nowhere"] {
        let (_, json, _) = send(app(), get(uri, None)).await;
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{uri}: {json}"
        );
        assert!(
            json["error"]["detail"].as_str().is_some_and(|d| d.is_ascii()),
            "{uri}: {json}"
        );
    }
    let (status, json, _) = send(app(), Request::delete("/v1/plans").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json["error"]["message"], "此接口不支持该请求方法", "{json}");
    // English when asked, by the query or by q-values.
    let (_, json, _) = send(app(), get("/v1/plans/ecommerce-l2/clauses/99?lang=en", None)).await;
    assert_eq!(json["error"]["message"], "no clause 99 in plan ecommerce-l2", "{json}");
    assert!(json["error"].get("detail").is_none(), "{json}");
    let (_, json, _) = send(app(), get("/nowhere", Some("zh;q=0.2, en;q=0.9"))).await;
    assert_eq!(json["error"]["message"], "no such endpoint", "{json}");
}

#[tokio::test]
async fn the_rulebook_reloads_and_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules/rulebook.toml")).unwrap();
    std::fs::write(&path, &builtin).unwrap();
    let mut keyed = config();
    keyed.api_key = Some("k".into());
    keyed.rules_path = Some(path.clone());
    let app = app_with(keyed);
    let photo = fixture("sample-application", "一寸照.jpg");
    let check_photo = || {
        Request::post("/v1/check/photo")
            .header(header::AUTHORIZATION, "Bearer k")
            .body(Body::from(photo.clone()))
            .unwrap()
    };
    let reload = |auth: &str| {
        Request::post("/v1/admin/reload")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .unwrap()
    };
    let (_, json, _) = send(app.clone(), check_photo()).await;
    assert_eq!(json["verdict"], "pass", "{json}");
    // The photo window's top down to 60 000 bytes: the 61 234-byte sample
    // is now out of range, after a reload and not before.
    let (at, _) = builtin.match_indices("max_bytes = 80_000").next().unwrap();
    let mut tighter = builtin.clone();
    tighter.replace_range(at..at + "max_bytes = 80_000".len(), "max_bytes = 60_000");
    std::fs::write(&path, &tighter).unwrap();
    let (_, json, _) = send(app.clone(), check_photo()).await;
    assert_eq!(json["verdict"], "pass");
    let (status, _, _) = send(app.clone(), reload("Bearer wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, json, _) = send(app.clone(), reload("Bearer k")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (_, json, _) = send(app.clone(), check_photo()).await;
    assert_eq!(json["files"][0]["reasons"][0]["code"], "size.out_of_range", "{json}");
    // A broken rulebook is refused with its line; the one in force stays.
    std::fs::write(&path, tighter.replace("min_bytes = 40_960", "min_bytes = \"many\"")).unwrap();
    let (status, json, _) = send(app.clone(), reload("Bearer k")).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::UNPROCESSABLE_ENTITY, "bad_rulebook"),
        "{json}"
    );
    assert!(json["error"]["detail"].as_str().unwrap().contains("line"), "{json}");
    let (_, json, _) = send(app.clone(), check_photo()).await;
    assert_eq!(json["files"][0]["reasons"][0]["code"], "size.out_of_range", "{json}");
    // Without an API key the endpoint is off.
    let (status, json, _) = send(app_with(config()), reload("Bearer k")).await;
    assert_eq!((status, error_code(&json)), (StatusCode::FORBIDDEN, "forbidden"));
}

#[tokio::test]
async fn oversize_bodies_get_413() {
    // Whole body over the request limit.
    let mut small = config();
    small.max_request_bytes = 1 << 20;
    let big = vec![0xAB; 2 << 20];
    let (status, json, _) = send(
        app_with(small),
        post_multipart("/v1/check", multipart(&[("file", Some("a.jpg"), &big)])),
    )
    .await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    // One file over the per-file limit (20 MB) in a body under 100 MB.
    let huge = vec![0xFF; 21_000_000];
    let (status, json, _) = send(
        app(),
        post_multipart("/v1/check", multipart(&[("file", Some("a.jpg"), &huge)])),
    )
    .await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let (status, _, _) = send(app(), Request::post("/v1/check/photo").body(Body::from(huge)).unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_body_budget_sheds_what_would_pass_it_and_is_given_back() {
    let mut small = config();
    small.body_budget = 300_000;
    let app = app_with(small);
    let photo = fixture("sample-application", "一寸照.jpg");
    let big = vec![0xAB; 400_000];
    for round in 0..3 {
        // Under the budget: checked, and its share is returned afterwards
        // (otherwise the third round would be shed).
        let (status, json, _) = send(
            app.clone(),
            post_multipart("/v1/check", multipart(&[("photo", Some("a.jpg"), &photo)])),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "round {round}: {json}");
        // Over it, in a multipart part and as a raw body: 503, not read on.
        let (status, json, headers) = send(
            app.clone(),
            post_multipart("/v1/check", multipart(&[("file", Some("b.jpg"), &big)])),
        )
        .await;
        assert_eq!(
            (status, error_code(&json)),
            (StatusCode::SERVICE_UNAVAILABLE, "overloaded")
        );
        assert!(headers.contains_key(header::RETRY_AFTER));
        let (status, json, _) = send(
            app.clone(),
            Request::post("/v1/check/photo").body(Body::from(big.clone())).unwrap(),
        )
        .await;
        assert_eq!(
            (status, error_code(&json)),
            (StatusCode::SERVICE_UNAVAILABLE, "overloaded")
        );
    }
}

#[tokio::test]
async fn full_queue_sheds_with_503_and_retry_after() {
    let mut none = config();
    none.workers = 0;
    none.queue = 0;
    let req = Request::post("/v1/check/photo")
        .body(Body::from(fixture("sample-application", "一寸照.jpg")))
        .unwrap();
    let (status, json, headers) = send(app_with(none), req).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded")
    );
    assert_eq!(headers[header::RETRY_AFTER], "1");
}

#[tokio::test]
async fn slow_checks_time_out_with_503() {
    // A 1 ms limit against the form photo's check (tens of ms): the
    // 1-inch photo alone is now quick enough to beat a zero timer.
    let mut quick = config();
    quick.timeout = Duration::from_millis(1);
    let req = Request::post("/v1/check/application_form")
        .body(Body::from(fixture("sample-application", "职业技能认定申报表.jpg")))
        .unwrap();
    let (status, json, _) = send(app_with(quick), req).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::SERVICE_UNAVAILABLE, "timeout")
    );
}

#[tokio::test]
async fn api_key_guards_v1_only() {
    let mut keyed = config();
    keyed.api_key = Some("s3cret".into());
    let app = app_with(keyed);
    let plans = |auth: Option<&str>| {
        let mut r = Request::get("/v1/plans");
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(Body::empty()).unwrap()
    };
    let (status, json, headers) = send(app.clone(), plans(None)).await;
    assert_eq!((status, error_code(&json)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    let (status, _, _) = send(app.clone(), plans(Some("Bearer wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(app.clone(), plans(Some("Bearer s3cret"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn cors_answers_the_configured_origin() {
    let mut c = config();
    c.cors_origins = vec!["https://reg.example.cn".into()];
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/v1/check")
        .header(header::ORIGIN, "https://reg.example.cn")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let resp = app_with(c).oneshot(req).await.unwrap();
    assert_eq!(
        resp.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://reg.example.cn"
    );
}

#[tokio::test]
async fn plans_checklist_health_metrics_openapi() {
    let app = app();
    let (status, json, _) = send(app.clone(), Request::get("/v1/plans").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json.as_array().unwrap().len(), 2);
    let (status, json, _) = send(
        app.clone(),
        Request::get("/v1/plans/ecommerce-l2/clauses/3")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["clause"], 3);
    assert!(json["materials"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["slot"] == "training_certificate"));
    let (status, json, _) = send(app.clone(), Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!((status, &json["status"]), (StatusCode::OK, &Value::from("ok")));

    let photo = fixture("sample-rejected", "蓝底一寸照.jpg");
    send(
        app.clone(),
        Request::post("/v1/check/photo").body(Body::from(photo)).unwrap(),
    )
    .await;
    let (status, text, headers) = send(app.clone(), Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = text.as_str().unwrap().to_string();
    for line in [
        "prescreen_requests_total{route=\"/v1/check/{slot}\",status=\"200\"} 1",
        "prescreen_verdicts_total{verdict=\"reject\"} 1",
        "prescreen_reasons_total{code=\"photo.background_not_white\"} 1",
        "# TYPE prescreen_request_duration_seconds histogram",
        "prescreen_request_duration_seconds_bucket{route=\"/v1/check/{slot}\",le=\"+Inf\"} 1",
        "prescreen_request_duration_seconds_count{route=\"/v1/check/{slot}\"} 1",
        "prescreen_requests_in_flight 1",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
    let (status, json, _) = send(app, Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/v1/check",
        "/v1/check/{slot}",
        "/v1/plans",
        "/v1/plans/{plan}/clauses/{n}",
        "/healthz",
    ] {
        assert!(json["paths"][path].is_object(), "{path}");
    }
    assert!(json["components"]["schemas"]["Report"].is_object());
}

#[tokio::test]
async fn the_openapi_document_is_valid() {
    let (status, doc, _) = send(app(), Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            // Every response needs a description (OpenAPI 3.1, Response Object).
            for (code, resp) in op["responses"].as_object().unwrap() {
                assert!(resp["description"].is_string(), "{at} {code}: no description");
            }
            // Path parameters are exactly the template's variables.
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let template: Vec<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            assert_eq!(in_path, template, "{at}: path parameters");
            for p in &params {
                assert!(p["in"] != "path" || p["required"] == true, "{at}: {p}");
            }
            assert_eq!(path.starts_with("/v1/"), op.get("security").is_some(), "{at}: security");
            // Every endpoint shows what a good answer looks like; a binary
            // answer (the fixed JPEG) documents its report header instead.
            let content = &op["responses"]["200"]["content"];
            if content.get("image/jpeg").is_some() {
                assert!(
                    op["responses"]["200"]["headers"]["X-Prescreen-Report"].is_object(),
                    "{at}: the report header is not documented"
                );
                assert!(
                    op["responses"]["422"]["content"]["application/json"]["example"].is_object(),
                    "{at}"
                );
            } else {
                let ok = &content["application/json"];
                assert!(
                    ok["example"].is_object() || ok["example"].is_array(),
                    "{at}: no example"
                );
            }
        }
    }
    // The reference validator when it is installed (.ci/run installs it).
    let have = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if have {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), serde_json::to_vec(&doc).unwrap()).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-m", "openapi_spec_validator"])
            .arg(file.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    } else {
        eprintln!("openapi-spec-validator is not installed: structural checks only");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_all_succeed() {
    let app = app();
    let photo = fixture("sample-application", "一寸照.jpg");
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let app = app.clone();
            let photo = photo.clone();
            tokio::spawn(async move {
                let req = Request::post("/v1/check/photo").body(Body::from(photo)).unwrap();
                send(app, req).await
            })
        })
        .collect();
    for t in tasks {
        let (status, json, _) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["verdict"], "pass");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_real_tcp_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app()).await });
    let body = sample_body(true);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await.unwrap();
    let text = String::from_utf8(resp).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{}", &text[..text.len().min(200)]);
    let json_start = text.find("\r\n\r\n").unwrap() + 4;
    let json: Value = serde_json::from_str(&text[json_start..]).unwrap();
    assert_eq!(json["verdict"], "pass");
    server.abort();
}

#[test]
fn sigterm_drains_requests_in_flight() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use std::io::{Read, Write};
    use std::process::Stdio;

    let (mut child, port) = spawn_serve(None, Stdio::null());
    let connect = || connect(port);
    // Three 12 MP form photos: a request that takes a while to check.
    let forms: Vec<Vec<u8>> = (0..3)
        .map(|i| crate::synth::jpeg(&crate::synth::paper_photo(3000, 4000, 60 + i), 80))
        .collect();
    let parts: Vec<(&str, Option<&str>, &[u8])> = forms
        .iter()
        .map(|f| ("file", Some("申报表.jpg"), f.as_slice()))
        .collect();
    let body = multipart(&parts);
    let mut stream = connect();
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{}", &resp[..resp.len().min(300)]);
    assert!(resp.contains("\"verdict\""));
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    // And it no longer accepts connections.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn the_access_log_has_the_request_id_verdict_and_codes_and_no_names() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use std::io::{Read, Write};
    use std::process::Stdio;

    let (mut child, port) = spawn_serve(None, Stdio::piped());
    let connect = || connect(port);
    let photo = fixture("sample-rejected", "蓝底一寸照.jpg");
    let body = multipart(&[("photo", Some("张三-一寸照.jpg"), &photo)]);
    let mut stream = connect();
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{}", &resp[..resp.len().min(300)]);
    // The client's request id comes back.
    assert!(
        resp.to_ascii_lowercase().contains("x-request-id: abc-123"),
        "{}",
        &resp[..resp.len().min(400)]
    );
    // A request without one gets one made here.
    let mut stream = connect();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).unwrap();
    assert!(resp.to_ascii_lowercase().contains("x-request-id: "), "{resp}");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    child.wait().unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("route=/v1/check") || l.contains("route=\"/v1/check\""))
        .unwrap_or_else(|| panic!("no access line for /v1/check in:\n{log}"));
    assert!(line.contains("abc-123"), "{line}");
    assert!(line.contains("verdict") && line.contains("reject"), "{line}");
    assert!(line.contains("photo.background_not_white"), "{line}");
    assert!(!line.contains("张三"), "a file name in the log: {line}");
    assert!(!log.contains('\u{1b}'), "colour codes in a log that is not a terminal");
}

#[test]
fn sighup_reloads_the_rulebook_file() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use std::io::{Read, Write};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules/rulebook.toml")).unwrap();
    std::fs::write(&path, &builtin).unwrap();
    let (mut child, port) = spawn_serve(Some(&path), Stdio::null());
    let photo = fixture("sample-application", "一寸照.jpg");
    let check = || -> String {
        let mut s = connect(port);
        let head = format!(
            "POST /v1/check/photo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            photo.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&photo).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp
    };
    assert!(!check().contains("size.out_of_range"));
    let (at, _) = builtin.match_indices("max_bytes = 80_000").next().unwrap();
    let mut tighter = builtin.clone();
    tighter.replace_range(at..at + "max_bytes = 80_000".len(), "max_bytes = 60_000");
    std::fs::write(&path, &tighter).unwrap();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGHUP).unwrap();
    let reloaded = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        check().contains("size.out_of_range")
    });
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(reloaded, "SIGHUP did not reload the rulebook");
}

/// A multipart request whose body sends its first bytes and then nothing,
/// as a slow-upload attack does.
fn stalled_upload() -> Request<Body> {
    use futures_util::stream::{self, StreamExt};
    let head =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"一寸照.jpg\"\r\n\r\nJPEG");
    let first = stream::once(async move { Ok::<_, std::io::Error>(axum::body::Bytes::from(head)) });
    let body = Body::from_stream(first.chain(stream::pending()));
    Request::post("/v1/check")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .unwrap()
}

/// A raw body of `bytes` sent in `chunks` pieces, one every `every`.
fn paced_body(bytes: Vec<u8>, chunks: usize, every: Duration) -> Body {
    use futures_util::stream::{self, StreamExt};
    let size = bytes.len().div_ceil(chunks);
    let pieces: Vec<axum::body::Bytes> = bytes.chunks(size).map(axum::body::Bytes::copy_from_slice).collect();
    let paced = stream::iter(pieces).then(move |piece| async move {
        tokio::time::sleep(every).await;
        Ok::<_, std::io::Error>(piece)
    });
    Body::from_stream(paced)
}

#[tokio::test]
async fn a_large_body_at_the_minimum_rate_outlasts_the_timeout_and_a_trickle_does_not() {
    let mut cfg = config();
    cfg.body_timeout = Duration::from_secs(1);
    cfg.min_body_rate = 100_000;
    let app = app_with(cfg);
    // 1.2 MB over about 1.6 s (750 KB/s): past the 1 s timeout, above the
    // rate; it is read to the end and checked (rejected for its size: 200).
    let big = {
        let mut j = fixture("sample-application", "身份证正面.jpg");
        j.resize(1_200_000, 0);
        j
    };
    let started = std::time::Instant::now();
    let req = Request::post("/v1/check/id_card_front")
        .body(paced_body(big, 32, Duration::from_millis(50)))
        .unwrap();
    let (status, json, _) = send(app.clone(), req).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(started.elapsed() > Duration::from_secs(1), "{:?}", started.elapsed());
    // The 61 KB photo a few bytes at a time (about 2 KB/s): cut at 1 s.
    let started = std::time::Instant::now();
    let photo = fixture("sample-application", "一寸照.jpg");
    let req = Request::post("/v1/check/photo")
        .body(paced_body(photo, 400, Duration::from_millis(50)))
        .unwrap();
    let (status, json, _) = send(app, req).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::REQUEST_TIMEOUT, "request_timeout")
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_do_not_lock_out_real_checks() {
    // 2 workers and a queue of 32: 34 admissions. 40 stalled uploads used to
    // hold every one of them; bodies are now read before admission.
    let mut cfg = config();
    cfg.body_timeout = Duration::from_secs(3);
    let app = app_with(cfg);
    let slow: Vec<_> = (0..40)
        .map(|_| tokio::spawn(app.clone().oneshot(stalled_upload())))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let req = Request::post("/v1/check/photo")
        .body(Body::from(fixture("sample-application", "一寸照.jpg")))
        .unwrap();
    let (status, json, _) = tokio::time::timeout(Duration::from_secs(1), send(app.clone(), req))
        .await
        .expect("a normal check is answered within 1 s while slow uploads stall");
    assert_eq!(status, StatusCode::OK, "{json}");
    // The stalled ones are cut at the body deadline, with the JSON shape.
    for s in slow {
        let resp = tokio::time::timeout(Duration::from_secs(10), s)
            .await
            .expect("cut at the deadline")
            .unwrap()
            .unwrap();
        assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(error_code(&v), "request_timeout");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off_and_others_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = config();
    cfg.bind = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.header_timeout = Duration::from_secs(1);
    let server = tokio::spawn(prescreen::server::serve(Arc::new(Rules::builtin().unwrap()), cfg));
    let connect = || async {
        for _ in 0..100 {
            if let Ok(s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server did not start");
    };
    // Slowloris: headers begun and never finished.
    let mut slow = connect().await;
    slow.write_all(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // A normal request on another connection is served meanwhile.
    let mut ok = connect().await;
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = Vec::new();
    ok.read_to_end(&mut resp).await.unwrap();
    assert!(resp.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&resp));
    // The slow one is closed once the header timeout passes.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the slow connection was still open after 10 s");
    server.abort();
}

fn declared_fixture() -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/declared/ecommerce-l2.json")).unwrap()
}

fn post_json(uri: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn eligibility_answers_like_the_cli_and_refuses_bad_requests() {
    let doc = declared_fixture();
    let (status, api, _) = send(
        app(),
        post_json("/v1/eligibility?plan=ecommerce-l2&as_of=2026-11-27", doc.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{api}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_prescreen"))
        .args(["eligibility", "--plan", "ecommerce-l2", "--as-of", "2026-11-27", "-"])
        .env_remove("PRESCREEN_RULES")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&doc)?;
            child.wait_with_output()
        })
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(api, cli, "the API and the CLI differ");
    assert_eq!(api["clauses_met"], serde_json::json!([2, 3, 4, 5]));

    for (uri, body, status, code) in [
        (
            "/v1/eligibility?as_of=2026-11-27",
            doc.clone(),
            StatusCode::BAD_REQUEST,
            "unknown_plan",
        ),
        (
            "/v1/eligibility?plan=nope",
            doc.clone(),
            StatusCode::BAD_REQUEST,
            "unknown_plan",
        ),
        (
            "/v1/eligibility?plan=ecommerce-l2&as_of=tomorrow",
            doc.clone(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/v1/eligibility?plan=ecommerce-l2",
            b"{\"work\": [1]}".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_declared",
        ),
        (
            "/v1/eligibility?plan=ecommerce-l2",
            b"not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_declared",
        ),
        (
            "/v1/eligibility?plan=ecommerce-l2",
            vec![b' '; (1 << 20) + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ] {
        let (s, v, _) = send(app(), post_json(uri, body)).await;
        assert_eq!(s, status, "{uri}: {v}");
        assert_eq!(error_code(&v), code, "{uri}");
    }
    let (_, v, _) = send(
        app(),
        post_json("/v1/eligibility?plan=ecommerce-l2", b"{\"work\": [1]}".to_vec()),
    )
    .await;
    assert!(v["error"]["detail"].as_str().unwrap().starts_with("work[0]"), "{v}");
}

#[tokio::test]
async fn a_declared_field_adds_the_clause_eligibility_to_a_check() {
    let photo = fixture("sample-application", "一寸照.jpg");
    let doc = declared_fixture();
    let body = multipart(&[
        ("plan", None, b"ecommerce-l2"),
        ("clause", None, b"7"),
        ("as_of", None, b"2026-11-27"),
        ("declared", None, &doc),
        ("photo", Some("一寸照.jpg"), &photo),
    ]);
    let (status, v, _) = send(app(), post_multipart("/v1/check", body)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let reasons = v["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "eligibility.not_met"), "{v}");
    // declared without a clause is a request error.
    let body = multipart(&[("declared", None, &doc), ("photo", Some("一寸照.jpg"), &photo)]);
    let (status, v, _) = send(app(), post_multipart("/v1/check", body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}

#[test]
fn no_id_number_or_name_reaches_the_log() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use std::io::{Read, Write};
    use std::process::Stdio;

    let (mut child, port) = spawn_serve(None, Stdio::piped());
    let id = "110105194912310021"; // a wrong check character: a finding
    let good = String::from_utf8(declared_fixture())
        .unwrap()
        .replace("11010519491231002X", id);
    // The number also where it does not belong, so that it is in an error.
    let bad = format!(
        "{{\"id_number\": {}, \"work\": [{{\"employer\": \"王小明网店\"}}]}}",
        &id[..17]
    );
    for body in [good.as_str(), bad.as_str()] {
        let mut stream = connect(port);
        let head = format!(
            "POST /v1/eligibility?plan=ecommerce-l2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut resp = String::new();
        stream.read_to_string(&mut resp).unwrap();
        assert!(
            resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.1 400"),
            "{resp}"
        );
        assert!(
            !resp.contains(id) && !resp.contains(&id[..17]),
            "the number in an answer: {resp}"
        );
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    child.wait().unwrap();
    assert!(log.contains("/v1/eligibility"), "no access line:\n{log}");
    for secret in [
        id,
        &id[..17],
        "110105********0021",
        "王小明",
        "北京样本电子商务有限公司",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// `schemas/declared.schema.json`: the OpenAPI document's `Declared` and
/// what it refers to, as a standalone JSON Schema (2020-12) for the
/// registration site. `UPDATE_GOLDEN=1` rewrites it.
#[tokio::test]
async fn the_declared_json_schema_in_the_repo_matches_the_openapi_document() {
    let (_, doc, _) = send(app(), Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    let all = doc["components"]["schemas"].as_object().unwrap();
    let mut defs = serde_json::Map::new();
    let mut todo = vec!["Declared".to_string()];
    while let Some(name) = todo.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        let text = serde_json::to_string(&all[&name]).unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            todo.push(part.split('"').next().unwrap().to_string());
        }
        let text = text.replace("#/components/schemas/", "#/$defs/");
        defs.insert(name, serde_json::from_str(&text).unwrap());
    }
    let declared = defs.remove("Declared").unwrap();
    let mut schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://prescreen.invalid/schemas/declared.schema.json",
        "title": "prescreen declared data",
    });
    for (k, v) in declared.as_object().unwrap() {
        schema[k] = v.clone();
    }
    schema["$defs"] = Value::Object(defs);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/declared.schema.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        text,
        want,
        "{} is stale: run UPDATE_GOLDEN=1 cargo test",
        path.display()
    );
    assert!(text.contains("\"id_number\"") && text.contains("\"work\""));
}

//! `prescreen review` over HTTP without a browser: the queue's order and
//! counts, an application's page, images only from inside the archive
//! roots, decisions stored and exported, and the key. The browser tests
//! are in `review_browser.rs`.

use crate::containers::{pdf, zip, PdfPage, ZipEntry};
use crate::samples::{fixture, sample, SAMPLE_FILES};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use prescreen::batch::{self, Silent};
use prescreen::review::store::Store;
use prescreen::review::{router, Options, Workspace};
use prescreen::Rules;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

/// The date the archives are judged at (the rejected sample's back
/// expired in May 2026).
pub const AS_OF: &str = "2026-11-28";

/// A generated archive: `A-pass` (the complete sample), `B-reject` (the
/// rejected sample), `C-zip.zip` (the complete sample zipped, its
/// application form as a PDF), `D-warn` (the complete sample with bytes
/// after one JPEG's end: a warning).
pub fn archive(root: &Path) {
    let a = root.join("A-pass");
    std::fs::create_dir_all(&a).unwrap();
    for f in SAMPLE_FILES {
        std::fs::write(a.join(f), sample(f)).unwrap();
    }
    let b = root.join("B-reject");
    std::fs::create_dir_all(&b).unwrap();
    for f in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-rejected")).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        std::fs::write(b.join(&name), fixture("sample-rejected", &name)).unwrap();
    }
    let form = sample("职业技能认定申报表.jpg");
    let (w, h) = image::load_from_memory(&form).map(|i| (i.width(), i.height())).unwrap();
    let mut entries: Vec<ZipEntry> = SAMPLE_FILES
        .iter()
        .filter(|f| !f.starts_with("职业技能"))
        .map(|f| ZipEntry::stored(f, sample(f)))
        .collect();
    entries.push(ZipEntry::stored(
        "职业技能认定申报表.pdf",
        pdf(
            &[PdfPage::Jpeg {
                width: w,
                height: h,
                bytes: form,
            }],
            0,
        ),
    ));
    std::fs::write(root.join("C-zip.zip"), zip(&entries)).unwrap();
    let d = root.join("D-warn");
    std::fs::create_dir_all(&d).unwrap();
    for f in SAMPLE_FILES {
        let mut bytes = sample(f);
        if f == "一寸照.jpg" {
            bytes.extend_from_slice(b"\0\0\0\0 appended by an editor");
        }
        std::fs::write(d.join(f), bytes).unwrap();
    }
}

/// Runs the batch over `root` into `out`.
pub fn run_batch(root: &Path, out: &Path, resume: bool) {
    let rules = crate::common::rules();
    let opts = batch::Options {
        plan: Some("ecommerce-l2".into()),
        clause: Some(1),
        manifest: Default::default(),
        out: out.to_path_buf(),
        resume,
        force: !resume,
        shard: None,
        jobs: Some(2),
        lang: prescreen::Lang::Zh,
        as_of: Some(AS_OF.parse().unwrap()),
    };
    batch::run(batch::discover(root).unwrap(), &opts, rules, &Silent).unwrap();
}

/// An archive under `dir/archive` and its results at `dir/results.jsonl`.
pub fn prepared(dir: &Path) -> (PathBuf, PathBuf) {
    let root = dir.join("archive");
    std::fs::create_dir_all(&root).unwrap();
    archive(&root);
    let out = dir.join("results.jsonl");
    run_batch(&root, &out, false);
    (root, out)
}

pub fn workspace(root: &Path, results: &Path, key: Option<&str>) -> Arc<Workspace> {
    let rules = Arc::new(Rules::builtin().unwrap());
    Arc::new(
        Workspace::open(
            Options {
                results: vec![results.to_path_buf()],
                roots: vec![root.to_path_buf()],
                db: None,
                reviewer: Some("测试审核员".into()),
                api_key: key.map(str::to_string),
            },
            rules,
        )
        .unwrap(),
    )
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes, headers)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn post_form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The number a queue page shows in its `data-count="what"` span.
fn count(page: &str, what: &str) -> Option<usize> {
    let open = format!("data-count=\"{what}\">");
    let rest = &page[page.find(&open)? + open.len()..];
    rest[..rest.find("</span>")?].split_whitespace().last()?.parse().ok()
}

#[tokio::test]
async fn the_queue_lists_rejected_then_warned_then_passed_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    let app = router(workspace(&root, &results, None));
    let (status, body, headers) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let page = text(&body);
    let ids: Vec<&str> = page
        .match_indices("data-id=\"")
        .map(|(i, m)| {
            let rest = &page[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(ids, ["B-reject", "D-warn", "A-pass", "C-zip"], "{page}");
    for (what, n) in [
        ("all", 4),
        ("rejected", 1),
        ("warned", 1),
        ("passed", 2),
        ("decided", 0),
    ] {
        assert_eq!(count(&page, what), Some(n), "{what}: {page}");
    }
    // The per-reason table counts the applications with each code.
    for code in ["idcard.expired", "file.trailing_data"] {
        let open = format!("<tr data-code=\"{code}\">");
        let row = &page[page.find(&open).unwrap_or_else(|| panic!("{code}: {page}"))..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.ends_with("<td class=\"n\">1</td>"), "{row}");
    }

    // Filters: by code, by verdict, by slot.
    let (_, body, _) = get(&app, "/?code=idcard.expired").await;
    let page = text(&body);
    assert!(page.contains("data-id=\"B-reject\"") && !page.contains("data-id=\"A-pass\""));
    let (_, body, _) = get(&app, "/?verdict=passed&lang=en").await;
    let page = text(&body);
    assert!(page.contains("data-id=\"A-pass\"") && !page.contains("data-id=\"B-reject\""));
    assert!(page.contains("Review queue"), "English labels with lang=en");
}

#[tokio::test]
async fn an_application_page_shows_its_checklist_reasons_and_overlays() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    let app = router(workspace(&root, &results, None));
    let (status, body, _) = get(&app, "/app/B-reject").await;
    assert_eq!(status, StatusCode::OK);
    let page = text(&body);
    // The clause's checklist: the pledge is missing, the ID card front rejected.
    assert!(
        page.contains("data-slot=\"integrity_pledge\" data-state=\"missing\""),
        "{page}"
    );
    assert!(
        page.contains("data-slot=\"id_card_front\" data-state=\"rejected\""),
        "{page}"
    );
    // Reasons in Chinese, and in English with the switch.
    assert!(page.contains("身份证已过有效期"), "{page}");
    let (_, body, _) = get(&app, "/app/B-reject?lang=en").await;
    assert!(text(&body).contains("expired"), "English message");
    // Overlays: the card's outline, the photo's face box and limit lines.
    assert!(page.contains("class=\"card\""), "card outline");
    assert!(page.contains("class=\"face\""), "face box");
    assert!(page.contains("class=\"limit top-min\""), "1-inch limit lines");
    // The zip's entries and the PDF's page have their images too.
    let (_, body, _) = get(&app, "/app/C-zip").await;
    let page = text(&body);
    assert!(
        page.contains(&format!("name={}", enc("C-zip.zip!/身份证正面.jpg"))),
        "{page}"
    );
    assert!(
        page.contains(&format!("name={}", enc("C-zip.zip!/职业技能认定申报表.pdf#page=1"))),
        "{page}"
    );
    assert_eq!(get(&app, "/app/nobody").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn images_come_from_folders_zips_and_pdf_pages_upright_and_small() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    let app = router(workspace(&root, &results, None));
    for (id, name) in [
        ("A-pass", "身份证正面.jpg"),
        ("C-zip", "C-zip.zip!/一寸照.jpg"),
        ("C-zip", "C-zip.zip!/职业技能认定申报表.pdf#page=1"),
    ] {
        let (status, body, headers) = get(&app, &format!("/image/{id}?name={}", enc(name))).await;
        assert_eq!(status, StatusCode::OK, "{id} {name}: {}", text(&body));
        assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
        let img = image::load_from_memory(&body).unwrap();
        assert!(img.width().max(img.height()) <= prescreen::review::PREVIEW_LONG_SIDE);
    }
    // The preview keeps the measured image's proportions (the overlay's viewBox).
    let line = std::fs::read_to_string(&results).unwrap();
    let a: serde_json::Value = line
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == "A-pass")
        .unwrap();
    let form = a["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "职业技能认定申报表.jpg")
        .unwrap();
    let (w, h) = (
        form["measurements"]["width"].as_f64().unwrap(),
        form["measurements"]["height"].as_f64().unwrap(),
    );
    let (_, body, _) = get(
        &app,
        &format!("/image/A-pass?name={}&size=400", enc("职业技能认定申报表.jpg")),
    )
    .await;
    let img = image::load_from_memory(&body).unwrap();
    assert_eq!(img.height(), 400.min(h as u32));
    assert!((f64::from(img.width()) / f64::from(img.height()) - w / h).abs() < 0.01);
    // A corrupt file is answered, not served.
    let (status, _, _) = get(&app, &format!("/image/B-reject?name={}", enc("身份证正面.jpg"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn no_image_is_served_from_outside_the_archive_roots() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    // A secret beside the archive, and results that point at it.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.jpg"), sample("一寸照.jpg")).unwrap();
    let mut text_lines = std::fs::read_to_string(&results).unwrap();
    let forged_path = serde_json::json!({"id": "E-outside", "path": outside.display().to_string(),
        "plan": null, "clause": null, "verdict": "pass", "missing": [], "unexpected": [], "reasons": [],
        "files": [{"name": "secret.jpg", "slot": "photo", "verdict": "pass", "reasons": [], "measurements": {"width": 295, "height": 413}}]});
    let forged_name = serde_json::json!({"id": "F-dots", "path": root.join("A-pass").display().to_string(),
        "plan": null, "clause": null, "verdict": "pass", "missing": [], "unexpected": [], "reasons": [],
        "files": [{"name": "../../outside/secret.jpg", "slot": "photo", "verdict": "pass", "reasons": [], "measurements": {}}]});
    text_lines.push_str(&format!("{forged_path}\n{forged_name}\n"));
    std::fs::write(&results, text_lines).unwrap();
    let app = router(workspace(&root, &results, None));

    let refused = [
        // Names the results do not list for the application.
        "/image/A-pass?name=..%2F..%2Foutside%2Fsecret.jpg",
        "/image/A-pass?name=%2Fetc%2Fpasswd",
        "/image/A-pass?name=..%5C..%5Coutside%5Csecret.jpg",
        "/image/..%2Foutside?name=secret.jpg",
        "/image/A-pass/../../outside/secret.jpg",
        // Listed, but outside the roots.
        "/image/E-outside?name=secret.jpg",
        "/image/F-dots?name=..%2F..%2Foutside%2Fsecret.jpg",
    ];
    for uri in refused {
        let (status, body, headers) = get(&app, uri).await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{uri}: {status} {}",
            text(&body)
        );
        assert_ne!(
            headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
            Some(&b"image/jpeg"[..]),
            "{uri}"
        );
    }
    assert_eq!(
        get(&app, "/image/E-outside?name=secret.jpg").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/image/F-dots?name=..%2F..%2Foutside%2Fsecret.jpg").await.0,
        StatusCode::FORBIDDEN
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_inside_an_application_does_not_lead_out() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    std::fs::write(dir.path().join("secret.jpg"), sample("一寸照.jpg")).unwrap();
    // The batch read the real photo; the file is then swapped for a link.
    let photo = root.join("A-pass/一寸照.jpg");
    std::fs::remove_file(&photo).unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.jpg"), &photo).unwrap();
    let app = router(workspace(&root, &results, None));
    let (status, _, _) = get(&app, &format!("/image/A-pass?name={}", enc("一寸照.jpg"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_decision_is_stored_survives_a_restart_and_a_resumed_batch_and_is_exported() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    let app = router(workspace(&root, &results, None));
    let body = "choice=return&codes=idcard.expired&codes=set.missing&message=%E8%AF%B7%E8%A1%A5%E4%BC%A0&reviewer=%E6%9D%8E%E5%9B%9B&back=%3Fverdict%3Drejected";
    let (status, _, headers) = send(&app, post_form("/app/B-reject/decision", body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/app/B-reject?verdict=rejected");
    let (status, _, _) = send(&app, post_form("/app/A-pass/decision", "choice=approve")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Bad posts: no choice, a return with nothing, an unknown application, another site.
    assert_eq!(
        send(&app, post_form("/app/A-pass/decision", "message=x")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        send(&app, post_form("/app/A-pass/decision", "choice=return")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        send(&app, post_form("/app/nobody/decision", "choice=approve")).await.0,
        StatusCode::NOT_FOUND
    );
    let mut forged = post_form("/app/A-pass/decision", "choice=return&codes=idcard.expired");
    forged
        .headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    forged
        .headers_mut()
        .insert(header::HOST, "127.0.0.1:8090".parse().unwrap());
    assert_eq!(send(&app, forged).await.0, StatusCode::FORBIDDEN);

    let (_, page, _) = get(&app, "/app/B-reject").await;
    let page = text(&page);
    assert!(
        page.contains("id=\"current-decision\" data-choice=\"return\""),
        "{page}"
    );
    assert!(page.contains("李四") && page.contains("请补传"), "{page}");

    // A re-run of the batch with --resume, and a new server on the same files.
    run_batch(&root, &results, true);
    let app = router(workspace(&root, &results, None));
    let (_, page, _) = get(&app, "/").await;
    let page = text(&page);
    assert!(page.contains("data-count=\"decided\">已审核 2</span>"), "{page}");
    let (status, csv, headers) = get(&app, "/decisions.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("decisions.csv"));
    let csv = text(&csv);
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows[0], "application_id,decision,codes,message,reviewer,decided_at");
    assert!(rows[1].starts_with("A-pass,approve,,,测试审核员,"), "{}", rows[1]);
    assert!(
        rows[2].starts_with("B-reject,return,idcard.expired set.missing,请补传,李四,"),
        "{}",
        rows[2]
    );

    // The CLI's export reads the same file.
    let out = dir.path().join("decisions.csv");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_prescreen"))
        .args(["review", "--results"])
        .arg(&results)
        .arg("--export")
        .arg(&out)
        .arg("--no-bom")
        .status()
        .unwrap();
    assert!(status.success());
    let exported = std::fs::read_to_string(&out).unwrap();
    assert_eq!(exported.lines().count(), 3, "{exported}");
    assert!(exported.starts_with("application_id,"));
    assert!(Store::open(&prescreen::review::store::default_path(&results)).is_ok());
}

#[tokio::test]
async fn with_a_key_every_page_needs_it_and_the_login_sets_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    let app = router(workspace(&root, &results, Some("s3cret-key")));
    for uri in ["/", "/app/A-pass", "/decisions.csv", "/image/A-pass?name=x"] {
        let (status, body, _) = get(&app, uri).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(text(&body).contains("name=\"key\""), "the login form");
    }
    let bearer = Request::get("/")
        .header(header::AUTHORIZATION, "Bearer s3cret-key")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, bearer).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, post_form("/login", "key=wrong")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, headers) = send(&app, post_form("/login", "key=s3cret-key")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let with_cookie = Request::get("/app/A-pass")
        .header(header::COOKIE, cookie.split(';').next().unwrap())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, with_cookie).await.0, StatusCode::OK);
}

#[test]
fn the_html_report_links_to_the_review_and_shows_thumbnails_with_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (_, results) = prepared(dir.path());
    let html = dir.path().join("report.html");
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_prescreen"))
            .arg("report")
            .arg(&results)
            .arg("--html")
            .arg(&html)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "a rejected application: exit 1");
        std::fs::read_to_string(&html).unwrap()
    };
    let page = run(&["--review-url", "http://127.0.0.1:8090/"]);
    assert!(
        page.contains("<a href=\"http://127.0.0.1:8090/app/B-reject\">B-reject</a>"),
        "{page}"
    );
    // One thumbnail per rejected file with pixels, inline, with its overlay.
    let thumbs = page
        .matches("<span class=\"thumb\"><img alt=\"\" src=\"data:image/jpeg;base64,")
        .count();
    assert_eq!(
        thumbs, 5,
        "two forms, two photos, the back of the card (the corrupt front has none)"
    );
    assert!(
        page.contains("<rect class=\"face\""),
        "the face box on the photo's thumbnail"
    );
    assert!(page.contains("card-corner"), "the card's corners on its thumbnail");
    assert!(
        !page.contains("src=\"http") && !page.contains("<script"),
        "self-contained, no scripts"
    );
    let page = run(&["--no-thumbnails"]);
    assert!(!page.contains("class=\"thumb\"") && !page.contains("/app/B-reject"));
}

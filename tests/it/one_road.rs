//! One road down for every upload: an upload is sniffed exactly once, where
//! its bytes come in (the CLI's reader, the server's multipart reader, an
//! archive's entries, a PDF page's embedded image), and never again on the
//! way through the checks. `format::sniff_count` counts per thread.

use crate::common::rules;
use crate::containers::{pdf, zip, PdfPage, ZipEntry};
use crate::samples::sample;
use prescreen::collect::{collect, InputSpec};
use prescreen::format::sniff_count;
use prescreen::{check_application, Code, Lang, Rules};
use std::sync::Arc;
use tower::ServiceExt;

fn form_pdf() -> Vec<u8> {
    let jpeg = sample("职业技能认定申报表.jpg");
    let page = || PdfPage::Jpeg {
        width: 1200,
        height: 1600,
        bytes: jpeg.clone(),
    };
    pdf(&[page(), page()], 0)
}

#[test]
fn cli_path_sniffs_each_file_entry_and_page_once() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["一寸照.jpg", "身份证正面.jpg", "身份证反面.jpg"] {
        std::fs::write(dir.path().join(name), sample(name)).unwrap();
    }
    let entries = [
        ZipEntry::stored("个人诚信承诺书.jpg", sample("个人诚信承诺书.jpg")),
        ZipEntry::stored("个人工作经历承诺书.jpg", sample("个人工作经历承诺书.jpg")),
    ];
    std::fs::write(dir.path().join("more.zip"), zip(&entries)).unwrap();
    std::fs::write(dir.path().join("职业技能认定申报表.pdf"), form_pdf()).unwrap();
    let input = InputSpec {
        slot: None,
        path: dir.path().to_path_buf(),
    };

    let before = sniff_count();
    let uploads = collect(&[input], rules()).unwrap();
    assert_eq!(uploads.len(), 5);
    assert_eq!(sniff_count() - before, 5, "one sniff per file read");

    let before = sniff_count();
    let report = check_application(&uploads, None, rules(), Lang::Zh);
    // The zip's two entries and the PDF's two page images, nothing else.
    assert_eq!(sniff_count() - before, 4);
    let pages = report.files.iter().filter(|f| f.page.is_some()).count();
    assert_eq!(
        pages,
        2,
        "{:?}",
        report.files.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    let entries = report.files.iter().filter(|f| f.name.contains(".zip!/")).count();
    assert_eq!(entries, 2);
    assert!(!report.files.iter().any(|f| f.has(Code::FileUnsupportedType)));
}

#[tokio::test]
async fn multipart_parts_are_sniffed_once_as_they_are_read() {
    let app = prescreen::server::router(
        Arc::new(Rules::builtin().unwrap()),
        prescreen::server::Config::new(rules(), 2),
    );
    let boundary = "----one-road";
    let mut body = Vec::new();
    for name in ["一寸照.jpg", "身份证正面.jpg"] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(&sample(name));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = axum::http::Request::post("/v1/check")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    // The handler reads the parts on this (current-thread) runtime; the
    // checks run on a blocking thread and must not need to sniff again.
    let before = sniff_count();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), axum::http::StatusCode::OK);
    assert_eq!(sniff_count() - before, 2);
}

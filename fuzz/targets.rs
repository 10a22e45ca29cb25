//! The fuzz targets, shared by the stable harness (`tests/fuzz.rs`, a
//! mutation loop under `cargo test`) and by cargo-fuzz (`fuzz/fuzz_targets/`,
//! libFuzzer on nightly). Each target takes arbitrary bytes, runs one parser
//! the way prescreen runs it, and returns a short signature of the outcome;
//! the stable harness keeps a mutant whose signature it has not seen, a
//! poor man's coverage. A panic that escapes, or an input that takes too
//! long, is a finding.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request};
use prescreen::input::archive::{read_archive, ArchiveProblem};
use prescreen::input::decode::read_exif;
use prescreen::input::jpeg::walk;
use prescreen::input::pdf::{read_pdf, PageImage, PdfProblem};
use prescreen::input::xmp::read_xmp;
use prescreen::pipeline::check_upload;
use prescreen::server::{router, Config};
use prescreen::{Rules, Upload};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// One target: its name (also the corpus folder's) and what it runs.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]) -> String,
}

/// Every target, parsers first, the whole check last.
pub const TARGETS: &[Target] = &[
    Target {
        name: "jpeg",
        run: jpeg,
    },
    Target {
        name: "exif",
        run: exif,
    },
    Target { name: "pdf", run: pdf },
    Target { name: "zip", run: zip },
    Target {
        name: "multipart",
        run: multipart,
    },
    Target {
        name: "check",
        run: check,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

/// The built-in rulebook, parsed once.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("built-in rulebook"))
}

/// The JPEG marker walker: every upload's structure check.
pub fn jpeg(data: &[u8]) -> String {
    match walk(data) {
        Ok(info) => format!(
            "ok c{} p{} s{} t{}",
            info.components,
            info.progressive,
            info.scans.min(4),
            info.trailing_bytes.min(1)
        ),
        Err(e) => e.describe().to_string(),
    }
}

/// EXIF (leniently, as the decoder reads it) and the XMP packet.
pub fn exif(data: &[u8]) -> String {
    let e = read_exif(data);
    let x = read_xmp(data);
    format!(
        "o{:?} s{} m{} d{} x{}{}{}",
        e.orientation,
        e.software.is_some(),
        e.make.is_some(),
        e.model.is_some(),
        x.creator_tool.is_some(),
        x.software.is_some(),
        x.history.len().min(3)
    )
}

/// The PDF reader: every page's largest image, one page at a time.
pub fn pdf(data: &[u8]) -> String {
    let mut sig = String::new();
    let result = read_pdf(data, rules().limits(), Some(1600), |page| {
        sig.push(match page.image {
            None => 'n',
            Some(PageImage::Jpeg(_)) => 'j',
            Some(PageImage::Raw { .. }) => 'r',
            Some(PageImage::Unsupported { .. }) => 'u',
        });
    });
    match result {
        Ok(n) => format!("ok {} {sig}", n.min(4)),
        Err(PdfProblem::Encrypted) => "encrypted".into(),
        Err(PdfProblem::TooManyPages(_)) => "too many pages".into(),
        Err(PdfProblem::Malformed(m)) => format!("malformed {}", m.chars().take(24).collect::<String>()),
    }
}

/// The zip reader: the directory, names, ratios, every entry inflated.
pub fn zip(data: &[u8]) -> String {
    let mut entries = 0usize;
    let problems = read_archive(data, rules().limits(), |_| entries += 1);
    let mut sig = format!("e{}", entries.min(4));
    for p in problems {
        sig.push(' ');
        sig.push_str(match p {
            ArchiveProblem::Malformed(_) => "malformed",
            ArchiveProblem::TooManyEntries(_) => "too_many",
            ArchiveProblem::TooLarge { problem, .. } => problem,
            ArchiveProblem::UnsafePath(_) => "unsafe",
            ArchiveProblem::Encrypted(_) => "encrypted",
            ArchiveProblem::DuplicateEntry(_) => "duplicate",
        });
    }
    sig
}

/// The boundary the multipart target's bodies use.
pub const BOUNDARY: &str = "fuzzBOUNDARY";

/// `POST /v1/check` with the bytes as a multipart body: the server's form
/// reader, then the checks of whatever parts it found.
pub fn multipart(data: &[u8]) -> String {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
    }
    static APP: OnceLock<axum::Router> = OnceLock::new();
    let app = APP.get_or_init(|| {
        let rules = Arc::new(Rules::builtin().expect("built-in rulebook"));
        let config = Config::new(&rules, 1);
        router(rules, config)
    });
    let req = Request::post("/v1/check")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(data.to_vec()))
        .expect("a request");
    RT.with(|rt| {
        rt.block_on(async {
            let resp = app.clone().oneshot(req).await.expect("infallible");
            let status = resp.status().as_u16();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&body);
            // The error code or the verdict: enough to tell outcomes apart.
            let key = ["\"code\":\"", "\"verdict\":\""]
                .iter()
                .find_map(|k| text.find(k).map(|i| &text[i + k.len()..]))
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("");
            format!("{status} {key}")
        })
    })
}

/// The slots the whole-check target picks from, by the first byte.
const SLOTS: &[Option<&str>] = &[
    None,
    Some("photo"),
    Some("id_card_front"),
    Some("id_card_back"),
    Some("application_form"),
    Some("integrity_pledge"),
    Some("diploma"),
];

/// The whole check of one upload: the first byte picks the slot, the rest
/// is the file (sniffed, so a zip or a PDF goes its own way).
pub fn check(data: &[u8]) -> String {
    let Some((&first, file)) = data.split_first() else {
        return String::new();
    };
    let rules = rules();
    let slot = SLOTS[usize::from(first) % SLOTS.len()].and_then(|s| rules.slot(s));
    let upload = Upload::new("fuzz", slot.map(|s| s.id.clone()), file.to_vec());
    let reports = check_upload(&upload, slot, rules);
    let mut sig = format!("{first}");
    for r in &reports {
        for reason in &r.reasons {
            sig.push(' ');
            sig.push_str(reason.code.as_str());
        }
    }
    sig
}

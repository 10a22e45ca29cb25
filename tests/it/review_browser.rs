//! `prescreen review` in a real browser: headless Chromium driven over
//! WebDriver (chromedriver, through fantoccini) against a review server on
//! a free port over a generated archive. Needs Debian's `chromium` and
//! `chromium-driver`; `scripts/test.sh` installs them and sets
//! `PRESCREEN_BROWSER_TESTS=1`, which makes their absence a failure. Without
//! that variable and without a driver, the test says so and does nothing.

use crate::review::{prepared, workspace};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use prescreen::review::{serve_on, Workspace};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find_driver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn start_driver() -> Option<Driver> {
    let required = std::env::var("PRESCREEN_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let Some(path) = find_driver() else {
        assert!(
            !required,
            "PRESCREEN_BROWSER_TESTS=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!("review_browser: chromedriver not found, browser test skipped (scripts/test.sh installs it)");
        return None;
    };
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver { child, port };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(driver)
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            // The flags that keep Chromium off the (closed) network and
            // working as root in a container.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,1400",
                     "--lang=zh-CN"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap()
}

/// A review server on `addr` until the sender is dropped or fired.
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_server(ws: Arc<Workspace>, addr: SocketAddr) -> Server {
    // The port may still be held for a moment after a restart.
    let start = Instant::now();
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(e) => {
                assert!(start.elapsed() < Duration::from_secs(10), "bind {addr}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_on(ws, listener, async {
        let _ = rx.await;
    }));
    Server { stop, task }
}

impl Server {
    async fn shut(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

fn result_line(results: &Path, id: &str) -> Value {
    std::fs::read_to_string(results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .rfind(|v| v["id"] == id)
        .unwrap()
}

fn measurements<'a>(line: &'a Value, name: &str) -> &'a Value {
    &line["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no file {name}"))["measurements"]
}

fn num(v: Option<String>) -> f64 {
    v.unwrap().parse().unwrap()
}

async fn press(c: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

/// Waits for the page at a path to be loaded (after a keyboard move or a post).
async fn wait_for_path(c: &Client, path: &str) {
    let start = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        if url.path() == path {
            if let Ok(state) = c.execute("return document.readyState", vec![]).await {
                if state == "complete" {
                    return;
                }
            }
        }
        if start.elapsed() > Duration::from_secs(15) {
            let page = c.source().await.unwrap_or_default();
            panic!("never reached {path}: at {url}: {page}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The on-screen box of the first element matching `css`.
async fn rect(c: &Client, css: &str) -> [f64; 4] {
    let v = c
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
            vec![json!(css)],
        )
        .await
        .unwrap();
    let a: Vec<f64> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    [a[0], a[1], a[2], a[3]]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewing_in_chromium() {
    let Some(driver) = start_driver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (root, results) = prepared(dir.path());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let server = start_server(workspace(&root, &results, None), addr).await;
    let c = browser(&driver).await;
    let base = format!("http://{addr}");

    // The queue: the counts, rejected first.
    c.goto(&format!("{base}/")).await.unwrap();
    let counts = c.find(Locator::Id("counts")).await.unwrap().text().await.unwrap();
    for part in ["申请 4", "不通过 1", "有提示 1", "通过 2", "已审核 0"] {
        assert!(counts.contains(part), "{part} in {counts}");
    }
    let rows = c.find_all(Locator::Css("#queue tr.app")).await.unwrap();
    let mut ids = Vec::new();
    for r in &rows {
        ids.push(r.attr("data-id").await.unwrap().unwrap());
    }
    assert_eq!(ids, ["B-reject", "D-warn", "A-pass", "C-zip"]);
    let expired = c
        .find(Locator::Css("#by-code tr[data-code='idcard.expired'] td.n"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(expired, "1");

    // Keyboard: j selects the first row, Enter opens it.
    press(&c, 'j').await;
    let selected = c.find(Locator::Css("#queue tr.app.selected")).await.unwrap();
    assert_eq!(selected.attr("data-id").await.unwrap().as_deref(), Some("B-reject"));
    press(&c, Key::Enter.into()).await;
    wait_for_path(&c, "/app/B-reject").await;

    // Its reasons, in Chinese.
    let reasons = c.find_all(Locator::Css("li.reason")).await.unwrap();
    let mut texts = Vec::new();
    for r in &reasons {
        texts.push(r.text().await.unwrap());
    }
    let all = texts.join("\n");
    for needle in ["身份证已过有效期", "照片背景不是白色", "缺少材料", "idcard.expired"] {
        assert!(all.contains(needle), "{needle} in {all}");
    }

    // The overlay's face box and card corners are where the measurements
    // say, in the SVG's attributes and on the screen over the image.
    let line = result_line(&results, "B-reject");
    let photo = measurements(&line, "蓝底一寸照.jpg");
    let face = &photo["face_boxes"][0];
    let section = "section[data-name='蓝底一寸照.jpg']";
    let r = c.find(Locator::Css(&format!("{section} svg rect.face"))).await.unwrap();
    for k in ["x", "y", "width", "height"] {
        let got = num(r.attr(k).await.unwrap());
        assert!(
            (got - face[k].as_f64().unwrap()).abs() < 0.05,
            "face {k}: {got} vs {face}"
        );
    }
    let img = rect(&c, &format!("{section} img")).await;
    let svg = rect(&c, &format!("{section} svg")).await;
    assert!(img[2] > 50.0, "the image was drawn: {img:?}");
    for i in 0..4 {
        assert!(
            (img[i] - svg[i]).abs() < 1.0,
            "the overlay lies on the image: {img:?} {svg:?}"
        );
    }
    let on_screen = rect(&c, &format!("{section} svg rect.face")).await;
    let k = img[2] / photo["width"].as_f64().unwrap();
    assert!((on_screen[0] - (img[0] + face["x"].as_f64().unwrap() * k)).abs() < 2.0);
    assert!((on_screen[2] - face["width"].as_f64().unwrap() * k).abs() < 2.0);
    // The image really loaded (a served JPEG, not a broken icon).
    let natural = c
        .execute(
            "return document.querySelector(arguments[0]).naturalWidth",
            vec![json!(format!("{section} img"))],
        )
        .await
        .unwrap();
    assert!(natural.as_f64().unwrap() > 0.0);

    let back = measurements(&line, "身份证反面.jpg");
    let corners = back["card_corners"].as_array().unwrap();
    for (i, want) in corners.iter().enumerate() {
        let dot = c
            .find(Locator::Css(&format!(
                "section[data-name='身份证反面.jpg'] svg circle.card-corner[data-corner='{i}']"
            )))
            .await
            .unwrap();
        let (x, y) = (num(dot.attr("cx").await.unwrap()), num(dot.attr("cy").await.unwrap()));
        assert!((x - want[0].as_f64().unwrap()).abs() < 0.05 && (y - want[1].as_f64().unwrap()).abs() < 0.05);
    }

    // The page's screenshot (committed as docs/review-app.png when asked).
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    let png = c.screenshot().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let shot = image::load_from_memory(&png).unwrap();
    assert!(shot.width() >= 800, "{}", shot.width());
    if std::env::var("PRESCREEN_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("review-app.png"), &png).unwrap();
    }

    // A decision: return with a reason and a message, through the form.
    c.find(Locator::Css("input[name=choice][value=return]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("message"))
        .await
        .unwrap()
        .send_keys("请更换有效期内的身份证后重新提交")
        .await
        .unwrap();
    let reviewer = c.find(Locator::Id("reviewer")).await.unwrap();
    reviewer.clear().await.unwrap();
    reviewer.send_keys("王审核").await.unwrap();
    c.find(Locator::Id("submit-decision"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, "/app/B-reject").await;
    // The post comes back to the same path, so the path alone does not say
    // the answer has loaded: the decision's element does.
    let current = |c: Client| async move {
        let el = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("current-decision"))
            .await
            .unwrap();
        (el.attr("data-choice").await.unwrap(), el.text().await.unwrap())
    };
    let (choice, text) = current(c.clone()).await;
    assert_eq!(choice.as_deref(), Some("return"));
    assert!(
        text.contains("王审核") && text.contains("请更换有效期内的身份证"),
        "{text}"
    );

    // It survives a reload, and a restart of the server on the same files.
    c.refresh().await.unwrap();
    let (choice, _) = current(c.clone()).await;
    assert_eq!(choice.as_deref(), Some("return"));
    server.shut().await;
    let server = start_server(workspace(&root, &results, None), addr).await;
    c.goto(&format!("{base}/app/B-reject")).await.unwrap();
    let (choice, text) = current(c.clone()).await;
    assert_eq!(choice.as_deref(), Some("return"));
    assert!(text.contains("王审核"), "{text}");

    // In the CSV export (fetched by the page, as the download button does).
    let csv = c
        .execute("return fetch('/decisions.csv').then(r => r.text())", vec![])
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(
        csv.contains("B-reject,return,") && csv.contains("请更换有效期内的身份证后重新提交") && csv.contains("王审核"),
        "{csv}"
    );

    // A path-traversal image URL is refused.
    for url in [
        "/image/B-reject?name=..%2F..%2F..%2Fetc%2Fpasswd",
        "/image/B-reject?name=%2Fetc%2Fpasswd",
    ] {
        let status = c
            .execute("return fetch(arguments[0]).then(r => r.status)", vec![json!(url)])
            .await
            .unwrap();
        let status = status.as_u64().unwrap();
        assert!(status == 403 || status == 404, "{url}: {status}");
    }
    c.goto(&format!("{base}/image/B-reject?name=..%2F..%2Fetc%2Fpasswd"))
        .await
        .unwrap();
    let body = c.source().await.unwrap();
    assert!(!body.contains("root:"), "{body}");

    c.close().await.unwrap();
    server.shut().await;
}

//! A real headless Chromium, driven through Debian's chromium-driver with
//! WebDriver (fantoccini), against a real `attestera serve`. Pages are found
//! by what people see: headings, labels, button and link texts.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = include_str!("axe/axe.min.js");

/// One browser for one test: its own chromedriver and Chromium, gone on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    base: String,
}

/// Starts chromedriver on a free port and waits for the line it prints when ready.
fn start_driver() -> (Child, u16) {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver (.ci/run does)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).expect("chromedriver output");
        assert!(n > 0, "chromedriver stopped before it was ready");
        if line.contains("started successfully") {
            break;
        }
    }
    // Keep reading so that chromedriver never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    (child, port)
}

impl Browser {
    /// A fresh browser (no cookies) on the server at `base`.
    pub async fn open(base: &str) -> Browser {
        let (driver, port) = start_driver();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--lang=sv-SE", "--no-first-run"]
            }
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session in chromium");
        Browser {
            client,
            driver,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    pub async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    /// The page's one h1 (and that there is exactly one).
    pub async fn h1(&self) -> String {
        let h1s = self.client.find_all(Locator::Css("h1")).await.expect("h1");
        assert_eq!(h1s.len(), 1, "a page has exactly one h1");
        h1s[0].text().await.expect("h1 text")
    }

    /// The visible text of the whole page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("text")
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.expect(css)
    }

    /// The form field labelled `label` (by the label's visible text).
    pub async fn field(&self, label: &str) -> Element {
        let xpath = format!("//label[normalize-space()={}]", xpath_string(label));
        let label_el = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no label \"{label}\": {e}"));
        let id = label_el
            .attr("for")
            .await
            .expect("for")
            .unwrap_or_else(|| panic!("label \"{label}\" names no field"));
        self.find(&format!("#{id}")).await
    }

    /// Types `value` into the field labelled `label` (after clearing it).
    pub async fn fill(&self, label: &str, value: &str) {
        let f = self.field(label).await;
        f.clear().await.expect("clear");
        f.send_keys(value).await.expect("type");
    }

    /// Chooses the file at `path` in the file field labelled `label`.
    pub async fn upload(&self, label: &str, path: &std::path::Path) {
        let f = self.field(label).await;
        f.send_keys(path.to_str().expect("a UTF-8 path"))
            .await
            .expect("choose file");
    }

    /// Presses the button whose text is `text` and waits for the page it leads to.
    pub async fn press(&self, text: &str) {
        let button = self.button(text).await;
        self.leave(button.click()).await;
    }

    /// The button whose text is `text`.
    pub async fn button(&self, text: &str) -> Element {
        let xpath = format!(
            "//button[normalize-space()={0}] | //input[@type='submit' and @value={0}]",
            xpath_string(text)
        );
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button \"{text}\": {e}"))
    }

    /// Follows the link whose text is `text` and waits for the page it leads to.
    pub async fn follow(&self, text: &str) {
        let link = self.link(text).await;
        self.leave(link.click()).await;
    }

    /// Clicks the element `css` (a link or a button) and waits for the page it leads to.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.leave(element.click()).await;
    }

    /// Does `act` (a click) and waits until the browser shows the next page
    /// to its footer, the end of every page: a click may return before the
    /// browser has left the page it was on.
    async fn leave(
        &self,
        act: impl std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    ) {
        self.eval("document.documentElement.dataset.left = 'ja'; return true;")
            .await;
        act.await.expect("click");
        self.client
            .wait()
            .for_element(Locator::Css("html:not([data-left]) footer.site-footer"))
            .await
            .expect("the next page");
    }

    pub async fn link(&self, text: &str) -> Element {
        let xpath = format!("//a[normalize-space()={}]", xpath_string(text));
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no link \"{text}\": {e}"))
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// axe-core on the page as it is now: no violation of WCAG 2.0/2.1 A or
    /// AA. Then, when `ATTESTERA_SCREENSHOTS` names a folder, a screenshot
    /// of the page as `<name>.png` there (docs/ui.md shows them).
    pub async fn check_page(&self, name: &str) {
        let loaded = self
            .eval(&format!("{AXE}\n;return typeof axe === 'object';"))
            .await;
        assert_eq!(loaded, Value::Bool(true), "axe-core loads");
        let violations = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
                   .then(r => done(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html.slice(0, 200))}))))
                   .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));",
                vec![],
            )
            .await
            .expect("axe.run");
        let violations = violations.as_array().cloned().unwrap_or_default();
        assert!(
            violations.is_empty(),
            "{name}: WCAG violations on {}:\n{}",
            self.path().await,
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
        self.screenshot(name).await;
    }

    async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("ATTESTERA_SCREENSHOTS").map(PathBuf::from) else {
            return;
        };
        // The whole page, not only the window: as tall as the document, within reason.
        let height = self
            .eval("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 4000);
        let (width, _) = self.window_size().await;
        self.client
            .set_window_size(width, height as u32 + 140)
            .await
            .expect("window size");
        let png = self.client.screenshot().await.expect("screenshot");
        self.client
            .set_window_size(width, 1000)
            .await
            .expect("window size");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn window_size(&self) -> (u32, u32) {
        let (w, h) = self.client.get_window_size().await.expect("window size");
        (w as u32, h as u32)
    }

    /// The page at 320 CSS pixels (WCAG 1.4.10 reflow, the same as 1280
    /// px at 400 % zoom): nothing scrolls sideways but the content of a
    /// table's own scroll area.
    pub async fn check_reflow(&self) {
        self.client
            .set_window_size(320, 900)
            .await
            .expect("window size");
        let wide = self
            .eval(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1;",
            )
            .await;
        let path = self.path().await;
        self.client
            .set_window_size(1280, 1000)
            .await
            .expect("window size");
        assert_eq!(
            wide,
            Value::Bool(false),
            "{path} scrolls sideways at 320 px"
        );
    }

    /// The id of the element that has the keyboard focus.
    pub async fn focused_id(&self) -> String {
        self.eval("return document.activeElement ? (document.activeElement.id || document.activeElement.className) : '';")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The browser's cookies, as (name, value, http_only, same_site).
    pub async fn cookies(&self) -> Vec<(String, String, bool, String)> {
        self.client
            .get_all_cookies()
            .await
            .expect("cookies")
            .into_iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    c.value().to_string(),
                    c.http_only().unwrap_or(false),
                    c.same_site().map(|s| format!("{s:?}")).unwrap_or_default(),
                )
            })
            .collect()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// `s` as an XPath string literal (XPath 1.0 has no escapes).
fn xpath_string(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

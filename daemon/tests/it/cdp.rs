//! A small Chrome DevTools Protocol driver for the portal's browser tests: launches the
//! system's headless Chromium, opens a page, and drives it (navigate, fill, click, upload,
//! evaluate, screenshot) over the DevTools WebSocket. Test support only.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

pub type Result<T> = std::result::Result<T, String>;

/// The Chromium binary, or `None` when the machine has none.
pub fn chromium_path() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

pub struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn launch(binary: &Path) -> Result<Self> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            // Chromium puts its singleton socket under TMPDIR and, killed, leaves it there; inside
            // the profile folder it goes when the profile does.
            .env("TMPDIR", profile.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        // Chromium announces its DevTools port in this file once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let mut port = None;
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Some(p) = text.lines().next().and_then(|l| l.trim().parse().ok()) {
                    port = Some(p);
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let port = port.ok_or("Chromium did not open its DevTools port within 10 s")?;
        Ok(Self {
            child,
            port,
            _profile: profile,
        })
    }

    /// Attaches to the browser's first page target.
    pub async fn page(&self) -> Result<Page> {
        let list: Value = reqwest::get(format!("http://127.0.0.1:{}/json/list", self.port))
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let ws_url = list
            .as_array()
            .and_then(|targets| {
                targets
                    .iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            })
            .ok_or("no page target in Chromium")?
            .to_owned();
        Page::connect(&ws_url).await
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        // The profile folder is removed right after this; Chromium must be gone first or it
        // keeps writing into it and the removal leaves files behind.
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Its helper processes may still be flushing for a moment after the main one exits.
        for _ in 0..25 {
            match std::fs::remove_dir_all(self._profile.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    std::thread::sleep(std::time::Duration::from_millis(40))
                }
                _ => break,
            }
        }
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct Page {
    out: mpsc::UnboundedSender<String>,
    pending: Pending,
    next_id: AtomicU64,
    loads: Arc<AtomicU64>,
}

impl Page {
    async fn connect(ws_url: &str) -> Result<Self> {
        let (ws, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .map_err(|e| format!("DevTools WebSocket: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let loads = Arc::new(AtomicU64::new(0));
        {
            let pending = pending.clone();
            let loads = loads.clone();
            tokio::spawn(async move {
                while let Some(Ok(msg)) = stream.next().await {
                    let Ok(text) = msg.to_text() else { continue };
                    let Ok(v) = serde_json::from_str::<Value>(text) else {
                        continue;
                    };
                    if let Some(id) = v["id"].as_u64() {
                        if let Some(tx) = pending.lock().await.remove(&id) {
                            let _ = tx.send(v);
                        }
                    } else if v["method"] == "Page.loadEventFired" {
                        loads.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
        let page = Self {
            out,
            pending,
            next_id: AtomicU64::new(1),
            loads,
        };
        page.call("Page.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        Ok(page)
    }

    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id, tx);
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.out
            .send(msg)
            .map_err(|_| "DevTools connection closed")?;
        let reply = tokio::time::timeout(Duration::from_secs(20), rx)
            .await
            .map_err(|_| format!("{method}: no answer within 20 s"))?
            .map_err(|_| "DevTools connection closed")?;
        if let Some(err) = reply.get("error") {
            return Err(format!("{method}: {err}"));
        }
        Ok(reply["result"].clone())
    }

    /// Navigates and waits until the new document has loaded.
    pub async fn goto(&self, url: &str) -> Result<()> {
        let before = self.loads.load(Ordering::SeqCst);
        self.call("Page.navigate", json!({"url": url})).await?;
        self.wait_loaded_after(before).await
    }

    async fn wait_loaded_after(&self, before: u64) -> Result<()> {
        for _ in 0..400 {
            if self.loads.load(Ordering::SeqCst) > before {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err("page did not finish loading within 10 s".into())
    }

    /// Evaluates `expr` in the page and returns its JSON value (promises are awaited).
    pub async fn eval(&self, expr: &str) -> Result<Value> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expr, "awaitPromise": true, "returnByValue": true}),
            )
            .await?;
        if let Some(ex) = r.get("exceptionDetails") {
            return Err(format!("script error in {expr:?}: {ex}"));
        }
        Ok(r["result"]["value"].clone())
    }

    pub async fn text(&self, selector: &str) -> Result<String> {
        let v = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({s}); return e ? e.innerText : null; }})()",
                s = js_str(selector)
            ))
            .await?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no element matches {selector}"))
    }

    pub async fn exists(&self, selector: &str) -> Result<bool> {
        Ok(self
            .eval(&format!(
                "document.querySelector({}) !== null",
                js_str(selector)
            ))
            .await?
            == Value::Bool(true))
    }

    /// Sets an input's value as a user typing it would (input + change events fire).
    pub async fn fill(&self, selector: &str, value: &str) -> Result<()> {
        let ok = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({s}); if (!e) return false; \
                 e.focus(); e.value = {v}; \
                 e.dispatchEvent(new Event('input', {{bubbles: true}})); \
                 e.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()",
                s = js_str(selector),
                v = js_str(value)
            ))
            .await?;
        if ok != Value::Bool(true) {
            return Err(format!("no input matches {selector}"));
        }
        Ok(())
    }

    pub async fn set_checked(&self, selector: &str, checked: bool) -> Result<()> {
        let ok = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({s}); if (!e) return false; \
                 e.checked = {checked}; e.dispatchEvent(new Event('change', {{bubbles: true}})); \
                 return true; }})()",
                s = js_str(selector)
            ))
            .await?;
        if ok != Value::Bool(true) {
            return Err(format!("no checkbox matches {selector}"));
        }
        Ok(())
    }

    /// Clicks the element and waits for the navigation the click causes.
    pub async fn click_and_wait(&self, selector: &str) -> Result<()> {
        let before = self.loads.load(Ordering::SeqCst);
        self.click(selector).await?;
        self.wait_loaded_after(before).await
    }

    pub async fn click(&self, selector: &str) -> Result<()> {
        let ok = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({s}); if (!e) return false; \
                 e.click(); return true; }})()",
                s = js_str(selector)
            ))
            .await?;
        if ok != Value::Bool(true) {
            return Err(format!("nothing to click matches {selector}"));
        }
        Ok(())
    }

    /// Puts a file into an `<input type=file>` as if the user had picked it.
    pub async fn set_file(&self, selector: &str, file: &Path) -> Result<()> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": format!("document.querySelector({})", js_str(selector))}),
            )
            .await?;
        let object_id = r["result"]["objectId"]
            .as_str()
            .ok_or_else(|| format!("no file input matches {selector}"))?
            .to_owned();
        self.call(
            "DOM.setFileInputFiles",
            json!({"files": [file.display().to_string()], "objectId": object_id}),
        )
        .await?;
        Ok(())
    }

    /// Polls `expr` until it is truthy.
    pub async fn wait_for(&self, expr: &str, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.eval(expr).await? {
                Value::Bool(true) => return Ok(()),
                Value::Null | Value::Bool(false) => {}
                Value::String(s) if s.is_empty() => {}
                Value::Number(n) if n.as_f64() == Some(0.0) => {}
                _ => return Ok(()),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("timed out waiting for {expr}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn set_viewport(&self, width: u32, height: u32, mobile: bool) -> Result<()> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await?;
        Ok(())
    }

    /// Saves a PNG of the whole page.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let r = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await?;
        let data = r["data"].as_str().ok_or("screenshot without data")?;
        let bytes = decode_base64(data)?;
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub async fn url(&self) -> Result<String> {
        Ok(self
            .eval("location.href")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn decode_base64(s: &str) -> Result<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    }
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= val(*c).ok_or("invalid base64 in screenshot")? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Ok(out)
}

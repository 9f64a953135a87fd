"""Open a page in headless Chromium over the DevTools protocol: errors, requests, geometry.

Chromium listens on 127.0.0.1 only (``--remote-debugging-port=0``; the port is read from
``DevToolsActivePort``); a ``websocket-client`` connection drives one tab. Everything the page
logs as an error and every request it makes are recorded.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1400,1000",
)


def chromium() -> str | None:
    """The Chromium binary (Debian package ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    """What happened while a page loaded."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class Browser:
    """A headless Chromium with one tab; use as a context manager."""

    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="tkiseq-chromium-")
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.visit = PageVisit()
        self._id = 0
        self._connect()

    def _connect(self) -> None:
        import websocket

        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not marker.exists() or len(marker.read_text().splitlines()) < 2:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port, path = marker.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=self.timeout, suppress_origin=True
        )
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.visit.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.visit.errors.append(json.dumps(params.get("args", []))[:300])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.visit.errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            self.visit.requests.append(params["request"]["url"])

    def call(self, method: str, *, session: bool = False, **params: object) -> dict:
        """Send one command and wait for its reply, recording the events that arrive meanwhile."""
        self._id += 1
        message: dict[str, object] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._record(reply)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            self._record(message)
            if message.get("method") == event:
                return
        raise TimeoutError(event)

    def viewport(self, width: int, height: int) -> None:
        """The page's viewport in CSS pixels (a headless window's own size includes no chrome
        but the tab gets less than the window)."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def open(self, url: str) -> None:
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> object:
        result = self.call(
            "Runtime.evaluate",
            session=True,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "evaluation failed"))
        return result["result"].get("value")

    def screenshot(self, dest: Path) -> None:
        """The whole page (not just the window) as PNG."""
        metrics = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot",
            session=True,
            format="png",
            clip=clip,
            captureBeyondViewport=True,
        )
        dest.write_bytes(base64.b64decode(shot["data"]))


SECTIONS = (
    "findings",
    "qc",
    "subtypes",
    "lesions",
    "response",
    "de",
    "gsea",
    "fusions",
    "variants",
    "samples",
    "summary",
)

GEOMETRY = """JSON.stringify({
  sections: [...document.querySelectorAll("section")].map(s => {
    const r = s.getBoundingClientRect(); return [s.id, r.width, r.height]; }),
  images: [...document.images].map(i => {
    const r = i.getBoundingClientRect();
    return [i.alt, i.complete, i.naturalWidth, r.width, r.height]; }),
  tables: [...document.querySelectorAll(".datatable")].map(d =>
    [d.dataset.table, d.querySelectorAll("tbody tr").length,
     d.querySelector(".pager").textContent]),
  cards: document.querySelectorAll("#cards .card").length,
  karyotypes: document.querySelectorAll("#cards .card svg.karyo").length,
})"""


def check_page(report: Path, n_samples: int, screenshot: Path) -> dict:
    """Open ``report`` and assert it is offline, error-free and fully drawn; return geometry."""
    with Browser(chromium()) as browser:
        browser.open(report.as_uri())
        page = json.loads(browser.evaluate(GEOMETRY))
        browser.screenshot(screenshot)
        visit = browser.visit
    assert visit.errors == []
    outside = [u for u in visit.requests if u != report.as_uri() and not u.startswith("data:")]
    assert outside == [], "the page requested something besides itself"
    assert [s[0] for s in page["sections"]] == list(SECTIONS)
    assert all(w > 0 and h > 0 for _, w, h in page["sections"])
    assert page["images"] and all(
        c and n > 0 and w > 0 and h > 0 for _, c, n, w, h in page["images"]
    )
    qc = next(t for t in page["tables"] if t[0] == "qc")
    assert qc[1] == min(25, n_samples)
    assert page["cards"] == min(6, n_samples) == page["karyotypes"]
    assert screenshot.stat().st_size > 10_000
    return page

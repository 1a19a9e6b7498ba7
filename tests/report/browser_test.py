#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Opens each kind of `mlcarbon report` page in headless Chromium through
the DevTools protocol: no console error, no request beyond the file itself,
every chart's SVG present and drawn, and a screenshot that is not blank.

usage: browser_test.py MLCARBON FIXTURES [--screenshots DIR]
"""
import argparse
import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

import websocket  # Debian python3-websocket

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def skip_or_fail(reason):
    if os.environ.get("CI"):
        sys.exit(f"FAIL: {reason}")
    print(f"SKIP: {reason}")
    sys.exit(77)


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=20)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)


def png_is_blank(png):
    """True when the decoded scanlines hold (almost) one value only."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    return len(set(raw)) < 8


CHECK_DOM = r"""
(() => {
  const charts = [...document.querySelectorAll('svg.chart')].map(s => {
    const box = s.getBoundingClientRect();
    return {id: s.id, width: box.width, height: box.height,
            title: (s.querySelector('title') || {}).textContent || '',
            desc: (s.querySelector('desc') || {}).textContent || '',
            drawn: s.querySelectorAll('polyline, rect.bar, circle, polygon').length};
  });
  const images = [...document.querySelectorAll('img.figure')].map(i => ({
      id: i.id, loaded: i.complete && i.naturalWidth > 0, alt: i.alt}));
  return JSON.stringify({charts, images, sections: document.querySelectorAll('section').length,
                         tables: document.querySelectorAll('table').length});
})()
"""


def check_page(browser_port, path, expect_charts, expect_images, shots):
    failures = []
    with urllib.request.urlopen(f"http://127.0.0.1:{browser_port}/json/list") as r:
        targets = [t for t in json.load(r) if t["type"] == "page"]
    page = Page(targets[0]["webSocketDebuggerUrl"])
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.call(f"{domain}.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=1000, height=900,
              deviceScaleFactor=1, mobile=False)
    url = path.resolve().as_uri()
    page.call("Page.navigate", url=url)
    page.wait_for("Page.loadEventFired")
    result = page.call("Runtime.evaluate", expression=CHECK_DOM, returnByValue=True)
    dom = json.loads(result["result"]["value"])
    height = page.call("Runtime.evaluate",
                       expression="document.documentElement.scrollHeight",
                       returnByValue=True)["result"]["value"]
    page.call("Emulation.setDeviceMetricsOverride", width=1000,
              height=min(int(height), 4000), deviceScaleFactor=1, mobile=False)
    shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
    # Drain what arrived meanwhile.
    page.ws.settimeout(0.3)
    try:
        while True:
            page.events.append(json.loads(page.ws.recv()))
    except Exception:
        pass
    page.ws.close()
    for e in page.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            failures.append(f"console error: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            failures.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            failures.append(f"log error: {p['entry'].get('text')}")
        elif m == "Network.requestWillBeSent":
            req = p.get("request", {}).get("url", "")
            if req != url and not req.startswith("data:"):
                failures.append(f"network request: {req}")
    if len(dom["charts"]) != expect_charts:
        failures.append(f"{len(dom['charts'])} SVG charts, expected {expect_charts}")
    for c in dom["charts"]:
        if c["width"] < 100 or c["height"] < 50 or c["drawn"] == 0:
            failures.append(f"chart {c['id']} is empty or not laid out: {c}")
        if not c["title"] or not c["desc"]:
            failures.append(f"chart {c['id']} lacks <title> or <desc>")
    if len(dom["images"]) != expect_images:
        failures.append(f"{len(dom['images'])} figure images, expected {expect_images}")
    for i in dom["images"]:
        if not i["loaded"] or not i["alt"]:
            failures.append(f"figure image {i['id']} did not load or has no alt text")
    if dom["tables"] == 0:
        failures.append("no data table")
    if png_is_blank(shot):
        failures.append("the screenshot is blank")
    if shots:
        (shots / (path.stem + ".png")).write_bytes(shot)
    return failures


def make_history(mlcarbon, fixtures, work):
    db = work / "history.db"
    base = json.loads((fixtures / "train_run.json").read_text())
    base.pop("timeline")
    for day in range(12):
        doc = json.loads(json.dumps(base))
        doc["run_id"] = f"3f1c2a9e-5b7d-4e21-9a0c-6d8e2f4b1a{day:02d}"
        doc["start"] = f"2026-11-{day + 10:02d}T09:00:00.000Z"
        scale = 1.0 + 0.35 * ((day * 7) % 5) / 4 - 0.02 * day
        doc["energy"]["total_j"] *= scale
        doc["carbon"]["co2e_kg"] *= scale
        doc["tags"] = ["train"] if day % 4 else ["train", "tuning"]
        if day % 5 == 3:
            doc["energy"]["method"] = "estimated"
        f = work / f"h{day}.json"
        f.write_text(json.dumps(doc))
        subprocess.run([mlcarbon, "history", "--db", str(db), "import", str(f)],
                       check=True, capture_output=True)
    return db


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlcarbon")
    ap.add_argument("fixtures", type=pathlib.Path)
    ap.add_argument("--screenshots", type=pathlib.Path)
    args = ap.parse_args()
    if CHROMIUM is None:
        skip_or_fail("chromium is not installed (scripts/install-deps.sh installs it)")
    work = pathlib.Path(tempfile.mkdtemp(prefix="mlcarbon-browser-"))
    chromium = None
    try:
        db = make_history(args.mlcarbon, args.fixtures, work)
        reports = {
            "report-run": ([str(args.fixtures / "train_run.json")], 3, 0),
            "report-history": (["--history", "--db", str(db), "--tag", "train"], 2, 0),
            "report-estimate": ([str(args.fixtures / "estimate.json")], 2, 0),
            "report-experiment": ([str(args.fixtures / "experiment")], 0, 1),
        }
        for name, (inputs, _, _) in reports.items():
            subprocess.run([args.mlcarbon, "report", *inputs, "--html", str(work / f"{name}.html")],
                           check=True)
        profile = work / "profile"
        chromium = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", "--force-color-profile=srgb",
             f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        end = time.time() + 20
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > end or chromium.poll() is not None:
                sys.exit("FAIL: chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        failed = False
        for name, (_, charts, images) in reports.items():
            problems = check_page(port, work / f"{name}.html", charts, images, args.screenshots)
            for p in problems:
                print(f"FAIL {name}: {p}")
            failed |= bool(problems)
            if not problems:
                print(f"ok {name}")
        sys.exit(1 if failed else 0)
    finally:
        if chromium is not None:
            chromium.terminate()
            try:
                chromium.wait(timeout=10)
            except subprocess.TimeoutExpired:
                chromium.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

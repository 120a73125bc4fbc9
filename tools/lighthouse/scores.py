"""Lighthouse scores of the built site, as a reader's browser gets them: `make lighthouse`.

Serves a built site (``site/`` by default) on a local port, runs Lighthouse 12 (npm, pinned in
``package.json`` next to this file) with Debian's Chromium on each page, desktop preset, and
prints the four category scores per page. ``tests/site/test_lighthouse.py`` calls
:func:`scores` on the test build.

    python tools/lighthouse/scores.py [SITE_DIR] [PATH ...]
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# The home page, every article type, a notebook page and the build report, in both languages.
PAGES = ("/", "/en/", "/activations/gelu/", "/en/activations/gelu/", "/autograd/vector-jacobian/",
         "/en/autograd/vector-jacobian/", "/autograd/retain-graph/", "/en/autograd/retain-graph/",
         "/sequence/lstm-airline/", "/en/sequence/lstm-airline/", "/sequence/tcn/", "/en/sequence/tcn/",
         "/nlp/embedding/", "/en/nlp/embedding/", "/vit/architecture/", "/en/vit/architecture/",
         "/vit/fine-tuning/", "/en/vit/fine-tuning/", "/vit/attention-map/", "/en/vit/attention-map/",
         "/vit/implementation/", "/en/vit/implementation/", "/activations/gelu/notebook/",
         "/en/activations/gelu/notebook/", "/build-report/", "/en/build-report/")


def chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise FileNotFoundError(f"Lighthouse drives Debian's Chromium, but {path} does not exist "
                                "(apt-get install chromium)")
    return path


COMPRESSED = (".html", ".css", ".js", ".json", ".svg", ".xml", ".ipynb")


class Host(http.server.SimpleHTTPRequestHandler):
    """A static host as GitHub Pages is one: text files go out gzip-compressed when the browser
    accepts it (python's http.server alone never compresses, which Lighthouse would count)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if path.suffix not in COMPRESSED or not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
        self.end_headers()
        self.wfile.write(body)


def serve(site_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Host, directory=str(site_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def report(url: str) -> dict:
    """Lighthouse's JSON report of one URL (desktop preset, its default simulated throttling)."""
    if not CLI.is_file():
        raise FileNotFoundError(f"Lighthouse is not installed: expected {CLI} (make lighthouse runs npm ci in {HERE})")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        result = subprocess.run(
            ["node", str(CLI), url, "--preset=desktop", "--output=json", f"--output-path={out}", "--quiet",
             "--only-categories=" + ",".join(CATEGORIES),
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run"],
            env=dict(os.environ, CHROME_PATH=chromium()), capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or not out.is_file():
            raise RuntimeError(f"Lighthouse failed on {url}:\n{result.stderr[-2000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def scores(site_dir: Path, paths=PAGES) -> dict[str, dict]:
    """``{path: {"scores": {category: 0-100}, "failed": [audit ids below full marks in the
    scored categories other than performance], "metrics": {...}}}``."""
    server, base = serve(Path(site_dir))
    try:
        results = {}
        for path in paths:
            r = report(base + path)
            cats = {c: round(100 * (r["categories"][c]["score"] or 0)) for c in CATEGORIES}
            failed = sorted({ref["id"] for c in CATEGORIES[1:] for ref in r["categories"][c]["auditRefs"]
                             if ref["weight"] and (r["audits"][ref["id"]]["score"] or 0) < 1})
            metrics = {k: r["audits"][k].get("displayValue", "") for k in
                       ("total-blocking-time", "largest-contentful-paint", "dom-size")}
            results[path] = {"scores": cats, "failed": failed, "metrics": metrics}
        return results
    finally:
        server.shutdown()


def main(argv: list[str]) -> int:
    site_dir = Path(argv[0]) if argv else Path("site")
    if not (site_dir / "index.html").is_file():
        print(f"no built site in {site_dir}/: run `make build` first", file=sys.stderr)
        return 2
    paths = argv[1:] or PAGES
    print(f"{'page':40} {'perf':>5} {'a11y':>5} {'bp':>5} {'seo':>5}  TBT, LCP, DOM  failing audits")
    for path, r in scores(site_dir, paths).items():
        s = r["scores"]
        print(f"{path:40} {s['performance']:5} {s['accessibility']:5} {s['best-practices']:5} {s['seo']:5}  "
              f"{', '.join(r['metrics'].values())}  {' '.join(r['failed'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

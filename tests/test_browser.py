"""The generated index and a report, opened in headless Chromium (Debian's).

The pipeline builds both into a temporary folder from the fixture notebook
and fake scenarios (tests/fixtures), then Playwright drives
/usr/bin/chromium with a fresh profile: no console errors, nothing fetched
but ``file:`` and ``data:`` URLs (the pages must open offline), every image
decoded, the summary table there. Screenshots land in the test's tmp_path.

Chromium is required, not optional: install it with
``bash tools/install_chromium.sh`` (Debian package ``chromium``).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from genai_edge import report

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path(os.environ.get("GENAI_EDGE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _fake_source():
    spec = importlib.util.spec_from_file_location("genai_edge_browser_fake_scenarios",
                                                  FIXTURES / "fake_scenarios.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.make_source()


def _require_browser():
    """Chromium and Playwright, or a failure that says how to get them."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: run `bash tools/install_chromium.sh` "
                    "(installs Debian's chromium) before the browser tests", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: install the test extras "
                    "(`pip install -e '.[test]'`); no browser download is needed",
                    pytrace=False)
    return sync_playwright


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """index.html and the fixture report for two scenarios, built by the pipeline."""
    out = tmp_path_factory.mktemp("browser") / "reports"
    lines = []
    summary = report.run_reports(None, out, notebooks=[FIXTURES / "notebooks" / "tiny.ipynb"],
                                 jobs=2, source=_fake_source(),
                                 echo=lambda line, err=False: lines.append(line))
    assert summary.exit_code == 0, "\n".join(lines)
    return out


class _Watch:
    """Console errors, page errors, failed and non-local requests of a page."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("request", lambda r: r.url.startswith(("file:", "data:")) or
                self.problems.append(f"network request: {r.url}"))


def _images(page) -> list[dict]:
    return page.eval_on_selector_all(
        "img", "els => els.map(e => ({src: e.src.slice(0, 30), complete: e.complete, "
               "w: e.naturalWidth, h: e.naturalHeight, alt: e.getAttribute('alt')}))")


@pytest.mark.slow
def test_index_and_report_in_chromium(reports, tmp_path):
    sync_playwright = _require_browser()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1280, "height": 900}, offline=True)
        try:
            page = context.new_page()
            watch = _Watch(page)

            page.goto((reports / "index.html").as_uri(), wait_until="load")
            summary = page.locator("table#summary")
            assert summary.count() == 1 and summary.is_visible()
            assert page.locator("table#summary th", has_text="TTFT [ms]").count() == 1
            assert page.locator("table#summary thead th").all_inner_texts()[2:] == [
                "alpha", "beta"]
            assert page.locator("table#summary td.win").count() >= 2
            assert all(i["w"] > 0 for i in _images(page))
            page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

            link = page.locator("table#reports a", has_text="report").first
            link.click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/alpha/tiny.html"), page.url
            images = _images(page)
            assert images, "the report has no figure"
            for img in images:
                assert img["src"].startswith("data:image/png;base64"), img
                assert img["complete"] and img["w"] > 0 and img["h"] > 0, img
                assert img["alt"] == "Figure: Fixture report", img
            assert page.locator("math").count() == 3
            assert page.locator(".jp-InputPrompt, .jp-OutputPrompt, .cm-editor").count() == 0
            assert "scenario: alpha" in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

            page.locator("nav.ge-nav a").click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/index.html")

            assert watch.problems == []
        finally:
            context.close()
    assert (tmp_path / "index.png").stat().st_size > 0
    assert (tmp_path / "report.png").stat().st_size > 0


@pytest.mark.slow
def test_watch_catches_network_and_console_errors(tmp_path):
    """Control: the checks above do see a CDN script, a console error and a broken image."""
    sync_playwright = _require_browser()
    page_file = tmp_path / "bad.html"
    page_file.write_text('<html><body><script src="https://cdn.invalid/require.js"></script>'
                         '<script>console.error("boom")</script>'
                         '<img src="data:image/png;base64,AAAA"></body></html>')
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, offline=True)
        try:
            page = context.new_page()
            watch = _Watch(page)
            page.goto(page_file.as_uri(), wait_until="load")
            assert [i["w"] for i in _images(page)] == [0]
        finally:
            context.close()
    text = "\n".join(watch.problems)
    assert "network request: https://cdn.invalid/require.js" in text
    assert "console error: boom" in text

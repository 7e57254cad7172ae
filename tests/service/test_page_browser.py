"""The page in a real headless browser: Debian's Chromium, driven by Playwright.

A person logs in with a token, reads the release list, opens the failing release and asks
which releases are affected by MAL-2026-2144. The screenshots of those views are taken on
every run (and must not be empty); with ``POLICYENGINE_UPDATE_SCREENSHOTS=1`` they are also
written to docs/service/, where docs/service-page.md shows them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.service.pagekit import HOSTILE_RELEASE, Running, fill_store, serve

SHOTS = ROOT / "docs" / "service"
PNG = b"\x89PNG\r\n\x1a\n"
#: Chromium as a sandboxed CI job runs it: no sandbox (root in a container), no GPU, and
#: nothing that would reach the internet on its own (updates, sync, field trials).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    named = os.environ.get("POLICYENGINE_CHROMIUM")
    if named:
        return named
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("page-browser")
    url = f"sqlite:///{folder / 'inventory.sqlite3'}"
    fill_store(url, folder / "cache")
    with serve(url) as running:
        yield running


@pytest.fixture
def browser_page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set POLICYENGINE_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            yield context.new_page()
        finally:
            browser.close()


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    """Take a full-page screenshot; keep it in docs/service/ when asked to update them."""
    data = page.screenshot(full_page=True)
    assert data.startswith(PNG) and len(data) > 10_000, name
    (tmp_path / name).write_bytes(data)
    if os.environ.get("POLICYENGINE_UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / name).write_bytes(data)


def test_a_person_reads_the_inventory_in_a_browser(
    page_server: Running, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    problems: list[str] = []
    # Console errors other than "Failed to load resource" (the 401 of the login form, the
    # favicon nobody serves): a script, a CSP violation, anything the page did not expect.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
    base = page_server.url

    # No token: the login form, and nothing of the inventory.
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Log in"
    assert page.locator("table").count() == 0
    _shot(page, "page-login.png", tmp_path)
    page.fill("#token", "read-everything")
    page.click("form.login button")

    # The list, newest first, with the latest outcomes.
    page.wait_for_selector("table.releases")
    assert page.locator("h1").inner_text() == "Releases"
    first = page.locator("table.releases tbody tr").first
    assert first.locator("td").nth(0).inner_text() == "acme-chat-gateway"
    assert first.locator("td").nth(1).inner_text() == "1.82.8"
    assert first.locator(".badge").first.inner_text() == "fail"
    # The stylesheet was allowed by the Content-Security-Policy and applied.
    color = first.locator(".badge.fail").first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(180, 35, 24)"
    page.fill("#prefix", "acme-")
    page.click("form.search button")
    page.wait_for_url("**/ui/?prefix=acme-")
    assert page.locator("table.releases tbody tr").count() == 3
    _shot(page, "page-releases.png", tmp_path)

    # The failing release: failures first, each with its remediation; passes counted.
    page.click("text=acme-chat-gateway >> nth=0")
    page.wait_for_selector("section#fail")
    assert page.locator("h1").inner_text().split() == ["acme-chat-gateway", "1.82.8", "fail"]
    failures = page.locator("section#fail tr.finding")
    assert failures.count() >= 2
    first_failure = failures.first.inner_text()
    assert "litellm 1.82.8" in first_failure and "malicious-packages" in first_failure
    assert "Remove litellm 1.82.8 now" in first_failure
    sections = page.locator("section").evaluate_all("s => s.map(e => e.id)")
    assert sections[0] == "fail" and sections[-2:] == ["passes", "history"]
    history = page.locator("section#history tbody tr")
    assert history.count() == 2
    assert history.nth(0).locator(".badge").inner_text() == "fail"
    assert history.nth(1).locator(".badge").inner_text() == "pass"
    _shot(page, "page-release.png", tmp_path)

    # Affected by the LiteLLM advisory: the two releases, passed then, failing now.
    page.click("header nav >> text=Affected by")
    page.fill("#q", "MAL-2026-2144")
    page.click("form.search button")
    page.wait_for_selector("table.affected")
    assert "advisory MAL-2026-2144: held by 2 releases" in page.locator("p.count").inner_text()
    rows = page.locator("table.affected tbody tr")
    assert rows.count() == 2
    seen = sorted(rows.nth(i).locator("td").nth(3).inner_text() for i in range(2))
    assert seen == ["litellm@1.82.7", "litellm@1.82.8"]
    for i in range(2):
        cells = rows.nth(i).locator("td")
        assert cells.nth(4).locator(".badge").inner_text() == "pass"
        assert cells.nth(5).locator(".badge").inner_text() == "fail"
    _shot(page, "page-affected.png", tmp_path)

    # A release whose verdict carries markup: shown as text, no script runs.
    page.goto(base + "/")
    page.click(f"text={HOSTILE_RELEASE}")
    page.wait_for_selector("section#fail")
    assert '<script>alert("pwned")</script>' in page.locator("td.component").first.inner_text()
    assert page.locator("main script, main img, main i").count() == 0

    # Logging out forgets the token.
    page.click("header form.who button")
    page.wait_for_selector("form.login")
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Log in"
    assert problems == []

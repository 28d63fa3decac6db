"""An editor keeps `handoutgen serve` open in a real browser beside the YAML (Debian's chromium,
driven by Playwright): every save shows up by itself, a broken file shows its path:line error,
and a translator sees the segment the edit made stale.

With HANDOUTGEN_SCREENSHOTS=1 the test also saves the screenshots the README shows
(docs/serve-*.png); otherwise it writes nothing outside its temp folder.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, copy_sample_workspace, edit
from handoutgen.serve.server import config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]
UPDATE_WITHIN_MS = 10_000  # generous for a shared 2-core machine; the page itself asks for ~1 s
SCREENSHOTS = os.environ.get("HANDOUTGEN_SCREENSHOTS") == "1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/install-system-deps.sh)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """`handoutgen serve` on a free port over a copy of the sample workspace, in a thread."""
    import uvicorn

    workspace = copy_sample_workspace(tmp_path / "ws")
    port = free_port()
    server = uvicorn.Server(config(workspace, port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", workspace
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    from playwright.sync_api import sync_playwright

    home = tmp_path / "home"  # the browser's profile, caches and crash reports: never the real home
    home.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home),
                                                  "XDG_CACHE_HOME": str(home / ".cache")})
        yield browser
        browser.close()


def screenshot(page, name: str) -> None:
    """docs/<name>, for the README (only with HANDOUTGEN_SCREENSHOTS=1), in 256 colours to stay small."""
    if SCREENSHOTS:
        from PIL import Image

        path = REPO / "docs" / name
        page.screenshot(path=str(path))
        Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)


def test_the_preview_follows_every_save(served, browser):
    from playwright.sync_api import expect

    base, workspace = served
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Handouts", exact=True)).to_be_visible()
    page.keyboard.press("Tab")  # the first stop is the skip link, and it shows when focused
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    page.get_by_role("link", name="Preview retrograde-pyelography in en").click()
    heading = page.locator("h1")
    expect(heading).to_contain_text("Retrograde Pyelography")
    pages = page.get_by_role("img", name=re.compile(r"^Page \d+ of \d+ of retrograde-pyelography \(en\)"))
    expect(pages.first).to_be_visible()
    assert pages.count() >= 2
    expect(page.locator(".finding-list")).to_contain_text("line")
    first_image = pages.first.get_attribute("src")

    # Saved in the editor: the page shows the new title by itself (no reload, no fixed wait).
    edit(workspace, "title: Retrograde Pyelography", "title: Retrograde Pyelography for Adults")
    expect(heading).to_contain_text("Retrograde Pyelography for Adults", timeout=UPDATE_WITHIN_MS)
    expect(page.locator("#live-status")).to_contain_text("Updated")
    assert pages.first.get_attribute("src") != first_image  # the page images are the new render
    screenshot(page, "serve-handout.png")

    # A typo: the path:line error replaces the pages instead of leaving the old ones up.
    edit(workspace, "title: Retrograde Pyelography for Adults", "title: [Retrograde Pyelography for Adults")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("handouts/retrograde-pyelography/en.yaml:", timeout=UPDATE_WITHIN_MS)
    expect(alert).to_contain_text("YAML syntax")
    expect(pages).to_have_count(0)

    edit(workspace, "title: [Retrograde Pyelography for Adults", "title: Retrograde Pyelography")
    expect(alert).to_have_count(0, timeout=UPDATE_WITHIN_MS)
    expect(heading).to_contain_text("Retrograde Pyelography")
    expect(pages.first).to_be_visible()

    # A saved stylesheet is a new render too: the pages are replaced by their new images.
    before = pages.first.get_attribute("src")
    with (workspace / "styles/handout.css").open("a", encoding="utf-8") as css:
        css.write("\nh1 { letter-spacing: 0.05em; }\n")
    expect(pages.first).not_to_have_attribute("src", before, timeout=UPDATE_WITHIN_MS)


def test_a_translator_sees_the_segment_an_edit_made_stale(served, browser):
    from playwright.sync_api import expect

    base, workspace = served
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    page.goto(base + "/translation/retrograde-pyelography/es")
    summary = page.locator("#segment-summary")
    expect(summary).to_have_class(re.compile(r"\bcurrent\b"))
    expect(summary.locator('[lang="es"]')).to_contain_text("Este folleto explica")

    edit(workspace, "summary: >-", "summary: >-\n  Please keep this sheet.")
    expect(summary).to_have_class(re.compile(r"\bstale\b"), timeout=UPDATE_WITHIN_MS)
    expect(summary).to_contain_text("Please keep this sheet. This handout explains")
    expect(summary.locator(".previous")).to_contain_text("This handout explains retrograde pyelography.")
    # Highlighted: the stale row is drawn differently from the current ones.
    current_row = page.locator("#segment-title")
    assert summary.evaluate("row => getComputedStyle(row).backgroundColor") != \
        current_row.evaluate("row => getComputedStyle(row).backgroundColor")
    summary.scroll_into_view_if_needed()
    screenshot(page, "serve-translation.png")


def test_readable_at_200_percent_zoom(served, browser):
    """A 640-pixel-wide window at twice the pixel density is a 1280-pixel screen zoomed to 200%:
    nothing may need sideways scrolling, and the findings move under the pages."""
    base, _ = served
    page = browser.new_page(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    for path in ("/", "/handout/retrograde-pyelography/en", "/translation/retrograde-pyelography/ar", "/roster"):
        page.goto(base + path)
        page.locator("main").wait_for()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (path, overflow)
    pages_box = page.goto(base + "/handout/retrograde-pyelography/en") and page.locator(".pages").bounding_box()
    findings_box = page.locator(".findings").bounding_box()
    assert pages_box is not None and findings_box is not None and findings_box["y"] > pages_box["y"]


def test_a_coordinator_checks_a_roster_before_making_packets(served, browser, tmp_path):
    """The browser's own multipart upload, read in memory: each row's outcome, no name shown."""
    from playwright.sync_api import expect

    base, workspace = served
    roster = tmp_path / "tomorrow.csv"
    roster.write_text("patient_id,patient_name,language,handouts\n"
                      "P1,Zebediah Quux,es,retrograde-pyelography\n"
                      "P2,Zebediah Quux,en,no-such-handout\n", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(base + "/roster")
    page.get_by_label("Or upload a CSV roster").set_input_files(str(roster))
    page.get_by_role("button", name="Check every row").click()
    expect(page.locator("#result").get_by_role("status")).to_contain_text("1 of 2 rows would get a packet; 1 would fail")
    rows = page.locator("table.outcomes tbody tr")
    expect(rows.nth(0)).to_contain_text("valid")
    expect(rows.nth(1)).to_contain_text("unknown handout 'no-such-handout'")
    assert "Zebediah" not in page.content() and "tomorrow" not in page.content()

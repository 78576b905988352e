"""The web page as a person uses it, in a real browser (Debian's headless chromium, driven
by Playwright) with JavaScript off: type a query, click a facet, see the chip and the counts
change, remove it, page, open a letter and see the marked words, download the export.
With IMR_SEARCH_SCREENSHOT=1 the run also saves the README's screenshot of the search page
(docs/search-page.png); otherwise it leaves that file alone."""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from imr_search.web import make_server

from .conftest import ROOT, export_rows

# Found as .ci/run looks for it (`command -v chromium`), which installs it when it is not.
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH (Debian's chromium package; .ci/run installs it)",
)
# Debian's chromium, as it runs here: no sandbox (root), no network of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "search-page.png"
REFRESH_SCREENSHOT = os.environ.get("IMR_SEARCH_SCREENSHOT") == "1"


@pytest.fixture(scope="module")
def site(index_dir):
    """The served page over the corpus index, on a free port, for the module's tests."""
    server = make_server(index_dir, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        java_script_enabled=False, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    yield context.new_page()
    context.close()


def total(page) -> int:
    """The matching items the page says there are ("no items match": 0)."""
    counted = re.match(r"(\d+) items? match", page.inner_text("#summary"))
    return int(counted.group(1)) if counted else 0


def hit_links(page) -> list[str]:
    return page.locator("ol.hits h3 a").all_inner_texts()


def test_search_filter_unfilter_page_and_read_a_letter(page, site):
    page.goto(site + "/")
    everything = total(page)
    page.get_by_label("Query").fill("guidelines")
    page.get_by_label("Query").press("Enter")
    page.wait_for_url(re.compile(r"q=guidelines"))
    found = total(page)
    assert 0 < found < everything
    assert "guidelines" in page.title()

    # Click the second specialty: the chip appears and every count is of its items.
    link = page.locator('a[data-facet="specialty"]').nth(1)
    value, count = link.locator("span").all_inner_texts()
    link.click()
    page.wait_for_url(re.compile(r"filter=specialty"))
    chip = page.locator(".chip")
    assert chip.count() == 1 and f"specialty: {value}" in chip.inner_text()
    assert total(page) == int(count) < found
    outcome_counts = page.locator('a[data-facet="outcome"] .count').all_inner_texts()
    assert sum(map(int, outcome_counts)) == int(count)
    assert page.get_by_label("Query").input_value() == "guidelines"
    if REFRESH_SCREENSHOT:
        page.screenshot(path=str(SCREENSHOT))

    # Remove it: back to the query's own counts.
    page.get_by_role("link", name=f"Remove filter specialty: {value}").click()
    page.wait_for_url(lambda url: "filter=" not in url)
    assert page.locator(".chip").count() == 0
    assert total(page) == found

    # Page on: the next 20 hits, none of the first page's.
    first_page = hit_links(page)
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "page 2 of" in page.inner_text("nav.pages")
    second_page = hit_links(page)
    assert second_page and not set(second_page) & set(first_page)

    # Open a letter: the query's words are marked in it.
    page.locator("ol.hits h3 a").first.click()
    page.wait_for_url(re.compile(r"/letter/"))
    marks = page.locator("mark").all_inner_texts()
    assert marks and all(re.fullmatch(r"(?i)guidelines?", mark) for mark in marks)


def test_the_export_link_downloads_every_hit(page, site):
    page.goto(site + "/?q=guidelines&filter=outcome%3AUpheld")
    shown = total(page)
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = export_rows(text)
    assert len(rows) == shown > 20  # all of them, not one page
    assert {row["outcome"] for row in rows} == {"Upheld"}


def test_the_keyboard_reaches_the_query_first_and_every_control_has_a_label(browser, site):
    context = browser.new_context()  # (script on, to ask the page what has focus)
    page = context.new_page()
    page.goto(site + "/?q=mri")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
    # The skip link, the site's three links, then the query box.
    assert order == ["Skip to content", "imr-search", "Search", "Overturn rates", "q"]
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select')]
             .filter(e => e.labels.length === 0).map(e => e.outerHTML)"""
    )
    assert unlabelled == []
    context.close()


def test_the_stats_page_draws_its_chart(page, site):
    page.goto(site + "/?q=guidelines")
    page.get_by_role("link", name="Overturn rates by field").click()
    page.get_by_label("Group by").select_option("specialty")
    page.get_by_role("button", name="Count").click()
    page.wait_for_url(re.compile(r"by=specialty"))
    bars = page.locator("figure svg rect")
    rates = page.locator("table.rates tr td:last-child").all_inner_texts()  # groups, total
    assert len(rates) > 2 and bars.count() == sum(rate != "–" for rate in rates)
    assert page.locator("figure svg").bounding_box()["height"] > 100

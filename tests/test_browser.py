"""Open every page of the rendered book in headless Chromium, offline (run by .ci/run after the build)."""

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHAPTERS = [
    "chapters/01_rf_vs_accuracy.html",
    "chapters/02_erf_saturation.html",
    "chapters/03_dead_pixels.html",
    "chapters/04_kernel_padding.html",
    "chapters/05_perturbation.html",
    "chapters/06_census.html",
]
PAGES = ["intro.html", *CHAPTERS, "report.html", "glossary.html", "rerun.html", "changelog.html"]
MAX_VISIBLE_CODE = 3

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (install Debian's chromium)"),
    pytest.mark.skipif(not (HTML / "intro.html").exists(), reason="book not built (jupyter-book build .)"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_offline(browser, page_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    response = page.goto((HTML / page_path).as_uri(), wait_until="load")
    assert response is None or response.ok
    page.wait_for_timeout(1500)  # MathJax typesets after load
    # every image loaded
    sizes = page.eval_on_selector_all("main img, article img", "els => els.map(e => [e.src, e.naturalWidth])")
    assert all(w > 0 for _, w in sizes), [src for src, w in sizes if w == 0]
    if page_path.startswith("chapters/"):
        assert len(sizes) >= 2, f"{page_path} shows no figures"
    # math rendered from the book's own files: no raw TeX delimiters left in the visible text
    text = page.inner_text("main")
    for raw in ("\\(", "\\)", "$$", "\\frac", "\\sqrt"):
        assert raw not in text, f"raw TeX {raw!r} visible on {page_path}"
    # no traceback, error output or stale-result message
    assert "Traceback" not in text and "StaleResultError" not in text and "stale" not in text.lower()
    assert not page.eval_on_selector_all(".output.traceback, .output.error, .stderr", "els => els.length")
    # at most a few visible code inputs per chapter
    visible = page.eval_on_selector_all(".cell .cell_input", "els => els.filter(e => e.checkVisibility()).length")
    assert visible <= MAX_VISIBLE_CODE, f"{visible} visible code inputs on {page_path}"
    # no page-level horizontal overflow at 1280 px
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page_path} overflows horizontally by {overflow} px"
    # navigation links between pages resolve to files that exist
    links = page.eval_on_selector_all(
        "nav a[href], .prev-next-area a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    local = [link.split("#")[0] for link in links if link and not link.startswith(("http", "#", "mailto"))]
    assert local, f"no navigation links on {page_path}"
    for link in local:
        assert ((HTML / page_path).parent / link).resolve().exists(), f"dead link {link} on {page_path}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / (page_path.replace("/", "_") + ".png")), full_page=True)
    context.close()


def test_mathjax_is_served_from_the_book():
    assert (HTML / "_static" / "mathjax" / "MathJax.js").is_file()
    assert "cdn" not in (HTML / "chapters" / "02_erf_saturation.html").read_text().lower().split("mathjax")[0][-200:]


@pytest.mark.parametrize("page_path", PAGES)
def test_page_reads_on_a_phone(browser, page_path):
    """At 390 px: no horizontal page overflow, the claims tables stack into cards whose verdict is on
    screen, and every image has alt text that is not a file name."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, offline=True)
    page = context.new_page()
    page.goto((HTML / page_path).as_uri(), wait_until="load")
    page.wait_for_timeout(800)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page_path} overflows horizontally by {overflow} px at 390 px"
    badges = page.query_selector_all("table.claims .badge-verdict")
    for badge in badges[:3]:
        badge.scroll_into_view_if_needed()
        box = badge.bounding_box()
        on_screen = box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert on_screen, f"verdict off-screen on {page_path}"
    alts = page.eval_on_selector_all("main img, article img", "els => els.map(e => e.getAttribute('alt') || '')")
    bad = [a for a in alts if not a.strip() or a.strip().lower().endswith((".png", ".svg", ".jpg"))]
    assert not bad, f"{page_path}: images without meaningful alt text: {bad[:3]}"


@pytest.mark.parametrize("width, height, screens", [(1280, 800, 1), (390, 844, 2)])
def test_the_answer_starts_on_the_first_screens_of_the_landing_page(browser, width, height, screens):
    context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
    page = context.new_page()
    page.goto((HTML / "intro.html").as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    box = page.locator("table.answer").bounding_box()
    first_row = page.locator("table.answer tbody tr").first.bounding_box()
    assert box is not None and first_row is not None
    assert first_row["y"] + min(first_row["height"], 120) <= screens * height, (box, first_row)
    assert page.locator("table.answer tbody tr").count() == 5  # one row per claim of the paper
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"answer-{width}.png"))
    context.close()


@pytest.mark.parametrize("page_path", ["intro.html", *CHAPTERS, "report.html"])
def test_glossary_terms_link_to_the_glossary_at_their_first_use(page_path):
    import re

    html = (HTML / page_path).read_text(encoding="utf-8")
    links = re.findall(r'<a class="[^"]*dp-term[^"]*" href="([^"]+)"', html)
    assert links, f"{page_path}: no glossary link"
    assert all("glossary.html#" in h for h in links)
    assert len(links) == len(set(links)), f"{page_path}: a term linked twice"


def _smallest_text_css_px(shown_width: float, full_width: float) -> float:
    """The smallest text of a figure, in CSS px, when it is shown ``shown_width`` CSS px wide. The
    figure check (:mod:`deadpixels.paper.book.figure_check`) holds every text at MIN_FONT_PT or more
    when the figure is scaled to the text column (COLUMN_PX) from its full width (drawn at 96 CSS px
    per inch, so a point is 4/3 CSS px); any other width scales that text with it."""
    from deadpixels.paper.book.figure_check import COLUMN_PX, MIN_FONT_PT

    return MIN_FONT_PT * 96 / 72 * shown_width / min(full_width, COLUMN_PX)


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_every_figure_reads_on_a_phone_inline_or_at_full_size_on_a_tap(browser, page_path):
    """At 390 px each figure either shows its smallest text at 9 CSS px or more, or opens on a tap at
    its full size (offline, the page's own image), where it does, and its caption opens with the one
    thing to see."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, offline=True, has_touch=True)
    page = context.new_page()
    page.goto((HTML / page_path).as_uri(), wait_until="load")
    figures = page.locator("figure:has(img)")
    assert figures.count() >= 2
    for i in range(figures.count()):
        fig = figures.nth(i)
        img = fig.locator("img").first
        img.scroll_into_view_if_needed()
        inline = img.bounding_box()["width"]
        full = img.evaluate("i => i.naturalWidth") / 2  # drawn at 2x (book.figure sets 192 dpi)
        caption = fig.locator("figcaption").inner_text()
        assert re.sub(r"^Figure [\d.]+\s*", "", caption).startswith("What to see"), caption[:80]
        if _smallest_text_css_px(inline, full) >= 9:
            continue
        img.tap()
        page.wait_for_timeout(200)
        assert page.locator("#dp-lightbox.open").count() == 1, f"figure {i} of {page_path} does not open"
        shown = page.locator("#dp-lightbox img").bounding_box()["width"]
        assert abs(shown - full) < 2 and _smallest_text_css_px(shown, full) >= 9, (i, inline, shown, full)
        page.locator("#dp-lightbox").tap()
        assert page.locator("#dp-lightbox.open").count() == 0
    context.close()


@pytest.mark.parametrize(
    "page_path", ["intro.html", "report.html", "chapters/04_kernel_padding.html", "chapters/06_census.html"]
)
def test_dark_mode_keeps_links_and_outputs_at_wcag_aa_contrast(browser, page_path):
    """In the reader's dark mode every visible text of the page (links, prose, every output and
    table cell, verdict badges) has a contrast of 4.5:1 or more with what it sits on."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True, color_scheme="dark")
    page = context.new_page()
    page.goto((HTML / page_path).as_uri(), wait_until="load")
    page.wait_for_timeout(800)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    measured = page.evaluate((ROOT / "tests" / "data" / "contrast.js").read_text())
    assert len(measured) > 50, "too little text measured"
    links = [m for m in measured if m["sel"].startswith("a")]
    assert links, "no link measured"
    low = sorted({(round(m["ratio"], 2), m["sel"], m["text"][:40]) for m in measured if m["ratio"] < 4.5})
    assert not low, f"{page_path}: {len(low)} texts under 4.5:1 in dark mode, e.g. {low[:5]}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / ("dark-" + page_path.replace("/", "_") + ".png")))
    context.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_no_errors_in_the_console(browser, page_path):
    """No script error, no console error of any kind (MathJax's font probe, a theme warning), and
    no failed request, offline over file:// as a reader opens the downloaded book."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto((HTML / page_path).as_uri(), wait_until="load")
    page.wait_for_timeout(1500)
    assert errors == []
    context.close()

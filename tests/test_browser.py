"""Open every page of the rendered book in headless Chromium (run by .ci/run after the build)."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PAGES = [
    "intro.html",
    "chapters/01_rf_vs_accuracy.html",
    "chapters/02_erf_saturation.html",
    "chapters/03_dead_pixels.html",
    "chapters/04_kernel_padding.html",
    "chapters/05_perturbation.html",
    "chapters/06_census.html",
    "report.html",
]

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
def test_page_renders(browser, page_path):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    url = (HTML / page_path).as_uri()
    response = page.goto(url, wait_until="load")
    assert response is None or response.ok
    page.wait_for_timeout(200)
    # every figure image has a non-zero natural size
    sizes = page.eval_on_selector_all(
        "main img, article img", "els => els.map(e => [e.src, e.naturalWidth, e.naturalHeight])"
    )
    for src, w, h in sizes:
        assert w > 0 and h > 0, f"broken image {src} on {page_path}"
    if page_path.startswith("chapters/"):
        assert len(sizes) >= 2, f"{page_path} shows no figures"
    text = page.inner_text("body")
    assert "Traceback (most recent call last)" not in text
    assert "Error" not in page.eval_on_selector_all(
        ".output.stderr, .output.traceback", "els => els.map(e => e.innerText).join(' ')"
    )
    # navigation links between chapters resolve to files that exist
    links = page.eval_on_selector_all(
        "nav a[href], .prev-next-area a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    local = [link.split("#")[0] for link in links if link and not link.startswith(("http", "#", "mailto"))]
    assert local, f"no navigation links on {page_path}"
    for link in local:
        assert ((HTML / page_path).parent / link).resolve().exists(), f"dead link {link} on {page_path}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / (page_path.replace("/", "_") + ".png")), full_page=False)
    page.close()

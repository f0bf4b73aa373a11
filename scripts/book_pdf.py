"""The whole book as one PDF, printed from the built HTML pages themselves (after
``jupyter-book build .``), so its figures, maths and tables are exactly those of the HTML.

    python scripts/book_pdf.py [--html _build/html] [--out _build/html/deadpixels-book.pdf]

Why Chromium's print and not LaTeX: the pages carry HTML tables, glued figures and MathJax that a
LaTeX build would render differently (or not at all: the claims tables are raw HTML), and the
browser test already runs this Chromium. Each page of the table of contents is printed to A4
offline over file://, after MathJax has typeset it, and the pages are joined in the book's order.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from pypdf import PdfWriter

ROOT = Path(__file__).resolve().parents[1]


def pages_in_order(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """The book's pages as the table of contents orders them, as paths of built HTML files."""
    spec = yaml.safe_load(toc.read_text())
    files = [spec["root"]] + [c["file"] for part in spec.get("parts", []) for c in part.get("chapters", [])]
    return [f"{f}.html" for f in files]


def print_pages(html: Path, pages: list[str], out: Path, chromium: str) -> int:
    """Print ``pages`` of the built book to one PDF at ``out``; returns its page count."""
    from playwright.sync_api import sync_playwright

    missing = [p for p in pages if not (html / p).is_file()]
    if missing:
        raise SystemExit(f"book_pdf: {missing} not found under {html}; build the book first (jupyter-book build .)")
    writer = PdfWriter()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        context = browser.new_context(offline=True)
        for i, name in enumerate(pages):
            page = context.new_page()
            page.goto((html / name).as_uri(), wait_until="load")
            page.wait_for_function("!window.MathJax || !MathJax.Hub || MathJax.Hub.queue.pending === 0", timeout=60_000)
            page.emulate_media(media="print")
            part = Path(tmp) / f"{i:02d}.pdf"
            page.pdf(path=str(part), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})  # fmt: skip
            writer.append(str(part), outline_item=name.removesuffix(".html"))
            page.close()
        browser.close()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = out.with_name(out.name + ".tmp")
        with tmp_out.open("wb") as f:
            writer.write(f)
        tmp_out.replace(out)  # an interrupted print never leaves half a PDF
    return len(writer.pages)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    p.add_argument("--out", type=Path, default=None, help="default: deadpixels-book.pdf beside the HTML")
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = p.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"book_pdf: no Chromium at {args.chromium} (install Debian's chromium)", file=sys.stderr)
        return 2
    out = args.out or args.html / "deadpixels-book.pdf"
    n = print_pages(args.html, pages_in_order(), out, args.chromium)
    print(f"book_pdf: {n} pages -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

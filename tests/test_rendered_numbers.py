"""The rendered book agrees with the files it claims to show (run after the build, as .ci/run does):
every claim row on every page (the report's table, each chapter's verdict table) shows exactly the
paper's value, our value and the verdict that ``data/results/claims.csv`` holds, and every
provenance sentence ("computed ... from commit C, N s of wall time") names a commit and a wall
time that one cached result's provenance records. A stale claims.csv, a page that formats a number
its own way, or a wall time typed by hand fails here."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
PAGES = ["intro.html", "report.html", *(f"chapters/{p.stem}.html" for p in sorted((ROOT / "chapters").glob("*.md")))]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (HTML / "report.html").exists(), reason="book not built (jupyter-book build .)"),
]


def _claims() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "results" / "claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")


def _soup(page: str):  # noqa: ANN202
    from bs4 import BeautifulSoup

    return BeautifulSoup((HTML / page).read_text(encoding="utf-8"), "html.parser")


def claim_rows(page: str) -> list[dict[str, str]]:
    """Each claims-table row of a rendered page: its cells' text by their label, and the claim id."""
    rows = []
    for table in _soup(page).select("table.claims"):
        for tr in table.select("tbody tr"):
            cells = {td.get("data-label"): td for td in tr.find_all("td")}
            first = cells.get("claim")
            if first is None:
                continue
            ident = first.find(["b", "a"])
            row = {k: " ".join(td.get_text(" ").split()) for k, td in cells.items()}
            verdict = cells.get("verdict")
            badge = verdict.find("span") if verdict is not None else None
            row["claim_id"] = ident.get_text().strip() if ident else ""
            row["verdict"] = badge.get_text().strip() if badge else ""
            rows.append(row)
    return rows


def _same(shown: str, held: str) -> bool:
    return " ".join(shown.split()) == " ".join(held.split())


@pytest.mark.parametrize("page", PAGES)
def test_every_claim_row_shows_what_claims_csv_holds(page):
    claims = _claims()
    rows = claim_rows(page)
    if page == "report.html":
        assert {r["claim_id"] for r in rows} == set(claims.index), "the report shows every claim"
    for r in rows:
        assert r["claim_id"] in claims.index, f"{page}: a claim row for an unknown claim {r['claim_id']!r}"
        held = claims.loc[r["claim_id"]]
        ours = r.get("we find", "")
        paper = r.get("the paper says", r.get("the paper", ""))
        assert _same(ours, held["ours"]), f"{page}, {r['claim_id']}: shows {ours!r}, claims.csv {held['ours']!r}"
        assert _same(paper, held["paper"]), f"{page}, {r['claim_id']}: paper {paper!r} vs {held['paper']!r}"
        assert r["verdict"] == held["verdict"], f"{page}, {r['claim_id']}: {r['verdict']!r} vs {held['verdict']!r}"


def test_every_chapter_shows_its_claims():
    """Its own claims, at least (chapter 6 also shows chapter 3's causal claim beside its own)."""
    claims = _claims()
    for chapter in sorted(set(claims["chapter"])):
        shown = {r["claim_id"] for r in claim_rows(f"chapters/{chapter}.html")}
        assert shown >= set(claims.index[claims["chapter"] == chapter]), chapter  # and may show related ones


SENTENCE = re.compile(r"from commit ([0-9a-f]{7})(?:, (\d+) s of wall time)?")


def _provenances() -> set[tuple[str, int | None]]:
    found = set()
    for p in (ROOT / "data" / "results").glob("*/*/provenance.json"):
        prov = json.loads(p.read_text())
        wall = prov.get("wall_time_s")
        found.add((str(prov.get("git_commit", ""))[:7], round(float(wall)) if isinstance(wall, (int, float)) else None))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_provenance_sentence_names_a_recorded_commit_and_wall_time(page):
    known = _provenances()
    text = " ".join(_soup(page).get_text(" ").split())
    for commit, seconds in SENTENCE.findall(text):
        if seconds:
            assert (commit, int(seconds)) in known, f"{page}: commit {commit} with {seconds} s is in no provenance"
        else:
            assert commit in {c for c, _ in known}, f"{page}: commit {commit} is in no provenance"


def test_the_checks_can_fail(tmp_path):
    """A claims.csv with one changed number no longer agrees with the report."""
    claims = _claims()
    rows = {r["claim_id"]: r for r in claim_rows("report.html")}
    some = next(c for c in claims.index if re.search(r"\d", claims.loc[c, "ours"]))
    changed = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), claims.loc[some, "ours"], count=1)
    assert _same(rows[some]["we find"], claims.loc[some, "ours"]) and not _same(rows[some]["we find"], changed)
    assert ("0000000", 1) not in _provenances()


PDF = HTML / "deadpixels-book.pdf"


@pytest.mark.skipif(not PDF.exists(), reason="no book PDF (python scripts/book_pdf.py, after the build)")
def test_the_whole_book_pdf_holds_every_page_and_every_verdict():
    """The PDF that scripts/book_pdf.py prints from the built pages: one outline entry per page of
    the table of contents, a plausible page count, and every claim with its verdict in its text."""
    import sys

    from pypdf import PdfReader

    sys.path.insert(0, str(ROOT / "scripts"))
    from book_pdf import pages_in_order

    reader = PdfReader(PDF)
    pages = pages_in_order()
    assert [o.title for o in reader.outline] == [p.removesuffix(".html") for p in pages]
    assert len(pages) * 2 <= len(reader.pages) <= 800, len(reader.pages)
    # no whitespace (table cells wrap) and no ligatures (the PDF's fonts print "fi" as one glyph)
    text = "".join("".join(unicodedata.normalize("NFKC", p.extract_text()).split()) for p in reader.pages)
    claims = _claims()
    for claim_id, verdict in claims["verdict"].items():
        assert "".join(claim_id.split()) in text, f"{claim_id} is not in the PDF"
        assert "".join(verdict.split()) in text, f"verdict {verdict!r} is not in the PDF"


def _identifiers() -> set[str]:
    """Every raw column name the results hold that the book writes in words (``book.HEADERS``), and
    any name with an underscore: neither may head a rendered table."""
    from deadpixels.paper.book import HEADERS

    return {raw for raw, words in HEADERS.items() if raw != words}


@pytest.mark.parametrize("page", PAGES)
def test_no_table_is_headed_by_a_code_identifier_or_shows_nan(page):
    soup = _soup(page)
    raw = _identifiers()
    headers = {th.get_text(" ", strip=True) for th in soup.select("main table th")}
    bad = sorted(h for h in headers if h in raw or re.fullmatch(r"\w+_\w+", h))
    assert not bad, f"{page}: tables headed by identifiers {bad}"
    cells = [td.get_text(" ", strip=True).lower() for td in soup.select("main table td")]
    assert "nan" not in cells and "none" not in cells, f"{page}: a table shows nan or None"


def test_the_book_ships_its_source_archive_and_every_page_names_version_commit_and_archive():
    import hashlib

    from deadpixels.paper.book import citation

    name = citation.archive_name()
    if name is None:
        pytest.skip("not a git checkout: the book names the archive it was built from instead")
    archive = HTML / name
    assert archive.is_file(), f"{name} is not beside the book"
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (HTML / f"{name}.sha256").read_text().split() == [digest, name]
    assert digest == citation.archive_sha256()  # the bytes the pages describe
    sha = citation.commit().split()[0]
    for page in [*PAGES, "glossary.html", "rerun.html", "changelog.html"]:
        footer = _soup(page).select_one("p.dp-version")
        assert footer is not None, f"{page}: no version line in the footer"
        text = footer.get_text(" ", strip=True)
        assert f"deadpixels {citation.version()}" in text and sha[:7] in text and name in text, (page, text)
        link = footer.select_one("a.dp-archive")["href"]
        assert ((HTML / page).parent / link).resolve() == archive.resolve(), (page, link)
    intro = _soup("intro.html").get_text(" ", strip=True)
    assert f"swhid = {{swh:1:rev:{sha}}}" in re.sub(r"\s+", " ", intro) and digest in intro
    rerun = _soup("rerun.html")
    lines = rerun.select_one("main pre").get_text().splitlines()
    assert lines == citation.rerun_lines(), "Rerun it does not open with the archive's three lines"
    assert digest in rerun.get_text() and rerun.select_one("main a.dp-archive")["href"] == name


@pytest.mark.parametrize("page", PAGES)
def test_each_claims_table_writes_a_protocol_once_and_rows_name_it_in_short(page):
    """A row states its evidence's size in short (model, steps, seeds) and links the protocol, which
    is written out once, under its table: never in full in a row."""
    soup = _soup(page)
    protocols = {p for p in _claims()["protocol"] if len(p) > 40}
    for table in soup.select("main table.claims"):
        cells = [td.get_text(" ", strip=True) for td in table.select('tbody td[data-label^="evidence"]')]
        assert cells, f"{page}: a claims table without an evidence column"
        full = sorted({p[:60] for p in protocols for c in cells if p in c})
        assert not full, f"{page}: a protocol written out in a row: {full[:2]}"
        for link in table.select('a[href^="#protocol-"]'):
            assert soup.find(id=link["href"][1:]) is not None, f"{page}: {link['href']} has no protocol under it"

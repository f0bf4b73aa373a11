"""Every table a chapter asks for is displayed: a code cell shows only its last expression, so a
``book.show(...)`` that is not the cell's last statement must be wrapped in ``display``."""

import ast
import re
from pathlib import Path

import pytest

PAGES = sorted(Path(".").glob("chapters/*.md")) + [Path("intro.md"), Path("report.md")]
CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)


def _cells(page: Path) -> list[str]:
    return [re.sub(r"^:tags:.*\n", "", c, flags=re.M) for c in CELL.findall(page.read_text())]


def _lost_tables(source: str) -> list[int]:
    """Line numbers of ``book.show`` calls whose table the cell would not display."""
    body = ast.parse(source).body
    lost = []
    for node in body[:-1]:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            f = node.value.func
            if isinstance(f, ast.Attribute) and f.attr == "show":
                lost.append(node.lineno)
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):  # inside if/for blocks too
        if isinstance(node, (ast.If, ast.For, ast.With)):
            for child in node.body[:-1] + getattr(node, "orelse", [])[:-1]:
                if isinstance(child, ast.Expr) and isinstance(child.value, ast.Call):
                    f = child.value.func
                    if isinstance(f, ast.Attribute) and f.attr == "show":
                        lost.append(child.lineno)
    return lost


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_table_a_cell_asks_for_is_displayed(page):
    lost = {i: _lost_tables(c) for i, c in enumerate(_cells(page))}
    assert {i: v for i, v in lost.items() if v} == {}, f"{page}: cells whose book.show is not displayed"


def test_the_check_finds_a_lost_table():
    assert _lost_tables("book.show(a)\nbook.show(b)\n") == [1]
    assert _lost_tables("display(book.show(a))\nbook.show(b)\n") == []


def test_the_readmes_run_times_are_those_the_provenance_records():
    from deadpixels.paper.book import facts
    from deadpixels.paper.experiments import EXPERIMENTS

    readme = Path("README.md").read_text()
    cpu = [m for name in EXPERIMENTS if (m := facts.minutes(name)) is not None]
    total = round(sum(cpu) / 10) * 10
    kp = round(facts.minutes("kp_finetune"))
    assert f"about {total} minutes on 2 cores" in readme and f"kp_finetune {kp} minutes" in readme
    assert f"kp_finetune alone {kp})" in readme


def test_no_code_cell_runs_past_fifteen_lines():
    """A chapter's code cells stay short: their logic lives in the package, where it is tested."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    long = []
    for page in [*root.glob("*.md"), *root.glob("chapters/*.md")]:
        lines = page.read_text().splitlines()
        i = 0
        while i < len(lines):
            if lines[i].startswith("```{code-cell}"):
                j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("```"))
                body = [x for x in lines[i + 1 : j] if x.strip() and not x.startswith(":tags:")]
                if len(body) > 15:
                    long.append(f"{page.name}:{i + 1} ({len(body)} lines)")
                i = j
            i += 1
    assert not long, long

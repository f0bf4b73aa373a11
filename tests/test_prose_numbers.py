"""No hand-typed number in the prose of any page: every number a reader sees in the text is glued
from a result or computed (a ``{glue:...}`` role or a code cell's output), or it is a citation of
the paper, marked with the ``{paper}`` role (``_ext/paper_role.py``). Names that hold digits (ResNet-50,
paper Table 3, 3x3, stride 2, float64) and the statistical levels of the method (95% CI, 80% power)
are not numbers in this sense."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    p.relative_to(ROOT).as_posix() for p in [*ROOT.glob("*.md"), *ROOT.glob("chapters/*.md")] if p.name != "README.md"
)

#: What is removed before looking for numbers: markup that is computed or is not prose.
MARKUP = [
    r"<!--.*?-->",
    r"\{[a-z:]+\}`[^`]*`",  # roles: {glue:text}, {paper}, {term}, {cite}, {numref}
    r"`[^`\n]*`",  # inline code
    r"\$\$.*?\$\$",  # display math
    r"\$[^$]+\$",  # inline math (may wrap a line)
]
#: Fenced blocks whose content is code (blanked); other directives' content (figure captions, the
#: glossary) is prose, only their fences and options are blanked.
CODE_FENCE = re.compile(r"^(`{3,})(\{code-cell\}.*|[a-z]*)$")
FENCE = re.compile(r"^(`{3,}|:{3,})")
OPTION = re.compile(r"^:[\w-]+:")


def prose_lines(text: str) -> list[str]:
    """The page's lines with front matter, code, fences, options, roles, inline code and math blanked."""
    text = re.sub(r"^---\n.*?\n---\n", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    out, closing = [], None
    for line in text.splitlines():
        if closing is not None:  # inside a code block
            out.append("")
            if line.strip() == closing:
                closing = None
            continue
        m = CODE_FENCE.match(line)
        if m:
            closing = m.group(1)
            out.append("")
        elif FENCE.match(line) or OPTION.match(line):
            out.append("")
        else:
            out.append(line)
    text = "\n".join(out)
    for pattern in MARKUP:
        text = re.sub(pattern, lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M)
    return text.splitlines()


INLINE = [
    r"\]\([^)]*\)",  # link targets
    r"<[^>]+>",  # HTML tags
]
#: Names and fixed terms that contain digits.
NAMES = [
    r"\b(?:paper )?(?:Tables?|Figs?\.|Sec\.|Eqs?\.|Algorithm|Theorem|[Cc]hapters?)\s*\d+(?:\s*(?:-|and|,|/)\s*\d+)*",
    r"\b(?:ResNet|ResNeXt|VGG|DenseNet|EfficientNet-Lite|EfficientNet-B|MobileNet(?:V\d)?|ShuffleNet(?:V\d)?|RegNet"
    r"|ConvNeXt|Inception|GoogLeNet|AlexNet|SqueezeNet|MNASNet|Swin|ViT|[RWX])[- ]?v?\d+(?:[-_.x]\d+[a-z]*)*(?:/\d+)*",
    r"\bLite\d(?:/\d)*",
    r"\b\d+x\d+(?:x\d+)?\b",
    r"\bstride[- ]\d\b",
    r"\b(?:float|int|bfloat)\d+\b|\bbf16\b|\bTF32\b",
    r"\b[HA]\d00\b",
    r"\bL[12]\b",
    r"\bIMAGENET1K_V\d\b",
    r"\bCUB-200-2011\b|\bCaltech-101\b|\bOxford-IIIT\b|\bImageNet-1k\b",
    r"\bPython \d(?:\.\d+)?|\b1\.x\b|\bJupyter Book \d\b",
    r"\b(?:19|20)\d\d\b",  # years (references)
    r"\bR\^2\b",
    r"\b[Ss]tage-\d\b|\blayer\d\b",
    r"\b\d+(?:\.\d+)?% (?:CIs?|interval|confidence|bootstrap)\b|\btwo-sided \d+%|\b\d+% power\b",
    r"\b[a-f0-9]{7}\b",  # commits
    r"\bSHA-(?:1|256)\b|\bswh:1\b",  # hash names
    r"\[\d+\. ",  # a numbered chapter's link text
    r"\bseeds? \d\b|\bstages? \d(?: and \d)?\b|\b[123]-D\b",  # identifiers: which seed, which stage
    r"\bAcc@\d\b|\btop-\d\b|\bInception-v\d\b",
]
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:%|\b)")


def hand_typed(text: str) -> list[tuple[int, str, str]]:
    """(line, number, line text) for every number left in the prose of ``text``."""
    found = []
    for i, line in enumerate(prose_lines(text), 1):
        rest = line
        for pattern in INLINE + NAMES:
            rest = re.sub(pattern, " ", rest)
        found += [(i, n, line.strip()) for n in NUMBER.findall(rest)]
    return found


def test_the_checker_finds_a_hand_typed_number_and_spares_what_is_computed():
    page = (
        "---\na: 1\n---\n# Title\n\nKP lowers L1 by 0.49 on ResNet-50 (paper Table 3).\n"
        "Ours: {glue:text}`c4_l1:.2f`, the paper's {paper}`x0.49`, a 3x3 kernel with stride 2, 95% CI.\n"
        "```{code-cell} ipython3\nx = 12\n```\n"
        "```{glue:figure} f\n:alt: 7 images\n\nCaption on 7 images.\n```\n"
    )
    assert [(n, line[:10]) for _, n, line in hand_typed(page)] == [("0.49", "KP lowers "), ("7", "Caption on")]


@pytest.mark.parametrize("page", PAGES)
def test_no_hand_typed_number_in_the_prose(page):
    found = hand_typed((ROOT / page).read_text(encoding="utf-8"))
    assert not found, f"{page}: glue these from results or mark them {{paper}}: " + "; ".join(
        f"line {i}: {n!r} in {line[:90]!r}" for i, n, line in found
    )

"""Sphinx extension: the ``{paper}`` role marks a number quoted from the paper, e.g.
``{paper}`13-18 epochs sooner```. It renders as the text with the class ``dp-paper`` (shown in the
paper's colour), and it is how tests/test_prose_numbers.py tells a citation of the paper from a
hand-typed result: every other number in the prose is glued or computed."""

from __future__ import annotations

from docutils import nodes


def paper_role(name, rawtext, text, lineno, inliner, options=None, content=None):  # noqa: ANN001, ANN201, ARG001
    """Docutils role: ``text`` as an inline node with the class ``dp-paper``."""
    return [nodes.inline(rawtext, text, classes=["dp-paper"])], []


def setup(app):  # noqa: ANN001, ANN201
    app.add_role("paper", paper_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
